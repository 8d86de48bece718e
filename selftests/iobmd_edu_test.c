// SPDX-License-Identifier: GPL-2.0
/*
 * DMA by a device nobody here wrote: QEMU's edu device, driven by
 * selftests/kapi/iobmd_edu.ko through iobmd's in-kernel API.  Loading the
 * driver copies buffers of each kind through the device's DMA engine,
 * and into a dma-buf iobmd exported, which it imports as a driver does
 * (its TAP results must all be "ok"); then this process has the driver
 * copy its own memory (general descriptors, prepared for the device) and
 * checks the bytes.  Run with the guest's IOMMU on (scripts/vm-run.sh
 * --iommu, IOBMD_EDU_IOMMU=1), the device's addresses must differ from
 * the physical ones; without it, they are the physical ones.
 *
 * The guest must have an edu device (vm-run.sh always adds one).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"
#include "kapi/iobmd_edu.h"

#define EDU_MODULE	"/lib/modules/iobmd_edu.ko"
#define EDU_RESULTS	"/sys/kernel/debug/iobmd_edu/results"
#define EDU_NODE	"/dev/iobmd_edu"
#define EDU_TESTS	7

static struct iobmd_test_stats iobmd_edu_found;

/*
 * The process's own memory, at odd offsets, through the device.  Behind
 * the IOMMU the device reaches any page, at an IOVA; without it, only
 * pages below its 28 bits, and the driver's prepare refuses others with
 * ERANGE (nothing is bounced, nothing is written).
 */
static void copy_own_memory(struct __test_metadata *_metadata, int fd,
			    size_t len, int iommu)
{
	__u8 *src = malloc(len + 64), *dst = malloc(len + 64);
	struct edu_copy_arg a = { 0 };
	size_t i;
	int ret;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	iobmd_fill_pattern(src + 7, len, 0, 101);
	memset(dst, 0, len + 64);
	a.src = (uintptr_t)(src + 7);
	a.dst = (uintptr_t)(dst + 33);
	a.len = len;
	ret = ioctl(fd, EDU_IOC_COPY, &a);
	if (iommu || ret) {
		ASSERT_EQ(0, iommu ? ret : 0) TH_LOG("%s", strerror(errno));
		if (ret)
			ASSERT_EQ(ERANGE, errno);
	}
	if (!ret) {
		ASSERT_EQ(len, iobmd_check_pattern(dst + 33, len, 0, 101));
		ASSERT_EQ(!iommu, a.dma_is_phys);
	}
	/* Nothing else was written. */
	for (i = 0; i < len + 64; i++)
		if (i < 33 || i >= 33 + len || ret)
			ASSERT_EQ(0, dst[i]) TH_LOG("byte %zu", i);
	TH_LOG("%zu bytes of this process: %s", len,
	       ret ? "refused (ERANGE): beyond the device's 28 bits" :
	       a.dma_is_phys ? "copied, at physical addresses" :
	       "copied, at IOVAs");
	free(src);
	free(dst);
}

TEST(edu)
{
	const char *env = getenv("IOBMD_EDU_IOMMU");
	int iommu = env && atoi(env);
	int fd;

	ASSERT_EQ(0, iobmd_read_stats(&iobmd_edu_found));
	/* No results file: the guest has no edu device. */
	iobmd_load_tap_module(EDU_MODULE, EDU_RESULTS, EDU_TESTS);

	fd = open(EDU_NODE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", EDU_NODE, strerror(errno));
	copy_own_memory(_metadata, fd, 100, iommu);
	copy_own_memory(_metadata, fd, 3 * 4096 + 1000, iommu);
	close(fd);

	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_edu", 0));
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_edu_found));
}

TEST_HARNESS_MAIN

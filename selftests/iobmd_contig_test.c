// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd physically contiguous buffers larger than the page allocator's
 * largest block (4 MiB on these kernels, which have no CMA area): 16, 64
 * and 256 MiB below 4 GiB, made with alloc_contig_range(), mapped, filled
 * and read back; aligned as the mask asks; refused without CAP_IPC_LOCK
 * (their memory cannot be charged to a memory cgroup); requests that no
 * range can meet fail with ENOMEM, at once.  Contiguous buffers are
 * page-backed: the pages of a mapping can be pinned (process_vm_readv).
 *
 * Needs root (IOBMD_GET_SEGMENTS) and the 6 GiB guest (3 GiB of RAM below
 * 4 GiB).  Each test leaves the module's counters as found.
 */
#include <sys/uio.h>
#include <time.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"

#define MASK_4G		0x00000000FFFFF000ULL	/* below 4 GiB, page aligned */
#define MASK_4G_64M	0x00000000FC000000ULL	/* below 4 GiB, 64 MiB aligned */
#define MASK_1G		0x000000003FFFF000ULL	/* below 1 GiB */
#define MASK_16M	0x0000000000FFF000ULL	/* below 16 MiB (ZONE_DMA) */

static struct iobmd_test_stats iobmd_contig_found;

FIXTURE(iobmd_contig)
{
	int fd;
};

FIXTURE_SETUP(iobmd_contig)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&iobmd_contig_found));
}

FIXTURE_TEARDOWN(iobmd_contig)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_contig_found));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A contiguous buffer of @size under @mask: one physical segment at or
 * below the mask's limit, on its alignment; mapped, every page written
 * through the mapping and read back with IOBMD_READ, and the other way.
 */
static void check_contiguous(struct __test_metadata *_metadata,
			     FIXTURE_DATA(iobmd_contig) *self, __u64 size,
			     __u64 mask)
{
	__u64 align = mask & -mask, limit = mask | (align - 1), cookie;
	struct iobmd_segment *segs;
	__u8 *p, *back;
	double t0, t1;
	__u32 h, nr;

	t0 = now_s();
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    size, 0, mask, NULL, 0, &h))
		TH_LOG("%llu MiB contiguous under 0x%llx: %s",
		       (unsigned long long)(size >> 20),
		       (unsigned long long)mask, strerror(errno));
	t1 = now_s();
	ASSERT_EQ(0, _test_get_all_segments_flags(self->fd, h, 0, 0, 0, &segs,
						  &nr));
	ASSERT_EQ(1, nr);
	ASSERT_EQ(size, segs[0].len);
	ASSERT_GE(limit, segs[0].addr + size - 1);
	ASSERT_EQ(0, segs[0].addr & (align - 1));
	TH_LOG("%llu MiB at 0x%llx in %.2f s", (unsigned long long)(size >> 20),
	       (unsigned long long)segs[0].addr, t1 - t0);
	free(segs);

	test_ioctl_map(h, 0, 0, size, &cookie);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 (off_t)cookie);
	ASSERT_NE(MAP_FAILED, p);
	/* Fresh memory is zeroed. */
	ASSERT_EQ(0, p[0]);
	ASSERT_EQ(0, p[size - 1]);
	iobmd_fill_pattern(p, size, 0, 91);
	back = malloc(size);
	ASSERT_NE(NULL, back);
	test_ioctl_read(h, 0, back, size);
	ASSERT_EQ(size, iobmd_check_pattern(back, size, 0, 91));
	iobmd_fill_pattern(back, size, 0, 92);
	test_ioctl_write(h, 0, back, size);
	ASSERT_EQ(size, iobmd_check_pattern(p, size, 0, 92));
	free(back);
	ASSERT_EQ(0, munmap(p, size));
	test_ioctl_release(h);
}

TEST_F_TIMEOUT(iobmd_contig, below_4g_16m_64m_256m, 600)
{
	check_contiguous(_metadata, self, 16ULL << 20, MASK_4G);
	check_contiguous(_metadata, self, 64ULL << 20, MASK_4G);
	check_contiguous(_metadata, self, 256ULL << 20, MASK_4G);
}

/* The alignment comes from the mask: 64 MiB here. */
TEST_F_TIMEOUT(iobmd_contig, aligned_64m, 300)
{
	check_contiguous(_metadata, self, 64ULL << 20, MASK_4G_64M);
}

/* Twice at once, and again after release: the ranges come back. */
TEST_F_TIMEOUT(iobmd_contig, two_then_again, 600)
{
	__u32 a, b;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    64ULL << 20, 0, MASK_4G, NULL, 0,
					    &a));
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    64ULL << 20, 0, MASK_4G, NULL, 0,
					    &b));
	test_ioctl_release(a);
	test_ioctl_release(b);
	check_contiguous(_metadata, self, 64ULL << 20, MASK_4G);
}

/*
 * No range can be made: ENOMEM at once, nothing held, no OOM kill (the
 * process is still here to see it).  A 1 GiB range below 1 GiB, or
 * 16 MiB below 16 MiB, would need page frame 0.
 */
TEST_F(iobmd_contig, impossible_enomem)
{
	__u32 h = 0;

	EXPECT_ERRNO(ENOMEM, _test_ioctl_buf_create(self->fd,
			IOBMD_BUF_CREATE_PHYS_MASK,
			IOBMD_DIRECTION_INOUT | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			1ULL << 30, 0, MASK_1G, NULL, 0, &h));
	ASSERT_EQ(0, h);
	EXPECT_ERRNO(ENOMEM, _test_ioctl_buf_create(self->fd,
			IOBMD_BUF_CREATE_PHYS_MASK,
			IOBMD_DIRECTION_INOUT | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			16ULL << 20, 0, MASK_16M, NULL, 0, &h));
	ASSERT_EQ(0, h);
}

/*
 * Without CAP_IPC_LOCK: blocks the page allocator has (4 MiB) are made,
 * larger ranges are refused with EPERM.
 */
static int unprivileged_child(void *arg)
{
	int fd = *(int *)arg;
	__u32 h = 0;

	if (iobmd_drop_root())
		return 1;
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
				   IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				   4ULL << 20, 0, 0, NULL, 0, &h))
		return 2;
	if (_test_ioctl_release(fd, h))
		return 3;
	h = 0;
	if (!_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
				    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				    16ULL << 20, 0, 0, NULL, 0, &h) ||
	    errno != EPERM || h)
		return 4;
	return 0;
}

TEST_F(iobmd_contig, large_needs_cap_ipc_lock)
{
	ASSERT_EQ(0, iobmd_run_child(unprivileged_child, &self->fd));
}

/*
 * A contiguous buffer below 16 MiB takes, for a moment, the whole block
 * its alignment needs from ZONE_DMA: without CAP_SYS_RESOURCE that block
 * must fit the user's budget (user_zone_dma, 1 MiB by default), so a
 * 4 KiB buffer aligned to 4 MiB is EDQUOT, while one aligned to 64 KiB
 * fits.
 */
static int zone_dma_child(void *arg)
{
	int fd = *(int *)arg;
	__u32 h = 0;

	if (iobmd_drop_root())
		return 1;
	/*
	 * Where ZONE_DMA is no scarce zone beneath a ZONE_DMA32 (arm64 on
	 * QEMU's virt: no RAM below 16 MiB, ZONE_DMA all RAM below 4 GiB)
	 * no block is budgeted: below 16 MiB is ENOMEM, and a buffer aligned
	 * to 4 MiB below 4 GiB, whose block is four budgets, is made.
	 */
	if (!iobmd_zone_dma32_present()) {
		if (!_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
					    0x0000000000C00000ULL, NULL, 0,
					    &h) || errno != ENOMEM || h)
			return 5;
		if (_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					   IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
					   0x00000000FFC00000ULL, NULL, 0, &h))
			return 6;
		return _test_ioctl_release(fd, h) ? 4 : 0;
	}
	if (!_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				    IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				    0x0000000000C00000ULL, NULL, 0, &h) ||
	    errno != EDQUOT || h)
		return 2;
	if (_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				   IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				   0x0000000000FF0000ULL, NULL, 0, &h))
		return 3;
	return _test_ioctl_release(fd, h) ? 4 : 0;
}

TEST_F(iobmd_contig, zone_dma_budget_counts_the_block)
{
	ASSERT_EQ(0, iobmd_run_child(zone_dma_child, &self->fd));
}

/* Page-backed: another process's view of the mapping pins its pages. */
TEST_F(iobmd_contig, mapping_is_page_backed)
{
	__u64 size = 16ULL << 20;
	__u8 *p, dst[4096];
	struct iovec local = { dst, sizeof(dst) }, remote;
	__u64 cookie;
	__u32 h;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    size, 0, 0, NULL, 0, &h));
	test_ioctl_map(h, 0, 0, size, &cookie);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 (off_t)cookie);
	ASSERT_NE(MAP_FAILED, p);
	iobmd_fill_pattern(p + size - sizeof(dst), sizeof(dst), 0, 93);
	remote.iov_base = p + size - sizeof(dst);
	remote.iov_len = sizeof(dst);
	ASSERT_EQ((ssize_t)sizeof(dst),
		  process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	ASSERT_EQ(sizeof(dst), iobmd_check_pattern(dst, sizeof(dst), 0, 93));
	ASSERT_EQ(0, munmap(p, size));
	test_ioctl_release(h);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * DMA by a userspace driver with no kernel driver at all, the u-dma-buf
 * way: QEMU's edu device (PCI 1234:11e8) is enabled and made a bus master
 * through sysfs, its registers are reached through its BAR's sysfs
 * resource0, and it copies iobmd memory at the physical addresses
 * IOBMD_GET_SEGMENTS gives.  This holds only where the device sees
 * physical addresses: the default (pc) machine, no IOMMU; scripts/check.sh
 * runs every iobmd_*_test there, and only iobmd_edu_* behind the IOMMU.
 *
 * The edu reaches 28 bits of address (QEMU masks, and so misdirects, any
 * address above), so each test programs only segments that lie below
 * 256 MiB: buffers made with a 28-bit physical mask always do, a
 * process's own memory mostly does not.  Each transfer is at most 2 KiB,
 * at the start of the device's 4 KiB buffer (0x40000).  The device is
 * polled, not interrupt driven.
 *
 * Needs root (sysfs PCI files, physical segments) and the 6 GiB guest.
 * GET_SEGMENTS without CAP_SYS_ADMIN is iobmd_hier_privilege_test's.
 * Each test leaves the module's counters as found, and the device's
 * command register and enable count as they were.
 */
#include <dirent.h>
#include <limits.h>
#include <time.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_DIR_LEN	300	/* "/sys/bus/pci/devices/" and a name */
#define PCI_COMMAND	0x04
#define PCI_COMMAND_MASTER 0x4

/* QEMU's docs/specs/edu.rst */
#define EDU_BAR_SIZE	SZ_1M
#define EDU_ID		0x00
#define EDU_ID_VALUE	0x010000edU
#define EDU_LIVENESS	0x04	/* reads back the inverse of what was written */
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000
#define EDU_CHUNK	2048	/* QEMU 7.2 aborts on a transfer ending at 4 KiB */
#define EDU_WAIT_S	5	/* one transfer takes 100 ms of QEMU's clock */
#ifdef __aarch64__
/*
 * QEMU's arm64 virt machine has no RAM below 1 GiB: vm-run.sh gives the
 * edu 32 bits there, and the "28-bit" buffers are 32-bit ones.
 */
#define EDU_REACH	0xFFFFFFFFULL
#define MASK_28		0xFFFFFFFFULL
#define MASK_28_PAGES	0xFFFFF000ULL
#else
#define EDU_REACH	0x0FFFFFFFULL	/* 28-bit DMA */
#define MASK_28		0x0FFFFFFFULL	/* IOKit mask: below 256 MiB */
#define MASK_28_PAGES	0x0FFFF000ULL	/* the same, page aligned */
#endif

static struct iobmd_test_stats iobmd_physdma_found;

FIXTURE(iobmd_physdma)
{
	int fd;
	char dev[EDU_DIR_LEN];	/* the edu's sysfs directory */
	int config;		/* its config space file */
	__u16 command;		/* the command register as found */
	bool enabled;		/* "1" written to its enable file */
	volatile __u8 *bar;	/* BAR 0 through resource0 */
	/* A 28-bit contiguous page, the other end of each round trip. */
	__u8 *scratch;
	__u64 scratch_phys;
};

static int sysfs_read_hex(const char *dir, const char *name, unsigned long *v)
{
	char path[PATH_MAX], text[32] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	*v = strtoul(text, NULL, 16);
	return 0;
}

/* Writes @text into @dir/@name: 0, or -errno. */
static int sysfs_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return iobmd_write_file(path, text);
}

/* The first edu's sysfs directory into @dev: 0, or -1. */
static int edu_find(char *dev, size_t size)
{
	unsigned long vendor, device;
	char path[EDU_DIR_LEN];
	struct dirent *e;
	int ret = -1;
	DIR *d;

	d = opendir(PCI_DEVICES);
	if (!d)
		return -1;
	while (ret && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s", e->d_name);
		if (sysfs_read_hex(path, "vendor", &vendor) ||
		    sysfs_read_hex(path, "device", &device))
			continue;
		if (vendor == EDU_VENDOR && device == EDU_DEVICE) {
			snprintf(dev, size, "%s", path);
			ret = 0;
		}
	}
	closedir(d);
	return ret;
}

static __u64 edu_read(FIXTURE_DATA(iobmd_physdma) *self, unsigned int reg)
{
	return *(volatile __u64 *)(self->bar + reg);
}

static void edu_write(FIXTURE_DATA(iobmd_physdma) *self, unsigned int reg,
		      __u64 v)
{
	*(volatile __u64 *)(self->bar + reg) = v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One transfer of @len bytes between RAM at physical @ram and the start
 * of the device's buffer, polled until the start bit clears.  Refuses
 * (asserts) an address the device cannot reach: QEMU would clamp it to
 * 28 bits and copy to or from somewhere else.  x86 DMA is cache coherent
 * and a userspace prepare maps for no device, so neither side needs an
 * IOBMD_PERFORM (it would succeed and do nothing): the CPU's stores are
 * in order before the start bit, and the device's writes are seen
 * through any mapping as soon as the start bit clears.
 */
static void edu_dma(struct __test_metadata *_metadata,
		    FIXTURE_DATA(iobmd_physdma) *self, bool to_ram, __u64 ram,
		    __u32 len)
{
	double deadline;

	ASSERT_LT(0, len);
	ASSERT_GE(EDU_CHUNK, len);
	ASSERT_GE(EDU_REACH, ram + len - 1)
		TH_LOG("0x%llx + %u is beyond the edu's 28 bits", ram, len);
	ASSERT_EQ(0, edu_read(self, EDU_DMA_CMD) & EDU_CMD_START);
	edu_write(self, EDU_DMA_SRC, to_ram ? EDU_BUF : ram);
	edu_write(self, EDU_DMA_DST, to_ram ? ram : EDU_BUF);
	edu_write(self, EDU_DMA_COUNT, len);
	__sync_synchronize();
	edu_write(self, EDU_DMA_CMD,
		  EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	deadline = now_s() + EDU_WAIT_S;
	while (edu_read(self, EDU_DMA_CMD) & EDU_CMD_START)
		ASSERT_GT(deadline, now_s())
			TH_LOG("DMA of %u bytes %s 0x%llx: no completion in %d s",
			       len, to_ram ? "to" : "from", ram, EDU_WAIT_S);
	__sync_synchronize();
}

/*
 * RAM -> device -> RAM both ways for @len bytes at @virt (physical
 * @phys): the device reads pattern @seed from there into the scratch
 * page (and nothing past @len), then writes pattern @seed + 1 from the
 * scratch page back there, seen in @virt with no call in between.
 */
static void round_trip(struct __test_metadata *_metadata,
		       FIXTURE_DATA(iobmd_physdma) *self, __u8 *virt,
		       __u64 phys, __u32 len, __u64 seed)
{
	iobmd_fill_pattern(virt, len, 0, seed);
	edu_dma(_metadata, self, false, phys, len);
	memset(self->scratch, 0, len + 64);
	edu_dma(_metadata, self, true, self->scratch_phys, len);
	ASSERT_EQ(len, iobmd_check_pattern(self->scratch, len, 0, seed))
		TH_LOG("device read of 0x%llx", phys);
	ASSERT_EQ(64, iobmd_check_bytes(self->scratch + len, 64, 0));

	iobmd_fill_pattern(self->scratch, len, 0, seed + 1);
	edu_dma(_metadata, self, false, self->scratch_phys, len);
	edu_dma(_metadata, self, true, phys, len);
	ASSERT_EQ(len, iobmd_check_pattern(virt, len, 0, seed + 1))
		TH_LOG("device write to 0x%llx", phys);
}

/*
 * Round trips over the first @max bytes of segment @seg, 2 KiB at a
 * time; @virt maps its first byte and @model, which mirrors @virt, gets
 * what the device wrote.  Patterns from *@seed on.
 */
static void segment_round_trips(struct __test_metadata *_metadata,
				FIXTURE_DATA(iobmd_physdma) *self, __u8 *virt,
				__u8 *model, const struct iobmd_segment *seg,
				__u64 max, __u64 *seed)
{
	__u64 s, end = seg->len < max ? seg->len : max;

	for (s = 0; s < end; s += EDU_CHUNK) {
		__u32 n = end - s < EDU_CHUNK ? end - s : EDU_CHUNK;

		round_trip(_metadata, self, virt + s, seg->addr + s, n, *seed);
		iobmd_fill_pattern(model + s, n, 0, *seed + 1);
		*seed += 2;
	}
}

/* A buffer under @mask, mapped; its segments into *@segs_p, *@nr_p. */
static __u8 *buffer_mapped(struct __test_metadata *_metadata,
			   FIXTURE_DATA(iobmd_physdma) *self, __u32 options,
			   __u64 size, __u64 mask, __u32 *h,
			   struct iobmd_segment **segs_p, __u32 *nr_p)
{
	__u64 cookie;
	__u8 *p;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd,
					    IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT | options,
					    size, 0, mask, NULL, 0, h))
		TH_LOG("%llu bytes under 0x%llx: %s", size, mask,
		       strerror(errno));
	test_ioctl_map(*h, 0, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	test_get_all_segments(*h, 0, 0, segs_p, nr_p);
	return p;
}

/* Undoes buffer_mapped(). */
static void buffer_unmapped(struct __test_metadata *_metadata,
			    FIXTURE_DATA(iobmd_physdma) *self, __u8 *p,
			    __u64 size, __u32 h, struct iobmd_segment *segs)
{
	free(segs);
	ASSERT_EQ(0, munmap(p, size));
	test_ioctl_release(h);
}

FIXTURE_SETUP(iobmd_physdma)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct iobmd_segment *segs;
	__u16 master;
	__u32 h, nr;
	int res;

	self->config = -1;
	self->bar = NULL;
	self->scratch = NULL;
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&iobmd_physdma_found));

	if (edu_find(self->dev, sizeof(self->dev)))
		SKIP(return, "no edu device (PCI 1234:11e8) under " PCI_DEVICES
		     ": QEMU's DMA engine, which the test VM has");
	/* No kernel driver: one left bound (iobmd_edu) is unbound for good. */
	snprintf(path, sizeof(path), "%s/driver", self->dev);
	if (readlink(path, link, sizeof(link)) > 0)
		ASSERT_EQ(0, sysfs_write(path, "unbind",
					 strrchr(self->dev, '/') + 1));
	ASSERT_EQ(-1, access(path, F_OK));

	ASSERT_EQ(0, sysfs_write(self->dev, "enable", "1"));
	self->enabled = true;
	snprintf(path, sizeof(path), "%s/config", self->dev);
	self->config = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->config);
	ASSERT_EQ(2, pread(self->config, &self->command, 2, PCI_COMMAND));
	master = self->command | PCI_COMMAND_MASTER;
	ASSERT_EQ(2, pwrite(self->config, &master, 2, PCI_COMMAND));

	snprintf(path, sizeof(path), "%s/resource0", self->dev);
	res = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	ASSERT_LE(0, res);
	self->bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED, res, 0);
	close(res);
	ASSERT_NE(MAP_FAILED, self->bar) {
		self->bar = NULL;
	}
	ASSERT_EQ(EDU_ID_VALUE, *(volatile __u32 *)(self->bar + EDU_ID));
	*(volatile __u32 *)(self->bar + EDU_LIVENESS) = 0x12345678;
	ASSERT_EQ(~0x12345678U, *(volatile __u32 *)(self->bar + EDU_LIVENESS));

	self->scratch = buffer_mapped(_metadata, self,
				      IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				      PAGE_SIZE, MASK_28, &h, &segs, &nr);
	ASSERT_EQ(1, nr);
	self->scratch_phys = segs[0].addr;
	free(segs);
}

FIXTURE_TEARDOWN(iobmd_physdma)
{
	if (self->scratch)
		munmap(self->scratch, PAGE_SIZE);
	if (self->bar)
		munmap((void *)self->bar, EDU_BAR_SIZE);
	if (self->config >= 0) {
		EXPECT_EQ(2, pwrite(self->config, &self->command, 2,
				    PCI_COMMAND));
		close(self->config);
	}
	/* Balances the "1": the device stays enabled if it was. */
	if (self->enabled)
		EXPECT_EQ(0, sysfs_write(self->dev, "enable", "0"));
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_physdma_found));
}

/*
 * A physically contiguous buffer under the 28-bit mask: one segment, all
 * of it in reach (a mask rounds the capacity up to whole pages, as
 * IOKit's does); round trips at its start, across a page boundary and up
 * to its last byte, and the rest untouched (the CPU's mapping and
 * IOBMD_READ agree).
 */
TEST_F(iobmd_physdma, contiguous_28bit)
{
	const __u64 size = 4 * PAGE_SIZE;
	const struct { __u64 off; __u32 len; } at[] = {
		{ 0, EDU_CHUNK },
		{ PAGE_SIZE - 1000, 2000 },
		{ size - 777, 777 },
	};
	struct iobmd_segment *segs;
	__u8 *p, *model, *back;
	__u32 h, nr;
	size_t i;

	p = buffer_mapped(_metadata, self, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			  size - PAGE_SIZE + 100, MASK_28, &h, &segs, &nr);
	ASSERT_EQ(1, nr);
	ASSERT_EQ(size, segs[0].len);
	ASSERT_GE(MASK_28, segs[0].addr + size - 1);
	TH_LOG("%llu bytes at 0x%llx", size, segs[0].addr);

	model = malloc(size);
	back = malloc(size);
	ASSERT_NE(NULL, model);
	ASSERT_NE(NULL, back);
	iobmd_fill_pattern(p, size, 0, 3);
	memcpy(model, p, size);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		round_trip(_metadata, self, p + at[i].off,
			   segs[0].addr + at[i].off, at[i].len, 10 + 2 * i);
		iobmd_fill_pattern(model + at[i].off, at[i].len, 0,
				   11 + 2 * i);
	}
	ASSERT_EQ(0, memcmp(model, p, size));
	test_ioctl_read(h, 0, back, size);
	ASSERT_EQ(0, memcmp(model, back, size));

	free(back);
	free(model);
	buffer_unmapped(_metadata, self, p, size, h, segs);
}

/*
 * A buffer of one pageblock and six pages, so that no one block the module
 * takes (a 2 MiB chunk from the page allocator, or a pageblock it places
 * below the limit) holds it all.  Single pages freed between pages still
 * held first, so that where the buffer's last pages come from the page
 * allocator they come from here and there.  Placed pageblocks are taken
 * from the top of the allowed memory down, so a buffer that took two lies
 * in two segments, the second below the first.  An attempt that still
 * came out in one piece is held (the next one cannot take the same
 * memory) and the buffer made again, at most four times.
 */
#define NONCONTIG_SIZE	(SZ_2M + 6 * PAGE_SIZE)

static __u8 *noncontiguous_buffer(struct __test_metadata *_metadata,
				  FIXTURE_DATA(iobmd_physdma) *self, __u32 *h,
				  struct iobmd_segment **segs, __u32 *nr)
{
	__u32 i, tries, holes[16], held[4];
	__u8 *p;

	for (tries = 0; tries < 4; tries++) {
		for (i = 0; i < 16; i++)
			test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT,
						   PAGE_SIZE, MASK_28_PAGES,
						   &holes[i]);
		for (i = 0; i < 16; i += 2)
			test_ioctl_release(holes[i]);
		p = buffer_mapped(_metadata, self, 0, NONCONTIG_SIZE,
				  MASK_28_PAGES, h, segs, nr);
		for (i = 1; i < 16; i += 2)
			test_ioctl_release(holes[i]);
		if (*nr >= 2)
			break;
		TH_LOG("attempt %u: one segment at 0x%llx, held", tries + 1,
		       (*segs)[0].addr);
		free(*segs);
		ASSERT_EQ(0, munmap(p, NONCONTIG_SIZE));
		held[tries] = *h;
	}
	for (i = 0; i < tries && i < 4; i++)
		test_ioctl_release(held[i]);
	ASSERT_GT(4, tries);
	return p;
}

/*
 * A non-contiguous buffer under the 28-bit mask (noncontiguous_buffer()):
 * each segment copied both ways at its first and its last 2 KiB, in
 * whatever order the segments lie.
 */
TEST_F(iobmd_physdma, noncontiguous_segments)
{
	const __u64 size = NONCONTIG_SIZE;
	struct iobmd_segment *segs, tail;
	__u64 off = 0, seed = 100;
	bool ascending = true;
	__u32 h, nr, i;
	__u8 *p, *model;

	p = noncontiguous_buffer(_metadata, self, &h, &segs, &nr);
	model = malloc(size);
	ASSERT_NE(NULL, model);
	iobmd_fill_pattern(p, size, 0, 4);
	memcpy(model, p, size);
	for (i = 0; i < nr; i++) {
		__u64 back = segs[i].len - EDU_CHUNK;

		ASSERT_GE(MASK_28_PAGES | (PAGE_SIZE - 1),
			  segs[i].addr + segs[i].len - 1);
		if (i && segs[i].addr < segs[i - 1].addr)
			ascending = false;
		TH_LOG("segment %u: 0x%llx, %llu bytes", i, segs[i].addr,
		       segs[i].len);
		segment_round_trips(_metadata, self, p + off, model + off,
				    &segs[i], EDU_CHUNK, &seed);
		tail.addr = segs[i].addr + back;
		tail.len = EDU_CHUNK;
		segment_round_trips(_metadata, self, p + off + back,
				    model + off + back, &tail, EDU_CHUNK,
				    &seed);
		off += segs[i].len;
	}
	ASSERT_EQ(size, off);
	ASSERT_EQ(0, memcmp(model, p, size));
	TH_LOG("%u segments, %s", nr,
	       ascending ? "in ascending order" : "out of order");

	free(model);
	buffer_unmapped(_metadata, self, p, size, h, segs);
}

/*
 * A general descriptor over this process's malloc()ed memory, wired with
 * IOBMD_PREPARE: its pages lie wherever the kernel put them, in the 6 GiB
 * guest mostly above 256 MiB.  A segment beyond the 28 bits is seen and
 * not programmed; the first 2 KiB of each one in reach go both ways.
 * Either way the memory ends as the model says: the device wrote nothing
 * but what it was asked to.
 */
TEST_F(iobmd_physdma, general_own_memory)
{
	const __u64 len = 16 * PAGE_SIZE;
	__u32 h, nr, i, beyond = 0, reached = 0;
	struct iobmd_segment *segs;
	__u64 off = 0, seed = 200;
	__u8 *mem, *p, *model;

	mem = malloc(len + 3000);
	model = malloc(len);
	ASSERT_NE(NULL, mem);
	ASSERT_NE(NULL, model);
	p = mem + 5;
	iobmd_fill_pattern(p, len, 0, 5);
	memcpy(model, p, len);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, p, len, &h);
	test_ioctl_prepare(h, IOBMD_DIRECTION_INOUT);
	test_get_all_segments(h, 0, 0, &segs, &nr);

	for (i = 0; i < nr; i++) {
		if (segs[i].addr + segs[i].len - 1 > EDU_REACH) {
			beyond++;
		} else {
			segment_round_trips(_metadata, self, p + off,
					    model + off, &segs[i], EDU_CHUNK,
					    &seed);
			reached++;
		}
		off += segs[i].len;
	}
	ASSERT_EQ(len, off);
	TH_LOG("%u segments: %u beyond 28 bits (not programmed), %u copied",
	       nr, beyond, reached);
	ASSERT_LE(1, beyond);
	ASSERT_EQ(0, memcmp(model, p, len));

	test_ioctl_complete(h, IOBMD_DIRECTION_INOUT);
	test_ioctl_release(h);
	free(segs);
	free(model);
	free(mem);
}

/*
 * The same path over memory the device does reach: a general descriptor
 * over this process's mapping of a 28-bit buffer, at an odd offset.
 * Every segment is in reach and every byte goes both ways.
 */
TEST_F(iobmd_physdma, general_over_masked_mapping)
{
	const __u64 size = 3 * PAGE_SIZE, len = 2 * PAGE_SIZE;
	struct iobmd_segment *segs, *gsegs;
	__u32 b, h, nr, gnr, i;
	__u64 off = 0, seed = 300;
	__u8 *p, *model;

	p = buffer_mapped(_metadata, self, 0, size, MASK_28_PAGES, &b, &segs,
			  &nr);
	model = malloc(size);
	ASSERT_NE(NULL, model);
	iobmd_fill_pattern(p, size, 0, 6);
	memcpy(model, p, size);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, p + 100, len, &h);
	test_ioctl_prepare(h, IOBMD_DIRECTION_INOUT);
	test_get_all_segments(h, 0, 0, &gsegs, &gnr);

	for (i = 0; i < gnr; i++) {
		ASSERT_GE(EDU_REACH, gsegs[i].addr + gsegs[i].len - 1);
		segment_round_trips(_metadata, self, p + 100 + off,
				    model + 100 + off, &gsegs[i], gsegs[i].len,
				    &seed);
		off += gsegs[i].len;
	}
	ASSERT_EQ(len, off);
	ASSERT_EQ(0, memcmp(model, p, size));
	TH_LOG("%u segments, all copied", gnr);

	test_ioctl_complete(h, IOBMD_DIRECTION_INOUT);
	test_ioctl_release(h);
	free(gsegs);
	free(model);
	buffer_unmapped(_metadata, self, p, size, b, segs);
}

/*
 * The device's write into a buffer, seen through the process's mapping
 * with no system call between (the CPU had the old bytes cached), and by
 * the module's IOBMD_READ: only the bytes asked for changed.
 */
TEST_F(iobmd_physdma, device_write_visible)
{
	struct iobmd_segment *segs;
	__u8 *p, *back;
	__u32 h, nr;

	p = buffer_mapped(_metadata, self, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			  PAGE_SIZE, MASK_28, &h, &segs, &nr);
	ASSERT_EQ(1, nr);
	back = malloc(PAGE_SIZE);
	ASSERT_NE(NULL, back);
	iobmd_fill_pattern(self->scratch, 1000, 0, 7);
	edu_dma(_metadata, self, false, self->scratch_phys, 1000);

	memset(p, 0xa5, PAGE_SIZE);
	ASSERT_EQ(PAGE_SIZE, iobmd_check_bytes(p, PAGE_SIZE, 0xa5));
	edu_dma(_metadata, self, true, segs[0].addr + 64, 1000);
	ASSERT_EQ(64, iobmd_check_bytes(p, 64, 0xa5));
	ASSERT_EQ(1000, iobmd_check_pattern(p + 64, 1000, 0, 7));
	ASSERT_EQ(PAGE_SIZE - 1064,
		  iobmd_check_bytes(p + 1064, PAGE_SIZE - 1064, 0xa5));

	test_ioctl_read(h, 0, back, PAGE_SIZE);
	ASSERT_EQ(0, memcmp(p, back, PAGE_SIZE));

	free(back);
	buffer_unmapped(_metadata, self, p, PAGE_SIZE, h, segs);
}

TEST_HARNESS_MAIN

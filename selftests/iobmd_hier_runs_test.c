// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd general descriptors over transparent huge pages and small pages
 * together.  The module keeps pinned user memory as its physically
 * contiguous runs: these tests make runs of 1 to 512 pages, ranges that
 * start inside a huge page and cross into small pages, and more pages than
 * one pinning batch (512), and check segments, data and pin counts against
 * the memory page by page.  Needs root (/proc/self/pagemap, the module's
 * debugfs counters) and transparent huge pages not disabled.
 */
#include <sys/mman.h>

#include "iobmd_pagemap.h"
#include "iobmd_utils.h"

#define HUGE_SIZE	(2UL << 20)
#define AREA_SIZE	(8 * HUGE_SIZE)	/* 4 huge pages, then small pages */
#define SMALL_OFF	(4 * HUGE_SIZE)

FIXTURE(iobmd_runs)
{
	int fd;
	__u8 *map;	/* the mapping, AREA_SIZE + HUGE_SIZE bytes */
	__u8 *a;	/* AREA_SIZE bytes of it, aligned to HUGE_SIZE */
};

FIXTURE_SETUP(iobmd_runs)
{
	char mode[128] = "";
	FILE *f;
	size_t off;

	self->fd = -1;

	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = 0;
		fclose(f);
	}
	if (!f || strstr(mode, "[never]"))
		SKIP(return, "transparent huge pages are not available");
	iobmd_fixture_open(self->fd);
	self->map = mmap(NULL, AREA_SIZE + HUGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->a = (__u8 *)(((uintptr_t)self->map + HUGE_SIZE - 1) &
			   ~(HUGE_SIZE - 1));
	ASSERT_EQ(0, madvise(self->a, SMALL_OFF, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise(self->a + SMALL_OFF, AREA_SIZE - SMALL_OFF,
			     MADV_NOHUGEPAGE));
	/* Small pages last to first, so that neighbours are seldom adjacent. */
	for (off = AREA_SIZE; off > SMALL_OFF; off -= PAGE_SIZE)
		iobmd_fill_pattern(self->a + off - PAGE_SIZE, PAGE_SIZE,
				   off - PAGE_SIZE, 21);
	iobmd_fill_pattern(self->a, SMALL_OFF, 0, 21);
	/* Each huge page is one physical run, unless memory is too broken up. */
	for (off = 0; off < SMALL_OFF; off += PAGE_SIZE)
		if (pagemap_phys(self->a + off - off % HUGE_SIZE) +
		    off % HUGE_SIZE != pagemap_phys(self->a + off))
			SKIP(return, "no huge page at offset %zu", off);
}

FIXTURE_TEARDOWN(iobmd_runs)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, AREA_SIZE + HUGE_SIZE);
	if (self->fd != -1)
		close(self->fd);
}

/*
 * Pages the system pinned minus those it unpinned (/proc/vmstat, after
 * folding the CPUs' pending counts into it).  System-wide: the tests
 * expect nothing else to pin or unpin meanwhile, as in the test VM.
 */
static long long pins_held(void)
{
	if (iobmd_write_file("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	return iobmd_file_value("/proc/vmstat", "nr_foll_pin_acquired") -
	       iobmd_file_value("/proc/vmstat", "nr_foll_pin_released");
}

/* Bytes from @va on (at most @len) that are physically contiguous. */
static __u64 contiguous_bytes(const __u8 *va, __u64 len)
{
	__u64 phys = pagemap_phys(va);
	__u64 n = PAGE_SIZE - (uintptr_t)va % PAGE_SIZE;

	while (n < len && pagemap_phys(va + n) == phys + n)
		n += PAGE_SIZE;
	return n < len ? n : len;
}

/*
 * Three ranges: from the middle of huge page 0 across huge pages 1-3 into
 * the small pages; three small pages and a byte; one page of huge page 0
 * that the first range does not cover.  Prepared, the segments are the
 * memory's pages, the first one as long as the huge pages it covers are
 * adjacent; READ and WRITE follow a model; completing releases every pin.
 */
TEST_F(iobmd_runs, huge_and_small)
{
	__u8 *a = self->a;
	struct iobmd_range r[3] = {
		{ (uintptr_t)a + HUGE_SIZE / 2 + 5, 5 * HUGE_SIZE },
		{ (uintptr_t)a + 7 * HUGE_SIZE, 3 * PAGE_SIZE + 1 },
		{ (uintptr_t)a + 10, PAGE_SIZE },
	};
	__u64 edges[8], len = 0, sum, pages = 0, first;
	struct iobmd_segment *segs;
	long long pins;
	size_t ne = 0;
	__u32 h, nr, i;
	__u8 *model;

	for (i = 0; i != 3; i++) {
		pages += (r[i].address + r[i].length - 1) / PAGE_SIZE -
			 r[i].address / PAGE_SIZE + 1;
		edges[ne++] = len;
		len += r[i].length;
	}
	edges[ne++] = HUGE_SIZE / 2 - 5;	/* end of huge page 0 */
	edges[ne++] = 3 * HUGE_SIZE + HUGE_SIZE / 2 - 5; /* first small page */
	edges[ne++] = len - 1;
	ASSERT_LT(512, pages);
	model = malloc(len);
	ASSERT_NE(NULL, model);
	for (i = 0, len = 0; i != 3; i++) {
		memcpy(model + len, (void *)(uintptr_t)r[i].address,
		       r[i].length);
		len += r[i].length;
	}

	pins = pins_held();
	ASSERT_LE(0, pins);
	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, r, 3, &h);
	test_ioctl_prepare(h, 0);
	ASSERT_EQ(pages * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(pins + (long long)pages, pins_held());

	test_get_all_segments(h, 0, 0, &segs, &nr);
	check_segments_match(_metadata, segs, nr, r, 3);
	/* The first segment is as long as the memory is contiguous. */
	first = contiguous_bytes(a + HUGE_SIZE / 2 + 5, r[0].length);
	ASSERT_LE(HUGE_SIZE / 2 - 5, first);
	ASSERT_EQ(first, segs[0].len);
	free(segs);
	/* A range inside huge page 2: one segment, found in the middle. */
	test_get_all_segments(h, 2 * HUGE_SIZE, 3 * PAGE_SIZE, &segs, &nr);
	ASSERT_EQ(1, nr);
	ASSERT_EQ(pagemap_phys(a + 2 * HUGE_SIZE + HUGE_SIZE / 2 + 5),
		  segs[0].addr);
	ASSERT_EQ(3 * PAGE_SIZE, segs[0].len);
	free(segs);
	/* The runs cover the length; there are no DMA ones (no device). */
	test_get_all_segments(h, 0, 0, &segs, &nr);
	for (i = 0, sum = 0; i != nr; i++)
		sum += segs[i].len;
	ASSERT_EQ(len, sum);
	free(segs);
	ASSERT_EQ(true, test_is_prepared(h));

	iobmd_rw_model(_metadata, self->fd, h, model, len, edges, ne, 300, 22);
	for (i = 0, len = 0; i != 3; i++) {
		ASSERT_EQ(0, memcmp((void *)(uintptr_t)r[i].address,
				    model + len, r[i].length))
			TH_LOG("range %u", i);
		len += r[i].length;
	}
	test_ioctl_complete(h, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(pins, pins_held());
	test_ioctl_release(h);
	free(model);
}

/*
 * A range over all four huge pages and 700 small pages, then a hole: the
 * prepare fails with EFAULT after pinning more than three batches, and
 * every one of those pins is released.
 */
TEST_F(iobmd_runs, fails_after_batches)
{
	__u8 *a = self->a;
	long long pins;
	__u8 byte;
	__u32 h;

	ASSERT_EQ(0, munmap(a + SMALL_OFF + 700 * PAGE_SIZE, PAGE_SIZE));
	pins = pins_held();
	ASSERT_LE(0, pins);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 3 * PAGE_SIZE,
				 SMALL_OFF + 800 * PAGE_SIZE, &h);
	test_err_prepare(EFAULT, h, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(pins, pins_held());
	test_err_read(EFAULT, h, SMALL_OFF + 800 * PAGE_SIZE - 1, &byte, 1);
	ASSERT_EQ(pins, pins_held());
	test_ioctl_release(h);
	/* Short of the hole, the same memory prepares. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 3 * PAGE_SIZE,
				 SMALL_OFF + 697 * PAGE_SIZE, &h);
	test_ioctl_prepare(h, 0);
	ASSERT_EQ(pins + SMALL_OFF / PAGE_SIZE + 697, pins_held());
	test_ioctl_release(h);
	ASSERT_EQ(pins, pins_held());
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
}

TEST_HARNESS_MAIN

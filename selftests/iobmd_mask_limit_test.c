// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd physical masks whose limits lie inside a zone, and memory right
 * up to a limit.  iobmd_mask_test's masks have their limits on zone
 * boundaries (16 MiB, 4 GiB, 64 GiB), where a zone's memory is below the
 * limit anyway; these hold 4 MiB buffers until the memory under the limit
 * runs out (ENOMEM), so that every chunk the allocator offers, from every
 * zone, meets the check, and memory up to the limit, not only below the
 * mask's top bit, is found.  The _found tests first leave the allocator
 * offering memory above the limit before the memory freed below it: the
 * module places buffers there by physical address, for callers with
 * CAP_IPC_LOCK (placed memory is charged to no memory cgroup).
 *
 * Needs root (IOBMD_GET_SEGMENTS), and RAM between 2 and 4 GiB (the 6 GiB
 * guest has 2 to 3 GiB).  Runs alone: it takes most of ZONE_DMA and
 * ZONE_DMA32 for a moment, and each test leaves the module's counters as
 * found.
 */
#include "iobmd_utils.h"
#include "iobmd_stats.h"

/* Every segment: non-empty, ends at or below @limit; @len in all. */
static void check_segments(struct __test_metadata *_metadata,
			   const struct iobmd_segment *segs, __u32 nr,
			   __u64 len, __u64 limit)
{
	__u64 sum = 0;
	__u32 i;

	ASSERT_LT(0, nr);
	for (i = 0; i != nr; i++) {
		ASSERT_LT(0, segs[i].len) TH_LOG("segment %u", i);
		ASSERT_GE(limit, segs[i].addr + segs[i].len - 1)
			TH_LOG("segment %u: 0x%llx + 0x%llx above 0x%llx", i,
			       segs[i].addr, segs[i].len, limit);
		sum += segs[i].len;
	}
	ASSERT_EQ(len, sum);
}

/* The module's counters as the fixture found them: so again at teardown. */
static struct iobmd_test_stats iobmd_mask_limit_found;

FIXTURE(iobmd_mask_limit)
{
	int fd;
};

FIXTURE_SETUP(iobmd_mask_limit)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&iobmd_mask_limit_found));
}

FIXTURE_TEARDOWN(iobmd_mask_limit)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_mask_limit_found));
}

#ifdef __aarch64__
/*
 * QEMU's arm64 virt has its RAM from 1 GiB: the limit inside the zone
 * below 4 GiB (ZONE_DMA there) is 2 GiB.
 */
#define MASK_1G		0x000000007FFFF000ULL
#define LIMIT_1G	(2 * SZ_1G - 1)
#else
#define MASK_1G		0x000000003FFFF000ULL	/* limit 1 GiB - 1, in ZONE_DMA32 */
#define LIMIT_1G	(SZ_1G - 1)
#endif
#define MASK_4G		0x00000000FFFFF000ULL	/* limit 4 GiB - 1 */
#define MAX_HELD	2048			/* 8 GiB of 4 MiB buffers */

/*
 * Creates SZ_4M buffers of @opts under @mask until ENOMEM, holding them in
 * @h (at most MAX_HELD), and checks each one's segments end at or below
 * @limit.  With @reach, stops at the first buffer that has a byte at or
 * above @reach and returns 1; else returns 0 at ENOMEM.  *@n: how many are
 * held (the caller releases them).  Logs how many and the highest byte.
 */
static int hold_until_enomem(struct __test_metadata *_metadata, int fd,
			     __u32 opts, __u64 mask, __u64 limit, __u64 reach,
			     __u32 *h, int *n)
{
	struct iobmd_segment *segs;
	__u64 top = 0;
	__u32 nr, i;
	int ret;

	for (*n = 0; *n < MAX_HELD; (*n)++) {
		ret = _test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					     IOBMD_DIRECTION_INOUT | opts,
					     SZ_4M, 0, mask, NULL, 0, &h[*n]);
		if (ret) {
			ASSERT_EQ(ENOMEM, errno)
				TH_LOG("buffer %d under 0x%llx", *n, mask);
			TH_LOG("mask 0x%llx: ENOMEM after %d buffers, highest byte 0x%llx",
			       mask, *n, top);
			return 0;
		}
		ASSERT_EQ(0, _test_get_all_segments(fd, h[*n], 0, 0, &segs,
						    &nr));
		if (opts & IOBMD_OPT_PHYSICALLY_CONTIGUOUS) {
			ASSERT_EQ(1, nr);
		}
		check_segments(_metadata, segs, nr, SZ_4M, limit);
		for (i = 0; i != nr; i++) {
			if (segs[i].addr + segs[i].len - 1 > top)
				top = segs[i].addr + segs[i].len - 1;
		}
		free(segs);
		if (reach && top >= reach) {
			(*n)++;
			TH_LOG("mask 0x%llx: byte 0x%llx in buffer %d", mask,
			       top, *n);
			return 1;
		}
	}
	ASSERT_LT(*n, MAX_HELD) TH_LOG("no ENOMEM after %d buffers", *n);
	return 0;
}

static void release_held(struct __test_metadata *_metadata, int fd,
			 const __u32 *h, int n)
{
	while (n--)
		ASSERT_EQ(0, _test_ioctl_release(fd, h[n]));
}

/*
 * 0x3FFFF000: a limit of 1 GiB, inside ZONE_DMA32.  Every chunk of every
 * 4 MiB buffer lies below it, until ENOMEM: chunks ZONE_DMA32 offers above
 * the limit are refused, whichever zone the search has reached.
 */
TEST_F_TIMEOUT(iobmd_mask_limit, limit_inside_zone, 240)
{
	__u32 *h = calloc(MAX_HELD, sizeof(*h));
	int n;

	ASSERT_NE(NULL, h);
	hold_until_enomem(_metadata, self->fd, 0, MASK_1G, LIMIT_1G, 0, h,
			  &n);
	ASSERT_LT(0, n) TH_LOG("not one 4 MiB buffer below 1 GiB");
	release_held(_metadata, self->fd, h, n);
	free(h);
}

/* The same for contiguous buffers. */
TEST_F_TIMEOUT(iobmd_mask_limit, limit_inside_zone_contiguous, 240)
{
	__u32 *h = calloc(MAX_HELD, sizeof(*h));
	int n;

	ASSERT_NE(NULL, h);
	hold_until_enomem(_metadata, self->fd, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			  MASK_1G, LIMIT_1G, 0, h, &n);
	release_held(_metadata, self->fd, h, n);
	free(h);
}

#define FREED_BELOW	16	/* 64 MiB given back below the limit */
#define FOUND_BELOW	8	/* 32 MiB asked for under it */

/*
 * Leaves the memory below 4 GiB so that the page allocator offers memory
 * above LIMIT_1G first: holds contiguous 4 MiB buffers under MASK_4G until
 * ENOMEM, then releases FREED_BELOW of those at or below the limit and,
 * after them, every one above it (the allocator hands out what was freed
 * last first).  The buffers still held are in @h, *@n of them.
 */
static void free_above_last(struct __test_metadata *_metadata, int fd,
			    __u32 *h, int *n)
{
	struct iobmd_segment *segs;
	int i, kept = 0, freed = 0;
	__u8 *below;
	__u32 nr;

	hold_until_enomem(_metadata, fd, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			  MASK_4G, SZ_4G - 1, 0, h, n);
	below = calloc(*n ?: 1, 1);
	ASSERT_NE(NULL, below);
	for (i = 0; i < *n; i++) {
		ASSERT_EQ(0, _test_get_all_segments(fd, h[i], 0, 0, &segs,
						    &nr));
		below[i] = segs[0].addr + SZ_4M - 1 <= LIMIT_1G;
		free(segs);
	}
	for (i = 0; i < *n && freed < FREED_BELOW; i++) {
		if (below[i]) {
			ASSERT_EQ(0, _test_ioctl_release(fd, h[i]));
			below[i] = 2;
			freed++;
		}
	}
	ASSERT_EQ(FREED_BELOW, freed)
		TH_LOG("%d of %d 4 MiB buffers under 4 GiB lie below 0x%llx",
		       freed, *n, LIMIT_1G);
	for (i = 0; i < *n; i++) {
		if (!below[i]) {
			ASSERT_EQ(0, _test_ioctl_release(fd, h[i]));
		} else if (below[i] == 1) {
			h[kept++] = h[i];
		}
	}
	TH_LOG("%d buffers under 4 GiB: %d given back, %d below 0x%llx kept",
	       *n, *n - kept, kept, LIMIT_1G);
	*n = kept;
	free(below);
}

/*
 * Memory below a limit inside the zone is found even when the allocator
 * offers memory above the limit first: FOUND_BELOW buffers fit in the
 * FREED_BELOW buffers' worth just given back below it.
 */
static void found_below(struct __test_metadata *_metadata, int fd, __u32 opts)
{
	__u32 *h = calloc(MAX_HELD, sizeof(*h)), got[FOUND_BELOW];
	struct iobmd_segment *segs;
	int n, i, ret;
	__u32 nr;

	ASSERT_NE(NULL, h);
	free_above_last(_metadata, fd, h, &n);
	for (i = 0; i < FOUND_BELOW; i++) {
		ret = _test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					     IOBMD_DIRECTION_INOUT | opts,
					     SZ_4M, 0, MASK_1G, NULL, 0, &got[i]);
		ASSERT_EQ(0, ret)
			TH_LOG("buffer %d under 0x%llx: %s, with %d MiB just freed below the limit",
			       i, MASK_1G, strerror(errno), FREED_BELOW * 4);
		ASSERT_EQ(0, _test_get_all_segments(fd, got[i], 0, 0, &segs,
						    &nr));
		check_segments(_metadata, segs, nr, SZ_4M, LIMIT_1G);
		free(segs);
	}
	release_held(_metadata, fd, got, FOUND_BELOW);
	release_held(_metadata, fd, h, n);
	free(h);
}

TEST_F_TIMEOUT(iobmd_mask_limit, limit_inside_zone_found, 240)
{
	found_below(_metadata, self->fd, 0);
}

TEST_F_TIMEOUT(iobmd_mask_limit, limit_inside_zone_found_contiguous, 240)
{
	found_below(_metadata, self->fd, IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
}

/*
 * Placed memory is charged to no memory cgroup: without CAP_IPC_LOCK a
 * caller gets only what the allocator offers below the limit, which in
 * this state is not FOUND_BELOW buffers' worth.  Exits with how many it
 * held at once (released before it exits), or 100 + a step that failed.
 */
static int unplaced_child(int fd)
{
	__u32 got[FOUND_BELOW];
	int i, n;

	if (iobmd_drop_cap(CAP_IPC_LOCK))
		return 100;
	for (n = 0; n < FOUND_BELOW; n++) {
		if (_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					   IOBMD_DIRECTION_INOUT, SZ_4M, 0,
					   MASK_1G, NULL, 0, &got[n])) {
			if (errno != ENOMEM)
				return 101;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		if (_test_ioctl_release(fd, got[i]))
			return 102;
	}
	return n;
}

TEST_F_TIMEOUT(iobmd_mask_limit, limit_inside_zone_unplaced_without_cap, 240)
{
	__u32 *h = calloc(MAX_HELD, sizeof(*h));
	int n, status;
	pid_t pid;

	ASSERT_NE(NULL, h);
	free_above_last(_metadata, self->fd, h, &n);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unplaced_child(self->fd));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_GT(FOUND_BELOW, WEXITSTATUS(status))
		TH_LOG("without CAP_IPC_LOCK: %d buffers below 0x%llx",
		       WEXITSTATUS(status), LIMIT_1G);
	release_held(_metadata, self->fd, h, n);
	free(h);
}

/* Bytes of top-level "System RAM" in /proc/iomem within [@lo, @hi). */
static __u64 iomem_ram_between(__u64 lo, __u64 hi)
{
	unsigned long long start, end;
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	__u64 sum = 0;
	int off;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == ' ' ||
		    sscanf(line, "%llx-%llx : %n", &start, &end, &off) != 2 ||
		    strncmp(line + off, "System RAM", 10))
			continue;
		if (start < lo)
			start = lo;
		if (end > hi - 1)
			end = hi - 1;
		if (start <= end)
			sum += end - start + 1;
	}
	fclose(f);
	return sum;
}

/*
 * 0xFFFFF000 allows memory right up to 4 GiB - 1, not only below the
 * mask's top bit: contiguous buffers held until ENOMEM reach RAM at or
 * above 2 GiB, which the guest has below 4 GiB.  A limit derived as the
 * mask alone (0xFFFFF000, not 0xFFFFFFFF) gives them a 31-bit device.
 */
TEST_F_TIMEOUT(iobmd_mask_limit, limit_reached_contiguous, 240)
{
	__u32 *h = calloc(MAX_HELD, sizeof(*h));
	__u64 ram = iomem_ram_between((2 * SZ_1G), SZ_4G);
	int n, found;

	ASSERT_NE(NULL, h);
	ASSERT_LE(64 * SZ_1M, ram)
		TH_LOG("%llu bytes of RAM in [2 GiB, 4 GiB): the test needs more",
		       ram);
	found = hold_until_enomem(_metadata, self->fd,
				  IOBMD_OPT_PHYSICALLY_CONTIGUOUS, MASK_4G,
				  SZ_4G - 1, (2 * SZ_1G), h, &n);
	EXPECT_EQ(1, found)
		TH_LOG("%d contiguous 4 MiB buffers, none at or above 2 GiB",
		       n);
	release_held(_metadata, self->fd, h, n);
	free(h);
}

TEST_HARNESS_MAIN

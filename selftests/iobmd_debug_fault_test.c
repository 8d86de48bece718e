// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on every /dev/iobmd path: each allocation a path
 * makes is failed in turn, with failslab (kmalloc and kmem caches) and with
 * fail_page_alloc (the page allocator) in separate sweeps.
 *
 * A sweep runs its path with the Nth allocation failing, for N = 1, 2, ...
 * until the path runs to its end without reaching the Nth allocation.  It
 * asserts that
 * - a call that failed returned ENOMEM, left no handle behind and left
 *   the module's counters (/sys/kernel/debug/iobmd/stats) as they were;
 * - a call that succeeded although an allocation failed (a fallback took
 *   over) made an object that works, and releasing it restores the counters;
 * - the last run, with nothing failed, succeeds.
 * Each test prints how many faults it injected; the last one the totals.
 *
 * The Nth allocation is chosen with /proc/thread-self/fail-nth, which
 * counts exactly the calls this thread makes into the fault injectors.
 * The debugfs attributes of failslab and fail_page_alloc only decide which
 * allocations count: the sweep's own injector takes sleeping allocations
 * (ignore-gfp-wait=N) of any order (min-order=0), the other injector takes
 * none, and neither fails anything on its own (probability=0).
 *
 * Needs CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and
 * CONFIG_FAULT_INJECTION_DEBUG_FS: the debug kernel of `make check-debug`
 * runs it (iobmd_debug_* programs); without them every test fails.
 */
#include <stdio.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"

#define FAILSLAB_DIR	"/sys/kernel/debug/failslab/"
#define FAIL_PAGE_DIR	"/sys/kernel/debug/fail_page_alloc/"
#define FAIL_NTH	"/proc/thread-self/fail-nth"

/* No path makes nearly this many allocations. */
#define FAULT_MAX_CALLS	4000

enum fault_kind { FAULT_SLAB, FAULT_PAGE, FAULT_NR_KINDS };
static const char *const fault_kind_names[] = { "failslab", "fail_page_alloc" };

/* Totals across the tests, which the harness runs in child processes. */
struct fault_totals {
	unsigned long paths[FAULT_NR_KINDS];
	unsigned long injected[FAULT_NR_KINDS];
	unsigned long absorbed[FAULT_NR_KINDS];
};
static struct fault_totals *totals;

static __attribute__((constructor)) void fault_totals_init(void)
{
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		totals = NULL;
	else
		memset(totals, 0, sizeof(*totals));
}

/* --- the debugfs knobs ------------------------------------------------ */

struct fault_knob {
	const char *path;
	const char *value[FAULT_NR_KINDS];	/* for a slab / a page sweep */
};

static const struct fault_knob fault_knobs[] = {
	{ .path = FAILSLAB_DIR "probability", .value = { "0", "0" } },
	{ .path = FAILSLAB_DIR "verbose", .value = { "1", "1" } },
	{ .path = FAILSLAB_DIR "task-filter", .value = { "Y", "Y" } },
	{ .path = FAILSLAB_DIR "ignore-gfp-wait", .value = { "N", "Y" } },
	{ .path = FAILSLAB_DIR "cache-filter", .value = { "N", "Y" } },	/* no cache is marked */
	{ .path = FAIL_PAGE_DIR "probability", .value = { "0", "0" } },
	{ .path = FAIL_PAGE_DIR "verbose", .value = { "1", "1" } },
	{ .path = FAIL_PAGE_DIR "task-filter", .value = { "Y", "Y" } },
	{ .path = FAIL_PAGE_DIR "ignore-gfp-wait", .value = { "Y", "N" } },
	{ .path = FAIL_PAGE_DIR "ignore-gfp-highmem", .value = { "Y", "N" } },
	{ .path = FAIL_PAGE_DIR "min-order", .value = { "11", "0" } },	/* 11: above any order */
};

#define FAULT_NR_KNOBS ARRAY_SIZE(fault_knobs)

/* The knobs' values as found, in fault_knobs[]' order. */
struct fault_saved_knobs {
	char v[FAULT_NR_KNOBS][32];
};

static int knob_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

/* Saves every knob's value; returns NULL, or the path that failed. */
static const char *knobs_save(struct fault_saved_knobs *saved)
{
	size_t i;

	for (i = 0; i < FAULT_NR_KNOBS; i++)
		if (knob_read(fault_knobs[i].path, saved->v[i], sizeof(saved->v[i])))
			return fault_knobs[i].path;
	return NULL;
}

/* Sets the knobs for a sweep of @kind; returns NULL or the failed path. */
static const char *knobs_apply(enum fault_kind kind)
{
	size_t i;

	for (i = 0; i < FAULT_NR_KNOBS; i++)
		if (iobmd_write_file(fault_knobs[i].path, fault_knobs[i].value[kind]))
			return fault_knobs[i].path;
	return NULL;
}

/* Puts back what knobs_save() saved; NULL, or the last path that failed. */
static const char *knobs_restore(const struct fault_saved_knobs *saved)
{
	const char *bad = NULL;
	size_t i;

	for (i = FAULT_NR_KNOBS; i--;)
		if (iobmd_write_file(fault_knobs[i].path, saved->v[i]))
			bad = fault_knobs[i].path;
	return bad;
}

/* --- one path ------------------------------------------------------------ */

#define FAULT_USER_PAGES 16

struct fault_ctx {
	int fd;
	__u32 pre[4];		/* made unarmed, before the armed call */
	int npre;
	__u32 made;		/* the handle the armed call made, if any */
	void *map;		/* the mapping the armed call made, if any */
	size_t map_len;
	__u8 *user;		/* user memory general descriptors describe */
	__u8 *io;		/* READ / WRITE buffer */
	size_t io_len;
	struct iobmd_range ranges[3];
	__u32 handles[3];
	__u64 expect_len;
	__u32 expect_kind;
	union {
		struct iobmd_buf_create buf;
		struct iobmd_general_create gen;
		struct iobmd_sub_create sub;
		struct iobmd_multi_create multi;
		struct iobmd_interleaved_create il;
		struct iobmd_interleaved_set il_set;
		struct iobmd_prepare prep;
		struct iobmd_rw rw;
		struct iobmd_segments segs;
		struct iobmd_map map;
	} cmd;
	struct iobmd_segment segbuf[64];
};

/*
 * A path: @setup makes what the call needs (unarmed), @op is the armed
 * call and nothing else (no library call that could enter the kernel),
 * @check proves a successful call's result works, @undo releases it, and
 * @unchanged proves a failed call changed nothing beyond the counters.
 * Each returns 0 or -1 (with errno, and *why set by @check/@unchanged).
 */
struct fault_path {
	const char *name;
	int (*setup)(struct fault_ctx *c);
	int (*op)(struct fault_ctx *c);
	int (*check)(struct fault_ctx *c, const char **why);
	int (*undo)(struct fault_ctx *c);
	int (*unchanged)(struct fault_ctx *c, const char **why);
};

static int make_buffer(struct fault_ctx *c, __u32 flags, __u32 options,
		       __u64 capacity, __u64 alignment, __u64 mask)
{
	__u32 h = 0;

	if (_test_ioctl_buf_create(c->fd, flags, options, capacity, alignment,
				   mask, NULL, 0, &h))
		return -1;
	c->pre[c->npre++] = h;
	return 0;
}

/* Ranges of c->user: across pages, unaligned, of uneven lengths. */
static void fill_ranges(struct fault_ctx *c)
{
	c->ranges[0] = (struct iobmd_range){ (uintptr_t)c->user + 100, 5000 };
	c->ranges[1] = (struct iobmd_range){
		(uintptr_t)c->user + 3 * PAGE_SIZE + 7, 2 * PAGE_SIZE };
	c->ranges[2] = (struct iobmd_range){
		(uintptr_t)c->user + 8 * PAGE_SIZE, 3 * PAGE_SIZE + 1 };
}

static __u64 ranges_len(const struct fault_ctx *c)
{
	return c->ranges[0].length + c->ranges[1].length + c->ranges[2].length;
}

static int make_general(struct fault_ctx *c)
{
	struct iobmd_general_create cmd = {
		.size = sizeof(cmd),
		.options = IOBMD_DIRECTION_INOUT,
		.ranges = (uintptr_t)c->ranges,
		.count = 3,
	};

	fill_ranges(c);
	if (ioctl(c->fd, IOBMD_GENERAL_CREATE, &cmd))
		return -1;
	c->pre[c->npre++] = cmd.handle;
	return 0;
}

static int do_prepare(int fd, __u32 handle, __u32 direction)
{
	struct iobmd_prepare cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.direction = direction,
	};

	return ioctl(fd, IOBMD_PREPARE, &cmd);
}

static int do_complete(int fd, __u32 handle)
{
	struct iobmd_prepare cmd = { .size = sizeof(cmd), .handle = handle };

	return ioctl(fd, IOBMD_COMPLETE, &cmd);
}

/* The byte of the general descriptor over fill_ranges() at @off. */
static __u8 general_byte(const struct fault_ctx *c, __u64 off)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (off < c->ranges[i].length)
			return *(__u8 *)(uintptr_t)(c->ranges[i].address + off);
		off -= c->ranges[i].length;
	}
	return 0;
}

/* The handle the call made has the kind and length expected, and reads. */
static int check_made(struct fault_ctx *c, const char **why)
{
	struct iobmd_info info;
	__u8 byte;

	if (!c->made) {
		*why = "the call succeeded without a handle";
		return -1;
	}
	if (_test_ioctl_get_info(c->fd, c->made, &info)) {
		*why = "GET_INFO on the new handle failed";
		return -1;
	}
	if (info.kind != c->expect_kind || info.length != c->expect_len) {
		*why = "the new descriptor has the wrong kind or length";
		return -1;
	}
	if (info.length &&
	    _test_ioctl_rw(c->fd, IOBMD_READ, c->made, info.length - 1, &byte,
			   1, NULL)) {
		*why = "the new descriptor's last byte cannot be read";
		return -1;
	}
	return 0;
}

static int undo_made(struct fault_ctx *c)
{
	int ret = _test_ioctl_release(c->fd, c->made);

	c->made = 0;
	return ret;
}

/* BUF_CREATE in its forms */

static int op_buf_create(struct fault_ctx *c)
{
	int ret = ioctl(c->fd, IOBMD_BUF_CREATE, &c->cmd.buf);

	if (!ret)
		c->made = c->cmd.buf.handle;
	return ret;
}

static void set_buf_create(struct fault_ctx *c, __u32 flags, __u64 capacity,
			   __u64 alignment, __u64 mask)
{
	c->cmd.buf = (struct iobmd_buf_create){
		.size = sizeof(c->cmd.buf),
		.flags = flags,
		.options = IOBMD_DIRECTION_INOUT,
		.capacity = capacity,
		.alignment = alignment,
		.phys_mask = mask,
	};
	c->expect_kind = IOBMD_KIND_BUFFER;
	c->expect_len = capacity;
}

static int setup_buf_options(struct fault_ctx *c)
{
	set_buf_create(c, 0, 64 * PAGE_SIZE + 3, 0, 0);
	return 0;
}

static int setup_buf_aligned(struct fault_ctx *c)
{
	/* Alignment above a page: physically contiguous, from the buddy. */
	set_buf_create(c, 0, 32 * PAGE_SIZE, SZ_64K, 0);
	return 0;
}

static int setup_buf_mask(struct fault_ctx *c)
{
	/* Below 4 GiB, page aligned: pages from ZONE_DMA32. */
	set_buf_create(c, IOBMD_BUF_CREATE_PHYS_MASK, 64 * PAGE_SIZE, 0,
		       0x00000000FFFFF000ULL);
	return 0;
}

static int setup_buf_mask_contig(struct fault_ctx *c)
{
	/* Below 4 GiB, 64 KiB aligned: contiguous. */
	set_buf_create(c, IOBMD_BUF_CREATE_PHYS_MASK, 32 * PAGE_SIZE, 0,
		       0x00000000FFFF0000ULL);
	return 0;
}

static int setup_buf_bytes(struct fault_ctx *c)
{
	iobmd_fill_pattern(c->io, 10000, 0, 7);
	set_buf_create(c, IOBMD_BUF_CREATE_WITH_BYTES, 0, 0, 0);
	c->cmd.buf.bytes = (uintptr_t)c->io;
	c->cmd.buf.bytes_len = 10000;
	c->expect_len = 10000;
	return 0;
}

static int check_buf_bytes(struct fault_ctx *c, const char **why)
{
	__u8 back[10000];

	if (check_made(c, why))
		return -1;
	if (_test_ioctl_rw(c->fd, IOBMD_READ, c->made, 0, back, sizeof(back),
			   NULL) ||
	    iobmd_check_pattern(back, sizeof(back), 0, 7) != sizeof(back)) {
		*why = "withBytes did not copy the bytes";
		return -1;
	}
	return 0;
}

/* GENERAL_CREATE, PREPARE */

static int setup_general_create(struct fault_ctx *c)
{
	fill_ranges(c);
	c->cmd.gen = (struct iobmd_general_create){
		.size = sizeof(c->cmd.gen),
		.options = IOBMD_DIRECTION_INOUT,
		.ranges = (uintptr_t)c->ranges,
		.count = 3,
	};
	c->expect_kind = IOBMD_KIND_GENERAL;
	c->expect_len = ranges_len(c);
	return 0;
}

static int op_general_create(struct fault_ctx *c)
{
	int ret = ioctl(c->fd, IOBMD_GENERAL_CREATE, &c->cmd.gen);

	if (!ret)
		c->made = c->cmd.gen.handle;
	return ret;
}

static int op_prepare(struct fault_ctx *c)
{
	return ioctl(c->fd, IOBMD_PREPARE, &c->cmd.prep);
}

static int undo_prepare(struct fault_ctx *c)
{
	return do_complete(c->fd, c->cmd.prep.handle);
}

/* GET_SEGMENTS of @handle with @flags: 0 or -1/errno. */
static int segments(struct fault_ctx *c, __u32 handle, __u32 flags)
{
	struct iobmd_segments cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.handle = handle,
		.count = 64,
		.segs = (uintptr_t)c->segbuf,
	};

	return ioctl(c->fd, IOBMD_GET_SEGMENTS, &cmd);
}

/*
 * Whether @handle is prepared, for descriptors of user memory (not
 * buffers): their physical segments exist only then (ENODATA otherwise).
 */
static bool user_prepared(struct fault_ctx *c, __u32 handle)
{
	return !segments(c, handle, 0);
}

/*
 * Prepared: physical segments exist, the prepare is counted, and there
 * are no DMA segments (a prepare from userspace maps for no device).
 */
static int check_prepared(struct fault_ctx *c, const char **why)
{
	if (segments(c, c->cmd.prep.handle, 0)) {
		*why = "no physical segments after a successful PREPARE";
		return -1;
	}
	if (!segments(c, c->cmd.prep.handle, IOBMD_SEGMENTS_DMA) ||
	    errno != ENODATA) {
		*why = "DMA segments (not ENODATA) after a PREPARE from userspace";
		return -1;
	}
	if (iobmd_stat("prepares") < 1) {
		*why = "a successful PREPARE is not counted in prepares";
		return -1;
	}
	return 0;
}

static int unchanged_unprepared(struct fault_ctx *c, const char **why)
{
	struct iobmd_info info;

	if (_test_ioctl_get_info(c->fd, c->cmd.prep.handle, &info)) {
		*why = "GET_INFO failed";
		return -1;
	}
	if (info.kind != IOBMD_KIND_BUFFER &&
	    user_prepared(c, c->cmd.prep.handle)) {
		*why = "a failed PREPARE left the descriptor prepared";
		return -1;
	}
	if (do_complete(c->fd, c->cmd.prep.handle) != -1 || errno != EINVAL) {
		*why = "a failed PREPARE left a prepare to complete";
		return -1;
	}
	return 0;
}

static void set_prepare(struct fault_ctx *c, __u32 handle, __u32 direction)
{
	c->cmd.prep = (struct iobmd_prepare){
		.size = sizeof(c->cmd.prep),
		.handle = handle,
		.direction = direction,
	};
}

static int setup_general_prepare(struct fault_ctx *c)
{
	if (make_general(c))
		return -1;
	set_prepare(c, c->pre[0], IOBMD_DIRECTION_INOUT);
	return 0;
}

static int setup_buffer_prepare(struct fault_ctx *c)
{
	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 64 * PAGE_SIZE, 0, 0))
		return -1;
	set_prepare(c, c->pre[0], IOBMD_DIRECTION_INOUT);
	return 0;
}

/* PHYS32 holds for a buffer its mask placed below 4 GiB. */
static int setup_buffer_prepare32(struct fault_ctx *c)
{
	if (make_buffer(c, IOBMD_BUF_CREATE_PHYS_MASK, IOBMD_DIRECTION_INOUT,
			64 * PAGE_SIZE, 0, 0x00000000FFFFF000ULL))
		return -1;
	set_prepare(c, c->pre[0],
		    IOBMD_DIRECTION_INOUT | IOBMD_PREPARE_PHYS32);
	return 0;
}

/* Made in setup: a multi descriptor of two general ones; its handle. */
static int make_multi_general(struct fault_ctx *c, __u32 *handle)
{
	struct iobmd_multi_create cmd = {
		.size = sizeof(cmd),
		.direction = IOBMD_DIRECTION_INOUT,
		.handles = (uintptr_t)c->handles,
		.count = 2,
	};

	if (make_general(c) || make_general(c))
		return -1;
	c->handles[0] = c->pre[0];
	c->handles[1] = c->pre[1];
	if (ioctl(c->fd, IOBMD_MULTI_CREATE, &cmd))
		return -1;
	c->pre[c->npre++] = cmd.handle;
	*handle = cmd.handle;
	return 0;
}

/* A multi descriptor of two general ones: the second may fail. */
static int setup_multi_general_prepare(struct fault_ctx *c)
{
	__u32 h;

	if (make_multi_general(c, &h))
		return -1;
	set_prepare(c, h, IOBMD_DIRECTION_INOUT);
	return 0;
}

static int unchanged_multi_unprepared(struct fault_ctx *c, const char **why)
{
	int i;

	if (unchanged_unprepared(c, why))
		return -1;
	/* Neither piece may stay prepared (pinned: the counters) either. */
	for (i = 0; i < 2; i++) {
		if (user_prepared(c, c->pre[i])) {
			*why = "a failed PREPARE left a piece prepared";
			return -1;
		}
	}
	return 0;
}

/* SUB, MULTI, INTERLEAVED */

static int setup_sub_create(struct fault_ctx *c)
{
	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 16 * PAGE_SIZE, 0, 0))
		return -1;
	c->cmd.sub = (struct iobmd_sub_create){
		.size = sizeof(c->cmd.sub),
		.parent = c->pre[0],
		.direction = IOBMD_DIRECTION_IN,
		.offset = 100,
		.length = 3 * PAGE_SIZE,
	};
	c->expect_kind = IOBMD_KIND_SUB;
	c->expect_len = 3 * PAGE_SIZE;
	return 0;
}

static int op_sub_create(struct fault_ctx *c)
{
	int ret = ioctl(c->fd, IOBMD_SUB_CREATE, &c->cmd.sub);

	if (!ret)
		c->made = c->cmd.sub.handle;
	return ret;
}

static int setup_multi_create(struct fault_ctx *c)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT,
				(i + 1) * PAGE_SIZE + i, 0, 0))
			return -1;
		c->handles[i] = c->pre[i];
	}
	c->cmd.multi = (struct iobmd_multi_create){
		.size = sizeof(c->cmd.multi),
		.direction = IOBMD_DIRECTION_OUT,
		.handles = (uintptr_t)c->handles,
		.count = 3,
	};
	c->expect_kind = IOBMD_KIND_MULTI;
	c->expect_len = 6 * PAGE_SIZE + 3;
	return 0;
}

static int op_multi_create(struct fault_ctx *c)
{
	int ret = ioctl(c->fd, IOBMD_MULTI_CREATE, &c->cmd.multi);

	if (!ret)
		c->made = c->cmd.multi.handle;
	return ret;
}

static int setup_interleaved_create(struct fault_ctx *c)
{
	c->cmd.il = (struct iobmd_interleaved_create){
		.size = sizeof(c->cmd.il),
		.direction = IOBMD_DIRECTION_INOUT,
		.capacity = 8,
	};
	c->expect_kind = IOBMD_KIND_INTERLEAVED;
	c->expect_len = 0;
	return 0;
}

static int op_interleaved_create(struct fault_ctx *c)
{
	int ret = ioctl(c->fd, IOBMD_INTERLEAVED_CREATE, &c->cmd.il);

	if (!ret)
		c->made = c->cmd.il.handle;
	return ret;
}

static int setup_interleaved_set(struct fault_ctx *c)
{
	struct iobmd_interleaved_create cmd = {
		.size = sizeof(cmd),
		.direction = IOBMD_DIRECTION_INOUT,
		.capacity = 8,
	};

	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 8 * PAGE_SIZE, 0, 0))
		return -1;
	if (ioctl(c->fd, IOBMD_INTERLEAVED_CREATE, &cmd))
		return -1;
	c->pre[c->npre++] = cmd.handle;
	c->cmd.il_set = (struct iobmd_interleaved_set){
		.size = sizeof(c->cmd.il_set),
		.handle = cmd.handle,
		.piece = c->pre[0],
		.offset = PAGE_SIZE + 1,
		.length = 2 * PAGE_SIZE,
	};
	return 0;
}

static int op_interleaved_set(struct fault_ctx *c)
{
	return ioctl(c->fd, IOBMD_INTERLEAVED_SET, &c->cmd.il_set);
}

static int interleaved_len(struct fault_ctx *c, __u64 *len)
{
	struct iobmd_info info;

	if (_test_ioctl_get_info(c->fd, c->cmd.il_set.handle, &info))
		return -1;
	*len = info.length;
	return 0;
}

static int check_interleaved_set(struct fault_ctx *c, const char **why)
{
	__u64 len;

	if (interleaved_len(c, &len) || len != 2 * PAGE_SIZE) {
		*why = "the piece was not appended";
		return -1;
	}
	return 0;
}

static int undo_interleaved_set(struct fault_ctx *c)
{
	return _test_ioctl_set(c->fd, IOBMD_INTERLEAVED_CLEAR,
			       c->cmd.il_set.handle, 0, NULL);
}

static int unchanged_interleaved(struct fault_ctx *c, const char **why)
{
	__u64 len;

	if (interleaved_len(c, &len) || len) {
		*why = "a failed INTERLEAVED_SET changed the length";
		return -1;
	}
	return 0;
}

/* MAP and mmap() */

static int op_map_mmap(struct fault_ctx *c)
{
	if (ioctl(c->fd, IOBMD_MAP, &c->cmd.map))
		return -1;
	c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->fd, (off_t)c->cmd.map.cookie);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return -1;
	}
	return 0;
}

/* The whole mapping of @handle; MAP, asked once unarmed, gives its size. */
static int set_map(struct fault_ctx *c, __u32 handle)
{
	c->cmd.map = (struct iobmd_map){
		.size = sizeof(c->cmd.map),
		.handle = handle,
	};
	if (ioctl(c->fd, IOBMD_MAP, &c->cmd.map))
		return -1;
	c->map_len = c->cmd.map.extent;
	c->cmd.map.len = 0;
	return 0;
}

static int setup_mmap_pages(struct fault_ctx *c)
{
	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 64 * PAGE_SIZE, 0, 0))
		return -1;
	return set_map(c, c->pre[0]);
}

static int setup_mmap_contig(struct fault_ctx *c)
{
	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 32 * PAGE_SIZE, SZ_64K, 0))
		return -1;
	return set_map(c, c->pre[0]);
}

static int setup_mmap_general(struct fault_ctx *c)
{
	struct iobmd_general_create cmd = {
		.size = sizeof(cmd),
		.options = IOBMD_DIRECTION_INOUT,
		.ranges = (uintptr_t)c->ranges,
		.count = 1,
	};

	/* One range: pieces whose page offsets differ cannot be mapped. */
	c->ranges[0] = (struct iobmd_range){ (uintptr_t)c->user + 100,
					     5 * PAGE_SIZE };
	if (ioctl(c->fd, IOBMD_GENERAL_CREATE, &cmd))
		return -1;
	c->pre[c->npre++] = cmd.handle;
	/* User memory maps only while prepared. */
	if (do_prepare(c->fd, cmd.handle, 0))
		return -1;
	return set_map(c, cmd.handle);
}

/* What the mapping shows and what READ returns agree, both ways. */
static int check_mapping(struct fault_ctx *c, const char **why)
{
	size_t len = c->map_len < 3 * PAGE_SIZE ? c->map_len : 3 * PAGE_SIZE;
	__u64 delta = c->cmd.map.addr_offset;
	__u8 *p = c->map;
	__u8 back[64];

	if (!p) {
		*why = "mmap() succeeded without a mapping";
		return -1;
	}
	if (_test_ioctl_rw(c->fd, IOBMD_READ, c->cmd.map.handle, 0, back,
			   sizeof(back), NULL) ||
	    memcmp(back, p + delta, sizeof(back))) {
		*why = "the mapping does not show the descriptor";
		return -1;
	}
	iobmd_fill_pattern(p + delta, sizeof(back), 0, 11);
	iobmd_fill_pattern(p + len - sizeof(back), sizeof(back), 0, 12);
	if (_test_ioctl_rw(c->fd, IOBMD_READ, c->cmd.map.handle, 0, back,
			   sizeof(back), NULL) ||
	    iobmd_check_pattern(back, sizeof(back), 0, 11) != sizeof(back)) {
		*why = "writes through the mapping do not reach the descriptor";
		return -1;
	}
	return 0;
}

static int undo_mapping(struct fault_ctx *c)
{
	int ret = munmap(c->map, c->map_len);

	c->map = NULL;
	return ret;
}

/* READ, WRITE, APPEND, GET_SEGMENTS */

static void set_rw(struct fault_ctx *c, __u32 handle, __u64 offset, __u64 len)
{
	c->cmd.rw = (struct iobmd_rw){
		.size = sizeof(c->cmd.rw),
		.handle = handle,
		.offset = offset,
		.buf = (uintptr_t)c->io,
		.len = len,
	};
	c->io_len = len;
}

static int op_read(struct fault_ctx *c)
{
	return ioctl(c->fd, IOBMD_READ, &c->cmd.rw);
}

static int op_write(struct fault_ctx *c)
{
	return ioctl(c->fd, IOBMD_WRITE, &c->cmd.rw);
}

static int op_append(struct fault_ctx *c)
{
	return ioctl(c->fd, IOBMD_APPEND, &c->cmd.rw);
}

static int setup_read_general(struct fault_ctx *c)
{
	if (make_general(c))
		return -1;
	set_rw(c, c->pre[0], 50, ranges_len(c) - 60);
	memset(c->io, 0xAA, c->io_len);
	return 0;
}

static int check_read_general(struct fault_ctx *c, const char **why)
{
	__u64 i;

	for (i = 0; i < c->io_len; i++) {
		if (c->io[i] != general_byte(c, 50 + i)) {
			*why = "READ returned the wrong bytes";
			return -1;
		}
	}
	return 0;
}

static int unchanged_read(struct fault_ctx *c, const char **why)
{
	if (iobmd_check_bytes(c->io, c->io_len, 0xAA) != c->io_len) {
		*why = "a failed READ wrote to the destination";
		return -1;
	}
	return 0;
}

static int setup_write_general(struct fault_ctx *c)
{
	iobmd_fill_pattern(c->user, FAULT_USER_PAGES * PAGE_SIZE, 0, 3);
	if (make_general(c))
		return -1;
	set_rw(c, c->pre[0], 50, ranges_len(c) - 60);
	iobmd_fill_pattern(c->io, c->io_len, 0, 13);
	return 0;
}

static int check_write_general(struct fault_ctx *c, const char **why)
{
	__u64 i;

	for (i = 0; i < c->io_len; i++) {
		if (general_byte(c, 50 + i) != c->io[i]) {
			*why = "WRITE did not write the bytes";
			return -1;
		}
	}
	return 0;
}

/* The user memory still holds the pattern setup gave it. */
static int unchanged_user(struct fault_ctx *c, const char **why)
{
	if (iobmd_check_pattern(c->user, FAULT_USER_PAGES * PAGE_SIZE, 0, 3) !=
	    FAULT_USER_PAGES * PAGE_SIZE) {
		*why = "a failed WRITE changed the memory";
		return -1;
	}
	return 0;
}

static int setup_read_multi_general(struct fault_ctx *c)
{
	__u32 h;

	if (make_multi_general(c, &h))
		return -1;
	set_rw(c, h, 0, 2 * ranges_len(c));
	memset(c->io, 0xAA, c->io_len);
	return 0;
}

static int setup_rw_buffer(struct fault_ctx *c)
{
	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 16 * PAGE_SIZE, 0, 0))
		return -1;
	set_rw(c, c->pre[0], 10, 10 * PAGE_SIZE);
	iobmd_fill_pattern(c->io, c->io_len, 0, 17);
	return 0;
}

static int setup_append_buffer(struct fault_ctx *c)
{
	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 16 * PAGE_SIZE, 0, 0) ||
	    _test_ioctl_set(c->fd, IOBMD_SET_LENGTH, c->pre[0], 5, NULL))
		return -1;
	set_rw(c, c->pre[0], 0, 10 * PAGE_SIZE);
	iobmd_fill_pattern(c->io, c->io_len, 0, 19);
	return 0;
}

static int setup_segments_buffer(struct fault_ctx *c)
{
	if (make_buffer(c, 0, IOBMD_DIRECTION_INOUT, 64 * PAGE_SIZE, 0, 0))
		return -1;
	c->cmd.segs = (struct iobmd_segments){
		.size = sizeof(c->cmd.segs),
		.handle = c->pre[0],
		.count = 64,
		.segs = (uintptr_t)c->segbuf,
	};
	return 0;
}

/* User memory has physical segments only while prepared. */
static int setup_segments_general(struct fault_ctx *c)
{
	if (make_general(c) || do_prepare(c->fd, c->pre[0], 0))
		return -1;
	c->cmd.segs = (struct iobmd_segments){
		.size = sizeof(c->cmd.segs),
		.handle = c->pre[0],
		.count = 64,
		.segs = (uintptr_t)c->segbuf,
	};
	return 0;
}

static int op_segments(struct fault_ctx *c)
{
	c->cmd.segs.count = 64;
	return ioctl(c->fd, IOBMD_GET_SEGMENTS, &c->cmd.segs);
}

static const struct fault_path path_buf_options = {
	"BUF_CREATE inTaskWithOptions", setup_buf_options, op_buf_create,
	check_made, undo_made, NULL,
};
static const struct fault_path path_buf_aligned = {
	"BUF_CREATE 64 KiB aligned (contiguous)", setup_buf_aligned,
	op_buf_create, check_made, undo_made, NULL,
};
static const struct fault_path path_buf_mask = {
	"BUF_CREATE inTaskWithPhysicalMask", setup_buf_mask, op_buf_create,
	check_made, undo_made, NULL,
};
static const struct fault_path path_buf_mask_contig = {
	"BUF_CREATE physical mask, contiguous", setup_buf_mask_contig,
	op_buf_create, check_made, undo_made, NULL,
};
static const struct fault_path path_buf_bytes = {
	"BUF_CREATE withBytes", setup_buf_bytes, op_buf_create,
	check_buf_bytes, undo_made, NULL,
};
static const struct fault_path path_general_create = {
	"GENERAL_CREATE", setup_general_create, op_general_create,
	check_made, undo_made, NULL,
};
static const struct fault_path path_general_prepare = {
	"PREPARE general", setup_general_prepare, op_prepare,
	check_prepared, undo_prepare, unchanged_unprepared,
};
static const struct fault_path path_buffer_prepare = {
	"PREPARE buffer", setup_buffer_prepare, op_prepare,
	check_prepared, undo_prepare, unchanged_unprepared,
};
static const struct fault_path path_buffer_prepare32 = {
	"PREPARE buffer PHYS32", setup_buffer_prepare32, op_prepare,
	check_prepared, undo_prepare, unchanged_unprepared,
};
static const struct fault_path path_multi_general_prepare = {
	"PREPARE multi of two general", setup_multi_general_prepare,
	op_prepare, check_prepared, undo_prepare, unchanged_multi_unprepared,
};
static const struct fault_path path_sub_create = {
	"SUB_CREATE", setup_sub_create, op_sub_create, check_made, undo_made,
	NULL,
};
static const struct fault_path path_multi_create = {
	"MULTI_CREATE", setup_multi_create, op_multi_create, check_made,
	undo_made, NULL,
};
static const struct fault_path path_interleaved_create = {
	"INTERLEAVED_CREATE", setup_interleaved_create, op_interleaved_create,
	check_made, undo_made, NULL,
};
static const struct fault_path path_interleaved_set = {
	"INTERLEAVED_SET", setup_interleaved_set, op_interleaved_set,
	check_interleaved_set, undo_interleaved_set, unchanged_interleaved,
};
static const struct fault_path path_mmap_pages = {
	"MAP + mmap buffer pages", setup_mmap_pages, op_map_mmap,
	check_mapping, undo_mapping, NULL,
};
static const struct fault_path path_mmap_contig = {
	"MAP + mmap contiguous buffer", setup_mmap_contig, op_map_mmap,
	check_mapping, undo_mapping, NULL,
};
static const struct fault_path path_mmap_general = {
	"MAP + mmap prepared general", setup_mmap_general, op_map_mmap,
	check_mapping, undo_mapping, NULL,
};
static const struct fault_path path_read_general = {
	"READ general", setup_read_general, op_read, check_read_general,
	NULL, unchanged_read,
};
static const struct fault_path path_write_general = {
	"WRITE general", setup_write_general, op_write, check_write_general,
	NULL, unchanged_user,
};
static const struct fault_path path_read_multi_general = {
	"READ multi of two general", setup_read_multi_general, op_read,
	NULL, NULL, unchanged_read,
};
static const struct fault_path path_read_buffer = {
	"READ buffer", setup_rw_buffer, op_read, NULL, NULL, NULL,
};
static const struct fault_path path_write_buffer = {
	"WRITE buffer", setup_rw_buffer, op_write, NULL, NULL, NULL,
};
static const struct fault_path path_append_buffer = {
	"APPEND buffer", setup_append_buffer, op_append, NULL, NULL, NULL,
};
static const struct fault_path path_segments_buffer = {
	"GET_SEGMENTS buffer", setup_segments_buffer, op_segments, NULL,
	NULL, NULL,
};
static const struct fault_path path_segments_general = {
	"GET_SEGMENTS of prepared general", setup_segments_general,
	op_segments, NULL, NULL, NULL,
};

/* --- the sweep --------------------------------------------------------- */

FIXTURE(fault)
{
	int fd;
	int nth;		/* /proc/thread-self/fail-nth */
	struct fault_saved_knobs saved;	/* the knobs as found; restored */
	struct fault_ctx c;
};

FIXTURE_VARIANT(fault)
{
	const struct fault_path *path;
	enum fault_kind kind;
};

#define FAULT_PATH(name)                                                 \
	FIXTURE_VARIANT_ADD(fault, name##_slab) {                        \
		.path = &path_##name, .kind = FAULT_SLAB,                \
	};                                                               \
	FIXTURE_VARIANT_ADD(fault, name##_page) {                        \
		.path = &path_##name, .kind = FAULT_PAGE,                \
	}

FAULT_PATH(buf_options);
FAULT_PATH(buf_aligned);
FAULT_PATH(buf_mask);
FAULT_PATH(buf_mask_contig);
FAULT_PATH(buf_bytes);
FAULT_PATH(general_create);
FAULT_PATH(general_prepare);
FAULT_PATH(buffer_prepare);
FAULT_PATH(buffer_prepare32);
FAULT_PATH(multi_general_prepare);
FAULT_PATH(sub_create);
FAULT_PATH(multi_create);
FAULT_PATH(interleaved_create);
FAULT_PATH(interleaved_set);
FAULT_PATH(mmap_pages);
FAULT_PATH(mmap_contig);
FAULT_PATH(mmap_general);
FAULT_PATH(read_general);
FAULT_PATH(write_general);
FAULT_PATH(read_multi_general);
FAULT_PATH(read_buffer);
FAULT_PATH(write_buffer);
FAULT_PATH(append_buffer);
FAULT_PATH(segments_buffer);
FAULT_PATH(segments_general);

FIXTURE_SETUP(fault)
{
	struct fault_ctx *c = &self->c;
	const char *bad;

	self->nth = -1;
	iobmd_fixture_open(self->fd);
	if (access(FAILSLAB_DIR "probability", W_OK))
		SKIP(return, "no failslab in debugfs: this test needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug kernel, selftests/config.debug)");
	if (access(FAIL_PAGE_DIR "probability", W_OK))
		SKIP(return, "no fail_page_alloc in debugfs: this test needs CONFIG_FAIL_PAGE_ALLOC (the debug kernel, selftests/config.debug)");
	self->nth = open(FAIL_NTH, O_RDWR);
	ASSERT_NE(-1, self->nth) TH_LOG("cannot open %s", FAIL_NTH);

	c->fd = self->fd;
	c->user = mmap(NULL, FAULT_USER_PAGES * PAGE_SIZE,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	ASSERT_NE(MAP_FAILED, c->user);
	c->io = mmap(NULL, 4 * FAULT_USER_PAGES * PAGE_SIZE,
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c->io);
	/* Touched now, so no page fault allocates while a fault is armed. */
	iobmd_fill_pattern(c->user, FAULT_USER_PAGES * PAGE_SIZE, 0, 3);
	memset(c->io, 0, 4 * FAULT_USER_PAGES * PAGE_SIZE);

	/* Last: the teardown runs only once the setup got to its end. */
	bad = knobs_save(&self->saved);
	ASSERT_EQ(NULL, bad) TH_LOG("cannot read %s", bad);
	bad = knobs_apply(variant->kind);
	if (bad)
		knobs_restore(&self->saved);
	ASSERT_EQ(NULL, bad) TH_LOG("cannot write %s", bad);
}

/*
 * Run by the harness outside the test's body, also after a failed
 * ASSERT_*() (a FIXTURE_TEARDOWN() is skipped then at -O2), so the
 * debugfs knobs are put back whatever happened.  It may run in the
 * test's process or in its parent, so it reaches fail-nth by path (in the
 * parent that is its own thread's, unarmed) and leaves setup's files
 * alone (they close as their process exits).  EXPECT_*() only: after a
 * failed assertion any ASSERT_*() would end it there.
 */
FIXTURE_TEARDOWN_PARENT(fault)
{
	const char *bad;

	/* Disarmed first, so that restoring the knobs fails nothing. */
	iobmd_write_file(FAIL_NTH, "0");
	bad = knobs_restore(&self->saved);
	EXPECT_EQ(NULL, bad) TH_LOG("cannot restore %s", bad);
}

/* Releases what setup made; every handle must exist. */
static int fault_release_pre(struct fault_ctx *c)
{
	int ret = 0;

	while (c->npre) {
		if (_test_ioctl_release(c->fd, c->pre[--c->npre]))
			ret = -1;
	}
	return ret;
}

/* Every handle up to a few past setup's is setup's or names nothing. */
static int fault_no_stray_handle(struct fault_ctx *c, __u32 *stray)
{
	__u32 top = 0, h;
	struct iobmd_info info;
	int i;

	for (i = 0; i < c->npre; i++)
		if (c->pre[i] > top)
			top = c->pre[i];
	for (h = 1; h <= top + 4; h++) {
		bool known = false;

		for (i = 0; i < c->npre; i++)
			known |= c->pre[i] == h;
		if (known)
			continue;
		if (!_test_ioctl_get_info(c->fd, h, &info) || errno != ENOENT) {
			*stray = h;
			return -1;
		}
	}
	return 0;
}

TEST_F_TIMEOUT(fault, sweep, 600)
{
	const struct fault_path *path = variant->path;
	const char *kind = fault_kind_names[variant->kind];
	struct iobmd_test_stats base, before, after;
	unsigned long injected = 0, absorbed = 0;
	struct fault_ctx *c = &self->c;
	const char *why = NULL;
	bool done = false;
	char nbuf[16];
	int n;

	iobmd_touch_stack();
	ASSERT_EQ(0, iobmd_read_stats(&base))
		TH_LOG("cannot read %s", IOBMD_STATS_PATH);

	/*
	 * Once unarmed first: the path must work, and what it sets up on
	 * first use (slab caches) is there before the sweep starts.
	 */
	for (n = 0; n <= FAULT_MAX_CALLS && !done; n++) {
		bool armed = n > 0, hit;
		ssize_t len;
		int rc, err;
		__u32 stray = 0;

		c->made = 0;
		c->map = NULL;
		c->npre = 0;
		ASSERT_EQ(0, path->setup(c))
			TH_LOG("%s: setup failed: %s", path->name,
			       strerror(errno));
		ASSERT_EQ(0, iobmd_read_stats(&before));

		if (armed) {
			len = snprintf(nbuf, sizeof(nbuf), "%d", n);
			ASSERT_EQ(len, pwrite(self->nth, nbuf, len, 0));
		}
		rc = path->op(c);
		err = errno;
		if (armed) {
			len = pread(self->nth, nbuf, sizeof(nbuf) - 1, 0);
			ASSERT_EQ(1, pwrite(self->nth, "0", 1, 0));
			ASSERT_LT(0, len);
			nbuf[len] = 0;
			hit = atoi(nbuf) == 0;
		} else {
			hit = false;
		}

		if (rc) {
			ASSERT_TRUE(hit)
				TH_LOG("%s: failed with nothing injected: %s",
				       path->name, strerror(err));
			ASSERT_EQ(ENOMEM, err)
				TH_LOG("%s, %s fault at allocation %d: errno %d (%s)",
				       path->name, kind, n, err, strerror(err));
			ASSERT_EQ(0, iobmd_read_stats(&after));
			ASSERT_STREQ("", iobmd_stats_diff(&before, &after))
				TH_LOG("%s, %s fault at allocation %d: the failed call changed the counters",
				       path->name, kind, n);
			ASSERT_EQ(0, fault_no_stray_handle(c, &stray))
				TH_LOG("%s, %s fault at allocation %d: handle %u exists after the failed call",
				       path->name, kind, n, stray);
			if (path->unchanged)
				ASSERT_EQ(0, path->unchanged(c, &why))
					TH_LOG("%s, %s fault at allocation %d: %s",
					       path->name, kind, n, why);
		} else {
			if (hit)
				absorbed++;
			if (path->check)
				ASSERT_EQ(0, path->check(c, &why))
					TH_LOG("%s, %s fault at allocation %d: %s",
					       path->name, kind, n, why);
			if (path->undo)
				ASSERT_EQ(0, path->undo(c))
					TH_LOG("%s: undoing the call failed: %s",
					       path->name, strerror(errno));
			ASSERT_EQ(0, iobmd_read_stats(&after));
			ASSERT_STREQ("", iobmd_stats_diff(&before, &after))
				TH_LOG("%s, %s fault at allocation %d: the counters differ after undoing a successful call",
				       path->name, kind, n);
			/* Ran to its end without reaching allocation n. */
			done = armed && !hit;
		}
		injected += hit;

		ASSERT_EQ(0, fault_release_pre(c));
		ASSERT_EQ(0, iobmd_read_stats(&after));
		ASSERT_STREQ("", iobmd_stats_diff(&base, &after))
			TH_LOG("%s, %s fault at allocation %d: the module holds more after everything was released",
			       path->name, kind, n);
	}
	ASSERT_TRUE(done) TH_LOG("%s: still failing after %d allocations",
				 path->name, FAULT_MAX_CALLS);

	ksft_print_msg("%s, %s: %lu fault(s) injected (%lu absorbed by a fallback), %d allocation(s) on the path\n",
		       path->name, kind, injected, absorbed, n - 2);
	fflush(stdout);
	if (totals) {
		totals->paths[variant->kind]++;
		totals->injected[variant->kind] += injected;
		totals->absorbed[variant->kind] += absorbed;
	}
}

/* After every sweep: the totals, and both injectors must have hit. */
FIXTURE(fault_total)
{
};

FIXTURE_SETUP(fault_total)
{
}

FIXTURE_TEARDOWN(fault_total)
{
}

TEST_F(fault_total, summary)
{
	int k;

	ASSERT_NE(NULL, totals);
	for (k = 0; k < FAULT_NR_KINDS; k++) {
		ksft_print_msg("%s: %lu fault(s) injected into %lu path(s), %lu absorbed by a fallback\n",
			       fault_kind_names[k], totals->injected[k],
			       totals->paths[k], totals->absorbed[k]);
		if (totals->paths[k])
			EXPECT_LT(0, totals->injected[k]);
	}
	ksft_print_msg("faults injected in all: %lu\n",
		       totals->injected[FAULT_SLAB] + totals->injected[FAULT_PAGE]);
	fflush(stdout);
}

TEST_HARNESS_MAIN

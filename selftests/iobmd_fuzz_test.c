// SPDX-License-Identifier: GPL-2.0
/*
 * A structured fuzzer for /dev/iobmd: a fixed number of random operations
 * from a fixed seed, each an ioctl (every command, and unknown ones) or an
 * mmap()-side operation (mmap, touching, MADV_DONTNEED, partial munmap,
 * fork), with argument values drawn from the boundaries (0, 1, page - 1,
 * page, 2^32 - 1, 2^32, 2^63, 2^64 - 1), from the objects it made, and at
 * random; struct sizes short, exact and long; pointers misaligned,
 * unmapped, in the kernel's half and straddling a guard page; handles live,
 * released, of another open file, of the wrong kind and made up.
 *
 * It checks only that every call returns 0 or an errno the ABI documents
 * for that call (uapi/iobmd.h, plus what the kernel's mmap() adds), and
 * at the end, once everything is closed and unmapped, that the module's
 * counters are back to zero.  The kernel's own checkers (KASAN, lockdep,
 * kmemleak) judge the rest.  It prints how many calls it made and which
 * errnos it saw.
 *
 * 20000 operations on the debug kernel (detected by kmemleak in debugfs),
 * 4000 elsewhere; IOBMD_FUZZ_OPS and IOBMD_FUZZ_SEED override.  While it
 * runs, max_capacity is 4 MiB and max_handles 48, so that E2BIG and EMFILE
 * are within reach and no buffer is large; both are restored afterwards.
 *
 * `make fuzz` (scripts/fuzz.sh) runs it longer, in several processes at
 * once, 64- and 32-bit, with more of its repertoire switched on:
 *   IOBMD_FUZZ_SHAPES=1  composed graphs (iobmd_fuzz_shapes.h);
 *   IOBMD_FUZZ_HUGE=1    huge composed graphs walked by a child that is
 *                        killed (iobmd_fuzz_shapes.h);
 *   IOBMD_FUZZ_SHARED=1  other fuzzers run beside it: the module's counters
 *                        are not its alone, so they are not checked at the
 *                        end (vm-run.sh checks them once all have exited).
 * The last line it prints, "fuzz-summary ...", is what fuzz.sh adds up.
 *
 * Memory the kernel may write to (READ destinations, segment arrays,
 * general descriptors that WRITE fills) is only ever the fuzzer's scratch
 * area, framed by inaccessible guard pages, or memory it mapped from
 * /dev/iobmd; physical and device memory only the RAM of a buffer it holds
 * and an unbacked physical window: anything else that gets created is
 * released at once.
 */
#define _FILE_OFFSET_BITS 64	/* 32-bit callers: mmap offsets past 2 GiB */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

#include <linux/dma-buf.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"

#define FUZZ_OPS_DEBUG		20000
#define FUZZ_OPS_DEFAULT	4000
#define FUZZ_SEED		0x10bd5eedULL

#define FUZZ_MAX_CAPACITY	"4194304"
#define FUZZ_MAX_HANDLES	"48"
#define PARAM_DIR		"/sys/module/iobmd/parameters/"

#define SCRATCH_PAGES		256
#define GUARD_PAGES		16
/* The scratch area's first bytes hold arrays a command points to. */
#define SCRATCH_ARGS		4096

/*
 * Device memory only in a window no device uses (960 GiB up, 64 MiB), or
 * above any physical address a CPU has (2^52).
 */
#define DEVMEM_BASE		0xF000000000ULL
#define DEVMEM_SIZE		(64ULL << 20)
#define PHYS_BEYOND		(1ULL << 52)

/* Fewer than max_handles, so that creates mostly succeed. */
#define FUZZ_MAX_OBJS		40
#define FUZZ_MAX_MAPS		24

#define KERNEL_PTR		0xffff888000000000ULL
/* An argument pointer the caller cannot reach: the kernel's, or the top page. */
#if UINTPTR_MAX > 0xFFFFFFFFU
#define KERNEL_ARGP		((void *)(uintptr_t)KERNEL_PTR)
#else
#define KERNEL_ARGP		((void *)(uintptr_t)0xFFFFF000U)
#endif

/* --- the commands and the errnos each may return ------------------------ */

#define ERRS(...) ((const int[]){ __VA_ARGS__, 0 })

struct fuzz_cmd {
	const char *name;
	unsigned long nr;
	size_t size;		/* sizeof the struct */
	size_t min_size;	/* end of its first version */
	const int *errs;	/* beyond EFAULT, EINVAL, E2BIG */
};

enum {
	C_VERSION, C_BUF_CREATE, C_RELEASE, C_GET_INFO, C_SET_LENGTH,
	C_SET_DIRECTION, C_SET_TAG, C_APPEND, C_READ, C_WRITE, C_SEGMENTS,
	C_MAP, C_GENERAL, C_SUB, C_MULTI, C_INTERLEAVED, C_IL_SET, C_IL_CLEAR,
	C_DEVICE, C_PREPARE, C_COMPLETE, C_PERFORM, C_PURGEABLE, C_EXPORT,
	C_IMPORT, C_NR_IOCTLS,
	C_UNKNOWN = C_NR_IOCTLS, C_MMAP, C_TOUCH, C_DONTNEED, C_MUNMAP,
	C_FORK, C_SHAPE, C_HUGE, C_NR,
};

#define CMD(_c, _nr, _type, _last, ...) \
	[_c] = { #_nr, _nr, sizeof(_type), offsetofend(_type, _last), \
		 ERRS(__VA_ARGS__) }

static const struct fuzz_cmd fuzz_cmds[C_NR] = {
	CMD(C_VERSION, IOBMD_GET_VERSION, struct iobmd_version, max_capacity,
	    0),
	CMD(C_BUF_CREATE, IOBMD_BUF_CREATE, struct iobmd_buf_create,
	    bytes_len, ENOMEM, EMFILE, EINTR, EOPNOTSUPP),
	CMD(C_RELEASE, IOBMD_RELEASE, struct iobmd_handle_arg, __reserved,
	    ENOENT),
	CMD(C_GET_INFO, IOBMD_GET_INFO, struct iobmd_info, __reserved,
	    ENOENT),
	CMD(C_SET_LENGTH, IOBMD_SET_LENGTH, struct iobmd_set_arg, value,
	    ENOENT, ENOTTY),
	CMD(C_SET_DIRECTION, IOBMD_SET_DIRECTION, struct iobmd_set_arg, value,
	    ENOENT),
	CMD(C_SET_TAG, IOBMD_SET_TAG, struct iobmd_set_arg, value, ENOENT),
	CMD(C_APPEND, IOBMD_APPEND, struct iobmd_rw, done,
	    ENOENT, ERANGE, ENOTTY),
	CMD(C_READ, IOBMD_READ, struct iobmd_rw, done,
	    ENOENT, ERANGE, EINTR, ENOMEM, EACCES, EPERM),
	CMD(C_WRITE, IOBMD_WRITE, struct iobmd_rw, done,
	    ENOENT, ERANGE, EINTR, ENOMEM, EACCES, EPERM),
	CMD(C_SEGMENTS, IOBMD_GET_SEGMENTS, struct iobmd_segments, total,
	    EPERM, ENOENT, ERANGE, ENODATA),
	CMD(C_MAP, IOBMD_MAP, struct iobmd_map, extent,
	    ENOENT, ERANGE, EOVERFLOW, ENODATA, ENOSPC, ENOMEM),
	CMD(C_GENERAL, IOBMD_GENERAL_CREATE, struct iobmd_general_create,
	    __reserved, EPERM, EMFILE, ENOMEM, EOVERFLOW),
	CMD(C_SUB, IOBMD_SUB_CREATE, struct iobmd_sub_create, length,
	    ERANGE, ENOENT, ELOOP, EMFILE, ENOMEM),
	CMD(C_MULTI, IOBMD_MULTI_CREATE, struct iobmd_multi_create,
	    __reserved, ENOENT, ELOOP, EOVERFLOW, EMFILE, ENOMEM),
	CMD(C_INTERLEAVED, IOBMD_INTERLEAVED_CREATE,
	    struct iobmd_interleaved_create, __reserved, EMFILE, ENOMEM),
	CMD(C_IL_SET, IOBMD_INTERLEAVED_SET, struct iobmd_interleaved_set,
	    length, EBUSY, ENOSPC, ERANGE, ENOENT, ELOOP, EOVERFLOW),
	CMD(C_IL_CLEAR, IOBMD_INTERLEAVED_CLEAR, struct iobmd_set_arg, value,
	    ENOENT, EBUSY),
	CMD(C_DEVICE, IOBMD_DEVICE_CREATE, struct iobmd_device_create, length,
	    EPERM, ENOMEM, EMFILE),
	/* Prepares only wire: no "other DMA range" (EBUSY); PHYS32 ERANGE. */
	CMD(C_PREPARE, IOBMD_PREPARE, struct iobmd_prepare, direction,
	    ENOENT, ENOMEM, EACCES, EPERM, EINTR, ERANGE, ENODATA),
	CMD(C_COMPLETE, IOBMD_COMPLETE, struct iobmd_prepare, direction,
	    ENOENT),
	/* EACCES: INVALIDATE of read-only memory (a read-only import). */
	CMD(C_PERFORM, IOBMD_PERFORM, struct iobmd_perform, len,
	    ENOENT, ERANGE, ENODATA, EACCES),
	CMD(C_PURGEABLE, IOBMD_SET_PURGEABLE, struct iobmd_set_arg, value,
	    ENOENT, EOPNOTSUPP),
	/* EACCES: user memory pinned read-only, exported writable. */
	CMD(C_EXPORT, IOBMD_EXPORT_DMABUF, struct iobmd_export_dmabuf,
	    __reserved, ENOENT, ERANGE, ENODATA, ENOMEM, EPERM, EINTR, EMFILE,
	    EACCES),
	/* Its own dma-bufs come back as subs: IOBMD_SUB_CREATE's errors. */
	CMD(C_IMPORT, IOBMD_IMPORT_DMABUF, struct iobmd_import_dmabuf,
	    __reserved, EBADF, EMFILE, ENFILE, ENOMEM, ERANGE, ELOOP),
	[C_UNKNOWN] = { "unknown command", 0, 0, 0, ERRS(ENOTTY) },
	/*
	 * The kernel's own mmap() adds EOVERFLOW (offset) to what iobmd has;
	 * ERANGE: pieces cleared under a composed descriptor; EPERM: device
	 * memory copy-back without CAP_SYS_RAWIO; ENODEV: memory an exporter
	 * keeps from the CPU.
	 */
	[C_MMAP] = { "mmap", 0, 0, 0,
		     ERRS(EINVAL, EACCES, ENOMEM, ENODATA, EOVERFLOW, ERANGE,
			  EINTR, EPERM, ENODEV) },
	[C_TOUCH] = { "touch a mapping", 0, 0, 0, ERRS(0) },
	[C_DONTNEED] = { "MADV_DONTNEED", 0, 0, 0, ERRS(EINVAL) },
	[C_MUNMAP] = { "munmap part", 0, 0, 0, ERRS(0) },
	[C_FORK] = { "fork", 0, 0, 0, ERRS(0) },
	/* Made of the calls above, each counted on its own line too. */
	[C_SHAPE] = { "composed shape", 0, 0, 0, ERRS(0) },
	[C_HUGE] = { "huge shape, walk killed", 0, 0, 0, ERRS(0) },
};

/* Relative weights of the operations. */
static const unsigned int fuzz_weights[C_NR] = {
	[C_VERSION] = 1, [C_BUF_CREATE] = 12, [C_RELEASE] = 6,
	[C_GET_INFO] = 3, [C_SET_LENGTH] = 3, [C_SET_DIRECTION] = 2,
	[C_SET_TAG] = 2, [C_APPEND] = 4, [C_READ] = 6, [C_WRITE] = 6,
	[C_SEGMENTS] = 4, [C_MAP] = 6, [C_GENERAL] = 6, [C_SUB] = 5,
	[C_MULTI] = 4, [C_INTERLEAVED] = 3, [C_IL_SET] = 5, [C_IL_CLEAR] = 2,
	[C_DEVICE] = 3, [C_PREPARE] = 6, [C_COMPLETE] = 4, [C_PERFORM] = 3,
	[C_PURGEABLE] = 2, [C_EXPORT] = 4, [C_IMPORT] = 2, [C_UNKNOWN] = 1, [C_MMAP] = 6, [C_TOUCH] = 3,
	[C_DONTNEED] = 2, [C_MUNMAP] = 2, [C_FORK] = 1,
	/* IOBMD_FUZZ_SHAPES; C_HUGE is drawn apart, 1 in HUGE_EVERY. */
	[C_SHAPE] = 0, [C_HUGE] = 0,
};

#define SHAPE_WEIGHT	4

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EBADF, "EBADF" }, { EINTR, "EINTR" },
	{ E2BIG, "E2BIG" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EINVAL, "EINVAL" }, { EMFILE, "EMFILE" }, { ENFILE, "ENFILE" }, { ENOTTY, "ENOTTY" },
	{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" }, { ELOOP, "ELOOP" },
	{ ENODATA, "ENODATA" }, { EOVERFLOW, "EOVERFLOW" },
	{ EOPNOTSUPP, "EOPNOTSUPP" },
};

#define NR_ERRNO_NAMES ARRAY_SIZE(errno_names)

static const char *errno_name(int err)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < NR_ERRNO_NAMES; i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static bool errno_allowed(int c, int err)
{
	const int *e;

	if (c < C_NR_IOCTLS && (err == EFAULT || err == EINVAL || err == E2BIG))
		return true;
	for (e = fuzz_cmds[c].errs; *e; e++)
		if (*e == err)
			return true;
	return false;
}

/* --- state ---------------------------------------------------------------- */

#define MAX_ERRNO 256

struct fuzz_obj {
	__u32 handle;
	__u32 kind;
};

struct fuzz_map {
	__u8 *addr;
	size_t len;
	int prot;
};

struct fuzz {
	__u64 seed;
	__u64 rng;
	int fd, fd_foreign, fd_arena;
	__u8 *reserve;		/* scratch with GUARD_PAGES around it */
	__u8 *scratch;
	size_t scratch_len;
	__u8 *guard;		/* the guard after the scratch */
	struct fuzz_obj obj[FUZZ_MAX_OBJS];
	int nobj;
	__u32 stale[16];
	int nstale;
	__u32 foreign[8];
	int nforeign;
	__u32 prepared[16];	/* handles PREPARE succeeded on, lately */
	__u32 purgeable[8];	/* buffers created purgeable, lately */
	int exports[8];		/* dma-buf fds kept open, a ring */
	unsigned int nexports;
	struct fuzz_map maps[FUZZ_MAX_MAPS];
	int nmaps;
	__u64 cookies[16];
	__u64 cookie_len[16];
	int ncookies;
	struct iobmd_segment arena[64];
	__u32 narena;
	unsigned long calls[C_NR];
	unsigned long ok[C_NR];
	unsigned long errs[C_NR][MAX_ERRNO];
	unsigned long released_unsafe;
	char bad[256];		/* the first call that broke the rules */
	/* make fuzz: see the top of the file */
	bool shapes, huge, shared;
	int fd_huge;		/* huge shapes live on a file of their own */
	int huge_lock;		/* IOBMD_FUZZ_HUGE_LOCK, or -1 */
	unsigned int kill_seconds;
	unsigned long too_long;	/* objects released rather than walked */
	unsigned long huge_walks, huge_finished;
	/* the most visits a huge shape made (and its length); the longest */
	__u64 huge_visits, huge_visits_len, huge_len;
	__u64 max_death_ms;	/* longest a killed walker took to go */
};

static __u64 edge_value(struct fuzz *f)
{
	const __u64 edges[] = {
		0, 1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 0xFFFFFFFFULL,
		0x100000000ULL, 1ULL << 63, ~0ULL, (1ULL << 63) - 1,
		1ULL << 31, 1ULL << 47, ~0ULL - PAGE_SIZE + 1,
	};

	return edges[iobmd_rand_below(&f->rng, ARRAY_SIZE(edges))];
}

/* Any 64-bit value, leaning to the boundaries and to small ones. */
static __u64 any_u64(struct fuzz *f)
{
	switch (iobmd_rand_below(&f->rng, 8)) {
	case 0:
	case 1:
	case 2:
		return edge_value(f);
	case 3:
		return iobmd_rand_below(&f->rng, 0x10000);
	case 4:
		return iobmd_rand_below(&f->rng, 8ULL << 20);
	case 5:
		return iobmd_rand_below(&f->rng, 1ULL << 47);
	case 6:
		return iobmd_rand_below(&f->rng, 1024) * PAGE_SIZE;
	}
	return iobmd_rand(&f->rng);
}

/* A length or offset in an object of @len bytes, or beside it. */
static __u64 pick_in(struct fuzz *f, __u64 len)
{
	switch (iobmd_rand_below(&f->rng, 10)) {
	case 0:
		return 0;
	case 1:
		return len;
	case 2:
		return len ? len - 1 : 0;
	case 3:
		return len + 1;
	case 4:
		return any_u64(f);
	case 5:
		return iobmd_rand_below(&f->rng, len / PAGE_SIZE + 1) * PAGE_SIZE;
	}
	return iobmd_rand_below(&f->rng, len + 1);
}

static __u32 any_u32(struct fuzz *f)
{
	switch (iobmd_rand_below(&f->rng, 6)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 0xFFFFFFFFU;
	case 3:
		return 1U << iobmd_rand_below(&f->rng, 32);
	}
	return (__u32)iobmd_rand(&f->rng);
}

/* A handle: mostly one of ours, else released, foreign or made up. */
static __u32 pick_handle(struct fuzz *f)
{
	unsigned int r = iobmd_rand_below(&f->rng, 100);

	if (r < 75 && f->nobj)
		return f->obj[iobmd_rand_below(&f->rng, f->nobj)].handle;
	if (r < 83 && f->nstale)
		return f->stale[iobmd_rand_below(&f->rng, f->nstale)];
	if (r < 91 && f->nforeign)
		return f->foreign[iobmd_rand_below(&f->rng, f->nforeign)];
	switch (iobmd_rand_below(&f->rng, 5)) {
	case 0:
		return 0;
	case 1:
		return 0xFFFFFFFFU;
	case 2:
		return 1U << 20;
	case 3:
		return (1U << 20) - 1;
	}
	return iobmd_rand_below(&f->rng, 64);
}

/* Mostly one of @recent (a ring of @n, 0 where empty), else any handle. */
static __u32 pick_recent(struct fuzz *f, const __u32 *recent, int n)
{
	__u32 h = recent[iobmd_rand_below(&f->rng, n)];

	return h && iobmd_rand_chance(&f->rng, 70) ? h : pick_handle(f);
}

static void remember(struct fuzz *f, __u32 *recent, int n, __u32 handle)
{
	recent[iobmd_rand_below(&f->rng, n)] = handle;
}

static int find_obj(struct fuzz *f, __u32 handle)
{
	int i;

	for (i = 0; i < f->nobj; i++)
		if (f->obj[i].handle == handle)
			return i;
	return -1;
}

static __u64 obj_length(struct fuzz *f, __u32 handle)
{
	struct iobmd_info info;

	if (_test_ioctl_get_info(f->fd, handle, &info))
		return iobmd_rand_below(&f->rng, 4 * PAGE_SIZE);
	return info.length;
}

/*
 * User memory the kernel may write: @len bytes of the scratch area, or a
 * pointer that faults (unmapped, a straddled guard page, the kernel's half).
 */
static __u64 out_ptr(struct fuzz *f, size_t len)
{
	size_t room;

	switch (iobmd_rand_below(&f->rng, 12)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)f->guard + iobmd_rand_below(&f->rng, PAGE_SIZE);
	case 2:
		/* Runs off the end of the scratch area into its guard. */
		return (uintptr_t)f->scratch + f->scratch_len - 1 - iobmd_rand_below(&f->rng, 64);
	case 3:
		return KERNEL_PTR + iobmd_rand_below(&f->rng, 1 << 20);
	case 4:
		return edge_value(f);
	}
	room = len < f->scratch_len ? f->scratch_len - len : 0;
	/* Any alignment. */
	return (uintptr_t)f->scratch + iobmd_rand_below(&f->rng, room + 1);
}

/* User memory the kernel only reads: the above, or one of our mappings. */
static __u64 in_ptr(struct fuzz *f, size_t len)
{
	if (f->nmaps && iobmd_rand_chance(&f->rng, 15)) {
		struct fuzz_map *m = &f->maps[iobmd_rand_below(&f->rng, f->nmaps)];

		if (m->prot & PROT_READ)
			return (uintptr_t)m->addr + iobmd_rand_below(&f->rng, m->len);
	}
	return out_ptr(f, len);
}

/*
 * Places a struct for an ioctl: its bytes at a random (often misaligned)
 * spot of the scratch area, with the size member fuzzed and, for a longer
 * size, a tail that is zero or not.  Returns the pointer to pass.
 */
static void *place(struct fuzz *f, int c, void *cmd)
{
	size_t size = fuzz_cmds[c].size, usize = size, tail = 0, off;
	__u8 *p;

	switch (iobmd_rand_below(&f->rng, 20)) {
	case 0:
		usize = fuzz_cmds[c].min_size - 1 - iobmd_rand_below(&f->rng, 4);
		break;
	case 1:
		usize = iobmd_rand_below(&f->rng, 2) ? 0 : 0xFFFFFFFFU;
		break;
	case 2:
	case 3:
		tail = 8 + iobmd_rand_below(&f->rng, 64);
		usize = size + tail;
		break;
	case 4:
		usize = fuzz_cmds[c].min_size;
		break;
	}
	((__u32 *)cmd)[0] = usize;
	off = SCRATCH_ARGS + iobmd_rand_below(&f->rng, f->scratch_len - SCRATCH_ARGS - size - 80);
	if (iobmd_rand_chance(&f->rng, 70))
		off &= ~7UL;
	p = f->scratch + off;
	memcpy(p, cmd, size);
	if (tail) {
		memset(p + size, 0, tail);
		if (iobmd_rand_chance(&f->rng, 50))
			p[size + iobmd_rand_below(&f->rng, tail)] = 1 + iobmd_rand_below(&f->rng, 255);
	} else if (usize == 0xFFFFFFFFU) {
		/* Zero up to the guard: the kernel reads until it faults. */
		memset(p + size, 0, f->scratch_len - off - size);
	}
	switch (iobmd_rand_below(&f->rng, 40)) {
	case 0:
		return NULL;
	case 1:
		return f->guard;
	case 2:
		return KERNEL_ARGP;
	case 3:
		/* The size is readable, the rest is not. */
		memcpy(f->scratch + f->scratch_len - 4, cmd, 4);
		return f->scratch + f->scratch_len - 4;
	}
	return p;
}

static void note(struct fuzz *f, int c, int ret, int err)
{
	f->calls[c]++;
	if (!ret) {
		f->ok[c]++;
		return;
	}
	f->errs[c][err < MAX_ERRNO ? err : 0]++;
	if (!errno_allowed(c, err) && !f->bad[0])
		snprintf(f->bad, sizeof(f->bad),
			 "%s returned %s, which it does not document (call %lu)",
			 fuzz_cmds[c].name, errno_name(err), f->calls[c]);
}

/* --- the objects it made ------------------------------------------------- */

static void forget(struct fuzz *f, __u32 handle)
{
	int i = find_obj(f, handle);

	if (i < 0)
		return;
	f->obj[i] = f->obj[--f->nobj];
	if (f->nstale == 16)
		f->stale[iobmd_rand_below(&f->rng, 16)] = handle;
	else
		f->stale[f->nstale++] = handle;
}

static void release(struct fuzz *f, __u32 handle)
{
	_test_ioctl_release(f->fd, handle);
	forget(f, handle);
}

/*
 * Records a new object; @safe is false for memory the fuzzer does not own
 * (physical or device ranges outside its arena and window), which is
 * released before anything can use it.
 */
static void record(struct fuzz *f, __u32 handle, __u32 kind, bool safe)
{
	int i = find_obj(f, handle);

	if (!safe) {
		if (_test_ioctl_release(f->fd, handle) && !f->bad[0])
			snprintf(f->bad, sizeof(f->bad),
				 "releasing new handle %u failed: %s", handle,
				 strerror(errno));
		if (i >= 0)
			forget(f, handle);
		f->released_unsafe++;
		return;
	}
	if (i < 0) {
		if (f->nobj == FUZZ_MAX_OBJS)
			release(f, f->obj[iobmd_rand_below(&f->rng, f->nobj)].handle);
		i = f->nobj++;
	}
	f->obj[i] = (struct fuzz_obj){ handle, kind };
	for (i = 0; i < f->nstale; i++)
		if (f->stale[i] == handle)
			f->stale[i] = f->stale[--f->nstale];
}

#include "iobmd_fuzz_shapes.h"

/* --- the ioctls ----------------------------------------------------------- */

static __u32 pick_direction(struct fuzz *f)
{
	return iobmd_rand_chance(&f->rng, 85) ? iobmd_rand_below(&f->rng, 4) : any_u32(f);
}

static int ioctl_at(struct fuzz *f, int c, void *cmd, void **where)
{
	*where = place(f, c, cmd);
	return ioctl(f->fd, fuzz_cmds[c].nr, *where);
}

/* The handle a successful create wrote back at @where + @off. */
static __u32 handle_at(void *where, size_t off)
{
	__u32 h;

	memcpy(&h, (__u8 *)where + off, sizeof(h));
	return h;
}

static int do_version(struct fuzz *f, void **where)
{
	struct iobmd_version cmd = { 0 };

	if (iobmd_rand_chance(&f->rng, 10))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 10))
		cmd.__reserved = any_u32(f);
	return ioctl_at(f, C_VERSION, &cmd, where);
}

static int do_buf_create(struct fuzz *f, void **where)
{
	static const __u32 caches[] = {
		IOBMD_CACHE_DEFAULT, IOBMD_CACHE_INHIBIT,
		IOBMD_CACHE_WRITE_THRU, IOBMD_CACHE_COPYBACK,
		IOBMD_CACHE_WRITE_COMBINE, IOBMD_CACHE_COPYBACK_INNER,
		IOBMD_CACHE_POSTED_WRITE, IOBMD_CACHE_REAL_TIME,
	};
	struct iobmd_buf_create cmd = { 0 };
	int ret;

	cmd.flags = iobmd_rand_below(&f->rng, 3);	/* options, mask, bytes */
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	cmd.options = iobmd_rand_below(&f->rng, 4);
	if (iobmd_rand_chance(&f->rng, 20))
		cmd.options |= IOBMD_OPT_PHYSICALLY_CONTIGUOUS;
	if (iobmd_rand_chance(&f->rng, 10))
		cmd.options |= caches[iobmd_rand_below(&f->rng, 8)];
	if (iobmd_rand_chance(&f->rng, 10))
		cmd.options |= IOBMD_OPT_PURGEABLE;
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.options = any_u32(f);
	cmd.capacity = iobmd_rand_chance(&f->rng, 75) ? 1 + iobmd_rand_below(&f->rng, 64 * PAGE_SIZE) : any_u64(f);
	if (cmd.flags == IOBMD_BUF_CREATE_PHYS_MASK) {
		static const __u64 masks[] = {
			0x00000000FFFFF000ULL, 0x00000000FFFF0000ULL,
			0x0000000000FFF000ULL, 0xFFFFFFFFFFFFF000ULL,
			0x00000000FFFFFFFFULL, 0x000000000000F000ULL,
		};
		cmd.phys_mask = iobmd_rand_chance(&f->rng, 80) ? masks[iobmd_rand_below(&f->rng, 6)] : any_u64(f);
	} else if (cmd.flags == IOBMD_BUF_CREATE_WITH_BYTES) {
		cmd.bytes_len = iobmd_rand_chance(&f->rng, 80) ? 1 + iobmd_rand_below(&f->rng, 4 * PAGE_SIZE) :
						any_u64(f);
		cmd.bytes = in_ptr(f, cmd.bytes_len);
		cmd.capacity = iobmd_rand_chance(&f->rng, 90) ? 0 : cmd.capacity;
	} else if (iobmd_rand_chance(&f->rng, 50)) {
		cmd.alignment = iobmd_rand_chance(&f->rng, 80) ? 1ULL << iobmd_rand_below(&f->rng, 18) : any_u64(f);
	}
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.handle = any_u32(f);
	ret = ioctl_at(f, C_BUF_CREATE, &cmd, where);
	if (!ret) {
		__u32 h = handle_at(*where,
				    offsetof(struct iobmd_buf_create, handle));

		record(f, h, IOBMD_KIND_BUFFER, true);
		if (cmd.options & IOBMD_OPT_PURGEABLE)
			remember(f, f->purgeable, 8, h);
	}
	return ret;
}

static int do_handle_cmd(struct fuzz *f, int c, void **where)
{
	struct iobmd_handle_arg cmd = { .handle = pick_handle(f) };
	int ret;

	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, c, &cmd, where);
	if (!ret)
		forget(f, cmd.handle);
	return ret;
}

static int do_get_info(struct fuzz *f, void **where)
{
	struct iobmd_info cmd = { .handle = pick_handle(f) };

	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u64(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.length = any_u64(f);	/* out: ignored */
	return ioctl_at(f, C_GET_INFO, &cmd, where);
}

static int do_set(struct fuzz *f, int c, void **where)
{
	struct iobmd_set_arg cmd = { .handle = pick_handle(f) };

	if (c == C_PURGEABLE)
		cmd.handle = pick_recent(f, f->purgeable, 8);
	if (f->shapes && c == C_PURGEABLE)
		sh_too_long(f, cmd.handle, obj_length(f, cmd.handle));
	switch (c) {
	case C_SET_LENGTH:
		cmd.value = pick_in(f, obj_length(f, cmd.handle));
		break;
	case C_SET_DIRECTION:
	case C_IL_CLEAR:
		cmd.value = iobmd_rand_chance(&f->rng, 85) ? iobmd_rand_below(&f->rng, 4) : any_u64(f);
		break;
	case C_PURGEABLE:
		cmd.value = iobmd_rand_chance(&f->rng, 85) ? iobmd_rand_below(&f->rng, 6) : any_u64(f);
		break;
	default:
		cmd.value = any_u64(f);
	}
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	return ioctl_at(f, c, &cmd, where);
}

static int do_rw(struct fuzz *f, int c, void **where)
{
	struct iobmd_rw cmd = { .handle = pick_handle(f) };
	__u64 len = obj_length(f, cmd.handle);

	sh_too_long(f, cmd.handle, len);

	if (c != C_APPEND || iobmd_rand_chance(&f->rng, 5))
		cmd.offset = pick_in(f, len);
	cmd.len = iobmd_rand_chance(&f->rng, 85) ? iobmd_rand_below(&f->rng, len + 2) : pick_in(f, len);
	if (c == C_APPEND && iobmd_rand_chance(&f->rng, 80))
		cmd.len = iobmd_rand_below(&f->rng, 3 * PAGE_SIZE);
	/* READ writes to the buffer; WRITE and APPEND read it. */
	cmd.buf = c == C_READ ? out_ptr(f, cmd.len) : in_ptr(f, cmd.len);
	if (c == C_WRITE && iobmd_rand_chance(&f->rng, 10))
		cmd.buf = 0;
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	return ioctl_at(f, c, &cmd, where);
}

static int do_segments(struct fuzz *f, void **where)
{
	struct iobmd_segments cmd = { .handle = pick_handle(f) };
	__u64 len = obj_length(f, cmd.handle);

	sh_too_long(f, cmd.handle, len);

	cmd.flags = iobmd_rand_chance(&f->rng, 70) ? 0 : iobmd_rand_chance(&f->rng, 80) ? IOBMD_SEGMENTS_DMA :
							any_u32(f);
	cmd.offset = iobmd_rand_chance(&f->rng, 60) ? 0 : pick_in(f, len);
	cmd.len = iobmd_rand_chance(&f->rng, 50) ? 0 : pick_in(f, len);
	cmd.count = iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, 300) : any_u32(f);
	/* The kernel writes at most one entry per page of the range. */
	cmd.segs = out_ptr(f, (size_t)(cmd.count < 300 ? cmd.count : 300) *
				      sizeof(struct iobmd_segment));
	return ioctl_at(f, C_SEGMENTS, &cmd, where);
}

static int do_map(struct fuzz *f, void **where)
{
	struct iobmd_map cmd = { .handle = pick_handle(f) };
	__u64 len = obj_length(f, cmd.handle);
	int ret, i;

	cmd.flags = iobmd_rand_chance(&f->rng, 60) ? 0 : iobmd_rand_chance(&f->rng, 50) ? IOBMD_MAP_READONLY :
		    iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, 8) << 8 : any_u32(f);
	cmd.offset = iobmd_rand_chance(&f->rng, 60) ? 0 : pick_in(f, len);
	if (iobmd_rand_chance(&f->rng, 70))
		cmd.offset &= ~(PAGE_SIZE - 1);
	cmd.len = iobmd_rand_chance(&f->rng, 50) ? 0 : pick_in(f, len);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, C_MAP, &cmd, where);
	if (!ret) {
		struct iobmd_map back;

		memcpy(&back, *where, sizeof(back));
		i = f->ncookies < 16 ? f->ncookies++ : (int)iobmd_rand_below(&f->rng, 16);
		f->cookies[i] = back.cookie;
		f->cookie_len[i] = back.extent - back.offset;
	}
	return ret;
}

/* User ranges the kernel may write through: scratch, mappings, or faults. */
static void pick_range(struct fuzz *f, struct iobmd_range *r, bool physical)
{
	if (physical) {
		if (f->narena && iobmd_rand_chance(&f->rng, 85)) {
			const struct iobmd_segment *s =
				&f->arena[iobmd_rand_below(&f->rng, f->narena)];
			__u64 off = iobmd_rand_below(&f->rng, s->len);

			r->address = s->addr + off;
			r->length = 1 + iobmd_rand_below(&f->rng, s->len - off);
		} else {
			r->address = any_u64(f);
			r->length = any_u64(f);
		}
		return;
	}
	switch (iobmd_rand_below(&f->rng, 10)) {
	case 0:
		r->address = out_ptr(f, 0);
		r->length = any_u64(f);
		return;
	case 1:
		/* Huge, from an unmapped low address: pinning must fail. */
		r->address = 0x10000 + iobmd_rand_below(&f->rng, 0x10000);
		r->length = 1 + iobmd_rand_below(&f->rng, 1ULL << 46);
		return;
	case 2:
		if (f->nmaps) {
			struct fuzz_map *m = &f->maps[iobmd_rand_below(&f->rng, f->nmaps)];
			__u64 off = iobmd_rand_below(&f->rng, m->len);

			r->address = (uintptr_t)m->addr + off;
			r->length = 1 + iobmd_rand_below(&f->rng, m->len - off);
			return;
		}
		break;
	}
	r->address = (uintptr_t)f->scratch + iobmd_rand_below(&f->rng, f->scratch_len);
	/* Mostly inside the scratch area, sometimes into its guard. */
	r->length = 1 + iobmd_rand_below(&f->rng, iobmd_rand_chance(&f->rng, 90) ?
			 f->scratch_len - (r->address - (uintptr_t)f->scratch) :
			 f->scratch_len);
}

/* Physical ranges are safe only inside the arena buffer. */
static bool in_arena(struct fuzz *f, const struct iobmd_range *r)
{
	__u32 i;

	for (i = 0; i < f->narena; i++)
		if (r->address >= f->arena[i].addr &&
		    r->length <= f->arena[i].len &&
		    r->address - f->arena[i].addr <= f->arena[i].len - r->length)
			return true;
	return false;
}

static int do_general(struct fuzz *f, void **where)
{
	struct iobmd_general_create cmd = { 0 };
	struct iobmd_range *ranges;
	bool safe = true;
	__u32 n, i;
	int ret;

	cmd.flags = iobmd_rand_chance(&f->rng, 80) ? 0 : iobmd_rand_chance(&f->rng, 80) ?
		    IOBMD_GENERAL_PHYSICAL : any_u32(f);
	cmd.options = pick_direction(f);
	n = iobmd_rand_chance(&f->rng, 90) ? 1 + iobmd_rand_below(&f->rng, 4) : any_u32(f);
	cmd.count = n;
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	/* The ranges array sits at the start of the scratch area. */
	ranges = (struct iobmd_range *)f->scratch;
	for (i = 0; i < n && i < 8; i++)
		pick_range(f, &ranges[i], cmd.flags & IOBMD_GENERAL_PHYSICAL);
	if (n > 8 || n == 0)
		safe = false;
	for (i = 0; i < n && i < 8; i++)
		if (cmd.flags & IOBMD_GENERAL_PHYSICAL &&
		    !in_arena(f, &ranges[i]))
			safe = false;
	cmd.ranges = iobmd_rand_chance(&f->rng, 95) ? (uintptr_t)ranges : out_ptr(f, 0);
	if (cmd.ranges != (uintptr_t)ranges)
		safe = false;
	/* place() keeps clear of the ranges. */
	ret = ioctl_at(f, C_GENERAL, &cmd, where);
	if (!ret)
		record(f, handle_at(*where, offsetof(struct iobmd_general_create,
						     handle)),
		       IOBMD_KIND_GENERAL, safe);
	return ret;
}

static int do_sub(struct fuzz *f, void **where)
{
	struct iobmd_sub_create cmd = { .parent = pick_handle(f) };
	__u64 len = obj_length(f, cmd.parent);
	int ret;

	cmd.direction = pick_direction(f);
	cmd.offset = iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, len + 1) : pick_in(f, len);
	cmd.length = iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, len - cmd.offset + 1) :
				     pick_in(f, len);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, C_SUB, &cmd, where);
	if (!ret)
		record(f, handle_at(*where, offsetof(struct iobmd_sub_create,
						     handle)),
		       IOBMD_KIND_SUB, true);
	return ret;
}

static int do_multi(struct fuzz *f, void **where)
{
	struct iobmd_multi_create cmd = { 0 };
	__u32 *handles = (__u32 *)f->scratch, n, i;
	int ret;

	n = iobmd_rand_chance(&f->rng, 90) ? 1 + iobmd_rand_below(&f->rng, 5) :
	    iobmd_rand_chance(&f->rng, 50) ? IOBMD_MULTI_MAX_PIECES + iobmd_rand_below(&f->rng, 2) : any_u32(f);
	cmd.count = n;
	for (i = 0; i < n && i < 16; i++)
		handles[i] = pick_handle(f);
	cmd.handles = iobmd_rand_chance(&f->rng, 95) ? (uintptr_t)handles : out_ptr(f, 0);
	cmd.direction = pick_direction(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, C_MULTI, &cmd, where);
	if (!ret)
		record(f, handle_at(*where, offsetof(struct iobmd_multi_create,
						     handle)),
		       IOBMD_KIND_MULTI, true);
	return ret;
}

static int do_interleaved(struct fuzz *f, void **where)
{
	struct iobmd_interleaved_create cmd = { 0 };
	int ret;

	cmd.capacity = iobmd_rand_chance(&f->rng, 85) ? iobmd_rand_below(&f->rng, 9) :
		       iobmd_rand_chance(&f->rng, 50) ? IOBMD_INTERLEAVED_MAX_PIECES + iobmd_rand_below(&f->rng, 2) :
				       any_u32(f);
	cmd.direction = pick_direction(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, C_INTERLEAVED, &cmd, where);
	if (!ret)
		record(f, handle_at(*where,
				    offsetof(struct iobmd_interleaved_create,
					     handle)),
		       IOBMD_KIND_INTERLEAVED, true);
	return ret;
}

static __u32 pick_kind(struct fuzz *f, __u32 kind)
{
	int i, n = 0;
	__u32 found = 0;

	for (i = 0; i < f->nobj; i++)
		if (f->obj[i].kind == kind && iobmd_rand_below(&f->rng, ++n) == 0)
			found = f->obj[i].handle;
	return found ?: pick_handle(f);
}

static int do_il_set(struct fuzz *f, void **where)
{
	struct iobmd_interleaved_set cmd = { 0 };
	__u64 len;

	cmd.handle = iobmd_rand_chance(&f->rng, 80) ? pick_kind(f, IOBMD_KIND_INTERLEAVED) :
				     pick_handle(f);
	cmd.piece = pick_handle(f);
	len = obj_length(f, cmd.piece);
	cmd.offset = iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, len + 1) : pick_in(f, len);
	cmd.length = iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, len - cmd.offset + 1) :
				     pick_in(f, len);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	return ioctl_at(f, C_IL_SET, &cmd, where);
}

static int do_device(struct fuzz *f, void **where)
{
	struct iobmd_device_create cmd = { 0 };
	bool safe;
	int ret;

	if (iobmd_rand_chance(&f->rng, 80)) {
		cmd.phys = DEVMEM_BASE + iobmd_rand_below(&f->rng, DEVMEM_SIZE / 2);
		cmd.length = iobmd_rand_chance(&f->rng, 50) ? 1 + iobmd_rand_below(&f->rng, 1 << 20) :
			     (1 + iobmd_rand_below(&f->rng, 256)) * PAGE_SIZE;
	} else {
		cmd.phys = any_u64(f);
		cmd.length = any_u64(f);
	}
	safe = (cmd.phys >= DEVMEM_BASE && cmd.length <= DEVMEM_SIZE &&
		cmd.phys - DEVMEM_BASE <= DEVMEM_SIZE - cmd.length) ||
	       cmd.phys >= PHYS_BEYOND;
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, C_DEVICE, &cmd, where);
	if (!ret)
		record(f, handle_at(*where, offsetof(struct iobmd_device_create,
						     handle)),
		       IOBMD_KIND_DEVICE, safe);
	return ret;
}

static int do_prepare_cmd(struct fuzz *f, int c, void **where)
{
	struct iobmd_prepare cmd = { .handle = pick_handle(f) };
	int ret;

	if (c == C_COMPLETE)
		cmd.handle = pick_recent(f, f->prepared, 16);
	if (f->shapes && c == C_PREPARE)
		sh_too_long(f, cmd.handle, obj_length(f, cmd.handle));
	if (c == C_PREPARE)
		cmd.direction = iobmd_rand_below(&f->rng, 4) |
				(iobmd_rand_chance(&f->rng, 30) ? IOBMD_PREPARE_PHYS32 : 0) |
				(iobmd_rand_chance(&f->rng, 10) ? IOBMD_PREPARE_NO_FAULT : 0) |
				(iobmd_rand_chance(&f->rng, 10) ? IOBMD_PREPARE_NON_COHERENT : 0);
	else
		cmd.direction = iobmd_rand_below(&f->rng, 4) |
				(iobmd_rand_chance(&f->rng, 20) ? IOBMD_COMPLETE_WITH_ERROR : 0) |
				(iobmd_rand_chance(&f->rng, 20) ? IOBMD_COMPLETE_WITH_DATA_VALID : 0);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.direction = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	ret = ioctl_at(f, c, &cmd, where);
	if (!ret && c == C_PREPARE)
		remember(f, f->prepared, 16, cmd.handle);
	return ret;
}

static int do_perform(struct fuzz *f, void **where)
{
	struct iobmd_perform cmd = {
		.handle = pick_recent(f, f->prepared, 16),
	};
	__u64 len = obj_length(f, cmd.handle);

	sh_too_long(f, cmd.handle, len);

	cmd.op = iobmd_rand_chance(&f->rng, 85) ? 1 + iobmd_rand_below(&f->rng, 3) : any_u32(f);
	cmd.offset = iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, len + 1) : pick_in(f, len);
	cmd.len = iobmd_rand_chance(&f->rng, 80) ? iobmd_rand_below(&f->rng, len - cmd.offset + 1) :
				  pick_in(f, len);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	return ioctl_at(f, C_PERFORM, &cmd, where);
}

/*
 * A dma-buf of a range: mapped, touched, synchronised and closed at once,
 * or kept open while the fuzzer goes on (the file closes it at the end).
 */
static int do_export(struct fuzz *f, void **where)
{
	struct iobmd_export_dmabuf cmd = { .handle = pick_handle(f) };
	struct dma_buf_sync sync = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	__u64 len = obj_length(f, cmd.handle), size;
	int ret, fd, prot = PROT_READ;
	volatile __u8 *p;

	sh_too_long(f, cmd.handle, len);

	cmd.offset = iobmd_rand_chance(&f->rng, 80) ?
		     iobmd_rand_below(&f->rng, len + 1) : pick_in(f, len);
	if (iobmd_rand_chance(&f->rng, 80))
		cmd.offset &= ~(__u64)(PAGE_SIZE - 1);
	if (iobmd_rand_chance(&f->rng, 40))
		cmd.length = 0;
	else if (iobmd_rand_chance(&f->rng, 70) && cmd.offset <= len)
		cmd.length = iobmd_rand_below(&f->rng, len - cmd.offset + 1);
	else
		cmd.length = pick_in(f, len);
	cmd.fd_flags = iobmd_rand_chance(&f->rng, 50) ? O_RDWR : O_RDONLY;
	if (iobmd_rand_chance(&f->rng, 70))
		cmd.fd_flags |= O_CLOEXEC;
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.fd_flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, C_EXPORT, &cmd, where);
	if (ret)
		return ret;
	fd = (int)handle_at(*where, offsetof(struct iobmd_export_dmabuf, fd));
	size = lseek(fd, 0, SEEK_END);
	if ((cmd.fd_flags & O_ACCMODE) == O_RDWR)
		prot |= PROT_WRITE;
	p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
		(void)p[iobmd_rand_below(&f->rng, size)];
		if (prot & PROT_WRITE)
			p[iobmd_rand_below(&f->rng, size)] = 0x5a;
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
		ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
		munmap((void *)p, size);
	}
	/* One in four stays open a while, so descriptors die under exports. */
	if (iobmd_rand_below(&f->rng, 4)) {
		close(fd);
	} else {
		int *slot = &f->exports[f->nexports++ % 8];

		if (f->nexports > 8)
			close(*slot);
		*slot = fd;
	}
	return 0;
}

/* A descriptor over one of the dma-bufs kept open, or over any fd. */
static int do_import(struct fuzz *f, void **where)
{
	struct iobmd_import_dmabuf cmd = { .direction = pick_direction(f) };
	int ret;

	if (f->nexports && iobmd_rand_chance(&f->rng, 90))
		cmd.fd = f->exports[iobmd_rand_below(&f->rng,
						     f->nexports < 8 ?
						     f->nexports : 8)];
	else
		cmd.fd = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.flags = any_u32(f);
	if (iobmd_rand_chance(&f->rng, 5))
		cmd.__reserved = any_u32(f);
	ret = ioctl_at(f, C_IMPORT, &cmd, where);
	if (!ret)
		record(f, handle_at(*where, offsetof(struct iobmd_import_dmabuf,
						     handle)),
		       IOBMD_KIND_SUB, true);
	return ret;
}

static int do_unknown(struct fuzz *f)
{
	static const unsigned long others[] = {
		_IOWR(IOBMD_TYPE, 0x01, struct iobmd_buf_create),
		_IOR(IOBMD_TYPE, 0x00, struct iobmd_version),
		_IO(IOBMD_TYPE + 1, 0x00),
		_IO('x', 0x01),
	};
	unsigned long nr;

	if (iobmd_rand_chance(&f->rng, 60))
		nr = _IO(IOBMD_TYPE, 0x19 + iobmd_rand_below(&f->rng, 0xE7));
	else
		nr = others[iobmd_rand_below(&f->rng, 4)];
	return ioctl(f->fd, nr, f->scratch);
}

/* --- the mmap side -------------------------------------------------------- */

static int do_mmap(struct fuzz *f)
{
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE, PROT_NONE,
		PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	int prot = prots[iobmd_rand_below(&f->rng, 5)], flags = MAP_SHARED, i;
	__u64 cookie, len;
	void *p;

	if (f->ncookies && iobmd_rand_chance(&f->rng, 85)) {
		i = iobmd_rand_below(&f->rng, f->ncookies);
		cookie = f->cookies[i];
		len = iobmd_rand_chance(&f->rng, 70) ? f->cookie_len[i] :
		      iobmd_rand_chance(&f->rng, 70) ? (1 + iobmd_rand_below(&f->rng, f->cookie_len[i] / PAGE_SIZE + 2)) *
				      PAGE_SIZE : any_u64(f);
		if (iobmd_rand_chance(&f->rng, 10))
			cookie ^= 1ULL << iobmd_rand_below(&f->rng, 63);
	} else {
		cookie = any_u64(f) & ~(PAGE_SIZE - 1);
		len = iobmd_rand_chance(&f->rng, 50) ? PAGE_SIZE : any_u64(f);
	}
	if (iobmd_rand_chance(&f->rng, 10))
		flags = MAP_PRIVATE;
	if (iobmd_rand_chance(&f->rng, 10))
		flags |= MAP_POPULATE;
	/* Never MAP_FIXED: the kernel chooses where. */
	p = mmap(NULL, len, prot, flags, f->fd, (off_t)cookie);
	if (p == MAP_FAILED)
		return -1;
	if (f->nmaps == FUZZ_MAX_MAPS) {
		i = iobmd_rand_below(&f->rng, FUZZ_MAX_MAPS);
		munmap(f->maps[i].addr, f->maps[i].len);
	} else {
		i = f->nmaps++;
	}
	f->maps[i] = (struct fuzz_map){ p, len, prot };
	return 0;
}

static int do_touch(struct fuzz *f)
{
	struct fuzz_map *m;
	size_t off;

	if (!f->nmaps)
		return 0;
	m = &f->maps[iobmd_rand_below(&f->rng, f->nmaps)];
	off = iobmd_rand_below(&f->rng, m->len);
	if (m->prot & PROT_WRITE && m->prot & PROT_READ)
		m->addr[off] ^= 0x5a;
	else if (m->prot & PROT_READ)
		(void)*(volatile __u8 *)&m->addr[off];
	return 0;
}

static int do_dontneed(struct fuzz *f)
{
	struct fuzz_map *m;
	int ret;

	if (!f->nmaps)
		return 0;
	m = &f->maps[iobmd_rand_below(&f->rng, f->nmaps)];
	ret = madvise(m->addr, m->len, MADV_DONTNEED);
	/* The fault handler puts the pages back. */
	if (!ret && m->prot & PROT_READ)
		(void)*(volatile __u8 *)&m->addr[iobmd_rand_below(&f->rng, m->len)];
	return ret;
}

/* Unmaps a page range of a mapping: its head, its tail or a hole. */
static int do_munmap(struct fuzz *f)
{
	struct fuzz_map *m;
	size_t pages, first, n;
	int i;

	if (!f->nmaps)
		return 0;
	i = iobmd_rand_below(&f->rng, f->nmaps);
	m = &f->maps[i];
	pages = (m->len + PAGE_SIZE - 1) / PAGE_SIZE;
	first = iobmd_rand_below(&f->rng, pages);
	n = 1 + iobmd_rand_below(&f->rng, pages - first);
	if (munmap(m->addr + first * PAGE_SIZE, n * PAGE_SIZE))
		return -1;
	if (first + n < pages && f->nmaps < FUZZ_MAX_MAPS) {
		/* The part after the hole is a mapping of its own. */
		f->maps[f->nmaps++] = (struct fuzz_map){
			m->addr + (first + n) * PAGE_SIZE,
			m->len - (first + n) * PAGE_SIZE, m->prot };
	} else if (first + n < pages) {
		munmap(m->addr + (first + n) * PAGE_SIZE,
		       m->len - (first + n) * PAGE_SIZE);
	}
	if (first)
		m->len = first * PAGE_SIZE;
	else
		f->maps[i] = f->maps[--f->nmaps];
	return 0;
}

/*
 * A child shares the file and the mappings: it touches them and prepares
 * and reads through the shared handles (user memory of its parent is not
 * its own: EPERM), then exits with 1 on an undocumented errno.
 */
static int do_fork(struct fuzz *f)
{
	int status, i;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (i = 0; i < f->nmaps; i++)
			if (f->maps[i].prot & PROT_READ)
				(void)*(volatile __u8 *)f->maps[i].addr;
		for (i = 0; i < f->nobj; i++) {
			struct iobmd_prepare p = {
				.size = sizeof(p),
				.handle = f->obj[i].handle,
			};
			__u8 byte;

			if (f->shapes && sh_length(f->fd, p.handle) > SHAPE_LIMIT)
				continue;
			if (ioctl(f->fd, IOBMD_PREPARE, &p)) {
				if (!errno_allowed(C_PREPARE, errno))
					_exit(1);
			} else if (ioctl(f->fd, IOBMD_COMPLETE, &p)) {
				_exit(2);
			}
			if (_test_ioctl_rw(f->fd, IOBMD_READ, f->obj[i].handle,
					   0, &byte, 1, NULL) &&
			    !errno_allowed(C_READ, errno))
				_exit(3);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (!f->bad[0])
			snprintf(f->bad, sizeof(f->bad),
				 "a forked child failed (status 0x%x)", status);
	}
	return 0;
}

static unsigned int op_weight(struct fuzz *f, int c)
{
	return c == C_SHAPE && f->shapes ? SHAPE_WEIGHT : fuzz_weights[c];
}

static int pick_op(struct fuzz *f)
{
	unsigned int total = 0, r;
	int c;

	for (c = 0; c < C_NR; c++)
		total += op_weight(f, c);
	r = iobmd_rand_below(&f->rng, total);
	for (c = 0; c < C_NR; c++) {
		if (r < op_weight(f, c))
			return c;
		r -= op_weight(f, c);
	}
	return C_GET_INFO;
}

static void fuzz_one(struct fuzz *f)
{
	int c, ret = 0;
	void *where = NULL;

	if (f->huge && !iobmd_rand_below(&f->rng, HUGE_EVERY)) {
		do_huge(f);
		note(f, C_HUGE, 0, 0);
		return;
	}
	c = pick_op(f);
	errno = 0;
	switch (c) {
	case C_VERSION:
		ret = do_version(f, &where);
		break;
	case C_BUF_CREATE:
		ret = do_buf_create(f, &where);
		break;
	case C_RELEASE:
		ret = do_handle_cmd(f, c, &where);
		break;
	case C_GET_INFO:
		ret = do_get_info(f, &where);
		break;
	case C_SET_LENGTH:
	case C_SET_DIRECTION:
	case C_SET_TAG:
	case C_IL_CLEAR:
	case C_PURGEABLE:
		ret = do_set(f, c, &where);
		break;
	case C_APPEND:
	case C_READ:
	case C_WRITE:
		ret = do_rw(f, c, &where);
		break;
	case C_SEGMENTS:
		ret = do_segments(f, &where);
		break;
	case C_MAP:
		ret = do_map(f, &where);
		break;
	case C_GENERAL:
		ret = do_general(f, &where);
		break;
	case C_SUB:
		ret = do_sub(f, &where);
		break;
	case C_MULTI:
		ret = do_multi(f, &where);
		break;
	case C_INTERLEAVED:
		ret = do_interleaved(f, &where);
		break;
	case C_IL_SET:
		ret = do_il_set(f, &where);
		break;
	case C_DEVICE:
		ret = do_device(f, &where);
		break;
	case C_PREPARE:
	case C_COMPLETE:
		ret = do_prepare_cmd(f, c, &where);
		break;
	case C_PERFORM:
		ret = do_perform(f, &where);
		break;
	case C_EXPORT:
		ret = do_export(f, &where);
		break;
	case C_IMPORT:
		ret = do_import(f, &where);
		break;
	case C_UNKNOWN:
		ret = do_unknown(f);
		break;
	case C_MMAP:
		ret = do_mmap(f);
		break;
	case C_TOUCH:
		ret = do_touch(f);
		break;
	case C_DONTNEED:
		ret = do_dontneed(f);
		break;
	case C_MUNMAP:
		ret = do_munmap(f);
		break;
	case C_FORK:
		ret = do_fork(f);
		break;
	case C_SHAPE:
		ret = do_shape(f);
		break;
	}
	note(f, c, ret, ret ? errno : 0);
}

/* --- the test ------------------------------------------------------------- */

FIXTURE(fuzz)
{
	struct fuzz *f;
	char saved_capacity[32];
	char saved_handles[32];
	bool params_set;
};

static int param_read(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int param_write(const char *name, const char *value)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

FIXTURE_SETUP(fuzz)
{
	int fd;

	iobmd_fixture_open(fd);
	close(fd);
	self->f = NULL;
	ASSERT_EQ(0, param_read("max_capacity", self->saved_capacity,
				sizeof(self->saved_capacity)));
	ASSERT_EQ(0, param_read("max_handles", self->saved_handles,
				sizeof(self->saved_handles)));
	self->params_set = true;
	ASSERT_EQ(0, param_write("max_capacity", FUZZ_MAX_CAPACITY));
	ASSERT_EQ(0, param_write("max_handles", FUZZ_MAX_HANDLES));
}

/* In the parent, so the parameters come back even if the test crashed. */
FIXTURE_TEARDOWN_PARENT(fuzz)
{
	if (self->params_set) {
		param_write("max_capacity", self->saved_capacity);
		param_write("max_handles", self->saved_handles);
	}
}

static void fuzz_report(struct fuzz *f, unsigned long ops)
{
	unsigned long total = 0, failed = 0, hist[MAX_ERRNO] = { 0 };
	char line[1024];
	size_t n;
	int c, e;

	for (c = 0; c < C_NR; c++) {
		if (!f->calls[c])
			continue;
		if (c != C_SHAPE && c != C_HUGE) {
			total += f->calls[c];
			failed += f->calls[c] - f->ok[c];
			for (e = 0; e < MAX_ERRNO; e++)
				hist[e] += f->errs[c][e];
		}
		n = snprintf(line, sizeof(line), "%s: %lu call(s), %lu ok",
			     fuzz_cmds[c].name, f->calls[c], f->ok[c]);
		for (e = 0; e < MAX_ERRNO && n < sizeof(line); e++)
			if (f->errs[c][e])
				n += snprintf(line + n, sizeof(line) - n,
					      ", %s %lu",
					      e ? errno_name(e) : "other",
					      f->errs[c][e]);
		ksft_print_msg("%s\n", line);
	}
	ksft_print_msg("%lu operations (seed %#llx): %lu calls, %lu failed with a documented errno; %lu object(s) over memory not the fuzzer's released at once\n",
		       ops, (unsigned long long)f->seed, total, failed,
		       f->released_unsafe);
	if (f->shapes || f->huge)
		ksft_print_msg("composed shapes: %lu object(s) grown past %llu bytes released rather than walked; huge shapes walked %lu time(s), %lu walk(s) ended before the SIGKILL, the longest a killed walker took to go: %llu ms; the most visits a huge shape made: %llu (%llu bytes), the longest: %llu bytes\n",
			       f->too_long, SHAPE_LIMIT, f->huge_walks,
			       f->huge_finished,
			       (unsigned long long)f->max_death_ms,
			       (unsigned long long)f->huge_visits,
			       (unsigned long long)f->huge_visits_len,
			       (unsigned long long)f->huge_len);
	/* One line for scripts/fuzz.sh to add up. */
	n = snprintf(line, sizeof(line),
		     "fuzz-summary bits=%zu seed=%#llx ops=%lu calls=%lu failed=%lu shapes=%d huge=%d huge_walks=%lu huge_finished=%lu max_death_ms=%llu huge_visits=%llu huge_len=%llu bad=%d errnos=",
		     sizeof(void *) * 8, (unsigned long long)f->seed, ops, total,
		     failed, f->shapes, f->huge, f->huge_walks, f->huge_finished,
		     (unsigned long long)f->max_death_ms,
		     (unsigned long long)f->huge_visits,
		     (unsigned long long)f->huge_len, !!f->bad[0]);
	for (e = 0; e < MAX_ERRNO && n < sizeof(line); e++)
		if (hist[e])
			n += snprintf(line + n, sizeof(line) - n, "%s:%lu,",
				      e ? errno_name(e) : "other", hist[e]);
	ksft_print_msg("%s\n", line);
	fflush(stdout);
}

TEST_F_TIMEOUT(fuzz, random_ops, 900)
{
	struct iobmd_test_stats st;
	unsigned long ops, i;
	struct fuzz *f;
	const char *env;
	__u32 arena;
	int k;

	f = calloc(1, sizeof(*f));
	ASSERT_NE(NULL, f);
	self->f = f;
	ops = access("/sys/kernel/debug/kmemleak", F_OK) ? FUZZ_OPS_DEFAULT :
							     FUZZ_OPS_DEBUG;
	env = getenv("IOBMD_FUZZ_OPS");
	if (env)
		ops = strtoul(env, NULL, 0);
	env = getenv("IOBMD_FUZZ_SEED");
	f->seed = env ? strtoull(env, NULL, 0) : FUZZ_SEED;
	f->rng = f->seed;
	env = getenv("IOBMD_FUZZ_SHAPES");
	f->shapes = env && atoi(env);
	env = getenv("IOBMD_FUZZ_HUGE");
	f->huge = env && atoi(env);
	env = getenv("IOBMD_FUZZ_SHARED");
	f->shared = env && atoi(env);
	env = getenv("IOBMD_FUZZ_KILL_SECONDS");
	f->kill_seconds = env ? strtoul(env, NULL, 0) : HUGE_KILL_SECONDS;
	f->fd_huge = -1;
	f->huge_lock = -1;
	if (f->huge) {
		f->fd_huge = open(IOBMD_DEV_PATH, O_RDWR);
		ASSERT_NE(-1, f->fd_huge);
		env = getenv("IOBMD_FUZZ_HUGE_LOCK");
		if (env) {
			f->huge_lock = open(env, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
			ASSERT_NE(-1, f->huge_lock);
		}
	}

	f->fd = open(IOBMD_DEV_PATH, O_RDWR);
	f->fd_foreign = open(IOBMD_DEV_PATH, O_RDWR);
	f->fd_arena = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, f->fd);
	ASSERT_NE(-1, f->fd_foreign);
	ASSERT_NE(-1, f->fd_arena);

	/* The scratch area, with inaccessible guard pages either side. */
	f->scratch_len = SCRATCH_PAGES * PAGE_SIZE;
	f->reserve = mmap(NULL, (SCRATCH_PAGES + 2 * GUARD_PAGES) * PAGE_SIZE,
			  PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->reserve);
	f->scratch = f->reserve + GUARD_PAGES * PAGE_SIZE;
	f->guard = f->scratch + f->scratch_len;
	ASSERT_EQ(0, mprotect(f->scratch, f->scratch_len,
			      PROT_READ | PROT_WRITE));
	iobmd_fill_pattern(f->scratch, f->scratch_len, 0, 1);

	/* Handles of another file. */
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(0, _test_ioctl_buf_create(f->fd_foreign, 0,
						    IOBMD_DIRECTION_INOUT,
						    PAGE_SIZE * (k + 1), 0, 0,
						    NULL, 0,
						    &f->foreign[k]));
		f->nforeign++;
	}
	/* RAM of its own for physical general descriptors. */
	ASSERT_EQ(0, _test_ioctl_buf_create(f->fd_arena, 0,
					    IOBMD_DIRECTION_INOUT,
					    16 * PAGE_SIZE, 0, 0, NULL, 0,
					    &arena));
	f->narena = 64;
	ASSERT_EQ(0, _test_ioctl_get_segments(f->fd_arena, arena, 0, 0,
					      f->arena, &f->narena, NULL));

	for (i = 0; i < ops && !f->bad[0]; i++)
		fuzz_one(f);

	fuzz_report(f, i);
	EXPECT_EQ(0, f->bad[0]) TH_LOG("%s", f->bad);
	if (f->bad[0] && strstr(f->bad, "unkillable")) {
		/* Its child holds the files: the counters cannot come back. */
		return;
	}

	/* Everything goes: the module must hold nothing afterwards. */
	for (k = 0; k < f->nmaps; k++)
		munmap(f->maps[k].addr, f->maps[k].len);
	close(f->fd);
	close(f->fd_foreign);
	close(f->fd_arena);
	if (f->fd_huge >= 0)
		close(f->fd_huge);
	if (f->huge_lock >= 0)
		close(f->huge_lock);
	/* Last the dma-bufs, which outlive the files they came from. */
	for (k = 0; k < (int)f->nexports && k < 8; k++)
		close(f->exports[k]);
	if (f->shared) {
		/* Others run beside it; vm-run.sh checks once all are gone. */
		munmap(f->reserve, (SCRATCH_PAGES + 2 * GUARD_PAGES) * PAGE_SIZE);
		free(f);
		return;
	}
	ASSERT_EQ(0, iobmd_read_stats(&st))
		TH_LOG("cannot read %s", IOBMD_STATS_PATH);
	for (k = 0; k < st.n; k++)
		EXPECT_EQ(0, st.held[k])
			TH_LOG("%s is %lld after everything was released",
			       st.name[k], st.held[k]);
	munmap(f->reserve, (SCRATCH_PAGES + 2 * GUARD_PAGES) * PAGE_SIZE);
	free(f);
}

TEST_HARNESS_MAIN

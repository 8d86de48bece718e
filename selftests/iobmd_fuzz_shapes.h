/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The composed-graph part of iobmd_fuzz_test.c (included by it, after its
 * state and helpers): descriptors built of descriptors, in the shapes a
 * hostile caller would build.
 *
 * IOBMD_FUZZ_SHAPES=1 adds an operation that builds, on the fuzzer's own
 * file, one of:
 *   - a fan-out: a multi of up to 1024 (and 1025) pieces of one descriptor;
 *   - a nest: sub, multi and interleaved levels on each other, up to 9
 *     deep (one more than allowed: ELOOP);
 *   - subs of subs, narrowing, at odd offsets;
 *   - an interleaved descriptor included in a multi (twice), grown after,
 *     cleared, and the multi walked between each step;
 * then walks the result (READ, zero-filling WRITE, GET_SEGMENTS, PREPARE
 * and COMPLETE, PERFORM, SET_PURGEABLE, MAP and mmap) and keeps it among
 * the objects the other operations use.  Everything it keeps describes at
 * most SHAPE_LIMIT bytes, and a walk of anything longer is refused by the
 * fuzzer (the object is released instead), so every call stays bounded.
 *
 * IOBMD_FUZZ_HUGE=1 adds, about once in HUGE_EVERY operations, a huge
 * shape on a file of its own (so no other operation ever names it): the
 * most work the limits allow one descriptor to describe (sh_huge_build());
 * then a child walks it, is killed with SIGKILL after 0 to 200 ms, and must be gone within
 * IOBMD_FUZZ_KILL_SECONDS (default 20): a walk that outlives that is a
 * failure (an unkillable kernel loop), reported at once.  With
 * IOBMD_FUZZ_HUGE_LOCK=<file>, fuzzers running side by side take turns
 * (flock) to walk, so that a walk that never ends holds one CPU, not all:
 * the others are left to see it and say so.
 */
#ifndef IOBMD_FUZZ_SHAPES_H
#define IOBMD_FUZZ_SHAPES_H

#include <sys/file.h>
#include <time.h>

/* Bytes a composed object the fuzzer keeps may describe. */
#define SHAPE_LIMIT		(4ULL << 20)
#define HUGE_EVERY		1000
#define HUGE_KILL_SECONDS	20
#define SHAPE_NO_HANDLE		0xFFFFFFFFU

/* One well-formed command on @fd, counted like the others. */
static int sh_call(struct fuzz *f, int fd, int c, void *cmd)
{
	int ret;

	((__u32 *)cmd)[0] = fuzz_cmds[c].size;
	errno = 0;
	ret = ioctl(fd, fuzz_cmds[c].nr, cmd);
	note(f, c, ret, ret ? errno : 0);
	return ret;
}

static __u64 sh_length(int fd, __u32 h)
{
	struct iobmd_info info;

	return _test_ioctl_get_info(fd, h, &info) ? ~0ULL : info.length;
}

static __u32 sh_buf(struct fuzz *f, int fd, __u64 cap, bool purgeable)
{
	struct iobmd_buf_create cmd = {
		.options = IOBMD_DIRECTION_INOUT |
			   (purgeable ? IOBMD_OPT_PURGEABLE : 0),
		.capacity = cap,
	};

	return sh_call(f, fd, C_BUF_CREATE, &cmd) ? SHAPE_NO_HANDLE : cmd.handle;
}

static __u32 sh_sub(struct fuzz *f, int fd, __u32 parent, __u64 off, __u64 len)
{
	struct iobmd_sub_create cmd = {
		.parent = parent, .direction = IOBMD_DIRECTION_INOUT,
		.offset = off, .length = len,
	};

	return sh_call(f, fd, C_SUB, &cmd) ? SHAPE_NO_HANDLE : cmd.handle;
}

/* A multi of @n pieces, whose handles are at the start of the scratch area. */
static __u32 sh_multi(struct fuzz *f, int fd, __u32 n)
{
	struct iobmd_multi_create cmd = {
		.direction = IOBMD_DIRECTION_INOUT,
		.handles = (uintptr_t)f->scratch, .count = n,
	};

	return sh_call(f, fd, C_MULTI, &cmd) ? SHAPE_NO_HANDLE : cmd.handle;
}

static __u32 sh_multi_of(struct fuzz *f, int fd, __u32 piece, __u32 n)
{
	__u32 *handles = (__u32 *)f->scratch, i;

	for (i = 0; i < n && i < IOBMD_MULTI_MAX_PIECES + 1; i++)
		handles[i] = piece;
	return sh_multi(f, fd, n);
}

static __u32 sh_il(struct fuzz *f, int fd, __u32 cap)
{
	struct iobmd_interleaved_create cmd = {
		.direction = IOBMD_DIRECTION_INOUT, .capacity = cap,
	};

	return sh_call(f, fd, C_INTERLEAVED, &cmd) ? SHAPE_NO_HANDLE : cmd.handle;
}

static int sh_il_set(struct fuzz *f, int fd, __u32 il, __u32 piece, __u64 off,
		     __u64 len)
{
	struct iobmd_interleaved_set cmd = {
		.handle = il, .piece = piece, .offset = off, .length = len,
	};

	return sh_call(f, fd, C_IL_SET, &cmd);
}

static void sh_release(struct fuzz *f, int fd, __u32 h)
{
	struct iobmd_handle_arg cmd = { .handle = h };

	if (h == SHAPE_NO_HANDLE)
		return;
	if (fd == f->fd)
		forget(f, h);
	sh_call(f, fd, C_RELEASE, &cmd);
}

/* Keeps a bounded result among the fuzzer's objects; releases the rest. */
static void sh_keep(struct fuzz *f, __u32 h, __u32 kind)
{
	if (h == SHAPE_NO_HANDLE)
		return;
	if (sh_length(f->fd, h) > SHAPE_LIMIT) {
		sh_release(f, f->fd, h);
		return;
	}
	record(f, h, kind, true);
}

/*
 * In shapes mode, a walk of an object longer than SHAPE_LIMIT (an
 * interleaved piece grew after a multi took it) releases it instead.
 */
static bool sh_too_long(struct fuzz *f, __u32 h, __u64 len)
{
	if (!f->shapes || len <= SHAPE_LIMIT || find_obj(f, h) < 0)
		return false;
	sh_release(f, f->fd, h);
	f->too_long++;
	return true;
}

/* A small piece: an object of at most 64 KiB, a window of one, or new. */
static __u32 sh_small(struct fuzz *f, __u64 *len)
{
	__u32 h = SHAPE_NO_HANDLE;
	__u64 l;
	int i, tries;

	for (tries = 0; tries < 4 && f->nobj; tries++) {
		i = iobmd_rand_below(&f->rng, f->nobj);
		l = sh_length(f->fd, f->obj[i].handle);
		if (l && l <= (64 << 10)) {
			h = f->obj[i].handle;
			break;
		}
	}
	if (h == SHAPE_NO_HANDLE) {
		h = sh_buf(f, f->fd, 1 + iobmd_rand_below(&f->rng, 2 * PAGE_SIZE),
			   iobmd_rand_chance(&f->rng, 20));
		if (h == SHAPE_NO_HANDLE)
			return h;
		record(f, h, IOBMD_KIND_BUFFER, true);
		l = sh_length(f->fd, h);
		if (!l || l == ~0ULL) {
			/* A buffer starts empty: give it bytes. */
			struct iobmd_set_arg set = { .handle = h, .value = PAGE_SIZE };

			sh_call(f, f->fd, C_SET_LENGTH, &set);
			l = sh_length(f->fd, h);
		}
	}
	if (!l || l == ~0ULL)
		return SHAPE_NO_HANDLE;
	if (iobmd_rand_chance(&f->rng, 50)) {
		/* A window of it, often a few bytes at an odd offset. */
		__u64 off = iobmd_rand_below(&f->rng, l);
		__u64 wl = 1 + iobmd_rand_below(&f->rng, iobmd_rand_chance(&f->rng, 50) ?
						 (l - off < 16 ? l - off : 16) : l - off);
		__u32 s = sh_sub(f, f->fd, h, off, wl);

		if (s != SHAPE_NO_HANDLE) {
			record(f, s, IOBMD_KIND_SUB, true);
			h = s;
			l = wl;
		}
	}
	*len = l;
	return h;
}

/* --- walks ------------------------------------------------------------- */

/* One walk of the whole of @h on @fd; returns the command it made. */
static int sh_walk_one(struct fuzz *f, int fd, __u32 h, __u64 len, int which,
		       int *ret)
{
	size_t room = f->scratch_len - SCRATCH_ARGS;

	errno = 0;
	switch (which) {
	case 0: {
		struct iobmd_rw rw = {
			.size = sizeof(rw), .handle = h,
			.buf = (uintptr_t)f->scratch + SCRATCH_ARGS,
			.len = len < room ? len : room,
		};

		*ret = ioctl(fd, IOBMD_READ, &rw);
		return C_READ;
	}
	case 1: {
		/* A zero buffer zero-fills: a walk of every byte. */
		struct iobmd_rw rw = { .size = sizeof(rw), .handle = h, .len = len };

		*ret = ioctl(fd, IOBMD_WRITE, &rw);
		return C_WRITE;
	}
	case 2: {
		struct iobmd_segments s = {
			.size = sizeof(s), .handle = h,
			.count = iobmd_rand_below(&f->rng, 256),
			.segs = (uintptr_t)f->scratch + SCRATCH_ARGS,
		};

		*ret = ioctl(fd, IOBMD_GET_SEGMENTS, &s);
		return C_SEGMENTS;
	}
	case 3: {
		struct iobmd_prepare p = {
			.size = sizeof(p), .handle = h,
			.direction = IOBMD_DIRECTION_INOUT,
		};

		*ret = ioctl(fd, IOBMD_PREPARE, &p);
		if (!*ret) {
			note(f, C_PREPARE, 0, 0);
			*ret = ioctl(fd, IOBMD_COMPLETE, &p);
			return C_COMPLETE;
		}
		return C_PREPARE;
	}
	case 4: {
		struct iobmd_perform p = {
			.size = sizeof(p), .handle = h,
			.op = 1 + iobmd_rand_below(&f->rng, 3), .len = len,
		};

		*ret = ioctl(fd, IOBMD_PERFORM, &p);
		return C_PERFORM;
	}
	case 5: {
		struct iobmd_set_arg s = {
			.size = sizeof(s), .handle = h,
			.value = 1 + iobmd_rand_below(&f->rng, 4),
		};

		*ret = ioctl(fd, IOBMD_SET_PURGEABLE, &s);
		return C_PURGEABLE;
	}
	case 6: {
		/* READ with a zero buffer. */
		struct iobmd_rw rw = { .size = sizeof(rw), .handle = h, .len = len };

		*ret = ioctl(fd, IOBMD_READ, &rw);
		return C_READ;
	}
	}
	{
		struct iobmd_map m = { .size = sizeof(m), .handle = h };
		__u8 *p;

		*ret = ioctl(fd, IOBMD_MAP, &m);
		if (*ret)
			return C_MAP;
		note(f, C_MAP, 0, 0);
		if (m.extent - m.offset > (64ULL << 20)) {
			*ret = 0;
			return C_MMAP;
		}
		p = mmap(NULL, m.extent - m.offset, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, (off_t)m.cookie);
		*ret = p == MAP_FAILED ? -1 : 0;
		if (!*ret) {
			int err;

			(void)*(volatile __u8 *)p;
			p[iobmd_rand_below(&f->rng, m.extent - m.offset)] ^= 0xa5;
			err = munmap(p, m.extent - m.offset);
			(void)err;
		}
		return C_MMAP;
	}
}

#define SH_WALKS	8

static const char *const sh_walk_names[SH_WALKS] = {
	"a READ into memory", "a WRITE of zeros (zero buffer)",
	"a GET_SEGMENTS", "a PREPARE and COMPLETE", "a PERFORM",
	"a SET_PURGEABLE", "a READ with a zero buffer", "a MAP and mmap",
};

/* A few walks of a bounded object, each counted. */
static void sh_walks(struct fuzz *f, __u32 h)
{
	__u64 len = sh_length(f->fd, h);
	int n = 1 + iobmd_rand_below(&f->rng, 3), ret, c;

	if (h == SHAPE_NO_HANDLE || len == ~0ULL || len > SHAPE_LIMIT)
		return;
	while (n--) {
		c = sh_walk_one(f, f->fd, h, len,
				iobmd_rand_below(&f->rng, SH_WALKS), &ret);
		note(f, c, ret, ret ? errno : 0);
	}
}

/* --- bounded shapes ------------------------------------------------------ */

static void sh_fanout(struct fuzz *f)
{
	static const __u32 counts[] = { 1024, 1023, 1025, 512, 2, 1000 };
	__u64 len;
	__u32 piece = sh_small(f, &len), n, m;

	if (piece == SHAPE_NO_HANDLE)
		return;
	n = iobmd_rand_chance(&f->rng, 60) ? counts[iobmd_rand_below(&f->rng, 6)] :
	    1 + iobmd_rand_below(&f->rng, IOBMD_MULTI_MAX_PIECES);
	/* 1025 stays: E2BIG comes before any length is added up. */
	if (n <= IOBMD_MULTI_MAX_PIECES && n * len > SHAPE_LIMIT)
		n = SHAPE_LIMIT / len ?: 1;
	m = sh_multi_of(f, f->fd, piece, n);
	if (m == SHAPE_NO_HANDLE)
		return;
	sh_walks(f, m);
	if (iobmd_rand_chance(&f->rng, 50)) {
		/* A window across many of the pieces. */
		__u64 ml = sh_length(f->fd, m), off = iobmd_rand_below(&f->rng, ml);
		__u32 s = sh_sub(f, f->fd, m, off, 1 + iobmd_rand_below(&f->rng, ml - off));

		sh_walks(f, s);
		sh_keep(f, s, IOBMD_KIND_SUB);
	}
	sh_keep(f, m, IOBMD_KIND_MULTI);
}

/* Levels of sub, multi and interleaved on each other, 2 to 9 deep. */
static void sh_nest(struct fuzz *f)
{
	__u32 made[10], cur, next, depth = 2 + iobmd_rand_below(&f->rng, 8), d, k, i;
	__u64 len, nl;
	int nmade = 0;

	cur = sh_small(f, &len);
	if (cur == SHAPE_NO_HANDLE)
		return;
	for (d = 0; d < depth; d++) {
		switch (iobmd_rand_below(&f->rng, 3)) {
		case 0: {
			__u64 off = iobmd_rand_below(&f->rng, len);

			nl = 1 + iobmd_rand_below(&f->rng, len - off);
			next = sh_sub(f, f->fd, cur, off, nl);
			break;
		}
		case 1: {
			__u32 *handles = (__u32 *)f->scratch;

			k = 1 + iobmd_rand_below(&f->rng, 4);
			if (k * len > SHAPE_LIMIT)
				k = 1;
			for (i = 0; i < k; i++)
				handles[i] = cur;
			nl = k * len;
			next = sh_multi(f, f->fd, k);
			break;
		}
		default:
			k = 1 + iobmd_rand_below(&f->rng, 3);
			if (k * len > SHAPE_LIMIT)
				k = 1;
			next = sh_il(f, f->fd, k);
			nl = 0;
			for (i = 0; next != SHAPE_NO_HANDLE && i < k; i++)
				if (!sh_il_set(f, f->fd, next, cur, 0, len))
					nl += len;
			if (next != SHAPE_NO_HANDLE && !nl) {
				sh_release(f, f->fd, next);
				next = SHAPE_NO_HANDLE;
			}
			break;
		}
		if (next == SHAPE_NO_HANDLE)
			break;
		made[nmade++] = next;
		cur = next;
		len = nl;
	}
	if (nmade)
		sh_walks(f, made[nmade - 1]);
	/* Keep the top and some levels; the others live on inside the top. */
	for (i = 0; i < (__u32)nmade; i++)
		if (i == (__u32)nmade - 1 || iobmd_rand_chance(&f->rng, 30))
			sh_keep(f, made[i], IOBMD_KIND_MULTI);
		else
			sh_release(f, f->fd, made[i]);
}

static void sh_subsub(struct fuzz *f)
{
	__u32 cur, next, n = 1 + iobmd_rand_below(&f->rng, 9), i;
	__u64 len, off;

	if (!f->nobj)
		return;
	cur = f->obj[iobmd_rand_below(&f->rng, f->nobj)].handle;
	len = sh_length(f->fd, cur);
	if (!len || len > SHAPE_LIMIT)
		return;
	for (i = 0; i < n && len; i++) {
		off = iobmd_rand_below(&f->rng, len);
		len = 1 + iobmd_rand_below(&f->rng, len - off);
		next = sh_sub(f, f->fd, cur, off, len);
		if (next == SHAPE_NO_HANDLE)
			break;
		sh_walks(f, next);
		sh_keep(f, next, IOBMD_KIND_SUB);
		cur = next;
	}
}

/* An interleaved descriptor in a multi, grown and cleared afterwards. */
static void sh_ilgrow(struct fuzz *f)
{
	__u32 *handles = (__u32 *)f->scratch, il, m, other, cap, i, sets;
	__u64 len, olen;

	other = sh_small(f, &olen);
	if (other == SHAPE_NO_HANDLE)
		return;
	len = olen;
	cap = 2 + iobmd_rand_below(&f->rng, iobmd_rand_chance(&f->rng, 30) ? 1023 : 16);
	il = sh_il(f, f->fd, cap);
	if (il == SHAPE_NO_HANDLE)
		return;
	record(f, il, IOBMD_KIND_INTERLEAVED, true);
	if (sh_il_set(f, f->fd, il, other, 0, len))
		return;
	handles[0] = il;
	handles[1] = other;
	handles[2] = il;
	m = sh_multi(f, f->fd, 3);
	if (m == SHAPE_NO_HANDLE)
		return;
	sh_walks(f, m);
	/* Grow it while the multi holds it: 2 * cap * len stays bounded. */
	sets = cap - 1;
	if (2 * (__u64)cap * len > SHAPE_LIMIT)
		sets = SHAPE_LIMIT / (2 * len) > 1 ? SHAPE_LIMIT / (2 * len) - 1 : 0;
	for (i = 0; i < sets; i++)
		if (sh_il_set(f, f->fd, il, other, iobmd_rand_below(&f->rng, len), 1))
			break;
	sh_walks(f, m);
	if (iobmd_rand_chance(&f->rng, 30)) {
		struct iobmd_set_arg clr = { .handle = il,
					     .value = IOBMD_DIRECTION_INOUT };

		sh_call(f, f->fd, C_IL_CLEAR, &clr);
		sh_walks(f, m);
	}
	sh_keep(f, m, IOBMD_KIND_MULTI);
}

static int do_shape(struct fuzz *f)
{
	switch (iobmd_rand_below(&f->rng, 4)) {
	case 0:
		sh_fanout(f);
		break;
	case 1:
		sh_nest(f);
		break;
	case 2:
		sh_subsub(f);
		break;
	default:
		sh_ilgrow(f);
		break;
	}
	return 0;
}

/* --- huge shapes, walked by a child that is killed --------------------- */

/* max_capacity as the module reports it, or 0. */
static __u64 sh_max_capacity(int fd)
{
	struct iobmd_version v = { .size = sizeof(v) };

	return ioctl(fd, IOBMD_GET_VERSION, &v) ? 0 : v.max_capacity;
}

/*
 * The most copies of a piece of @len bytes and @visits visits one multi
 * may hold: 1 + n * visits within IOBMD_COMPOSE_MAX_VISITS, n * len within
 * @cap, n within IOBMD_MULTI_MAX_PIECES.  Sometimes one more, which the
 * module must refuse with E2BIG.
 */
static __u32 sh_huge_fit(struct fuzz *f, __u64 cap, __u64 len, __u64 visits)
{
	__u64 n = IOBMD_MULTI_MAX_PIECES;

	if (n > cap / len)
		n = cap / len;
	if (n > (IOBMD_COMPOSE_MAX_VISITS - 1) / visits)
		n = (IOBMD_COMPOSE_MAX_VISITS - 1) / visits;
	if (iobmd_rand_chance(&f->rng, 5))
		n++;
	return n;
}

/*
 * Builds on fd_huge the most work the module lets one descriptor describe:
 * over one page, levels of multis each as wide as the limits allow, so the
 * top makes close to IOBMD_COMPOSE_MAX_VISITS visits or describes close to
 * max_capacity bytes.  The leaf is the page, or a window of a few bytes of
 * it (the most visits for the fewest bytes); a level may be an interleaved
 * descriptor, filled (or left with one piece and filled after a multi took
 * it) to the visits it counted, or a window deep inside the level below.
 * Returns the top (or SHAPE_NO_HANDLE), with @len and @visits its length
 * and visits as uapi/iobmd.h defines them.
 */
static __u32 sh_huge_build(struct fuzz *f, __u32 *made, int *nmade,
			   __u64 *len, __u64 *visits)
{
	int fd = f->fd_huge, depth = 1 + iobmd_rand_below(&f->rng, 4), d;
	__u64 cap = sh_max_capacity(fd), l, v;
	__u32 cur, next, n, i, il = SHAPE_NO_HANDLE;
	bool late;

	if (!cap)
		return SHAPE_NO_HANDLE;
	cur = sh_buf(f, fd, PAGE_SIZE, iobmd_rand_chance(&f->rng, 30));
	if (cur == SHAPE_NO_HANDLE)
		return cur;
	made[(*nmade)++] = cur;
	l = PAGE_SIZE;
	v = 1;
	if (iobmd_rand_chance(&f->rng, 70)) {
		__u64 w = 1 + iobmd_rand_below(&f->rng, 8);

		next = sh_sub(f, fd, cur, iobmd_rand_below(&f->rng, PAGE_SIZE - w + 1), w);
		if (next == SHAPE_NO_HANDLE)
			return SHAPE_NO_HANDLE;
		cur = next;
		made[(*nmade)++] = cur;
		l = w;
		v = 2;
	}
	for (d = 0; d < depth && *nmade < 30; d++) {
		n = sh_huge_fit(f, cap, l, v);
		if (!n)
			break;
		if (il == SHAPE_NO_HANDLE && iobmd_rand_chance(&f->rng, 30)) {
			/*
			 * An interleaved level: n pieces of the level below.
			 * Counted at creation as 1 + its capacity.
			 */
			if (n > IOBMD_INTERLEAVED_MAX_PIECES)
				n = IOBMD_INTERLEAVED_MAX_PIECES;
			il = sh_il(f, fd, n);
			if (il == SHAPE_NO_HANDLE)
				break;
			made[(*nmade)++] = il;
			late = iobmd_rand_chance(&f->rng, 50);
			for (i = 0; i < (late ? 1 : n); i++)
				if (sh_il_set(f, fd, il, cur, 0, l))
					break;
			if (!i)
				break;
			next = il;
			if (late) {
				/*
				 * A multi takes it with one piece, then it
				 * grows: past the visits the multi counted
				 * for it, E2BIG.  The multi's length stays.
				 */
				__u64 lv = 1 + (v > n ? v : n);
				__u32 m = sh_huge_fit(f, cap, l, lv);

				next = sh_multi_of(f, fd, il, m);
				if (next == SHAPE_NO_HANDLE)
					break;
				made[(*nmade)++] = next;
				for (; i < n; i++)
					if (sh_il_set(f, fd, il, cur, 0, l))
						break;
				l *= m;
				v = 1 + m * lv;
			} else {
				v = 1 + (v * i > n ? v * i : n);
				l *= i;
			}
			cur = next;
			continue;
		}
		if (l > 1 && iobmd_rand_chance(&f->rng, 10)) {
			/* A window deep inside the level below: its visits stay. */
			__u64 w = l / 4 ?: 1;

			next = sh_sub(f, fd, cur, l / 2 + iobmd_rand_below(&f->rng, l / 4 + 1), w);
			if (next == SHAPE_NO_HANDLE)
				break;
			cur = next;
			made[(*nmade)++] = cur;
			l = w;
			v += 1;
			continue;
		}
		next = sh_multi_of(f, fd, cur, n);
		if (next == SHAPE_NO_HANDLE)
			continue;	/* one too many: try the fit again */
		cur = next;
		made[(*nmade)++] = cur;
		l *= n;
		v = 1 + n * v;
	}
	*len = l;
	*visits = v;
	return cur;
}

static void do_huge(struct fuzz *f)
{
	__u32 made[32], top;
	int nmade = 0, p[2], i, status, which;
	__u64 len, visits, t0, waited;
	struct { int c, ret, err; } res;
	pid_t pid;
	char ready;

	top = sh_huge_build(f, made, &nmade, &len, &visits);
	if (top == SHAPE_NO_HANDLE)
		goto out;
	if (sh_length(f->fd_huge, top) != len) {
		snprintf(f->bad, sizeof(f->bad),
			 "a shape of %d descriptors is %llu bytes long, not the %llu its pieces make",
			 nmade, (unsigned long long)sh_length(f->fd_huge, top),
			 (unsigned long long)len);
		goto out;
	}
	if (visits > f->huge_visits) {
		f->huge_visits = visits;
		f->huge_visits_len = len;
	}
	if (len > f->huge_len)
		f->huge_len = len;
	which = iobmd_rand_below(&f->rng, SH_WALKS);
	/* A walk never made is no pass: every failure here is the run's. */
	if (f->huge_lock >= 0 && flock(f->huge_lock, LOCK_EX)) {
		snprintf(f->bad, sizeof(f->bad),
			 "flock(IOBMD_FUZZ_HUGE_LOCK): %s", strerror(errno));
		goto out;
	}
	if (pipe(p)) {
		snprintf(f->bad, sizeof(f->bad), "pipe: %s", strerror(errno));
		goto unlock;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(f->bad, sizeof(f->bad), "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		goto unlock;
	}
	if (pid == 0) {
		close(p[0]);
		ready = 1;
		if (write(p[1], &ready, 1) != 1)
			_exit(1);
		res.c = sh_walk_one(f, f->fd_huge, top, len, which, &res.ret);
		res.err = res.ret ? errno : 0;
		if (write(p[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &ready, 1) != 1)
		ready = 0;
	usleep(iobmd_rand_below(&f->rng, 200) * 1000);
	kill(pid, SIGKILL);
	t0 = iobmd_now_ms();
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		waited = iobmd_now_ms() - t0;
		if (waited > f->kill_seconds * 1000ULL) {
			snprintf(f->bad, sizeof(f->bad),
				 "%s of a %llu-byte shape of %d descriptors still runs %llu s after SIGKILL: an unkillable kernel loop",
				 sh_walk_names[which], (unsigned long long)len, nmade,
				 (unsigned long long)waited / 1000);
			close(p[0]);
			/* The child holds the file (and the lock) for good. */
			return;
		}
		usleep(10000);
	}
	waited = iobmd_now_ms() - t0;
	if (waited > f->max_death_ms)
		f->max_death_ms = waited;
	f->huge_walks++;
	if (read(p[0], &res, sizeof(res)) == sizeof(res)) {
		f->huge_finished++;
		note(f, res.c, res.ret, res.err);
	} else if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		snprintf(f->bad, sizeof(f->bad),
			 "a child walking a huge shape ended with status %#x", status);
	}
	close(p[0]);
unlock:
	if (f->huge_lock >= 0)
		flock(f->huge_lock, LOCK_UN);
out:
	/* Top-down or at random: lower levels live on inside upper ones. */
	which = iobmd_rand_chance(&f->rng, 50);
	for (i = 0; i < nmade; i++)
		sh_release(f, f->fd_huge, made[which ? nmade - 1 - i : i]);
}

#endif /* IOBMD_FUZZ_SHAPES_H */

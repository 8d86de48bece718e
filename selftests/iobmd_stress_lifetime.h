/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stress operations across file and process lifetimes: another open
 * file, closed with handles, a prepare and mappings live, and fork(),
 * whose child checks the inherited file and mappings and writes through
 * one for the parent to see.
 */
#ifndef __SELFTEST_IOBMD_STRESS_LIFETIME_H
#define __SELFTEST_IOBMD_STRESS_LIFETIME_H

#include "iobmd_stress_errno.h"
#include "iobmd_stress_model.h"

/* --- another open file ---------------------------------------------- */

/*
 * A fresh file: descriptors, views and mappings on it, then close() with
 * handles, prepares and mappings live.  The mappings must still show and
 * take the data afterwards.
 */
static void do_other_file(struct thr *t)
{
	__u32 b = 0, s = 0, mh = 0, pair[2];
	__u64 cap = (1 + iobmd_rand_below(&t->rng, 4)) * PAGE_SIZE, c1 = 0, c2 = 0;
	__u8 *p1 = MAP_FAILED, *p2 = MAP_FAILED, *model;
	int fd, ok = 1;

	model = t->buf2 + MAX_IO / 2;
	fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (!note(t, OP_OPEN, fd < 0, errno, NO_ERRS, "/dev/iobmd", 0))
		return;
	ok &= NOTE(t, OP_BUF_CREATE,
		   _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, cap, 0,
					  0, NULL, 0, &b),
		   NO_ERRS, "other file", 0);
	if (!ok)
		goto out;
	iobmd_fill_pattern(model, cap, 0, iobmd_rand(&t->rng));
	ok &= NOTE(t, OP_WRITE,
		   _test_ioctl_rw(fd, IOBMD_WRITE, b, 0, model, cap, NULL),
		   NO_ERRS, "other file", b);
	ok &= NOTE(t, OP_SUB,
		   _test_ioctl_sub_create(fd, b, 0, PAGE_SIZE, cap - PAGE_SIZE ?:
					  PAGE_SIZE, &s),
		   cap == PAGE_SIZE ? ERRS(ERANGE) : NO_ERRS, "other file", b);
	if (cap == PAGE_SIZE)
		s = 0;
	pair[0] = b;
	pair[1] = b;
	ok &= NOTE(t, OP_MULTI,
		   _test_ioctl_multi_create(fd, 0, pair, 2, &mh),
		   NO_ERRS, "other file", b);
	if (!ok)
		goto out;
	/* Its own handle numbers: a released one is ENOENT, exactly. */
	NOTE(t, OP_RELEASE, _test_ioctl_release(fd, mh), NO_ERRS, "other file",
	     mh);
	NOTE(t, OP_RELEASE, _test_ioctl_release(fd, mh), ERRS(ENOENT),
	     "other file, released", mh);
	NOTE(t, OP_COMPLETE, _test_ioctl_prepare(fd, IOBMD_COMPLETE, b, 0),
	     ERRS(EINVAL), "other file, unprepared", b);
	NOTE(t, OP_PREPARE, _test_ioctl_prepare(fd, IOBMD_PREPARE, b, 0),
	     NO_ERRS, "other file", b);
	if (NOTE(t, OP_MAP, _test_ioctl_map(fd, b, 0, 0, 0, &c1), NO_ERRS,
		 "other file", b)) {
		p1 = iobmd_mmap(fd, c1, cap, PROT_READ | PROT_WRITE);
		note(t, OP_MMAP, p1 == MAP_FAILED, errno, NO_ERRS,
		     "other file", b);
	}
	if (s && NOTE(t, OP_MAP, _test_ioctl_map(fd, s, 0, 0, 0, &c2), NO_ERRS,
		      "other file", s)) {
		p2 = iobmd_mmap(fd, c2, cap - PAGE_SIZE,
				PROT_READ | PROT_WRITE);
		note(t, OP_MMAP, p2 == MAP_FAILED, errno, NO_ERRS,
		     "other file", s);
	}
	if (!iobmd_rand_chance(&t->rng, 30))
		NOTE(t, OP_RELEASE, _test_ioctl_release(fd, b), NO_ERRS,
		     "other file", b);
out:
	/* With handles, a prepare and mappings live. */
	note(t, OP_CLOSE, close(fd), errno, NO_ERRS, "other file", 0);
	if (p1 != MAP_FAILED) {
		t->rep->calls[OP_TOUCH]++;
		t->rep->checked += cap;
		if (memcmp(p1, model, cap))
			fail(t, "mapping of buffer %u of a closed file: data lost",
			     b);
		else
			t->rep->ok[OP_TOUCH]++;
		/* Written through one mapping, seen through the other. */
		if (p2 != MAP_FAILED) {
			iobmd_fill_pattern(p1 + PAGE_SIZE, cap - PAGE_SIZE,
					   PAGE_SIZE, iobmd_rand(&t->rng));
			if (memcmp(p1 + PAGE_SIZE, p2, cap - PAGE_SIZE))
				fail(t, "sub mapping of a closed file does not show the buffer");
		}
		munmap(p1, cap);
	}
	if (p2 != MAP_FAILED)
		munmap(p2, cap - PAGE_SIZE);
}

/* --- fork ----------------------------------------------------------- */

struct fork_plan {
	struct thr *t;
	int map;		/* mapping the child writes, or -1 */
	__u64 off, len, seed;
};

/* The child: its exit code says what went wrong (10 to 14), else 0. */
static int child_check(void *arg)
{
	const struct fork_plan *plan = arg;
	struct thr *t = plan->t;
	int fd = t->p->fd, k, i;
	__u32 h = 0;
	__u64 done = 0;

	/* The inherited mappings show this thread's data. */
	for (k = 0; k < t->nmaps; k++)
		if (t->n[t->m[k].node].tracked &&
		    !map_check(t, k, "an inherited mapping (child)"))
			return 10;
	/* So does READ through the inherited file, buffers at least. */
	for (i = 0; i < MAX_NODES; i++) {
		struct node *n = &t->n[i];
		__u64 len = n->len < MAX_IO ? n->len : MAX_IO;
		int ret;

		if (!n->used || !n->tracked || !n->handle || !len)
			continue;
		ret = _test_ioctl_rw(fd, IOBMD_READ, n->handle, 0, t->buf, len,
				     NULL);
		/*
		 * User memory of another process cannot be pinned (EPERM),
		 * unless it is pinned already.
		 */
		if (ret && !(errno == EPERM && node_has_general(t, i))) {
			fail(t, "child: READ of %u (kind %u): %s", n->handle,
			     n->kind, strerror(errno));
			return 11;
		}
		if (!ret && !check_bytes(t, i, 0, len, t->buf, "READ (child)"))
			return 12;
	}
	/* A descriptor of its own on the shared file. */
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE,
				   0, 0, NULL, 0, &h)) {
		fail(t, "child: BUF_CREATE: %s", strerror(errno));
		return 13;
	}
	iobmd_fill_pattern(t->buf, 3 * PAGE_SIZE, 0, plan->seed);
	if (_test_ioctl_rw(fd, IOBMD_WRITE, h, 0, t->buf, 3 * PAGE_SIZE,
			   &done) ||
	    _test_ioctl_rw(fd, IOBMD_READ, h, 0, t->buf2, 3 * PAGE_SIZE,
			   &done) ||
	    memcmp(t->buf, t->buf2, 3 * PAGE_SIZE) ||
	    _test_ioctl_release(fd, h)) {
		fail(t, "child: own buffer %u: %s", h, strerror(errno));
		return 14;
	}
	/* A write through a shared mapping, for the parent to see. */
	if (plan->map >= 0) {
		struct smap *m = &t->m[plan->map];

		iobmd_fill_pattern(m->addr + (plan->off + m->delta -
					      m->map_off),
				   plan->len, plan->off, plan->seed);
	}
	return 0;
}

static void do_fork(struct thr *t)
{
	struct fork_plan plan = { .t = t, .map = -1, .seed = iobmd_rand(&t->rng) };
	int status;

	if (t->rep->forks >= MAX_FORKS)
		return;
	/* Where the child writes: a writable mapping of a buffer. */
	if (t->nmaps) {
		int k = iobmd_rand_below(&t->rng, t->nmaps);
		struct smap *m = &t->m[k];
		struct node *n = &t->n[m->node];

		if (!m->ro && n->tracked && n->kind == IOBMD_KIND_BUFFER &&
		    m->map_off + m->size <= n->cap) {
			plan.map = k;
			plan.off = m->map_off + iobmd_rand_below(&t->rng, m->size);
			plan.len = 1 + iobmd_rand_below(&t->rng, m->map_off + m->size -
						plan.off);
			if (plan.len > MAX_IO)
				plan.len = MAX_IO;
		}
	}
	t->rep->calls[OP_FORK]++;
	trace(t, "fork: child writes map %d [%llu, +%llu)", plan.map,
	      (unsigned long long)plan.off, (unsigned long long)plan.len);
	/* The exit code, or 128 and the signal that killed the child. */
	status = iobmd_run_child(child_check, &plan);
	if (status < 0) {
		fail(t, "fork or waitpid: %s", strerror(errno));
		return;
	}
	t->rep->forks++;
	if (status) {
		fail(t, "forked child: %s %d", status < 128 ? "exit" : "signal",
		     status < 128 ? status : status - 128);
		return;
	}
	t->rep->ok[OP_FORK]++;
	if (plan.map >= 0) {
		iobmd_fill_pattern(t->buf, plan.len, plan.off, plan.seed);
		node_apply(t, t->m[plan.map].node, plan.off, plan.len,
			   t->buf);
		map_check(t, plan.map, "a mapping the child wrote");
	}
}

#endif /* __SELFTEST_IOBMD_STRESS_LIFETIME_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stress operations on descriptors that exist: READ, WRITE, APPEND
 * and SET_LENGTH, writes to a general descriptor's memory, PREPARE and
 * COMPLETE, RELEASE, and read-only use of other threads' handles.
 */
#ifndef __SELFTEST_IOBMD_STRESS_USE_H
#define __SELFTEST_IOBMD_STRESS_USE_H

#include "iobmd_stress_errno.h"
#include "iobmd_stress_model.h"

static void do_read(struct thr *t)
{
	__u64 off, len;
	int i = pick_node(t, true, true);

	if (i < 0)
		return;
	pick_range(t, t->n[i].len, &off, &len);
	memset(t->buf, 0xa5, len);
	if (NOTE(t, OP_READ,
		 _test_ioctl_rw(t->p->fd, IOBMD_READ, t->n[i].handle, off,
				t->buf, len, NULL),
		 NO_ERRS, "own", t->n[i].handle))
		check_bytes(t, i, off, len, t->buf, "READ");
}

static void do_write(struct thr *t)
{
	__u64 off, len;
	bool zero = iobmd_rand_chance(&t->rng, 10);
	int i = pick_node(t, true, true);

	if (i < 0)
		return;
	pick_range(t, t->n[i].len, &off, &len);
	if (zero)
		memset(t->buf, 0, len);
	else
		iobmd_fill_pattern(t->buf, len, off, iobmd_rand(&t->rng));
	if (!NOTE(t, OP_WRITE,
		  _test_ioctl_rw(t->p->fd, IOBMD_WRITE, t->n[i].handle, off,
				 zero ? NULL : t->buf, len, NULL),
		  write_errs(t, i), "own", t->n[i].handle))
		return;
	node_apply(t, i, off, len, t->buf);
	trace(t, "WRITE %u [%llu, +%llu)%s", t->n[i].handle,
	      (unsigned long long)off, (unsigned long long)len,
	      zero ? " zero" : "");
	/* Read it back at once, around the range too. */
	if (off)
		off--, len++;
	if (off + len < t->n[i].len && len < MAX_IO)
		len++;
	if (NOTE(t, OP_READ,
		 _test_ioctl_rw(t->p->fd, IOBMD_READ, t->n[i].handle, off,
				t->buf, len, NULL),
		 NO_ERRS, "own, after WRITE", t->n[i].handle))
		check_bytes(t, i, off, len, t->buf, "READ after WRITE");
}

/* APPEND and SET_LENGTH on own buffers nothing is built on. */
static void do_length(struct thr *t, bool append)
{
	int i = pick_node(t, true, true);
	struct node *n;
	__u64 v, done = 0, want;

	if (i < 0)
		return;
	n = &t->n[i];
	if (n->kind != IOBMD_KIND_BUFFER || n->nviews)
		return;
	if (!append) {
		v = iobmd_rand_chance(&t->rng, 10) ? n->cap + 1 + iobmd_rand_below(&t->rng, 5) :
				    iobmd_rand_below(&t->rng, n->cap + 1);
		if (!NOTE(t, OP_SET_LENGTH,
			  _test_ioctl_set(t->p->fd, IOBMD_SET_LENGTH,
					  n->handle, v, &done),
			  NO_ERRS, "own", n->handle))
			return;
		want = v <= n->cap ? v : n->len;
		if (done != want)
			fail(t, "SET_LENGTH %llu of %u (capacity %llu): %llu, want %llu",
			     (unsigned long long)v, n->handle,
			     (unsigned long long)n->cap,
			     (unsigned long long)done,
			     (unsigned long long)want);
		trace(t, "SET_LENGTH %u %llu -> %llu", n->handle,
		      (unsigned long long)v, (unsigned long long)want);
		n->len = want;
		return;
	}
	v = 1 + iobmd_rand_below(&t->rng, PAGE_SIZE + 64);
	iobmd_fill_pattern(t->buf, v, n->len, iobmd_rand(&t->rng));
	if (!NOTE(t, OP_APPEND,
		  _test_ioctl_rw(t->p->fd, IOBMD_APPEND, n->handle, 0, t->buf,
				 v, &done),
		  NO_ERRS, "own", n->handle))
		return;
	want = v < n->cap - n->len ? v : n->cap - n->len;
	if (done != want) {
		fail(t, "APPEND %llu to %u (length %llu capacity %llu): %llu",
		     (unsigned long long)v, n->handle,
		     (unsigned long long)n->len, (unsigned long long)n->cap,
		     (unsigned long long)done);
		return;
	}
	memcpy(n->model + n->len, t->buf, done);
	trace(t, "APPEND %u at %llu +%llu", n->handle,
	      (unsigned long long)n->len, (unsigned long long)done);
	n->len += done;
}

static void do_umem_write(struct thr *t)
{
	int i = pick_node(t, true, false);
	__u64 off, len;
	struct node *n;

	if (i < 0 || t->n[i].kind != IOBMD_KIND_GENERAL)
		return;
	n = &t->n[i];
	t->rep->calls[OP_UMEM_WRITE]++;
	t->rep->ok[OP_UMEM_WRITE]++;
	if (!check_umem(t, i))
		return;
	pick_range(t, n->len, &off, &len);
	iobmd_fill_pattern(n->umem + n->uoff + off, len, off, iobmd_rand(&t->rng));
	memcpy(n->model + off, n->umem + n->uoff + off, len);
	trace(t, "write general memory %u [%llu, +%llu)", n->handle,
	      (unsigned long long)off, (unsigned long long)len);
	if (n->handle &&
	    NOTE(t, OP_READ,
		 _test_ioctl_rw(t->p->fd, IOBMD_READ, n->handle, off, t->buf,
				len, NULL),
		 NO_ERRS, "own, after writing its memory", n->handle))
		check_bytes(t, i, off, len, t->buf, "READ of general memory");
}

static void do_prepare(struct thr *t)
{
	static const __u32 dirs[] = {
		IOBMD_DIRECTION_NONE, IOBMD_DIRECTION_IN, IOBMD_DIRECTION_OUT,
		IOBMD_DIRECTION_INOUT,
	};
	int i = pick_node(t, iobmd_rand_chance(&t->rng, 80), true);
	__u32 dir = dirs[iobmd_rand_below(&t->rng, 4)];
	const int *errs;
	struct node *n;

	if (i < 0)
		return;
	n = &t->n[i];
	if (n->prepares >= 3 || iobmd_rand_chance(&t->rng, 40)) {
		if (!n->prepares) {
			/* Nothing prepared through this handle: EINVAL. */
			if (NOTE(t, OP_COMPLETE,
				 _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
						     n->handle, 0),
				 ERRS(EINVAL), "own, unprepared", n->handle))
				fail(t, "COMPLETE of unprepared %u succeeded",
				     n->handle);
			return;
		}
		if (NOTE(t, OP_COMPLETE,
			 _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
					     n->handle,
					     iobmd_rand_chance(&t->rng, 30) ?
					     IOBMD_COMPLETE_WITH_DATA_VALID : 0),
			 NO_ERRS, "own", n->handle)) {
			trace(t, "COMPLETE %u", n->handle);
			n->prepares--;
		}
		return;
	}
	if (!n->tracked) {
		/* On whatever other threads' descriptors lie beneath. */
		errs = errs_shared_prepare;
	} else if (n->kind == IOBMD_KIND_BUFFER) {
		/*
		 * A buffer is wired: a prepare only counts, in any direction,
		 * however it is prepared through views.  With PHYS32 it must
		 * have been placed below 4 GiB: a mask buffer (0xFFFFF000) is,
		 * any other is ERANGE, wherever its pages lie.
		 */
		errs = errs_none;
		if (iobmd_rand_chance(&t->rng, 20)) {
			dir |= IOBMD_PREPARE_PHYS32;
			if (!n->mask)
				errs = errs_erange;
		}
	} else {
		/* User memory pinned read-only (for Out) refuses In: EACCES. */
		errs = errs_view_prepare;
	}
	if (NOTE(t, OP_PREPARE,
		 _test_ioctl_prepare(t->p->fd, IOBMD_PREPARE, n->handle, dir),
		 errs, n->tracked ? "own" : "own view of shared", n->handle)) {
		trace(t, "PREPARE %u %#x", n->handle, dir);
		n->prepares++;
		if (errs == errs_erange)
			fail(t, "PREPARE PHYS32 of unmasked buffer %u worked",
			     n->handle);
	}
}

static void do_release(struct thr *t)
{
	int i = pick_any(t, iobmd_rand_chance(&t->rng, 70), true, false);

	if (i < 0)
		return;
	/* Sometimes with prepares outstanding: releasing completes them. */
	while (t->n[i].prepares && iobmd_rand_chance(&t->rng, 70)) {
		if (!NOTE(t, OP_COMPLETE,
			  _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
					      t->n[i].handle, 0),
			  NO_ERRS, "own, before release", t->n[i].handle))
			return;
		t->n[i].prepares--;
	}
	if (!NOTE(t, OP_RELEASE, _test_ioctl_release(t->p->fd, t->n[i].handle),
		  NO_ERRS, "own", t->n[i].handle))
		return;
	trace(t, "RELEASE %u", t->n[i].handle);
	t->n[i].handle = 0;
	t->n[i].prepares = 0;
	node_put(t, i);
}

/* --- cross-thread read-only use ------------------------------------- */

static void do_cross_use(struct thr *t)
{
	__u32 h = any_handle(t);
	struct iobmd_info info;
	__u64 off, len;

	t->rep->cross++;
	if (!NOTE(t, OP_GET_INFO, _test_ioctl_get_info(t->p->fd, h, &info),
		  ERRS(ENOENT), "shared", h) || !info.length)
		return;
	pick_range(t, info.length, &off, &len);
	/*
	 * Changed length (ERANGE), user memory gone (EFAULT) or of the
	 * forked child (EPERM).
	 */
	NOTE(t, OP_READ,
	     _test_ioctl_rw(t->p->fd, IOBMD_READ, h, off, t->buf, len, NULL),
	     ERRS(ENOENT, ERANGE, EFAULT, EPERM), "shared", h);
}

#endif /* __SELFTEST_IOBMD_STRESS_USE_H */

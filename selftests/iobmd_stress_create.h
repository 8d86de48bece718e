/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stress operations that create descriptors: buffers of assorted
 * shapes, general descriptors over the thread's own memory, sub, multi
 * and interleaved views of its own descriptors, and compositions over
 * the handles other threads publish.
 */
#ifndef __SELFTEST_IOBMD_STRESS_CREATE_H
#define __SELFTEST_IOBMD_STRESS_CREATE_H

#include "iobmd_stress_errno.h"
#include "iobmd_stress_model.h"

/* Takes over a new descriptor: fills in its size from GET_INFO. */
static int adopt(struct thr *t, int i, __u32 handle, __u32 kind)
{
	struct iobmd_info info;
	struct node *n = &t->n[i];

	n->handle = handle;
	n->kind = kind;
	n->refs = 1;
	if (!NOTE(t, OP_GET_INFO, _test_ioctl_get_info(t->p->fd, handle, &info),
		  NO_ERRS, "new descriptor", handle))
		return -1;
	if (info.kind != kind) {
		fail(t, "handle %u: kind %u, want %u", handle, info.kind,
		     kind);
		return -1;
	}
	n->len = info.length;
	n->cap = info.capacity;
	return 0;
}

/* Buffers of 256 KiB and more the thread holds. */
static int large_nodes(struct thr *t)
{
	int i, k = 0;

	for (i = 0; i < MAX_NODES; i++)
		k += t->n[i].used && t->n[i].cap >= SZ_256K;
	return k;
}

static void do_buf_create(struct thr *t)
{
	__u32 flags = 0, options = IOBMD_DIRECTION_INOUT, handle = 0;
	__u64 cap = 0, align = 0, mask = 0, blen = 0;
	struct node *n;
	int i, shape;

	i = node_alloc(t);
	if (i < 0)
		return;
	n = &t->n[i];
	shape = iobmd_rand_below(&t->rng, 100);
	if (shape < 30) {
		cap = 1 + iobmd_rand_below(&t->rng, 3 * PAGE_SIZE);
		align = iobmd_rand_below(&t->rng, 5);
		/* 0 and 1 (none), 16, 64 and a page */
		align = align < 2 ? align : align == 2 ? 16 :
			align == 3 ? 64 : PAGE_SIZE;
	} else if (shape < 50) {
		cap = (1 + iobmd_rand_below(&t->rng, 16)) * PAGE_SIZE;
	} else if (shape < 62) {
		options |= IOBMD_OPT_PHYSICALLY_CONTIGUOUS;
		cap = (1 + iobmd_rand_below(&t->rng, 8)) * PAGE_SIZE - iobmd_rand_below(&t->rng, 2) * 100;
	} else if (shape < 74) {
		flags = IOBMD_BUF_CREATE_PHYS_MASK;
		mask = 0xFFFFF000ULL;
		cap = 1 + iobmd_rand_below(&t->rng, 8 * PAGE_SIZE);
		n->mask = true;
	} else if (shape < 92) {
		flags = IOBMD_BUF_CREATE_WITH_BYTES;
		blen = 1 + iobmd_rand_below(&t->rng, 3 * PAGE_SIZE);
		iobmd_fill_pattern(t->buf, blen, 0, t->rng);
	} else if (large_nodes(t) < 2) {
		cap = shape < 99 ? SZ_256K + iobmd_rand_below(&t->rng, 2) * 17 : SZ_1M;
	} else {
		cap = (1 + iobmd_rand_below(&t->rng, 4)) * PAGE_SIZE;
	}
	if (!NOTE(t, OP_BUF_CREATE,
		  _test_ioctl_buf_create(t->p->fd, flags, options, cap, align,
					 mask, blen ? t->buf : NULL, blen,
					 &handle),
		  NO_ERRS, "buffer", 0)) {
		n->used = false;
		return;
	}
	if (adopt(t, i, handle, IOBMD_KIND_BUFFER))
		return;
	n->tracked = true;
	n->depth = 1;
	if (blen ? n->len != blen : n->len != n->cap || n->cap < cap) {
		fail(t, "buffer %u: length %llu capacity %llu for %llu/%llu",
		     handle, (unsigned long long)n->len,
		     (unsigned long long)n->cap, (unsigned long long)cap,
		     (unsigned long long)blen);
		return;
	}
	n->model = calloc(1, n->cap);
	if (!n->model) {
		fail(t, "out of memory");
		return;
	}
	if (blen)
		memcpy(n->model, t->buf, blen);
	trace(t, "buffer %u flags %#x options %#x cap %llu len %llu", handle,
	      flags, options, (unsigned long long)n->cap,
	      (unsigned long long)n->len);
	publish(t, handle);
}

static void do_general(struct thr *t)
{
	struct iobmd_range r;
	__u32 handle = 0;
	struct node *n;
	__u64 pages = 1 + iobmd_rand_below(&t->rng, 6);
	int i;

	i = node_alloc(t);
	if (i < 0)
		return;
	n = &t->n[i];
	n->umem_size = pages * PAGE_SIZE;
	n->uoff = iobmd_rand_chance(&t->rng, 50) ? iobmd_rand_below(&t->rng, PAGE_SIZE) : 0;
	n->len = 1 + iobmd_rand_below(&t->rng, n->umem_size - n->uoff);
	/* Seeded with the generator as it stands after the draws above. */
	n->umem = iobmd_user_area(pages, t->rng);
	if (!n->umem) {
		n->used = false;
		fail(t, "mmap of %zu bytes: %s", n->umem_size,
		     strerror(errno));
		return;
	}
	r.address = (uintptr_t)n->umem + n->uoff;
	r.length = n->len;
	if (!NOTE(t, OP_GENERAL,
		  _test_ioctl_general_create(t->p->fd, 0, IOBMD_DIRECTION_INOUT,
					     &r, 1, &handle),
		  NO_ERRS, "user memory", 0)) {
		munmap(n->umem, n->umem_size);
		n->used = false;
		return;
	}
	if (adopt(t, i, handle, IOBMD_KIND_GENERAL))
		return;
	if (n->len != r.length) {
		fail(t, "general %u: length %llu, want %llu", handle,
		     (unsigned long long)n->len,
		     (unsigned long long)r.length);
		return;
	}
	n->tracked = true;
	n->depth = 1;
	n->model = malloc(n->len);
	if (!n->model) {
		fail(t, "out of memory");
		return;
	}
	memcpy(n->model, n->umem + n->uoff, n->len);
	trace(t, "general %u at %p+%llu len %llu", handle, n->umem,
	      (unsigned long long)n->uoff, (unsigned long long)n->len);
	publish(t, handle);
}

static void add_piece(struct thr *t, int v, int p, __u64 off, __u64 len)
{
	struct node *n = &t->n[v];

	trace(t, "  view %u: piece %u [%llu, +%llu)", n->handle,
	      t->n[p].handle, (unsigned long long)off, (unsigned long long)len);
	n->pieces[n->npieces].node = p;
	n->pieces[n->npieces].off = off;
	n->pieces[n->npieces].len = len;
	n->npieces++;
	t->n[p].refs++;
	t->n[p].nviews++;
}

/* A sub, multi or interleaved view of the thread's own descriptors. */
static void do_view(struct thr *t, int op)
{
	__u32 handle = 0, want_kind;
	__u32 handles[MAX_PIECES];
	int v, p[MAX_PIECES], k, np, ret;
	__u64 off[MAX_PIECES], len[MAX_PIECES], total = 0;
	int depth = 0;

	v = node_alloc(t);
	if (v < 0)
		return;
	np = op == OP_SUB ? 1 : 1 + iobmd_rand_below(&t->rng, 3);
	for (k = 0; k < np; k++) {
		p[k] = pick_node(t, true, true);
		/* Interleaved pieces at most two levels deep; at most 7. */
		if (p[k] < 0 || t->n[p[k]].depth >= (op == OP_IL_SET ? 5 : 7)) {
			t->n[v].used = false;
			return;
		}
		if (t->n[p[k]].depth > depth)
			depth = t->n[p[k]].depth;
		handles[k] = t->n[p[k]].handle;
		off[k] = 0;
		len[k] = t->n[p[k]].len;
		if (op != OP_MULTI) {
			if (iobmd_rand_chance(&t->rng, 40)) {
				off[k] = iobmd_rand_below(&t->rng, len[k] / PAGE_SIZE + 1) *
					 PAGE_SIZE;
				if (off[k] >= len[k])
					off[k] = 0;
			} else {
				off[k] = iobmd_rand_below(&t->rng, len[k]);
			}
			len[k] = 1 + iobmd_rand_below(&t->rng, len[k] - off[k]);
		}
		total += len[k];
	}
	switch (op) {
	case OP_SUB:
		want_kind = IOBMD_KIND_SUB;
		ret = NOTE(t, op, _test_ioctl_sub_create(t->p->fd, handles[0],
							 IOBMD_DIRECTION_INOUT,
							 off[0], len[0],
							 &handle),
			   NO_ERRS, "own parent", handles[0]);
		break;
	case OP_MULTI:
		want_kind = IOBMD_KIND_MULTI;
		ret = NOTE(t, op, _test_ioctl_multi_create(t->p->fd,
							   IOBMD_DIRECTION_INOUT,
							   handles, np,
							   &handle),
			   NO_ERRS, "own pieces", handles[0]);
		break;
	default:
		want_kind = IOBMD_KIND_INTERLEAVED;
		ret = NOTE(t, OP_IL_CREATE,
			   _test_ioctl_interleaved_create(t->p->fd,
							  IOBMD_DIRECTION_INOUT,
							  MAX_PIECES, &handle),
			   NO_ERRS, "own", 0);
		depth = 4;
		break;
	}
	if (!ret) {
		t->n[v].used = false;
		return;
	}
	if (adopt(t, v, handle, want_kind))
		return;
	trace(t, "%s %u", op_names[op], handle);
	t->n[v].tracked = true;
	t->n[v].depth = depth + 1;
	t->n[v].il_cap = MAX_PIECES;
	if (want_kind != IOBMD_KIND_INTERLEAVED) {
		for (k = 0; k < np; k++)
			add_piece(t, v, p[k], off[k], len[k]);
	} else {
		total = 0;
		for (k = 0; k < np; k++) {
			/*
			 * EBUSY: another thread's view, built on a handle
			 * number it had seen before, holds this one pinned.
			 */
			if (!NOTE(t, OP_IL_SET,
				  _test_ioctl_interleaved_set(t->p->fd, handle,
							      handles[k],
							      off[k], len[k]),
				  ERRS(EBUSY), "own piece", handle))
				break;
			add_piece(t, v, p[k], off[k], len[k]);
			total += len[k];
		}
		t->n[v].len = total;
		t->n[v].cap = total;
	}
	if (t->n[v].len != total) {
		fail(t, "%s %u: length %llu, want %llu", op_names[op], handle,
		     (unsigned long long)t->n[v].len,
		     (unsigned long long)total);
		return;
	}
	if (want_kind == IOBMD_KIND_INTERLEAVED) {
		struct iobmd_info info;

		if (NOTE(t, OP_GET_INFO,
			 _test_ioctl_get_info(t->p->fd, handle, &info),
			 NO_ERRS, "interleaved", handle) &&
		    info.length != total)
			fail(t, "interleaved %u: length %llu, want %llu",
			     handle, (unsigned long long)info.length,
			     (unsigned long long)total);
	}
	publish(t, handle);
}

/*
 * Compositions over handles the other threads publish (or made up): they
 * may be released, reused or changed meanwhile.  The result is the
 * thread's own, untracked.
 */
static void do_cross_compose(struct thr *t)
{
	__u32 handle = 0, h[3];
	int v, op = iobmd_rand_below(&t->rng, 3), k, np = 1 + iobmd_rand_below(&t->rng, 3);
	struct iobmd_info info;
	__u64 len;

	v = node_alloc(t);
	if (v < 0)
		return;
	for (k = 0; k < np; k++)
		h[k] = any_handle(t);
	t->rep->cross++;
	len = 1 + iobmd_rand_below(&t->rng, 2 * PAGE_SIZE);
	if (!_test_ioctl_get_info(t->p->fd, h[0], &info) && info.length)
		len = 1 + iobmd_rand_below(&t->rng, info.length);
	if (op == 0) {
		if (!NOTE(t, OP_SUB,
			  _test_ioctl_sub_create(t->p->fd, h[0],
						 IOBMD_DIRECTION_NONE, 0, len,
						 &handle),
			  ERRS(ENOENT, ERANGE, ELOOP), "shared parent", h[0]))
			goto out_free;
		adopt(t, v, handle, IOBMD_KIND_SUB);
	} else if (op == 1) {
		if (!NOTE(t, OP_MULTI,
			  _test_ioctl_multi_create(t->p->fd,
						   IOBMD_DIRECTION_NONE, h, np,
						   &handle),
			  ERRS(ENOENT, EINVAL, ELOOP), "shared pieces", h[0]))
			goto out_free;
		adopt(t, v, handle, IOBMD_KIND_MULTI);
	} else {
		if (!NOTE(t, OP_IL_CREATE,
			  _test_ioctl_interleaved_create(t->p->fd,
							 IOBMD_DIRECTION_NONE,
							 np, &handle),
			  NO_ERRS, "for shared pieces", 0))
			goto out_free;
		if (adopt(t, v, handle, IOBMD_KIND_INTERLEAVED))
			return;
		for (k = 0; k < np; k++)
			NOTE(t, OP_IL_SET,
			     _test_ioctl_interleaved_set(t->p->fd, handle,
							 h[k], 0, k ? 1 : len),
			     ERRS(ENOENT, ERANGE, ELOOP, EBUSY), "shared piece",
			     h[k]);
	}
	t->n[v].depth = 6;
	if (iobmd_rand_chance(&t->rng, 50))
		publish(t, handle);
	return;
out_free:
	t->n[v].used = false;
}

#endif /* __SELFTEST_IOBMD_STRESS_CREATE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a stress thread knows its own descriptors hold: the model of each
 * descriptor (a buffer's or general descriptor's bytes, a view's
 * pieces), the walk from a view to the bytes beneath it, and the checks
 * of READ results, general memory and mappings against it.
 */
#ifndef __SELFTEST_IOBMD_STRESS_MODEL_H
#define __SELFTEST_IOBMD_STRESS_MODEL_H

#include "iobmd_stress_thread.h"

static int node_alloc(struct thr *t)
{
	int i;

	for (i = 0; i < MAX_NODES; i++)
		if (!t->n[i].used) {
			memset(&t->n[i], 0, sizeof(t->n[i]));
			t->n[i].used = true;
			return i;
		}
	return -1;
}

static int nodes_used(struct thr *t)
{
	int i, k = 0;

	for (i = 0; i < MAX_NODES; i++)
		k += t->n[i].used;
	return k;
}

static void node_put(struct thr *t, int i)
{
	struct node *n = &t->n[i];
	int k;

	if (--n->refs)
		return;
	for (k = 0; k < n->npieces; k++) {
		t->n[n->pieces[k].node].nviews--;
		node_put(t, n->pieces[k].node);
	}
	free(n->model);
	if (n->umem)
		munmap(n->umem, n->umem_size);
	n->used = false;
}

/* Calls @fn for each leaf range under [@off, @off + @len) of node @i. */
typedef void (*leaf_fn)(struct thr *t, void *arg, int leaf, __u64 loff,
			__u64 len);

static void node_walk(struct thr *t, int i, __u64 off, __u64 len, leaf_fn fn,
		      void *arg)
{
	struct node *n = &t->n[i];
	__u64 cum = 0;
	int k;

	if (n->kind == IOBMD_KIND_BUFFER || n->kind == IOBMD_KIND_GENERAL) {
		fn(t, arg, i, off, len);
		return;
	}
	for (k = 0; k < n->npieces && len; k++) {
		__u64 plen = n->pieces[k].len, n1;

		if (off >= cum + plen) {
			cum += plen;
			continue;
		}
		n1 = cum + plen - off;
		if (n1 > len)
			n1 = len;
		node_walk(t, n->pieces[k].node, n->pieces[k].off + off - cum,
			  n1, fn, arg);
		off += n1;
		len -= n1;
		cum += plen;
	}
}

static void expect_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		      __u64 len)
{
	__u8 **out = arg;

	memcpy(*out, t->n[leaf].model + loff, len);
	*out += len;
}

static void apply_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		     __u64 len)
{
	const __u8 **in = arg;

	memcpy(t->n[leaf].model + loff, *in, len);
	*in += len;
}

struct mapcopy {
	__u8 *dst;
	const __u8 *src;
};

static void mapcopy_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		       __u64 len)
{
	struct mapcopy *c = arg;

	memcpy(c->dst, c->src, len);
	c->dst += len;
	c->src += len;
}

/*
 * Copies @src to @len bytes of a mapping of node @i at @dst (its byte
 * @off), one leaf range after the other: a view that repeats memory maps
 * the same page more than once, and memcpy() over such aliases may leave
 * either copy.  In order, the last one stays, as with WRITE.
 */
static void node_map_copy(struct thr *t, int i, __u64 off, __u64 len,
			  __u8 *dst, const __u8 *src)
{
	struct mapcopy c = { dst, src };

	node_walk(t, i, off, len, mapcopy_fn, &c);
}

/* What [off, off + len) of node @i holds. */
static void node_expect(struct thr *t, int i, __u64 off, __u64 len, __u8 *out)
{
	node_walk(t, i, off, len, expect_fn, &out);
}

/* [off, off + len) of node @i was written with @src. */
static void node_apply(struct thr *t, int i, __u64 off, __u64 len,
		       const __u8 *src)
{
	node_walk(t, i, off, len, apply_fn, &src);
}

static bool node_has_general(struct thr *t, int i)
{
	struct node *n = &t->n[i];
	int k;

	if (n->kind == IOBMD_KIND_GENERAL)
		return true;
	for (k = 0; k < n->npieces; k++)
		if (node_has_general(t, n->pieces[k].node))
			return true;
	return false;
}

/* Page offset and page number of leaf byte @loff in memory. */
static __u64 leaf_addr(struct thr *t, int leaf, __u64 loff)
{
	struct node *n = &t->n[leaf];

	if (n->kind == IOBMD_KIND_GENERAL)
		return (uintptr_t)n->umem + n->uoff + loff;
	return loff;
}

/*
 * Whether a whole mapping of a view lines up, as the kernel's mmap checks
 * it: each leaf range at the page offset it has in the mapping, and a page
 * shared by two ranges the same page.
 */
struct lineup {
	bool first, ok;
	__u64 delta, pos;
	int last_leaf;
	__u64 last_addr;
};

static void lineup_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		      __u64 len)
{
	struct lineup *l = arg;
	__u64 a = leaf_addr(t, leaf, loff);

	if (l->first) {
		l->first = false;
		l->delta = a % PAGE_SIZE;
	} else {
		if ((l->delta + l->pos) % PAGE_SIZE != a % PAGE_SIZE)
			l->ok = false;
		else if ((l->delta + l->pos) % PAGE_SIZE &&
			 (leaf != l->last_leaf ||
			  l->last_addr / PAGE_SIZE != a / PAGE_SIZE))
			l->ok = false;
	}
	l->pos += len;
	l->last_leaf = leaf;
	l->last_addr = a + len - 1;
}

static bool node_lines_up(struct thr *t, int i, __u64 *delta)
{
	struct lineup l = { .first = true, .ok = true };

	node_walk(t, i, 0, t->n[i].len, lineup_fn, &l);
	*delta = l.delta;
	return l.ok;
}

/* Compares @len bytes at @got with node @i from @off; fails on a mismatch. */
static bool check_bytes(struct thr *t, int i, __u64 off, __u64 len,
			const __u8 *got, const char *how)
{
	__u8 *want = t->buf2;
	__u64 k;

	node_expect(t, i, off, len, want);
	t->rep->checked += len;
	if (!memcmp(want, got, len))
		return true;
	for (k = 0; k < len && want[k] == got[k]; k++)
		;
	fail(t, "data mismatch via %s: kind %u handle %u (len %llu cap %llu) byte %llu: got %#x, want %#x",
	     how, t->n[i].kind, t->n[i].handle,
	     (unsigned long long)t->n[i].len, (unsigned long long)t->n[i].cap,
	     (unsigned long long)(off + k), got[k], want[k]);
	return false;
}

/* A general descriptor's own memory agrees with the model. */
static bool check_umem(struct thr *t, int i)
{
	struct node *n = &t->n[i];
	__u64 off = 0;

	while (off < n->len) {
		__u64 c = n->len - off < MAX_IO ? n->len - off : MAX_IO;

		if (!check_bytes(t, i, off, c, n->umem + n->uoff + off,
				 "the general descriptor's memory"))
			return false;
		off += c;
	}
	return true;
}

/* A random node, tracked or not, of length > 0; -1 when none. */
static int pick_any(struct thr *t, bool tracked, bool need_handle,
		    bool need_len)
{
	int i, start = iobmd_rand_below(&t->rng, MAX_NODES);

	for (i = 0; i < MAX_NODES; i++) {
		struct node *n = &t->n[(start + i) % MAX_NODES];

		if (n->used && n->tracked == tracked &&
		    (n->len || !need_len) && (!need_handle || n->handle))
			return (start + i) % MAX_NODES;
	}
	return -1;
}

static int pick_node(struct thr *t, bool tracked, bool need_handle)
{
	return pick_any(t, tracked, need_handle, true);
}

static void pick_range(struct thr *t, __u64 len, __u64 *off, __u64 *n)
{
	*off = iobmd_rand_below(&t->rng, len);
	*n = 1 + iobmd_rand_below(&t->rng, len - *off);
	if (*n > MAX_IO)
		*n = 1 + iobmd_rand_below(&t->rng, MAX_IO);
}

/* --- the thread's mappings ------------------------------------------ */

static void map_drop(struct thr *t, int k)
{
	node_put(t, t->m[k].node);
	t->m[k] = t->m[--t->nmaps];
}

/* Checks what a tracked mapping shows of its descriptor. */
static bool map_check(struct thr *t, int k, const char *how)
{
	struct smap *m = &t->m[k];
	struct node *n = &t->n[m->node];
	__u64 lo = m->map_off, hi = m->map_off + m->size;
	__u64 a, b, end;

	t->rep->calls[OP_TOUCH]++;
	/* Descriptor bytes [a, b) are in the mapping. */
	a = lo > m->delta ? lo - m->delta : 0;
	end = n->kind == IOBMD_KIND_BUFFER ? n->cap : n->len;
	b = hi - m->delta < end ? hi - m->delta : end;
	if (hi <= m->delta)
		b = 0;
	while (a < b) {
		__u64 c = b - a < MAX_IO ? b - a : MAX_IO;

		if (!check_bytes(t, m->node, a, c,
				 m->addr + (a + m->delta - lo), how))
			return false;
		a += c;
	}
	t->rep->ok[OP_TOUCH]++;
	return true;
}

#endif /* __SELFTEST_IOBMD_STRESS_MODEL_H */

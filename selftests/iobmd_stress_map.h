/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stress operations on mappings: MAP and mmap() (checked against the
 * model, or touched when someone else's), writes through a mapping,
 * partial and whole munmap() and MADV_DONTNEED.
 */
#ifndef __SELFTEST_IOBMD_STRESS_MAP_H
#define __SELFTEST_IOBMD_STRESS_MAP_H

#include "iobmd_stress_errno.h"
#include "iobmd_stress_model.h"

static void do_map(struct thr *t)
{
	int i = pick_node(t, iobmd_rand_chance(&t->rng, 85), true);
	struct iobmd_map mc;
	struct node *n;
	__u64 off = 0, len = 0, delta = 0;
	bool ro = iobmd_rand_chance(&t->rng, 15), lines_up = true, prepared = false;
	int prot = PROT_READ | (ro ? 0 : PROT_WRITE);
	struct smap *m;
	void *p;

	if (i < 0 || t->nmaps == MAX_MAPS)
		return;
	n = &t->n[i];
	if (!n->tracked) {
		/* Someone else's memory: read-only, data unchecked. */
		ro = true;
		prot = PROT_READ;
	}
	if (n->kind == IOBMD_KIND_BUFFER) {
		__u64 pages = ALIGN_UP(n->cap, PAGE_SIZE) / PAGE_SIZE;

		if (iobmd_rand_chance(&t->rng, 40)) {
			off = iobmd_rand_below(&t->rng, pages) * PAGE_SIZE;
			if (iobmd_rand_chance(&t->rng, 50))
				len = (1 + iobmd_rand_below(&t->rng, pages - off / PAGE_SIZE)) *
				      PAGE_SIZE;
		}
	} else {
		/* Pinned first, for user memory; writable if not read-only. */
		if (!NOTE(t, OP_PREPARE,
			  _test_ioctl_prepare(t->p->fd, IOBMD_PREPARE, n->handle,
					      ro ? IOBMD_DIRECTION_OUT :
						   IOBMD_DIRECTION_INOUT),
			  n->tracked ? errs_view_prepare : errs_shared_prepare,
			  "before MAP", n->handle))
			return;
		prepared = true;
		if (n->tracked)
			lines_up = node_lines_up(t, i, &delta);
	}
	if (!NOTE(t, OP_MAP,
		  _test_ioctl_map_full(t->p->fd, n->handle,
				       ro ? IOBMD_MAP_READONLY : 0, off, len,
				       &mc),
		  n->tracked ? NO_ERRS : ERRS(ENODATA), "", n->handle))
		goto out;
	if (n->tracked && (mc.addr_offset != delta ||
			   mc.extent != ALIGN_UP(delta + (n->kind ==
					IOBMD_KIND_BUFFER ? n->cap : n->len),
					PAGE_SIZE))) {
		fail(t, "MAP of %u (kind %u, len %llu): addr_offset %llu extent %llu, want %llu",
		     n->handle, n->kind, (unsigned long long)n->len,
		     (unsigned long long)mc.addr_offset,
		     (unsigned long long)mc.extent,
		     (unsigned long long)delta);
		goto out;
	}
	if (!len)
		len = mc.extent - off;
	p = iobmd_mmap(t->p->fd, mc.cookie, len, prot);
	t->rep->calls[OP_MMAP]++;
	if (p == MAP_FAILED) {
		int err = errno;

		t->rep->errs[OP_MMAP][err < NR_ERRNO ? err : 0]++;
		/*
		 * Someone else's: also ERANGE, a window over a buffer its
		 * owner has since shortened.
		 */
		if (!n->tracked ? !errno_in(err, ERRS(EINVAL, EACCES, ENODATA, ERANGE)) :
				  lines_up || err != EINVAL)
			fail(t, "mmap of %u (kind %u, %llu bytes at %llu): %s, want %s",
			     n->handle, n->kind, (unsigned long long)len,
			     (unsigned long long)off, strerror(err),
			     lines_up ? "success" : "EINVAL");
		goto out;
	}
	t->rep->ok[OP_MMAP]++;
	if (n->tracked && !lines_up) {
		fail(t, "mmap of %u (kind %u): pieces that do not line up mapped",
		     n->handle, n->kind);
		munmap(p, len);
		goto out;
	}
	m = &t->m[t->nmaps++];
	m->addr = p;
	m->size = len;
	m->node = i;
	m->map_off = off;
	m->delta = mc.addr_offset;
	m->ro = ro;
	n->refs++;
	trace(t, "map %u (kind %u) at %llu +%llu: %p delta %llu%s", n->handle,
	      n->kind, (unsigned long long)off, (unsigned long long)len, p,
	      (unsigned long long)m->delta, ro ? " ro" : "");
	if (n->tracked) {
		map_check(t, t->nmaps - 1, "a new mapping");
	} else {
		__u8 sum = 0;
		size_t o;

		t->rep->calls[OP_TOUCH]++;
		for (o = 0; o < len; o += PAGE_SIZE)
			sum += READ_BYTE(m->addr + o);
		t->rep->touched += sum;
		t->rep->ok[OP_TOUCH]++;
	}
out:
	/* The mapping holds its own pin: the prepare may go. */
	if (prepared) {
		if (iobmd_rand_chance(&t->rng, 70))
			NOTE(t, OP_COMPLETE,
			     _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
						 n->handle, 0),
			     NO_ERRS, "after MAP", n->handle);
		else
			n->prepares++;
	}
}

static void do_map_write(struct thr *t)
{
	struct smap *m;
	struct node *n;
	__u64 a, b, end, len;

	if (!t->nmaps)
		return;
	m = &t->m[iobmd_rand_below(&t->rng, t->nmaps)];
	n = &t->n[m->node];
	if (m->ro || !n->tracked)
		return;
	end = n->kind == IOBMD_KIND_BUFFER ? n->cap : n->len;
	a = m->map_off > m->delta ? m->map_off - m->delta : 0;
	b = m->map_off + m->size <= m->delta ? 0 :
					       m->map_off + m->size - m->delta;
	if (b > end)
		b = end;
	if (a >= b)
		return;
	t->rep->calls[OP_MAP_WRITE]++;
	a += iobmd_rand_below(&t->rng, b - a);
	len = 1 + iobmd_rand_below(&t->rng, b - a);
	if (len > MAX_IO)
		len = MAX_IO;
	iobmd_fill_pattern(t->buf, len, a, iobmd_rand(&t->rng));
	node_map_copy(t, m->node, a, len, m->addr + (a + m->delta - m->map_off),
		      t->buf);
	node_apply(t, m->node, a, len, t->buf);
	trace(t, "write mapping %p of %u [%llu, +%llu)", m->addr, n->handle,
	      (unsigned long long)a, (unsigned long long)len);
	t->rep->ok[OP_MAP_WRITE]++;
	/* READ sees it, within the length. */
	if (n->handle && a < n->len) {
		if (a + len > n->len)
			len = n->len - a;
		if (NOTE(t, OP_READ,
			 _test_ioctl_rw(t->p->fd, IOBMD_READ, n->handle, a,
					t->buf, len, NULL),
			 NO_ERRS, "own, after writing a mapping", n->handle))
			check_bytes(t, m->node, a, len, t->buf,
				    "READ after writing a mapping");
	}
}

static void do_munmap(struct thr *t)
{
	int k;
	struct smap *m;
	size_t pages, cut;

	if (!t->nmaps)
		return;
	k = iobmd_rand_below(&t->rng, t->nmaps);
	m = &t->m[k];
	pages = m->size / PAGE_SIZE;
	t->rep->calls[OP_MUNMAP]++;
	if (pages > 1 && iobmd_rand_chance(&t->rng, 50)) {
		/* A partial munmap: the head or the tail. */
		cut = 1 + iobmd_rand_below(&t->rng, pages - 1);
		if (iobmd_rand_chance(&t->rng, 50)) {
			if (munmap(m->addr, cut * PAGE_SIZE))
				goto err;
			m->addr += cut * PAGE_SIZE;
			m->map_off += cut * PAGE_SIZE;
		} else if (munmap(m->addr + (pages - cut) * PAGE_SIZE,
				  cut * PAGE_SIZE)) {
			goto err;
		}
		m->size -= cut * PAGE_SIZE;
		trace(t, "munmap part of %u: now %p +%zu at %llu",
		      t->n[m->node].handle, m->addr, m->size,
		      (unsigned long long)m->map_off);
		t->rep->ok[OP_MUNMAP]++;
		if (t->n[m->node].tracked)
			map_check(t, k, "a mapping after a partial munmap");
		return;
	}
	if (munmap(m->addr, m->size))
		goto err;
	t->rep->ok[OP_MUNMAP]++;
	trace(t, "munmap %p of %u", m->addr, t->n[m->node].handle);
	map_drop(t, k);
	return;
err:
	fail(t, "munmap: %s", strerror(errno));
}

static void do_dontneed(struct thr *t)
{
	struct smap *m;
	struct node *n;
	int k, ret, err;

	if (!t->nmaps)
		return;
	k = iobmd_rand_below(&t->rng, t->nmaps);
	m = &t->m[k];
	n = &t->n[m->node];
	ret = madvise(m->addr, m->size, MADV_DONTNEED);
	err = errno;
	trace(t, "MADV_DONTNEED %p +%zu of %u: %d", m->addr, m->size,
	      n->handle, ret ? err : 0);
	/*
	 * Buffers are pages the module owns, contiguous ones and those a
	 * mask placed too: they drop them and fault them back.  Other kinds
	 * (user memory, mixtures) may be PFN mappings, which refuse.
	 */
	if (n->kind == IOBMD_KIND_BUFFER)
		note(t, OP_DONTNEED, ret, err, NO_ERRS, "buffer mapping",
		     n->handle);
	else
		note(t, OP_DONTNEED, ret, err, ERRS(EINVAL), "mapping",
		     n->handle);
	if (n->tracked)
		map_check(t, k, "a mapping after MADV_DONTNEED");
}

#endif /* __SELFTEST_IOBMD_STRESS_MAP_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: descriptors made of pieces of other descriptors.
 * IOSubMemoryDescriptor is one piece, IOMultiMemoryDescriptor a fixed list
 * of whole descriptors, IOInterleavedMemoryDescriptor a list of pieces that
 * grows with setMemoryDescriptor() and empties with clearMemoryDescriptors().
 * Every generic operation goes through the pieces' own ops, so any kind,
 * nested any way, works beneath them.
 *
 * The work is bounded.  A multi may repeat one piece and nest, so a few
 * descriptors over one page could otherwise describe 2^62 bytes and walks
 * exponential in the nesting.  Each descriptor records at creation the
 * piece visits a full traversal makes, repeats counted (desc.visits), and
 * creation fails with -E2BIG past IOBMD_MAX_VISITS or when the length
 * passes iobmd_capacity_limit(), the most bytes one buffer may hold.  A
 * sub counts its whole parent, as wired() and setPurgeable() traverse it
 * whole and a window's walk skips through the parent's pieces.  Every
 * walk, pin, prepare, sync or purgeable traversal of a descriptor then
 * makes at most IOBMD_MAX_VISITS visits plus the runs of at most
 * max_capacity bytes; each visit may reschedule, and user calls end with
 * -EINTR on a fatal signal.  A walk, sync or backed count of a range finds
 * the piece its first byte lies in by binary search (each piece records
 * where it starts), so a short range costs a search at each level of
 * nesting, not a visit of every piece before it.  An interleaved descriptor changes its pieces
 * after others are built on it: it counts at least 1 + its capacity (as if
 * each slot held memory of its own), and while descriptors are built on it
 * (@users) its pieces may not count more than it did when they counted it.
 *
 * Nesting is bounded the same way, and that is what keeps it acyclic.
 * Every descriptor is deeper than each one it holds: a sub or multi is
 * 1 + the deepest it is built on, an interleaved one IOBMD_INTERLEAVED_DEPTH
 * or 1 + its deepest piece, if more, and no deeper than IOBMD_MAX_DEPTH.
 * An interleaved descriptor's depth grows only while nothing is built on
 * it (no @users), since what is built on it counted the depth it had; a
 * piece that would make it deeper is refused (-ELOOP) while it is held.  A
 * piece that holds the descriptor it is set into, itself or through
 * others, is deeper than it and holds it: refused, so no cycle forms.
 * Pieces up to IOBMD_INTERLEAVED_DEPTH - 1 deep never deepen it.
 */
#include <linux/overflow.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/*
 * The least depth of an interleaved descriptor: pieces up to one less deep
 * go in whatever is built on it; deeper ones (other interleaved
 * descriptors, what is built on them) while nothing is.
 */
#define IOBMD_INTERLEAVED_DEPTH	5

/**
 * struct iobmd_piece - a range of another descriptor
 * @d: the descriptor, referenced
 * @offset: first byte in @d
 * @length: bytes
 * @start: where it starts in the descriptor it is a piece of (the lengths
 *	of the pieces before it), which a walk finds it by
 */
struct iobmd_piece {
	struct iobmd_desc *d;
	u64 offset;
	u64 length;
	u64 start;
};

/**
 * struct iobmd_compose - a sub, multi or interleaved descriptor
 * @desc: the descriptor
 * @pieces_lock: protects @count and @pieces for readers that hold no pin;
 *	written only by interleaved set and clear, with desc.prep_lock held
 *	and nothing pinned or being pinned.  Whoever holds a pin (walks, pin
 *	transitions, prepares) reads the pieces without it: they cannot
 *	change while pinned.  Subs and multis never change theirs: only
 *	interleaved descriptors take it
 * @capacity: entries in @pieces
 * @count: pieces in use
 * @pieces: the pieces, in order
 * @used: interleaved: 1 + the visits of the pieces in use; desc.lock
 * @users: interleaved: descriptors built on it (subs, multis, interleaved
 *	ones holding a piece of it), which counted its desc.visits and
 *	desc.depth; desc.lock
 */
struct iobmd_compose {
	struct iobmd_desc desc;
	struct rw_semaphore pieces_lock;
	u32 capacity;
	u32 count;
	struct iobmd_piece *pieces;
	u32 used;
	u32 users;
};

static struct iobmd_compose *iobmd_compose_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_compose, desc);
}

/*
 * For readers without a pin.  Only an interleaved descriptor's pieces
 * change: a sub's or a multi's are fixed at creation and need no lock
 * (which also spares lockdep a lock per visit of a large tree).  Its depth
 * changes only under the write side: taken again if it changed meanwhile.
 */
static void iobmd_compose_lock(struct iobmd_compose *c)
{
	u32 depth;

	if (c->desc.kind != IOBMD_KIND_INTERLEAVED)
		return;
	for (;;) {
		depth = READ_ONCE(c->desc.depth);
		down_read_nested(&c->pieces_lock, depth - 1);
		if (likely(READ_ONCE(c->desc.depth) == depth))
			return;
		up_read(&c->pieces_lock);
	}
}

static void iobmd_compose_unlock(struct iobmd_compose *c)
{
	if (c->desc.kind == IOBMD_KIND_INTERLEAVED)
		up_read(&c->pieces_lock);
}

/*
 * Between two piece visits: let others run and, for a user's call, stop
 * when the caller is being killed.
 */
static int iobmd_compose_step(bool killable)
{
	cond_resched();
	if (killable && fatal_signal_pending(current))
		return -EINTR;
	return 0;
}

/*
 * Build on @p: its visits, depth and whether it is read-only as one built
 * on it counts them, and, for an interleaved @p, a user, so that they stay
 * what they are until iobmd_compose_unuse().
 *
 * Return: 0, or -ELOOP when @p is as deep as a descriptor may be.
 */
static int iobmd_compose_use(struct iobmd_desc *p, u32 *visits, u32 *depth,
			     bool *readonly)
{
	int ret = 0;

	mutex_lock(&p->lock);
	if (p->depth >= IOBMD_MAX_DEPTH) {
		ret = -ELOOP;
	} else {
		*visits = p->visits;
		*depth = p->depth;
		*readonly = p->readonly;
		if (p->kind == IOBMD_KIND_INTERLEAVED)
			iobmd_compose_of(p)->users++;
	}
	mutex_unlock(&p->lock);
	return ret;
}

/*
 * A descriptor built on @p, which counted its visits and depth (and took
 * it as a user, under its lock), is gone.
 */
static void iobmd_compose_unuse(struct iobmd_desc *p)
{
	if (p->kind != IOBMD_KIND_INTERLEAVED)
		return;
	mutex_lock(&p->lock);
	iobmd_compose_of(p)->users--;
	mutex_unlock(&p->lock);
}

/* @total + @more visits, or -E2BIG past IOBMD_MAX_VISITS. */
static int iobmd_compose_add_visits(u32 *total, u32 more)
{
	if (more > IOBMD_MAX_VISITS || *total > IOBMD_MAX_VISITS - more)
		return -E2BIG;
	*total += more;
	return 0;
}

/*
 * The piece that holds byte @offset, or the last one when none does; a
 * binary search of the starts (O(log count)), whatever the offset, so that
 * a walk of a few bytes (a page fault of a mapping) costs that at each
 * level of nesting rather than a visit of every piece before it.  The
 * caller holds a pin (an interleaved descriptor's pieces stay put).
 * *@offset becomes the offset in the piece.
 */
static u32 iobmd_compose_find(const struct iobmd_compose *c, u64 *offset)
{
	u32 lo = 0, hi = c->count, mid;

	if (!hi)
		return 0;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (c->pieces[mid].start <= *offset)
			lo = mid;
		else
			hi = mid;
	}
	*offset -= c->pieces[lo].start;
	return lo;
}

static int iobmd_compose_walk(struct iobmd_desc *d, u64 offset, u64 len,
			      unsigned int how, iobmd_run_fn fn, void *arg)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	bool touched = false;
	int ret = 0;
	u32 i;

	for (i = iobmd_compose_find(c, &offset); i < c->count && len; i++) {
		struct iobmd_piece *p = &c->pieces[i];
		u64 n;

		if (offset >= p->length) {
			offset -= p->length;
			continue;
		}
		ret = iobmd_compose_step(how & IOBMD_WALK_KILLABLE);
		if (ret)
			break;
		n = min(p->length - offset, len);
		ret = p->d->ops->walk(p->d, p->offset + offset, n, how, fn, arg);
		/*
		 * A signal in a piece's wait (an import's fences) restarts
		 * a copy only while no piece has been walked: a piece
		 * before may be device memory, where a read or write does
		 * something each time.  Walks of addresses touch nothing.
		 */
		if (ret == -ERESTARTSYS && touched &&
		    !(how & (IOBMD_WALK_ADDR | IOBMD_WALK_DMA)))
			ret = -EINTR;
		if (ret)
			break;
		touched = true;
		len -= n;
		offset = 0;
	}
	/*
	 * Pieces cleared under a descriptor built on this one: callers that
	 * copy or map check iobmd_desc_check_backed() first.
	 */
	if (!ret && len)
		ret = -ERANGE;
	return ret;
}

static bool iobmd_compose_wired(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	bool wired = true;
	u32 i;

	iobmd_compose_lock(c);
	for (i = 0; i < c->count && wired; i++) {
		cond_resched();
		wired = iobmd_desc_wired(c->pieces[i].d);
	}
	iobmd_compose_unlock(c);
	return wired;
}

static int iobmd_compose_pin(struct iobmd_desc *d, unsigned int flags)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret = 0;
	u32 i;

	for (i = 0; i < c->count; i++) {
		cond_resched();
		ret = iobmd_desc_pin(c->pieces[i].d, flags);
		if (ret)
			break;
	}
	if (ret)
		while (i--) {
			cond_resched();
			iobmd_desc_unpin(c->pieces[i].d);
		}
	return ret;
}

static void iobmd_compose_unpin(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u32 i;

	for (i = 0; i < c->count; i++) {
		cond_resched();
		iobmd_desc_unpin(c->pieces[i].d);
	}
}

/* IOMultiMemoryDescriptor::prepare: in order, undoing them on a failure. */
static int iobmd_compose_dma_map(struct iobmd_desc *d, struct device *dev,
				 u32 direction)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret = 0;
	u32 i;

	/* PHYS32 is checked once, over the whole, by the caller. */
	direction &= ~IOBMD_PREPARE_PHYS32;
	for (i = 0; i < c->count; i++) {
		cond_resched();
		ret = iobmd_desc_prepare_dev(c->pieces[i].d, direction, dev);
		if (ret)
			break;
	}
	if (ret)
		while (i--) {
			cond_resched();
			iobmd_desc_complete(c->pieces[i].d);
		}
	return ret;
}

static void iobmd_compose_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u32 i;

	for (i = 0; i < c->count; i++) {
		cond_resched();
		iobmd_desc_complete(c->pieces[i].d);
	}
}

/*
 * Only iobmd_desc_perform() syncs: a fatal signal ends it early (it then
 * fails with -EINTR; the caller is dying).
 */
static void iobmd_compose_dma_sync(struct iobmd_desc *d, u64 offset, u64 len,
				   bool for_device)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u32 i;

	for (i = iobmd_compose_find(c, &offset); i < c->count && len; i++) {
		struct iobmd_piece *p = &c->pieces[i];
		u64 n;

		if (offset >= p->length) {
			offset -= p->length;
			continue;
		}
		if (iobmd_compose_step(true))
			return;
		n = min(p->length - offset, len);
		if (p->d->ops->dma_sync)
			p->d->ops->dma_sync(p->d, p->offset + offset, n,
					    for_device);
		len -= n;
		offset = 0;
	}
}

static void iobmd_compose_put_pieces(struct iobmd_compose *c)
{
	struct iobmd_desc *p;

	while (c->count) {
		p = c->pieces[--c->count].d;
		iobmd_compose_unuse(p);
		iobmd_desc_put(p);
		cond_resched();
	}
}

static void iobmd_compose_release(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);

	iobmd_compose_put_pieces(c);
	kvfree(c->pieces);
	kfree(c);
}

/* Placed as its pieces were; an interleaved one as those it holds now. */
static u64 iobmd_compose_phys_limit(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u64 limit = 0;
	u32 i;

	iobmd_compose_lock(c);
	for (i = 0; i < c->count; i++) {
		cond_resched();
		limit = max(limit, iobmd_desc_phys_limit(c->pieces[i].d));
	}
	iobmd_compose_unlock(c);
	return limit;
}

/* Usable when every piece is; the caller holds a pin. */
static int iobmd_compose_usable(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret = 0;
	u32 i;

	for (i = 0; i < c->count && !ret; i++) {
		/* Kernel callers prepare too: no -EINTR here. */
		iobmd_compose_step(false);
		ret = iobmd_desc_usable(c->pieces[i].d);
	}
	return ret;
}

/*
 * Bytes from @offset that the pieces back without a gap; the caller holds
 * a pin, so an interleaved descriptor's pieces stay put.  As bounded as a
 * walk of the range: the pieces it passes, and what they are built on.
 */
static u64 iobmd_compose_backed(struct iobmd_desc *d, u64 offset, u64 len)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u64 backed = 0;
	u32 i;

	for (i = iobmd_compose_find(c, &offset); i < c->count && len; i++) {
		struct iobmd_piece *p = &c->pieces[i];
		u64 n, got;

		if (offset >= p->length) {
			offset -= p->length;
			continue;
		}
		cond_resched();
		n = min(p->length - offset, len);
		got = iobmd_desc_piece_backed(p->d, p->offset + offset, n);
		backed += got;
		if (got < n)
			break;
		len -= n;
		offset = 0;
	}
	return backed;
}

static const struct iobmd_desc_ops iobmd_compose_ops = {
	.walk = iobmd_compose_walk,
	.wired = iobmd_compose_wired,
	.pin = iobmd_compose_pin,
	.unpin = iobmd_compose_unpin,
	.dma_map = iobmd_compose_dma_map,
	.dma_unmap = iobmd_compose_dma_unmap,
	.dma_sync = iobmd_compose_dma_sync,
	.phys_limit = iobmd_compose_phys_limit,
	.usable = iobmd_compose_usable,
	.backed = iobmd_compose_backed,
	.release = iobmd_compose_release,
};

static struct iobmd_compose *iobmd_compose_alloc(u32 capacity)
{
	struct iobmd_compose *c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);

	if (!c)
		return NULL;
	c->pieces = kvcalloc(capacity, sizeof(*c->pieces), GFP_KERNEL_ACCOUNT);
	if (!c->pieces) {
		kfree(c);
		return NULL;
	}
	c->capacity = capacity;
	init_rwsem(&c->pieces_lock);
	return c;
}

/* The length of a new composed descriptor: at most one buffer's. */
static int iobmd_compose_check_length(u64 length)
{
	return length > iobmd_capacity_limit() ? -E2BIG : 0;
}

/**
 * iobmd_sub_create() - IOSubMemoryDescriptor::withSubRange
 * @parent: the descriptor it is a window of; the sub takes a reference
 * @offset: first byte in @parent
 * @length: bytes
 * @direction: IOBMD_DIRECTION_*
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) for
 * length 0 or a bad direction, -ERANGE when the window leaves the parent,
 * -ELOOP when nested too deep, -E2BIG when longer than
 * iobmd_capacity_limit() or when a traversal of the parent makes
 * IOBMD_MAX_VISITS visits, -ENOMEM.
 */
struct iobmd_desc *iobmd_sub_create(struct iobmd_desc *parent, u64 offset,
				    u64 length, u32 direction)
{
	struct iobmd_compose *c = NULL;
	u32 visits = 1, pvisits, depth;
	bool readonly;
	u64 end;
	int ret;

	if (!length || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(offset, length, &end) ||
	    end > iobmd_desc_length(parent))
		return ERR_PTR(-ERANGE);
	ret = iobmd_compose_use(parent, &pvisits, &depth, &readonly);
	if (ret)
		return ERR_PTR(ret);
	ret = iobmd_compose_check_length(length) ?:
	      iobmd_compose_add_visits(&visits, pvisits);
	if (!ret) {
		c = iobmd_compose_alloc(1);
		if (!c)
			ret = -ENOMEM;
	}
	if (ret) {
		iobmd_compose_unuse(parent);
		return ERR_PTR(ret);
	}
	iobmd_desc_get(parent);
	c->pieces[0] = (struct iobmd_piece){ parent, offset, length };
	c->count = 1;
	iobmd_desc_init(&c->desc, &iobmd_compose_ops, IOBMD_KIND_SUB, length,
			direction, depth + 1);
	c->desc.visits = visits;
	c->desc.readonly = readonly;
	mutex_lock(&parent->lock);
	c->desc.tag = parent->tag;
	mutex_unlock(&parent->lock);
	return &c->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_sub_create, IOBMD_NS);

static void iobmd_compose_free(struct iobmd_compose *c)
{
	iobmd_compose_put_pieces(c);
	kvfree(c->pieces);
	kfree(c);
}

/**
 * iobmd_multi_create() - IOMultiMemoryDescriptor::withDescriptors
 * @pieces: the descriptors, in order; each gets a reference
 * @count: how many, at least 1
 * @direction: IOBMD_DIRECTION_*; every piece's direction must include it
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) for a
 * bad direction or a piece of length 0, -EOVERFLOW, -ELOOP, -E2BIG when
 * longer than iobmd_capacity_limit() or of more than IOBMD_MAX_VISITS
 * visits, -ENOMEM.
 */
struct iobmd_desc *iobmd_multi_create(struct iobmd_desc **pieces, u32 count,
				      u32 direction)
{
	struct iobmd_compose *c;
	u32 depth = 0, i;
	u32 visits = 1;
	bool readonly = false;
	u64 length = 0;
	u64 tag = 0;
	int ret = 0;

	if (!count || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	c = iobmd_compose_alloc(count);
	if (!c)
		return ERR_PTR(-ENOMEM);

	for (i = 0; i < count; i++) {
		struct iobmd_desc *p = pieces[i];
		struct iobmd_piece *piece = &c->pieces[i];

		cond_resched();
		mutex_lock(&p->lock);
		piece->length = p->length;
		piece->start = length;
		if ((p->direction & direction) != direction || !p->length)
			ret = -EINVAL;
		if (!ret && check_add_overflow(length, piece->length, &length))
			ret = -EOVERFLOW;
		if (!ret && p->depth >= IOBMD_MAX_DEPTH)
			ret = -ELOOP;
		if (!ret)
			ret = iobmd_compose_add_visits(&visits, p->visits);
		if (!ret && p->kind == IOBMD_KIND_INTERLEAVED)
			iobmd_compose_of(p)->users++;
		if (!ret && !tag)
			tag = p->tag;
		if (!ret) {
			depth = max(depth, p->depth);
			readonly |= p->readonly;
		}
		mutex_unlock(&p->lock);
		if (ret)
			break;
		iobmd_desc_get(p);
		piece->d = p;
		c->count++;
	}
	if (!ret)
		ret = iobmd_compose_check_length(length);
	if (ret) {
		iobmd_compose_free(c);
		return ERR_PTR(ret);
	}
	iobmd_desc_init(&c->desc, &iobmd_compose_ops, IOBMD_KIND_MULTI, length,
			direction, depth + 1);
	c->desc.visits = visits;
	c->desc.readonly = readonly;
	c->desc.tag = tag;
	return &c->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_multi_create, IOBMD_NS);

/**
 * iobmd_interleaved_create() - IOInterleavedMemoryDescriptor::withCapacity
 * @capacity: the most pieces it holds, at least 1
 * @direction: IOBMD_DIRECTION_*
 *
 * It counts as 1 + @capacity visits (or what its pieces count, if more),
 * and is IOBMD_INTERLEAVED_DEPTH deep (or 1 + its deepest piece, if more).
 *
 * Return: the descriptor (length 0) with one reference, or
 * ERR_PTR(-EINVAL), -E2BIG (@capacity of IOBMD_MAX_VISITS or more),
 * -ENOMEM.
 */
struct iobmd_desc *iobmd_interleaved_create(u32 capacity, u32 direction)
{
	struct iobmd_compose *c;

	if (!capacity || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	if (capacity >= IOBMD_MAX_VISITS)
		return ERR_PTR(-E2BIG);
	c = iobmd_compose_alloc(capacity);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->used = 1;
	iobmd_desc_init(&c->desc, &iobmd_compose_ops, IOBMD_KIND_INTERLEAVED,
			0, direction, IOBMD_INTERLEAVED_DEPTH);
	c->desc.visits = 1 + capacity;
	return &c->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_interleaved_create, IOBMD_NS);

/*
 * Lock an interleaved descriptor for a change of its pieces and depth:
 * every lock taken at its depth is held (see iobmd_desc_lock_prep()), so
 * none is waiting at the old one.  A pin under way holds desc.pin_lock:
 * the descriptor is in use then.
 */
static int iobmd_interleaved_lock(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);

	if (d->kind != IOBMD_KIND_INTERLEAVED)
		return -EINVAL;
	if (!mutex_trylock(&d->pin_lock))
		return -EBUSY;
	mutex_lock_nested(&d->prep_lock, d->depth - 1);
	if (d->pin_count || d->pinning) {
		mutex_unlock(&d->prep_lock);
		mutex_unlock(&d->pin_lock);
		return -EBUSY;
	}
	down_write_nested(&c->pieces_lock, d->depth - 1);
	return 0;
}

static void iobmd_interleaved_unlock(struct iobmd_desc *d)
{
	up_write(&iobmd_compose_of(d)->pieces_lock);
	mutex_unlock(&d->prep_lock);
	mutex_unlock(&d->pin_lock);
}

/**
 * iobmd_interleaved_set() - setMemoryDescriptor(piece, offset, length)
 * @d: the interleaved descriptor
 * @piece: the descriptor a range of which is appended; it gets a reference
 *	(an interleaved @piece: its pieces may change no more while @d holds
 *	it than while a sub holds it)
 * @offset: first byte in @piece
 * @length: bytes
 *
 * @d becomes 1 + @piece's depth deep when that is deeper than it is, which
 * it may only while nothing is built on it (see the top of this file):
 * so @piece cannot hold @d, and no cycle forms.  Likewise @d becomes
 * read-only with a read-only @piece only while nothing is built on it,
 * since what is built on it counted whether it was.
 *
 * Return: 0, -EINVAL (@d not interleaved, length 0), -EBUSY (prepared,
 * mapped or in use, another set or clear of @d among them: the change
 * does not wait; or a read-only @piece while a descriptor is built on a
 * @d that is not read-only), -ENOSPC (full), -ERANGE, -ELOOP (@piece is
 * IOBMD_MAX_DEPTH deep, or would make @d deeper while a descriptor is
 * built on @d: @d itself, or anything holding it, among them),
 * -EOVERFLOW, -E2BIG (the length would pass iobmd_capacity_limit(), or
 * the visits IOBMD_MAX_VISITS or, while descriptors are built on @d, what
 * they counted for it).
 */
int iobmd_interleaved_set(struct iobmd_desc *d, struct iobmd_desc *piece,
			  u64 offset, u64 length)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u32 visits, used, depth;
	bool readonly;
	u64 end, total;
	int ret;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(offset, length, &end) ||
	    end > iobmd_desc_length(piece))
		return -ERANGE;
	/* From here an interleaved piece's visits and depth stay put. */
	ret = iobmd_compose_use(piece, &visits, &depth, &readonly);
	if (ret)
		return ret;
	ret = iobmd_interleaved_lock(d);
	if (ret)
		goto unuse;

	mutex_lock(&d->lock);
	used = c->used;
	if (depth + 1 > d->depth && c->users)
		ret = -ELOOP;
	else if (readonly && !d->readonly && c->users)
		ret = -EBUSY;
	else if (c->count == c->capacity)
		ret = -ENOSPC;
	else if (check_add_overflow(d->length, length, &total))
		ret = -EOVERFLOW;
	else
		ret = iobmd_compose_check_length(total);
	if (!ret)
		ret = iobmd_compose_add_visits(&used, visits);
	if (!ret && used > d->visits && c->users)
		ret = -E2BIG;
	if (!ret) {
		d->length = total;
		c->used = used;
		d->visits = max(d->visits, used);
		if (depth + 1 > d->depth)
			WRITE_ONCE(d->depth, depth + 1);
		if (readonly)
			WRITE_ONCE(d->readonly, true);
	}
	mutex_unlock(&d->lock);
	if (!ret) {
		iobmd_desc_get(piece);
		c->pieces[c->count++] = (struct iobmd_piece){
			piece, offset, length, total - length };
	}
	iobmd_interleaved_unlock(d);
	if (!ret)
		return 0;
unuse:
	iobmd_compose_unuse(piece);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iobmd_interleaved_set, IOBMD_NS);

/**
 * iobmd_interleaved_clear() - clearMemoryDescriptors(direction)
 * @d: the interleaved descriptor
 * @direction: the new direction; IOBMD_DIRECTION_NONE keeps the current one
 *
 * Return: 0, -EINVAL (@d not interleaved, bad direction), -EBUSY
 * (prepared, mapped or in use, another set or clear of @d among them: the
 * change does not wait).
 */
int iobmd_interleaved_clear(struct iobmd_desc *d, u32 direction)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret;

	if (direction & ~IOBMD_DIRECTION_MASK)
		return -EINVAL;
	ret = iobmd_interleaved_lock(d);
	if (ret)
		return ret;
	iobmd_compose_put_pieces(c);
	mutex_lock(&d->lock);
	d->length = 0;
	c->used = 1;
	WRITE_ONCE(d->readonly, false);
	/* What descriptors built on it counted stays until they are gone. */
	if (!c->users) {
		d->visits = 1 + c->capacity;
		WRITE_ONCE(d->depth, IOBMD_INTERLEAVED_DEPTH);
	}
	if (direction)
		d->direction = direction;
	mutex_unlock(&d->lock);
	iobmd_interleaved_unlock(d);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iobmd_interleaved_clear, IOBMD_NS);

static bool iobmd_compose_is(struct iobmd_desc *d)
{
	return d->kind == IOBMD_KIND_SUB || d->kind == IOBMD_KIND_MULTI ||
	       d->kind == IOBMD_KIND_INTERLEAVED;
}

/*
 * The first pass of setPurgeable(): every buffer beneath @d, once each,
 * referenced, into @bufs (by id), and their combined state.  It changes
 * nothing, so a fatal signal may end it.
 */
static int iobmd_compose_purge_collect(struct iobmd_desc *d,
				       struct xarray *bufs, u32 *combined)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret = 0;
	u32 i, one;

	/* A dma-buf's importer is not the memory's owner. */
	if (d->imported)
		return -EOPNOTSUPP;
	iobmd_compose_lock(c);
	for (i = 0; i < c->count && !ret; i++) {
		struct iobmd_desc *p = c->pieces[i].d;

		ret = iobmd_compose_step(true);
		if (ret)
			break;
		if (iobmd_compose_is(p)) {
			ret = iobmd_compose_purge_collect(p, bufs, combined);
			continue;
		}
		/* Seen already: its state is in *@combined. */
		if (xa_load(bufs, p->id))
			continue;
		ret = iobmd_desc_set_purgeable(p, IOBMD_PURGEABLE_KEEP_CURRENT,
					       &one);
		if (ret)
			break;
		*combined = max(*combined, one);
		ret = xa_insert(bufs, p->id, p, GFP_KERNEL);
		if (!ret)
			iobmd_desc_get(p);
	}
	iobmd_compose_unlock(c);
	return ret;
}

/**
 * iobmd_compose_set_purgeable() - setPurgeable() on every buffer beneath
 * @d: a sub, multi or interleaved descriptor
 * @state: IOBMD_PURGEABLE_*
 * @old: out: the combined old state: Empty beats Volatile beats NonVolatile
 *
 * Each buffer changes once however often it is repeated beneath @d (Empty
 * zero-fills it: once, not once per repeat).  Only IOBMD_SET_PURGEABLE
 * calls it, for the calling process: a fatal signal ends the first pass,
 * which changes nothing, with -EINTR; the second always completes.
 *
 * Return: 0, -EINTR, -ENOMEM, or the first piece's error; then no piece
 * has changed.
 */
int iobmd_compose_set_purgeable(struct iobmd_desc *d, u32 state, u32 *old)
{
	u32 combined = IOBMD_PURGEABLE_NON_VOLATILE, one;
	struct iobmd_desc *p;
	struct xarray bufs;
	unsigned long id;
	int ret;

	xa_init(&bufs);
	ret = iobmd_compose_purge_collect(d, &bufs, &combined);
	xa_for_each(&bufs, id, p) {
		cond_resched();
		/* Every buffer took KEEP_CURRENT: each takes @state alike. */
		if (!ret && state != IOBMD_PURGEABLE_KEEP_CURRENT)
			ret = iobmd_desc_set_purgeable(p, state, &one);
		iobmd_desc_put(p);
	}
	xa_destroy(&bufs);
	if (!ret)
		*old = combined;
	return ret;
}

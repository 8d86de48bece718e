// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: descriptors made of pieces of other descriptors.
 * IOSubMemoryDescriptor is one piece, IOMultiMemoryDescriptor a fixed list
 * of whole descriptors, IOInterleavedMemoryDescriptor a list of pieces that
 * grows with setMemoryDescriptor() and empties with clearMemoryDescriptors().
 * Every generic operation goes through the pieces' own ops, so any kind,
 * nested any way, works beneath them.
 */
#include <linux/overflow.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/* An interleaved descriptor's depth is fixed, so pieces cannot nest it. */
#define IOBMD_INTERLEAVED_DEPTH	5

/**
 * struct iobmd_piece - a range of another descriptor
 * @d: the descriptor, referenced
 * @offset: first byte in @d
 * @length: bytes
 */
struct iobmd_piece {
	struct iobmd_desc *d;
	u64 offset;
	u64 length;
};

/**
 * struct iobmd_compose - a sub, multi or interleaved descriptor
 * @desc: the descriptor
 * @pieces_lock: protects @count and @pieces for readers that hold no pin;
 *	written only by interleaved set and clear, with desc.prep_lock held
 *	and nothing pinned or being pinned.  Whoever holds a pin (walks, pin
 *	transitions, prepares) reads the pieces without it: they cannot
 *	change while pinned
 * @capacity: entries in @pieces
 * @count: pieces in use
 * @pieces: the pieces, in order
 */
struct iobmd_compose {
	struct iobmd_desc desc;
	struct rw_semaphore pieces_lock;
	u32 capacity;
	u32 count;
	struct iobmd_piece *pieces;
};

static struct iobmd_compose *iobmd_compose_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_compose, desc);
}

static void iobmd_compose_lock(struct iobmd_compose *c)
{
	down_read_nested(&c->pieces_lock, c->desc.depth - 1);
}

static int iobmd_compose_walk(struct iobmd_desc *d, u64 offset, u64 len,
			      unsigned int how, iobmd_run_fn fn, void *arg)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret = 0;
	u32 i;

	for (i = 0; i < c->count && len; i++) {
		struct iobmd_piece *p = &c->pieces[i];
		u64 n;

		if (offset >= p->length) {
			offset -= p->length;
			continue;
		}
		n = min(p->length - offset, len);
		ret = p->d->ops->walk(p->d, p->offset + offset, n, how, fn, arg);
		if (ret)
			break;
		len -= n;
		offset = 0;
	}
	/* Pieces cleared under a descriptor built on this one. */
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
	for (i = 0; i < c->count && wired; i++)
		wired = iobmd_desc_wired(c->pieces[i].d);
	up_read(&c->pieces_lock);
	return wired;
}

static int iobmd_compose_pin(struct iobmd_desc *d, unsigned int flags)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret = 0;
	u32 i;

	for (i = 0; i < c->count; i++) {
		ret = iobmd_desc_pin(c->pieces[i].d, flags);
		if (ret)
			break;
	}
	if (ret)
		while (i--)
			iobmd_desc_unpin(c->pieces[i].d);
	return ret;
}

static void iobmd_compose_unpin(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u32 i;

	for (i = 0; i < c->count; i++)
		iobmd_desc_unpin(c->pieces[i].d);
}

/* IOMultiMemoryDescriptor::prepare: in order, undoing them on a failure. */
static int iobmd_compose_dma_map(struct iobmd_desc *d, struct device *dev,
				 u32 direction)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	int ret = 0;
	u32 i;

	for (i = 0; i < c->count; i++) {
		ret = iobmd_desc_prepare_dev(c->pieces[i].d, direction, dev);
		if (ret)
			break;
	}
	if (ret)
		while (i--)
			iobmd_desc_complete(c->pieces[i].d);
	return ret;
}

static void iobmd_compose_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u32 i;

	for (i = 0; i < c->count; i++)
		iobmd_desc_complete(c->pieces[i].d);
}

static void iobmd_compose_dma_sync(struct iobmd_desc *d, u64 offset, u64 len,
				   bool for_device)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u32 i;

	for (i = 0; i < c->count && len; i++) {
		struct iobmd_piece *p = &c->pieces[i];
		u64 n;

		if (offset >= p->length) {
			offset -= p->length;
			continue;
		}
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
	while (c->count)
		iobmd_desc_put(c->pieces[--c->count].d);
}

static void iobmd_compose_release(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);

	iobmd_compose_put_pieces(c);
	kvfree(c->pieces);
	kfree(c);
}

static const struct iobmd_desc_ops iobmd_compose_ops = {
	.walk = iobmd_compose_walk,
	.wired = iobmd_compose_wired,
	.pin = iobmd_compose_pin,
	.unpin = iobmd_compose_unpin,
	.dma_map = iobmd_compose_dma_map,
	.dma_unmap = iobmd_compose_dma_unmap,
	.dma_sync = iobmd_compose_dma_sync,
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

/**
 * iobmd_sub_create() - IOSubMemoryDescriptor::withSubRange
 * @parent: the descriptor it is a window of; the sub takes a reference
 * @offset: first byte in @parent
 * @length: bytes
 * @direction: IOBMD_DIRECTION_*
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) for
 * length 0 or a bad direction, -ERANGE when the window leaves the parent,
 * -ELOOP when nested too deep, -ENOMEM.
 */
struct iobmd_desc *iobmd_sub_create(struct iobmd_desc *parent, u64 offset,
				    u64 length, u32 direction)
{
	struct iobmd_compose *c;
	u64 end;

	if (!length || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(offset, length, &end) ||
	    end > iobmd_desc_length(parent))
		return ERR_PTR(-ERANGE);
	if (parent->depth >= IOBMD_MAX_DEPTH)
		return ERR_PTR(-ELOOP);
	c = iobmd_compose_alloc(1);
	if (!c)
		return ERR_PTR(-ENOMEM);

	iobmd_desc_get(parent);
	c->pieces[0] = (struct iobmd_piece){ parent, offset, length };
	c->count = 1;
	iobmd_desc_init(&c->desc, &iobmd_compose_ops, IOBMD_KIND_SUB, length,
			direction, parent->depth + 1);
	mutex_lock(&parent->lock);
	c->desc.tag = parent->tag;
	mutex_unlock(&parent->lock);
	return &c->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_sub_create, IOBMD);

/**
 * iobmd_multi_create() - IOMultiMemoryDescriptor::withDescriptors
 * @pieces: the descriptors, in order; each gets a reference
 * @count: how many, at least 1
 * @direction: IOBMD_DIRECTION_*; every piece's direction must include it
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) for a
 * bad direction or a piece of length 0, -EOVERFLOW, -ELOOP, -ENOMEM.
 */
struct iobmd_desc *iobmd_multi_create(struct iobmd_desc **pieces, u32 count,
				      u32 direction)
{
	struct iobmd_compose *c;
	u32 depth = 0, i;
	u64 length = 0;
	u64 tag = 0;

	if (!count || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	c = iobmd_compose_alloc(count);
	if (!c)
		return ERR_PTR(-ENOMEM);

	for (i = 0; i < count; i++) {
		struct iobmd_desc *p = pieces[i];
		struct iobmd_piece *piece = &c->pieces[i];
		int ret = 0;

		mutex_lock(&p->lock);
		piece->length = p->length;
		if ((p->direction & direction) != direction || !p->length)
			ret = -EINVAL;
		if (!tag)
			tag = p->tag;
		mutex_unlock(&p->lock);
		if (!ret && check_add_overflow(length, piece->length, &length))
			ret = -EOVERFLOW;
		if (!ret && p->depth >= IOBMD_MAX_DEPTH)
			ret = -ELOOP;
		if (ret) {
			iobmd_compose_put_pieces(c);
			kvfree(c->pieces);
			kfree(c);
			return ERR_PTR(ret);
		}
		iobmd_desc_get(p);
		piece->d = p;
		c->count++;
		depth = max(depth, p->depth);
	}
	iobmd_desc_init(&c->desc, &iobmd_compose_ops, IOBMD_KIND_MULTI, length,
			direction, depth + 1);
	c->desc.tag = tag;
	return &c->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_multi_create, IOBMD);

/**
 * iobmd_interleaved_create() - IOInterleavedMemoryDescriptor::withCapacity
 * @capacity: the most pieces it holds, at least 1
 * @direction: IOBMD_DIRECTION_*
 *
 * Return: the descriptor (length 0) with one reference, or
 * ERR_PTR(-EINVAL), -ENOMEM.
 */
struct iobmd_desc *iobmd_interleaved_create(u32 capacity, u32 direction)
{
	struct iobmd_compose *c;

	if (!capacity || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	c = iobmd_compose_alloc(capacity);
	if (!c)
		return ERR_PTR(-ENOMEM);
	iobmd_desc_init(&c->desc, &iobmd_compose_ops, IOBMD_KIND_INTERLEAVED,
			0, direction, IOBMD_INTERLEAVED_DEPTH);
	return &c->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_interleaved_create, IOBMD);

/* Lock an interleaved descriptor for a change of its pieces. */
static int iobmd_interleaved_lock(struct iobmd_desc *d)
{
	struct iobmd_compose *c = iobmd_compose_of(d);

	if (d->kind != IOBMD_KIND_INTERLEAVED)
		return -EINVAL;
	mutex_lock_nested(&d->prep_lock, d->depth - 1);
	if (d->pin_count || d->pinning) {
		mutex_unlock(&d->prep_lock);
		return -EBUSY;
	}
	down_write_nested(&c->pieces_lock, d->depth - 1);
	return 0;
}

static void iobmd_interleaved_unlock(struct iobmd_desc *d)
{
	up_write(&iobmd_compose_of(d)->pieces_lock);
	mutex_unlock(&d->prep_lock);
}

/**
 * iobmd_interleaved_set() - setMemoryDescriptor(piece, offset, length)
 * @d: the interleaved descriptor
 * @piece: the descriptor a range of which is appended; it gets a reference
 * @offset: first byte in @piece
 * @length: bytes
 *
 * Return: 0, -EINVAL (@d not interleaved, length 0), -EBUSY (prepared,
 * mapped or in use), -ENOSPC (full), -ERANGE, -ELOOP, -EOVERFLOW.
 */
int iobmd_interleaved_set(struct iobmd_desc *d, struct iobmd_desc *piece,
			  u64 offset, u64 length)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	u64 end, total;
	int ret;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(offset, length, &end) ||
	    end > iobmd_desc_length(piece))
		return -ERANGE;
	if (piece->depth >= IOBMD_INTERLEAVED_DEPTH)
		return -ELOOP;
	ret = iobmd_interleaved_lock(d);
	if (ret)
		return ret;

	mutex_lock(&d->lock);
	if (c->count == c->capacity)
		ret = -ENOSPC;
	else if (check_add_overflow(d->length, length, &total))
		ret = -EOVERFLOW;
	else
		d->length = total;
	mutex_unlock(&d->lock);
	if (!ret) {
		iobmd_desc_get(piece);
		c->pieces[c->count++] = (struct iobmd_piece){ piece, offset,
							      length };
	}
	iobmd_interleaved_unlock(d);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iobmd_interleaved_set, IOBMD);

/**
 * iobmd_interleaved_clear() - clearMemoryDescriptors(direction)
 * @d: the interleaved descriptor
 * @direction: the new direction; IOBMD_DIRECTION_NONE keeps the current one
 *
 * Return: 0, -EINVAL (@d not interleaved, bad direction), -EBUSY
 * (prepared, mapped or in use).
 */
int iobmd_interleaved_clear(struct iobmd_desc *d, u32 direction)
{
	int ret;

	if (direction & ~IOBMD_DIRECTION_MASK)
		return -EINVAL;
	ret = iobmd_interleaved_lock(d);
	if (ret)
		return ret;
	iobmd_compose_put_pieces(iobmd_compose_of(d));
	mutex_lock(&d->lock);
	d->length = 0;
	if (direction)
		d->direction = direction;
	mutex_unlock(&d->lock);
	iobmd_interleaved_unlock(d);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iobmd_interleaved_clear, IOBMD);

/**
 * iobmd_compose_set_purgeable() - setPurgeable() on every buffer beneath
 * @d: a sub, multi or interleaved descriptor
 * @state: IOBMD_PURGEABLE_*
 * @old: out: the combined old state: Empty beats Volatile beats NonVolatile
 *
 * Return: 0, or the first piece's error; then no piece has changed.
 */
int iobmd_compose_set_purgeable(struct iobmd_desc *d, u32 state, u32 *old)
{
	struct iobmd_compose *c = iobmd_compose_of(d);
	bool change = state != IOBMD_PURGEABLE_KEEP_CURRENT;
	u32 combined = IOBMD_PURGEABLE_NON_VOLATILE, one;
	int ret = 0;
	u32 i;

	iobmd_compose_lock(c);
	/* Every piece's state first: when one has none, nothing changes. */
	for (i = 0; i < c->count && !ret; i++) {
		ret = iobmd_desc_set_purgeable(c->pieces[i].d,
					       IOBMD_PURGEABLE_KEEP_CURRENT,
					       &one);
		if (!ret)
			combined = max(combined, one);
	}
	for (i = 0; change && i < c->count && !ret; i++)
		ret = iobmd_desc_set_purgeable(c->pieces[i].d, state, &one);
	up_read(&c->pieces_lock);
	if (!ret)
		*old = combined;
	return ret;
}

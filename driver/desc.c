// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IOMemoryDescriptor, the operations every kind shares, written once
 * against the kind's ops: references, pin and prepare counting, readBytes,
 * writeBytes, physical and DMA segments, cache maintenance.
 */
#include <linux/dma-mapping.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/io.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iobmd_priv.h"

/**
 * iobmd_desc_init() - initialise the base of a new descriptor
 * @d: the descriptor, embedded in its kind's object
 * @ops: the kind's operations
 * @kind: enum iobmd_kind
 * @length: initial getLength()
 * @direction: initial getDirection()
 * @depth: 1, or 1 + the depth of the deepest descriptor it uses
 *
 * The descriptor starts with one reference, owned by the caller.
 */
void __iobmd_hot iobmd_desc_init(struct iobmd_desc *d,
				 const struct iobmd_desc_ops *ops, u32 kind,
				 u64 length, u32 direction, u32 depth)
{
	kref_init(&d->ref);
	iobmd_mutex_init(&d->lock);
	iobmd_mutex_init(&d->prep_lock);
	iobmd_mutex_init(&d->pin_lock);
	d->ops = ops;
	d->kind = kind;
	d->depth = depth;
	d->length = length;
	d->direction = direction;
	d->tag = 0;
	d->pin_count = 0;
	atomic_set(&d->wired_pins, 0);
	d->pinning = false;
	d->pin_write = false;
	d->prepare_count = 0;
	d->dma_dev = NULL;
	d->dma_direction = 0;
	d->acct = NULL;
	d->user = NULL;
	d->charged = 0;
	d->visits = 1;
	iobmd_registry_add(d);
}

/**
 * iobmd_desc_get() - take a reference on a descriptor
 * @d: the descriptor
 */
void __iobmd_hot iobmd_desc_get(struct iobmd_desc *d)
{
	__iobmd_desc_get(d);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_get, IOBMD_NS);

/**
 * iobmd_desc_release() - free a descriptor whose last reference went
 * @ref: its reference count
 */
void __iobmd_hot iobmd_desc_release(struct kref *ref)
{
	struct iobmd_desc *d = container_of(ref, struct iobmd_desc, ref);

	iobmd_registry_del(d);
	iobmd_account_uncharge(d);
	mutex_destroy(&d->pin_lock);
	mutex_destroy(&d->prep_lock);
	mutex_destroy(&d->lock);
	/* Buffers, most of what is freed, without an indirect call. */
	INDIRECT_CALL_1(d->ops->release, iobmd_buffer_release, d);
}

/**
 * iobmd_desc_put() - drop a reference; the last one frees the descriptor
 * @d: the descriptor
 */
void __iobmd_hot iobmd_desc_put(struct iobmd_desc *d)
{
	__iobmd_desc_put(d);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_put, IOBMD_NS);

/**
 * iobmd_desc_length() - getLength()
 * @d: the descriptor
 *
 * Return: the length now in force.
 */
u64 __iobmd_hot iobmd_desc_length(struct iobmd_desc *d)
{
	u64 len;

	mutex_lock(&d->lock);
	len = d->length;
	mutex_unlock(&d->lock);
	return len;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_length, IOBMD_NS);

/**
 * iobmd_desc_direction() - getDirection()
 * @d: the descriptor
 *
 * Return: the direction now in force.
 */
u32 iobmd_desc_direction(struct iobmd_desc *d)
{
	u32 dir;

	mutex_lock(&d->lock);
	dir = d->direction;
	mutex_unlock(&d->lock);
	return dir;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_direction, IOBMD_NS);

/**
 * iobmd_desc_extent() - bytes of memory behind a descriptor
 * @d: the descriptor
 *
 * Return: the capacity for buffers, else the length.
 */
u64 __iobmd_hot iobmd_desc_extent(struct iobmd_desc *d)
{
	return d->ops->extent ? d->ops->extent(d) : iobmd_desc_length(d);
}

/**
 * iobmd_desc_wired() - whether the memory exists without a prepare
 * @d: the descriptor
 *
 * Return: true for buffers, device memory and what is built only of them.
 */
bool __iobmd_hot iobmd_desc_wired(struct iobmd_desc *d)
{
	return !d->ops->wired || d->ops->wired(d);
}

/**
 * iobmd_dma_dir() - the DMA API direction of an IODirection
 * @direction: IOBMD_DIRECTION_* bits
 *
 * Return: DMA_FROM_DEVICE for In, DMA_TO_DEVICE for Out, else
 * DMA_BIDIRECTIONAL.
 */
int iobmd_dma_dir(u32 direction)
{
	switch (direction & IOBMD_DIRECTION_MASK) {
	case IOBMD_DIRECTION_IN:
		return DMA_FROM_DEVICE;
	case IOBMD_DIRECTION_OUT:
		return DMA_TO_DEVICE;
	default:
		return DMA_BIDIRECTIONAL;
	}
}

/*
 * @prep_lock and @pin_lock nest by depth.  Only an interleaved descriptor's
 * depth changes, and only while its setter holds both locks
 * (iobmd_interleaved_set()): the depth read before taking one is the one
 * in force once it is held, or the lock is taken again at the new depth.
 */
static void iobmd_desc_lock_prep(struct iobmd_desc *d)
{
	u32 depth;

	for (;;) {
		depth = READ_ONCE(d->depth);
		mutex_lock_nested(&d->prep_lock, depth - 1);
		if (likely(READ_ONCE(d->depth) == depth))
			return;
		mutex_unlock(&d->prep_lock);
	}
}

static int iobmd_desc_lock_pin(struct iobmd_desc *d)
{
	u32 depth;

	for (;;) {
		depth = READ_ONCE(d->depth);
		if (mutex_lock_killable_nested(&d->pin_lock, depth - 1))
			return -EINTR;
		if (likely(READ_ONCE(d->depth) == depth))
			return 0;
		mutex_unlock(&d->pin_lock);
	}
}

/*
 * A pin of a kind with a @pin operation that needs no 0 -> 1 transition:
 * of memory pinned already.
 *
 * Return: 0, -EACCES (a writing pin of memory pinned read-only), or
 * -ENODATA when the transition is needed.
 */
static int iobmd_desc_pin_held(struct iobmd_desc *d, bool write)
{
	int ret = 0;

	iobmd_desc_lock_prep(d);
	if (d->pin_count && write && !d->pin_write)
		ret = -EACCES;
	else if (d->pin_count)
		d->pin_count++;
	else
		ret = -ENODATA;
	mutex_unlock(&d->prep_lock);
	return ret;
}

/**
 * __iobmd_desc_pin() - iobmd_desc_pin() of a kind that pins its memory
 * @d: the descriptor
 * @flags: IOBMD_PIN_WRITE when the memory will be written through the pin;
 *	IOBMD_PIN_NOFAULT to take a pin only on memory that needs no faulting
 *	in (wired, or pinned already), as under mmap_lock
 *
 * Pins nest.  The first pin decides whether user memory is pinned
 * writable; a later writing pin of read-only pinned memory fails.
 *
 * The 0 -> 1 transition (pinning user memory takes mmap_lock) runs under
 * @pin_lock and without @prep_lock, which mmap() takes under mmap_lock.
 * Others that need the transition wait for @pin_lock, killably; a
 * NOFAULT pin never waits for it (the pinner may be waiting for the
 * mmap_lock its caller holds) and fails instead.
 *
 * Return: 0, -EACCES (pinned read-only, or @d read-only), -ENODATA
 * (NOFAULT, and user memory is not pinned or being pinned), -EINTR (a
 * fatal signal while waiting for another task's pin), or the kind's pin
 * error.
 */
int __iobmd_desc_pin(struct iobmd_desc *d, unsigned int flags)
{
	bool write = flags & IOBMD_PIN_WRITE;
	bool wired;
	int ret;

	if (write && READ_ONCE(d->readonly))
		return -EACCES;
	ret = iobmd_desc_pin_held(d, write);
	if (ret != -ENODATA)
		return ret;
	if (flags & IOBMD_PIN_NOFAULT) {
		if (!mutex_trylock(&d->pin_lock))
			return -ENODATA;
	} else if (iobmd_desc_lock_pin(d)) {
		return -EINTR;
	}
	/* The pinner that held @pin_lock may have pinned it meanwhile. */
	ret = iobmd_desc_pin_held(d, write);
	if (ret == -ENODATA) {
		iobmd_desc_lock_prep(d);
		d->pinning = true;
		mutex_unlock(&d->prep_lock);
		ret = d->ops->pin(d, flags);
		/*
		 * Only user memory pinned without FOLL_WRITE and read-only
		 * memory refuse writes: other memory that is all wired takes
		 * them through any pin.  With @pinning set, an interleaved
		 * descriptor's pieces (and so its @readonly) stay put.
		 */
		wired = !ret && iobmd_desc_wired(d);
		iobmd_desc_lock_prep(d);
		d->pinning = false;
		if (!ret) {
			d->pin_write = write || (wired && !d->readonly);
			d->pin_count = 1;
		}
		mutex_unlock(&d->prep_lock);
	}
	mutex_unlock(&d->pin_lock);
	return ret;
}

/**
 * __iobmd_desc_unpin() - iobmd_desc_unpin() of a kind that pins its memory
 * @d: the descriptor
 *
 * Safe under mmap_lock (munmap of the last mapping): the 1 -> 0 transition
 * runs under @prep_lock and takes no mmap_lock, nor @pin_lock.
 */
void __iobmd_desc_unpin(struct iobmd_desc *d)
{
	iobmd_desc_lock_prep(d);
	if (!WARN_ON_ONCE(!d->pin_count) && !--d->pin_count && d->ops->unpin)
		d->ops->unpin(d);
	mutex_unlock(&d->prep_lock);
}

/**
 * iobmd_desc_prepare_dir() - the direction a prepare() maps for
 * @d: the descriptor
 * @direction: IOBMD_DIRECTION_* with IOBMD_PREPARE_* modifiers
 *
 * Return: @direction's direction bits, or for None the descriptor's own
 * (InOut when it has none).
 */
u32 iobmd_desc_prepare_dir(struct iobmd_desc *d, u32 direction)
{
	u32 dir = direction & IOBMD_DIRECTION_MASK;

	return dir ?: iobmd_desc_direction(d) ?: IOBMD_DIRECTION_INOUT;
}

/**
 * iobmd_desc_prepare_pin_flags() - how a prepare() pins
 * @dir: from iobmd_desc_prepare_dir()
 *
 * Return: IOBMD_PIN_WRITE when the device writes the memory, else 0.
 */
unsigned int iobmd_desc_prepare_pin_flags(u32 dir)
{
	return dir & IOBMD_DIRECTION_IN ? IOBMD_PIN_WRITE : 0;
}

/* The end of the highest run a walk reports, in *@arg. */
static int iobmd_desc_max_run(void *arg, const struct iobmd_run *run)
{
	u64 *max = arg;

	*max = max(*max, run->addr + run->len - 1);
	return 0;
}

/**
 * iobmd_desc_phys_limit() - the highest physical address a descriptor's
 * memory was placed at or below
 * @d: the descriptor
 *
 * A buffer's comes from its physical mask, a composed descriptor's from
 * its pieces, device and physical memory's from its addresses; memory
 * placed by no one (the caller's own pages) has none.  Where the memory
 * happens to lie never enters into it, so the answer tells an
 * unprivileged caller nothing it did not know.
 *
 * Return: the address, or U64_MAX.
 */
u64 iobmd_desc_phys_limit(struct iobmd_desc *d)
{
	return d->ops->phys_limit ? d->ops->phys_limit(d) : U64_MAX;
}

/**
 * iobmd_desc_piece_backed() - bytes of a range of a piece that are backed
 * @p: a descriptor another is built on
 * @offset: first byte in @p
 * @len: bytes
 *
 * A piece backs its bytes up to its length now, not the length it had
 * when the descriptor was built on it: IOKit's getPhysicalSegment() of a
 * buffer ends at its length, and readBytes() of a window of it copies
 * nothing from there on.  The caller holds a pin of what is built on @p.
 *
 * Return: how many of the @len bytes from @offset are backed, without a
 * gap.
 */
u64 iobmd_desc_piece_backed(struct iobmd_desc *p, u64 offset, u64 len)
{
	u64 length = iobmd_desc_length(p);

	if (offset >= length)
		return 0;
	len = min(len, length - offset);
	return p->ops->backed ? p->ops->backed(p, offset, len) : len;
}

/**
 * iobmd_desc_backed() - how much of a range is backed, from its start
 * @d: the descriptor, pinned by the caller
 * @offset: first byte, inside the length
 * @len: bytes, inside the length
 *
 * Return: how many of the @len bytes from @offset its pieces back without
 * a gap (@len for memory of its own): where IOKit's getPhysicalSegment()
 * of the range ends.
 */
u64 iobmd_desc_backed(struct iobmd_desc *d, u64 offset, u64 len)
{
	if (!len || !d->ops->backed)
		return len;
	return d->ops->backed(d, offset, len);
}

/**
 * iobmd_desc_check_backed() - whether a range is backed all through
 * @d: the descriptor, pinned by the caller
 * @offset: first byte, inside the length
 * @len: bytes, inside the length
 *
 * The rule for a use of a range that has no short count to give (segments
 * of a given length, a mapping, the in-kernel readBytes/writeBytes),
 * checked before anything is copied or mapped: bytes a piece no longer
 * backs fail the whole range.
 *
 * Return: 0, or -ERANGE when a byte of the range is no longer backed.
 */
int iobmd_desc_check_backed(struct iobmd_desc *d, u64 offset, u64 len)
{
	return iobmd_desc_backed(d, offset, len) < len ? -ERANGE : 0;
}

/*
 * IOBMD_PREPARE_PHYS32: without a device, the memory must have been placed
 * below 4 GiB; with one, its DMA addresses must lie below 4 GiB.
 */
static int iobmd_desc_check_phys32(struct iobmd_desc *d, struct device *dev)
{
	u64 max = 0;
	int ret;

	if (!dev)
		return iobmd_desc_phys_limit(d) > DMA_BIT_MASK(32) ? -ERANGE : 0;
	ret = d->ops->walk(d, 0, iobmd_desc_extent(d),
			   IOBMD_WALK_DMA | IOBMD_WALK_ADDR,
			   iobmd_desc_max_run, &max);
	return ret ?: max > DMA_BIT_MASK(32) ? -ERANGE : 0;
}

/**
 * iobmd_desc_prepare_dev() - prepare() with IODMACommand's mapping for a
 * device
 * @d: the descriptor
 * @direction: IOBMD_DIRECTION_* (None: the descriptor's own) with
 *	IOBMD_PREPARE_* modifiers
 * @dev: the device the memory is DMA-mapped for, with its DMA mask; NULL
 *	to wire the memory only (iobmd_desc_prepare())
 *
 * Pins the memory and, on the first prepare, maps every kind for DMA on
 * @dev in that prepare's direction: iobmd_desc_dma_segments() then gives
 * @dev's addresses (behind an IOMMU, IOVAs); the descriptor holds a
 * reference on @dev until the last complete.  Prepares nest; the first
 * one decides the device, and later ones must name the same one (or
 * none, when it named none), in a direction the first one covers (In,
 * Out or both): a live mapping cannot change direction while a device
 * may be using it, so Out then In (the device's writes would never reach
 * the CPU) fails rather than being widened, and a wire on top of a
 * device's mapping would keep it past the driver's complete.  Complete
 * every prepare, then prepare again.  With IOBMD_PREPARE_PHYS32, see
 * iobmd_desc_check_phys32().
 *
 * Return: 0, -EINVAL (@dev has no DMA mask), -EBUSY (prepared already
 * for another device, or for none, or for a device and now for none),
 * -EACCES (already mapped, or user memory pinned, for a direction that
 * does not cover @direction), -EPERM (raw memory userspace named, which
 * lockdown closed or a driver claimed since), -ERANGE (IOBMD_PREPARE_PHYS32
 * not met; memory @dev cannot reach), -EOVERFLOW (IOBMD_PREPARE_MAX prepares
 * outstanding), -EINTR, or the kind's error (-ENOMEM, -EFAULT for user
 * memory that cannot be pinned).
 */
int iobmd_desc_prepare_dev(struct iobmd_desc *d, u32 direction,
			   struct device *dev)
{
	u32 dir = iobmd_desc_prepare_dir(d, direction);
	bool map;
	int ret;

	if (dev && !dev->dma_mask)
		return -EINVAL;
	ret = iobmd_desc_pin(d, iobmd_desc_prepare_pin_flags(dir));
	if (ret)
		return ret;
	ret = iobmd_desc_usable(d);
	if (ret) {
		iobmd_desc_unpin(d);
		return ret;
	}

	iobmd_desc_lock_prep(d);
	map = !d->prepare_count;
	if (d->prepare_count >= IOBMD_PREPARE_MAX) {
		ret = -EOVERFLOW;
	} else if (d->prepare_count) {
		/*
		 * One kind of prepare at a time: a wire on top of a device's
		 * mapping would keep it past the driver's complete.
		 */
		if (d->dma_dev != dev)
			ret = -EBUSY;
		else if (dev && dir & ~d->dma_direction)
			ret = -EACCES;
	} else if (map && d->ops->dma_map) {
		ret = d->ops->dma_map(d, dev,
				      dir | (direction & ~IOBMD_DIRECTION_MASK));
	}
	/* The kind's unmap and sync find the device here, referenced. */
	if (!ret && map && dev)
		d->dma_dev = get_device(dev);
	if (!ret && direction & IOBMD_PREPARE_PHYS32) {
		ret = iobmd_desc_check_phys32(d, dev);
		if (ret && map) {
			if (d->ops->dma_unmap)
				d->ops->dma_unmap(d);
			put_device(d->dma_dev);
			d->dma_dev = NULL;
		}
	}
	if (!ret && !d->prepare_count++) {
		d->dma_direction = dir;
		atomic64_inc(&iobmd_stats.prepares);
	}
	mutex_unlock(&d->prep_lock);
	if (ret)
		iobmd_desc_unpin(d);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_prepare_dev, IOBMD_NS);

/**
 * iobmd_desc_prepare() - prepare(): wire the memory
 * @d: the descriptor
 * @direction: as iobmd_desc_prepare_dev(); with IOBMD_PREPARE_PHYS32 the
 *	memory must have been placed below 4 GiB (iobmd_desc_phys_limit())
 *
 * IOMemoryDescriptor::prepare(): user memory is pinned, all memory stays
 * put until iobmd_desc_complete().  Nothing is mapped for DMA: a driver
 * maps for its device with iobmd_desc_prepare_dev().
 *
 * Return: as iobmd_desc_prepare_dev().
 */
int iobmd_desc_prepare(struct iobmd_desc *d, u32 direction)
{
	return iobmd_desc_prepare_dev(d, direction, NULL);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_prepare, IOBMD_NS);

/**
 * iobmd_desc_complete() - complete(): undo one iobmd_desc_prepare(),
 * iobmd_desc_prepare_dev() or iobmd_desc_hold_prepared()
 * @d: the descriptor
 *
 * A complete without an outstanding prepare is a bug in the caller: it
 * warns once and changes nothing.
 *
 * Return: 0, or -EINVAL (and a warning) when @d is not prepared.
 */
int iobmd_desc_complete(struct iobmd_desc *d)
{
	iobmd_desc_lock_prep(d);
	if (WARN_ONCE(!d->prepare_count,
		      "iobmd: complete() of descriptor %llu, not prepared\n",
		      d->id)) {
		mutex_unlock(&d->prep_lock);
		return -EINVAL;
	}
	if (!--d->prepare_count) {
		if (d->ops->dma_unmap)
			d->ops->dma_unmap(d);
		put_device(d->dma_dev);
		d->dma_dev = NULL;
		d->dma_direction = 0;
		atomic64_dec(&iobmd_stats.prepares);
	}
	mutex_unlock(&d->prep_lock);
	iobmd_desc_unpin(d);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_complete, IOBMD_NS);

/**
 * iobmd_desc_hold_prepared() - keep an already prepared descriptor so
 * until iobmd_desc_complete()
 * @d: the descriptor
 *
 * A hold is not held to IOBMD_PREPARE_MAX: holds last as long as a call,
 * so there are no more of them than calls in progress.
 *
 * Return: 0, or -ENODATA when it is not prepared.
 */
int iobmd_desc_hold_prepared(struct iobmd_desc *d)
{
	int ret = -ENODATA;

	iobmd_desc_lock_prep(d);
	if (d->prepare_count) {
		/* Prepared means pinned: no transition. */
		d->prepare_count++;
		if (d->ops->pin)
			d->pin_count++;
		else
			atomic_inc(&d->wired_pins);
		ret = 0;
	}
	mutex_unlock(&d->prep_lock);
	return ret;
}

/* readBytes/writeBytes: the whole range must lie inside the length. */
static int iobmd_desc_check_range(struct iobmd_desc *d, u64 offset, u64 len)
{
	u64 length = iobmd_desc_length(d);
	u64 end;

	if (offset >= length || check_add_overflow(offset, len, &end) ||
	    end > length)
		return -ERANGE;
	return 0;
}

/**
 * struct iobmd_copy - one readBytes/writeBytes in progress
 * @ubuf: user buffer, or NULL
 * @kbuf: kernel buffer, or NULL
 * @to_user: from the descriptor to the buffer, else the other way
 * @killable: a user's call (IOBMD_READ, IOBMD_WRITE), which a fatal signal
 *	ends with -EINTR.  Kernel callers (iobmd_desc_read_bytes() and
 *	iobmd_desc_write_bytes()) always complete: they cannot be told to
 *	undo a partial copy, and their work is bounded like any descriptor's
 *
 * With neither buffer, writing zero-fills.
 */
struct iobmd_copy {
	u8 __user *ubuf;
	u8 *kbuf;
	bool to_user;
	bool killable;
};

/*
 * Bytes copied or zero-filled between two chances to reschedule and to
 * notice a fatal signal: a run can be a whole contiguous buffer.
 */
#define IOBMD_COPY_CHUNK	SZ_1M

/* Between two chunks: let others run, stop a user's call being killed. */
static int iobmd_copy_step(const struct iobmd_copy *c)
{
	cond_resched();
	if (c->killable && fatal_signal_pending(current))
		return -EINTR;
	return 0;
}

static void iobmd_copy_advance(struct iobmd_copy *c, u64 n)
{
	if (c->ubuf)
		c->ubuf += n;
	if (c->kbuf)
		c->kbuf += n;
}

/* Copy @n bytes between @p (kernel memory of the run) and the buffer. */
static int iobmd_copy_kernel(struct iobmd_copy *c, void *p, u64 n)
{
	if (c->kbuf) {
		if (c->to_user)
			memcpy(c->kbuf, p, n);
		else
			memcpy(p, c->kbuf, n);
		return 0;
	}
	if (!c->ubuf) {
		memset(p, 0, n);
		return 0;
	}
	return iobmd_usercopy(p, c->ubuf, n, c->to_user);
}

#define IOBMD_IO_CHUNK	256

/*
 * Device memory: through a bounce buffer with the I/O accessors.  MMIO can
 * be slow: each chunk may reschedule, and a dying caller stops (one copying
 * into kernel memory is not a user's to stop).
 */
static int iobmd_desc_copy_io(struct iobmd_copy *c, void __iomem *io, u64 len)
{
	u8 bounce[IOBMD_IO_CHUNK];

	while (len) {
		size_t n = min_t(u64, len, sizeof(bounce));
		int ret;

		/* Each access may trap to a slow device: step every chunk. */
		ret = iobmd_copy_step(c);
		if (ret)
			return ret;
		if (c->to_user)
			memcpy_fromio(bounce, io, n);
		ret = iobmd_copy_kernel(c, bounce, n);
		if (ret)
			return ret;
		if (!c->to_user)
			memcpy_toio(io, bounce, n);
		iobmd_copy_advance(c, n);
		io += n;
		len -= n;
	}
	return 0;
}

static int iobmd_desc_copy_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_copy *c = arg;
	u8 *p = run->kaddr;
	u64 len = run->len;
	int ret;

	if (run->flags & IOBMD_RUN_IOMEM)
		return iobmd_desc_copy_io(c, (void __iomem *)run->kaddr, len);
	while (len) {
		u64 n = min_t(u64, len, IOBMD_COPY_CHUNK);

		/* A non-cacheable buffer through a cacheable alias (arm64). */
		if (run->cache != IOBMD_CACHE_DEFAULT)
			iobmd_cache_sync_alias(p, n);
		ret = iobmd_copy_kernel(c, p, n);
		if (run->cache != IOBMD_CACHE_DEFAULT)
			iobmd_cache_sync_alias(p, n);
		if (ret)
			return ret;
		iobmd_copy_advance(c, n);
		p += n;
		len -= n;
		ret = iobmd_copy_step(c);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * With @done, IOKit's readBytes()/writeBytes(): the bytes up to the first
 * one a piece no longer backs are copied and counted in *@done, as IOKit
 * copies a window's bytes until its parent's segments end and returns the
 * count.  Without (kernel callers, who get no count), such a range fails
 * whole with -ERANGE.
 */
static int iobmd_desc_copy(struct iobmd_desc *d, u64 offset,
			   struct iobmd_copy c, u64 len, u64 *done)
{
	bool to_user = c.to_user;
	int ret;

	ret = iobmd_desc_check_range(d, offset, len);
	if (ret || !len)
		goto out;
	ret = iobmd_desc_pin(d, to_user ? 0 : IOBMD_PIN_WRITE);
	if (ret)
		return ret;
	if (done)
		len = iobmd_desc_backed(d, offset, len);
	else
		ret = iobmd_desc_check_backed(d, offset, len);
	if (!ret && len)
		ret = d->ops->walk(d, offset, len,
				   c.killable ? IOBMD_WALK_KILLABLE : 0,
				   iobmd_desc_copy_run, &c);
	iobmd_desc_unpin(d);
out:
	if (!ret && done)
		*done = len;
	return ret;
}

/**
 * iobmd_desc_read() - readBytes(): copy a range of the descriptor out
 * @d: the descriptor
 * @offset: first byte
 * @buf: user destination
 * @len: bytes
 * @done: out: bytes copied: @len, or fewer when a piece no longer backs
 *	the rest of the range (iobmd_desc_backed()), 0 when it backs none
 *
 * Return: 0, -ERANGE when the range is not inside the length, -EFAULT,
 * -EINTR (also: a signal while an imported dma-buf's fences are waited
 * for, after an earlier piece was copied), -ERESTARTSYS (the same before
 * any was), or the error of pinning user memory.
 */
int iobmd_desc_read(struct iobmd_desc *d, u64 offset, void __user *buf,
		    u64 len, u64 *done)
{
	struct iobmd_copy c = { .ubuf = buf, .to_user = true,
				.killable = true };

	return iobmd_desc_copy(d, offset, c, len, done);
}

/**
 * iobmd_desc_write() - writeBytes(): copy into a range of the descriptor
 * @d: the descriptor
 * @offset: first byte
 * @buf: user source, or NULL to zero-fill the range
 * @len: bytes
 * @done: out: bytes written, as iobmd_desc_read()'s
 *
 * Return: 0, -ERANGE when the range is not inside the length, -EACCES
 * when the memory is prepared read-only, -EFAULT (bytes before the fault
 * may have been written), -EINTR (a fatal signal; zero-filling too),
 * -ERESTARTSYS (as iobmd_desc_read()'s; the pieces before are written).
 */
int iobmd_desc_write(struct iobmd_desc *d, u64 offset,
		     const void __user *buf, u64 len, u64 *done)
{
	struct iobmd_copy c = { .ubuf = (u8 __user *)buf, .killable = true };

	return iobmd_desc_copy(d, offset, c, len, done);
}

/**
 * iobmd_desc_read_bytes() - readBytes() into kernel memory
 * @d: the descriptor
 * @offset: first byte
 * @buf: destination
 * @len: bytes
 *
 * The copy is not interrupted by signals (it reschedules between pieces):
 * its work is bounded by the descriptor's length and IOBMD_MAX_VISITS.
 * Pinning is: a dying caller that has to wait for another task's first pin
 * of user memory, or to fault user memory in, gets -EINTR.  The wait for
 * an imported dma-buf's fences (dma_buf_begin_cpu_access()) is too, by
 * any signal: -ERESTARTSYS, or -EINTR when pieces before it were copied.
 *
 * It returns no count: where IOKit's readBytes() copies up to the first
 * byte a piece no longer backs and returns that short count (as IOBMD_READ
 * does), this copies nothing and fails.
 *
 * Return: 0, -ERANGE when the range is not inside the length or a byte
 * of it is no longer backed (iobmd_desc_check_backed(): nothing is
 * copied), -EINTR, -ERESTARTSYS, or the error of pinning user memory.
 */
int iobmd_desc_read_bytes(struct iobmd_desc *d, u64 offset, void *buf,
			  u64 len)
{
	struct iobmd_copy c = { .kbuf = buf, .to_user = true };

	return iobmd_desc_copy(d, offset, c, len, NULL);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_read_bytes, IOBMD_NS);

/**
 * iobmd_desc_write_bytes() - writeBytes() from kernel memory
 * @d: the descriptor
 * @offset: first byte
 * @buf: source, or NULL to zero-fill
 * @len: bytes
 *
 * Signals and a range a piece no longer backs as for
 * iobmd_desc_read_bytes(): nothing is written then.
 *
 * Return: 0, -ERANGE, -EACCES (prepared read-only), -EINTR, -ERESTARTSYS,
 * or the error of pinning user memory.
 */
int iobmd_desc_write_bytes(struct iobmd_desc *d, u64 offset, const void *buf,
			   u64 len)
{
	struct iobmd_copy c = { .kbuf = (u8 *)buf };

	return iobmd_desc_copy(d, offset, c, len, NULL);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_write_bytes, IOBMD_NS);

struct iobmd_segs {
	bool killable;
	struct iobmd_segment __user *useg;
	struct iobmd_segment *kseg;
	u32 room;
	u32 count;
	u64 total;
	struct iobmd_segment cur;
};

static int iobmd_desc_flush_seg(struct iobmd_segs *s)
{
	if (s->count < s->room) {
		if (s->kseg)
			s->kseg[s->count] = s->cur;
		else if (copy_to_user(&s->useg[s->count], &s->cur,
				      sizeof(s->cur)))
			return -EFAULT;
		s->count++;
	}
	s->total++;
	return 0;
}

static int iobmd_desc_seg_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_segs *s = arg;
	int ret;

	cond_resched();
	if (s->killable && fatal_signal_pending(current))
		return -EINTR;
	if (s->cur.len && s->cur.addr + s->cur.len == run->addr) {
		s->cur.len += run->len;
		return 0;
	}
	if (s->cur.len) {
		ret = iobmd_desc_flush_seg(s);
		if (ret)
			return ret;
	}
	s->cur.addr = run->addr;
	s->cur.len = run->len;
	return 0;
}

/*
 * Keep the memory (and for DMA, the DMA mapping) for a walk: a pin of
 * wired memory, else a hold of a prepare; @prepared tells
 * iobmd_desc_unhold() which was taken.
 */
static int iobmd_desc_hold(struct iobmd_desc *d, unsigned int how,
			   bool *prepared)
{
	int ret;

	*prepared = false;
	if (!(how & IOBMD_WALK_DMA) && iobmd_desc_wired(d)) {
		ret = iobmd_desc_pin(d, 0);
		if (ret)
			return ret;
		/*
		 * An interleaved descriptor may have taken user memory
		 * between the look and the pin; pinned, it cannot any more.
		 */
		if (iobmd_desc_wired(d))
			return 0;
		iobmd_desc_unpin(d);
	}
	*prepared = true;
	ret = iobmd_desc_hold_prepared(d);
	/* DMA addresses exist only for the device it is mapped for. */
	if (!ret && how & IOBMD_WALK_DMA && !d->dma_dev) {
		iobmd_desc_complete(d);
		ret = -ENODATA;
	}
	return ret;
}

static void iobmd_desc_unhold(struct iobmd_desc *d, bool prepared)
{
	if (prepared)
		iobmd_desc_complete(d);
	else
		iobmd_desc_unpin(d);
}

static int iobmd_desc_walk_segs(struct iobmd_desc *d, u64 offset, u64 len,
				unsigned int how, struct iobmd_segs *s,
				u32 *count, u64 *total)
{
	bool prepared, whole = !len;
	int ret;

	if (whole) {
		u64 length = iobmd_desc_length(d);

		if (offset >= length)
			return -ERANGE;
		len = length - offset;
	}
	ret = iobmd_desc_check_range(d, offset, len);
	if (ret)
		return ret;
	ret = iobmd_desc_hold(d, how, &prepared);
	if (ret)
		return ret;
	/* Segments are addresses: no kernel mapping of device memory. */
	if (s->killable)
		how |= IOBMD_WALK_KILLABLE;
	if (whole && d->ops->backed) {
		/* As far as the pieces back it: getPhysicalSegment() ends there. */
		len = d->ops->backed(d, offset, len);
		ret = len ? 0 : -ERANGE;
	} else {
		ret = iobmd_desc_check_backed(d, offset, len);
	}
	if (!ret)
		ret = d->ops->walk(d, offset, len, how | IOBMD_WALK_ADDR,
				   iobmd_desc_seg_run, s);
	if (!ret && s->cur.len)
		ret = iobmd_desc_flush_seg(s);
	iobmd_desc_unhold(d, prepared);
	if (ret)
		return ret;
	*count = s->count;
	*total = s->total;
	return 0;
}

/**
 * iobmd_desc_segments() - the physical or DMA segments of a range
 * @d: the descriptor
 * @offset: first byte
 * @len: bytes; 0 means up to the length, or to the first byte from
 *	@offset on that the pieces no longer back (which must not be @offset)
 * @how: 0 for physical addresses, IOBMD_WALK_DMA for DMA addresses
 * @segs: user array to fill
 * @room: entries @segs holds
 * @count: out: entries written
 * @total: out: entries the range needs
 *
 * Adjacent runs are merged, as getPhysicalSegment() reports them.  DMA
 * segments, and physical segments of user memory, exist only while the
 * descriptor is prepared.
 *
 * A fatal signal ends it (IOBMD_GET_SEGMENTS is a user's call).
 *
 * Return: 0, -ERANGE when the range is not inside the length or a byte
 * of it is no longer backed (iobmd_desc_check_backed()), -ENODATA when
 * not prepared, -EFAULT, -EINTR.
 */
int iobmd_desc_segments(struct iobmd_desc *d, u64 offset, u64 len,
			unsigned int how, struct iobmd_segment __user *segs,
			u32 room, u32 *count, u64 *total)
{
	struct iobmd_segs s = { .useg = segs, .room = room, .killable = true };

	return iobmd_desc_walk_segs(d, offset, len, how, &s, count, total);
}

/**
 * iobmd_desc_dma_segments() - DMA segments of a range, for the device the
 * descriptor is prepared for
 * @d: a prepared descriptor
 * @offset: first byte
 * @len: bytes; 0 means up to the length
 * @segs: array to fill
 * @room: entries @segs holds
 * @count: out: entries written
 * @total: out: entries the range needs
 *
 * Return: 0, -ERANGE, or -ENODATA when @d is not prepared.
 */
int iobmd_desc_dma_segments(struct iobmd_desc *d, u64 offset, u64 len,
			    struct iobmd_segment *segs, u32 room, u32 *count,
			    u64 *total)
{
	struct iobmd_segs s = { .kseg = segs, .room = room };

	return iobmd_desc_walk_segs(d, offset, len, IOBMD_WALK_DMA, &s, count,
				    total);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_dma_segments, IOBMD_NS);

/**
 * iobmd_desc_phys_segments() - physical segments of a range
 * @d: the descriptor (user memory must be prepared)
 * @offset: first byte
 * @len: bytes; 0 means up to the length
 * @segs: array to fill
 * @room: entries @segs holds
 * @count: out: entries written
 * @total: out: entries the range needs
 *
 * Return: 0, -ERANGE, or -ENODATA for user memory that is not prepared.
 */
int iobmd_desc_phys_segments(struct iobmd_desc *d, u64 offset, u64 len,
			     struct iobmd_segment *segs, u32 room, u32 *count,
			     u64 *total)
{
	struct iobmd_segs s = { .kseg = segs, .room = room };

	return iobmd_desc_walk_segs(d, offset, len, 0, &s, count, total);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_phys_segments, IOBMD_NS);

/* Runs touching or overlapping each other are maintained once. */
struct iobmd_desc_perform_arg {
	u32 op;
	phys_addr_t lo, hi;
};

static int iobmd_desc_perform_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_desc_perform_arg *p = arg;
	phys_addr_t a = run->addr, b = run->addr + run->len;
	int ret;

	/* Only RAM: device memory and other exporters' have no lines here. */
	if (run->flags & (IOBMD_RUN_IOMEM | IOBMD_RUN_FOREIGN) ||
	    !pfn_valid(PHYS_PFN(a)) || !pfn_valid(PHYS_PFN(b - 1)))
		return 0;
	if (p->hi > p->lo && a <= p->hi && b >= p->lo &&
	    max(b, p->hi) - min(a, p->lo) <= SZ_1M) {
		p->lo = min(a, p->lo);
		p->hi = max(b, p->hi);
		return 0;
	}
	ret = p->hi > p->lo ?
	      iobmd_cache_maintain(p->lo, p->hi - p->lo, p->op) : 0;
	p->lo = a;
	p->hi = b;
	return ret;
}

/**
 * iobmd_desc_perform() - performOperation(): cache maintenance for DMA
 * @d: the descriptor, prepared
 * @op: IOBMD_OP_FLUSH, IOBMD_OP_STORE or IOBMD_OP_INVALIDATE
 * @offset: first byte
 * @len: bytes
 *
 * Prepared for a device (iobmd_desc_prepare_dev()), the DMA API syncs that
 * device's mapping: FLUSH and STORE towards the device, INVALIDATE towards
 * the CPU (a bounce buffer is copied).  Prepared for none, the device is
 * one that DMAs to physical addresses (a userspace driver's): where DMA is
 * not coherent with the CPU's caches (arm64 SoCs), the memory's own lines
 * are maintained: STORE cleans them, FLUSH cleans and invalidates them,
 * INVALIDATE invalidates them (what the CPU wrote there since the last
 * STORE or FLUSH is lost).  Where DMA is coherent (x86) that costs nothing.
 * Prepare and complete themselves only wire (IOKit's prepare()): a driver
 * of a non-coherent device stores or flushes before the device reads,
 * flushes before and invalidates after it writes.
 *
 * Sleeps.  A fatal signal ends it early.
 *
 * Return: 0, -EINVAL (unknown @op), -EACCES (INVALIDATE of read-only
 * memory, which would discard what its owner wrote), -ERANGE (also: a
 * byte of the range is no longer backed, iobmd_desc_check_backed();
 * nothing is done), -ENODATA when the descriptor is not prepared,
 * -EOPNOTSUPP (prepared for no device, DMA not coherent, and the DMA API
 * bounces every mapping: the memory's lines cannot be reached), -EINTR
 * (a fatal signal: the range may be partly done).
 */
int iobmd_desc_perform(struct iobmd_desc *d, u32 op, u64 offset, u64 len)
{
	struct iobmd_desc_perform_arg p = { .op = op };
	int ret;

	if (op < IOBMD_OP_FLUSH || op > IOBMD_OP_INVALIDATE)
		return -EINVAL;
	if (op == IOBMD_OP_INVALIDATE && READ_ONCE(d->readonly))
		return -EACCES;
	ret = iobmd_desc_check_range(d, offset, len);
	if (ret)
		return ret;
	ret = iobmd_desc_hold_prepared(d);
	if (ret)
		return ret;
	/* Prepared, an interleaved descriptor's pieces stay put. */
	ret = iobmd_desc_check_backed(d, offset, len);
	if (ret)
		goto out;
	if (d->dma_dev && d->ops->dma_sync && len)
		d->ops->dma_sync(d, offset, len, op != IOBMD_OP_INVALIDATE);
	else if (!d->dma_dev && len && iobmd_cache_phys_needed())
		ret = d->ops->walk(d, offset, len,
				   IOBMD_WALK_ADDR | IOBMD_WALK_KILLABLE,
				   iobmd_desc_perform_run, &p);
	if (!ret && p.hi > p.lo)
		ret = iobmd_cache_maintain(p.lo, p.hi - p.lo, op);
out:
	iobmd_desc_complete(d);
	if (!ret && fatal_signal_pending(current))
		ret = -EINTR;
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_perform, IOBMD_NS);

/**
 * iobmd_desc_set_purgeable() - setPurgeable() on any kind
 * @d: the descriptor
 * @state: IOBMD_PURGEABLE_*
 * @old: out: the state before
 *
 * Return: 0, -EOPNOTSUPP (no purgeable buffer beneath), -EINVAL, and for
 * composed descriptors -EINTR (a fatal signal) or -ENOMEM.
 */
int iobmd_desc_set_purgeable(struct iobmd_desc *d, u32 state, u32 *old)
{
	switch (d->kind) {
	case IOBMD_KIND_BUFFER:
		return iobmd_buffer_set_purgeable(iobmd_to_buffer(d), state,
						  old);
	case IOBMD_KIND_SUB:
	case IOBMD_KIND_MULTI:
	case IOBMD_KIND_INTERLEAVED:
		return iobmd_compose_set_purgeable(d, state, old);
	}
	return -EOPNOTSUPP;
}

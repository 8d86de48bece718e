// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IOMemoryDescriptor, the operations every kind shares, written once
 * against the kind's ops.
 */
#include <linux/overflow.h>
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
 *
 * The descriptor starts with one reference, owned by the caller.
 */
void iobmd_desc_init(struct iobmd_desc *d, const struct iobmd_desc_ops *ops,
		     u32 kind, u64 length, u32 direction)
{
	kref_init(&d->ref);
	mutex_init(&d->lock);
	d->ops = ops;
	d->kind = kind;
	d->length = length;
	d->direction = direction;
	d->tag = 0;
	atomic64_inc(&iobmd_stats.descriptors);
}

/**
 * iobmd_desc_get() - take a reference on a descriptor
 * @d: the descriptor
 */
void iobmd_desc_get(struct iobmd_desc *d)
{
	kref_get(&d->ref);
}

static void iobmd_desc_release(struct kref *ref)
{
	struct iobmd_desc *d = container_of(ref, struct iobmd_desc, ref);

	mutex_destroy(&d->lock);
	d->ops->release(d);
	atomic64_dec(&iobmd_stats.descriptors);
}

/**
 * iobmd_desc_put() - drop a reference; the last one frees the descriptor
 * @d: the descriptor
 */
void iobmd_desc_put(struct iobmd_desc *d)
{
	kref_put(&d->ref, iobmd_desc_release);
}

/**
 * iobmd_desc_length() - getLength()
 * @d: the descriptor
 *
 * Return: the length now in force.
 */
u64 iobmd_desc_length(struct iobmd_desc *d)
{
	u64 len;

	mutex_lock(&d->lock);
	len = d->length;
	mutex_unlock(&d->lock);
	return len;
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

struct iobmd_copy {
	u8 __user *ubuf;
	bool to_user;
};

static int iobmd_desc_copy_run(void *arg, phys_addr_t phys, void *kaddr,
			       u64 len)
{
	struct iobmd_copy *c = arg;
	unsigned long left;

	if (c->to_user)
		left = copy_to_user(c->ubuf, kaddr, len);
	else if (c->ubuf)
		left = copy_from_user(kaddr, c->ubuf, len);
	else
		left = (memset(kaddr, 0, len), 0);
	if (left)
		return -EFAULT;
	if (c->ubuf)
		c->ubuf += len;
	if (fatal_signal_pending(current))
		return -EINTR;
	return 0;
}

/**
 * iobmd_desc_read() - readBytes(): copy a range of the descriptor out
 * @d: the descriptor
 * @offset: first byte
 * @buf: user destination
 * @len: bytes
 *
 * Return: 0, -ERANGE when the range is not inside the length, -EFAULT.
 */
int iobmd_desc_read(struct iobmd_desc *d, u64 offset, void __user *buf,
		    u64 len)
{
	struct iobmd_copy c = { .ubuf = buf, .to_user = true };
	int ret;

	ret = iobmd_desc_check_range(d, offset, len);
	if (ret || !len)
		return ret;
	return d->ops->walk(d, offset, len, iobmd_desc_copy_run, &c);
}

/**
 * iobmd_desc_write() - writeBytes(): copy into a range of the descriptor
 * @d: the descriptor
 * @offset: first byte
 * @buf: user source, or NULL to zero-fill the range
 * @len: bytes
 *
 * Return: 0, -ERANGE when the range is not inside the length, -EFAULT
 * (bytes before the fault may have been written).
 */
int iobmd_desc_write(struct iobmd_desc *d, u64 offset,
		     const void __user *buf, u64 len)
{
	struct iobmd_copy c = { .ubuf = (u8 __user *)buf, .to_user = false };
	int ret;

	ret = iobmd_desc_check_range(d, offset, len);
	if (ret || !len)
		return ret;
	return d->ops->walk(d, offset, len, iobmd_desc_copy_run, &c);
}

struct iobmd_segs {
	struct iobmd_segment __user *useg;
	u32 room;
	u32 count;
	u64 total;
	struct iobmd_segment cur;
};

static int iobmd_desc_flush_seg(struct iobmd_segs *s)
{
	if (s->count < s->room) {
		if (copy_to_user(&s->useg[s->count], &s->cur, sizeof(s->cur)))
			return -EFAULT;
		s->count++;
	}
	s->total++;
	return 0;
}

static int iobmd_desc_seg_run(void *arg, phys_addr_t phys, void *kaddr,
			      u64 len)
{
	struct iobmd_segs *s = arg;
	int ret;

	if (s->cur.len && s->cur.addr + s->cur.len == phys) {
		s->cur.len += len;
		return 0;
	}
	if (s->cur.len) {
		ret = iobmd_desc_flush_seg(s);
		if (ret)
			return ret;
	}
	s->cur.addr = phys;
	s->cur.len = len;
	return 0;
}

/**
 * iobmd_desc_segments() - the physical segments of a range
 * @d: the descriptor
 * @offset: first byte
 * @len: bytes; 0 means up to the length
 * @segs: user array to fill
 * @room: entries @segs holds
 * @count: out: entries written
 * @total: out: entries the range needs
 *
 * Adjacent runs are merged, as getPhysicalSegment() reports them.
 *
 * Return: 0, -ERANGE when the range is not inside the length, -EFAULT.
 */
int iobmd_desc_segments(struct iobmd_desc *d, u64 offset, u64 len,
			struct iobmd_segment __user *segs, u32 room,
			u32 *count, u64 *total)
{
	struct iobmd_segs s = { .useg = segs, .room = room };
	int ret;

	if (!len) {
		u64 length = iobmd_desc_length(d);

		if (offset >= length)
			return -ERANGE;
		len = length - offset;
	}
	ret = iobmd_desc_check_range(d, offset, len);
	if (ret)
		return ret;
	ret = d->ops->walk(d, offset, len, iobmd_desc_seg_run, &s);
	if (!ret && s.cur.len)
		ret = iobmd_desc_flush_seg(&s);
	if (ret)
		return ret;
	*count = s.count;
	*total = s.total;
	return 0;
}

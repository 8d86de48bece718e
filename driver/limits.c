// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the limits on what userspace may hold, per open file and for the
 * whole module, as module parameters that netlink can change at run time.
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

static unsigned int max_handles = 65536;
module_param(max_handles, uint, 0644);
MODULE_PARM_DESC(max_handles,
		 "Most descriptors one open file may hold (default 65536, at most 1048575)");

static unsigned long long max_capacity;
module_param(max_capacity, ullong, 0644);
MODULE_PARM_DESC(max_capacity,
		 "Largest buffer capacity in bytes (default 0: half of RAM)");

static unsigned long long task_bytes;
module_param(task_bytes, ullong, 0644);
MODULE_PARM_DESC(task_bytes,
		 "Buffer bytes one open file may hold (default 0: no limit)");

static unsigned long long total_bytes;
module_param(total_bytes, ullong, 0644);
MODULE_PARM_DESC(total_bytes,
		 "Buffer bytes all of userspace may hold (default 0: no limit)");

static unsigned long long total_descs;
module_param(total_descs, ullong, 0644);
MODULE_PARM_DESC(total_descs,
		 "Descriptors all of userspace may hold (default 0: no limit)");

/**
 * iobmd_handle_limit() - the highest handle a file may hold
 *
 * Return: max_handles, clamped to what an mmap cookie can encode.
 */
u32 iobmd_handle_limit(void)
{
	return clamp_t(u32, READ_ONCE(max_handles), 1, IOBMD_HANDLE_MAX);
}

/**
 * iobmd_capacity_limit() - the largest buffer capacity accepted
 *
 * Return: max_capacity, or half of RAM when it is 0.
 */
u64 iobmd_capacity_limit(void)
{
	u64 limit = READ_ONCE(max_capacity);

	return limit ?: ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}

/**
 * iobmd_limits_get() - the limits in force
 * @l: out: byte and descriptor limits
 * @max_handles_out: out: max_handles
 * @max_capacity_out: out: max_capacity as set (0: half of RAM)
 */
void iobmd_limits_get(struct iobmd_limits *l, u64 *max_handles_out,
		      u64 *max_capacity_out)
{
	l->task_bytes = READ_ONCE(task_bytes);
	l->total_bytes = READ_ONCE(total_bytes);
	l->total_descs = READ_ONCE(total_descs);
	*max_handles_out = READ_ONCE(max_handles);
	*max_capacity_out = READ_ONCE(max_capacity);
}

/**
 * iobmd_limits_set() - change the limits; they apply to later requests
 * @l: byte and descriptor limits
 * @max_handles_new: new max_handles, or NULL to keep it
 * @max_capacity_new: new max_capacity, or NULL to keep it
 */
void iobmd_limits_set(const struct iobmd_limits *l, const u64 *max_handles_new,
		      const u64 *max_capacity_new)
{
	WRITE_ONCE(task_bytes, l->task_bytes);
	WRITE_ONCE(total_bytes, l->total_bytes);
	WRITE_ONCE(total_descs, l->total_descs);
	if (max_handles_new)
		WRITE_ONCE(max_handles, *max_handles_new);
	if (max_capacity_new)
		WRITE_ONCE(max_capacity, *max_capacity_new);
}

/**
 * iobmd_limits_check_descs() - may userspace create one more descriptor?
 *
 * Return: 0, or -ENFILE when total_descs are live.
 */
int iobmd_limits_check_descs(void)
{
	u64 limit = READ_ONCE(total_descs);

	if (limit && atomic64_read(&iobmd_stats.descriptors) >= limit)
		return -ENFILE;
	return 0;
}

static u64 iobmd_limits_buffer_bytes(void)
{
	return atomic64_read(&iobmd_stats.page_bytes) +
	       atomic64_read(&iobmd_stats.coherent_bytes);
}

/**
 * iobmd_limits_check_total() - may userspace allocate @bytes more?
 * @bytes: buffer bytes about to be allocated
 *
 * Return: 0, or -EDQUOT above total_bytes.
 */
int iobmd_limits_check_total(u64 bytes)
{
	u64 limit = READ_ONCE(total_bytes);

	if (limit && iobmd_limits_buffer_bytes() + bytes > limit)
		return -EDQUOT;
	return 0;
}

/**
 * iobmd_account_new() - the account of a newly opened file
 *
 * Return: the account, or NULL.
 */
struct iobmd_account *iobmd_account_new(void)
{
	struct iobmd_account *acct = kzalloc(sizeof(*acct), GFP_KERNEL_ACCOUNT);

	if (acct)
		kref_init(&acct->ref);
	return acct;
}

static void iobmd_account_free(struct kref *ref)
{
	kfree(container_of(ref, struct iobmd_account, ref));
}

/**
 * iobmd_account_put() - drop a reference on an account
 * @acct: the account
 */
void iobmd_account_put(struct iobmd_account *acct)
{
	kref_put(&acct->ref, iobmd_account_free);
}

/**
 * iobmd_account_check() - may the file create @bytes more?
 * @acct: the file's account
 * @bytes: buffer bytes about to be allocated
 *
 * Return: 0, or -EDQUOT above task_bytes or total_bytes.
 */
int iobmd_account_check(struct iobmd_account *acct, u64 bytes)
{
	u64 limit = READ_ONCE(task_bytes);

	if (limit && atomic64_read(&acct->bytes) + bytes > limit)
		return -EDQUOT;
	return iobmd_limits_check_total(bytes);
}

/**
 * iobmd_account_charge() - charge a new descriptor's memory to a file
 * @acct: the file's account
 * @d: the descriptor, its memory allocated and counted; it keeps a
 *	reference on @acct until it is freed
 *
 * iobmd_account_check() looked before the allocation; this looks at what
 * was allocated (an alignment can take more than the capacity), with
 * every other creation that got there first already counted.  Two
 * creations at once may then both fail; both never pass the limit.
 *
 * Return: 0, or -EDQUOT when it does not fit task_bytes or total_bytes
 * (nothing charged).
 */
int iobmd_account_charge(struct iobmd_account *acct, struct iobmd_desc *d)
{
	u64 bytes = iobmd_desc_bytes(d);
	u64 limit = READ_ONCE(task_bytes);
	u64 total = READ_ONCE(total_bytes);

	if (bytes && total && iobmd_limits_buffer_bytes() > total)
		return -EDQUOT;
	if (atomic64_add_return(bytes, &acct->bytes) > limit && limit) {
		atomic64_sub(bytes, &acct->bytes);
		return -EDQUOT;
	}
	kref_get(&acct->ref);
	d->acct = acct;
	d->charged = bytes;
	return 0;
}

/**
 * iobmd_account_uncharge() - give a freed descriptor's bytes back
 * @d: the descriptor
 */
void iobmd_account_uncharge(struct iobmd_desc *d)
{
	if (!d->acct)
		return;
	atomic64_sub(d->charged, &d->acct->bytes);
	iobmd_account_put(d->acct);
	d->acct = NULL;
}

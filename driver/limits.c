// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the limits on what userspace may hold, per open file, per user
 * and for the whole module, as module parameters that netlink can change
 * at run time.
 *
 * Per user: every descriptor created through /dev/iobmd is charged to the
 * real uid (kuid, global across user namespaces) of the process that
 * created it, as io_uring and iommufd charge a user_struct; a user holds
 * the same account however many files it opens.  An account lives while
 * something is charged to it; the one that lost its last charge most
 * recently is kept, idle, for its user's next creation.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "iobmd_priv.h"

static unsigned int max_handles = 65536;
module_param(max_handles, uint, 0644);
MODULE_PARM_DESC(max_handles,
		 "Most descriptors one open file may hold (default 65536, at most 1048575)");

unsigned long long iobmd_max_capacity;
module_param_named(max_capacity, iobmd_max_capacity, ullong, 0644);
MODULE_PARM_DESC(max_capacity,
		 "Largest buffer capacity in bytes (default 0: half of RAM)");

static unsigned long long task_bytes;
module_param(task_bytes, ullong, 0644);
MODULE_PARM_DESC(task_bytes,
		 "Buffer bytes one open file may hold (default 0: no limit)");

unsigned long long iobmd_total_bytes;
module_param_named(total_bytes, iobmd_total_bytes, ullong, 0644);
MODULE_PARM_DESC(total_bytes,
		 "Buffer bytes all of userspace may hold (default 0: no limit)");

static unsigned long long total_descs;
module_param(total_descs, ullong, 0644);
MODULE_PARM_DESC(total_descs,
		 "Descriptors all of userspace may hold (default 0: no limit)");

static unsigned long long user_bytes;
module_param(user_bytes, ullong, 0644);
MODULE_PARM_DESC(user_bytes,
		 "Buffer bytes one user may hold over all its files (default 0: no limit)");

static unsigned long long user_descs;
module_param(user_descs, ullong, 0644);
MODULE_PARM_DESC(user_descs,
		 "Descriptors one user may hold over all its files (default 0: no limit)");

static unsigned long long user_zone_dma = SZ_1M;
module_param(user_zone_dma, ullong, 0644);
MODULE_PARM_DESC(user_zone_dma,
		 "ZONE_DMA bytes one user may hold, CAP_SYS_RESOURCE exempt (default 1 MiB, 0: no limit)");

/**
 * struct iobmd_user - what one user has created through /dev/iobmd
 * @ref: descriptors and buffers charged to it, and callers looking
 * @uid: the user
 * @descs: descriptors charged
 * @bytes: buffer bytes charged
 * @zone_dma: bytes of buffers in ZONE_DMA charged
 * @rcu: frees it after lookups without iobmd_users' lock are done
 *
 * The counters are atomic64_t: no lock.  iobmd_users (its xa_lock) holds
 * the accounts; an account's @ref drops to 0 only under that lock.
 */
struct iobmd_user {
	refcount_t ref;
	kuid_t uid;
	atomic64_t descs;
	atomic64_t bytes;
	atomic64_t zone_dma;
	struct rcu_head rcu;
};

/* Accounts by kuid; the xa_lock also orders a last put against a lookup. */
static DEFINE_XARRAY(iobmd_users);

/*
 * The account whose last reference went most recently, still in
 * iobmd_users but with no reference, so that a user who creates and
 * releases one descriptor at a time with no file open (an exported
 * dma-buf's descriptor outliving it, say) does not make and free an
 * account each time; iobmd_users' xa_lock.
 */
static struct iobmd_user *iobmd_user_idle;

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
 * iobmd_limits_get() - the limits in force
 * @l: out: byte and descriptor limits
 * @max_handles_out: out: max_handles
 * @max_capacity_out: out: max_capacity as set (0: half of RAM)
 */
void iobmd_limits_get(struct iobmd_limits *l, u64 *max_handles_out,
		      u64 *max_capacity_out)
{
	l->task_bytes = READ_ONCE(task_bytes);
	l->total_bytes = READ_ONCE(iobmd_total_bytes);
	l->total_descs = READ_ONCE(total_descs);
	l->user_bytes = READ_ONCE(user_bytes);
	l->user_descs = READ_ONCE(user_descs);
	l->user_zone_dma = READ_ONCE(user_zone_dma);
	*max_handles_out = READ_ONCE(max_handles);
	*max_capacity_out = READ_ONCE(iobmd_max_capacity);
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
	WRITE_ONCE(iobmd_total_bytes, l->total_bytes);
	WRITE_ONCE(total_descs, l->total_descs);
	WRITE_ONCE(user_bytes, l->user_bytes);
	WRITE_ONCE(user_descs, l->user_descs);
	WRITE_ONCE(user_zone_dma, l->user_zone_dma);
	if (max_handles_new)
		WRITE_ONCE(max_handles, *max_handles_new);
	if (max_capacity_new)
		WRITE_ONCE(iobmd_max_capacity, *max_capacity_new);
}

/**
 * iobmd_limits_check_descs() - may userspace create one more descriptor?
 *
 * Return: 0, or -ENFILE when total_descs are live.
 */
int __iobmd_hot iobmd_limits_check_descs(void)
{
	u64 limit = READ_ONCE(total_descs);

	if (limit && atomic64_read(&iobmd_stats.descriptors) >= limit)
		return -ENFILE;
	return 0;
}

/**
 * iobmd_limits_check_total() - may userspace allocate @bytes more?
 * @bytes: buffer bytes about to be allocated
 *
 * Return: 0, or -EDQUOT above total_bytes.
 */
int __iobmd_hot iobmd_limits_check_total(u64 bytes)
{
	u64 limit = READ_ONCE(iobmd_total_bytes);

	if (limit && iobmd_limits_buffer_bytes() + bytes > limit)
		return -EDQUOT;
	return 0;
}

/* A reference on @uid's account if there is one, else NULL. */
static __iobmd_hot struct iobmd_user *iobmd_user_find(kuid_t uid)
{
	struct iobmd_user *u;

	rcu_read_lock();
	u = xa_load(&iobmd_users, __kuid_val(uid));
	if (u && !refcount_inc_not_zero(&u->ref))
		u = NULL;
	rcu_read_unlock();
	return u;
}

/*
 * A reference on @u, found in iobmd_users under its lock: the idle account
 * comes back to life, any other has references already.
 */
static void iobmd_user_hold_locked(struct iobmd_user *u)
{
	lockdep_assert_held(&iobmd_users.xa_lock);
	if (u != iobmd_user_idle) {
		refcount_inc(&u->ref);
		return;
	}
	iobmd_user_idle = NULL;
	refcount_set(&u->ref, 1);
}

/**
 * iobmd_user_get() - the account of the current task's real uid
 *
 * Return: the account with a reference (iobmd_user_put()), made if the
 * user had none, or ERR_PTR(-ENOMEM).
 */
__iobmd_hot struct iobmd_user *iobmd_user_get(void)
{
	kuid_t uid = current_uid();
	struct iobmd_user *u, *new;

	u = iobmd_user_find(uid);
	if (u)
		return u;
	xa_lock(&iobmd_users);
	u = xa_load(&iobmd_users, __kuid_val(uid));
	if (u)
		iobmd_user_hold_locked(u);
	xa_unlock(&iobmd_users);
	if (u)
		return u;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return ERR_PTR(-ENOMEM);
	refcount_set(&new->ref, 1);
	new->uid = uid;

	xa_lock(&iobmd_users);
	u = __xa_cmpxchg(&iobmd_users, __kuid_val(uid), NULL, new,
			 GFP_KERNEL_ACCOUNT);
	if (!xa_is_err(u) && u)
		iobmd_user_hold_locked(u);
	xa_unlock(&iobmd_users);
	if (xa_is_err(u)) {
		kfree(new);
		return ERR_PTR(xa_err(u));
	}
	if (u) {
		kfree(new);
		return u;
	}
	return new;
}

/**
 * iobmd_user_hold() - take another reference on an account
 * @u: the account
 */
void __iobmd_hot iobmd_user_hold(struct iobmd_user *u)
{
	refcount_inc(&u->ref);
}

/**
 * iobmd_user_put() - drop a reference; the last one forgets the account
 * @u: the account, or NULL
 */
void __iobmd_hot iobmd_user_put(struct iobmd_user *u)
{
	struct iobmd_user *old;

	if (!u || refcount_dec_not_one(&u->ref))
		return;
	/* Maybe the last: drop it where a lookup under the lock cannot race. */
	xa_lock(&iobmd_users);
	if (!refcount_dec_and_test(&u->ref)) {
		xa_unlock(&iobmd_users);
		return;
	}
	/* It stays, idle; the account idle before it goes. */
	old = iobmd_user_idle;
	iobmd_user_idle = u;
	if (old)
		__xa_erase(&iobmd_users, __kuid_val(old->uid));
	xa_unlock(&iobmd_users);
	if (old)
		kfree_rcu(old, rcu);
}

/**
 * iobmd_limits_exit() - free the idle account; no other is left once no
 * file is open and no descriptor lives
 */
void iobmd_limits_exit(void)
{
	struct iobmd_user *u;

	xa_lock(&iobmd_users);
	u = iobmd_user_idle;
	iobmd_user_idle = NULL;
	if (u)
		__xa_erase(&iobmd_users, __kuid_val(u->uid));
	xa_unlock(&iobmd_users);
	kfree(u);
}

/**
 * iobmd_user_charge_zone_dma() - charge ZONE_DMA memory to a user
 * @u: the account
 * @bytes: bytes about to be taken, or just taken, from ZONE_DMA
 *
 * ZONE_DMA is a few MiB for the whole machine (on x86, the 16 MiB below
 * 16 MiB less what firmware and the kernel hold), shared with ISA-style
 * devices and GFP_DMA users: a user without CAP_SYS_RESOURCE in the
 * initial user namespace may hold at most user_zone_dma bytes of it.
 * capable() is asked only beyond the budget, so that an unprivileged
 * caller within it causes no audit record.
 *
 * Return: 0, or -EDQUOT beyond the budget (nothing charged).
 */
int iobmd_user_charge_zone_dma(struct iobmd_user *u, u64 bytes)
{
	u64 limit = READ_ONCE(user_zone_dma);

	if (atomic64_add_return(bytes, &u->zone_dma) > limit && limit &&
	    !capable(CAP_SYS_RESOURCE)) {
		atomic64_sub(bytes, &u->zone_dma);
		return -EDQUOT;
	}
	return 0;
}

/**
 * iobmd_user_uncharge_zone_dma() - give ZONE_DMA bytes back
 * @u: the account
 * @bytes: what iobmd_user_charge_zone_dma() charged
 */
void iobmd_user_uncharge_zone_dma(struct iobmd_user *u, u64 bytes)
{
	atomic64_sub(bytes, &u->zone_dma);
}

/**
 * iobmd_user_figures() - what the current task's real uid holds
 * @descs: out: descriptors charged to it
 * @bytes: out: buffer bytes
 * @zone_dma: out: ZONE_DMA bytes
 */
void iobmd_user_figures(u64 *descs, u64 *bytes, u64 *zone_dma)
{
	struct iobmd_user *u = iobmd_user_find(current_uid());

	*descs = u ? atomic64_read(&u->descs) : 0;
	*bytes = u ? atomic64_read(&u->bytes) : 0;
	*zone_dma = u ? atomic64_read(&u->zone_dma) : 0;
	iobmd_user_put(u);
}

/**
 * iobmd_account_new() - the account of a newly opened file
 *
 * Return: the account, or NULL.
 */
struct iobmd_account *iobmd_account_new(void)
{
	struct iobmd_account *acct = kzalloc(sizeof(*acct), GFP_KERNEL_ACCOUNT);

	if (!acct)
		return NULL;
	kref_init(&acct->ref);
	acct->user = iobmd_user_get();
	if (IS_ERR(acct->user)) {
		kfree(acct);
		return NULL;
	}
	return acct;
}

static void iobmd_account_free(struct kref *ref)
{
	struct iobmd_account *acct = container_of(ref, struct iobmd_account, ref);

	iobmd_user_put(acct->user);
	kfree(acct);
}

/**
 * iobmd_account_user() - iobmd_user_get() for a task using a file
 * @acct: the file's account
 *
 * The file holds its opener's account, so that the user's accounting
 * stays put between one descriptor and the next: a task of that user
 * gets it without a lookup, and without a reference of its own while the
 * caller holds @acct.
 *
 * Return: the current task's account, with a reference unless it is
 * @acct's own user (iobmd_account_user_put() drops what needs dropping),
 * or ERR_PTR(-ENOMEM).
 */
__iobmd_hot struct iobmd_user *iobmd_account_user(struct iobmd_account *acct)
{
	if (uid_eq(acct->user->uid, current_uid()))
		return acct->user;
	return iobmd_user_get();
}

/**
 * iobmd_account_user_put() - let go of what iobmd_account_user() gave
 * @acct: the file's account
 * @u: the account it gave
 */
void __iobmd_hot iobmd_account_user_put(struct iobmd_account *acct,
					struct iobmd_user *u)
{
	if (u != acct->user)
		iobmd_user_put(u);
}

/**
 * iobmd_account_put() - drop a reference on an account
 * @acct: the account
 */
void __iobmd_hot iobmd_account_put(struct iobmd_account *acct)
{
	kref_put(&acct->ref, iobmd_account_free);
}

/* Whether @add more on @now passes @limit (0: none). */
static bool __iobmd_hot iobmd_over(u64 now, u64 add, u64 limit)
{
	return limit && (now > limit || add > limit - now);
}

/**
 * iobmd_account_check() - may the current task create a descriptor of
 * @bytes more on this file?
 * @acct: the file's account
 * @bytes: buffer bytes about to be allocated
 *
 * Return: 0, -EMFILE at user_descs, or -EDQUOT above task_bytes,
 * user_bytes or total_bytes.
 */
int __iobmd_hot iobmd_account_check(struct iobmd_account *acct, u64 bytes)
{
	struct iobmd_user *u = acct->user;
	int ret = 0;

	/* A user with no account yet has nothing charged. */
	if (!uid_eq(u->uid, current_uid()))
		u = iobmd_user_find(current_uid());

	if (u && iobmd_over(atomic64_read(&u->descs), 1,
			    READ_ONCE(user_descs)))
		ret = -EMFILE;
	else if (bytes && u && iobmd_over(atomic64_read(&u->bytes), bytes,
					  READ_ONCE(user_bytes)))
		ret = -EDQUOT;
	else if (bytes && iobmd_over(atomic64_read(&acct->bytes), bytes,
				     READ_ONCE(task_bytes)))
		ret = -EDQUOT;
	else if (bytes)
		ret = iobmd_limits_check_total(bytes);
	if (u)
		iobmd_account_user_put(acct, u);
	return ret;
}

/*
 * One descriptor more for @u unless that passes user_descs; iobmd_stats
 * counts the users who hold any.
 */
static __always_inline bool iobmd_user_charge_desc(struct iobmd_user *u)
{
	s64 n = atomic64_inc_return(&u->descs);
	u64 limit = READ_ONCE(user_descs);

	if (limit && n > limit) {
		if (atomic64_dec_and_test(&u->descs))
			atomic64_dec(&iobmd_stats.users);
		return false;
	}
	if (n == 1)
		atomic64_inc(&iobmd_stats.users);
	return true;
}

static __always_inline void iobmd_user_uncharge_desc(struct iobmd_user *u)
{
	if (atomic64_dec_and_test(&u->descs))
		atomic64_dec(&iobmd_stats.users);
}

/* Adds @add to @v unless that passes @limit (0: none). */
static __always_inline bool iobmd_charge(atomic64_t *v, u64 add,
					 u64 limit)
{
	if (atomic64_add_return(add, v) > limit && limit) {
		atomic64_sub(add, v);
		return false;
	}
	return true;
}

/* As iobmd_charge(), but an @add beyond @limit alone touches nothing. */
static __always_inline bool iobmd_reserve(atomic64_t *v, u64 add, u64 limit)
{
	return !(limit && add > limit) && iobmd_charge(v, add, limit);
}

/*
 * One descriptor and @bytes more for @u, and @bytes more for @acct, unless
 * that passes user_descs, @user_limit or @task_limit (0: none).
 * Return: 0, -EMFILE or -EDQUOT (nothing charged).
 */
static __always_inline int iobmd_charge_user(struct iobmd_account *acct,
					     struct iobmd_user *u, u64 bytes,
					     u64 user_limit, u64 task_limit)
{
	if (!iobmd_user_charge_desc(u))
		return -EMFILE;
	if (!iobmd_reserve(&u->bytes, bytes, user_limit))
		goto err_descs;
	if (!iobmd_reserve(&acct->bytes, bytes, task_limit))
		goto err_bytes;
	return 0;

err_bytes:
	atomic64_sub(bytes, &u->bytes);
err_descs:
	iobmd_user_uncharge_desc(u);
	return -EDQUOT;
}

/**
 * iobmd_account_charge() - charge a new descriptor to a file and a user
 * @acct: the file's account
 * @d: the descriptor, its memory allocated and counted; it keeps a
 *	reference on @acct, and on the current task's user account when that
 *	is not @acct's own, until it is freed
 *
 * iobmd_account_check() looked before the allocation; this looks at what
 * was allocated, with every other creation that got there first already
 * counted.  Two
 * creations at once may then both fail; both never pass the limit.
 *
 * Return: 0, -ENOMEM, -EMFILE at user_descs, or -EDQUOT when it does not
 * fit task_bytes, user_bytes or total_bytes (nothing charged).
 */
int __iobmd_hot iobmd_account_charge(struct iobmd_account *acct,
				     struct iobmd_desc *d)
{
	u64 bytes = iobmd_desc_bytes(d);
	u64 total = READ_ONCE(iobmd_total_bytes);
	struct iobmd_user *u;
	int ret;

	if (bytes && total && iobmd_limits_buffer_bytes() > total)
		return -EDQUOT;
	/* @acct holds its own user for @d: no reference of @d's. */
	u = iobmd_account_user(acct);
	if (IS_ERR(u))
		return PTR_ERR(u);
	ret = iobmd_charge_user(acct, u, bytes, READ_ONCE(user_bytes),
				READ_ONCE(task_bytes));
	if (ret) {
		iobmd_account_user_put(acct, u);
		return ret;
	}
	kref_get(&acct->ref);
	d->acct = acct;
	d->user = u;
	d->charged = bytes;
	return 0;
}

/**
 * iobmd_account_reserve() - charge a buffer before it is allocated
 * @acct: the file's account
 * @bytes: buffer bytes the buffer will hold (iobmd_desc_bytes())
 *
 * What iobmd_limits_check_descs() and then iobmd_account_check() refuse,
 * in their order, but charged at once rather than looked at, so that a
 * creation beside this one counts it already.  The caller then hands the
 * reservation to the buffer (iobmd_account_take()) or gives it back
 * (iobmd_account_unreserve()), and lets go of the user account with
 * iobmd_account_user_put() unless the buffer took it.
 *
 * Return: the current task's user account the reservation is on, as
 * iobmd_account_user() gives it, or ERR_PTR(-ENOMEM), -ENFILE at
 * total_descs, -EMFILE at user_descs, or -EDQUOT above user_bytes,
 * task_bytes or total_bytes (nothing reserved, nothing held).
 */
__iobmd_hot struct iobmd_user *iobmd_account_reserve(struct iobmd_account *acct,
						     u64 bytes)
{
	struct iobmd_user *u;
	int ret;

	ret = iobmd_limits_check_descs();
	if (ret)
		return ERR_PTR(ret);
	u = iobmd_account_user(acct);
	if (IS_ERR(u))
		return u;
	/* No byte limit fails a buffer of no bytes, which is refused later. */
	ret = iobmd_charge_user(acct, u, bytes,
				bytes ? READ_ONCE(user_bytes) : 0,
				bytes ? READ_ONCE(task_bytes) : 0);
	if (ret)
		goto err_put;
	ret = -EDQUOT;
	if (bytes && iobmd_limits_check_total(bytes))
		goto err_charged;
	return u;

err_charged:
	iobmd_account_unreserve(acct, u, bytes);
err_put:
	iobmd_account_user_put(acct, u);
	return ERR_PTR(ret);
}

/**
 * iobmd_account_unreserve() - give back what iobmd_account_reserve() took
 * @acct: the file's account
 * @u: the user account it gave
 * @bytes: the bytes reserved
 *
 * The user account stays as the caller holds it.
 */
void iobmd_account_unreserve(struct iobmd_account *acct, struct iobmd_user *u,
			     u64 bytes)
{
	atomic64_sub(bytes, &acct->bytes);
	atomic64_sub(bytes, &u->bytes);
	iobmd_user_uncharge_desc(u);
}

/**
 * iobmd_account_uncharge() - give a freed descriptor's charges back
 * @d: the descriptor
 */
void __iobmd_hot iobmd_account_uncharge(struct iobmd_desc *d)
{
	if (!d->acct)
		return;
	atomic64_sub(d->charged, &d->acct->bytes);
	atomic64_sub(d->charged, &d->user->bytes);
	iobmd_user_uncharge_desc(d->user);
	iobmd_account_user_put(d->acct, d->user);
	iobmd_account_put(d->acct);
	d->user = NULL;
	d->acct = NULL;
}

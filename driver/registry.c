// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the registry of live descriptors, for netlink dumps and events.
 */
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "iobmd_priv.h"

static DEFINE_SPINLOCK(iobmd_registry_lock);
/* Live descriptors in creation order; iobmd_registry_lock. */
static LIST_HEAD(iobmd_registry);
/* The id of the last descriptor added; iobmd_registry_lock. */
static u64 iobmd_registry_last_id;

/**
 * iobmd_registry_add() - record a new descriptor and announce it
 * @d: the descriptor, initialised
 */
void iobmd_registry_add(struct iobmd_desc *d)
{
	d->creator = get_pid(task_tgid(current));
	d->uid = current_uid();
	atomic_set(&d->maps, 0);
	spin_lock(&iobmd_registry_lock);
	d->id = ++iobmd_registry_last_id;
	list_add_tail(&d->node, &iobmd_registry);
	spin_unlock(&iobmd_registry_lock);
	atomic64_inc(&iobmd_stats.descriptors);
	atomic64_inc(&iobmd_stats.kinds[d->kind]);
	iobmd_nl_event(d, true);
}

/**
 * iobmd_registry_del() - forget a descriptor that is being freed
 * @d: the descriptor
 */
void iobmd_registry_del(struct iobmd_desc *d)
{
	spin_lock(&iobmd_registry_lock);
	list_del(&d->node);
	spin_unlock(&iobmd_registry_lock);
	atomic64_dec(&iobmd_stats.kinds[d->kind]);
	atomic64_dec(&iobmd_stats.descriptors);
	iobmd_nl_event(d, false);
	put_pid(d->creator);
}

/**
 * iobmd_registry_dump() - call @fill for live descriptors after an id
 * @last_id: in: continue after this id; out: the last one filled
 * @all: every descriptor, else only those created by process @creator
 * @creator: the caller's process (task_tgid()); a process that reuses the
 *	number of a gone one is another struct pid
 * @fill: puts a descriptor in a message; must not sleep; non-zero stops
 * @arg: passed to @fill
 *
 * Return: what @fill returned last (0 when every descriptor fitted).
 */
int iobmd_registry_dump(u64 *last_id, bool all, struct pid *creator,
			int (*fill)(void *arg, struct iobmd_desc *d),
			void *arg)
{
	struct iobmd_desc *d;
	int ret = 0;

	spin_lock(&iobmd_registry_lock);
	list_for_each_entry(d, &iobmd_registry, node) {
		if (d->id <= *last_id || (!all && d->creator != creator))
			continue;
		ret = fill(arg, d);
		if (ret)
			break;
		*last_id = d->id;
	}
	spin_unlock(&iobmd_registry_lock);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the registry of live descriptors, for netlink dumps and events.
 *
 * Each live descriptor sits in a list and a red-black tree whose nodes it
 * embeds, so registering one allocates nothing and cannot fail:
 * - iobmd_registry_ids, a list in id order: ids come from a 64-bit counter
 *   under the registry lock, so they only ever increase and are never given
 *   twice while the module is loaded, and a new descriptor goes last;
 *   a privileged dump goes through it;
 * - iobmd_registry_creators, ordered by (creator, id): a process's own
 *   descriptors are neighbours there, so a dump of them never looks at
 *   anyone else's.
 *
 * A dump of every descriptor keeps its place in the list in a cursor
 * (struct iobmd_registry_cursor): the last descriptor it sent, which a
 * release moves back to the one before; each step is O(1), and releasing
 * a descriptor looks at every cursor there is: one per dump by
 * CAP_SYS_ADMIN that has started and not ended (a socket that stops
 * reading keeps its dump, and the cursor, until it is closed), none at
 * all in the common case.  A dump of one process's descriptors keeps
 * the last id it sent, and each step looks the next one up in the tree
 * (O(log n)), so a dump of k own descriptors costs O(k log n).  Either fills
 * in one descriptor at a time under iobmd_registry_lock, then drops the
 * lock: creation or release waits for at most one descriptor's message,
 * never for a batch.
 */
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/pid.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <net/genetlink.h>

#include "iobmd_priv.h"

/*
 * Protects the list, the tree and the cursors, the id counter, the step
 * counter below, and iobmd_stats.descriptors and .kinds, which only it
 * changes (plain read-modify-write: no other writer).
 */
static DEFINE_SPINLOCK(iobmd_registry_lock);
/* Live descriptors by id (struct iobmd_desc.id_link); registry lock. */
static LIST_HEAD(iobmd_registry_ids);
/* Dumps of every descriptor (struct iobmd_registry_cursor); registry lock. */
static LIST_HEAD(iobmd_registry_cursors);
/* By creator, then id (struct iobmd_desc.creator_node); registry lock. */
static struct rb_root iobmd_registry_creators = RB_ROOT;
/* The id of the last descriptor added; registry lock. */
static u64 iobmd_registry_last_id;
/*
 * Descriptors that dumps have looked at since the module loaded, shown in
 * debugfs (iobmd/dump_steps) so that tests can check that a dump looks at
 * what it returns and little else; registry lock.
 */
static u64 iobmd_registry_steps;

/*
 * Multicast a descriptor's creation or release when someone listens; the
 * look for listeners is inline, as creation and release nearly always
 * find none, and skipped until anyone has joined the events group.
 */
static __always_inline void iobmd_nl_event(struct iobmd_desc *d, bool create)
{
	if (READ_ONCE(iobmd_nl_joined) && iobmd_nl_family.id &&
	    genl_has_listeners(&iobmd_nl_family, &init_net, 0))
		iobmd_nl_send_event(d, create);
}

/* Adds @by to a count only the registry changes; registry lock. */
static __always_inline void iobmd_registry_count(atomic64_t *v, s64 by)
{
	atomic64_set(v, atomic64_read(v) + by);
}

/* Orders by the creator's struct pid (its address), then by id. */
static bool __iobmd_hot iobmd_registry_creator_less(struct rb_node *a,
						    const struct rb_node *b)
{
	const struct iobmd_desc *da = rb_entry(a, struct iobmd_desc,
					       creator_node);
	const struct iobmd_desc *db = rb_entry(b, struct iobmd_desc,
					       creator_node);

	if (da->creator != db->creator)
		return (uintptr_t)da->creator < (uintptr_t)db->creator;
	return da->id < db->id;
}

/**
 * iobmd_registry_add() - record a new descriptor and announce it
 * @d: the descriptor, initialised
 */
void __iobmd_hot iobmd_registry_add(struct iobmd_desc *d)
{
	d->creator = get_pid(task_tgid(current));
	d->uid = current_uid();
	atomic_set(&d->maps, 0);
	spin_lock(&iobmd_registry_lock);
	d->id = ++iobmd_registry_last_id;
	list_add_tail(&d->id_link, &iobmd_registry_ids);
	rb_add(&d->creator_node, &iobmd_registry_creators,
	       iobmd_registry_creator_less);
	iobmd_registry_count(&iobmd_stats.descriptors, 1);
	iobmd_registry_count(&iobmd_stats.kinds[d->kind], 1);
	spin_unlock(&iobmd_registry_lock);
	iobmd_nl_event(d, true);
}

/**
 * iobmd_registry_del() - forget a descriptor that is being freed
 * @d: the descriptor
 */
void __iobmd_hot iobmd_registry_del(struct iobmd_desc *d)
{
	struct iobmd_registry_cursor *c;

	spin_lock(&iobmd_registry_lock);
	list_for_each_entry(c, &iobmd_registry_cursors, link)
		if (c->last == &d->id_link)
			c->last = d->id_link.prev;
	list_del(&d->id_link);
	rb_erase(&d->creator_node, &iobmd_registry_creators);
	iobmd_registry_count(&iobmd_stats.kinds[d->kind], -1);
	iobmd_registry_count(&iobmd_stats.descriptors, -1);
	spin_unlock(&iobmd_registry_lock);
	iobmd_nl_event(d, false);
	put_pid(d->creator);
}

/* The live descriptor after @c's last one, or NULL. */
static struct iobmd_desc *iobmd_registry_next(struct iobmd_registry_cursor *c)
{
	lockdep_assert_held(&iobmd_registry_lock);
	if (list_is_last(c->last, &iobmd_registry_ids))
		return NULL;
	return list_entry(c->last->next, struct iobmd_desc, id_link);
}

/*
 * The live descriptor that @creator created with the lowest id above
 * @after, or NULL.
 */
static struct iobmd_desc *iobmd_registry_next_of(struct pid *creator,
						 u64 after)
{
	struct rb_node *n = iobmd_registry_creators.rb_node;
	struct iobmd_desc *d, *found = NULL;

	lockdep_assert_held(&iobmd_registry_lock);
	while (n) {
		d = rb_entry(n, struct iobmd_desc, creator_node);
		if ((uintptr_t)d->creator > (uintptr_t)creator ||
		    (d->creator == creator && d->id > after)) {
			found = d;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	if (found && found->creator != creator)
		return NULL;
	return found;
}

/**
 * iobmd_registry_dump_start() - set up a dump's cursor
 * @c: the cursor, which must stay where it is until
 *	iobmd_registry_dump_end()
 * @all: a dump of every descriptor, else of one process's
 */
void iobmd_registry_dump_start(struct iobmd_registry_cursor *c, bool all)
{
	if (!all) {
		c->last_id = 0;
		return;
	}
	spin_lock(&iobmd_registry_lock);
	c->last = &iobmd_registry_ids;
	list_add(&c->link, &iobmd_registry_cursors);
	spin_unlock(&iobmd_registry_lock);
}

/**
 * iobmd_registry_dump_end() - forget a dump's cursor
 * @c: the cursor iobmd_registry_dump_start() set up
 * @all: as it was given
 */
void iobmd_registry_dump_end(struct iobmd_registry_cursor *c, bool all)
{
	if (!all)
		return;
	spin_lock(&iobmd_registry_lock);
	list_del(&c->link);
	spin_unlock(&iobmd_registry_lock);
}

/**
 * iobmd_registry_dump() - call @fill for live descriptors after a cursor
 * @c: where the dump stands (iobmd_registry_dump_start()); moved past
 *	each descriptor @fill takes
 * @all: every descriptor, else only those created by process @creator;
 *	as the cursor was set up
 * @creator: the caller's process (task_tgid()), referenced by the caller
 *	for as long as it dumps; a process that reuses the number of a gone
 *	one is another struct pid
 * @fill: puts a descriptor in a message; called under a spinlock, so it
 *	must not sleep; non-zero stops
 * @arg: passed to @fill
 *
 * Descriptors come in increasing id order.  One created after the dump
 * began may or may not come; one released meanwhile may have come already;
 * every other comes exactly once, whatever the calls' boundaries.  Each
 * descriptor costs O(1) in a dump of all, one lookup, O(log n), in a dump
 * of one process's, and the registry lock is held for one descriptor at a
 * time.
 *
 * Return: what @fill returned last (0 when every descriptor fitted).
 */
int iobmd_registry_dump(struct iobmd_registry_cursor *c, bool all,
			struct pid *creator,
			int (*fill)(void *arg, struct iobmd_desc *d),
			void *arg)
{
	struct iobmd_desc *d;
	int ret = 0;

	do {
		spin_lock(&iobmd_registry_lock);
		d = all ? iobmd_registry_next(c) :
			  iobmd_registry_next_of(creator, c->last_id);
		if (d) {
			iobmd_registry_steps++;
			ret = fill(arg, d);
			if (!ret && all)
				c->last = &d->id_link;
			else if (!ret)
				c->last_id = d->id;
		}
		spin_unlock(&iobmd_registry_lock);
	} while (d && !ret);
	return ret;
}

static int iobmd_registry_steps_get(void *data, u64 *val)
{
	spin_lock(&iobmd_registry_lock);
	*val = iobmd_registry_steps;
	spin_unlock(&iobmd_registry_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(iobmd_registry_steps_fops, iobmd_registry_steps_get,
			 NULL, "%llu\n");

/* How many dumps of every descriptor hold a cursor now. */
static int iobmd_registry_cursors_get(void *data, u64 *val)
{
	struct iobmd_registry_cursor *c;

	*val = 0;
	spin_lock(&iobmd_registry_lock);
	list_for_each_entry(c, &iobmd_registry_cursors, link)
		(*val)++;
	spin_unlock(&iobmd_registry_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(iobmd_registry_cursors_fops,
			 iobmd_registry_cursors_get, NULL, "%llu\n");

/**
 * iobmd_registry_debugfs() - show the dumps' step counter and cursors in
 * debugfs
 * @dir: the module's debugfs directory (an error pointer is ignored)
 */
void iobmd_registry_debugfs(struct dentry *dir)
{
	debugfs_create_file_unsafe("dump_steps", 0400, dir, NULL,
				   &iobmd_registry_steps_fops);
	debugfs_create_file_unsafe("dump_cursors", 0400, dir, NULL,
				   &iobmd_registry_cursors_fops);
}

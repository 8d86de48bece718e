// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: counters of what the module holds, shown in debugfs as
 * /sys/kernel/debug/iobmd/stats (root only) so that tests can prove
 * nothing is left.  Over netlink, GET_STATS shows them to CAP_SYS_ADMIN
 * only, and anyone the figures of its own user (netlink.c).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "iobmd_priv.h"

/*
 * Each counter is an atomic64_t, read without a lock; all but .descriptors
 * and .kinds, which only the registry changes under its lock, are changed
 * without one too.
 */
struct iobmd_stats iobmd_stats;

static struct dentry *iobmd_stats_dir;

static int iobmd_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "descriptors %lld\n",
		   atomic64_read(&iobmd_stats.descriptors));
	seq_printf(m, "page_bytes %lld\n",
		   atomic64_read(&iobmd_stats.page_bytes));
	seq_printf(m, "coherent_bytes %lld\n",
		   atomic64_read(&iobmd_stats.coherent_bytes));
	seq_printf(m, "pinned_bytes %lld\n",
		   atomic64_read(&iobmd_stats.pinned_bytes));
	seq_printf(m, "device_bytes %lld\n",
		   atomic64_read(&iobmd_stats.device_bytes));
	seq_printf(m, "mappings %lld\n", atomic64_read(&iobmd_stats.mappings));
	seq_printf(m, "prepares %lld\n", atomic64_read(&iobmd_stats.prepares));
	seq_printf(m, "exports %lld\n", atomic64_read(&iobmd_stats.exports));
	seq_printf(m, "alloc_failures %lld\n",
		   atomic64_read(&iobmd_stats.alloc_failures));
	seq_printf(m, "users %lld\n", atomic64_read(&iobmd_stats.users));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iobmd_stats);

/**
 * iobmd_stats_init() - create the debugfs directory and its stats file
 *
 * debugfs is optional: without it the counters still count.
 */
void iobmd_stats_init(void)
{
	iobmd_stats_dir = debugfs_create_dir("iobmd", NULL);
	debugfs_create_file("stats", 0400, iobmd_stats_dir, NULL,
			    &iobmd_stats_fops);
	iobmd_registry_debugfs(iobmd_stats_dir);
}

/**
 * iobmd_stats_exit() - remove what iobmd_stats_init() created
 */
void iobmd_stats_exit(void)
{
	debugfs_remove(iobmd_stats_dir);
}

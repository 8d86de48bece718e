// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IOKit's memory descriptors for Linux.  Module parameters and the
 * /dev/iobmd misc device.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "iobmd_priv.h"

static unsigned int dev_mode = 0600;
module_param(dev_mode, uint, 0444);
MODULE_PARM_DESC(dev_mode, "Permission bits of /dev/iobmd (default 0600)");

static unsigned int max_handles = 65536;
module_param(max_handles, uint, 0644);
MODULE_PARM_DESC(max_handles,
		 "Most descriptors one open file may hold (default 65536, at most 16777215)");

static unsigned long long max_capacity;
module_param(max_capacity, ullong, 0644);
MODULE_PARM_DESC(max_capacity,
		 "Largest buffer capacity in bytes (default 0: half of RAM)");

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

static struct miscdevice iobmd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iobmd",
	.fops = &iobmd_fops,
};

static int __init iobmd_init(void)
{
	int ret;

	if (dev_mode & ~0777)
		return -EINVAL;
	iobmd_misc.mode = dev_mode;
	iobmd_stats_init();
	ret = misc_register(&iobmd_misc);
	if (ret)
		iobmd_stats_exit();
	return ret;
}

static void __exit iobmd_exit(void)
{
	misc_deregister(&iobmd_misc);
	iobmd_dmadev_exit();
	iobmd_stats_exit();
}

module_init(iobmd_init);
module_exit(iobmd_exit);

MODULE_DESCRIPTION("IOKit memory descriptors (IOBufferMemoryDescriptor and family)");
MODULE_AUTHOR("The iobmd authors");
MODULE_LICENSE("GPL");

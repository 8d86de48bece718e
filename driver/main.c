// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IOKit's memory descriptors for Linux.  Module parameters and the
 * /dev/iobmd misc device.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <net/genetlink.h>

#include "iobmd_netlink.h"
#include "iobmd_priv.h"

static unsigned int dev_mode = 0600;
module_param(dev_mode, uint, 0444);
MODULE_PARM_DESC(dev_mode, "Permission bits of /dev/iobmd (default 0600)");

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
	iobmd_zones_init();
	iobmd_stats_init();
	ret = iobmd_nl_init();
	if (ret)
		goto err_stats;
	ret = misc_register(&iobmd_misc);
	if (ret)
		goto err_nl;
	iobmd_dmabuf_import_init(iobmd_misc.this_device);
	iobmd_cache_init(iobmd_misc.this_device);
	return 0;

err_nl:
	iobmd_nl_exit();
err_stats:
	iobmd_stats_exit();
	return ret;
}

static void __exit iobmd_exit(void)
{
	misc_deregister(&iobmd_misc);
	iobmd_nl_exit();
	iobmd_limits_exit();
	iobmd_stats_exit();
}

module_init(iobmd_init);
module_exit(iobmd_exit);

MODULE_DESCRIPTION("IOKit memory descriptors (IOBufferMemoryDescriptor and family)");
MODULE_ALIAS_GENL_FAMILY(IOBMD_GENL_NAME);
MODULE_AUTHOR("The iobmd authors");
MODULE_LICENSE("GPL");
MODULE_VERSION(IOBMD_PKG_VERSION);

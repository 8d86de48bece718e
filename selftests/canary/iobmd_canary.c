// SPDX-License-Identifier: GPL-2.0
/*
 * The debug kernel's checkers, tested: a module that, when loaded, inverts
 * a lock order (lockdep), trips a DEBUG_VM assertion, leaks an object
 * (kmemleak) and reads past the end of another (KASAN).  `make check-debug`
 * boots it before the suite and fails unless each one is reported, so a
 * suite that reports nothing means that nothing happened, not that nothing
 * was looked for.  It is built as iobmd.ko, for scripts/vm-run.sh.
 */
#include <linux/mm.h>
#include <linux/mmdebug.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

/* What the leaked object holds: kmemleak's hex dump shows it. */
#define IOBMD_CANARY_LEAK	"iobmd-canary-leak"
#define IOBMD_CANARY_LEAK_SIZE	1234

static DEFINE_MUTEX(iobmd_canary_a);
static DEFINE_MUTEX(iobmd_canary_b);

/* Past the end of a 16-byte object; a parameter, so no compiler sees it. */
static int past_end = 16;
module_param(past_end, int, 0444);
MODULE_PARM_DESC(past_end, "Byte read from a 16-byte object (default 16)");

static void iobmd_canary_lock_inversion(void)
{
	mutex_lock(&iobmd_canary_a);
	mutex_lock(&iobmd_canary_b);
	mutex_unlock(&iobmd_canary_b);
	mutex_unlock(&iobmd_canary_a);

	mutex_lock(&iobmd_canary_b);
	mutex_lock(&iobmd_canary_a);
	mutex_unlock(&iobmd_canary_a);
	mutex_unlock(&iobmd_canary_b);
}

static noinline void iobmd_canary_leak(void)
{
	char *p = kzalloc(IOBMD_CANARY_LEAK_SIZE, GFP_KERNEL);

	if (p)
		strscpy(p, IOBMD_CANARY_LEAK, IOBMD_CANARY_LEAK_SIZE);
}

static noinline void iobmd_canary_out_of_bounds(void)
{
	char *p = kmalloc(16, GFP_KERNEL);

	if (!p)
		return;
	pr_info("iobmd canary: byte %d of a 16-byte object is %d\n", past_end,
		READ_ONCE(p[past_end]));
	kfree(p);
}

static int __init iobmd_canary_init(void)
{
	/* First: a KASAN report taints the kernel, which turns lockdep off. */
	iobmd_canary_lock_inversion();
	VM_WARN_ON_ONCE(past_end == 16);
	iobmd_canary_leak();
	iobmd_canary_out_of_bounds();
	return 0;
}

static void __exit iobmd_canary_exit(void)
{
}

module_init(iobmd_canary_init);
module_exit(iobmd_canary_exit);

MODULE_DESCRIPTION("Mistakes on purpose, for the debug kernel's checkers to report");
MODULE_LICENSE("GPL");

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The errnos a stress operation may fail with: the sets allowed for a
 * call, chosen ahead of it, and note(), which counts each call by its
 * result and fails the thread on an errno not in the set.
 */
#ifndef __SELFTEST_IOBMD_STRESS_ERRNO_H
#define __SELFTEST_IOBMD_STRESS_ERRNO_H

#include "iobmd_stress_thread.h"

#define ERRS(...)	((const int[]){ __VA_ARGS__, 0 })
#define NO_ERRS		ERRS(0)

/* Errno sets chosen ahead of the call. */
static const int errs_none[] = { 0 };
static const int errs_eacces[] = { EACCES, 0 };
static const int errs_erange[] = { ERANGE, 0 };
/* Prepares only wire: nothing is "prepared for another range" (EBUSY). */
static const int errs_view_prepare[] = { EACCES, 0 };
static const int errs_shared_prepare[] = { EFAULT, EPERM, EACCES, 0 };

static bool errno_in(int err, const int *allowed)
{
	for (; *allowed; allowed++)
		if (*allowed == err)
			return true;
	return false;
}

/*
 * Counts a call of @op that returned @ret (errno in @err); fails the
 * thread unless it succeeded or failed with one of @allowed.
 */
static bool note(struct thr *t, int op, int ret, int err, const int *allowed,
		 const char *what, __u32 handle)
{
	t->rep->calls[op]++;
	if (!ret) {
		t->rep->ok[op]++;
		return true;
	}
	t->rep->errs[op][err > 0 && err < NR_ERRNO ? err : 0]++;
	if (!errno_in(err, allowed))
		fail(t, "%s (%s) on handle %u: unexpected %s (errno %d)",
		     op_names[op], what, handle, strerror(err), err);
	return false;
}

#define NOTE(t, op, call, allowed, what, handle)                        \
	({                                                              \
		int __r = (call);                                       \
		note(t, op, __r, __r ? errno : 0, allowed, what, handle); \
	})
static const int *write_errs(struct thr *t, int i)
{
	/*
	 * User memory (or a composition) pinned read-only, by this thread's
	 * own prepare for Out or read-only mapping or by another thread's
	 * view, refuses a writing pin.
	 */
	if (t->n[i].kind != IOBMD_KIND_BUFFER)
		return errs_eacces;
	return errs_none;
}

#endif /* __SELFTEST_IOBMD_STRESS_ERRNO_H */

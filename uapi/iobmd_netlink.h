/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iobmd - the generic netlink family "iobmd": what the module holds, who
 * holds it, create/release events, and the limits it enforces.
 *
 * Every operation has its own strict policy: an attribute an operation does
 * not take, or one of the wrong type, is refused with EINVAL and an extack
 * message.  All values are u64 unless noted.
 *
 * IOBMD_CMD_GET_STATS (do)    -> IOBMD_A_STATS_USER_*: what the asker's user
 *				  holds; with CAP_SYS_ADMIN also the other
 *				  IOBMD_A_STATS_* of the whole module (other
 *				  users' figures are not for anyone else)
 * IOBMD_CMD_GET_DESC  (dump)  -> one message per descriptor, IOBMD_A_DESC_*;
 *				  a caller without CAP_SYS_ADMIN sees only the
 *				  descriptors its own process created
 * IOBMD_CMD_GET_LIMITS (do)   -> IOBMD_A_LIMIT_*
 * IOBMD_CMD_SET_LIMITS (do)   <- any IOBMD_A_LIMIT_* (CAP_SYS_ADMIN)
 * IOBMD_CMD_EVENT_CREATE, IOBMD_CMD_EVENT_RELEASE: multicast on the
 *	"events" group, IOBMD_A_DESC_* of the descriptor (CAP_SYS_ADMIN to
 *	join)
 */
#ifndef _UAPI_IOBMD_NETLINK_H
#define _UAPI_IOBMD_NETLINK_H

#define IOBMD_GENL_NAME		"iobmd"
#define IOBMD_GENL_VERSION	1
#define IOBMD_GENL_MCGRP_EVENTS	"events"

enum iobmd_nl_cmd {
	IOBMD_CMD_UNSPEC,
	IOBMD_CMD_GET_STATS,
	IOBMD_CMD_GET_DESC,
	IOBMD_CMD_GET_LIMITS,
	IOBMD_CMD_SET_LIMITS,
	IOBMD_CMD_EVENT_CREATE,
	IOBMD_CMD_EVENT_RELEASE,
	__IOBMD_CMD_MAX,
};

#define IOBMD_CMD_MAX (__IOBMD_CMD_MAX - 1)

enum iobmd_nl_attr {
	IOBMD_A_UNSPEC,
	IOBMD_A_PAD,

	/* IOBMD_CMD_GET_STATS: live descriptors of each kind */
	IOBMD_A_STATS_BUFFERS,
	IOBMD_A_STATS_GENERALS,
	IOBMD_A_STATS_SUBS,
	IOBMD_A_STATS_MULTIS,
	IOBMD_A_STATS_INTERLEAVEDS,
	IOBMD_A_STATS_DEVICES,
	/* bytes held, by backing */
	IOBMD_A_STATS_BYTES_ZONE_DMA,	/* buffer pages in ZONE_DMA */
	IOBMD_A_STATS_BYTES_ZONE_DMA32,	/* buffer pages in ZONE_DMA32 */
	IOBMD_A_STATS_BYTES_ZONE_NORMAL,	/* buffer pages above them */
	IOBMD_A_STATS_BYTES_COHERENT,	/* contiguous buffers */
	IOBMD_A_STATS_BYTES_PINNED,	/* pinned user memory */
	IOBMD_A_STATS_BYTES_DEVICE,	/* described device memory */
	IOBMD_A_STATS_MAPPINGS,		/* live user mappings */
	IOBMD_A_STATS_PREPARES,		/* descriptors prepared now */
	IOBMD_A_STATS_ALLOC_FAILURES,	/* failed allocations since load */

	/* IOBMD_CMD_GET_DESC and events */
	IOBMD_A_DESC_ID,		/* unique while the module is loaded */
	/*
	 * The creator's tgid and uid as the dump's asker sees them from its
	 * pid and user namespaces (pid 0: not in the asker's; the overflow
	 * uid, kernel.overflowuid: not mapped there); events give them as
	 * seen from the initial namespaces.  The pid of a creator that has
	 * exited is the number it had.
	 */
	IOBMD_A_DESC_PID,		/* u32: creating process (tgid) */
	IOBMD_A_DESC_UID,		/* u32: its uid */
	IOBMD_A_DESC_KIND,		/* u32: enum iobmd_kind */
	IOBMD_A_DESC_LENGTH,
	IOBMD_A_DESC_CAPACITY,
	IOBMD_A_DESC_MASK,		/* physical mask, buffers */
	IOBMD_A_DESC_OPTIONS,		/* u32: creation options */
	IOBMD_A_DESC_PREPARES,		/* u32: prepare nesting */
	IOBMD_A_DESC_MAPS,		/* u32: live user mappings */

	/* IOBMD_CMD_GET_LIMITS / SET_LIMITS; 0 means no limit */
	IOBMD_A_LIMIT_TASK_BYTES,	/* buffer bytes one open file creates */
	IOBMD_A_LIMIT_TASK_DESCS,	/* descriptors one open file holds */
	IOBMD_A_LIMIT_TOTAL_BYTES,	/* buffer bytes of the whole module */
	IOBMD_A_LIMIT_TOTAL_DESCS,	/* descriptors of the whole module */
	IOBMD_A_LIMIT_MAX_CAPACITY,	/* largest buffer (0: half of RAM) */

	/*
	 * Per user: every descriptor made through /dev/iobmd is charged to
	 * the real uid (in the initial user namespace) of the process that
	 * made it, over all the files it opened, until it is freed.  A
	 * SET_LIMITS without these leaves them as they are.
	 */
	IOBMD_A_LIMIT_USER_BYTES,	/* buffer bytes one user holds (EDQUOT) */
	IOBMD_A_LIMIT_USER_DESCS,	/* descriptors one user holds (EMFILE) */
	/*
	 * bytes of ZONE_DMA (below 16 MiB on x86) one user's buffers hold
	 * (EDQUOT); CAP_SYS_RESOURCE callers exempt; default 1 MiB
	 */
	IOBMD_A_LIMIT_USER_ZONE_DMA,

	/* IOBMD_CMD_GET_STATS, for anyone: the asker's real uid's figures */
	IOBMD_A_STATS_USER_DESCS,	/* descriptors charged to the user */
	IOBMD_A_STATS_USER_BYTES,	/* buffer bytes charged to it */
	IOBMD_A_STATS_USER_ZONE_DMA,	/* ZONE_DMA bytes charged to it */

	/* dma-buf (ABI 1.1) */
	IOBMD_A_STATS_DMABUFS,		/* descriptors over imported dma-bufs */
	IOBMD_A_STATS_EXPORTS,		/* live dma-bufs exported by iobmd */
	IOBMD_A_DESC_EXPORTS,		/* u32: live dma-bufs of the descriptor */

	__IOBMD_A_MAX,
};

#define IOBMD_A_MAX (__IOBMD_A_MAX - 1)

#endif /* _UAPI_IOBMD_NETLINK_H */

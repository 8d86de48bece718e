// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the generic netlink family "iobmd" (uapi/iobmd_netlink.h): stats,
 * a dump of descriptors, create/release events and the limits.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>

#include "iobmd_netlink.h"
#include "iobmd_priv.h"

/* Operations that take no attributes at all. */
static const struct nla_policy iobmd_nl_none_policy[IOBMD_A_MAX + 1] = {
};

/* IOBMD_A_LIMIT_TASK_DESCS is range-checked by the handler: EINVAL. */
static const struct nla_policy iobmd_nl_limits_policy[IOBMD_A_MAX + 1] = {
	[IOBMD_A_LIMIT_TASK_BYTES] = { .type = NLA_U64 },
	[IOBMD_A_LIMIT_TASK_DESCS] = { .type = NLA_U64 },
	[IOBMD_A_LIMIT_TOTAL_BYTES] = { .type = NLA_U64 },
	[IOBMD_A_LIMIT_TOTAL_DESCS] = { .type = NLA_U64 },
	[IOBMD_A_LIMIT_MAX_CAPACITY] = { .type = NLA_U64 },
	[IOBMD_A_LIMIT_USER_BYTES] = { .type = NLA_U64 },
	[IOBMD_A_LIMIT_USER_DESCS] = { .type = NLA_U64 },
	[IOBMD_A_LIMIT_USER_ZONE_DMA] = { .type = NLA_U64 },
};

static int iobmd_nl_put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, IOBMD_A_PAD);
}

static int iobmd_nl_put_stat(struct sk_buff *skb, int type, atomic64_t *v)
{
	return iobmd_nl_put_u64(skb, type, atomic64_read(v));
}

/* The asker's user's figures; *@all: the module's too (CAP_SYS_ADMIN). */
static int iobmd_nl_fill_stats(struct sk_buff *skb, void *all)
{
	static const struct {
		int type;
		atomic64_t *v;
	} stats[] = {
		{ IOBMD_A_STATS_BUFFERS, &iobmd_stats.kinds[IOBMD_KIND_BUFFER] },
		{ IOBMD_A_STATS_GENERALS, &iobmd_stats.kinds[IOBMD_KIND_GENERAL] },
		{ IOBMD_A_STATS_SUBS, &iobmd_stats.kinds[IOBMD_KIND_SUB] },
		{ IOBMD_A_STATS_MULTIS, &iobmd_stats.kinds[IOBMD_KIND_MULTI] },
		{ IOBMD_A_STATS_INTERLEAVEDS,
		  &iobmd_stats.kinds[IOBMD_KIND_INTERLEAVED] },
		{ IOBMD_A_STATS_DEVICES, &iobmd_stats.kinds[IOBMD_KIND_DEVICE] },
		{ IOBMD_A_STATS_DMABUFS, &iobmd_stats.kinds[IOBMD_KIND_DMABUF] },
		{ IOBMD_A_STATS_EXPORTS, &iobmd_stats.exports },
		{ IOBMD_A_STATS_BYTES_ZONE_DMA, &iobmd_stats.zone_bytes[0] },
		{ IOBMD_A_STATS_BYTES_ZONE_DMA32, &iobmd_stats.zone_bytes[1] },
		{ IOBMD_A_STATS_BYTES_ZONE_NORMAL, &iobmd_stats.zone_bytes[2] },
		{ IOBMD_A_STATS_BYTES_COHERENT, &iobmd_stats.coherent_bytes },
		{ IOBMD_A_STATS_BYTES_PINNED, &iobmd_stats.pinned_bytes },
		{ IOBMD_A_STATS_BYTES_DEVICE, &iobmd_stats.device_bytes },
		{ IOBMD_A_STATS_MAPPINGS, &iobmd_stats.mappings },
		{ IOBMD_A_STATS_PREPARES, &iobmd_stats.prepares },
		{ IOBMD_A_STATS_ALLOC_FAILURES, &iobmd_stats.alloc_failures },
	};
	u64 descs, bytes, zone_dma;
	unsigned int i;

	iobmd_user_figures(&descs, &bytes, &zone_dma);
	if (iobmd_nl_put_u64(skb, IOBMD_A_STATS_USER_DESCS, descs) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_STATS_USER_BYTES, bytes) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_STATS_USER_ZONE_DMA, zone_dma))
		return -EMSGSIZE;
	for (i = 0; *(bool *)all && i < ARRAY_SIZE(stats); i++)
		if (iobmd_nl_put_stat(skb, stats[i].type, stats[i].v))
			return -EMSGSIZE;
	return 0;
}

/*
 * Reads fields without their locks: a dump is a snapshot.  The creator's
 * pid and uid are given as seen from @pid_ns and @user_ns.
 */
static int iobmd_nl_fill_desc(struct sk_buff *skb, struct iobmd_desc *d,
			      struct pid_namespace *pid_ns,
			      struct user_namespace *user_ns)
{
	struct iobmd_buffer *b = iobmd_to_buffer(d);
	u64 length = READ_ONCE(d->length);

	if (iobmd_nl_put_u64(skb, IOBMD_A_DESC_ID, d->id) ||
	    nla_put_u32(skb, IOBMD_A_DESC_PID, pid_nr_ns(d->creator, pid_ns)) ||
	    nla_put_u32(skb, IOBMD_A_DESC_UID,
			from_kuid_munged(user_ns, d->uid)) ||
	    nla_put_u32(skb, IOBMD_A_DESC_KIND, d->kind) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_DESC_LENGTH, length) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_DESC_CAPACITY,
			     b ? b->capacity : length) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_DESC_MASK, b ? b->phys_mask : 0) ||
	    nla_put_u32(skb, IOBMD_A_DESC_OPTIONS, b ? b->options : 0) ||
	    nla_put_u32(skb, IOBMD_A_DESC_PREPARES,
			READ_ONCE(d->prepare_count)) ||
	    nla_put_u32(skb, IOBMD_A_DESC_MAPS, atomic_read(&d->maps)) ||
	    nla_put_u32(skb, IOBMD_A_DESC_EXPORTS, atomic_read(&d->exports)))
		return -EMSGSIZE;
	return 0;
}

/* Replies to @info with one message of command @cmd that @fill fills. */
static int iobmd_nl_reply(struct genl_info *info, u8 cmd,
			  int (*fill)(struct sk_buff *msg, void *arg),
			  void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &iobmd_nl_family, 0, cmd);
	if (!hdr || fill(msg, arg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * IOBMD_CMD_GET_STATS: the figures of the asker's real uid (the one its
 * descriptors are charged to), and with CAP_SYS_ADMIN in the initial user
 * namespace (for the asker and whoever opened the socket) the module's
 * counters, which tell what every other user does.
 * Errors: EINVAL (any attribute), ENOMEM.
 */
static int iobmd_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	bool all = netlink_capable(skb, CAP_SYS_ADMIN);

	return iobmd_nl_reply(info, IOBMD_CMD_GET_STATS, iobmd_nl_fill_stats,
			      &all);
}

/*
 * What a dump holds from .start to .done, in cb->ctx: it goes on in
 * whichever process reads the socket next (one that inherited it, say),
 * and shows what the process that asked would see.
 */
struct iobmd_nl_dump_ctx {
	struct iobmd_registry_cursor cursor;	/* where it stands */
	struct pid *asker;		/* its tgid, referenced */
	struct user_namespace *user_ns;	/* its user namespace, referenced */
	bool all;			/* it has CAP_SYS_ADMIN */
};

struct iobmd_nl_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	struct iobmd_nl_dump_ctx *ctx;
};

/* Called under the registry's spinlock: must not sleep. */
static int iobmd_nl_dump_one(void *arg, struct iobmd_desc *d)
{
	struct iobmd_nl_dump *dump = arg;
	void *hdr;

	hdr = genlmsg_put(dump->skb, NETLINK_CB(dump->cb->skb).portid,
			  dump->cb->nlh->nlmsg_seq, &iobmd_nl_family,
			  NLM_F_MULTI, IOBMD_CMD_GET_DESC);
	if (!hdr)
		return -EMSGSIZE;
	if (iobmd_nl_fill_desc(dump->skb, d, ns_of_pid(dump->ctx->asker),
			       dump->ctx->user_ns)) {
		genlmsg_cancel(dump->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(dump->skb, hdr);
	return 0;
}

static int iobmd_nl_dump_desc_start(struct netlink_callback *cb)
{
	struct iobmd_nl_dump_ctx *ctx = (void *)cb->ctx;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	ctx->asker = get_pid(task_tgid(current));
	ctx->user_ns = get_user_ns(current_user_ns());
	ctx->all = netlink_capable(cb->skb, CAP_SYS_ADMIN);
	iobmd_registry_dump_start(&ctx->cursor, ctx->all);
	return 0;
}

static int iobmd_nl_dump_desc_done(struct netlink_callback *cb)
{
	struct iobmd_nl_dump_ctx *ctx = (void *)cb->ctx;

	iobmd_registry_dump_end(&ctx->cursor, ctx->all);
	put_user_ns(ctx->user_ns);
	put_pid(ctx->asker);
	return 0;
}

/*
 * IOBMD_CMD_GET_DESC (dump): one message per live descriptor, by id;
 * without CAP_SYS_ADMIN only those the process that asked created.  Each
 * round goes on after the last one sent (iobmd_registry_dump()): a dump
 * costs O(1) (all) or O(log n) (its own) per descriptor it sends, whatever
 * the others hold.
 * Errors: EINVAL (any attribute).
 */
static int iobmd_nl_dump_desc(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct iobmd_nl_dump dump = { .skb = skb, .cb = cb,
				      .ctx = (void *)cb->ctx };
	int ret;

	ret = iobmd_registry_dump(&dump.ctx->cursor, dump.ctx->all,
				  dump.ctx->asker, iobmd_nl_dump_one, &dump);
	/* A full message ends this round; the next one goes on from there. */
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ?: skb->len;
}

static int iobmd_nl_fill_limits(struct sk_buff *skb, void *unused)
{
	struct iobmd_limits l;
	u64 handles, capacity;

	iobmd_limits_get(&l, &handles, &capacity);
	if (iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_TASK_BYTES, l.task_bytes) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_TASK_DESCS, handles) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_TOTAL_BYTES, l.total_bytes) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_TOTAL_DESCS, l.total_descs) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_MAX_CAPACITY, capacity) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_USER_BYTES, l.user_bytes) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_USER_DESCS, l.user_descs) ||
	    iobmd_nl_put_u64(skb, IOBMD_A_LIMIT_USER_ZONE_DMA,
			     l.user_zone_dma))
		return -EMSGSIZE;
	return 0;
}

/*
 * IOBMD_CMD_GET_LIMITS: the limits in force.
 * Errors: EINVAL (any attribute), ENOMEM.
 */
static int iobmd_nl_get_limits(struct sk_buff *skb, struct genl_info *info)
{
	return iobmd_nl_reply(info, IOBMD_CMD_GET_LIMITS, iobmd_nl_fill_limits,
			      NULL);
}

/* Serialises SET_LIMITS's read-modify-write (the family runs in parallel). */
static DEFINE_MUTEX(iobmd_nl_limits_lock);

/*
 * IOBMD_CMD_SET_LIMITS: change the limits given; CAP_SYS_ADMIN, checked
 * here (GENL_ADMIN_PERM would ask for CAP_NET_ADMIN).  Limits apply to
 * later requests only.
 * Errors: EPERM, EINVAL (no limit given, wrong type, out of range; extack
 * names the attribute).
 */
static int iobmd_nl_set_limits(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct iobmd_limits l;
	u64 handles, capacity;

	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "changing limits needs CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (!a[IOBMD_A_LIMIT_TASK_BYTES] && !a[IOBMD_A_LIMIT_TASK_DESCS] &&
	    !a[IOBMD_A_LIMIT_TOTAL_BYTES] && !a[IOBMD_A_LIMIT_TOTAL_DESCS] &&
	    !a[IOBMD_A_LIMIT_MAX_CAPACITY] && !a[IOBMD_A_LIMIT_USER_BYTES] &&
	    !a[IOBMD_A_LIMIT_USER_DESCS] && !a[IOBMD_A_LIMIT_USER_ZONE_DMA]) {
		NL_SET_ERR_MSG(info->extack, "no limit given");
		return -EINVAL;
	}
	BUILD_BUG_ON(IOBMD_HANDLE_MAX != 1048575);
	if (a[IOBMD_A_LIMIT_TASK_DESCS] &&
	    (!nla_get_u64(a[IOBMD_A_LIMIT_TASK_DESCS]) ||
	     nla_get_u64(a[IOBMD_A_LIMIT_TASK_DESCS]) > IOBMD_HANDLE_MAX)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[IOBMD_A_LIMIT_TASK_DESCS],
				    "task_descs must be 1 to 1048575");
		return -EINVAL;
	}
	mutex_lock(&iobmd_nl_limits_lock);
	iobmd_limits_get(&l, &handles, &capacity);
	if (a[IOBMD_A_LIMIT_TASK_BYTES])
		l.task_bytes = nla_get_u64(a[IOBMD_A_LIMIT_TASK_BYTES]);
	if (a[IOBMD_A_LIMIT_TOTAL_BYTES])
		l.total_bytes = nla_get_u64(a[IOBMD_A_LIMIT_TOTAL_BYTES]);
	if (a[IOBMD_A_LIMIT_TOTAL_DESCS])
		l.total_descs = nla_get_u64(a[IOBMD_A_LIMIT_TOTAL_DESCS]);
	if (a[IOBMD_A_LIMIT_USER_BYTES])
		l.user_bytes = nla_get_u64(a[IOBMD_A_LIMIT_USER_BYTES]);
	if (a[IOBMD_A_LIMIT_USER_DESCS])
		l.user_descs = nla_get_u64(a[IOBMD_A_LIMIT_USER_DESCS]);
	if (a[IOBMD_A_LIMIT_USER_ZONE_DMA])
		l.user_zone_dma = nla_get_u64(a[IOBMD_A_LIMIT_USER_ZONE_DMA]);
	if (a[IOBMD_A_LIMIT_TASK_DESCS])
		handles = nla_get_u64(a[IOBMD_A_LIMIT_TASK_DESCS]);
	if (a[IOBMD_A_LIMIT_MAX_CAPACITY])
		capacity = nla_get_u64(a[IOBMD_A_LIMIT_MAX_CAPACITY]);
	iobmd_limits_set(&l, &handles, &capacity);
	mutex_unlock(&iobmd_nl_limits_lock);
	return 0;
}

static const struct genl_ops iobmd_nl_ops[] = {
	{
		.cmd = IOBMD_CMD_GET_STATS,
		.doit = iobmd_nl_get_stats,
		.policy = iobmd_nl_none_policy,
		.maxattr = IOBMD_A_MAX,
	},
	{
		.cmd = IOBMD_CMD_GET_DESC,
		.start = iobmd_nl_dump_desc_start,
		.dumpit = iobmd_nl_dump_desc,
		.done = iobmd_nl_dump_desc_done,
		.policy = iobmd_nl_none_policy,
		.maxattr = IOBMD_A_MAX,
	},
	{
		.cmd = IOBMD_CMD_GET_LIMITS,
		.doit = iobmd_nl_get_limits,
		.policy = iobmd_nl_none_policy,
		.maxattr = IOBMD_A_MAX,
	},
	{
		.cmd = IOBMD_CMD_SET_LIMITS,
		.doit = iobmd_nl_set_limits,
		.policy = iobmd_nl_limits_policy,
		.maxattr = IOBMD_A_MAX,
	},
};

static const struct genl_multicast_group iobmd_nl_mcgrps[] = {
	{ .name = IOBMD_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_SYS_ADMIN },
};

#ifdef IOBMD_HAVE_GENL_BIND
/*
 * Set when anyone joins the events group, and never cleared: until then no
 * one can listen, and creation and release skip the look for listeners.
 */
bool iobmd_nl_joined;

static int iobmd_nl_bind(int mcgrp)
{
	WRITE_ONCE(iobmd_nl_joined, true);
	return 0;
}
#else
/* Without the family's bind callback: always look for listeners. */
bool iobmd_nl_joined = true;
#endif

struct genl_family iobmd_nl_family = {
	.name = IOBMD_GENL_NAME,
	.version = IOBMD_GENL_VERSION,
	.maxattr = IOBMD_A_MAX,
	.module = THIS_MODULE,
	.ops = iobmd_nl_ops,
	.n_ops = ARRAY_SIZE(iobmd_nl_ops),
	.mcgrps = iobmd_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(iobmd_nl_mcgrps),
	.parallel_ops = true,
#ifdef IOBMD_HAVE_GENL_BIND
	.bind = iobmd_nl_bind,
#endif
};

/**
 * iobmd_nl_send_event() - multicast a descriptor's creation or release
 * @d: the descriptor
 * @create: created, else being freed
 *
 * iobmd_nl_event() calls it when someone listens; a failure to send is not
 * an error.
 */
void iobmd_nl_send_event(struct iobmd_desc *d, bool create)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &iobmd_nl_family, 0,
			  create ? IOBMD_CMD_EVENT_CREATE :
				   IOBMD_CMD_EVENT_RELEASE);
	if (!hdr || iobmd_nl_fill_desc(msg, d, &init_pid_ns, &init_user_ns)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&iobmd_nl_family, msg, 0, 0, GFP_KERNEL);
}

/**
 * iobmd_nl_init() - register the family
 *
 * Return: 0 or a negative errno.
 */
int iobmd_nl_init(void)
{
	return genl_register_family(&iobmd_nl_family);
}

/**
 * iobmd_nl_exit() - unregister the family
 */
void iobmd_nl_exit(void)
{
	genl_unregister_family(&iobmd_nl_family);
}

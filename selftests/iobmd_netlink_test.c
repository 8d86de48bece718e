// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd's generic netlink family (uapi/iobmd_netlink.h), spoken through
 * libnl-genl-3: GET_STATS counters move exactly with what each test
 * creates, the GET_DESC dump lists exactly the test's descriptors with
 * every field right, create and release events arrive on the "events"
 * group, an unprivileged caller (or one with CAP_NET_ADMIN but without
 * CAP_SYS_ADMIN) sees only its own descriptors and can neither change
 * limits nor join the group, malformed requests are refused with the
 * right errno and an extended-ack message, and each limit refuses the
 * first creation beyond it with its own errno.
 *
 * Runs as root, alone (the counters are the module's, not the test's);
 * every test that changes a limit restores all of them, and so does the
 * fixture's teardown.
 */
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <sys/socket.h>

#include "iobmd_utils.h"
#include "iobmd_netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* --- a small libnl client ------------------------------------------- */

struct nlt {
	struct nl_sock *sk;
	int family;
	int group;
	char extack[256];	/* the last failed request's message */
};

/* Every attribute of one message; @len[type] is 0 when it is absent. */
struct nlt_attrs {
	__u64 v[IOBMD_A_MAX + 1];
	__u32 len[IOBMD_A_MAX + 1];
};

#define NLT(a, name)	((a)->v[IOBMD_A_##name])

struct nlt_req {
	int err;		/* 1: waiting; 0: done; < 0: -errno */
	__u8 cmd;		/* answers of this command are parsed */
	struct nlt_attrs *out;	/* one per answer ... */
	int room;		/* ... up to this many */
	int count;		/* answers parsed */
	char *extack;
};

static void nlt_take_extack(const void *tlvs, int len, char *out)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};

	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)tlvs,
				  len, NULL) < 0 || !tb[NLMSGERR_ATTR_MSG])
		return;
	snprintf(out, 256, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
		 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
}

static void nlt_parse_attrs(struct nlattr **tb, struct nlt_attrs *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i <= IOBMD_A_MAX; i++) {
		if (!tb[i])
			continue;
		a->len[i] = nla_len(tb[i]);
		if (a->len[i] == 8)
			a->v[i] = nla_get_u64(tb[i]);
		else if (a->len[i] == 4)
			a->v[i] = nla_get_u32(tb[i]);
	}
}

static int nlt_on_valid(struct nl_msg *msg, void *arg)
{
	struct nlt_req *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct nlattr *tb[IOBMD_A_MAX + 1];

	if (gnlh->cmd != r->cmd || !r->out)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, IOBMD_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (r->count < r->room)
		nlt_parse_attrs(tb, &r->out[r->count]);
	r->count++;
	return NL_OK;
}

static int nlt_on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlt_req *r = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e), total = nlh->nlmsg_len - NLMSG_HDRLEN;

	r->err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS && off < total)
		nlt_take_extack((char *)e + off, total - off, r->extack);
	return NL_STOP;
}

static int nlt_on_ack(struct nl_msg *msg, void *arg)
{
	((struct nlt_req *)arg)->err = 0;
	return NL_STOP;
}

static int nlt_on_finish(struct nl_msg *msg, void *arg)
{
	struct nlt_req *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int error = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&error, nlmsg_data(nlh), sizeof(int));
	r->err = error < 0 ? error : 0;
	return NL_STOP;
}

/* A connected socket that reports extended acks; 0 or -errno. */
static int nlt_socket(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1;

	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk) < 0 ||
	    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)) ||
	    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		       sizeof(one))) {
		nl_socket_free(sk);
		return -EIO;
	}
	nl_socket_enable_msg_peek(sk);
	*out = sk;
	return 0;
}

/* Resolves the family and its group; 0 or -errno. */
static int nlt_open(struct nlt *nl)
{
	int ret;

	memset(nl, 0, sizeof(*nl));
	ret = nlt_socket(&nl->sk);
	if (ret)
		return ret;
	nl->family = genl_ctrl_resolve(nl->sk, IOBMD_GENL_NAME);
	if (nl->family < 0)
		return -ENOENT;
	nl->group = genl_ctrl_resolve_grp(nl->sk, IOBMD_GENL_NAME,
					  IOBMD_GENL_MCGRP_EVENTS);
	return nl->group < 0 ? -ENOENT : 0;
}

static void nlt_close(struct nlt *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/* A request of the family; NULL when out of memory. */
static struct nl_msg *nlt_msg(const struct nlt *nl, __u8 cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, IOBMD_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/*
 * Sends @msg (and frees it), parses up to @room answers of command @cmd
 * into @out and returns how many came, or -errno (@nl->extack then holds
 * the module's message, if any).
 */
static int nlt_transact(struct nlt *nl, struct nl_msg *msg, __u8 cmd,
			struct nlt_attrs *out, int room)
{
	struct nlt_req r = {
		.err = 1, .cmd = cmd, .out = out, .room = room,
		.extack = nl->extack,
	};
	struct nl_cb *cb;
	int ret;

	nl->extack[0] = 0;
	if (!msg)
		return -ENOMEM;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nlt_on_valid, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, nlt_on_ack, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, nlt_on_finish, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, nlt_on_error, &r);
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (ret >= 0 && r.err > 0)
		ret = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (r.err > 0)
		return -EIO;
	return r.err ? r.err : r.count;
}

static int nlt_get(struct nlt *nl, __u8 cmd, struct nlt_attrs *a)
{
	int ret = nlt_transact(nl, nlt_msg(nl, cmd, 0), cmd, a, 1);

	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

static int nlt_get_stats(struct nlt *nl, struct nlt_attrs *a)
{
	return nlt_get(nl, IOBMD_CMD_GET_STATS, a);
}

static int nlt_get_limits(struct nlt *nl, struct nlt_attrs *a)
{
	return nlt_get(nl, IOBMD_CMD_GET_LIMITS, a);
}

/* Every descriptor the caller may see, in order; count or -errno. */
static int nlt_dump(struct nlt *nl, struct nlt_attrs *out, int room)
{
	return nlt_transact(nl, nlt_msg(nl, IOBMD_CMD_GET_DESC, NLM_F_DUMP),
			    IOBMD_CMD_GET_DESC, out, room);
}

/* SET_LIMITS with one u64 attribute; 0 or -errno. */
static int nlt_set_limit(struct nlt *nl, int type, __u64 value)
{
	struct nl_msg *msg = nlt_msg(nl, IOBMD_CMD_SET_LIMITS, 0);

	if (msg && nla_put_u64(msg, type, value) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return nlt_transact(nl, msg, IOBMD_CMD_SET_LIMITS, NULL, 0);
}

static const int nlt_limit_types[] = {
	IOBMD_A_LIMIT_TASK_BYTES, IOBMD_A_LIMIT_TASK_DESCS,
	IOBMD_A_LIMIT_TOTAL_BYTES, IOBMD_A_LIMIT_TOTAL_DESCS,
	IOBMD_A_LIMIT_MAX_CAPACITY,
};

/* SET_LIMITS with every limit of @l, in one request. */
static int nlt_set_limits(struct nlt *nl, const struct nlt_attrs *l)
{
	struct nl_msg *msg = nlt_msg(nl, IOBMD_CMD_SET_LIMITS, 0);
	unsigned int i;

	for (i = 0; msg && i < ARRAY_SIZE(nlt_limit_types); i++) {
		if (nla_put_u64(msg, nlt_limit_types[i],
				l->v[nlt_limit_types[i]]) < 0) {
			nlmsg_free(msg);
			msg = NULL;
		}
	}
	return nlt_transact(nl, msg, IOBMD_CMD_SET_LIMITS, NULL, 0);
}

/* A socket in the events group; 0 or -errno (EPERM when not allowed). */
static int nlt_subscribe(const struct nlt *nl, struct nl_sock **out)
{
	struct nl_sock *ev;
	int ret = nlt_socket(&ev);

	if (ret)
		return ret;
	nl_socket_disable_seq_check(ev);
	if (setsockopt(nl_socket_get_fd(ev), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &nl->group, sizeof(nl->group))) {
		ret = -errno;
		nl_socket_free(ev);
		return ret;
	}
	*out = ev;
	return 0;
}

/*
 * The next event within @timeout_ms: its command (IOBMD_CMD_EVENT_*) with
 * its attributes in @a, 0 when none came, or -errno.
 */
static int nlt_next_event(const struct nlt *nl, struct nl_sock *ev,
			  int timeout_ms, struct nlt_attrs *a)
{
	static char buf[16384] __attribute__((aligned(8)));
	struct pollfd pfd = { .fd = nl_socket_get_fd(ev), .events = POLLIN };
	struct nlattr *tb[IOBMD_A_MAX + 1];
	struct nlmsghdr *nlh;
	int len;

	for (;;) {
		int ret = poll(&pfd, 1, timeout_ms);

		if (ret < 0)
			return -errno;
		if (ret == 0)
			return 0;
		len = recv(pfd.fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			struct genlmsghdr *gnlh = nlmsg_data(nlh);

			if (nlh->nlmsg_type != nl->family ||
			    genlmsg_parse(nlh, 0, tb, IOBMD_A_MAX, NULL) < 0)
				continue;
			nlt_parse_attrs(tb, a);
			return gnlh->cmd;
		}
	}
}

/* --- a dump read datagram by datagram ------------------------------- */

/*
 * Each datagram of a dump is one round of the module's dump callback: a
 * raw socket shows where the rounds end, which libnl hides.
 */

/* One descriptor of a dump. */
struct rd_entry {
	__u64 id;
	__u64 length;
	__u32 pid;
	__u32 kind;
	int datagram;		/* which one it came in, from 0 */
};

struct rd {
	int sock;
	struct rd_entry *e;	/* malloc()ed, grows */
	int n, room;
	int datagrams;		/* read so far */
	bool done;		/* NLMSG_DONE came */
};

/* Starts a dump of the family's descriptors; 0 or -errno. */
static int rd_start(struct rd *r, int family)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
	} req = {
		.h = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = family,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.g = { .cmd = IOBMD_CMD_GET_DESC, .version = IOBMD_GENL_VERSION },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(r, 0, sizeof(*r));
	r->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (r->sock < 0)
		return -errno;
	if (sendto(r->sock, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != sizeof(req))
		return -errno;
	return 0;
}

static int rd_add(struct rd *r, struct nlmsghdr *nlh)
{
	struct nlattr *tb[IOBMD_A_MAX + 1];
	struct nlt_attrs a;
	struct rd_entry *e;

	if (genlmsg_parse(nlh, 0, tb, IOBMD_A_MAX, NULL) < 0)
		return -EBADMSG;
	nlt_parse_attrs(tb, &a);
	if (r->n == r->room) {
		r->room = r->room ? 2 * r->room : 4096;
		e = realloc(r->e, r->room * sizeof(*e));
		if (!e)
			return -ENOMEM;
		r->e = e;
	}
	r->e[r->n++] = (struct rd_entry){
		.id = NLT(&a, DESC_ID), .length = NLT(&a, DESC_LENGTH),
		.pid = NLT(&a, DESC_PID), .kind = NLT(&a, DESC_KIND),
		.datagram = r->datagrams,
	};
	return 0;
}

/* Reads the next datagram of the dump; 0 or -errno (the dump's own). */
static int rd_next(struct rd *r)
{
	static char buf[65536] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	int len, ret;

	len = recv(r->sock, buf, sizeof(buf), MSG_TRUNC);
	if (len < 0)
		return -errno;
	if (len > (int)sizeof(buf))
		return -EMSGSIZE;
	for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, len);
	     nlh = nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type == NLMSG_DONE) {
			r->done = true;
			break;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)nlmsg_data(nlh))->error ?: -EIO;
		ret = rd_add(r, nlh);
		if (ret)
			return ret;
	}
	r->datagrams++;
	return 0;
}

/* Reads the rest of the dump; 0 or -errno. */
static int rd_finish(struct rd *r)
{
	int ret = 0;

	while (!r->done && !ret)
		ret = rd_next(r);
	return ret;
}

static void rd_close(struct rd *r)
{
	if (r->sock >= 0)
		close(r->sock);
	free(r->e);
	r->sock = -1;
	r->e = NULL;
}

/* A whole dump; 0 or -errno. */
static int rd_dump(struct rd *r, int family)
{
	return rd_start(r, family) ?: rd_finish(r);
}

/* A number the module shows in debugfs's iobmd/@name, or ~0 without it. */
static __u64 debugfs_u64(const char *name)
{
	unsigned long long v = ~0ULL;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/iobmd/%s", name);
	f = fopen(path, "r");
	if (!f)
		return ~0ULL;
	if (fscanf(f, "%llu", &v) != 1)
		v = ~0ULL;
	fclose(f);
	return v;
}

/* Descriptors the module's dumps have looked at since it was loaded. */
static __u64 dump_steps(void)
{
	return debugfs_u64("dump_steps");
}

/*
 * Privileged dumps holding a cursor in the registry, once it is @want:
 * a closed socket's dump ends as it closes, or soon after.
 */
static __u64 dump_cursors(__u64 want)
{
	__u64 v = debugfs_u64("dump_cursors");
	int i;

	for (i = 0; i < 100 && v != want && v != ~0ULL; i++) {
		usleep(10000);
		v = debugfs_u64("dump_cursors");
	}
	return v;
}

/* --- helpers of the tests -------------------------------------------- */

/* The dump's entry for descriptor @id, or NULL. */
static const struct nlt_attrs *find_desc(const struct nlt_attrs *d, int n,
					 __u64 id)
{
	int i;

	for (i = 0; i < n; i++)
		if (NLT(&d[i], DESC_ID) == id)
			return &d[i];
	return NULL;
}

/* How many entries of the dump process @pid created. */
static int count_pid(const struct nlt_attrs *d, int n, pid_t pid)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += NLT(&d[i], DESC_PID) == (__u64)pid;
	return c;
}

/* The id of the newest descriptor @pid created, from a dump; 0 if none. */
static __u64 newest_of(struct nlt *nl, pid_t pid)
{
	static struct nlt_attrs d[512];
	int n = nlt_dump(nl, d, ARRAY_SIZE(d)), i;
	__u64 id = 0;

	for (i = 0; i < n && i < (int)ARRAY_SIZE(d); i++)
		if (NLT(&d[i], DESC_PID) == (__u64)pid)
			id = NLT(&d[i], DESC_ID);
	return id;
}

/* Stats attributes, in order, for comparing two snapshots. */
static const struct {
	int type;
	const char *name;
} stat_attrs[] = {
	{ IOBMD_A_STATS_BUFFERS, "buffers" },
	{ IOBMD_A_STATS_GENERALS, "generals" },
	{ IOBMD_A_STATS_SUBS, "subs" },
	{ IOBMD_A_STATS_MULTIS, "multis" },
	{ IOBMD_A_STATS_INTERLEAVEDS, "interleaveds" },
	{ IOBMD_A_STATS_DEVICES, "devices" },
	{ IOBMD_A_STATS_BYTES_ZONE_DMA, "bytes_zone_dma" },
	{ IOBMD_A_STATS_BYTES_ZONE_DMA32, "bytes_zone_dma32" },
	{ IOBMD_A_STATS_BYTES_ZONE_NORMAL, "bytes_zone_normal" },
	{ IOBMD_A_STATS_BYTES_COHERENT, "bytes_coherent" },
	{ IOBMD_A_STATS_BYTES_PINNED, "bytes_pinned" },
	{ IOBMD_A_STATS_BYTES_DEVICE, "bytes_device" },
	{ IOBMD_A_STATS_MAPPINGS, "mappings" },
	{ IOBMD_A_STATS_PREPARES, "prepares" },
	{ IOBMD_A_STATS_ALLOC_FAILURES, "alloc_failures" },
};

/*
 * Checks that every counter of @after is that of @before plus @delta
 * (indexed by attribute type; absent means 0).
 */
static void check_stats_delta(struct __test_metadata *_metadata,
			      const struct nlt_attrs *before,
			      const struct nlt_attrs *after,
			      const __s64 *delta)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(stat_attrs); i++) {
		int t = stat_attrs[i].type;

		EXPECT_EQ(before->v[t] + delta[t], after->v[t])
			TH_LOG("%s: %llu before, %llu after, expected %+lld",
			       stat_attrs[i].name, before->v[t], after->v[t],
			       (long long)delta[t]);
	}
}

/* Limits from sysfs (the module parameters behind them), for comparison. */
static __u64 param(const char *name)
{
	char path[128];
	unsigned long long v = ~0ULL;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/iobmd/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return ~0ULL;
	if (fscanf(f, "%llu", &v) != 1)
		v = ~0ULL;
	fclose(f);
	return v;
}

/* --- the fixture ----------------------------------------------------- */

FIXTURE(iobmd_nl)
{
	int fd;
	struct nlt nl;
	struct nlt_attrs limits;	/* as found; restored at the end */
	bool saved;
};

FIXTURE_SETUP(iobmd_nl)
{
	self->saved = false;
	self->nl.sk = NULL;
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, nlt_open(&self->nl))
		TH_LOG("generic netlink family '%s' does not resolve",
		       IOBMD_GENL_NAME);
	ASSERT_EQ(0, nlt_get_limits(&self->nl, &self->limits));
	self->saved = true;
}

/*
 * Run by the harness outside the test's body, also after a failed
 * ASSERT_*() (a FIXTURE_TEARDOWN() is skipped then at -O2), so the limits
 * are put back whatever happened.  It may run in another process than
 * setup's, so it opens a socket of its own and leaves setup's socket and
 * file alone (they close as that process exits).  EXPECT_*() only: after a
 * failed assertion any ASSERT_*() would end the teardown there.
 */
FIXTURE_TEARDOWN_PARENT(iobmd_nl)
{
	struct nlt_attrs now;
	struct nlt nl;

	if (!self->saved)
		return;
	EXPECT_EQ(0, nlt_open(&nl));
	EXPECT_EQ(0, nlt_set_limits(&nl, &self->limits))
		TH_LOG("restoring the limits: %s", nl.extack);
	EXPECT_EQ(0, nlt_get_limits(&nl, &now));
	EXPECT_EQ(0, memcmp(self->limits.v, now.v, sizeof(now.v)));
	nlt_close(&nl);
}

/* Both answers carry every attribute, u64 each; limits are the params. */
TEST_F(iobmd_nl, answers_complete)
{
	struct nlt_attrs s, l;
	unsigned int i;

	ASSERT_LT(0, self->nl.family);
	ASSERT_LT(0, self->nl.group);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &s));
	for (i = 0; i < ARRAY_SIZE(stat_attrs); i++)
		EXPECT_EQ(8, s.len[stat_attrs[i].type])
			TH_LOG("stats attribute %d", stat_attrs[i].type);
	ASSERT_EQ(0, nlt_get_limits(&self->nl, &l));
	for (i = 0; i < ARRAY_SIZE(nlt_limit_types); i++)
		EXPECT_EQ(8, l.len[nlt_limit_types[i]]);
	EXPECT_EQ(param("task_bytes"), NLT(&l, LIMIT_TASK_BYTES));
	EXPECT_EQ(param("max_handles"), NLT(&l, LIMIT_TASK_DESCS));
	EXPECT_EQ(param("total_bytes"), NLT(&l, LIMIT_TOTAL_BYTES));
	EXPECT_EQ(param("total_descs"), NLT(&l, LIMIT_TOTAL_DESCS));
	EXPECT_EQ(param("max_capacity"), NLT(&l, LIMIT_MAX_CAPACITY));
}

/*
 * Buffers by backing: a 32-bit-masked buffer's pages are in ZONE_DMA32
 * (ZONE_DMA where ZONE_DMA32 is empty: arm64 on QEMU's virt), an
 * unmasked one's above it (the VM has RAM above 4 GiB), a contiguous one's
 * bytes are coherent memory; releasing them gives every byte back.
 */
TEST_F(iobmd_nl, stats_buffers)
{
	struct nlt_attrs before, after, end;
	__s64 delta[IOBMD_A_MAX + 1] = {};
	__u32 masked, plain, contig;

	ASSERT_EQ(0, nlt_get_stats(&self->nl, &before));
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, SZ_1M,
				   0x00000000FFFFF000ULL, &masked);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_1M, 0, &plain);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, SZ_64K, 0,
			      &contig);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &after));

	delta[IOBMD_A_STATS_BUFFERS] = 3;
	delta[iobmd_zone_dma32_present() ? IOBMD_A_STATS_BYTES_ZONE_DMA32 :
	      IOBMD_A_STATS_BYTES_ZONE_DMA] = SZ_1M;
	delta[IOBMD_A_STATS_BYTES_ZONE_NORMAL] = SZ_1M;
	delta[IOBMD_A_STATS_BYTES_COHERENT] = SZ_64K;
	check_stats_delta(_metadata, &before, &after, delta);

	test_ioctl_release(masked);
	test_ioctl_release(plain);
	test_ioctl_release(contig);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &end));
	memset(delta, 0, sizeof(delta));
	check_stats_delta(_metadata, &before, &end, delta);
}

/*
 * Every kind counts as itself; device bytes, pinned bytes (a prepared
 * general descriptor over three pages), prepared descriptors (a prepare
 * nested twice counts once) and mappings move with them.
 */
TEST_F(iobmd_nl, stats_kinds)
{
	struct nlt_attrs before, made, prepared, mapped, end;
	__s64 delta[IOBMD_A_MAX + 1] = {};
	__u32 buf, buf2, general, sub, multi, inter, dev, pieces[2];
	__u8 *area = iobmd_user_area(4, 1);
	void *map;

	ASSERT_NE(NULL, area);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &before));
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &buf);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &buf2);
	/* Two pages' worth of bytes that touch three pages. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area + 100,
				 2 * PAGE_SIZE, &general);
	test_ioctl_sub_create(buf, IOBMD_DIRECTION_INOUT, PAGE_SIZE,
			      PAGE_SIZE, &sub);
	pieces[0] = buf;
	pieces[1] = buf2;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &multi);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &inter);
	test_ioctl_interleaved_set(inter, buf2, 0, PAGE_SIZE);
	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, SZ_64K, &dev);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &made));
	delta[IOBMD_A_STATS_BUFFERS] = 2;
	delta[IOBMD_A_STATS_GENERALS] = 1;
	delta[IOBMD_A_STATS_SUBS] = 1;
	delta[IOBMD_A_STATS_MULTIS] = 1;
	delta[IOBMD_A_STATS_INTERLEAVEDS] = 1;
	delta[IOBMD_A_STATS_DEVICES] = 1;
	delta[IOBMD_A_STATS_BYTES_ZONE_NORMAL] = 6 * PAGE_SIZE;
	delta[IOBMD_A_STATS_BYTES_DEVICE] = SZ_64K;
	check_stats_delta(_metadata, &before, &made, delta);

	test_ioctl_prepare(general, IOBMD_DIRECTION_NONE);
	test_ioctl_prepare(general, IOBMD_DIRECTION_NONE);
	test_ioctl_prepare(buf2, IOBMD_DIRECTION_NONE);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &prepared));
	delta[IOBMD_A_STATS_BYTES_PINNED] = 3 * PAGE_SIZE;
	delta[IOBMD_A_STATS_PREPARES] = 2;
	check_stats_delta(_metadata, &before, &prepared, delta);

	test_map_rw(buf, 0, 0, 4 * PAGE_SIZE, &map);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &mapped));
	delta[IOBMD_A_STATS_MAPPINGS] = 1;
	check_stats_delta(_metadata, &before, &mapped, delta);

	ASSERT_EQ(0, munmap(map, 4 * PAGE_SIZE));
	test_ioctl_complete(general, IOBMD_DIRECTION_NONE);
	test_ioctl_complete(general, IOBMD_DIRECTION_NONE);
	test_ioctl_complete(buf2, IOBMD_DIRECTION_NONE);
	test_ioctl_release(dev);
	test_ioctl_release(inter);
	test_ioctl_release(multi);
	test_ioctl_release(sub);
	test_ioctl_release(general);
	test_ioctl_release(buf2);
	test_ioctl_release(buf);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &end));
	memset(delta, 0, sizeof(delta));
	check_stats_delta(_metadata, &before, &end, delta);
	munmap(area, 4 * PAGE_SIZE);
}

/* Checks one dump entry against what the test made. */
#define check_desc(e, kind, length, capacity, mask, options, prepares, maps)  \
	({                                                                    \
		ASSERT_NE(NULL, e);                                           \
		EXPECT_EQ((__u64)getpid(), NLT(e, DESC_PID));                 \
		EXPECT_EQ(0, NLT(e, DESC_UID));                               \
		EXPECT_EQ(kind, NLT(e, DESC_KIND));                           \
		EXPECT_EQ((__u64)(length), NLT(e, DESC_LENGTH));              \
		EXPECT_EQ((__u64)(capacity), NLT(e, DESC_CAPACITY));          \
		EXPECT_EQ((__u64)(mask), NLT(e, DESC_MASK));                  \
		EXPECT_EQ((__u64)(options), NLT(e, DESC_OPTIONS));            \
		EXPECT_EQ((__u64)(prepares), NLT(e, DESC_PREPARES));          \
		EXPECT_EQ((__u64)(maps), NLT(e, DESC_MAPS));                  \
	})

/*
 * The dump lists exactly the descriptors this test made, each with its
 * creator, kind, length, capacity, mask, options (the derived ones: a
 * 64 KiB-aligned mask implies contiguous), prepare nesting and mappings.
 */
TEST_F(iobmd_nl, dump_fields)
{
	static struct nlt_attrs d[64];
	static const char bytes[100] = "withBytes";
	__u32 masked, aligned, contig, withb, sub, general;
	__u64 id_masked, id_aligned, id_contig, id_withb, id_sub, id_general;
	__u8 *area = iobmd_user_area(2, 2);
	__u64 len;
	void *map;
	int n;

	ASSERT_NE(NULL, area);
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_IN, SZ_1M,
				   0x00000000FFFFF000ULL, &masked);
	id_masked = newest_of(&self->nl, getpid());
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_OUT, SZ_64K,
				   0x00000000FFFF0000ULL, &aligned);
	id_aligned = newest_of(&self->nl, getpid());
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 3 * PAGE_SIZE, 0,
			      &contig);
	id_contig = newest_of(&self->nl, getpid());
	test_ioctl_buf_create_bytes(IOBMD_DIRECTION_OUT, bytes, sizeof(bytes),
				    &withb);
	id_withb = newest_of(&self->nl, getpid());
	test_ioctl_sub_create(masked, IOBMD_DIRECTION_IN, 4096, 8192, &sub);
	id_sub = newest_of(&self->nl, getpid());
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area, 2 * PAGE_SIZE,
				 &general);
	id_general = newest_of(&self->nl, getpid());
	/* Six different, increasing ids. */
	ASSERT_LT(0, id_masked);
	ASSERT_LT(id_masked, id_aligned);
	ASSERT_LT(id_aligned, id_contig);
	ASSERT_LT(id_contig, id_withb);
	ASSERT_LT(id_withb, id_sub);
	ASSERT_LT(id_sub, id_general);

	test_ioctl_set_length(masked, 1000, &len);
	test_ioctl_prepare(general, IOBMD_DIRECTION_NONE);
	test_ioctl_prepare(general, IOBMD_DIRECTION_NONE);
	test_map_rw(contig, 0, 0, 3 * PAGE_SIZE, &map);

	n = nlt_dump(&self->nl, d, ARRAY_SIZE(d));
	ASSERT_LE(6, n);
	ASSERT_GE(ARRAY_SIZE(d), n);
	EXPECT_EQ(6, count_pid(d, n, getpid()));
	check_desc(find_desc(d, n, id_masked), IOBMD_KIND_BUFFER, 1000, SZ_1M,
		   0x00000000FFFFF000ULL, 0, 0, 0);
	check_desc(find_desc(d, n, id_aligned), IOBMD_KIND_BUFFER, SZ_64K,
		   SZ_64K, 0x00000000FFFF0000ULL,
		   IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 0, 0);
	check_desc(find_desc(d, n, id_contig), IOBMD_KIND_BUFFER,
		   3 * PAGE_SIZE, 3 * PAGE_SIZE, 0,
		   IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 0, 1);
	check_desc(find_desc(d, n, id_withb), IOBMD_KIND_BUFFER, sizeof(bytes),
		   sizeof(bytes), 0, 0, 0, 0);
	check_desc(find_desc(d, n, id_sub), IOBMD_KIND_SUB, 8192, 8192, 0, 0,
		   0, 0);
	check_desc(find_desc(d, n, id_general), IOBMD_KIND_GENERAL,
		   2 * PAGE_SIZE, 2 * PAGE_SIZE, 0, 0, 2, 0);

	ASSERT_EQ(0, munmap(map, 3 * PAGE_SIZE));
	test_ioctl_complete(general, IOBMD_DIRECTION_NONE);
	test_ioctl_complete(general, IOBMD_DIRECTION_NONE);
	test_ioctl_release(general);
	test_ioctl_release(sub);
	test_ioctl_release(withb);
	test_ioctl_release(contig);
	test_ioctl_release(aligned);
	test_ioctl_release(masked);
	n = nlt_dump(&self->nl, d, ARRAY_SIZE(d));
	ASSERT_LE(0, n);
	EXPECT_EQ(0, count_pid(d, n, getpid()));
	munmap(area, 2 * PAGE_SIZE);
}

/*
 * More descriptors than one message of the dump holds: each comes exactly
 * once, in creation order.
 */
TEST_F(iobmd_nl, dump_many)
{
	enum { N = 300 };
	static struct nlt_attrs d[N + 64];
	__u32 parent, subs[N];
	__u64 last = 0;
	int i, n, mine = 0;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &parent);
	for (i = 0; i < N; i++)
		test_ioctl_sub_create(parent, IOBMD_DIRECTION_INOUT, 0, i + 1,
				      &subs[i]);
	n = nlt_dump(&self->nl, d, ARRAY_SIZE(d));
	ASSERT_LE(N + 1, n);
	ASSERT_GE(ARRAY_SIZE(d), n);
	for (i = 0; i < n; i++) {
		/* Ids strictly increase: nothing repeats, nothing is skipped
		 * between messages. */
		EXPECT_LT(last, NLT(&d[i], DESC_ID));
		last = NLT(&d[i], DESC_ID);
		if (NLT(&d[i], DESC_PID) != (__u64)getpid())
			continue;
		if (mine)
			EXPECT_EQ((__u64)mine, NLT(&d[i], DESC_LENGTH));
		mine++;
	}
	EXPECT_EQ(N + 1, mine);
	for (i = 0; i < N; i++)
		test_ioctl_release(subs[i]);
	test_ioctl_release(parent);
}

/* What a child that is not privileged finds; 0 or the failed step. */
struct unpriv_arg {
	int nl_family;
	bool drop_root;		/* uid 65534; else only CAP_SYS_ADMIN dropped */
};

static int unprivileged_child(void *p)
{
	struct unpriv_arg *arg = p;
	static struct nlt_attrs d[64];
	struct nlt_attrs s, l;
	struct nl_sock *ev;
	struct nlt nl;
	__u32 h1, h2;
	int fd, n, i, ret;
	uid_t uid = arg->drop_root ? 65534 : 0;

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (fd < 0)
		return 1;
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				   0, NULL, 0, &h1))
		return 2;
	if (arg->drop_root ? iobmd_drop_root() : iobmd_drop_cap(CAP_SYS_ADMIN))
		return 3;
	/* Made after the drop: recorded with the uid it has now. */
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE,
				   0, 0, NULL, 0, &h2))
		return 4;
	if (nlt_open(&nl) || nl.family != arg->nl_family)
		return 5;

	/* Only this process's two descriptors. */
	n = nlt_dump(&nl, d, ARRAY_SIZE(d));
	if (n != 2)
		return fprintf(stderr, "dump: %d entries\n", n), 6;
	for (i = 0; i < 2; i++) {
		if (NLT(&d[i], DESC_PID) != (__u64)getpid() ||
		    NLT(&d[i], DESC_LENGTH) != (i + 1) * PAGE_SIZE)
			return 7;
	}
	if (NLT(&d[0], DESC_UID) != 0 || NLT(&d[1], DESC_UID) != uid)
		return 8;

	/*
	 * Reading is for everyone: its user's figures (uid 65534 has h2
	 * only), not the module's, which tell what other users hold.
	 */
	if (nlt_get_stats(&nl, &s) || s.len[IOBMD_A_STATS_BUFFERS] ||
	    !s.len[IOBMD_A_STATS_USER_DESCS] ||
	    (arg->drop_root && (NLT(&s, STATS_USER_DESCS) != 1 ||
				NLT(&s, STATS_USER_BYTES) != 2 * PAGE_SIZE)) ||
	    nlt_get_limits(&nl, &l))
		return 9;

	/* Changing limits is not, and nothing changes. */
	ret = nlt_set_limit(&nl, IOBMD_A_LIMIT_TOTAL_DESCS, 1);
	if (ret != -EPERM)
		return fprintf(stderr, "SET_LIMITS: %d\n", ret), 10;
	if (nlt_get_limits(&nl, &s) || NLT(&s, LIMIT_TOTAL_DESCS) !=
	    NLT(&l, LIMIT_TOTAL_DESCS))
		return 11;

	/* Nor is listening to events. */
	ret = nlt_subscribe(&nl, &ev);
	if (ret != -EPERM)
		return fprintf(stderr, "joining events: %d\n", ret), 12;
	nlt_close(&nl);
	close(fd);
	return 0;
}

/* uid 65534: own descriptors only, no SET_LIMITS, no events. */
TEST_F(iobmd_nl, unprivileged)
{
	struct unpriv_arg arg = { self->nl.family, true };
	__u32 mine;

	/* The child must not see this one. */
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE, 0, &mine);
	EXPECT_EQ(0, iobmd_run_child(unprivileged_child, &arg));
	test_ioctl_release(mine);
}

/* The privilege is CAP_SYS_ADMIN: CAP_NET_ADMIN alone is not enough. */
TEST_F(iobmd_nl, net_admin_is_not_enough)
{
	struct unpriv_arg arg = { self->nl.family, false };
	__u32 mine;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE, 0, &mine);
	EXPECT_EQ(0, iobmd_run_child(unprivileged_child, &arg));
	test_ioctl_release(mine);
}

/* The next event, which must be @cmd about a descriptor of this process
 * of @kind and @length; its attributes. */
#define test_next_event(ev, cmd, kind, length)                                 \
	({                                                                     \
		struct nlt_attrs __e;                                          \
		ASSERT_EQ(cmd, nlt_next_event(&self->nl, ev, 5000, &__e));     \
		EXPECT_EQ(kind, NLT(&__e, DESC_KIND));                         \
		EXPECT_EQ((__u64)(length), NLT(&__e, DESC_LENGTH));            \
		EXPECT_EQ((__u64)getpid(), NLT(&__e, DESC_PID));               \
		EXPECT_EQ(0, NLT(&__e, DESC_UID));                             \
		__e;                                                           \
	})

/*
 * A create event for each descriptor as it is made and a release event as
 * it goes: a sub-range holds its parent, so releasing the parent's handle
 * sends nothing, and releasing the sub-range sends both, sub first.
 */
TEST_F(iobmd_nl, events)
{
	struct nl_sock *ev;
	struct nlt_attrs e, extra;
	__u32 buf, sub;
	__u64 id_buf, id_sub;

	ASSERT_EQ(0, nlt_subscribe(&self->nl, &ev));
	/* Nothing is pending. */
	ASSERT_EQ(0, nlt_next_event(&self->nl, ev, 0, &extra));

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE + 1, 0, &buf);
	e = test_next_event(ev, IOBMD_CMD_EVENT_CREATE, IOBMD_KIND_BUFFER,
			    3 * PAGE_SIZE + 1);
	id_buf = NLT(&e, DESC_ID);
	EXPECT_EQ(id_buf, newest_of(&self->nl, getpid()));
	EXPECT_EQ(3 * PAGE_SIZE + 1, NLT(&e, DESC_CAPACITY));
	EXPECT_EQ(0, NLT(&e, DESC_MASK));
	EXPECT_EQ(0, NLT(&e, DESC_OPTIONS));
	EXPECT_EQ(0, NLT(&e, DESC_PREPARES));
	EXPECT_EQ(0, NLT(&e, DESC_MAPS));

	test_ioctl_sub_create(buf, IOBMD_DIRECTION_IN, PAGE_SIZE, PAGE_SIZE,
			      &sub);
	e = test_next_event(ev, IOBMD_CMD_EVENT_CREATE, IOBMD_KIND_SUB,
			    PAGE_SIZE);
	id_sub = NLT(&e, DESC_ID);
	EXPECT_LT(id_buf, id_sub);

	test_ioctl_release(buf);
	ASSERT_EQ(0, nlt_next_event(&self->nl, ev, 200, &extra));
	test_ioctl_release(sub);
	e = test_next_event(ev, IOBMD_CMD_EVENT_RELEASE, IOBMD_KIND_SUB,
			    PAGE_SIZE);
	EXPECT_EQ(id_sub, NLT(&e, DESC_ID));
	e = test_next_event(ev, IOBMD_CMD_EVENT_RELEASE, IOBMD_KIND_BUFFER,
			    3 * PAGE_SIZE + 1);
	EXPECT_EQ(id_buf, NLT(&e, DESC_ID));
	ASSERT_EQ(0, nlt_next_event(&self->nl, ev, 200, &extra));
	nl_socket_free(ev);
}

/* Sends @msg and expects -@_errno with an extended-ack message that
 * contains @text ("": any message, or none). */
#define test_nl_refused(_errno, text, msg)                                     \
	({                                                                     \
		EXPECT_EQ(-(_errno), nlt_transact(&self->nl, msg, 0, NULL, 0)); \
		EXPECT_NE(NULL, strstr(self->nl.extack, text))                 \
			TH_LOG("extack: '%s'", self->nl.extack);               \
	})

/* An attribute the operation does not take, or one of no known type. */
TEST_F(iobmd_nl, malformed_attribute)
{
	const __u8 cmds[] = { IOBMD_CMD_GET_STATS, IOBMD_CMD_GET_LIMITS };
	struct nl_msg *msg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		msg = nlt_msg(&self->nl, cmds[i], 0);
		ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_LIMIT_TASK_BYTES, 1));
		test_nl_refused(EINVAL, "Unsupported attribute", msg);

		msg = nlt_msg(&self->nl, cmds[i], 0);
		ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_MAX + 1, 1));
		test_nl_refused(EINVAL, "Unknown attribute type", msg);
	}
	/* The dump validates its request the same way. */
	msg = nlt_msg(&self->nl, IOBMD_CMD_GET_DESC, NLM_F_DUMP);
	ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_DESC_ID, 1));
	test_nl_refused(EINVAL, "Unsupported attribute", msg);
	/* SET_LIMITS takes limits only. */
	msg = nlt_msg(&self->nl, IOBMD_CMD_SET_LIMITS, 0);
	ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_STATS_BUFFERS, 1));
	test_nl_refused(EINVAL, "Unsupported attribute", msg);
}

/* A u64 limit sent as 4 bytes, or as 12, changes nothing. */
TEST_F(iobmd_nl, malformed_size)
{
	__u32 v32 = 1;
	__u8 v96[12] = { 1 };
	struct nlt_attrs now;
	struct nl_msg *msg;

	msg = nlt_msg(&self->nl, IOBMD_CMD_SET_LIMITS, 0);
	ASSERT_EQ(0, nla_put(msg, IOBMD_A_LIMIT_TOTAL_DESCS, sizeof(v32), &v32));
	test_nl_refused(EINVAL, "invalid attribute length", msg);
	msg = nlt_msg(&self->nl, IOBMD_CMD_SET_LIMITS, 0);
	ASSERT_EQ(0, nla_put(msg, IOBMD_A_LIMIT_TOTAL_DESCS, sizeof(v96), v96));
	test_nl_refused(EINVAL, "invalid attribute length", msg);
	ASSERT_EQ(0, nlt_get_limits(&self->nl, &now));
	EXPECT_EQ(0, memcmp(self->limits.v, now.v, sizeof(now.v)));
}

/* SET_LIMITS needs a limit, and task_descs is 1 to 2^20 - 1; a bad value
 * next to a good one changes nothing. */
TEST_F(iobmd_nl, malformed_limits)
{
	struct nlt_attrs now;
	struct nl_msg *msg;

	msg = nlt_msg(&self->nl, IOBMD_CMD_SET_LIMITS, 0);
	test_nl_refused(EINVAL, "no limit given", msg);

	msg = nlt_msg(&self->nl, IOBMD_CMD_SET_LIMITS, 0);
	ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_LIMIT_TASK_DESCS, 0));
	test_nl_refused(EINVAL, "task_descs", msg);
	msg = nlt_msg(&self->nl, IOBMD_CMD_SET_LIMITS, 0);
	ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_LIMIT_TASK_DESCS, 1 << 20));
	test_nl_refused(EINVAL, "task_descs", msg);
	msg = nlt_msg(&self->nl, IOBMD_CMD_SET_LIMITS, 0);
	ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_LIMIT_TOTAL_DESCS, 7));
	ASSERT_EQ(0, nla_put_u64(msg, IOBMD_A_LIMIT_TASK_DESCS, 0));
	test_nl_refused(EINVAL, "task_descs", msg);
	ASSERT_EQ(0, nlt_get_limits(&self->nl, &now));
	EXPECT_EQ(0, memcmp(self->limits.v, now.v, sizeof(now.v)));

	/* The bounds themselves are fine. */
	EXPECT_EQ(0, nlt_set_limit(&self->nl, IOBMD_A_LIMIT_TASK_DESCS, 1));
	EXPECT_EQ(0, nlt_set_limit(&self->nl, IOBMD_A_LIMIT_TASK_DESCS,
				   (1 << 20) - 1));
	ASSERT_EQ(0, nlt_get_limits(&self->nl, &now));
	EXPECT_EQ((1 << 20) - 1, NLT(&now, LIMIT_TASK_DESCS));
}

/* Commands the family does not have, and do/dump the wrong way round. */
TEST_F(iobmd_nl, malformed_command)
{
	test_nl_refused(EOPNOTSUPP, "", nlt_msg(&self->nl, 99, 0));
	test_nl_refused(EOPNOTSUPP, "", nlt_msg(&self->nl, IOBMD_CMD_UNSPEC, 0));
	test_nl_refused(EOPNOTSUPP, "",
			nlt_msg(&self->nl, IOBMD_CMD_EVENT_CREATE, 0));
	test_nl_refused(EOPNOTSUPP, "",
			nlt_msg(&self->nl, IOBMD_CMD_EVENT_RELEASE, 0));
	test_nl_refused(EOPNOTSUPP, "",
			nlt_msg(&self->nl, IOBMD_CMD_GET_DESC, 0));
	test_nl_refused(EOPNOTSUPP, "",
			nlt_msg(&self->nl, IOBMD_CMD_GET_STATS, NLM_F_DUMP));
}

/* Sets one limit and checks that GET_LIMITS and sysfs show it. */
#define test_set_limit(type, pname, value)                                    \
	({                                                                    \
		struct nlt_attrs __l;                                         \
		ASSERT_EQ(0, nlt_set_limit(&self->nl, type, value))           \
			TH_LOG("%s", self->nl.extack);                        \
		ASSERT_EQ(0, nlt_get_limits(&self->nl, &__l));                \
		EXPECT_EQ((__u64)(value), __l.v[type]);                       \
		EXPECT_EQ((__u64)(value), param(pname));                      \
	})

/* Buffer bytes one open file holds: EDQUOT past them, per file. */
TEST_F(iobmd_nl, limit_task_bytes)
{
	__u32 a, b, c;
	int fd2 = open(IOBMD_DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd2);
	test_set_limit(IOBMD_A_LIMIT_TASK_BYTES, "task_bytes", SZ_1M);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_256K, 0, &a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * SZ_256K, 0, &b);
	test_err_buf_create(EDQUOT, IOBMD_DIRECTION_INOUT, 1, 0);
	/* Another file has its own account. */
	ASSERT_EQ(0, _test_ioctl_buf_create(fd2, 0, IOBMD_DIRECTION_INOUT,
					    SZ_1M, 0, 0, NULL, 0, &c));
	/* Descriptors without memory of their own are not counted. */
	test_ioctl_sub_create(a, IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE, &c);
	test_ioctl_release(c);
	/* Freed bytes count no more. */
	test_ioctl_release(a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_256K, 0, &a);
	test_err_buf_create(EDQUOT, IOBMD_DIRECTION_INOUT, 1, 0);
	test_set_limit(IOBMD_A_LIMIT_TASK_BYTES, "task_bytes", 0);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 1, 0, &c);
	close(fd2);
}

/* Buffer bytes of the whole module: EDQUOT past them, for every file. */
TEST_F(iobmd_nl, limit_total_bytes)
{
	struct nlt_attrs s;
	__u32 a, h = 0;
	__u64 held;
	int fd2 = open(IOBMD_DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &s));
	held = NLT(&s, STATS_BYTES_ZONE_DMA) + NLT(&s, STATS_BYTES_ZONE_DMA32) +
	       NLT(&s, STATS_BYTES_ZONE_NORMAL) + NLT(&s, STATS_BYTES_COHERENT);
	test_set_limit(IOBMD_A_LIMIT_TOTAL_BYTES, "total_bytes", held + SZ_1M);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_1M, 0, &a);
	test_err_buf_create(EDQUOT, IOBMD_DIRECTION_INOUT, 1, 0);
	EXPECT_ERRNO(EDQUOT, _test_ioctl_buf_create(fd2, 0,
						    IOBMD_DIRECTION_INOUT, 1, 0,
						    0, NULL, 0, &h));
	EXPECT_EQ(0, h);
	test_ioctl_release(a);
	ASSERT_EQ(0, _test_ioctl_buf_create(fd2, 0, IOBMD_DIRECTION_INOUT,
					    SZ_1M, 0, 0, NULL, 0, &h));
	test_err_buf_create(EDQUOT, IOBMD_DIRECTION_INOUT, 1, 0);
	close(fd2);
}

/* Descriptors of the whole module, of any kind: ENFILE past them. */
TEST_F(iobmd_nl, limit_total_descs)
{
	struct nlt_attrs s;
	__u32 a, b, h = 0;
	__u64 live;
	int fd2 = open(IOBMD_DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, nlt_get_stats(&self->nl, &s));
	live = NLT(&s, STATS_BUFFERS) + NLT(&s, STATS_GENERALS) +
	       NLT(&s, STATS_SUBS) + NLT(&s, STATS_MULTIS) +
	       NLT(&s, STATS_INTERLEAVEDS) + NLT(&s, STATS_DEVICES);
	test_set_limit(IOBMD_A_LIMIT_TOTAL_DESCS, "total_descs", live + 2);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &a);
	test_ioctl_sub_create(a, IOBMD_DIRECTION_INOUT, 0, 1, &b);
	test_err_buf_create(ENFILE, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0);
	test_err_sub_create(ENFILE, a, IOBMD_DIRECTION_INOUT, 0, 1);
	test_err_interleaved_create(ENFILE, IOBMD_DIRECTION_INOUT, 1);
	EXPECT_ERRNO(ENFILE, _test_ioctl_buf_create(fd2, 0,
						    IOBMD_DIRECTION_INOUT,
						    PAGE_SIZE, 0, 0, NULL, 0,
						    &h));
	test_ioctl_release(b);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &b);
	test_err_buf_create(ENFILE, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0);
	close(fd2);
}

/* Descriptors one open file holds: EMFILE past them, per file. */
TEST_F(iobmd_nl, limit_task_descs)
{
	__u32 h[3], other;
	int fd2 = open(IOBMD_DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd2);
	test_set_limit(IOBMD_A_LIMIT_TASK_DESCS, "max_handles", 3);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[1]);
	test_ioctl_sub_create(h[0], IOBMD_DIRECTION_INOUT, 0, 1, &h[2]);
	test_err_buf_create(EMFILE, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0);
	test_err_sub_create(EMFILE, h[1], IOBMD_DIRECTION_INOUT, 0, 1);
	ASSERT_EQ(0, _test_ioctl_buf_create(fd2, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, 0, 0, NULL, 0, &other));
	test_ioctl_release(h[2]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[2]);
	test_err_buf_create(EMFILE, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0);
	close(fd2);
}

/*
 * A file reserves the handle of its next creation ahead; once max_handles
 * falls below that handle, a creation gets EMFILE while every handle up to
 * the limit is held, and afterwards the one released, never one above it.
 */
TEST_F(iobmd_nl, limit_task_descs_lowered)
{
	__u32 h[3], again;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[2]);
	ASSERT_EQ(3, h[2]);
	test_set_limit(IOBMD_A_LIMIT_TASK_DESCS, "max_handles", 3);
	test_err_buf_create(EMFILE, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0);
	test_ioctl_release(h[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &again);
	EXPECT_EQ(h[1], again);
	test_err_buf_create(EMFILE, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0);
}

/* The largest buffer: E2BIG past it; GET_VERSION reports it too. */
TEST_F(iobmd_nl, limit_max_capacity)
{
	struct iobmd_version ver;
	__u32 a;

	test_set_limit(IOBMD_A_LIMIT_MAX_CAPACITY, "max_capacity", SZ_1M);
	test_ioctl_get_version(&ver);
	EXPECT_EQ(SZ_1M, ver.max_capacity);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_1M, 0, &a);
	test_err_buf_create(E2BIG, IOBMD_DIRECTION_INOUT, SZ_1M + 1, 0);
	test_err_buf_create_mask(E2BIG, IOBMD_DIRECTION_INOUT, SZ_1M + 1,
				 0x00000000FFFFF000ULL);
	test_set_limit(IOBMD_A_LIMIT_MAX_CAPACITY, "max_capacity", 0);
	test_ioctl_get_version(&ver);
	EXPECT_LT(SZ_1M, ver.max_capacity);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_1M + 1, 0, &a);
}

/* --- dumps of many descriptors --------------------------------------- */

/* The length of the @k-th sub-range a test makes: 1 to PAGE_SIZE - 1. */
static __u64 many_length(int k)
{
	return k % (PAGE_SIZE - 1) + 1;
}

/*
 * Opens @nfiles files, makes a one-page buffer in each (@parents) and then
 * @nfiles * @per_file sub-ranges of them, the k-th in file k % @nfiles with
 * length many_length(k); @handles[k] is its handle (may be NULL).
 * 0 or -errno.
 */
static int make_many(int *fds, __u32 *parents, int nfiles, int per_file,
		     __u32 *handles)
{
	int f, k;
	__u32 h;

	for (f = 0; f < nfiles; f++) {
		fds[f] = open(IOBMD_DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fds[f] < 0 ||
		    _test_ioctl_buf_create(fds[f], 0, IOBMD_DIRECTION_INOUT,
					   PAGE_SIZE, 0, 0, NULL, 0,
					   &parents[f]))
			return -errno;
	}
	for (k = 0; k < nfiles * per_file; k++) {
		if (_test_ioctl_sub_create(fds[k % nfiles], parents[k % nfiles],
					   IOBMD_DIRECTION_INOUT, 0,
					   many_length(k), &h))
			return -errno;
		if (handles)
			handles[k] = h;
	}
	return 0;
}

/*
 * The ids of the sub-ranges of this process in dump @r whose length is
 * below a page, in dump order, into @ids (room for @n); how many there
 * were, or -1 when one's length is not many_length() of its rank.
 */
static int many_ids(const struct rd *r, __u64 *ids, int n)
{
	int i, k = 0;

	for (i = 0; i < r->n; i++) {
		if (r->e[i].pid != (__u32)getpid() ||
		    r->e[i].kind != IOBMD_KIND_SUB ||
		    r->e[i].length >= PAGE_SIZE)
			continue;
		if (r->e[i].length != many_length(k))
			return -1;
		if (k < n)
			ids[k] = r->e[i].id;
		k++;
	}
	return k;
}

/* Seconds of CLOCK_MONOTONIC, for the logs. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* How many entries of @r do not have a higher id than the one before. */
static int rd_out_of_order(const struct rd *r)
{
	int i, bad = 0;

	for (i = 1; i < r->n; i++)
		bad += r->e[i].id <= r->e[i - 1].id;
	return bad;
}

#define MANY_FILES	3
#define MANY_PER_FILE	22000	/* 66,000 in all: more than a file holds */
#define MANY		(MANY_FILES * MANY_PER_FILE)

/*
 * What churns while a dump runs: releases the sub-ranges of file
 * MANY_FILES - 1 (every third id of the many) in a scattered order, and
 * makes and releases sub-ranges of a page there.
 */
struct churn {
	int fd;
	__u32 parent;
	const __u32 *victims;	/* handles of the file's sub-ranges */
	int nvictims;
	int stop;
	int rounds;		/* rounds done, read while it runs */
	int released;		/* victims released */
	int err;
};

static void *churn_thread(void *p)
{
	struct churn *c = p;
	__u32 h, prev = 0;
	int i;

	for (i = 0; !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE); i++) {
		if (_test_ioctl_sub_create(c->fd, c->parent,
					   IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE,
					   &h) ||
		    (prev && _test_ioctl_release(c->fd, prev))) {
			c->err = errno;
			break;
		}
		prev = h;
		if (i < c->nvictims) {
			/* 7919 is prime and no divisor of nvictims: each once. */
			if (_test_ioctl_release(c->fd, c->victims[
					(long)i * 7919 % c->nvictims])) {
				c->err = errno;
				break;
			}
			__atomic_store_n(&c->released, i + 1, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&c->rounds, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * 66,000 descriptors of three files, dumped twice: alone, then while a
 * thread releases a third of them (interleaved with the rest) and makes
 * and releases others.  Each dump comes in hundreds of datagrams (rounds
 * of the module's dump callback); ids strictly increase across all of
 * them, so none comes twice; every descriptor that lived throughout comes,
 * with its own length; nothing else of this test's but the released third
 * and the churned ones.  The module's step counter shows that each dump
 * looked at what it sent plus at most one descriptor per round (the one
 * that did not fit): O(n) descriptors in all, where rewalking the registry
 * from the start each round looks at O(n^2 / round).
 */
TEST_F_TIMEOUT(iobmd_nl, dump_many_while_churning, 240)
{
	int fds[MANY_FILES], f, i, k, rounds, datagrams;
	static __u32 handles[MANY], victims[MANY_PER_FILE];
	static __u64 ids[MANY];
	__u32 parents[MANY_FILES];
	struct churn c = {};
	struct rd r = { .sock = -1 };
	double t0 = now_s(), t1;
	__u64 steps;
	pthread_t t;

	ASSERT_EQ(0, make_many(fds, parents, MANY_FILES, MANY_PER_FILE,
			       handles));
	t1 = now_s();
	TH_LOG("made %d in %.1f s", MANY, t1 - t0);

	/* Alone: exactly the many, in creation order. */
	steps = dump_steps();
	ASSERT_NE(~0ULL, steps) TH_LOG("the module has no dump_steps counter");
	ASSERT_EQ(0, rd_dump(&r, self->nl.family));
	steps = dump_steps() - steps;
	t0 = now_s();
	TH_LOG("dumped them in %.1f s", t0 - t1);
	ASSERT_EQ(MANY, many_ids(&r, ids, MANY));
	EXPECT_EQ(0, rd_out_of_order(&r));
	EXPECT_LT(MANY / 1000, r.datagrams);
	EXPECT_GE((__u64)r.n + r.datagrams, steps)
		TH_LOG("%d descriptors in %d datagrams: %llu looked at",
		       r.n, r.datagrams, (unsigned long long)steps);
	TH_LOG("alone: %d descriptors, %d datagrams, %llu looked at",
	       r.n, r.datagrams, (unsigned long long)steps);
	rd_close(&r);

	/* Again while a thread churns. */
	for (k = MANY_FILES - 1, i = 0; k < MANY; k += MANY_FILES)
		victims[i++] = handles[k];
	c.fd = fds[MANY_FILES - 1];
	c.parent = parents[MANY_FILES - 1];
	c.victims = victims;
	c.nvictims = MANY_PER_FILE;
	ASSERT_NE(0, c.nvictims % 7919);
	ASSERT_EQ(0, pthread_create(&t, NULL, churn_thread, &c));
	while (!__atomic_load_n(&c.rounds, __ATOMIC_ACQUIRE) && !c.err)
		sched_yield();
	steps = dump_steps();
	rounds = __atomic_load_n(&c.rounds, __ATOMIC_ACQUIRE);
	ASSERT_EQ(0, rd_dump(&r, self->nl.family));
	steps = dump_steps() - steps;
	rounds = __atomic_load_n(&c.rounds, __ATOMIC_ACQUIRE) - rounds;
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, c.err);
	/* The churn ran during the dump. */
	EXPECT_LT(0, rounds);
	EXPECT_EQ(0, rd_out_of_order(&r));
	EXPECT_GE((__u64)r.n + r.datagrams, steps);
	datagrams = r.datagrams;

	/* Merge: each of the many that lived throughout is there, and of
	 * this test's nothing else but the released ones and the churn's. */
	for (i = 0, k = 0; i < r.n; i++) {
		const struct rd_entry *e = &r.e[i];

		if (e->pid != (__u32)getpid() || e->kind != IOBMD_KIND_SUB ||
		    e->length == PAGE_SIZE)
			continue;
		while (k < MANY && ids[k] < e->id) {
			/* Missing: only a released one may be. */
			EXPECT_EQ(MANY_FILES - 1, k % MANY_FILES)
				TH_LOG("the %d-th made is missing", k);
			k++;
		}
		ASSERT_GT(MANY, k) TH_LOG("id %llu never made",
					  (unsigned long long)e->id);
		ASSERT_EQ(ids[k], e->id);
		EXPECT_EQ(many_length(k), e->length);
		k++;
	}
	for (; k < MANY; k++)
		EXPECT_EQ(MANY_FILES - 1, k % MANY_FILES)
			TH_LOG("the %d-th made is missing", k);
	TH_LOG("churning: %d descriptors, %d datagrams, %llu looked at; %d rounds of churn, %d released",
	       r.n, datagrams, (unsigned long long)steps, rounds, c.released);
	rd_close(&r);
	t0 = now_s();
	for (f = 0; f < MANY_FILES; f++)
		close(fds[f]);
	TH_LOG("released them in %.1f s", now_s() - t0);
}

/*
 * Check a dump that went on after descriptors first..4*first-1 of the n
 * made (their ids in @ids) were released: every other comes once, in
 * order; a released one only in the second datagram (filled before the
 * release), never later.
 */
static void check_resumed(struct __test_metadata *_metadata,
			  const struct rd *r, const __u64 *ids, int n,
			  int first)
{
	int i, k;

	EXPECT_EQ(0, rd_out_of_order(r));
	for (i = 0, k = 0; i < r->n; i++) {
		const struct rd_entry *e = &r->e[i];

		if (e->pid != (__u32)getpid() || e->kind != IOBMD_KIND_SUB ||
		    e->length == PAGE_SIZE)
			continue;
		while (k < n && ids[k] < e->id) {
			EXPECT_TRUE(k >= first && k < 4 * first)
				TH_LOG("descriptor %d of %d missing", k, n);
			k++;
		}
		ASSERT_GT(n, k);
		ASSERT_EQ(ids[k], e->id);
		if (k >= first && k < 4 * first)
			EXPECT_GE(1, e->datagram)
				TH_LOG("released descriptor %d came in datagram %d",
				       k, e->datagram);
		k++;
	}
	EXPECT_EQ(n, k);
}

/*
 * A dump goes on after the last descriptor it sent is released, also
 * when two dumps stand on the same one: each reads its first datagram,
 * then the 3k descriptors after it (k: how many the first one held) are
 * released, which covers the round the module had filled already and
 * the descriptor each would go on from; each then comes out as
 * check_resumed() says.  Each privileged dump holds one cursor while it
 * runs, and a dump given up midway none once its socket is closed.
 */
TEST_F(iobmd_nl, dump_resumes_after_release)
{
	const int n = 3000;
	static __u32 handles[3000];
	static __u64 ids[3000];
	struct rd r = { .sock = -1 }, r2 = { .sock = -1 };
	struct rd all = { .sock = -1 };
	int fd, k, first, second;
	__u32 parent, extra;

	ASSERT_EQ(0, make_many(&fd, &parent, 1, n, handles));
	ASSERT_EQ(0, rd_dump(&all, self->nl.family));
	ASSERT_EQ(n, many_ids(&all, ids, n));
	rd_close(&all);
	ASSERT_EQ(0, dump_cursors(0))
		TH_LOG("the module has no dump_cursors, or dumps never end");

	ASSERT_EQ(0, rd_start(&r, self->nl.family));
	ASSERT_EQ(0, rd_next(&r));
	ASSERT_FALSE(r.done);
	ASSERT_EQ(0, rd_start(&r2, self->nl.family));
	ASSERT_EQ(0, rd_next(&r2));
	ASSERT_FALSE(r2.done);
	EXPECT_EQ(2, dump_cursors(2));
	first = many_ids(&r, NULL, 0);
	second = many_ids(&r2, NULL, 0);
	if (second < first) {
		k = first;
		first = second;
		second = k;
	}
	/* Each goes on from within the released ones. */
	ASSERT_GT(2 * first, second);
	ASSERT_LT(0, first);
	ASSERT_GT(n, 4 * first) TH_LOG("the first datagram held %d", first);
	for (k = first; k < 4 * first; k++)
		ASSERT_EQ(0, _test_ioctl_release(fd, handles[k]));
	/* A new one comes after all the others, if at all. */
	ASSERT_EQ(0, _test_ioctl_sub_create(fd, parent, IOBMD_DIRECTION_INOUT,
					    0, PAGE_SIZE, &extra));
	ASSERT_EQ(0, rd_finish(&r));
	ASSERT_EQ(0, rd_finish(&r2));
	check_resumed(_metadata, &r, ids, n, first);
	check_resumed(_metadata, &r2, ids, n, first);
	rd_close(&r);
	rd_close(&r2);
	EXPECT_EQ(0, dump_cursors(0));

	/* Given up after its first datagram: nothing of it stays behind. */
	ASSERT_EQ(0, rd_start(&r, self->nl.family));
	ASSERT_EQ(0, rd_next(&r));
	ASSERT_FALSE(r.done);
	EXPECT_EQ(1, dump_cursors(1));
	rd_close(&r);
	EXPECT_EQ(0, dump_cursors(0));
	close(fd);
	ASSERT_EQ(0, rd_dump(&all, self->nl.family));
	EXPECT_EQ(0, many_ids(&all, NULL, 0));
	rd_close(&all);
	EXPECT_EQ(0, dump_cursors(0));
}

/* What an unprivileged child found, in memory it shares with the test. */
struct among_result {
	int step;		/* 0, or the step that failed */
	int own, datagrams;	/* its dump with its ten descriptors */
	int none, datagrams2;	/* its dump once they are released */
};

static int among_child(void *p)
{
	struct among_result *res = p;
	struct rd r = { .sock = -1 };
	__u32 h[10];
	int fd, i, family;
	struct nlt nl;

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (fd < 0)
		return res->step = 1;
	if (nlt_open(&nl))
		return res->step = 2;
	family = nl.family;
	nlt_close(&nl);
	if (iobmd_drop_root())
		return res->step = 3;
	for (i = 0; i < 10; i++)
		if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, i + 1,
					   0, 0, NULL, 0, &h[i]))
			return res->step = 4;
	if (rd_dump(&r, family))
		return res->step = 5;
	res->own = r.n;
	res->datagrams = r.datagrams;
	for (i = 0; i < r.n; i++)
		if (r.e[i].pid != (__u32)getpid() ||
		    r.e[i].length != (__u64)i + 1 ||
		    (i && r.e[i].id <= r.e[i - 1].id))
			return res->step = 6;
	rd_close(&r);
	for (i = 0; i < 10; i++)
		if (_test_ioctl_release(fd, h[i]))
			return res->step = 7;
	if (rd_dump(&r, family))
		return res->step = 8;
	res->none = r.n;
	res->datagrams2 = r.datagrams;
	rd_close(&r);
	close(fd);
	return 0;
}

/*
 * Among 8,192 descriptors of another process, an unprivileged one with
 * ten of its own dumps exactly its ten, then none once it released them;
 * the module looks at its ten only (the step counter), not at the others
 * (rewalking them all would look at 8,192 per message round).
 */
TEST_F(iobmd_nl, unprivileged_among_many)
{
	struct among_result *res;
	__u32 parent;
	__u64 steps;
	int fd;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	ASSERT_EQ(0, make_many(&fd, &parent, 1, 8192, NULL));
	steps = dump_steps();
	ASSERT_NE(~0ULL, steps) TH_LOG("the module has no dump_steps counter");
	EXPECT_EQ(0, iobmd_run_child(among_child, res));
	EXPECT_EQ(0, res->step);
	steps = dump_steps() - steps;
	EXPECT_EQ(10, res->own);
	EXPECT_EQ(0, res->none);
	/* Its ten, and perhaps one that did not fit per datagram. */
	EXPECT_GE((__u64)10 + res->datagrams + res->datagrams2, steps)
		TH_LOG("%llu descriptors looked at", (unsigned long long)steps);
	EXPECT_LE(10, steps);
	close(fd);
	munmap(res, sizeof(*res));
}

TEST_HARNESS_MAIN

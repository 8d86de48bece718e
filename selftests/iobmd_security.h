/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the iobmd security tests (iobmd_security_*_test.c) share: a page
 * shared with their children and the children's way of reporting, giving
 * up privileges, a raw generic netlink client (raw bytes are what the
 * address test scans), the physical pages of a descriptor, and
 * the fixture's common part.
 *
 * "Unprivileged" is a child that was given (or opened as root) a file of
 * /dev/iobmd and then took uid/gid 65534 and no supplementary groups, or a
 * root child without one capability.
 */
#ifndef __SELFTEST_IOBMD_SECURITY_H
#define __SELFTEST_IOBMD_SECURITY_H

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"
#include "iobmd_netlink.h"

#define NOBODY		65534
#define MAX_PAGES	2048

#define FAILS(err, call) ((call) == -1 && errno == (err))

/* What a test shares with its children: a MAP_SHARED page or few. */
struct shared {
	char note[512];			/* why a child failed */
	int fd;				/* a file of /dev/iobmd */
	int nh;				/* handles in @h */
	__u32 h[16];
	__u64 cookie;
	pid_t pid;			/* a child that is gone */
	__u64 max_capacity;
	int npages;			/* physical pages, >= 1 MiB */
	__u64 page[MAX_PAGES];
};

static struct shared *sh;

#define __printf(a, b) __attribute__((format(printf, a, b)))

/* Notes why a child failed and returns its exit status, 1. */
static inline __printf(3, 4) int note_fail(int line, int err,
					   const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sh->note, sizeof(sh->note), fmt, ap);
	va_end(ap);
	if (n >= 0 && n < (int)sizeof(sh->note))
		snprintf(sh->note + n, sizeof(sh->note) - n,
			 " (line %d, errno %d)", line, err);
	return 1;
}

/* In a child: returns 1 with a note unless @cond holds. */
#define CHK(cond, ...)                                                       \
	do {                                                                 \
		if (!(cond))                                                 \
			return note_fail(__LINE__, errno, __VA_ARGS__);      \
	} while (0)
#define TRY(x)                                                               \
	do {                                                                 \
		int __r = (x);                                               \
		if (__r)                                                     \
			return __r;                                          \
	} while (0)

/* Runs @fn in a child; asserts it exited 0, logging its note if not. */
#define run_child(fn, arg)                                                   \
	do {                                                                 \
		sh->note[0] = 0;                                             \
		ASSERT_EQ(0, iobmd_run_child(fn, arg)) TH_LOG("%s", sh->note); \
	} while (0)

/* --- privileges ------------------------------------------------------ */

/* uid/gid 65534 with @n supplementary groups; checks no capability is left. */
static inline int become_nobody(const gid_t *groups, size_t n)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (iobmd_drop_root_groups(groups, n))
		return -1;
	if (syscall(SYS_capget, &hdr, d))
		return -1;
	if (d[0].effective || d[1].effective || d[0].permitted ||
	    d[1].permitted || geteuid() != NOBODY) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* -1: become nobody; else drop that capability. */
static inline int unprivilege(int how)
{
	return how < 0 ? become_nobody(NULL, 0) : iobmd_drop_cap(how);
}

/* A buffer, IOBMD_DIRECTION_INOUT | @options; 0 or -1/errno. */
static inline int mkbuf(int fd, __u32 options, __u64 size, __u32 *h)
{
	return _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT | options,
				      size, 0, 0, NULL, 0, h);
}

/* A general descriptor of [@addr, @addr + @len); 0 or -1/errno. */
static inline int mkgen(int fd, const void *addr, __u64 len, __u32 *h)
{
	struct iobmd_range r = { (uintptr_t)addr, len };

	return _test_ioctl_general_create(fd, 0, IOBMD_DIRECTION_INOUT, &r, 1,
					  h);
}

/* --- a raw generic netlink client ------------------------------------ */

struct nlc {
	int fd;
	__u16 family;
	__u32 group;
	__u32 seq;
	const char *grp_list;	/* while resolving */
	int grp_len;
};

typedef int (*nl_cb)(const struct nlmsghdr *h, void *arg);

static inline void nl_put(char *buf, size_t *len, __u16 type, const void *v,
			  size_t vlen)
{
	struct nlattr *a = (struct nlattr *)(buf + *len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + vlen;
	memcpy((char *)a + NLA_HDRLEN, v, vlen);
	*len += NLA_ALIGN(a->nla_len);
}

/*
 * Sends one request and feeds every message of the answer to @cb until
 * the ack, the error or the end of the dump.  Returns 0, -errno, or what
 * @cb returned when it was not 0.
 */
static inline int nl_call(struct nlc *nl, __u16 type, __u8 cmd, __u16 flags,
			  const char *attrs, size_t alen, nl_cb cb, void *arg)
{
	static __u64 buf[8192];
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		char a[256];
	} req;
	struct nlmsghdr *h;
	int len, ret;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + alen);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | flags;
	req.h.nlmsg_seq = ++nl->seq;
	req.g.cmd = cmd;
	req.g.version = 1;
	memcpy(req.a, attrs, alen);
	if (send(nl->fd, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		len = recv(nl->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != nl->seq)
				continue;
			ret = cb ? cb(h, arg) : 0;
			if (ret)
				return ret;
			if (h->nlmsg_type == NLMSG_DONE)
				return *(int *)NLMSG_DATA(h);
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/* Calls @fn(type, payload, len, arg) for each attribute in @p. */
static inline void nl_each(const char *p, int len,
			   void (*fn)(int, const void *, int, void *),
			   void *arg)
{
	const struct nlattr *a = (const void *)p;

	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len)))
		fn(a->nla_type & NLA_TYPE_MASK, a + 1, a->nla_len - NLA_HDRLEN,
		   arg);
}

static inline void nl_attrs(const struct nlmsghdr *h,
			    void (*fn)(int, const void *, int, void *),
			    void *arg)
{
	nl_each((const char *)NLMSG_DATA(h) + GENL_HDRLEN,
		h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), fn, arg);
}

/* A u32 or u64 attribute into ((__u64 *)@arg)[@type]. */
static inline void nl_value_attr(int type, const void *v, int len, void *arg)
{
	__u32 v32;
	__u64 v64 = 0;

	if (len == 4) {
		memcpy(&v32, v, 4);
		v64 = v32;
	} else if (len == 8) {
		memcpy(&v64, v, 8);
	}
	if (type <= IOBMD_A_MAX)
		((__u64 *)arg)[type] = v64;
}

static inline int nl_values_cb(const struct nlmsghdr *h, void *arg)
{
	if (h->nlmsg_type >= NLMSG_MIN_TYPE)
		nl_attrs(h, nl_value_attr, arg);
	return 0;
}

/* GET_LIMITS into @v, indexed by attribute type: 0 or -errno. */
static inline int nl_get_limits(struct nlc *nl, __u64 *v)
{
	memset(v, 0, (IOBMD_A_MAX + 1) * sizeof(*v));
	return nl_call(nl, nl->family, IOBMD_CMD_GET_LIMITS, NLM_F_ACK, NULL, 0,
		       nl_values_cb, v);
}

/* SET_LIMITS of @n (type, value) pairs: 0 or -errno. */
static inline int nl_set_limits(struct nlc *nl, const int *types,
				const __u64 *vals, int n)
{
	char a[128];
	size_t alen = 0;
	int i;

	for (i = 0; i < n; i++)
		nl_put(a, &alen, types[i], &vals[i], 8);
	return nl_call(nl, nl->family, IOBMD_CMD_SET_LIMITS, NLM_F_ACK, a,
		       alen, NULL, NULL);
}

struct nl_grp {
	const char *name;
	__u64 v[CTRL_ATTR_MCAST_GRP_MAX + 1];
};

static inline void nl_grp_attr(int type, const void *v, int len, void *arg)
{
	struct nl_grp *g = arg;

	if (type == CTRL_ATTR_MCAST_GRP_NAME)
		g->name = v;
	else if (type <= CTRL_ATTR_MCAST_GRP_MAX)
		nl_value_attr(type, v, len, g->v);
}

static inline void nl_family_attr(int type, const void *v, int len, void *arg)
{
	struct nlc *nl = arg;
	__u16 id;

	if (type == CTRL_ATTR_FAMILY_ID) {
		memcpy(&id, v, 2);
		nl->family = id;
	} else if (type == CTRL_ATTR_MCAST_GROUPS) {
		nl->grp_list = v;
		nl->grp_len = len;
	}
}

/* Each nest of the group list: its name and id. */
static inline void nl_group_nest(int type, const void *v, int len, void *arg)
{
	struct nlc *nl = arg;
	struct nl_grp g = { 0 };

	nl_each(v, len, nl_grp_attr, &g);
	if (g.name && !strcmp(g.name, IOBMD_GENL_MCGRP_EVENTS))
		nl->group = g.v[CTRL_ATTR_MCAST_GRP_ID];
}

static inline int nl_family_cb(const struct nlmsghdr *h, void *arg)
{
	struct nlc *nl = arg;

	if (h->nlmsg_type != GENL_ID_CTRL)
		return 0;
	nl_attrs(h, nl_family_attr, nl);
	if (nl->grp_list)
		nl_each(nl->grp_list, nl->grp_len, nl_group_nest, nl);
	return 0;
}

/*
 * Opens a socket and resolves the family and its group: 0, or -errno with
 * no socket left open (nl->fd -1).
 */
static inline int nl_open(struct nlc *nl)
{
	char a[64];
	size_t alen = 0;
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	nl_put(a, &alen, CTRL_ATTR_FAMILY_NAME, IOBMD_GENL_NAME,
	       sizeof(IOBMD_GENL_NAME));
	ret = nl_call(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK, a, alen,
		      nl_family_cb, nl);
	if (!ret && (!nl->family || !nl->group))
		ret = -ENOENT;
	if (ret) {
		close(nl->fd);
		nl->fd = -1;
	}
	return ret;
}

/* A new socket that has asked for the GET_DESC dump of @family, or -1. */
static inline int nl_dump_request(__u16 family)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
	} req = { 0 };
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	req.h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.h.nlmsg_type = family;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	req.g.cmd = IOBMD_CMD_GET_DESC;
	req.g.version = 1;
	if (send(fd, &req, req.h.nlmsg_len, 0) != (ssize_t)req.h.nlmsg_len) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads one datagram of the dump on socket @fd (@all: every one until the
 * end), 4 KiB at a time, and hands each message to @cb: the socket then
 * asks for no larger datagrams, and a dump of many descriptors takes
 * several.  Returns 0 at the end, 1 when there is more, or -errno
 * (-EMSGSIZE: one was larger).
 */
static inline int nl_dump_recv(int fd, nl_cb cb, void *arg, bool all)
{
	static __u64 buf[4096 / sizeof(__u64)];
	struct nlmsghdr *h;
	int len;

	do {
		len = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (len < 0)
			return -errno;
		if (len > (int)sizeof(buf))
			return -EMSGSIZE;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return *(int *)NLMSG_DATA(h);
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			cb(h, arg);
		}
	} while (all);
	return 1;
}

/* --- the physical pages of a descriptor ------------------------------ */

/* Adds every page of @segs at or above 1 MiB to sh->page[]. */
static inline int add_pages(const struct iobmd_segment *segs, __u32 n)
{
	int added = 0;
	__u32 i;
	__u64 p;

	for (i = 0; i < n; i++) {
		for (p = segs[i].addr & ~(__u64)(PAGE_SIZE - 1);
		     p < segs[i].addr + segs[i].len; p += PAGE_SIZE) {
			if (p < SZ_1M || sh->npages == MAX_PAGES)
				continue;
			sh->page[sh->npages++] = p;
			added++;
		}
	}
	return added;
}

/*
 * Physical pages of handle @h (root, prepared from userspace); how many,
 * or -1.  A userspace prepare maps nothing for any device, so its DMA
 * segments must be refused with ENODATA: a DMA address from one is -1
 * too (errno EEXIST), and the pages are then not taken.
 */
static inline int collect(int fd, __u32 h)
{
	struct iobmd_segment *segs;
	int added;
	__u32 n;

	if (!_test_get_all_segments_flags(fd, h, IOBMD_SEGMENTS_DMA, 0, 0,
					  &segs, &n)) {
		free(segs);
		errno = EEXIST;
		return -1;
	}
	if (errno != ENODATA)
		return -1;
	if (_test_get_all_segments_flags(fd, h, 0, 0, 0, &segs, &n))
		return -1;
	added = add_pages(segs, n);
	free(segs);
	return added;
}

/* --- the fixtures' common part --------------------------------------- */

/*
 * Each test program's fixture holds the test's file of /dev/iobmd in @fd
 * and the module's counters as found in @stats, and has its teardown run
 * by FIXTURE_TEARDOWN_PARENT(): the harness runs it also after a failed
 * ASSERT_*() (a FIXTURE_TEARDOWN() was skipped then at -O2).  The
 * teardown usually runs in the harness's parent once the test's process
 * is gone, but after a failed ASSERT_*() built at -O2 in the test's own
 * process (its files still open), so it reopens what it needs and
 * touches no file of setup's.  It uses EXPECT_*() only: after a failed
 * assertion the harness leaves _metadata->trigger set, and any
 * ASSERT_*(), even one that holds, would leave the teardown there.
 */

/* Setup: the shared page, /dev/iobmd's node (in @node), a file, counters. */
static inline void sec_setup(struct __test_metadata *_metadata, int *fd,
			     struct stat *node, struct iobmd_test_stats *stats)
{
	*fd = -1;
	memset(node, 0, sizeof(*node));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	/* A missing module is a failure here, not a skip. */
	ASSERT_EQ(0, stat(IOBMD_DEV_PATH, node))
		TH_LOG("%s: %s", IOBMD_DEV_PATH, strerror(errno));
	*fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, *fd);
	ASSERT_EQ(0, iobmd_read_stats(stats));
}

/* Teardown, last: once the test's files are closed, nothing is held. */
static inline void sec_teardown_held(struct __test_metadata *_metadata,
				     const struct iobmd_test_stats *found)
{
	struct iobmd_test_stats now;

	EXPECT_EQ(0, iobmd_read_stats(&now));
	EXPECT_STREQ("", iobmd_stats_diff(found, &now));
}

/* The end of a test: with its own file still open, nothing is held. */
#define test_held_nothing()                                                  \
	do {                                                                 \
		struct iobmd_test_stats __now;                               \
		ASSERT_EQ(0, iobmd_read_stats(&__now));                      \
		ASSERT_STREQ("", iobmd_stats_diff(&self->stats, &__now));    \
	} while (0)

#endif /* __SELFTEST_IOBMD_SECURITY_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, user namespaces: root of a user namespace that an
 * unprivileged user made (uid 0 and every capability there, uid 65534
 * outside) holds no privilege in the initial user namespace, so on a file
 * of /dev/iobmd it inherited from root it is refused what needs one:
 * physical and DMA segments, device memory, physical ranges, pinning past
 * RLIMIT_MEMLOCK, and over netlink changing the limits and joining the
 * events group.  Each refusal has its exact errno and changes nothing;
 * the same request works for root in the initial namespace.  A check
 * against the caller's own namespace (ns_capable(current_user_ns(), ...))
 * rather than the initial one fails these tests.
 *
 * Runs as root, alone: every test puts the module's counters and limits
 * back as found.  Needs unprivileged user namespaces (Debian's default).
 */
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "iobmd_security.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define BUF_SIZE	SZ_64K
#define PIN_SIZE	SZ_1M		/* pinned past the MEMLOCK limit */
#define MEMLOCK_LIMIT	SZ_64K

static const int limit_types[] = {
	IOBMD_A_LIMIT_TASK_BYTES, IOBMD_A_LIMIT_TASK_DESCS,
	IOBMD_A_LIMIT_TOTAL_BYTES, IOBMD_A_LIMIT_TOTAL_DESCS,
	IOBMD_A_LIMIT_MAX_CAPACITY,
};

/* --- root of an unprivileged user namespace ---------------------------- */

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

/*
 * In a child: becomes uid 65534 with no capability, makes a user
 * namespace as that user and maps its uid and gid 0 to 65534 outside, as
 * `unshare -r` does.  The child is then root there, with every capability
 * in that namespace and none in the initial one.
 */
static int become_userns_root(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	char map[32];
	int ret;

	CHK(!become_nobody(NULL, 0), "become uid %d", NOBODY);
	/* setuid() left the process undumpable: /proc/self/ was root's. */
	CHK(!prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "PR_SET_DUMPABLE");
	CHK(!unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER) as uid %d",
	    NOBODY);
	snprintf(map, sizeof(map), "0 %d 1\n", NOBODY);
	ret = iobmd_write_file("/proc/self/setgroups", "deny\n");
	CHK(!ret, "setgroups: %d", ret);
	ret = iobmd_write_file("/proc/self/uid_map", map);
	CHK(!ret, "uid_map: %d", ret);
	ret = iobmd_write_file("/proc/self/gid_map", map);
	CHK(!ret, "gid_map: %d", ret);
	CHK(geteuid() == 0 && getegid() == 0, "uid %d gid %d in the namespace",
	    geteuid(), getegid());
	CHK(!syscall(SYS_capget, &hdr, d), "capget");
	CHK(has_cap(d, CAP_SYS_ADMIN) && has_cap(d, CAP_SYS_RAWIO) &&
	    has_cap(d, CAP_IPC_LOCK), "capabilities %08x %08x in the namespace",
	    d[1].effective, d[0].effective);
	return 0;
}

/* The inherited file still works for what needs no privilege. */
static int file_usable(int fd, __u32 h)
{
	struct iobmd_info info;

	CHK(!_test_ioctl_get_info(fd, h, &info), "GET_INFO of %u", h);
	CHK(info.capacity == BUF_SIZE, "capacity %llu",
	    (unsigned long long)info.capacity);
	return 0;
}

/* --- the fixture ----------------------------------------------------- */

/* See "the fixtures' common part" in iobmd_security.h. */
FIXTURE(iobmd_userns)
{
	int fd;
	struct iobmd_test_stats stats;	/* as found; must be so at the end */
	struct stat node;
	struct nlc nl;			/* root's, inherited by children */
	__u64 limits[IOBMD_A_MAX + 1];	/* as found; restored */
	__u32 buf;			/* BUF_SIZE, prepared */
};

FIXTURE_SETUP(iobmd_userns)
{
	self->nl.fd = -1;
	sec_setup(_metadata, &self->fd, &self->node, &self->stats);
	ASSERT_EQ(0, nl_open(&self->nl));
	ASSERT_EQ(0, nl_get_limits(&self->nl, self->limits));
	/* Root's buffer, its physical pages in sh->page[]. */
	sh->npages = 0;
	ASSERT_EQ(0, mkbuf(self->fd, 0, BUF_SIZE, &self->buf));
	ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_PREPARE, self->buf,
					 0));
	ASSERT_LT(0, collect(self->fd, self->buf));
	sh->fd = self->fd;
	sh->h[0] = self->buf;
}

FIXTURE_TEARDOWN_PARENT(iobmd_userns)
{
	__u64 vals[ARRAY_SIZE(limit_types)], l[IOBMD_A_MAX + 1];
	struct nlc nl;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(limit_types); i++)
		vals[i] = self->limits[limit_types[i]];
	EXPECT_EQ(0, nl_open(&nl));
	EXPECT_EQ(0, nl_set_limits(&nl, limit_types, vals,
				   ARRAY_SIZE(limit_types)));
	EXPECT_EQ(0, nl_get_limits(&nl, l));
	EXPECT_EQ(0, memcmp(l, self->limits, sizeof(l)));
	close(nl.fd);
	sec_teardown_held(_metadata, &self->stats);
}

/* Runs @fn in a child; asserts it changed none of the module's counters. */
#define run_child_holds_nothing(fn, arg)                                     \
	do {                                                                 \
		struct iobmd_test_stats __before, __after;                   \
		ASSERT_EQ(0, iobmd_read_stats(&__before));                   \
		run_child(fn, arg);                                          \
		ASSERT_EQ(0, iobmd_read_stats(&__after));                    \
		ASSERT_STREQ("", iobmd_stats_diff(&__before, &__after));     \
	} while (0)

/* The end of a test: root's buffer goes, and nothing is held. */
#define test_done()                                                          \
	do {                                                                 \
		ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_COMPLETE,   \
						 self->buf, 0));             \
		ASSERT_EQ(0, _test_ioctl_release(self->fd, self->buf));      \
		test_held_nothing();                                         \
	} while (0)

/* --- physical and DMA segments (CAP_SYS_ADMIN) ------------------------ */

static int segments_child(void *arg)
{
	static const __u32 flags[] = { 0, IOBMD_SEGMENTS_DMA };
	struct iobmd_segment seg = { 0 };
	__u64 total = 0;
	__u32 count;
	int i, ret;

	TRY(become_userns_root());
	TRY(file_usable(sh->fd, sh->h[0]));
	for (i = 0; i < 2; i++) {
		count = 1;
		ret = _test_ioctl_get_segments_flags(sh->fd, sh->h[0], flags[i],
						     0, 0, &seg, &count, &total);
		CHK(FAILS(EPERM, ret), "%s segments", i ? "DMA" : "physical");
		CHK(!seg.addr && !seg.len, "a segment was written");
	}
	return 0;
}

/* Root of a user namespace gets neither physical nor DMA segments. */
TEST_F(iobmd_userns, segments_refused)
{
	run_child_holds_nothing(segments_child, NULL);
	test_done();
}

/* --- device memory (CAP_SYS_RAWIO) ------------------------------------- */

static int device_child(void *arg)
{
	__u32 h = 0;

	TRY(become_userns_root());
	TRY(file_usable(sh->fd, sh->h[0]));
	CHK(FAILS(EPERM, _test_ioctl_device_create(sh->fd, IOBMD_TEST_NOT_RAM,
						   PAGE_SIZE, &h)) && !h,
	    "device memory: handle %u", h);
	return 0;
}

/* Root of a user namespace cannot describe device memory. */
TEST_F(iobmd_userns, device_refused)
{
	__u32 h;

	/* Root in the initial namespace can. */
	ASSERT_EQ(0, _test_ioctl_device_create(self->fd, IOBMD_TEST_NOT_RAM,
					       PAGE_SIZE, &h));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
	run_child_holds_nothing(device_child, NULL);
	test_done();
}

/* --- physical ranges (CAP_SYS_RAWIO) ----------------------------------- */

static int physical_child(void *arg)
{
	struct iobmd_range ram = { sh->page[0], PAGE_SIZE };
	__u32 h = 0;

	TRY(become_userns_root());
	TRY(file_usable(sh->fd, sh->h[0]));
	CHK(FAILS(EPERM, _test_ioctl_general_create(sh->fd,
						    IOBMD_GENERAL_PHYSICAL,
						    IOBMD_DIRECTION_INOUT,
						    &ram, 1, &h)) && !h,
	    "physical range: handle %u", h);
	return 0;
}

/* Root of a user namespace cannot describe physical memory. */
TEST_F(iobmd_userns, physical_refused)
{
	struct iobmd_range ram = { sh->page[0], PAGE_SIZE };
	__u32 h;

	IOBMD_NEED_PHYS_RAM();

	/*
	 * Root in the initial namespace can: a page of its own buffer (where
	 * the module lets CAP_SYS_RAWIO describe RAM at all: the suite loads
	 * it with unsafe_phys_ram=1).
	 */
	ASSERT_EQ(0, _test_ioctl_general_create(self->fd,
						IOBMD_GENERAL_PHYSICAL,
						IOBMD_DIRECTION_INOUT, &ram, 1,
						&h))
		TH_LOG("root's physical range of RAM: %s (unsafe_phys_ram=1?)",
		       strerror(errno));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
	run_child_holds_nothing(physical_child, NULL);
	test_done();
}

/* --- pinning past RLIMIT_MEMLOCK (CAP_IPC_LOCK) ------------------------ */

/*
 * Describes PIN_SIZE of fresh memory and prepares it under a MEMLOCK
 * limit of MEMLOCK_LIMIT: as root of a user namespace (@arg non-NULL)
 * the pin fails with ENOMEM, as mlock() would; as root, CAP_IPC_LOCK lets
 * it through.
 */
static int memlock_child(void *arg)
{
	struct rlimit rl = { MEMLOCK_LIMIT, MEMLOCK_LIMIT };
	bool userns = arg;
	__u32 h = 0;
	void *p;
	int ret;

	CHK(!setrlimit(RLIMIT_MEMLOCK, &rl), "RLIMIT_MEMLOCK");
	if (userns)
		TRY(become_userns_root());
	p = mmap(NULL, PIN_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHK(p != MAP_FAILED, "mmap");
	CHK(!mkgen(sh->fd, p, PIN_SIZE, &h), "general descriptor");
	ret = _test_ioctl_prepare(sh->fd, IOBMD_PREPARE, h, 0);
	if (userns) {
		CHK(FAILS(ENOMEM, ret), "prepare past RLIMIT_MEMLOCK: %d", ret);
	} else {
		CHK(!ret, "root's prepare past RLIMIT_MEMLOCK");
		CHK(!_test_ioctl_prepare(sh->fd, IOBMD_COMPLETE, h, 0),
		    "COMPLETE");
	}
	CHK(!_test_ioctl_release(sh->fd, h), "release");
	munmap(p, PIN_SIZE);
	return 0;
}

/* Root of a user namespace is held to RLIMIT_MEMLOCK; root is not. */
TEST_F(iobmd_userns, memlock_enforced)
{
	run_child_holds_nothing(memlock_child, NULL);
	run_child_holds_nothing(memlock_child, (void *)1);
	test_done();
}

/* --- the limits over netlink (CAP_SYS_ADMIN) --------------------------- */

/* SET_LIMITS on @nl is refused and changes nothing. */
static int set_limits_on(struct nlc *nl, const char *whose)
{
	__u64 before[IOBMD_A_MAX + 1], after[IOBMD_A_MAX + 1], v;
	int type = IOBMD_A_LIMIT_TOTAL_DESCS, ret;

	CHK(!nl_get_limits(nl, before), "GET_LIMITS on %s socket", whose);
	v = before[type] + 1;
	ret = nl_set_limits(nl, &type, &v, 1);
	CHK(ret == -EPERM, "SET_LIMITS on %s socket gave %d", whose, ret);
	type = IOBMD_A_LIMIT_TASK_DESCS;
	v = 1;
	ret = nl_set_limits(nl, &type, &v, 1);
	CHK(ret == -EPERM, "SET_LIMITS on %s socket gave %d", whose, ret);
	CHK(!nl_get_limits(nl, after), "GET_LIMITS on %s socket", whose);
	CHK(!memcmp(before, after, sizeof(after)), "limits changed");
	return 0;
}

static int set_limits_child(void *arg)
{
	struct nlc *inherited = arg, nl;
	int ret;

	TRY(become_userns_root());
	ret = nl_open(&nl);
	CHK(!ret, "netlink in the namespace: %d", ret);
	ret = set_limits_on(&nl, "its own");
	close(nl.fd);
	TRY(ret);
	return set_limits_on(inherited, "root's");
}

/*
 * Root of a user namespace cannot change the limits, on its own socket
 * nor on one root opened.
 */
TEST_F(iobmd_userns, set_limits_refused)
{
	__u64 l[IOBMD_A_MAX + 1];
	int type = IOBMD_A_LIMIT_TOTAL_DESCS;

	/* Root can: to the value they have. */
	ASSERT_EQ(0, nl_set_limits(&self->nl, &type, &self->limits[type], 1));
	run_child_holds_nothing(set_limits_child, &self->nl);
	ASSERT_EQ(0, nl_get_limits(&self->nl, l));
	ASSERT_EQ(0, memcmp(l, self->limits, sizeof(l)));
	test_done();
}

/* --- the events group (GENL_MCAST_CAP_SYS_ADMIN) ----------------------- */

static int join(struct nlc *nl)
{
	return setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			  &nl->group, sizeof(nl->group));
}

static int events_child(void *arg)
{
	struct nlc *inherited = arg, nl;
	int ret;

	TRY(become_userns_root());
	ret = nl_open(&nl);
	CHK(!ret, "netlink in the namespace: %d", ret);
	ret = join(&nl);
	close(nl.fd);
	CHK(FAILS(EPERM, ret), "join on its own socket");
	CHK(FAILS(EPERM, join(inherited)), "join on root's socket");
	return 0;
}

/*
 * Root of a user namespace cannot join the events group, on its own
 * socket nor on one root opened.
 */
TEST_F(iobmd_userns, events_refused)
{
	/* The group is real: root joins it. */
	ASSERT_EQ(0, join(&self->nl));
	ASSERT_EQ(0, setsockopt(self->nl.fd, SOL_NETLINK,
				NETLINK_DROP_MEMBERSHIP, &self->nl.group,
				sizeof(self->nl.group)));
	run_child_holds_nothing(events_child, &self->nl);
	test_done();
}

TEST_HARNESS_MAIN

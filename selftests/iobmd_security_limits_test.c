// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, limits: an unprivileged caller (see
 * iobmd_security.h) cannot change limits or listen to events over netlink,
 * sees only its own process's descriptors in the dump (not those of a gone
 * process whose pid it got) and only its own user's figures in GET_STATS,
 * and stays inside RLIMIT_MEMLOCK, the module's limits (per file, per user
 * over all its files, and its ZONE_DMA budget) and its memory cgroup.
 *
 * Runs as root, alone: every test puts the module's counters and limits
 * back as found, and removes the cgroup it made.
 */
#include <linux/capability.h>
#include <linux/magic.h>
#include <grp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/vfs.h>

#include "iobmd_security.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define MAX_CAPACITY_PARAM "/sys/module/iobmd/parameters/max_capacity"

/* --- the module's limits over netlink -------------------------------- */

static const int limit_types[] = {
	IOBMD_A_LIMIT_TASK_BYTES, IOBMD_A_LIMIT_TASK_DESCS,
	IOBMD_A_LIMIT_TOTAL_BYTES, IOBMD_A_LIMIT_TOTAL_DESCS,
	IOBMD_A_LIMIT_MAX_CAPACITY, IOBMD_A_LIMIT_USER_BYTES,
	IOBMD_A_LIMIT_USER_DESCS, IOBMD_A_LIMIT_USER_ZONE_DMA,
};

static int nl_set_limit(struct nlc *nl, int type, __u64 value)
{
	return nl_set_limits(nl, &type, &value, 1);
}

/* --- the fixture ----------------------------------------------------- */

/* See "the fixtures' common part" in iobmd_security.h. */
FIXTURE(iobmd_sec)
{
	int fd;
	struct iobmd_test_stats stats;	/* as found; must be so at the end */
	struct stat node;
	struct nlc nl;
	__u64 limits[IOBMD_A_MAX + 1];	/* as found; restored */
	char cg[128];			/* a cgroup a test made */
	bool cg_mounted;
};

FIXTURE_SETUP(iobmd_sec)
{
	self->nl.fd = -1;
	self->cg[0] = 0;
	self->cg_mounted = false;
	sec_setup(_metadata, &self->fd, &self->node, &self->stats);
	ASSERT_EQ(0, nl_open(&self->nl));
	ASSERT_EQ(0, nl_get_limits(&self->nl, self->limits));
}

FIXTURE_TEARDOWN_PARENT(iobmd_sec)
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
	iobmd_cgroup_remove(self->cg, self->cg_mounted);
	sec_teardown_held(_metadata, &self->stats);
}

/* --- capabilities and limits ------------------------------------------ */

static int nl_limits_child(void *arg)
{
	__u64 l[IOBMD_A_MAX + 1], before[IOBMD_A_MAX + 1];
	struct nlc nl;
	int ret;

	CHK(!unprivilege((intptr_t)arg), "drop");
	CHK(!nl_open(&nl), "netlink");
	CHK(!nl_get_limits(&nl, before), "GET_LIMITS");
	ret = nl_set_limit(&nl, IOBMD_A_LIMIT_TOTAL_DESCS, 1);
	CHK(ret == -EPERM, "SET_LIMITS gave %d", ret);
	ret = nl_set_limit(&nl, IOBMD_A_LIMIT_TASK_DESCS, 1);
	CHK(ret == -EPERM, "SET_LIMITS gave %d", ret);
	CHK(!nl_get_limits(&nl, l) && !memcmp(l, before, sizeof(l)),
	    "limits changed");
	close(nl.fd);
	return 0;
}

TEST_F(iobmd_sec, nl_set_limits_refused)
{
	run_child(nl_limits_child, (void *)-1L);
	run_child(nl_limits_child, (void *)(intptr_t)CAP_SYS_ADMIN);
	test_held_nothing();
}

static int nl_events_child(void *arg)
{
	struct nlc nl;

	CHK(!unprivilege((intptr_t)arg), "drop");
	CHK(!nl_open(&nl), "netlink");
	CHK(FAILS(EPERM, setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				    &nl.group, sizeof(nl.group))), "join");
	close(nl.fd);
	return 0;
}

TEST_F(iobmd_sec, nl_events_refused)
{
	/* The group is real: root joins it. */
	ASSERT_EQ(0, setsockopt(self->nl.fd, SOL_NETLINK,
				NETLINK_ADD_MEMBERSHIP, &self->nl.group,
				sizeof(self->nl.group)));
	ASSERT_EQ(0, setsockopt(self->nl.fd, SOL_NETLINK,
				NETLINK_DROP_MEMBERSHIP, &self->nl.group,
				sizeof(self->nl.group)));
	run_child(nl_events_child, (void *)-1L);
	run_child(nl_events_child, (void *)(intptr_t)CAP_SYS_ADMIN);
	test_held_nothing();
}

/*
 * A dump's entries: @n in all, @n_other of them made by process @other,
 * @foreign made by neither @pid nor @other, or not with the uid expected
 * (0 when @root, else NOBODY).
 */
struct dump_seen {
	int n, n_other, foreign;
	pid_t pid;	/* whose descriptors are its own; 0: this process's */
	pid_t other;	/* another creator expected, or 0 */
	bool root;
	__u64 v[IOBMD_A_MAX + 1];
};

static int nl_dump_cb(const struct nlmsghdr *h, void *arg)
{
	struct dump_seen *d = arg;
	__u64 pid;

	if (h->nlmsg_type < NLMSG_MIN_TYPE)
		return 0;
	memset(d->v, 0, sizeof(d->v));
	nl_attrs(h, nl_value_attr, d->v);
	d->n++;
	pid = d->v[IOBMD_A_DESC_PID];
	if (d->v[IOBMD_A_DESC_UID] != (d->root ? 0 : NOBODY))
		d->foreign++;
	else if (d->other && pid == (__u64)d->other)
		d->n_other++;
	else if (pid != (__u64)(d->pid ?: getpid()))
		d->foreign++;
	return 0;
}

static int nl_dump_child(void *arg)
{
	struct dump_seen d = { 0 };
	struct nlc nl;
	__u32 h[3];
	int i;

	CHK(!become_nobody(NULL, 0), "drop");
	for (i = 0; i < 3; i++)
		CHK(!mkbuf(sh->fd, 0, PAGE_SIZE, &h[i]), "buffer");
	CHK(!nl_open(&nl), "netlink");
	CHK(!nl_call(&nl, nl.family, IOBMD_CMD_GET_DESC, NLM_F_DUMP, NULL, 0,
		     nl_dump_cb, &d), "GET_DESC");
	close(nl.fd);
	CHK(d.n == 3 && !d.foreign, "dump: %d entries, %d not its own", d.n,
	    d.foreign);
	for (i = 0; i < 3; i++)
		CHK(!_test_ioctl_release(sh->fd, h[i]), "release");
	return 0;
}

/* The dump shows an unprivileged caller its own three, not root's two. */
TEST_F(iobmd_sec, nl_dump_own_only)
{
	struct dump_seen d = { 0 };
	__u32 a, b;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	ASSERT_EQ(0, nl_call(&self->nl, self->nl.family, IOBMD_CMD_GET_DESC,
			     NLM_F_DUMP, NULL, 0, nl_dump_cb, &d));
	ASSERT_LE(2, d.n);
	sh->fd = self->fd;
	run_child(nl_dump_child, NULL);
	test_ioctl_release(a);
	test_ioctl_release(b);
	test_held_nothing();
}

#define HANDOFF_BUFS	200
#define HANDOFF_OTHERS	100

/* Another process's HANDOFF_OTHERS buffers, left on the shared file. */
static int nl_other_bufs_child(void *arg)
{
	int i;

	sh->pid = getpid();
	for (i = 0; i < HANDOFF_OTHERS; i++)
		CHK(!mkbuf(sh->fd, 0, PAGE_SIZE, &sh->h[0]), "buffer %d", i);
	return 0;
}

/*
 * Makes HANDOFF_BUFS buffers (unprivileged, or as root when @arg is not
 * NULL, after which another process makes HANDOFF_OTHERS), asks for the
 * dump on a fresh socket, reads its first datagram (which has the kernel
 * make the second) and leaves the rest to a child that inherits the
 * socket and is unprivileged: the third and later datagrams are made while
 * the child reads.  The dump is what the asker may see: its own buffers,
 * or (root) every one.
 */
static int nl_handoff_child(void *arg)
{
	struct dump_seen first = { 0 }, *rest;
	pid_t pid, other = 0;
	int i, fd, status;
	bool root = arg;
	struct nlc nl;

	if (!root)
		CHK(!become_nobody(NULL, 0), "drop");
	for (i = 0; i < HANDOFF_BUFS; i++)
		CHK(!mkbuf(sh->fd, 0, PAGE_SIZE, &sh->h[0]), "buffer %d", i);
	if (root) {
		CHK(!iobmd_run_child(nl_other_bufs_child, NULL), "%s",
		    sh->note);
		other = sh->pid;
	}
	CHK(!nl_open(&nl), "netlink");
	close(nl.fd);
	fd = nl_dump_request(nl.family);
	CHK(fd >= 0, "dump request");
	first.root = root;
	first.other = other;
	CHK(nl_dump_recv(fd, nl_dump_cb, &first, false) == 1, "first datagram");
	CHK(first.n > 0 && first.n < HANDOFF_BUFS && !first.n_other &&
	    !first.foreign, "first datagram: %d entries, %d + %d not its own",
	    first.n, first.n_other, first.foreign);
	rest = mmap(NULL, sizeof(*rest), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHK(rest != MAP_FAILED, "mmap");
	rest->pid = getpid();
	rest->root = root;
	rest->other = other;
	fflush(stdout);
	pid = fork();
	CHK(pid >= 0, "fork");
	if (pid == 0)
		_exit((root && become_nobody(NULL, 0)) ||
		      nl_dump_recv(fd, nl_dump_cb, rest, true));
	CHK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status), "the child's read of the rest");
	CHK(first.n + rest->n - rest->n_other == HANDOFF_BUFS &&
	    rest->n_other == (root ? HANDOFF_OTHERS : 0) && !rest->foreign,
	    "dump: %d then %d entries, %d of them another's, %d of neither",
	    first.n, rest->n, rest->n_other, rest->foreign);
	close(fd);
	return 0;
}

/*
 * A dump read on by another process (here an unprivileged child that
 * inherited the socket) goes on listing the descriptors of the process
 * that asked.
 */
TEST_F(iobmd_sec, nl_dump_handed_over)
{
	int fd;

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	sh->fd = fd;
	run_child(nl_handoff_child, NULL);
	ASSERT_EQ(0, close(fd));
	test_held_nothing();
}

/* ... and, when root asked, every process's descriptors. */
TEST_F(iobmd_sec, nl_dump_handed_over_by_root)
{
	int fd;

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	sh->fd = fd;
	run_child(nl_handoff_child, (void *)1);
	ASSERT_EQ(0, close(fd));
	test_held_nothing();
}

/* Makes a buffer on the shared file and exits, leaving it there. */
static int nl_creator_child(void *arg)
{
	sh->pid = getpid();
	CHK(!mkbuf(sh->fd, 0, PAGE_SIZE, &sh->h[0]), "buffer");
	return 0;
}

/* Has the gone creator's pid: the dump must not count its buffer. */
static int nl_reused_pid_child(void *arg)
{
	struct dump_seen d = { 0 };
	struct nlc nl;

	CHK(getpid() == sh->pid, "pid %d, not %d", getpid(), sh->pid);
	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!nl_open(&nl), "netlink");
	CHK(!nl_call(&nl, nl.family, IOBMD_CMD_GET_DESC, NLM_F_DUMP, NULL, 0,
		     nl_dump_cb, &d), "GET_DESC");
	close(nl.fd);
	CHK(d.n == 0, "dump: %d entries of a gone process of that pid", d.n);
	return 0;
}

/* clone3() version 1 arguments, for a child with the pid @set_tid. */
struct clone_args_v1 {
	__u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack;
	__u64 stack_size, tls, set_tid, set_tid_size;
};

/*
 * A buffer outlives the process that made it (the file stays open in
 * another), and a later process gets the same pid: the dump shows it that
 * buffer as its own no more than any other process's.
 */
TEST_F(iobmd_sec, nl_dump_reused_pid)
{
	struct clone_args_v1 args = { .exit_signal = SIGCHLD };
	pid_t pid, want;
	int status;

	sh->fd = self->fd;
	run_child(nl_creator_child, NULL);
	want = sh->pid;
	args.set_tid = (uintptr_t)&want;
	args.set_tid_size = 1;
	sh->note[0] = 0;
	fflush(stdout);
	fflush(stderr);
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(nl_reused_pid_child(NULL));
	ASSERT_EQ(want, pid) TH_LOG("clone3 with set_tid: %s", strerror(errno));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", sh->note);
	test_ioctl_release(sh->h[0]);
	test_held_nothing();
}

/* RLIMIT_MEMLOCK of this process: @pages. */
static int memlock_set(unsigned int pages)
{
	const struct rlimit lim = { pages * PAGE_SIZE, pages * PAGE_SIZE };

	return setrlimit(RLIMIT_MEMLOCK, &lim);
}

static int memlock_child(void *arg)
{
	__u8 *a = iobmd_user_area(32, 6), v;
	int fd = sh->fd;
	__u32 big, small;

	CHK(a && !memlock_set(8), "setup");
	CHK(!mkgen(fd, a, 32 * PAGE_SIZE, &big) &&
	    !mkgen(fd, a, 8 * PAGE_SIZE, &small), "general");
	/* Root (CAP_IPC_LOCK) is not held to it. */
	CHK(!_test_ioctl_prepare(fd, IOBMD_PREPARE, big, 0) &&
	    !_test_ioctl_prepare(fd, IOBMD_COMPLETE, big, 0), "as root");
	CHK(!become_nobody(NULL, 0), "drop");
	CHK(FAILS(ENOMEM, _test_ioctl_prepare(fd, IOBMD_PREPARE, big, 0)),
	    "prepare beyond RLIMIT_MEMLOCK");
	CHK(FAILS(ENOMEM, _test_ioctl_rw(fd, IOBMD_READ, big, 0, &v, 1, NULL)),
	    "read beyond RLIMIT_MEMLOCK");
	CHK(!_test_ioctl_prepare(fd, IOBMD_PREPARE, small, 0), "within it");
	CHK(!_test_ioctl_prepare(fd, IOBMD_COMPLETE, small, 0) &&
	    !_test_ioctl_release(fd, small) && !_test_ioctl_release(fd, big),
	    "release");
	return 0;
}

TEST_F(iobmd_sec, memlock_limit)
{
	sh->fd = self->fd;
	run_child(memlock_child, NULL);
	test_held_nothing();
}

/*
 * RLIMIT_MEMLOCK holds for the user, not only for each of its processes:
 * a pin can outlive the process that made it (a prepare in a file others
 * share, a dma-buf exported from it), and the user's next process starts
 * with nothing pinned of its own.  Each child is nobody, with 8 pages.
 */
#define MEMLOCK_PAGES	8

static int memlock_nobody(void)
{
	return memlock_set(MEMLOCK_PAGES) || become_nobody(NULL, 0);
}

/* Pins 6 pages in sh->fd and leaves them pinned, in sh->h[0]. */
static int memlock_leaver(void *arg)
{
	__u8 *a = iobmd_user_area(6, 7);

	CHK(a && !memlock_nobody(), "setup");
	CHK(!mkgen(sh->fd, a, 6 * PAGE_SIZE, &sh->h[0]), "general");
	CHK(!_test_ioctl_prepare(sh->fd, IOBMD_PREPARE, sh->h[0], 0),
	    "prepare within RLIMIT_MEMLOCK");
	return 0;
}

/* After memlock_leaver(): 6 more pages are too many, 2 are not. */
static int memlock_next(void *arg)
{
	struct iobmd_export_dmabuf x = { .size = sizeof(x), .fd_flags = O_RDWR };
	bool left = arg;
	__u8 *a = iobmd_user_area(6, 8);
	__u32 six, two;
	int ret;

	CHK(a && !memlock_nobody(), "setup");
	CHK(!mkgen(sh->fd, a, 6 * PAGE_SIZE, &six) &&
	    !mkgen(sh->fd, a, 2 * PAGE_SIZE, &two), "general");
	ret = _test_ioctl_prepare(sh->fd, IOBMD_PREPARE, six, 0);
	if (!left) {
		CHK(!ret, "6 pages with nothing else pinned: %d", ret);
		CHK(!_test_ioctl_prepare(sh->fd, IOBMD_COMPLETE, six, 0),
		    "complete");
	} else {
		CHK(FAILS(ENOMEM, ret),
		    "6 pages with 6 left pinned by a gone process: %d", ret);
		x.handle = six;
		ret = ioctl(sh->fd, IOBMD_EXPORT_DMABUF, &x);
		CHK(FAILS(ENOMEM, ret), "an export of them: %d", ret);
	}
	CHK(!_test_ioctl_prepare(sh->fd, IOBMD_PREPARE, two, 0) &&
	    !_test_ioctl_prepare(sh->fd, IOBMD_COMPLETE, two, 0), "2 pages");
	CHK(!_test_ioctl_release(sh->fd, six) &&
	    !_test_ioctl_release(sh->fd, two), "release");
	return 0;
}

/*
 * Root's pin past the limit (CAP_IPC_LOCK), left pinned: not on root's
 * count, so root's next process without CAP_IPC_LOCK may pin up to the
 * limit.
 */
static int memlock_exempt(void *arg)
{
	bool capped = arg;
	__u8 *a = iobmd_user_area(32, 9);
	__u32 h;

	CHK(a && !memlock_set(MEMLOCK_PAGES), "setup");
	if (!capped) {
		CHK(!mkgen(sh->fd, a, 32 * PAGE_SIZE, &sh->h[0]) &&
		    !_test_ioctl_prepare(sh->fd, IOBMD_PREPARE, sh->h[0], 0),
		    "32 pages with CAP_IPC_LOCK");
		return 0;
	}
	CHK(!iobmd_drop_cap(CAP_IPC_LOCK), "drop CAP_IPC_LOCK");
	CHK(!mkgen(sh->fd, a, 6 * PAGE_SIZE, &h), "general");
	CHK(!_test_ioctl_prepare(sh->fd, IOBMD_PREPARE, h, 0),
	    "6 pages, root's exempt 32 pinned");
	CHK(!_test_ioctl_prepare(sh->fd, IOBMD_COMPLETE, h, 0) &&
	    !_test_ioctl_release(sh->fd, h), "release");
	return 0;
}

TEST_F(iobmd_sec, memlock_exempt_pins_not_counted)
{
	sh->fd = self->fd;
	run_child(memlock_exempt, NULL);
	run_child(memlock_exempt, (void *)1);
	ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_COMPLETE, sh->h[0],
					 0));
	test_ioctl_release(sh->h[0]);
	test_held_nothing();
}

TEST_F(iobmd_sec, memlock_per_user)
{
	sh->fd = self->fd;
	run_child(memlock_leaver, NULL);
	run_child(memlock_next, (void *)1);
	/* What the gone process pinned is given back by whoever unpins. */
	ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_COMPLETE, sh->h[0],
					 0));
	test_ioctl_release(sh->h[0]);
	run_child(memlock_next, NULL);
	test_held_nothing();
}

struct limit_case {
	__u64 size;	/* each buffer */
	int n_ok;	/* that many work ... */
	__u64 last;	/* ... then one of this size fails */
	int err;	/* with this */
};

static int limit_child(void *arg)
{
	const struct limit_case *lc = arg;
	struct iobmd_info info;
	int fd = sh->fd, i;
	__u32 h[8];

	CHK(!become_nobody(NULL, 0), "drop");
	for (i = 0; i < lc->n_ok; i++)
		CHK(!mkbuf(fd, 0, lc->size, &h[i]),
		    "buffer %d of %d", i + 1, lc->n_ok);
	h[i] = 0;
	CHK(FAILS(lc->err, mkbuf(fd, 0, lc->last, &h[i])) && !h[i],
	    "buffer beyond the limit");
	CHK(FAILS(ENOENT, _test_ioctl_get_info(fd, lc->n_ok + 1, &info)),
	    "a handle appeared");
	for (i = 0; i < lc->n_ok; i++)
		CHK(!_test_ioctl_release(fd, h[i]), "release");
	return 0;
}

/* Runs limit_child on a new file of root's, after root set the limit. */
static void limit_test(struct __test_metadata *_metadata, struct limit_case *lc)
{
	sh->fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, sh->fd);
	run_child(limit_child, lc);
	close(sh->fd);
}

TEST_F(iobmd_sec, limit_task_bytes)
{
	struct limit_case lc = { PAGE_SIZE, 4, PAGE_SIZE, EDQUOT };

	ASSERT_EQ(0, nl_set_limit(&self->nl, IOBMD_A_LIMIT_TASK_BYTES,
				  4 * PAGE_SIZE));
	limit_test(_metadata, &lc);
	test_held_nothing();
}

TEST_F(iobmd_sec, limit_total_descs)
{
	struct limit_case lc = { PAGE_SIZE, 3, PAGE_SIZE, ENFILE };
	long long live = iobmd_stat("descriptors");

	ASSERT_LE(0, live);
	ASSERT_EQ(0, nl_set_limit(&self->nl, IOBMD_A_LIMIT_TOTAL_DESCS,
				  live + 3));
	limit_test(_metadata, &lc);
	test_held_nothing();
}

TEST_F(iobmd_sec, limit_max_handles)
{
	struct limit_case lc = { PAGE_SIZE, 3, PAGE_SIZE, EMFILE };

	ASSERT_EQ(0, nl_set_limit(&self->nl, IOBMD_A_LIMIT_TASK_DESCS, 3));
	limit_test(_metadata, &lc);
	test_held_nothing();
}

/* Set through the module parameter rather than netlink. */
TEST_F(iobmd_sec, limit_max_capacity)
{
	struct limit_case lc = { 16 * PAGE_SIZE, 1, 17 * PAGE_SIZE, E2BIG };
	char value[32];

	snprintf(value, sizeof(value), "%lu\n", 16 * PAGE_SIZE);
	ASSERT_EQ(0, iobmd_write_file(MAX_CAPACITY_PARAM, value));
	ASSERT_EQ(16 * PAGE_SIZE, iobmd_max_capacity(self->fd));
	limit_test(_metadata, &lc);
	test_held_nothing();
}

/*
 * With max_capacity at its largest ("no limit" written as 2^64 - 1), a
 * capacity whose pages would wrap is E2BIG, and the largest one that does
 * not wrap fails as too large for RAM; nothing is created.
 */
TEST_F(iobmd_sec, limit_max_capacity_unbounded)
{
	__u32 h = 0;

	ASSERT_EQ(0, iobmd_write_file(MAX_CAPACITY_PARAM,
				      "18446744073709551615\n"));
	ASSERT_EQ(UINT64_MAX, iobmd_max_capacity(self->fd));
	EXPECT_ERRNO(E2BIG, mkbuf(self->fd, 0, UINT64_MAX - 100, &h));
	EXPECT_ERRNO(E2BIG, mkbuf(self->fd, 0, UINT64_MAX - PAGE_SIZE + 1, &h));
	EXPECT_ERRNO(ENOMEM, mkbuf(self->fd, 0, UINT64_MAX - PAGE_SIZE, &h));
	EXPECT_EQ(0, h);
	test_held_nothing();
}

/*
 * total_bytes counts what a buffer holds, and a contiguous buffer keeps no
 * alignment padding: 4 KiB aligned to 4 MiB by its mask takes 4 KiB (in
 * coherent_bytes), aligned as asked and below the mask's limit, so it fits
 * under a 2 MiB limit beside 2 MiB less a page of other buffers; then a
 * page more does not.
 */
TEST_F(iobmd_sec, limit_total_bytes_alignment)
{
	long long coherent = iobmd_stat("coherent_bytes");
	struct iobmd_segment *segs;
	__u32 big, h, h2 = 0, n;

	ASSERT_LE(0, coherent);
	ASSERT_EQ(0, nl_set_limit(&self->nl, IOBMD_A_LIMIT_TOTAL_BYTES,
				  SZ_2M));
	ASSERT_EQ(0, mkbuf(self->fd, 0, SZ_2M - PAGE_SIZE, &big));
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd,
					    IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT, PAGE_SIZE,
					    0, 0xFFC00000ULL, NULL, 0, &h));
	ASSERT_EQ(coherent + PAGE_SIZE, iobmd_stat("coherent_bytes"));
	test_get_all_segments(h, 0, 0, &segs, &n);
	ASSERT_EQ(1, n);
	ASSERT_EQ(0, segs[0].addr & (SZ_4M - 1));
	ASSERT_GE(0xFFFFFFFFULL, segs[0].addr + PAGE_SIZE - 1);
	free(segs);
	EXPECT_ERRNO(EDQUOT, mkbuf(self->fd, 0, PAGE_SIZE, &h2));
	EXPECT_ERRNO(EDQUOT, _test_ioctl_buf_create(self->fd,
						    IOBMD_BUF_CREATE_PHYS_MASK,
						    IOBMD_DIRECTION_INOUT,
						    PAGE_SIZE, 0, 0xFFC00000ULL,
						    NULL, 0, &h2));
	EXPECT_EQ(0, h2);
	test_ioctl_release(h);
	ASSERT_EQ(coherent, iobmd_stat("coherent_bytes"));
	/* The page it held is free for another. */
	ASSERT_EQ(0, mkbuf(self->fd, 0, PAGE_SIZE, &h2));
	test_ioctl_release(h2);
	test_ioctl_release(big);
	test_held_nothing();
}

/*
 * The same with the alignment asked for rather than implied by a mask:
 * 4 KiB aligned to 1 MiB, then to 2 MiB, take 4 KiB each, so both fit
 * under a 2 MiB limit.
 */
TEST_F(iobmd_sec, limit_total_bytes_alignment_asked)
{
	long long coherent = iobmd_stat("coherent_bytes");
	__u32 h, h2;

	ASSERT_LE(0, coherent);
	ASSERT_EQ(0, nl_set_limit(&self->nl, IOBMD_A_LIMIT_TOTAL_BYTES,
				  SZ_2M));
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, SZ_1M, 0, NULL, 0, &h));
	ASSERT_EQ(coherent + PAGE_SIZE, iobmd_stat("coherent_bytes"));
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, SZ_2M, 0, NULL, 0,
					    &h2));
	ASSERT_EQ(coherent + 2 * PAGE_SIZE, iobmd_stat("coherent_bytes"));
	test_ioctl_release(h2);
	test_ioctl_release(h);
	test_held_nothing();
}

/* --- per user: every file of a user counts together ------------------ */

#define OTHER_UID	65533
#define NONE		(~0ULL)

/* GET_STATS into @v by attribute type; those not in the answer are NONE. */
static int nl_get_stats(struct nlc *nl, __u64 *v)
{
	int i;

	for (i = 0; i <= IOBMD_A_MAX; i++)
		v[i] = NONE;
	return nl_call(nl, nl->family, IOBMD_CMD_GET_STATS, NLM_F_ACK, NULL, 0,
		       nl_values_cb, v);
}

/* uid and gid @uid, no supplementary group, hence no capability. */
static int become_user(uid_t uid)
{
	return setgroups(0, NULL) || setgid(uid) || setuid(uid) ? -1 : 0;
}

/* Three files of root's for the children, in sh->h[0..2]. */
static void open_files(struct __test_metadata *_metadata)
{
	int i;

	for (i = 0; i < 3; i++) {
		sh->h[i] = open(IOBMD_DEV_PATH, O_RDWR);
		ASSERT_LE(0, (int)sh->h[i]);
	}
}

/* Closing them frees whatever the children left there. */
static void close_files(void)
{
	int i;

	for (i = 0; i < 3; i++)
		close(sh->h[i]);
}

/* As nobody: four pages over two files, then neither file has room. */
static int user_bytes_child(void *arg)
{
	int a = sh->h[0], b = sh->h[1];
	__u32 h = 0, g = 0;
	__u64 s[IOBMD_A_MAX + 1];
	struct nlc nl;

	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!mkbuf(a, 0, 3 * PAGE_SIZE, &h) && !mkbuf(b, 0, PAGE_SIZE, &h),
	    "four pages over two files");
	h = 0;
	CHK(FAILS(EDQUOT, mkbuf(b, 0, PAGE_SIZE, &h)) && !h,
	    "a fifth page on the second file");
	CHK(FAILS(EDQUOT, mkbuf(a, 0, PAGE_SIZE, &h)) && !h,
	    "a fifth page on the first file");
	/* Descriptors of no memory of their own still fit. */
	CHK(!mkgen(a, &g, sizeof(g), &g), "general descriptor");
	CHK(!nl_open(&nl) && !nl_get_stats(&nl, s), "GET_STATS");
	close(nl.fd);
	CHK(s[IOBMD_A_STATS_USER_BYTES] == 4 * PAGE_SIZE &&
	    s[IOBMD_A_STATS_USER_DESCS] == 3,
	    "user figures %llu bytes, %llu descriptors",
	    s[IOBMD_A_STATS_USER_BYTES], s[IOBMD_A_STATS_USER_DESCS]);
	return 0;
}

/* Another user, on a third file, has four pages of its own. */
static int other_user_bytes_child(void *arg)
{
	__u32 h = 0;
	int i;

	CHK(!become_user(OTHER_UID), "drop");
	for (i = 0; i < 4; i++)
		CHK(!mkbuf(sh->h[2], 0, PAGE_SIZE, &h), "page %d", i + 1);
	h = 0;
	CHK(FAILS(EDQUOT, mkbuf(sh->h[2], 0, PAGE_SIZE, &h)) && !h,
	    "a fifth page");
	return 0;
}

/*
 * user_bytes holds over every file of a user (opening another file is no
 * way around it), and each user has its own.
 */
TEST_F(iobmd_sec, limit_user_bytes)
{
	ASSERT_EQ(0, nl_set_limit(&self->nl, IOBMD_A_LIMIT_USER_BYTES,
				  4 * PAGE_SIZE));
	open_files(_metadata);
	run_child(user_bytes_child, NULL);
	run_child(other_user_bytes_child, NULL);
	close_files();
	test_held_nothing();
}

/* As nobody: three descriptors over two files, then none more anywhere. */
static int user_descs_child(void *arg)
{
	int a = sh->h[0], b = sh->h[1];
	__u32 h = 0, g = 0;

	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!mkbuf(a, 0, PAGE_SIZE, &h) && !mkbuf(a, 0, PAGE_SIZE, &h) &&
	    !mkgen(b, &g, sizeof(g), &h), "three over two files");
	h = 0;
	CHK(FAILS(EMFILE, mkbuf(b, 0, PAGE_SIZE, &h)) && !h, "a fourth buffer");
	CHK(FAILS(EMFILE, mkgen(a, &g, sizeof(g), &h)) && !h,
	    "a fourth descriptor");
	return 0;
}

TEST_F(iobmd_sec, limit_user_descs)
{
	ASSERT_EQ(0, nl_set_limit(&self->nl, IOBMD_A_LIMIT_USER_DESCS, 3));
	open_files(_metadata);
	run_child(user_descs_child, NULL);
	close_files();
	test_held_nothing();
}

/* --- the ZONE_DMA budget ---------------------------------------------- */

#define ZMASK		0x0000000000FFF000ULL	/* everything below 16 MiB */
#define ZBUF		SZ_64K
#define ZMAX		64	/* 4 MiB: four budgets */
#define ZSLACK		64	/* pages the allocator's per-cpu lists may keep */

/* Free pages of node 0's ZONE_DMA in /proc/zoneinfo, or -1. */
static long long zone_dma_free(void)
{
	bool in_dma = false;
	long long v = -1;
	char line[256], zone[32];
	int node;
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %31s", &node, zone) == 2) {
			in_dma = node == 0 && !strcmp(zone, "DMA");
			continue;
		}
		if (in_dma && sscanf(line, " pages free %lld", &v) == 1)
			break;
	}
	fclose(f);
	return v;
}

/* A 64 KiB buffer below 16 MiB; 0 or -1/errno. */
static int mkzbuf(int fd, __u32 options, __u32 *h)
{
	return _test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				      IOBMD_DIRECTION_INOUT | options, ZBUF, 0,
				      ZMASK, NULL, 0, h);
}

/* Makes buffers on @fd until refused or @max; how many, errno in *@err. */
static int zone_fill(int fd, __u32 options, __u32 *h, int max, int *err)
{
	int n;

	*err = 0;
	for (n = 0; n < max; n++) {
		h[n] = 0;
		if (mkzbuf(fd, options, &h[n])) {
			*err = errno;
			break;
		}
	}
	return n;
}

/*
 * As nobody, 64 KiB buffers below 16 MiB (@arg: their options) until
 * refused: exactly the 1 MiB budget, EDQUOT, ZONE_DMA lost no more than
 * the budget, the refusal took nothing, the user's figures say so, and
 * all of it comes back.
 */
static int zone_dma_child(void *arg)
{
	const int want = SZ_1M / ZBUF;
	__u32 options = (uintptr_t)arg, h[ZMAX + 1];
	long long before, held, refused, after;
	int fd = sh->h[0], n, err, i;
	__u64 s[IOBMD_A_MAX + 1];
	struct nlc nl;

	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!nl_open(&nl), "netlink");
	before = zone_dma_free();
	CHK(before > 0, "no ZONE_DMA in /proc/zoneinfo");
	n = zone_fill(fd, options, h, ZMAX, &err);
	held = zone_dma_free();
	CHK(n == want && err == EDQUOT,
	    "as nobody: %d buffers of 64 KiB below 16 MiB (%d KiB), then errno %d; ZONE_DMA free pages %lld -> %lld",
	    n, n * 64, err, before, held);
	CHK(held >= before - want * (int)(ZBUF / PAGE_SIZE) - ZSLACK,
	    "ZONE_DMA free pages %lld -> %lld", before, held);
	CHK(FAILS(EDQUOT, mkzbuf(fd, options, &h[n])) && !h[n], "again");
	refused = zone_dma_free();
	CHK(refused >= held - ZSLACK && refused <= held + ZSLACK,
	    "the refusals moved ZONE_DMA free pages %lld -> %lld", held,
	    refused);
	CHK(!nl_get_stats(&nl, s), "GET_STATS");
	CHK(s[IOBMD_A_STATS_USER_ZONE_DMA] == SZ_1M &&
	    s[IOBMD_A_STATS_USER_BYTES] == SZ_1M &&
	    s[IOBMD_A_STATS_USER_DESCS] == (__u64)want,
	    "user figures: %llu ZONE_DMA bytes, %llu bytes, %llu descriptors",
	    s[IOBMD_A_STATS_USER_ZONE_DMA], s[IOBMD_A_STATS_USER_BYTES],
	    s[IOBMD_A_STATS_USER_DESCS]);
	for (i = 0; i < n; i++)
		CHK(!_test_ioctl_release(fd, h[i]), "release");
	CHK(!nl_get_stats(&nl, s) && !s[IOBMD_A_STATS_USER_ZONE_DMA] &&
	    !s[IOBMD_A_STATS_USER_BYTES] && !s[IOBMD_A_STATS_USER_DESCS],
	    "user figures after release: %llu, %llu, %llu",
	    s[IOBMD_A_STATS_USER_ZONE_DMA], s[IOBMD_A_STATS_USER_BYTES],
	    s[IOBMD_A_STATS_USER_DESCS]);
	after = zone_dma_free();
	CHK(after >= before - ZSLACK,
	    "ZONE_DMA free pages %lld at the end, %lld before", after, before);
	close(nl.fd);
	printf("# as nobody: %d buffers of 64 KiB below 16 MiB, then EDQUOT; ZONE_DMA free pages %lld, %lld held, %lld after the refusals, %lld released\n",
	       n, before, held, refused, after);
	fflush(stdout);
	return 0;
}

/*
 * Where ZONE_DMA is no scarce zone beneath a ZONE_DMA32 (arm64 on QEMU's
 * virt: no RAM below 16 MiB, ZONE_DMA all RAM below 4 GiB, ZONE_DMA32
 * empty) nothing is budgeted.  As nobody: memory below 16 MiB is ENOMEM
 * and charges nothing, and four budgets' worth of 32-bit-masked buffers
 * (@arg: their options), which lie in ZONE_DMA there, are all made and
 * charged to no ZONE_DMA budget.
 */
static int zone_dma_unbudgeted_child(void *arg)
{
	__u32 options = (uintptr_t)arg, h[ZMAX], z = 0;
	__u64 s[IOBMD_A_MAX + 1];
	int fd = sh->h[0], i;
	struct nlc nl;

	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!nl_open(&nl), "netlink");
	CHK(FAILS(ENOMEM, mkzbuf(fd, options, &z)) && !z,
	    "a buffer below 16 MiB: errno %d", errno);
	for (i = 0; i < ZMAX; i++)
		CHK(!_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT | options,
					    ZBUF, 0, 0x00000000FFFFF000ULL,
					    NULL, 0, &h[i]),
		    "32-bit buffer %d: errno %d", i, errno);
	CHK(!nl_get_stats(&nl, s), "GET_STATS");
	CHK(!s[IOBMD_A_STATS_USER_ZONE_DMA] &&
	    s[IOBMD_A_STATS_USER_BYTES] == (__u64)ZMAX * ZBUF,
	    "user figures: %llu ZONE_DMA bytes, %llu bytes",
	    s[IOBMD_A_STATS_USER_ZONE_DMA], s[IOBMD_A_STATS_USER_BYTES]);
	for (i = 0; i < ZMAX; i++)
		CHK(!_test_ioctl_release(fd, h[i]), "release");
	close(nl.fd);
	return 0;
}

/* The budget is the default, 1 MiB, over netlink and as the parameter. */
static void zone_dma_default(struct __test_metadata *_metadata,
			     const __u64 *limits)
{
	char buf[32] = "";
	FILE *f;

	EXPECT_EQ(SZ_1M, limits[IOBMD_A_LIMIT_USER_ZONE_DMA]);
	f = fopen("/sys/module/iobmd/parameters/user_zone_dma", "r");
	EXPECT_NE(NULL, f);
	if (f) {
		EXPECT_NE(NULL, fgets(buf, sizeof(buf), f));
		fclose(f);
	}
	EXPECT_EQ(SZ_1M, strtoull(buf, NULL, 0));
}

TEST_F(iobmd_sec, zone_dma_budget)
{
	zone_dma_default(_metadata, self->limits);
	open_files(_metadata);
	if (!iobmd_zone_dma32_present()) {
		run_child(zone_dma_unbudgeted_child, NULL);
		close_files();
		test_held_nothing();
		return;
	}
	run_child(zone_dma_child, NULL);
	close_files();
	test_held_nothing();
}

TEST_F(iobmd_sec, zone_dma_budget_contiguous)
{
	zone_dma_default(_metadata, self->limits);
	open_files(_metadata);
	if (!iobmd_zone_dma32_present()) {
		run_child(zone_dma_unbudgeted_child, (void *)(uintptr_t)IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
		close_files();
		test_held_nothing();
		return;
	}
	run_child(zone_dma_child, (void *)(uintptr_t)IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	close_files();
	test_held_nothing();
}

/* As nobody: half the budget on one file, the other half on another. */
static int zone_dma_two_files_child(void *arg)
{
	const int want = SZ_1M / ZBUF;
	__u32 h[ZMAX];
	int n, m, err;

	CHK(!become_nobody(NULL, 0), "drop");
	n = zone_fill(sh->h[0], 0, h, want / 2, &err);
	CHK(n == want / 2 && !err, "%d on the first file, errno %d", n, err);
	m = zone_fill(sh->h[1], IOBMD_OPT_PHYSICALLY_CONTIGUOUS, h, ZMAX, &err);
	CHK(m == want - n && err == EDQUOT,
	    "%d buffers on the first file, then %d on the second (errno %d)",
	    n, m, err);
	return 0;
}

/* Then another user has a budget of its own. */
static int zone_dma_other_user_child(void *arg)
{
	const int want = SZ_1M / ZBUF;
	__u32 h[ZMAX];
	int n, err;

	CHK(!become_user(OTHER_UID), "drop");
	n = zone_fill(sh->h[2], 0, h, ZMAX, &err);
	CHK(n == want && err == EDQUOT, "uid %d: %d buffers, then errno %d",
	    OTHER_UID, n, err);
	return 0;
}

TEST_F(iobmd_sec, zone_dma_budget_per_user)
{
	zone_dma_default(_metadata, self->limits);
	open_files(_metadata);
	if (!iobmd_zone_dma32_present()) {
		run_child(zone_dma_unbudgeted_child, NULL);
		close_files();
		test_held_nothing();
		return;
	}
	run_child(zone_dma_two_files_child, NULL);
	run_child(zone_dma_other_user_child, NULL);
	close_files();
	test_held_nothing();
}

/*
 * Root without CAP_SYS_RESOURCE (@arg 0), or root of a user namespace of
 * its own (@arg 1), is held to uid 0's budget, which root used up.
 */
static int zone_dma_root_child(void *arg)
{
	__u32 h = 0;

	if (arg)
		CHK(!unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)");
	else
		CHK(!iobmd_drop_cap(CAP_SYS_RESOURCE), "drop");
	CHK(FAILS(EDQUOT, mkzbuf(sh->h[0], 0, &h)) && !h,
	    "a buffer below 16 MiB beyond uid 0's budget");
	return 0;
}

/* Root (CAP_SYS_RESOURCE) is not held to the budget. */
TEST_F(iobmd_sec, zone_dma_budget_root)
{
	const int want = 2 * SZ_1M / ZBUF;
	__u32 h[ZMAX];
	__u64 s[IOBMD_A_MAX + 1];
	int n, err, i;

	zone_dma_default(_metadata, self->limits);
	open_files(_metadata);
	if (!iobmd_zone_dma32_present()) {
		run_child(zone_dma_unbudgeted_child, NULL);
		close_files();
		test_held_nothing();
		return;
	}
	n = zone_fill(self->fd, 0, h, want, &err);
	ASSERT_EQ(want, n) TH_LOG("errno %d", err);
	ASSERT_EQ(0, nl_get_stats(&self->nl, s));
	EXPECT_EQ(2 * SZ_1M, s[IOBMD_A_STATS_USER_ZONE_DMA]);
	run_child(zone_dma_root_child, NULL);
	run_child(zone_dma_root_child, (void *)1);
	for (i = 0; i < n; i++)
		test_ioctl_release(h[i]);
	close_files();
	test_held_nothing();
}

/* --- GET_STATS: each user its own figures ----------------------------- */

/* Module-wide figures: only for CAP_SYS_ADMIN. */
static const int module_stats[] = {
	IOBMD_A_STATS_BUFFERS, IOBMD_A_STATS_GENERALS, IOBMD_A_STATS_SUBS,
	IOBMD_A_STATS_MULTIS, IOBMD_A_STATS_INTERLEAVEDS,
	IOBMD_A_STATS_DEVICES, IOBMD_A_STATS_BYTES_ZONE_DMA,
	IOBMD_A_STATS_BYTES_ZONE_DMA32, IOBMD_A_STATS_BYTES_ZONE_NORMAL,
	IOBMD_A_STATS_BYTES_COHERENT, IOBMD_A_STATS_BYTES_PINNED,
	IOBMD_A_STATS_BYTES_DEVICE, IOBMD_A_STATS_MAPPINGS,
	IOBMD_A_STATS_PREPARES, IOBMD_A_STATS_ALLOC_FAILURES,
};

/*
 * Nobody (@arg NULL) with a 3-page buffer of its own, or root without
 * CAP_SYS_ADMIN: no module-wide figure, its user's figures only.
 */
static int stats_child(void *arg)
{
	__u64 s[IOBMD_A_MAX + 1], descs, bytes;
	unsigned int i;
	struct nlc nl;
	__u32 h;

	if (arg) {
		CHK(!iobmd_drop_cap(CAP_SYS_ADMIN), "drop");
		descs = 2;		/* root's, made by the test */
		bytes = 5 * PAGE_SIZE;
	} else {
		CHK(!become_nobody(NULL, 0), "drop");
		CHK(!mkbuf(sh->h[0], 0, 3 * PAGE_SIZE, &h), "buffer");
		descs = 1;
		bytes = 3 * PAGE_SIZE;
	}
	CHK(!nl_open(&nl) && !nl_get_stats(&nl, s), "GET_STATS");
	close(nl.fd);
	for (i = 0; i < ARRAY_SIZE(module_stats); i++)
		CHK(s[module_stats[i]] == NONE,
		    "module-wide attribute %d shown: %llu", module_stats[i],
		    s[module_stats[i]]);
	CHK(s[IOBMD_A_STATS_USER_DESCS] == descs &&
	    s[IOBMD_A_STATS_USER_BYTES] == bytes &&
	    s[IOBMD_A_STATS_USER_ZONE_DMA] == 0,
	    "user figures %llu descriptors, %llu bytes, %llu ZONE_DMA bytes",
	    s[IOBMD_A_STATS_USER_DESCS], s[IOBMD_A_STATS_USER_BYTES],
	    s[IOBMD_A_STATS_USER_ZONE_DMA]);
	return 0;
}

TEST_F(iobmd_sec, nl_stats_own_user_only)
{
	__u64 s[IOBMD_A_MAX + 1];
	unsigned int i;
	__u32 a, b;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE, 0, &b);
	open_files(_metadata);
	run_child(stats_child, NULL);
	run_child(stats_child, (void *)1);
	/* Root sees everything: its own and nobody's buffers. */
	ASSERT_EQ(0, nl_get_stats(&self->nl, s));
	for (i = 0; i < ARRAY_SIZE(module_stats); i++)
		EXPECT_NE(NONE, s[module_stats[i]]) TH_LOG("%d", module_stats[i]);
	EXPECT_LE(3, s[IOBMD_A_STATS_BUFFERS]);
	EXPECT_EQ(2, s[IOBMD_A_STATS_USER_DESCS]);
	EXPECT_EQ(5 * PAGE_SIZE, s[IOBMD_A_STATS_USER_BYTES]);
	close_files();
	test_ioctl_release(a);
	test_ioctl_release(b);
	test_held_nothing();
}

static int memcg_child(void *arg)
{
	char procs[160];
	__u32 h = 0;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", (char *)arg);
	CHK(!iobmd_write_file(procs, "0"), "joining %s", procs);
	CHK(!become_nobody(NULL, 0), "drop");
	CHK(FAILS(ENOMEM, mkbuf(sh->fd, 0, SZ_64M, &h)) && !h, "64 MiB in 32");
	CHK(!mkbuf(sh->fd, 0, SZ_4M, &h), "4 MiB in 32");
	CHK(!_test_ioctl_release(sh->fd, h), "release");
	return 0;
}

/* memory.max holds for nobody: ENOMEM, no OOM kill. */
TEST_F(iobmd_sec, memcg_limit)
{
	long long oom_kills = iobmd_file_value("/proc/vmstat", "oom_kill");
	char path[192];
	struct statfs sfs;

	ASSERT_LE(0, oom_kills);
	ASSERT_EQ(0, statfs(CGROUP_ROOT, &sfs));
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		ASSERT_EQ(0, mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL));
		self->cg_mounted = true;
	}
	ASSERT_EQ(0, iobmd_write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory"));
	snprintf(self->cg, sizeof(self->cg), CGROUP_ROOT "/iobmd_sec.%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", self->cg);
	ASSERT_EQ(0, iobmd_write_file(path, "33554432"));
	sh->fd = self->fd;
	run_child(memcg_child, self->cg);
	snprintf(path, sizeof(path), "%s/memory.events", self->cg);
	EXPECT_LT(0, iobmd_file_value(path, "max"));
	EXPECT_EQ(0, iobmd_file_value(path, "oom"));
	EXPECT_EQ(0, iobmd_file_value(path, "oom_kill"));
	EXPECT_EQ(oom_kills, iobmd_file_value("/proc/vmstat", "oom_kill"));
	test_held_nothing();
}

TEST_HARNESS_MAIN

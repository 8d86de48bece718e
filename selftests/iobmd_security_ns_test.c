// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, namespaces: the descriptor dump gives each
 * creator's pid and uid as the process that asked sees them from its pid
 * and user namespaces: pid 0 for a creator outside its pid namespace, the
 * overflow uid (kernel.overflowuid) for a uid its user namespace does not
 * map.  The initial namespaces see the global numbers.  A dump read on by
 * a process in other namespaces still numbers them as the asker does.
 *
 * Runs as root.  Buffers are told apart in a dump by their capacities,
 * which no other live descriptor has.
 */
#include <sched.h>
#include <sys/wait.h>

#include "iobmd_security.h"

#define CAP_A	(3 * PAGE_SIZE)		/* made by the test process */
#define CAP_B	(5 * PAGE_SIZE)		/* made by a child */
#define CAP_C	(7 * PAGE_SIZE)		/* made by a child, as OUTSIDE_UID */
#define OUTSIDE_UID 1000		/* uid 0 in the child's user namespace */
#define HANDOFF_BUFS 100		/* more than one datagram's worth */

/*
 * The buffers of capacity CAP_A, CAP_B and CAP_C in a dump: how many, the
 * creator's pid and uid the first one gave, and how many gave others.
 */
struct seen {
	int n[3], mixed[3];
	__u64 pid[3], uid[3];
};

static int seen_cb(const struct nlmsghdr *h, void *arg)
{
	const __u64 caps[] = { CAP_A, CAP_B, CAP_C };
	__u64 v[IOBMD_A_MAX + 1] = { 0 };
	struct seen *s = arg;
	int i;

	if (h->nlmsg_type < NLMSG_MIN_TYPE)
		return 0;
	nl_attrs(h, nl_value_attr, v);
	for (i = 0; i < 3; i++) {
		if (v[IOBMD_A_DESC_CAPACITY] != caps[i])
			continue;
		if (!s->n[i]++) {
			s->pid[i] = v[IOBMD_A_DESC_PID];
			s->uid[i] = v[IOBMD_A_DESC_UID];
		} else if (s->pid[i] != v[IOBMD_A_DESC_PID] ||
			   s->uid[i] != v[IOBMD_A_DESC_UID]) {
			s->mixed[i]++;
		}
	}
	return 0;
}

/* kernel.overflowuid: the uid shown for one a namespace does not map. */
static __u64 overflow_uid(void)
{
	unsigned int uid = 0;
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "r");

	if (f) {
		if (fscanf(f, "%u", &uid) != 1)
			uid = 0;
		fclose(f);
	}
	return uid;
}

/* A dump from this process, on a socket it opens now. */
static int dump(struct seen *s)
{
	struct nlc nl;
	int ret;

	memset(s, 0, sizeof(*s));
	if (nl_open(&nl))
		return -1;
	ret = nl_call(&nl, nl.family, IOBMD_CMD_GET_DESC, NLM_F_DUMP, NULL, 0,
		      seen_cb, s);
	close(nl.fd);
	return ret;
}

FIXTURE(iobmd_ns)
{
	int fd;
	struct iobmd_test_stats stats;	/* as found; must be so at the end */
	struct stat node;
};

FIXTURE_SETUP(iobmd_ns)
{
	sec_setup(_metadata, &self->fd, &self->node, &self->stats);
}

FIXTURE_TEARDOWN_PARENT(iobmd_ns)
{
	sec_teardown_held(_metadata, &self->stats);
}

/* --- pid namespaces -------------------------------------------------- */

/* pid 1 of a new pid namespace: makes B and sees itself as 1, A as 0. */
static int pid_ns_init(void)
{
	struct seen s;

	CHK(getpid() == 1, "pid %d in the new namespace", getpid());
	CHK(!mkbuf(sh->fd, 0, CAP_B, &sh->h[0]), "buffer B");
	CHK(!dump(&s), "GET_DESC");
	CHK(s.n[0] == 1 && s.n[1] == 1, "dump: %d of A, %d of B", s.n[0],
	    s.n[1]);
	CHK(s.pid[1] == 1, "B's creator: pid %llu, not 1",
	    (unsigned long long)s.pid[1]);
	CHK(s.pid[0] == 0, "A's creator, outside: pid %llu, not 0",
	    (unsigned long long)s.pid[0]);
	return 0;
}

/* Starts pid 1 of a new pid namespace; its pid here goes to sh->pid. */
static int pid_ns_child(void *arg)
{
	int status;
	pid_t pid;

	CHK(!unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)");
	pid = fork();
	CHK(pid >= 0, "fork");
	if (pid == 0)
		_exit(pid_ns_init());
	sh->pid = pid;
	CHK(waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	    "pid 1 of the namespace did not exit");
	return WEXITSTATUS(status);
}

/*
 * A process in a child pid namespace sees its own buffer's creator as its
 * own pid there (1) and one outside as 0; the initial namespace sees the
 * global pids.
 */
TEST_F(iobmd_ns, dump_pid_namespace)
{
	struct seen s;
	__u32 a;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, CAP_A, 0, &a);
	sh->fd = self->fd;
	run_child(pid_ns_child, NULL);
	ASSERT_EQ(0, dump(&s));
	ASSERT_EQ(1, s.n[0]);
	ASSERT_EQ(1, s.n[1]);
	EXPECT_EQ((__u64)getpid(), s.pid[0]);
	EXPECT_EQ((__u64)sh->pid, s.pid[1]);
	EXPECT_EQ(0, s.uid[0]);
	EXPECT_EQ(0, s.uid[1]);
	test_ioctl_release(sh->h[0]);
	test_ioctl_release(a);
	test_held_nothing();
}

/* --- user namespaces ------------------------------------------------- */

/*
 * Makes B as root, enters a new user namespace whose uid 0 is
 * OUTSIDE_UID outside (the parent writes the map once it reads a byte
 * from @ends[1]'s other end and answers on @ends[0]'s; @ends[2] and [3]
 * are the parent's ends), becomes that uid, makes C, and dumps: B's uid 0
 * is not mapped there (sh->cookie, the overflow uid), C's is 0.
 */
static int user_ns_child(void *arg)
{
	const int *ends = arg;
	struct seen s;
	char c = 0;

	close(ends[2]);
	close(ends[3]);
	CHK(!mkbuf(sh->fd, 0, CAP_B, &sh->h[0]), "buffer B");
	CHK(!unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)");
	CHK(write(ends[1], &c, 1) == 1 && read(ends[0], &c, 1) == 1 &&
	    c == 'm', "the parent did not write the map");
	CHK(!setresuid(0, 0, 0), "setresuid in the namespace");
	CHK(geteuid() == 0, "euid %d", geteuid());
	CHK(!mkbuf(sh->fd, 0, CAP_C, &sh->h[1]), "buffer C");
	CHK(!dump(&s), "GET_DESC");
	/* Outside the initial user namespace: its own descriptors only. */
	CHK(s.n[0] == 0 && s.n[1] == 1 && s.n[2] == 1,
	    "dump: %d of A, %d of B, %d of C", s.n[0], s.n[1], s.n[2]);
	CHK(s.uid[1] == sh->cookie, "B's uid %llu, not %llu",
	    (unsigned long long)s.uid[1], (unsigned long long)sh->cookie);
	CHK(s.uid[2] == 0, "C's uid %llu, not 0", (unsigned long long)s.uid[2]);
	CHK(s.pid[1] == (__u64)getpid() && s.pid[2] == (__u64)getpid(),
	    "pids %llu and %llu, not %d", (unsigned long long)s.pid[1],
	    (unsigned long long)s.pid[2], getpid());
	return 0;
}

/*
 * A process in a child user namespace sees the uids of its descriptors'
 * creators as mapped there; the initial namespace sees the global ones.
 */
TEST_F(iobmd_ns, dump_user_namespace)
{
	int to_child[2], to_parent[2], ends[4], status;
	char map[32], path[64], c;
	struct seen s;
	pid_t pid;
	__u32 a;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, CAP_A, 0, &a);
	sh->fd = self->fd;
	sh->note[0] = 0;
	sh->cookie = overflow_uid();
	ASSERT_NE(0, sh->cookie);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ends[0] = to_child[0];
		ends[1] = to_parent[1];
		ends[2] = to_child[1];
		ends[3] = to_parent[0];
		_exit(user_ns_child(ends));
	}
	close(to_child[0]);
	close(to_parent[1]);
	/* A child that failed before asking has closed its ends. */
	if (read(to_parent[0], &c, 1) == 1) {
		snprintf(map, sizeof(map), "0 %d 1\n", OUTSIDE_UID);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		EXPECT_EQ(0, iobmd_write_file(path, map));
		c = 'm';
		EXPECT_EQ(1, write(to_child[1], &c, 1));
	}
	close(to_child[1]);
	close(to_parent[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("%s", sh->note);
	ASSERT_EQ(0, dump(&s));
	ASSERT_EQ(1, s.n[0]);
	ASSERT_EQ(1, s.n[1]);
	ASSERT_EQ(1, s.n[2]);
	EXPECT_EQ(0, s.uid[0]);
	EXPECT_EQ(0, s.uid[1]);
	EXPECT_EQ(OUTSIDE_UID, s.uid[2]);
	EXPECT_EQ((__u64)pid, s.pid[1]);
	EXPECT_EQ((__u64)pid, s.pid[2]);
	test_ioctl_release(sh->h[0]);
	test_ioctl_release(sh->h[1]);
	test_ioctl_release(a);
	test_held_nothing();
}

/* --- a dump read on in other namespaces ------------------------------ */

static struct seen *rest;	/* shared with the reader */

/* pid 1 of new pid and user namespaces (no uid mapped): reads the rest. */
static int handoff_reader(int fd)
{
	int ret;

	CHK(getpid() == 1, "pid %d in the new namespace", getpid());
	CHK(!unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)");
	ret = nl_dump_recv(fd, seen_cb, rest, true);
	CHK(ret == 0, "the rest of the dump: %d", ret);
	return 0;
}

/* Starts the reader of the dump on socket @arg in a new pid namespace. */
static int handoff_child(void *arg)
{
	int fd = (intptr_t)arg, status;
	pid_t pid;

	CHK(!unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)");
	pid = fork();
	CHK(pid >= 0, "fork");
	if (pid == 0)
		_exit(handoff_reader(fd));
	CHK(waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	    "the reader did not exit");
	return WEXITSTATUS(status);
}

/*
 * Root asks for a dump of HANDOFF_BUFS buffers and reads its first
 * datagram; a process in other pid and user namespaces, where neither
 * root's pid nor uid 0 has a number, reads the rest: it still gets every
 * buffer, numbered as the asker numbers them.
 */
TEST_F(iobmd_ns, dump_handed_over_namespaces)
{
	struct seen first;
	__u32 h[HANDOFF_BUFS];
	struct nlc nl;
	int i, fd;

	for (i = 0; i < HANDOFF_BUFS; i++)
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, CAP_A, 0, &h[i]);
	rest = mmap(NULL, sizeof(*rest), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rest);
	memset(rest, 0, sizeof(*rest));
	memset(&first, 0, sizeof(first));
	ASSERT_EQ(0, nl_open(&nl));
	close(nl.fd);
	fd = nl_dump_request(nl.family);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, nl_dump_recv(fd, seen_cb, &first, false));
	ASSERT_LT(0, first.n[0]);
	ASSERT_GT(HANDOFF_BUFS, first.n[0]);
	run_child(handoff_child, (void *)(intptr_t)fd);
	close(fd);
	EXPECT_EQ(HANDOFF_BUFS, first.n[0] + rest->n[0]);
	EXPECT_EQ(0, first.mixed[0] + rest->mixed[0]);
	EXPECT_EQ((__u64)getpid(), first.pid[0]);
	EXPECT_EQ((__u64)getpid(), rest->pid[0]);
	EXPECT_EQ(0, first.uid[0]);
	EXPECT_EQ(0, rest->uid[0]);
	EXPECT_EQ(0, munmap(rest, sizeof(*rest)));
	for (i = 0; i < HANDOFF_BUFS; i++)
		test_ioctl_release(h[i]);
	test_held_nothing();
}

TEST_HARNESS_MAIN

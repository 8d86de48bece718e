// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, access: an unprivileged caller (see
 * iobmd_security.h) cannot describe device or physical memory, cannot
 * reach another open file's handles, and cannot open the default node -
 * nor the node the shipped udev rule makes unless it is in the rule's
 * group.
 *
 * The udev rule is read from $IOBMD_UDEV_RULES, else
 * /etc/udev/rules.d/60-iobmd.rules, else 60-iobmd.rules beside this
 * program; the test fails when none exists.  Runs as root, alone: every
 * test puts the module's counters and /dev/iobmd back as found.
 */
#include <libgen.h>
#include <linux/capability.h>

#include "iobmd_security.h"

#define RULE_GID	4242	/* stands for the rule's GROUP: no /etc/group */
#define RULES_NAME	"60-iobmd.rules"

/* --- the fixture ----------------------------------------------------- */

/* See "the fixtures' common part" in iobmd_security.h. */
FIXTURE(iobmd_sec)
{
	int fd;
	struct iobmd_test_stats stats;	/* as found; must be so at the end */
	struct stat node;		/* /dev/iobmd as found; restored */
};

FIXTURE_SETUP(iobmd_sec)
{
	sec_setup(_metadata, &self->fd, &self->node, &self->stats);
}

FIXTURE_TEARDOWN_PARENT(iobmd_sec)
{
	EXPECT_EQ(0, chown(IOBMD_DEV_PATH, self->node.st_uid,
			   self->node.st_gid));
	EXPECT_EQ(0, chmod(IOBMD_DEV_PATH, self->node.st_mode & 07777));
	sec_teardown_held(_metadata, &self->stats);
}

/* --- device memory is refused ------------------------------------------ */

static int device_child(void *arg)
{
	struct iobmd_range ram = { sh->page[0], PAGE_SIZE };
	struct iobmd_range mmio = { IOBMD_TEST_NOT_RAM, PAGE_SIZE };
	struct iobmd_info info;
	int fd = sh->fd;
	__u32 h = 0;

	CHK(!unprivilege((intptr_t)arg), "drop");
	CHK(FAILS(EPERM, _test_ioctl_device_create(fd, IOBMD_TEST_NOT_RAM,
						   PAGE_SIZE, &h)) && !h,
	    "device of MMIO");
	CHK(FAILS(EPERM, _test_ioctl_device_create(fd, sh->page[0],
						   PAGE_SIZE, &h)) && !h,
	    "device of RAM");
	CHK(FAILS(EPERM, _test_ioctl_general_create(fd, IOBMD_GENERAL_PHYSICAL,
						    IOBMD_DIRECTION_INOUT,
						    &ram, 1, &h)) && !h,
	    "physical RAM");
	CHK(FAILS(EPERM, _test_ioctl_general_create(fd, IOBMD_GENERAL_PHYSICAL,
						    IOBMD_DIRECTION_INOUT,
						    &mmio, 1, &h)) && !h,
	    "physical MMIO");
	/* The file still holds only root's buffer. */
	CHK(FAILS(ENOENT, _test_ioctl_get_info(fd, sh->h[0] + 1, &info)),
	    "a handle appeared");
	return 0;
}

static void device_refused(struct __test_metadata *_metadata, int fd,
			   int how)
{
	struct iobmd_range ram;
	struct iobmd_test_stats before, after;
	__u32 h, buf;

	sh->npages = 0;
	ASSERT_EQ(0, mkbuf(fd, 0, PAGE_SIZE, &buf));
	ASSERT_EQ(0, _test_ioctl_prepare(fd, IOBMD_PREPARE, buf, 0));
	ASSERT_LT(0, collect(fd, buf));
	ram.address = sh->page[0];
	ram.length = PAGE_SIZE;
	/* With every capability the same requests work. */
	ASSERT_EQ(0, _test_ioctl_device_create(fd, IOBMD_TEST_NOT_RAM,
					       PAGE_SIZE, &h));
	ASSERT_EQ(0, _test_ioctl_release(fd, h));
	ASSERT_EQ(0, _test_ioctl_general_create(fd, IOBMD_GENERAL_PHYSICAL,
						IOBMD_DIRECTION_INOUT, &ram, 1,
						&h));
	ASSERT_EQ(0, _test_ioctl_release(fd, h));

	sh->h[0] = buf;
	sh->fd = fd;
	ASSERT_EQ(0, iobmd_read_stats(&before));
	run_child(device_child, (void *)(intptr_t)how);
	ASSERT_EQ(0, iobmd_read_stats(&after));
	ASSERT_STREQ("", iobmd_stats_diff(&before, &after));
	ASSERT_EQ(0, _test_ioctl_release(fd, buf));
}

TEST_F(iobmd_sec, device_refused_unprivileged)
{
	IOBMD_NEED_PHYS_RAM();
	device_refused(_metadata, self->fd, -1);
	test_held_nothing();
}

TEST_F(iobmd_sec, device_refused_without_rawio)
{
	IOBMD_NEED_PHYS_RAM();
	device_refused(_metadata, self->fd, CAP_SYS_RAWIO);
	test_held_nothing();
}

/* --- another file's handles are unreachable --------------------------- */

enum { A_BUF, A_PURG, A_GEN, A_SUB, A_IL, NR_A };

/*
 * On @fdb, a file that holds handles NR_A + 1 (interleaved) and NR_A + 2
 * (a buffer) only, every command given a handle of file A fails with
 * ENOENT (GET_SEGMENTS: EPERM without CAP_SYS_ADMIN, checked first), and
 * mmap() of A's cookie with EINVAL.  Returns 0 or 1 with a note.
 */
static int cross_fd(int fdb, bool admin)
{
	__u32 bil = NR_A + 1, bbuf = NR_A + 2, h, pieces[2];
	struct iobmd_segment seg;
	struct iobmd_info info;
	__u8 b = 0x77;
	__u64 v;
	int i, k;
	void *p;

/* In cross_fd(): @call, given A's handle @a, fails with ENOENT. */
#define NOENT(call, what) CHK(FAILS(ENOENT, call), "%s of A's %u", what, a)

	for (i = 0; i < NR_A; i++) {
		static const unsigned long sets[] = {
			IOBMD_SET_LENGTH, IOBMD_SET_DIRECTION, IOBMD_SET_TAG,
			IOBMD_SET_PURGEABLE, IOBMD_INTERLEAVED_CLEAR,
		};
		__u32 a = sh->h[i], count = 1;

		NOENT(_test_ioctl_get_info(fdb, a, &info), "info");
		for (k = 0; k < (int)ARRAY_SIZE(sets); k++)
			NOENT(_test_ioctl_set(fdb, sets[k], a, 1, &v), "set");
		NOENT(_test_ioctl_rw(fdb, IOBMD_APPEND, a, 0, &b, 1, NULL), "append");
		NOENT(_test_ioctl_rw(fdb, IOBMD_READ, a, 0, &b, 1, NULL), "read");
		NOENT(_test_ioctl_rw(fdb, IOBMD_WRITE, a, 0, &b, 1, NULL), "write");
		for (k = 0; k < 2; k++)
			CHK(FAILS(admin ? ENOENT : EPERM,
				  _test_ioctl_get_segments_flags(fdb, a, k, 0, 0, &seg,
								 &count, NULL)),
			    "segments of A's %u", a);
		NOENT(_test_ioctl_map(fdb, a, 0, 0, 0, &v), "map");
		h = 0;
		NOENT(_test_ioctl_sub_create(fdb, a, IOBMD_DIRECTION_INOUT, 0, 1, &h), "sub");
		pieces[0] = bbuf;
		pieces[1] = a;
		NOENT(_test_ioctl_multi_create(fdb, IOBMD_DIRECTION_INOUT, pieces, 2, &h),
		      "multi");
		NOENT(_test_ioctl_multi_create(fdb, IOBMD_DIRECTION_INOUT, &a, 1, &h),
		      "multi alone");
		CHK(!h, "a handle came back");
		NOENT(_test_ioctl_interleaved_set(fdb, bil, a, 0, 1), "piece");
		NOENT(_test_ioctl_interleaved_set(fdb, a, bbuf, 0, 1), "interleaved");
		NOENT(_test_ioctl_prepare(fdb, IOBMD_PREPARE, a, 0), "prepare");
		NOENT(_test_ioctl_prepare(fdb, IOBMD_COMPLETE, a, 0), "complete");
		NOENT(_test_ioctl_perform(fdb, a, IOBMD_OP_FLUSH, 0, 1), "perform");
		NOENT(_test_ioctl_release(fdb, a), "release");
	}
#undef NOENT
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, fdb, sh->cookie);
	CHK(p == MAP_FAILED && errno == EINVAL, "mmap of A's cookie");
	/* File B's own descriptors are untouched, and it made none. */
	CHK(!_test_ioctl_interleaved_set(fdb, bil, bbuf, 0, 1), "B's own");
	/* Handles are handed out cyclically: after B's own two. */
	CHK(!mkbuf(fdb, 0, PAGE_SIZE, &h) && h == NR_A + 3, "next handle %u",
	    h);
	CHK(!_test_ioctl_release(fdb, h) && !_test_ioctl_release(fdb, bil) &&
	    !_test_ioctl_release(fdb, bbuf), "release B's");
	return 0;
}

/* Opens file B with handles NR_A + 1 and NR_A + 2 alone; fd or -1. */
static int open_b(void)
{
	int fd = open(IOBMD_DEV_PATH, O_RDWR), i;
	__u32 h;

	for (i = 0; fd >= 0 && i < NR_A; i++)
		if (mkbuf(fd, 0, PAGE_SIZE, &h))
			return -1;
	if (fd < 0 ||
	    _test_ioctl_interleaved_create(fd, IOBMD_DIRECTION_INOUT, 2, &h) ||
	    h != NR_A + 1 ||
	    mkbuf(fd, 0, PAGE_SIZE, &h) || h != NR_A + 2)
		return -1;
	for (i = 1; i <= NR_A; i++)
		if (_test_ioctl_release(fd, i))
			return -1;
	return fd;
}

static int cross_child(void *arg)
{
	int how = (intptr_t)arg, fd = open_b();

	CHK(fd >= 0, "file B");
	CHK(how == 0 || !unprivilege(how), "drop");
	return cross_fd(fd, how == 0);
}

/* A's state: every GET_INFO answer and the buffer's bytes. */
static void snapshot_a(struct __test_metadata *_metadata, int fd,
		       struct iobmd_info *info, __u8 *bytes)
{
	int i;

	for (i = 0; i < NR_A; i++)
		ASSERT_EQ(0, _test_ioctl_get_info(fd, sh->h[i], &info[i]));
	ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_READ, sh->h[A_BUF], 0, bytes,
				    2 * PAGE_SIZE, NULL));
}

/*
 * File A's descriptors, used through file B: @how 0 in this process, 1 in
 * another root process, -1 in another unprivileged one.
 */
static void cross_fd_test(struct __test_metadata *_metadata, int fd, int how)
{
	struct iobmd_info before[NR_A], after[NR_A];
	struct iobmd_test_stats s0, s1;
	__u8 *area = iobmd_user_area(2, 3), b0[8192], b1[8192];
	__u8 *p;
	int fdb;

	ASSERT_NE(NULL, area);
	ASSERT_EQ(0, mkbuf(fd, 0, 2 * PAGE_SIZE, &sh->h[A_BUF]));
	ASSERT_EQ(0, mkbuf(fd, IOBMD_OPT_PURGEABLE, PAGE_SIZE, &sh->h[A_PURG]));
	ASSERT_EQ(0, mkgen(fd, area, 2 * PAGE_SIZE, &sh->h[A_GEN]));
	ASSERT_EQ(0, _test_ioctl_sub_create(fd, sh->h[A_BUF],
					    IOBMD_DIRECTION_INOUT, 1, 100,
					    &sh->h[A_SUB]));
	ASSERT_EQ(0, _test_ioctl_interleaved_create(fd, IOBMD_DIRECTION_INOUT,
						    2, &sh->h[A_IL]));
	ASSERT_EQ(0, _test_ioctl_interleaved_set(fd, sh->h[A_IL], sh->h[A_BUF],
						 0, PAGE_SIZE));
	ASSERT_EQ(0, _test_ioctl_prepare(fd, IOBMD_PREPARE, sh->h[A_BUF], 0));
	ASSERT_EQ(0, _test_ioctl_prepare(fd, IOBMD_PREPARE, sh->h[A_GEN], 0));
	ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, sh->h[A_BUF], 0, area,
				    2 * PAGE_SIZE, NULL));
	ASSERT_EQ(0, _test_ioctl_map(fd, sh->h[A_BUF], 0, 0, 0, &sh->cookie));
	/* File B's own handles are NR_A + 1 and + 2: no name is shared. */
	for (fdb = 0; fdb < NR_A; fdb++)
		ASSERT_GE(NR_A, sh->h[fdb]);
	snapshot_a(_metadata, fd, before, b0);
	ASSERT_EQ(0, iobmd_read_stats(&s0));

	if (how == 0) {
		fdb = open_b();
		ASSERT_LE(0, fdb);
		sh->note[0] = 0;
		EXPECT_EQ(0, cross_fd(fdb, true)) TH_LOG("%s", sh->note);
		close(fdb);
	} else {
		run_child(cross_child, (void *)(intptr_t)(how > 0 ? 0 : -1));
	}

	ASSERT_EQ(0, iobmd_read_stats(&s1));
	EXPECT_STREQ("", iobmd_stats_diff(&s0, &s1));
	snapshot_a(_metadata, fd, after, b1);
	EXPECT_EQ(0, memcmp(before, after, sizeof(before)));
	EXPECT_EQ(0, memcmp(b0, b1, sizeof(b0)));
	/* The cookie works on its own file. */
	p = iobmd_mmap(fd, sh->cookie, 2 * PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, area, 2 * PAGE_SIZE));
	munmap(p, 2 * PAGE_SIZE);
	ASSERT_EQ(0, _test_ioctl_release(fd, sh->h[A_IL]));
	ASSERT_EQ(0, _test_ioctl_release(fd, sh->h[A_SUB]));
	ASSERT_EQ(0, _test_ioctl_release(fd, sh->h[A_GEN]));
	ASSERT_EQ(0, _test_ioctl_release(fd, sh->h[A_PURG]));
	ASSERT_EQ(0, _test_ioctl_release(fd, sh->h[A_BUF]));
	munmap(area, 2 * PAGE_SIZE);
}

TEST_F(iobmd_sec, cross_fd_same_process)
{
	cross_fd_test(_metadata, self->fd, 0);
	test_held_nothing();
}

TEST_F(iobmd_sec, cross_fd_other_process)
{
	cross_fd_test(_metadata, self->fd, 1);
	test_held_nothing();
}

TEST_F(iobmd_sec, cross_fd_other_process_unprivileged)
{
	cross_fd_test(_metadata, self->fd, -1);
	test_held_nothing();
}

/* --- the device node -------------------------------------------------- */

/* Opens /dev/iobmd as nobody with @arg's groups (NULL: none). */
static int open_child(void *arg)
{
	gid_t g = RULE_GID;
	__u32 h;
	int fd;

	CHK(!become_nobody(arg ? &g : NULL, arg ? 1 : 0), "drop");
	fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (!arg) {
		CHK(fd == -1 && errno == EACCES, "open for writing");
		CHK(FAILS(EACCES, open(IOBMD_DEV_PATH, O_RDONLY)), "open for reading");
		return 0;
	}
	CHK(fd >= 0, "open as a member of the group");
	CHK(!mkbuf(fd, 0, PAGE_SIZE, &h) && h == 1, "buffer");
	CHK(!_test_ioctl_rw(fd, IOBMD_WRITE, h, 0, &g, sizeof(g), NULL),
	    "write");
	CHK(!_test_ioctl_release(fd, h), "release");
	close(fd);
	return 0;
}

/* As the module makes it: crw------- root:root, closed to nobody. */
TEST_F(iobmd_sec, node_default_root_only)
{
	ASSERT_TRUE(S_ISCHR(self->node.st_mode));
	ASSERT_EQ(0600, self->node.st_mode & 07777);
	ASSERT_EQ(0, self->node.st_uid);
	ASSERT_EQ(0, self->node.st_gid);
	run_child(open_child, NULL);
	test_held_nothing();
}

/* Where the shipped rule is; NULL when nowhere. */
static const char *find_rules(char *buf, size_t size)
{
	char exe[256];
	ssize_t n;

	if (getenv("IOBMD_UDEV_RULES"))
		return getenv("IOBMD_UDEV_RULES");
	snprintf(buf, size, "/etc/udev/rules.d/" RULES_NAME);
	if (!access(buf, R_OK))
		return buf;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	snprintf(buf, size, "%s/" RULES_NAME, dirname(exe));
	return access(buf, R_OK) ? NULL : buf;
}

/* Copies KEY="value" of @line into @out; 0 or -1. */
static int rule_value(const char *line, const char *key, char *out, size_t n)
{
	const char *p = strstr(line, key), *e;

	if (!p || p[strlen(key)] != '=' || p[strlen(key) + 1] != '"')
		return -1;
	p += strlen(key) + 2;
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= n || e == p)
		return -1;
	memcpy(out, p, e - p);
	out[e - p] = 0;
	return 0;
}

/*
 * scripts/60-iobmd.rules applied as udev would (gid 4242 standing for its
 * group): a member of the group opens the node and uses it, nobody else
 * does; the rule gives the world nothing.
 */
TEST_F(iobmd_sec, node_udev_rule)
{
	char path[512], line[512], group[64] = "", mode[16] = "", *end;
	const char *rules = find_rules(path, sizeof(path));
	unsigned long m;
	struct stat st;
	FILE *f;

	if (!rules)
		SKIP(return, "no %s installed: make install puts it in /etc/udev/rules.d; or set IOBMD_UDEV_RULES to scripts/60-iobmd.rules",
		     RULES_NAME);
	f = fopen(rules, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", rules, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, "KERNEL==\"iobmd\""))
			continue;
		ASSERT_NE(NULL, strstr(line, "SUBSYSTEM==\"misc\""));
		ASSERT_EQ(0, rule_value(line, "GROUP", group, sizeof(group)));
		ASSERT_EQ(0, rule_value(line, "MODE", mode, sizeof(mode)));
	}
	fclose(f);
	ASSERT_NE(0, group[0]) TH_LOG("%s has no KERNEL==\"iobmd\" rule", rules);
	m = strtoul(mode, &end, 8);
	ASSERT_EQ(0, *end);
	ASSERT_EQ(0, m & ~07777UL);
	TH_LOG("%s: GROUP=\"%s\" MODE=\"%s\"", rules, group, mode);
	ASSERT_EQ(0, m & 0007) TH_LOG("the rule opens the node to everyone");

	ASSERT_EQ(0, chown(IOBMD_DEV_PATH, 0, RULE_GID));
	ASSERT_EQ(0, chmod(IOBMD_DEV_PATH, m));
	ASSERT_EQ(0, stat(IOBMD_DEV_PATH, &st));
	ASSERT_EQ(m, st.st_mode & 07777);
	ASSERT_EQ(RULE_GID, st.st_gid);
	run_child(open_child, "member");
	run_child(open_child, NULL);
	test_held_nothing();
}

TEST_HARNESS_MAIN

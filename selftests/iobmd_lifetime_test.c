// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd object lifetime: handles are private to one open file and die with
 * it, mappings keep their buffer alive past RELEASE and close(), forked
 * children share both, and the memory comes back when the last user goes.
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_lifetime)
{
	int fd;
};

FIXTURE_SETUP(iobmd_lifetime)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_lifetime)
{
	if (self->fd != -1)
		close(self->fd);
}

/*
 * Issues @cmd on @handle with an argument that is valid in every other
 * respect, so that only the handle can make it fail.
 */
static int issue_on_handle(int fd, unsigned long cmd, __u32 handle)
{
	static struct iobmd_segment segs[4];
	static __u8 byte;
	struct iobmd_info info;

	switch (cmd) {
	case IOBMD_RELEASE:
		return _test_ioctl_release(fd, handle);
	case IOBMD_GET_INFO:
		return _test_ioctl_get_info(fd, handle, &info);
	case IOBMD_SET_LENGTH:
		return _test_ioctl_set(fd, cmd, handle, 0, NULL);
	case IOBMD_SET_DIRECTION:
		return _test_ioctl_set(fd, cmd, handle, IOBMD_DIRECTION_IN,
				       NULL);
	case IOBMD_SET_TAG:
		return _test_ioctl_set(fd, cmd, handle, 5, NULL);
	case IOBMD_APPEND:
		return _test_ioctl_rw(fd, cmd, handle, 0, &byte, 1, NULL);
	case IOBMD_READ:
	case IOBMD_WRITE:
		return _test_ioctl_rw(fd, cmd, handle, 0, &byte, 1, NULL);
	case IOBMD_GET_SEGMENTS: {
		__u32 count = 4;

		return _test_ioctl_get_segments(fd, handle, 0, 0, segs, &count,
						NULL);
	}
	case IOBMD_MAP:
		return _test_ioctl_map(fd, handle, 0, 0, 0, NULL);
	}
	errno = EINVAL;
	return -1;
}

static const struct {
	const char *name;
	unsigned long cmd;
} iobmd_handle_cmds[] = {
	{ "IOBMD_GET_INFO", IOBMD_GET_INFO },
	{ "IOBMD_SET_LENGTH", IOBMD_SET_LENGTH },
	{ "IOBMD_SET_DIRECTION", IOBMD_SET_DIRECTION },
	{ "IOBMD_SET_TAG", IOBMD_SET_TAG },
	{ "IOBMD_APPEND", IOBMD_APPEND },
	{ "IOBMD_READ", IOBMD_READ },
	{ "IOBMD_WRITE", IOBMD_WRITE },
	{ "IOBMD_GET_SEGMENTS", IOBMD_GET_SEGMENTS },
	{ "IOBMD_MAP", IOBMD_MAP },
	{ "IOBMD_RELEASE", IOBMD_RELEASE },	/* last: it consumes */
};

#define IOBMD_NR_HANDLE_CMDS ARRAY_SIZE(iobmd_handle_cmds)

/* Every handle-taking command on @handle gets ENOENT. */
static void check_all_enoent(struct __test_metadata *_metadata, int fd,
			     __u32 handle, const char *what)
{
	size_t i;

	for (i = 0; i != IOBMD_NR_HANDLE_CMDS; i++) {
		int rc = issue_on_handle(fd, iobmd_handle_cmds[i].cmd, handle);

		ASSERT_EQ(-1, rc) TH_LOG("%s on %s handle %u",
					 iobmd_handle_cmds[i].name, what,
					 handle);
		ASSERT_EQ(ENOENT, errno) TH_LOG("%s on %s handle %u",
						iobmd_handle_cmds[i].name,
						what, handle);
	}
}

/* ... and the same calls work on a live handle (one that is not full). */
static void check_all_work(struct __test_metadata *_metadata, int fd,
			   __u32 handle)
{
	size_t i;

	/* Room for the APPEND, a byte for READ and WRITE. */
	ASSERT_EQ(0, _test_ioctl_set(fd, IOBMD_SET_LENGTH, handle, 1, NULL));
	for (i = 0; i != IOBMD_NR_HANDLE_CMDS; i++) {
		if (iobmd_handle_cmds[i].cmd == IOBMD_SET_LENGTH ||
		    iobmd_handle_cmds[i].cmd == IOBMD_RELEASE)
			continue;
		ASSERT_EQ(0, issue_on_handle(fd, iobmd_handle_cmds[i].cmd,
					     handle))
			TH_LOG("%s: errno %d", iobmd_handle_cmds[i].name,
			       errno);
	}
}

TEST_F(iobmd_lifetime, unknown_handles)
{
	__u32 h;

	check_all_enoent(_metadata, self->fd, 0, "zero");
	check_all_enoent(_metadata, self->fd, UINT32_MAX, "huge");

	test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
	check_all_work(_metadata, self->fd, h);
	check_all_enoent(_metadata, self->fd, h + 1000, "never created");
	test_ioctl_release(h);
	check_all_enoent(_metadata, self->fd, h, "released");
	test_err_release(ENOENT, h);
}

TEST_F(iobmd_lifetime, release_twice)
{
	__u32 a, b;

	test_ioctl_buf_create(0, PAGE_SIZE, 0, &a);
	test_ioctl_buf_create(0, PAGE_SIZE, 0, &b);
	ASSERT_NE(a, b);
	test_ioctl_release(a);
	test_err_release(ENOENT, a);
	/* The other handle is untouched. */
	check_all_work(_metadata, self->fd, b);
	test_ioctl_release(b);
	test_err_release(ENOENT, b);
	test_err_release(ENOENT, 0);
}

/* A handle means nothing to another open file of /dev/iobmd. */
TEST_F(iobmd_lifetime, other_file)
{
	struct iobmd_info info;
	__u32 h, other_h;
	int fd2;

	test_ioctl_buf_create(IOBMD_DIRECTION_OUT, 2 * PAGE_SIZE, 0, &h);
	test_ioctl_set_tag(h, 0xabcdef, NULL);
	fd2 = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd2);

	check_all_enoent(_metadata, fd2, h, "other file's");

	/* The second file's own buffers leave the first file's alone. */
	ASSERT_EQ(0, _test_ioctl_buf_create(fd2, 0, 0, PAGE_SIZE, 0, 0, NULL,
					    0, &other_h));
	ASSERT_NE(0, other_h);
	ASSERT_EQ(0, _test_ioctl_set(fd2, IOBMD_SET_TAG, other_h, 7, NULL));
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(2 * PAGE_SIZE, info.capacity);
	ASSERT_EQ(0xabcdef, info.tag);
	ASSERT_EQ(IOBMD_DIRECTION_OUT, info.direction);
	ASSERT_EQ(0, close(fd2));

	/* Closing the second file released only its own handles. */
	check_all_work(_metadata, self->fd, h);
	test_ioctl_release(h);
}

/* dup() shares the open file, so it shares the handles. */
TEST_F(iobmd_lifetime, dup_shares_handles)
{
	struct iobmd_info info;
	__u32 h;
	int fd2;

	test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
	fd2 = dup(self->fd);
	ASSERT_NE(-1, fd2);
	ASSERT_EQ(0, _test_ioctl_set(fd2, IOBMD_SET_TAG, h, 99, NULL));
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(99, info.tag);
	/* Closing one descriptor of the file keeps the handles. */
	ASSERT_EQ(0, close(fd2));
	test_ioctl_get_info(h, &info);
	test_ioctl_release(h);
}

TEST_F(iobmd_lifetime, release_while_mapped)
{
	const __u64 cap = 4 * PAGE_SIZE;
	struct iobmd_info info;
	__u8 *src = malloc(cap);
	__u8 *p, *q;
	__u32 h;

	ASSERT_NE(NULL, src);
	iobmd_fill_pattern(src, cap, 0, 81);
	test_ioctl_buf_create(0, cap, 0, &h);
	test_ioctl_write(h, 0, src, cap);
	test_map_rw(h, 0, 0, cap, &p);
	test_map_rw(h, PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, &q);
	test_ioctl_release(h);
	test_err_get_info(ENOENT, h);
	test_err_release(ENOENT, h);

	/* The mappings still hold the buffer. */
	ASSERT_EQ(cap, iobmd_check_pattern(p, cap, 0, 81));
	iobmd_fill_pattern(p, cap, 0, 82);
	ASSERT_EQ(cap, iobmd_check_pattern(p, cap, 0, 82));
	ASSERT_EQ(PAGE_SIZE, iobmd_check_pattern(q, PAGE_SIZE, PAGE_SIZE, 82));
	ASSERT_EQ(0, munmap(p, cap));
	ASSERT_EQ(PAGE_SIZE, iobmd_check_pattern(q, PAGE_SIZE, PAGE_SIZE, 82));
	ASSERT_EQ(0, munmap(q, PAGE_SIZE));

	/* The file carries on. */
	test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
	test_ioctl_get_info(h, &info);
	test_ioctl_release(h);
	free(src);
}

TEST_F(iobmd_lifetime, close_while_mapped)
{
	const __u64 cap = 8 * PAGE_SIZE;
	__u8 *src = malloc(cap);
	__u8 *plain, *contig;
	__u64 cookie;
	__u32 h1, h2;
	int fd2;

	ASSERT_NE(NULL, src);
	fd2 = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd2);

	/* One page-backed and one PFN-mapped buffer, neither released. */
	iobmd_fill_pattern(src, cap, 0, 83);
	ASSERT_EQ(0, _test_ioctl_buf_create(fd2, 0, 0, cap, 0, 0, NULL, 0,
					    &h1));
	ASSERT_EQ(0, _test_ioctl_buf_create(fd2, 0,
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    cap, 0, 0, NULL, 0, &h2));
	ASSERT_EQ(0, _test_ioctl_rw(fd2, IOBMD_WRITE, h1, 0, src, cap, NULL));
	ASSERT_EQ(0, _test_ioctl_rw(fd2, IOBMD_WRITE, h2, 0, src, cap, NULL));
	ASSERT_EQ(0, _test_ioctl_map(fd2, h1, 0, 0, 0, &cookie));
	plain = iobmd_mmap(fd2, cookie, cap, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, plain);
	ASSERT_EQ(0, _test_ioctl_map(fd2, h2, 0, 0, 0, &cookie));
	contig = iobmd_mmap(fd2, cookie, cap, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, contig);

	ASSERT_EQ(0, close(fd2));

	ASSERT_EQ(cap, iobmd_check_pattern(plain, cap, 0, 83));
	ASSERT_EQ(cap, iobmd_check_pattern(contig, cap, 0, 83));
	iobmd_fill_pattern(plain, cap, 0, 84);
	iobmd_fill_pattern(contig, cap, 0, 85);
	ASSERT_EQ(cap, iobmd_check_pattern(plain, cap, 0, 84));
	ASSERT_EQ(cap, iobmd_check_pattern(contig, cap, 0, 85));
	/* Faults after close still work on the page-backed one. */
	ASSERT_EQ(0, madvise(plain, cap, MADV_DONTNEED));
	ASSERT_EQ(cap, iobmd_check_pattern(plain, cap, 0, 84));
	ASSERT_EQ(0, munmap(plain, cap));
	ASSERT_EQ(0, munmap(contig, cap));
	free(src);
}

static __u8 *iobmd_fork_map;
static __u64 iobmd_fork_len;

static int fork_writer(void *arg)
{
	iobmd_fill_pattern(iobmd_fork_map, iobmd_fork_len, 0, 86);
	return 0;
}

/* A forked child's stores land in the parent's mapping. */
TEST_F(iobmd_lifetime, fork_shared_mapping)
{
	const __u64 cap = 16 * PAGE_SIZE;
	__u8 *back = malloc(cap);
	__u32 h;

	ASSERT_NE(NULL, back);
	test_ioctl_buf_create(0, cap, 0, &h);
	test_map_rw(h, 0, 0, cap, &iobmd_fork_map);
	iobmd_fork_len = cap;

	ASSERT_EQ(0, iobmd_run_child(fork_writer, NULL));
	ASSERT_EQ(cap, iobmd_check_pattern(iobmd_fork_map, cap, 0, 86));
	test_ioctl_read(h, 0, back, cap);
	ASSERT_EQ(cap, iobmd_check_pattern(back, cap, 0, 86));
	ASSERT_EQ(0, munmap(iobmd_fork_map, cap));
	test_ioctl_release(h);
	free(back);
}

static int iobmd_fork_fd;
static __u32 iobmd_fork_handles[2];

static int fork_handle_user(void *arg)
{
	if (_test_ioctl_set(iobmd_fork_fd, IOBMD_SET_TAG,
			    iobmd_fork_handles[0], 1234, NULL))
		return 1;
	if (_test_ioctl_release(iobmd_fork_fd, iobmd_fork_handles[1]))
		return 2;
	return 0;
}

/* A forked child shares the open file, hence the handles. */
TEST_F(iobmd_lifetime, fork_shares_handles)
{
	struct iobmd_info info;

	test_ioctl_buf_create(0, PAGE_SIZE, 0, &iobmd_fork_handles[0]);
	test_ioctl_buf_create(0, PAGE_SIZE, 0, &iobmd_fork_handles[1]);
	iobmd_fork_fd = self->fd;
	ASSERT_EQ(0, iobmd_run_child(fork_handle_user, NULL));
	test_ioctl_get_info(iobmd_fork_handles[0], &info);
	ASSERT_EQ(1234, info.tag);
	test_err_get_info(ENOENT, iobmd_fork_handles[1]);
	test_ioctl_release(iobmd_fork_handles[0]);
}

static int iobmd_fork_pipe[2];

static int fork_late_reader(void *arg)
{
	char c;

	close(iobmd_fork_pipe[1]);
	/* Wait until the parent has dropped everything it held. */
	if (read(iobmd_fork_pipe[0], &c, 1) != 1)
		return 1;
	if (iobmd_check_pattern(iobmd_fork_map, iobmd_fork_len, 0, 87) !=
	    iobmd_fork_len)
		return 2;
	iobmd_fill_pattern(iobmd_fork_map, iobmd_fork_len, 0, 88);
	if (iobmd_check_pattern(iobmd_fork_map, iobmd_fork_len, 0, 88) !=
	    iobmd_fork_len)
		return 3;
	if (munmap(iobmd_fork_map, iobmd_fork_len))
		return 4;
	return 0;
}

/*
 * Forks a child that waits until the parent has unmapped, released and
 * closed everything, then uses its own copy of the mapping.
 */
static void check_child_outlives(struct __test_metadata *_metadata, int fd,
				 __u32 options)
{
	const __u64 cap = 8 * PAGE_SIZE;
	__u64 cookie;
	int status;
	pid_t pid;
	__u32 h;

	ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, options, cap, 0, 0, NULL, 0,
					    &h));
	ASSERT_EQ(0, _test_ioctl_map(fd, h, 0, 0, 0, &cookie));
	iobmd_fork_map = iobmd_mmap(fd, cookie, cap, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, iobmd_fork_map);
	iobmd_fork_len = cap;
	iobmd_fill_pattern(iobmd_fork_map, cap, 0, 87);
	ASSERT_EQ(0, pipe(iobmd_fork_pipe));

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_NE(-1, pid);
	if (pid == 0)
		_exit(fork_late_reader(NULL));

	close(iobmd_fork_pipe[0]);
	ASSERT_EQ(0, munmap(iobmd_fork_map, cap));
	ASSERT_EQ(0, _test_ioctl_release(fd, h));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(1, write(iobmd_fork_pipe[1], "x", 1));
	close(iobmd_fork_pipe[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(true, WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* A child's copy of a mapping outlives the parent's handle, fd and map. */
TEST_F(iobmd_lifetime, fork_mapping_outlives_parent)
{
	int fd;

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd);
	check_child_outlives(_metadata, fd, 0);
	fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd);
	check_child_outlives(_metadata, fd, IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
}

#define IOBMD_MANY 1000

/* Many descriptors in one file, all released. */
TEST_F(iobmd_lifetime, many_buffers_release)
{
	__u32 *h = calloc(IOBMD_MANY, sizeof(*h));
	struct iobmd_info info;
	int i, j;

	ASSERT_NE(NULL, h);
	for (i = 0; i != IOBMD_MANY; i++) {
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				      &h[i]);
		ASSERT_EQ(0, _test_ioctl_set(self->fd, IOBMD_SET_TAG, h[i], i,
					     NULL));
	}
	/* All distinct: each keeps its own tag. */
	for (i = 0; i != IOBMD_MANY; i++) {
		test_ioctl_get_info(h[i], &info);
		ASSERT_EQ(i, info.tag);
	}
	/* Release every other one, then the rest. */
	for (j = 0; j != 2; j++) {
		for (i = j; i < IOBMD_MANY; i += 2)
			test_ioctl_release(h[i]);
		for (i = 0; i < IOBMD_MANY; i++) {
			if ((i & 1) <= j)
				test_err_get_info(ENOENT, h[i]);
			else
				test_ioctl_get_info(h[i], &info);
		}
	}
	free(h);
}

/* Many descriptors and mappings left for close() to clean up. */
TEST_F(iobmd_lifetime, many_buffers_close)
{
	int round, i;

	for (round = 0; round != 3; round++) {
		int fd = open(IOBMD_DEV_PATH, O_RDWR);

		ASSERT_NE(-1, fd);
		for (i = 0; i != IOBMD_MANY; i++) {
			__u32 h = 0;

			ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, 0, PAGE_SIZE,
							    0, 0, NULL, 0,
							    &h))
				TH_LOG("round %d buffer %d", round, i);
			ASSERT_NE(0, h);
		}
		ASSERT_EQ(0, close(fd));
	}
	/* The fixture's file, too, is left holding them at teardown. */
	for (i = 0; i != IOBMD_MANY; i++) {
		__u32 h;

		test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
	}
}

static int exit_without_cleanup(void *arg)
{
	int fd = open(IOBMD_DEV_PATH, O_RDWR);
	int i;

	if (fd < 0)
		return 1;
	for (i = 0; i != 64; i++) {
		__u32 opts = i & 1 ? IOBMD_OPT_PHYSICALLY_CONTIGUOUS : 0;
		__u64 cookie;
		__u32 h;
		__u8 *p;

		if (_test_ioctl_buf_create(fd, 0, opts, 4 * PAGE_SIZE, 0, 0,
					   NULL, 0, &h))
			return 2;
		if (_test_ioctl_map(fd, h, 0, 0, 0, &cookie))
			return 3;
		p = iobmd_mmap(fd, cookie, 4 * PAGE_SIZE,
			       PROT_READ | PROT_WRITE);
		if (p == MAP_FAILED)
			return 4;
		p[i] = i;
		if ((i & 2) && _test_ioctl_release(fd, h))
			return 5;
	}
	/* No munmap(), no close(): exit() does both. */
	return 0;
}

TEST_F(iobmd_lifetime, exit_without_cleanup)
{
	int i;

	for (i = 0; i != 16; i++) {
		ASSERT_EQ(0, iobmd_run_child(exit_without_cleanup, NULL))
			TH_LOG("child %d", i);
	}
}

/*
 * Memory accounting: the freed memory shows up again in MemFree.  Freeing
 * may be deferred a little (RCU, per-CPU lists), so wait for it, boundedly.
 */
#define IOBMD_MEM_BUFS 4
#define IOBMD_MEM_SIZE SZ_128M
#define IOBMD_MEM_SLACK (IOBMD_MEM_SIZE)

static bool wait_free_ram(__u64 at_least)
{
	int tries;

	for (tries = 0; tries != 200; tries++) {
		if (iobmd_free_ram() >= at_least)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* Allocates IOBMD_MEM_BUFS buffers on @fd; checks MemFree went down. */
static void alloc_mem_bufs(struct __test_metadata *_metadata, int fd,
			   __u64 before, __u32 *h)
{
	int i;

	for (i = 0; i != IOBMD_MEM_BUFS; i++) {
		ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, 0, IOBMD_MEM_SIZE, 0,
						    0, NULL, 0, &h[i]));
	}
	/* The memory is wired at creation. */
	ASSERT_GE(before - IOBMD_MEM_BUFS * IOBMD_MEM_SIZE / 2,
		  iobmd_free_ram());
}

TEST_F_TIMEOUT(iobmd_lifetime, memory_returns_on_release, 120)
{
	__u32 h[IOBMD_MEM_BUFS];
	__u64 before = iobmd_free_ram();
	int round, i;

	ASSERT_LT(IOBMD_MEM_BUFS * IOBMD_MEM_SIZE, before);
	for (round = 0; round != 3; round++) {
		alloc_mem_bufs(_metadata, self->fd, before, h);
		for (i = 0; i != IOBMD_MEM_BUFS; i++)
			test_ioctl_release(h[i]);
		ASSERT_EQ(true, wait_free_ram(before - IOBMD_MEM_SLACK))
			TH_LOG("round %d: %llu MiB free, %llu before", round,
			       iobmd_free_ram() >> 20, before >> 20);
	}
}

TEST_F_TIMEOUT(iobmd_lifetime, memory_returns_on_close, 120)
{
	__u32 h[IOBMD_MEM_BUFS];
	__u64 before = iobmd_free_ram();
	int round;

	for (round = 0; round != 3; round++) {
		int fd = open(IOBMD_DEV_PATH, O_RDWR);

		ASSERT_NE(-1, fd);
		alloc_mem_bufs(_metadata, fd, before, h);
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(true, wait_free_ram(before - IOBMD_MEM_SLACK))
			TH_LOG("round %d: %llu MiB free, %llu before", round,
			       iobmd_free_ram() >> 20, before >> 20);
	}
}

/* Released and closed but still mapped: the memory stays until munmap(). */
TEST_F_TIMEOUT(iobmd_lifetime, memory_returns_on_munmap, 120)
{
	__u64 before = iobmd_free_ram();
	__u32 h[IOBMD_MEM_BUFS];
	__u8 *p[IOBMD_MEM_BUFS];
	__u64 cookie;
	int fd, i;

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd);
	alloc_mem_bufs(_metadata, fd, before, h);
	for (i = 0; i != IOBMD_MEM_BUFS; i++) {
		ASSERT_EQ(0, _test_ioctl_map(fd, h[i], 0, 0, 0, &cookie));
		p[i] = iobmd_mmap(fd, cookie, IOBMD_MEM_SIZE,
				  PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p[i]);
		p[i][0] = 1;
		p[i][IOBMD_MEM_SIZE - 1] = 2;
		ASSERT_EQ(0, _test_ioctl_release(fd, h[i]));
	}
	ASSERT_EQ(0, close(fd));

	/* Nothing was freed: the mappings hold it all. */
	ASSERT_GE(before - IOBMD_MEM_BUFS * IOBMD_MEM_SIZE / 2,
		  iobmd_free_ram());
	for (i = 0; i != IOBMD_MEM_BUFS; i++) {
		ASSERT_EQ(1, p[i][0]);
		ASSERT_EQ(2, p[i][IOBMD_MEM_SIZE - 1]);
		ASSERT_EQ(0, munmap(p[i], IOBMD_MEM_SIZE));
	}
	ASSERT_EQ(true, wait_free_ram(before - IOBMD_MEM_SLACK))
		TH_LOG("%llu MiB free, %llu before", iobmd_free_ram() >> 20,
		       before >> 20);
}

TEST_HARNESS_MAIN

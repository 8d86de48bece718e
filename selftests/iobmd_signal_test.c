// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd and fatal signals: a task killed inside an ioctl that waits on
 * user memory (pinning it, copying from or to it) or spends long
 * allocating ends at once and leaves nothing behind.
 *
 * The waits are made certain with userfaultfd: the user memory an ioctl
 * touches last is registered with a userfaultfd nobody serves, so the
 * ioctl stops there until the task dies; the task's other thread reports
 * the fault, and only then does the test send SIGKILL.  Each ioctl runs
 * in a child of its own with its own /dev/iobmd file, and the module's
 * counters must be where they were once the child is gone.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"

#define STALL_BYTES	SZ_16M	/* user memory in front of the stalled page */

FIXTURE(iobmd_signal)
{
	int fd;
	struct iobmd_test_stats before;
};

FIXTURE_SETUP(iobmd_signal)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&self->before));
}

FIXTURE_TEARDOWN(iobmd_signal)
{
	if (self->fd != -1)
		close(self->fd);
}

enum stall_op {
	STALL_PIN,		/* GENERAL_CREATE, then PREPARE: pins */
	STALL_WITH_BYTES,	/* BUF_CREATE withBytes: copies from */
	STALL_WRITE,		/* WRITE: copies from */
	STALL_APPEND,		/* APPEND: copies from */
	STALL_READ,		/* READ: copies to */
};

struct stall {
	enum stall_op op;
	int dev;		/* the child's own /dev/iobmd */
	int report;		/* to the test: "F" fault, "R" errno: returned */
	__u8 *mem;		/* STALL_BYTES touched, then one missing page */
	__u32 buf;		/* a buffer of 2 * STALL_BYTES, for the copies */
};

/*
 * The ioctl that must stop at the missing page; "R" and its errno if it
 * ever returns.
 */
static void *stall_thread(void *argp)
{
	struct stall *s = argp;
	__u64 len = STALL_BYTES + PAGE_SIZE;
	char r[2] = { 'R', 0 };
	__u32 h = 0;

	switch (s->op) {
	case STALL_PIN:
		if (_test_ioctl_general_create(s->dev, 0, IOBMD_DIRECTION_INOUT,
					       &(struct iobmd_range){
						       (uintptr_t)s->mem, len },
					       1, &h))
			_exit(79);
		_test_ioctl_prepare(s->dev, IOBMD_PREPARE, h, 0);
		break;
	case STALL_WITH_BYTES:
		_test_ioctl_buf_create(s->dev, IOBMD_BUF_CREATE_WITH_BYTES,
				       IOBMD_DIRECTION_INOUT, 0, 0, 0, s->mem,
				       len, &h);
		break;
	case STALL_WRITE:
		_test_ioctl_rw(s->dev, IOBMD_WRITE, s->buf, 0, s->mem, len, NULL);
		break;
	case STALL_APPEND:
		_test_ioctl_rw(s->dev, IOBMD_APPEND, s->buf, 0, s->mem, len, NULL);
		break;
	case STALL_READ:
		_test_ioctl_rw(s->dev, IOBMD_READ, s->buf, 0, s->mem, len, NULL);
		break;
	}
	r[1] = errno;
	if (write(s->report, r, 2) != 2)
		_exit(90);
	return NULL;
}

/*
 * The child: user memory whose last page is missing behind a userfaultfd,
 * the ioctl in a thread, and this thread waiting for the fault to tell
 * the test.  Never returns; the test kills it.
 */
static void stall_child(enum stall_op op, int report)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct stall s = { .op = op, .report = report };
	struct uffd_msg msg;
	pthread_t thread;
	int uffd;
	char f = 'F';

	s.dev = open(IOBMD_DEV_PATH, O_RDWR);
	if (s.dev < 0)
		_exit(80);
	s.mem = mmap(NULL, STALL_BYTES + PAGE_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s.mem == MAP_FAILED)
		_exit(81);
	memset(s.mem, 0x5a, STALL_BYTES);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		_exit(82);
	if (ioctl(uffd, UFFDIO_API, &api))
		_exit(83);
	reg.range.start = (uintptr_t)s.mem + STALL_BYTES;
	reg.range.len = PAGE_SIZE;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		_exit(84);
	if (op == STALL_WRITE || op == STALL_APPEND || op == STALL_READ) {
		if (_test_ioctl_buf_create(s.dev, 0, IOBMD_DIRECTION_INOUT,
					   2 * STALL_BYTES, 0, 0, NULL, 0, &s.buf))
			_exit(85);
		/* APPEND adds after the length: start from an empty buffer. */
		if (op == STALL_APPEND &&
		    _test_ioctl_set(s.dev, IOBMD_SET_LENGTH, s.buf, 0, NULL))
			_exit(86);
	}
	if (pthread_create(&thread, NULL, stall_thread, &s))
		_exit(87);
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT ||
	    msg.arg.pagefault.address != (uintptr_t)s.mem + STALL_BYTES)
		_exit(88);
	if (write(report, &f, 1) != 1)
		_exit(89);
	for (;;)
		pause();
}

/*
 * Runs @op in a child until it stalls on the missing page, kills it, and
 * checks that it died of SIGKILL without the ioctl returning and that
 * the module holds what it held before.  With @returns_errno non-zero,
 * the ioctl may instead return at once with that errno (the test still
 * kills the child and checks what is held).
 */
#define test_killed_while_stalled(op, returns_errno)                          \
	({                                                                    \
		struct iobmd_test_stats __after;                              \
		int __p[2], __status;                                         \
		char __c[2] = { 0 };                                          \
		pid_t __pid;                                                  \
									      \
		ASSERT_EQ(0, pipe(__p));                                      \
		fflush(stdout);                                               \
		__pid = fork();                                               \
		ASSERT_LE(0, __pid);                                          \
		if (__pid == 0) {                                             \
			close(__p[0]);                                        \
			stall_child(op, __p[1]);                              \
		}                                                             \
		close(__p[1]);                                                \
		EXPECT_LT(0, read(__p[0], __c, 2));                           \
		if (__c[0] == 'R' && (returns_errno)) {                       \
			EXPECT_EQ((returns_errno), __c[1]);                   \
		} else {                                                      \
			EXPECT_EQ('F', __c[0])                                \
				TH_LOG("the ioctl returned: errno %d",        \
				       __c[1]);                               \
		}                                                             \
		kill(__pid, SIGKILL);                                         \
		ASSERT_EQ(__pid, waitpid(__pid, &__status, 0));               \
		ASSERT_TRUE(WIFSIGNALED(__status))                            \
			TH_LOG("the child exited with %d",                    \
			       WEXITSTATUS(__status));                        \
		EXPECT_EQ(SIGKILL, WTERMSIG(__status));                       \
		/* Nothing more: a stalled ioctl never returned. */           \
		EXPECT_EQ(0, read(__p[0], __c, 2));                           \
		close(__p[0]);                                                \
		ASSERT_EQ(0, iobmd_read_stats(&__after));                     \
		EXPECT_STREQ("", iobmd_stats_diff(&self->before, &__after));  \
		__c[0];                                                       \
	})

/*
 * prepare() of user memory: pinned pages are unpinned and uncharged.
 * Some kernels (6.1 here) do not let long-term pins wait for userfaultfd:
 * GUP takes mmap_lock itself and asks the fault handler not to retry, so
 * the fault fails.  There prepare() must fail with EFAULT, having pinned
 * nothing.
 */
TEST_F(iobmd_signal, killed_while_pinning)
{
	if (test_killed_while_stalled(STALL_PIN, EFAULT) == 'R')
		TH_LOG("this kernel fails long-term pins of userfaultfd ranges at once");
	EXPECT_EQ(0, iobmd_stat("pinned_bytes"));
}

/* withBytes: the new buffer is freed. */
TEST_F(iobmd_signal, killed_while_copying_with_bytes)
{
	test_killed_while_stalled(STALL_WITH_BYTES, 0);
}

TEST_F(iobmd_signal, killed_while_writing)
{
	test_killed_while_stalled(STALL_WRITE, 0);
}

TEST_F(iobmd_signal, killed_while_appending)
{
	test_killed_while_stalled(STALL_APPEND, 0);
}

TEST_F(iobmd_signal, killed_while_reading)
{
	test_killed_while_stalled(STALL_READ, 0);
}

#define WAIT_FRONT	(512ULL << 20)	/* user memory pinned before the stall */

/* Field @name of /proc/@pid/status (a number), or -1. */
static long long proc_status(pid_t pid, const char *name)
{
	char path[64], line[256];
	long long v = -1;
	size_t n = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtoll(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

struct pinner {
	int dev;		/* /dev/iobmd, shared with the waiter */
	int report;		/* "H" + handle, then "F" or "R" + errno */
	__u32 h;
};

static void *pinner_thread(void *argp)
{
	struct pinner *p = argp;
	char r[2] = { 'R', 0 };

	if (_test_ioctl_prepare(p->dev, IOBMD_PREPARE, p->h, 0))
		r[1] = errno;
	if (write(p->report, r, 2) != 2)
		_exit(90);
	return NULL;
}

/*
 * The pinner: a general descriptor over WAIT_FRONT bytes and a last page
 * missing behind a userfaultfd nobody serves, prepared by a thread.  The
 * pin stalls at that page; kernels that fail long-term pins of such pages
 * at once (6.1) get there only after pinning the whole front, which takes
 * long.  Never returns; the test kills it.
 */
static void pinner_child(int dev, int report)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct pinner p = { .dev = dev, .report = report };
	__u64 len = WAIT_FRONT + PAGE_SIZE;
	struct uffd_msg msg;
	pthread_t thread;
	char hr[1 + sizeof(p.h)] = { 'H' };
	__u8 *mem;
	int uffd;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		_exit(81);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		_exit(82);
	if (ioctl(uffd, UFFDIO_API, &api))
		_exit(83);
	reg.range.start = (uintptr_t)mem + WAIT_FRONT;
	reg.range.len = PAGE_SIZE;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		_exit(84);
	if (_test_ioctl_general_create(dev, 0, IOBMD_DIRECTION_INOUT,
				       &(struct iobmd_range){
					       (uintptr_t)mem, len },
				       1, &p.h))
		_exit(85);
	memcpy(hr + 1, &p.h, sizeof(p.h));
	if (write(report, hr, sizeof(hr)) != sizeof(hr))
		_exit(86);
	if (pthread_create(&thread, NULL, pinner_thread, &p))
		_exit(87);
	if (read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	    write(report, "F", 1) != 1)
		_exit(89);
	for (;;)
		pause();
}

/*
 * A task waiting for another's pin of the same memory is killable: one
 * child (the pinner) is inside PREPARE of a descriptor, pinning its user
 * memory; another (the waiter) READs the same descriptor through the
 * same file, so it must wait for that pin.  SIGKILLed, the waiter must
 * be gone within 10 s, while the pinner is still inside its pin (its
 * VmPin still charged).  Before, it slept uninterruptibly until the pin
 * ended: forever with a stalled userfaultfd page.
 */
TEST_F_TIMEOUT(iobmd_signal, waiter_killed_while_pinner_stalls, 240)
{
	struct iobmd_test_stats after;
	int p[2], dev, wstatus, pstatus;
	pid_t pinner, waiter;
	char hr[1 + sizeof(__u32)] = { 0 };
	__u64 t0, end;
	long long vmpin;
	char state = 0;
	__u32 h;

	dev = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, pipe(p));
	fflush(stdout);
	pinner = fork();
	ASSERT_LE(0, pinner);
	if (pinner == 0) {
		close(p[0]);
		pinner_child(dev, p[1]);
	}
	close(p[1]);
	if (read(p[0], hr, sizeof(hr)) != sizeof(hr) || hr[0] != 'H')
		kill(pinner, SIGKILL);
	ASSERT_EQ('H', hr[0]) TH_LOG("the pinner could not start");
	memcpy(&h, hr + 1, sizeof(h));

	/* The pinner is inside its pin once its pages are charged. */
	end = iobmd_now_ms() + 60000;
	while ((vmpin = proc_status(pinner, "VmPin")) <= 0 &&
	       iobmd_now_ms() < end)
		usleep(1000);
	if (vmpin <= 0)
		kill(pinner, SIGKILL);
	ASSERT_LT(0, vmpin) TH_LOG("the pinner never started pinning");

	waiter = fork();
	if (waiter < 0)
		kill(pinner, SIGKILL);
	ASSERT_LE(0, waiter);
	if (waiter == 0) {
		char c;

		close(p[0]);
		_exit(_test_ioctl_rw(dev, IOBMD_READ, h, 0, &c, 1, NULL) ?
		      errno : 0);
	}
	/* Asleep in the module, waiting for the pinner. */
	state = iobmd_proc_wait_state(waiter, 'D', NULL, NULL, 0, 10000);
	EXPECT_EQ('D', state) TH_LOG("the waiter is in state %c", state);
	EXPECT_LT(0, proc_status(pinner, "VmPin"))
		TH_LOG("the pinner's pin ended before the waiter was killed");

	t0 = iobmd_now_ms();
	kill(waiter, SIGKILL);
	wstatus = iobmd_reap_within(waiter, 10000);
	vmpin = proc_status(pinner, "VmPin");
	EXPECT_NE(-1, wstatus)
		TH_LOG("the waiter lived 10 s after SIGKILL (state %c)",
		       iobmd_proc_state(waiter));
	if (wstatus != -1)
		TH_LOG("the waiter died %llu ms after SIGKILL", iobmd_now_ms() - t0);
	/* It did not wait for the pin to end. */
	EXPECT_LT(0, vmpin) TH_LOG("the pinner's pin had ended");

	kill(pinner, SIGKILL);
	ASSERT_EQ(pinner, waitpid(pinner, &pstatus, 0));
	EXPECT_TRUE(WIFSIGNALED(pstatus));
	if (wstatus == -1)
		ASSERT_EQ(waiter, waitpid(waiter, &wstatus, 0));
	EXPECT_TRUE(WIFSIGNALED(wstatus))
		TH_LOG("the waiter exited with %d", WEXITSTATUS(wstatus));
	if (WIFSIGNALED(wstatus))
		EXPECT_EQ(SIGKILL, WTERMSIG(wstatus));
	close(p[0]);
	close(dev);
	ASSERT_EQ(0, iobmd_read_stats(&after));
	EXPECT_STREQ("", iobmd_stats_diff(&self->before, &after));
}

/*
 * A large buffer: the child is killed once 64 MiB of it are allocated,
 * and the allocation must stop there rather than run to its end (the
 * whole request is 16 times that or more).  Free memory is watched until
 * the child is gone; the most it ever lost tells how far it got.
 */
TEST_F(iobmd_signal, killed_while_allocating)
{
	__u64 size = iobmd_max_capacity(self->fd), free0, lowest, now;
	struct iobmd_test_stats after;
	int p[2], status;
	char c = 0;
	pid_t pid;

	if (size > SZ_4G)
		size = SZ_4G;
	free0 = iobmd_free_ram();
	if (size > free0 - SZ_256M)
		size = (free0 - SZ_256M) & ~(SZ_2M - 1);
	ASSERT_LE(16 * SZ_64M, size)
		TH_LOG("only %llu MiB free", free0 >> 20);
	ASSERT_EQ(0, pipe(p));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 h;

		close(p[0]);
		if (_test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					   size, 0, 0, NULL, 0, &h) == 0 &&
		    write(p[1], "R", 1) != 1)
			_exit(91);
		_exit(92);
	}
	close(p[1]);
	lowest = free0;
	while (free0 - lowest < SZ_64M &&
	       waitpid(pid, &status, WNOHANG) == 0) {
		now = iobmd_free_ram();
		if (now < lowest)
			lowest = now;
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		now = iobmd_free_ram();
		if (now < lowest)
			lowest = now;
	}
	ASSERT_TRUE(WIFSIGNALED(status))
		TH_LOG("the child exited with %d before it was killed",
		       WEXITSTATUS(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	EXPECT_EQ(0, read(p[0], &c, 1));
	close(p[0]);
	TH_LOG("killed after %llu MiB of %llu MiB", (free0 - lowest) >> 20,
	       size >> 20);
	EXPECT_GT(size / 4, free0 - lowest);
	ASSERT_EQ(0, iobmd_read_stats(&after));
	EXPECT_STREQ("", iobmd_stats_diff(&self->before, &after));
}

TEST_HARNESS_MAIN

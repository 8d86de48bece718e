// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, work: what one composed descriptor may describe is
 * bounded, and every walk of it is preemptible and killable.
 *
 * A multi repeats one piece up to 1024 times and nests 8 deep: without a
 * bound six ioctls describe 2^62 bytes over one page, and READ, WRITE with
 * no source (zero-fill), PERFORM, SET_PURGEABLE and GET_SEGMENTS walk it
 * for hours, deaf to SIGKILL.  The module now counts, at creation, the
 * piece visits a full traversal makes (IOBMD_COMPOSE_MAX_VISITS) and caps a
 * composed length at max_capacity: beyond either, E2BIG.
 *
 * The shapes are built by an unprivileged child (uid 65534 after opening
 * the node as root), as an attacker would.  Every heavy call runs in a
 * child the test waits for with a deadline and then kills: a test that
 * meets an unkillable loop ends and says so.  Each test checks the
 * module's counters are back as found.
 *
 * Visits, as the module counts them: memory of its own 1; a sub 1 + its
 * parent's; a multi 1 + each piece's, repeats counted; an interleaved
 * descriptor 1 + its capacity, or 1 + its pieces' when more.
 */
#include <poll.h>
#include <sys/wait.h>
#include <time.h>

#include "iobmd_security.h"

#define MAXV		IOBMD_COMPOSE_MAX_VISITS
#define FANOUT		IOBMD_MULTI_MAX_PIECES
#define KILL_GRACE_MS	10000	/* a killed child must be gone by then */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reaps @pid if it ended by @deadline: its status, else -1. */
static int reap_by(pid_t pid, long long deadline, int *status)
{
	do {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		usleep(5000);
	} while (now_ms() < deadline);
	return -1;
}

static int exit_code(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}

/*
 * Runs @fn(@arg) in a child and waits at most @secs for it; then kills it
 * and waits KILL_GRACE_MS more.  Returns its exit code (128 + signal), or
 * -1 with a note when it did not end (it is left behind).
 */
static int run_bounded(int (*fn)(void *), void *arg, int secs)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (!reap_by(pid, now_ms() + secs * 1000LL, &status))
		return exit_code(status);
	kill(pid, SIGKILL);
	if (!reap_by(pid, now_ms() + KILL_GRACE_MS, &status)) {
		snprintf(sh->note, sizeof(sh->note),
			 "child still running after %d s: killed", secs);
		return -1;
	}
	snprintf(sh->note, sizeof(sh->note),
		 "child still running after %d s, and %d ms after SIGKILL",
		 secs, KILL_GRACE_MS);
	return -1;
}

#define run_child_bounded(fn, arg, secs)                                     \
	do {                                                                 \
		sh->note[0] = 0;                                             \
		ASSERT_EQ(0, run_bounded(fn, arg, secs))                     \
			TH_LOG("%s", sh->note);                              \
	} while (0)

/*
 * A child's own file of /dev/iobmd, opened as root before it drops
 * privileges: what it creates goes when it exits (a forked file would
 * keep it in the test's table).  -1 on failure, with a note.
 */
static int open_own(void)
{
	int fd = open(IOBMD_DEV_PATH, O_RDWR);

	if (fd < 0)
		note_fail(__LINE__, errno, "open");
	return fd;
}

#define OPEN_OWN(fd)                                                         \
	do {                                                                 \
		if ((fd) < 0)                                                \
			return 1;                                            \
	} while (0)

/* --- shapes ------------------------------------------------------------ */

static __u32 many[FANOUT];

/* A multi of @n copies of @h; 0 or -1/errno. */
static int multi_of(int fd, __u32 h, __u32 n, __u32 *out)
{
	__u32 i;

	for (i = 0; i < n; i++)
		many[i] = h;
	return _test_ioctl_multi_create(fd, 0, many, n, out);
}

static int sub_of(int fd, __u32 parent, __u64 off, __u64 len, __u32 *out)
{
	return _test_ioctl_sub_create(fd, parent, 0, off, len, out);
}

static __u64 length_of(int fd, __u32 h)
{
	struct iobmd_info info;

	if (_test_ioctl_get_info(fd, h, &info))
		return 0;
	return info.length;
}

/*
 * The tree of most visits the bound allows over one byte of buffer @b:
 * S = sub(@b, 0, 1) (2 visits), M1 = 1024 S (2049), T = 511 M1 (1,047,040
 * visits, 523,264 bytes).  Handles in @s, @m1, @t.
 */
#define T_COPIES	511
#define T_VISITS	(1 + T_COPIES * (1 + FANOUT * 2))
#define T_LENGTH	((__u64)T_COPIES * FANOUT)

static int mk_tree(int fd, __u32 b, __u32 *s, __u32 *m1, __u32 *t)
{
	CHK(!sub_of(fd, b, 0, 1, s), "sub of one byte");
	CHK(!multi_of(fd, *s, FANOUT, m1), "multi of 1024 subs");
	CHK(!multi_of(fd, *m1, T_COPIES, t), "multi of %d multis", T_COPIES);
	CHK(length_of(fd, *t) == T_LENGTH, "tree length %llu",
	    (unsigned long long)length_of(fd, *t));
	return 0;
}

/*
 * The greatest fan-out at every level the module accepts, up to depth 8,
 * over the 4 KiB buffer @b: the old module took 1024 each time (2^62 bytes
 * by level 5).  The top is in *@top, its length in *@len.
 */
static int mk_greedy(int fd, __u32 b, __u32 *top, __u64 *len)
{
	__u32 level = b, next, n;
	int depth;

	for (depth = 2; depth <= 8; depth++) {
		for (n = FANOUT; n >= 2; n /= 2)
			if (!multi_of(fd, level, n, &next))
				break;
		if (n < 2)
			break;
		level = next;
	}
	*top = level;
	*len = length_of(fd, level);
	CHK(*len, "no length");
	return 0;
}

/* --- the fixture ------------------------------------------------------- */

FIXTURE(iobmd_work)
{
	int fd;
	struct iobmd_test_stats stats;
	struct stat node;
};

FIXTURE_SETUP(iobmd_work)
{
	sec_setup(_metadata, &self->fd, &self->node, &self->stats);
}

FIXTURE_TEARDOWN(iobmd_work)
{
	if (self->fd >= 0)
		close(self->fd);
	sec_teardown_held(_metadata, &self->stats);
}

/* --- the bound --------------------------------------------------------- */

/*
 * Fan-out 1024 nested: the second level (1,049,601 visits) is refused;
 * the visits bound is exact, whatever the length.
 */
static int fanout_child(void *arg)
{
	int fd = open_own();
	__u32 b, l1, l2, s, m1, t, part, top;

	OPEN_OWN(fd);
	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!mkbuf(fd, 0, PAGE_SIZE, &b), "buffer");
	CHK(!multi_of(fd, b, FANOUT, &l1), "level 1");
	CHK(length_of(fd, l1) == FANOUT * PAGE_SIZE, "level 1 length");
	CHK(FAILS(E2BIG, multi_of(fd, l1, FANOUT, &l2)),
	    "1024 x 1024 x page accepted");

	/* Visits, whatever the length: 1 + T + 1 + 2 x = MAXV at x = 767. */
	TRY(mk_tree(fd, b, &s, &m1, &t));
	CHK(FAILS(E2BIG, multi_of(fd, m1, T_COPIES + 1, &l2)),
	    "%d x 2049 visits accepted", T_COPIES + 1);
	CHK(!multi_of(fd, s, 767, &part), "767 subs");
	many[0] = t;
	many[1] = part;
	CHK(!_test_ioctl_multi_create(fd, 0, many, 2, &top),
	    "exactly MAXV visits refused");
	CHK(!_test_ioctl_release(fd, top) && !_test_ioctl_release(fd, part),
	    "release");
	CHK(!multi_of(fd, s, 768, &part), "768 subs");
	many[0] = t;
	many[1] = part;
	CHK(FAILS(E2BIG, _test_ioctl_multi_create(fd, 0, many, 2, &top)),
	    "MAXV + 1 visits accepted");
	/* Deep and narrow stays allowed: 2^8 - 1 visits at depth 8. */
	for (l2 = b, top = 2; top <= 8; top++)
		CHK(!multi_of(fd, l2, 2, &l2), "depth %u", top);
	CHK(FAILS(ELOOP, multi_of(fd, l2, 2, &top)), "depth 9");
	close(fd);
	return 0;
}

TEST_F(iobmd_work, fanout_nesting_refused)
{
	run_child_bounded(fanout_child, NULL, 120);
	test_held_nothing();
}

/*
 * Length: a composed descriptor holds at most max_capacity bytes, as one
 * buffer does; a multi of many visits but few bytes is not the limit.
 */
static int length_child(void *arg)
{
	int fd = open_own();
	__u64 cap = iobmd_max_capacity(fd), k, rest;
	__u32 b, mg, top, il, i;

	OPEN_OWN(fd);
	CHK(cap >= SZ_1G, "max_capacity %llu below 1 GiB",
	    (unsigned long long)cap);
	k = cap / SZ_1G;
	rest = cap - k * SZ_1G;
	CHK(k < FANOUT, "max_capacity too large for the test");
	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!mkbuf(fd, 0, SZ_1M, &b), "buffer");
	CHK(!multi_of(fd, b, FANOUT, &mg), "1 GiB");
	CHK(!multi_of(fd, mg, k, &top), "%llu GiB", (unsigned long long)k);
	CHK(!_test_ioctl_release(fd, top), "release");
	CHK(FAILS(E2BIG, multi_of(fd, mg, k + 1, &top)),
	    "%llu GiB accepted above max_capacity %llu",
	    (unsigned long long)k + 1, (unsigned long long)cap);

	/* An interleaved descriptor up to max_capacity, not a byte more. */
	CHK(!_test_ioctl_interleaved_create(fd, 0, k + 2, &il), "interleaved");
	for (i = 0; i < k; i++)
		CHK(!_test_ioctl_interleaved_set(fd, il, mg, 0, SZ_1G), "set");
	if (rest)
		CHK(!_test_ioctl_interleaved_set(fd, il, mg, 0, rest),
		    "set the rest");
	CHK(length_of(fd, il) == cap, "interleaved length");
	CHK(FAILS(E2BIG, _test_ioctl_interleaved_set(fd, il, b, 0, 1)),
	    "a byte above max_capacity accepted");
	close(fd);
	return 0;
}

TEST_F(iobmd_work, length_refused)
{
	run_child_bounded(length_child, NULL, 120);
	test_held_nothing();
}

/*
 * A sub of one byte still counts its whole parent: wired() and
 * SET_PURGEABLE traverse the parent whole, and a window's walk skips
 * through its pieces.  Two subs of one byte of the tree are too many.
 */
static int sub_child(void *arg)
{
	int fd = open_own();
	__u32 b, s, m1, t, one, two, top;

	OPEN_OWN(fd);
	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!mkbuf(fd, IOBMD_OPT_PURGEABLE, PAGE_SIZE, &b), "buffer");
	TRY(mk_tree(fd, b, &s, &m1, &t));
	CHK(!sub_of(fd, t, T_LENGTH - 1, 1, &one), "sub of the tree");
	CHK(!sub_of(fd, one, 0, 1, &two), "sub of the sub");
	CHK(FAILS(E2BIG, multi_of(fd, one, 2, &top)),
	    "2 subs of a %u-visit tree accepted", T_VISITS);
	CHK(FAILS(E2BIG, multi_of(fd, one, FANOUT, &top)),
	    "1024 subs of a %u-visit tree accepted", T_VISITS);
	/*
	 * 1024 subs of one byte of the 1024-sub multi, 1024 bytes long: the
	 * old module let one SET_PURGEABLE of it visit 2^21 pieces.
	 */
	CHK(!sub_of(fd, m1, 0, 1, &one), "sub of the multi");
	CHK(FAILS(E2BIG, multi_of(fd, one, FANOUT, &top)),
	    "1024 subs of a 2049-visit multi accepted");
	close(fd);
	return 0;
}

TEST_F(iobmd_work, subs_of_huge_trees_refused)
{
	run_child_bounded(sub_child, NULL, 120);
	test_held_nothing();
}

/*
 * An interleaved descriptor counts 1 + its capacity; once a descriptor
 * is built on it, its pieces cannot count more than that (not even after
 * a clear), until that descriptor is gone.
 */
static int interleaved_child(void *arg)
{
	int fd = open_own();
	__u32 b, s, m1, t, il, m, big, top;

	OPEN_OWN(fd);
	CHK(!become_nobody(NULL, 0), "drop");
	CHK(!mkbuf(fd, 0, PAGE_SIZE, &b), "buffer");
	TRY(mk_tree(fd, b, &s, &m1, &t));
	CHK(!_test_ioctl_interleaved_create(fd, 0, 2, &il), "interleaved");
	CHK(!_test_ioctl_interleaved_set(fd, il, b, 0, 1), "set");
	CHK(!multi_of(fd, il, FANOUT, &m), "1024 x interleaved (3073)");
	/* Grown after being included: 1024 x the tree if it were allowed. */
	CHK(FAILS(E2BIG, _test_ioctl_interleaved_set(fd, il, t, 0, 1)),
	    "interleaved grew by %u visits under a multi", T_VISITS);
	CHK(!_test_ioctl_set(fd, IOBMD_INTERLEAVED_CLEAR, il, 0, NULL), "clear");
	CHK(FAILS(E2BIG, _test_ioctl_interleaved_set(fd, il, t, 0, 1)),
	    "cleared interleaved grew under a multi");
	CHK(!_test_ioctl_interleaved_set(fd, il, b, 0, 1) &&
	    !_test_ioctl_interleaved_set(fd, il, b, 0, 1),
	    "what its capacity counted for");
	CHK(length_of(fd, m) == FANOUT, "multi length");
	/* The multi gone, it may grow; then fewer may be built on it. */
	CHK(!_test_ioctl_release(fd, m), "release");
	CHK(!_test_ioctl_set(fd, IOBMD_INTERLEAVED_CLEAR, il, 0, NULL), "clear");
	CHK(!_test_ioctl_interleaved_set(fd, il, t, 0, 1), "grow");
	CHK(!multi_of(fd, il, 1, &m), "one on the grown one");
	CHK(FAILS(E2BIG, multi_of(fd, il, 2, &top)), "two on the grown one");
	CHK(!sub_of(fd, m, 0, 1, &big), "sub of the one");
	CHK(FAILS(E2BIG, multi_of(fd, big, 2, &top)),
	    "two subs of one on the grown one");
	/* A full capacity counts: 1024 x (1 + 1024) is too many. */
	CHK(!_test_ioctl_interleaved_create(fd, 0, FANOUT, &big) &&
	    !_test_ioctl_interleaved_set(fd, big, b, 0, 1), "big");
	CHK(FAILS(E2BIG, multi_of(fd, big, FANOUT, &top)),
	    "1024 x a 1024-piece interleaved accepted");
	close(fd);
	return 0;
}

TEST_F(iobmd_work, interleaved_grown_after_included)
{
	run_child_bounded(interleaved_child, NULL, 120);
	test_held_nothing();
}

/* --- the largest allowed shapes complete --------------------------------- */

/* How long each call took, written by the children. */
struct timings {
	int n;
	struct {
		const char *what;
		long long ms;
	} t[16];
};

static struct timings *tm;

static void took(const char *what, long long t0)
{
	if (tm->n < 16) {
		tm->t[tm->n].what = what;
		tm->t[tm->n++].ms = now_ms() - t0;
	}
}

/*
 * As nobody: the tree of T_VISITS visits over one byte of a purgeable
 * buffer.  READ, WRITE (with a source and without), PERFORM and every
 * SET_PURGEABLE state complete, with the bytes a model predicts.
 */
static int ops_child(void *arg)
{
	int fd = open_own();
	__u32 b, s, m1, t;
	__u8 *buf, v;
	__u64 old, i;
	long long t0;

	OPEN_OWN(fd);
	CHK(!become_nobody(NULL, 0), "drop");
	buf = malloc(T_LENGTH);
	CHK(buf, "malloc");
	CHK(!mkbuf(fd, IOBMD_OPT_PURGEABLE, PAGE_SIZE, &b), "buffer");
	TRY(mk_tree(fd, b, &s, &m1, &t));

	for (i = 0; i < T_LENGTH; i++)
		buf[i] = i % 251 + 1;
	t0 = now_ms();
	CHK(!_test_ioctl_rw(fd, IOBMD_WRITE, t, 0, buf, T_LENGTH, NULL),
	    "WRITE");
	took("WRITE", t0);
	/* Every byte of the tree is byte 0 of the buffer: the last wins. */
	CHK(!_test_ioctl_rw(fd, IOBMD_READ, b, 0, &v, 1, NULL), "READ b");
	CHK(v == buf[T_LENGTH - 1], "byte %u after WRITE", v);
	memset(buf, 0, T_LENGTH);
	t0 = now_ms();
	CHK(!_test_ioctl_rw(fd, IOBMD_READ, t, 0, buf, T_LENGTH, NULL),
	    "READ");
	took("READ", t0);
	CHK(iobmd_check_bytes(buf, T_LENGTH, v) == T_LENGTH, "READ bytes");
	t0 = now_ms();
	CHK(!_test_ioctl_rw(fd, IOBMD_WRITE, t, 0, NULL, T_LENGTH, NULL),
	    "WRITE NULL");
	took("WRITE NULL", t0);
	CHK(!_test_ioctl_rw(fd, IOBMD_READ, b, 0, &v, 1, NULL) && !v,
	    "byte %u after zero-fill", v);

	CHK(!_test_ioctl_prepare(fd, IOBMD_PREPARE, t, 0), "PREPARE");
	t0 = now_ms();
	CHK(!_test_ioctl_perform(fd, t, IOBMD_OP_FLUSH, 0, T_LENGTH),
	    "PERFORM FLUSH");
	CHK(!_test_ioctl_perform(fd, t, IOBMD_OP_INVALIDATE, 0, T_LENGTH),
	    "PERFORM INVALIDATE");
	took("PERFORM x2", t0);
	CHK(!_test_ioctl_prepare(fd, IOBMD_COMPLETE, t, 0), "COMPLETE");

	t0 = now_ms();
	CHK(!_test_ioctl_set(fd, IOBMD_SET_PURGEABLE, t,
			     IOBMD_PURGEABLE_VOLATILE, &old) &&
	    old == IOBMD_PURGEABLE_NON_VOLATILE, "VOLATILE (old %llu)",
	    (unsigned long long)old);
	CHK(!_test_ioctl_set(fd, IOBMD_SET_PURGEABLE, t,
			     IOBMD_PURGEABLE_EMPTY, &old) &&
	    old == IOBMD_PURGEABLE_VOLATILE, "EMPTY");
	CHK(!_test_ioctl_set(fd, IOBMD_SET_PURGEABLE, t,
			     IOBMD_PURGEABLE_NON_VOLATILE, &old) &&
	    old == IOBMD_PURGEABLE_EMPTY, "NON_VOLATILE");
	took("SET_PURGEABLE x3", t0);
	CHK(!_test_ioctl_set(fd, IOBMD_SET_PURGEABLE, b,
			     IOBMD_PURGEABLE_KEEP_CURRENT, &old) &&
	    old == IOBMD_PURGEABLE_NON_VOLATILE, "buffer's state");
	free(buf);
	close(fd);
	return 0;
}

/*
 * As root (GET_SEGMENTS needs CAP_SYS_ADMIN): one segment per byte, before
 * a prepare and while prepared.  The prepare only wires: its DMA segments
 * are ENODATA at once, whatever the tree's size.
 */
static int segments_child(void *arg)
{
	int fd = open_own();
	__u32 b, s, m1, t, count = 0;
	struct iobmd_segment seg;
	__u64 total = 0;
	long long t0;
	int ret;

	OPEN_OWN(fd);
	CHK(!mkbuf(fd, 0, PAGE_SIZE, &b), "buffer");
	TRY(mk_tree(fd, b, &s, &m1, &t));
	t0 = now_ms();
	CHK(!_test_ioctl_get_segments(fd, t, 0, 0, &seg, &count, &total),
	    "GET_SEGMENTS");
	CHK(total == T_LENGTH, "%llu physical segments",
	    (unsigned long long)total);
	took("GET_SEGMENTS", t0);
	CHK(!_test_ioctl_prepare(fd, IOBMD_PREPARE, t, 0), "PREPARE");
	t0 = now_ms();
	count = 1;
	total = 0;
	memset(&seg, 0, sizeof(seg));
	CHK(!_test_ioctl_get_segments(fd, t, 0, 0, &seg, &count, &total),
	    "GET_SEGMENTS prepared");
	CHK(total == T_LENGTH && count == 1 && seg.len == 1,
	    "%llu physical segments prepared", (unsigned long long)total);
	took("GET_SEGMENTS prepared", t0);
	count = 1;
	ret = _test_ioctl_get_segments_flags(fd, t, IOBMD_SEGMENTS_DMA, 0, 0,
					     &seg, &count, &total);
	CHK(FAILS(ENODATA, ret), "GET_SEGMENTS DMA of a wire-only prepare");
	CHK(!_test_ioctl_prepare(fd, IOBMD_COMPLETE, t, 0), "COMPLETE");
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(iobmd_work, largest_allowed_completes, 900)
{
	int i;

	tm = mmap(NULL, sizeof(*tm), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, tm);
	run_child_bounded(ops_child, NULL, 400);
	run_child_bounded(segments_child, NULL, 400);
	for (i = 0; i < tm->n; i++)
		TH_LOG("%s over %u visits: %lld ms", tm->t[i].what, T_VISITS,
		       tm->t[i].ms);
	munmap(tm, sizeof(*tm));
	test_held_nothing();
}

/* --- a killed walker dies promptly --------------------------------------- */

enum kill_op { K_ZERO, K_PERFORM, K_SOURCE, K_SEGMENTS };

static const char *const kill_names[] = {
	[K_ZERO] = "WRITE NULL", [K_PERFORM] = "PERFORM",
	[K_SOURCE] = "WRITE from a zero-page source",
	[K_SEGMENTS] = "GET_SEGMENTS (root)",
};

static int kill_pipe[2];
static enum kill_op kill_op;

/*
 * As nobody (root for GET_SEGMENTS, which needs CAP_SYS_ADMIN): the
 * largest fan-out tree the module allows (the old module: 2^62 bytes);
 * says "ready" on the pipe, runs the op over all of it, then says "done".
 * PERFORM of a prepare from userspace, which maps nothing, walks the
 * whole tree where DMA is not coherent (arm64) and has nothing to do
 * where it is (x86); GET_SEGMENTS counts one segment per page of the
 * whole length.
 */
static int kill_child(void *arg)
{
	int fd = open_own();
	__u64 len, n;
	__u32 b, top;
	void *src = NULL;
	int ret;

	close(kill_pipe[0]);
	OPEN_OWN(fd);
	if (kill_op != K_SEGMENTS)
		CHK(!become_nobody(NULL, 0), "drop");
	CHK(!mkbuf(fd, 0, PAGE_SIZE, &b), "buffer");
	TRY(mk_greedy(fd, b, &top, &len));
	n = len;
	if (kill_op == K_PERFORM)
		CHK(!_test_ioctl_prepare(fd, IOBMD_PREPARE, top, 0), "PREPARE");
	if (kill_op == K_SOURCE) {
		n = len < SZ_4G ? len : SZ_4G;
		/* Never written: every page reads as the zero page. */
		src = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			   MAP_NORESERVE, -1, 0);
		CHK(src != MAP_FAILED, "source mapping");
	}
	CHK(write(kill_pipe[1], "r", 1) == 1, "ready");
	if (kill_op == K_PERFORM) {
		ret = _test_ioctl_perform(fd, top, IOBMD_OP_FLUSH, 0, n);
	} else if (kill_op == K_SEGMENTS) {
		__u64 total = 0;
		__u32 count = 0;

		ret = _test_ioctl_get_segments(fd, top, 0, 0, NULL, &count,
					       &total);
		CHK(ret || total == len / PAGE_SIZE, "%llu segments",
		    (unsigned long long)total);
	} else {
		ret = _test_ioctl_rw(fd, IOBMD_WRITE, top, 0, src, n, NULL);
	}
	CHK(!ret, "%s of %llu bytes", kill_names[kill_op],
	    (unsigned long long)n);
	CHK(write(kill_pipe[1], "d", 1) == 1, "done");
	return 0;
}

/*
 * Kills the walker @delay_ms into its call; returns how long it took to
 * be gone after SIGKILL, or -1 (note) when it was not.  *@done tells
 * whether the call ended before the kill.
 */
static long long kill_walker(int delay_ms, bool *done)
{
	struct pollfd p;
	long long t0;
	int status;
	char c = 0;
	pid_t pid;

	*done = false;
	if (pipe(kill_pipe))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(kill_child(NULL));
	close(kill_pipe[1]);
	p.fd = kill_pipe[0];
	p.events = POLLIN;
	if (poll(&p, 1, 120000) != 1 || read(kill_pipe[0], &c, 1) != 1 ||
	    c != 'r') {
		kill(pid, SIGKILL);
		reap_by(pid, now_ms() + KILL_GRACE_MS, &status);
		if (!sh->note[0])
			snprintf(sh->note, sizeof(sh->note),
				 "the walker never got ready");
		close(kill_pipe[0]);
		return -1;
	}
	usleep(delay_ms * 1000);
	kill(pid, SIGKILL);
	t0 = now_ms();
	if (reap_by(pid, t0 + KILL_GRACE_MS, &status)) {
		snprintf(sh->note, sizeof(sh->note),
			 "%s: still running %d ms after SIGKILL",
			 kill_names[kill_op], KILL_GRACE_MS);
		close(kill_pipe[0]);
		return -1;
	}
	t0 = now_ms() - t0;
	*done = read(kill_pipe[0], &c, 1) == 1;
	close(kill_pipe[0]);
	/* Finished before the kill: fine, if it succeeded. */
	if (*done && WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		char why[sizeof(sh->note)];

		memcpy(why, sh->note, sizeof(why));
		snprintf(sh->note, sizeof(sh->note),
			 "%s: exited %d before the kill: %.400s",
			 kill_names[kill_op], exit_code(status), why);
		return -1;
	}
	return t0;
}

/* Where the test VMs' DMA is coherent with the CPU's caches (x86). */
#ifdef __x86_64__
#define PERFORM_IS_NOOP	1
#else
#define PERFORM_IS_NOOP	0
#endif

TEST_F_TIMEOUT(iobmd_work, killed_walker_dies_promptly, 600)
{
	long long gone;
	bool done;

	for (kill_op = K_ZERO; kill_op <= K_SEGMENTS; kill_op++) {
		sh->note[0] = 0;
		gone = kill_walker(100, &done);
		ASSERT_LE(0, gone) TH_LOG("%s", sh->note);
		TH_LOG("%s: gone %lld ms after SIGKILL%s", kill_names[kill_op],
		       gone, done ? " (it had finished)" : "");
		/*
		 * Zero-filling 2 GiB, 4 KiB a visit, is not over in 100 ms
		 * (in the test VM it takes about 300 ms, so a kill at 300 ms
		 * could come after it), nor is a copy of 4 GiB or a count of
		 * the tree's pages: each was killed in the middle.  PERFORM
		 * is too where the test VM's DMA is not coherent with the
		 * CPU's caches (arm64: it walks every run of the tree to
		 * find the lines to clean); on x86 it has nothing to do and
		 * is over at once.
		 */
		if (kill_op != K_PERFORM || !PERFORM_IS_NOOP)
			ASSERT_FALSE(done)
				TH_LOG("%s ended before the kill",
				       kill_names[kill_op]);
	}
	test_held_nothing();
}

TEST_HARNESS_MAIN

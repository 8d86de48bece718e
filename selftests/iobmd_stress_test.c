// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded stress run of /dev/iobmd: STRESS_PROCS processes of
 * STRESS_THREADS threads each, every process sharing one open file among
 * its threads, run a random mix of create (buffers of assorted shapes,
 * general descriptors over their own memory, sub, multi and interleaved
 * compositions), MAP + mmap + touch, partial munmap, MADV_DONTNEED,
 * prepare/complete, READ/WRITE/APPEND, SET_LENGTH, release, fork and
 * fresh opens and closes of other files, for a fixed wall time.
 *
 * Each thread keeps a model of what its own descriptors hold and checks
 * it as it goes: through READ, through its mappings, through sub, multi
 * and interleaved views of its own memory, through the memory of its
 * general descriptors, in forked children (over the inherited mappings
 * and file) and, once its process has closed the file with handles and
 * mappings still live, through what is left mapped.  Each thread also
 * publishes its handles to the other threads of its process, which build
 * compositions over them, read, map and prepare those while the owner may
 * be releasing them: these calls must succeed or fail with an errno the
 * ABI documents for them, and their data is not checked.
 *
 * At the end every worker must have exited 0 and the module's counters
 * must all be back to 0.  It prints the seeds, the operations by type,
 * the forks and the errnos seen; a thread that fails prints its last
 * operations.
 *
 * A second test, release_races, runs after it: threads of one file
 * release handle numbers they guess while others create, for 2/5 of the
 * wall time; nothing may be left once the file is closed.
 *
 * IOBMD_STRESS_SECONDS (default 20, at most 240) sets the wall time,
 * IOBMD_STRESS_SEED the base seed, IOBMD_STRESS_PROCS and
 * IOBMD_STRESS_THREADS (1 to 3) fewer workers; IOBMD_STRESS_PARANOID
 * checks every mapping after every operation (for finding the first one
 * that goes wrong; with one thread a seed replays exactly).
 *
 * The workers' state, report and random stream are in
 * iobmd_stress_thread.h, the model of their descriptors and its checks in
 * iobmd_stress_model.h, the errnos each call may fail with in
 * iobmd_stress_errno.h, and the operations in iobmd_stress_create.h,
 * iobmd_stress_use.h, iobmd_stress_map.h and iobmd_stress_lifetime.h.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"
#include "iobmd_stress_thread.h"
#include "iobmd_stress_model.h"
#include "iobmd_stress_create.h"
#include "iobmd_stress_use.h"
#include "iobmd_stress_map.h"
#include "iobmd_stress_lifetime.h"

#define STRESS_SECONDS		20
#define STRESS_MAX_SECONDS	240
#define STRESS_SEED		0x57e55eedULL

/* IOBMD_STRESS_PROCS and IOBMD_STRESS_THREADS can lower them. */
static int nprocs = STRESS_PROCS, nthreads = STRESS_THREADS;
/* IOBMD_STRESS_PARANOID: check every mapping after every operation. */
static bool paranoid;

/* --- the workers ---------------------------------------------------- */

static void check_all(struct thr *t)
{
	int i, k;

	for (k = 0; k < t->nmaps && !t->rep->failed; k++)
		if (t->n[t->m[k].node].tracked)
			map_check(t, k, "a mapping (final check)");
	for (i = 0; i < MAX_NODES && !t->rep->failed; i++)
		if (t->n[i].used && t->n[i].tracked &&
		    t->n[i].kind == IOBMD_KIND_GENERAL)
			check_umem(t, i);
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	while (!stopping(t) && now() < t->p->deadline) {
		unsigned int r = iobmd_rand_below(&t->rng, 1000);
		int full = nodes_used(t) >= MAX_NODES - 2;

		/* Release or unmap instead. */
		if (full && r < 300)
			r = iobmd_rand_chance(&t->rng, 70) ? 820 + iobmd_rand_below(&t->rng, 60) : 670;
		if (r < 90)
			do_buf_create(t);
		else if (r < 140)
			do_general(t);
		else if (r < 180)
			do_view(t, OP_SUB);
		else if (r < 210)
			do_view(t, OP_MULTI);
		else if (r < 235)
			do_view(t, OP_IL_SET);
		else if (r < 300)
			do_cross_compose(t);
		else if (r < 400)
			do_read(t);
		else if (r < 480)
			do_write(t);
		else if (r < 500)
			do_length(t, true);
		else if (r < 515)
			do_length(t, false);
		else if (r < 590)
			do_map(t);
		else if (r < 640)
			do_map_write(t);
		else if (r < 680)
			do_munmap(t);
		else if (r < 700)
			do_dontneed(t);
		else if (r < 770)
			do_prepare(t);
		else if (r < 790)
			do_umem_write(t);
		else if (r < 880)
			do_release(t);
		else if (r < 960)
			do_cross_use(t);
		else if (r < 975)
			do_other_file(t);
		else if (r < 985)
			do_fork(t);
		else
			check_all(t);
		if (paranoid)
			check_all(t);
	}
	check_all(t);
	return NULL;
}

static void thr_free(struct thr *t)
{
	int i;

	while (t->nmaps) {
		munmap(t->m[0].addr, t->m[0].size);
		map_drop(t, 0);
	}
	for (i = 0; i < MAX_NODES; i++)
		if (t->n[i].used) {
			free(t->n[i].model);
			if (t->n[i].umem)
				munmap(t->n[i].umem, t->n[i].umem_size);
		}
	free(t->buf);
	free(t->buf2);
}

/* One worker process: its threads, then close() with everything live. */
static int worker_proc(struct stress_shared *sh, int pi, double deadline)
{
	struct proc *p = calloc(1, sizeof(*p));
	int ti, ret = 0, k;

	if (!p)
		return 2;
	p->sh = sh;
	p->pi = pi;
	p->deadline = deadline;
	p->fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (p->fd < 0) {
		snprintf(sh->rep[pi][0].fail, sizeof(sh->rep[pi][0].fail),
			 "proc %d: open: %s", pi, strerror(errno));
		sh->rep[pi][0].failed = 1;
		return 3;
	}
	for (ti = 0; ti < nthreads; ti++) {
		struct thr *t = &p->t[ti];

		t->p = p;
		t->pi = pi;
		t->ti = ti;
		t->rep = &sh->rep[pi][ti];
		t->rng = t->rep->seed;
		t->buf = malloc(MAX_IO + 1);
		t->buf2 = malloc(MAX_IO + 1);
		if (!t->buf || !t->buf2)
			return 2;
		if (pthread_create(&t->tid, NULL, worker, t))
			return 4;
	}
	for (ti = 0; ti < nthreads; ti++)
		pthread_join(p->t[ti].tid, NULL);

	/*
	 * Handles, prepares and mappings are still live: closing the file
	 * releases the handles; the mappings keep their memory.
	 */
	if (close(p->fd)) {
		snprintf(sh->rep[pi][0].fail, sizeof(sh->rep[pi][0].fail),
			 "proc %d: close: %s", pi, strerror(errno));
		sh->rep[pi][0].failed++;
	}
	for (ti = 0; ti < nthreads; ti++) {
		struct thr *t = &p->t[ti];

		if (!t->rep->failed)
			for (k = 0; k < t->nmaps; k++)
				if (t->n[t->m[k].node].tracked)
					map_check(t, k,
						  "a mapping after close()");
		if (t->rep->failed)
			ret = 1;
		thr_free(t);
	}
	free(p);
	return ret;
}

FIXTURE(stress)
{
	struct stress_shared *sh;
};

FIXTURE_SETUP(stress)
{
	int fd;

	self->sh = MAP_FAILED;
	iobmd_fixture_open(fd);
	close(fd);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(stress)
{
	if (self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
}

static void stress_totals(struct stress_shared *sh, double secs)
{
	unsigned long calls[OP_NR] = { 0 }, ok[OP_NR] = { 0 };
	unsigned long forks = 0, checked = 0, cross = 0, total = 0;
	static unsigned long errs[OP_NR][NR_ERRNO];
	int pi, ti, op, e;

	memset(errs, 0, sizeof(errs));
	for (pi = 0; pi < nprocs; pi++)
		for (ti = 0; ti < nthreads; ti++) {
			struct stress_report *r = &sh->rep[pi][ti];

			for (op = 0; op < OP_NR; op++) {
				calls[op] += r->calls[op];
				ok[op] += r->ok[op];
				for (e = 0; e < NR_ERRNO; e++)
					errs[op][e] += r->errs[op][e];
			}
			forks += r->forks;
			checked += r->checked;
			cross += r->cross;
		}
	for (op = 0; op < OP_NR; op++) {
		char line[512];
		size_t n;

		total += calls[op];
		n = snprintf(line, sizeof(line), "%-22s %8lu call(s), %8lu ok",
			     op_names[op], calls[op], ok[op]);
		for (e = 0; e < NR_ERRNO && n < sizeof(line); e++)
			if (errs[op][e])
				n += snprintf(line + n, sizeof(line) - n,
					      ", %s %lu",
					      e ? strerrorname_np(e) : "other",
					      errs[op][e]);
		ksft_print_msg("%s\n", line);
	}
	ksft_print_msg("%.1f s, %d processes x %d threads: %lu operations, %lu forks, %lu calls on other threads' handles, %lu bytes checked\n",
		       secs, nprocs, nthreads, total, forks, cross,
		       checked);
}

/*
 * Releases racing with creation on one file: creators make and drop
 * descriptors while other threads release handle numbers they guess:
 * the newest one made and the next few (handles are given cyclically,
 * so those are the numbers creators get next).  Either side may find a
 * handle gone (ENOENT), never anything else, and once the file is closed
 * nothing may be left.  A handle that is being created must not be
 * releasable: else the next create can be given the same handle and one
 * descriptor drops out of the table, never freed.  The races must have
 * been run: some guesses took a creator's handle from it.
 */
#define RACE_CREATORS	4
#define RACE_RELEASERS	2

struct race {
	int fd;
	double deadline;
	atomic_uint newest;	/* the handle a creator was given last */
	atomic_ulong creates, stolen, guessed;
	atomic_int bad;
	char why[256];
};

static void race_fail(struct race *r, const char *what, __u32 h, int err)
{
	if (!atomic_fetch_add(&r->bad, 1))
		snprintf(r->why, sizeof(r->why), "%s %u: %s", what, h,
			 strerror(err));
}

static void *race_creator(void *arg)
{
	struct race *r = arg;
	__u32 h, s;

	while (!atomic_load(&r->bad) && now() < r->deadline) {
		if (_test_ioctl_buf_create(r->fd, 0, IOBMD_DIRECTION_INOUT,
					   PAGE_SIZE, 0, 0, NULL, 0, &h)) {
			race_fail(r, "BUF_CREATE", 0, errno);
			break;
		}
		atomic_fetch_add(&r->creates, 1);
		atomic_store(&r->newest, h);
		/* With fewer CPUs than threads, a releaser's turn now. */
		sched_yield();
		/* A sub over it, unless it has gone already. */
		if (_test_ioctl_sub_create(r->fd, h, 0, 0, 1, &s)) {
			if (errno != ENOENT)
				race_fail(r, "SUB_CREATE", h, errno);
		} else if (_test_ioctl_release(r->fd, s) && errno != ENOENT) {
			race_fail(r, "RELEASE", s, errno);
		}
		if (_test_ioctl_release(r->fd, h)) {
			if (errno != ENOENT)
				race_fail(r, "RELEASE", h, errno);
			atomic_fetch_add(&r->stolen, 1);
		}
	}
	return NULL;
}

static void *race_releaser(void *arg)
{
	struct race *r = arg;
	unsigned int k = 0;

	while (!atomic_load(&r->bad) && now() < r->deadline) {
		/* The newest, and the next few, being made now. */
		__u32 h = atomic_load(&r->newest) + k++ % RACE_CREATORS;

		if (!h)
			continue;
		if (!_test_ioctl_release(r->fd, h))
			atomic_fetch_add(&r->guessed, 1);
		else if (errno != ENOENT)
			race_fail(r, "RELEASE (guessed)", h, errno);
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, release_races, STRESS_MAX_SECONDS + 50)
{
	pthread_t tid[RACE_CREATORS + RACE_RELEASERS];
	struct iobmd_test_stats st, before;
	struct race *r = calloc(1, sizeof(*r));
	long secs = STRESS_SECONDS;
	const char *env;
	int i, k;

	ASSERT_NE(NULL, r);
	env = getenv("IOBMD_STRESS_SECONDS");
	if (env)
		secs = strtol(env, NULL, 0);
	ASSERT_GT(secs, 0);
	ASSERT_LE(secs, STRESS_MAX_SECONDS);
	/* A fraction of the main run's time: 8 s by default. */
	secs = secs * 2 / 5 ?: 1;
	ASSERT_EQ(0, iobmd_read_stats(&before));
	r->fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, r->fd);
	r->deadline = now() + secs;
	for (i = 0; i < RACE_CREATORS + RACE_RELEASERS; i++)
		ASSERT_EQ(0, pthread_create(&tid[i], NULL,
					    i < RACE_CREATORS ? race_creator :
					    race_releaser, r));
	for (i = 0; i < RACE_CREATORS + RACE_RELEASERS; i++)
		pthread_join(tid[i], NULL);
	ASSERT_EQ(0, close(r->fd));
	ksft_print_msg("%ld s: %lu creates, %lu released first by a guess, %lu guesses hit\n",
		       secs, atomic_load(&r->creates), atomic_load(&r->stolen),
		       atomic_load(&r->guessed));
	EXPECT_EQ(0, atomic_load(&r->bad)) TH_LOG("%s", r->why);
	/* The races were run: a guess took a creator's handle from it. */
	EXPECT_LT(0, atomic_load(&r->stolen));
	ASSERT_EQ(0, iobmd_read_stats(&st));
	/* Back where they were (0, unless something else leaked before). */
	for (k = 0; k < st.n; k++) {
		EXPECT_EQ(before.held[k], st.held[k])
			TH_LOG("%s is %lld after the file was closed, %lld before",
			       st.name[k], st.held[k], before.held[k]);
	}
	free(r);
}

TEST_F_TIMEOUT(stress, random_mix, STRESS_MAX_SECONDS + 50)
{
	pid_t pids[STRESS_PROCS];
	struct iobmd_test_stats st;
	__u64 base = STRESS_SEED;
	long secs = STRESS_SECONDS;
	double t0, deadline;
	const char *env;
	int pi, ti, k, status, bad = 0;

	env = getenv("IOBMD_STRESS_SECONDS");
	if (env)
		secs = strtol(env, NULL, 0);
	ASSERT_GT(secs, 0);
	ASSERT_LE(secs, STRESS_MAX_SECONDS);
	env = getenv("IOBMD_STRESS_PROCS");
	if (env)
		nprocs = strtol(env, NULL, 0);
	env = getenv("IOBMD_STRESS_THREADS");
	if (env)
		nthreads = strtol(env, NULL, 0);
	ASSERT_TRUE(nprocs >= 1 && nprocs <= STRESS_PROCS);
	ASSERT_TRUE(nthreads >= 1 && nthreads <= STRESS_THREADS);
	paranoid = getenv("IOBMD_STRESS_PARANOID");
	env = getenv("IOBMD_STRESS_SEED");
	if (env)
		base = strtoull(env, NULL, 0);
	ASSERT_EQ(0, iobmd_read_stats(&st));
	for (k = 0; k < st.n; k++)
		if (st.held[k])
			ksft_print_msg("before: %s is %lld\n", st.name[k],
				       st.held[k]);

	for (pi = 0; pi < nprocs; pi++)
		for (ti = 0; ti < nthreads; ti++) {
			__u64 seed = base * 1000003ULL + pi * 16 + ti;

			self->sh->rep[pi][ti].seed = seed;
			ksft_print_msg("proc %d thread %d: seed %#llx\n", pi,
				       ti, (unsigned long long)seed);
		}
	fflush(stdout);
	fflush(stderr);
	t0 = now();
	deadline = t0 + secs;
	for (pi = 0; pi < nprocs; pi++) {
		pids[pi] = fork();
		ASSERT_LE(0, pids[pi]);
		if (!pids[pi])
			_exit(worker_proc(self->sh, pi, deadline));
	}
	for (pi = 0; pi < nprocs; pi++) {
		ASSERT_EQ(pids[pi], waitpid(pids[pi], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			ksft_print_msg("proc %d: %s %d\n", pi,
				       WIFEXITED(status) ? "exit" : "signal",
				       WIFEXITED(status) ? WEXITSTATUS(status) :
				       WTERMSIG(status));
			bad++;
		}
	}
	stress_totals(self->sh, now() - t0);
	for (pi = 0; pi < nprocs; pi++)
		for (ti = 0; ti < nthreads; ti++)
			if (self->sh->rep[pi][ti].failed) {
				struct stress_report *r = &self->sh->rep[pi][ti];
				unsigned int j;

				ksft_print_msg("FAILED (seed %#llx): %s\n",
					       (unsigned long long)r->seed,
					       r->fail);
				j = r->ring_pos > TRACE_LEN ?
				    r->ring_pos - TRACE_LEN : 0;
				for (; j < r->ring_pos; j++)
					ksft_print_msg("  op %u: %s\n", j,
						       r->ring[j % TRACE_LEN]);
				bad++;
			}
	EXPECT_EQ(0, bad);

	/* Every file is closed, every mapping gone: nothing is held. */
	ASSERT_EQ(0, iobmd_read_stats(&st))
		TH_LOG("cannot read %s", IOBMD_STATS_PATH);
	for (k = 0; k < st.n; k++) {
		EXPECT_EQ(0, st.held[k])
			TH_LOG("%s is %lld after every worker exited",
			       st.name[k], st.held[k]);
	}
}

TEST_HARNESS_MAIN

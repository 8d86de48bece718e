// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd buffers and the memory cgroup: a buffer's pages, contiguous or
 * not, and the module's page array for it are charged to the cgroup of the
 * process that creates it, so a buffer beyond the cgroup's memory.max
 * fails cleanly with ENOMEM (no OOM kill, the process lives on), whichever
 * allocation reaches the limit; one below it works, and releasing it
 * uncharges every byte.  Pinning user memory (prepare() of a general
 * descriptor) charges the list of pinned pages, and fails as cleanly.
 * A kernel importer's vmap of a buffer's dma-buf charges nothing, so that
 * it works in a cgroup without room (the dma-buf core warns when it fails).
 * Reading an import whose exporter has yet to allocate its memory (vgem's)
 * in a cgroup without room for it fails cleanly (ENOMEM), with no such
 * warning, and works once there is room.
 *
 * Each test forks a worker, moves it into a new child cgroup of the
 * cgroup2 hierarchy (mounted at /sys/fs/cgroup when nothing is there yet:
 * the test VM boots a bare initramfs) and reads the cgroup's files from
 * there.  Runs as root.
 */
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"

#define MEMCG_LIMIT	SZ_64M

/*
 * What the cgroup's usage may differ by from the buffers alone: the
 * worker's own pages (stack, page tables), the kernel's bookkeeping of the
 * buffer (its page array: 2 KiB per MiB) and the per-CPU charge caches the
 * memory controller keeps (64 pages each).
 */
#define MEMCG_SLACK	SZ_1M

/* Reads a whole small file into @buf; 0 or -errno. */
static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* A number file of cgroup @dir, or -1.  No stdio: no heap. */
static long long cg_read(const char *dir, const char *file)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/* One "key value" line of a flat-keyed file (memory.events), or -1. */
static long long cg_read_key(const char *dir, const char *file,
			     const char *key)
{
	char path[256], buf[1024], *line;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	for (line = buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	}
	return -1;
}

/* What the worker saw, in memory it shares with the test. */
struct memcg_report {
	int step;		/* the step that failed, 0 when all ran */
	long long start;	/* memory.current when it began */
	int big_errno;		/* 128 MiB, non-contiguous: the errno */
	long long after_big;	/* memory.current after that failed */
	long long with_small;	/* ... while a 32 MiB buffer lived */
	long long after_small;	/* ... once it was released */
	long long filler;	/* bytes of the buffer that filled the cgroup */
	int contig_over_errno;	/* 4 MiB contiguous beyond the limit */
	int contig_ok_errno;	/* 4 MiB contiguous once room was made */
	long long with_contig;	/* memory.current while it lived */
	long long filler2;	/* bytes of the buffer that filled it again */
	int huge_errno;		/* 1 GiB whose page array does not fit */
	long long end;		/* memory.current at the end */
};

static int create(int fd, __u32 options, __u64 capacity, __u32 *handle)
{
	*handle = 0;
	return _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT | options,
				      capacity, 0, 0, NULL, 0, handle) ?
		       errno :
		       0;
}

/* The worker: joins cgroup @dir, then allocates; exits 0 unless a step
 * that must work did not. */
static int memcg_worker(const char *dir, struct memcg_report *r)
{
	char procs[256];
	__u32 h, filler;
	__u64 room;
	int fd;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	r->step = 1;
	if (iobmd_write_file(procs, "0"))
		return 1;
	r->step = 2;
	fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (fd < 0)
		return 1;
	r->start = cg_read(dir, "memory.current");

	/* Twice the limit: the charge fails part way, all of it is undone. */
	r->big_errno = create(fd, 0, SZ_128M, &h);
	r->step = 3;
	if (!r->big_errno || h)
		return 1;
	r->after_big = cg_read(dir, "memory.current");

	/* Half of it: charged while it lives, uncharged when released. */
	r->step = 4;
	if (create(fd, 0, 32 * SZ_1M, &h))
		return 1;
	r->with_small = cg_read(dir, "memory.current");
	if (_test_ioctl_release(fd, h))
		return 1;
	r->after_small = cg_read(dir, "memory.current");

	/* Fill the cgroup to 2 MiB below the limit: a 4 MiB contiguous
	 * buffer does not fit, and does once the filler is gone. */
	r->step = 5;
	room = MEMCG_LIMIT - cg_read(dir, "memory.current");
	r->filler = (room - 2 * SZ_1M) & ~(SZ_64K - 1);
	if (create(fd, 0, r->filler, &filler))
		return 1;
	r->contig_over_errno = create(fd, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				      SZ_4M, &h);
	r->step = 6;
	if (!r->contig_over_errno || h || _test_ioctl_release(fd, filler))
		return 1;
	r->contig_ok_errno = create(fd, IOBMD_OPT_PHYSICALLY_CONTIGUOUS, SZ_4M,
				    &h);
	r->step = 7;
	if (r->contig_ok_errno)
		return 1;
	r->with_contig = cg_read(dir, "memory.current");
	if (_test_ioctl_release(fd, h))
		return 1;

	/* Fill it to 256 KiB below the limit: a 1 GiB buffer's page array
	 * (2 MiB) does not fit either, and that fails as cleanly. */
	r->step = 8;
	room = MEMCG_LIMIT - cg_read(dir, "memory.current");
	r->filler2 = (room - SZ_256K - room / 512) & ~(SZ_64K - 1);
	if (create(fd, 0, r->filler2, &filler))
		return 1;
	r->huge_errno = create(fd, 0, 1024 * SZ_1M, &h);
	r->step = 9;
	if (!r->huge_errno || h || _test_ioctl_release(fd, filler))
		return 1;
	close(fd);
	r->end = cg_read(dir, "memory.current");
	r->step = 0;
	return 0;
}

/* Forks a worker that exits with what @call returns: its pid. */
#define memcg_start_worker(call)                                              \
	({                                                                    \
		pid_t __pid;                                                  \
		fflush(stdout);                                               \
		fflush(stderr);                                               \
		__pid = fork();                                               \
		ASSERT_LE(0, __pid);                                          \
		if (__pid == 0)                                               \
			_exit(call);                                          \
		__pid;                                                        \
	})

/* The reaped worker's @status: it was not killed and ran every step. */
#define memcg_worker_ok(status, step)                                         \
	({                                                                    \
		ASSERT_TRUE(WIFEXITED(status))                                \
			TH_LOG("worker killed by signal %d",                  \
			       WTERMSIG(status));                             \
		ASSERT_EQ(0, WEXITSTATUS(status))                             \
			TH_LOG("failed at step %d", step);                    \
	})

FIXTURE(iobmd_memcg)
{
	bool mounted;
	bool kapi;	/* the test loaded iobmd_dmabuf_kapi.ko */
	char dir[128];
	void *shared;	/* the worker's report: a page shared with it */
};

FIXTURE_SETUP(iobmd_memcg)
{
	char buf[256], max[32];
	struct statfs sfs;

	self->mounted = false;
	self->kapi = false;
	self->dir[0] = 0;
	self->shared = MAP_FAILED;
	if (access(IOBMD_DEV_PATH, F_OK))
		SKIP(return, "%s is absent (iobmd.ko not loaded)",
		     IOBMD_DEV_PATH);
	ASSERT_EQ(0, statfs(CGROUP_ROOT, &sfs)) TH_LOG("no %s", CGROUP_ROOT);
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		ASSERT_EQ(0, mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL))
			TH_LOG("mounting cgroup2: %s", strerror(errno));
		self->mounted = true;
	}
	ASSERT_EQ(0, read_file(CGROUP_ROOT "/cgroup.controllers", buf,
			       sizeof(buf)));
	if (!strstr(buf, "memory"))
		SKIP(return, "no memory controller in cgroup2 (%s: '%s')",
		     CGROUP_ROOT "/cgroup.controllers", buf);
	ASSERT_EQ(0, iobmd_write_file(CGROUP_ROOT "/cgroup.subtree_control",
				"+memory"));

	snprintf(self->dir, sizeof(self->dir), CGROUP_ROOT "/iobmd_memcg.%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	snprintf(buf, sizeof(buf), "%s/memory.max", self->dir);
	snprintf(max, sizeof(max), "%llu", MEMCG_LIMIT);
	ASSERT_EQ(0, iobmd_write_file(buf, max));
	ASSERT_EQ(MEMCG_LIMIT, cg_read(self->dir, "memory.max"));

	self->shared = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->shared);
}

/*
 * Run by the harness outside the test's body, also after a failed
 * ASSERT_*() (a FIXTURE_TEARDOWN() is skipped then at -O2), so the cgroup
 * goes whatever happened.  It may run in another process than setup's:
 * the shared page goes as that process exits.  No ASSERT_*() in it: after
 * a failed assertion any ASSERT_*() would end it there.
 */
FIXTURE_TEARDOWN_PARENT(iobmd_memcg)
{
	/* The worker is gone; its cgroup empties as it is reaped. */
	iobmd_cgroup_remove(self->dir, self->mounted);
	/* Left loaded by a failed assertion: later tests load it again. */
	if (self->kapi)
		syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0);
}

TEST_F(iobmd_memcg, limit)
{
	struct memcg_report *r = self->shared;
	long long failures = iobmd_stat("alloc_failures");
	int status;
	pid_t pid;

	pid = memcg_start_worker(memcg_worker(self->dir, r));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	TH_LOG("memory.current: %lld at the start, %lld after 128 MiB failed, %lld with 32 MiB, %lld after, %lld with 4 MiB contiguous, %lld at the end; fillers %lld, %lld",
	       r->start, r->after_big, r->with_small, r->after_small,
	       r->with_contig, r->end, r->filler, r->filler2);
	/* The worker lived to the end and was not killed. */
	memcg_worker_ok(status, r->step);

	/* Beyond the limit: ENOMEM, and nothing stays charged. */
	EXPECT_EQ(ENOMEM, r->big_errno);
	EXPECT_EQ(ENOMEM, r->contig_over_errno);
	EXPECT_EQ(0, r->contig_ok_errno);
	EXPECT_EQ(ENOMEM, r->huge_errno);
	EXPECT_GE(r->start + MEMCG_SLACK, r->after_big);
	/*
	 * Below it: the buffer's bytes are charged, and given back.  (The
	 * usage at the start may include charge caches that a failed charge
	 * drains, hence lower bounds of the buffers alone.)
	 */
	EXPECT_LE(32 * (long long)SZ_1M, r->with_small);
	EXPECT_GE(r->start + 32 * (long long)SZ_1M + MEMCG_SLACK,
		  r->with_small);
	EXPECT_GE(r->start + MEMCG_SLACK, r->after_small);
	EXPECT_LE((long long)SZ_4M, r->with_contig);
	EXPECT_GE(r->start + (long long)SZ_4M + MEMCG_SLACK, r->with_contig);
	EXPECT_GE(r->start + MEMCG_SLACK, r->end);

	/* The limit was reached, and no OOM killer ran. */
	EXPECT_LT(0, cg_read_key(self->dir, "memory.events", "max"));
	EXPECT_EQ(0, cg_read_key(self->dir, "memory.events", "oom"));
	EXPECT_EQ(0, cg_read_key(self->dir, "memory.events", "oom_kill"));
	/* The module counted the failures of its allocator. */
	if (failures >= 0)
		EXPECT_EQ(failures + 3, iobmd_stat("alloc_failures"));
}

/* What the worker of the general-descriptor test saw. */
struct pin_report {
	int step;		/* the step that failed, 0 when all ran */
	int first_errno;	/* prepare() with room to spare */
	int full_errno;		/* prepare() with the cgroup full */
	int again_errno;	/* prepare() once room was made again */
};

#define PIN_RANGE	(256 * SZ_1M)	/* its list of runs: 1 MiB */
#define PIN_LIMIT	(320 * SZ_1M)

static int prepare(int fd, __u32 h)
{
	return _test_ioctl_prepare(fd, IOBMD_PREPARE, h, IOBMD_DIRECTION_NONE) ?
		       errno :
		       0;
}

static int complete(int fd, __u32 h)
{
	return _test_ioctl_prepare(fd, IOBMD_COMPLETE, h, IOBMD_DIRECTION_NONE);
}

/*
 * Joins cgroup @dir, describes 256 MiB of its own (charged) memory and
 * prepares it three times: with room, with the cgroup filled to 64 KiB
 * below its limit (the list of the pinned pages' runs does not fit), and
 * with room again.
 */
static int pin_worker(const char *dir, struct pin_report *r)
{
	char procs[256];
	__u32 general, filler;
	__u64 room, filler_len, off;
	__u8 *area;
	int fd;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	r->step = 1;
	if (iobmd_write_file(procs, "0"))
		return 1;
	fd = open(IOBMD_DEV_PATH, O_RDWR);
	area = mmap(NULL, PIN_RANGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r->step = 2;
	if (fd < 0 || area == MAP_FAILED)
		return 1;
	/* Without transparent huge pages (EINVAL) every page is small. */
	if (madvise(area, PIN_RANGE, MADV_NOHUGEPAGE) && errno != EINVAL)
		return 1;
	/*
	 * Even pages, then odd ones: neighbours come from different times,
	 * so hardly any two are physically adjacent, and each page is a run.
	 */
	for (off = 0; off < PIN_RANGE; off += 2 * PAGE_SIZE)
		area[off] = 1;
	for (off = PAGE_SIZE; off < PIN_RANGE; off += 2 * PAGE_SIZE)
		area[off] = 1;
	if (_test_ioctl_general_create(fd, 0, IOBMD_DIRECTION_INOUT,
				       &(struct iobmd_range){
					       (uintptr_t)area, PIN_RANGE },
				       1, &general))
		return 1;
	r->first_errno = prepare(fd, general);
	r->step = 3;
	if (r->first_errno || complete(fd, general))
		return 1;

	room = PIN_LIMIT - cg_read(dir, "memory.current");
	filler_len = (room - SZ_64K - room / 512) & ~(SZ_64K - 1);
	r->step = 4;
	if (create(fd, 0, filler_len, &filler))
		return 1;
	r->full_errno = prepare(fd, general);
	r->step = 5;
	if (!r->full_errno)
		complete(fd, general);
	if (_test_ioctl_release(fd, filler))
		return 1;
	r->again_errno = prepare(fd, general);
	r->step = 6;
	if (r->again_errno || complete(fd, general) ||
	    _test_ioctl_release(fd, general))
		return 1;
	close(fd);
	r->step = 0;
	return 0;
}

/*
 * Pinning user memory (a general descriptor's prepare) needs a list of
 * its physically contiguous runs, charged too: when that does not fit,
 * prepare() fails with ENOMEM and nobody is killed.
 */
TEST_F_TIMEOUT(iobmd_memcg, general_pin, 180)
{
	struct pin_report *r = self->shared;
	char path[256], max[32];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	snprintf(max, sizeof(max), "%llu", PIN_LIMIT);
	ASSERT_EQ(0, iobmd_write_file(path, max));
	pid = memcg_start_worker(pin_worker(self->dir, r));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	memcg_worker_ok(status, r->step);
	EXPECT_EQ(0, r->first_errno);
	EXPECT_EQ(ENOMEM, r->full_errno);
	EXPECT_EQ(0, r->again_errno);
	EXPECT_EQ(0, cg_read_key(self->dir, "memory.events", "oom"));
	EXPECT_EQ(0, cg_read_key(self->dir, "memory.events", "oom_kill"));
}

/* What the worker of the vmap test saw, and when it may leave. */
struct vmap_report {
	int step;		/* the step that failed, 0 when all ran */
	int vmap_errno;		/* the kernel's vmap of the dma-buf */
	int done;		/* the worker: the vmap returned */
	int go;			/* the test: it read the cgroup's events */
};

#define VMAP_FIRST_BYTE	0x51	/* of the dma-buf's first page */
#define VMAP_WAIT_US	5000
#define VMAP_WAITS	2000	/* 10 s */

/* Waits for *@flag to be set by the other side, 10 s at most. */
static void vmap_wait(int *flag)
{
	int i;

	for (i = 0; i < VMAP_WAITS && !__atomic_load_n(flag, __ATOMIC_ACQUIRE);
	     i++)
		usleep(VMAP_WAIT_US);
}

/*
 * The vmap worker: with its memory in place (a fault would need a charge
 * too), joins the cgroup through @procs, whose limit is 0, has the kapi
 * module vmap dma-buf @dfd through @run, and stays in the cgroup until the
 * test has read its events (its exit could be charged there: a SIGCHLD
 * the test catches or blocks is queued in accounted memory).
 */
static int vmap_worker(int procs, int run, int dfd, struct vmap_report *r)
{
	char cmd[32];
	int n;

	n = snprintf(cmd, sizeof(cmd), "vmap %d %x", dfd, VMAP_FIRST_BYTE);
	iobmd_touch_stack();
	r->step = 1;
	if (mlockall(MCL_CURRENT))
		return 1;
	r->step = 2;
	if (write(procs, "0", 1) != 1)
		return 1;
	r->vmap_errno = write(run, cmd, n) == n ? 0 : errno;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	vmap_wait(&r->go);
	r->step = 0;
	return 0;
}

/*
 * An importer's vmap of a buffer's dma-buf (vb2-vmalloc's, at a queued
 * buffer) in a cgroup that has no room for anything: the core warns when
 * an exporter's vmap fails, so iobmd's allocates nothing it would be
 * charged for (it maps the buffer's own list of pages), and it works.
 * The vmap is the kapi module's, in the worker's context, as an importer
 * makes it in the caller's.  A worker that joins a cgroup keeps its
 * charges where they were, so the empty cgroup's limit can be 0.  The
 * dma-buf is pages 1 to 3 of a buffer of 4 whose pages start with bytes
 * of their own: the mapping shows those pages, in order.
 */
TEST_F(iobmd_memcg, export_vmap_at_the_limit)
{
	struct vmap_report *r = self->shared;
	int fd, dfd, procs, run, status;
	long long max_events, ooms;
	char path[256], res[1024];
	__u64 done;
	pid_t pid;
	__u32 h;
	__u8 b;
	int i;

	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	self->kapi = true;
	fd = open(IOBMD_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, create(fd, 0, 4 * PAGE_SIZE, &h));
	for (i = 0; i < 4; i++) {
		b = VMAP_FIRST_BYTE - 1 + i;
		ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, h, i * PAGE_SIZE,
					    &b, 1, &done));
	}
	ASSERT_EQ(0, _test_export(fd, h, PAGE_SIZE, 2 * PAGE_SIZE + PAGE_SIZE / 2,
				  O_RDWR | O_CLOEXEC, &dfd));

	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	ASSERT_EQ(0, iobmd_write_file(path, "0"));
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->dir);
	procs = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, procs);
	run = open(DMABUF_KAPI_DIR "run", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, run);
	pid = memcg_start_worker(vmap_worker(procs, run, dfd, r));
	vmap_wait(&r->done);
	/* Else the events below would be read before the vmap. */
	EXPECT_TRUE(__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
		TH_LOG("the worker's vmap took over 10 s");
	max_events = cg_read_key(self->dir, "memory.events", "max");
	ooms = cg_read_key(self->dir, "memory.events", "oom");
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	memcg_worker_ok(status, r->step);

	EXPECT_EQ(0, r->vmap_errno) TH_LOG("vmap: %s", strerror(r->vmap_errno));
	ASSERT_EQ(0, iobmd_read_file(DMABUF_KAPI_DIR "results", res,
				     sizeof(res)));
	EXPECT_EQ(NULL, strstr(res, "not ok")) TH_LOG("%s", res);
	EXPECT_NE(NULL, strstr(res, "3 pages, each starting with its byte"))
		TH_LOG("%s", res);
	/* Nothing was charged to it, so nothing was refused. */
	EXPECT_EQ(0, max_events);
	EXPECT_EQ(0, ooms);

	close(run);
	close(procs);
	close(dfd);
	EXPECT_EQ(0, _test_ioctl_release(fd, h));
	close(fd);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
	self->kapi = false;
}

/* What the worker of the import test saw, and when it may go on. */
struct import_report {
	int step;		/* the step that failed, 0 when all ran */
	int full_errno;		/* the read with the cgroup full */
	int attached;		/* devices attached after it */
	int again_errno;	/* the read once there was room */
	int attached_after;	/* devices attached after that */
	int read_back;		/* a byte written, read back: 0 */
	__u8 byte;		/* the byte the read found */
	int done;		/* the worker: the first read returned */
	int go;			/* the test: the limit is lifted */
};

#define IMPORT_LIMIT	(8 * SZ_1M)
#define IMPORT_SIZE	SZ_64M

/* The kernel's taint flags; -1 if unknown. */
static long long kernel_taint(void)
{
	char buf[32];

	if (read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 10);
}

/*
 * The import worker: makes a vgem buffer whose pages do not exist yet,
 * imports its dma-buf, joins the cgroup through @procs and reads a byte of
 * it; once the test lifted the limit, reads and writes it again.  Nothing
 * of its own faults in the cgroup (it could not be charged).
 */
static int import_worker(int procs, struct import_report *r)
{
	struct dmabuf_info info;
	int card, fd, dfd;
	__u64 size = IMPORT_SIZE, done;
	__u32 gem, h;
	__u8 x = 'x';

	iobmd_touch_stack();
	r->step = 1;
	card = vgem_open();
	fd = open(IOBMD_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (card < 0 || fd < 0 || vgem_create(card, &size, &gem) ||
	    vgem_export(card, gem, DRM_CLOEXEC | DRM_RDWR, &dfd))
		return 1;
	r->step = 2;
	if (_test_ioctl_import(fd, sizeof(struct iobmd_import_dmabuf), 0, dfd,
			       IOBMD_DIRECTION_INOUT, 0, &h))
		return 1;
	r->step = 3;
	if (mlockall(MCL_CURRENT) || write(procs, "0", 1) != 1)
		return 1;
	r->full_errno = _test_ioctl_rw(fd, IOBMD_READ, h, 0, &r->byte, 1,
				       &done) ? errno : 0;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	vmap_wait(&r->go);
	r->step = 4;
	if (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE) ||
	    dmabuf_bufinfo(dfd, &info))
		return 1;
	r->attached = info.attached;
	r->again_errno = _test_ioctl_rw(fd, IOBMD_READ, h, size - 1, &r->byte,
					1, &done) ? errno : 0;
	r->step = 5;
	if (!r->again_errno && done != 1)
		return 1;
	r->read_back = _test_ioctl_rw(fd, IOBMD_WRITE, h, size - 1, &x, 1,
				      &done) ||
		       _test_ioctl_rw(fd, IOBMD_READ, h, size - 1, &x, 1,
				      &done) ||
		       x != 'x';
	r->step = 6;
	if (dmabuf_bufinfo(dfd, &info))
		return 1;
	r->attached_after = info.attached;
	r->step = 7;
	if (_test_ioctl_release(fd, h))
		return 1;
	close(dfd);
	close(fd);
	close(card);
	r->step = 0;
	return 0;
}

/*
 * vgem allocates a buffer's pages (shmem's) when they are first needed, in
 * the cgroup of the process that needs them: for the import, the first
 * read, through the exporter's kernel mapping.  The dma-buf core warns
 * when an exporter's vmap fails, so iobmd holds the memory first with an
 * attachment (vgem pins its pages at attach), which fails with ENOMEM and
 * no warning, leaving nothing attached.  With room made, the same
 * import reads and writes.
 */
TEST_F(iobmd_memcg, import_read_at_the_limit)
{
	struct import_report *r = self->shared;
	char path[256], max[32];
	long long taint;
	int procs, status;
	pid_t pid;

	IOBMD_NEED_VGEM();
	taint = kernel_taint();
	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	snprintf(max, sizeof(max), "%llu", IMPORT_LIMIT);
	ASSERT_EQ(0, iobmd_write_file(path, max));
	snprintf(path, sizeof(path), "%s/cgroup.procs", self->dir);
	procs = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, procs);
	pid = memcg_start_worker(import_worker(procs, r));
	vmap_wait(&r->done);
	EXPECT_TRUE(__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
		TH_LOG("the worker's read took over 10 s (step %d)", r->step);
	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	EXPECT_EQ(0, iobmd_write_file(path, "max"));
	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	memcg_worker_ok(status, r->step);
	close(procs);

	EXPECT_EQ(ENOMEM, r->full_errno)
		TH_LOG("read at the limit: %s", strerror(r->full_errno));
	EXPECT_EQ(0, r->attached);
	EXPECT_EQ(0, r->again_errno)
		TH_LOG("read with room: %s", strerror(r->again_errno));
	EXPECT_EQ(0, r->byte);
	EXPECT_EQ(0, r->read_back);
	EXPECT_EQ(0, r->attached_after);
	/* vgem's charge fails where it could OOM-kill. */
	EXPECT_LT(0, cg_read_key(self->dir, "memory.events", "max"));
	EXPECT_EQ(0, cg_read_key(self->dir, "memory.events", "oom_kill"));
	/* No warning (TAINT_WARN) where there was none. */
	if (taint >= 0 && !(taint & 512))
		EXPECT_EQ(0, kernel_taint() & 512)
			TH_LOG("the kernel warned: see its log");
}

TEST_HARNESS_MAIN

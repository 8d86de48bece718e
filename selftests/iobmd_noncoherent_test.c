// SPDX-License-Identifier: GPL-2.0
/*
 * performOperation() (IOBMD_PERFORM) where DMA is not coherent with the
 * CPU's caches: arm64 here, whose guest's devices nothing marks coherent;
 * x86 is coherent, and the same tests assert that nothing is done there.
 *
 * kernel_device: selftests/kapi/iobmd_nc.ko prepares a buffer for a
 * platform device of its own and plays the device.  Booted with
 * swiotlb=force (scripts/vm-run.sh --cmdline swiotlb=force) its DMA
 * address is a bounce slot, a stale copy QEMU's TCG really has (it models
 * no caches): the CPU must read the old bytes until INVALIDATE or
 * complete(), the device must see the CPU's writes only after STORE or
 * FLUSH.  Without swiotlb=force it checks that nothing bounced.
 *
 * user_prepared: memory prepared from userspace is mapped for no device
 * (a userspace driver's device DMAs to its physical segments).  TCG keeps
 * no stale lines to look at, so the test watches what the kernel does:
 * the function tracer, limited to this process (set_ftrace_pid), counts
 * the calls of the DMA API's mapping function and, on arm64, of the
 * architecture's cache maintenance (arch_sync_dma_for_device cleans,
 * arch_sync_dma_for_cpu invalidates) during each IOBMD_PERFORM.  STORE
 * must clean and not invalidate, INVALIDATE the reverse (but for the
 * lines it shares with bytes outside its range, which it cleans first),
 * FLUSH both, each once per mapping; prepare and complete do none (they
 * only wire, as IOKit's).  On x86 none of them maps anything.  Under swiotlb=force on
 * arm64 the lines cannot be reached through the DMA API: PERFORM and
 * uncached or write-combined buffers are EOPNOTSUPP.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iobmd_utils.h"

#define NC_MODULE	"/lib/modules/iobmd_nc.ko"
#define NC_RESULTS	"/sys/kernel/debug/iobmd_nc/results"
#define NC_TESTS_BOUNCED	13
#define NC_TESTS_DIRECT		8
#define TRACING		"/sys/kernel/tracing"

static long held_descriptors(void)
{
	return iobmd_stat("descriptors");
}

TEST(kernel_device)
{
	bool forced = iobmd_swiotlb_forced();
	int fd, ok = 0, not_ok = 0, plan = -1;
	int tests = forced ? NC_TESTS_BOUNCED : NC_TESTS_DIRECT;
	char line[256];
	FILE *f;

	ASSERT_EQ(0, held_descriptors());
	if (access(NC_MODULE, F_OK))
		SKIP(return, IOBMD_NO_KAPI_MODULE, NC_MODULE);
	fd = open(NC_MODULE, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", NC_MODULE, strerror(errno));
	ASSERT_EQ(0, syscall(SYS_finit_module, fd,
			     forced ? "bounce=1" : "bounce=0", 0))
		TH_LOG("loading %s: %s", NC_MODULE, strerror(errno));
	close(fd);
	f = fopen(NC_RESULTS, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", NC_RESULTS, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "ok ", 3))
			ok++;
		else if (!strncmp(line, "not ok ", 7))
			not_ok++;
		else
			sscanf(line, "1..%d", &plan);
		TH_LOG("kernel: %s", line);
	}
	fclose(f);
	EXPECT_EQ(0, not_ok);
	EXPECT_EQ(tests, ok);
	EXPECT_EQ(tests, plan);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_nc", 0));
	EXPECT_EQ(0, held_descriptors());
}

/* The functions counted, and how many calls each had in the last window. */
static const char *const traced[] = {
	"dma_map_page_attrs",
#ifdef __aarch64__
	"arch_sync_dma_for_device",
	"arch_sync_dma_for_cpu",
#endif
};

#define NTRACED	ARRAY_SIZE(traced)
enum { MAPS, CLEANS, INVALS };

static int trace_write(const char *file, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), TRACING "/%s", file);
	return iobmd_write_file(path, text);
}

/* Empty the trace buffer. */
static int trace_reset(void)
{
	int fd = open(TRACING "/trace", O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Count the traced functions' calls in the trace buffer into @calls. */
static int trace_count(unsigned int *calls)
{
	char line[512], want[64];
	unsigned int i;
	FILE *f = fopen(TRACING "/trace", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (i = 0; i < NTRACED; i++) {
			snprintf(want, sizeof(want), " %s <-", traced[i]);
			if (strstr(line, want))
				calls[i]++;
		}
	}
	fclose(f);
	return 0;
}

/* Empty set_ftrace_filter: only an open with O_TRUNC does. */
static int trace_clear_filter(void)
{
	int fd = open(TRACING "/set_ftrace_filter", O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

FIXTURE(user_prepared)
{
	int fd;
	bool forced;
	bool counting;
};

FIXTURE_SETUP(user_prepared)
{
	char filter[64], pid[32];
	unsigned int i;

	iobmd_fixture_open(self->fd);
	self->forced = iobmd_swiotlb_forced();
	if (access(TRACING "/trace", F_OK))
		ASSERT_EQ(0, mount("nodev", TRACING, "tracefs", 0, NULL))
			TH_LOG("mounting tracefs: %s", strerror(errno));
	/*
	 * Debian's kernels have the function tracer; the debug kernel
	 * (selftests/config.debug) has none.  There, on x86, the calls still
	 * must succeed; arm64, where the counts are the point, needs it.
	 */
	self->counting = !access(TRACING "/set_ftrace_filter", F_OK);
#ifdef __aarch64__
	ASSERT_TRUE(self->counting) TH_LOG("no function tracer");
#endif
	if (!self->counting) {
		TH_LOG("no function tracer: calls not counted");
		return;
	}
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	ASSERT_EQ(0, trace_write("tracing_on", "0\n"));
	ASSERT_EQ(0, trace_write("current_tracer", "nop\n"));
	/* Without O_TRUNC each write adds to the filter. */
	ASSERT_EQ(0, trace_clear_filter());
	for (i = 0; i < NTRACED; i++) {
		snprintf(filter, sizeof(filter), "%s\n", traced[i]);
		ASSERT_EQ(0, trace_write("set_ftrace_filter", filter))
			TH_LOG("%s: not traceable here", traced[i]);
	}
	ASSERT_EQ(0, trace_write("set_ftrace_pid", pid));
	ASSERT_EQ(0, trace_write("current_tracer", "function\n"));
}

FIXTURE_TEARDOWN(user_prepared)
{
	if (!self->counting)
		goto out;
	trace_write("tracing_on", "0\n");
	trace_write("current_tracer", "nop\n");
	trace_write("set_ftrace_pid", "\n");
	trace_clear_filter();
out:
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Run @cmd (an ioctl's return value) with the tracer on; count the traced
 * functions' calls into @calls.
 */
#define traced_call(calls, cmd)                                              \
	({                                                                   \
		int __ret;                                                   \
		memset(calls, 0, sizeof(calls));                             \
		if (self->counting) {                                        \
			ASSERT_EQ(0, trace_reset());                         \
			ASSERT_EQ(0, trace_write("tracing_on", "1\n"));      \
		}                                                            \
		__ret = (cmd);                                               \
		if (self->counting) {                                        \
			ASSERT_EQ(0, trace_write("tracing_on", "0\n"));      \
			ASSERT_EQ(0, trace_count(calls));                    \
		}                                                            \
		__ret;                                                       \
	})

/*
 * IOBMD_PERFORM @op on [@offset, +@len) of prepared @handle, @pages pages
 * at most: the calls it made.
 */
static void check_perform(struct __test_metadata *_metadata,
			  FIXTURE_DATA(user_prepared) *self, __u32 handle,
			  __u32 op, __u64 offset, __u64 len,
			  unsigned int pages, unsigned int edges)
{
	unsigned int calls[NTRACED];
	int ret;

	if (op != IOBMD_OP_INVALIDATE)
		edges = 0;
	ret = traced_call(calls, _test_ioctl_perform(self->fd, handle, op,
						     offset, len));
	TH_LOG("op %u over %llu bytes: %d, calls %u %u %u", op,
	       (unsigned long long)len, ret, calls[0],
	       NTRACED > 1 ? calls[NTRACED - 2] : 0, calls[NTRACED - 1]);
#ifdef __aarch64__
	if (self->forced) {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EOPNOTSUPP, errno);
		EXPECT_EQ(0, calls[MAPS]);
		return;
	}
	EXPECT_EQ(0, ret);
	/*
	 * At least one mapping, none beyond one per page (adjacent pages are
	 * maintained together, a megabyte at most).  INVALIDATE first cleans
	 * each line it shares with bytes outside the range (@edges of them),
	 * by a mapping of its own.
	 */
	EXPECT_LE(1 + edges, calls[MAPS]) TH_LOG("op %u: no maintenance", op);
	EXPECT_GE(pages + edges, calls[MAPS]);
	if (op == IOBMD_OP_INVALIDATE) {
		EXPECT_EQ(edges, calls[CLEANS]);
		EXPECT_EQ(calls[MAPS] - edges, calls[INVALS]);
	} else {
		EXPECT_EQ(calls[MAPS], calls[CLEANS]) TH_LOG("op %u", op);
		EXPECT_EQ(op == IOBMD_OP_STORE ? 0 : calls[MAPS],
			  calls[INVALS]) TH_LOG("op %u", op);
	}
#else
	/* Coherent: succeeds, maps nothing, under swiotlb=force too. */
	(void)edges;
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, calls[MAPS]);
#endif
}

static void check_ops(struct __test_metadata *_metadata,
		      FIXTURE_DATA(user_prepared) *self, __u32 handle,
		      __u64 len)
{
	unsigned int pages = len / PAGE_SIZE, calls[NTRACED];
	__u32 op;

	EXPECT_EQ(0, traced_call(calls, _test_ioctl_prepare(self->fd,
							    IOBMD_PREPARE,
							    handle, 0)));
	EXPECT_EQ(0, calls[MAPS]) TH_LOG("prepare only wires");
	for (op = IOBMD_OP_FLUSH; op <= IOBMD_OP_INVALIDATE; op++) {
		check_perform(_metadata, self, handle, op, 0, len, pages, 0);
		/*
		 * Bytes 100 to 299 of a page: both ends inside cache lines
		 * (64 or 128 bytes), two different ones.
		 */
		check_perform(_metadata, self, handle, op, 100, 200, 1, 2);
	}
	EXPECT_EQ(0, traced_call(calls, _test_ioctl_prepare(self->fd,
							    IOBMD_COMPLETE,
							    handle, 0)));
	EXPECT_EQ(0, calls[MAPS]) TH_LOG("complete only unwires");
}

/* One page, 64 scattered pages, and the process's own memory. */
TEST_F(user_prepared, perform)
{
	struct iobmd_range range = { 0 };
	__u64 len = 64 * PAGE_SIZE;
	__u32 handle;
	void *mem;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, 0, 0, NULL, 0,
					    &handle));
	check_ops(_metadata, self, handle, PAGE_SIZE);
	ASSERT_EQ(0, _test_ioctl_release(self->fd, handle));

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    len, 0, 0, NULL, 0, &handle));
	check_ops(_metadata, self, handle, len);
	ASSERT_EQ(0, _test_ioctl_release(self->fd, handle));

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	range.address = (uintptr_t)mem;
	range.length = len;
	ASSERT_EQ(0, _test_ioctl_general_create(self->fd, 0,
						IOBMD_DIRECTION_INOUT, &range,
						1, &handle));
	check_ops(_metadata, self, handle, len);
	ASSERT_EQ(0, _test_ioctl_release(self->fd, handle));
	munmap(mem, len);
}

/*
 * Uncached and write-combined buffers need the same maintenance of their
 * kernel alias: refused where it cannot be done (arm64 under
 * swiotlb=force), given elsewhere.
 */
TEST_F(user_prepared, cache_modes)
{
	static const __u32 modes[] = { IOBMD_CACHE_INHIBIT,
				       IOBMD_CACHE_WRITE_COMBINE };
	bool refused = false;
	unsigned int i;
	__u32 handle;
	int ret;

#ifdef __aarch64__
	refused = self->forced;
#endif
	for (i = 0; i < 2; i++) {
		ret = _test_ioctl_buf_create(self->fd, 0,
					     IOBMD_DIRECTION_INOUT | modes[i],
					     PAGE_SIZE, 0, 0, NULL, 0, &handle);
		if (refused) {
			EXPECT_EQ(-1, ret);
			EXPECT_EQ(EOPNOTSUPP, errno);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("mode %#x: %s", modes[i],
					 strerror(errno));
		EXPECT_EQ(0, _test_ioctl_release(self->fd, handle));
	}
}

TEST_HARNESS_MAIN

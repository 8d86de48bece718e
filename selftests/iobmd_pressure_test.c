// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd under memory pressure: a buffer that would leave the system less
 * than its reserve (1/32 of RAM, at most 1 GiB) of the memory it has
 * available fails with ENOMEM at once, buffers taken until memory runs
 * short end with ENOMEM too, the OOM killer never runs, and the system
 * stays usable: other processes can still allocate and the buffers held
 * keep their contents.
 *
 * max_capacity (half of RAM by default) is raised for the run through
 * the module parameter and put back afterwards.
 */
#include "iobmd_utils.h"
#include "iobmd_stats.h"

#define MAX_CAPACITY_PARAM "/sys/module/iobmd/parameters/max_capacity"
#define STEP SZ_256M

FIXTURE(iobmd_pressure)
{
	int fd;
	char saved_capacity[32];
	struct iobmd_test_stats before;
	long long oom_kills;
};

/* A field of /proc/meminfo in bytes, or 0. */
static __u64 meminfo(const char *name)
{
	char line[128];
	size_t n = strlen(name);
	__u64 kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, n) && line[n] == ':') {
			kib = strtoull(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib * 1024;
}

FIXTURE_SETUP(iobmd_pressure)
{
	char big[32];
	ssize_t n;
	int pfd;

	iobmd_fixture_open(self->fd);
	pfd = open(MAX_CAPACITY_PARAM, O_RDONLY);
	ASSERT_LE(0, pfd);
	n = read(pfd, self->saved_capacity, sizeof(self->saved_capacity) - 1);
	close(pfd);
	ASSERT_LT(0, n);
	self->saved_capacity[n] = 0;
	ASSERT_EQ(0, iobmd_read_stats(&self->before));
	self->oom_kills = iobmd_file_value("/proc/vmstat", "oom_kill");
	ASSERT_LE(0, self->oom_kills);
	/* Last: the teardown runs only once the setup got to its end. */
	snprintf(big, sizeof(big), "%llu", 4 * meminfo("MemTotal"));
	ASSERT_EQ(0, iobmd_write_file(MAX_CAPACITY_PARAM, big));
}

/*
 * Run by the harness outside the test's body, also after a failed
 * ASSERT_*() (a FIXTURE_TEARDOWN() is skipped then at -O2), so the
 * parameter is put back whatever happened.  It may run in another process
 * than setup's: setup's file closes as that process exits.  EXPECT_*()
 * only: after a failed assertion any ASSERT_*() would end it there.
 */
FIXTURE_TEARDOWN_PARENT(iobmd_pressure)
{
	EXPECT_EQ(0, iobmd_write_file(MAX_CAPACITY_PARAM,
				      self->saved_capacity));
}

/* What the module leaves to the rest of the system, as driver/buffer.c. */
static __u64 reserve(void)
{
	__u64 r = meminfo("MemTotal") / 32;

	return r < SZ_1G ? r : SZ_1G;
}

/* A child maps and touches @bytes of anonymous memory: 0 when it could. */
static int touch_anon(void *arg)
{
	size_t len = *(__u64 *)arg;
	__u8 *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < len; i += PAGE_SIZE)
		p[i] = (__u8)i;
	munmap(p, len);
	return 0;
}

/*
 * More than RAM, more than is available, and what would eat half of the
 * reserve: ENOMEM, nothing held.
 */
TEST_F(iobmd_pressure, beyond_memory)
{
	__u64 sizes[] = {
		meminfo("MemTotal") + STEP,
		ALIGN_UP(meminfo("MemAvailable") + STEP, PAGE_SIZE),
		ALIGN_UP(meminfo("MemAvailable") - reserve() / 2, PAGE_SIZE),
	};
	struct iobmd_test_stats after;
	int i;

	for (i = 0; i < 3; i++) {
		test_err_buf_create(ENOMEM, IOBMD_DIRECTION_INOUT, sizes[i], 0);
		test_err_buf_create(ENOMEM, IOBMD_DIRECTION_INOUT |
				    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				    sizes[i], PAGE_SIZE);
		test_err_buf_create_mask(ENOMEM, IOBMD_DIRECTION_INOUT,
					 sizes[i], ~(PAGE_SIZE - 1));
	}
	EXPECT_EQ(self->oom_kills, iobmd_file_value("/proc/vmstat", "oom_kill"));
	ASSERT_EQ(0, iobmd_read_stats(&after));
	EXPECT_STREQ("", iobmd_stats_diff(&self->before, &after));
}

/*
 * Buffers of 256 MiB until one fails: it fails with ENOMEM, without the
 * OOM killer, having left the reserve (less what the page lists took),
 * another process can still take 64 MiB, and every buffer held reads back
 * what was written into it.
 */
TEST_F_TIMEOUT(iobmd_pressure, until_exhausted, 240)
{
	__u64 total = meminfo("MemTotal"), anon = SZ_64M;
	int max = total / STEP + 2, n = 0, i, ret = 0;
	struct iobmd_test_stats after;
	__u32 *bufs = calloc(max, sizeof(*bufs));
	__u64 word, back;
	__u32 h;

	ASSERT_NE(NULL, bufs);
	while (n < max) {
		ret = _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					     STEP, 0, 0, NULL, 0, &bufs[n]);
		if (ret)
			break;
		word = 0xfeed0000 + n;
		test_ioctl_write(bufs[n], STEP - sizeof(word), &word,
				 sizeof(word));
		n++;
	}
	ASSERT_EQ(-1, ret) TH_LOG("%d buffers of 256 MiB in %llu MiB of RAM",
				  n, total >> 20);
	EXPECT_EQ(ENOMEM, errno);
	TH_LOG("%d buffers of 256 MiB held, %llu MiB still available", n,
	       meminfo("MemAvailable") >> 20);
	EXPECT_LE(total / STEP / 2, n);
	EXPECT_LE(reserve() / 2, meminfo("MemAvailable"));
	EXPECT_EQ(self->oom_kills, iobmd_file_value("/proc/vmstat", "oom_kill"));
	EXPECT_EQ(0, iobmd_run_child(touch_anon, &anon));
	for (i = 0; i < n; i++) {
		test_ioctl_read(bufs[i], STEP - sizeof(back), &back,
				sizeof(back));
		EXPECT_EQ(0xfeed0000 + i, back);
	}
	for (i = 0; i < n; i++)
		test_ioctl_release(bufs[i]);
	free(bufs);
	EXPECT_EQ(self->oom_kills, iobmd_file_value("/proc/vmstat", "oom_kill"));
	ASSERT_EQ(0, iobmd_read_stats(&after));
	EXPECT_STREQ("", iobmd_stats_diff(&self->before, &after));

	/* And what was freed can be had again. */
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * STEP, 0, &h);
	test_ioctl_release(h);
}

TEST_HARNESS_MAIN

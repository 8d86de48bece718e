// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd dma-buf export, against a hostile caller: what an export pins and
 * costs, and the memory it may hand on.
 *
 * - A dma-buf cannot keep the devices it is handed to from writing, so
 *   user memory is exported only when it can be pinned for writing: a
 *   read-only mapping of a file is refused (EFAULT) whatever the fd mode,
 *   and its bytes stay as they were.
 * - One descriptor has at most IOBMD_EXPORT_MAX dma-bufs alive (EMFILE
 *   past that, as for any file): each costs kernel memory.
 * - Device memory is exported as one physically contiguous range, and a
 *   mapping of its dma-buf shows the MMIO.
 * - Exports of an interleaved descriptor's sub race with the clearing of
 *   its pieces: the export holds its pin before it looks at the pieces
 *   (run it on the debug kernel, where KASAN sees a freed piece).
 *
 * Every test checks the module's counters are back as found.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"
#include "iobmd_stats.h"
#include "iobmd_ivshmem.h"

/* IOBMD_EXPORT_DMABUF: the dma-buf's fd, or -errno. */
static int export_range(int fd, __u32 handle, __u64 offset, __u64 length,
			__u32 fd_flags)
{
	int d;

	return _test_export(fd, handle, offset, length, fd_flags, &d) ?
		       -errno : d;
}

FIXTURE(iobmd_dmabuf_limits)
{
	int fd;
	struct iobmd_test_stats found;
};

FIXTURE_SETUP(iobmd_dmabuf_limits)
{
	ASSERT_EQ(0, iobmd_read_stats(&self->found));
	self->fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, self->fd);
}

FIXTURE_TEARDOWN(iobmd_dmabuf_limits)
{
	close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&self->found));
}

/* A read-only shared mapping of a file: its pages are the file's. */
TEST_F(iobmd_dmabuf_limits, readonly_file_memory_refused)
{
	struct iobmd_range range;
	char page[4096], back[4096];
	__u32 h;
	int mfd;
	__u8 *p;

	memset(page, 0x6b, sizeof(page));
	mfd = memfd_create("iobmd-ro", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ((ssize_t)sizeof(page), write(mfd, page, sizeof(page)));
	p = mmap(NULL, sizeof(page), PROT_READ, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	range.address = (uintptr_t)p;
	range.length = sizeof(page);
	ASSERT_EQ(0, _test_ioctl_general_create(self->fd, 0,
						IOBMD_DIRECTION_OUT, &range,
						1, &h));

	/* Neither mode: an importing device could write the file. */
	EXPECT_EQ(-EFAULT, export_range(self->fd, h, 0, 0, O_RDONLY));
	EXPECT_EQ(-EFAULT, export_range(self->fd, h, 0, 0, O_RDWR));
	EXPECT_EQ(0, iobmd_stat("exports"));
	ASSERT_EQ((ssize_t)sizeof(back), pread(mfd, back, sizeof(back), 0));
	EXPECT_EQ(0, memcmp(page, back, sizeof(page)));

	/* The same memory, writable: exported. */
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
	ASSERT_EQ(0, munmap(p, sizeof(page)));
	p = mmap(NULL, sizeof(page), PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		 0);
	ASSERT_NE(MAP_FAILED, p);
	range.address = (uintptr_t)p;
	ASSERT_EQ(0, _test_ioctl_general_create(self->fd, 0,
						IOBMD_DIRECTION_OUT, &range,
						1, &h));
	mfd = (close(mfd), export_range(self->fd, h, 0, 0, O_RDONLY));
	ASSERT_LE(0, mfd);
	EXPECT_EQ(1, iobmd_stat("exports"));
	close(mfd);
	EXPECT_EQ(0, iobmd_stat("exports"));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
	munmap(p, sizeof(page));
}

/* IOBMD_IMPORT_DMABUF: the new handle, or -errno. */
static int import_fd(int fd, int dmabuf)
{
	struct iobmd_import_dmabuf cmd = {
		.size = sizeof(cmd),
		.fd = (__u32)dmabuf,
		.direction = IOBMD_DIRECTION_INOUT,
	};

	if (ioctl(fd, IOBMD_IMPORT_DMABUF, &cmd))
		return -errno;
	return (int)cmd.handle;
}

/*
 * A read-only dma-buf of iobmd's own, imported again (by whoever was given
 * it), grants no writes: not bytes, not a writable mapping, not a prepare
 * for a device that writes, not a writable export.
 */
TEST_F(iobmd_dmabuf_limits, readonly_own_dmabuf_stays_readonly)
{
	__u8 one = 0x11, back = 0;
	__u64 cookie;
	__u32 buf;
	int d, h;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, 0, 0, NULL, 0, &buf));
	ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_WRITE, buf, 0, &one, 1,
				    NULL));
	d = export_range(self->fd, buf, 0, 0, O_RDONLY);
	ASSERT_LE(0, d);
	h = import_fd(self->fd, d);
	ASSERT_LT(0, h);
	close(d);

	EXPECT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_READ, h, 0, &back, 1,
				    NULL));
	EXPECT_EQ(0x11, back);
	EXPECT_ERRNO(EACCES, _test_ioctl_rw(self->fd, IOBMD_WRITE, h, 0, &one,
					    1, NULL));
	EXPECT_ERRNO(EACCES, _test_ioctl_prepare(self->fd, IOBMD_PREPARE, h,
						 IOBMD_DIRECTION_IN));
	EXPECT_EQ(-EACCES, export_range(self->fd, h, 0, 0, O_RDWR));
	ASSERT_EQ(0, _test_ioctl_map(self->fd, h, 0, 0, 0, &cookie));
	EXPECT_EQ(MAP_FAILED, iobmd_mmap(self->fd, cookie, PAGE_SIZE,
					 PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);

	/* The same dma-buf read-write imports writable. */
	d = export_range(self->fd, buf, 0, 0, O_RDWR);
	ASSERT_LE(0, d);
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
	h = import_fd(self->fd, d);
	ASSERT_LT(0, h);
	close(d);
	EXPECT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_WRITE, h, 0, &one, 1,
				    NULL));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, buf));
}

/* IOBMD_EXPORT_MAX alive, then EMFILE; one closed makes room. */
TEST_F(iobmd_dmabuf_limits, exports_per_descriptor_capped)
{
	struct rlimit rl = { IOBMD_EXPORT_MAX + 64, IOBMD_EXPORT_MAX + 64 };
	static int fds[IOBMD_EXPORT_MAX];
	__u32 h, other;
	int i, extra;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, 0, 0, NULL, 0, &h));
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, 0, 0, NULL, 0, &other));
	for (i = 0; i < IOBMD_EXPORT_MAX; i++) {
		fds[i] = export_range(self->fd, h, 0, 0, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]) TH_LOG("export %d: %d", i, fds[i]);
	}
	EXPECT_EQ(-EMFILE, export_range(self->fd, h, 0, 0, O_RDWR));
	EXPECT_EQ(IOBMD_EXPORT_MAX, iobmd_stat("exports"));
	/* The cap is the descriptor's, not the caller's. */
	extra = export_range(self->fd, other, 0, 0, O_RDWR);
	EXPECT_LE(0, extra);
	close(extra);
	close(fds[7]);
	fds[7] = export_range(self->fd, h, 0, 0, O_RDWR);
	EXPECT_LE(0, fds[7]);
	for (i = 0; i < IOBMD_EXPORT_MAX; i++)
		close(fds[i]);
	EXPECT_EQ(0, iobmd_stat("exports"));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, other));
}

/* ivshmem's BAR2, whole and as one range; two apart are refused. */
TEST_F(iobmd_dmabuf_limits, device_memory_one_range)
{
	__u32 dev, lo, hi, pieces[2], multi;
	__u64 start, len;
	__u8 want[64], *p;
	int d;

	IOBMD_NEED_IVSHMEM(&start, &len);
	ASSERT_LE(4 * PAGE_SIZE, len);
	ASSERT_EQ(0, _test_ioctl_device_create(self->fd, start, len, &dev));
	memset(want, 0xc4, sizeof(want));
	ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_WRITE, dev, PAGE_SIZE,
				    want, sizeof(want), NULL));

	d = export_range(self->fd, dev, 0, 0, O_RDWR);
	ASSERT_LE(0, d);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p + PAGE_SIZE, want, sizeof(want)));
	munmap(p, len);
	close(d);

	/* Pages 0 and 2: not one range. */
	ASSERT_EQ(0, _test_ioctl_sub_create(self->fd, dev,
					    IOBMD_DIRECTION_INOUT, 0,
					    PAGE_SIZE, &lo));
	ASSERT_EQ(0, _test_ioctl_sub_create(self->fd, dev,
					    IOBMD_DIRECTION_INOUT,
					    2 * PAGE_SIZE, PAGE_SIZE, &hi));
	pieces[0] = lo;
	pieces[1] = hi;
	ASSERT_EQ(0, _test_ioctl_multi_create(self->fd, IOBMD_DIRECTION_INOUT,
					      pieces, 2, &multi));
	EXPECT_EQ(-EINVAL, export_range(self->fd, multi, 0, 0, O_RDWR));
	/* Page 2 alone is one range. */
	d = export_range(self->fd, hi, 0, 0, O_RDWR);
	EXPECT_LE(0, d);
	close(d);
	EXPECT_EQ(0, iobmd_stat("exports"));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, multi));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, hi));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, lo));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, dev));
}

struct race {
	int fd;
	__u32 il, sub, buf;
	volatile int stop;
	long exports, clears;
};

static void *race_export(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		int d = export_range(r->fd, r->sub, 0, 0, O_RDWR);

		if (d >= 0) {
			close(d);
			r->exports++;
		}
	}
	return NULL;
}

/* Pieces come and go under exports of a sub built on them. */
TEST_F(iobmd_dmabuf_limits, export_races_interleaved_clear)
{
	struct race r = { .fd = self->fd };
	struct timespec t0, t;
	pthread_t thread;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    4 * PAGE_SIZE, 0, 0, NULL, 0,
					    &r.buf));
	ASSERT_EQ(0, _test_ioctl_interleaved_create(self->fd,
						    IOBMD_DIRECTION_INOUT, 4,
						    &r.il));
	ASSERT_EQ(0, _test_ioctl_interleaved_set(self->fd, r.il, r.buf, 0,
						 4 * PAGE_SIZE));
	ASSERT_EQ(0, _test_ioctl_sub_create(self->fd, r.il, 0, 0, PAGE_SIZE,
					    &r.sub));
	ASSERT_EQ(0, pthread_create(&thread, NULL, race_export, &r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		__u32 piece;

		/* A piece only the interleaved descriptor holds. */
		if (_test_ioctl_sub_create(self->fd, r.buf, 0, 0,
					   4 * PAGE_SIZE, &piece))
			continue;
		if (!_test_ioctl_set(self->fd, IOBMD_INTERLEAVED_CLEAR, r.il,
				     IOBMD_DIRECTION_NONE, NULL))
			r.clears++;
		_test_ioctl_interleaved_set(self->fd, r.il, piece, 0,
					    4 * PAGE_SIZE);
		_test_ioctl_release(self->fd, piece);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 2);
	r.stop = 1;
	pthread_join(thread, NULL);
	TH_LOG("%ld exports, %ld clears", r.exports, r.clears);
	EXPECT_LT(0, r.exports);
	EXPECT_LT(0, r.clears);
	EXPECT_EQ(0, iobmd_stat("exports"));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, r.sub));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, r.il));
	ASSERT_EQ(0, _test_ioctl_release(self->fd, r.buf));
}

TEST_HARNESS_MAIN

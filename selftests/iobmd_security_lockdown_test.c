// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, lockdown: once lockdown is at "integrity", which
 * closes /dev/mem, memory named by physical address is closed too: no new
 * device or physical-RAM descriptor, and those made before cannot be read,
 * written, mapped, prepared or asked for segments, directly or through a
 * descriptor built on them, and a mapping of them made before and filled
 * at fault time (6.12 on, by PUD where it can) maps nothing more.  Their
 * dma-bufs exported before can be mapped by no process, and never by the
 * kernel (a vmap cannot fail later without the dma-buf core's warning).
 * Buffers keep working.
 *
 * Raising lockdown cannot be undone and restricts debugfs (fault
 * injection): scripts/check.sh and check-debug.sh run this program last in
 * its VM, selftests/Makefile lists it last, and it skips unless
 * IOBMD_TEST_LOCKDOWN is set (scripts/vm-run.sh sets it: the VM is thrown
 * away).  Runs as root.
 */
#include <sys/stat.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"

#define SECURITYFS	"/sys/kernel/security"
#define LOCKDOWN	SECURITYFS "/lockdown"
#define UNSAFE_PHYS_RAM	"/sys/module/iobmd/parameters/unsafe_phys_ram"
#define LOCKDOWN_OPT_IN	"IOBMD_TEST_LOCKDOWN"

/* @call must fail with EPERM; what it did instead is logged, and the test goes on. */
#define REFUSED(call)                                                         \
	do {                                                                  \
		int __r = (call), __e = errno;                                \
		if (__r != -1 || __e != EPERM)                                \
			TH_LOG("%s: %d, errno %d, not EPERM", #call, __r,     \
			       __r == -1 ? __e : 0);                          \
		EXPECT_EQ(-1, __r);                                           \
		EXPECT_EQ(EPERM, __e);                                        \
	} while (0)

/* The first line of @path into @buf, or "" when it cannot be read. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
}

/*
 * A kernel importer's vmap of dma-buf @dfd (iobmd_dmabuf_kapi.ko, through
 * its file @run): 0 or the write's errno.  When it maps, its first byte
 * must be @byte: the module's results (readable under lockdown) say so,
 * else -EBADMSG.
 */
static int kernel_vmap(int run, int dfd, __u8 byte)
{
	char cmd[32], res[512] = "";
	int n = snprintf(cmd, sizeof(cmd), "vmap %d %x", dfd, byte);

	if (write(run, cmd, n) != n)
		return errno;
	if (iobmd_read_file(DMABUF_KAPI_DIR "results", res, sizeof(res)) ||
	    strstr(res, "not ok") || !strstr(res, "1.."))
		return -EBADMSG;
	return 0;
}

#define GIB	0x40000000ULL

/*
 * A GiB of physical RAM (a contiguous, 1 GiB-aligned buffer's, described
 * again by address), mapped whole and not touched yet: from 6.12 on it
 * is filled at fault time, by PUD on x86-64, and each fault asks again
 * whether lockdown allows it.  *@gib_buf and *@gib_phys are the handles
 * (0 where no such GiB is to be had).  Returns the mapping; NULL where no
 * such GiB is to be had (late in a run, every aligned GiB may hold a page
 * nobody can move), MAP_FAILED where anything after the buffer failed.
 */
static void *gib_untouched(int fd, __u32 *gib_buf, __u32 *gib_phys)
{
	struct iobmd_segment seg;
	struct iobmd_range r;
	__u64 cookie = 0;
	__u32 count = 1;

	*gib_buf = *gib_phys = 0;
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
				   IOBMD_OPT_PHYSICALLY_CONTIGUOUS, GIB, GIB, 0,
				   NULL, 0, gib_buf))
		return NULL;
	if (_test_ioctl_get_segments(fd, *gib_buf, 0, 0, &seg, &count, NULL) ||
	    seg.addr % GIB || seg.len < GIB)
		return MAP_FAILED;
	r = (struct iobmd_range){ seg.addr, GIB };
	if (_test_ioctl_general_create(fd, IOBMD_GENERAL_PHYSICAL,
				       IOBMD_DIRECTION_INOUT, &r, 1, gib_phys) ||
	    _test_ioctl_map(fd, *gib_phys, 0, 0, GIB, &cookie))
		return MAP_FAILED;
	return iobmd_mmap(fd, cookie, GIB, PROT_READ);
}

FIXTURE(lockdown)
{
	bool kapi;	/* the test loaded iobmd_dmabuf_kapi.ko */
};

FIXTURE_SETUP(lockdown)
{
	self->kapi = false;
}

/*
 * Run by the harness also after a failed assertion, when the test's
 * process, and with it what held the kapi module, is gone: iobmd can be
 * unloaded after.
 */
FIXTURE_TEARDOWN_PARENT(lockdown)
{
	if (self->kapi)
		syscall(SYS_delete_module, "iobmd_dmabuf_kapi", O_NONBLOCK);
}

TEST_F(lockdown, closes_raw_memory)
{
	__u32 dev, sub, phys, buf, h = 0;
	__u64 dev_cookie, phys_cookie, buf_cookie;
	struct iobmd_segment seg;
	struct iobmd_range ram;
	long long before;
	char line[256];
	__u8 bytes[64] = { 0 };
	__u32 count = 1, gib_buf, gib_phys;
	int fd, run, phys_dfd, buf_dfd;
	__u8 first = 0x3c;
	void *p, *gib;

	/* Only a reboot lowers it again: asked for, or skipped. */
	if (!getenv(LOCKDOWN_OPT_IN))
		SKIP(return, "raises lockdown, which only a reboot lowers: set %s=1 to run it (the test VM does)",
		     LOCKDOWN_OPT_IN);
	/* Lockdown is there, and still off. */
	if (access(LOCKDOWN, F_OK))
		ASSERT_EQ(0, mount("securityfs", SECURITYFS, "securityfs", 0,
				   NULL));
	read_line(SECURITYFS "/lsm", line, sizeof(line));
	ASSERT_NE(NULL, strstr(line, "lockdown")) TH_LOG("lsm: %s", line);
	read_line(LOCKDOWN, line, sizeof(line));
	ASSERT_NE(NULL, strstr(line, "[none]")) TH_LOG("lockdown: %s", line);

	/*
	 * A kernel importer: loaded and its file opened now, since lockdown
	 * refuses unsigned modules and opening debugfs files for writing.
	 */
	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	self->kapi = true;
	run = open(DMABUF_KAPI_DIR "run", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, run) TH_LOG("%s: %s", DMABUF_KAPI_DIR "run",
				 strerror(errno));

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	/* Even with the test rigs' switch on (the old module has none). */
	if (!access(UNSAFE_PHYS_RAM, F_OK))
		ASSERT_EQ(0, iobmd_write_file(UNSAFE_PHYS_RAM, "Y"));
	before = iobmd_stat("descriptors");

	/* Made before: MMIO, a window of it, a buffer's page by address. */
	ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT,
					    PAGE_SIZE, 0, 0, NULL, 0, &buf));
	ASSERT_EQ(0, _test_ioctl_get_segments(fd, buf, 0, 0, &seg, &count,
					      NULL));
	ram = (struct iobmd_range){ seg.addr, PAGE_SIZE };
	ASSERT_EQ(0, _test_ioctl_device_create(fd, IOBMD_TEST_NOT_RAM,
					       2 * PAGE_SIZE, &dev));
	ASSERT_EQ(0, _test_ioctl_sub_create(fd, dev, IOBMD_DIRECTION_INOUT, 8,
					    16, &sub));
	ASSERT_EQ(0, _test_ioctl_general_create(fd, IOBMD_GENERAL_PHYSICAL,
						IOBMD_DIRECTION_INOUT, &ram, 1,
						&phys));
	ASSERT_EQ(0, _test_ioctl_map(fd, dev, 0, 0, 0, &dev_cookie));
	ASSERT_EQ(0, _test_ioctl_map(fd, phys, 0, 0, 0, &phys_cookie));
	ASSERT_EQ(0, _test_ioctl_map(fd, buf, 0, 0, 0, &buf_cookie));
	ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_READ, dev, 0, bytes, 16, NULL));
	/*
	 * Their dma-bufs: the buffer's page, also by address.  The kernel
	 * maps the buffer's, never RAM userspace named by address, which
	 * lockdown may close after the export.
	 */
	ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, buf, 0, &first, 1, NULL));
	ASSERT_EQ(0, _test_export(fd, buf, 0, 0, O_RDWR | O_CLOEXEC,
				  &buf_dfd));
	ASSERT_EQ(0, _test_export(fd, phys, 0, 0, O_RDWR | O_CLOEXEC,
				  &phys_dfd));
	EXPECT_EQ(0, kernel_vmap(run, buf_dfd, first));
	EXPECT_EQ(EINVAL, kernel_vmap(run, phys_dfd, first));
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, phys_dfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(first, *(__u8 *)p);
	EXPECT_EQ(0, munmap(p, PAGE_SIZE));
	gib = gib_untouched(fd, &gib_buf, &gib_phys);
	ASSERT_NE(MAP_FAILED, gib) TH_LOG("the GiB: %s", strerror(errno));
	if (!gib)
		TH_LOG("no contiguous, aligned GiB of RAM: its mapping not tried");

	ASSERT_EQ(0, iobmd_write_file(LOCKDOWN, "integrity"));
	read_line(LOCKDOWN, line, sizeof(line));
	ASSERT_NE(NULL, strstr(line, "[integrity]")) TH_LOG("lockdown: %s",
							    line);

	/* Nothing new by physical address. */
	REFUSED(_test_ioctl_device_create(fd, IOBMD_TEST_NOT_RAM,
						      PAGE_SIZE, &h));
	EXPECT_EQ(0, h);
	if (h)
		_test_ioctl_release(fd, h);
	h = 0;
	REFUSED(_test_ioctl_general_create(fd,
						       IOBMD_GENERAL_PHYSICAL,
						       IOBMD_DIRECTION_INOUT,
						       &ram, 1, &h));
	EXPECT_EQ(0, h);
	if (h)
		_test_ioctl_release(fd, h);
	h = 0;

	/* What was made before: no copy, either way, nor zero-fill. */
	REFUSED(_test_ioctl_rw(fd, IOBMD_READ, dev, 0, bytes, 16,
					   NULL));
	REFUSED(_test_ioctl_rw(fd, IOBMD_WRITE, dev, 0, bytes, 16,
					   NULL));
	REFUSED(_test_ioctl_rw(fd, IOBMD_WRITE, dev, 0, NULL, 16,
					   NULL));
	REFUSED(_test_ioctl_rw(fd, IOBMD_READ, sub, 0, bytes, 16,
					   NULL));
	REFUSED(_test_ioctl_rw(fd, IOBMD_READ, phys, 0, bytes, 64,
					   NULL));
	REFUSED(_test_ioctl_rw(fd, IOBMD_WRITE, phys, 0, NULL, 64,
					   NULL));
	/* No segments, no new cookie, no mapping with an old one. */
	count = 1;
	REFUSED(_test_ioctl_get_segments(fd, dev, 0, 0, &seg,
						     &count, NULL));
	REFUSED(_test_ioctl_get_segments(fd, phys, 0, 0, &seg,
						     &count, NULL));
	REFUSED(_test_ioctl_map(fd, dev, 0, 0, 0, NULL));
	p = iobmd_mmap(fd, dev_cookie, PAGE_SIZE, PROT_READ | PROT_WRITE);
	REFUSED(p == MAP_FAILED ? -1 : munmap(p, PAGE_SIZE));
	p = iobmd_mmap(fd, phys_cookie, PAGE_SIZE, PROT_READ);
	REFUSED(p == MAP_FAILED ? -1 : munmap(p, PAGE_SIZE));
	/*
	 * A mapping made before and filled at fault time (6.12 on) maps
	 * nothing now, by PUD, PMD or page; one filled at mmap() keeps what
	 * it has.
	 */
	if (gib) {
		EXPECT_EQ(iobmd_kernel_at_least(6, 12), iobmd_read_sigbus(gib));
		EXPECT_EQ(iobmd_kernel_at_least(6, 12),
			  iobmd_read_sigbus((__u8 *)gib + GIB - 1));
		EXPECT_EQ(0, munmap(gib, GIB));
	}
	/* No DMA mapping either. */
	REFUSED(_test_ioctl_prepare(fd, IOBMD_PREPARE, dev, 0));
	REFUSED(_test_ioctl_prepare(fd, IOBMD_PREPARE, phys, 0));
	/* Nor a mapping of the dma-buf, by a process or the kernel. */
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, phys_dfd, 0);
	REFUSED(p == MAP_FAILED ? -1 : munmap(p, PAGE_SIZE));
	EXPECT_EQ(EINVAL, kernel_vmap(run, phys_dfd, first));

	/* Buffers are the caller's own memory: untouched by lockdown. */
	memset(bytes, 0x5a, sizeof(bytes));
	EXPECT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, buf, 0, bytes, 64, NULL));
	p = iobmd_mmap(fd, buf_cookie, PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, bytes, sizeof(bytes)));
	EXPECT_EQ(0, munmap(p, PAGE_SIZE));
	EXPECT_EQ(0, kernel_vmap(run, buf_dfd, bytes[0]));

	/* Releasing still works, and leaves nothing behind. */
	EXPECT_EQ(0, close(phys_dfd));
	EXPECT_EQ(0, close(buf_dfd));
	EXPECT_EQ(0, close(run));
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
	self->kapi = false;
	EXPECT_EQ(0, _test_ioctl_release(fd, sub));
	EXPECT_EQ(0, _test_ioctl_release(fd, dev));
	EXPECT_EQ(0, _test_ioctl_release(fd, phys));
	EXPECT_EQ(0, _test_ioctl_release(fd, buf));
	if (gib_phys)
		EXPECT_EQ(0, _test_ioctl_release(fd, gib_phys));
	if (gib_buf)
		EXPECT_EQ(0, _test_ioctl_release(fd, gib_buf));
	EXPECT_EQ(before, iobmd_stat("descriptors"));
	EXPECT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN

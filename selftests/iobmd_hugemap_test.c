// SPDX-License-Identifier: GPL-2.0
/*
 * Huge mappings of buffers: on a kernel that maps folios by PMD
 * (vmf_insert_folio_pmd(), 6.15 on) with transparent huge pages not
 * "never", a buffer's 2 MiB chunks are mapped with one PMD each
 * (smaps' FilePmdMapped) at a 2 MiB-aligned address; elsewhere with PTEs
 * only.  Either way, a partial munmap, mprotect or MADV_DONTNEED keeps
 * every byte the buffer's, fork and pinning see the same bytes, and
 * splitting gives every page back when the buffer goes.  A mapping that
 * cannot take a PMD (placed off 2 MiB, as a dma-buf's mmap may place it)
 * is filled at mmap() time, not one fault per page.
 */
#include <linux/userfaultfd.h>
#include <sys/utsname.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"
#include "iobmd_hugemaps.h"

FIXTURE(hugemap)
{
	int fd;
	bool huge;
};

/* The kernel maps folios by PMD and THP is not "never". */
static bool huge_expected(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return false;
	if (major < 6 || (major == 6 && minor < 15))
		return false;
	return thp_enabled();
}

FIXTURE_SETUP(hugemap)
{
	iobmd_fixture_open(self->fd);
	self->huge = huge_expected();
	TH_LOG("huge mappings %s on this kernel",
	       self->huge ? "expected" : "not expected");
}

FIXTURE_TEARDOWN(hugemap)
{
	if (self->fd != -1)
		close(self->fd);
}

/* A counter of /proc/vmstat, or -1. */
static long long vmstat_read(const char *name)
{
	char key[64];
	long long v, ret = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name)) {
			ret = v;
			break;
		}
	fclose(f);
	return ret;
}

/* MemFree of /proc/meminfo, in kB. */
static long long mem_free_kb(void)
{
	char line[128];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A buffer of @len bytes mapped whole and read-write; its handle in *@h. */
#define map_buffer(len, h_p)                                                  \
	({                                                                    \
		__u64 __cookie;                                               \
		void *__p;                                                    \
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, h_p);    \
		test_ioctl_map(*(h_p), 0, 0, len, &__cookie);                 \
		__p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,     \
			   self->fd, (off_t)__cookie);                        \
		ASSERT_NE(MAP_FAILED, __p);                                   \
		(__u8 *)__p;                                                  \
	})

/* Every byte of the buffer @h, read by IOBMD_READ, is the pattern. */
#define check_buffer(h, len, seed)                                            \
	({                                                                    \
		__u8 *__b = malloc(len);                                      \
		ASSERT_NE(NULL, __b);                                         \
		test_ioctl_read(h, 0, __b, len);                              \
		EXPECT_EQ(len, iobmd_check_pattern(__b, len, 0, seed));       \
		free(__b);                                                    \
	})

/* The chunks of a fresh buffer are mapped by PMD, at an aligned address. */
TEST_F(hugemap, pmd_mapped)
{
	const size_t len = 8 * SZ_2M;
	long kb;
	__u8 *p;
	__u32 h;

	p = map_buffer(len, &h);
	iobmd_fill_pattern(p, len, 0, 41);
	kb = smaps_kb(p, "FilePmdMapped");
	TH_LOG("mapping at %p: FilePmdMapped %ld kB of %zu", p, kb,
	       len >> 10);
	if (self->huge) {
		EXPECT_EQ(0, (unsigned long)p % SZ_2M);
		/* A chunk the allocator could not give whole maps by PTE. */
		EXPECT_LE(SZ_2M >> 10, kb);
		EXPECT_EQ(0, kb % (SZ_2M >> 10));
	} else {
		EXPECT_EQ(0, kb > 0 ? kb : 0);
	}
	EXPECT_EQ(len, iobmd_check_pattern(p, len, 0, 41));
	check_buffer(h, len, 41);
	ASSERT_EQ(0, munmap(p, len));
	test_ioctl_release(h);
}

/*
 * A page unmapped, made read-only or dropped in the middle of a chunk
 * splits its PMD; the rest keeps the buffer's bytes, and the dropped page
 * comes back with them.
 */
TEST_F(hugemap, split)
{
	const size_t len = 4 * SZ_2M;
	long long splits = vmstat_read("thp_split_pmd");
	long before, after;
	__u8 *p;
	__u32 h;

	p = map_buffer(len, &h);
	iobmd_fill_pattern(p, len, 0, 43);
	before = smaps_kb(p, "FilePmdMapped");

	/* munmap of one page inside the first chunk. */
	ASSERT_EQ(0, munmap(p + SZ_2M / 2, PAGE_SIZE));
	EXPECT_EQ(SZ_2M / 2, iobmd_check_pattern(p, SZ_2M / 2, 0, 43));
	EXPECT_EQ(len - SZ_2M / 2 - PAGE_SIZE,
		  iobmd_check_pattern(p + SZ_2M / 2 + PAGE_SIZE,
				      len - SZ_2M / 2 - PAGE_SIZE,
				      SZ_2M / 2 + PAGE_SIZE, 43));
	/* mprotect of one page inside the second. */
	ASSERT_EQ(0, mprotect(p + SZ_2M + PAGE_SIZE, PAGE_SIZE, PROT_READ));
	p[SZ_2M] ^= 0xff;
	p[SZ_2M + 2 * PAGE_SIZE] ^= 0xff;
	EXPECT_EQ(iobmd_pattern_byte(43, SZ_2M + PAGE_SIZE),
		  p[SZ_2M + PAGE_SIZE]);
	p[SZ_2M] ^= 0xff;
	p[SZ_2M + 2 * PAGE_SIZE] ^= 0xff;
	/* MADV_DONTNEED over half of the third: the bytes come back. */
	ASSERT_EQ(0, madvise(p + 2 * SZ_2M + PAGE_SIZE, SZ_2M / 2,
			     MADV_DONTNEED));
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p + 2 * SZ_2M, SZ_2M, 2 * SZ_2M,
					     43));
	after = smaps_kb(p, "FilePmdMapped");
	if (self->huge)
		EXPECT_LT(0, before);
	TH_LOG("FilePmdMapped %ld kB before, %ld after; %lld PMDs split",
	       before, after, vmstat_read("thp_split_pmd") - splits);
	if (self->huge && before == (long)(len >> 10)) {
		/*
		 * A split zaps the whole PMD.  The first two chunks are cut
		 * by the mappings' new edges and stay in PTEs; the third,
		 * read again, is mapped whole again, as is the fourth.
		 */
		EXPECT_EQ(0, smaps_kb(p, "FilePmdMapped"));
		EXPECT_EQ(0, smaps_kb(p + SZ_2M, "FilePmdMapped"));
		EXPECT_EQ(2 * SZ_2M >> 10, smaps_kb(p + 3 * SZ_2M,
						    "FilePmdMapped"));
		EXPECT_LE(3, vmstat_read("thp_split_pmd") - splits);
	}
	/* Writes through what is left reach the buffer. */
	iobmd_fill_pattern(p + 3 * SZ_2M, SZ_2M, 3 * SZ_2M, 43);
	check_buffer(h, len, 43);
	ASSERT_EQ(0, munmap(p, SZ_2M / 2));
	ASSERT_EQ(0, munmap(p + SZ_2M / 2 + PAGE_SIZE,
			    len - SZ_2M / 2 - PAGE_SIZE));
	test_ioctl_release(h);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
/* 6.7's, for older uapi headers (Debian 12's arm64 ones). */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED	(1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC		(1 << 15)
#endif

/*
 * The rest of madvise(): reclaim hints change nothing (the pages are the
 * buffer's, on no LRU list), MADV_COLLAPSE is refused (no file the kernel
 * could collapse), and after MADV_NOHUGEPAGE the pages come back in PTEs.
 */
TEST_F(hugemap, madvise)
{
	const size_t len = 2 * SZ_2M;
	__u8 *p;
	__u32 h;

	p = map_buffer(len, &h);
	iobmd_fill_pattern(p, len, 0, 61);
	EXPECT_EQ(0, madvise(p, len, MADV_COLD));
	EXPECT_EQ(0, madvise(p, len, MADV_PAGEOUT));
	EXPECT_EQ(len, iobmd_check_pattern(p, len, 0, 61));
	EXPECT_EQ(-1, madvise(p, len, MADV_COLLAPSE));
	EXPECT_EQ(len, iobmd_check_pattern(p, len, 0, 61));

	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	EXPECT_EQ(len, iobmd_check_pattern(p, len, 0, 61));
	EXPECT_EQ(0, smaps_kb(p, "FilePmdMapped"));
	check_buffer(h, len, 61);
	ASSERT_EQ(0, munmap(p, len));
	test_ioctl_release(h);
}

/*
 * userfaultfd's asynchronous write-protection (6.7 on), which takes any
 * VMA but special ones: the kernels of the matrix refuse the mapping
 * (VM_DONTEXPAND makes it special to userfaultfd), EINVAL.  Where one
 * takes it, it leaves a marker in every empty page table entry, and
 * touching the page must still map it and keep the bytes (a handler that
 * cannot map over a marker spins here).
 */
TEST_F(hugemap, uffd_wp_async)
{
	const size_t len = 2 * SZ_2M;
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED,
	};
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct utsname u;
	int uffd, major = 0, minor = 0;
	__u8 *p;
	__u32 h;

	ASSERT_EQ(0, uname(&u));
	sscanf(u.release, "%d.%d", &major, &minor);
	if (major < 6 || (major == 6 && minor < 7)) {
		TH_LOG("%s has no asynchronous write-protection", u.release);
		return;
	}
	p = map_buffer(len, &h);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	reg.range.start = (unsigned long)p;
	reg.range.len = len;
	/* Where the kernel refuses this VMA, there is nothing to test. */
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		TH_LOG("UFFDIO_REGISTER: %s", strerror(errno));
		EXPECT_EQ(EINVAL, errno);
	} else {
		wp.range = reg.range;
		ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));
		/* Read, then written: the async mode unprotects by itself. */
		EXPECT_EQ(len, iobmd_check_bytes(p, len, 0));
		iobmd_fill_pattern(p, len, 0, 67);
		EXPECT_EQ(len, iobmd_check_pattern(p, len, 0, 67));
		EXPECT_EQ(0, smaps_kb(p, "FilePmdMapped"));
		check_buffer(h, len, 67);
	}
	close(uffd);
	ASSERT_EQ(0, munmap(p, len));
	test_ioctl_release(h);
}

/* A child after fork() sees and writes the same bytes. */
TEST_F(hugemap, fork)
{
	const size_t len = 2 * SZ_2M;
	int status;
	pid_t pid;
	__u8 *p;
	__u32 h;

	p = map_buffer(len, &h);
	iobmd_fill_pattern(p, SZ_2M, 0, 47);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (iobmd_check_pattern(p, SZ_2M, 0, 47) != SZ_2M)
			_exit(1);
		iobmd_fill_pattern(p + SZ_2M, SZ_2M, SZ_2M, 47);
		/* A split in the child alone. */
		if (munmap(p + PAGE_SIZE, PAGE_SIZE))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(len, iobmd_check_pattern(p, len, 0, 47));
	ASSERT_EQ(0, munmap(p, len));
	test_ioctl_release(h);
}

/*
 * The mapping can be pinned (get_user_pages, as O_DIRECT or a device
 * driver pins it): a general descriptor over it, prepared, reads the
 * buffer's bytes, and its pages are the buffer's.
 */
TEST_F(hugemap, pinned_through_mapping)
{
	const size_t len = 2 * SZ_2M;
	__u32 h, g;
	__u8 *p, *b;

	p = map_buffer(len, &h);
	iobmd_fill_pattern(p, len, 0, 53);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, p, len, &g);
	test_ioctl_prepare(g, 0);
	b = malloc(len);
	ASSERT_NE(NULL, b);
	test_ioctl_read(g, 0, b, len);
	EXPECT_EQ(len, iobmd_check_pattern(b, len, 0, 53));
	/* Written through the pin, seen in the buffer. */
	iobmd_fill_pattern(b, len, 0, 59);
	test_ioctl_write(g, 0, b, len);
	test_ioctl_complete(g, 0);
	test_ioctl_release(g);
	check_buffer(h, len, 59);
	free(b);
	ASSERT_EQ(0, munmap(p, len));
	test_ioctl_release(h);
}

/*
 * Splitting drops the PMD's reference and rmap: buffers mapped, split in
 * every chunk and released, again and again, give all their memory back.
 */
TEST_F(hugemap, split_gives_memory_back)
{
	const size_t len = 32 * SZ_2M;
	const int rounds = 8;
	long long before, after, splits = vmstat_read("thp_split_pmd");
	size_t off;
	int r;

	before = mem_free_kb();
	for (r = 0; r < rounds; r++) {
		__u8 *p;
		__u32 h;

		p = map_buffer(len, &h);
		for (off = 0; off < len; off += PAGE_SIZE)
			p[off] = (__u8)r;
		for (off = 0; off < len; off += SZ_2M)
			ASSERT_EQ(0, munmap(p + off + SZ_2M / 2, PAGE_SIZE));
		ASSERT_EQ(0, munmap(p, len));
		test_ioctl_release(h);
	}
	after = mem_free_kb();
	TH_LOG("MemFree %lld kB before %d rounds of %zu MiB, %lld after",
	       before, rounds, len >> 20, after);
	/* One round's leak would be the whole buffer. */
	EXPECT_LT(before - after, (long long)(len >> 10) / 2);
	/* And there were PMDs to split. */
	if (self->huge)
		EXPECT_LE(rounds, vmstat_read("thp_split_pmd") - splits);
}

/*
 * Stores in every page of @p, the pattern of @seed; FilePmdMapped after
 * them in *@kb, and the minor faults they took.
 */
static long touch_counted(__u8 *p, size_t len, unsigned int seed, long *kb)
{
	long before = minor_faults();

	iobmd_fill_pattern(p, len, 0, seed);
	before = minor_faults() - before;
	*kb = smaps_kb(p, "FilePmdMapped");
	return before;
}

/*
 * A mapping placed off 2 MiB cannot take a PMD: it is filled when mapped,
 * and the stores take no fault per page.  At a 2 MiB-aligned place the
 * same buffer's chunks take PMDs.
 */
TEST_F(hugemap, skewed_filled_at_mmap)
{
	const size_t len = 4 * SZ_2M;
	long faults, kb;
	__u64 cookie;
	__u8 *p;
	__u32 h;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &h);
	test_ioctl_map(h, 0, 0, len, &cookie);

	p = map_skewed(self->fd, len, (off_t)cookie, PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	faults = touch_counted(p, len, 43, &kb);
	TH_LOG("off 2 MiB: %ld faults for %zu pages, FilePmdMapped %ld kB",
	       faults, len / PAGE_SIZE, kb);
	EXPECT_GT(64, faults);
	EXPECT_EQ(0, kb > 0 ? kb : 0);
	ASSERT_EQ(0, munmap(p, len));
	check_buffer(h, len, 43);

	p = map_skewed(self->fd, len, (off_t)cookie, 0);
	ASSERT_NE(MAP_FAILED, p);
	faults = touch_counted(p, len, 44, &kb);
	TH_LOG("on 2 MiB: %ld faults, FilePmdMapped %ld kB", faults, kb);
	EXPECT_GT(64, faults);
	if (self->huge)
		EXPECT_LE(SZ_2M >> 10, kb);
	ASSERT_EQ(0, munmap(p, len));
	check_buffer(h, len, 44);
	test_ioctl_release(h);
}

/*
 * The buffer's dma-buf mapped off 2 MiB and on it: the same rule as
 * /dev/iobmd's own mapping (the dma-buf's file does not place mappings).
 */
TEST_F(hugemap, dmabuf_mapping)
{
	const size_t len = 4 * SZ_2M;
	long faults, kb;
	int dfd = -1;
	__u8 *p;
	__u32 h;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &h);
	ASSERT_EQ(0, _test_export(self->fd, h, 0, len, O_RDWR | O_CLOEXEC,
				  &dfd));

	p = map_skewed(dfd, len, 0, 3 * PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	faults = touch_counted(p, len, 45, &kb);
	TH_LOG("dma-buf off 2 MiB: %ld faults, FilePmdMapped %ld kB", faults,
	       kb);
	EXPECT_GT(64, faults);
	ASSERT_EQ(0, munmap(p, len));
	check_buffer(h, len, 45);

	p = map_skewed(dfd, len, 0, 0);
	ASSERT_NE(MAP_FAILED, p);
	faults = touch_counted(p, len, 46, &kb);
	TH_LOG("dma-buf on 2 MiB: %ld faults, FilePmdMapped %ld kB", faults,
	       kb);
	EXPECT_GT(64, faults);
	if (self->huge)
		EXPECT_LE(SZ_2M >> 10, kb);
	ASSERT_EQ(0, munmap(p, len));
	check_buffer(h, len, 46);
	close(dfd);
	test_ioctl_release(h);
}

TEST_HARNESS_MAIN

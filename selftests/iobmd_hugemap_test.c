// SPDX-License-Identifier: GPL-2.0
/*
 * Huge mappings of buffers: on a kernel that maps folios by PMD
 * (vmf_insert_folio_pmd(), 6.15 on) with transparent huge pages not
 * "never", a buffer's 2 MiB chunks are mapped with one PMD each
 * (smaps' FilePmdMapped) at a 2 MiB-aligned address, physically
 * contiguous buffers' too; elsewhere with PTEs only.  Either way, a partial munmap, mprotect or MADV_DONTNEED keeps
 * every byte the buffer's, fork and pinning see the same bytes, and
 * splitting gives every page back when the buffer goes.  A mapping that
 * cannot take a PMD (placed off 2 MiB, as a dma-buf's mmap may place it)
 * is filled at mmap() time, not one fault per page.  Subs, multis and
 * interleaved descriptors of buffers map the same way wherever their
 * 2 MiB-aligned parts show a chunk from its head.
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

FIXTURE_SETUP(hugemap)
{
	iobmd_fixture_open(self->fd);
	self->huge = buffers_map_by_pmd();
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

/*
 * MemFree of /proc/meminfo, in kB, with the page cache dropped first (as
 * root) so that files read meanwhile move it less.
 */
static long long mem_free_kb(void)
{
	char line[128];
	long long kb = -1;
	FILE *f;
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		/* Best effort: without it MemFree only moves more. */
		ssize_t n = write(fd, "3", 1);

		(void)n;
		close(fd);
	}
	f = fopen("/proc/meminfo", "r");
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
 * cannot map over a marker spins here).  Before 6.7, synchronous
 * write-protection, which takes anonymous, shmem and hugetlb memory only:
 * EINVAL too.
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
	bool async;
	__u8 *p;
	__u32 h;

	ASSERT_EQ(0, uname(&u));
	sscanf(u.release, "%d.%d", &major, &minor);
	async = major > 6 || (major == 6 && minor >= 7);
	if (!async)
		api.features = 0;
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
		/* A synchronous one would wait for a handler: no touching. */
		ASSERT_TRUE(async) TH_LOG("%s took the mapping", u.release);
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
 * Stores @r in every page of the mapping at @p, unmaps a page inside each
 * 2 MiB of it (splitting its PMD), then the rest.  Return: 0, or -1 when
 * an munmap fails.
 */
static int touch_split_unmap(__u8 *p, size_t len, int r)
{
	size_t off;

	for (off = 0; off < len; off += PAGE_SIZE)
		p[off] = (__u8)r;
	for (off = 0; off < len; off += SZ_2M)
		if (munmap(p + off + SZ_2M / 2, PAGE_SIZE))
			return -1;
	return munmap(p, len);
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
	int r;

	before = mem_free_kb();
	for (r = 0; r < rounds; r++) {
		__u8 *p;
		__u32 h;

		p = map_buffer(len, &h);
		ASSERT_EQ(0, touch_split_unmap(p, len, r));
		test_ioctl_release(h);
	}
	after = mem_free_kb();
	TH_LOG("MemFree %lld kB before %d rounds of %zu MiB, %lld after",
	       before, rounds, len >> 20, after);
	/*
	 * One round's leak would be the whole buffer, eight times over; less
	 * than one buffer in all is noise (the allocator's own caches move
	 * MemFree by tens of MiB either way: -48 to +21 MiB seen on 7.3).
	 */
	EXPECT_LT(before - after, (long long)(len >> 10));
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
 * The mapping at @p was filled at mmap() time: stores in every page take
 * no fault per page and find no PMD.  Then it is unmapped.
 */
#define check_filled_at_mmap(p, len, seed, what)                              \
	({                                                                    \
		long __kb, __faults = touch_counted(p, len, seed, &__kb);     \
		TH_LOG("%s: %ld faults for %zu pages, FilePmdMapped %ld kB",  \
		       what, __faults, (size_t)(len) / PAGE_SIZE, __kb);      \
		EXPECT_GT(64, __faults);                                      \
		EXPECT_EQ(0, __kb > 0 ? __kb : 0);                            \
		ASSERT_EQ(0, munmap(p, len));                                 \
	})

/*
 * The stores in @p take a fault per 2 MiB at most, and on huge kernels
 * some of it is mapped by PMD; then the mapping goes.
 */
#define check_pmd_at(p, len, seed, what)                                      \
	({                                                                    \
		long __kb, __faults = touch_counted(p, len, seed, &__kb);     \
		TH_LOG("%s: %ld faults, FilePmdMapped %ld kB", what,          \
		       __faults, __kb);                                       \
		EXPECT_GT(64, __faults);                                      \
		if (self->huge)                                               \
			EXPECT_LE(SZ_2M >> 10, __kb);                         \
		ASSERT_EQ(0, munmap(p, len));                                 \
	})

/*
 * A mapping placed off 2 MiB cannot take a PMD: it is filled when mapped,
 * and the stores take no fault per page.  At a 2 MiB-aligned place the
 * same buffer's chunks take PMDs.
 */
TEST_F(hugemap, skewed_filled_at_mmap)
{
	const size_t len = 4 * SZ_2M;
	__u64 cookie;
	__u8 *p;
	__u32 h;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &h);
	test_ioctl_map(h, 0, 0, len, &cookie);

	p = map_skewed(self->fd, len, (off_t)cookie, PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	check_filled_at_mmap(p, len, 43, "off 2 MiB");
	check_buffer(h, len, 43);

	p = map_skewed(self->fd, len, (off_t)cookie, 0);
	ASSERT_NE(MAP_FAILED, p);
	check_pmd_at(p, len, 44, "on 2 MiB");
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
	int dfd = -1;
	__u8 *p;
	__u32 h;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &h);
	ASSERT_EQ(0, _test_export(self->fd, h, 0, len, O_RDWR | O_CLOEXEC,
				  &dfd));

	p = map_skewed(dfd, len, 0, 3 * PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	check_filled_at_mmap(p, len, 45, "dma-buf off 2 MiB");
	check_buffer(h, len, 45);

	p = map_skewed(dfd, len, 0, 0);
	ASSERT_NE(MAP_FAILED, p);
	check_pmd_at(p, len, 46, "dma-buf on 2 MiB");
	check_buffer(h, len, 46);
	close(dfd);
	test_ioctl_release(h);
}

/*
 * A physically contiguous buffer, 64 MiB below 4 GiB (taken from
 * alloc_contig_range() in pieces): where buffers are mapped by PMD, each
 * 2 MiB part is one folio of PMD order, so all of the mapping is mapped
 * by PMD.  A partial munmap splits a PMD; every byte stays the buffer's.
 */
TEST_F_TIMEOUT(hugemap, contiguous_pmd_mapped, 300)
{
	const size_t len = 64ULL << 20, hole = 5 * SZ_2M + SZ_2M / 2;
	__u64 cookie;
	long kb;
	__u8 *p;
	__u32 h;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    len, 0, 0x00000000FFFFF000ULL, NULL,
					    0, &h))
		TH_LOG("64 MiB contiguous below 4 GiB: %s", strerror(errno));
	test_ioctl_map(h, 0, 0, len, &cookie);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 (off_t)cookie);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(len, iobmd_check_bytes(p, len, 0));
	iobmd_fill_pattern(p, len, 0, 71);
	kb = smaps_kb(p, "FilePmdMapped");
	TH_LOG("contiguous mapping at %p: FilePmdMapped %ld kB of %zu", p, kb,
	       len >> 10);
	if (self->huge) {
		EXPECT_EQ(0, (unsigned long)p % SZ_2M);
		EXPECT_EQ((long)(len >> 10), kb);
	} else {
		EXPECT_EQ(0, kb > 0 ? kb : 0);
	}

	/* One page out of the sixth chunk: its PMD splits, the rest stays. */
	ASSERT_EQ(0, munmap(p + hole, PAGE_SIZE));
	EXPECT_EQ(hole, iobmd_check_pattern(p, hole, 0, 71));
	EXPECT_EQ(len - hole - PAGE_SIZE,
		  iobmd_check_pattern(p + hole + PAGE_SIZE,
				      len - hole - PAGE_SIZE,
				      hole + PAGE_SIZE, 71));
	if (self->huge) {
		/* The chunks on either side of the split one keep theirs. */
		EXPECT_EQ((long)(5 * SZ_2M) >> 10,
			  smaps_kb(p, "FilePmdMapped"));
		EXPECT_EQ((long)(len - 6 * SZ_2M) >> 10,
			  smaps_kb(p + len - 1, "FilePmdMapped"));
	}
	/* Written through what is left, seen in the buffer. */
	iobmd_fill_pattern(p, hole, 0, 73);
	iobmd_fill_pattern(p + hole + PAGE_SIZE, len - hole - PAGE_SIZE,
			   hole + PAGE_SIZE, 73);
	{
		__u8 *b = malloc(len);

		ASSERT_NE(NULL, b);
		test_ioctl_read(h, 0, b, len);
		EXPECT_EQ(hole, iobmd_check_pattern(b, hole, 0, 73));
		EXPECT_EQ(len - hole - PAGE_SIZE,
			  iobmd_check_pattern(b + hole + PAGE_SIZE,
					      len - hole - PAGE_SIZE,
					      hole + PAGE_SIZE, 73));
		free(b);
	}
	ASSERT_EQ(0, munmap(p, hole));
	ASSERT_EQ(0, munmap(p + hole + PAGE_SIZE, len - hole - PAGE_SIZE));
	test_ioctl_release(h);
}

/* The descriptor @h mapped whole (@len bytes) and read-write. */
#define map_desc(h, len)                                                      \
	({                                                                    \
		__u64 __cookie;                                               \
		void *__p;                                                    \
		test_ioctl_map(h, 0, 0, len, &__cookie);                      \
		__p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,     \
			   self->fd, (off_t)__cookie);                        \
		ASSERT_NE(MAP_FAILED, __p);                                   \
		(__u8 *)__p;                                                  \
	})

/*
 * A window of @len bytes at @off of buffer @b, filled with the pattern
 * @seed, mapped whole (@map_len bytes): its handle in *@s_p.  The mapping
 * shows the buffer's pages from the one @off lies in.
 */
#define map_sub(b, off, len, map_len, seed, s_p)                              \
	({                                                                    \
		__u8 *__m;                                                    \
		test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, off, len,     \
				      s_p);                                   \
		__m = map_desc(*(s_p), map_len);                              \
		EXPECT_EQ(map_len,                                            \
			  iobmd_check_pattern(__m, map_len,                   \
					      (off) & ~(PAGE_SIZE - 1UL),     \
					      seed));                         \
		__m;                                                          \
	})

/* @len bytes of descriptor @h from @off are the pattern @seed from @at. */
#define check_desc_at(h, off, len, at, seed)                                  \
	({                                                                    \
		__u8 *__b = malloc(len);                                      \
		ASSERT_NE(NULL, __b);                                         \
		test_ioctl_read(h, off, __b, len);                            \
		EXPECT_EQ(len, iobmd_check_pattern(__b, len, at, seed));      \
		free(__b);                                                    \
	})

/* FilePmdMapped of the mapping at @p, @len bytes long, as expected. */
#define check_pmd_kb(p, len, what)                                            \
	({                                                                    \
		long __kb = smaps_kb(p, "FilePmdMapped");                     \
		TH_LOG("%s at %p: FilePmdMapped %ld kB of %zu", what, p,      \
		       __kb, (size_t)(len) >> 10);                            \
		if (self->huge) {                                             \
			EXPECT_EQ(0, (unsigned long)(p) % SZ_2M);             \
			EXPECT_LE(SZ_2M >> 10, __kb);                         \
			EXPECT_EQ(0, __kb % (SZ_2M >> 10));                   \
		} else {                                                      \
			EXPECT_EQ(0, __kb > 0 ? __kb : 0);                    \
		}                                                             \
		__kb;                                                         \
	})

/*
 * A window at a 2 MiB-aligned offset of a buffer maps its chunks by PMD,
 * as the buffer does; a page unmapped in the first chunk splits it and
 * the rest keeps its PMDs, a dropped half chunk comes back, and writes
 * through what is left reach the buffer.
 */
TEST_F(hugemap, sub_pmd_mapped)
{
	const size_t cap = 8 * SZ_2M, off = SZ_2M, len = 4 * SZ_2M;
	const size_t hole = SZ_2M / 2;
	long before;
	__u32 b, s;
	__u8 *p;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_fill_desc(b, cap, 71);
	p = map_sub(b, off, len, len, 71, &s);
	before = check_pmd_kb(p, len, "sub at 2 MiB");

	ASSERT_EQ(0, munmap(p + hole, PAGE_SIZE));
	EXPECT_EQ(hole, iobmd_check_pattern(p, hole, off, 71));
	EXPECT_EQ(len - hole - PAGE_SIZE,
		  iobmd_check_pattern(p + hole + PAGE_SIZE,
				      len - hole - PAGE_SIZE,
				      off + hole + PAGE_SIZE, 71));
	if (self->huge && before == (long)(len >> 10)) {
		EXPECT_EQ(0, smaps_kb(p, "FilePmdMapped"));
		EXPECT_EQ((len - SZ_2M) >> 10,
			  smaps_kb(p + SZ_2M, "FilePmdMapped"));
	}
	ASSERT_EQ(0, madvise(p + 2 * SZ_2M, SZ_2M / 2, MADV_DONTNEED));
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p + 2 * SZ_2M, SZ_2M,
					     off + 2 * SZ_2M, 71));

	/* Writes through both pieces of the mapping reach the buffer. */
	iobmd_fill_pattern(p, hole, off, 72);
	iobmd_fill_pattern(p + hole + PAGE_SIZE, len - hole - PAGE_SIZE,
			   off + hole + PAGE_SIZE, 72);
	check_desc_at(b, off, hole, off, 72);
	check_desc_at(b, off + hole, PAGE_SIZE, off + hole, 71);
	check_desc_at(b, off + hole + PAGE_SIZE, len - hole - PAGE_SIZE,
		      off + hole + PAGE_SIZE, 72);
	check_desc_at(b, 0, off, 0, 71);
	check_desc_at(b, off + len, cap - off - len, off + len, 71);
	ASSERT_EQ(0, munmap(p, hole));
	ASSERT_EQ(0, munmap(p + hole + PAGE_SIZE, len - hole - PAGE_SIZE));
	test_ioctl_release(s);
	test_ioctl_release(b);
}

/*
 * A multi of two 4 MiB buffers: each buffer's chunks lie 2 MiB-aligned in
 * the mapping and are mapped by PMD; a split in the second buffer's part
 * keeps every byte, and writes reach both buffers.
 */
TEST_F(hugemap, multi_pmd_mapped)
{
	const size_t half = 2 * SZ_2M, len = 2 * half;
	const size_t hole = half + SZ_2M / 2;
	__u32 bufs[2], m;
	long before;
	__u8 *p;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, half, 0, &bufs[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, half, 0, &bufs[1]);
	test_fill_desc(bufs[0], half, 73);
	test_fill_desc(bufs[1], half, 74);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, bufs, 2, &m);
	p = map_desc(m, len);
	EXPECT_EQ(half, iobmd_check_pattern(p, half, 0, 73));
	EXPECT_EQ(half, iobmd_check_pattern(p + half, half, 0, 74));
	before = check_pmd_kb(p, len, "multi");

	ASSERT_EQ(0, munmap(p + hole, PAGE_SIZE));
	EXPECT_EQ(half, iobmd_check_pattern(p, half, 0, 73));
	EXPECT_EQ(SZ_2M / 2, iobmd_check_pattern(p + half, SZ_2M / 2, 0, 74));
	EXPECT_EQ(len - hole - PAGE_SIZE,
		  iobmd_check_pattern(p + hole + PAGE_SIZE,
				      len - hole - PAGE_SIZE,
				      hole + PAGE_SIZE - half, 74));
	if (self->huge && before == (long)(len >> 10)) {
		EXPECT_EQ(half >> 10, smaps_kb(p, "FilePmdMapped"));
		EXPECT_EQ(SZ_2M >> 10, smaps_kb(p + len - PAGE_SIZE,
						"FilePmdMapped"));
	}
	ASSERT_EQ(0, madvise(p + SZ_2M, SZ_2M / 2, MADV_DONTNEED));
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p + SZ_2M, SZ_2M, SZ_2M, 73));

	iobmd_fill_pattern(p, hole, 0, 75);
	iobmd_fill_pattern(p + hole + PAGE_SIZE, len - hole - PAGE_SIZE,
			   hole + PAGE_SIZE, 75);
	check_desc_at(bufs[0], 0, half, 0, 75);
	check_desc_at(bufs[1], 0, SZ_2M / 2, half, 75);
	check_desc_at(bufs[1], SZ_2M / 2, PAGE_SIZE, SZ_2M / 2, 74);
	check_desc_at(bufs[1], SZ_2M / 2 + PAGE_SIZE,
		      half - SZ_2M / 2 - PAGE_SIZE, hole + PAGE_SIZE, 75);
	ASSERT_EQ(0, munmap(p, hole));
	ASSERT_EQ(0, munmap(p + hole + PAGE_SIZE, len - hole - PAGE_SIZE));
	test_ioctl_release(m);
	test_ioctl_release(bufs[0]);
	test_ioctl_release(bufs[1]);
}

/*
 * A multi whose first byte lies 100 bytes into a page (a window of a
 * buffer from byte 100 to its first chunk's end, then a whole buffer):
 * the first page shows the window's chunk from its head, and both chunks
 * of the mapping's first 4 MiB take PMDs, each from the right piece.
 */
TEST_F(hugemap, multi_unaligned)
{
	const size_t half = 2 * SZ_2M, len = SZ_2M + half;
	__u32 bufs[2], parts[2], m;
	__u8 *p;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, half, 0, &bufs[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, half, 0, &bufs[1]);
	test_fill_desc(bufs[0], half, 85);
	test_fill_desc(bufs[1], half, 86);
	test_ioctl_sub_create(bufs[0], IOBMD_DIRECTION_INOUT, 100,
			      SZ_2M - 100, &parts[0]);
	parts[1] = bufs[1];
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, parts, 2, &m);
	p = map_desc(m, len);
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p, SZ_2M, 0, 85));
	EXPECT_EQ(half, iobmd_check_pattern(p + SZ_2M, half, 0, 86));
	check_pmd_kb(p, len, "multi from byte 100");

	ASSERT_EQ(0, munmap(p + SZ_2M / 2, PAGE_SIZE));
	iobmd_fill_pattern(p + 100, SZ_2M / 2 - 100, 100, 87);
	iobmd_fill_pattern(p + SZ_2M, half, SZ_2M, 87);
	check_desc_at(bufs[0], 100, SZ_2M / 2 - 100, 100, 87);
	check_desc_at(bufs[0], SZ_2M / 2, SZ_2M + SZ_2M / 2, SZ_2M / 2, 85);
	check_desc_at(bufs[1], 0, half, SZ_2M, 87);
	EXPECT_EQ(SZ_2M / 2 - PAGE_SIZE,
		  iobmd_check_pattern(p + SZ_2M / 2 + PAGE_SIZE,
				      SZ_2M / 2 - PAGE_SIZE,
				      SZ_2M / 2 + PAGE_SIZE, 85));
	ASSERT_EQ(0, munmap(p, SZ_2M / 2));
	ASSERT_EQ(0, munmap(p + SZ_2M / 2 + PAGE_SIZE,
			    len - SZ_2M / 2 - PAGE_SIZE));
	test_ioctl_release(m);
	test_ioctl_release(parts[0]);
	test_ioctl_release(bufs[0]);
	test_ioctl_release(bufs[1]);
}

/*
 * Subs and multis of buffers mapped, split in every chunk and released,
 * again and again, give all their memory back.
 */
TEST_F(hugemap, compose_split_gives_memory_back)
{
	const size_t len = 32 * SZ_2M, cap = len + 4 * SZ_2M;
	const int rounds = 4;
	long long before = 0, after, splits = vmstat_read("thp_split_pmd");
	int r;

	/* The first sub and multi warm the allocator's caches up. */
	for (r = 0; r < 2 * rounds + 2; r++) {
		__u32 bufs[2], c;
		__u8 *p;

		if (r == 2)
			before = mem_free_kb();
		if (r % 2) {
			test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len / 2,
					      0, &bufs[0]);
			test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len / 2,
					      0, &bufs[1]);
			test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, bufs,
						2, &c);
		} else {
			test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0,
					      &bufs[0]);
			bufs[1] = 0;
			test_ioctl_sub_create(bufs[0], IOBMD_DIRECTION_INOUT,
					      2 * SZ_2M, len, &c);
		}
		p = map_desc(c, len);
		ASSERT_EQ(0, touch_split_unmap(p, len, r));
		test_ioctl_release(c);
		test_ioctl_release(bufs[0]);
		if (bufs[1])
			test_ioctl_release(bufs[1]);
	}
	after = mem_free_kb();
	TH_LOG("MemFree %lld kB before %d rounds of %zu MiB, %lld after",
	       before, 2 * rounds, len >> 20, after);
	/* A round's leak would be a mapping's chunks, eight times over. */
	EXPECT_LT(before - after, (long long)(len >> 10));
	if (self->huge)
		EXPECT_LE(2 * rounds, vmstat_read("thp_split_pmd") - splits);
}

/*
 * A window off 2 MiB shows no chunk from its head: filled at mmap() time,
 * with PTEs, no fault per page.  One whose first byte lies 100 bytes past
 * a chunk's head shows that chunk from its head in its first page (the
 * buffer's bytes before the window's first byte too): PMDs.
 */
TEST_F(hugemap, sub_unaligned)
{
	const size_t cap = 8 * SZ_2M, len = 4 * SZ_2M;
	const size_t tail = 3 * SZ_2M, tail_map = tail + PAGE_SIZE;
	__u32 b, s;
	__u8 *p;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_fill_desc(b, cap, 77);

	p = map_sub(b, SZ_1M, len, len, 77, &s);
	check_filled_at_mmap(p, len, 78, "sub at 1 MiB");
	test_ioctl_release(s);
	check_desc_at(b, SZ_1M, len, 0, 78);
	test_fill_desc(b, cap, 77);

	p = map_sub(b, SZ_2M + 100, tail, tail_map, 77, &s);
	check_pmd_kb(p, tail_map, "sub at 2 MiB + 100");
	iobmd_fill_pattern(p, tail_map, 0, 79);
	ASSERT_EQ(0, munmap(p + SZ_2M + PAGE_SIZE, PAGE_SIZE));
	EXPECT_EQ(SZ_2M + PAGE_SIZE,
		  iobmd_check_pattern(p, SZ_2M + PAGE_SIZE, 0, 79));
	ASSERT_EQ(0, munmap(p, tail_map));
	test_ioctl_release(s);
	check_desc_at(b, SZ_2M, tail_map, 0, 79);
	check_desc_at(b, 0, SZ_2M, 0, 77);
	test_ioctl_release(b);
}

/*
 * An interleaved descriptor of two buffers' ranges, one repeated: every
 * byte is its piece's, and writes reach the buffers.  Its first piece is
 * a buffer's second chunk from its head: a PMD.
 */
TEST_F(hugemap, interleaved_mapped)
{
	const size_t half = 2 * SZ_2M, len = 2 * half;
	long faults, kb;
	__u32 bufs[2], il;
	__u8 *p;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, half, 0, &bufs[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, half, 0, &bufs[1]);
	test_fill_desc(bufs[0], half, 81);
	test_fill_desc(bufs[1], half, 82);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 3, &il);
	test_ioctl_interleaved_set(il, bufs[0], SZ_2M, SZ_2M);
	test_ioctl_interleaved_set(il, bufs[1], 0, half);
	test_ioctl_interleaved_set(il, bufs[0], 0, SZ_2M);
	p = map_desc(il, len);
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p, SZ_2M, SZ_2M, 81));
	EXPECT_EQ(half, iobmd_check_pattern(p + SZ_2M, half, 0, 82));
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p + 3 * SZ_2M, SZ_2M, 0, 81));
	check_pmd_kb(p, len, "interleaved");
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	faults = touch_counted(p, len, 83, &kb);
	TH_LOG("interleaved again: %ld faults, FilePmdMapped %ld kB", faults,
	       kb);
	check_desc_at(bufs[0], SZ_2M, SZ_2M, 0, 83);
	check_desc_at(bufs[1], 0, half, SZ_2M, 83);
	check_desc_at(bufs[0], 0, SZ_2M, 3 * SZ_2M, 83);
	ASSERT_EQ(0, munmap(p, len));
	test_ioctl_release(il);
	test_ioctl_release(bufs[0]);
	test_ioctl_release(bufs[1]);
}

TEST_HARNESS_MAIN

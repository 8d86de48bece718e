// SPDX-License-Identifier: GPL-2.0
/*
 * Huge PFN mappings: on a kernel with huge PFN maps (6.12 on) and
 * transparent huge pages not "never", a mapping of user or physical RAM
 * whose 2 MiB-aligned parts are physically contiguous and 2 MiB-aligned
 * is filled at fault time with one PMD per 2 MiB: touching every page
 * takes one fault per 2 MiB, where PTEs would take 512.  A mapping that
 * cannot take a PMD (placed off 2 MiB, or memory that is not aligned) is
 * filled at mmap() time, and so is every mapping on older kernels: no
 * fault at all.  Either way the bytes are the memory's, through a partial
 * munmap and in a child, and a read-only cookie refuses writes.
 */

#include "iobmd_utils.h"
#include "iobmd_hugemaps.h"

FIXTURE(pfnhuge)
{
	int fd;
	bool huge;
	bool thp;
};

/* The kernel maps PFNs by PMD (6.12 on). */
static bool huge_expected(void)
{
	return iobmd_kernel_at_least(6, 12);
}

FIXTURE_SETUP(pfnhuge)
{
	iobmd_fixture_open(self->fd);
	self->huge = huge_expected();
	self->thp = thp_enabled();
	TH_LOG("PFN mappings at fault time %s on this kernel, THP %s",
	       self->huge ? "expected" : "not expected",
	       self->thp ? "on" : "never");
}

FIXTURE_TEARDOWN(pfnhuge)
{
	if (self->fd != -1)
		close(self->fd);
}

/* Reads every page of @p; the minor faults that took. */
static long read_counted(const __u8 *p, size_t len)
{
	long before = minor_faults();
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < len; i += PAGE_SIZE)
		sum += *(volatile const __u8 *)(p + i);
	(void)sum;
	return minor_faults() - before;
}

/*
 * Checks the fault count of touching @len bytes of a fresh mapping: one
 * per 2 MiB (and a few more) filled at fault time (a PMD each, or with
 * THP "never" the PTEs of the 2 MiB), none when filled at mmap(); never
 * one per page.
 */
static void check_faults(struct __test_metadata *_metadata, bool pmd,
			 long faults, size_t len, const char *what)
{
	TH_LOG("%s: %ld faults for %zu pages", what, faults,
	       (size_t)(len / PAGE_SIZE));
	if (pmd) {
		EXPECT_LE((long)(len / SZ_2M), faults);
		EXPECT_GE((long)(len / SZ_2M) + 4, faults);
	} else {
		EXPECT_GE(4, faults);
	}
}

/* @len bytes of anonymous memory at a 2 MiB-aligned address. */
static __u8 *map_aligned_anon(size_t len)
{
	__u8 *area, *p;

	area = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	p = (__u8 *)(((unsigned long)area + SZ_2M - 1) & ~(SZ_2M - 1UL));
	if (p > area)
		munmap(area, p - area);
	munmap(p + len, area + len + SZ_2M - (p + len));
	return p;
}

/* Whether a store of its own byte to *@p in a child dies of SIGSEGV. */
static bool write_segv(__u8 *p)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		*(volatile __u8 *)p = *(volatile __u8 *)p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

/*
 * The mapping of @h, @len bytes: placed 2 MiB-aligned, every page read
 * with one fault per 2 MiB (PMDs expected) or none; its bytes are
 * @seed's pattern; stores through it land in @mem (the memory itself,
 * seen another way); a page unmapped or made read-only in the middle
 * leaves the rest right; a child sees and changes the same bytes; a
 * read-only cookie refuses writes.
 */
static void check_mapping(struct __test_metadata *_metadata, int fd,
			  __u32 h, __u8 *mem, size_t len, bool pmd, bool thp,
			  unsigned int seed, const char *what)
{
	long faults;

	__u64 cookie = 0, ro = 0;
	int status;
	pid_t pid;
	__u8 *p;

	ASSERT_EQ(0, _test_ioctl_map(fd, h, 0, 0, len, &cookie));
	p = iobmd_mmap(fd, cookie, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	check_faults(_metadata, pmd, read_counted(p, len), len, what);
	if (pmd && thp)
		EXPECT_EQ(0, (unsigned long)p % SZ_2M);
	EXPECT_EQ(len, iobmd_check_pattern(p, len, 0, seed));

	/* Stores through the mapping are the memory's. */
	iobmd_fill_pattern(p, len, 0, seed + 1);
	EXPECT_EQ(len, iobmd_check_pattern(mem, len, 0, seed + 1));

	/*
	 * A page unmapped in the first 2 MiB splits its PMD: the pages left
	 * there come back a run at a time, not one fault each.
	 */
	ASSERT_EQ(0, munmap(p + 5 * PAGE_SIZE, PAGE_SIZE));
	faults = read_counted(p, 5 * PAGE_SIZE) +
		 read_counted(p + 6 * PAGE_SIZE, len - 6 * PAGE_SIZE);
	TH_LOG("after the split: %ld faults", faults);
	EXPECT_GE(4, faults);
	EXPECT_EQ(5 * PAGE_SIZE,
		  iobmd_check_pattern(p, 5 * PAGE_SIZE, 0, seed + 1));
	EXPECT_EQ(len - 6 * PAGE_SIZE,
		  iobmd_check_pattern(p + 6 * PAGE_SIZE, len - 6 * PAGE_SIZE,
				      6 * PAGE_SIZE, seed + 1));
	iobmd_fill_pattern(p + SZ_2M, len - SZ_2M, SZ_2M, seed + 2);
	EXPECT_EQ(len - SZ_2M, iobmd_check_pattern(mem + SZ_2M, len - SZ_2M,
						   SZ_2M, seed + 2));

	/*
	 * A page made read-only in the second 2 MiB splits that PMD too: it
	 * keeps its bytes and refuses stores, its neighbours take them.
	 */
	ASSERT_EQ(0, mprotect(p + SZ_2M + PAGE_SIZE, PAGE_SIZE, PROT_READ));
	EXPECT_EQ(len - SZ_2M, iobmd_check_pattern(p + SZ_2M, len - SZ_2M,
						   SZ_2M, seed + 2));
	EXPECT_TRUE(write_segv(p + SZ_2M + PAGE_SIZE));
	EXPECT_FALSE(write_segv(p + SZ_2M + 2 * PAGE_SIZE));
	ASSERT_EQ(0, mprotect(p + SZ_2M + PAGE_SIZE, PAGE_SIZE,
			      PROT_READ | PROT_WRITE));

	/* A child reads and writes the same memory. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (iobmd_check_pattern(p + SZ_2M, len - SZ_2M, SZ_2M,
					seed + 2) != len - SZ_2M)
			_exit(1);
		iobmd_fill_pattern(p + SZ_2M, SZ_2M, SZ_2M, seed + 3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(mem + SZ_2M, SZ_2M, SZ_2M,
					     seed + 3));
	ASSERT_EQ(0, munmap(p, 5 * PAGE_SIZE));
	ASSERT_EQ(0, munmap(p + 6 * PAGE_SIZE, len - 6 * PAGE_SIZE));

	/* Read-only: mapped for reading, never for writing. */
	ASSERT_EQ(0, _test_ioctl_map(fd, h, IOBMD_MAP_READONLY, 0, len, &ro));
	EXPECT_EQ(MAP_FAILED, iobmd_mmap(fd, ro, len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	p = iobmd_mmap(fd, ro, len, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	check_faults(_metadata, pmd, read_counted(p, len), len, "read-only");
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p + SZ_2M, SZ_2M, SZ_2M,
					     seed + 3));
	EXPECT_EQ(-1, mprotect(p, len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, munmap(p, len));
}

/*
 * User memory in transparent huge pages, prepared: its 2 MiB pages are
 * physically contiguous and aligned, and map by PMD.
 */
TEST_F(pfnhuge, user_thp)
{
	const size_t len = 2 * SZ_2M;
	__u8 *mem = map_aligned_anon(len);
	long kb;
	__u32 h;

	ASSERT_NE(NULL, mem);
	if (madvise(mem, len, MADV_HUGEPAGE)) {
		munmap(mem, len);
		SKIP(return, "madvise(MADV_HUGEPAGE): %s (THP off?)",
		     strerror(errno));
	}
	iobmd_fill_pattern(mem, len, 0, 11);
	kb = smaps_kb(mem, "AnonHugePages");
	TH_LOG("user memory at %p: AnonHugePages %ld kB", mem, kb);
	if (kb < (long)(len >> 10)) {
		munmap(mem, len);
		SKIP(return, "no transparent huge pages for the user memory (AnonHugePages %ld kB)",
		     kb);
	}
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, len, &h);
	test_ioctl_prepare(h, 0);
	check_mapping(_metadata, self->fd, h, mem, len, self->huge, self->thp,
		      11, "user memory in THPs");
	test_ioctl_complete(h, 0);
	test_ioctl_release(h);
	EXPECT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(mem, len);
}

/*
 * A physically contiguous buffer's bytes: its 2 MiB-aligned physical
 * address, 4 MiB on, in *@phys; its mapping (a way to see the memory) in
 * *@mem at that address; NULL where the buffer is not one segment.
 */
static __u8 *contiguous_ram(struct __test_metadata *_metadata, int fd,
			    __u32 *b, __u64 *phys)
{
	const size_t len = SZ_4M + SZ_2M;
	struct iobmd_segment *segs;
	__u64 cookie = 0;
	__u32 nr;
	__u8 *p;

	ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    len, 0, 0, NULL, 0, b));
	ASSERT_EQ(0, _test_get_all_segments(fd, *b, 0, len, &segs, &nr));
	if (nr != 1) {
		free(segs);
		return NULL;
	}
	*phys = (segs[0].addr + SZ_2M - 1) & ~(SZ_2M - 1);
	ASSERT_EQ(0, _test_ioctl_map(fd, *b, 0, 0, len, &cookie));
	p = iobmd_mmap(fd, cookie, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p += *phys - segs[0].addr;
	free(segs);
	return p;
}

/* Physical RAM (root, unsafe_phys_ram=1): 4 MiB, 2 MiB-aligned. */
TEST_F(pfnhuge, physical_ram)
{
	struct iobmd_range r;
	__u8 *mem = NULL;
	__u64 phys = 0;
	__u32 b, h;

	IOBMD_NEED_PHYS_RAM();
	mem = contiguous_ram(_metadata, self->fd, &b, &phys);
	ASSERT_NE(NULL, mem);
	iobmd_fill_pattern(mem, SZ_4M, 0, 21);
	r = (struct iobmd_range){ phys, SZ_4M };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &r, 1, &h);
	check_mapping(_metadata, self->fd, h, mem, SZ_4M, self->huge, self->thp,
		      21, "physical RAM");
	test_ioctl_release(h);
	test_ioctl_release(b);
}

/*
 * Mappings that cannot take a PMD are filled at mmap() time, not one
 * fault per page: physical RAM a page off 2 MiB, and aligned memory
 * placed a page off 2 MiB.
 */
TEST_F(pfnhuge, no_pmd_filled_at_mmap)
{
	struct iobmd_range r;
	__u64 phys = 0, cookie = 0;
	__u8 *mem, *p;
	__u32 b, h;

	IOBMD_NEED_PHYS_RAM();
	mem = contiguous_ram(_metadata, self->fd, &b, &phys);
	ASSERT_NE(NULL, mem);
	iobmd_fill_pattern(mem, SZ_4M, 0, 31);

	r = (struct iobmd_range){ phys + PAGE_SIZE, SZ_2M + SZ_2M / 2 };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &r, 1, &h);
	test_ioctl_map(h, 0, 0, r.length, &cookie);
	p = iobmd_mmap(self->fd, cookie, r.length, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	check_faults(_metadata, false, read_counted(p, r.length), r.length,
		     "physical RAM a page off 2 MiB");
	EXPECT_EQ(r.length,
		  iobmd_check_pattern(p, r.length, PAGE_SIZE, 31));
	ASSERT_EQ(0, munmap(p, r.length));
	test_ioctl_release(h);

	r = (struct iobmd_range){ phys, SZ_4M };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &r, 1, &h);
	test_ioctl_map(h, 0, 0, SZ_4M, &cookie);
	p = map_skewed(self->fd, SZ_4M, (off_t)cookie, PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	check_faults(_metadata, false, read_counted(p, SZ_4M), SZ_4M,
		     "placed a page off 2 MiB");
	EXPECT_EQ(SZ_4M, iobmd_check_pattern(p, SZ_4M, 0, 31));
	ASSERT_EQ(0, munmap(p, SZ_4M));
	test_ioctl_release(h);
	test_ioctl_release(b);
}

/* Whether a read of *@p in a child dies of SIGBUS. */
static bool read_sigbus(const __u8 *p)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		(void)*(volatile const __u8 *)p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/*
 * A multi of physical RAM and a buffer: its 2 MiB of physical RAM maps by
 * PMD, one fault.  Once the buffer is shorter, the bytes it no longer
 * backs are SIGBUS where they were not mapped yet (at fault time); the
 * bytes it still backs are its own.  Older kernels mapped them all at
 * mmap(), and they stay.
 */
TEST_F(pfnhuge, multi_shrunk_piece)
{
	__u8 *mem, *p, *model = malloc(PAGE_SIZE);
	__u64 phys = 0, cookie = 0;
	__u32 b, pg, buf, m, pair[2];
	struct iobmd_range r;

	IOBMD_NEED_PHYS_RAM();
	ASSERT_NE(NULL, model);
	mem = contiguous_ram(_metadata, self->fd, &b, &phys);
	ASSERT_NE(NULL, mem);
	iobmd_fill_pattern(mem, SZ_2M, 0, 41);
	r = (struct iobmd_range){ phys, SZ_2M };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &r, 1, &pg);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_2M, 0, &buf);
	iobmd_fill_pattern(model, PAGE_SIZE, 0, 42);
	test_ioctl_write(buf, 0, model, PAGE_SIZE);
	pair[0] = pg;
	pair[1] = buf;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_ioctl_map(m, 0, 0, SZ_4M, &cookie);
	p = iobmd_mmap(self->fd, cookie, SZ_4M, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	check_faults(_metadata, self->huge, read_counted(p, SZ_2M), SZ_2M,
		     "multi: physical RAM");
	EXPECT_EQ(SZ_2M, iobmd_check_pattern(p, SZ_2M, 0, 41));

	test_ioctl_set_length(buf, PAGE_SIZE, NULL);
	EXPECT_EQ(self->huge, read_sigbus(p + SZ_2M + SZ_1M));
	EXPECT_EQ(PAGE_SIZE, iobmd_check_pattern(p + SZ_2M, PAGE_SIZE, 0, 42));
	EXPECT_EQ(self->huge, read_sigbus(p + SZ_2M + PAGE_SIZE));
	ASSERT_EQ(0, munmap(p, SZ_4M));
	test_ioctl_release(m);
	test_ioctl_release(buf);
	test_ioctl_release(pg);
	test_ioctl_release(b);
	free(model);
}

TEST_HARNESS_MAIN

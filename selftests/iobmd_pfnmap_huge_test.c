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
 * munmap and in a child, and a read-only cookie refuses writes.  The
 * GiB tests here (which need a free, contiguous, aligned GiB, so this
 * program runs first) map a GiB with one PUD where the kernel can: of
 * user memory, physical RAM, and a contiguous buffer.
 */

#include <sys/prctl.h>
#include <sys/uio.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"
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

/* nr_hugepages of 1 GiB before a test raised it; "" when untouched. */
static char gigantic_old[32];

#define GIGANTIC_NR "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"

FIXTURE_TEARDOWN(pfnhuge)
{
	if (self->fd != -1)
		close(self->fd);
	/* The gigantic page goes back even when a test stopped early. */
	if (gigantic_old[0])
		iobmd_write_file(GIGANTIC_NR, gigantic_old);
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
	EXPECT_EQ(self->huge, iobmd_read_sigbus(p + SZ_2M + SZ_1M));
	EXPECT_EQ(PAGE_SIZE, iobmd_check_pattern(p + SZ_2M, PAGE_SIZE, 0, 42));
	EXPECT_EQ(self->huge, iobmd_read_sigbus(p + SZ_2M + PAGE_SIZE));
	ASSERT_EQ(0, munmap(p, SZ_4M));
	test_ioctl_release(m);
	test_ioctl_release(buf);
	test_ioctl_release(pg);
	test_ioctl_release(b);
	free(model);
}

/*
 * 1 GiB entries (PUDs): on x86-64 from 6.12 on, with transparent huge
 * pages not "never", a mapping of 1 GiB of RAM that is physically
 * contiguous and 1 GiB-aligned, placed 1 GiB-aligned (/dev/iobmd places
 * mappings of 1 GiB and more so), takes one fault for the whole GiB.  The
 * kernel shows a PFN mapping's PUDs nowhere (smaps counts no PFN maps),
 * so the fault count stands for them: one for the GiB, where PMDs take
 * 512.  arm64 has no PUD PFN mappings (as of 7.3): there the GiB takes
 * PMDs, and before 6.12 it is filled at mmap() with no fault at all.
 */
#ifndef SZ_1G
#define SZ_1G	0x40000000ULL
#endif

enum gib_level { GIB_MMAP, GIB_PMD, GIB_PUD, GIB_PUD_OR_PMD };

static const char *const gib_level_name[] = {
	[GIB_MMAP] = "filled at mmap()",
	[GIB_PMD] = "one fault per 2 MiB",
	[GIB_PUD] = "one PUD",
	[GIB_PUD_OR_PMD] = "one PUD or one fault per 2 MiB",
};

/*
 * How this kernel maps a GiB of contiguous, aligned RAM.  With THP
 * "never", 6.12 maps no PFN huge (a fault per 2 MiB), 7.3 still by PUD
 * (it leaves special VMAs to their huge_fault()): either will do there.
 */
static enum gib_level gib_expected(void)
{
	if (!huge_expected())
		return GIB_MMAP;
#if defined(__x86_64__)
	return thp_enabled() ? GIB_PUD : GIB_PUD_OR_PMD;
#endif
	return GIB_PMD;
}

/*
 * The fault count of reading every page of a fresh GiB, at @level; the
 * level seen, where @level allows two.
 */
static enum gib_level check_gib_faults(struct __test_metadata *_metadata,
				       enum gib_level level, long faults,
				       const char *what)
{
	TH_LOG("%s: %ld faults for 1 GiB (expected: %s)", what, faults,
	       gib_level_name[level]);
	if (level == GIB_PUD_OR_PMD)
		level = faults <= 4 ? GIB_PUD : GIB_PMD;
	switch (level) {
	case GIB_PUD:
		EXPECT_LE(1, faults);
		EXPECT_GE(4, faults);
		break;
	case GIB_PMD:
		EXPECT_LE((long)(SZ_1G / SZ_2M), faults);
		EXPECT_GE((long)(SZ_1G / SZ_2M) + 4, faults);
		break;
	default:
		EXPECT_GE(4, faults);
		break;
	}
	return level;
}

/*
 * Whether [@start, @start + @len) lies in one "System RAM" range of
 * /proc/iomem (addresses there are zero without CAP_SYS_ADMIN).
 */
static bool iomem_all_ram(__u64 start, __u64 len)
{
	unsigned long long a, b;
	char line[256];
	bool ram = false;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return false;
	while (!ram && fgets(line, sizeof(line), f)) {
		/* Top-level entries only: children are part of theirs. */
		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &a, &b) == 2 && b > a &&
		    a <= start && start + len - 1 <= b)
			ram = true;
	}
	fclose(f);
	return ram;
}

/*
 * The faults of mapping a GiB again after a split or a move: all of it
 * by PMD where a PUD went (the VMA no longer holds it whole), else those
 * of the 2 MiB split, if any.
 */
static void check_gib_again(struct __test_metadata *_metadata,
			    enum gib_level level, long faults, const char *what)
{
	TH_LOG("after %s: %ld faults", what, faults);
	if (level == GIB_PUD) {
		EXPECT_LE((long)(SZ_1G / SZ_2M) - 2, faults);
		EXPECT_GE((long)(SZ_1G / SZ_2M) + 4, faults);
	} else {
		EXPECT_GE(4, faults);
	}
}

/*
 * The mapping of @h (1 GiB whose memory is contiguous and 1 GiB-aligned),
 * at @level: its cookie and address are 1 GiB-aligned where a PUD is
 * expected, every page read takes the faults @level says, a child sees
 * what the parent maps, and the @own bytes at offset @off (memory the test owns: the rest may be the
 * kernel's, and is only read) are @seed's pattern through it and take
 * stores that @mem (the same memory seen another way) shows.  Then part
 * of the GiB is dropped (MADV_DONTNEED, which PFN maps refuse), made
 * read-only (the VMA splits, and with it the PUD: the GiB comes back by
 * PMD) and unmapped, and its bytes stay right through each.
 */
static void check_gib(struct __test_metadata *_metadata, int fd, __u32 h,
		      __u8 *mem, size_t off, size_t own, enum gib_level level,
		      unsigned int seed, const char *what)
{
	long long maps = iobmd_stat("mappings");
	__u64 cookie = 0;
	long faults;
	int status;
	pid_t pid;
	__u8 *p;

	ASSERT_LE(off + own, SZ_1G);
	ASSERT_LE(3 * PAGE_SIZE, own);
	ASSERT_EQ(0, _test_ioctl_map(fd, h, 0, 0, SZ_1G, &cookie));
	p = iobmd_mmap(fd, cookie, SZ_1G, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	TH_LOG("%s: cookie %#llx, mapped at %p", what,
	       (unsigned long long)cookie, p);
	if (level == GIB_PUD || level == GIB_PUD_OR_PMD) {
		EXPECT_EQ(0, cookie % SZ_1G);
		EXPECT_EQ(0, (unsigned long)p % SZ_1G);
	}
	level = check_gib_faults(_metadata, level, read_counted(p, SZ_1G),
				 what);
	EXPECT_EQ(own, iobmd_check_pattern(p + off, own, 0, seed));

	/* A child gets the PUD as it is, and sees the same bytes. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(iobmd_check_pattern(p + off, own, 0, seed) != own);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	iobmd_fill_pattern(p + off, own, 0, seed + 1);
	EXPECT_EQ(own, iobmd_check_pattern(mem, own, 0, seed + 1));

	/*
	 * A page dropped: the kernel refuses MADV_DONTNEED on a PFN map
	 * (VM_PFNMAP: 6.12, 7.3), which stays whole; where it takes it, the
	 * PUD or PMD goes whole and one fault maps it again.
	 */
	if (madvise(p + off, PAGE_SIZE, MADV_DONTNEED)) {
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, read_counted(p, SZ_1G));
	} else {
		faults = read_counted(p, SZ_1G);
		TH_LOG("after MADV_DONTNEED of a page: %ld faults", faults);
		EXPECT_NE(GIB_MMAP, level);
		EXPECT_LE(1, faults);
		EXPECT_GE(4, faults);
	}
	EXPECT_EQ(own, iobmd_check_pattern(p + off, own, 0, seed + 1));

	/*
	 * A page made read-only: the VMA splits, so does a PUD, and its GiB
	 * comes back a PMD at a time (a PMD split takes its 2 MiB only).
	 */
	ASSERT_EQ(0, mprotect(p + off + PAGE_SIZE, PAGE_SIZE, PROT_READ));
	check_gib_again(_metadata, level, read_counted(p, SZ_1G),
			"mprotect of a page");
	EXPECT_EQ(own, iobmd_check_pattern(p + off, own, 0, seed + 1));
	EXPECT_TRUE(write_segv(p + off + PAGE_SIZE));
	EXPECT_FALSE(write_segv(p + off + 2 * PAGE_SIZE));
	ASSERT_EQ(0, mprotect(p + off + PAGE_SIZE, PAGE_SIZE,
			      PROT_READ | PROT_WRITE));

	/* A page unmapped: the rest keeps its bytes and takes stores. */
	ASSERT_EQ(0, munmap(p + off + 2 * PAGE_SIZE, PAGE_SIZE));
	faults = read_counted(p, off + 2 * PAGE_SIZE) +
		 read_counted(p + off + 3 * PAGE_SIZE,
			      SZ_1G - off - 3 * PAGE_SIZE);
	TH_LOG("after munmap of a page: %ld faults", faults);
	EXPECT_GE(4, faults);
	EXPECT_EQ(2 * PAGE_SIZE,
		  iobmd_check_pattern(p + off, 2 * PAGE_SIZE, 0, seed + 1));
	EXPECT_EQ(own - 3 * PAGE_SIZE,
		  iobmd_check_pattern(p + off + 3 * PAGE_SIZE,
				      own - 3 * PAGE_SIZE, 3 * PAGE_SIZE,
				      seed + 1));
	iobmd_fill_pattern(p + off, 2 * PAGE_SIZE, 0, seed + 2);
	EXPECT_EQ(2 * PAGE_SIZE,
		  iobmd_check_pattern(mem, 2 * PAGE_SIZE, 0, seed + 2));
	ASSERT_EQ(0, munmap(p, off + 2 * PAGE_SIZE));
	ASSERT_EQ(0, munmap(p + off + 3 * PAGE_SIZE,
			    SZ_1G - off - 3 * PAGE_SIZE));
	/* Every piece of the split mapping let its descriptor go. */
	EXPECT_EQ(maps, iobmd_stat("mappings"));
}

/*
 * mremap() of the GiB, whole, to 2 MiB past a GiB boundary: its PUD goes
 * before the move (the kernel would take it for a table of PMDs), the
 * bytes come back a PMD at a time there, and stay right; then a part of
 * it moved back.
 */
static void check_gib_mremap(struct __test_metadata *_metadata, int fd,
			     __u32 h, __u8 *mem, size_t off, size_t own,
			     enum gib_level level, unsigned int seed)
{
	long long maps = iobmd_stat("mappings");
	size_t room = 3 * SZ_1G;
	__u64 cookie = 0;
	__u8 *p, *area, *to, *q;

	iobmd_fill_pattern(mem, own, 0, seed);
	ASSERT_EQ(0, _test_ioctl_map(fd, h, 0, 0, SZ_1G, &cookie));
	p = iobmd_mmap(fd, cookie, SZ_1G, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	level = check_gib_faults(_metadata, level, read_counted(p, SZ_1G),
				 "before mremap()");
	area = mmap(NULL, room, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	to = (__u8 *)(((unsigned long)area + SZ_1G - 1) & ~(SZ_1G - 1UL)) +
	     SZ_2M;
	q = mremap(p, SZ_1G, SZ_1G, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, q);
	check_gib_again(_metadata, level, read_counted(q, SZ_1G),
			"mremap() to 2 MiB off 1 GiB");
	EXPECT_EQ(own, iobmd_check_pattern(q + off, own, 0, seed));
	iobmd_fill_pattern(q + off, own, 0, seed + 1);
	EXPECT_EQ(own, iobmd_check_pattern(mem, own, 0, seed + 1));

	/* Its last 4 MiB, with the bytes the test owns, moved on again. */
	p = mremap(q + SZ_1G - SZ_4M, SZ_4M, SZ_4M,
		   MREMAP_MAYMOVE | MREMAP_FIXED, area + PAGE_SIZE);
	ASSERT_EQ(area + PAGE_SIZE, p);
	if (off == SZ_1G - SZ_4M)
		EXPECT_EQ(own, iobmd_check_pattern(p, own, 0, seed + 1));
	ASSERT_EQ(0, munmap(p, SZ_4M));
	ASSERT_EQ(0, munmap(q, SZ_1G - SZ_4M));
	munmap(area, room);
	EXPECT_EQ(maps, iobmd_stat("mappings"));
}

/*
 * Compacts memory (root; best effort).  First of all that drains every
 * CPU's batch of pages not yet on an LRU list, which a search for a free
 * range (the driver's, as the kernel's isolation of a pageblock) takes
 * for unmovable pages.  Seconds on an emulated CPU: only after a miss.
 */
static void gib_make_room(void)
{
	iobmd_write_file("/proc/sys/vm/compact_memory", "1");
}

/* A contiguous buffer of a GiB, 1 GiB-aligned: 0, or -1 with errno. */
static int buffer_gib_try(int fd, __u32 *b)
{
	return _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
				      IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				      SZ_1G, SZ_1G, 0, NULL, 0, b);
}

/*
 * buffer_gib_try(), on ENOMEM once more after gib_make_room(): the guest
 * may have only one such GiB, and a page of it still in a batch refuses
 * it.
 */
static int buffer_gib_create(int fd, __u32 *b)
{
	if (!buffer_gib_try(fd, b))
		return 0;
	if (errno != ENOMEM)
		return -1;
	gib_make_room();
	return buffer_gib_try(fd, b);
}

/*
 * A physically contiguous, 1 GiB-aligned buffer of 1 GiB (physical RAM
 * must be in use to be described): its physical address in *@phys, and
 * its last 4 MiB seen through its own mapping, returned; NULL where it
 * cannot be had so, or is not System RAM by /proc/iomem.
 */
static __u8 *ram_gib(struct __test_metadata *_metadata, int fd, __u32 *b,
		     __u64 *phys)
{
	struct iobmd_segment *segs;
	__u64 cookie = 0;
	__u32 nr = 0;
	__u8 *p;

	*b = 0;
	if (buffer_gib_create(fd, b)) {
		TH_LOG("a contiguous, aligned GiB: %s", strerror(errno));
		return NULL;
	}
	ASSERT_EQ(0, _test_get_all_segments(fd, *b, 0, SZ_1G, &segs, &nr));
	*phys = segs[0].addr;
	free(segs);
	TH_LOG("a GiB of RAM at %#llx, in %u segments",
	       (unsigned long long)*phys, nr);
	/* The buffer's own promise: one piece, on its alignment. */
	ASSERT_EQ(1, nr);
	ASSERT_EQ(0, *phys % SZ_1G);
	if (!iomem_all_ram(*phys, SZ_1G))
		return NULL;
	ASSERT_EQ(0, _test_ioctl_map(fd, *b, 0, SZ_1G - SZ_4M, SZ_4M,
				     &cookie));
	p = iobmd_mmap(fd, cookie, SZ_4M, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	return p;
}

/* A GiB of RAM as ram_gib() has it (physical RAM allowed), else a skip. */
#define NEED_RAM_GIB(mem, b, phys)                                            \
	do {                                                                  \
		IOBMD_NEED_PHYS_RAM();                                        \
		mem = ram_gib(_metadata, self->fd, &(b), &(phys));            \
		if (!(mem)) {                                                 \
			if (b)                                                \
				test_ioctl_release(b);                        \
			SKIP(return, "no physically contiguous, aligned GiB of System RAM to be had"); \
		}                                                             \
	} while (0)

/* Physical RAM (root, unsafe_phys_ram=1): a GiB of it, mapped whole. */
TEST_F(pfnhuge, physical_ram_gib)
{
	enum gib_level level = gib_expected();
	struct iobmd_range r;
	__u64 phys = 0;
	__u8 *mem;
	__u32 b, h;

	NEED_RAM_GIB(mem, b, phys);
	iobmd_fill_pattern(mem, SZ_4M, 0, 51);
	r = (struct iobmd_range){ phys, SZ_1G };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &r, 1, &h);
	check_gib(_metadata, self->fd, h, mem, SZ_1G - SZ_4M, SZ_4M, level, 51,
		  "physical RAM, 1 GiB");
	check_gib_mremap(_metadata, self->fd, h, mem, SZ_1G - SZ_4M, SZ_4M,
			 level, 52);
	test_ioctl_release(h);
	ASSERT_EQ(0, munmap(mem, SZ_4M));
	test_ioctl_release(b);
}

/*
 * What cannot take a PUD takes PMDs: the GiB placed 2 MiB off 1 GiB; a
 * GiB of the mapping whose memory is not one aligned GiB (its two parts
 * swapped); the GiB as 1024 adjacent ranges of 1 MiB (one contiguous
 * range, but more runs than a fault walks).
 */
TEST_F(pfnhuge, gib_no_pud)
{
	enum gib_level level = gib_expected();
	const size_t own = SZ_1G - SZ_4M;
	struct iobmd_range *rs;
	__u64 phys = 0, cookie = 0;
	__u8 *mem, *p;
	__u32 b, h;
	unsigned int i;

	NEED_RAM_GIB(mem, b, phys);
	if (level == GIB_PUD || level == GIB_PUD_OR_PMD)
		level = GIB_PMD;
	iobmd_fill_pattern(mem, SZ_4M, 0, 61);
	rs = calloc(IOBMD_GENERAL_MAX_RANGES, sizeof(*rs));
	ASSERT_NE(NULL, rs);

	rs[0] = (struct iobmd_range){ phys, SZ_1G };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, rs, 1, &h);
	test_ioctl_map(h, 0, 0, SZ_1G, &cookie);
	p = map_skewed_from(self->fd, SZ_1G, (off_t)cookie, SZ_1G, SZ_2M);
	ASSERT_NE(MAP_FAILED, p);
	check_gib_faults(_metadata, level, read_counted(p, SZ_1G),
			 "placed 2 MiB off 1 GiB");
	EXPECT_EQ(SZ_4M, iobmd_check_pattern(p + own, SZ_4M, 0, 61));
	ASSERT_EQ(0, munmap(p, SZ_1G));
	test_ioctl_release(h);

	rs[0] = (struct iobmd_range){ phys + SZ_2M, SZ_1G - SZ_2M };
	rs[1] = (struct iobmd_range){ phys, SZ_2M };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, rs, 2, &h);
	test_ioctl_map(h, 0, 0, SZ_1G, &cookie);
	p = iobmd_mmap(self->fd, cookie, SZ_1G, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	check_gib_faults(_metadata, level, read_counted(p, SZ_1G),
			 "its two parts swapped");
	EXPECT_EQ(SZ_4M, iobmd_check_pattern(p + own - SZ_2M, SZ_4M, 0, 61));
	ASSERT_EQ(0, munmap(p, SZ_1G));
	test_ioctl_release(h);

	for (i = 0; i < IOBMD_GENERAL_MAX_RANGES; i++)
		rs[i] = (struct iobmd_range){ phys + i * SZ_1M, SZ_1M };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, rs,
				    IOBMD_GENERAL_MAX_RANGES, &h);
	test_ioctl_map(h, 0, 0, SZ_1G, &cookie);
	p = iobmd_mmap(self->fd, cookie, SZ_1G, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	if (gib_expected() != GIB_PMD && gib_expected() != GIB_MMAP)
		EXPECT_EQ(0, (unsigned long)p % SZ_1G);
	check_gib_faults(_metadata, level, read_counted(p, SZ_1G),
			 "1024 ranges of 1 MiB");
	EXPECT_EQ(SZ_4M, iobmd_check_pattern(p + own, SZ_4M, 0, 61));
	ASSERT_EQ(0, munmap(p, SZ_1G));
	test_ioctl_release(h);
	free(rs);
	ASSERT_EQ(0, munmap(mem, SZ_4M));
	test_ioctl_release(b);
}

/*
 * How this kernel maps a GiB of a contiguous buffer that is one folio of
 * PUD order: by PUD on x86-64 from 7.2 on, THP setting or not (its VMA is
 * a DAX VMA); elsewhere by PMD from 7.2 on (arm64; PTEs with THP
 * "never", not counted: GIB_MMAP stands for "do not count" there), and
 * filled at mmap() before 7.2.
 */
static enum gib_level buffer_gib_expected(bool *count)
{
	*count = true;
	if (!iobmd_kernel_at_least(7, 2))
		return GIB_MMAP;
#if defined(__x86_64__)
	return GIB_PUD;
#endif
	*count = thp_enabled();
	return GIB_PMD;
}

/*
 * Whether the mapping at @p carries the DAX file of a mapping that takes
 * PUDs (by /proc/self/smaps, whose read splits every PUD it walks).
 */
static bool maps_dax_file(const void *p)
{
	char *line = NULL, start[32];
	bool dax = false;
	size_t cap = 0;
	FILE *f;

	snprintf(start, sizeof(start), "%lx-", (unsigned long)p);
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0)
		if (!strncmp(line, start, strlen(start)))
			dax = strstr(line, "anon_inode:[iobmd]");
	free(line);
	fclose(f);
	return dax;
}

/* Reads every page of the GiB at @p: its faults, at @level if @count. */
static void check_buffer_gib(struct __test_metadata *_metadata,
			     enum gib_level level, bool count, const __u8 *p,
			     const char *what)
{
	long faults = read_counted(p, SZ_1G);

	if (count)
		check_gib_faults(_metadata, level, faults, what);
	else
		TH_LOG("%s: %ld faults", what, faults);
}

/*
 * A contiguous buffer of a GiB, 1 GiB-aligned, mapped whole: one PUD
 * where expected, and whatever splits that PUD (MADV_DONTNEED of a page,
 * reading smaps, mprotect of a page, munmap of a page, mremap) keeps the
 * bytes right and drops the folio's reference and reverse map: the GiB
 * comes back to MemFree when the buffer goes.  A child reads it, mlock
 * and mincore take it, and it can be pinned (a general descriptor over
 * the mapping, prepared).
 */
TEST_F(pfnhuge, buffer_gib)
{
	long long maps = iobmd_stat("mappings");
	const size_t off = SZ_1G - SZ_4M, own = SZ_4M;
	__u8 *p, *q, *area, *buf, vec[4];
	__u64 before, cookie = 0;
	enum gib_level level;
	int status, fd;
	bool count;
	__u32 b, g;
	pid_t pid;

	level = buffer_gib_expected(&count);
	before = iobmd_free_ram();
	if (buffer_gib_create(self->fd, &b))
		SKIP(return, "no contiguous, aligned GiB to be had: %s",
		     strerror(errno));
	ASSERT_EQ(0, _test_ioctl_map(self->fd, b, 0, 0, SZ_1G, &cookie));
	p = iobmd_mmap(self->fd, cookie, SZ_1G, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	TH_LOG("cookie %#llx, mapped at %p", (unsigned long long)cookie, p);
	if (level == GIB_PUD) {
		EXPECT_EQ(0, cookie % SZ_1G);
		EXPECT_EQ(0, (unsigned long)p % SZ_1G);
	}
	check_buffer_gib(_metadata, level, count, p, "a contiguous buffer");
	iobmd_fill_pattern(p + off, own, 0, 91);
	buf = malloc(own);
	ASSERT_NE(NULL, buf);
	test_ioctl_read(b, off, buf, own);
	EXPECT_EQ(own, iobmd_check_pattern(buf, own, 0, 91));

	/* A child sees the bytes; mlock and mincore take the mapping. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(iobmd_check_pattern(p + off, own, 0, 91) != own);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(0, mlock(p + off, PAGE_SIZE));
	EXPECT_EQ(0, munlock(p + off, PAGE_SIZE));
	EXPECT_EQ(0, mincore(p + off, sizeof(vec) * PAGE_SIZE, vec));

	/* Pinned through the mapping: the pin reads the buffer's bytes. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, p + off, own, &g);
	test_ioctl_prepare(g, 0);
	memset(buf, 0, own);
	test_ioctl_read(g, 0, buf, own);
	EXPECT_EQ(own, iobmd_check_pattern(buf, own, 0, 91));
	test_ioctl_complete(g, 0);
	test_ioctl_release(g);

	/* A page dropped: its PUD or PMD goes whole, one fault brings it. */
	ASSERT_EQ(0, madvise(p + off, PAGE_SIZE, MADV_DONTNEED));
	check_buffer_gib(_metadata, GIB_PUD, count && level != GIB_MMAP, p,
			 "after MADV_DONTNEED of a page");
	EXPECT_EQ(own, iobmd_check_pattern(p + off, own, 0, 91));

	/*
	 * smaps walks the page tables with no PUD callback: a split too.
	 * A mapping that takes PUDs carries a DAX file of its own.
	 */
	EXPECT_EQ(level == GIB_PUD, maps_dax_file(p));
	/* Never executable: a security module would not see /dev/iobmd. */
	if (level == GIB_PUD) {
		EXPECT_EQ(-1, mprotect(p, PAGE_SIZE, PROT_READ | PROT_EXEC));
		EXPECT_EQ(EACCES, errno);
	}
	EXPECT_EQ(own, iobmd_check_pattern(p + off, own, 0, 91));

	/* mremap() to another GiB boundary, then to 2 MiB off one. */
	area = mmap(NULL, 4 * SZ_1G, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	q = (__u8 *)(((unsigned long)area + SZ_1G - 1) & ~(SZ_1G - 1UL));
	ASSERT_EQ(q, mremap(p, SZ_1G, SZ_1G, MREMAP_MAYMOVE | MREMAP_FIXED,
			    q));
	check_buffer_gib(_metadata, level, count && level == GIB_PUD, q,
			 "after mremap() to a GiB boundary");
	EXPECT_EQ(own, iobmd_check_pattern(q + off, own, 0, 91));
	p = q + SZ_1G + SZ_2M;
	ASSERT_EQ(p, mremap(q, SZ_1G, SZ_1G, MREMAP_MAYMOVE | MREMAP_FIXED,
			    p));
	EXPECT_EQ(own, iobmd_check_pattern(p + off, own, 0, 91));
	iobmd_fill_pattern(p + off, own, 0, 92);

	/* A page read-only, then one unmapped: the bytes stay right. */
	ASSERT_EQ(0, mprotect(p + off + PAGE_SIZE, PAGE_SIZE, PROT_READ));
	EXPECT_TRUE(write_segv(p + off + PAGE_SIZE));
	EXPECT_FALSE(write_segv(p + off + 2 * PAGE_SIZE));
	ASSERT_EQ(0, munmap(p + off + 2 * PAGE_SIZE, PAGE_SIZE));
	EXPECT_EQ(2 * PAGE_SIZE, iobmd_check_pattern(p + off, 2 * PAGE_SIZE,
						     0, 92));
	test_ioctl_read(b, off, buf, own);
	EXPECT_EQ(own, iobmd_check_pattern(buf, own, 0, 92));
	ASSERT_EQ(0, munmap(p, off + 2 * PAGE_SIZE));
	ASSERT_EQ(0, munmap(p + off + 3 * PAGE_SIZE, SZ_1G - off -
			    3 * PAGE_SIZE));
	munmap(area, 4 * SZ_1G);
	EXPECT_EQ(maps, iobmd_stat("mappings"));
	free(buf);

	/* Every reference went with its entry: the GiB is free again. */
	test_ioctl_release(b);
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		sync();
		EXPECT_EQ(2, write(fd, "3\n", 2));
		close(fd);
	}
	TH_LOG("MemFree %llu MiB before, %llu after",
	       (unsigned long long)(before >> 20),
	       (unsigned long long)(iobmd_free_ram() >> 20));
	EXPECT_LE(before, iobmd_free_ram() + SZ_1G / 4);
}

/*
 * A contiguous buffer's GiB put through what a process can do to its
 * mapping from outside the module: mapped through its dma-buf (whose fd
 * and handle go first), by PTEs with THP disabled for the process
 * (MADV_COLD and MADV_PAGEOUT then find a folio of PUD order they cannot
 * split), walked by pagemap and by clear_refs' soft-dirty reset before a
 * write, and a page of it held by a pipe past the buffer's release.  The
 * bytes stay right, no entry keeps a reference: the GiB is free again
 * once the pipe lets go.
 */
TEST_F(pfnhuge, buffer_gib_outside)
{
	__u64 before, cookie = 0, pm[4];
	const size_t off = SZ_4M;
	struct iovec iov;
	int dfd, fd, pfd[2];
	enum gib_level level;
	char page[PAGE_SIZE];
	bool count;
	__u8 *p;
	__u32 b;

	level = buffer_gib_expected(&count);
	before = iobmd_free_ram();
	if (buffer_gib_create(self->fd, &b))
		SKIP(return, "no contiguous, aligned GiB to be had: %s",
		     strerror(errno));

	/* Through the dma-buf, at a GiB boundary; fd and handle go first. */
	ASSERT_EQ(0, _test_export(self->fd, b, 0, SZ_1G, O_RDWR | O_CLOEXEC,
				  &dfd));
	p = map_skewed_from(dfd, SZ_1G, 0, SZ_1G, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(dfd);
	test_ioctl_release(b);
	/*
	 * A dma-buf's mapping keeps the dma-buf's file, so it takes no PUD:
	 * where a GiB is one folio of PUD order it is filled at mmap().
	 */
	EXPECT_FALSE(maps_dax_file(p));
	check_buffer_gib(_metadata, level == GIB_PUD ? GIB_MMAP : level,
			 count, p, "through the dma-buf");
	iobmd_fill_pattern(p + off, PAGE_SIZE, 0, 93);
	ASSERT_EQ(0, madvise(p + off, PAGE_SIZE, MADV_DONTNEED));
	EXPECT_EQ(PAGE_SIZE, iobmd_check_pattern(p + off, PAGE_SIZE, 0, 93));

	/* Walked: pagemap, then the soft-dirty reset and a write. */
	fd = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(sizeof(pm), pread(fd, pm, sizeof(pm),
				    ((unsigned long)p + off) / PAGE_SIZE * 8));
	close(fd);
	EXPECT_EQ(PAGE_SIZE, iobmd_check_pattern(p + off, PAGE_SIZE, 0, 93));
	EXPECT_EQ(0, iobmd_write_file("/proc/self/clear_refs", "4"));
	iobmd_fill_pattern(p + off, PAGE_SIZE, 0, 94);
	EXPECT_EQ(PAGE_SIZE, iobmd_check_pattern(p + off, PAGE_SIZE, 0, 94));

	/* A page in a pipe, past the mapping and the buffer. */
	ASSERT_EQ(0, pipe(pfd));
	iov.iov_base = p + off;
	iov.iov_len = PAGE_SIZE;
	ASSERT_EQ(PAGE_SIZE, vmsplice(pfd[1], &iov, 1, 0));
	ASSERT_EQ(0, munmap(p, SZ_1G));

	/* With THP disabled for the process: PTEs of the one folio. */
	if (buffer_gib_create(self->fd, &b) == 0) {
		ASSERT_EQ(0, _test_ioctl_map(self->fd, b, 0, 0, SZ_1G,
					     &cookie));
		ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
		p = iobmd_mmap(self->fd, cookie, SZ_1G,
			       PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p);
		TH_LOG("THP disabled: %ld faults", read_counted(p, SZ_1G));
		iobmd_fill_pattern(p + off, PAGE_SIZE, 0, 95);
		EXPECT_EQ(0, madvise(p, SZ_1G, MADV_COLD));
		EXPECT_EQ(0, madvise(p, SZ_1G, MADV_PAGEOUT));
		EXPECT_EQ(PAGE_SIZE,
			  iobmd_check_pattern(p + off, PAGE_SIZE, 0, 95));
		ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0));
		ASSERT_EQ(0, munmap(p, SZ_1G));
		test_ioctl_release(b);
	} else {
		TH_LOG("no second GiB: %s", strerror(errno));
	}

	ASSERT_EQ(PAGE_SIZE, read(pfd[0], page, sizeof(page)));
	EXPECT_EQ(PAGE_SIZE, iobmd_check_pattern((__u8 *)page, PAGE_SIZE, 0,
						 94));
	close(pfd[0]);
	close(pfd[1]);
	TH_LOG("MemFree %llu MiB before, %llu after",
	       (unsigned long long)(before >> 20),
	       (unsigned long long)(iobmd_free_ram() >> 20));
	EXPECT_LE(before, iobmd_free_ram() + SZ_1G / 4);
}

#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << 26)
#endif

/*
 * A 1 GiB hugetlb page in the pool (nr_hugepages 1, whose write succeeds
 * whether or not the page came): 0, or -1.
 */
static int gigantic_page_try(void)
{
	char now[32];

	if (iobmd_write_file(GIGANTIC_NR, "1") ||
	    iobmd_read_file(GIGANTIC_NR, now, sizeof(now)) || atoi(now) < 1)
		return -1;
	return 0;
}

/* gigantic_page_try(), once more after gib_make_room() on a miss. */
static int gigantic_page_take(void)
{
	if (!gigantic_page_try())
		return 0;
	gib_make_room();
	return gigantic_page_try();
}

/*
 * User memory in a 1 GiB hugetlb page, allocated for the test (and given
 * back), prepared: one fault maps the GiB where PUDs are expected.
 */
TEST_F(pfnhuge, user_gigantic_page)
{
	enum gib_level level = gib_expected();
	char *old = gigantic_old;
	__u8 *mem;
	__u32 h;

	if (iobmd_read_file(GIGANTIC_NR, old, sizeof(gigantic_old)))
		SKIP(return, "no 1 GiB hugetlb pages on this kernel (%s)",
		     GIGANTIC_NR);
	if (gigantic_page_take())
		SKIP(return, "no 1 GiB hugetlb page to be had at run time");
	mem = mmap(NULL, SZ_1G, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB,
		   -1, 0);
	if (mem == MAP_FAILED) {
		TH_LOG("mmap(MAP_HUGE_1GB): %s", strerror(errno));
		SKIP(return, "no 1 GiB hugetlb page to be had at run time");
	}
	/*
	 * Pinned, a private page would be copied for a child at fork(),
	 * which the tests' children do, and there is no second gigantic
	 * page: the children go without it.
	 */
	ASSERT_EQ(0, madvise(mem, SZ_1G, MADV_DONTFORK));
	/* The first and last 4 MiB carry a pattern; the rest is zeroes. */
	iobmd_fill_pattern(mem, SZ_4M, 0, 71);
	iobmd_fill_pattern(mem + SZ_1G - SZ_4M, SZ_4M, 0, 81);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, SZ_1G, &h);
	test_ioctl_prepare(h, 0);
	check_gib(_metadata, self->fd, h, mem + SZ_1G - SZ_4M, SZ_1G - SZ_4M,
		  SZ_4M, level, 81, "user memory in a 1 GiB page");
	check_gib_mremap(_metadata, self->fd, h, mem + SZ_1G - SZ_4M,
			 SZ_1G - SZ_4M, SZ_4M, level, 82);
	EXPECT_EQ(SZ_4M, iobmd_check_pattern(mem, SZ_4M, 0, 71));
	test_ioctl_complete(h, 0);
	test_ioctl_release(h);
	EXPECT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(mem, SZ_1G);
	EXPECT_EQ(0, iobmd_write_file(GIGANTIC_NR, old));
	old[0] = 0;
}

TEST_HARNESS_MAIN

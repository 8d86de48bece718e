// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd physically contiguous buffers larger than the page allocator's
 * largest block (4 MiB on these kernels, which have no CMA area): 16, 64
 * and 256 MiB below 4 GiB, made with alloc_contig_range(), mapped, filled
 * and read back; aligned as the mask asks; refused without CAP_IPC_LOCK
 * (their memory cannot be charged to a memory cgroup); requests that no
 * range can meet fail with ENOMEM, at once.  Contiguous buffers are
 * page-backed: the pages of a mapping can be pinned (process_vm_readv),
 * and a pin may outlive the buffer.  They are kept in compound pages
 * (/proc/kpageflags through /proc/self/pagemap): a block of the page
 * allocator's of exactly the size is one, and from 6.12 on a larger range
 * is made of naturally aligned ones of at least the allocator's largest
 * order, but for a rest smaller than that.  Where the module maps buffers
 * by PMD (6.15 on, so 7.2 and 7.3 in the matrix), every piece of a range
 * is of PMD order (2 MiB), the rest smaller than that, and a block of
 * 4 MiB may be two of them.
 *
 * Needs root (IOBMD_GET_SEGMENTS) and the 6 GiB guest (3 GiB of RAM below
 * 4 GiB).  Each test leaves the module's counters as found.
 */
#include <sys/uio.h>
#include <time.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"
#include "iobmd_hugemaps.h"

#define MASK_4G		0x00000000FFFFF000ULL	/* below 4 GiB, page aligned */
#define MASK_4G_64M	0x00000000FC000000ULL	/* below 4 GiB, 64 MiB aligned */
#define MASK_1G		0x000000003FFFF000ULL	/* below 1 GiB */
#define MASK_16M	0x0000000000FFF000ULL	/* below 16 MiB (ZONE_DMA) */

static struct iobmd_test_stats iobmd_contig_found;

FIXTURE(iobmd_contig)
{
	int fd;
};

FIXTURE_SETUP(iobmd_contig)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&iobmd_contig_found));
}

FIXTURE_TEARDOWN(iobmd_contig)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_contig_found));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A contiguous buffer of @size under @mask: one physical segment at or
 * below the mask's limit, on its alignment; mapped, every page written
 * through the mapping and read back with IOBMD_READ, and the other way.
 */
static void check_contiguous(struct __test_metadata *_metadata,
			     FIXTURE_DATA(iobmd_contig) *self, __u64 size,
			     __u64 mask)
{
	__u64 align = mask & -mask, limit = mask | (align - 1), cookie;
	struct iobmd_segment *segs;
	__u8 *p, *back;
	double t0, t1;
	__u32 h, nr;

	t0 = now_s();
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    size, 0, mask, NULL, 0, &h))
		TH_LOG("%llu MiB contiguous under 0x%llx: %s",
		       (unsigned long long)(size >> 20),
		       (unsigned long long)mask, strerror(errno));
	t1 = now_s();
	ASSERT_EQ(0, _test_get_all_segments_flags(self->fd, h, 0, 0, 0, &segs,
						  &nr));
	ASSERT_EQ(1, nr);
	ASSERT_EQ(size, segs[0].len);
	ASSERT_GE(limit, segs[0].addr + size - 1);
	ASSERT_EQ(0, segs[0].addr & (align - 1));
	TH_LOG("%llu MiB at 0x%llx in %.2f s", (unsigned long long)(size >> 20),
	       (unsigned long long)segs[0].addr, t1 - t0);
	free(segs);

	test_ioctl_map(h, 0, 0, size, &cookie);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 (off_t)cookie);
	ASSERT_NE(MAP_FAILED, p);
	/* Fresh memory is zeroed. */
	ASSERT_EQ(0, p[0]);
	ASSERT_EQ(0, p[size - 1]);
	iobmd_fill_pattern(p, size, 0, 91);
	back = malloc(size);
	ASSERT_NE(NULL, back);
	test_ioctl_read(h, 0, back, size);
	ASSERT_EQ(size, iobmd_check_pattern(back, size, 0, 91));
	iobmd_fill_pattern(back, size, 0, 92);
	test_ioctl_write(h, 0, back, size);
	ASSERT_EQ(size, iobmd_check_pattern(p, size, 0, 92));
	free(back);
	ASSERT_EQ(0, munmap(p, size));
	test_ioctl_release(h);
}

TEST_F_TIMEOUT(iobmd_contig, below_4g_16m_64m_256m, 600)
{
	check_contiguous(_metadata, self, 16ULL << 20, MASK_4G);
	check_contiguous(_metadata, self, 64ULL << 20, MASK_4G);
	check_contiguous(_metadata, self, 256ULL << 20, MASK_4G);
}

/* The alignment comes from the mask: 64 MiB here. */
TEST_F_TIMEOUT(iobmd_contig, aligned_64m, 300)
{
	check_contiguous(_metadata, self, 64ULL << 20, MASK_4G_64M);
}

/* Twice at once, and again after release: the ranges come back. */
TEST_F_TIMEOUT(iobmd_contig, two_then_again, 600)
{
	__u32 a, b;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    64ULL << 20, 0, MASK_4G, NULL, 0,
					    &a));
	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    64ULL << 20, 0, MASK_4G, NULL, 0,
					    &b));
	test_ioctl_release(a);
	test_ioctl_release(b);
	check_contiguous(_metadata, self, 64ULL << 20, MASK_4G);
}

/*
 * No range can be made: ENOMEM at once, nothing held, no OOM kill (the
 * process is still here to see it).  A 1 GiB range below 1 GiB, or
 * 16 MiB below 16 MiB, would need page frame 0.
 */
TEST_F(iobmd_contig, impossible_enomem)
{
	__u32 h = 0;

	EXPECT_ERRNO(ENOMEM, _test_ioctl_buf_create(self->fd,
			IOBMD_BUF_CREATE_PHYS_MASK,
			IOBMD_DIRECTION_INOUT | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			1ULL << 30, 0, MASK_1G, NULL, 0, &h));
	ASSERT_EQ(0, h);
	EXPECT_ERRNO(ENOMEM, _test_ioctl_buf_create(self->fd,
			IOBMD_BUF_CREATE_PHYS_MASK,
			IOBMD_DIRECTION_INOUT | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			16ULL << 20, 0, MASK_16M, NULL, 0, &h));
	ASSERT_EQ(0, h);
}

/*
 * Without CAP_IPC_LOCK: blocks the page allocator has (4 MiB) are made,
 * larger ranges are refused with EPERM.
 */
static int unprivileged_child(void *arg)
{
	int fd = *(int *)arg;
	__u32 h = 0;

	if (iobmd_drop_root())
		return 1;
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
				   IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				   4ULL << 20, 0, 0, NULL, 0, &h))
		return 2;
	if (_test_ioctl_release(fd, h))
		return 3;
	h = 0;
	if (!_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
				    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				    16ULL << 20, 0, 0, NULL, 0, &h) ||
	    errno != EPERM || h)
		return 4;
	return 0;
}

TEST_F(iobmd_contig, large_needs_cap_ipc_lock)
{
	ASSERT_EQ(0, iobmd_run_child(unprivileged_child, &self->fd));
}

/*
 * A contiguous buffer below 16 MiB takes, for a moment, the whole block
 * its alignment needs from ZONE_DMA: without CAP_SYS_RESOURCE that block
 * must fit the user's budget (user_zone_dma, 1 MiB by default), so a
 * 4 KiB buffer aligned to 4 MiB is EDQUOT, while one aligned to 64 KiB
 * fits.
 */
static int zone_dma_child(void *arg)
{
	int fd = *(int *)arg;
	__u32 h = 0;

	if (iobmd_drop_root())
		return 1;
	/*
	 * Where ZONE_DMA is no scarce zone beneath a ZONE_DMA32 (arm64 on
	 * QEMU's virt: no RAM below 16 MiB, ZONE_DMA all RAM below 4 GiB)
	 * no block is budgeted: below 16 MiB is ENOMEM, and a buffer aligned
	 * to 4 MiB below 4 GiB, whose block is four budgets, is made.
	 */
	if (!iobmd_zone_dma32_present()) {
		if (!_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					    IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
					    0x0000000000C00000ULL, NULL, 0,
					    &h) || errno != ENOMEM || h)
			return 5;
		if (_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
					   IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
					   0x00000000FFC00000ULL, NULL, 0, &h))
			return 6;
		return _test_ioctl_release(fd, h) ? 4 : 0;
	}
	if (!_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				    IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				    0x0000000000C00000ULL, NULL, 0, &h) ||
	    errno != EDQUOT || h)
		return 2;
	if (_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				   IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				   0x0000000000FF0000ULL, NULL, 0, &h))
		return 3;
	return _test_ioctl_release(fd, h) ? 4 : 0;
}

TEST_F(iobmd_contig, zone_dma_budget_counts_the_block)
{
	ASSERT_EQ(0, iobmd_run_child(zone_dma_child, &self->fd));
}

/* Page-backed: another process's view of the mapping pins its pages. */
TEST_F(iobmd_contig, mapping_is_page_backed)
{
	__u64 size = 16ULL << 20;
	__u8 *p, dst[4096];
	struct iovec local = { dst, sizeof(dst) }, remote;
	__u64 cookie;
	__u32 h;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    size, 0, 0, NULL, 0, &h));
	test_ioctl_map(h, 0, 0, size, &cookie);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 (off_t)cookie);
	ASSERT_NE(MAP_FAILED, p);
	iobmd_fill_pattern(p + size - sizeof(dst), sizeof(dst), 0, 93);
	remote.iov_base = p + size - sizeof(dst);
	remote.iov_len = sizeof(dst);
	ASSERT_EQ((ssize_t)sizeof(dst),
		  process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	ASSERT_EQ(sizeof(dst), iobmd_check_pattern(dst, sizeof(dst), 0, 93));
	ASSERT_EQ(0, munmap(p, size));
	test_ioctl_release(h);
}

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16

/*
 * The compound-page flags of the @n pages mapped at @p, which are
 * physically contiguous: 'H' for a head, 't' for a tail, '.' for neither,
 * from the page frame of the first (/proc/self/pagemap) on.
 */
static void read_compound(struct __test_metadata *_metadata, const __u8 *p,
			  size_t n, char *out)
{
	__u64 ent, pfn, *flags;
	size_t i;
	int fd;

	/* Mapped at the first touch where buffers are mapped by PMD. */
	(void)*(volatile const __u8 *)p;
	fd = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(ent),
		  pread(fd, &ent, sizeof(ent),
			(uintptr_t)p / PAGE_SIZE * sizeof(ent)));
	close(fd);
	ASSERT_TRUE(ent >> 63);			/* present */
	pfn = ent & ((1ULL << 55) - 1);
	ASSERT_NE(0, pfn);			/* root sees frame numbers */

	flags = calloc(n, sizeof(*flags));
	ASSERT_NE(NULL, flags);
	fd = open("/proc/kpageflags", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)(n * sizeof(*flags)),
		  pread(fd, flags, n * sizeof(*flags), pfn * sizeof(*flags)));
	close(fd);
	for (i = 0; i < n; i++)
		out[i] = flags[i] >> KPF_COMPOUND_HEAD & 1 ? 'H' :
			 flags[i] >> KPF_COMPOUND_TAIL & 1 ? 't' : '.';
	free(flags);
}

/* A contiguous buffer of @size under @mask, in *@h, mapped whole. */
static __u8 *create_mapped(int fd, __u64 size, __u64 mask, __u32 *h)
{
	__u64 cookie;

	if (_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				   IOBMD_DIRECTION_INOUT |
				   IOBMD_OPT_PHYSICALLY_CONTIGUOUS, size, 0,
				   mask, NULL, 0, h) ||
	    _test_ioctl_map(fd, *h, 0, 0, size, &cookie))
		return MAP_FAILED;
	return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)cookie);
}

/*
 * Whether buffers are mapped by PMD on this kernel (the hugemap test's
 * rule, not the module's word): a contiguous 2 MiB buffer, touched once,
 * must then be mapped by one PMD (smaps' FilePmdMapped), else by none.
 */
static bool maps_by_pmd(struct __test_metadata *_metadata, int fd)
{
	const size_t len = 2UL << 20;
	bool pmd = buffers_map_by_pmd();
	__u32 h;
	__u8 *p;
	long kb;

	p = create_mapped(fd, len, MASK_4G, &h);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	kb = smaps_kb(p, "FilePmdMapped");
	EXPECT_EQ(pmd ? (long)(len >> 10) : 0, kb > 0 ? kb : 0)
		TH_LOG("a PMD %sexpected", pmd ? "" : "not ");
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, _test_ioctl_release(fd, h));
	return pmd;
}

/*
 * A contiguous buffer of @size under @mask, mapped: its first
 * @compound_bytes are compound pages (at most @max_heads of them; each of
 * exactly @piece bytes unless that is 0), the rest order-0 pages; it
 * reads as zeroes.
 */
static void check_compound(struct __test_metadata *_metadata,
			   FIXTURE_DATA(iobmd_contig) *self, __u64 size,
			   __u64 mask, __u64 compound_bytes,
			   unsigned int max_heads, __u64 piece)
{
	size_t n = size / PAGE_SIZE, ncomp = compound_bytes / PAGE_SIZE, i;
	size_t npiece = piece / PAGE_SIZE;
	unsigned int heads = 0;
	__u32 h = 0;
	char *kind;
	__u8 *p;

	p = create_mapped(self->fd, size, mask, &h);
	ASSERT_NE(MAP_FAILED, p)
		TH_LOG("%llu MiB: %s", (unsigned long long)(size >> 20),
		       strerror(errno));
	kind = malloc(n);
	ASSERT_NE(NULL, kind);
	read_compound(_metadata, p, n, kind);
	for (i = 0; i < n; i++) {
		if (i < ncomp) {
			ASSERT_NE('.', kind[i])
				TH_LOG("%llu MiB: page %zu is no compound page's",
				       (unsigned long long)(size >> 20), i);
			if (npiece)
				ASSERT_EQ(i % npiece ? 't' : 'H', kind[i])
					TH_LOG("%llu MiB: page %zu: pieces of %llu KiB expected",
					       (unsigned long long)(size >> 20),
					       i, (unsigned long long)(piece >> 10));
		} else {
			ASSERT_EQ('.', kind[i])
				TH_LOG("%llu MiB: page %zu of the rest is compound",
				       (unsigned long long)(size >> 20), i);
		}
		heads += kind[i] == 'H';
	}
	if (ncomp)
		ASSERT_EQ('H', kind[0]);
	ASSERT_GE(max_heads, heads);
	TH_LOG("%llu MiB: %u compound pages", (unsigned long long)(size >> 20),
	       heads);
	free(kind);
	/*
	 * Zeroed, every byte (the kernel zeroes ranges from 6.12 on), though
	 * the buffer before left its pattern in what is likely this memory.
	 */
	ASSERT_EQ(size, iobmd_check_bytes(p, size, 0));
	iobmd_fill_pattern(p, size, 0, 94);
	ASSERT_EQ(0, munmap(p, size));
	test_ioctl_release(h);
}

/*
 * A block of the page allocator's of exactly the size: one compound page;
 * 4 MiB where buffers are mapped by PMD two of 2 MiB when the allocator
 * offers two that are buddies, else one.
 */
TEST_F(iobmd_contig, block_is_one_compound_page)
{
	bool pmd = maps_by_pmd(_metadata, self->fd);

	check_compound(_metadata, self, 2ULL << 20, MASK_4G, 2ULL << 20, 1,
		       2ULL << 20);
	check_compound(_metadata, self, 4ULL << 20, MASK_4G, 4ULL << 20,
		       pmd ? 2 : 1, pmd ? 0 : 4ULL << 20);
	/* Another size is split into pages; so is one page. */
	check_compound(_metadata, self, 3ULL << 20, MASK_4G, 0, 0, 0);
	check_compound(_metadata, self, PAGE_SIZE, MASK_4G, 0, 0, 0);
}

/*
 * Larger ranges, from 6.12 on: compound pieces, powers of two at least
 * 4 MiB (the allocator's largest block, with 4 KiB pages) on their own
 * alignment, at most one per bit of the size and its start's alignment;
 * 10 MiB leaves 2 MiB of pages.  Where buffers are mapped by PMD, pieces
 * of exactly 2 MiB, all through.  Before 6.12, pages.
 */
TEST_F_TIMEOUT(iobmd_contig, range_is_compound_pieces, 300)
{
	bool comp = iobmd_kernel_at_least(6, 12) && PAGE_SIZE == 4096;
	bool pmd = comp && maps_by_pmd(_metadata, self->fd);

	if (pmd) {
		check_compound(_metadata, self, 64ULL << 20, MASK_4G,
			       64ULL << 20, 32, 2ULL << 20);
		check_compound(_metadata, self, 10ULL << 20, MASK_4G,
			       10ULL << 20, 5, 2ULL << 20);
		return;
	}
	check_compound(_metadata, self, 64ULL << 20, MASK_4G,
		       comp ? 64ULL << 20 : 0, comp ? 8 : 0, 0);
	check_compound(_metadata, self, 10ULL << 20, MASK_4G,
		       comp ? 8ULL << 20 : 0, comp ? 2 : 0, 0);
}

/*
 * A pin through the mapping outlives the buffer: the memory stays, its
 * contents with it, until the pin goes; then it is freed (the counters
 * the teardown checks, and no kernel report).
 */
TEST_F_TIMEOUT(iobmd_contig, pin_outlives_buffer, 300)
{
	__u64 size = 64ULL << 20;
	__u32 h = 0, g;
	__u8 *p, *back;

	p = create_mapped(self->fd, size, MASK_4G, &h);
	ASSERT_NE(MAP_FAILED, p);
	iobmd_fill_pattern(p, size, 0, 95);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, p, size, &g);
	test_ioctl_prepare(g, 0);
	ASSERT_EQ(0, munmap(p, size));
	test_ioctl_release(h);
	back = malloc(size);
	ASSERT_NE(NULL, back);
	test_ioctl_read(g, 0, back, size);
	ASSERT_EQ(size, iobmd_check_pattern(back, size, 0, 95));
	free(back);
	test_ioctl_complete(g, 0);
	test_ioctl_release(g);
}

TEST_HARNESS_MAIN

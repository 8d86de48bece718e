// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd mappings of every kind and what get_user_pages makes of them.
 * Mappings made only of the module's own pages (buffers, contiguous or
 * not, and sub, multi and interleaved descriptors of them) are
 * page-backed: process_vm_readv() and vmsplice() work on them.  PFN
 * mappings (user and physical memory, mixtures with them, non-default
 * cache modes) make both fail with EFAULT.  The test VM has no block
 * device, so O_DIRECT is not tried; vmsplice() takes page references the
 * same way.
 */
#include <sys/uio.h>

#include "iobmd_utils.h"

FIXTURE(iobmd_hmap)
{
	int fd;
};

FIXTURE_SETUP(iobmd_hmap)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_hmap)
{
	if (self->fd != -1)
		close(self->fd);
}

#define GUP_LEN 256

/*
 * Reads @len bytes at @p with process_vm_readv() and with vmsplice(),
 * comparing both with @p itself.  Returns 0 when both worked, the errno
 * when both failed with the same one, -1 when they disagree.
 */
static int gup_probe(const __u8 *p, size_t len)
{
	__u8 a[GUP_LEN], b[GUP_LEN];
	struct iovec local = { a, len }, remote = { (void *)p, len };
	int e1 = 0, e2 = 0, pfd[2];
	ssize_t n;

	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0)
		e1 = errno;
	else if (n != (ssize_t)len || memcmp(a, p, len))
		return -1;
	if (pipe(pfd))
		return -1;
	n = vmsplice(pfd[1], &remote, 1, 0);
	if (n < 0) {
		e2 = errno;
	} else if (n != (ssize_t)len || read(pfd[0], b, len) != (ssize_t)len ||
		   memcmp(b, p, len)) {
		e2 = -1;
	}
	close(pfd[0]);
	close(pfd[1]);
	return e1 == e2 ? e1 : -1;
}

/* Maps all of @h read-write and probes a few places of it. */
static void check_gup(struct __test_metadata *_metadata, int fd, __u32 h,
		      int expect, const char *what)
{
	struct iobmd_map m;
	__u8 *p;
	__u64 at;

	ASSERT_EQ(0, _test_ioctl_map_full(fd, h, 0, 0, 0, &m)) TH_LOG("%s",
								   what);
	p = iobmd_mmap(fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("%s: errno %d", what, errno);
	for (at = 0; at + GUP_LEN <= m.extent; at += m.extent / 3 + 1) {
		ASSERT_EQ(expect, gup_probe(p + at, GUP_LEN))
			TH_LOG("%s at %llu", what, at);
	}
	/* Across the last page boundary, too. */
	if (m.extent > PAGE_SIZE) {
		ASSERT_EQ(expect, gup_probe(p + PAGE_SIZE - GUP_LEN / 2,
					    GUP_LEN))
			TH_LOG("%s across a page", what);
	}
	/* Either way the mapping itself reads and writes. */
	p[m.extent - 1] = 0x3e;
	ASSERT_EQ(0x3e, p[m.extent - 1]);
	ASSERT_EQ(0, munmap(p, m.extent));
}

/*
 * The module's own pages, however composed: page-backed.  Contiguous
 * buffers too (their pages come from the page allocator), and buffers in
 * any cache mode.
 */
TEST_F(iobmd_hmap, page_backed)
{
	__u32 b0, b1, c, cm, s, m, il, pair[2], wc;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 8 * PAGE_SIZE, 0, &b0);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE + 100, 1,
			      &b1);
	test_fill_desc(b0, 8 * PAGE_SIZE, 1);
	check_gup(_metadata, self->fd, b0, 0, "buffer");
	check_gup(_metadata, self->fd, b1, 0, "buffer with a tail");

	test_ioctl_sub_create(b0, IOBMD_DIRECTION_INOUT, PAGE_SIZE + 17,
			      5 * PAGE_SIZE, &s);
	check_gup(_metadata, self->fd, s, 0, "sub");
	pair[0] = b0;
	pair[1] = b0;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	check_gup(_metadata, self->fd, m, 0, "multi of one buffer twice");
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il);
	test_ioctl_interleaved_set(il, b1, 2 * PAGE_SIZE, PAGE_SIZE);
	test_ioctl_interleaved_set(il, m, 3 * PAGE_SIZE, 2 * PAGE_SIZE);
	check_gup(_metadata, self->fd, il, 0, "interleaved");
	test_ioctl_release(il);
	test_ioctl_release(m);
	test_ioctl_release(s);

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 4 * PAGE_SIZE,
			      0, &c);
	test_fill_desc(c, 4 * PAGE_SIZE, 2);
	check_gup(_metadata, self->fd, c, 0, "contiguous buffer");
	/* A 64 KiB-aligned mask implies contiguous. */
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, 16 * PAGE_SIZE,
				   0x00000000FFFF0000ULL, &cm);
	check_gup(_metadata, self->fd, cm, 0, "masked contiguous buffer");
	test_ioctl_sub_create(c, IOBMD_DIRECTION_INOUT, 1, 2 * PAGE_SIZE, &s);
	check_gup(_metadata, self->fd, s, 0, "sub of a contiguous buffer");
	pair[0] = b0;
	pair[1] = c;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	check_gup(_metadata, self->fd, m, 0, "multi with a contiguous piece");
	/* Buffers in a cache mode of their own, in that mode. */
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | IOBMD_CACHE_WRITE_COMBINE,
			      4 * PAGE_SIZE, 0, &wc);
	check_gup(_metadata, self->fd, wc, 0, "write-combined buffer");
	test_ioctl_release(wc);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | IOBMD_CACHE_INHIBIT,
			      4 * PAGE_SIZE, 0, &wc);
	check_gup(_metadata, self->fd, wc, 0, "uncached buffer");
	test_ioctl_release(wc);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
			      IOBMD_CACHE_WRITE_COMBINE, 4 * PAGE_SIZE, 0, &wc);
	check_gup(_metadata, self->fd, wc, 0, "write-combined contiguous buffer");
	test_ioctl_release(wc);

	test_ioctl_release(m);
	test_ioctl_release(s);
	test_ioctl_release(cm);
	test_ioctl_release(c);
	test_ioctl_release(b1);
	test_ioctl_release(b0);
}

/* Everything else: PFN mappings, EFAULT. */
TEST_F(iobmd_hmap, pfn_mapped)
{
	__u8 *a = iobmd_user_area(4, 2);
	__u32 b, g, pg, m, pair[2];
	struct iobmd_segment *segs;
	struct iobmd_range r;
	__u32 n;

	IOBMD_NEED_PHYS_RAM();

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);

	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, 4 * PAGE_SIZE, &g);
	test_ioctl_prepare(g, 0);
	check_gup(_metadata, self->fd, g, EFAULT, "user memory");

	test_get_all_segments(b, 0, PAGE_SIZE, &segs, &n);
	r = (struct iobmd_range){ segs[0].addr, PAGE_SIZE };
	free(segs);
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &r, 1, &pg);
	check_gup(_metadata, self->fd, pg, EFAULT, "physical memory");

	/* Mixtures: a page-backed piece does not make the whole so. */
	pair[0] = b;
	pair[1] = g;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_ioctl_prepare(m, 0);
	check_gup(_metadata, self->fd, m, EFAULT, "multi with user memory");
	test_ioctl_release(m);

	test_ioctl_release(pg);
	test_ioctl_release(g);
	test_ioctl_release(b);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, 4 * PAGE_SIZE);
}

/*
 * The cookie, extent and addr_offset of every kind, whole and ranges,
 * read-only and read-write, and the rules common to all.
 */
TEST_F(iobmd_hmap, every_kind)
{
	__u8 *a = iobmd_user_area(3, 3);
	__u32 h[6], pair[2], k;
	const char *names[6] = { "buffer", "sub", "multi", "interleaved",
				 "general", "physical" };
	__u64 offs[6] = { 0, 0x77, 0, 0x300, 0x10, 0x9 };
	struct iobmd_segment *segs;
	struct iobmd_range r;
	__u32 n;

	IOBMD_NEED_PHYS_RAM();

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 6 * PAGE_SIZE, 0, &h[0]);
	test_fill_desc(h[0], 6 * PAGE_SIZE, 4);
	test_ioctl_sub_create(h[0], IOBMD_DIRECTION_INOUT, PAGE_SIZE + 0x77,
			      3 * PAGE_SIZE, &h[1]);
	pair[0] = h[0];
	pair[1] = h[0];
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &h[2]);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &h[3]);
	test_ioctl_interleaved_set(h[3], h[0], 0x300, PAGE_SIZE - 0x300);
	test_ioctl_interleaved_set(h[3], h[0], 4 * PAGE_SIZE, PAGE_SIZE);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 0x10,
				 2 * PAGE_SIZE, &h[4]);
	test_ioctl_prepare(h[4], 0);
	test_get_all_segments(h[0], 2 * PAGE_SIZE, 1, &segs, &n);
	r = (struct iobmd_range){ segs[0].addr + 9, 50 };
	free(segs);
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &r, 1, &h[5]);

	for (k = 0; k != 6; k++) {
		struct iobmd_info info;
		struct iobmd_map m;
		__u8 *model, *p;
		__u64 pg;

		test_ioctl_get_info(h[k], &info);
		model = malloc(info.length);
		ASSERT_NE(NULL, model);
		test_ioctl_read(h[k], 0, model, info.length);
		test_ioctl_map_full(h[k], 0, 0, 0, &m);
		ASSERT_EQ(offs[k], m.addr_offset) TH_LOG("%s", names[k]);
		ASSERT_EQ(ALIGN_UP(offs[k] + info.length, PAGE_SIZE),
			  m.extent) TH_LOG("%s", names[k]);
		/* Whole, read-write. */
		p = iobmd_mmap(self->fd, m.cookie, m.extent,
			       PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("%s: errno %d", names[k], errno);
		ASSERT_EQ(0, memcmp(p + m.addr_offset, model, info.length))
			TH_LOG("%s", names[k]);
		p[m.addr_offset + info.length - 1] ^= 0xff;
		{
			__u8 v;

			test_ioctl_read(h[k], info.length - 1, &v, 1);
			ASSERT_EQ((__u8)~model[info.length - 1], v)
				TH_LOG("%s", names[k]);
		}
		ASSERT_EQ(0, munmap(p, m.extent));
		/* (a multi may show a byte twice: read it all again) */
		test_ioctl_read(h[k], 0, model, info.length);
		/* Each page alone, read-only, through its own cookie. */
		for (pg = 0; pg != m.extent; pg += PAGE_SIZE) {
			__u64 lo = pg > offs[k] ? pg - offs[k] : 0;
			__u64 hi = pg + PAGE_SIZE - offs[k];
			struct iobmd_map r1;

			if (hi > info.length)
				hi = info.length;
			test_ioctl_map_full(h[k], IOBMD_MAP_READONLY, pg,
					    PAGE_SIZE, &r1);
			ASSERT_EQ(m.extent, r1.extent);
			p = iobmd_mmap(self->fd, r1.cookie, PAGE_SIZE,
				       PROT_READ);
			ASSERT_NE(MAP_FAILED, p) TH_LOG("%s page %llu",
							names[k], pg);
			ASSERT_EQ(0, memcmp(p + (lo + offs[k] - pg),
					    model + lo, hi - lo))
				TH_LOG("%s page %llu", names[k], pg);
			EXPECT_ERRNO(EACCES, mprotect(p, PAGE_SIZE,
						      PROT_READ | PROT_WRITE));
			ASSERT_EQ(0, munmap(p, PAGE_SIZE));
			/* A read-only cookie refuses PROT_WRITE. */
			EXPECT_EQ(MAP_FAILED,
				  iobmd_mmap(self->fd, r1.cookie, PAGE_SIZE,
					     PROT_READ | PROT_WRITE));
			EXPECT_EQ(EACCES, errno);
		}
		/* The rules: alignment, range, MAP_PRIVATE, size. */
		test_err_map(EINVAL, h[k], 0, 1, 0);
		test_err_map(EINVAL, h[k], 0x2, 0, 0);
		test_err_map(EINVAL, h[k], 0x800, 0, 0);
		test_err_map(ERANGE, h[k], 0, m.extent, 0);
		test_err_map(ERANGE, h[k], 0, 0, m.extent + 1);
		test_err_map(ERANGE, h[k], 0, PAGE_SIZE, UINT64_MAX);
		EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SIZE, PROT_READ,
					   MAP_PRIVATE, self->fd,
					   (off_t)m.cookie));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(MAP_FAILED, iobmd_mmap(self->fd, m.cookie,
						 m.extent + PAGE_SIZE,
						 PROT_READ));
		EXPECT_EQ(EINVAL, errno);
		free(model);
	}
	for (k = 6; k != 0; k--)
		test_ioctl_release(h[k - 1]);
	ASSERT_EQ(0, iobmd_stat("mappings"));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, 3 * PAGE_SIZE);
}

/*
 * Page-backed composed mappings put pages back after MADV_DONTNEED, from
 * the right piece.
 */
TEST_F(iobmd_hmap, composed_refault)
{
	__u8 *model = malloc(3 * PAGE_SIZE), *p;
	__u32 b0, b1, m, pair[2];
	struct iobmd_map mp;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b0);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b1);
	pair[0] = b0;
	pair[1] = b1;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	iobmd_fill_pattern(model, 3 * PAGE_SIZE, 0, 5);
	test_ioctl_write(m, 0, model, 3 * PAGE_SIZE);
	test_ioctl_map_full(m, 0, 0, 0, &mp);
	p = iobmd_mmap(self->fd, mp.cookie, mp.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise(p, mp.extent, MADV_DONTNEED));
	ASSERT_EQ(0, memcmp(p, model, 3 * PAGE_SIZE));
	p[2 * PAGE_SIZE] = 0x42;
	ASSERT_EQ(0, madvise(p + PAGE_SIZE, 2 * PAGE_SIZE, MADV_DONTNEED));
	ASSERT_EQ(0x42, p[2 * PAGE_SIZE]);
	{
		__u8 v;

		test_ioctl_read(b1, PAGE_SIZE, &v, 1);
		ASSERT_EQ(0x42, v);
	}
	ASSERT_EQ(0, munmap(p, mp.extent));
	test_ioctl_release(m);
	test_ioctl_release(b0);
	test_ioctl_release(b1);
	free(model);
}

/*
 * Large mappings get cookies too: device memory (never touched) of 2^39
 * bytes.  The cookie covers the whole mapping and stays below 2^44, where
 * 32-bit callers' mmap2() reaches.  (A multi of 128 pieces of 4 GiB made
 * it before composed lengths were capped at max_capacity.)
 */
TEST_F(iobmd_hmap, cookie_large)
{
	__u64 cookie, whole;
	__u32 m;

	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, 1ULL << 39, &m);
	test_ioctl_map(m, 0, 0, 0, &whole);
	ASSERT_GE(1ULL << 44, whole + (1ULL << 39));
	test_ioctl_map(m, 0, 1ULL << 38, PAGE_SIZE, &cookie);
	ASSERT_EQ(whole + (1ULL << 38), cookie);
	test_ioctl_map(m, 0, (1ULL << 39) - PAGE_SIZE, PAGE_SIZE, &cookie);
	ASSERT_EQ(whole + (1ULL << 39) - PAGE_SIZE, cookie);
	test_err_map(ERANGE, m, 0, 1ULL << 39, 0);
	test_ioctl_release(m);
}

TEST_HARNESS_MAIN

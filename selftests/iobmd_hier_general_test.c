// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd general descriptors (IOGeneralMemoryDescriptor): withAddressRanges
 * over the caller's memory and withPhysicalAddress over RAM.  Creation and
 * every error, byte-granular data across range and page boundaries, the
 * pinning rules (READ/WRITE pin for the call, prepare pins until complete,
 * physical segments and mappings need a prepare), read-only prepares, and
 * which process may pin.  Needs root (segments, /proc/self/pagemap, the
 * module's debugfs counters).
 */
#include <sys/sysinfo.h>
#include <sys/uio.h>

#include "iobmd_pagemap.h"
#include "iobmd_utils.h"

FIXTURE(iobmd_general)
{
	int fd;
};

FIXTURE_SETUP(iobmd_general)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_general)
{
	if (self->fd != -1)
		close(self->fd);
}

TEST_F(iobmd_general, create_info)
{
	__u8 *area = iobmd_user_area(4, 1);
	struct iobmd_info info;
	__u32 h;

	ASSERT_NE(NULL, area);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area + 0x123,
				 2 * PAGE_SIZE + 0x456, &h);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(IOBMD_KIND_GENERAL, info.kind);
	ASSERT_EQ(2 * PAGE_SIZE + 0x456, info.length);
	ASSERT_EQ(info.length, info.capacity);
	ASSERT_EQ(1, info.alignment);
	ASSERT_EQ(0, info.phys_mask);
	ASSERT_EQ(0, info.options);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	ASSERT_EQ(0, info.tag);
	test_ioctl_release(h);

	/* Every direction, and the sum of several ranges. */
	{
		struct iobmd_range r[3] = {
			{ (uintptr_t)area, 1 },
			{ (uintptr_t)area + 3 * PAGE_SIZE, PAGE_SIZE },
			{ (uintptr_t)area + 5, 17 },
		};
		__u32 dir;

		for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++) {
			test_ioctl_general_create(dir, r, 3, &h);
			test_ioctl_get_info(h, &info);
			ASSERT_EQ(dir, info.direction);
			ASSERT_EQ(1 + PAGE_SIZE + 17, info.length);
			test_ioctl_release(h);
		}
	}
	/* Nothing is pinned by creating. */
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(area, 4 * PAGE_SIZE);
}

TEST_F(iobmd_general, create_errors)
{
	struct iobmd_range *many = calloc(IOBMD_GENERAL_MAX_RANGES + 1,
					  sizeof(*many));
	__u8 *area = iobmd_user_area(2, 2);
	struct iobmd_range r, two[2];
	long long before = iobmd_stat("descriptors");
	__u8 *page;
	size_t i;

	ASSERT_NE(NULL, many);
	ASSERT_NE(NULL, area);
	for (i = 0; i <= IOBMD_GENERAL_MAX_RANGES; i++)
		many[i] = (struct iobmd_range){ (uintptr_t)area, 1 };
	r = (struct iobmd_range){ (uintptr_t)area, PAGE_SIZE };
	two[0] = r;
	two[1] = r;

	/* count */
	test_err_general_create(EINVAL, 0, 0, &r, 0);
	test_err_general_create(E2BIG, 0, 0, many,
				IOBMD_GENERAL_MAX_RANGES + 1);
	test_err_general_create(E2BIG, 0, 0, many, UINT32_MAX);
	/* flags and options */
	for (i = 1; i != 32; i++)
		test_err_general_create(EINVAL, 1U << i, 0, &r, 1);
	test_err_general_create(EINVAL, 0, 0x4, &r, 1);
	test_err_general_create(EINVAL, 0, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				&r, 1);
	test_err_general_create(EINVAL, 0, 0x80000000, &r, 1);
	/* an empty range, first or later */
	r.length = 0;
	test_err_general_create(EINVAL, 0, 0, &r, 1);
	two[1].length = 0;
	test_err_general_create(EINVAL, 0, 0, two, 2);
	/* a wrapping range */
	r = (struct iobmd_range){ 0xFFFFFFFFFFFFF000ULL, 0x2000 };
	test_err_general_create(EINVAL, 0, 0, &r, 1);
	r = (struct iobmd_range){ 1, UINT64_MAX };
	test_err_general_create(EINVAL, 0, 0, &r, 1);
	/* the ranges array unreadable, or only partly readable */
	test_err_general_create(EFAULT, 0, 0, NULL, 1);
	test_err_general_create(EFAULT, 0, 0, (void *)8, 1);
	page = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page + PAGE_SIZE, PAGE_SIZE));
	memcpy(page + PAGE_SIZE - sizeof(r), &two[0], sizeof(r));
	test_err_general_create(EFAULT, 0, 0,
				(void *)(page + PAGE_SIZE - sizeof(r)), 2);
	/* ... whereas the one readable entry alone works */
	{
		__u32 h;

		test_ioctl_general_create(0, (void *)(page + PAGE_SIZE -
						      sizeof(r)), 1, &h);
		test_ioctl_release(h);
	}
	/* ranges outside the user address space */
	r = (struct iobmd_range){ 0xffff800000000000ULL, PAGE_SIZE };
	test_err_general_create(EFAULT, 0, 0, &r, 1);
	r = (struct iobmd_range){ 0xffffffff81000000ULL, 1 };
	test_err_general_create(EFAULT, 0, 0, &r, 1);
	r = (struct iobmd_range){ PAGE_SIZE, 0xffff000000000000ULL };
	test_err_general_create(EFAULT, 0, 0, &r, 1);
	two[1] = r;
	test_err_general_create(EFAULT, 0, 0, two, 2);

	/* Nothing was left behind by any of them. */
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(page, PAGE_SIZE);
	munmap(area, 2 * PAGE_SIZE);
	free(many);
}

/* Memory that is not there is found when it is pinned, not at creation. */
TEST_F(iobmd_general, unpinnable_memory)
{
	__u8 *area = iobmd_user_area(4, 3);
	struct iobmd_range r[2];
	__u8 buf[64];
	__u32 h;

	ASSERT_NE(NULL, area);
	/* Page 3 unmapped, page 2 read-only. */
	ASSERT_EQ(0, munmap(area + 3 * PAGE_SIZE, PAGE_SIZE));
	ASSERT_EQ(0, mprotect(area + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ));

	/* Entirely unmapped. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area + 3 * PAGE_SIZE,
				 100, &h);
	test_err_read(EFAULT, h, 0, buf, 1);
	test_err_write(EFAULT, h, 0, buf, 1);
	test_err_prepare(EFAULT, h, 0);
	test_err_map(ENODATA, h, 0, 0, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);

	/* The first range pins, the second does not: nothing stays. */
	r[0] = (struct iobmd_range){ (uintptr_t)area, 2 * PAGE_SIZE };
	r[1] = (struct iobmd_range){ (uintptr_t)area + 3 * PAGE_SIZE + 8, 8 };
	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, r, 2, &h);
	test_err_read(EFAULT, h, 0, buf, 1);
	test_err_prepare(EFAULT, h, IOBMD_DIRECTION_OUT);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);

	/* Straddling into the hole. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT,
				 area + 3 * PAGE_SIZE - 10, 20, &h);
	test_err_read(EFAULT, h, 0, buf, 20);
	test_err_prepare(EFAULT, h, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);

	/* Read-only memory reads and prepares for Out, but takes no writes. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area + 2 * PAGE_SIZE,
				 PAGE_SIZE, &h);
	test_ioctl_read(h, 0, buf, sizeof(buf));
	ASSERT_EQ(sizeof(buf), iobmd_check_pattern(buf, sizeof(buf),
						   2 * PAGE_SIZE, 3));
	test_err_write(EFAULT, h, 0, buf, 1);
	test_err_prepare(EFAULT, h, IOBMD_DIRECTION_IN);
	test_err_prepare(EFAULT, h, IOBMD_DIRECTION_INOUT);
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	ASSERT_EQ(PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_complete(h, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);
	munmap(area, 3 * PAGE_SIZE);
}

/* One range at an odd offset: READ, WRITE and the memory agree. */
TEST_F(iobmd_general, data_one_range)
{
	const __u64 off = 0x123, len = 2 * PAGE_SIZE + 0x456;
	__u8 *area = iobmd_user_area(4, 4);
	__u64 edges[] = { 0, PAGE_SIZE - off, 2 * PAGE_SIZE - off,
			  len - 1 };
	__u8 *model = malloc(len);
	__u32 h;

	ASSERT_NE(NULL, area);
	ASSERT_NE(NULL, model);
	memcpy(model, area + off, len);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area + off, len, &h);
	test_check_desc(h, model, len);
	test_rw_bounds(h, len);

	/* Stores to the memory show in READ at once. */
	area[off] ^= 0xff;
	area[off + len - 1] ^= 0xff;
	model[0] ^= 0xff;
	model[len - 1] ^= 0xff;
	test_check_desc(h, model, len);

	iobmd_rw_model(_metadata, self->fd, h, model, len, edges,
		       ARRAY_SIZE(edges), 200, 41);
	ASSERT_EQ(0, memcmp(area + off, model, len));
	/* The bytes around the range are untouched. */
	ASSERT_EQ(off, iobmd_check_pattern(area, off, 0, 4));
	ASSERT_EQ(4 * PAGE_SIZE - off - len,
		  iobmd_check_pattern(area + off + len,
				      4 * PAGE_SIZE - off - len, off + len,
				      4));
	/* Nothing stays pinned after the calls. */
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);
	free(model);
	munmap(area, 4 * PAGE_SIZE);
}

/*
 * Several ranges from two areas, in order, byte granular.  No two share a
 * page: prepared, each page is mapped for DMA once (the DMA API does not
 * allow overlapping mappings).
 */
TEST_F(iobmd_general, data_many_ranges)
{
	__u8 *a = iobmd_user_area(8, 5), *b = iobmd_user_area(3, 6);
	struct iobmd_range r[6];
	__u64 edges[16], len = 0;
	size_t ne = 0;
	__u8 *model;
	__u32 h, i;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	r[0] = (struct iobmd_range){ (uintptr_t)b + 2 * PAGE_SIZE + 7, 1 };
	r[1] = (struct iobmd_range){ (uintptr_t)a + 100, PAGE_SIZE - 5 };
	r[2] = (struct iobmd_range){ (uintptr_t)b + 3, 2 * PAGE_SIZE - 10 };
	r[3] = (struct iobmd_range){ (uintptr_t)a + 3 * PAGE_SIZE - 1, 2 };
	r[4] = (struct iobmd_range){ (uintptr_t)a + 4 * PAGE_SIZE + 4000,
				     100 };
	r[5] = (struct iobmd_range){ (uintptr_t)a + 7 * PAGE_SIZE, 7 };
	for (i = 0; i != ARRAY_SIZE(r); i++)
		len += r[i].length;
	model = malloc(len);
	ASSERT_NE(NULL, model);
	for (i = 0, len = 0; i != ARRAY_SIZE(r); i++) {
		memcpy(model + len, (void *)(uintptr_t)r[i].address,
		       r[i].length);
		edges[ne++] = len;
		len += r[i].length;
	}
	edges[ne++] = PAGE_SIZE;
	edges[ne++] = 2 * PAGE_SIZE;
	edges[ne++] = len - 1;

	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, r, ARRAY_SIZE(r), &h);
	test_check_desc(h, model, len);
	test_rw_bounds(h, len);
	iobmd_rw_model(_metadata, self->fd, h, model, len, edges, ne, 300,
		       51);
	/* Each range of memory holds its part of the model. */
	for (i = 0, len = 0; i != ARRAY_SIZE(r); i++) {
		ASSERT_EQ(0, memcmp((void *)(uintptr_t)r[i].address,
				    model + len, r[i].length))
			TH_LOG("range %u", i);
		len += r[i].length;
	}
	/* The same with the descriptor prepared: the pages stay put. */
	test_ioctl_prepare(h, 0);
	iobmd_rw_model(_metadata, self->fd, h, model, len, edges, ne, 100,
		       52);
	test_ioctl_complete(h, 0);
	for (i = 0, len = 0; i != ARRAY_SIZE(r); i++) {
		ASSERT_EQ(0, memcmp((void *)(uintptr_t)r[i].address,
				    model + len, r[i].length))
			TH_LOG("range %u", i);
		len += r[i].length;
	}
	test_ioctl_release(h);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	free(model);
	munmap(a, 8 * PAGE_SIZE);
	munmap(b, 3 * PAGE_SIZE);
}

/* Ranges may name the same memory twice; both show every store. */
TEST_F(iobmd_general, aliased_ranges)
{
	__u8 *a = iobmd_user_area(1, 7);
	struct iobmd_range r[2] = {
		{ (uintptr_t)a + 10, 10 },
		{ (uintptr_t)a + 10, 10 },
	};
	__u8 v = 0x42, back[20];
	__u32 h;

	ASSERT_NE(NULL, a);
	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, r, 2, &h);
	test_ioctl_write(h, 3, &v, 1);
	test_ioctl_read(h, 0, back, 20);
	ASSERT_EQ(0x42, back[3]);
	ASSERT_EQ(0x42, back[13]);
	ASSERT_EQ(0x42, a[13]);
	/*
	 * Prepared, the page is pinned once per range.  (For Out: the DMA
	 * API allows one page mapped twice only towards the device.)
	 */
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	ASSERT_EQ(2 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, PAGE_SIZE);
}

/* IOBMD_GENERAL_MAX_RANGES one-byte ranges: every other byte of memory. */
TEST_F(iobmd_general, max_ranges)
{
	const __u32 n = IOBMD_GENERAL_MAX_RANGES;
	struct iobmd_range *r = calloc(n, sizeof(*r));
	__u8 *a = iobmd_user_area(1, 8);
	__u8 back[IOBMD_GENERAL_MAX_RANGES];
	struct iobmd_info info;
	__u32 h, i;

	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, a);
	for (i = 0; i != n; i++)
		r[i] = (struct iobmd_range){ (uintptr_t)a + 2 * i + 1, 1 };
	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, r, n, &h);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(n, info.length);
	test_ioctl_read(h, 0, back, n);
	for (i = 0; i != n; i++)
		ASSERT_EQ(iobmd_pattern_byte(8, 2 * i + 1), back[i]);
	test_ioctl_write(h, 0, NULL, n);
	for (i = 0; i != n; i++) {
		ASSERT_EQ(0, a[2 * i + 1]);
		ASSERT_EQ(iobmd_pattern_byte(8, 2 * i), a[2 * i]);
	}
	test_ioctl_release(h);
	free(r);
	munmap(a, PAGE_SIZE);
}

/*
 * Physical segments of user memory exist only while prepared, and are the
 * pages the process sees; DMA segments exist for no device, prepared or
 * not.
 */
TEST_F(iobmd_general, segments_need_prepare)
{
	__u8 *a = iobmd_user_area(8, 9);
	struct iobmd_range r[3] = {
		{ (uintptr_t)a + 0x234, 3 * PAGE_SIZE },
		{ (uintptr_t)a + 6 * PAGE_SIZE, 5 },
		{ (uintptr_t)a + 4 * PAGE_SIZE + 9, PAGE_SIZE },
	};
	struct iobmd_segment *segs, seg[2];
	__u64 len = 4 * PAGE_SIZE + 5, sum;
	__u32 h, nr, i;

	ASSERT_NE(NULL, a);
	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, r, 3, &h);
	test_err_get_segments(ENODATA, h, 0, 0, seg, 2);
	test_err_get_segments(ENODATA, h, 5, 1, seg, 2);
	test_err_get_dma_segments(ENODATA, h, 0, 0);
	/* READ works unprepared, and leaves the segments unavailable. */
	test_ioctl_read(h, 0, seg, sizeof(seg));
	test_err_get_segments(ENODATA, h, 0, 0, seg, 2);

	test_ioctl_prepare(h, 0);
	/* Pages 0-3, 6, and 4-5 of the area: each range's pages count. */
	ASSERT_EQ(7 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_get_all_segments(h, 0, 0, &segs, &nr);
	check_segments_match(_metadata, segs, nr, r, 3);
	free(segs);
	/* A range of it: from byte 1 of range 1 on, two bytes. */
	test_get_all_segments(h, 3 * PAGE_SIZE + 1, 2, &segs, &nr);
	ASSERT_EQ(1, nr);
	ASSERT_EQ(pagemap_phys(a + 6 * PAGE_SIZE + 1), segs[0].addr);
	ASSERT_EQ(2, segs[0].len);
	free(segs);
	test_err_get_segments(ERANGE, h, len, 0, seg, 2);
	test_err_get_segments(ERANGE, h, 0, len + 1, seg, 2);
	/* Physical segments cover the length; DMA ones are not there. */
	test_get_all_segments(h, 0, 0, &segs, &nr);
	for (i = 0, sum = 0; i != nr; i++)
		sum += segs[i].len;
	ASSERT_EQ(len, sum);
	free(segs);
	ASSERT_EQ(true, test_is_prepared(h));

	test_ioctl_complete(h, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_err_get_segments(ENODATA, h, 0, 0, seg, 2);
	test_err_get_dma_segments(ENODATA, h, 0, 0);
	test_ioctl_release(h);
	munmap(a, 8 * PAGE_SIZE);
}

/*
 * User memory maps only while prepared; byte 0 sits at @addr_offset; the
 * mapping shows the process's own pages and keeps them pinned until the
 * last munmap().
 */
TEST_F(iobmd_general, map_needs_prepare)
{
	const __u64 off = 0x321, len = 3 * PAGE_SIZE + 0x10;
	__u8 *a = iobmd_user_area(6, 10);
	struct iobmd_map m, m2;
	__u8 *p, *q;
	__u32 h;

	ASSERT_NE(NULL, a);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + off, len, &h);
	test_err_map(ENODATA, h, 0, 0, 0);
	test_err_map(ENODATA, h, IOBMD_MAP_READONLY, 0, PAGE_SIZE);

	test_ioctl_prepare(h, 0);
	test_ioctl_map_full(h, 0, 0, 0, &m);
	ASSERT_EQ(off, m.addr_offset);
	ASSERT_EQ(ALIGN_UP(off + len, PAGE_SIZE), m.extent);
	ASSERT_EQ(4 * PAGE_SIZE, m.extent);
	test_err_map(ERANGE, h, 0, m.extent, 0);
	test_err_map(ERANGE, h, 0, 0, m.extent + 1);
	test_err_map(EINVAL, h, 0, off, 0);

	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p + off, a + off, len));
	/* The same pages: stores go both ways. */
	p[off] = 0x11;
	ASSERT_EQ(0x11, a[off]);
	a[off + len - 1] = 0x22;
	ASSERT_EQ(0x22, p[off + len - 1]);

	/* A range cookie: page 2 of the mapping. */
	test_ioctl_map_full(h, IOBMD_MAP_READONLY, 2 * PAGE_SIZE, PAGE_SIZE,
			    &m2);
	ASSERT_EQ(off, m2.addr_offset);
	q = iobmd_mmap(self->fd, m2.cookie, PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, memcmp(q, a + 2 * PAGE_SIZE, PAGE_SIZE));

	/* complete() leaves the mappings holding the pages. */
	test_ioctl_complete(h, 0);
	ASSERT_EQ(4 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(2, iobmd_stat("mappings"));
	p[off + 1] = 0x33;
	ASSERT_EQ(0x33, a[off + 1]);
	/* MAP itself works as long as a mapping pins the memory... */
	test_ioctl_map_full(h, 0, 0, 0, &m);
	ASSERT_EQ(0, munmap(q, PAGE_SIZE));
	ASSERT_EQ(0, munmap(p, m.extent));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, iobmd_stat("mappings"));
	/* ... and a cookie from then cannot be mapped now. */
	EXPECT_EQ(MAP_FAILED, iobmd_mmap(self->fd, m.cookie, PAGE_SIZE,
					 PROT_READ));
	EXPECT_EQ(ENODATA, errno);
	test_err_map(ENODATA, h, 0, 0, 0);
	test_ioctl_release(h);
	munmap(a, 6 * PAGE_SIZE);
}

/*
 * Prepared for Out only, the memory is pinned read-only; prepared for In
 * first, it is pinned writable, and a later Out nests inside.
 */
TEST_F(iobmd_general, read_only_prepare)
{
	__u8 *a = iobmd_user_area(2, 11), v = 1;
	struct iobmd_map m;
	__u32 h;
	__u8 *p;

	ASSERT_NE(NULL, a);
	test_ioctl_general_range(IOBMD_DIRECTION_OUT, a, 2 * PAGE_SIZE, &h);
	/* Unprepared, WRITE pins for writing on its own. */
	test_ioctl_write(h, 0, &v, 1);
	ASSERT_EQ(1, a[0]);

	test_ioctl_prepare(h, 0);	/* the descriptor's own: Out */
	test_err_write(EACCES, h, 0, &v, 1);
	test_err_prepare(EACCES, h, IOBMD_DIRECTION_IN);
	test_err_prepare(EACCES, h, IOBMD_DIRECTION_INOUT);
	test_ioctl_read(h, 0, &v, 1);
	ASSERT_EQ(1, v);
	/* A writable mapping is refused, a read-only cookie maps. */
	test_ioctl_map_full(h, 0, 0, 0, &m);
	EXPECT_EQ(MAP_FAILED, iobmd_mmap(self->fd, m.cookie, m.extent,
					 PROT_READ));
	EXPECT_EQ(EACCES, errno);
	test_ioctl_map_full(h, IOBMD_MAP_READONLY, 0, 0, &m);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, p[0]);
	ASSERT_EQ(0, munmap(p, m.extent));
	/* A second prepare for Out nests. */
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	test_ioctl_complete(h, 0);
	test_ioctl_complete(h, 0);

	/* Prepared for In, the pin is writable. */
	test_ioctl_prepare(h, IOBMD_DIRECTION_IN);
	v = 2;
	test_ioctl_write(h, 1, &v, 1);
	ASSERT_EQ(2, a[1]);
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	v = 3;
	test_ioctl_write(h, 1, &v, 1);
	ASSERT_EQ(3, a[1]);
	test_ioctl_prepare(h, IOBMD_DIRECTION_INOUT);
	ASSERT_EQ(2 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, 2 * PAGE_SIZE);
}

/*
 * A read-only prepare pins what the device will read: the process's own
 * later writes must reach it.  A private mapping not yet written shows the
 * shared zero page, or a file's page; pinned as they are, the process's
 * next write would move it to a copy the device never sees (what 6.1's
 * GUP does).  Shared mappings are written in place.
 */
TEST_F(iobmd_general, read_only_prepare_follows_later_writes)
{
	static const struct {
		const char *what;
		int prot, flags, file;
	} cases[] = {
		{ "untouched anonymous", PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, 0 },
		{ "read-only anonymous, made writable later", PROT_READ,
		  MAP_PRIVATE | MAP_ANONYMOUS, 0 },
		{ "private file", PROT_READ | PROT_WRITE, MAP_PRIVATE, 1 },
		{ "shared file", PROT_READ | PROT_WRITE, MAP_SHARED, 1 },
	};
	const size_t len = 4 * PAGE_SIZE;
	__u8 *buf = malloc(len);
	unsigned int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int mfd = -1;
		__u8 *a;
		__u32 h;

		TH_LOG("%s", cases[i].what);
		if (cases[i].file) {
			mfd = memfd_create("iobmd_ro", MFD_CLOEXEC);
			ASSERT_LE(0, mfd);
			iobmd_fill_pattern(buf, len, 0, 31);
			ASSERT_EQ((ssize_t)len, pwrite(mfd, buf, len, 0));
		}
		a = mmap(NULL, len, cases[i].prot, cases[i].flags, mfd, 0);
		ASSERT_NE(MAP_FAILED, a);
		test_ioctl_general_range(IOBMD_DIRECTION_OUT, a, len, &h);
		test_ioctl_prepare(h, 0);
		if (!(cases[i].prot & PROT_WRITE))
			ASSERT_EQ(0, mprotect(a, len, PROT_READ | PROT_WRITE));
		iobmd_fill_pattern(a, len, 0, 32 + i);
		test_ioctl_read(h, 0, buf, len);
		EXPECT_EQ(len, iobmd_check_pattern(buf, len, 0, 32 + i));
		if (cases[i].file && (cases[i].flags & MAP_PRIVATE)) {
			/* The file keeps what it had. */
			ASSERT_EQ((ssize_t)len, pread(mfd, buf, len, 0));
			EXPECT_EQ(len, iobmd_check_pattern(buf, len, 0, 31));
		}
		test_ioctl_release(h);
		ASSERT_EQ(0, munmap(a, len));
		if (mfd >= 0)
			close(mfd);
	}
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	free(buf);
}

static int iobmd_child_fd;
static __u32 iobmd_child_handle;

static int other_process_pins(void *arg)
{
	__u8 v;

	if (_test_ioctl_prepare(iobmd_child_fd, IOBMD_PREPARE,
				iobmd_child_handle, 0) != -1 || errno != EPERM)
		return 1;
	if (_test_ioctl_rw(iobmd_child_fd, IOBMD_READ, iobmd_child_handle, 0,
			   &v, 1, NULL) != -1 || errno != EPERM)
		return 2;
	if (_test_ioctl_rw(iobmd_child_fd, IOBMD_WRITE, iobmd_child_handle, 0,
			   &v, 1, NULL) != -1 || errno != EPERM)
		return 3;
	if (_test_ioctl_map(iobmd_child_fd, iobmd_child_handle, 0, 0, 0,
			    NULL) != -1 || errno != ENODATA)
		return 4;
	return 0;
}

static int other_process_reads_pinned(void *arg)
{
	__u8 v = 0;

	/* Pinned by its creator, the memory can be read by another. */
	if (_test_ioctl_rw(iobmd_child_fd, IOBMD_READ, iobmd_child_handle, 5,
			   &v, 1, NULL))
		return 1;
	if (v != iobmd_pattern_byte(12, 5))
		return 2;
	return 0;
}

/* Only the process that created a general descriptor can pin it. */
TEST_F(iobmd_general, other_process)
{
	__u8 *a = iobmd_user_area(1, 12);
	__u32 h;

	ASSERT_NE(NULL, a);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, PAGE_SIZE, &h);
	iobmd_child_fd = self->fd;
	iobmd_child_handle = h;
	ASSERT_EQ(0, iobmd_run_child(other_process_pins, NULL));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_prepare(h, 0);
	ASSERT_EQ(0, iobmd_run_child(other_process_reads_pinned, NULL));
	test_ioctl_complete(h, 0);
	test_err_complete(EINVAL, h, 0);
	test_ioctl_release(h);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, PAGE_SIZE);
}

/* Top-level "System RAM" ranges of /proc/iomem, up to @max of them. */
static int iomem_ram(struct iobmd_range *ram, int max)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;

		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &start, &end) != 2)
			continue;
		ram[n].address = start;
		ram[n].length = end - start + 1;
		n++;
	}
	fclose(f);
	return n;
}

/*
 * withPhysicalAddress: ranges of RAM (here a buffer's own pages), wired
 * without a prepare, byte granular.
 */
TEST_F(iobmd_general, physical)
{
	const __u64 cap = 8 * PAGE_SIZE;
	struct iobmd_segment *segs, *gsegs;
	struct iobmd_range *r, one;
	__u8 *model = malloc(cap), *p;
	__u64 edges[3] = { 0, PAGE_SIZE, cap - 1 };
	struct iobmd_info info;
	struct iobmd_map m;
	__u32 b, g, g2, nr, gnr, i;

	IOBMD_NEED_PHYS_RAM();

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_fill_desc(b, cap, 13);
	iobmd_fill_pattern(model, cap, 0, 13);
	test_get_all_segments(b, 0, 0, &segs, &nr);
	r = calloc(nr, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i != nr; i++)
		r[i] = (struct iobmd_range){ segs[i].addr, segs[i].len };

	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, r, nr, &g);
	test_ioctl_get_info(g, &info);
	ASSERT_EQ(IOBMD_KIND_GENERAL, info.kind);
	ASSERT_EQ(cap, info.length);
	test_check_desc(g, model, cap);
	/* Wired: segments without a prepare, the buffer's own. */
	test_get_all_segments(g, 0, 0, &gsegs, &gnr);
	ASSERT_EQ(nr, gnr);
	ASSERT_EQ(0, memcmp(segs, gsegs, nr * sizeof(*segs)));
	free(gsegs);
	test_err_get_dma_segments(ENODATA, g, 0, 0);
	iobmd_rw_model(_metadata, self->fd, g, model, cap, edges, 3, 100, 61);
	test_check_desc(b, model, cap);

	/* It maps without a prepare, as one PFN range. */
	test_ioctl_map_full(g, 0, 0, 0, &m);
	ASSERT_EQ(0, m.addr_offset);
	ASSERT_EQ(cap, m.extent);
	p = iobmd_mmap(self->fd, m.cookie, cap, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p, model, cap));
	p[cap - 1] = 0x5a;
	model[cap - 1] = 0x5a;
	test_check_desc(b, model, cap);
	ASSERT_EQ(0, munmap(p, cap));
	/* Nothing was pinned for any of it. */
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));

	/* Byte ranges: 100 bytes from byte 5 of the first segment. */
	one = (struct iobmd_range){ segs[0].addr + 5, 100 };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &one, 1, &g2);
	test_check_desc(g2, model + 5, 100);
	test_ioctl_map_full(g2, 0, 0, 0, &m);
	ASSERT_EQ(5, m.addr_offset);
	ASSERT_EQ(PAGE_SIZE, m.extent);
	/* prepare works too, and nests. */
	test_ioctl_prepare(g2, 0);
	test_ioctl_prepare(g2, IOBMD_DIRECTION_OUT);
	test_ioctl_complete(g2, 0);
	test_ioctl_complete(g2, 0);
	test_ioctl_release(g2);

	/* The general descriptor describes the RAM; it does not own it. */
	test_ioctl_release(g);
	test_ioctl_release(b);
	free(r);
	free(segs);
	free(model);
}

/* Physical ranges must be RAM, entirely. */
TEST_F(iobmd_general, physical_not_ram)
{
	struct iobmd_range ram[64], r;
	int n = iomem_ram(ram, 64), i;
	long long before = iobmd_stat("descriptors");

	IOBMD_NEED_PHYS_RAM();

	ASSERT_LT(0, n);
	/* Far above any RAM. */
	r = (struct iobmd_range){ 1ULL << 46, PAGE_SIZE };
	test_err_general_create(EINVAL, IOBMD_GENERAL_PHYSICAL, 0, &r, 1);
	/* The page past the end of each RAM range, and one straddling it. */
	for (i = 0; i != n; i++) {
		__u64 end = ram[i].address + ram[i].length;
		bool next_is_ram = i + 1 < n && ram[i + 1].address == end;

		if (next_is_ram)
			continue;
		r = (struct iobmd_range){ end - 8, 16 };
		test_err_general_create(EINVAL, IOBMD_GENERAL_PHYSICAL, 0, &r,
					1);
		r = (struct iobmd_range){ end, 1 };
		test_err_general_create(EINVAL, IOBMD_GENERAL_PHYSICAL, 0, &r,
					1);
	}
	ASSERT_EQ(before, iobmd_stat("descriptors"));
}

/*
 * Physical ranges may name the same RAM more than once, but not more pages
 * than the system has in all: exactly that many work, one more is ENOMEM.
 * Only pages in use can be described (a free one is EINVAL): the kernel's
 * code, named again and again, is RAM that is all in use.
 */
TEST_F(iobmd_general, physical_more_than_ram)
{
	struct iobmd_range ram[1], r[IOBMD_GENERAL_MAX_RANGES];
	long long before = iobmd_stat("descriptors");
	__u64 total, lpages, q, rem;
	unsigned long long s, e;
	struct sysinfo si;
	__u32 count = 0, h;
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");

	IOBMD_NEED_PHYS_RAM();

	ASSERT_NE(NULL, f);
	ram[0] = (struct iobmd_range){ 0, 0 };
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ": Kernel code") &&
		    sscanf(line, " %llx-%llx", &s, &e) == 2)
			ram[0] = (struct iobmd_range){ s, e - s + 1 };
	fclose(f);
	ASSERT_LT(4 * PAGE_SIZE, ram[0].length);
	ASSERT_EQ(0, sysinfo(&si));
	total = (__u64)si.totalram * si.mem_unit / PAGE_SIZE;
	/* Its whole pages. */
	ram[0].address = (ram[0].address + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	lpages = (ram[0].length - PAGE_SIZE) / PAGE_SIZE;
	q = total / lpages;
	rem = total % lpages;
	ASSERT_GT(IOBMD_GENERAL_MAX_RANGES - 2, q);
	for (count = 0; count != q; count++)
		r[count] = (struct iobmd_range){ ram[0].address,
						 lpages * PAGE_SIZE };
	if (rem)
		r[count++] = (struct iobmd_range){ ram[0].address,
						   rem * PAGE_SIZE };
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, r, count, &h);
	test_ioctl_release(h);
	r[count++] = (struct iobmd_range){ ram[0].address, 1 };
	test_err_general_create(ENOMEM, IOBMD_GENERAL_PHYSICAL, 0, r, count);
	ASSERT_EQ(before, iobmd_stat("descriptors"));
}

/* Releasing a handle, or closing the file, completes its prepares. */
TEST_F(iobmd_general, release_completes)
{
	__u8 *a = iobmd_user_area(4, 14);
	__u32 h;
	int fd2;

	ASSERT_NE(NULL, a);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, 4 * PAGE_SIZE, &h);
	test_ioctl_prepare(h, 0);
	test_ioctl_prepare(h, 0);
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	ASSERT_EQ(4 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_release(h);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));

	fd2 = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd2);
	ASSERT_EQ(0, _test_ioctl_general_create(
			     fd2, 0, IOBMD_DIRECTION_INOUT,
			     &(struct iobmd_range){ (uintptr_t)a + 1,
						    2 * PAGE_SIZE },
			     1, &h));
	ASSERT_EQ(0, _test_ioctl_prepare(fd2, IOBMD_PREPARE, h, 0));
	ASSERT_EQ(0, _test_ioctl_prepare(fd2, IOBMD_PREPARE, h, 0));
	ASSERT_EQ(3 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, 4 * PAGE_SIZE);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd multi descriptors (IOMultiMemoryDescriptor::withDescriptors): whole
 * descriptors back to back.  Creation and every error, length and tag,
 * the pieces' directions, byte-granular data across piece and page
 * boundaries, segments, prepare in order with rollback, and mappings that
 * line up (or do not) across pieces.
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_multi)
{
	int fd;
};

FIXTURE_SETUP(iobmd_multi)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_multi)
{
	if (self->fd != -1)
		close(self->fd);
}

TEST_F(iobmd_multi, create_info)
{
	__u32 p[3], m, dir;
	struct iobmd_info info;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 100, 1, &p[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE, 0, &p[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 2 * PAGE_SIZE,
			      0, &p[2]);

	for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++) {
		test_ioctl_multi_create(dir, p, 3, &m);
		test_ioctl_get_info(m, &info);
		ASSERT_EQ(IOBMD_KIND_MULTI, info.kind);
		/* The sum of the pieces' lengths. */
		ASSERT_EQ(100 + 5 * PAGE_SIZE, info.length);
		ASSERT_EQ(info.length, info.capacity);
		ASSERT_EQ(1, info.alignment);
		ASSERT_EQ(0, info.options);
		ASSERT_EQ(dir, info.direction);
		ASSERT_EQ(0, info.tag);
		test_ioctl_release(m);
	}

	/* The first non-zero tag among the pieces. */
	test_ioctl_set_tag(p[1], 7, NULL);
	test_ioctl_set_tag(p[2], 9, NULL);
	test_ioctl_multi_create(0, p, 3, &m);
	test_ioctl_get_info(m, &info);
	ASSERT_EQ(7, info.tag);
	test_ioctl_release(m);
	test_ioctl_set_tag(p[0], 0xffffffffffffffffULL, NULL);
	test_ioctl_multi_create(0, p, 3, &m);
	test_ioctl_get_info(m, &info);
	ASSERT_EQ(0xffffffffffffffffULL, info.tag);
	/* Taken once: later changes of a piece do not show. */
	test_ioctl_set_tag(p[0], 0, NULL);
	test_ioctl_get_info(m, &info);
	ASSERT_EQ(0xffffffffffffffffULL, info.tag);
	test_ioctl_release(m);

	/* The length too is taken at creation. */
	test_ioctl_multi_create(0, &p[1], 1, &m);
	test_ioctl_set_length(p[1], 10, NULL);
	test_ioctl_get_info(m, &info);
	ASSERT_EQ(3 * PAGE_SIZE, info.length);
	test_err_set_length(ENOTTY, m, 1);
	test_ioctl_release(m);

	/* One descriptor several times. */
	{
		__u32 same[4] = { p[0], p[0], p[0], p[0] };
		__u8 v = 0x3c, back[400];

		test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, same, 4, &m);
		test_ioctl_get_info(m, &info);
		ASSERT_EQ(400, info.length);
		test_ioctl_write(m, 150, &v, 1);
		test_ioctl_read(m, 0, back, 400);
		ASSERT_EQ(0x3c, back[50]);
		ASSERT_EQ(0x3c, back[150]);
		ASSERT_EQ(0x3c, back[250]);
		ASSERT_EQ(0x3c, back[350]);
		test_ioctl_release(m);
	}
	test_ioctl_release(p[0]);
	test_ioctl_release(p[1]);
	test_ioctl_release(p[2]);
}

TEST_F(iobmd_multi, create_errors)
{
	__u32 *many = calloc(IOBMD_MULTI_MAX_PIECES + 1, sizeof(*many));
	__u32 p[2], in, out, none, empty, bad[2];
	long long before;
	__u8 *page;
	size_t i;

	ASSERT_NE(NULL, many);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &p[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &p[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_IN, PAGE_SIZE, 0, &in);
	test_ioctl_buf_create(IOBMD_DIRECTION_OUT, PAGE_SIZE, 0, &out);
	test_ioctl_buf_create(IOBMD_DIRECTION_NONE, PAGE_SIZE, 0, &none);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &empty);
	test_ioctl_set_length(empty, 0, NULL);
	for (i = 0; i <= IOBMD_MULTI_MAX_PIECES; i++)
		many[i] = p[0];
	before = iobmd_stat("descriptors");

	/* count */
	test_err_multi_create(EINVAL, 0, p, 0);
	test_err_multi_create(E2BIG, 0, many, IOBMD_MULTI_MAX_PIECES + 1);
	test_err_multi_create(E2BIG, 0, many, UINT32_MAX);
	/* unknown direction bits */
	for (i = 2; i != 32; i++)
		test_err_multi_create(EINVAL, 1U << i, p, 2);
	/* the handles array unreadable, or only partly */
	test_err_multi_create(EFAULT, 0, NULL, 1);
	test_err_multi_create(EFAULT, 0, (void *)8, 2);
	page = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page + PAGE_SIZE, PAGE_SIZE));
	memcpy(page + PAGE_SIZE - 4, &p[0], 4);
	test_err_multi_create(EFAULT, 0, (void *)(page + PAGE_SIZE - 4), 2);
	/* unknown handles, first or last */
	bad[0] = p[0];
	bad[1] = p[1] + 1000;
	test_err_multi_create(ENOENT, 0, bad, 2);
	bad[0] = 0;
	bad[1] = p[1];
	test_err_multi_create(ENOENT, 0, bad, 2);
	/* a piece whose direction does not include the multi's */
	bad[0] = p[0];
	bad[1] = in;
	test_err_multi_create(EINVAL, IOBMD_DIRECTION_OUT, bad, 2);
	test_err_multi_create(EINVAL, IOBMD_DIRECTION_INOUT, bad, 2);
	bad[1] = out;
	test_err_multi_create(EINVAL, IOBMD_DIRECTION_IN, bad, 2);
	test_err_multi_create(EINVAL, IOBMD_DIRECTION_INOUT, bad, 2);
	bad[0] = none;
	bad[1] = p[0];
	test_err_multi_create(EINVAL, IOBMD_DIRECTION_IN, bad, 2);
	test_err_multi_create(EINVAL, IOBMD_DIRECTION_OUT, bad, 2);
	/* a piece of length 0 */
	bad[0] = p[0];
	bad[1] = empty;
	test_err_multi_create(EINVAL, 0, bad, 2);
	ASSERT_EQ(before, iobmd_stat("descriptors"));

	/* What each of them allows. */
	{
		__u32 m;

		bad[0] = in;
		bad[1] = p[0];
		test_ioctl_multi_create(IOBMD_DIRECTION_IN, bad, 2, &m);
		test_ioctl_release(m);
		bad[0] = out;
		test_ioctl_multi_create(IOBMD_DIRECTION_OUT, bad, 2, &m);
		test_ioctl_release(m);
		bad[1] = none;
		test_ioctl_multi_create(IOBMD_DIRECTION_NONE, bad, 2, &m);
		test_ioctl_release(m);
		/* IOBMD_MULTI_MAX_PIECES pieces. */
		test_ioctl_multi_create(0, many, IOBMD_MULTI_MAX_PIECES, &m);
		test_ioctl_release(m);
		/* The one readable handle alone. */
		test_ioctl_multi_create(0, (void *)(page + PAGE_SIZE - 4), 1,
					&m);
		test_ioctl_release(m);
	}
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	munmap(page, PAGE_SIZE);
	free(many);
}

/*
 * A composed length is capped at max_capacity, the most one buffer holds
 * (E2BIG beyond).  It used to reach 2^64 - 1 over 4 GiB of device memory
 * in multis of 1024 pieces, three levels deep, and only overflow was
 * refused: that shape is now refused at the first level.
 */
TEST_F(iobmd_multi, length_capped)
{
	__u64 cap = iobmd_max_capacity(self->fd);
	__u32 *many = calloc(IOBMD_MULTI_MAX_PIECES, sizeof(*many));
	struct iobmd_info info;
	__u32 d, big, one, m, i;
	long long before;

	ASSERT_NE(NULL, many);
	ASSERT_LT(cap, IOBMD_MULTI_MAX_PIECES * SZ_4G);
	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, SZ_4G, &d);
	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, cap, &big);
	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, 1, &one);
	before = iobmd_stat("descriptors");
	for (i = 0; i != IOBMD_MULTI_MAX_PIECES; i++)
		many[i] = d;
	test_err_multi_create(E2BIG, 0, many, IOBMD_MULTI_MAX_PIECES);
	many[0] = big;
	test_ioctl_multi_create(0, many, 1, &m);
	test_ioctl_get_info(m, &info);
	ASSERT_EQ(cap, info.length);
	test_ioctl_release(m);
	many[1] = one;
	test_err_multi_create(E2BIG, 0, many, 2);
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	test_ioctl_release(one);
	test_ioctl_release(big);
	test_ioctl_release(d);
	free(many);
}

/*
 * Pieces of every kind back to back: buffers of odd sizes, a contiguous
 * one, a sub-range, user memory.  READ, WRITE and each piece agree.
 */
TEST_F(iobmd_multi, data_rw)
{
	__u8 *area = iobmd_user_area(3, 80);
	__u64 lens[5] = { 100, 3 * PAGE_SIZE + 5, 2 * PAGE_SIZE, 777,
			  PAGE_SIZE + 1 };
	__u64 edges[16], len = 0, pos;
	__u32 pieces[5], m, b;
	size_t ne = 0, i;
	__u8 *model;

	ASSERT_NE(NULL, area);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, lens[0], 1, &pieces[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, lens[1], 1, &pieces[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, lens[2], 0,
			      &pieces[2]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, PAGE_SIZE - 300,
			      lens[3], &pieces[3]);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area + 2000, lens[4],
				 &pieces[4]);
	for (i = 0; i != 4; i++)
		test_fill_desc(pieces[i], lens[i], 81 + i);
	for (i = 0; i != 5; i++)
		len += lens[i];
	model = malloc(len);
	ASSERT_NE(NULL, model);
	for (i = 0, pos = 0; i != 5; i++) {
		if (i < 4)
			iobmd_fill_pattern(model + pos, lens[i], 0, 81 + i);
		else
			memcpy(model + pos, area + 2000, lens[i]);
		edges[ne++] = pos;
		pos += lens[i];
	}
	edges[ne++] = PAGE_SIZE;
	edges[ne++] = 3 * PAGE_SIZE;
	edges[ne++] = len - 1;

	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 5, &m);
	test_check_desc(m, model, len);
	test_rw_bounds(m, len);
	iobmd_rw_model(_metadata, self->fd, m, model, len, edges, ne, 300, 90);
	/* Each piece holds its part. */
	for (i = 0, pos = 0; i != 5; i++) {
		test_check_desc(pieces[i], model + pos, lens[i]);
		pos += lens[i];
	}
	ASSERT_EQ(0, memcmp(area + 2000, model + len - lens[4], lens[4]));
	/* And the other way: writes to a piece show in the multi. */
	iobmd_fill_pattern(model + lens[0], lens[1], 0, 91);
	test_ioctl_write(pieces[1], 0, model + lens[0], lens[1]);
	area[2000] ^= 0x55;
	model[len - lens[4]] ^= 0x55;
	test_check_desc(m, model, len);
	/* READ/WRITE pinned the user memory only for the call. */
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(m);
	for (i = 0; i != 5; i++)
		test_ioctl_release(pieces[i]);
	test_ioctl_release(b);
	free(model);
	munmap(area, 3 * PAGE_SIZE);
}

/* Merge adjacent segments of @n into @out; returns the count. */
static __u32 merge_segments(struct iobmd_segment *out,
			    const struct iobmd_segment *in, __u32 n,
			    __u32 have)
{
	__u32 i;

	for (i = 0; i != n; i++) {
		if (have && out[have - 1].addr + out[have - 1].len ==
				    in[i].addr)
			out[have - 1].len += in[i].len;
		else
			out[have++] = in[i];
	}
	return have;
}

/* The segments of a multi are its pieces' segments, in order. */
TEST_F(iobmd_multi, segments)
{
	struct iobmd_segment *segs, *all, *expect;
	__u32 p[3], m, n, nall, ne = 0, i;
	__u64 lens[3] = { 5 * PAGE_SIZE + 9, 3 * PAGE_SIZE,
			  20 * PAGE_SIZE };

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, lens[0], 1, &p[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, lens[1], 0,
			      &p[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, lens[2], 0, &p[2]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 3, &m);
	expect = calloc(64, sizeof(*expect));
	ASSERT_NE(NULL, expect);
	for (i = 0; i != 3; i++) {
		test_get_all_segments(p[i], 0, 0, &segs, &n);
		ASSERT_GE(64, ne + n);
		ne = merge_segments(expect, segs, n, ne);
		free(segs);
	}
	test_get_all_segments(m, 0, 0, &all, &nall);
	ASSERT_EQ(ne, nall);
	ASSERT_EQ(0, memcmp(expect, all, ne * sizeof(*all)));
	free(all);
	/* A range across the first boundary: the last byte and the next. */
	test_get_all_segments(m, lens[0] - 1, 2, &all, &nall);
	test_get_all_segments(p[0], lens[0] - 1, 1, &segs, &n);
	ASSERT_EQ(segs[0].addr, all[0].addr);
	free(segs);
	test_get_all_segments(p[1], 0, 1, &segs, &n);
	ASSERT_EQ(segs[0].addr, all[nall - 1].addr + all[nall - 1].len - 1);
	free(segs);
	free(all);
	test_err_get_dma_segments(ENODATA, m, 0, 0);
	test_ioctl_release(m);
	for (i = 0; i != 3; i++)
		test_ioctl_release(p[i]);
	free(expect);
}

/*
 * prepare() prepares each piece in order; when one fails, those before it
 * are completed again.  No DMA segments come of it (no device).  The piece
 * that fails here is one not placed below 4 GiB, under IOBMD_PREPARE_PHYS32.
 */
TEST_F(iobmd_multi, prepare_rollback)
{
	const __u64 mask32 = 0x00000000FFFFF000ULL;
	__u32 p[3], m, m2, i;

	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, mask32,
				   &p[0]);
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, mask32,
				   &p[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &p[2]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 3, &m);

	/* The multi's prepare prepares every piece... */
	test_ioctl_prepare(m, 0);
	for (i = 0; i != 3; i++)
		ASSERT_EQ(true, test_is_prepared(p[i])) TH_LOG("piece %u", i);
	ASSERT_EQ(true, test_is_prepared(m));
	/* ... and complete() completes them. */
	test_ioctl_complete(m, 0);
	for (i = 0; i != 3; i++)
		ASSERT_EQ(false, test_is_prepared(p[i])) TH_LOG("piece %u", i);

	/* The last piece is not below 4 GiB: ERANGE, and the first two
	 * are left as they were, the second prepared once on its own. */
	test_ioctl_prepare(p[1], 0);
	test_err_prepare(ERANGE, m, IOBMD_PREPARE_PHYS32);
	ASSERT_EQ(false, test_is_prepared(m));
	ASSERT_EQ(false, test_is_prepared(p[0]));
	ASSERT_EQ(false, test_is_prepared(p[2]));
	test_ioctl_complete(p[1], 0);
	ASSERT_EQ(false, test_is_prepared(p[1]));
	test_err_complete(EINVAL, p[1], 0);
	/* The first two alone are. */
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 2, &m2);
	test_ioctl_prepare(m2, IOBMD_PREPARE_PHYS32);
	test_ioctl_complete(m2, 0);
	test_ioctl_release(m2);
	/* Prepared on its own, a piece stays prepared for the multi. */
	test_ioctl_prepare(p[2], 0);
	test_ioctl_prepare(m, 0);
	test_ioctl_complete(p[2], 0);
	ASSERT_EQ(true, test_is_prepared(p[2]));
	test_ioctl_complete(m, 0);
	ASSERT_EQ(false, test_is_prepared(p[2]));
	test_ioctl_release(m);
	test_ioctl_release(p[0]);
	test_ioctl_release(p[1]);
	test_ioctl_release(p[2]);
}

/* A piece of user memory that cannot be pinned fails the whole prepare. */
TEST_F(iobmd_multi, prepare_rollback_general)
{
	__u8 *a = iobmd_user_area(4, 95);
	__u32 p[3], m;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, munmap(a + 3 * PAGE_SIZE, PAGE_SIZE));
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, 2 * PAGE_SIZE,
				 &p[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &p[1]);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 3 * PAGE_SIZE,
				 PAGE_SIZE, &p[2]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 3, &m);
	test_err_prepare(EFAULT, m, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(false, test_is_prepared(p[1]));
	/* Data before the hole reads; a range touching the hole does not
	 * (pinning is all or nothing). */
	{
		__u8 b[4];

		test_err_read(EFAULT, m, 0, b, 4);
		test_ioctl_read(p[0], 0, b, 4);
	}
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(m);
	test_ioctl_release(p[0]);
	test_ioctl_release(p[1]);
	test_ioctl_release(p[2]);
	munmap(a, 3 * PAGE_SIZE);
}

/*
 * A multi maps as one contiguous range when each piece starts at the page
 * offset where the previous one ends, sharing a page only with itself.
 */
TEST_F(iobmd_multi, mapping)
{
	__u64 lens[3] = { 2 * PAGE_SIZE, 3 * PAGE_SIZE, PAGE_SIZE };
	__u64 len = 6 * PAGE_SIZE;
	__u8 *model = malloc(len), *p;
	struct iobmd_map mp;
	__u32 b[3], m, i;
	__u64 pos;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, lens[0], 0, &b[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, lens[1], 0,
			      &b[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, lens[2], 0, &b[2]);
	for (i = 0, pos = 0; i != 3; i++) {
		test_fill_desc(b[i], lens[i], 100 + i);
		iobmd_fill_pattern(model + pos, lens[i], 0, 100 + i);
		pos += lens[i];
	}
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, b, 3, &m);
	test_ioctl_map_full(m, 0, 0, 0, &mp);
	ASSERT_EQ(0, mp.addr_offset);
	ASSERT_EQ(len, mp.extent);
	p = iobmd_mmap(self->fd, mp.cookie, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p, model, len));
	/* Stores at each boundary land in the right piece. */
	p[2 * PAGE_SIZE - 1] = 1;
	p[2 * PAGE_SIZE] = 2;
	p[5 * PAGE_SIZE] = 3;
	model[2 * PAGE_SIZE - 1] = 1;
	model[2 * PAGE_SIZE] = 2;
	model[5 * PAGE_SIZE] = 3;
	test_check_desc(b[0], model, lens[0]);
	test_check_desc(b[1], model + lens[0], lens[1]);
	test_check_desc(b[2], model + lens[0] + lens[1], lens[2]);
	ASSERT_EQ(0, munmap(p, len));

	/* Range cookies: pages 1..3 (across the first boundary), read-only. */
	test_ioctl_map_full(m, IOBMD_MAP_READONLY, PAGE_SIZE, 3 * PAGE_SIZE,
			    &mp);
	p = iobmd_mmap(self->fd, mp.cookie, 3 * PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p, model + PAGE_SIZE, 3 * PAGE_SIZE));
	ASSERT_EQ(0, munmap(p, 3 * PAGE_SIZE));
	/* The last page only. */
	test_ioctl_map_full(m, 0, 5 * PAGE_SIZE, 0, &mp);
	p = iobmd_mmap(self->fd, mp.cookie, PAGE_SIZE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p, model + 5 * PAGE_SIZE, PAGE_SIZE));
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	test_err_map(ERANGE, m, 0, 6 * PAGE_SIZE, 0);
	test_err_map(ERANGE, m, 0, 0, 6 * PAGE_SIZE + 1);

	test_ioctl_release(m);
	for (i = 0; i != 3; i++)
		test_ioctl_release(b[i]);
	free(model);
}

/* Pieces that do not line up by page offset cannot be mapped. */
TEST_F(iobmd_multi, mapping_misaligned)
{
	const int rw = PROT_READ | PROT_WRITE;
	__u32 b[2], s[2], m, same;
	struct iobmd_map mp;
	__u8 *p, v[2];

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b[1]);

	/* 100 bytes then a page-aligned piece: byte 100 is at offset 0. */
	test_ioctl_sub_create(b[0], IOBMD_DIRECTION_INOUT, 0, 100, &s[0]);
	s[1] = b[1];
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, s, 2, &m);
	ASSERT_EQ(EINVAL, iobmd_map_refusal(self->fd, m, 0, 0, 0,
					    3 * PAGE_SIZE, rw));
	ASSERT_EQ(EINVAL, iobmd_map_refusal(self->fd, m, IOBMD_MAP_READONLY,
					    0, 0, 3 * PAGE_SIZE, PROT_READ));
	/* ... while the data is fine. */
	test_ioctl_write(m, 99, "ab", 2);
	test_ioctl_read(b[1], 0, v, 1);
	ASSERT_EQ('b', v[0]);
	test_ioctl_release(m);
	test_ioctl_release(s[0]);

	/* Offsets line up, but the shared page is two different pages. */
	test_ioctl_sub_create(b[0], IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE + 100,
			      &s[0]);
	test_ioctl_sub_create(b[1], IOBMD_DIRECTION_INOUT, 100, PAGE_SIZE,
			      &s[1]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, s, 2, &m);
	ASSERT_EQ(EINVAL, iobmd_map_refusal(self->fd, m, 0, 0, 0,
					    3 * PAGE_SIZE, rw));
	test_ioctl_release(m);
	test_ioctl_release(s[1]);

	/* The same page twice is fine: a buffer cut at byte 100 and glued. */
	test_ioctl_sub_create(b[0], IOBMD_DIRECTION_INOUT, PAGE_SIZE + 100,
			      PAGE_SIZE - 100, &s[1]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, s, 2, &same);
	test_ioctl_map_full(same, 0, 0, 0, &mp);
	ASSERT_EQ(2 * PAGE_SIZE, mp.extent);
	p = iobmd_mmap(self->fd, mp.cookie, mp.extent, rw);
	ASSERT_NE(MAP_FAILED, p);
	p[PAGE_SIZE + 99] = 'x';
	p[PAGE_SIZE + 100] = 'y';
	test_ioctl_read(b[0], PAGE_SIZE + 99, v, 2);
	ASSERT_EQ('x', v[0]);
	ASSERT_EQ('y', v[1]);
	ASSERT_EQ(0, munmap(p, mp.extent));
	test_ioctl_release(same);
	test_ioctl_release(s[0]);
	test_ioctl_release(s[1]);
	test_ioctl_release(b[0]);
	test_ioctl_release(b[1]);
	ASSERT_EQ(0, iobmd_stat("mappings"));
}

TEST_HARNESS_MAIN

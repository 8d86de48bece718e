// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd sub-range descriptors (IOSubMemoryDescriptor::withSubRange): a
 * window of any descriptor.  Creation and every error, the parent's tag
 * and the given direction, byte-granular data in both directions, windows
 * of windows, segments clipped to the window, and mappings with the
 * window's offset in its first page.
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_sub)
{
	int fd;
};

FIXTURE_SETUP(iobmd_sub)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_sub)
{
	if (self->fd != -1)
		close(self->fd);
}

TEST_F(iobmd_sub, create_info)
{
	const __u64 cap = 4 * PAGE_SIZE;
	struct iobmd_info info;
	__u32 b, s, s2, dir;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_ioctl_set_tag(b, 0x1122334455667788ULL, NULL);

	for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++) {
		test_ioctl_sub_create(b, dir, 100, 2 * PAGE_SIZE, &s);
		test_ioctl_get_info(s, &info);
		ASSERT_EQ(IOBMD_KIND_SUB, info.kind);
		ASSERT_EQ(2 * PAGE_SIZE, info.length);
		ASSERT_EQ(info.length, info.capacity);
		ASSERT_EQ(1, info.alignment);
		ASSERT_EQ(0, info.phys_mask);
		ASSERT_EQ(0, info.options);
		/* The direction given, not the parent's. */
		ASSERT_EQ(dir, info.direction);
		/* The parent's tag. */
		ASSERT_EQ(0x1122334455667788ULL, info.tag);
		test_ioctl_release(s);
	}

	/* The tag is taken once: later changes stay on their own side. */
	test_ioctl_sub_create(b, IOBMD_DIRECTION_IN, 0, 1, &s);
	test_ioctl_set_tag(b, 5, NULL);
	test_ioctl_get_info(s, &info);
	ASSERT_EQ(0x1122334455667788ULL, info.tag);
	test_ioctl_set_tag(s, 6, NULL);
	test_ioctl_get_info(b, &info);
	ASSERT_EQ(5, info.tag);
	/* A sub of a sub takes its parent's tag, not the grandparent's. */
	test_ioctl_sub_create(s, IOBMD_DIRECTION_OUT, 0, 1, &s2);
	test_ioctl_get_info(s2, &info);
	ASSERT_EQ(6, info.tag);
	ASSERT_EQ(1, info.length);
	ASSERT_EQ(IOBMD_DIRECTION_OUT, info.direction);

	/* Its direction can be set; its length cannot. */
	test_ioctl_set_direction(s, IOBMD_DIRECTION_INOUT, NULL);
	test_ioctl_get_info(s, &info);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	test_err_set_direction(EINVAL, s, 4);
	test_err_set_length(ENOTTY, s, 0);
	{
		__u8 v = 1;

		test_err_append(ENOTTY, s, 0, &v, 1);
	}
	test_ioctl_get_info(s, &info);
	ASSERT_EQ(1, info.length);
	test_ioctl_release(s2);
	test_ioctl_release(s);
	test_ioctl_release(b);
}

TEST_F(iobmd_sub, create_errors)
{
	const __u64 cap = 3 * PAGE_SIZE;
	long long before;
	__u32 b, s;
	int i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	before = iobmd_stat("descriptors");

	/* length 0, anywhere */
	test_err_sub_create(EINVAL, b, 0, 0, 0);
	test_err_sub_create(EINVAL, b, 0, 5, 0);
	test_err_sub_create(EINVAL, b, 0, cap, 0);
	/* unknown direction bits */
	for (i = 2; i != 32; i++)
		test_err_sub_create(EINVAL, b, 1U << i, 0, 1);
	/* offset + length beyond the parent's length */
	test_err_sub_create(ERANGE, b, 0, 0, cap + 1);
	test_err_sub_create(ERANGE, b, 0, 1, cap);
	test_err_sub_create(ERANGE, b, 0, cap, 1);
	test_err_sub_create(ERANGE, b, 0, cap - 1, 2);
	test_err_sub_create(ERANGE, b, 0, UINT64_MAX, 1);
	/* ... or overflowing */
	test_err_sub_create(ERANGE, b, 0, UINT64_MAX, 2);
	test_err_sub_create(ERANGE, b, 0, 2, UINT64_MAX);
	test_err_sub_create(ERANGE, b, 0, UINT64_MAX - PAGE_SIZE + 1,
			    2 * PAGE_SIZE);
	/* no such parent */
	test_err_sub_create(ENOENT, 0, 0, 0, 1);
	test_err_sub_create(ENOENT, b + 1000, 0, 0, 1);
	test_err_sub_create(ENOENT, UINT32_MAX, 0, 0, 1);
	ASSERT_EQ(before, iobmd_stat("descriptors"));

	/* The edges themselves are fine. */
	test_ioctl_sub_create(b, 0, 0, cap, &s);
	test_ioctl_release(s);
	test_ioctl_sub_create(b, 0, cap - 1, 1, &s);
	test_ioctl_release(s);

	/* The parent's length counts, not its capacity. */
	test_ioctl_set_length(b, PAGE_SIZE, NULL);
	test_err_sub_create(ERANGE, b, 0, 0, PAGE_SIZE + 1);
	test_err_sub_create(ERANGE, b, 0, PAGE_SIZE, 1);
	test_ioctl_sub_create(b, 0, PAGE_SIZE - 1, 1, &s);
	test_ioctl_release(s);
	/* A parent of length 0 has no window at all. */
	test_ioctl_set_length(b, 0, NULL);
	test_err_sub_create(ERANGE, b, 0, 0, 1);
	/* A released parent is gone. */
	test_ioctl_release(b);
	test_err_sub_create(ENOENT, b, 0, 0, 1);
	ASSERT_EQ(before - 1, iobmd_stat("descriptors"));
}

/* Windows of several buffer shapes: READ, WRITE, and the parent agree. */
TEST_F(iobmd_sub, data_rw)
{
	const struct {
		__u32 options;
		__u64 cap, off, len;
	} cases[] = {
		{ 0, 5 * PAGE_SIZE + 123, 7, 3 * PAGE_SIZE },
		{ 0, 5 * PAGE_SIZE + 123, PAGE_SIZE - 1, 2 },
		{ 0, 5 * PAGE_SIZE + 123, 4 * PAGE_SIZE + 200, PAGE_SIZE - 77 },
		{ 0, 100, 99, 1 },
		{ IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 8 * PAGE_SIZE, 4095,
		  4 * PAGE_SIZE + 2 },
		{ IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 8 * PAGE_SIZE, 0,
		  8 * PAGE_SIZE },
	};
	size_t k;

	for (k = 0; k != ARRAY_SIZE(cases); k++) {
		__u64 cap = cases[k].cap, off = cases[k].off;
		__u64 len = cases[k].len;
		__u64 edges[] = { 0, PAGE_SIZE - off % PAGE_SIZE,
				  2 * PAGE_SIZE - off % PAGE_SIZE, len - 1 };
		__u8 *pmodel = malloc(cap);
		__u32 b, s;

		ASSERT_NE(NULL, pmodel);
		ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0,
						    cases[k].options |
						    IOBMD_DIRECTION_INOUT,
						    cap, 1, 0, NULL, 0, &b));
		test_fill_desc(b, cap, 20 + k);
		iobmd_fill_pattern(pmodel, cap, 0, 20 + k);
		test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, off, len, &s);

		test_check_desc(s, pmodel + off, len);
		test_rw_bounds(s, len);
		/* The model of the sub is the parent's model at @off. */
		iobmd_rw_model(_metadata, self->fd, s, pmodel + off, len, edges,
			       ARRAY_SIZE(edges), 150, 30 + k);
		/* Nothing outside the window moved. */
		test_check_desc(b, pmodel, cap);
		/* Writes to the parent show through the window. */
		iobmd_fill_pattern(pmodel, cap, 0, 40 + k);
		test_ioctl_write(b, 0, pmodel, cap);
		test_check_desc(s, pmodel + off, len);
		test_ioctl_release(s);
		test_ioctl_release(b);
		free(pmodel);
	}
}

/* A window of a window of a window: the offsets add up. */
TEST_F(iobmd_sub, nested_windows)
{
	const __u64 cap = 6 * PAGE_SIZE;
	__u64 edges[] = { 0, 10, PAGE_SIZE - 1000 };
	__u8 *model = malloc(cap);
	struct iobmd_info info;
	__u32 b, s1, s2, s3;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_fill_desc(b, cap, 50);
	iobmd_fill_pattern(model, cap, 0, 50);
	test_ioctl_sub_create(b, 0, 1000, 5 * PAGE_SIZE, &s1);
	test_ioctl_sub_create(s1, 0, PAGE_SIZE + 3, 2 * PAGE_SIZE, &s2);
	test_ioctl_sub_create(s2, 0, 17, PAGE_SIZE + 1, &s3);
	test_ioctl_get_info(s3, &info);
	ASSERT_EQ(PAGE_SIZE + 1, info.length);
	/* Windows are checked against their own parent. */
	test_err_sub_create(ERANGE, s3, 0, 1, PAGE_SIZE + 1);
	test_err_sub_create(ERANGE, s2, 0, 2 * PAGE_SIZE, 1);

	test_check_desc(s3, model + 1000 + PAGE_SIZE + 3 + 17, PAGE_SIZE + 1);
	iobmd_rw_model(_metadata, self->fd, s3,
		       model + 1000 + PAGE_SIZE + 3 + 17, PAGE_SIZE + 1, edges,
		       ARRAY_SIZE(edges), 100, 51);
	test_check_desc(b, model, cap);
	test_check_desc(s1, model + 1000, 5 * PAGE_SIZE);
	test_ioctl_release(s3);
	test_ioctl_release(s2);
	test_ioctl_release(s1);
	test_ioctl_release(b);
	free(model);
}

/* Segments of a window are the parent's from the offset, clipped. */
TEST_F(iobmd_sub, segments)
{
	const __u64 cap = 64 * PAGE_SIZE;
	struct iobmd_segment *ps, *ss, one;
	__u32 b, s, pn, sn, i;
	__u64 off = 5 * PAGE_SIZE + 77, len = 40 * PAGE_SIZE + 3;
	__u64 pos = 0, sum = 0;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_IN, off, len, &s);
	test_get_all_segments(b, off, len, &ps, &pn);
	test_get_all_segments(s, 0, 0, &ss, &sn);
	ASSERT_EQ(pn, sn);
	ASSERT_EQ(0, memcmp(ps, ss, pn * sizeof(*ps)));
	for (i = 0; i != sn; i++)
		sum += ss[i].len;
	ASSERT_EQ(len, sum);
	free(ps);
	free(ss);

	/* Single bytes of the window. */
	for (pos = 0; pos < len; pos += PAGE_SIZE + 1) {
		__u32 count = 1;
		__u64 total = 0;
		struct iobmd_segment pseg;

		test_ioctl_get_segments(s, pos, 1, &one, &count, &total);
		ASSERT_EQ(1, total);
		count = 1;
		test_ioctl_get_segments(b, off + pos, 1, &pseg, &count, &total);
		ASSERT_EQ(pseg.addr, one.addr);
		ASSERT_EQ(1, one.len);
	}
	test_err_get_segments(ERANGE, s, len, 0, &one, 1);
	test_err_get_segments(ERANGE, s, 0, len + 1, &one, 1);
	test_err_get_segments(ERANGE, s, len - 1, 2, &one, 1);
	/* DMA segments need the window prepared. */
	test_err_get_dma_segments(ENODATA, s, 0, 0);
	test_ioctl_release(s);
	test_ioctl_release(b);
}

/*
 * A window maps with its first byte at its offset in the page; the
 * mapping shows the parent's memory.
 */
TEST_F(iobmd_sub, mapping)
{
	const __u64 cap = 8 * PAGE_SIZE;
	const __u32 opts[] = { 0, IOBMD_OPT_PHYSICALLY_CONTIGUOUS };
	size_t k;

	for (k = 0; k != ARRAY_SIZE(opts); k++) {
		__u64 off = 2 * PAGE_SIZE + 0x123, len = 3 * PAGE_SIZE;
		__u8 *model = malloc(cap), *p, *q;
		struct iobmd_map m;
		__u32 b, s;

		ASSERT_NE(NULL, model);
		ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, opts[k], cap,
						    0, 0, NULL, 0, &b));
		test_fill_desc(b, cap, 60 + k);
		iobmd_fill_pattern(model, cap, 0, 60 + k);
		test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, off, len, &s);

		test_ioctl_map_full(s, 0, 0, 0, &m);
		ASSERT_EQ(0x123, m.addr_offset);
		ASSERT_EQ(4 * PAGE_SIZE, m.extent);
		test_err_map(ERANGE, s, 0, 4 * PAGE_SIZE, 0);
		test_err_map(ERANGE, s, 0, 0, 4 * PAGE_SIZE + 1);
		test_err_map(EINVAL, s, 0, 0x123, 0);
		/* The whole mapping: the window's pages of the parent. */
		p = iobmd_mmap(self->fd, m.cookie, m.extent,
			       PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, memcmp(p, model + 2 * PAGE_SIZE, m.extent));
		p[0x123] = 0xa1;
		model[off] = 0xa1;
		p[0x123 + len - 1] = 0xa2;
		model[off + len - 1] = 0xa2;
		test_check_desc(b, model, cap);
		/* A read-only range cookie: page 1 of the window's mapping. */
		test_ioctl_map_full(s, IOBMD_MAP_READONLY, PAGE_SIZE,
				    PAGE_SIZE, &m);
		q = iobmd_mmap(self->fd, m.cookie, PAGE_SIZE, PROT_READ);
		ASSERT_NE(MAP_FAILED, q);
		ASSERT_EQ(0, memcmp(q, model + 3 * PAGE_SIZE, PAGE_SIZE));
		EXPECT_EQ(MAP_FAILED, iobmd_mmap(self->fd, m.cookie, PAGE_SIZE,
						 PROT_READ | PROT_WRITE));
		EXPECT_EQ(EACCES, errno);
		/* The window goes; its mappings keep it and the parent. */
		test_ioctl_release(s);
		test_ioctl_release(b);
		p[0x124] = 0xa3;
		ASSERT_EQ(0xa3, p[0x124]);
		ASSERT_EQ(0, memcmp(q, model + 3 * PAGE_SIZE, PAGE_SIZE));
		ASSERT_EQ(0, munmap(q, PAGE_SIZE));
		ASSERT_EQ(0, munmap(p, 4 * PAGE_SIZE));
		free(model);
	}
	ASSERT_EQ(0, iobmd_stat("mappings"));
}

/* A window of user memory: prepared through the window, pinned beneath. */
TEST_F(iobmd_sub, of_general)
{
	__u8 *a = iobmd_user_area(4, 70);
	struct iobmd_segment seg;
	struct iobmd_map m;
	__u32 g, s;
	__u8 v;

	ASSERT_NE(NULL, a);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 5,
				 4 * PAGE_SIZE - 10, &g);
	test_ioctl_sub_create(g, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 100, &s);
	test_check_desc(s, a + 5 + PAGE_SIZE, 100);
	v = 0x77;
	test_ioctl_write(s, 99, &v, 1);
	ASSERT_EQ(0x77, a[5 + PAGE_SIZE + 99]);
	/* Segments and mappings of user memory need a prepare. */
	test_err_get_segments(ENODATA, s, 0, 0, &seg, 1);
	test_err_map(ENODATA, s, 0, 0, 0);
	test_ioctl_prepare(s, 0);
	/* The whole parent is pinned for the window. */
	ASSERT_EQ(4 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_map_full(s, 0, 0, 0, &m);
	ASSERT_EQ(5, m.addr_offset);
	test_ioctl_complete(s, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(g);
	test_ioctl_release(s);
	munmap(a, 4 * PAGE_SIZE);
}

/*
 * A window over a buffer's tail after the buffer's setLength() shrank it.
 * As in XNU, the window reads through its parent, whose segments end at
 * its length now: READ and WRITE copy from the offset up to there and
 * report that short count (0 when the offset is past it; IOKit's
 * readBytes()/writeBytes() return it), and nothing past it moves.
 * GET_SEGMENTS of a range past it and mmap of such a range fail with
 * ERANGE, as IOKit's parent refuses a mapping past its length; prepare
 * works (IOKit's window prepares its parent).  Setting the length back
 * makes the same bytes reachable again, and a mapping made before the
 * shrink stays.
 */
TEST_F(iobmd_sub, parent_shrinks)
{
	const __u64 cap = 4 * PAGE_SIZE;
	__u8 *model = malloc(cap), *v = malloc(2 * PAGE_SIZE), *p, *q;
	struct iobmd_segment seg;
	struct iobmd_map m;
	__u32 b, s, count;
	__u64 total;

	ASSERT_NE(NULL, model);
	ASSERT_NE(NULL, v);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_fill_desc(b, cap, 80);
	iobmd_fill_pattern(model, cap, 0, 80);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE,
			      2 * PAGE_SIZE, &s);
	test_map_rw(s, 0, 2 * PAGE_SIZE, 2 * PAGE_SIZE, &p);

	/* The whole window lies past the parent's length: 0 bytes. */
	test_ioctl_set_length(b, PAGE_SIZE, NULL);
	memset(v, 0xa5, 2 * PAGE_SIZE);
	test_ioctl_read_short(s, 0, v, 2 * PAGE_SIZE, 0);
	test_ioctl_read_short(s, 0, v, 1, 0);
	test_ioctl_read_short(s, 2 * PAGE_SIZE - 1, v, 1, 0);
	ASSERT_EQ(0xa5, v[0]);
	test_ioctl_write_short(s, 0, v, 1, 0);
	test_ioctl_write_short(s, 0, NULL, 2 * PAGE_SIZE, 0);
	test_err_get_segments(ERANGE, s, 0, 0, &seg, 1);
	test_err_get_segments(ERANGE, s, PAGE_SIZE, 1, &seg, 1);
	/* The sub's own length is what it was: past it is still ERANGE. */
	test_err_read(ERANGE, s, 2 * PAGE_SIZE, v, 1);
	test_err_read(ERANGE, s, 0, v, 2 * PAGE_SIZE + 1);

	/* Straddling the parent's length: the part before it is copied. */
	test_ioctl_set_length(b, 3 * PAGE_SIZE, NULL);
	test_ioctl_read(s, 0, v, PAGE_SIZE);
	ASSERT_EQ(0, memcmp(v, model + 2 * PAGE_SIZE, PAGE_SIZE));
	memset(v, 0xa5, 2 * PAGE_SIZE);
	test_ioctl_read_short(s, PAGE_SIZE - 1, v, 2, 1);
	ASSERT_EQ(model[3 * PAGE_SIZE - 1], v[0]);
	ASSERT_EQ(0xa5, v[1]);
	memset(v, 0xa5, 2 * PAGE_SIZE);
	test_ioctl_read_short(s, 10, v, 2 * PAGE_SIZE - 10, PAGE_SIZE - 10);
	ASSERT_EQ(0, memcmp(v, model + 2 * PAGE_SIZE + 10, PAGE_SIZE - 10));
	ASSERT_EQ(0xa5, v[PAGE_SIZE - 10]);
	/* A write stops there too: the byte before it, not the one after. */
	v[0] = 0x3c;
	v[1] = 0x3d;
	test_ioctl_write_short(s, PAGE_SIZE - 1, v, 2, 1);
	model[3 * PAGE_SIZE - 1] = 0x3c;
	/* Zero-filling: the part before the parent's end only. */
	test_ioctl_write_short(s, PAGE_SIZE - 16, NULL, 64, 16);
	memset(model + 3 * PAGE_SIZE - 16, 0, 16);
	count = 1;
	test_ioctl_get_segments(s, 0, PAGE_SIZE, &seg, &count, &total);
	ASSERT_EQ(PAGE_SIZE, seg.len);
	test_err_get_segments(ERANGE, s, 0, PAGE_SIZE + 1, &seg, 1);
	/* The window's first page maps; a mapping of both does not. */
	test_ioctl_map_full(s, 0, 0, PAGE_SIZE, &m);
	q = iobmd_mmap(self->fd, m.cookie, PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, memcmp(q, model + 2 * PAGE_SIZE, PAGE_SIZE));
	ASSERT_EQ(0, munmap(q, PAGE_SIZE));
	test_ioctl_map_full(s, 0, 0, 0, &m);
	EXPECT_EQ(MAP_FAILED, iobmd_mmap(self->fd, m.cookie, 2 * PAGE_SIZE,
					 PROT_READ));
	EXPECT_EQ(ERANGE, errno);
	/* Prepare goes to the parent, as IOKit's window's does. */
	test_ioctl_prepare(s, 0);
	test_err_get_segments(ERANGE, s, 0, 2 * PAGE_SIZE, &seg, 1);
	/*
	 * Length 0 asks for the segments up to where the parent ends, as
	 * IOKit's getPhysicalSegment() ends there: none from there on.
	 */
	count = 1;
	test_ioctl_get_segments(s, 0, 0, &seg, &count, &total);
	ASSERT_EQ(1, count);
	ASSERT_EQ(1, total);
	ASSERT_EQ(PAGE_SIZE, seg.len);
	count = 1;
	test_ioctl_get_segments(s, 10, 0, &seg, &count, &total);
	ASSERT_EQ(PAGE_SIZE - 10, seg.len);
	test_err_get_segments(ERANGE, s, PAGE_SIZE, 0, &seg, 1);
	/* Prepared, the copies are the same. */
	test_ioctl_read_short(s, 0, v, 2 * PAGE_SIZE, PAGE_SIZE);
	ASSERT_EQ(0, memcmp(v, model + 2 * PAGE_SIZE, PAGE_SIZE));
	test_ioctl_complete(s, 0);

	/* The mapping made before the shrink still shows the memory. */
	ASSERT_EQ(0, memcmp(p, model + 2 * PAGE_SIZE, 2 * PAGE_SIZE));
	p[PAGE_SIZE] = 0x5a;
	model[3 * PAGE_SIZE] = 0x5a;

	/* The same pages again, with what they held: no write went past. */
	test_ioctl_set_length(b, cap, NULL);
	test_check_desc(s, model + 2 * PAGE_SIZE, 2 * PAGE_SIZE);
	test_check_desc(b, model, cap);
	test_ioctl_write(s, 0, NULL, 2 * PAGE_SIZE);
	ASSERT_EQ(0, p[2 * PAGE_SIZE - 1]);
	ASSERT_EQ(0, munmap(p, 2 * PAGE_SIZE));
	test_ioctl_release(s);
	test_ioctl_release(b);
	free(model);
	free(v);
	ASSERT_EQ(0, iobmd_stat("mappings"));
}

/*
 * The same rule through a multi and an interleaved descriptor: a piece
 * backs its bytes up to its descriptor's length now, and READ and WRITE
 * stop at the first byte it no longer backs.
 */
TEST_F(iobmd_sub, pieces_shrink)
{
	__u8 v[2 * 64];
	__u32 b, mu, il, s;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b);
	test_fill_desc(b, 2 * PAGE_SIZE, 81);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, &b, 1, &mu);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &il);
	test_ioctl_interleaved_set(il, b, PAGE_SIZE - 64, 128);
	test_ioctl_sub_create(mu, IOBMD_DIRECTION_INOUT, PAGE_SIZE - 64, 128,
			      &s);
	test_ioctl_read(mu, PAGE_SIZE - 64, v, 128);
	test_ioctl_read(il, 0, v, 128);
	test_ioctl_read(s, 0, v, 128);

	test_ioctl_set_length(b, PAGE_SIZE, NULL);
	test_ioctl_read(mu, PAGE_SIZE - 64, v, 64);
	test_ioctl_read_short(mu, PAGE_SIZE - 64, v, 65, 64);
	test_ioctl_write_short(mu, PAGE_SIZE, v, 1, 0);
	test_ioctl_read(il, 0, v, 64);
	test_ioctl_read_short(il, 0, v, 128, 64);
	test_ioctl_write_short(il, 64, v, 64, 0);
	test_ioctl_read(s, 0, v, 64);
	test_ioctl_read_short(s, 63, v, 2, 1);
	/* A sub of the sub: through two windows to the same end. */
	{
		__u32 s2;

		test_ioctl_sub_create(s, IOBMD_DIRECTION_INOUT, 32, 96, &s2);
		test_ioctl_read_short(s2, 0, v, 96, 32);
		test_ioctl_read_short(s2, 32, v, 1, 0);
		test_ioctl_release(s2);
	}

	test_ioctl_set_length(b, 2 * PAGE_SIZE, NULL);
	test_ioctl_read(mu, PAGE_SIZE - 64, v, 128);
	test_ioctl_read(il, 0, v, 128);
	test_ioctl_read(s, 0, v, 128);
	test_ioctl_release(s);
	test_ioctl_release(il);
	test_ioctl_release(mu);
	test_ioctl_release(b);
}

TEST_HARNESS_MAIN

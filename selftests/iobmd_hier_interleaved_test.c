// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd interleaved descriptors (IOInterleavedMemoryDescriptor): created
 * empty with a capacity of pieces, grown with setMemoryDescriptor() and
 * emptied with clearMemoryDescriptors().  Creation and every error, the
 * rules of SET and CLEAR (busy while prepared or mapped, full, ranges,
 * nesting), byte-granular data across pieces, prepare and mappings.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "iobmd_stats.h"
#include "iobmd_utils.h"

FIXTURE(iobmd_interleaved)
{
	int fd;
};

FIXTURE_SETUP(iobmd_interleaved)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_interleaved)
{
	if (self->fd != -1)
		close(self->fd);
}

TEST_F(iobmd_interleaved, create_info)
{
	struct iobmd_info info;
	__u32 il, dir;
	__u8 v;

	for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++) {
		test_ioctl_interleaved_create(dir, 3, &il);
		test_ioctl_get_info(il, &info);
		ASSERT_EQ(IOBMD_KIND_INTERLEAVED, info.kind);
		ASSERT_EQ(0, info.length);
		ASSERT_EQ(0, info.capacity);
		ASSERT_EQ(dir, info.direction);
		ASSERT_EQ(0, info.tag);
		test_ioctl_release(il);
	}
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT,
				      IOBMD_INTERLEAVED_MAX_PIECES, &il);
	/* Empty: nothing to read, write, map or list. */
	test_err_read(ERANGE, il, 0, &v, 1);
	test_err_write(ERANGE, il, 0, &v, 1);
	test_err_map(ENODATA, il, 0, 0, 0);
	test_err_get_segments(ERANGE, il, 0, 0, NULL, 0);
	test_err_set_length(ENOTTY, il, 0);
	/* Nothing to build on either. */
	test_err_sub_create(ERANGE, il, 0, 0, 1);
	test_err_multi_create(EINVAL, 0, &il, 1);
	test_ioctl_release(il);
}

/* A full IOBMD_INTERLEAVED_MAX_PIECES pieces, then ENOSPC. */
TEST_F(iobmd_interleaved, max_pieces)
{
	const __u32 n = IOBMD_INTERLEAVED_MAX_PIECES;
	__u8 *back = malloc(n);
	struct iobmd_info info;
	__u32 il, b, i;

	ASSERT_NE(NULL, back);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, n, 1, &b);
	test_fill_desc(b, n, 150);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, n, &il);
	/* Byte i of the interleaved descriptor is byte n - 1 - i of b. */
	for (i = 0; i != n; i++)
		test_ioctl_interleaved_set(il, b, n - 1 - i, 1);
	test_err_interleaved_set(ENOSPC, il, b, 0, 1);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(n, info.length);
	test_ioctl_read(il, 0, back, n);
	for (i = 0; i != n; i++)
		ASSERT_EQ(iobmd_pattern_byte(150, n - 1 - i), back[i]);
	test_ioctl_release(il);
	test_ioctl_release(b);
	free(back);
}

TEST_F(iobmd_interleaved, create_errors)
{
	long long before = iobmd_stat("descriptors");
	int i;

	test_err_interleaved_create(EINVAL, 0, 0);
	test_err_interleaved_create(E2BIG, 0, IOBMD_INTERLEAVED_MAX_PIECES + 1);
	test_err_interleaved_create(E2BIG, 0, UINT32_MAX);
	for (i = 2; i != 32; i++)
		test_err_interleaved_create(EINVAL, 1U << i, 1);
	ASSERT_EQ(before, iobmd_stat("descriptors"));
}

TEST_F(iobmd_interleaved, set_rules)
{
	const __u64 cap = 2 * PAGE_SIZE;
	struct iobmd_info info;
	__u32 il, b, in, s;

	test_ioctl_interleaved_create(IOBMD_DIRECTION_OUT, 2, &il);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_ioctl_buf_create(IOBMD_DIRECTION_IN, cap, 0, &in);

	/* length 0 */
	test_err_interleaved_set(EINVAL, il, b, 0, 0);
	test_err_interleaved_set(EINVAL, il, b, cap, 0);
	/* not an interleaved descriptor */
	test_err_interleaved_set(EINVAL, b, in, 0, 1);
	test_ioctl_sub_create(b, 0, 0, 10, &s);
	test_err_interleaved_set(EINVAL, s, in, 0, 1);
	/* beyond the piece's length, or overflowing */
	test_err_interleaved_set(ERANGE, il, b, 0, cap + 1);
	test_err_interleaved_set(ERANGE, il, b, cap, 1);
	test_err_interleaved_set(ERANGE, il, b, 1, cap);
	test_err_interleaved_set(ERANGE, il, b, UINT64_MAX, 2);
	test_err_interleaved_set(ERANGE, il, b, 2, UINT64_MAX);
	/* the piece's length counts, not its capacity */
	test_ioctl_set_length(b, PAGE_SIZE, NULL);
	test_err_interleaved_set(ERANGE, il, b, 0, PAGE_SIZE + 1);
	test_ioctl_set_length(b, cap, NULL);
	/* unknown handles */
	test_err_interleaved_set(ENOENT, il, b + 1000, 0, 1);
	test_err_interleaved_set(ENOENT, il + 1000, b, 0, 1);
	test_err_interleaved_set(ENOENT, 0, b, 0, 1);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(0, info.length);

	/* The piece's direction is not checked (IOKit does not). */
	test_ioctl_interleaved_set(il, in, 10, 20);
	test_ioctl_interleaved_set(il, b, cap - 1, 1);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(21, info.length);
	ASSERT_EQ(IOBMD_DIRECTION_OUT, info.direction);
	/* Full. */
	test_err_interleaved_set(ENOSPC, il, b, 0, 1);
	/* An interleaved descriptor cannot be a piece of itself (a cycle). */
	test_err_interleaved_set(ELOOP, il, il, 0, 1);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(21, info.length);
	test_ioctl_release(s);
	test_ioctl_release(il);
	test_ioctl_release(in);
	test_ioctl_release(b);
}

/*
 * An interleaved length is capped at max_capacity, as a multi's is
 * (E2BIG beyond; it used to grow to 2^64 - 1 over device memory, and only
 * overflow was refused).  A refused piece changes nothing.
 */
TEST_F(iobmd_interleaved, length_capped)
{
	__u64 cap = iobmd_max_capacity(self->fd);
	__u32 big, one, il;
	struct iobmd_info info;

	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, cap, &big);
	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, 1, &one);
	test_ioctl_interleaved_create(0, 8, &il);
	test_ioctl_interleaved_set(il, big, 0, cap - 1);
	test_err_interleaved_set(E2BIG, il, big, 0, 2);
	test_ioctl_interleaved_set(il, one, 0, 1);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(cap, info.length);
	test_err_interleaved_set(E2BIG, il, one, 0, 1);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(cap, info.length);
	test_ioctl_release(il);
	test_ioctl_release(one);
	test_ioctl_release(big);
}

/*
 * Pieces of several descriptors, parts of them, one descriptor twice:
 * READ, WRITE and the pieces agree, byte granular.
 */
TEST_F(iobmd_interleaved, data_rw)
{
	__u8 *area = iobmd_user_area(2, 110);
	__u32 b0, b1, g, m, il, pieces[2];
	__u64 off[5], len[5], edges[16], total = 0, pos;
	__u32 who[5];
	__u8 *m0 = malloc(4 * PAGE_SIZE), *m1 = malloc(3 * PAGE_SIZE);
	__u8 *model;
	size_t ne = 0, i;

	ASSERT_NE(NULL, area);
	ASSERT_NE(NULL, m0);
	ASSERT_NE(NULL, m1);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b0);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 3 * PAGE_SIZE,
			      0, &b1);
	test_fill_desc(b0, 4 * PAGE_SIZE, 111);
	test_fill_desc(b1, 3 * PAGE_SIZE, 112);
	iobmd_fill_pattern(m0, 4 * PAGE_SIZE, 0, 111);
	iobmd_fill_pattern(m1, 3 * PAGE_SIZE, 0, 112);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area, 2 * PAGE_SIZE,
				 &g);
	/* A multi as a piece too (depth 2). */
	pieces[0] = b1;
	pieces[1] = b0;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);

	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 8, &il);
	who[0] = b0; off[0] = PAGE_SIZE - 10; len[0] = PAGE_SIZE + 20;
	who[1] = b1; off[1] = 5; len[1] = 2 * PAGE_SIZE;
	who[2] = g; off[2] = 3000; len[2] = 2000;
	who[3] = b0; off[3] = 3 * PAGE_SIZE; len[3] = 1;
	who[4] = m; off[4] = 3 * PAGE_SIZE - 4; len[4] = 8;
	for (i = 0; i != 5; i++) {
		test_ioctl_interleaved_set(il, who[i], off[i], len[i]);
		total += len[i];
	}
	model = malloc(total);
	ASSERT_NE(NULL, model);
	/* Build the expected contents from each piece's source. */
	for (i = 0, pos = 0; i != 5; i++) {
		test_ioctl_read(who[i], off[i], model + pos, len[i]);
		edges[ne++] = pos;
		pos += len[i];
	}
	ASSERT_EQ(0, memcmp(model, m0 + PAGE_SIZE - 10, PAGE_SIZE + 20));
	ASSERT_EQ(0, memcmp(model + PAGE_SIZE + 20, m1 + 5, 2 * PAGE_SIZE));
	edges[ne++] = PAGE_SIZE;
	edges[ne++] = total - 1;
	{
		struct iobmd_info info;

		test_ioctl_get_info(il, &info);
		ASSERT_EQ(total, info.length);
	}
	test_check_desc(il, model, total);
	test_rw_bounds(il, total);
	/*
	 * Random writes would alias: b0's bytes appear in pieces 0, 3 and
	 * (through the multi) 4.  Edge writes of single bytes land where
	 * they must; check through the sources.
	 */
	{
		__u8 v = 0x99, back;

		test_ioctl_write(il, len[0] + len[1] + len[2], &v, 1);
		test_ioctl_read(b0, 3 * PAGE_SIZE, &back, 1);
		ASSERT_EQ(0x99, back);
		v = 0x98;
		/* Piece 4 starts 4 bytes before the multi's b0 part. */
		test_ioctl_write(il, total - 4, &v, 1);
		test_ioctl_read(b0, 0, &back, 1);
		ASSERT_EQ(0x98, back);
		v = 0x97;
		test_ioctl_write(il, len[0] + len[1], &v, 1);
		ASSERT_EQ(0x97, area[3000]);
	}
	test_ioctl_release(il);

	/* Without aliasing pieces, the model holds under random access. */
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 3, &il);
	test_ioctl_interleaved_set(il, b1, 7, PAGE_SIZE);
	test_ioctl_interleaved_set(il, g, 1, 2 * PAGE_SIZE - 1);
	test_ioctl_interleaved_set(il, b0, 100, 2 * PAGE_SIZE);
	total = 5 * PAGE_SIZE - 1;
	free(model);
	model = malloc(total);
	ASSERT_NE(NULL, model);
	test_ioctl_read(b1, 7, model, PAGE_SIZE);
	memcpy(model + PAGE_SIZE, area + 1, 2 * PAGE_SIZE - 1);
	test_ioctl_read(b0, 100, model + 3 * PAGE_SIZE - 1, 2 * PAGE_SIZE);
	edges[0] = PAGE_SIZE;
	edges[1] = 3 * PAGE_SIZE - 1;
	edges[2] = 2 * PAGE_SIZE;
	iobmd_rw_model(_metadata, self->fd, il, model, total, edges, 3, 200,
		       113);
	ASSERT_EQ(0, memcmp(area + 1, model + PAGE_SIZE, 2 * PAGE_SIZE - 1));
	test_ioctl_read(b0, 100, m0, 2 * PAGE_SIZE);
	ASSERT_EQ(0, memcmp(m0, model + 3 * PAGE_SIZE - 1, 2 * PAGE_SIZE));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(il);
	test_ioctl_release(m);
	test_ioctl_release(g);
	test_ioctl_release(b1);
	test_ioctl_release(b0);
	free(model);
	free(m0);
	free(m1);
	munmap(area, 2 * PAGE_SIZE);
}

/* SET and CLEAR are EBUSY while prepared or mapped. */
TEST_F(iobmd_interleaved, busy)
{
	struct iobmd_info info;
	struct iobmd_map mp;
	__u32 il, b, s, m;
	__u8 *p;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &il);
	test_ioctl_interleaved_set(il, b, 0, PAGE_SIZE);

	test_ioctl_prepare(il, 0);
	test_err_interleaved_set(EBUSY, il, b, PAGE_SIZE, PAGE_SIZE);
	test_err_interleaved_clear(EBUSY, il, 0);
	test_err_interleaved_clear(EBUSY, il, IOBMD_DIRECTION_IN);
	test_ioctl_prepare(il, 0);
	test_ioctl_complete(il, 0);
	test_err_interleaved_set(EBUSY, il, b, PAGE_SIZE, PAGE_SIZE);
	test_ioctl_complete(il, 0);
	test_ioctl_interleaved_set(il, b, PAGE_SIZE, PAGE_SIZE);

	test_ioctl_map_full(il, 0, 0, 0, &mp);
	ASSERT_EQ(2 * PAGE_SIZE, mp.extent);
	p = iobmd_mmap(self->fd, mp.cookie, mp.extent, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	test_err_interleaved_set(EBUSY, il, b, 2 * PAGE_SIZE, PAGE_SIZE);
	test_err_interleaved_clear(EBUSY, il, 0);
	ASSERT_EQ(0, munmap(p, mp.extent));
	test_ioctl_interleaved_set(il, b, 2 * PAGE_SIZE, PAGE_SIZE);

	/* Prepared through what is built on it counts too. */
	test_ioctl_sub_create(il, 0, 0, 10, &s);
	test_ioctl_prepare(s, 0);
	test_err_interleaved_set(EBUSY, il, b, 0, 1);
	test_ioctl_complete(s, 0);
	/* A refused prepare (not placed below 4 GiB) leaves nothing. */
	test_err_prepare(ERANGE, s, IOBMD_PREPARE_PHYS32);
	test_ioctl_interleaved_set(il, b, 3 * PAGE_SIZE, PAGE_SIZE);
	test_ioctl_multi_create(0, &il, 1, &m);
	test_ioctl_prepare(m, 0);
	test_err_interleaved_clear(EBUSY, il, 0);
	test_ioctl_release(m);	/* completes its prepare */
	/* A failed SET or CLEAR changed nothing. */
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(4 * PAGE_SIZE, info.length);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	test_ioctl_interleaved_clear(il, 0);
	test_ioctl_release(s);
	test_ioctl_release(il);
	test_ioctl_release(b);
}

/* CLEAR drops every piece, sets the length to 0, maybe a new direction. */
TEST_F(iobmd_interleaved, clear)
{
	long long before = iobmd_stat("descriptors");
	struct iobmd_info info;
	__u32 il, b, b2, i;
	__u8 v[4];

	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b2);
	test_fill_desc(b2, PAGE_SIZE, 120);
	test_ioctl_interleaved_set(il, b, 0, 100);
	test_ioctl_interleaved_set(il, b2, 0, 100);
	test_err_interleaved_set(ENOSPC, il, b, 0, 1);

	/* Bad direction, values too wide, not interleaved: EINVAL. */
	for (i = 2; i != 32; i++)
		test_err_interleaved_clear(EINVAL, il, 1U << i);
	test_err_interleaved_clear(EINVAL, il, 1ULL << 32);
	test_err_interleaved_clear(EINVAL, il, UINT64_MAX);
	test_err_interleaved_clear(EINVAL, b, 0);
	test_err_interleaved_clear(ENOENT, il + 1000, 0);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(200, info.length);

	/* None keeps the direction. */
	test_ioctl_interleaved_clear(il, IOBMD_DIRECTION_NONE);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(0, info.length);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	test_err_read(ERANGE, il, 0, v, 1);
	test_err_map(ENODATA, il, 0, 0, 0);

	/* The pieces are let go: released handles free their buffers. */
	test_ioctl_release(b);
	ASSERT_EQ(before + 2, iobmd_stat("descriptors"));

	/* Room again: a set after clear works, twice. */
	test_ioctl_interleaved_set(il, b2, 10, 4);
	test_ioctl_interleaved_set(il, b2, 0, 1);
	test_ioctl_read(il, 0, v, 4);
	ASSERT_EQ(iobmd_pattern_byte(120, 10), v[0]);
	ASSERT_EQ(iobmd_pattern_byte(120, 13), v[3]);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(5, info.length);

	/* A direction replaces it; clearing an empty one is fine. */
	test_ioctl_interleaved_clear(il, IOBMD_DIRECTION_OUT);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(IOBMD_DIRECTION_OUT, info.direction);
	ASSERT_EQ(0, info.length);
	test_ioctl_interleaved_clear(il, IOBMD_DIRECTION_IN);
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(IOBMD_DIRECTION_IN, info.direction);
	test_ioctl_release(b2);
	ASSERT_EQ(before + 1, iobmd_stat("descriptors"));
	test_ioctl_release(il);
	ASSERT_EQ(before, iobmd_stat("descriptors"));
}

/*
 * A sub-range holds the interleaved descriptor, not its pieces: once they
 * are cleared, copying through the sub finds nothing there and copies 0
 * bytes (the short count IOKit's readBytes() gives), rather than claiming
 * to have copied; segments of it are ERANGE.
 */
TEST_F(iobmd_interleaved, sub_of_cleared)
{
	__u8 v[2 * PAGE_SIZE];
	__u32 il, b, sub;

	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &il);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b);
	test_ioctl_interleaved_set(il, b, 0, 2 * PAGE_SIZE);
	test_ioctl_sub_create(il, 0, 0, 2 * PAGE_SIZE, &sub);
	test_ioctl_read(sub, 0, v, sizeof(v));
	test_ioctl_interleaved_clear(il, IOBMD_DIRECTION_NONE);
	memset(v, 0xa5, sizeof(v));
	test_ioctl_read_short(sub, 0, v, sizeof(v), 0);
	ASSERT_EQ(0xa5, v[0]);
	test_ioctl_read_short(sub, PAGE_SIZE, v, 1, 0);
	test_ioctl_write_short(sub, 0, v, sizeof(v), 0);
	test_err_get_segments(ERANGE, sub, 0, 0, NULL, 0);
	test_ioctl_release(sub);
	test_ioctl_release(b);
	test_ioctl_release(il);
}

/*
 * Prepared, the pieces are prepared; physical segments cover the pieces.
 * There are DMA segments of none of them: no device.
 */
TEST_F(iobmd_interleaved, prepare)
{
	__u8 *a = iobmd_user_area(3, 130);
	struct iobmd_segment *segs;
	__u32 il, b, g, n, i;
	__u64 sum = 0;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 1,
				 3 * PAGE_SIZE - 2, &g);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &il);
	test_ioctl_interleaved_set(il, g, 100, PAGE_SIZE);
	test_ioctl_interleaved_set(il, b, 5, 3 * PAGE_SIZE);
	test_err_get_dma_segments(ENODATA, il, 0, 0);
	{
		struct iobmd_segment seg;

		test_err_get_segments(ENODATA, il, 0, 0, &seg, 1);
	}
	test_ioctl_prepare(il, 0);
	ASSERT_EQ(3 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(true, test_is_prepared(il));
	test_get_all_segments(il, 0, 0, &segs, &n);
	for (i = 0; i != n; i++)
		sum += segs[i].len;
	ASSERT_EQ(4 * PAGE_SIZE, sum);
	free(segs);
	/* The pieces are prepared beneath it. */
	ASSERT_EQ(true, test_is_prepared(b));
	ASSERT_EQ(true, test_is_prepared(g));
	test_get_all_segments(g, 100, PAGE_SIZE, &segs, &n);
	free(segs);
	test_ioctl_perform(il, IOBMD_OP_FLUSH, 0, 4 * PAGE_SIZE);
	test_ioctl_perform(il, IOBMD_OP_INVALIDATE, PAGE_SIZE - 1, 2);
	test_ioctl_complete(il, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(false, test_is_prepared(b));
	ASSERT_EQ(false, test_is_prepared(g));
	test_ioctl_release(il);
	test_ioctl_release(g);
	test_ioctl_release(b);
	munmap(a, 3 * PAGE_SIZE);
}

/* An interleaved descriptor maps as one range when its pieces line up. */
TEST_F(iobmd_interleaved, mapping)
{
	__u8 *model = malloc(4 * PAGE_SIZE), *p;
	struct iobmd_map mp;
	__u32 il, b0, b1;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b0);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b1);
	test_fill_desc(b0, 4 * PAGE_SIZE, 140);
	test_fill_desc(b1, 4 * PAGE_SIZE, 141);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &il);
	/* b0 page 2 from byte 0x10, b1 pages 1..2 */
	test_ioctl_interleaved_set(il, b0, 2 * PAGE_SIZE + 0x10,
				   PAGE_SIZE - 0x10);
	test_ioctl_interleaved_set(il, b1, PAGE_SIZE, 2 * PAGE_SIZE);
	test_ioctl_read(il, 0, model, 3 * PAGE_SIZE - 0x10);
	test_ioctl_map_full(il, 0, 0, 0, &mp);
	ASSERT_EQ(0x10, mp.addr_offset);
	ASSERT_EQ(3 * PAGE_SIZE, mp.extent);
	p = iobmd_mmap(self->fd, mp.cookie, mp.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p + 0x10, model, 3 * PAGE_SIZE - 0x10));
	p[PAGE_SIZE] = 0xcd;
	test_ioctl_read(b1, PAGE_SIZE, model, 1);
	ASSERT_EQ(0xcd, model[0]);
	ASSERT_EQ(0, munmap(p, mp.extent));

	/* A piece ending mid-page followed by another buffer: refused. */
	test_ioctl_interleaved_clear(il, 0);
	test_ioctl_interleaved_set(il, b0, 0, 100);
	test_ioctl_interleaved_set(il, b1, 100, PAGE_SIZE);
	ASSERT_EQ(EINVAL, iobmd_map_refusal(self->fd, il, 0, 0, 0,
					    2 * PAGE_SIZE,
					    PROT_READ | PROT_WRITE));
	test_ioctl_release(il);
	test_ioctl_release(b0);
	test_ioctl_release(b1);
	free(model);
}

/*
 * The pieces of an interleaved descriptor change between two walks: a
 * walk for physical segments that looked while they were all buffers and
 * pinned once user memory had come must not take its pin for a prepare
 * (completing a prepare nobody made, or somebody else's) when it is done.
 * A thread asks for segments while the main thread swaps a buffer for
 * user memory and back; every answer is segments, ENODATA (user memory
 * not prepared) or ERANGE (cleared for a moment), the descriptor can still
 * be changed afterwards, and nothing is left pinned or prepared.
 */
struct il_walker {
	int fd;
	__u32 il;
	volatile int stop;
	int err;
	unsigned long walks;
};

static void *il_walk(void *arg)
{
	struct il_walker *w = arg;

	while (!w->stop && !w->err) {
		struct iobmd_segment seg;
		__u32 count = 1;

		if (_test_ioctl_get_segments_flags(w->fd, w->il, 0, 0, 0, &seg,
						   &count, NULL) &&
		    errno != ENODATA && errno != ERANGE)
			w->err = errno;
		w->walks++;
	}
	return NULL;
}

TEST_F(iobmd_interleaved, segments_while_pieces_change)
{
	struct il_walker w = { .fd = self->fd };
	struct iobmd_test_stats before;
	unsigned long swaps = 0;
	struct timespec t0, t;
	pthread_t thread;
	__u32 b, g;
	void *mem;

	ASSERT_EQ(0, iobmd_read_stats(&before));
	mem = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, PAGE_SIZE, &g);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &w.il);
	test_ioctl_interleaved_set(w.il, b, 0, PAGE_SIZE);
	ASSERT_EQ(0, pthread_create(&thread, NULL, il_walk, &w));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		__u32 piece = swaps++ & 1 ? b : g;

		/* EBUSY while the walker holds it. */
		if (_test_ioctl_set(self->fd, IOBMD_INTERLEAVED_CLEAR, w.il, 0,
				    NULL)) {
			w.stop = errno != EBUSY;
		} else if (_test_ioctl_interleaved_set(self->fd, w.il, piece, 0,
						       PAGE_SIZE)) {
			w.stop = errno != EBUSY;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!w.stop && t.tv_sec - t0.tv_sec < 4);
	ASSERT_EQ(0, w.stop) TH_LOG("clear or set: errno %d", errno);
	w.stop = 1;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, w.err) TH_LOG("segments failed with errno %d", w.err);
	/* Nothing holds it now: it changes at once. */
	test_ioctl_interleaved_clear(w.il, 0);
	test_ioctl_release(w.il);
	test_ioctl_release(g);
	test_ioctl_release(b);
	ASSERT_STREQ("", iobmd_stats_changed(&before));
	munmap(mem, PAGE_SIZE);
	TH_LOG("%lu swaps, %lu walks", swaps, w.walks);
}

/*
 * Interleaved descriptors as pieces of one, as IOKit takes them: the data
 * reads through both, and an outer one that holds an inner one keeps its
 * pieces still while it is prepared.  What would form a cycle is refused
 * (ELOOP): A holds B, then B takes A, or a sub of A, or A takes itself.
 * The depth boundaries are in iobmd_hier_nesting_test's
 * depth_limit_interleaved and interleaved_chain.
 */
TEST_F(iobmd_interleaved, interleaved_pieces)
{
	__u8 *model = malloc(PAGE_SIZE), back[64];
	__u32 a, b, c, buf, s, mu;
	struct iobmd_info info;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &buf);
	test_fill_desc(buf, PAGE_SIZE, 90);
	iobmd_fill_pattern(model, PAGE_SIZE, 0, 90);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &a);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &b);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &c);
	test_ioctl_interleaved_set(a, buf, 0, 10);
	test_ioctl_interleaved_set(b, buf, 100, 20);
	/* a takes b twice: a reads buf 0-9, 105-119, 100-104. */
	test_ioctl_interleaved_set(a, b, 5, 15);
	test_ioctl_interleaved_set(a, b, 0, 5);
	test_ioctl_get_info(a, &info);
	ASSERT_EQ(30, info.length);
	test_ioctl_read(a, 0, back, 30);
	ASSERT_EQ(0, memcmp(back, model, 10));
	ASSERT_EQ(0, memcmp(back + 10, model + 105, 15));
	ASSERT_EQ(0, memcmp(back + 25, model + 100, 5));
	memset(back, 0x42, 3);
	test_ioctl_write(a, 24, back, 3);
	memset(model + 119, 0x42, 1);
	memset(model + 100, 0x42, 2);
	test_check_desc(buf, model, PAGE_SIZE);

	/* Cycles: b takes a (which holds b), a takes itself. */
	test_err_interleaved_set(ELOOP, b, a, 0, 10);
	test_err_interleaved_set(ELOOP, a, a, 0, 10);
	test_ioctl_sub_create(a, IOBMD_DIRECTION_INOUT, 0, 10, &s);
	test_err_interleaved_set(ELOOP, b, s, 0, 10);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, &a, 1, &mu);
	test_err_interleaved_set(ELOOP, b, mu, 0, 10);
	/* No cycle: c takes a sub of a and a multi of a. */
	test_ioctl_interleaved_set(c, s, 0, 10);
	test_ioctl_interleaved_set(c, mu, 10, 20);
	test_ioctl_read(c, 0, back, 30);
	ASSERT_EQ(0, memcmp(back, model, 10));
	ASSERT_EQ(0, memcmp(back + 10, model + 105, 15));
	ASSERT_EQ(0, memcmp(back + 25, model + 100, 5));
	test_ioctl_get_info(b, &info);
	ASSERT_EQ(20, info.length);

	/* Prepared through a, b's pieces stay put; cleared, a reads short. */
	test_ioctl_prepare(a, 0);
	test_err_interleaved_set(EBUSY, b, buf, 0, 1);
	test_err_interleaved_clear(EBUSY, b, 0);
	test_ioctl_complete(a, 0);
	test_ioctl_interleaved_clear(b, 0);
	test_ioctl_read_short(a, 0, back, 30, 10);
	test_ioctl_read_short(a, 10, back, 20, 0);
	test_ioctl_interleaved_set(b, buf, 200, 20);
	test_ioctl_read(a, 0, back, 30);
	ASSERT_EQ(0, memcmp(back + 10, model + 205, 15));

	test_ioctl_release(c);
	test_ioctl_release(s);
	test_ioctl_release(mu);
	test_ioctl_release(b);
	test_ioctl_release(a);
	test_ioctl_release(buf);
	free(model);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd descriptors built on descriptors: a sub of a multi of an
 * interleaved of a general descriptor and other mixes, with the data right
 * at every level, byte granular, in both directions; prepare and mappings
 * through every level; and the depth limit (8 levels; an interleaved
 * descriptor is depth 5, or 1 + its deepest piece, and deepens only while
 * nothing is built on it), ELOOP beyond.
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_nesting)
{
	int fd;
};

FIXTURE_SETUP(iobmd_nesting)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_nesting)
{
	if (self->fd != -1)
		close(self->fd);
}

/*
 * sub(multi(interleaved(general, buffer), buffer)): the model of each
 * level comes from the one below.
 */
TEST_F(iobmd_nesting, sub_multi_interleaved_general)
{
	__u8 *area = iobmd_user_area(4, 150);
	__u64 ilen, mlen, slen, soff, edges[8];
	__u32 g, b0, b1, il, m, s, pieces[2];
	__u8 *bm0 = malloc(3 * PAGE_SIZE), *bm1 = malloc(2 * PAGE_SIZE + 33);
	__u8 *mmodel, *smodel;
	struct iobmd_info info;

	ASSERT_NE(NULL, area);
	ASSERT_NE(NULL, bm0);
	ASSERT_NE(NULL, bm1);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area + 10,
				 3 * PAGE_SIZE, &g);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE, 0, &b0);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE + 33, 1,
			      &b1);
	test_fill_desc(b0, 3 * PAGE_SIZE, 151);
	test_fill_desc(b1, 2 * PAGE_SIZE + 33, 152);
	iobmd_fill_pattern(bm0, 3 * PAGE_SIZE, 0, 151);

	/* interleaved: general bytes [100, 100 + 2P), b0 bytes [1, 1 + P) */
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &il);
	test_ioctl_interleaved_set(il, g, 100, 2 * PAGE_SIZE);
	test_ioctl_interleaved_set(il, b0, 1, PAGE_SIZE);
	ilen = 3 * PAGE_SIZE;
	/* multi: interleaved, then b1 */
	pieces[0] = il;
	pieces[1] = b1;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	mlen = ilen + 2 * PAGE_SIZE + 33;
	test_ioctl_get_info(m, &info);
	ASSERT_EQ(mlen, info.length);
	/* sub: from inside the general's part to inside b1 */
	soff = PAGE_SIZE + 7;
	slen = mlen - soff - 20;
	test_ioctl_sub_create(m, IOBMD_DIRECTION_INOUT, soff, slen, &s);

	mmodel = malloc(mlen);
	ASSERT_NE(NULL, mmodel);
	memcpy(mmodel, area + 10 + 100, 2 * PAGE_SIZE);
	memcpy(mmodel + 2 * PAGE_SIZE, bm0 + 1, PAGE_SIZE);
	iobmd_fill_pattern(mmodel + ilen, 2 * PAGE_SIZE + 33, 0, 152);
	test_check_desc(il, mmodel, ilen);
	test_check_desc(m, mmodel, mlen);
	smodel = mmodel + soff;
	test_check_desc(s, smodel, slen);

	/* Every boundary of every level, seen from the top. */
	edges[0] = 2 * PAGE_SIZE - soff;	/* general | b0 */
	edges[1] = ilen - soff;			/* interleaved | b1 */
	edges[2] = PAGE_SIZE - soff % PAGE_SIZE;
	edges[3] = slen - 1;
	edges[4] = 0;
	iobmd_rw_model(_metadata, self->fd, s, smodel, slen, edges, 5, 300,
		       153);
	/* Each level below agrees, down to the process's memory. */
	test_check_desc(m, mmodel, mlen);
	test_check_desc(il, mmodel, ilen);
	ASSERT_EQ(0, memcmp(area + 110, mmodel, 2 * PAGE_SIZE));
	test_ioctl_read(b0, 1, bm0, PAGE_SIZE);
	ASSERT_EQ(0, memcmp(bm0, mmodel + 2 * PAGE_SIZE, PAGE_SIZE));
	test_ioctl_read(b1, 0, bm1, 2 * PAGE_SIZE + 33);
	ASSERT_EQ(0, memcmp(bm1, mmodel + ilen, 2 * PAGE_SIZE + 33));
	/* From the bottom up: the process's stores show at the top. */
	area[110 + soff] = ~area[110 + soff];
	smodel[0] = area[110 + soff];
	test_check_desc(s, smodel, slen);

	/* prepare() at the top pins the user memory at the bottom. */
	test_ioctl_prepare(s, 0);
	ASSERT_EQ(4 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	{
		struct iobmd_segment *segs;
		__u64 sum = 0;
		__u32 n, i;

		/* Wired, mapped for no device: no DMA segments. */
		ASSERT_EQ(true, test_is_prepared(s));
		test_get_all_segments(s, 0, 0, &segs, &n);
		for (i = 0; i != n; i++)
			sum += segs[i].len;
		ASSERT_EQ(slen, sum);
		free(segs);
		/* Every level beneath is prepared. */
		ASSERT_EQ(true, test_is_prepared(m));
		ASSERT_EQ(true, test_is_prepared(il));
		ASSERT_EQ(true, test_is_prepared(g));
		test_get_all_segments(g, 0, 0, &segs, &n);
		free(segs);
	}
	test_err_interleaved_clear(EBUSY, il, 0);
	test_ioctl_complete(s, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(false, test_is_prepared(g));
	ASSERT_EQ(false, test_is_prepared(m));

	test_ioctl_release(s);
	test_ioctl_release(m);
	test_ioctl_release(il);
	test_ioctl_release(b1);
	test_ioctl_release(b0);
	test_ioctl_release(g);
	free(mmodel);
	free(bm0);
	free(bm1);
	munmap(area, 4 * PAGE_SIZE);
}

/*
 * interleaved(sub(multi(general, physical general)), sub(buffer)) and
 * multi(sub(interleaved), buffer): other mixes, with mappings.
 */
TEST_F(iobmd_nesting, other_mixes)
{
	__u8 *area = iobmd_user_area(2, 160);
	__u32 g, b, b2, pg, m1, s1, s2, il, s3, m2, pieces[2];
	struct iobmd_segment *bsegs;
	struct iobmd_range pr;
	__u64 edges[4], len;
	struct iobmd_map mp;
	__u8 *bm = malloc(4 * PAGE_SIZE), *bm2 = malloc(PAGE_SIZE);
	__u8 *model, *p;
	__u32 nb;

	IOBMD_NEED_PHYS_RAM();

	ASSERT_NE(NULL, area);
	ASSERT_NE(NULL, bm);
	ASSERT_NE(NULL, bm2);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area, 2 * PAGE_SIZE,
				 &g);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	test_fill_desc(b, 4 * PAGE_SIZE, 161);
	iobmd_fill_pattern(bm, 4 * PAGE_SIZE, 0, 161);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b2);
	test_fill_desc(b2, PAGE_SIZE, 163);
	iobmd_fill_pattern(bm2, PAGE_SIZE, 0, 163);
	/*
	 * b2's page, described by physical address (not b's: prepared
	 * together, a page would be mapped for DMA twice, which the DMA API
	 * does not allow)
	 */
	test_get_all_segments(b2, 0, PAGE_SIZE, &bsegs, &nb);
	ASSERT_EQ(1, nb);
	pr = (struct iobmd_range){ bsegs[0].addr, PAGE_SIZE };
	free(bsegs);
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &pr, 1, &pg);

	pieces[0] = g;
	pieces[1] = pg;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m1);
	test_ioctl_sub_create(m1, IOBMD_DIRECTION_INOUT, PAGE_SIZE,
			      2 * PAGE_SIZE, &s1);	/* g page 1, b2 */
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE, &s2);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il);
	test_ioctl_interleaved_set(il, s1, 0, 2 * PAGE_SIZE);
	test_ioctl_interleaved_set(il, s2, 0, PAGE_SIZE);
	len = 3 * PAGE_SIZE;
	model = malloc(len);
	ASSERT_NE(NULL, model);
	memcpy(model, area + PAGE_SIZE, PAGE_SIZE);
	memcpy(model + PAGE_SIZE, bm2, PAGE_SIZE);
	memcpy(model + 2 * PAGE_SIZE, bm, PAGE_SIZE);
	test_check_desc(il, model, len);
	edges[0] = PAGE_SIZE;
	edges[1] = 2 * PAGE_SIZE;
	edges[2] = len - 1;
	iobmd_rw_model(_metadata, self->fd, il, model, len, edges, 3, 200,
		       162);
	ASSERT_EQ(0, memcmp(area + PAGE_SIZE, model, PAGE_SIZE));
	test_ioctl_read(b, 0, bm, 4 * PAGE_SIZE);
	test_ioctl_read(b2, 0, bm2, PAGE_SIZE);
	ASSERT_EQ(0, memcmp(bm2, model + PAGE_SIZE, PAGE_SIZE));
	ASSERT_EQ(0, memcmp(bm, model + 2 * PAGE_SIZE, PAGE_SIZE));

	/* User memory beneath: the mapping needs a prepare. */
	test_err_map(ENODATA, il, 0, 0, 0);
	test_ioctl_prepare(il, 0);
	test_ioctl_map_full(il, 0, 0, 0, &mp);
	ASSERT_EQ(0, mp.addr_offset);
	ASSERT_EQ(len, mp.extent);
	p = iobmd_mmap(self->fd, mp.cookie, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p, model, len));
	p[0] = 0x01;
	p[PAGE_SIZE] = 0x02;
	p[2 * PAGE_SIZE] = 0x03;
	ASSERT_EQ(0x01, area[PAGE_SIZE]);
	test_ioctl_read(b2, 0, bm, 1);
	ASSERT_EQ(0x02, bm[0]);
	test_ioctl_read(b, 0, bm, 1);
	ASSERT_EQ(0x03, bm[0]);
	test_ioctl_complete(il, 0);
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));

	/* multi(sub(interleaved), buffer) */
	test_ioctl_sub_create(il, IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE - 5, 10,
			      &s3);
	pieces[0] = s3;
	pieces[1] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m2);
	{
		__u8 back[12];

		test_ioctl_read(il, 2 * PAGE_SIZE - 5, model, 10);
		test_ioctl_read(b, 0, model + 10, 2);
		test_ioctl_read(m2, 0, back, 12);
		ASSERT_EQ(0, memcmp(model, back, 12));
	}
	test_ioctl_release(m2);
	test_ioctl_release(s3);
	test_ioctl_release(il);
	test_ioctl_release(s2);
	test_ioctl_release(s1);
	test_ioctl_release(m1);
	test_ioctl_release(pg);
	test_ioctl_release(b2);
	test_ioctl_release(b);
	test_ioctl_release(g);
	free(model);
	free(bm2);
	free(bm);
	munmap(area, 2 * PAGE_SIZE);
}

#define IOBMD_TEST_MAX_DEPTH 8

/* Subs on subs: 8 levels, then ELOOP; a multi adds a level too. */
TEST_F(iobmd_nesting, depth_limit_sub_multi)
{
	__u32 h[IOBMD_TEST_MAX_DEPTH + 1], m;
	long long before;
	__u8 v = 0x6d, back;
	int depth;

	/* h[1] has depth 1, h[k] depth k. */
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[1]);
	for (depth = 2; depth <= IOBMD_TEST_MAX_DEPTH; depth++)
		test_ioctl_sub_create(h[depth - 1], IOBMD_DIRECTION_INOUT, 1,
				      PAGE_SIZE - depth, &h[depth]);
	before = iobmd_stat("descriptors");
	test_err_sub_create(ELOOP, h[IOBMD_TEST_MAX_DEPTH],
			    IOBMD_DIRECTION_INOUT, 0, 1);
	test_err_multi_create(ELOOP, 0, &h[IOBMD_TEST_MAX_DEPTH], 1);
	{
		__u32 pair[2] = { h[1], h[IOBMD_TEST_MAX_DEPTH] };

		/* The deepest piece counts. */
		test_err_multi_create(ELOOP, 0, pair, 2);
	}
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	/* One level less leaves room for one more. */
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT,
				&h[IOBMD_TEST_MAX_DEPTH - 1], 1, &m);
	test_err_sub_create(ELOOP, m, 0, 0, 1);
	test_err_multi_create(ELOOP, 0, &m, 1);

	/* The deepest level still reaches the buffer: offsets add up. */
	test_ioctl_write(h[IOBMD_TEST_MAX_DEPTH], 0, &v, 1);
	test_ioctl_read(h[1], IOBMD_TEST_MAX_DEPTH - 1, &back, 1);
	ASSERT_EQ(v, back);
	test_ioctl_read(m, IOBMD_TEST_MAX_DEPTH - 1 - (IOBMD_TEST_MAX_DEPTH - 2),
			&back, 1);
	ASSERT_EQ(v, back);
	test_ioctl_prepare(h[IOBMD_TEST_MAX_DEPTH], 0);
	test_ioctl_prepare(m, 0);
	test_ioctl_release(m);
	for (depth = IOBMD_TEST_MAX_DEPTH; depth >= 1; depth--)
		test_ioctl_release(h[depth]);
}

/*
 * An interleaved descriptor is depth 5, or 1 + its deepest piece: pieces
 * up to depth 4 always go in, deeper ones (up to 7, interleaved ones too)
 * only while nothing is built on it, and subs or multis fit above it up
 * to depth 8.  Each boundary: N goes in, N + 1 is ELOOP.
 */
TEST_F(iobmd_nesting, depth_limit_interleaved)
{
	__u32 h[IOBMD_TEST_MAX_DEPTH + 1], il, il2, m4, m5, top[4], g, dev;
	__u8 *area = iobmd_user_area(1, 170);
	struct iobmd_info info;
	int depth;

	ASSERT_NE(NULL, area);
	/* h[k] is depth k, a window of the buffer from byte 0. */
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[1]);
	test_fill_desc(h[1], PAGE_SIZE, 171);
	for (depth = 2; depth <= IOBMD_TEST_MAX_DEPTH; depth++)
		test_ioctl_sub_create(h[depth - 1], IOBMD_DIRECTION_INOUT, 0,
				      PAGE_SIZE, &h[depth]);
	/* Room for the visits of the pieces added while it is held. */
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 16, &il);
	/* Depth 4 goes in; so do depth-1 kinds of every sort. */
	test_ioctl_interleaved_set(il, h[4], 0, 10);
	test_ioctl_interleaved_set(il, h[1], 0, 10);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area, PAGE_SIZE, &g);
	test_ioctl_interleaved_set(il, g, 0, 10);
	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, PAGE_SIZE, &dev);
	test_ioctl_interleaved_set(il, dev, 0, 10);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, &h[3], 1, &m4);
	test_ioctl_interleaved_set(il, m4, 0, 10);	/* multi of depth 4 */

	/* Held by a sub (depth 6), it takes no piece of depth 5 or more. */
	test_ioctl_sub_create(il, IOBMD_DIRECTION_INOUT, 0, 50, &top[0]);
	test_err_interleaved_set(ELOOP, il, h[5], 0, 10);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, &h[4], 1, &m5);
	test_err_interleaved_set(ELOOP, il, m5, 0, 10);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &il2);
	test_ioctl_interleaved_set(il2, h[1], 0, 10);
	test_err_interleaved_set(ELOOP, il, il2, 0, 10);
	test_err_interleaved_set(ELOOP, il, il, 0, 10);
	test_err_interleaved_set(ELOOP, il, top[0], 0, 10);
	test_ioctl_interleaved_set(il, h[4], 10, 10);	/* 4 still goes in */
	test_ioctl_get_info(il, &info);
	ASSERT_EQ(60, info.length);
	test_ioctl_release(top[0]);

	/* Held by nothing: depth 7 goes in (il is 8 then), depth 8 not. */
	test_err_interleaved_set(ELOOP, il, h[8], 0, 10);
	test_ioctl_interleaved_set(il, h[7], 0, 10);
	test_err_sub_create(ELOOP, il, IOBMD_DIRECTION_INOUT, 0, 1);
	test_err_multi_create(ELOOP, IOBMD_DIRECTION_INOUT, &il, 1);
	{
		__u32 il3;

		test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &il3);
		test_err_interleaved_set(ELOOP, il3, il, 0, 10);
		test_ioctl_release(il3);
	}
	/* Cleared, and held by nothing: depth 5 again. */
	test_ioctl_interleaved_clear(il, 0);
	test_ioctl_interleaved_set(il, h[4], 0, 10);
	test_ioctl_interleaved_set(il, h[1], 0, 10);
	test_ioctl_interleaved_set(il, g, 0, 10);
	test_ioctl_interleaved_set(il, dev, 0, 10);
	test_ioctl_interleaved_set(il, m4, 0, 10);

	/* Above it: 6, 7, 8, then no more. */
	test_ioctl_sub_create(il, IOBMD_DIRECTION_INOUT, 0, 50, &top[0]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, &top[0], 1, &top[1]);
	test_ioctl_sub_create(top[1], IOBMD_DIRECTION_INOUT, 5, 40, &top[2]);
	test_err_sub_create(ELOOP, top[2], IOBMD_DIRECTION_INOUT, 0, 1);
	test_err_multi_create(ELOOP, IOBMD_DIRECTION_INOUT, &top[2], 1);
	/* A multi of interleaved descriptors is depth 6 too. */
	{
		__u32 pair[2] = { il, il2 };

		test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2,
					&top[3]);
		test_ioctl_release(top[3]);
	}
	/* The top reads through all of it: byte 5 of the general piece. */
	{
		__u8 back;

		test_ioctl_read(top[2], 20 + 5 - 5, &back, 1);
		ASSERT_EQ(area[5], back);
	}
	test_ioctl_release(top[2]);
	test_ioctl_release(top[1]);
	test_ioctl_release(top[0]);
	test_ioctl_release(il2);
	test_ioctl_release(il);
	test_ioctl_release(m5);
	test_ioctl_release(m4);
	test_ioctl_release(dev);
	test_ioctl_release(g);
	for (depth = IOBMD_TEST_MAX_DEPTH; depth >= 1; depth--)
		test_ioctl_release(h[depth]);
	munmap(area, PAGE_SIZE);
}

/*
 * Interleaved descriptors in interleaved descriptors: each level is one
 * deeper, 5, 6, 7, 8, and the ninth is ELOOP; the deepest reads through
 * every level to the buffer.
 */
TEST_F(iobmd_nesting, interleaved_chain)
{
	__u8 *model = malloc(PAGE_SIZE), back[16];
	__u32 b, il[5], s;
	int i;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_fill_desc(b, PAGE_SIZE, 172);
	iobmd_fill_pattern(model, PAGE_SIZE, 0, 172);
	for (i = 0; i < 5; i++)
		test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il[i]);
	/* il[0] is depth 5, il[i] 5 + i: a piece of il[i - 1] from byte 1. */
	test_ioctl_interleaved_set(il[0], b, 100, 64);
	for (i = 1; i < 4; i++)
		test_ioctl_interleaved_set(il[i], il[i - 1], 1, 64 - i);
	test_err_interleaved_set(ELOOP, il[4], il[3], 0, 1);
	test_err_sub_create(ELOOP, il[3], IOBMD_DIRECTION_INOUT, 0, 1);
	test_err_multi_create(ELOOP, IOBMD_DIRECTION_INOUT, &il[3], 1);
	/* il[2] (depth 7) still has room for one level above it. */
	test_ioctl_sub_create(il[2], IOBMD_DIRECTION_INOUT, 0, 8, &s);
	test_ioctl_read(il[3], 0, back, sizeof(back));
	ASSERT_EQ(0, memcmp(back, model + 100 + 3, sizeof(back)));
	test_ioctl_read(s, 0, back, 8);
	ASSERT_EQ(0, memcmp(back, model + 100 + 2, 8));
	/* Writes go all the way down. */
	memset(back, 0x77, sizeof(back));
	test_ioctl_write(il[3], 4, back, 4);
	memset(model + 100 + 3 + 4, 0x77, 4);
	test_check_desc(b, model, PAGE_SIZE);
	test_ioctl_release(s);
	for (i = 4; i >= 0; i--)
		test_ioctl_release(il[i]);
	test_ioctl_release(b);
	free(model);
}

/* Every level holds the ones below: release them all, bottom first. */
TEST_F(iobmd_nesting, levels_hold_levels)
{
	__u8 *area = iobmd_user_area(2, 180);
	__u32 g, b, il, m, s, pieces[2];
	long long before = iobmd_stat("descriptors");
	__u8 model[64], back[64];

	ASSERT_NE(NULL, area);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area, 2 * PAGE_SIZE,
				 &g);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_fill_desc(b, PAGE_SIZE, 181);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il);
	test_ioctl_interleaved_set(il, g, PAGE_SIZE - 32, 32);
	test_ioctl_interleaved_set(il, b, 0, 32);
	pieces[0] = il;
	pieces[1] = il;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	test_ioctl_sub_create(m, IOBMD_DIRECTION_INOUT, 32, 64, &s);
	memcpy(model, area + PAGE_SIZE - 32, 32);
	iobmd_fill_pattern(model + 32, 32, 0, 181);

	test_ioctl_release(g);
	test_ioctl_release(b);
	test_ioctl_release(il);
	test_ioctl_release(m);
	ASSERT_EQ(before + 5, iobmd_stat("descriptors"));
	/* s = multi bytes 32..95: b's 32 bytes, then il's first 32 again */
	test_ioctl_read(s, 0, back, 64);
	ASSERT_EQ(0, memcmp(back, model + 32, 32));
	ASSERT_EQ(0, memcmp(back + 32, model, 32));
	back[40] = 0x11;
	test_ioctl_write(s, 40, back + 40, 1);
	ASSERT_EQ(0x11, area[PAGE_SIZE - 32 + 8]);
	test_ioctl_prepare(s, 0);
	ASSERT_EQ(2 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	/* The last handle goes: everything goes, prepares completed. */
	test_ioctl_release(s);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	munmap(area, 2 * PAGE_SIZE);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd prepare() and complete(), DMA segments and performOperation():
 * prepares nest per handle, COMPLETE needs one outstanding on the handle,
 * DMA segments exist only while prepared, IOBMD_PREPARE_PHYS32 puts them
 * below 4 GiB (bouncing pages above it), a second prepare for the other
 * DMA range is EBUSY, releasing a handle or closing the file completes
 * what it left, and IOBMD_PERFORM moves data between the CPU and the
 * device's view.  Needs root, and RAM above 4 GiB (the test VM has 6 GiB).
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_prepare)
{
	int fd;
};

FIXTURE_SETUP(iobmd_prepare)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_prepare)
{
	if (self->fd != -1)
		close(self->fd);
}

#define PREPARE_KNOWN (IOBMD_DIRECTION_MASK | IOBMD_PREPARE_PHYS32 |         \
		       IOBMD_PREPARE_NO_FAULT | IOBMD_PREPARE_NON_COHERENT)
#define COMPLETE_KNOWN (IOBMD_DIRECTION_MASK | IOBMD_COMPLETE_WITH_ERROR |   \
			IOBMD_COMPLETE_WITH_DATA_VALID)

/* Whether DMA segments of @h can be had, i.e. it is prepared. */
static bool is_prepared(int fd, __u32 h)
{
	struct iobmd_segment seg;
	__u32 count = 1;

	return !_test_ioctl_get_segments_flags(fd, h, IOBMD_SEGMENTS_DMA, 0, 0,
					       &seg, &count, NULL);
}

TEST_F(iobmd_prepare, nesting)
{
	__u32 b;
	int i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	ASSERT_EQ(false, is_prepared(self->fd, b));
	for (i = 0; i != 5; i++)
		test_ioctl_prepare(b, 0);
	for (i = 0; i != 4; i++) {
		test_ioctl_complete(b, 0);
		ASSERT_EQ(true, is_prepared(self->fd, b)) TH_LOG("%d", i);
	}
	test_ioctl_complete(b, 0);
	ASSERT_EQ(false, is_prepared(self->fd, b));
	test_err_complete(EINVAL, b, 0);
	/* Again after it came back to 0. */
	test_ioctl_prepare(b, IOBMD_DIRECTION_INOUT);
	test_ioctl_prepare(b, IOBMD_DIRECTION_IN);
	test_ioctl_complete(b, IOBMD_COMPLETE_WITH_ERROR);
	test_ioctl_complete(b, IOBMD_COMPLETE_WITH_DATA_VALID |
			       IOBMD_DIRECTION_INOUT);
	test_err_complete(EINVAL, b, 0);
	ASSERT_EQ(false, is_prepared(self->fd, b));
	test_ioctl_release(b);
}

/*
 * Prepares nest IOBMD_PREPARE_MAX deep and no deeper: the count cannot
 * wrap and let go of memory still prepared.  The refused one changes
 * nothing, and a descriptor built on it cannot prepare it further either;
 * its segments can still be had.
 */
TEST_F_TIMEOUT(iobmd_prepare, nesting_limit, 300)
{
	struct iobmd_segment seg;
	__u32 b, sub, count;
	int i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_ioctl_sub_create(b, 0, 0, PAGE_SIZE, &sub);
	for (i = 0; i != IOBMD_PREPARE_MAX; i++)
		ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_PREPARE, b, 0))
			TH_LOG("prepare %d: %s", i, strerror(errno));
	test_err_prepare(EOVERFLOW, b, 0);
	test_err_prepare(EOVERFLOW, sub, 0);
	count = 1;
	ASSERT_EQ(0, _test_ioctl_get_segments_flags(self->fd, b,
						    IOBMD_SEGMENTS_DMA, 0, 0,
						    &seg, &count, NULL));
	ASSERT_EQ(1, count);
	/* Room for one: the sub's prepare takes it. */
	test_ioctl_complete(b, 0);
	test_ioctl_prepare(sub, 0);
	test_err_prepare(EOVERFLOW, b, 0);
	test_ioctl_complete(sub, 0);
	for (i = 0; i != IOBMD_PREPARE_MAX - 1; i++)
		ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_COMPLETE, b,
						 0));
	ASSERT_EQ(false, is_prepared(self->fd, b));
	test_err_complete(EINVAL, b, 0);
	test_ioctl_release(sub);
	test_ioctl_release(b);
}

TEST_F(iobmd_prepare, bits_and_handles)
{
	__u32 b, s;
	int i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, 0, 10, &s);
	for (i = 0; i != 32; i++) {
		if (!(PREPARE_KNOWN & (1U << i)))
			test_err_prepare(EINVAL, b, 1U << i);
	}
	ASSERT_EQ(false, is_prepared(self->fd, b));
	/* Every known modifier is accepted. */
	test_ioctl_prepare(b, IOBMD_PREPARE_NO_FAULT |
			      IOBMD_PREPARE_NON_COHERENT |
			      IOBMD_DIRECTION_INOUT);
	for (i = 0; i != 32; i++) {
		if (!(COMPLETE_KNOWN & (1U << i)))
			test_err_complete(EINVAL, b, 1U << i);
	}
	ASSERT_EQ(true, is_prepared(self->fd, b));

	/* A handle completes only what it prepared. */
	test_err_complete(EINVAL, s, 0);
	test_ioctl_prepare(s, 0);
	test_ioctl_complete(b, 0);
	test_err_complete(EINVAL, b, 0);
	/* The parent stays prepared for the sub. */
	ASSERT_EQ(true, is_prepared(self->fd, b));
	test_ioctl_complete(s, 0);
	ASSERT_EQ(false, is_prepared(self->fd, b));
	test_err_complete(EINVAL, s, 0);

	test_err_prepare(ENOENT, b + 1000, 0);
	test_err_complete(ENOENT, b + 1000, 0);
	test_err_prepare(ENOENT, 0, 0);
	test_ioctl_release(s);
	test_ioctl_release(b);
	test_err_prepare(ENOENT, b, 0);
	test_err_complete(ENOENT, b, 0);
}

/* DMA segments exist only while prepared, for every kind. */
TEST_F(iobmd_prepare, dma_segments_need_prepare)
{
	__u8 *a = iobmd_user_area(2, 200);
	struct iobmd_segment *segs;
	__u32 h[7], pair[2], n, i, k;
	struct iobmd_range pr;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE, 0, &h[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 3 * PAGE_SIZE,
			      0, &h[1]);
	test_ioctl_sub_create(h[0], IOBMD_DIRECTION_INOUT, 5, 100, &h[2]);
	pair[0] = h[0];
	pair[1] = h[1];
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &h[3]);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &h[4]);
	test_ioctl_interleaved_set(h[4], h[1], 1, 2 * PAGE_SIZE);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 3, PAGE_SIZE, &h[5]);
	test_get_all_segments(h[0], 0, PAGE_SIZE, &segs, &n);
	pr = (struct iobmd_range){ segs[0].addr + 1, 50 };
	free(segs);
	test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &pr, 1, &h[6]);

	for (k = 0; k != 7; k++) {
		struct iobmd_info info;
		__u64 sum = 0;

		test_err_get_dma_segments(ENODATA, h[k], 0, 0);
		test_ioctl_prepare(h[k], 0);
		test_get_dma_segments(h[k], 0, 0, &segs, &n);
		for (i = 0; i != n; i++)
			sum += segs[i].len;
		test_ioctl_get_info(h[k], &info);
		ASSERT_EQ(info.length, sum) TH_LOG("kind %u", info.kind);
		free(segs);
		/* Ranges: ERANGE outside the length. */
		{
			__u32 count = 1;
			struct iobmd_segment seg;

			EXPECT_ERRNO(ERANGE, _test_ioctl_get_segments_flags(
						     self->fd, h[k],
						     IOBMD_SEGMENTS_DMA,
						     info.length, 0, &seg,
						     &count, NULL));
		}
		test_ioctl_complete(h[k], 0);
		test_err_get_dma_segments(ENODATA, h[k], 0, 0);
	}
	for (k = 7; k != 0; k--)
		test_ioctl_release(h[k - 1]);
	munmap(a, 2 * PAGE_SIZE);
}

/*
 * Prepared for the 64-bit range, DMA addresses are the physical ones
 * (no IOMMU here); a contiguous buffer is one segment.
 */
TEST_F(iobmd_prepare, dma_segments_64bit)
{
	struct iobmd_segment *ps, *ds;
	__u32 b, c, pn, dn;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 64 * PAGE_SIZE + 9, 1, &b);
	test_ioctl_prepare(b, 0);
	test_get_all_segments(b, 0, 0, &ps, &pn);
	test_get_dma_segments(b, 0, 0, &ds, &dn);
	ASSERT_EQ(pn, dn);
	ASSERT_EQ(0, memcmp(ps, ds, pn * sizeof(*ps)));
	free(ps);
	free(ds);
	/* A range of it. */
	test_get_all_segments(b, PAGE_SIZE + 3, 5 * PAGE_SIZE, &ps, &pn);
	test_get_dma_segments(b, PAGE_SIZE + 3, 5 * PAGE_SIZE, &ds, &dn);
	ASSERT_EQ(pn, dn);
	ASSERT_EQ(0, memcmp(ps, ds, pn * sizeof(*ps)));
	free(ps);
	free(ds);
	test_ioctl_release(b);

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 16 * PAGE_SIZE,
			      0, &c);
	test_ioctl_prepare(c, 0);
	test_get_all_segments(c, 0, 0, &ps, &pn);
	test_get_dma_segments(c, 0, 0, &ds, &dn);
	ASSERT_EQ(1, dn);
	ASSERT_EQ(16 * PAGE_SIZE, ds[0].len);
	ASSERT_EQ(ps[0].addr, ds[0].addr);
	free(ps);
	free(ds);
	test_ioctl_complete(c, 0);
	test_ioctl_release(c);
}

/* Some segment of @h lies above 4 GiB. */
static bool has_high_page(struct __test_metadata *_metadata, int fd, __u32 h)
{
	struct iobmd_segment *segs;
	bool high = false;
	__u32 n, i;

	if (_test_get_all_segments(fd, h, 0, 0, &segs, &n))
		return false;
	for (i = 0; i != n; i++)
		if (segs[i].addr + segs[i].len > SZ_4G)
			high = true;
	free(segs);
	return high;
}

/*
 * IOBMD_PREPARE_PHYS32 puts the DMA segments below 4 GiB, bouncing pages
 * above it; IOBMD_PERFORM moves the data between the bounce pages (what a
 * device sees, read and written here through a physical-address general
 * descriptor) and the buffer.
 */
TEST_F(iobmd_prepare, phys32_bounce)
{
	const __u64 sizes[] = { 16 * PAGE_SIZE, SZ_4M };
	size_t k;

	for (k = 0; k != ARRAY_SIZE(sizes); k++) {
		__u64 len = sizes[k];
		__u8 *model = malloc(len), *dev = malloc(len);
		struct iobmd_segment *segs;
		struct iobmd_range *r;
		__u32 b, g, n, i;
		__u64 sum = 0;

		ASSERT_NE(NULL, model);
		ASSERT_NE(NULL, dev);
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &b);
		ASSERT_EQ(true, has_high_page(_metadata, self->fd, b))
			TH_LOG("no page of the buffer above 4 GiB");
		iobmd_fill_pattern(model, len, 0, 201 + k);
		test_ioctl_write(b, 0, model, len);

		test_ioctl_prepare(b, IOBMD_PREPARE_PHYS32);
		test_get_dma_segments(b, 0, 0, &segs, &n);
		r = calloc(n, sizeof(*r));
		ASSERT_NE(NULL, r);
		for (i = 0; i != n; i++) {
			ASSERT_GE(SZ_4G, segs[i].addr + segs[i].len)
				TH_LOG("segment %u: 0x%llx + 0x%llx", i,
				       segs[i].addr, segs[i].len);
			r[i] = (struct iobmd_range){ segs[i].addr,
						     segs[i].len };
			sum += segs[i].len;
		}
		ASSERT_EQ(len, sum);
		/* What the device sees: the buffer, copied at prepare. */
		test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, r, n, &g);
		test_check_desc(g, model, len);

		/* The device writes; INVALIDATE hands it to the CPU. */
		iobmd_fill_pattern(dev, len, 0, 211 + k);
		test_ioctl_write(g, 0, dev, len);
		test_ioctl_perform(b, IOBMD_OP_INVALIDATE, 0, len);
		test_check_desc(b, dev, len);
		/* The CPU writes a range; FLUSH hands it to the device. */
		iobmd_fill_pattern(model, len, 0, 221 + k);
		test_ioctl_write(b, PAGE_SIZE + 5, model, 100);
		memcpy(dev + PAGE_SIZE + 5, model, 100);
		test_ioctl_perform(b, IOBMD_OP_FLUSH, PAGE_SIZE, PAGE_SIZE);
		test_check_desc(g, dev, len);
		/* STORE does the same. */
		test_ioctl_write(b, 0, model, 10);
		memcpy(dev, model, 10);
		test_ioctl_perform(b, IOBMD_OP_STORE, 0, 10);
		test_check_desc(g, dev, len);
		/* The last device write comes back at complete(). */
		dev[len - 1] ^= 0xff;
		test_ioctl_write(g, len - 1, dev + len - 1, 1);
		test_ioctl_release(g);
		test_ioctl_complete(b, 0);
		test_check_desc(b, dev, len);

		test_ioctl_release(b);
		free(r);
		free(segs);
		free(model);
		free(dev);
	}
}

/* User memory above 4 GiB is bounced the same way. */
TEST_F(iobmd_prepare, phys32_general)
{
	const __u64 len = 64 * PAGE_SIZE;
	__u8 *a = iobmd_user_area(64, 230);
	struct iobmd_segment *segs;
	__u32 g, n, i;
	__u64 sum = 0;

	ASSERT_NE(NULL, a);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 1, len - 2, &g);
	test_ioctl_prepare(g, IOBMD_PREPARE_PHYS32);
	ASSERT_EQ(true, has_high_page(_metadata, self->fd, g))
		TH_LOG("no page of the memory above 4 GiB");
	test_get_dma_segments(g, 0, 0, &segs, &n);
	for (i = 0; i != n; i++) {
		ASSERT_GE(SZ_4G, segs[i].addr + segs[i].len);
		sum += segs[i].len;
	}
	ASSERT_EQ(len - 2, sum);
	free(segs);
	test_ioctl_perform(g, IOBMD_OP_INVALIDATE, 0, len - 2);
	test_ioctl_complete(g, 0);
	test_ioctl_release(g);
	munmap(a, len);
}

/*
 * Contiguous memory is not bounced: PHYS32 works when the buffer's mask
 * keeps it below 4 GiB, and is ERANGE otherwise, wherever it lies.
 */
TEST_F(iobmd_prepare, phys32_contiguous)
{
	struct iobmd_segment *segs, *ds;
	__u32 c, m32, n, dn;

	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT |
				   IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				   8 * PAGE_SIZE, 0x00000000FFFFF000ULL, &m32);
	test_ioctl_prepare(m32, IOBMD_PREPARE_PHYS32);
	test_get_all_segments(m32, 0, 0, &segs, &n);
	test_get_dma_segments(m32, 0, 0, &ds, &dn);
	ASSERT_EQ(1, dn);
	ASSERT_EQ(segs[0].addr, ds[0].addr);
	free(segs);
	free(ds);
	test_ioctl_release(m32);

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 8 * PAGE_SIZE,
			      0, &c);
	test_err_prepare(ERANGE, c, IOBMD_PREPARE_PHYS32);
	ASSERT_EQ(false, is_prepared(self->fd, c));
	test_ioctl_prepare(c, 0);
	test_ioctl_complete(c, 0);
	test_ioctl_release(c);
}

/* A physically contiguous buffer of @len with no mask, and where it lies. */
static void contig_at(struct __test_metadata *_metadata, int fd, __u64 len,
		      __u32 *h, __u64 *addr)
{
	struct iobmd_segment *segs;
	__u32 n;

	ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
					    len, 0, 0, NULL, 0, h))
		TH_LOG("contiguous buffer: %s", strerror(errno));
	ASSERT_EQ(0, _test_get_all_segments(fd, *h, 0, 0, &segs, &n));
	ASSERT_EQ(1, n);
	*addr = segs[0].addr;
	free(segs);
}

#define PLACEMENT_FILL	SZ_128M

/*
 * Whether a contiguous buffer can be prepared with PHYS32 tells nothing
 * of where it lies: as uid 65534, two contiguous buffers created alike,
 * one above 4 GiB and one below, give the same answer (ERANGE: their
 * mask does not keep them below 4 GiB).  Memory above 4 GiB is filled
 * with ordinary buffers until a new contiguous one comes from below it.
 */
TEST_F_TIMEOUT(iobmd_prepare, phys32_contiguous_placement, 600)
{
	__u32 fill[128], nfill = 0, c, hi = 0, lo = 0, i;
	bool have_hi = false, have_lo = false;
	int status, p[2];
	__u64 addr;
	pid_t pid;

	while (!have_hi || !have_lo) {
		contig_at(_metadata, self->fd, SZ_64K, &c, &addr);
		if (addr >= SZ_4G && !have_hi) {
			hi = c;
			have_hi = true;
		} else if (addr + SZ_64K <= SZ_4G && !have_lo) {
			lo = c;
			have_lo = true;
		} else {
			/* Kept: freed, its memory would come back next. */
			ASSERT_GT(ARRAY_SIZE(fill), nfill);
			fill[nfill++] = c;
		}
		if (have_lo)
			continue;
		ASSERT_GT(ARRAY_SIZE(fill), nfill)
			TH_LOG("%u buffers, and no contiguous one below 4 GiB",
			       nfill);
		ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0,
						    IOBMD_DIRECTION_INOUT,
						    PLACEMENT_FILL, 0, 0, NULL,
						    0, &fill[nfill]))
			TH_LOG("filler %u: %s", nfill, strerror(errno));
		nfill++;
	}
	TH_LOG("a contiguous buffer below 4 GiB after %u other buffers",
	       nfill);
	for (i = 0; i != nfill; i++)
		test_ioctl_release(fill[i]);

	ASSERT_EQ(0, pipe(p));
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char err[2];

		close(p[0]);
		if (iobmd_drop_root())
			_exit(1);
		err[0] = _test_ioctl_prepare(self->fd, IOBMD_PREPARE, hi,
					     IOBMD_PREPARE_PHYS32) ? errno : 0;
		err[1] = _test_ioctl_prepare(self->fd, IOBMD_PREPARE, lo,
					     IOBMD_PREPARE_PHYS32) ? errno : 0;
		_exit(write(p[1], err, 2) == 2 ? 0 : 2);
	}
	close(p[1]);
	{
		unsigned char err[2] = { 255, 255 };

		ASSERT_EQ(2, read(p[0], err, 2));
		close(p[0]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, status);
		EXPECT_EQ(ERANGE, err[0]) TH_LOG("above 4 GiB: %s",
						 strerror(err[0]));
		EXPECT_EQ(ERANGE, err[1]) TH_LOG("below 4 GiB: %s",
						 strerror(err[1]));
	}
	ASSERT_EQ(false, is_prepared(self->fd, hi));
	ASSERT_EQ(false, is_prepared(self->fd, lo));
	test_ioctl_release(hi);
	test_ioctl_release(lo);
}

/* Whether prepare(@dir) of @h fails with @err and leaves it as it was. */
#define test_nested_refused(err, h, dir, prepared)                          \
	do {                                                                \
		test_err_prepare(err, h, dir);                              \
		ASSERT_EQ(prepared, is_prepared(self->fd, h));              \
	} while (0)

/*
 * A nested prepare must ask for a direction the first prepare covers: a
 * live DMA mapping cannot change direction (a device may be using it),
 * and Out then In would leave the device's writes in bounce pages that
 * complete() never copies back.  It fails with EACCES and changes
 * nothing, for every kind; InOut covers both.
 */
TEST_F(iobmd_prepare, nested_direction)
{
	const __u32 in = IOBMD_DIRECTION_IN, out = IOBMD_DIRECTION_OUT;
	const __u32 inout = IOBMD_DIRECTION_INOUT;
	const __u32 mods[] = { 0, IOBMD_PREPARE_PHYS32 };
	__u8 *a = iobmd_user_area(4, 280);
	__u32 h[4], m, bo, k, j;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(inout, SZ_1M, 0, &h[0]);
	ASSERT_EQ(true, has_high_page(_metadata, self->fd, h[0]))
		TH_LOG("no page of the buffer above 4 GiB (nothing bounces)");
	test_ioctl_buf_create_mask(inout | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				   SZ_64K, 0x00000000FFFFF000ULL, &h[1]);
	test_ioctl_general_range(inout, a, 4 * PAGE_SIZE, &h[2]);
	test_ioctl_multi_create(inout, &h[0], 1, &h[3]);

	for (k = 0; k != ARRAY_SIZE(h); k++) {
		for (j = 0; j != ARRAY_SIZE(mods); j++) {
			__u32 mod = mods[j];

			/* Out, then In: refused (the bug: it was kept Out). */
			test_ioctl_prepare(h[k], out | mod);
			test_nested_refused(EACCES, h[k], in | mod, true);
			test_nested_refused(EACCES, h[k], inout | mod, true);
			test_nested_refused(EACCES, h[k], mod, true);
			test_ioctl_prepare(h[k], out | mod);
			test_ioctl_complete(h[k], 0);
			test_ioctl_complete(h[k], 0);
			test_err_complete(EINVAL, h[k], 0);
			ASSERT_EQ(false, is_prepared(self->fd, h[k]));

			/* In, then Out: refused too. */
			test_ioctl_prepare(h[k], in | mod);
			test_nested_refused(EACCES, h[k], out | mod, true);
			test_ioctl_prepare(h[k], in | mod);
			test_ioctl_complete(h[k], 0);
			test_ioctl_complete(h[k], 0);
			ASSERT_EQ(false, is_prepared(self->fd, h[k]));

			/* InOut covers both. */
			test_ioctl_prepare(h[k], mod);
			test_ioctl_prepare(h[k], in | mod);
			test_ioctl_prepare(h[k], out | mod);
			test_ioctl_prepare(h[k], inout | mod);
			for (m = 0; m != 4; m++)
				test_ioctl_complete(h[k], 0);
			test_err_complete(EINVAL, h[k], 0);
			ASSERT_EQ(false, is_prepared(self->fd, h[k]));
		}
	}

	/* A multi prepared InOut over a buffer prepared Out: refused. */
	test_ioctl_prepare(h[0], out);
	test_nested_refused(EACCES, h[3], 0, false);
	test_ioctl_complete(h[0], 0);
	test_err_complete(EINVAL, h[0], 0);
	/* The other way round: the buffer under a multi prepared In. */
	test_ioctl_prepare(h[3], in);
	test_nested_refused(EACCES, h[0], out, true);
	test_ioctl_complete(h[3], 0);
	ASSERT_EQ(false, is_prepared(self->fd, h[0]));

	/* prepare(None) is the descriptor's own direction. */
	test_ioctl_buf_create(out, PAGE_SIZE, 0, &bo);
	test_ioctl_prepare(bo, 0);
	test_nested_refused(EACCES, bo, in, true);
	test_ioctl_prepare(bo, out);
	test_ioctl_complete(bo, 0);
	test_ioctl_complete(bo, 0);
	ASSERT_EQ(false, is_prepared(self->fd, bo));
	test_ioctl_release(bo);

	for (k = ARRAY_SIZE(h); k != 0; k--)
		test_ioctl_release(h[k - 1]);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, iobmd_stat("prepares"));
	munmap(a, 4 * PAGE_SIZE);
}

/* A descriptor is prepared for one DMA range at a time. */
TEST_F(iobmd_prepare, other_range_busy)
{
	__u8 *a = iobmd_user_area(2, 240);
	__u32 b, g;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	test_ioctl_prepare(b, 0);
	test_err_prepare(EBUSY, b, IOBMD_PREPARE_PHYS32);
	test_err_prepare(EBUSY, b, IOBMD_PREPARE_PHYS32 | IOBMD_DIRECTION_IN);
	test_ioctl_prepare(b, IOBMD_DIRECTION_OUT);
	test_ioctl_complete(b, 0);
	test_ioctl_complete(b, 0);
	test_err_complete(EINVAL, b, 0);
	test_ioctl_prepare(b, IOBMD_PREPARE_PHYS32);
	test_err_prepare(EBUSY, b, 0);
	test_err_prepare(EBUSY, b, IOBMD_DIRECTION_INOUT);
	test_ioctl_prepare(b, IOBMD_PREPARE_PHYS32);
	test_ioctl_complete(b, 0);
	test_ioctl_complete(b, 0);
	test_ioctl_prepare(b, 0);
	test_ioctl_release(b);

	/* User memory: the failed prepare leaves the pin count alone. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, 2 * PAGE_SIZE, &g);
	test_ioctl_prepare(g, IOBMD_PREPARE_PHYS32);
	test_err_prepare(EBUSY, g, 0);
	ASSERT_EQ(2 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_complete(g, 0);
	test_err_complete(EINVAL, g, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(g);
	munmap(a, 2 * PAGE_SIZE);
}

/* Releasing a handle or closing the file completes its prepares. */
TEST_F(iobmd_prepare, release_and_close_complete)
{
	__u8 *a = iobmd_user_area(3, 250);
	__u32 b, s, s2, g;
	int fd2;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE, &s);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, PAGE_SIZE, PAGE_SIZE,
			      &s2);
	test_ioctl_prepare(s, 0);
	test_ioctl_prepare(s, 0);
	test_ioctl_prepare(s2, 0);
	ASSERT_EQ(true, is_prepared(self->fd, b));
	test_ioctl_release(s);
	ASSERT_EQ(true, is_prepared(self->fd, b));
	test_ioctl_release(s2);
	ASSERT_EQ(false, is_prepared(self->fd, b));

	/* Another file: closing it completes, here for user memory. */
	fd2 = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd2);
	ASSERT_EQ(0, _test_ioctl_general_create(
			     fd2, 0, IOBMD_DIRECTION_INOUT,
			     &(struct iobmd_range){ (uintptr_t)a,
						    3 * PAGE_SIZE },
			     1, &g));
	ASSERT_EQ(0, _test_ioctl_prepare(fd2, IOBMD_PREPARE, g, 0));
	ASSERT_EQ(0, _test_ioctl_prepare(fd2, IOBMD_PREPARE, g,
					 IOBMD_PREPARE_NON_COHERENT));
	ASSERT_EQ(3 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(b);
	munmap(a, 3 * PAGE_SIZE);
}

TEST_F(iobmd_prepare, perform)
{
	const __u64 len = 3 * PAGE_SIZE + 11;
	__u8 *a = iobmd_user_area(4, 260);
	__u32 h[4], pair[2], k, op;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 1, &h[0]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, len, 1, &h[1]);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 7, len, &h[2]);
	pair[0] = h[0];
	pair[1] = h[2];
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &h[3]);

	for (k = 0; k != 4; k++) {
		struct iobmd_info info;
		__u64 l;

		test_ioctl_get_info(h[k], &info);
		l = info.length;
		/* Not prepared. */
		for (op = IOBMD_OP_FLUSH; op <= IOBMD_OP_INVALIDATE; op++)
			test_err_perform(ENODATA, h[k], op, 0, l);
		/* Unknown operations, prepared or not. */
		test_err_perform(EINVAL, h[k], 0, 0, 1);
		test_err_perform(EINVAL, h[k], 4, 0, 1);
		test_err_perform(EINVAL, h[k], UINT32_MAX, 0, 1);
		/* Ranges outside the length, prepared or not. */
		test_err_perform(ERANGE, h[k], IOBMD_OP_FLUSH, l, 1);
		test_err_perform(ERANGE, h[k], IOBMD_OP_FLUSH, 0, l + 1);

		test_ioctl_prepare(h[k], 0);
		for (op = IOBMD_OP_FLUSH; op <= IOBMD_OP_INVALIDATE; op++) {
			test_ioctl_perform(h[k], op, 0, l);
			test_ioctl_perform(h[k], op, l - 1, 1);
			test_ioctl_perform(h[k], op, PAGE_SIZE - 1, 2);
			test_ioctl_perform(h[k], op, 5, 0);
			test_err_perform(ERANGE, h[k], op, l, 1);
			test_err_perform(ERANGE, h[k], op, l - 1, 2);
			test_err_perform(ERANGE, h[k], op, 1, UINT64_MAX);
			test_err_perform(ERANGE, h[k], op, UINT64_MAX, 1);
		}
		test_err_perform(EINVAL, h[k], 0, 0, 1);
		test_err_perform(EINVAL, h[k], 4, 0, 1);
		test_ioctl_complete(h[k], 0);
		test_err_perform(ENODATA, h[k], IOBMD_OP_FLUSH, 0, 1);
	}
	test_err_perform(ENOENT, h[3] + 1000, IOBMD_OP_FLUSH, 0, 1);
	for (k = 4; k != 0; k--)
		test_ioctl_release(h[k - 1]);
	munmap(a, 4 * PAGE_SIZE);
}

/*
 * The same pages prepared through several descriptors at once: two
 * general descriptors over one range of user memory, a buffer inside a
 * multi twice and under a sub, each prepared while the others are.  Each
 * gets DMA segments, the overlapping ones the same addresses, and the
 * memory is intact afterwards.  (The debug kernel's DMA-API checking
 * reports overlapping mappings that let the DMA API sync the CPU.)
 */
TEST_F(iobmd_prepare, overlapping)
{
	const __u64 len = 8 * PAGE_SIZE;
	__u8 *a = iobmd_user_area(8, 270), *model = malloc(len);
	struct iobmd_segment *s1, *s2;
	__u32 g1, g2, b, sub, m, pair[2], n1, n2;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, model);
	memcpy(model, a, len);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, len, &g1);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 2 * PAGE_SIZE,
				 4 * PAGE_SIZE, &g2);
	test_ioctl_prepare(g1, 0);
	test_ioctl_prepare(g2, IOBMD_DIRECTION_OUT);
	test_get_dma_segments(g1, 2 * PAGE_SIZE, 4 * PAGE_SIZE, &s1, &n1);
	test_get_dma_segments(g2, 0, 0, &s2, &n2);
	ASSERT_EQ(n1, n2);
	ASSERT_EQ(0, memcmp(s1, s2, n1 * sizeof(*s1)));
	free(s1);
	free(s2);
	test_ioctl_complete(g2, 0);
	test_ioctl_complete(g1, 0);
	ASSERT_EQ(0, memcmp(model, a, len));

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &b);
	test_ioctl_write(b, 0, model, len);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, PAGE_SIZE,
			      2 * PAGE_SIZE, &sub);
	pair[0] = b;
	pair[1] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_ioctl_prepare(m, 0);
	test_ioctl_prepare(sub, IOBMD_DIRECTION_IN);
	test_get_dma_segments(m, 0, len, &s1, &n1);
	test_get_dma_segments(m, len, len, &s2, &n2);
	ASSERT_EQ(n1, n2);
	ASSERT_EQ(0, memcmp(s1, s2, n1 * sizeof(*s1)));
	free(s1);
	free(s2);
	test_get_dma_segments(sub, 0, 0, &s1, &n1);
	ASSERT_LE(1, n1);
	free(s1);
	test_ioctl_complete(m, 0);
	test_ioctl_complete(sub, 0);
	test_check_desc(b, model, len);

	test_ioctl_release(m);
	test_ioctl_release(sub);
	test_ioctl_release(b);
	test_ioctl_release(g2);
	test_ioctl_release(g1);
	munmap(a, len);
	free(model);
}

/* prepare(None) takes the descriptor's own direction (InOut for None). */
TEST_F(iobmd_prepare, default_direction)
{
	__u8 *a = iobmd_user_area(1, 270), v = 0;
	__u32 g;

	ASSERT_NE(NULL, a);
	/* A None descriptor is prepared InOut: writable. */
	test_ioctl_general_range(IOBMD_DIRECTION_NONE, a, PAGE_SIZE, &g);
	test_ioctl_prepare(g, 0);
	test_ioctl_write(g, 0, &v, 1);
	test_ioctl_release(g);
	/* An In descriptor: writable. */
	test_ioctl_general_range(IOBMD_DIRECTION_IN, a, PAGE_SIZE, &g);
	test_ioctl_prepare(g, 0);
	test_ioctl_write(g, 0, &v, 1);
	test_ioctl_release(g);
	/* An Out descriptor: read-only; an explicit In overrides it. */
	test_ioctl_general_range(IOBMD_DIRECTION_OUT, a, PAGE_SIZE, &g);
	test_ioctl_prepare(g, 0);
	test_err_write(EACCES, g, 0, &v, 1);
	test_ioctl_complete(g, 0);
	test_ioctl_prepare(g, IOBMD_DIRECTION_IN);
	test_ioctl_write(g, 0, &v, 1);
	test_ioctl_release(g);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, PAGE_SIZE);
}

TEST_HARNESS_MAIN

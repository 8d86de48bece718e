// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd prepare() and complete(), segments and performOperation():
 * prepares nest per handle, COMPLETE needs one outstanding on the handle,
 * a prepare from userspace wires the memory and maps it for no device
 * (DMA segments are ENODATA, physical ones stay what they were), prepares
 * nest in any direction except over user memory pinned read-only,
 * IOBMD_PREPARE_PHYS32 succeeds only for memory placed below 4 GiB and
 * moves nothing, releasing a handle or closing the file completes what it
 * left, and IOBMD_PERFORM needs a prepare.  Needs root, and RAM above
 * 4 GiB (the test VM has 6 GiB).
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

TEST_F(iobmd_prepare, nesting)
{
	__u32 b;
	int i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	ASSERT_EQ(false, test_is_prepared(b));
	for (i = 0; i != 5; i++)
		test_ioctl_prepare(b, 0);
	for (i = 0; i != 4; i++) {
		test_ioctl_complete(b, 0);
		ASSERT_EQ(true, test_is_prepared(b)) TH_LOG("%d", i);
	}
	test_ioctl_complete(b, 0);
	ASSERT_EQ(false, test_is_prepared(b));
	test_err_complete(EINVAL, b, 0);
	/* Again after it came back to 0. */
	test_ioctl_prepare(b, IOBMD_DIRECTION_INOUT);
	test_ioctl_prepare(b, IOBMD_DIRECTION_IN);
	test_ioctl_complete(b, IOBMD_COMPLETE_WITH_ERROR);
	test_ioctl_complete(b, IOBMD_COMPLETE_WITH_DATA_VALID |
			       IOBMD_DIRECTION_INOUT);
	test_err_complete(EINVAL, b, 0);
	ASSERT_EQ(false, test_is_prepared(b));
	test_ioctl_release(b);
}

/*
 * Prepares nest IOBMD_PREPARE_MAX deep and no deeper: the count cannot
 * wrap and let go of memory still prepared.  The refused one changes
 * nothing, and a descriptor built on it cannot prepare it further either;
 * what holds a prepare for a call (PERFORM) still works, and segments can
 * still be had (physical ones: DMA ones exist for no device).
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
	test_ioctl_perform(b, IOBMD_OP_FLUSH, 0, PAGE_SIZE);
	ASSERT_EQ(false, test_is_prepared(sub));
	count = 1;
	ASSERT_EQ(0, _test_ioctl_get_segments(self->fd, b, 0, 0, &seg, &count,
					      NULL));
	ASSERT_EQ(1, count);
	ASSERT_EQ(PAGE_SIZE, seg.len);
	test_err_get_dma_segments(ENODATA, b, 0, 0);
	/* Room for one: the sub's prepare takes it. */
	test_ioctl_complete(b, 0);
	test_ioctl_prepare(sub, 0);
	test_err_prepare(EOVERFLOW, b, 0);
	test_ioctl_complete(sub, 0);
	for (i = 0; i != IOBMD_PREPARE_MAX - 1; i++)
		ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_COMPLETE, b,
						 0));
	ASSERT_EQ(false, test_is_prepared(b));
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
	ASSERT_EQ(false, test_is_prepared(b));
	/* Every known modifier is accepted. */
	test_ioctl_prepare(b, IOBMD_PREPARE_NO_FAULT |
			      IOBMD_PREPARE_NON_COHERENT |
			      IOBMD_DIRECTION_INOUT);
	for (i = 0; i != 32; i++) {
		if (!(COMPLETE_KNOWN & (1U << i)))
			test_err_complete(EINVAL, b, 1U << i);
	}
	ASSERT_EQ(true, test_is_prepared(b));

	/* A handle completes only what it prepared. */
	test_err_complete(EINVAL, s, 0);
	test_ioctl_prepare(s, 0);
	test_ioctl_complete(b, 0);
	test_err_complete(EINVAL, b, 0);
	/* The parent stays prepared for the sub. */
	ASSERT_EQ(true, test_is_prepared(b));
	test_ioctl_complete(s, 0);
	ASSERT_EQ(false, test_is_prepared(b));
	test_err_complete(EINVAL, s, 0);

	test_err_prepare(ENOENT, b + 1000, 0);
	test_err_complete(ENOENT, b + 1000, 0);
	test_err_prepare(ENOENT, 0, 0);
	test_ioctl_release(s);
	test_ioctl_release(b);
	test_err_prepare(ENOENT, b, 0);
	test_err_complete(ENOENT, b, 0);
}

/*
 * A prepare from userspace maps for no device: DMA segments are ENODATA
 * before, during and after it, for every kind (a range outside the length
 * is still ERANGE).  Physical segments cover the length while prepared and
 * are those from before it (nothing moved); user memory's need it.
 */
TEST_F(iobmd_prepare, dma_segments_need_device)
{
	__u8 *a = iobmd_user_area(2, 200);
	struct iobmd_segment *segs, *before = NULL, seg;
	__u32 h[7], pair[2], n, nb = 0, i, k;
	struct iobmd_range pr;

	IOBMD_NEED_PHYS_RAM();

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
		bool user = k == 5;	/* the only one over user memory */
		struct iobmd_info info;
		__u32 count = 1;
		__u64 sum = 0;

		test_ioctl_get_info(h[k], &info);
		test_err_get_dma_segments(ENODATA, h[k], 0, 0);
		if (user)
			test_err_get_segments(ENODATA, h[k], 0, 0, &seg, 1);
		else
			test_get_all_segments(h[k], 0, 0, &before, &nb);
		test_ioctl_prepare(h[k], 0);
		ASSERT_EQ(true, test_is_prepared(h[k]));
		test_err_get_dma_segments(ENODATA, h[k], 1, 1);
		test_get_all_segments(h[k], 0, 0, &segs, &n);
		for (i = 0; i != n; i++)
			sum += segs[i].len;
		ASSERT_EQ(info.length, sum) TH_LOG("kind %u", info.kind);
		if (!user) {
			ASSERT_EQ(nb, n) TH_LOG("kind %u", info.kind);
			ASSERT_EQ(0, memcmp(before, segs, n * sizeof(*segs)));
			free(before);
		}
		free(segs);
		/* Ranges: ERANGE outside the length, before anything else. */
		EXPECT_ERRNO(ERANGE, _test_ioctl_get_segments_flags(
					     self->fd, h[k], IOBMD_SEGMENTS_DMA,
					     info.length, 0, &seg, &count,
					     NULL));
		test_ioctl_complete(h[k], 0);
		ASSERT_EQ(false, test_is_prepared(h[k]));
		if (user)
			test_err_get_segments(ENODATA, h[k], 0, 0, &seg, 1);
	}
	for (k = 7; k != 0; k--)
		test_ioctl_release(h[k - 1]);
	munmap(a, 2 * PAGE_SIZE);
}

/*
 * A prepare moves nothing: a buffer's physical segments, of the whole and
 * of a range, are the same before it, while it lasts and after it, and a
 * contiguous buffer is one segment throughout.  There are no DMA segments
 * to compare them with.
 */
TEST_F(iobmd_prepare, prepare_moves_nothing)
{
	const __u64 ranges[][2] = { { 0, 0 }, { PAGE_SIZE + 3, 5 * PAGE_SIZE } };
	struct iobmd_segment *ps, *ds;
	__u32 b, c, pn, dn, r, step;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 64 * PAGE_SIZE + 9, 1, &b);
	for (r = 0; r != ARRAY_SIZE(ranges); r++) {
		test_get_all_segments(b, ranges[r][0], ranges[r][1], &ps, &pn);
		for (step = 0; step != 2; step++) {
			if (step == 0)
				test_ioctl_prepare(b, 0);
			else
				test_ioctl_complete(b, 0);
			test_err_get_dma_segments(ENODATA, b, ranges[r][0],
						  ranges[r][1]);
			test_get_all_segments(b, ranges[r][0], ranges[r][1],
					      &ds, &dn);
			ASSERT_EQ(pn, dn);
			ASSERT_EQ(0, memcmp(ps, ds, pn * sizeof(*ps)));
			free(ds);
		}
		free(ps);
	}
	test_ioctl_release(b);

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 16 * PAGE_SIZE,
			      0, &c);
	test_get_all_segments(c, 0, 0, &ps, &pn);
	ASSERT_EQ(1, pn);
	ASSERT_EQ(16 * PAGE_SIZE, ps[0].len);
	test_ioctl_prepare(c, 0);
	test_err_get_dma_segments(ENODATA, c, 0, 0);
	test_get_all_segments(c, 0, 0, &ds, &dn);
	ASSERT_EQ(1, dn);
	ASSERT_EQ(ps[0].addr, ds[0].addr);
	ASSERT_EQ(ps[0].len, ds[0].len);
	free(ps);
	free(ds);
	test_ioctl_complete(c, 0);
	test_ioctl_release(c);
}

/* Asserts @h's physical segments are still @before (@nb); frees @before. */
#define test_segments_unchanged(h, before, nb)                              \
	do {                                                                \
		struct iobmd_segment *__now;                                \
		__u32 __n;                                                  \
									    \
		test_get_all_segments(h, 0, 0, &__now, &__n);               \
		ASSERT_EQ(nb, __n);                                         \
		ASSERT_EQ(0, memcmp(before, __now, __n * sizeof(*__now)));  \
		free(__now);                                                \
		free(before);                                               \
	} while (0)

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
 * The physical segments of @h as ranges for a general descriptor (*@nr of
 * them, calloc()ed), and in *@high the end of the highest; NULL on error.
 */
static struct iobmd_range *segs_ranges(int fd, __u32 h, __u64 *high,
				       __u32 *nr)
{
	struct iobmd_segment *segs;
	struct iobmd_range *r;
	__u32 n, i;

	*high = 0;
	if (_test_get_all_segments(fd, h, 0, 0, &segs, &n))
		return NULL;
	r = calloc(n, sizeof(*r));
	for (i = 0; r && i != n; i++) {
		r[i] = (struct iobmd_range){ segs[i].addr, segs[i].len };
		if (segs[i].addr + segs[i].len > *high)
			*high = segs[i].addr + segs[i].len;
	}
	free(segs);
	*nr = n;
	return r;
}

/*
 * IOBMD_PREPARE_PHYS32 moves nothing: it succeeds for a buffer whose
 * physical mask placed it below 4 GiB, and what a device sees at its
 * physical segments (read and written here through a physical-address
 * general descriptor) is the buffer itself, with or without IOBMD_PERFORM.
 * A buffer without such a mask is ERANGE and left as it was; physical
 * ranges are placed where they are named.
 */
TEST_F(iobmd_prepare, phys32_buffer_mask)
{
	const __u64 sizes[] = { 16 * PAGE_SIZE, SZ_4M };
	size_t k;

	IOBMD_NEED_PHYS_RAM();

	for (k = 0; k != ARRAY_SIZE(sizes); k++) {
		__u64 len = sizes[k], high;
		__u8 *model = malloc(len), *dev = malloc(len);
		struct iobmd_segment *before;
		struct iobmd_range *r;
		__u32 b, m, g, n, nb;

		ASSERT_NE(NULL, model);
		ASSERT_NE(NULL, dev);
		iobmd_fill_pattern(model, len, 0, 201 + k);

		/* No mask: ERANGE wherever it lies, and nothing changes. */
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &b);
		test_ioctl_write(b, 0, model, len);
		test_get_all_segments(b, 0, 0, &before, &nb);
		test_err_prepare(ERANGE, b, IOBMD_PREPARE_PHYS32);
		test_err_prepare(ERANGE, b, IOBMD_PREPARE_PHYS32 |
					    IOBMD_DIRECTION_IN);
		ASSERT_EQ(false, test_is_prepared(b));
		test_segments_unchanged(b, before, nb);
		test_check_desc(b, model, len);
		/* Named by address, its pages above 4 GiB are above it. */
		r = segs_ranges(self->fd, b, &high, &n);
		ASSERT_NE(NULL, r);
		ASSERT_LT(SZ_4G, high) TH_LOG("no page above 4 GiB");
		test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, r, n, &g);
		test_err_prepare(ERANGE, g, IOBMD_PREPARE_PHYS32);
		test_ioctl_release(g);
		free(r);
		test_ioctl_release(b);

		/* A 32-bit mask: prepared in place, nothing bounced. */
		test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, len,
					   0x00000000FFFFF000ULL, &m);
		test_ioctl_write(m, 0, model, len);
		test_get_all_segments(m, 0, 0, &before, &nb);
		test_ioctl_prepare(m, IOBMD_PREPARE_PHYS32);
		ASSERT_EQ(true, test_is_prepared(m));
		test_segments_unchanged(m, before, nb);
		r = segs_ranges(self->fd, m, &high, &n);
		ASSERT_NE(NULL, r);
		ASSERT_GE(SZ_4G, high);
		/* What a device sees is the buffer, placed below 4 GiB too. */
		test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, r, n, &g);
		test_ioctl_prepare(g, IOBMD_PREPARE_PHYS32);
		test_ioctl_complete(g, 0);
		test_check_desc(g, model, len);

		/* The device writes: the CPU sees it at once. */
		iobmd_fill_pattern(dev, len, 0, 211 + k);
		test_ioctl_write(g, 0, dev, len);
		test_check_desc(m, dev, len);
		test_ioctl_perform(m, IOBMD_OP_INVALIDATE, 0, len);
		test_check_desc(m, dev, len);
		/* The CPU writes a range: the device sees it at once. */
		test_ioctl_write(m, PAGE_SIZE + 5, model, 100);
		memcpy(dev + PAGE_SIZE + 5, model, 100);
		test_check_desc(g, dev, len);
		test_ioctl_perform(m, IOBMD_OP_FLUSH, PAGE_SIZE, PAGE_SIZE);
		test_ioctl_perform(m, IOBMD_OP_STORE, 0, 10);
		test_check_desc(g, dev, len);
		/* complete() copies nothing back. */
		dev[len - 1] ^= 0xff;
		test_ioctl_write(g, len - 1, dev + len - 1, 1);
		test_ioctl_release(g);
		test_ioctl_complete(m, 0);
		ASSERT_EQ(false, test_is_prepared(m));
		test_check_desc(m, dev, len);

		test_ioctl_release(m);
		free(r);
		free(model);
		free(dev);
	}
}

/*
 * User memory is placed by no one: IOBMD_PREPARE_PHYS32 of it is ERANGE
 * wherever its pages lie, prepared or not, and pins nothing: above 4 GiB,
 * and below it (the pages of a buffer masked below 4 GiB, mapped).
 */
TEST_F(iobmd_prepare, phys32_general)
{
	const __u64 len = 64 * PAGE_SIZE;
	__u8 *a = iobmd_user_area(64, 230), *p;
	struct iobmd_segment *segs, *bsegs, seg;
	__u32 g, m, n, bn;

	ASSERT_NE(NULL, a);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a + 1, len - 2, &g);
	test_err_prepare(ERANGE, g, IOBMD_PREPARE_PHYS32);
	test_err_prepare(ERANGE, g, IOBMD_PREPARE_PHYS32 | IOBMD_DIRECTION_OUT);
	ASSERT_EQ(false, test_is_prepared(g));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_err_get_segments(ENODATA, g, 0, 0, &seg, 1);
	test_ioctl_prepare(g, 0);
	ASSERT_EQ(true, has_high_page(_metadata, self->fd, g))
		TH_LOG("no page of the memory above 4 GiB");
	test_err_prepare(ERANGE, g, IOBMD_PREPARE_PHYS32);
	ASSERT_EQ(len, iobmd_stat("pinned_bytes"));
	test_ioctl_complete(g, 0);
	ASSERT_EQ(false, test_is_prepared(g));
	test_err_complete(EINVAL, g, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(g);
	munmap(a, len);

	/* Pages below 4 GiB: still the caller's memory, still ERANGE. */
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE,
				   0x00000000FFFFF000ULL, &m);
	test_map_rw(m, 0, 0, 4 * PAGE_SIZE, &p);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, p, 4 * PAGE_SIZE, &g);
	test_ioctl_prepare(g, 0);
	test_get_all_segments(g, 0, 0, &segs, &n);
	test_get_all_segments(m, 0, 0, &bsegs, &bn);
	ASSERT_EQ(bn, n);
	ASSERT_EQ(0, memcmp(bsegs, segs, n * sizeof(*segs)));
	ASSERT_GE(SZ_4G, segs[n - 1].addr + segs[n - 1].len);
	free(segs);
	free(bsegs);
	test_err_prepare(ERANGE, g, IOBMD_PREPARE_PHYS32);
	test_ioctl_complete(g, 0);
	test_err_prepare(ERANGE, g, IOBMD_PREPARE_PHYS32);
	ASSERT_EQ(false, test_is_prepared(g));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	/* The buffer itself was placed there. */
	test_ioctl_prepare(m, IOBMD_PREPARE_PHYS32);
	test_ioctl_complete(m, 0);
	test_ioctl_release(g);
	ASSERT_EQ(0, munmap(p, 4 * PAGE_SIZE));
	test_ioctl_release(m);
}

/*
 * Contiguous memory is not moved either: PHYS32 works when the buffer's
 * mask keeps it below 4 GiB, and is ERANGE otherwise, wherever it lies.
 */
TEST_F(iobmd_prepare, phys32_contiguous)
{
	struct iobmd_segment *segs;
	__u32 c, m32, n;

	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT |
				   IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				   8 * PAGE_SIZE, 0x00000000FFFFF000ULL, &m32);
	test_ioctl_prepare(m32, IOBMD_PREPARE_PHYS32);
	ASSERT_EQ(true, test_is_prepared(m32));
	test_get_all_segments(m32, 0, 0, &segs, &n);
	ASSERT_EQ(1, n);
	ASSERT_EQ(8 * PAGE_SIZE, segs[0].len);
	ASSERT_GE(SZ_4G, segs[0].addr + segs[0].len);
	free(segs);
	test_ioctl_release(m32);

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 8 * PAGE_SIZE,
			      0, &c);
	test_err_prepare(ERANGE, c, IOBMD_PREPARE_PHYS32);
	ASSERT_EQ(false, test_is_prepared(c));
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

#define PLACEMENT_FILL		SZ_128M
#define PLACEMENT_FILLS		64
/* Below this much MemAvailable the fill stops short of the OOM killer. */
#define PLACEMENT_SPARE		(512ULL << 20)

/* MemAvailable of /proc/meminfo in bytes, or 0. */
static __u64 mem_available(void)
{
	unsigned long long kib = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib << 10;
}

/*
 * PLACEMENT_FILL bytes of anonymous memory in small pages, written.  A
 * small page comes from the highest zone whose free memory is above its
 * watermark, so these use up ZONE_NORMAL, its scattered free pages
 * included, before any page below 4 GiB.  (A buffer's large chunks would
 * not: a large block below 4 GiB is taken before small ones above it, and
 * a small contiguous buffer then still finds room above 4 GiB.)
 */
static void *placement_fill(void)
{
	void *p = mmap(NULL, PLACEMENT_FILL, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, PLACEMENT_FILL, MADV_NOHUGEPAGE) && errno != EINVAL) {
		munmap(p, PLACEMENT_FILL);
		return NULL;
	}
	memset(p, 0x5a, PLACEMENT_FILL);
	return p;
}

/*
 * Whether a contiguous buffer can be prepared with PHYS32 tells nothing
 * of where it lies: as uid 65534, two contiguous buffers created alike,
 * one above 4 GiB and one below, give the same answer (ERANGE: their
 * mask does not keep them below 4 GiB).  Memory above 4 GiB is filled
 * with small anonymous pages until a new contiguous buffer comes from
 * below it; contiguous buffers that still land above 4 GiB are kept.
 */
TEST_F_TIMEOUT(iobmd_prepare, phys32_contiguous_placement, 600)
{
	__u32 kept[128], nkept = 0, c, hi = 0, lo = 0, i;
	void *fill[PLACEMENT_FILLS];
	bool have_hi = false, have_lo = false;
	unsigned int nfill = 0;
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
			ASSERT_GT(ARRAY_SIZE(kept), nkept);
			kept[nkept++] = c;
		}
		if (have_lo)
			continue;
		ASSERT_GT(PLACEMENT_FILLS, nfill)
			TH_LOG("%u MiB filled, and no contiguous buffer below 4 GiB",
			       nfill * (PLACEMENT_FILL >> 20));
		ASSERT_LT(PLACEMENT_SPARE + PLACEMENT_FILL, mem_available())
			TH_LOG("%u MiB filled, %llu MiB left, and no contiguous buffer below 4 GiB",
			       nfill * (PLACEMENT_FILL >> 20),
			       (unsigned long long)mem_available() >> 20);
		fill[nfill] = placement_fill();
		ASSERT_NE(NULL, fill[nfill])
			TH_LOG("filler %u: %s", nfill, strerror(errno));
		nfill++;
	}
	TH_LOG("a contiguous buffer below 4 GiB after %u MiB of small pages and %u other contiguous buffers",
	       nfill * (PLACEMENT_FILL >> 20), nkept);
	for (i = 0; i != nfill; i++)
		munmap(fill[i], PLACEMENT_FILL);
	for (i = 0; i != nkept; i++)
		test_ioctl_release(kept[i]);

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
	ASSERT_EQ(false, test_is_prepared(hi));
	ASSERT_EQ(false, test_is_prepared(lo));
	test_ioctl_release(hi);
	test_ioctl_release(lo);
}

/* Whether prepare(@dir) of @h fails with @err and leaves it as it was. */
#define test_nested_refused(err, h, dir, prepared)                          \
	do {                                                                \
		test_err_prepare(err, h, dir);                              \
		ASSERT_EQ(prepared, test_is_prepared(h));                   \
	} while (0)

/*
 * A prepare without a device maps nothing, so prepares nest in any
 * direction: nothing is left to widen.  Only user memory pinned read-only
 * by a first prepare for Out refuses a later one the device would write
 * (In, InOut, None on an InOut descriptor) with EACCES, changing nothing,
 * through any descriptor built on it too; a first prepare that pins it
 * writable covers Out.  Once complete, it may be pinned anew either way.
 */
TEST_F(iobmd_prepare, nested_direction)
{
	const __u32 in = IOBMD_DIRECTION_IN, out = IOBMD_DIRECTION_OUT;
	const __u32 inout = IOBMD_DIRECTION_INOUT;
	__u8 *a = iobmd_user_area(4, 280);
	__u32 h[5], m, go, k;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(inout, SZ_1M, 0, &h[0]);
	test_ioctl_buf_create_mask(inout | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				   SZ_64K, 0x00000000FFFFF000ULL, &h[1]);
	test_ioctl_multi_create(inout, &h[0], 1, &h[2]);
	test_ioctl_general_range(inout, a, 4 * PAGE_SIZE, &h[3]);
	test_ioctl_multi_create(inout, &h[3], 1, &h[4]);

	for (k = 0; k != ARRAY_SIZE(h); k++) {
		bool user = k >= 3;	/* user memory beneath */

		/* Out, then the rest: only read-only user memory refuses. */
		test_ioctl_prepare(h[k], out);
		if (user) {
			test_nested_refused(EACCES, h[k], in, true);
			test_nested_refused(EACCES, h[k], inout, true);
			test_nested_refused(EACCES, h[k], 0, true);
			ASSERT_EQ(4 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
		} else {
			test_ioctl_prepare(h[k], in);
			test_ioctl_prepare(h[k], inout);
			test_ioctl_prepare(h[k], 0);
			for (m = 0; m != 3; m++)
				test_ioctl_complete(h[k], 0);
		}
		test_ioctl_prepare(h[k], out);
		test_ioctl_complete(h[k], 0);
		test_ioctl_complete(h[k], 0);
		test_err_complete(EINVAL, h[k], 0);
		ASSERT_EQ(false, test_is_prepared(h[k]));
		ASSERT_EQ(0, iobmd_stat("pinned_bytes"));

		/* In, then Out: the memory is writable, so readable. */
		test_ioctl_prepare(h[k], in);
		test_ioctl_prepare(h[k], out);
		test_ioctl_prepare(h[k], in);
		for (m = 0; m != 3; m++)
			test_ioctl_complete(h[k], 0);
		ASSERT_EQ(false, test_is_prepared(h[k]));

		/* InOut covers both. */
		test_ioctl_prepare(h[k], 0);
		test_ioctl_prepare(h[k], in);
		test_ioctl_prepare(h[k], out);
		test_ioctl_prepare(h[k], inout);
		for (m = 0; m != 4; m++)
			test_ioctl_complete(h[k], 0);
		test_err_complete(EINVAL, h[k], 0);
		ASSERT_EQ(false, test_is_prepared(h[k]));
	}

	/* A multi prepared InOut over a buffer prepared Out: it nests. */
	test_ioctl_prepare(h[0], out);
	test_ioctl_prepare(h[2], 0);
	test_ioctl_complete(h[2], 0);
	test_ioctl_complete(h[0], 0);
	test_err_complete(EINVAL, h[0], 0);
	/* Over user memory prepared Out: refused, and nothing changed. */
	test_ioctl_prepare(h[3], out);
	test_nested_refused(EACCES, h[4], 0, false);
	test_nested_refused(EACCES, h[4], in, false);
	ASSERT_EQ(true, test_is_prepared(h[3]));
	ASSERT_EQ(4 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_complete(h[3], 0);
	test_err_complete(EINVAL, h[3], 0);
	/* The other way round: user memory under a multi prepared In. */
	test_ioctl_prepare(h[4], in);
	test_ioctl_prepare(h[3], out);
	test_ioctl_complete(h[3], 0);
	test_ioctl_complete(h[4], 0);
	ASSERT_EQ(false, test_is_prepared(h[4]));
	/* ... and under one prepared Out. */
	test_ioctl_prepare(h[4], out);
	test_err_prepare(EACCES, h[3], in);
	test_ioctl_complete(h[4], 0);
	test_ioctl_prepare(h[3], in);
	test_ioctl_complete(h[3], 0);

	/* prepare(None) is the descriptor's own direction. */
	test_ioctl_general_range(out, a, PAGE_SIZE, &go);
	test_ioctl_prepare(go, 0);
	test_nested_refused(EACCES, go, in, true);
	test_ioctl_prepare(go, out);
	test_ioctl_complete(go, 0);
	test_ioctl_complete(go, 0);
	ASSERT_EQ(false, test_is_prepared(go));
	test_ioctl_release(go);

	for (k = ARRAY_SIZE(h); k != 0; k--)
		test_ioctl_release(h[k - 1]);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, iobmd_stat("prepares"));
	munmap(a, 4 * PAGE_SIZE);
}

/*
 * Without a device there is no DMA range to keep to: PHYS32 and plain
 * prepares nest either way round on memory placed below 4 GiB.  On memory
 * that is not, PHYS32 is ERANGE whether it is prepared or not, and the
 * refused prepare leaves the prepare count and the pins as they were.
 */
TEST_F(iobmd_prepare, phys32_nests)
{
	const __u32 phys32 = IOBMD_PREPARE_PHYS32;
	__u8 *a = iobmd_user_area(2, 240);
	__u32 m, b, g, k;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE,
				   0x00000000FFFFF000ULL, &m);
	test_ioctl_prepare(m, 0);
	test_ioctl_prepare(m, phys32);
	test_ioctl_prepare(m, phys32 | IOBMD_DIRECTION_IN);
	test_ioctl_prepare(m, IOBMD_DIRECTION_OUT);
	for (k = 0; k != 4; k++)
		test_ioctl_complete(m, 0);
	test_err_complete(EINVAL, m, 0);
	test_ioctl_prepare(m, phys32);
	test_ioctl_prepare(m, 0);
	test_ioctl_prepare(m, IOBMD_DIRECTION_INOUT);
	for (k = 0; k != 3; k++)
		test_ioctl_complete(m, 0);
	ASSERT_EQ(false, test_is_prepared(m));
	test_ioctl_release(m);

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &b);
	test_nested_refused(ERANGE, b, phys32, false);
	test_ioctl_prepare(b, 0);
	test_nested_refused(ERANGE, b, phys32, true);
	test_nested_refused(ERANGE, b, phys32 | IOBMD_DIRECTION_IN, true);
	test_ioctl_prepare(b, IOBMD_DIRECTION_OUT);
	test_ioctl_complete(b, 0);
	test_ioctl_complete(b, 0);
	test_err_complete(EINVAL, b, 0);
	ASSERT_EQ(false, test_is_prepared(b));
	test_ioctl_release(b);

	/* User memory: the failed prepare leaves the pin count alone. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, 2 * PAGE_SIZE, &g);
	test_ioctl_prepare(g, 0);
	test_nested_refused(ERANGE, g, phys32, true);
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
	ASSERT_EQ(true, test_is_prepared(b));
	test_ioctl_release(s);
	ASSERT_EQ(true, test_is_prepared(b));
	test_ioctl_release(s2);
	ASSERT_EQ(false, test_is_prepared(b));

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
 * is prepared (with no DMA segments: no device), the overlapping ones have
 * the same physical segments, and the memory is intact afterwards.
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
	ASSERT_EQ(true, test_is_prepared(g1));
	ASSERT_EQ(true, test_is_prepared(g2));
	/* Each pins its pages: the second range counts twice. */
	ASSERT_EQ(len + 4 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_get_all_segments(g1, 2 * PAGE_SIZE, 4 * PAGE_SIZE, &s1, &n1);
	test_get_all_segments(g2, 0, 0, &s2, &n2);
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
	ASSERT_EQ(true, test_is_prepared(m));
	ASSERT_EQ(true, test_is_prepared(sub));
	test_get_all_segments(m, 0, len, &s1, &n1);
	test_get_all_segments(m, len, len, &s2, &n2);
	ASSERT_EQ(n1, n2);
	ASSERT_EQ(0, memcmp(s1, s2, n1 * sizeof(*s1)));
	free(s2);
	test_get_all_segments(b, 0, 0, &s2, &n2);
	ASSERT_EQ(n1, n2);
	ASSERT_EQ(0, memcmp(s1, s2, n1 * sizeof(*s1)));
	free(s1);
	free(s2);
	test_get_all_segments(sub, 0, 0, &s1, &n1);
	test_get_all_segments(b, PAGE_SIZE, 2 * PAGE_SIZE, &s2, &n2);
	ASSERT_EQ(n2, n1);
	ASSERT_EQ(0, memcmp(s1, s2, n1 * sizeof(*s1)));
	free(s1);
	free(s2);
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

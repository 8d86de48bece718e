// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd physical masks and contiguity, proven with IOBMD_GET_SEGMENTS:
 * every byte lies at or below the mask's highest address and on its
 * alignment, contiguous buffers are one segment, and the segment query's
 * counting, ranges and privilege rules.  Needs root, and a machine with RAM
 * above 4 GiB for the 32-bit mask tests to mean something.  Runs alone:
 * each test leaves the module's counters as found.  Limits inside a zone
 * are iobmd_mask_limit_test's.
 */
#include "iobmd_utils.h"
#include "iobmd_stats.h"

/* The module's counters as a fixture found them: so again at teardown. */
static struct iobmd_test_stats iobmd_mask_found;

/* Every segment: non-empty, adjacent ones merged, ends at or below @limit. */
static void check_segments(struct __test_metadata *_metadata,
			   const struct iobmd_segment *segs, __u32 nr,
			   __u64 len, __u64 limit)
{
	__u64 sum = 0;
	__u32 i;

	ASSERT_LT(0, nr);
	for (i = 0; i != nr; i++) {
		ASSERT_LT(0, segs[i].len) TH_LOG("segment %u", i);
		ASSERT_LE(segs[i].addr, segs[i].addr + segs[i].len - 1);
		ASSERT_GE(limit, segs[i].addr + segs[i].len - 1)
			TH_LOG("segment %u: 0x%llx + 0x%llx above 0x%llx", i,
			       segs[i].addr, segs[i].len, limit);
		if (i) {
			ASSERT_NE(segs[i - 1].addr + segs[i - 1].len,
				  segs[i].addr)
				TH_LOG("segments %u and %u not merged", i - 1,
				       i);
		}
		sum += segs[i].len;
	}
	ASSERT_EQ(len, sum);
}

FIXTURE(iobmd_mask)
{
	int fd;
};

FIXTURE_SETUP(iobmd_mask)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&iobmd_mask_found));
}

FIXTURE_TEARDOWN(iobmd_mask)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_mask_found));
}

/* Creates @opts/@cap/@mask, checks one contiguous segment, returns it. */
#define check_one_segment(_flags, _opts, _cap, _align, _mask, _limit,          \
			  _seg_p, _h_p)                                        \
	({                                                                     \
		struct iobmd_segment *__segs;                                  \
		struct iobmd_info __info;                                      \
		__u32 __nr;                                                    \
		ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, _flags, _opts,   \
						    _cap, _align, _mask, NULL, \
						    0, _h_p));                 \
		test_ioctl_get_info(*(_h_p), &__info);                         \
		test_get_all_segments(*(_h_p), 0, 0, &__segs, &__nr);          \
		ASSERT_EQ(1, __nr);                                            \
		ASSERT_EQ(__info.length, __segs[0].len);                       \
		ASSERT_EQ(0, __segs[0].addr % __info.alignment);               \
		check_segments(_metadata, __segs, __nr, __info.length,         \
			       _limit);                                        \
		*(_seg_p) = __segs[0];                                         \
		free(__segs);                                                  \
	})

TEST_F(iobmd_mask, contiguous_option)
{
	const __u64 caps[] = { 100, 4096, 3 * 4096 + 1, 16 * 4096, SZ_1M,
			       SZ_4M };
	struct iobmd_segment seg;
	size_t i;
	__u32 h;

	for (i = 0; i != ARRAY_SIZE(caps); i++) {
		check_one_segment(0, IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
					     IOBMD_DIRECTION_INOUT,
				  caps[i], 0, 0, UINT64_MAX, &seg, &h);
		test_ioctl_release(h);
		check_one_segment(0, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				  caps[i], PAGE_SIZE, 0, UINT64_MAX, &seg, &h);
		ASSERT_EQ(ALIGN_UP(caps[i], PAGE_SIZE), seg.len);
		ASSERT_EQ(0, seg.addr % PAGE_SIZE);
		test_ioctl_release(h);
	}
}

/* Alignment above a page (inTaskWithOptions) implies one segment. */
TEST_F(iobmd_mask, large_alignment)
{
	const __u64 aligns[] = { 2 * 4096, SZ_64K, SZ_1M, SZ_2M };
	struct iobmd_segment seg;
	size_t i;
	__u32 h;

	for (i = 0; i != ARRAY_SIZE(aligns); i++) {
		check_one_segment(0, IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE + 5,
				  aligns[i], 0, UINT64_MAX, &seg, &h);
		ASSERT_EQ(0, seg.addr % aligns[i]);
		ASSERT_EQ(4 * PAGE_SIZE, seg.len);
		test_ioctl_release(h);
	}
	check_one_segment(0, 0, SZ_2M, SZ_2M, 0, UINT64_MAX, &seg, &h);
	ASSERT_EQ(0, seg.addr % SZ_2M);
	ASSERT_EQ(SZ_2M, seg.len);
	test_ioctl_release(h);
}

/* 0xFFFF0000: 64 KiB aligned, below 4 GiB, hence contiguous. */
TEST_F(iobmd_mask, mask_64k_ring)
{
	const __u64 caps[] = { 100, SZ_64K, SZ_256K, SZ_1M };
	struct iobmd_segment seg;
	size_t i;
	__u32 h;

	for (i = 0; i != ARRAY_SIZE(caps); i++) {
		check_one_segment(IOBMD_BUF_CREATE_PHYS_MASK,
				  IOBMD_DIRECTION_INOUT, caps[i], 0,
				  0x00000000FFFF0000ULL, SZ_4G - 1, &seg, &h);
		ASSERT_EQ(0, seg.addr % SZ_64K);
		test_ioctl_release(h);
	}
}

/* Shapes real drivers use (iokit-semantics.md section 6). */
TEST_F(iobmd_mask, driver_shapes)
{
	struct iobmd_segment seg;
	__u32 h;

	/* 32-bit DMA, contiguous: one segment below 4 GiB. */
	check_one_segment(IOBMD_BUF_CREATE_PHYS_MASK,
			  IOBMD_DIRECTION_INOUT |
				  IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
			  SZ_256K, 0, 0x00000000FFFFF000ULL, SZ_4G - 1, &seg,
			  &h);
	test_ioctl_release(h);
	/* 36-bit DMA, contiguous, uncached. */
	check_one_segment(IOBMD_BUF_CREATE_PHYS_MASK,
			  IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
				  IOBMD_CACHE_INHIBIT,
			  SZ_1M, 0, DMA_BIT_MASK(36), SZ_64G - 1, &seg, &h);
	test_ioctl_release(h);
	/* NIC descriptor rings. */
	check_one_segment(IOBMD_BUF_CREATE_PHYS_MASK,
			  IOBMD_DIRECTION_INOUT |
				  IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
				  IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS |
				  IOBMD_CACHE_INHIBIT,
			  16 * PAGE_SIZE, 0, 0xFFFFFFFFFFFFF000ULL,
			  UINT64_MAX, &seg, &h);
	test_ioctl_release(h);
	check_one_segment(IOBMD_BUF_CREATE_PHYS_MASK,
			  IOBMD_DIRECTION_INOUT |
				  IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
				  IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS |
				  IOBMD_CACHE_INHIBIT,
			  3 * PAGE_SIZE, 0, 0xFFFFFFFFFFFFFF00ULL, UINT64_MAX,
			  &seg, &h);
	ASSERT_EQ(0, seg.addr % PAGE_SIZE);
	test_ioctl_release(h);
	/* Write-combined framebuffer, shared with user space. */
	check_one_segment(0,
			  IOBMD_DIRECTION_INOUT |
				  IOBMD_OPT_KERNEL_USER_SHARED |
				  IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
				  IOBMD_CACHE_WRITE_COMBINE,
			  SZ_256K, PAGE_SIZE, 0, UINT64_MAX, &seg, &h);
	test_ioctl_release(h);
	/* Host-contiguous, write-combined, no mapper, page aligned. */
	check_one_segment(0,
			  IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS |
				  IOBMD_CACHE_WRITE_COMBINE |
				  IOBMD_OPT_MAPPER_NONE,
			  8 * PAGE_SIZE, PAGE_SIZE, 0, UINT64_MAX, &seg, &h);
	test_ioctl_release(h);
}

/* DMA_BIT_MASK(36) without contiguity: all below 64 GiB. */
TEST_F(iobmd_mask, mask_36bit)
{
	struct iobmd_segment *segs;
	struct iobmd_info info;
	__u32 h, nr;

	test_ioctl_buf_create_mask(IOBMD_DIRECTION_IN, SZ_16M,
				   DMA_BIT_MASK(36), &h);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(DMA_BIT_MASK(36), info.phys_mask);
	ASSERT_EQ(PAGE_SIZE, info.alignment);
	test_get_all_segments(h, 0, 0, &segs, &nr);
	check_segments(_metadata, segs, nr, SZ_16M, SZ_64G - 1);
	free(segs);
	test_ioctl_release(h);
}

/*
 * 24-bit mask: everything below 16 MiB.  QEMU's arm64 virt has no RAM
 * there (it starts at 1 GiB): every such buffer is ENOMEM.
 */
TEST_F(iobmd_mask, mask_24bit)
{
#ifdef __aarch64__
	const __u64 caps[] = { PAGE_SIZE, SZ_64K, SZ_256K };
	size_t i;
	__u32 h;

	for (i = 0; i != ARRAY_SIZE(caps); i++)
		EXPECT_ERRNO(ENOMEM, _test_ioctl_buf_create(self->fd,
			IOBMD_BUF_CREATE_PHYS_MASK, IOBMD_DIRECTION_INOUT,
			caps[i], 0, 0x0000000000FFF000ULL, NULL, 0, &h));
	EXPECT_ERRNO(ENOMEM, _test_ioctl_buf_create(self->fd,
		IOBMD_BUF_CREATE_PHYS_MASK, IOBMD_DIRECTION_INOUT |
		IOBMD_OPT_PHYSICALLY_CONTIGUOUS, SZ_64K, 0,
		0x0000000000FFF000ULL, NULL, 0, &h));
#else
	const __u64 caps[] = { PAGE_SIZE, SZ_64K, SZ_256K };
	struct iobmd_segment seg;
	size_t i;
	__u32 h;

	for (i = 0; i != ARRAY_SIZE(caps); i++) {
		struct iobmd_segment *segs;
		__u32 nr;

		test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, caps[i],
					   0x0000000000FFF000ULL, &h);
		test_get_all_segments(h, 0, 0, &segs, &nr);
		check_segments(_metadata, segs, nr, caps[i], SZ_16M - 1);
		free(segs);
		test_ioctl_release(h);
	}
	/* Contiguous too. */
	check_one_segment(IOBMD_BUF_CREATE_PHYS_MASK,
			  IOBMD_OPT_PHYSICALLY_CONTIGUOUS, SZ_64K, 0,
			  0x0000000000FFF000ULL, SZ_16M - 1, &seg, &h);
	test_ioctl_release(h);
#endif
}

/* The mask's highest address is below the capacity: nothing fits. */
TEST_F(iobmd_mask, mask_unsatisfiable)
{
	test_err_buf_create_mask(ENOMEM, 0, 2 * PAGE_SIZE,
				 0x0000000000000FFFULL);
	test_err_buf_create_mask(ENOMEM, IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				 2 * PAGE_SIZE, 0x0000000000000FFFULL);
}

/* 32-bit mask across sizes, down to many non-contiguous segments. */
FIXTURE(iobmd_mask32)
{
	int fd;
};

FIXTURE_VARIANT(iobmd_mask32)
{
	__u64 capacity;
	__u32 options;
};

FIXTURE_VARIANT_ADD(iobmd_mask32, one_page)
{
	.capacity = 4096,
};

FIXTURE_VARIANT_ADD(iobmd_mask32, size_64k)
{
	.capacity = SZ_64K,
};

FIXTURE_VARIANT_ADD(iobmd_mask32, size_1m_plus)
{
	.capacity = SZ_1M + 4096 + 1,
};

FIXTURE_VARIANT_ADD(iobmd_mask32, size_16m)
{
	.capacity = SZ_16M,
};

FIXTURE_VARIANT_ADD(iobmd_mask32, size_64m)
{
	.capacity = SZ_64M,
};

FIXTURE_VARIANT_ADD(iobmd_mask32, size_4m_contiguous)
{
	.capacity = SZ_4M,
	.options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
};

FIXTURE_SETUP(iobmd_mask32)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&iobmd_mask_found));
}

FIXTURE_TEARDOWN(iobmd_mask32)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_mask_found));
}

TEST_F(iobmd_mask32, below_4g)
{
	const __u64 mask = 0x00000000FFFFF000ULL;
	__u64 cap = ALIGN_UP(variant->capacity, PAGE_SIZE);
	struct iobmd_segment *segs;
	struct iobmd_info info;
	__u32 h, nr, i;

	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT | variant->options,
				   variant->capacity, mask, &h);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(cap, info.capacity);
	ASSERT_EQ(cap, info.length);
	ASSERT_EQ(PAGE_SIZE, info.alignment);
	ASSERT_EQ(mask, info.phys_mask);

	test_get_all_segments(h, 0, 0, &segs, &nr);
	check_segments(_metadata, segs, nr, cap, SZ_4G - 1);
	for (i = 0; i != nr; i++) {
		ASSERT_EQ(0, segs[i].addr % PAGE_SIZE);
		ASSERT_EQ(0, segs[i].len % PAGE_SIZE);
	}
	if (variant->options & IOBMD_OPT_PHYSICALLY_CONTIGUOUS) {
		ASSERT_EQ(1, nr);
	}
	free(segs);
	test_ioctl_release(h);
}

/* A sub-range's segments are the whole buffer's, cut to the range. */
TEST_F(iobmd_mask32, sub_ranges)
{
	const __u64 mask = 0x00000000FFFFF000ULL;
	__u64 cap = ALIGN_UP(variant->capacity, PAGE_SIZE);
	const __u64 offs[] = { 0, 1, PAGE_SIZE - 1, PAGE_SIZE, cap / 2 + 3,
			       cap - 1 };
	struct iobmd_segment *all, *sub;
	__u32 h, nr_all, nr_sub;
	size_t k;

	test_ioctl_buf_create_mask(variant->options, variant->capacity, mask,
				   &h);
	test_get_all_segments(h, 0, 0, &all, &nr_all);

	for (k = 0; k != ARRAY_SIZE(offs); k++) {
		__u64 off = offs[k], len, base = 0, expect_addr = 0;
		__u32 i;

		if (off >= cap)
			continue;
		len = (cap - off) / 2 + 1;
		/* Physical address of byte @off from the whole list. */
		for (i = 0; i != nr_all; i++) {
			if (off < base + all[i].len) {
				expect_addr = all[i].addr + (off - base);
				break;
			}
			base += all[i].len;
		}
		ASSERT_NE(nr_all, i);

		test_get_all_segments(h, off, len, &sub, &nr_sub);
		ASSERT_EQ(expect_addr, sub[0].addr) TH_LOG("offset %llu", off);
		check_segments(_metadata, sub, nr_sub, len, SZ_4G - 1);
		free(sub);

		/* len 0: up to the length. */
		test_get_all_segments(h, off, 0, &sub, &nr_sub);
		ASSERT_EQ(expect_addr, sub[0].addr) TH_LOG("offset %llu", off);
		check_segments(_metadata, sub, nr_sub, cap - off, SZ_4G - 1);
		free(sub);
	}
	free(all);
	test_ioctl_release(h);
}

/* Counting: count 0 gives the total only; short room gives what fits. */
TEST_F(iobmd_mask, segments_count)
{
	struct iobmd_segment segs[4];
	__u64 total;
	__u32 count;
	__u32 h;

	test_ioctl_buf_create(IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 4 * PAGE_SIZE,
			      0, &h);
	count = 0;
	total = 0;
	test_ioctl_get_segments(h, 0, 0, NULL, &count, &total);
	ASSERT_EQ(0, count);
	ASSERT_EQ(1, total);

	/* count 0 with a pointer: still nothing written. */
	memset(segs, 0xee, sizeof(segs));
	count = 0;
	test_ioctl_get_segments(h, 0, 0, segs, &count, &total);
	ASSERT_EQ(0, count);
	ASSERT_EQ(1, total);
	ASSERT_EQ(sizeof(segs), iobmd_check_bytes(segs, sizeof(segs), 0xee));

	/* More room than needed: count = total, the rest untouched. */
	count = 4;
	test_ioctl_get_segments(h, 0, 0, segs, &count, &total);
	ASSERT_EQ(1, count);
	ASSERT_EQ(1, total);
	ASSERT_EQ(4 * PAGE_SIZE, segs[0].len);
	ASSERT_EQ(3 * sizeof(segs[0]),
		  iobmd_check_bytes(&segs[1], 3 * sizeof(segs[0]), 0xee));

	/* A bad array with room is EFAULT; with no room it is not read. */
	test_err_get_segments(EFAULT, h, 0, 0, (void *)8, 4);
	count = 0;
	test_ioctl_get_segments(h, 0, 0, (void *)8, &count, &total);
	ASSERT_EQ(1, total);
	test_ioctl_release(h);
}

#define HOLES 32

/*
 * A scattered buffer (total > 1): room 1 gets count 1 and the total, and
 * the first entry matches the full list.  Large non-contiguous buffers are
 * scattered in practice, but a freshly booted machine (the debug kernel)
 * can hand out adjacent 2 MiB chunks, which merge: every other one of
 * HOLES buffers of one chunk each is released first, leaving free chunks
 * with held ones between them, which the allocator hands out again
 * first.  Try a few before concluding they never are.
 */
TEST_F(iobmd_mask, segments_short_room)
{
	struct iobmd_segment *all, *part, one;
	__u32 h[8], nr = 0, count, holes[HOLES];
	__u64 total = 0;
	int tries, i;

	for (i = 0; i != HOLES; i++)
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_2M, 0,
				      &holes[i]);
	for (i = 0; i < HOLES; i += 2)
		test_ioctl_release(holes[i]);
	for (tries = 0; tries != 8; tries++) {
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, SZ_64M, 0,
				      &h[tries]);
		test_get_all_segments(h[tries], 0, 0, &all, &nr);
		if (nr > 1)
			break;
		free(all);
	}
	ASSERT_NE(8, tries) TH_LOG("eight 64 MiB buffers were contiguous");

	memset(&one, 0, sizeof(one));
	count = 1;
	test_ioctl_get_segments(h[tries], 0, 0, &one, &count, &total);
	ASSERT_EQ(1, count);
	ASSERT_EQ(nr, total);
	ASSERT_LT(count, total);
	ASSERT_EQ(all[0].addr, one.addr);
	ASSERT_EQ(all[0].len, one.len);

	/* Room for all but one: the same entries as the full list. */
	part = calloc(nr, sizeof(*part));
	ASSERT_NE(NULL, part);
	count = nr - 1;
	test_ioctl_get_segments(h[tries], 0, 0, part, &count, &total);
	ASSERT_EQ(nr - 1, count);
	ASSERT_EQ(nr, total);
	ASSERT_EQ(0, memcmp(part, all, (nr - 1) * sizeof(*part)));
	ASSERT_EQ(0, part[nr - 1].addr);
	ASSERT_EQ(0, part[nr - 1].len);
	free(part);
	free(all);
	for (; tries >= 0; tries--)
		test_ioctl_release(h[tries]);
	for (i = 1; i < HOLES; i += 2)
		test_ioctl_release(holes[i]);
}

TEST_F(iobmd_mask, segments_ranges)
{
	const __u64 cap = 4 * PAGE_SIZE;
	struct iobmd_segment whole, seg;
	__u64 total;
	__u32 count;
	__u32 h;

	test_ioctl_buf_create(IOBMD_OPT_PHYSICALLY_CONTIGUOUS, cap, 0, &h);
	count = 1;
	test_ioctl_get_segments(h, 0, 0, &whole, &count, &total);
	ASSERT_EQ(1, count);
	ASSERT_EQ(cap, whole.len);

	/* A window starts at the right byte and is cut to its length. */
	count = 1;
	test_ioctl_get_segments(h, PAGE_SIZE + 100, 200, &seg, &count, &total);
	ASSERT_EQ(1, count);
	ASSERT_EQ(1, total);
	ASSERT_EQ(whole.addr + PAGE_SIZE + 100, seg.addr);
	ASSERT_EQ(200, seg.len);

	count = 1;
	test_ioctl_get_segments(h, PAGE_SIZE, 0, &seg, &count, &total);
	ASSERT_EQ(whole.addr + PAGE_SIZE, seg.addr);
	ASSERT_EQ(cap - PAGE_SIZE, seg.len);

	count = 1;
	test_ioctl_get_segments(h, cap - 1, 1, &seg, &count, &total);
	ASSERT_EQ(whole.addr + cap - 1, seg.addr);
	ASSERT_EQ(1, seg.len);

	/* Outside the length. */
	test_err_get_segments(ERANGE, h, cap, 1, &seg, 1);
	test_err_get_segments(ERANGE, h, cap + PAGE_SIZE, 0, &seg, 1);
	test_err_get_segments(ERANGE, h, 0, cap + 1, &seg, 1);
	test_err_get_segments(ERANGE, h, cap - 1, 2, &seg, 1);
	test_err_get_segments(ERANGE, h, 1, UINT64_MAX, &seg, 1);
	test_err_get_segments(ERANGE, h, UINT64_MAX, 1, &seg, 1);

	/* The length, not the capacity, bounds the range. */
	test_ioctl_set_length(h, PAGE_SIZE + 10, NULL);
	count = 1;
	test_ioctl_get_segments(h, 0, 0, &seg, &count, &total);
	ASSERT_EQ(whole.addr, seg.addr);
	ASSERT_EQ(PAGE_SIZE + 10, seg.len);
	test_err_get_segments(ERANGE, h, 0, PAGE_SIZE + 11, &seg, 1);
	test_err_get_segments(ERANGE, h, 2 * PAGE_SIZE, 1, &seg, 1);
	test_ioctl_release(h);
}

static int iobmd_unpriv_fd;
static __u32 iobmd_unpriv_handle;

/* Exit codes say which step went wrong. */
static int unprivileged_child(void *arg)
{
	struct iobmd_segment seg;
	struct iobmd_info info;
	__u32 count = 1;
	__u8 byte;
	int rc;

	if (setgid(65534) || setuid(65534))
		return 10;
	if (getuid() != 65534 || geteuid() != 65534)
		return 11;

	rc = _test_ioctl_get_segments(iobmd_unpriv_fd, iobmd_unpriv_handle, 0,
				      0, &seg, &count, NULL);
	if (rc != -1)
		return 20;
	if (errno != EPERM)
		return 21;
	count = 0;
	rc = _test_ioctl_get_segments(iobmd_unpriv_fd, iobmd_unpriv_handle, 0,
				      0, NULL, &count, NULL);
	if (rc != -1)
		return 22;
	if (errno != EPERM)
		return 23;

	/* Everything else still works on the inherited file. */
	if (_test_ioctl_get_info(iobmd_unpriv_fd, iobmd_unpriv_handle, &info))
		return 30;
	if (info.capacity != PAGE_SIZE)
		return 31;
	if (_test_ioctl_rw(iobmd_unpriv_fd, IOBMD_READ, iobmd_unpriv_handle, 0,
			   &byte, 1, NULL))
		return 32;
	if (byte != 0x5a)
		return 33;
	return 0;
}

/* GET_SEGMENTS needs CAP_SYS_ADMIN at call time; the rest does not. */
TEST_F(iobmd_mask, segments_unprivileged)
{
	struct iobmd_segment seg;
	__u8 byte = 0x5a;
	__u32 count = 1;

	test_ioctl_buf_create(0, PAGE_SIZE, 0, &iobmd_unpriv_handle);
	test_ioctl_write(iobmd_unpriv_handle, 0, &byte, 1);
	iobmd_unpriv_fd = self->fd;
	ASSERT_EQ(0, iobmd_run_child(unprivileged_child, NULL));

	/* Root in the parent still may. */
	test_ioctl_get_segments(iobmd_unpriv_handle, 0, 0, &seg, &count, NULL);
	ASSERT_EQ(1, count);
	test_ioctl_release(iobmd_unpriv_handle);
}

TEST_HARNESS_MAIN

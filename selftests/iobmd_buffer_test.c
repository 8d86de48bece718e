// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd buffers: IOBMD_BUF_CREATE argument checking, the capacity,
 * alignment and options IOKit derives (seen through IOBMD_GET_INFO),
 * zeroed memory, SET_LENGTH/SET_DIRECTION/SET_TAG, APPEND, READ and WRITE.
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_buffer)
{
	int fd;
	__u64 max_capacity;
};

FIXTURE_SETUP(iobmd_buffer)
{
	iobmd_fixture_open(self->fd);
	self->max_capacity = iobmd_max_capacity(self->fd);
	ASSERT_LT(0, self->max_capacity);
}

FIXTURE_TEARDOWN(iobmd_buffer)
{
	if (self->fd != -1)
		close(self->fd);
}

/* Creates with inTaskWithOptions, checks GET_INFO, releases. */
#define check_derived(_opts, _cap, _align, _exp_cap, _exp_align, _exp_opts)  \
	({                                                                     \
		struct iobmd_info __i;                                         \
		__u32 __h;                                                     \
		test_ioctl_buf_create(_opts, _cap, _align, &__h);              \
		test_ioctl_get_info(__h, &__i);                                \
		EXPECT_EQ(IOBMD_KIND_BUFFER, __i.kind);                        \
		EXPECT_EQ((__u64)(_exp_cap), __i.capacity);                    \
		EXPECT_EQ((__u64)(_exp_cap), __i.length);                      \
		EXPECT_EQ((__u64)(_exp_align), __i.alignment);                 \
		EXPECT_EQ((__u32)(_exp_opts), __i.options);                    \
		EXPECT_EQ((_opts) & IOBMD_DIRECTION_MASK, __i.direction);      \
		EXPECT_EQ(0, __i.phys_mask);                                   \
		EXPECT_EQ(0, __i.tag);                                         \
		test_ioctl_release(__h);                                       \
	})

/* Creates with inTaskWithPhysicalMask, checks GET_INFO, releases. */
#define check_derived_mask(_opts, _cap, _mask, _exp_cap, _exp_align,          \
			   _exp_opts)                                          \
	({                                                                     \
		struct iobmd_info __i;                                         \
		__u32 __h;                                                     \
		test_ioctl_buf_create_mask(_opts, _cap, _mask, &__h);          \
		test_ioctl_get_info(__h, &__i);                                \
		EXPECT_EQ(IOBMD_KIND_BUFFER, __i.kind);                        \
		EXPECT_EQ((__u64)(_exp_cap), __i.capacity);                    \
		EXPECT_EQ((__u64)(_exp_cap), __i.length);                      \
		EXPECT_EQ((__u64)(_exp_align), __i.alignment);                 \
		EXPECT_EQ((__u32)(_exp_opts), __i.options);                    \
		EXPECT_EQ((_opts) & IOBMD_DIRECTION_MASK, __i.direction);      \
		EXPECT_EQ((__u64)(_mask), __i.phys_mask);                      \
		EXPECT_EQ(0, __i.tag);                                         \
		test_ioctl_release(__h);                                       \
	})

/* Every option bit on its own: the valid ones work, the rest are EINVAL. */
TEST_F(iobmd_buffer, create_option_bits)
{
	int bit;

	for (bit = 0; bit != 32; bit++) {
		__u32 opt = 1U << bit;
		struct iobmd_info info;
		__u32 h = 0;

		if (!(opt & IOBMD_TEST_VALID_OPTIONS)) {
			test_err_buf_create(EINVAL, opt, PAGE_SIZE, 0);
			continue;
		}
		if (!iobmd_test_cache_ok(opt & IOBMD_OPT_CACHE_MASK)) {
			test_err_buf_create(EOPNOTSUPP, opt, PAGE_SIZE, 0);
			continue;
		}
		ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, opt,
						    PAGE_SIZE, 0, 0, NULL, 0,
						    &h))
			TH_LOG("options 0x%x", opt);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(opt & ~(IOBMD_DIRECTION_MASK |
				  IOBMD_TEST_NOT_IN_FORCE), info.options)
			TH_LOG("options 0x%x", opt);
		ASSERT_EQ(opt & IOBMD_DIRECTION_MASK, info.direction)
			TH_LOG("options 0x%x", opt);
		ASSERT_EQ(PAGE_SIZE, info.capacity) TH_LOG("options 0x%x", opt);
		test_ioctl_release(h);
	}
}

TEST_F(iobmd_buffer, create_invalid_options)
{
	const __u32 bad[] = {
		0x4, 0x8, 0x2000, 0x4000, 0x8000,
		0x20000, 0x40000, 0x80000, 0x30000, 0xf0000, /* sharing */
		0x400000, 0x1000000, 0x80000000,
		IOBMD_OPT_USE_RESERVE,
		IOBMD_TEST_VALID_OPTIONS | 0x4,
		~0U,
	};
	size_t i;

	for (i = 0; i != ARRAY_SIZE(bad); i++) {
		test_err_buf_create(EINVAL, bad[i], PAGE_SIZE, 0);
		test_err_buf_create_mask(EINVAL, bad[i], PAGE_SIZE,
					 0x00000000FFFFF000ULL);
	}
	/* The same option bits through withBytes. */
	test_err_buf_create_bytes(EINVAL, 0x4, "abc", 3);
	test_err_buf_create_bytes(EINVAL, 0x80000000, "abc", 3);
}

/*
 * Valid options combine; the cache mode and contiguity are kept.  Cache
 * modes RAM cannot have fail with EOPNOTSUPP, contiguous or not.
 */
TEST_F(iobmd_buffer, create_all_options)
{
	__u32 opts = (IOBMD_TEST_VALID_OPTIONS & ~IOBMD_OPT_CACHE_MASK) |
		     IOBMD_CACHE_WRITE_COMBINE;
	__u32 cache;

	check_derived(opts, PAGE_SIZE, 0, PAGE_SIZE, PAGE_SIZE,
		      opts & ~(IOBMD_DIRECTION_MASK | IOBMD_TEST_NOT_IN_FORCE));
	for (cache = 0x100; cache <= IOBMD_OPT_CACHE_MASK; cache += 0x100) {
		__u32 o = IOBMD_DIRECTION_IN |
			  IOBMD_OPT_PHYSICALLY_CONTIGUOUS | cache;

		if (!iobmd_test_cache_ok(cache)) {
			test_err_buf_create(EOPNOTSUPP, o, 3 * PAGE_SIZE, 0);
			test_err_buf_create(EOPNOTSUPP, cache, PAGE_SIZE, 0);
			continue;
		}
		check_derived(o, 3 * PAGE_SIZE, 0, 3 * PAGE_SIZE, PAGE_SIZE,
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS | cache);
	}
}

TEST_F(iobmd_buffer, create_capacity)
{
	test_err_buf_create(EINVAL, 0, 0, 0);
	test_err_buf_create(EINVAL, IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE);
	test_err_buf_create_mask(EINVAL, 0, 0, 0x00000000FFFFF000ULL);

	test_err_buf_create(E2BIG, 0, self->max_capacity + 1, 0);
	test_err_buf_create(E2BIG, 0, self->max_capacity + 1, PAGE_SIZE);
	test_err_buf_create(E2BIG, 0, UINT64_MAX, 0);
	test_err_buf_create(E2BIG, 0, UINT64_MAX, PAGE_SIZE);
	test_err_buf_create(E2BIG, 0, UINT64_MAX - PAGE_SIZE + 2, PAGE_SIZE);
	test_err_buf_create_mask(E2BIG, 0, self->max_capacity + 1,
				 0x00000000FFFFF000ULL);
	test_err_buf_create_mask(E2BIG, 0, UINT64_MAX, DMA_BIT_MASK(64));

	/* One byte is a valid buffer. */
	check_derived(0, 1, 0, 1, 1, 0);
}

TEST_F(iobmd_buffer, create_alignment)
{
	const __u64 bad[] = {
		3, 5, 6, 7, 12, 100, 4097, 3 * 4096, (1ULL << 63) | 1,
		UINT64_MAX,
	};
	size_t i;

	for (i = 0; i != ARRAY_SIZE(bad); i++)
		test_err_buf_create(EINVAL, 0, PAGE_SIZE, bad[i]);
	test_err_buf_create(EINVAL, 0, PAGE_SIZE, PAGE_SIZE + PAGE_SIZE / 2);
}

/* Below a page, capacity and alignment stay as given. */
TEST_F(iobmd_buffer, derive_small_alignment)
{
	__u64 align;

	check_derived(0, 100, 0, 100, 1, 0);
	check_derived(0, 100, 1, 100, 1, 0);
	check_derived(0, 100, 64, 100, 64, 0);
	for (align = 2; align < PAGE_SIZE; align <<= 1)
		check_derived(IOBMD_DIRECTION_OUT, 3 * PAGE_SIZE + 5, align,
			      3 * PAGE_SIZE + 5, align, 0);
}

/* From a page up, the capacity is rounded up to whole pages. */
TEST_F(iobmd_buffer, derive_page_alignment)
{
	check_derived(0, 5000, PAGE_SIZE, ALIGN_UP(5000, PAGE_SIZE), PAGE_SIZE,
		      0);
	if (PAGE_SIZE == 4096)
		check_derived(0, 5000, 4096, 8192, 4096, 0);
	check_derived(IOBMD_DIRECTION_INOUT, 1, PAGE_SIZE, PAGE_SIZE,
		      PAGE_SIZE, 0);
	check_derived(0, 4 * PAGE_SIZE, PAGE_SIZE, 4 * PAGE_SIZE, PAGE_SIZE,
		      0);
}

/* Above a page: rounded to pages (not to the alignment), contiguous. */
TEST_F(iobmd_buffer, derive_large_alignment)
{
	__u64 align;

	for (align = 2 * PAGE_SIZE; align <= SZ_2M; align <<= 1)
		check_derived(IOBMD_DIRECTION_IN, 3 * PAGE_SIZE + 5, align,
			      4 * PAGE_SIZE, align,
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	check_derived(IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 100, 2 * PAGE_SIZE,
		      PAGE_SIZE, 2 * PAGE_SIZE,
		      IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
}

/* KernelUserShared and cache modes force at least page alignment. */
TEST_F(iobmd_buffer, derive_forced_page_alignment)
{
	__u32 cache;

	check_derived(IOBMD_OPT_KERNEL_USER_SHARED, 100, 0, PAGE_SIZE,
		      PAGE_SIZE, IOBMD_OPT_KERNEL_USER_SHARED);
	check_derived(IOBMD_OPT_KERNEL_USER_SHARED, 100, 64, PAGE_SIZE,
		      PAGE_SIZE, IOBMD_OPT_KERNEL_USER_SHARED);
	check_derived(IOBMD_OPT_KERNEL_USER_SHARED, 100, 2 * PAGE_SIZE,
		      PAGE_SIZE, 2 * PAGE_SIZE,
		      IOBMD_OPT_KERNEL_USER_SHARED |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	for (cache = 0x100; cache <= IOBMD_OPT_CACHE_MASK; cache += 0x100) {
		if (!iobmd_test_cache_ok(cache))
			continue;
		check_derived(cache | IOBMD_DIRECTION_INOUT, 100, 0, PAGE_SIZE,
			      PAGE_SIZE, cache);
		check_derived(cache, PAGE_SIZE + 1, 8, 2 * PAGE_SIZE,
			      PAGE_SIZE, cache);
	}
	/* The default cache mode (0) forces nothing. */
	check_derived(IOBMD_CACHE_DEFAULT, 100, 0, 100, 1, 0);
}

/* The mask's lowest set bit is the alignment, at least a page. */
TEST_F(iobmd_buffer, derive_phys_mask)
{
	check_derived_mask(0, 100, 0x00000000FFFFF000ULL, PAGE_SIZE,
			   PAGE_SIZE, 0);
	check_derived_mask(IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE + 1,
			   0x00000000FFFFFFFFULL, 4 * PAGE_SIZE, PAGE_SIZE, 0);
	check_derived_mask(0, PAGE_SIZE, 0xFFFFFFFFFFFFFF00ULL, PAGE_SIZE,
			   PAGE_SIZE, 0);
	check_derived_mask(0, PAGE_SIZE, 0xFFFFFFFFFFFFF000ULL, PAGE_SIZE,
			   PAGE_SIZE, 0);
	check_derived_mask(IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
				   IOBMD_CACHE_INHIBIT,
			   SZ_64K, DMA_BIT_MASK(36), SZ_64K, PAGE_SIZE,
			   IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
				   IOBMD_CACHE_INHIBIT);
	check_derived_mask(0, PAGE_SIZE, DMA_BIT_MASK(64), PAGE_SIZE,
			   PAGE_SIZE, 0);
	/* 64 KiB alignment: above a page, so physically contiguous. */
	check_derived_mask(IOBMD_DIRECTION_INOUT, 100, 0x00000000FFFF0000ULL,
			   PAGE_SIZE, SZ_64K, IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	check_derived_mask(0, SZ_64K + 1, 0x00000000FFFF0000ULL,
			   ALIGN_UP(SZ_64K + 1, PAGE_SIZE), SZ_64K,
			   IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	/* 2 MiB alignment. */
	check_derived_mask(0, PAGE_SIZE, 0x00000000FFE00000ULL, PAGE_SIZE,
			   SZ_2M, IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	if (PAGE_SIZE == 4096) {
		check_derived_mask(0, 5000, 0x00000000FFFFF000ULL, 8192, 4096,
				   0);
		check_derived_mask(0, 100, 0x00000000FFFF0000ULL, 4096, 65536,
				   IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	}
}

TEST_F(iobmd_buffer, create_phys_mask_rules)
{
	/* The mask form takes no alignment, not even 1. */
	test_err_buf_create_raw(EINVAL, IOBMD_BUF_CREATE_PHYS_MASK, 0,
				PAGE_SIZE, 1, 0x00000000FFFFF000ULL, NULL, 0);
	test_err_buf_create_raw(EINVAL, IOBMD_BUF_CREATE_PHYS_MASK, 0,
				PAGE_SIZE, PAGE_SIZE, 0x00000000FFFFF000ULL,
				NULL, 0);
	/* A zero mask. */
	test_err_buf_create_mask(EINVAL, 0, PAGE_SIZE, 0);
	/* A mask without the flag. */
	test_err_buf_create_raw(EINVAL, 0, 0, PAGE_SIZE, 0,
				0x00000000FFFFF000ULL, NULL, 0);
	test_err_buf_create_raw(EINVAL, 0, 0, PAGE_SIZE, PAGE_SIZE,
				DMA_BIT_MASK(64), NULL, 0);
	/* Bytes in the mask form. */
	test_err_buf_create_raw(EINVAL, IOBMD_BUF_CREATE_PHYS_MASK, 0,
				PAGE_SIZE, 0, 0x00000000FFFFF000ULL, "abc", 3);
}

TEST_F(iobmd_buffer, create_with_bytes_rules)
{
	const __u32 wb = IOBMD_BUF_CREATE_WITH_BYTES;
	char bytes[64] = "iobmd";
	void *unmapped;

	/* Capacity, alignment and mask belong to other forms. */
	test_err_buf_create_raw(EINVAL, wb, 0, sizeof(bytes), 0, 0, bytes,
				sizeof(bytes));
	test_err_buf_create_raw(EINVAL, wb, 0, 0, 1, 0, bytes, sizeof(bytes));
	test_err_buf_create_raw(EINVAL, wb, 0, 0, PAGE_SIZE, 0, bytes,
				sizeof(bytes));
	test_err_buf_create_raw(EINVAL, wb, 0, 0, 0, 0x00000000FFFFF000ULL,
				bytes, sizeof(bytes));
	test_err_buf_create_raw(EINVAL, wb | IOBMD_BUF_CREATE_PHYS_MASK, 0, 0,
				0, 0x00000000FFFFF000ULL, bytes,
				sizeof(bytes));
	/* No bytes, or none of them. */
	test_err_buf_create_raw(EINVAL, wb, 0, 0, 0, 0, NULL, sizeof(bytes));
	test_err_buf_create_raw(EINVAL, wb, 0, 0, 0, 0, bytes, 0);
	test_err_buf_create_raw(EINVAL, wb, 0, 0, 0, 0, NULL, 0);
	/* Bytes without the flag. */
	test_err_buf_create_raw(EINVAL, 0, 0, PAGE_SIZE, 0, 0, bytes, 0);
	test_err_buf_create_raw(EINVAL, 0, 0, PAGE_SIZE, 0, 0, NULL,
				sizeof(bytes));
	test_err_buf_create_raw(EINVAL, 0, 0, PAGE_SIZE, 0, 0, bytes,
				sizeof(bytes));
	/* Unreadable bytes. */
	test_err_buf_create_bytes(EFAULT, 0, (void *)8, sizeof(bytes));
	unmapped = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_EQ(0, munmap(unmapped, PAGE_SIZE));
	test_err_buf_create_bytes(EFAULT, 0, unmapped, 16);
}

/* withBytes: capacity = length, alignment = min(length, page). */
TEST_F(iobmd_buffer, with_bytes)
{
	const __u64 lens[] = { 1, 100, 4095, 4096, 4097, 10000,
			       3 * 4096 + 17 };
	size_t i;

	for (i = 0; i != ARRAY_SIZE(lens); i++) {
		__u64 len = lens[i];
		__u64 align = len < PAGE_SIZE ? len : PAGE_SIZE;
		__u64 cap = align >= PAGE_SIZE ? ALIGN_UP(len, PAGE_SIZE) : len;
		__u8 *src = malloc(len), *back = malloc(cap);
		struct iobmd_info info;
		__u32 h;

		ASSERT_NE(NULL, src);
		ASSERT_NE(NULL, back);
		iobmd_fill_pattern(src, len, 0, i + 1);
		test_ioctl_buf_create_bytes(IOBMD_DIRECTION_OUT, src, len, &h);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(IOBMD_KIND_BUFFER, info.kind) TH_LOG("len %llu", len);
		ASSERT_EQ(len, info.length) TH_LOG("len %llu", len);
		ASSERT_EQ(cap, info.capacity) TH_LOG("len %llu", len);
		ASSERT_EQ(align, info.alignment) TH_LOG("len %llu", len);
		ASSERT_EQ(0, info.phys_mask);
		ASSERT_EQ(0, info.options);
		ASSERT_EQ(IOBMD_DIRECTION_OUT, info.direction);
		ASSERT_EQ(0, info.tag);

		/* The contents are the bytes ... */
		memset(back, 0xee, cap);
		test_ioctl_read(h, 0, back, len);
		ASSERT_EQ(len, iobmd_check_pattern(back, len, 0, i + 1))
			TH_LOG("len %llu", len);
		/* ... and the rest of the capacity is zero. */
		if (cap > len) {
			test_ioctl_set_length(h, cap, NULL);
			test_ioctl_read(h, len, back, cap - len);
			ASSERT_EQ(cap - len, iobmd_check_bytes(back, cap - len,
							       0))
				TH_LOG("len %llu", len);
		}
		/* The caller's bytes are not referenced after the call. */
		memset(src, 0, len);
		test_ioctl_read(h, 0, back, len);
		ASSERT_EQ(len, iobmd_check_pattern(back, len, 0, i + 1));
		test_ioctl_release(h);
		free(src);
		free(back);
	}
	if (PAGE_SIZE == 4096) {
		__u8 src[10000];
		struct iobmd_info info;
		__u32 h;

		memset(src, 0x5a, sizeof(src));
		test_ioctl_buf_create_bytes(0, src, 100, &h);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(100, info.alignment);
		ASSERT_EQ(100, info.capacity);
		ASSERT_EQ(100, info.length);
		test_ioctl_release(h);
		test_ioctl_buf_create_bytes(0, src, 10000, &h);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(4096, info.alignment);
		ASSERT_EQ(12288, info.capacity);
		ASSERT_EQ(10000, info.length);
		test_ioctl_release(h);
	}
	/*
	 * The alignment reported is the one IOKit records, min(length,
	 * page): 5 for 5 bytes, not a power of two and not where the memory
	 * lies, which is the start of a page like every buffer's.
	 */
	{
		const __u8 five[5] = { 1, 2, 3, 4, 5 };
		struct iobmd_segment seg;
		struct iobmd_info info;
		__u32 h, count = 1;
		__u64 total;

		test_ioctl_buf_create_bytes(0, five, sizeof(five), &h);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(5, info.alignment);
		ASSERT_EQ(5, info.capacity);
		test_ioctl_get_segments(h, 0, 0, &seg, &count, &total);
		ASSERT_EQ(1, total);
		ASSERT_EQ(5, seg.len);
		ASSERT_EQ(0, seg.addr % PAGE_SIZE);
		test_ioctl_release(h);
	}
}

/* withBytes honours the options it is given. */
TEST_F(iobmd_buffer, with_bytes_options)
{
	__u8 src[3 * 1024];
	struct iobmd_info info;
	__u8 back[sizeof(src)];
	__u32 h;

	iobmd_fill_pattern(src, sizeof(src), 0, 7);
	test_ioctl_buf_create_bytes(IOBMD_DIRECTION_INOUT |
					    IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				    src, sizeof(src), &h);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(IOBMD_OPT_PHYSICALLY_CONTIGUOUS, info.options);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	ASSERT_EQ(sizeof(src), info.length);
	test_ioctl_read(h, 0, back, sizeof(back));
	ASSERT_EQ(0, memcmp(src, back, sizeof(src)));
	test_ioctl_release(h);
}

TEST_F(iobmd_buffer, info_defaults)
{
	struct iobmd_info info;
	__u32 dir;

	for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++) {
		__u32 h;

		test_ioctl_buf_create(dir | IOBMD_OPT_THREAD_SAFE,
				      2 * PAGE_SIZE, 0, &h);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(sizeof(info), info.size);
		ASSERT_EQ(h, info.handle);
		ASSERT_EQ(IOBMD_KIND_BUFFER, info.kind);
		ASSERT_EQ(dir, info.direction);
		ASSERT_EQ(IOBMD_OPT_THREAD_SAFE, info.options);
		ASSERT_EQ(0, info.tag);
		ASSERT_EQ(0, info.phys_mask);
		ASSERT_EQ(0, info.__reserved);
		test_ioctl_release(h);
	}
}

/* Fresh memory reads back zero, even where freed memory was dirty. */
TEST_F(iobmd_buffer, zeroed)
{
	const struct iobmd_shape shapes[] = {
		{ .pages = 0, .extra = 100 },
		{ .pages = 1 },
		{ .pages = 5, .extra = 123 },
		{ .pages = 256 },
		{ .pages = 64, .options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS },
		{ .pages = 16, .alignment = SZ_64K },
		{ .pages = 16, .flags = IOBMD_BUF_CREATE_PHYS_MASK,
		  .phys_mask = 0x00000000FFFFF000ULL },
		{ .pages = 16, .options = IOBMD_OPT_KERNEL_USER_SHARED },
	};
	size_t i;
	int round;

	for (i = 0; i != ARRAY_SIZE(shapes); i++) {
		__u64 size = iobmd_shape_size(&shapes[i]);
		__u8 *buf = malloc(size);

		ASSERT_NE(NULL, buf);
		for (round = 0; round != 4; round++) {
			__u32 h;

			test_create_shape(&shapes[i], 0, &h);
			memset(buf, 0xee, size);
			test_ioctl_read(h, 0, buf, size);
			ASSERT_EQ(size, iobmd_check_bytes(buf, size, 0))
				TH_LOG("shape %zu round %d", i, round);
			/* Dirty it all so that reuse would show. */
			memset(buf, 0xff, size);
			test_ioctl_write(h, 0, buf, size);
			test_ioctl_release(h);
		}
		free(buf);
	}
}

TEST_F(iobmd_buffer, set_length)
{
	struct iobmd_info info;
	__u64 out;
	__u32 h;

	test_ioctl_buf_create(0, 100, 1, &h);
	test_ioctl_set_length(h, 50, &out);
	ASSERT_EQ(50, out);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(50, info.length);
	ASSERT_EQ(100, info.capacity);

	test_ioctl_set_length(h, 0, &out);
	ASSERT_EQ(0, out);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(0, info.length);

	test_ioctl_set_length(h, 100, &out);
	ASSERT_EQ(100, out);
	test_ioctl_set_length(h, 42, &out);
	ASSERT_EQ(42, out);

	/* Above the capacity: ignored, not an error. */
	test_ioctl_set_length(h, 101, &out);
	ASSERT_EQ(42, out);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(42, info.length);
	ASSERT_EQ(100, info.capacity);
	test_ioctl_set_length(h, UINT64_MAX, &out);
	ASSERT_EQ(42, out);
	test_ioctl_set_length(h, 1ULL << 32, &out);
	ASSERT_EQ(42, out);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(42, info.length);
	test_ioctl_release(h);

	/* Rounded capacity: the rounded value is settable. */
	test_ioctl_buf_create(0, 5000, PAGE_SIZE, &h);
	test_ioctl_get_info(h, &info);
	test_ioctl_set_length(h, 5000, &out);
	ASSERT_EQ(5000, out);
	test_ioctl_set_length(h, info.capacity, &out);
	ASSERT_EQ(info.capacity, out);
	test_ioctl_set_length(h, info.capacity + 1, &out);
	ASSERT_EQ(info.capacity, out);
	test_ioctl_release(h);
}

TEST_F(iobmd_buffer, set_direction)
{
	struct iobmd_info info;
	__u64 out;
	__u64 dir;
	__u32 h;

	test_ioctl_buf_create(IOBMD_DIRECTION_IN | IOBMD_OPT_PAGEABLE,
			      PAGE_SIZE, 0, &h);
	for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++) {
		test_ioctl_set_direction(h, dir, &out);
		ASSERT_EQ(dir, out);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(dir, info.direction);
		/* Pageable is accepted, never in force: the memory is wired. */
		ASSERT_EQ(0, info.options);
	}
	test_err_set_direction(EINVAL, h, 4);
	test_err_set_direction(EINVAL, h, 7);
	test_err_set_direction(EINVAL, h, 0x13);
	test_err_set_direction(EINVAL, h, 1ULL << 32);
	test_err_set_direction(EINVAL, h, UINT64_MAX);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	test_ioctl_release(h);
}

TEST_F(iobmd_buffer, set_tag)
{
	const __u64 tags[] = { 1, 0xdeadbeefULL, 1ULL << 32,
			       0x8000000000000000ULL, UINT64_MAX, 0 };
	struct iobmd_info info;
	__u64 out;
	size_t i;
	__u32 h;

	test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
	for (i = 0; i != ARRAY_SIZE(tags); i++) {
		test_ioctl_set_tag(h, tags[i], &out);
		ASSERT_EQ(tags[i], out);
		test_ioctl_get_info(h, &info);
		ASSERT_EQ(tags[i], info.tag);
		ASSERT_EQ(PAGE_SIZE, info.length);
	}
	test_ioctl_release(h);
}

/* appendBytes: copies what fits at the length, truncating silently. */
TEST_F(iobmd_buffer, append)
{
	__u8 a[60], b[60], back[100];
	struct iobmd_info info;
	__u64 done, out;
	__u32 h;

	iobmd_fill_pattern(a, sizeof(a), 0, 11);
	iobmd_fill_pattern(b, sizeof(b), 0, 12);
	test_ioctl_buf_create(0, 100, 1, &h);
	test_ioctl_set_length(h, 0, &out);
	ASSERT_EQ(0, out);

	test_ioctl_append(h, a, 60, &done);
	ASSERT_EQ(60, done);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(60, info.length);

	test_ioctl_append(h, b, 60, &done);
	ASSERT_EQ(40, done);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(100, info.length);

	test_ioctl_append(h, b, 60, &done);
	ASSERT_EQ(0, done);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(100, info.length);

	test_ioctl_read(h, 0, back, 100);
	ASSERT_EQ(0, memcmp(back, a, 60));
	ASSERT_EQ(0, memcmp(back + 60, b, 40));

	/* After shrinking, appending overwrites from the new length. */
	test_ioctl_set_length(h, 10, NULL);
	test_ioctl_append(h, b, 20, &done);
	ASSERT_EQ(20, done);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(30, info.length);
	test_ioctl_read(h, 0, back, 30);
	ASSERT_EQ(0, memcmp(back, a, 10));
	ASSERT_EQ(0, memcmp(back + 10, b, 20));

	/* Zero bytes is a no-op. */
	test_ioctl_append(h, b, 0, &done);
	ASSERT_EQ(0, done);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(30, info.length);
	test_ioctl_release(h);
}

TEST_F(iobmd_buffer, append_errors)
{
	struct iobmd_info info;
	__u8 a[32], back[32];
	void *unmapped;
	__u32 h;

	iobmd_fill_pattern(a, sizeof(a), 0, 13);
	test_ioctl_buf_create(0, 3 * PAGE_SIZE, 0, &h);
	test_ioctl_set_length(h, 10, NULL);

	/* APPEND takes no offset. */
	test_err_append(EINVAL, h, 1, a, sizeof(a));
	test_err_append(EINVAL, h, 10, a, sizeof(a));
	test_err_append(EINVAL, h, UINT64_MAX, a, sizeof(a));

	/* A bad source: EFAULT, nothing copied, the length stays. */
	test_err_append(EFAULT, h, 0, (void *)8, sizeof(a));
	unmapped = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	ASSERT_EQ(0, munmap(unmapped, PAGE_SIZE));
	test_err_append(EFAULT, h, 0, unmapped, sizeof(a));
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(10, info.length);
	test_ioctl_set_length(h, 10 + sizeof(back), NULL);
	test_ioctl_read(h, 10, back, sizeof(back));
	ASSERT_EQ(sizeof(back), iobmd_check_bytes(back, sizeof(back), 0));
	test_ioctl_release(h);
}

/* READ and WRITE: the whole range within the length, or ERANGE. */
TEST_F(iobmd_buffer, rw_ranges)
{
	const __u64 cap = 3 * PAGE_SIZE;
	__u8 buf[64] = { 0 };
	__u64 done;
	__u32 h;

	test_ioctl_buf_create(0, cap, 0, &h);

	/* offset >= length, even for zero bytes. */
	test_err_read(ERANGE, h, cap, buf, 0);
	test_err_read(ERANGE, h, cap, buf, 1);
	test_err_read(ERANGE, h, cap + 1, buf, 0);
	test_err_read(ERANGE, h, UINT64_MAX, buf, 1);
	test_err_write(ERANGE, h, cap, buf, 0);
	test_err_write(ERANGE, h, cap, buf, 1);
	test_err_write(ERANGE, h, UINT64_MAX, buf, 1);
	/* offset + len > length. */
	test_err_read(ERANGE, h, cap - 1, buf, 2);
	test_err_read(ERANGE, h, 0, buf, cap + 1);
	test_err_write(ERANGE, h, cap - 1, buf, 2);
	test_err_write(ERANGE, h, 0, NULL, cap + 1);
	/* Overflowing offset + len. */
	test_err_read(ERANGE, h, 1, buf, UINT64_MAX);
	test_err_write(ERANGE, h, 1, buf, UINT64_MAX);
	test_err_read(ERANGE, h, PAGE_SIZE, buf, UINT64_MAX - PAGE_SIZE + 2);
	test_err_write(ERANGE, h, PAGE_SIZE, NULL,
		       UINT64_MAX - PAGE_SIZE + 2);

	/* Zero bytes inside the length: done 0. */
	ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_READ, h, 0, buf, 0, &done));
	ASSERT_EQ(0, done);
	ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_READ, h, cap - 1, buf, 0,
				    &done));
	ASSERT_EQ(0, done);
	ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_WRITE, h, cap - 1, buf, 0,
				    &done));
	ASSERT_EQ(0, done);

	/* The last byte exactly. */
	buf[0] = 0x42;
	test_ioctl_write(h, cap - 1, buf, 1);
	buf[0] = 0;
	test_ioctl_read(h, cap - 1, buf, 1);
	ASSERT_EQ(0x42, buf[0]);

	/* Bad user buffers. */
	test_err_read(EFAULT, h, 0, (void *)8, sizeof(buf));
	test_err_write(EFAULT, h, 0, (void *)8, sizeof(buf));
	test_ioctl_read(h, 0, buf, sizeof(buf));
	ASSERT_EQ(sizeof(buf), iobmd_check_bytes(buf, sizeof(buf), 0));
	test_ioctl_release(h);
}

/* Shrinking the length shrinks what READ and WRITE accept. */
TEST_F(iobmd_buffer, rw_after_set_length)
{
	__u8 buf[100];
	__u32 h;

	iobmd_fill_pattern(buf, sizeof(buf), 0, 21);
	test_ioctl_buf_create(0, 100, 1, &h);
	test_ioctl_write(h, 0, buf, 100);
	test_ioctl_set_length(h, 50, NULL);

	test_err_read(ERANGE, h, 40, buf, 20);
	test_err_read(ERANGE, h, 50, buf, 0);
	test_err_read(ERANGE, h, 50, buf, 1);
	test_err_write(ERANGE, h, 40, buf, 11);
	test_err_write(ERANGE, h, 60, buf, 1);
	memset(buf, 0, sizeof(buf));
	test_ioctl_read(h, 0, buf, 50);
	ASSERT_EQ(50, iobmd_check_pattern(buf, 50, 0, 21));

	test_ioctl_set_length(h, 0, NULL);
	test_err_read(ERANGE, h, 0, buf, 0);
	test_err_read(ERANGE, h, 0, buf, 1);
	test_err_write(ERANGE, h, 0, buf, 1);
	test_ioctl_release(h);
}

/* WRITE with no source zero-fills the range. */
TEST_F(iobmd_buffer, write_zero_fill)
{
	const __u64 cap = 4 * PAGE_SIZE;
	__u64 start = PAGE_SIZE - 7, len = 2 * PAGE_SIZE + 13;
	__u8 *buf = malloc(cap);
	__u32 h;

	ASSERT_NE(NULL, buf);
	iobmd_fill_pattern(buf, cap, 0, 31);
	test_ioctl_buf_create(0, cap, 0, &h);
	test_ioctl_write(h, 0, buf, cap);
	test_ioctl_write(h, start, NULL, len);

	memset(buf, 0xee, cap);
	test_ioctl_read(h, 0, buf, cap);
	ASSERT_EQ(start, iobmd_check_pattern(buf, start, 0, 31));
	ASSERT_EQ(len, iobmd_check_bytes(buf + start, len, 0));
	ASSERT_EQ(cap - start - len,
		  iobmd_check_pattern(buf + start + len, cap - start - len,
				      start + len, 31));
	/* Zero-filling past the length is ERANGE like any write. */
	test_err_write(ERANGE, h, cap - 1, NULL, 2);
	test_ioctl_release(h);
	free(buf);
}

/*
 * Byte-granular READ/WRITE against a model, over buffers of every shape.
 */
FIXTURE(iobmd_data)
{
	int fd;
	__u32 handle;
	__u64 size;
	__u8 *model;
};

FIXTURE_VARIANT(iobmd_data)
{
	struct iobmd_shape shape;
};

FIXTURE_VARIANT_ADD(iobmd_data, small)
{
	.shape = { .pages = 0, .extra = 100, .alignment = 1 },
};

FIXTURE_VARIANT_ADD(iobmd_data, pages_and_bytes)
{
	.shape = { .pages = 5, .extra = 123 },
};

FIXTURE_VARIANT_ADD(iobmd_data, page_aligned)
{
	.shape = { .pages = 8, .alignment = 4096 },
};

FIXTURE_VARIANT_ADD(iobmd_data, contiguous)
{
	.shape = { .pages = 8, .options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS },
};

FIXTURE_VARIANT_ADD(iobmd_data, mask_32bit)
{
	.shape = { .pages = 8, .extra = 1,
		   .flags = IOBMD_BUF_CREATE_PHYS_MASK,
		   .phys_mask = 0x00000000FFFFF000ULL },
};

FIXTURE_VARIANT_ADD(iobmd_data, mask_64k)
{
	.shape = { .pages = 16, .flags = IOBMD_BUF_CREATE_PHYS_MASK,
		   .phys_mask = 0x00000000FFFF0000ULL },
};

FIXTURE_VARIANT_ADD(iobmd_data, write_combined)
{
	.shape = { .pages = 4,
		   .options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
			      IOBMD_CACHE_WRITE_COMBINE },
};

FIXTURE_VARIANT_ADD(iobmd_data, with_bytes)
{
	.shape = { .pages = 3, .extra = 17,
		   .flags = IOBMD_BUF_CREATE_WITH_BYTES },
};

FIXTURE_VARIANT_ADD(iobmd_data, large)
{
	.shape = { .pages = 1024, .extra = 5 },
};

FIXTURE_SETUP(iobmd_data)
{
	struct iobmd_info info;

	self->model = NULL;
	iobmd_fixture_open(self->fd);
	test_create_shape(&variant->shape, 41, &self->handle);
	test_ioctl_get_info(self->handle, &info);
	/* Page-aligned shapes round the capacity, and so the length, up. */
	self->size = info.length;
	ASSERT_LE(iobmd_shape_size(&variant->shape), self->size);
	self->model = calloc(1, self->size);
	ASSERT_NE(NULL, self->model);
	if (variant->shape.flags & IOBMD_BUF_CREATE_WITH_BYTES)
		iobmd_fill_pattern(self->model, self->size, 0, 41);
}

FIXTURE_TEARDOWN(iobmd_data)
{
	free(self->model);
	if (self->fd != -1)
		close(self->fd);
}

TEST_F(iobmd_data, initial_contents)
{
	__u8 *buf = malloc(self->size);

	ASSERT_NE(NULL, buf);
	memset(buf, 0xee, self->size);
	test_ioctl_read(self->handle, 0, buf, self->size);
	ASSERT_EQ(0, memcmp(buf, self->model, self->size));
	free(buf);
}

/* Single bytes at and around every page boundary. */
TEST_F(iobmd_data, page_boundaries)
{
	__u8 *buf = malloc(self->size);
	__u64 off;
	__u8 v;

	ASSERT_NE(NULL, buf);
	for (off = 0; off < self->size; off += PAGE_SIZE) {
		__u64 pts[4] = { off, off + 1, off + PAGE_SIZE - 1,
				 off + PAGE_SIZE };
		int k;

		for (k = 0; k != 4; k++) {
			if (pts[k] >= self->size)
				continue;
			v = iobmd_pattern_byte(51, pts[k]) | 1;
			test_ioctl_write(self->handle, pts[k], &v, 1);
			self->model[pts[k]] = v;
		}
	}
	/* Two-byte and page-sized writes straddling boundaries. */
	for (off = PAGE_SIZE; off + PAGE_SIZE < self->size; off += PAGE_SIZE) {
		iobmd_fill_pattern(buf, PAGE_SIZE, off, 52);
		test_ioctl_write(self->handle, off - 1, buf, 2);
		memcpy(self->model + off - 1, buf, 2);
		test_ioctl_write(self->handle, off - PAGE_SIZE / 2, buf,
				 PAGE_SIZE);
		memcpy(self->model + off - PAGE_SIZE / 2, buf, PAGE_SIZE);
	}
	memset(buf, 0xee, self->size);
	test_ioctl_read(self->handle, 0, buf, self->size);
	ASSERT_EQ(0, memcmp(buf, self->model, self->size));
	free(buf);
}

TEST_F(iobmd_data, random_rw)
{
	__u8 *buf = malloc(self->size);
	__u64 state = 0x1234 + self->size;
	int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i != 300; i++) {
		__u64 off = iobmd_next_rand(&state) % self->size;
		__u64 max = self->size - off;
		__u64 len = iobmd_next_rand(&state) % (max < 3 * PAGE_SIZE ?
						  max + 1 : 3 * PAGE_SIZE);
		int op = iobmd_next_rand(&state) % 4;

		if (op == 0) {
			/* Zero-fill. */
			test_ioctl_write(self->handle, off, NULL, len);
			memset(self->model + off, 0, len);
		} else if (op == 1) {
			iobmd_fill_pattern(buf, len, off, i + 100);
			test_ioctl_write(self->handle, off, buf, len);
			memcpy(self->model + off, buf, len);
		} else {
			memset(buf, 0xee, len);
			test_ioctl_read(self->handle, off, buf, len);
			ASSERT_EQ(0, memcmp(buf, self->model + off, len))
				TH_LOG("step %d: read %llu at %llu", i, len,
				       off);
		}
	}
	memset(buf, 0xee, self->size);
	test_ioctl_read(self->handle, 0, buf, self->size);
	ASSERT_EQ(0, memcmp(buf, self->model, self->size));
	free(buf);
}

TEST_HARNESS_MAIN

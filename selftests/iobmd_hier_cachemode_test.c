// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd cache modes of mappings of RAM (IOBMD_MAP's IOBMD_MAP_CACHE_MASK,
 * IOKit's kIOMapCacheMask values): a buffer created write-combined or
 * uncached maps with that mode and refuses another one; a default buffer
 * maps as copyback only; pieces of different modes cannot share a mapping.
 * Device memory, which takes several modes, is iobmd_hier_device_test's.
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_cachemode)
{
	int fd;
};

FIXTURE_SETUP(iobmd_cachemode)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_cachemode)
{
	if (self->fd != -1)
		close(self->fd);
}

static const __u32 all_modes[] = {
	IOBMD_CACHE_DEFAULT,	   IOBMD_CACHE_INHIBIT,
	IOBMD_CACHE_WRITE_THRU,	   IOBMD_CACHE_COPYBACK,
	IOBMD_CACHE_WRITE_COMBINE, IOBMD_CACHE_COPYBACK_INNER,
	IOBMD_CACHE_POSTED_WRITE,  IOBMD_CACHE_REAL_TIME,
};

/* Whether RAM of mode @own can be mapped asking for @want. */
static bool ram_mode_ok(__u32 own, __u32 want)
{
	if (want == IOBMD_CACHE_DEFAULT || want == own)
		return true;
	return own == IOBMD_CACHE_DEFAULT &&
	       (want == IOBMD_CACHE_COPYBACK ||
		want == IOBMD_CACHE_COPYBACK_INNER);
}

FIXTURE_VARIANT(iobmd_cachemode)
{
	__u32 cache;
	__u32 options;
};

FIXTURE_VARIANT_ADD(iobmd_cachemode, copyback)
{
	.cache = IOBMD_CACHE_DEFAULT,
};

FIXTURE_VARIANT_ADD(iobmd_cachemode, copyback_contiguous)
{
	.cache = IOBMD_CACHE_DEFAULT,
	.options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
};

FIXTURE_VARIANT_ADD(iobmd_cachemode, write_combine)
{
	.cache = IOBMD_CACHE_WRITE_COMBINE,
};

FIXTURE_VARIANT_ADD(iobmd_cachemode, write_combine_contiguous)
{
	.cache = IOBMD_CACHE_WRITE_COMBINE,
	.options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
};

FIXTURE_VARIANT_ADD(iobmd_cachemode, inhibit)
{
	.cache = IOBMD_CACHE_INHIBIT,
};

FIXTURE_VARIANT_ADD(iobmd_cachemode, inhibit_contiguous)
{
	.cache = IOBMD_CACHE_INHIBIT,
	.options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
};

/* Each requested mode: mapped, or refused with EINVAL. */
TEST_F(iobmd_cachemode, modes)
{
	const __u64 cap = 4 * PAGE_SIZE;
	struct iobmd_info info;
	__u32 b, s;
	size_t i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | variant->options |
			      variant->cache, cap, 0, &b);
	test_ioctl_get_info(b, &info);
	ASSERT_EQ(variant->cache, info.options & IOBMD_OPT_CACHE_MASK);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, 5, 2 * PAGE_SIZE, &s);
	for (i = 0; i != ARRAY_SIZE(all_modes); i++) {
		int expect = ram_mode_ok(variant->cache, all_modes[i]) ? 0 :
								       EINVAL;

		ASSERT_EQ(expect, iobmd_map_refusal(self->fd, b, all_modes[i],
						    0, 0, cap,
						    PROT_READ | PROT_WRITE))
			TH_LOG("mode 0x%x", all_modes[i]);
		ASSERT_EQ(expect, iobmd_map_refusal(self->fd, b,
						    all_modes[i] |
						    IOBMD_MAP_READONLY,
						    PAGE_SIZE, PAGE_SIZE,
						    PAGE_SIZE, PROT_READ))
			TH_LOG("mode 0x%x, one page", all_modes[i]);
		/* A window of it has its mode. */
		ASSERT_EQ(expect, iobmd_map_refusal(self->fd, s, all_modes[i],
						    0, 0, 3 * PAGE_SIZE,
						    PROT_READ))
			TH_LOG("mode 0x%x, sub", all_modes[i]);
	}
	/* Modes no memory can have: IOBMD_MAP itself refuses them. */
	for (i = 0; i != ARRAY_SIZE(all_modes); i++) {
		struct iobmd_map m;

		if (all_modes[i] != IOBMD_CACHE_POSTED_WRITE &&
		    all_modes[i] != IOBMD_CACHE_REAL_TIME)
			continue;
		EXPECT_ERRNO(EINVAL, _test_ioctl_map_full(self->fd, b,
							  all_modes[i], 0, 0,
							  &m));
	}
	ASSERT_EQ(0, iobmd_stat("mappings"));
	test_ioctl_release(s);
	test_ioctl_release(b);
}

/* Data through a mapping in the buffer's own mode, both ways. */
TEST_F(iobmd_cachemode, data_rw)
{
	const __u64 cap = 4 * PAGE_SIZE;
	__u8 *model = malloc(cap), *p;
	__u64 cookie;
	__u32 b;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | variant->options |
			      variant->cache, cap, 0, &b);
	test_ioctl_map(b, variant->cache, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, cap, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	iobmd_fill_pattern(p, cap, 0, 1);
	iobmd_fill_pattern(model, cap, 0, 1);
	test_check_desc(b, model, cap);
	iobmd_fill_pattern(model, cap, 0, 2);
	test_ioctl_write(b, 0, model, cap);
	ASSERT_EQ(cap, iobmd_check_pattern(p, cap, 0, 2));
	ASSERT_EQ(0, munmap(p, cap));
	test_ioctl_release(b);
	free(model);
}

/* Pieces of different modes cannot share one mapping. */
TEST_F(iobmd_cachemode, mixed_pieces)
{
	__u32 b, other, pair[2], m, same;
	__u32 other_cache = variant->cache == IOBMD_CACHE_WRITE_COMBINE ?
				    IOBMD_CACHE_INHIBIT :
				    IOBMD_CACHE_WRITE_COMBINE;
	size_t i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | variant->options |
			      variant->cache, 2 * PAGE_SIZE, 0, &b);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | other_cache,
			      2 * PAGE_SIZE, 0, &other);
	pair[0] = b;
	pair[1] = other;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	for (i = 0; i != ARRAY_SIZE(all_modes); i++) {
		ASSERT_EQ(EINVAL, iobmd_map_refusal(self->fd, m, all_modes[i],
						    0, 0, 4 * PAGE_SIZE,
						    PROT_READ))
			TH_LOG("mode 0x%x", all_modes[i]);
	}
	/* Each piece alone still maps, and so does the same mode twice. */
	ASSERT_EQ(0, iobmd_map_refusal(self->fd, m, 0, 2 * PAGE_SIZE, 0,
				       2 * PAGE_SIZE, PROT_READ));
	ASSERT_EQ(0, iobmd_map_refusal(self->fd, m, 0, 0, 2 * PAGE_SIZE,
				       2 * PAGE_SIZE, PROT_READ));
	pair[1] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &same);
	ASSERT_EQ(0, iobmd_map_refusal(self->fd, same, variant->cache, 0, 0,
				       4 * PAGE_SIZE, PROT_READ | PROT_WRITE));
	test_ioctl_release(same);
	test_ioctl_release(m);
	test_ioctl_release(other);
	test_ioctl_release(b);
}

TEST_HARNESS_MAIN

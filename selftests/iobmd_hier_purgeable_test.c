// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd setPurgeable(): only buffers created with IOBMD_OPT_PURGEABLE, the
 * four states with the old one returned, Empty discarding the contents,
 * unknown states refused, and sub and multi descriptors combining their
 * pieces' states (Empty beats Volatile beats NonVolatile).
 */
#include "iobmd_utils.h"

FIXTURE(iobmd_purgeable)
{
	int fd;
};

FIXTURE_SETUP(iobmd_purgeable)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_purgeable)
{
	if (self->fd != -1)
		close(self->fd);
}

#define PURGEABLE_BUF (IOBMD_DIRECTION_INOUT | IOBMD_OPT_PURGEABLE)

/* The state of @h, read with KeepCurrent. */
#define purgeable_state(h)                                                   \
	({                                                                   \
		__u64 __old = 0;                                             \
		test_ioctl_set_purgeable(h, IOBMD_PURGEABLE_KEEP_CURRENT,    \
					 &__old);                            \
		__old;                                                       \
	})

TEST_F(iobmd_purgeable, not_purgeable)
{
	__u8 *a = iobmd_user_area(1, 1);
	__u32 b, s, g, pair[2], m, p;
	__u64 old;

	ASSERT_NE(NULL, a);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_err_set_purgeable(EOPNOTSUPP, b, IOBMD_PURGEABLE_KEEP_CURRENT);
	test_err_set_purgeable(EOPNOTSUPP, b, IOBMD_PURGEABLE_VOLATILE);
	test_err_set_purgeable(EOPNOTSUPP, b, IOBMD_PURGEABLE_EMPTY);
	test_ioctl_sub_create(b, 0, 0, 10, &s);
	test_err_set_purgeable(EOPNOTSUPP, s, IOBMD_PURGEABLE_KEEP_CURRENT);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, PAGE_SIZE, &g);
	test_err_set_purgeable(EOPNOTSUPP, g, IOBMD_PURGEABLE_VOLATILE);

	/* A multi with one piece that is not purgeable: nothing changes. */
	test_ioctl_buf_create(PURGEABLE_BUF, PAGE_SIZE, 0, &p);
	test_fill_desc(p, PAGE_SIZE, 2);
	pair[0] = p;
	pair[1] = b;
	test_ioctl_multi_create(0, pair, 2, &m);
	test_err_set_purgeable(EOPNOTSUPP, m, IOBMD_PURGEABLE_KEEP_CURRENT);
	test_err_set_purgeable(EOPNOTSUPP, m, IOBMD_PURGEABLE_VOLATILE);
	test_err_set_purgeable(EOPNOTSUPP, m, IOBMD_PURGEABLE_EMPTY);
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, purgeable_state(p));
	{
		__u8 *model = malloc(PAGE_SIZE);

		ASSERT_NE(NULL, model);
		iobmd_fill_pattern(model, PAGE_SIZE, 0, 2);
		test_check_desc(p, model, PAGE_SIZE);
		free(model);
	}
	test_ioctl_set_purgeable(p, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	test_err_set_purgeable(ENOENT, b + 1000, IOBMD_PURGEABLE_VOLATILE);
	test_ioctl_release(m);
	test_ioctl_release(p);
	test_ioctl_release(g);
	test_ioctl_release(s);
	test_ioctl_release(b);
	munmap(a, PAGE_SIZE);
}

TEST_F(iobmd_purgeable, states)
{
	const __u64 cap = 3 * PAGE_SIZE + 5;
	struct iobmd_info info;
	__u32 b;
	__u64 old;

	test_ioctl_buf_create(PURGEABLE_BUF, cap, 1, &b);
	test_ioctl_get_info(b, &info);
	ASSERT_EQ(IOBMD_OPT_PURGEABLE, info.options & IOBMD_OPT_PURGEABLE);
	test_fill_desc(b, cap, 3);

	/* It starts NonVolatile; KeepCurrent only reads. */
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	/* Each call returns the state before it. */
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_VOLATILE, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_VOLATILE, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, old);
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, old);
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_NON_VOLATILE, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, old);
	/* Volatile memory is never taken here: the contents are still there. */
	{
		__u8 *model = malloc(cap);

		ASSERT_NE(NULL, model);
		iobmd_fill_pattern(model, cap, 0, 3);
		test_check_desc(b, model, cap);
		free(model);
	}
	/* Unknown states, and values too wide: EINVAL, nothing changes. */
	test_err_set_purgeable(EINVAL, b, 0);
	test_err_set_purgeable(EINVAL, b, 5);
	test_err_set_purgeable(EINVAL, b, UINT32_MAX);
	test_err_set_purgeable(EINVAL, b, 1ULL << 32 | IOBMD_PURGEABLE_EMPTY);
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	test_ioctl_release(b);
}

/* Empty discards the contents: READ and mappings see zeros. */
TEST_F(iobmd_purgeable, empty_discards)
{
	const __u64 cap = 4 * PAGE_SIZE;
	const __u32 opts[] = { 0, IOBMD_OPT_PHYSICALLY_CONTIGUOUS };
	size_t k;

	for (k = 0; k != ARRAY_SIZE(opts); k++) {
		__u8 *zero = calloc(1, cap), *p;
		__u64 old;
		__u32 b;

		ASSERT_NE(NULL, zero);
		test_ioctl_buf_create(PURGEABLE_BUF | opts[k], cap, 0, &b);
		test_fill_desc(b, cap, 4);
		test_map_rw(b, 0, 0, cap, &p);
		ASSERT_EQ(cap, iobmd_check_pattern(p, cap, 0, 4));
		test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_EMPTY, &old);
		ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
		test_check_desc(b, zero, cap);
		ASSERT_EQ(cap, iobmd_check_bytes(p, cap, 0));
		/* Empty stays Empty until told otherwise. */
		test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
		ASSERT_EQ(IOBMD_PURGEABLE_EMPTY, old);
		/* The memory is still usable. */
		p[7] = 7;
		test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_NON_VOLATILE, &old);
		ASSERT_EQ(IOBMD_PURGEABLE_EMPTY, old);
		{
			__u8 v;

			test_ioctl_read(b, 7, &v, 1);
			ASSERT_EQ(7, v);
		}
		ASSERT_EQ(0, munmap(p, cap));
		test_ioctl_release(b);
		free(zero);
	}
}

/*
 * A multi combines its pieces' old states: Empty beats Volatile beats
 * NonVolatile; a new state goes to every piece.  A sub reports its
 * parent's.
 */
TEST_F(iobmd_purgeable, combined)
{
	__u32 p[3], m, s, il;
	__u64 old;
	int i;

	for (i = 0; i != 3; i++) {
		test_ioctl_buf_create(PURGEABLE_BUF, 2 * PAGE_SIZE, 0, &p[i]);
		test_fill_desc(p[i], 2 * PAGE_SIZE, 10 + i);
	}
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 3, &m);
	test_ioctl_sub_create(p[1], IOBMD_DIRECTION_INOUT, 10, 10, &s);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il);
	test_ioctl_interleaved_set(il, p[0], 0, 1);
	test_ioctl_interleaved_set(il, p[2], 0, 1);

	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, purgeable_state(m));
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, purgeable_state(s));
	test_ioctl_set_purgeable(p[1], IOBMD_PURGEABLE_VOLATILE, NULL);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, purgeable_state(m));
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, purgeable_state(s));
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, purgeable_state(il));
	test_ioctl_set_purgeable(p[2], IOBMD_PURGEABLE_EMPTY, NULL);
	ASSERT_EQ(IOBMD_PURGEABLE_EMPTY, purgeable_state(m));
	ASSERT_EQ(IOBMD_PURGEABLE_EMPTY, purgeable_state(il));
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, purgeable_state(s));

	/* Setting through the multi sets every piece; old is combined. */
	test_ioctl_set_purgeable(m, IOBMD_PURGEABLE_NON_VOLATILE, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_EMPTY, old);
	for (i = 0; i != 3; i++)
		ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, purgeable_state(p[i]));
	test_ioctl_set_purgeable(s, IOBMD_PURGEABLE_VOLATILE, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, purgeable_state(p[1]));
	ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, purgeable_state(p[0]));
	test_ioctl_set_purgeable(m, IOBMD_PURGEABLE_VOLATILE, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, old);
	test_ioctl_set_purgeable(m, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, old);

	/* Empty through the sub empties the whole parent. */
	test_ioctl_set_purgeable(s, IOBMD_PURGEABLE_EMPTY, &old);
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, old);
	{
		__u8 back[2 * 4096];

		ASSERT_GE(sizeof(back), 2 * PAGE_SIZE);
		test_ioctl_read(p[1], 0, back, 2 * PAGE_SIZE);
		ASSERT_EQ(2 * PAGE_SIZE, iobmd_check_bytes(back, 2 * PAGE_SIZE,
							   0));
		/* ... and only it. */
		test_ioctl_read(p[0], 0, back, 2 * PAGE_SIZE);
		ASSERT_EQ(2 * PAGE_SIZE, iobmd_check_pattern(back,
							     2 * PAGE_SIZE, 0,
							     10));
	}
	/* Unknown states through a multi: EINVAL, nothing changes. */
	test_err_set_purgeable(EINVAL, m, 0);
	test_err_set_purgeable(EINVAL, m, 5);
	ASSERT_EQ(IOBMD_PURGEABLE_EMPTY, purgeable_state(p[1]));
	ASSERT_EQ(IOBMD_PURGEABLE_VOLATILE, purgeable_state(p[0]));

	test_ioctl_release(il);
	test_ioctl_release(s);
	test_ioctl_release(m);
	for (i = 0; i != 3; i++)
		test_ioctl_release(p[i]);
}

TEST_HARNESS_MAIN

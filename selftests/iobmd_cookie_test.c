// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd handles and mmap cookies as names: handles are allocated
 * cyclically, so a released one does not name the next descriptor at
 * once; cookies are page-offset ranges of their file below 2^44 bytes (so
 * that 32-bit callers' mmap2() reaches them), one per handle and set of
 * map flags, valid while the handle lives and never naming another
 * descriptor afterwards.  iobmd_compat_test runs the same through the
 * 32-bit entry points.
 */
#include <sys/mman.h>

#include "iobmd_utils.h"

/* What mmap2()'s 32-bit page offset reaches. */
#define MMAP2_LIMIT	(1ULL << 44)

FIXTURE(iobmd_cookie)
{
	int fd;
};

FIXTURE_SETUP(iobmd_cookie)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_cookie)
{
	if (self->fd != -1)
		close(self->fd);
}

#define test_err_mmap(_errno, cookie, len, prot)                              \
	({                                                                    \
		void *__p = mmap(NULL, len, prot, MAP_SHARED, self->fd,       \
				 (off_t)(cookie));                            \
		ASSERT_EQ(MAP_FAILED, __p)                                    \
			TH_LOG("cookie 0x%llx mapped",                        \
			       (unsigned long long)(cookie));                 \
		EXPECT_EQ(_errno, errno);                                     \
	})

/* A released handle is not handed out again at once. */
TEST_F_TIMEOUT(iobmd_cookie, handles_cyclic, 120)
{
	__u32 first, h, prev;
	int i;

	test_ioctl_buf_create(0, PAGE_SIZE, 0, &first);
	test_ioctl_release(first);
	prev = first;
	for (i = 0; i != 64; i++) {
		test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
		ASSERT_EQ(prev + 1, h) TH_LOG("round %d", i);
		test_ioctl_release(h);
		test_err_release(ENOENT, prev);
		prev = h;
	}
	/* A handle in use is never handed out twice. */
	test_ioctl_buf_create(0, PAGE_SIZE, 0, &first);
	for (i = 0; i != 16; i++) {
		test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
		ASSERT_NE(first, h);
		test_ioctl_release(h);
	}
	test_ioctl_release(first);
}

/*
 * A cookie names its handle's descriptor and nothing else: after the
 * release it fails, even once a new descriptor exists.
 */
TEST_F(iobmd_cookie, stale_cookie)
{
	__u8 *buf = malloc(PAGE_SIZE);
	__u64 cookie, cookie2;
	__u32 a, b;
	void *p;

	ASSERT_NE(NULL, buf);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &a);
	test_ioctl_map(a, 0, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	test_ioctl_release(a);
	/* The mapping holds the memory; the cookie is gone. */
	ASSERT_EQ(PAGE_SIZE, iobmd_check_bytes(p, PAGE_SIZE, 0));
	test_err_mmap(EINVAL, cookie, PAGE_SIZE, PROT_READ);

	memset(buf, 0xb0, PAGE_SIZE);
	test_ioctl_buf_create_bytes(IOBMD_DIRECTION_INOUT, buf, PAGE_SIZE, &b);
	ASSERT_NE(a, b);
	test_err_mmap(EINVAL, cookie, PAGE_SIZE, PROT_READ);
	test_ioctl_map(b, 0, 0, 0, &cookie2);
	ASSERT_NE(cookie, cookie2);
	test_ioctl_release(b);
	test_err_mmap(EINVAL, cookie2, PAGE_SIZE, PROT_READ);
	munmap(p, PAGE_SIZE);
	free(buf);
}

/* Every cookie of many handles, and its whole range, is below 2^44. */
TEST_F_TIMEOUT(iobmd_cookie, cookies_fit_mmap2, 120)
{
	const int n = 64;
	__u32 *h = calloc(n, sizeof(*h));
	__u64 cookie;
	__u8 *p;
	int i;

	ASSERT_NE(NULL, h);
	for (i = 0; i != n; i++) {
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0,
				      &h[i]);
		test_ioctl_map(h[i], 0, 0, 0, &cookie);
		ASSERT_GE(MMAP2_LIMIT, cookie + 4 * PAGE_SIZE)
			TH_LOG("handle %u: cookie 0x%llx", h[i],
			       (unsigned long long)cookie);
		ASSERT_NE(0, cookie);
		p = iobmd_mmap(self->fd, cookie, 4 * PAGE_SIZE,
			       PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p);
		memset(p, i, 4 * PAGE_SIZE);
		munmap(p, 4 * PAGE_SIZE);
	}
	for (i = 0; i != n; i++) {
		__u8 c;

		test_ioctl_read(h[i], 3 * PAGE_SIZE, &c, 1);
		ASSERT_EQ((__u8)i, c);
		test_ioctl_release(h[i]);
	}
	free(h);
}

/*
 * A cookie is a range: a page inside it maps from that page of the
 * mapping; a range past it, or an offset no cookie covers, is EINVAL.
 * One cookie per handle and flags: asking again gives the same one.
 */
TEST_F(iobmd_cookie, cookie_ranges)
{
	__u64 c0, c1, c2, ro, wc;
	__u32 h, other;
	__u8 *p;
	int i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &h);
	for (i = 0; i != 4; i++) {
		__u8 v = 0x10 + i;

		test_ioctl_write(h, i * PAGE_SIZE, &v, 1);
	}
	test_ioctl_map(h, 0, 0, 0, &c0);
	test_ioctl_map(h, 0, 2 * PAGE_SIZE, PAGE_SIZE, &c2);
	ASSERT_EQ(c0 + 2 * PAGE_SIZE, c2);
	test_ioctl_map(h, 0, PAGE_SIZE, 0, &c1);
	ASSERT_EQ(c0 + PAGE_SIZE, c1);
	for (i = 0; i != 4; i++) {
		p = iobmd_mmap(self->fd, c0 + i * PAGE_SIZE, PAGE_SIZE,
			       PROT_READ);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0x10 + i, p[0]);
		munmap(p, PAGE_SIZE);
	}
	test_err_mmap(EINVAL, c0, 5 * PAGE_SIZE, PROT_READ);
	test_err_mmap(EINVAL, c2, 3 * PAGE_SIZE, PROT_READ);
	test_err_mmap(EINVAL, 0, PAGE_SIZE, PROT_READ);
	test_err_mmap(EINVAL, c0 - PAGE_SIZE, PAGE_SIZE, PROT_READ);

	/* Other flags, other cookies; each keeps its flags. */
	test_ioctl_map(h, IOBMD_MAP_READONLY, 0, 0, &ro);
	ASSERT_NE(c0, ro);
	test_ioctl_map(h, IOBMD_CACHE_COPYBACK, 0, 0, &wc);
	ASSERT_NE(c0, wc);
	ASSERT_NE(ro, wc);
	test_err_mmap(EACCES, ro, PAGE_SIZE, PROT_READ | PROT_WRITE);
	p = iobmd_mmap(self->fd, ro + PAGE_SIZE, PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0x11, p[0]);
	munmap(p, PAGE_SIZE);

	/* A cookie of this handle never covers another's pages. */
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &other);
	test_ioctl_map(other, 0, 0, 0, &c1);
	ASSERT_EQ(true, c1 + PAGE_SIZE <= c0 || c1 >= c0 + 4 * PAGE_SIZE);
	test_ioctl_release(other);
	test_ioctl_release(h);
	test_err_mmap(EINVAL, c0, PAGE_SIZE, PROT_READ);
	test_err_mmap(EINVAL, ro, PAGE_SIZE, PROT_READ);
}

/* Cookies are per file: another open file's cookie names nothing here. */
TEST_F(iobmd_cookie, per_file)
{
	int fd2 = open(IOBMD_DEV_PATH, O_RDWR);
	__u64 cookie;
	__u32 h;
	void *p;

	ASSERT_NE(-1, fd2);
	test_ioctl_buf_create(0, PAGE_SIZE, 0, &h);
	test_ioctl_map(h, 0, 0, 0, &cookie);
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, fd2, (off_t)cookie);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	close(fd2);
	test_ioctl_release(h);
}

/*
 * An interleaved descriptor that grows needs a larger cookie: the old one
 * still maps what it covered.  A handle holds at most 64 cookies
 * (IOBMD_COOKIE_MAX_PER_HANDLE).
 */
TEST_F(iobmd_cookie, growing_descriptor)
{
	__u64 cookie, first, prev = 0;
	__u32 b, il;
	__u8 *p;
	int i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 100, &il);
	test_ioctl_interleaved_set(il, b, 0, PAGE_SIZE);
	test_ioctl_map(il, 0, 0, 0, &first);
	for (i = 1; i != 64; i++) {
		test_ioctl_interleaved_set(il, b, 0, PAGE_SIZE);
		test_ioctl_map(il, 0, 0, 0, &cookie);
		ASSERT_NE(prev, cookie);
		prev = cookie;
	}
	p = iobmd_mmap(self->fd, prev, 64 * PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, 64 * PAGE_SIZE);
	p = iobmd_mmap(self->fd, first, PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, PAGE_SIZE);
	test_err_mmap(EINVAL, first, 2 * PAGE_SIZE, PROT_READ);
	/* A 65th cookie for the handle: no room. */
	test_ioctl_interleaved_set(il, b, 0, PAGE_SIZE);
	test_err_map(ENOSPC, il, 0, 0, 0);
	test_err_map(ENOSPC, il, IOBMD_MAP_READONLY, 0, 0);
	test_ioctl_release(il);
	test_ioctl_release(b);
}

/*
 * The cookie space is 2^32 pages less two: large mappings fill it (512 GiB
 * of device memory, never touched, takes 2^27 pages a cookie), ENOSPC
 * says so and changes nothing, and allocation goes round to space that
 * released handles gave back.
 */
TEST_F(iobmd_cookie, cookie_space_wraps)
{
	static const __u32 modes[] = {
		IOBMD_CACHE_DEFAULT, IOBMD_CACHE_INHIBIT,
		IOBMD_CACHE_WRITE_THRU, IOBMD_CACHE_COPYBACK,
		IOBMD_CACHE_WRITE_COMBINE, IOBMD_CACHE_COPYBACK_INNER,
	};
	const __u64 span = 1ULL << 39;
	__u64 cookie, first = 0, last = 0;
	int i, j, made = 0;
	__u32 m[3];

	for (i = 0; i != 3; i++)
		test_ioctl_device_create(IOBMD_TEST_NOT_RAM, span, &m[i]);
	/* 31 cookies of 2^27 pages fit; the 32nd does not. */
	for (i = 0; i != 3 && made != 31; i++) {
		for (j = 0; j != 12 && made != 31; j++, made++) {
			test_ioctl_map(m[i], modes[j % 6] |
				       (j >= 6 ? IOBMD_MAP_READONLY : 0), 0, 0,
				       &cookie);
			ASSERT_GE(1ULL << 44, cookie + span);
			if (!made)
				first = cookie;
			last = cookie;
		}
	}
	ASSERT_EQ(first + 30 * span, last);
	test_err_map(ENOSPC, m[2], IOBMD_MAP_READONLY |
		     IOBMD_CACHE_COPYBACK_INNER, 0, 0);
	/* What exists is still served. */
	test_ioctl_map(m[0], 0, span - PAGE_SIZE, 0, &cookie);
	ASSERT_EQ(first + span - PAGE_SIZE, cookie);
	/* Space given back is used again, from the start. */
	test_ioctl_release(m[0]);
	test_ioctl_map(m[2], IOBMD_MAP_READONLY | IOBMD_CACHE_COPYBACK_INNER,
		       0, 0, &cookie);
	ASSERT_EQ(first, cookie);
	test_ioctl_release(m[1]);
	test_ioctl_release(m[2]);
}

TEST_HARNESS_MAIN

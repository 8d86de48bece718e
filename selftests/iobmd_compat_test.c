// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd for 32-bit callers: this program is built as a static i386 binary
 * (scripts/build-selftests.sh, see the marker below) and runs through the
 * kernel's compat entry points: compat_ptr_ioctl() for the commands and
 * mmap2(), whose page offset is 32 bits (offsets below 2^44 bytes), for
 * the mappings.  The uapi promises one layout for 32- and 64-bit callers:
 * every cookie must reach mmap2(), every mapping must show its own
 * descriptor's bytes, and a stale cookie must fail.
 *
 * iobmd-selftest-build: i386
 */
#include <sys/mman.h>
#include <sys/syscall.h>

#include "iobmd_utils.h"

#define COMPAT_HANDLES	24
/* What mmap2()'s 32-bit page offset reaches. */
#define MMAP2_LIMIT	(1ULL << 44)

FIXTURE(iobmd_compat)
{
	int fd;
};

FIXTURE_SETUP(iobmd_compat)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_compat)
{
	if (self->fd != -1)
		close(self->fd);
}

/* mmap2() itself, with the page offset it takes (no library checks). */
static void *raw_mmap2(int fd, unsigned long pgoff, size_t len, int prot)
{
	long ret = syscall(SYS_mmap2, 0, len, prot, MAP_SHARED, fd, pgoff);

	return ret < 0 && ret > -4096 ? MAP_FAILED : (void *)ret;
}

TEST_F(iobmd_compat, is_32bit)
{
	struct iobmd_version ver;

	ASSERT_EQ(4, sizeof(long));
	ASSERT_EQ(8, sizeof(off_t));
	test_ioctl_get_version(&ver);
	ASSERT_EQ(IOBMD_ABI_MAJOR, ver.abi_major);
	ASSERT_EQ(PAGE_SIZE, ver.page_size);
}

/*
 * Many handles, each mapped whole and from its second page: each cookie
 * reaches mmap2(), and each mapping shows its own buffer's bytes.
 */
TEST_F_TIMEOUT(iobmd_compat, many_handles_map_their_own, 120)
{
	__u32 h[COMPAT_HANDLES];
	__u64 cookie[COMPAT_HANDLES], cookie2;
	__u8 *p[COMPAT_HANDLES], *q;
	size_t len = 2 * PAGE_SIZE;
	__u8 *buf = malloc(len);
	int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i != COMPAT_HANDLES; i++) {
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &h[i]);
		iobmd_fill_pattern(buf, len, 0, 1000 + i);
		test_ioctl_write(h[i], 0, buf, len);
	}
	for (i = 0; i != COMPAT_HANDLES; i++) {
		test_ioctl_map(h[i], 0, 0, 0, &cookie[i]);
		ASSERT_GT(MMAP2_LIMIT, cookie[i] + len)
			TH_LOG("handle %u: cookie 0x%llx", h[i],
			       (unsigned long long)cookie[i]);
		p[i] = iobmd_mmap(self->fd, cookie[i], len,
				  PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p[i])
			TH_LOG("handle %u: cookie 0x%llx: %s", h[i],
			       (unsigned long long)cookie[i], strerror(errno));
	}
	for (i = 0; i != COMPAT_HANDLES; i++) {
		ASSERT_EQ(len, iobmd_check_pattern(p[i], len, 0, 1000 + i))
			TH_LOG("handle %u shows another buffer", h[i]);
		/* The same through mmap2() with the page offset as is. */
		q = raw_mmap2(self->fd, cookie[i] / PAGE_SIZE + 1, PAGE_SIZE,
			      PROT_READ);
		ASSERT_NE(MAP_FAILED, q);
		ASSERT_EQ(PAGE_SIZE,
			  iobmd_check_pattern(q, PAGE_SIZE, PAGE_SIZE, 1000 + i));
		munmap(q, PAGE_SIZE);
		/* A cookie for the second page alone. */
		test_ioctl_map(h[i], IOBMD_MAP_READONLY, PAGE_SIZE, 0,
			       &cookie2);
		q = iobmd_mmap(self->fd, cookie2, PAGE_SIZE, PROT_READ);
		ASSERT_NE(MAP_FAILED, q);
		ASSERT_EQ(PAGE_SIZE,
			  iobmd_check_pattern(q, PAGE_SIZE, PAGE_SIZE, 1000 + i));
		munmap(q, PAGE_SIZE);
	}
	/* A write through one mapping lands in its own buffer only. */
	p[COMPAT_HANDLES - 1][5] ^= 0xff;
	test_ioctl_read(h[COMPAT_HANDLES - 1], 0, buf, len);
	ASSERT_EQ(p[COMPAT_HANDLES - 1][5], buf[5]);
	for (i = 0; i != COMPAT_HANDLES - 1; i++)
		ASSERT_EQ(len, iobmd_check_pattern(p[i], len, 0, 1000 + i));
	for (i = 0; i != COMPAT_HANDLES; i++) {
		munmap(p[i], len);
		test_ioctl_release(h[i]);
	}
	free(buf);
}

/*
 * A cookie dies with its handle: mmap() of it fails, also once new
 * descriptors exist, and never shows what they hold.
 */
TEST_F_TIMEOUT(iobmd_compat, stale_cookie_fails, 120)
{
	__u64 old_cookie[8], cookie;
	__u32 old[8], h[8];
	size_t len = PAGE_SIZE;
	__u8 *buf = malloc(len);
	void *p;
	int i, j;

	ASSERT_NE(NULL, buf);
	for (i = 0; i != 8; i++) {
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &old[i]);
		test_ioctl_map(old[i], 0, 0, 0, &old_cookie[i]);
	}
	for (i = 0; i != 8; i++)
		test_ioctl_release(old[i]);
	for (i = 0; i != 8; i++) {
		p = iobmd_mmap(self->fd, old_cookie[i], len, PROT_READ);
		ASSERT_EQ(MAP_FAILED, p);
		ASSERT_EQ(EINVAL, errno);
	}
	/* New descriptors get new handles and new cookies. */
	for (i = 0; i != 8; i++) {
		memset(buf, 0xa0 + i, len);
		test_ioctl_buf_create_bytes(IOBMD_DIRECTION_INOUT, buf, len,
					    &h[i]);
		for (j = 0; j != 8; j++)
			ASSERT_NE(old[j], h[i]);
		test_ioctl_map(h[i], 0, 0, 0, &cookie);
		for (j = 0; j != 8; j++)
			ASSERT_NE(old_cookie[j], cookie);
	}
	for (i = 0; i != 8; i++) {
		p = iobmd_mmap(self->fd, old_cookie[i], len, PROT_READ);
		ASSERT_EQ(MAP_FAILED, p)
			TH_LOG("stale cookie 0x%llx mapped byte 0x%02x",
			       (unsigned long long)old_cookie[i],
			       *(__u8 *)p);
		ASSERT_EQ(EINVAL, errno);
		/* Nor through mmap2() with the page offset cut to 32 bits. */
		p = raw_mmap2(self->fd, old_cookie[i] / PAGE_SIZE, len,
			      PROT_READ);
		ASSERT_EQ(MAP_FAILED, p);
	}
	for (i = 0; i != 8; i++)
		test_ioctl_release(h[i]);
	free(buf);
}

/* The size cap and the size rules hold for 32-bit callers too. */
TEST_F(iobmd_compat, size_cap)
{
	size_t big = 2 * PAGE_SIZE;
	struct iobmd_version *ver = calloc(1, big);

	ASSERT_NE(NULL, ver);
	ver->size = PAGE_SIZE;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_GET_VERSION, ver));
	ver->size = PAGE_SIZE + 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_GET_VERSION, ver));
	ver->size = UINT32_MAX;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_GET_VERSION, ver));
	free(ver);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd mappings: IOBMD_MAP cookies and their rules, mmap() of whole
 * buffers and of ranges, read-only cookies, data seen both ways between
 * mappings and READ/WRITE, and how each kind of buffer is mapped
 * (page-backed, contiguous or not, in any cache mode).
 */
#include <sys/uio.h>

#include "iobmd_utils.h"

FIXTURE(iobmd_mmap)
{
	int fd;
};

FIXTURE_SETUP(iobmd_mmap)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_mmap)
{
	if (self->fd != -1)
		close(self->fd);
}

#define test_err_mmap(_errno, cookie, len, prot, flags)                       \
	({                                                                    \
		void *__p = mmap(NULL, len, prot, flags, self->fd,            \
				 (off_t)(cookie));                            \
		ASSERT_EQ(MAP_FAILED, __p);                                   \
		EXPECT_EQ(_errno, errno);                                     \
	})

TEST_F(iobmd_mmap, map_offset_rules)
{
	const __u64 cap = 3 * PAGE_SIZE;
	__u64 cookie;
	__u32 h;

	test_ioctl_buf_create(0, cap, 0, &h);

	/* The offset must be page aligned. */
	test_err_map(EINVAL, h, 0, 1, 0);
	test_err_map(EINVAL, h, 0, PAGE_SIZE / 2, PAGE_SIZE);
	test_err_map(EINVAL, h, 0, PAGE_SIZE + 1, 0);
	test_err_map(EINVAL, h, 0, cap - 1, 1);

	/* The range must lie within the capacity rounded up to a page. */
	test_err_map(ERANGE, h, 0, 0, cap + 1);
	test_err_map(ERANGE, h, 0, 0, cap + PAGE_SIZE);
	test_err_map(ERANGE, h, 0, PAGE_SIZE, cap);
	test_err_map(ERANGE, h, 0, cap + PAGE_SIZE, 0);
	test_err_map(ERANGE, h, 0, cap + PAGE_SIZE, PAGE_SIZE);
	test_err_map(ERANGE, h, 0, PAGE_SIZE, UINT64_MAX - PAGE_SIZE + 1);
	test_err_map(ERANGE, h, 0, 0, UINT64_MAX);

	/* In range. */
	test_ioctl_map(h, 0, 0, 0, &cookie);
	test_ioctl_map(h, 0, 0, cap, &cookie);
	test_ioctl_map(h, 0, PAGE_SIZE, 2 * PAGE_SIZE, &cookie);
	test_ioctl_map(h, 0, 2 * PAGE_SIZE, 0, &cookie);
	test_ioctl_map(h, 0, 2 * PAGE_SIZE, 1, &cookie);
	test_ioctl_map(h, IOBMD_MAP_READONLY, 0, 0, &cookie);
	test_ioctl_release(h);

	/* A capacity below a page rounds up to one page. */
	test_ioctl_buf_create(0, 100, 1, &h);
	test_ioctl_map(h, 0, 0, PAGE_SIZE, &cookie);
	test_ioctl_map(h, 0, 0, 101, &cookie);
	test_err_map(ERANGE, h, 0, 0, PAGE_SIZE + 1);
	test_err_map(ERANGE, h, 0, PAGE_SIZE, 1);
	test_err_map(ERANGE, h, 0, 2 * PAGE_SIZE, 0);
	test_ioctl_release(h);
}

/* A whole-buffer cookie allows at most the capacity rounded to a page. */
TEST_F(iobmd_mmap, mmap_length_whole)
{
	const __u64 cap = 3 * PAGE_SIZE;
	const int rw = PROT_READ | PROT_WRITE;
	__u64 cookie;
	void *p;
	__u32 h;

	test_ioctl_buf_create(0, cap, 0, &h);
	test_ioctl_map(h, 0, 0, 0, &cookie);
	test_err_mmap(EINVAL, cookie, cap + PAGE_SIZE, rw, MAP_SHARED);
	p = iobmd_mmap(self->fd, cookie, cap, rw);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, cap));
	/* Shorter is fine. */
	p = iobmd_mmap(self->fd, cookie, PAGE_SIZE, rw);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	test_ioctl_release(h);

	/* 100 bytes of capacity: one page. */
	test_ioctl_buf_create(0, 100, 1, &h);
	test_ioctl_map(h, 0, 0, 0, &cookie);
	test_err_mmap(EINVAL, cookie, 2 * PAGE_SIZE, rw, MAP_SHARED);
	p = iobmd_mmap(self->fd, cookie, PAGE_SIZE, rw);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	test_ioctl_release(h);
}

/* A range cookie allows at most its own range, not the whole buffer. */
TEST_F(iobmd_mmap, mmap_length_range)
{
	const __u64 cap = 3 * PAGE_SIZE;
	const int rw = PROT_READ | PROT_WRITE;
	__u64 cookie;
	void *p;
	__u32 h;

	test_ioctl_buf_create(0, cap, 0, &h);

	/*
	 * A cookie names a start; mmap() may cover any length up to the end
	 * of the buffer's pages from there, and no further.
	 */
	test_ioctl_map(h, 0, PAGE_SIZE, 100, &cookie);
	p = iobmd_mmap(self->fd, cookie, PAGE_SIZE, rw);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	p = iobmd_mmap(self->fd, cookie, 2 * PAGE_SIZE, rw);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, 2 * PAGE_SIZE));
	test_err_mmap(EINVAL, cookie, 3 * PAGE_SIZE, rw, MAP_SHARED);

	/* One page from page 0, in a three-page buffer. */
	test_ioctl_map(h, 0, 0, PAGE_SIZE, &cookie);
	p = iobmd_mmap(self->fd, cookie, cap, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, cap));
	test_err_mmap(EINVAL, cookie, cap + PAGE_SIZE, rw, MAP_SHARED);

	/* From page 2 to the end: one page. */
	test_ioctl_map(h, 0, 2 * PAGE_SIZE, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, PAGE_SIZE, rw);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	test_err_mmap(EINVAL, cookie, 2 * PAGE_SIZE, rw, MAP_SHARED);
	test_ioctl_release(h);
}

TEST_F(iobmd_mmap, mmap_private)
{
	__u64 cookie;
	__u32 h;

	test_ioctl_buf_create(0, 2 * PAGE_SIZE, 0, &h);
	test_ioctl_map(h, 0, 0, 0, &cookie);
	test_err_mmap(EINVAL, cookie, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE);
	test_err_mmap(EINVAL, cookie, PAGE_SIZE, PROT_READ, MAP_PRIVATE);
	test_ioctl_map(h, IOBMD_MAP_READONLY, 0, 0, &cookie);
	test_err_mmap(EINVAL, cookie, PAGE_SIZE, PROT_READ, MAP_PRIVATE);
	test_ioctl_release(h);
}

TEST_F(iobmd_mmap, mmap_released_cookie)
{
	__u64 cookie, cookie2;
	__u32 h, h2;

	test_ioctl_buf_create(0, 2 * PAGE_SIZE, 0, &h);
	test_ioctl_map(h, 0, 0, 0, &cookie);
	test_ioctl_buf_create(0, 2 * PAGE_SIZE, 0, &h2);
	test_ioctl_map(h2, 0, 0, 0, &cookie2);
	ASSERT_NE(cookie, cookie2);
	test_ioctl_release(h);
	test_err_mmap(EINVAL, cookie, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED);
	test_err_mmap(EINVAL, cookie, PAGE_SIZE, PROT_READ, MAP_SHARED);
	test_ioctl_release(h2);
}

TEST_F(iobmd_mmap, readonly_cookie)
{
	const __u64 cap = 2 * PAGE_SIZE;
	__u8 *src = malloc(cap);
	__u64 cookie;
	__u8 *p;
	__u32 h;

	ASSERT_NE(NULL, src);
	iobmd_fill_pattern(src, cap, 0, 61);
	test_ioctl_buf_create(0, cap, 0, &h);
	test_ioctl_write(h, 0, src, cap);
	test_ioctl_map(h, IOBMD_MAP_READONLY, 0, 0, &cookie);

	test_err_mmap(EACCES, cookie, cap, PROT_READ | PROT_WRITE, MAP_SHARED);
	test_err_mmap(EACCES, cookie, cap, PROT_WRITE, MAP_SHARED);

	p = iobmd_mmap(self->fd, cookie, cap, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(cap, iobmd_check_pattern(p, cap, 0, 61));
	EXPECT_ERRNO(EACCES, mprotect(p, cap, PROT_READ | PROT_WRITE));
	EXPECT_ERRNO(EACCES, mprotect(p, PAGE_SIZE, PROT_WRITE));
	/* Still readable, and still follows the buffer. */
	test_ioctl_write(h, 0, NULL, PAGE_SIZE);
	ASSERT_EQ(PAGE_SIZE, iobmd_check_bytes(p, PAGE_SIZE, 0));
	ASSERT_EQ(0, munmap(p, cap));

	/* A writable cookie mapped read-only may become writable. */
	test_ioctl_map(h, 0, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, cap, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p, cap, PROT_READ | PROT_WRITE));
	p[PAGE_SIZE] = 0x77;
	ASSERT_EQ(0, munmap(p, cap));
	test_ioctl_read(h, PAGE_SIZE, src, 1);
	ASSERT_EQ(0x77, src[0]);
	test_ioctl_release(h);
	free(src);
}

/* A 100-byte buffer maps as one page; the rest of it is zero. */
TEST_F(iobmd_mmap, small_buffer_page)
{
	__u8 src[100], *p;
	__u32 h;

	iobmd_fill_pattern(src, sizeof(src), 0, 62);
	test_ioctl_buf_create(0, sizeof(src), 1, &h);
	test_ioctl_write(h, 0, src, sizeof(src));
	test_map_rw(h, 0, 0, PAGE_SIZE, &p);
	ASSERT_EQ(sizeof(src), iobmd_check_pattern(p, sizeof(src), 0, 62));
	ASSERT_EQ(PAGE_SIZE - sizeof(src),
		  iobmd_check_bytes(p + sizeof(src), PAGE_SIZE - sizeof(src),
				    0));
	p[10] = 0x99;
	test_ioctl_read(h, 10, src, 1);
	ASSERT_EQ(0x99, src[0]);
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	test_ioctl_release(h);
}

/* MAP does not depend on the length, only on the capacity. */
TEST_F(iobmd_mmap, map_ignores_length)
{
	const __u64 cap = 4 * PAGE_SIZE;
	__u8 *p, v;
	__u32 h;

	test_ioctl_buf_create(0, cap, 0, &h);
	test_ioctl_set_length(h, 10, NULL);
	test_map_rw(h, 0, 0, cap, &p);
	p[cap - 1] = 0x31;
	test_ioctl_set_length(h, cap, NULL);
	test_ioctl_read(h, cap - 1, &v, 1);
	ASSERT_EQ(0x31, v);
	ASSERT_EQ(0, munmap(p, cap));
	test_ioctl_release(h);
}

/*
 * The same data through every mapping kind, over every buffer shape.
 */
FIXTURE(iobmd_map_shape)
{
	int fd;
	__u32 handle;
	__u64 length;	/* bytes READ/WRITE can reach */
	__u64 map_len;	/* the capacity rounded up to a page */
	__u8 *model;
};

FIXTURE_VARIANT(iobmd_map_shape)
{
	struct iobmd_shape shape;
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, pages_and_bytes)
{
	.shape = { .pages = 5, .extra = 123 },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, page_aligned)
{
	.shape = { .pages = 8, .alignment = 4096 },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, mask_32bit)
{
	.shape = { .pages = 8, .extra = 1,
		   .flags = IOBMD_BUF_CREATE_PHYS_MASK,
		   .phys_mask = 0x00000000FFFFF000ULL },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, kernel_user_shared)
{
	.shape = { .pages = 4, .extra = 7,
		   .options = IOBMD_OPT_KERNEL_USER_SHARED },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, with_bytes)
{
	.shape = { .pages = 3, .extra = 17,
		   .flags = IOBMD_BUF_CREATE_WITH_BYTES },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, large)
{
	.shape = { .pages = 4096 },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, contiguous)
{
	.shape = { .pages = 8, .options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, contiguous_large)
{
	.shape = { .pages = 1024, .options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, mask_64k)
{
	.shape = { .pages = 16, .flags = IOBMD_BUF_CREATE_PHYS_MASK,
		   .phys_mask = 0x00000000FFFF0000ULL },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, aligned_2m)
{
	.shape = { .pages = 512, .alignment = SZ_2M },
};

/* Cache modes are page-backed too, with the mode in the PTEs. */
FIXTURE_VARIANT_ADD(iobmd_map_shape, contiguous_write_combined)
{
	.shape = { .pages = 4,
		   .options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
			      IOBMD_CACHE_WRITE_COMBINE },
};

FIXTURE_VARIANT_ADD(iobmd_map_shape, scattered_uncached)
{
	.shape = { .pages = 8, .options = IOBMD_CACHE_INHIBIT },
};

FIXTURE_SETUP(iobmd_map_shape)
{
	struct iobmd_info info;

	self->model = NULL;
	iobmd_fixture_open(self->fd);
	test_create_shape(&variant->shape, 71, &self->handle);
	test_ioctl_get_info(self->handle, &info);
	self->length = info.length;
	self->map_len = ALIGN_UP(info.capacity, PAGE_SIZE);
	self->model = calloc(1, self->length);
	ASSERT_NE(NULL, self->model);
	if (variant->shape.flags & IOBMD_BUF_CREATE_WITH_BYTES)
		iobmd_fill_pattern(self->model, self->length, 0, 71);
}

FIXTURE_TEARDOWN(iobmd_map_shape)
{
	free(self->model);
	if (self->fd != -1)
		close(self->fd);
}

/* A fresh mapping shows the buffer's initial contents, zero elsewhere. */
TEST_F(iobmd_map_shape, initial_contents)
{
	__u8 *p;

	test_map_rw(self->handle, 0, 0, self->map_len, &p);
	ASSERT_EQ(0, memcmp(p, self->model, self->length));
	ASSERT_EQ(self->map_len - self->length,
		  iobmd_check_bytes(p + self->length,
				    self->map_len - self->length, 0));
	ASSERT_EQ(0, munmap(p, self->map_len));
}

/* Stores through a mapping are what READ returns. */
TEST_F(iobmd_map_shape, mapping_to_read)
{
	__u8 *p, *back = malloc(self->length);

	ASSERT_NE(NULL, back);
	test_map_rw(self->handle, 0, 0, self->map_len, &p);
	iobmd_fill_pattern(p, self->length, 0, 72);
	test_ioctl_read(self->handle, 0, back, self->length);
	ASSERT_EQ(self->length,
		  iobmd_check_pattern(back, self->length, 0, 72));
	/* Single bytes at page edges too. */
	p[0] = 0x11;
	p[self->length - 1] = 0x22;
	test_ioctl_read(self->handle, 0, back, 1);
	ASSERT_EQ(0x11, back[0]);
	test_ioctl_read(self->handle, self->length - 1, back, 1);
	ASSERT_EQ(0x22, back[0]);
	ASSERT_EQ(0, munmap(p, self->map_len));
	free(back);
}

/* WRITE is seen by a mapping of another cookie and by two of one cookie. */
TEST_F(iobmd_map_shape, write_to_mappings)
{
	__u8 *src = malloc(self->length);
	__u8 *a, *b, *c;
	__u64 cookie;

	ASSERT_NE(NULL, src);
	test_map_rw(self->handle, 0, 0, self->map_len, &a);
	test_ioctl_map(self->handle, 0, 0, 0, &cookie);
	b = iobmd_mmap(self->fd, cookie, self->map_len,
		       PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, b);
	c = iobmd_mmap(self->fd, cookie, self->map_len, PROT_READ);
	ASSERT_NE(MAP_FAILED, c);
	ASSERT_NE(b, c);

	iobmd_fill_pattern(src, self->length, 0, 73);
	test_ioctl_write(self->handle, 0, src, self->length);
	ASSERT_EQ(self->length, iobmd_check_pattern(a, self->length, 0, 73));
	ASSERT_EQ(self->length, iobmd_check_pattern(b, self->length, 0, 73));
	ASSERT_EQ(self->length, iobmd_check_pattern(c, self->length, 0, 73));

	/* A store through one mapping shows in the others. */
	a[self->length / 2] ^= 0xff;
	ASSERT_EQ(a[self->length / 2], b[self->length / 2]);
	ASSERT_EQ(a[self->length / 2], c[self->length / 2]);
	b[0] ^= 0x5a;
	ASSERT_EQ(b[0], a[0]);
	ASSERT_EQ(b[0], c[0]);

	/* Zero-filling WRITE too. */
	test_ioctl_write(self->handle, 0, NULL, self->length);
	ASSERT_EQ(self->length, iobmd_check_bytes(a, self->length, 0));
	ASSERT_EQ(self->length, iobmd_check_bytes(c, self->length, 0));

	ASSERT_EQ(0, munmap(a, self->map_len));
	ASSERT_EQ(0, munmap(b, self->map_len));
	ASSERT_EQ(0, munmap(c, self->map_len));
	free(src);
}

/* A mapping of the range from page N shows the buffer from N pages on. */
TEST_F(iobmd_map_shape, range_mappings)
{
	__u64 pages = self->map_len / PAGE_SIZE;
	__u64 firsts[] = { 1, pages / 2, pages - 1 };
	__u8 *src = malloc(self->length);
	size_t k;

	ASSERT_NE(NULL, src);
	iobmd_fill_pattern(src, self->length, 0, 74);
	test_ioctl_write(self->handle, 0, src, self->length);

	for (k = 0; k != ARRAY_SIZE(firsts); k++) {
		__u64 off = firsts[k] * PAGE_SIZE;
		__u64 map = self->map_len - off;
		__u64 seen;
		__u8 *p;

		if (firsts[k] == 0 || off >= self->length)
			continue;
		seen = self->length - off;
		/* To the end (len 0). */
		test_map_rw(self->handle, off, 0, map, &p);
		ASSERT_EQ(seen, iobmd_check_pattern(p, seen, off, 74))
			TH_LOG("page %llu", firsts[k]);
		/* A store lands at the right offset. */
		p[0] = ~iobmd_pattern_byte(74, off);
		test_ioctl_read(self->handle, off, src, 1);
		ASSERT_EQ(p[0], src[0]);
		p[0] = iobmd_pattern_byte(74, off);
		ASSERT_EQ(0, munmap(p, map));

		/* One page only. */
		test_map_rw(self->handle, off, PAGE_SIZE, PAGE_SIZE, &p);
		seen = seen < PAGE_SIZE ? seen : PAGE_SIZE;
		ASSERT_EQ(seen, iobmd_check_pattern(p, seen, off, 74))
			TH_LOG("page %llu", firsts[k]);
		ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	}
	free(src);
}

/*
 * get_user_pages: page-backed mappings, contiguous and cache-mode
 * buffers' too, can be read by process_vm_readv() (and pinned by VFIO);
 * PFN-mapped ones fail with EFAULT.
 */
TEST_F(iobmd_map_shape, get_user_pages)
{
	__u64 len = self->length < 4 * PAGE_SIZE ? self->length :
						   4 * PAGE_SIZE;
	__u8 *src = malloc(len), *dst = malloc(len);
	struct iovec local, remote;
	ssize_t n;
	__u8 *p;

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	iobmd_fill_pattern(src, len, 0, 75);
	test_ioctl_write(self->handle, 0, src, len);
	test_map_rw(self->handle, 0, 0, self->map_len, &p);

	memset(dst, 0, len);
	local.iov_base = dst;
	local.iov_len = len;
	remote.iov_base = p;
	remote.iov_len = len;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, memcmp(src, dst, len));
	ASSERT_EQ(len, iobmd_check_pattern(p, len, 0, 75));
	ASSERT_EQ(0, munmap(p, self->map_len));
	free(src);
	free(dst);
}

/*
 * MADV_DONTNEED drops page-backed PTEs and the fault handler refills them
 * with the same data (in the buffer's cache mode).
 */
TEST_F(iobmd_map_shape, madvise_dontneed)
{
	__u8 *p, *back = malloc(self->length);
	int rc;

	ASSERT_NE(NULL, back);
	test_map_rw(self->handle, 0, 0, self->map_len, &p);
	iobmd_fill_pattern(p, self->length, 0, 76);
	rc = madvise(p, self->map_len, MADV_DONTNEED);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(self->length, iobmd_check_pattern(p, self->length, 0, 76));
	test_ioctl_read(self->handle, 0, back, self->length);
	ASSERT_EQ(self->length,
		  iobmd_check_pattern(back, self->length, 0, 76));

	/* Again after a store, on part of the range. */
	p[PAGE_SIZE / 2] = 0xa5;
	rc = madvise(p, PAGE_SIZE, MADV_DONTNEED);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0xa5, p[PAGE_SIZE / 2]);
	ASSERT_EQ(0, munmap(p, self->map_len));
	free(back);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * libiobmd, the C core of the userspace library, against the module:
 * every call gives 0 or the kernel's negative errno and writes its results
 * only on success, sized structs are filled to the caller's size, a map
 * is one command and one mmap() that lands on the asked byte, segments
 * come in one command, and a forked child cannot use its parent's device.
 * Needs root (segments), and the module loaded.
 *
 * iobmd-selftest-build: libiobmd
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <iobmd/iobmd.h>

#include "kselftest_harness.h"
#include "iobmd_stats.h"

#define PAGE 4096u

FIXTURE(libc)
{
	struct iobmd_dev *dev;
	struct iobmd_test_stats found;
};

FIXTURE_SETUP(libc)
{
	self->dev = NULL;
	if (access("/dev/iobmd", F_OK) && errno == ENOENT)
		SKIP(return, "/dev/iobmd is absent (iobmd.ko not loaded)");
	ASSERT_EQ(0, iobmd_read_stats(&self->found));
	ASSERT_EQ(0, iobmd_dev_open(NULL, 0, &self->dev));
}

FIXTURE_TEARDOWN(libc)
{
	iobmd_dev_close(self->dev);
	EXPECT_STREQ("", iobmd_stats_changed(&self->found));
}

/* Byte @i of pattern @seed. */
static unsigned char pat(unsigned int seed, size_t i)
{
	return (unsigned char)(seed * 31u + i * 7u + (i >> 9));
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(seed, i);
}

TEST_F(libc, open_rules)
{
	struct iobmd_dev *other = (struct iobmd_dev *)0x1;
	int fd = iobmd_dev_fd(self->dev);

	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-EINVAL, iobmd_dev_open(NULL, 1, &other));
	EXPECT_EQ(-ENOENT, iobmd_dev_open("/dev/iobmd-absent", 0, &other));
	EXPECT_EQ((struct iobmd_dev *)0x1, other);
	EXPECT_EQ(-EINVAL, iobmd_dev_open(NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, iobmd_dev_fd(NULL));
	EXPECT_EQ(-EINVAL, iobmd_release(NULL, 1));
	iobmd_dev_close(NULL);
}

TEST_F(libc, sized_structs)
{
	struct {
		struct iobmd_version v;
		unsigned char tail[16];
	} big;
	struct iobmd_version v = { .size = sizeof(v) };
	struct iobmd_info info;
	iobmd_handle h;
	size_t i;

	ASSERT_EQ(0, iobmd_dev_version(self->dev, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(IOBMD_ABI_MAJOR, v.abi_major);
	EXPECT_EQ(PAGE, v.page_size);
	EXPECT_NE(0, v.features & IOBMD_FEATURE_DMABUF);

	/* A newer caller's larger struct: the rest is zero, its size kept. */
	memset(&big, 0xa5, sizeof(big));
	big.v.size = sizeof(big);
	ASSERT_EQ(0, iobmd_dev_version(self->dev, &big.v));
	EXPECT_EQ(sizeof(big), big.v.size);
	EXPECT_EQ(v.abi_minor, big.v.abi_minor);
	for (i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);

	/* Too small: nothing written. */
	memset(&v, 0x5a, sizeof(v));
	v.size = 8;
	EXPECT_EQ(-EINVAL, iobmd_dev_version(self->dev, &v));
	EXPECT_EQ(0x5a5a5a5a, v.abi_major);

	ASSERT_EQ(0, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					 3 * PAGE, 0, &h));
	memset(&info, 0, sizeof(info));
	info.size = offsetof(struct iobmd_info, __reserved);
	ASSERT_EQ(0, iobmd_get_info(self->dev, h, &info));
	EXPECT_EQ(IOBMD_KIND_BUFFER, info.kind);
	EXPECT_EQ(3 * PAGE, info.capacity);
	EXPECT_EQ(3 * PAGE, info.length);
	EXPECT_EQ(h, info.handle);
	info.size = offsetof(struct iobmd_info, tag);
	EXPECT_EQ(-EINVAL, iobmd_get_info(self->dev, h, &info));
	ASSERT_EQ(0, iobmd_release(self->dev, h));
}

TEST_F(libc, errors_are_the_kernels)
{
	iobmd_handle h = 77, sub = 77;
	uint64_t done = 77;
	struct iobmd_info info = { .size = sizeof(info) };
	unsigned char b[8];

	EXPECT_EQ(-EINVAL, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					       PAGE, 3, &h));
	EXPECT_EQ(77, h);
	EXPECT_EQ(-ENOENT, iobmd_get_info(self->dev, 4000000, &info));
	ASSERT_EQ(0, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					 PAGE, 0, &h));
	EXPECT_EQ(-ERANGE, iobmd_sub_create(self->dev, h, PAGE - 4, 8,
					    IOBMD_DIRECTION_INOUT, &sub));
	EXPECT_EQ(77, sub);
	EXPECT_EQ(-ERANGE, iobmd_read(self->dev, h, PAGE - 4, b, 8, &done));
	EXPECT_EQ(77, done);
	EXPECT_EQ(-EINVAL, iobmd_perform(self->dev, h, 99, 0, PAGE));
	EXPECT_EQ(-EINVAL, iobmd_complete(self->dev, h, 0));
	EXPECT_EQ(0, iobmd_release(self->dev, h));
	EXPECT_EQ(-ENOENT, iobmd_release(self->dev, h));
}

TEST_F(libc, bytes_and_settings)
{
	unsigned char in[2 * PAGE], out[2 * PAGE];
	struct iobmd_info info = { .size = sizeof(info) };
	uint64_t done = 0, now = 0;
	uint32_t old = 0;
	iobmd_handle h, w;

	fill(in, sizeof(in), 1);
	ASSERT_EQ(0, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT |
					 IOBMD_OPT_PURGEABLE, 2 * PAGE, 0, &h));
	ASSERT_EQ(0, iobmd_write(self->dev, h, 0, in, sizeof(in), &done));
	EXPECT_EQ(sizeof(in), done);
	ASSERT_EQ(0, iobmd_read(self->dev, h, 100, out, 1000, &done));
	EXPECT_EQ(1000, done);
	EXPECT_EQ(0, memcmp(in + 100, out, 1000));

	/* setLength above the capacity is ignored, and says so. */
	ASSERT_EQ(0, iobmd_set_length(self->dev, h, 3 * PAGE, &now));
	EXPECT_EQ(2 * PAGE, now);
	ASSERT_EQ(0, iobmd_set_length(self->dev, h, 10, &now));
	EXPECT_EQ(10, now);
	ASSERT_EQ(0, iobmd_append(self->dev, h, in, 3 * PAGE, &done));
	EXPECT_EQ(2 * PAGE - 10, done);
	ASSERT_EQ(0, iobmd_set_tag(self->dev, h, 0x1122334455667788ull));
	ASSERT_EQ(0, iobmd_set_direction(self->dev, h, IOBMD_DIRECTION_OUT));
	ASSERT_EQ(0, iobmd_get_info(self->dev, h, &info));
	EXPECT_EQ(0x1122334455667788ull, info.tag);
	EXPECT_EQ(IOBMD_DIRECTION_OUT, info.direction);
	EXPECT_EQ(2 * PAGE, info.length);
	ASSERT_EQ(0, iobmd_set_purgeable(self->dev, h,
					 IOBMD_PURGEABLE_VOLATILE, &old));
	EXPECT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	ASSERT_EQ(0, iobmd_set_purgeable(self->dev, h,
					 IOBMD_PURGEABLE_NON_VOLATILE, &old));
	EXPECT_EQ(IOBMD_PURGEABLE_VOLATILE, old);

	/* withBytes copies. */
	ASSERT_EQ(0, iobmd_buffer_with_bytes(self->dev, in, 5,
					     IOBMD_DIRECTION_IN, &w));
	ASSERT_EQ(0, iobmd_read(self->dev, w, 0, out, 5, NULL));
	EXPECT_EQ(0, memcmp(in, out, 5));
	EXPECT_EQ(0, iobmd_release(self->dev, w));
	EXPECT_EQ(0, iobmd_release(self->dev, h));
}

/*
 * A general descriptor of user memory that starts mid-page: its mapping
 * starts with the page, so byte 0 lies addr_offset into it; a map of any
 * range lands on the asked byte.
 */
TEST_F(libc, map_lands_on_the_byte)
{
	unsigned char *src = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iobmd_range r;
	uint64_t mapped = 0;
	unsigned char *p;
	void *addr = NULL;
	iobmd_handle g, b;

	ASSERT_NE(MAP_FAILED, src);
	fill(src, 4 * PAGE, 2);
	r.address = (uintptr_t)src + 300;
	r.length = 3 * PAGE;
	ASSERT_EQ(0, iobmd_general_create(self->dev, &r, 1,
					  IOBMD_DIRECTION_INOUT, &g));
	/* User memory maps only while prepared. */
	EXPECT_EQ(-ENODATA, iobmd_map(self->dev, g, 0, 0, 0, &addr, &mapped));
	EXPECT_EQ(NULL, addr);
	ASSERT_EQ(0, iobmd_prepare(self->dev, g, 0));
	ASSERT_EQ(0, iobmd_map(self->dev, g, 5000, 2000, 0, &addr, &mapped));
	EXPECT_EQ(2000, mapped);
	p = addr;
	EXPECT_EQ(0, memcmp(p, src + 300 + 5000, 2000));
	p[0] ^= 0xff;
	EXPECT_EQ((unsigned char)~pat(2, 5300), src[5300]);
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	/*
	 * To the end of the mapping: the page that holds the last byte (the
	 * mapping's pages are 0..3 of @src), and past it.
	 */
	ASSERT_EQ(0, iobmd_map(self->dev, g, 100, 0, IOBMD_MAP_READONLY,
			       &addr, &mapped));
	EXPECT_EQ(4 * PAGE - 400, mapped);
	EXPECT_EQ(0, memcmp(addr, src + 400, 100));
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	EXPECT_EQ(-ERANGE, iobmd_map(self->dev, g, PAGE, 3 * PAGE, 0, &addr,
				     &mapped));
	ASSERT_EQ(0, iobmd_complete(self->dev, g, 0));

	/* A buffer maps its capacity; the mapping outlives the handle. */
	ASSERT_EQ(0, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					 2 * PAGE, 0, &b));
	ASSERT_EQ(0, iobmd_write(self->dev, b, 0, src, 2 * PAGE, NULL));
	ASSERT_EQ(0, iobmd_map(self->dev, b, 0, 0, 0, &addr, &mapped));
	EXPECT_EQ(2 * PAGE, mapped);
	EXPECT_EQ(0, iobmd_release(self->dev, b));
	EXPECT_EQ(0, memcmp(addr, src, 2 * PAGE));
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	EXPECT_EQ(-EINVAL, iobmd_unmap(NULL, PAGE));
	EXPECT_EQ(0, iobmd_release(self->dev, g));
	munmap(src, 4 * PAGE);
}

/*
 * IOBMD_WHERE_LENGTH: the range is checked against the descriptor's
 * length, as IOKit's map() does, not the end of its mapping (a buffer's
 * capacity): length 0 stops at the last byte, an offset past it is
 * -ERANGE, at it -ENODATA.
 */
TEST_F(libc, map_to_the_length)
{
	const uint32_t w = IOBMD_WHERE_LENGTH;
	uint64_t mapped = 0;
	void *addr = NULL;
	iobmd_handle b;

	ASSERT_EQ(0, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					 4 * PAGE, 0, &b));
	ASSERT_EQ(0, iobmd_set_length(self->dev, b, PAGE + 5, NULL));
	ASSERT_EQ(0, iobmd_map_at(self->dev, b, 0, 0, 0, NULL, w, &addr,
				  &mapped));
	EXPECT_EQ(PAGE + 5, mapped);
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	ASSERT_EQ(0, iobmd_map_at(self->dev, b, PAGE, 0, 0, NULL, w, &addr,
				  &mapped));
	EXPECT_EQ(5, mapped);
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	EXPECT_EQ(-ENODATA, iobmd_map_at(self->dev, b, PAGE + 5, 0, 0, NULL,
					 w, &addr, &mapped));
	EXPECT_EQ(-ERANGE, iobmd_map_at(self->dev, b, PAGE + 6, 0, 0, NULL,
					w, &addr, &mapped));
	EXPECT_EQ(-ERANGE, iobmd_map_at(self->dev, b, PAGE, 6, 0, NULL, w,
					&addr, &mapped));
	/* Without it the capacity is in reach. */
	ASSERT_EQ(0, iobmd_map_at(self->dev, b, PAGE, 6, 0, NULL, 0, &addr,
				  &mapped));
	EXPECT_EQ(6, mapped);
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	EXPECT_EQ(0, iobmd_release(self->dev, b));
}

/*
 * IOBMD_WHERE_PIN: user memory nothing has pinned maps all the same; the
 * library's prepare is completed before it returns (the handle has none
 * left), the mapping holds the pin until munmap() (the teardown finds
 * nothing pinned), and a failure after the pin leaves none either.
 */
TEST_F(libc, map_pins_user_memory)
{
	const uint32_t w = IOBMD_WHERE_PIN | IOBMD_WHERE_LENGTH;
	unsigned char *src = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iobmd_range r;
	uint64_t mapped = 0;
	unsigned char *p;
	void *addr = NULL;
	iobmd_handle g, s;

	ASSERT_NE(MAP_FAILED, src);
	fill(src, 2 * PAGE, 5);
	r.address = (uintptr_t)src + 10;
	r.length = PAGE;
	ASSERT_EQ(0, iobmd_general_create(self->dev, &r, 1,
					  IOBMD_DIRECTION_OUT, &g));
	EXPECT_EQ(-ENODATA, iobmd_map_at(self->dev, g, 0, 0, 0, NULL, 0,
					 &addr, &mapped));
	ASSERT_EQ(0, iobmd_map_at(self->dev, g, 0, 0, 0, NULL, w, &addr,
				  &mapped));
	EXPECT_EQ(PAGE, mapped);
	EXPECT_EQ(-EINVAL, iobmd_complete(self->dev, g, 0));
	p = addr;
	EXPECT_EQ(0, memcmp(p, src + 10, PAGE));
	p[1] ^= 0xff;
	EXPECT_EQ((unsigned char)~pat(5, 11), src[11]);
	/* Pinned now: a plain map works beside it. */
	ASSERT_EQ(0, iobmd_sub_create(self->dev, g, 100, 50,
				      IOBMD_DIRECTION_OUT, &s));
	ASSERT_EQ(0, iobmd_map(self->dev, s, 0, 50, IOBMD_MAP_READONLY,
			       &addr, &mapped));
	EXPECT_EQ(0, memcmp(addr, src + 110, 50));
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	EXPECT_EQ(0, iobmd_unmap(p, PAGE));
	/* Failures once pinned: past the length, an uncached map of RAM. */
	EXPECT_EQ(-ERANGE, iobmd_map_at(self->dev, s, 51, 0, 0, NULL, w,
					&addr, &mapped));
	EXPECT_EQ(-EINVAL, iobmd_map_at(self->dev, s, 0, 0,
					IOBMD_CACHE_INHIBIT, NULL, w, &addr,
					&mapped));
	EXPECT_EQ(-EINVAL, iobmd_complete(self->dev, s, 0));
	/* A read-only map of memory the process can only read. */
	ASSERT_EQ(0, mprotect(src, 2 * PAGE, PROT_READ));
	EXPECT_EQ(-EFAULT, iobmd_map_at(self->dev, s, 0, 0, 0, NULL, w,
					&addr, &mapped));
	ASSERT_EQ(0, iobmd_map_at(self->dev, s, 0, 0, IOBMD_MAP_READONLY,
				  NULL, w, &addr, &mapped));
	EXPECT_EQ(50, mapped);
	EXPECT_EQ(0, memcmp(addr, src + 110, 50));
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	EXPECT_EQ(0, iobmd_release(self->dev, s));
	EXPECT_EQ(0, iobmd_release(self->dev, g));
	munmap(src, 2 * PAGE);
}

/*
 * iobmd_map_at() (LIBIOBMD_1.1): the page holding byte @offset lands at
 * @at exactly, never over another mapping; a hint is no promise; bad
 * placements are refused before any command.
 */
TEST_F(libc, map_at_places_the_mapping)
{
	unsigned char bytes[3 * PAGE];
	uint64_t mapped = 0;
	void *hole, *addr = NULL;
	iobmd_handle b;

	fill(bytes, sizeof(bytes), 5);
	ASSERT_EQ(0, iobmd_buffer_with_bytes(self->dev, bytes, sizeof(bytes),
					     IOBMD_DIRECTION_INOUT, &b));
	/* A free range of 4 pages to place into. */
	hole = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, hole);

	/* Taken: -EEXIST, and the range is left as it was. */
	EXPECT_EQ(-EEXIST, iobmd_map_at(self->dev, b, 0, PAGE, 0, hole,
					IOBMD_WHERE_FIXED, &addr, &mapped));
	EXPECT_EQ(NULL, addr);
	ASSERT_EQ(0, munmap(hole, 4 * PAGE));

	/* Byte PAGE + 10's page at @hole + PAGE, faulted in now. */
	ASSERT_EQ(0, iobmd_map_at(self->dev, b, PAGE + 10, 100, 0,
				  (char *)hole + PAGE,
				  IOBMD_WHERE_FIXED | IOBMD_WHERE_POPULATE,
				  &addr, &mapped));
	EXPECT_EQ((char *)hole + PAGE + 10, addr);
	EXPECT_EQ(100, mapped);
	EXPECT_EQ(0, memcmp(addr, bytes + PAGE + 10, 100));
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));

	/* Not page aligned, no address, unknown placement: -EINVAL. */
	EXPECT_EQ(-EINVAL, iobmd_map_at(self->dev, b, 0, 0, 0,
					(char *)hole + 1, IOBMD_WHERE_FIXED,
					&addr, &mapped));
	EXPECT_EQ(-EINVAL, iobmd_map_at(self->dev, b, 0, 0, 0, NULL,
					IOBMD_WHERE_FIXED, &addr, &mapped));
	EXPECT_EQ(-EINVAL, iobmd_map_at(self->dev, b, 0, 0, 0, NULL, 0x10,
					&addr, &mapped));
	/* Without FIXED it is iobmd_map(): the whole capacity. */
	ASSERT_EQ(0, iobmd_map_at(self->dev, b, 0, 0, 0, NULL, 0, &addr,
				  &mapped));
	EXPECT_EQ(3 * PAGE, mapped);
	EXPECT_EQ(0, memcmp(addr, bytes, 3 * PAGE));
	EXPECT_EQ(0, iobmd_unmap(addr, mapped));
	EXPECT_EQ(0, iobmd_release(self->dev, b));
}

/* One command for a whole list; a short array gets what fits and the total. */
TEST_F(libc, segments_in_one_call)
{
	struct iobmd_segment segs[64];
	uint32_t count = 64;
	uint64_t total = 0, sum = 0;
	iobmd_handle h, m, p[3];
	uint32_t i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, iobmd_buffer_create(self->dev,
						 IOBMD_DIRECTION_INOUT |
						 IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
						 PAGE, 0, &p[i]));
	ASSERT_EQ(0, iobmd_multi_create(self->dev, p, 3, IOBMD_DIRECTION_INOUT,
					&m));
	ASSERT_EQ(0, iobmd_segments(self->dev, m, 0, 0, 0, segs, &count,
				    &total));
	ASSERT_LE(1, count);
	EXPECT_EQ(count, total);
	for (i = 0; i < count; i++)
		sum += segs[i].len;
	EXPECT_EQ(3 * PAGE, sum);

	count = 1;
	ASSERT_EQ(0, iobmd_segments(self->dev, m, 0, PAGE, 2 * PAGE, segs,
				    &count, &total));
	EXPECT_EQ(1, count);
	EXPECT_LE(1, total);
	EXPECT_EQ(-EINVAL, iobmd_segments(self->dev, m, 0, 0, 0, segs, NULL,
					  NULL));

	ASSERT_EQ(0, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					 PAGE, 0, &h));
	EXPECT_EQ(-ENODATA, iobmd_segments(self->dev, h, IOBMD_SEGMENTS_DMA, 0,
					   0, segs, &count, NULL));
	EXPECT_EQ(0, iobmd_release(self->dev, h));
	EXPECT_EQ(0, iobmd_release(self->dev, m));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, iobmd_release(self->dev, p[i]));
}

TEST_F(libc, composed_kinds)
{
	unsigned char in[2 * PAGE], out[2 * PAGE];
	iobmd_handle a, b, s, il;

	fill(in, sizeof(in), 3);
	ASSERT_EQ(0, iobmd_buffer_with_bytes(self->dev, in, PAGE,
					     IOBMD_DIRECTION_INOUT, &a));
	ASSERT_EQ(0, iobmd_buffer_with_bytes(self->dev, in + PAGE, PAGE,
					     IOBMD_DIRECTION_INOUT, &b));
	ASSERT_EQ(0, iobmd_interleaved_create(self->dev, 2,
					      IOBMD_DIRECTION_INOUT, &il));
	ASSERT_EQ(0, iobmd_interleaved_set(self->dev, il, a, 0, PAGE));
	ASSERT_EQ(0, iobmd_interleaved_set(self->dev, il, b, 0, PAGE));
	ASSERT_EQ(0, iobmd_sub_create(self->dev, il, PAGE - 8, 16,
				      IOBMD_DIRECTION_INOUT, &s));
	ASSERT_EQ(0, iobmd_read(self->dev, s, 0, out, 16, NULL));
	EXPECT_EQ(0, memcmp(in + PAGE - 8, out, 16));
	ASSERT_EQ(0, iobmd_prepare(self->dev, s, IOBMD_DIRECTION_IN));
	EXPECT_EQ(0, iobmd_perform(self->dev, s, IOBMD_OP_INVALIDATE, 0, 16));
	EXPECT_EQ(0, iobmd_complete(self->dev, s, 0));
	EXPECT_EQ(0, iobmd_release(self->dev, s));
	ASSERT_EQ(0, iobmd_interleaved_clear(self->dev, il, 0));
	EXPECT_EQ(-ERANGE, iobmd_read(self->dev, il, 0, out, 1, NULL));
	EXPECT_EQ(0, iobmd_release(self->dev, il));
	EXPECT_EQ(0, iobmd_release(self->dev, a));
	EXPECT_EQ(0, iobmd_release(self->dev, b));
}

TEST_F(libc, dmabufs)
{
	unsigned char in[PAGE], out[PAGE];
	iobmd_handle h, imp;
	int fd = -1, fd2 = -1;

	fill(in, sizeof(in), 4);
	ASSERT_EQ(0, iobmd_buffer_create_dmabuf(self->dev,
						IOBMD_DIRECTION_INOUT, PAGE, 0,
						O_RDWR | O_CLOEXEC, &fd));
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, iobmd_buffer_create_dmabuf(self->dev,
						      IOBMD_DIRECTION_INOUT,
						      PAGE, 0, O_WRONLY, &fd2));
	EXPECT_EQ(-1, fd2);
	ASSERT_EQ(0, iobmd_dmabuf_import(self->dev, fd, IOBMD_DIRECTION_INOUT,
					 &imp));
	close(fd);
	ASSERT_EQ(0, iobmd_write(self->dev, imp, 0, in, PAGE, NULL));
	ASSERT_EQ(0, iobmd_dmabuf_export(self->dev, imp, 0, 0,
					 O_RDONLY | O_CLOEXEC, &fd2));
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, iobmd_release(self->dev, imp));
	ASSERT_EQ(0, iobmd_dmabuf_import(self->dev, fd2, IOBMD_DIRECTION_OUT,
					 &h));
	close(fd2);
	ASSERT_EQ(0, iobmd_read(self->dev, h, 0, out, PAGE, NULL));
	EXPECT_EQ(0, memcmp(in, out, PAGE));
	EXPECT_EQ(-EINVAL, iobmd_dmabuf_import(self->dev, -1,
					       IOBMD_DIRECTION_IN, &h));
	EXPECT_EQ(-EBADF, iobmd_dmabuf_import(self->dev, 999,
					      IOBMD_DIRECTION_IN, &imp));
	EXPECT_EQ(0, iobmd_release(self->dev, h));
}

/*
 * A child inherits the file but not the parent's device: every call on
 * it is -ECHILD and touches nothing (iobmd_dev_owned() says so, LIBIOBMD_1.2);
 * the child's own device works.
 */
TEST_F(libc, fork_child_uses_its_own)
{
	struct iobmd_info info = { .size = sizeof(info) };
	iobmd_handle h;
	int status;
	pid_t pid;

	ASSERT_EQ(0, iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					 PAGE, 0, &h));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct iobmd_dev *mine;
		iobmd_handle c;
		int bad = 0;

		bad |= iobmd_release(self->dev, h) != -ECHILD;
		bad |= iobmd_get_info(self->dev, h, &info) != -ECHILD;
		bad |= iobmd_buffer_create(self->dev, IOBMD_DIRECTION_INOUT,
					   PAGE, 0, &c) != -ECHILD;
		bad |= iobmd_dev_owned(self->dev) != -ECHILD;
		bad |= iobmd_dev_open(NULL, 0, &mine) != 0;
		if (!bad) {
			bad |= iobmd_dev_owned(mine) != 0;
			bad |= iobmd_buffer_create(mine, IOBMD_DIRECTION_INOUT,
						   PAGE, 0, &c) != 0;
			iobmd_dev_close(mine);
		}
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(0, iobmd_dev_owned(self->dev));
	EXPECT_EQ(-EINVAL, iobmd_dev_owned(NULL));
	ASSERT_EQ(0, iobmd_get_info(self->dev, h, &info));
	EXPECT_EQ(0, iobmd_release(self->dev, h));
}

TEST_HARNESS_MAIN

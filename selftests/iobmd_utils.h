/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the iobmd selftests.
 *
 * Every ioctl has a _test_ioctl_*() wrapper that returns what ioctl()
 * returns, a test_ioctl_*() macro that asserts success, and a test_err_*()
 * twin that asserts failure with an exact errno.  The macros use self->fd,
 * so they work inside any TEST_F() whose fixture holds the open
 * /dev/iobmd file in @fd.
 */
#ifndef __SELFTEST_IOBMD_UTILS_H
#define __SELFTEST_IOBMD_UTILS_H

/*
 * Upstream builds selftests with -Wall only; three -Wextra warnings fire
 * inside kselftest_harness.h's own code and macros, not in the tests: its
 * callbacks and TEST_F() bodies take parameters they do not always use,
 * ASSERT_EQ(expected, seen) copies its operands into locals of their own
 * types (so a literal compared with an unsigned field trips -Wsign-compare
 * although both are non-negative), and its TEST_F() wrapper keeps a local
 * across setjmp() (-Wclobbered once a test body is inlined into it).
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "iobmd.h"

#define IOBMD_DEV_PATH "/dev/iobmd"

#define SZ_1K	0x400ULL
#define SZ_64K	0x10000ULL
#define SZ_256K	0x40000ULL
#define SZ_1M	0x100000ULL
#define SZ_2M	0x200000ULL
#define SZ_4M	0x400000ULL
#define SZ_16M	0x1000000ULL
#define SZ_64M	0x4000000ULL
#define SZ_128M	0x8000000ULL
#define SZ_256M	0x10000000ULL
#define SZ_1G	0x40000000ULL
#define SZ_4G	0x100000000ULL
#define SZ_64G	0x1000000000ULL

#define DMA_BIT_MASK(n) (((n) == 64) ? ~0ULL : ((1ULL << (n)) - 1))

#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof_field(TYPE, MEMBER))

#define ALIGN_UP(x, a) ((((x) + (a) - 1) / (a)) * (a))
#define IS_ALIGNED(x, a) (((x) & ((__u64)(a) - 1)) == 0)

/*
 * Cache modes RAM can have here: default, inhibit, copyback (inner too)
 * and write-combine.  Write-through, posted-write and real-time are
 * EOPNOTSUPP for buffers.
 */
static inline int iobmd_test_cache_ok(__u32 cache)
{
	return cache == IOBMD_CACHE_DEFAULT || cache == IOBMD_CACHE_INHIBIT ||
	       cache == IOBMD_CACHE_COPYBACK ||
	       cache == IOBMD_CACHE_COPYBACK_INNER ||
	       cache == IOBMD_CACHE_WRITE_COMBINE;
}

/* Every option bit IOBMD_BUF_CREATE accepts (IOKit's IOOptionBits). */
#define IOBMD_TEST_VALID_OPTIONS                                           \
	(IOBMD_DIRECTION_MASK | IOBMD_OPT_PHYSICALLY_CONTIGUOUS |          \
	 IOBMD_OPT_PAGEABLE | IOBMD_OPT_PURGEABLE |                        \
	 IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS | IOBMD_OPT_CACHE_MASK |     \
	 IOBMD_OPT_MAPPER_NONE | IOBMD_OPT_HOST_ONLY |                     \
	 IOBMD_OPT_KERNEL_USER_SHARED | IOBMD_OPT_THREAD_SAFE |            \
	 IOBMD_OPT_CLEAR_ENCRYPT)
/* Accepted but never in force, so IOBMD_GET_INFO does not report it. */
#define IOBMD_TEST_NOT_IN_FORCE	IOBMD_OPT_PAGEABLE

static unsigned long PAGE_SIZE;

static __attribute__((constructor)) void iobmd_setup_sizes(void)
{
	PAGE_SIZE = sysconf(_SC_PAGESIZE);
}

#define EXPECT_ERRNO(expected_errno, cmd)         \
	({                                        \
		ASSERT_EQ(-1, cmd);               \
		EXPECT_EQ(expected_errno, errno); \
	})

/*
 * Opens /dev/iobmd into @_fd from a FIXTURE_SETUP(); skips the test only
 * when the device node does not exist (module not loaded).
 */
#define iobmd_fixture_open(_fd)                                              \
	do {                                                                 \
		(_fd) = -1;                                                  \
		if (access(IOBMD_DEV_PATH, F_OK) && errno == ENOENT)         \
			SKIP(return, "%s is absent (iobmd.ko not loaded)",   \
			     IOBMD_DEV_PATH);                                \
		(_fd) = open(IOBMD_DEV_PATH, O_RDWR);                        \
		ASSERT_NE(-1, (_fd));                                        \
	} while (0)

/* Whether the running kernel is @major.@minor or later. */
static inline bool iobmd_kernel_at_least(unsigned int major,
					 unsigned int minor)
{
	unsigned int ma = 0, mi = 0;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * Why a test that needs vgem or vivid skips without it (on a machine of
 * the user's; the test VM loads both, and there a skip is a failure).
 */
#define IOBMD_NO_VGEM                                                         \
	"no vgem card: this test needs the vgem module (modprobe vgem)"
#define IOBMD_NO_VIVID                                                        \
	"this test needs vivid loaded as: modprobe vivid n_devs=2 node_types=0x1,0x1 allocators=0,1"

/*
 * Whether iobmd.ko lets root describe physical RAM (its unsafe_phys_ram
 * parameter, which the test VM sets): tests that need a general
 * descriptor of RAM skip without it, and say so.
 */
#define IOBMD_PHYS_RAM_PARAM "/sys/module/iobmd/parameters/unsafe_phys_ram"
static inline bool iobmd_phys_ram_allowed(void)
{
	char c = 0;
	FILE *f = fopen(IOBMD_PHYS_RAM_PARAM, "r");

	if (f) {
		if (fread(&c, 1, 1, f) != 1)
			c = 0;
		fclose(f);
	}
	return c == 'Y' || c == '1';
}

#define IOBMD_NO_PHYS_RAM                                                     \
	"iobmd.ko was loaded without unsafe_phys_ram=1, so root cannot describe physical RAM, which this test needs (insmod iobmd.ko unsafe_phys_ram=1)"
#define IOBMD_NEED_PHYS_RAM()                                                 \
	do {                                                                  \
		if (!iobmd_phys_ram_allowed())                                \
			SKIP(return, IOBMD_NO_PHYS_RAM);                      \
	} while (0)

/* IOBMD_GET_VERSION */

static inline int _test_ioctl_get_version(int fd, struct iobmd_version *ver)
{
	memset(ver, 0, sizeof(*ver));
	ver->size = sizeof(*ver);
	return ioctl(fd, IOBMD_GET_VERSION, ver);
}
#define test_ioctl_get_version(ver)                                           \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_get_version(self->fd, ver));         \
	})

static inline __u64 iobmd_max_capacity(int fd)
{
	struct iobmd_version ver;

	if (_test_ioctl_get_version(fd, &ver))
		return 0;
	return ver.max_capacity;
}

/* IOBMD_BUF_CREATE */

static inline int _test_ioctl_buf_create(int fd, __u32 flags, __u32 options,
					 __u64 capacity, __u64 alignment,
					 __u64 phys_mask, const void *bytes,
					 __u64 bytes_len, __u32 *handle)
{
	struct iobmd_buf_create cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.options = options,
		.capacity = capacity,
		.alignment = alignment,
		.phys_mask = phys_mask,
		.bytes = (uintptr_t)bytes,
		.bytes_len = bytes_len,
	};
	int ret;

	ret = ioctl(fd, IOBMD_BUF_CREATE, &cmd);
	/* On failure this hands back whatever the kernel left: must be 0. */
	if (handle)
		*handle = cmd.handle;
	return ret;
}

/* inTaskWithOptions(options, capacity, alignment) */
#define test_ioctl_buf_create(options, capacity, alignment, handle_p)         \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, options,     \
						    capacity, alignment, 0,   \
						    NULL, 0, handle_p));      \
		ASSERT_NE(0, *(handle_p));                                    \
	})
#define test_err_buf_create(_errno, options, capacity, alignment)             \
	({                                                                    \
		__u32 __h = 0;                                                \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_buf_create(self->fd, 0, options,     \
						    capacity, alignment, 0,   \
						    NULL, 0, &__h));          \
		EXPECT_EQ(0, __h);                                            \
	})

/* inTaskWithPhysicalMask(options, capacity, mask) */
#define test_ioctl_buf_create_mask(options, capacity, mask, handle_p)          \
	({                                                                     \
		ASSERT_EQ(0, _test_ioctl_buf_create(                           \
				     self->fd, IOBMD_BUF_CREATE_PHYS_MASK,     \
				     options, capacity, 0, mask, NULL, 0,      \
				     handle_p));                               \
		ASSERT_NE(0, *(handle_p));                                     \
	})
#define test_err_buf_create_mask(_errno, options, capacity, mask)              \
	({                                                                     \
		__u32 __h = 0;                                                 \
		EXPECT_ERRNO(_errno,                                           \
			     _test_ioctl_buf_create(                           \
				     self->fd, IOBMD_BUF_CREATE_PHYS_MASK,     \
				     options, capacity, 0, mask, NULL, 0,      \
				     &__h));                                   \
		EXPECT_EQ(0, __h);                                             \
	})

/* withBytes(bytes, len, options) */
#define test_ioctl_buf_create_bytes(options, bytes, len, handle_p)            \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_buf_create(                          \
				     self->fd, IOBMD_BUF_CREATE_WITH_BYTES,   \
				     options, 0, 0, 0, bytes, len,            \
				     handle_p));                              \
		ASSERT_NE(0, *(handle_p));                                    \
	})
#define test_err_buf_create_bytes(_errno, options, bytes, len)                \
	({                                                                    \
		__u32 __h = 0;                                                \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_buf_create(                          \
				     self->fd, IOBMD_BUF_CREATE_WITH_BYTES,   \
				     options, 0, 0, 0, bytes, len, &__h));    \
		EXPECT_EQ(0, __h);                                            \
	})

/* Any combination of fields, for the negative tests. */
#define test_err_buf_create_raw(_errno, flags, options, capacity, alignment,   \
				mask, bytes, len)                              \
	({                                                                     \
		__u32 __h = 0;                                                 \
		EXPECT_ERRNO(_errno,                                           \
			     _test_ioctl_buf_create(self->fd, flags, options,  \
						    capacity, alignment, mask, \
						    bytes, len, &__h));        \
		EXPECT_EQ(0, __h);                                             \
	})

/* IOBMD_RELEASE */

static inline int _test_ioctl_release(int fd, __u32 handle)
{
	struct iobmd_handle_arg cmd = {
		.size = sizeof(cmd),
		.handle = handle,
	};

	return ioctl(fd, IOBMD_RELEASE, &cmd);
}
#define test_ioctl_release(handle)                                            \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_release(self->fd, handle));          \
	})
#define test_err_release(_errno, handle)                                      \
	({                                                                    \
		EXPECT_ERRNO(_errno, _test_ioctl_release(self->fd, handle));  \
	})

/* IOBMD_GET_INFO */

static inline int _test_ioctl_get_info(int fd, __u32 handle,
				       struct iobmd_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = handle;
	return ioctl(fd, IOBMD_GET_INFO, info);
}
#define test_ioctl_get_info(handle, info)                                     \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_get_info(self->fd, handle, info));   \
	})
#define test_err_get_info(_errno, handle)                                    \
	({                                                                   \
		struct iobmd_info __info;                                    \
		EXPECT_ERRNO(_errno,                                         \
			     _test_ioctl_get_info(self->fd, handle, &__info)); \
	})

/* IOBMD_SET_LENGTH, IOBMD_SET_DIRECTION, IOBMD_SET_TAG */

static inline int _test_ioctl_set(int fd, unsigned long cmd_num, __u32 handle,
				  __u64 value, __u64 *out)
{
	struct iobmd_set_arg cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.value = value,
	};
	int ret;

	ret = ioctl(fd, cmd_num, &cmd);
	if (out)
		*out = cmd.value;
	return ret;
}
#define test_ioctl_set_length(handle, value, out_p)                           \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_set(self->fd, IOBMD_SET_LENGTH,      \
					     handle, value, out_p));          \
	})
#define test_err_set_length(_errno, handle, value)                            \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_set(self->fd, IOBMD_SET_LENGTH,      \
					     handle, value, NULL));           \
	})
#define test_ioctl_set_direction(handle, value, out_p)                        \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_set(self->fd, IOBMD_SET_DIRECTION,   \
					     handle, value, out_p));          \
	})
#define test_err_set_direction(_errno, handle, value)                         \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_set(self->fd, IOBMD_SET_DIRECTION,   \
					     handle, value, NULL));           \
	})
#define test_ioctl_set_tag(handle, value, out_p)                              \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_set(self->fd, IOBMD_SET_TAG, handle, \
					     value, out_p));                  \
	})
#define test_err_set_tag(_errno, handle, value)                               \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_set(self->fd, IOBMD_SET_TAG, handle, \
					     value, NULL));                   \
	})

/* IOBMD_READ, IOBMD_WRITE, IOBMD_APPEND */

static inline int _test_ioctl_rw(int fd, unsigned long cmd_num, __u32 handle,
				 __u64 offset, const void *buf, __u64 len,
				 __u64 *done)
{
	struct iobmd_rw cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.offset = offset,
		.buf = (uintptr_t)buf,
		.len = len,
	};
	int ret;

	ret = ioctl(fd, cmd_num, &cmd);
	if (done)
		*done = cmd.done;
	return ret;
}

/* READ and WRITE copy the whole range or fail. */
#define test_ioctl_read(handle, offset, buf, len)                             \
	({                                                                    \
		__u64 __done = 0;                                             \
		ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_READ, handle,     \
					    offset, buf, len, &__done));      \
		ASSERT_EQ((__u64)(len), __done);                              \
	})
#define test_err_read(_errno, handle, offset, buf, len)                       \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_rw(self->fd, IOBMD_READ, handle,     \
					    offset, buf, len, NULL));         \
	})
#define test_ioctl_write(handle, offset, buf, len)                            \
	({                                                                    \
		__u64 __done = 0;                                             \
		ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_WRITE, handle,    \
					    offset, buf, len, &__done));      \
		ASSERT_EQ((__u64)(len), __done);                              \
	})
#define test_err_write(_errno, handle, offset, buf, len)                      \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_rw(self->fd, IOBMD_WRITE, handle,    \
					    offset, buf, len, NULL));         \
	})
/* READ or WRITE that succeeds with a short count: @want bytes copied. */
#define test_ioctl_rw_short(cmd_num, handle, offset, buf, len, want)          \
	({                                                                    \
		__u64 __done = ~0ULL;                                         \
		ASSERT_EQ(0, _test_ioctl_rw(self->fd, cmd_num, handle,        \
					    offset, buf, len, &__done));      \
		ASSERT_EQ((__u64)(want), __done);                             \
	})
#define test_ioctl_read_short(handle, offset, buf, len, want)                 \
	test_ioctl_rw_short(IOBMD_READ, handle, offset, buf, len, want)
#define test_ioctl_write_short(handle, offset, buf, len, want)                \
	test_ioctl_rw_short(IOBMD_WRITE, handle, offset, buf, len, want)
#define test_ioctl_append(handle, buf, len, done_p)                           \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_APPEND, handle,   \
					    0, buf, len, done_p));            \
	})
#define test_err_append(_errno, handle, offset, buf, len)                     \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_rw(self->fd, IOBMD_APPEND, handle,   \
					    offset, buf, len, NULL));         \
	})

/* IOBMD_GET_SEGMENTS */

static inline int _test_ioctl_get_segments(int fd, __u32 handle, __u64 offset,
					   __u64 len,
					   struct iobmd_segment *segs,
					   __u32 *count, __u64 *total)
{
	struct iobmd_segments cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.count = count ? *count : 0,
		.offset = offset,
		.len = len,
		.segs = (uintptr_t)segs,
	};
	int ret;

	ret = ioctl(fd, IOBMD_GET_SEGMENTS, &cmd);
	if (count)
		*count = cmd.count;
	if (total)
		*total = cmd.total;
	return ret;
}
#define test_ioctl_get_segments(handle, offset, len, segs, count_p, total_p)  \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_get_segments(self->fd, handle,       \
						      offset, len, segs,      \
						      count_p, total_p));     \
	})
#define test_err_get_segments(_errno, handle, offset, len, segs, count)       \
	({                                                                    \
		__u32 __count = count;                                        \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_get_segments(self->fd, handle,       \
						      offset, len, segs,      \
						      &__count, NULL));       \
	})

/*
 * Fetches every segment of [offset, offset + len) into a calloc()ed array
 * (*segs_p, *nr_p entries; the caller frees it).  Returns 0 or -1/errno.
 */
static inline int _test_get_all_segments(int fd, __u32 handle, __u64 offset,
					 __u64 len,
					 struct iobmd_segment **segs_p,
					 __u32 *nr_p)
{
	struct iobmd_segment *segs;
	__u64 total = 0;
	__u32 count = 0;
	int ret;

	*segs_p = NULL;
	*nr_p = 0;
	ret = _test_ioctl_get_segments(fd, handle, offset, len, NULL, &count,
				       &total);
	if (ret)
		return ret;
	if (total == 0 || total > UINT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	segs = calloc(total, sizeof(*segs));
	if (!segs) {
		errno = ENOMEM;
		return -1;
	}
	count = total;
	ret = _test_ioctl_get_segments(fd, handle, offset, len, segs, &count,
				       &total);
	if (ret || count != total) {
		if (!ret)
			errno = EAGAIN;
		free(segs);
		return -1;
	}
	*segs_p = segs;
	*nr_p = count;
	return 0;
}
#define test_get_all_segments(handle, offset, len, segs_p, nr_p)              \
	({                                                                    \
		ASSERT_EQ(0, _test_get_all_segments(self->fd, handle, offset, \
						    len, segs_p, nr_p));      \
	})

/* IOBMD_MAP and mmap() */

static inline int _test_ioctl_map(int fd, __u32 handle, __u32 flags,
				  __u64 offset, __u64 len, __u64 *cookie)
{
	struct iobmd_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.handle = handle,
		.offset = offset,
		.len = len,
	};
	int ret;

	ret = ioctl(fd, IOBMD_MAP, &cmd);
	if (cookie)
		*cookie = cmd.cookie;
	return ret;
}
#define test_ioctl_map(handle, flags, offset, len, cookie_p)                  \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_map(self->fd, handle, flags, offset, \
					     len, cookie_p));                 \
		ASSERT_EQ(0, *(cookie_p) % PAGE_SIZE);                        \
	})
#define test_err_map(_errno, handle, flags, offset, len)                      \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_map(self->fd, handle, flags, offset, \
					     len, NULL));                     \
	})

static inline void *iobmd_mmap(int fd, __u64 cookie, size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)cookie);
}

/* IOBMD_MAP then mmap() read-write; asserts both work. */
#define test_map_rw(handle, offset, len, map_len, ptr_p)                      \
	({                                                                    \
		__u64 __cookie = 0;                                           \
		test_ioctl_map(handle, 0, offset, len, &__cookie);            \
		*(ptr_p) = iobmd_mmap(self->fd, __cookie, map_len,            \
				      PROT_READ | PROT_WRITE);                \
		ASSERT_NE(MAP_FAILED, *(ptr_p));                              \
	})

/* Buffer shapes the data and mapping tests run over. */

struct iobmd_shape {
	__u32 flags;		/* IOBMD_BUF_CREATE_* */
	__u32 options;
	__u64 pages;		/* capacity = pages * PAGE_SIZE + extra */
	__u64 extra;		/* (the bytes_len for WITH_BYTES) */
	__u64 alignment;
	__u64 phys_mask;
};

static inline __u64 iobmd_shape_size(const struct iobmd_shape *shape)
{
	return shape->pages * PAGE_SIZE + shape->extra;
}

/* Deterministic, page-sensitive byte pattern: byte @off of stream @seed. */
static inline __u8 iobmd_pattern_byte(__u64 seed, __u64 off)
{
	__u64 x = off + seed * 0x9E3779B97F4A7C15ULL;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 32;
	return (__u8)x;
}

static inline void iobmd_fill_pattern(void *buf, size_t len, __u64 off,
				      __u64 seed)
{
	__u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = iobmd_pattern_byte(seed, off + i);
}

/* Index of the first byte that differs from the pattern, or @len. */
static inline size_t iobmd_check_pattern(const void *buf, size_t len,
					 __u64 off, __u64 seed)
{
	const __u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != iobmd_pattern_byte(seed, off + i))
			return i;
	return len;
}

/* Index of the first byte that is not @c, or @len. */
static inline size_t iobmd_check_bytes(const void *buf, size_t len, __u8 c)
{
	const __u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return i;
	return len;
}

/*
 * Creates a buffer of @shape; WITH_BYTES shapes are filled from the pattern
 * stream @seed.  Returns 0 or -1/errno.
 */
static inline int _test_create_shape(int fd, const struct iobmd_shape *shape,
				     __u64 seed, __u32 *handle)
{
	__u64 size = iobmd_shape_size(shape);
	void *bytes;
	int ret;

	if (!(shape->flags & IOBMD_BUF_CREATE_WITH_BYTES))
		return _test_ioctl_buf_create(fd, shape->flags, shape->options,
					      size, shape->alignment,
					      shape->phys_mask, NULL, 0,
					      handle);
	bytes = malloc(size);
	if (!bytes) {
		errno = ENOMEM;
		return -1;
	}
	iobmd_fill_pattern(bytes, size, 0, seed);
	ret = _test_ioctl_buf_create(fd, shape->flags, shape->options, 0, 0, 0,
				     bytes, size, handle);
	free(bytes);
	return ret;
}
#define test_create_shape(shape, seed, handle_p)                              \
	({                                                                    \
		ASSERT_EQ(0, _test_create_shape(self->fd, shape, seed,        \
						handle_p));                   \
		ASSERT_NE(0, *(handle_p));                                    \
	})

/*
 * Runs @fn(@arg) in a forked child and returns its exit status, or 128 plus
 * the signal that killed it.  Children report with exit codes, not with
 * ASSERT_*(): the harness's longjmp() must stay in the test's own process.
 */
static inline int iobmd_run_child(int (*fn)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Free RAM in bytes (MemFree), from sysinfo(2) so /proc is not needed. */
static inline __u64 iobmd_free_ram(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return 0;
	return (__u64)si.freeram * si.mem_unit;
}

/*
 * The descriptor hierarchy: general, sub, multi, interleaved and device
 * descriptors, prepare/complete, performOperation and setPurgeable.
 */

/* IOBMD_GET_SEGMENTS with IOBMD_SEGMENTS_* flags (DMA addresses). */
static inline int _test_ioctl_get_segments_flags(int fd, __u32 handle,
						 __u32 flags, __u64 offset,
						 __u64 len,
						 struct iobmd_segment *segs,
						 __u32 *count, __u64 *total)
{
	struct iobmd_segments cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.handle = handle,
		.count = count ? *count : 0,
		.offset = offset,
		.len = len,
		.segs = (uintptr_t)segs,
	};
	int ret;

	ret = ioctl(fd, IOBMD_GET_SEGMENTS, &cmd);
	if (count)
		*count = cmd.count;
	if (total)
		*total = cmd.total;
	return ret;
}
#define test_err_get_dma_segments(_errno, handle, offset, len)               \
	({                                                                   \
		struct iobmd_segment __seg[4];                               \
		__u32 __count = 4;                                           \
		EXPECT_ERRNO(_errno, _test_ioctl_get_segments_flags(         \
					     self->fd, handle,               \
					     IOBMD_SEGMENTS_DMA, offset,     \
					     len, __seg, &__count, NULL));   \
	})

/* Every segment of a range, as _test_get_all_segments(), with @flags. */
static inline int _test_get_all_segments_flags(int fd, __u32 handle,
					       __u32 flags, __u64 offset,
					       __u64 len,
					       struct iobmd_segment **segs_p,
					       __u32 *nr_p)
{
	struct iobmd_segment *segs;
	__u64 total = 0;
	__u32 count = 0;
	int ret;

	*segs_p = NULL;
	*nr_p = 0;
	ret = _test_ioctl_get_segments_flags(fd, handle, flags, offset, len,
					     NULL, &count, &total);
	if (ret)
		return ret;
	if (total == 0 || total > UINT32_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	segs = calloc(total, sizeof(*segs));
	if (!segs) {
		errno = ENOMEM;
		return -1;
	}
	count = total;
	ret = _test_ioctl_get_segments_flags(fd, handle, flags, offset, len,
					     segs, &count, &total);
	if (ret || count != total) {
		if (!ret)
			errno = EAGAIN;
		free(segs);
		return -1;
	}
	*segs_p = segs;
	*nr_p = count;
	return 0;
}
#define test_get_dma_segments(handle, offset, len, segs_p, nr_p)             \
	({                                                                   \
		ASSERT_EQ(0, _test_get_all_segments_flags(                   \
				     self->fd, handle, IOBMD_SEGMENTS_DMA,   \
				     offset, len, segs_p, nr_p));            \
	})

/* IOBMD_MAP, returning the whole answer (addr_offset, extent). */
static inline int _test_ioctl_map_full(int fd, __u32 handle, __u32 flags,
				       __u64 offset, __u64 len,
				       struct iobmd_map *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->flags = flags;
	out->handle = handle;
	out->offset = offset;
	out->len = len;
	return ioctl(fd, IOBMD_MAP, out);
}
#define test_ioctl_map_full(handle, flags, offset, len, out_p)               \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_map_full(self->fd, handle, flags,   \
						  offset, len, out_p));      \
		ASSERT_EQ(0, (out_p)->cookie % PAGE_SIZE);                   \
	})

/*
 * A refused mapping: IOBMD_MAP may refuse it, else mmap() of the cookie
 * must.  Returns the errno of the refusal, or 0 when both worked (the
 * mapping is undone).
 */
static inline int iobmd_map_refusal(int fd, __u32 handle, __u32 flags,
				    __u64 offset, __u64 len, size_t map_len,
				    int prot)
{
	struct iobmd_map m;
	void *p;

	if (_test_ioctl_map_full(fd, handle, flags, offset, len, &m))
		return errno;
	p = iobmd_mmap(fd, m.cookie, map_len, prot);
	if (p == MAP_FAILED)
		return errno;
	munmap(p, map_len);
	return 0;
}

/* IOBMD_GENERAL_CREATE */

static inline int _test_ioctl_general_create(int fd, __u32 flags,
					     __u32 options,
					     const struct iobmd_range *ranges,
					     __u32 count, __u32 *handle)
{
	struct iobmd_general_create cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.options = options,
		.ranges = (uintptr_t)ranges,
		.count = count,
	};
	int ret;

	ret = ioctl(fd, IOBMD_GENERAL_CREATE, &cmd);
	if (handle)
		*handle = cmd.handle;
	return ret;
}
/* withAddressRanges(ranges, count, options, task) */
#define test_ioctl_general_create(options, ranges, count, handle_p)          \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_general_create(self->fd, 0, options,\
							ranges, count,       \
							handle_p));          \
		ASSERT_NE(0, *(handle_p));                                   \
	})
/* withAddressRange(address, length, options, task) */
#define test_ioctl_general_range(options, addr, len, handle_p)               \
	({                                                                   \
		struct iobmd_range __r = { .address = (uintptr_t)(addr),     \
					   .length = (len) };                \
		test_ioctl_general_create(options, &__r, 1, handle_p);       \
	})
/* withPhysicalAddress: ranges of RAM */
#define test_ioctl_general_physical(options, ranges, count, handle_p)        \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_general_create(                     \
				     self->fd, IOBMD_GENERAL_PHYSICAL,       \
				     options, ranges, count, handle_p));     \
		ASSERT_NE(0, *(handle_p));                                   \
	})
#define test_err_general_create(_errno, flags, options, ranges, count)       \
	({                                                                   \
		__u32 __h = 0;                                               \
		EXPECT_ERRNO(_errno, _test_ioctl_general_create(             \
					     self->fd, flags, options,       \
					     ranges, count, &__h));          \
		EXPECT_EQ(0, __h);                                           \
	})

/* IOBMD_SUB_CREATE */

static inline int _test_ioctl_sub_create(int fd, __u32 parent,
					 __u32 direction, __u64 offset,
					 __u64 length, __u32 *handle)
{
	struct iobmd_sub_create cmd = {
		.size = sizeof(cmd),
		.parent = parent,
		.direction = direction,
		.offset = offset,
		.length = length,
	};
	int ret;

	ret = ioctl(fd, IOBMD_SUB_CREATE, &cmd);
	if (handle)
		*handle = cmd.handle;
	return ret;
}
/* withSubRange(parent, offset, length, direction) */
#define test_ioctl_sub_create(parent, direction, offset, length, handle_p)   \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_sub_create(self->fd, parent,        \
						    direction, offset,       \
						    length, handle_p));      \
		ASSERT_NE(0, *(handle_p));                                   \
	})
#define test_err_sub_create(_errno, parent, direction, offset, length)       \
	({                                                                   \
		__u32 __h = 0;                                               \
		EXPECT_ERRNO(_errno, _test_ioctl_sub_create(                 \
					     self->fd, parent, direction,    \
					     offset, length, &__h));         \
		EXPECT_EQ(0, __h);                                           \
	})

/* IOBMD_MULTI_CREATE */

static inline int _test_ioctl_multi_create(int fd, __u32 direction,
					   const __u32 *handles, __u32 count,
					   __u32 *handle)
{
	struct iobmd_multi_create cmd = {
		.size = sizeof(cmd),
		.direction = direction,
		.handles = (uintptr_t)handles,
		.count = count,
	};
	int ret;

	ret = ioctl(fd, IOBMD_MULTI_CREATE, &cmd);
	if (handle)
		*handle = cmd.handle;
	return ret;
}
/* withDescriptors(handles, count, direction) */
#define test_ioctl_multi_create(direction, handles, count, handle_p)         \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_multi_create(self->fd, direction,   \
						      handles, count,        \
						      handle_p));            \
		ASSERT_NE(0, *(handle_p));                                   \
	})
#define test_err_multi_create(_errno, direction, handles, count)             \
	({                                                                   \
		__u32 __h = 0;                                               \
		EXPECT_ERRNO(_errno, _test_ioctl_multi_create(               \
					     self->fd, direction, handles,   \
					     count, &__h));                  \
		EXPECT_EQ(0, __h);                                           \
	})

/* IOBMD_INTERLEAVED_CREATE, IOBMD_INTERLEAVED_SET, IOBMD_INTERLEAVED_CLEAR */

static inline int _test_ioctl_interleaved_create(int fd, __u32 direction,
						 __u32 capacity,
						 __u32 *handle)
{
	struct iobmd_interleaved_create cmd = {
		.size = sizeof(cmd),
		.direction = direction,
		.capacity = capacity,
	};
	int ret;

	ret = ioctl(fd, IOBMD_INTERLEAVED_CREATE, &cmd);
	if (handle)
		*handle = cmd.handle;
	return ret;
}
/* withCapacity(capacity, direction) */
#define test_ioctl_interleaved_create(direction, capacity, handle_p)         \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_interleaved_create(                 \
				     self->fd, direction, capacity,          \
				     handle_p));                             \
		ASSERT_NE(0, *(handle_p));                                   \
	})
#define test_err_interleaved_create(_errno, direction, capacity)             \
	({                                                                   \
		__u32 __h = 0;                                               \
		EXPECT_ERRNO(_errno, _test_ioctl_interleaved_create(         \
					     self->fd, direction, capacity,  \
					     &__h));                         \
		EXPECT_EQ(0, __h);                                           \
	})

static inline int _test_ioctl_interleaved_set(int fd, __u32 handle,
					      __u32 piece, __u64 offset,
					      __u64 length)
{
	struct iobmd_interleaved_set cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.piece = piece,
		.offset = offset,
		.length = length,
	};

	return ioctl(fd, IOBMD_INTERLEAVED_SET, &cmd);
}
/* setMemoryDescriptor(piece, offset, length) */
#define test_ioctl_interleaved_set(handle, piece, offset, length)            \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_interleaved_set(self->fd, handle,   \
							 piece, offset,      \
							 length));           \
	})
#define test_err_interleaved_set(_errno, handle, piece, offset, length)      \
	({                                                                   \
		EXPECT_ERRNO(_errno, _test_ioctl_interleaved_set(            \
					     self->fd, handle, piece,        \
					     offset, length));               \
	})
/* clearMemoryDescriptors(direction); None keeps the direction. */
#define test_ioctl_interleaved_clear(handle, direction)                      \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_set(self->fd,                       \
					     IOBMD_INTERLEAVED_CLEAR,        \
					     handle, direction, NULL));      \
	})
#define test_err_interleaved_clear(_errno, handle, direction)                \
	({                                                                   \
		EXPECT_ERRNO(_errno, _test_ioctl_set(self->fd,               \
						     IOBMD_INTERLEAVED_CLEAR,\
						     handle, direction,      \
						     NULL));                 \
	})

/* IOBMD_DEVICE_CREATE */

/*
 * A physical range that is no RAM, inside what the CPU can address: device
 * memory there can be created (never touched).
 */
#ifdef __aarch64__
/*
 * QEMU's virt machine faults on addresses with nothing behind them, save
 * in its PCIe windows: the upper half of the 64-bit one (512 GiB to 1 TiB,
 * BARs go to its start), which reads as all ones.
 */
#define IOBMD_TEST_NOT_RAM 0xC000000000ULL
#else
#define IOBMD_TEST_NOT_RAM (1ULL << 36)
#endif

static inline int _test_ioctl_device_create(int fd, __u64 phys,
					    __u64 length, __u32 *handle)
{
	struct iobmd_device_create cmd = {
		.size = sizeof(cmd),
		.phys = phys,
		.length = length,
	};
	int ret;

	ret = ioctl(fd, IOBMD_DEVICE_CREATE, &cmd);
	if (handle)
		*handle = cmd.handle;
	return ret;
}
/* IODeviceMemory::withRange(phys, length) */
#define test_ioctl_device_create(phys, length, handle_p)                     \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_device_create(self->fd, phys,       \
						       length, handle_p));   \
		ASSERT_NE(0, *(handle_p));                                   \
	})
#define test_err_device_create(_errno, phys, length)                         \
	({                                                                   \
		__u32 __h = 0;                                               \
		EXPECT_ERRNO(_errno, _test_ioctl_device_create(              \
					     self->fd, phys, length, &__h)); \
		EXPECT_EQ(0, __h);                                           \
	})

/* IOBMD_IMPORT_DMABUF */

/*
 * IOBMD_IMPORT_DMABUF of @dmabuf, the command @size bytes long (a tail of
 * zeroes past the struct); *@handle gets what the ioctl left there.
 */
static inline int _test_ioctl_import(int fd, __u32 size, __u32 flags,
				     __u32 dmabuf, __u32 direction,
				     __u32 reserved, __u32 *handle)
{
	struct {
		struct iobmd_import_dmabuf cmd;
		__u8 tail[8];
	} big;
	int ret;

	memset(&big, 0, sizeof(big));
	big.cmd.size = size;
	big.cmd.flags = flags;
	big.cmd.fd = dmabuf;
	big.cmd.direction = direction;
	big.cmd.__reserved = reserved;
	big.cmd.handle = 0xdeadbeef;
	ret = ioctl(fd, IOBMD_IMPORT_DMABUF, &big);
	if (handle)
		*handle = big.cmd.handle;
	return ret;
}

#define test_ioctl_import(dmabuf, direction, handle_p)                        \
	({                                                                    \
		ASSERT_EQ(0, _test_ioctl_import(self->fd,                     \
						sizeof(struct iobmd_import_dmabuf), \
						0, dmabuf, direction, 0,      \
						handle_p));                   \
	})
#define test_err_import(_errno, flags, dmabuf, direction, reserved)           \
	({                                                                    \
		EXPECT_ERRNO(_errno,                                          \
			     _test_ioctl_import(self->fd,                     \
						sizeof(struct iobmd_import_dmabuf), \
						flags, dmabuf, direction,     \
						reserved, NULL));             \
	})

/* IOBMD_PREPARE, IOBMD_COMPLETE */

static inline int _test_ioctl_prepare(int fd, unsigned long cmd_num,
				      __u32 handle, __u32 direction)
{
	struct iobmd_prepare cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.direction = direction,
	};

	return ioctl(fd, cmd_num, &cmd);
}
/* prepare(direction): direction bits (None: the descriptor's own) and
 * IOBMD_PREPARE_* modifiers */
#define test_ioctl_prepare(handle, direction)                                \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_PREPARE,    \
						 handle, direction));        \
	})
#define test_err_prepare(_errno, handle, direction)                          \
	({                                                                   \
		EXPECT_ERRNO(_errno, _test_ioctl_prepare(self->fd,           \
							 IOBMD_PREPARE,      \
							 handle, direction));\
	})
#define test_ioctl_complete(handle, direction)                               \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_prepare(self->fd, IOBMD_COMPLETE,   \
						 handle, direction));        \
	})
#define test_err_complete(_errno, handle, direction)                         \
	({                                                                   \
		EXPECT_ERRNO(_errno, _test_ioctl_prepare(self->fd,           \
							 IOBMD_COMPLETE,     \
							 handle, direction));\
	})

/* IOBMD_PERFORM */

static inline int _test_ioctl_perform(int fd, __u32 handle, __u32 op,
				      __u64 offset, __u64 len)
{
	struct iobmd_perform cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.op = op,
		.offset = offset,
		.len = len,
	};

	return ioctl(fd, IOBMD_PERFORM, &cmd);
}
#define test_ioctl_perform(handle, op, offset, len)                          \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_perform(self->fd, handle, op,       \
						 offset, len));              \
	})
#define test_err_perform(_errno, handle, op, offset, len)                    \
	({                                                                   \
		EXPECT_ERRNO(_errno, _test_ioctl_perform(self->fd, handle,   \
							 op, offset, len));  \
	})

/*
 * Whether @handle is prepared (through any handle, or by a prepare of what
 * is built on it): IOBMD_PERFORM of no bytes needs a prepare and does
 * nothing else (ENODATA without one).  Prepared or not, its DMA segments
 * are ENODATA: a prepare from userspace maps it for no device.
 */
#define test_is_prepared(handle)                                             \
	({                                                                   \
		int __r = _test_ioctl_perform(self->fd, handle,              \
					      IOBMD_OP_FLUSH, 0, 0);         \
		if (__r) {                                                   \
			ASSERT_EQ(ENODATA, errno);                           \
		}                                                            \
		test_err_get_dma_segments(ENODATA, handle, 0, 0);            \
		!__r;                                                        \
	})

/* IOBMD_SET_PURGEABLE: @value in, the old state out */
#define test_ioctl_set_purgeable(handle, state, old_p)                       \
	({                                                                   \
		ASSERT_EQ(0, _test_ioctl_set(self->fd, IOBMD_SET_PURGEABLE,  \
					     handle, state, old_p));         \
	})
#define test_err_set_purgeable(_errno, handle, state)                        \
	({                                                                   \
		EXPECT_ERRNO(_errno, _test_ioctl_set(self->fd,               \
						     IOBMD_SET_PURGEABLE,    \
						     handle, state, NULL));  \
	})

/* The module's counters: /sys/kernel/debug/iobmd/stats */

#define IOBMD_STATS_PATH "/sys/kernel/debug/iobmd/stats"

/*
 * The value of @name in @path, a file of "name value" lines (debugfs
 * counters, /proc/vmstat), or -1 when the file or the name is missing.
 */
static inline long long iobmd_file_value(const char *path, const char *name)
{
	char key[64];
	long long v, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The counter @name, or -1 when the file or the counter is missing. */
static inline long long iobmd_stat(const char *name)
{
	return iobmd_file_value(IOBMD_STATS_PATH, name);
}

/* --- children a test waits for ----------------------------------------- */

/* CLOCK_MONOTONIC in milliseconds. */
static inline __u64 iobmd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/*
 * /proc/@pid/stat in @buf: what follows the command's closing parenthesis
 * (" STATE PPID ..."), or NULL.
 */
static inline const char *iobmd_proc_stat(pid_t pid, char *buf, size_t size)
{
	char path[64], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len <= 0)
		return NULL;
	buf[len] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 1 : NULL;
}

/* The state letter of /proc/@pid/stat ('D': asleep, not woken), or 0. */
static inline char iobmd_proc_state(pid_t pid)
{
	char buf[512];
	const char *p = iobmd_proc_stat(pid, buf, sizeof(buf));

	return p ? p[1] : 0;
}

/* Clock ticks @pid has spent in the kernel (stat's stime), or -1. */
static inline long long iobmd_proc_stime(pid_t pid)
{
	long long utime, stime;
	char buf[512];
	const char *p = iobmd_proc_stat(pid, buf, sizeof(buf));

	/* State, then 10 numbers, then utime and stime. */
	if (!p || sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld",
			 &utime, &stime) != 2)
		return -1;
	return stime;
}

/* /proc/@pid/wchan, where it sleeps, in @buf ("" if it cannot be read). */
static inline const char *iobmd_proc_wchan(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t len = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		len = read(fd, buf, size - 1);
		close(fd);
	}
	buf[len > 0 ? len : 0] = 0;
	return buf;
}

/*
 * Polls /proc/@pid for up to @ms until the child is in state @state and,
 * unless @in is NULL, asleep in a function whose name holds @in (its
 * /proc/@pid/wchan, left in @wchan, @size bytes), or has exited ('Z');
 * returns the state last seen.
 */
static inline char iobmd_proc_wait_state(pid_t pid, char state,
					 const char *in, char *wchan,
					 size_t size, unsigned int ms)
{
	__u64 end = iobmd_now_ms() + ms;
	char now;

	do {
		now = iobmd_proc_state(pid);
		if (in)
			iobmd_proc_wchan(pid, wchan, size);
		if ((now == state && (!in || strstr(wchan, in))) || now == 'Z')
			break;
		usleep(1000);
	} while (iobmd_now_ms() < end);
	return now;
}

/* The wait status of child @pid if it ends within @ms, else -1. */
static inline int iobmd_reap_within(pid_t pid, unsigned int ms)
{
	__u64 end = iobmd_now_ms() + ms;
	int status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(10000);
	} while (iobmd_now_ms() < end);
	return -1;
}

/* /dev/kmsg opened at its end: the kernel log from now on, or -1. */
static inline int iobmd_kmsg_open(void)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (kmsg >= 0 && lseek(kmsg, 0, SEEK_END) < 0) {
		close(kmsg);
		kmsg = -1;
	}
	return kmsg;
}

/*
 * Kernel log lines written since @kmsg was opened that hold @word, and
 * @also too unless it is NULL.
 */
static inline int iobmd_kmsg_count(int kmsg, const char *word,
				   const char *also)
{
	char rec[8192];
	int n = 0;
	ssize_t r;

	while ((r = read(kmsg, rec, sizeof(rec) - 1)) > 0 || errno == EPIPE) {
		if (r <= 0)
			continue;
		rec[r] = 0;
		if (strstr(rec, word) && (!also || strstr(rec, also)))
			n++;
	}
	return n;
}

/* Whether a read of *@p in a child dies of SIGBUS. */
static inline bool iobmd_read_sigbus(const void *p)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		(void)*(volatile const __u8 *)p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/* Writes @text into @path: 0, or -errno (-EIO for a short write). */
static inline int iobmd_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
}

/*
 * Reads @path into @buf, a string of at most @len - 1 bytes without the
 * trailing newlines and spaces: 0, or -errno (-EIO for an empty file).
 */
static inline int iobmd_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

/* Whether the kernel was booted with swiotlb=force (every DMA bounced). */
static inline bool iobmd_swiotlb_forced(void)
{
	char line[4096];

	return !iobmd_read_file("/proc/cmdline", line, sizeof(line)) &&
	       strstr(line, "swiotlb=force");
}

/*
 * A child's way out of root: the @n supplementary groups @groups, gid and
 * uid 65534, hence no capabilities.  Returns 0 or -1/errno.
 */
static inline int iobmd_drop_root_groups(const gid_t *groups, size_t n)
{
	if (setgroups(n, groups) || setgid(65534) || setuid(65534))
		return -1;
	return 0;
}

/* iobmd_drop_root_groups() with no supplementary group. */
static inline int iobmd_drop_root(void)
{
	return iobmd_drop_root_groups(NULL, 0);
}

/* Removes capability @cap from every set of this process; 0 or -1/errno. */
static inline int iobmd_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &hdr, d))
		return -1;
	d[cap / 32].effective &= ~(1U << (cap % 32));
	d[cap / 32].permitted &= ~(1U << (cap % 32));
	d[cap / 32].inheritable &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, d);
}

#define CGROUP_ROOT	"/sys/fs/cgroup"

/*
 * Grows the stack by 256 KiB below the caller's frame now, so that calls
 * made later where no page may be faulted in (a failure injected, a memory
 * cgroup without room) find theirs there.  Not inlined: the frame is its
 * own; the barrier keeps the stores.
 */
static __attribute__((noinline, unused)) void iobmd_touch_stack(void)
{
	char pad[256 * 1024];

	memset(pad, 0, sizeof(pad));
	asm volatile("" : : "r" (pad) : "memory");
}

/*
 * Removes the cgroup @dir unless @dir is "", waiting up to a second for
 * it to empty (its last process may still be being reaped), then unmounts
 * CGROUP_ROOT when @mounted: the test mounted it.
 */
static inline void iobmd_cgroup_remove(const char *dir, bool mounted)
{
	int i;

	for (i = 0; dir[0] && i < 100; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			break;
		usleep(10000);
	}
	if (mounted)
		umount(CGROUP_ROOT);
}

/*
 * An anonymous, private, populated area of @pages pages whose contents are
 * the pattern stream @seed; NULL on failure.
 */
static inline __u8 *iobmd_user_area(__u64 pages, __u64 seed)
{
	__u8 *p = mmap(NULL, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	iobmd_fill_pattern(p, pages * PAGE_SIZE, 0, seed);
	return p;
}

/* Fills descriptor @handle, @len bytes long, from the pattern @seed. */
#define test_fill_desc(handle, len, seed)                                    \
	({                                                                   \
		__u8 *__b = malloc(len);                                     \
		ASSERT_NE(NULL, __b);                                        \
		iobmd_fill_pattern(__b, len, 0, seed);                       \
		test_ioctl_write(handle, 0, __b, len);                       \
		free(__b);                                                   \
	})

/* Checks that descriptor @handle reads back as @len bytes of @model. */
#define test_check_desc(handle, model, len)                                  \
	({                                                                   \
		__u8 *__b = malloc((len) + 1);                               \
		ASSERT_NE(NULL, __b);                                        \
		memset(__b, 0xee, len);                                      \
		test_ioctl_read(handle, 0, __b, len);                        \
		ASSERT_EQ(0, memcmp(__b, model, len));                       \
		free(__b);                                                   \
	})

/* splitmix64: the random stream of the fuzzer and the stress test. */
static inline __u64 iobmd_rand(__u64 *state)
{
	__u64 z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A random number below @n (0 when @n is 0). */
static inline __u64 iobmd_rand_below(__u64 *state, __u64 n)
{
	return n ? iobmd_rand(state) % n : 0;
}

/* True @percent times in 100. */
static inline bool iobmd_rand_chance(__u64 *state, unsigned int percent)
{
	return iobmd_rand_below(state, 100) < percent;
}

/* A small deterministic generator, so failures reproduce. */
static inline __u64 iobmd_next_rand(__u64 *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/*
 * Byte-granular READ and WRITE of descriptor @handle (@len bytes) against
 * @model: single bytes and two-byte pairs around each offset of @edges
 * (piece and page boundaries), then @steps random reads, writes and
 * zero-fills of up to three pages.  @model follows every write.
 */
static inline void iobmd_rw_model(struct __test_metadata *_metadata, int fd,
				  __u32 handle, __u8 *model, __u64 len,
				  const __u64 *edges, size_t nedges,
				  unsigned int steps, __u64 seed)
{
	__u64 state = seed, max_io = 3 * PAGE_SIZE + 7;
	__u8 *buf = malloc(max_io);
	size_t e;
	unsigned int i;
	int k;

	ASSERT_NE(NULL, buf);
	for (e = 0; e != nedges; e++) {
		for (k = -1; k <= 1; k++) {
			__u64 off = edges[e] + k;
			__u8 v;

			if (edges[e] == 0 && k < 0)
				continue;
			if (off >= len)
				continue;
			v = iobmd_pattern_byte(seed + e, off) ^ 0x5a;
			ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, handle,
						    off, &v, 1, NULL))
				TH_LOG("write byte %llu: errno %d", off, errno);
			model[off] = v;
			v = ~v;
			ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_READ, handle,
						    off, &v, 1, NULL));
			ASSERT_EQ(model[off], v) TH_LOG("byte %llu", off);
			/* Two bytes across the edge. */
			if (off + 2 <= len) {
				ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_READ,
							    handle, off, buf, 2,
							    NULL));
				ASSERT_EQ(0, memcmp(buf, model + off, 2))
					TH_LOG("bytes %llu..%llu", off,
					       off + 1);
			}
		}
	}
	for (i = 0; i != steps; i++) {
		__u64 off = iobmd_next_rand(&state) % len;
		__u64 room = len - off;
		__u64 n = 1 + iobmd_next_rand(&state) %
				      (room < max_io ? room : max_io);
		int op = iobmd_next_rand(&state) % 4;

		if (op == 0) {
			ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, handle,
						    off, NULL, n, NULL))
				TH_LOG("zero %llu at %llu: errno %d", n, off,
				       errno);
			memset(model + off, 0, n);
		} else if (op == 1) {
			iobmd_fill_pattern(buf, n, off, seed + 1000 + i);
			ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, handle,
						    off, buf, n, NULL))
				TH_LOG("write %llu at %llu: errno %d", n, off,
				       errno);
			memcpy(model + off, buf, n);
		} else {
			memset(buf, 0xee, n);
			ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_READ, handle,
						    off, buf, n, NULL))
				TH_LOG("read %llu at %llu: errno %d", n, off,
				       errno);
			ASSERT_EQ(0, memcmp(buf, model + off, n))
				TH_LOG("step %u: read %llu at %llu", i, n, off);
		}
	}
	free(buf);
}

/*
 * READ and WRITE just outside the length: ERANGE, and nothing moves.
 */
#define test_rw_bounds(handle, len)                                          \
	({                                                                   \
		__u8 __b[2] = { 0 };                                         \
		test_err_read(ERANGE, handle, len, __b, 1);                  \
		test_err_read(ERANGE, handle, (len) - 1, __b, 2);            \
		test_err_write(ERANGE, handle, len, __b, 1);                 \
		test_err_write(ERANGE, handle, (len) - 1, __b, 2);           \
		test_err_read(ERANGE, handle, 1, __b, UINT64_MAX);           \
		test_err_write(ERANGE, handle, UINT64_MAX, __b, 1);          \
	})

/* Why a test that loads a module of selftests/kapi/ skips without it. */
#define IOBMD_NO_KAPI_MODULE                                                  \
	"%s is absent: selftests/kapi/'s test modules are built beside iobmd.ko (scripts/build-module.sh), and the test VM puts them there"

/* Loads the test module @path (the test skips without it). */
#define iobmd_load_kapi_module(path)                                          \
	({                                                                    \
		int __mfd;                                                    \
		if (access(path, F_OK))                                       \
			SKIP(return, IOBMD_NO_KAPI_MODULE, path);             \
		__mfd = open(path, O_RDONLY | O_CLOEXEC);                     \
		ASSERT_LE(0, __mfd) TH_LOG("%s: %s", path, strerror(errno));  \
		ASSERT_EQ(0, syscall(SYS_finit_module, __mfd, "", 0))         \
			TH_LOG("loading %s: %s", path, strerror(errno));      \
		close(__mfd);                                                 \
	})

/*
 * Expects the page table entry that maps @addr, in a mapping by frame
 * number, to have memory type @want, as dmabuf_kapi_cachemode() (in
 * iobmd_dmabuf.h, which the test includes) reads it.
 */
#define test_pte_cachemode(addr, want)                                        \
	({                                                                    \
		const void *__a = (addr);                                     \
		char __m[16] = "";                                            \
		EXPECT_EQ(0, dmabuf_kapi_cachemode(__a, __m, sizeof(__m)));   \
		EXPECT_STREQ(want, __m) TH_LOG("at %p", __a);                 \
	})

/*
 * Loads the test module @path, whose init leaves TAP lines in debugfs at
 * @results, and checks them: a plan of @tests, every line "ok".  The
 * lines go to the log.  The module stays loaded.
 */
#define iobmd_load_tap_module(path, results, tests)                          \
	({                                                                    \
		int __ok = 0, __not_ok = 0, __plan = -1;                      \
		char __line[256];                                             \
		FILE *__f;                                                    \
		iobmd_load_kapi_module(path);                                 \
		__f = fopen(results, "r");                                    \
		ASSERT_NE(NULL, __f)                                          \
			TH_LOG("%s: %s", results, strerror(errno));           \
		while (fgets(__line, sizeof(__line), __f)) {                  \
			__line[strcspn(__line, "\n")] = 0;                    \
			if (!strncmp(__line, "ok ", 3))                       \
				__ok++;                                       \
			else if (!strncmp(__line, "not ok ", 7))              \
				__not_ok++;                                   \
			else                                                  \
				sscanf(__line, "1..%d", &__plan);             \
			TH_LOG("kernel: %s", __line);                         \
		}                                                             \
		fclose(__f);                                                  \
		EXPECT_EQ(0, __not_ok);                                       \
		EXPECT_EQ(tests, __ok);                                       \
		EXPECT_EQ(tests, __plan);                                     \
	})

/*
 * Whether the kernel has RAM in ZONE_DMA32 (/proc/zoneinfo): where it has
 * none (arm64 on QEMU's virt), RAM below 4 GiB is ZONE_DMA's, and the
 * module counts a 32-bit-masked buffer's bytes there.
 */
static inline bool iobmd_zone_dma32_present(void)
{
	char line[256], zone[32] = "";
	long long present;
	bool found = false;
	int node;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %31s", &node, zone) == 2)
			continue;
		if (!strcmp(zone, "DMA32") &&
		    sscanf(line, " present %lld", &present) == 1)
			found = present > 0;
	}
	fclose(f);
	return found;
}

#endif /* __SELFTEST_IOBMD_UTILS_H */

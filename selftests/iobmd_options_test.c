// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd accepts only what has an effect or a documented meaning: IOKit
 * option bits and prepare()/complete() modifiers each do what they say,
 * hold by construction (and are documented so), or are refused.  A
 * command's struct may claim at most a page.
 */
#include <sys/mman.h>

#include "iobmd_utils.h"

FIXTURE(iobmd_options)
{
	int fd;
};

FIXTURE_SETUP(iobmd_options)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_options)
{
	if (self->fd != -1)
		close(self->fd);
}

/*
 * A size above a page is E2BIG whatever the bytes past the struct: the
 * kernel never scans gigabytes of tail for zeros.
 */
TEST_F(iobmd_options, size_capped)
{
	struct iobmd_version *ver;
	size_t len = 4 * PAGE_SIZE;

	ver = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ver);
	ver->size = PAGE_SIZE;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_GET_VERSION, ver));
	ASSERT_EQ(IOBMD_ABI_MAJOR, ver->abi_major);
	ver->size = PAGE_SIZE + 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_GET_VERSION, ver));
	ver->size = len;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_GET_VERSION, ver));
	ver->size = UINT32_MAX;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_GET_VERSION, ver));
	/* Every command, before it looks at anything else. */
	ver->size = PAGE_SIZE + 8;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_BUF_CREATE, ver));
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_MAP, ver));
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_RELEASE, ver));
	munmap(ver, len);
}

/* UseReserve asks for a reserved pool no process may drain: refused. */
TEST_F(iobmd_options, use_reserve_refused)
{
	__u32 h = 0;

	test_err_buf_create(EINVAL, IOBMD_OPT_USE_RESERVE, PAGE_SIZE, 0);
	test_err_buf_create(EINVAL, IOBMD_DIRECTION_INOUT |
			    IOBMD_OPT_PAGEABLE | IOBMD_OPT_USE_RESERVE,
			    PAGE_SIZE, 0);
	test_err_buf_create_mask(EINVAL, IOBMD_OPT_USE_RESERVE, PAGE_SIZE,
				 0x00000000FFFFF000ULL);
	test_err_buf_create_bytes(EINVAL, IOBMD_OPT_USE_RESERVE, "abc", 3);
	ASSERT_EQ(0, h);
}

/*
 * Pageable is accepted (IOKit requires it of user tasks) and never in
 * force: GET_INFO reports the options in force, without it, so a user can
 * tell the memory is wired.  Options that hold by construction are
 * reported as asked.
 */
TEST_F(iobmd_options, pageable_reported_wired)
{
	const __u32 held = IOBMD_OPT_MAPPER_NONE | IOBMD_OPT_HOST_ONLY |
			   IOBMD_OPT_THREAD_SAFE | IOBMD_OPT_CLEAR_ENCRYPT;
	struct iobmd_info info;
	__u32 h;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | IOBMD_OPT_PAGEABLE,
			      PAGE_SIZE, 0, &h);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(0, info.options & IOBMD_OPT_PAGEABLE);
	ASSERT_EQ(0, info.options);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	test_ioctl_release(h);

	test_ioctl_buf_create(IOBMD_OPT_PAGEABLE | IOBMD_OPT_PURGEABLE | held,
			      PAGE_SIZE, 0, &h);
	test_ioctl_get_info(h, &info);
	ASSERT_EQ(IOBMD_OPT_PURGEABLE | held, info.options);
	test_ioctl_release(h);
}

/*
 * PrepareNoFault faults nothing in: user memory that is not pinned yet
 * is ENODATA, and nothing is prepared; pinned by a prepare, it nests.
 * Wired memory never faults, so it always works there.
 */
TEST_F(iobmd_options, prepare_no_fault)
{
	size_t len = 2 * PAGE_SIZE;
	__u32 g, b;
	void *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, len, &g);
	test_err_prepare(ENODATA, g, IOBMD_PREPARE_NO_FAULT);
	test_err_prepare(ENODATA, g, IOBMD_PREPARE_NO_FAULT |
			 IOBMD_DIRECTION_OUT);
	/* Nothing was prepared: there is nothing to complete. */
	test_err_complete(EINVAL, g, 0);
	test_ioctl_prepare(g, 0);
	test_ioctl_prepare(g, IOBMD_PREPARE_NO_FAULT);
	test_ioctl_complete(g, 0);
	test_ioctl_complete(g, 0);
	test_err_complete(EINVAL, g, 0);
	test_err_prepare(ENODATA, g, IOBMD_PREPARE_NO_FAULT);
	test_ioctl_release(g);

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &b);
	test_ioctl_prepare(b, IOBMD_PREPARE_NO_FAULT);
	test_ioctl_prepare(b, IOBMD_PREPARE_NO_FAULT |
			   IOBMD_PREPARE_NON_COHERENT);
	test_ioctl_complete(b, IOBMD_COMPLETE_WITH_DATA_VALID);
	test_ioctl_complete(b, IOBMD_COMPLETE_WITH_ERROR);
	test_err_complete(EINVAL, b, 0);
	test_ioctl_release(b);
	munmap(mem, len);
}

/*
 * A failed NoFault prepare leaves no pin behind: the memory can be
 * prepared and completed as often as before, and the handle released.
 */
TEST_F(iobmd_options, prepare_no_fault_balanced)
{
	size_t len = PAGE_SIZE;
	void *mem;
	__u32 g;
	int i;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, len, &g);
	for (i = 0; i != 100; i++)
		test_err_prepare(ENODATA, g, IOBMD_PREPARE_NO_FAULT);
	test_ioctl_prepare(g, 0);
	test_ioctl_complete(g, 0);
	test_ioctl_release(g);
	munmap(mem, len);
}

TEST_HARNESS_MAIN

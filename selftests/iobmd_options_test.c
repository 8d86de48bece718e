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

/*
 * NoFault for a device that writes (In, InOut, or None on an InOut
 * descriptor) works on composed descriptors of wired memory too: the pin
 * that keeps NoFault from faulting must allow the writes.
 */
TEST_F(iobmd_options, prepare_no_fault_composed)
{
	__u32 b, s, m, pieces[2];

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE, &s);
	pieces[0] = b;
	pieces[1] = s;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	test_ioctl_prepare(s, IOBMD_PREPARE_NO_FAULT | IOBMD_DIRECTION_INOUT);
	test_ioctl_prepare(s, IOBMD_PREPARE_NO_FAULT);
	test_ioctl_prepare(m, IOBMD_PREPARE_NO_FAULT | IOBMD_DIRECTION_IN);
	test_ioctl_complete(m, 0);
	test_ioctl_complete(s, 0);
	test_ioctl_complete(s, 0);
	test_err_complete(EINVAL, s, 0);
	test_ioctl_release(m);
	test_ioctl_release(s);
	test_ioctl_release(b);
}

/*
 * A read-only pin (a read-only mapping) of a descriptor built only of
 * wired memory does not make it read-only: writes, a prepare for a device
 * that writes, and a writable mapping still work.  Only user memory pinned
 * without write access refuses them.
 */
TEST_F(iobmd_options, readonly_pin_of_wired_memory)
{
	char byte = 0x5a, back = 0;
	__u64 ro, rw;
	__u32 b, s;
	char *p, *q;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, PAGE_SIZE, PAGE_SIZE,
			      &s);
	test_ioctl_map(s, IOBMD_MAP_READONLY, 0, 0, &ro);
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, self->fd, ro);
	ASSERT_NE(MAP_FAILED, p);
	test_ioctl_write(s, 7, &byte, 1);
	ASSERT_EQ(byte, p[7]);
	test_ioctl_prepare(s, IOBMD_DIRECTION_IN);
	test_ioctl_complete(s, 0);
	test_ioctl_map(s, 0, 0, 0, &rw);
	q = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, rw);
	ASSERT_NE(MAP_FAILED, q);
	q[8] = byte;
	test_ioctl_read(b, PAGE_SIZE + 8, &back, 1);
	ASSERT_EQ(byte, back);
	ASSERT_EQ(0, munmap(q, PAGE_SIZE));
	ASSERT_EQ(0, munmap(p, PAGE_SIZE));
	test_ioctl_release(s);
	test_ioctl_release(b);
}

TEST_HARNESS_MAIN

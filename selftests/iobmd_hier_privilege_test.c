// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd privileges: physical and DMA segments need CAP_SYS_ADMIN; device
 * memory and physical-address general descriptors need CAP_SYS_RAWIO;
 * prepare (wiring, and PHYS32's placement rule) needs nothing.
 * Each check runs in a child that opened /dev/iobmd as root and then gave
 * up either all of root (uid 65534) or just the one capability; the rest
 * of the interface keeps working for it.
 */

#include "iobmd_utils.h"

FIXTURE(iobmd_privilege)
{
	int fd;
};

FIXTURE_SETUP(iobmd_privilege)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_privilege)
{
	if (self->fd != -1)
		close(self->fd);
}

/* 1 when @call failed with @err, else 0. */
#define FAILS_WITH(err, call) ((call) == -1 && errno == (err))

struct priv_args {
	int fd;
	__u32 buf;		/* a buffer of the parent's, one page */
	__u64 ram;		/* physical address of its page */
	int drop;		/* -1: all of root, else one capability */
};

/* What needs a capability, without it. */
static int child_without(void *argp)
{
	struct priv_args *arg = argp;
	struct iobmd_range r = { arg->ram, PAGE_SIZE };
	bool no_admin = arg->drop < 0 || arg->drop == CAP_SYS_ADMIN;
	bool no_rawio = arg->drop < 0 || arg->drop == CAP_SYS_RAWIO;
	struct iobmd_segment seg;
	__u32 count = 1, h;
	int fd = arg->fd;

	if (arg->drop < 0 ? iobmd_drop_root() : iobmd_drop_cap(arg->drop))
		return 1;

	/* Segments: EPERM, even before the handle is looked at. */
	if (no_admin) {
		if (!FAILS_WITH(EPERM, _test_ioctl_get_segments_flags(
					       fd, arg->buf, 0, 0, 0, &seg,
					       &count, NULL)))
			return 2;
		if (!FAILS_WITH(EPERM, _test_ioctl_get_segments_flags(
					       fd, arg->buf, IOBMD_SEGMENTS_DMA,
					       0, 0, &seg, &count, NULL)))
			return 3;
		if (!FAILS_WITH(EPERM, _test_ioctl_get_segments_flags(
					       fd, 0, 0, 0, 0, &seg, &count,
					       NULL)))
			return 4;
		/* An unknown flag is still EINVAL first. */
		if (!FAILS_WITH(EINVAL, _test_ioctl_get_segments_flags(
						fd, arg->buf, 0x2, 0, 0, &seg,
						&count, NULL)))
			return 5;
	} else {
		if (_test_ioctl_get_segments_flags(fd, arg->buf, 0, 0, 0, &seg,
						   &count, NULL))
			return 6;
	}

	/* Device memory and physical RAM: EPERM, not EINVAL for RAM. */
	if (no_rawio) {
		h = 0;
		if (!FAILS_WITH(EPERM, _test_ioctl_device_create(
					       fd, IOBMD_TEST_NOT_RAM,
					       PAGE_SIZE, &h)) || h)
			return 7;
		if (!FAILS_WITH(EPERM, _test_ioctl_device_create(
					       fd, arg->ram, PAGE_SIZE, &h)))
			return 8;
		if (!FAILS_WITH(EPERM, _test_ioctl_general_create(
					       fd, IOBMD_GENERAL_PHYSICAL,
					       IOBMD_DIRECTION_INOUT, &r, 1,
					       &h)) || h)
			return 9;
	} else {
		if (_test_ioctl_device_create(fd, IOBMD_TEST_NOT_RAM,
					      PAGE_SIZE, &h) ||
		    _test_ioctl_release(fd, h))
			return 10;
		if (_test_ioctl_general_create(fd, IOBMD_GENERAL_PHYSICAL,
					       IOBMD_DIRECTION_INOUT, &r, 1,
					       &h) ||
		    _test_ioctl_release(fd, h))
			return 11;
	}
	return 0;
}

/* What needs no capability, without any. */
static int child_unprivileged_works(void *argp)
{
	struct priv_args *arg = argp;
	__u8 *a = iobmd_user_area(2, 1), v = 0x5a, back;
	__u32 b, b32, g, s, m, il, pair[2];
	struct iobmd_map mp;
	int fd = arg->fd;
	__u8 *p;

	if (!a || iobmd_drop_root())
		return 1;
	/* The node is root's alone. */
	if (!FAILS_WITH(EACCES, open(IOBMD_DEV_PATH, O_RDWR)))
		return 2;
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				   0, NULL, 0, &b))
		return 3;
	if (_test_ioctl_general_create(fd, 0, IOBMD_DIRECTION_INOUT,
				       &(struct iobmd_range){ (uintptr_t)a,
							      PAGE_SIZE },
				       1, &g))
		return 4;
	if (_test_ioctl_sub_create(fd, g, IOBMD_DIRECTION_INOUT, 1, 10, &s))
		return 5;
	pair[0] = b;
	pair[1] = s;
	if (_test_ioctl_multi_create(fd, IOBMD_DIRECTION_INOUT, pair, 2, &m))
		return 6;
	if (_test_ioctl_interleaved_create(fd, IOBMD_DIRECTION_INOUT, 1, &il) ||
	    _test_ioctl_interleaved_set(fd, il, m, 0, PAGE_SIZE + 10))
		return 7;
	if (_test_ioctl_rw(fd, IOBMD_WRITE, il, PAGE_SIZE, &v, 1, NULL) ||
	    a[1] != 0x5a)
		return 8;
	/*
	 * PHYS32: the caller's own pages were placed by no one, so ERANGE
	 * wherever they lie (nothing about their placement leaks), and the
	 * refusal leaves nothing prepared; a plain prepare wires them.
	 */
	if (!FAILS_WITH(ERANGE, _test_ioctl_prepare(fd, IOBMD_PREPARE, il,
						    IOBMD_PREPARE_PHYS32)) ||
	    !FAILS_WITH(EINVAL, _test_ioctl_prepare(fd, IOBMD_COMPLETE, il, 0)))
		return 9;
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, il, 0) ||
	    _test_ioctl_perform(fd, il, IOBMD_OP_FLUSH, 0, 1))
		return 14;
	if (_test_ioctl_map_full(fd, g, 0, 0, 0, &mp))
		return 10;
	p = iobmd_mmap(fd, mp.cookie, mp.extent, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED || p[1] != 0x5a)
		return 11;
	p[2] = 0x5b;
	if (_test_ioctl_rw(fd, IOBMD_READ, s, 1, &back, 1, NULL) ||
	    back != 0x5b)
		return 12;
	munmap(p, mp.extent);
	if (_test_ioctl_prepare(fd, IOBMD_COMPLETE, il, 0))
		return 13;
	/* A buffer placed below 4 GiB by its mask meets PHYS32. */
	if (_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				   IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,
				   0xFFFFF000ULL, NULL, 0, &b32) ||
	    _test_ioctl_prepare(fd, IOBMD_PREPARE, b32, IOBMD_PREPARE_PHYS32) ||
	    _test_ioctl_prepare(fd, IOBMD_COMPLETE, b32, 0) ||
	    _test_ioctl_release(fd, b32))
		return 15;
	return 0;
}

TEST_F(iobmd_privilege, unprivileged)
{
	struct priv_args arg = { .fd = self->fd, .drop = -1 };
	struct iobmd_segment *segs;
	__u32 n;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &arg.buf);
	test_get_all_segments(arg.buf, 0, 0, &segs, &n);
	arg.ram = segs[0].addr;
	free(segs);
	ASSERT_EQ(0, iobmd_run_child(child_without, &arg));
	ASSERT_EQ(0, iobmd_run_child(child_unprivileged_works, &arg));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(arg.buf);
}

TEST_F(iobmd_privilege, without_cap_sys_admin)
{
	struct priv_args arg = { .fd = self->fd, .drop = CAP_SYS_ADMIN };
	struct iobmd_segment *segs;
	__u32 n;

	IOBMD_NEED_PHYS_RAM();

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &arg.buf);
	test_get_all_segments(arg.buf, 0, 0, &segs, &n);
	arg.ram = segs[0].addr;
	free(segs);
	ASSERT_EQ(0, iobmd_run_child(child_without, &arg));
	test_ioctl_release(arg.buf);
}

TEST_F(iobmd_privilege, without_cap_sys_rawio)
{
	struct priv_args arg = { .fd = self->fd, .drop = CAP_SYS_RAWIO };
	struct iobmd_segment *segs;
	__u32 n;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &arg.buf);
	test_get_all_segments(arg.buf, 0, 0, &segs, &n);
	arg.ram = segs[0].addr;
	free(segs);
	ASSERT_EQ(0, iobmd_run_child(child_without, &arg));
	test_ioctl_release(arg.buf);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * IOBMD_BUF_CREATE with IOBMD_BUF_CREATE_DMABUF: a buffer handed out at
 * once as a dma-buf of all of it, with no handle, in one call as a dma-buf
 * heap's allocation.  The buffer lives as long as the dma-buf, charged to
 * the file and the user until then; every creation form works; a struct
 * of ABI 1.0's size cannot take the answer (EINVAL); bad fd flags fail
 * with nothing left behind.
 */
#include <sys/mman.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"

/* The dma-buf's fd, or -errno; @cmd's other members as the caller set. */
static int create_dmabuf(int fd, struct iobmd_buf_create *cmd)
{
	cmd->size = sizeof(*cmd);
	cmd->flags |= IOBMD_BUF_CREATE_DMABUF;
	if (ioctl(fd, IOBMD_BUF_CREATE, cmd))
		return -errno;
	return (int)cmd->fd;
}

FIXTURE(iobmd_dmabuf_create)
{
	int fd;
	struct iobmd_test_stats found;
};

FIXTURE_SETUP(iobmd_dmabuf_create)
{
	ASSERT_EQ(0, iobmd_read_stats(&self->found));
	self->fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, self->fd);
}

FIXTURE_TEARDOWN(iobmd_dmabuf_create)
{
	close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&self->found));
}

/* Zeroed memory, mapped through the dma-buf; no handle; gone with it. */
TEST_F(iobmd_dmabuf_create, buffer_as_dmabuf)
{
	struct iobmd_buf_create cmd = {
		.options = IOBMD_DIRECTION_INOUT,
		.capacity = 3 * PAGE_SIZE,
		.handle = 77,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	__u8 *p;
	int d;

	d = create_dmabuf(self->fd, &cmd);
	ASSERT_LE(0, d);
	EXPECT_EQ(0, cmd.handle);
	EXPECT_EQ(FD_CLOEXEC, fcntl(d, F_GETFD));
	EXPECT_EQ(3 * PAGE_SIZE, lseek(d, 0, SEEK_END));
	EXPECT_EQ(1, iobmd_stat("descriptors"));
	EXPECT_EQ(1, iobmd_stat("exports"));
	/* Handle 1 would be the first handle: there is none. */
	EXPECT_ERRNO(ENOENT, _test_ioctl_release(self->fd, 1));

	p = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(3 * PAGE_SIZE, iobmd_check_bytes(p, 3 * PAGE_SIZE, 0));
	p[5] = 0x42;
	/* The file it came from may go first. */
	close(self->fd);
	self->fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, self->fd);
	EXPECT_EQ(0x42, p[5]);
	close(d);
	EXPECT_EQ(1, iobmd_stat("descriptors"));
	munmap(p, 3 * PAGE_SIZE);
	EXPECT_EQ(0, iobmd_stat("descriptors"));
	EXPECT_EQ(0, iobmd_stat("exports"));
}

/* withBytes and a physical mask below 4 GiB, contiguous. */
TEST_F(iobmd_dmabuf_create, every_form)
{
	struct iobmd_buf_create bytes = {
		.options = IOBMD_DIRECTION_INOUT,
		.fd_flags = O_RDONLY,
	};
	struct iobmd_buf_create masked = {
		.flags = IOBMD_BUF_CREATE_PHYS_MASK,
		.options = IOBMD_DIRECTION_INOUT |
			   IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
		.capacity = 16 * PAGE_SIZE,
		.phys_mask = 0x00000000FFFFF000ULL,
		.fd_flags = O_RDWR,
	};
	char text[] = "withBytes, handed on";
	__u8 *p;
	int d;

	bytes.flags = IOBMD_BUF_CREATE_WITH_BYTES;
	bytes.bytes = (uintptr_t)text;
	bytes.bytes_len = sizeof(text);
	d = create_dmabuf(self->fd, &bytes);
	ASSERT_LE(0, d);
	EXPECT_EQ(0, fcntl(d, F_GETFD));
	EXPECT_EQ(PAGE_SIZE, lseek(d, 0, SEEK_END));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, d, 0));
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, d, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, text, sizeof(text)));
	munmap(p, PAGE_SIZE);
	close(d);

	d = create_dmabuf(self->fd, &masked);
	ASSERT_LE(0, d);
	EXPECT_EQ(16 * PAGE_SIZE, lseek(d, 0, SEEK_END));
	EXPECT_EQ(16 * PAGE_SIZE, iobmd_stat("coherent_bytes"));
	close(d);
	EXPECT_EQ(0, iobmd_stat("descriptors"));
}

/* What the call refuses leaves nothing. */
TEST_F(iobmd_dmabuf_create, refusals)
{
	struct iobmd_buf_create cmd = {
		.options = IOBMD_DIRECTION_INOUT,
		.capacity = PAGE_SIZE,
	};

	/* An ABI 1.0 struct has no room for the answer. */
	cmd.size = offsetofend(struct iobmd_buf_create, bytes_len);
	cmd.flags = IOBMD_BUF_CREATE_DMABUF;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_BUF_CREATE, &cmd));
	/* fd_flags only with the flag, and only known ones. */
	cmd.size = sizeof(cmd);
	cmd.flags = 0;
	cmd.fd_flags = O_RDWR;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_BUF_CREATE, &cmd));
	cmd.flags = IOBMD_BUF_CREATE_DMABUF;
	cmd.fd_flags = O_WRONLY;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_BUF_CREATE, &cmd));
	cmd.fd_flags = O_RDWR | O_NONBLOCK;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_BUF_CREATE, &cmd));
	EXPECT_EQ(0, iobmd_stat("descriptors"));
	EXPECT_EQ(0, iobmd_stat("page_bytes"));
}

TEST_HARNESS_MAIN

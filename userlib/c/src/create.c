// SPDX-License-Identifier: MIT
/*
 * libiobmd: making descriptors of every kind, and letting them go.
 */
#include <stddef.h>

#include "internal.h"

/* IOBMD_BUF_CREATE as @c says; the new handle in *@handle. */
static int iobmd_buf_create(struct iobmd_dev *dev, struct iobmd_buf_create *c,
			    iobmd_handle *handle)
{
	return IOBMD_CMD_HANDLE(dev, IOBMD_BUF_CREATE, c, handle);
}

IOBMD_EXPORT int iobmd_buffer_create(struct iobmd_dev *dev, uint32_t options,
				     uint64_t capacity, uint64_t alignment,
				     iobmd_handle *handle)
{
	struct iobmd_buf_create c = {
		.options = options,
		.capacity = capacity,
		.alignment = alignment,
	};

	return iobmd_buf_create(dev, &c, handle);
}

IOBMD_EXPORT int iobmd_buffer_create_masked(struct iobmd_dev *dev,
					    uint32_t options,
					    uint64_t capacity,
					    uint64_t phys_mask,
					    iobmd_handle *handle)
{
	struct iobmd_buf_create c = {
		.flags = IOBMD_BUF_CREATE_PHYS_MASK,
		.options = options,
		.capacity = capacity,
		.phys_mask = phys_mask,
	};

	return iobmd_buf_create(dev, &c, handle);
}

IOBMD_EXPORT int iobmd_buffer_with_bytes(struct iobmd_dev *dev,
					 const void *bytes, uint64_t len,
					 uint32_t direction,
					 iobmd_handle *handle)
{
	struct iobmd_buf_create c = {
		.flags = IOBMD_BUF_CREATE_WITH_BYTES,
		.options = direction,
		.bytes = (uintptr_t)bytes,
		.bytes_len = len,
	};

	return iobmd_buf_create(dev, &c, handle);
}

IOBMD_EXPORT int iobmd_buffer_create_dmabuf(struct iobmd_dev *dev,
					    uint32_t options,
					    uint64_t capacity,
					    uint64_t alignment, int fd_flags,
					    int *fd)
{
	struct iobmd_buf_create c = {
		.flags = IOBMD_BUF_CREATE_DMABUF,
		.options = options,
		.capacity = capacity,
		.alignment = alignment,
		.fd_flags = (uint32_t)fd_flags,
	};
	int ret;

	if (!fd)
		return -EINVAL;
	ret = IOBMD_CMD(dev, IOBMD_BUF_CREATE, &c);
	if (!ret)
		*fd = (int)c.fd;
	return ret;
}

static int iobmd_general(struct iobmd_dev *dev, uint32_t flags,
			 const struct iobmd_range *ranges, uint32_t count,
			 uint32_t direction, iobmd_handle *handle)
{
	struct iobmd_general_create c = {
		.flags = flags,
		.options = direction,
		.ranges = (uintptr_t)ranges,
		.count = count,
	};

	return IOBMD_CMD_HANDLE(dev, IOBMD_GENERAL_CREATE, &c, handle);
}

IOBMD_EXPORT int iobmd_general_create(struct iobmd_dev *dev,
				      const struct iobmd_range *ranges,
				      uint32_t count, uint32_t direction,
				      iobmd_handle *handle)
{
	return iobmd_general(dev, 0, ranges, count, direction, handle);
}

IOBMD_EXPORT int iobmd_physical_create(struct iobmd_dev *dev,
				       const struct iobmd_range *ranges,
				       uint32_t count, uint32_t direction,
				       iobmd_handle *handle)
{
	return iobmd_general(dev, IOBMD_GENERAL_PHYSICAL, ranges, count,
			     direction, handle);
}

IOBMD_EXPORT int iobmd_sub_create(struct iobmd_dev *dev, iobmd_handle parent,
				  uint64_t offset, uint64_t length,
				  uint32_t direction, iobmd_handle *handle)
{
	struct iobmd_sub_create c = {
		.parent = parent,
		.direction = direction,
		.offset = offset,
		.length = length,
	};

	return IOBMD_CMD_HANDLE(dev, IOBMD_SUB_CREATE, &c, handle);
}

IOBMD_EXPORT int iobmd_multi_create(struct iobmd_dev *dev,
				    const iobmd_handle *pieces, uint32_t count,
				    uint32_t direction, iobmd_handle *handle)
{
	struct iobmd_multi_create c = {
		.direction = direction,
		.handles = (uintptr_t)pieces,
		.count = count,
	};

	return IOBMD_CMD_HANDLE(dev, IOBMD_MULTI_CREATE, &c, handle);
}

IOBMD_EXPORT int iobmd_interleaved_create(struct iobmd_dev *dev,
					  uint32_t capacity,
					  uint32_t direction,
					  iobmd_handle *handle)
{
	struct iobmd_interleaved_create c = {
		.direction = direction,
		.capacity = capacity,
	};

	return IOBMD_CMD_HANDLE(dev, IOBMD_INTERLEAVED_CREATE, &c, handle);
}

IOBMD_EXPORT int iobmd_interleaved_set(struct iobmd_dev *dev,
				       iobmd_handle interleaved,
				       iobmd_handle piece, uint64_t offset,
				       uint64_t length)
{
	struct iobmd_interleaved_set c = {
		.handle = interleaved,
		.piece = piece,
		.offset = offset,
		.length = length,
	};

	return IOBMD_CMD(dev, IOBMD_INTERLEAVED_SET, &c);
}

IOBMD_EXPORT int iobmd_interleaved_clear(struct iobmd_dev *dev,
					 iobmd_handle interleaved,
					 uint32_t direction)
{
	struct iobmd_set_arg c = {
		.handle = interleaved,
		.value = direction,
	};

	return IOBMD_CMD(dev, IOBMD_INTERLEAVED_CLEAR, &c);
}

IOBMD_EXPORT int iobmd_device_create(struct iobmd_dev *dev, uint64_t phys,
				     uint64_t length, iobmd_handle *handle)
{
	struct iobmd_device_create c = {
		.phys = phys,
		.length = length,
	};

	return IOBMD_CMD_HANDLE(dev, IOBMD_DEVICE_CREATE, &c, handle);
}

IOBMD_EXPORT int iobmd_release(struct iobmd_dev *dev, iobmd_handle handle)
{
	struct iobmd_handle_arg c = { .handle = handle };

	return IOBMD_CMD(dev, IOBMD_RELEASE, &c);
}

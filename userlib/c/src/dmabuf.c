// SPDX-License-Identifier: MIT
/*
 * libiobmd: dma-bufs in and out.
 */
#include "internal.h"

IOBMD_EXPORT int iobmd_dmabuf_import(struct iobmd_dev *dev, int fd,
				     uint32_t direction, iobmd_handle *handle)
{
	struct iobmd_import_dmabuf c = {
		.fd = (uint32_t)fd,
		.direction = direction,
	};

	if (fd < 0)
		return -EINVAL;
	return IOBMD_CMD_HANDLE(dev, IOBMD_IMPORT_DMABUF, &c, handle);
}

IOBMD_EXPORT int iobmd_dmabuf_export(struct iobmd_dev *dev,
				     iobmd_handle handle, uint64_t offset,
				     uint64_t length, int fd_flags, int *fd)
{
	struct iobmd_export_dmabuf c = {
		.handle = handle,
		.fd_flags = (uint32_t)fd_flags,
		.offset = offset,
		.length = length,
	};
	int ret;

	if (!fd)
		return -EINVAL;
	ret = IOBMD_CMD(dev, IOBMD_EXPORT_DMABUF, &c);
	if (!ret)
		*fd = (int)c.fd;
	return ret;
}

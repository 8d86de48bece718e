// SPDX-License-Identifier: MIT
/*
 * libiobmd: prepare(), complete(), performOperation() and segments.
 */
#include "internal.h"

static int iobmd_prep(struct iobmd_dev *dev, unsigned long cmd,
		      iobmd_handle handle, uint32_t direction)
{
	struct iobmd_prepare c = { .handle = handle, .direction = direction };

	return IOBMD_CMD(dev, cmd, &c);
}

IOBMD_EXPORT int iobmd_prepare(struct iobmd_dev *dev, iobmd_handle handle,
			       uint32_t direction)
{
	return iobmd_prep(dev, IOBMD_PREPARE, handle, direction);
}

IOBMD_EXPORT int iobmd_complete(struct iobmd_dev *dev, iobmd_handle handle,
				uint32_t direction)
{
	return iobmd_prep(dev, IOBMD_COMPLETE, handle, direction);
}

IOBMD_EXPORT int iobmd_perform(struct iobmd_dev *dev, iobmd_handle handle,
			       uint32_t op, uint64_t offset, uint64_t length)
{
	struct iobmd_perform c = {
		.handle = handle,
		.op = op,
		.offset = offset,
		.len = length,
	};

	return IOBMD_CMD(dev, IOBMD_PERFORM, &c);
}

IOBMD_EXPORT int iobmd_segments(struct iobmd_dev *dev, iobmd_handle handle,
				uint32_t flags, uint64_t offset,
				uint64_t length, struct iobmd_segment *segs,
				uint32_t *count, uint64_t *total)
{
	struct iobmd_segments c = {
		.flags = flags,
		.handle = handle,
		.offset = offset,
		.len = length,
		.segs = (uintptr_t)segs,
	};
	int ret;

	if (!count)
		return -EINVAL;
	c.count = *count;
	ret = IOBMD_CMD(dev, IOBMD_GET_SEGMENTS, &c);
	if (ret)
		return ret;
	*count = c.count;
	if (total)
		*total = c.total;
	return 0;
}

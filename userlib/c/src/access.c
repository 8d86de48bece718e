// SPDX-License-Identifier: MIT
/*
 * libiobmd: what a descriptor is, its settings, and its bytes.
 */
#include <stddef.h>

#include "internal.h"

IOBMD_EXPORT int iobmd_get_info(struct iobmd_dev *dev, iobmd_handle handle,
				struct iobmd_info *info)
{
	struct iobmd_info i = { .handle = handle };
	int ret;

	/* Every member up to the tag is the first version's. */
	if (!info || info->size < offsetof(struct iobmd_info, __reserved))
		return -EINVAL;
	ret = IOBMD_CMD(dev, IOBMD_GET_INFO, &i);
	if (ret)
		return ret;
	return iobmd_copy_sized(info, &i, sizeof(i),
				offsetof(struct iobmd_info, __reserved));
}

/* A command on struct iobmd_set_arg; the value in force in *@now. */
static int iobmd_set(struct iobmd_dev *dev, unsigned long cmd,
		     iobmd_handle handle, uint64_t value, uint64_t *now)
{
	struct iobmd_set_arg c = { .handle = handle, .value = value };
	int ret = IOBMD_CMD(dev, cmd, &c);

	if (!ret && now)
		*now = c.value;
	return ret;
}

IOBMD_EXPORT int iobmd_set_length(struct iobmd_dev *dev, iobmd_handle handle,
				  uint64_t length, uint64_t *now)
{
	return iobmd_set(dev, IOBMD_SET_LENGTH, handle, length, now);
}

IOBMD_EXPORT int iobmd_set_direction(struct iobmd_dev *dev,
				     iobmd_handle handle, uint32_t direction)
{
	return iobmd_set(dev, IOBMD_SET_DIRECTION, handle, direction, NULL);
}

IOBMD_EXPORT int iobmd_set_tag(struct iobmd_dev *dev, iobmd_handle handle,
			       uint64_t tag)
{
	return iobmd_set(dev, IOBMD_SET_TAG, handle, tag, NULL);
}

IOBMD_EXPORT int iobmd_set_purgeable(struct iobmd_dev *dev,
				     iobmd_handle handle, uint32_t state,
				     uint32_t *old)
{
	uint64_t was;
	int ret = iobmd_set(dev, IOBMD_SET_PURGEABLE, handle, state, &was);

	if (!ret && old)
		*old = (uint32_t)was;
	return ret;
}

/* READ, WRITE or APPEND; *@done gets what was copied. */
static int iobmd_rw(struct iobmd_dev *dev, unsigned long cmd,
		    iobmd_handle handle, uint64_t offset, const void *buf,
		    uint64_t len, uint64_t *done)
{
	struct iobmd_rw c = {
		.handle = handle,
		.offset = offset,
		.buf = (uintptr_t)buf,
		.len = len,
	};
	int ret = IOBMD_CMD(dev, cmd, &c);

	if (!ret && done)
		*done = c.done;
	return ret;
}

IOBMD_EXPORT int iobmd_read(struct iobmd_dev *dev, iobmd_handle handle,
			    uint64_t offset, void *buf, uint64_t len,
			    uint64_t *done)
{
	return iobmd_rw(dev, IOBMD_READ, handle, offset, buf, len, done);
}

IOBMD_EXPORT int iobmd_write(struct iobmd_dev *dev, iobmd_handle handle,
			     uint64_t offset, const void *buf, uint64_t len,
			     uint64_t *done)
{
	return iobmd_rw(dev, IOBMD_WRITE, handle, offset, buf, len, done);
}

IOBMD_EXPORT int iobmd_append(struct iobmd_dev *dev, iobmd_handle handle,
			      const void *buf, uint64_t len, uint64_t *done)
{
	return iobmd_rw(dev, IOBMD_APPEND, handle, 0, buf, len, done);
}

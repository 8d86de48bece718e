// SPDX-License-Identifier: GPL-2.0
/*
 * Built against the installed libiobmd (pkg-config iobmd): the C core on
 * its own.  Without the module it must say so through the C API's error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <iobmd/iobmd.h>

int main(void)
{
	struct iobmd_dev *dev = NULL;
	iobmd_handle h = 0;
	int ret = iobmd_dev_open(NULL, 0, &dev);

	if (ret) {
		printf("consumer-c: /dev/iobmd: %s\n", strerror(-ret));
		return ret == -ENOENT || ret == -EACCES ? 0 : 1;
	}
	ret = iobmd_buffer_create(dev, IOBMD_DIRECTION_INOUT, 4096, 0, &h);
	printf("consumer-c: buffer: %d (handle %u)\n", ret, h);
	iobmd_dev_close(dev);
	return ret ? 1 : 0;
}

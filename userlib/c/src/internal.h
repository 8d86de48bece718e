/* SPDX-License-Identifier: MIT */
/*
 * libiobmd: what the library's files share and do not export.
 */
#ifndef IOBMD_C_INTERNAL_H
#define IOBMD_C_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>

#include "iobmd/iobmd.h"

#define IOBMD_EXPORT __attribute__((visibility("default")))

/**
 * struct iobmd_dev - an open /dev/iobmd
 * @fd: the file
 * @pid: the process that opened it: only it may use this struct
 */
struct iobmd_dev {
	int fd;
	pid_t pid;
};

/* 0, or -ECHILD in a process that inherited @dev (or -EINVAL for NULL). */
int iobmd_dev_check(const struct iobmd_dev *dev);

/*
 * Command @cmd with @arg, whose first member is its size: sets the size,
 * returns 0 or the negative errno.
 */
int iobmd_cmd(const struct iobmd_dev *dev, unsigned long cmd, void *arg,
	      uint32_t size);
#define IOBMD_CMD(dev, cmd, arg) iobmd_cmd(dev, cmd, arg, sizeof(*(arg)))

/*
 * A command that answers a handle in @arg's member @result: sets the
 * size; on success *@out gets the handle.  0 or the negative errno.
 */
int iobmd_cmd_handle(const struct iobmd_dev *dev, unsigned long cmd,
		     void *arg, uint32_t size, const uint32_t *result,
		     iobmd_handle *out);
#define IOBMD_CMD_HANDLE(dev, cmd, arg, out) \
	iobmd_cmd_handle(dev, cmd, arg, sizeof(*(arg)), &(arg)->handle, out)

/* The caller's view of one of the kernel's sized structs: *@out, sized. */
int iobmd_copy_sized(void *out, const void *in, uint32_t known,
		     uint32_t first);

#endif /* IOBMD_C_INTERNAL_H */

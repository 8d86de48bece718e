// SPDX-License-Identifier: MIT
/*
 * libiobmd: opening and closing /dev/iobmd, and the one place that issues
 * a command.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

#define IOBMD_DEV_DEFAULT "/dev/iobmd"

/*
 * This process's id, kept up to date by fork()'s child handler: every
 * command checks it, and getpid() is a system call (glibc caches it no
 * more).
 */
static pid_t iobmd_self;

static void iobmd_forked(void)
{
	iobmd_self = getpid();
}

__attribute__((constructor)) static void iobmd_self_init(void)
{
	iobmd_self = getpid();
	pthread_atfork(NULL, NULL, iobmd_forked);
}

int iobmd_dev_check(const struct iobmd_dev *dev)
{
	if (!dev)
		return -EINVAL;
	return dev->pid == iobmd_self ? 0 : -ECHILD;
}

IOBMD_EXPORT int iobmd_dev_owned(const struct iobmd_dev *dev)
{
	return iobmd_dev_check(dev);
}

int iobmd_cmd(const struct iobmd_dev *dev, unsigned long cmd, void *arg,
	      uint32_t size)
{
	int ret = iobmd_dev_check(dev);

	if (ret)
		return ret;
	memcpy(arg, &size, sizeof(size));
	return ioctl(dev->fd, cmd, arg) ? -errno : 0;
}

int iobmd_cmd_handle(const struct iobmd_dev *dev, unsigned long cmd,
		     void *arg, uint32_t size, const uint32_t *result,
		     iobmd_handle *out)
{
	int ret;

	if (!out)
		return -EINVAL;
	ret = iobmd_cmd(dev, cmd, arg, size);
	if (!ret)
		*out = *result;
	return ret;
}

int iobmd_copy_sized(void *out, const void *in, uint32_t known,
		     uint32_t first)
{
	uint32_t size;

	memcpy(&size, out, sizeof(size));
	if (size < first)
		return -EINVAL;
	if (size > known) {
		memset((char *)out + known, 0, size - known);
		size = known;
	}
	/* Everything after the caller's own size member. */
	memcpy((char *)out + sizeof(size), (const char *)in + sizeof(size),
	       size - sizeof(size));
	return 0;
}

IOBMD_EXPORT int iobmd_dev_open(const char *path, unsigned int flags,
				struct iobmd_dev **dev)
{
	struct iobmd_dev *d;
	int err;

	if (flags || !dev)
		return -EINVAL;
	d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fd = open(path ? path : IOBMD_DEV_DEFAULT, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		err = errno;
		free(d);
		return -err;
	}
	d->pid = iobmd_self;
	*dev = d;
	return 0;
}

IOBMD_EXPORT void iobmd_dev_close(struct iobmd_dev *dev)
{
	if (!dev)
		return;
	/* An inherited file is the child's to close; the parent's stays. */
	close(dev->fd);
	free(dev);
}

IOBMD_EXPORT int iobmd_dev_fd(const struct iobmd_dev *dev)
{
	return dev ? dev->fd : -EINVAL;
}

/*
 * The library's interface version (its newest LIBIOBMD_x.y node) has the
 * release's major number (VERSION, through userlib.mk) and a minor number
 * no newer than the release's, which is the kernel ABI's: the library may
 * not have needed a new node for each ABI addition.
 */
#ifdef IOBMD_PKG_MAJOR	/* (the selftests compile these files too) */
_Static_assert(IOBMD_LIB_MAJOR == IOBMD_PKG_MAJOR &&
	       IOBMD_LIB_MINOR <= IOBMD_PKG_MINOR,
	       "iobmd.h's IOBMD_LIB_MAJOR.MINOR does not fit VERSION's major.minor");
#endif

IOBMD_EXPORT int iobmd_dev_version(struct iobmd_dev *dev,
				   struct iobmd_version *ver)
{
	struct iobmd_version v = { 0 };
	int ret;

	if (!ver)
		return -EINVAL;
	ret = IOBMD_CMD(dev, IOBMD_GET_VERSION, &v);
	if (ret)
		return ret;
	return iobmd_copy_sized(ver, &v, sizeof(v), sizeof(v));
}

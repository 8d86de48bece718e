/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test exporter selftests/kapi/iobmd_exporter.ko from userspace:
 * dma-bufs of EXPORTER_PAGES pages with or without an mmap of their own,
 * dynamic ones it moves on request (kapi/iobmd_exporter.h), its counters,
 * and IOBMD_EXPORTER_FIXTURE(), the fixture of a test that loads it.
 */
#ifndef __SELFTEST_IOBMD_EXPORTER_H
#define __SELFTEST_IOBMD_EXPORTER_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"
#include "kapi/iobmd_exporter.h"

#define EXPORTER_MODULE	"/lib/modules/iobmd_exporter.ko"
#define EXPORTER_DIR	"/sys/kernel/debug/iobmd_exporter/"

/* A new dma-buf of the exporter's (@flags: EXPORTER_*), or -errno. */
static inline int exporter_new(unsigned long flags)
{
	int nfd = open(EXPORTER_DIR "new", O_RDWR | O_CLOEXEC), dfd;

	if (nfd < 0)
		return -errno;
	dfd = ioctl(nfd, EXPORTER_IOC_NEW, flags);
	if (dfd < 0)
		dfd = -errno;
	close(nfd);
	return dfd;
}

/* The exporter's counter @name (live mappings, pins, vmaps), or -1. */
static inline int exporter_count(const char *name)
{
	char path[96], buf[32];

	snprintf(path, sizeof(path), EXPORTER_DIR "%s", name);
	return iobmd_read_file(path, buf, sizeof(buf)) ? -1 : atoi(buf);
}

/* The exporter's ioctl @cmd on its dma-buf @dfd: 0, or -1 and errno. */
static inline int exporter_ioctl(unsigned long cmd, int dfd)
{
	int nfd = open(EXPORTER_DIR "new", O_RDWR | O_CLOEXEC), ret, err;

	if (nfd < 0)
		return -1;
	ret = ioctl(nfd, cmd, dfd);
	err = errno;
	close(nfd);
	errno = err;
	return ret;
}

/* EXPORTER_IOC_MOVE: the dynamic dma-buf @dfd moves now. */
static inline int exporter_move(int dfd)
{
	return exporter_ioctl(EXPORTER_IOC_MOVE, dfd);
}

/* EXPORTER_IOC_COPY: the copy @dfd's pin began (EXPORTER_COPY_HELD) ends. */
static inline int exporter_copy(int dfd)
{
	return exporter_ioctl(EXPORTER_IOC_COPY, dfd);
}

/*
 * The test modules an earlier test left loaded: a failed assertion skips
 * the fixture's teardown (the harness's process, built with -O2, takes
 * itself for the parent after the longjmp), but its process has exited,
 * and with it what held them.
 */
static inline void exporter_unload_leftovers(void)
{
	syscall(SYS_delete_module, "iobmd_dmabuf_kapi", O_NONBLOCK);
	syscall(SYS_delete_module, "iobmd_exporter", O_NONBLOCK);
}

/*
 * The fixture @name of tests on the exporter's dma-bufs: /dev/iobmd open
 * (@fd), the exporter loaded, and what holds its module kept here, so that
 * a failed assertion still lets teardown unload it: a dma-buf (@dfd), up
 * to three mappings (@p, @s, @own and their lengths), and whether the
 * test loaded selftests/kapi/iobmd_dmabuf_kapi.ko (@kapi).  Teardown
 * checks that the module's counters are back (@before) and that nothing
 * of the exporter's is left pinned, mapped or attached.
 */
#define IOBMD_EXPORTER_FIXTURE(name)                                          \
	FIXTURE(name)                                                         \
	{                                                                     \
		int fd;                                                       \
		bool loaded, kapi;                                            \
		int dfd;                                                      \
		void *p, *s, *own;                                            \
		size_t plen, slen, ownlen;                                    \
		struct iobmd_test_stats before;                               \
	};                                                                    \
	FIXTURE_SETUP(name)                                                   \
	{                                                                     \
		self->dfd = -1;                                               \
		self->p = self->s = self->own = MAP_FAILED;                   \
		iobmd_fixture_open(self->fd);                                 \
		ASSERT_EQ(0, iobmd_read_stats(&self->before));                \
		exporter_unload_leftovers();                                  \
		iobmd_load_kapi_module(EXPORTER_MODULE);                      \
		self->loaded = true;                                          \
	}                                                                     \
	FIXTURE_TEARDOWN(name)                                                \
	{                                                                     \
		if (self->p != MAP_FAILED)                                    \
			munmap(self->p, self->plen);                          \
		if (self->s != MAP_FAILED)                                    \
			munmap(self->s, self->slen);                          \
		if (self->own != MAP_FAILED)                                  \
			munmap(self->own, self->ownlen);                      \
		if (self->dfd != -1) {                                        \
			/* A copy held for the test ends (EXPORTER_COPY_HELD). */ \
			exporter_copy(self->dfd);                             \
			close(self->dfd);                                     \
		}                                                             \
		if (self->fd != -1)                                           \
			close(self->fd);                                      \
		EXPECT_STREQ("", iobmd_stats_changed(&self->before));         \
		if (self->kapi)                                               \
			EXPECT_EQ(0, syscall(SYS_delete_module,               \
					     "iobmd_dmabuf_kapi", 0));        \
		if (!self->loaded)                                            \
			return;                                               \
		EXPECT_EQ(0, exporter_count("pins"));                         \
		EXPECT_EQ(0, exporter_count("vmaps"));                        \
		EXPECT_EQ(0, exporter_count("mappings"));                     \
		EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_exporter", 0)) \
			TH_LOG("%s", strerror(errno));                        \
	}

#endif /* __SELFTEST_IOBMD_EXPORTER_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface of selftests/kapi/iobmd_exporter.c, a dma-buf exporter of
 * memory that may not be the CPU's, for selftests/iobmd_dmabuf_import_test.c.
 */
#ifndef IOBMD_EXPORTER_H
#define IOBMD_EXPORTER_H

#include <linux/ioctl.h>

/* Pages of each dma-buf it makes. */
#define EXPORTER_PAGES		4

/*
 * On .../iobmd_exporter/new: a new dma-buf; returns its file descriptor.
 * Its argument: 0, or EXPORTER_MAPPABLE for a dma-buf with an mmap of its
 * own; without, its memory is not the CPU's, as a protected heap's.
 */
#define EXPORTER_IOC_NEW	_IO('x', 1)
#define EXPORTER_MAPPABLE	1UL

#endif /* IOBMD_EXPORTER_H */

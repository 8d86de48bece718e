/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface of selftests/kapi/iobmd_exporter.c, a dma-buf exporter whose
 * memory moves when its last mapping goes, for
 * selftests/iobmd_dmabuf_import_test.c.
 */
#ifndef IOBMD_EXPORTER_H
#define IOBMD_EXPORTER_H

#include <linux/ioctl.h>

/* Pages of each dma-buf it makes. */
#define EXPORTER_PAGES		4

/* On .../iobmd_exporter/new: a new dma-buf; returns its file descriptor. */
#define EXPORTER_IOC_NEW	_IO('x', 1)

#endif /* IOBMD_EXPORTER_H */

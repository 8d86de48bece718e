/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface of selftests/kapi/iobmd_exporter.c, a dma-buf exporter of
 * memory that may not be the CPU's, or may move, for
 * selftests/iobmd_dmabuf_import_test.c.
 */
#ifndef IOBMD_EXPORTER_H
#define IOBMD_EXPORTER_H

#include <linux/ioctl.h>

/* Pages of each dma-buf it makes. */
#define EXPORTER_PAGES		4

/*
 * On .../iobmd_exporter/new: a new dma-buf; returns its file descriptor.
 * Its argument: 0, or EXPORTER_* or'ed:
 *
 * EXPORTER_MAPPABLE: the CPU's memory, with an mmap of its own, and if
 *	dynamic a kernel mapping (vmap) too; without, its memory is not the
 *	CPU's, as a protected heap's.
 * EXPORTER_DYNAMIC: an exporter that moves the memory when nothing pins
 *	it (dma-buf's dynamic exporters, a GPU driver's VRAM): .pin and
 *	.unpin, mappings made under the dma-buf's reservation lock, moved
 *	by EXPORTER_IOC_MOVE.  A kernel mapping pins it too.
 * EXPORTER_REVOCABLE_ONLY: with EXPORTER_DYNAMIC, an exporter that must
 *	be able to take the memory back at any time (vfio-pci's): it refuses
 *	to attach (EOPNOTSUPP) an importer that cannot be told to give it up
 *	(no invalidate_mappings, or before 7.0 move_notify, callback).
 * EXPORTER_MOVES_ON_PIN: with EXPORTER_DYNAMIC, an exporter whose first
 *	pin moves the memory (a GPU driver's VRAM to where other devices
 *	reach it): new pages at once, their bytes copied EXPORTER_COPY_MS
 *	later, when the kernel fence the pin put on the reservation signals.
 *	No other move until then (EXPORTER_IOC_MOVE: EBUSY).
 * EXPORTER_COPY_HELD: with EXPORTER_MOVES_ON_PIN, the copy waits for
 *	EXPORTER_IOC_COPY instead, or EXPORTER_HELD_MS at most: a test
 *	decides how long the fence stays unsignalled.
 * EXPORTER_WRITE_COMBINED: physically contiguous pages whose memory type
 *	the exporter made write-combining while it holds them (x86's PAT),
 *	as a GPU driver's; not with EXPORTER_DYNAMIC.  -EOPNOTSUPP off x86.
 */
#define EXPORTER_IOC_NEW	_IO('x', 1)
#define EXPORTER_MAPPABLE	1UL
#define EXPORTER_DYNAMIC	2UL
#define EXPORTER_REVOCABLE_ONLY	4UL
#define EXPORTER_MOVES_ON_PIN	8UL
#define EXPORTER_COPY_HELD	16UL
#define EXPORTER_WRITE_COMBINED	32UL
#define EXPORTER_COPY_MS	1000
#define EXPORTER_HELD_MS	60000

/*
 * On .../iobmd_exporter/new: moves the memory of the dynamic dma-buf whose
 * file descriptor is the argument to new pages, bytes and all, and frees
 * the old ones.  Returns 0; -EBUSY, with nothing changed, while it is
 * pinned or has a kernel mapping; -EINVAL for a dma-buf that is not a
 * dynamic one of this exporter; -EBADF, -ENOMEM, -EINTR.
 */
#define EXPORTER_IOC_MOVE	_IO('x', 2)

/*
 * On .../iobmd_exporter/new: the pending copy of the dma-buf whose file
 * descriptor is the argument starts now, and its fence signals when it
 * ends.  Returns 0; -ENOENT when no copy is pending, or it has begun;
 * -EINVAL for a dma-buf that is not a dynamic one of this exporter; -EBADF.
 */
#define EXPORTER_IOC_COPY	_IO('x', 3)

#endif /* IOBMD_EXPORTER_H */

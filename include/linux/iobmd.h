/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd: IOKit memory descriptors, the in-kernel API for other drivers.
 *
 * Build against it with -I<iobmd>/include -I<iobmd>/uapi, put iobmd's
 * Module.symvers in KBUILD_EXTRA_SYMBOLS, and MODULE_IMPORT_NS("IOBMD")
 * (MODULE_IMPORT_NS(IOBMD) before 6.13, which made namespaces strings;
 * iobmd's own modules write MODULE_IMPORT_NS(IOBMD_NS), iobmd_compat.h).
 *
 * A descriptor is reference counted: every function returning one gives
 * the caller a reference to drop with iobmd_desc_put().  Descriptors built
 * on others (sub, multi, interleaved) hold what they use.  Functions that
 * may sleep say so: all of them do, except iobmd_desc_get().
 *
 * Constants (directions, options, cache modes, prepare modifiers, struct
 * iobmd_range and struct iobmd_segment) come from the uapi header: they
 * are IOKit's values.
 */
#ifndef _LINUX_IOBMD_H
#define _LINUX_IOBMD_H

#include <linux/types.h>

#include <iobmd.h>	/* uapi/iobmd.h: IOKit constants and structs */

struct device;
struct dma_buf;
struct iobmd_desc;
struct vm_area_struct;

/* Creating descriptors (IOBufferMemoryDescriptor and family). */
struct iobmd_desc *iobmd_buffer_with_options(u32 options, u64 capacity,
					     u64 alignment);
struct iobmd_desc *iobmd_buffer_with_physical_mask(u32 options, u64 capacity,
						   u64 mask);
u64 iobmd_buffer_capacity(struct iobmd_desc *d);
struct iobmd_desc *iobmd_general_create(const struct iobmd_range *ranges,
					u32 count, u32 direction,
					bool physical);
struct iobmd_desc *iobmd_sub_create(struct iobmd_desc *parent, u64 offset,
				    u64 length, u32 direction);
struct iobmd_desc *iobmd_multi_create(struct iobmd_desc **pieces, u32 count,
				      u32 direction);
struct iobmd_desc *iobmd_interleaved_create(u32 capacity, u32 direction);
int iobmd_interleaved_set(struct iobmd_desc *d, struct iobmd_desc *piece,
			  u64 offset, u64 length);
int iobmd_interleaved_clear(struct iobmd_desc *d, u32 direction);
struct iobmd_desc *iobmd_device_create(u64 phys, u64 length);

/* Retain and release. */
void iobmd_desc_get(struct iobmd_desc *d);
void iobmd_desc_put(struct iobmd_desc *d);

/* IOMemoryDescriptor. */
u64 iobmd_desc_length(struct iobmd_desc *d);
u32 iobmd_desc_direction(struct iobmd_desc *d);
int iobmd_desc_read_bytes(struct iobmd_desc *d, u64 offset, void *buf,
			  u64 len);
int iobmd_desc_write_bytes(struct iobmd_desc *d, u64 offset, const void *buf,
			   u64 len);
int iobmd_desc_prepare(struct iobmd_desc *d, u32 direction);
int iobmd_desc_prepare_dev(struct iobmd_desc *d, u32 direction,
			   struct device *dev);
int iobmd_desc_complete(struct iobmd_desc *d);
int iobmd_desc_perform(struct iobmd_desc *d, u32 op, u64 offset, u64 len);
int iobmd_desc_dma_segments(struct iobmd_desc *d, u64 offset, u64 len,
			    struct iobmd_segment *segs, u32 room, u32 *count,
			    u64 *total);
int iobmd_desc_phys_segments(struct iobmd_desc *d, u64 offset, u64 len,
			     struct iobmd_segment *segs, u32 room, u32 *count,
			     u64 *total);
void *iobmd_desc_vmap(struct iobmd_desc *d);
void iobmd_desc_vunmap(struct iobmd_desc *d, void *addr);
int iobmd_desc_mmap(struct iobmd_desc *d, struct vm_area_struct *vma,
		    u64 offset, unsigned int cache);

/* dma-buf: handing memory to other drivers and processes, and taking theirs. */
struct dma_buf *iobmd_desc_export_dmabuf(struct iobmd_desc *d, u64 offset,
					 u64 length, int flags);
struct iobmd_desc *iobmd_desc_from_dmabuf(struct dma_buf *dmabuf,
					  u32 direction);

#endif /* _LINUX_IOBMD_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd: objects shared by the module's files.
 */
#ifndef _IOBMD_PRIV_H
#define _IOBMD_PRIV_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "iobmd.h"
#include "iobmd_compat.h"

struct device;
struct vm_area_struct;
struct iobmd_desc;

/**
 * typedef iobmd_run_fn - called for each physically contiguous run
 * @arg: the walker's private argument
 * @phys: physical address of the run's first byte
 * @kaddr: kernel address of the run's first byte
 * @len: bytes in the run
 *
 * Return: 0 to go on, or a negative errno that ends the walk.
 */
typedef int (*iobmd_run_fn)(void *arg, phys_addr_t phys, void *kaddr,
			    u64 len);

/**
 * struct iobmd_desc_ops - what each descriptor kind provides
 * @walk: call @fn for the physically contiguous runs covering
 *	[@offset, @offset + @len); the range is within the backing memory
 * @page: the page holding byte @offset for page-backed mappings, or NULL
 *	when the kind is mapped by PFN
 * @mmap: populate @vma with the memory from byte @offset (page aligned);
 *	the size has been checked against iobmd_desc_map_size()
 * @map_size: bytes of backing memory a mapping may cover
 * @release: free the object once the last reference is gone
 */
struct iobmd_desc_ops {
	int (*walk)(struct iobmd_desc *d, u64 offset, u64 len,
		    iobmd_run_fn fn, void *arg);
	struct page *(*page)(struct iobmd_desc *d, u64 offset);
	int (*mmap)(struct iobmd_desc *d, struct vm_area_struct *vma,
		    u64 offset);
	u64 (*map_size)(struct iobmd_desc *d);
	void (*release)(struct iobmd_desc *d);
};

/**
 * struct iobmd_desc - the IOMemoryDescriptor every kind embeds
 * @ref: handles, mappings and other descriptors that hold it
 * @ops: the kind's operations
 * @kind: enum iobmd_kind
 * @lock: serialises changes of @length, @direction and @tag
 * @length: getLength(); protected by @lock
 * @direction: getDirection(); protected by @lock
 * @tag: getTag(); protected by @lock
 */
struct iobmd_desc {
	struct kref ref;
	const struct iobmd_desc_ops *ops;
	u32 kind;
	struct mutex lock; /* length, direction, tag */
	u64 length;
	u32 direction;
	u64 tag;
};

void iobmd_desc_init(struct iobmd_desc *d, const struct iobmd_desc_ops *ops,
		     u32 kind, u64 length, u32 direction);
void iobmd_desc_get(struct iobmd_desc *d);
void iobmd_desc_put(struct iobmd_desc *d);
u64 iobmd_desc_length(struct iobmd_desc *d);
int iobmd_desc_read(struct iobmd_desc *d, u64 offset, void __user *buf,
		    u64 len);
int iobmd_desc_write(struct iobmd_desc *d, u64 offset,
		     const void __user *buf, u64 len);
int iobmd_desc_segments(struct iobmd_desc *d, u64 offset, u64 len,
			struct iobmd_segment __user *segs, u32 room,
			u32 *count, u64 *total);

/**
 * struct iobmd_buffer - IOBufferMemoryDescriptor
 * @desc: the descriptor
 * @capacity: getCapacity(); fixed at creation
 * @alignment: the alignment IOKit's rules derived (1 for none)
 * @phys_mask: the physical mask it was created with, 0 for none
 * @options: creation options without the direction bits
 * @npages: pages of backing memory
 * @pages: the pages, each with its own reference (non-contiguous buffers)
 * @cpu_addr: kernel address of a contiguous buffer
 * @dma_addr: its DMA address on @dmadev
 * @alloc_size: bytes dma_alloc_coherent() gave
 * @dmadev: the module's device it was allocated for
 */
struct iobmd_buffer {
	struct iobmd_desc desc;
	u64 capacity;
	u64 alignment;
	u64 phys_mask;
	u32 options;
	unsigned long npages;
	struct page **pages;
	void *cpu_addr;
	dma_addr_t dma_addr;
	size_t alloc_size;
	struct device *dmadev;
};

/**
 * struct iobmd_buffer_spec - what IOKit's initWithPhysicalMask receives
 * @options: IOBMD_DIRECTION_* | IOBMD_OPT_*
 * @capacity: bytes
 * @alignment: 0 or 1 for none, else a power of two
 * @phys_mask: 0, or the physical mask (then @alignment must be 0 or 1)
 */
struct iobmd_buffer_spec {
	u32 options;
	u64 capacity;
	u64 alignment;
	u64 phys_mask;
};

#define IOBMD_BUFFER_OPTIONS						\
	(IOBMD_DIRECTION_MASK | IOBMD_OPT_PHYSICALLY_CONTIGUOUS |	\
	 IOBMD_OPT_PAGEABLE | IOBMD_OPT_PURGEABLE |			\
	 IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS | IOBMD_OPT_CACHE_MASK |	\
	 IOBMD_OPT_MAPPER_NONE | IOBMD_OPT_HOST_ONLY |			\
	 IOBMD_OPT_KERNEL_USER_SHARED | IOBMD_OPT_THREAD_SAFE |		\
	 IOBMD_OPT_CLEAR_ENCRYPT | IOBMD_OPT_USE_RESERVE)

struct iobmd_buffer *iobmd_buffer_create(const struct iobmd_buffer_spec *spec);
struct iobmd_buffer *iobmd_to_buffer(struct iobmd_desc *d);
int iobmd_buffer_set_length(struct iobmd_buffer *b, u64 length);
int iobmd_buffer_append(struct iobmd_buffer *b, const void __user *buf,
			u64 len, u64 *done);

struct device *iobmd_dmadev_get(u64 limit);
void iobmd_dmadev_exit(void);

/* mmap cookies: handle, read-only bit and byte offset in one file offset. */
#define IOBMD_COOKIE_HANDLE_SHIFT	39
#define IOBMD_COOKIE_RO			BIT_ULL(38)
#define IOBMD_COOKIE_OFFSET_MASK	(BIT_ULL(38) - 1)
#define IOBMD_HANDLE_MAX		((1U << 24) - 1)

u64 iobmd_desc_map_size(struct iobmd_desc *d);
int iobmd_mmap(struct file *file, struct vm_area_struct *vma);

/**
 * struct iobmd_file - one open file of /dev/iobmd: IOKit's task
 * @handles: handle -> struct iobmd_desc *, each entry holding a reference;
 *	protected by its own xa_lock
 */
struct iobmd_file {
	struct xarray handles;
};

int iobmd_file_reserve(struct iobmd_file *f, u32 *handle);
void iobmd_file_install(struct iobmd_file *f, u32 handle, struct iobmd_desc *d);
void iobmd_file_unreserve(struct iobmd_file *f, u32 handle);
struct iobmd_desc *iobmd_file_get(struct iobmd_file *f, u32 handle);
int iobmd_file_remove(struct iobmd_file *f, u32 handle);
extern const struct file_operations iobmd_fops;

/**
 * struct iobmd_stats - what the module holds right now
 * @descriptors: live descriptors of every kind
 * @page_bytes: bytes of page-allocator memory held by buffers
 * @coherent_bytes: bytes of dma_alloc_coherent() memory held by buffers
 * @mappings: live user mappings (VMAs)
 * @alloc_failures: buffer allocations that failed since the module loaded
 */
struct iobmd_stats {
	atomic64_t descriptors;
	atomic64_t page_bytes;
	atomic64_t coherent_bytes;
	atomic64_t mappings;
	atomic64_t alloc_failures;
};

extern struct iobmd_stats iobmd_stats;
void iobmd_stats_init(void);
void iobmd_stats_exit(void);

long iobmd_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

u32 iobmd_handle_limit(void);
u64 iobmd_capacity_limit(void);

#endif /* _IOBMD_PRIV_H */

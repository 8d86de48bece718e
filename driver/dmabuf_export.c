// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: exporting a byte range of any descriptor as a dma-buf.
 *
 * The dma-buf is a static exporter's: at export the range is pinned and
 * its pages are collected once (struct iobmd_layout), so they never move
 * while the dma-buf lives and importers need no move notification.  Each
 * attachment is mapped for the importer's own device: RAM through
 * dma_map_sgtable() (its IOMMU merges the pages into one IOVA range where
 * it has one), device memory through dma_map_resource() for importers
 * that take memory without pages (peer2peer).  Nothing is bounced
 * (iobmd_dma_reach()), and an importer whose every mapping would be
 * (swiotlb=force, a confidential guest's devices, a restricted DMA pool)
 * is refused: the bounce pool is every device's, and any user can have
 * an importer map an export, the same pages many times over (a multi
 * repeats a piece), with nothing of it charged.  The CPU's view (mmap, vmap) is the descriptor's
 * own, with its cache mode.  The memory is always pinned for writing: a
 * dma-buf cannot keep an importing device (or its CPU mapping, vmap) from
 * writing, whatever the file's mode.
 *
 * Locks: the dma-buf core calls map/unmap with the dma-buf's reservation
 * lock held (6.2+); struct iobmd_export.lock nests inside it and outside
 * every descriptor lock.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/iosys-map.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/vmalloc.h>

#include "iobmd_priv.h"

MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

/**
 * struct iobmd_export - what an exported dma-buf holds
 * @desc: the descriptor, referenced and pinned
 * @offset: first byte of the range in the descriptor
 * @length: bytes of the range (the dma-buf has them rounded up to a page)
 * @layout: the pages of the range, collected once: at export, or for a
 *	buffer (pages of its own, laid out from its first byte, nothing to
 *	check) when a device first needs them (vmap() maps the buffer's own
 *	list); @lock
 * @collected: @layout holds the pages; @lock
 * @lock: protects a @layout collected late, @attachments and the
 *	attachments' mappings, @vaddr and @vmaps
 * @attachments: struct iobmd_export_attach of each attached device
 * @vaddr: the kernel mapping while @vmaps is above 0
 * @vmaps: vmap() calls not undone
 * @own: allocated for itself, not in its buffer's export_slot
 */
struct iobmd_export {
	struct iobmd_desc *desc;
	u64 offset;
	u64 length;
	struct iobmd_layout layout;
	bool collected;
	struct mutex lock; /* attachments, their mappings, vaddr, vmaps */
	struct list_head attachments;
	void *vaddr;
	unsigned int vmaps;
	bool own;
};

/* What struct iobmd_buffer.export_slot holds. */
const size_t iobmd_export_size = sizeof(struct iobmd_export);

/**
 * struct iobmd_export_attach - an importer's device
 * @node: entry in iobmd_export.attachments
 * @dev: the device
 * @sgt: its mapping of the pages while @maps is above 0
 * @dir: enum dma_data_direction of the mapping
 * @maps: map_dma_buf calls not undone by unmap_dma_buf
 */
struct iobmd_export_attach {
	struct list_head node;
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;
	unsigned int maps;
};

static const struct dma_buf_ops iobmd_dmabuf_ops, iobmd_dmabuf_novmap_ops;

static bool __iobmd_hot iobmd_export_iomem(const struct iobmd_export *e)
{
	return e->layout.flags & IOBMD_RUN_IOMEM;
}

static int iobmd_dmabuf_attach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	struct iobmd_export *e = dmabuf->priv;
	struct iobmd_export_attach *a;

	/* Device memory has no pages: only for importers that need none. */
	if (iobmd_export_iomem(e) && !attach->peer2peer)
		return -EOPNOTSUPP;
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->dev = attach->dev;
	attach->priv = a;
	mutex_lock(&e->lock);
	list_add(&a->node, &e->attachments);
	mutex_unlock(&e->lock);
	return 0;
}

static void iobmd_export_unmap_resources(struct iobmd_export_attach *a,
					 unsigned int count)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(a->sgt.sgl, sg, count, i)
		dma_unmap_resource(a->dev, sg_dma_address(sg), sg_dma_len(sg),
				   a->dir, DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * Device memory (one physically contiguous range: see
 * iobmd_export_collect()) has no struct pages: it is mapped as a resource,
 * in entries the device's segments and a table entry's 32 bits hold, and
 * the table carries DMA addresses only, as peer2peer importers expect.
 * MMIO needs no CPU cache maintenance.
 */
static int iobmd_export_map_resources(struct iobmd_export *e,
				      struct iobmd_export_attach *a)
{
	u64 seg = min_t(u64, dma_get_max_seg_size(a->dev), UINT_MAX) &
		  PAGE_MASK;
	u64 phys = PFN_PHYS(e->layout.runs.v[0].pfn);
	u64 len = PFN_PHYS(e->layout.runs.npages), done;
	struct scatterlist *sg;
	unsigned int n;
	int ret;

	if (phys + len - 1 > iobmd_dma_reach(a->dev))
		return -ERANGE;
	seg = max_t(u64, seg, PAGE_SIZE);
	ret = sg_alloc_table(&a->sgt, DIV_ROUND_UP_ULL(len, seg), GFP_KERNEL);
	if (ret)
		return ret;
	n = 0;
	for_each_sgtable_sg(&a->sgt, sg, n) {
		size_t part;
		dma_addr_t addr;

		done = (u64)n * seg;
		part = min(len - done, seg);
		addr = dma_map_resource(a->dev, phys + done, part, a->dir,
					DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(a->dev, addr)) {
			iobmd_export_unmap_resources(a, n);
			sg_free_table(&a->sgt);
			return -ENOMEM;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = part;
	}
	return 0;
}

/* Undo a mapping of an attachment; under @e->lock. */
static void iobmd_export_unmap(struct iobmd_export *e,
			       struct iobmd_export_attach *a)
{
	if (iobmd_export_iomem(e)) {
		iobmd_export_unmap_resources(a, a->sgt.orig_nents);
		sg_free_table(&a->sgt);
	} else {
		iobmd_sgt_unmap(&a->sgt, a->dev, a->dir);
	}
	a->maps = 0;
}

static void iobmd_dmabuf_detach(struct dma_buf *dmabuf,
				struct dma_buf_attachment *attach)
{
	struct iobmd_export *e = dmabuf->priv;
	struct iobmd_export_attach *a = attach->priv;

	mutex_lock(&e->lock);
	/* An importer that did not unmap leaves no IOVA behind. */
	if (a->maps)
		iobmd_export_unmap(e, a);
	list_del(&a->node);
	mutex_unlock(&e->lock);
	kfree(a);
}

/* The pages of the range, collected now if not at export; @lock held. */
static int iobmd_export_layout(struct iobmd_export *e)
{
	int ret;

	lockdep_assert_held(&e->lock);
	if (e->collected)
		return 0;
	ret = iobmd_layout_collect(e->desc, e->offset, e->length,
				   IOBMD_WALK_ADDR, &e->layout);
	if (ret) {
		iobmd_runs_free(&e->layout.runs);
		e->layout = (struct iobmd_layout){ };
		return ret;
	}
	e->collected = true;
	return 0;
}

/*
 * Map for the importer's device.  One mapping an attachment: mapping it
 * again in its direction (any, when it is bidirectional) hands out the
 * same table, counted, and the last unmap undoes it (what the dma-buf
 * core did itself for exporters with cache_sgt_mapping, which 6.16
 * removed); in another direction it is busy.
 */
static struct sg_table *iobmd_dmabuf_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	struct iobmd_export *e = attach->dmabuf->priv;
	struct iobmd_export_attach *a = attach->priv;
	int ret;

	ret = iobmd_desc_usable(e->desc);
	if (ret)
		return ERR_PTR(ret);
	mutex_lock(&e->lock);
	if (a->maps) {
		ret = a->dir == dir || a->dir == DMA_BIDIRECTIONAL ? 0 : -EBUSY;
		if (!ret)
			a->maps++;
		goto out;
	}
	ret = -EOPNOTSUPP;
	if (!iobmd_export_iomem(e) && is_swiotlb_force_bounce(a->dev))
		goto out;
	ret = iobmd_export_layout(e);
	if (ret)
		goto out;
	a->dir = dir;
	if (iobmd_export_iomem(e))
		ret = iobmd_export_map_resources(e, a);
	else
		ret = iobmd_runs_sgt_map(&a->sgt, &e->layout.runs, a->dev, dir);
	if (!ret)
		a->maps = 1;
out:
	mutex_unlock(&e->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void iobmd_dmabuf_unmap(struct dma_buf_attachment *attach,
			       struct sg_table *sgt,
			       enum dma_data_direction dir)
{
	struct iobmd_export *e = attach->dmabuf->priv;
	struct iobmd_export_attach *a = attach->priv;

	mutex_lock(&e->lock);
	if (!WARN_ON_ONCE(!a->maps || sgt != &a->sgt) && !--a->maps)
		iobmd_export_unmap(e, a);
	mutex_unlock(&e->lock);
}

/*
 * DMA_BUF_IOCTL_SYNC and in-kernel CPU access: what performOperation()
 * does for a prepared descriptor, for every device the memory is mapped
 * for, in the direction it was mapped with.
 */
static int iobmd_dmabuf_cpu_access(struct dma_buf *dmabuf, bool for_device)
{
	struct iobmd_export *e = dmabuf->priv;
	struct iobmd_export_attach *a;

	if (iobmd_export_iomem(e))
		return 0;
	mutex_lock(&e->lock);
	list_for_each_entry(a, &e->attachments, node) {
		if (!a->maps)
			continue;
		if (for_device)
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
		else
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
	}
	mutex_unlock(&e->lock);
	return 0;
}

static int iobmd_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
					 enum dma_data_direction dir)
{
	return iobmd_dmabuf_cpu_access(dmabuf, false);
}

static int iobmd_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
				       enum dma_data_direction dir)
{
	return iobmd_dmabuf_cpu_access(dmabuf, true);
}

/* A mapping of the dma-buf is a mapping of the descriptor's range. */
static int __iobmd_hot iobmd_dmabuf_mmap(struct dma_buf *dmabuf,
					 struct vm_area_struct *vma)
{
	struct iobmd_export *e = dmabuf->priv;
	int ret;

	ret = iobmd_desc_usable(e->desc);
	if (ret)
		return ret;
	/* The descriptor starts a page: bytes sit at their own offsets. */
	return iobmd_desc_mmap(e->desc, vma,
			       e->offset + ((u64)vma->vm_pgoff << PAGE_SHIFT),
			       IOBMD_CACHE_DEFAULT);
}

/*
 * The kernel mapping of the range.  The core warns when vmap fails, so
 * nothing is allocated here that a memory cgroup's limit could refuse: a
 * buffer's pages are mapped from its own list (its layout is collected
 * only for a device, whose map may fail cleanly), and any other
 * descriptor's were collected at export.
 */
static void *iobmd_export_vmap(struct iobmd_export *e)
{
	struct iobmd_buffer *b = iobmd_to_buffer(e->desc);

	if (b)
		return iobmd_pages_vmap(b->pages + (e->offset >> PAGE_SHIFT),
					PFN_UP(e->length), b->cache);
	return iobmd_layout_vmap(&e->layout);
}

/*
 * RAM only: device memory has no vmap (iobmd_dmabuf_novmap_ops), since
 * importers such as vb2-vmalloc take any kernel mapping for system memory
 * and the core BUG()s at their vunmap of an I/O one; nor has RAM that
 * userspace named by address.  It fails only when the kernel is out of
 * memory or of vmalloc space, where the core warns.
 */
static int iobmd_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct iobmd_export *e = dmabuf->priv;
	int ret = 0;

	mutex_lock(&e->lock);
	if (!e->vmaps) {
		e->vaddr = iobmd_export_vmap(e);
		if (!e->vaddr)
			ret = -ENOMEM;
	}
	if (!ret) {
		e->vmaps++;
		iosys_map_set_vaddr(map, e->vaddr);
	}
	mutex_unlock(&e->lock);
	return ret;
}

static void iobmd_dmabuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct iobmd_export *e = dmabuf->priv;

	mutex_lock(&e->lock);
	if (!WARN_ON_ONCE(!e->vmaps) && !--e->vmaps) {
		vunmap(e->vaddr);
		e->vaddr = NULL;
	}
	mutex_unlock(&e->lock);
}

/*
 * The state of a new export of @d, zeroed: in the buffer's export slot
 * when it has one left (a buffer made to be exported), else on its own.
 */
static __always_inline struct iobmd_export *
iobmd_export_alloc(struct iobmd_desc *d)
{
	struct iobmd_buffer *b = iobmd_to_buffer(d);
	struct iobmd_export *e;

	if (b && READ_ONCE(b->export_slot)) {
		e = xchg(&b->export_slot, NULL);
		if (e)
			return e;
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (e)
		e->own = true;
	return e;
}

/* Frees @e; an export slot goes with its buffer, so @d is put last. */
static __always_inline void iobmd_export_free(struct iobmd_export *e)
{
	struct iobmd_desc *d = e->desc;

	if (e->layout.runs.v)
		iobmd_runs_free(&e->layout.runs);
	iobmd_desc_unpin(d);
	mutex_destroy(&e->lock);
	if (e->own)
		kfree(e);
	__iobmd_desc_put(d);
}

static void __iobmd_hot iobmd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct iobmd_export *e = dmabuf->priv;

	atomic_dec(&e->desc->exports);
	atomic64_dec(&iobmd_stats.exports);
	iobmd_export_free(e);
}

/* What every iobmd dma-buf does. */
#define IOBMD_DMABUF_OPS						\
	.attach = iobmd_dmabuf_attach,					\
	.detach = iobmd_dmabuf_detach,					\
	.map_dma_buf = iobmd_dmabuf_map,				\
	.unmap_dma_buf = iobmd_dmabuf_unmap,				\
	.release = iobmd_dmabuf_release,				\
	.begin_cpu_access = iobmd_dmabuf_begin_cpu_access,		\
	.end_cpu_access = iobmd_dmabuf_end_cpu_access,			\
	.mmap = iobmd_dmabuf_mmap

static const struct dma_buf_ops iobmd_dmabuf_ops = {
	IOBMD_DMABUF_OPS,
	.vmap = iobmd_dmabuf_vmap,
	.vunmap = iobmd_dmabuf_vunmap,
};

/*
 * The same without vmap (dma_buf_vmap() says EINVAL): device memory, and
 * RAM that userspace named by physical address, which lockdown may close
 * after the export, when the core would warn at a vmap that failed.
 */
static const struct dma_buf_ops iobmd_dmabuf_novmap_ops = {
	IOBMD_DMABUF_OPS,
};

/**
 * iobmd_dmabuf_exported() - the descriptor range an iobmd dma-buf shows
 * @dmabuf: any dma-buf
 * @offset: out: first byte of the range in the descriptor
 * @length: out: bytes of the range
 *
 * Return: the descriptor with a reference for the caller, or NULL when
 * @dmabuf is another exporter's.
 */
struct iobmd_desc *iobmd_dmabuf_exported(struct dma_buf *dmabuf, u64 *offset,
					 u64 *length)
{
	struct iobmd_export *e;

	if (dmabuf->ops != &iobmd_dmabuf_ops &&
	    dmabuf->ops != &iobmd_dmabuf_novmap_ops)
		return NULL;
	e = dmabuf->priv;
	*offset = e->offset;
	*length = e->length;
	iobmd_desc_get(e->desc);
	return e->desc;
}

/*
 * Pin the range and collect its pages.  The descriptor's first byte and
 * the range's start a page, so that a mapping of the dma-buf is the
 * descriptor's own mapping at the same page-aligned offset.
 */
static __always_inline int iobmd_export_collect(struct iobmd_export *e)
{
	struct iobmd_layout *l = &e->layout;
	u64 delta, size;
	int ret;

	ret = iobmd_desc_pin(e->desc, IOBMD_PIN_WRITE);
	if (ret)
		return ret;
	/* A buffer's pages are its own from byte 0: they wait till needed. */
	if (iobmd_to_buffer(e->desc))
		return 0;
	/* Composed descriptors are asked while pinned: pieces stay. */
	ret = iobmd_desc_usable(e->desc);
	if (!ret)
		ret = iobmd_desc_map_layout(e->desc, &delta, &size);
	if (!ret && delta)
		ret = -EINVAL;
	/* Killable: a composed descriptor may describe much work. */
	if (!ret)
		ret = iobmd_layout_collect(e->desc, e->offset, e->length,
					   IOBMD_WALK_ADDR | IOBMD_WALK_KILLABLE,
					   l);
	/*
	 * The memory of other exporters is not exported again; device
	 * memory is one range, which one table entry covers.
	 */
	if (!ret && (l->first || l->flags & IOBMD_RUN_FOREIGN ||
		     (l->flags & IOBMD_RUN_IOMEM && l->runs.n != 1)))
		ret = -EINVAL;
	if (ret) {
		iobmd_runs_free(&l->runs);
		iobmd_desc_unpin(e->desc);
		return ret;
	}
	e->collected = true;
	return 0;
}

/*
 * iobmd_desc_export_dmabuf() with the descriptor's length @dlen read by
 * the caller; @ref: the dma-buf takes over the caller's reference, which
 * is gone when it fails, rather than taking its own.
 */
static __always_inline struct dma_buf *
iobmd_export(struct iobmd_desc *d, u64 offset, u64 length, int flags,
	     u64 dlen, bool ref)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct iobmd_export *e;
	struct dma_buf *dmabuf;
	u64 end;
	int ret;

	ret = -EINVAL;
	if (flags & ~(O_CLOEXEC | O_ACCMODE) ||
	    (flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_ACCMODE ||
	    !PAGE_ALIGNED(offset))
		goto err_ref;
	ret = -ENODATA;
	if (!dlen)
		goto err_ref;
	if (!length && offset < dlen)
		length = dlen - offset;
	ret = -ERANGE;
	if (!length || check_add_overflow(offset, length, &end) || end > dlen)
		goto err_ref;

	/* Each export costs kernel memory: a descriptor has a bounded few. */
	ret = -EMFILE;
	if (!atomic_add_unless(&d->exports, 1, IOBMD_EXPORT_MAX))
		goto err_ref;
	ret = -ENOMEM;
	e = iobmd_export_alloc(d);
	if (!e)
		goto err_count;
	e->desc = d;
	e->offset = offset;
	e->length = length;
	iobmd_mutex_init(&e->lock);
	INIT_LIST_HEAD(&e->attachments);
	ret = iobmd_export_collect(e);
	if (ret) {
		mutex_destroy(&e->lock);
		if (e->own)
			kfree(e);
		goto err_count;
	}
	if (!ref)
		iobmd_desc_get(d);

	info.ops = e->layout.flags & (IOBMD_RUN_IOMEM | IOBMD_RUN_RAW) ?
		   &iobmd_dmabuf_novmap_ops : &iobmd_dmabuf_ops;
	info.size = PAGE_ALIGN(length);
	info.flags = flags;
	info.priv = e;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		/* Freeing @e may put the last reference to @d. */
		atomic_dec(&d->exports);
		iobmd_export_free(e);
		return dmabuf;
	}
	atomic64_inc(&iobmd_stats.exports);
	return dmabuf;

err_count:
	atomic_dec(&d->exports);
err_ref:
	if (ref)
		iobmd_desc_put(d);
	return ERR_PTR(ret);
}

/**
 * iobmd_desc_export_dmabuf() - a dma-buf of a byte range of a descriptor
 * @d: the descriptor, of any kind; the dma-buf takes its own reference
 * @offset: first byte: page-aligned, and the first byte of a page of the
 *	memory
 * @length: bytes; 0: to the end of the descriptor
 * @flags: O_CLOEXEC, and O_RDONLY or O_RDWR, for the dma-buf's file
 *
 * The dma-buf pins the range for writing (user memory: call it from the
 * creating process; memory that cannot be written cannot be exported) and
 * holds @d until its last user lets go.  Its size is @length rounded up to
 * a page.  O_RDONLY makes the file refuse writable mappings; importing
 * devices may write all the same.  Device memory must be one physically
 * contiguous range and goes only to peer2peer importers; it and RAM that
 * userspace named by physical address have no vmap.  Foreign memory
 * (imported dma-bufs) is not exported again.  A descriptor has at most
 * IOBMD_EXPORT_MAX dma-bufs alive at once.  May sleep.
 *
 * Return: the dma-buf (dma_buf_fd() makes a file descriptor of it; drop it
 * with dma_buf_put()), or ERR_PTR(-EINVAL) (bad @flags, @offset, pieces
 * that do not line up or mix RAM, device and foreign memory, device memory
 * in more than one range), -ERANGE (beyond the length), -ENODATA (length
 * 0), -EMFILE (IOBMD_EXPORT_MAX alive), -EPERM, -EFAULT, -EACCES, -ENOMEM,
 * -EINTR (pinning or walking user memory).
 */
__iobmd_hot struct dma_buf *iobmd_desc_export_dmabuf(struct iobmd_desc *d,
						     u64 offset, u64 length,
						     int flags)
{
	return iobmd_export(d, offset, length, flags, iobmd_desc_length(d),
			    false);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_export_dmabuf, IOBMD_NS);

/**
 * iobmd_buffer_export_new() - a dma-buf of all of a buffer no one else
 * holds yet, taking over the caller's reference
 * @b: the new buffer; its only reference is the caller's
 * @flags: as iobmd_desc_export_dmabuf()
 *
 * What iobmd_desc_export_dmabuf() of the whole buffer followed by
 * iobmd_desc_put() does, in one step: no one else can change the length
 * of a buffer only its creator holds.
 *
 * Return: as iobmd_desc_export_dmabuf(); on failure the buffer is gone.
 */
__iobmd_hot struct dma_buf *iobmd_buffer_export_new(struct iobmd_buffer *b,
						    int flags)
{
	return iobmd_export(&b->desc, 0, 0, flags, b->desc.length, true);
}

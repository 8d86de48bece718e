// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: exporting a byte range of any descriptor as a dma-buf.
 *
 * The dma-buf is a static exporter's: at export the range is pinned and
 * its pages are collected once (struct iobmd_layout), so they never move
 * while the dma-buf lives and importers need no move notification.  Each
 * attachment is mapped for the importer's own device: RAM through
 * dma_map_sgtable() (its IOMMU merges the pages into one IOVA range where
 * it has one), device memory through dma_map_resource().  Nothing is
 * bounced (iobmd_dma_reach()).  The CPU's view (mmap, vmap) is the
 * descriptor's own, with its cache mode.
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
#include <linux/vmalloc.h>

#include "iobmd_priv.h"

MODULE_IMPORT_NS(DMA_BUF);

/**
 * struct iobmd_export - what an exported dma-buf holds
 * @desc: the descriptor, referenced and pinned
 * @offset: first byte of the range in the descriptor
 * @length: bytes of the range (the dma-buf has them rounded up to a page)
 * @layout: the pages of the range, collected once at export
 * @write: the pin allows devices and the CPU to write
 * @lock: protects @attachments and the attachments' mappings, @vaddr and
 *	@vmaps
 * @attachments: struct iobmd_export_attach of each attached device
 * @vaddr: the kernel mapping while @vmaps is above 0 (RAM)
 * @vmaps: vmap() calls not undone
 */
struct iobmd_export {
	struct iobmd_desc *desc;
	u64 offset;
	u64 length;
	struct iobmd_layout layout;
	bool write;
	struct mutex lock; /* attachments, their mappings, vaddr, vmaps */
	struct list_head attachments;
	void *vaddr;
	unsigned int vmaps;
};

/**
 * struct iobmd_export_attach - an importer's device
 * @node: entry in iobmd_export.attachments
 * @dev: the device
 * @sgt: its mapping of the pages while @mapped
 * @dir: enum dma_data_direction of the mapping
 * @mapped: @sgt holds a mapping
 */
struct iobmd_export_attach {
	struct list_head node;
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;
	bool mapped;
};

static const struct dma_buf_ops iobmd_dmabuf_ops;

static bool iobmd_export_iomem(const struct iobmd_export *e)
{
	return e->layout.flags & IOBMD_RUN_IOMEM;
}

static int iobmd_dmabuf_attach(struct dma_buf *dmabuf,
			       struct dma_buf_attachment *attach)
{
	struct iobmd_export *e = dmabuf->priv;
	struct iobmd_export_attach *a;

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

static void iobmd_dmabuf_detach(struct dma_buf *dmabuf,
				struct dma_buf_attachment *attach)
{
	struct iobmd_export *e = dmabuf->priv;
	struct iobmd_export_attach *a = attach->priv;

	mutex_lock(&e->lock);
	list_del(&a->node);
	mutex_unlock(&e->lock);
	kfree(a);
}

static void iobmd_export_unmap_resources(struct iobmd_export_attach *a,
					 unsigned int count)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sg(a->sgt.sgl, sg, count, i)
		dma_unmap_resource(a->dev, sg_dma_address(sg), sg_dma_len(sg),
				   a->dir, 0);
}

/*
 * Device memory has no struct pages: each run is mapped as a resource and
 * the table carries DMA addresses only, as importers of MMIO expect.
 */
static int iobmd_export_map_resources(struct iobmd_export *e,
				      struct iobmd_export_attach *a)
{
	const struct iobmd_runs *r = &e->layout.runs;
	u64 reach = iobmd_dma_reach(a->dev);
	struct scatterlist *sg;
	unsigned long k;
	int ret;

	for (k = 0; k < r->n; k++) {
		unsigned long end = k + 1 < r->n ? r->v[k + 1].first :
						   r->npages;
		u64 len = PFN_PHYS(end - r->v[k].first);

		if (PFN_PHYS(r->v[k].pfn) + len - 1 > reach)
			return -ERANGE;
		/* A table entry's length is 32 bits. */
		if (len > UINT_MAX)
			return -E2BIG;
	}
	ret = sg_alloc_table(&a->sgt, r->n, GFP_KERNEL);
	if (ret)
		return ret;
	sg = a->sgt.sgl;
	for (k = 0; k < r->n; k++, sg = sg_next(sg)) {
		unsigned long end = k + 1 < r->n ? r->v[k + 1].first :
						   r->npages;
		size_t len = (end - r->v[k].first) << PAGE_SHIFT;
		dma_addr_t addr;

		addr = dma_map_resource(a->dev, PFN_PHYS(r->v[k].pfn), len,
					a->dir, 0);
		if (dma_mapping_error(a->dev, addr)) {
			iobmd_export_unmap_resources(a, k);
			sg_free_table(&a->sgt);
			return -ENOMEM;
		}
		sg_dma_address(sg) = addr;
		sg_dma_len(sg) = len;
	}
	return 0;
}

/*
 * Map for the importer's device.  One mapping an attachment at a time:
 * importers map once and keep it (the core caches it for them).
 */
static struct sg_table *iobmd_dmabuf_map(struct dma_buf_attachment *attach,
					 enum dma_data_direction dir)
{
	struct iobmd_export *e = attach->dmabuf->priv;
	struct iobmd_export_attach *a = attach->priv;
	int ret;

	if (dir != DMA_TO_DEVICE && !e->write)
		return ERR_PTR(-EACCES);
	ret = iobmd_desc_usable(e->desc);
	if (ret)
		return ERR_PTR(ret);
	mutex_lock(&e->lock);
	ret = -EBUSY;
	if (a->mapped)
		goto out;
	a->dir = dir;
	if (iobmd_export_iomem(e))
		ret = iobmd_export_map_resources(e, a);
	else
		ret = iobmd_runs_sgt_map(&a->sgt, &e->layout.runs, a->dev, dir);
	a->mapped = !ret;
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
	if (!WARN_ON_ONCE(!a->mapped || sgt != &a->sgt)) {
		if (iobmd_export_iomem(e)) {
			iobmd_export_unmap_resources(a, a->sgt.nents);
			sg_free_table(&a->sgt);
		} else {
			iobmd_sgt_unmap(&a->sgt, a->dev, a->dir);
		}
		a->mapped = false;
	}
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
		if (!a->mapped)
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
static int iobmd_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
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

/* The kernel address of device memory: one range, mapped by its kind. */
static int iobmd_export_vmap_iomem(struct iobmd_export *e,
				   struct iosys_map *map)
{
	if (e->layout.runs.n != 1 || !e->layout.kaddr)
		return -EOPNOTSUPP;
	iosys_map_set_vaddr_iomem(map, (void __iomem *)e->layout.kaddr);
	return 0;
}

static int iobmd_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct iobmd_export *e = dmabuf->priv;
	int ret;

	if (iobmd_export_iomem(e))
		return iobmd_export_vmap_iomem(e, map);
	mutex_lock(&e->lock);
	ret = 0;
	if (!e->vmaps) {
		e->vaddr = iobmd_layout_vmap(&e->layout);
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

	if (iobmd_export_iomem(e))
		return;
	mutex_lock(&e->lock);
	if (!WARN_ON_ONCE(!e->vmaps) && !--e->vmaps) {
		vunmap(e->vaddr);
		e->vaddr = NULL;
	}
	mutex_unlock(&e->lock);
}

static void iobmd_export_free(struct iobmd_export *e)
{
	iobmd_runs_free(&e->layout.runs);
	iobmd_desc_unpin(e->desc);
	iobmd_desc_put(e->desc);
	mutex_destroy(&e->lock);
	kfree(e);
}

static void iobmd_dmabuf_release(struct dma_buf *dmabuf)
{
	struct iobmd_export *e = dmabuf->priv;

	atomic_dec(&e->desc->exports);
	atomic64_dec(&iobmd_stats.exports);
	iobmd_export_free(e);
}

static const struct dma_buf_ops iobmd_dmabuf_ops = {
	.attach = iobmd_dmabuf_attach,
	.detach = iobmd_dmabuf_detach,
	.map_dma_buf = iobmd_dmabuf_map,
	.unmap_dma_buf = iobmd_dmabuf_unmap,
	.release = iobmd_dmabuf_release,
	.begin_cpu_access = iobmd_dmabuf_begin_cpu_access,
	.end_cpu_access = iobmd_dmabuf_end_cpu_access,
	.mmap = iobmd_dmabuf_mmap,
	.vmap = iobmd_dmabuf_vmap,
	.vunmap = iobmd_dmabuf_vunmap,
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

	if (dmabuf->ops != &iobmd_dmabuf_ops)
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
static int iobmd_export_collect(struct iobmd_export *e, unsigned int pin)
{
	struct iobmd_layout *l = &e->layout;
	u64 delta, size;
	int ret;

	ret = iobmd_desc_usable(e->desc);
	if (ret)
		return ret;
	ret = iobmd_desc_pin(e->desc, pin);
	if (ret)
		return ret;
	ret = iobmd_desc_map_layout(e->desc, &delta, &size);
	if (!ret && delta)
		ret = -EINVAL;
	/* Killable: a composed descriptor may describe much work. */
	if (!ret)
		ret = iobmd_layout_collect(e->desc, e->offset, e->length,
					   IOBMD_WALK_KILLABLE, l);
	/* The memory of other exporters is not exported again. */
	if (!ret && (l->first || l->flags & IOBMD_RUN_FOREIGN))
		ret = -EINVAL;
	if (ret) {
		iobmd_runs_free(&l->runs);
		iobmd_desc_unpin(e->desc);
	}
	return ret;
}

/**
 * iobmd_desc_export_dmabuf() - a dma-buf of a byte range of a descriptor
 * @d: the descriptor, of any kind; the dma-buf takes its own reference
 * @offset: first byte: page-aligned, and the first byte of a page of the
 *	memory
 * @length: bytes; 0: to the end of the descriptor
 * @flags: O_CLOEXEC, and O_RDONLY or O_RDWR, for the dma-buf's file
 *
 * The dma-buf pins the range (user memory: call it from the creating
 * process) and holds @d until its last user lets go.  Its size is @length
 * rounded up to a page.  Writable by the CPU and devices with O_RDWR or
 * when @d's direction lets devices write (IOBMD_DIRECTION_IN); else the
 * pin may be read-only and importers that write get -EACCES.  Foreign
 * memory (imported dma-bufs) is not exported again.  May sleep.
 *
 * Return: the dma-buf (dma_buf_fd() makes a file descriptor of it; drop it
 * with dma_buf_put()), or ERR_PTR(-EINVAL) (bad @flags, @offset, pieces
 * that do not line up or mix RAM, device and foreign memory), -ERANGE
 * (beyond the length), -ENODATA (length 0), -EPERM, -EFAULT, -ENOMEM,
 * -EINTR (pinning or walking user memory).
 */
struct dma_buf *iobmd_desc_export_dmabuf(struct iobmd_desc *d, u64 offset,
					 u64 length, int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	u64 dlen = iobmd_desc_length(d);
	struct iobmd_export *e;
	struct dma_buf *dmabuf;
	u64 end;
	int ret;

	if (flags & ~(O_CLOEXEC | O_ACCMODE) ||
	    (flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_ACCMODE ||
	    !PAGE_ALIGNED(offset))
		return ERR_PTR(-EINVAL);
	if (!dlen)
		return ERR_PTR(-ENODATA);
	if (!length && offset < dlen)
		length = dlen - offset;
	if (!length || check_add_overflow(offset, length, &end) || end > dlen)
		return ERR_PTR(-ERANGE);

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return ERR_PTR(-ENOMEM);
	e->desc = d;
	e->offset = offset;
	e->length = length;
	e->write = (flags & O_ACCMODE) == O_RDWR ||
		   iobmd_desc_direction(d) & IOBMD_DIRECTION_IN;
	mutex_init(&e->lock);
	INIT_LIST_HEAD(&e->attachments);
	ret = iobmd_export_collect(e, e->write ? IOBMD_PIN_WRITE : 0);
	if (ret) {
		mutex_destroy(&e->lock);
		kfree(e);
		return ERR_PTR(ret);
	}
	iobmd_desc_get(d);

	info.ops = &iobmd_dmabuf_ops;
	info.size = PAGE_ALIGN(length);
	info.flags = flags;
	info.priv = e;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		iobmd_export_free(e);
		return dmabuf;
	}
	atomic_inc(&d->exports);
	atomic64_inc(&iobmd_stats.exports);
	return dmabuf;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_export_dmabuf, IOBMD);

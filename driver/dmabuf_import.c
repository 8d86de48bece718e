// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: descriptors over another exporter's dma-buf (IOBMD_KIND_DMABUF).
 *
 * The descriptor holds a reference to the dma-buf for its whole life and
 * never looks at the exporter's struct pages (dma-buf's rule; with
 * CONFIG_DMABUF_DEBUG the pages of an exporter's table are scrambled).
 * What it needs of the memory it asks the exporter for, the first time
 * a walk needs it while the descriptor is pinned, and gives back when the
 * last pin goes:
 *
 * - bytes (readBytes, writeBytes and every kind built on it) go through
 *   the exporter's kernel mapping (dma_buf_vmap()), which may be I/O
 *   memory, each walk bracketed by dma_buf_begin_cpu_access() and
 *   dma_buf_end_cpu_access().  The dma-buf core warns when an exporter's
 *   vmap fails, and a static exporter's may allocate the memory (DRM's
 *   GEM shmem helpers', vgem's), in the caller's memory cgroup; so it is
 *   held first by the attachment below, where that allocation fails
 *   cleanly (the helpers pin the memory at attach).  A static exporter
 *   that refuses the attachment for another reason (a GPU driver's buffer
 *   pinned where the device cannot have it) is mapped as it is; a
 *   dynamic exporter's vmap pins the memory itself;
 * - physical addresses (physical segments, the PFN mappings of composed
 *   descriptors over it) come from an attachment to the module's own misc
 *   device, which has no bus and so no IOMMU: with a 64-bit mask the DMA API
 *   maps it 1:1 (dma-direct), and the DMA addresses of the exporter's table
 *   are physical addresses.  Where they would not be (swiotlb forced,
 *   encrypted memory, an IOMMU, DMA operations such as Xen's) the addresses
 *   are refused with -EOPNOTSUPP.  The table is mapped only long enough to
 *   read it.  Held, it would be synced by every exporter that syncs its
 *   attachments in begin_cpu_access() (the heaps) in the CPU's direction,
 *   not its own, or, mapped bidirectionally, overlap other devices' mappings
 *   of the pages: both errors to DMA-API debugging.  So the addresses rely
 *   on the attachment keeping the memory in place, as the heaps, udmabuf,
 *   DRM's GEM helpers and videobuf2 do for the dma-buf's whole life; an
 *   exporter that moved memory at its last unmap, which dma-buf allows, must
 *   not be mapped by physical address.  A dynamic exporter (one with .pin,
 *   whose memory moves when nothing pins it) pins it for a static attachment
 *   only while the attachment is mapped (6.15 on), so its table stays
 *   mapped, for the device, with the attachment (the dynamic exporters, GPU
 *   drivers, sync no attachment in begin_cpu_access(): it is not synced the
 *   CPU's way).  Before 6.15 the dma-buf core mapped a static attachment of
 *   a dynamic exporter bidirectionally at attach and kept that until detach,
 *   a mapping DMA-API debugging finds overlapping any device's of the pages;
 *   there the attachment is dynamic and the import pins it itself (a pinned
 *   attachment is told of no move), the table mapped only to be read,
 *   once the exporter's kernel fences (a move's copy) have signalled.  An
 *   exporter that must be able to take its memory back (vfio-pci) refuses
 *   the import's attachments, static or pinned: physical addresses of its
 *   memory, and a device's prepare, fail with its errno (-EOPNOTSUPP).
 *   The wait for the kernel fences, the core's or the import's, is
 *   interruptible (-ERESTARTSYS), but in a walk with IOBMD_WALK_NOINTR (a
 *   page fault the kernel takes, which would find the signal pending again
 *   at once): there only a fatal signal ends it (-EINTR), the import's own
 *   wait made killable and the core's waited through (see
 *   iobmd_dmabuf_map_waiting());
 * - a device's DMA (iobmd_desc_prepare_dev()) attaches that device to the
 *   dma-buf and maps the attachment for the prepare's direction;
 * - a mapping of the descriptor by itself is the exporter's own mmap; one
 *   of a descriptor built on it maps the pages by physical address, if
 *   the exporter has an mmap (-ENODEV if not: its memory is not for the
 *   CPU).
 *
 * Runs of this memory carry IOBMD_RUN_FOREIGN and never IOBMD_RUN_PAGES.
 * A dma-buf iobmd exported itself is not imported as foreign memory: the
 * descriptor is a sub-range of the one it was exported from.
 *
 * Locking: the dma-buf's reservation lock is taken (inside the dma-buf
 * calls) under desc.prep_lock at the first prepare, the last complete
 * and the last unpin, and under @lock in walks (which mmap() makes under
 * mmap_lock).  No exporter this reaches calls back into iobmd, since
 * iobmd's own dma-bufs never become this kind; and iobmd's exporter takes
 * no descriptor lock under a reservation lock (dmabuf_export.c), so that
 * lockdep, which sees every prep_lock and every reservation lock as one
 * lock each, finds no cycle either.
 */
#include <linux/cc_platform.h>
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "iobmd_priv.h"

MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

/**
 * struct iobmd_dmabuf - a descriptor over another exporter's dma-buf
 * @desc: the descriptor
 * @dmabuf: the dma-buf, referenced
 * @writable: its file is open for writing: the CPU and devices may write
 *	the memory; else pins that write are refused (not wired, so that a
 *	later writing pin is checked too)
 * @lock: serialises making @vmap and @phys in walks, which run while the
 *	descriptor is pinned; both are undone when the last pin goes, under
 *	desc.prep_lock, while no walk can run
 * @vmap: the exporter's kernel mapping, or cleared; @lock
 * @phys_attach: the attachment to the module's device that holds the
 *	memory (a static exporter's while @vmap is made, and where @phys
 *	says), or NULL; @lock
 * @phys_sgt: a dynamic exporter's: @phys_attach's mapping, which pins the
 *	memory, held with it; else NULL; @lock
 * @phys_pinned: @phys_attach is dynamic and pinned by the import (a
 *	dynamic exporter's, before 6.15); @lock
 * @phys: the memory's pages, by physical address, in order; @lock
 * @dev_attach: the attachment to the device it is prepared for, or NULL;
 *	desc.prep_lock
 * @dev_sgt: that attachment's mapping; desc.prep_lock
 * @dev_dir: its DMA direction; desc.prep_lock
 * @cpu_dir: the direction CPU access is bracketed with: @dev_dir while
 *	prepared for a device (exporters sync every mapping with it), else
 *	DMA_BIDIRECTIONAL; written under desc.prep_lock, read without
 */
struct iobmd_dmabuf {
	struct iobmd_desc desc;
	struct dma_buf *dmabuf;
	bool writable;
	struct mutex lock; /* vmap, phys_attach, phys_sgt, phys_pinned, phys */
	struct iosys_map vmap;
	struct dma_buf_attachment *phys_attach;
	struct sg_table *phys_sgt;
	bool phys_pinned;
	struct iobmd_runs phys;
	struct dma_buf_attachment *dev_attach;
	struct sg_table *dev_sgt;
	int dev_dir;
	int cpu_dir;
};

/* The module's misc device, for physical addresses; NULL if unusable. */
static struct device *iobmd_dmabuf_dev;
/* Its DMA parameters: segments as long as an exporter makes them. */
static struct device_dma_parameters iobmd_dmabuf_dma_parms;

static struct iobmd_dmabuf *iobmd_dmabuf_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_dmabuf, desc);
}

/*
 * Whether the DMA addresses of the module's device are physical
 * addresses: dma-direct without bouncing, encryption bits or a
 * translating IOMMU.  DMA operations (the device's own, or on x86 the
 * ones Xen PV or the AMD GART install for every device) give machine,
 * aperture or bounce addresses instead.
 */
static int iobmd_dmabuf_dev_physical(struct device *dev)
{
	if (!dev || get_dma_ops(dev) || is_swiotlb_force_bounce(dev) ||
	    iommu_get_domain_for_dev(dev) ||
	    cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * Waits for the exporter's kernel fences (a move's copy) where the dma-buf
 * core would wait interruptibly, but killably (IOBMD_WALK_NOINTR): the
 * fences' own waits, uninterruptible, a tenth of a second at a time, until
 * they have signalled or a fatal signal is pending.  A signal that stays
 * pending (a page fault the kernel takes handles none) would end an
 * interruptible wait at once, each time.
 *
 * Return: 1 after waiting, 0 when all had signalled, -EINTR when killed,
 * or the wait's error.
 */
static int iobmd_dmabuf_wait_killable(struct dma_resv *resv)
{
	long ret;

	if (dma_resv_test_signaled(resv, DMA_RESV_USAGE_KERNEL))
		return 0;
	for (;;) {
		ret = dma_resv_wait_timeout(resv, DMA_RESV_USAGE_KERNEL, false,
					    HZ / 10);
		if (ret)
			return ret < 0 ? ret : 1;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
}

/* A signal ended the dma-buf core's or the exporter's wait. */
static bool iobmd_dmabuf_signalled(struct sg_table *sgt)
{
	return PTR_ERR_OR_ZERO(sgt) == -ERESTARTSYS ||
	       PTR_ERR_OR_ZERO(sgt) == -EINTR;
}

/*
 * @attach, a static attachment, mapped for @dir.  The dma-buf core waits
 * for the exporter's kernel fences there (from 6.15 on; for a dynamic
 * exporter, the copy of a move at the pin the mapping makes)
 * interruptibly; unless @intr, a signal that ended the mapping is waited
 * through: the fences killably, then the mapping made again, and again
 * only after a wait (once more when there was nothing to wait for, so
 * that a signal that ended something else fails the mapping, rather than
 * ending each try at once).
 */
static struct sg_table *
iobmd_dmabuf_map_waiting(struct iobmd_dmabuf *m,
			 struct dma_buf_attachment *attach, int dir, bool intr)
{
	struct sg_table *sgt;
	int waited = 1;

	for (;;) {
		sgt = dma_buf_map_attachment_unlocked(attach, dir);
		if (intr || !waited || !iobmd_dmabuf_signalled(sgt))
			return sgt;
		waited = iobmd_dmabuf_wait_killable(m->dmabuf->resv);
		if (waited < 0)
			return ERR_PTR(waited);
	}
}

/*
 * @dev attached to the dma-buf, statically (the exporter keeps the memory
 * in place while it is mapped), and the attachment mapped for @dir
 * (iobmd_dmabuf_map_waiting(): @intr).
 */
static struct sg_table *iobmd_dmabuf_attach(struct iobmd_dmabuf *m,
					    struct device *dev, int dir,
					    bool intr,
					    struct dma_buf_attachment **attach)
{
	struct sg_table *sgt;

	*attach = dma_buf_attach(m->dmabuf, dev);
	if (IS_ERR(*attach))
		return ERR_CAST(*attach);
	sgt = iobmd_dmabuf_map_waiting(m, *attach, dir, intr);
	if (IS_ERR(sgt))
		dma_buf_detach(m->dmabuf, *attach);
	return sgt;
}

/*
 * Before 6.15 the dma-buf core maps a static attachment of a dynamic
 * exporter's dma-buf at attach, bidirectionally, until detach; and no
 * exporter takes pinned memory back from a dynamic importer (7.0 lets
 * one that asks dma_buf_attach_revocable() first: there, as on any
 * kernel that has it, the import never attaches dynamically).
 */
#if defined(IOBMD_HAVE_DMA_BUF_ATTACH_SGT) && \
	!defined(IOBMD_HAVE_DMA_BUF_ATTACH_REVOCABLE)
#define IOBMD_DMABUF_CORE_MAPS_AT_ATTACH	true
#else
#define IOBMD_DMABUF_CORE_MAPS_AT_ATTACH	false
#endif

/*
 * An exporter moves no pinned memory, and nothing is to be done; one that
 * did would leave the import's frame numbers on memory it no longer has.
 */
static void iobmd_dmabuf_pinned_moved(struct dma_buf_attachment *attach)
{
	struct iobmd_dmabuf *m = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	WARN_ONCE(m->phys_pinned, "iobmd: %s moved pinned memory\n",
		  attach->dmabuf->exp_name);
}

static const struct dma_buf_attach_ops iobmd_dmabuf_pinned_ops = {
	.IOBMD_DMA_BUF_INVALIDATE = iobmd_dmabuf_pinned_moved,
};

/*
 * The module's device attached to a dynamic exporter's dma-buf
 * dynamically and pinned by the import, once the exporter's kernel work
 * on the memory is done: a pin may have moved it (a GPU driver's VRAM to
 * where other devices reach it) with a copy still running.  The import
 * waits for it as the dma-buf core does at a static attachment's mapping,
 * interruptibly if @intr, else killably.  The pin goes with
 * iobmd_dmabuf_hold_put().
 */
static int iobmd_dmabuf_attach_pinned(struct iobmd_dmabuf *m, bool intr,
				      struct dma_buf_attachment **attach)
{
	long ret;

	*attach = dma_buf_dynamic_attach(m->dmabuf, iobmd_dmabuf_dev,
					 &iobmd_dmabuf_pinned_ops, m);
	if (IS_ERR(*attach))
		return PTR_ERR(*attach);
	dma_resv_lock(m->dmabuf->resv, NULL);
	ret = dma_buf_pin(*attach);
	if (!ret) {
		if (intr)
			ret = dma_resv_wait_timeout(m->dmabuf->resv,
						    DMA_RESV_USAGE_KERNEL, true,
						    MAX_SCHEDULE_TIMEOUT);
		else
			ret = iobmd_dmabuf_wait_killable(m->dmabuf->resv);
		if (ret < 0)
			dma_buf_unpin(*attach);
	}
	dma_resv_unlock(m->dmabuf->resv);
	if (ret < 0)
		dma_buf_detach(m->dmabuf, *attach);
	return ret < 0 ? ret : 0;
}

/*
 * The pages of the module's device's mapping, by frame number: the
 * dma-buf core promises whole pages in a mapping.
 */
static int iobmd_dmabuf_add_pages(struct iobmd_runs *r, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		/* A table of a large scattered buffer has many entries. */
		cond_resched();
		if (!PAGE_ALIGNED(sg_dma_address(sg)) ||
		    !PAGE_ALIGNED(sg_dma_len(sg)))
			return -EIO;
		ret = iobmd_runs_add_range(r, PHYS_PFN(sg_dma_address(sg)),
					   sg_dma_len(sg) >> PAGE_SHIFT);
		if (ret)
			return ret;
	}
	return 0;
}

/* What iobmd_dmabuf_hold() made undone; @lock held or no walk runs. */
static void iobmd_dmabuf_hold_put(struct iobmd_dmabuf *m)
{
	if (m->phys_sgt)
		dma_buf_unmap_attachment_unlocked(m->phys_attach, m->phys_sgt,
						  DMA_TO_DEVICE);
	m->phys_sgt = NULL;
	if (m->phys_pinned) {
		dma_resv_lock(m->dmabuf->resv, NULL);
		dma_buf_unpin(m->phys_attach);
		dma_resv_unlock(m->dmabuf->resv);
	}
	m->phys_pinned = false;
	dma_buf_detach(m->dmabuf, m->phys_attach);
	m->phys_attach = NULL;
	iobmd_runs_free(&m->phys);
}

/*
 * The module's device attached to the dma-buf, so that the exporter holds
 * the memory in place; @lock held.  A static exporter holds it for the
 * attachment (DRM's GEM helpers pin theirs at attach, allocating what is
 * not there yet: at a memory cgroup's limit that fails there, cleanly);
 * a dynamic one while the attachment is mapped, which is kept (6.15 on),
 * or pinned (before).  The exporter's kernel fences are waited for
 * interruptibly if @intr, else killably (IOBMD_WALK_NOINTR).
 */
static int iobmd_dmabuf_hold(struct iobmd_dmabuf *m, bool intr)
{
	struct dma_buf_attachment *attach;
	struct sg_table *sgt = NULL;
	bool pinned;
	int ret;

	lockdep_assert_held(&m->lock);
	if (m->phys_attach)
		return 0;
	if (!iobmd_dmabuf_dev)
		return -EOPNOTSUPP;
	/*
	 * To the device: nothing is synced back, and the DMA API does not
	 * count the mapping against the exporter's own (or other
	 * importers') mappings of the same pages for the CPU.
	 */
	pinned = dma_buf_is_dynamic(m->dmabuf) &&
		 IOBMD_DMABUF_CORE_MAPS_AT_ATTACH;
	if (pinned) {
		ret = iobmd_dmabuf_attach_pinned(m, intr, &attach);
		if (ret)
			return ret;
	} else if (dma_buf_is_dynamic(m->dmabuf)) {
		sgt = iobmd_dmabuf_attach(m, iobmd_dmabuf_dev, DMA_TO_DEVICE,
					  intr, &attach);
		if (IS_ERR(sgt))
			return PTR_ERR(sgt);
	} else {
		attach = dma_buf_attach(m->dmabuf, iobmd_dmabuf_dev);
		if (IS_ERR(attach))
			return PTR_ERR(attach);
	}
	m->phys_attach = attach;
	m->phys_sgt = sgt;
	m->phys_pinned = pinned;
	return 0;
}

/*
 * The memory held and its physical pages noted, from the kept mapping or
 * one made only long enough to read it; @lock held.  Fences as
 * iobmd_dmabuf_hold() waits for them (@intr).
 */
static int iobmd_dmabuf_phys_get(struct iobmd_dmabuf *m, bool intr)
{
	bool held = m->phys_attach;
	struct sg_table *sgt;
	int ret;

	lockdep_assert_held(&m->lock);
	ret = iobmd_dmabuf_dev_physical(iobmd_dmabuf_dev);
	if (ret || m->phys.npages)
		return ret;
	ret = iobmd_dmabuf_hold(m, intr);
	if (ret)
		return ret;
	sgt = m->phys_sgt ?: iobmd_dmabuf_map_waiting(m, m->phys_attach,
						      DMA_TO_DEVICE, intr);
	ret = PTR_ERR_OR_ZERO(sgt) ?: iobmd_dmabuf_add_pages(&m->phys, sgt);
	if (!ret && PFN_PHYS(m->phys.npages) < m->desc.length)
		ret = -EIO;
	if (!IS_ERR(sgt) && sgt != m->phys_sgt)
		dma_buf_unmap_attachment_unlocked(m->phys_attach, sgt,
						  DMA_TO_DEVICE);
	/* A failure leaves what was held before, and nothing else. */
	if (ret)
		iobmd_runs_free(&m->phys);
	if (ret && !held)
		iobmd_dmabuf_hold_put(m);
	return ret;
}

/*
 * Physical runs; made while pinned, the pages stay until the last unpin.
 * An exporter without an mmap of its own (memory the CPU must not touch,
 * as a protected heap's) lets no process map them.
 */
static int iobmd_dmabuf_walk_phys(struct iobmd_dmabuf *m, u64 offset,
				  u64 len, unsigned int how, iobmd_run_fn fn,
				  void *arg)
{
	const struct iobmd_run tmpl = {
		.flags = IOBMD_RUN_FOREIGN |
			 (m->dmabuf->ops->mmap ? 0 : IOBMD_RUN_NOMAP),
		.cache = IOBMD_CACHE_DEFAULT,
	};
	int ret;

	/* Its holder may wait for the exporter's fences: killable. */
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	ret = iobmd_dmabuf_phys_get(m, !(how & IOBMD_WALK_NOINTR));
	mutex_unlock(&m->lock);
	return ret ?: iobmd_runs_walk(&m->phys, offset, len, &tmpl, fn, arg);
}

/**
 * struct iobmd_dmabuf_marker - a walk whose runs are marked foreign
 * @fn: the walk's callback
 * @arg: its argument
 */
struct iobmd_dmabuf_marker {
	iobmd_run_fn fn;
	void *arg;
};

static int iobmd_dmabuf_mark_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_dmabuf_marker *mk = arg;
	struct iobmd_run foreign = *run;

	foreign.flags |= IOBMD_RUN_FOREIGN;
	return mk->fn(mk->arg, &foreign);
}

/* The DMA runs of the device it is prepared for; held prepared. */
static int iobmd_dmabuf_walk_dma(struct iobmd_dmabuf *m, u64 offset, u64 len,
				 iobmd_run_fn fn, void *arg)
{
	struct iobmd_dmabuf_marker mk = { fn, arg };

	if (!m->dev_sgt)
		return -ENODATA;
	return iobmd_sgt_walk(m->dev_sgt, offset, len, iobmd_dmabuf_mark_run,
			      &mk);
}

/*
 * The exporter's kernel mapping, made on first need; @lock held.  The
 * dma-buf core warns when an exporter's vmap fails, and a static
 * exporter's may have to allocate the memory first (DRM's GEM shmem
 * helpers': vgem, virtio-gpu), in the caller's memory cgroup: the memory
 * is held by an attachment first, where that fails cleanly (-ENOMEM, or
 * a signal's error); an exporter that refuses the attachment otherwise is
 * mapped unheld, as before there was one.  A dynamic exporter's vmap pins
 * the memory itself.
 */
static int iobmd_dmabuf_vmap_get(struct iobmd_dmabuf *m)
{
	bool held = m->phys_attach;
	int ret;

	lockdep_assert_held(&m->lock);
	if (!iosys_map_is_null(&m->vmap))
		return 0;
	/* What dma_buf_vmap() says to an exporter without one. */
	if (!m->dmabuf->ops->vmap)
		return -EINVAL;
	if (!dma_buf_is_dynamic(m->dmabuf)) {
		ret = iobmd_dmabuf_hold(m, true);
		if (ret == -ENOMEM || ret == -EINTR || ret == -ERESTARTSYS)
			return ret;
	}
	ret = dma_buf_vmap_unlocked(m->dmabuf, &m->vmap);
	if (ret && !held && m->phys_attach)
		iobmd_dmabuf_hold_put(m);
	return ret;
}

/*
 * The CPU's bytes: one run through the exporter's kernel mapping, with
 * the CPU-access brackets around it.  The run has no physical address:
 * those are a walk with IOBMD_WALK_ADDR.
 */
static int iobmd_dmabuf_walk_cpu(struct iobmd_dmabuf *m, u64 offset, u64 len,
				 iobmd_run_fn fn, void *arg)
{
	struct iobmd_run run = { .len = len, .flags = IOBMD_RUN_FOREIGN,
				 .cache = IOBMD_CACHE_DEFAULT };
	int dir = READ_ONCE(m->cpu_dir);
	int ret, end;

	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	ret = iobmd_dmabuf_vmap_get(m);
	mutex_unlock(&m->lock);
	if (ret || !len)
		return ret;
	if (m->vmap.is_iomem) {
		run.kaddr = (void __force *)(m->vmap.vaddr_iomem + offset);
		run.flags |= IOBMD_RUN_IOMEM;
	} else {
		run.kaddr = m->vmap.vaddr + offset;
	}
	/*
	 * It waits for the dma-buf's fences, interruptibly: -ERESTARTSYS,
	 * passed on, restarts a user's call (nothing of it was reported) or
	 * ends it with -EINTR, as the signal's handler asks; a composed
	 * descriptor makes it -EINTR once a piece was walked.
	 */
	ret = dma_buf_begin_cpu_access(m->dmabuf, dir);
	if (ret)
		return ret;
	ret = fn(arg, &run);
	end = dma_buf_end_cpu_access(m->dmabuf, dir);
	return ret ?: end;
}

static int iobmd_dmabuf_walk(struct iobmd_desc *d, u64 offset, u64 len,
			     unsigned int how, iobmd_run_fn fn, void *arg)
{
	struct iobmd_dmabuf *m = iobmd_dmabuf_of(d);

	if (how & IOBMD_WALK_DMA)
		return iobmd_dmabuf_walk_dma(m, offset, len, fn, arg);
	if (how & IOBMD_WALK_ADDR)
		return iobmd_dmabuf_walk_phys(m, offset, len, how, fn, arg);
	return iobmd_dmabuf_walk_cpu(m, offset, len, fn, arg);
}

/* A read-only dma-buf is written neither by the CPU nor by a device. */
static bool iobmd_dmabuf_wired(struct iobmd_desc *d)
{
	return iobmd_dmabuf_of(d)->writable;
}

static int iobmd_dmabuf_pin(struct iobmd_desc *d, unsigned int flags)
{
	if (flags & IOBMD_PIN_WRITE && !iobmd_dmabuf_of(d)->writable)
		return -EACCES;
	return 0;
}

/* The last pin is gone: no walk runs, nothing of the memory is kept. */
static void iobmd_dmabuf_unpin(struct iobmd_desc *d)
{
	struct iobmd_dmabuf *m = iobmd_dmabuf_of(d);

	if (!iosys_map_is_null(&m->vmap)) {
		dma_buf_vunmap_unlocked(m->dmabuf, &m->vmap);
		iosys_map_clear(&m->vmap);
	}
	if (m->phys_attach)
		iobmd_dmabuf_hold_put(m);
}

/*
 * The first prepare for a device: @dev attached and mapped for the
 * prepare's direction.  Without a device there is nothing to do.
 */
static int iobmd_dmabuf_dma_map(struct iobmd_desc *d, struct device *dev,
				u32 direction)
{
	struct iobmd_dmabuf *m = iobmd_dmabuf_of(d);
	struct dma_buf_attachment *attach;
	int dir = iobmd_dma_dir(direction);
	struct sg_table *sgt;

	if (!dev)
		return 0;
	sgt = iobmd_dmabuf_attach(m, dev, dir, true, &attach);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	m->dev_attach = attach;
	m->dev_sgt = sgt;
	m->dev_dir = dir;
	WRITE_ONCE(m->cpu_dir, dir);
	return 0;
}

static void iobmd_dmabuf_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_dmabuf *m = iobmd_dmabuf_of(d);

	if (!m->dev_attach)
		return;
	WRITE_ONCE(m->cpu_dir, DMA_BIDIRECTIONAL);
	dma_buf_unmap_attachment_unlocked(m->dev_attach, m->dev_sgt,
					  m->dev_dir);
	dma_buf_detach(m->dmabuf, m->dev_attach);
	m->dev_attach = NULL;
	m->dev_sgt = NULL;
}

/* performOperation(): the device's mapping, as the exporter made it. */
static void iobmd_dmabuf_dma_sync(struct iobmd_desc *d, u64 offset, u64 len,
				  bool for_device)
{
	struct iobmd_dmabuf *m = iobmd_dmabuf_of(d);

	if (m->dev_sgt)
		iobmd_sgt_sync(m->dev_sgt, d->dma_dev, m->dev_dir, offset, len,
			       for_device);
}

/*
 * The exporter's own mmap: the mapping then holds the dma-buf, not the
 * descriptor, and has the exporter's cache mode.  A dma-buf open
 * read-only is mapped read-only.
 */
static int iobmd_dmabuf_mmap(struct iobmd_desc *d, struct vm_area_struct *vma,
			     u64 offset, unsigned int cache)
{
	struct iobmd_dmabuf *m = iobmd_dmabuf_of(d);

	if (cache != IOBMD_CACHE_DEFAULT)
		return -EINVAL;
	if (!m->writable) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	return dma_buf_mmap(m->dmabuf, vma, offset >> PAGE_SHIFT);
}

static void iobmd_dmabuf_release(struct iobmd_desc *d)
{
	struct iobmd_dmabuf *m = iobmd_dmabuf_of(d);

	/* The last unpin and complete came first. */
	WARN_ON_ONCE(m->phys_attach || m->dev_attach ||
		     !iosys_map_is_null(&m->vmap));
	dma_buf_put(m->dmabuf);
	mutex_destroy(&m->lock);
	kfree(m);
}

static const struct iobmd_desc_ops iobmd_dmabuf_import_ops = {
	.walk = iobmd_dmabuf_walk,
	.wired = iobmd_dmabuf_wired,
	.pin = iobmd_dmabuf_pin,
	.unpin = iobmd_dmabuf_unpin,
	.dma_map = iobmd_dmabuf_dma_map,
	.dma_unmap = iobmd_dmabuf_dma_unmap,
	.dma_sync = iobmd_dmabuf_dma_sync,
	.mmap = iobmd_dmabuf_mmap,
	.release = iobmd_dmabuf_release,
};

/**
 * iobmd_desc_from_dmabuf() - a descriptor over a dma-buf
 * @dmabuf: the dma-buf; the descriptor takes its own reference, so the
 *	caller may drop its own (close the file) afterwards
 * @direction: IOBMD_DIRECTION_*
 *
 * The descriptor's length is the dma-buf's size.  Bytes go through the
 * exporter's kernel mapping, so an exporter without one cannot be read
 * or written (-EINVAL); a static exporter's memory is held by an
 * attachment of the module's device first, and its -ENOMEM (where the
 * exporter allocates the memory then, in the caller's memory cgroup) is
 * that of reads and writes; iobmd_desc_prepare_dev() attaches the device
 * to the dma-buf and maps that attachment; physical segments are those of the
 * exporter's memory where the module's device sees it 1:1 (else
 * -EOPNOTSUPP).  A dma-buf whose file is open read-only may not be
 * written (-EACCES from everything that would, through descriptors built
 * on this one too).  A dma-buf iobmd exported gives a sub-range of the
 * descriptor it was exported from, with tag 0 and no say in that
 * descriptor's purgeable state (-EOPNOTSUPP, as other exporters' memory).
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) for a
 * bad direction or an empty dma-buf, -ENOMEM, and for iobmd's own
 * dma-bufs the errors of iobmd_sub_create().
 */
struct iobmd_desc *iobmd_desc_from_dmabuf(struct dma_buf *dmabuf,
					  u32 direction)
{
	struct iobmd_desc *own, *sub;
	struct iobmd_dmabuf *m;
	u64 offset, length;

	if (!dmabuf || direction & ~IOBMD_DIRECTION_MASK || !dmabuf->size)
		return ERR_PTR(-EINVAL);
	own = iobmd_dmabuf_exported(dmabuf, &offset, &length);
	if (own) {
		sub = iobmd_sub_create(own, offset, length, direction);
		iobmd_desc_put(own);
		if (IS_ERR(sub))
			return sub;
		/*
		 * A read-only file grants no writes through the import, and
		 * no file grants the exporter's tag or purgeable state.
		 */
		sub->readonly |= !(dmabuf->file->f_mode & FMODE_WRITE);
		sub->imported = true;
		sub->tag = 0;
		return sub;
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	get_dma_buf(dmabuf);
	m->dmabuf = dmabuf;
	m->writable = dmabuf->file->f_mode & FMODE_WRITE;
	mutex_init(&m->lock);
	m->cpu_dir = DMA_BIDIRECTIONAL;
	iobmd_desc_init(&m->desc, &iobmd_dmabuf_import_ops, IOBMD_KIND_DMABUF,
			dmabuf->size, direction, 1);
	m->desc.readonly = !m->writable;
	return &m->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_from_dmabuf, IOBMD_NS);

/**
 * iobmd_dmabuf_import_init() - take the module's device for physical
 * addresses of imported memory
 * @dev: /dev/iobmd's device, registered; it never does DMA
 *
 * It gets a 64-bit DMA mask and no limit on the length of a segment;
 * without them, imported memory has no physical segments (-EOPNOTSUPP).
 */
void iobmd_dmabuf_import_init(struct device *dev)
{
	if (dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		return;
	dev->dma_parms = &iobmd_dmabuf_dma_parms;
	dma_set_max_seg_size(dev, UINT_MAX);
	iobmd_dmabuf_dev = dev;
}


// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the pages a descriptor's bytes lie in, laid out as a mapping
 * shows them, and mapping them into the kernel (IOMemoryDescriptor::map()
 * with the kernel task) for drivers using the in-kernel API.
 */
#include <linux/dma-map-ops.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "iobmd_priv.h"

static int iobmd_layout_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_layout *l = arg;
	unsigned int flags = run->flags & (IOBMD_RUN_IOMEM | IOBMD_RUN_FOREIGN);
	unsigned long pfn = PHYS_PFN(run->addr);
	unsigned long last = PHYS_PFN(run->addr + run->len - 1);

	if (!l->runs.npages) {
		l->first = offset_in_page(run->addr);
		l->pos = l->first;
		l->cache = run->cache;
		l->flags = flags;
	} else if (run->cache != l->cache ||
		   flags != (l->flags & ~IOBMD_RUN_RAW)) {
		return -EINVAL;
	}
	l->flags |= run->flags & IOBMD_RUN_RAW;
	/* Bytes keep their page offsets; a page shared must be the same. */
	if (offset_in_page(l->pos) != offset_in_page(run->addr))
		return -EINVAL;
	if (l->runs.npages && offset_in_page(l->pos)) {
		if (iobmd_runs_next_pfn(&l->runs) - 1 != pfn)
			return -EINVAL;
		pfn++;
	}
	l->pos += run->len;
	if (pfn > last)
		return 0;
	return iobmd_runs_add_range(&l->runs, pfn, last - pfn + 1);
}

/**
 * iobmd_layout_collect() - the pages a byte range of a descriptor lies in
 * @d: the descriptor; the caller holds a pin
 * @offset: first byte
 * @len: bytes, at least 1, within the descriptor's memory
 * @how: IOBMD_WALK_* for the walk
 * @l: out: the layout, zeroed by the caller; free @l->runs with
 *	iobmd_runs_free(), also after a failure
 *
 * The same rule as a user mapping's: each byte keeps its page offset, so
 * pieces must meet at the same offset in a page, and a page two pieces
 * share must be the same page; every run must have the same cache mode
 * and be of the same sort (RAM, device memory, another exporter's).
 *
 * Return: 0, -EINVAL (pieces that do not line up, or that differ), -EINTR
 * (with IOBMD_WALK_KILLABLE; or a fatal signal while an imported dma-buf's
 * lock is waited for), -ERESTARTSYS (a signal while its exporter's fences
 * are waited for) or -ENOMEM.
 */
int iobmd_layout_collect(struct iobmd_desc *d, u64 offset, u64 len,
			 unsigned int how, struct iobmd_layout *l)
{
	return d->ops->walk(d, offset, len, how, iobmd_layout_run, l);
}

/* RAM only: uncached is the DMA API's uncached RAM (see mmap.c). */
static pgprot_t iobmd_kernel_prot(unsigned int cache)
{
	if (cache == IOBMD_CACHE_INHIBIT)
		return pgprot_dmacoherent(PAGE_KERNEL);
	if (cache == IOBMD_CACHE_WRITE_COMBINE)
		return pgprot_writecombine(PAGE_KERNEL);
	return PAGE_KERNEL;
}

/**
 * iobmd_pages_vmap() - map pages of RAM into the kernel, in a row
 * @pages: the pages, of RAM the module may map
 * @n: how many
 * @cache: IOBMD_CACHE_* of the memory
 *
 * Charges no memory cgroup: vmap()'s own allocations are not accounted.
 *
 * Return: the kernel address of the first page, for vunmap(); or NULL (no
 * memory).
 */
void *iobmd_pages_vmap(struct page **pages, unsigned long n,
		       unsigned int cache)
{
	return vmap(pages, n, VM_MAP, iobmd_kernel_prot(cache));
}

/**
 * iobmd_layout_vmap() - map a layout of RAM into the kernel
 * @l: the layout, of RAM the module may map (neither device memory nor
 *	another exporter's)
 *
 * Return: the kernel address of the layout's first page, with the
 * memory's cache mode, for vunmap(); or NULL (no memory).
 */
void *iobmd_layout_vmap(const struct iobmd_layout *l)
{
	const struct iobmd_runs *r = &l->runs;
	struct page **pages;
	unsigned long k, i, n = 0;
	void *addr;

	pages = kvmalloc_array(r->npages, sizeof(*pages),
			       GFP_KERNEL | __GFP_NOWARN);
	if (!pages)
		return NULL;
	for (k = 0; k < r->n; k++) {
		unsigned long end = k + 1 < r->n ? r->v[k + 1].first :
						   r->npages;

		for (i = r->v[k].first; i < end; i++)
			pages[n++] = pfn_to_page(r->v[k].pfn + i - r->v[k].first);
	}
	addr = iobmd_pages_vmap(pages, n, l->cache);
	kvfree(pages);
	return addr;
}

/**
 * iobmd_desc_vmap() - map a descriptor's memory into the kernel
 * @d: the descriptor; RAM only (device memory: -EOPNOTSUPP)
 *
 * Pins the memory (pinning user memory: call it from the creating
 * process), then maps its pages contiguously with the memory's cache mode.
 * Undo with iobmd_desc_vunmap().
 *
 * Return: the kernel address of the descriptor's first byte, or
 * ERR_PTR(-EOPNOTSUPP) for device memory or memory imported from another
 * exporter, -EINVAL for pieces whose page offsets do not line up or that
 * differ in cache mode, -ENODATA for length 0, -ENOMEM, -ERESTARTSYS or
 * -EINTR (a signal while an imported piece waited for its exporter; the
 * call that led here may be restarted), or the error of pinning user
 * memory.
 */
void *iobmd_desc_vmap(struct iobmd_desc *d)
{
	struct iobmd_layout l = { };
	u64 extent = iobmd_desc_extent(d);
	void *addr;
	int ret;

	if (!extent)
		return ERR_PTR(-ENODATA);
	ret = iobmd_desc_pin(d, IOBMD_PIN_WRITE);
	if (ret)
		return ERR_PTR(ret);
	ret = iobmd_layout_collect(d, 0, extent, IOBMD_WALK_ADDR, &l);
	if (!ret && l.flags & (IOBMD_RUN_IOMEM | IOBMD_RUN_FOREIGN))
		ret = -EOPNOTSUPP;
	addr = NULL;
	if (!ret) {
		addr = iobmd_layout_vmap(&l);
		if (!addr)
			ret = -ENOMEM;
	}
	iobmd_runs_free(&l.runs);
	if (ret) {
		iobmd_desc_unpin(d);
		return ERR_PTR(ret);
	}
	return addr + l.first;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_vmap, IOBMD_NS);

/**
 * iobmd_desc_vunmap() - undo iobmd_desc_vmap()
 * @d: the descriptor
 * @addr: what iobmd_desc_vmap() returned
 */
void iobmd_desc_vunmap(struct iobmd_desc *d, void *addr)
{
	vunmap((void *)((unsigned long)addr & PAGE_MASK));
	iobmd_desc_unpin(d);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_vunmap, IOBMD_NS);

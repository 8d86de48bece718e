// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: DMA tables (scatterlists) of whole pages: built from an array of
 * pages (non-contiguous buffers) or from a list of runs (runs.c), mapped,
 * walked, synced and unmapped; and walking an array of pages by physically
 * contiguous run.
 */
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/uaccess.h>

#include "iobmd_priv.h"

/**
 * iobmd_pages_walk() - report the physically contiguous runs of a byte
 * range of a page list
 * @pages: the pages
 * @pos: first byte, counted from the start of the first page
 * @len: bytes
 * @tmpl: flags and cache mode for every run
 * @fn: called for each run
 * @arg: passed to @fn
 *
 * Return: 0 or what @fn returned.
 */
int __iobmd_hot iobmd_pages_walk(struct page **pages, u64 pos, u64 len,
				 const struct iobmd_run *tmpl, iobmd_run_fn fn,
				 void *arg)
{
	struct iobmd_run run = *tmpl;
	int ret;

	while (len) {
		unsigned long idx = pos >> PAGE_SHIFT;
		struct page *first = pages[idx];
		unsigned long pfn = page_to_pfn(first);
		u64 start = offset_in_page(pos);

		run.len = min_t(u64, PAGE_SIZE - start, len);
		/* Extend the run over pages that follow in physical memory. */
		while (run.len < len && page_to_pfn(pages[idx + 1]) == pfn + 1) {
			idx++;
			pfn++;
			run.len = min_t(u64, run.len + PAGE_SIZE, len);
		}
		run.addr = page_to_phys(first) + start;
		run.kaddr = page_address(first) + start;
		cond_resched();
		ret = fn(arg, &run);
		if (ret)
			return ret;
		pos += run.len;
		len -= run.len;
	}
	return 0;
}

/**
 * iobmd_usercopy() - copy between kernel memory of a run and user memory
 * @kaddr: the run's kernel address
 * @ubuf: the user address
 * @len: bytes
 * @to_user: from @kaddr to @ubuf, else the other way
 *
 * Runs join physically adjacent pages, which may belong to different
 * folios, and hardened usercopy refuses a copy that leaves the large folio
 * it starts in: the copy goes folio by folio.
 *
 * Return: 0 or -EFAULT.
 */
int iobmd_usercopy(void *kaddr, u8 __user *ubuf, u64 len, bool to_user)
{
	struct folio *folio;
	u64 n;

	while (len) {
		n = len;
		if (virt_addr_valid(kaddr)) {
			folio = virt_to_folio(kaddr);
			if (folio_test_large(folio))
				n = min_t(u64, n, folio_size(folio) -
					  (kaddr - folio_address(folio)));
		}
		if (to_user ? copy_to_user(ubuf, kaddr, n) :
			      copy_from_user(kaddr, ubuf, n))
			return -EFAULT;
		kaddr += n;
		ubuf += n;
		len -= n;
	}
	return 0;
}

/* The end of the run of contiguous pages starting at @i, at most @max long. */
static unsigned long iobmd_sgt_run_end(struct page **pages, unsigned long i,
				       unsigned long n, unsigned long max)
{
	unsigned long pfn = page_to_pfn(pages[i]), j = i + 1;

	while (j < n && j - i < max && page_to_pfn(pages[j]) == pfn + (j - i))
		j++;
	return j;
}

/*
 * One table entry per physically contiguous run of @pages, each at most
 * @max pages: sg_alloc_table_from_pages_segment() without reading every
 * struct page (it checks each pair for ZONE_DEVICE memory, which none of
 * these pages is), which cost a large pin as much as pinning it.
 */
static int iobmd_sgt_build(struct sg_table *sgt, struct page **pages,
			   unsigned long npages, unsigned long max)
{
	struct scatterlist *sg;
	unsigned int nents = 0;
	unsigned long i, j;
	int ret;

	for (i = 0; i < npages; i = j) {
		j = iobmd_sgt_run_end(pages, i, npages, max);
		nents++;
	}
	ret = sg_alloc_table(sgt, nents, GFP_KERNEL);
	if (ret)
		return ret;
	sg = sgt->sgl;
	for (i = 0; i < npages; i = j) {
		j = iobmd_sgt_run_end(pages, i, npages, max);
		sg_set_page(sg, pages[i], (j - i) << PAGE_SHIFT, 0);
		sg = sg_next(sg);
	}
	return 0;
}

/**
 * iobmd_sgt_max_pages() - the longest table entry a device takes
 * @dev: the device it is mapped for
 *
 * Return: pages, at least 1: no entry longer than the device's segments,
 * its bounce buffers or a scatterlist entry's length.
 */
unsigned long iobmd_sgt_max_pages(struct device *dev)
{
	size_t max = min3(dma_max_mapping_size(dev),
			  (size_t)dma_get_max_seg_size(dev), (size_t)UINT_MAX);

	return max_t(size_t, max >> PAGE_SHIFT, 1);
}

/**
 * iobmd_dma_reach() - the highest physical address a device reaches
 * without bounce buffers
 * @dev: the device
 *
 * Behind an IOMMU that translates, any: its IOVAs are within the device's
 * mask wherever the memory lies.  Else (no IOMMU, or one that passes
 * through) its DMA mask and bus limit: the DMA API would bounce memory
 * above them through swiotlb, which may itself lie beyond the device's
 * reach, and then warns.  iobmd places memory where devices reach it (the
 * physical mask) and does not bounce.
 *
 * Return: the address.
 */
u64 iobmd_dma_reach(struct device *dev)
{
	/*
	 * Physical addresses are compared with the mask, which holds where
	 * DMA addresses equal them (x86; not behind dma-ranges offsets).
	 */
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);

	if (dom && dom->type & __IOMMU_DOMAIN_PAGING)
		return U64_MAX;
	return min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
}

/**
 * iobmd_sgt_map_table() - DMA-map a filled table of whole pages
 * @sgt: the table; iobmd_sgt_unmap() frees it
 * @dev: the device it is mapped for
 * @dir: enum dma_data_direction
 *
 * The same pages may be mapped by several descriptors at once (two over
 * the same user memory, a multi holding one buffer twice), which the DMA
 * API allows only without its own CPU syncs: they are done here instead,
 * once the pages are mapped and before they are unmapped.
 *
 * Return: 0, -ERANGE (pages beyond iobmd_dma_reach()) or -ENOMEM (the
 * DMA API cannot map the pages: out of IOVA space); on failure the table
 * is freed.
 */
int iobmd_sgt_map_table(struct sg_table *sgt, struct device *dev, int dir)
{
	u64 reach = iobmd_dma_reach(dev);
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(sgt, sg, i) {
		if (sg_phys(sg) + sg->length - 1 > reach) {
			sg_free_table(sgt);
			return -ERANGE;
		}
	}
	if (dma_map_sgtable(dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC)) {
		sg_free_table(sgt);
		/* Out of IOVA or bounce space, whatever the DMA API calls it. */
		return -ENOMEM;
	}
	dma_sync_sgtable_for_device(dev, sgt, dir);
	return 0;
}

/**
 * iobmd_sgt_map() - DMA-map a list of whole pages
 * @sgt: the table to fill; iobmd_sgt_unmap() frees it
 * @pages: the pages
 * @npages: how many
 * @dev: the device it is mapped for
 * @dir: enum dma_data_direction
 *
 * Return: 0, -ERANGE or -ENOMEM, as iobmd_sgt_map_table(); on failure
 * nothing is left allocated.
 */
int iobmd_sgt_map(struct sg_table *sgt, struct page **pages,
		  unsigned long npages, struct device *dev, int dir)
{
	int ret;

	ret = iobmd_sgt_build(sgt, pages, npages, iobmd_sgt_max_pages(dev));
	if (ret)
		return ret;
	return iobmd_sgt_map_table(sgt, dev, dir);
}

/**
 * iobmd_sgt_unmap() - undo iobmd_sgt_map() or iobmd_runs_sgt_map()
 * @sgt: the table
 * @dev: the device it was mapped for
 * @dir: the direction it was mapped with
 */
void iobmd_sgt_unmap(struct sg_table *sgt, struct device *dev, int dir)
{
	dma_sync_sgtable_for_cpu(dev, sgt, dir);
	dma_unmap_sgtable(dev, sgt, dir, DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(sgt);
}

/**
 * iobmd_sgt_walk() - report the DMA runs of a byte range of the page list
 * @sgt: a table from iobmd_sgt_map() or iobmd_runs_sgt_map()
 * @offset: first byte, counted from the start of the first page
 * @len: bytes
 * @fn: called for each run, with the DMA address in @run->addr
 * @arg: passed to @fn
 *
 * Return: 0 or what @fn returned.
 */
int iobmd_sgt_walk(struct sg_table *sgt, u64 offset, u64 len,
		   iobmd_run_fn fn, void *arg)
{
	struct iobmd_run run = { };
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 sglen = sg_dma_len(sg);

		if (offset >= sglen) {
			offset -= sglen;
			continue;
		}
		run.addr = sg_dma_address(sg) + offset;
		run.len = min(sglen - offset, len);
		cond_resched();
		ret = fn(arg, &run);
		if (ret)
			return ret;
		len -= run.len;
		offset = 0;
		if (!len)
			break;
	}
	return 0;
}

/**
 * iobmd_sgt_sync() - dma_sync a byte range of the page list
 * @sgt: a table from iobmd_sgt_map() or iobmd_runs_sgt_map()
 * @dev: the device it was mapped for
 * @dir: the direction it was mapped with
 * @offset: first byte, counted from the start of the first page
 * @len: bytes
 * @for_device: towards the device, else towards the CPU
 */
void iobmd_sgt_sync(struct sg_table *sgt, struct device *dev, int dir,
		    u64 offset, u64 len, bool for_device)
{
	struct scatterlist *sg;
	dma_addr_t addr;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 sglen = sg_dma_len(sg), n;

		if (offset >= sglen) {
			offset -= sglen;
			continue;
		}
		n = min(sglen - offset, len);
		/*
		 * Entries that need no sync (coherent, not bounced) are left
		 * alone: pages mapped by two descriptors at once have two DMA
		 * API entries there, and DMA-API debugging cannot tell which
		 * one a part of an entry belongs to.
		 */
		addr = sg_dma_address(sg);
		cond_resched();
		if (dma_need_sync(dev, addr) && for_device)
			dma_sync_single_range_for_device(dev, addr, offset, n,
							 dir);
		else if (dma_need_sync(dev, addr))
			dma_sync_single_range_for_cpu(dev, addr, offset, n, dir);
		len -= n;
		offset = 0;
		if (!len)
			break;
	}
}

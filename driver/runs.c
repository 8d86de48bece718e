// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: page lists kept as their physically contiguous runs (general
 * descriptors): built in one pass over the pages as they are pinned, then
 * walked, DMA-mapped and unpinned run by run, never page by page.  The
 * list changes only while its descriptor's pin count goes from 0 to 1 or
 * back (see iobmd_desc_pin()); walks run while it is above 0.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/* Single-page runs unpinned per call (iobmd_runs_unpin()): on the stack. */
#define IOBMD_RUNS_UNPIN_BATCH	32

/* Pages in run @k. */
static unsigned long iobmd_runs_len(const struct iobmd_runs *r, unsigned long k)
{
	return (k + 1 < r->n ? r->v[k + 1].first : r->npages) - r->v[k].first;
}

/**
 * iobmd_runs_next_pfn() - the frame number that would extend the last run
 * @r: the list, not empty
 *
 * Return: the frame number after the list's last page.
 */
unsigned long iobmd_runs_next_pfn(const struct iobmd_runs *r)
{
	return r->v[r->n - 1].pfn + (r->npages - r->v[r->n - 1].first);
}

/**
 * iobmd_runs_reserve() - make room for runs
 * @r: the list
 * @cap: runs it must have room for
 *
 * Return: 0 or -ENOMEM, with @r unchanged.
 */
int iobmd_runs_reserve(struct iobmd_runs *r, unsigned long cap)
{
	struct iobmd_prun *v;

	if (cap <= r->cap)
		return 0;
	/* Charged to the memory cgroup: past its limit ENOMEM, no OOM kill. */
	v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL_ACCOUNT |
			   __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	if (!v)
		return -ENOMEM;
	if (r->n)
		memcpy(v, r->v, r->n * sizeof(*v));
	kvfree(r->v);
	r->v = v;
	r->cap = cap;
	return 0;
}

/* Room for @need runs: doubling, at least 16, at most @max unless @need. */
static int iobmd_runs_grow(struct iobmd_runs *r, unsigned long need,
			   unsigned long max)
{
	if (need <= r->cap)
		return 0;
	return iobmd_runs_reserve(r, clamp(max(r->cap * 2, 16UL), need,
					   max(max, need)));
}

/* Starts a run at frame @pfn after the list's last page; room is there. */
static void iobmd_runs_start(struct iobmd_runs *r, unsigned long pfn)
{
	r->v[r->n].pfn = pfn;
	r->v[r->n].first = r->npages;
	r->n++;
}

/**
 * iobmd_runs_add() - append pages to the list
 * @r: the list
 * @pages: the pages, in list order
 * @n: how many
 * @max: pages the list will hold in the end, so runs it can ever need
 *
 * A page that follows the list's last page in physical memory extends its
 * last run; any other starts a run.  The list grows by doubling, never
 * beyond @max runs.
 *
 * Return: 0 or -ENOMEM, with none of @pages added.
 */
int iobmd_runs_add(struct iobmd_runs *r, struct page **pages, unsigned long n,
		   unsigned long max)
{
	unsigned long i, next = 0;
	int ret;

	struct iobmd_prun *v;
	unsigned long k;

	ret = iobmd_runs_grow(r, r->n + n, max);
	if (ret)
		return ret;
	/* In locals: a pass over every page pinned, kept short. */
	v = r->v;
	k = r->n;
	if (k)
		next = iobmd_runs_next_pfn(r);
	for (i = 0; i < n; i++) {
		unsigned long pfn = page_to_pfn(pages[i]);

		if (pfn != next || !k) {
			v[k].pfn = pfn;
			v[k].first = r->npages + i;
			k++;
		}
		next = pfn + 1;
	}
	r->n = k;
	r->npages += n;
	return 0;
}

/**
 * iobmd_runs_add_range() - append physically contiguous pages to the list
 * @r: the list
 * @pfn: the first page's frame number
 * @n: how many
 *
 * Return: 0 or -ENOMEM, with nothing added.
 */
int iobmd_runs_add_range(struct iobmd_runs *r, unsigned long pfn,
			 unsigned long n)
{
	int ret;

	if (!n)
		return 0;
	if (!r->n || iobmd_runs_next_pfn(r) != pfn) {
		ret = iobmd_runs_grow(r, r->n + 1, ULONG_MAX);
		if (ret)
			return ret;
		iobmd_runs_start(r, pfn);
	}
	r->npages += n;
	return 0;
}

/**
 * iobmd_runs_free() - free the list and empty it
 * @r: the list
 */
void __iobmd_hot iobmd_runs_free(struct iobmd_runs *r)
{
	kvfree(r->v);
	*r = (struct iobmd_runs){ };
}

/**
 * iobmd_runs_unpin() - unpin every page of the list
 * @r: the list of pinned pages
 * @dirty: mark them dirty first
 *
 * One call per run, so that a large folio is dirtied and released once.
 */
void iobmd_runs_unpin(const struct iobmd_runs *r, bool dirty)
{
	struct page *batch[IOBMD_RUNS_UNPIN_BATCH];
	unsigned long k, len;
	unsigned int nb = 0;

	for (k = 0; k < r->n; k++) {
		len = iobmd_runs_len(r, k);
		/* Single pages go in batches: one call for many. */
		if (len == 1) {
			batch[nb++] = pfn_to_page(r->v[k].pfn);
			if (nb < ARRAY_SIZE(batch))
				continue;
			unpin_user_pages_dirty_lock(batch, nb, dirty);
			nb = 0;
			cond_resched();
			continue;
		}
		unpin_user_page_range_dirty_lock(pfn_to_page(r->v[k].pfn), len,
						 dirty);
		if (!(k & 63))
			cond_resched();
	}
	if (nb)
		unpin_user_pages_dirty_lock(batch, nb, dirty);
}

/* The run holding page @idx of the list. */
static unsigned long iobmd_runs_find(const struct iobmd_runs *r,
				     unsigned long idx)
{
	unsigned long lo = 0, hi = r->n - 1;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo + 1) / 2;

		if (r->v[mid].first <= idx)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/**
 * iobmd_runs_walk() - report the runs of a byte range of the list
 * @r: the list
 * @pos: first byte, counted from the start of the first page
 * @len: bytes; @pos + @len within the list
 * @tmpl: flags and cache mode for every run; with IOBMD_RUN_FOREIGN the
 *	runs have no kernel address
 * @fn: called for each run
 * @arg: passed to @fn
 *
 * Return: 0 or what @fn returned.
 */
int iobmd_runs_walk(const struct iobmd_runs *r, u64 pos, u64 len,
		    const struct iobmd_run *tmpl, iobmd_run_fn fn, void *arg)
{
	struct iobmd_run run = *tmpl;
	unsigned long k;
	int ret;

	if (!len)
		return 0;
	for (k = iobmd_runs_find(r, pos >> PAGE_SHIFT); len; k++) {
		u64 start = pos - ((u64)r->v[k].first << PAGE_SHIFT);
		unsigned long pfn = r->v[k].pfn + (start >> PAGE_SHIFT);

		run.len = min(((u64)iobmd_runs_len(r, k) << PAGE_SHIFT) - start,
			      len);
		run.addr = PFN_PHYS(pfn) + offset_in_page(start);
		/* Another exporter's memory is not the kernel's to address. */
		if (!(run.flags & IOBMD_RUN_FOREIGN))
			run.kaddr = page_address(pfn_to_page(pfn)) +
				    offset_in_page(start);
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
 * iobmd_runs_sgt_map() - DMA-map the list
 * @sgt: the table to fill; iobmd_sgt_unmap() frees it
 * @r: the list
 * @dev: the device it is mapped for
 * @dir: enum dma_data_direction
 *
 * One table entry per run, split where it is longer than @dev takes.
 *
 * Return: 0, -ERANGE (beyond iobmd_dma_reach()) or -ENOMEM, with nothing
 * left allocated.
 */
int iobmd_runs_sgt_map(struct sg_table *sgt, const struct iobmd_runs *r,
		       struct device *dev, int dir)
{
	unsigned long max = iobmd_sgt_max_pages(dev), nents = 0, k, done, n;
	struct scatterlist *sg;
	int ret;

	for (k = 0; k < r->n; k++)
		nents += DIV_ROUND_UP(iobmd_runs_len(r, k), max);
	if (nents > UINT_MAX)
		return -ENOMEM;
	ret = sg_alloc_table(sgt, nents, GFP_KERNEL);
	if (ret)
		return ret;
	sg = sgt->sgl;
	for (k = 0; k < r->n; k++) {
		for (done = 0; done < iobmd_runs_len(r, k); done += n) {
			n = min(iobmd_runs_len(r, k) - done, max);
			sg_set_page(sg, pfn_to_page(r->v[k].pfn + done),
				    n << PAGE_SHIFT, 0);
			sg = sg_next(sg);
		}
	}
	return iobmd_sgt_map_table(sgt, dev, dir);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IOGeneralMemoryDescriptor, memory that exists already: ranges of
 * the creating process's address space (pinned with FOLL_LONGTERM while
 * pinned, charged to its pinned_vm against RLIMIT_MEMLOCK), or ranges of
 * physical RAM.
 */
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iobmd_priv.h"

/**
 * struct iobmd_general - a general descriptor
 * @desc: the descriptor
 * @physical: the ranges are physical RAM, not user memory
 * @mm: the address space of user ranges, grabbed
 * @count: ranges
 * @ranges: the ranges, in order
 * @first_page: index in the page list (@runs) of each range's first page
 * @npages: pages the ranges touch
 * @runs: the pages, as physically contiguous runs; for user memory only
 *	while pinned: built as desc.pin_count leaves 0 (under desc.pin_lock)
 *	and freed as it returns to 0 (under desc.prep_lock)
 * @sgt: DMA mapping of @runs while prepared; desc.prep_lock
 * @dma_dir: direction of @sgt; desc.prep_lock
 */
struct iobmd_general {
	struct iobmd_desc desc;
	bool physical;
	struct mm_struct *mm;
	u32 count;
	struct iobmd_range *ranges;
	unsigned long *first_page;
	unsigned long npages;
	struct iobmd_runs runs;
	struct sg_table sgt;
	int dma_dir;
};

static struct iobmd_general *iobmd_general_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_general, desc);
}

static unsigned long iobmd_general_range_pages(const struct iobmd_range *r)
{
	return ((r->address + r->length - 1) >> PAGE_SHIFT) -
	       (r->address >> PAGE_SHIFT) + 1;
}

/* Byte @local of range @i, counted from the start of the first page. */
static u64 iobmd_general_list_offset(struct iobmd_general *g, u32 i, u64 local)
{
	return ((u64)g->first_page[i] << PAGE_SHIFT) +
	       offset_in_page(g->ranges[i].address) + local;
}

static int iobmd_general_walk_range(struct iobmd_general *g, u32 i, u64 local,
				    u64 len, iobmd_run_fn fn, void *arg)
{
	const struct iobmd_run run = { };

	return iobmd_runs_walk(&g->runs, iobmd_general_list_offset(g, i, local),
			       len, &run, fn, arg);
}

static int iobmd_general_walk(struct iobmd_desc *d, u64 offset, u64 len,
			      unsigned int how, iobmd_run_fn fn, void *arg)
{
	struct iobmd_general *g = iobmd_general_of(d);
	int ret = 0;
	u32 i;

	for (i = 0; i < g->count && len; i++) {
		u64 rlen = g->ranges[i].length, n;

		if (offset >= rlen) {
			offset -= rlen;
			continue;
		}
		n = min(rlen - offset, len);
		if (how & IOBMD_WALK_DMA)
			ret = iobmd_sgt_walk(&g->sgt,
					     iobmd_general_list_offset(g, i, offset),
					     n, fn, arg);
		else
			ret = iobmd_general_walk_range(g, i, offset, n, fn, arg);
		if (ret)
			return ret;
		len -= n;
		offset = 0;
	}
	return 0;
}

static bool iobmd_general_wired(struct iobmd_desc *d)
{
	return iobmd_general_of(d)->physical;
}

/*
 * Charge the pages to the process's pinned_vm against RLIMIT_MEMLOCK, as
 * RDMA and VFIO pinning do: no mmap_lock, so unpinning is safe from
 * munmap().
 */
static int iobmd_general_charge(struct iobmd_general *g)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 pinned = atomic64_add_return(g->npages, &g->mm->pinned_vm);

	if (pinned > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(g->npages, &g->mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

/* Pages pinned per call: the batch is a page of page pointers. */
#define IOBMD_PIN_BATCH	(PAGE_SIZE / sizeof(struct page *))

/*
 * Pin range @i into @g->runs through @batch; on failure, what was pinned
 * is in @g->runs.  A full first batch sizes the list for the whole
 * descriptor, as if the rest were as contiguous; the list grows as needed
 * when that guess is short or could not be had.
 */
static int iobmd_general_pin_range(struct iobmd_general *g, u32 i,
				   unsigned int gup, struct page **batch)
{
	unsigned long start = g->ranges[i].address & PAGE_MASK;
	unsigned long n = iobmd_general_range_pages(&g->ranges[i]);
	unsigned long got = 0, hint;
	int ret;

	while (got < n) {
		int nr = min_t(unsigned long, n - got, IOBMD_PIN_BATCH);

		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		ret = pin_user_pages_fast(start + (got << PAGE_SHIFT), nr, gup,
					  batch);
		if (ret <= 0)
			return ret ?: -EFAULT;
		nr = ret;
		ret = iobmd_runs_add(&g->runs, batch, nr, g->npages);
		if (ret) {
			unpin_user_pages(batch, nr);
			return ret;
		}
		got += nr;
		if (g->runs.npages == IOBMD_PIN_BATCH) {
			hint = DIV_ROUND_UP(g->runs.n * g->npages,
					    g->runs.npages);
			iobmd_runs_reserve(&g->runs, min(hint + 1, g->npages));
		}
	}
	return 0;
}

static int iobmd_general_pin(struct iobmd_desc *d, unsigned int flags)
{
	struct iobmd_general *g = iobmd_general_of(d);
	unsigned int gup = FOLL_LONGTERM;
	struct page **batch;
	int ret = 0;
	u32 i;

	if (g->physical)
		return 0;
	if (flags & IOBMD_PIN_NOFAULT)
		return -ENODATA;
	if (flags & IOBMD_PIN_WRITE)
		gup |= FOLL_WRITE;
	if (current->mm != g->mm)
		return -EPERM;
	/* Ranges can span more pages than exist; their list cannot. */
	if (g->npages > totalram_pages())
		return -ENOMEM;
	ret = iobmd_general_charge(g);
	if (ret)
		return ret;
	batch = kmalloc_array(min_t(unsigned long, g->npages, IOBMD_PIN_BATCH),
			      sizeof(*batch), GFP_KERNEL);
	if (!batch) {
		ret = -ENOMEM;
		goto err_unaccount;
	}
	for (i = 0; i < g->count && !ret; i++)
		ret = iobmd_general_pin_range(g, i, gup, batch);
	kfree(batch);
	if (ret)
		goto err_unpin;
	atomic64_add((u64)g->npages << PAGE_SHIFT, &iobmd_stats.pinned_bytes);
	return 0;

err_unpin:
	iobmd_runs_unpin(&g->runs, false);
	iobmd_runs_free(&g->runs);
err_unaccount:
	atomic64_sub(g->npages, &g->mm->pinned_vm);
	return ret;
}

static void iobmd_general_unpin(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);

	if (g->physical)
		return;
	iobmd_runs_unpin(&g->runs, d->pin_write);
	iobmd_runs_free(&g->runs);
	atomic64_sub(g->npages, &g->mm->pinned_vm);
	atomic64_sub((u64)g->npages << PAGE_SHIFT, &iobmd_stats.pinned_bytes);
}

static int iobmd_general_dma_map(struct iobmd_desc *d, struct device *dev,
				 u32 direction)
{
	struct iobmd_general *g = iobmd_general_of(d);

	g->dma_dir = iobmd_dma_dir(direction);
	return iobmd_runs_sgt_map(&g->sgt, &g->runs, dev, g->dma_dir);
}

static void iobmd_general_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);

	iobmd_sgt_unmap(&g->sgt, d->dma_dev, g->dma_dir);
}

static void iobmd_general_dma_sync(struct iobmd_desc *d, u64 offset, u64 len,
				   bool for_device)
{
	struct iobmd_general *g = iobmd_general_of(d);
	u32 i;

	for (i = 0; i < g->count && len; i++) {
		u64 rlen = g->ranges[i].length, n;

		if (offset >= rlen) {
			offset -= rlen;
			continue;
		}
		n = min(rlen - offset, len);
		iobmd_sgt_sync(&g->sgt, d->dma_dev, g->dma_dir,
			       iobmd_general_list_offset(g, i, offset), n,
			       for_device);
		len -= n;
		offset = 0;
	}
}

static void iobmd_general_release(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);

	if (g->physical)
		iobmd_runs_free(&g->runs);
	if (g->mm)
		mmdrop(g->mm);
	kfree(g->first_page);
	kfree(g->ranges);
	kfree(g);
}

static const struct iobmd_desc_ops iobmd_general_ops = {
	.walk = iobmd_general_walk,
	.wired = iobmd_general_wired,
	.pin = iobmd_general_pin,
	.unpin = iobmd_general_unpin,
	.dma_map = iobmd_general_dma_map,
	.dma_unmap = iobmd_general_dma_unmap,
	.dma_sync = iobmd_general_dma_sync,
	.release = iobmd_general_release,
};

/* Physical ranges are RAM with struct pages; list them once. */
static int iobmd_general_physical_pages(struct iobmd_general *g)
{
	unsigned long pfn, n, j;
	int ret;
	u32 i;

	for (i = 0; i < g->count; i++) {
		const struct iobmd_range *r = &g->ranges[i];

		if (region_intersects(r->address, r->length,
				      IORESOURCE_SYSTEM_RAM,
				      IORES_DESC_NONE) != REGION_INTERSECTS)
			return -EINVAL;
	}
	/* Ranges may name the same RAM again, but not more of it than exists. */
	if (g->npages > totalram_pages())
		return -ENOMEM;
	for (i = 0; i < g->count; i++) {
		pfn = PHYS_PFN(g->ranges[i].address);
		n = iobmd_general_range_pages(&g->ranges[i]);
		for (j = 0; j < n; j++) {
			if (!pfn_valid(pfn + j))
				return -EINVAL;
			if (!(j % IOBMD_PIN_BATCH))
				cond_resched();
		}
		ret = iobmd_runs_add_range(&g->runs, pfn, n);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * iobmd_general_create() - withAddressRanges / withPhysicalAddress
 * @ranges: the ranges; the descriptor keeps a copy
 * @count: how many
 * @direction: IOBMD_DIRECTION_*
 * @physical: the ranges are physical RAM rather than the current process's
 *	memory
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) (empty or
 * wrapping range, physical range not all RAM), -EFAULT (user range outside
 * the address space), -EOVERFLOW, -ENOMEM (also physical ranges that name
 * more pages, counting repeats, than the system has).
 */
struct iobmd_desc *iobmd_general_create(const struct iobmd_range *ranges,
					u32 count, u32 direction, bool physical)
{
	struct iobmd_general *g;
	u64 length = 0, end;
	int ret = -ENOMEM;
	u32 i;

	if (!count || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return ERR_PTR(-ENOMEM);
	g->ranges = kmemdup(ranges, count * sizeof(*ranges), GFP_KERNEL_ACCOUNT);
	if (!g->ranges)
		goto err_free;
	g->count = count;
	g->physical = physical;
	g->first_page = kcalloc(count, sizeof(*g->first_page),
				GFP_KERNEL_ACCOUNT);
	if (!g->first_page)
		goto err_free;

	for (i = 0; i < count; i++) {
		const struct iobmd_range *r = &g->ranges[i];

		ret = -EINVAL;
		if (!r->length || check_add_overflow(r->address, r->length, &end))
			goto err_free;
		ret = -EFAULT;
		if (!physical &&
		    !access_ok(u64_to_user_ptr(r->address), r->length))
			goto err_free;
		ret = -EOVERFLOW;
		if (check_add_overflow(length, r->length, &length))
			goto err_free;
		g->first_page[i] = g->npages;
		g->npages += iobmd_general_range_pages(r);
	}

	if (physical) {
		ret = iobmd_general_physical_pages(g);
		if (ret)
			goto err_free;
	} else {
		g->mm = current->mm;
		mmgrab(g->mm);
	}
	iobmd_desc_init(&g->desc, &iobmd_general_ops, IOBMD_KIND_GENERAL,
			length, direction, 1);
	return &g->desc;

err_free:
	iobmd_runs_free(&g->runs);
	kfree(g->first_page);
	kfree(g->ranges);
	kfree(g);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(iobmd_general_create, IOBMD);

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
 * @first_page: index in @pages of each range's first page
 * @npages: pages the ranges touch
 * @pages: the pages; for user memory only while pinned (desc.prep_lock)
 * @sgt: DMA mapping of @pages while prepared; desc.prep_lock
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
	struct page **pages;
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

	return iobmd_pages_walk(g->pages, iobmd_general_list_offset(g, i, local),
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

static int iobmd_general_pin(struct iobmd_desc *d, unsigned int flags)
{
	struct iobmd_general *g = iobmd_general_of(d);
	unsigned int gup = FOLL_LONGTERM;
	unsigned long done = 0;
	int ret;
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
	/* Past the memory cgroup's limit: ENOMEM, not its OOM killer. */
	g->pages = kvmalloc_array(g->npages, sizeof(*g->pages),
				  GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
				  __GFP_NOWARN);
	if (!g->pages) {
		ret = -ENOMEM;
		goto err_unaccount;
	}

	for (i = 0; i < g->count; i++) {
		unsigned long start = g->ranges[i].address & PAGE_MASK;
		unsigned long n = iobmd_general_range_pages(&g->ranges[i]);
		unsigned long got = 0;

		while (got < n) {
			int nr = min_t(unsigned long, n - got, INT_MAX >> PAGE_SHIFT);

			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				goto err_unpin;
			}
			ret = pin_user_pages_fast(start + (got << PAGE_SHIFT), nr,
						  gup, g->pages + done);
			if (ret <= 0) {
				ret = ret ?: -EFAULT;
				goto err_unpin;
			}
			got += ret;
			done += ret;
		}
	}
	atomic64_add((u64)g->npages << PAGE_SHIFT, &iobmd_stats.pinned_bytes);
	return 0;

err_unpin:
	unpin_user_pages(g->pages, done);
	kvfree(g->pages);
	g->pages = NULL;
err_unaccount:
	atomic64_sub(g->npages, &g->mm->pinned_vm);
	return ret;
}

/*
 * Unpin (and dirty, after writable pins) run by physically contiguous run,
 * so that large folios are dirtied and released once, not page by page.
 */
static void iobmd_general_unpin_pages(struct iobmd_general *g, bool dirty)
{
	unsigned long i = 0, n;

	while (i < g->npages) {
		for (n = 1; i + n < g->npages &&
		     page_to_pfn(g->pages[i + n]) == page_to_pfn(g->pages[i]) + n;
		     n++)
			;
		unpin_user_page_range_dirty_lock(g->pages[i], n, dirty);
		i += n;
	}
}

static void iobmd_general_unpin(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);

	if (g->physical)
		return;
	iobmd_general_unpin_pages(g, d->pin_write);
	kvfree(g->pages);
	g->pages = NULL;
	atomic64_sub(g->npages, &g->mm->pinned_vm);
	atomic64_sub((u64)g->npages << PAGE_SHIFT, &iobmd_stats.pinned_bytes);
}

static int iobmd_general_dma_map(struct iobmd_desc *d, struct device *dev,
				 u32 direction)
{
	struct iobmd_general *g = iobmd_general_of(d);

	g->dma_dir = iobmd_dma_dir(direction);
	return iobmd_sgt_map(&g->sgt, g->pages, g->npages, dev, g->dma_dir);
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
		kvfree(g->pages);
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
	unsigned long n = 0, j;
	u32 i;

	for (i = 0; i < g->count; i++) {
		const struct iobmd_range *r = &g->ranges[i];

		if (region_intersects(r->address, r->length,
				      IORESOURCE_SYSTEM_RAM,
				      IORES_DESC_NONE) != REGION_INTERSECTS)
			return -EINVAL;
	}
	g->pages = kvmalloc_array(g->npages, sizeof(*g->pages),
				  GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
				  __GFP_NOWARN);
	if (!g->pages)
		return -ENOMEM;
	for (i = 0; i < g->count; i++) {
		unsigned long pfn = PHYS_PFN(g->ranges[i].address);

		for (j = 0; j < iobmd_general_range_pages(&g->ranges[i]); j++) {
			if (!pfn_valid(pfn + j))
				return -EINVAL;
			g->pages[n++] = pfn_to_page(pfn + j);
		}
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
 * the address space), -EOVERFLOW, -ENOMEM.
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
	kvfree(g->pages);
	kfree(g->first_page);
	kfree(g->ranges);
	kfree(g);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(iobmd_general_create, IOBMD);

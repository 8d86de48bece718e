// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IOBufferMemoryDescriptor, memory the descriptor allocates itself
 * from the page allocator, placed by physical address as IOKit's physical
 * mask and alignment demand.  Every buffer is a list of pages the module
 * owns: contiguous ones are simply pages that follow each other (see
 * contig.c), so both kinds walk, map into processes (page-backed) and map
 * for a device's DMA the same way.
 */
#include <linux/capability.h>
#include <linux/cc_platform.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

#include "iobmd_priv.h"

/* Chunk orders tried from high to low; a failed order is not tried again. */
static const unsigned int iobmd_buffer_orders[] = { 9, 4, 0 };

#define IOBMD_BUFFER_HIGH_ORDER_GFP \
	((GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY | __GFP_COMP) & \
	 ~__GFP_RECLAIM)
#define IOBMD_BUFFER_ORDER0_GFP \
	(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

static __iobmd_hot struct iobmd_buffer *iobmd_buffer_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_buffer, desc);
}

static int __iobmd_hot iobmd_buffer_walk(struct iobmd_desc *d, u64 offset,
					 u64 len, unsigned int how,
					 iobmd_run_fn fn, void *arg)
{
	struct iobmd_buffer *b = iobmd_buffer_of(d);
	struct iobmd_run run = { .cache = b->cache, .flags = IOBMD_RUN_PAGES };

	if (how & IOBMD_WALK_DMA)
		return iobmd_sgt_walk(&b->sgt, offset, len, fn, arg);
	return iobmd_pages_walk(b->pages, offset, len, &run, fn, arg);
}

static int iobmd_buffer_dma_map(struct iobmd_desc *d, struct device *dev,
				u32 direction)
{
	struct iobmd_buffer *b = iobmd_buffer_of(d);

	if (!dev)
		return 0;
	b->dma_dir = iobmd_dma_dir(direction);
	return iobmd_sgt_map(&b->sgt, b->pages, b->npages, dev, b->dma_dir);
}

static void iobmd_buffer_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_buffer *b = iobmd_buffer_of(d);

	if (d->dma_dev)
		iobmd_sgt_unmap(&b->sgt, d->dma_dev, b->dma_dir);
}

static void iobmd_buffer_dma_sync(struct iobmd_desc *d, u64 offset, u64 len,
				  bool for_device)
{
	struct iobmd_buffer *b = iobmd_buffer_of(d);

	iobmd_sgt_sync(&b->sgt, d->dma_dev, b->dma_dir, offset, len,
		       for_device);
}

static u64 __iobmd_hot iobmd_buffer_extent(struct iobmd_desc *d)
{
	return iobmd_buffer_of(d)->capacity;
}

static u64 iobmd_buffer_phys_limit(struct iobmd_desc *d)
{
	return iobmd_buffer_of(d)->limit;
}

static void __iobmd_hot iobmd_buffer_free_list(struct iobmd_buffer *b)
{
	if (b->pages != &b->one)
		kvfree(b->pages);
	b->pages = NULL;
}

/*
 * @count pages from @page: one compound page from the page allocator, or
 * pages placed by physical address, each with its own reference.
 */
static __always_inline void iobmd_buffer_free_chunk(struct page *page,
						    unsigned long count)
{
	if (PageCompound(page))
		__free_pages(page, compound_order(page));
	else if (count == 1)
		__free_page(page);
	else
		iobmd_contig_free(page, count);
}

/* Frees the first @n pages: whole chunks, each a compound page or one page. */
static void __iobmd_hot iobmd_buffer_free_pages(struct iobmd_buffer *b,
						unsigned long n)
{
	unsigned long i = 0;
	unsigned int order;

	while (i < n) {
		order = compound_order(b->pages[i]);
		iobmd_buffer_free_chunk(b->pages[i], 1UL << order);
		i += 1UL << order;
		cond_resched();
	}
	iobmd_buffer_free_list(b);
}

static __always_inline void iobmd_buffer_free_memory(struct iobmd_buffer *b)
{
	/* One page: one chunk, and the list is the buffer's own. */
	if (b->npages == 1 && !b->contiguous) {
		iobmd_buffer_free_chunk(b->one, 1);
		b->pages = NULL;
		return;
	}
	if (b->contiguous) {
		iobmd_contig_free(b->pages[0], b->npages);
		iobmd_buffer_free_list(b);
	} else {
		iobmd_buffer_free_pages(b, b->npages);
	}
}

/*
 * Give the kernel's own mapping of the memory the cache mode the buffer
 * asked for, so that user mappings with that mode never alias it with
 * another one (x86); where the direct map keeps its type (arm64), leave
 * no line of the memory in the cache through it (cache.c).
 */
static int iobmd_buffer_set_cache(struct iobmd_buffer *b, unsigned int cache)
{
#ifdef CONFIG_X86
	unsigned long addr = (unsigned long)page_address(b->pages[0]);
	int n = b->npages;

	/* A contiguous buffer is one range: one memtype, one call. */
	switch (cache) {
	case IOBMD_CACHE_INHIBIT:
		return b->contiguous ? set_memory_uc(addr, n) :
				       set_pages_array_uc(b->pages, n);
	case IOBMD_CACHE_WRITE_COMBINE:
		return b->contiguous ? set_memory_wc(addr, n) :
				       set_pages_array_wc(b->pages, n);
	case IOBMD_CACHE_DEFAULT:
		return b->contiguous ? set_memory_wb(addr, n) :
				       set_pages_array_wb(b->pages, n);
	}
#else
	if (iobmd_cache_alias_supported()) {
		unsigned int i;

		if (b->contiguous) {
			iobmd_cache_sync_alias(page_address(b->pages[0]),
					       (u64)b->npages << PAGE_SHIFT);
			return 0;
		}
		for (i = 0; i < b->npages; i++) {
			iobmd_cache_sync_alias(page_address(b->pages[i]),
					       PAGE_SIZE);
			cond_resched();
		}
		return 0;
	}
#endif
	return cache == IOBMD_CACHE_DEFAULT ? 0 : -EOPNOTSUPP;
}

static __always_inline void iobmd_buffer_count(struct iobmd_buffer *b,
					       int sign)
{
	unsigned int i;

	if (b->contiguous) {
		atomic64_add(sign * (s64)(b->npages << PAGE_SHIFT),
			     &iobmd_stats.coherent_bytes);
		return;
	}
	atomic64_add(sign * (s64)(b->npages << PAGE_SHIFT),
		     &iobmd_stats.page_bytes);
	for (i = 0; i < ARRAY_SIZE(b->zone_bytes); i++)
		if (b->zone_bytes[i])
			atomic64_add(sign * (s64)b->zone_bytes[i],
				     &iobmd_stats.zone_bytes[i]);
}

/*
 * ZONE_DMA memory a user's buffer takes is charged to the user (see
 * iobmd_user_charge_zone_dma()); kernel callers' buffers have no user.
 */
static int __iobmd_hot iobmd_buffer_charge_zone_dma(struct iobmd_buffer *b,
						    u64 bytes)
{
	int ret;

	if (!b->zone_dma_user)
		return 0;
	ret = iobmd_user_charge_zone_dma(b->zone_dma_user, bytes);
	if (!ret)
		b->zone_dma_charged += bytes;
	return ret;
}

/* Give ZONE_DMA charges back; @held: the buffer holds @zone_dma_user. */
static void __iobmd_hot iobmd_buffer_uncharge_zone_dma(struct iobmd_buffer *b,
						       bool held)
{
	if (!b->zone_dma_user)
		return;
	if (b->zone_dma_charged)
		iobmd_user_uncharge_zone_dma(b->zone_dma_user,
					     b->zone_dma_charged);
	if (held)
		iobmd_user_put(b->zone_dma_user);
	b->zone_dma_user = NULL;
	b->zone_dma_charged = 0;
}

/**
 * iobmd_buffer_release() - free a buffer whose last reference went
 * @d: the buffer's descriptor
 */
void __iobmd_hot iobmd_buffer_release(struct iobmd_desc *d)
{
	struct iobmd_buffer *b = iobmd_buffer_of(d);

	if (b->cache != IOBMD_CACHE_DEFAULT)
		iobmd_buffer_set_cache(b, IOBMD_CACHE_DEFAULT);
	iobmd_buffer_count(b, -1);
	iobmd_buffer_free_memory(b);
	iobmd_buffer_uncharge_zone_dma(b, true);
	kfree(b);
}

static const struct iobmd_desc_ops iobmd_buffer_ops = {
	.walk = iobmd_buffer_walk,
	.dma_map = iobmd_buffer_dma_map,
	.dma_unmap = iobmd_buffer_dma_unmap,
	.dma_sync = iobmd_buffer_dma_sync,
	.extent = iobmd_buffer_extent,
	.phys_limit = iobmd_buffer_phys_limit,
	.release = iobmd_buffer_release,
};

/* Where a page's bytes are counted: ZONE_DMA, ZONE_DMA32, above them. */
static unsigned int __iobmd_hot iobmd_buffer_zone_index(struct page *page)
{
	switch (page_zonenum(page)) {
#ifdef CONFIG_ZONE_DMA
	case ZONE_DMA:
		return 0;
#endif
#ifdef CONFIG_ZONE_DMA32
	case ZONE_DMA32:
		return 1;
#endif
	default:
		return 2;
	}
}

/*
 * Whether every page at or below @limit is ZONE_DMA's: then the whole
 * allocation is charged before anything is allocated.
 */
static bool __iobmd_hot iobmd_buffer_all_zone_dma(u64 limit)
{
	return IS_ENABLED(CONFIG_ZONE_DMA) && iobmd_zone_dma_scarce() &&
	       iobmd_zone_first(limit) == 2;
}

/* The list of the buffer's pages; past the memcg's limit ENOMEM, not OOM. */
static int __iobmd_hot iobmd_buffer_alloc_list(struct iobmd_buffer *b)
{
	if (b->npages == 1) {
		b->pages = &b->one;
		return 0;
	}
	b->pages = kvmalloc_array(b->npages, sizeof(*b->pages),
				  GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL |
				  __GFP_NOWARN);
	return b->pages ? 0 : -ENOMEM;
}

/*
 * Whether pages may be placed below a limit by their physical address
 * (iobmd_contig_place()): no memory cgroup is charged for them, so a user
 * needs CAP_IPC_LOCK, as for large contiguous buffers.  Asked without an
 * audit record: lacking it only means the allocator's offers are all
 * there is.
 */
static bool iobmd_buffer_may_place(const struct iobmd_buffer *b)
{
	return !b->zone_dma_user ||
	       ns_capable_noaudit(&init_user_ns, CAP_IPC_LOCK);
}

/*
 * One chunk of 2^@order zeroed pages at or below @limit from the page
 * allocator, in zone *@zone or the scarcer ones below it.  A chunk it
 * offers above the limit moves the search down a zone; but where the limit
 * lies inside a zone below ZONE_NORMAL (ZONE_DMA32 lies wholly below any
 * limit above 4 GiB, so the search goes there first) and @place, *@above
 * is set instead and NULL returned: the caller places memory below the
 * limit rather than drain a scarcer zone.
 *
 * Return: the chunk, or NULL.
 */
static struct page *__iobmd_hot iobmd_buffer_chunk(unsigned int order,
						   u64 limit,
						   unsigned int *zone,
						   bool place, bool *above)
{
	gfp_t gfp = order ? IOBMD_BUFFER_HIGH_ORDER_GFP :
			    IOBMD_BUFFER_ORDER0_GFP;
	struct page *page;

	for (;;) {
		page = alloc_pages(gfp | iobmd_zone_gfp[*zone] | __GFP_ZERO |
				   __GFP_ACCOUNT, order);
		if (!page ||
		    page_to_phys(page) + (PAGE_SIZE << order) - 1 <= limit)
			return page;
		__free_pages(page, order);
		if (place && *zone) {
			*above = true;
			return NULL;
		}
		if (*zone + 1 == IOBMD_NR_ZONES)
			return NULL;
		(*zone)++;
	}
}

/*
 * Placement: a pageblock below @limit made free by physical address
 * (iobmd_contig_place(); never less than a pageblock, which
 * alloc_contig_range() isolates whatever the size, so a buffer costs one
 * call per pageblock).  The buffer takes its first *@count pages, at most
 * @want, and the rest go back at once.
 */
static struct page *iobmd_buffer_place(u64 limit, unsigned long want,
				       unsigned long *count)
{
	unsigned long block = pageblock_nr_pages, i;
	struct page *page;

	page = iobmd_contig_place(block, (u64)block << PAGE_SHIFT, limit);
	if (IS_ERR(page))
		return page;
	*count = min(want, block);
	for (i = *count; i < block; i++)
		__free_page(page + i);
	return page;
}

/*
 * The buffer takes @count pages from @page as its next ones: ZONE_DMA
 * memory is charged first where it is scarce and not charged already
 * (@prepaid).  On failure the pages go back.
 */
static int __iobmd_hot iobmd_buffer_take(struct iobmd_buffer *b,
					 struct page *page, unsigned long count,
					 bool prepaid, unsigned long *n)
{
	unsigned int zone = iobmd_buffer_zone_index(page);
	unsigned long i;
	int ret;

	if (!prepaid && !zone && iobmd_zone_dma_scarce()) {
		ret = iobmd_buffer_charge_zone_dma(b, (u64)count << PAGE_SHIFT);
		if (ret) {
			iobmd_buffer_free_chunk(page, count);
			return ret;
		}
	}
	b->zone_bytes[zone] += (u64)count << PAGE_SHIFT;
	for (i = 0; i < count; i++)
		b->pages[(*n)++] = page + i;
	return 0;
}

/*
 * Non-contiguous memory: chunks of the highest order that still fits,
 * each at or below @limit (iobmd_buffer_chunk()).  Where the allocator
 * offers memory above a limit inside a zone, the rest of the buffer is
 * placed below it a pageblock at a time (iobmd_buffer_place()), for
 * callers that may have placed memory; when not one pageblock can be
 * placed, the scarcer zones are tried without placement.  Chunks from the
 * page allocator stay compound pages, so that freeing one is one call;
 * placed ones are order-0 pages; all are mapped into processes page by
 * page.  ZONE_DMA chunks are charged to the user where ZONE_DMA is
 * scarce (x86): all of them at once below 16 MiB, else each one the
 * search falls back to ZONE_DMA for.
 */
static int __iobmd_hot iobmd_buffer_alloc_pages(struct iobmd_buffer *b,
						u64 limit)
{
	/* Above 4 GiB any zone will do (iobmd_zone_first()). */
	unsigned int zone = limit > DMA_BIT_MASK(32) ? 0 :
			    iobmd_zone_first(limit);
	/* Only a scarce ZONE_DMA is ever the first (iobmd_zone_first()). */
	bool prepaid = IS_ENABLED(CONFIG_ZONE_DMA) && zone == 2;
	bool place = true, placing = false, above;
	unsigned long n = 0, count;
	unsigned int oi = 0;
	struct page *page;
	int ret;

	if (prepaid) {
		ret = iobmd_buffer_charge_zone_dma(b,
						   (u64)b->npages << PAGE_SHIFT);
		if (ret)
			return ret;
	}

	ret = iobmd_buffer_alloc_list(b);
	if (ret)
		return ret;

	while (n < b->npages) {
		unsigned int order = iobmd_buffer_orders[oi];

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_free;
		}
		if (placing) {
			page = iobmd_buffer_place(limit, b->npages - n, &count);
			if (IS_ERR(page) && PTR_ERR(page) == -ENOMEM) {
				/* Not one pageblock: the scarcer zones' turn. */
				placing = false;
				place = false;
				if (zone + 1 == IOBMD_NR_ZONES) {
					ret = -ENOMEM;
					goto err_free;
				}
				zone++;
				continue;
			}
			if (IS_ERR(page)) {
				ret = PTR_ERR(page);
				goto err_free;
			}
		} else {
			count = 1UL << order;
			if (count > b->npages - n) {
				oi++;
				continue;
			}
			above = false;
			page = iobmd_buffer_chunk(order, limit, &zone, place,
						  &above);
			if (above) {
				place = iobmd_buffer_may_place(b);
				placing = place;
				continue;
			}
			if (!page) {
				if (order) {
					oi++;
					continue;
				}
				ret = -ENOMEM;
				goto err_free;
			}
		}
		ret = iobmd_buffer_take(b, page, count, prepaid, &n);
		if (ret)
			goto err_free;
		cond_resched();
	}
	return 0;

err_free:
	iobmd_buffer_free_pages(b, n);
	return ret;
}

/*
 * Contiguous memory (contig.c).  Where ZONE_DMA is scarce (x86), below
 * 16 MiB the whole buffer is charged to the user's ZONE_DMA budget before
 * anything is allocated, elsewhere when the memory turns out to be
 * ZONE_DMA's.  Blocks beyond the page
 * allocator's largest order are made with alloc_contig_range(), which no
 * memory cgroup is charged for: a user needs CAP_IPC_LOCK for them, as
 * for memory locked beyond its limits.
 */
static int iobmd_buffer_alloc_contig(struct iobmd_buffer *b, u64 limit)
{
	bool prepaid = iobmd_buffer_all_zone_dma(limit);
	bool large = iobmd_contig_large(b->npages, b->alignment);
	u64 bytes = (u64)b->npages << PAGE_SHIFT, block = bytes;
	struct page *page;
	unsigned long i;
	int ret;

	if (b->zone_dma_user && large && !capable(CAP_IPC_LOCK))
		return -EPERM;
	/* The whole block is taken for a moment: it must fit the budget. */
	if (!large)
		block = PAGE_SIZE << get_order(max(bytes, b->alignment));
	if (prepaid) {
		ret = iobmd_buffer_charge_zone_dma(b, block);
		if (ret)
			return ret;
	}
	ret = iobmd_buffer_alloc_list(b);
	if (ret)
		return ret;
	page = iobmd_contig_alloc(b->npages, b->alignment, limit,
				  iobmd_buffer_may_place(b));
	if (IS_ERR(page)) {
		ret = PTR_ERR(page);
		goto err_pages;
	}
	if (!prepaid && !iobmd_buffer_zone_index(page) &&
	    iobmd_zone_dma_scarce()) {
		ret = iobmd_buffer_charge_zone_dma(b, bytes);
		if (ret) {
			iobmd_contig_free(page, b->npages);
			goto err_pages;
		}
	}
	/* The rest of the block went back: only the pages stay charged. */
	if (prepaid && b->zone_dma_user && block > bytes) {
		iobmd_user_uncharge_zone_dma(b->zone_dma_user, block - bytes);
		b->zone_dma_charged -= block - bytes;
	}
	for (i = 0; i < b->npages; i++)
		b->pages[i] = page + i;
	b->contiguous = true;
	return 0;

err_pages:
	iobmd_buffer_free_list(b);
	return ret;
}

/*
 * IOKit's initWithPhysicalMask: derive alignment, highest address, capacity
 * and contiguity from the request (iokit-semantics §2).
 */
static int __iobmd_hot iobmd_buffer_derive(const struct iobmd_buffer_spec *spec,
					   struct iobmd_buffer *b, u64 *limit)
{
	u64 alignment = spec->alignment ?: 1;
	u64 capacity = spec->capacity;
	u32 options = spec->options;

	if (options & ~IOBMD_BUFFER_OPTIONS)
		return -EINVAL;
	if (!capacity)
		return -EINVAL;
	/* ClearEncrypt holds only where no memory is encrypted. */
	if (options & IOBMD_OPT_CLEAR_ENCRYPT &&
	    cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		return -EOPNOTSUPP;
	if (alignment > PAGE_SIZE && !is_power_of_2(alignment))
		return -EINVAL;

	*limit = U64_MAX;
	if (spec->phys_mask) {
		if (alignment > 1)
			return -EINVAL;
		alignment = spec->phys_mask & -spec->phys_mask;
		*limit = spec->phys_mask | (alignment - 1);
		if (alignment < PAGE_SIZE)
			alignment = PAGE_SIZE;
	}
	if (options & (IOBMD_OPT_SHARING_MASK | IOBMD_OPT_CACHE_MASK))
		alignment = max_t(u64, alignment, PAGE_SIZE);
	/* Whole pages back every buffer: their count must not wrap. */
	if (capacity > U64_MAX - PAGE_SIZE)
		return -E2BIG;
	if (alignment >= PAGE_SIZE)
		capacity = PAGE_ALIGN(capacity);
	if (alignment > PAGE_SIZE)
		options |= IOBMD_OPT_PHYSICALLY_CONTIGUOUS;
	if (capacity > iobmd_capacity_limit())
		return -E2BIG;
	if (*limit < PAGE_ALIGN(capacity) - 1)
		return -ENOMEM;

	switch (options & IOBMD_OPT_CACHE_MASK) {
	case IOBMD_CACHE_DEFAULT:
	case IOBMD_CACHE_COPYBACK:
	case IOBMD_CACHE_COPYBACK_INNER:
		b->cache = IOBMD_CACHE_DEFAULT;
		break;
	case IOBMD_CACHE_INHIBIT:
	case IOBMD_CACHE_WRITE_COMBINE:
		b->cache = options & IOBMD_OPT_CACHE_MASK;
		break;
	default:
		/* RAM cannot be write-through or posted-write here. */
		return -EOPNOTSUPP;
	}
	b->capacity = capacity;
	b->alignment = alignment;
	b->phys_mask = spec->phys_mask;
	b->limit = *limit;
	/* The memory is wired whatever was asked: Pageable is not in force. */
	b->options = options & ~(IOBMD_DIRECTION_MASK | IOBMD_OPT_PAGEABLE);
	b->npages = PAGE_ALIGN(capacity) >> PAGE_SHIFT;
	return 0;
}

/*
 * Whether @npages may be taken from what the system has available and
 * still leave 1/32 of RAM (at most 1 GiB) to everything else.  A buffer
 * that does not fit fails at once, rather than after reclaiming all it can
 * and leaving other tasks to the OOM killer.  When free pages alone cover
 * the buffer, the reserve and the page allocator's own reserves (which
 * stay well under 1/32 of RAM), it fits without the costlier look at
 * what reclaim could add (si_mem_available()).
 */
static bool __iobmd_hot iobmd_buffer_fits_memory(unsigned long npages)
{
	unsigned long total = totalram_pages();
	unsigned long reserve = min(total / 32, 1UL << (30 - PAGE_SHIFT));
	unsigned long free = global_zone_page_state(NR_FREE_PAGES);
	long avail;

	if (npages < free && free - npages >= reserve + total / 32)
		return true;
	avail = si_mem_available();
	return avail > 0 && npages <= (unsigned long)avail &&
	       (unsigned long)avail - npages >= reserve;
}

/**
 * iobmd_buffer_create() - IOBufferMemoryDescriptor::initWithPhysicalMask
 * @spec: options, capacity, alignment and physical mask
 *
 * The memory is zeroed, charged to the current task's memory cgroup (but
 * for placed memory: iobmd_buffer_with_options()), and lies entirely at
 * or below the highest address the mask allows, on the alignment.  Length
 * starts equal to the capacity.
 *
 * Return: the buffer holding one reference, or ERR_PTR(-EINVAL) for a bad
 * request, -E2BIG above max_capacity, -ENOMEM when no memory meets it,
 * -EDQUOT beyond @spec->user's ZONE_DMA budget, -EINTR on a fatal signal.
 */
__iobmd_hot struct iobmd_buffer *
iobmd_buffer_create(const struct iobmd_buffer_spec *spec)
{
	struct iobmd_buffer *b;
	u64 limit;
	int ret;

	/* A dma-buf's state made with the buffer shares its allocation. */
	b = kzalloc(sizeof(*b) + (spec->export_slot ? iobmd_export_size : 0),
		    GFP_KERNEL_ACCOUNT);
	if (!b)
		return ERR_PTR(-ENOMEM);
	if (spec->export_slot)
		b->export_slot = b + 1;
	/* The caller holds it for the call; the buffer only if charged. */
	b->zone_dma_user = spec->user;
	ret = iobmd_buffer_derive(spec, b, &limit);
	if (ret)
		goto err_free;

	if (!iobmd_buffer_fits_memory(b->npages))
		ret = -ENOMEM;
	else if (b->options & (IOBMD_OPT_PHYSICALLY_CONTIGUOUS |
			       IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS))
		ret = iobmd_buffer_alloc_contig(b, limit);
	else
		ret = iobmd_buffer_alloc_pages(b, limit);
	if (ret) {
		/* A refused budget or privilege, or a kill, is no failure of the allocator's. */
		if (ret != -EDQUOT && ret != -EPERM && ret != -EINTR)
			atomic64_inc(&iobmd_stats.alloc_failures);
		goto err_free;
	}
	if (b->cache != IOBMD_CACHE_DEFAULT) {
		ret = iobmd_buffer_set_cache(b, b->cache);
		if (ret) {
			b->cache = IOBMD_CACHE_DEFAULT;
			iobmd_buffer_free_memory(b);
			goto err_free;
		}
	}
	iobmd_buffer_count(b, 1);
	if (b->zone_dma_charged)
		iobmd_user_hold(b->zone_dma_user);
	else
		b->zone_dma_user = NULL;

	b->purgeable = IOBMD_PURGEABLE_NON_VOLATILE;
	iobmd_desc_init(&b->desc, &iobmd_buffer_ops, IOBMD_KIND_BUFFER,
			b->capacity, spec->options & IOBMD_DIRECTION_MASK, 1);
	return b;

err_free:
	iobmd_buffer_uncharge_zone_dma(b, false);
	kfree(b);
	return ERR_PTR(ret);
}

/**
 * iobmd_buffer_set_length() - setLength(): a length above the capacity is
 * ignored, as IOKit does
 * @b: the buffer
 * @length: the new length
 *
 * Return: 0.
 */
int iobmd_buffer_set_length(struct iobmd_buffer *b, u64 length)
{
	mutex_lock(&b->desc.lock);
	if (length <= b->capacity)
		b->desc.length = length;
	mutex_unlock(&b->desc.lock);
	return 0;
}

struct iobmd_buffer_src {
	const u8 __user *ubuf;
};

/* Bytes copied or zero-filled between two chances to reschedule. */
#define IOBMD_BUFFER_CHUNK	SZ_1M

static int iobmd_buffer_append_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_buffer_src *src = arg;
	u8 *p = run->kaddr;
	u64 len = run->len, n;

	for (; len; len -= n, p += n) {
		n = min_t(u64, len, IOBMD_BUFFER_CHUNK);
		if (iobmd_usercopy(p, (u8 __user *)src->ubuf, n, false))
			return -EFAULT;
		src->ubuf += n;
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/**
 * iobmd_buffer_append() - appendBytes()
 * @b: the buffer
 * @buf: user source
 * @len: bytes offered
 * @done: out: bytes appended, min(@len, capacity - length)
 *
 * Truncation is not an error.  On a fault the length does not move.
 *
 * The copy never faults with desc.lock held: mmap() takes it (and locks
 * that nest outside it) under mmap_lock.  It runs with page faults off and,
 * when it needs one, starts over once the source is faulted in.
 *
 * Return: 0, -EFAULT, or -EINTR (a fatal signal; the length does not move).
 */
int iobmd_buffer_append(struct iobmd_buffer *b, const void __user *buf,
			u64 len, u64 *done)
{
	struct iobmd_buffer_src src;
	u64 n;
	int ret;

	do {
		src.ubuf = buf;
		ret = 0;
		mutex_lock(&b->desc.lock);
		n = min(len, b->capacity - b->desc.length);
		if (n) {
			pagefault_disable();
			ret = iobmd_buffer_walk(&b->desc, b->desc.length, n, 0,
						iobmd_buffer_append_run, &src);
			pagefault_enable();
		}
		if (!ret) {
			b->desc.length += n;
			*done = n;
		}
		mutex_unlock(&b->desc.lock);
	} while (ret == -EFAULT && !fault_in_readable(buf, n));
	return ret;
}

static int iobmd_buffer_zero_run(void *arg, const struct iobmd_run *run)
{
	u8 *p = run->kaddr;
	u64 len = run->len, n;

	for (; len; len -= n, p += n) {
		n = min_t(u64, len, IOBMD_BUFFER_CHUNK);
		memset(p, 0, n);
		cond_resched();
	}
	return 0;
}

/**
 * iobmd_buffer_set_purgeable() - setPurgeable()
 * @b: a buffer created with IOBMD_OPT_PURGEABLE
 * @state: IOBMD_PURGEABLE_*; KEEP_CURRENT only reads the state
 * @old: out: the state before the call
 *
 * Volatile memory is never reclaimed behind the owner's back here; Empty
 * discards the contents at once (they read back as zero).
 *
 * Return: 0, -EOPNOTSUPP for a buffer that is not purgeable, -EINVAL for an
 * unknown state.
 */
int iobmd_buffer_set_purgeable(struct iobmd_buffer *b, u32 state, u32 *old)
{
	if (!(b->options & IOBMD_OPT_PURGEABLE))
		return -EOPNOTSUPP;
	if (state < IOBMD_PURGEABLE_KEEP_CURRENT || state > IOBMD_PURGEABLE_EMPTY)
		return -EINVAL;
	mutex_lock(&b->desc.lock);
	*old = b->purgeable;
	if (state != IOBMD_PURGEABLE_KEEP_CURRENT)
		b->purgeable = state;
	if (state == IOBMD_PURGEABLE_EMPTY)
		iobmd_buffer_walk(&b->desc, 0, b->capacity, 0,
				  iobmd_buffer_zero_run, NULL);
	mutex_unlock(&b->desc.lock);
	return 0;
}

/**
 * iobmd_buffer_with_options() - IOBufferMemoryDescriptor::withOptions /
 * inTaskWithOptions, for drivers
 * @options: IOBMD_DIRECTION_* | IOBMD_OPT_*
 * @capacity: bytes
 * @alignment: 0 or 1 for none, else a power of two
 *
 * The memory is charged to the current task's memory cgroup, except what
 * is placed by physical address (contiguous buffers beyond 4 MiB, and
 * limits inside a zone; see iobmd_contig_place()): a driver that makes
 * buffers on behalf of unprivileged users should ask CAP_IPC_LOCK of them
 * itself, as the module does of its own callers.
 *
 * Return: the buffer's descriptor with one reference (iobmd_desc_put()),
 * or ERR_PTR(-EINVAL), -E2BIG, -ENOMEM, -EOPNOTSUPP (a cache mode RAM
 * cannot have).
 */
struct iobmd_desc *iobmd_buffer_with_options(u32 options, u64 capacity,
					     u64 alignment)
{
	struct iobmd_buffer_spec spec = {
		.options = options,
		.capacity = capacity,
		.alignment = alignment,
	};
	struct iobmd_buffer *b;

	if (alignment > 1 && !is_power_of_2(alignment))
		return ERR_PTR(-EINVAL);
	b = iobmd_buffer_create(&spec);
	return IS_ERR(b) ? ERR_CAST(b) : &b->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_buffer_with_options, IOBMD_NS);

/**
 * iobmd_buffer_with_physical_mask() - inTaskWithPhysicalMask, for drivers
 * @options: IOBMD_DIRECTION_* | IOBMD_OPT_*
 * @capacity: bytes
 * @mask: IOKit physical mask: highest address and alignment
 *
 * Return: as iobmd_buffer_with_options().
 */
struct iobmd_desc *iobmd_buffer_with_physical_mask(u32 options, u64 capacity,
						   u64 mask)
{
	struct iobmd_buffer_spec spec = {
		.options = options,
		.capacity = capacity,
		.phys_mask = mask,
	};
	struct iobmd_buffer *b;

	if (!mask)
		return ERR_PTR(-EINVAL);
	b = iobmd_buffer_create(&spec);
	return IS_ERR(b) ? ERR_CAST(b) : &b->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_buffer_with_physical_mask, IOBMD_NS);

/**
 * iobmd_buffer_capacity() - getCapacity()
 * @d: a buffer's descriptor
 *
 * Return: the capacity, or 0 when @d is not a buffer.
 */
u64 iobmd_buffer_capacity(struct iobmd_desc *d)
{
	struct iobmd_buffer *b = iobmd_to_buffer(d);

	return b ? b->capacity : 0;
}
EXPORT_SYMBOL_NS_GPL(iobmd_buffer_capacity, IOBMD_NS);

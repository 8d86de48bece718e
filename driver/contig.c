// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: physically contiguous memory at or below a physical limit, from
 * the page allocator, for buffers that are contiguous.
 *
 * Up to the largest order the buddy allocator keeps (4 MiB with 4 KiB
 * pages), one block of the order that covers the size and the alignment,
 * from the highest zone the limit allows down; the block is split into
 * pages and the pages past the size go back at once.  Beyond that order,
 * a range of RAM below the limit is made free with alloc_contig_range(),
 * which migrates movable pages out of the way: ranges are looked for from
 * the top of the allowed RAM down, a range that holds a page in use that
 * cannot move (kernel memory, reserved pages, huge pages) is never tried,
 * and at most IOBMD_CONTIG_TRIES ranges are tried (for each of the two
 * searches a range in compound pieces makes, below), so a request no range
 * can meet fails promptly.  The same search places smaller blocks when the
 * limit lies inside a zone and the allocator offers only memory above it
 * (iobmd_contig_place()).  Ranges are never taken from ZONE_MOVABLE
 * (the pages cannot move again), nor from ZONE_DMA unless the limit lies
 * in it.  CMA areas are not told apart (get_pageblock_migratetype() is
 * not exported): a try there fails and counts against the tries.
 *
 * The memory stays in compound pages where it can, so that mapping,
 * unmapping and freeing it work a folio at a time rather than a page at a
 * time, and a block freed goes back to the allocator whole (not as pages
 * on per-CPU lists that the next request of its order must compact
 * together again): a block of exactly the pages asked for is one compound
 * page; a range is taken in naturally aligned compound pieces, powers of
 * two from the allocator's largest order up to the largest folio, where
 * the kernel makes them (6.12 on, see iobmd_compat.h), and the rest (less
 * than the largest order) as order-0 pages.  Where the kernel maps folios
 * by PMD (IOBMD_HUGE_MAP, 7.2 on), every piece is of exactly PMD order
 * instead (2 MiB with 4 KiB pages), the rest less than that, and a block
 * of exactly twice that is two compound pages of PMD order where the
 * allocator offers two that are buddies: each 2 MiB part of the buffer is
 * then one folio that its mappings map with one PMD.  Where it maps folios
 * by PUD too (IOBMD_PUD_MAP, x86-64), each 1 GiB-aligned GiB of a range is
 * one folio of PUD order instead, mapped with one PUD.  Other blocks are
 * split into order-0 pages and what is past the size goes back at once.
 * Either way the caller gets zeroed pages aligned as asked, freed with
 * iobmd_contig_free().
 */
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/hugetlb.h>
#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/* Ranges alloc_contig_range() is asked for before the allocation fails. */
#define IOBMD_CONTIG_TRIES	8
/* System RAM ranges looked at below the limit. */
#define IOBMD_CONTIG_RAM_RANGES	32

#define IOBMD_CONTIG_GFP \
	(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_ZERO | \
	 __GFP_ACCOUNT)

/*
 * alloc_contig_range()'s: from 6.12 on it zeroes the range itself when
 * asked (once: Debian's init_on_alloc=1 clears it anyway); before, the
 * range is cleared here.
 */
#define IOBMD_CONTIG_RANGE_GFP \
	(GFP_KERNEL | __GFP_NOWARN | (IOBMD_CONTIG_COMPOUND ? __GFP_ZERO : 0))

/* Zones from the highest to the lowest; each allocation starts at one. */
const gfp_t iobmd_zone_gfp[IOBMD_NR_ZONES] = { 0, __GFP_DMA32, __GFP_DMA };

/*
 * The last byte of ZONE_DMA where it is the scarce zone beneath a
 * ZONE_DMA32 (x86: the first 16 MiB), or 0.  arm64 sizes ZONE_DMA from the
 * firmware's DMA ranges: on QEMU's virt it is all the RAM below 4 GiB and
 * ZONE_DMA32 is empty, so it is the 32-bit zone, neither budgeted nor
 * avoided.  Read from the zones when the module loads.
 */
static u64 iobmd_zone_dma_end;

/**
 * iobmd_zones_init() - find where a scarce ZONE_DMA ends
 */
void iobmd_zones_init(void)
{
#if defined(CONFIG_ZONE_DMA) && defined(CONFIG_ZONE_DMA32)
	unsigned long dma_end = 0;
	bool dma32 = false;
	int nid;

	for_each_online_node(nid) {
		struct zone *z = &NODE_DATA(nid)->node_zones[ZONE_DMA];

		if (populated_zone(z))
			dma_end = max(dma_end, zone_end_pfn(z));
		if (populated_zone(&NODE_DATA(nid)->node_zones[ZONE_DMA32]))
			dma32 = true;
	}
	if (dma_end && dma32)
		iobmd_zone_dma_end = PFN_PHYS(dma_end) - 1;
#endif
}

/**
 * iobmd_zone_dma_scarce() - whether ZONE_DMA is a scarce zone of its own
 *
 * Return: true where ZONE_DMA lies beneath a ZONE_DMA32 (x86): its memory
 * is budgeted per user and contiguous allocations keep out of it unless
 * their limit needs it.
 */
bool __iobmd_hot iobmd_zone_dma_scarce(void)
{
	return iobmd_zone_dma_end;
}

/**
 * iobmd_zone_first() - the first zone worth trying for memory at or below
 * a limit, as an index into iobmd_zone_gfp
 * @limit: the highest physical address allowed
 *
 * ZONE_NORMAL starts at 4 GiB and ZONE_DMA32 at 16 MiB on x86, so a limit
 * of exactly 4 GiB-1 starts in ZONE_DMA32 (rather than throwing a zeroed
 * chunk away).  Where ZONE_DMA is not scarce (arm64 on QEMU's virt: the
 * 32-bit zone itself, ZONE_DMA32 empty), a limit below 4 GiB starts at
 * ZONE_DMA32, which the page allocator serves from ZONE_DMA.
 *
 * Return: 0 (any zone), 1 (ZONE_DMA32) or 2 (ZONE_DMA).
 */
unsigned int __iobmd_hot iobmd_zone_first(u64 limit)
{
	if (limit > DMA_BIT_MASK(32))
		return 0;
	if (!iobmd_zone_dma_scarce() || limit > iobmd_zone_dma_end)
		return 1;
	return 2;
}

/* Whether @zone is ZONE_DMA (on kernels that have one). */
static bool iobmd_contig_zone_dma(struct zone *zone)
{
#ifdef CONFIG_ZONE_DMA
	return zone_idx(zone) == ZONE_DMA;
#else
	return false;
#endif
}

#ifdef IOBMD_HUGE_MAP
/* Blocks of PMD order asked for in iobmd_contig_pmd_pair(). */
#define IOBMD_CONTIG_PAIR_TRIES	4

/*
 * Where folios are mapped by PMD, a block of exactly twice PMD order is
 * better as two compound pages of PMD order, each mapped with one PMD,
 * than as one compound page mapped by PTEs; but the kernel makes compound
 * pages only as it hands them out.  So blocks of PMD order (@gfp, zeroed
 * and charged as the large block would be) are asked for until two are
 * buddies: the allocator, splitting a larger block for one, keeps the
 * other half at the head of the list the next request takes from.  The
 * pair must start on @align_pages and end at or below @limit.
 *
 * Return: the lower of the two, or NULL (every block given back) after
 * IOBMD_CONTIG_PAIR_TRIES blocks without a pair.
 */
static struct page *iobmd_contig_pmd_pair(gfp_t gfp, unsigned long align_pages,
					  u64 limit)
{
	const unsigned long half = 1UL << PMD_ORDER;
	struct page *got[IOBMD_CONTIG_PAIR_TRIES], *lo = NULL;
	unsigned long a, b;
	int n, i, pair = -1;

	/* A failure is no cause to reclaim: the large block is next. */
	gfp = (gfp & ~__GFP_DIRECT_RECLAIM) | __GFP_COMP;
	for (n = 0; n < IOBMD_CONTIG_PAIR_TRIES && !lo; n++) {
		got[n] = alloc_pages(gfp, PMD_ORDER);
		if (!got[n])
			break;
		b = page_to_pfn(got[n]);
		for (i = 0; i < n && !lo; i++) {
			a = page_to_pfn(got[i]);
			if (a != b + half && b != a + half)
				continue;
			a = min(a, b);
			if (!IS_ALIGNED(a, align_pages) ||
			    PFN_PHYS(a + 2 * half) - 1 > limit)
				continue;
			lo = pfn_to_page(a);
			pair = i;
		}
	}
	/* n blocks were got; a pair is got[pair] and the last. */
	for (i = 0; i < n; i++)
		if (!lo || (i != pair && i != n - 1))
			__free_pages(got[i], PMD_ORDER);
	return lo;
}
#endif

/*
 * A buddy block covering @npages on @align_pages; the rest freed.  A lower
 * zone only when the block came from above the limit: a failure in one
 * zone is no reason to drain a scarcer one.  With @place, where the limit
 * lies inside a zone below ZONE_NORMAL, the pages are placed below the
 * limit (iobmd_contig_place()) before a scarcer zone is tried.
 *
 * Return: the pages, or an ERR_PTR() as iobmd_contig_alloc().
 */
static struct page *iobmd_contig_buddy(unsigned long npages,
				       unsigned long align_pages, u64 limit,
				       bool place)
{
	unsigned int order = get_order(max(npages, align_pages) << PAGE_SHIFT);
	/*
	 * A block of exactly the pages wanted stays one compound page (or
	 * two of PMD order, iobmd_contig_pmd_pair()).
	 */
	bool whole = order && npages == 1UL << order;
	gfp_t gfp = IOBMD_CONTIG_GFP | (whole ? __GFP_COMP : 0);
	unsigned int zone;
	struct page *page;
	unsigned long i;

	for (zone = iobmd_zone_first(limit); zone < IOBMD_NR_ZONES; zone++) {
#ifdef IOBMD_HUGE_MAP
		/*
		 * Not in a scarce ZONE_DMA: the tries may hold more than the
		 * block its budget was charged for.
		 */
		if (whole && order == PMD_ORDER + 1 &&
		    iobmd_zone_gfp[zone] != __GFP_DMA) {
			page = iobmd_contig_pmd_pair(gfp | iobmd_zone_gfp[zone],
						     align_pages, limit);
			if (page)
				return page;
		}
#endif
		page = alloc_pages(gfp | iobmd_zone_gfp[zone], order);
		if (!page)
			return ERR_PTR(-ENOMEM);
		if (page_to_phys(page) + (npages << PAGE_SHIFT) - 1 <= limit) {
			if (whole)
				return page;
			split_page(page, order);
			for (i = npages; i < (1UL << order); i++)
				__free_page(page + i);
			return page;
		}
		__free_pages(page, order);
		/* ZONE_DMA32 lies wholly below a limit above 4 GiB: there first. */
		if (place && zone) {
			page = iobmd_contig_place(npages,
						  (u64)align_pages << PAGE_SHIFT,
						  limit);
			if (!IS_ERR(page) || PTR_ERR(page) != -ENOMEM)
				return page;
			place = false;
		}
	}
	return ERR_PTR(-ENOMEM);
}

/*
 * Whether the page at @pfn may be in a range alloc_contig_range() can
 * make: free, or in use but movable.  Pages with no reference (the later
 * pages of a free block) pass; alloc_contig_range() has the last word.
 */
static bool iobmd_contig_page_ok(unsigned long pfn, struct zone *zone)
{
	struct page *page = pfn_to_online_page(pfn);

	if (!page || page_zone(page) != zone || PageReserved(page) ||
	    PageHuge(page))
		return false;
	if (PageBuddy(page) || !page_count(page))
		return true;
	return PageLRU(compound_head(page));
}

/**
 * struct iobmd_contig_scan - a search for a range to make free
 * @npages: pages wanted
 * @align: their alignment, in pages (a power of two)
 * @limit_pfn: the last page frame allowed
 * @n: System RAM ranges in @ram
 * @ram: first and last page frame of each, below @limit_pfn
 */
struct iobmd_contig_scan {
	unsigned long npages;
	unsigned long align;
	unsigned long limit_pfn;
	unsigned int n;
	struct { unsigned long first, last; } ram[IOBMD_CONTIG_RAM_RANGES];
};

/* Ranges come lowest first: the highest IOBMD_CONTIG_RAM_RANGES stay. */
static int iobmd_contig_note_ram(struct resource *res, void *arg)
{
	struct iobmd_contig_scan *s = arg;
	unsigned long first = PFN_UP(res->start);
	unsigned long last = min(PFN_DOWN(res->end + 1), s->limit_pfn + 1);

	if (last < first + s->npages)
		return 0;
	if (s->n == IOBMD_CONTIG_RAM_RANGES) {
		memmove(s->ram, s->ram + 1, sizeof(s->ram) - sizeof(s->ram[0]));
		s->n--;
	}
	s->ram[s->n].first = first;
	s->ram[s->n].last = last - 1;
	s->n++;
	return 0;
}

/*
 * The highest aligned candidate in [@first, @last] at or below @top whose
 * pages all pass iobmd_contig_page_ok(), or 0 when there is none (page
 * frame 0 is never RAM given out).  Pages are checked from the top, so a
 * page that fails moves the next candidate below it.
 */
static unsigned long iobmd_contig_candidate(struct iobmd_contig_scan *s,
					    unsigned long first,
					    unsigned long top, int *err)
{
	unsigned long start, pfn;
	struct zone *zone;
	struct page *page;

	while (top + 1 >= first + s->npages) {
		start = ALIGN_DOWN(top + 1 - s->npages, s->align);
		if (start < first || !start)
			return 0;
		page = pfn_to_online_page(start);
		zone = page ? page_zone(page) : NULL;
		/*
		 * Never ZONE_MOVABLE (the buffer's pages cannot move, and a
		 * long-term pin would wait for them to), nor ZONE_DMA unless
		 * the limit needs it: it is scarce and shared.
		 */
		if (!zone || zone_idx(zone) == ZONE_MOVABLE ||
		    (iobmd_contig_zone_dma(zone) && iobmd_zone_dma_scarce() &&
		     s->limit_pfn >= PHYS_PFN(iobmd_zone_dma_end) + 1)) {
			top = start - 1;
			cond_resched();
			continue;
		}
		for (pfn = start + s->npages - 1; pfn >= start; pfn--) {
			if (!iobmd_contig_page_ok(pfn, zone))
				break;
			if (!(pfn & 1023)) {
				cond_resched();
				if (fatal_signal_pending(current)) {
					*err = -EINTR;
					return 0;
				}
			}
		}
		if (pfn < start)
			return start;
		top = pfn - 1;
	}
	return 0;
}

/*
 * The orders of a range's compound pieces (iobmd_contig_piece_order()).
 * Where the kernel maps folios by PMD (IOBMD_HUGE_MAP), exactly PMD_ORDER,
 * so that each 2 MiB part of the buffer is one folio iobmd_mmap_huge_fault()
 * maps with one PMD; where it maps them by PUD too (IOBMD_PUD_MAP), each
 * whole, 1 GiB-aligned GiB of the range is one folio of PUD order instead,
 * which a mapping that holds it whole maps with one PUD (and any other
 * mapping page by page).  Elsewhere as large as they fit, from the buddy
 * allocator's largest order up to the largest folio: fewer pieces to take
 * and to free.
 */
#ifdef IOBMD_HUGE_MAP
#define IOBMD_CONTIG_PIECE_MIN	PMD_ORDER
#define IOBMD_CONTIG_PIECE_MAX	PMD_ORDER
#else
#define IOBMD_CONTIG_PIECE_MIN	IOBMD_MAX_ORDER
#define IOBMD_CONTIG_PIECE_MAX	IOBMD_MAX_FOLIO_ORDER
#endif

#ifdef CONFIG_CONTIG_ALLOC
/*
 * Make [@start, @start + @n) free and take it: one compound page when
 * @compound (a naturally aligned power of two of at least a pageblock:
 * isolating the range splits any free block that straddles its ends, and
 * the pageblocks isolated never merge with their neighbours, so the range
 * is exactly the one taken), else order-0 pages.
 */
static int iobmd_contig_take(unsigned long start, unsigned long n,
			     bool compound)
{
	gfp_t gfp = IOBMD_CONTIG_RANGE_GFP;
	int ret = -EINVAL;

	if (!compound)
		return alloc_contig_range(start, start + n, IOBMD_ACR_ORDINARY,
					  gfp);
#if defined(IOBMD_HAVE_CONTIG_FROZEN)
	/* The compound page comes with no reference: the buffer's is its first. */
	ret = alloc_contig_frozen_range(start, start + n, IOBMD_ACR_ORDINARY,
					gfp | __GFP_COMP);
	if (!ret)
		folio_ref_unfreeze(page_folio(pfn_to_page(start)), 1);
#elif IOBMD_CONTIG_COMPOUND
	ret = alloc_contig_range(start, start + n, IOBMD_ACR_ORDINARY,
				 gfp | __GFP_COMP);
#endif
	return ret;
}

/*
 * The order of the compound piece at @pfn when @n pages are left: the
 * largest power of two that @pfn is aligned to and that fits, at most
 * IOBMD_CONTIG_PIECE_MAX; 0 when that is below IOBMD_CONTIG_PIECE_MIN or
 * a pageblock (such a piece could end inside a free block): the rest is
 * taken as order-0 pages.
 */
static unsigned int iobmd_contig_piece_order(unsigned long pfn,
					     unsigned long n)
{
	unsigned int order;

	if (!IOBMD_CONTIG_COMPOUND || !pfn ||
	    n < (1UL << IOBMD_CONTIG_PIECE_MIN))
		return 0;
#ifdef IOBMD_PUD_MAP
	if (IS_ALIGNED(pfn, HPAGE_PUD_NR) && n >= HPAGE_PUD_NR)
		return PUD_ORDER;
#endif
	order = min_t(unsigned int, __ffs(pfn), ilog2(n));
	order = min_t(unsigned int, order, IOBMD_CONTIG_PIECE_MAX);
	return order >= IOBMD_CONTIG_PIECE_MIN && order >= pageblock_order ?
	       order : 0;
}

/*
 * Take @npages from @start: in compound pieces while they fit when
 * @compound (iobmd_contig_piece_order()), the rest as order-0 pages; all
 * or nothing.
 */
static int iobmd_contig_take_range(unsigned long start, unsigned long npages,
				   bool compound)
{
	unsigned long pfn = start, end = start + npages, n;
	unsigned int order;
	int ret = 0;

	while (pfn < end) {
		order = compound ? iobmd_contig_piece_order(pfn, end - pfn) : 0;
		n = order ? 1UL << order : end - pfn;
		ret = iobmd_contig_take(pfn, n, order);
		if (ret)
			break;
		pfn += n;
	}
	if (ret && pfn > start)
		iobmd_contig_free(pfn_to_page(start), pfn - start);
	return ret;
}
#endif

/*
 * A range made free with alloc_contig_range(), zeroed, in compound pieces
 * where @compound allows (iobmd_contig_take_range()); or NULL.
 */
static struct page *iobmd_contig_range(unsigned long npages,
				       unsigned long align_pages, u64 limit,
				       bool compound, int *err)
{
#ifdef CONFIG_CONTIG_ALLOC
	struct iobmd_contig_scan *s;
	unsigned long start, top, i;
	struct page *page = NULL;
	int tries = 0, r;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->npages = npages;
	s->align = align_pages;
	s->limit_pfn = PHYS_PFN(limit);
	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, limit,
			    s, iobmd_contig_note_ram);
	/* The highest RAM first: memory low down is the scarcer. */
	for (r = s->n - 1; r >= 0 && !page && !*err; r--) {
		top = s->ram[r].last;
		while (tries < IOBMD_CONTIG_TRIES && !*err) {
			start = iobmd_contig_candidate(s, s->ram[r].first, top,
						       err);
			if (!start)
				break;
			tries++;
			if (!iobmd_contig_take_range(start, npages, compound)) {
				page = pfn_to_page(start);
				break;
			}
			if (fatal_signal_pending(current))
				*err = -EINTR;
			/*
			 * Below the pageblock that refused (CMA's are not
			 * told apart, see above).
			 */
			top = min(start, ALIGN_DOWN(start, pageblock_nr_pages));
			if (!top)
				break;
			top--;
		}
	}
	kfree(s);
	if (!page || IOBMD_CONTIG_COMPOUND)
		return page;
	for (i = 0; i < npages; i++) {
		clear_highpage(page + i);
		if (!((i + 1) & 1023))
			cond_resched();
	}
	return page;
#else
	return NULL;
#endif
}

/* iobmd_contig_range(), its failures as an ERR_PTR(). */
static struct page *iobmd_contig_find(unsigned long npages,
				      unsigned long align_pages, u64 limit,
				      bool compound)
{
	struct page *page;
	int err = 0;

	page = iobmd_contig_range(npages, align_pages, limit, compound, &err);
	if (err)
		return ERR_PTR(err);
	return page ?: ERR_PTR(-ENOMEM);
}

/**
 * iobmd_contig_place() - contiguous pages placed at or below a limit by
 * their physical address, wherever the page allocator would offer them
 * @npages: pages
 * @align: alignment in bytes: 0, or a power of two
 * @limit: the highest physical address any byte may have
 *
 * For a limit inside a zone, where the allocator may offer only memory
 * above it: a range below the limit is made free with
 * alloc_contig_range() (bounded as described at the top of this file).
 * No memory cgroup is charged for the pages.
 *
 * Return: the first of @npages order-0 pages, each with a reference,
 * zeroed; or ERR_PTR(-ENOMEM) when no range is found, -EINTR on a fatal
 * signal.  Free them with iobmd_contig_free().
 */
struct page *iobmd_contig_place(unsigned long npages, u64 align, u64 limit)
{
	unsigned long align_pages = max_t(u64, align >> PAGE_SHIFT, 1);

	return iobmd_contig_find(npages, align_pages, limit, false);
}

/*
 * Beyond the buddy allocator's largest order: first a range on a boundary
 * of the smallest compound piece (of a GiB for a GiB and more, where
 * buffers are mapped by PUD), taken in compound pieces; failing that
 * (or where the kernel makes no compound ranges), a range on the
 * alignment asked for, in order-0 pages.
 */
static struct page *iobmd_contig_large_alloc(unsigned long npages,
					     unsigned long align_pages,
					     u64 limit)
{
	unsigned long block = 1UL << IOBMD_CONTIG_PIECE_MIN;
	struct page *page;

	if (IOBMD_CONTIG_COMPOUND) {
#ifdef IOBMD_PUD_MAP
		/* A GiB and more: 1 GiB-aligned first, for pieces of PUD order. */
		if (npages >= HPAGE_PUD_NR && align_pages < HPAGE_PUD_NR) {
			page = iobmd_contig_find(npages, HPAGE_PUD_NR, limit,
						 true);
			if (!IS_ERR(page) || PTR_ERR(page) != -ENOMEM)
				return page;
		}
#endif
		page = iobmd_contig_find(npages, max(align_pages, block), limit,
					 true);
		if (!IS_ERR(page) || PTR_ERR(page) != -ENOMEM ||
		    align_pages >= block)
			return page;
	}
	return iobmd_contig_find(npages, align_pages, limit, false);
}

/**
 * iobmd_contig_alloc() - physically contiguous pages at or below a limit
 * @npages: pages
 * @align: alignment in bytes: 0, or a power of two
 * @limit: the highest physical address any byte may have
 * @place: when the buddy allocator offers a block above @limit, place
 *	the pages below it with iobmd_contig_place() (memory no cgroup is
 *	charged for) before a scarcer zone is tried.  Beyond the allocator's
 *	largest order the pages are always placed.
 *
 * Return: the first of @npages zeroed pages: compound pages, each holding
 * one reference for all of its pages, and order-0 pages, each with a
 * reference (see the top of this file); or ERR_PTR(-ENOMEM) when no
 * memory meets the request, -EINTR on a fatal signal.  Free them with
 * iobmd_contig_free().
 * Memory from a block the buddy allocator keeps is charged to the
 * current task's memory cgroup; larger ranges, and placed ones, cannot be.
 */
struct page *iobmd_contig_alloc(unsigned long npages, u64 align, u64 limit,
				bool place)
{
	unsigned long align_pages = max_t(u64, align >> PAGE_SHIFT, 1);

	if (!npages)
		return ERR_PTR(-EINVAL);
	if (iobmd_contig_large(npages, align))
		return iobmd_contig_large_alloc(npages, align_pages, limit);
	return iobmd_contig_buddy(npages, align_pages, limit, place);
}

/**
 * iobmd_contig_large() - whether iobmd_contig_alloc() needs a range made
 * free for the request, rather than a block of the buddy allocator's
 * @npages: pages
 * @align: alignment in bytes
 *
 * Return: true when the request is beyond the allocator's largest order.
 */
bool iobmd_contig_large(unsigned long npages, u64 align)
{
	unsigned long align_pages = max_t(u64, align >> PAGE_SHIFT, 1);

	return get_order(max(npages, align_pages) << PAGE_SHIFT) >
	       IOBMD_MAX_ORDER;
}

/**
 * iobmd_contig_free() - give back what iobmd_contig_alloc() or
 * iobmd_contig_place() gave
 * @page: the first page
 * @npages: how many
 *
 * A compound page goes back with its one reference (whole, once nothing
 * else holds it: a pin through a mapping may outlive the buffer), an
 * order-0 page with its own.
 */
void iobmd_contig_free(struct page *page, unsigned long npages)
{
	unsigned long i = 0, n, done = 0;
	struct page *p;

	while (i < npages) {
		p = page + i;
		n = PageHead(p) ? 1UL << compound_order(p) : 1;
		if (n > 1)
			folio_put(page_folio(p));
		else
			__free_page(p);
		i += n;
		done += n;
		if (done >= 1024) {
			cond_resched();
			done = 0;
		}
	}
}

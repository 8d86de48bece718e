// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the kernel's own alias of uncached and write-combined buffers.
 *
 * x86 gives the direct map of such a buffer the same memory type as its
 * user mappings (set_memory_uc()/set_memory_wc() in buffer.c): nothing is
 * left to do here.  arm64 cannot change the type of its linear map: the
 * alias stays Normal cacheable while user and kernel mappings of the
 * buffer are Normal non-cacheable, the arrangement the arm64 DMA API makes
 * for its own non-coherent buffers.  What keeps them consistent is that
 * the alias never holds a dirty line and is never read through a stale
 * one: its lines are cleaned and invalidated to the point of coherency when
 * the buffer takes the mode, when it goes back to the allocator, and
 * around every copy the module itself makes through the alias
 * (readBytes/writeBytes).  The maintenance is the DMA API's for a
 * non-coherent device: /dev/iobmd's device (which never does DMA, and
 * which nothing marks coherent on arm64) maps and unmaps the pages.
 *
 * The same device does performOperation() for memory prepared for no
 * device (a userspace driver's, whose device DMAs to physical addresses):
 * iobmd_cache_maintain() cleans, cleans and invalidates, or invalidates
 * the pages' lines through dma_sync_single_for_device()/_for_cpu() on a
 * mapping made without CPU syncs.
 *
 * Every mapping must sit at the pages' own physical address: the misc
 * device has neither an IOMMU nor dma-ranges, so any other DMA address is
 * a bounce slot (swiotlb=force, a confidential guest), whose syncs would
 * copy and maintain the slot, never the buffer's own lines.  No path of
 * the DMA API reaches those lines then, so nothing is promised that
 * cannot be kept: a bounce seen at load leaves uncached and write-combined
 * buffers refused (-EOPNOTSUPP, as where the architecture neither changes
 * its direct map's type nor maintains caches for that device), and
 * performOperation() on memory prepared for no device fails with
 * -EOPNOTSUPP.  A kernel driver's mapping for its own device is the DMA
 * API's: bounced or not, its syncs are right for that device.
 */
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "iobmd_priv.h"

static struct device *iobmd_cache_dev;
/* Non-coherent, but the DMA API bounces its mappings: nothing to use. */
static bool iobmd_cache_bounced;

/*
 * Map @len bytes of physically contiguous RAM from @phys on the cache
 * device without any CPU sync; false (and nothing mapped) when the DMA
 * address is not @phys: a bounce slot.
 */
static bool iobmd_cache_map(phys_addr_t phys, size_t len,
			    enum dma_data_direction dir, dma_addr_t *dma)
{
	struct device *dev = iobmd_cache_dev;

	*dma = dma_map_page_attrs(dev, pfn_to_page(PHYS_PFN(phys)),
				  offset_in_page(phys), len, dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
	if (dma_mapping_error(dev, *dma))
		return false;
	if (*dma == (dma_addr_t)phys)
		return true;
	/* Skipping the CPU sync, a bounce slot is not copied back. */
	dma_unmap_page_attrs(dev, *dma, len, dir, DMA_ATTR_SKIP_CPU_SYNC);
	return false;
}

/**
 * iobmd_cache_init() - take the device whose DMA mappings do the cache
 * maintenance
 * @dev: /dev/iobmd's device, with a 64-bit DMA mask already
 */
void iobmd_cache_init(struct device *dev)
{
	struct page *page;
	dma_addr_t dma;

	if (IS_ENABLED(CONFIG_X86) || !dev->dma_mask ||
	    dev_is_dma_coherent(dev))
		return;
	page = alloc_page(GFP_KERNEL);
	if (!page)
		return;
	iobmd_cache_dev = dev;
	if (iobmd_cache_map(page_to_phys(page), PAGE_SIZE, DMA_BIDIRECTIONAL,
			    &dma)) {
		dma_unmap_page_attrs(dev, dma, PAGE_SIZE, DMA_BIDIRECTIONAL,
				     DMA_ATTR_SKIP_CPU_SYNC);
	} else {
		iobmd_cache_dev = NULL;
		iobmd_cache_bounced = true;
		dev_info(dev, "DMA mappings bounce: no uncached or write-combined buffers, no cache maintenance of physical pages\n");
	}
	__free_page(page);
}

/**
 * iobmd_cache_alias_supported() - whether RAM can be uncached or
 * write-combined here
 *
 * Return: true on x86 (its direct map takes the mode) and where the alias's
 * cache lines can be maintained, else false.
 */
bool iobmd_cache_alias_supported(void)
{
	return IS_ENABLED(CONFIG_X86) || iobmd_cache_dev;
}

/**
 * iobmd_cache_phys_needed() - whether memory a device reaches at its
 * physical address needs cache maintenance around DMA
 *
 * Return: false where DMA is coherent with the CPU's caches (x86, or the
 * architecture marks /dev/iobmd's device coherent), true where it is not,
 * whether or not iobmd_cache_maintain() can do it.
 */
bool iobmd_cache_phys_needed(void)
{
	return iobmd_cache_dev || iobmd_cache_bounced;
}

/*
 * One operation on [@phys, @phys + @len), whole cache lines, at most a
 * megabyte: false when the DMA API would bounce it.
 */
static bool iobmd_cache_op(phys_addr_t phys, size_t len, u32 op)
{
	enum dma_data_direction dir = op == IOBMD_OP_STORE ? DMA_TO_DEVICE :
				      op == IOBMD_OP_FLUSH ? DMA_BIDIRECTIONAL :
							     DMA_FROM_DEVICE;
	struct device *dev = iobmd_cache_dev;
	dma_addr_t dma;

	if (!iobmd_cache_map(phys, len, dir, &dma))
		return false;
	if (op != IOBMD_OP_INVALIDATE)
		dma_sync_single_for_device(dev, dma, len, dir);
	if (op != IOBMD_OP_STORE)
		dma_sync_single_for_cpu(dev, dma, len, dir);
	dma_unmap_page_attrs(dev, dma, len, dir, DMA_ATTR_SKIP_CPU_SYNC);
	return true;
}

/**
 * iobmd_cache_maintain() - performOperation() on physically contiguous RAM
 * @phys: physical address of the first byte
 * @len: bytes
 * @op: IOBMD_OP_STORE (clean: the CPU's writes reach memory),
 *	IOBMD_OP_FLUSH (clean, then invalidate), IOBMD_OP_INVALIDATE
 *	(invalidate: the CPU next reads memory; dirty lines are dropped)
 *
 * Whole cache lines are maintained (the DMA API's alignment, which also
 * keeps it from bouncing short mappings of a non-coherent device).  A
 * line INVALIDATE shares with bytes outside the range is cleaned first,
 * so that the CPU's writes there are not lost.  Process context; one
 * megabyte at a time, yielding between them.  A no-op where
 * iobmd_cache_phys_needed() is false.
 *
 * Return: 0, -EOPNOTSUPP (the DMA API bounces: the lines cannot be
 * reached), -EINTR (a fatal signal: the range may be partly done).
 */
int iobmd_cache_maintain(phys_addr_t phys, u64 len, u32 op)
{
	phys_addr_t align, end;

	if (iobmd_cache_bounced)
		return -EOPNOTSUPP;
	if (!iobmd_cache_dev || !len)
		return 0;
	align = dma_get_cache_alignment();
	end = ALIGN(phys + len, align);
	if (op == IOBMD_OP_INVALIDATE) {
		if (!IS_ALIGNED(phys, align) &&
		    !iobmd_cache_op(ALIGN_DOWN(phys, align), align,
				    IOBMD_OP_STORE))
			return -EOPNOTSUPP;
		if (!IS_ALIGNED(phys + len, align) &&
		    ALIGN_DOWN(phys + len, align) != ALIGN_DOWN(phys, align) &&
		    !iobmd_cache_op(end - align, align, IOBMD_OP_STORE))
			return -EOPNOTSUPP;
	}
	phys = ALIGN_DOWN(phys, align);
	while (phys < end) {
		/* Up to the next megabyte boundary. */
		size_t n = min_t(u64, end - phys, SZ_1M - (phys & (SZ_1M - 1)));

		if (!iobmd_cache_op(phys, n, op))
			return -EOPNOTSUPP;
		phys += n;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/*
 * Clean and invalidate the lines of @len bytes of the direct map from
 * @kaddr (process context: it may sleep), whole pages.
 */
static void iobmd_cache_wbinv(void *kaddr, u64 len)
{
	unsigned long start = (unsigned long)kaddr & PAGE_MASK;
	unsigned long end = PAGE_ALIGN((unsigned long)kaddr + len);
	phys_addr_t phys = virt_to_phys((void *)start);

	while (start < end) {
		size_t n = min_t(unsigned long, end - start, SZ_1M);
		dma_addr_t dma;

		/* No bounce here: iobmd_cache_init() saw none. */
		if (iobmd_cache_map(phys, n, DMA_BIDIRECTIONAL, &dma)) {
			dma_sync_single_for_device(iobmd_cache_dev, dma, n,
						   DMA_BIDIRECTIONAL);
			dma_sync_single_for_cpu(iobmd_cache_dev, dma, n,
						DMA_BIDIRECTIONAL);
			dma_unmap_page_attrs(iobmd_cache_dev, dma, n,
					     DMA_BIDIRECTIONAL,
					     DMA_ATTR_SKIP_CPU_SYNC);
		}
		start += n;
		phys += n;
		/* A contiguous buffer may be gigabytes. */
		cond_resched();
	}
}

/**
 * iobmd_cache_sync_alias() - leave no line of a non-cacheable buffer's
 * memory in the cache through its direct-map alias
 * @kaddr: the direct-map address of the first byte
 * @len: bytes
 *
 * A no-op where the alias has the buffer's own memory type (x86).
 */
void iobmd_cache_sync_alias(void *kaddr, u64 len)
{
	if (iobmd_cache_dev && len && virt_addr_valid(kaddr))
		iobmd_cache_wbinv(kaddr, len);
}

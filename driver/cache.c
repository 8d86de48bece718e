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
 * Where the architecture neither changes its direct map's type nor does
 * cache maintenance for that device, uncached and write-combined buffers
 * are refused (-EOPNOTSUPP): no mode is given that cannot be kept.
 */
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "iobmd_priv.h"

static struct device *iobmd_cache_dev;

/**
 * iobmd_cache_init() - take the device whose DMA mappings do the cache
 * maintenance
 * @dev: /dev/iobmd's device, with a 64-bit DMA mask already
 */
void iobmd_cache_init(struct device *dev)
{
	if (!IS_ENABLED(CONFIG_X86) && dev->dma_mask &&
	    !dev_is_dma_coherent(dev))
		iobmd_cache_dev = dev;
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

/*
 * Clean and invalidate the lines of @len bytes of the direct map from
 * @kaddr (process context: it may sleep), whole pages (a DMA mapping of
 * a part of a cache line could go through a bounce buffer, which would
 * maintain that instead).
 */
static void iobmd_cache_wbinv(void *kaddr, u64 len)
{
	unsigned long start = (unsigned long)kaddr & PAGE_MASK;
	unsigned long end = PAGE_ALIGN((unsigned long)kaddr + len);
	dma_addr_t dma;

	while (start < end) {
		size_t n = min_t(unsigned long, end - start, SZ_1M);

		/* Mapping cleans to the point of coherency, unmapping invalidates. */
		dma = dma_map_single(iobmd_cache_dev, (void *)start, n,
				     DMA_BIDIRECTIONAL);
		if (!dma_mapping_error(iobmd_cache_dev, dma))
			dma_unmap_single(iobmd_cache_dev, dma, n,
					 DMA_BIDIRECTIONAL);
		start += n;
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

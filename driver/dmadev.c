// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the module's own devices for the DMA API, one per DMA mask width,
 * so that dma_alloc_coherent() honours a buffer's physical mask.
 */
#include <linux/dma-mapping.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>

#include "iobmd_priv.h"

/* The smallest mask width that still covers a page-sized allocation. */
#define IOBMD_DMADEV_MIN_BITS	PAGE_SHIFT

static DEFINE_MUTEX(iobmd_dmadev_lock);
/* Device for DMA_BIT_MASK(i), created on first use; iobmd_dmadev_lock. */
static struct platform_device *iobmd_dmadevs[65];

/**
 * iobmd_dmadev_get() - a device whose DMA mask lies at or below @limit
 * @limit: the highest physical address the memory may use
 *
 * The mask is the widest DMA_BIT_MASK(n) not above @limit.  The device
 * lives until the module is unloaded.
 *
 * Return: the device, ERR_PTR(-ENOMEM) when @limit is below a page or the
 * device cannot be created.
 */
struct device *iobmd_dmadev_get(u64 limit)
{
	unsigned int bits = limit == U64_MAX ? 64 : fls64(limit + 1) - 1;
	struct platform_device_info info = {
		.name = "iobmd-dma",
		.id = bits,
		.dma_mask = DMA_BIT_MASK(bits),
	};
	struct platform_device *pdev;

	if (bits < IOBMD_DMADEV_MIN_BITS)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&iobmd_dmadev_lock);
	pdev = iobmd_dmadevs[bits];
	if (!pdev) {
		pdev = platform_device_register_full(&info);
		if (IS_ERR(pdev)) {
			mutex_unlock(&iobmd_dmadev_lock);
			return ERR_PTR(-ENOMEM);
		}
		/*
		 * No hardware behind it: a DMA segment may be as long as the
		 * memory is contiguous (the DMA API's default is 64 KiB).
		 */
		dma_set_max_seg_size(&pdev->dev, UINT_MAX);
		/*
		 * The mask again, through the DMA API this time: since 6.10
		 * that also tells it whether syncs for this device do
		 * anything (not on a coherent one until it bounces), which
		 * spares a walk over every entry on each prepare and
		 * complete.  The mask the device was created with stays if
		 * this fails.
		 */
		if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(bits)))
			dev_dbg(&pdev->dev, "DMA mask %u bits not supported\n",
				bits);
		iobmd_dmadevs[bits] = pdev;
	}
	mutex_unlock(&iobmd_dmadev_lock);
	return &pdev->dev;
}

/**
 * iobmd_dmadev_exit() - remove the devices; no buffer may still use them
 */
void iobmd_dmadev_exit(void)
{
	unsigned int i;

	mutex_lock(&iobmd_dmadev_lock);
	for (i = 0; i < ARRAY_SIZE(iobmd_dmadevs); i++) {
		if (iobmd_dmadevs[i])
			platform_device_unregister(iobmd_dmadevs[i]);
		iobmd_dmadevs[i] = NULL;
	}
	mutex_unlock(&iobmd_dmadev_lock);
}

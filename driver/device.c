// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IODeviceMemory, a physical MMIO range (a PCI BAR, say).  It is
 * never System RAM; the kernel maps it uncached and copies with the I/O
 * accessors; DMA uses dma_map_resource().
 */
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/**
 * struct iobmd_devmem - a device memory descriptor
 * @desc: the descriptor
 * @phys: first physical address
 * @dma_addr: DMA address while prepared; desc.prep_lock
 * @dma_dir: its direction; desc.prep_lock
 */
struct iobmd_devmem {
	struct iobmd_desc desc;
	phys_addr_t phys;
	dma_addr_t dma_addr;
	int dma_dir;
};

static struct iobmd_devmem *iobmd_devmem_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_devmem, desc);
}

static int iobmd_devmem_walk(struct iobmd_desc *d, u64 offset, u64 len,
			     unsigned int how, iobmd_run_fn fn, void *arg)
{
	struct iobmd_devmem *m = iobmd_devmem_of(d);
	struct iobmd_run run = {
		.addr = m->phys + offset,
		.len = len,
		.flags = IOBMD_RUN_IOMEM,
		.cache = IOBMD_CACHE_INHIBIT,
	};
	void __iomem *io;
	int ret;

	if (how & IOBMD_WALK_DMA) {
		run.addr = m->dma_addr + offset;
		return fn(arg, &run);
	}
	/*
	 * Mappings need no kernel address; an ioremap() (uncached) alive
	 * while they map would also make the PAT give them its type.
	 */
	if (how & IOBMD_WALK_ADDR)
		return fn(arg, &run);
	io = ioremap(run.addr, len);
	if (!io)
		return -ENOMEM;
	run.kaddr = (void __force *)io;
	ret = fn(arg, &run);
	iounmap(io);
	return ret;
}

static int iobmd_devmem_dma_map(struct iobmd_desc *d, struct device *dev,
				u32 direction)
{
	struct iobmd_devmem *m = iobmd_devmem_of(d);

	/* dma_map_resource() warns about what the device cannot reach. */
	if (m->phys + d->length - 1 > *dev->dma_mask)
		return -ERANGE;
	m->dma_dir = iobmd_dma_dir(direction);
	m->dma_addr = dma_map_resource(dev, m->phys, d->length, m->dma_dir, 0);
	return dma_mapping_error(dev, m->dma_addr) ? -ENOMEM : 0;
}

static void iobmd_devmem_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_devmem *m = iobmd_devmem_of(d);

	dma_unmap_resource(d->dma_dev, m->dma_addr, d->length, m->dma_dir, 0);
}

static void iobmd_devmem_release(struct iobmd_desc *d)
{
	struct iobmd_devmem *m = iobmd_devmem_of(d);

	atomic64_sub(d->length, &iobmd_stats.device_bytes);
	kfree(m);
}

static const struct iobmd_desc_ops iobmd_devmem_ops = {
	.walk = iobmd_devmem_walk,
	.dma_map = iobmd_devmem_dma_map,
	.dma_unmap = iobmd_devmem_dma_unmap,
	.release = iobmd_devmem_release,
};

/**
 * iobmd_device_create() - IODeviceMemory::withRange
 * @phys: first physical address
 * @length: bytes
 *
 * The caller checks privilege.
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) for an
 * empty or wrapping range, one beyond the CPU's physical address space or
 * one touching System RAM, -ENOMEM.
 */
struct iobmd_desc *iobmd_device_create(u64 phys, u64 length)
{
	struct iobmd_devmem *m;
	u64 end;

	/* ioremap() warns about addresses the CPU cannot have. */
	if (!length || check_add_overflow(phys, length - 1, &end) ||
	    end > iomem_resource.end)
		return ERR_PTR(-EINVAL);
	if (region_intersects(phys, length, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return ERR_PTR(-EINVAL);
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->phys = phys;
	iobmd_desc_init(&m->desc, &iobmd_devmem_ops, IOBMD_KIND_DEVICE, length,
			IOBMD_DIRECTION_INOUT, 1);
	atomic64_add(length, &iobmd_stats.device_bytes);
	return &m->desc;
}
EXPORT_SYMBOL_NS_GPL(iobmd_device_create, IOBMD);

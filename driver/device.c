// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IODeviceMemory, a physical MMIO range (a PCI BAR, say).  It is
 * never System RAM; the kernel maps it uncached and copies with the I/O
 * accessors, a bounded chunk at a time; DMA uses dma_map_resource().
 *
 * Ranges userspace names are held to /dev/mem's rules (STRICT_DEVMEM and
 * IO_STRICT_DEVMEM, whatever this kernel was built with): no System RAM,
 * nothing a driver has claimed (busy) or marked exclusive, and nothing at
 * all once lockdown closes /dev/mem; those checks are made again at every
 * use, since lockdown can be raised and drivers can claim ranges later.
 */
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/**
 * struct iobmd_devmem - a device memory descriptor
 * @desc: the descriptor
 * @phys: first physical address
 * @dma_addr: DMA address while prepared; desc.prep_lock
 * @dma_dir: its direction; desc.prep_lock
 * @user: named by userspace: /dev/mem's rules apply at every use
 */
struct iobmd_devmem {
	struct iobmd_desc desc;
	phys_addr_t phys;
	bool user;
	dma_addr_t dma_addr;
	int dma_dir;
};

static struct iobmd_devmem *iobmd_devmem_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_devmem, desc);
}

/**
 * iobmd_raw_locked_down() - whether lockdown closes raw physical access
 *
 * What /dev/mem checks when it is opened (LOCKDOWN_DEV_MEM); the module
 * asks at every use of memory that userspace named by physical address.
 *
 * Return: 0, or -EPERM once lockdown is at "integrity" or above.
 */
int iobmd_raw_locked_down(void)
{
	return security_locked_down(LOCKDOWN_DEV_MEM) ? -EPERM : 0;
}

static int iobmd_devmem_claimed(struct resource *res, void *arg)
{
	return 1;
}

/*
 * /dev/mem's rules for MMIO userspace names: lockdown closes it all; a
 * range a driver has claimed (busy: the IOAPIC, the HPET, a BAR in use) or
 * that is marked exclusive is refused, as IO_STRICT_DEVMEM does, whether
 * or not this kernel has it; System RAM the caller refused already.  Whole
 * pages, as /dev/mem judges them and as a mapping shows them.
 */
static int iobmd_devmem_user_check(u64 phys, u64 end)
{
	int ret = iobmd_raw_locked_down();

	if (ret)
		return ret;
	phys &= PAGE_MASK;
	end |= PAGE_SIZE - 1;
	if (walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM |
				IORESOURCE_BUSY, phys, end, NULL,
				iobmd_devmem_claimed) == 1 ||
	    walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM |
				IORESOURCE_EXCLUSIVE, phys, end, NULL,
				iobmd_devmem_claimed) == 1)
		return -EPERM;
	return 0;
}

/* Device memory mapped into the kernel at a time, for copies. */
#define IOBMD_DEVMEM_CHUNK	SZ_256K

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
	phys_addr_t addr = run.addr;
	void __iomem *io;
	int ret;

	if (m->user && len) {
		ret = iobmd_devmem_user_check(addr, addr + len - 1);
		if (ret)
			return ret;
	}
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
	/* Copies: one bounded, aligned chunk mapped at a time. */
	while (len) {
		run.addr = addr;
		run.len = min_t(u64, len, IOBMD_DEVMEM_CHUNK -
				(addr & (IOBMD_DEVMEM_CHUNK - 1)));
		io = ioremap(run.addr, run.len);
		if (!io)
			return -ENOMEM;
		run.kaddr = (void __force *)io;
		ret = fn(arg, &run);
		iounmap(io);
		if (ret)
			return ret;
		addr += run.len;
		len -= run.len;
		cond_resched();
	}
	return 0;
}

static int iobmd_devmem_usable(struct iobmd_desc *d)
{
	struct iobmd_devmem *m = iobmd_devmem_of(d);

	if (!m->user)
		return 0;
	return iobmd_devmem_user_check(m->phys, m->phys + d->length - 1);
}

static u64 iobmd_devmem_phys_limit(struct iobmd_desc *d)
{
	return iobmd_devmem_of(d)->phys + d->length - 1;
}

static int iobmd_devmem_dma_map(struct iobmd_desc *d, struct device *dev,
				u32 direction)
{
	struct iobmd_devmem *m = iobmd_devmem_of(d);

	if (!dev)
		return 0;
	/* dma_map_resource() warns about what the device cannot reach. */
	if (m->phys + d->length - 1 > iobmd_dma_reach(dev))
		return -ERANGE;
	m->dma_dir = iobmd_dma_dir(direction);
	/*
	 * MMIO is never in the CPU's caches, so there is nothing to sync;
	 * saying so also lets the same registers be mapped more than once
	 * at a time (overlapping device descriptors), which DMA-API
	 * debugging otherwise reports as overlapping cacheline mappings.
	 */
	m->dma_addr = dma_map_resource(dev, m->phys, d->length, m->dma_dir,
				       DMA_ATTR_SKIP_CPU_SYNC);
	return dma_mapping_error(dev, m->dma_addr) ? -ENOMEM : 0;
}

static void iobmd_devmem_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_devmem *m = iobmd_devmem_of(d);

	if (d->dma_dev)
		dma_unmap_resource(d->dma_dev, m->dma_addr, d->length,
				   m->dma_dir, DMA_ATTR_SKIP_CPU_SYNC);
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
	.phys_limit = iobmd_devmem_phys_limit,
	.usable = iobmd_devmem_usable,
	.release = iobmd_devmem_release,
};

static struct iobmd_desc *iobmd_device_new(u64 phys, u64 length, bool user)
{
	struct iobmd_devmem *m;
	u64 end;
	int ret;

	/* ioremap() warns about addresses the CPU cannot have. */
	if (!length || check_add_overflow(phys, length - 1, &end) ||
	    end > iobmd_phys_max())
		return ERR_PTR(-EINVAL);
	if (region_intersects(phys, length, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return ERR_PTR(-EINVAL);
	if (user) {
		ret = iobmd_devmem_user_check(phys, end);
		if (ret)
			return ERR_PTR(ret);
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->phys = phys;
	m->user = user;
	iobmd_desc_init(&m->desc, &iobmd_devmem_ops, IOBMD_KIND_DEVICE, length,
			IOBMD_DIRECTION_INOUT, 1);
	atomic64_add(length, &iobmd_stats.device_bytes);
	return &m->desc;
}

/**
 * iobmd_device_create() - IODeviceMemory::withRange
 * @phys: first physical address
 * @length: bytes
 *
 * For drivers describing MMIO they own (claimed or not): only System RAM
 * is refused.  The caller checks privilege.
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) for an
 * empty or wrapping range, one beyond the CPU's physical address space or
 * one touching System RAM, -ENOMEM.
 */
struct iobmd_desc *iobmd_device_create(u64 phys, u64 length)
{
	return iobmd_device_new(phys, length, false);
}
EXPORT_SYMBOL_NS_GPL(iobmd_device_create, IOBMD_NS);

/**
 * iobmd_device_create_user() - IODeviceMemory::withRange for userspace
 * @phys: first physical address
 * @length: bytes
 *
 * As iobmd_device_create(), held to /dev/mem's rules (see the top of this
 * file) now and at every later use.  The caller checks CAP_SYS_RAWIO.
 *
 * Return: as iobmd_device_create(), or ERR_PTR(-EPERM) under lockdown or
 * for a range touching MMIO that is busy or exclusive.
 */
struct iobmd_desc *iobmd_device_create_user(u64 phys, u64 length)
{
	return iobmd_device_new(phys, length, true);
}

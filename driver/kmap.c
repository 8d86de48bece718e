// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: mapping a descriptor into the kernel (IOMemoryDescriptor::map()
 * with the kernel task), for drivers using the in-kernel API.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "iobmd_priv.h"

/**
 * struct iobmd_kmap - the pages of a descriptor, laid out as a mapping
 * @pages: one entry a page
 * @n: entries used
 * @room: entries @pages holds
 * @pos: offset in the mapping of the next byte
 * @cache: IOBMD_CACHE_* the memory has
 */
struct iobmd_kmap {
	struct page **pages;
	unsigned long n;
	unsigned long room;
	u64 pos;
	unsigned int cache;
};

static int iobmd_kmap_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_kmap *k = arg;
	unsigned long pfn = PHYS_PFN(run->addr);
	unsigned long last = PHYS_PFN(run->addr + run->len - 1);

	if (run->flags & IOBMD_RUN_IOMEM)
		return -EOPNOTSUPP;
	if (k->n && run->cache != k->cache)
		return -EINVAL;
	k->cache = run->cache;
	/* Bytes keep their page offsets; a page shared must be the same. */
	if (offset_in_page(k->pos) != offset_in_page(run->addr))
		return -EINVAL;
	if (k->n && offset_in_page(k->pos)) {
		if (page_to_pfn(k->pages[k->n - 1]) != pfn)
			return -EINVAL;
		pfn++;
	}
	for (; pfn <= last; pfn++) {
		if (k->n == k->room)
			return -EINVAL;
		k->pages[k->n++] = pfn_to_page(pfn);
	}
	k->pos += run->len;
	return 0;
}

/**
 * iobmd_desc_vmap() - map a descriptor's memory into the kernel
 * @d: the descriptor; RAM only (device memory: -EOPNOTSUPP)
 *
 * Pins the memory (pinning user memory: call it from the creating
 * process), then maps its pages contiguously with the memory's cache mode.
 * Undo with iobmd_desc_vunmap().
 *
 * Return: the kernel address of the descriptor's first byte, or
 * ERR_PTR(-EOPNOTSUPP) for device memory, -EINVAL for pieces whose page
 * offsets do not line up, -ENODATA for length 0, -ENOMEM, or the error of
 * pinning user memory.
 */
void *iobmd_desc_vmap(struct iobmd_desc *d)
{
	struct iobmd_kmap k = { };
	u64 delta, size;
	pgprot_t prot;
	void *addr;
	int ret;

	ret = iobmd_desc_pin(d, IOBMD_PIN_WRITE);
	if (ret)
		return ERR_PTR(ret);
	ret = iobmd_desc_map_layout(d, &delta, &size);
	if (ret)
		goto err_unpin;
	k.room = size >> PAGE_SHIFT;
	k.pos = delta;
	k.pages = kvmalloc_array(k.room, sizeof(*k.pages),
				 GFP_KERNEL | __GFP_NOWARN);
	ret = -ENOMEM;
	if (!k.pages)
		goto err_unpin;
	ret = d->ops->walk(d, 0, iobmd_desc_extent(d), 0, iobmd_kmap_run, &k);
	if (ret)
		goto err_free;

	prot = PAGE_KERNEL;
	if (k.cache == IOBMD_CACHE_INHIBIT)
		prot = pgprot_noncached(prot);
	else if (k.cache == IOBMD_CACHE_WRITE_COMBINE)
		prot = pgprot_writecombine(prot);
	addr = vmap(k.pages, k.n, VM_MAP, prot);
	kvfree(k.pages);
	if (!addr) {
		iobmd_desc_unpin(d);
		return ERR_PTR(-ENOMEM);
	}
	return addr + delta;

err_free:
	kvfree(k.pages);
err_unpin:
	iobmd_desc_unpin(d);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_vmap, IOBMD);

/**
 * iobmd_desc_vunmap() - undo iobmd_desc_vmap()
 * @d: the descriptor
 * @addr: what iobmd_desc_vmap() returned
 */
void iobmd_desc_vunmap(struct iobmd_desc *d, void *addr)
{
	vunmap((void *)((unsigned long)addr & PAGE_MASK));
	iobmd_desc_unpin(d);
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_vunmap, IOBMD);

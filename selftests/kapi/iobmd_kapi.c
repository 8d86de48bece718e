// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_kapi: uses iobmd's in-kernel API the way a driver would, when it
 * is loaded, and leaves the results as TAP in
 * /sys/kernel/debug/iobmd_kapi/results for selftests/iobmd_kapi_test.c.
 *
 * A buffer below 4 GiB, composed with a sub-range and a contiguous buffer
 * into a multi, prepared for a device of its own with a 32-bit DMA mask
 * (a platform device: no hardware, the DMA API's bookkeeping only),
 * its DMA segments checked, mapped into the kernel, torn down; misuses
 * refused; physical RAM described only where a page reference is held.
 *
 * Then as an importer of iobmd's dma-bufs (iobmd_desc_export_dmabuf()):
 * vmapped, the bytes both ways; mapped for devices (its own, QEMU's edu
 * PCI device, one that reaches no RAM); the cache mode of the kernel's
 * and a process's mappings of a write-combined buffer's dma-buf; device
 * memory (the ivshmem BAR) mapped as I/O memory and as a resource.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/gfp.h>
#include <linux/iobmd.h>
#include <linux/iosys-map.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include <iobmd_compat.h>

MODULE_IMPORT_NS(IOBMD_NS);
MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

/* 6.2 made the plain calls need the reservation lock; before, they took it. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define kapi_dmabuf_vmap	dma_buf_vmap_unlocked
#define kapi_dmabuf_vunmap	dma_buf_vunmap_unlocked
#define kapi_dmabuf_map		dma_buf_map_attachment_unlocked
#define kapi_dmabuf_unmap	dma_buf_unmap_attachment_unlocked
#else
#define kapi_dmabuf_vmap	dma_buf_vmap
#define kapi_dmabuf_vunmap	dma_buf_vunmap
#define kapi_dmabuf_map		dma_buf_map_attachment
#define kapi_dmabuf_unmap	dma_buf_unmap_attachment
#endif

#define KAPI_EDU_VENDOR		0x1234
#define KAPI_EDU_DEVICE		0x11e8
#define KAPI_IVSHMEM_VENDOR	0x1af4
#define KAPI_IVSHMEM_DEVICE	0x1110
/* A page of the ivshmem BAR no other test uses. */
#define KAPI_IVSHMEM_OFF	0xf0000

#define KAPI_SEGS	64

static char kapi_results[PAGE_SIZE];
static struct seq_buf kapi_out;
static unsigned int kapi_nr;
static struct dentry *kapi_dir;
static struct debugfs_blob_wrapper kapi_blob;

#define kapi_check(cond, name)						\
	({								\
		bool __ok = (cond);					\
		seq_buf_printf(&kapi_out, "%sok %u %s\n",		\
			       __ok ? "" : "not ", ++kapi_nr, name);	\
		__ok;							\
	})

/* Every segment of [0, length) ends at or below @limit; bytes add up. */
static bool kapi_segs_below(struct iobmd_desc *d, bool dma, u64 limit)
{
	struct iobmd_segment *segs;
	u64 total, sum = 0;
	bool ok = true;
	u32 count, i;
	int ret;

	segs = kcalloc(KAPI_SEGS, sizeof(*segs), GFP_KERNEL);
	if (!segs)
		return false;
	ret = dma ? iobmd_desc_dma_segments(d, 0, 0, segs, KAPI_SEGS, &count,
					    &total) :
		    iobmd_desc_phys_segments(d, 0, 0, segs, KAPI_SEGS, &count,
					     &total);
	if (ret || count != total)
		ok = false;
	for (i = 0; ok && i < count; i++) {
		sum += segs[i].len;
		if (segs[i].addr + segs[i].len - 1 > limit)
			ok = false;
	}
	kfree(segs);
	return ok && sum == iobmd_desc_length(d);
}

/* Whether @d is prepared: it has DMA segments. */
static bool kapi_prepared(struct iobmd_desc *d)
{
	u64 total;
	u32 count;

	return iobmd_desc_dma_segments(d, 0, 0, NULL, 0, &count, &total) !=
	       -ENODATA;
}

/*
 * What a driver must not do is refused and changes nothing: a nested
 * prepare in a direction the mapping does not cover (the device's writes
 * would be lost), a complete without a prepare (which also warns once:
 * selftests/iobmd_kapi_test.c tells the test runner to expect it).
 */
static void kapi_misuse(struct iobmd_desc *d, struct device *dev)
{
	if (kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT, dev),
		       "prepare Out")) {
		kapi_check(iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_IN,
						  dev) == -EACCES &&
			   iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_INOUT,
						  dev) == -EACCES,
			   "a nested prepare In or InOut of memory prepared Out is EACCES");
		kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT, dev) &&
			   !iobmd_desc_complete(d),
			   "a nested prepare Out of memory prepared Out");
		kapi_check(!iobmd_desc_complete(d) && !kapi_prepared(d),
			   "one complete each");
	}
	if (kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_IN, dev),
		       "prepare In")) {
		kapi_check(iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT,
						  dev) == -EACCES,
			   "a nested prepare Out of memory prepared In is EACCES");
		kapi_check(!iobmd_desc_complete(d), "complete");
	}
	kapi_check(iobmd_desc_complete(d) == -EINVAL,
		   "complete without a prepare is EINVAL");
	kapi_check(!kapi_prepared(d), "... and leaves it not prepared");
	if (kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_INOUT, dev),
		       "... and a prepare works after it")) {
		kapi_check(kapi_prepared(d) && !iobmd_desc_complete(d) &&
			   !kapi_prepared(d), "... and its complete");
	}
}

/* withPhysicalAddress over @n pages from @page; the error, or 0 (released). */
static int kapi_phys(struct page *page, unsigned int n, struct iobmd_desc **keep)
{
	struct iobmd_range r = { page_to_phys(page), (u64)n << PAGE_SHIFT };
	struct iobmd_desc *d;

	d = iobmd_general_create(&r, 1, IOBMD_DIRECTION_INOUT, true);
	if (IS_ERR(d))
		return PTR_ERR(d);
	if (keep)
		*keep = d;
	else
		iobmd_desc_put(d);
	return 0;
}

/*
 * Physical RAM holds a reference on every page it describes, so a page with
 * none to take is refused: a free page (here freshly freed to this CPU's
 * list, most often still there), and the later pages of an allocation that
 * is not compound until split_page() gives each its own.
 */
static void kapi_physical(void)
{
	struct iobmd_desc *d = NULL;
	struct page *page;
	int i, refused = 0;

	page = alloc_pages(GFP_KERNEL, 2);
	if (!kapi_check(page, "an order-2 allocation, not compound"))
		return;
	kapi_check(!kapi_phys(page, 1, NULL),
		   "its first page (referenced) is described");
	kapi_check(kapi_phys(page, 4, NULL) == -EINVAL,
		   "its unreferenced later pages are refused with -EINVAL");
	split_page(page, 2);
	if (kapi_check(!kapi_phys(page, 4, &d), "all four after split_page()")) {
		kapi_check(page_ref_count(page) == 2 &&
			   page_ref_count(page + 3) == 2,
			   "each page is referenced while described");
		iobmd_desc_put(d);
	}
	kapi_check(page_ref_count(page) == 1 && page_ref_count(page + 3) == 1,
		   "and released with the descriptor");
	for (i = 0; i < 4; i++)
		__free_page(page + i);

	for (i = 0; i < 16; i++) {
		page = alloc_page(GFP_KERNEL);
		if (!page)
			continue;
		__free_page(page);
		if (kapi_phys(page, 1, NULL) == -EINVAL)
			refused++;
	}
	pr_info("iobmd_kapi: %d of 16 freed pages refused\n", refused);
	kapi_check(refused >= 12, "pages just freed are refused");
}

/* --- as an importer of iobmd's dma-bufs ------------------------------ */

static void kapi_move_notify(struct dma_buf_attachment *at)
{
}

/* A dynamic importer that takes memory without pages (peer2peer). */
static const struct dma_buf_attach_ops kapi_p2p_ops = {
	.allow_peer2peer = true,
	.IOBMD_DMA_BUF_INVALIDATE = kapi_move_notify,
};

/*
 * @dmabuf mapped for @dev (a peer2peer importer's attachment if @p2p):
 * the table's DMA addresses cover @len bytes and end at or below @limit;
 * the first is *@first.  0, or the attach's or the map's error.
 */
static int kapi_dmabuf_map_check(struct dma_buf *dmabuf, struct device *dev,
				 bool p2p, enum dma_data_direction dir,
				 u64 len, u64 limit, dma_addr_t *first)
{
	struct dma_buf_attachment *at;
	struct scatterlist *sg;
	struct sg_table *sgt;
	u64 sum = 0;
	bool ok = true;
	int i, ret = 0;

	at = p2p ? dma_buf_dynamic_attach(dmabuf, dev, &kapi_p2p_ops, NULL) :
		   dma_buf_attach(dmabuf, dev);
	if (IS_ERR(at))
		return PTR_ERR(at);
	if (p2p) {
		dma_resv_lock(dmabuf->resv, NULL);
		sgt = dma_buf_map_attachment(at, dir);
	} else {
		sgt = kapi_dmabuf_map(at, dir);
	}
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out;
	}
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (!i && first)
			*first = sg_dma_address(sg);
		sum += sg_dma_len(sg);
		if (!sg_dma_len(sg) ||
		    sg_dma_address(sg) + sg_dma_len(sg) - 1 > limit)
			ok = false;
	}
	if (p2p)
		dma_buf_unmap_attachment(at, sgt, dir);
	else
		kapi_dmabuf_unmap(at, sgt, dir);
	if (!ok || sum != len)
		ret = -EBADE;
out:
	if (p2p)
		dma_resv_unlock(dmabuf->resv);
	dma_buf_detach(dmabuf, at);
	return ret;
}

/*
 * One attachment of @dmabuf to @dev mapped again: the same table while
 * the first mapping lasts, in its direction or any when that is
 * bidirectional; in another direction EBUSY.  True when so.
 */
static bool kapi_dmabuf_map_again(struct dma_buf *dmabuf, struct device *dev)
{
	/*
	 * Per round, three maps in these directions: the third is busy in
	 * the first round; in the second, after every unmap of the first,
	 * a bidirectional mapping serves all three.
	 */
	static const enum dma_data_direction dirs[2][3] = {
		{ DMA_TO_DEVICE, DMA_TO_DEVICE, DMA_FROM_DEVICE },
		{ DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE },
	};
	struct dma_buf_attachment *at;
	struct sg_table *t[3];
	bool ok = true;
	int round, i;

	at = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(at))
		return false;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 3; i++)
			t[i] = kapi_dmabuf_map(at, dirs[round][i]);
		ok = ok && !IS_ERR(t[0]) && t[1] == t[0] &&
		     (round ? t[2] == t[0] : PTR_ERR(t[2]) == -EBUSY);
		for (i = 2; i >= 0; i--)
			if (!IS_ERR(t[i]))
				kapi_dmabuf_unmap(at, t[i], dirs[round][i]);
	}
	dma_buf_detach(dmabuf, at);
	return ok;
}

#if defined(CONFIG_X86) || defined(CONFIG_ARM64)
#ifdef CONFIG_X86
/* The cache bits (PAT, PCD, PWT) of a protection. */
static pteval_t kapi_cache_bits(pgprot_t prot)
{
	return pgprot_val(prot) & _PAGE_CACHE_MASK;
}

static pteval_t kapi_pte_cache(pte_t pte)
{
	return pte_flags(pte) & _PAGE_CACHE_MASK;
}

/* The cache bits of the kernel's mapping of @addr, or ~0. */
static pteval_t kapi_kernel_cache(void *addr)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)addr, &level);

	if (!pte || level != PG_LEVEL_4K || !pte_present(*pte))
		return ~(pteval_t)0;
	return pte_flags(*pte) & _PAGE_CACHE_MASK;
}
#else
/* The memory attribute index (MAIR entry) of a protection. */
static pteval_t kapi_cache_bits(pgprot_t prot)
{
	return pgprot_val(prot) & PTE_ATTRINDX_MASK;
}

static pteval_t kapi_pte_cache(pte_t pte)
{
	return pte_val(pte) & PTE_ATTRINDX_MASK;
}
#endif

/* The cache bits of this process's mapping of @addr (present), or ~0. */
static pteval_t kapi_user_cache(unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	pteval_t bits = ~(pteval_t)0;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t pte;

	mmap_read_lock(mm);
	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd))
		goto out;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		goto out;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_leaf(*pud))
		goto out;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(*pmd) || pmd_leaf(*pmd))
		goto out;
	/* x86-64 and arm64 keep page tables in the direct map. */
	pte = READ_ONCE(*pte_offset_kernel(pmd, addr));
	if (pte_present(pte))
		bits = kapi_pte_cache(pte);
out:
	mmap_read_unlock(mm);
	return bits;
}

/*
 * The kernel's vmap and this process's mmap of a dma-buf of a buffer of
 * @cache both have @cache's bits (write-back: none).  arm64 exports no
 * way to walk the kernel's page tables (init_mm): there, the process's
 * mapping only.
 */
static void kapi_dmabuf_cache(u32 cache, pgprot_t want, const char *name)
{
	struct iosys_map __maybe_unused map;
	struct iobmd_desc *b;
	struct dma_buf *dmabuf;
	unsigned long uaddr;
	char what[96];
	u8 c;

	b = iobmd_buffer_with_options(IOBMD_DIRECTION_INOUT | cache, SZ_16K,
				      0);
	snprintf(what, sizeof(what), "a %s buffer exported", name);
	if (!kapi_check(!IS_ERR(b), what))
		return;
	dmabuf = iobmd_desc_export_dmabuf(b, 0, 0, O_RDWR);
	iobmd_desc_put(b);
	if (!kapi_check(!IS_ERR(dmabuf), what))
		return;
#ifdef CONFIG_X86
	snprintf(what, sizeof(what), "its vmap is %s", name);
	map = (struct iosys_map){ };
	if (kapi_check(!kapi_dmabuf_vmap(dmabuf, &map), "vmap")) {
		kapi_check(kapi_kernel_cache(map.vaddr + SZ_4K) ==
			   kapi_cache_bits(want), what);
		kapi_dmabuf_vunmap(dmabuf, &map);
	}
#endif
	/* Mapped into the process that loads this module. */
	uaddr = vm_mmap(dmabuf->file, 0, SZ_16K, PROT_READ | PROT_WRITE,
			MAP_SHARED, 0);
	snprintf(what, sizeof(what), "a process's mmap of it is %s", name);
	if (kapi_check(!IS_ERR_VALUE(uaddr), "vm_mmap of the dma-buf")) {
		/* Faulted in if it was not: the buffer is zeroed. */
		kapi_check(!get_user(c, (u8 __user *)uaddr + SZ_8K) && !c &&
			   kapi_user_cache(uaddr + SZ_8K) ==
			   kapi_cache_bits(want), what);
		vm_munmap(uaddr, SZ_16K);
	}
	dma_buf_put(dmabuf);
}
#endif

/*
 * Device memory exported: no kernel mapping for importers (vb2-vmalloc
 * takes any vmap for system memory), mapped as a resource.
 */
static void kapi_dmabuf_iomem(struct device *dev)
{
	struct iosys_map map = { };
	struct pci_dev *ivshmem;
	struct iobmd_desc *d;
	struct dma_buf *dmabuf;
	dma_addr_t first = 0;
	u64 phys;

	ivshmem = pci_get_device(KAPI_IVSHMEM_VENDOR, KAPI_IVSHMEM_DEVICE,
				 NULL);
	if (!kapi_check(ivshmem, "the ivshmem device"))
		return;
	phys = pci_resource_start(ivshmem, 2) + KAPI_IVSHMEM_OFF;
	pci_dev_put(ivshmem);
	d = iobmd_device_create(phys, PAGE_SIZE);
	if (!kapi_check(!IS_ERR(d), "device memory"))
		return;
	kapi_check(!iobmd_desc_write_bytes(d, 0, "kapi-iomem", 10),
		   "device memory written");
	dmabuf = iobmd_desc_export_dmabuf(d, 0, 0, O_RDWR);
	if (!kapi_check(!IS_ERR(dmabuf), "device memory exported")) {
		iobmd_desc_put(d);
		return;
	}
	kapi_check(kapi_dmabuf_vmap(dmabuf, &map) == -EINVAL,
		   "its vmap is refused");
	{
		char got[10];

		kapi_check(!iobmd_desc_read_bytes(d, 0, got, sizeof(got)) &&
			   !memcmp(got, "kapi-iomem", sizeof(got)),
			   "... the bytes are the descriptor's");
	}
	iobmd_desc_put(d);
	/*
	 * Only to importers that take memory without pages; with no IOMMU
	 * for the platform device, the resource's own address.
	 */
	kapi_check(kapi_dmabuf_map_check(dmabuf, dev, false, DMA_BIDIRECTIONAL,
					 PAGE_SIZE, U64_MAX, NULL) ==
		   -EOPNOTSUPP, "device memory refused to an importer of pages");
	/*
	 * The BAR may lie beyond the device's 32 bits (arm64's QEMU virt puts
	 * 64-bit BARs at 512 GiB): then it is refused, nothing bounced.
	 */
	if (phys + PAGE_SIZE - 1 > dma_get_mask(dev))
		kapi_check(kapi_dmabuf_map_check(dmabuf, dev, true,
						 DMA_BIDIRECTIONAL, PAGE_SIZE,
						 U64_MAX, NULL) == -ERANGE,
			   "device memory beyond a peer2peer importer's reach: ERANGE");
	else
		kapi_check(!kapi_dmabuf_map_check(dmabuf, dev, true,
						  DMA_BIDIRECTIONAL, PAGE_SIZE,
						  U64_MAX, &first) &&
			   first == phys,
			   "device memory mapped for a peer2peer importer");
	dma_buf_put(dmabuf);
}

static void kapi_dmabuf(struct device *dev, struct device *tiny)
{
	struct iobmd_desc *buf, *out, *low;
	struct iosys_map map = { };
	struct iobmd_segment seg;
	struct dma_buf *dmabuf, *part;
	struct pci_dev *edu;
	dma_addr_t first = 0;
	u8 *pattern, *back;
	u64 total;
	u32 count;
	int i;

	pattern = kmalloc(SZ_64K, GFP_KERNEL);
	back = kmalloc(SZ_64K, GFP_KERNEL);
	buf = iobmd_buffer_with_physical_mask(IOBMD_DIRECTION_INOUT, SZ_64K,
					      0x00000000FFFFF000ULL);
	if (!kapi_check(pattern && back && !IS_ERR(buf),
			"dma-buf: a buffer below 4 GiB"))
		goto out_put;
	for (i = 0; i < SZ_64K; i++)
		pattern[i] = i * 11 + 5;
	iobmd_desc_write_bytes(buf, 0, pattern, SZ_64K);

	kapi_check(PTR_ERR(iobmd_desc_export_dmabuf(buf, 1, 0, O_RDWR)) ==
		   -EINVAL &&
		   PTR_ERR(iobmd_desc_export_dmabuf(buf, 0, SZ_64K + 1,
						    O_RDWR)) == -ERANGE &&
		   PTR_ERR(iobmd_desc_export_dmabuf(buf, 0, 0, O_WRONLY)) ==
		   -EINVAL, "export refuses a bad offset, length or mode");
	dmabuf = iobmd_desc_export_dmabuf(buf, 0, 0, O_RDWR);
	if (!kapi_check(!IS_ERR(dmabuf) && dmabuf->size == SZ_64K,
			"exported, 64 KiB"))
		goto out_put;

	if (kapi_check(!kapi_dmabuf_vmap(dmabuf, &map) && !map.is_iomem,
		       "vmap of the dma-buf")) {
		kapi_check(!dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE) &&
			   !memcmp(map.vaddr, pattern, SZ_64K) &&
			   !dma_buf_end_cpu_access(dmabuf, DMA_FROM_DEVICE),
			   "vmap shows the buffer's bytes");
		memset(map.vaddr + 1000, 0xa5, 100);
		kapi_check(!iobmd_desc_read_bytes(buf, 1000, back, 100) &&
			   !memchr_inv(back, 0xa5, 100),
			   "bytes written through the vmap are the buffer's");
		kapi_dmabuf_vunmap(dmabuf, &map);
	}
	iobmd_desc_write_bytes(buf, 1000, pattern + 1000, 100);

	/* A part: the vmap starts at its first byte. */
	part = iobmd_desc_export_dmabuf(buf, SZ_8K, SZ_4K + 1, O_RDONLY);
	if (kapi_check(!IS_ERR(part) && part->size == SZ_8K,
		       "a part exported, two pages")) {
		if (kapi_check(!kapi_dmabuf_vmap(part, &map), "its vmap")) {
			kapi_check(!memcmp(map.vaddr, pattern + SZ_8K, SZ_8K),
				   "its vmap shows the part");
			kapi_dmabuf_vunmap(part, &map);
		}
		dma_buf_put(part);
	}

	/* Its own 32-bit device, no IOMMU: the physical segments. */
	kapi_check(!iobmd_desc_phys_segments(buf, 0, 1, &seg, 1, &count,
					     &total) &&
		   !kapi_dmabuf_map_check(dmabuf, dev, false, DMA_BIDIRECTIONAL,
					  SZ_64K, DMA_BIT_MASK(32), &first) &&
		   first == seg.addr,
		   "mapped for a 32-bit device: its physical addresses");
	kapi_check(kapi_dmabuf_map_again(dmabuf, dev),
		   "an attachment mapped again: the same table, or EBUSY");
	/*
	 * edu: a PCI device with no driver bound now.  Its mask is 32 bits,
	 * or the 28 its driver set when a test bound one earlier in this
	 * boot: a buffer below 256 MiB is in its reach either way.  (arm64's
	 * QEMU virt has no RAM there; its edu has 32 bits, vm-run.sh.)
	 */
	edu = pci_get_device(KAPI_EDU_VENDOR, KAPI_EDU_DEVICE, NULL);
	low = iobmd_buffer_with_physical_mask(IOBMD_DIRECTION_INOUT, SZ_64K,
					      IS_ENABLED(CONFIG_ARM64) ?
					      0x00000000FFFFF000ULL :
					      0x000000000FFFF000ULL);
	if (kapi_check(edu && !IS_ERR(low), "the edu device, a buffer for it")) {
		struct dma_buf *lowbuf = iobmd_desc_export_dmabuf(low, 0, 0,
								  O_RDWR);

		kapi_check(!IS_ERR(lowbuf) &&
			   !kapi_dmabuf_map_check(lowbuf, &edu->dev, false,
						  DMA_TO_DEVICE, SZ_64K,
						  dma_get_mask(&edu->dev),
						  &first) && first,
			   "mapped for the edu device: an address in its reach");
		if (!IS_ERR(lowbuf))
			dma_buf_put(lowbuf);
	}
	if (!IS_ERR_OR_NULL(low))
		iobmd_desc_put(low);
	pci_dev_put(edu);
	/* Nothing is bounced for a device that reaches no RAM. */
	kapi_check(kapi_dmabuf_map_check(dmabuf, tiny, false,
					 DMA_BIDIRECTIONAL, SZ_64K, U64_MAX,
					 NULL) == -ERANGE,
		   "a device that cannot reach it: ERANGE");
	dma_buf_put(dmabuf);

	/*
	 * Exported read-only with the direction Out: pinned for writing all
	 * the same, since nothing keeps a device from writing.
	 */
	out = iobmd_buffer_with_physical_mask(IOBMD_DIRECTION_OUT, SZ_8K,
					      0x00000000FFFFF000ULL);
	if (kapi_check(!IS_ERR(out), "an Out buffer")) {
		dmabuf = iobmd_desc_export_dmabuf(out, 0, 0, O_RDONLY);
		iobmd_desc_put(out);
		if (kapi_check(!IS_ERR(dmabuf), "exported read-only")) {
			int r = kapi_dmabuf_map_check(dmabuf, dev, false,
						      DMA_TO_DEVICE, SZ_8K,
						      DMA_BIT_MASK(32), NULL);
			int w = kapi_dmabuf_map_check(dmabuf, dev, false,
						      DMA_FROM_DEVICE, SZ_8K,
						      DMA_BIT_MASK(32), NULL);

			if (r || w)
				seq_buf_printf(&kapi_out, "# read %d, write %d\n",
					       r, w);
			kapi_check(!r && !w, "a device reads it and writes it");
			dma_buf_put(dmabuf);
		}
	}

#if defined(CONFIG_X86) || defined(CONFIG_ARM64)
	kapi_dmabuf_cache(IOBMD_CACHE_DEFAULT, PAGE_KERNEL, "write-back");
	kapi_dmabuf_cache(IOBMD_CACHE_WRITE_COMBINE,
			  pgprot_writecombine(PAGE_KERNEL), "write-combined");
	/* Uncached RAM: the DMA API's type (arm64: Normal non-cacheable). */
	kapi_dmabuf_cache(IOBMD_CACHE_INHIBIT, pgprot_dmacoherent(PAGE_KERNEL),
			  "uncached");
#endif
	kapi_dmabuf_iomem(dev);
out_put:
	if (!IS_ERR(buf))
		iobmd_desc_put(buf);
	kfree(back);
	kfree(pattern);
}

static void kapi_run(struct device *dev, struct device *tiny)
{
	struct iobmd_desc *buf, *sub = NULL, *contig = NULL, *multi = NULL;
	struct iobmd_desc *pieces[2];
	u32 count;
	u64 total;
	u8 *pattern, *back, *k;
	int i;

	pattern = kmalloc(SZ_4K, GFP_KERNEL);
	back = kmalloc(SZ_4K, GFP_KERNEL);
	if (!kapi_check(pattern && back, "scratch memory"))
		goto out;
	for (i = 0; i < SZ_4K; i++)
		pattern[i] = i * 7 + 3;

	buf = iobmd_buffer_with_physical_mask(IOBMD_DIRECTION_INOUT, SZ_1M,
					      0x00000000FFFFF000ULL);
	if (!kapi_check(!IS_ERR(buf), "buffer with a 32-bit physical mask"))
		goto out;
	kapi_check(iobmd_buffer_capacity(buf) == SZ_1M &&
		   iobmd_desc_length(buf) == SZ_1M, "capacity and length");
	kapi_check(kapi_segs_below(buf, false, DMA_BIT_MASK(32)),
		   "physical segments below 4 GiB");
	kapi_check(!iobmd_desc_write_bytes(buf, 12345, pattern, SZ_4K) &&
		   !iobmd_desc_read_bytes(buf, 12345, back, SZ_4K) &&
		   !memcmp(pattern, back, SZ_4K), "write and read bytes");
	kapi_check(iobmd_desc_read_bytes(buf, SZ_1M - 1, back, 2) == -ERANGE,
		   "read past the length is ERANGE");

	k = iobmd_desc_vmap(buf);
	if (kapi_check(!IS_ERR(k), "vmap")) {
		kapi_check(!memcmp(k + 12345, pattern, SZ_4K),
			   "vmap shows the bytes written");
		k[SZ_1M - 1] = 0x5a;
		kapi_check(!iobmd_desc_read_bytes(buf, SZ_1M - 1, back, 1) &&
			   back[0] == 0x5a, "bytes written through vmap");
		iobmd_desc_vunmap(buf, k);
	}

	sub = iobmd_sub_create(buf, SZ_8K, SZ_16K, IOBMD_DIRECTION_INOUT);
	kapi_check(!IS_ERR(sub), "sub-range");
	kapi_check(PTR_ERR(iobmd_sub_create(buf, SZ_1M, 1,
					    IOBMD_DIRECTION_INOUT)) == -ERANGE,
		   "sub-range beyond the parent is ERANGE");
	contig = iobmd_buffer_with_physical_mask(IOBMD_DIRECTION_INOUT |
						 IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
						 SZ_64K, 0x00000000FFFFF000ULL);
	kapi_check(!IS_ERR(contig), "contiguous buffer");
	if (IS_ERR(sub) || IS_ERR(contig))
		goto out_put;
	pieces[0] = sub;
	pieces[1] = contig;
	multi = iobmd_multi_create(pieces, 2, IOBMD_DIRECTION_INOUT);
	if (!kapi_check(!IS_ERR(multi) &&
			iobmd_desc_length(multi) == SZ_16K + SZ_64K,
			"multi of a sub-range and a contiguous buffer"))
		goto out_put;
	kapi_check(!iobmd_desc_read_bytes(multi, 12345 - SZ_8K, back, SZ_4K) &&
		   !memcmp(pattern, back, SZ_4K), "multi reads the sub-range");

	kapi_check(iobmd_desc_dma_segments(multi, 0, 0, NULL, 0, &count,
					   &total) == -ENODATA,
		   "no DMA segments before prepare");
	if (kapi_check(!iobmd_desc_prepare_dev(multi, 0, dev),
		       "prepare for a 32-bit device")) {
		kapi_check(kapi_segs_below(multi, true, DMA_BIT_MASK(32)),
			   "DMA segments below 4 GiB");
		kapi_check(iobmd_desc_prepare(multi, 0) == -EBUSY,
			   "a prepare without a device on a device's is EBUSY");
		iobmd_desc_complete(multi);
	}
	if (kapi_check(!iobmd_desc_prepare(buf, IOBMD_DIRECTION_OUT),
		       "prepare without a device")) {
		kapi_check(iobmd_desc_dma_segments(buf, 0, 0, NULL, 0, &count,
						   &total) == -ENODATA &&
			   iobmd_desc_prepare_dev(buf, 0, dev) == -EBUSY,
			   "... wires only: no DMA segments, no device after");
		iobmd_desc_complete(buf);
	}

	kapi_misuse(buf, dev);
	kapi_physical();
	kapi_dmabuf(dev, tiny);

out_put:
	if (!IS_ERR_OR_NULL(multi))
		iobmd_desc_put(multi);
	if (!IS_ERR_OR_NULL(contig))
		iobmd_desc_put(contig);
	if (!IS_ERR_OR_NULL(sub))
		iobmd_desc_put(sub);
	iobmd_desc_put(buf);
out:
	kfree(back);
	kfree(pattern);
	seq_buf_printf(&kapi_out, "1..%u\n", kapi_nr);
}

static struct platform_device *kapi_pdev, *kapi_tiny;

static int __init kapi_init(void)
{
	struct platform_device_info info = {
		.name = "iobmd-kapi",
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(32),
	};
	/* Reaches the first MiB, which x86 keeps from the page allocator. */
	struct platform_device_info tiny = {
		.name = "iobmd-kapi-tiny",
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(20),
	};

	kapi_pdev = platform_device_register_full(&info);
	if (IS_ERR(kapi_pdev))
		return PTR_ERR(kapi_pdev);
	kapi_tiny = platform_device_register_full(&tiny);
	if (IS_ERR(kapi_tiny)) {
		platform_device_unregister(kapi_pdev);
		return PTR_ERR(kapi_tiny);
	}
	seq_buf_init(&kapi_out, kapi_results, sizeof(kapi_results));
	kapi_run(&kapi_pdev->dev, &kapi_tiny->dev);
	kapi_blob.data = kapi_results;
	kapi_blob.size = seq_buf_used(&kapi_out);
	kapi_dir = debugfs_create_dir("iobmd_kapi", NULL);
	debugfs_create_blob("results", 0400, kapi_dir, &kapi_blob);
	return 0;
}

static void __exit kapi_exit(void)
{
	debugfs_remove(kapi_dir);
	platform_device_unregister(kapi_tiny);
	platform_device_unregister(kapi_pdev);
}

module_init(kapi_init);
module_exit(kapi_exit);

MODULE_DESCRIPTION("Test of iobmd's in-kernel API");
MODULE_LICENSE("GPL");

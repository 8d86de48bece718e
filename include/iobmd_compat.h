/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd: the newest kernel APIs the module uses, spelled for older kernels.
 * Supported: 6.1 and later, 64-bit only.  The IOBMD_HAVE_* feature macros
 * come from Kbuild, which looks for each API in the target's headers.
 */
#ifndef _IOBMD_COMPAT_H
#define _IOBMD_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/mmzone.h>

#if KERNEL_VERSION(6, 1, 0) > LINUX_VERSION_CODE
#error "iobmd needs Linux 6.1 or later"
#endif

#ifndef CONFIG_64BIT
#error "iobmd needs a 64-bit kernel (its buffers live in the direct map)"
#endif

/*
 * The highest physical address the CPU can have: x86 ends iomem_resource
 * there; arm64 leaves it at ~0 and bounds ioremap() by its page tables'
 * physical mask instead.
 */
#include <linux/ioport.h>

static inline u64 iobmd_phys_max(void)
{
#ifdef PHYS_MASK
	return min_t(u64, iomem_resource.end, PHYS_MASK);
#else
	return iomem_resource.end;
#endif
}

/* 6.3 made vma->vm_flags read-only behind vm_flags_set()/vm_flags_clear(). */
#ifndef IOBMD_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * 7.0 keeps a VMA's flags in a vma_flags_t and asks the VMA itself
 * whether it is a copy-on-write mapping; before, its vm_flags did.
 */
#ifndef IOBMD_HAVE_VMA_IS_COW_MAPPING
static inline bool vma_is_cow_mapping(const struct vm_area_struct *vma)
{
	return is_cow_mapping(vma->vm_flags);
}
#endif

/*
 * 6.2 made dma_buf_vmap() a call under the dma-buf's reservation lock and
 * added the variant that takes it; before, dma_buf_vmap() locked itself.
 */
#ifndef IOBMD_HAVE_DMA_BUF_VMAP_UNLOCKED
#include <linux/dma-buf.h>

static inline int dma_buf_vmap_unlocked(struct dma_buf *dmabuf,
					struct iosys_map *map)
{
	return dma_buf_vmap(dmabuf, map);
}

static inline void dma_buf_vunmap_unlocked(struct dma_buf *dmabuf,
					   struct iosys_map *map)
{
	dma_buf_vunmap(dmabuf, map);
}
#endif

/*
 * Symbol namespaces: 6.13 made EXPORT_SYMBOL_NS_GPL() and MODULE_IMPORT_NS()
 * take a string literal; before, they stringified a bare name (which
 * __stringify() expands first, so the names below work there too).
 */
#ifdef IOBMD_HAVE_STRING_NS
#define IOBMD_NS		"IOBMD"
#define IOBMD_DMA_BUF_NS	"DMA_BUF"
#else
#define IOBMD_NS		IOBMD
#define IOBMD_DMA_BUF_NS	DMA_BUF
#endif

/*
 * 7.0 named a dynamic importer's callback for an exporter about to move
 * the memory invalidate_mappings; before, it was move_notify.
 */
#ifdef IOBMD_HAVE_DMA_BUF_INVALIDATE_MAPPINGS
#define IOBMD_DMA_BUF_INVALIDATE	invalidate_mappings
#else
#define IOBMD_DMA_BUF_INVALIDATE	move_notify
#endif

/*
 * And an exporter's call that tells them, dma_buf_invalidate_mappings();
 * before, dma_buf_move_notify().  7.0 also has exporters ask whether an
 * importer can be told (dma_buf_attach_revocable()); before, every
 * dynamic importer had to have the callback.
 */
#ifndef IOBMD_HAVE_DMA_BUF_INVALIDATE_MAPPINGS_FN
#include <linux/dma-buf.h>

static inline void dma_buf_invalidate_mappings(struct dma_buf *dmabuf)
{
	dma_buf_move_notify(dmabuf);
}
#endif

#ifndef IOBMD_HAVE_DMA_BUF_ATTACH_REVOCABLE
#include <linux/dma-buf.h>

static inline bool dma_buf_attach_revocable(struct dma_buf_attachment *attach)
{
	return attach->importer_ops &&
	       attach->importer_ops->IOBMD_DMA_BUF_INVALIDATE;
}
#endif

/*
 * alloc_contig_range()'s third argument: a migrate type until 6.16, then
 * flags, where 1 (MIGRATE_MOVABLE's value) asks for CMA memory.  An
 * ordinary request is ACR_FLAGS_NONE there, MIGRATE_MOVABLE before.
 */
#ifdef IOBMD_HAVE_ACR_FLAGS
#define IOBMD_ACR_ORDINARY	ACR_FLAGS_NONE
#else
#define IOBMD_ACR_ORDINARY	MIGRATE_MOVABLE
#endif

/*
 * Whether alloc_contig_range() can hand a range out as one compound page
 * (__GFP_COMP, since 6.12) and zeroes it when asked (__GFP_ZERO, honoured
 * since the same release).  7.0 moved compound ranges to
 * alloc_contig_frozen_range(), whose page comes without a reference; its
 * plain alloc_contig_range() refuses __GFP_COMP with a warning.  Before
 * 6.12 the gfp mask only steered the migration and compound ranges do
 * not exist: ranges come as order-0 pages, zeroed by the caller.
 */
#if defined(CONFIG_CONTIG_ALLOC) && KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#define IOBMD_CONTIG_COMPOUND	1
#else
#define IOBMD_CONTIG_COMPOUND	0
#endif

/*
 * The largest compound page the kernel expects: MAX_FOLIO_ORDER where it
 * is defined (7.x: up to 16 GiB), MAX_FOLIO_NR_PAGES before it (6.12: a
 * PUD's worth where gigantic pages exist).
 */
#if defined(MAX_FOLIO_ORDER)
#define IOBMD_MAX_FOLIO_ORDER	MAX_FOLIO_ORDER
#elif defined(MAX_FOLIO_NR_PAGES)
#define IOBMD_MAX_FOLIO_ORDER	ilog2(MAX_FOLIO_NR_PAGES)
#else
#define IOBMD_MAX_FOLIO_ORDER	IOBMD_MAX_ORDER
#endif

/*
 * The largest order the page allocator hands out: 6.4 made MAX_ORDER that
 * order rather than one past it, 6.8 renamed it MAX_PAGE_ORDER.
 */
#if defined(MAX_PAGE_ORDER)
#define IOBMD_MAX_ORDER		MAX_PAGE_ORDER
#elif KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define IOBMD_MAX_ORDER		MAX_ORDER
#else
#define IOBMD_MAX_ORDER		(MAX_ORDER - 1)
#endif

/*
 * A PMD mapping a physical range at fault time: 6.12's
 * vmf_insert_pfn_pmd() took a pfn_t (PFN_DEV without PFN_MAP: a special
 * entry, no struct page behind it as far as the core mm is concerned),
 * 7.x's takes the page frame number.
 */
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
#include <linux/huge_mm.h>
#ifdef IOBMD_HAVE_VMF_INSERT_PFN_PMD_PFN_T
#include <linux/pfn_t.h>
#define iobmd_vmf_insert_pfn_pmd(vmf, pfn, write) \
	vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write)
#else
#define iobmd_vmf_insert_pfn_pmd(vmf, pfn, write) \
	vmf_insert_pfn_pmd(vmf, pfn, write)
#endif
#endif

/*
 * The same by PUD (1 GiB) where the architecture has it (x86-64; not
 * arm64 as of 7.3), spelled as vmf_insert_pfn_pmd() is on each kernel.
 */
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
#include <linux/huge_mm.h>
#ifdef IOBMD_HAVE_VMF_INSERT_PFN_PUD_PFN_T
#include <linux/pfn_t.h>
#define iobmd_vmf_insert_pfn_pud(vmf, pfn, write) \
	vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write)
#else
#define iobmd_vmf_insert_pfn_pud(vmf, pfn, write) \
	vmf_insert_pfn_pud(vmf, pfn, write)
#endif
#endif

/*
 * The current process's own placement, under a file's get_unmapped_area
 * (6.10 on): 6.12's took the mm first.
 */
#ifdef IOBMD_HAVE_MM_GET_UNMAPPED_AREA_MM
#define iobmd_mm_get_unmapped_area(file, addr, len, pgoff, flags) \
	mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags)
#else
#define iobmd_mm_get_unmapped_area(file, addr, len, pgoff, flags) \
	mm_get_unmapped_area(file, addr, len, pgoff, flags)
#endif

/*
 * Zapping part of a VMA: 7.2 exports zap_vma_range() for any VMA (and
 * renamed zap_vma_ptes(), for PFN mappings only, zap_special_vma_range());
 * before it only PFN mappings, which are all that zap a range before 7.2.
 */
#ifdef IOBMD_HAVE_ZAP_SPECIAL_VMA_RANGE
#define iobmd_zap_vma_range(vma, addr, size) zap_vma_range(vma, addr, size)
#else
#define iobmd_zap_vma_range(vma, addr, size) zap_vma_ptes(vma, addr, size)
#endif

#endif /* _IOBMD_COMPAT_H */

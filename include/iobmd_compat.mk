# SPDX-License-Identifier: GPL-2.0
#
# iobmd's feature tests against the target kernel's headers: each defines
# an IOBMD_HAVE_* macro when the API it names is there, and
# include/iobmd_compat.h spells what is missing.  Included by the module's
# Kbuild and by the in-kernel API's test modules' (selftests/kapi/Kbuild).

iobmd-have = $(shell grep -qs '$(1)' $(srctree)/$(2) && echo -D$(3))

ccflags-y += $(call iobmd-have,static inline void vm_flags_set,include/linux/mm.h,IOBMD_HAVE_VM_FLAGS_SET)
ccflags-y += $(call iobmd-have,int dma_buf_vmap_unlocked,include/linux/dma-buf.h,IOBMD_HAVE_DMA_BUF_VMAP_UNLOCKED)
ccflags-y += $(call iobmd-have,int follow_pfnmap_start,include/linux/mm.h,IOBMD_HAVE_FOLLOW_PFNMAP)
ccflags-y += $(call iobmd-have,define MODULE_IMPORT_NS(ns)[[:space:]]*MODULE_INFO(import_ns$(comma) ns),include/linux/module.h,IOBMD_HAVE_STRING_NS)
ccflags-y += $(call iobmd-have,static inline bool vma_is_cow_mapping,include/linux/mm.h,IOBMD_HAVE_VMA_IS_COW_MAPPING)
ccflags-y += $(call iobmd-have,void (\*invalidate_mappings),include/linux/dma-buf.h,IOBMD_HAVE_DMA_BUF_INVALIDATE_MAPPINGS)
ccflags-y += $(call iobmd-have,void dma_buf_invalidate_mappings.struct dma_buf \*,include/linux/dma-buf.h,IOBMD_HAVE_DMA_BUF_INVALIDATE_MAPPINGS_FN)
ccflags-y += $(call iobmd-have,bool dma_buf_attach_revocable.struct dma_buf_attachment \*,include/linux/dma-buf.h,IOBMD_HAVE_DMA_BUF_ATTACH_REVOCABLE)
ccflags-y += $(call iobmd-have,struct sg_table \*sgt;,include/linux/dma-buf.h,IOBMD_HAVE_DMA_BUF_ATTACH_SGT)
ccflags-y += $(call iobmd-have,dma_addr_t (\*map_phys),include/linux/dma-map-ops.h,IOBMD_HAVE_DMA_MAP_PHYS)
ccflags-y += $(call iobmd-have,define ACR_FLAGS_NONE,include/linux/gfp.h,IOBMD_HAVE_ACR_FLAGS)
ccflags-y += $(call iobmd-have,vm_fault_t vmf_insert_folio_pmd,include/linux/huge_mm.h,IOBMD_HAVE_VMF_INSERT_FOLIO_PMD)
ccflags-y += $(call iobmd-have,vm_fault_t vmf_insert_pfn_pmd.struct vm_fault \*vmf$(comma) pfn_t,include/linux/huge_mm.h,IOBMD_HAVE_VMF_INSERT_PFN_PMD_PFN_T)
ccflags-y += $(call iobmd-have,vm_fault_t vmf_insert_pfn_pud.struct vm_fault \*vmf$(comma) pfn_t,include/linux/huge_mm.h,IOBMD_HAVE_VMF_INSERT_PFN_PUD_PFN_T)
ccflags-y += $(call iobmd-have,unsigned long mm_get_unmapped_area.struct mm_struct \*mm,include/linux/sched/mm.h,IOBMD_HAVE_MM_GET_UNMAPPED_AREA_MM)
ccflags-y += $(call iobmd-have,void zap_special_vma_range,include/linux/mm.h,IOBMD_HAVE_ZAP_SPECIAL_VMA_RANGE)
ccflags-y += $(call iobmd-have,int alloc_contig_frozen_range_noprof,include/linux/gfp.h,IOBMD_HAVE_CONTIG_FROZEN)
ccflags-y += $(call iobmd-have,(\*bind)(int mcgrp),include/net/genetlink.h,IOBMD_HAVE_GENL_BIND)

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: mapping descriptors into a process (IOMemoryMap).
 *
 * mmap()'s offset is a cookie from IOBMD_MAP naming a handle, a read-only
 * bit and an offset in the mapping.  The mapping lays the descriptor's
 * bytes out in order, byte 0 at its page offset in its first page, and is
 * built once for every kind from the descriptor's walk:
 *
 * - memory made only of pages the module owns (buffers, contiguous or
 *   not, in whatever cache mode they are, and descriptors made of them
 *   alone) is inserted as ordinary pages, in batches, at mmap() time (but
 *   see huge mappings below), with the cache mode in the VMA's
 *   protection (the kernel's own mapping of those pages was set to the
 *   same mode when they were allocated): get_user_pages (O_DIRECT,
 *   io_uring, process_vm_readv, VFIO) works on it, and the fault handler
 *   puts pages back after MADV_DONTNEED;
 * - anything else (user or physical memory, device memory, mixtures) is
 *   mapped by PFN with remap_pfn_range(), one call per contiguous run,
 *   another exporter's pages (an import's) on x86 in the memory type
 *   their owner gave them (see iobmd_mmap_insert_foreign(); but see huge
 *   PFN mappings below): get_user_pages fails on it with EFAULT.
 *
 * A mapping holds a reference and a pin on the descriptor, so user memory
 * stays pinned while mapped and nothing goes away under it.  User memory
 * cannot be pinned under mmap_lock, so it maps only while prepared.
 *
 * Where the kernel has huge mappings of folios (IOBMD_HUGE_MAP), a mapping
 * in the default cache mode of memory made only of the module's own pages
 * (a buffer, or a sub, multi or interleaved descriptor of buffers alone)
 * that can hold a PMD (its first 2 MiB-aligned part lies in it whole and
 * shows one compound chunk of PMD order from that chunk's head) is made at
 * fault time instead, in a VMA without VM_MIXEDMAP, as the core mm maps a
 * file's pages: a 2 MiB-aligned part of the mapping whose pages are one
 * compound chunk of PMD order, in order, gets one PMD
 * (iobmd_mmap_huge_fault()), any other page one PTE
 * (iobmd_mmap_page_fault()); both hold a reference and the page's rmap.
 * A buffer finds its pages by index; a composed descriptor by its walk,
 * one walk from the faulting offset (see iobmd_mmap_walk_run()), which
 * skips to the piece holding it by binary search at each level of
 * nesting.  The pages a mapping shows stay what they were when it was
 * made: it pins the descriptor, so an interleaved one keeps its pieces,
 * and a buffer keeps its pages whatever its length (a mapping made before
 * a parent's setLength() shrank it stays, as one filled at mmap() time
 * does); a fault whose walk finds no page of the module's gets SIGBUS.
 * A partial munmap, mprotect or MADV_DONTNEED splits a PMD by zapping it,
 * which drops that reference and rmap, and the next fault maps the pages
 * again.  (In a VM_MIXEDMAP VMA the split would keep both: the core mm
 * takes such a VMA's PMDs for PFN mappings.)  THP's "never" setting, or
 * MADV_NOHUGEPAGE, leaves every page to a PTE.  User memory (a general
 * descriptor's pinned pages, which are another process's anonymous or
 * file folios: a file rmap from this mapping would be wrong for them) and
 * device or physical memory are mapped by PFN, as above or as below.
 *
 * Where the kernel has huge PFN mappings (IOBMD_PFN_HUGE_MAP: 6.12 on,
 * x86-64 and arm64), a PFN mapping of RAM (user memory, physical RAM,
 * mixtures of them and buffers) in its default cache mode whose first
 * 2 MiB-aligned part is one physically contiguous, 2 MiB-aligned range
 * (placement and memory congruent mod 2 MiB) is made at fault time
 * instead, in a VM_IO | VM_PFNMAP VMA as remap_pfn_range() makes: such a
 * 2 MiB part of the mapping gets one PMD (iobmd_mmap_pfn_huge_fault()),
 * any other page one PTE (iobmd_mmap_pfn_fault()), each found by a walk of
 * the descriptor to its byte.  The core mm's page-table walkers
 * (follow_pfnmap_start(), which VFIO and KVM use) understand those PMDs;
 * a split zaps the PMD and the next fault maps PTEs.  Device memory and
 * other cache modes stay with remap_pfn_range() (see
 * iobmd_mmap_pfn_fits()), as does everything on older kernels.
 *
 * Where the kernel also maps PFNs by PUD (IOBMD_PFN_PUD_MAP: x86-64; not
 * arm64 as of 7.3), such a mapping takes PUDs too: 1 GiB of it that lies
 * in the VMA whole and is one physically contiguous, 1 GiB-aligned range
 * (a 1 GiB hugetlb page, physical RAM) gets one (iobmd_mmap_pfn_pud()),
 * by the same bounded walk as a PMD; /dev/iobmd places 64-bit callers'
 * mappings of 1 GiB and more for it (iobmd_get_unmapped_area()).  A PUD
 * in a VM_PFNMAP VMA holds no reference, and a split zaps it; but the
 * kernel's VMA split and mremap() would read the memory under it as a
 * table of PMDs, so these VMAs drop their PUDs before either (see
 * iobmd_mmap_drop_puds()).
 *
 * Where the kernel maps folios by PUD too (IOBMD_PUD_MAP: x86-64, 7.2 on),
 * a contiguous buffer's 1 GiB-aligned GiBs are folios of PUD order (see
 * driver/contig.c), and a mapping of such a buffer whose first
 * 1 GiB-aligned part holds one whole is made at fault time in a DAX VMA
 * (driver/daxfile.c: the kernel drops a folio's reference and rmap on a
 * PUD split only there): each such GiB gets one PUD
 * (iobmd_mmap_huge_fault()), and the VMA drops its PUDs before a split
 * or a move as a PFN mapping's do (iobmd_mmap_drop_puds()).  Such a GiB
 * that a mapping does not hold whole (a mapping of part of it, or placed
 * off 1 GiB, or what is left after a split) is mapped a page at a time:
 * the kernel maps a folio of PUD order by PUD or by PTE, never by PMD.
 * Descriptors composed of buffers take no PUDs.
 */
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/dma-map-ops.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mempolicy.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>

#include "iobmd_priv.h"

#define IOBMD_MMAP_BATCH	(PAGE_SIZE / sizeof(struct page *))
/* A mapping of at most this many pages batches them on the stack. */
#define IOBMD_MMAP_SMALL	16

/**
 * struct iobmd_mapper - the state of laying a descriptor out in a VMA
 * @vma: the mapping
 * @start: mapping offset of @vma->vm_start
 * @delta: page offset of the descriptor's first byte
 * @pos: descriptor byte the next run starts at
 * @want: IOBMD_CACHE_* asked for
 * @cache: the mode in force: @want, then the first run's
 * @rawio: whether the mapping process has CAP_SYS_RAWIO; -1: not asked yet
 * @pages: every run so far is made of insertable pages
 * @iomem: a run so far is device memory
 * @ram: a run so far is RAM
 * @next: first address not yet covered by a run
 * @last_pfn: the page mapped at @next - PAGE_SIZE
 * @map: second pass: map, rather than check
 * @batch: pages waiting for vm_insert_pages()
 * @room: entries @batch has
 * @nbatch: entries in @batch
 * @batch_addr: address of @batch[0]
 * @small: @batch of a small mapping
 */
struct iobmd_mapper {
	struct vm_area_struct *vma;
	u64 start;
	u64 delta;
	u64 pos;
	unsigned int want;
	unsigned int cache;
	int rawio;
	bool pages;
	bool iomem;
	bool ram;
	unsigned long next;
	unsigned long last_pfn;
	bool map;
	struct page **batch;
	unsigned long room;
	unsigned long nbatch;
	unsigned long batch_addr;
	struct page *small[IOBMD_MMAP_SMALL];
};

/*
 * The cache mode @run gets, or -EINVAL when it cannot have the one asked
 * for.  Device memory mapped cacheable (copy-back) may stop the machine
 * (arm64) or alias its driver's uncached mapping: only CAP_SYS_RAWIO,
 * which may describe device memory, may map it so (-EPERM), whoever
 * described it; asked once per mapping (a refusal is audited).
 */
static int __iobmd_hot iobmd_mmap_cache(struct iobmd_mapper *m,
					const struct iobmd_run *run)
{
	unsigned int want = m->want;

	if (!(run->flags & IOBMD_RUN_IOMEM)) {
		if (want == IOBMD_CACHE_DEFAULT || want == run->cache)
			return run->cache;
		if (run->cache == IOBMD_CACHE_DEFAULT &&
		    (want == IOBMD_CACHE_COPYBACK ||
		     want == IOBMD_CACHE_COPYBACK_INNER))
			return IOBMD_CACHE_DEFAULT;
		return -EINVAL;
	}
	switch (want) {
	case IOBMD_CACHE_DEFAULT:
		return IOBMD_CACHE_INHIBIT;
	case IOBMD_CACHE_INHIBIT:
	case IOBMD_CACHE_WRITE_THRU:
	case IOBMD_CACHE_WRITE_COMBINE:
		return want;
	case IOBMD_CACHE_COPYBACK:
	case IOBMD_CACHE_COPYBACK_INNER:
		if (m->rawio < 0)
			m->rawio = capable(CAP_SYS_RAWIO);
		return m->rawio ? IOBMD_CACHE_DEFAULT : -EPERM;
	}
	return -EINVAL;
}

/*
 * Uncached RAM is the DMA API's uncached type (arm64: Normal
 * non-cacheable; its pgprot_noncached() is Device memory, which RAM must
 * not be, and which faults on unaligned accesses); device memory is
 * pgprot_noncached()'s.  x86 has one uncached type for both.
 */
static pgprot_t __iobmd_hot iobmd_mmap_prot(pgprot_t prot, unsigned int cache,
					    bool iomem)
{
	switch (cache) {
	case IOBMD_CACHE_INHIBIT:
		return iomem ? pgprot_noncached(prot) : pgprot_dmacoherent(prot);
	case IOBMD_CACHE_WRITE_THRU:
		return pgprot_writethrough(prot);
	case IOBMD_CACHE_WRITE_COMBINE:
		return pgprot_writecombine(prot);
	}
	return prot;
}

/*
 * A VMA has one memory type.  Where uncached RAM and uncached device
 * memory have different ones (arm64: Normal non-cacheable and Device;
 * RAM must not be Device memory), no mapping holds both uncached.
 */
static bool iobmd_mmap_mixed_types(const struct iobmd_mapper *m)
{
	pgprot_t prot = m->vma->vm_page_prot;

	return m->ram && m->iomem && m->cache == IOBMD_CACHE_INHIBIT &&
	       pgprot_val(iobmd_mmap_prot(prot, m->cache, true)) !=
	       pgprot_val(iobmd_mmap_prot(prot, m->cache, false));
}

static int __iobmd_hot iobmd_mmap_flush(struct iobmd_mapper *m)
{
	unsigned long num = m->nbatch;
	int ret;

	if (!num)
		return 0;
	ret = vm_insert_pages(m->vma, m->batch_addr, m->batch, &num);
	m->nbatch = 0;
	return ret ?: (num ? -ENOMEM : 0);
}

/*
 * Another owner's RAM (an import's pages) has the memory type its owner
 * gave it (x86's PAT: vgem's pages are write-combining).  remap_pfn_range()
 * of part of a VMA looks the run's type up and maps it in that type, but
 * one call that maps the whole VMA reserves the VMA's type for the range
 * instead and warns in the kernel log where the pages have another.  So a
 * run that would be the whole VMA has its first page inserted by
 * vmf_insert_pfn(), which also takes the page's type, and the rest mapped
 * as part of the VMA.  Without PAT (arm64, x86 booted nopat) the pages get
 * the VMA's type either way.  Returns the pages left for remap_pfn_range()
 * at *@addr, *@pfn, or a negative errno.
 */
static long iobmd_mmap_insert_foreign(struct vm_area_struct *vma,
				      unsigned long *addr, unsigned long *pfn,
				      unsigned long n)
{
	int ret;

	if (*addr != vma->vm_start || n != vma_pages(vma))
		return n;
	ret = vm_fault_to_errno(vmf_insert_pfn(vma, *addr, *pfn), 0);
	if (ret)
		return ret;
	*addr += PAGE_SIZE;
	(*pfn)++;
	return n - 1;
}

static int __iobmd_hot iobmd_mmap_insert(struct iobmd_mapper *m,
					 unsigned long addr, unsigned long pfn,
					 unsigned long n, bool foreign)
{
	long left;
	int ret;

	/* A caller's VM_MIXEDMAP VMA takes no vmf_insert_pfn(). */
	if (foreign && !(m->vma->vm_flags & VM_MIXEDMAP)) {
		left = iobmd_mmap_insert_foreign(m->vma, &addr, &pfn, n);
		if (left <= 0)
			return left;
		n = left;
	}
	if (!m->pages)
		return remap_pfn_range(m->vma, addr, pfn, n << PAGE_SHIFT,
				       m->vma->vm_page_prot);
	while (n--) {
		if (m->nbatch &&
		    (m->nbatch == m->room ||
		     m->batch_addr + (m->nbatch << PAGE_SHIFT) != addr)) {
			ret = iobmd_mmap_flush(m);
			if (ret)
				return ret;
		}
		if (!m->nbatch)
			m->batch_addr = addr;
		m->batch[m->nbatch++] = pfn_to_page(pfn++);
		addr += PAGE_SIZE;
	}
	return 0;
}

static int __iobmd_hot iobmd_mmap_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_mapper *m = arg;
	u64 off = m->delta + m->pos - m->start;	/* offset in the VMA */
	unsigned long addr = m->vma->vm_start + (off & PAGE_MASK);
	unsigned long pfn = PHYS_PFN(run->addr);
	unsigned long end_pfn = PHYS_PFN(run->addr + run->len - 1) + 1;
	int cache;

	m->pos += run->len;
	if (run->flags & IOBMD_RUN_NOMAP)
		return -ENODEV;
	if (offset_in_page(off) != offset_in_page(run->addr))
		return -EINVAL;
	cache = iobmd_mmap_cache(m, run);
	if (cache < 0)
		return cache;

	/* A page shared with the previous run must be the same page. */
	if (addr < m->next) {
		if (pfn != m->last_pfn)
			return -EINVAL;
		addr += PAGE_SIZE;
		pfn++;
	}
	if (!m->map) {
		if (m->next == m->vma->vm_start)
			m->cache = cache;
		else if (cache != m->cache)
			return -EINVAL;
		if (!(run->flags & IOBMD_RUN_PAGES))
			m->pages = false;
		if (run->flags & IOBMD_RUN_IOMEM)
			m->iomem = true;
		else
			m->ram = true;
	}
	if (pfn < end_pfn) {
		m->next = min(addr + ((end_pfn - pfn) << PAGE_SHIFT),
			      m->vma->vm_end);
		m->last_pfn = PHYS_PFN(run->addr + run->len - 1);
		if (m->map)
			return iobmd_mmap_insert(m, addr, pfn,
						 (m->next - addr) >> PAGE_SHIFT,
						 run->flags & IOBMD_RUN_FOREIGN &&
						 !(run->flags & IOBMD_RUN_IOMEM));
	}
	return 0;
}

/* Walk the descriptor bytes the VMA shows; the caller holds a pin. */
static int __iobmd_hot iobmd_mmap_walk(struct iobmd_desc *d,
				       struct iobmd_mapper *m)
{
	u64 size = m->vma->vm_end - m->vma->vm_start;
	u64 first = m->start > m->delta ? m->start - m->delta : 0;
	u64 end = min(iobmd_desc_extent(d), m->start + size - m->delta);

	m->pos = first;
	m->next = m->vma->vm_start;
	if (first >= end)
		return -EINVAL;
	/*
	 * IOKit maps a window through its parent, which refuses a range
	 * past its length now (IOGeneralMemoryDescriptor::doMap()).
	 */
	if (!m->map) {
		int ret = iobmd_desc_check_backed(d, first, end - first);

		if (ret)
			return ret;
	}
	/* mmap() runs for the mapping process: it may stop when killed. */
	return d->ops->walk(d, first, end - first,
			    IOBMD_WALK_ADDR | IOBMD_WALK_KILLABLE,
			    iobmd_mmap_run, m);
}

/* The page offset of a descriptor's first byte; the caller holds a pin. */
static int iobmd_mmap_delta_run(void *arg, const struct iobmd_run *run)
{
	*(u64 *)arg = offset_in_page(run->addr);
	return 1;
}

/* iobmd_desc_map_layout() by a walk with @how (a fault's: see below). */
static int __iobmd_hot iobmd_mmap_layout(struct iobmd_desc *d,
					 unsigned int how, u64 *delta,
					 u64 *size)
{
	u64 extent = iobmd_desc_extent(d);
	int ret;

	if (!extent)
		return -ENODATA;
	/*
	 * A buffer is pages of its own from its first byte on, and memory
	 * its kind maps itself starts a page: no walk.
	 */
	if (d->kind == IOBMD_KIND_BUFFER || d->ops->mmap) {
		*delta = 0;
		*size = PAGE_ALIGN(extent);
		return 0;
	}
	ret = iobmd_desc_pin(d, IOBMD_PIN_NOFAULT);
	if (ret)
		return ret;
	*delta = 0;
	ret = d->ops->walk(d, 0, 1, how, iobmd_mmap_delta_run, delta);
	iobmd_desc_unpin(d);
	if (ret < 0)
		return ret;
	*size = PAGE_ALIGN(*delta + extent);
	return 0;
}

/**
 * iobmd_desc_map_layout() - where a descriptor sits in a mapping of it
 * @d: the descriptor
 * @delta: out: the page offset of its first byte
 * @size: out: bytes a whole mapping covers, whole pages
 *
 * Return: 0, -ENODATA for length 0 or for user memory that is not
 * prepared, -ERESTARTSYS or -EINTR (a signal while an import's exporter
 * was waited for, or a fatal one while its lock was).
 */
int __iobmd_hot iobmd_desc_map_layout(struct iobmd_desc *d, u64 *delta,
				      u64 *size)
{
	return iobmd_mmap_layout(d, IOBMD_WALK_ADDR, delta, size);
}

/* mmap_lock is held: user memory must be pinned (prepared) already. */
static unsigned int __iobmd_hot iobmd_mmap_pin_flags(struct vm_area_struct *vma)
{
	return IOBMD_PIN_NOFAULT |
	       (vma->vm_flags & VM_MAYWRITE ? IOBMD_PIN_WRITE : 0);
}

/*
 * A VMA's private data is its descriptor, which it holds a reference on;
 * bit 0 set means the VMA holds no pin and is not counted (see
 * iobmd_mmap_open()).
 */
#define IOBMD_MMAP_UNPINNED	1UL

static __iobmd_hot struct iobmd_desc *
iobmd_mmap_desc(struct vm_area_struct *vma)
{
	return (void *)((unsigned long)vma->vm_private_data &
			~IOBMD_MMAP_UNPINNED);
}

static void iobmd_mmap_open(struct vm_area_struct *vma)
{
	struct iobmd_desc *d = iobmd_mmap_desc(vma);

	iobmd_desc_get(d);
	/*
	 * The VMA it was copied from holds the same pin, so this cannot
	 * fail.  Were it to, the copy keeps its reference but no pin, and
	 * its close() must not drop one.
	 */
	if (WARN_ONCE(iobmd_desc_pin(d, iobmd_mmap_pin_flags(vma)),
		      "iobmd: a copied mapping could not pin its memory\n")) {
		vma->vm_private_data = (void *)((unsigned long)d |
						IOBMD_MMAP_UNPINNED);
		return;
	}
	vma->vm_private_data = d;
	atomic_inc(&d->maps);
	atomic64_inc(&iobmd_stats.mappings);
}

static void __iobmd_hot iobmd_mmap_close(struct vm_area_struct *vma)
{
	struct iobmd_desc *d = iobmd_mmap_desc(vma);

	if (!((unsigned long)vma->vm_private_data & IOBMD_MMAP_UNPINNED)) {
		atomic64_dec(&iobmd_stats.mappings);
		atomic_dec(&d->maps);
		iobmd_desc_unpin(d);
	}
	__iobmd_desc_put(d);
}

static int iobmd_mmap_fault_run(void *arg, const struct iobmd_run *run)
{
	*(unsigned long *)arg = PHYS_PFN(run->addr);
	return 1;
}

/*
 * How a fault's walks wait for an imported dma-buf's exporter (its kernel
 * fences, when the import's physical pages are looked up while pinned: a
 * move's copy may take as long as a GPU likes).  A user's access waits
 * interruptibly, and the fault is taken again once the signal is handled
 * (iobmd_mmap_fault_error()).  An access the kernel makes (copy_to_user()
 * of a read(2) into the mapping, get_user_pages()) waits killably
 * (IOBMD_WALK_NOINTR): its fault is taken again at once, before any
 * handler runs, where the same signal would end each wait at once, for as
 * long as the copy ran, and a fatal one would never end the fault.  x86
 * and arm64 mark such a fault FAULT_FLAG_INTERRUPTIBLE too: only
 * FAULT_FLAG_USER tells them apart.
 */
static unsigned int __iobmd_hot iobmd_mmap_fault_how(const struct vm_fault *vmf)
{
	const unsigned int user = FAULT_FLAG_USER | FAULT_FLAG_INTERRUPTIBLE;

	if ((vmf->flags & user) == user)
		return IOBMD_WALK_ADDR;
	return IOBMD_WALK_ADDR | IOBMD_WALK_NOINTR;
}

/*
 * A user's fault whose walk a signal ended (an imported dma-buf's exporter
 * was still moving it) is left to be taken again once the signal is
 * handled; any other failure is SIGBUS, a fatal signal in a fault the
 * kernel takes too: the kernel's access fails (EFAULT) and the task dies.
 */
static vm_fault_t iobmd_mmap_fault_error(const struct vm_fault *vmf, int ret)
{
	if ((ret == -ERESTARTSYS || ret == -EINTR) &&
	    !(iobmd_mmap_fault_how(vmf) & IOBMD_WALK_NOINTR))
		return VM_FAULT_NOPAGE;
	return VM_FAULT_SIGBUS;
}

static vm_fault_t iobmd_mmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iobmd_desc *d = iobmd_mmap_desc(vma);
	unsigned int how = iobmd_mmap_fault_how(vmf);
	u64 off = (u64)vmf->pgoff << PAGE_SHIFT;
	unsigned long pfn = 0;
	u64 delta, size, b;
	int ret;

	/* PFN mappings are never zapped by the user: nothing to refill. */
	if (vma->vm_flags & VM_PFNMAP)
		return VM_FAULT_SIGBUS;
	ret = iobmd_mmap_layout(d, how, &delta, &size);
	if (ret)
		return iobmd_mmap_fault_error(vmf, ret);
	if (off >= size)
		return VM_FAULT_SIGBUS;
	b = off > delta ? off - delta : 0;
	if (b >= iobmd_desc_extent(d))
		return VM_FAULT_SIGBUS;
	ret = d->ops->walk(d, b, 1, how, iobmd_mmap_fault_run, &pfn);
	if (ret != 1)
		return iobmd_mmap_fault_error(vmf, ret);
	ret = vm_insert_page(vma, vmf->address & PAGE_MASK, pfn_to_page(pfn));
	if (ret == -ENOMEM)
		return VM_FAULT_OOM;
	if (ret && ret != -EBUSY)
		return VM_FAULT_SIGBUS;
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct iobmd_mmap_ops = {
	.open = iobmd_mmap_open,
	.close = iobmd_mmap_close,
	.fault = iobmd_mmap_fault,
};

#ifdef IOBMD_PUD_PLACE
/*
 * The kernel (6.12 to 7.3 at least) splits a VMA and moves its page tables
 * as though no PUD mapped memory, a PFN's or a folio's:
 * vma_adjust_trans_huge(), on a split off 2 MiB inside a GiB that a PUD
 * maps, and mremap()'s page-table move, to an address off 1 GiB, both
 * take the PUD for a table of PMDs and read the mapped memory as one (a
 * hang on its struct page's lock, or the bytes of the memory taken for
 * page-table entries).  So a VMA
 * that may hold PUDs drops them first, locked against faults until the
 * split or the move is done: the GiB about a split (may_split(), which a
 * split and a part of mremap() call first), or every whole GiB of the
 * VMA that mremap() copies (open() of a copy that no VMA overlaps: a
 * split's copy lies in the VMA it is split from, a fork's is another
 * process's).  The next fault maps those bytes again, by PMD or PUD as
 * the VMA then allows; PMDs and PTEs stay, which the kernel splits and
 * moves well.
 */
static void iobmd_mmap_drop_puds(struct vm_area_struct *vma,
				 unsigned long start, unsigned long end)
{
	pgd_t *pgd;
	p4d_t *p4d;

	start = ALIGN(max(start, vma->vm_start), PUD_SIZE);
	end = min(end, vma->vm_end) & PUD_MASK;
	if (start >= end)
		return;
	/* No fault maps anything here from now until the mmap_lock goes. */
	vma_start_write(vma);
	for (; start < end; start += PUD_SIZE) {
		pgd = pgd_offset(vma->vm_mm, start);
		if (pgd_none(*pgd) || pgd_bad(*pgd))
			continue;
		p4d = p4d_offset(pgd, start);
		if (p4d_none(*p4d) || p4d_bad(*p4d))
			continue;
		/* Only a PUD goes: PMDs and PTEs split and move as they are. */
		if (pud_leaf(READ_ONCE(*pud_offset(p4d, start))))
			iobmd_zap_vma_range(vma, start, PUD_SIZE);
	}
}

static int iobmd_mmap_pud_may_split(struct vm_area_struct *vma,
				    unsigned long addr)
{
	if (!IS_ALIGNED(addr, PUD_SIZE))
		iobmd_mmap_drop_puds(vma, addr & PUD_MASK,
				     (addr & PUD_MASK) + PUD_SIZE);
	return 0;
}

static void iobmd_mmap_pud_open(struct vm_area_struct *new)
{
	struct iobmd_desc *d = iobmd_mmap_desc(new);
	struct mm_struct *mm = new->vm_mm;
	struct vm_area_struct *vma;

	iobmd_mmap_open(new);
	if (mm != current->mm ||
	    find_vma_intersection(mm, new->vm_start, new->vm_end))
		return;
	/* mremap(): its source is one of this descriptor's VMAs here. */
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma)
			if (vma->vm_ops == new->vm_ops &&
			    iobmd_mmap_desc(vma) == d)
				iobmd_mmap_drop_puds(vma, vma->vm_start,
						     vma->vm_end);
	}
}
#endif

#ifdef IOBMD_HUGE_MAP
/*
 * Where a mapping page shows its bytes: mapping offset @off (page-aligned)
 * of a descriptor whose first byte sits at page offset @delta shows the
 * bytes from descriptor byte *@pos on, which lies *@skip bytes into that
 * page (0 but on the first page).
 */
static void __iobmd_hot iobmd_mmap_locate(u64 off, u64 delta, u64 *pos,
					  u64 *skip)
{
	*pos = off > delta ? off - delta : 0;
	*skip = off > delta ? 0 : delta - off;
}

static int __iobmd_hot iobmd_mmap_first_run(void *arg,
					    const struct iobmd_run *run)
{
	*(struct iobmd_run *)arg = *run;
	return 1;
}

/*
 * The first run of the bytes mapping page @pgoff on shows, of the @len
 * bytes from that page's start at most (*@skip as iobmd_mmap_locate()'s):
 * one walk of byte 0 for the layout, one from the page's bytes, both with
 * @how (a fault's waits: see iobmd_mmap_fault_how()).  Each
 * costs a binary search among a composed descriptor's pieces at each
 * level of nesting (at most IOBMD_MAX_DEPTH levels, of fewer than
 * IOBMD_MAX_VISITS pieces each: 1024 from userspace), then a step per page
 * of the buffer's run it ends in (one page, or 512 for a PMD).  The
 * caller holds the VMA's pin.
 *
 * Return: 1 with *@run, 0 when the walk finds no page of the module's
 * there, or the walk's error (-ERESTARTSYS or -EINTR: a signal while an
 * import waited).
 */
static int __iobmd_hot iobmd_mmap_walk_run(struct iobmd_desc *d,
					   unsigned int how, pgoff_t pgoff,
					   u64 len, struct iobmd_run *run,
					   u64 *skip)
{
	u64 extent = iobmd_desc_extent(d), pos;
	int ret;

	ret = d->ops->walk(d, 0, 1, how, iobmd_mmap_first_run, run);
	if (ret != 1)
		return min(ret, 0);
	iobmd_mmap_locate((u64)pgoff << PAGE_SHIFT, offset_in_page(run->addr),
			  &pos, skip);
	if (pos >= extent)
		return 0;
	len = min(len - *skip, extent - pos);
	ret = d->ops->walk(d, pos, len, how, iobmd_mmap_first_run, run);
	if (ret != 1)
		return min(ret, 0);
	/* Pages of the module's own, laid out as the mapping shows them. */
	return run->flags & IOBMD_RUN_PAGES && !(run->flags & IOBMD_RUN_IOMEM) &&
	       offset_in_page(run->addr) == *skip;
}

/*
 * A page mapped at fault time: handed to the core mm, which maps it with
 * one PTE as it maps a file's page (finish_fault()): under the page table
 * lock, so that a PMD another thread put there meanwhile wins, and over a
 * userfaultfd write-protect marker, which it keeps.  A buffer's page is
 * found by index, any other descriptor's by its walk.
 */
static vm_fault_t __iobmd_hot iobmd_mmap_page_fault(struct vm_fault *vmf)
{
	struct iobmd_desc *d = iobmd_mmap_desc(vmf->vma);
	struct iobmd_buffer *b = iobmd_to_buffer(d);
	struct iobmd_run run;
	u64 skip;
	int ret;

	if (b) {
		if (vmf->pgoff >= b->npages)
			return VM_FAULT_SIGBUS;
		vmf->page = b->pages[vmf->pgoff];
	} else {
		/* A copy that could not pin holds nothing in place. */
		if ((unsigned long)vmf->vma->vm_private_data &
		    IOBMD_MMAP_UNPINNED)
			return VM_FAULT_SIGBUS;
		ret = iobmd_mmap_walk_run(d, iobmd_mmap_fault_how(vmf),
					  vmf->pgoff, PAGE_SIZE, &run, &skip);
		if (ret != 1)
			return iobmd_mmap_fault_error(vmf, ret);
		vmf->page = pfn_to_page(PHYS_PFN(run.addr));
	}
	get_page(vmf->page);
	return 0;
}

/* @page heads a compound chunk of @order: its folio, else NULL. */
static struct folio *__iobmd_hot iobmd_mmap_huge_head(struct page *page,
						      unsigned int order)
{
	struct folio *folio = page_folio(page);

	if (&folio->page != page || folio_order(folio) != order)
		return NULL;
	return folio;
}

/*
 * The folio to map with one PMD (@order PMD_ORDER) or PUD (PUD_ORDER) at
 * @haddr of @vma, whose mapping page @first is mapped there: those bytes
 * lie in the mapping whole and show one compound chunk of @order, in
 * order, from its head; else NULL.  A buffer looks at its page list; any
 * other descriptor walks from @first, for a PMD only, which must give one
 * run of the 2 MiB in the default cache mode that starts at such a
 * chunk's head (physically contiguous from the head of a chunk of 2 MiB:
 * the chunk's pages, in order), by walks with @how.
 */
static struct folio *__iobmd_hot
iobmd_mmap_huge_folio(struct iobmd_desc *d, unsigned int how,
		      const struct vm_area_struct *vma, unsigned long haddr,
		      pgoff_t first, unsigned int order)
{
	struct iobmd_buffer *b = iobmd_to_buffer(d);
	unsigned long size = PAGE_SIZE << order;
	struct iobmd_run run;
	u64 skip;

	if (haddr < vma->vm_start || haddr + size > vma->vm_end)
		return NULL;
	if (b)
		return first + (1UL << order) > b->npages ? NULL :
		       iobmd_mmap_huge_head(b->pages[first], order);
	if (order != PMD_ORDER ||
	    iobmd_mmap_walk_run(d, how, first, PMD_SIZE, &run, &skip) != 1 ||
	    run.len != PMD_SIZE - skip || run.cache != IOBMD_CACHE_DEFAULT)
		return NULL;
	return iobmd_mmap_huge_head(pfn_to_page(PHYS_PFN(run.addr)), order);
}

/*
 * Whether a mapping is worth filling at fault time: its first part aligned
 * to PAGE_SIZE << @order can be mapped by one entry of that size.  Where
 * it cannot (a mapping placed by a file that does not align it, such as a
 * dma-buf's; memory in pieces of another order; a window off a chunk's
 * head), every page would cost a fault of its own: such a mapping is
 * filled at mmap() time instead.  The caller holds the mapping's pin.
 */
static bool __iobmd_hot iobmd_mmap_huge_fits(struct iobmd_desc *d,
					     const struct vm_area_struct *vma,
					     unsigned int order)
{
	unsigned long haddr = ALIGN(vma->vm_start, PAGE_SIZE << order);

	return iobmd_mmap_huge_folio(d, IOBMD_WALK_ADDR, vma, haddr,
				     vma->vm_pgoff +
				     ((haddr - vma->vm_start) >> PAGE_SHIFT),
				     order);
}

/* Whether @order is a PUD's, in a VMA made to hold PUDs (a DAX VMA). */
static bool __iobmd_hot iobmd_mmap_pud_vma(const struct vm_area_struct *vma,
					   unsigned int order)
{
#ifdef IOBMD_PUD_MAP
	return order == PUD_ORDER && vma_is_dax(vma);
#else
	return false;
#endif
}

/*
 * 2 MiB of a mapping made at fault time (1 GiB in a VMA that may hold
 * PUDs): one PMD (PUD) where those bytes are one compound chunk of PMD
 * (PUD) order, in order, from its head, else the fallback to the next
 * smaller size, and in the end to PTEs.  Only a write to an entry that is
 * there already asks vmf_insert_folio_pmd() (_pud()) to make it writable:
 * a new one that finds a page table another thread put there meanwhile
 * then leaves it be, and the fault is retried smaller.  A userfaultfd
 * write-protected VMA keeps PTEs, whose markers the core mm honours.
 */
static vm_fault_t __iobmd_hot iobmd_mmap_huge_fault(struct vm_fault *vmf,
						    unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & ~((PAGE_SIZE << order) - 1);
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct folio *folio;

	if ((order != PMD_ORDER && !iobmd_mmap_pud_vma(vma, order)) ||
	    userfaultfd_wp(vma) ||
	    (unsigned long)vma->vm_private_data & IOBMD_MMAP_UNPINNED)
		return VM_FAULT_FALLBACK;
	/* A walk a signal ended falls back: the page fault says what to do. */
	folio = iobmd_mmap_huge_folio(iobmd_mmap_desc(vma),
				      iobmd_mmap_fault_how(vmf), vma, haddr,
				      vmf->pgoff -
				      ((vmf->address - haddr) >> PAGE_SHIFT),
				      order);
	if (!folio)
		return VM_FAULT_FALLBACK;
#ifdef IOBMD_PUD_MAP
	if (order == PUD_ORDER)
		return vmf_insert_folio_pud(vmf, folio, write &&
					    pud_trans_huge(READ_ONCE(*vmf->pud)));
#endif
	return vmf_insert_folio_pmd(vmf, folio,
				    write && pmd_trans_huge(vmf->orig_pmd));
}

#ifdef CONFIG_NUMA
/*
 * No memory policy: NUMA balancing then leaves the mapping alone (its
 * hinting faults could never move a buffer's pages).
 */
static struct mempolicy *iobmd_mmap_get_policy(struct vm_area_struct *vma,
					       unsigned long addr,
					       pgoff_t *ilx)
{
	return NULL;
}
#endif

/* Where PUDs may be mapped (a DAX VMA), they go before a split or a move. */
static const struct vm_operations_struct iobmd_mmap_huge_ops = {
#ifdef IOBMD_PUD_MAP
	.open = iobmd_mmap_pud_open,
	.may_split = iobmd_mmap_pud_may_split,
#else
	.open = iobmd_mmap_open,
#endif
	.close = iobmd_mmap_close,
	.fault = iobmd_mmap_page_fault,
	.huge_fault = iobmd_mmap_huge_fault,
#ifdef CONFIG_NUMA
	.get_policy = iobmd_mmap_get_policy,
#endif
};
#endif

#ifdef IOBMD_PFN_HUGE_MAP
/**
 * struct iobmd_pfn_probe - what lies behind part of a PFN mapping
 * @addr: physical address of its first byte
 * @pfn: page frame of its first page
 * @next: physical address a contiguous run would go on at
 * @len: bytes found contiguous from there
 * @runs: runs seen
 */
struct iobmd_pfn_probe {
	phys_addr_t addr;
	unsigned long pfn;
	phys_addr_t next;
	u64 len;
	unsigned int runs;
};

/* Runs for as long as they go on where the last one ended. */
static int __iobmd_hot iobmd_mmap_probe_run(void *arg,
					    const struct iobmd_run *run)
{
	struct iobmd_pfn_probe *p = arg;

	if (!p->runs) {
		p->addr = run->addr;
		p->pfn = PHYS_PFN(run->addr);
		p->next = run->addr;
	}
	if (run->addr != p->next || ++p->runs > PTRS_PER_PMD)
		return 1;
	p->next += run->len;
	p->len += run->len;
	return 0;
}

/*
 * Whether the @npages pages at page-aligned offset @off of a mapping of
 * @d (its first byte at @delta) are one physically contiguous range that
 * the descriptor backs all through, and which: 0 and @p filled in, 1 and
 * @p filled in as far as it goes, or -ERANGE where the first byte is no
 * longer backed (a piece shorter now, as mmap() refuses it), or the
 * walk's error.  The walk (with @how) stops at the first gap, and after
 * PTRS_PER_PMD runs.
 */
static int __iobmd_hot iobmd_mmap_pfn_probe(struct iobmd_desc *d,
					    unsigned int how, u64 delta,
					    u64 off, unsigned long npages,
					    struct iobmd_pfn_probe *p)
{
	u64 extent = iobmd_desc_extent(d);
	u64 b = off > delta ? off - delta : 0;
	u64 want = min(extent, off + ((u64)npages << PAGE_SHIFT) - delta);
	u64 len;
	int ret;

	if (b >= want)
		return -EINVAL;
	want -= b;
	len = iobmd_desc_backed(d, b, want);
	if (!len)
		return -ERANGE;
	memset(p, 0, sizeof(*p));
	ret = d->ops->walk(d, b, len, how, iobmd_mmap_probe_run, p);
	if (ret < 0 || !p->runs)
		return ret ?: -EINVAL;
	return p->len == want ? 0 : 1;
}

/*
 * Whether 2 MiB of a mapping at @haddr can be mapped with one PMD, and from
 * which page frame (@pfn): they lie in @vma whole and are one physically
 * contiguous, 2 MiB-aligned range (found by a walk with @how).
 */
static bool __iobmd_hot iobmd_mmap_pfn_pmd(struct iobmd_desc *d,
					   unsigned int how, u64 delta,
					   const struct vm_area_struct *vma,
					   unsigned long haddr,
					   unsigned long *pfn)
{
	struct iobmd_pfn_probe p;

	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    iobmd_mmap_pfn_probe(d, how, delta,
				 ((u64)vma->vm_pgoff << PAGE_SHIFT) +
				 haddr - vma->vm_start, PTRS_PER_PMD, &p) ||
	    !IS_ALIGNED(p.pfn, PTRS_PER_PMD))
		return false;
	*pfn = p.pfn;
	return true;
}

#ifdef IOBMD_PFN_PUD_MAP
/*
 * Whether 1 GiB of a mapping at @haddr can be mapped with one PUD, and
 * from which page frame (@pfn): it lies in @vma whole and is one
 * physically contiguous, 1 GiB-aligned range.  The walk is bounded as a
 * PMD's is, at PTRS_PER_PMD runs: a GiB a descriptor makes of more pieces
 * than that, however contiguous, takes PMDs, so that no fault walks a
 * quarter of a million of them.
 */
static bool __iobmd_hot iobmd_mmap_pfn_pud(struct iobmd_desc *d,
					   unsigned int how, u64 delta,
					   const struct vm_area_struct *vma,
					   unsigned long haddr,
					   unsigned long *pfn)
{
	struct iobmd_pfn_probe p;

	if (haddr < vma->vm_start || vma->vm_end - haddr < PUD_SIZE ||
	    iobmd_mmap_pfn_probe(d, how, delta,
				 ((u64)vma->vm_pgoff << PAGE_SHIFT) +
				 haddr - vma->vm_start, PUD_SIZE >> PAGE_SHIFT,
				 &p) ||
	    !IS_ALIGNED(p.pfn, PUD_SIZE >> PAGE_SHIFT))
		return false;
	*pfn = p.pfn;
	return true;
}
#endif

/*
 * A page of a PFN mapping filled at fault time, as vmf_insert_pfn() maps
 * it (with the page's memory type on x86), and with it the pages after it
 * in its 2 MiB of the mapping that go on contiguously: a mapping a PMD
 * cannot cover (THP "never", the ends of the mapping, a PMD split) still
 * takes one fault per 2 MiB, not one per page, for at most PTRS_PER_PMD
 * insertions.  Bytes the descriptor no longer backs (a piece shorter
 * since), or memory that lockdown has closed since, are SIGBUS.
 */
static vm_fault_t __iobmd_hot iobmd_mmap_pfn_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iobmd_desc *d = iobmd_mmap_desc(vma);
	unsigned long addr = vmf->address & PAGE_MASK;
	unsigned long end = min(ALIGN(addr + 1, PMD_SIZE), vma->vm_end);
	unsigned long n = (end - addr) >> PAGE_SHIFT, i;
	struct iobmd_pfn_probe p;
	unsigned int how = iobmd_mmap_fault_how(vmf);
	u64 delta, size;
	vm_fault_t ret;
	int gap;

	gap = iobmd_mmap_layout(d, how, &delta, &size);
	if (!gap)
		gap = iobmd_mmap_pfn_probe(d, how, delta,
					   (u64)vmf->pgoff << PAGE_SHIFT, n, &p);
	if (gap < 0)
		return iobmd_mmap_fault_error(vmf, gap);
	/* Up to the page the first gap is in. */
	if (gap)
		n = max(1UL, (unsigned long)((offset_in_page(p.addr) +
					      p.len) >> PAGE_SHIFT));
	ret = vmf_insert_pfn(vma, addr, p.pfn);
	for (i = 1; i < n && ret == VM_FAULT_NOPAGE; i++)
		if (vmf_insert_pfn(vma, addr + (i << PAGE_SHIFT), p.pfn + i) !=
		    VM_FAULT_NOPAGE)
			break;
	return ret;
}

/*
 * 1 GiB of a PFN mapping (where the kernel has PUD PFN mappings) or 2 MiB
 * of it: one PUD or PMD where those bytes are one physically contiguous
 * range aligned to that size, else the fallback to the next smaller size,
 * and in the end to PTEs.  The entry is writable as the VMA's protection
 * says; only a write to a PMD that is there already asks
 * vmf_insert_pfn_pmd() to update it, and a write to a PUD always asks
 * (the fault does not say what the PUD was; the page frame is the same).
 * The work is one walk of the descriptor to its byte and over at most
 * PTRS_PER_PMD runs, which checks again that the memory may be used
 * (lockdown, the direct map) as every fault of a PFN mapping does.
 */
static vm_fault_t __iobmd_hot iobmd_mmap_pfn_huge_fault(struct vm_fault *vmf,
							unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iobmd_desc *d = iobmd_mmap_desc(vma);
	unsigned int how = iobmd_mmap_fault_how(vmf);
	unsigned long pfn;
	u64 delta, size;

	/* A walk a signal ended falls back: the PTE fault says what to do. */
	if (iobmd_mmap_layout(d, how, &delta, &size))
		return VM_FAULT_FALLBACK;
	switch (order) {
	case PMD_ORDER:
		if (!iobmd_mmap_pfn_pmd(d, how, delta, vma,
					vmf->address & PMD_MASK, &pfn))
			return VM_FAULT_FALLBACK;
		return iobmd_vmf_insert_pfn_pmd(vmf, pfn,
						vmf->flags & FAULT_FLAG_WRITE &&
						pmd_trans_huge(vmf->orig_pmd));
#ifdef IOBMD_PFN_PUD_MAP
	case PUD_ORDER:
		if (!iobmd_mmap_pfn_pud(d, how, delta, vma,
					vmf->address & PUD_MASK, &pfn))
			return VM_FAULT_FALLBACK;
		return iobmd_vmf_insert_pfn_pud(vmf, pfn,
						vmf->flags & FAULT_FLAG_WRITE);
#endif
	default:
		return VM_FAULT_FALLBACK;
	}
}

static const struct vm_operations_struct iobmd_mmap_pfn_huge_ops = {
#ifdef IOBMD_PFN_PUD_MAP
	.open = iobmd_mmap_pud_open,
	.may_split = iobmd_mmap_pud_may_split,
#else
	.open = iobmd_mmap_open,
#endif
	.close = iobmd_mmap_close,
	.fault = iobmd_mmap_pfn_fault,
	.huge_fault = iobmd_mmap_pfn_huge_fault,
};

/*
 * Whether a PFN mapping is filled at fault time: it is RAM in its own
 * (write-back) cache mode, which the PAT gives a page inserted at fault
 * time as it gives remap_pfn_range()'s, and its first 2 MiB-aligned part
 * can take a PMD (placement and physical address congruent mod 2 MiB,
 * and that part contiguous).  Anything else would take a fault per page
 * and is mapped at mmap() time.  Device memory stays there: the PAT
 * would give a page inserted at fault time the range's recorded type
 * (uncached-minus where nobody reserved one), not the mapping's.
 */
static bool __iobmd_hot iobmd_mmap_pfn_fits(struct iobmd_desc *d,
					    const struct iobmd_mapper *m)
{
	unsigned long pfn;

	return !m->iomem &&
	       iobmd_mmap_pfn_pmd(d, IOBMD_WALK_ADDR, m->delta, m->vma,
				  ALIGN(m->vma->vm_start, PMD_SIZE), &pfn);
}
#endif

#ifdef IOBMD_PUD_PLACE
/*
 * A place for @len bytes at an address congruent with the page offset
 * @pgoff mod 1 GiB, found as the core mm finds one mod 2 MiB for a THP:
 * the process's own placement asked for 1 GiB more, then moved up into
 * it; 0 where that does not fit (the caller places it as before), where
 * the bytes hold no whole GiB of offsets, and for 32-bit callers, whose
 * address space would spend a quarter of itself on the padding.
 */
static unsigned long iobmd_pud_unmapped_area(struct file *file,
					     unsigned long addr,
					     unsigned long len,
					     unsigned long pgoff,
					     unsigned long flags)
{
	u64 off = (u64)pgoff << PAGE_SHIFT;
	u64 off_end = off + len, off_align = round_up(off, PUD_SIZE);
	unsigned long ret, len_pad = len + PUD_SIZE;

	if (!IS_ENABLED(CONFIG_64BIT) || in_compat_syscall() ||
	    off_end <= off_align || off_end - off_align < PUD_SIZE ||
	    len_pad < len)
		return 0;
	ret = iobmd_mm_get_unmapped_area(file, addr, len_pad, pgoff, flags);
	if (IS_ERR_VALUE(ret))
		return 0;
	/* A hint that was free, or MAP_FIXED, stays where it was. */
	if (ret == addr)
		return addr;
	return ret + ((off - ret) & (PUD_SIZE - 1));
}
#endif

#ifdef IOBMD_HUGE_PLACE
/**
 * iobmd_get_unmapped_area() - where /dev/iobmd places a mapping
 * @file: the open file
 * @addr: the caller's hint
 * @len: bytes
 * @pgoff: the cookie page mapped first
 * @flags: MAP_*
 *
 * A mapping of 2 MiB or more goes where its cookie page sits in 2 MiB
 * (cookies that long start 2 MiB-aligned), so that a buffer's 2 MiB
 * chunks, or physically contiguous 2 MiB of other RAM, can be mapped by
 * PMD; smaller ones go where they would anyway.  Where PFN mappings take
 * PUDs, a 64-bit caller's mapping of 1 GiB or more goes where its cookie
 * page sits in 1 GiB (cookies that long start 1 GiB-aligned), so that
 * RAM that starts 1 GiB-aligned maps a GiB at a time; if the address
 * space has no room for that, as for 2 MiB.
 *
 * Return: the address, or a negative errno.
 */
unsigned long iobmd_get_unmapped_area(struct file *file, unsigned long addr,
				      unsigned long len, unsigned long pgoff,
				      unsigned long flags)
{
#ifdef IOBMD_PUD_PLACE
	if (len >= PUD_SIZE) {
		unsigned long ret = iobmd_pud_unmapped_area(file, addr, len,
							    pgoff, flags);

		if (ret)
			return ret;
	}
#endif
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
}
#endif

/*
 * A mapping in the default cache mode that can hold a PMD is made at fault
 * time, 2 MiB at a time where it can be: of the module's own pages
 * (iobmd_mmap_huge_fits()) or of other RAM by PFN (iobmd_mmap_pfn_fits());
 * never in a VMA another driver made special (its split PMDs would keep
 * their pages).  The caller checked the layout (@m->pages, @m->iomem,
 * @m->cache).
 */
static bool __iobmd_hot iobmd_mmap_at_fault(struct iobmd_desc *d,
					    struct iobmd_mapper *m)
{
	/* Every huge entry needs a PMD's worth of the VMA. */
	if (m->cache != IOBMD_CACHE_DEFAULT ||
	    m->vma->vm_end - m->vma->vm_start < PMD_SIZE ||
	    m->vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO))
		return false;
#ifdef IOBMD_PUD_MAP
	if (m->pages && iobmd_mmap_huge_fits(d, m->vma, PUD_ORDER) &&
	    !iobmd_dax_file_set(m->vma)) {
		vm_flags_set(m->vma, VM_HUGEPAGE);
		m->vma->vm_ops = &iobmd_mmap_huge_ops;
		return true;
	}
#endif
#ifdef IOBMD_HUGE_MAP
	if (m->pages && iobmd_mmap_huge_fits(d, m->vma, PMD_ORDER)) {
		vm_flags_set(m->vma, VM_HUGEPAGE);
		m->vma->vm_ops = &iobmd_mmap_huge_ops;
		return true;
	}
#endif
#ifdef IOBMD_PFN_HUGE_MAP
	if (!m->pages && iobmd_mmap_pfn_fits(d, m)) {
		vm_flags_set(m->vma, VM_IO | VM_PFNMAP | VM_HUGEPAGE);
		m->vma->vm_ops = &iobmd_mmap_pfn_huge_ops;
		return true;
	}
#endif
	return false;
}

/* Check the layout, then map it, pages or PFNs, with the cache mode. */
static int __iobmd_hot iobmd_mmap_populate(struct iobmd_desc *d,
					   struct iobmd_mapper *m)
{
	struct iobmd_buffer *b = iobmd_to_buffer(d);
	int ret;

	if (b) {
		/* A buffer's pages are its own, all in its cache mode. */
		struct iobmd_run run = {
			.flags = IOBMD_RUN_PAGES,
			.cache = b->cache,
		};

		ret = iobmd_mmap_cache(m, &run);
		if (ret < 0)
			return ret;
		m->cache = ret;
		if (iobmd_mmap_at_fault(d, m))
			return 0;
		/*
		 * A small mapping inserts the pages straight from the list,
		 * which lies in the order of the buffer's bytes.
		 */
		if (vma_pages(m->vma) <= IOBMD_MMAP_SMALL) {
			unsigned long num = vma_pages(m->vma);

			m->vma->vm_page_prot =
				iobmd_mmap_prot(m->vma->vm_page_prot, m->cache,
						false);
			vm_flags_set(m->vma, VM_MIXEDMAP);
			ret = vm_insert_pages(m->vma, m->vma->vm_start,
					      b->pages + (m->start >> PAGE_SHIFT),
					      &num);
			return ret ?: (num ? -ENOMEM : 0);
		}
	} else {
		ret = iobmd_mmap_walk(d, m);
		if (ret)
			return ret;
		if (iobmd_mmap_mixed_types(m))
			return -EINVAL;
		if (iobmd_mmap_at_fault(d, m))
			return 0;
	}
	m->vma->vm_page_prot = iobmd_mmap_prot(m->vma->vm_page_prot, m->cache,
					       m->iomem);
	/*
	 * remap_pfn_range() sets the rest, and vmf_insert_pfn() needs them
	 * (not in a VMA the caller made VM_MIXEDMAP: see above).
	 */
	if (m->pages)
		vm_flags_set(m->vma, VM_MIXEDMAP);
	else if (m->vma->vm_flags & VM_MIXEDMAP)
		vm_flags_set(m->vma, VM_IO);
	else
		vm_flags_set(m->vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
				     VM_DONTDUMP);
	if (m->pages && vma_pages(m->vma) <= IOBMD_MMAP_SMALL) {
		m->batch = m->small;
		m->room = IOBMD_MMAP_SMALL;
	} else if (m->pages) {
		m->batch = kmalloc_array(IOBMD_MMAP_BATCH, sizeof(*m->batch),
					 GFP_KERNEL);
		if (!m->batch)
			return -ENOMEM;
		m->room = IOBMD_MMAP_BATCH;
	}
	m->map = true;
	ret = iobmd_mmap_walk(d, m);
	if (!ret && m->pages)
		ret = iobmd_mmap_flush(m);
	if (m->batch != m->small)
		kfree(m->batch);
	return ret;
}

/**
 * iobmd_desc_mmap() - map a descriptor into a process (IOMemoryMap)
 * @d: the descriptor; the mapping takes its own reference
 * @vma: a shared mapping being set up in an mmap file operation (of a
 *	read-only file too: MAP_SHARED leaves VM_MAYSHARE, not VM_SHARED)
 * @offset: page-aligned offset in the descriptor's mapping layout (the
 *	first byte sits at its page offset in the first page)
 * @cache: IOBMD_CACHE_* for the mapping; DEFAULT: the memory's own
 *
 * For other drivers' mmap handlers as well as /dev/iobmd's.  The mapping
 * keeps @d and a pin on it until the last munmap.  @vma->vm_pgoff is set
 * to @offset in pages.  User memory must be prepared.  Another exporter's
 * dma-buf, mapped by itself, is its exporter's mapping, which keeps the
 * dma-buf rather than @d: its file becomes the VMA's, @vma->vm_pgoff
 * counts in the dma-buf, and the cache mode is the exporter's (only
 * DEFAULT may be asked for).
 *
 * Return: 0; -EINVAL (not shared, beyond the mapping, pieces whose page
 * offsets do not line up, a cache mode the memory cannot have, pieces of
 * different modes or memory types), -ENODATA
 * (length 0, or user memory not prepared), -EACCES (writable mapping of
 * user memory pinned read-only, or of read-only memory), -EPERM (device
 * memory copy-back, unless the mapping process has CAP_SYS_RAWIO),
 * -ENODEV (memory of an imported dma-buf whose exporter has no mmap, in
 * a composed descriptor), -ERANGE (bytes its pieces no longer back),
 * -ENOMEM.  On failure the mapping holds nothing.
 */
int __iobmd_hot iobmd_desc_mmap(struct iobmd_desc *d,
				struct vm_area_struct *vma, u64 offset,
				unsigned int cache)
{
	struct iobmd_mapper m = {
		.vma = vma,
		.start = offset,
		.want = cache,
		.cache = cache,
		.rawio = -1,
		.pages = true,
	};
	u64 size = vma->vm_end - vma->vm_start;
	u64 map_size;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE) || !PAGE_ALIGNED(offset) ||
	    cache & ~IOBMD_OPT_CACHE_MASK)
		return -EINVAL;
	if (d->ops->mmap)
		return d->ops->mmap(d, vma, offset, cache);
	/* A buffer is pages of its own from its first byte on. */
	if (d->kind == IOBMD_KIND_BUFFER) {
		map_size = PAGE_ALIGN(iobmd_to_buffer(d)->capacity);
	} else {
		ret = iobmd_desc_map_layout(d, &m.delta, &map_size);
		if (ret)
			return ret;
	}
	if (m.start > map_size || size > map_size - m.start)
		return -EINVAL;
	ret = iobmd_desc_pin(d, iobmd_mmap_pin_flags(vma));
	if (ret)
		return ret;

	__iobmd_desc_get(d);
	vma->vm_pgoff = offset >> PAGE_SHIFT;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &iobmd_mmap_ops;
	vma->vm_private_data = d;
	ret = iobmd_mmap_populate(d, &m);
	if (ret) {
		iobmd_desc_unpin(d);
		iobmd_desc_put(d);
		return ret;
	}
	atomic_inc(&d->maps);
	atomic64_inc(&iobmd_stats.mappings);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iobmd_desc_mmap, IOBMD_NS);

/**
 * iobmd_mmap() - the mmap file operation of /dev/iobmd
 * @file: the open file
 * @vma: the new mapping
 *
 * The offset is a page inside a cookie from IOBMD_MAP, which names a
 * handle, the read-only flag and the cache mode; the page stands for the
 * same page of the mapping.
 *
 * Errors: EINVAL (not MAP_SHARED, no cookie of this file covers the whole
 * range, the size runs past the mapping, pieces whose page offsets do not
 * line up, a cache mode the memory cannot have, pieces of different modes
 * or memory types), EACCES (PROT_WRITE on a
 * read-only cookie or descriptor, or writable user memory pinned
 * read-only), ENODATA,
 * ENOMEM, ERANGE (bytes a composed descriptor's pieces no longer back:
 * see iobmd_desc_check_backed()), EPERM
 * (device memory or physical RAM userspace named, under lockdown; device
 * memory mapped copy-back without CAP_SYS_RAWIO), ENODEV
 * (an imported dma-buf whose exporter lets no process map it), EINTR
 * (killed while mapping a long composed descriptor).
 *
 * Return: 0 or a negative errno; on failure the mapping holds nothing.
 */
int iobmd_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct iobmd_desc *d;
	u64 offset;
	u32 flags;
	int ret;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	d = iobmd_file_cookie_get(file->private_data, vma->vm_pgoff,
				  vma_pages(vma), &offset, &flags);
	if (IS_ERR(d))
		return PTR_ERR(d);

	ret = -EACCES;
	/* Read-only memory maps read-only, whatever the cookie says. */
	if (flags & IOBMD_MAP_READONLY || READ_ONCE(d->readonly)) {
		if (vma->vm_flags & VM_WRITE)
			goto out_put;
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	ret = iobmd_desc_mmap(d, vma, offset, flags & IOBMD_MAP_CACHE_MASK);
	/* On success the mapping took its own reference. */
out_put:
	iobmd_desc_put(d);
	return ret;
}

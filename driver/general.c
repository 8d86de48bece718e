// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: IOGeneralMemoryDescriptor, memory that exists already: ranges of
 * the creating process's address space (pinned with FOLL_LONGTERM while
 * pinned, charged to its pinned_vm and to its user's locked_vm against
 * RLIMIT_MEMLOCK), or ranges of physical RAM.
 *
 * Physical RAM (withPhysicalAddress) is for drivers: only pages in use and
 * in the kernel's direct map (not memfd_secret's) are taken, and a page
 * reference is held on each while it is described, so none is freed and
 * reused meanwhile.  A page with no reference to take is refused: a free
 * page (in the buddy allocator or on a per-CPU list) looks the same as a
 * later page of a higher-order allocation that is not a compound page, so
 * drivers describe such allocations after split_page(), or allocate them
 * with __GFP_COMP.  The direct map is checked again before the CPU touches
 * the pages.
 * Userspace may not name System RAM by address, as /dev/mem with
 * STRICT_DEVMEM may not; the unsafe_phys_ram parameter lifts that for
 * test rigs (it taints the kernel), never under lockdown.
 */
#include <linux/cred.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iobmd_priv.h"

static bool unsafe_phys_ram;
module_param_unsafe(unsafe_phys_ram, bool, 0644);
MODULE_PARM_DESC(unsafe_phys_ram,
		 "Let CAP_SYS_RAWIO describe System RAM by physical address (test rigs only; never under lockdown)");

/**
 * struct iobmd_general - a general descriptor
 * @desc: the descriptor
 * @physical: the ranges are physical RAM, not user memory
 * @user: physical, and named by userspace: refused under lockdown
 * @mm: the address space of user ranges, grabbed
 * @locked_cred: the credentials whose user's locked_vm the pin is
 *	charged to, with a reference, while user ranges are pinned (NULL
 *	for a pin past the limit with CAP_IPC_LOCK); as @runs
 * @count: ranges
 * @ranges: the ranges, in order
 * @first_page: index in the page list (@runs) of each range's first page
 * @npages: pages the ranges touch
 * @runs: the pages, as physically contiguous runs; for user memory only
 *	while pinned: built as desc.pin_count leaves 0 (under desc.pin_lock)
 *	and freed as it returns to 0 (under desc.prep_lock)
 * @sgt: DMA mapping of @runs while prepared; desc.prep_lock
 * @dma_dir: direction of @sgt; desc.prep_lock
 */
struct iobmd_general {
	struct iobmd_desc desc;
	bool physical;
	bool user;
	struct mm_struct *mm;
	const struct cred *locked_cred;
	u32 count;
	struct iobmd_range *ranges;
	unsigned long *first_page;
	unsigned long npages;
	struct iobmd_runs runs;
	struct sg_table sgt;
	int dma_dir;
};

/* Pages pinned per call: the batch is a page of page pointers. */
#define IOBMD_PIN_BATCH	(PAGE_SIZE / sizeof(struct page *))

static struct iobmd_general *iobmd_general_of(struct iobmd_desc *d)
{
	return container_of(d, struct iobmd_general, desc);
}

static unsigned long iobmd_general_range_pages(const struct iobmd_range *r)
{
	return ((r->address + r->length - 1) >> PAGE_SHIFT) -
	       (r->address >> PAGE_SHIFT) + 1;
}

/* Byte @local of range @i, counted from the start of the first page. */
static u64 iobmd_general_list_offset(struct iobmd_general *g, u32 i, u64 local)
{
	return ((u64)g->first_page[i] << PAGE_SHIFT) +
	       offset_in_page(g->ranges[i].address) + local;
}

static int iobmd_general_walk_range(struct iobmd_general *g, u32 i, u64 local,
				    u64 len, iobmd_run_fn fn, void *arg)
{
	const struct iobmd_run run = { .flags = g->user ? IOBMD_RUN_RAW : 0 };

	return iobmd_runs_walk(&g->runs, iobmd_general_list_offset(g, i, local),
			       len, &run, fn, arg);
}

/*
 * Whether the kernel can reach the page through its direct map, and for
 * how many pages from it that answer holds (*@pages): on x86 the rest of
 * the direct map's page it lies in (up to 1 GiB, looked up once), else 1.
 */
static bool iobmd_general_pages_mapped(struct page *page,
				       unsigned long *pages)
{
	unsigned long addr = (unsigned long)page_address(page);
#ifdef CONFIG_X86
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);

	*pages = 1;
	if (!pte || !pte_present(*pte))
		return false;
	*pages = (ALIGN(addr + 1, page_level_size(level)) - addr) >> PAGE_SHIFT;
	return true;
#else
	char c;

	*pages = 1;
	if (!IS_ENABLED(CONFIG_ARCH_HAS_SET_DIRECT_MAP))
		return true;
	/*
	 * No exported page-table walk (arm64): a read through the direct map
	 * that may fault, and fails where the page has left it.
	 */
	return !copy_from_kernel_nofault(&c, (void *)addr, 1);
#endif
}

static bool iobmd_general_page_mapped(struct page *page)
{
	unsigned long pages;

	return iobmd_general_pages_mapped(page, &pages);
}

/**
 * struct iobmd_general_check - a CPU walk of physical ranges
 * @fn: the walk's callback
 * @arg: its argument
 */
struct iobmd_general_check {
	iobmd_run_fn fn;
	void *arg;
};

/*
 * Before the CPU touches physical RAM (a copy, a mapping): every page must
 * still be in the direct map, where its owner may have taken it from since.
 */
static int iobmd_general_check_run(void *arg, const struct iobmd_run *run)
{
	struct iobmd_general_check *c = arg;
	unsigned long pfn = PHYS_PFN(run->addr);
	unsigned long last = PHYS_PFN(run->addr + run->len - 1);
	unsigned long n, lookups = 0;

	for (; pfn <= last; pfn += n) {
		if (!iobmd_general_pages_mapped(pfn_to_page(pfn), &n))
			return -EPERM;
		if (!(++lookups % IOBMD_PIN_BATCH))
			cond_resched();
	}
	return c->fn(c->arg, run);
}

static int iobmd_general_walk(struct iobmd_desc *d, u64 offset, u64 len,
			      unsigned int how, iobmd_run_fn fn, void *arg)
{
	struct iobmd_general *g = iobmd_general_of(d);
	struct iobmd_general_check check = { .fn = fn, .arg = arg };
	int ret = 0;
	u32 i;

	if (g->user) {
		ret = iobmd_raw_locked_down();
		if (ret)
			return ret;
	}
	if (g->physical && !(how & IOBMD_WALK_DMA)) {
		fn = iobmd_general_check_run;
		arg = &check;
	}
	for (i = 0; i < g->count && len; i++) {
		u64 rlen = g->ranges[i].length, n;

		if (offset >= rlen) {
			offset -= rlen;
			continue;
		}
		n = min(rlen - offset, len);
		if (how & IOBMD_WALK_DMA)
			ret = iobmd_sgt_walk(&g->sgt,
					     iobmd_general_list_offset(g, i, offset),
					     n, fn, arg);
		else
			ret = iobmd_general_walk_range(g, i, offset, n, fn, arg);
		if (ret)
			return ret;
		len -= n;
		offset = 0;
	}
	return 0;
}

static bool iobmd_general_wired(struct iobmd_desc *d)
{
	return iobmd_general_of(d)->physical;
}

/*
 * Charge the pages to the process's pinned_vm, as RDMA and VFIO pinning
 * do, and to its user's locked_vm, as io_uring and iommufd do, each
 * against RLIMIT_MEMLOCK: a pin can outlive the process (a prepare in a
 * file another process shares, a dma-buf exported from it), and the
 * user's next process starts with nothing pinned.  No mmap_lock, so
 * unpinning is safe from munmap(); the credentials (which hold the user)
 * are kept for the uncharge, which may come from another process.
 */
static int iobmd_general_charge(struct iobmd_general *g)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	s64 pinned = atomic64_add_return(g->npages, &g->mm->pinned_vm);
	long locked = atomic_long_add_return(g->npages, &user->locked_vm);

	if (pinned <= limit && locked <= limit) {
		g->locked_cred = get_current_cred();
		return 0;
	}
	atomic_long_sub(g->npages, &user->locked_vm);
	if (!capable(CAP_IPC_LOCK)) {
		atomic64_sub(g->npages, &g->mm->pinned_vm);
		return -ENOMEM;
	}
	/* Past the limit with CAP_IPC_LOCK: not on the user's count. */
	return 0;
}

static void iobmd_general_uncharge(struct iobmd_general *g)
{
	if (g->locked_cred) {
		atomic_long_sub(g->npages, &g->locked_cred->user->locked_vm);
		put_cred(g->locked_cred);
		g->locked_cred = NULL;
	}
	atomic64_sub(g->npages, &g->mm->pinned_vm);
}

/*
 * A read-only long-term pin must see what the process writes later.  In a
 * private (COW) mapping, a page not yet written there is the shared zero
 * page or a file's page, and the process's next write moves it to a copy
 * the device never sees.  Kernels since 6.2 unshare such pages for
 * FOLL_LONGTERM pins; 6.1 pins them as they are.  Pin those again for
 * writing with FOLL_FORCE, which breaks COW without changing the mapping's
 * protection (as a debugger's write does); on newer kernels there are
 * none.  @batch holds the @nr pages pinned from @start; on failure every
 * one of them is unpinned.
 */
static int iobmd_general_unshare(unsigned long start, int nr,
				 unsigned int gup, struct page **batch)
{
	DECLARE_BITMAP(cow, IOBMD_PIN_BATCH);
	struct vm_area_struct *vma = NULL;
	bool locked = false;
	int i, end, ret = 0;

	bitmap_zero(cow, IOBMD_PIN_BATCH);
	for (i = 0; i < nr; i++) {
		unsigned long addr = start + ((unsigned long)i << PAGE_SHIFT);

		if (PageAnon(batch[i]))
			continue;
		if (!locked) {
			/* A pinning caller may be killed while it waits. */
			ret = mmap_read_lock_killable(current->mm);
			if (ret)
				break;
			locked = true;
		}
		if (!vma || addr >= vma->vm_end)
			vma = vma_lookup(current->mm, addr);
		if (vma && vma_is_cow_mapping(vma))
			__set_bit(i, cow);
	}
	if (locked)
		mmap_read_unlock(current->mm);
	if (ret) {
		unpin_user_pages(batch, nr);
		return ret;
	}

	for_each_set_bitrange(i, end, cow, nr) {
		unpin_user_pages(batch + i, end - i);
		ret = pin_user_pages_fast(start + ((unsigned long)i << PAGE_SHIFT),
					  end - i, gup | FOLL_WRITE | FOLL_FORCE,
					  batch + i);
		if (ret == end - i)
			continue;
		/* Pinned: all before @i, @ret at @i, all from @end. */
		unpin_user_pages(batch, i);
		if (ret > 0)
			unpin_user_pages(batch + i, ret);
		unpin_user_pages(batch + end, nr - end);
		return ret < 0 ? ret : -EFAULT;
	}
	return 0;
}

/*
 * Pin range @i into @g->runs through @batch; on failure, what was pinned
 * is in @g->runs.  A full first batch sizes the list for the whole
 * descriptor, as if the rest were as contiguous; the list grows as needed
 * when that guess is short or could not be had.
 */
static int iobmd_general_pin_range(struct iobmd_general *g, u32 i,
				   unsigned int gup, struct page **batch)
{
	unsigned long start = g->ranges[i].address & PAGE_MASK;
	unsigned long n = iobmd_general_range_pages(&g->ranges[i]);
	unsigned long got = 0, hint;
	int ret;

	while (got < n) {
		int nr = min_t(unsigned long, n - got, IOBMD_PIN_BATCH);

		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		ret = pin_user_pages_fast(start + (got << PAGE_SHIFT), nr, gup,
					  batch);
		if (ret <= 0)
			return ret ?: -EFAULT;
		nr = ret;
		if (!(gup & FOLL_WRITE)) {
			ret = iobmd_general_unshare(start + (got << PAGE_SHIFT),
						    nr, gup, batch);
			if (ret)
				return ret;
		}
		ret = iobmd_runs_add(&g->runs, batch, nr, g->npages);
		if (ret) {
			unpin_user_pages(batch, nr);
			return ret;
		}
		got += nr;
		if (g->runs.npages == IOBMD_PIN_BATCH) {
			hint = DIV_ROUND_UP(g->runs.n * g->npages,
					    g->runs.npages);
			iobmd_runs_reserve(&g->runs, min(hint + 1, g->npages));
		}
	}
	return 0;
}

static int iobmd_general_pin(struct iobmd_desc *d, unsigned int flags)
{
	struct iobmd_general *g = iobmd_general_of(d);
	unsigned int gup = FOLL_LONGTERM;
	struct page **batch;
	int ret = 0;
	u32 i;

	if (g->physical)
		return 0;
	if (flags & IOBMD_PIN_NOFAULT)
		return -ENODATA;
	if (flags & IOBMD_PIN_WRITE)
		gup |= FOLL_WRITE;
	if (current->mm != g->mm)
		return -EPERM;
	/* Ranges can span more pages than exist; their list cannot. */
	if (g->npages > totalram_pages())
		return -ENOMEM;
	ret = iobmd_general_charge(g);
	if (ret)
		return ret;
	batch = kmalloc_array(min_t(unsigned long, g->npages, IOBMD_PIN_BATCH),
			      sizeof(*batch), GFP_KERNEL);
	if (!batch) {
		ret = -ENOMEM;
		goto err_unaccount;
	}
	for (i = 0; i < g->count && !ret; i++)
		ret = iobmd_general_pin_range(g, i, gup, batch);
	kfree(batch);
	if (ret)
		goto err_unpin;
	atomic64_add((u64)g->npages << PAGE_SHIFT, &iobmd_stats.pinned_bytes);
	return 0;

err_unpin:
	iobmd_runs_unpin(&g->runs, false);
	iobmd_runs_free(&g->runs);
err_unaccount:
	iobmd_general_uncharge(g);
	return ret;
}

static void iobmd_general_unpin(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);

	if (g->physical)
		return;
	iobmd_runs_unpin(&g->runs, d->pin_write);
	iobmd_runs_free(&g->runs);
	iobmd_general_uncharge(g);
	atomic64_sub((u64)g->npages << PAGE_SHIFT, &iobmd_stats.pinned_bytes);
}

static int iobmd_general_dma_map(struct iobmd_desc *d, struct device *dev,
				 u32 direction)
{
	struct iobmd_general *g = iobmd_general_of(d);

	if (!dev)
		return 0;
	g->dma_dir = iobmd_dma_dir(direction);
	return iobmd_runs_sgt_map(&g->sgt, &g->runs, dev, g->dma_dir);
}

static void iobmd_general_dma_unmap(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);

	if (d->dma_dev)
		iobmd_sgt_unmap(&g->sgt, d->dma_dev, g->dma_dir);
}

static void iobmd_general_dma_sync(struct iobmd_desc *d, u64 offset, u64 len,
				   bool for_device)
{
	struct iobmd_general *g = iobmd_general_of(d);
	u32 i;

	for (i = 0; i < g->count && len; i++) {
		u64 rlen = g->ranges[i].length, n;

		if (offset >= rlen) {
			offset -= rlen;
			continue;
		}
		n = min(rlen - offset, len);
		iobmd_sgt_sync(&g->sgt, d->dma_dev, g->dma_dir,
			       iobmd_general_list_offset(g, i, offset), n,
			       for_device);
		len -= n;
		offset = 0;
	}
}

/* Drop the reference physical ranges hold on each page, run by run. */
static void iobmd_general_put_pages(struct iobmd_general *g)
{
	const struct iobmd_runs *r = &g->runs;
	unsigned long k, j, n;

	for (k = 0; k < r->n; k++) {
		n = (k + 1 < r->n ? r->v[k + 1].first : r->npages) -
		    r->v[k].first;
		for (j = 0; j < n; j++) {
			put_page(pfn_to_page(r->v[k].pfn + j));
			if (!((j + 1) % IOBMD_PIN_BATCH))
				cond_resched();
		}
	}
}

static void iobmd_general_release(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);

	if (g->physical) {
		iobmd_general_put_pages(g);
		iobmd_runs_free(&g->runs);
	}
	if (g->mm)
		mmdrop(g->mm);
	kfree(g->first_page);
	kfree(g->ranges);
	kfree(g);
}

/* RAM userspace named by address: never under lockdown. */
static int iobmd_general_usable(struct iobmd_desc *d)
{
	return iobmd_general_of(d)->user ? iobmd_raw_locked_down() : 0;
}

/* Physical ranges are where they are named; the caller's pages anywhere. */
static u64 iobmd_general_phys_limit(struct iobmd_desc *d)
{
	struct iobmd_general *g = iobmd_general_of(d);
	u64 limit = 0;
	u32 i;

	if (!g->physical)
		return U64_MAX;
	for (i = 0; i < g->count; i++)
		limit = max(limit, g->ranges[i].address + g->ranges[i].length - 1);
	return limit;
}

static const struct iobmd_desc_ops iobmd_general_ops = {
	.walk = iobmd_general_walk,
	.wired = iobmd_general_wired,
	.pin = iobmd_general_pin,
	.unpin = iobmd_general_unpin,
	.dma_map = iobmd_general_dma_map,
	.dma_unmap = iobmd_general_dma_unmap,
	.dma_sync = iobmd_general_dma_sync,
	.phys_limit = iobmd_general_phys_limit,
	.usable = iobmd_general_usable,
	.release = iobmd_general_release,
};

/*
 * A reference on RAM page @pfn, which must be in use and in the direct
 * map: -EINVAL (no struct page, poisoned, or no reference to take: free,
 * or a later page of a higher-order allocation that is not compound),
 * -EPERM (memfd_secret's, or any other page taken out of the direct map).
 */
static int iobmd_general_get_page(unsigned long pfn)
{
	struct folio *folio;
	struct page *page;

	if (!pfn_valid(pfn))
		return -EINVAL;
	page = pfn_to_page(pfn);
	for (;;) {
		folio = page_folio(page);
		if (!folio_try_get(folio))
			return -EINVAL;
		if (likely(page_folio(page) == folio))
			break;
		folio_put(folio);	/* split or freed meanwhile: again */
	}
	if (PageHWPoison(page)) {
		folio_put(folio);
		return -EINVAL;
	}
	if (!iobmd_general_page_mapped(page)) {
		folio_put(folio);
		return -EPERM;
	}
	return 0;
}

/* The @n pages from @pfn, listed, a reference taken on each. */
static int iobmd_general_add_pages(struct iobmd_general *g, unsigned long pfn,
				   unsigned long n)
{
	unsigned long j;
	int ret = 0;

	for (j = 0; j < n; j++) {
		ret = iobmd_general_get_page(pfn + j);
		if (ret)
			break;
		if (!((j + 1) % IOBMD_PIN_BATCH))
			cond_resched();
	}
	if (!ret)
		ret = iobmd_runs_add_range(&g->runs, pfn, n);
	if (ret)
		while (j--)
			put_page(pfn_to_page(pfn + j));
	return ret;
}

/* Physical ranges are RAM with struct pages; list them once. */
static int iobmd_general_physical_pages(struct iobmd_general *g)
{
	int ret;
	u32 i;

	for (i = 0; i < g->count; i++) {
		const struct iobmd_range *r = &g->ranges[i];

		if (region_intersects(r->address, r->length,
				      IORESOURCE_SYSTEM_RAM,
				      IORES_DESC_NONE) != REGION_INTERSECTS)
			return -EINVAL;
	}
	/* Ranges may name the same RAM again, but not more of it than exists. */
	if (g->npages > totalram_pages())
		return -ENOMEM;
	for (i = 0; i < g->count; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = iobmd_general_add_pages(g, PHYS_PFN(g->ranges[i].address),
					      iobmd_general_range_pages(&g->ranges[i]));
		if (ret)
			return ret;
	}
	return 0;
}

static struct iobmd_desc *
iobmd_general_new(const struct iobmd_range *ranges, u32 count, u32 direction,
		  bool physical, bool user)
{
	struct iobmd_general *g;
	u64 length = 0, end;
	int ret = -ENOMEM;
	u32 i;

	if (!count || direction & ~IOBMD_DIRECTION_MASK)
		return ERR_PTR(-EINVAL);
	if (physical && user) {
		ret = iobmd_raw_locked_down();
		if (ret)
			return ERR_PTR(ret);
		if (!READ_ONCE(unsafe_phys_ram))
			return ERR_PTR(-EPERM);
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return ERR_PTR(-ENOMEM);
	g->ranges = kmemdup(ranges, count * sizeof(*ranges), GFP_KERNEL_ACCOUNT);
	if (!g->ranges)
		goto err_free;
	g->count = count;
	g->physical = physical;
	g->user = physical && user;
	g->first_page = kcalloc(count, sizeof(*g->first_page),
				GFP_KERNEL_ACCOUNT);
	if (!g->first_page)
		goto err_free;

	for (i = 0; i < count; i++) {
		const struct iobmd_range *r = &g->ranges[i];

		ret = -EINVAL;
		if (!r->length || check_add_overflow(r->address, r->length, &end))
			goto err_free;
		ret = -EFAULT;
		if (!physical &&
		    !access_ok(u64_to_user_ptr(r->address), r->length))
			goto err_free;
		ret = -EOVERFLOW;
		if (check_add_overflow(length, r->length, &length))
			goto err_free;
		g->first_page[i] = g->npages;
		g->npages += iobmd_general_range_pages(r);
	}

	if (physical) {
		ret = iobmd_general_physical_pages(g);
		if (ret)
			goto err_put;
	} else {
		g->mm = current->mm;
		mmgrab(g->mm);
	}
	iobmd_desc_init(&g->desc, &iobmd_general_ops, IOBMD_KIND_GENERAL,
			length, direction, 1);
	return &g->desc;

err_put:
	iobmd_general_put_pages(g);
err_free:
	iobmd_runs_free(&g->runs);
	kfree(g->first_page);
	kfree(g->ranges);
	kfree(g);
	return ERR_PTR(ret);
}

/**
 * iobmd_general_create() - withAddressRanges / withPhysicalAddress
 * @ranges: the ranges; the descriptor keeps a copy
 * @count: how many
 * @direction: IOBMD_DIRECTION_*
 * @physical: the ranges are physical RAM rather than the current process's
 *	memory; every page must be in use with a reference to take (the
 *	descriptor holds one until released: describe a higher-order
 *	allocation after split_page(), or allocate it with __GFP_COMP) and
 *	in the kernel's direct map
 *
 * Return: the descriptor with one reference, or ERR_PTR(-EINVAL) (empty or
 * wrapping range, physical range not all RAM, or naming a free, poisoned
 * or unreferenced page), -EPERM (a physical page out of the direct map, as
 * memfd_secret's are), -EFAULT (user range outside the address space),
 * -EOVERFLOW, -EINTR, -ENOMEM (also physical ranges that name more pages,
 * counting repeats, than the system has).
 */
struct iobmd_desc *iobmd_general_create(const struct iobmd_range *ranges,
					u32 count, u32 direction, bool physical)
{
	return iobmd_general_new(ranges, count, direction, physical, false);
}
EXPORT_SYMBOL_NS_GPL(iobmd_general_create, IOBMD_NS);

/**
 * iobmd_general_create_user() - iobmd_general_create() for userspace
 * @ranges: the ranges; the descriptor keeps a copy
 * @count: how many
 * @direction: IOBMD_DIRECTION_*
 * @physical: physical RAM; the caller checked CAP_SYS_RAWIO
 *
 * Physical RAM is refused unless the unsafe_phys_ram parameter is set, and
 * always under lockdown, where a descriptor made before is refused at
 * every use.
 *
 * Return: as iobmd_general_create(), with -EPERM for physical ranges
 * refused so.
 */
struct iobmd_desc *iobmd_general_create_user(const struct iobmd_range *ranges,
					     u32 count, u32 direction,
					     bool physical)
{
	return iobmd_general_new(ranges, count, direction, physical, true);
}

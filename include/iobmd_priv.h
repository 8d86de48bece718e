/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd: objects shared by the module's files.
 */
#ifndef _IOBMD_PRIV_H
#define _IOBMD_PRIV_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include <linux/iobmd.h>

#include "iobmd.h"
#include "iobmd_compat.h"

/*
 * What creating, exporting, mapping and freeing a buffer runs, laid out
 * together: after a TLB flush (every munmap) each page of code it spans
 * costs a page walk of its own.  Two dots, as the kernel's own special
 * sections: newer module linker scripts (7.2's and 7.3's, not 6.12's) fold
 * every section named .text.<letters> into .text, among the rest.
 */
#define __iobmd_hot	__section(".text..iobmd_hot")

/*
 * mutex_init() for the mutexes a new descriptor or export brings, without
 * the call to __mutex_init() where that only stores the unlocked state (no
 * mutex debugging, no lockdep, no PREEMPT_RT).  A macro, so that lockdep
 * still gets one class per place it is used.
 */
#if defined(CONFIG_DEBUG_MUTEXES) || defined(CONFIG_DEBUG_LOCK_ALLOC) || \
	defined(CONFIG_PREEMPT_RT)
#define iobmd_mutex_init(m)	mutex_init(m)
#else
#define iobmd_mutex_init(m)						\
	do {								\
		struct mutex *__m = (m);				\
									\
		*__m = (struct mutex)__MUTEX_INITIALIZER((*__m));	\
	} while (0)
#endif

struct dentry;
struct device;
struct vm_area_struct;
struct iobmd_desc;

/* struct iobmd_run.flags */
#define IOBMD_RUN_PAGES	BIT(0)	/* pages that may be inserted into a VMA */
#define IOBMD_RUN_IOMEM	BIT(1)	/* @kaddr is an __iomem address */
#define IOBMD_RUN_FOREIGN	BIT(2)	/* another exporter's dma-buf memory */
#define IOBMD_RUN_NOMAP	BIT(3)	/* its exporter lets no process map it */
#define IOBMD_RUN_RAW	BIT(4)	/* RAM userspace named: lockdown closes it */

/**
 * struct iobmd_run - a physically (or, for DMA walks, DMA-) contiguous run
 * @addr: physical address of its first byte, or DMA address in DMA walks;
 *	0 for another exporter's memory (IOBMD_RUN_FOREIGN) in walks for the
 *	CPU, which ask for neither IOBMD_WALK_ADDR nor IOBMD_WALK_DMA
 * @kaddr: kernel address of its first byte (see IOBMD_RUN_IOMEM)
 * @len: bytes in the run
 * @flags: IOBMD_RUN_*
 * @cache: IOBMD_CACHE_* the memory is mapped with in the kernel
 */
struct iobmd_run {
	u64 addr;
	void *kaddr;
	u64 len;
	unsigned int flags;
	unsigned int cache;
};

/**
 * typedef iobmd_run_fn - called for each run of a walk, in order
 * @arg: the walker's private argument
 * @run: the run
 *
 * Return: 0 to go on, or a negative errno that ends the walk.
 */
typedef int (*iobmd_run_fn)(void *arg, const struct iobmd_run *run);

/* iobmd_desc_pin() flags */
#define IOBMD_PIN_WRITE		BIT(0)	/* the memory will be written */
#define IOBMD_PIN_NOFAULT	BIT(1)	/* only if pinned already (mmap_lock held) */

/* How a walk reports memory. */
#define IOBMD_WALK_DMA	BIT(0)	/* DMA addresses; only while prepared */
#define IOBMD_WALK_ADDR	BIT(1)	/* addresses only: no @kaddr needed */
#define IOBMD_WALK_KILLABLE	BIT(2)	/* a fatal signal ends it: -EINTR */
/*
 * With IOBMD_WALK_ADDR: only a fatal signal ends its waits (-EINTR), an
 * import's for its exporter's kernel fences too, which otherwise a signal
 * ends (-ERESTARTSYS).  For a page fault that the kernel takes (a
 * copy_to_user(), get_user_pages()): it is taken again at once, before
 * any signal handler runs, and would find the same signal pending.
 */
#define IOBMD_WALK_NOINTR	BIT(3)

/**
 * struct iobmd_desc_ops - what each descriptor kind provides
 * @walk: call @fn for the runs covering [@offset, @offset + @len), which
 *	lies inside the descriptor's memory; the caller holds a pin (and, for
 *	IOBMD_WALK_DMA, a prepare); with IOBMD_WALK_ADDR a run's @kaddr may
 *	be NULL
 * @wired: whether the memory exists without a pin (buffers, device memory)
 * @pin: make the memory present (pin user pages); @flags are
 *	IOBMD_PIN_*; called when the pin count leaves 0, without @prep_lock
 * @unpin: undo @pin; called when the pin count returns to 0, without
 *	@prep_lock, maybe under mmap_lock (must not take it)
 * @dma_map: the first prepare: map the memory for DMA on @dev for
 *	@direction (IOKit bits, prepare modifiers included), or with @dev
 *	NULL map nothing (memory of its own) or prepare what it is built of
 *	(composed kinds); called when the prepare count leaves 0
 * @dma_unmap: undo @dma_map; desc.dma_dev is the device, or NULL
 * @dma_sync: dma_sync_*() a range of mapped memory; @for_device selects
 *	the direction
 * @extent: bytes a user mapping may cover (buffers: the capacity); NULL
 *	means the length
 * @phys_limit: the highest physical address the memory was placed at or
 *	below, whatever its pages happen to be (iobmd_desc_phys_limit());
 *	NULL means U64_MAX
 * @usable: 0 when the memory may be used now, else why not (-EPERM: raw
 *	memory userspace named, since closed by lockdown or claimed by a
 *	driver); asked at every prepare; NULL means always
 * @mmap: map the memory into @vma itself, from page-aligned @offset, with
 *	IOBMD_CACHE_* @cache, when the mapping is of this descriptor alone
 *	(another exporter's dma-buf: its exporter's mmap); the mapping then
 *	holds what it needs, not the descriptor.  The memory starts at a
 *	page boundary.  NULL: iobmd_desc_mmap() maps the walk's runs
 * @backed: composed kinds: how many of the @len bytes from @offset its
 *	pieces still back, from @offset on without a gap; a piece backs no
 *	byte past its descriptor's length now (a buffer's setLength() shrank
 *	it, an interleaved one's pieces were cleared), as IOKit's
 *	getPhysicalSegment() of a window ends at its parent's length.  The
 *	caller holds a pin (an interleaved descriptor's pieces stay put) and
 *	passes a range inside the length.  NULL: memory of its own, all of
 *	it backed
 * @release: free the object once the last reference is gone
 */
struct iobmd_desc_ops {
	int (*walk)(struct iobmd_desc *d, u64 offset, u64 len,
		    unsigned int how, iobmd_run_fn fn, void *arg);
	bool (*wired)(struct iobmd_desc *d);
	int (*pin)(struct iobmd_desc *d, unsigned int flags);
	void (*unpin)(struct iobmd_desc *d);
	int (*dma_map)(struct iobmd_desc *d, struct device *dev,
		       u32 direction);
	void (*dma_unmap)(struct iobmd_desc *d);
	void (*dma_sync)(struct iobmd_desc *d, u64 offset, u64 len,
			 bool for_device);
	u64 (*extent)(struct iobmd_desc *d);
	u64 (*phys_limit)(struct iobmd_desc *d);
	int (*usable)(struct iobmd_desc *d);
	int (*mmap)(struct iobmd_desc *d, struct vm_area_struct *vma,
		    u64 offset, unsigned int cache);
	u64 (*backed)(struct iobmd_desc *d, u64 offset, u64 len);
	void (*release)(struct iobmd_desc *d);
};

/* Deepest nesting of descriptors; also lockdep's subclass for @prep_lock. */
#define IOBMD_MAX_DEPTH		8

/* Most piece visits a full traversal of one descriptor may make. */
#define IOBMD_MAX_VISITS	IOBMD_COMPOSE_MAX_VISITS

/**
 * struct iobmd_desc - the IOMemoryDescriptor every kind embeds
 * @ref: handles, mappings and other descriptors that hold it
 * @ops: the kind's operations
 * @kind: enum iobmd_kind
 * @depth: 1 for memory of its own, else 1 + the deepest descriptor it uses
 * @lock: serialises changes of @length, @direction and @tag
 * @length: getLength(); protected by @lock
 * @direction: getDirection(); protected by @lock
 * @tag: getTag(); protected by @lock
 * @prep_lock: protects the pin and prepare state below; nests inside the
 *	@prep_lock of descriptors built on this one (subclass = depth - 1)
 * @pin_lock: held across a 0 -> 1 pin transition, which runs without
 *	@prep_lock because pinning user memory takes mmap_lock: nests
 *	outside mmap_lock and @prep_lock, and inside the @pin_lock of
 *	descriptors built on this one (subclass = depth - 1); taken
 *	killably, and only tried under mmap_lock (iobmd_desc_pin())
 * @pin_count: pins (prepares and internal holds) of a kind with a @pin
 *	operation; protected by @prep_lock
 * @wired_pins: pins of a kind without one (its memory exists unpinned), a
 *	plain count that only has to balance: no lock
 * @pinning: a 0 -> 1 pin transition is running (under @pin_lock); set and
 *	cleared under @prep_lock
 * @pin_write: the pin allows writes; protected by @prep_lock
 * @prepare_count: IOKit prepare() nesting; protected by @prep_lock
 * @dma_dev: the device the memory is DMA-mapped for while prepared;
 *	protected by @prep_lock
 * @dma_direction: IOBMD_DIRECTION_* the memory is DMA-mapped for while
 *	prepared (the first prepare's); protected by @prep_lock
 * @id: unique id while the module is loaded (netlink dumps and events)
 * @creator: the creating process (its struct pid, referenced), which a
 *	dump compares (the number can be reused once the process is gone)
 *	and shows as seen from the asker's pid namespace
 * @uid: its uid, shown as seen from the asker's user namespace
 * @id_link: entry in the registry's list by id; iobmd_registry_lock
 * @creator_node: entry in the registry's tree by creator and id;
 *	iobmd_registry_lock
 * @maps: live user mappings (VMAs) of it
 * @exports: live dma-bufs exported from it
 * @acct: the open file's account it is charged to, or NULL
 * @user: the user account it is charged to (with @acct), or NULL; held
 *	unless it is @acct's own user, which @acct holds
 * @charged: bytes charged to @acct and @user
 * @readonly: nothing may write the memory through it: a dma-buf
 *	imported from a read-only file, and what is built on
 *	one (a sub or multi: fixed at creation; an interleaved descriptor:
 *	while it holds one, protected by @lock and by @pin_lock)
 * @imported: made from a dma-buf iobmd exported: the exporting
 *	descriptor's purgeable state is its owner's and does not change
 *	through this one; fixed at creation
 * @visits: piece visits a full traversal of it makes, repeats counted (1
 *	for memory of its own), at most IOBMD_MAX_VISITS; fixed at creation,
 *	except an interleaved descriptor's, protected by @lock, which grows
 *	only while no descriptor is built on it
 */
struct iobmd_desc {
	struct kref ref;
	const struct iobmd_desc_ops *ops;
	u32 kind;
	u32 depth;
	struct mutex lock; /* length, direction, tag */
	u64 length;
	u32 direction;
	u64 tag;
	struct mutex prep_lock; /* pin_count, pin_write, prepare_count */
	struct mutex pin_lock; /* a 0 -> 1 pin transition */
	unsigned int pin_count;
	atomic_t wired_pins;
	bool pinning;
	bool pin_write;
	unsigned int prepare_count;
	struct device *dma_dev;
	u32 dma_direction;
	u64 id;
	struct pid *creator;
	kuid_t uid;
	struct list_head id_link;
	struct rb_node creator_node;
	atomic_t maps;
	atomic_t exports;
	struct iobmd_account *acct;
	struct iobmd_user *user;
	u64 charged;
	bool readonly;
	bool imported;
	u32 visits;
};

void iobmd_desc_init(struct iobmd_desc *d, const struct iobmd_desc_ops *ops,
		     u32 kind, u64 length, u32 direction, u32 depth);
void iobmd_desc_release(struct kref *ref);

/*
 * iobmd_desc_get() and iobmd_desc_put() inline, for what every mapping and
 * every dma-buf of a buffer runs.
 */
static __always_inline void __iobmd_desc_get(struct iobmd_desc *d)
{
	kref_get(&d->ref);
}

static __always_inline void __iobmd_desc_put(struct iobmd_desc *d)
{
	kref_put(&d->ref, iobmd_desc_release);
}

bool iobmd_desc_wired(struct iobmd_desc *d);
int __iobmd_desc_pin(struct iobmd_desc *d, unsigned int flags);
void __iobmd_desc_unpin(struct iobmd_desc *d);

/**
 * iobmd_desc_pin() - make the memory present until iobmd_desc_unpin()
 * @d: the descriptor
 * @flags: IOBMD_PIN_*
 *
 * Memory that exists unpinned (a kind without a pin operation) needs no
 * transition and no lock: the count only balances pins against unpins,
 * and lockdep still learns where @d's prep_lock would be taken.  Other
 * kinds: __iobmd_desc_pin().
 *
 * Return: 0, -EACCES (a writing pin of read-only memory), or as
 * __iobmd_desc_pin().
 */
static inline int iobmd_desc_pin(struct iobmd_desc *d, unsigned int flags)
{
	if (d->ops->pin)
		return __iobmd_desc_pin(d, flags);
	if (flags & IOBMD_PIN_WRITE && READ_ONCE(d->readonly))
		return -EACCES;
	might_lock_nested(&d->prep_lock, d->depth - 1);
	atomic_inc(&d->wired_pins);
	return 0;
}

/**
 * iobmd_desc_unpin() - drop a pin taken with iobmd_desc_pin()
 * @d: the descriptor
 *
 * Safe under mmap_lock (munmap of the last mapping).
 */
static inline void iobmd_desc_unpin(struct iobmd_desc *d)
{
	if (d->ops->pin) {
		__iobmd_desc_unpin(d);
		return;
	}
	might_lock_nested(&d->prep_lock, d->depth - 1);
	WARN_ON_ONCE(atomic_dec_return(&d->wired_pins) < 0);
}

int iobmd_desc_hold_prepared(struct iobmd_desc *d);
u32 iobmd_desc_prepare_dir(struct iobmd_desc *d, u32 direction);
unsigned int iobmd_desc_prepare_pin_flags(u32 dir);
int iobmd_desc_read(struct iobmd_desc *d, u64 offset, void __user *buf,
		    u64 len, u64 *done);
int iobmd_desc_write(struct iobmd_desc *d, u64 offset,
		     const void __user *buf, u64 len, u64 *done);
int iobmd_desc_segments(struct iobmd_desc *d, u64 offset, u64 len,
			unsigned int how, struct iobmd_segment __user *segs,
			u32 room, u32 *count, u64 *total);
u64 iobmd_desc_extent(struct iobmd_desc *d);
u64 iobmd_desc_phys_limit(struct iobmd_desc *d);

/**
 * iobmd_desc_usable() - whether a descriptor's memory may be used now
 * @d: the descriptor
 *
 * Return: 0, or the kind's reason (see struct iobmd_desc_ops).
 */
static inline int iobmd_desc_usable(struct iobmd_desc *d)
{
	return d->ops->usable ? d->ops->usable(d) : 0;
}

u64 iobmd_desc_piece_backed(struct iobmd_desc *p, u64 offset, u64 len);
u64 iobmd_desc_backed(struct iobmd_desc *d, u64 offset, u64 len);
int iobmd_desc_check_backed(struct iobmd_desc *d, u64 offset, u64 len);
int iobmd_dma_dir(u32 direction);
u64 iobmd_dma_reach(struct device *dev);

/* ZONE_NORMAL and above, ZONE_DMA32, ZONE_DMA: see iobmd_zone_first(). */
#define IOBMD_NR_ZONES	3

/**
 * struct iobmd_buffer - IOBufferMemoryDescriptor
 * @desc: the descriptor
 * @capacity: getCapacity(); fixed at creation
 * @alignment: the alignment IOKit's rules derived (1 for none)
 * @phys_mask: the physical mask it was created with, 0 for none
 * @limit: the highest physical address the mask allows (U64_MAX for none)
 * @options: the creation options in force: without the direction bits
 *	and Pageable (the memory is wired), with PhysicallyContiguous when
 *	the alignment implies it
 * @npages: pages of backing memory
 * @pages: the pages: each a page of a compound chunk, which holds one
 *	reference for all of its pages, or an order-0 page with a reference
 *	of its own (a contiguous buffer has both kinds: iobmd_contig_alloc());
 *	@one for a buffer of one page
 * @one: the list of a one-page buffer, which needs no allocation
 * @contiguous: the pages are physically contiguous, from
 *	iobmd_contig_alloc()
 * @cache: IOBMD_CACHE_* the memory is mapped with (kernel and user)
 * @sgt: DMA mapping of @pages while prepared; desc.prep_lock
 * @dma_dir: direction of @sgt; desc.prep_lock
 * @purgeable: IOBMD_PURGEABLE_* state; desc.lock
 * @zone_bytes: bytes of @pages in ZONE_DMA, ZONE_DMA32 and above
 * @zone_dma_user: the user its ZONE_DMA memory is charged to, held, or
 *	NULL when none is (kernel callers' buffers, buffers without ZONE_DMA
 *	memory); while it is created, the creator's account (held by the
 *	creator) or NULL
 * @zone_dma_charged: ZONE_DMA bytes charged to @zone_dma_user
 * @export_slot: room for the state of one dma-buf, allocated with the
 *	buffer for one made to be exported at once
 *	(iobmd_buffer_spec.export_slot); the first export takes it (xchg),
 *	later ones allocate their own; NULL when none is left
 */
struct iobmd_buffer {
	struct iobmd_desc desc;
	u64 capacity;
	u64 alignment;
	u64 phys_mask;
	u64 limit;
	u32 options;
	unsigned long npages;
	struct page **pages;
	struct page *one;
	bool contiguous;
	unsigned int cache;
	struct sg_table sgt;
	int dma_dir;
	u32 purgeable;
	u64 zone_bytes[IOBMD_NR_ZONES];
	struct iobmd_user *zone_dma_user;
	u64 zone_dma_charged;
	void *export_slot;
};

/**
 * struct iobmd_buffer_spec - what IOKit's initWithPhysicalMask receives
 * @options: IOBMD_DIRECTION_* | IOBMD_OPT_*
 * @capacity: bytes
 * @alignment: 0 or 1 for none, else a power of two
 * @phys_mask: 0, or the physical mask (then @alignment must be 0 or 1)
 * @user: the user its ZONE_DMA memory is charged to, or NULL (kernel
 *	callers)
 * @export_slot: the buffer is made to be exported as a dma-buf at once:
 *	the export's state comes in the same allocation
 *	(iobmd_buffer.export_slot)
 */
struct iobmd_buffer_spec {
	u32 options;
	u64 capacity;
	u64 alignment;
	u64 phys_mask;
	struct iobmd_user *user;
	bool export_slot;
};

/*
 * The options a buffer accepts: each has an effect, or its request always
 * holds here (uapi/iobmd.h says which); UseReserve is refused.
 */
#define IOBMD_BUFFER_OPTIONS						\
	(IOBMD_DIRECTION_MASK | IOBMD_OPT_PHYSICALLY_CONTIGUOUS |	\
	 IOBMD_OPT_PAGEABLE | IOBMD_OPT_PURGEABLE |			\
	 IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS | IOBMD_OPT_CACHE_MASK |	\
	 IOBMD_OPT_MAPPER_NONE | IOBMD_OPT_HOST_ONLY |			\
	 IOBMD_OPT_KERNEL_USER_SHARED | IOBMD_OPT_THREAD_SAFE |		\
	 IOBMD_OPT_CLEAR_ENCRYPT)

struct iobmd_buffer *iobmd_buffer_create(const struct iobmd_buffer_spec *spec);
/**
 * iobmd_to_buffer() - the buffer behind a descriptor
 * @d: any descriptor
 *
 * Return: the buffer, or NULL when @d is of another kind.
 */
static inline struct iobmd_buffer *iobmd_to_buffer(struct iobmd_desc *d)
{
	return d->kind == IOBMD_KIND_BUFFER ?
	       container_of(d, struct iobmd_buffer, desc) : NULL;
}

/**
 * iobmd_desc_bytes() - bytes of memory a descriptor allocated itself
 * @d: the descriptor
 *
 * Return: a buffer's allocation; 0 for kinds that describe memory.
 */
static inline u64 iobmd_desc_bytes(struct iobmd_desc *d)
{
	struct iobmd_buffer *b = iobmd_to_buffer(d);

	return b ? (u64)b->npages << PAGE_SHIFT : 0;
}

void iobmd_buffer_release(struct iobmd_desc *d);
int iobmd_buffer_set_length(struct iobmd_buffer *b, u64 length);
int iobmd_buffer_append(struct iobmd_buffer *b, const void __user *buf,
			u64 len, u64 *done);
int iobmd_buffer_set_purgeable(struct iobmd_buffer *b, u32 state, u32 *old);

int iobmd_pages_walk(struct page **pages, u64 pos, u64 len,
		     const struct iobmd_run *tmpl, iobmd_run_fn fn, void *arg);
int iobmd_usercopy(void *kaddr, u8 __user *ubuf, u64 len, bool to_user);
unsigned long iobmd_sgt_max_pages(struct device *dev);
int iobmd_sgt_map_table(struct sg_table *sgt, struct device *dev, int dir);
int iobmd_sgt_map(struct sg_table *sgt, struct page **pages,
		  unsigned long npages, struct device *dev, int dir);
void iobmd_sgt_unmap(struct sg_table *sgt, struct device *dev, int dir);
int iobmd_sgt_walk(struct sg_table *sgt, u64 offset, u64 len,
		   iobmd_run_fn fn, void *arg);
void iobmd_sgt_sync(struct sg_table *sgt, struct device *dev, int dir,
		    u64 offset, u64 len, bool for_device);

/**
 * struct iobmd_prun - a run of physically contiguous pages in a page list
 * @pfn: frame number of its first page
 * @first: index in the list of its first page
 */
struct iobmd_prun {
	unsigned long pfn;
	unsigned long first;
};

/**
 * struct iobmd_runs - a page list kept as its runs; a run ends where the
 * next one starts, the last one at @npages
 * @v: the runs, in list order
 * @n: runs in @v
 * @cap: runs @v has room for
 * @npages: pages in the list
 */
struct iobmd_runs {
	struct iobmd_prun *v;
	unsigned long n;
	unsigned long cap;
	unsigned long npages;
};

int iobmd_runs_reserve(struct iobmd_runs *r, unsigned long cap);
int iobmd_runs_add(struct iobmd_runs *r, struct page **pages, unsigned long n,
		   unsigned long max);
int iobmd_runs_add_range(struct iobmd_runs *r, unsigned long pfn,
			 unsigned long n);
unsigned long iobmd_runs_next_pfn(const struct iobmd_runs *r);
void iobmd_runs_free(struct iobmd_runs *r);
void iobmd_runs_unpin(const struct iobmd_runs *r, bool dirty);
int iobmd_runs_walk(const struct iobmd_runs *r, u64 pos, u64 len,
		    const struct iobmd_run *tmpl, iobmd_run_fn fn, void *arg);
int iobmd_runs_sgt_map(struct sg_table *sgt, const struct iobmd_runs *r,
		       struct device *dev, int dir);

/**
 * struct iobmd_layout - the pages a byte range of a descriptor lies in, in
 *	the order a mapping of it shows them (iobmd_layout_collect())
 * @runs: the pages, a page shared by two pieces once
 * @first: page offset of the range's first byte
 * @pos: first's page offset plus the bytes collected so far
 * @cache: IOBMD_CACHE_* of every run
 * @flags: IOBMD_RUN_IOMEM and IOBMD_RUN_FOREIGN, the same for every run;
 *	IOBMD_RUN_RAW when any run has it
 */
struct iobmd_layout {
	struct iobmd_runs runs;
	u64 first;
	u64 pos;
	unsigned int cache;
	unsigned int flags;
};

int iobmd_layout_collect(struct iobmd_desc *d, u64 offset, u64 len,
			 unsigned int how, struct iobmd_layout *l);
void *iobmd_layout_vmap(const struct iobmd_layout *l);
void *iobmd_pages_vmap(struct page **pages, unsigned long n,
		       unsigned int cache);

struct dma_buf;
extern const size_t iobmd_export_size;
struct dma_buf *iobmd_buffer_export_new(struct iobmd_buffer *b, int flags);
struct iobmd_desc *iobmd_dmabuf_exported(struct dma_buf *dmabuf, u64 *offset,
					 u64 *length);
void iobmd_dmabuf_import_init(struct device *dev);

/* The kernel's alias of uncached and write-combined buffers (cache.c). */
void iobmd_cache_init(struct device *dev);
bool iobmd_cache_alias_supported(void);
void iobmd_cache_sync_alias(void *kaddr, u64 len);
bool iobmd_cache_phys_needed(void);
int iobmd_cache_maintain(phys_addr_t phys, u64 len, u32 op);

int iobmd_desc_set_purgeable(struct iobmd_desc *d, u32 state, u32 *old);

int iobmd_compose_set_purgeable(struct iobmd_desc *d, u32 state, u32 *old);

/* Placement (contig.c): zones below a limit, contiguous memory. */
extern const gfp_t iobmd_zone_gfp[IOBMD_NR_ZONES];
unsigned int iobmd_zone_first(u64 limit);
void iobmd_zones_init(void);
bool iobmd_zone_dma_scarce(void);
struct page *iobmd_contig_alloc(unsigned long npages, u64 align, u64 limit,
				bool place);
struct page *iobmd_contig_place(unsigned long npages, u64 align, u64 limit);
bool iobmd_contig_large(unsigned long npages, u64 align);
void iobmd_contig_free(struct page *page, unsigned long npages);

/* Memory userspace names by physical address: /dev/mem's rules. */
int iobmd_raw_locked_down(void);
struct iobmd_desc *iobmd_device_create_user(u64 phys, u64 length);
struct iobmd_desc *iobmd_general_create_user(const struct iobmd_range *ranges,
					     u32 count, u32 direction,
					     bool physical);

/*
 * mmap cookies: each is a range of page offsets in its file's own offset
 * space, allocated by IOBMD_MAP for one handle and one set of map flags,
 * covering the whole mapping; mmap() at a page inside it maps from the
 * same page of the mapping.  The space ends below 2^32 pages, so that
 * mmap2()'s 32-bit page offset (44 bits of bytes) reaches every cookie of
 * a 32-bit caller as of a 64-bit one.
 */
#define IOBMD_COOKIE_FIRST		1UL
#define IOBMD_COOKIE_LAST		((unsigned long)U32_MAX - 1)
#define IOBMD_COOKIE_MAX_PER_HANDLE	64
#define IOBMD_HANDLE_MAX		((1U << 20) - 1)

int iobmd_desc_map_layout(struct iobmd_desc *d, u64 *delta, u64 *size);
int iobmd_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long iobmd_get_unmapped_area(struct file *file, unsigned long addr,
				      unsigned long len, unsigned long pgoff,
				      unsigned long flags);

/*
 * Huge mappings: where the kernel can map a folio with one PMD and drop
 * it again when the PMD is split (vmf_insert_folio_pmd(), with
 * vmf_insert_page_mkwrite() beside it for single pages), a buffer's 2 MiB
 * chunks are mapped whole, in a mapping of the buffer or of a descriptor
 * made only of buffers (iobmd_mmap_huge_fault() in driver/mmap.c);
 * /dev/iobmd then places mappings of 2 MiB and more at 2 MiB-aligned
 * addresses, and their cookies at 2 MiB-aligned offsets.
 */
#if defined(IOBMD_HAVE_VMF_INSERT_FOLIO_PMD) && \
	defined(CONFIG_TRANSPARENT_HUGEPAGE)
#define IOBMD_HUGE_MAP 1
#endif

/*
 * Where the kernel has huge PFN mappings (6.12 on: special PMDs that its
 * page-table walkers, follow_pfnmap_start() among them, understand), a
 * physical range that is 2 MiB-aligned and contiguous is mapped by PMD
 * too (iobmd_mmap_pfn_huge_fault() in driver/mmap.c), and /dev/iobmd
 * places and numbers mappings for PMDs as above (IOBMD_HUGE_PLACE).
 */
#if defined(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) && \
	defined(CONFIG_TRANSPARENT_HUGEPAGE)
#define IOBMD_PFN_HUGE_MAP 1
#endif
#if defined(IOBMD_HUGE_MAP) || defined(IOBMD_PFN_HUGE_MAP)
#define IOBMD_HUGE_PLACE 1
#endif

/*
 * Where huge PFN mappings go up to PUDs too (x86-64; arm64 has no PUD
 * PFN mappings as of 7.3), 1 GiB of RAM that is physically contiguous and
 * 1 GiB-aligned is mapped with one PUD, and /dev/iobmd places mappings of
 * 1 GiB and more at 1 GiB-aligned addresses, and their cookies at
 * 1 GiB-aligned offsets (IOBMD_PUD_PLACE, as for buffers below).
 */
#if defined(IOBMD_PFN_HUGE_MAP) && defined(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP)
#define IOBMD_PFN_PUD_MAP 1
#endif

/*
 * Where the kernel maps a folio with one PUD and drops it again when the
 * PUD is split in a DAX VMA (7.2 on: vmf_insert_folio_pud(), and the core
 * mm's folio handling of DAX PUDs; x86-64), a contiguous buffer's 1 GiB
 * pieces are folios of PUD order, and a mapping of such a buffer that
 * holds a whole one is made a DAX VMA and mapped a GiB at a time (see
 * driver/mmap.c).
 */
#if defined(IOBMD_HUGE_MAP) && defined(IOBMD_HAVE_ZAP_SPECIAL_VMA_RANGE) && \
	defined(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD) && \
	defined(CONFIG_FS_DAX)
#define IOBMD_PUD_MAP 1
#endif
#if defined(IOBMD_PFN_PUD_MAP) || defined(IOBMD_PUD_MAP)
#define IOBMD_PUD_PLACE 1
#endif

#ifdef IOBMD_PUD_MAP
int iobmd_dax_file_set(struct vm_area_struct *vma);
#endif

/**
 * struct iobmd_file - one open file of /dev/iobmd: IOKit's task
 * @handles: handle -> struct iobmd_handle *, each holding a reference on
 *	its descriptor; protected by its own xa_lock
 * @next_handle: where the cyclic handle allocation goes on; xa_lock
 * @spare_handle: a handle reserved in @handles for the next creation, or 0
 *	(see iobmd_file_reserve()); xa_lock
 * @acct: what the file has created, for its limits
 * @map_lock: protects @cookies, @next_cookie and each handle's cookie
 *	list; taken under mmap_lock (mmap()), never held across a user copy
 * @cookies: the mmap cookies, struct iobmd_cookie by page-offset range
 * @next_cookie: the page offset the cyclic cookie allocation tries first
 */
struct iobmd_file {
	struct xarray handles;
	u32 next_handle;
	u32 spare_handle;
	struct iobmd_account *acct;
	struct mutex map_lock; /* cookies, next_cookie, handle cookie lists */
	struct rb_root_cached cookies;
	unsigned long next_cookie;
};

struct iobmd_handle;

struct iobmd_handle *iobmd_handle_alloc(void);
int iobmd_file_reserve(struct iobmd_file *f, u32 *handle);
void iobmd_file_install(struct iobmd_file *f, u32 handle,
			struct iobmd_handle *h, struct iobmd_desc *d);
void iobmd_file_unreserve(struct iobmd_file *f, u32 handle);
struct iobmd_desc *iobmd_file_get(struct iobmd_file *f, u32 handle);
int iobmd_file_remove(struct iobmd_file *f, u32 handle);
int iobmd_file_prepare(struct iobmd_file *f, u32 handle, u32 direction);
int iobmd_file_complete(struct iobmd_file *f, u32 handle);
int iobmd_file_map(struct iobmd_file *f, u32 handle, struct iobmd_desc *d,
		   u32 flags, u64 size, unsigned long *pgoff, bool *created);
void iobmd_file_unmap(struct iobmd_file *f, unsigned long pgoff);
struct iobmd_desc *iobmd_file_cookie_get(struct iobmd_file *f,
					 unsigned long pgoff,
					 unsigned long npages, u64 *offset,
					 u32 *flags);
extern const struct file_operations iobmd_fops;

/**
 * struct iobmd_stats - what the module holds right now
 * @descriptors: live descriptors of every kind; changed only under
 *	iobmd_registry_lock (registry.c), read anywhere
 * @kinds: live descriptors by enum iobmd_kind; as @descriptors
 * @zone_bytes: bytes of buffer pages in ZONE_DMA, ZONE_DMA32, above them
 * @page_bytes: bytes of page-allocator memory held by buffers
 * @coherent_bytes: bytes of physically contiguous buffers (not counted in
 *	@zone_bytes)
 * @pinned_bytes: bytes of user memory pinned by general descriptors
 * @device_bytes: bytes of device memory described
 * @mappings: live user mappings (VMAs)
 * @prepares: descriptors prepared now
 * @alloc_failures: buffer allocations that failed since the module loaded
 * @exports: live dma-bufs exported by the module
 * @users: user accounts alive (users holding descriptors)
 */
struct iobmd_stats {
	atomic64_t descriptors;
	atomic64_t kinds[IOBMD_KIND_DMABUF + 1];
	atomic64_t zone_bytes[3];
	atomic64_t page_bytes;
	atomic64_t coherent_bytes;
	atomic64_t pinned_bytes;
	atomic64_t device_bytes;
	atomic64_t mappings;
	atomic64_t prepares;
	atomic64_t alloc_failures;
	atomic64_t exports;
	atomic64_t users;
};

/**
 * struct iobmd_account - what one open file has created, for its limits
 * @ref: the file and every descriptor charged to it
 * @bytes: buffer bytes charged
 * @user: the account of the user who opened the file, held while @ref
 *	lives, so that it stays in use between that user's descriptors; the
 *	descriptors charged to it through @ref need no reference of their own
 */
struct iobmd_account {
	struct kref ref;
	atomic64_t bytes;
	struct iobmd_user *user;
};

struct iobmd_account *iobmd_account_new(void);
void iobmd_account_put(struct iobmd_account *acct);
int iobmd_account_check(struct iobmd_account *acct, u64 bytes);
int iobmd_account_charge(struct iobmd_account *acct, struct iobmd_desc *d);
void iobmd_account_uncharge(struct iobmd_desc *d);
struct iobmd_user *iobmd_account_reserve(struct iobmd_account *acct,
					 u64 bytes);
void iobmd_account_unreserve(struct iobmd_account *acct, struct iobmd_user *u,
			     u64 bytes);
struct iobmd_user;
struct iobmd_user *iobmd_user_get(void);
struct iobmd_user *iobmd_account_user(struct iobmd_account *acct);
void iobmd_account_user_put(struct iobmd_account *acct, struct iobmd_user *u);
void iobmd_user_hold(struct iobmd_user *u);
void iobmd_user_put(struct iobmd_user *u);
int iobmd_user_charge_zone_dma(struct iobmd_user *u, u64 bytes);
void iobmd_user_uncharge_zone_dma(struct iobmd_user *u, u64 bytes);
void iobmd_user_figures(u64 *descs, u64 *bytes, u64 *zone_dma);
void iobmd_limits_exit(void);
int iobmd_limits_check_descs(void);
int iobmd_limits_check_total(u64 bytes);

/**
 * struct iobmd_limits - limits in force; 0 means none
 * @task_bytes: buffer bytes one open file may have created and not freed
 * @total_bytes: buffer bytes of the whole module
 * @total_descs: descriptors of the whole module
 * @user_bytes: buffer bytes one user may hold over all its files
 * @user_descs: descriptors one user may hold over all its files
 * @user_zone_dma: ZONE_DMA bytes one user without CAP_SYS_RESOURCE may hold
 */
struct iobmd_limits {
	u64 task_bytes;
	u64 total_bytes;
	u64 total_descs;
	u64 user_bytes;
	u64 user_descs;
	u64 user_zone_dma;
};

void iobmd_limits_get(struct iobmd_limits *l, u64 *max_handles,
		      u64 *max_capacity);
void iobmd_limits_set(const struct iobmd_limits *l, const u64 *max_handles,
		      const u64 *max_capacity);

/**
 * struct iobmd_registry_cursor - where a dump stands
 * @link: in the registry's list of cursors of dumps of every descriptor
 * @last: such a dump's last descriptor sent (its id_link), or the list
 *	of descriptors itself before the first; a descriptor released meanwhile
 *	moves it back to the one before
 * @last_id: a dump of one process's descriptors: the last id sent
 *
 * Set up by iobmd_registry_dump_start(), ended by iobmd_registry_dump_end();
 * @link and @last are the registry's, under its lock.
 */
struct iobmd_registry_cursor {
	struct list_head link;
	union {
		struct list_head *last;
		u64 last_id;
	};
};

void iobmd_registry_add(struct iobmd_desc *d);
void iobmd_registry_del(struct iobmd_desc *d);
void iobmd_registry_dump_start(struct iobmd_registry_cursor *c, bool all);
void iobmd_registry_dump_end(struct iobmd_registry_cursor *c, bool all);
int iobmd_registry_dump(struct iobmd_registry_cursor *c, bool all,
			struct pid *creator,
			int (*fill)(void *arg, struct iobmd_desc *d),
			void *arg);
void iobmd_registry_debugfs(struct dentry *dir);

int iobmd_nl_init(void);
void iobmd_nl_exit(void);
void iobmd_nl_send_event(struct iobmd_desc *d, bool create);
extern struct genl_family iobmd_nl_family;
extern bool iobmd_nl_joined;

extern struct iobmd_stats iobmd_stats;
void iobmd_stats_init(void);
void iobmd_stats_exit(void);

long iobmd_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

u32 iobmd_handle_limit(void);

/* Module parameters (limits.c) that the creation path reads inline. */
extern unsigned long long iobmd_max_capacity;
extern unsigned long long iobmd_total_bytes;

/**
 * iobmd_capacity_limit() - the largest buffer capacity accepted
 *
 * Return: max_capacity, or half of RAM when it is 0.
 */
static inline u64 iobmd_capacity_limit(void)
{
	u64 limit = READ_ONCE(iobmd_max_capacity);

	return limit ?: ((u64)totalram_pages() << PAGE_SHIFT) / 2;
}

/**
 * iobmd_limits_buffer_bytes() - buffer bytes userspace holds, for total_bytes
 *
 * Return: bytes of page-allocator and contiguous buffer memory.
 */
static inline u64 iobmd_limits_buffer_bytes(void)
{
	return atomic64_read(&iobmd_stats.page_bytes) +
	       atomic64_read(&iobmd_stats.coherent_bytes);
}

/**
 * iobmd_account_take() - hand a reservation to the buffer it was for
 * @acct: the file's account
 * @u: the user account iobmd_account_reserve() gave; @d takes over what
 *	the caller holds of it when this succeeds
 * @bytes: the bytes reserved, iobmd_desc_bytes(@d)
 * @d: the new buffer's descriptor, its memory allocated and counted; it
 *	keeps the charges and a reference on @acct until it is freed
 *
 * Looks at total_bytes once more, now that the memory is counted, as
 * iobmd_account_charge() does: two creations at once may both fail, both
 * never pass the limit.
 *
 * Return: 0, or -EDQUOT above total_bytes (the reservation given back,
 * what the caller holds of @u still its own).
 */
static __always_inline int iobmd_account_take(struct iobmd_account *acct,
					      struct iobmd_user *u, u64 bytes,
					      struct iobmd_desc *d)
{
	u64 total = READ_ONCE(iobmd_total_bytes);

	if (unlikely(bytes && total && iobmd_limits_buffer_bytes() > total)) {
		iobmd_account_unreserve(acct, u, bytes);
		return -EDQUOT;
	}
	kref_get(&acct->ref);
	d->acct = acct;
	d->user = u;
	d->charged = bytes;
	return 0;
}

#endif /* _IOBMD_PRIV_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_exporter: a dma-buf exporter for selftests/iobmd_dmabuf_import_test.c
 * whose dma-bufs may have no mmap and no vmap: memory that is not the
 * CPU's, as a protected heap's, which an importer must not map either;
 * and whose dma-bufs may be dynamic: memory the exporter moves when it is
 * asked to and nothing pins it, as a GPU driver moves VRAM, and which it
 * may refuse to importers that cannot be told to give it up.
 *
 * /sys/kernel/debug/iobmd_exporter/:
 *   new       its ioctl EXPORTER_IOC_NEW makes a dma-buf of EXPORTER_PAGES
 *             pages, zeroed, of the kind its argument says, and returns its
 *             file descriptor; EXPORTER_IOC_MOVE moves a dynamic one
 *   mappings  live mappings (map_dma_buf) of all of them
 *   pins      live pins (pin) of all of them
 *   vmaps     live kernel mappings (vmap) of all of them
 *   copies    moves at a pin whose copy has not ended
 *
 * A dynamic dma-buf keeps the dma-buf rules of its kind: pin, unpin, map
 * and unmap are called with the reservation lock held, and a move takes it
 * and tells the importers (dma_buf_invalidate_mappings()) before the old
 * pages go.  Its own mmap maps the pages it has at the time of each fault;
 * a move takes the old ones out of every process first.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

#include <iobmd_compat.h>

#include "iobmd_exporter.h"

MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

#define EXP_FLAGS	(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC | \
			 EXPORTER_REVOCABLE_ONLY | EXPORTER_MOVES_ON_PIN | \
			 EXPORTER_COPY_HELD | EXPORTER_WRITE_COMBINED)

/**
 * struct exp_buf - one dma-buf's memory
 * @pages: its pages; a dynamic one's are replaced when it moves, under the
 *	dma-buf's reservation lock and @lock
 * @flags: the EXPORTER_* it was made with
 * @lock: a dynamic one's: @pages against its user mappings' faults and
 *	@vaddr against moves (6.1 makes kernel mappings without the
 *	reservation lock); taken inside the reservation lock
 * @pins: a dynamic one's live pins; the reservation lock
 * @vaddr: a dynamic one's kernel mapping, or NULL; @lock
 * @copying: a move at a pin has not copied its bytes yet: no other move
 *	until it has; @lock
 * @copy: that copy while it has not begun, or NULL; @lock
 */
struct exp_buf {
	struct page *pages[EXPORTER_PAGES];
	unsigned long flags;
	struct mutex lock; /* pages (with the reservation lock), vaddr, copying */
	unsigned int pins;
	void *vaddr;
	bool copying;
	struct exp_copy *copy;
};

static atomic_t exp_mappings;
static atomic_t exp_pins;
static atomic_t exp_vmaps;
static atomic_t exp_copies;
static struct dentry *exp_dir;
/* Runs the copies; flushed before the module goes. */
static struct workqueue_struct *exp_wq;

/* The dma-buf rules of a dynamic exporter, checked. */
static void exp_assert_locked(struct dma_buf *dmabuf)
{
	struct exp_buf *b = dmabuf->priv;

	if (b->flags & EXPORTER_DYNAMIC)
		dma_resv_assert_held(dmabuf->resv);
}

static struct sg_table *exp_map(struct dma_buf_attachment *at,
				enum dma_data_direction dir)
{
	struct exp_buf *b = at->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	exp_assert_locked(at->dmabuf);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, b->pages, EXPORTER_PAGES, 0,
					EXPORTER_PAGES * PAGE_SIZE, GFP_KERNEL);
	if (!ret) {
		ret = dma_map_sgtable(at->dev, sgt, dir, 0);
		if (ret)
			sg_free_table(sgt);
	}
	if (ret) {
		kfree(sgt);
		return ERR_PTR(ret);
	}
	atomic_inc(&exp_mappings);
	return sgt;
}

static void exp_unmap(struct dma_buf_attachment *at, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	exp_assert_locked(at->dmabuf);
	dma_unmap_sgtable(at->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	atomic_dec(&exp_mappings);
}

static void exp_free(struct exp_buf *b)
{
	unsigned int i;

#ifdef CONFIG_X86
	/* Made write-combining whole, or not at all (exp_alloc_wc()). */
	if (b->flags & EXPORTER_WRITE_COMBINED && b->pages[0])
		set_pages_array_wb(b->pages, EXPORTER_PAGES);
#endif
	for (i = 0; i < EXPORTER_PAGES; i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
	mutex_destroy(&b->lock);
	kfree(b);
}

static void exp_release(struct dma_buf *dmabuf)
{
	exp_free(dmabuf->priv);
}

static int exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct exp_buf *b = dmabuf->priv;
	unsigned long addr = vma->vm_start, i;
	int ret = 0;

	if (b->flags & EXPORTER_WRITE_COMBINED)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);

	for (i = vma->vm_pgoff; i < EXPORTER_PAGES && addr < vma->vm_end && !ret;
	     i++, addr += PAGE_SIZE)
		ret = vm_insert_page(vma, addr, b->pages[i]);
	return ret;
}

/*
 * A dynamic dma-buf's importer: one that can be told the memory moves
 * (and so can have it taken back), or one that pins it.
 */
static int exp_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *at)
{
	struct exp_buf *b = dmabuf->priv;

	if (b->flags & EXPORTER_REVOCABLE_ONLY &&
	    !dma_buf_attach_revocable(at))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * New pages for @b's from @pages, the old ones left there, their bytes
 * copied now if @copy, else by the caller later (a copy pending): nothing
 * pinned, no kernel mapping, no copy pending (-EBUSY otherwise); under the
 * reservation lock.  The processes that map it fault the new pages in.
 */
static int exp_swap(struct dma_buf *dmabuf, struct page **pages, bool copy)
{
	struct exp_buf *b = dmabuf->priv;
	unsigned int i;
	int ret = 0;

	mutex_lock(&b->lock);
	if (b->pins || b->vaddr || b->copying) {
		ret = -EBUSY;
	} else {
		unmap_mapping_range(dmabuf->file->f_mapping, 0, 0, 1);
		for (i = 0; i < EXPORTER_PAGES; i++) {
			if (copy)
				copy_highpage(pages[i], b->pages[i]);
			swap(pages[i], b->pages[i]);
		}
		b->copying = !copy;
	}
	mutex_unlock(&b->lock);
	return ret;
}

/**
 * struct exp_copy - a move at a pin whose bytes are still on their way
 * @fence: signalled when they have arrived; first: freed with it
 * @lock: @fence's
 * @work: the copy, EXPORTER_COPY_MS after the pin
 * @dmabuf: the dma-buf, with a reference for the copy
 * @old: the pages the bytes come from, freed by the copy
 */
struct exp_copy {
	struct dma_fence fence;
	spinlock_t lock; /* fence */
	struct delayed_work work;
	struct dma_buf *dmabuf;
	struct page *old[EXPORTER_PAGES];
};

static const char *exp_fence_name(struct dma_fence *fence)
{
	return "iobmd_exporter";
}

static const struct dma_fence_ops exp_fence_ops = {
	.get_driver_name = exp_fence_name,
	.get_timeline_name = exp_fence_name,
};

static void exp_copy_work(struct work_struct *work)
{
	struct exp_copy *c = container_of(to_delayed_work(work),
					  struct exp_copy, work);
	struct dma_buf *dmabuf = c->dmabuf;
	struct exp_buf *b = dmabuf->priv;
	unsigned int i;

	mutex_lock(&b->lock);
	b->copy = NULL;
	for (i = 0; i < EXPORTER_PAGES; i++) {
		copy_highpage(b->pages[i], c->old[i]);
		__free_page(c->old[i]);
	}
	b->copying = false;
	mutex_unlock(&b->lock);
	atomic_dec(&exp_copies);
	/*
	 * Whoever waits for the fence holds the dma-buf: not the last put,
	 * and once woken it may unload the module.  (A fence kept past the
	 * dma-buf, in a sync_file, would outlive the module's text; the
	 * tests keep none.)
	 */
	dma_buf_put(dmabuf);
	dma_fence_signal(&c->fence);
	dma_fence_put(&c->fence);
}

/*
 * EXPORTER_MOVES_ON_PIN's move: new zeroed pages now, the processes that
 * map it fault them in, and the bytes follow when the kernel fence put on
 * the reservation signals; under the reservation lock, nothing pinned.
 */
static int exp_move_at_pin(struct dma_buf *dmabuf)
{
	struct exp_buf *b = dmabuf->priv;
	struct exp_copy *c;
	unsigned int i;
	int ret;

	ret = dma_resv_reserve_fences(dmabuf->resv, 1);
	if (ret)
		return ret;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = -ENOMEM;
	for (i = 0; i < EXPORTER_PAGES; i++) {
		c->old[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!c->old[i])
			goto err_free;
	}
	/* A kernel mapping, or a move not copied yet, holds it in place. */
	if (exp_swap(dmabuf, c->old, false)) {
		ret = 0;
		goto err_free;
	}
	spin_lock_init(&c->lock);
	dma_fence_init(&c->fence, &exp_fence_ops, &c->lock,
		       dma_fence_context_alloc(1), 1);
	dma_resv_add_fence(dmabuf->resv, &c->fence, DMA_RESV_USAGE_KERNEL);
	get_dma_buf(dmabuf);
	c->dmabuf = dmabuf;
	INIT_DELAYED_WORK(&c->work, exp_copy_work);
	/* Counted once EXPORTER_IOC_COPY finds it. */
	mutex_lock(&b->lock);
	b->copy = c;
	atomic_inc(&exp_copies);
	queue_delayed_work(exp_wq, &c->work,
			   msecs_to_jiffies(b->flags & EXPORTER_COPY_HELD ?
					    EXPORTER_HELD_MS :
					    EXPORTER_COPY_MS));
	mutex_unlock(&b->lock);
	return 0;

err_free:
	for (i = 0; i < EXPORTER_PAGES; i++)
		if (c->old[i])
			__free_page(c->old[i]);
	kfree(c);
	return ret;
}

/*
 * A pin holds the memory until the importer lets go.  One that must be
 * able to take the memory back is pinned only by importers it can tell
 * that it did: from 7.0 on those it attached (dma_buf_attach_revocable());
 * before, none, since no importer could be told that pinned memory went.
 */
static int exp_pin(struct dma_buf_attachment *at)
{
	struct exp_buf *b = at->dmabuf->priv;
	int ret;

	exp_assert_locked(at->dmabuf);
#ifndef IOBMD_HAVE_DMA_BUF_ATTACH_REVOCABLE
	if (b->flags & EXPORTER_REVOCABLE_ONLY)
		return -EOPNOTSUPP;
#endif
	if (b->flags & EXPORTER_MOVES_ON_PIN && !b->pins) {
		ret = exp_move_at_pin(at->dmabuf);
		if (ret)
			return ret;
	}
	b->pins++;
	atomic_inc(&exp_pins);
	return 0;
}

static void exp_unpin(struct dma_buf_attachment *at)
{
	struct exp_buf *b = at->dmabuf->priv;

	exp_assert_locked(at->dmabuf);
	if (WARN_ON(!b->pins))
		return;
	b->pins--;
	atomic_dec(&exp_pins);
}

/* The kernel mapping of a dynamic one, which holds it in place. */
static int exp_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct exp_buf *b = dmabuf->priv;
	int ret = 0;

	mutex_lock(&b->lock);
	if (WARN_ON(b->vaddr))
		ret = -EBUSY;
	else
		b->vaddr = vmap(b->pages, EXPORTER_PAGES, VM_MAP, PAGE_KERNEL);
	if (!ret && !b->vaddr)
		ret = -ENOMEM;
	if (!ret) {
		iosys_map_set_vaddr(map, b->vaddr);
		atomic_inc(&exp_vmaps);
	}
	mutex_unlock(&b->lock);
	return ret;
}

static void exp_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct exp_buf *b = dmabuf->priv;

	mutex_lock(&b->lock);
	if (!WARN_ON(b->vaddr != map->vaddr)) {
		vunmap(b->vaddr);
		b->vaddr = NULL;
		atomic_dec(&exp_vmaps);
	}
	mutex_unlock(&b->lock);
}

/* A user mapping of a dynamic one: the page it has now. */
static vm_fault_t exp_fault(struct vm_fault *vmf)
{
	struct exp_buf *b = vmf->vma->vm_private_data;
	vm_fault_t ret;

	if (vmf->pgoff >= EXPORTER_PAGES)
		return VM_FAULT_SIGBUS;
	mutex_lock(&b->lock);
	ret = vmf_insert_pfn(vmf->vma, vmf->address,
			     page_to_pfn(b->pages[vmf->pgoff]));
	mutex_unlock(&b->lock);
	return ret;
}

static const struct vm_operations_struct exp_vm_ops = {
	.fault = exp_fault,
};

/*
 * By page frame, with no reference on the pages, shared only: the VMA is
 * the dma-buf file's (dma_buf_mmap() makes it so), whose mapping a move
 * zaps.
 */
static int exp_dyn_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	if (vma_is_cow_mapping(vma))
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &exp_vm_ops;
	vma->vm_private_data = dmabuf->priv;
	return 0;
}

static const struct dma_buf_ops exp_ops = {
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.release = exp_release,
};

static const struct dma_buf_ops exp_mappable_ops = {
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.mmap = exp_mmap,
	.release = exp_release,
};

static const struct dma_buf_ops exp_dyn_ops = {
	.attach = exp_attach,
	.pin = exp_pin,
	.unpin = exp_unpin,
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.release = exp_release,
};

static const struct dma_buf_ops exp_dyn_mappable_ops = {
	.attach = exp_attach,
	.pin = exp_pin,
	.unpin = exp_unpin,
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.mmap = exp_dyn_mmap,
	.vmap = exp_vmap,
	.vunmap = exp_vunmap,
	.release = exp_release,
};

static const struct dma_buf_ops *exp_ops_of(unsigned long flags)
{
	if (flags & EXPORTER_DYNAMIC)
		return flags & EXPORTER_MAPPABLE ? &exp_dyn_mappable_ops :
						   &exp_dyn_ops;
	return flags & EXPORTER_MAPPABLE ? &exp_mappable_ops : &exp_ops;
}

/* EXPORTER_PAGES pages, zeroed; exp_free() frees those it got. */
static int exp_alloc(struct exp_buf *b)
{
	unsigned int i;

	for (i = 0; i < EXPORTER_PAGES; i++) {
		b->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!b->pages[i])
			return -ENOMEM;
	}
	return 0;
}

/*
 * EXPORTER_PAGES contiguous pages, zeroed, write-combining in the kernel's
 * mapping and in the type the PAT gives them while they stay so; none on
 * failure.
 */
static int exp_alloc_wc(struct exp_buf *b)
{
#ifdef CONFIG_X86
	unsigned int order = get_order(EXPORTER_PAGES * PAGE_SIZE), i;
	struct page *page;

	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	if (!page)
		return -ENOMEM;
	split_page(page, order);
	for (i = EXPORTER_PAGES; i < 1U << order; i++)
		__free_page(page + i);
	for (i = 0; i < EXPORTER_PAGES; i++)
		b->pages[i] = page + i;
	if (!set_pages_array_wc(b->pages, EXPORTER_PAGES))
		return 0;
	for (i = 0; i < EXPORTER_PAGES; i++) {
		__free_page(b->pages[i]);
		b->pages[i] = NULL;
	}
	return -ENOMEM;
#else
	return -EOPNOTSUPP;
#endif
}

static long exp_new(unsigned long flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct exp_buf *b;
	int fd, ret;

	if (flags & ~EXP_FLAGS ||
	    (flags & (EXPORTER_REVOCABLE_ONLY | EXPORTER_MOVES_ON_PIN) &&
	     !(flags & EXPORTER_DYNAMIC)) ||
	    (flags & EXPORTER_COPY_HELD && !(flags & EXPORTER_MOVES_ON_PIN)) ||
	    (flags & EXPORTER_WRITE_COMBINED && flags & EXPORTER_DYNAMIC))
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	mutex_init(&b->lock);
	b->flags = flags;
	if (flags & EXPORTER_WRITE_COMBINED)
		ret = exp_alloc_wc(b);
	else
		ret = exp_alloc(b);
	if (ret) {
		exp_free(b);
		return ret;
	}
	info.exp_name = "iobmd_exporter";
	info.ops = exp_ops_of(flags);
	info.size = EXPORTER_PAGES * PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = b;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		exp_free(b);
		return PTR_ERR(dmabuf);
	}
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}

/* The dynamic dma-buf of this exporter's at @fd, with a reference. */
static struct dma_buf *exp_get_dynamic(int fd)
{
	struct dma_buf *dmabuf = dma_buf_get(fd);

	if (IS_ERR(dmabuf))
		return dmabuf;
	if (dmabuf->ops->release != exp_release ||
	    !(((struct exp_buf *)dmabuf->priv)->flags & EXPORTER_DYNAMIC)) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-EINVAL);
	}
	return dmabuf;
}

static long exp_move(int fd)
{
	struct page *pages[EXPORTER_PAGES] = { };
	struct dma_buf *dmabuf;
	unsigned int i;
	long ret;

	dmabuf = exp_get_dynamic(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	ret = -ENOMEM;
	for (i = 0; i < EXPORTER_PAGES; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i])
			goto out_free;
	}
	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		goto out_free;
	ret = exp_swap(dmabuf, pages, true);
	/* Importers that do not pin it map it again. */
	if (!ret)
		dma_buf_invalidate_mappings(dmabuf);
	dma_resv_unlock(dmabuf->resv);
out_free:
	/* The old pages after a move, else the new ones. */
	for (i = 0; i < EXPORTER_PAGES; i++)
		if (pages[i])
			__free_page(pages[i]);
	dma_buf_put(dmabuf);
	return ret;
}

/*
 * The pending copy starts now.  A copy that has begun has cleared @copy
 * under @lock before it can free it, and one still pending is taken off
 * its timer and queued again: never queued twice.
 */
static long exp_copy_now(int fd)
{
	struct dma_buf *dmabuf;
	struct exp_buf *b;
	long ret = -ENOENT;

	dmabuf = exp_get_dynamic(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	b = dmabuf->priv;
	mutex_lock(&b->lock);
	if (b->copy && cancel_delayed_work(&b->copy->work)) {
		queue_delayed_work(exp_wq, &b->copy->work, 0);
		ret = 0;
	}
	mutex_unlock(&b->lock);
	dma_buf_put(dmabuf);
	return ret;
}

static long exp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case EXPORTER_IOC_NEW:
		return exp_new(arg);
	case EXPORTER_IOC_MOVE:
		return arg > INT_MAX ? -EBADF : exp_move(arg);
	case EXPORTER_IOC_COPY:
		return arg > INT_MAX ? -EBADF : exp_copy_now(arg);
	}
	return -ENOTTY;
}

static const struct file_operations exp_new_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = exp_ioctl,
};

static int __init exp_init(void)
{
	exp_wq = alloc_workqueue("iobmd_exporter", WQ_UNBOUND, 0);
	if (!exp_wq)
		return -ENOMEM;
	exp_dir = debugfs_create_dir("iobmd_exporter", NULL);
	debugfs_create_file("new", 0600, exp_dir, NULL, &exp_new_fops);
	debugfs_create_atomic_t("mappings", 0400, exp_dir, &exp_mappings);
	debugfs_create_atomic_t("pins", 0400, exp_dir, &exp_pins);
	debugfs_create_atomic_t("vmaps", 0400, exp_dir, &exp_vmaps);
	debugfs_create_atomic_t("copies", 0400, exp_dir, &exp_copies);
	return 0;
}

static void __exit exp_exit(void)
{
	debugfs_remove(exp_dir);
	destroy_workqueue(exp_wq);
}

module_init(exp_init);
module_exit(exp_exit);

MODULE_DESCRIPTION("A dma-buf exporter of memory that may not be the CPU's or may move, for iobmd's tests");
MODULE_LICENSE("GPL");

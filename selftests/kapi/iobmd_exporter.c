// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_exporter: a dma-buf exporter for selftests/iobmd_dmabuf_import_test.c
 * that keeps its memory in place only while the dma-buf is mapped, as the
 * dma-buf rules let an exporter to static importers do: when its last
 * mapping goes, the contents move to other pages.  An importer that used
 * the memory's addresses after unmapping its attachment would use pages
 * the buffer has left.  Nothing is freed before the dma-buf is: the pages
 * left behind stay the buffer's, so a test of an importer that gets this
 * wrong reads the wrong bytes rather than freed memory.
 *
 * /sys/kernel/debug/iobmd_exporter/:
 *   new       its ioctl EXPORTER_IOC_NEW makes a dma-buf of EXPORTER_PAGES
 *             pages, zeroed, with an mmap of its own or none (memory that
 *             is not the CPU's), and returns its file descriptor
 *   bytes     the pages the newest such dma-buf is in now
 *   mappings  live mappings of all of them
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <iobmd_compat.h>

#include "iobmd_exporter.h"

MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

/**
 * struct exp_buf - one dma-buf's memory
 * @pages: two sets of pages; the contents are in @pages[@cur]
 * @cur: the set in use
 * @maps: live mappings; the contents move when the last goes
 * @lock: protects @cur and @maps
 */
struct exp_buf {
	struct page *pages[2][EXPORTER_PAGES];
	unsigned int cur;
	unsigned int maps;
	struct mutex lock; /* cur, maps */
};

static atomic_t exp_mappings;
/* The newest buffer, for "bytes", or NULL once released. */
static struct exp_buf *exp_newest;
static DEFINE_MUTEX(exp_newest_lock);
static struct dentry *exp_dir;

static struct sg_table *exp_map(struct dma_buf_attachment *at,
				enum dma_data_direction dir)
{
	struct exp_buf *b = at->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&b->lock);
	ret = sg_alloc_table_from_pages(sgt, b->pages[b->cur], EXPORTER_PAGES,
					0, EXPORTER_PAGES * PAGE_SIZE,
					GFP_KERNEL);
	if (!ret) {
		ret = dma_map_sgtable(at->dev, sgt, dir, 0);
		if (ret)
			sg_free_table(sgt);
	}
	if (!ret) {
		b->maps++;
		atomic_inc(&exp_mappings);
	}
	mutex_unlock(&b->lock);
	if (ret) {
		kfree(sgt);
		return ERR_PTR(ret);
	}
	return sgt;
}

static void exp_unmap(struct dma_buf_attachment *at, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	struct exp_buf *b = at->dmabuf->priv;
	unsigned int i;

	dma_unmap_sgtable(at->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	mutex_lock(&b->lock);
	if (!--b->maps) {
		for (i = 0; i < EXPORTER_PAGES; i++)
			copy_highpage(b->pages[!b->cur][i], b->pages[b->cur][i]);
		b->cur = !b->cur;
	}
	atomic_dec(&exp_mappings);
	mutex_unlock(&b->lock);
}

static void exp_free(struct exp_buf *b)
{
	unsigned int s, i;

	for (s = 0; s < 2; s++)
		for (i = 0; i < EXPORTER_PAGES; i++)
			if (b->pages[s][i])
				__free_page(b->pages[s][i]);
	mutex_destroy(&b->lock);
	kfree(b);
}

static void exp_release(struct dma_buf *dmabuf)
{
	struct exp_buf *b = dmabuf->priv;

	mutex_lock(&exp_newest_lock);
	if (exp_newest == b)
		exp_newest = NULL;
	mutex_unlock(&exp_newest_lock);
	exp_free(b);
}

/* The pages the memory is in now (they stay the buffer's if it moves). */
static int exp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct exp_buf *b = dmabuf->priv;
	unsigned long addr = vma->vm_start, i;
	int ret = 0;

	mutex_lock(&b->lock);
	for (i = vma->vm_pgoff; i < EXPORTER_PAGES && addr < vma->vm_end && !ret;
	     i++, addr += PAGE_SIZE)
		ret = vm_insert_page(vma, addr, b->pages[b->cur][i]);
	mutex_unlock(&b->lock);
	return ret;
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

static long exp_new(unsigned long flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct exp_buf *b;
	unsigned int s, i;
	int fd;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	mutex_init(&b->lock);
	for (s = 0; s < 2; s++) {
		for (i = 0; i < EXPORTER_PAGES; i++) {
			b->pages[s][i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
			if (!b->pages[s][i]) {
				exp_free(b);
				return -ENOMEM;
			}
		}
	}
	info.exp_name = "iobmd_exporter";
	info.ops = flags & EXPORTER_MAPPABLE ? &exp_mappable_ops : &exp_ops;
	info.size = EXPORTER_PAGES * PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = b;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		exp_free(b);
		return PTR_ERR(dmabuf);
	}
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	mutex_lock(&exp_newest_lock);
	exp_newest = b;
	mutex_unlock(&exp_newest_lock);
	return fd;
}

static long exp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != EXPORTER_IOC_NEW)
		return -ENOTTY;
	return arg & ~EXPORTER_MAPPABLE ? -EINVAL : exp_new(arg);
}

static ssize_t exp_bytes_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	const size_t size = EXPORTER_PAGES * PAGE_SIZE;
	struct exp_buf *b;
	unsigned int i;
	ssize_t ret;
	u8 *copy;

	copy = kvmalloc(size, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	mutex_lock(&exp_newest_lock);
	b = exp_newest;
	if (b) {
		mutex_lock(&b->lock);
		for (i = 0; i < EXPORTER_PAGES; i++)
			memcpy_from_page(copy + i * PAGE_SIZE,
					 b->pages[b->cur][i], 0, PAGE_SIZE);
		mutex_unlock(&b->lock);
	}
	mutex_unlock(&exp_newest_lock);
	ret = b ? simple_read_from_buffer(ubuf, len, ppos, copy, size) :
		  -ENOENT;
	kvfree(copy);
	return ret;
}

static const struct file_operations exp_new_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = exp_ioctl,
};

static const struct file_operations exp_bytes_fops = {
	.owner = THIS_MODULE,
	.read = exp_bytes_read,
};

static int __init exp_init(void)
{
	exp_dir = debugfs_create_dir("iobmd_exporter", NULL);
	debugfs_create_file("new", 0600, exp_dir, NULL, &exp_new_fops);
	debugfs_create_file("bytes", 0400, exp_dir, NULL, &exp_bytes_fops);
	debugfs_create_atomic_t("mappings", 0400, exp_dir, &exp_mappings);
	return 0;
}

static void __exit exp_exit(void)
{
	debugfs_remove(exp_dir);
}

module_init(exp_init);
module_exit(exp_exit);

MODULE_DESCRIPTION("A dma-buf exporter whose memory moves when unmapped, for iobmd's tests");
MODULE_LICENSE("GPL");

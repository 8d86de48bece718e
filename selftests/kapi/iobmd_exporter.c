// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_exporter: a dma-buf exporter for selftests/iobmd_dmabuf_import_test.c
 * whose dma-bufs may have no mmap and no vmap: memory that is not the
 * CPU's, as a protected heap's, which an importer must not map either.
 *
 * /sys/kernel/debug/iobmd_exporter/:
 *   new       its ioctl EXPORTER_IOC_NEW makes a dma-buf of EXPORTER_PAGES
 *             pages, zeroed, with an mmap of its own or none, and returns
 *             its file descriptor
 *   mappings  live mappings (map_dma_buf) of all of them
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <iobmd_compat.h>

#include "iobmd_exporter.h"

MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

/**
 * struct exp_buf - one dma-buf's memory
 * @pages: its pages
 */
struct exp_buf {
	struct page *pages[EXPORTER_PAGES];
};

static atomic_t exp_mappings;
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
	dma_unmap_sgtable(at->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	atomic_dec(&exp_mappings);
}

static void exp_free(struct exp_buf *b)
{
	unsigned int i;

	for (i = 0; i < EXPORTER_PAGES; i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
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

	for (i = vma->vm_pgoff; i < EXPORTER_PAGES && addr < vma->vm_end && !ret;
	     i++, addr += PAGE_SIZE)
		ret = vm_insert_page(vma, addr, b->pages[i]);
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
	unsigned int i;
	int fd;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	for (i = 0; i < EXPORTER_PAGES; i++) {
		b->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!b->pages[i]) {
			exp_free(b);
			return -ENOMEM;
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
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}

static long exp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != EXPORTER_IOC_NEW)
		return -ENOTTY;
	return arg & ~EXPORTER_MAPPABLE ? -EINVAL : exp_new(arg);
}

static const struct file_operations exp_new_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = exp_ioctl,
};

static int __init exp_init(void)
{
	exp_dir = debugfs_create_dir("iobmd_exporter", NULL);
	debugfs_create_file("new", 0600, exp_dir, NULL, &exp_new_fops);
	debugfs_create_atomic_t("mappings", 0400, exp_dir, &exp_mappings);
	return 0;
}

static void __exit exp_exit(void)
{
	debugfs_remove(exp_dir);
}

module_init(exp_init);
module_exit(exp_exit);

MODULE_DESCRIPTION("A dma-buf exporter of memory that may not be the CPU's, for iobmd's tests");
MODULE_LICENSE("GPL");

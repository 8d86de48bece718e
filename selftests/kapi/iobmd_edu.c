// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_edu: a PCI driver for QEMU's "edu" device (1234:11e8) that moves
 * data with its DMA engine through iobmd's in-kernel API, the way an IOKit
 * driver would: descriptors created with the device's physical mask,
 * prepared for the device, their DMA segments programmed into the engine.
 *
 * The engine copies between memory and a 4 KiB buffer inside the device
 * (device address 0x40000), 2 KiB at a time here, and its DMA mask is 28 bits
 * (it silently clamps addresses above: data lands elsewhere).  Each
 * transfer raises an interrupt.  A copy of a descriptor goes through the
 * device: every chunk read from the source's DMA segments into the device,
 * then written from the device to the destination's.
 *
 * At probe the driver copies each kind (a contiguous buffer and a
 * scattered one under the 28-bit mask, a buffer with no mask that the DMA
 * API must map within reach, a sub-range and a multi), and into a dma-buf
 * iobmd exported, attached and mapped as an importing driver does, and
 * leaves TAP in
 * /sys/kernel/debug/iobmd_edu/results; /dev/iobmd_edu's one ioctl copies
 * the caller's own memory (general descriptors over two ranges of it).
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iobmd.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iobmd_edu.h"

#include <iobmd_compat.h>

MODULE_IMPORT_NS(IOBMD_NS);
MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_CMD_IRQ	0x4
#define EDU_IRQ_DMA	0x100
#define EDU_BUF		0x40000
/*
 * The device's buffer is 4 KiB, but QEMU 7.2's edu stops the machine on a
 * transfer that ends at its last byte (an off-by-one in its range check):
 * transfers are at most half of it.
 */
#define EDU_CHUNK	SZ_2K
#ifdef CONFIG_ARM64
/*
 * QEMU's arm64 virt machine has no RAM below 1 GiB: the test VM gives the
 * edu 32 bits there (vm-run.sh), which still leave most RAM beyond them.
 */
#define EDU_DMA_BITS	32
#define EDU_MASK_28	0x00000000FFFFF000ULL	/* IOKit mask: 32 bits, pages */
#else
#define EDU_DMA_BITS	28
#define EDU_MASK_28	0x000000000FFFF000ULL	/* IOKit mask: 28 bits, pages */
#endif

/**
 * struct edu - one edu device
 * @pdev: the PCI device
 * @bar: its registers
 * @done: a DMA transfer finished (interrupt)
 * @lock: one transfer at a time
 * @misc: /dev/iobmd_edu
 * @dir: debugfs directory of @blob
 * @blob: the results, as TAP
 * @out: writes @results
 * @results: the TAP text
 * @nr: checks so far
 */
struct edu {
	struct pci_dev *pdev;
	void __iomem *bar;
	struct completion done;
	struct mutex lock;	/* one transfer at a time */
	struct miscdevice misc;
	struct dentry *dir;
	struct debugfs_blob_wrapper blob;
	struct seq_buf out;
	char results[PAGE_SIZE];
	unsigned int nr;
};

static irqreturn_t edu_irq(int irq, void *arg)
{
	struct edu *e = arg;
	u32 status = ioread32(e->bar + EDU_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;
	iowrite32(status, e->bar + EDU_IRQ_ACK);
	if (status & EDU_IRQ_DMA)
		complete(&e->done);
	return IRQ_HANDLED;
}

/* One transfer of @len bytes between @addr and the device's buffer. */
static int edu_dma(struct edu *e, dma_addr_t addr, u32 len, bool to_ram)
{
	reinit_completion(&e->done);
	iowrite32(to_ram ? EDU_BUF : addr, e->bar + EDU_DMA_SRC);
	iowrite32(to_ram ? addr : EDU_BUF, e->bar + EDU_DMA_DST);
	iowrite32(len, e->bar + EDU_DMA_COUNT);
	iowrite32(EDU_CMD_RUN | EDU_CMD_IRQ | (to_ram ? EDU_CMD_TO_RAM : 0),
		  e->bar + EDU_DMA_CMD);
	if (!wait_for_completion_timeout(&e->done, msecs_to_jiffies(10000)))
		return -ETIMEDOUT;
	return 0;
}

/* Every DMA segment of a prepared descriptor, in a new array. */
static int edu_segments(struct iobmd_desc *d, struct iobmd_segment **segs,
			u32 *n)
{
	u32 count;
	u64 total;
	int ret;

	ret = iobmd_desc_dma_segments(d, 0, 0, NULL, 0, &count, &total);
	if (ret)
		return ret;
	*segs = kcalloc(total, sizeof(**segs), GFP_KERNEL);
	if (!*segs)
		return -ENOMEM;
	ret = iobmd_desc_dma_segments(d, 0, 0, *segs, total, n, &total);
	if (ret) {
		kfree(*segs);
		*segs = NULL;
	}
	return ret;
}

/* Whether each DMA segment of @d is at its physical address. */
static bool edu_dma_is_phys(struct iobmd_desc *d, struct iobmd_segment *segs,
			    u32 n)
{
	struct iobmd_segment phys;
	u64 off = 0, total;
	u32 i, one;

	for (i = 0; i < n; off += segs[i].len, i++) {
		if (iobmd_desc_phys_segments(d, off, 1, &phys, 1, &one, &total) ||
		    phys.addr != segs[i].addr)
			return false;
	}
	return true;
}

/*
 * @len bytes at the DMA segments @ss into those at @ds, through the
 * device's buffer: both lists cover @len.
 */
static int edu_copy_segs(struct edu *e, const struct iobmd_segment *ss,
			 const struct iobmd_segment *ds, u64 len)
{
	u64 soff = 0, doff = 0;
	u32 si = 0, di = 0;
	int ret = 0;

	mutex_lock(&e->lock);
	while (len && !ret) {
		u64 n = min3(len, (u64)EDU_CHUNK, ss[si].len - soff);

		n = min(n, ds[di].len - doff);
		ret = edu_dma(e, ss[si].addr + soff, n, false);
		if (!ret)
			ret = edu_dma(e, ds[di].addr + doff, n, true);
		len -= n;
		soff += n;
		doff += n;
		if (soff == ss[si].len && len) {
			si++;
			soff = 0;
		}
		if (doff == ds[di].len && len) {
			di++;
			doff = 0;
		}
	}
	mutex_unlock(&e->lock);
	return ret;
}

/*
 * @len bytes of @src into @dst through the device, each prepared for it
 * for the direction the device moves data.
 */
static int edu_copy(struct edu *e, struct iobmd_desc *src,
		    struct iobmd_desc *dst, u64 len, bool *dma_is_phys)
{
	struct device *dev = &e->pdev->dev;
	struct iobmd_segment *ss = NULL, *ds = NULL;
	u32 sn, dn;
	int ret;

	ret = iobmd_desc_prepare_dev(src, IOBMD_DIRECTION_OUT, dev);
	if (ret)
		return ret;
	ret = iobmd_desc_prepare_dev(dst, IOBMD_DIRECTION_IN, dev);
	if (ret)
		goto out_src;
	ret = edu_segments(src, &ss, &sn);
	if (!ret)
		ret = edu_segments(dst, &ds, &dn);
	if (ret)
		goto out_dst;
	if (dma_is_phys)
		*dma_is_phys = edu_dma_is_phys(src, ss, sn) &&
			       edu_dma_is_phys(dst, ds, dn);
	ret = edu_copy_segs(e, ss, ds, len);
out_dst:
	kfree(ss);
	kfree(ds);
	iobmd_desc_complete(dst);
out_src:
	iobmd_desc_complete(src);
	return ret;
}

static bool edu_check(struct edu *e, bool ok, const char *name)
{
	seq_buf_printf(&e->out, "%sok %u %s\n", ok ? "" : "not ", ++e->nr,
		       name);
	return ok;
}

/*
 * A pattern written into @src, copied by the device into @dst (of the
 * same length), read back from @dst.
 *
 * Return: 0 when the bytes arrived, 1 when other bytes did, or the
 * error of a creation or of the copy.
 */
static int edu_copy_result(struct edu *e, struct iobmd_desc *src,
			   struct iobmd_desc *dst)
{
	u64 len, i;
	u8 *a, *b;
	int ret;

	if (IS_ERR_OR_NULL(src) || IS_ERR_OR_NULL(dst))
		return IS_ERR(src) ? PTR_ERR(src) : IS_ERR(dst) ? PTR_ERR(dst) :
		       -ENOMEM;
	len = iobmd_desc_length(src);
	a = kvmalloc(len, GFP_KERNEL);
	b = kvzalloc(len, GFP_KERNEL);
	ret = -ENOMEM;
	if (a && b) {
		for (i = 0; i < len; i++)
			a[i] = i * 13 + len;
		ret = iobmd_desc_write_bytes(src, 0, a, len) ?:
		      edu_copy(e, src, dst, len, NULL) ?:
		      iobmd_desc_read_bytes(dst, 0, b, len) ?:
		      (memcmp(a, b, len) ? 1 : 0);
	}
	kvfree(a);
	kvfree(b);
	return ret;
}

static void edu_check_copy(struct edu *e, struct iobmd_desc *src,
			   struct iobmd_desc *dst, const char *name)
{
	int ret = edu_copy_result(e, src, dst);

	if (ret)
		seq_buf_printf(&e->out, "# %s: %d\n", name, ret);
	edu_check(e, !ret, name);
}

static void edu_put(struct iobmd_desc *d)
{
	if (!IS_ERR_OR_NULL(d))
		iobmd_desc_put(d);
}

/*
 * Two buffers of @len, under @mask or anywhere, copied one into the other.
 * Memory anywhere may be beyond the device's 28 bits: then the DMA API
 * maps it within reach (an IOMMU, or bounce buffers it can reach) or the
 * prepare fails; wrong bytes are never right.
 */
static void edu_check_buffers(struct edu *e, u32 options, u64 len, u64 mask,
			      const char *name)
{
	struct iobmd_desc *a, *b;
	int ret;

	if (mask) {
		a = iobmd_buffer_with_physical_mask(options, len, mask);
		b = iobmd_buffer_with_physical_mask(options, len, mask);
		edu_check_copy(e, a, b, name);
	} else {
		a = iobmd_buffer_with_options(options, len, 0);
		b = iobmd_buffer_with_options(options, len, 0);
		ret = edu_copy_result(e, a, b);
		seq_buf_printf(&e->out, "# %s: %s (%d)\n", name,
			       !ret ? "copied" : ret == 1 ? "WRONG BYTES" :
			       "refused", ret);
		edu_check(e, ret != 1 && ret != -ETIMEDOUT &&
			  !IS_ERR_OR_NULL(a) && !IS_ERR_OR_NULL(b), name);
	}
	edu_put(a);
	edu_put(b);
}

/* The DMA segments of an importer's mapping of a dma-buf, in a new array. */
static int edu_sgt_segments(struct sg_table *sgt, struct iobmd_segment **segs,
			    u32 *n)
{
	struct scatterlist *sg;
	unsigned int i;

	*segs = kcalloc(sgt->nents, sizeof(**segs), GFP_KERNEL);
	if (!*segs)
		return -ENOMEM;
	*n = 0;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		(*segs)[i].addr = sg_dma_address(sg);
		(*segs)[i].len = sg_dma_len(sg);
		(*n)++;
		if (sg_dma_address(sg) + sg_dma_len(sg) - 1 >
		    DMA_BIT_MASK(EDU_DMA_BITS))
			return -ERANGE;
	}
	return 0;
}

/*
 * The pattern in @src written by the device into a dma-buf of @dst, the
 * dma-buf attached to the device and mapped as an importing driver maps
 * it, then read by the CPU between begin_cpu_access and end_cpu_access.
 * The importer's addresses are what iobmd's own prepare gives the device
 * (@src's): IOVAs behind its IOMMU, where @dst, in pieces in memory, is
 * one range; else the physical addresses of its pieces.
 *
 * Return: 0 when the bytes arrived, 1 when other bytes did, -EBADE when
 * the addresses are of the wrong kind or in more than one IOVA range, or
 * the error of a step.
 */
static int edu_dmabuf_result(struct edu *e, struct iobmd_desc *src,
			     struct iobmd_desc *dst)
{
	struct iobmd_segment *ss = NULL, *ds = NULL;
	struct device *dev = &e->pdev->dev;
	struct dma_buf_attachment *at;
	u64 len = iobmd_desc_length(src);
	struct dma_buf *dmabuf;
	bool src_phys, dst_phys;
	struct sg_table *sgt;
	u32 sn, dn;
	u8 *a, *b;
	int ret, end;
	u64 i;

	a = kvmalloc(len, GFP_KERNEL);
	b = kvzalloc(len, GFP_KERNEL);
	ret = -ENOMEM;
	if (!a || !b)
		goto out_free;
	for (i = 0; i < len; i++)
		a[i] = i * 7 + 3;
	ret = iobmd_desc_write_bytes(src, 0, a, len);
	if (ret)
		goto out_free;
	dmabuf = iobmd_desc_export_dmabuf(dst, 0, len, O_RDWR);
	ret = PTR_ERR_OR_ZERO(dmabuf);
	if (ret)
		goto out_free;
	at = dma_buf_attach(dmabuf, dev);
	ret = PTR_ERR_OR_ZERO(at);
	if (ret)
		goto out_put;
	sgt = dma_buf_map_attachment_unlocked(at, DMA_FROM_DEVICE);
	ret = PTR_ERR_OR_ZERO(sgt);
	if (ret)
		goto out_detach;
	ret = edu_sgt_segments(sgt, &ds, &dn);
	if (!ret)
		ret = iobmd_desc_prepare_dev(src, IOBMD_DIRECTION_OUT, dev);
	if (ret)
		goto out_unmap;
	ret = edu_segments(src, &ss, &sn);
	if (ret)
		goto out_complete;
	src_phys = edu_dma_is_phys(src, ss, sn);
	dst_phys = edu_dma_is_phys(dst, ds, dn);
	seq_buf_printf(&e->out, "# dma-buf: %u segment(s) at %s\n", dn,
		       dst_phys ? "physical addresses" : "IOVAs");
	ret = -EBADE;
	if (src_phys != dst_phys || (dst_phys ? dn < 2 : dn != 1))
		goto out_complete;
	ret = edu_copy_segs(e, ss, ds, len);
	if (ret)
		goto out_complete;
	ret = dma_buf_begin_cpu_access(dmabuf, DMA_FROM_DEVICE);
	if (ret)
		goto out_complete;
	ret = iobmd_desc_read_bytes(dst, 0, b, len);
	end = dma_buf_end_cpu_access(dmabuf, DMA_FROM_DEVICE);
	ret = ret ?: end ?: (memcmp(a, b, len) ? 1 : 0);
out_complete:
	iobmd_desc_complete(src);
out_unmap:
	kfree(ss);
	kfree(ds);
	dma_buf_unmap_attachment_unlocked(at, sgt, DMA_FROM_DEVICE);
out_detach:
	dma_buf_detach(dmabuf, at);
out_put:
	dma_buf_put(dmabuf);
out_free:
	kvfree(a);
	kvfree(b);
	return ret;
}

/*
 * A buffer copied by the device into a dma-buf of memory that is not
 * physically contiguous whatever the allocator did: a multi of the two
 * halves of a buffer, the second half first.
 */
static void edu_check_dmabuf(struct edu *e, const char *name)
{
	u32 dir = IOBMD_DIRECTION_INOUT;
	struct iobmd_desc *src, *buf, *halves[2] = { NULL, NULL };
	struct iobmd_desc *dst = NULL;
	int ret;

	src = iobmd_buffer_with_physical_mask(dir, SZ_16K, EDU_MASK_28);
	buf = iobmd_buffer_with_physical_mask(dir, SZ_16K, EDU_MASK_28);
	if (!IS_ERR(buf)) {
		halves[0] = iobmd_sub_create(buf, SZ_8K, SZ_8K, dir);
		halves[1] = iobmd_sub_create(buf, 0, SZ_8K, dir);
	}
	if (!IS_ERR_OR_NULL(halves[0]) && !IS_ERR_OR_NULL(halves[1]))
		dst = iobmd_multi_create(halves, 2, dir);
	ret = IS_ERR(src) ? PTR_ERR(src) : IS_ERR(buf) ? PTR_ERR(buf) :
	      IS_ERR_OR_NULL(dst) ? (dst ? PTR_ERR(dst) : -ENOMEM) :
	      edu_dmabuf_result(e, src, dst);
	if (ret)
		seq_buf_printf(&e->out, "# %s: %d\n", name, ret);
	edu_check(e, !ret, name);
	edu_put(dst);
	edu_put(halves[0]);
	edu_put(halves[1]);
	edu_put(buf);
	edu_put(src);
}

static void edu_run(struct edu *e)
{
	struct iobmd_desc *bufs[4], *pieces[2], *sa = NULL, *sb = NULL;
	struct iobmd_desc *ma = NULL, *mb = NULL;
	u32 dir = IOBMD_DIRECTION_INOUT;
	bool made = true;
	int i;

	edu_check_buffers(e, dir | IOBMD_OPT_PHYSICALLY_CONTIGUOUS, SZ_16K,
			  EDU_MASK_28, "contiguous buffers under the 28-bit mask");
	edu_check_buffers(e, dir, SZ_16K + 100, EDU_MASK_28,
			  "scattered buffers under the 28-bit mask");
	edu_check_buffers(e, dir, SZ_16K, 0,
			  "buffers with no mask: copied right or refused");
	edu_check_buffers(e, dir | IOBMD_OPT_PHYSICALLY_CONTIGUOUS, SZ_16K, 0,
			  "contiguous buffers with no mask: copied right or refused");

	for (i = 0; i < 4; i++) {
		bufs[i] = iobmd_buffer_with_physical_mask(dir, SZ_32K,
							  EDU_MASK_28);
		made = made && !IS_ERR(bufs[i]);
	}
	if (made) {
		sa = iobmd_sub_create(bufs[0], 1000, SZ_8K, dir);
		sb = iobmd_sub_create(bufs[1], SZ_4K + 3, SZ_8K, dir);
		edu_check_copy(e, sa, sb, "sub-ranges at odd offsets");
		/* Pieces that do not overlap: each byte is written once. */
		pieces[0] = sa;
		pieces[1] = bufs[2];
		if (!IS_ERR(sa))
			ma = iobmd_multi_create(pieces, 2, dir);
		pieces[0] = bufs[3];
		pieces[1] = sb;
		if (!IS_ERR(sb))
			mb = iobmd_multi_create(pieces, 2, dir);
		edu_check_copy(e, ma, mb, "multis of a sub-range and a buffer");
	} else {
		edu_check(e, false, "sub-ranges at odd offsets");
		edu_check(e, false, "multis of a sub-range and a buffer");
	}
	edu_check_dmabuf(e, "a dma-buf export, mapped for the device as by an importer");
	edu_put(ma);
	edu_put(mb);
	edu_put(sa);
	edu_put(sb);
	for (i = 0; i < 4; i++)
		edu_put(bufs[i]);
	seq_buf_printf(&e->out, "1..%u\n", e->nr);
}

static long edu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct edu *e = container_of(file->private_data, struct edu, misc);
	struct edu_copy_arg a;
	struct iobmd_range r;
	struct iobmd_desc *src, *dst;
	bool phys = false;
	int ret;

	if (cmd != EDU_IOC_COPY)
		return -ENOTTY;
	if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
		return -EFAULT;
	if (!a.len || a.len > SZ_1M)
		return -EINVAL;
	r = (struct iobmd_range){ a.src, a.len };
	src = iobmd_general_create(&r, 1, IOBMD_DIRECTION_OUT, false);
	if (IS_ERR(src))
		return PTR_ERR(src);
	r = (struct iobmd_range){ a.dst, a.len };
	dst = iobmd_general_create(&r, 1, IOBMD_DIRECTION_IN, false);
	if (IS_ERR(dst)) {
		iobmd_desc_put(src);
		return PTR_ERR(dst);
	}
	ret = edu_copy(e, src, dst, a.len, &phys);
	iobmd_desc_put(dst);
	iobmd_desc_put(src);
	if (ret)
		return ret;
	a.dma_is_phys = phys;
	return copy_to_user((void __user *)arg, &a, sizeof(a)) ? -EFAULT : 0;
}

static const struct file_operations edu_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = edu_ioctl,
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu *e;
	int ret;

	e = devm_kzalloc(&pdev->dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	init_completion(&e->done);
	mutex_init(&e->lock);
	seq_buf_init(&e->out, e->results, sizeof(e->results));
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "iobmd_edu");
	if (ret)
		return ret;
	e->bar = pcim_iomap_table(pdev)[0];
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (ret)
		return ret;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (ret < 0)
		return ret;
	ret = request_irq(pci_irq_vector(pdev, 0), edu_irq, IRQF_SHARED,
			  "iobmd_edu", e);
	if (ret)
		goto err_vectors;
	pci_set_drvdata(pdev, e);

	edu_run(e);
	e->blob.data = e->results;
	e->blob.size = seq_buf_used(&e->out);
	e->dir = debugfs_create_dir("iobmd_edu", NULL);
	debugfs_create_blob("results", 0400, e->dir, &e->blob);
	e->misc.minor = MISC_DYNAMIC_MINOR;
	e->misc.name = "iobmd_edu";
	e->misc.fops = &edu_fops;
	ret = misc_register(&e->misc);
	if (ret)
		goto err_irq;
	return 0;

err_irq:
	debugfs_remove(e->dir);
	free_irq(pci_irq_vector(pdev, 0), e);
err_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu *e = pci_get_drvdata(pdev);

	misc_deregister(&e->misc);
	debugfs_remove(e->dir);
	free_irq(pci_irq_vector(pdev, 0), e);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "iobmd_edu",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_DESCRIPTION("QEMU edu device driven through iobmd's in-kernel API");
MODULE_LICENSE("GPL");

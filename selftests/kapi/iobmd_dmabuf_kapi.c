// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_dmabuf_kapi: a driver's use of iobmd_desc_from_dmabuf(), for
 * selftests/iobmd_dmabuf_import_test.c, and of an iobmd dma-buf's vmap,
 * for selftests/iobmd_memcg_test.c.  The test writes "import FD",
 * "fail FD" or "refused FD" into /sys/kernel/debug/iobmd_dmabuf_kapi/run,
 * naming a dma-buf of another exporter it holds; the module imports it in
 * the writer's context, prepares it for a device of its own, checks what
 * a driver sees, and leaves the results as TAP in .../results.
 *
 * "import": bytes, the DMA segments of its platform device (64-bit mask,
 * no IOMMU: physical addresses, so they equal the physical segments), the
 * device's attachment on the dma-buf while prepared and gone after, the
 * rules of nested prepares, a multi of an iobmd buffer and a sub-range of
 * the import prepared as one, and a read-only dma-buf refusing a device
 * that writes.
 *
 * "fail": the exporter's attach or map fails, and the prepare fails with
 * its errno and leaves no attachment and no prepare behind: through a
 * second device whose DMA operations refuse every mapping where the
 * kernel has DMA operations (Debian's kernels), else (the debug kernel)
 * with every allocation of the prepare failed in turn (fail-nth, with
 * failslab set up by the test).
 *
 * "refused": a dma-buf whose exporter refuses every attachment iobmd
 * makes with EOPNOTSUPP (selftests/kapi/iobmd_exporter.c's
 * EXPORTER_REVOCABLE_ONLY, as vfio-pci refuses importers it cannot revoke):
 * a prepare for the device and physical segments fail with that errno and
 * leave no attachment and no prepare behind, and bytes, which need no
 * attachment, still go through.
 *
 * "vmap FD BYTE" (an iobmd dma-buf, a byte in hex): the kernel mapping
 * that importers such as vb2-vmalloc take, made in the writer's memory
 * cgroup, whose page i must start with BYTE + i; the write returns
 * dma_buf_vmap()'s errno.
 *
 * .../cachemode: write a user address of the writer's, mapped by PFN (a
 * VM_IO or VM_PFNMAP mapping, as iobmd maps memory that is not its own),
 * and read the cache mode of the page table entry that maps it: on x86
 * "wb", "wc", "uc-", "uc", "wt" or "wp" (PAT's modes); on arm64 "wb"
 * (Normal), "nc" (Normal non-cacheable), "ngnrne" or "ngnre" (Device
 * memory).  The write fails with EFAULT where no such entry maps the
 * address, and with EOPNOTSUPP elsewhere or on x86 without PAT (whose
 * modes share bits: WC is UC- there).
 *
 * Writing 1 into .../iobmd_dma_ops gives iobmd's own device DMA
 * operations, as Xen PV or the AMD GART give every device on x86 (these
 * map 1:1, but iobmd cannot know that); 0 takes them away, as does
 * unloading this module.  Where the kernel has no DMA operations, the
 * write fails with EOPNOTSUPP.  iobmd's device is found in the misc class
 * through a misc device of this module's own.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/iobmd.h>
#include <linux/iosys-map.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#ifdef CONFIG_X86
#include <asm/memtype.h>
#endif
#if defined(CONFIG_X86) || defined(CONFIG_ARM64)
#define KAPI_CACHEMODE 1
#endif

#include <iobmd_compat.h>

MODULE_IMPORT_NS(IOBMD_NS);
MODULE_IMPORT_NS(IOBMD_DMA_BUF_NS);

#define KAPI_SEGS	256

static char kapi_results[PAGE_SIZE];
static struct seq_buf kapi_out;
static unsigned int kapi_nr;
static DEFINE_MUTEX(kapi_lock);
static struct dentry *kapi_dir;
static struct platform_device *kapi_pdev, *kapi_fail_pdev;

#define kapi_check(cond, fmt, ...)					\
	({								\
		bool __ok = (cond);					\
		seq_buf_printf(&kapi_out, "%sok %u " fmt "\n",		\
			       __ok ? "" : "not ", ++kapi_nr,		\
			       ##__VA_ARGS__);				\
		__ok;							\
	})

/* Whether @dev is attached to @dmabuf now. */
static bool kapi_attached(struct dma_buf *dmabuf, struct device *dev)
{
	struct dma_buf_attachment *a;
	bool found = false;

	dma_resv_lock(dmabuf->resv, NULL);
	list_for_each_entry(a, &dmabuf->attachments, node)
		found |= a->dev == dev;
	dma_resv_unlock(dmabuf->resv);
	return found;
}

/* Whether @d has DMA segments (is prepared for a device). */
static bool kapi_prepared(struct iobmd_desc *d)
{
	u64 total;
	u32 count;

	return iobmd_desc_dma_segments(d, 0, 0, NULL, 0, &count, &total) !=
	       -ENODATA;
}

/* Segments of all of @d into @segs: their number, or a negative errno. */
static int kapi_segs(struct iobmd_desc *d, bool dma, struct iobmd_segment *segs)
{
	u64 total, sum = 0;
	u32 count, i;
	int ret;

	ret = dma ? iobmd_desc_dma_segments(d, 0, 0, segs, KAPI_SEGS, &count,
					    &total) :
		    iobmd_desc_phys_segments(d, 0, 0, segs, KAPI_SEGS, &count,
					     &total);
	if (ret)
		return ret;
	if (count != total)
		return -E2BIG;
	for (i = 0; i < count; i++)
		sum += segs[i].len;
	return sum == iobmd_desc_length(d) ? count : -ERANGE;
}

/*
 * Prepared for @dev: its DMA segments are the physical ones (no IOMMU,
 * a 64-bit mask), and the device is attached to the dma-buf.
 */
static void kapi_dma_check(struct iobmd_desc *d, struct dma_buf *dmabuf,
			   struct device *dev, const char *what)
{
	struct iobmd_segment *dma, *phys;
	int n, p;

	dma = kcalloc(KAPI_SEGS, sizeof(*dma), GFP_KERNEL);
	phys = kcalloc(KAPI_SEGS, sizeof(*phys), GFP_KERNEL);
	if (!kapi_check(dma && phys, "scratch for %s", what))
		goto out;
	n = kapi_segs(d, true, dma);
	p = kapi_segs(d, false, phys);
	kapi_check(n > 0, "%s: DMA segments cover it (%d)", what, n);
	kapi_check(p > 0, "%s: physical segments cover it (%d)", what, p);
	kapi_check(n == p && !memcmp(dma, phys, n * sizeof(*dma)),
		   "%s: the device's DMA addresses are the physical ones", what);
	kapi_check(kapi_attached(dmabuf, dev),
		   "%s: the device is attached to the dma-buf", what);
out:
	kfree(phys);
	kfree(dma);
}

/* Nested prepares: the same device in a covered direction, and no other. */
static void kapi_nesting(struct iobmd_desc *d, struct device *dev)
{
	if (!kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT, dev),
			"prepare Out"))
		return;
	kapi_check(iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_IN, dev) ==
		   -EACCES, "a nested prepare In of one Out is EACCES");
	kapi_check(iobmd_desc_prepare(d, 0) == -EBUSY,
		   "a prepare without a device on a device's is EBUSY");
	kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT, dev) &&
		   !iobmd_desc_complete(d), "a nested prepare Out");
	kapi_check(!iobmd_desc_complete(d) && !kapi_prepared(d),
		   "one complete each");
}

/* A multi of an iobmd buffer and a sub-range of @d, prepared as one. */
static void kapi_multi(struct iobmd_desc *d, struct dma_buf *dmabuf,
		       struct device *dev, u32 dir)
{
	struct iobmd_desc *buf, *sub = NULL, *multi = NULL, *pieces[2];
	u64 len = iobmd_desc_length(d);
	u8 in[16], out[16] = "0123456789abcde";

	buf = iobmd_buffer_with_options(IOBMD_DIRECTION_INOUT, 3 * SZ_4K, 0);
	if (!kapi_check(!IS_ERR(buf), "a buffer"))
		return;
	sub = iobmd_sub_create(d, PAGE_SIZE, len - PAGE_SIZE,
			       IOBMD_DIRECTION_INOUT);
	if (!kapi_check(!IS_ERR(sub), "a sub-range of the import"))
		goto out;
	pieces[0] = buf;
	pieces[1] = sub;
	multi = iobmd_multi_create(pieces, 2, IOBMD_DIRECTION_INOUT);
	if (!kapi_check(!IS_ERR(multi), "a multi of the buffer and the sub"))
		goto out;
	kapi_check(!iobmd_desc_write_bytes(multi, 3 * SZ_4K - 8, out,
					   sizeof(out)) &&
		   !iobmd_desc_read_bytes(d, PAGE_SIZE, in, 8) &&
		   !memcmp(in, out + 8, 8),
		   "bytes written across the multi's pieces reach the dma-buf");
	if (kapi_check(!iobmd_desc_prepare_dev(multi, dir, dev),
		       "prepare the multi for the device")) {
		kapi_dma_check(multi, dmabuf, dev, "multi");
		kapi_check(kapi_prepared(sub) && kapi_prepared(d),
			   "the multi prepared its pieces");
		kapi_check(!iobmd_desc_complete(multi), "complete the multi");
	}
	kapi_check(!kapi_prepared(d) && !kapi_attached(dmabuf, dev),
		   "... which detaches the device from the dma-buf");
out:
	if (!IS_ERR_OR_NULL(multi))
		iobmd_desc_put(multi);
	if (!IS_ERR_OR_NULL(sub))
		iobmd_desc_put(sub);
	iobmd_desc_put(buf);
}

/*
 * The direction to prepare in.  udmabuf keeps a mapping for the CPU of
 * its own from the first CPU access on, which the DMA API's debugging
 * counts against any other mapping a device may write through (it
 * reports "overlapping mappings"): its devices here only read.
 */
static u32 kapi_direction(struct dma_buf *dmabuf)
{
	return strcmp(dmabuf->exp_name, "udmabuf") ? IOBMD_DIRECTION_INOUT :
						      IOBMD_DIRECTION_OUT;
}

static void kapi_import(struct dma_buf *dmabuf, struct device *dev)
{
	u32 dir = kapi_direction(dmabuf);
	u8 *pattern, *back;
	struct iobmd_desc *d;
	u64 len;
	int i;

	pattern = kmalloc(SZ_4K, GFP_KERNEL);
	back = kmalloc(SZ_4K, GFP_KERNEL);
	if (!kapi_check(pattern && back, "scratch memory"))
		goto out_free;
	for (i = 0; i < SZ_4K; i++)
		pattern[i] = i * 13 + 5;

	kapi_check(PTR_ERR(iobmd_desc_from_dmabuf(dmabuf, 4)) == -EINVAL,
		   "an unknown direction is EINVAL");
	d = iobmd_desc_from_dmabuf(dmabuf, IOBMD_DIRECTION_INOUT);
	if (!kapi_check(!IS_ERR(d), "import"))
		goto out_free;
	len = iobmd_desc_length(d);
	kapi_check(len == dmabuf->size, "its length is the dma-buf's size");
	if (!(dmabuf->file->f_mode & FMODE_WRITE)) {
		kapi_check(iobmd_desc_write_bytes(d, 0, pattern, 1) == -EACCES,
			   "read-only: writing bytes is EACCES");
		kapi_check(iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_IN, dev) ==
			   -EACCES && !kapi_attached(dmabuf, dev),
			   "read-only: a prepare for a device that writes is EACCES");
		if (kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT,
						       dev),
			       "read-only: a prepare for a device that reads")) {
			kapi_dma_check(d, dmabuf, dev, "read-only");
			iobmd_desc_complete(d);
		}
		goto out_put;
	}
	kapi_check(!iobmd_desc_write_bytes(d, len - SZ_4K - 100, pattern,
					   SZ_4K) &&
		   !iobmd_desc_read_bytes(d, len - SZ_4K - 100, back, SZ_4K) &&
		   !memcmp(pattern, back, SZ_4K), "write and read bytes");
	kapi_check(iobmd_desc_read_bytes(d, len - 1, back, 2) == -ERANGE,
		   "a read past the length is ERANGE");
	kapi_check(PTR_ERR(iobmd_desc_vmap(d)) == -EOPNOTSUPP,
		   "iobmd_desc_vmap() of another exporter's memory is EOPNOTSUPP");
	kapi_check(!kapi_prepared(d) && !kapi_attached(dmabuf, dev),
		   "not prepared, not attached");

	if (kapi_check(!iobmd_desc_prepare_dev(d, dir, dev),
		       "prepare for a device")) {
		kapi_dma_check(d, dmabuf, dev, "import");
		kapi_check(!iobmd_desc_read_bytes(d, len - SZ_4K - 100, back,
						  SZ_4K) &&
			   !memcmp(pattern, back, SZ_4K),
			   "the CPU reads it while the device has it");
		kapi_check(!iobmd_desc_complete(d), "complete");
	}
	kapi_check(!kapi_prepared(d) && !kapi_attached(dmabuf, dev),
		   "complete detaches the device");
	kapi_nesting(d, dev);
	kapi_multi(d, dmabuf, dev, dir);
out_put:
	iobmd_desc_put(d);
out_free:
	kfree(back);
	kfree(pattern);
}

/* A prepare whose exporter failed left nothing behind. */
static bool kapi_clean(struct iobmd_desc *d, struct dma_buf *dmabuf,
		       struct device *dev)
{
	return !kapi_prepared(d) && !kapi_attached(dmabuf, dev);
}

static int kapi_fail_map_sg(struct device *dev, struct scatterlist *sg,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	return -ENOMEM;
}

/* 6.18 replaced the operation mapping a page with one mapping an address. */
#ifdef IOBMD_HAVE_DMA_MAP_PHYS
static dma_addr_t kapi_fail_map_phys(struct device *dev, phys_addr_t phys,
				     size_t size, enum dma_data_direction dir,
				     unsigned long attrs)
{
	return DMA_MAPPING_ERROR;
}
#else
static dma_addr_t kapi_fail_map_page(struct device *dev, struct page *page,
				     unsigned long offset, size_t size,
				     enum dma_data_direction dir,
				     unsigned long attrs)
{
	return DMA_MAPPING_ERROR;
}
#endif

/* DMA operations that refuse every mapping. */
static const struct dma_map_ops kapi_fail_ops = {
	.map_sg = kapi_fail_map_sg,
#ifdef IOBMD_HAVE_DMA_MAP_PHYS
	.map_phys = kapi_fail_map_phys,
#else
	.map_page = kapi_fail_map_page,
#endif
};

/* DMA operations that map 1:1, but are not dma-direct. */
static int kapi_ident_map_sg(struct device *dev, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir,
			     unsigned long attrs)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		sg->dma_address = sg_phys(sg);
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void kapi_ident_unmap_sg(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir,
				unsigned long attrs)
{
}

#ifdef IOBMD_HAVE_DMA_MAP_PHYS
static dma_addr_t kapi_ident_map_phys(struct device *dev, phys_addr_t phys,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs)
{
	return phys;
}
#else
static dma_addr_t kapi_ident_map_page(struct device *dev, struct page *page,
				      unsigned long offset, size_t size,
				      enum dma_data_direction dir,
				      unsigned long attrs)
{
	return page_to_phys(page) + offset;
}
#endif

static const struct dma_map_ops kapi_ident_ops = {
	.map_sg = kapi_ident_map_sg,
	.unmap_sg = kapi_ident_unmap_sg,
#ifdef IOBMD_HAVE_DMA_MAP_PHYS
	.map_phys = kapi_ident_map_phys,
#else
	.map_page = kapi_ident_map_page,
#endif
};

static const struct file_operations kapi_misc_fops = {
	.owner = THIS_MODULE,
};

/* Only to find the misc class, and iobmd's device in it. */
static struct miscdevice kapi_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iobmd_dmabuf_kapi",
	.fops = &kapi_misc_fops,
};

/* iobmd's device while it has kapi_ident_ops, with a reference; kapi_lock. */
static struct device *kapi_ops_dev;

/* Gives iobmd's device kapi_ident_ops (@on) or takes them away. */
static int kapi_iobmd_dma_ops(bool on)
{
	struct device *dev;

	lockdep_assert_held(&kapi_lock);
	if (!on) {
		if (kapi_ops_dev) {
			set_dma_ops(kapi_ops_dev, NULL);
			put_device(kapi_ops_dev);
			kapi_ops_dev = NULL;
		}
		return 0;
	}
	if (kapi_ops_dev)
		return 0;
	dev = class_find_device_by_name(kapi_misc.this_device->class, "iobmd");
	if (!dev)
		return -ENODEV;
	if (get_dma_ops(dev)) {
		put_device(dev);
		return -EBUSY;
	}
	set_dma_ops(dev, &kapi_ident_ops);
	if (get_dma_ops(dev) != &kapi_ident_ops) {
		put_device(dev);
		return -EOPNOTSUPP;
	}
	kapi_ops_dev = dev;
	return 0;
}

static ssize_t kapi_dma_ops_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	bool on;
	int ret;

	ret = kstrtobool_from_user(ubuf, len, &on);
	if (ret)
		return ret;
	mutex_lock(&kapi_lock);
	ret = kapi_iobmd_dma_ops(on);
	mutex_unlock(&kapi_lock);
	return ret ?: len;
}

static const struct file_operations kapi_dma_ops_fops = {
	.owner = THIS_MODULE,
	.write = kapi_dma_ops_write,
};

/*
 * Every allocation of a prepare failed in turn (the debug kernel's
 * failslab, which the test set to fail sleeping allocations too), until
 * the prepare runs through without reaching the failing one; a failure
 * something absorbed gives a prepare that works.  Out, so that the DMA
 * API's debugging keeps nothing of the mapping (it would turn itself off
 * when its own bookkeeping failed).
 */
static void kapi_fail_nth(struct iobmd_desc *d, struct dma_buf *dmabuf,
			  struct device *dev)
{
#ifdef CONFIG_FAULT_INJECTION
	unsigned int n, left = 0, failed = 0, absorbed = 0, odd = 0;
	unsigned int unclean = 0;
	int ret;

	for (n = 1; n < 1000 && !left; n++) {
		WRITE_ONCE(current->fail_nth, n);
		ret = iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT, dev);
		left = READ_ONCE(current->fail_nth);
		WRITE_ONCE(current->fail_nth, 0);
		if (ret) {
			failed++;
			odd += ret != -ENOMEM || left;
		} else {
			absorbed += !left;
			odd += !kapi_attached(dmabuf, dev);
			iobmd_desc_complete(d);
		}
		unclean += !kapi_clean(d, dmabuf, dev);
	}
	kapi_check(failed > 0, "fail-nth: %u prepares failed, %u absorbed one",
		   failed, absorbed);
	kapi_check(!odd, "... each with ENOMEM, or attached (%u not)", odd);
	kapi_check(!unclean, "... and left no attachment or prepare (%u did)",
		   unclean);
	kapi_check(left && !ret, "... until one ran through (%u)", n - 1);
#else
	kapi_check(false, "neither DMA operations nor fault injection");
#endif
}

static void kapi_fail(struct dma_buf *dmabuf, struct device *dev)
{
	struct device *fail = &kapi_fail_pdev->dev;
	struct iobmd_desc *d;
	int ret;

	d = iobmd_desc_from_dmabuf(dmabuf, IOBMD_DIRECTION_INOUT);
	if (!kapi_check(!IS_ERR(d), "import"))
		return;
	if (get_dma_ops(fail) == &kapi_fail_ops) {
		ret = iobmd_desc_prepare_dev(d, kapi_direction(dmabuf), fail);
		kapi_check(ret < 0 && ret != -EINVAL,
			   "a map the exporter cannot make fails (%d)", ret);
		kapi_check(kapi_clean(d, dmabuf, fail),
			   "... and leaves no attachment or prepare");
		kapi_check(!iobmd_desc_prepare_dev(d, kapi_direction(dmabuf),
						   dev) &&
			   !iobmd_desc_complete(d),
			   "... and a device that maps it still can");
	} else {
		kapi_fail_nth(d, dmabuf, dev);
	}
	iobmd_desc_put(d);
}

/* No device at all is attached to @dmabuf. */
static bool kapi_unattached(struct dma_buf *dmabuf)
{
	bool none;

	dma_resv_lock(dmabuf->resv, NULL);
	none = list_empty(&dmabuf->attachments);
	dma_resv_unlock(dmabuf->resv);
	return none;
}

static void kapi_refused(struct dma_buf *dmabuf, struct device *dev)
{
	u8 in[8], out[8] = "refused";
	struct iobmd_segment seg;
	struct iobmd_desc *d;
	u64 total;
	u32 count;
	int ret;

	d = iobmd_desc_from_dmabuf(dmabuf, IOBMD_DIRECTION_INOUT);
	if (!kapi_check(!IS_ERR(d), "import"))
		return;
	ret = iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_INOUT, dev);
	kapi_check(ret == -EOPNOTSUPP,
		   "a prepare for a device fails with the exporter's EOPNOTSUPP (%d)",
		   ret);
	kapi_check(kapi_clean(d, dmabuf, dev) && kapi_unattached(dmabuf),
		   "... and leaves no attachment or prepare");
	if (kapi_check(!iobmd_desc_prepare(d, IOBMD_DIRECTION_INOUT),
		       "a prepare for no device")) {
		ret = iobmd_desc_phys_segments(d, 0, 0, &seg, 1, &count,
					       &total);
		kapi_check(ret == -EOPNOTSUPP,
			   "physical segments fail with EOPNOTSUPP (%d)", ret);
		kapi_check(kapi_unattached(dmabuf),
			   "... and leave no attachment");
		kapi_check(!iobmd_desc_write_bytes(d, 5, out, sizeof(out)) &&
			   !iobmd_desc_read_bytes(d, 5, in, sizeof(in)) &&
			   !memcmp(in, out, sizeof(in)),
			   "bytes need no attachment: written and read");
		kapi_check(!iobmd_desc_complete(d), "complete");
	}
	iobmd_desc_put(d);
	kapi_check(kapi_unattached(dmabuf), "nothing attached in the end");
}

/*
 * "vmap": the kernel mapping an importer such as vb2-vmalloc takes, made in
 * the writer's context (its memory cgroup); page i of it must start with
 * @byte + i.  Returns 0 or dma_buf_vmap()'s errno, which the write
 * returns, so that a writer that can open no file learns it.
 */
static int kapi_vmap(struct dma_buf *dmabuf, u8 byte)
{
	struct iosys_map map;
	bool same = true;
	size_t i;
	int ret;

	ret = dma_buf_vmap_unlocked(dmabuf, &map);
	kapi_check(!ret, "vmap (%d)", ret);
	if (ret)
		return ret;
	kapi_check(!map.is_iomem, "... of system memory");
	for (i = 0; !map.is_iomem && i < dmabuf->size >> PAGE_SHIFT; i++)
		same &= ((u8 *)map.vaddr)[i << PAGE_SHIFT] == (u8)(byte + i);
	kapi_check(same, "%zu pages, each starting with its byte from %#x",
		   dmabuf->size >> PAGE_SHIFT, byte);
	dma_buf_vunmap_unlocked(dmabuf, &map);
	return 0;
}

static ssize_t kapi_run_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct dma_buf *dmabuf;
	unsigned int byte = 0;
	char cmd[32];
	int fd, ret = 0;

	if (!len || len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = 0;
	if (sscanf(cmd, "import %d", &fd) != 1 &&
	    sscanf(cmd, "fail %d", &fd) != 1 &&
	    sscanf(cmd, "refused %d", &fd) != 1 &&
	    (sscanf(cmd, "vmap %d %x", &fd, &byte) != 2 || byte > U8_MAX))
		return -EINVAL;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	mutex_lock(&kapi_lock);
	seq_buf_init(&kapi_out, kapi_results, sizeof(kapi_results));
	kapi_nr = 0;
	if (cmd[0] == 'i')
		kapi_import(dmabuf, &kapi_pdev->dev);
	else if (cmd[0] == 'r')
		kapi_refused(dmabuf, &kapi_pdev->dev);
	else if (cmd[0] == 'v')
		ret = kapi_vmap(dmabuf, byte);
	else
		kapi_fail(dmabuf, &kapi_pdev->dev);
	seq_buf_printf(&kapi_out, "1..%u\n", kapi_nr);
	mutex_unlock(&kapi_lock);
	dma_buf_put(dmabuf);
	return ret ?: len;
}

static ssize_t kapi_results_read(struct file *file, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&kapi_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, kapi_results,
				      seq_buf_used(&kapi_out));
	mutex_unlock(&kapi_lock);
	return ret;
}

/* The cache mode .../cachemode last found; kapi_lock. */
static const char *kapi_mode = "";

#ifdef CONFIG_X86
/* The PAT mode whose bits @prot has (cachemode2protval() is exported). */
static const char *kapi_mode_name(pgprot_t prot)
{
	static const struct {
		enum page_cache_mode mode;
		const char *name;
	} modes[] = {
		{ _PAGE_CACHE_MODE_WB, "wb" },
		{ _PAGE_CACHE_MODE_WC, "wc" },
		{ _PAGE_CACHE_MODE_UC_MINUS, "uc-" },
		{ _PAGE_CACHE_MODE_UC, "uc" },
		{ _PAGE_CACHE_MODE_WT, "wt" },
		{ _PAGE_CACHE_MODE_WP, "wp" },
	};
	unsigned long bits = pgprot_val(prot) & _PAGE_CACHE_MASK;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (cachemode2protval(modes[i].mode) == bits)
			return modes[i].name;
	return "?";
}

#ifdef IOBMD_HAVE_FOLLOW_PFNMAP
/* A huge entry has PAT where a PTE has PSE. */
static pgprot_t kapi_huge_prot(pgprot_t prot)
{
	return pgprot_large_2_4k(prot);
}
#endif

static bool kapi_cachemode_usable(void)
{
	return pat_enabled();
}
#endif

#ifdef CONFIG_ARM64
/* The memory type the entry's MAIR index names (the kernel's own MAIR). */
static const char *kapi_mode_name(pgprot_t prot)
{
	switch (pgprot_val(prot) & PTE_ATTRINDX_MASK) {
	case PTE_ATTRINDX(MT_NORMAL):
	case PTE_ATTRINDX(MT_NORMAL_TAGGED):
		return "wb";
	case PTE_ATTRINDX(MT_NORMAL_NC):
		return "nc";
	case PTE_ATTRINDX(MT_DEVICE_nGnRnE):
		return "ngnrne";
	case PTE_ATTRINDX(MT_DEVICE_nGnRE):
		return "ngnre";
	}
	return "?";
}

#ifdef IOBMD_HAVE_FOLLOW_PFNMAP
/* A block entry has its attributes where a page entry has them. */
static pgprot_t kapi_huge_prot(pgprot_t prot)
{
	return prot;
}
#endif

static bool kapi_cachemode_usable(void)
{
	return true;
}
#endif

#ifdef KAPI_CACHEMODE
/* The protection of the PTE that maps @addr in a PFN mapping of @mm's. */
static int kapi_pfn_prot(struct mm_struct *mm, unsigned long addr,
			 pgprot_t *prot)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	int ret;

	if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP)))
		return -EFAULT;
#ifdef IOBMD_HAVE_FOLLOW_PFNMAP
	{
		struct follow_pfnmap_args args = { .vma = vma,
						   .address = addr };

		ret = follow_pfnmap_start(&args);
		if (ret)
			return -EFAULT;
		/*
		 * Only a PTE sets @ptep (6.12 to 7.3, which give the entry's
		 * size no other way).
		 */
		*prot = args.ptep ? args.pgprot : kapi_huge_prot(args.pgprot);
		follow_pfnmap_end(&args);
	}
#else
	{
		spinlock_t *ptl; /* the PTE's table's, held until unmapped */
		pte_t *ptep;

		ret = follow_pte(mm, addr, &ptep, &ptl);
		if (ret)
			return -EFAULT;
		*prot = pte_pgprot(ptep_get(ptep));
		pte_unmap_unlock(ptep, ptl);
	}
#endif
	return 0;
}
#endif

static ssize_t kapi_cachemode_write(struct file *file,
				    const char __user *ubuf, size_t len,
				    loff_t *ppos)
{
#ifdef KAPI_CACHEMODE
	unsigned long addr;
	pgprot_t prot;
	int ret;

	if (!kapi_cachemode_usable())
		return -EOPNOTSUPP;
	ret = kstrtoul_from_user(ubuf, len, 16, &addr);
	if (ret)
		return ret;
	if (!current->mm)
		return -EFAULT;
	if (mmap_read_lock_killable(current->mm))
		return -EINTR;
	ret = kapi_pfn_prot(current->mm, addr, &prot);
	mmap_read_unlock(current->mm);
	mutex_lock(&kapi_lock);
	kapi_mode = ret ? "" : kapi_mode_name(prot);
	mutex_unlock(&kapi_lock);
	return ret ?: len;
#else
	return -EOPNOTSUPP;
#endif
}

static ssize_t kapi_cachemode_read(struct file *file, char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	char buf[16];
	int n;

	mutex_lock(&kapi_lock);
	n = scnprintf(buf, sizeof(buf), "%s\n", kapi_mode);
	mutex_unlock(&kapi_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations kapi_cachemode_fops = {
	.owner = THIS_MODULE,
	.write = kapi_cachemode_write,
	.read = kapi_cachemode_read,
};

static const struct file_operations kapi_run_fops = {
	.owner = THIS_MODULE,
	.write = kapi_run_write,
};

static const struct file_operations kapi_results_fops = {
	.owner = THIS_MODULE,
	.read = kapi_results_read,
};

static struct platform_device *kapi_device(const char *name)
{
	struct platform_device_info info = {
		.name = name,
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(64),
	};

	return platform_device_register_full(&info);
}

static int __init kapi_init(void)
{
	int ret;

	ret = misc_register(&kapi_misc);
	if (ret)
		return ret;
	kapi_pdev = kapi_device("iobmd-dmabuf-kapi");
	if (IS_ERR(kapi_pdev)) {
		misc_deregister(&kapi_misc);
		return PTR_ERR(kapi_pdev);
	}
	kapi_fail_pdev = kapi_device("iobmd-dmabuf-kapi-fail");
	if (IS_ERR(kapi_fail_pdev)) {
		platform_device_unregister(kapi_pdev);
		misc_deregister(&kapi_misc);
		return PTR_ERR(kapi_fail_pdev);
	}
	/* Only where the kernel has DMA operations (not the debug kernel). */
	set_dma_ops(&kapi_fail_pdev->dev, &kapi_fail_ops);
	seq_buf_init(&kapi_out, kapi_results, sizeof(kapi_results));
	kapi_dir = debugfs_create_dir("iobmd_dmabuf_kapi", NULL);
	debugfs_create_file("run", 0200, kapi_dir, NULL, &kapi_run_fops);
	debugfs_create_file("results", 0400, kapi_dir, NULL,
			    &kapi_results_fops);
	debugfs_create_file("iobmd_dma_ops", 0200, kapi_dir, NULL,
			    &kapi_dma_ops_fops);
	debugfs_create_file("cachemode", 0600, kapi_dir, NULL,
			    &kapi_cachemode_fops);
	return 0;
}

static void __exit kapi_exit(void)
{
	debugfs_remove(kapi_dir);
	mutex_lock(&kapi_lock);
	kapi_iobmd_dma_ops(false);
	mutex_unlock(&kapi_lock);
	platform_device_unregister(kapi_fail_pdev);
	platform_device_unregister(kapi_pdev);
	misc_deregister(&kapi_misc);
}

module_init(kapi_init);
module_exit(kapi_exit);

MODULE_DESCRIPTION("Test of iobmd's import of dma-bufs for a driver");
MODULE_LICENSE("GPL");

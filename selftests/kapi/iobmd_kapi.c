// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_kapi: uses iobmd's in-kernel API the way a driver would, when it
 * is loaded, and leaves the results as TAP in
 * /sys/kernel/debug/iobmd_kapi/results for selftests/iobmd_kapi_test.c.
 *
 * A buffer below 4 GiB, composed with a sub-range and a contiguous buffer
 * into a multi, prepared for a device of its own with a 32-bit DMA mask
 * (a platform device: no hardware, the DMA API's bookkeeping only),
 * its DMA segments checked, mapped into the kernel, torn down; misuses
 * refused; physical RAM described only where a page reference is held.
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/iobmd.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/seq_buf.h>
#include <linux/sizes.h>
#include <linux/slab.h>

MODULE_IMPORT_NS(IOBMD);

#define KAPI_SEGS	64

static char kapi_results[PAGE_SIZE];
static struct seq_buf kapi_out;
static unsigned int kapi_nr;
static struct dentry *kapi_dir;
static struct debugfs_blob_wrapper kapi_blob;

#define kapi_check(cond, name)						\
	({								\
		bool __ok = (cond);					\
		seq_buf_printf(&kapi_out, "%sok %u %s\n",		\
			       __ok ? "" : "not ", ++kapi_nr, name);	\
		__ok;							\
	})

/* Every segment of [0, length) ends at or below @limit; bytes add up. */
static bool kapi_segs_below(struct iobmd_desc *d, bool dma, u64 limit)
{
	struct iobmd_segment *segs;
	u64 total, sum = 0;
	bool ok = true;
	u32 count, i;
	int ret;

	segs = kcalloc(KAPI_SEGS, sizeof(*segs), GFP_KERNEL);
	if (!segs)
		return false;
	ret = dma ? iobmd_desc_dma_segments(d, 0, 0, segs, KAPI_SEGS, &count,
					    &total) :
		    iobmd_desc_phys_segments(d, 0, 0, segs, KAPI_SEGS, &count,
					     &total);
	if (ret || count != total)
		ok = false;
	for (i = 0; ok && i < count; i++) {
		sum += segs[i].len;
		if (segs[i].addr + segs[i].len - 1 > limit)
			ok = false;
	}
	kfree(segs);
	return ok && sum == iobmd_desc_length(d);
}

/* Whether @d is prepared: it has DMA segments. */
static bool kapi_prepared(struct iobmd_desc *d)
{
	u64 total;
	u32 count;

	return iobmd_desc_dma_segments(d, 0, 0, NULL, 0, &count, &total) !=
	       -ENODATA;
}

/*
 * What a driver must not do is refused and changes nothing: a nested
 * prepare in a direction the mapping does not cover (the device's writes
 * would be lost), a complete without a prepare (which also warns once:
 * selftests/iobmd_kapi_test.c tells the test runner to expect it).
 */
static void kapi_misuse(struct iobmd_desc *d, struct device *dev)
{
	if (kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT, dev),
		       "prepare Out")) {
		kapi_check(iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_IN,
						  dev) == -EACCES &&
			   iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_INOUT,
						  dev) == -EACCES,
			   "a nested prepare In or InOut of memory prepared Out is EACCES");
		kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT, dev) &&
			   !iobmd_desc_complete(d),
			   "a nested prepare Out of memory prepared Out");
		kapi_check(!iobmd_desc_complete(d) && !kapi_prepared(d),
			   "one complete each");
	}
	if (kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_IN, dev),
		       "prepare In")) {
		kapi_check(iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_OUT,
						  dev) == -EACCES,
			   "a nested prepare Out of memory prepared In is EACCES");
		kapi_check(!iobmd_desc_complete(d), "complete");
	}
	kapi_check(iobmd_desc_complete(d) == -EINVAL,
		   "complete without a prepare is EINVAL");
	kapi_check(!kapi_prepared(d), "... and leaves it not prepared");
	if (kapi_check(!iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_INOUT, dev),
		       "... and a prepare works after it")) {
		kapi_check(kapi_prepared(d) && !iobmd_desc_complete(d) &&
			   !kapi_prepared(d), "... and its complete");
	}
}

/* withPhysicalAddress over @n pages from @page; the error, or 0 (released). */
static int kapi_phys(struct page *page, unsigned int n, struct iobmd_desc **keep)
{
	struct iobmd_range r = { page_to_phys(page), (u64)n << PAGE_SHIFT };
	struct iobmd_desc *d;

	d = iobmd_general_create(&r, 1, IOBMD_DIRECTION_INOUT, true);
	if (IS_ERR(d))
		return PTR_ERR(d);
	if (keep)
		*keep = d;
	else
		iobmd_desc_put(d);
	return 0;
}

/*
 * Physical RAM holds a reference on every page it describes, so a page with
 * none to take is refused: a free page (here freshly freed to this CPU's
 * list, most often still there), and the later pages of an allocation that
 * is not compound until split_page() gives each its own.
 */
static void kapi_physical(void)
{
	struct iobmd_desc *d = NULL;
	struct page *page;
	int i, refused = 0;

	page = alloc_pages(GFP_KERNEL, 2);
	if (!kapi_check(page, "an order-2 allocation, not compound"))
		return;
	kapi_check(!kapi_phys(page, 1, NULL),
		   "its first page (referenced) is described");
	kapi_check(kapi_phys(page, 4, NULL) == -EINVAL,
		   "its unreferenced later pages are refused with -EINVAL");
	split_page(page, 2);
	if (kapi_check(!kapi_phys(page, 4, &d), "all four after split_page()")) {
		kapi_check(page_ref_count(page) == 2 &&
			   page_ref_count(page + 3) == 2,
			   "each page is referenced while described");
		iobmd_desc_put(d);
	}
	kapi_check(page_ref_count(page) == 1 && page_ref_count(page + 3) == 1,
		   "and released with the descriptor");
	for (i = 0; i < 4; i++)
		__free_page(page + i);

	for (i = 0; i < 16; i++) {
		page = alloc_page(GFP_KERNEL);
		if (!page)
			continue;
		__free_page(page);
		if (kapi_phys(page, 1, NULL) == -EINVAL)
			refused++;
	}
	pr_info("iobmd_kapi: %d of 16 freed pages refused\n", refused);
	kapi_check(refused >= 12, "pages just freed are refused");
}

static void kapi_run(struct device *dev)
{
	struct iobmd_desc *buf, *sub = NULL, *contig = NULL, *multi = NULL;
	struct iobmd_desc *pieces[2];
	u32 count;
	u64 total;
	u8 *pattern, *back, *k;
	int i;

	pattern = kmalloc(SZ_4K, GFP_KERNEL);
	back = kmalloc(SZ_4K, GFP_KERNEL);
	if (!kapi_check(pattern && back, "scratch memory"))
		goto out;
	for (i = 0; i < SZ_4K; i++)
		pattern[i] = i * 7 + 3;

	buf = iobmd_buffer_with_physical_mask(IOBMD_DIRECTION_INOUT, SZ_1M,
					      0x00000000FFFFF000ULL);
	if (!kapi_check(!IS_ERR(buf), "buffer with a 32-bit physical mask"))
		goto out;
	kapi_check(iobmd_buffer_capacity(buf) == SZ_1M &&
		   iobmd_desc_length(buf) == SZ_1M, "capacity and length");
	kapi_check(kapi_segs_below(buf, false, DMA_BIT_MASK(32)),
		   "physical segments below 4 GiB");
	kapi_check(!iobmd_desc_write_bytes(buf, 12345, pattern, SZ_4K) &&
		   !iobmd_desc_read_bytes(buf, 12345, back, SZ_4K) &&
		   !memcmp(pattern, back, SZ_4K), "write and read bytes");
	kapi_check(iobmd_desc_read_bytes(buf, SZ_1M - 1, back, 2) == -ERANGE,
		   "read past the length is ERANGE");

	k = iobmd_desc_vmap(buf);
	if (kapi_check(!IS_ERR(k), "vmap")) {
		kapi_check(!memcmp(k + 12345, pattern, SZ_4K),
			   "vmap shows the bytes written");
		k[SZ_1M - 1] = 0x5a;
		kapi_check(!iobmd_desc_read_bytes(buf, SZ_1M - 1, back, 1) &&
			   back[0] == 0x5a, "bytes written through vmap");
		iobmd_desc_vunmap(buf, k);
	}

	sub = iobmd_sub_create(buf, SZ_8K, SZ_16K, IOBMD_DIRECTION_INOUT);
	kapi_check(!IS_ERR(sub), "sub-range");
	kapi_check(PTR_ERR(iobmd_sub_create(buf, SZ_1M, 1,
					    IOBMD_DIRECTION_INOUT)) == -ERANGE,
		   "sub-range beyond the parent is ERANGE");
	contig = iobmd_buffer_with_physical_mask(IOBMD_DIRECTION_INOUT |
						 IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
						 SZ_64K, 0x00000000FFFFF000ULL);
	kapi_check(!IS_ERR(contig), "contiguous buffer");
	if (IS_ERR(sub) || IS_ERR(contig))
		goto out_put;
	pieces[0] = sub;
	pieces[1] = contig;
	multi = iobmd_multi_create(pieces, 2, IOBMD_DIRECTION_INOUT);
	if (!kapi_check(!IS_ERR(multi) &&
			iobmd_desc_length(multi) == SZ_16K + SZ_64K,
			"multi of a sub-range and a contiguous buffer"))
		goto out_put;
	kapi_check(!iobmd_desc_read_bytes(multi, 12345 - SZ_8K, back, SZ_4K) &&
		   !memcmp(pattern, back, SZ_4K), "multi reads the sub-range");

	kapi_check(iobmd_desc_dma_segments(multi, 0, 0, NULL, 0, &count,
					   &total) == -ENODATA,
		   "no DMA segments before prepare");
	if (kapi_check(!iobmd_desc_prepare_dev(multi, 0, dev),
		       "prepare for a 32-bit device")) {
		kapi_check(kapi_segs_below(multi, true, DMA_BIT_MASK(32)),
			   "DMA segments below 4 GiB");
		kapi_check(iobmd_desc_prepare(multi, 0) == -EBUSY,
			   "a prepare without a device on a device's is EBUSY");
		iobmd_desc_complete(multi);
	}
	if (kapi_check(!iobmd_desc_prepare(buf, IOBMD_DIRECTION_OUT),
		       "prepare without a device")) {
		kapi_check(iobmd_desc_dma_segments(buf, 0, 0, NULL, 0, &count,
						   &total) == -ENODATA &&
			   iobmd_desc_prepare_dev(buf, 0, dev) == -EBUSY,
			   "... wires only: no DMA segments, no device after");
		iobmd_desc_complete(buf);
	}

	kapi_misuse(buf, dev);
	kapi_physical();

out_put:
	if (!IS_ERR_OR_NULL(multi))
		iobmd_desc_put(multi);
	if (!IS_ERR_OR_NULL(contig))
		iobmd_desc_put(contig);
	if (!IS_ERR_OR_NULL(sub))
		iobmd_desc_put(sub);
	iobmd_desc_put(buf);
out:
	kfree(back);
	kfree(pattern);
	seq_buf_printf(&kapi_out, "1..%u\n", kapi_nr);
}

static struct platform_device *kapi_pdev;

static int __init kapi_init(void)
{
	struct platform_device_info info = {
		.name = "iobmd-kapi",
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(32),
	};

	kapi_pdev = platform_device_register_full(&info);
	if (IS_ERR(kapi_pdev))
		return PTR_ERR(kapi_pdev);
	seq_buf_init(&kapi_out, kapi_results, sizeof(kapi_results));
	kapi_run(&kapi_pdev->dev);
	kapi_blob.data = kapi_results;
	kapi_blob.size = seq_buf_used(&kapi_out);
	kapi_dir = debugfs_create_dir("iobmd_kapi", NULL);
	debugfs_create_blob("results", 0400, kapi_dir, &kapi_blob);
	return 0;
}

static void __exit kapi_exit(void)
{
	debugfs_remove(kapi_dir);
	platform_device_unregister(kapi_pdev);
}

module_init(kapi_init);
module_exit(kapi_exit);

MODULE_DESCRIPTION("Test of iobmd's in-kernel API");
MODULE_LICENSE("GPL");

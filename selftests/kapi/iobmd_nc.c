// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_nc: performOperation() and complete() for a kernel driver's
 * device that is not DMA-coherent, with a stale copy the test can see.
 *
 * QEMU's TCG models no caches, so stale cache lines cannot be observed
 * there; a bounce buffer is a real stale copy.  Booted with swiotlb=force,
 * the DMA API maps the buffer at a bounce slot: the "device" (this module,
 * writing and reading the slot through its DMA address, which is its
 * physical address for a device without dma-ranges) and the CPU (reading
 * and writing the buffer through iobmd) each see their own bytes until a
 * sync copies them: STORE and FLUSH carry the CPU's writes to the device,
 * INVALIDATE and complete() the device's to the CPU.  The platform device
 * is non-coherent on arm64 (nothing marks it coherent), coherent on x86.
 *
 * Without a bounce (the parameter bounce=0: no swiotlb=force), the DMA
 * address is the buffer's own and the checks are that no bounce happened
 * and that the same calls succeed.  TAP results in
 * /sys/kernel/debug/iobmd_nc/results for selftests/iobmd_noncoherent_test.c.
 */
#include <linux/debugfs.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iobmd.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <iobmd_compat.h>

MODULE_IMPORT_NS(IOBMD_NS);

static bool bounce;
module_param(bounce, bool, 0444);
MODULE_PARM_DESC(bounce, "the DMA API bounces every mapping (swiotlb=force)");

static char nc_results[PAGE_SIZE];
static struct seq_buf nc_out;
static unsigned int nc_nr;
static struct dentry *nc_dir;
static struct debugfs_blob_wrapper nc_blob;
static struct platform_device *nc_pdev;

#define NC_LEN	256

#define nc_check(cond, name)						\
	({								\
		bool __ok = (cond);					\
		seq_buf_printf(&nc_out, "%sok %u %s\n",			\
			       __ok ? "" : "not ", ++nc_nr, name);	\
		__ok;							\
	})

/* Whether all NC_LEN bytes the CPU reads at the buffer's start are @c. */
static bool nc_cpu_sees(struct iobmd_desc *d, u8 c)
{
	u8 buf[NC_LEN];

	if (iobmd_desc_read_bytes(d, 0, buf, NC_LEN))
		return false;
	return !memchr_inv(buf, c, NC_LEN);
}

static bool nc_cpu_writes(struct iobmd_desc *d, u8 c)
{
	u8 buf[NC_LEN];

	memset(buf, c, NC_LEN);
	return !iobmd_desc_write_bytes(d, 0, buf, NC_LEN);
}

/* The device's view: the memory at the DMA address. */
static bool nc_dev_sees(u8 *dma_mem, u8 c)
{
	return !memchr_inv(dma_mem, c, NC_LEN);
}

static void nc_bounced(struct iobmd_desc *d, u8 *slot)
{
	nc_check(nc_dev_sees(slot, 'A'),
		 "prepare hands the CPU's bytes to the device");
	nc_check(nc_cpu_writes(d, 'C') && nc_dev_sees(slot, 'A'),
		 "the device does not see the CPU's write before STORE");
	nc_check(!iobmd_desc_perform(d, IOBMD_OP_STORE, 0, NC_LEN) &&
		 nc_dev_sees(slot, 'C'), "after STORE it does");
	nc_check(nc_cpu_writes(d, 'D') && nc_dev_sees(slot, 'C') &&
		 !iobmd_desc_perform(d, IOBMD_OP_FLUSH, 0, NC_LEN) &&
		 nc_dev_sees(slot, 'D'), "after FLUSH, and not before");
	memset(slot, 'B', NC_LEN);
	nc_check(nc_cpu_sees(d, 'D'),
		 "the CPU reads the old bytes before INVALIDATE");
	nc_check(!iobmd_desc_perform(d, IOBMD_OP_INVALIDATE, 0, NC_LEN) &&
		 nc_cpu_sees(d, 'B'), "and the device's after it");
	memset(slot, 'E', NC_LEN);
	nc_check(nc_cpu_sees(d, 'B'),
		 "the CPU reads the old bytes before complete");
	nc_check(!iobmd_desc_complete(d) && nc_cpu_sees(d, 'E'),
		 "and the device's after it");
}

static void nc_direct(struct iobmd_desc *d, u8 *mem)
{
	nc_check(nc_cpu_writes(d, 'C') && nc_dev_sees(mem, 'C') &&
		 !iobmd_desc_perform(d, IOBMD_OP_STORE, 0, NC_LEN) &&
		 !iobmd_desc_perform(d, IOBMD_OP_FLUSH, 0, NC_LEN),
		 "STORE and FLUSH of memory the device reaches directly");
	memset(mem, 'B', NC_LEN);
	nc_check(!iobmd_desc_perform(d, IOBMD_OP_INVALIDATE, 0, NC_LEN) &&
		 nc_cpu_sees(d, 'B'), "INVALIDATE");
	nc_check(!iobmd_desc_complete(d) && nc_cpu_sees(d, 'B'), "complete");
}

static void nc_run(struct device *dev)
{
	struct iobmd_segment dseg, pseg;
	struct iobmd_desc *d;
	bool bounced;
	u64 total;
	u32 count;
	u8 *mem;

	nc_check(dev_is_dma_coherent(dev) == IS_ENABLED(CONFIG_X86),
		 "the device is DMA-coherent on x86 only");
	d = iobmd_buffer_with_options(IOBMD_DIRECTION_INOUT, PAGE_SIZE,
				      PAGE_SIZE);
	if (!nc_check(!IS_ERR(d), "a buffer"))
		return;
	if (!nc_check(nc_cpu_writes(d, 'A') &&
		      !iobmd_desc_prepare_dev(d, IOBMD_DIRECTION_INOUT, dev),
		      "filled and prepared for the device"))
		goto out;
	if (!nc_check(!iobmd_desc_dma_segments(d, 0, 0, &dseg, 1, &count,
					       &total) && count == 1 &&
		      !iobmd_desc_phys_segments(d, 0, 0, &pseg, 1, &count,
						&total) && count == 1 &&
		      pfn_valid(PHYS_PFN(dseg.addr)),
		      "one DMA segment, in RAM")) {
		iobmd_desc_complete(d);
		goto out;
	}
	bounced = dseg.addr != pseg.addr;
	nc_check(bounced == bounce, bounce ?
		 "the DMA address is a bounce slot" :
		 "the DMA address is the buffer's own");
	/* The device's memory, as the device reaches it. */
	mem = phys_to_virt(dseg.addr);
	if (bounced)
		nc_bounced(d, mem);
	else
		nc_direct(d, mem);
out:
	iobmd_desc_put(d);
}

static int __init nc_init(void)
{
	struct platform_device_info info = {
		.name = "iobmd_nc",
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(64),
	};

	nc_pdev = platform_device_register_full(&info);
	if (IS_ERR(nc_pdev))
		return PTR_ERR(nc_pdev);
	seq_buf_init(&nc_out, nc_results, sizeof(nc_results));
	nc_run(&nc_pdev->dev);
	seq_buf_printf(&nc_out, "1..%u\n", nc_nr);
	nc_blob.data = nc_results;
	nc_blob.size = seq_buf_used(&nc_out);
	nc_dir = debugfs_create_dir("iobmd_nc", NULL);
	debugfs_create_blob("results", 0444, nc_dir, &nc_blob);
	return 0;
}

static void __exit nc_exit(void)
{
	debugfs_remove_recursive(nc_dir);
	platform_device_unregister(nc_pdev);
}

module_init(nc_init);
module_exit(nc_exit);
MODULE_DESCRIPTION("iobmd: DMA syncs of a non-coherent device, seen through a bounce buffer");
MODULE_LICENSE("GPL");

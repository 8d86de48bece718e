/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface of selftests/kapi/iobmd_edu.c, the test driver of QEMU's
 * edu device, for selftests/iobmd_edu_test.c.
 */
#ifndef IOBMD_EDU_H
#define IOBMD_EDU_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * struct edu_copy_arg - EDU_IOC_COPY: copy the caller's memory by DMA
 * @src: user address of the bytes
 * @dst: user address they go to
 * @len: bytes, 1 to 1 MiB
 * @dma_is_phys: out: 1 when every DMA address equalled the physical one
 *	(no IOMMU), else 0
 */
struct edu_copy_arg {
	__u64 src;
	__u64 dst;
	__u64 len;
	__u64 dma_is_phys;
};

#define EDU_IOC_COPY	_IOWR('e', 1, struct edu_copy_arg)

#endif /* IOBMD_EDU_H */

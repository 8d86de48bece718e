// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: mapping descriptors into a process (IOMemoryMap).
 *
 * mmap()'s offset is a cookie from IOBMD_MAP naming a handle, a read-only
 * bit and a page offset in the descriptor.  A mapping holds a reference on
 * the descriptor, not on the handle.  Page-backed memory is inserted as
 * ordinary pages all at once (get_user_pages works on it) and refilled by
 * the fault handler after MADV_DONTNEED; memory without pages of its own
 * (physically contiguous buffers) is mapped as one PFN range in one call.
 */
#include <linux/fs.h>
#include <linux/mm.h>

#include "iobmd_priv.h"

/**
 * iobmd_desc_map_size() - bytes of a descriptor a mapping may cover
 * @d: the descriptor
 *
 * Return: the size of its backing memory in whole pages.
 */
u64 iobmd_desc_map_size(struct iobmd_desc *d)
{
	return d->ops->map_size(d);
}

static void iobmd_mmap_open(struct vm_area_struct *vma)
{
	iobmd_desc_get(vma->vm_private_data);
	atomic64_inc(&iobmd_stats.mappings);
}

static void iobmd_mmap_close(struct vm_area_struct *vma)
{
	atomic64_dec(&iobmd_stats.mappings);
	iobmd_desc_put(vma->vm_private_data);
}

static vm_fault_t iobmd_mmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iobmd_desc *d = vma->vm_private_data;
	u64 offset = ((u64)vmf->pgoff << PAGE_SHIFT) & IOBMD_COOKIE_OFFSET_MASK;
	struct page *page;
	int ret;

	if (offset >= iobmd_desc_map_size(d))
		return VM_FAULT_SIGBUS;
	page = d->ops->page(d, offset);
	if (!page)
		return VM_FAULT_SIGBUS;
	ret = vm_insert_page(vma, vmf->address & PAGE_MASK, page);
	if (ret == -ENOMEM)
		return VM_FAULT_OOM;
	if (ret && ret != -EBUSY)
		return VM_FAULT_SIGBUS;
	return VM_FAULT_NOPAGE;
}

static const struct vm_operations_struct iobmd_mmap_ops = {
	.open = iobmd_mmap_open,
	.close = iobmd_mmap_close,
	.fault = iobmd_mmap_fault,
};

/**
 * iobmd_mmap() - the mmap file operation of /dev/iobmd
 * @file: the open file
 * @vma: the new mapping
 *
 * Errors: EINVAL (not MAP_SHARED, the cookie names no descriptor, or the
 * size runs past the descriptor's pages), EACCES (PROT_WRITE on a read-only
 * cookie), ENOMEM.
 *
 * Return: 0 or a negative errno; on failure the mapping holds nothing.
 */
int iobmd_mmap(struct file *file, struct vm_area_struct *vma)
{
	u64 cookie = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 offset = cookie & IOBMD_COOKIE_OFFSET_MASK;
	u64 size = vma->vm_end - vma->vm_start;
	struct iobmd_desc *d;
	u64 map_size;
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	d = iobmd_file_get(file->private_data,
			   cookie >> IOBMD_COOKIE_HANDLE_SHIFT);
	if (IS_ERR(d))
		return -EINVAL;

	ret = -EACCES;
	if (cookie & IOBMD_COOKIE_RO) {
		if (vma->vm_flags & VM_WRITE)
			goto err_put;
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	ret = -EINVAL;
	map_size = iobmd_desc_map_size(d);
	if (offset > map_size || size > map_size - offset)
		goto err_put;

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP |
		     (d->ops->page(d, offset) ? VM_MIXEDMAP : 0));
	vma->vm_ops = &iobmd_mmap_ops;
	vma->vm_private_data = d;
	ret = d->ops->mmap(d, vma, offset);
	if (ret)
		goto err_put;
	atomic64_inc(&iobmd_stats.mappings);
	return 0;

err_put:
	iobmd_desc_put(d);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the file a mapping of a buffer carries while it may hold PUDs.
 *
 * The core mm (7.3) splits a PUD that maps a folio, which MADV_DONTNEED of
 * part of a GiB, a page-table walk without a PUD callback (smaps, mlock's
 * and madvise's walks) and a fault that cannot write through it all do,
 * by dropping the folio's reference and reverse map only in a DAX VMA:
 * anywhere else the GiB would leak.  So a mapping of a buffer that may
 * hold PUDs becomes one: its VMA carries a file of its own, on an inode
 * marked S_DAX as a DAX device's is, and as a character device's so that
 * the core mm takes it for device DAX, not a filesystem's (long-term pins
 * of it stay allowed).  A DAX VMA also keeps what the module's mappings
 * are in other ways (see iobmd_mmap_huge_fault()): its faults take no
 * notice of THP's "never" (as a PFN mapping's do from 7.3 on; madvise
 * MADV_NOHUGEPAGE still counts), mlock() leaves it as it is (its pages
 * never go anywhere), and NUMA balancing passes it by.
 *
 * The file holds a reference on the module for as long as the VMA (and
 * every copy of it) holds the file; nothing reaches the module through
 * it but placing a moved mapping (mremap()), as /dev/iobmd places one.
 * /proc/PID/maps names it anon_inode:[iobmd].
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "iobmd_priv.h"

#ifdef IOBMD_PUD_MAP
static const struct file_operations iobmd_dax_fops = {
	.owner = THIS_MODULE,
	.get_unmapped_area = iobmd_get_unmapped_area,
};

/**
 * iobmd_dax_file_set() - give a mapping of a buffer a DAX file of its own
 * @vma: the mapping, being set up in /dev/iobmd's mmap file operation
 *
 * Only a mapping of /dev/iobmd itself changes its file: a dma-buf's
 * mapping keeps the dma-buf, and another driver's (iobmd_desc_mmap() from
 * its mmap handler) the file its driver knows it by.  Nor does an
 * executable mapping; and the mapping can never be made executable
 * later, as a security module's check of mprotect() would see the new
 * file, not /dev/iobmd (whose security context the inode takes).
 *
 * Context: process context, under the mmap_lock; once per mapping.
 * Return: 0; -EINVAL (not a mapping of /dev/iobmd, or executable) or
 * -ENOMEM: the mapping keeps its file and takes no PUDs.
 */
int iobmd_dax_file_set(struct vm_area_struct *vma)
{
	struct inode *inode;
	struct file *file;

	if (!vma->vm_file || vma->vm_file->f_op != &iobmd_fops ||
	    vma->vm_flags & VM_EXEC)
		return -EINVAL;
	file = anon_inode_create_getfile("[iobmd]", &iobmd_dax_fops, NULL,
					 O_RDWR, file_inode(vma->vm_file));
	if (IS_ERR(file))
		return -ENOMEM;
	/* The inode is this file's alone, and not yet in any VMA. */
	inode = file_inode(file);
	inode->i_mode = S_IFCHR | 0600;
	inode->i_flags |= S_DAX;
	vma_set_file(vma, file);
	fput(file);
	vm_flags_clear(vma, VM_MAYEXEC);
	return 0;
}
#endif

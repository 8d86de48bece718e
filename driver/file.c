// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: an open file of /dev/iobmd is IOKit's task; it owns a table of
 * handles, and closing it releases every descriptor it still holds.
 */
#include <linux/fs.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/**
 * iobmd_file_reserve() - reserve a handle for a descriptor being created
 * @f: the file
 * @handle: out: the handle; it names nothing until iobmd_file_install()
 *
 * Return: 0, -EMFILE when the file holds max_handles, -ENOMEM.
 */
int iobmd_file_reserve(struct iobmd_file *f, u32 *handle)
{
	int ret;

	ret = xa_alloc(&f->handles, handle, NULL,
		       XA_LIMIT(1, iobmd_handle_limit()), GFP_KERNEL_ACCOUNT);
	return ret == -EBUSY ? -EMFILE : ret;
}

/**
 * iobmd_file_install() - make a reserved handle name a descriptor
 * @f: the file
 * @handle: a handle from iobmd_file_reserve()
 * @d: the descriptor; the table takes over the caller's reference
 */
void iobmd_file_install(struct iobmd_file *f, u32 handle, struct iobmd_desc *d)
{
	/* The slot is reserved, so storing into it allocates nothing. */
	xa_store(&f->handles, handle, d, GFP_KERNEL);
}

/**
 * iobmd_file_unreserve() - give back a handle that was never installed
 * @f: the file
 * @handle: a handle from iobmd_file_reserve()
 */
void iobmd_file_unreserve(struct iobmd_file *f, u32 handle)
{
	xa_release(&f->handles, handle);
}

/**
 * iobmd_file_get() - look a handle up
 * @f: the file
 * @handle: the handle
 *
 * Return: the descriptor with a reference for the caller, or
 * ERR_PTR(-ENOENT).
 */
struct iobmd_desc *iobmd_file_get(struct iobmd_file *f, u32 handle)
{
	struct iobmd_desc *d;

	xa_lock(&f->handles);
	d = xa_load(&f->handles, handle);
	if (d)
		iobmd_desc_get(d);
	xa_unlock(&f->handles);
	return d ?: ERR_PTR(-ENOENT);
}

/**
 * iobmd_file_remove() - release a handle
 * @f: the file
 * @handle: the handle
 *
 * Return: 0 or -ENOENT.
 */
int iobmd_file_remove(struct iobmd_file *f, u32 handle)
{
	struct iobmd_desc *d = xa_erase(&f->handles, handle);

	if (!d)
		return -ENOENT;
	iobmd_desc_put(d);
	return 0;
}

static int iobmd_file_open(struct inode *inode, struct file *file)
{
	struct iobmd_file *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	xa_init_flags(&f->handles, XA_FLAGS_ALLOC1);
	file->private_data = f;
	return 0;
}

static int iobmd_file_release(struct inode *inode, struct file *file)
{
	struct iobmd_file *f = file->private_data;
	struct iobmd_desc *d;
	unsigned long handle;

	xa_for_each(&f->handles, handle, d) {
		xa_erase(&f->handles, handle);
		iobmd_desc_put(d);
		cond_resched();
	}
	xa_destroy(&f->handles);
	kfree(f);
	return 0;
}

const struct file_operations iobmd_fops = {
	.owner = THIS_MODULE,
	.open = iobmd_file_open,
	.release = iobmd_file_release,
	.unlocked_ioctl = iobmd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = iobmd_mmap,
	.llseek = noop_llseek,
};

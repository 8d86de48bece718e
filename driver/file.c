// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: an open file of /dev/iobmd is IOKit's task; it owns a table of
 * handles, and closing it releases every descriptor it still holds and
 * completes every prepare its handles left outstanding.
 */
#include <linux/fs.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/**
 * struct iobmd_handle - one entry of a file's handle table
 * @d: the descriptor, referenced by the entry
 * @prepares: prepares made through this handle and not yet completed;
 *	protected by the table's xa_lock
 */
struct iobmd_handle {
	struct iobmd_desc *d;
	unsigned int prepares;
};

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
 * @h: a zeroed entry from iobmd_handle_alloc(); the table owns it now
 * @d: the descriptor; the table takes over the caller's reference
 */
void iobmd_file_install(struct iobmd_file *f, u32 handle,
			struct iobmd_handle *h, struct iobmd_desc *d)
{
	h->d = d;
	/* The slot is reserved, so storing into it allocates nothing. */
	xa_store(&f->handles, handle, h, GFP_KERNEL);
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
 * iobmd_handle_alloc() - an entry for iobmd_file_install()
 *
 * Return: the entry, or NULL; kfree() it if it is not installed.
 */
struct iobmd_handle *iobmd_handle_alloc(void)
{
	return kzalloc(sizeof(struct iobmd_handle), GFP_KERNEL_ACCOUNT);
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
	struct iobmd_desc *d = NULL;
	struct iobmd_handle *h;

	xa_lock(&f->handles);
	h = xa_load(&f->handles, handle);
	if (h) {
		d = h->d;
		iobmd_desc_get(d);
	}
	xa_unlock(&f->handles);
	return d ?: ERR_PTR(-ENOENT);
}

static void iobmd_handle_free(struct iobmd_handle *h)
{
	for (; h->prepares; h->prepares--)
		iobmd_desc_complete(h->d);
	iobmd_desc_put(h->d);
	kfree(h);
}

/**
 * iobmd_file_remove() - release a handle, completing what it prepared
 * @f: the file
 * @handle: the handle
 *
 * Return: 0 or -ENOENT.
 */
int iobmd_file_remove(struct iobmd_file *f, u32 handle)
{
	struct iobmd_handle *h;

	/*
	 * A handle being created is reserved but names nothing yet: it is
	 * not there to release.  xa_erase() would drop the reservation, and
	 * the next create could be handed the same handle.
	 */
	xa_lock(&f->handles);
	h = xa_load(&f->handles, handle);
	if (h)
		__xa_erase(&f->handles, handle);
	xa_unlock(&f->handles);
	if (!h)
		return -ENOENT;
	iobmd_handle_free(h);
	return 0;
}

/**
 * iobmd_file_prepare() - prepare() through a handle
 * @f: the file
 * @handle: the handle
 * @direction: as iobmd_desc_prepare()
 *
 * Return: 0, -ENOENT, or iobmd_desc_prepare()'s error.
 */
int iobmd_file_prepare(struct iobmd_file *f, u32 handle, u32 direction)
{
	struct iobmd_desc *d = iobmd_file_get(f, handle);
	struct iobmd_handle *h;
	int ret;

	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = iobmd_desc_prepare(d, direction);
	if (!ret) {
		xa_lock(&f->handles);
		h = xa_load(&f->handles, handle);
		if (h && h->d == d)
			h->prepares++;
		else
			ret = -ENOENT;
		xa_unlock(&f->handles);
		/* Released meanwhile: nobody could complete it later. */
		if (ret)
			iobmd_desc_complete(d);
	}
	iobmd_desc_put(d);
	return ret;
}

/**
 * iobmd_file_complete() - complete() through a handle
 * @f: the file
 * @handle: the handle
 *
 * Return: 0, -ENOENT, or -EINVAL when the handle has no prepare left.
 */
int iobmd_file_complete(struct iobmd_file *f, u32 handle)
{
	struct iobmd_desc *d = NULL;
	struct iobmd_handle *h;
	int ret = -ENOENT;

	xa_lock(&f->handles);
	h = xa_load(&f->handles, handle);
	if (h) {
		ret = -EINVAL;
		if (h->prepares) {
			h->prepares--;
			d = h->d;
			iobmd_desc_get(d);
			ret = 0;
		}
	}
	xa_unlock(&f->handles);
	if (d) {
		iobmd_desc_complete(d);
		iobmd_desc_put(d);
	}
	return ret;
}

static int iobmd_file_open(struct inode *inode, struct file *file)
{
	struct iobmd_file *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	f->acct = iobmd_account_new();
	if (!f->acct) {
		kfree(f);
		return -ENOMEM;
	}
	xa_init_flags(&f->handles, XA_FLAGS_ALLOC1);
	file->private_data = f;
	return 0;
}

static int iobmd_file_release(struct inode *inode, struct file *file)
{
	struct iobmd_file *f = file->private_data;
	struct iobmd_handle *h;
	unsigned long handle;

	xa_for_each(&f->handles, handle, h) {
		xa_erase(&f->handles, handle);
		iobmd_handle_free(h);
		cond_resched();
	}
	xa_destroy(&f->handles);
	iobmd_account_put(f->acct);
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

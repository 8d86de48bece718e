// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: an open file of /dev/iobmd is IOKit's task; it owns a table of
 * handles and the mmap cookies made for them, and closing it releases
 * every descriptor it still holds and completes every prepare its handles
 * left outstanding.
 *
 * Handles and cookies are allocated cyclically: a number that was freed
 * is handed out again only once the allocation has gone round the whole
 * space, so a stale handle or cookie fails instead of naming the next
 * descriptor.  A file keeps the handle of its next creation reserved
 * ahead, which names nothing until that creation installs it.
 */
#include <linux/fs.h>
#include <linux/interval_tree_generic.h>
#include <linux/slab.h>

#include "iobmd_priv.h"

/**
 * struct iobmd_cookie - an mmap cookie: page offsets [@start, @last] of
 * the file, which stand for pages 0 to @last - @start of a mapping
 * @rb: node in the file's cookie tree
 * @start: first page offset
 * @last: last page offset
 * @subtree_last: the interval tree's bookkeeping
 * @h: the handle it maps; the handle's reference keeps the descriptor
 * @node: entry in @h->cookies
 * @flags: the IOBMD_MAP_* flags it was made with
 *
 * Everything but @subtree_last is fixed while the cookie is in the tree;
 * the tree and @node are protected by the file's map_lock.
 */
struct iobmd_cookie {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long subtree_last;
	struct iobmd_handle *h;
	struct list_head node;
	u32 flags;
};

#define IOBMD_COOKIE_START(c)	((c)->start)
#define IOBMD_COOKIE_END(c)	((c)->last)

INTERVAL_TREE_DEFINE(struct iobmd_cookie, rb, unsigned long, subtree_last,
		     IOBMD_COOKIE_START, IOBMD_COOKIE_END, static inline,
		     iobmd_cookie_tree);

/**
 * struct iobmd_handle - one entry of a file's handle table
 * @d: the descriptor, referenced by the entry
 * @prepares: prepares made through this handle and not yet completed;
 *	protected by the table's xa_lock
 * @cookies: the mmap cookies made for it; protected by the file's map_lock
 * @cookie: room for one of them, free while its @h is NULL, so that a
 *	handle mapped with one set of flags allocates no cookie; map_lock
 */
struct iobmd_handle {
	struct iobmd_desc *d;
	unsigned int prepares;
	struct list_head cookies;
	struct iobmd_cookie cookie;
};

/*
 * Reserve the handle after @f's last one for its next creation (under the
 * table's xa_lock, which an allocation may drop).  Between a release and
 * the next creation the table is then never empty: its nodes stay where
 * the handles are, rather than being freed with the last handle and
 * allocated again for the next.  Failing to reserve is no error: the next
 * creation allocates its handle itself.
 */
static void iobmd_file_reserve_spare(struct iobmd_file *f, u32 limit)
{
	u32 spare;

	if (__xa_alloc_cyclic(&f->handles, &spare, NULL, XA_LIMIT(1, limit),
			      &f->next_handle, GFP_KERNEL_ACCOUNT) < 0)
		return;
	/* Another creation reserved one while the lock was dropped. */
	if (f->spare_handle)
		__xa_erase(&f->handles, spare);
	else
		f->spare_handle = spare;
}

/**
 * iobmd_file_reserve() - reserve a handle for a descriptor being created
 * @f: the file
 * @handle: out: the handle; it names nothing until iobmd_file_install()
 *
 * The handle is the one reserved ahead by the previous creation when it is
 * still within max_handles, else the next free one in cyclic order; then
 * the one after it is reserved ahead for the next creation.
 *
 * Return: 0, -EMFILE when the file holds max_handles, -ENOMEM.
 */
int iobmd_file_reserve(struct iobmd_file *f, u32 *handle)
{
	u32 limit = iobmd_handle_limit();
	int ret = 0;

	xa_lock(&f->handles);
	*handle = f->spare_handle;
	f->spare_handle = 0;
	/* Reserved under a higher max_handles than the one now in force. */
	if (*handle > limit) {
		__xa_erase(&f->handles, *handle);
		*handle = 0;
	}
	if (!*handle)
		ret = __xa_alloc_cyclic(&f->handles, handle, NULL,
					XA_LIMIT(1, limit), &f->next_handle,
					GFP_KERNEL_ACCOUNT);
	if (ret >= 0)
		iobmd_file_reserve_spare(f, limit);
	xa_unlock(&f->handles);
	if (ret == -EBUSY)
		return -EMFILE;
	return ret < 0 ? ret : 0;
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
	struct iobmd_handle *h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);

	if (h)
		INIT_LIST_HEAD(&h->cookies);
	return h;
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

static void iobmd_cookie_del(struct iobmd_file *f, struct iobmd_cookie *c)
{
	lockdep_assert_held(&f->map_lock);
	iobmd_cookie_tree_remove(c, &f->cookies);
	list_del(&c->node);
	if (c == &c->h->cookie)
		c->h = NULL;
	else
		kfree(c);
}

/* Forget the cookies of a handle no longer in the table. */
static void iobmd_file_drop_cookies(struct iobmd_file *f,
				    struct iobmd_handle *h)
{
	struct iobmd_cookie *c, *tmp;

	mutex_lock(&f->map_lock);
	list_for_each_entry_safe(c, tmp, &h->cookies, node)
		iobmd_cookie_del(f, c);
	mutex_unlock(&f->map_lock);
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
	iobmd_file_drop_cookies(f, h);
	iobmd_handle_free(h);
	return 0;
}

/**
 * iobmd_file_prepare() - prepare() through a handle
 * @f: the file
 * @handle: the handle
 * @direction: as iobmd_desc_prepare(); with IOBMD_PREPARE_NO_FAULT, only
 *	memory that needs no faulting in (wired, or user memory pinned
 *	already) is prepared
 *
 * Return: 0, -ENOENT, -ENODATA (NO_FAULT and user memory not pinned), or
 * iobmd_desc_prepare()'s error.
 */
int iobmd_file_prepare(struct iobmd_file *f, u32 handle, u32 direction)
{
	struct iobmd_desc *d = iobmd_file_get(f, handle);
	struct iobmd_handle *h;
	int ret;

	if (IS_ERR(d))
		return PTR_ERR(d);
	/*
	 * NoFault: fault nothing in.  A pin that takes only memory present
	 * already (wired, or user memory pinned by a prepare or a mapping)
	 * holds it across the prepare, whose own pin then only counts.
	 */
	if (direction & IOBMD_PREPARE_NO_FAULT) {
		u32 dir = iobmd_desc_prepare_dir(d, direction);

		ret = iobmd_desc_pin(d, IOBMD_PIN_NOFAULT |
				     iobmd_desc_prepare_pin_flags(dir));
		if (ret)
			goto out_put;
	}
	ret = iobmd_desc_prepare(d, direction);
	if (direction & IOBMD_PREPARE_NO_FAULT)
		iobmd_desc_unpin(d);
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
out_put:
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

/*
 * Put @c, @npages long, at the first free page offsets from next_cookie
 * on, going round once.
 */
static int iobmd_cookie_insert(struct iobmd_file *f, struct iobmd_cookie *c,
			       unsigned long npages)
{
	unsigned long start = f->next_cookie;
	struct iobmd_cookie *in_way;
	bool wrapped = false;

	lockdep_assert_held(&f->map_lock);
	for (;;) {
#ifdef IOBMD_HUGE_PLACE
		/* Room for a PMD: see iobmd_get_unmapped_area(). */
		if (npages >= PTRS_PER_PMD)
			start = ALIGN(start, PTRS_PER_PMD);
#endif
#ifdef IOBMD_PUD_PLACE
		/* And for a PUD. */
		if (npages >= PUD_SIZE >> PAGE_SHIFT)
			start = ALIGN(start, PUD_SIZE >> PAGE_SHIFT);
#endif
		if (start < IOBMD_COOKIE_FIRST ||
		    start > IOBMD_COOKIE_LAST ||
		    npages - 1 > IOBMD_COOKIE_LAST - start) {
			if (wrapped)
				return -ENOSPC;
			wrapped = true;
			start = IOBMD_COOKIE_FIRST;
			continue;
		}
		in_way = iobmd_cookie_tree_iter_first(&f->cookies, start,
						      start + npages - 1);
		if (!in_way)
			break;
		start = in_way->last + 1;
		cond_resched();
	}
	c->start = start;
	c->last = start + npages - 1;
	iobmd_cookie_tree_insert(c, &f->cookies);
	f->next_cookie = c->last + 1;
	return 0;
}

/**
 * iobmd_file_map() - the mmap cookie of a handle for a set of map flags
 * @f: the file
 * @handle: the handle
 * @d: the descriptor the caller found under @handle, with a reference
 * @flags: IOBMD_MAP_* flags
 * @size: bytes of the whole mapping now (whole pages)
 * @pgoff: out: the page offset that stands for page 0 of the mapping
 * @created: out: the cookie is new (iobmd_file_unmap() undoes it)
 *
 * A handle keeps one cookie per set of flags, made anew only when the
 * mapping has outgrown it (an interleaved descriptor gaining pieces).
 * Every cookie stays valid until the handle is released.
 *
 * Return: 0, -ENOENT (the handle was released, or names another
 * descriptor now), -EOVERFLOW (@size above the whole cookie space),
 * -ENOSPC (no room left in the file's cookie space, or the handle holds
 * IOBMD_COOKIE_MAX_PER_HANDLE cookies), -ENOMEM.
 */
int iobmd_file_map(struct iobmd_file *f, u32 handle, struct iobmd_desc *d,
		   u32 flags, u64 size, unsigned long *pgoff, bool *created)
{
	u64 npages = size >> PAGE_SHIFT;
	struct iobmd_cookie *c, *new = NULL;
	struct iobmd_handle *h;
	unsigned int n;
	int ret;

	if (!npages || npages > IOBMD_COOKIE_LAST - IOBMD_COOKIE_FIRST + 1)
		return -EOVERFLOW;
again:
	mutex_lock(&f->map_lock);
	/* Under map_lock a handle in the table keeps its cookie list. */
	xa_lock(&f->handles);
	h = xa_load(&f->handles, handle);
	if (h && h->d != d)
		h = NULL;
	xa_unlock(&f->handles);
	ret = -ENOENT;
	if (!h)
		goto out_unlock;
	*created = false;
	n = 0;
	list_for_each_entry(c, &h->cookies, node) {
		if (c->flags == flags && c->last - c->start + 1 >= npages) {
			*pgoff = c->start;
			ret = 0;
			goto out_unlock;
		}
		n++;
	}
	ret = -ENOSPC;
	if (n >= IOBMD_COOKIE_MAX_PER_HANDLE)
		goto out_unlock;
	c = h->cookie.h ? new : &h->cookie;
	if (!c) {
		/* The handle's own is taken: allocate one and look again. */
		mutex_unlock(&f->map_lock);
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return -ENOMEM;
		goto again;
	}
	ret = iobmd_cookie_insert(f, c, npages);
	if (ret)
		goto out_unlock;
	c->h = h;
	c->flags = flags;
	list_add_tail(&c->node, &h->cookies);
	*pgoff = c->start;
	*created = true;
	if (c == new)
		new = NULL;
out_unlock:
	mutex_unlock(&f->map_lock);
	kfree(new);
	return ret;
}

/**
 * iobmd_file_unmap() - forget a cookie iobmd_file_map() just created
 * @f: the file
 * @pgoff: its first page offset
 */
void iobmd_file_unmap(struct iobmd_file *f, unsigned long pgoff)
{
	struct iobmd_cookie *c;

	mutex_lock(&f->map_lock);
	c = iobmd_cookie_tree_iter_first(&f->cookies, pgoff, pgoff);
	if (c && c->start == pgoff)
		iobmd_cookie_del(f, c);
	mutex_unlock(&f->map_lock);
}

/**
 * iobmd_file_cookie_get() - what an mmap() offset names
 * @f: the file
 * @pgoff: the page offset mmap() was given
 * @npages: pages mmap() maps from there
 * @offset: out: the mapping offset @pgoff stands for
 * @flags: out: the cookie's IOBMD_MAP_* flags
 *
 * Return: the descriptor with a reference for the caller, or
 * ERR_PTR(-EINVAL) when no cookie covers all of [@pgoff, @pgoff + @npages).
 */
struct iobmd_desc *iobmd_file_cookie_get(struct iobmd_file *f,
					 unsigned long pgoff,
					 unsigned long npages, u64 *offset,
					 u32 *flags)
{
	struct iobmd_desc *d = ERR_PTR(-EINVAL);
	struct iobmd_cookie *c;

	if (!npages)
		return d;
	mutex_lock(&f->map_lock);
	c = iobmd_cookie_tree_iter_first(&f->cookies, pgoff, pgoff);
	if (c && npages - 1 <= c->last - pgoff) {
		d = c->h->d;
		iobmd_desc_get(d);
		*offset = (u64)(pgoff - c->start) << PAGE_SHIFT;
		*flags = c->flags;
	}
	mutex_unlock(&f->map_lock);
	return d;
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
	mutex_init(&f->map_lock);
	f->cookies = RB_ROOT_CACHED;
	f->next_cookie = IOBMD_COOKIE_FIRST;
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
		iobmd_file_drop_cookies(f, h);
		iobmd_handle_free(h);
		cond_resched();
	}
	xa_destroy(&f->handles);
	mutex_destroy(&f->map_lock);
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
#ifdef IOBMD_HUGE_PLACE
	.get_unmapped_area = iobmd_get_unmapped_area,
#endif
	.llseek = noop_llseek,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd: the ioctl commands of /dev/iobmd and their dispatch table.
 *
 * Every command's struct starts with its size.  The dispatcher reads the
 * size, refuses one short of the command's last version-1 member with
 * -EINVAL, copies the rest size-tolerantly (a longer struct must be zero
 * past what the kernel knows, else -E2BIG) and hands the command to its
 * handler.  Each handler validates flags and reserved members itself and
 * changes nothing when it fails.
 */
#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/uaccess.h>

#include "iobmd_priv.h"

/* The largest @size a command's struct may claim. */
#define IOBMD_UCMD_MAX_SIZE	PAGE_SIZE

struct iobmd_ucmd {
	struct iobmd_file *file;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

static __always_inline int iobmd_ucmd_respond(struct iobmd_ucmd *ucmd,
					      size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/*
 * Give a new descriptor, charged already, a handle, written to *@handle
 * inside the command, and answer.  Takes over the caller's reference; on
 * failure the descriptor is gone and no handle exists.
 */
static int iobmd_ucmd_publish_charged(struct iobmd_ucmd *ucmd,
				      struct iobmd_desc *d, u32 *handle,
				      size_t cmd_len)
{
	struct iobmd_handle *h = iobmd_handle_alloc();
	int ret = -ENOMEM;

	if (!h)
		goto err_put;
	ret = iobmd_file_reserve(ucmd->file, handle);
	if (ret)
		goto err_free;
	ret = iobmd_ucmd_respond(ucmd, cmd_len);
	if (ret)
		goto err_unreserve;
	iobmd_file_install(ucmd->file, *handle, h, d);
	return 0;

err_unreserve:
	iobmd_file_unreserve(ucmd->file, *handle);
err_free:
	kfree(h);
err_put:
	iobmd_desc_put(d);
	return ret;
}

/*
 * Charge a new descriptor to the file and the user, give it a handle,
 * written to *@handle inside the command, and answer.  Takes over the
 * caller's reference; on failure the descriptor is gone and no handle
 * exists.
 */
static int iobmd_ucmd_publish(struct iobmd_ucmd *ucmd, struct iobmd_desc *d,
			      u32 *handle, size_t cmd_len)
{
	int ret = iobmd_account_charge(ucmd->file->acct, d);

	if (ret) {
		iobmd_desc_put(d);
		return ret;
	}
	return iobmd_ucmd_publish_charged(ucmd, d, handle, cmd_len);
}

/*
 * Give a new dma-buf a file descriptor, written to *@fd inside the
 * command, and answer; the descriptor is installed only once the answer
 * is written.  Takes over the dma-buf; on failure it is gone.
 */
static __always_inline int
iobmd_ucmd_install_dmabuf(struct iobmd_ucmd *ucmd, struct dma_buf *dmabuf,
			  u32 fd_flags, u32 *fd, size_t cmd_len)
{
	int ret, nfd;

	nfd = get_unused_fd_flags(fd_flags & O_CLOEXEC);
	if (nfd < 0) {
		dma_buf_put(dmabuf);
		return nfd;
	}
	*fd = nfd;
	ret = iobmd_ucmd_respond(ucmd, cmd_len);
	if (ret) {
		put_unused_fd(nfd);
		dma_buf_put(dmabuf);
		return ret;
	}
	fd_install(nfd, dmabuf->file);
	return 0;
}

/*
 * Hand a new buffer, charged already, out as a dma-buf of all of it, with
 * no handle.  Takes over the caller's reference; on failure the descriptor
 * is gone.
 */
static __always_inline int
iobmd_ucmd_publish_dmabuf(struct iobmd_ucmd *ucmd, struct iobmd_buffer *b,
			  u32 fd_flags, u32 *fd, size_t cmd_len)
{
	struct dma_buf *dmabuf;

	dmabuf = iobmd_buffer_export_new(b, fd_flags);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	return iobmd_ucmd_install_dmabuf(ucmd, dmabuf, fd_flags, fd, cmd_len);
}

/*
 * Before creating a descriptor for userspace: the module's and the user's
 * descriptor limits, and for @bytes of new memory the file's, the user's
 * and the module's byte limits.
 */
static int __iobmd_hot iobmd_ucmd_may_create(struct iobmd_ucmd *ucmd, u64 bytes)
{
	int ret = iobmd_limits_check_descs();

	if (ret)
		return ret;
	return iobmd_account_check(ucmd->file->acct, bytes);
}

/* The descriptor a command names, with a reference, or ERR_PTR(-ENOENT). */
static struct iobmd_desc *iobmd_ucmd_desc(struct iobmd_ucmd *ucmd, u32 handle)
{
	return iobmd_file_get(ucmd->file, handle);
}

/*
 * The ABI version is the release's major.minor (VERSION, through Kbuild):
 * a release that changes the ABI changes them, one that does not changes
 * only its patch number.
 */
#if IOBMD_ABI_MAJOR != IOBMD_PKG_MAJOR || IOBMD_ABI_MINOR != IOBMD_PKG_MINOR
#error "uapi/iobmd.h's IOBMD_ABI_MAJOR.MINOR is not VERSION's major.minor"
#endif

/*
 * IOBMD_GET_VERSION - the ABI version and features.
 * Errors: EINVAL (flags or reserved not 0), EFAULT.
 */
static int iobmd_ioctl_version(struct iobmd_ucmd *ucmd)
{
	struct iobmd_version *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	cmd->abi_major = IOBMD_ABI_MAJOR;
	cmd->abi_minor = IOBMD_ABI_MINOR;
	cmd->features = IOBMD_FEATURE_BUFFER | IOBMD_FEATURE_PHYS_MASK |
			IOBMD_FEATURE_MMAP | IOBMD_FEATURE_SEGMENTS |
			IOBMD_FEATURE_HIERARCHY | IOBMD_FEATURE_PREPARE |
			IOBMD_FEATURE_DMABUF;
	cmd->page_size = PAGE_SIZE;
	cmd->max_capacity = iobmd_capacity_limit();
	return iobmd_ucmd_respond(ucmd, sizeof(*cmd));
}

/* Turn the creation form of @cmd into initWithPhysicalMask's arguments. */
static int __iobmd_hot iobmd_ioctl_buf_spec(const struct iobmd_buf_create *cmd,
					    struct iobmd_buffer_spec *spec)
{
	const u32 known = IOBMD_BUF_CREATE_PHYS_MASK |
			  IOBMD_BUF_CREATE_WITH_BYTES |
			  IOBMD_BUF_CREATE_DMABUF;

	if (cmd->flags & ~known)
		return -EINVAL;
	if (!(cmd->flags & IOBMD_BUF_CREATE_DMABUF) && cmd->fd_flags)
		return -EINVAL;
	spec->options = cmd->options;
	spec->capacity = cmd->capacity;
	spec->alignment = cmd->alignment;
	spec->phys_mask = cmd->phys_mask;
	spec->export_slot = cmd->flags & IOBMD_BUF_CREATE_DMABUF;

	if (cmd->flags & IOBMD_BUF_CREATE_PHYS_MASK) {
		if (cmd->alignment || !cmd->phys_mask)
			return -EINVAL;
	} else if (cmd->phys_mask) {
		return -EINVAL;
	}

	if (cmd->flags & IOBMD_BUF_CREATE_WITH_BYTES) {
		if (cmd->flags & IOBMD_BUF_CREATE_PHYS_MASK || cmd->capacity ||
		    cmd->alignment || !cmd->bytes || !cmd->bytes_len)
			return -EINVAL;
		/* withBytes: capacity = length, alignment = min(length, page) */
		spec->capacity = cmd->bytes_len;
		spec->alignment = min_t(u64, cmd->bytes_len, PAGE_SIZE);
		return 0;
	}
	if (cmd->bytes || cmd->bytes_len)
		return -EINVAL;
	if (cmd->alignment > 1 && !is_power_of_2(cmd->alignment))
		return -EINVAL;
	return 0;
}

/*
 * IOBMD_BUF_CREATE - a new buffer descriptor in one of IOKit's forms.
 * Errors: EINVAL (unknown flag or option, capacity 0, alignment not a power
 * of two, a member the form does not use not 0), E2BIG (above max_capacity),
 * EPERM (contiguous beyond 4 MiB without CAP_IPC_LOCK), ENOMEM (no memory
 * meets the mask or alignment; below a limit inside a zone, without
 * CAP_IPC_LOCK, none the page allocator offers), EMFILE (max_handles or
 * user_descs reached), ENFILE (total_descs reached), EDQUOT (above
 * task_bytes, user_bytes, total_bytes, or the user's ZONE_DMA budget
 * user_zone_dma without CAP_SYS_RESOURCE), EFAULT, EINTR.  On any error no
 * handle exists afterwards, and a refused ZONE_DMA budget allocated
 * nothing when every page had to come from ZONE_DMA.  With
 * IOBMD_BUF_CREATE_DMABUF (a struct of ABI 1.1 size, else EINVAL) the
 * buffer gets a dma-buf instead of a handle: also EMFILE (no file
 * descriptor) and EINVAL (fd_flags).
 */
static int __iobmd_hot iobmd_ioctl_buf_create(struct iobmd_ucmd *ucmd)
{
	struct iobmd_buf_create *cmd = ucmd->cmd;
	struct iobmd_buffer_spec spec;
	struct iobmd_account *acct;
	struct iobmd_buffer *b;
	u64 done, bytes;
	int ret;

	ret = iobmd_ioctl_buf_spec(cmd, &spec);
	if (ret)
		return ret;
	/* The file descriptor is answered in a member of ABI 1.1. */
	if (cmd->flags & IOBMD_BUF_CREATE_DMABUF &&
	    ucmd->user_size < offsetofend(struct iobmd_buf_create, fd))
		return -EINVAL;
	/*
	 * What it will keep: its pages (an alignment takes no more), charged
	 * to the user's account before they are allocated; the buffer takes
	 * the charge over.
	 */
	acct = ucmd->file->acct;
	bytes = PAGE_ALIGN(min(spec.capacity, U64_MAX - PAGE_SIZE));
	spec.user = iobmd_account_reserve(acct, bytes);
	if (IS_ERR(spec.user))
		return PTR_ERR(spec.user);
	b = iobmd_buffer_create(&spec);
	if (IS_ERR(b)) {
		iobmd_account_unreserve(acct, spec.user, bytes);
		ret = PTR_ERR(b);
		goto out_user;
	}
	ret = iobmd_account_take(acct, spec.user, bytes, &b->desc);
	if (ret) {
		iobmd_desc_put(&b->desc);
		goto out_user;
	}
	/* The buffer holds the user's account now, and its charges. */

	if (cmd->flags & IOBMD_BUF_CREATE_WITH_BYTES) {
		iobmd_buffer_set_length(b, 0);
		ret = iobmd_buffer_append(b, u64_to_user_ptr(cmd->bytes),
					  cmd->bytes_len, &done);
		if (ret) {
			iobmd_desc_put(&b->desc);
			return ret;
		}
	}
	if (cmd->flags & IOBMD_BUF_CREATE_DMABUF) {
		cmd->handle = 0;
		return iobmd_ucmd_publish_dmabuf(ucmd, b, cmd->fd_flags,
						 &cmd->fd, sizeof(*cmd));
	}
	return iobmd_ucmd_publish_charged(ucmd, &b->desc, &cmd->handle,
					  sizeof(*cmd));

out_user:
	iobmd_account_user_put(acct, spec.user);
	return ret;
}

/*
 * IOBMD_RELEASE - drop a handle.
 * Errors: EINVAL (flags or reserved not 0), ENOENT (no such handle).
 */
static int iobmd_ioctl_release(struct iobmd_ucmd *ucmd)
{
	struct iobmd_handle_arg *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	return iobmd_file_remove(ucmd->file, cmd->handle);
}

/*
 * IOBMD_GET_INFO - kind, length, capacity, alignment, mask, options,
 * direction and tag.
 * Errors: EINVAL (flags or reserved not 0), ENOENT, EFAULT.
 */
static int iobmd_ioctl_get_info(struct iobmd_ucmd *ucmd)
{
	struct iobmd_info *cmd = ucmd->cmd;
	struct iobmd_buffer *b;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);

	mutex_lock(&d->lock);
	cmd->kind = d->kind;
	cmd->length = d->length;
	cmd->direction = d->direction;
	cmd->tag = d->tag;
	mutex_unlock(&d->lock);
	cmd->capacity = cmd->length;
	cmd->alignment = 1;
	cmd->phys_mask = 0;
	cmd->options = 0;
	b = iobmd_to_buffer(d);
	if (b) {
		cmd->capacity = b->capacity;
		cmd->alignment = b->alignment;
		cmd->phys_mask = b->phys_mask;
		cmd->options = b->options;
	}
	ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_SET_LENGTH - setLength(); above the capacity it is ignored.
 * Errors: EINVAL (flags or reserved not 0), ENOENT, ENOTTY (not a buffer),
 * EFAULT.
 */
static int iobmd_ioctl_set_length(struct iobmd_ucmd *ucmd)
{
	struct iobmd_set_arg *cmd = ucmd->cmd;
	struct iobmd_buffer *b;
	struct iobmd_desc *d;
	int ret = -ENOTTY;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	b = iobmd_to_buffer(d);
	if (b) {
		iobmd_buffer_set_length(b, cmd->value);
		cmd->value = iobmd_desc_length(d);
		ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_SET_DIRECTION - setDirection(); replaces the direction bits.
 * Errors: EINVAL (flags or reserved not 0, value above
 * IOBMD_DIRECTION_MASK), ENOENT, EFAULT.
 */
static int iobmd_ioctl_set_direction(struct iobmd_ucmd *ucmd)
{
	struct iobmd_set_arg *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->__reserved || cmd->value & ~IOBMD_DIRECTION_MASK)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	mutex_lock(&d->lock);
	d->direction = cmd->value;
	mutex_unlock(&d->lock);
	ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_SET_TAG - setTag().
 * Errors: EINVAL (flags or reserved not 0), ENOENT, EFAULT.
 */
static int iobmd_ioctl_set_tag(struct iobmd_ucmd *ucmd)
{
	struct iobmd_set_arg *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	mutex_lock(&d->lock);
	d->tag = cmd->value;
	mutex_unlock(&d->lock);
	ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_APPEND - appendBytes(); truncation at the capacity is not an error.
 * Errors: EINVAL (flags, reserved or offset not 0), ENOENT, ENOTTY (not a
 * buffer), EFAULT, EINTR (the length does not move).
 */
static int iobmd_ioctl_append(struct iobmd_ucmd *ucmd)
{
	struct iobmd_rw *cmd = ucmd->cmd;
	struct iobmd_buffer *b;
	struct iobmd_desc *d;
	int ret = -ENOTTY;

	if (cmd->flags || cmd->__reserved || cmd->offset)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	b = iobmd_to_buffer(d);
	if (b) {
		ret = iobmd_buffer_append(b, u64_to_user_ptr(cmd->buf),
					  cmd->len, &cmd->done);
		if (!ret)
			ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_READ / IOBMD_WRITE - readBytes() / writeBytes(): the range, or
 * through a composed descriptor the part of it from @offset up to the
 * first byte a piece no longer backs (@done says how much, maybe 0).
 * Errors: EINVAL (flags or reserved not 0), ENOENT, ERANGE (range
 * not inside the length), EFAULT, EINTR, EPERM (device memory or physical
 * RAM beneath, under lockdown or now busy; a page out of the direct map).
 */
static int iobmd_ioctl_rw(struct iobmd_ucmd *ucmd, bool write)
{
	struct iobmd_rw *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	u64 done;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	if (write)
		ret = iobmd_desc_write(d, cmd->offset,
				       u64_to_user_ptr(cmd->buf), cmd->len,
				       &done);
	else
		ret = iobmd_desc_read(d, cmd->offset,
				      u64_to_user_ptr(cmd->buf), cmd->len,
				      &done);
	if (!ret) {
		cmd->done = done;
		ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iobmd_desc_put(d);
	return ret;
}

static int iobmd_ioctl_read(struct iobmd_ucmd *ucmd)
{
	return iobmd_ioctl_rw(ucmd, false);
}

static int iobmd_ioctl_write(struct iobmd_ucmd *ucmd)
{
	return iobmd_ioctl_rw(ucmd, true);
}

/*
 * IOBMD_GET_SEGMENTS - physical or DMA segments of a range; CAP_SYS_ADMIN.
 * Errors: EINVAL (unknown flag), EPERM (also: as IOBMD_READ), ENOENT,
 * ERANGE, ENODATA (not prepared where it must be), EFAULT, EINTR.
 */
static int iobmd_ioctl_segments(struct iobmd_ucmd *ucmd)
{
	struct iobmd_segments *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags & ~IOBMD_SEGMENTS_DMA)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = iobmd_desc_segments(d, cmd->offset, cmd->len,
				  cmd->flags & IOBMD_SEGMENTS_DMA ?
				  IOBMD_WALK_DMA : 0,
				  u64_to_user_ptr(cmd->segs), cmd->count,
				  &cmd->count, &cmd->total);
	if (!ret)
		ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_MAP - an mmap cookie for a page-aligned range of the mapping.
 * Errors: EINVAL (unknown flag, reserved not 0, offset not page aligned,
 * posted-write or real-time cache mode),
 * ENOENT, ERANGE (range outside the mapping), ENODATA (length 0),
 * EOVERFLOW (mapping larger than the cookie space), ENOSPC (cookie space
 * full, or IOBMD_COOKIE_MAX_PER_HANDLE cookies on the handle), ENOMEM,
 * EFAULT, EPERM (as IOBMD_READ), and the errors of pinning user memory for a look at its layout.
 */
static int iobmd_ioctl_map(struct iobmd_ucmd *ucmd)
{
	struct iobmd_map *cmd = ucmd->cmd;
	unsigned long pgoff;
	struct iobmd_desc *d;
	u64 delta, size, end;
	bool created;
	int ret;

	if (cmd->flags & ~(IOBMD_MAP_READONLY | IOBMD_MAP_CACHE_MASK) ||
	    cmd->__reserved || !PAGE_ALIGNED(cmd->offset))
		return -EINVAL;
	/* Modes no memory can be mapped with; the rest mmap() checks. */
	switch (cmd->flags & IOBMD_MAP_CACHE_MASK) {
	case IOBMD_CACHE_POSTED_WRITE:
	case IOBMD_CACHE_REAL_TIME:
		return -EINVAL;
	}
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);

	ret = iobmd_desc_map_layout(d, &delta, &size);
	if (ret)
		goto out_put;
	ret = -ERANGE;
	if (cmd->offset >= size)
		goto out_put;
	if (!cmd->len)
		cmd->len = size - cmd->offset;
	if (check_add_overflow(cmd->offset, cmd->len, &end) || end > size)
		goto out_put;

	ret = iobmd_file_map(ucmd->file, cmd->handle, d, cmd->flags, size,
			     &pgoff, &created);
	if (ret)
		goto out_put;
	cmd->cookie = ((u64)pgoff << PAGE_SHIFT) + cmd->offset;
	cmd->addr_offset = delta;
	cmd->extent = size;
	cmd->length = iobmd_desc_length(d);
	ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret && created)
		iobmd_file_unmap(ucmd->file, pgoff);
out_put:
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_GENERAL_CREATE - describe user or physical memory.
 * Errors: EINVAL (unknown flag or option, count 0, empty or wrapping range,
 * physical range not RAM or naming a free page), E2BIG (count), EPERM
 * (physical: without CAP_SYS_RAWIO, without the unsafe_phys_ram parameter,
 * under lockdown, or a page out of the direct map such as memfd_secret's),
 * EFAULT, EOVERFLOW, EMFILE, ENOMEM, EINTR.
 */
static int iobmd_ioctl_general_create(struct iobmd_ucmd *ucmd)
{
	struct iobmd_general_create *cmd = ucmd->cmd;
	bool physical = cmd->flags & IOBMD_GENERAL_PHYSICAL;
	struct iobmd_range *ranges;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags & ~IOBMD_GENERAL_PHYSICAL || cmd->__reserved ||
	    cmd->options & ~IOBMD_DIRECTION_MASK || !cmd->count)
		return -EINVAL;
	if (cmd->count > IOBMD_GENERAL_MAX_RANGES)
		return -E2BIG;
	if (physical && !capable(CAP_SYS_RAWIO))
		return -EPERM;
	ret = iobmd_ucmd_may_create(ucmd, 0);
	if (ret)
		return ret;
	ranges = kmalloc_array(cmd->count, sizeof(*ranges), GFP_KERNEL_ACCOUNT);
	if (!ranges)
		return -ENOMEM;
	if (copy_from_user(ranges, u64_to_user_ptr(cmd->ranges),
			   cmd->count * sizeof(*ranges))) {
		kfree(ranges);
		return -EFAULT;
	}
	d = iobmd_general_create_user(ranges, cmd->count, cmd->options,
				      physical);
	kfree(ranges);
	if (IS_ERR(d))
		return PTR_ERR(d);
	return iobmd_ucmd_publish(ucmd, d, &cmd->handle, sizeof(*cmd));
}

/*
 * IOBMD_SUB_CREATE - a window of another descriptor.
 * Errors: EINVAL (flags or reserved not 0, bad direction, length 0),
 * ENOENT, ERANGE, ELOOP, E2BIG (the work bound: see iobmd_multi_create()),
 * EMFILE, ENOMEM, EFAULT.
 */
static int iobmd_ioctl_sub_create(struct iobmd_ucmd *ucmd)
{
	struct iobmd_sub_create *cmd = ucmd->cmd;
	struct iobmd_desc *parent, *d;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	ret = iobmd_ucmd_may_create(ucmd, 0);
	if (ret)
		return ret;
	parent = iobmd_ucmd_desc(ucmd, cmd->parent);
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	d = iobmd_sub_create(parent, cmd->offset, cmd->length, cmd->direction);
	iobmd_desc_put(parent);
	if (IS_ERR(d))
		return PTR_ERR(d);
	return iobmd_ucmd_publish(ucmd, d, &cmd->handle, sizeof(*cmd));
}

/*
 * IOBMD_MULTI_CREATE - a concatenation of descriptors.
 * Errors: EINVAL (flags or reserved not 0, count 0, bad direction, a piece
 * of another direction or of length 0), E2BIG (count, length above
 * max_capacity, more than IOBMD_COMPOSE_MAX_VISITS visits), ENOENT, ELOOP,
 * EOVERFLOW, EMFILE, ENOMEM, EFAULT.
 */
static int iobmd_ioctl_multi_create(struct iobmd_ucmd *ucmd)
{
	struct iobmd_multi_create *cmd = ucmd->cmd;
	struct iobmd_desc **pieces, *d;
	u32 *handles, i;
	int ret = 0;

	if (cmd->flags || cmd->__reserved || !cmd->count)
		return -EINVAL;
	if (cmd->count > IOBMD_MULTI_MAX_PIECES)
		return -E2BIG;
	ret = iobmd_ucmd_may_create(ucmd, 0);
	if (ret)
		return ret;
	handles = kmalloc_array(cmd->count, sizeof(*handles), GFP_KERNEL);
	pieces = kcalloc(cmd->count, sizeof(*pieces), GFP_KERNEL);
	if (!handles || !pieces) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (copy_from_user(handles, u64_to_user_ptr(cmd->handles),
			   cmd->count * sizeof(*handles))) {
		ret = -EFAULT;
		goto out_free;
	}
	for (i = 0; i < cmd->count; i++) {
		pieces[i] = iobmd_ucmd_desc(ucmd, handles[i]);
		if (IS_ERR(pieces[i])) {
			ret = PTR_ERR(pieces[i]);
			pieces[i] = NULL;
			goto out_put;
		}
	}
	d = iobmd_multi_create(pieces, cmd->count, cmd->direction);
	if (IS_ERR(d))
		ret = PTR_ERR(d);
	else
		ret = iobmd_ucmd_publish(ucmd, d, &cmd->handle, sizeof(*cmd));
out_put:
	for (i = 0; i < cmd->count && pieces[i]; i++)
		iobmd_desc_put(pieces[i]);
out_free:
	kfree(pieces);
	kfree(handles);
	return ret;
}

/*
 * IOBMD_INTERLEAVED_CREATE - an empty interleaved descriptor.
 * Errors: EINVAL (flags or reserved not 0, capacity 0, bad direction),
 * E2BIG (capacity), EMFILE, ENOMEM, EFAULT.
 */
static int iobmd_ioctl_interleaved_create(struct iobmd_ucmd *ucmd)
{
	struct iobmd_interleaved_create *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (cmd->capacity > IOBMD_INTERLEAVED_MAX_PIECES)
		return -E2BIG;
	ret = iobmd_ucmd_may_create(ucmd, 0);
	if (ret)
		return ret;
	d = iobmd_interleaved_create(cmd->capacity, cmd->direction);
	if (IS_ERR(d))
		return PTR_ERR(d);
	return iobmd_ucmd_publish(ucmd, d, &cmd->handle, sizeof(*cmd));
}

/*
 * IOBMD_INTERLEAVED_SET - append a piece.
 * Errors: EINVAL (flags not 0, not interleaved, length 0), ENOENT, EBUSY,
 * ENOSPC, ERANGE, ELOOP, EOVERFLOW, E2BIG (the work bound: see
 * iobmd_interleaved_set()).
 */
static int iobmd_ioctl_interleaved_set(struct iobmd_ucmd *ucmd)
{
	struct iobmd_interleaved_set *cmd = ucmd->cmd;
	struct iobmd_desc *d, *piece;
	int ret;

	if (cmd->flags)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	piece = iobmd_ucmd_desc(ucmd, cmd->piece);
	if (IS_ERR(piece)) {
		iobmd_desc_put(d);
		return PTR_ERR(piece);
	}
	ret = iobmd_interleaved_set(d, piece, cmd->offset, cmd->length);
	iobmd_desc_put(piece);
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_INTERLEAVED_CLEAR - drop every piece; value is the new direction
 * (None keeps it).
 * Errors: EINVAL (flags or reserved not 0, bad direction, not
 * interleaved), ENOENT, EBUSY.
 */
static int iobmd_ioctl_interleaved_clear(struct iobmd_ucmd *ucmd)
{
	struct iobmd_set_arg *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->__reserved || cmd->value > U32_MAX)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = iobmd_interleaved_clear(d, cmd->value);
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_DEVICE_CREATE - describe an MMIO range; CAP_SYS_RAWIO.
 * Errors: EINVAL (flags or reserved not 0, empty, wrapping, touches System
 * RAM), EPERM (no CAP_SYS_RAWIO, lockdown, a page of the range busy or
 * exclusive MMIO), ENOMEM, EMFILE, EFAULT.
 */
static int iobmd_ioctl_device_create(struct iobmd_ucmd *ucmd)
{
	struct iobmd_device_create *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	ret = iobmd_ucmd_may_create(ucmd, 0);
	if (ret)
		return ret;
	d = iobmd_device_create_user(cmd->phys, cmd->length);
	if (IS_ERR(d))
		return PTR_ERR(d);
	return iobmd_ucmd_publish(ucmd, d, &cmd->handle, sizeof(*cmd));
}

/*
 * IOBMD_EXPORT_DMABUF - a dma-buf of a range of a descriptor.  The file
 * descriptor is installed only once the answer is written back.
 * Errors: EINVAL (flags or reserved not 0, unknown fd_flags, offset not
 * page-aligned or the memory not starting a page there or at its first
 * byte, pieces that do not line up or mix RAM, device and foreign memory),
 * ENOENT, ERANGE, ENODATA, EFAULT, ENOMEM, EPERM, EINTR, EMFILE.
 */
static int iobmd_ioctl_export_dmabuf(struct iobmd_ucmd *ucmd)
{
	struct iobmd_export_dmabuf *cmd = ucmd->cmd;
	struct dma_buf *dmabuf;
	struct iobmd_desc *d;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	dmabuf = iobmd_desc_export_dmabuf(d, cmd->offset, cmd->length,
					  cmd->fd_flags);
	iobmd_desc_put(d);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	return iobmd_ucmd_install_dmabuf(ucmd, dmabuf, cmd->fd_flags,
					 &cmd->fd, sizeof(*cmd));
}

#define IOBMD_PREPARE_BITS (IOBMD_DIRECTION_MASK | IOBMD_PREPARE_PHYS32 | \
			    IOBMD_PREPARE_NO_FAULT | IOBMD_PREPARE_NON_COHERENT)
#define IOBMD_COMPLETE_BITS (IOBMD_DIRECTION_MASK | \
			     IOBMD_COMPLETE_WITH_ERROR | \
			     IOBMD_COMPLETE_WITH_DATA_VALID)

/*
 * IOBMD_PREPARE - prepare(direction) through a handle.
 * Errors: EINVAL (flags not 0, unknown direction bits), ENOENT, EBUSY,
 * EFAULT, ENOMEM, EACCES, EPERM, EINTR, ERANGE, EOVERFLOW (prepared
 * IOBMD_PREPARE_MAX deep).
 */
static int iobmd_ioctl_prepare(struct iobmd_ucmd *ucmd)
{
	struct iobmd_prepare *cmd = ucmd->cmd;

	if (cmd->flags || cmd->direction & ~IOBMD_PREPARE_BITS)
		return -EINVAL;
	return iobmd_file_prepare(ucmd->file, cmd->handle, cmd->direction);
}

/*
 * IOBMD_COMPLETE - complete() one prepare made through this handle.
 * Errors: EINVAL (flags not 0, unknown bits, nothing prepared through this
 * handle), ENOENT.
 */
static int iobmd_ioctl_complete(struct iobmd_ucmd *ucmd)
{
	struct iobmd_prepare *cmd = ucmd->cmd;

	if (cmd->flags || cmd->direction & ~IOBMD_COMPLETE_BITS)
		return -EINVAL;
	return iobmd_file_complete(ucmd->file, cmd->handle);
}

/*
 * IOBMD_PERFORM - performOperation(): DMA cache maintenance of a range.
 * Errors: EINVAL (flags not 0, unknown op), EACCES (INVALIDATE of
 * read-only memory), ENOENT, ERANGE, ENODATA,
 * EOPNOTSUPP (non-coherent DMA behind bounce buffers), EINTR.
 */
static int iobmd_ioctl_perform(struct iobmd_ucmd *ucmd)
{
	struct iobmd_perform *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->op < IOBMD_OP_FLUSH ||
	    cmd->op > IOBMD_OP_INVALIDATE)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = iobmd_desc_perform(d, cmd->op, cmd->offset, cmd->len);
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_SET_PURGEABLE - setPurgeable(value); value returns the old state.
 * Errors: EINVAL (flags or reserved not 0, unknown state), ENOENT,
 * EOPNOTSUPP (nothing purgeable, or memory of an imported dma-buf
 * beneath: its purgeable state is the exporter's), EFAULT, EINTR, ENOMEM.
 */
static int iobmd_ioctl_set_purgeable(struct iobmd_ucmd *ucmd)
{
	struct iobmd_set_arg *cmd = ucmd->cmd;
	struct iobmd_desc *d;
	u32 old;
	int ret;

	if (cmd->flags || cmd->__reserved || cmd->value > U32_MAX)
		return -EINVAL;
	d = iobmd_ucmd_desc(ucmd, cmd->handle);
	if (IS_ERR(d))
		return PTR_ERR(d);
	ret = iobmd_desc_set_purgeable(d, cmd->value, &old);
	if (!ret) {
		cmd->value = old;
		ret = iobmd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iobmd_desc_put(d);
	return ret;
}

/*
 * IOBMD_IMPORT_DMABUF - a descriptor over a dma-buf of any exporter; the
 * caller may close the dma-buf's file afterwards.
 * Errors: EINVAL (flags or reserved not 0, bad direction, an empty
 * dma-buf), EBADF (fd not open, or not a dma-buf), EMFILE (max_handles
 * or user_descs reached), ENFILE (total_descs reached), ENOMEM, EFAULT;
 * for a dma-buf iobmd exported (a sub-range of its descriptor), also
 * those of IOBMD_SUB_CREATE: ERANGE (the descriptor is now shorter than
 * what was exported), ELOOP, E2BIG.
 */
static int iobmd_ioctl_import_dmabuf(struct iobmd_ucmd *ucmd)
{
	struct iobmd_import_dmabuf *cmd = ucmd->cmd;
	struct dma_buf *dmabuf;
	struct iobmd_desc *d;
	int ret;

	if (cmd->flags || cmd->__reserved ||
	    cmd->direction & ~IOBMD_DIRECTION_MASK)
		return -EINVAL;
	ret = iobmd_ucmd_may_create(ucmd, 0);
	if (ret)
		return ret;
	dmabuf = dma_buf_get(cmd->fd);
	if (IS_ERR(dmabuf))
		/* dma_buf_get() tells an open file of another kind by EINVAL. */
		return PTR_ERR(dmabuf) == -EINVAL ? -EBADF : PTR_ERR(dmabuf);
	d = iobmd_desc_from_dmabuf(dmabuf, cmd->direction);
	dma_buf_put(dmabuf);
	if (IS_ERR(d))
		return PTR_ERR(d);
	return iobmd_ucmd_publish(ucmd, d, &cmd->handle, sizeof(*cmd));
}

union iobmd_ucmd_buffer {
	struct iobmd_version version;
	struct iobmd_buf_create buf_create;
	struct iobmd_handle_arg handle;
	struct iobmd_info info;
	struct iobmd_set_arg set;
	struct iobmd_rw rw;
	struct iobmd_segments segments;
	struct iobmd_map map;
	struct iobmd_general_create general;
	struct iobmd_sub_create sub;
	struct iobmd_multi_create multi;
	struct iobmd_interleaved_create interleaved;
	struct iobmd_interleaved_set interleaved_set;
	struct iobmd_device_create device;
	struct iobmd_prepare prepare;
	struct iobmd_perform perform;
	struct iobmd_export_dmabuf export_dmabuf;
	struct iobmd_import_dmabuf import_dmabuf;
};

/*
 * @changes: the command changes something and then writes its struct
 * back; the dispatcher writes the struct back as it came before running
 * it, so that one in read-only memory fails before the change (a command
 * that fails changes nothing).  Commands that create answer before they
 * install the new handle.
 */
struct iobmd_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	bool changes;
	int (*execute)(struct iobmd_ucmd *ucmd);
};

#define __IOBMD_IOCTL_OP(_ioctl, _fn, _struct, _last, _changes)	\
	{								\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union iobmd_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.changes = _changes,					\
		.execute = _fn,						\
	}
#define IOBMD_IOCTL_OP(_ioctl, _fn, _struct, _last)			\
	__IOBMD_IOCTL_OP(_ioctl, _fn, _struct, _last, false)
#define IOBMD_IOCTL_OP_CHANGES(_ioctl, _fn, _struct, _last)		\
	__IOBMD_IOCTL_OP(_ioctl, _fn, _struct, _last, true)

static const struct iobmd_ioctl_op iobmd_ioctl_ops[] = {
	IOBMD_IOCTL_OP(IOBMD_GET_VERSION, iobmd_ioctl_version,
		       struct iobmd_version, max_capacity),
	IOBMD_IOCTL_OP(IOBMD_BUF_CREATE, iobmd_ioctl_buf_create,
		       struct iobmd_buf_create, bytes_len),
	IOBMD_IOCTL_OP(IOBMD_RELEASE, iobmd_ioctl_release,
		       struct iobmd_handle_arg, __reserved),
	IOBMD_IOCTL_OP(IOBMD_GET_INFO, iobmd_ioctl_get_info,
		       struct iobmd_info, __reserved),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_SET_LENGTH, iobmd_ioctl_set_length,
			       struct iobmd_set_arg, value),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_SET_DIRECTION, iobmd_ioctl_set_direction,
			       struct iobmd_set_arg, value),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_SET_TAG, iobmd_ioctl_set_tag,
			       struct iobmd_set_arg, value),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_APPEND, iobmd_ioctl_append,
			       struct iobmd_rw, done),
	IOBMD_IOCTL_OP(IOBMD_READ, iobmd_ioctl_read, struct iobmd_rw, done),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_WRITE, iobmd_ioctl_write,
			       struct iobmd_rw, done),
	IOBMD_IOCTL_OP(IOBMD_GET_SEGMENTS, iobmd_ioctl_segments,
		       struct iobmd_segments, total),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_MAP, iobmd_ioctl_map, struct iobmd_map,
			       extent),
	IOBMD_IOCTL_OP(IOBMD_GENERAL_CREATE, iobmd_ioctl_general_create,
		       struct iobmd_general_create, __reserved),
	IOBMD_IOCTL_OP(IOBMD_SUB_CREATE, iobmd_ioctl_sub_create,
		       struct iobmd_sub_create, length),
	IOBMD_IOCTL_OP(IOBMD_MULTI_CREATE, iobmd_ioctl_multi_create,
		       struct iobmd_multi_create, __reserved),
	IOBMD_IOCTL_OP(IOBMD_INTERLEAVED_CREATE,
		       iobmd_ioctl_interleaved_create,
		       struct iobmd_interleaved_create, __reserved),
	IOBMD_IOCTL_OP(IOBMD_INTERLEAVED_SET, iobmd_ioctl_interleaved_set,
		       struct iobmd_interleaved_set, length),
	IOBMD_IOCTL_OP(IOBMD_INTERLEAVED_CLEAR, iobmd_ioctl_interleaved_clear,
		       struct iobmd_set_arg, value),
	IOBMD_IOCTL_OP(IOBMD_DEVICE_CREATE, iobmd_ioctl_device_create,
		       struct iobmd_device_create, length),
	IOBMD_IOCTL_OP(IOBMD_PREPARE, iobmd_ioctl_prepare,
		       struct iobmd_prepare, direction),
	IOBMD_IOCTL_OP(IOBMD_COMPLETE, iobmd_ioctl_complete,
		       struct iobmd_prepare, direction),
	IOBMD_IOCTL_OP(IOBMD_PERFORM, iobmd_ioctl_perform,
		       struct iobmd_perform, len),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_SET_PURGEABLE, iobmd_ioctl_set_purgeable,
			       struct iobmd_set_arg, value),
	IOBMD_IOCTL_OP_CHANGES(IOBMD_EXPORT_DMABUF, iobmd_ioctl_export_dmabuf,
			       struct iobmd_export_dmabuf, __reserved),
	IOBMD_IOCTL_OP(IOBMD_IMPORT_DMABUF, iobmd_ioctl_import_dmabuf,
		       struct iobmd_import_dmabuf, __reserved),
};

/**
 * iobmd_ioctl() - the ioctl file operation of /dev/iobmd
 * @file: the open file
 * @cmd: an IOBMD_* command
 * @arg: user pointer to the command's struct
 *
 * Errors common to every command: ENOTTY (unknown command), EFAULT (the
 * struct cannot be read or written), EINVAL (size below the command's
 * version-1 struct), E2BIG (larger struct with non-zero bytes past it, or
 * a size above IOBMD_UCMD_MAX_SIZE whatever the bytes).
 *
 * Return: 0 or a negative errno.
 */
long __iobmd_hot iobmd_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	const struct iobmd_ioctl_op *op;
	union iobmd_ucmd_buffer buf;
	struct iobmd_ucmd ucmd = {
		.file = file->private_data,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	int ret;

	for (op = iobmd_ioctl_ops; op->ioctl_num != cmd; op++)
		if (op == &iobmd_ioctl_ops[ARRAY_SIZE(iobmd_ioctl_ops) - 1])
			return -ENOTTY;

	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	/* Checking a tail for zeros costs work: a struct is at most a page. */
	if (ucmd.user_size > IOBMD_UCMD_MAX_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	if (op->changes) {
		ret = iobmd_ucmd_respond(&ucmd, op->size);
		if (ret)
			return ret;
	}
	/* The most frequent command, buffer creation, without an indirect call. */
	return INDIRECT_CALL_1(op->execute, iobmd_ioctl_buf_create, &ucmd);
}

// SPDX-License-Identifier: MIT
/*
 * libiobmd: mapping a descriptor's bytes into the process, with one
 * command and one mmap().
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static uint64_t iobmd_page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * IOBMD_WHERE_LENGTH: checks [@offset, @offset + *@length) against the
 * descriptor's length, which IOBMD_MAP answers from ABI 1.2 on (a module
 * of 1.1 leaves it 0: then one IOBMD_GET_INFO more), and makes *@length 0
 * reach it.
 */
static int iobmd_map_length(struct iobmd_dev *dev, iobmd_handle handle,
			    const struct iobmd_map *m, uint64_t offset,
			    uint64_t *length)
{
	struct iobmd_info i = { .handle = handle };
	uint64_t len = m->length;
	int ret;

	if (!len) {
		ret = IOBMD_CMD(dev, IOBMD_GET_INFO, &i);
		if (ret)
			return ret;
		len = i.length;
	}
	if (offset > len)
		return -ERANGE;
	if (!*length)
		*length = len - offset;
	if (!*length)
		return -ENODATA;
	if (*length > len - offset)
		return -ERANGE;
	return 0;
}

/*
 * One IOBMD_MAP and one mmap().  *@unpinned tells the module's -ENODATA
 * (user memory nothing has pinned, or nothing to map) from the library's
 * own (IOBMD_WHERE_LENGTH).
 */
static int iobmd_map_once(struct iobmd_dev *dev, iobmd_handle handle,
			  uint64_t offset, uint64_t length, uint32_t flags,
			  void *at, uint32_t where, void **addr,
			  uint64_t *mapped, int *unpinned)
{
	/* The whole mapping's cookie: any page of it maps from cookie + its offset. */
	struct iobmd_map m = { .flags = flags, .handle = handle };
	uint64_t page = iobmd_page_size(), start, end, first, last;
	int prot = PROT_READ, mflags = MAP_SHARED;
	void *p;
	int ret;

	if (where & IOBMD_WHERE_FIXED)
		mflags |= MAP_FIXED_NOREPLACE;
	if (where & IOBMD_WHERE_POPULATE)
		mflags |= MAP_POPULATE;
	ret = IOBMD_CMD(dev, IOBMD_MAP, &m);
	if (ret) {
		*unpinned = ret == -ENODATA;
		return ret;
	}
	if (where & IOBMD_WHERE_LENGTH) {
		ret = iobmd_map_length(dev, handle, &m, offset, &length);
		if (ret)
			return ret;
	}
	/* The descriptor's byte 0 lies @addr_offset into the mapping. */
	if (__builtin_add_overflow(m.addr_offset, offset, &start) ||
	    start > m.extent)
		return -ERANGE;
	if (!length)
		length = m.extent - start;
	if (!length)
		return -ENODATA;
	if (__builtin_add_overflow(start, length, &end) || end > m.extent)
		return -ERANGE;
	first = start & ~(page - 1);
	last = (end + page - 1) & ~(page - 1);
	if (!(flags & IOBMD_MAP_READONLY))
		prot |= PROT_WRITE;
	p = mmap(at, last - first, prot, mflags, dev->fd,
		 (off_t)(m.cookie + first));
	if (p == MAP_FAILED) {
		ret = -errno;
		/* Unpinned between the command and the mmap(). */
		*unpinned = ret == -ENODATA;
		return ret;
	}
	/* A kernel that does not know MAP_FIXED_NOREPLACE takes it as a hint. */
	if ((where & IOBMD_WHERE_FIXED) && p != at) {
		munmap(p, last - first);
		return -EEXIST;
	}
	*addr = (char *)p + (start - first);
	*mapped = length;
	return 0;
}

/*
 * IOBMD_WHERE_PIN: user memory nothing has pinned cannot be pinned by
 * mmap() (it would fault pages in under mmap_lock), so a prepare through
 * the handle pins it while the mapping is made.  The mapping takes a pin
 * of its own, as every copy of it (fork()) does, so the prepare is
 * completed at once and nothing of it is seen afterwards.  The pin is for
 * writing, so that the descriptor stays as usable as it was (writeBytes,
 * a prepare for either direction); a read-only mapping of memory the
 * process cannot write takes a pin for reading instead.
 */
static int iobmd_map_pinned(struct iobmd_dev *dev, iobmd_handle handle,
			    uint64_t offset, uint64_t length, uint32_t flags,
			    void *at, uint32_t where, void **addr,
			    uint64_t *mapped)
{
	int unpinned = 0;
	int ret;

	ret = iobmd_prepare(dev, handle, IOBMD_DIRECTION_INOUT);
	if ((ret == -EFAULT || ret == -EACCES) && (flags & IOBMD_MAP_READONLY))
		ret = iobmd_prepare(dev, handle, IOBMD_DIRECTION_OUT);
	if (ret)
		return ret;
	ret = iobmd_map_once(dev, handle, offset, length, flags, at, where,
			     addr, mapped, &unpinned);
	/*
	 * Fails only if the handle was released meanwhile, which completed
	 * the prepare itself.
	 */
	(void)iobmd_complete(dev, handle, 0);
	return ret;
}

IOBMD_EXPORT int iobmd_map_at(struct iobmd_dev *dev, iobmd_handle handle,
			      uint64_t offset, uint64_t length, uint32_t flags,
			      void *at, uint32_t where, void **addr,
			      uint64_t *mapped)
{
	uint64_t page = iobmd_page_size();
	int unpinned = 0;
	int ret;

	if (!addr || !mapped ||
	    (where & ~(uint32_t)(IOBMD_WHERE_FIXED | IOBMD_WHERE_POPULATE |
				 IOBMD_WHERE_LENGTH | IOBMD_WHERE_PIN)))
		return -EINVAL;
	if ((where & IOBMD_WHERE_FIXED) &&
	    (!at || ((uintptr_t)at & (page - 1))))
		return -EINVAL;
	ret = iobmd_map_once(dev, handle, offset, length, flags, at, where,
			     addr, mapped, &unpinned);
	if (ret == -ENODATA && unpinned && (where & IOBMD_WHERE_PIN))
		ret = iobmd_map_pinned(dev, handle, offset, length, flags, at,
				       where, addr, mapped);
	return ret;
}

IOBMD_EXPORT int iobmd_map(struct iobmd_dev *dev, iobmd_handle handle,
			   uint64_t offset, uint64_t length, uint32_t flags,
			   void **addr, uint64_t *mapped)
{
	return iobmd_map_at(dev, handle, offset, length, flags, NULL, 0, addr,
			    mapped);
}

IOBMD_EXPORT int iobmd_unmap(void *addr, uint64_t length)
{
	uint64_t page = iobmd_page_size();
	uintptr_t first = (uintptr_t)addr & ~(uintptr_t)(page - 1);
	uint64_t last;

	if (!addr || !length ||
	    __builtin_add_overflow((uint64_t)(uintptr_t)addr, length, &last))
		return -EINVAL;
	last = (last + page - 1) & ~(page - 1);
	return munmap((void *)first, last - first) ? -errno : 0;
}

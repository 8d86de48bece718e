/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * iobmd - IOKit memory descriptors for Linux: the /dev/iobmd ABI.
 *
 * Every command is _IO(IOBMD_TYPE, nr) and takes a pointer to a struct
 * whose first member, @size, is the number of bytes userspace passes.
 * The kernel accepts any @size from the end of the struct's last
 * version-1 member up to the page size: a larger struct must be zero past
 * what the kernel knows (else -E2BIG), a smaller one gets -EINVAL, and
 * one above a page gets -E2BIG whatever it holds.  Every @flags bit and
 * option bit the kernel does not know, and every non-zero reserved
 * member, gets -EINVAL.  A bad pointer gets -EFAULT; an unknown command
 * gets -ENOTTY.  A command that fails changes nothing, with one exception:
 * an IOBMD_WRITE whose source faults part way (-EFAULT, -EINTR) has
 * written the bytes before the fault.
 *
 * Handles are small positive integers private to one open file of
 * /dev/iobmd (the "task"); closing the file releases every handle it
 * holds.  They are allocated cyclically: a released handle is not handed
 * out again until the numbers up to the file's max_handles have been
 * used, so a stale handle fails with ENOENT rather than naming the next
 * descriptor.  Mappings and sub-objects keep what they use alive on their
 * own.
 *
 * The layout is the same for 32- and 64-bit callers, mmap() cookies
 * included: every cookie lies below 2^44, which mmap2()'s 32-bit page
 * offset reaches (32-bit callers pass it as a 64-bit off_t: mmap64(), or
 * _FILE_OFFSET_BITS=64).
 *
 * The numeric values of options and directions are IOKit's, so ported
 * code keeps its constants.
 */
#ifndef _UAPI_IOBMD_H
#define _UAPI_IOBMD_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define IOBMD_ABI_MAJOR		1
#define IOBMD_ABI_MINOR		2

#define IOBMD_TYPE		0xB6

/* IODirection (IOKit values). */
#define IOBMD_DIRECTION_NONE		0x0
#define IOBMD_DIRECTION_IN		0x1	/* device writes memory */
#define IOBMD_DIRECTION_OUT		0x2	/* device reads memory */
#define IOBMD_DIRECTION_INOUT		0x3
#define IOBMD_DIRECTION_MASK		0x3

/*
 * IOOptionBits accepted when creating a buffer (IOKit values).  Each has
 * an effect, or asks for what every buffer has here; IOBMD_GET_INFO
 * reports the options in force.
 *
 * - PHYSICALLY_CONTIGUOUS, HOST_PHYSICALLY_CONTIGUOUS: one contiguous run
 *   of RAM (no I/O mapper stands between the two meanings here).
 * - PAGEABLE: accepted, since IOKit requires it of buffers for user tasks,
 *   but never in force: every buffer is wired, allocated and resident from
 *   creation to its last release, so IOBMD_GET_INFO never reports it.
 * - PURGEABLE: allows IOBMD_SET_PURGEABLE.
 * - CACHE_MASK: the cache mode of the kernel's and every user mapping.
 * - MAPPER_NONE, HOST_ONLY: no I/O-mapper (IOMMU) mapping; none is ever
 *   made for a buffer of /dev/iobmd (XNU treats HostOnly as MapperNone
 *   too), so both always hold.
 * - KERNEL_USER_SHARED: at least page alignment, whole pages.
 * - THREAD_SAFE: always holds: every command serialises on the
 *   descriptor's own locks.
 * - CLEAR_ENCRYPT: holds where the platform encrypts no memory; where it
 *   does (AMD SEV, Intel TDX guests) the buffer is refused, EOPNOTSUPP.
 * - USE_RESERVE: refused (EINVAL): XNU takes such memory from a reserved
 *   pool; Linux's reserves are not for processes to drain.
 */
#define IOBMD_OPT_PHYSICALLY_CONTIGUOUS		0x00000010
#define IOBMD_OPT_PAGEABLE			0x00000020
#define IOBMD_OPT_PURGEABLE			0x00000040
#define IOBMD_OPT_HOST_PHYSICALLY_CONTIGUOUS	0x00000080
#define IOBMD_OPT_CACHE_MASK			0x00000700
#define IOBMD_OPT_MAPPER_NONE			0x00000800
#define IOBMD_OPT_HOST_ONLY			0x00001000
#define IOBMD_OPT_KERNEL_USER_SHARED		0x00010000
#define IOBMD_OPT_SHARING_MASK			0x000f0000
#define IOBMD_OPT_THREAD_SAFE			0x00100000
#define IOBMD_OPT_CLEAR_ENCRYPT			0x00200000
#define IOBMD_OPT_USE_RESERVE			0x00800000	/* refused */

/* Cache modes inside IOBMD_OPT_CACHE_MASK (kIOMapCacheMask values). */
#define IOBMD_CACHE_DEFAULT		0x000
#define IOBMD_CACHE_INHIBIT		0x100
#define IOBMD_CACHE_WRITE_THRU		0x200
#define IOBMD_CACHE_COPYBACK		0x300
#define IOBMD_CACHE_WRITE_COMBINE	0x400
#define IOBMD_CACHE_COPYBACK_INNER	0x500
#define IOBMD_CACHE_POSTED_WRITE	0x600
#define IOBMD_CACHE_REAL_TIME		0x700

/*
 * prepare() and complete() modifiers (IOKit values).
 *
 * - PREPARE_PHYS32: the memory lies below 4 GiB, for a 32-bit device that
 *   sees physical addresses: it must have been placed there (a buffer with
 *   a physical mask at or below 4 GiB, device or physical memory there,
 *   or descriptors built only of such), whatever its pages happen to be;
 *   else ERANGE.  Nothing is moved or bounced.
 * - PREPARE_NO_FAULT: fault nothing in: user memory that is not pinned
 *   already (by a prepare, or a mapping) fails with ENODATA; wired memory
 *   (buffers, device and physical memory) never faults.
 * - PREPARE_NON_COHERENT: always holds: a prepare hands the CPU's caches
 *   to the device as the DMA API's mapping does on every prepare.
 * - COMPLETE_WITH_ERROR, COMPLETE_WITH_DATA_VALID: accepted and change
 *   nothing: user pages a device may have written are marked dirty when
 *   the last prepare is completed, whatever the outcome (XNU drops them
 *   on error; on Linux they are the process's own pages and are kept),
 *   and they are the process's own pages throughout, which is what
 *   DataValid asks.
 */
#define IOBMD_PREPARE_PHYS32		0x04	/* placed below 4 GiB */
#define IOBMD_PREPARE_NO_FAULT		0x08
#define IOBMD_PREPARE_NON_COHERENT	0x20
#define IOBMD_COMPLETE_WITH_ERROR	0x40
#define IOBMD_COMPLETE_WITH_DATA_VALID	0x80

/* setPurgeable() states (IOKit values). */
#define IOBMD_PURGEABLE_KEEP_CURRENT	1
#define IOBMD_PURGEABLE_NON_VOLATILE	2
#define IOBMD_PURGEABLE_VOLATILE	3
#define IOBMD_PURGEABLE_EMPTY		4

/* performOperation() operations. */
#define IOBMD_OP_FLUSH		1	/* kIOMemoryIncoherentIOFlush: to device */
#define IOBMD_OP_STORE		2	/* kIOMemoryIncoherentIOStore: to device */
#define IOBMD_OP_INVALIDATE	3	/* device's writes become the CPU's */

/* Descriptor kinds reported by IOBMD_GET_INFO. */
enum iobmd_kind {
	IOBMD_KIND_BUFFER = 1,
	IOBMD_KIND_GENERAL = 2,
	IOBMD_KIND_SUB = 3,
	IOBMD_KIND_MULTI = 4,
	IOBMD_KIND_INTERLEAVED = 5,
	IOBMD_KIND_DEVICE = 6,
	IOBMD_KIND_DMABUF = 7,	/* another exporter's dma-buf */
};

/* Feature bits reported by IOBMD_GET_VERSION. */
#define IOBMD_FEATURE_BUFFER		0x1ULL
#define IOBMD_FEATURE_PHYS_MASK		0x2ULL
#define IOBMD_FEATURE_MMAP		0x4ULL
#define IOBMD_FEATURE_SEGMENTS		0x8ULL
#define IOBMD_FEATURE_HIERARCHY		0x10ULL	/* general..device kinds */
#define IOBMD_FEATURE_PREPARE		0x20ULL	/* prepare, DMA segments */
#define IOBMD_FEATURE_DMABUF		0x40ULL	/* EXPORT_DMABUF, IMPORT_DMABUF */

/**
 * struct iobmd_version - IOBMD_GET_VERSION
 * @size: sizeof(struct iobmd_version)
 * @flags: must be 0
 * @abi_major: out: IOBMD_ABI_MAJOR of the running module
 * @abi_minor: out: IOBMD_ABI_MINOR of the running module
 * @features: out: IOBMD_FEATURE_* the module implements
 * @page_size: out: the kernel's page size in bytes
 * @__reserved: must be 0
 * @max_capacity: out: the largest buffer capacity the module accepts
 *
 * Errors: EINVAL (bad size, flags or reserved), E2BIG, EFAULT.
 */
struct iobmd_version {
	__u32 size;
	__u32 flags;
	__u32 abi_major;
	__u32 abi_minor;
	__aligned_u64 features;
	__u32 page_size;
	__u32 __reserved;
	__aligned_u64 max_capacity;
};

/* iobmd_buf_create.flags */
#define IOBMD_BUF_CREATE_PHYS_MASK	0x1 /* inTaskWithPhysicalMask */
#define IOBMD_BUF_CREATE_WITH_BYTES	0x2 /* withBytes */
#define IOBMD_BUF_CREATE_DMABUF		0x4 /* a dma-buf, no handle (1.1) */

/**
 * struct iobmd_buf_create - IOBMD_BUF_CREATE: a new buffer descriptor
 * @size: sizeof(struct iobmd_buf_create)
 * @flags: IOBMD_BUF_CREATE_*; selects the IOKit creation form
 * @options: IOBMD_DIRECTION_* | IOBMD_OPT_* (IOKit's IOOptionBits)
 * @handle: out: the new descriptor's handle
 * @capacity: bytes to allocate; must be 0 with IOBMD_BUF_CREATE_WITH_BYTES,
 *	where the capacity is @bytes_len
 * @alignment: 0 or 1 for none, else a power of two (inTaskWithOptions);
 *	must be 0 with IOBMD_BUF_CREATE_PHYS_MASK or _WITH_BYTES, where the
 *	kernel derives it as IOKit does
 * @phys_mask: with IOBMD_BUF_CREATE_PHYS_MASK, the IOKit physical mask:
 *	its lowest set bit gives the alignment and @phys_mask | (alignment - 1)
 *	the highest physical address; else must be 0
 * @bytes: with IOBMD_BUF_CREATE_WITH_BYTES, user pointer to the initial
 *	contents; else must be 0
 * @bytes_len: with IOBMD_BUF_CREATE_WITH_BYTES, their length; else 0
 * @fd_flags: with IOBMD_BUF_CREATE_DMABUF, the dma-buf's flags as
 *	IOBMD_EXPORT_DMABUF takes them; else must be 0 (ABI 1.1)
 * @fd: out: with IOBMD_BUF_CREATE_DMABUF, the dma-buf's file descriptor
 *	(ABI 1.1)
 *
 * With IOBMD_BUF_CREATE_DMABUF (and any form) the buffer gets no handle:
 * it is handed out at once as a dma-buf of all of it, as IOBMD_EXPORT_DMABUF
 * would make, and lives as long as the dma-buf; it stays charged to the
 * file and the user until then.  One call, as a dma-buf heap's.
 *
 * IOKit's initWithPhysicalMask rules apply: capacity 0 fails; an alignment
 * above a page implies IOBMD_OPT_PHYSICALLY_CONTIGUOUS; a physical mask, a
 * cache mode or a sharing option aligns to a page at least; with an
 * alignment of a page or more the capacity is rounded up to whole pages
 * (so every masked buffer's is).  The memory is
 * zeroed, charged to the caller's memory cgroup (but for physically
 * contiguous buffers beyond the page allocator's largest block, 4 MiB,
 * which are made with alloc_contig_range() and need CAP_IPC_LOCK), and
 * every byte of it lies at or below the highest address and on the
 * alignment; when that cannot be had the call fails.  Length starts equal
 * to capacity (withBytes: equal to @bytes_len).
 *
 * Errors: EINVAL (capacity 0, alignment not a power of two, mask 0, unknown
 * option or flag, IOBMD_OPT_USE_RESERVE, fields that the form does not use
 * not 0), EPERM (contiguous beyond 4 MiB without CAP_IPC_LOCK),
 * EOPNOTSUPP (a cache mode RAM cannot have here, or
 * IOBMD_OPT_CLEAR_ENCRYPT where memory is encrypted), E2BIG (capacity
 * above the module's max_capacity), ENOMEM (no memory meets the mask or
 * alignment, or the cgroup's limit is reached), EMFILE (the file holds
 * max_handles descriptors, or the caller's user user_descs), ENFILE (the
 * module holds total_descs), EDQUOT (above the file's task_bytes, the
 * user's user_bytes, the module's total_bytes, or, without
 * CAP_SYS_RESOURCE, the user's ZONE_DMA budget user_zone_dma: 1 MiB by
 * default, for masks ending at or below 16 MiB), EFAULT, EINTR (fatal
 * signal while allocating); with IOBMD_BUF_CREATE_DMABUF also those of
 * IOBMD_EXPORT_DMABUF's @fd_flags (EINVAL) and EMFILE (no file
 * descriptor).  Every buffer is charged to the real uid of
 * the caller (over all its open files) as well as to the file.
 */
struct iobmd_buf_create {
	__u32 size;
	__u32 flags;
	__u32 options;
	__u32 handle;
	__aligned_u64 capacity;
	__aligned_u64 alignment;
	__aligned_u64 phys_mask;
	__aligned_u64 bytes;
	__aligned_u64 bytes_len;
	__u32 fd_flags;
	__u32 fd;
};

/**
 * struct iobmd_handle_arg - IOBMD_RELEASE: drop a handle
 * @size: sizeof(struct iobmd_handle_arg)
 * @flags: must be 0
 * @handle: the handle to release
 * @__reserved: must be 0
 *
 * The descriptor goes when nothing else (a mapping, another descriptor)
 * still uses it.
 *
 * Errors: ENOENT (no such handle), EINVAL, E2BIG, EFAULT.
 */
struct iobmd_handle_arg {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
};

/**
 * struct iobmd_info - IOBMD_GET_INFO: what a descriptor is
 * @size: sizeof(struct iobmd_info)
 * @flags: must be 0
 * @handle: the descriptor
 * @kind: out: enum iobmd_kind
 * @length: out: getLength()
 * @capacity: out: getCapacity() (buffers; else the length)
 * @alignment: out: buffers: the alignment IOKit's creation rules derived
 *	and IOBufferMemoryDescriptor records: the one asked for (1 for
 *	none), a physical mask's lowest set bit, at least a page where a
 *	mask, sharing or cache option demands it, and for withBytes
 *	min(@bytes_len, page), which need not be a power of two (5 bytes
 *	report 5).  It is a request, not where the memory lies: every
 *	buffer starts on a page boundary here, which meets any alignment
 *	up to a page.  Other kinds: 1
 * @phys_mask: out: the physical mask it was created with (0 if none)
 * @options: out: the creation options in force: direction bits and
 *	IOBMD_OPT_PAGEABLE (never in force: the memory is wired) excluded,
 *	IOBMD_OPT_PHYSICALLY_CONTIGUOUS included when the alignment implied it
 * @direction: out: getDirection()
 * @tag: out: getTag()
 * @__reserved: must be 0
 *
 * Errors: ENOENT, EINVAL, E2BIG, EFAULT.
 */
struct iobmd_info {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 kind;
	__aligned_u64 length;
	__aligned_u64 capacity;
	__aligned_u64 alignment;
	__aligned_u64 phys_mask;
	__u32 options;
	__u32 direction;
	__aligned_u64 tag;
	__aligned_u64 __reserved;
};

/**
 * struct iobmd_set_arg - IOBMD_SET_LENGTH, IOBMD_SET_DIRECTION, IOBMD_SET_TAG
 * @size: sizeof(struct iobmd_set_arg)
 * @flags: must be 0
 * @handle: the descriptor
 * @__reserved: must be 0
 * @value: in: the new length, direction or tag; out: the value now in force
 *
 * SET_LENGTH follows IOKit's setLength: a length above the capacity is
 * ignored (the call succeeds and @value returns the unchanged length).
 * SET_DIRECTION replaces the direction bits; a value outside
 * IOBMD_DIRECTION_MASK is EINVAL.  SET_TAG stores any 64-bit tag.
 *
 * Errors: ENOENT, EINVAL, E2BIG, EFAULT; ENOTTY for SET_LENGTH on a kind
 * that has no capacity.  SET_PURGEABLE (same struct) on a composed
 * descriptor changes each buffer beneath it once, and may also fail with
 * EINTR (a fatal signal; nothing changed) or ENOMEM; memory an imported
 * dma-buf brought (beneath, or the descriptor itself) is its exporter's
 * to set: EOPNOTSUPP.
 */
struct iobmd_set_arg {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 value;
};

/**
 * struct iobmd_rw - IOBMD_READ, IOBMD_WRITE, IOBMD_APPEND
 * @size: sizeof(struct iobmd_rw)
 * @flags: must be 0
 * @handle: the descriptor
 * @__reserved: must be 0
 * @offset: byte offset in the descriptor (READ, WRITE); must be 0 for APPEND
 * @buf: user pointer; for WRITE, 0 zero-fills the range
 * @len: bytes to copy
 * @done: out: bytes copied: @len, or fewer through a composed descriptor
 *	whose pieces no longer back the whole range (below)
 *
 * READ and WRITE are IOKit's readBytes/writeBytes: the range must lie
 * within the descriptor's length (else ERANGE, nothing copied).  A sub,
 * multi or interleaved descriptor reaches a piece's bytes only up to that
 * piece's length now: past a buffer's length after its SET_LENGTH shrank
 * it, or past pieces an INTERLEAVED_CLEAR let go, IOKit's
 * getPhysicalSegment() of the piece ends, and readBytes/writeBytes
 * through a window copy the bytes before that point and return their
 * count.  So here: READ and WRITE copy from @offset up to the first byte
 * no longer backed and succeed with @done that short count, 0 when
 * @offset itself is no longer backed; nothing past it is read or written
 * (WRITE with @buf 0 zero-fills only the part before).  A range of the
 * descriptor's own length stays the same (GET_INFO); raising the piece's
 * length again reaches the same bytes.  IOBMD_GET_SEGMENTS and mmap of a
 * range with a byte no longer backed fail with ERANGE (see there), and
 * prepare is unaffected: IOKit prepares a window's parent, whatever its
 * length.
 *
 * APPEND is appendBytes: it copies min(@len, capacity - length) bytes at
 * the current length and advances the length by that much; truncation is
 * not an error.
 *
 * Errors: ENOENT, EINVAL, E2BIG, EFAULT (APPEND: nothing is copied and the
 * length does not move; WRITE: the bytes before the fault are written),
 * ERANGE (READ/WRITE range outside the length or overflowing; bytes no
 * longer backed give a short @done, as above), ENOTTY (APPEND on a kind
 * without capacity); for READ and WRITE of user memory, what pinning it gives
 * (see IOBMD_PREPARE: ENOMEM, EACCES, EPERM, EINTR), and ENOMEM for
 * device memory that cannot be mapped; EINTR when a fatal signal ends a
 * long copy or zero-fill (WRITE: the bytes before it are written; APPEND:
 * the length does not move).  Bytes of an imported dma-buf (the
 * descriptor, or a piece of it) wait first for the exporter's fences that
 * the access conflicts with, as DMA_BUF_IOCTL_SYNC does; any signal ends
 * that wait.  The call is then restarted if the signal's handler has
 * SA_RESTART and no piece before this one in a composed descriptor was
 * read or written (such a piece may be device memory); else it fails with
 * EINTR (WRITE: the pieces before are written; @done is not set).
 */
struct iobmd_rw {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 offset;
	__aligned_u64 buf;
	__aligned_u64 len;
	__aligned_u64 done;
};

/**
 * struct iobmd_segment - one physically contiguous run
 * @addr: physical address of its first byte
 * @len: its length in bytes
 */
struct iobmd_segment {
	__aligned_u64 addr;
	__aligned_u64 len;
};

/* iobmd_segments.flags */
#define IOBMD_SEGMENTS_DMA	0x1 /* DMA addresses of a kernel driver's device */

/**
 * struct iobmd_segments - IOBMD_GET_SEGMENTS: physical segments of a range
 * @size: sizeof(struct iobmd_segments)
 * @flags: IOBMD_SEGMENTS_*
 * @handle: the descriptor
 * @count: in: room in @segs (entries); out: entries written
 * @offset: first byte of the range
 * @len: bytes in the range; 0 means up to the descriptor's length, or
 *	to the first byte a composed descriptor's pieces no longer back
 *	(see struct iobmd_rw), where IOKit's getPhysicalSegment() ends
 * @segs: user pointer to an array of struct iobmd_segment
 * @total: out: entries the whole range needs (may exceed @count)
 *
 * Adjacent pages are merged into one segment, as getPhysicalSegment's
 * returned length does.  Requires CAP_SYS_ADMIN, like the PFNs of
 * /proc/self/pagemap.  Physical addresses are what a device sees only
 * where no IOMMU stands between it and memory (or the IOMMU passes
 * through); behind one, a userspace driver gets its device's addresses
 * from VFIO or iommufd.  Physical segments of user memory (general
 * descriptors, and what is built on them) need the descriptor prepared.
 * With IOBMD_SEGMENTS_DMA the addresses are those of the device a kernel
 * driver prepared the descriptor for (the in-kernel API); a prepare from
 * userspace maps for no device, and then the call fails with ENODATA.
 *
 * The capability is checked before the handle: without it the call gets
 * EPERM whatever @handle is, and writes nothing to @segs.
 *
 * Errors: EPERM, ENOENT, EINVAL, E2BIG, EFAULT, ERANGE (range outside the
 * length, a byte of a given range no longer backed, or none backed at
 * @offset), ENODATA (not prepared; with IOBMD_SEGMENTS_DMA, not mapped for
 * a device), EINTR (a fatal signal).
 */
struct iobmd_segments {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 count;
	__aligned_u64 offset;
	__aligned_u64 len;
	__aligned_u64 segs;
	__aligned_u64 total;
};

/* iobmd_map.flags: IOBMD_MAP_READONLY and one IOBMD_CACHE_* mode */
#define IOBMD_MAP_READONLY	0x1000 /* kIOMapReadOnly: no PROT_WRITE */
#define IOBMD_MAP_CACHE_MASK	0x700

/**
 * struct iobmd_map - IOBMD_MAP: an mmap offset for a descriptor range
 * @size: sizeof(struct iobmd_map)
 * @flags: IOBMD_MAP_*
 * @handle: the descriptor
 * @__reserved: must be 0
 * @offset: page-aligned byte offset in the mapping (see @addr_offset)
 * @len: bytes to map; 0 means from @offset to the end of the mapping; the
 *	range must lie inside the mapping
 * @cookie: out: pass as mmap()'s offset, with MAP_SHARED; the cookie names
 *	the start, and the mmap() length may reach up to the end of the
 *	mapping from there; below 2^44 for every caller
 * @addr_offset: out: where the descriptor's first byte lies in the
 *	mapping: its offset in its first page (0 for buffers)
 * @extent: out: bytes the whole mapping covers, a multiple of the page
 *	size: the capacity (buffers) or length plus @addr_offset, rounded up
 * @length: out: the descriptor's length when the cookie was made (what
 *	IOBMD_GET_INFO answers; IOKit's map() covers that much), so that one
 *	command tells a caller both (ABI 1.2; a struct of the 1.1 size, which
 *	ends at @extent, still works)
 *
 * Cookies are ranges of page offsets of the open file: a handle gets one
 * per set of @flags, covering its whole mapping, and @cookie is its start
 * plus @offset, so any page-aligned offset inside it maps from that page
 * of the mapping.  Asking again gives the same cookie, unless the mapping
 * has outgrown it (an interleaved descriptor gained pieces): then a larger
 * one, and the old one still maps what it covered.  A cookie stays valid
 * until its handle is released; afterwards mmap() of it fails with EINVAL.
 * Cookie space is allocated cyclically, so a freed cookie is not handed
 * out again until the file has gone through 2^32 pages of them.
 *
 * The mapping holds the descriptor: releasing the handle or closing the
 * file while mapped is safe, and the memory goes at the last munmap.
 * Buffers, physically contiguous or not and in whatever cache mode they
 * have, are mapped with their own pages (get_user_pages, O_DIRECT,
 * io_uring and VFIO work on the mapping).  Every other kind (user memory,
 * device memory) is mapped by PFN (get_user_pages fails on it with
 * EFAULT); a multi or interleaved descriptor maps as one contiguous
 * range.  A
 * mapping holds the memory pinned (user memory) while it exists; user
 * memory maps only while prepared (ENODATA otherwise).  A
 * MAP_PRIVATE mapping gets EINVAL, and so does a cookie that names no
 * handle of the file mmap() is called on (a cookie of another open file
 * works only on that file); PROT_WRITE on a read-only cookie, or of
 * read-only memory (an import of a read-only dma-buf, or what is built on
 * one), gets EACCES, and such memory maps read-only whatever the cookie.
 *
 * The cache mode defaults to the memory's own (uncached for device memory,
 * the creation option for buffers).  RAM can be mapped only with the mode
 * the kernel maps it with (EINVAL otherwise); device memory with any of
 * inhibit, write-through, write-combine and copyback, copyback only for a
 * process with CAP_SYS_RAWIO (EPERM from mmap() otherwise).  IOBMD_MAP refuses
 * the modes no memory can have (posted write, real time); the cookie
 * carries the mode, and mmap() refuses one the memory cannot have.  One
 * mapping has one mode, every piece the mode asked for: a composed
 * descriptor whose pieces would get different ones is refused (EINVAL),
 * and so is one of RAM and device memory uncached where the two are
 * different memory types (arm64).
 *
 * Errors: ENOENT, EINVAL (unknown flag, misaligned offset, a cache mode no
 * memory can have; from mmap(): a cache mode this memory cannot have,
 * pieces whose page offsets do not line up), E2BIG,
 * EFAULT, ERANGE (range outside the descriptor), EOVERFLOW (the mapping is
 * larger than the cookie space, 2^44 bytes less two pages), ENOSPC (no room
 * left in the file's cookie space, or the handle already holds 64
 * cookies), ENOMEM, ENODATA (nothing to map: length 0).  mmap() adds
 * ERANGE (a byte of the mapped pages that a composed descriptor's pieces
 * no longer back, see struct iobmd_rw; IOKit's map of a window asks its
 * parent, which refuses a range past its length; a mapping made before
 * stays as it is), EPERM
 * (device memory or physical RAM, under lockdown; device memory copyback
 * without CAP_SYS_RAWIO), ENODEV (memory of an imported dma-buf whose
 * exporter has no mmap of its own, in a sub or multi: it is not the CPU's)
 * and EINTR (killed while mapping).
 */
struct iobmd_map {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 offset;
	__aligned_u64 len;
	__aligned_u64 cookie;
	__aligned_u64 addr_offset;
	__aligned_u64 extent;
	__aligned_u64 length;
};

/**
 * struct iobmd_range - one range of memory
 * @address: user virtual address, or physical address
 * @length: bytes
 */
struct iobmd_range {
	__aligned_u64 address;
	__aligned_u64 length;
};

#define IOBMD_GENERAL_MAX_RANGES	1024

/* iobmd_general_create.flags */
#define IOBMD_GENERAL_PHYSICAL	0x1 /* withPhysicalAddress: RAM; EPERM, see below */

/**
 * struct iobmd_general_create - IOBMD_GENERAL_CREATE: describe memory
 * @size: sizeof(struct iobmd_general_create)
 * @flags: IOBMD_GENERAL_*
 * @options: IOBMD_DIRECTION_* (the descriptor's direction)
 * @handle: out: the new descriptor
 * @ranges: user pointer to @count struct iobmd_range
 * @count: 1 to IOBMD_GENERAL_MAX_RANGES
 * @__reserved: must be 0
 *
 * withAddressRange(s): the ranges are the calling process's memory, byte
 * granular, in order.  They are pinned (FOLL_LONGTERM) while the
 * descriptor is prepared, mapped, or being read or written, and the pinned
 * pages are charged to the process's RLIMIT_MEMLOCK.  Only the process
 * that created the descriptor can pin it.  With IOBMD_GENERAL_PHYSICAL
 * the ranges would be physical addresses of System RAM: refused to
 * userspace (EPERM), as /dev/mem refuses RAM with STRICT_DEVMEM, unless
 * the module's unsafe_phys_ram parameter (test rigs only) is set; never
 * under lockdown, nor for a page that is free or out of the kernel's
 * direct map (memfd_secret's).
 *
 * Errors: EINVAL (count 0, an empty or wrapping range, unknown flag or
 * option, physical range not entirely RAM or naming a free page), E2BIG
 * (count too large), EPERM (physical: see above; also without
 * CAP_SYS_RAWIO), EFAULT (@ranges unreadable, or a range outside the user
 * address space), EMFILE, ENOMEM.
 */
struct iobmd_general_create {
	__u32 size;
	__u32 flags;
	__u32 options;
	__u32 handle;
	__aligned_u64 ranges;
	__u32 count;
	__u32 __reserved;
};

/**
 * struct iobmd_sub_create - IOBMD_SUB_CREATE: IOSubMemoryDescriptor
 * @size: sizeof(struct iobmd_sub_create)
 * @flags: must be 0
 * @parent: the descriptor it is a window of
 * @handle: out: the new descriptor
 * @direction: IOBMD_DIRECTION_* of the sub-range
 * @__reserved: must be 0
 * @offset: first byte in @parent
 * @length: bytes, at least 1
 *
 * The sub-range holds its parent; it takes the parent's tag.
 *
 * Errors: EINVAL (length 0, unknown flag or direction), ERANGE (@offset +
 * @length beyond the parent's length, or overflowing), ENOENT, ELOOP
 * (nesting deeper than 8), E2BIG (length above max_capacity, more than
 * IOBMD_COMPOSE_MAX_VISITS visits), EMFILE, ENOMEM, EFAULT.
 */
struct iobmd_sub_create {
	__u32 size;
	__u32 flags;
	__u32 parent;
	__u32 handle;
	__u32 direction;
	__u32 __reserved;
	__aligned_u64 offset;
	__aligned_u64 length;
};

#define IOBMD_MULTI_MAX_PIECES	1024

/*
 * The work one composed (sub, multi, interleaved) descriptor may describe.
 * Its visits are 1 + the visits of each piece's descriptor, repeats
 * counted (a sub's piece is its whole parent; memory of its own counts 1;
 * an interleaved descriptor counts 1 + its capacity, or 1 + its pieces'
 * visits when more, and cannot grow past what descriptors built on it
 * counted).  Creating one of more visits, or longer than max_capacity
 * bytes, fails with E2BIG.
 */
#define IOBMD_COMPOSE_MAX_VISITS	1048576	/* 2^20 */

/**
 * struct iobmd_multi_create - IOBMD_MULTI_CREATE: IOMultiMemoryDescriptor
 * @size: sizeof(struct iobmd_multi_create)
 * @flags: must be 0
 * @direction: IOBMD_DIRECTION_* of the whole
 * @handle: out: the new descriptor
 * @handles: user pointer to @count __u32 handles, in order
 * @count: 1 to IOBMD_MULTI_MAX_PIECES
 * @__reserved: must be 0
 *
 * Length is the sum of the pieces' lengths; the tag is the first non-zero
 * tag among them.  Every piece's direction must include @direction.
 *
 * Errors: EINVAL (count 0, unknown flag or direction, a piece of the wrong
 * direction, a piece of length 0), E2BIG (count too large, length above
 * max_capacity, more than IOBMD_COMPOSE_MAX_VISITS visits), ENOENT, ELOOP,
 * EOVERFLOW (lengths overflow), EMFILE, ENOMEM, EFAULT.
 */
struct iobmd_multi_create {
	__u32 size;
	__u32 flags;
	__u32 direction;
	__u32 handle;
	__aligned_u64 handles;
	__u32 count;
	__u32 __reserved;
};

#define IOBMD_INTERLEAVED_MAX_PIECES	1024

/**
 * struct iobmd_interleaved_create - IOBMD_INTERLEAVED_CREATE
 * @size: sizeof(struct iobmd_interleaved_create)
 * @flags: must be 0
 * @direction: IOBMD_DIRECTION_*
 * @handle: out: the new descriptor (length 0, no pieces)
 * @capacity: the most pieces it will hold, 1 to
 *	IOBMD_INTERLEAVED_MAX_PIECES
 * @__reserved: must be 0
 *
 * IOInterleavedMemoryDescriptor::withCapacity.  Descriptors nest at most
 * 8 deep: memory of its own is depth 1, a sub or multi 1 + the deepest
 * descriptor it is built on, and an interleaved descriptor 5, or 1 + its
 * deepest piece when that is more.  Any descriptor up to depth 7 may be a
 * piece, other interleaved descriptors and what is built on them too, as
 * IOKit takes them.  Its pieces change after others are built on it, and
 * those counted its depth: so while a descriptor is built on it (a sub, a
 * multi, or another interleaved descriptor holding a piece of it), a
 * piece that would make it deeper, one at least as deep as it is, is
 * refused with ELOOP; pieces up to depth 4 never make it deeper.  A piece
 * that holds this descriptor, directly or beneath others, is deeper than
 * it and holds it, so it is always refused: no cycle can form.
 * INTERLEAVED_CLEAR makes it depth 5 again once nothing is built on it
 * (an attempt under way to build on it, even one that then fails, counts
 * until it has failed: clear again).  A mapping of it, or of what is built
 * on it, made while a SET or CLEAR of it is under way may fail with
 * ENODATA, as one of user memory nothing has pinned.
 *
 * Errors: EINVAL, E2BIG (capacity too large), EMFILE, ENOMEM, EFAULT.
 */
struct iobmd_interleaved_create {
	__u32 size;
	__u32 flags;
	__u32 direction;
	__u32 handle;
	__u32 capacity;
	__u32 __reserved;
};

/**
 * struct iobmd_interleaved_set - IOBMD_INTERLEAVED_SET: append a piece
 * @size: sizeof(struct iobmd_interleaved_set)
 * @flags: must be 0
 * @handle: the interleaved descriptor
 * @piece: the descriptor a piece of which is appended
 * @offset: first byte in @piece
 * @length: bytes, at least 1
 *
 * setMemoryDescriptor(desc, offset, length).
 *
 * Errors: EINVAL (not an interleaved descriptor, length 0), EBUSY
 * (prepared, mapped, or being read; or another SET or CLEAR of it is
 * under way: the change does not wait; or a read-only piece while a
 * descriptor is built on this one and it is not read-only already),
 * ENOSPC (full), ERANGE (range beyond the piece's length), ENOENT, ELOOP
 * (the piece is depth 8, or would make this one deeper while a descriptor
 * is built on it, which a piece that holds this one always would: see
 * IOBMD_INTERLEAVED_CREATE), EOVERFLOW,
 * E2BIG (the length would pass max_capacity, or the visits
 * IOBMD_COMPOSE_MAX_VISITS or, while descriptors are built on this one,
 * what they counted for it).
 */
struct iobmd_interleaved_set {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 piece;
	__aligned_u64 offset;
	__aligned_u64 length;
};

/**
 * struct iobmd_device_create - IOBMD_DEVICE_CREATE: IODeviceMemory
 * @size: sizeof(struct iobmd_device_create)
 * @flags: must be 0
 * @handle: out: the new descriptor
 * @__reserved: must be 0
 * @phys: first physical address of the MMIO range
 * @length: bytes, at least 1
 *
 * IODeviceMemory::withRange.  Requires CAP_SYS_RAWIO; the range must not
 * touch System RAM, nor a page of MMIO that a driver claimed (busy) or
 * that is exclusive, and lockdown must not close /dev/mem: checked again
 * at every READ, WRITE, MAP, mmap, GET_SEGMENTS and PREPARE of it or of
 * what is built on it (EPERM).  Mapped uncached unless the mapping asks
 * otherwise; readBytes/writeBytes use the I/O accessors.  withSubRange is
 * IOBMD_SUB_CREATE on it.
 *
 * Errors: EPERM (no CAP_SYS_RAWIO, busy or exclusive MMIO, lockdown),
 * EINVAL (length 0, wrapping, beyond the CPU's physical address space,
 * overlaps System RAM), ENOMEM (cannot be mapped), EMFILE, EFAULT.
 */
struct iobmd_device_create {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 phys;
	__aligned_u64 length;
};

/**
 * struct iobmd_prepare - IOBMD_PREPARE, IOBMD_COMPLETE
 * @size: sizeof(struct iobmd_prepare)
 * @flags: must be 0
 * @handle: the descriptor
 * @direction: IOBMD_DIRECTION_* (None: the descriptor's own) with
 *	IOBMD_PREPARE_* modifiers for PREPARE, IOBMD_COMPLETE_* for COMPLETE
 *
 * prepare() wires the memory: user pages are pinned and stay where they
 * are until complete().  It maps nothing for any device: a userspace
 * driver maps for its device through VFIO or iommufd (IODMACommand in the
 * C++ library), a kernel driver with the in-kernel API.  Prepares nest and
 * complete() undoes one.  A handle can complete only what it prepared;
 * releasing the handle or closing the file completes what is left.
 *
 * Errors: EINVAL (unknown bits; COMPLETE without an outstanding PREPARE on
 * this handle), ENODATA (IOBMD_PREPARE_NO_FAULT on user memory not pinned
 * yet), ENOENT, EFAULT (user memory that cannot be pinned), ENOMEM
 * (RLIMIT_MEMLOCK), EACCES (user memory already pinned read-only for
 * Out, then prepared for In), EPERM (user memory of another process),
 * EINTR, ERANGE (IOBMD_PREPARE_PHYS32 for memory not placed below 4 GiB),
 * EBUSY (prepared by a kernel driver for its device), EPERM (device or
 * physical memory userspace named, since closed by lockdown or claimed
 * by a driver),
 * EOVERFLOW (IOBMD_PREPARE_MAX prepares already outstanding on the
 * descriptor, from every handle and every descriptor built on it).
 */
struct iobmd_prepare {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 direction;
};

/* How deep prepares of one descriptor nest. */
#define IOBMD_PREPARE_MAX	65535

/**
 * struct iobmd_perform - IOBMD_PERFORM: performOperation()
 * @size: sizeof(struct iobmd_perform)
 * @flags: must be 0
 * @handle: the descriptor
 * @op: IOBMD_OP_*
 * @offset: first byte
 * @len: bytes
 *
 * Cache maintenance of a prepared range for DMA.  A descriptor a kernel
 * driver prepared for its device: its DMA mapping is synchronised, FLUSH
 * and STORE hand the CPU's writes to the device, INVALIDATE the device's
 * writes to the CPU.  A descriptor prepared from userspace is mapped for
 * no device: its device DMAs to the physical segments, and where that DMA
 * is not coherent with the CPU's caches (arm64 SoCs such as Zynq
 * UltraScale+) the memory's own cache lines are maintained: STORE cleans
 * them (the CPU's writes reach memory), FLUSH cleans and invalidates them,
 * INVALIDATE invalidates them (the CPU's next reads come from memory; its
 * writes since the last STORE or FLUSH are lost).  IOBMD_PREPARE and
 * IOBMD_COMPLETE only wire, as IOKit's prepare() and complete(): before
 * the device reads, STORE (or FLUSH); before it writes, FLUSH; after it
 * wrote, INVALIDATE.  Where DMA is coherent (x86) the call does nothing
 * for such a descriptor and succeeds.
 *
 * Errors: EINVAL (unknown op or flag), EACCES (INVALIDATE of read-only
 * memory: an import of a read-only dma-buf, or what is built on one),
 * ENOENT, ERANGE (outside the
 * length, or a byte no longer backed: nothing is done), ENODATA (not
 * prepared), EOPNOTSUPP (prepared from userspace, DMA not coherent, and
 * the kernel bounces every DMA mapping, e.g. swiotlb=force: the memory's
 * own lines cannot be maintained), EFAULT, EINTR (a fatal signal; the
 * range may be partly done).
 */
struct iobmd_perform {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 op;
	__aligned_u64 offset;
	__aligned_u64 len;
};

/* dma-bufs of one descriptor alive at once. */
#define IOBMD_EXPORT_MAX	1024

/**
 * struct iobmd_export_dmabuf - IOBMD_EXPORT_DMABUF: a dma-buf of a range
 * @size: sizeof(struct iobmd_export_dmabuf)
 * @flags: must be 0
 * @handle: the descriptor, of any kind
 * @fd_flags: O_CLOEXEC, and O_RDONLY or O_RDWR: the new file's flags (a
 *	read-only dma-buf refuses writable mappings)
 * @offset: first byte, page-aligned; the memory must start a page there
 *	and at the descriptor's first byte (always so for buffers), so that
 *	a mapping of the dma-buf is the descriptor's at the same offset
 * @length: bytes, at least 1; 0 means up to the descriptor's length.  The
 *	dma-buf has whole pages: its size is @length rounded up to a page,
 *	and the rounding covers the rest of the last page of the memory, as
 *	a mapping of the descriptor does
 * @fd: out: the dma-buf's file descriptor
 * @__reserved: must be 0
 *
 * The dma-buf holds a reference to the descriptor and a pin of its memory
 * (user memory stays pinned) for as long as it lives: releasing the
 * handle, closing /dev/iobmd or exiting does not end it, and the module
 * cannot be unloaded while it lives.  The memory is pinned for writing,
 * whatever @fd_flags say: a dma-buf cannot keep the devices it is handed
 * to from writing, so user memory the caller cannot write is not
 * exported.  A descriptor has at most IOBMD_EXPORT_MAX dma-bufs alive.
 *
 * Importers: each device that attaches gets the memory mapped for it with
 * its own DMA mask, through its IOMMU if it has one.  Nothing is bounced:
 * memory a device without a translating IOMMU cannot reach fails the
 * mapping with ERANGE.  Device memory must be one physically contiguous
 * range and goes only to importers that take memory without struct pages
 * (peer2peer); others fail to attach with EOPNOTSUPP.
 * DMA_BUF_IOCTL_SYNC does the cache maintenance of performOperation() for
 * every device it is mapped for; mmap() of the dma-buf has the memory's
 * cache mode; in-kernel importers may vmap() it, but for device memory
 * (EINVAL: importers such as vb2-vmalloc take a kernel mapping for
 * system memory).
 *
 * Errors: EINVAL (flags, unknown fd_flags, @offset not page-aligned, the
 * memory not starting a page there or at the descriptor's first byte,
 * pieces whose page offsets do not line up, RAM and device memory mixed,
 * device memory in more than one range, memory imported from another
 * exporter), ENOENT, ERANGE (range beyond the length), ENODATA (length 0),
 * EFAULT (user memory that cannot be pinned for writing), ENOMEM
 * (RLIMIT_MEMLOCK, or no memory), EACCES (user memory pinned read-only
 * already), EPERM (user memory of another process; device or physical
 * memory closed by lockdown), EINTR, EMFILE (no file descriptor, or
 * IOBMD_EXPORT_MAX dma-bufs of the descriptor alive).
 */
struct iobmd_export_dmabuf {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 fd_flags;
	__aligned_u64 offset;
	__aligned_u64 length;
	__u32 fd;
	__u32 __reserved;
};

/**
 * struct iobmd_import_dmabuf - IOBMD_IMPORT_DMABUF: a descriptor over a
 *	dma-buf
 * @size: sizeof(struct iobmd_import_dmabuf)
 * @flags: must be 0
 * @fd: the dma-buf's file descriptor (any exporter; the caller may close
 *	it afterwards: the descriptor holds the dma-buf)
 * @direction: IOBMD_DIRECTION_*
 * @handle: out: the new descriptor (IOBMD_KIND_DMABUF, or for a dma-buf
 *	of iobmd's own a sub-range of the descriptor it was exported from:
 *	the exported range, the length IOBMD_EXPORT_DMABUF was asked for)
 * @__reserved: must be 0
 *
 * Its length is the dma-buf's size.  Reads, writes and the other kinds
 * built on it go through the exporter's kernel mapping (vmap) with its
 * CPU-access brackets; a mapping of it alone is the exporter's own mmap
 * (with the exporter's cache mode: only IOBMD_CACHE_DEFAULT may be asked
 * for; it holds the dma-buf, not the descriptor); prepares for a device
 * attach that device to the dma-buf; physical segments (CAP_SYS_ADMIN) are
 * the exporter's pages where it has them, as the module's own device sees
 * them 1:1 (EOPNOTSUPP where it would not: swiotlb forced, memory
 * encryption, DMA operations as Xen PV's or the AMD GART's).  What
 * attaches a device to the dma-buf (physical segments and the mappings of
 * a sub or multi over it, which use them; prepares for a device) fails
 * with the exporter's error where the exporter refuses the attachment:
 * EOPNOTSUPP from one that must be able to take its memory back at any
 * time (vfio-pci), which the import, pinning what it uses, cannot give.
 * While the import uses the pages (segments, mappings) it keeps a dynamic
 * exporter's memory (a GPU's) pinned in place.  A dma-buf whose file is
 * open read-only is written neither by the CPU nor by a device: writes,
 * prepares for a device that writes, INVALIDATE, exports and writable
 * mappings fail with EACCES, through every sub, multi or interleaved
 * descriptor built on it too.  An import of iobmd's own dma-buf starts
 * with tag 0, and setting or reading purgeable state through any import
 * fails with EOPNOTSUPP: that state is the exporter's.
 *
 * Errors: EINVAL (flags, reserved, direction), EBADF (not a dma-buf),
 * EMFILE, ENFILE (the module's total_descs), ENOMEM, EFAULT; for a
 * dma-buf of iobmd's own, those of IOBMD_SUB_CREATE (ERANGE: the
 * descriptor is shorter now than what was exported; ELOOP, E2BIG).
 */
struct iobmd_import_dmabuf {
	__u32 size;
	__u32 flags;
	__u32 fd;
	__u32 direction;
	__u32 handle;
	__u32 __reserved;
};

#define IOBMD_GET_VERSION	_IO(IOBMD_TYPE, 0x00)
#define IOBMD_BUF_CREATE	_IO(IOBMD_TYPE, 0x01)
#define IOBMD_RELEASE		_IO(IOBMD_TYPE, 0x02)
#define IOBMD_GET_INFO		_IO(IOBMD_TYPE, 0x03)
#define IOBMD_SET_LENGTH	_IO(IOBMD_TYPE, 0x04)
#define IOBMD_SET_DIRECTION	_IO(IOBMD_TYPE, 0x05)
#define IOBMD_SET_TAG		_IO(IOBMD_TYPE, 0x06)
#define IOBMD_APPEND		_IO(IOBMD_TYPE, 0x07)
#define IOBMD_READ		_IO(IOBMD_TYPE, 0x08)
#define IOBMD_WRITE		_IO(IOBMD_TYPE, 0x09)
#define IOBMD_GET_SEGMENTS	_IO(IOBMD_TYPE, 0x0a)
#define IOBMD_MAP		_IO(IOBMD_TYPE, 0x0b)
#define IOBMD_GENERAL_CREATE	_IO(IOBMD_TYPE, 0x0c)
#define IOBMD_SUB_CREATE	_IO(IOBMD_TYPE, 0x0d)
#define IOBMD_MULTI_CREATE	_IO(IOBMD_TYPE, 0x0e)
#define IOBMD_INTERLEAVED_CREATE _IO(IOBMD_TYPE, 0x0f)
#define IOBMD_INTERLEAVED_SET	_IO(IOBMD_TYPE, 0x10)
#define IOBMD_INTERLEAVED_CLEAR	_IO(IOBMD_TYPE, 0x11)	/* iobmd_set_arg */
#define IOBMD_DEVICE_CREATE	_IO(IOBMD_TYPE, 0x12)
#define IOBMD_PREPARE		_IO(IOBMD_TYPE, 0x13)
#define IOBMD_COMPLETE		_IO(IOBMD_TYPE, 0x14)
#define IOBMD_PERFORM		_IO(IOBMD_TYPE, 0x15)
#define IOBMD_SET_PURGEABLE	_IO(IOBMD_TYPE, 0x16)	/* iobmd_set_arg */
#define IOBMD_EXPORT_DMABUF	_IO(IOBMD_TYPE, 0x17)
#define IOBMD_IMPORT_DMABUF	_IO(IOBMD_TYPE, 0x18)

#endif /* _UAPI_IOBMD_H */

/* SPDX-License-Identifier: MIT */
/*
 * libiobmd: the C core of iobmd's userspace library.
 *
 * One function per /dev/iobmd command, with what a caller of the ioctls
 * would otherwise write by hand done once: struct sizes set, mmap()
 * cookies turned into addresses, a segment list fetched whole.  The IOKit
 * C++ classes are a layer over these; C, Python (ctypes) and Rust can call
 * them directly.
 *
 * Conventions:
 * - Every function that can fail returns 0 or a negative errno (-EINVAL,
 *   -ENOENT, ...), the kernel's answer where the kernel answered (see
 *   <iobmd/uapi.h> for each command's errors), and writes its results
 *   through pointers only on success.
 * - struct iobmd_dev is opaque: only iobmd_dev_open() makes one.  The
 *   kernel's own structs (struct iobmd_info, struct iobmd_version) are
 *   filled up to the size the caller set in their @size member, so a
 *   program built against an older header keeps working.
 * - Handles name descriptors of one open device; iobmd_release() drops
 *   one, iobmd_dev_close() all of them.
 *
 * Threads and fork: the functions may be called from any number of
 * threads on one struct iobmd_dev at once (the kernel orders the
 * commands), except iobmd_dev_close(), which must be the last call on it.
 * A child process inherits the open file but not the right to use it
 * through the parent's struct iobmd_dev: every call there fails with
 * -ECHILD, so a child never acts on the parent's handles by mistake.  A
 * child opens its own device.  The library learns of a child from
 * fork()'s handlers (pthread_atfork()), not from a getpid() system call
 * at every command: a child made with the raw clone(2) system call, which
 * runs no handlers, is not told apart.
 */
#ifndef IOBMD_IOBMD_H
#define IOBMD_IOBMD_H

#include <stddef.h>
#include <stdint.h>

#include <iobmd/uapi.h>	/* the kernel ABI: uapi/iobmd.h */

#ifdef __cplusplus
extern "C" {
/*
 * Several functions share their names with the uapi structs they fill
 * (C keeps struct tags apart from functions); C++'s -Wshadow calls that
 * a function hiding the struct's constructor.  Harmless: the structs are
 * still named "struct iobmd_map" and so on.  Silenced for these
 * declarations only.
 */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#endif
#endif

/* The version of this library's interface. */
#define IOBMD_LIB_MAJOR 1
#define IOBMD_LIB_MINOR 2

/* An open /dev/iobmd. */
struct iobmd_dev;

/* A descriptor of one struct iobmd_dev; never 0. */
typedef uint32_t iobmd_handle;

/* Opens @path (NULL: /dev/iobmd), close-on-exec; @flags must be 0. */
int iobmd_dev_open(const char *path, unsigned int flags,
		   struct iobmd_dev **dev);
/* Closes the device, releasing every handle of it; NULL does nothing. */
void iobmd_dev_close(struct iobmd_dev *dev);
/*
 * 0 when @dev may be used by this process, -ECHILD in a child that
 * inherited it, -EINVAL for NULL; no system call.  Added in LIBIOBMD_1.2.
 */
int iobmd_dev_owned(const struct iobmd_dev *dev);
/* The file descriptor, for poll() or mmap() of one's own. */
int iobmd_dev_fd(const struct iobmd_dev *dev);
/* The ABI version and features, up to @ver->size bytes of them. */
int iobmd_dev_version(struct iobmd_dev *dev, struct iobmd_version *ver);

/*
 * Buffers (IOBufferMemoryDescriptor).  @options: IOBMD_DIRECTION_* and
 * IOBMD_OPT_*; @alignment: 0 or a power of two.
 */
int iobmd_buffer_create(struct iobmd_dev *dev, uint32_t options,
			uint64_t capacity, uint64_t alignment,
			iobmd_handle *handle);
/* inTaskWithPhysicalMask: every byte at or below @phys_mask's highest. */
int iobmd_buffer_create_masked(struct iobmd_dev *dev, uint32_t options,
			       uint64_t capacity, uint64_t phys_mask,
			       iobmd_handle *handle);
/* withBytes: a buffer holding a copy of @len bytes at @bytes; @direction
 * may carry IOBMD_OPT_* bits too. */
int iobmd_buffer_with_bytes(struct iobmd_dev *dev, const void *bytes,
			    uint64_t len, uint32_t direction,
			    iobmd_handle *handle);
/* A buffer handed out as a dma-buf file descriptor, with no handle. */
int iobmd_buffer_create_dmabuf(struct iobmd_dev *dev, uint32_t options,
			       uint64_t capacity, uint64_t alignment,
			       int fd_flags, int *fd);

/* Other kinds. */
int iobmd_general_create(struct iobmd_dev *dev,
			 const struct iobmd_range *ranges, uint32_t count,
			 uint32_t direction, iobmd_handle *handle);
int iobmd_physical_create(struct iobmd_dev *dev,
			  const struct iobmd_range *ranges, uint32_t count,
			  uint32_t direction, iobmd_handle *handle);
int iobmd_sub_create(struct iobmd_dev *dev, iobmd_handle parent,
		     uint64_t offset, uint64_t length, uint32_t direction,
		     iobmd_handle *handle);
int iobmd_multi_create(struct iobmd_dev *dev, const iobmd_handle *pieces,
		       uint32_t count, uint32_t direction,
		       iobmd_handle *handle);
int iobmd_interleaved_create(struct iobmd_dev *dev, uint32_t capacity,
			     uint32_t direction, iobmd_handle *handle);
int iobmd_interleaved_set(struct iobmd_dev *dev, iobmd_handle interleaved,
			  iobmd_handle piece, uint64_t offset,
			  uint64_t length);
int iobmd_interleaved_clear(struct iobmd_dev *dev, iobmd_handle interleaved,
			    uint32_t direction);
int iobmd_device_create(struct iobmd_dev *dev, uint64_t phys,
			uint64_t length, iobmd_handle *handle);
/* A descriptor over another exporter's dma-buf @fd. */
int iobmd_dmabuf_import(struct iobmd_dev *dev, int fd, uint32_t direction,
			iobmd_handle *handle);
/* A dma-buf of [@offset, @offset + @length) (0: to the end). */
int iobmd_dmabuf_export(struct iobmd_dev *dev, iobmd_handle handle,
			uint64_t offset, uint64_t length, int fd_flags,
			int *fd);
int iobmd_release(struct iobmd_dev *dev, iobmd_handle handle);

/* What a descriptor is, up to @info->size bytes of it. */
int iobmd_get_info(struct iobmd_dev *dev, iobmd_handle handle,
		   struct iobmd_info *info);
/* Each answers the value now in force in *@now when @now is not NULL. */
int iobmd_set_length(struct iobmd_dev *dev, iobmd_handle handle,
		     uint64_t length, uint64_t *now);
int iobmd_set_direction(struct iobmd_dev *dev, iobmd_handle handle,
			uint32_t direction);
int iobmd_set_tag(struct iobmd_dev *dev, iobmd_handle handle, uint64_t tag);
/* setPurgeable: *@old (when not NULL) gets the state before. */
int iobmd_set_purgeable(struct iobmd_dev *dev, iobmd_handle handle,
			uint32_t state, uint32_t *old);

/*
 * Bytes in and out: read and write copy all of the range or fail (a write
 * that faults part way has written the bytes before the fault), but for
 * one case, IOKit's: through a sub, multi or interleaved descriptor whose
 * pieces end first (a window over a buffer whose length shrank), they copy
 * the bytes up to there and succeed with that short count in *@done, 0
 * when none is left.  Append copies what fits.  *@done (when not NULL)
 * gets the bytes copied.
 */
int iobmd_read(struct iobmd_dev *dev, iobmd_handle handle, uint64_t offset,
	       void *buf, uint64_t len, uint64_t *done);
int iobmd_write(struct iobmd_dev *dev, iobmd_handle handle, uint64_t offset,
		const void *buf, uint64_t len, uint64_t *done);
int iobmd_append(struct iobmd_dev *dev, iobmd_handle handle,
		 const void *buf, uint64_t len, uint64_t *done);

/*
 * Maps bytes [@offset, @offset + @length) of a descriptor into this
 * process with one command and one mmap(): *@addr points at byte @offset.
 * @length 0 maps to the end of the descriptor's mapping: a buffer's
 * capacity, for other kinds the end of the page holding their last
 * byte.  @flags: IOBMD_MAP_READONLY and one IOBMD_CACHE_* mode.  The
 * mapping keeps the descriptor alive; undo it with iobmd_unmap(*@addr,
 * *@mapped).
 */
int iobmd_map(struct iobmd_dev *dev, iobmd_handle handle, uint64_t offset,
	      uint64_t length, uint32_t flags, void **addr,
	      uint64_t *mapped);
int iobmd_unmap(void *addr, uint64_t length);

/* iobmd_map_at()'s @where: how the mapping is placed (library flags). */
#define IOBMD_WHERE_FIXED	0x1 /* its first page at @at, or -EEXIST */
#define IOBMD_WHERE_POPULATE	0x2 /* every page faulted in now */
#define IOBMD_WHERE_LENGTH	0x4 /* @length 0: to the descriptor's length */
#define IOBMD_WHERE_PIN		0x8 /* user memory: pinned for the mapping */
/*
 * iobmd_map() placed: with IOBMD_WHERE_FIXED the page holding byte
 * @offset lands at @at (page aligned, else -EINVAL), never over another
 * mapping (-EEXIST); without, @at is only a hint (NULL: anywhere).  With
 * IOBMD_WHERE_LENGTH the range is checked against the descriptor's length
 * rather than its mapping's end, as IOKit's map() does: @length 0 maps
 * to the descriptor's last byte, an @offset past it is -ERANGE, at it
 * -ENODATA; one command on a module of ABI 1.2 or later (two for an
 * empty descriptor).  The command comes before the check: a refused range
 * leaves the handle's cookie made, as IOBMD_MAP does, until the handle
 * is released.  With IOBMD_WHERE_PIN, user memory that nothing has
 * pinned (a general descriptor not prepared, or a sub, multi or
 * interleaved descriptor over one), which the module maps only while
 * pinned (-ENODATA), is pinned for the mapping: the library prepares the
 * handle for the command and the mmap(), then completes it (the
 * prepare is seen by other threads only while the call runs), and the
 * mapping holds a pin of its own until its last munmap() (a copy made by
 * fork() holds another).  The pin is for writing, or for reading when the
 * mapping is read-only and the process cannot write the memory; errors
 * are the prepare's (-EFAULT: memory the process cannot write, or no
 * longer has; -ENOMEM: RLIMIT_MEMLOCK).
 * Added in LIBIOBMD_1.1; IOBMD_WHERE_LENGTH and IOBMD_WHERE_PIN came later
 * with no new symbol: a library without them answers -EINVAL.
 */
int iobmd_map_at(struct iobmd_dev *dev, iobmd_handle handle, uint64_t offset,
		 uint64_t length, uint32_t flags, void *at, uint32_t where,
		 void **addr, uint64_t *mapped);

/* prepare() and complete(): @direction with IOBMD_PREPARE_* modifiers. */
int iobmd_prepare(struct iobmd_dev *dev, iobmd_handle handle,
		  uint32_t direction);
int iobmd_complete(struct iobmd_dev *dev, iobmd_handle handle,
		   uint32_t direction);
/* performOperation(): @op is IOBMD_OP_*. */
int iobmd_perform(struct iobmd_dev *dev, iobmd_handle handle, uint32_t op,
		  uint64_t offset, uint64_t length);
/*
 * Physical (or, with IOBMD_SEGMENTS_DMA, DMA) segments of a range in one
 * command: up to *@count into @segs; *@count gets the entries written and
 * *@total (when not NULL) those the range needs.
 */
int iobmd_segments(struct iobmd_dev *dev, iobmd_handle handle,
		   uint32_t flags, uint64_t offset, uint64_t length,
		   struct iobmd_segment *segs, uint32_t *count,
		   uint64_t *total);

#ifdef __cplusplus
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
}
#endif

#endif /* IOBMD_IOBMD_H */

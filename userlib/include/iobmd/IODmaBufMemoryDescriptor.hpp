/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IODmaBufMemoryDescriptor, memory a dma-buf file
 * descriptor names, imported from its exporter (the module's kind
 * IOBMD_KIND_DMABUF; a dma-buf that iobmd itself exported comes back as a
 * window of the descriptor it was made from, which this class holds
 * alike).
 *
 * Its length is the dma-buf's size (an iobmd export's: the length that
 * was exported).  readBytes() and writeBytes() go through the exporter's
 * kernel mapping inside its CPU-access brackets; a map() of it is the
 * exporter's own mmap, in the exporter's cache mode (no kIOMap*Cache
 * but the default); prepare() attaches the dma-buf for DMA; sub, multi
 * and interleaved descriptors can be built over it; physical segments
 * (CAP_SYS_ADMIN) exist where the exporter's pages do.  A dma-buf open
 * read-only is written by nobody: writeBytes(), writable maps and
 * prepares for a device that writes fail with kIOReturnNotPrivileged.
 * It cannot be exported again (kIOReturnBadArgument).
 */
#ifndef IOBMD_IODMABUFMEMORYDESCRIPTOR_HPP
#define IOBMD_IODMABUFMEMORYDESCRIPTOR_HPP

#include "IOMemoryDescriptor.hpp"
#include "export.hpp"
#include "task.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IODmaBufMemoryDescriptor final : public IOMemoryDescriptor {
public:
	/* As IOMemoryDescriptor::withDmaBuf(). */
	[[nodiscard]] static OSSharedPtr<IODmaBufMemoryDescriptor> withDmaBuf(
		int fd, IODirection direction, task_t task = nullptr) noexcept;

private:
	explicit IODmaBufMemoryDescriptor(task_t task)
		: IOMemoryDescriptor(std::move(task)) {}
};

} // namespace iobmd

#endif /* IOBMD_IODMABUFMEMORYDESCRIPTOR_HPP */

/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOBufferMemoryDescriptor, memory the descriptor
 * allocates itself, placed as IOKit's options, alignment and physical
 * mask demand.
 *
 * The module applies IOKit's initWithPhysicalMask rules (capacity 0 fails,
 * an alignment above a page implies kIOMemoryPhysicallyContiguous, ...).
 * getBytesNoCopy() maps the whole capacity into this process on its first
 * call; the mapping lives as long as the descriptor.
 */
#ifndef IOBMD_IOBUFFERMEMORYDESCRIPTOR_HPP
#define IOBMD_IOBUFFERMEMORYDESCRIPTOR_HPP

#include <mutex>

#include "IOGeneralMemoryDescriptor.hpp"
#include "IOMemoryMap.hpp"
#include "IOReturn.hpp"
#include "export.hpp"
#include "task.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IOBufferMemoryDescriptor final : public IOGeneralMemoryDescriptor {
public:
	~IOBufferMemoryDescriptor() override;
	/* @alignment 0 or 1: none; else a power of two. */
	[[nodiscard]] static OSSharedPtr<IOBufferMemoryDescriptor> inTaskWithOptions(
		task_t inTask, IOOptionBits options, vm_size_t capacity,
		vm_offset_t alignment = 1) noexcept;
	/* IOKit's VM accounting tags: accepted and not used (Linux accounts
	 * the memory to the process's memory cgroup). */
	[[nodiscard]] static OSSharedPtr<IOBufferMemoryDescriptor> inTaskWithOptions(
		task_t inTask, IOOptionBits options, vm_size_t capacity,
		vm_offset_t alignment, std::uint32_t kernTag,
		std::uint32_t userTag) noexcept;
	/* The mask's lowest set bit is the alignment, mask | (alignment - 1)
	 * the highest address; a mask of 0 constrains nothing. */
	[[nodiscard]] static OSSharedPtr<IOBufferMemoryDescriptor> inTaskWithPhysicalMask(
		task_t inTask, IOOptionBits options, mach_vm_size_t capacity,
		mach_vm_address_t physicalMask) noexcept;
	[[nodiscard]] static OSSharedPtr<IOBufferMemoryDescriptor> withOptions(
		IOOptionBits options, vm_size_t capacity,
		vm_offset_t alignment = 1) noexcept;
	/* Contiguous: aligned to the capacity (rounded up to a power of two,
	 * which the module requires of alignments). */
	[[nodiscard]] static OSSharedPtr<IOBufferMemoryDescriptor> withCapacity(
		vm_size_t capacity, IODirection direction,
		bool contiguous = false) noexcept;
	[[nodiscard]] static OSSharedPtr<IOBufferMemoryDescriptor> withBytes(
		const void *bytes, vm_size_t length, IODirection direction,
		bool contiguous = false) noexcept;
	/* A new page-aligned buffer holding a copy of [source, source +
	 * size) of @sourceMap (this process's memory).  @options must have
	 * kIOMemoryPageable, as IOKit requires (kIOReturnBadArgument). */
	[[nodiscard]] static OSSharedPtr<IOBufferMemoryDescriptor> withCopy(
		task_t inTask, IOOptionBits options, vm_map_t sourceMap,
		mach_vm_address_t source, mach_vm_size_t size) noexcept;

	/* DriverKit: @options is a kIOMemoryDirection*; the buffer is
	 * kernel-user shared (page aligned, whole pages). */
	[[nodiscard]] static kern_return_t Create(std::uint64_t options,
				    std::uint64_t capacity,
				    std::uint64_t alignment,
				    OSSharedPtr<IOBufferMemoryDescriptor> *memory) noexcept;
	/* The same, handing out a reference for OSSafeReleaseNULL(). */
	[[nodiscard]] static kern_return_t Create(std::uint64_t options,
				    std::uint64_t capacity,
				    std::uint64_t alignment,
				    IOBufferMemoryDescriptor **memory) noexcept;

	/* The capacity asked for, as IOKit reports it, even where the
	 * memory was rounded up to whole pages. */
	vm_size_t getCapacity() const noexcept;
	/* A length above the capacity is ignored. */
	void setLength(vm_size_t length) noexcept;
	/* Appends what fits below the capacity; true even when truncated. */
	bool appendBytes(const void *bytes, vm_size_t withLength) noexcept;
	/* The buffer in this process, or NULL. */
	void *getBytesNoCopy() noexcept;
	/* NULL when start + withLength overflows, start >= getLength() or
	 * start + withLength > getLength(). */
	void *getBytesNoCopy(vm_size_t start, vm_size_t withLength) noexcept;

	/* DriverKit: the buffer's address in this process and its length. */
	[[nodiscard]] kern_return_t GetAddressRange(IOAddressSegment *range) noexcept;
	[[nodiscard]] kern_return_t SetLength(std::uint64_t length) noexcept;

private:
	explicit IOBufferMemoryDescriptor(task_t task);

	[[nodiscard]] IOBMD_LOCAL static OSSharedPtr<IOBufferMemoryDescriptor> create(
		task_t inTask, std::uint32_t flags, IOOptionBits options,
		std::uint64_t capacity, std::uint64_t alignment,
		std::uint64_t physicalMask, const void *bytes) noexcept;

	/* Its data, the library's own: the layout can change without
	 * changing the ABI. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IOBUFFERMEMORYDESCRIPTOR_HPP */

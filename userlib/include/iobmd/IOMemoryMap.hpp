/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOMemoryMap, a descriptor mapped into this process.
 *
 * Made by IOMemoryDescriptor::createMappingInTask(), map() and
 * CreateMapping().  The map owns the mmap() and unmaps it when destroyed
 * (move-only).  It holds its descriptor (and so the descriptor's task), as
 * IOKit's does; the module's mapping holds the memory itself.  (The one
 * exception is the mapping a buffer keeps for getBytesNoCopy(), which
 * points back at the buffer without holding it.)
 *
 * Threads: the getters and unmap() may be called from several threads at
 * once; the mapping is unmapped exactly once, by whichever unmap() (or the
 * destructor) takes it first.  Moving a map, and destroying it, must not
 * overlap other calls on it.
 */
#ifndef IOBMD_IOMEMORYMAP_HPP
#define IOBMD_IOMEMORYMAP_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "IOReturn.hpp"
#include "export.hpp"
#include "task.hpp"
#include "types.hpp"

namespace iobmd {

class IOMemoryDescriptor;

class IOBMD_API IOMemoryMap final {
public:
	IOMemoryMap(IOMemoryMap &&other) noexcept;
	IOMemoryMap &operator=(IOMemoryMap &&other) noexcept;
	IOMemoryMap(const IOMemoryMap &) = delete;
	IOMemoryMap &operator=(const IOMemoryMap &) = delete;
	~IOMemoryMap();

	/* Address of the first byte mapped: the page the mapping starts
	 * with plus the offset of that byte in it.  0 once unmapped. */
	IOVirtualAddress getVirtualAddress() const noexcept;
	mach_vm_address_t getAddress() const noexcept { return getVirtualAddress(); }
	/* Bytes of the descriptor mapped.  0 once unmapped. */
	[[nodiscard]] IOByteCount getLength() const noexcept;
	mach_vm_size_t getSize() const noexcept { return getLength(); }
	/* The options it was made with. */
	IOOptionBits getMapOptions() const noexcept;
	/* Unmaps it; later calls do nothing and succeed. */
	[[nodiscard]] IOReturn unmap() noexcept;

	/* The descriptor it maps (null in a map moved from); the map holds
	 * it, so the pointer is good as long as the map is. */
	IOMemoryDescriptor *getMemoryDescriptor() const noexcept;
	/* The task it was made in: its descriptor's. */
	task_t getAddressTask() const noexcept;
	/* The descriptor's getPhysicalSegment() at byte @offset of the map,
	 * *@length cut to what is left of the map; 0 (length 0) past its
	 * end (kIOReturnOverrun) or once unmapped (kIOReturnNotReady). */
	[[nodiscard]] IOPhysicalAddress getPhysicalSegment(IOByteCount offset,
					     IOByteCount *length,
					     IOOptionBits options = 0) noexcept;
	[[nodiscard]] IOPhysicalAddress getPhysicalAddress() noexcept;

	/* DriverKit: the address, the bytes mapped and where in the
	 * descriptor the map starts (0 once unmapped, but the offset). */
	std::uint64_t GetAddress() const noexcept { return getAddress(); }
	std::uint64_t GetLength() const noexcept { return getLength(); }
	std::uint64_t GetOffset() const noexcept;

private:
	friend class IOMemoryDescriptor;
	friend class IOBufferMemoryDescriptor;
	IOMemoryMap();
	IOBMD_LOCAL void set(void *base, std::size_t size, IOVirtualAddress address,
			     IOByteCount length, IOOptionBits options) noexcept;
	/* The descriptor it maps and where: held, or (weaken()) only
	 * pointed at. */
	IOBMD_LOCAL void bind(std::shared_ptr<IOMemoryDescriptor> descriptor,
			      IOByteCount offset) noexcept;
	IOBMD_LOCAL void weaken() noexcept;

	/* Its data, the library's own (src/IOMemoryMap.cpp); null only in
	 * a map moved from. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IOMEMORYMAP_HPP */

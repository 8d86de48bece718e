/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOMemoryMap, a descriptor mapped into this process.
 *
 * Made by IOMemoryDescriptor::createMappingInTask() and map().  The map
 * owns the mmap() and unmaps it when destroyed (move-only).  The module's
 * mapping holds the memory, so a map stays valid after its descriptor and
 * its task are gone.
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

#include "IOReturn.hpp"
#include "export.hpp"
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

private:
	friend class IOMemoryDescriptor;
	IOMemoryMap();
	IOBMD_LOCAL void set(void *base, std::size_t size, IOVirtualAddress address,
			     IOByteCount length, IOOptionBits options) noexcept;

	/* Its data, the library's own (src/IOMemoryMap.cpp); null only in
	 * a map moved from. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IOMEMORYMAP_HPP */

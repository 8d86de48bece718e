/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IODeviceMemory, a physical MMIO range (a PCI BAR,
 * say) that is not System RAM.  Needs CAP_SYS_RAWIO.  Mapped uncached
 * unless the map asks for write-through, write-combine or copyback;
 * readBytes/writeBytes go through the kernel's I/O accessors.
 */
#ifndef IOBMD_IODEVICEMEMORY_HPP
#define IOBMD_IODEVICEMEMORY_HPP

#include <vector>

#include "IOMemoryDescriptor.hpp"
#include "export.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IODeviceMemory final : public IOMemoryDescriptor {
public:
	/* Made in current_task(). */
	[[nodiscard]] static OSSharedPtr<IODeviceMemory> withRange(IOPhysicalAddress start,
						     IOPhysicalLength length) noexcept;
	/* IOKit's InitElement: one range and the tag it gets. */
	struct InitElement {
		IOPhysicalAddress start;
		IOPhysicalLength length;
		IOOptionBits tag;
	};
	/* One IODeviceMemory for each of @count elements, each tagged as
	 * its element says (IOKit: an OSArray).  Empty on failure: all or
	 * none (kIOReturnBadArgument for no list or none in it). */
	[[nodiscard]] static std::vector<OSSharedPtr<IODeviceMemory>> arrayFromList(
		InitElement list[], IOItemCount count) noexcept;
	/* A window of @of, in its task, holding it. */
	[[nodiscard]] static OSSharedPtr<IODeviceMemory> withSubRange(IODeviceMemory *of,
							IOPhysicalAddress offset,
							IOPhysicalLength length) noexcept;

private:
	explicit IODeviceMemory(task_t task)
		: IOMemoryDescriptor(std::move(task)) {}
};

} // namespace iobmd

#endif /* IOBMD_IODEVICEMEMORY_HPP */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd C++ library: IOGeneralMemoryDescriptor, memory that exists
 * already: ranges of this process's memory, or of physical RAM.
 *
 * User ranges are byte granular and taken in order; they are pinned while
 * the descriptor is prepared, mapped or being read or written, and must
 * stay valid as long as the descriptor may touch them.  Mapping them, and
 * their physical segments, need prepare() first.
 */
#ifndef IOBMD_IOGENERALMEMORYDESCRIPTOR_HPP
#define IOBMD_IOGENERALMEMORYDESCRIPTOR_HPP

#include "IOMemoryDescriptor.hpp"
#include "export.hpp"
#include "task.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IOGeneralMemoryDescriptor : public IOMemoryDescriptor {
public:
	/*
	 * @options: an IODirection, optionally kIOMemoryTypeVirtual(64)
	 * (the default) or kIOMemoryTypePhysical(64) (then as
	 * withPhysicalAddress); other memory types are kIOReturnUnsupported,
	 * other IOMemoryDescriptor option bits are ignored.  Up to 1024
	 * ranges.  A null @task is current_task().
	 */
	static OSSharedPtr<IOGeneralMemoryDescriptor> withAddressRange(
		mach_vm_address_t address, mach_vm_size_t length,
		IOOptionBits options, task_t task) noexcept;
	static OSSharedPtr<IOGeneralMemoryDescriptor> withAddressRanges(
		IOAddressRange *ranges, UInt32 rangeCount,
		IOOptionBits options, task_t task) noexcept;
	/* Physical RAM; needs CAP_SYS_RAWIO. */
	static OSSharedPtr<IOGeneralMemoryDescriptor> withPhysicalAddress(
		IOPhysicalAddress address, IOByteCount withLength,
		IODirection withDirection) noexcept;

protected:
	explicit IOGeneralMemoryDescriptor(task_t task) noexcept
		: IOMemoryDescriptor(std::move(task)) {}

private:
	friend class IODMACommand;
	/* The range of a descriptor of one range of this process's memory
	 * (else empty), which an IOMMU maps as it is. */
	IOAddressRange userRange_ = {0, 0};
};

} // namespace iobmd

#endif /* IOBMD_IOGENERALMEMORYDESCRIPTOR_HPP */

/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOGeneralMemoryDescriptor, memory that exists
 * already: ranges of this process's memory, or of physical RAM.
 *
 * User ranges are byte granular and taken in order; they are pinned while
 * the descriptor is prepared, mapped or being read or written, and must
 * stay valid as long as the descriptor may touch them.  Their physical
 * segments need prepare() first; a map needs none (it pins them itself).
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
	~IOGeneralMemoryDescriptor() override;
	/*
	 * @options: an IODirection, optionally kIOMemoryTypeVirtual(64)
	 * (the default) or kIOMemoryTypePhysical(64) (then as
	 * withPhysicalAddress); other memory types are kIOReturnUnsupported,
	 * other IOMemoryDescriptor option bits are ignored.  Up to 1024
	 * ranges.  A null @task is current_task().
	 */
	[[nodiscard]] static OSSharedPtr<IOGeneralMemoryDescriptor> withAddressRange(
		mach_vm_address_t address, mach_vm_size_t length,
		IOOptionBits options, task_t task) noexcept;
	[[nodiscard]] static OSSharedPtr<IOGeneralMemoryDescriptor> withAddressRanges(
		IOAddressRange *ranges, UInt32 rangeCount,
		IOOptionBits options, task_t task) noexcept;
	/* Physical RAM; needs CAP_SYS_RAWIO. */
	[[nodiscard]] static OSSharedPtr<IOGeneralMemoryDescriptor> withPhysicalAddress(
		IOPhysicalAddress address, IOByteCount withLength,
		IODirection withDirection) noexcept;

	/* This process's ranges, where they are (physical ranges and
	 * buffers: the descriptor itself). */
	void appendExtents(IOByteCount offset, IOByteCount length,
			   std::vector<Extent> &out) override;

protected:
	explicit IOGeneralMemoryDescriptor(task_t task);

private:
	/* Its data, the library's own: the layout can change without
	 * changing the ABI. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IOGENERALMEMORYDESCRIPTOR_HPP */

// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOGeneralMemoryDescriptor, user and physical ranges
 * (IOBMD_GENERAL_CREATE), and IOMemoryDescriptor's factories of them.
 */
#include <cerrno>
#include <cstdint>
#include <vector>

#include "internal.hpp"
#include "iobmd/IOGeneralMemoryDescriptor.hpp"

namespace iobmd {

struct IOGeneralMemoryDescriptor::data {
	/* The ranges of this process's memory it was made of (none for
	 * physical ranges and buffers). */
	std::vector<IOAddressRange> userRanges;
};

IOGeneralMemoryDescriptor::IOGeneralMemoryDescriptor(task_t task)
	: IOMemoryDescriptor(std::move(task)), d_(new data())
{
}

IOGeneralMemoryDescriptor::~IOGeneralMemoryDescriptor()
{
	delete d_;
}

namespace {

/* The module's range array has IOAddressRange's layout. */
static_assert(sizeof(iobmd_range) == sizeof(IOAddressRange));

OSSharedPtr<IOGeneralMemoryDescriptor> nothing(int err) noexcept
{
	detail::fail(err);
	return nullptr;
}

} // namespace

OSSharedPtr<IOGeneralMemoryDescriptor> IOGeneralMemoryDescriptor::withAddressRanges(
	IOAddressRange *ranges, UInt32 rangeCount, IOOptionBits options,
	task_t task) noexcept
{
	using result = OSSharedPtr<IOGeneralMemoryDescriptor>;

	return detail::guarded(result{}, [&]() -> result {
		std::uint32_t flags = 0;

		switch (options & kIOMemoryTypeMask) {
		case 0:
		case kIOMemoryTypeVirtual:
			break;
		case kIOMemoryTypePhysical:
			flags = IOBMD_GENERAL_PHYSICAL;
			break;
		default:
			return nothing(EOPNOTSUPP);
		}
		if (!ranges || !rangeCount)
			return nothing(EINVAL);
		task_t t = detail::resolve(task);
		if (!t)
			return nullptr;

		std::vector<iobmd_range> copy(rangeCount);
		for (UInt32 i = 0; i < rangeCount; i++)
			copy[i] = { ranges[i].address, ranges[i].length };
		result me(new IOGeneralMemoryDescriptor(t));
		const std::uint32_t direction = options & kIOMemoryDirectionMask;
		iobmd_handle h = 0;
		int err = flags ?
			-iobmd_physical_create(t->dev(), copy.data(), rangeCount,
					       direction, &h) :
			-iobmd_general_create(t->dev(), copy.data(), rangeCount,
					      direction, &h);
		if (err)
			return nothing(err);
		me->setHandle(h);
		if (!flags)
			me->d_->userRanges.assign(ranges, ranges + rangeCount);
		else
			me->setMemoryType(kIOMemoryTypePhysical64);
		detail::succeed();
		return me;
	});
}

void IOGeneralMemoryDescriptor::appendExtents(IOByteCount offset,
					      IOByteCount length,
					      std::vector<Extent> &out)
{
	if (d_->userRanges.empty())
		return IOMemoryDescriptor::appendExtents(offset, length, out);
	IOByteCount at = offset;
	detail::forEachCovered(
		d_->userRanges.size(), [&](std::size_t i) { return d_->userRanges[i].length; },
		offset, length, [&](std::size_t i, IOByteCount in, IOByteCount n) {
			out.push_back({this, at, n, d_->userRanges[i].address + in});
			at += n;
		});
}

OSSharedPtr<IOGeneralMemoryDescriptor> IOGeneralMemoryDescriptor::withAddressRange(
	mach_vm_address_t address, mach_vm_size_t length, IOOptionBits options,
	task_t task) noexcept
{
	IOAddressRange range = { address, length };

	return withAddressRanges(&range, 1, options, std::move(task));
}

OSSharedPtr<IOGeneralMemoryDescriptor> IOGeneralMemoryDescriptor::withPhysicalAddress(
	IOPhysicalAddress address, IOByteCount withLength,
	IODirection withDirection) noexcept
{
	IOAddressRange range = { address, withLength };

	return withAddressRanges(&range, 1, withDirection | kIOMemoryTypePhysical,
				 nullptr);
}

OSSharedPtr<IOMemoryDescriptor> IOMemoryDescriptor::withAddressRange(
	mach_vm_address_t address, mach_vm_size_t length, IOOptionBits options,
	task_t task) noexcept
{
	return IOGeneralMemoryDescriptor::withAddressRange(address, length,
							   options,
							   std::move(task));
}

OSSharedPtr<IOMemoryDescriptor> IOMemoryDescriptor::withAddressRanges(
	IOAddressRange *ranges, UInt32 rangeCount, IOOptionBits options,
	task_t task) noexcept
{
	return IOGeneralMemoryDescriptor::withAddressRanges(ranges, rangeCount,
							    options,
							    std::move(task));
}

OSSharedPtr<IOMemoryDescriptor> IOMemoryDescriptor::withPhysicalAddress(
	IOPhysicalAddress address, IOByteCount withLength,
	IODirection withDirection) noexcept
{
	return IOGeneralMemoryDescriptor::withPhysicalAddress(address, withLength,
							      withDirection);
}

OSSharedPtr<IOMemoryDescriptor> IOMemoryDescriptor::withAddress(
	void *address, IOByteCount withLength, IODirection withDirection) noexcept
{
	return IOGeneralMemoryDescriptor::withAddressRange(
		reinterpret_cast<std::uintptr_t>(address), withLength,
		withDirection & kIOMemoryDirectionMask, nullptr);
}

OSSharedPtr<IOMemoryDescriptor> IOMemoryDescriptor::withOptions(
	void *buffers, UInt32 count, UInt32 offset, task_t task,
	IOOptionBits options, IOMapper *mapper) noexcept
{
	/* The device's IOMMU belongs to its IODMACommand here. */
	(void)mapper;
	if (offset) {
		detail::fail(EINVAL);
		return nullptr;
	}
	return IOGeneralMemoryDescriptor::withAddressRanges(
		static_cast<IOAddressRange *>(buffers), count, options,
		std::move(task));
}

} // namespace iobmd

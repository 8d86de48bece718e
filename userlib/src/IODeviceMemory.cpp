// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd C++ library: IODeviceMemory (IOBMD_DEVICE_CREATE; a sub-range is
 * IOBMD_SUB_CREATE on it).
 */
#include <cerrno>

#include "internal.hpp"
#include "iobmd/IODeviceMemory.hpp"

namespace iobmd {

OSSharedPtr<IODeviceMemory> IODeviceMemory::withRange(IOPhysicalAddress start,
						      IOPhysicalLength length) noexcept
{
	using result = OSSharedPtr<IODeviceMemory>;

	return detail::guarded(result{}, [&]() -> result {
		task_t t = current_task();
		if (!t)
			return nullptr;
		result me(new IODeviceMemory(t));
		iobmd_device_create c{};
		c.phys = start;
		c.length = length;
		int err = detail::call(*t, IOBMD_DEVICE_CREATE, c);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(c.handle);
		detail::succeed();
		return me;
	});
}

OSSharedPtr<IODeviceMemory> IODeviceMemory::withSubRange(IODeviceMemory *of,
							 IOPhysicalAddress offset,
							 IOPhysicalLength length) noexcept
{
	using result = OSSharedPtr<IODeviceMemory>;

	return detail::guarded(result{}, [&]() -> result {
		OSSharedPtr<IOMemoryDescriptor> parent =
			of ? of->weak_from_this().lock() : nullptr;
		if (!parent) {
			detail::fail(EINVAL);
			return nullptr;
		}
		IODirection direction = parent->getDirection();
		if (lastError() != kIOReturnSuccess)
			return nullptr;
		result me(new IODeviceMemory(parent->getTask()));
		me->retained_.push_back(parent);

		iobmd_sub_create c{};
		c.parent = parent->getHandle();
		c.direction = direction;
		c.offset = offset;
		c.length = length;
		int err = detail::call(*me->getTask(), IOBMD_SUB_CREATE, c);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(c.handle);
		detail::succeed();
		return me;
	});
}

} // namespace iobmd

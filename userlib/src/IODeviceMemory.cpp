// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IODeviceMemory (IOBMD_DEVICE_CREATE; a sub-range is
 * IOBMD_SUB_CREATE on it).
 */
#include <cerrno>
#include <vector>

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
		iobmd_handle h = 0;
		int err = -iobmd_device_create(t->dev(), start, length, &h);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(h);
		me->setMemoryType(kIOMemoryTypePhysical64);
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
		me->retained().push_back(parent);

		iobmd_handle h = 0;
		int err = -iobmd_sub_create(me->getTask()->dev(),
					    parent->getHandle(), offset, length,
					    direction, &h);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(h);
		me->setMemoryType(kIOMemoryTypePhysical64);
		detail::succeed();
		return me;
	});
}

std::vector<OSSharedPtr<IODeviceMemory>> IODeviceMemory::arrayFromList(
	InitElement list[], IOItemCount count) noexcept
{
	using result = std::vector<OSSharedPtr<IODeviceMemory>>;

	return detail::guarded(result{}, [&]() -> result {
		if (!list || !count) {
			detail::fail(EINVAL);
			return {};
		}
		result all;
		all.reserve(count);
		for (IOItemCount i = 0; i < count; i++) {
			OSSharedPtr<IODeviceMemory> range =
				withRange(list[i].start, list[i].length);
			if (!range)
				return {};
			range->setTag(list[i].tag);
			if (lastError() != kIOReturnSuccess)
				return {};
			all.push_back(std::move(range));
		}
		detail::succeed();
		return all;
	});
}

} // namespace iobmd

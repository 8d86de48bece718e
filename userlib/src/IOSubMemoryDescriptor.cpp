// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd C++ library: IOSubMemoryDescriptor (IOBMD_SUB_CREATE).
 */
#include <cerrno>
#include <vector>

#include "internal.hpp"
#include "iobmd/IOSubMemoryDescriptor.hpp"

namespace iobmd {

OSSharedPtr<IOSubMemoryDescriptor> IOSubMemoryDescriptor::withSubRange(
	IOMemoryDescriptor *of, IOByteCount offset, IOByteCount length,
	IOOptionBits options) noexcept
{
	using result = OSSharedPtr<IOSubMemoryDescriptor>;

	return detail::guarded(result{}, [&]() -> result {
		OSSharedPtr<IOMemoryDescriptor> parent =
			of ? of->weak_from_this().lock() : nullptr;
		if (!parent) {
			detail::fail(EINVAL);
			return nullptr;
		}
		result me(new IOSubMemoryDescriptor(parent->getTask()));
		me->retained_.push_back(parent);

		iobmd_handle h = 0;
		int err = -iobmd_sub_create(me->getTask()->dev(),
					    parent->getHandle(), offset, length,
					    options, &h);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(h);
		me->offset_ = offset;
		detail::succeed();
		return me;
	});
}

void IOSubMemoryDescriptor::appendExtents(IOByteCount offset, IOByteCount length,
					  std::vector<Extent> &out)
{
	retained_.front()->appendExtents(offset_ + offset, length, out);
}

} // namespace iobmd

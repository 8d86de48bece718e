// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOSubMemoryDescriptor (IOBMD_SUB_CREATE).
 */
#include <cerrno>
#include <vector>

#include "internal.hpp"
#include "iobmd/IOSubMemoryDescriptor.hpp"

namespace iobmd {

struct IOSubMemoryDescriptor::data {
	IOByteCount offset = 0; /* of the window in the parent */
};

IOSubMemoryDescriptor::IOSubMemoryDescriptor(task_t task)
	: IOMemoryDescriptor(std::move(task)), d_(new data())
{
}

IOSubMemoryDescriptor::~IOSubMemoryDescriptor()
{
	delete d_;
}

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
		me->retained().push_back(parent);

		iobmd_handle h = 0;
		int err = -iobmd_sub_create(me->getTask()->dev(),
					    parent->getHandle(), offset, length,
					    options, &h);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(h);
		me->d_->offset = offset;
		detail::succeed();
		return me;
	});
}

void IOSubMemoryDescriptor::appendExtents(IOByteCount offset, IOByteCount length,
					  std::vector<Extent> &out)
{
	retained().front()->appendExtents(d_->offset + offset, length, out);
}

} // namespace iobmd

// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOMultiMemoryDescriptor (IOBMD_MULTI_CREATE).
 */
#include <cerrno>
#include <cstdint>
#include <vector>

#include "internal.hpp"
#include "iobmd/IOMultiMemoryDescriptor.hpp"

namespace iobmd {

OSSharedPtr<IOMultiMemoryDescriptor> IOMultiMemoryDescriptor::withDescriptors(
	IOMemoryDescriptor **descriptors, UInt32 withCount,
	IODirection withDirection, bool asReference) noexcept
{
	using result = OSSharedPtr<IOMultiMemoryDescriptor>;

	/* The pieces are always held, never copied. */
	(void)asReference;
	return detail::guarded(result{}, [&]() -> result {
		if (!descriptors || !withCount) {
			detail::fail(EINVAL);
			return nullptr;
		}
		std::vector<OSSharedPtr<IOMemoryDescriptor>> pieces;
		std::vector<std::uint32_t> handles;
		pieces.reserve(withCount);
		handles.reserve(withCount);
		for (UInt32 i = 0; i < withCount; i++) {
			IOMemoryDescriptor *d = descriptors[i];
			OSSharedPtr<IOMemoryDescriptor> piece =
				d ? d->weak_from_this().lock() : nullptr;
			if (!piece) {
				detail::fail(EINVAL);
				return nullptr;
			}
			/* Handles name descriptors of one task only. */
			if (!pieces.empty() &&
			    piece->getTask() != pieces.front()->getTask()) {
				detail::fail(EXDEV);
				return nullptr;
			}
			handles.push_back(piece->getHandle());
			pieces.push_back(std::move(piece));
		}

		result me(new IOMultiMemoryDescriptor(pieces.front()->getTask()));
		iobmd_handle h = 0;
		int err = -iobmd_multi_create(me->getTask()->dev(), handles.data(),
					      withCount, withDirection, &h);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(h);
		me->retained() = std::move(pieces);
		detail::succeed();
		return me;
	});
}

void IOMultiMemoryDescriptor::appendExtents(IOByteCount offset,
					    IOByteCount length,
					    std::vector<Extent> &out)
{
	std::vector<IOByteCount> lengths;
	for (const auto &piece : retained()) {
		lengths.push_back(piece->getLength());
		/* A piece whose length cannot be had: map the whole as the
		 * module does. */
		if (lastError() != kIOReturnSuccess)
			return IOMemoryDescriptor::appendExtents(offset, length, out);
	}
	detail::forEachCovered(
		retained().size(), [&](std::size_t i) { return lengths[i]; },
		offset, length, [&](std::size_t i, IOByteCount in, IOByteCount n) {
			retained()[i]->appendExtents(in, n, out);
		});
}

} // namespace iobmd

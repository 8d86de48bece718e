// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOInterleavedMemoryDescriptor
 * (IOBMD_INTERLEAVED_CREATE, _SET and _CLEAR).
 */
#include <cerrno>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "internal.hpp"
#include "iobmd/IOInterleavedMemoryDescriptor.hpp"

namespace iobmd {

struct IOInterleavedMemoryDescriptor::data {
	std::mutex pieces_lock; /* retained(), ranges */
	/* [offset, length) of each piece, in retained()'s order. */
	std::vector<IOAddressRange> ranges;
};

IOInterleavedMemoryDescriptor::IOInterleavedMemoryDescriptor(task_t task)
	: IOMemoryDescriptor(std::move(task)), d_(new data())
{
}

IOInterleavedMemoryDescriptor::~IOInterleavedMemoryDescriptor()
{
	delete d_;
}

OSSharedPtr<IOInterleavedMemoryDescriptor> IOInterleavedMemoryDescriptor::withCapacity(
	IOByteCount capacity, IODirection direction) noexcept
{
	return withCapacity(capacity, direction, nullptr);
}

OSSharedPtr<IOInterleavedMemoryDescriptor> IOInterleavedMemoryDescriptor::withCapacity(
	IOByteCount capacity, IODirection direction, task_t inTask) noexcept
{
	using result = OSSharedPtr<IOInterleavedMemoryDescriptor>;

	return detail::guarded(result{}, [&]() -> result {
		if (capacity > std::numeric_limits<std::uint32_t>::max()) {
			detail::fail(E2BIG);
			return nullptr;
		}
		task_t t = detail::resolve(inTask);
		if (!t)
			return nullptr;
		result me(new IOInterleavedMemoryDescriptor(t));
		iobmd_handle h = 0;
		int err = -iobmd_interleaved_create(
			t->dev(), static_cast<std::uint32_t>(capacity), direction,
			&h);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(h);
		detail::succeed();
		return me;
	});
}

bool IOInterleavedMemoryDescriptor::setMemoryDescriptor(IOMemoryDescriptor *descriptor,
							IOByteCount offset,
							IOByteCount length) noexcept
{
	return detail::guarded(false, [&]() -> bool {
		OSSharedPtr<IOMemoryDescriptor> piece =
			descriptor ? descriptor->weak_from_this().lock() : nullptr;
		if (!piece) {
			detail::fail(EINVAL);
			return false;
		}
		if (piece->getTask() != getTask()) {
			detail::fail(EXDEV);
			return false;
		}
		std::lock_guard<std::mutex> lock(d_->pieces_lock);
		retained().reserve(retained().size() + 1);
		d_->ranges.reserve(d_->ranges.size() + 1);

		int err = -iobmd_interleaved_set(getTask()->dev(), getHandle(),
						 piece->getHandle(), offset,
						 length);
		if (err) {
			detail::fail(err);
			return false;
		}
		retained().push_back(std::move(piece));
		d_->ranges.push_back({offset, length});
		detail::succeed();
		return true;
	});
}

void IOInterleavedMemoryDescriptor::clearMemoryDescriptors(IODirection direction) noexcept
{
	std::lock_guard<std::mutex> lock(d_->pieces_lock);
	int err = -iobmd_interleaved_clear(getTask()->dev(), getHandle(),
					   direction);

	if (!err) {
		retained().clear();
		d_->ranges.clear();
	}
	detail::setErrno(err);
}

void IOInterleavedMemoryDescriptor::appendExtents(IOByteCount offset,
						  IOByteCount length,
						  std::vector<Extent> &out)
{
	std::lock_guard<std::mutex> lock(d_->pieces_lock);
	detail::forEachCovered(
		retained().size(), [&](std::size_t i) { return d_->ranges[i].length; },
		offset, length, [&](std::size_t i, IOByteCount in, IOByteCount n) {
			retained()[i]->appendExtents(d_->ranges[i].address + in, n, out);
		});
}

} // namespace iobmd

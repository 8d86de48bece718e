// SPDX-License-Identifier: GPL-2.0
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
		std::lock_guard<std::mutex> lock(pieces_lock_);
		retained_.reserve(retained_.size() + 1);
		ranges_.reserve(ranges_.size() + 1);

		int err = -iobmd_interleaved_set(getTask()->dev(), getHandle(),
						 piece->getHandle(), offset,
						 length);
		if (err) {
			detail::fail(err);
			return false;
		}
		retained_.push_back(std::move(piece));
		ranges_.push_back({offset, length});
		detail::succeed();
		return true;
	});
}

void IOInterleavedMemoryDescriptor::clearMemoryDescriptors(IODirection direction) noexcept
{
	std::lock_guard<std::mutex> lock(pieces_lock_);
	int err = -iobmd_interleaved_clear(getTask()->dev(), getHandle(),
					   direction);

	if (!err) {
		retained_.clear();
		ranges_.clear();
	}
	detail::setErrno(err);
}

void IOInterleavedMemoryDescriptor::appendExtents(IOByteCount offset,
						  IOByteCount length,
						  std::vector<Extent> &out)
{
	std::lock_guard<std::mutex> lock(pieces_lock_);
	detail::forEachCovered(
		retained_.size(), [&](std::size_t i) { return ranges_[i].length; },
		offset, length, [&](std::size_t i, IOByteCount in, IOByteCount n) {
			retained_[i]->appendExtents(ranges_[i].address + in, n, out);
		});
}

} // namespace iobmd

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd C++ library: IOMemoryMap, the owner of one mmap() of a
 * descriptor.
 */
#include <utility>

#include <sys/mman.h>

#include "internal.hpp"
#include "iobmd/IOMemoryMap.hpp"

namespace iobmd {

IOMemoryMap::IOMemoryMap(IOMemoryMap &&other) noexcept
	: base_(other.base_.exchange(nullptr)),
	  size_(std::exchange(other.size_, 0)),
	  address_(std::exchange(other.address_, 0)),
	  length_(std::exchange(other.length_, 0)),
	  options_(other.options_)
{
}

IOMemoryMap &IOMemoryMap::operator=(IOMemoryMap &&other) noexcept
{
	if (this != &other) {
		/* As the destructor: leaves lastError() alone. */
		if (void *b = base_.exchange(nullptr))
			::munmap(b, size_);
		base_ = other.base_.exchange(nullptr);
		size_ = std::exchange(other.size_, 0);
		address_ = std::exchange(other.address_, 0);
		length_ = std::exchange(other.length_, 0);
		options_ = other.options_;
	}
	return *this;
}

IOMemoryMap::~IOMemoryMap()
{
	if (void *b = base_.exchange(nullptr))
		::munmap(b, size_);
}

IOVirtualAddress IOMemoryMap::getVirtualAddress() const noexcept
{
	detail::succeed();
	return base_.load() ? address_ : 0;
}

IOByteCount IOMemoryMap::getLength() const noexcept
{
	detail::succeed();
	return base_.load() ? length_ : 0;
}

IOOptionBits IOMemoryMap::getMapOptions() const noexcept
{
	detail::succeed();
	return options_;
}

IOReturn IOMemoryMap::unmap() noexcept
{
	/* Only the call that takes the mapping unmaps it. */
	void *b = base_.exchange(nullptr);

	if (b && ::munmap(b, size_)) {
		int err = errno;

		base_.store(b);
		return detail::fail(err);
	}
	return detail::succeed();
}

} // namespace iobmd

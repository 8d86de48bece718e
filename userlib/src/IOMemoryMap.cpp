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
	: base_(std::exchange(other.base_, nullptr)),
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
		if (base_)
			::munmap(base_, size_);
		base_ = std::exchange(other.base_, nullptr);
		size_ = std::exchange(other.size_, 0);
		address_ = std::exchange(other.address_, 0);
		length_ = std::exchange(other.length_, 0);
		options_ = other.options_;
	}
	return *this;
}

IOMemoryMap::~IOMemoryMap()
{
	if (base_)
		::munmap(base_, size_);
}

IOVirtualAddress IOMemoryMap::getVirtualAddress() const noexcept
{
	detail::succeed();
	return address_;
}

IOByteCount IOMemoryMap::getLength() const noexcept
{
	detail::succeed();
	return length_;
}

IOOptionBits IOMemoryMap::getMapOptions() const noexcept
{
	detail::succeed();
	return options_;
}

IOReturn IOMemoryMap::unmap() noexcept
{
	if (base_ && ::munmap(base_, size_))
		return detail::fail(errno);
	base_ = nullptr;
	size_ = 0;
	address_ = 0;
	length_ = 0;
	return detail::succeed();
}

} // namespace iobmd

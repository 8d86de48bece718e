// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOMemoryMap, the owner of one mmap() of a
 * descriptor.
 */
#include <atomic>
#include <utility>

#include <sys/mman.h>

#include "internal.hpp"
#include "iobmd/IOMemoryMap.hpp"

namespace iobmd {

struct IOMemoryMap::data {
	/* What mmap() returned; taken (set to null) by the one unmap. */
	std::atomic<void *> base{nullptr};
	std::size_t size = 0;          /* bytes mmap()ed: whole pages */
	IOVirtualAddress address = 0;  /* base + offset of the first byte */
	IOByteCount length = 0;
	IOOptionBits options = 0;
};

IOMemoryMap::IOMemoryMap() : d_(new data())
{
}

/* The mapping moves with the data: @other is left empty. */
IOMemoryMap::IOMemoryMap(IOMemoryMap &&other) noexcept
	: d_(std::exchange(other.d_, nullptr))
{
}

IOMemoryMap &IOMemoryMap::operator=(IOMemoryMap &&other) noexcept
{
	if (this != &other) {
		/* As the destructor: leaves lastError() alone. */
		std::swap(d_, other.d_);
		if (other.d_) {
			if (void *b = other.d_->base.exchange(nullptr))
				::munmap(b, other.d_->size);
		}
	}
	return *this;
}

IOMemoryMap::~IOMemoryMap()
{
	if (!d_)
		return;
	if (void *b = d_->base.exchange(nullptr))
		::munmap(b, d_->size);
	delete d_;
}

IOVirtualAddress IOMemoryMap::getVirtualAddress() const noexcept
{
	detail::succeed();
	return d_ && d_->base.load() ? d_->address : 0;
}

IOByteCount IOMemoryMap::getLength() const noexcept
{
	detail::succeed();
	return d_ && d_->base.load() ? d_->length : 0;
}

IOOptionBits IOMemoryMap::getMapOptions() const noexcept
{
	detail::succeed();
	return d_ ? d_->options : 0;
}

IOReturn IOMemoryMap::unmap() noexcept
{
	if (!d_)
		return detail::succeed();
	/* Only the call that takes the mapping unmaps it. */
	void *b = d_->base.exchange(nullptr);

	if (b && ::munmap(b, d_->size)) {
		int err = errno;

		d_->base.store(b);
		return detail::fail(err);
	}
	return detail::succeed();
}

/* For IOMemoryDescriptor, which makes maps. */
void IOMemoryMap::set(void *base, std::size_t size, IOVirtualAddress address,
		      IOByteCount length, IOOptionBits options) noexcept
{
	d_->size = size;
	d_->address = address;
	d_->length = length;
	d_->options = options;
	d_->base.store(base);
}

} // namespace iobmd

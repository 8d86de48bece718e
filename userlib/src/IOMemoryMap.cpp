// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOMemoryMap, the owner of one mmap() of a
 * descriptor.
 */
#include <atomic>
#include <cerrno>
#include <utility>

#include <sys/mman.h>

#include "internal.hpp"
#include "iobmd/IOMemoryDescriptor.hpp"
#include "iobmd/IOMemoryMap.hpp"

namespace iobmd {

struct IOMemoryMap::data {
	/* What mmap() returned; taken (set to null) by the one unmap. */
	std::atomic<void *> base{nullptr};
	std::size_t size = 0;          /* bytes mmap()ed: whole pages */
	IOVirtualAddress address = 0;  /* base + offset of the first byte */
	IOByteCount length = 0;
	IOOptionBits options = 0;
	/* The descriptor: held, or only pointed at (a buffer's own map). */
	std::shared_ptr<IOMemoryDescriptor> descriptor;
	std::weak_ptr<IOMemoryDescriptor> weak;
	IOByteCount offset = 0;        /* of the first byte in the descriptor */
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

void IOMemoryMap::bind(std::shared_ptr<IOMemoryDescriptor> descriptor,
		       IOByteCount offset) noexcept
{
	d_->weak = descriptor;
	d_->descriptor = std::move(descriptor);
	d_->offset = offset;
}

void IOMemoryMap::weaken() noexcept
{
	d_->descriptor.reset();
}

IOMemoryDescriptor *IOMemoryMap::getMemoryDescriptor() const noexcept
{
	detail::succeed();
	if (!d_)
		return nullptr;
	if (d_->descriptor)
		return d_->descriptor.get();
	/* A buffer's own map: the buffer holds the map, so while the map is
	 * reachable the buffer is alive. */
	return d_->weak.lock().get();
}

task_t IOMemoryMap::getAddressTask() const noexcept
{
	IOMemoryDescriptor *md = getMemoryDescriptor();

	return md ? md->getTask() : nullptr;
}

std::uint64_t IOMemoryMap::GetOffset() const noexcept
{
	detail::succeed();
	return d_ ? d_->offset : 0;
}

IOPhysicalAddress IOMemoryMap::getPhysicalSegment(IOByteCount offset,
						  IOByteCount *length,
						  IOOptionBits options) noexcept
{
	IOMemoryDescriptor *md = getMemoryDescriptor();
	IOByteCount mapped = getLength();

	if (length)
		*length = 0;
	if (!md || !mapped) {
		detail::setReturn(kIOReturnNotReady, ENODEV);
		return 0;
	}
	if (offset >= mapped) {
		detail::setReturn(kIOReturnOverrun, ERANGE);
		return 0;
	}
	IOByteCount run = 0;
	IOPhysicalAddress a = md->getPhysicalSegment(d_->offset + offset, &run,
						     options);
	if (!a)
		return 0;
	if (length)
		*length = run < mapped - offset ? run : mapped - offset;
	return a;
}

IOPhysicalAddress IOMemoryMap::getPhysicalAddress() noexcept
{
	return getPhysicalSegment(0, nullptr);
}

} // namespace iobmd

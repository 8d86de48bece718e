// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOBufferMemoryDescriptor.  Every factory is one
 * IOBMD_BUF_CREATE in one of its forms; getBytesNoCopy() maps the buffer
 * once and keeps the mapping.
 */
#include <bit>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <mutex>

#include "internal.hpp"
#include "iobmd/IOBufferMemoryDescriptor.hpp"

namespace iobmd {

struct IOBufferMemoryDescriptor::data {
	vm_size_t requested = 0; /* what was asked for */
	std::mutex bytes_lock;
	OSSharedPtr<IOMemoryMap> bytes_map; /* bytes_lock */
};

IOBufferMemoryDescriptor::IOBufferMemoryDescriptor(task_t task)
	: IOGeneralMemoryDescriptor(std::move(task)), d_(new data())
{
}

IOBufferMemoryDescriptor::~IOBufferMemoryDescriptor()
{
	delete d_;
}

using buffer_ptr = OSSharedPtr<IOBufferMemoryDescriptor>;

buffer_ptr IOBufferMemoryDescriptor::create(task_t inTask, std::uint32_t flags,
					    IOOptionBits options,
					    std::uint64_t capacity,
					    std::uint64_t alignment,
					    std::uint64_t physicalMask,
					    const void *bytes) noexcept
{
	return detail::guarded(buffer_ptr{}, [&]() -> buffer_ptr {
		task_t t = detail::resolve(inTask);
		if (!t)
			return nullptr;
		buffer_ptr me(new IOBufferMemoryDescriptor(t));

		iobmd_handle h = 0;
		int err;
		if (flags & IOBMD_BUF_CREATE_WITH_BYTES)
			err = iobmd_buffer_with_bytes(t->dev(), bytes, capacity,
						      options, &h);
		else if (flags & IOBMD_BUF_CREATE_PHYS_MASK)
			err = iobmd_buffer_create_masked(t->dev(), options,
							 capacity, physicalMask,
							 &h);
		else
			err = iobmd_buffer_create(t->dev(), options, capacity,
						  alignment, &h);
		if (err) {
			detail::fail(-err);
			return nullptr;
		}
		me->setHandle(h);
		me->d_->requested = capacity;
		detail::succeed();
		return me;
	});
}

buffer_ptr IOBufferMemoryDescriptor::inTaskWithOptions(task_t inTask,
						       IOOptionBits options,
						       vm_size_t capacity,
						       vm_offset_t alignment) noexcept
{
	return create(std::move(inTask), 0, options, capacity, alignment, 0,
		      nullptr);
}

buffer_ptr IOBufferMemoryDescriptor::inTaskWithOptions(task_t inTask,
						       IOOptionBits options,
						       vm_size_t capacity,
						       vm_offset_t alignment,
						       std::uint32_t kernTag,
						       std::uint32_t userTag) noexcept
{
	(void)kernTag;
	(void)userTag;
	return inTaskWithOptions(std::move(inTask), options, capacity, alignment);
}

buffer_ptr IOBufferMemoryDescriptor::inTaskWithPhysicalMask(task_t inTask,
							    IOOptionBits options,
							    mach_vm_size_t capacity,
							    mach_vm_address_t physicalMask) noexcept
{
	/* IOKit: no mask, no constraint (the module wants the flag off). */
	if (!physicalMask)
		return create(std::move(inTask), 0, options, capacity, 1, 0,
			      nullptr);
	return create(std::move(inTask), IOBMD_BUF_CREATE_PHYS_MASK, options,
		      capacity, 0, physicalMask, nullptr);
}

buffer_ptr IOBufferMemoryDescriptor::withOptions(IOOptionBits options,
						 vm_size_t capacity,
						 vm_offset_t alignment) noexcept
{
	return inTaskWithOptions(kernel_task, options, capacity, alignment);
}

buffer_ptr IOBufferMemoryDescriptor::withCapacity(vm_size_t capacity,
						  IODirection direction,
						  bool contiguous) noexcept
{
	IOOptionBits options = direction | kIOMemoryUnshared;
	vm_offset_t alignment = 1;

	if (contiguous) {
		options |= kIOMemoryPhysicallyContiguous;
		/* IOKit aligns to the capacity; the module takes powers of
		 * two only, so round up (past the top, the module refuses
		 * the capacity anyway). */
		alignment = capacity;
		if (capacity > 1 && capacity <= (std::numeric_limits<vm_size_t>::max() >> 1) + 1)
			alignment = std::bit_ceil(capacity);
	}
	return withOptions(options, capacity, alignment);
}

buffer_ptr IOBufferMemoryDescriptor::withBytes(const void *bytes,
					       vm_size_t length,
					       IODirection direction,
					       bool contiguous) noexcept
{
	IOOptionBits options = direction | kIOMemoryUnshared;

	if (contiguous)
		options |= kIOMemoryPhysicallyContiguous;
	/* The module derives the alignment (min(length, page)) itself. */
	return create(kernel_task, IOBMD_BUF_CREATE_WITH_BYTES, options, length,
		      0, 0, bytes);
}

buffer_ptr IOBufferMemoryDescriptor::withCopy(task_t inTask,
					      IOOptionBits options,
					      vm_map_t sourceMap,
					      mach_vm_address_t source,
					      mach_vm_size_t size) noexcept
{
	/* Every map is this process's memory. */
	(void)sourceMap;
	/* IOKit's initWithPhysicalMask refuses a copy that is not pageable. */
	if (!(options & kIOMemoryPageable)) {
		detail::fail(EINVAL);
		return nullptr;
	}
	task_t t = detail::resolve(inTask);
	if (!t)
		return nullptr;
	buffer_ptr me = inTaskWithOptions(t, options, size, t->pageSize());
	if (!me)
		return nullptr;
	if (me->writeBytes(0, reinterpret_cast<const void *>(source), size) != size)
		return nullptr;
	return me;
}

kern_return_t IOBufferMemoryDescriptor::Create(std::uint64_t options,
					       std::uint64_t capacity,
					       std::uint64_t alignment,
					       buffer_ptr *memory) noexcept
{
	if (!memory || options & ~kIOMemoryDirectionOutIn)
		return detail::fail(EINVAL);
	*memory = inTaskWithOptions(kernel_task,
				    static_cast<IOOptionBits>(options) |
					    kIOMemoryKernelUserShared |
					    kIOMemoryThreadSafe,
				    capacity, alignment);
	return *memory ? kIOReturnSuccess : lastError();
}

kern_return_t IOBufferMemoryDescriptor::Create(std::uint64_t options,
					       std::uint64_t capacity,
					       std::uint64_t alignment,
					       IOBufferMemoryDescriptor **memory) noexcept
{
	if (!memory)
		return detail::fail(EINVAL);
	*memory = nullptr;
	buffer_ptr b;
	kern_return_t ret = Create(options, capacity, alignment, &b);
	if (ret != kIOReturnSuccess)
		return ret;
	*memory = OSRetainedPointer(b);
	return *memory ? kIOReturnSuccess : lastError();
}

vm_size_t IOBufferMemoryDescriptor::getCapacity() const noexcept
{
	detail::succeed();
	return d_->requested;
}

void IOBufferMemoryDescriptor::setLength(vm_size_t length) noexcept
{
	detail::setErrno(-iobmd_set_length(getTask()->dev(), getHandle(), length,
					   nullptr));
}

bool IOBufferMemoryDescriptor::appendBytes(const void *bytes,
					   vm_size_t withLength) noexcept
{
	int err = -iobmd_append(getTask()->dev(), getHandle(), bytes, withLength,
				nullptr);

	detail::setErrno(err);
	return !err;
}

void *IOBufferMemoryDescriptor::getBytesNoCopy() noexcept
{
	return detail::guarded(static_cast<void *>(nullptr), [&]() -> void * {
		std::lock_guard<std::mutex> lock(d_->bytes_lock);

		/* The whole capacity, so that a longer length is covered. */
		if (!d_->bytes_map) {
			d_->bytes_map = mapRange(0, kIOMapAnywhere, 0, 0);
			/* The buffer holds this map: it must not hold the buffer. */
			if (d_->bytes_map)
				d_->bytes_map->weaken();
		}
		if (!d_->bytes_map)
			return nullptr;
		detail::succeed();
		return reinterpret_cast<void *>(d_->bytes_map->getVirtualAddress());
	});
}

void *IOBufferMemoryDescriptor::getBytesNoCopy(vm_size_t start,
					       vm_size_t withLength) noexcept
{
	vm_size_t end;

	if (__builtin_add_overflow(start, withLength, &end)) {
		detail::fail(ERANGE);
		return nullptr;
	}
	IOByteCount length = getLength();
	if (lastError() != kIOReturnSuccess)
		return nullptr;
	if (start >= length || end > length) {
		detail::fail(ERANGE);
		return nullptr;
	}
	auto *base = static_cast<std::uint8_t *>(getBytesNoCopy());
	return base ? base + start : nullptr;
}

kern_return_t IOBufferMemoryDescriptor::GetAddressRange(IOAddressSegment *range) noexcept
{
	if (!range)
		return detail::fail(EINVAL);
	void *bytes = getBytesNoCopy();
	if (!bytes)
		return lastError();
	IOByteCount length = getLength();
	if (lastError() != kIOReturnSuccess)
		return lastError();
	range->address = reinterpret_cast<std::uintptr_t>(bytes);
	range->length = length;
	return kIOReturnSuccess;
}

kern_return_t IOBufferMemoryDescriptor::SetLength(std::uint64_t length) noexcept
{
	setLength(length);
	return lastError();
}

} // namespace iobmd

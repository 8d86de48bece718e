// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOMemoryDescriptor, the calls every kind shares,
 * each one command of the module; and mapping.
 */
#include <cerrno>
#include <cstdint>
#include <utility>
#include <vector>

#include <sys/mman.h>

#include "internal.hpp"
#include "iobmd/IOMemoryDescriptor.hpp"

namespace iobmd {

namespace {

constexpr IOOptionBits kKnownMapOptions =
	kIOMapAnywhere | kIOMapCacheMask | kIOMapReadOnly | kIOMapStatic |
	kIOMapReference | kIOMapUnique | kIOMapPrefault;

std::uint64_t round_down(std::uint64_t v, std::uint64_t page) noexcept
{
	return v & ~(page - 1);
}

} // namespace

struct IOMemoryDescriptor::data {
	task_t task;
	std::uint32_t handle = 0;
	std::vector<OSSharedPtr<IOMemoryDescriptor>> retained;
};

IOMemoryDescriptor::IOMemoryDescriptor(task_t task) : d_(new data())
{
	d_->task = std::move(task);
}

const task_t &IOMemoryDescriptor::getTask() const noexcept
{
	return d_->task;
}

std::uint32_t IOMemoryDescriptor::getHandle() const noexcept
{
	return d_->handle;
}

void IOMemoryDescriptor::setHandle(std::uint32_t handle) noexcept
{
	d_->handle = handle;
}

std::vector<OSSharedPtr<IOMemoryDescriptor>> &IOMemoryDescriptor::retained() noexcept
{
	return d_->retained;
}

IOMemoryDescriptor::~IOMemoryDescriptor()
{
	/* Mappings hold the memory on their own; the handle can go. */
	if (d_->handle && d_->task && d_->task->isOwner())
		iobmd_release(d_->task->dev(), d_->handle);
	delete d_;
}

/* Memory the module maps as it is: the range itself. */
void IOMemoryDescriptor::appendExtents(IOByteCount offset, IOByteCount length,
				       std::vector<Extent> &out)
{
	out.push_back({this, offset, length, 0});
}

IOByteCount IOMemoryDescriptor::getLength() const noexcept
{
	iobmd_info i;
	int err = detail::info(*d_->task, d_->handle, i);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return i.length;
}

IODirection IOMemoryDescriptor::getDirection() const noexcept
{
	iobmd_info i;
	int err = detail::info(*d_->task, d_->handle, i);

	if (err) {
		detail::fail(err);
		return kIODirectionNone;
	}
	detail::succeed();
	return i.direction;
}

void IOMemoryDescriptor::setDirection(IODirection direction) noexcept
{
	detail::setErrno(-iobmd_set_direction(d_->task->dev(), d_->handle, direction));
}

IOOptionBits IOMemoryDescriptor::getTag() const noexcept
{
	iobmd_info i;
	int err = detail::info(*d_->task, d_->handle, i);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return static_cast<IOOptionBits>(i.tag);
}

void IOMemoryDescriptor::setTag(IOOptionBits tag) noexcept
{
	detail::setErrno(-iobmd_set_tag(d_->task->dev(), d_->handle, tag));
}

IOByteCount IOMemoryDescriptor::readBytes(IOByteCount offset, void *bytes,
					  IOByteCount length) noexcept
{
	std::uint64_t done = 0;
	int err = -iobmd_read(d_->task->dev(), d_->handle, offset, bytes, length, &done);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return done;
}

IOByteCount IOMemoryDescriptor::writeBytes(IOByteCount offset,
					   const void *bytes,
					   IOByteCount length) noexcept
{
	std::uint64_t done = 0;
	int err = -iobmd_write(d_->task->dev(), d_->handle, offset, bytes, length, &done);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return done;
}

IOReturn IOMemoryDescriptor::prepare(IODirection forDirection) noexcept
{
	int err = -iobmd_prepare(d_->task->dev(), d_->handle, forDirection);

	return err ? detail::fail(err) : detail::succeed();
}

IOReturn IOMemoryDescriptor::complete(IODirection forDirection) noexcept
{
	int err = -iobmd_complete(d_->task->dev(), d_->handle, forDirection);

	return err ? detail::fail(err) : detail::succeed();
}

IOPhysicalAddress IOMemoryDescriptor::getPhysicalSegment(IOByteCount offset,
							 IOByteCount *length,
							 IOOptionBits options) noexcept
{
	iobmd_segment seg{};
	std::uint32_t count = 1;
	int err = ENODATA;

	/* The DMA address exists while prepared; else the physical one. */
	if (!(options & kIOMemoryMapperNone))
		err = -iobmd_segments(d_->task->dev(), d_->handle, IOBMD_SEGMENTS_DMA,
				      offset, 0, &seg, &count, nullptr);
	if (err == ENODATA) {
		count = 1;
		err = -iobmd_segments(d_->task->dev(), d_->handle, 0, offset, 0, &seg,
				      &count, nullptr);
	}
	if (!err && !count)
		err = ERANGE;
	if (err) {
		if (length)
			*length = 0;
		detail::fail(err);
		return 0;
	}
	if (length)
		*length = seg.len;
	detail::succeed();
	return seg.addr;
}

IOPhysicalAddress IOMemoryDescriptor::getPhysicalAddress() noexcept
{
	return getPhysicalSegment(0, nullptr);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::createMappingInTask(
	task_t intoTask, mach_vm_address_t atAddress, IOOptionBits options,
	mach_vm_size_t offset, mach_vm_size_t length) noexcept
{
	/* Every task is this process: @intoTask changes nothing. */
	(void)intoTask;
	if (options & ~kKnownMapOptions) {
		detail::fail(EINVAL);
		return nullptr;
	}
	iobmd_info i;
	int err = detail::info(*d_->task, d_->handle, i);
	if (err) {
		detail::fail(err);
		return nullptr;
	}
	if (offset > i.length) {
		detail::fail(ERANGE);
		return nullptr;
	}
	if (!length)
		length = i.length - offset;
	if (!length) {
		/* As the module says of a mapping of nothing. */
		detail::fail(ENODATA);
		return nullptr;
	}
	if (length > i.length - offset) {
		detail::fail(ERANGE);
		return nullptr;
	}
	return mapRange(atAddress, options, offset, length);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::map(IOOptionBits options) noexcept
{
	return createMappingInTask(d_->task, 0, options | kIOMapAnywhere);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::mapRange(
	mach_vm_address_t atAddress, IOOptionBits options,
	mach_vm_size_t offset, mach_vm_size_t length) noexcept
{
	return detail::guarded(OSSharedPtr<IOMemoryMap>{},
			       [&]() -> OSSharedPtr<IOMemoryMap> {
		OSSharedPtr<IOMemoryMap> m(new IOMemoryMap());
		const std::uint64_t page = d_->task->pageSize();
		const bool fixed = atAddress && !(options & kIOMapAnywhere);

		if (fixed && (atAddress & (page - 1))) {
			detail::fail(EINVAL);
			return nullptr;
		}

		/* One command and one mmap() of the pages holding the range. */
		std::uint32_t flags = options & kIOMapCacheMask;
		if (options & kIOMapReadOnly)
			flags |= IOBMD_MAP_READONLY;
		std::uint32_t where = 0;
		if (fixed)
			where |= IOBMD_WHERE_FIXED;
		if (options & kIOMapPrefault)
			where |= IOBMD_WHERE_POPULATE;
		void *hint = fixed ? reinterpret_cast<void *>(atAddress) : nullptr;
		void *p = nullptr;
		std::uint64_t mapped = 0;
		int err = -iobmd_map_at(d_->task->dev(), d_->handle, offset, length,
					flags, hint, where, &p, &mapped);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(p);
		const std::uintptr_t base = round_down(addr, page);
		m->set(reinterpret_cast<void *>(base),
		       round_down(addr + mapped + page - 1, page) - base, addr,
		       mapped, options);
		detail::succeed();
		return m;
	});
}

IOReturn IOMemoryDescriptor::setPurgeable(IOOptionBits newState,
					  IOOptionBits *oldState) noexcept
{
	std::uint32_t old = 0;
	int err = -iobmd_set_purgeable(d_->task->dev(), d_->handle, newState, &old);

	if (err)
		return detail::fail(err);
	if (oldState)
		*oldState = old;
	return detail::succeed();
}

IOReturn IOMemoryDescriptor::performOperation(IOOptionBits options,
					      IOByteCount offset,
					      IOByteCount length) noexcept
{
	std::uint32_t op;

	switch (options) {
	case kIOMemoryIncoherentIOFlush:
		op = IOBMD_OP_FLUSH;
		break;
	case kIOMemoryIncoherentIOStore:
		op = IOBMD_OP_STORE;
		break;
	case kIOMemoryIncoherentIOInvalidate:
		op = IOBMD_OP_INVALIDATE;
		break;
	default:
		return detail::fail(EOPNOTSUPP);
	}
	int err = -iobmd_perform(d_->task->dev(), d_->handle, op, offset, length);

	return err ? detail::fail(err) : detail::succeed();
}

} // namespace iobmd

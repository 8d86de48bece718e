// SPDX-License-Identifier: GPL-2.0
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

/* IOBMD_SET_* on a handle; returns 0 or the errno. */
int set(const task &t, std::uint32_t handle, unsigned long cmd,
	std::uint64_t value, std::uint64_t *out = nullptr) noexcept
{
	iobmd_set_arg a{};
	a.handle = handle;
	a.value = value;
	int err = detail::call(t, cmd, a);
	if (!err && out)
		*out = a.value;
	return err;
}

std::uint64_t round_down(std::uint64_t v, std::uint64_t page) noexcept
{
	return v & ~(page - 1);
}

} // namespace

IOMemoryDescriptor::IOMemoryDescriptor(task_t task) noexcept
	: task_(std::move(task))
{
}

IOMemoryDescriptor::~IOMemoryDescriptor()
{
	/* Mappings hold the memory on their own; the handle can go. */
	if (handle_ && task_ && task_->isOwner()) {
		iobmd_handle_arg a{};
		a.handle = handle_;
		detail::call(*task_, IOBMD_RELEASE, a);
	}
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
	int err = detail::info(*task_, handle_, i);

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
	int err = detail::info(*task_, handle_, i);

	if (err) {
		detail::fail(err);
		return kIODirectionNone;
	}
	detail::succeed();
	return i.direction;
}

void IOMemoryDescriptor::setDirection(IODirection direction) noexcept
{
	detail::setErrno(set(*task_, handle_, IOBMD_SET_DIRECTION, direction));
}

IOOptionBits IOMemoryDescriptor::getTag() const noexcept
{
	iobmd_info i;
	int err = detail::info(*task_, handle_, i);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return static_cast<IOOptionBits>(i.tag);
}

void IOMemoryDescriptor::setTag(IOOptionBits tag) noexcept
{
	detail::setErrno(set(*task_, handle_, IOBMD_SET_TAG, tag));
}

IOByteCount IOMemoryDescriptor::readBytes(IOByteCount offset, void *bytes,
					  IOByteCount length) noexcept
{
	iobmd_rw rw{};
	rw.handle = handle_;
	rw.offset = offset;
	rw.buf = reinterpret_cast<std::uintptr_t>(bytes);
	rw.len = length;
	int err = detail::call(*task_, IOBMD_READ, rw);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return rw.done;
}

IOByteCount IOMemoryDescriptor::writeBytes(IOByteCount offset,
					   const void *bytes,
					   IOByteCount length) noexcept
{
	iobmd_rw rw{};
	rw.handle = handle_;
	rw.offset = offset;
	rw.buf = reinterpret_cast<std::uintptr_t>(bytes);
	rw.len = length;
	int err = detail::call(*task_, IOBMD_WRITE, rw);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return rw.done;
}

IOReturn IOMemoryDescriptor::prepare(IODirection forDirection) noexcept
{
	iobmd_prepare p{};
	p.handle = handle_;
	p.direction = forDirection;
	int err = detail::call(*task_, IOBMD_PREPARE, p);

	return err ? detail::fail(err) : detail::succeed();
}

IOReturn IOMemoryDescriptor::complete(IODirection forDirection) noexcept
{
	iobmd_prepare p{};
	p.handle = handle_;
	p.direction = forDirection;
	int err = detail::call(*task_, IOBMD_COMPLETE, p);

	return err ? detail::fail(err) : detail::succeed();
}

IOPhysicalAddress IOMemoryDescriptor::getPhysicalSegment(IOByteCount offset,
							 IOByteCount *length,
							 IOOptionBits options) noexcept
{
	iobmd_segment seg{};
	iobmd_segments s{};
	s.handle = handle_;
	s.count = 1;
	s.offset = offset;
	s.segs = reinterpret_cast<std::uintptr_t>(&seg);
	int err = ENODATA;

	/* The DMA address exists while prepared; else the physical one. */
	if (!(options & kIOMemoryMapperNone)) {
		s.flags = IOBMD_SEGMENTS_DMA;
		err = detail::call(*task_, IOBMD_GET_SEGMENTS, s);
	}
	if (err == ENODATA) {
		s.flags = 0;
		s.count = 1;
		err = detail::call(*task_, IOBMD_GET_SEGMENTS, s);
	}
	if (!err && !s.count)
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
	int err = detail::info(*task_, handle_, i);
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
	return createMappingInTask(task_, 0, options | kIOMapAnywhere);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::mapRange(
	mach_vm_address_t atAddress, IOOptionBits options,
	mach_vm_size_t offset, mach_vm_size_t length) noexcept
{
	return detail::guarded(OSSharedPtr<IOMemoryMap>{},
			       [&]() -> OSSharedPtr<IOMemoryMap> {
		OSSharedPtr<IOMemoryMap> m(new IOMemoryMap());
		const std::uint64_t page = task_->pageSize();
		const bool fixed = atAddress && !(options & kIOMapAnywhere);

		if (fixed && (atAddress & (page - 1))) {
			detail::fail(EINVAL);
			return nullptr;
		}

		/* Where the descriptor's first byte lies in the mapping. */
		iobmd_map probe{};
		probe.handle = handle_;
		int err = detail::call(*task_, IOBMD_MAP, probe);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		std::uint64_t pos, end;
		if (__builtin_add_overflow(probe.addr_offset, offset, &pos) ||
		    __builtin_add_overflow(pos, length, &end) ||
		    end > probe.extent) {
			detail::fail(ERANGE);
			return nullptr;
		}

		/* The pages holding [pos, end); the extent is whole pages. */
		iobmd_map req{};
		req.handle = handle_;
		req.flags = options & kIOMapCacheMask;
		if (options & kIOMapReadOnly)
			req.flags |= IOBMD_MAP_READONLY;
		req.offset = round_down(pos, page);
		req.len = round_down(end + page - 1, page) - req.offset;
		err = detail::call(*task_, IOBMD_MAP, req);
		if (err) {
			detail::fail(err);
			return nullptr;
		}

		int prot = PROT_READ;
		if (!(options & kIOMapReadOnly))
			prot |= PROT_WRITE;
		int flags = MAP_SHARED;
		if (fixed)
			flags |= MAP_FIXED_NOREPLACE;
		if (options & kIOMapPrefault)
			flags |= MAP_POPULATE;
		void *hint = fixed ? reinterpret_cast<void *>(atAddress) : nullptr;
		void *p = ::mmap(hint, req.len, prot, flags, task_->fd(),
				 static_cast<off_t>(req.cookie));
		if (p == MAP_FAILED) {
			detail::fail(errno);
			return nullptr;
		}
		if (fixed && p != hint) {
			::munmap(p, req.len);
			detail::fail(EEXIST);
			return nullptr;
		}
		m->size_ = req.len;
		m->address_ = reinterpret_cast<std::uintptr_t>(p) +
			      (pos - req.offset);
		m->length_ = length;
		m->options_ = options;
		m->base_.store(p);
		detail::succeed();
		return m;
	});
}

IOReturn IOMemoryDescriptor::setPurgeable(IOOptionBits newState,
					  IOOptionBits *oldState) noexcept
{
	std::uint64_t old = 0;
	int err = set(*task_, handle_, IOBMD_SET_PURGEABLE, newState, &old);

	if (err)
		return detail::fail(err);
	if (oldState)
		*oldState = static_cast<IOOptionBits>(old);
	return detail::succeed();
}

IOReturn IOMemoryDescriptor::performOperation(IOOptionBits options,
					      IOByteCount offset,
					      IOByteCount length) noexcept
{
	iobmd_perform p{};

	switch (options) {
	case kIOMemoryIncoherentIOFlush:
		p.op = IOBMD_OP_FLUSH;
		break;
	case kIOMemoryIncoherentIOStore:
		p.op = IOBMD_OP_STORE;
		break;
	case kIOMemoryIncoherentIOInvalidate:
		p.op = IOBMD_OP_INVALIDATE;
		break;
	default:
		return detail::fail(EOPNOTSUPP);
	}
	p.handle = handle_;
	p.offset = offset;
	p.len = length;
	int err = detail::call(*task_, IOBMD_PERFORM, p);

	return err ? detail::fail(err) : detail::succeed();
}

} // namespace iobmd

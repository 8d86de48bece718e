// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd C++ library: dma-bufs.  Export of any descriptor
 * (IOMemoryDescriptor::createDmaBuf, IOBMD_EXPORT_DMABUF) and import of
 * any exporter's dma-buf (IODmaBufMemoryDescriptor, IOBMD_IMPORT_DMABUF).
 */
#include <cerrno>

#include <fcntl.h>

#include "internal.hpp"
#include "iobmd/IODmaBufMemoryDescriptor.hpp"

namespace iobmd {

namespace {

constexpr IOOptionBits kKnownDmaBufOptions =
	kIODmaBufReadOnly | kIODmaBufNoCloseOnExec;

} // namespace

unique_fd IOMemoryDescriptor::createDmaBuf(IOOptionBits options,
					    IOByteCount offset,
					    IOByteCount length) noexcept
{
	if (options & ~kKnownDmaBufOptions) {
		detail::fail(EINVAL);
		return unique_fd();
	}
	iobmd_export_dmabuf e{};
	e.handle = handle_;
	e.fd_flags = (options & kIODmaBufReadOnly) ? O_RDONLY : O_RDWR;
	if (!(options & kIODmaBufNoCloseOnExec))
		e.fd_flags |= O_CLOEXEC;
	e.offset = offset;
	e.length = length;
	int err = detail::call(*task_, IOBMD_EXPORT_DMABUF, e);
	if (err) {
		detail::fail(err);
		return unique_fd();
	}
	detail::succeed();
	return unique_fd(static_cast<int>(e.fd));
}

OSSharedPtr<IODmaBufMemoryDescriptor> IODmaBufMemoryDescriptor::withDmaBuf(
	int fd, IODirection direction, task_t task) noexcept
{
	using result = OSSharedPtr<IODmaBufMemoryDescriptor>;

	return detail::guarded(result{}, [&]() -> result {
		/* As the module answers a file descriptor that is none. */
		if (fd < 0) {
			detail::fail(EBADF);
			return nullptr;
		}
		task_t t = detail::resolve(task);
		if (!t)
			return nullptr;
		result me(new IODmaBufMemoryDescriptor(t));
		iobmd_import_dmabuf c{};
		c.fd = static_cast<std::uint32_t>(fd);
		c.direction = direction;
		int err = detail::call(*t, IOBMD_IMPORT_DMABUF, c);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(c.handle);
		detail::succeed();
		return me;
	});
}

OSSharedPtr<IOMemoryDescriptor> IOMemoryDescriptor::withDmaBuf(
	int fd, IODirection direction, task_t task) noexcept
{
	return IODmaBufMemoryDescriptor::withDmaBuf(fd, direction, std::move(task));
}

} // namespace iobmd

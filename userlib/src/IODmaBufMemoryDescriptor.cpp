// SPDX-License-Identifier: MIT
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
	int fd_flags = (options & kIODmaBufReadOnly) ? O_RDONLY : O_RDWR;
	if (!(options & kIODmaBufNoCloseOnExec))
		fd_flags |= O_CLOEXEC;
	int fd = -1;
	int err = -iobmd_dmabuf_export(getTask()->dev(), getHandle(), offset, length,
				       fd_flags, &fd);
	if (err) {
		detail::fail(err);
		return unique_fd();
	}
	detail::succeed();
	return unique_fd(fd);
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
		iobmd_handle h = 0;
		int err = -iobmd_dmabuf_import(t->dev(), fd, direction, &h);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		me->setHandle(h);
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

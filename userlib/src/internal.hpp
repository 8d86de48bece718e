/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: what the library's files share and do not export:
 * the error slot and the guard that keeps exceptions inside.  Every
 * command of the module goes through the C core, libiobmd
 * (<iobmd/iobmd.h>), whose -errno answers the layer records as errnos.
 */
#ifndef IOBMD_SRC_INTERNAL_HPP
#define IOBMD_SRC_INTERNAL_HPP

#include <cerrno>
#include <cstdint>
#include <new>

#include <iobmd/iobmd.h>

#include "iobmd/IOReturn.hpp"
#include "iobmd/task.hpp"

namespace iobmd::detail {

/* Records an outcome for lastError(): @err is an errno, 0 for success. */
void setErrno(int err) noexcept;
/* Records an IOReturn that has no errno behind it. */
void setReturn(IOReturn ret, int err) noexcept;

/* Records @err and returns its IOReturn. */
inline IOReturn fail(int err) noexcept
{
	setErrno(err);
	return IOReturnFromErrno(err);
}

inline IOReturn succeed() noexcept
{
	setErrno(0);
	return kIOReturnSuccess;
}

/*
 * Runs @body, turning an exception into a failure: bad_alloc into
 * kIOReturnNoMemory, anything else into kIOReturnInternalError.  Returns
 * what @body returns, or @on_error.
 */
template <typename R, typename F>
R guarded(R on_error, F &&body) noexcept
{
	try {
		return body();
	} catch (const std::bad_alloc &) {
		setErrno(ENOMEM);
	} catch (...) {
		setReturn(kIOReturnInternalError, 0);
	}
	return on_error;
}

/*
 * For each of @count pieces laid end to end (piece i is @len(i) bytes)
 * that [offset, offset + length) covers, in order: @fn(i, offset in the
 * piece, bytes of it).
 */
template <typename Len, typename Fn>
void forEachCovered(std::size_t count, Len len, std::uint64_t offset,
		    std::uint64_t length, Fn fn)
{
	std::uint64_t pos = 0;

	for (std::size_t i = 0; i < count && length; i++) {
		const std::uint64_t size = len(i);
		if (offset < pos + size) {
			const std::uint64_t in = offset - pos;
			const std::uint64_t n = size - in < length ? size - in : length;
			fn(i, in, n);
			offset += n;
			length -= n;
		}
		pos += size;
	}
}

/* @t, or current_task() for a null one (null, and recorded, if that
 * cannot be opened). */
task_t resolve(const task_t &t) noexcept;

/* IOBMD_GET_INFO of a handle; 0 or the errno (ECHILD in a forked child). */
int info(const task &t, std::uint32_t handle, iobmd_info &out) noexcept;

} // namespace iobmd::detail

#endif /* IOBMD_SRC_INTERNAL_HPP */

// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOReturn values, the errno table and the
 * thread-local outcome of the last call.
 */
#include <cerrno>
#include <string>

#include "internal.hpp"

namespace iobmd {

namespace {

struct outcome {
	IOReturn ret = kIOReturnSuccess;
	int err = 0;
};

thread_local outcome last;

struct errno_entry {
	int err;
	IOReturn ret;
};

/* The table of IOReturn.hpp; the first entry of each IOReturn is the
 * errno it stands for in ioreturn_category(). */
constexpr errno_entry errno_table[] = {
	{ 0, kIOReturnSuccess },
	{ ENOMEM, kIOReturnNoMemory },
	{ EINVAL, kIOReturnBadArgument },
	{ EBADF, kIOReturnBadArgument },
	{ ERANGE, kIOReturnBadArgument },
	{ EXDEV, kIOReturnBadArgument },
	{ EPERM, kIOReturnNotPrivileged },
	{ EACCES, kIOReturnNotPrivileged },
	{ EOPNOTSUPP, kIOReturnUnsupported },
	{ ENOTTY, kIOReturnUnsupported },
	{ EPROTO, kIOReturnUnsupported },
	{ EBUSY, kIOReturnBusy },
	{ ENODATA, kIOReturnNotReady },
	{ ENOSPC, kIOReturnNoSpace },
	{ EEXIST, kIOReturnNoSpace },
	{ EFAULT, kIOReturnVMError },
	{ ENOENT, kIOReturnNotFound },
	{ E2BIG, kIOReturnNoResources },
	{ EMFILE, kIOReturnNoResources },
	{ ENFILE, kIOReturnNoResources },
	{ ELOOP, kIOReturnNoResources },
	{ EAGAIN, kIOReturnNoResources },
	{ EOVERFLOW, kIOReturnOverrun },
	{ EINTR, kIOReturnAborted },
	{ ENODEV, kIOReturnNoDevice },
	{ ENXIO, kIOReturnNoDevice },
	{ EIO, kIOReturnIOError },
	{ ETIMEDOUT, kIOReturnTimeout },
	{ ECHILD, kIOReturnNotPermitted },
};

struct name_entry {
	IOReturn ret;
	const char *text;
};

/* Descriptions after the comments of IOKit's IOReturn.h. */
constexpr name_entry name_table[] = {
	{ kIOReturnSuccess, "success" },
	{ kIOReturnError, "general error" },
	{ kIOReturnNoMemory, "memory allocation error" },
	{ kIOReturnNoResources, "resource shortage" },
	{ kIOReturnIPCError, "Mach IPC failure" },
	{ kIOReturnNoDevice, "no such device" },
	{ kIOReturnNotPrivileged, "privilege violation" },
	{ kIOReturnBadArgument, "invalid argument" },
	{ kIOReturnLockedRead, "device is read locked" },
	{ kIOReturnLockedWrite, "device is write locked" },
	{ kIOReturnExclusiveAccess, "device is exclusive access" },
	{ kIOReturnBadMessageID, "bad IPC message ID" },
	{ kIOReturnUnsupported, "unsupported function" },
	{ kIOReturnVMError, "virtual memory error" },
	{ kIOReturnInternalError, "internal driver error" },
	{ kIOReturnIOError, "I/O error" },
	{ kIOReturnCannotLock, "cannot acquire lock" },
	{ kIOReturnNotOpen, "device not open" },
	{ kIOReturnNotReadable, "device not readable" },
	{ kIOReturnNotWritable, "device not writeable" },
	{ kIOReturnNotAligned, "alignment error" },
	{ kIOReturnBadMedia, "media error" },
	{ kIOReturnStillOpen, "device(s) still open" },
	{ kIOReturnRLDError, "rld failure" },
	{ kIOReturnDMAError, "DMA failure" },
	{ kIOReturnBusy, "device busy" },
	{ kIOReturnTimeout, "I/O timeout" },
	{ kIOReturnOffline, "device offline" },
	{ kIOReturnNotReady, "not ready" },
	{ kIOReturnNotAttached, "device not attached" },
	{ kIOReturnNoChannels, "no DMA channels available" },
	{ kIOReturnNoSpace, "no space for data" },
	{ kIOReturnPortExists, "port already exists" },
	{ kIOReturnCannotWire, "cannot wire physical memory" },
	{ kIOReturnNoInterrupt, "no interrupt attached" },
	{ kIOReturnNoFrames, "no DMA frames enqueued" },
	{ kIOReturnMessageTooLarge, "message too large" },
	{ kIOReturnNotPermitted, "not permitted" },
	{ kIOReturnNoPower, "no power to device" },
	{ kIOReturnNoMedia, "no media in device" },
	{ kIOReturnUnformattedMedia, "media not formatted" },
	{ kIOReturnUnsupportedMode, "unsupported mode" },
	{ kIOReturnUnderrun, "data underrun" },
	{ kIOReturnOverrun, "data overrun" },
	{ kIOReturnDeviceError, "the device is not working properly" },
	{ kIOReturnNoCompletion, "a completion routine is required" },
	{ kIOReturnAborted, "operation aborted" },
	{ kIOReturnNoBandwidth, "bus bandwidth would be exceeded" },
	{ kIOReturnNotResponding, "device not responding" },
	{ kIOReturnIsoTooOld, "isochronous I/O request for distant past" },
	{ kIOReturnIsoTooNew, "isochronous I/O request for distant future" },
	{ kIOReturnNotFound, "data was not found" },
	{ kIOReturnInvalid, "should never be seen" },
};

class ioreturn_category_impl : public std::error_category {
public:
	const char *name() const noexcept override { return "IOReturn"; }

	std::string message(int ret) const override
	{
		return stringFromReturn(static_cast<IOReturn>(ret));
	}

	std::error_condition default_error_condition(int ret) const noexcept override
	{
		for (const auto &e : errno_table)
			if (e.ret == ret)
				return {e.err, std::generic_category()};
		return {ret, *this};
	}
};

} // namespace

IOReturn IOReturnFromErrno(int err) noexcept
{
	for (const auto &e : errno_table)
		if (e.err == err)
			return e.ret;
	return kIOReturnError;
}

const char *stringFromReturn(IOReturn ret) noexcept
{
	for (const auto &e : name_table)
		if (e.ret == ret)
			return e.text;
	return "unknown IOReturn";
}

IOReturn lastError() noexcept
{
	return last.ret;
}

int lastErrno() noexcept
{
	return last.err;
}

std::error_code lastErrorCode() noexcept
{
	/* An outcome with no errno behind it (an internal error) is still
	 * a failure: as an IOReturn. */
	if (!last.err && last.ret != kIOReturnSuccess)
		return make_error_code(last.ret);
	return {last.err, std::generic_category()};
}

const std::error_category &ioreturn_category() noexcept
{
	static const ioreturn_category_impl category;
	return category;
}

namespace detail {

void setErrno(int err) noexcept
{
	last.err = err;
	last.ret = IOReturnFromErrno(err);
}

void setReturn(IOReturn ret, int err) noexcept
{
	last.ret = ret;
	last.err = err;
}

} // namespace detail

} // namespace iobmd

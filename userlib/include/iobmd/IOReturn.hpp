/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOReturn, and the one error model of the library.
 *
 * Every call of the IOKit-named API records its outcome in a thread-local
 * slot: kIOReturnSuccess and errno 0 when it worked, else the IOReturn and
 * the errno behind it.  Calls that return an IOReturn also return it;
 * the others (factories returning null, readBytes returning 0, ...) leave
 * the reason in lastError() / lastErrno() / lastErrorCode().  Nothing of
 * the IOKit-named API throws.
 *
 * errno -> IOReturn (IOReturnFromErrno):
 *   0                                 kIOReturnSuccess
 *   ENOMEM                            kIOReturnNoMemory
 *   EINVAL                            kIOReturnBadArgument
 *   EBADF                             kIOReturnBadArgument (not a file
 *                                     descriptor, or not a dma-buf)
 *   ERANGE                            kIOReturnBadArgument (a range outside
 *                                     a descriptor; DriverKit's choice too)
 *   EXDEV                             kIOReturnBadArgument (pieces of
 *                                     different tasks)
 *   EPERM, EACCES                     kIOReturnNotPrivileged
 *   ENOTTY, EOPNOTSUPP, EPROTO        kIOReturnUnsupported
 *   EBUSY                             kIOReturnBusy
 *   ENODATA                           kIOReturnNotReady (not prepared;
 *                                     nothing to map)
 *   ENOSPC, EEXIST                    kIOReturnNoSpace (full; address taken)
 *   EFAULT                            kIOReturnVMError
 *   ENOENT                            kIOReturnNotFound
 *   E2BIG, EMFILE, ENFILE, ELOOP,     kIOReturnNoResources (a limit of the
 *   EAGAIN                            module or the process)
 *   EOVERFLOW                         kIOReturnOverrun
 *   EINTR                             kIOReturnAborted
 *   ENODEV, ENXIO                     kIOReturnNoDevice
 *   EIO                               kIOReturnIOError
 *   ETIMEDOUT                         kIOReturnTimeout
 *   ECHILD                            kIOReturnNotPermitted (a forked
 *                                     child using its parent's objects)
 *   anything else                     kIOReturnError
 */
#ifndef IOBMD_IORETURN_HPP
#define IOBMD_IORETURN_HPP

#include <cstdint>
#include <system_error>

#include "export.hpp"
#include "types.hpp"

namespace iobmd {

/*
 * A type of its own with kern_return_t's values: it reads as a number
 * (comparisons, switch, printing), but a plain int does not become one
 * by accident (make_error_code(EINVAL) does not compile as an IOReturn).
 */
enum IOReturn : kern_return_t {};

constexpr IOReturn iokit_common_err(std::uint32_t code) noexcept
{
	return static_cast<IOReturn>(0xe0000000u | code);
}

inline constexpr IOReturn kIOReturnSuccess = IOReturn{};
inline constexpr IOReturn kIOReturnError = iokit_common_err(0x2bc);
inline constexpr IOReturn kIOReturnNoMemory = iokit_common_err(0x2bd);
inline constexpr IOReturn kIOReturnNoResources = iokit_common_err(0x2be);
inline constexpr IOReturn kIOReturnIPCError = iokit_common_err(0x2bf);
inline constexpr IOReturn kIOReturnNoDevice = iokit_common_err(0x2c0);
inline constexpr IOReturn kIOReturnNotPrivileged = iokit_common_err(0x2c1);
inline constexpr IOReturn kIOReturnBadArgument = iokit_common_err(0x2c2);
inline constexpr IOReturn kIOReturnLockedRead = iokit_common_err(0x2c3);
inline constexpr IOReturn kIOReturnLockedWrite = iokit_common_err(0x2c4);
inline constexpr IOReturn kIOReturnExclusiveAccess = iokit_common_err(0x2c5);
inline constexpr IOReturn kIOReturnBadMessageID = iokit_common_err(0x2c6);
inline constexpr IOReturn kIOReturnUnsupported = iokit_common_err(0x2c7);
inline constexpr IOReturn kIOReturnVMError = iokit_common_err(0x2c8);
inline constexpr IOReturn kIOReturnInternalError = iokit_common_err(0x2c9);
inline constexpr IOReturn kIOReturnIOError = iokit_common_err(0x2ca);
inline constexpr IOReturn kIOReturnCannotLock = iokit_common_err(0x2cc);
inline constexpr IOReturn kIOReturnNotOpen = iokit_common_err(0x2cd);
inline constexpr IOReturn kIOReturnNotReadable = iokit_common_err(0x2ce);
inline constexpr IOReturn kIOReturnNotWritable = iokit_common_err(0x2cf);
inline constexpr IOReturn kIOReturnNotAligned = iokit_common_err(0x2d0);
inline constexpr IOReturn kIOReturnBadMedia = iokit_common_err(0x2d1);
inline constexpr IOReturn kIOReturnStillOpen = iokit_common_err(0x2d2);
inline constexpr IOReturn kIOReturnRLDError = iokit_common_err(0x2d3);
inline constexpr IOReturn kIOReturnDMAError = iokit_common_err(0x2d4);
inline constexpr IOReturn kIOReturnBusy = iokit_common_err(0x2d5);
inline constexpr IOReturn kIOReturnTimeout = iokit_common_err(0x2d6);
inline constexpr IOReturn kIOReturnOffline = iokit_common_err(0x2d7);
inline constexpr IOReturn kIOReturnNotReady = iokit_common_err(0x2d8);
inline constexpr IOReturn kIOReturnNotAttached = iokit_common_err(0x2d9);
inline constexpr IOReturn kIOReturnNoChannels = iokit_common_err(0x2da);
inline constexpr IOReturn kIOReturnNoSpace = iokit_common_err(0x2db);
inline constexpr IOReturn kIOReturnPortExists = iokit_common_err(0x2dd);
inline constexpr IOReturn kIOReturnCannotWire = iokit_common_err(0x2de);
inline constexpr IOReturn kIOReturnNoInterrupt = iokit_common_err(0x2df);
inline constexpr IOReturn kIOReturnNoFrames = iokit_common_err(0x2e0);
inline constexpr IOReturn kIOReturnMessageTooLarge = iokit_common_err(0x2e1);
inline constexpr IOReturn kIOReturnNotPermitted = iokit_common_err(0x2e2);
inline constexpr IOReturn kIOReturnNoPower = iokit_common_err(0x2e3);
inline constexpr IOReturn kIOReturnNoMedia = iokit_common_err(0x2e4);
inline constexpr IOReturn kIOReturnUnformattedMedia = iokit_common_err(0x2e5);
inline constexpr IOReturn kIOReturnUnsupportedMode = iokit_common_err(0x2e6);
inline constexpr IOReturn kIOReturnUnderrun = iokit_common_err(0x2e7);
inline constexpr IOReturn kIOReturnOverrun = iokit_common_err(0x2e8);
inline constexpr IOReturn kIOReturnDeviceError = iokit_common_err(0x2e9);
inline constexpr IOReturn kIOReturnNoCompletion = iokit_common_err(0x2ea);
inline constexpr IOReturn kIOReturnAborted = iokit_common_err(0x2eb);
inline constexpr IOReturn kIOReturnNoBandwidth = iokit_common_err(0x2ec);
inline constexpr IOReturn kIOReturnNotResponding = iokit_common_err(0x2ed);
inline constexpr IOReturn kIOReturnIsoTooOld = iokit_common_err(0x2ee);
inline constexpr IOReturn kIOReturnIsoTooNew = iokit_common_err(0x2ef);
inline constexpr IOReturn kIOReturnNotFound = iokit_common_err(0x2f0);
inline constexpr IOReturn kIOReturnInvalid = iokit_common_err(0x1);

/* The table above. */
[[nodiscard]] IOBMD_API IOReturn IOReturnFromErrno(int err) noexcept;

/* A short description of @ret, as IOService::stringFromReturn() gives. */
[[nodiscard]] IOBMD_API const char *stringFromReturn(IOReturn ret) noexcept;

/* The outcome of this thread's last IOKit-named call. */
[[nodiscard]] IOBMD_API IOReturn lastError() noexcept;
IOBMD_API int lastErrno() noexcept;
/*
 * lastErrno() as a std::error_code of std::generic_category() (0: none);
 * an outcome with no errno (kIOReturnInternalError) as an IOReturn.
 */
[[nodiscard]] IOBMD_API std::error_code lastErrorCode() noexcept;

/*
 * IOReturn values as std::error_code: messages from stringFromReturn(),
 * and equivalent to the std::errc the table maps to them (so
 * make_error_code(kIOReturnNoMemory) == std::errc::not_enough_memory).
 */
IOBMD_API const std::error_category &ioreturn_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(IOReturn ret) noexcept
{
	return {ret, ioreturn_category()};
}

} // namespace iobmd

#endif /* IOBMD_IORETURN_HPP */

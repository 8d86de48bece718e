// SPDX-License-Identifier: GPL-2.0
/*
 * IOReturn values, the errno table, the error category, lastError(), and
 * IOKit's constants.
 */
#include <cerrno>
#include <cstdint>
#include <system_error>
#include <thread>
#include <type_traits>

#include "../src/internal.hpp"
#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(IOReturn, ValuesAreIOKits)
{
	EXPECT_EQ(0, kIOReturnSuccess);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002bc), kIOReturnError);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002bd), kIOReturnNoMemory);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002be), kIOReturnNoResources);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002c0), kIOReturnNoDevice);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002c1), kIOReturnNotPrivileged);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002c2), kIOReturnBadArgument);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002c7), kIOReturnUnsupported);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002c8), kIOReturnVMError);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002c9), kIOReturnInternalError);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002ca), kIOReturnIOError);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002d0), kIOReturnNotAligned);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002d5), kIOReturnBusy);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002d6), kIOReturnTimeout);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002d8), kIOReturnNotReady);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002db), kIOReturnNoSpace);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002de), kIOReturnCannotWire);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002e2), kIOReturnNotPermitted);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002e7), kIOReturnUnderrun);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002e8), kIOReturnOverrun);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002eb), kIOReturnAborted);
	EXPECT_EQ(static_cast<IOReturn>(0xe00002f0), kIOReturnNotFound);
	EXPECT_EQ(static_cast<IOReturn>(0xe0000001), kIOReturnInvalid);
}

TEST(IOReturn, ErrnoTable)
{
	const struct {
		int err;
		IOReturn ret;
	} table[] = {
		{ 0, kIOReturnSuccess },
		{ ENOMEM, kIOReturnNoMemory },
		{ EINVAL, kIOReturnBadArgument },
		{ EBADF, kIOReturnBadArgument },
		{ ERANGE, kIOReturnBadArgument },
		{ EXDEV, kIOReturnBadArgument },
		{ EPERM, kIOReturnNotPrivileged },
		{ EACCES, kIOReturnNotPrivileged },
		{ ENOTTY, kIOReturnUnsupported },
		{ EOPNOTSUPP, kIOReturnUnsupported },
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
		{ EDOM, kIOReturnError },
		{ -1, kIOReturnError },
	};
	for (const auto &e : table)
		EXPECT_RET(e.ret, IOReturnFromErrno(e.err)) << "errno " << e.err;
}

TEST(IOReturn, StringFromReturn)
{
	EXPECT_STREQ("success", stringFromReturn(kIOReturnSuccess));
	EXPECT_STREQ("memory allocation error", stringFromReturn(kIOReturnNoMemory));
	EXPECT_STREQ("invalid argument", stringFromReturn(kIOReturnBadArgument));
	EXPECT_STREQ("not ready", stringFromReturn(kIOReturnNotReady));
	EXPECT_STREQ("unknown IOReturn", stringFromReturn(static_cast<IOReturn>(0x1234)));
}

/* An int is not an IOReturn by accident; an IOReturn reads as a number. */
static_assert(!std::is_convertible_v<int, IOReturn>);
static_assert(std::is_convertible_v<IOReturn, kern_return_t>);
static_assert(sizeof(IOReturn) == sizeof(kern_return_t));

/* An outcome with no errno behind it is still an error as a std::error_code. */
TEST(IOReturn, InternalErrorIsAnErrorCode)
{
	iobmd::detail::setReturn(kIOReturnInternalError, 0);
	EXPECT_EQ(0, lastErrno());
	EXPECT_TRUE(lastErrorCode());
	EXPECT_EQ(make_error_code(kIOReturnInternalError), lastErrorCode());
	iobmd::detail::setErrno(0);
	EXPECT_FALSE(lastErrorCode());
}

TEST(IOReturn, ErrorCategory)
{
	std::error_code ec = make_error_code(kIOReturnNoMemory);
	EXPECT_STREQ("IOReturn", ec.category().name());
	EXPECT_EQ("memory allocation error", ec.message());
	EXPECT_TRUE(ec == std::errc::not_enough_memory);
	EXPECT_TRUE(make_error_code(kIOReturnBadArgument) == std::errc::invalid_argument);
	EXPECT_TRUE(make_error_code(kIOReturnNotReady) == std::errc::no_message_available);
	EXPECT_FALSE(make_error_code(kIOReturnSuccess));
	EXPECT_FALSE(make_error_code(kIOReturnBusy) == std::errc::invalid_argument);
}

TEST(IOReturn, LastErrorFollowsEveryCall)
{
	EXPECT_FALSE(task::open("/nonexistent/iobmd"));
	EXPECT_RET(kIOReturnNotFound, lastError());
	EXPECT_EQ(ENOENT, lastErrno());
	EXPECT_TRUE(lastErrorCode() == std::errc::no_such_file_or_directory);

	/* A call that works clears it. */
	ASSERT_MADE(current_task());
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(0, lastErrno());
	EXPECT_FALSE(lastErrorCode());

	/* Getters too, of a buffer and of a map. */
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto m = b->map();
	ASSERT_MADE(m);
	std::uint8_t byte;
	EXPECT_EQ(0U, b->readBytes(page(), &byte, 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(page(), b->getCapacity());
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(0U, b->readBytes(page(), &byte, 1));
	EXPECT_EQ(0U, m->getMapOptions() & kIOMapReadOnly);
	EXPECT_RET(kIOReturnSuccess, lastError());
}

TEST(IOReturn, LastErrorIsPerThread)
{
	EXPECT_FALSE(task::open(nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	IOReturn other = kIOReturnError;
	std::thread([&] {
		other = lastError();
		EXPECT_FALSE(task::open("/nonexistent/iobmd"));
	}).join();
	EXPECT_RET(kIOReturnSuccess, other);
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EINVAL, lastErrno());
}

TEST(Constants, IOKitValues)
{
	EXPECT_EQ(0x0U, kIODirectionNone);
	EXPECT_EQ(0x1U, kIODirectionIn);
	EXPECT_EQ(0x2U, kIODirectionOut);
	EXPECT_EQ(0x3U, kIODirectionInOut);
	EXPECT_EQ(0x3U, kIODirectionOutIn);
	EXPECT_EQ(0x4U, kIODirectionPrepareToPhys32);
	EXPECT_EQ(0x8U, kIODirectionPrepareNoFault);
	EXPECT_EQ(0x20U, kIODirectionPrepareNonCoherent);
	EXPECT_EQ(0x40U, kIODirectionCompleteWithError);
	EXPECT_EQ(0x80U, kIODirectionCompleteWithDataValid);
	EXPECT_EQ(0x7U, kIOMemoryDirectionMask);

	EXPECT_EQ(0x10U, kIOMemoryPhysicallyContiguous);
	EXPECT_EQ(0x20U, kIOMemoryPageable);
	EXPECT_EQ(0x40U, kIOMemoryPurgeable);
	EXPECT_EQ(0x80U, kIOMemoryHostPhysicallyContiguous);
	EXPECT_EQ(0x000f0000U, kIOMemorySharingTypeMask);
	EXPECT_EQ(0x0U, kIOMemoryUnshared);
	EXPECT_EQ(0x00010000U, kIOMemoryKernelUserShared);
	EXPECT_EQ(0x800U, kIOMemoryMapperNone);
	EXPECT_EQ(0x1000U, kIOMemoryHostOnly);
	EXPECT_EQ(0x00100000U, kIOMemoryThreadSafe);
	EXPECT_EQ(0x00200000U, kIOMemoryClearEncrypt);
	EXPECT_EQ(0x00800000U, kIOMemoryUseReserve);

	EXPECT_EQ(0x1U, kIOMapAnywhere);
	EXPECT_EQ(0x700U, kIOMapCacheMask);
	EXPECT_EQ(8U, kIOMapCacheShift);
	EXPECT_EQ(0x000U, kIOMapDefaultCache);
	EXPECT_EQ(0x100U, kIOMapInhibitCache);
	EXPECT_EQ(0x200U, kIOMapWriteThruCache);
	EXPECT_EQ(0x300U, kIOMapCopybackCache);
	EXPECT_EQ(0x400U, kIOMapWriteCombineCache);
	EXPECT_EQ(0x500U, kIOMapCopybackInnerCache);
	EXPECT_EQ(0x600U, kIOMapPostedWrite);
	EXPECT_EQ(0x700U, kIOMapRealTimeCache);
	EXPECT_EQ(0x1000U, kIOMapReadOnly);
	EXPECT_EQ(0x02000000U, kIOMapReference);
	EXPECT_EQ(0x04000000U, kIOMapUnique);
	EXPECT_EQ(0x10000000U, kIOMapPrefault);
	EXPECT_EQ(0x20000000U, kIOMapOverwrite);

	EXPECT_EQ(1U, kIOMemoryPurgeableKeepCurrent);
	EXPECT_EQ(2U, kIOMemoryPurgeableNonVolatile);
	EXPECT_EQ(3U, kIOMemoryPurgeableVolatile);
	EXPECT_EQ(4U, kIOMemoryPurgeableEmpty);
	EXPECT_EQ(1U, kIOMemoryIncoherentIOFlush);
	EXPECT_EQ(2U, kIOMemoryIncoherentIOStore);

	EXPECT_EQ(0U, kIOMemoryDirectionNone);
	EXPECT_EQ(1U, kIOMemoryDirectionIn);
	EXPECT_EQ(2U, kIOMemoryDirectionOut);
	EXPECT_EQ(3U, kIOMemoryDirectionInOut);
}

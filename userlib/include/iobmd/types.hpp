/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOKit's scalar types and constants.
 *
 * Names and numeric values are IOKit's (IOTypes.h, IOMemoryDescriptor.h,
 * IOBufferMemoryDescriptor.h, IOMapTypes.h and DriverKit's
 * IOMemoryDescriptor.iig), so ported code keeps its constants.
 */
#ifndef IOBMD_TYPES_HPP
#define IOBMD_TYPES_HPP

#include <cstdint>
#include <memory>

namespace iobmd {

/* Scalar types (64-bit IOKit). */
using IOOptionBits = std::uint32_t;
using IODirection = IOOptionBits;
using IOItemCount = std::uint32_t;
using IOByteCount = std::uint64_t;
using IOPhysicalAddress = std::uint64_t;
using IOPhysicalLength = std::uint64_t;
using IOVirtualAddress = std::uint64_t;
using addr64_t = std::uint64_t;
using mach_vm_address_t = std::uint64_t;
using mach_vm_size_t = std::uint64_t;
using vm_size_t = std::uintptr_t;
using vm_offset_t = std::uintptr_t;
using kern_return_t = std::int32_t;
using UInt32 = std::uint32_t;

/* IOAddressRange (IOVirtualRange): one range of a task's memory. */
struct IOAddressRange {
	mach_vm_address_t address;
	mach_vm_size_t length;
};

/* DriverKit's IOAddressSegment. */
struct IOAddressSegment {
	std::uint64_t address;
	std::uint64_t length;
};

/* IOKit's OSSharedPtr: shared ownership, null on failure. */
template <typename T>
using OSSharedPtr = std::shared_ptr<T>;

/* IODirection (IOMemoryDescriptor.h). */
inline constexpr IODirection kIODirectionNone = 0x0;
inline constexpr IODirection kIODirectionIn = 0x1;
inline constexpr IODirection kIODirectionOut = 0x2;
inline constexpr IODirection kIODirectionOutIn = kIODirectionOut | kIODirectionIn;
inline constexpr IODirection kIODirectionInOut = kIODirectionIn | kIODirectionOut;
/* prepare() only */
inline constexpr IODirection kIODirectionPrepareToPhys32 = 0x00000004;
inline constexpr IODirection kIODirectionPrepareNoFault = 0x00000008;
inline constexpr IODirection kIODirectionPrepareNonCoherent = 0x00000020;
/* complete() only */
inline constexpr IODirection kIODirectionCompleteWithError = 0x00000040;
inline constexpr IODirection kIODirectionCompleteWithDataValid = 0x00000080;

/* IOMemoryDescriptor options (IOMemoryDescriptor.h). */
inline constexpr IOOptionBits kIOMemoryDirectionMask = 0x00000007;
inline constexpr IOOptionBits kIOMemoryTypeVirtual = 0x00000010;
inline constexpr IOOptionBits kIOMemoryTypePhysical = 0x00000020;
inline constexpr IOOptionBits kIOMemoryTypeUPL = 0x00000030;
inline constexpr IOOptionBits kIOMemoryTypePersistentMD = 0x00000040;
inline constexpr IOOptionBits kIOMemoryTypeUIO = 0x00000050;
inline constexpr IOOptionBits kIOMemoryTypeVirtual64 = kIOMemoryTypeVirtual;
inline constexpr IOOptionBits kIOMemoryTypePhysical64 = kIOMemoryTypePhysical;
inline constexpr IOOptionBits kIOMemoryTypeMask = 0x000000f0;
inline constexpr IOOptionBits kIOMemoryAsReference = 0x00000100;
inline constexpr IOOptionBits kIOMemoryBufferPageable = 0x00000400;
inline constexpr IOOptionBits kIOMemoryMapperNone = 0x00000800;
inline constexpr IOOptionBits kIOMemoryHostOnly = 0x00001000;
inline constexpr IOOptionBits kIOMemoryPersistent = 0x00010000;
inline constexpr IOOptionBits kIOMemoryMapCopyOnWrite = 0x00020000;
inline constexpr IOOptionBits kIOMemoryRemote = 0x00040000;
inline constexpr IOOptionBits kIOMemoryThreadSafe = 0x00100000;
inline constexpr IOOptionBits kIOMemoryClearEncrypt = 0x00200000;
inline constexpr IOOptionBits kIOMemoryUseReserve = 0x00800000;

/* IOBufferMemoryDescriptor options (IOBufferMemoryDescriptor.h). */
inline constexpr IOOptionBits kIOMemoryPhysicallyContiguous = 0x00000010;
inline constexpr IOOptionBits kIOMemoryPageable = 0x00000020;
inline constexpr IOOptionBits kIOMemoryPurgeable = 0x00000040;
inline constexpr IOOptionBits kIOMemoryHostPhysicallyContiguous = 0x00000080;
inline constexpr IOOptionBits kIOMemorySharingTypeMask = 0x000f0000;
inline constexpr IOOptionBits kIOMemoryUnshared = 0x00000000;
inline constexpr IOOptionBits kIOMemoryKernelUserShared = 0x00010000;

/* Cache modes (IOMapTypes.h) and their map-option form. */
inline constexpr IOOptionBits kIODefaultCache = 0;
inline constexpr IOOptionBits kIOInhibitCache = 1;
inline constexpr IOOptionBits kIOWriteThruCache = 2;
inline constexpr IOOptionBits kIOCopybackCache = 3;
inline constexpr IOOptionBits kIOWriteCombineCache = 4;
inline constexpr IOOptionBits kIOCopybackInnerCache = 5;
inline constexpr IOOptionBits kIOPostedWrite = 6;
inline constexpr IOOptionBits kIORealTimeCache = 7;

inline constexpr IOOptionBits kIOMapAnywhere = 0x00000001;
inline constexpr IOOptionBits kIOMapCacheMask = 0x00000700;
inline constexpr IOOptionBits kIOMapCacheShift = 8;
inline constexpr IOOptionBits kIOMapDefaultCache = kIODefaultCache << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapInhibitCache = kIOInhibitCache << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapWriteThruCache = kIOWriteThruCache << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapCopybackCache = kIOCopybackCache << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapWriteCombineCache = kIOWriteCombineCache << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapCopybackInnerCache = kIOCopybackInnerCache << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapPostedWrite = kIOPostedWrite << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapRealTimeCache = kIORealTimeCache << kIOMapCacheShift;
inline constexpr IOOptionBits kIOMapReadOnly = 0x00001000;
inline constexpr IOOptionBits kIOMapStatic = 0x01000000;
inline constexpr IOOptionBits kIOMapReference = 0x02000000;
inline constexpr IOOptionBits kIOMapUnique = 0x04000000;
inline constexpr IOOptionBits kIOMapPrefault = 0x10000000;
inline constexpr IOOptionBits kIOMapOverwrite = 0x20000000;

/* setPurgeable() states. */
inline constexpr IOOptionBits kIOMemoryPurgeableKeepCurrent = 1;
inline constexpr IOOptionBits kIOMemoryPurgeableNonVolatile = 2;
inline constexpr IOOptionBits kIOMemoryPurgeableVolatile = 3;
inline constexpr IOOptionBits kIOMemoryPurgeableEmpty = 4;

/* performOperation() operations.  Invalidate is iobmd's own: it hands
 * what a device wrote to the CPU (IOKit has no name for it). */
inline constexpr IOOptionBits kIOMemoryIncoherentIOFlush = 1;
inline constexpr IOOptionBits kIOMemoryIncoherentIOStore = 2;
inline constexpr IOOptionBits kIOMemoryIncoherentIOInvalidate = 3;

/* DriverKit: IOBufferMemoryDescriptor::Create() directions. */
inline constexpr std::uint64_t kIOMemoryDirectionNone = 0;
inline constexpr std::uint64_t kIOMemoryDirectionIn = 1;
inline constexpr std::uint64_t kIOMemoryDirectionOut = 2;
inline constexpr std::uint64_t kIOMemoryDirectionOutIn = kIOMemoryDirectionIn | kIOMemoryDirectionOut;
inline constexpr std::uint64_t kIOMemoryDirectionInOut = kIOMemoryDirectionOutIn;
inline constexpr std::uint64_t kIOMemoryDisableCopyOnWrite = 0x00000010;

/* DriverKit: IOMemoryDescriptor::CreateMapping() options. */
inline constexpr std::uint64_t kIOMemoryMapFixedAddress = 0x00000001;
inline constexpr std::uint64_t kIOMemoryMapReadOnly = 0x00000002;
inline constexpr std::uint64_t kIOMemoryMapGuardedMask = 0x0000001C;
inline constexpr std::uint64_t kIOMemoryMapGuardedDefault = 0x00000000;
inline constexpr std::uint64_t kIOMemoryMapGuardedNone = 0x00000004;
inline constexpr std::uint64_t kIOMemoryMapGuardedSmall = 0x00000008;
inline constexpr std::uint64_t kIOMemoryMapGuardedLarge = 0x0000000C;
inline constexpr std::uint64_t kIOMemoryMapCacheModeDefault = 0x00000000;
inline constexpr std::uint64_t kIOMemoryMapCacheModeInhibit = 0x00000100;
inline constexpr std::uint64_t kIOMemoryMapCacheModeCopyback = 0x00000200;
inline constexpr std::uint64_t kIOMemoryMapCacheModeWriteThrough = 0x00000400;

/* getPreparationID() (IOMemoryDescriptor.h). */
inline constexpr std::uint64_t kIOPreparationIDUnprepared = 0;
inline constexpr std::uint64_t kIOPreparationIDUnsupported = 1;
inline constexpr std::uint64_t kIOPreparationIDAlwaysPrepared = 2;

} // namespace iobmd

#endif /* IOBMD_TYPES_HPP */

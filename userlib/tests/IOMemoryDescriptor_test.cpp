// SPDX-License-Identifier: GPL-2.0
/*
 * IOMemoryDescriptor's calls, shown on buffers: length, direction, tag,
 * readBytes/writeBytes, prepare/complete (wiring only; PrepareToPhys32
 * by placement), physical segments, setPurgeable and performOperation.
 */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <linux/capability.h>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(IOMemoryDescriptor, DirectionAndTag)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionOut);
	ASSERT_MADE(b);
	EXPECT_EQ(kIODirectionOut, b->getDirection());
	b->setDirection(kIODirectionIn);
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(kIODirectionIn, b->getDirection());
	/* Not a direction. */
	b->setDirection(kIODirectionPrepareToPhys32);
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(kIODirectionIn, b->getDirection());

	EXPECT_EQ(0U, b->getTag());
	b->setTag(0xfeedface);
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(0xfeedfaceU, b->getTag());
}

TEST(IOMemoryDescriptor, ReadAndWriteBytes)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(3 * page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto src = pattern(2 * page(), 6);
	/* Across page boundaries, at an odd offset. */
	EXPECT_EQ(src.size(), b->writeBytes(page() / 2 + 3, src.data(), src.size()));
	EXPECT_RET(kIOReturnSuccess, lastError());
	std::vector<std::uint8_t> back(src.size());
	EXPECT_EQ(back.size(), b->readBytes(page() / 2 + 3, back.data(), back.size()));
	EXPECT_EQ(src, back);

	/* Length 0 inside the descriptor: nothing, and no error. */
	EXPECT_EQ(0U, b->readBytes(10, back.data(), 0));
	EXPECT_RET(kIOReturnSuccess, lastError());
}

TEST(IOMemoryDescriptor, ReadAndWriteBytesOutsideTheLength)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(1000, kIODirectionInOut);
	ASSERT_MADE(b);
	std::uint8_t buf[16] = {};

	/* All or nothing: the whole range must fit. */
	EXPECT_EQ(0U, b->readBytes(995, buf, sizeof(buf)));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_EQ(0U, b->readBytes(1000, buf, 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(0U, b->writeBytes(std::numeric_limits<IOByteCount>::max(), buf, 2));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	/* The length, not the capacity, bounds them. */
	b->setLength(100);
	EXPECT_EQ(0U, b->writeBytes(90, buf, sizeof(buf)));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(10U, b->writeBytes(90, buf, 10));
}

TEST(IOMemoryDescriptor, WriteBytesFromNullZeroFills)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	std::vector<std::uint8_t> ones(page(), 0x11);
	ASSERT_EQ(page(), b->writeBytes(0, ones.data(), ones.size()));
	EXPECT_EQ(100U, b->writeBytes(50, nullptr, 100));
	std::vector<std::uint8_t> back(page());
	ASSERT_EQ(page(), b->readBytes(0, back.data(), back.size()));
	for (std::size_t i = 0; i < back.size(); i++)
		ASSERT_EQ(i >= 50 && i < 150 ? 0 : 0x11, back[i]) << "byte " << i;
}

TEST(IOMemoryDescriptor, BytesThatFault)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(b);
	EXPECT_EQ(0U, b->writeBytes(0, reinterpret_cast<void *>(8), 10));
	EXPECT_RET(kIOReturnVMError, lastError());
	EXPECT_EQ(0U, b->readBytes(0, reinterpret_cast<void *>(8), 10));
	EXPECT_RET(kIOReturnVMError, lastError());
}

TEST(IOMemoryDescriptor, PrepareAndCompleteNest)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	EXPECT_RET(kIOReturnSuccess, b->prepare());
	EXPECT_RET(kIOReturnSuccess, b->prepare(kIODirectionIn));
	EXPECT_RET(kIOReturnSuccess, b->complete());
	EXPECT_RET(kIOReturnSuccess, b->complete(kIODirectionCompleteWithDataValid));
	/* Nothing left to complete. */
	EXPECT_RET(kIOReturnBadArgument, b->complete());
	/* Bits prepare() does not know. */
	EXPECT_RET(kIOReturnBadArgument, b->prepare(0x100));
	EXPECT_RET(kIOReturnBadArgument, b->complete(kIODirectionPrepareToPhys32));
}

/*
 * kIODirectionPrepareToPhys32 moves nothing: it holds for memory placed
 * below 4 GiB (a buffer whose physical mask says so) and fails with ERANGE
 * (kIOReturnBadArgument) for a buffer without such a mask and for the
 * process's own pages, wherever they lie, leaving nothing prepared.
 * Prepares only wire, so they nest with it and without it.
 */
TEST(IOMemoryDescriptor, PrepareToPhys32)
{
	auto m32 = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut, 16 * page(), 0x00000000FFFFF000ULL);
	ASSERT_MADE(m32);
	ASSERT_RET(kIOReturnSuccess, m32->prepare(kIODirectionPrepareToPhys32));
	for (const auto &s : segments_of(*m32, kIOMemoryMapperNone))
		EXPECT_LE(s.address + s.length, 0x100000000ULL);
	EXPECT_RET(kIOReturnSuccess, m32->prepare());
	EXPECT_RET(kIOReturnSuccess, m32->prepare(kIODirectionPrepareToPhys32));
	EXPECT_RET(kIOReturnSuccess, m32->complete());
	EXPECT_RET(kIOReturnSuccess, m32->complete());
	EXPECT_RET(kIOReturnSuccess, m32->complete());
	EXPECT_RET(kIOReturnBadArgument, m32->complete());

	auto b = IOBufferMemoryDescriptor::withCapacity(16 * page(), kIODirectionInOut);
	ASSERT_MADE(b);
	EXPECT_RET(kIOReturnBadArgument, b->prepare(kIODirectionPrepareToPhys32));
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_RET(kIOReturnBadArgument, b->complete());
	/* Prepared without it, it still does not meet it. */
	ASSERT_RET(kIOReturnSuccess, b->prepare());
	EXPECT_RET(kIOReturnBadArgument, b->prepare(kIODirectionPrepareToPhys32));
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_RET(kIOReturnSuccess, b->complete());
	EXPECT_RET(kIOReturnBadArgument, b->complete());

	anon_pages mem(page());
	ASSERT_NE(nullptr, mem.data());
	auto g = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(g);
	EXPECT_RET(kIOReturnBadArgument, g->prepare(kIODirectionPrepareToPhys32));
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_RET(kIOReturnBadArgument, g->complete());
}

TEST(IOMemoryDescriptor, PhysicalSegments)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(4 * page(), kIODirectionInOut, true);
	ASSERT_MADE(b);
	IOByteCount len = 0;
	IOPhysicalAddress phys = b->getPhysicalSegment(0, &len, kIOMemoryMapperNone);
	ASSERT_NE(0U, phys);
	EXPECT_EQ(4 * page(), len);
	/* From an offset: the rest of the run. */
	EXPECT_EQ(phys + 100, b->getPhysicalSegment(100, &len, kIOMemoryMapperNone));
	EXPECT_EQ(4 * page() - 100, len);
	/* No prepare: the physical address. */
	EXPECT_EQ(phys, b->getPhysicalSegment(0, &len));
	EXPECT_EQ(phys, b->getPhysicalAddress());
	EXPECT_EQ(phys + 1, b->getPhysicalSegment(1, nullptr));

	/*
	 * Prepared: a prepare from userspace maps for no device, so there is
	 * no DMA address; the default mapper's answer is the physical one.
	 */
	ASSERT_RET(kIOReturnSuccess, b->prepare());
	EXPECT_EQ(phys, b->getPhysicalSegment(0, &len));
	EXPECT_EQ(4 * page(), len);
	EXPECT_RET(kIOReturnSuccess, b->complete());

	/* Past the end: 0, length 0. */
	len = 1;
	EXPECT_EQ(0U, b->getPhysicalSegment(4 * page(), &len));
	EXPECT_EQ(0U, len);
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(IOMemoryDescriptor, PhysicalSegmentsNeedCapSysAdmin)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	without_capability drop(CAP_SYS_ADMIN);
	IOByteCount len = 1;
	EXPECT_EQ(0U, b->getPhysicalSegment(0, &len));
	EXPECT_EQ(0U, len);
	EXPECT_RET(kIOReturnNotPrivileged, lastError());
	EXPECT_EQ(EPERM, lastErrno());
}

TEST(IOMemoryDescriptor, PerformOperation)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut);
	ASSERT_MADE(b);
	/* Only on prepared memory. */
	EXPECT_RET(kIOReturnNotReady, b->performOperation(kIOMemoryIncoherentIOFlush, 0, 100));
	ASSERT_RET(kIOReturnSuccess, b->prepare());
	EXPECT_RET(kIOReturnSuccess, b->performOperation(kIOMemoryIncoherentIOFlush, 0, 100));
	EXPECT_RET(kIOReturnSuccess,
		   b->performOperation(kIOMemoryIncoherentIOStore, page() - 1, 2));
	EXPECT_RET(kIOReturnSuccess,
		   b->performOperation(kIOMemoryIncoherentIOInvalidate, 0, 2 * page()));
	/* Outside the length, and operations the module does not have. */
	EXPECT_RET(kIOReturnBadArgument,
		   b->performOperation(kIOMemoryIncoherentIOFlush, page(), 2 * page()));
	EXPECT_RET(kIOReturnUnsupported, b->performOperation(50, 0, 100));
	EXPECT_RET(kIOReturnUnsupported, b->performOperation(0, 0, 100));
	EXPECT_RET(kIOReturnSuccess, b->complete());
}

TEST(IOMemoryDescriptor, SetPurgeable)
{
	auto plain = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(plain);
	IOOptionBits old = 0;
	EXPECT_RET(kIOReturnUnsupported,
		   plain->setPurgeable(kIOMemoryPurgeableVolatile, &old));

	auto b = IOBufferMemoryDescriptor::withOptions(kIODirectionInOut | kIOMemoryPurgeable,
						       page());
	ASSERT_MADE(b);
	EXPECT_RET(kIOReturnSuccess, b->setPurgeable(kIOMemoryPurgeableKeepCurrent, &old));
	EXPECT_EQ(kIOMemoryPurgeableNonVolatile, old);
	EXPECT_RET(kIOReturnSuccess, b->setPurgeable(kIOMemoryPurgeableVolatile, &old));
	EXPECT_EQ(kIOMemoryPurgeableNonVolatile, old);
	EXPECT_RET(kIOReturnSuccess, b->setPurgeable(kIOMemoryPurgeableNonVolatile, &old));
	EXPECT_EQ(kIOMemoryPurgeableVolatile, old);
	/* No old state wanted. */
	EXPECT_RET(kIOReturnSuccess, b->setPurgeable(kIOMemoryPurgeableNonVolatile, nullptr));

	/* Empty discards the contents. */
	std::uint8_t v = 0x77;
	ASSERT_EQ(1U, b->writeBytes(9, &v, 1));
	EXPECT_RET(kIOReturnSuccess, b->setPurgeable(kIOMemoryPurgeableEmpty, &old));
	EXPECT_EQ(kIOMemoryPurgeableNonVolatile, old);
	ASSERT_EQ(1U, b->readBytes(9, &v, 1));
	EXPECT_EQ(0, v);
	EXPECT_RET(kIOReturnSuccess, b->setPurgeable(kIOMemoryPurgeableKeepCurrent, &old));
	EXPECT_EQ(kIOMemoryPurgeableEmpty, old);

	EXPECT_RET(kIOReturnBadArgument, b->setPurgeable(9, &old));
}

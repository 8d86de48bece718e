// SPDX-License-Identifier: GPL-2.0
/*
 * IOSubMemoryDescriptor: a window of a parent.
 */
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(IOSubMemoryDescriptor, AWindowOfItsParent)
{
	auto parent = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut);
	ASSERT_MADE(parent);
	auto src = pattern(2 * page(), 12);
	ASSERT_EQ(src.size(), parent->writeBytes(0, src.data(), src.size()));
	parent->setTag(42);

	auto sub = IOSubMemoryDescriptor::withSubRange(parent.get(), page() - 10, 30,
						       kIODirectionIn);
	ASSERT_MADE(sub);
	EXPECT_EQ(parent->getTask(), sub->getTask());
	EXPECT_EQ(30U, sub->getLength());
	EXPECT_EQ(kIODirectionIn, sub->getDirection());
	/* It takes the parent's tag. */
	EXPECT_EQ(42U, sub->getTag());

	std::uint8_t back[30];
	EXPECT_EQ(30U, sub->readBytes(0, back, 30));
	EXPECT_EQ(0, std::memcmp(back, src.data() + page() - 10, 30));
	EXPECT_EQ(0U, sub->readBytes(1, back, 30));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	/* Writes go to the parent. */
	std::uint8_t v = 0xee;
	EXPECT_EQ(1U, sub->writeBytes(29, &v, 1));
	EXPECT_EQ(1U, parent->readBytes(page() + 19, &v, 1));
	EXPECT_EQ(0xee, v);
}

TEST(IOSubMemoryDescriptor, SegmentsAreTheParentsClipped)
{
	auto parent = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut, true);
	ASSERT_MADE(parent);
	IOPhysicalAddress phys = parent->getPhysicalSegment(0, nullptr, kIOMemoryMapperNone);
	ASSERT_NE(0U, phys);
	auto sub = IOSubMemoryDescriptor::withSubRange(parent.get(), page() + 10, 100,
						       kIODirectionInOut);
	ASSERT_MADE(sub);
	IOByteCount len = 0;
	EXPECT_EQ(phys + page() + 10, sub->getPhysicalSegment(0, &len, kIOMemoryMapperNone));
	EXPECT_EQ(100U, len);
	/* prepare() reaches the parent. */
	ASSERT_RET(kIOReturnSuccess, sub->prepare());
	EXPECT_RET(kIOReturnSuccess, sub->performOperation(kIOMemoryIncoherentIOFlush, 0, 100));
	EXPECT_RET(kIOReturnSuccess, sub->complete());
}

TEST(IOSubMemoryDescriptor, OfUserMemory)
{
	anon_pages mem(2 * page());
	ASSERT_NE(nullptr, mem.data());
	auto general = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), 2 * page(),
								   kIODirectionInOut, nullptr);
	ASSERT_MADE(general);
	auto sub = IOSubMemoryDescriptor::withSubRange(general.get(), page(), page(),
						       kIODirectionInOut);
	ASSERT_MADE(sub);
	EXPECT_EQ(0U, sub->getPhysicalSegment(0, nullptr));
	EXPECT_RET(kIOReturnNotReady, lastError());
	ASSERT_RET(kIOReturnSuccess, sub->prepare());
	EXPECT_NE(0U, sub->getPhysicalSegment(0, nullptr));
	auto m = sub->map();
	ASSERT_MADE(m);
	reinterpret_cast<char *>(m->getVirtualAddress())[3] = 's';
	EXPECT_EQ('s', mem.data()[page() + 3]);
	m.reset();
	EXPECT_RET(kIOReturnSuccess, sub->complete());
}

TEST(IOSubMemoryDescriptor, CreationErrors)
{
	auto parent = IOBufferMemoryDescriptor::withCapacity(1000, kIODirectionInOut);
	ASSERT_MADE(parent);
	EXPECT_FALSE(IOSubMemoryDescriptor::withSubRange(nullptr, 0, 10, kIODirectionIn));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOSubMemoryDescriptor::withSubRange(parent.get(), 0, 0, kIODirectionIn));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOSubMemoryDescriptor::withSubRange(parent.get(), 900, 101, kIODirectionIn));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_FALSE(IOSubMemoryDescriptor::withSubRange(
		parent.get(), 10, std::numeric_limits<IOByteCount>::max(), kIODirectionIn));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOSubMemoryDescriptor::withSubRange(parent.get(), 0, 10, 0x8));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* Against the length now in force. */
	parent->setLength(100);
	EXPECT_FALSE(IOSubMemoryDescriptor::withSubRange(parent.get(), 50, 51, kIODirectionIn));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_TRUE(IOSubMemoryDescriptor::withSubRange(parent.get(), 50, 50, kIODirectionIn));
}

TEST(IOSubMemoryDescriptor, NestingIsLimited)
{
	auto buffer = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(buffer);
	std::vector<OSSharedPtr<IOSubMemoryDescriptor>> chain;
	IOMemoryDescriptor *parent = buffer.get();
	/* Eight levels: the buffer and seven windows. */
	for (int i = 0; i < 7; i++) {
		auto sub = IOSubMemoryDescriptor::withSubRange(parent, 1, 98 - 2 * i,
							       kIODirectionInOut);
		ASSERT_MADE(sub) << "level " << i + 2;
		parent = sub.get();
		chain.push_back(std::move(sub));
	}
	EXPECT_FALSE(IOSubMemoryDescriptor::withSubRange(parent, 0, 1, kIODirectionInOut));
	EXPECT_RET(kIOReturnNoResources, lastError());
	EXPECT_EQ(ELOOP, lastErrno());

	/* The innermost window reads through every level. */
	std::uint8_t v = 0x21;
	ASSERT_EQ(1U, buffer->writeBytes(7, &v, 1));
	v = 0;
	EXPECT_EQ(1U, chain.back()->readBytes(0, &v, 1));
	EXPECT_EQ(0x21, v);
}

/*
 * The parent's setLength() shrinks it below the window: as in IOKit, the
 * window reads through the parent, whose bytes end at its length now.
 * readBytes() and writeBytes() copy up to there and return that short
 * count, 0 when the window starts past it (kIOReturnSuccess: IOKit's
 * return nothing else); nothing past it moves.  getPhysicalSegment()
 * ends there, a mapping past it is refused as IOKit's parent refuses it
 * (kIOReturnBadArgument, ERANGE); prepare() works.  Growing the parent
 * back shows the same bytes.
 */
TEST(IOSubMemoryDescriptor, ParentShrinks)
{
	auto parent = IOBufferMemoryDescriptor::withCapacity(4 * page(), kIODirectionInOut);
	ASSERT_MADE(parent);
	auto src = pattern(4 * page(), 18);
	ASSERT_EQ(src.size(), parent->writeBytes(0, src.data(), src.size()));
	auto sub = IOSubMemoryDescriptor::withSubRange(parent.get(), 2 * page(), 2 * page(),
						       kIODirectionInOut);
	ASSERT_MADE(sub);

	/* The whole window past the parent's end: nothing, 0 bytes. */
	parent->setLength(page());
	std::vector<std::uint8_t> back(2 * page(), 0xa5);
	EXPECT_EQ(0U, sub->readBytes(0, back.data(), 2 * page()));
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(0U, sub->readBytes(0, back.data(), 1));
	EXPECT_EQ(0xa5, back[0]);
	std::uint8_t v = 0x11;
	EXPECT_EQ(0U, sub->writeBytes(2 * page() - 1, &v, 1));
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(2 * page(), sub->getLength());
	/* Past the sub's own length is still an error. */
	EXPECT_EQ(0U, sub->readBytes(2 * page(), back.data(), 1));
	EXPECT_EQ(ERANGE, lastErrno());

	/* Straddling the parent's length: the part before it. */
	parent->setLength(3 * page());
	EXPECT_EQ(page(), sub->readBytes(0, back.data(), page()));
	EXPECT_EQ(0, std::memcmp(back.data(), src.data() + 2 * page(), page()));
	std::fill(back.begin(), back.end(), 0xa5);
	EXPECT_EQ(1U, sub->readBytes(page() - 1, back.data(), 2));
	EXPECT_EQ(src[3 * page() - 1], back[0]);
	EXPECT_EQ(0xa5, back[1]);
	EXPECT_EQ(page(), sub->readBytes(0, back.data(), 2 * page()));
	EXPECT_RET(kIOReturnSuccess, lastError());
	std::uint8_t two[2] = { 0x22, 0x33 };
	EXPECT_EQ(1U, sub->writeBytes(page() - 1, two, 2));
	src[3 * page() - 1] = 0x22;
	IOByteCount len = 0;
	EXPECT_NE(0U, sub->getPhysicalSegment(0, &len, kIOMemoryMapperNone));
	EXPECT_EQ(page(), len);
	EXPECT_EQ(0U, sub->getPhysicalSegment(page(), &len, kIOMemoryMapperNone));
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_EQ(0U, len);
	EXPECT_FALSE(sub->map());
	EXPECT_EQ(ERANGE, lastErrno());
	auto first = sub->createMappingInTask(current_task(), 0, kIOMapAnywhere, 0, page());
	ASSERT_MADE(first);
	EXPECT_EQ(0, std::memcmp(reinterpret_cast<void *>(first->getVirtualAddress()),
				 src.data() + 2 * page(), page()));
	first.reset();
	ASSERT_RET(kIOReturnSuccess, sub->prepare());
	EXPECT_EQ(page(), sub->readBytes(0, back.data(), 2 * page()));
	EXPECT_RET(kIOReturnSuccess, sub->complete());

	/* The same pages again: only the byte before the end was written. */
	parent->setLength(4 * page());
	EXPECT_EQ(2 * page(), sub->readBytes(0, back.data(), 2 * page()));
	EXPECT_EQ(0, std::memcmp(back.data(), src.data() + 2 * page(), 2 * page()));
}

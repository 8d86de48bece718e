// SPDX-License-Identifier: GPL-2.0
/*
 * IOInterleavedMemoryDescriptor: pieces of other descriptors, added and
 * cleared.
 */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(IOInterleavedMemoryDescriptor, WithCapacity)
{
	auto d = IOInterleavedMemoryDescriptor::withCapacity(4, kIODirectionOut);
	ASSERT_MADE(d);
	EXPECT_EQ(current_task(), d->getTask());
	EXPECT_EQ(0U, d->getLength());
	EXPECT_EQ(kIODirectionOut, d->getDirection());

	task_t t = task::open();
	ASSERT_MADE(t);
	auto e = IOInterleavedMemoryDescriptor::withCapacity(1, kIODirectionIn, t);
	ASSERT_MADE(e);
	EXPECT_EQ(t, e->getTask());

	EXPECT_FALSE(IOInterleavedMemoryDescriptor::withCapacity(0, kIODirectionIn));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOInterleavedMemoryDescriptor::withCapacity(1025, kIODirectionIn));
	EXPECT_RET(kIOReturnNoResources, lastError());
	EXPECT_FALSE(IOInterleavedMemoryDescriptor::withCapacity(
		std::numeric_limits<IOByteCount>::max(), kIODirectionIn));
	EXPECT_RET(kIOReturnNoResources, lastError());
	EXPECT_FALSE(IOInterleavedMemoryDescriptor::withCapacity(1, 0x10));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(IOInterleavedMemoryDescriptor, SetMemoryDescriptor)
{
	auto a = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	auto b = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionIn);
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	auto sa = pattern(100, 15), sb = pattern(100, 16);
	ASSERT_EQ(100U, a->writeBytes(0, sa.data(), 100));
	ASSERT_EQ(100U, b->writeBytes(0, sb.data(), 100));

	auto d = IOInterleavedMemoryDescriptor::withCapacity(3, kIODirectionOut);
	ASSERT_MADE(d);
	/* The piece's direction is not checked. */
	EXPECT_TRUE(d->setMemoryDescriptor(b.get(), 70, 30));
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_TRUE(d->setMemoryDescriptor(a.get(), 10, 20));
	EXPECT_TRUE(d->setMemoryDescriptor(b.get(), 0, 5));
	EXPECT_EQ(55U, d->getLength());

	std::uint8_t back[55];
	EXPECT_EQ(55U, d->readBytes(0, back, sizeof(back)));
	EXPECT_EQ(0, std::memcmp(back, sb.data() + 70, 30));
	EXPECT_EQ(0, std::memcmp(back + 30, sa.data() + 10, 20));
	EXPECT_EQ(0, std::memcmp(back + 50, sb.data(), 5));

	/* Full. */
	EXPECT_FALSE(d->setMemoryDescriptor(a.get(), 0, 1));
	EXPECT_RET(kIOReturnNoSpace, lastError());
	EXPECT_EQ(55U, d->getLength());
}

TEST(IOInterleavedMemoryDescriptor, SetMemoryDescriptorErrors)
{
	auto a = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(a);
	auto d = IOInterleavedMemoryDescriptor::withCapacity(4, kIODirectionInOut);
	ASSERT_MADE(d);
	EXPECT_FALSE(d->setMemoryDescriptor(a.get(), 95, 10));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_FALSE(d->setMemoryDescriptor(a.get(), 0, 0));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(d->setMemoryDescriptor(nullptr, 0, 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	task_t other = task::open();
	ASSERT_MADE(other);
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(other, kIODirectionInOut, 100);
	ASSERT_MADE(b);
	EXPECT_FALSE(d->setMemoryDescriptor(b.get(), 0, 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EXDEV, lastErrno());
	EXPECT_EQ(0U, d->getLength());
}

TEST(IOInterleavedMemoryDescriptor, BusyWhilePreparedOrMapped)
{
	auto a = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(a);
	auto d = IOInterleavedMemoryDescriptor::withCapacity(4, kIODirectionInOut);
	ASSERT_MADE(d);
	ASSERT_TRUE(d->setMemoryDescriptor(a.get(), 0, page()));

	ASSERT_RET(kIOReturnSuccess, d->prepare());
	EXPECT_FALSE(d->setMemoryDescriptor(a.get(), 0, 1));
	EXPECT_RET(kIOReturnBusy, lastError());
	d->clearMemoryDescriptors();
	EXPECT_RET(kIOReturnBusy, lastError());
	EXPECT_EQ(page(), d->getLength());
	EXPECT_RET(kIOReturnSuccess, d->complete());

	auto m = d->map();
	ASSERT_MADE(m);
	EXPECT_FALSE(d->setMemoryDescriptor(a.get(), 0, 1));
	EXPECT_RET(kIOReturnBusy, lastError());
	m.reset();
	EXPECT_TRUE(d->setMemoryDescriptor(a.get(), 0, 1));
}

TEST(IOInterleavedMemoryDescriptor, ClearMemoryDescriptors)
{
	auto a = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(a);
	auto d = IOInterleavedMemoryDescriptor::withCapacity(1, kIODirectionInOut);
	ASSERT_MADE(d);
	ASSERT_TRUE(d->setMemoryDescriptor(a.get(), 0, 100));

	/* None keeps the direction. */
	d->clearMemoryDescriptors();
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(0U, d->getLength());
	EXPECT_EQ(kIODirectionInOut, d->getDirection());
	EXPECT_FALSE(d->map());
	EXPECT_RET(kIOReturnNotReady, lastError());

	/* Room again, and a new direction. */
	ASSERT_TRUE(d->setMemoryDescriptor(a.get(), 50, 50));
	d->clearMemoryDescriptors(kIODirectionIn);
	EXPECT_EQ(kIODirectionIn, d->getDirection());
	EXPECT_EQ(0U, d->getLength());
	d->clearMemoryDescriptors(0x10);
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

/*
 * Interleaved descriptors take interleaved descriptors as pieces, as
 * IOKit's do, and read and write through them.  Descriptors nest at most 8
 * deep: an interleaved one is 5, or one above its deepest piece, and grows
 * deeper only while nothing is built on it (ELOOP, kIOReturnNoResources,
 * for a piece at least as deep as it is while something is).  What would
 * form a cycle is such a piece, so it is refused: A holds B, then B takes
 * A; A takes itself.
 */
TEST(IOInterleavedMemoryDescriptor, PieceNesting)
{
	auto buffer = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(buffer);
	auto src = pattern(100, 19);
	ASSERT_EQ(100U, buffer->writeBytes(0, src.data(), 100));
	auto s2 = IOSubMemoryDescriptor::withSubRange(buffer.get(), 0, 100, kIODirectionInOut);
	ASSERT_MADE(s2);
	auto s3 = IOSubMemoryDescriptor::withSubRange(s2.get(), 0, 100, kIODirectionInOut);
	ASSERT_MADE(s3);
	auto s4 = IOSubMemoryDescriptor::withSubRange(s3.get(), 0, 100, kIODirectionInOut);
	ASSERT_MADE(s4);
	auto s5 = IOSubMemoryDescriptor::withSubRange(s4.get(), 0, 100, kIODirectionInOut);
	ASSERT_MADE(s5);

	/* a's capacity leaves room for the visits of pieces added while held. */
	auto a = IOInterleavedMemoryDescriptor::withCapacity(32, kIODirectionInOut);
	auto b = IOInterleavedMemoryDescriptor::withCapacity(4, kIODirectionInOut);
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	ASSERT_TRUE(b->setMemoryDescriptor(buffer.get(), 10, 10));
	EXPECT_TRUE(a->setMemoryDescriptor(s4.get(), 0, 10));
	/* b (depth 5) goes into a, which becomes 6; a reads through it. */
	ASSERT_TRUE(a->setMemoryDescriptor(b.get(), 0, 10));
	EXPECT_EQ(20U, a->getLength());
	std::uint8_t back[20];
	ASSERT_EQ(20U, a->readBytes(0, back, 20));
	EXPECT_EQ(0, std::memcmp(back, src.data(), 10));
	EXPECT_EQ(0, std::memcmp(back + 10, src.data() + 10, 10));

	/* Cycles: b takes a, a takes itself, b takes a sub of a. */
	EXPECT_FALSE(b->setMemoryDescriptor(a.get(), 0, 10));
	EXPECT_RET(kIOReturnNoResources, lastError());
	EXPECT_EQ(ELOOP, lastErrno());
	EXPECT_FALSE(a->setMemoryDescriptor(a.get(), 0, 10));
	EXPECT_EQ(ELOOP, lastErrno());
	auto sa = IOSubMemoryDescriptor::withSubRange(a.get(), 0, 10, kIODirectionInOut);
	ASSERT_MADE(sa);
	EXPECT_FALSE(b->setMemoryDescriptor(sa.get(), 0, 10));
	EXPECT_EQ(ELOOP, lastErrno());
	/* Held by sa, a (6) takes no piece of depth 6, one of depth 5 yes. */
	auto s6 = IOSubMemoryDescriptor::withSubRange(s5.get(), 0, 100, kIODirectionInOut);
	ASSERT_MADE(s6);
	EXPECT_FALSE(a->setMemoryDescriptor(s6.get(), 0, 10));
	EXPECT_EQ(ELOOP, lastErrno());
	EXPECT_TRUE(a->setMemoryDescriptor(s5.get(), 20, 10));
	EXPECT_EQ(30U, a->getLength());
	EXPECT_EQ(10U, b->getLength());
	/* Once nothing holds a, it deepens to 7 for s6. */
	sa.reset();
	EXPECT_TRUE(a->setMemoryDescriptor(s6.get(), 30, 10));
	std::uint8_t all[40];
	ASSERT_EQ(40U, a->readBytes(0, all, 40));
	EXPECT_EQ(0, std::memcmp(all + 20, src.data() + 20, 10));
	EXPECT_EQ(0, std::memcmp(all + 30, src.data() + 30, 10));
}

/* A piece backs its bytes up to its length now: a shrunk buffer's tail is
 * not reachable through the interleaved descriptor until it grows back,
 * and nothing past it is written. */
TEST(IOInterleavedMemoryDescriptor, PieceShrinks)
{
	auto buffer = IOBufferMemoryDescriptor::withCapacity(200, kIODirectionInOut);
	ASSERT_MADE(buffer);
	auto src = pattern(200, 17);
	ASSERT_EQ(200U, buffer->writeBytes(0, src.data(), 200));
	auto d = IOInterleavedMemoryDescriptor::withCapacity(1, kIODirectionInOut);
	ASSERT_MADE(d);
	ASSERT_TRUE(d->setMemoryDescriptor(buffer.get(), 50, 100));

	/* As IOKit's: copied up to the piece's end, the short count returned. */
	buffer->setLength(100);
	std::uint8_t back[100];
	std::memset(back, 0xa5, sizeof(back));
	EXPECT_EQ(50U, d->readBytes(0, back, 100));
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(0, std::memcmp(back, src.data() + 50, 50));
	EXPECT_EQ(0xa5, back[50]);
	EXPECT_EQ(0U, d->readBytes(50, back, 1));
	EXPECT_RET(kIOReturnSuccess, lastError());
	std::uint8_t z[2] = {};
	EXPECT_EQ(1U, d->writeBytes(49, z, 2));
	src[99] = 0;

	buffer->setLength(200);
	EXPECT_EQ(100U, d->readBytes(0, back, 100));
	EXPECT_EQ(0, std::memcmp(back, src.data() + 50, 100));
}

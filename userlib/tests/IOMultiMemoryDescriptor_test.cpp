// SPDX-License-Identifier: GPL-2.0
/*
 * IOMultiMemoryDescriptor: descriptors one after the other.
 */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(IOMultiMemoryDescriptor, Concatenates)
{
	auto a = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	auto b = IOBufferMemoryDescriptor::withCapacity(2 * page() + 3, kIODirectionInOut);
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	auto sa = pattern(a->getLength(), 13), sb = pattern(b->getLength(), 14);
	ASSERT_EQ(sa.size(), a->writeBytes(0, sa.data(), sa.size()));
	ASSERT_EQ(sb.size(), b->writeBytes(0, sb.data(), sb.size()));
	b->setTag(5);

	IOMemoryDescriptor *pieces[] = { a.get(), b.get() };
	auto m = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut);
	ASSERT_MADE(m);
	EXPECT_EQ(a->getTask(), m->getTask());
	EXPECT_EQ(3 * page() + 3, m->getLength());
	EXPECT_EQ(kIODirectionInOut, m->getDirection());
	/* The first non-zero tag. */
	EXPECT_EQ(5U, m->getTag());

	std::vector<std::uint8_t> all(m->getLength());
	EXPECT_EQ(all.size(), m->readBytes(0, all.data(), all.size()));
	EXPECT_EQ(0, std::memcmp(all.data(), sa.data(), sa.size()));
	EXPECT_EQ(0, std::memcmp(all.data() + sa.size(), sb.data(), sb.size()));

	/* A write across the seam reaches both. */
	std::uint8_t two[2] = { 1, 2 };
	EXPECT_EQ(2U, m->writeBytes(page() - 1, two, 2));
	std::uint8_t v = 0;
	EXPECT_EQ(1U, a->readBytes(page() - 1, &v, 1));
	EXPECT_EQ(1, v);
	EXPECT_EQ(1U, b->readBytes(0, &v, 1));
	EXPECT_EQ(2, v);

	/* Mapped as one range: the pieces meet on a page boundary. */
	auto map = m->map();
	ASSERT_MADE(map);
	EXPECT_EQ(m->getLength(), map->getLength());
	auto *p = reinterpret_cast<std::uint8_t *>(map->getVirtualAddress());
	EXPECT_EQ(1, p[page() - 1]);
	EXPECT_EQ(2, p[page()]);
	EXPECT_EQ(sb.back(), p[3 * page() + 2]);
}

TEST(IOMultiMemoryDescriptor, DirectionsMustInclude)
{
	auto in = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionIn);
	auto both = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(in);
	ASSERT_MADE(both);
	IOMemoryDescriptor *pieces[] = { in.get(), both.get() };
	EXPECT_FALSE(IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	auto m = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionIn);
	ASSERT_MADE(m);
	EXPECT_EQ(kIODirectionIn, m->getDirection());
}

TEST(IOMultiMemoryDescriptor, CreationErrors)
{
	auto a = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(a);
	IOMemoryDescriptor *one[] = { a.get() };
	EXPECT_FALSE(IOMultiMemoryDescriptor::withDescriptors(one, 0, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOMultiMemoryDescriptor::withDescriptors(nullptr, 1, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	IOMemoryDescriptor *with_null[] = { a.get(), nullptr };
	EXPECT_FALSE(IOMultiMemoryDescriptor::withDescriptors(with_null, 2, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	/* Pieces of another task: handles do not cross tasks. */
	task_t other = task::open();
	ASSERT_MADE(other);
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(other, kIODirectionInOut, 100);
	ASSERT_MADE(b);
	IOMemoryDescriptor *mixed[] = { a.get(), b.get() };
	EXPECT_FALSE(IOMultiMemoryDescriptor::withDescriptors(mixed, 2, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EXDEV, lastErrno());

	/* A piece of length 0. */
	a->setLength(0);
	EXPECT_FALSE(IOMultiMemoryDescriptor::withDescriptors(one, 1, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* More pieces than the module takes. */
	a->setLength(100);
	std::vector<IOMemoryDescriptor *> many(1025, a.get());
	EXPECT_FALSE(IOMultiMemoryDescriptor::withDescriptors(many.data(), 1025,
							      kIODirectionInOut));
	EXPECT_RET(kIOReturnNoResources, lastError());
}

TEST(IOMultiMemoryDescriptor, PrepareReachesEveryPiece)
{
	buffer_and_user_page two;
	ASSERT_TRUE(two.made());
	auto &mem = two.mem;
	auto &buffer = two.buffer;
	auto &general = two.general;
	IOMemoryDescriptor *pieces[] = { buffer.get(), general.get() };
	auto m = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut, true);
	ASSERT_MADE(m);

	EXPECT_EQ(0U, m->getPhysicalSegment(page(), nullptr));
	EXPECT_RET(kIOReturnNotReady, lastError());

	ASSERT_RET(kIOReturnSuccess, m->prepare());
	EXPECT_NE(0U, m->getPhysicalSegment(page(), nullptr));
	EXPECT_NE(0U, general->getPhysicalSegment(0, nullptr));
	auto map = m->map();
	ASSERT_MADE(map);
	reinterpret_cast<char *>(map->getVirtualAddress())[page() + 1] = 'g';
	EXPECT_EQ('g', mem.data()[1]);
	map.reset();
	EXPECT_RET(kIOReturnSuccess, m->complete());
	EXPECT_EQ(0U, general->getPhysicalSegment(0, nullptr));
	EXPECT_RET(kIOReturnNotReady, lastError());
}

TEST(IOMultiMemoryDescriptor, PiecesThatDoNotMeetOnAPageDoNotMap)
{
	auto a = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	a->setLength(100);
	IOMemoryDescriptor *pieces[] = { a.get(), b.get() };
	auto m = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut);
	ASSERT_MADE(m);
	EXPECT_EQ(100 + page(), m->getLength());
	EXPECT_FALSE(m->map());
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* The bytes are there all the same. */
	std::uint8_t v[2];
	EXPECT_EQ(2U, m->readBytes(99, v, 2));
}

TEST(IOMultiMemoryDescriptor, PurgeableStateIsCombined)
{
	auto a = IOBufferMemoryDescriptor::withOptions(kIODirectionInOut | kIOMemoryPurgeable,
						       page());
	auto b = IOBufferMemoryDescriptor::withOptions(kIODirectionInOut | kIOMemoryPurgeable,
						       page());
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	IOMemoryDescriptor *pieces[] = { a.get(), b.get() };
	auto m = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut);
	ASSERT_MADE(m);
	IOOptionBits old = 0;
	ASSERT_RET(kIOReturnSuccess, b->setPurgeable(kIOMemoryPurgeableVolatile, &old));
	EXPECT_RET(kIOReturnSuccess, m->setPurgeable(kIOMemoryPurgeableKeepCurrent, &old));
	EXPECT_EQ(kIOMemoryPurgeableVolatile, old);
	EXPECT_RET(kIOReturnSuccess, m->setPurgeable(kIOMemoryPurgeableNonVolatile, &old));
	EXPECT_EQ(kIOMemoryPurgeableVolatile, old);
	EXPECT_RET(kIOReturnSuccess, a->setPurgeable(kIOMemoryPurgeableKeepCurrent, &old));
	EXPECT_EQ(kIOMemoryPurgeableNonVolatile, old);

	/* A piece that is not purgeable. */
	auto plain = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(plain);
	IOMemoryDescriptor *mixed[] = { plain.get() };
	auto n = IOMultiMemoryDescriptor::withDescriptors(mixed, 1, kIODirectionInOut);
	ASSERT_MADE(n);
	EXPECT_RET(kIOReturnUnsupported, n->setPurgeable(kIOMemoryPurgeableVolatile, &old));
}

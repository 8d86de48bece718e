// SPDX-License-Identifier: GPL-2.0
/*
 * IOGeneralMemoryDescriptor: this process's memory (withAddressRange(s))
 * and physical RAM (withPhysicalAddress).
 */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include <linux/capability.h>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(IOGeneralMemoryDescriptor, DescribesUserMemory)
{
	anon_pages mem(4 * page());
	ASSERT_NE(nullptr, mem.data());
	auto src = pattern(4 * page(), 10);
	std::memcpy(mem.data(), src.data(), src.size());

	/* Byte granular, from inside a page. */
	auto d = IOGeneralMemoryDescriptor::withAddressRange(mem.address() + 100,
							     2 * page(), kIODirectionInOut,
							     kernel_task);
	ASSERT_MADE(d);
	EXPECT_EQ(current_task(), d->getTask());
	EXPECT_EQ(2 * page(), d->getLength());
	EXPECT_EQ(kIODirectionInOut, d->getDirection());

	std::vector<std::uint8_t> back(2 * page());
	EXPECT_EQ(back.size(), d->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(0, std::memcmp(back.data(), src.data() + 100, back.size()));

	/* Writes land in the process's memory. */
	std::uint8_t v = 0x99;
	EXPECT_EQ(1U, d->writeBytes(page(), &v, 1));
	EXPECT_EQ(0x99, mem.data()[100 + page()]);
	EXPECT_EQ(10U, d->writeBytes(0, nullptr, 10));
	EXPECT_EQ(0, mem.data()[100]);
	EXPECT_EQ(0, mem.data()[109]);
	EXPECT_EQ(src[110], mem.data()[110]);
}

/* Mapped while prepared; without a prepare, see unprepared_map_test.cpp. */
TEST(IOGeneralMemoryDescriptor, MappingWhilePrepared)
{
	anon_pages mem(2 * page());
	ASSERT_NE(nullptr, mem.data());
	std::memset(mem.data(), 'u', mem.size());
	auto d = IOGeneralMemoryDescriptor::withAddressRange(mem.address() + 300, page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(d);

	ASSERT_RET(kIOReturnSuccess, d->prepare());
	auto m = d->map();
	ASSERT_MADE(m);
	/* The address includes the range's offset in its page. */
	EXPECT_EQ(300U, m->getVirtualAddress() % page());
	EXPECT_EQ(page(), m->getLength());
	auto *p = reinterpret_cast<char *>(m->getVirtualAddress());
	EXPECT_EQ('u', p[0]);
	/* The same pages. */
	p[1] = 'm';
	EXPECT_EQ('m', mem.data()[301]);
	m.reset();
	EXPECT_RET(kIOReturnSuccess, d->complete());
}

TEST(IOGeneralMemoryDescriptor, PhysicalSegmentsNeedPrepare)
{
	anon_pages mem(2 * page());
	ASSERT_NE(nullptr, mem.data());
	mem.data()[0] = 1;
	auto d = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), 2 * page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(d);
	IOByteCount len = 1;
	EXPECT_EQ(0U, d->getPhysicalSegment(0, &len));
	EXPECT_EQ(0U, len);
	EXPECT_RET(kIOReturnNotReady, lastError());
	EXPECT_EQ(0U, d->getPhysicalSegment(0, &len, kIOMemoryMapperNone));
	EXPECT_RET(kIOReturnNotReady, lastError());

	ASSERT_RET(kIOReturnSuccess, d->prepare());
	IOPhysicalAddress phys = d->getPhysicalSegment(0, &len, kIOMemoryMapperNone);
	EXPECT_NE(0U, phys);
	EXPECT_EQ(0U, phys % page());
	EXPECT_GE(len, page());
	EXPECT_EQ(phys, d->getPhysicalSegment(0, &len));
	EXPECT_RET(kIOReturnSuccess, d->complete());
}

TEST(IOGeneralMemoryDescriptor, PreparedForOutIsReadOnly)
{
	anon_pages mem(page());
	ASSERT_NE(nullptr, mem.data());
	auto d = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(d);
	ASSERT_RET(kIOReturnSuccess, d->prepare(kIODirectionOut));
	/* The device only reads it: writeBytes copies nothing. */
	std::uint8_t v = 1;
	EXPECT_EQ(0U, d->writeBytes(0, &v, 1));
	EXPECT_RET(kIOReturnNotPrivileged, lastError());
	EXPECT_EQ(EACCES, lastErrno());
	EXPECT_EQ(1U, d->readBytes(0, &v, 1));
	/* Nor can it be prepared for the device to write while so. */
	EXPECT_RET(kIOReturnNotPrivileged, d->prepare(kIODirectionIn));
	EXPECT_RET(kIOReturnSuccess, d->complete());
	EXPECT_EQ(1U, d->writeBytes(0, &v, 1));
}

TEST(IOGeneralMemoryDescriptor, SeveralRanges)
{
	anon_pages a(page()), b(2 * page());
	ASSERT_NE(nullptr, a.data());
	ASSERT_NE(nullptr, b.data());
	std::memset(a.data(), 'a', a.size());
	std::memset(b.data(), 'b', b.size());
	IOAddressRange ranges[] = {
		{ a.address() + 10, 20 },
		{ b.address() + page() - 5, 10 },
		{ a.address(), 1 },
	};
	auto d = IOGeneralMemoryDescriptor::withAddressRanges(ranges, 3, kIODirectionOut,
							      kernel_task);
	ASSERT_MADE(d);
	EXPECT_EQ(31U, d->getLength());
	EXPECT_EQ(kIODirectionOut, d->getDirection());
	char back[32] = {};
	EXPECT_EQ(31U, d->readBytes(0, back, 31));
	EXPECT_STREQ("aaaaaaaaaaaaaaaaaaaabbbbbbbbbba", back);

	/* IOMemoryDescriptor's own factories make the same. */
	auto e = IOMemoryDescriptor::withAddressRanges(ranges, 2, kIODirectionOut, nullptr);
	ASSERT_MADE(e);
	EXPECT_EQ(30U, e->getLength());
	auto f = IOMemoryDescriptor::withAddressRange(a.address(), 5,
						      kIODirectionIn | kIOMemoryTypeVirtual64,
						      nullptr);
	ASSERT_MADE(f);
	EXPECT_EQ(5U, f->getLength());
}

TEST(IOGeneralMemoryDescriptor, CreationErrors)
{
	anon_pages mem(page());
	ASSERT_NE(nullptr, mem.data());
	IOAddressRange one = { mem.address(), 10 };

	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRanges(&one, 0, kIODirectionIn, nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRanges(nullptr, 1, kIODirectionIn, nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* An empty range, and one that wraps. */
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRange(mem.address(), 0,
								 kIODirectionIn, nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRange(~0ULL - 10, 100,
								 kIODirectionIn, nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* Not a direction. */
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRange(mem.address(), 10,
								 kIODirectionPrepareToPhys32,
								 nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* Outside the user address space. */
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRange(0xffff888000000000ULL, 10,
								 kIODirectionIn, nullptr));
	EXPECT_RET(kIOReturnVMError, lastError());
	/* More ranges than the module takes. */
	std::vector<IOAddressRange> many(1025, one);
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRanges(many.data(), 1025,
								  kIODirectionIn, nullptr));
	EXPECT_RET(kIOReturnNoResources, lastError());
	EXPECT_TRUE(IOGeneralMemoryDescriptor::withAddressRanges(many.data(), 1024,
								 kIODirectionIn, nullptr));
	/* Memory types other than virtual and physical. */
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withAddressRange(mem.address(), 10,
								 kIODirectionIn | kIOMemoryTypeUPL,
								 nullptr));
	EXPECT_RET(kIOReturnUnsupported, lastError());
}

TEST(IOGeneralMemoryDescriptor, PhysicalAddress)
{
	/* Physical RAM: a buffer's. */
	auto b = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut, true);
	ASSERT_MADE(b);
	auto src = pattern(2 * page(), 11);
	ASSERT_EQ(src.size(), b->writeBytes(0, src.data(), src.size()));
	IOByteCount len = 0;
	IOPhysicalAddress phys = b->getPhysicalSegment(0, &len, kIOMemoryMapperNone);
	ASSERT_NE(0U, phys);

	auto d = IOGeneralMemoryDescriptor::withPhysicalAddress(phys + 16, page(),
								kIODirectionInOut);
	ASSERT_MADE(d);
	EXPECT_EQ(page(), d->getLength());
	std::vector<std::uint8_t> back(page());
	EXPECT_EQ(page(), d->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(0, std::memcmp(back.data(), src.data() + 16, page()));
	EXPECT_EQ(phys + 16, d->getPhysicalSegment(0, &len, kIOMemoryMapperNone));

	auto e = IOMemoryDescriptor::withPhysicalAddress(phys, 8, kIODirectionIn);
	ASSERT_MADE(e);
	EXPECT_EQ(8U, e->getLength());
	auto f = IOGeneralMemoryDescriptor::withAddressRange(phys, 8,
							     kIODirectionIn | kIOMemoryTypePhysical64,
							     nullptr);
	ASSERT_MADE(f);
	EXPECT_EQ(phys, f->getPhysicalSegment(0, &len, kIOMemoryMapperNone));
}

TEST(IOGeneralMemoryDescriptor, PhysicalAddressErrors)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut, true);
	ASSERT_MADE(b);
	IOPhysicalAddress phys = b->getPhysicalSegment(0, nullptr, kIOMemoryMapperNone);
	ASSERT_NE(0U, phys);
	{
		without_capability drop(CAP_SYS_RAWIO);
		EXPECT_FALSE(IOGeneralMemoryDescriptor::withPhysicalAddress(phys, page(),
									    kIODirectionIn));
		EXPECT_RET(kIOReturnNotPrivileged, lastError());
	}
	/* Not System RAM. */
	mmio_range mmio = find_device_memory();
	ASSERT_NE(0U, mmio.length) << "no device memory found on this machine";
	EXPECT_FALSE(IOGeneralMemoryDescriptor::withPhysicalAddress(mmio.phys, page(),
								    kIODirectionIn));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

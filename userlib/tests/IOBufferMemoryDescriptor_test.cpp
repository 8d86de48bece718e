// SPDX-License-Identifier: GPL-2.0
/*
 * IOBufferMemoryDescriptor: every factory, its IOKit rules, and the
 * buffer's own methods.
 */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

namespace {

constexpr std::uint64_t k4G = 0x100000000ULL;

bool below_4g(const std::vector<segment> &segs)
{
	for (const auto &s : segs)
		if (s.address + s.length > k4G)
			return false;
	return !segs.empty();
}

} // namespace

TEST(IOBufferMemoryDescriptor, InTaskWithOptions)
{
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task, kIODirectionInOut,
							     10000);
	ASSERT_MADE(b);
	EXPECT_RET(kIOReturnSuccess, lastError());
	/* No alignment: the capacity stays as asked. */
	EXPECT_EQ(10000U, b->getCapacity());
	EXPECT_EQ(10000U, b->getLength());
	EXPECT_EQ(kIODirectionInOut, b->getDirection());

	/* The memory is zeroed. */
	std::vector<std::uint8_t> bytes(10000, 0xff);
	EXPECT_EQ(10000U, b->readBytes(0, bytes.data(), bytes.size()));
	EXPECT_EQ(std::vector<std::uint8_t>(10000, 0), bytes);
}

TEST(IOBufferMemoryDescriptor, InTaskWithOptionsAndAlignment)
{
	/* A page alignment rounds the memory up to pages; the capacity
	 * stays what was asked for (XNU's _capacity). */
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task, kIODirectionIn,
							     10000, page());
	ASSERT_MADE(b);
	EXPECT_EQ(10000U, b->getCapacity());
	EXPECT_EQ(3 * page(), b->getLength());
	EXPECT_EQ(kIODirectionIn, b->getDirection());
	auto segs = segments_of(*b);
	ASSERT_FALSE(segs.empty());
	EXPECT_EQ(0U, segs[0].address % page());

	/* Above a page it is physically contiguous, and so aligned. */
	auto c = IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task, kIODirectionInOut,
							     128 * 1024, 64 * 1024);
	ASSERT_MADE(c);
	segs = segments_of(*c);
	ASSERT_EQ(1U, segs.size());
	EXPECT_EQ(128U * 1024, segs[0].length);
	EXPECT_EQ(0U, segs[0].address % (64 * 1024));
}

TEST(IOBufferMemoryDescriptor, InTaskWithPhysicalMaskBelow4G)
{
	auto b = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut, 1024 * 1024, 0x00000000FFFFF000ULL);
	ASSERT_MADE(b);
	EXPECT_EQ(1024U * 1024, b->getCapacity());
	auto segs = segments_of(*b);
	EXPECT_TRUE(below_4g(segs));
	for (const auto &s : segs)
		EXPECT_EQ(0U, s.address % page());
}

TEST(IOBufferMemoryDescriptor, InTaskWithPhysicalMaskAlignsToItsLowestBit)
{
	/* 64 KiB aligned below 4 GiB: contiguous, as the alignment is above
	 * a page. */
	auto b = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut, 100000, 0xFFFF0000ULL);
	ASSERT_MADE(b);
	EXPECT_EQ(100000U, b->getCapacity());
	auto segs = segments_of(*b);
	ASSERT_EQ(1U, segs.size());
	EXPECT_EQ(0U, segs[0].address % 0x10000);
	EXPECT_TRUE(below_4g(segs));

	/* A mask of 0 constrains nothing (IOKit's rule). */
	auto c = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(kernel_task,
								  kIODirectionInOut, 100, 0);
	ASSERT_MADE(c);
	EXPECT_EQ(100U, c->getCapacity());

	/* A mask no memory of that size can meet. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut, 1024 * 1024, 0xFFFFULL));
	EXPECT_RET(kIOReturnNoMemory, lastError());
}

TEST(IOBufferMemoryDescriptor, WithOptions)
{
	auto b = IOBufferMemoryDescriptor::withOptions(kIODirectionOut, 300);
	ASSERT_MADE(b);
	EXPECT_EQ(current_task(), b->getTask());
	EXPECT_EQ(300U, b->getCapacity());
	EXPECT_EQ(kIODirectionOut, b->getDirection());

	/* Kernel-user shared forces page alignment: a page of memory, the
	 * capacity as asked. */
	auto c = IOBufferMemoryDescriptor::withOptions(
		kIODirectionInOut | kIOMemoryKernelUserShared, 300);
	ASSERT_MADE(c);
	EXPECT_EQ(300U, c->getCapacity());
}

TEST(IOBufferMemoryDescriptor, WithCapacity)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(5000, kIODirectionIn);
	ASSERT_MADE(b);
	EXPECT_EQ(5000U, b->getCapacity());
	EXPECT_EQ(kIODirectionIn, b->getDirection());

	/* Contiguous: aligned to the capacity. */
	auto c = IOBufferMemoryDescriptor::withCapacity(8 * page(), kIODirectionInOut, true);
	ASSERT_MADE(c);
	auto segs = segments_of(*c);
	ASSERT_EQ(1U, segs.size());
	EXPECT_EQ(8 * page(), segs[0].length);
	EXPECT_EQ(0U, segs[0].address % (8 * page()));

	/* A capacity that is no power of two aligns to the next one. */
	auto d = IOBufferMemoryDescriptor::withCapacity(3 * page(), kIODirectionInOut, true);
	ASSERT_MADE(d);
	EXPECT_EQ(3 * page(), d->getCapacity());
	segs = segments_of(*d);
	ASSERT_EQ(1U, segs.size());
	EXPECT_EQ(0U, segs[0].address % (4 * page()));
}

TEST(IOBufferMemoryDescriptor, WithBytes)
{
	auto src = pattern(6000, 1);
	auto b = IOBufferMemoryDescriptor::withBytes(src.data(), src.size(), kIODirectionOut);
	ASSERT_MADE(b);
	/* The alignment is min(length, page), so the module rounds the
	 * memory to pages; the capacity is 6000 as XNU reports, the length
	 * what was appended. */
	EXPECT_EQ(6000U, b->getCapacity());
	EXPECT_EQ(6000U, b->getLength());
	EXPECT_EQ(kIODirectionOut, b->getDirection());
	std::vector<std::uint8_t> back(6000);
	EXPECT_EQ(6000U, b->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(src, back);

	/* (Two pages of source: src holds 6000 bytes.) */
	auto two = pattern(2 * page(), 1);
	auto c = IOBufferMemoryDescriptor::withBytes(two.data(), 2 * page(), kIODirectionInOut,
						     true);
	ASSERT_MADE(c);
	EXPECT_EQ(2 * page(), c->getCapacity());
	EXPECT_EQ(2 * page(), c->getLength());
	EXPECT_EQ(1U, segments_of(*c).size());
	EXPECT_EQ(0, std::memcmp(two.data(), c->getBytesNoCopy(), 2 * page()));

	/* Under a page: alignment = length, no rounding. */
	auto e = IOBufferMemoryDescriptor::withBytes(src.data(), 100, kIODirectionIn);
	ASSERT_MADE(e);
	EXPECT_EQ(100U, e->getCapacity());
	EXPECT_EQ(100U, e->getLength());

	EXPECT_FALSE(IOBufferMemoryDescriptor::withBytes(nullptr, 100, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOBufferMemoryDescriptor::withBytes(src.data(), 0, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* Bytes that cannot be read. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::withBytes(reinterpret_cast<void *>(8), 100,
							 kIODirectionInOut));
	EXPECT_RET(kIOReturnVMError, lastError());
}

TEST(IOBufferMemoryDescriptor, WithCopy)
{
	auto src = pattern(5000, 2);
	/* IOKit requires a pageable copy. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::withCopy(
		kernel_task, kIODirectionInOut, get_task_map(current_task()),
		reinterpret_cast<mach_vm_address_t>(src.data()), src.size()));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	auto b = IOBufferMemoryDescriptor::withCopy(
		kernel_task, kIODirectionInOut | kIOMemoryPageable,
		get_task_map(current_task()),
		reinterpret_cast<mach_vm_address_t>(src.data()), src.size());
	ASSERT_MADE(b);
	/* Page aligned, so whole pages of memory; the capacity as asked. */
	EXPECT_EQ(5000U, b->getCapacity());
	std::vector<std::uint8_t> back(5000);
	EXPECT_EQ(5000U, b->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(src, back);
	/* The copy is its own. */
	src[0] ^= 0xff;
	EXPECT_EQ(1U, b->readBytes(0, back.data(), 1));
	EXPECT_NE(src[0], back[0]);

	EXPECT_FALSE(IOBufferMemoryDescriptor::withCopy(
		kernel_task, kIODirectionInOut | kIOMemoryPageable, kernel_task, 8, 100));
	EXPECT_RET(kIOReturnVMError, lastError());
	EXPECT_FALSE(IOBufferMemoryDescriptor::withCopy(
		kernel_task, kIODirectionInOut | kIOMemoryPageable, kernel_task,
		reinterpret_cast<mach_vm_address_t>(src.data()), 0));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(IOBufferMemoryDescriptor, CreateDriverKit)
{
	OSSharedPtr<IOBufferMemoryDescriptor> b;
	ASSERT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 5000, 0, &b));
	ASSERT_MADE(b);
	/* Kernel-user shared: whole pages of memory; the capacity as asked. */
	EXPECT_EQ(5000U, b->getCapacity());
	EXPECT_EQ(kIODirectionInOut, b->getDirection());

	OSSharedPtr<IOBufferMemoryDescriptor> c;
	EXPECT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionIn, 100, 4 * page(), &c));
	ASSERT_MADE(c);
	auto segs = segments_of(*c);
	ASSERT_FALSE(segs.empty());
	EXPECT_EQ(0U, segs[0].address % (4 * page()));

	/* Only directions are options. */
	OSSharedPtr<IOBufferMemoryDescriptor> d;
	EXPECT_RET(kIOReturnBadArgument,
		   IOBufferMemoryDescriptor::Create(kIOMemoryPhysicallyContiguous, 100, 0, &d));
	EXPECT_FALSE(d);
	EXPECT_RET(kIOReturnBadArgument,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionIn, 100, 0,
						    static_cast<IOBufferMemoryDescriptor **>(nullptr)));
	EXPECT_RET(kIOReturnBadArgument,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionIn, 0, 0, &d));
	EXPECT_FALSE(d);
}

TEST(IOBufferMemoryDescriptor, GetAddressRangeAndSetLength)
{
	OSSharedPtr<IOBufferMemoryDescriptor> b;
	ASSERT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, page(), 0, &b));
	IOAddressSegment range{};
	ASSERT_RET(kIOReturnSuccess, b->GetAddressRange(&range));
	EXPECT_EQ(reinterpret_cast<std::uint64_t>(b->getBytesNoCopy()), range.address);
	EXPECT_EQ(page(), range.length);

	EXPECT_RET(kIOReturnSuccess, b->SetLength(100));
	EXPECT_EQ(100U, b->getLength());
	ASSERT_RET(kIOReturnSuccess, b->GetAddressRange(&range));
	EXPECT_EQ(100U, range.length);
	/* Above the capacity: ignored, as setLength. */
	EXPECT_RET(kIOReturnSuccess, b->SetLength(page() + 1));
	EXPECT_EQ(100U, b->getLength());

	EXPECT_RET(kIOReturnBadArgument, b->GetAddressRange(nullptr));
}

TEST(IOBufferMemoryDescriptor, SetLength)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(1000, kIODirectionInOut);
	ASSERT_MADE(b);
	b->setLength(10);
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(10U, b->getLength());
	EXPECT_EQ(1000U, b->getCapacity());
	b->setLength(1001);
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(10U, b->getLength());
	b->setLength(1000);
	EXPECT_EQ(1000U, b->getLength());
	b->setLength(0);
	EXPECT_EQ(0U, b->getLength());
}

TEST(IOBufferMemoryDescriptor, AppendBytes)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(b);
	b->setLength(0);
	auto src = pattern(150, 3);
	EXPECT_TRUE(b->appendBytes(src.data(), 60));
	EXPECT_EQ(60U, b->getLength());
	/* Truncated at the capacity, and still true. */
	EXPECT_TRUE(b->appendBytes(src.data() + 60, 90));
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(100U, b->getLength());
	EXPECT_TRUE(b->appendBytes(src.data(), 10));
	EXPECT_EQ(100U, b->getLength());

	std::vector<std::uint8_t> back(100);
	EXPECT_EQ(100U, b->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(std::vector<std::uint8_t>(src.begin(), src.begin() + 100), back);

	/* A source that faults: false, and the length does not move. */
	b->setLength(50);
	EXPECT_FALSE(b->appendBytes(reinterpret_cast<void *>(8), 10));
	EXPECT_RET(kIOReturnVMError, lastError());
	EXPECT_EQ(50U, b->getLength());
}

TEST(IOBufferMemoryDescriptor, GetBytesNoCopy)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(3 * page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto *p = static_cast<std::uint8_t *>(b->getBytesNoCopy());
	ASSERT_NE(nullptr, p);
	EXPECT_RET(kIOReturnSuccess, lastError());
	/* One mapping for the descriptor's life. */
	EXPECT_EQ(p, b->getBytesNoCopy());

	auto src = pattern(3 * page(), 4);
	std::memcpy(p, src.data(), src.size());
	std::vector<std::uint8_t> back(src.size());
	EXPECT_EQ(back.size(), b->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(src, back);

	auto other = pattern(100, 5);
	EXPECT_EQ(100U, b->writeBytes(page() + 1, other.data(), other.size()));
	EXPECT_EQ(0, std::memcmp(p + page() + 1, other.data(), other.size()));

	/* The mapping covers the capacity: a longer length needs no new one. */
	b->setLength(1);
	EXPECT_EQ(p, b->getBytesNoCopy());
	b->setLength(3 * page());
	EXPECT_EQ(p + 3 * page() - 1, b->getBytesNoCopy(3 * page() - 1, 1));
}

TEST(IOBufferMemoryDescriptor, GetBytesNoCopyRange)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(1000, kIODirectionInOut);
	ASSERT_MADE(b);
	auto *p = static_cast<std::uint8_t *>(b->getBytesNoCopy());
	ASSERT_NE(nullptr, p);

	EXPECT_EQ(p, b->getBytesNoCopy(0, 1000));
	EXPECT_EQ(p + 999, b->getBytesNoCopy(999, 1));
	EXPECT_EQ(p + 10, b->getBytesNoCopy(10, 0));
	/* start >= length */
	EXPECT_EQ(nullptr, b->getBytesNoCopy(1000, 0));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* start + length > length */
	EXPECT_EQ(nullptr, b->getBytesNoCopy(1, 1000));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* start + length overflows */
	EXPECT_EQ(nullptr, b->getBytesNoCopy(10, std::numeric_limits<vm_size_t>::max()));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	/* Checked against the length, not the capacity. */
	b->setLength(10);
	EXPECT_EQ(p + 5, b->getBytesNoCopy(5, 5));
	EXPECT_EQ(nullptr, b->getBytesNoCopy(5, 6));
	EXPECT_EQ(nullptr, b->getBytesNoCopy(10, 0));
}

TEST(IOBufferMemoryDescriptor, CreationErrors)
{
	/* Capacity 0. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::withCapacity(0, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* An alignment that is no power of two. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task, kIODirectionInOut,
								 100, 3));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* An option a buffer does not know. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::withOptions(kIODirectionInOut |
							   kIOMemoryRemote, 100));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* A cache mode RAM cannot have here. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::withOptions(kIODirectionInOut |
							   kIOMapWriteThruCache, 100));
	EXPECT_RET(kIOReturnUnsupported, lastError());
	/* Above the module's max_capacity. */
	EXPECT_FALSE(IOBufferMemoryDescriptor::withCapacity(current_task()->maxCapacity() + 1,
							    kIODirectionInOut));
	EXPECT_RET(kIOReturnNoResources, lastError());
	EXPECT_EQ(E2BIG, lastErrno());
}

TEST(IOBufferMemoryDescriptor, CacheModes)
{
	/* Write-combined and uncached buffers (the kernel's own mapping
	 * changes with them). */
	auto wc = IOBufferMemoryDescriptor::withOptions(kIODirectionInOut |
							kIOMapWriteCombineCache, 100);
	ASSERT_MADE(wc);
	EXPECT_EQ(100U, wc->getCapacity());
	auto *p = static_cast<std::uint8_t *>(wc->getBytesNoCopy());
	ASSERT_NE(nullptr, p);
	p[7] = 0x5a;
	std::uint8_t v = 0;
	EXPECT_EQ(1U, wc->readBytes(7, &v, 1));
	EXPECT_EQ(0x5a, v);

	auto uc = IOBufferMemoryDescriptor::withOptions(kIODirectionInOut | kIOMapInhibitCache |
							kIOMemoryPhysicallyContiguous, 100);
	ASSERT_MADE(uc);
	EXPECT_EQ(1U, uc->writeBytes(3, &v, 1));
	EXPECT_EQ(0x5a, static_cast<std::uint8_t *>(uc->getBytesNoCopy())[3]);
}

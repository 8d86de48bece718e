// SPDX-License-Identifier: GPL-2.0
/*
 * IODeviceMemory, on a RAM-backed PCI BAR of the test machine.
 */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include <linux/capability.h>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

namespace {

class IODeviceMemoryTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		mmio_ = find_device_memory();
		ASSERT_GE(mmio_.length, 4 * page())
			<< "no RAM-backed PCI BAR (ivshmem or standard VGA) found";
	}

	mmio_range mmio_;
};

} // namespace

TEST_F(IODeviceMemoryTest, WithRange)
{
	auto d = IODeviceMemory::withRange(mmio_.phys, 4 * page());
	ASSERT_MADE(d);
	EXPECT_EQ(current_task(), d->getTask());
	EXPECT_EQ(4 * page(), d->getLength());
	EXPECT_EQ(kIODirectionInOut, d->getDirection());

	/* readBytes/writeBytes through the I/O accessors. */
	auto src = pattern(3 * page(), 17);
	EXPECT_EQ(src.size(), d->writeBytes(page() / 2, src.data(), src.size()));
	std::vector<std::uint8_t> back(src.size());
	EXPECT_EQ(back.size(), d->readBytes(page() / 2, back.data(), back.size()));
	EXPECT_EQ(src, back);

	IOByteCount len = 0;
	EXPECT_EQ(mmio_.phys + 10, d->getPhysicalSegment(10, &len, kIOMemoryMapperNone));
	EXPECT_EQ(4 * page() - 10, len);
	/* Prepared from userspace: no DMA mapping, the physical address. */
	ASSERT_RET(kIOReturnSuccess, d->prepare());
	EXPECT_EQ(mmio_.phys, d->getPhysicalSegment(0, &len));
	EXPECT_RET(kIOReturnSuccess, d->complete());
}

TEST_F(IODeviceMemoryTest, Maps)
{
	auto d = IODeviceMemory::withRange(mmio_.phys, 2 * page());
	ASSERT_MADE(d);
	auto src = pattern(2 * page(), 18);
	ASSERT_EQ(src.size(), d->writeBytes(0, src.data(), src.size()));

	/* Uncached by default; write-combined, write-through and copyback
	 * on request. */
	for (IOOptionBits cache : { kIOMapDefaultCache, kIOMapInhibitCache,
				    kIOMapWriteCombineCache, kIOMapWriteThruCache,
				    kIOMapCopybackCache }) {
		auto m = d->map(cache);
		ASSERT_MADE(m) << "cache mode 0x" << std::hex << cache;
		EXPECT_EQ(0, std::memcmp(reinterpret_cast<void *>(m->getVirtualAddress()),
					 src.data(), src.size()));
	}
	/* A mode device memory cannot have. */
	EXPECT_FALSE(d->map(kIOMapPostedWrite));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	auto m = d->map();
	ASSERT_MADE(m);
	reinterpret_cast<volatile std::uint8_t *>(m->getVirtualAddress())[7] = 0x6d;
	std::uint8_t v = 0;
	EXPECT_EQ(1U, d->readBytes(7, &v, 1));
	EXPECT_EQ(0x6d, v);
}

TEST_F(IODeviceMemoryTest, WithSubRange)
{
	auto d = IODeviceMemory::withRange(mmio_.phys, 4 * page());
	ASSERT_MADE(d);
	auto src = pattern(4 * page(), 19);
	ASSERT_EQ(src.size(), d->writeBytes(0, src.data(), src.size()));

	auto sub = IODeviceMemory::withSubRange(d.get(), page(), 2 * page());
	ASSERT_MADE(sub);
	EXPECT_EQ(d->getTask(), sub->getTask());
	EXPECT_EQ(2 * page(), sub->getLength());
	std::vector<std::uint8_t> back(2 * page());
	EXPECT_EQ(back.size(), sub->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(0, std::memcmp(back.data(), src.data() + page(), back.size()));
	IOByteCount len = 0;
	EXPECT_EQ(mmio_.phys + page(), sub->getPhysicalSegment(0, &len, kIOMemoryMapperNone));
	EXPECT_EQ(2 * page(), len);

	EXPECT_FALSE(IODeviceMemory::withSubRange(d.get(), 3 * page(), 2 * page()));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IODeviceMemory::withSubRange(nullptr, 0, page()));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST_F(IODeviceMemoryTest, CreationErrors)
{
	EXPECT_FALSE(IODeviceMemory::withRange(mmio_.phys, 0));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IODeviceMemory::withRange(~0ULL - 10, 100));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	/* System RAM is not device memory. */
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut, true);
	ASSERT_MADE(b);
	IOPhysicalAddress ram = b->getPhysicalSegment(0, nullptr, kIOMemoryMapperNone);
	ASSERT_NE(0U, ram);
	EXPECT_FALSE(IODeviceMemory::withRange(ram, page()));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	without_capability drop(CAP_SYS_RAWIO);
	EXPECT_FALSE(IODeviceMemory::withRange(mmio_.phys, page()));
	EXPECT_RET(kIOReturnNotPrivileged, lastError());
	EXPECT_EQ(EPERM, lastErrno());
}

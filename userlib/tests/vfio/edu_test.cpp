// SPDX-License-Identifier: GPL-2.0
/*
 * The edu device and VFIO on their own, without iobmd's DMA command: the
 * registers answer through the VFIO BAR, and the engine copies this
 * process's memory mapped into the container by hand.  A failure here is
 * the guest's setup (no IOMMU, vfio-pci not loaded, the device held by a
 * driver), not the library.
 */
#include <cstring>

#include <linux/vfio.h>
#include <sys/ioctl.h>

#include "edu.hpp"

namespace iobmd_test {
namespace {

TEST(Edu, Registers)
{
	std::string why;
	edu *dev = edu::get(&why);
	ASSERT_NE(nullptr, dev) << why;

	/* 0xRRrr00ed: version 1.0 in QEMU 7.2. */
	EXPECT_EQ(0xedU, dev->read32(kEduIdent) & 0xffffU);
	dev->write32(kEduLiveness, 0x12345678);
	EXPECT_EQ(~0x12345678U, dev->read32(kEduLiveness));
	dev->write32(kEduLiveness, 0);
	EXPECT_EQ(~0U, dev->read32(kEduLiveness));
	/* The engine is idle. */
	EXPECT_EQ(0U, dev->read32(kEduDmaCmd) & kEduCmdRun);
}

/* Two pages at a fixed IOVA (VFIO_IOMMU_MAP_DMA by hand): the first
 * half's bytes go through the device into the second half. */
TEST(Edu, CopiesThroughAHandMadeMapping)
{
	std::string why;
	edu *dev = edu::get(&why);
	ASSERT_NE(nullptr, dev) << why;

	const std::uint64_t iova = 0x200000, half = page();
	anon_pages mem(2 * half);
	auto src = pattern(half, 1);
	std::memcpy(mem.data(), src.data(), half);

	vfio_iommu_type1_dma_map map{};
	map.argsz = sizeof(map);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = mem.address();
	map.iova = iova;
	map.size = mem.size();
	ASSERT_EQ(0, ioctl(dev->container(), VFIO_IOMMU_MAP_DMA, &map))
		<< std::strerror(errno);
	std::vector<IODMACommand::Segment64> segs{{iova, mem.size()}};
	EXPECT_TRUE(copy_through_edu(*dev, segs, 0, half, half));
	EXPECT_EQ(0, std::memcmp(src.data(), mem.data() + half, half));

	/* The device holds the first half's bytes; once the IOVA is
	 * unmapped, its write there faults in the IOMMU and lands nowhere. */
	std::memset(mem.data() + half, 0, half);
	ASSERT_TRUE(dev->transfer(iova, kEduChunk, false));
	vfio_iommu_type1_dma_unmap unmap{};
	unmap.argsz = sizeof(unmap);
	unmap.iova = iova;
	unmap.size = mem.size();
	ASSERT_EQ(0, ioctl(dev->container(), VFIO_IOMMU_UNMAP_DMA, &unmap))
		<< std::strerror(errno);
	EXPECT_EQ(mem.size(), unmap.size);
	ASSERT_TRUE(dev->transfer(iova + half, kEduChunk, true));
	EXPECT_EQ(std::vector<std::uint8_t>(half, 0),
		  std::vector<std::uint8_t>(mem.data() + half, mem.data() + 2 * half));
}

} // namespace
} // namespace iobmd_test

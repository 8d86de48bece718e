// SPDX-License-Identifier: GPL-2.0
/*
 * IODMACommand without a mapper: the segments are physical addresses, for
 * a device that sees physical memory.  Memory beyond the command's
 * address bits is refused at prepare() (kIOReturnDMAError, ERANGE):
 * nothing is bounced.  A buffer made under the device's physical mask is
 * what such a driver allocates, and is accepted.  (The guest's 6 GiB put
 * most memory beyond 28 bits.)
 */
#include "helpers.hpp"

#include <iobmd/IODMACommand.hpp>

namespace iobmd_test {
namespace {

/* arm64's QEMU virt has no RAM below 1 GiB: there its 32 bits are narrow. */
#ifdef __aarch64__
constexpr std::uint8_t kBits = 32;
#else
constexpr std::uint8_t kBits = 28;
#endif
constexpr std::uint64_t kLimit = 1ULL << kBits;

OSSharedPtr<IODMACommand> physical_command()
{
	return IODMACommand::withSpecification(IODMACommand::OutputHost64, kBits, 0);
}

TEST(IODMACommandPhysical, RefusesMemoryBeyondItsBits)
{
	auto buf = buffer_reaching(8 * page(), kLimit);
	ASSERT_TRUE(buf) << "16 buffers, all below 256 MiB";
	auto cmd = physical_command();
	ASSERT_MADE(cmd);

	EXPECT_RET(kIOReturnDMAError, cmd->setMemoryDescriptor(buf));
	EXPECT_EQ(ERANGE, lastErrno());
	/* Nothing is left prepared. */
	std::uint64_t offset = 0;
	IODMACommand::Segment64 seg{};
	std::uint32_t n = 1;
	EXPECT_RET(kIOReturnNotReady, cmd->gen64IOVMSegments(&offset, &seg, &n));
	EXPECT_RET(kIOReturnNotReady, cmd->complete());
	/* A command of 64 bits takes the same memory. */
	auto wide = IODMACommand::withSpecification(IODMACommand::OutputHost64, 64, 0);
	ASSERT_MADE(wide);
	EXPECT_RET(kIOReturnSuccess, wide->setMemoryDescriptor(buf));
}

TEST(IODMACommandPhysical, AcceptsMemoryUnderTheMask)
{
	auto buf = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut, 8 * page(), kLimit - 1);
	ASSERT_MADE(buf);
	auto cmd = physical_command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(buf));

	/* The segments are the physical ones, all below 28 bits. */
	auto phys = segments_of(*buf);
	std::uint64_t offset = 0;
	std::vector<IODMACommand::Segment64> segs(phys.size() + 1);
	std::uint32_t n = static_cast<std::uint32_t>(segs.size());
	ASSERT_RET(kIOReturnSuccess, cmd->gen64IOVMSegments(&offset, segs.data(), &n));
	ASSERT_EQ(phys.size(), n);
	EXPECT_EQ(8 * page(), offset);
	for (std::uint32_t i = 0; i < n; i++) {
		EXPECT_EQ(phys[i].address, segs[i].fIOVMAddr) << "segment " << i;
		EXPECT_EQ(phys[i].length, segs[i].fLength) << "segment " << i;
		EXPECT_LT(segs[i].fIOVMAddr + segs[i].fLength - 1, kLimit);
	}
	EXPECT_RET(kIOReturnSuccess, cmd->complete());
}

} // namespace
} // namespace iobmd_test

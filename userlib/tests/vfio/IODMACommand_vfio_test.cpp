// SPDX-License-Identifier: GPL-2.0
/*
 * A userspace driver's DMA behind an IOMMU: iobmd memory of each kind,
 * mapped into a VFIO container by IODMACommand with an IOVFIOMapper, is
 * copied by QEMU's edu device (28-bit DMA mask) at the IOVAs the command
 * gives.  Every test sends bytes of the memory into the device and back
 * out to another place of the same memory, and checks them there.
 *
 * Runs behind QEMU's Intel IOMMU with vfio-pci loaded (check.sh's IOMMU
 * run); the guest's 6 GiB put most memory beyond the device's 28 bits,
 * which only the IOMMU makes reachable.
 */
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "edu.hpp"

namespace iobmd_test {
namespace {

using Segment64 = IODMACommand::Segment64;

/* Index of the first byte where @a and @b differ, -1 when none does. */
long first_difference(const std::uint8_t *a, const std::uint8_t *b,
		      std::size_t n)
{
	auto m = std::mismatch(a, a + n, b);
	return m.first == a + n ? -1 : static_cast<long>(m.first - a);
}

bool within_device_reach(const Segment64 &s)
{
	return s.fLength && s.fIOVMAddr + s.fLength - 1 < kEduDmaLimit;
}

/* Each test runs with the device held each way the kernel offers. */
class VFIOCommand : public ::testing::TestWithParam<vfio_via> {
protected:
	void SetUp() override
	{
		std::string why;
		dev_ = edu::get(&why, GetParam());
		ASSERT_NE(nullptr, dev_) << why;
		mapper_ = dev_->mapper();
	}

	/* The edu's command: 28 address bits, through the mapper. */
	OSSharedPtr<IODMACommand> command(std::uint64_t maxSegmentSize = 0)
	{
		return IODMACommand::withSpecification(
			IODMACommand::OutputHost64, kEduDmaBits, maxSegmentSize,
			IODMACommand::kMapped, 0, 1, mapper_);
	}

	/*
	 * Bytes [0, @len) of @md go into the device and back out to [@len,
	 * 2 @len), through @segments (the device's addresses of all of
	 * @md); the source keeps its bytes and what follows the copy is
	 * not touched.
	 */
	void round_trip(IOMemoryDescriptor &md,
			const std::vector<Segment64> &segments,
			std::uint64_t len, unsigned seed)
	{
		const std::uint64_t total = md.getLength();
		ASSERT_LE(2 * len, total);
		auto src = pattern(len, seed);
		std::vector<std::uint8_t> filler(total - len, 0xa5), got(total);
		ASSERT_EQ(len, md.writeBytes(0, src.data(), len));
		ASSERT_EQ(filler.size(), md.writeBytes(len, filler.data(), filler.size()));

		ASSERT_TRUE(copy_through_edu(*dev_, segments, 0, len, len));

		ASSERT_EQ(total, md.readBytes(0, got.data(), total));
		EXPECT_EQ(-1, first_difference(src.data(), got.data(), len))
			<< "the source changed";
		EXPECT_EQ(-1, first_difference(src.data(), got.data() + len, len))
			<< "the copy differs";
		EXPECT_EQ(-1, first_difference(filler.data(), got.data() + 2 * len,
					       total - 2 * len))
			<< "bytes after the copy changed";
	}

	/* The same through @cmd, prepared over all of @md, synchronized
	 * as a driver does around a transfer. */
	void round_trip(IOMemoryDescriptor &md, IODMACommand &cmd,
			std::uint64_t len, unsigned seed)
	{
		auto segments = dma_segments(cmd);
		ASSERT_FALSE(segments.empty());
		EXPECT_RET(kIOReturnSuccess, cmd.synchronize(kIODirectionOut));
		ASSERT_NO_FATAL_FAILURE(round_trip(md, segments, len, seed));
		EXPECT_RET(kIOReturnSuccess, cmd.synchronize(kIODirectionIn));
	}

	/* @cmd's segments are one range of @length bytes the device reaches. */
	static void expect_one_segment(IODMACommand &cmd, std::uint64_t length)
	{
		auto segments = dma_segments(cmd);
		ASSERT_EQ(1U, segments.size());
		EXPECT_EQ(length, segments[0].fLength);
		EXPECT_TRUE(within_device_reach(segments[0]))
			<< std::hex << "0x" << segments[0].fIOVMAddr;
	}

	edu *dev_ = nullptr;
	OSSharedPtr<IOVFIOMapper> mapper_;
};

/* A physically contiguous buffer: one IOVA range, not its physical address. */
TEST_P(VFIOCommand, ContiguousBuffer)
{
	const std::uint64_t size = 4 * page();
	auto buf = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut | kIOMemoryPhysicallyContiguous, size);
	ASSERT_MADE(buf);
	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(buf));
	ASSERT_NO_FATAL_FAILURE(expect_one_segment(*cmd, size));

	auto phys = segments_of(*buf);
	ASSERT_EQ(1U, phys.size());
	EXPECT_NE(phys[0].address, dma_segments(*cmd)[0].fIOVMAddr)
		<< "the IOVA is the physical address";
	round_trip(*buf, *cmd, size / 2, 1);
	EXPECT_RET(kIOReturnSuccess, cmd->clearMemoryDescriptor());
}

/*
 * A buffer of an order-4 chunk and order-0 pages (physically several
 * runs): still one IOVA range, which a smaller maximum segment size
 * splits into pages at consecutive IOVAs.
 */
TEST_P(VFIOCommand, NonContiguousBuffer)
{
	const std::uint64_t size = 18 * page();
	auto buf = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut, size);
	ASSERT_MADE(buf);
	EXPECT_LT(1U, segments_of(*buf).size()) << "physically contiguous";

	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(buf));
	ASSERT_NO_FATAL_FAILURE(expect_one_segment(*cmd, size));
	round_trip(*buf, *cmd, size / 2, 2);
	EXPECT_RET(kIOReturnSuccess, cmd->clearMemoryDescriptor());

	auto paged = command(page());
	ASSERT_MADE(paged);
	ASSERT_RET(kIOReturnSuccess, paged->setMemoryDescriptor(buf));
	auto segments = dma_segments(*paged);
	ASSERT_EQ(size / page(), segments.size());
	for (std::size_t i = 0; i < segments.size(); i++) {
		EXPECT_EQ(page(), segments[i].fLength);
		EXPECT_EQ(segments[0].fIOVMAddr + i * page(), segments[i].fIOVMAddr);
		EXPECT_TRUE(within_device_reach(segments[i]));
	}
	/* Transfers split at each segment's end. */
	round_trip(*buf, *paged, size / 2 - 100, 3);
}

/*
 * A buffer made with no physical mask lies anywhere in the guest's
 * 6 GiB, mostly beyond the device's 28 bits: the IOMMU maps it below
 * them, and the device reaches it.
 */
TEST_P(VFIOCommand, BufferWithoutMaskBeyondTheDevice)
{
	const std::uint64_t size = 8 * page();
	auto buf = buffer_reaching(size, kEduDmaLimit);
	ASSERT_TRUE(buf) << "16 buffers, all below 256 MiB";

	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(buf));
	ASSERT_NO_FATAL_FAILURE(expect_one_segment(*cmd, size));
	/* No byte's IOVA is its physical address: the IOMMU translates. */
	const std::uint64_t iova = dma_segments(*cmd)[0].fIOVMAddr;
	std::uint64_t offset = 0;
	for (const segment &s : segments_of(*buf)) {
		EXPECT_NE(s.address, iova + offset) << "offset " << offset;
		offset += s.length;
	}
	round_trip(*buf, *cmd, size / 2, 4);
}

/*
 * The classic path: a general descriptor over this process's malloc'd
 * memory at an odd offset.  The IOVA keeps the offset in its page; the
 * bytes land in the process's memory and nowhere around it.
 */
TEST_P(VFIOCommand, GeneralDescriptorOverMallocAtOddOffset)
{
	const std::size_t len = 5000, pad = 64, at = 7;
	const std::size_t total = at + 2 * len + pad;
	std::uint8_t *mem = static_cast<std::uint8_t *>(std::malloc(total));
	ASSERT_NE(nullptr, mem);
	std::unique_ptr<std::uint8_t, decltype(&std::free)> hold(mem, &std::free);
	auto src = pattern(len, 5);
	std::memset(mem, 0x3c, total);
	std::memcpy(mem + at, src.data(), len);

	auto md = IOMemoryDescriptor::withAddressRange(
		reinterpret_cast<mach_vm_address_t>(mem + at), 2 * len,
		kIODirectionInOut, current_task());
	ASSERT_MADE(md);
	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(md));
	ASSERT_NO_FATAL_FAILURE(expect_one_segment(*cmd, 2 * len));
	auto segments = dma_segments(*cmd);
	EXPECT_EQ(reinterpret_cast<std::uintptr_t>(mem + at) & (page() - 1),
		  segments[0].fIOVMAddr & (page() - 1));

	ASSERT_TRUE(copy_through_edu(*dev_, segments, 0, len, len));
	EXPECT_RET(kIOReturnSuccess, cmd->complete());
	EXPECT_EQ(-1, first_difference(src.data(), mem + at + len, len));
	EXPECT_EQ(-1, first_difference(src.data(), mem + at, len));
	for (std::size_t i = 0; i < total; i++) {
		if (i >= at && i < at + 2 * len)
			continue;
		ASSERT_EQ(0x3c, mem[i]) << "byte " << i;
	}
}

/* A sub-range of a buffer, from mid-page: its bytes, and only them. */
TEST_P(VFIOCommand, SubDescriptor)
{
	const std::uint64_t size = 8 * page(), off = page() + 100,
			    len = 5 * page();
	auto buf = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut, size);
	ASSERT_MADE(buf);
	std::vector<std::uint8_t> outside(size, 0x5a), got(size);
	ASSERT_EQ(size, buf->writeBytes(0, outside.data(), size));
	auto sub = IOSubMemoryDescriptor::withSubRange(buf.get(), off, len,
						       kIODirectionInOut);
	ASSERT_MADE(sub);

	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(sub));
	ASSERT_NO_FATAL_FAILURE(expect_one_segment(*cmd, len));
	EXPECT_EQ(100U, dma_segments(*cmd)[0].fIOVMAddr & (page() - 1));
	round_trip(*sub, *cmd, len / 2, 6);

	ASSERT_EQ(size, buf->readBytes(0, got.data(), size));
	EXPECT_EQ(-1, first_difference(outside.data(), got.data(), off));
	EXPECT_EQ(-1, first_difference(outside.data(), got.data() + off + len,
				       size - off - len));
}

/* A multi descriptor of a contiguous and a non-contiguous buffer, and a
 * copy that crosses from one to the other. */
TEST_P(VFIOCommand, MultiDescriptor)
{
	const std::uint64_t lenA = 2 * page(), lenB = 3 * page();
	auto a = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut | kIOMemoryPhysicallyContiguous, lenA);
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut, lenB);
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	IOMemoryDescriptor *pieces[] = {a.get(), b.get()};
	auto multi = IOMultiMemoryDescriptor::withDescriptors(pieces, 2,
							      kIODirectionInOut);
	ASSERT_MADE(multi);

	/* Each piece is mapped where it is: a segment each unless the
	 * second's IOVAs follow the first's. */
	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(multi));
	std::uint64_t total = 0;
	for (const Segment64 &s : dma_segments(*cmd)) {
		EXPECT_TRUE(within_device_reach(s)) << std::hex << "0x" << s.fIOVMAddr;
		total += s.fLength;
	}
	EXPECT_EQ(lenA + lenB, total);
	const std::uint64_t len = (lenA + lenB) / 2;
	round_trip(*multi, *cmd, len, 7);

	/* The copy is in b, where the multi says it is. */
	auto src = pattern(len, 7);
	std::vector<std::uint8_t> got(lenB);
	ASSERT_EQ(lenB, b->readBytes(0, got.data(), lenB));
	EXPECT_EQ(-1, first_difference(src.data(), got.data() + (len - lenA), len));
}

/*
 * A write-combined contiguous buffer: the process maps it by PFN (not
 * page-backed), and VFIO must still map it for the device.
 */
TEST_P(VFIOCommand, WriteCombinedContiguousBuffer)
{
	const std::uint64_t size = 2 * page();
	auto buf = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task,
		kIODirectionInOut | kIOMemoryPhysicallyContiguous | kIOMapWriteCombineCache,
		size);
	ASSERT_MADE(buf);
	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(buf))
		<< "errno " << lastErrno();
	ASSERT_NO_FATAL_FAILURE(expect_one_segment(*cmd, size));
	round_trip(*buf, *cmd, size / 2, 8);
}

/* DriverKit's shape: Create with maxAddressBits 28, PrepareForDMA,
 * GetPreparation, CompleteDMA. */
TEST_P(VFIOCommand, DriverKitPrepareForDMA)
{
	const std::uint64_t size = 4 * page();
	IODMACommandSpecification spec{};
	spec.options = kIODMACommandSpecificationNoOptions;
	spec.maxAddressBits = kEduDmaBits;
	OSSharedPtr<IODMACommand> cmd;
	ASSERT_RET(kIOReturnSuccess,
		   IODMACommand::Create(mapper_, kIODMACommandCreateNoOptions, &spec, &cmd));
	ASSERT_TRUE(cmd);
	OSSharedPtr<IOBufferMemoryDescriptor> buf;
	ASSERT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, size, 0, &buf));

	IOAddressSegment segs[4] = {};
	std::uint32_t count = 4;
	std::uint64_t flags = 0;
	ASSERT_RET(kIOReturnSuccess,
		   cmd->PrepareForDMA(kIODMACommandPrepareForDMANoOptions, buf, 0, 0,
				      &flags, &count, segs));
	EXPECT_EQ(kIOMemoryDirectionInOut, flags);
	ASSERT_EQ(1U, count);
	EXPECT_EQ(size, segs[0].length);
	ASSERT_TRUE(within_device_reach({segs[0].address, segs[0].length}))
		<< std::hex << "0x" << segs[0].address;

	std::uint64_t offset = 1, length = 0;
	OSSharedPtr<IOMemoryDescriptor> prepared;
	EXPECT_RET(kIOReturnSuccess, cmd->GetPreparation(&offset, &length, &prepared));
	EXPECT_EQ(0U, offset);
	EXPECT_EQ(size, length);
	EXPECT_EQ(buf, prepared);

	round_trip(*buf, {{segs[0].address, segs[0].length}}, size / 2, 9);
	EXPECT_RET(kIOReturnSuccess, cmd->CompleteDMA(kIODMACommandCompleteDMANoOptions));
	EXPECT_RET(kIOReturnNotReady, cmd->CompleteDMA(kIODMACommandCompleteDMANoOptions));
}

/*
 * complete() unmaps: the device's write to the old IOVA faults in the
 * IOMMU and the memory keeps its bytes; the guest and the engine go on
 * (a new prepare maps again and the copy works).
 */
TEST_P(VFIOCommand, CompleteUnmapsTheIOVA)
{
	const std::uint64_t size = 2 * page();
	auto buf = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut, size);
	ASSERT_MADE(buf);
	auto src = pattern(kEduChunk, 10);
	std::vector<std::uint8_t> zero(page(), 0), got(page());
	ASSERT_EQ(kEduChunk, buf->writeBytes(0, src.data(), kEduChunk));

	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(buf));
	auto segments = dma_segments(*cmd);
	ASSERT_EQ(1U, segments.size());
	const std::uint64_t iova = segments[0].fIOVMAddr;
	/* The device holds the pattern; the second page is zero. */
	ASSERT_TRUE(dev_->transfer(iova, kEduChunk, false));
	EXPECT_RET(kIOReturnSuccess, cmd->complete());

	ASSERT_TRUE(dev_->transfer(iova + page(), kEduChunk, true));
	ASSERT_EQ(page(), buf->readBytes(page(), got.data(), page()));
	EXPECT_EQ(-1, first_difference(zero.data(), got.data(), page()))
		<< "the device wrote through an IOVA complete() unmapped";

	/* Prepared again, the same write lands. */
	ASSERT_RET(kIOReturnSuccess, cmd->prepare());
	segments = dma_segments(*cmd);
	ASSERT_EQ(1U, segments.size());
	ASSERT_TRUE(dev_->transfer(segments[0].fIOVMAddr + page(), kEduChunk, true));
	ASSERT_EQ(page(), buf->readBytes(page(), got.data(), page()));
	EXPECT_EQ(-1, first_difference(src.data(), got.data(), kEduChunk));
}

/*
 * Prepares nest: the inner one gives the same IOVA, a complete() of it
 * leaves the memory mapped (the copy works), the outer complete()
 * unmaps; another range while prepared is busy, and one complete() too
 * many is refused.
 */
TEST_P(VFIOCommand, PrepareNests)
{
	const std::uint64_t size = 2 * page();
	auto buf = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut, size);
	ASSERT_MADE(buf);
	auto cmd = command();
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(buf, false));
	EXPECT_RET(kIOReturnNotReady, cmd->complete());

	ASSERT_RET(kIOReturnSuccess, cmd->prepare());
	auto outer = dma_segments(*cmd);
	ASSERT_EQ(1U, outer.size());
	ASSERT_RET(kIOReturnSuccess, cmd->prepare());
	auto inner = dma_segments(*cmd);
	ASSERT_EQ(1U, inner.size());
	EXPECT_EQ(outer[0].fIOVMAddr, inner[0].fIOVMAddr);
	EXPECT_RET(kIOReturnBusy, cmd->prepare(0, page()));

	EXPECT_RET(kIOReturnSuccess, cmd->complete());
	round_trip(*buf, outer, page(), 11);

	/* The outer complete(): the copy no longer reaches the memory. */
	EXPECT_RET(kIOReturnSuccess, cmd->complete());
	std::vector<std::uint8_t> zero(page(), 0), got(page());
	ASSERT_EQ(page(), buf->writeBytes(page(), zero.data(), page()));
	ASSERT_TRUE(dev_->transfer(outer[0].fIOVMAddr + page(), kEduChunk, true));
	ASSERT_EQ(page(), buf->readBytes(page(), got.data(), page()));
	EXPECT_EQ(-1, first_difference(zero.data(), got.data(), page()));
	EXPECT_RET(kIOReturnNotReady, cmd->complete());
}

INSTANTIATE_TEST_SUITE_P(, VFIOCommand, ::testing::ValuesIn(vfio_ways()),
			 [](const ::testing::TestParamInfo<vfio_via> &info) {
				 return info.param == vfio_via::iommufd ?
					"IOMMUFD" : "Container";
			 });

} // namespace
} // namespace iobmd_test

// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's edu device through VFIO, for iobmd_vfio_test (see edu.hpp).
 */
#include "edu.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <unistd.h>

namespace iobmd_test {

std::vector<vfio_via> vfio_ways()
{
	std::vector<vfio_via> ways{vfio_via::container};

	if (::access("/dev/iommu", F_OK) == 0)
		ways.push_back(vfio_via::iommufd);
	return ways;
}

/* The device opened @via into *@made; "" or what failed. */
std::string edu::open(vfio_via via, std::unique_ptr<edu> *made)
{
	const bool fd = via == vfio_via::iommufd;
	std::unique_ptr<edu> e(new edu());
	std::string why;
	const std::string bdf = vfio_pci::find(0x1234, 0x11e8);
	e->via_ = via;
	e->dev_ = fd ? vfio_pci::Device::openIOMMUFD(bdf, &why) :
		       vfio_pci::Device::open(bdf, &why);
	if (!e->dev_)
		return why.empty() ? "no edu device (1234:11e8)" : why;
	std::uint64_t size = 0;
	e->bar_ = e->dev_->bar(0, &size);
	if (!e->bar_ || size < kEduBuffer)
		return e->address() + ": BAR 0 cannot be mapped";
	e->mapper_ = fd ? IOVFIOMapper::withIOAS(e->dev_->iommufd(), e->dev_->ioas()) :
			  IOVFIOMapper::withContainer(e->dev_->container());
	if (!e->mapper_)
		return std::string("no IOVFIOMapper: ") +
		       stringFromReturn(lastError()) + ", errno " +
		       std::to_string(lastErrno());
	*made = std::move(e);
	return "";
}

edu *edu::get(std::string *why, vfio_via via)
{
	static std::unique_ptr<edu> the;
	static std::string failure[2];
	std::string &failed = failure[via == vfio_via::iommufd];

	if (the && the->via_ != via)
		the.reset();
	if (!the && failed.empty())
		failed = open(via, &the);
	if (!the && why)
		*why = failed;
	return the.get();
}

std::uint32_t edu::read32(std::uint32_t reg) const
{
	return *reinterpret_cast<volatile const std::uint32_t *>(bar_ + reg);
}

void edu::write32(std::uint32_t reg, std::uint32_t value)
{
	*reinterpret_cast<volatile std::uint32_t *>(bar_ + reg) = value;
}

void edu::write64(std::uint32_t reg, std::uint64_t value)
{
	*reinterpret_cast<volatile std::uint64_t *>(bar_ + reg) = value;
}

bool edu::transfer(std::uint64_t ram, std::uint32_t count, bool toRam)
{
	write64(kEduDmaSrc, toRam ? kEduBuffer : ram);
	write64(kEduDmaDst, toRam ? ram : kEduBuffer);
	write64(kEduDmaCount, count);
	write32(kEduDmaCmd, kEduCmdRun | (toRam ? kEduCmdToRam : 0));
	/* The model finishes a transfer 100 ms (virtual) after the start. */
	const auto deadline = std::chrono::steady_clock::now() +
			      std::chrono::seconds(10);
	while (read32(kEduDmaCmd) & kEduCmdRun) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	return true;
}

std::vector<IODMACommand::Segment64> dma_segments(IODMACommand &cmd)
{
	std::vector<IODMACommand::Segment64> all;
	std::uint64_t prepOffset = 0, prepLength = 0, offset = 0;

	IOReturn r = cmd.getPreparedOffsetAndLength(&prepOffset, &prepLength);
	EXPECT_RET(kIOReturnSuccess, r);
	if (r != kIOReturnSuccess)
		return {};
	while (offset < prepLength) {
		IODMACommand::Segment64 segs[4];
		std::uint32_t n = 4;
		r = cmd.gen64IOVMSegments(&offset, segs, &n);
		EXPECT_RET(kIOReturnSuccess, r);
		EXPECT_NE(0U, n);
		if (r != kIOReturnSuccess || !n)
			return {};
		all.insert(all.end(), segs, segs + n);
	}
	return all;
}

namespace {

/* The device address of byte @at of the range @segments describe, and
 * in *@run the bytes from there to the end of its segment (0: outside). */
std::uint64_t address_of(const std::vector<IODMACommand::Segment64> &segments,
			 std::uint64_t at, std::uint64_t *run)
{
	for (const auto &s : segments) {
		if (at < s.fLength) {
			*run = s.fLength - at;
			return s.fIOVMAddr + at;
		}
		at -= s.fLength;
	}
	*run = 0;
	return 0;
}

} // namespace

::testing::AssertionResult copy_through_edu(
	edu &dev, const std::vector<IODMACommand::Segment64> &segments,
	std::uint64_t from, std::uint64_t to, std::uint64_t length)
{
	for (std::uint64_t done = 0; done < length;) {
		std::uint64_t fromRun = 0, toRun = 0;
		std::uint64_t src = address_of(segments, from + done, &fromRun);
		std::uint64_t dst = address_of(segments, to + done, &toRun);
		if (!fromRun || !toRun)
			return ::testing::AssertionFailure()
			       << "byte " << done << " is outside the segments";
		std::uint64_t n = std::min({kEduChunk, length - done, fromRun, toRun});
		if (src + n - 1 >= kEduDmaLimit || dst + n - 1 >= kEduDmaLimit)
			return ::testing::AssertionFailure()
			       << std::hex << "0x" << src << " or 0x" << dst
			       << " (+0x" << n << ") is beyond the edu's 28 bits";
		if (!dev.transfer(src, static_cast<std::uint32_t>(n), false) ||
		    !dev.transfer(dst, static_cast<std::uint32_t>(n), true))
			return ::testing::AssertionFailure()
			       << "the edu's DMA engine did not finish in 10 s";
		done += n;
	}
	return ::testing::AssertionSuccess();
}

} // namespace iobmd_test

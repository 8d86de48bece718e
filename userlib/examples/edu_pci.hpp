/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hardware half of the two edu example drivers (edu_driverkit.cpp,
 * edu_kext.cpp): what a dext gets from its IOPCIDevice provider and a kext
 * from its IOPCIDevice nub, here QEMU's edu (1234:11e8) through VFIO: its
 * BAR 0 registers, and its IOMMU as an IOMapper for IODMACommand.
 *
 * The DMA engine (QEMU's docs/specs/edu.rst) copies between a DMA address
 * (28 bits) and a 4 KiB buffer inside the device at 0x40000.  Transfers
 * here are at most 2 KiB at the start of that buffer (QEMU 7.2 aborts on a
 * transfer that ends at its end) and polled: the command register's bit 0
 * clears when the copy is done.
 */
#ifndef IOBMD_EXAMPLES_EDU_PCI_HPP
#define IOBMD_EXAMPLES_EDU_PCI_HPP

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <iobmd/IOMapper.hpp>
#include <iobmd/IOReturn.hpp>

#include "vfio_pci.hpp"

namespace edu_pci {

inline constexpr std::uint32_t kDmaSource = 0x80;
inline constexpr std::uint32_t kDmaDestination = 0x88;
inline constexpr std::uint32_t kDmaCount = 0x90;
inline constexpr std::uint32_t kDmaCommand = 0x98;
inline constexpr std::uint32_t kCommandStart = 0x1;
inline constexpr std::uint32_t kCommandToRam = 0x2;
inline constexpr std::uint64_t kDeviceBuffer = 0x40000;
inline constexpr std::uint32_t kMaxTransfer = 2048;
inline constexpr unsigned kAddressBits = 28;

/* What a driver says when @what failed with @ret; its exit status. */
inline int failed(const char *driver, const char *what, iobmd::kern_return_t ret)
{
	std::fprintf(stderr, "%s: %s: %s (0x%x)\n", driver, what,
		     iobmd::stringFromReturn(static_cast<iobmd::IOReturn>(ret)),
		     static_cast<unsigned>(ret));
	return 1;
}

class Provider {
public:
	/* The guest's edu, bound to vfio-pci; null, said on stderr for
	 * @driver, on failure. */
	static std::unique_ptr<Provider> open(const char *driver)
	{
		std::string why;
		auto p = open(&why);
		if (!p)
			std::fprintf(stderr, "%s: %s\n", driver, why.c_str());
		return p;
	}

	static std::unique_ptr<Provider> open(std::string *why)
	{
		std::unique_ptr<Provider> p(new Provider());
		p->dev_ = vfio_pci::Device::open(vfio_pci::find(0x1234, 0x11e8), why);
		if (!p->dev_) {
			if (why->empty())
				*why = "no edu device (1234:11e8)";
			return nullptr;
		}
		p->regs_ = p->dev_->bar(0);
		p->mapper_ = iobmd::IOVFIOMapper::withContainer(p->dev_->container());
		if (!p->regs_ || !p->mapper_) {
			*why = "BAR 0 or the IOMMU of the edu cannot be had";
			return nullptr;
		}
		return p;
	}

	/* The device's IOMMU: IODMACommand maps through it. */
	const iobmd::OSSharedPtr<iobmd::IOVFIOMapper> &mapper() const { return mapper_; }

	/*
	 * One copy of @count bytes between the DMA address @ram and the
	 * start of the device's buffer, @toRam or from it.  True when the
	 * engine finished within 10 s.
	 */
	bool copy(std::uint64_t ram, std::uint32_t count, bool toRam)
	{
		write64(kDmaSource, toRam ? kDeviceBuffer : ram);
		write64(kDmaDestination, toRam ? ram : kDeviceBuffer);
		write64(kDmaCount, count);
		*reg32(kDmaCommand) = kCommandStart | (toRam ? kCommandToRam : 0);
		const auto give_up = std::chrono::steady_clock::now() +
				     std::chrono::seconds(10);
		while (*reg32(kDmaCommand) & kCommandStart) {
			if (std::chrono::steady_clock::now() > give_up)
				return false;
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
		}
		return true;
	}

private:
	Provider() = default;
	volatile std::uint32_t *reg32(std::uint32_t at)
	{
		return reinterpret_cast<volatile std::uint32_t *>(regs_ + at);
	}
	void write64(std::uint32_t at, std::uint64_t v)
	{
		*reinterpret_cast<volatile std::uint64_t *>(regs_ + at) = v;
	}

	std::unique_ptr<vfio_pci::Device> dev_;
	volatile std::uint8_t *regs_ = nullptr;
	iobmd::OSSharedPtr<iobmd::IOVFIOMapper> mapper_;
};

/*
 * The device address of bytes [@offset, @offset + @need) of the memory
 * @n segments describe, when one segment holds them all; else 0.
 * @address and @length read a segment (IOKit and DriverKit name their
 * fields differently).
 */
template <typename Segment, typename Address, typename Length>
std::uint64_t deviceAddress(const Segment *segments, std::uint32_t n,
			    std::uint64_t offset, std::uint64_t need,
			    Address address, Length length)
{
	for (std::uint32_t i = 0; i < n; i++) {
		if (offset < length(segments[i]))
			return need <= length(segments[i]) - offset ?
				       address(segments[i]) + offset : 0;
		offset -= length(segments[i]);
	}
	return 0;
}

} // namespace edu_pci

#endif /* IOBMD_EXAMPLES_EDU_PCI_HPP */

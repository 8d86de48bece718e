/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's edu device (PCI 1234:11e8; QEMU's docs/specs/edu.rst) driven from
 * this process through VFIO, for iobmd_vfio_test: its registers through
 * BAR 0, its DMA engine, and copies of a descriptor's bytes through the
 * engine at the addresses an IODMACommand gave.
 *
 * The engine copies between RAM (a DMA address, clamped by the device to
 * its 28-bit mask) and a 4 KiB buffer inside the device at device address
 * 0x40000.  Transfers here stay at 2 KiB at the start of that buffer
 * (QEMU 7.2 aborts on a transfer that ends at the buffer's end) and are
 * polled: the command register's bit 0 clears when the transfer is done.
 */
#ifndef IOBMD_TESTS_VFIO_EDU_HPP
#define IOBMD_TESTS_VFIO_EDU_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <iobmd/IODMACommand.hpp>
#include <iobmd/IOMapper.hpp>
#include <iobmd/iobmd.hpp>

#include "../../examples/vfio_pci.hpp"
#include "../helpers.hpp"

namespace iobmd_test {

using namespace iobmd;

/* Registers (BAR 0 offsets). */
inline constexpr std::uint32_t kEduIdent = 0x00;     /* 0xRRrr00ed */
inline constexpr std::uint32_t kEduLiveness = 0x04;  /* reads ~written */
inline constexpr std::uint32_t kEduDmaSrc = 0x80;
inline constexpr std::uint32_t kEduDmaDst = 0x88;
inline constexpr std::uint32_t kEduDmaCount = 0x90;
inline constexpr std::uint32_t kEduDmaCmd = 0x98;
inline constexpr std::uint32_t kEduCmdRun = 0x1;
inline constexpr std::uint32_t kEduCmdToRam = 0x2;

/* The device's buffer, what one transfer moves here, its DMA mask. */
inline constexpr std::uint64_t kEduBuffer = 0x40000;
inline constexpr std::uint64_t kEduChunk = 2048;
inline constexpr unsigned kEduDmaBits = 28;
inline constexpr std::uint64_t kEduDmaLimit = 1ULL << kEduDmaBits;

/* How this process holds the device: its IOMMU group in a VFIO
 * container (Type1), or its VFIO device file attached to an I/O address
 * space of an iommufd. */
enum class vfio_via { container, iommufd };

/* The ways this kernel offers: the container always, iommufd when it
 * has one (/dev/iommu: the debug kernel; Debian's are built without). */
std::vector<vfio_via> vfio_ways();

class edu {
public:
	/*
	 * The guest's edu, bound to vfio-pci and held @via, BAR 0 mapped,
	 * with an IOVFIOMapper over its IOMMU: opened on the first call and
	 * kept for the process, or closed and opened again when @via
	 * changes (a device is held one way at a time).  Null, with the
	 * reason in *@why, when that fails.
	 */
	static edu *get(std::string *why, vfio_via via = vfio_via::container);

	vfio_via via() const { return via_; }
	int container() const { return dev_->container(); }
	const std::string &address() const { return dev_->address(); }
	const OSSharedPtr<IOVFIOMapper> &mapper() const { return mapper_; }

	std::uint32_t read32(std::uint32_t reg) const;
	void write32(std::uint32_t reg, std::uint32_t value);
	void write64(std::uint32_t reg, std::uint64_t value);

	/*
	 * One transfer of @count bytes (1 to kEduChunk) between the DMA
	 * address @ram and the device's buffer: into the device (@toRam
	 * false) or out of it.  Waits for the engine at most 10 s: true when
	 * it finished.
	 */
	bool transfer(std::uint64_t ram, std::uint32_t count, bool toRam);

private:
	edu() = default;
	static std::string open(vfio_via via, std::unique_ptr<edu> *made);

	vfio_via via_ = vfio_via::container;
	std::unique_ptr<vfio_pci::Device> dev_;
	volatile std::uint8_t *bar_ = nullptr;
	OSSharedPtr<IOVFIOMapper> mapper_;
};

/* Every segment of @cmd's prepared range, by gen64IOVMSegments() a few at
 * a time; empty (and a test failure) when it fails. */
std::vector<IODMACommand::Segment64> dma_segments(IODMACommand &cmd);

/*
 * Copies bytes [@from, @from + @length) of the memory @segments describe
 * (the prepared range's device addresses, in order) to [@to, @to +
 * @length) through the edu's buffer: each piece (at most kEduChunk, never
 * across a segment's end) goes into the device and back out.  Fails when
 * an address lies beyond the device's 28 bits (it would be clamped), a
 * range is outside the segments, or the engine does not finish.
 */
::testing::AssertionResult copy_through_edu(
	edu &dev, const std::vector<IODMACommand::Segment64> &segments,
	std::uint64_t from, std::uint64_t to, std::uint64_t length);

} // namespace iobmd_test

#endif /* IOBMD_TESTS_VFIO_EDU_HPP */

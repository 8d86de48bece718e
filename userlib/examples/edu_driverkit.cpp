// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_edu_driverkit - QEMU's edu device driven the way a DriverKit
 * extension (a dext) drives its hardware, with DriverKit's names only:
 *
 *   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, ..., &buffer)
 *   buffer->CreateMapping(0, 0, 0, 0, 0, &map)
 *   IODMACommand::Create(provider, kIODMACommandCreateNoOptions, &spec,
 *                        &command)
 *   command->PrepareForDMA(..., buffer, ..., &segmentsCount, segments)
 *   program the engine with segments[].address
 *   command->CompleteDMA(kIODMACommandCompleteDMANoOptions)
 *   OSSafeReleaseNULL(command), (map), (buffer)
 *
 * Every object comes back through a DriverKit out-parameter holding a
 * reference the driver owns, and goes with OSSafeReleaseNULL().
 *
 * The provider (edu_pci.hpp) stands for the dext's IOPCIDevice: its BAR 0
 * and, as the IOMapper, its IOMMU through VFIO.  The driver writes a
 * pattern into the first 2 KiB of a page-sized buffer, has the device
 * read it into its own memory and write it back into the second 2 KiB,
 * and checks it there.  Needs root, the iobmd module, an IOMMU with
 * vfio-pci and vfio_iommu_type1 loaded, and the edu (QEMU's -device edu).
 * Exits 0 when the bytes made the round trip, 1 (saying why) otherwise.
 */
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <iobmd/IODMACommand.hpp>
#include <iobmd/iobmd.hpp>

#include "edu_pci.hpp"

using namespace iobmd;

namespace {

int fail(const char *what, kern_return_t ret)
{
	return edu_pci::failed("edu_driverkit", what, ret);
}

} // namespace

int main()
{
	auto provider = edu_pci::Provider::open("edu_driverkit");
	if (!provider)
		return 1;
	const std::uint32_t half = edu_pci::kMaxTransfer;

	/* Start(): the buffer the device copies from and into. */
	IOBufferMemoryDescriptor *buffer = nullptr;
	kern_return_t ret = IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut,
							     2 * half, 0, &buffer);
	if (ret != kIOReturnSuccess)
		return fail("IOBufferMemoryDescriptor::Create", ret);
	IOMemoryMap *map = nullptr;
	ret = buffer->CreateMapping(0, 0, 0, 0, 0, &map);
	if (ret != kIOReturnSuccess)
		return fail("CreateMapping", ret);
	auto *bytes = reinterpret_cast<std::uint8_t *>(map->GetAddress());
	for (std::uint32_t i = 0; i < half; i++)
		bytes[i] = static_cast<std::uint8_t>(i * 7 + 3);
	std::memset(bytes + half, 0, half);

	/* The device reaches 28 bits, through its IOMMU. */
	IODMACommandSpecification spec{};
	spec.options = kIODMACommandSpecificationNoOptions;
	spec.maxAddressBits = edu_pci::kAddressBits;
	IODMACommand *command = nullptr;
	ret = IODMACommand::Create(provider->mapper(), kIODMACommandCreateNoOptions,
				   &spec, &command);
	if (ret != kIOReturnSuccess)
		return fail("IODMACommand::Create", ret);

	std::uint64_t flags = 0;
	IOAddressSegment segments[8];
	std::uint32_t segmentsCount = 8;
	ret = command->PrepareForDMA(kIODMACommandPrepareForDMANoOptions, buffer, 0, 0,
				     &flags, &segmentsCount, segments);
	if (ret != kIOReturnSuccess)
		return fail("PrepareForDMA", ret);
	if ((flags & kIOMemoryDirectionOutIn) != kIOMemoryDirectionOutIn)
		return fail("PrepareForDMA's flags", kIOReturnNotWritable);

	auto address = [](const IOAddressSegment &s) { return s.address; };
	auto length = [](const IOAddressSegment &s) { return s.length; };
	const std::uint64_t from = edu_pci::deviceAddress(segments, segmentsCount, 0, half,
							  address, length);
	const std::uint64_t to = edu_pci::deviceAddress(segments, segmentsCount, half, half,
							address, length);
	if (!from || !to || to + half > (1ULL << edu_pci::kAddressBits))
		return fail("the segments", kIOReturnDMAError);
	bool moved = provider->copy(from, half, false) && provider->copy(to, half, true);

	ret = command->CompleteDMA(kIODMACommandCompleteDMANoOptions);
	if (ret != kIOReturnSuccess)
		return fail("CompleteDMA", ret);
	if (!moved)
		return fail("the DMA engine", kIOReturnTimeout);
	int bad = std::memcmp(bytes, bytes + half, half) != 0;
	OSSafeReleaseNULL(command);
	OSSafeReleaseNULL(map);
	OSSafeReleaseNULL(buffer);
	if (bad)
		return fail("the bytes copied back", kIOReturnIOError);
	std::printf("edu_driverkit: %u bytes went through the edu and back\n", half);
	return 0;
}

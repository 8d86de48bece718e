// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_edu_kext - QEMU's edu device driven the way an IOKit kernel
 * extension drives its hardware, with IOKit's kext names only:
 *
 *   IOBufferMemoryDescriptor::inTaskWithPhysicalMask(kernel_task,
 *       kIODirectionInOut | kIOMemoryPhysicallyContiguous, size,
 *       0xFFFFFFFFFFFFF000)
 *   buffer->prepare()
 *   IODMACommand::withSpecification(OutputHost64, 28, 0, kMapped, 0, 1, mapper)
 *   command->setMemoryDescriptor(buffer)              (auto-prepares)
 *   command->gen64IOVMSegments(&offset, segments, &count)
 *   program the engine with segments[].fIOVMAddr
 *   command->clearMemoryDescriptor(); buffer->complete()
 *
 * The mapper is the device's IOMMU (edu_pci.hpp), what a kext's command
 * gets from the system mapper.  Behind it the device's 28 bits bound the
 * command's addresses (IOVAs), not where the memory lies, so the physical
 * mask asks only for page-aligned memory (a kext for a device without an
 * IOMMU would put its 28 bits in the mask; on arm64's virt machine no RAM
 * lies that low).  The driver fills the first 2 KiB of the buffer, has the device
 * read them and write them back 2 KiB further on, and checks them there.
 * Needs what iobmd_edu_driverkit needs.  Exits 0 when the bytes made the
 * round trip, 1 (saying why) otherwise.
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
	return edu_pci::failed("edu_kext", what, ret);
}

} // namespace

int main()
{
	auto provider = edu_pci::Provider::open("edu_kext");
	if (!provider)
		return 1;
	const std::uint32_t half = edu_pci::kMaxTransfer;
	const mach_vm_address_t mask = 0xFFFFFFFFFFFFF000ULL;

	auto buffer = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut | kIOMemoryPhysicallyContiguous, 2 * half,
		mask);
	if (!buffer)
		return fail("inTaskWithPhysicalMask", lastError());
	IOReturn ret = buffer->prepare();
	if (ret != kIOReturnSuccess)
		return fail("prepare", ret);
	auto *bytes = static_cast<std::uint8_t *>(buffer->getBytesNoCopy());
	if (!bytes)
		return fail("getBytesNoCopy", lastError());
	for (std::uint32_t i = 0; i < half; i++)
		bytes[i] = static_cast<std::uint8_t>(i * 13 + 5);
	std::memset(bytes + half, 0, half);

	auto command = IODMACommand::withSpecification(
		IODMACommand::OutputHost64, edu_pci::kAddressBits, 0, IODMACommand::kMapped,
		0, 1, provider->mapper());
	if (!command)
		return fail("withSpecification", lastError());
	ret = command->setMemoryDescriptor(buffer);
	if (ret != kIOReturnSuccess)
		return fail("setMemoryDescriptor", ret);

	IODMACommand::Segment64 segments[8];
	std::uint32_t count = 8;
	std::uint64_t offset = 0;
	ret = command->gen64IOVMSegments(&offset, segments, &count);
	if (ret != kIOReturnSuccess)
		return fail("gen64IOVMSegments", ret);

	auto address = [](const IODMACommand::Segment64 &s) { return s.fIOVMAddr; };
	auto length = [](const IODMACommand::Segment64 &s) { return s.fLength; };
	const std::uint64_t from = edu_pci::deviceAddress(segments, count, 0, half,
							  address, length);
	const std::uint64_t to = edu_pci::deviceAddress(segments, count, half, half,
							address, length);
	if (offset != 2 * half || !from || !to)
		return fail("the segments", kIOReturnDMAError);
	bool moved = provider->copy(from, half, false) && provider->copy(to, half, true);

	ret = command->clearMemoryDescriptor();
	if (ret != kIOReturnSuccess)
		return fail("clearMemoryDescriptor", ret);
	ret = buffer->complete();
	if (ret != kIOReturnSuccess)
		return fail("complete", ret);
	if (!moved)
		return fail("the DMA engine", kIOReturnTimeout);
	if (std::memcmp(bytes, bytes + half, half))
		return fail("the bytes copied back", kIOReturnIOError);
	std::printf("edu_kext: %u bytes went through the edu and back\n", half);
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * iobmd_dma_buffer - a buffer a 32-bit DMA engine can reach.
 *
 *   IOBufferMemoryDescriptor::inTaskWithPhysicalMask(kernel_task,
 *           kIODirectionInOut, 1 MiB, 0x00000000FFFFF000)
 *
 * allocates 1 MiB whose every byte lies below 4 GiB, 4 KiB aligned (the
 * mask's lowest set bit is the alignment, mask | 0xFFF the highest
 * address).  The example fills it through getBytesNoCopy(), checks the
 * descriptor reads the same bytes, prepares it for DMA and walks its
 * segments with getPhysicalSegment(), checking each ends below 4 GiB
 * (listing segments needs CAP_SYS_ADMIN; without it the walk is skipped).
 */
#include <cinttypes>
#include <cstdint>
#include <cstdio>

#include <iobmd/iobmd.hpp>

using namespace iobmd;

namespace {

constexpr mach_vm_size_t kCapacity = 1024 * 1024;
constexpr mach_vm_address_t kPhysMask = 0x00000000FFFFF000ULL;
constexpr IOPhysicalAddress kHighest = 0xFFFFFFFFULL;

int fail(const char *what)
{
	std::fprintf(stderr, "iobmd_dma_buffer: %s: %s (0x%08x)\n", what,
		     stringFromReturn(lastError()),
		     static_cast<unsigned>(lastError()));
	return 1;
}

std::uint8_t pattern(std::size_t i)
{
	return static_cast<std::uint8_t>(i * 7 + (i >> 12));
}

} // namespace

int main()
{
	OSSharedPtr<IOBufferMemoryDescriptor> buffer =
		IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
			kernel_task, kIODirectionInOut, kCapacity, kPhysMask);
	if (!buffer)
		return fail("inTaskWithPhysicalMask");

	/* Fill it where it is mapped in this process. */
	auto *bytes = static_cast<std::uint8_t *>(buffer->getBytesNoCopy());
	if (!bytes)
		return fail("getBytesNoCopy");
	for (std::size_t i = 0; i < kCapacity; i++)
		bytes[i] = pattern(i);

	/* The descriptor holds the same bytes. */
	std::uint8_t tail[16];
	if (buffer->readBytes(kCapacity - sizeof(tail), tail, sizeof(tail)) != sizeof(tail))
		return fail("readBytes");
	for (std::size_t i = 0; i < sizeof(tail); i++) {
		if (tail[i] != pattern(kCapacity - sizeof(tail) + i)) {
			std::fprintf(stderr, "iobmd_dma_buffer: readBytes differs at %zu\n", i);
			return 1;
		}
	}
	std::printf("iobmd_dma_buffer: %llu bytes below 4 GiB, mapped at %p, filled\n",
		    static_cast<unsigned long long>(buffer->getLength()),
		    static_cast<void *>(bytes));

	/* What a device would be given: the DMA segments. */
	if (buffer->prepare() != kIOReturnSuccess)
		return fail("prepare");
	IOByteCount offset = 0;
	unsigned count = 0;
	while (offset < kCapacity) {
		IOByteCount length = 0;
		IOPhysicalAddress address = buffer->getPhysicalSegment(offset, &length);
		if (!address) {
			if (lastError() == kIOReturnNotPrivileged) {
				std::printf("iobmd_dma_buffer: listing segments needs CAP_SYS_ADMIN\n");
				break;
			}
			return fail("getPhysicalSegment");
		}
		if (address + length - 1 > kHighest) {
			std::fprintf(stderr, "iobmd_dma_buffer: segment 0x%" PRIx64
				     " + 0x%" PRIx64 " is above 4 GiB\n", address, length);
			return 1;
		}
		if (count < 4)
			std::printf("iobmd_dma_buffer: segment %u: 0x%09" PRIx64 " + 0x%" PRIx64 "\n",
				    count, address, length);
		offset += length;
		count++;
	}
	if (count)
		std::printf("iobmd_dma_buffer: %u segment(s), every one below 4 GiB\n", count);
	if (buffer->complete() != kIOReturnSuccess)
		return fail("complete");
	return 0;
}

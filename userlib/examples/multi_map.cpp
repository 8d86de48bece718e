// SPDX-License-Identifier: MIT
/*
 * iobmd_multi_map - a buffer and a range of this process's memory as one
 * descriptor, mapped as one range.
 *
 *   header  = IOBufferMemoryDescriptor::withBytes(page, 4096, InOut)
 *   payload = IOGeneralMemoryDescriptor::withAddressRange(memory, 8192,
 *                                                         InOut, kernel_task)
 *   payload->prepare()            user memory maps only while prepared
 *   multi   = IOMultiMemoryDescriptor::withDescriptors({ header, payload },
 *                                                      2, InOut)
 *   map     = multi->map()
 *
 * The mapping shows the header's page followed by the very pages of the
 * payload: a write through the mapping lands in this process's memory.
 * (Pieces map back to back, so each must start where the one before ends
 * in its page: here, on page boundaries.)
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <iobmd/iobmd.hpp>

using namespace iobmd;

namespace {

constexpr std::size_t kHeaderSize = 4096;
constexpr std::size_t kPayloadSize = 8192;

int fail(const char *what)
{
	std::fprintf(stderr, "iobmd_multi_map: %s: %s (0x%08x)\n", what,
		     stringFromReturn(lastError()),
		     static_cast<unsigned>(lastError()));
	return 1;
}

struct free_deleter {
	void operator()(void *p) const { std::free(p); }
};

} // namespace

int main()
{
	/* The header: a buffer made from bytes. */
	auto header_bytes = std::make_unique<char[]>(kHeaderSize);
	std::snprintf(header_bytes.get(), kHeaderSize, "header: 1 payload of %zu bytes",
		      kPayloadSize);
	OSSharedPtr<IOBufferMemoryDescriptor> header =
		IOBufferMemoryDescriptor::withBytes(header_bytes.get(), kHeaderSize,
						    kIODirectionInOut);
	if (!header)
		return fail("withBytes");

	/* The payload: memory this process already has, page aligned. */
	std::unique_ptr<char, free_deleter> memory(
		static_cast<char *>(std::aligned_alloc(4096, kPayloadSize)));
	if (!memory)
		return 1;
	std::memset(memory.get(), 'p', kPayloadSize);
	{
		OSSharedPtr<IOGeneralMemoryDescriptor> payload =
			IOGeneralMemoryDescriptor::withAddressRange(
				reinterpret_cast<mach_vm_address_t>(memory.get()),
				kPayloadSize, kIODirectionInOut, kernel_task);
		if (!payload)
			return fail("withAddressRange");
		if (payload->prepare() != kIOReturnSuccess)
			return fail("prepare");

		IOMemoryDescriptor *pieces[] = { header.get(), payload.get() };
		OSSharedPtr<IOMultiMemoryDescriptor> multi =
			IOMultiMemoryDescriptor::withDescriptors(pieces, 2,
								 kIODirectionInOut);
		if (!multi)
			return fail("withDescriptors");

		OSSharedPtr<IOMemoryMap> map = multi->map();
		if (!map)
			return fail("map");
		auto *view = reinterpret_cast<char *>(map->getVirtualAddress());
		std::printf("iobmd_multi_map: %llu bytes mapped at %p: \"%s\"\n",
			    static_cast<unsigned long long>(map->getLength()),
			    static_cast<void *>(view), view);
		if (map->getLength() != kHeaderSize + kPayloadSize ||
		    std::strcmp(view, header_bytes.get()) != 0 ||
		    view[kHeaderSize] != 'p' || view[kHeaderSize + kPayloadSize - 1] != 'p')
			return fail("the mapping's contents");

		/* Through the mapping into the process's own memory. */
		std::strcpy(view + kHeaderSize, "written through the map");
		std::printf("iobmd_multi_map: the payload now reads \"%s\"\n", memory.get());
		if (std::strcmp(memory.get(), "written through the map") != 0)
			return fail("the payload's contents");

		/* And the descriptor reads across the seam. */
		char seam[8];
		if (multi->readBytes(kHeaderSize - 4, seam, sizeof(seam)) != sizeof(seam) ||
		    std::memcmp(seam + 4, "writ", 4) != 0)
			return fail("readBytes");

		map.reset();
		multi.reset();
		if (payload->complete() != kIOReturnSuccess)
			return fail("complete");
	}
	return 0;
}

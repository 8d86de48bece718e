// SPDX-License-Identifier: MIT
/*
 * iobmd_dmabuf_share - a buffer handed out as a dma-buf, and a dma-buf
 * taken in as a descriptor.
 *
 *   buffer = IOBufferMemoryDescriptor::withCapacity(64 KiB, InOut)
 *   fd     = buffer->createDmaBuf()          export: an owned dma-buf fd
 *   mmap(fd) between DMA_BUF_IOCTL_SYNC start and end
 *   desc   = IOMemoryDescriptor::withDmaBuf(fd, InOut)       import
 *   desc->readBytes(), desc->writeBytes()
 *
 * The file descriptor is what a V4L2 or DRM driver, VFIO, io_uring or
 * another process takes.  withDmaBuf() takes any exporter's dma-buf the
 * same way (a dma-buf heap's, udmabuf's, a GPU's); here it takes the
 * buffer's own, after the buffer is released: the dma-buf holds the
 * memory for as long as it lives.
 */
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <linux/dma-buf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <iobmd/iobmd.hpp>

using namespace iobmd;

namespace {

constexpr std::size_t kSize = 64 * 1024;
constexpr std::size_t kMark = 4096 + 12;	/* a byte in the second page */

int fail(const char *what)
{
	std::fprintf(stderr, "iobmd_dmabuf_share: %s: %s (0x%08x)\n", what,
		     stringFromReturn(lastError()),
		     static_cast<unsigned>(lastError()));
	return 1;
}

std::uint8_t pattern(std::size_t i)
{
	return static_cast<std::uint8_t>(i * 13 + (i >> 12));
}

/* DMA_BUF_IOCTL_SYNC: brackets CPU access through a dma-buf mapping. */
bool sync(int fd, std::uint64_t flags)
{
	struct dma_buf_sync s = {};

	s.flags = flags | DMA_BUF_SYNC_RW;
	return ::ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) == 0;
}

/* What an importing process does: map the dma-buf, check, write a mark. */
int use_as_importer(int fd)
{
	void *p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		std::perror("iobmd_dmabuf_share: mmap of the dma-buf");
		return 1;
	}
	auto *bytes = static_cast<std::uint8_t *>(p);
	int ret = 0;
	if (!sync(fd, DMA_BUF_SYNC_START)) {
		std::perror("iobmd_dmabuf_share: DMA_BUF_SYNC_START");
		ret = 1;
	}
	for (std::size_t i = 0; !ret && i < kSize; i++) {
		if (bytes[i] != pattern(i)) {
			std::fprintf(stderr, "iobmd_dmabuf_share: byte %zu of the dma-buf\n", i);
			ret = 1;
		}
	}
	bytes[kMark] = 0xa5;
	if (!sync(fd, DMA_BUF_SYNC_END)) {
		std::perror("iobmd_dmabuf_share: DMA_BUF_SYNC_END");
		ret = 1;
	}
	::munmap(p, kSize);
	return ret;
}

} // namespace

int main()
{
	unique_fd fd;
	{
		OSSharedPtr<IOBufferMemoryDescriptor> buffer =
			IOBufferMemoryDescriptor::withCapacity(kSize, kIODirectionInOut);
		if (!buffer)
			return fail("withCapacity");
		auto *bytes = static_cast<std::uint8_t *>(buffer->getBytesNoCopy());
		if (!bytes)
			return fail("getBytesNoCopy");
		for (std::size_t i = 0; i < kSize; i++)
			bytes[i] = pattern(i);

		/* Export: read-write, closed on exec, the whole buffer. */
		fd = buffer->createDmaBuf();
		if (!fd.isValid())
			return fail("createDmaBuf");
	}
	/* The buffer is released; the dma-buf keeps its memory. */
	if (use_as_importer(fd.get()))
		return 1;

	/* Import: a descriptor over the dma-buf, which it holds. */
	OSSharedPtr<IOMemoryDescriptor> desc =
		IOMemoryDescriptor::withDmaBuf(fd.get(), kIODirectionInOut);
	if (!desc)
		return fail("withDmaBuf");
	fd.reset();
	std::uint8_t mark = 0;
	if (desc->getLength() != kSize || desc->readBytes(kMark, &mark, 1) != 1)
		return fail("readBytes");
	if (mark != 0xa5) {
		std::fprintf(stderr, "iobmd_dmabuf_share: the mark reads 0x%02x\n", mark);
		return 1;
	}
	const std::uint8_t back = pattern(kMark);
	if (desc->writeBytes(kMark, &back, 1) != 1)
		return fail("writeBytes");
	std::printf("iobmd_dmabuf_share: %zu bytes exported, mapped and imported\n", kSize);
	return 0;
}

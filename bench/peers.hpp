// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench: the allocators compared.  Each gives memory in the same
 * three steps, so a workload times them alike:
 *
 *   allocate()  the memory exists (iobmd: IOBMD_BUF_CREATE; dma-heap:
 *               DMA_HEAP_IOCTL_ALLOC; udmabuf: memfd + UDMABUF_CREATE;
 *               anonymous: mmap(MAP_POPULATE), which also maps it)
 *   map()       it is mapped into this process (IOBMD_MAP + mmap; mmap of
 *               the dma-buf fd; anonymous: the mapping it already has)
 *   destructors munmap, then release the memory.
 */
#ifndef IOBMD_BENCH_PEERS_HPP
#define IOBMD_BENCH_PEERS_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bench.hpp"

namespace iobmd_bench {

/* Memory one allocator handed out. */
class buffer {
public:
	virtual ~buffer() = default;
	/* A new mapping of the whole buffer. */
	virtual mapping map() = 0;
};

class allocator {
public:
	virtual ~allocator() = default;
	virtual std::string name() const = 0;
	virtual std::unique_ptr<buffer> allocate(std::size_t size) = 0;
};

/*
 * The allocator called @name: "iobmd", "iobmd-mask32" (physical mask
 * 0x00000000FFFFF000), "iobmd-contig32" (the same, physically
 * contiguous), "dma-heap" (/dev/dma_heap/system), "cma-heap" (the CMA
 * heap, where there is a CMA area), "udmabuf" (over
 * a sealed memfd), "anon" (mmap(MAP_POPULATE), transparent huge pages as
 * the system has them) or "anon-4k" (anonymous, MADV_NOHUGEPAGE then
 * MADV_POPULATE_WRITE), "zero-floor" (memset() of the same bytes in
 * memory mapped and faulted already: the work no allocator avoids),
 * "libiobmd" or "iokit" (iobmd through its C and
 * C++ libraries).  Throws failure when it cannot be used here (the
 * device is missing).
 */
std::unique_ptr<allocator> make_allocator(const std::string &name);

/* "libiobmd" or "iokit" (peers_lib.cpp: iobmd through its libraries), or null. */
std::unique_ptr<allocator> make_lib_allocator(const std::string &name);

/* /dev/iobmd, opened once. */
int iobmd_fd();

/* Issues one /dev/iobmd command after filling in @arg.size. */
template <typename Arg>
void iobmd_ioctl(unsigned long cmd, Arg &arg, const char *name);

void iobmd_ioctl_raw(unsigned long cmd, void *arg, const char *name);

template <typename Arg>
void iobmd_ioctl(unsigned long cmd, Arg &arg, const char *name)
{
	arg.size = sizeof(Arg);
	iobmd_ioctl_raw(cmd, &arg, name);
}

/* IOBMD_RELEASE of @handle. */
void iobmd_release(std::uint32_t handle) noexcept;

} // namespace iobmd_bench

#endif

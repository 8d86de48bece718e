// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W6: what a user of dma-bufs does.  Allocate memory as a
 * dma-buf, mmap the dma-buf, store once in every page, munmap, close
 * everything; at 4 KiB, 2 MiB and 64 MiB.
 *
 *   iobmd         IOBMD_BUF_CREATE with IOBMD_BUF_CREATE_DMABUF (one
 *                 call, as the heap's: a buffer with a dma-buf and no
 *                 handle), mmap of the dma-buf, touch, munmap, close
 *   iobmd-export  IOBMD_BUF_CREATE, IOBMD_EXPORT_DMABUF (O_RDWR |
 *                 O_CLOEXEC), mmap, touch, munmap, close of the dma-buf
 *                 and IOBMD_RELEASE of the handle: exporting a
 *                 descriptor the program already has
 *   dma-heap      DMA_HEAP_IOCTL_ALLOC on /dev/dma_heap/system (the
 *                 dma-buf comes with the memory), mmap, touch, munmap,
 *                 close
 *
 * Phases: alloc (the allocating call), export (iobmd-export only), map,
 * touch, unmap and close (closing the dma-buf and, for iobmd-export,
 * releasing the handle: the memory goes with the last of them).  The
 * peers take turns, one sample each per round.
 */
#include <cerrno>
#include <string>
#include <vector>

#include <fcntl.h>
#include <linux/dma-heap.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.hpp"
#include "iobmd.h"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

const char *const kPeers[] = { "iobmd", "iobmd-export", "dma-heap" };
const std::uint64_t kSizes[] = { 4 * KiB, 2 * MiB, 64 * MiB };

/* An iobmd handle, released on destruction. */
class handle_owner {
public:
	handle_owner() = default;
	handle_owner(const handle_owner &) = delete;
	handle_owner &operator=(const handle_owner &) = delete;
	~handle_owner() { reset(); }

	void set(std::uint32_t handle) noexcept { handle_ = handle; }
	void reset() noexcept
	{
		if (handle_)
			iobmd_release(handle_);
		handle_ = 0;
	}
	std::uint32_t get() const noexcept { return handle_; }

private:
	std::uint32_t handle_ = 0;
};

/* One user's round with a dma-buf from @peer; @heap is the heap's device. */
void cycle(const std::string &peer, int heap, std::size_t size, result *r)
{
	const bool iobmd = peer == "iobmd-export";
	long f0 = minor_faults();
	std::int64_t t0 = now_ns(), t1, t2;
	handle_owner handle;
	unique_fd buf;

	if (peer == "iobmd") {
		struct iobmd_buf_create c = {};

		c.flags = IOBMD_BUF_CREATE_DMABUF;
		c.options = IOBMD_DIRECTION_INOUT;
		c.capacity = size;
		c.fd_flags = O_RDWR | O_CLOEXEC;
		iobmd_ioctl(IOBMD_BUF_CREATE, c, "IOBMD_BUF_CREATE (dma-buf)");
		buf = unique_fd(int(c.fd));
		t1 = t2 = now_ns();
	} else if (iobmd) {
		struct iobmd_buf_create c = {};
		struct iobmd_export_dmabuf e = {};

		c.options = IOBMD_DIRECTION_INOUT;
		c.capacity = size;
		iobmd_ioctl(IOBMD_BUF_CREATE, c, "IOBMD_BUF_CREATE");
		handle.set(c.handle);
		t1 = now_ns();
		e.handle = c.handle;
		e.fd_flags = O_RDWR | O_CLOEXEC;
		iobmd_ioctl(IOBMD_EXPORT_DMABUF, e, "IOBMD_EXPORT_DMABUF");
		buf = unique_fd(int(e.fd));
		t2 = now_ns();
	} else {
		struct dma_heap_allocation_data a = {};

		a.len = size;
		a.fd_flags = O_RDWR | O_CLOEXEC;
		if (::ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &a) != 0)
			fail_errno("DMA_HEAP_IOCTL_ALLOC");
		buf = unique_fd(int(a.fd));
		t1 = t2 = now_ns();
	}

	mapping m = map_shared(buf.get(), size, 0, "mmap dma-buf");
	std::int64_t t3 = now_ns();
	touch_pages(m);
	std::int64_t t4 = now_ns();
	m.reset();
	std::int64_t t5 = now_ns();
	buf.reset();
	handle.reset();
	std::int64_t t6 = now_ns();

	if (!r)
		return;
	r->samples.push_back(double(t6 - t0));
	r->phases["alloc"].push_back(double(t1 - t0));
	if (iobmd)
		r->phases["export"].push_back(double(t2 - t1));
	r->phases["map"].push_back(double(t3 - t2));
	r->phases["touch"].push_back(double(t4 - t3));
	r->phases["unmap"].push_back(double(t5 - t4));
	r->phases["close"].push_back(double(t6 - t5));
	r->extra["faults"] += double(minor_faults() - f0);
}

} // namespace

void run_w6_dmabuf(const run_config &cfg, result_store &store)
{
	unique_fd heap;
	std::string heap_missing;

	if (cfg.wants("iobmd") || cfg.wants("iobmd-export"))
		iobmd_fd();
	if (cfg.wants("dma-heap")) {
		heap = unique_fd(::open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC));
		if (!heap)
			heap_missing = failure("open /dev/dma_heap/system", errno).what();
	}

	for (std::uint64_t size : kSizes) {
		std::vector<result *> rs;

		if (cfg.size && cfg.size != size)
			continue;
		for (const char *peer : kPeers) {
			if (!cfg.wants(peer))
				continue;
			result &r = store.add("w6", "alloc_export_map_touch_close", peer, size);

			rs.push_back(&r);
			if (r.peer == "dma-heap" && !heap_missing.empty()) {
				r.unavailable = heap_missing;
				continue;
			}
			try {
				cycle(r.peer, heap.get(), size, nullptr);	/* warm-up */
			} catch (const failure &f) {
				r.unavailable = f.what();
			}
		}
		for (unsigned rep = 0; rep < cfg.reps(size); rep++) {
			for (std::size_t k = 0; k < rs.size(); k++) {
				result *r = rs[(k + rep) % rs.size()];

				if (!r->unavailable.empty())
					continue;
				try {
					cycle(r->peer, heap.get(), size, r);
				} catch (const failure &f) {
					r->unavailable = f.what();
				}
			}
		}
		for (result *r : rs)
			finish_sized_case(*r);
	}
}

} // namespace iobmd_bench

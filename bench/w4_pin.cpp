// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W4: describing and preparing 64 MiB of this process's memory
 * for DMA, against io_uring buffer registration of the same range.
 *
 *   iobmd     IOBMD_GENERAL_CREATE (withAddressRange), IOBMD_PREPARE (pin
 *             with FOLL_LONGTERM, DMA-map on the module's device),
 *             IOBMD_COMPLETE, IOBMD_RELEASE
 *   io_uring  IORING_REGISTER_BUFFERS (pin with FOLL_LONGTERM), then
 *             IORING_UNREGISTER_BUFFERS, on a ring made beforehand
 *
 * The memory is anonymous and written once before the first sample.  Op
 * "pin" uses it as the system gives it (transparent huge pages where the
 * system has them on); op "pin-4k" the same with MADV_NOHUGEPAGE, written
 * even pages first, so that no two neighbours are physically adjacent.
 */
#include <string>
#include <vector>

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.hpp"
#include "iobmd.h"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

constexpr std::size_t kSize = 64 * MiB;

unique_fd ring_setup()
{
	struct io_uring_params p = {};
	long fd = ::syscall(__NR_io_uring_setup, 4, &p);

	if (fd < 0)
		fail_errno("io_uring_setup");
	return unique_fd(int(fd));
}

void sample_iobmd(const mapping &m, result &r)
{
	struct iobmd_range range = {};
	struct iobmd_general_create g = {};
	struct iobmd_prepare p = {};
	std::int64_t t0, t1, t2, t3, t4;

	range.address = reinterpret_cast<std::uintptr_t>(m.data());
	range.length = m.size();
	g.options = IOBMD_DIRECTION_INOUT;
	g.ranges = reinterpret_cast<std::uintptr_t>(&range);
	g.count = 1;

	t0 = now_ns();
	iobmd_ioctl(IOBMD_GENERAL_CREATE, g, "IOBMD_GENERAL_CREATE");
	t1 = now_ns();
	p.handle = g.handle;
	try {
		iobmd_ioctl(IOBMD_PREPARE, p, "IOBMD_PREPARE");
	} catch (...) {
		iobmd_release(g.handle);
		throw;
	}
	t2 = now_ns();
	p = {};
	p.handle = g.handle;
	iobmd_ioctl(IOBMD_COMPLETE, p, "IOBMD_COMPLETE");
	t3 = now_ns();
	iobmd_release(g.handle);
	t4 = now_ns();

	r.samples.push_back(double(t4 - t0));
	r.phases["create"].push_back(double(t1 - t0));
	r.phases["prepare"].push_back(double(t2 - t1));
	r.phases["complete"].push_back(double(t3 - t2));
	r.phases["release"].push_back(double(t4 - t3));
}

void sample_uring(int ring, const mapping &m, result &r)
{
	struct iovec iov = { m.data(), m.size() };
	std::int64_t t0, t1, t2;

	t0 = now_ns();
	if (::syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1) != 0)
		fail_errno("IORING_REGISTER_BUFFERS");
	t1 = now_ns();
	if (::syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, nullptr, 0) != 0)
		fail_errno("IORING_UNREGISTER_BUFFERS");
	t2 = now_ns();

	r.samples.push_back(double(t2 - t0));
	r.phases["register"].push_back(double(t1 - t0));
	r.phases["unregister"].push_back(double(t2 - t1));
}

mapping user_memory(bool small_pages)
{
	void *p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));

	if (p == MAP_FAILED)
		fail_errno("mmap anonymous");
	mapping m(p, kSize);
	if (!small_pages) {
		touch_pages(m);
		return m;
	}
	if (::madvise(p, kSize, MADV_NOHUGEPAGE) != 0)
		fail_errno("MADV_NOHUGEPAGE");
	/*
	 * Even pages, then odd ones: no page is physically next to its
	 * neighbour, whatever ran before, so every pinner sees 16384 runs.
	 */
	for (std::size_t first : { std::size_t(0), page })
		for (std::size_t off = first; off < kSize; off += 2 * page)
			static_cast<volatile unsigned char *>(p)[off] = 1;
	return m;
}

} // namespace

void run_w4_pin(const run_config &cfg, result_store &store)
{
	unique_fd ring;
	std::string no_ring;

	try {
		ring = ring_setup();
	} catch (const failure &f) {
		no_ring = f.what();
	}

	for (const char *op : { "pin", "pin-4k" }) {
		if (!cfg.wants_op(op))
			continue;
		mapping m = user_memory(std::string(op) == "pin-4k");
		/* A peer left out (--peer) is measured into a result not stored. */
		result skip_i, skip_u;
		result &ri = cfg.wants("iobmd") ? store.add("w4", op, "iobmd", kSize) : skip_i;
		result &ru = cfg.wants("io_uring") ? store.add("w4", op, "io_uring", kSize) : skip_u;

		skip_i.unavailable = skip_u.unavailable = "not selected";
		if (ru.unavailable.empty())
			ru.unavailable = no_ring;
		auto run = [&](result &r, bool record) {
			result warm;

			if (!r.unavailable.empty())
				return;
			try {
				if (&r == &ri)
					sample_iobmd(m, record ? r : warm);
				else
					sample_uring(ring.get(), m, record ? r : warm);
			} catch (const failure &f) {
				r.unavailable = f.what();
			}
		};
		run(ri, false);		/* warm-up */
		run(ru, false);
		for (unsigned s = 0; s < cfg.count(cfg.w4_samples); s++) {
			/* Alternate which goes first. */
			run(s % 2 ? ru : ri, true);
			run(s % 2 ? ri : ru, true);
		}
		for (result *r : { &ri, &ru }) {
			if (r == &skip_i || r == &skip_u)
				continue;
			if (!r->unavailable.empty()) {
				r->samples.clear();
				progress("w4 %-6s %-8s: unavailable: %s", op, r->peer.c_str(),
					 r->unavailable.c_str());
				continue;
			}
			summary s = r->stats();
			progress("w4 %-6s %-8s 64 MiB: median %9.1f us (min %.1f, max %.1f)",
				 op, r->peer.c_str(), s.median / 1e3, s.min / 1e3, s.max / 1e3);
		}
	}
}

} // namespace iobmd_bench

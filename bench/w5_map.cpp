// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W5: mapping a 512 MiB buffer that exists already.  Each
 * allocator's buffer is made once, untimed; each sample maps it anew
 * (phase mmap: the mmap call, with IOBMD_MAP for iobmd), stores once in
 * every page (phase pass) and unmaps it (phase munmap, reported but not
 * part of the sample).  A sample is mmap + pass.
 */
#include <memory>
#include <string>
#include <vector>

#include "bench.hpp"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

const char *const kPeers[] = { "iobmd", "dma-heap", "udmabuf" };
constexpr std::size_t kSize = 512 * MiB;

void sample(buffer &b, result *r)
{
	long f0 = minor_faults();
	std::int64_t t0 = now_ns();
	auto m = b.map();
	std::int64_t t1 = now_ns();

	touch_pages(m);
	std::int64_t t2 = now_ns();
	m.reset();
	std::int64_t t3 = now_ns();

	if (!r)
		return;
	r->samples.push_back(double(t2 - t0));
	r->phases["mmap"].push_back(double(t1 - t0));
	r->phases["pass"].push_back(double(t2 - t1));
	r->phases["munmap"].push_back(double(t3 - t2));
	r->extra["faults"] += double(minor_faults() - f0);
}

} // namespace

void run_w5_map(const run_config &cfg, result_store &store)
{
	std::vector<std::unique_ptr<allocator>> peers;
	std::vector<std::unique_ptr<buffer>> bufs;
	std::vector<result *> rs;

	for (const char *name : kPeers) {
		if (!cfg.wants(name))
			continue;
		result &r = store.add("w5", "map_pass", name, kSize);

		rs.push_back(&r);
		peers.push_back(nullptr);
		bufs.push_back(nullptr);
		try {
			peers.back() = make_allocator(name);
			bufs.back() = peers.back()->allocate(kSize);
			sample(*bufs.back(), nullptr);	/* warm-up */
		} catch (const failure &f) {
			r.unavailable = f.what();
			bufs.back().reset();
		}
	}
	for (unsigned rep = 0; rep < cfg.reps(kSize); rep++) {
		for (std::size_t k = 0; k < rs.size(); k++) {
			std::size_t i = (k + rep) % rs.size();

			if (!bufs[i] || !rs[i]->unavailable.empty())
				continue;
			try {
				sample(*bufs[i], rs[i]);
			} catch (const failure &f) {
				rs[i]->unavailable = f.what();
			}
		}
	}
	for (result *r : rs) {
		if (!r->unavailable.empty()) {
			r->samples.clear();
			r->phases.clear();
			progress("w5 %-10s: unavailable: %s", r->peer.c_str(),
				 r->unavailable.c_str());
			continue;
		}
		r->extra["faults"] /= double(r->samples.size());
		summary s = r->stats();
		progress("w5 %-10s 512 MiB: mmap + pass median %10.1f us (min %.1f, max %.1f)",
			 r->peer.c_str(), s.median / 1e3, s.min / 1e3, s.max / 1e3);
	}
}

} // namespace iobmd_bench

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W2: the rate of small buffers: create a 4 KiB buffer, map
 * it, unmap it and release it, cfg.w2_ops times per sample, nothing
 * timed inside the loop.  A sample is the mean time of one round.
 * "libiobmd" and "iokit" make the same calls through the C core and the
 * IOKit C++ layer: what the libraries add to each.
 */
#include <memory>
#include <string>
#include <vector>

#include "bench.hpp"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

const char *const kPeers[] = { "iobmd", "dma-heap", "udmabuf", "anon", "libiobmd",
			       "iokit" };
constexpr std::size_t kSize = 4 * KiB;

void rounds(allocator &a, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		auto buf = a.allocate(kSize);
		auto m = buf->map();
	}
}

} // namespace

void run_w2_rate(const run_config &cfg, result_store &store)
{
	std::vector<std::unique_ptr<allocator>> peers;
	std::vector<result *> rs;
	unsigned ops = cfg.quick ? cfg.w2_ops / 5 : cfg.w2_ops;

	for (const char *name : kPeers) {
		if (!cfg.wants(name))
			continue;
		result &r = store.add("w2", "create_map_release", name, kSize);

		r.ops_per_sample = ops;
		rs.push_back(&r);
		try {
			peers.push_back(make_allocator(name));
			rounds(*peers.back(), ops / 10);	/* warm-up */
		} catch (const failure &f) {
			r.unavailable = f.what();
			if (peers.size() < rs.size())
				peers.push_back(nullptr);
		}
	}
	for (unsigned s = 0; s < cfg.count(cfg.w2_samples); s++) {
		for (std::size_t k = 0; k < peers.size(); k++) {
			std::size_t i = (k + s) % peers.size();

			if (!peers[i] || !rs[i]->unavailable.empty())
				continue;
			try {
				std::int64_t t0 = now_ns();

				rounds(*peers[i], ops);
				rs[i]->samples.push_back(double(now_ns() - t0) / ops);
			} catch (const failure &f) {
				rs[i]->unavailable = f.what();
			}
		}
	}
	for (result *r : rs) {
		if (!r->unavailable.empty()) {
			r->samples.clear();
			progress("w2 %-12s: unavailable: %s", r->peer.c_str(),
				 r->unavailable.c_str());
			continue;
		}
		summary s = r->stats();
		progress("w2 %-12s: median %8.2f us per buffer (%.0f per second)",
			 r->peer.c_str(), s.median / 1e3, 1e9 / s.median);
	}
}

} // namespace iobmd_bench

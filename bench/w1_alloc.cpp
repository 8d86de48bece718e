// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W1: allocate, map, touch every page once, release; for each
 * size and allocator.  The phases are timed apart: alloc (the allocating
 * call), map (the mmap and, for iobmd, IOBMD_MAP), touch (one store per
 * page), unmap (munmap) and free (IOBMD_RELEASE, or closing the dma-buf;
 * anonymous memory is freed by its munmap).  Repetitions go
 * round the allocators in turn, so that drift in the guest hits all alike.
 */
#include <memory>
#include <string>
#include <vector>

#include "bench.hpp"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

const char *const kPeers[] = {
	"iobmd", "iobmd-mask32", "dma-heap", "udmabuf", "anon", "anon-4k",
	"zero-floor",
};

const std::uint64_t kSizes[] = {
	4 * KiB, 64 * KiB, 2 * MiB, 64 * MiB, 512 * MiB,
};

/* One allocate/map/touch/release; adds the sample to @r when recording. */
void cycle(allocator &a, std::size_t size, result *r)
{
	long f0 = minor_faults();
	std::int64_t t0 = now_ns();
	auto buf = a.allocate(size);
	std::int64_t t1 = now_ns();
	auto m = buf->map();
	std::int64_t t2 = now_ns();

	touch_pages(m);
	std::int64_t t3 = now_ns();
	m.reset();
	std::int64_t t4 = now_ns();
	buf.reset();
	std::int64_t t5 = now_ns();

	if (!r)
		return;
	r->samples.push_back(double(t5 - t0));
	r->phases["alloc"].push_back(double(t1 - t0));
	r->phases["map"].push_back(double(t2 - t1));
	r->phases["touch"].push_back(double(t3 - t2));
	r->phases["unmap"].push_back(double(t4 - t3));
	r->phases["free"].push_back(double(t5 - t4));
	r->extra["faults"] += double(minor_faults() - f0);
}

} // namespace

void run_alloc_cycles(const run_config &cfg, result_store &store, const char *workload,
		      const std::vector<std::string> &names,
		      const std::vector<std::uint64_t> &sizes)
{
	std::vector<std::unique_ptr<allocator>> peers;
	std::vector<std::string> missing;

	for (const std::string &name : names) {
		if (!cfg.wants(name)) {
			peers.push_back(nullptr);
			missing.emplace_back("not selected");
			continue;
		}
		try {
			peers.push_back(make_allocator(name));
			missing.emplace_back();
		} catch (const failure &f) {
			peers.push_back(nullptr);
			missing.emplace_back(f.what());
		}
	}

	for (std::uint64_t size : sizes) {
		unsigned reps = cfg.reps(size);
		std::vector<result *> rs;

		if (cfg.size && cfg.size != size)
			continue;
		for (std::size_t i = 0; i < peers.size(); i++) {
			if (!cfg.wants(names[i])) {
				rs.push_back(nullptr);
				continue;
			}
			result &r = store.add(workload, "alloc_map_touch_free", names[i], size);

			r.unavailable = missing[i];
			rs.push_back(&r);
			if (!peers[i])
				continue;
			try {
				cycle(*peers[i], size, nullptr);	/* warm-up */
			} catch (const failure &f) {
				r.unavailable = f.what();
			}
		}
		for (unsigned rep = 0; rep < reps; rep++) {
			for (std::size_t k = 0; k < peers.size(); k++) {
				std::size_t i = (k + rep) % peers.size();

				if (!peers[i] || !rs[i] || !rs[i]->unavailable.empty())
					continue;
				try {
					cycle(*peers[i], size, rs[i]);
				} catch (const failure &f) {
					rs[i]->unavailable = f.what();
				}
			}
		}
		for (result *r : rs)
			if (r)
				finish_sized_case(*r);
	}
}

void run_w1_alloc(const run_config &cfg, result_store &store)
{
	run_alloc_cycles(cfg, store, "w1", { std::begin(kPeers), std::end(kPeers) },
			 { std::begin(kSizes), std::end(kSizes) });
}

} // namespace iobmd_bench

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench - iobmd against the kernel's other ways of handing memory to
 * a process, measured as ratios inside one run.
 *
 *   W1  allocate + mmap + first touch of every page + release, 4 KiB to
 *       512 MiB: iobmd (and with the 32-bit physical mask), the system
 *       dma-buf heap, udmabuf over a memfd, anonymous memory, and the
 *       zeroing floor (clearing the same bytes of memory mapped already)
 *   W2  the rate of 4 KiB create/map/release rounds
 *   W3  IOBMD_READ / IOBMD_WRITE / IOBMD_APPEND against memcpy
 *   W4  describing and preparing 64 MiB of user memory against io_uring
 *       buffer registration
 *   W5  mmap of an existing 512 MiB buffer and one pass over it
 *   W6  allocate + export a dma-buf + mmap it + touch every page + close,
 *       4 KiB to 64 MiB: iobmd against the system dma-buf heap
 *   W7  W1's round for physically contiguous memory below 4 GiB at 2, 64
 *       and 256 MiB, against iobmd's and the heaps' pages
 *   W8  10^3, 10^4 and 10^5 descriptors created, dumped over generic
 *       netlink and released: the cost of one as there are more
 *   W9  4 KiB create/release rounds in one process, and in two at once
 *
 * Usage: iobmd_bench [--quick] [--samples N] [--only wN] [--peer NAME]
 *                    [--size BYTES] [--variant NAME] [--json FILE]
 *                    [--no-print]
 *
 * --quick runs a fifth of the repetitions, --samples N takes N samples of
 * every case; --only, --peer and --size run part of it (one workload; one
 * peer in W1, W2, W4 to W7; one W1, W6 or W7 size), e.g. under a profiler.
 * --variant names how the guest was booted when not as usual (bench.sh
 * runs W1 again with "init_on_alloc=0", anonymous memory's fair floor):
 * the names of its results and ratios carry it, and it picks the targets.
 *
 * Prints progress, then the results as JSON between the lines
 * "@@BENCH@@ json-begin" and "@@BENCH@@ json-end" (unless --no-print), and
 * writes them to FILE with --json.  The JSON holds the kernel and guest,
 * every case's samples (nanoseconds per operation), median, quartiles,
 * minimum and maximum and per-phase split, every iobmd/peer ratio, and the
 * targets with their limits and whether each was met.  A ratio is iobmd's
 * median over the peer's; "paired" also gives the median, minimum and
 * maximum of the ratios within each round (the peers take turns, one
 * sample each per round), which host load drifting during the run
 * disturbs less.  Met or missed is decided on the ratio of medians.  Runs as root with
 * iobmd.ko loaded.  Exits 0 when every iobmd case ran (peers that are
 * missing are reported, not fatal), 1 otherwise, 2 on bad usage.
 */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.hpp"
#include "iobmd.h"
#include "json.hpp"
#include "peers.hpp"

using namespace iobmd_bench;

namespace {

/* A ratio iobmd / peer over the medians; lower is better for iobmd. */
struct ratio_spec {
	const char *workload;
	const char *op;		/* the subject's op */
	const char *peer_op;	/* the peer's op (usually the same) */
	std::uint64_t size;
	const char *subject;
	const char *peer;
	double limit;		/* the target, or 0 for none */
	const char *text;
};

/*
 * The variant of the guest's boot this run is ("" as usual), set from
 * --variant: it is appended to every result's and ratio's names.
 */
std::string g_variant;

std::string labelled(const std::string &name)
{
	return g_variant.empty() ? name : name + " [" + g_variant + "]";
}

/*
 * The targets (limit > 0) and the other ratios worth tabulating.  W1's
 * floor is anonymous memory booted with init_on_alloc=0: booted as
 * usual, a transparent huge page is cleared twice (by the page allocator
 * and again by the fault), which iobmd's and the heap's pages are not.
 */
std::vector<ratio_spec> ratio_specs(const run_config &cfg)
{
	std::vector<ratio_spec> v;
	const std::uint64_t w1_sizes[] = { 4 * KiB, 64 * KiB, 2 * MiB, 64 * MiB, 512 * MiB };
	const bool usual = cfg.variant.empty();
	const bool fair_anon = cfg.variant == "init_on_alloc=0";

	for (std::uint64_t size : w1_sizes) {
		bool big = size >= 64 * MiB;

		for (const char *subject : { "iobmd", "iobmd-mask32" }) {
			bool main = big && std::strcmp(subject, "iobmd") == 0;

			v.push_back({ "w1", "alloc_map_touch_free", "alloc_map_touch_free", size,
				      subject, "dma-heap", main && usual ? 0.6 : 0,
				      "allocate + mmap + touch + release" });
			v.push_back({ "w1", "alloc_map_touch_free", "alloc_map_touch_free", size,
				      subject, "anon", main && fair_anon ? 1.0 : 0,
				      "allocate + mmap + touch + release" });
			v.push_back({ "w1", "alloc_map_touch_free", "alloc_map_touch_free", size,
				      subject, "zero-floor", main && usual ? 1.3 : 0,
				      "allocate + mmap + touch + release, against clearing the bytes" });
			v.push_back({ "w1", "alloc_map_touch_free", "alloc_map_touch_free", size,
				      subject, "udmabuf", 0, "allocate + mmap + touch + release" });
			v.push_back({ "w1", "alloc_map_touch_free", "alloc_map_touch_free", size,
				      subject, "anon-4k", 0, "allocate + mmap + touch + release" });
		}
	}
	v.push_back({ "w2", "create_map_release", "create_map_release", 4 * KiB, "iobmd",
		      "dma-heap", 1.0, "4 KiB create/map/release, time per round" });
	v.push_back({ "w2", "create_map_release", "create_map_release", 4 * KiB, "iobmd",
		      "udmabuf", 0, "4 KiB create/map/release, time per round" });
	v.push_back({ "w2", "create_map_release", "create_map_release", 4 * KiB, "iobmd",
		      "anon", 0, "4 KiB create/map/release, time per round" });
	v.push_back({ "w2", "create_map_release", "create_map_release", 4 * KiB, "libiobmd",
		      "iobmd", 1.05, "the same through the C library, against raw commands" });
	v.push_back({ "w2", "create_map_release", "create_map_release", 4 * KiB, "iokit",
		      "iobmd", 1.1, "the same through the IOKit C++ library, against raw commands" });
	for (std::uint64_t size : { 4 * KiB, 1 * MiB }) {
		double lim = size == 1 * MiB ? 1.25 : 0;

		v.push_back({ "w3", "read", "read", size, "iobmd", "rep-movsb", 0,
			      "IOBMD_READ vs a rep movsb copy" });
		v.push_back({ "w3", "write", "write", size, "iobmd", "rep-movsb", 0,
			      "IOBMD_WRITE vs a rep movsb copy" });
		v.push_back({ "w3", "read", "read", size, "iobmd", "memcpy", lim,
			      "IOBMD_READ vs memcpy" });
		v.push_back({ "w3", "write", "write", size, "iobmd", "memcpy", lim,
			      "IOBMD_WRITE vs memcpy" });
		v.push_back({ "w3", "append", "write", size, "iobmd", "memcpy", lim,
			      "IOBMD_APPEND vs memcpy" });
	}
	v.push_back({ "w4", "pin", "pin", 64 * MiB, "iobmd", "io_uring", 0.8,
		      "describe + prepare + complete + release vs register + unregister, "
		      "on 2 MiB pages" });
	v.push_back({ "w4", "pin-4k", "pin-4k", 64 * MiB, "iobmd", "io_uring", 1.0,
		      "the same on 4 KiB pages (MADV_NOHUGEPAGE)" });
	v.push_back({ "w5", "map_pass", "map_pass", 512 * MiB, "iobmd", "dma-heap", 0.5,
		      "mmap + first pass of an existing buffer" });
	v.push_back({ "w5", "map_pass", "map_pass", 512 * MiB, "iobmd", "udmabuf", 0,
		      "mmap + first pass of an existing buffer" });
	for (std::uint64_t size : { 2 * MiB, 64 * MiB, 256 * MiB }) {
		const char *what = "contiguous below 4 GiB: allocate + mmap + touch + release";

		v.push_back({ "w7", "alloc_map_touch_free", "alloc_map_touch_free", size,
			      "iobmd-contig32", "iobmd", size == 64 * MiB ? 1.2 : 0, what });
		v.push_back({ "w7", "alloc_map_touch_free", "alloc_map_touch_free", size,
			      "iobmd-contig32", "dma-heap", 0, what });
		v.push_back({ "w7", "alloc_map_touch_free", "alloc_map_touch_free", size,
			      "iobmd-contig32", "cma-heap", 0, what });
	}
	v.push_back({ "w9", "create_release", "create_release", 4 * KiB, "2 processes",
		      "1 process", 0, "4 KiB create/release rounds, two processes at once" });
	for (const char *op : { "create", "dump", "release" })
		v.push_back({ "w8", op, op, 4 * KiB, "n=100000", "n=1000",
			      std::strcmp(op, "dump") == 0 ? 1.5 : 0,
			      "time per descriptor with 10^5 descriptors against 10^3" });
	for (std::uint64_t size : { 4 * KiB, 2 * MiB, 64 * MiB }) {
		v.push_back({ "w6", "alloc_export_map_touch_close",
			      "alloc_export_map_touch_close", size, "iobmd", "dma-heap", 1.0,
			      "allocate as a dma-buf (one call) + mmap + touch + close" });
		v.push_back({ "w6", "alloc_export_map_touch_close",
			      "alloc_export_map_touch_close", size, "iobmd-export", "dma-heap", 0,
			      "create + export a descriptor + mmap + touch + close" });
	}
	return v;
}

std::string read_line(const char *path)
{
	std::ifstream in(path);
	std::string s;

	std::getline(in, s);
	return s;
}

/* A field of the first CPU in /proc/cpuinfo. */
std::string cpuinfo(const char *field)
{
	std::ifstream in("/proc/cpuinfo");
	std::string line;

	while (std::getline(in, line))
		if (line.rfind(field, 0) == 0)
			return line.substr(line.find(':') + 2);
	return "";
}

/* Which of the CPU features that decide how memory is copied it has. */
std::string copy_features()
{
	std::istringstream flags(" " + cpuinfo("flags") + " ");
	std::string f, out;

	while (flags >> f)
		if (f == "erms" || f == "fsrm" || f == "avx2" || f == "avx512f" || f == "sse4_2")
			out += (out.empty() ? "" : " ") + f;
	return out;
}

void write_environment(json_writer &j)
{
	struct utsname u;
	struct sysinfo si;

	uname(&u);
	sysinfo(&si);
	j.begin_object("kernel")
		.value("release", u.release)
		.value("version", u.version)
		.value("machine", u.machine)
		.end_object();
	j.begin_object("guest")
		.value("ram_bytes", std::uint64_t(si.totalram) * si.mem_unit)
		.value("cpus", unsigned(get_nprocs()))
		.value("cpu_model", cpuinfo("model name"))
		.value("cpu_copy_features", copy_features())
		.value("page_size", std::uint64_t(sysconf(_SC_PAGESIZE)))
		.value("thp", read_line("/sys/kernel/mm/transparent_hugepage/enabled"))
		.value("clocksource",
		       read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource"))
		.value("cmdline", read_line("/proc/cmdline"))
		.end_object();

	struct iobmd_version ver = {};
	try {
		iobmd_ioctl(IOBMD_GET_VERSION, ver, "IOBMD_GET_VERSION");
		j.begin_object("module")
			.value("abi", std::to_string(ver.abi_major) + "." +
					      std::to_string(ver.abi_minor))
			.value("features", std::uint64_t(ver.features))
			.value("max_capacity", std::uint64_t(ver.max_capacity))
			.end_object();
	} catch (const failure &f) {
		j.value("module", std::string("unavailable: ") + f.what());
	}
}

void write_summary(json_writer &j, const char *key, const std::vector<double> &v)
{
	summary s = summarize(v);

	j.begin_object(key)
		.value("median", s.median)
		.value("q1", s.q1)
		.value("q3", s.q3)
		.value("min", s.min)
		.value("max", s.max)
		.numbers("samples", v)
		.end_object();
}

void write_results(json_writer &j, const result_store &store)
{
	j.begin_array("results");
	for (const result &r : store.all()) {
		j.begin_object()
			.value("workload", r.workload)
			.value("op", r.op)
			.value("peer", labelled(r.peer))
			.value("size", r.size)
			.value("unit", "ns per operation")
			.value("ops_per_sample", r.ops_per_sample);
		if (!r.unavailable.empty()) {
			j.value("unavailable", r.unavailable).end_object();
			continue;
		}
		write_summary(j, "time", r.samples);
		if (!r.phases.empty()) {
			j.begin_object("phases");
			for (const auto &[name, v] : r.phases)
				write_summary(j, name.c_str(), v);
			j.end_object();
		}
		for (const auto &[name, v] : r.extra)
			j.value(name.c_str(), v);
		j.end_object();
	}
	j.end_array();
}

struct ratio_result {
	const ratio_spec *spec = nullptr;
	bool ok = false;
	double ratio = 0, lo = 0, hi = 0;
	summary paired;		/* of the per-round ratios */
	std::string why;
};

ratio_result compute(const result_store &store, const ratio_spec &sp)
{
	ratio_result rr;
	const result *a = store.find(sp.workload, sp.op, sp.subject, sp.size);
	const result *b = store.find(sp.workload, sp.peer_op, sp.peer, sp.size);

	rr.spec = &sp;
	if (!a || !b) {
		rr.why = "not measured";
		return rr;
	}
	if (!a->unavailable.empty() || !b->unavailable.empty()) {
		rr.why = !a->unavailable.empty() ? a->peer + ": " + a->unavailable :
						   b->peer + ": " + b->unavailable;
		return rr;
	}
	summary sa = a->stats(), sb = b->stats();
	if (sa.median <= 0 || sb.median <= 0 || sb.q1 <= 0) {
		rr.why = "no samples";
		return rr;
	}
	rr.ok = true;
	rr.ratio = sa.median / sb.median;
	/* A conservative spread: the quartiles of each against the other's. */
	rr.lo = sa.q1 / sb.q3;
	rr.hi = sa.q3 / sb.q1;
	/*
	 * The workloads take one sample of each peer per round, one after the
	 * other: the ratio within a round cancels drift of the host's speed.
	 */
	std::vector<double> per_round;
	for (std::size_t i = 0; i < std::min(a->samples.size(), b->samples.size()); i++)
		per_round.push_back(a->samples[i] / b->samples[i]);
	rr.paired = summarize(per_round);
	return rr;
}

void write_ratio(json_writer &j, const ratio_result &rr)
{
	const ratio_spec &sp = *rr.spec;

	j.begin_object()
		.value("workload", sp.workload)
		.value("op", sp.op)
		.value("size", sp.size)
		.value("subject", labelled(sp.subject))
		.value("peer", labelled(sp.peer))
		.value("peer_op", sp.peer_op)
		.value("what", sp.text);
	if (rr.ok)
		j.value("ratio", rr.ratio, 3).value("ratio_q1q3_lo", rr.lo, 3)
			.value("ratio_q1q3_hi", rr.hi, 3)
			.begin_object("paired")
			.value("median", rr.paired.median, 3)
			.value("min", rr.paired.min, 3)
			.value("max", rr.paired.max, 3)
			.end_object();
	else
		j.null("ratio").value("unavailable", rr.why);
	if (sp.limit > 0) {
		j.value("limit", sp.limit, 2);
		if (rr.ok)
			j.value("met", rr.ratio <= sp.limit);
		else
			j.null("met");
	}
	j.end_object();
}

void usage()
{
	std::fprintf(stderr, "usage: iobmd_bench [--quick] [--samples N] "
			     "[--only w1|...|w9] [--peer NAME] [--size BYTES] "
			     "[--op pin|pin-4k] [--variant NAME] [--json FILE] [--no-print]\n");
}

} // namespace

int main(int argc, char **argv)
{
	run_config cfg;
	std::string json_path;
	bool print = true;

	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];

		if (a == "--quick") {
			cfg.quick = true;
		} else if (a == "--only" && i + 1 < argc) {
			cfg.only = argv[++i];
		} else if (a == "--samples" && i + 1 < argc) {
			cfg.samples = unsigned(std::strtoul(argv[++i], nullptr, 0));
		} else if (a == "--peer" && i + 1 < argc) {
			cfg.peer = argv[++i];
		} else if (a == "--size" && i + 1 < argc) {
			cfg.size = std::strtoull(argv[++i], nullptr, 0);
		} else if (a == "--op" && i + 1 < argc) {
			cfg.op = argv[++i];
		} else if (a == "--variant" && i + 1 < argc) {
			cfg.variant = argv[++i];
		} else if (a == "--json" && i + 1 < argc) {
			json_path = argv[++i];
		} else if (a == "--no-print") {
			print = false;
		} else {
			usage();
			return 2;
		}
	}

	struct workload {
		const char *id;
		void (*run)(const run_config &, result_store &);
	};
	const workload workloads[] = {
		{ "w1", run_w1_alloc }, { "w2", run_w2_rate }, { "w3", run_w3_copy },
		{ "w4", run_w4_pin }, { "w5", run_w5_map }, { "w6", run_w6_dmabuf },
		{ "w7", run_w7_contig }, { "w8", run_w8_registry }, { "w9", run_w9_parallel },
	};
	result_store store;
	std::vector<std::pair<std::string, std::string>> errors;
	std::int64_t t0 = now_ns();

	for (const workload &w : workloads) {
		if (!cfg.only.empty() && cfg.only != w.id)
			continue;
		std::int64_t tw = now_ns();
		progress("=== %s", w.id);
		try {
			w.run(cfg, store);
		} catch (const failure &f) {
			progress("%s failed: %s", w.id, f.what());
			errors.emplace_back(w.id, f.what());
		}
		progress("=== %s took %.1f s", w.id, double(now_ns() - tw) / 1e9);
	}

	std::string out;
	json_writer j(out);
	std::vector<ratio_result> ratios;
	unsigned met = 0, missed = 0, na = 0;
	bool iobmd_ok = errors.empty();

	g_variant = cfg.variant;
	const std::vector<ratio_spec> specs = ratio_specs(cfg);

	for (const ratio_spec &sp : specs)
		if (cfg.only.empty() || cfg.only == sp.workload)
			ratios.push_back(compute(store, sp));
	for (const result &r : store.all())
		if (r.peer.rfind("iobmd", 0) == 0 && !r.unavailable.empty())
			iobmd_ok = false;

	j.begin_object()
		.value("schema", 1u)
		.value("program", "iobmd_bench")
		.value("quick", cfg.quick)
		.value("only", cfg.only.empty() ? "all" : cfg.only)
		.value("variant", cfg.variant)
		.value("seconds", double(now_ns() - t0) / 1e9, 1);
	write_environment(j);
	j.begin_array("errors");
	for (const auto &[id, what] : errors)
		j.begin_object().value("workload", id).value("error", what).end_object();
	j.end_array();
	write_results(j, store);
	j.begin_array("ratios");
	for (const ratio_result &rr : ratios)
		write_ratio(j, rr);
	j.end_array();
	j.begin_array("targets");
	for (const ratio_result &rr : ratios) {
		if (rr.spec->limit <= 0)
			continue;
		write_ratio(j, rr);
		if (!rr.ok)
			na++;
		else if (rr.ratio <= rr.spec->limit)
			met++;
		else
			missed++;
	}
	j.end_array();
	j.begin_object("target_summary")
		.value("met", met)
		.value("missed", missed)
		.value("unavailable", na)
		.end_object();
	j.end_object();

	if (!json_path.empty()) {
		std::ofstream f(json_path);

		f << out;
		if (!f.flush()) {
			std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
			return 1;
		}
	}
	if (print) {
		std::fputs("@@BENCH@@ json-begin\n", stdout);
		std::fputs(out.c_str(), stdout);
		std::fputs("@@BENCH@@ json-end\n", stdout);
	}
	progress("targets: %u met, %u missed, %u unavailable", met, missed, na);
	return iobmd_ok ? 0 : 1;
}

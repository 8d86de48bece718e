// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench: what every workload shares: errors, owners of file
 * descriptors and mappings, the clock, the sample store and its statistics.
 */
#ifndef IOBMD_BENCH_HPP
#define IOBMD_BENCH_HPP

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <time.h>

namespace iobmd_bench {

/* A failed step: what was being done and the errno it failed with (0: none). */
class failure : public std::exception {
public:
	explicit failure(std::string what, int err = 0);
	const char *what() const noexcept override { return msg_.c_str(); }
	int error() const noexcept { return err_; }

private:
	std::string msg_;
	int err_;
};

[[noreturn]] void fail_errno(const std::string &what);

/* Owns a file descriptor. */
class unique_fd {
public:
	unique_fd() = default;
	explicit unique_fd(int fd) noexcept : fd_(fd) {}
	unique_fd(unique_fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	unique_fd &operator=(unique_fd &&o) noexcept
	{
		if (this != &o) {
			reset();
			fd_ = std::exchange(o.fd_, -1);
		}
		return *this;
	}
	unique_fd(const unique_fd &) = delete;
	unique_fd &operator=(const unique_fd &) = delete;
	~unique_fd() { reset(); }

	int get() const noexcept { return fd_; }
	explicit operator bool() const noexcept { return fd_ >= 0; }
	void reset() noexcept;

private:
	int fd_ = -1;
};

/* A range of the address space; unmapped on destruction when owned. */
class mapping {
public:
	mapping() = default;
	mapping(void *addr, std::size_t len, bool owned = true) noexcept
		: addr_(addr), len_(len), owned_(owned) {}
	mapping(mapping &&o) noexcept
		: addr_(std::exchange(o.addr_, nullptr)), len_(std::exchange(o.len_, 0)),
		  owned_(std::exchange(o.owned_, false)) {}
	mapping &operator=(mapping &&o) noexcept
	{
		if (this != &o) {
			reset();
			addr_ = std::exchange(o.addr_, nullptr);
			len_ = std::exchange(o.len_, 0);
			owned_ = std::exchange(o.owned_, false);
		}
		return *this;
	}
	mapping(const mapping &) = delete;
	mapping &operator=(const mapping &) = delete;
	~mapping() { reset(); }

	unsigned char *data() const noexcept { return static_cast<unsigned char *>(addr_); }
	std::size_t size() const noexcept { return len_; }
	void reset() noexcept;

private:
	void *addr_ = nullptr;
	std::size_t len_ = 0;
	bool owned_ = false;
};

/* mmap(MAP_SHARED) of @len bytes of @fd at @offset, read and write. */
mapping map_shared(int fd, std::size_t len, std::uint64_t offset, const char *what);

/* CLOCK_MONOTONIC in nanoseconds. */
inline std::int64_t now_ns() noexcept
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/* One store in every page of @m: the first touch. */
void touch_pages(const mapping &m) noexcept;

/* Minor page faults this process has taken so far. */
long minor_faults() noexcept;

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

/* "4 KiB", "64 MiB". */
std::string size_name(std::uint64_t bytes);

/* Median, quartiles (linear interpolation), minimum and maximum. */
struct summary {
	double median = 0, q1 = 0, q3 = 0, min = 0, max = 0;
};
summary summarize(std::vector<double> v);

/*
 * One measured case: a workload's operation on one peer and size.  Each
 * sample is nanoseconds per operation; phases split a sample where the
 * workload times its steps separately.
 */
struct result {
	std::string workload;		/* "w1" .. "w6" */
	std::string op;			/* what was timed, e.g. "alloc_map_touch_free" */
	std::string peer;		/* "iobmd", "dma-heap", ... */
	std::uint64_t size = 0;		/* bytes per operation */
	std::uint64_t ops_per_sample = 1;
	std::vector<double> samples;
	std::map<std::string, std::vector<double>> phases;
	std::map<std::string, double> extra;	/* e.g. page faults per op */
	std::string unavailable;	/* why the peer could not run, else empty */

	summary stats() const { return summarize(samples); }
};

/*
 * Every result of the run, in the order the workloads made them.  A
 * reference from add() stays valid while more are added.
 */
class result_store {
public:
	result &add(std::string workload, std::string op, std::string peer,
		    std::uint64_t size);
	const result *find(const std::string &workload, const std::string &op,
			   const std::string &peer, std::uint64_t size) const;
	const std::deque<result> &all() const noexcept { return results_; }

private:
	std::deque<result> results_;
};

/* How many repetitions each workload runs; --quick lowers them. */
struct run_config {
	bool quick = false;
	unsigned reps(std::uint64_t size) const;	/* W1, W5, W6 samples */
	unsigned w2_ops = 10000;			/* create/release per sample */
	unsigned w2_samples = 5;
	unsigned w3_samples = 15;
	unsigned w4_samples = 11;
	std::string only;				/* run only this workload */
	std::string peer;				/* only this peer (W1, W2, W4-W6) */
	std::uint64_t size = 0;				/* W1, W6: only this size */
	std::string op;					/* W4: only this op */
	unsigned samples = 0;				/* if set, samples of every case */
	/*
	 * How the guest was booted when not as usual, e.g. "init_on_alloc=0":
	 * it names the run's results apart ("anon [init_on_alloc=0]") and
	 * picks the targets that hold only there.
	 */
	std::string variant;

	bool wants(const std::string &p) const { return peer.empty() || peer == p; }
	bool wants_op(const std::string &o) const { return op.empty() || op == o; }
	/* @n, or the --samples override. */
	unsigned count(unsigned n) const { return samples ? samples : n; }
};

/* Progress for the console: "w1 iobmd 64 MiB: 12.3 ms". */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A case of a workload by size (W1, W6) whose samples are all taken: an
 * unavailable one drops what it had, another's faults become per sample;
 * either way a line of progress.
 */
void finish_sized_case(result &r);

/* The workloads; each adds its results to @store. */
void run_w1_alloc(const run_config &cfg, result_store &store);
void run_w2_rate(const run_config &cfg, result_store &store);
void run_w3_copy(const run_config &cfg, result_store &store);
void run_w4_pin(const run_config &cfg, result_store &store);
void run_w5_map(const run_config &cfg, result_store &store);
void run_w6_dmabuf(const run_config &cfg, result_store &store);
void run_w7_contig(const run_config &cfg, result_store &store);
void run_w8_registry(const run_config &cfg, result_store &store);
void run_w9_parallel(const run_config &cfg, result_store &store);

/*
 * W1's rounds (allocate, map, touch, unmap, release) of each allocator
 * called in @names at each of @sizes, as results of @workload (W1, W7).
 */
void run_alloc_cycles(const run_config &cfg, result_store &store, const char *workload,
		      const std::vector<std::string> &names,
		      const std::vector<std::uint64_t> &sizes);

} // namespace iobmd_bench

#endif

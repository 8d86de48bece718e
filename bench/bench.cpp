// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench: the shared helpers of bench.hpp.
 */
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.hpp"

namespace iobmd_bench {

failure::failure(std::string what, int err) : msg_(std::move(what)), err_(err)
{
	if (err)
		msg_ += std::string(": ") + std::strerror(err);
}

void fail_errno(const std::string &what)
{
	throw failure(what, errno);
}

void unique_fd::reset() noexcept
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

void mapping::reset() noexcept
{
	if (owned_ && addr_)
		::munmap(addr_, len_);
	addr_ = nullptr;
	len_ = 0;
	owned_ = false;
}

mapping map_shared(int fd, std::size_t len, std::uint64_t offset, const char *what)
{
	void *p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset));

	if (p == MAP_FAILED)
		fail_errno(what);
	return mapping(p, len);
}

void touch_pages(const mapping &m) noexcept
{
	const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
	volatile unsigned char *p = m.data();

	for (std::size_t off = 0; off < m.size(); off += page)
		p[off] = 1;
}

long minor_faults() noexcept
{
	struct rusage ru;

	::getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

std::string size_name(std::uint64_t bytes)
{
	char buf[32];

	if (bytes >= MiB && bytes % MiB == 0)
		std::snprintf(buf, sizeof(buf), "%llu MiB", (unsigned long long)(bytes / MiB));
	else if (bytes >= KiB && bytes % KiB == 0)
		std::snprintf(buf, sizeof(buf), "%llu KiB", (unsigned long long)(bytes / KiB));
	else
		std::snprintf(buf, sizeof(buf), "%llu B", (unsigned long long)bytes);
	return buf;
}

/* The @p quantile of sorted @v, interpolating between neighbours. */
static double quantile(const std::vector<double> &v, double p)
{
	double pos = p * double(v.size() - 1);
	std::size_t lo = std::size_t(std::floor(pos));
	std::size_t hi = std::min(lo + 1, v.size() - 1);

	return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

summary summarize(std::vector<double> v)
{
	summary s;

	if (v.empty())
		return s;
	std::sort(v.begin(), v.end());
	s.median = quantile(v, 0.5);
	s.q1 = quantile(v, 0.25);
	s.q3 = quantile(v, 0.75);
	s.min = v.front();
	s.max = v.back();
	return s;
}

result &result_store::add(std::string workload, std::string op, std::string peer,
			  std::uint64_t size)
{
	result r;

	r.workload = std::move(workload);
	r.op = std::move(op);
	r.peer = std::move(peer);
	r.size = size;
	results_.push_back(std::move(r));
	return results_.back();
}

const result *result_store::find(const std::string &workload, const std::string &op,
				 const std::string &peer, std::uint64_t size) const
{
	for (const auto &r : results_)
		if (r.workload == workload && r.op == op && r.peer == peer && r.size == size)
			return &r;
	return nullptr;
}

unsigned run_config::reps(std::uint64_t size) const
{
	unsigned n;

	if (samples)
		return samples;
	if (size <= 64 * KiB)
		n = 51;
	else if (size <= 2 * MiB)
		n = 21;
	else if (size <= 64 * MiB)
		n = 15;
	else
		n = 7;
	return quick ? std::max(3u, n / 5) : n;
}

void progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	std::vfprintf(stdout, fmt, ap);
	va_end(ap);
	std::fputc('\n', stdout);
	std::fflush(stdout);
}

void finish_sized_case(result &r)
{
	if (!r.unavailable.empty()) {
		progress("%s %-12s %8s: unavailable: %s", r.workload.c_str(), r.peer.c_str(),
			 size_name(r.size).c_str(), r.unavailable.c_str());
		r.samples.clear();
		r.phases.clear();
		return;
	}
	r.extra["faults"] /= double(r.samples.size());
	summary s = r.stats();
	progress("%s %-12s %8s: median %10.1f us (min %.1f, max %.1f)", r.workload.c_str(),
		 r.peer.c_str(), size_name(r.size).c_str(), s.median / 1e3, s.min / 1e3,
		 s.max / 1e3);
}

} // namespace iobmd_bench

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W8: many descriptors at once.  n 4 KiB buffers are created
 * (one IOBMD_BUF_CREATE each), the module's registry is dumped over
 * generic netlink (iobmd::control::get_descs(), IOBMD_CMD_GET_DESCS) and
 * the buffers are released, for n = 10^3, 10^4 and 10^5.  Each phase is a
 * result of its own, in nanoseconds per descriptor ("n=1000" ... as the
 * peer), so that the ratio of n = 10^5 to n = 10^3 shows how the cost of
 * one descriptor grows with how many there are: 1.0 is linear.
 *
 * max_handles (65536 by default) is raised for the run and put back.
 */
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include <iobmd/control.hpp>

#include "iobmd.h"

#include "bench.hpp"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

const char *const kMaxHandles = "/sys/module/iobmd/parameters/max_handles";

/* Raises max_handles to at least @want for its life; puts it back. */
class handles_raised {
public:
	explicit handles_raised(unsigned long want)
	{
		std::ifstream in(kMaxHandles);

		if (!(in >> old_))
			throw failure(std::string("cannot read ") + kMaxHandles);
		if (old_ < want)
			write(want);
	}
	~handles_raised()
	{
		try {
			write(old_);
		} catch (const failure &) {
			/* Left raised: said by the progress line below. */
			progress("w8: max_handles left raised");
		}
	}
	handles_raised(const handles_raised &) = delete;
	handles_raised &operator=(const handles_raised &) = delete;

private:
	static void write(unsigned long v)
	{
		std::ofstream out(kMaxHandles);

		out << v << '\n';
		if (!out.flush())
			throw failure(std::string("cannot write ") + kMaxHandles);
	}
	unsigned long old_ = 0;
};

std::uint32_t create_small()
{
	struct iobmd_buf_create c = {};

	c.options = IOBMD_DIRECTION_INOUT;
	c.capacity = 4 * KiB;
	iobmd_ioctl(IOBMD_BUF_CREATE, c, "IOBMD_BUF_CREATE");
	return c.handle;
}

/* One sample at @n: create, dump, release; per descriptor into @rs. */
void sample(iobmd::control &ctl, unsigned n, result *rs[3])
{
	std::vector<std::uint32_t> handles;
	std::vector<iobmd::control_desc> descs;

	handles.reserve(n);
	std::int64_t t0 = now_ns();
	for (unsigned i = 0; i < n; i++)
		handles.push_back(create_small());
	std::int64_t t1 = now_ns();
	std::error_code ec = ctl.get_descs(descs);
	std::int64_t t2 = now_ns();
	if (ec)
		throw failure("IOBMD_CMD_GET_DESCS: " + ec.message());
	if (descs.size() < n)
		throw failure("the dump returned " + std::to_string(descs.size()) +
			      " descriptors of " + std::to_string(n));
	for (std::uint32_t h : handles)
		iobmd_release(h);
	std::int64_t t3 = now_ns();

	rs[0]->samples.push_back(double(t1 - t0) / n);
	rs[1]->samples.push_back(double(t2 - t1) / n);
	rs[2]->samples.push_back(double(t3 - t2) / n);
}

} // namespace

void run_w8_registry(const run_config &cfg, result_store &store)
{
	const unsigned ns[] = { 1000, 10000, 100000 };
	const char *const ops[] = { "create", "dump", "release" };
	iobmd::control ctl;
	std::error_code ec = ctl.open();

	for (unsigned n : ns) {
		std::string peer = "n=" + std::to_string(n);
		result *rs[3];

		for (unsigned k = 0; k < 3; k++) {
			rs[k] = &store.add("w8", ops[k], peer, 4 * KiB);
			if (ec)
				rs[k]->unavailable = "generic netlink: " + ec.message();
		}
		if (ec)
			continue;
		try {
			handles_raised raise(n + 16);

			sample(ctl, n, rs);	/* warm-up: its samples go */
			for (result *r : rs)
				r->samples.clear();
			for (unsigned s = 0; s < cfg.count(cfg.quick ? 1 : 3); s++)
				sample(ctl, n, rs);
		} catch (const failure &f) {
			for (result *r : rs)
				r->unavailable = f.what();
		}
		for (result *r : rs)
			if (r->unavailable.empty())
				progress("w8 %-8s %s: %.0f ns per descriptor", r->op.c_str(),
					 peer.c_str(), r->stats().median);
	}
}

} // namespace iobmd_bench

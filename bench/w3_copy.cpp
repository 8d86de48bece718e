// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W3: copying through the ioctls against memcpy in the same
 * process.  For each size, a sample is a batch of copies walking through
 * a buffer of kBatch * size bytes:
 *
 *   read    IOBMD_READ from the buffer at offset i * size into a user
 *           buffer of size bytes; memcpy: the same from a user buffer
 *   write   IOBMD_WRITE from the user buffer to offset i * size; memcpy:
 *           the same into a user buffer
 *   append  IOBMD_APPEND of the user buffer until the buffer is full (its
 *           length is set back to 0 between batches, untimed); compared
 *           with memcpy "write"
 *
 * Peer "rep-movsb" is memcpy done with the one instruction the kernel's
 * copy_to_user/copy_from_user use on CPUs with FSRM or ERMS, in this
 * process: it shows what the copy itself costs on this CPU (emulated CPUs
 * run it far slower than vector loads and stores), apart from the ioctl.
 *
 * Every buffer is touched before the first batch.
 */
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench.hpp"
#include "iobmd.h"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

struct size_case {
	std::size_t size;
	unsigned batch;		/* copies per sample */
};

const size_case kCases[] = { { 4 * KiB, 256 }, { 1 * MiB, 16 } };

/* Keeps a copy's destination alive for the compiler. */
inline void clobber(void *p)
{
	asm volatile("" : : "r"(p) : "memory");
}

class iobmd_target {
public:
	explicit iobmd_target(std::size_t capacity)
	{
		struct iobmd_buf_create c = {};

		c.options = IOBMD_DIRECTION_INOUT;
		c.capacity = capacity;
		iobmd_ioctl(IOBMD_BUF_CREATE, c, "IOBMD_BUF_CREATE");
		handle_ = c.handle;
	}
	~iobmd_target() { iobmd_release(handle_); }
	iobmd_target(const iobmd_target &) = delete;
	iobmd_target &operator=(const iobmd_target &) = delete;

	void rw(unsigned long cmd, std::uint64_t offset, void *buf, std::size_t len,
		const char *name)
	{
		struct iobmd_rw a = {};

		a.handle = handle_;
		a.offset = offset;
		a.buf = reinterpret_cast<std::uintptr_t>(buf);
		a.len = len;
		iobmd_ioctl(cmd, a, name);
		if (a.done != len)
			throw failure(std::string(name) + ": short copy");
	}
	void set_length(std::uint64_t len)
	{
		struct iobmd_set_arg a = {};

		a.handle = handle_;
		a.value = len;
		iobmd_ioctl(IOBMD_SET_LENGTH, a, "IOBMD_SET_LENGTH");
	}

private:
	std::uint32_t handle_ = 0;
};

enum class copy_kind { memcpy_in, memcpy_out, movsb_in, movsb_out, read, write, append };

inline void rep_movsb(void *dst, const void *src, std::size_t n)
{
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

copy_kind kind_of(const std::string &op, const std::string &peer)
{
	if (peer == "rep-movsb")
		return op == "read" ? copy_kind::movsb_out : copy_kind::movsb_in;
	if (peer == "memcpy")
		return op == "read" ? copy_kind::memcpy_out : copy_kind::memcpy_in;
	if (op == "read")
		return copy_kind::read;
	return op == "write" ? copy_kind::write : copy_kind::append;
}

/* One batch of copies of kind @k; returns nanoseconds per copy. */
double batch(copy_kind k, const size_case &c, iobmd_target &ib, unsigned char *big,
	     unsigned char *small)
{
	std::int64_t t0, t1;

	if (k == copy_kind::append)
		ib.set_length(0);
	t0 = now_ns();
	for (unsigned i = 0; i < c.batch; i++) {
		std::uint64_t off = std::uint64_t(i) * c.size;

		switch (k) {
		case copy_kind::memcpy_out:
			std::memcpy(small, big + off, c.size);
			clobber(small);
			break;
		case copy_kind::memcpy_in:
			std::memcpy(big + off, small, c.size);
			clobber(big);
			break;
		case copy_kind::movsb_out:
			rep_movsb(small, big + off, c.size);
			break;
		case copy_kind::movsb_in:
			rep_movsb(big + off, small, c.size);
			break;
		case copy_kind::read:
			ib.rw(IOBMD_READ, off, small, c.size, "IOBMD_READ");
			break;
		case copy_kind::write:
			ib.rw(IOBMD_WRITE, off, small, c.size, "IOBMD_WRITE");
			break;
		case copy_kind::append:
			ib.rw(IOBMD_APPEND, 0, small, c.size, "IOBMD_APPEND");
			break;
		}
	}
	t1 = now_ns();
	return double(t1 - t0) / c.batch;
}

} // namespace

void run_w3_copy(const run_config &cfg, result_store &store)
{
	static const char *const ops[][2] = {
		{ "read", "iobmd" }, { "read", "memcpy" }, { "read", "rep-movsb" },
		{ "write", "iobmd" }, { "write", "memcpy" }, { "write", "rep-movsb" },
		{ "append", "iobmd" },
	};

	for (const size_case &c : kCases) {
		std::size_t total = c.size * c.batch;
		iobmd_target ib(total);
		std::vector<unsigned char> big(total, 0x5a), small(c.size, 0xa5);
		std::vector<result *> rs;
		std::vector<copy_kind> kinds;

		for (const auto &o : ops) {
			result &r = store.add("w3", o[0], o[1], c.size);

			r.ops_per_sample = c.batch;
			rs.push_back(&r);
			kinds.push_back(kind_of(o[0], o[1]));
			batch(kinds.back(), c, ib, big.data(), small.data());	/* warm-up */
		}
		for (unsigned s = 0; s < cfg.count(cfg.w3_samples); s++)
			for (std::size_t k = 0; k < rs.size(); k++) {
				std::size_t i = (k + s) % rs.size();

				rs[i]->samples.push_back(batch(kinds[i], c, ib, big.data(),
							       small.data()));
			}
		for (result *r : rs) {
			summary s = r->stats();

			r->extra["mib_per_s"] = double(c.size) / MiB / (s.median / 1e9);
			progress("w3 %-6s %-9s %8s: median %9.2f us (%.0f MiB/s)",
				 r->op.c_str(), r->peer.c_str(), size_name(c.size).c_str(),
				 s.median / 1e3, r->extra["mib_per_s"]);
		}
	}
}

} // namespace iobmd_bench

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W9: two processes at once.  Each round creates a 4 KiB
 * buffer (IOBMD_BUF_CREATE) and releases it (IOBMD_RELEASE) on the
 * process's own /dev/iobmd file, W2's loop without the mapping.  A sample
 * is the mean time of a round: in one process alone ("1 process"), and in
 * each of two processes started together on the guest's two CPUs
 * ("2 processes", the slower one).  What is shared between files (the
 * registry of descriptors, the statistics, a user's account) is all that
 * the second process can slow the first with: 1.0 means nothing on the
 * way is serialised.
 *
 * QEMU's TCG runs the guest's CPUs one at a time unless bench.sh is given
 * a multi-threaded accelerator (IOBMD_QEMU_ACCEL=tcg,thread=multi): with
 * one thread, two processes cannot both run at once and the ratio is
 * about 2 whatever the module does.
 */
#include <cerrno>
#include <string>

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iobmd.h"
#include "bench.hpp"

namespace iobmd_bench {

namespace {

/* @n rounds on a file of its own; the mean time of one, or -errno. */
double rounds(unsigned n)
{
	int fd = ::open("/dev/iobmd", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	std::int64_t t0 = now_ns();
	for (unsigned i = 0; i < n; i++) {
		struct iobmd_buf_create c = {};
		struct iobmd_handle_arg r = {};

		c.size = sizeof(c);
		c.options = IOBMD_DIRECTION_INOUT;
		c.capacity = 4 * KiB;
		if (::ioctl(fd, IOBMD_BUF_CREATE, &c) != 0) {
			int err = errno;

			::close(fd);
			return -err;
		}
		r.size = sizeof(r);
		r.handle = c.handle;
		::ioctl(fd, IOBMD_RELEASE, &r);
	}
	double mean = double(now_ns() - t0) / n;

	::close(fd);
	return mean;
}

/*
 * @procs processes on CPUs 0, 1, ..., started together (each waits on a
 * pipe the parent closes); the slowest one's mean.
 */
double together(unsigned procs, unsigned n)
{
	int go[2], res[2];
	double worst = 0;

	if (::pipe(go) != 0 || ::pipe(res) != 0)
		fail_errno("pipe");
	for (unsigned p = 0; p < procs; p++) {
		pid_t pid = ::fork();

		if (pid < 0)
			fail_errno("fork");
		if (pid == 0) {
			cpu_set_t set;
			char c;

			CPU_ZERO(&set);
			CPU_SET(p, &set);
			::sched_setaffinity(0, sizeof(set), &set);
			::close(go[1]);
			(void)!::read(go[0], &c, 1);	/* until the parent closes it */
			double mean = rounds(n);
			(void)!::write(res[1], &mean, sizeof(mean));
			::_exit(0);
		}
	}
	::close(go[0]);
	::close(res[1]);
	::close(go[1]);
	for (unsigned p = 0; p < procs; p++) {
		double mean;

		if (::read(res[0], &mean, sizeof(mean)) != sizeof(mean))
			throw failure("a W9 process died");
		if (mean < 0) {
			errno = int(-mean);
			fail_errno("W9 IOBMD_BUF_CREATE");
		}
		worst = std::max(worst, mean);
	}
	::close(res[0]);
	while (::wait(nullptr) > 0)
		;
	return worst;
}

} // namespace

void run_w9_parallel(const run_config &cfg, result_store &store)
{
	const unsigned ops = cfg.quick ? 2000 : 10000;
	result &one = store.add("w9", "create_release", "1 process", 4 * KiB);
	result &two = store.add("w9", "create_release", "2 processes", 4 * KiB);

	one.ops_per_sample = two.ops_per_sample = ops;
	try {
		together(1, ops / 10);	/* warm-up */
		for (unsigned s = 0; s < cfg.count(cfg.w2_samples); s++) {
			one.samples.push_back(together(1, ops));
			two.samples.push_back(together(2, ops));
		}
	} catch (const failure &f) {
		one.unavailable = two.unavailable = f.what();
		one.samples.clear();
		two.samples.clear();
		return;
	}
	progress("w9: %.2f us per round alone, %.2f us with two processes at once",
		 one.stats().median / 1e3, two.stats().median / 1e3);
}

} // namespace iobmd_bench

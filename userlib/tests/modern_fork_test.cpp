// SPDX-License-Identifier: GPL-2.0
/*
 * The modern C++ face across fork(): the child's inherited device,
 * descriptors and guards answer ECHILD and leave the parent's alone; its
 * mappings are its own memory; it opens a device of its own.
 */
#include <span>

#include <sys/wait.h>

#include "modern_helpers.hpp"

namespace iobmd_modern_test {
namespace {

using modern_fork = modern;

/*
 * What the child checks, in order; it exits with the number of the first
 * that did not hold (0: all held), which the parent reports by name.
 */
const char *const child_checks[] = {
	"all held",
	"device.buffer() answers ECHILD",
	"descriptor.info() answers ECHILD",
	"descriptor.read() answers ECHILD",
	"descriptor.map() answers ECHILD",
	"prepared.complete() answers ECHILD",
	"descriptor.reset() answers ECHILD",
	"the inherited mapping shows the buffer's bytes",
	"writing through the inherited mapping works",
	"the child's own device makes a buffer",
};

int child(iobmd::device &dev, iobmd::descriptor &b, iobmd::prepared &g,
	  iobmd::mapping &m)
{
	const auto echild = err(std::errc::no_child_process);
	std::byte one{};

	if (dev.buffer(page_size()).error() != echild)
		return 1;
	if (b.info().error() != echild)
		return 2;
	if (b.read(0, &one, 1).error() != echild)
		return 3;
	if (b.map().error() != echild)
		return 4;
	if (g.complete().error() != echild)
		return 5;
	if (b.reset().error() != echild)
		return 6;
	if (m.bytes()[7] != std::byte{0x77})
		return 7;
	m.bytes()[8] = std::byte{0x88};
	if (!m.reset())
		return 8;
	auto mine = iobmd::device::open();
	if (!mine || !mine->buffer(page_size()))
		return 9;
	/* Closing the inherited device closes the child's copy only. */
	dev.reset();
	return 0;
}

TEST_F(modern_fork, child_gets_echild_and_leaves_the_parents)
{
	auto b = dev.buffer(page_size());
	ASSERT_TRUE(b);
	auto m = b->map();
	ASSERT_TRUE(m);
	m->bytes()[7] = std::byte{0x77};
	auto g = b->prepare();
	ASSERT_TRUE(g);
	iobmd_handle h = b->handle();

	pid_t pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child(dev, *b, *g, *m));
	int status = 0;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) << status;
	int first = WEXITSTATUS(status);
	ASSERT_LT(first, static_cast<int>(std::size(child_checks)));
	EXPECT_EQ(0, first) << "in the child, not so: " << child_checks[first];

	/* The parent's handle, guard, mapping and device are intact. */
	EXPECT_EQ(h, b->handle());
	EXPECT_TRUE(b->info());
	EXPECT_TRUE(*g);
	EXPECT_TRUE(g->complete());
	/* The child wrote through the shared mapping: the same memory. */
	EXPECT_EQ(std::byte{0x88}, m->bytes()[8]);
	EXPECT_TRUE(b->reset());
	EXPECT_EQ(-ENOENT, handle_state(dev.get(), h));
}

} // namespace
} // namespace iobmd_modern_test

// SPDX-License-Identifier: GPL-2.0
/*
 * The modern C++ face's owners: each is move-only, a move really hands
 * the resource over, and the resource goes back exactly once.
 */
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "modern_helpers.hpp"

namespace iobmd_modern_test {
namespace {

using iobmd::descriptor;
using iobmd::device;
using iobmd::mapping;
using iobmd::prepared;
using iobmd::owned_fd;

/* Movable without throwing, never copyable. */
template <class T>
constexpr bool move_only = std::is_nothrow_move_constructible_v<T> &&
	std::is_nothrow_move_assignable_v<T> &&
	!std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T>;
static_assert(move_only<device>);
static_assert(move_only<descriptor>);
static_assert(move_only<mapping>);
static_assert(move_only<prepared>);
static_assert(move_only<owned_fd>);
static_assert(std::is_nothrow_move_constructible_v<iobmd::result<descriptor>>);

using modern_owners = modern;

TEST_F(modern_owners, device_moves_and_closes_once)
{
	int fd = dev.fd();
	ASSERT_LE(0, fd);
	auto b = dev.buffer(page_size());
	ASSERT_TRUE(b) << b.error().message();

	device moved = std::move(dev);
	EXPECT_FALSE(dev);
	EXPECT_EQ(nullptr, dev.get());
	EXPECT_EQ(-EINVAL, dev.fd());
	EXPECT_EQ(err(std::errc::invalid_argument), dev.buffer(page_size()).error());
	EXPECT_EQ(fd, moved.fd());
	/* The descriptor made before the move still works. */
	EXPECT_TRUE(b->info());

	/* Assigning over an open device closes it. */
	auto other = device::open();
	ASSERT_TRUE(other);
	int other_fd = other->fd();
	*other = std::move(moved);
	EXPECT_EQ(EBADF, fd_state(other_fd));
	EXPECT_EQ(fd, other->fd());
	EXPECT_EQ(0, fd_state(fd));
	EXPECT_TRUE(b->reset());

	/* The emptied sources close nothing when they end. */
	dev.reset();
	moved.reset();
	EXPECT_EQ(0, fd_state(fd));
	other->reset();
	EXPECT_EQ(EBADF, fd_state(fd));
}

TEST_F(modern_owners, descriptor_moves_and_releases_once)
{
	auto made = dev.buffer(page_size());
	ASSERT_TRUE(made);
	iobmd_handle h = made->handle();
	ASSERT_NE(0u, h);

	descriptor kept;
	{
		descriptor first = std::move(made).value();
		EXPECT_EQ(0u, made->handle());
		kept = std::move(first);
		EXPECT_EQ(0u, first.handle());
		EXPECT_FALSE(first);
		/* An empty descriptor's reset does nothing and succeeds. */
		EXPECT_TRUE(first.reset());
	}
	/* The moved-from owners ended without releasing it. */
	EXPECT_EQ(h, kept.handle());
	EXPECT_EQ(0, handle_state(dev.get(), h));

	/* Assigning over a live descriptor releases its handle. */
	auto second = dev.buffer(page_size());
	ASSERT_TRUE(second);
	iobmd_handle h2 = second->handle();
	kept = std::move(second).value();
	EXPECT_EQ(-ENOENT, handle_state(dev.get(), h));
	EXPECT_EQ(h2, kept.handle());

	EXPECT_TRUE(kept.reset());
	EXPECT_EQ(-ENOENT, handle_state(dev.get(), h2));
	EXPECT_TRUE(kept.reset());

	/* release() gives the handle away: the owner no longer releases it. */
	iobmd_handle raw;
	{
		auto third = dev.buffer(page_size());
		ASSERT_TRUE(third);
		raw = third->release();
		EXPECT_FALSE(*third);
	}
	EXPECT_EQ(0, handle_state(dev.get(), raw));
	EXPECT_EQ(0, iobmd_release(dev.get(), raw));
}

TEST_F(modern_owners, mapping_moves_and_unmaps_once)
{
	const std::uint64_t len = 2 * page_size();
	auto b = dev.buffer(len);
	ASSERT_TRUE(b);
	auto m = b->map();
	ASSERT_TRUE(m) << m.error().message();
	std::byte *p = m->data();
	ASSERT_NE(nullptr, p);
	EXPECT_EQ(len, m->size());
	EXPECT_EQ(p, m->bytes().data());
	EXPECT_EQ(len, m->bytes().size());

	mapping moved = std::move(m).value();
	EXPECT_EQ(nullptr, m->data());
	EXPECT_EQ(0u, m->size());
	EXPECT_TRUE(m->bytes().empty());
	EXPECT_EQ(p, moved.data());
	/* The source's reset unmaps nothing. */
	EXPECT_TRUE(m->reset());
	EXPECT_EQ(0, page_state(p));
	moved.bytes()[len - 1] = std::byte{0x5a};

	/* Assigning over a live mapping unmaps it. */
	auto again = b->map(0, page_size());
	ASSERT_TRUE(again);
	std::byte *q = again->data();
	again.value() = std::move(moved);
	EXPECT_EQ(ENOMEM, page_state(q));
	EXPECT_EQ(p, again->data());
	EXPECT_EQ(std::byte{0x5a}, again->bytes()[len - 1]);

	{
		mapping last = std::move(again).value();
		EXPECT_TRUE(last.reset());
		EXPECT_EQ(ENOMEM, page_state(p));
		/*
		 * Memory mapped there since is not the old mapping's: a second
		 * reset, and the destructor, leave it alone.
		 */
		void *anon = mmap(p, page_size(), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
				  -1, 0);
		ASSERT_EQ(static_cast<void *>(p), anon);
		EXPECT_TRUE(last.reset());
	}
	EXPECT_EQ(0, page_state(p));
	munmap(p, page_size());
}

/* A general descriptor's bytes map only while prepared: a way to see it. */
TEST_F(modern_owners, prepared_moves_and_completes_once)
{
	std::vector<std::byte> mem(3 * page_size());
	auto g = dev.general(std::span(mem));
	ASSERT_TRUE(g) << g.error().message();
	EXPECT_EQ(err(std::errc::no_message_available), g->map().error());

	{
		auto first = g->prepare(IOBMD_DIRECTION_INOUT);
		ASSERT_TRUE(first) << first.error().message();
		prepared guard = std::move(first).value();
		EXPECT_FALSE(*first);
		EXPECT_TRUE(guard);
		/* The source's complete() does nothing. */
		EXPECT_TRUE(first->complete());
		EXPECT_TRUE(g->map());
		{
			/* Nested: the inner guard ending leaves the outer one. */
			auto inner = g->prepare();
			ASSERT_TRUE(inner);
		}
		EXPECT_TRUE(g->map());
	}
	EXPECT_EQ(err(std::errc::no_message_available), g->map().error());

	/* complete() says what the kernel said, once. */
	auto p = g->prepare();
	ASSERT_TRUE(p);
	EXPECT_TRUE(p->complete());
	EXPECT_FALSE(*p);
	EXPECT_TRUE(p->complete());
	prepared stray(dev.get(), g->handle());
	EXPECT_EQ(err(std::errc::invalid_argument), stray.complete().error());

	/* Assigning over a live guard completes it. */
	auto a = g->prepare();
	auto b = g->prepare();
	ASSERT_TRUE(a);
	ASSERT_TRUE(b);
	a.value() = std::move(b).value();
	EXPECT_TRUE(g->map());
	EXPECT_TRUE(a->complete());
	EXPECT_EQ(err(std::errc::no_message_available), g->map().error());
}

TEST_F(modern_owners, unique_fd_moves_and_closes_once)
{
	auto fd = dev.buffer_dmabuf(page_size());
	ASSERT_TRUE(fd) << fd.error().message();
	int raw = fd->get();
	ASSERT_LE(0, raw);

	owned_fd moved = std::move(fd).value();
	EXPECT_FALSE(*fd);
	EXPECT_EQ(-1, fd->get());
	EXPECT_EQ(raw, moved.get());
	fd->reset();
	EXPECT_EQ(0, fd_state(raw));

	owned_fd other(dup(raw));
	int dup_fd = other.get();
	ASSERT_LE(0, dup_fd);
	other = std::move(moved);
	EXPECT_EQ(EBADF, fd_state(dup_fd));
	EXPECT_EQ(raw, other.get());
	other.reset();
	EXPECT_EQ(EBADF, fd_state(raw));
}

} // namespace
} // namespace iobmd_modern_test

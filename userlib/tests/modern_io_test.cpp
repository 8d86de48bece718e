// SPDX-License-Identifier: GPL-2.0
/*
 * The modern C++ face at work: results and exact errnos, bytes through
 * std::span, segment lists in one call, dma-bufs as owned fds, and the
 * owners under threads.
 */
#include <atomic>
#include <cstring>
#include <span>
#include <thread>
#include <vector>

#include "modern_helpers.hpp"

namespace iobmd_modern_test {
namespace {

using iobmd::descriptor;
using iobmd::result;

using modern_io = modern;

std::vector<std::byte> pattern(std::size_t n, unsigned seed)
{
	std::vector<std::byte> v(n);

	for (std::size_t i = 0; i < n; i++)
		v[i] = static_cast<std::byte>((i * 7 + seed * 13 + (i >> 8)) & 0xff);
	return v;
}

TEST(modern_result, holds_a_value_or_an_error)
{
	result<int> seven(7);
	ASSERT_TRUE(seven);
	EXPECT_EQ(7, *seven);
	EXPECT_EQ(std::error_code(), seven.error());
	EXPECT_EQ(7, seven.value_or(3));

	result<int> bad(err(std::errc::no_such_device));
	EXPECT_FALSE(bad);
	EXPECT_EQ(ENODEV, bad.error().value());
	EXPECT_EQ(&std::generic_category(), &bad.error().category());
	EXPECT_EQ(3, bad.value_or(3));
	/* An empty error_code is no success. */
	result<int> empty{std::error_code()};
	EXPECT_FALSE(empty);
	EXPECT_EQ(err(std::errc::invalid_argument), empty.error());

	result<void> ok;
	EXPECT_TRUE(ok);
	result<void> failed(err(std::errc::permission_denied));
	EXPECT_EQ(err(std::errc::permission_denied), failed.error());
	EXPECT_EQ(err(std::errc::interrupted), iobmd::errno_error(-EINTR));
}

TEST(modern_result, value_of_an_error_aborts)
{
	result<int> bad(err(std::errc::io_error));
	EXPECT_DEATH((void)bad.value(), "");
}

/* The C core's errnos come through as they are. */
TEST_F(modern_io, errors_are_the_kernels)
{
	EXPECT_EQ(err(std::errc::no_such_file_or_directory),
		  iobmd::device::open("/dev/iobmd-absent").error());
	EXPECT_EQ(err(std::errc::invalid_argument),
		  dev.buffer(page_size(), IOBMD_DIRECTION_INOUT, 3).error());
	descriptor absent(dev.get(), 4000000);
	EXPECT_EQ(err(std::errc::no_such_file_or_directory), absent.info().error());
	EXPECT_EQ(err(std::errc::no_such_file_or_directory), absent.reset().error());

	auto b = dev.buffer(page_size());
	ASSERT_TRUE(b);
	EXPECT_EQ(err(std::errc::result_out_of_range),
		  dev.sub(*b, page_size() - 4, 8).error());
	std::byte out[8];
	EXPECT_EQ(err(std::errc::result_out_of_range),
		  b->read(page_size() - 4, std::span(out)).error());
	EXPECT_EQ(err(std::errc::invalid_argument),
		  b->perform(99, 0, page_size()).error());
	EXPECT_EQ(err(std::errc::result_out_of_range),
		  b->map(page_size() + 1, 0).error());
	EXPECT_EQ(err(std::errc::invalid_argument),
		  b->set_direction(IOBMD_DIRECTION_MASK + 1).error());
	EXPECT_EQ(err(std::errc::bad_file_descriptor),
		  dev.import_dmabuf(999).error());
	EXPECT_EQ(err(std::errc::invalid_argument),
		  dev.import_dmabuf(-1).error());
	EXPECT_EQ(err(std::errc::invalid_argument),
		  dev.buffer_dmabuf(page_size(), IOBMD_DIRECTION_INOUT, O_WRONLY).error());
}

TEST_F(modern_io, bytes_through_spans)
{
	const std::size_t len = 2 * page_size();
	const std::vector<std::byte> in = pattern(len, 1);
	auto b = dev.buffer_with_bytes(std::span(in));
	ASSERT_TRUE(b) << b.error().message();
	auto info = b->info();
	ASSERT_TRUE(info);
	EXPECT_EQ(len, info->length);

	std::vector<std::byte> out(len);
	ASSERT_TRUE(b->read(0, std::span(out)));
	EXPECT_EQ(in, out);

	/* A mapping's span is the descriptor's bytes, from the offset asked. */
	auto m = b->map(100, 300);
	ASSERT_TRUE(m) << m.error().message();
	std::span<std::byte> view = m->bytes();
	ASSERT_EQ(300u, view.size());
	EXPECT_EQ(0, std::memcmp(view.data(), in.data() + 100, 300));
	view[0] = std::byte{0xa5};
	std::byte one{};
	ASSERT_TRUE(b->read(100, std::span(&one, 1)));
	EXPECT_EQ(std::byte{0xa5}, one);

	/* Read-only maps read. */
	auto ro = b->map(0, 0, IOBMD_MAP_READONLY);
	ASSERT_TRUE(ro);
	EXPECT_EQ(len, ro->size());
	EXPECT_EQ(in[len - 1], ro->bytes()[len - 1]);

	/* A general descriptor is this process's memory, named by pointer. */
	std::vector<std::byte> mem = pattern(3 * page_size(), 2);
	auto g = dev.general(std::span(mem).subspan(300, 2 * page_size()));
	ASSERT_TRUE(g);
	auto gi = g->info();
	ASSERT_TRUE(gi);
	EXPECT_EQ(2 * page_size(), gi->length);
	ASSERT_TRUE(g->write(0, std::span<const std::byte>(in).first(16)));
	EXPECT_EQ(0, std::memcmp(mem.data() + 300, in.data(), 16));
	auto tag = g->set_tag(0x1234);
	EXPECT_TRUE(tag);
	EXPECT_EQ(0x1234u, g->info()->tag);
}

/*
 * Every other page of one contiguous buffer, as a multi descriptor of
 * one-page subs: 20 segments, more than the first guess of 16, each a
 * page, two pages apart.
 */
TEST_F(modern_io, segments_in_one_call)
{
	const std::uint64_t pg = page_size();
	const std::size_t n = 20;
	auto big = dev.buffer(2 * n * pg,
			      IOBMD_DIRECTION_INOUT | IOBMD_OPT_PHYSICALLY_CONTIGUOUS);
	ASSERT_TRUE(big) << big.error().message();
	std::vector<descriptor> subs;
	for (std::size_t i = 0; i < n; i++) {
		auto s = dev.sub(*big, 2 * i * pg, pg);
		ASSERT_TRUE(s) << s.error().message();
		subs.push_back(std::move(s).value());
	}
	auto multi = dev.multi(subs.data(), subs.size());
	ASSERT_TRUE(multi) << multi.error().message();

	auto segs = multi->segments();
	ASSERT_TRUE(segs) << segs.error().message();
	ASSERT_EQ(n, segs->size());
	for (std::size_t i = 0; i < n; i++) {
		EXPECT_EQ((*segs)[0].addr + 2 * i * pg, (*segs)[i].addr) << i;
		EXPECT_EQ(pg, (*segs)[i].len) << i;
	}
	/* The whole contiguous buffer is one segment. */
	auto whole = big->segments();
	ASSERT_TRUE(whole);
	ASSERT_EQ(1u, whole->size());
	EXPECT_EQ((*segs)[0].addr, (*whole)[0].addr);
	EXPECT_EQ(2 * n * pg, (*whole)[0].len);

	/* Into a caller's span: what fits, and the total. */
	iobmd::segment room[4];
	auto part = multi->segments(std::span(room), 0, 3 * pg, 0);
	ASSERT_TRUE(part);
	EXPECT_EQ(4u, part->written.size());
	EXPECT_EQ(n - 3, part->total);
	EXPECT_EQ((*segs)[3].addr, room[0].addr);

	/* DMA segments exist only for a kernel driver's device. */
	EXPECT_EQ(err(std::errc::no_message_available),
		  multi->segments(IOBMD_SEGMENTS_DMA).error());
	EXPECT_EQ(err(std::errc::result_out_of_range),
		  multi->segments(0, n * pg + 1).error());
}

TEST_F(modern_io, dmabuf_export_owns_the_fd)
{
	const std::vector<std::byte> in = pattern(page_size(), 3);
	auto b = dev.buffer_with_bytes(std::span(in));
	ASSERT_TRUE(b);
	auto fd = b->export_dmabuf();
	ASSERT_TRUE(fd) << fd.error().message();
	ASSERT_LE(0, fd->get());
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd->get(), F_GETFD));

	ASSERT_TRUE(b->reset());
	auto imp = dev.import_dmabuf(*fd, IOBMD_DIRECTION_OUT);
	ASSERT_TRUE(imp) << imp.error().message();
	int raw = fd->get();
	fd->reset();
	EXPECT_EQ(EBADF, fd_state(raw));

	std::vector<std::byte> out(page_size());
	ASSERT_TRUE(imp->read(0, std::span(out)));
	EXPECT_EQ(in, out);
	EXPECT_EQ(err(std::errc::invalid_argument),
		  imp->export_dmabuf(1, 0).error());
}

/* Const calls on one object from many threads at once. */
TEST_F(modern_io, threads_share_a_device_and_a_descriptor)
{
	const std::vector<std::byte> in = pattern(page_size(), 4);
	auto b = dev.buffer_with_bytes(std::span(in));
	ASSERT_TRUE(b);
	std::atomic<int> bad{0};
	std::vector<std::thread> threads;

	for (int t = 0; t < 4; t++)
		threads.emplace_back([&] {
			std::vector<std::byte> out(page_size());
			for (int i = 0; i < 50; i++) {
				auto mine = dev.buffer(page_size());
				if (!mine || !b->read(0, std::span(out)) || out != in)
					bad++;
			}
		});
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(0, bad.load());
}

/* Holds each of @n threads until all @n have come. */
class meeting {
public:
	explicit meeting(int n) : n_(n) {}
	void arrive()
	{
		count_++;
		while (count_.load() < n_)
			std::this_thread::yield();
	}

private:
	const int n_;
	std::atomic<int> count_{0};
};

/*
 * complete() of one guard, then reset() of one descriptor, from two
 * threads at once: the prepare is completed once and the handle released
 * once, so neither thread sees the kernel refuse a second complete
 * (EINVAL) or a second release (ENOENT).  (A guard must not outlive its
 * descriptor: the completes are over before the resets start.)
 */
TEST_F(modern_io, racing_resets_give_back_once)
{
	int bad = 0;

	for (int round = 0; round < 100; round++) {
		auto d = dev.buffer(page_size());
		ASSERT_TRUE(d);
		auto g = d->prepare();
		ASSERT_TRUE(g);
		meeting start(2), completed(2);
		result<void> completes[2], resets[2];
		auto go = [&](int i) {
			start.arrive();
			completes[i] = g->complete();
			completed.arrive();
			resets[i] = d->reset();
		};
		std::thread a(go, 0), b(go, 1);
		a.join();
		b.join();
		for (int i = 0; i < 2; i++) {
			EXPECT_TRUE(completes[i]) << completes[i].error().message();
			EXPECT_TRUE(resets[i]) << resets[i].error().message();
			bad += !completes[i] + !resets[i];
		}
		EXPECT_FALSE(*d);
		EXPECT_FALSE(*g);
		if (bad)
			break;
	}
	EXPECT_EQ(0, bad);
}

} // namespace
} // namespace iobmd_modern_test

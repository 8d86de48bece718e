/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the modern C++ face's tests (modern_*_test.cpp): a fixture
 * with an open device, errors as std::errc, and raw looks through the C
 * core at what the owners hold.
 */
#ifndef IOBMD_TESTS_MODERN_HELPERS_HPP
#define IOBMD_TESTS_MODERN_HELPERS_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <iobmd/modern.hpp>

namespace iobmd_modern_test {

inline std::uint64_t page_size()
{
	return static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

/* The error a C core call answering -@errnum becomes. */
inline std::error_code err(std::errc e)
{
	return std::make_error_code(e);
}

/* IOBMD_GET_INFO of @handle straight through the C core: 0 or -errno. */
inline int handle_state(iobmd_dev *dev, iobmd_handle handle)
{
	iobmd_info info{};

	info.size = sizeof(info);
	return iobmd_get_info(dev, handle, &info);
}

/* 0 when @fd is open, else the errno fcntl() gave. */
inline int fd_state(int fd)
{
	return fcntl(fd, F_GETFD) == -1 ? errno : 0;
}

/* 0 when the page at @p is mapped, else mincore()'s errno (ENOMEM). */
inline int page_state(const void *p)
{
	unsigned char vec = 0;
	auto addr = reinterpret_cast<std::uintptr_t>(p) & ~(page_size() - 1);

	return mincore(reinterpret_cast<void *>(addr), 1, &vec) ? errno : 0;
}

/* A test with /dev/iobmd open as dev. */
class modern : public ::testing::Test {
protected:
	void SetUp() override
	{
		auto d = iobmd::device::open();
		ASSERT_TRUE(d) << d.error().message();
		dev = std::move(d).value();
	}

	iobmd::device dev;
};

} // namespace iobmd_modern_test

#endif /* IOBMD_TESTS_MODERN_HELPERS_HPP */

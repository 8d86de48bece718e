/* SPDX-License-Identifier: MIT */
/*
 * <iobmd/modern.hpp>: a small, header-only C++ face of libiobmd (the C
 * core, <iobmd/iobmd.h>) for Linux programs that do not want IOKit's
 * names.  Link with libiobmd, the C core; nothing else.
 *
 * - Owners: iobmd::device (an open /dev/iobmd), iobmd::descriptor (one
 *   handle), iobmd::mapping (bytes mapped into this process),
 *   iobmd::prepared (a prepare() that complete()s when it ends) and
 *   iobmd::owned_fd (a dma-buf).  Each is move-only: a move hands the
 *   resource over and leaves the source empty, and a resource is given
 *   back exactly once, by whichever object holds it last.
 * - Errors: every call that can fail answers an iobmd::result<T>, a value
 *   or a std::error_code in std::generic_category() holding the C core's
 *   errno (compare with std::errc::invalid_argument and the like).
 *   Nothing throws: an allocation that fails is std::errc::not_enough_memory.
 * - Addresses in this process are pointers (and, with C++20, std::span of
 *   std::byte); physical and DMA addresses are integers.
 *
 * Lifetimes: a descriptor and a prepared guard name their device's
 * struct iobmd_dev, which a move of the device does not change; the device
 * must outlive them (closing it releases every handle of it).  A guard
 * must not outlive its descriptor.  A mapping needs neither: it keeps the
 * descriptor's memory alive in the kernel until it is unmapped.
 *
 * Threads: distinct objects may be used from any threads at once.  The
 * const members of one object may be called from many threads at once
 * (descriptor and device calls go to the kernel, which orders them).
 * reset() of a descriptor, mapping or guard may race with another reset()
 * or with the destructor's: the resource is given back once (an atomic
 * exchange decides who does it), never twice.  A move, assignment or
 * destruction must not race with any other use of the same object.
 *
 * fork(): a child inherits the objects, but the C core refuses a device
 * opened by another process: every call through an inherited device,
 * descriptor or guard answers std::errc::no_child_process (ECHILD) and
 * touches nothing of the parent's; their destructors in the child leave
 * the parent's handles alone.  Mappings are plain memory: the child's
 * copy is the child's to unmap.  A child opens a device of its own.
 *
 * C++17: everything but the std::span members (bytes(), and the span
 * overloads of read, write and the like), which need C++20's <span>.
 */
#ifndef IOBMD_MODERN_HPP
#define IOBMD_MODERN_HPP

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <new>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<span>) && __cplusplus >= 202002L
#include <span>
#endif
#endif

#include <iobmd/iobmd.h>

namespace iobmd {

/* The error of a C core return value (a negative errno). */
[[nodiscard]] inline std::error_code errno_error(int negative_errno) noexcept
{
	return {-negative_errno, std::generic_category()};
}

/*
 * A value or an error, as std::expected<T, std::error_code> (C++23) would
 * hold them.  value(), * and -> on an error are a bug in the caller: they
 * abort rather than throw.
 */
template <class T>
class [[nodiscard]] result {
public:
	result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
		: value_(std::move(value))
	{
	}
	result(std::error_code error) noexcept : error_(error)
	{
		if (!error_)
			error_ = std::make_error_code(std::errc::invalid_argument);
	}

	[[nodiscard]] bool has_value() const noexcept { return value_.has_value(); }
	explicit operator bool() const noexcept { return has_value(); }
	/* The error; an empty error_code when there is a value. */
	[[nodiscard]] std::error_code error() const noexcept { return error_; }

	[[nodiscard]] T &value() & noexcept { check(); return *value_; }
	[[nodiscard]] const T &value() const & noexcept { check(); return *value_; }
	[[nodiscard]] T &&value() && noexcept { check(); return std::move(*value_); }
	[[nodiscard]] T &operator*() & noexcept { return value(); }
	[[nodiscard]] const T &operator*() const & noexcept { return value(); }
	[[nodiscard]] T &&operator*() && noexcept { return std::move(*this).value(); }
	[[nodiscard]] T *operator->() noexcept { return &value(); }
	[[nodiscard]] const T *operator->() const noexcept { return &value(); }

	/* The value, or @other when there is none. */
	template <class U>
	[[nodiscard]] T value_or(U &&other) const & noexcept
	{
		return value_ ? *value_ : static_cast<T>(std::forward<U>(other));
	}

private:
	void check() const noexcept
	{
		if (!value_)
			std::abort();
	}

	std::optional<T> value_;
	std::error_code error_;
};

/* Success or an error. */
template <>
class [[nodiscard]] result<void> {
public:
	result() noexcept = default;
	result(std::error_code error) noexcept : error_(error) {}

	[[nodiscard]] bool has_value() const noexcept { return !error_; }
	explicit operator bool() const noexcept { return has_value(); }
	[[nodiscard]] std::error_code error() const noexcept { return error_; }
	void value() const noexcept
	{
		if (error_)
			std::abort();
	}

private:
	std::error_code error_;
};

namespace detail {

/* A C core return value (0 or -errno) as a result<void>. */
[[nodiscard]] inline result<void> status(int ret) noexcept
{
	if (ret)
		return errno_error(ret);
	return {};
}

} // namespace detail

/*
 * An owned file descriptor (a dma-buf): closed when the owner ends.  Not
 * the IOKit layer's iobmd::unique_fd (<iobmd/task.hpp>), a class of
 * libiobmd++: a program may include both faces.
 */
class owned_fd {
public:
	owned_fd() noexcept = default;
	explicit owned_fd(int fd) noexcept : fd_(fd) {}
	owned_fd(owned_fd &&other) noexcept : fd_(other.release()) {}
	owned_fd &operator=(owned_fd &&other) noexcept
	{
		if (this != &other)
			reset(other.release());
		return *this;
	}
	owned_fd(const owned_fd &) = delete;
	owned_fd &operator=(const owned_fd &) = delete;
	~owned_fd() { reset(); }

	[[nodiscard]] int get() const noexcept { return fd_; }
	[[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
	explicit operator bool() const noexcept { return valid(); }
	/* The descriptor, now the caller's to close. */
	[[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
	void reset(int fd = -1) noexcept
	{
		int old = std::exchange(fd_, fd);

		if (old >= 0)
			::close(old);
	}

private:
	int fd_ = -1;
};

/*
 * Bytes of a descriptor mapped into this process: unmapped when the owner
 * ends.  data() points at the first byte asked for.
 */
class mapping {
public:
	mapping() noexcept = default;
	/* Adopts what iobmd_map() answered. */
	mapping(void *addr, std::uint64_t size) noexcept
		: addr_(static_cast<std::byte *>(addr)),
		  size_(addr ? static_cast<std::size_t>(size) : 0)
	{
	}
	mapping(mapping &&other) noexcept
		: addr_(other.addr_.exchange(nullptr)),
		  size_(std::exchange(other.size_, 0))
	{
	}
	mapping &operator=(mapping &&other) noexcept
	{
		if (this != &other) {
			(void)reset();
			size_ = std::exchange(other.size_, 0);
			addr_.store(other.addr_.exchange(nullptr));
		}
		return *this;
	}
	mapping(const mapping &) = delete;
	mapping &operator=(const mapping &) = delete;
	~mapping() { (void)reset(); }

	[[nodiscard]] std::byte *data() const noexcept { return addr_.load(); }
	[[nodiscard]] std::size_t size() const noexcept { return data() ? size_ : 0; }
	[[nodiscard]] bool empty() const noexcept { return size() == 0; }
	explicit operator bool() const noexcept { return data() != nullptr; }
#ifdef __cpp_lib_span
	[[nodiscard]] std::span<std::byte> bytes() const noexcept
	{
		std::byte *p = data();

		return p ? std::span<std::byte>(p, size_) : std::span<std::byte>();
	}
#endif

	/*
	 * Unmaps now; then the mapping is empty.  Concurrent calls (and the
	 * destructor's) unmap once: the others find it empty and succeed.
	 */
	result<void> reset() noexcept
	{
		std::byte *p = addr_.exchange(nullptr);

		if (!p)
			return {};
		return detail::status(iobmd_unmap(p, size_));
	}

private:
	std::atomic<std::byte *> addr_{nullptr};
	std::size_t size_ = 0;
};

class descriptor;

/*
 * A prepare() of a descriptor (its memory wired): complete()d when the
 * guard ends, or by complete(), which says whether the kernel agreed.
 */
class prepared {
public:
	prepared() noexcept = default;
	prepared(iobmd_dev *dev, iobmd_handle handle) noexcept
		: dev_(dev), handle_(handle)
	{
	}
	prepared(prepared &&other) noexcept
		: dev_(other.dev_), handle_(other.handle_.exchange(0))
	{
	}
	prepared &operator=(prepared &&other) noexcept
	{
		if (this != &other) {
			(void)complete();
			dev_ = other.dev_;
			handle_.store(other.handle_.exchange(0));
		}
		return *this;
	}
	prepared(const prepared &) = delete;
	prepared &operator=(const prepared &) = delete;
	~prepared() { (void)complete(); }

	[[nodiscard]] bool active() const noexcept { return handle_.load() != 0; }
	explicit operator bool() const noexcept { return active(); }

	/*
	 * complete(@direction: 0, or IOBMD_COMPLETE_* modifiers) now; once.
	 * Concurrent calls complete once: the others find nothing to do.
	 */
	result<void> complete(std::uint32_t direction = 0) noexcept
	{
		iobmd_handle h = handle_.exchange(0);

		if (!h)
			return {};
		return detail::status(iobmd_complete(dev_, h, direction));
	}

private:
	iobmd_dev *dev_ = nullptr;
	std::atomic<iobmd_handle> handle_{0};
};

/* One segment of physical (or DMA) addresses: @addr, @len bytes. */
using segment = ::iobmd_segment;

/* A handle of one device: released when the owner ends. */
class descriptor {
public:
	descriptor() noexcept = default;
	/* Adopts @handle of @dev (what an iobmd_*_create() answered). */
	descriptor(iobmd_dev *dev, iobmd_handle handle) noexcept
		: dev_(dev), handle_(handle)
	{
	}
	descriptor(descriptor &&other) noexcept
		: dev_(other.dev_), handle_(other.handle_.exchange(0))
	{
	}
	descriptor &operator=(descriptor &&other) noexcept
	{
		if (this != &other) {
			(void)reset();
			dev_ = other.dev_;
			handle_.store(other.handle_.exchange(0));
		}
		return *this;
	}
	descriptor(const descriptor &) = delete;
	descriptor &operator=(const descriptor &) = delete;
	~descriptor() { (void)reset(); }

	/* The C core's handle (0: empty). */
	[[nodiscard]] iobmd_handle handle() const noexcept { return handle_.load(); }
	[[nodiscard]] iobmd_dev *device() const noexcept { return dev_; }
	explicit operator bool() const noexcept { return handle() != 0; }

	/*
	 * Releases the handle now; then the descriptor is empty.  Concurrent
	 * calls (and the destructor's) release once.
	 */
	result<void> reset() noexcept
	{
		iobmd_handle h = handle_.exchange(0);

		if (!h)
			return {};
		return detail::status(iobmd_release(dev_, h));
	}
	/* The handle, now the caller's to iobmd_release(). */
	[[nodiscard]] iobmd_handle release() noexcept { return handle_.exchange(0); }

	/* What the descriptor is (kind, length, capacity, direction...). */
	[[nodiscard]] result<iobmd_info> info() const noexcept
	{
		iobmd_info i{};

		i.size = sizeof(i);
		if (int ret = iobmd_get_info(dev_, handle(), &i))
			return errno_error(ret);
		return i;
	}
	/* The length now in force (a length above the capacity is ignored). */
	[[nodiscard]] result<std::uint64_t> set_length(std::uint64_t length) const noexcept
	{
		std::uint64_t now = 0;

		if (int ret = iobmd_set_length(dev_, handle(), length, &now))
			return errno_error(ret);
		return now;
	}
	[[nodiscard]] result<void> set_direction(std::uint32_t direction) const noexcept
	{
		return detail::status(iobmd_set_direction(dev_, handle(), direction));
	}
	[[nodiscard]] result<void> set_tag(std::uint64_t tag) const noexcept
	{
		return detail::status(iobmd_set_tag(dev_, handle(), tag));
	}
	/* The state before. */
	[[nodiscard]] result<std::uint32_t> set_purgeable(std::uint32_t state) const noexcept
	{
		std::uint32_t old = 0;

		if (int ret = iobmd_set_purgeable(dev_, handle(), state, &old))
			return errno_error(ret);
		return old;
	}

	/*
	 * Copies all of [@offset, @offset + @len) to @buf, or fails: ERANGE
	 * also where a composed descriptor's pieces end first (iobmd_read()'s
	 * short count; a write has then written the bytes before that point).
	 */
	[[nodiscard]] result<void> read(std::uint64_t offset, void *buf,
					std::size_t len) const noexcept
	{
		std::uint64_t done = 0;
		int ret = iobmd_read(dev_, handle(), offset, buf, len, &done);

		return detail::status(!ret && done < len ? -ERANGE : ret);
	}
	[[nodiscard]] result<void> write(std::uint64_t offset, const void *buf,
					 std::size_t len) const noexcept
	{
		std::uint64_t done = 0;
		int ret = iobmd_write(dev_, handle(), offset, buf, len, &done);

		return detail::status(!ret && done < len ? -ERANGE : ret);
	}
	/* Appends what fits; the bytes appended. */
	[[nodiscard]] result<std::uint64_t> append(const void *buf,
						   std::size_t len) const noexcept
	{
		std::uint64_t done = 0;

		if (int ret = iobmd_append(dev_, handle(), buf, len, &done))
			return errno_error(ret);
		return done;
	}
#ifdef __cpp_lib_span
	[[nodiscard]] result<void> read(std::uint64_t offset,
					std::span<std::byte> out) const noexcept
	{
		return read(offset, out.data(), out.size());
	}
	[[nodiscard]] result<void> write(std::uint64_t offset,
					 std::span<const std::byte> in) const noexcept
	{
		return write(offset, in.data(), in.size());
	}
	[[nodiscard]] result<std::uint64_t> append(std::span<const std::byte> in) const noexcept
	{
		return append(in.data(), in.size());
	}
#endif

	/*
	 * Maps [@offset, @offset + @length) (@length 0: to the end of the
	 * descriptor's mapping); @flags: IOBMD_MAP_READONLY, IOBMD_CACHE_*.
	 * One command and one mmap().
	 */
	[[nodiscard]] result<mapping> map(std::uint64_t offset = 0,
					  std::uint64_t length = 0,
					  std::uint32_t flags = 0) const noexcept
	{
		void *addr = nullptr;
		std::uint64_t mapped = 0;

		if (int ret = iobmd_map(dev_, handle(), offset, length, flags, &addr, &mapped))
			return errno_error(ret);
		return mapping(addr, mapped);
	}

	/* prepare(@direction: 0 or IOBMD_DIRECTION_*, IOBMD_PREPARE_*). */
	[[nodiscard]] result<prepared> prepare(std::uint32_t direction = 0) const noexcept
	{
		if (int ret = iobmd_prepare(dev_, handle(), direction))
			return errno_error(ret);
		return prepared(dev_, handle());
	}
	/* performOperation: IOBMD_OP_* over [@offset, @offset + @length). */
	[[nodiscard]] result<void> perform(std::uint32_t op, std::uint64_t offset,
					   std::uint64_t length) const noexcept
	{
		return detail::status(iobmd_perform(dev_, handle(), op, offset, length));
	}

	/*
	 * The physical (@flags IOBMD_SEGMENTS_DMA: DMA) segments of
	 * [@offset, @offset + @length) (@length 0: to the end), all of them:
	 * one command when they fit the first guess, two when not.
	 */
	[[nodiscard]] result<std::vector<segment>>
	segments(std::uint32_t flags = 0, std::uint64_t offset = 0,
		 std::uint64_t length = 0) const noexcept
	{
		std::vector<segment> segs;
		std::uint64_t total = 0;
		std::uint32_t count = 16;

		for (int round = 0; round < 4; round++) {
			if (!resize(segs, count))
				return std::make_error_code(std::errc::not_enough_memory);
			count = static_cast<std::uint32_t>(segs.size());
			if (int ret = iobmd_segments(dev_, handle(), flags, offset, length,
						     segs.data(), &count, &total))
				return errno_error(ret);
			if (total <= count) {
				segs.resize(count);
				return result<std::vector<segment>>(std::move(segs));
			}
			/* More than fit: room for all of them, and again. */
			if (total > UINT32_MAX)
				return std::make_error_code(std::errc::value_too_large);
			count = static_cast<std::uint32_t>(total);
		}
		/* The list kept growing under us (a descriptor being changed). */
		return std::make_error_code(std::errc::resource_unavailable_try_again);
	}
#ifdef __cpp_lib_span
	/*
	 * As many segments as fit @out, with no allocation: the first
	 * entries written and the total the range needs.
	 */
	struct segments_written {
		std::span<segment> written;
		std::uint64_t total;
	};
	[[nodiscard]] result<segments_written>
	segments(std::span<segment> out, std::uint32_t flags = 0,
		 std::uint64_t offset = 0, std::uint64_t length = 0) const noexcept
	{
		std::uint32_t count = out.size() > UINT32_MAX
			? UINT32_MAX : static_cast<std::uint32_t>(out.size());
		std::uint64_t total = 0;

		if (int ret = iobmd_segments(dev_, handle(), flags, offset, length,
					     out.data(), &count, &total))
			return errno_error(ret);
		return segments_written{out.first(count), total};
	}
#endif

	/* A dma-buf of [@offset, @offset + @length) (0: to the end). */
	[[nodiscard]] result<owned_fd> export_dmabuf(std::uint64_t offset = 0,
						      std::uint64_t length = 0,
						      int fd_flags = O_RDWR | O_CLOEXEC)
		const noexcept
	{
		int fd = -1;

		if (int ret = iobmd_dmabuf_export(dev_, handle(), offset, length,
						  fd_flags, &fd))
			return errno_error(ret);
		return owned_fd(fd);
	}

private:
	static bool resize(std::vector<segment> &segs, std::size_t n) noexcept
	{
		try {
			segs.resize(n);
		} catch (const std::bad_alloc &) {
			return false;
		}
		return true;
	}

	iobmd_dev *dev_ = nullptr;
	std::atomic<iobmd_handle> handle_{0};
};

/* An open /dev/iobmd: closed (every handle of it released) when it ends. */
class device {
public:
	device() noexcept = default;
	/* Adopts what iobmd_dev_open() answered. */
	explicit device(iobmd_dev *dev) noexcept : dev_(dev) {}
	device(device &&other) noexcept : dev_(std::exchange(other.dev_, nullptr)) {}
	device &operator=(device &&other) noexcept
	{
		if (this != &other)
			reset(std::exchange(other.dev_, nullptr));
		return *this;
	}
	device(const device &) = delete;
	device &operator=(const device &) = delete;
	~device() { reset(); }

	/* Opens @path (nullptr: /dev/iobmd), close-on-exec. */
	[[nodiscard]] static result<device> open(const char *path = nullptr) noexcept
	{
		iobmd_dev *dev = nullptr;

		if (int ret = iobmd_dev_open(path, 0, &dev))
			return errno_error(ret);
		return device(dev);
	}

	[[nodiscard]] iobmd_dev *get() const noexcept { return dev_; }
	explicit operator bool() const noexcept { return dev_ != nullptr; }
	/* The file descriptor (-EINVAL when empty), for poll(). */
	[[nodiscard]] int fd() const noexcept { return iobmd_dev_fd(dev_); }
	/* Closes now (the destructor's work). */
	void reset(iobmd_dev *dev = nullptr) noexcept
	{
		iobmd_dev_close(std::exchange(dev_, dev));
	}

	[[nodiscard]] result<iobmd_version> version() const noexcept
	{
		iobmd_version v{};

		v.size = sizeof(v);
		if (int ret = iobmd_dev_version(dev_, &v))
			return errno_error(ret);
		return v;
	}

	/* A buffer of @capacity bytes; @options: IOBMD_DIRECTION_*, IOBMD_OPT_*. */
	[[nodiscard]] result<descriptor>
	buffer(std::uint64_t capacity,
	       std::uint32_t options = IOBMD_DIRECTION_INOUT,
	       std::uint64_t alignment = 0) const noexcept
	{
		iobmd_handle h = 0;

		int ret = iobmd_buffer_create(dev_, options, capacity, alignment, &h);

		return adopt(ret, h);
	}
	/* A buffer whose every byte lies at or below @phys_mask's highest bit. */
	[[nodiscard]] result<descriptor>
	buffer_masked(std::uint64_t capacity, std::uint64_t phys_mask,
		      std::uint32_t options = IOBMD_DIRECTION_INOUT) const noexcept
	{
		iobmd_handle h = 0;

		int ret = iobmd_buffer_create_masked(dev_, options, capacity,
						     phys_mask, &h);

		return adopt(ret, h);
	}
	/* A buffer holding a copy of @len bytes at @bytes. */
	[[nodiscard]] result<descriptor>
	buffer_with_bytes(const void *bytes, std::size_t len,
			  std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		iobmd_handle h = 0;

		int ret = iobmd_buffer_with_bytes(dev_, bytes, len, direction, &h);

		return adopt(ret, h);
	}
	/* A buffer handed out as a dma-buf only. */
	[[nodiscard]] result<owned_fd>
	buffer_dmabuf(std::uint64_t capacity,
		      std::uint32_t options = IOBMD_DIRECTION_INOUT,
		      int fd_flags = O_RDWR | O_CLOEXEC) const noexcept
	{
		int fd = -1;

		if (int ret = iobmd_buffer_create_dmabuf(dev_, options, capacity, 0,
							 fd_flags, &fd))
			return errno_error(ret);
		return owned_fd(fd);
	}
	/* This process's memory at @addr, @len bytes. */
	[[nodiscard]] result<descriptor>
	general(void *addr, std::size_t len,
		std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		iobmd_range r{};
		iobmd_handle h = 0;

		r.address = reinterpret_cast<std::uintptr_t>(addr);
		r.length = len;
		int ret = iobmd_general_create(dev_, &r, 1, direction, &h);

		return adopt(ret, h);
	}
	/* Ranges of this process's memory, in order. */
	[[nodiscard]] result<descriptor>
	general(const iobmd_range *ranges, std::size_t count,
		std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		iobmd_handle h = 0;

		if (count > UINT32_MAX)
			return std::make_error_code(std::errc::invalid_argument);
		int ret = iobmd_general_create(dev_, ranges,
					       static_cast<std::uint32_t>(count),
					       direction, &h);

		return adopt(ret, h);
	}
#ifdef __cpp_lib_span
	[[nodiscard]] result<descriptor>
	buffer_with_bytes(std::span<const std::byte> bytes,
			  std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		return buffer_with_bytes(bytes.data(), bytes.size(), direction);
	}
	[[nodiscard]] result<descriptor>
	general(std::span<std::byte> bytes,
		std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		return general(bytes.data(), bytes.size(), direction);
	}
#endif
	/* Bytes [@offset, @offset + @length) of @parent. */
	[[nodiscard]] result<descriptor>
	sub(const descriptor &parent, std::uint64_t offset, std::uint64_t length,
	    std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		iobmd_handle h = 0;

		int ret = iobmd_sub_create(dev_, parent.handle(), offset, length,
					   direction, &h);

		return adopt(ret, h);
	}
	/* @pieces one after the other. */
	[[nodiscard]] result<descriptor>
	multi(std::initializer_list<std::reference_wrapper<const descriptor>> pieces,
	      std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		std::vector<iobmd_handle> handles;
		iobmd_handle h = 0;

		try {
			handles.reserve(pieces.size());
		} catch (const std::bad_alloc &) {
			return std::make_error_code(std::errc::not_enough_memory);
		}
		for (const descriptor &d : pieces)
			handles.push_back(d.handle());
		int ret = iobmd_multi_create(dev_, handles.data(),
					     static_cast<std::uint32_t>(handles.size()),
					     direction, &h);

		return adopt(ret, h);
	}
	/* @count descriptors at @pieces, one after the other. */
	[[nodiscard]] result<descriptor>
	multi(const descriptor *pieces, std::size_t count,
	      std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		std::vector<iobmd_handle> handles;
		iobmd_handle h = 0;

		if (count > UINT32_MAX)
			return std::make_error_code(std::errc::invalid_argument);
		try {
			handles.reserve(count);
		} catch (const std::bad_alloc &) {
			return std::make_error_code(std::errc::not_enough_memory);
		}
		for (std::size_t i = 0; i < count; i++)
			handles.push_back(pieces[i].handle());
		int ret = iobmd_multi_create(dev_, handles.data(),
						static_cast<std::uint32_t>(count),
						direction, &h);

		return adopt(ret, h);
	}
	/* A descriptor over a dma-buf of another exporter (not adopted). */
	[[nodiscard]] result<descriptor>
	import_dmabuf(int fd, std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		iobmd_handle h = 0;

		int ret = iobmd_dmabuf_import(dev_, fd, direction, &h);

		return adopt(ret, h);
	}
	[[nodiscard]] result<descriptor>
	import_dmabuf(const owned_fd &fd,
		      std::uint32_t direction = IOBMD_DIRECTION_INOUT) const noexcept
	{
		return import_dmabuf(fd.get(), direction);
	}

private:
	/* (The handle is read after the call that writes it, in its own statement.) */
	[[nodiscard]] result<descriptor> adopt(int ret, iobmd_handle h) const noexcept
	{
		if (ret)
			return errno_error(ret);
		return descriptor(dev_, h);
	}

	iobmd_dev *dev_ = nullptr;
};

} // namespace iobmd

#endif /* IOBMD_MODERN_HPP */

/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: the task.
 *
 * IOKit names the address space a descriptor belongs to with a task_t.
 * Here the task is one open file of /dev/iobmd: the module keeps a table
 * of descriptor handles per open file, and closing it releases them all.
 * Every task maps into, and describes memory of, this process.
 *
 * task_t is a shared pointer to a task; every descriptor holds its task, so
 * the file stays open while anything created in it lives.  current_task()
 * is the process's default task, opened on first use and kept until exit;
 * kernel_task and a null task_t stand for it wherever IOKit takes a task.
 */
#ifndef IOBMD_TASK_HPP
#define IOBMD_TASK_HPP

#include <cstdint>
#include <sys/types.h>

#include "IOReturn.hpp"
#include "export.hpp"
#include "types.hpp"

/* libiobmd's open device (<iobmd/iobmd.h>), which a task wraps. */
struct iobmd_dev;

namespace iobmd {

/* Owns a file descriptor: move-only, closes it on destruction. */
class IOBMD_API unique_fd final {
public:
	unique_fd() noexcept = default;
	explicit unique_fd(int fd) noexcept : fd_(fd) {}
	unique_fd(unique_fd &&other) noexcept;
	unique_fd &operator=(unique_fd &&other) noexcept;
	unique_fd(const unique_fd &) = delete;
	unique_fd &operator=(const unique_fd &) = delete;
	~unique_fd();

	int get() const noexcept { return fd_; }
	bool isValid() const noexcept { return fd_ >= 0; }
	/* Gives the descriptor up without closing it. */
	[[nodiscard]] int release() noexcept;
	/* Closes what it holds and takes @fd. */
	void reset(int fd = -1) noexcept;

private:
	int fd_ = -1;
};

class IOBMD_API task final {
public:
	static constexpr const char *kDefaultPath = "/dev/iobmd";

	/*
	 * Opens @path (close-on-exec) and checks it speaks ABI 1.  Null on
	 * failure: kIOReturnNotFound (no such node: module not loaded),
	 * kIOReturnNotPrivileged, kIOReturnUnsupported (not iobmd, or
	 * another ABI major version).
	 */
	[[nodiscard]] static OSSharedPtr<task> open(const char *path = kDefaultPath) noexcept;

	/* Lives only behind a task_t: descriptors hold it and the file
	 * their handles belong to, which a move would take from under them. */
	task(const task &) = delete;
	task &operator=(const task &) = delete;
	task(task &&) = delete;
	task &operator=(task &&) = delete;
	~task();

	/* The open file. */
	int fd() const noexcept;
	/* The C core's device, for calls of <iobmd/iobmd.h> on this task. */
	struct ::iobmd_dev *dev() const noexcept;
	/* The module's page size, ABI version, features and capacity limit. */
	std::uint32_t pageSize() const noexcept;
	std::uint32_t abiMajor() const noexcept;
	std::uint32_t abiMinor() const noexcept;
	std::uint64_t features() const noexcept;
	std::uint64_t maxCapacity() const noexcept;
	/*
	 * Whether this process opened it.  After fork() the child shares the
	 * file; objects the child inherited then leave the parent's handles
	 * alone when they are destroyed.
	 */
	bool isOwner() const noexcept;

private:
	task();

	/* Its data, the library's own: the layout can change without
	 * changing the ABI. */
	struct data;
	data *d_;
};

using task_t = OSSharedPtr<task>;

/* The process's default task; null (and lastError()) when it cannot be
 * opened.  A later call tries again. */
[[nodiscard]] IOBMD_API task_t current_task() noexcept;

/* IOKit's kernel_task: converts to current_task(). */
struct kernel_task_t {
	operator task_t() const noexcept { return current_task(); }
};
inline constexpr kernel_task_t kernel_task{};

/* IOKit's vm_map_t, the address space a source address lies in: every
 * task's is this process's, so a task names it. */
using vm_map_t = task_t;

inline vm_map_t get_task_map(const task_t &t) noexcept
{
	return t;
}

} // namespace iobmd

#endif /* IOBMD_TASK_HPP */

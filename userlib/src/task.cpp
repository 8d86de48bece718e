// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd C++ library: unique_fd, the task (an open /dev/iobmd) and the
 * process's default task.
 */
#include <cerrno>
#include <mutex>
#include <utility>

#include <pthread.h>
#include <unistd.h>

#include "internal.hpp"

namespace iobmd {

unique_fd::unique_fd(unique_fd &&other) noexcept : fd_(other.release())
{
}

unique_fd &unique_fd::operator=(unique_fd &&other) noexcept
{
	if (this != &other)
		reset(other.release());
	return *this;
}

unique_fd::~unique_fd()
{
	reset();
}

int unique_fd::release() noexcept
{
	return std::exchange(fd_, -1);
}

void unique_fd::reset(int fd) noexcept
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = fd;
}

OSSharedPtr<task> task::open(const char *path) noexcept
{
	return detail::guarded(OSSharedPtr<task>{}, [&]() -> OSSharedPtr<task> {
		if (!path) {
			detail::fail(EINVAL);
			return nullptr;
		}
		OSSharedPtr<task> t(new task());
		int err = -iobmd_dev_open(path, 0, &t->dev_);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		t->pid_ = ::getpid();

		iobmd_version v{};
		v.size = sizeof(v);
		err = -iobmd_dev_version(t->dev_, &v);
		if (err) {
			/* Not the iobmd device. */
			detail::fail(err == ENOTTY || err == EINVAL ? EPROTO : err);
			return nullptr;
		}
		if (v.abi_major != IOBMD_ABI_MAJOR) {
			detail::fail(EPROTO);
			return nullptr;
		}
		t->page_size_ = v.page_size;
		t->abi_major_ = v.abi_major;
		t->abi_minor_ = v.abi_minor;
		t->features_ = v.features;
		t->max_capacity_ = v.max_capacity;
		detail::succeed();
		return t;
	});
}

task::~task()
{
	iobmd_dev_close(dev_);
}

int task::fd() const noexcept
{
	return dev_ ? iobmd_dev_fd(dev_) : -1;
}

bool task::isOwner() const noexcept
{
	return dev_ && pid_ == ::getpid();
}

namespace {

std::mutex default_task_lock;
task_t default_task; /* default_task_lock */

/*
 * A fork() while another thread holds default_task_lock would leave it
 * held for good in the child, whose first current_task() would then
 * wait forever: the lock is held across fork() instead.
 */
void lock_for_fork() noexcept
{
	default_task_lock.lock();
}

void unlock_after_fork() noexcept
{
	default_task_lock.unlock();
}

[[maybe_unused]] const int fork_handlers =
	::pthread_atfork(lock_for_fork, unlock_after_fork, unlock_after_fork);

} // namespace

task_t current_task() noexcept
{
	std::lock_guard<std::mutex> lock(default_task_lock);

	/* A forked child gets a file of its own. */
	if (!default_task || !default_task->isOwner())
		default_task = task::open();
	else
		detail::succeed();
	return default_task;
}

namespace detail {

task_t resolve(const task_t &t) noexcept
{
	return t ? t : current_task();
}

int info(const task &t, std::uint32_t handle, iobmd_info &out) noexcept
{
	out = iobmd_info{};
	out.size = sizeof(out);
	return -iobmd_get_info(t.dev(), handle, &out);
}

} // namespace detail

} // namespace iobmd

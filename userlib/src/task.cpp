// SPDX-License-Identifier: MIT
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

struct task::data {
	struct ::iobmd_dev *dev = nullptr;
	std::uint32_t page_size = 0;
	std::uint32_t abi_major = 0;
	std::uint32_t abi_minor = 0;
	std::uint64_t features = 0;
	std::uint64_t max_capacity = 0;
};

task::task() : d_(new data())
{
}

OSSharedPtr<task> task::open(const char *path) noexcept
{
	return detail::guarded(OSSharedPtr<task>{}, [&]() -> OSSharedPtr<task> {
		if (!path) {
			detail::fail(EINVAL);
			return nullptr;
		}
		OSSharedPtr<task> t(new task());
		int err = -iobmd_dev_open(path, 0, &t->d_->dev);
		if (err) {
			detail::fail(err);
			return nullptr;
		}

		iobmd_version v{};
		v.size = sizeof(v);
		err = -iobmd_dev_version(t->d_->dev, &v);
		if (err) {
			/* Not the iobmd device. */
			detail::fail(err == ENOTTY || err == EINVAL ? EPROTO : err);
			return nullptr;
		}
		if (v.abi_major != IOBMD_ABI_MAJOR) {
			detail::fail(EPROTO);
			return nullptr;
		}
		t->d_->page_size = v.page_size;
		t->d_->abi_major = v.abi_major;
		t->d_->abi_minor = v.abi_minor;
		t->d_->features = v.features;
		t->d_->max_capacity = v.max_capacity;
		detail::succeed();
		return t;
	});
}

task::~task()
{
	iobmd_dev_close(d_->dev);
	delete d_;
}

struct ::iobmd_dev *task::dev() const noexcept
{
	return d_->dev;
}

int task::fd() const noexcept
{
	return d_->dev ? iobmd_dev_fd(d_->dev) : -1;
}

std::uint32_t task::pageSize() const noexcept
{
	return d_->page_size;
}

std::uint32_t task::abiMajor() const noexcept
{
	return d_->abi_major;
}

std::uint32_t task::abiMinor() const noexcept
{
	return d_->abi_minor;
}

std::uint64_t task::features() const noexcept
{
	return d_->features;
}

std::uint64_t task::maxCapacity() const noexcept
{
	return d_->max_capacity;
}

bool task::isOwner() const noexcept
{
	return d_->dev && !iobmd_dev_owned(d_->dev);
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

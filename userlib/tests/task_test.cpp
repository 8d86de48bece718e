// SPDX-License-Identifier: GPL-2.0
/*
 * The task: an open /dev/iobmd, the default task, unique_fd.
 */
#include <cerrno>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "helpers.hpp"
#include "iobmd.h"

using namespace iobmd;
using namespace iobmd_test;

/* Descriptors hold their task: it can be neither copied nor moved. */
static_assert(!std::is_copy_constructible_v<task>);
static_assert(!std::is_copy_assignable_v<task>);
static_assert(!std::is_move_constructible_v<task>);
static_assert(!std::is_move_assignable_v<task>);
static_assert(!std::is_copy_constructible_v<unique_fd>);
static_assert(std::is_nothrow_move_assignable_v<unique_fd>);
static_assert(!std::is_copy_constructible_v<IOMemoryMap>);
static_assert(std::is_nothrow_move_constructible_v<IOMemoryMap>);
static_assert(!std::is_copy_constructible_v<IOMemoryDescriptor>);

TEST(Task, OpenReportsTheModule)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	EXPECT_GE(t->fd(), 0);
	EXPECT_TRUE(t->isOwner());
	EXPECT_EQ(page(), t->pageSize());
	EXPECT_EQ(static_cast<std::uint32_t>(IOBMD_ABI_MAJOR), t->abiMajor());
	EXPECT_EQ(static_cast<std::uint32_t>(IOBMD_ABI_MINOR), t->abiMinor());
	EXPECT_TRUE(t->features() & IOBMD_FEATURE_HIERARCHY);
	EXPECT_TRUE(t->features() & IOBMD_FEATURE_PREPARE);
	EXPECT_GT(t->maxCapacity(), 0U);
	/* Close-on-exec. */
	EXPECT_TRUE(::fcntl(t->fd(), F_GETFD) & FD_CLOEXEC);
}

TEST(Task, OpenErrors)
{
	EXPECT_FALSE(task::open("/nonexistent/iobmd"));
	EXPECT_RET(kIOReturnNotFound, lastError());

	/* Something that is not iobmd. */
	EXPECT_FALSE(task::open("/dev/null"));
	EXPECT_RET(kIOReturnUnsupported, lastError());
	EXPECT_EQ(EPROTO, lastErrno());

	EXPECT_FALSE(task::open(nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(Task, CurrentTaskIsTheDefault)
{
	task_t a = current_task();
	ASSERT_MADE(a);
	EXPECT_EQ(a, current_task());
	task_t k = kernel_task;
	EXPECT_EQ(a, k);
	EXPECT_EQ(a, get_task_map(a));

	/* A null task, and kernel_task, stand for it. */
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(nullptr, kIODirectionInOut, 64);
	ASSERT_MADE(b);
	EXPECT_EQ(a, b->getTask());
	auto c = IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task, kIODirectionInOut, 64);
	ASSERT_MADE(c);
	EXPECT_EQ(a, c->getTask());
}

TEST(Task, HandlesArePrivateToATask)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 4096);
	ASSERT_MADE(b);
	EXPECT_EQ(t, b->getTask());
	EXPECT_EQ(0, handle_state(*t, b->getHandle()));

	/* A new task holds nothing yet. */
	task_t other = task::open();
	ASSERT_MADE(other);
	EXPECT_EQ(ENOENT, handle_state(*other, b->getHandle()));
}


TEST(Task, UniqueFdOwnsItsDescriptor)
{
	int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(raw, 0);
	{
		unique_fd fd(raw);
		EXPECT_TRUE(fd.isValid());
		unique_fd other(std::move(fd));
		EXPECT_FALSE(fd.isValid());
		EXPECT_EQ(raw, other.get());
	}
	/* Closed with its owner. */
	EXPECT_EQ(-1, ::fcntl(raw, F_GETFD));
	EXPECT_EQ(EBADF, errno);

	raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(raw, 0);
	{
		unique_fd fd(raw);
		int given = fd.release();
		EXPECT_EQ(raw, given);
		EXPECT_FALSE(fd.isValid());
	}
	/* Released: still open. */
	EXPECT_NE(-1, ::fcntl(raw, F_GETFD));
	unique_fd adopt;
	adopt.reset(raw);
	adopt.reset();
	EXPECT_EQ(-1, ::fcntl(raw, F_GETFD));
}

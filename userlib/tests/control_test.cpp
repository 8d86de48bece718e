// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd::control, the control plane over generic netlink, against the real
 * module: the family resolves, stats and the descriptor list follow what
 * the test makes, limits round-trip and refusals carry the module's
 * message, events arrive in order, the privileged calls need
 * CAP_SYS_ADMIN, and where the family does not resolve open() says ENOENT.
 */
#include <cerrno>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include <linux/capability.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iobmd/control.hpp>

#include "helpers.hpp"
#include "iobmd.h"
#include "iobmd_netlink.h"

using namespace iobmd;
using namespace iobmd_test;

static_assert(!std::is_copy_constructible_v<control>);
static_assert(std::is_nothrow_move_constructible_v<control>);
static_assert(std::is_nothrow_move_assignable_v<control>);

namespace {

/* The descriptor of @pid that was made last, or nullptr. */
const control_desc *newest(const std::vector<control_desc> &v, pid_t pid)
{
	const control_desc *found = nullptr;

	for (const auto &d : v)
		if (d.pid == static_cast<std::uint32_t>(pid))
			found = &d;
	return found;
}

/* Puts the limits back as they were, whatever a test did. */
class limits_guard {
public:
	limits_guard()
	{
		EXPECT_FALSE(ctl_.open());
		EXPECT_FALSE(ctl_.get_limits(saved_));
	}
	~limits_guard() { EXPECT_FALSE(ctl_.set_limits(saved_)); }
	limits_guard(const limits_guard &) = delete;
	limits_guard &operator=(const limits_guard &) = delete;
	const control_limits &saved() const { return saved_; }

private:
	control ctl_;
	control_limits saved_;
};

} // namespace

TEST(Control, OpenResolvesTheFamily)
{
	control c;

	EXPECT_FALSE(c.is_open());
	ASSERT_FALSE(c.open());
	EXPECT_TRUE(c.is_open());
	EXPECT_GT(c.family_id(), 0);
	EXPECT_EQ(static_cast<std::uint32_t>(IOBMD_GENL_VERSION), c.family_version());
	EXPECT_GT(c.events_group(), 0U);
	EXPECT_EQ(-1, c.event_fd());
	EXPECT_STREQ("buffer", control::kind_name(IOBMD_KIND_BUFFER));
	EXPECT_STREQ("device", control::kind_name(IOBMD_KIND_DEVICE));
	EXPECT_EQ(nullptr, control::kind_name(0));

	/* Moved from: closed, and the new owner works. */
	control d = std::move(c);
	EXPECT_FALSE(c.is_open());
	control_stats s;
	EXPECT_EQ(std::errc::bad_file_descriptor, c.get_stats(s));
	EXPECT_FALSE(d.get_stats(s));
}

TEST(Control, StatsAndListFollowBuffers)
{
	control c;
	control_stats before, with, after;
	std::vector<control_desc> descs;

	ASSERT_FALSE(c.open());
	ASSERT_FALSE(c.get_stats(before));
	auto b = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut, 1 << 20, 0x00000000FFFFF000ULL);
	ASSERT_MADE(b);
	b->setLength(4096);
	ASSERT_FALSE(c.get_stats(with));
	EXPECT_EQ(before.buffers + 1, with.buffers);
	/* Below 4 GiB: ZONE_DMA32, or ZONE_DMA where that is empty (arm64). */
	if (zone_dma32_present())
		EXPECT_EQ(before.bytes_zone_dma32 + (1 << 20), with.bytes_zone_dma32);
	else
		EXPECT_EQ(before.bytes_zone_dma + (1 << 20), with.bytes_zone_dma);
	EXPECT_EQ(before.bytes_zone_normal, with.bytes_zone_normal);

	ASSERT_FALSE(c.get_descs(descs));
	const control_desc *d = newest(descs, getpid());
	ASSERT_NE(nullptr, d);
	EXPECT_EQ(static_cast<std::uint32_t>(IOBMD_KIND_BUFFER), d->kind);
	EXPECT_EQ(0U, d->uid);
	EXPECT_EQ(4096U, d->length);
	EXPECT_EQ(1U << 20, d->capacity);
	EXPECT_EQ(0x00000000FFFFF000ULL, d->mask);
	EXPECT_EQ(0U, d->prepares);
	EXPECT_EQ(0U, d->maps);

	b.reset();
	ASSERT_FALSE(c.get_stats(after));
	EXPECT_EQ(before.buffers, after.buffers);
	EXPECT_EQ(before.bytes_zone_dma32, after.bytes_zone_dma32);
	EXPECT_EQ(before.bytes_zone_dma, after.bytes_zone_dma);
	ASSERT_FALSE(c.get_descs(descs));
	EXPECT_EQ(nullptr, newest(descs, getpid()));
}

TEST(Control, LimitsRoundTripAndRefusals)
{
	limits_guard guard;
	control c;
	control_limits l, now;

	ASSERT_FALSE(c.open());
	ASSERT_FALSE(c.get_limits(l));
	EXPECT_TRUE(l.task_bytes && l.task_descs && l.total_bytes &&
		    l.total_descs && l.max_capacity);

	/* Only what is given changes. */
	control_limits set;
	set.total_descs = 4321;
	set.task_bytes = 7ULL << 20;
	ASSERT_FALSE(c.set_limits(set));
	ASSERT_FALSE(c.get_limits(now));
	EXPECT_EQ(4321U, *now.total_descs);
	EXPECT_EQ(7ULL << 20, *now.task_bytes);
	EXPECT_EQ(*l.task_descs, *now.task_descs);
	EXPECT_EQ(*l.max_capacity, *now.max_capacity);
	EXPECT_EQ("", c.error_message());

	/* The module's refusals, with its words. */
	EXPECT_EQ(std::errc::invalid_argument, c.set_limits(control_limits{}));
	EXPECT_EQ("no limit given", c.error_message());
	control_limits bad;
	bad.task_descs = 0;
	bad.total_descs = 5;
	EXPECT_EQ(std::errc::invalid_argument, c.set_limits(bad));
	EXPECT_EQ("task_descs must be 1 to 1048575", c.error_message());
	ASSERT_FALSE(c.get_limits(now));
	EXPECT_EQ(4321U, *now.total_descs);
	EXPECT_EQ("", c.error_message());
}

TEST(Control, EventsInOrder)
{
	control c;
	std::vector<control_event> got;
	auto collect = [&](const control_event &e) { got.push_back(e); };

	ASSERT_FALSE(c.open());
	ASSERT_FALSE(c.subscribe());
	ASSERT_GE(c.event_fd(), 0);
	EXPECT_FALSE(c.subscribe()); /* once is enough */
	EXPECT_EQ(std::errc::timed_out, c.wait_events(collect, 0));

	auto b = IOBufferMemoryDescriptor::withCapacity(3 * page() + 5,
							 kIODirectionOut);
	ASSERT_MADE(b);
	auto s = IOSubMemoryDescriptor::withSubRange(b.get(), 1, 2,
						     kIODirectionOut);
	ASSERT_MADE(s);
	s.reset();
	b.reset();
	while (got.size() < 4 && !c.wait_events(collect, 5000))
		;
	ASSERT_EQ(4U, got.size());
	EXPECT_EQ(control_event::type::create, got[0].what);
	EXPECT_EQ(static_cast<std::uint32_t>(IOBMD_KIND_BUFFER), got[0].desc.kind);
	EXPECT_EQ(3 * page() + 5, got[0].desc.length);
	EXPECT_EQ(static_cast<std::uint32_t>(getpid()), got[0].desc.pid);
	EXPECT_EQ(control_event::type::create, got[1].what);
	EXPECT_EQ(static_cast<std::uint32_t>(IOBMD_KIND_SUB), got[1].desc.kind);
	EXPECT_EQ(2U, got[1].desc.length);
	EXPECT_EQ(control_event::type::release, got[2].what);
	EXPECT_EQ(got[1].desc.id, got[2].desc.id);
	EXPECT_EQ(control_event::type::release, got[3].what);
	EXPECT_EQ(got[0].desc.id, got[3].desc.id);
	EXPECT_EQ(std::errc::timed_out, c.wait_events(collect, 100));
}

TEST(Control, AThrowingCallbackLeavesTheRestQueued)
{
	control c;
	int seen = 0;

	ASSERT_FALSE(c.open());
	ASSERT_FALSE(c.subscribe());
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionOut);
	ASSERT_MADE(b);
	b.reset();
	/* Both events are queued in the socket by now. */
	EXPECT_THROW((void)c.wait_events([](const control_event &) {
			     throw std::runtime_error("first");
		     }, 5000),
		     std::runtime_error);
	EXPECT_FALSE(c.read_events([&](const control_event &e) {
		EXPECT_EQ(control_event::type::release, e.what);
		seen++;
	}));
	EXPECT_EQ(1, seen);
}

TEST(Control, PrivilegedCallsNeedSysAdmin)
{
	limits_guard guard;
	without_capability no_admin(CAP_SYS_ADMIN);
	control c;
	control_stats s;
	control_limits l;

	/* Opened without the capability: reading works ... */
	ASSERT_FALSE(c.open());
	EXPECT_FALSE(c.get_stats(s));
	EXPECT_FALSE(c.get_limits(l));
	/* ... changing limits and listening do not. */
	control_limits set;
	set.total_descs = 1;
	EXPECT_EQ(std::errc::operation_not_permitted, c.set_limits(set));
	EXPECT_EQ("changing limits needs CAP_SYS_ADMIN", c.error_message());
	EXPECT_EQ(std::errc::operation_not_permitted, c.subscribe());
	EXPECT_EQ(-1, c.event_fd());
	control_limits now;
	ASSERT_FALSE(c.get_limits(now));
	EXPECT_EQ(*guard.saved().total_descs, *now.total_descs);
}

TEST(Control, FamilyNotFoundInAnotherNetworkNamespace)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The module serves the initial namespace only. */
		if (unshare(CLONE_NEWNET))
			_exit(2);
		control c;
		std::error_code ec = c.open();
		_exit(ec == std::errc::no_such_file_or_directory && !c.is_open() ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

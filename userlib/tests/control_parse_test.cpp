// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane's reading of the module's answers, on answers made
 * here: a figure every module sends is required (its absence, or a wrong
 * size, is EPROTO), one a newer module added is unknown when an older
 * module leaves it out, and nothing missing ever reads as 0.  Then
 * control::open() when allocations fail: ENOMEM, never a terminate.
 */
#include <cerrno>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <iobmd/control.hpp>

#include "../src/control_parse.hpp"
#include "iobmd_netlink.h"

using namespace iobmd;

namespace {

/* Attributes as a message of the module would carry them, parsed back. */
class answer {
public:
	answer() : msg_(nlmsg_alloc()) {}
	~answer() { nlmsg_free(msg_); }
	answer(const answer &) = delete;
	answer &operator=(const answer &) = delete;

	answer &u64(int type, std::uint64_t v)
	{
		EXPECT_EQ(0, nla_put_u64(msg_, type, v));
		return *this;
	}
	answer &u32(int type, std::uint32_t v)
	{
		EXPECT_EQ(0, nla_put_u32(msg_, type, v));
		return *this;
	}
	/* The attribute table the parsers take. */
	nlattr **table()
	{
		std::fill(std::begin(tb_), std::end(tb_), nullptr);
		EXPECT_EQ(0, nla_parse(tb_, IOBMD_A_MAX,
				       static_cast<nlattr *>(nlmsg_data(nlmsg_hdr(msg_))),
				       static_cast<int>(nlmsg_datalen(nlmsg_hdr(msg_))),
				       nullptr));
		return tb_;
	}

private:
	nl_msg *msg_;
	nlattr *tb_[IOBMD_A_MAX + 1] = {};
};

/* Every limit but @skip (0: none), each set to its type number. */
void put_limits(answer &a, int skip)
{
	for (int t : { IOBMD_A_LIMIT_TASK_BYTES, IOBMD_A_LIMIT_TASK_DESCS,
		       IOBMD_A_LIMIT_TOTAL_BYTES, IOBMD_A_LIMIT_TOTAL_DESCS,
		       IOBMD_A_LIMIT_MAX_CAPACITY, IOBMD_A_LIMIT_USER_BYTES,
		       IOBMD_A_LIMIT_USER_DESCS, IOBMD_A_LIMIT_USER_ZONE_DMA })
		if (t != skip)
			a.u64(t, static_cast<std::uint64_t>(t));
}

/* A descriptor of ABI 1.0: every attribute but the exports; minus @skip. */
void put_desc_1_0(answer &a, int skip)
{
	const std::pair<int, bool> attrs[] = {
		{ IOBMD_A_DESC_ID, true },	 { IOBMD_A_DESC_PID, false },
		{ IOBMD_A_DESC_UID, false },	 { IOBMD_A_DESC_KIND, false },
		{ IOBMD_A_DESC_LENGTH, true },	 { IOBMD_A_DESC_CAPACITY, true },
		{ IOBMD_A_DESC_MASK, true },	 { IOBMD_A_DESC_OPTIONS, false },
		{ IOBMD_A_DESC_PREPARES, false }, { IOBMD_A_DESC_MAPS, false },
	};

	for (const auto &[t, wide] : attrs) {
		if (t == skip)
			continue;
		if (wide)
			a.u64(t, 100 + static_cast<std::uint64_t>(t));
		else
			a.u32(t, 100 + static_cast<std::uint32_t>(t));
	}
}

/* The user's figures, and the module-wide ones of ABI 1.0 but @skip. */
void put_stats_1_0(answer &a, int skip)
{
	a.u64(IOBMD_A_STATS_USER_DESCS, 1)
		.u64(IOBMD_A_STATS_USER_BYTES, 1)
		.u64(IOBMD_A_STATS_USER_ZONE_DMA, 1);
	for (int t = IOBMD_A_STATS_BUFFERS; t <= IOBMD_A_STATS_ALLOC_FAILURES; t++)
		if (t != skip)
			a.u64(t, 7);
}

} // namespace

/* An older module without user_zone_dma: unknown, not "no limit". */
TEST(ControlParse, AMissingLimitIsUnknown)
{
	answer a;
	control_limits l;

	put_limits(a, IOBMD_A_LIMIT_USER_ZONE_DMA);
	ASSERT_EQ(0, detail::parse_limits(a.table(), &l));
	EXPECT_FALSE(l.user_zone_dma.has_value());
	ASSERT_TRUE(l.task_bytes.has_value());
	EXPECT_EQ(static_cast<std::uint64_t>(IOBMD_A_LIMIT_TASK_BYTES), *l.task_bytes);
	ASSERT_TRUE(l.user_descs.has_value());
	EXPECT_EQ(static_cast<std::uint64_t>(IOBMD_A_LIMIT_USER_DESCS), *l.user_descs);
}

TEST(ControlParse, ALimitOfTheWrongSizeIsMalformed)
{
	answer a;
	control_limits l;

	put_limits(a, IOBMD_A_LIMIT_TOTAL_DESCS);
	a.u32(IOBMD_A_LIMIT_TOTAL_DESCS, 5);
	EXPECT_EQ(-EPROTO, detail::parse_limits(a.table(), &l));
}

TEST(ControlParse, StatsForAnyoneAndForTheAdministrator)
{
	answer user, v1_0, v1_1, broken;
	control_stats s;

	/* Without CAP_SYS_ADMIN: the user's own figures only. */
	user.u64(IOBMD_A_STATS_USER_DESCS, 3)
		.u64(IOBMD_A_STATS_USER_BYTES, 8192)
		.u64(IOBMD_A_STATS_USER_ZONE_DMA, 0);
	ASSERT_EQ(0, detail::parse_stats(user.table(), &s));
	EXPECT_FALSE(s.all);
	EXPECT_EQ(3u, s.user_descs);
	EXPECT_EQ(8192u, s.user_bytes);
	EXPECT_FALSE(s.exports.has_value());

	/* A module of ABI 1.0 gives no dma-buf figures: unknown. */
	put_stats_1_0(v1_0, 0);
	s = {};
	ASSERT_EQ(0, detail::parse_stats(v1_0.table(), &s));
	EXPECT_TRUE(s.all);
	EXPECT_EQ(7u, s.prepares);
	EXPECT_FALSE(s.dmabufs.has_value());
	EXPECT_FALSE(s.exports.has_value());

	put_stats_1_0(v1_1, 0);
	v1_1.u64(IOBMD_A_STATS_DMABUFS, 0).u64(IOBMD_A_STATS_EXPORTS, 2);
	s = {};
	ASSERT_EQ(0, detail::parse_stats(v1_1.table(), &s));
	ASSERT_TRUE(s.dmabufs.has_value());
	EXPECT_EQ(0u, *s.dmabufs);
	ASSERT_TRUE(s.exports.has_value());
	EXPECT_EQ(2u, *s.exports);

	/* A module-wide answer without one of its 1.0 figures. */
	put_stats_1_0(broken, IOBMD_A_STATS_MAPPINGS);
	EXPECT_EQ(-EPROTO, detail::parse_stats(broken.table(), &s));
}

TEST(ControlParse, Descriptors)
{
	answer v1_0, v1_1, no_id;
	std::vector<control_desc> v;
	control_desc d;

	put_desc_1_0(v1_0, 0);
	ASSERT_EQ(0, detail::fill_desc(v1_0.table(), d));
	EXPECT_EQ(100u + IOBMD_A_DESC_ID, d.id);
	EXPECT_EQ(100u + IOBMD_A_DESC_MAPS, d.maps);
	EXPECT_FALSE(d.exports.has_value());

	put_desc_1_0(v1_1, 0);
	v1_1.u32(IOBMD_A_DESC_EXPORTS, 4);
	ASSERT_EQ(0, detail::parse_desc(v1_1.table(), &v));
	ASSERT_EQ(1u, v.size());
	ASSERT_TRUE(v[0].exports.has_value());
	EXPECT_EQ(4u, *v[0].exports);

	put_desc_1_0(no_id, IOBMD_A_DESC_ID);
	EXPECT_EQ(-EPROTO, detail::parse_desc(no_id.table(), &v));
	EXPECT_EQ(1u, v.size());
}

namespace {

/* Allocations through operator new left before one fails; < 0: none fails. */
thread_local long allocations_before_failure = -1;

} // namespace

/*
 * The replacements pair malloc() with free(); inlined at -O1 and above,
 * GCC takes the pair for a mismatch of new and free.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void *operator new(std::size_t n)
{
	if (allocations_before_failure == 0) {
		allocations_before_failure = -1;
		throw std::bad_alloc();
	}
	if (allocations_before_failure > 0)
		allocations_before_failure--;
	if (void *p = std::malloc(n ? n : 1))
		return p;
	throw std::bad_alloc();
}

void operator delete(void *p) noexcept
{
	std::free(p);
}

void operator delete(void *p, std::size_t) noexcept
{
	std::free(p);
}

#pragma GCC diagnostic pop

/*
 * open() is noexcept: whichever of its allocations fails, it answers
 * ENOMEM (or, once none fails, whatever the machine gives: success where
 * the module is loaded).
 */
TEST(ControlParse, OpenWhenAllocationsFail)
{
	bool reached_the_end = false;

	for (long k = 0; k < 64 && !reached_the_end; k++) {
		control c;

		allocations_before_failure = k;
		auto ec = c.open();
		reached_the_end = allocations_before_failure != -1;
		allocations_before_failure = -1;
		if (!reached_the_end) {
			EXPECT_EQ(ENOMEM, ec.value()) << "allocation " << k;
		}
	}
	EXPECT_TRUE(reached_the_end);
}

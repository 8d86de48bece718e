// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library, control plane: the module's answers, by table
 * (control_parse.hpp).
 */
#include "control_parse.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <optional>
#include <vector>

#include <linux/genetlink.h>

#include "iobmd_netlink.h"

namespace iobmd::detail {

namespace {

/*
 * Where attribute @type goes in an S: a required member (@u64 or @u32) or
 * an optional one (@opt); @width is the attribute's size in bytes.
 */
template <typename S>
struct field {
	int type;
	unsigned int width;
	std::uint64_t S::*u64 = nullptr;
	std::uint32_t S::*u32 = nullptr;
	std::optional<std::uint64_t> S::*opt = nullptr;
};

template <typename S>
constexpr field<S> req64(int type, std::uint64_t S::*m)
{
	return { type, 8, m, nullptr, nullptr };
}

template <typename S>
constexpr field<S> req32(int type, std::uint32_t S::*m)
{
	return { type, 4, nullptr, m, nullptr };
}

template <typename S>
constexpr field<S> opt(int type, unsigned int width,
		       std::optional<std::uint64_t> S::*m)
{
	return { type, width, nullptr, nullptr, m };
}

/* Fills @out from @tb as @table says: 0, or -EPROTO. */
template <typename S, std::size_t N>
int fill(nlattr **tb, S &out, const field<S> (&table)[N]) noexcept
{
	for (const auto &f : table) {
		nlattr *a = tb[f.type];

		if (!a) {
			if (f.opt)
				continue;
			return -EPROTO;
		}
		if (nla_len(a) != static_cast<int>(f.width))
			return -EPROTO;
		std::uint64_t v = f.width == 8 ? nla_get_u64(a) : nla_get_u32(a);
		if (f.u64)
			out.*f.u64 = v;
		else if (f.u32)
			out.*f.u32 = static_cast<std::uint32_t>(v);
		else
			out.*f.opt = v;
	}
	return 0;
}

using S = control_stats;
using D = control_desc;
using L = control_limits;

/* What any asker is told: its own user's figures. */
const field<S> user_fields[] = {
	req64<S>(IOBMD_A_STATS_USER_DESCS, &S::user_descs),
	req64<S>(IOBMD_A_STATS_USER_BYTES, &S::user_bytes),
	req64<S>(IOBMD_A_STATS_USER_ZONE_DMA, &S::user_zone_dma),
};

/* The module-wide figures, given with CAP_SYS_ADMIN. */
const field<S> module_fields[] = {
	req64<S>(IOBMD_A_STATS_BUFFERS, &S::buffers),
	req64<S>(IOBMD_A_STATS_GENERALS, &S::generals),
	req64<S>(IOBMD_A_STATS_SUBS, &S::subs),
	req64<S>(IOBMD_A_STATS_MULTIS, &S::multis),
	req64<S>(IOBMD_A_STATS_INTERLEAVEDS, &S::interleaveds),
	req64<S>(IOBMD_A_STATS_DEVICES, &S::devices),
	req64<S>(IOBMD_A_STATS_BYTES_ZONE_DMA, &S::bytes_zone_dma),
	req64<S>(IOBMD_A_STATS_BYTES_ZONE_DMA32, &S::bytes_zone_dma32),
	req64<S>(IOBMD_A_STATS_BYTES_ZONE_NORMAL, &S::bytes_zone_normal),
	req64<S>(IOBMD_A_STATS_BYTES_COHERENT, &S::bytes_coherent),
	req64<S>(IOBMD_A_STATS_BYTES_PINNED, &S::bytes_pinned),
	req64<S>(IOBMD_A_STATS_BYTES_DEVICE, &S::bytes_device),
	req64<S>(IOBMD_A_STATS_MAPPINGS, &S::mappings),
	req64<S>(IOBMD_A_STATS_PREPARES, &S::prepares),
	req64<S>(IOBMD_A_STATS_ALLOC_FAILURES, &S::alloc_failures),
	/* Since ABI 1.1. */
	opt<S>(IOBMD_A_STATS_DMABUFS, 8, &S::dmabufs),
	opt<S>(IOBMD_A_STATS_EXPORTS, 8, &S::exports),
};

const field<D> desc_fields[] = {
	req64<D>(IOBMD_A_DESC_ID, &D::id),
	req32<D>(IOBMD_A_DESC_PID, &D::pid),
	req32<D>(IOBMD_A_DESC_UID, &D::uid),
	req32<D>(IOBMD_A_DESC_KIND, &D::kind),
	req64<D>(IOBMD_A_DESC_LENGTH, &D::length),
	req64<D>(IOBMD_A_DESC_CAPACITY, &D::capacity),
	req64<D>(IOBMD_A_DESC_MASK, &D::mask),
	req32<D>(IOBMD_A_DESC_OPTIONS, &D::options),
	req32<D>(IOBMD_A_DESC_PREPARES, &D::prepares),
	req32<D>(IOBMD_A_DESC_MAPS, &D::maps),
	/* Since ABI 1.1. */
	opt<D>(IOBMD_A_DESC_EXPORTS, 4, &D::exports),
};

/* Limits are all optional: one an older module lacks is unknown. */
const field<L> limit_fields[] = {
	opt<L>(IOBMD_A_LIMIT_TASK_BYTES, 8, &L::task_bytes),
	opt<L>(IOBMD_A_LIMIT_TASK_DESCS, 8, &L::task_descs),
	opt<L>(IOBMD_A_LIMIT_TOTAL_BYTES, 8, &L::total_bytes),
	opt<L>(IOBMD_A_LIMIT_TOTAL_DESCS, 8, &L::total_descs),
	opt<L>(IOBMD_A_LIMIT_MAX_CAPACITY, 8, &L::max_capacity),
	opt<L>(IOBMD_A_LIMIT_USER_BYTES, 8, &L::user_bytes),
	opt<L>(IOBMD_A_LIMIT_USER_DESCS, 8, &L::user_descs),
	opt<L>(IOBMD_A_LIMIT_USER_ZONE_DMA, 8, &L::user_zone_dma),
};

} // namespace

int parse_family(nlattr **tb, void *arg)
{
	auto *f = static_cast<family_info *>(arg);
	nlattr *grp;
	int rem;

	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -EPROTO;
	f->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	f->version = tb[CTRL_ATTR_VERSION] ? nla_get_u32(tb[CTRL_ATTR_VERSION]) : 0;
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	nla_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		nlattr *g[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};

		if (nla_parse_nested(g, CTRL_ATTR_MCAST_GRP_MAX, grp, nullptr) < 0 ||
		    !g[CTRL_ATTR_MCAST_GRP_NAME] || !g[CTRL_ATTR_MCAST_GRP_ID])
			continue;
		if (!std::strcmp(nla_get_string(g[CTRL_ATTR_MCAST_GRP_NAME]),
				 IOBMD_GENL_MCGRP_EVENTS)) {
			f->group = nla_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
			f->have_group = true;
		}
	}
	return 0;
}

int parse_stats(nlattr **tb, void *arg)
{
	auto *s = static_cast<control_stats *>(arg);
	int ret = fill(tb, *s, user_fields);

	s->all = tb[IOBMD_A_STATS_BUFFERS] != nullptr;
	if (!ret && s->all)
		ret = fill(tb, *s, module_fields);
	return ret;
}

int fill_desc(nlattr **tb, control_desc &d) noexcept
{
	return fill(tb, d, desc_fields);
}

int parse_desc(nlattr **tb, void *arg)
{
	auto *v = static_cast<std::vector<control_desc> *>(arg);
	control_desc d;
	int ret = fill_desc(tb, d);

	if (ret)
		return ret;
	try {
		v->push_back(d);
	} catch (...) {
		return -ENOMEM;
	}
	return 0;
}

int parse_limits(nlattr **tb, void *arg)
{
	return fill(tb, *static_cast<control_limits *>(arg), limit_fields);
}

} // namespace iobmd::detail

/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library, control plane: the module's answers into the
 * library's structs, by table, not exported.
 *
 * An attribute every version of the module sends is required: a message
 * without it, or with it at the wrong size, is malformed (-EPROTO), never
 * read as 0.  One a newer module added fills a std::optional member that
 * stays empty ("unknown") when an older module does not send it.
 */
#ifndef IOBMD_SRC_CONTROL_PARSE_HPP
#define IOBMD_SRC_CONTROL_PARSE_HPP

#include <cstdint>

#include <netlink/attr.h>

#include "iobmd/control.hpp"

namespace iobmd::detail {

/* The family, from the generic netlink controller's answer. */
struct family_info {
	int id = 0;
	std::uint32_t version = 0;
	std::uint32_t group = 0;
	bool have_group = false;
};

/*
 * Each takes the answer's attributes @tb (indexed by type) and what the
 * request asked to be filled (@arg); 0 or a negative errno.
 */
int parse_family(nlattr **tb, void *arg);  /* struct family_info */
int parse_stats(nlattr **tb, void *arg);   /* control_stats */
int parse_desc(nlattr **tb, void *arg);    /* std::vector<control_desc>: one more */
int parse_limits(nlattr **tb, void *arg);  /* control_limits */

/* One descriptor of a dump or an event. */
int fill_desc(nlattr **tb, control_desc &d) noexcept;

} // namespace iobmd::detail

#endif /* IOBMD_SRC_CONTROL_PARSE_HPP */

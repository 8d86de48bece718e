/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library, control plane: the generic netlink transport (one
 * request and its answers, through libnl's callback loop), not exported.
 */
#ifndef IOBMD_SRC_CONTROL_TRANSPORT_HPP
#define IOBMD_SRC_CONTROL_TRANSPORT_HPP

#include <cstdint>
#include <string>
#include <system_error>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

namespace iobmd::detail {

std::error_code errno_code(int err) noexcept;
/* libnl's error codes as errnos, for failures that are not the kernel's. */
int nle_to_errno(int nle) noexcept;

/*
 * One request in flight.  @parse turns each answer of command @cmd into
 * the caller's data; it runs inside libnl's callback, so it must not
 * throw, and reports failure as a negative errno.
 */
struct request {
	int err = 1; /* 1: waiting; 0: done; < 0: -errno */
	int parse_err = 0;
	std::uint8_t cmd = 0;
	int (*parse)(nlattr **tb, void *arg) = nullptr;
	void *arg = nullptr;
	int maxattr = 0;
	std::string *message = nullptr;
};

/*
 * Sends @msg (taking it) and runs the answers through @r: 0, or the
 * kernel's negative errno with its extended-ack message in *@r.message.
 */
int transact(nl_sock *sk, nl_msg *msg, request &r);

/* A connected generic netlink socket that reports extended acks. */
std::error_code connect_socket(nl_sock **out) noexcept;

} // namespace iobmd::detail

#endif /* IOBMD_SRC_CONTROL_TRANSPORT_HPP */

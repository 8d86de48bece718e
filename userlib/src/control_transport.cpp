// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library, control plane: the generic netlink transport.
 *
 * Requests go out on one socket and are answered through libnl's callback
 * loop, with custom handlers so that the kernel's errno and extended-ack
 * message reach the caller unchanged (libnl's own error codes lose both).
 */
#include "control_transport.hpp"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>

#include "iobmd_netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace iobmd::detail {

std::error_code errno_code(int err) noexcept
{
	return {err, std::generic_category()};
}

/* libnl's error codes, for the few failures that do not come from the
 * kernel's answer (socket setup, receiving). */
int nle_to_errno(int nle) noexcept
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_INTR:
		return EINTR;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_PROTO_MISMATCH:
	case NLE_AF_NOSUPPORT:
		return EPROTONOSUPPORT;
	case NLE_MSGSIZE:
		return EMSGSIZE;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_INVAL:
		return EINVAL;
	default:
		return EIO;
	}
}

/* The NLMSGERR_ATTR_MSG of extended-ack attributes, into @out. */
static void take_extack(const void *tlvs, int len, std::string *out) noexcept
{
	nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};

	if (len <= 0 ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX,
		      static_cast<nlattr *>(const_cast<void *>(tlvs)), len,
		      nullptr) < 0 ||
	    !tb[NLMSGERR_ATTR_MSG])
		return;
	const char *s = static_cast<const char *>(nla_data(tb[NLMSGERR_ATTR_MSG]));
	try {
		out->assign(s, strnlen(s, nla_len(tb[NLMSGERR_ATTR_MSG])));
	} catch (...) {
		out->clear();
	}
}

static int on_valid(nl_msg *msg, void *arg)
{
	auto *r = static_cast<request *>(arg);
	nlmsghdr *nlh = nlmsg_hdr(msg);
	auto *gnlh = static_cast<genlmsghdr *>(nlmsg_data(nlh));
	nlattr *tb[IOBMD_A_MAX > CTRL_ATTR_MAX ? IOBMD_A_MAX + 1 : CTRL_ATTR_MAX + 1] = {};

	if (!r->parse || r->parse_err)
		return NL_SKIP;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN || gnlh->cmd != r->cmd)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, r->maxattr, nullptr) < 0) {
		r->parse_err = -EPROTO;
		return NL_SKIP;
	}
	r->parse_err = r->parse(tb, r->arg);
	return NL_OK;
}

static int on_error(sockaddr_nl *, nlmsgerr *e, void *arg)
{
	auto *r = static_cast<request *>(arg);
	auto *nlh = reinterpret_cast<nlmsghdr *>(reinterpret_cast<char *>(e) -
						 NLMSG_HDRLEN);

	r->err = e->error < 0 ? e->error : -EPROTO;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		std::size_t off = sizeof(*e);
		std::size_t total = nlh->nlmsg_len - NLMSG_HDRLEN;

		/* Without NETLINK_CAP_ACK the request comes back first. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		if (off < total)
			take_extack(reinterpret_cast<char *>(e) + off,
				    static_cast<int>(total - off), r->message);
	}
	return NL_STOP;
}

static int on_ack(nl_msg *, void *arg)
{
	static_cast<request *>(arg)->err = 0;
	return NL_STOP;
}

/* NLMSG_DONE ends a dump; it carries the dump's error, if any. */
static int on_finish(nl_msg *msg, void *arg)
{
	auto *r = static_cast<request *>(arg);
	nlmsghdr *nlh = nlmsg_hdr(msg);
	int error = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		std::memcpy(&error, nlmsg_data(nlh), sizeof(int));
	r->err = error < 0 ? error : 0;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS &&
	    nlh->nlmsg_len > NLMSG_HDRLEN + sizeof(int))
		take_extack(static_cast<char *>(nlmsg_data(nlh)) + sizeof(int),
			    static_cast<int>(nlh->nlmsg_len - NLMSG_HDRLEN -
					     sizeof(int)),
			    r->message);
	return NL_STOP;
}

/* Sends @msg (taking it) and runs the answers through @r. */
int transact(nl_sock *sk, nl_msg *msg, request &r)
{
	nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int ret;

	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);

	ret = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		nl_cb_put(cb);
		return -nle_to_errno(ret);
	}
	while (r.err > 0) {
		ret = nl_recvmsgs(sk, cb);
		if (ret < 0 && r.err > 0)
			r.err = -nle_to_errno(ret);
	}
	nl_cb_put(cb);
	return r.err ? r.err : r.parse_err;
}

/* A connected generic netlink socket that reports extended acks. */
std::error_code connect_socket(nl_sock **out) noexcept
{
	nl_sock *sk = nl_socket_alloc();
	int one = 1, ret;

	if (!sk)
		return errno_code(ENOMEM);
	ret = genl_connect(sk);
	if (ret < 0) {
		nl_socket_free(sk);
		return errno_code(nle_to_errno(ret));
	}
	/* Best effort: older kernels answer without the message. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	nl_socket_enable_msg_peek(sk);
	*out = sk;
	return {};
}

} // namespace iobmd::detail

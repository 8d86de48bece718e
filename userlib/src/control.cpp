// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd C++ library: the control plane over libnl-genl-3 (control.hpp).
 *
 * Requests go out on one socket and are answered through libnl's callback
 * loop, with custom handlers so that the kernel's errno and extended-ack
 * message reach the caller unchanged (libnl's own error codes lose both).
 * Events arrive on a second socket that only ever receives multicasts;
 * it is read with recv() so that an overrun (ENOBUFS) is seen as such.
 */
#include "iobmd/control.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <new>

#include <poll.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "iobmd_netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace iobmd {

namespace {

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
void take_extack(const void *tlvs, int len, std::string *out) noexcept
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

int on_valid(nl_msg *msg, void *arg)
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

int on_error(sockaddr_nl *, nlmsgerr *e, void *arg)
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

int on_ack(nl_msg *, void *arg)
{
	static_cast<request *>(arg)->err = 0;
	return NL_STOP;
}

/* NLMSG_DONE ends a dump; it carries the dump's error, if any. */
int on_finish(nl_msg *msg, void *arg)
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

std::uint64_t get_u64(nlattr *a) noexcept
{
	return a && nla_len(a) == sizeof(std::uint64_t) ? nla_get_u64(a) : 0;
}

std::uint32_t get_u32(nlattr *a) noexcept
{
	return a && nla_len(a) == sizeof(std::uint32_t) ? nla_get_u32(a) : 0;
}

void fill_desc(nlattr **tb, control_desc &d) noexcept
{
	d.id = get_u64(tb[IOBMD_A_DESC_ID]);
	d.pid = get_u32(tb[IOBMD_A_DESC_PID]);
	d.uid = get_u32(tb[IOBMD_A_DESC_UID]);
	d.kind = get_u32(tb[IOBMD_A_DESC_KIND]);
	d.length = get_u64(tb[IOBMD_A_DESC_LENGTH]);
	d.capacity = get_u64(tb[IOBMD_A_DESC_CAPACITY]);
	d.mask = get_u64(tb[IOBMD_A_DESC_MASK]);
	d.options = get_u32(tb[IOBMD_A_DESC_OPTIONS]);
	d.prepares = get_u32(tb[IOBMD_A_DESC_PREPARES]);
	d.maps = get_u32(tb[IOBMD_A_DESC_MAPS]);
}

struct family_info {
	int id = 0;
	std::uint32_t version = 0;
	std::uint32_t group = 0;
	bool have_group = false;
};

int parse_family(nlattr **tb, void *arg)
{
	auto *f = static_cast<family_info *>(arg);
	nlattr *grp;
	int rem;

	if (!tb[CTRL_ATTR_FAMILY_ID])
		return -EPROTO;
	f->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	f->version = get_u32(tb[CTRL_ATTR_VERSION]);
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

	s->all = tb[IOBMD_A_STATS_BUFFERS] != nullptr;
	s->user_descs = get_u64(tb[IOBMD_A_STATS_USER_DESCS]);
	s->user_bytes = get_u64(tb[IOBMD_A_STATS_USER_BYTES]);
	s->user_zone_dma = get_u64(tb[IOBMD_A_STATS_USER_ZONE_DMA]);
	s->buffers = get_u64(tb[IOBMD_A_STATS_BUFFERS]);
	s->generals = get_u64(tb[IOBMD_A_STATS_GENERALS]);
	s->subs = get_u64(tb[IOBMD_A_STATS_SUBS]);
	s->multis = get_u64(tb[IOBMD_A_STATS_MULTIS]);
	s->interleaveds = get_u64(tb[IOBMD_A_STATS_INTERLEAVEDS]);
	s->devices = get_u64(tb[IOBMD_A_STATS_DEVICES]);
	s->bytes_zone_dma = get_u64(tb[IOBMD_A_STATS_BYTES_ZONE_DMA]);
	s->bytes_zone_dma32 = get_u64(tb[IOBMD_A_STATS_BYTES_ZONE_DMA32]);
	s->bytes_zone_normal = get_u64(tb[IOBMD_A_STATS_BYTES_ZONE_NORMAL]);
	s->bytes_coherent = get_u64(tb[IOBMD_A_STATS_BYTES_COHERENT]);
	s->bytes_pinned = get_u64(tb[IOBMD_A_STATS_BYTES_PINNED]);
	s->bytes_device = get_u64(tb[IOBMD_A_STATS_BYTES_DEVICE]);
	s->mappings = get_u64(tb[IOBMD_A_STATS_MAPPINGS]);
	s->prepares = get_u64(tb[IOBMD_A_STATS_PREPARES]);
	s->alloc_failures = get_u64(tb[IOBMD_A_STATS_ALLOC_FAILURES]);
	return 0;
}

int parse_desc(nlattr **tb, void *arg)
{
	auto *v = static_cast<std::vector<control_desc> *>(arg);
	control_desc d;

	fill_desc(tb, d);
	try {
		v->push_back(d);
	} catch (...) {
		return -ENOMEM;
	}
	return 0;
}

int parse_limits(nlattr **tb, void *arg)
{
	auto *l = static_cast<control_limits *>(arg);

	l->task_bytes = get_u64(tb[IOBMD_A_LIMIT_TASK_BYTES]);
	l->task_descs = get_u64(tb[IOBMD_A_LIMIT_TASK_DESCS]);
	l->total_bytes = get_u64(tb[IOBMD_A_LIMIT_TOTAL_BYTES]);
	l->total_descs = get_u64(tb[IOBMD_A_LIMIT_TOTAL_DESCS]);
	l->max_capacity = get_u64(tb[IOBMD_A_LIMIT_MAX_CAPACITY]);
	l->user_bytes = get_u64(tb[IOBMD_A_LIMIT_USER_BYTES]);
	l->user_descs = get_u64(tb[IOBMD_A_LIMIT_USER_DESCS]);
	l->user_zone_dma = get_u64(tb[IOBMD_A_LIMIT_USER_ZONE_DMA]);
	return 0;
}

} // namespace

struct control::impl {
	nl_sock *sk = nullptr; /* requests and their answers */
	nl_sock *ev = nullptr; /* the events group, after subscribe() */
	family_info family;
	bool ready = false; /* the family and its events group resolved */
	std::string message;
	std::vector<char> evbuf; /* one datagram of the events socket */
	std::deque<control_event> pending;

	impl() = default;
	impl(const impl &) = delete;
	impl &operator=(const impl &) = delete;
	~impl()
	{
		if (ev)
			nl_socket_free(ev);
		if (sk)
			nl_socket_free(sk);
	}

	/* A request of the family: command @cmd with @flags. */
	nl_msg *message_for(std::uint8_t cmd, int flags) noexcept
	{
		nl_msg *msg = nlmsg_alloc();

		if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family.id,
					0, flags, cmd, IOBMD_GENL_VERSION)) {
			nlmsg_free(msg);
			msg = nullptr;
		}
		return msg;
	}

	std::error_code run(nl_msg *msg, std::uint8_t cmd,
			    int (*parse)(nlattr **, void *), void *arg,
			    int maxattr = IOBMD_A_MAX) noexcept
	{
		request r;

		message.clear();
		if (!msg)
			return errno_code(ENOMEM);
		r.cmd = cmd;
		r.parse = parse;
		r.arg = arg;
		r.maxattr = maxattr;
		r.message = &message;
		int ret = transact(sk, msg, r);
		return ret ? errno_code(-ret) : std::error_code();
	}
};

control::control() noexcept = default;
control::~control() = default;
control::control(control &&other) noexcept = default;
control &control::operator=(control &&other) noexcept = default;

/* A connected generic netlink socket that reports extended acks. */
static std::error_code connect_socket(nl_sock **out) noexcept
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

std::error_code control::open() noexcept
{
	std::unique_ptr<impl> p(new (std::nothrow) impl);

	if (!p)
		return errno_code(ENOMEM);
	if (auto ec = connect_socket(&p->sk))
		return ec;

	nl_msg *msg = nlmsg_alloc();
	if (msg && (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
				 0, CTRL_CMD_GETFAMILY, 2) ||
		    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, kFamily) < 0)) {
		nlmsg_free(msg);
		msg = nullptr;
	}
	family_info f;
	auto ec = p->run(msg, CTRL_CMD_NEWFAMILY, parse_family, &f,
			 CTRL_ATTR_MAX);
	if (!ec && !f.have_group)
		ec = errno_code(ENOENT);
	p->family = f;
	p->ready = !ec;
	/* Kept on failure too, for error_message(). */
	p_ = std::move(p);
	return ec;
}

bool control::is_open() const noexcept
{
	return p_ && p_->ready;
}

int control::family_id() const noexcept
{
	return is_open() ? p_->family.id : 0;
}

std::uint32_t control::family_version() const noexcept
{
	return is_open() ? p_->family.version : 0;
}

std::uint32_t control::events_group() const noexcept
{
	return is_open() ? p_->family.group : 0;
}

std::error_code control::get_stats(control_stats &out) noexcept
{
	control_stats s;

	if (!is_open())
		return errno_code(EBADF);
	auto ec = p_->run(p_->message_for(IOBMD_CMD_GET_STATS, 0),
			  IOBMD_CMD_GET_STATS, parse_stats, &s);
	if (!ec)
		out = s;
	return ec;
}

std::error_code control::get_descs(std::vector<control_desc> &out) noexcept
{
	std::vector<control_desc> v;

	if (!is_open())
		return errno_code(EBADF);
	auto ec = p_->run(p_->message_for(IOBMD_CMD_GET_DESC, NLM_F_DUMP),
			  IOBMD_CMD_GET_DESC, parse_desc, &v);
	if (!ec)
		out = std::move(v);
	return ec;
}

std::error_code control::get_limits(control_limits &out) noexcept
{
	control_limits l;

	if (!is_open())
		return errno_code(EBADF);
	auto ec = p_->run(p_->message_for(IOBMD_CMD_GET_LIMITS, 0),
			  IOBMD_CMD_GET_LIMITS, parse_limits, &l);
	if (!ec)
		out = l;
	return ec;
}

std::error_code control::set_limits(const control_limits &limits) noexcept
{
	const struct {
		int type;
		const std::optional<std::uint64_t> &value;
	} attrs[] = {
		{ IOBMD_A_LIMIT_TASK_BYTES, limits.task_bytes },
		{ IOBMD_A_LIMIT_TASK_DESCS, limits.task_descs },
		{ IOBMD_A_LIMIT_TOTAL_BYTES, limits.total_bytes },
		{ IOBMD_A_LIMIT_TOTAL_DESCS, limits.total_descs },
		{ IOBMD_A_LIMIT_MAX_CAPACITY, limits.max_capacity },
		{ IOBMD_A_LIMIT_USER_BYTES, limits.user_bytes },
		{ IOBMD_A_LIMIT_USER_DESCS, limits.user_descs },
		{ IOBMD_A_LIMIT_USER_ZONE_DMA, limits.user_zone_dma },
	};

	if (!is_open())
		return errno_code(EBADF);
	nl_msg *msg = p_->message_for(IOBMD_CMD_SET_LIMITS, 0);
	for (const auto &a : attrs) {
		if (msg && a.value && nla_put_u64(msg, a.type, *a.value) < 0) {
			nlmsg_free(msg);
			msg = nullptr;
		}
	}
	return p_->run(msg, IOBMD_CMD_SET_LIMITS, nullptr, nullptr);
}

std::error_code control::subscribe() noexcept
{
	nl_sock *ev = nullptr;
	int group;

	if (!is_open())
		return errno_code(EBADF);
	p_->message.clear();
	if (p_->ev)
		return {};
	try {
		p_->evbuf.resize(65536);
	} catch (...) {
		return errno_code(ENOMEM);
	}
	if (auto ec = connect_socket(&ev))
		return ec;
	nl_socket_disable_seq_check(ev);
	/* Room for bursts; the kernel drops what does not fit (ENOBUFS). */
	nl_socket_set_buffer_size(ev, 1 << 20, 0);
	group = static_cast<int>(p_->family.group);
	if (setsockopt(nl_socket_get_fd(ev), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0 ||
	    nl_socket_set_nonblocking(ev) < 0) {
		int err = errno;

		nl_socket_free(ev);
		return errno_code(err);
	}
	p_->ev = ev;
	return {};
}

int control::event_fd() const noexcept
{
	return is_open() && p_->ev ? nl_socket_get_fd(p_->ev) : -1;
}

std::error_code control::read_events(const std::function<void(const control_event &)> &fn)
{
	int err = 0;
	bool lost = false;

	if (!is_open() || !p_->ev)
		return errno_code(EBADF);
	char *buf = p_->evbuf.data();
	for (;;) {
		ssize_t n = recv(nl_socket_get_fd(p_->ev), buf, p_->evbuf.size(),
				 MSG_DONTWAIT);
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				lost = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				err = errno;
			break;
		}
		len = static_cast<int>(n);
		for (auto *nlh = reinterpret_cast<nlmsghdr *>(buf); nlmsg_ok(nlh, len);
		     nlh = nlmsg_next(nlh, &len)) {
			nlattr *tb[IOBMD_A_MAX + 1] = {};
			control_event e;

			if (nlh->nlmsg_type != p_->family.id ||
			    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
				continue;
			auto *gnlh = static_cast<genlmsghdr *>(nlmsg_data(nlh));
			if (gnlh->cmd == IOBMD_CMD_EVENT_CREATE)
				e.what = control_event::type::create;
			else if (gnlh->cmd == IOBMD_CMD_EVENT_RELEASE)
				e.what = control_event::type::release;
			else
				continue;
			if (genlmsg_parse(nlh, 0, tb, IOBMD_A_MAX, nullptr) < 0)
				continue;
			fill_desc(tb, e.desc);
			try {
				p_->pending.push_back(e);
			} catch (...) {
				err = ENOMEM;
			}
		}
	}
	while (!p_->pending.empty()) {
		control_event e = p_->pending.front();

		p_->pending.pop_front();
		fn(e);
	}
	if (err)
		return errno_code(err);
	return lost ? errno_code(ENOBUFS) : std::error_code();
}

std::error_code control::wait_events(const std::function<void(const control_event &)> &fn,
				     int timeout_ms)
{
	using clock = std::chrono::steady_clock;
	const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
	bool any = false;
	auto count = [&](const control_event &e) {
		any = true;
		fn(e);
	};

	if (!is_open() || !p_->ev)
		return errno_code(EBADF);
	for (;;) {
		int wait = -1;

		if (p_->pending.empty()) {
			if (timeout_ms >= 0) {
				auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
					deadline - clock::now());
				wait = left.count() > 0 ? static_cast<int>(left.count()) : 0;
			}
			pollfd pfd = { nl_socket_get_fd(p_->ev), POLLIN, 0 };
			int ret = poll(&pfd, 1, wait);

			if (ret < 0)
				return errno_code(errno);
			if (ret == 0)
				return std::make_error_code(std::errc::timed_out);
		}
		auto ec = read_events(count);
		if (ec || any)
			return ec;
	}
}

const std::string &control::error_message() const noexcept
{
	static const std::string none;

	return p_ ? p_->message : none;
}

const char *control::kind_name(std::uint32_t kind) noexcept
{
	static const char *const names[] = {
		nullptr, "buffer", "general", "sub", "multi", "interleaved", "device",
		"dmabuf",
	};

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : nullptr;
}

} // namespace iobmd

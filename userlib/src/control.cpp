// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: the control plane over libnl-genl-3 (control.hpp).
 *
 * Requests go through control_transport.cpp and their answers are read by
 * control_parse.cpp's tables.  Events arrive on a second socket that only ever receives multicasts;
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
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "control_parse.hpp"
#include "control_transport.hpp"
#include "iobmd_netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace iobmd {

using detail::errno_code;

struct control::impl {
	nl_sock *sk = nullptr; /* requests and their answers */
	nl_sock *ev = nullptr; /* the events group, after subscribe() */
	detail::family_info family;
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
		detail::request r;

		message.clear();
		if (!msg)
			return errno_code(ENOMEM);
		r.cmd = cmd;
		r.parse = parse;
		r.arg = arg;
		r.maxattr = maxattr;
		r.message = &message;
		int ret = detail::transact(sk, msg, r);
		return ret ? errno_code(-ret) : std::error_code();
	}
};

control::control() noexcept = default;
control::~control() = default;
control::control(control &&other) noexcept = default;
control &control::operator=(control &&other) noexcept = default;

std::error_code control::open() noexcept
{
	std::unique_ptr<impl> p;

	/* Its members may allocate as they are made (std::deque does). */
	try {
		p = std::make_unique<impl>();
	} catch (const std::bad_alloc &) {
		return errno_code(ENOMEM);
	}
	if (auto ec = detail::connect_socket(&p->sk))
		return ec;

	nl_msg *msg = nlmsg_alloc();
	if (msg && (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
				 0, CTRL_CMD_GETFAMILY, 2) ||
		    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, kFamily) < 0)) {
		nlmsg_free(msg);
		msg = nullptr;
	}
	detail::family_info f;
	auto ec = p->run(msg, CTRL_CMD_NEWFAMILY, detail::parse_family, &f,
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
			  IOBMD_CMD_GET_STATS, detail::parse_stats, &s);
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
			  IOBMD_CMD_GET_DESC, detail::parse_desc, &v);
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
			  IOBMD_CMD_GET_LIMITS, detail::parse_limits, &l);
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
	if (auto ec = detail::connect_socket(&ev))
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
			if (genlmsg_parse(nlh, 0, tb, IOBMD_A_MAX, nullptr) < 0 ||
			    detail::fill_desc(tb, e.desc)) {
				err = EPROTO;
				continue;
			}
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

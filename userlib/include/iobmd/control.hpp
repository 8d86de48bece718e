/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: the control plane, the generic netlink family "iobmd"
 * (uapi/iobmd_netlink.h) over libnl-genl-3.
 *
 * A control object asks the module what it holds (get_stats()), who holds
 * it (get_descs()), and which limits it enforces (get_limits(),
 * set_limits()), and receives an event each time a descriptor is created
 * or released (subscribe(), wait_events()).  It needs no access to
 * /dev/iobmd.
 *
 * Every call returns a std::error_code of std::generic_category(), an
 * errno: ENOENT from open() when the family does not resolve (the module
 * is not loaded, or this process is in another network namespace than the
 * initial one, which is the only one the module serves), EPERM when the
 * caller lacks CAP_SYS_ADMIN for set_limits() or subscribe(), EINVAL for
 * a value the module refuses.  error_message() then holds the module's
 * own explanation (netlink extended ack), when it gave one.
 *
 * Without CAP_SYS_ADMIN, get_descs() returns only the descriptors this
 * process created.
 *
 * Nothing the module did not say is reported as 0: an answer that lacks a
 * figure every version of the module sends is malformed (EPROTO), and a
 * figure a newer module added is a std::optional, empty ("unknown") when
 * the module loaded is older than this library.  A control object is not thread-safe; use one per
 * thread.
 */
#ifndef IOBMD_CONTROL_HPP
#define IOBMD_CONTROL_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "export.hpp"

namespace iobmd {

/*
 * IOBMD_CMD_GET_STATS: what this process's user holds now (user_*), and
 * with CAP_SYS_ADMIN (then @all is true) what the whole module holds; the
 * module-wide members are 0 without it.
 */
struct control_stats {
	bool all = false; /* the module-wide members were given */
	/* Charged to this process's real uid, over all its files. */
	std::uint64_t user_descs = 0;
	std::uint64_t user_bytes = 0;
	std::uint64_t user_zone_dma = 0;
	/* Live descriptors of each kind. */
	std::uint64_t buffers = 0;
	std::uint64_t generals = 0;
	std::uint64_t subs = 0;
	std::uint64_t multis = 0;
	std::uint64_t interleaveds = 0;
	std::uint64_t devices = 0;
	/* Bytes: buffer pages by zone, contiguous buffers, pinned user
	 * memory, described device memory. */
	std::uint64_t bytes_zone_dma = 0;
	std::uint64_t bytes_zone_dma32 = 0;
	std::uint64_t bytes_zone_normal = 0;
	std::uint64_t bytes_coherent = 0;
	std::uint64_t bytes_pinned = 0;
	std::uint64_t bytes_device = 0;
	std::uint64_t mappings = 0;	  /* live user mappings */
	std::uint64_t prepares = 0;	  /* descriptors prepared now */
	std::uint64_t alloc_failures = 0; /* since the module loaded */
	/* Since ABI 1.1: descriptors over imported dma-bufs, and live
	 * dma-bufs exported by iobmd. */
	std::optional<std::uint64_t> dmabufs;
	std::optional<std::uint64_t> exports;
};

/* One descriptor, from get_descs() or an event (IOBMD_A_DESC_*). */
struct control_desc {
	std::uint64_t id = 0;	   /* unique while the module is loaded */
	/* The creator's pid and uid then, in get_descs() as this process's
	 * pid and user namespaces number them (pid 0: outside its pid
	 * namespace; the overflow uid: not mapped), in events as the initial
	 * namespaces do. */
	std::uint32_t pid = 0;
	std::uint32_t uid = 0;
	std::uint32_t kind = 0;	   /* enum iobmd_kind */
	std::uint64_t length = 0;
	std::uint64_t capacity = 0; /* buffers; else the length */
	std::uint64_t mask = 0;	   /* physical mask of buffers, or 0 */
	std::uint32_t options = 0; /* buffers' creation options */
	std::uint32_t prepares = 0; /* prepare() nesting */
	std::uint32_t maps = 0;	   /* live user mappings */
	std::optional<std::uint64_t> exports; /* live dma-bufs (ABI 1.1) */
};

/*
 * IOBMD_A_LIMIT_*; 0 means no limit (max_capacity 0: half of RAM).
 * get_limits() fills every member the module has (one it lacks stays
 * empty: unknown, never "no limit"); set_limits() changes those that hold
 * a value.
 */
struct control_limits {
	std::optional<std::uint64_t> task_bytes;   /* buffer bytes per open file */
	std::optional<std::uint64_t> task_descs;   /* descriptors per open file, 1 to 1048575 */
	std::optional<std::uint64_t> total_bytes;  /* buffer bytes of the module */
	std::optional<std::uint64_t> total_descs;  /* descriptors of the module */
	std::optional<std::uint64_t> max_capacity; /* largest buffer */
	std::optional<std::uint64_t> user_bytes;   /* buffer bytes per user */
	std::optional<std::uint64_t> user_descs;   /* descriptors per user */
	std::optional<std::uint64_t> user_zone_dma; /* ZONE_DMA bytes per user */
};

/* IOBMD_CMD_EVENT_CREATE or IOBMD_CMD_EVENT_RELEASE. */
struct control_event {
	enum class type { create, release };
	type what = type::create;
	control_desc desc;
};

class IOBMD_API control final {
public:
	static constexpr const char *kFamily = "iobmd";
	static constexpr const char *kEventsGroup = "events";

	control() noexcept;
	~control();
	control(control &&other) noexcept;
	control &operator=(control &&other) noexcept;
	control(const control &) = delete;
	control &operator=(const control &) = delete;

	/*
	 * Opens a generic netlink socket and resolves the family and its
	 * events group.  ENOENT: the family does not resolve.
	 */
	[[nodiscard]] std::error_code open() noexcept;
	bool is_open() const noexcept;
	/* The family's id and version, and the events group's id. */
	int family_id() const noexcept;
	std::uint32_t family_version() const noexcept;
	std::uint32_t events_group() const noexcept;

	[[nodiscard]] std::error_code get_stats(control_stats &out) noexcept;
	/* Every live descriptor (without CAP_SYS_ADMIN: those this process
	 * created), in creation order. */
	[[nodiscard]] std::error_code get_descs(std::vector<control_desc> &out) noexcept;
	[[nodiscard]] std::error_code get_limits(control_limits &out) noexcept;
	/* EINVAL when no member holds a value; nothing changes on error. */
	[[nodiscard]] std::error_code set_limits(const control_limits &limits) noexcept;

	/*
	 * Joins the events group on a second socket (EPERM without
	 * CAP_SYS_ADMIN).  Events queue from then on; event_fd() polls
	 * readable when some are queued.
	 */
	[[nodiscard]] std::error_code subscribe() noexcept;
	int event_fd() const noexcept;
	/*
	 * Calls @fn for each queued event, in order, without waiting.
	 * ENOBUFS: the kernel dropped events because they were not read in
	 * time (those still queued are delivered first).  Exceptions thrown
	 * by @fn propagate; events after it stay queued.
	 */
	[[nodiscard]] std::error_code read_events(const std::function<void(const control_event &)> &fn);
	/*
	 * Waits up to @timeout_ms (negative: for ever) for events, then
	 * does read_events().  std::errc::timed_out when none came;
	 * EINTR when a signal interrupted the wait.
	 */
	[[nodiscard]] std::error_code wait_events(const std::function<void(const control_event &)> &fn,
				    int timeout_ms);

	/* The module's explanation of the last failed call, or "". */
	const std::string &error_message() const noexcept;

	/* "buffer", "general", ... for an enum iobmd_kind, or nullptr. */
	static const char *kind_name(std::uint32_t kind) noexcept;

private:
	struct impl;
	std::unique_ptr<impl> p_;
};

} // namespace iobmd

#endif /* IOBMD_CONTROL_HPP */

// SPDX-License-Identifier: MIT
/*
 * iobmdctl: the iobmd module's control plane from the command line, over
 * the generic netlink family "iobmd" (iobmd::control).
 *
 *   iobmdctl [--json] stats
 *   iobmdctl [--json] list
 *   iobmdctl [--json] monitor [--count N] [--timeout S]
 *   iobmdctl [--json] limits [--set NAME=VALUE ...]
 *   iobmdctl --version
 *
 * Tables by default; with --json, one JSON value on stdout (monitor: an
 * array that grows one event at a time and is closed when it stops).
 * Exit status: 0 done, 1 an operation failed, 2 bad usage, 3 the module is
 * not loaded (the family does not resolve), 4 permission denied, 5 monitor
 * timed out before --count events.
 */
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "iobmd/control.hpp"

namespace {

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NO_MODULE = 3,
	EXIT_DENIED = 4,
	EXIT_TIMEOUT = 5,
};

const char *const usage_text =
	"usage: iobmdctl [--json] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  stats                        what your user holds now, and with\n"
	"                               CAP_SYS_ADMIN what the iobmd module holds\n"
	"  list                         live descriptors (without CAP_SYS_ADMIN:\n"
	"                               only those this process created)\n"
	"  monitor [--count N] [--timeout S]\n"
	"                               print create/release events as they come,\n"
	"                               until N events or S seconds (CAP_SYS_ADMIN)\n"
	"  limits [--set NAME=VALUE ...]\n"
	"                               show the limits; --set changes them first\n"
	"                               (CAP_SYS_ADMIN).  NAME: task_bytes,\n"
	"                               task_descs, total_bytes, total_descs,\n"
	"                               max_capacity, user_bytes, user_descs,\n"
	"                               user_zone_dma; VALUE: a number, K/M/G/T\n"
	"                               suffixes (powers of 1024) allowed, 0 = none\n"
	"\n"
	"options:\n"
	"  --json                       one JSON value on stdout\n"
	"  -h, --help                   this text\n"
	"  -V, --version                iobmdctl's release, and the loaded\n"
	"                               module's (/sys/module/iobmd/version)\n"
	"\n"
	"exit status: 0 done, 1 failed, 2 bad usage, 3 module not loaded,\n"
	"4 permission denied, 5 monitor timed out before N events\n";

/*
 * --version: this program's release (VERSION, passed by the build) and the
 * loaded module's, which MODULE_VERSION puts in sysfs.
 */
int print_version()
{
	std::printf("iobmdctl %s\n", IOBMD_PKG_VERSION);
	std::FILE *f = std::fopen("/sys/module/iobmd/version", "r");
	char line[64] = "";

	if (!f) {
		std::printf("module: not loaded\n");
		return EXIT_OK;
	}
	if (!std::fgets(line, sizeof(line), f))
		line[0] = '\0';
	std::fclose(f);
	line[std::strcspn(line, "\n")] = '\0';
	std::printf("module: %s\n", line);
	return EXIT_OK;
}

volatile std::sig_atomic_t stop_signal;

void on_signal(int sig)
{
	stop_signal = sig;
}

int usage_error(const std::string &what)
{
	std::fprintf(stderr, "iobmdctl: %s\n(iobmdctl --help for usage)\n",
		     what.c_str());
	return EXIT_USAGE;
}

/* Reports a failed call and gives the exit status that goes with it. */
int failure(const iobmd::control &ctl, const char *what, std::error_code ec,
	    const char *privilege = nullptr)
{
	const std::string &detail = ctl.error_message();
	std::string extra = detail.empty() ? "" : " (" + detail + ")";

	if (ec == std::errc::operation_not_permitted ||
	    ec == std::errc::permission_denied) {
		/* The module's words when it gave some, else ours. */
		if (!detail.empty())
			std::fprintf(stderr, "iobmdctl: permission denied: %s\n",
				     detail.c_str());
		else
			std::fprintf(stderr, "iobmdctl: permission denied: %s%s%s\n",
				     what, privilege ? " needs " : "",
				     privilege ? privilege : "");
		return EXIT_DENIED;
	}
	std::fprintf(stderr, "iobmdctl: %s: %s%s\n", what, ec.message().c_str(),
		     extra.c_str());
	return EXIT_FAILED;
}

int open_failure(std::error_code ec)
{
	if (ec == std::errc::no_such_file_or_directory) {
		if (access("/sys/module/iobmd", F_OK) == 0)
			std::fprintf(stderr,
				     "iobmdctl: generic netlink family 'iobmd' not found in this network namespace (the iobmd module serves the initial one only)\n");
		else
			std::fprintf(stderr,
				     "iobmdctl: iobmd module not loaded (generic netlink family 'iobmd' not found)\n");
		return EXIT_NO_MODULE;
	}
	std::fprintf(stderr, "iobmdctl: cannot reach generic netlink: %s\n",
		     ec.message().c_str());
	return ec == std::errc::operation_not_permitted ||
			       ec == std::errc::permission_denied ?
		       EXIT_DENIED :
		       EXIT_FAILED;
}

/* "1048576" -> "1.0 MiB"; empty below 1 KiB. */
std::string human_bytes(std::uint64_t v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = static_cast<double>(v);
	int u = -1;
	char buf[32];

	while (d >= 1024.0 && u < 5) {
		d /= 1024.0;
		u++;
	}
	if (u < 0)
		return "";
	std::snprintf(buf, sizeof(buf), "%.1f %s", d, units[u]);
	return buf;
}

std::string hex(std::uint64_t v, int digits)
{
	char buf[24];

	std::snprintf(buf, sizeof(buf), "0x%0*llx", digits,
		      static_cast<unsigned long long>(v));
	return buf;
}

std::string kind_string(std::uint32_t kind)
{
	const char *name = iobmd::control::kind_name(kind);

	return name ? name : "kind" + std::to_string(kind);
}

/* The figure as printed: the number, or "unknown" ("null" in JSON). */
std::string value_string(const std::optional<std::uint64_t> &v, bool json)
{
	return v ? std::to_string(*v) : json ? "null" : "unknown";
}

/* The JSON members of a descriptor, without braces. */
std::string json_desc(const iobmd::control_desc &d)
{
	char buf[512];

	std::snprintf(buf, sizeof(buf),
		      "\"id\": %llu, \"pid\": %u, \"uid\": %u, \"kind\": \"%s\", "
		      "\"length\": %llu, \"capacity\": %llu, \"mask\": \"%s\", "
		      "\"options\": %u, \"prepares\": %u, \"maps\": %u, "
		      "\"exports\": %s",
		      static_cast<unsigned long long>(d.id), d.pid, d.uid,
		      kind_string(d.kind).c_str(),
		      static_cast<unsigned long long>(d.length),
		      static_cast<unsigned long long>(d.capacity),
		      hex(d.mask, 16).c_str(), d.options, d.prepares, d.maps,
		      value_string(d.exports, true).c_str());
	return buf;
}

/* A figure; empty when the module did not give it (an older module). */
struct named_value {
	const char *name;
	std::optional<std::uint64_t> value;
	bool bytes;
	const char *zero; /* what 0 means, or nullptr */
};

void print_pairs(const std::vector<named_value> &v, bool json)
{
	if (json) {
		std::printf("{");
		for (std::size_t i = 0; i < v.size(); i++)
			std::printf("%s\"%s\": %s", i ? ", " : "", v[i].name,
				    value_string(v[i].value, true).c_str());
		std::printf("}\n");
		return;
	}
	/* Names left-aligned, numbers right-aligned, in columns as wide as
	 * the widest. */
	int name_w = 0, value_w = 0;
	for (const auto &p : v) {
		name_w = std::max(name_w, static_cast<int>(std::strlen(p.name)));
		value_w = std::max(value_w,
				   static_cast<int>(value_string(p.value, false).size()));
	}
	for (const auto &p : v) {
		std::string note;

		if (p.value == 0u && p.zero)
			note = std::string("(") + p.zero + ")";
		else if (p.bytes && p.value >= 1024u)
			note = "(" + human_bytes(*p.value) + ")";
		std::printf("%-*s  %*s%s%s\n", name_w, p.name, value_w,
			    value_string(p.value, false).c_str(),
			    note.empty() ? "" : "  ", note.c_str());
	}
}

int cmd_stats(iobmd::control &ctl, bool json)
{
	iobmd::control_stats s;

	if (auto ec = ctl.get_stats(s))
		return failure(ctl, "reading the module's statistics", ec);
	/* Without CAP_SYS_ADMIN the module tells a user its own figures only. */
	std::vector<named_value> user = {
		{ "user_descs", s.user_descs, false, nullptr },
		{ "user_bytes", s.user_bytes, true, nullptr },
		{ "user_zone_dma", s.user_zone_dma, true, nullptr },
	};
	if (!s.all) {
		print_pairs(user, json);
		return EXIT_OK;
	}
	print_pairs({
			    { "buffers", s.buffers, false, nullptr },
			    { "generals", s.generals, false, nullptr },
			    { "subs", s.subs, false, nullptr },
			    { "multis", s.multis, false, nullptr },
			    { "interleaveds", s.interleaveds, false, nullptr },
			    { "devices", s.devices, false, nullptr },
			    { "bytes_zone_dma", s.bytes_zone_dma, true, nullptr },
			    { "bytes_zone_dma32", s.bytes_zone_dma32, true, nullptr },
			    { "bytes_zone_normal", s.bytes_zone_normal, true, nullptr },
			    { "bytes_coherent", s.bytes_coherent, true, nullptr },
			    { "bytes_pinned", s.bytes_pinned, true, nullptr },
			    { "bytes_device", s.bytes_device, true, nullptr },
			    { "mappings", s.mappings, false, nullptr },
			    { "prepares", s.prepares, false, nullptr },
			    { "alloc_failures", s.alloc_failures, false, nullptr },
			    { "dmabufs", s.dmabufs, false, nullptr },
			    { "exports", s.exports, false, nullptr },
			    user[0], user[1], user[2],
		    },
		    json);
	return EXIT_OK;
}

int cmd_list(iobmd::control &ctl, bool json)
{
	std::vector<iobmd::control_desc> descs;

	if (auto ec = ctl.get_descs(descs))
		return failure(ctl, "listing descriptors", ec);
	if (geteuid() != 0 && !json)
		std::fprintf(stderr,
			     "iobmdctl: note: without CAP_SYS_ADMIN only descriptors this process created are listed\n");
	if (json) {
		std::printf("[");
		for (std::size_t i = 0; i < descs.size(); i++)
			std::printf("%s\n  {%s}", i ? "," : "",
				    json_desc(descs[i]).c_str());
		std::printf("%s]\n", descs.empty() ? "" : "\n");
		return EXIT_OK;
	}

	const char *const head[] = { "ID", "PID", "UID", "KIND", "LENGTH",
				     "CAPACITY", "MASK", "OPTIONS", "PREPARES", "MAPS" };
	constexpr std::size_t ncol = sizeof(head) / sizeof(head[0]);
	std::vector<std::vector<std::string>> rows;
	std::size_t width[ncol];

	for (const auto &d : descs)
		rows.push_back({ std::to_string(d.id), std::to_string(d.pid),
				 std::to_string(d.uid), kind_string(d.kind),
				 std::to_string(d.length), std::to_string(d.capacity),
				 hex(d.mask, 16), hex(d.options, 8),
				 std::to_string(d.prepares), std::to_string(d.maps) });
	for (std::size_t c = 0; c < ncol; c++) {
		width[c] = std::strlen(head[c]);
		for (const auto &r : rows)
			width[c] = std::max(width[c], r[c].size());
	}
	/* Numbers right-aligned, names and masks left-aligned. */
	auto left = [](std::size_t c) { return c == 3 || c == 6 || c == 7; };
	for (std::size_t c = 0; c < ncol; c++)
		std::printf("%s%*s", c ? "  " : "",
			    left(c) ? -static_cast<int>(width[c]) :
				      static_cast<int>(width[c]),
			    head[c]);
	std::printf("\n");
	for (const auto &r : rows) {
		for (std::size_t c = 0; c < ncol; c++)
			std::printf("%s%*s", c ? "  " : "",
				    left(c) ? -static_cast<int>(width[c]) :
					      static_cast<int>(width[c]),
				    r[c].c_str());
		std::printf("\n");
	}
	return EXIT_OK;
}

/* A non-negative number with an optional K/M/G/T suffix (powers of 1024). */
bool parse_size(std::string_view s, std::uint64_t &out)
{
	int base = 10;
	unsigned shift = 0;

	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s.remove_prefix(2);
	} else if (!s.empty()) {
		switch (s.back()) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		}
		if (shift)
			s.remove_suffix(1);
	}
	if (s.empty())
		return false;
	auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
	if (ec != std::errc() || end != s.data() + s.size())
		return false;
	if (shift && out > (UINT64_MAX >> shift))
		return false;
	out <<= shift;
	return true;
}

int cmd_limits(iobmd::control &ctl, bool json,
	       const std::vector<std::string> &sets)
{
	iobmd::control_limits want, l;

	for (const auto &a : sets) {
		auto eq = a.find('=');
		std::string name = a.substr(0, eq);
		std::uint64_t v;

		if (eq == std::string::npos || !parse_size(std::string_view(a).substr(eq + 1), v))
			return usage_error("--set takes NAME=VALUE with a number: '" + a + "'");
		if (name == "task_bytes")
			want.task_bytes = v;
		else if (name == "task_descs")
			want.task_descs = v;
		else if (name == "total_bytes")
			want.total_bytes = v;
		else if (name == "total_descs")
			want.total_descs = v;
		else if (name == "max_capacity")
			want.max_capacity = v;
		else if (name == "user_bytes")
			want.user_bytes = v;
		else if (name == "user_descs")
			want.user_descs = v;
		else if (name == "user_zone_dma")
			want.user_zone_dma = v;
		else
			return usage_error("unknown limit '" + name +
					   "' (task_bytes, task_descs, total_bytes, total_descs, max_capacity, user_bytes, user_descs, user_zone_dma)");
	}
	if (!sets.empty()) {
		if (auto ec = ctl.set_limits(want))
			return failure(ctl, "changing limits", ec, "CAP_SYS_ADMIN");
	}
	if (auto ec = ctl.get_limits(l))
		return failure(ctl, "reading limits", ec);
	print_pairs({
			    { "task_bytes", l.task_bytes, true, "no limit" },
			    { "task_descs", l.task_descs, false, "no limit" },
			    { "total_bytes", l.total_bytes, true, "no limit" },
			    { "total_descs", l.total_descs, false, "no limit" },
			    { "max_capacity", l.max_capacity, true, "half of RAM" },
			    { "user_bytes", l.user_bytes, true, "no limit" },
			    { "user_descs", l.user_descs, false, "no limit" },
			    { "user_zone_dma", l.user_zone_dma, true, "no limit" },
		    },
		    json);
	return EXIT_OK;
}

int cmd_monitor(iobmd::control &ctl, bool json, long count, double timeout)
{
	struct sigaction sa = {};
	long seen = 0;
	int ret = EXIT_OK;

	if (auto ec = ctl.subscribe())
		return failure(ctl, "receiving events", ec, "CAP_SYS_ADMIN");

	/* No SA_RESTART: a signal ends the wait and the output is closed. */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGHUP, &sa, nullptr);

	/* The first line means: subscribed, events from now on are shown. */
	if (json)
		std::printf("[");
	else
		std::printf("%-7s  %6s  %7s  %5s  %-11s  %12s  %12s  %-18s  %s\n",
			    "EVENT", "ID", "PID", "UID", "KIND", "LENGTH",
			    "CAPACITY", "MASK", "OPTIONS");
	std::fflush(stdout);

	auto print = [&](const iobmd::control_event &e) {
		const char *what = e.what == iobmd::control_event::type::create ?
					   "create" :
					   "release";
		const auto &d = e.desc;

		if (count > 0 && seen >= count)
			return;
		if (json)
			std::printf("%s\n  {\"event\": \"%s\", %s}", seen ? "," : "",
				    what, json_desc(d).c_str());
		else
			std::printf("%-7s  %6llu  %7u  %5u  %-11s  %12llu  %12llu  %-18s  %s\n",
				    what, static_cast<unsigned long long>(d.id),
				    d.pid, d.uid, kind_string(d.kind).c_str(),
				    static_cast<unsigned long long>(d.length),
				    static_cast<unsigned long long>(d.capacity),
				    hex(d.mask, 16).c_str(), hex(d.options, 8).c_str());
		std::fflush(stdout);
		seen++;
	};

	using clock = std::chrono::steady_clock;
	const auto deadline = clock::now() +
			      std::chrono::duration_cast<clock::duration>(
				      std::chrono::duration<double>(timeout));
	while (!stop_signal && (count <= 0 || seen < count)) {
		int wait = -1;

		if (timeout > 0) {
			auto left = std::chrono::ceil<std::chrono::milliseconds>(
				deadline - clock::now());
			if (left.count() <= 0) {
				if (count > 0)
					ret = EXIT_TIMEOUT;
				break;
			}
			wait = static_cast<int>(left.count());
		}
		auto ec = ctl.wait_events(print, wait);
		if (!ec || ec == std::errc::timed_out)
			continue;
		if (ec == std::errc::interrupted)
			continue;
		if (ec == std::errc::no_buffer_space) {
			std::fprintf(stderr,
				     "iobmdctl: events were lost (the socket's receive buffer overflowed)\n");
			continue;
		}
		ret = failure(ctl, "receiving events", ec);
		break;
	}
	if (json)
		std::printf("%s]\n", seen ? "\n" : "");
	if (ret == EXIT_TIMEOUT)
		std::fprintf(stderr, "iobmdctl: timed out after %g s with %ld of %ld events\n",
			     timeout, seen, count);
	return ret;
}

/* A whole, positive number of events, or a positive number of seconds. */
bool parse_count(const char *s, long &out)
{
	char *end;

	errno = 0;
	out = std::strtol(s, &end, 10);
	return !errno && *s && !*end && out > 0;
}

bool parse_seconds(const char *s, double &out)
{
	char *end;

	errno = 0;
	out = std::strtod(s, &end);
	return !errno && *s && !*end && out > 0 && out < 1e9;
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> args, sets;
	std::string command;
	bool json = false;
	long count = 0;
	double timeout = 0;

	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];

		if (a == "--json") {
			json = true;
		} else if (a == "-h" || a == "--help") {
			std::fputs(usage_text, stdout);
			return EXIT_OK;
		} else if (a == "-V" || a == "--version") {
			return print_version();
		} else if (command.empty() && a.size() && a[0] != '-') {
			command = a;
		} else if (command == "monitor" && (a == "--count" || a == "--timeout")) {
			if (++i == argc)
				return usage_error(a + " needs a value");
			if (a == "--count" && !parse_count(argv[i], count))
				return usage_error("--count takes a positive whole number");
			if (a == "--timeout" && !parse_seconds(argv[i], timeout))
				return usage_error("--timeout takes a positive number of seconds");
		} else if (command == "limits" && a == "--set") {
			/* One or more NAME=VALUE words follow. */
			if (i + 1 == argc || std::strchr(argv[i + 1], '=') == nullptr)
				return usage_error("--set needs NAME=VALUE");
			while (i + 1 < argc && argv[i + 1][0] != '-' &&
			       std::strchr(argv[i + 1], '='))
				sets.push_back(argv[++i]);
		} else {
			return usage_error(command.empty() ?
						   "unknown option '" + a + "'" :
						   "'" + command + "' does not take '" + a + "'");
		}
	}
	if (command.empty())
		return usage_error("no command given (stats, list, monitor, limits)");
	if (command != "stats" && command != "list" && command != "monitor" &&
	    command != "limits")
		return usage_error("unknown command '" + command + "'");

	iobmd::control ctl;
	if (auto ec = ctl.open())
		return open_failure(ec);

	int ret;
	if (command == "stats")
		ret = cmd_stats(ctl, json);
	else if (command == "list")
		ret = cmd_list(ctl, json);
	else if (command == "monitor")
		ret = cmd_monitor(ctl, json, count, timeout);
	else
		ret = cmd_limits(ctl, json, sets);

	if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
		std::fprintf(stderr, "iobmdctl: writing the output: %s\n",
			     std::strerror(errno));
		return EXIT_FAILED;
	}
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench: a small streaming JSON writer.  Objects and arrays nest;
 * arrays of numbers stay on one line so the file remains readable.
 */
#ifndef IOBMD_BENCH_JSON_HPP
#define IOBMD_BENCH_JSON_HPP

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace iobmd_bench {

class json_writer {
public:
	explicit json_writer(std::string &out) : out_(out) {}

	json_writer &begin_object(const char *key = nullptr) { return open(key, '{'); }
	json_writer &end_object() { return close('}'); }
	json_writer &begin_array(const char *key = nullptr) { return open(key, '['); }
	json_writer &end_array() { return close(']'); }

	json_writer &value(const char *key, const std::string &v)
	{
		item(key);
		quote(v);
		return *this;
	}
	json_writer &value(const char *key, const char *v) { return value(key, std::string(v)); }
	json_writer &value(const char *key, bool v)
	{
		item(key);
		out_ += v ? "true" : "false";
		return *this;
	}
	json_writer &value(const char *key, std::uint64_t v)
	{
		item(key);
		out_ += std::to_string(v);
		return *this;
	}
	json_writer &value(const char *key, unsigned v) { return value(key, std::uint64_t(v)); }
	json_writer &value(const char *key, double v, int decimals = 1)
	{
		item(key);
		number(v, decimals);
		return *this;
	}
	json_writer &null(const char *key)
	{
		item(key);
		out_ += "null";
		return *this;
	}
	/* A whole array of numbers on one line. */
	json_writer &numbers(const char *key, const std::vector<double> &v, int decimals = 1)
	{
		item(key);
		out_ += '[';
		for (std::size_t i = 0; i < v.size(); i++) {
			if (i)
				out_ += ", ";
			number(v[i], decimals);
		}
		out_ += ']';
		return *this;
	}

private:
	struct level {
		bool first = true;
	};

	void newline()
	{
		out_ += '\n';
		out_.append(2 * stack_.size(), ' ');
	}
	void item(const char *key)
	{
		if (!stack_.empty()) {
			if (!stack_.back().first)
				out_ += ',';
			stack_.back().first = false;
			newline();
		}
		if (key) {
			quote(key);
			out_ += ": ";
		}
	}
	json_writer &open(const char *key, char c)
	{
		item(key);
		out_ += c;
		stack_.push_back({});
		return *this;
	}
	json_writer &close(char c)
	{
		bool empty = stack_.back().first;

		stack_.pop_back();
		if (!empty)
			newline();
		out_ += c;
		if (stack_.empty())
			out_ += '\n';
		return *this;
	}
	void number(double v, int decimals)
	{
		char buf[64];

		if (!std::isfinite(v)) {
			out_ += "null";
			return;
		}
		std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
		out_ += buf;
	}
	void quote(const std::string &s)
	{
		out_ += '"';
		for (unsigned char c : s) {
			if (c == '"' || c == '\\') {
				out_ += '\\';
				out_ += char(c);
			} else if (c < 0x20) {
				char buf[8];

				std::snprintf(buf, sizeof(buf), "\\u%04x", c);
				out_ += buf;
			} else {
				out_ += char(c);
			}
		}
		out_ += '"';
	}

	std::string &out_;
	std::vector<level> stack_;
};

} // namespace iobmd_bench

#endif

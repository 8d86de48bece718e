// SPDX-License-Identifier: MIT
/*
 * iobmd_demo - one IOBufferMemoryDescriptor, end to end, through /dev/iobmd.
 *
 * The IOKit call this mirrors:
 *
 *   IOBufferMemoryDescriptor::inTaskWithPhysicalMask(kernel_task,
 *           kIODirectionInOut, 1024 * 1024, 0x00000000FFFFF000ULL);
 *
 * i.e. 1 MiB that a 32-bit DMA engine can reach: every byte below 4 GiB,
 * 4 KiB aligned.  The demo creates it, maps it into this process, moves
 * bytes both ways (mapping -> IOBMD_READ, IOBMD_WRITE -> mapping), lists
 * its physical segments and checks each ends below 4 GiB.  Listing
 * segments needs CAP_SYS_ADMIN.  Exits 0 only when every step worked.
 */
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iobmd.h"

namespace {

constexpr std::uint64_t kCapacity = 1024 * 1024;
constexpr std::uint64_t kPhysMask = 0x00000000FFFFF000ULL;
constexpr std::uint64_t kBelow4G = 0xFFFFFFFFULL; /* mask | (alignment - 1) */
constexpr std::uint64_t kAlignment = 4096;        /* lowest set bit of the mask */

/* A failed step: what was being done and the errno it failed with (0: none). */
class failure : public std::exception {
public:
	failure(std::string what, int err = 0) : err_(err)
	{
		msg_ = std::move(what);
		if (err)
			msg_ += std::string(": ") + std::strerror(err);
	}
	const char *what() const noexcept override { return msg_.c_str(); }
	int error() const noexcept { return err_; }

private:
	std::string msg_;
	int err_;
};

[[noreturn]] void fail_errno(const std::string &what)
{
	throw failure(what, errno);
}

void expect(bool ok, const std::string &what)
{
	if (!ok)
		throw failure(what);
}

/* Owns a file descriptor. */
class unique_fd {
public:
	unique_fd() = default;
	explicit unique_fd(int fd) noexcept : fd_(fd) {}
	unique_fd(unique_fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
	unique_fd &operator=(unique_fd &&o) noexcept
	{
		if (this != &o) {
			reset();
			fd_ = std::exchange(o.fd_, -1);
		}
		return *this;
	}
	unique_fd(const unique_fd &) = delete;
	unique_fd &operator=(const unique_fd &) = delete;
	~unique_fd() { reset(); }

	int get() const noexcept { return fd_; }
	void reset() noexcept
	{
		if (fd_ >= 0)
			::close(fd_);
		fd_ = -1;
	}

private:
	int fd_ = -1;
};

/* Fills in @size and issues one /dev/iobmd command. */
template <typename Arg>
void iobmd_ioctl(int fd, unsigned long cmd, Arg &arg, const char *name)
{
	arg.size = sizeof(Arg);
	if (::ioctl(fd, cmd, &arg) != 0)
		fail_errno(name);
}

/* Owns one descriptor handle of an open /dev/iobmd; releases it. */
class iobmd_handle {
public:
	iobmd_handle() = default;
	iobmd_handle(int dev, std::uint32_t handle) noexcept : dev_(dev), handle_(handle) {}
	iobmd_handle(iobmd_handle &&o) noexcept
		: dev_(std::exchange(o.dev_, -1)), handle_(std::exchange(o.handle_, 0)) {}
	iobmd_handle &operator=(iobmd_handle &&o) noexcept
	{
		if (this != &o) {
			reset();
			dev_ = std::exchange(o.dev_, -1);
			handle_ = std::exchange(o.handle_, 0);
		}
		return *this;
	}
	iobmd_handle(const iobmd_handle &) = delete;
	iobmd_handle &operator=(const iobmd_handle &) = delete;
	~iobmd_handle() { reset(); }

	std::uint32_t get() const noexcept { return handle_; }
	int dev() const noexcept { return dev_; }
	void reset() noexcept
	{
		if (dev_ >= 0 && handle_) {
			struct iobmd_handle_arg arg {};

			arg.size = sizeof(arg);
			arg.handle = handle_;
			if (::ioctl(dev_, IOBMD_RELEASE, &arg) != 0)
				std::fprintf(stderr, "iobmd_demo: IOBMD_RELEASE %u: %s\n",
					     handle_, std::strerror(errno));
		}
		dev_ = -1;
		handle_ = 0;
	}

private:
	int dev_ = -1;
	std::uint32_t handle_ = 0;
};

/* Owns one mmap() of a descriptor. */
class mapping {
public:
	mapping() = default;
	mapping(void *addr, std::size_t len) noexcept : addr_(addr), len_(len) {}
	mapping(mapping &&o) noexcept
		: addr_(std::exchange(o.addr_, nullptr)), len_(std::exchange(o.len_, 0)) {}
	mapping &operator=(mapping &&o) noexcept
	{
		if (this != &o) {
			reset();
			addr_ = std::exchange(o.addr_, nullptr);
			len_ = std::exchange(o.len_, 0);
		}
		return *this;
	}
	mapping(const mapping &) = delete;
	mapping &operator=(const mapping &) = delete;
	~mapping() { reset(); }

	std::span<std::uint8_t> bytes() const noexcept
	{
		return {static_cast<std::uint8_t *>(addr_), len_};
	}
	void reset() noexcept
	{
		if (addr_)
			::munmap(addr_, len_);
		addr_ = nullptr;
		len_ = 0;
	}

private:
	void *addr_ = nullptr;
	std::size_t len_ = 0;
};

const char *kind_name(std::uint32_t kind)
{
	switch (kind) {
	case IOBMD_KIND_BUFFER: return "buffer";
	case IOBMD_KIND_GENERAL: return "general";
	case IOBMD_KIND_SUB: return "sub-range";
	case IOBMD_KIND_MULTI: return "multi";
	case IOBMD_KIND_INTERLEAVED: return "interleaved";
	case IOBMD_KIND_DEVICE: return "device";
	default: return "unknown";
	}
}

const char *direction_name(std::uint32_t dir)
{
	switch (dir) {
	case IOBMD_DIRECTION_NONE: return "none";
	case IOBMD_DIRECTION_IN: return "in";
	case IOBMD_DIRECTION_OUT: return "out";
	case IOBMD_DIRECTION_INOUT: return "inout";
	default: return "?";
	}
}

std::string feature_names(std::uint64_t features)
{
	static const struct {
		std::uint64_t bit;
		const char *name;
	} names[] = {
		{IOBMD_FEATURE_BUFFER, "buffer"},
		{IOBMD_FEATURE_PHYS_MASK, "phys-mask"},
		{IOBMD_FEATURE_MMAP, "mmap"},
		{IOBMD_FEATURE_SEGMENTS, "segments"},
		{IOBMD_FEATURE_HIERARCHY, "hierarchy"},
		{IOBMD_FEATURE_PREPARE, "prepare"},
	};
	std::string s;

	for (const auto &n : names) {
		if (features & n.bit) {
			s += s.empty() ? "" : " ";
			s += n.name;
			features &= ~n.bit;
		}
	}
	if (features) {
		char rest[32];

		std::snprintf(rest, sizeof(rest), "%s0x%" PRIx64, s.empty() ? "" : " ", features);
		s += rest;
	}
	return s.empty() ? "none" : s;
}

/* Byte @i of pattern @seed: varies within and across pages. */
std::uint8_t pattern(std::size_t i, unsigned int seed)
{
	return static_cast<std::uint8_t>((i * 131u) ^ (i >> 12) ^ seed);
}

/* Throws unless @got holds pattern @seed; names the first bad offset. */
void compare(std::span<const std::uint8_t> got, unsigned int seed, const char *what)
{
	for (std::size_t i = 0; i < got.size(); i++) {
		if (got[i] != pattern(i, seed)) {
			char msg[160];

			std::snprintf(msg, sizeof(msg),
				      "%s: byte at offset %zu is 0x%02x, expected 0x%02x",
				      what, i, got[i], pattern(i, seed));
			throw failure(msg);
		}
	}
}

int run()
{
	/* 1. The device and its ABI. */
	unique_fd dev(::open("/dev/iobmd", O_RDWR | O_CLOEXEC));
	if (dev.get() < 0)
		fail_errno("open /dev/iobmd (is iobmd.ko loaded?)");

	struct iobmd_version ver {};
	iobmd_ioctl(dev.get(), IOBMD_GET_VERSION, ver, "IOBMD_GET_VERSION");
	std::printf("/dev/iobmd: ABI %u.%u, page size %u, max capacity %" PRIu64
		    " bytes, features: %s\n", ver.abi_major, ver.abi_minor, ver.page_size,
		    static_cast<std::uint64_t>(ver.max_capacity),
		    feature_names(ver.features).c_str());
	expect(ver.abi_major == IOBMD_ABI_MAJOR,
	       "the module speaks ABI " + std::to_string(ver.abi_major) + ", this demo " +
	       std::to_string(IOBMD_ABI_MAJOR));
	const std::uint64_t needed = IOBMD_FEATURE_BUFFER | IOBMD_FEATURE_PHYS_MASK |
				     IOBMD_FEATURE_MMAP | IOBMD_FEATURE_SEGMENTS;
	expect((ver.features & needed) == needed,
	       "the module lacks features this demo needs: " +
	       feature_names(needed & ~ver.features));

	/* 2. inTaskWithPhysicalMask(kIODirectionInOut, 1 MiB, 0xFFFFF000). */
	struct iobmd_buf_create create {};
	create.flags = IOBMD_BUF_CREATE_PHYS_MASK;
	create.options = IOBMD_DIRECTION_INOUT;
	create.capacity = kCapacity;
	create.phys_mask = kPhysMask;
	iobmd_ioctl(dev.get(), IOBMD_BUF_CREATE, create, "IOBMD_BUF_CREATE");
	iobmd_handle buf(dev.get(), create.handle);
	std::printf("created handle %u: capacity %" PRIu64 ", direction inout, "
		    "phys_mask 0x%016" PRIx64 "\n", buf.get(), kCapacity, kPhysMask);

	/* 3. What the kernel made of it. */
	struct iobmd_info info {};
	info.handle = buf.get();
	iobmd_ioctl(dev.get(), IOBMD_GET_INFO, info, "IOBMD_GET_INFO");
	std::printf("info: kind %s, length %" PRIu64 ", capacity %" PRIu64
		    ", alignment %" PRIu64 ", phys_mask 0x%016" PRIx64 ", direction %s\n",
		    kind_name(info.kind), static_cast<std::uint64_t>(info.length),
		    static_cast<std::uint64_t>(info.capacity),
		    static_cast<std::uint64_t>(info.alignment),
		    static_cast<std::uint64_t>(info.phys_mask), direction_name(info.direction));
	expect(info.kind == IOBMD_KIND_BUFFER, "IOBMD_GET_INFO: kind is not buffer");
	expect(info.length == kCapacity && info.capacity == kCapacity,
	       "IOBMD_GET_INFO: length or capacity is not 1 MiB");
	expect(info.alignment == kAlignment,
	       "IOBMD_GET_INFO: alignment is not the 4 KiB the mask asks for");
	expect(info.phys_mask == kPhysMask, "IOBMD_GET_INFO: phys_mask differs");
	expect(info.direction == IOBMD_DIRECTION_INOUT, "IOBMD_GET_INFO: direction differs");

	/* 4. Map all of it into this process. */
	struct iobmd_map map {};
	map.handle = buf.get();
	map.offset = 0;
	map.len = 0; /* all of it */
	iobmd_ioctl(dev.get(), IOBMD_MAP, map, "IOBMD_MAP");
	void *addr = ::mmap(nullptr, kCapacity, PROT_READ | PROT_WRITE, MAP_SHARED, dev.get(),
			    static_cast<off_t>(map.cookie));
	if (addr == MAP_FAILED)
		fail_errno("mmap of cookie " + std::to_string(map.cookie));
	mapping view(addr, kCapacity);
	std::printf("mapped %" PRIu64 " bytes at %p (cookie 0x%" PRIx64 ")\n", kCapacity, addr,
		    static_cast<std::uint64_t>(map.cookie));

	/* 5. Store through the mapping, read with IOBMD_READ. */
	auto bytes = view.bytes();
	for (std::size_t i = 0; i < bytes.size(); i++)
		bytes[i] = pattern(i, 0x5a);
	std::vector<std::uint8_t> copy(kCapacity);
	struct iobmd_rw rd {};
	rd.handle = buf.get();
	rd.offset = 0;
	rd.buf = reinterpret_cast<std::uintptr_t>(copy.data());
	rd.len = copy.size();
	iobmd_ioctl(dev.get(), IOBMD_READ, rd, "IOBMD_READ");
	expect(rd.done == kCapacity,
	       "IOBMD_READ copied " + std::to_string(rd.done) + " bytes, not 1 MiB");
	compare(copy, 0x5a, "mmap store -> IOBMD_READ");
	std::printf("mmap store -> IOBMD_READ: %" PRIu64 " bytes match\n", kCapacity);

	/* 6. IOBMD_WRITE, load through the mapping. */
	for (std::size_t i = 0; i < copy.size(); i++)
		copy[i] = pattern(i, 0xa5);
	struct iobmd_rw wr {};
	wr.handle = buf.get();
	wr.offset = 0;
	wr.buf = reinterpret_cast<std::uintptr_t>(copy.data());
	wr.len = copy.size();
	iobmd_ioctl(dev.get(), IOBMD_WRITE, wr, "IOBMD_WRITE");
	expect(wr.done == kCapacity,
	       "IOBMD_WRITE copied " + std::to_string(wr.done) + " bytes, not 1 MiB");
	compare(bytes, 0xa5, "IOBMD_WRITE -> mmap load");
	std::printf("IOBMD_WRITE -> mmap load: %" PRIu64 " bytes match\n", kCapacity);

	/* 7. Where the memory is: physical segments (CAP_SYS_ADMIN). */
	std::vector<struct iobmd_segment> segs(kCapacity / kAlignment);
	struct iobmd_segments sg {};
	for (;;) {
		sg = {};
		sg.handle = buf.get();
		sg.count = static_cast<std::uint32_t>(segs.size());
		sg.offset = 0;
		sg.len = 0; /* up to the length */
		sg.segs = reinterpret_cast<std::uintptr_t>(segs.data());
		sg.size = sizeof(sg);
		if (::ioctl(dev.get(), IOBMD_GET_SEGMENTS, &sg) != 0) {
			if (errno == EPERM)
				throw failure("IOBMD_GET_SEGMENTS (needs CAP_SYS_ADMIN: run as root)",
					      errno);
			fail_errno("IOBMD_GET_SEGMENTS");
		}
		if (sg.total <= segs.size())
			break;
		segs.resize(sg.total);
	}
	expect(sg.count == sg.total, "IOBMD_GET_SEGMENTS: count and total differ");
	std::printf("physical segments: %u\n", sg.count);
	std::uint64_t covered = 0, highest = 0;
	for (std::uint32_t i = 0; i < sg.count; i++) {
		const std::uint64_t a = segs[i].addr, n = segs[i].len;
		const std::uint64_t last = a + n - 1;

		std::printf("  [%u] 0x%016" PRIx64 "-0x%016" PRIx64 " %8" PRIu64 " bytes\n",
			    i, a, last, n);
		expect(n > 0, "segment " + std::to_string(i) + " is empty");
		expect(last >= a && last <= kBelow4G,
		       "segment " + std::to_string(i) + " ends above 4 GiB");
		expect(a % kAlignment == 0,
		       "segment " + std::to_string(i) + " is not 4 KiB aligned");
		covered += n;
		highest = std::max(highest, last);
	}
	expect(covered == kCapacity, "the segments cover " + std::to_string(covered) +
	       " bytes, not 1 MiB");

	std::printf("proved:\n"
		    "  - a 1 MiB buffer made as inTaskWithPhysicalMask(0x%016" PRIx64 ")\n"
		    "  - lies below 4 GiB (highest byte 0x%" PRIx64 "), in %u segment(s),"
		    " each 4 KiB aligned\n"
		    "  - is shared with this process: mmap stores reach IOBMD_READ and\n"
		    "    IOBMD_WRITE reaches mmap loads, all %" PRIu64 " bytes\n",
		    kPhysMask, highest, sg.count, kCapacity);
	return 0;
}

} // namespace

int main()
{
	std::setvbuf(stdout, nullptr, _IOLBF, 0);
	try {
		run();
	} catch (const std::exception &e) {
		std::fprintf(stderr, "iobmd_demo: FAILED: %s\n", e.what());
		return 1;
	}
	std::printf("iobmd_demo: OK\n");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the C++ library's tests.
 */
#include "helpers.hpp"

#include <cerrno>
#include <fstream>
#include <string>

#include <dirent.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iobmd.h"

namespace iobmd_test {

std::uint64_t page()
{
	return static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

without_capability::without_capability(int cap) : cap_(cap)
{
	set(false);
}

without_capability::~without_capability()
{
	set(true);
}

/* Raw capget/capset: they change the calling thread only. */
void without_capability::set(bool on)
{
	__user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	__user_cap_data_struct data[2] = {};

	if (::syscall(SYS_capget, &header, data))
		ADD_FAILURE() << "capget: errno " << errno;
	if (on)
		data[cap_ / 32].effective |= 1U << (cap_ % 32);
	else
		data[cap_ / 32].effective &= ~(1U << (cap_ % 32));
	if (::syscall(SYS_capset, &header, data))
		ADD_FAILURE() << "capset: errno " << errno;
}

int handle_state(const task &t, std::uint32_t handle)
{
	iobmd_info i{};
	i.size = sizeof(i);
	i.handle = handle;
	return ::ioctl(t.fd(), IOBMD_GET_INFO, &i) ? errno : 0;
}

std::vector<std::uint8_t> pattern(std::size_t n, unsigned seed)
{
	std::vector<std::uint8_t> v(n);
	std::uint32_t x = seed * 2654435761U + 1;

	for (auto &b : v) {
		x = x * 1103515245U + 12345U;
		b = static_cast<std::uint8_t>(x >> 16);
	}
	return v;
}

namespace {

std::string read_word(const std::string &path)
{
	std::ifstream f(path);
	std::string w;
	f >> w;
	return w;
}

/* BAR @bar of a PCI device: "start end flags" lines of its resource file. */
mmio_range bar(const std::string &dev, int bar)
{
	std::ifstream f(dev + "/resource");
	mmio_range r;
	for (int i = 0; i <= bar; i++) {
		unsigned long long start = 0, end = 0, flags = 0;
		if (!(f >> std::hex >> start >> end >> flags))
			return {};
		/* Memory (IORESOURCE_MEM), not I/O ports. */
		if (i == bar && start && end > start && (flags & 0x200)) {
			r.phys = start;
			r.length = end - start + 1;
		}
	}
	return r;
}

} // namespace

mmio_range find_device_memory()
{
	static const struct {
		const char *vendor, *device;
		int bar;
		bool upper_half;
	} candidates[] = {
		/* The standard VGA's framebuffer: nothing else uses it. */
		{ "0x1234", "0x1111", 0, false },
		/* ivshmem's shared memory: the test VM's runner checks what
		 * other tests write at its start, so keep to the upper half. */
		{ "0x1af4", "0x1110", 2, true },
	};
	const std::string root = "/sys/bus/pci/devices";

	for (const auto &c : candidates) {
		DIR *dir = ::opendir(root.c_str());
		if (!dir)
			return {};
		mmio_range found;
		while (dirent *e = ::readdir(dir)) {
			if (e->d_name[0] == '.')
				continue;
			std::string dev = root + "/" + e->d_name;
			if (read_word(dev + "/vendor") == c.vendor &&
			    read_word(dev + "/device") == c.device) {
				found = bar(dev, c.bar);
				if (found.length)
					break;
			}
		}
		::closedir(dir);
		if (found.length && c.upper_half) {
			found.length /= 2;
			found.phys += found.length;
		}
		if (found.length)
			return found;
	}
	return {};
}

anon_pages::anon_pages(std::size_t bytes) : n_(bytes)
{
	void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p_ = p == MAP_FAILED ? nullptr : static_cast<std::uint8_t *>(p);
	if (!p_)
		ADD_FAILURE() << "mmap: errno " << errno;
}

anon_pages::~anon_pages()
{
	if (p_)
		::munmap(p_, n_);
}

buffer_and_user_page::buffer_and_user_page()
	: mem(page()),
	  buffer(IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut)),
	  general(IOGeneralMemoryDescriptor::withAddressRange(mem.address(), page(),
							      kIODirectionInOut, nullptr))
{
}

std::vector<segment> segments_of(IOMemoryDescriptor &d, IOOptionBits options)
{
	std::vector<segment> v;
	IOByteCount length = d.getLength();

	for (IOByteCount offset = 0; offset < length;) {
		IOByteCount n = 0;
		IOPhysicalAddress a = d.getPhysicalSegment(offset, &n, options);
		if (!a || !n) {
			ADD_FAILURE() << "getPhysicalSegment(" << offset << "): "
				      << stringFromReturn(lastError());
			break;
		}
		v.push_back({ a, n });
		offset += n;
	}
	return v;
}

bool zone_dma32_present()
{
	std::ifstream in("/proc/zoneinfo");
	std::string word, zone;

	while (in >> word) {
		if (word == "zone")
			in >> zone;
		else if (word == "present" && zone == "DMA32") {
			long long pages = 0;

			in >> pages;
			return pages > 0;
		}
	}
	return false;
}

bool is_mapped(const void *p, std::size_t n)
{
	auto a = reinterpret_cast<std::uintptr_t>(p) & ~(page() - 1);
	/* msync() fails with ENOMEM on addresses that are not mapped. */
	return ::msync(reinterpret_cast<void *>(a),
		       reinterpret_cast<std::uintptr_t>(p) + n - a, MS_ASYNC) == 0;
}

OSSharedPtr<IOBufferMemoryDescriptor> buffer_reaching(std::uint64_t size,
						       std::uint64_t limit)
{
	/* The ones below @limit are held until the end, so that the next
	 * try gets other memory. */
	std::vector<OSSharedPtr<IOBufferMemoryDescriptor>> below;

	for (int tries = 0; tries < 16; tries++) {
		auto b = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
			kernel_task, kIODirectionInOut, size, 0);
		if (!b) {
			ADD_FAILURE() << "inTaskWithPhysicalMask: "
				      << stringFromReturn(lastError());
			return nullptr;
		}
		for (const segment &s : segments_of(*b))
			if (s.address + s.length - 1 >= limit)
				return b;
		below.push_back(std::move(b));
	}
	return nullptr;
}

} // namespace iobmd_test

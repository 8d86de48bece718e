// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench: iobmd, the system dma-buf heap, udmabuf and anonymous
 * memory behind one interface (peers.hpp).
 */
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iobmd.h"
#include "peers.hpp"

namespace iobmd_bench {

namespace {

constexpr std::uint64_t kMask32 = 0x00000000FFFFF000ULL;

unique_fd open_dev(const char *path)
{
	int fd = ::open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail_errno(std::string("open ") + path);
	return unique_fd(fd);
}

/* --- iobmd ------------------------------------------------------------ */

class iobmd_buffer : public buffer {
public:
	iobmd_buffer(std::uint32_t handle, std::size_t size) : handle_(handle), size_(size) {}
	~iobmd_buffer() override { iobmd_release(handle_); }

	mapping map() override
	{
		struct iobmd_map m = {};

		m.handle = handle_;
		iobmd_ioctl(IOBMD_MAP, m, "IOBMD_MAP");
		return map_shared(iobmd_fd(), size_, m.cookie, "mmap iobmd");
	}

private:
	std::uint32_t handle_;
	std::size_t size_;
};

class iobmd_allocator : public allocator {
public:
	iobmd_allocator(bool mask32, bool contiguous) : mask32_(mask32), contiguous_(contiguous)
	{
		iobmd_fd();
	}
	std::string name() const override
	{
		return contiguous_ ? "iobmd-contig32" : mask32_ ? "iobmd-mask32" : "iobmd";
	}

	std::unique_ptr<buffer> allocate(std::size_t size) override
	{
		struct iobmd_buf_create c = {};

		c.options = IOBMD_DIRECTION_INOUT |
			    (contiguous_ ? IOBMD_OPT_PHYSICALLY_CONTIGUOUS : 0);
		c.capacity = size;
		if (mask32_) {
			c.flags = IOBMD_BUF_CREATE_PHYS_MASK;
			c.phys_mask = kMask32;
		}
		iobmd_ioctl(IOBMD_BUF_CREATE, c, "IOBMD_BUF_CREATE");
		return std::make_unique<iobmd_buffer>(c.handle, size);
	}

private:
	bool mask32_;
	bool contiguous_;
};

/* --- dma-buf: the system heap and udmabuf ----------------------------- */

class dmabuf_buffer : public buffer {
public:
	dmabuf_buffer(unique_fd fd, std::size_t size) : fd_(std::move(fd)), size_(size) {}
	mapping map() override { return map_shared(fd_.get(), size_, 0, "mmap dma-buf"); }

private:
	unique_fd fd_;
	std::size_t size_;
};

/*
 * The CMA heap, where the kernel has a CMA area (/dev/dma_heap/reserved or
 * linux,cma): physically contiguous, like iobmd-contig32.
 */
unique_fd open_cma_heap()
{
	for (const char *path : { "/dev/dma_heap/reserved", "/dev/dma_heap/linux,cma" }) {
		int fd = ::open(path, O_RDWR | O_CLOEXEC);

		if (fd >= 0)
			return unique_fd(fd);
	}
	throw failure("no CMA heap in /dev/dma_heap (no CMA area)");
}

class heap_allocator : public allocator {
public:
	explicit heap_allocator(bool cma)
		: heap_(cma ? open_cma_heap() : open_dev("/dev/dma_heap/system")), cma_(cma)
	{
	}
	std::string name() const override { return cma_ ? "cma-heap" : "dma-heap"; }

	std::unique_ptr<buffer> allocate(std::size_t size) override
	{
		struct dma_heap_allocation_data a = {};

		a.len = size;
		a.fd_flags = O_RDWR | O_CLOEXEC;
		if (::ioctl(heap_.get(), DMA_HEAP_IOCTL_ALLOC, &a) != 0)
			fail_errno("DMA_HEAP_IOCTL_ALLOC");
		return std::make_unique<dmabuf_buffer>(unique_fd(int(a.fd)), size);
	}

private:
	unique_fd heap_;
	bool cma_;
};

/*
 * udmabuf refuses buffers above its size_limit_mb parameter (64 MiB by
 * default); raise it so the largest sizes can be compared at all.
 */
void udmabuf_raise_limit(unsigned mb)
{
	const char *path = "/sys/module/udmabuf/parameters/size_limit_mb";
	unsigned cur = 0;

	std::ifstream in(path);
	if (!(in >> cur) || cur >= mb)
		return;
	std::ofstream out(path);
	out << mb << '\n';
	if (!out.flush())
		throw failure(std::string("cannot raise ") + path);
	progress("udmabuf: size_limit_mb %u -> %u", cur, mb);
}

class udmabuf_allocator : public allocator {
public:
	udmabuf_allocator() : dev_(open_dev("/dev/udmabuf")) { udmabuf_raise_limit(1024); }
	std::string name() const override { return "udmabuf"; }

	std::unique_ptr<buffer> allocate(std::size_t size) override
	{
		unique_fd memfd(::memfd_create("iobmd_bench", MFD_ALLOW_SEALING | MFD_CLOEXEC));
		struct udmabuf_create c = {};
		int fd;

		if (!memfd)
			fail_errno("memfd_create");
		if (::ftruncate(memfd.get(), off_t(size)) != 0)
			fail_errno("ftruncate memfd");
		if (::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK) != 0)
			fail_errno("F_ADD_SEALS");
		c.memfd = __u32(memfd.get());
		c.flags = UDMABUF_FLAGS_CLOEXEC;
		c.offset = 0;
		c.size = size;
		fd = ::ioctl(dev_.get(), UDMABUF_CREATE, &c);
		if (fd < 0)
			fail_errno("UDMABUF_CREATE");
		/* The dma-buf holds the memfd's pages; the memfd can go. */
		return std::make_unique<dmabuf_buffer>(unique_fd(fd), size);
	}

private:
	unique_fd dev_;
};

/* --- anonymous memory: the floor --------------------------------------- */

class anon_buffer : public buffer {
public:
	explicit anon_buffer(mapping m) : m_(std::move(m)) {}
	/* The memory is its mapping: hand out a view of it. */
	mapping map() override { return mapping(m_.data(), m_.size(), false); }

private:
	mapping m_;
};

class anon_allocator : public allocator {
public:
	explicit anon_allocator(bool small_pages) : small_(small_pages) {}
	std::string name() const override { return small_ ? "anon-4k" : "anon"; }

	std::unique_ptr<buffer> allocate(std::size_t size) override
	{
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | (small_ ? 0 : MAP_POPULATE);
		void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, -1, 0);

		if (p == MAP_FAILED)
			fail_errno("mmap anonymous");
		mapping m(p, size);
		if (small_) {
			if (::madvise(p, size, MADV_NOHUGEPAGE) != 0)
				fail_errno("MADV_NOHUGEPAGE");
			if (::madvise(p, size, MADV_POPULATE_WRITE) != 0)
				fail_errno("MADV_POPULATE_WRITE");
		}
		return std::make_unique<anon_buffer>(std::move(m));
	}

private:
	bool small_;
};

/*
 * --- the zeroing floor --------------------------------------------------
 * What no allocator can avoid: every byte of new memory is zeroed, then
 * each page is touched.  allocate() clears the same bytes of a region
 * that is mapped and faulted already (kept from one call to the next);
 * the mapping is a view of it and releasing it does nothing.
 */
class zero_floor_allocator : public allocator {
public:
	std::string name() const override { return "zero-floor"; }

	std::unique_ptr<buffer> allocate(std::size_t size) override
	{
		if (region_.size() < size) {
			region_.reset();
			void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

			if (p == MAP_FAILED)
				fail_errno("mmap anonymous");
			region_ = mapping(p, size);
		}
		std::memset(region_.data(), 0, size);
		return std::make_unique<anon_buffer>(mapping(region_.data(), size, false));
	}

private:
	mapping region_;
};

} // namespace

int iobmd_fd()
{
	static unique_fd fd = open_dev("/dev/iobmd");

	return fd.get();
}

void iobmd_ioctl_raw(unsigned long cmd, void *arg, const char *name)
{
	if (::ioctl(iobmd_fd(), cmd, arg) != 0)
		fail_errno(name);
}

void iobmd_release(std::uint32_t handle) noexcept
{
	struct iobmd_handle_arg a = {};

	a.size = sizeof(a);
	a.handle = handle;
	if (::ioctl(iobmd_fd(), IOBMD_RELEASE, &a) != 0)
		std::fprintf(stderr, "IOBMD_RELEASE %u: %s\n", handle, std::strerror(errno));
}

std::unique_ptr<allocator> make_allocator(const std::string &name)
{
	if (name == "iobmd")
		return std::make_unique<iobmd_allocator>(false, false);
	if (name == "iobmd-mask32")
		return std::make_unique<iobmd_allocator>(true, false);
	if (name == "iobmd-contig32")
		return std::make_unique<iobmd_allocator>(true, true);
	if (name == "dma-heap")
		return std::make_unique<heap_allocator>(false);
	if (name == "cma-heap")
		return std::make_unique<heap_allocator>(true);
	if (name == "udmabuf")
		return std::make_unique<udmabuf_allocator>();
	if (name == "anon")
		return std::make_unique<anon_allocator>(false);
	if (name == "anon-4k")
		return std::make_unique<anon_allocator>(true);
	if (name == "zero-floor")
		return std::make_unique<zero_floor_allocator>();
	if (auto lib = make_lib_allocator(name))
		return lib;
	throw failure("unknown allocator " + name);
}

} // namespace iobmd_bench

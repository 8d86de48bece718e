// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench: iobmd through its libraries, as users call it: "libiobmd"
 * (the C core: iobmd_buffer_create, iobmd_map, iobmd_unmap,
 * iobmd_release) and "iokit" (the C++ IOKit layer:
 * IOBufferMemoryDescriptor::withCapacity and map(), the map and the
 * descriptor let go in that order).  Against "iobmd", the same commands
 * issued directly, they show what the libraries add per call.
 */
#include <cerrno>
#include <cstring>
#include <string>

#include <iobmd/iobmd.h>
#include <iobmd/IOBufferMemoryDescriptor.hpp>

#include "peers.hpp"

namespace iobmd_bench {

namespace {

void fail_lib(const char *what, int err)
{
	throw failure(std::string(what) + ": " + std::strerror(err));
}

/* --- the C core -------------------------------------------------------- */

class c_buffer : public buffer {
public:
	c_buffer(struct iobmd_dev *dev, iobmd_handle handle) : dev_(dev), handle_(handle) {}
	~c_buffer() override { (void)iobmd_release(dev_, handle_); }

	mapping map() override
	{
		void *addr = nullptr;
		std::uint64_t len = 0;
		int ret = iobmd_map(dev_, handle_, 0, 0, 0, &addr, &len);

		if (ret)
			fail_lib("iobmd_map", -ret);
		return mapping(addr, std::size_t(len));
	}

private:
	struct iobmd_dev *dev_;
	iobmd_handle handle_;
};

class c_allocator : public allocator {
public:
	c_allocator()
	{
		int ret = iobmd_dev_open(nullptr, 0, &dev_);

		if (ret)
			fail_lib("iobmd_dev_open", -ret);
	}
	~c_allocator() override { iobmd_dev_close(dev_); }
	c_allocator(const c_allocator &) = delete;
	c_allocator &operator=(const c_allocator &) = delete;
	std::string name() const override { return "libiobmd"; }

	std::unique_ptr<buffer> allocate(std::size_t size) override
	{
		iobmd_handle h = 0;
		int ret = iobmd_buffer_create(dev_, IOBMD_DIRECTION_INOUT, size, 0, &h);

		if (ret)
			fail_lib("iobmd_buffer_create", -ret);
		return std::make_unique<c_buffer>(dev_, h);
	}

private:
	struct iobmd_dev *dev_ = nullptr;
};

/* --- the IOKit layer ---------------------------------------------------- */

/*
 * The buffer keeps its IOMemoryMap: the mapping handed out does not own
 * the pages, the map goes (munmap) when the buffer does, before the
 * descriptor, as the other peers' destructors run.
 */
class iokit_buffer : public buffer {
public:
	explicit iokit_buffer(iobmd::OSSharedPtr<iobmd::IOBufferMemoryDescriptor> md)
		: md_(std::move(md)) {}
	~iokit_buffer() override
	{
		map_.reset();
		md_.reset();
	}

	mapping map() override
	{
		map_ = md_->map();
		if (!map_)
			throw failure("IOMemoryDescriptor::map failed");
		return mapping(reinterpret_cast<void *>(map_->getVirtualAddress()),
			       std::size_t(map_->getLength()), false);
	}

private:
	iobmd::OSSharedPtr<iobmd::IOBufferMemoryDescriptor> md_;
	iobmd::OSSharedPtr<iobmd::IOMemoryMap> map_;
};

class iokit_allocator : public allocator {
public:
	std::string name() const override { return "iokit"; }

	std::unique_ptr<buffer> allocate(std::size_t size) override
	{
		auto md = iobmd::IOBufferMemoryDescriptor::withCapacity(size,
									  iobmd::kIODirectionInOut);

		if (!md)
			throw failure("IOBufferMemoryDescriptor::withCapacity failed");
		return std::make_unique<iokit_buffer>(std::move(md));
	}
};

} // namespace

std::unique_ptr<allocator> make_lib_allocator(const std::string &name)
{
	if (name == "libiobmd")
		return std::make_unique<c_allocator>();
	if (name == "iokit")
		return std::make_unique<iokit_allocator>();
	return nullptr;
}

} // namespace iobmd_bench

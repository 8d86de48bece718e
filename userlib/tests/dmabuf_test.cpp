// SPDX-License-Identifier: GPL-2.0
/*
 * dma-bufs: IOMemoryDescriptor::createDmaBuf() (export) and withDmaBuf()
 * (import), against the module and the kernel's other exporters: the
 * system dma-buf heap where the kernel has one (6.12), and vgem's PRIME
 * exports where vgem is loaded (6.1 has no heaps: the runner loads vgem).
 */
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <dirent.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iobmd/control.hpp>

#include "helpers.hpp"
#include "iobmd.h"

using namespace iobmd;
using namespace iobmd_test;

/* A dma-buf createDmaBuf() made, with the reason when it made none. */
#define ASSERT_EXPORTED(fd) \
	ASSERT_TRUE((fd).isValid()) << "lastError: " << stringFromReturn(lastError()) \
				    << ", errno " << lastErrno()

namespace {

/* A mapping of a dma-buf, unmapped on destruction; errno in err when
 * mmap() failed. */
class fd_map {
public:
	fd_map(int fd, std::size_t len, int prot, off_t offset = 0) : n_(len)
	{
		void *p = ::mmap(nullptr, len, prot, MAP_SHARED, fd, offset);
		if (p == MAP_FAILED)
			err = errno;
		else
			p_ = static_cast<std::uint8_t *>(p);
	}
	~fd_map()
	{
		if (p_)
			::munmap(p_, n_);
	}
	fd_map(const fd_map &) = delete;
	fd_map &operator=(const fd_map &) = delete;
	std::uint8_t *data() const { return p_; }

	int err = 0;

private:
	std::uint8_t *p_ = nullptr;
	std::size_t n_;
};

/* DMA_BUF_IOCTL_SYNC: 0 or the errno. */
int sync(int fd, std::uint64_t flags)
{
	dma_buf_sync s{};
	s.flags = flags;
	return ::ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? errno : 0;
}

/* A dma-buf's size, as lseek() to its end reports it. */
std::uint64_t size_of(int fd)
{
	off_t end = ::lseek(fd, 0, SEEK_END);
	return end < 0 ? 0 : static_cast<std::uint64_t>(end);
}

/* A dma-buf of @size bytes from another exporter than iobmd. */
struct foreign {
	std::string exporter; /* "dma-heap system", "vgem" */
	unique_fd fd;
	std::string why;      /* why there is none */
};

foreign from_heap(std::size_t size, bool writable)
{
	foreign f{ "dma-heap system", unique_fd(), "" };
	unique_fd heap(::open("/dev/dma_heap/system", O_RDWR | O_CLOEXEC));
	if (!heap.isValid()) {
		f.why = "open /dev/dma_heap/system: " + std::string(std::strerror(errno));
		return f;
	}
	dma_heap_allocation_data a{};
	a.len = size;
	a.fd_flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	if (::ioctl(heap.get(), DMA_HEAP_IOCTL_ALLOC, &a))
		f.why = "DMA_HEAP_IOCTL_ALLOC: " + std::string(std::strerror(errno));
	else
		f.fd.reset(static_cast<int>(a.fd));
	return f;
}

/* The DRM device vgem made, open; invalid when there is none. */
unique_fd open_vgem()
{
	DIR *dir = ::opendir("/dev/dri");
	if (!dir)
		return unique_fd();
	unique_fd found;
	while (dirent *e = ::readdir(dir)) {
		if (std::strncmp(e->d_name, "card", 4))
			continue;
		std::string path = std::string("/dev/dri/") + e->d_name;
		unique_fd card(::open(path.c_str(), O_RDWR | O_CLOEXEC));
		if (!card.isValid())
			continue;
		char name[16] = {};
		drm_version v{};
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!::ioctl(card.get(), DRM_IOCTL_VERSION, &v) &&
		    std::string(name) == "vgem") {
			found = std::move(card);
			break;
		}
	}
	::closedir(dir);
	return found;
}

/* @size bytes of @seed's pattern written into vgem's dumb buffer @handle. */
bool vgem_fill(int card, std::uint32_t handle, std::size_t size, int seed)
{
	drm_mode_map_dumb m{};
	m.handle = handle;
	if (::ioctl(card, DRM_IOCTL_MODE_MAP_DUMB, &m))
		return false;
	void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, card,
			 static_cast<off_t>(m.offset));
	if (p == MAP_FAILED)
		return false;
	auto src = pattern(size, seed);
	std::memcpy(p, src.data(), size);
	::munmap(p, size);
	return true;
}

/* A vgem dma-buf; with @seed, its bytes are @seed's pattern, else zeros. */
foreign from_vgem(std::size_t size, bool writable, int seed = 0)
{
	foreign f{ "vgem", unique_fd(), "" };
	unique_fd card = open_vgem();
	if (!card.isValid()) {
		f.why = "no vgem device in /dev/dri";
		return f;
	}
	/* A dumb buffer one page wide at 32 bits a pixel: a row a page. */
	drm_mode_create_dumb c{};
	c.width = static_cast<std::uint32_t>(page() / 4);
	c.height = static_cast<std::uint32_t>((size + page() - 1) / page());
	c.bpp = 32;
	if (::ioctl(card.get(), DRM_IOCTL_MODE_CREATE_DUMB, &c)) {
		f.why = "DRM_IOCTL_MODE_CREATE_DUMB: " + std::string(std::strerror(errno));
		return f;
	}
	drm_prime_handle p{};
	p.handle = c.handle;
	p.flags = DRM_CLOEXEC | (writable ? DRM_RDWR : 0);
	if (seed && !vgem_fill(card.get(), c.handle, size, seed))
		f.why = "vgem's dumb map: " + std::string(std::strerror(errno));
	else if (::ioctl(card.get(), DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
		f.why = "DRM_IOCTL_PRIME_HANDLE_TO_FD: " + std::string(std::strerror(errno));
	else
		f.fd.reset(p.fd);
	/* The dma-buf holds the object: the handle and the card can go. */
	drm_gem_close g{};
	g.handle = c.handle;
	::ioctl(card.get(), DRM_IOCTL_GEM_CLOSE, &g);
	return f;
}

/* Every other exporter this kernel has, each with a @size-byte dma-buf,
 * open read-write or read-only; vgem's holds @seed's pattern if @seed.
 * A kernel with the system heap, or with vgem loaded, must have given
 * its one. */
std::vector<foreign> foreign_dmabufs(std::size_t size, bool writable, std::string *why,
				     int seed = 0)
{
	std::vector<foreign> v;

	v.push_back(from_heap(size, writable));
	v.push_back(from_vgem(size, writable, seed));
	EXPECT_TRUE(v[0].fd.isValid() || ::access("/dev/dma_heap/system", F_OK) != 0)
		<< v[0].why;
	EXPECT_TRUE(v[1].fd.isValid() || ::access("/sys/module/vgem", F_OK) != 0)
		<< v[1].why;
	for (auto it = v.begin(); it != v.end();) {
		if (it->fd.isValid()) {
			++it;
			continue;
		}
		*why += (why->empty() ? "" : "; ") + it->why;
		it = v.erase(it);
	}
	return v;
}

/* A buffer of @n bytes holding pattern(@n, @seed). */
OSSharedPtr<IOBufferMemoryDescriptor> filled_buffer(std::size_t n, unsigned seed)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(n, kIODirectionInOut);
	if (!b)
		return nullptr;
	auto src = pattern(n, seed);
	if (b->writeBytes(0, src.data(), n) != n)
		return nullptr;
	return b;
}

} // namespace

TEST(DmaBuf, ExportMapsTheDescriptorsMemory)
{
	const std::size_t n = 4 * page();
	auto b = filled_buffer(n, 50);
	ASSERT_MADE(b);
	auto src = pattern(n, 50);

	unique_fd fd = b->createDmaBuf();
	ASSERT_EXPORTED(fd);
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(n, size_of(fd.get()));

	fd_map m(fd.get(), n, PROT_READ | PROT_WRITE);
	ASSERT_EQ(0, m.err);
	/* The descriptor's bytes, seen through the dma-buf. */
	EXPECT_EQ(0, sync(fd.get(), DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	EXPECT_EQ(0, std::memcmp(m.data(), src.data(), n));
	/* A store through the dma-buf, seen by the descriptor. */
	m.data()[page() + 7] = 0x5a;
	m.data()[n - 1] = 0xa5;
	EXPECT_EQ(0, sync(fd.get(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	std::uint8_t v[2] = {};
	EXPECT_EQ(1U, b->readBytes(page() + 7, &v[0], 1));
	EXPECT_EQ(1U, b->readBytes(n - 1, &v[1], 1));
	EXPECT_EQ(0x5a, v[0]);
	EXPECT_EQ(0xa5, v[1]);
	/* And the other way. */
	auto other = pattern(page(), 51);
	ASSERT_EQ(page(), b->writeBytes(2 * page(), other.data(), page()));
	EXPECT_EQ(0, sync(fd.get(), DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(0, std::memcmp(m.data() + 2 * page(), other.data(), page()));
	EXPECT_EQ(0, sync(fd.get(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

TEST(DmaBuf, ExportsASubRange)
{
	const std::size_t n = 4 * page();
	auto b = filled_buffer(n, 52);
	ASSERT_MADE(b);
	auto src = pattern(n, 52);

	unique_fd fd = b->createDmaBuf(0, page(), 2 * page());
	ASSERT_EXPORTED(fd);
	EXPECT_EQ(2 * page(), size_of(fd.get()));
	{
		fd_map m(fd.get(), 2 * page(), PROT_READ | PROT_WRITE);
		ASSERT_EQ(0, m.err);
		EXPECT_EQ(0, std::memcmp(m.data(), src.data() + page(), 2 * page()));
		m.data()[0] = static_cast<std::uint8_t>(~src[page()]);
		std::uint8_t v = 0;
		EXPECT_EQ(1U, b->readBytes(page(), &v, 1));
		EXPECT_EQ(static_cast<std::uint8_t>(~src[page()]), v);
		/* Its second page is the buffer's third. */
		fd_map second(fd.get(), page(), PROT_READ, static_cast<off_t>(page()));
		ASSERT_EQ(0, second.err);
		EXPECT_EQ(0, std::memcmp(second.data(), src.data() + 2 * page(), page()));
	}
	/* No more than the range. */
	fd_map beyond(fd.get(), 3 * page(), PROT_READ);
	EXPECT_EQ(EINVAL, beyond.err);

	/* A length that ends inside a page: the dma-buf has the whole page. */
	unique_fd part = b->createDmaBuf(0, 3 * page(), 100);
	ASSERT_EXPORTED(part);
	EXPECT_EQ(page(), size_of(part.get()));
	fd_map last(part.get(), page(), PROT_READ);
	ASSERT_EQ(0, last.err);
	EXPECT_EQ(0, std::memcmp(last.data(), src.data() + 3 * page(), page()));
}

TEST(DmaBuf, ReadOnlyExportRefusesWritableMappings)
{
	const std::size_t n = 2 * page();
	auto b = filled_buffer(n, 53);
	ASSERT_MADE(b);
	auto src = pattern(n, 53);

	unique_fd ro = b->createDmaBuf(kIODmaBufReadOnly);
	ASSERT_EXPORTED(ro);
	EXPECT_EQ(O_RDONLY, ::fcntl(ro.get(), F_GETFL) & O_ACCMODE);
	fd_map w(ro.get(), n, PROT_READ | PROT_WRITE);
	EXPECT_EQ(EACCES, w.err);
	fd_map r(ro.get(), n, PROT_READ);
	ASSERT_EQ(0, r.err);
	EXPECT_EQ(0, std::memcmp(r.data(), src.data(), n));
	/* Nor can the read-only mapping be made writable. */
	EXPECT_EQ(-1, ::mprotect(r.data(), n, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);

	unique_fd rw = b->createDmaBuf();
	ASSERT_EXPORTED(rw);
	EXPECT_EQ(O_RDWR, ::fcntl(rw.get(), F_GETFL) & O_ACCMODE);
}

TEST(DmaBuf, CloseOnExecUnlessAskedNotTo)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);

	unique_fd fd = b->createDmaBuf();
	ASSERT_EXPORTED(fd);
	EXPECT_EQ(FD_CLOEXEC, ::fcntl(fd.get(), F_GETFD));
	unique_fd kept = b->createDmaBuf(kIODmaBufNoCloseOnExec | kIODmaBufReadOnly);
	ASSERT_EXPORTED(kept);
	EXPECT_EQ(0, ::fcntl(kept.get(), F_GETFD));
	EXPECT_EQ(O_RDONLY, ::fcntl(kept.get(), F_GETFL) & O_ACCMODE);
}

TEST(DmaBuf, TheOwnerClosesTheFileDescriptor)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	int raw;
	{
		unique_fd fd = b->createDmaBuf();
		ASSERT_EXPORTED(fd);
		raw = fd.get();
		EXPECT_NE(-1, ::fcntl(raw, F_GETFD));
	}
	errno = 0;
	EXPECT_EQ(-1, ::fcntl(raw, F_GETFD));
	EXPECT_EQ(EBADF, errno);

	/* Moved: the new owner closes it, the old one holds nothing. */
	unique_fd a = b->createDmaBuf();
	ASSERT_EXPORTED(a);
	raw = a.get();
	unique_fd c = std::move(a);
	EXPECT_FALSE(a.isValid());
	EXPECT_EQ(raw, c.get());
	c.reset();
	EXPECT_EQ(-1, ::fcntl(raw, F_GETFD));
	EXPECT_EQ(EBADF, errno);

	/* Released: the caller's to close. */
	unique_fd d = b->createDmaBuf();
	ASSERT_EXPORTED(d);
	raw = d.release();
	EXPECT_FALSE(d.isValid());
	EXPECT_NE(-1, ::fcntl(raw, F_GETFD));
	EXPECT_EQ(0, ::close(raw));
}

TEST(DmaBuf, ExportOutlivesTheDescriptorAndItsTask)
{
	const std::size_t n = 2 * page();
	auto src = pattern(n, 54);
	unique_fd fd;
	{
		task_t t = task::open();
		ASSERT_MADE(t);
		auto b = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, n);
		ASSERT_MADE(b);
		ASSERT_EQ(n, b->writeBytes(0, src.data(), n));
		fd = b->createDmaBuf();
		ASSERT_EXPORTED(fd);
		/* The descriptor goes, then its task (the open file). */
	}
	fd_map m(fd.get(), n, PROT_READ | PROT_WRITE);
	ASSERT_EQ(0, m.err);
	EXPECT_EQ(0, std::memcmp(m.data(), src.data(), n));
	m.data()[0] ^= 0xff;
	EXPECT_EQ(static_cast<std::uint8_t>(src[0] ^ 0xff), m.data()[0]);
}

TEST(DmaBuf, ExportsUserMemoryAndWindows)
{
	anon_pages mem(3 * page());
	ASSERT_NE(nullptr, mem.data());
	auto src = pattern(3 * page(), 55);
	std::memcpy(mem.data(), src.data(), src.size());
	auto general = IOGeneralMemoryDescriptor::withAddressRange(
		mem.address(), 3 * page(), kIODirectionInOut, nullptr);
	ASSERT_MADE(general);

	unique_fd fd = general->createDmaBuf();
	ASSERT_EXPORTED(fd);
	{
		fd_map m(fd.get(), 3 * page(), PROT_READ | PROT_WRITE);
		ASSERT_EQ(0, m.err);
		EXPECT_EQ(0, std::memcmp(m.data(), src.data(), src.size()));
		/* The same pages: a store through the dma-buf is in ours. */
		m.data()[page() + 1] = 0x77;
		EXPECT_EQ(0x77, mem.data()[page() + 1]);
	}

	/* A window of the user memory, from its second page. */
	auto sub = IOSubMemoryDescriptor::withSubRange(general.get(), page(), 2 * page(),
						       kIODirectionInOut);
	ASSERT_MADE(sub);
	unique_fd sfd = sub->createDmaBuf();
	ASSERT_EXPORTED(sfd);
	EXPECT_EQ(2 * page(), size_of(sfd.get()));
	fd_map sm(sfd.get(), 2 * page(), PROT_READ);
	ASSERT_EQ(0, sm.err);
	EXPECT_EQ(0x77, sm.data()[1]);
	EXPECT_EQ(0, std::memcmp(sm.data() + page(), src.data() + 2 * page(), page()));
}

TEST(DmaBuf, ExportErrors)
{
	const std::size_t n = 4 * page();
	auto b = IOBufferMemoryDescriptor::withCapacity(n, kIODirectionInOut);
	ASSERT_MADE(b);

	/* Options the library does not know. */
	EXPECT_FALSE(b->createDmaBuf(0x4).isValid());
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EINVAL, lastErrno());
	/* An offset inside a page. */
	EXPECT_FALSE(b->createDmaBuf(0, 1).isValid());
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EINVAL, lastErrno());
	/* Past the end, or longer than the descriptor. */
	EXPECT_FALSE(b->createDmaBuf(0, 8 * page()).isValid());
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_FALSE(b->createDmaBuf(0, page(), n).isValid());
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(ERANGE, lastErrno());
	/* Memory this process cannot write: the export pins for writing. */
	void *ro = ::mmap(nullptr, page(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	auto general = IOGeneralMemoryDescriptor::withAddressRange(
		reinterpret_cast<mach_vm_address_t>(ro), page(), kIODirectionOut, nullptr);
	ASSERT_MADE(general);
	EXPECT_FALSE(general->createDmaBuf(kIODmaBufReadOnly).isValid());
	EXPECT_RET(kIOReturnVMError, lastError());
	EXPECT_EQ(EFAULT, lastErrno());
	general.reset();
	EXPECT_EQ(0, ::munmap(ro, page()));
	/* Nothing to export. */
	b->setLength(0);
	EXPECT_FALSE(b->createDmaBuf().isValid());
	EXPECT_RET(kIOReturnNotReady, lastError());
	EXPECT_EQ(ENODATA, lastErrno());
	/* And a call that works says so. */
	b->setLength(n);
	EXPECT_TRUE(b->createDmaBuf().isValid());
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(0, lastErrno());
}

TEST(DmaBuf, ImportOfItsOwnExport)
{
	const std::size_t n = 4 * page();
	auto b = filled_buffer(n, 56);
	ASSERT_MADE(b);
	auto src = pattern(n, 56);

	unique_fd fd = b->createDmaBuf(0, page(), 2 * page());
	ASSERT_EXPORTED(fd);
	OSSharedPtr<IOMemoryDescriptor> d = IOMemoryDescriptor::withDmaBuf(fd.get(),
									  kIODirectionInOut);
	ASSERT_MADE(d);
	/* The descriptor holds the dma-buf: the file descriptor can go. */
	fd.reset();
	EXPECT_EQ(2 * page(), d->getLength());
	std::vector<std::uint8_t> back(2 * page());
	EXPECT_EQ(back.size(), d->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(0, std::memcmp(back.data(), src.data() + page(), back.size()));
	/* Writes reach the buffer it was exported from. */
	std::uint8_t v = 0x3c;
	EXPECT_EQ(1U, d->writeBytes(page() + 9, &v, 1));
	v = 0;
	EXPECT_EQ(1U, b->readBytes(2 * page() + 9, &v, 1));
	EXPECT_EQ(0x3c, v);
	/* Mapped, it is the same memory too. */
	auto m = d->map();
	ASSERT_MADE(m);
	EXPECT_EQ(0x3c, reinterpret_cast<std::uint8_t *>(m->getVirtualAddress())[page() + 9]);
}

namespace {

/* @d, over a dma-buf open read-only holding @expect: read, never written. */
void expect_read_only(IOMemoryDescriptor &d, const std::vector<std::uint8_t> &expect)
{
	const std::size_t n = expect.size();
	std::vector<std::uint8_t> back(n);
	EXPECT_EQ(n, d.readBytes(0, back.data(), n));
	EXPECT_EQ(0, std::memcmp(back.data(), expect.data(), n));
	std::uint8_t v = 1;
	EXPECT_EQ(0U, d.writeBytes(0, &v, 1));
	EXPECT_RET(kIOReturnNotPrivileged, lastError());
	EXPECT_EQ(EACCES, lastErrno());
	EXPECT_EQ(nullptr, d.map());
	EXPECT_RET(kIOReturnNotPrivileged, lastError());
	EXPECT_EQ(EACCES, lastErrno());
	auto m = d.map(kIOMapReadOnly);
	ASSERT_MADE(m);
	EXPECT_EQ(0, std::memcmp(reinterpret_cast<void *>(m->getVirtualAddress()),
				 expect.data(), n));
}

} // namespace

TEST(DmaBuf, ImportOfAReadOnlyDmaBufIsReadOnly)
{
	const std::size_t n = 2 * page();
	std::string why;
	std::vector<foreign> bufs = foreign_dmabufs(n, false, &why, 60);

	ASSERT_FALSE(bufs.empty()) << "no other exporter: " << why;
	for (foreign &f : bufs) {
		SCOPED_TRACE(f.exporter);
		EXPECT_EQ(O_RDONLY, ::fcntl(f.fd.get(), F_GETFL) & O_ACCMODE);
		auto d = IOMemoryDescriptor::withDmaBuf(f.fd.get(), kIODirectionInOut);
		ASSERT_MADE(d);
		/* vgem's was filled before it was exported; the heap's is zeroed
		 * memory, which nothing can write through a read-only file. */
		expect_read_only(*d, f.exporter == "vgem" ? pattern(n, 60) :
							  std::vector<std::uint8_t>(n));
	}

	/* iobmd's own read-only export alike. */
	SCOPED_TRACE("iobmd");
	auto b = filled_buffer(n, 59);
	ASSERT_MADE(b);
	unique_fd fd = b->createDmaBuf(kIODmaBufReadOnly);
	ASSERT_EXPORTED(fd);
	auto d = IOMemoryDescriptor::withDmaBuf(fd.get(), kIODirectionInOut);
	ASSERT_MADE(d);
	expect_read_only(*d, pattern(n, 59));
}

TEST(DmaBuf, ImportOfAnotherExportersDmaBuf)
{
	const std::size_t n = 4 * page();
	std::string why;
	std::vector<foreign> bufs = foreign_dmabufs(n, true, &why);

	/* 6.12 has the system heap; 6.1 has vgem when the runner loads it. */
	ASSERT_FALSE(bufs.empty()) << "no other exporter: " << why;
	for (foreign &f : bufs) {
		SCOPED_TRACE(f.exporter);
		std::printf("# importing a %s dma-buf\n", f.exporter.c_str());
		ASSERT_EQ(n, size_of(f.fd.get()));
		auto src = pattern(n, 57);
		{
			fd_map m(f.fd.get(), n, PROT_READ | PROT_WRITE);
			ASSERT_EQ(0, m.err);
			ASSERT_EQ(0, sync(f.fd.get(), DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
			std::memcpy(m.data(), src.data(), n);
			ASSERT_EQ(0, sync(f.fd.get(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
		}

		auto d = IODmaBufMemoryDescriptor::withDmaBuf(f.fd.get(), kIODirectionInOut);
		ASSERT_MADE(d);
		EXPECT_EQ(n, d->getLength());
		EXPECT_EQ(kIODirectionInOut, d->getDirection());
		std::vector<std::uint8_t> back(n);
		EXPECT_EQ(n, d->readBytes(0, back.data(), n));
		EXPECT_EQ(0, std::memcmp(back.data(), src.data(), n));

		/* Writes through the descriptor land in the exporter's memory. */
		auto other = pattern(page(), 58);
		EXPECT_EQ(page(), d->writeBytes(page(), other.data(), page()));
		{
			fd_map m(f.fd.get(), n, PROT_READ);
			ASSERT_EQ(0, m.err);
			ASSERT_EQ(0, sync(f.fd.get(), DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
			EXPECT_EQ(0, std::memcmp(m.data() + page(), other.data(), page()));
			ASSERT_EQ(0, sync(f.fd.get(), DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
		}

		/* It outlives the file descriptor, maps, and has windows. */
		f.fd.reset();
		auto m = d->map();
		ASSERT_MADE(m);
		EXPECT_EQ(0, std::memcmp(reinterpret_cast<void *>(m->getVirtualAddress()),
					 src.data(), page()));
		auto sub = IOSubMemoryDescriptor::withSubRange(d.get(), page(), page(),
							       kIODirectionInOut);
		ASSERT_MADE(sub);
		std::uint8_t v = 0;
		EXPECT_EQ(1U, sub->readBytes(5, &v, 1));
		EXPECT_EQ(other[5], v);

		/* Someone else's memory is not iobmd's to export. */
		EXPECT_FALSE(d->createDmaBuf().isValid());
		EXPECT_RET(kIOReturnBadArgument, lastError());
		EXPECT_EQ(EINVAL, lastErrno());
	}
}

TEST(DmaBuf, ImportErrors)
{
	/* No file descriptor at all. */
	EXPECT_EQ(nullptr, IOMemoryDescriptor::withDmaBuf(-1, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EBADF, lastErrno());
	/* One that is not open. */
	int closed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, closed);
	ASSERT_EQ(0, ::close(closed));
	EXPECT_EQ(nullptr, IOMemoryDescriptor::withDmaBuf(closed, kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EBADF, lastErrno());
	/* Files that are not dma-bufs: a memfd, and /dev/iobmd itself. */
	unique_fd memfd(::memfd_create("iobmd-dmabuf-test", MFD_CLOEXEC));
	ASSERT_TRUE(memfd.isValid()) << "memfd_create: errno " << errno;
	ASSERT_EQ(0, ::ftruncate(memfd.get(), static_cast<off_t>(page())));
	EXPECT_EQ(nullptr, IOMemoryDescriptor::withDmaBuf(memfd.get(), kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EBADF, lastErrno());
	task_t t = current_task();
	ASSERT_MADE(t);
	EXPECT_EQ(nullptr, IOMemoryDescriptor::withDmaBuf(t->fd(), kIODirectionInOut, t));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EBADF, lastErrno());

	/* A direction the module does not know, on a real dma-buf. */
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	unique_fd fd = b->createDmaBuf();
	ASSERT_EXPORTED(fd);
	EXPECT_EQ(nullptr, IOMemoryDescriptor::withDmaBuf(fd.get(), 0x8));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(EINVAL, lastErrno());
	/* And with a good one it works. */
	EXPECT_NE(nullptr, IOMemoryDescriptor::withDmaBuf(fd.get(), kIODirectionOut));
	EXPECT_RET(kIOReturnSuccess, lastError());
}

TEST(DmaBuf, KindHasAName)
{
	EXPECT_STREQ("dmabuf", control::kind_name(IOBMD_KIND_DMABUF));
}

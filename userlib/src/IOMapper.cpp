// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOMapper, and IOVFIOMapper: IOVAs placed in the
 * usable ranges of a VFIO container (mapped with VFIO_IOMMU_MAP_DMA) or of
 * an iommufd IOAS (IOMMU_IOAS_MAP at a fixed IOVA).
 */
#include <cerrno>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.hpp"
#include "iobmd/IOMapper.hpp"

namespace iobmd {

IOMapper::~IOMapper() = default;

struct IOVFIOMapper::State {
	/* Usable IOVA ranges, [first, last], from the container. */
	std::vector<std::pair<std::uint64_t, std::uint64_t>> usable;
	/* What this mapper mapped: IOVA -> bytes. */
	std::map<std::uint64_t, std::uint64_t> used;
	/* Every IOVA is a multiple of this (a power of two). */
	std::uint64_t align = 0;
	int fd = -1;
	bool iommufd = false;          /* fd: an iommufd, else a container */
	std::uint32_t ioas = 0;
	std::uint64_t page = 0;        /* the smallest page the IOMMU maps */
};

IOVFIOMapper::IOVFIOMapper() : state_(std::make_unique<State>())
{
}

std::uint64_t IOVFIOMapper::getPageSize() const noexcept
{
	return state_->page;
}

namespace {

/* VFIO_IOMMU_GET_INFO with its capability chain; empty on failure
 * (errno set). */
std::vector<std::uint8_t> iommuInfo(int fd)
{
	std::vector<std::uint8_t> buf(sizeof(vfio_iommu_type1_info));
	for (int tries = 0; tries < 2; tries++) {
		auto *info = reinterpret_cast<vfio_iommu_type1_info *>(buf.data());
		info->argsz = static_cast<std::uint32_t>(buf.size());
		if (::ioctl(fd, VFIO_IOMMU_GET_INFO, info))
			return {};
		if (info->argsz <= buf.size())
			return buf;
		buf.resize(info->argsz);
	}
	errno = EPROTO;
	return {};
}

/* The usable ranges the info's IOVA-range capability lists, or
 * everything when it has none. */
std::vector<std::pair<std::uint64_t, std::uint64_t>>
usableRanges(const std::vector<std::uint8_t> &buf)
{
	auto *info = reinterpret_cast<const vfio_iommu_type1_info *>(buf.data());
	std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
	std::uint32_t off = (info->flags & VFIO_IOMMU_INFO_CAPS) ?
			    info->cap_offset : 0;

	/* Each header lies inside the buffer, after the last one. */
	while (off >= sizeof(*info) &&
	       off + sizeof(vfio_info_cap_header) <= buf.size()) {
		auto *hdr = reinterpret_cast<const vfio_info_cap_header *>(
			buf.data() + off);
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			auto *cap = reinterpret_cast<
				const vfio_iommu_type1_info_cap_iova_range *>(hdr);
			std::size_t end = off + sizeof(*cap) +
				std::size_t{cap->nr_iovas} * sizeof(cap->iova_ranges[0]);
			if (end > buf.size())
				break;
			for (std::uint32_t i = 0; i < cap->nr_iovas; i++)
				out.emplace_back(cap->iova_ranges[i].start,
						 cap->iova_ranges[i].end);
			return out;
		}
		if (hdr->next <= off)
			break;
		off = hdr->next;
	}
	out.emplace_back(0, ~std::uint64_t{0});
	return out;
}

/* The IOAS's usable ranges and IOVA alignment; false on failure (errno
 * set). */
bool ioasRanges(int fd, std::uint32_t ioas,
		std::vector<std::pair<std::uint64_t, std::uint64_t>> *out,
		std::uint64_t *align)
{
	std::vector<iommu_iova_range> r(4);
	for (int tries = 0; tries < 4; tries++) {
		iommu_ioas_iova_ranges q{};
		q.size = sizeof(q);
		q.ioas_id = ioas;
		q.num_iovas = static_cast<std::uint32_t>(r.size());
		q.allowed_iovas = reinterpret_cast<std::uintptr_t>(r.data());
		if (!::ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q)) {
			out->clear();
			for (std::uint32_t i = 0; i < q.num_iovas; i++)
				out->emplace_back(r[i].start, r[i].last);
			*align = q.out_iova_alignment;
			return true;
		}
		/* EMSGSIZE: num_iovas says how many there are. */
		if (errno != EMSGSIZE || q.num_iovas <= r.size())
			return false;
		r.resize(q.num_iovas);
	}
	errno = EPROTO;
	return false;
}

std::uint64_t roundUp(std::uint64_t v, std::uint64_t align, bool *overflow)
{
	std::uint64_t r;

	if (__builtin_add_overflow(v, align - 1, &r)) {
		*overflow = true;
		return 0;
	}
	return r & ~(align - 1);
}

} // namespace

OSSharedPtr<IOVFIOMapper> IOVFIOMapper::withContainer(int containerFd) noexcept
{
	return detail::guarded(OSSharedPtr<IOVFIOMapper>{},
			       [&]() -> OSSharedPtr<IOVFIOMapper> {
		if (containerFd < 0) {
			detail::fail(EINVAL);
			return nullptr;
		}
		std::vector<std::uint8_t> buf = iommuInfo(containerFd);
		if (buf.empty()) {
			/* Not a container, or one without an IOMMU set. */
			detail::fail(errno == ENOTTY || errno == EBADF ?
				     EINVAL : errno);
			return nullptr;
		}
		auto *info = reinterpret_cast<vfio_iommu_type1_info *>(buf.data());
		std::uint64_t page = 4096;
		if ((info->flags & VFIO_IOMMU_INFO_PGSIZES) && info->iova_pgsizes)
			page = info->iova_pgsizes & -info->iova_pgsizes;

		OSSharedPtr<IOVFIOMapper> m(new IOVFIOMapper());
		m->state_->usable = usableRanges(buf);
		m->state_->page = page;
		return adopt(std::move(m), containerFd);
	});
}

/* @m, with its own duplicate of @fd; null (and recorded) without one. */
OSSharedPtr<IOVFIOMapper> IOVFIOMapper::adopt(OSSharedPtr<IOVFIOMapper> m,
					       int fd) noexcept
{
	m->state_->fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (m->state_->fd < 0) {
		detail::fail(errno);
		return nullptr;
	}
	detail::succeed();
	return m;
}

OSSharedPtr<IOVFIOMapper> IOVFIOMapper::withIOAS(int iommuFd,
						 std::uint32_t ioasId) noexcept
{
	return detail::guarded(OSSharedPtr<IOVFIOMapper>{},
			       [&]() -> OSSharedPtr<IOVFIOMapper> {
		if (iommuFd < 0) {
			detail::fail(EINVAL);
			return nullptr;
		}
		OSSharedPtr<IOVFIOMapper> m(new IOVFIOMapper());
		std::uint64_t align = 0;
		if (!ioasRanges(iommuFd, ioasId, &m->state_->usable, &align)) {
			/* Not an iommufd; no such IOAS. */
			detail::fail(errno == ENOTTY || errno == EBADF ?
				     EINVAL : errno);
			return nullptr;
		}
		m->state_->page = static_cast<std::uint64_t>(::getpagesize());
		m->state_->align = align;
		m->state_->iommufd = true;
		m->state_->ioas = ioasId;
		return adopt(std::move(m), iommuFd);
	});
}

/* Unmap [iova, iova + length) from the IOMMU; 0 or the errno. */
int IOVFIOMapper::unmapRange(std::uint64_t iova, std::uint64_t length) noexcept
{
	if (state_->iommufd) {
		iommu_ioas_unmap u{};
		u.size = sizeof(u);
		u.ioas_id = state_->ioas;
		u.iova = iova;
		u.length = length;
		return ::ioctl(state_->fd, IOMMU_IOAS_UNMAP, &u) ? errno : 0;
	}
	vfio_iommu_type1_dma_unmap u{};
	u.argsz = sizeof(u);
	u.iova = iova;
	u.size = length;
	return ::ioctl(state_->fd, VFIO_IOMMU_UNMAP_DMA, &u) ? errno : 0;
}

/* Map @length bytes at @vaddr to @iova; 0 or the errno. */
int IOVFIOMapper::mapRange(std::uint64_t vaddr, std::uint64_t iova,
			   std::uint64_t length, IODirection direction) noexcept
{
	/* In: the device writes memory; Out: it reads it. */
	const bool write = direction & kIODirectionIn;
	const bool read = direction & kIODirectionOut;

	if (state_->iommufd) {
		iommu_ioas_map m{};
		m.size = sizeof(m);
		m.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
		if (write)
			m.flags |= IOMMU_IOAS_MAP_WRITEABLE;
		if (read)
			m.flags |= IOMMU_IOAS_MAP_READABLE;
		m.ioas_id = state_->ioas;
		m.user_va = vaddr;
		m.length = length;
		m.iova = iova;
		return ::ioctl(state_->fd, IOMMU_IOAS_MAP, &m) ? errno : 0;
	}
	vfio_iommu_type1_dma_map m{};
	m.argsz = sizeof(m);
	if (write)
		m.flags |= VFIO_DMA_MAP_FLAG_WRITE;
	if (read)
		m.flags |= VFIO_DMA_MAP_FLAG_READ;
	m.vaddr = vaddr;
	m.iova = iova;
	m.size = length;
	return ::ioctl(state_->fd, VFIO_IOMMU_MAP_DMA, &m) ? errno : 0;
}

IOVFIOMapper::~IOVFIOMapper()
{
	if (state_->fd < 0)
		return;
	/* What commands left mapped goes with the mapper. */
	for (auto &[iova, len] : state_->used)
		unmapRange(iova, len);
	::close(state_->fd);
}

IOReturn IOVFIOMapper::iovmMap(mach_vm_address_t vaddr, mach_vm_size_t length,
			       IODirection direction, std::uint64_t maxAddress,
			       std::uint64_t alignment,
			       std::uint64_t *iova) noexcept
{
	return detail::guarded(kIOReturnNoMemory, [&]() -> IOReturn {
		if (!iova || !length || ((vaddr | length) & (state_->page - 1)) ||
		    !alignment || (alignment & (alignment - 1)))
			return detail::fail(EINVAL);
		std::uint64_t align = alignment > state_->page ? alignment : state_->page;
		if (state_->align > align)
			align = state_->align;
		const std::uint64_t last_ok = maxAddress;
		std::uint64_t at = 0;
		bool found = false;

		/* First fit: IOVA 0 is never given (a device's "no address"). */
		for (auto [first, last] : state_->usable) {
			bool ovf = false;
			std::uint64_t cand = roundUp(first ? first : align, align, &ovf);
			std::uint64_t limit = last < last_ok ? last : last_ok;
			for (auto it = state_->used.begin(); !ovf; ++it) {
				std::uint64_t end;
				if (__builtin_add_overflow(cand, length - 1, &end) ||
				    end > limit)
					break;
				if (it == state_->used.end() || it->first > end) {
					/* No mapping from cand to end. */
					found = true;
					at = cand;
					break;
				}
				if (it->first + it->second > cand)
					cand = roundUp(it->first + it->second, align, &ovf);
			}
			if (found)
				break;
		}
		if (!found)
			return detail::fail(ENOSPC);

		if (!(direction & kIODirectionInOut))
			direction = kIODirectionInOut;
		int err = mapRange(vaddr, at, length, direction);
		if (err)
			return detail::fail(err);
		state_->used.emplace(at, length);
		*iova = at;
		return detail::succeed();
	});
}

IOReturn IOVFIOMapper::iovmUnmap(std::uint64_t iova, mach_vm_size_t length) noexcept
{
	auto it = state_->used.find(iova);
	if (it == state_->used.end() || it->second != length)
		return detail::fail(EINVAL);

	int err = unmapRange(iova, length);
	if (err)
		return detail::fail(err);
	state_->used.erase(it);
	return detail::succeed();
}

} // namespace iobmd

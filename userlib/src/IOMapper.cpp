// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd C++ library: IOMapper, and IOVFIOMapper: IOVAs placed in a VFIO
 * container's usable ranges, mapped with VFIO_IOMMU_MAP_DMA.
 */
#include <cerrno>
#include <cstdint>
#include <map>
#include <vector>

#include <fcntl.h>
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
};

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
		m->state_ = std::make_unique<State>();
		m->state_->usable = usableRanges(buf);
		m->page_ = page;
		m->fd_ = ::fcntl(containerFd, F_DUPFD_CLOEXEC, 3);
		if (m->fd_ < 0) {
			detail::fail(errno);
			return nullptr;
		}
		detail::succeed();
		return m;
	});
}

IOVFIOMapper::~IOVFIOMapper()
{
	if (fd_ < 0)
		return;
	/* What commands left mapped goes with the mapper. */
	for (auto &[iova, len] : state_->used) {
		vfio_iommu_type1_dma_unmap u{};
		u.argsz = sizeof(u);
		u.iova = iova;
		u.size = len;
		::ioctl(fd_, VFIO_IOMMU_UNMAP_DMA, &u);
	}
	::close(fd_);
}

IOReturn IOVFIOMapper::iovmMap(mach_vm_address_t vaddr, mach_vm_size_t length,
			       IODirection direction, std::uint64_t maxAddress,
			       std::uint64_t alignment,
			       std::uint64_t *iova) noexcept
{
	return detail::guarded(kIOReturnNoMemory, [&]() -> IOReturn {
		if (!iova || !length || ((vaddr | length) & (page_ - 1)) ||
		    !alignment || (alignment & (alignment - 1)))
			return detail::fail(EINVAL);
		const std::uint64_t align = alignment > page_ ? alignment : page_;
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

		vfio_iommu_type1_dma_map m{};
		m.argsz = sizeof(m);
		if (!(direction & kIODirectionInOut))
			direction = kIODirectionInOut;
		/* In: the device writes memory; Out: it reads it. */
		if (direction & kIODirectionIn)
			m.flags |= VFIO_DMA_MAP_FLAG_WRITE;
		if (direction & kIODirectionOut)
			m.flags |= VFIO_DMA_MAP_FLAG_READ;
		m.vaddr = vaddr;
		m.iova = at;
		m.size = length;
		if (::ioctl(fd_, VFIO_IOMMU_MAP_DMA, &m))
			return detail::fail(errno);
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

	vfio_iommu_type1_dma_unmap u{};
	u.argsz = sizeof(u);
	u.iova = iova;
	u.size = length;
	if (::ioctl(fd_, VFIO_IOMMU_UNMAP_DMA, &u))
		return detail::fail(errno);
	state_->used.erase(it);
	return detail::succeed();
}

} // namespace iobmd

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd C++ library: IOMapper, the IOMMU a userspace driver's device sits
 * behind, and IOVFIOMapper, one that is a VFIO container.
 *
 * An IODMACommand with a mapper maps a descriptor's pages into the mapper
 * and hands the device the I/O virtual addresses (IOVAs) it chose; without
 * one, the segments are physical addresses, which only a device that sees
 * physical memory (no IOMMU, or an IOMMU in passthrough) can use.
 *
 * IOVFIOMapper takes a VFIO container the caller set up (a group added,
 * VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU set) and keeps its own duplicate
 * of the descriptor, so the caller may close theirs.  It places IOVAs in
 * the ranges the container reports as usable (VFIO_IOMMU_GET_INFO), never
 * at 0, below the limit each request gives.  VFIO pins what it maps and
 * charges it to RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK.
 */
#ifndef IOBMD_IOMAPPER_HPP
#define IOBMD_IOMAPPER_HPP

#include <cstdint>
#include <memory>

#include "IOReturn.hpp"
#include "export.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IOMapper {
public:
	virtual ~IOMapper();
	IOMapper(const IOMapper &) = delete;
	IOMapper &operator=(const IOMapper &) = delete;

	/*
	 * Map the whole pages [vaddr, vaddr + length) of this process for
	 * the device in @direction (kIODirectionIn: the device writes;
	 * Out: it reads) at an IOVA that is a multiple of @alignment (a
	 * power of two; at least the page size is used) and whose last byte
	 * is at most @maxAddress.  *@iova gets the IOVA of @vaddr.
	 * kIOReturnNoSpace: no such IOVA range is free;
	 * kIOReturnBadArgument: not page aligned, or empty.
	 */
	virtual IOReturn iovmMap(mach_vm_address_t vaddr, mach_vm_size_t length,
				 IODirection direction, std::uint64_t maxAddress,
				 std::uint64_t alignment,
				 std::uint64_t *iova) noexcept = 0;
	/* Undo one iovmMap() exactly (same IOVA and length). */
	virtual IOReturn iovmUnmap(std::uint64_t iova,
				   mach_vm_size_t length) noexcept = 0;

protected:
	IOMapper() noexcept = default;
};

class IOBMD_API IOVFIOMapper final : public IOMapper {
public:
	/*
	 * A mapper over the VFIO container @containerFd (an open
	 * /dev/vfio/vfio with an IOMMU type set).  Null on failure:
	 * kIOReturnBadArgument when it is not such a container.
	 */
	static OSSharedPtr<IOVFIOMapper> withContainer(int containerFd) noexcept;
	~IOVFIOMapper() override;

	IOReturn iovmMap(mach_vm_address_t vaddr, mach_vm_size_t length,
			 IODirection direction, std::uint64_t maxAddress,
			 std::uint64_t alignment,
			 std::uint64_t *iova) noexcept override;
	IOReturn iovmUnmap(std::uint64_t iova,
			   mach_vm_size_t length) noexcept override;

	/* The smallest page the IOMMU maps. */
	std::uint64_t getPageSize() const noexcept { return page_; }

private:
	struct State;
	IOVFIOMapper() noexcept = default;

	int fd_ = -1;
	std::uint64_t page_ = 0;
	std::unique_ptr<State> state_;
};

} // namespace iobmd

#endif /* IOBMD_IOMAPPER_HPP */

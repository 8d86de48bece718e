/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOMapper, the IOMMU a userspace driver's device sits
 * behind, and IOVFIOMapper, one that VFIO gives: a container, or an
 * iommufd I/O address space.
 *
 * An IODMACommand with a mapper maps a descriptor's pages into the mapper
 * and hands the device the I/O virtual addresses (IOVAs) it chose; without
 * one, the segments are physical addresses, which only a device that sees
 * physical memory (no IOMMU, or an IOMMU in passthrough) can use.
 *
 * IOVFIOMapper takes a VFIO container the caller set up (a group added,
 * VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU set), or an iommufd and an IOAS
 * the caller's device is attached to (VFIO's device files,
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT), and keeps its own duplicate of the file
 * descriptor, so the caller may close theirs.  It places IOVAs in the
 * ranges the IOMMU reports as usable (VFIO_IOMMU_GET_INFO,
 * IOMMU_IOAS_IOVA_RANGES), never at 0, below the limit each request gives.
 * Either pins what it maps and charges it to RLIMIT_MEMLOCK unless the
 * process has CAP_IPC_LOCK.
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
	[[nodiscard]] virtual IOReturn iovmMap(mach_vm_address_t vaddr, mach_vm_size_t length,
				 IODirection direction, std::uint64_t maxAddress,
				 std::uint64_t alignment,
				 std::uint64_t *iova) noexcept = 0;
	/* Undo one iovmMap() exactly (same IOVA and length). */
	[[nodiscard]] virtual IOReturn iovmUnmap(std::uint64_t iova,
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
	[[nodiscard]] static OSSharedPtr<IOVFIOMapper> withContainer(int containerFd) noexcept;
	/*
	 * A mapper over I/O address space @ioasId of the iommufd @iommuFd.
	 * Null on failure: kIOReturnBadArgument when it is not an iommufd,
	 * kIOReturnNotFound when it has no such IOAS.
	 */
	[[nodiscard]] static OSSharedPtr<IOVFIOMapper> withIOAS(int iommuFd,
						  std::uint32_t ioasId) noexcept;
	~IOVFIOMapper() override;

	[[nodiscard]] IOReturn iovmMap(mach_vm_address_t vaddr, mach_vm_size_t length,
			 IODirection direction, std::uint64_t maxAddress,
			 std::uint64_t alignment,
			 std::uint64_t *iova) noexcept override;
	[[nodiscard]] IOReturn iovmUnmap(std::uint64_t iova,
			   mach_vm_size_t length) noexcept override;

	/* The smallest page the IOMMU maps. */
	std::uint64_t getPageSize() const noexcept;

private:
	/* Its data, the library's own: the layout can change without
	 * changing the ABI. */
	struct State;
	IOVFIOMapper();
	[[nodiscard]] IOBMD_LOCAL static OSSharedPtr<IOVFIOMapper> adopt(OSSharedPtr<IOVFIOMapper> m,
					       int fd) noexcept;
	IOBMD_LOCAL int mapRange(std::uint64_t vaddr, std::uint64_t iova,
		     std::uint64_t length, IODirection direction) noexcept;
	IOBMD_LOCAL int unmapRange(std::uint64_t iova, std::uint64_t length) noexcept;

	std::unique_ptr<State> state_;
};

} // namespace iobmd

#endif /* IOBMD_IOMAPPER_HPP */

/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IODMACommand, the addresses a device uses to reach a
 * descriptor.
 *
 * A command is made for one device's limits (address bits, segment and
 * transfer sizes, alignment) and, for a device behind an IOMMU, that
 * device's mapper (IOMapper.hpp: a VFIO container).  setMemoryDescriptor()
 * names the memory; prepare() wires it and, with a mapper, maps it into
 * the IOMMU from where it is in this process: this process's own memory
 * where it lies, everything else (buffers, device memory) through a
 * mapping of it, one IOVA range for each such piece of the prepared
 * range; gen64IOVMSegments() then gives the device's addresses;
 * complete() undoes prepare().  Without a mapper (or with kBypassed) the
 * segments are physical addresses: root only (CAP_SYS_ADMIN), and right
 * only for a device that sees physical memory.  Memory the device cannot
 * reach (a physical segment beyond its address bits) is refused at
 * prepare() with kIOReturnDMAError (errno ERANGE): nothing is bounced.
 *
 * IOKit's double buffering, kIterateOnly and kIOMemoryMapperNone walks are
 * not offered.  A command is not thread safe (nor is IOKit's).  The
 * destructor completes what is prepared and clears the descriptor.
 */
#ifndef IOBMD_IODMACOMMAND_HPP
#define IOBMD_IODMACOMMAND_HPP

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "IOMapper.hpp"
#include "IOMemoryDescriptor.hpp"
#include "IOMemoryMap.hpp"
#include "IOReturn.hpp"
#include "export.hpp"
#include "types.hpp"

namespace iobmd {

/* DriverKit's IODMACommandSpecification. */
struct IODMACommandSpecification {
	std::uint64_t options;
	std::uint64_t maxAddressBits;
	std::uint64_t _resv[16];
};

inline constexpr std::uint64_t kIODMACommandCreateNoOptions = 0;
inline constexpr std::uint64_t kIODMACommandSpecificationNoOptions = 0;
inline constexpr std::uint64_t kIODMACommandPrepareForDMANoOptions = 0;
inline constexpr std::uint64_t kIODMACommandCompleteDMANoOptions = 0;

class IOBMD_API IODMACommand final {
public:
	/* One segment as the device sees it. */
	struct Segment64 {
		std::uint64_t fIOVMAddr;
		std::uint64_t fLength;
	};
	struct Segment32 {
		std::uint32_t fIOVMAddr;
		std::uint32_t fLength;
	};

	/*
	 * Writes @segment as entry @segmentIndex of the caller's array
	 * @segments (genIOVMSegments()); false stops the walk.
	 */
	using SegmentFunction = bool (*)(IODMACommand *target,
					 Segment64 segment, void *segments,
					 std::uint32_t segmentIndex);
	static bool OutputHost64(IODMACommand *, Segment64, void *, std::uint32_t);
	static bool OutputBig64(IODMACommand *, Segment64, void *, std::uint32_t);
	static bool OutputLittle64(IODMACommand *, Segment64, void *, std::uint32_t);
	static bool OutputHost32(IODMACommand *, Segment64, void *, std::uint32_t);
	static bool OutputBig32(IODMACommand *, Segment64, void *, std::uint32_t);
	static bool OutputLittle32(IODMACommand *, Segment64, void *, std::uint32_t);

	/* IOKit's MappingOptions (kNonCoherent: prepare/complete/synchronize
	 * also flush and invalidate the CPU's caches). */
	enum MappingOptions : std::uint32_t {
		kMapped = 0x00000000,
		kBypassed = 0x00000001,
		kNonCoherent = 0x00000002,
		kTypeMask = 0x0000000f,
	};

	/* IOKit's SegmentOptions: fStructSize must be sizeof(SegmentOptions);
	 * 0 means "no limit" for the sizes, 1 "none" for the alignments. */
	struct SegmentOptions {
		std::uint8_t fStructSize;
		std::uint8_t fNumAddressBits;
		std::uint64_t fMaxSegmentSize;
		std::uint64_t fMaxTransferSize;
		std::uint32_t fAlignment;
		std::uint32_t fAlignmentLength;
		std::uint32_t fAlignmentInternalSegments;
	};

	/*
	 * IOKit's factories.  @numAddressBits (1..64; 0 means 64) bounds
	 * every address given; @maxSegmentSize (0: none) splits segments;
	 * @maxTransferSize (0: none) bounds the bytes one generator call
	 * gives; @alignment (a power of two) is what the first segment's
	 * address must honour (physical segments that do not: prepare()
	 * fails with kIOReturnNotAligned; nothing is bounced).
	 * @mapper null (or kBypassed): physical segments.  Null on failure
	 * (kIOReturnBadArgument).
	 */
	[[nodiscard]] static OSSharedPtr<IODMACommand> withSpecification(
		SegmentFunction outSegFunc, std::uint8_t numAddressBits,
		std::uint64_t maxSegmentSize,
		MappingOptions mappingOptions = kMapped,
		std::uint64_t maxTransferSize = 0, std::uint32_t alignment = 1,
		OSSharedPtr<IOMapper> mapper = nullptr,
		void *refCon = nullptr) noexcept;
	[[nodiscard]] static OSSharedPtr<IODMACommand> withSpecification(
		SegmentFunction outSegFunc, const SegmentOptions *segmentOptions,
		std::uint32_t mappingOptions, OSSharedPtr<IOMapper> mapper,
		void *refCon) noexcept;
	/* A command of the same specification, with no descriptor. */
	[[nodiscard]] OSSharedPtr<IODMACommand> cloneCommand(void *refCon = nullptr) noexcept;

	~IODMACommand();
	IODMACommand(const IODMACommand &) = delete;
	IODMACommand &operator=(const IODMACommand &) = delete;

	/*
	 * Name the memory (null: clearMemoryDescriptor()).  With
	 * @autoPrepare, prepare() the whole of it.  kIOReturnBusy while
	 * another descriptor is prepared.
	 */
	[[nodiscard]] IOReturn setMemoryDescriptor(OSSharedPtr<IOMemoryDescriptor> mem,
				     bool autoPrepare = true) noexcept;
	[[nodiscard]] IOReturn clearMemoryDescriptor(bool autoComplete = true) noexcept;
	[[nodiscard]] OSSharedPtr<IOMemoryDescriptor> getMemoryDescriptor() const noexcept;

	/*
	 * Wire [offset, offset + length) (length 0: to the end) and make
	 * its device addresses; prepares nest (the inner ones must name the
	 * same range, else kIOReturnBusy).  kIOReturnNotReady: no
	 * descriptor.  @flushCache: kNonCoherent commands flush the CPU's
	 * caches.  @synchronize: accepted (nothing is double buffered).
	 */
	[[nodiscard]] IOReturn prepare(std::uint64_t offset = 0, std::uint64_t length = 0,
			 bool flushCache = true, bool synchronize = true) noexcept;
	[[nodiscard]] IOReturn complete(bool invalidateCache = true,
			  bool synchronize = true) noexcept;
	/* kIODirectionOut: before the device reads; kIODirectionIn: after
	 * it wrote (one of them: both is kIOReturnBadArgument).  Cache
	 * maintenance for kNonCoherent commands. */
	[[nodiscard]] IOReturn synchronize(IOOptionBits options) noexcept;
	[[nodiscard]] IOReturn getPreparedOffsetAndLength(std::uint64_t *offset,
					    std::uint64_t *length) const noexcept;

	/*
	 * The segments from *@offset (relative to the prepared range) on:
	 * at most *@numSegments of them; *@offset advances past what was
	 * given and *@numSegments says how many.  kIOReturnNotReady: not
	 * prepared; kIOReturnOverrun: *@offset is past the end;
	 * kIOReturnBadArgument: a null pointer or no room.
	 */
	[[nodiscard]] IOReturn gen64IOVMSegments(std::uint64_t *offset, Segment64 *segments,
				   std::uint32_t *numSegments) noexcept;
	/* The same, written by the command's SegmentFunction. */
	[[nodiscard]] IOReturn genIOVMSegments(std::uint64_t *offset, void *segments,
				 std::uint32_t *numSegments) noexcept;

	std::uint8_t getNumAddressBits() const noexcept;
	std::uint32_t getAlignment() const noexcept;
	void *getRefCon() const noexcept;

	/*
	 * DriverKit.  Create(): @mapper stands for the device (DriverKit's
	 * IOService): the device's IOMMU, or null for physical addresses;
	 * maxAddressBits 0 means 64.
	 * PrepareForDMA(): prepare [offset, offset + length) of @memory
	 * (length 0: to the end); *@flags gets the kIOMemoryDirection* the
	 * device may use; *@segmentsCount in: room in @segments, out: the
	 * segments written (kIOReturnOverrun when there is not room).
	 */
	[[nodiscard]] static kern_return_t Create(OSSharedPtr<IOMapper> mapper,
				    std::uint64_t options,
				    const IODMACommandSpecification *specification,
				    OSSharedPtr<IODMACommand> *command) noexcept;
	[[nodiscard]] kern_return_t PrepareForDMA(std::uint64_t options,
				    OSSharedPtr<IOMemoryDescriptor> memory,
				    std::uint64_t offset, std::uint64_t length,
				    std::uint64_t *flags,
				    std::uint32_t *segmentsCount,
				    IOAddressSegment *segments) noexcept;
	/* DriverKit's raw-pointer forms: *@command is a reference the
	 * caller gives back with OSSafeReleaseNULL(); @memory must live in
	 * an OSSharedPtr (every descriptor the library makes does). */
	[[nodiscard]] static kern_return_t Create(OSSharedPtr<IOMapper> mapper,
				    std::uint64_t options,
				    const IODMACommandSpecification *specification,
				    IODMACommand **command) noexcept;
	[[nodiscard]] kern_return_t PrepareForDMA(std::uint64_t options,
				    IOMemoryDescriptor *memory,
				    std::uint64_t offset, std::uint64_t length,
				    std::uint64_t *flags,
				    std::uint32_t *segmentsCount,
				    IOAddressSegment *segments) noexcept;
	[[nodiscard]] kern_return_t CompleteDMA(std::uint64_t options) noexcept;
	[[nodiscard]] kern_return_t GetPreparation(std::uint64_t *offset,
				     std::uint64_t *length,
				     OSSharedPtr<IOMemoryDescriptor> *memory) noexcept;

private:
	IODMACommand();
	IOBMD_LOCAL static SegmentOptions segmentOptions(std::uint8_t bits,
					     std::uint64_t maxSegment,
					     std::uint64_t maxTransfer,
					     std::uint32_t align,
					     std::uint32_t alignLength,
					     std::uint32_t alignInternal) noexcept;

	[[nodiscard]] IOBMD_LOCAL IOReturn makeSegments() noexcept;
	[[nodiscard]] IOBMD_LOCAL IOReturn mapSegments() noexcept;
	[[nodiscard]] IOBMD_LOCAL IOReturn physicalSegments() noexcept;
	[[nodiscard]] IOBMD_LOCAL IOReturn checkSegments() noexcept;
	IOBMD_LOCAL void undo() noexcept;
	template <typename Emit>
	[[nodiscard]] IOReturn walk(std::uint64_t *offset, std::uint32_t *numSegments,
		      Emit emit) noexcept;

	/* Its data, the library's own: the layout can change without
	 * changing the ABI. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IODMACOMMAND_HPP */

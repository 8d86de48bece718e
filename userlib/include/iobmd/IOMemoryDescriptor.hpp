/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOMemoryDescriptor, what every kind of descriptor
 * can do.
 *
 * A descriptor is one handle of the module, in one task; destroying the
 * object releases the handle (which completes what it left prepared).
 * Descriptors are made only by the kinds' factories and always live in an
 * OSSharedPtr; a descriptor holds its task and the descriptors it is
 * built from.  Every call records its outcome for lastError() (see
 * IOReturn.hpp); none throws.
 */
#ifndef IOBMD_IOMEMORYDESCRIPTOR_HPP
#define IOBMD_IOMEMORYDESCRIPTOR_HPP

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "IOMemoryMap.hpp"
#include "IOReturn.hpp"
#include "export.hpp"
#include "task.hpp"
#include "types.hpp"

namespace iobmd {

/*
 * createDmaBuf() options (iobmd's own: IOKit has no dma-buf).  With none,
 * the dma-buf is readable and writable and closed on exec.
 */
inline constexpr IOOptionBits kIODmaBufReadOnly = 0x00000001;
inline constexpr IOOptionBits kIODmaBufNoCloseOnExec = 0x00000002;

class IOMapper;

/*
 * DriverKit's out-parameters (IOMemoryDescriptor **, IOMemoryMap **) hand
 * the caller a reference: the library keeps the object's OSSharedPtr for
 * it until OSSafeReleaseNULL() gives it back.  OSRetainShared() takes one
 * more such reference on an object an OSSharedPtr holds; OSReleaseShared()
 * drops one (false: there was none for @object).
 */
IOBMD_API bool OSRetainShared(std::shared_ptr<const void> object,
			      const void *key) noexcept;
IOBMD_API bool OSReleaseShared(const void *key) noexcept;

namespace detail {
template <typename T>
const void *objectKey(const T *p) noexcept
{
	if constexpr (std::is_polymorphic_v<T>)
		return dynamic_cast<const void *>(p);
	else
		return p;
}
} // namespace detail

/* A reference the caller owns, for a DriverKit out-parameter; null when
 * @p is (or when the reference cannot be recorded: kIOReturnNoMemory). */
template <typename T>
T *OSRetainedPointer(const OSSharedPtr<T> &p) noexcept
{
	if (!p || !OSRetainShared(p, detail::objectKey(p.get())))
		return nullptr;
	return p.get();
}

/* DriverKit's OSSafeReleaseNULL: drops the reference and nulls @p. */
template <typename T>
void OSSafeReleaseNULL(T *&p) noexcept
{
	if (p)
		OSReleaseShared(detail::objectKey(p));
	p = nullptr;
}

class IOBMD_API IOMemoryDescriptor
	: public std::enable_shared_from_this<IOMemoryDescriptor> {
public:
	virtual ~IOMemoryDescriptor();
	IOMemoryDescriptor(const IOMemoryDescriptor &) = delete;
	IOMemoryDescriptor &operator=(const IOMemoryDescriptor &) = delete;

	/* IOKit's factories of general descriptors (IOGeneralMemoryDescriptor.hpp). */
	[[nodiscard]] static OSSharedPtr<IOMemoryDescriptor> withAddressRange(
		mach_vm_address_t address, mach_vm_size_t length,
		IOOptionBits options, task_t task) noexcept;
	[[nodiscard]] static OSSharedPtr<IOMemoryDescriptor> withAddressRanges(
		IOAddressRange *ranges, UInt32 rangeCount,
		IOOptionBits options, task_t task) noexcept;
	[[nodiscard]] static OSSharedPtr<IOMemoryDescriptor> withPhysicalAddress(
		IOPhysicalAddress address, IOByteCount withLength,
		IODirection withDirection) noexcept;
	/* [address, address + withLength) of this process (IOKit: of the
	 * kernel), in current_task(). */
	[[nodiscard]] static OSSharedPtr<IOMemoryDescriptor> withAddress(
		void *address, IOByteCount withLength,
		IODirection withDirection) noexcept;
	/*
	 * IOKit's designated factory.  @options' kIOMemoryType* says what
	 * @buffers is: kIOMemoryTypeVirtual(64) (the default): @count
	 * IOAddressRanges of @task; kIOMemoryTypePhysical(64): @count
	 * physical IOAddressRanges (CAP_SYS_RAWIO).  UPL, UIO and persistent
	 * types are kIOReturnUnsupported.  @offset (IOKit: into a UPL) must
	 * be 0 (kIOReturnBadArgument).  @mapper is accepted and not used: a
	 * device's IOMMU is the IODMACommand's.
	 */
	[[nodiscard]] static OSSharedPtr<IOMemoryDescriptor> withOptions(
		void *buffers, UInt32 count, UInt32 offset, task_t task,
		IOOptionBits options, IOMapper *mapper = nullptr) noexcept;

	/*
	 * iobmd: a descriptor over the dma-buf @fd, any exporter's (a dma-buf
	 * heap, udmabuf, a DRM or V4L2 driver, or iobmd itself), made in
	 * @task (null: current_task()); see IODmaBufMemoryDescriptor.hpp.
	 * The descriptor holds the dma-buf: @fd may be closed afterwards.
	 * Null on failure: kIOReturnBadArgument for a bad @direction or an
	 * @fd that is not a dma-buf (lastErrno() EINVAL or EBADF), or an
	 * iobmd export whose descriptor is shorter now (ERANGE);
	 * kIOReturnNoResources (the module's limits), kIOReturnNoMemory.
	 */
	[[nodiscard]] static OSSharedPtr<IOMemoryDescriptor> withDmaBuf(
		int fd, IODirection direction, task_t task = nullptr) noexcept;

	[[nodiscard]] IOByteCount getLength() const noexcept;
	IODirection getDirection() const noexcept;
	void setDirection(IODirection direction) noexcept;
	IOOptionBits getTag() const noexcept;
	void setTag(IOOptionBits tag) noexcept;
	/* The kIOMemoryType* it describes (Virtual64: this process's memory
	 * or memory the module holds; Physical64: physical RAM or device
	 * memory) and its IODirection. */
	IOOptionBits getFlags() noexcept;
	/*
	 * kIOPreparationIDUnprepared while nothing is prepared through this
	 * object; else a number, above kIOPreparationIDAlwaysPrepared, that
	 * no other preparation in this process has had, kept until the last
	 * complete().  Buffers are wired for their life (IOKit's buffers are
	 * auto-prepared): they have one number from the first call on.
	 */
	std::uint64_t getPreparationID() noexcept;
	/* The bytes of whole pages a DMA mapping of the descriptor spans
	 * (each user range rounded out to pages on its own); *@offset (if
	 * given): where the first byte lies in its page.  0 on failure. */
	std::uint64_t getDMAMapLength(std::uint64_t *offset = nullptr) noexcept;

	/*
	 * Copy between the descriptor and @bytes: [offset, offset + length),
	 * or nothing when the range lies beyond the length.  Return the bytes
	 * copied.  As in IOKit, a sub, multi or interleaved descriptor whose pieces
	 * end first (a window over a buffer whose setLength() shrank it)
	 * copies up to there and returns that short count, 0 when none is
	 * left, with lastError() kIOReturnSuccess.  writeBytes() with a null
	 * @bytes zero-fills the range.
	 */
	[[nodiscard]] IOByteCount readBytes(IOByteCount offset, void *bytes,
			      IOByteCount length) noexcept;
	[[nodiscard]] IOByteCount writeBytes(IOByteCount offset, const void *bytes,
			       IOByteCount length) noexcept;

	/*
	 * Wire the memory and map it for DMA; prepares nest, complete()
	 * undoes one made through this object.  kIODirectionNone: the
	 * descriptor's own direction.
	 */
	[[nodiscard]] IOReturn prepare(IODirection forDirection = kIODirectionNone) noexcept;
	[[nodiscard]] IOReturn complete(IODirection forDirection = kIODirectionNone) noexcept;

	/*
	 * The address of the byte at @offset and, in *@length, the bytes
	 * that follow it contiguously.  The DMA address while prepared (the
	 * physical address on machines without an IOMMU); the physical address
	 * otherwise, or always with kIOMemoryMapperNone.  User memory needs
	 * prepare() first.  Needs CAP_SYS_ADMIN.  0 (and length 0) on failure
	 * or past the end.
	 */
	[[nodiscard]] IOPhysicalAddress getPhysicalSegment(IOByteCount offset,
					     IOByteCount *length,
					     IOOptionBits options = 0) noexcept;
	[[nodiscard]] IOPhysicalAddress getPhysicalAddress() noexcept;

	/*
	 * Map [offset, offset + length) (length 0: to the end) into this
	 * process.  Every task is this process, so @intoTask may be any
	 * (or null).  @atAddress (page aligned) places the mapping unless
	 * @options has kIOMapAnywhere or it is 0.  Options: kIOMapAnywhere,
	 * kIOMapReadOnly, one kIOMap*Cache mode, and kIOMapStatic,
	 * kIOMapReference, kIOMapUnique, kIOMapPrefault (accepted).  User
	 * memory needs no prepare(), as in XNU: the map pins it (for
	 * writing, or for reading when read-only and the process cannot
	 * write it) until the map and every copy fork() made of it are
	 * gone; the descriptor's own prepare count and getPreparationID()
	 * do not change.
	 */
	[[nodiscard]] OSSharedPtr<IOMemoryMap> createMappingInTask(
		task_t intoTask, mach_vm_address_t atAddress,
		IOOptionBits options, mach_vm_size_t offset = 0,
		mach_vm_size_t length = 0) noexcept;
	/* The whole descriptor, anywhere. */
	[[nodiscard]] OSSharedPtr<IOMemoryMap> map(IOOptionBits options = 0) noexcept;

	/*
	 * iobmd: [offset, offset + length) (length 0: to the end) as a new
	 * dma-buf, for another driver or process to import (V4L2, DRM,
	 * VFIO, iommufd, io_uring) or to mmap.  @offset is page aligned, and
	 * the memory starts a page there and at the descriptor's first byte
	 * (as buffers always do); the dma-buf has whole pages (its size is
	 * @length rounded up).  It holds the descriptor's memory, pinned for
	 * writing, for as long as it lives: the descriptor, its task and
	 * this process may go first; a descriptor has at most 1024 alive
	 * (the module's IOBMD_EXPORT_MAX).  Options: kIODmaBufReadOnly (a
	 * dma-buf that refuses writable mappings; devices may still write),
	 * kIODmaBufNoCloseOnExec (the file descriptor survives exec).
	 * Owned by the result, which closes it; invalid on failure:
	 * kIOReturnBadArgument (unknown options, @offset not aligned, a
	 * range past the length, memory imported from another exporter),
	 * kIOReturnNotReady (length 0), kIOReturnVMError (user memory that
	 * cannot be pinned for writing), kIOReturnNotPrivileged (user memory
	 * pinned read-only already, or another process's), kIOReturnNoMemory,
	 * kIOReturnNoResources (no file descriptor left, or the limit of
	 * live dma-bufs).
	 */
	[[nodiscard]] unique_fd createDmaBuf(IOOptionBits options = 0, IOByteCount offset = 0,
			       IOByteCount length = 0) noexcept;

	[[nodiscard]] IOReturn setPurgeable(IOOptionBits newState,
			      IOOptionBits *oldState) noexcept;
	/* kIOMemoryIncoherentIOFlush, kIOMemoryIncoherentIOStore or
	 * kIOMemoryIncoherentIOInvalidate on a prepared range. */
	[[nodiscard]] IOReturn performOperation(IOOptionBits options, IOByteCount offset,
				  IOByteCount length) noexcept;

	/*
	 * iobmd: what [offset, offset + length) is made of, appended to
	 * @out in order, for IODMACommand's IOMMU mapper: ranges of this
	 * process's own memory (@address: where they are) and ranges of
	 * descriptors the module maps (@address 0).  May throw
	 * std::bad_alloc.
	 */
	struct Extent {
		IOMemoryDescriptor *descriptor;
		IOByteCount offset;
		IOByteCount length;
		mach_vm_address_t address;
	};
	virtual void appendExtents(IOByteCount offset, IOByteCount length,
				   std::vector<Extent> &out);

	/*
	 * DriverKit.  GetLength(): getLength().  CreateMapping(): map
	 * [offset, offset + length) (0: to the end) with kIOMemoryMap*
	 * options: FixedAddress (at @address, page aligned), ReadOnly, one
	 * CacheMode, a Guarded* choice (accepted: mappings here have no
	 * guard pages); @alignment must be 0.  Unknown options:
	 * kIOReturnBadArgument.  The IOMemoryMap ** form hands out a
	 * reference the caller gives back with OSSafeReleaseNULL().
	 * CreateSubMemoryDescriptor(): IOSubMemoryDescriptor::withSubRange
	 * with a kIOMemoryDirection*; CreateWithMemoryDescriptors(): an
	 * IOMultiMemoryDescriptor of 1 to 32 descriptors, each of which must
	 * allow the direction asked for (kIOReturnBadArgument).
	 */
	[[nodiscard]] kern_return_t GetLength(std::uint64_t *returnLength) noexcept;
	[[nodiscard]] kern_return_t CreateMapping(std::uint64_t options, std::uint64_t address,
				    std::uint64_t offset, std::uint64_t length,
				    std::uint64_t alignment,
				    OSSharedPtr<IOMemoryMap> *map) noexcept;
	[[nodiscard]] kern_return_t CreateMapping(std::uint64_t options, std::uint64_t address,
				    std::uint64_t offset, std::uint64_t length,
				    std::uint64_t alignment, IOMemoryMap **map) noexcept;
	[[nodiscard]] static kern_return_t CreateSubMemoryDescriptor(
		std::uint64_t memoryDescriptorCreateOptions, std::uint64_t offset,
		std::uint64_t length, IOMemoryDescriptor *ofDescriptor,
		OSSharedPtr<IOMemoryDescriptor> *memory) noexcept;
	[[nodiscard]] static kern_return_t CreateSubMemoryDescriptor(
		std::uint64_t memoryDescriptorCreateOptions, std::uint64_t offset,
		std::uint64_t length, IOMemoryDescriptor *ofDescriptor,
		IOMemoryDescriptor **memory) noexcept;
	[[nodiscard]] static kern_return_t CreateWithMemoryDescriptors(
		std::uint64_t memoryDescriptorCreateOptions,
		std::uint32_t withDescriptorsCount,
		IOMemoryDescriptor *const withDescriptors[32],
		OSSharedPtr<IOMemoryDescriptor> *memory) noexcept;
	[[nodiscard]] static kern_return_t CreateWithMemoryDescriptors(
		std::uint64_t memoryDescriptorCreateOptions,
		std::uint32_t withDescriptorsCount,
		IOMemoryDescriptor *const withDescriptors[32],
		IOMemoryDescriptor **memory) noexcept;

	/* iobmd: the task it lives in, and its handle there (accessors of
	 * this object: they leave lastError() as it was). */
	const task_t &getTask() const noexcept;
	std::uint32_t getHandle() const noexcept;

protected:
	explicit IOMemoryDescriptor(task_t task);

	/* Maps a range of the module's mapping of the descriptor (which for
	 * buffers reaches the capacity). */
	[[nodiscard]] OSSharedPtr<IOMemoryMap> mapRange(mach_vm_address_t atAddress,
					  IOOptionBits options,
					  mach_vm_size_t offset,
					  mach_vm_size_t length) noexcept;
	IOBMD_LOCAL void setHandle(std::uint32_t handle) noexcept;
	/* What getFlags() reports as the memory type (kIOMemoryTypeVirtual64
	 * unless set). */
	IOBMD_LOCAL void setMemoryType(IOOptionBits type) noexcept;

	/* The descriptors this one is built from, held for its life. */
	IOBMD_LOCAL std::vector<OSSharedPtr<IOMemoryDescriptor>> &retained() noexcept;

private:
	/* mapRange() with iobmd_map_at()'s IOBMD_WHERE_* flags. */
	IOBMD_LOCAL OSSharedPtr<IOMemoryMap> mapWhere(mach_vm_address_t atAddress,
						      IOOptionBits options,
						      mach_vm_size_t offset,
						      mach_vm_size_t length,
						      std::uint32_t where) noexcept;
	/* Its data, the library's own (src/IOMemoryDescriptor.cpp): the
	 * layout can change without changing the ABI. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IOMEMORYDESCRIPTOR_HPP */

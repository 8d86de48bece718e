// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IOMemoryDescriptor, the calls every kind shares,
 * each one command of the module; and mapping.
 */
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sys/mman.h>

#include "internal.hpp"
#include "iobmd/IOMemoryDescriptor.hpp"
#include "iobmd/IOMultiMemoryDescriptor.hpp"
#include "iobmd/IOSubMemoryDescriptor.hpp"

namespace iobmd {

namespace {

constexpr IOOptionBits kKnownMapOptions =
	kIOMapAnywhere | kIOMapCacheMask | kIOMapReadOnly | kIOMapStatic |
	kIOMapReference | kIOMapUnique | kIOMapPrefault;

std::uint64_t round_down(std::uint64_t v, std::uint64_t page) noexcept
{
	return v & ~(page - 1);
}

/* The numbers getPreparationID() hands out: above IOKit's reserved ones,
 * never reused in this process. */
std::atomic<std::uint64_t> nextPreparationID{1ULL << 32};

/* The references DriverKit's out-parameters handed out. */
std::mutex refsLock;
std::unordered_multimap<const void *, std::shared_ptr<const void>> &refs()
{
	static auto *r = new std::unordered_multimap<const void *,
						      std::shared_ptr<const void>>();
	return *r;
}

} // namespace

bool OSRetainShared(std::shared_ptr<const void> object, const void *key) noexcept
{
	if (!object || !key)
		return false;
	try {
		std::lock_guard<std::mutex> lock(refsLock);
		refs().emplace(key, std::move(object));
	} catch (...) {
		detail::fail(ENOMEM);
		return false;
	}
	return true;
}

bool OSReleaseShared(const void *key) noexcept
{
	std::shared_ptr<const void> last;
	{
		std::lock_guard<std::mutex> lock(refsLock);
		auto it = refs().find(key);
		if (it == refs().end())
			return false;
		last = std::move(it->second);
		refs().erase(it);
	}
	/* The object may go here, outside the lock. */
	return true;
}

namespace {

constexpr std::uint64_t kDriverKitMapOptions =
	kIOMemoryMapFixedAddress | kIOMemoryMapReadOnly |
	kIOMemoryMapGuardedMask | kIOMemoryMapCacheModeInhibit |
	kIOMemoryMapCacheModeCopyback | kIOMemoryMapCacheModeWriteThrough;

} // namespace

struct IOMemoryDescriptor::data {
	task_t task;
	std::uint32_t handle = 0;
	std::vector<OSSharedPtr<IOMemoryDescriptor>> retained;
	IOOptionBits memoryType = kIOMemoryTypeVirtual64;
	/* Prepares made through this object, and the number of the
	 * preparation they are part of. */
	std::mutex prepLock;
	unsigned prepared = 0;                               /* prepLock */
	std::uint64_t preparationID = kIOPreparationIDUnprepared; /* prepLock */
};

IOMemoryDescriptor::IOMemoryDescriptor(task_t task) : d_(new data())
{
	d_->task = std::move(task);
}

const task_t &IOMemoryDescriptor::getTask() const noexcept
{
	return d_->task;
}

std::uint32_t IOMemoryDescriptor::getHandle() const noexcept
{
	return d_->handle;
}

void IOMemoryDescriptor::setHandle(std::uint32_t handle) noexcept
{
	d_->handle = handle;
}

void IOMemoryDescriptor::setMemoryType(IOOptionBits type) noexcept
{
	d_->memoryType = type;
}

std::vector<OSSharedPtr<IOMemoryDescriptor>> &IOMemoryDescriptor::retained() noexcept
{
	return d_->retained;
}

IOMemoryDescriptor::~IOMemoryDescriptor()
{
	/* Mappings hold the memory on their own; the handle can go. */
	if (d_->handle && d_->task && d_->task->isOwner())
		iobmd_release(d_->task->dev(), d_->handle);
	delete d_;
}

/* Memory the module maps as it is: the range itself. */
void IOMemoryDescriptor::appendExtents(IOByteCount offset, IOByteCount length,
				       std::vector<Extent> &out)
{
	out.push_back({this, offset, length, 0});
}

IOByteCount IOMemoryDescriptor::getLength() const noexcept
{
	iobmd_info i;
	int err = detail::info(*d_->task, d_->handle, i);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return i.length;
}

IODirection IOMemoryDescriptor::getDirection() const noexcept
{
	iobmd_info i;
	int err = detail::info(*d_->task, d_->handle, i);

	if (err) {
		detail::fail(err);
		return kIODirectionNone;
	}
	detail::succeed();
	return i.direction;
}

void IOMemoryDescriptor::setDirection(IODirection direction) noexcept
{
	detail::setErrno(-iobmd_set_direction(d_->task->dev(), d_->handle, direction));
}

IOOptionBits IOMemoryDescriptor::getTag() const noexcept
{
	iobmd_info i;
	int err = detail::info(*d_->task, d_->handle, i);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return static_cast<IOOptionBits>(i.tag);
}

void IOMemoryDescriptor::setTag(IOOptionBits tag) noexcept
{
	detail::setErrno(-iobmd_set_tag(d_->task->dev(), d_->handle, tag));
}

IOByteCount IOMemoryDescriptor::readBytes(IOByteCount offset, void *bytes,
					  IOByteCount length) noexcept
{
	std::uint64_t done = 0;
	int err = -iobmd_read(d_->task->dev(), d_->handle, offset, bytes, length, &done);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return done;
}

IOByteCount IOMemoryDescriptor::writeBytes(IOByteCount offset,
					   const void *bytes,
					   IOByteCount length) noexcept
{
	std::uint64_t done = 0;
	int err = -iobmd_write(d_->task->dev(), d_->handle, offset, bytes, length, &done);

	if (err) {
		detail::fail(err);
		return 0;
	}
	detail::succeed();
	return done;
}

IOReturn IOMemoryDescriptor::prepare(IODirection forDirection) noexcept
{
	std::lock_guard<std::mutex> lock(d_->prepLock);
	int err = -iobmd_prepare(d_->task->dev(), d_->handle, forDirection);

	if (err)
		return detail::fail(err);
	if (!d_->prepared++ && d_->preparationID == kIOPreparationIDUnprepared)
		d_->preparationID = nextPreparationID++;
	return detail::succeed();
}

IOReturn IOMemoryDescriptor::complete(IODirection forDirection) noexcept
{
	std::lock_guard<std::mutex> lock(d_->prepLock);
	int err = -iobmd_complete(d_->task->dev(), d_->handle, forDirection);

	if (err)
		return detail::fail(err);
	if (d_->prepared && !--d_->prepared) {
		iobmd_info i;
		/* A buffer keeps its number: it stays wired. */
		if (detail::info(*d_->task, d_->handle, i) || i.kind != IOBMD_KIND_BUFFER)
			d_->preparationID = kIOPreparationIDUnprepared;
	}
	return detail::succeed();
}

IOOptionBits IOMemoryDescriptor::getFlags() noexcept
{
	IODirection direction = getDirection();

	if (lastError() != kIOReturnSuccess)
		return 0;
	return d_->memoryType | direction;
}

std::uint64_t IOMemoryDescriptor::getPreparationID() noexcept
{
	std::lock_guard<std::mutex> lock(d_->prepLock);

	if (d_->preparationID == kIOPreparationIDUnprepared) {
		iobmd_info i;
		int err = detail::info(*d_->task, d_->handle, i);
		if (err) {
			detail::fail(err);
			return kIOPreparationIDUnprepared;
		}
		if (i.kind == IOBMD_KIND_BUFFER)
			d_->preparationID = nextPreparationID++;
	}
	detail::succeed();
	return d_->preparationID;
}

std::uint64_t IOMemoryDescriptor::getDMAMapLength(std::uint64_t *offset) noexcept
{
	return detail::guarded(std::uint64_t{0}, [&]() -> std::uint64_t {
		IOByteCount length = getLength();
		if (lastError() != kIOReturnSuccess)
			return 0;
		std::vector<Extent> extents;
		appendExtents(0, length, extents);
		const std::uint64_t page = d_->task->pageSize();
		std::uint64_t total = 0;
		for (const Extent &e : extents) {
			/* Where the bytes lie: in this process, or in the
			 * descriptor's own pages (which start a page). */
			const std::uint64_t at = e.address ? e.address : e.offset;
			total += round_down(at + e.length + page - 1, page) -
				 round_down(at, page);
		}
		if (offset)
			*offset = extents.empty() ? 0 :
				  (extents[0].address ? extents[0].address :
							extents[0].offset) & (page - 1);
		detail::succeed();
		return total;
	});
}

IOPhysicalAddress IOMemoryDescriptor::getPhysicalSegment(IOByteCount offset,
							 IOByteCount *length,
							 IOOptionBits options) noexcept
{
	iobmd_segment seg{};
	std::uint32_t count = 1;
	int err = ENODATA;

	/* The DMA address exists while prepared; else the physical one. */
	if (!(options & kIOMemoryMapperNone))
		err = -iobmd_segments(d_->task->dev(), d_->handle, IOBMD_SEGMENTS_DMA,
				      offset, 0, &seg, &count, nullptr);
	if (err == ENODATA) {
		count = 1;
		err = -iobmd_segments(d_->task->dev(), d_->handle, 0, offset, 0, &seg,
				      &count, nullptr);
	}
	if (!err && !count)
		err = ERANGE;
	if (err) {
		if (length)
			*length = 0;
		detail::fail(err);
		return 0;
	}
	if (length)
		*length = seg.len;
	detail::succeed();
	return seg.addr;
}

IOPhysicalAddress IOMemoryDescriptor::getPhysicalAddress() noexcept
{
	return getPhysicalSegment(0, nullptr);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::createMappingInTask(
	task_t intoTask, mach_vm_address_t atAddress, IOOptionBits options,
	mach_vm_size_t offset, mach_vm_size_t length) noexcept
{
	/* Every task is this process: @intoTask changes nothing. */
	(void)intoTask;
	if (options & ~kKnownMapOptions) {
		detail::fail(EINVAL);
		return nullptr;
	}
	/* The range is checked against the length by the library: one
	 * command and one mmap(). */
	return mapWhere(atAddress, options, offset, length, IOBMD_WHERE_LENGTH);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::map(IOOptionBits options) noexcept
{
	return createMappingInTask(d_->task, 0, options | kIOMapAnywhere);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::mapRange(
	mach_vm_address_t atAddress, IOOptionBits options,
	mach_vm_size_t offset, mach_vm_size_t length) noexcept
{
	return mapWhere(atAddress, options, offset, length, 0);
}

OSSharedPtr<IOMemoryMap> IOMemoryDescriptor::mapWhere(
	mach_vm_address_t atAddress, IOOptionBits options,
	mach_vm_size_t offset, mach_vm_size_t length,
	std::uint32_t where) noexcept
{
	return detail::guarded(OSSharedPtr<IOMemoryMap>{},
			       [&]() -> OSSharedPtr<IOMemoryMap> {
		OSSharedPtr<IOMemoryMap> m(new IOMemoryMap());
		const std::uint64_t page = d_->task->pageSize();
		const bool fixed = atAddress && !(options & kIOMapAnywhere);

		if (fixed && (atAddress & (page - 1))) {
			detail::fail(EINVAL);
			return nullptr;
		}

		/* One command and one mmap() of the pages holding the range. */
		std::uint32_t flags = options & kIOMapCacheMask;
		if (options & kIOMapReadOnly)
			flags |= IOBMD_MAP_READONLY;
		if (fixed)
			where |= IOBMD_WHERE_FIXED;
		if (options & kIOMapPrefault)
			where |= IOBMD_WHERE_POPULATE;
		/* As XNU maps virtual memory without a prepare(): the
		 * mapping pins it, and getPreparationID() is left alone. */
		where |= IOBMD_WHERE_PIN;
		void *hint = fixed ? reinterpret_cast<void *>(atAddress) : nullptr;
		void *p = nullptr;
		std::uint64_t mapped = 0;
		int err = -iobmd_map_at(d_->task->dev(), d_->handle, offset, length,
					flags, hint, where, &p, &mapped);
		if (err) {
			detail::fail(err);
			return nullptr;
		}
		const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(p);
		const std::uintptr_t base = round_down(addr, page);
		m->set(reinterpret_cast<void *>(base),
		       round_down(addr + mapped + page - 1, page) - base, addr,
		       mapped, options);
		m->bind(weak_from_this().lock(), offset);
		detail::succeed();
		return m;
	});
}

IOReturn IOMemoryDescriptor::setPurgeable(IOOptionBits newState,
					  IOOptionBits *oldState) noexcept
{
	std::uint32_t old = 0;
	int err = -iobmd_set_purgeable(d_->task->dev(), d_->handle, newState, &old);

	if (err)
		return detail::fail(err);
	if (oldState)
		*oldState = old;
	return detail::succeed();
}

IOReturn IOMemoryDescriptor::performOperation(IOOptionBits options,
					      IOByteCount offset,
					      IOByteCount length) noexcept
{
	std::uint32_t op;

	switch (options) {
	case kIOMemoryIncoherentIOFlush:
		op = IOBMD_OP_FLUSH;
		break;
	case kIOMemoryIncoherentIOStore:
		op = IOBMD_OP_STORE;
		break;
	case kIOMemoryIncoherentIOInvalidate:
		op = IOBMD_OP_INVALIDATE;
		break;
	default:
		return detail::fail(EOPNOTSUPP);
	}
	int err = -iobmd_perform(d_->task->dev(), d_->handle, op, offset, length);

	return err ? detail::fail(err) : detail::succeed();
}

kern_return_t IOMemoryDescriptor::GetLength(std::uint64_t *returnLength) noexcept
{
	if (!returnLength)
		return detail::fail(EINVAL);
	IOByteCount length = getLength();
	if (lastError() != kIOReturnSuccess)
		return lastError();
	*returnLength = length;
	return kIOReturnSuccess;
}

kern_return_t IOMemoryDescriptor::CreateMapping(std::uint64_t options,
						std::uint64_t address,
						std::uint64_t offset,
						std::uint64_t length,
						std::uint64_t alignment,
						OSSharedPtr<IOMemoryMap> *map) noexcept
{
	if (!map || alignment || (options & ~kDriverKitMapOptions))
		return detail::fail(EINVAL);
	IOOptionBits mapOptions = 0;
	switch (options & (kIOMemoryMapCacheModeInhibit | kIOMemoryMapCacheModeCopyback |
			   kIOMemoryMapCacheModeWriteThrough)) {
	case kIOMemoryMapCacheModeDefault:
		break;
	case kIOMemoryMapCacheModeInhibit:
		mapOptions |= kIOMapInhibitCache;
		break;
	case kIOMemoryMapCacheModeCopyback:
		mapOptions |= kIOMapCopybackCache;
		break;
	case kIOMemoryMapCacheModeWriteThrough:
		mapOptions |= kIOMapWriteThruCache;
		break;
	default:
		return detail::fail(EINVAL);
	}
	if (options & kIOMemoryMapReadOnly)
		mapOptions |= kIOMapReadOnly;
	if (!(options & kIOMemoryMapFixedAddress)) {
		mapOptions |= kIOMapAnywhere;
		address = 0;
	} else if (!address) {
		return detail::fail(EINVAL);
	}
	*map = createMappingInTask(d_->task, address, mapOptions, offset, length);
	return *map ? kIOReturnSuccess : lastError();
}

kern_return_t IOMemoryDescriptor::CreateMapping(std::uint64_t options,
						std::uint64_t address,
						std::uint64_t offset,
						std::uint64_t length,
						std::uint64_t alignment,
						IOMemoryMap **map) noexcept
{
	if (!map)
		return detail::fail(EINVAL);
	*map = nullptr;
	OSSharedPtr<IOMemoryMap> m;
	kern_return_t ret = CreateMapping(options, address, offset, length,
					  alignment, &m);
	if (ret != kIOReturnSuccess)
		return ret;
	*map = OSRetainedPointer(m);
	return *map ? kIOReturnSuccess : lastError();
}

kern_return_t IOMemoryDescriptor::CreateSubMemoryDescriptor(
	std::uint64_t memoryDescriptorCreateOptions, std::uint64_t offset,
	std::uint64_t length, IOMemoryDescriptor *ofDescriptor,
	OSSharedPtr<IOMemoryDescriptor> *memory) noexcept
{
	if (!memory || !ofDescriptor ||
	    (memoryDescriptorCreateOptions & ~kIOMemoryDirectionOutIn))
		return detail::fail(EINVAL);
	*memory = IOSubMemoryDescriptor::withSubRange(
		ofDescriptor, offset, length,
		static_cast<IOOptionBits>(memoryDescriptorCreateOptions));
	return *memory ? kIOReturnSuccess : lastError();
}

kern_return_t IOMemoryDescriptor::CreateSubMemoryDescriptor(
	std::uint64_t memoryDescriptorCreateOptions, std::uint64_t offset,
	std::uint64_t length, IOMemoryDescriptor *ofDescriptor,
	IOMemoryDescriptor **memory) noexcept
{
	if (!memory)
		return detail::fail(EINVAL);
	*memory = nullptr;
	OSSharedPtr<IOMemoryDescriptor> md;
	kern_return_t ret = CreateSubMemoryDescriptor(memoryDescriptorCreateOptions,
						      offset, length, ofDescriptor,
						      &md);
	if (ret != kIOReturnSuccess)
		return ret;
	*memory = OSRetainedPointer(md);
	return *memory ? kIOReturnSuccess : lastError();
}

kern_return_t IOMemoryDescriptor::CreateWithMemoryDescriptors(
	std::uint64_t memoryDescriptorCreateOptions,
	std::uint32_t withDescriptorsCount,
	IOMemoryDescriptor *const withDescriptors[32],
	OSSharedPtr<IOMemoryDescriptor> *memory) noexcept
{
	if (!memory || !withDescriptors || !withDescriptorsCount ||
	    withDescriptorsCount > 32 ||
	    (memoryDescriptorCreateOptions & ~kIOMemoryDirectionOutIn))
		return detail::fail(EINVAL);
	const auto direction = static_cast<IODirection>(memoryDescriptorCreateOptions);
	IOMemoryDescriptor *list[32];
	for (std::uint32_t i = 0; i < withDescriptorsCount; i++) {
		if (!withDescriptors[i])
			return detail::fail(EINVAL);
		/* Each source must allow what the whole is asked to. */
		IODirection has = withDescriptors[i]->getDirection();
		if (lastError() != kIOReturnSuccess)
			return lastError();
		if ((has & direction) != direction)
			return detail::fail(EINVAL);
		list[i] = withDescriptors[i];
	}
	*memory = IOMultiMemoryDescriptor::withDescriptors(list, withDescriptorsCount,
							   direction);
	return *memory ? kIOReturnSuccess : lastError();
}

kern_return_t IOMemoryDescriptor::CreateWithMemoryDescriptors(
	std::uint64_t memoryDescriptorCreateOptions,
	std::uint32_t withDescriptorsCount,
	IOMemoryDescriptor *const withDescriptors[32],
	IOMemoryDescriptor **memory) noexcept
{
	if (!memory)
		return detail::fail(EINVAL);
	*memory = nullptr;
	OSSharedPtr<IOMemoryDescriptor> md;
	kern_return_t ret = CreateWithMemoryDescriptors(memoryDescriptorCreateOptions,
							withDescriptorsCount,
							withDescriptors, &md);
	if (ret != kIOReturnSuccess)
		return ret;
	*memory = OSRetainedPointer(md);
	return *memory ? kIOReturnSuccess : lastError();
}

} // namespace iobmd

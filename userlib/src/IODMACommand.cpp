// SPDX-License-Identifier: MIT
/*
 * iobmd C++ library: IODMACommand.  prepare() wires the descriptor and
 * makes the whole prepared range's device addresses once (one IOVA range
 * from the mapper, or the physical segments); the generators then cut
 * them to the command's segment and transfer sizes.
 */
#include <cerrno>
#include <cstdint>
#include <vector>

#include <endian.h>
#include <unistd.h>

#include "internal.hpp"
#include "iobmd/IODMACommand.hpp"

namespace iobmd {

struct IODMACommand::data {
	/* The specification. */
	IODMACommand::SegmentFunction outSeg = nullptr;
	std::uint8_t bits = 64;
	std::uint64_t maxSegment = 0;
	std::uint64_t maxTransfer = 0;
	std::uint32_t align = 1;          /* of the first segment's address */
	std::uint32_t alignLength = 1;    /* of every segment's length */
	std::uint32_t alignInternal = 1;  /* of the other segments' addresses */
	std::uint32_t mapping = kMapped;
	OSSharedPtr<IOMapper> mapper;
	void *refCon = nullptr;

	/* The memory, and what prepare() made of it. */
	OSSharedPtr<IOMemoryDescriptor> memory;
	unsigned prepared = 0;             /* prepare() depth */
	std::uint64_t offset = 0, length = 0;
	IODirection direction = kIODirectionNone; /* memory->prepare()d so */
	/* With a mapper: the mappings made for it, and the IOVA ranges
	 * (first page, bytes) it mapped. */
	std::vector<OSSharedPtr<IOMemoryMap>> maps;
	std::vector<std::pair<std::uint64_t, std::uint64_t>> iovas;
	std::vector<IODMACommand::Segment64> segments;   /* the whole range, unsplit */
};

IODMACommand::IODMACommand() : d_(new data())
{
}

OSSharedPtr<IOMemoryDescriptor> IODMACommand::getMemoryDescriptor() const noexcept
{
	return d_->memory;
}

std::uint8_t IODMACommand::getNumAddressBits() const noexcept
{
	return d_->bits;
}

std::uint32_t IODMACommand::getAlignment() const noexcept
{
	return d_->align;
}

void *IODMACommand::getRefCon() const noexcept
{
	return d_->refCon;
}

namespace {

bool powerOfTwo(std::uint64_t v) noexcept
{
	return v && !(v & (v - 1));
}

/* The highest address @bits address bits reach. */
std::uint64_t reach(std::uint8_t bits) noexcept
{
	return bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
}

template <typename T>
bool put(void *segments, std::uint32_t index, T addr, T len) noexcept
{
	T *out = static_cast<T *>(segments) + 2 * std::size_t{index};
	out[0] = addr;
	out[1] = len;
	return true;
}

bool fits32(IODMACommand::Segment64 s) noexcept
{
	return s.fIOVMAddr <= 0xffffffffu && s.fLength <= 0xffffffffu &&
	       s.fIOVMAddr + s.fLength - 1 <= 0xffffffffu;
}

/* How the memory is prepared: its own direction, or both. */
IODirection directionOf(IOMemoryDescriptor &md) noexcept
{
	IODirection d = md.getDirection() & kIODirectionInOut;
	return d ? d : kIODirectionInOut;
}

} // namespace

/* IOKit's SegmentOptions, of the fields in their order. */
IODMACommand::SegmentOptions IODMACommand::segmentOptions(
	std::uint8_t bits, std::uint64_t maxSegment, std::uint64_t maxTransfer,
	std::uint32_t align, std::uint32_t alignLength,
	std::uint32_t alignInternal) noexcept
{
	SegmentOptions o{};
	o.fStructSize = sizeof(o);
	o.fNumAddressBits = bits;
	o.fMaxSegmentSize = maxSegment;
	o.fMaxTransferSize = maxTransfer;
	o.fAlignment = align;
	o.fAlignmentLength = alignLength;
	o.fAlignmentInternalSegments = alignInternal;
	return o;
}

bool IODMACommand::OutputHost64(IODMACommand *, Segment64 s, void *v, std::uint32_t i)
{
	return put<std::uint64_t>(v, i, s.fIOVMAddr, s.fLength);
}

bool IODMACommand::OutputBig64(IODMACommand *, Segment64 s, void *v, std::uint32_t i)
{
	return put<std::uint64_t>(v, i, htobe64(s.fIOVMAddr), htobe64(s.fLength));
}

bool IODMACommand::OutputLittle64(IODMACommand *, Segment64 s, void *v, std::uint32_t i)
{
	return put<std::uint64_t>(v, i, htole64(s.fIOVMAddr), htole64(s.fLength));
}

bool IODMACommand::OutputHost32(IODMACommand *, Segment64 s, void *v, std::uint32_t i)
{
	return fits32(s) && put<std::uint32_t>(v, i, s.fIOVMAddr, s.fLength);
}

bool IODMACommand::OutputBig32(IODMACommand *, Segment64 s, void *v, std::uint32_t i)
{
	return fits32(s) && put<std::uint32_t>(v, i, htobe32(s.fIOVMAddr),
					       htobe32(s.fLength));
}

bool IODMACommand::OutputLittle32(IODMACommand *, Segment64 s, void *v, std::uint32_t i)
{
	return fits32(s) && put<std::uint32_t>(v, i, htole32(s.fIOVMAddr),
					       htole32(s.fLength));
}

OSSharedPtr<IODMACommand> IODMACommand::withSpecification(
	SegmentFunction outSegFunc, std::uint8_t numAddressBits,
	std::uint64_t maxSegmentSize, MappingOptions mappingOptions,
	std::uint64_t maxTransferSize, std::uint32_t alignment,
	OSSharedPtr<IOMapper> mapper, void *refCon) noexcept
{
	const SegmentOptions o = segmentOptions(numAddressBits, maxSegmentSize,
						maxTransferSize, alignment, 1,
						alignment);
	return withSpecification(outSegFunc, &o, mappingOptions,
				 std::move(mapper), refCon);
}

OSSharedPtr<IODMACommand> IODMACommand::withSpecification(
	SegmentFunction outSegFunc, const SegmentOptions *o,
	std::uint32_t mappingOptions, OSSharedPtr<IOMapper> mapper,
	void *refCon) noexcept
{
	return detail::guarded(OSSharedPtr<IODMACommand>{},
			       [&]() -> OSSharedPtr<IODMACommand> {
		const std::uint32_t type = mappingOptions & kTypeMask;
		auto alignOk = [](std::uint32_t a) { return !a || powerOfTwo(a); };

		if (!outSegFunc || !o || o->fStructSize != sizeof(*o) ||
		    o->fNumAddressBits > 64 || (mappingOptions & ~kTypeMask) ||
		    type > kNonCoherent || !alignOk(o->fAlignment) ||
		    !alignOk(o->fAlignmentLength) ||
		    !alignOk(o->fAlignmentInternalSegments)) {
			detail::fail(EINVAL);
			return nullptr;
		}
		OSSharedPtr<IODMACommand> c(new IODMACommand());
		c->d_->outSeg = outSegFunc;
		c->d_->bits = o->fNumAddressBits ? o->fNumAddressBits : 64;
		c->d_->maxSegment = o->fMaxSegmentSize;
		c->d_->maxTransfer = o->fMaxTransferSize;
		c->d_->align = o->fAlignment ? o->fAlignment : 1;
		c->d_->alignLength = o->fAlignmentLength ? o->fAlignmentLength : 1;
		c->d_->alignInternal = o->fAlignmentInternalSegments ?
				    o->fAlignmentInternalSegments : 1;
		c->d_->mapping = mappingOptions;
		/* kBypassed: physical addresses, whatever mapper was given. */
		if (type != kBypassed)
			c->d_->mapper = std::move(mapper);
		c->d_->refCon = refCon;
		detail::succeed();
		return c;
	});
}

OSSharedPtr<IODMACommand> IODMACommand::cloneCommand(void *refCon) noexcept
{
	const SegmentOptions o = segmentOptions(d_->bits, d_->maxSegment, d_->maxTransfer,
						d_->align, d_->alignLength,
						d_->alignInternal);
	return withSpecification(d_->outSeg, &o, d_->mapping, d_->mapper, refCon);
}

IODMACommand::~IODMACommand()
{
	if (d_->prepared) {
		d_->prepared = 0;
		undo();
	}
	delete d_;
}

IOReturn IODMACommand::setMemoryDescriptor(OSSharedPtr<IOMemoryDescriptor> mem,
					   bool autoPrepare) noexcept
{
	if (mem && mem == d_->memory) {
		if (autoPrepare && !d_->prepared)
			return prepare();
		return detail::succeed();
	}
	if (d_->prepared)
		return detail::fail(EBUSY);
	d_->memory = std::move(mem);
	if (!d_->memory || !autoPrepare)
		return detail::succeed();
	IOReturn ret = prepare();
	if (ret != kIOReturnSuccess) {
		/* As it was: no descriptor. */
		int err = lastErrno();
		d_->memory.reset();
		detail::setReturn(ret, err);
	}
	return ret;
}

IOReturn IODMACommand::clearMemoryDescriptor(bool autoComplete) noexcept
{
	if (d_->prepared) {
		if (!autoComplete)
			return detail::fail(EBUSY);
		d_->prepared = 0;
		undo();
	}
	d_->memory.reset();
	return detail::succeed();
}

IOReturn IODMACommand::prepare(std::uint64_t offset, std::uint64_t length,
			       bool flushCache, bool synchronize) noexcept
{
	(void)synchronize;
	if (!d_->memory)
		return detail::fail(ENODATA);
	const IOByteCount total = d_->memory->getLength();
	if (lastError() != kIOReturnSuccess)
		return lastError();
	if (offset > total || length > total - offset)
		return detail::fail(ERANGE);
	if (!length)
		length = total - offset;
	if (!length)
		return detail::fail(EINVAL);
	if (d_->prepared) {
		if (offset != d_->offset || length != d_->length)
			return detail::fail(EBUSY);
		d_->prepared++;
		return detail::succeed();
	}

	d_->direction = directionOf(*d_->memory);
	IOReturn ret = d_->memory->prepare(d_->direction);
	if (ret != kIOReturnSuccess)
		return ret;
	d_->offset = offset;
	d_->length = length;
	ret = makeSegments();
	if (ret == kIOReturnSuccess && flushCache &&
	    (d_->mapping & kTypeMask) == kNonCoherent)
		ret = d_->memory->performOperation(kIOMemoryIncoherentIOFlush,
						d_->offset, d_->length);
	if (ret != kIOReturnSuccess) {
		int err = lastErrno();
		undo();
		detail::setReturn(ret, err);
		return ret;
	}
	d_->prepared = 1;
	return detail::succeed();
}

IOReturn IODMACommand::complete(bool invalidateCache, bool synchronize) noexcept
{
	(void)synchronize;
	if (!d_->prepared)
		return detail::fail(ENODATA);
	if (--d_->prepared)
		return detail::succeed();
	IOReturn ret = kIOReturnSuccess;
	if (invalidateCache && (d_->mapping & kTypeMask) == kNonCoherent)
		ret = d_->memory->performOperation(kIOMemoryIncoherentIOInvalidate,
						d_->offset, d_->length);
	int err = lastErrno();
	undo();
	if (ret != kIOReturnSuccess) {
		detail::setReturn(ret, err);
		return ret;
	}
	return detail::succeed();
}

IOReturn IODMACommand::synchronize(IOOptionBits options) noexcept
{
	if (options & ~kIODirectionInOut)
		return detail::fail(EOPNOTSUPP);
	/* One direction at a time, as IOKit has it. */
	if ((options & kIODirectionInOut) == kIODirectionInOut)
		return detail::fail(EINVAL);
	if (!d_->prepared)
		return detail::fail(ENODATA);
	if ((d_->mapping & kTypeMask) != kNonCoherent)
		return detail::succeed();
	if (options & kIODirectionOut) {
		IOReturn ret = d_->memory->performOperation(
			kIOMemoryIncoherentIOFlush, d_->offset, d_->length);
		if (ret != kIOReturnSuccess)
			return ret;
	}
	if (options & kIODirectionIn)
		return d_->memory->performOperation(kIOMemoryIncoherentIOInvalidate,
						 d_->offset, d_->length);
	return detail::succeed();
}

IOReturn IODMACommand::getPreparedOffsetAndLength(std::uint64_t *offset,
						  std::uint64_t *length) const noexcept
{
	if (!d_->prepared)
		return detail::fail(ENODATA);
	if (offset)
		*offset = d_->offset;
	if (length)
		*length = d_->length;
	return detail::succeed();
}

/* The device addresses of [d_->offset, d_->offset + d_->length), in d_->segments. */
IOReturn IODMACommand::makeSegments() noexcept
{
	d_->segments.clear();
	IOReturn ret = d_->mapper ? mapSegments() : physicalSegments();
	return ret == kIOReturnSuccess ? checkSegments() : ret;
}

/*
 * Each piece of the range into the mapper from where it is in this
 * process: this process's own memory where it lies (VFIO pins it there),
 * anything else through a mapping of it (page-backed for the module's own
 * pages; device memory by PFN, which VFIO takes as I/O memory), read only
 * when the device only reads.  A piece gets an IOVA range of its own, so
 * it is a segment of its own unless it follows the one before.
 */
IOReturn IODMACommand::mapSegments() noexcept
{
	return detail::guarded(kIOReturnNoMemory, [&]() -> IOReturn {
		const std::uint64_t page = static_cast<std::uint64_t>(::getpagesize());
		std::vector<IOMemoryDescriptor::Extent> pieces;
		d_->memory->appendExtents(d_->offset, d_->length, pieces);

		for (const auto &e : pieces) {
			std::uint64_t va = e.address;
			if (!va) {
				IOOptionBits opts = kIOMapAnywhere;
				if (d_->direction == kIODirectionOut)
					opts |= kIOMapReadOnly;
				auto map = e.descriptor->createMappingInTask(
					d_->memory->getTask(), 0, opts, e.offset, e.length);
				if (!map)
					return lastError();
				va = map->getVirtualAddress();
				d_->maps.push_back(std::move(map));
			}
			const std::uint64_t first = va & ~(page - 1);
			const std::uint64_t end = (va + e.length + page - 1) & ~(page - 1);
			std::uint64_t iova;
			IOReturn ret = d_->mapper->iovmMap(first, end - first, d_->direction,
							reach(d_->bits),
							d_->align > page ? d_->align : page,
							&iova);
			if (ret != kIOReturnSuccess)
				return ret;
			d_->iovas.emplace_back(iova, end - first);
			const std::uint64_t at = iova + (va - first);
			if (!d_->segments.empty() &&
			    d_->segments.back().fIOVMAddr + d_->segments.back().fLength == at)
				d_->segments.back().fLength += e.length;
			else
				d_->segments.push_back({at, e.length});
		}
		return detail::succeed();
	});
}

/* The physical segments, as the module gives them (CAP_SYS_ADMIN). */
IOReturn IODMACommand::physicalSegments() noexcept
{
	return detail::guarded(kIOReturnNoMemory, [&]() -> IOReturn {
		iobmd_segment batch[64];
		std::uint64_t pos = 0;

		while (pos < d_->length) {
			std::uint32_t count = 64;
			int err = -iobmd_segments(d_->memory->getTask()->dev(),
						  d_->memory->getHandle(), 0,
						  d_->offset + pos, d_->length - pos,
						  batch, &count, nullptr);
			if (!err && !count)
				err = EPROTO;
			if (err)
				return detail::fail(err);
			for (std::uint32_t i = 0; i < count && pos < d_->length; i++) {
				std::uint64_t len = batch[i].len;
				if (len > d_->length - pos)
					len = d_->length - pos;
				d_->segments.push_back({batch[i].addr, len});
				pos += len;
			}
		}
		return detail::succeed();
	});
}

/* Every address reachable, and aligned as the specification says. */
IOReturn IODMACommand::checkSegments() noexcept
{
	const std::uint64_t top = reach(d_->bits);

	for (std::size_t i = 0; i < d_->segments.size(); i++) {
		const Segment64 &s = d_->segments[i];
		std::uint64_t last;
		if (__builtin_add_overflow(s.fIOVMAddr, s.fLength - 1, &last) ||
		    last > top) {
			detail::setReturn(kIOReturnDMAError, ERANGE);
			return kIOReturnDMAError;
		}
		const std::uint64_t align = i ? d_->alignInternal : d_->align;
		if ((s.fIOVMAddr & (align - 1)) || (s.fLength & (d_->alignLength - 1))) {
			detail::setReturn(kIOReturnNotAligned, EINVAL);
			return kIOReturnNotAligned;
		}
	}
	return detail::succeed();
}

/* Unmap, unwire, forget: what prepare() made, once it is no longer
 * prepared (errors are not reported: there is nothing left to undo). */
void IODMACommand::undo() noexcept
{
	for (const auto &[iova, len] : d_->iovas)
		d_->mapper->iovmUnmap(iova, len);
	d_->iovas.clear();
	d_->maps.clear();
	d_->segments.clear();
	(void)d_->memory->complete(d_->direction);
}

/*
 * The segments from *@offset, cut at the maximum segment size, no more
 * than *@numSegments of them and no more bytes than the maximum transfer;
 * @emit writes one and may refuse it.
 */
template <typename Emit>
IOReturn IODMACommand::walk(std::uint64_t *offset, std::uint32_t *numSegments,
			    Emit emit) noexcept
{
	if (!offset || !numSegments || !*numSegments)
		return detail::fail(EINVAL);
	if (!d_->prepared)
		return detail::fail(ENODATA);
	if (*offset >= d_->length)
		return detail::fail(EOVERFLOW);

	std::uint64_t pos = 0, done = 0;
	std::uint32_t n = 0;
	for (const Segment64 &s : d_->segments) {
		if (n == *numSegments)
			break;
		if (pos + s.fLength <= *offset) {
			pos += s.fLength;
			continue;
		}
		std::uint64_t skip = *offset > pos ? *offset - pos : 0;
		while (skip < s.fLength && n < *numSegments) {
			std::uint64_t len = s.fLength - skip;
			if (d_->maxSegment && len > d_->maxSegment)
				len = d_->maxSegment;
			if (d_->maxTransfer && len > d_->maxTransfer - done)
				len = d_->maxTransfer - done;
			if (!len)
				break;
			if (!emit(Segment64{s.fIOVMAddr + skip, len}, n)) {
				*numSegments = n;
				*offset += done;
				detail::setReturn(kIOReturnMessageTooLarge, E2BIG);
				return kIOReturnMessageTooLarge;
			}
			n++;
			skip += len;
			done += len;
		}
		pos += s.fLength;
		if (d_->maxTransfer && done == d_->maxTransfer)
			break;
	}
	*numSegments = n;
	*offset += done;
	return detail::succeed();
}

IOReturn IODMACommand::gen64IOVMSegments(std::uint64_t *offset,
					 Segment64 *segments,
					 std::uint32_t *numSegments) noexcept
{
	if (!segments)
		return detail::fail(EINVAL);
	return walk(offset, numSegments, [&](Segment64 s, std::uint32_t i) {
		segments[i] = s;
		return true;
	});
}

IOReturn IODMACommand::genIOVMSegments(std::uint64_t *offset, void *segments,
				       std::uint32_t *numSegments) noexcept
{
	if (!segments)
		return detail::fail(EINVAL);
	return walk(offset, numSegments, [&](Segment64 s, std::uint32_t i) {
		return d_->outSeg(this, s, segments, i);
	});
}

kern_return_t IODMACommand::Create(OSSharedPtr<IOMapper> mapper,
				   std::uint64_t options,
				   const IODMACommandSpecification *specification,
				   OSSharedPtr<IODMACommand> *command) noexcept
{
	if (options != kIODMACommandCreateNoOptions || !specification ||
	    specification->options != kIODMACommandSpecificationNoOptions ||
	    specification->maxAddressBits > 64 ||
	    !command)
		return detail::fail(EINVAL);
	auto c = withSpecification(OutputHost64,
				   static_cast<std::uint8_t>(specification->maxAddressBits),
				   0, kMapped, 0, 1, std::move(mapper));
	if (!c)
		return lastError();
	*command = std::move(c);
	return kIOReturnSuccess;
}

kern_return_t IODMACommand::Create(OSSharedPtr<IOMapper> mapper,
				   std::uint64_t options,
				   const IODMACommandSpecification *specification,
				   IODMACommand **command) noexcept
{
	if (!command)
		return detail::fail(EINVAL);
	*command = nullptr;
	OSSharedPtr<IODMACommand> c;
	kern_return_t ret = Create(std::move(mapper), options, specification, &c);
	if (ret != kIOReturnSuccess)
		return ret;
	*command = OSRetainedPointer(c);
	return *command ? kIOReturnSuccess : lastError();
}

kern_return_t IODMACommand::PrepareForDMA(std::uint64_t options,
					  IOMemoryDescriptor *memory,
					  std::uint64_t offset, std::uint64_t length,
					  std::uint64_t *flags,
					  std::uint32_t *segmentsCount,
					  IOAddressSegment *segments) noexcept
{
	OSSharedPtr<IOMemoryDescriptor> held =
		memory ? memory->weak_from_this().lock() : nullptr;

	if (memory && !held)
		return detail::fail(EINVAL);
	return PrepareForDMA(options, std::move(held), offset, length, flags,
			     segmentsCount, segments);
}

kern_return_t IODMACommand::PrepareForDMA(std::uint64_t options,
					  OSSharedPtr<IOMemoryDescriptor> memory,
					  std::uint64_t offset, std::uint64_t length,
					  std::uint64_t *flags,
					  std::uint32_t *segmentsCount,
					  IOAddressSegment *segments) noexcept
{
	if (options != kIODMACommandPrepareForDMANoOptions || !memory ||
	    !segmentsCount || (*segmentsCount && !segments))
		return detail::fail(EINVAL);
	if (d_->memory)
		return detail::fail(EBUSY);
	d_->memory = std::move(memory);
	IOReturn ret = prepare(offset, length);
	if (ret != kIOReturnSuccess) {
		int err = lastErrno();
		d_->memory.reset();
		detail::setReturn(ret, err);
		return ret;
	}
	std::uint64_t at = 0;
	std::uint32_t n = 0;
	ret = !*segmentsCount ? kIOReturnOverrun :
	      walk(&at, segmentsCount, [&](Segment64 s, std::uint32_t i) {
		segments[i] = {s.fIOVMAddr, s.fLength};
		n = i + 1;
		return true;
	});
	if (ret == kIOReturnSuccess && at != d_->length)
		ret = kIOReturnOverrun;
	if (ret != kIOReturnSuccess) {
		/* The overrun is what the caller learns; the clean-up's
		 * outcome is replaced by it. */
		(void)clearMemoryDescriptor(true);
		detail::setReturn(kIOReturnOverrun, EOVERFLOW);
		return kIOReturnOverrun;
	}
	*segmentsCount = n;
	if (flags)
		*flags = d_->direction & kIODirectionInOut;
	return detail::succeed();
}

kern_return_t IODMACommand::CompleteDMA(std::uint64_t options) noexcept
{
	if (options != kIODMACommandCompleteDMANoOptions)
		return detail::fail(EINVAL);
	if (!d_->prepared)
		return detail::fail(ENODATA);
	return clearMemoryDescriptor(true);
}

kern_return_t IODMACommand::GetPreparation(std::uint64_t *offset,
					   std::uint64_t *length,
					   OSSharedPtr<IOMemoryDescriptor> *memory) noexcept
{
	if (!d_->prepared)
		return detail::fail(ENODATA);
	if (offset)
		*offset = d_->offset;
	if (length)
		*length = d_->length;
	if (memory)
		*memory = d_->memory;
	return detail::succeed();
}

} // namespace iobmd

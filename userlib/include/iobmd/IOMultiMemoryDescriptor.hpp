/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOMultiMemoryDescriptor, descriptors one after the
 * other.  All must live in one task (else kIOReturnBadArgument); the multi
 * holds each.  Length is the sum, the tag the first non-zero one; every
 * piece's direction must include @withDirection.  It maps as one range,
 * which needs each piece to start where the one before it ends in its page.
 */
#ifndef IOBMD_IOMULTIMEMORYDESCRIPTOR_HPP
#define IOBMD_IOMULTIMEMORYDESCRIPTOR_HPP

#include "IOMemoryDescriptor.hpp"
#include "export.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IOMultiMemoryDescriptor final : public IOMemoryDescriptor {
public:
	/* @asReference is accepted for IOKit's sake: the pieces are always
	 * held, never copied. */
	[[nodiscard]] static OSSharedPtr<IOMultiMemoryDescriptor> withDescriptors(
		IOMemoryDescriptor **descriptors, UInt32 withCount,
		IODirection withDirection, bool asReference = false) noexcept;

	/* The pieces', one after the other. */
	void appendExtents(IOByteCount offset, IOByteCount length,
			   std::vector<Extent> &out) override;

private:
	explicit IOMultiMemoryDescriptor(task_t task)
		: IOMemoryDescriptor(std::move(task)) {}
};

} // namespace iobmd

#endif /* IOBMD_IOMULTIMEMORYDESCRIPTOR_HPP */

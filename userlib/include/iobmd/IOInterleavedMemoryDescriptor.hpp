/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOInterleavedMemoryDescriptor, a list of ranges of
 * other descriptors that grows with setMemoryDescriptor() and empties
 * with clearMemoryDescriptors().  Pieces must live in its task; it holds
 * each until cleared.
 */
#ifndef IOBMD_IOINTERLEAVEDMEMORYDESCRIPTOR_HPP
#define IOBMD_IOINTERLEAVEDMEMORYDESCRIPTOR_HPP

#include <mutex>

#include "IOMemoryDescriptor.hpp"
#include "export.hpp"
#include "task.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IOInterleavedMemoryDescriptor final : public IOMemoryDescriptor {
public:
	~IOInterleavedMemoryDescriptor() override;
	/* @capacity: the most pieces, 1 to 1024.  Made in current_task(). */
	[[nodiscard]] static OSSharedPtr<IOInterleavedMemoryDescriptor> withCapacity(
		IOByteCount capacity, IODirection direction) noexcept;
	/* iobmd: the same in @inTask. */
	[[nodiscard]] static OSSharedPtr<IOInterleavedMemoryDescriptor> withCapacity(
		IOByteCount capacity, IODirection direction,
		task_t inTask) noexcept;

	/* Appends [offset, offset + length) of @descriptor.  False when
	 * prepared or mapped (kIOReturnBusy), full (kIOReturnNoSpace), or
	 * the range leaves the piece (kIOReturnBadArgument). */
	bool setMemoryDescriptor(IOMemoryDescriptor *descriptor,
				 IOByteCount offset, IOByteCount length) noexcept;
	/* Drops every piece; takes @direction unless it is None.  Refused
	 * while prepared or mapped (kIOReturnBusy; IOKit completes the
	 * pieces): complete() and unmap first. */
	void clearMemoryDescriptors(IODirection direction = kIODirectionNone) noexcept;

	/* The pieces' ranges, one after the other. */
	void appendExtents(IOByteCount offset, IOByteCount length,
			   std::vector<Extent> &out) override;

private:
	explicit IOInterleavedMemoryDescriptor(task_t task);

	/* Its data, the library's own: the layout can change without
	 * changing the ABI. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IOINTERLEAVEDMEMORYDESCRIPTOR_HPP */

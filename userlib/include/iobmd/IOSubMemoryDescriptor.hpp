/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: IOSubMemoryDescriptor, a window of another
 * descriptor.  It lives in its parent's task, holds the parent, and takes
 * the parent's tag.
 */
#ifndef IOBMD_IOSUBMEMORYDESCRIPTOR_HPP
#define IOBMD_IOSUBMEMORYDESCRIPTOR_HPP

#include "IOMemoryDescriptor.hpp"
#include "export.hpp"
#include "types.hpp"

namespace iobmd {

class IOBMD_API IOSubMemoryDescriptor final : public IOMemoryDescriptor {
public:
	~IOSubMemoryDescriptor() override;
	/* @options: the window's IODirection.  Nesting is limited to 8
	 * levels (kIOReturnNoResources beyond). */
	[[nodiscard]] static OSSharedPtr<IOSubMemoryDescriptor> withSubRange(
		IOMemoryDescriptor *of, IOByteCount offset,
		IOByteCount length, IOOptionBits options) noexcept;

	/* The parent's, shifted by the window's offset. */
	void appendExtents(IOByteCount offset, IOByteCount length,
			   std::vector<Extent> &out) override;

private:
	explicit IOSubMemoryDescriptor(task_t task);

	/* Its data, the library's own: the layout can change without
	 * changing the ABI. */
	struct data;
	data *d_;
};

} // namespace iobmd

#endif /* IOBMD_IOSUBMEMORYDESCRIPTOR_HPP */

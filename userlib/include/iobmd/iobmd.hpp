/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: Apple IOKit's memory-descriptor API over /dev/iobmd.
 *
 * The umbrella header: everything of namespace iobmd.  Link with
 * libiobmd (pkg-config iobmd, or CMake's iobmd::iobmd).
 */
#ifndef IOBMD_IOBMD_HPP
#define IOBMD_IOBMD_HPP

#include "types.hpp"
#include "IOReturn.hpp"
#include "task.hpp"
#include "IOMemoryMap.hpp"
#include "IOMemoryDescriptor.hpp"
#include "IOGeneralMemoryDescriptor.hpp"
#include "IOBufferMemoryDescriptor.hpp"
#include "IOSubMemoryDescriptor.hpp"
#include "IOMultiMemoryDescriptor.hpp"
#include "IOInterleavedMemoryDescriptor.hpp"
#include "IODeviceMemory.hpp"
#include "IODmaBufMemoryDescriptor.hpp"
#include "IOMapper.hpp"
#include "IODMACommand.hpp"
#include "control.hpp"

#endif /* IOBMD_IOBMD_HPP */

// SPDX-License-Identifier: GPL-2.0
/*
 * What keeps libiobmd++'s ABI stable (scripts/abi-check.sh checks the
 * rest against userlib/abi/): the classes IOKit does not let users
 * subclass are final, and the compiled classes keep their data behind
 * one pointer, so that their layout can change without changing their
 * size or the offsets a program sees.
 */
#include <memory>
#include <type_traits>
#include <utility>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

static_assert(std::is_final_v<IOBufferMemoryDescriptor>);
static_assert(std::is_final_v<IOSubMemoryDescriptor>);
static_assert(std::is_final_v<IOMultiMemoryDescriptor>);
static_assert(std::is_final_v<IOInterleavedMemoryDescriptor>);
static_assert(std::is_final_v<IODeviceMemory>);
static_assert(std::is_final_v<IODmaBufMemoryDescriptor>);
static_assert(std::is_final_v<IOMemoryMap>);
static_assert(std::is_final_v<IODMACommand>);
static_assert(std::is_final_v<IOVFIOMapper>);
static_assert(std::is_final_v<task>);
static_assert(std::is_final_v<unique_fd>);
static_assert(std::is_final_v<control>);
/* The bases stay open: the library's own kinds, and a user's mapper. */
static_assert(!std::is_final_v<IOMemoryDescriptor>);
static_assert(!std::is_final_v<IOGeneralMemoryDescriptor>);
static_assert(!std::is_final_v<IOMapper>);

/* One pointer of data per compiled class. */
static_assert(sizeof(task) == sizeof(void *));
static_assert(sizeof(IOMemoryMap) == sizeof(void *));
static_assert(sizeof(IODMACommand) == sizeof(void *));
static_assert(sizeof(IOVFIOMapper) == sizeof(IOMapper) + sizeof(void *));
/* enable_shared_from_this (a weak pointer), the vtable, the data. */
static_assert(sizeof(IOMemoryDescriptor) ==
	      sizeof(std::enable_shared_from_this<IOMemoryDescriptor>) + 2 * sizeof(void *));
static_assert(sizeof(IOGeneralMemoryDescriptor) == sizeof(IOMemoryDescriptor) + sizeof(void *));
static_assert(sizeof(IOBufferMemoryDescriptor) == sizeof(IOGeneralMemoryDescriptor) + sizeof(void *));
static_assert(sizeof(IOSubMemoryDescriptor) == sizeof(IOMemoryDescriptor) + sizeof(void *));
static_assert(sizeof(IOInterleavedMemoryDescriptor) == sizeof(IOMemoryDescriptor) + sizeof(void *));
static_assert(sizeof(IOMultiMemoryDescriptor) == sizeof(IOMemoryDescriptor));
static_assert(sizeof(IODeviceMemory) == sizeof(IOMemoryDescriptor));
static_assert(sizeof(IODmaBufMemoryDescriptor) == sizeof(IOMemoryDescriptor));

/* A map's data moves with it: the one moved from is empty, and only the
 * new owner unmaps. */
TEST(Abi, MapDataMovesWithTheMap)
{
	auto buffer = IOBufferMemoryDescriptor::withCapacity(2 * 4096, kIODirectionInOut);
	ASSERT_TRUE(buffer) << lastError();
	auto map = buffer->map();
	ASSERT_TRUE(map) << lastError();
	const IOVirtualAddress at = map->getVirtualAddress();
	ASSERT_NE(0u, at);
	EXPECT_EQ(2u * 4096, map->getLength());

	IOMemoryMap moved(std::move(*map));
	EXPECT_EQ(0u, map->getVirtualAddress());
	EXPECT_EQ(0u, map->getLength());
	EXPECT_EQ(0u, map->getMapOptions());
	EXPECT_EQ(kIOReturnSuccess, map->unmap());
	EXPECT_EQ(at, moved.getVirtualAddress());
	EXPECT_EQ(2u * 4096, moved.getLength());
	/* Still mapped: the moved-from unmap() left it alone. */
	*reinterpret_cast<volatile char *>(at) = 1;
	EXPECT_EQ(kIOReturnSuccess, moved.unmap());
	EXPECT_EQ(0u, moved.getVirtualAddress());
}

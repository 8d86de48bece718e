// SPDX-License-Identifier: GPL-2.0
/*
 * IOMemoryMap: createMappingInTask() and map() with their options,
 * offsets and placement; unmap and moves.
 */
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include <sys/mman.h>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

namespace {

std::uint8_t *bytes_of(const OSSharedPtr<IOMemoryMap> &m)
{
	return reinterpret_cast<std::uint8_t *>(m->getVirtualAddress());
}

} // namespace

TEST(IOMemoryMap, MapsTheWholeDescriptor)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(3 * page() + 10, kIODirectionInOut);
	ASSERT_MADE(b);
	auto src = pattern(b->getLength(), 7);
	ASSERT_EQ(src.size(), b->writeBytes(0, src.data(), src.size()));

	auto m = b->map();
	ASSERT_MADE(m);
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(b->getLength(), m->getLength());
	EXPECT_EQ(m->getLength(), m->getSize());
	EXPECT_EQ(m->getVirtualAddress(), m->getAddress());
	EXPECT_EQ(0U, m->getVirtualAddress() % page());
	EXPECT_TRUE(m->getMapOptions() & kIOMapAnywhere);
	EXPECT_EQ(0, std::memcmp(bytes_of(m), src.data(), src.size()));

	/* Both ways. */
	bytes_of(m)[5] = 0xa5;
	std::uint8_t v = 0;
	EXPECT_EQ(1U, b->readBytes(5, &v, 1));
	EXPECT_EQ(0xa5, v);
	v = 0x3c;
	EXPECT_EQ(1U, b->writeBytes(3 * page() + 9, &v, 1));
	EXPECT_EQ(0x3c, bytes_of(m)[3 * page() + 9]);

	/* Two maps share the memory. */
	auto other = b->createMappingInTask(kernel_task, 0, kIOMapAnywhere);
	ASSERT_MADE(other);
	EXPECT_NE(m->getVirtualAddress(), other->getVirtualAddress());
	EXPECT_EQ(0xa5, bytes_of(other)[5]);
}

TEST(IOMemoryMap, OffsetAndLength)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(4 * page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto src = pattern(4 * page(), 8);
	ASSERT_EQ(src.size(), b->writeBytes(0, src.data(), src.size()));

	/* An offset inside a page: the address points at that byte. */
	const IOByteCount offset = page() + 904;
	auto m = b->createMappingInTask(kernel_task, 0, kIOMapAnywhere, offset, 2 * page());
	ASSERT_MADE(m);
	EXPECT_EQ(904U, m->getVirtualAddress() % page());
	EXPECT_EQ(2 * page(), m->getLength());
	EXPECT_EQ(0, std::memcmp(bytes_of(m), src.data() + offset, 2 * page()));

	/* Length 0: to the end. */
	auto rest = b->createMappingInTask(kernel_task, 0, kIOMapAnywhere, 3 * page() + 1);
	ASSERT_MADE(rest);
	EXPECT_EQ(page() - 1, rest->getLength());
	EXPECT_EQ(src[3 * page() + 1], bytes_of(rest)[0]);

	/* Outside the descriptor's length. */
	EXPECT_FALSE(b->createMappingInTask(kernel_task, 0, kIOMapAnywhere, 4 * page() + 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(b->createMappingInTask(kernel_task, 0, kIOMapAnywhere, page(), 3 * page() + 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	b->setLength(page());
	EXPECT_FALSE(b->createMappingInTask(kernel_task, 0, kIOMapAnywhere, 0, page() + 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	/* Nothing to map. */
	EXPECT_FALSE(b->createMappingInTask(kernel_task, 0, kIOMapAnywhere, page()));
	EXPECT_RET(kIOReturnNotReady, lastError());
}

TEST(IOMemoryMap, ReadOnly)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	std::uint8_t v = 0x42;
	ASSERT_EQ(1U, b->writeBytes(0, &v, 1));
	auto m = b->map(kIOMapReadOnly);
	ASSERT_MADE(m);
	EXPECT_EQ(0x42, bytes_of(m)[0]);
	/* The mapping cannot become writable. */
	EXPECT_EQ(-1, ::mprotect(bytes_of(m), page(), PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
}

TEST(IOMemoryMap, AtAnAddress)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut);
	ASSERT_MADE(b);

	/* A free place, found by mapping and unmapping. */
	void *hole = ::mmap(nullptr, 4 * page(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, ::munmap(hole, 4 * page()));
	auto at = reinterpret_cast<mach_vm_address_t>(hole) + page();

	auto m = b->createMappingInTask(kernel_task, at, 0);
	ASSERT_MADE(m);
	EXPECT_EQ(at, m->getAddress());
	EXPECT_FALSE(m->getMapOptions() & kIOMapAnywhere);

	/* Taken: no space there. */
	EXPECT_FALSE(b->createMappingInTask(kernel_task, at, 0));
	EXPECT_RET(kIOReturnNoSpace, lastError());
	EXPECT_EQ(EEXIST, lastErrno());
	/* kIOMapAnywhere wins over the address. */
	auto anywhere = b->createMappingInTask(kernel_task, at, kIOMapAnywhere);
	ASSERT_MADE(anywhere);
	EXPECT_TRUE(anywhere->getMapOptions() & kIOMapAnywhere);
	/* Not page aligned. */
	EXPECT_FALSE(b->createMappingInTask(kernel_task, at + 2 * page() + 1, 0));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(IOMemoryMap, Options)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	/* Accepted for IOKit's sake. */
	auto m = b->map(kIOMapReference | kIOMapUnique | kIOMapStatic | kIOMapPrefault);
	ASSERT_MADE(m);
	/* Options a map cannot have here. */
	EXPECT_FALSE(b->map(kIOMapOverwrite));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(b->map(0x80000000));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(IOMemoryMap, CacheModes)
{
	/* Ordinary RAM: its own mode, or copyback, which is the same. */
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	EXPECT_TRUE(b->map(kIOMapDefaultCache));
	EXPECT_TRUE(b->map(kIOMapCopybackCache));
	EXPECT_FALSE(b->map(kIOMapWriteCombineCache));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(b->map(kIOMapInhibitCache));
	EXPECT_RET(kIOReturnBadArgument, lastError());

	/* A write-combined buffer maps write-combined, and only so. */
	auto wc = IOBufferMemoryDescriptor::withOptions(kIODirectionInOut |
							kIOMapWriteCombineCache, page());
	ASSERT_MADE(wc);
	auto m = wc->map(kIOMapWriteCombineCache);
	ASSERT_MADE(m);
	EXPECT_EQ(kIOMapWriteCombineCache, m->getMapOptions() & kIOMapCacheMask);
	EXPECT_TRUE(wc->map());
	EXPECT_FALSE(wc->map(kIOMapInhibitCache));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(IOMemoryMap, Unmap)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto m = b->map();
	ASSERT_MADE(m);
	void *where = bytes_of(m);
	EXPECT_TRUE(is_mapped(where, page()));
	EXPECT_RET(kIOReturnSuccess, m->unmap());
	EXPECT_FALSE(is_mapped(where, page()));
	EXPECT_EQ(0U, m->getVirtualAddress());
	EXPECT_EQ(0U, m->getLength());
	/* Again: nothing to do. */
	EXPECT_RET(kIOReturnSuccess, m->unmap());
}

TEST(IOMemoryMap, MovesTransferTheMapping)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto m = b->map();
	ASSERT_MADE(m);
	IOVirtualAddress where = m->getVirtualAddress();

	IOMemoryMap moved(std::move(*m));
	EXPECT_EQ(0U, m->getVirtualAddress());
	EXPECT_EQ(where, moved.getVirtualAddress());
	EXPECT_EQ(page(), moved.getLength());
	EXPECT_TRUE(is_mapped(reinterpret_cast<void *>(where), page()));

	/* Assignment unmaps what the target held, and is not a call that
	 * records an outcome. */
	auto second = b->map();
	ASSERT_MADE(second);
	IOVirtualAddress second_where = second->getVirtualAddress();
	std::uint8_t byte;
	EXPECT_EQ(0U, b->readBytes(page(), &byte, 1));
	moved = std::move(*second);
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(is_mapped(reinterpret_cast<void *>(where), page()));
	EXPECT_EQ(second_where, moved.getVirtualAddress());
	m.reset();
	second.reset();
	EXPECT_TRUE(is_mapped(reinterpret_cast<void *>(second_where), page()));
}

TEST(IOMemoryMap, ASubRangeStartsInsideAPage)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto src = pattern(2 * page(), 9);
	ASSERT_EQ(src.size(), b->writeBytes(0, src.data(), src.size()));
	auto sub = IOSubMemoryDescriptor::withSubRange(b.get(), 100, 200, kIODirectionInOut);
	ASSERT_MADE(sub);

	/* getVirtualAddress() includes where the sub-range starts in its page. */
	auto m = sub->map();
	ASSERT_MADE(m);
	EXPECT_EQ(100U, m->getVirtualAddress() % page());
	EXPECT_EQ(200U, m->getLength());
	EXPECT_EQ(0, std::memcmp(bytes_of(m), src.data() + 100, 200));

	auto part = sub->createMappingInTask(kernel_task, 0, kIOMapAnywhere, 50, 10);
	ASSERT_MADE(part);
	EXPECT_EQ(150U, part->getVirtualAddress() % page());
	EXPECT_EQ(0, std::memcmp(bytes_of(part), src.data() + 150, 10));
}

/*
 * unmap() from two threads at once unmaps once: a mapping the first
 * thread makes where the map was, once its unmap() returns, survives the
 * second thread's unmap().
 */
TEST(IOMemoryMap, TwoThreadsUnmapOnce)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	for (int i = 0; i < 300; i++) {
		auto m = b->map();
		ASSERT_MADE(m);
		void *at = reinterpret_cast<void *>(m->getVirtualAddress());
		void *sentinel = MAP_FAILED;
		std::atomic<bool> go{false};
		IOReturn r1 = kIOReturnError, r2 = kIOReturnError;

		std::thread t1([&] {
			while (!go.load())
				;
			r1 = m->unmap();
			sentinel = ::mmap(at, page(), PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
					  -1, 0);
		});
		std::thread t2([&] {
			while (!go.load())
				;
			r2 = m->unmap();
		});
		go.store(true);
		t1.join();
		t2.join();
		EXPECT_RET(kIOReturnSuccess, r1);
		EXPECT_RET(kIOReturnSuccess, r2);
		EXPECT_EQ(0u, m->getVirtualAddress());
		EXPECT_EQ(0u, m->getLength());
		if (sentinel != MAP_FAILED) {
			unsigned char vec = 0;

			EXPECT_EQ(0, ::mincore(sentinel, page(), &vec))
				<< "round " << i << ": the other thread unmapped it";
			::munmap(sentinel, page());
		}
	}
}

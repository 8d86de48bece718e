// SPDX-License-Identifier: GPL-2.0
/*
 * The IOKit and DriverKit calls a port needs beyond the buffer-centric
 * ones: withAddress/withOptions, getFlags, getPreparationID,
 * getDMAMapLength, the map's descriptor and physical segments,
 * IODeviceMemory::arrayFromList, the tagged inTaskWithOptions, and
 * DriverKit's GetLength, CreateMapping, CreateSubMemoryDescriptor,
 * CreateWithMemoryDescriptors and out-parameter references.
 */
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <sys/mman.h>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(Porting, WithAddress)
{
	auto src = pattern(5000, 3);
	auto d = IOMemoryDescriptor::withAddress(src.data(), src.size(), kIODirectionOut);
	ASSERT_MADE(d);
	EXPECT_EQ(current_task(), d->getTask());
	EXPECT_EQ(5000U, d->getLength());
	EXPECT_EQ(kIODirectionOut, d->getDirection());
	EXPECT_EQ(kIOMemoryTypeVirtual64 | kIODirectionOut, d->getFlags());
	std::vector<std::uint8_t> back(5000);
	EXPECT_EQ(5000U, d->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(src, back);

	EXPECT_FALSE(IOMemoryDescriptor::withAddress(src.data(), 0, kIODirectionOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(Porting, WithOptions)
{
	auto a = pattern(3000, 4), b = pattern(700, 5);
	IOAddressRange ranges[2] = {
		{ reinterpret_cast<mach_vm_address_t>(a.data()), a.size() },
		{ reinterpret_cast<mach_vm_address_t>(b.data()), b.size() },
	};
	auto d = IOMemoryDescriptor::withOptions(ranges, 2, 0, current_task(),
						 kIOMemoryTypeVirtual64 | kIODirectionInOut,
						 nullptr);
	ASSERT_MADE(d);
	EXPECT_EQ(3700U, d->getLength());
	EXPECT_EQ(kIOMemoryTypeVirtual64 | kIODirectionInOut, d->getFlags());
	std::vector<std::uint8_t> back(700);
	EXPECT_EQ(700U, d->readBytes(3000, back.data(), back.size()));
	EXPECT_EQ(b, back);

	/* An offset means a UPL's, which there is none of. */
	EXPECT_FALSE(IOMemoryDescriptor::withOptions(ranges, 2, 1, current_task(),
						     kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOMemoryDescriptor::withOptions(ranges, 1, 0, current_task(),
						     kIOMemoryTypeUPL | kIODirectionInOut));
	EXPECT_RET(kIOReturnUnsupported, lastError());
	EXPECT_FALSE(IOMemoryDescriptor::withOptions(nullptr, 1, 0, current_task(),
						     kIODirectionInOut));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(Porting, PreparationID)
{
	anon_pages mem(2 * page());
	auto d = IOMemoryDescriptor::withAddressRange(mem.address(), mem.size(),
						      kIODirectionInOut, current_task());
	ASSERT_MADE(d);
	EXPECT_EQ(kIOPreparationIDUnprepared, d->getPreparationID());
	EXPECT_RET(kIOReturnSuccess, lastError());

	ASSERT_RET(kIOReturnSuccess, d->prepare());
	const std::uint64_t first = d->getPreparationID();
	EXPECT_GT(first, kIOPreparationIDAlwaysPrepared);
	/* Nested prepares are the same preparation. */
	ASSERT_RET(kIOReturnSuccess, d->prepare());
	EXPECT_EQ(first, d->getPreparationID());
	ASSERT_RET(kIOReturnSuccess, d->complete());
	EXPECT_EQ(first, d->getPreparationID());
	ASSERT_RET(kIOReturnSuccess, d->complete());
	EXPECT_EQ(kIOPreparationIDUnprepared, d->getPreparationID());

	/* The next preparation has a new number, as another descriptor's. */
	ASSERT_RET(kIOReturnSuccess, d->prepare());
	const std::uint64_t second = d->getPreparationID();
	EXPECT_GT(second, kIOPreparationIDAlwaysPrepared);
	EXPECT_NE(first, second);
	auto e = IOMemoryDescriptor::withAddressRange(mem.address(), page(),
						      kIODirectionIn, current_task());
	ASSERT_MADE(e);
	ASSERT_RET(kIOReturnSuccess, e->prepare());
	EXPECT_NE(second, e->getPreparationID());
	EXPECT_NE(first, e->getPreparationID());
	EXPECT_RET(kIOReturnSuccess, e->complete());
	EXPECT_RET(kIOReturnSuccess, d->complete());

	/* An IODMACommand prepares through the descriptor: a number while
	 * it holds the memory prepared, as drivers caching mappings expect. */
	auto cmd = IODMACommand::withSpecification(IODMACommand::OutputHost64, 64, 0);
	ASSERT_MADE(cmd);
	ASSERT_RET(kIOReturnSuccess, cmd->setMemoryDescriptor(d));
	const std::uint64_t third = d->getPreparationID();
	EXPECT_GT(third, second);
	ASSERT_RET(kIOReturnSuccess, cmd->clearMemoryDescriptor());
	EXPECT_EQ(kIOPreparationIDUnprepared, d->getPreparationID());

	/* A failed complete changes nothing. */
	EXPECT_RET(kIOReturnBadArgument, d->complete());
	EXPECT_EQ(kIOPreparationIDUnprepared, d->getPreparationID());

	/* Buffers are wired for life: a number from the start, kept. */
	auto b = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(b);
	const std::uint64_t id = b->getPreparationID();
	EXPECT_GT(id, kIOPreparationIDAlwaysPrepared);
	ASSERT_RET(kIOReturnSuccess, b->prepare());
	ASSERT_RET(kIOReturnSuccess, b->complete());
	EXPECT_EQ(id, b->getPreparationID());
}

TEST(Porting, DMAMapLength)
{
	anon_pages mem(4 * page());
	std::uint64_t offset = ~0ULL;
	/* Two pages from 100 bytes into a page span three. */
	auto d = IOMemoryDescriptor::withAddressRange(mem.address() + 100, 2 * page(),
						      kIODirectionInOut, current_task());
	ASSERT_MADE(d);
	EXPECT_EQ(3 * page(), d->getDMAMapLength(&offset));
	EXPECT_EQ(100U, offset);
	EXPECT_EQ(3 * page(), d->getDMAMapLength());

	/* Each range rounds out on its own. */
	IOAddressRange ranges[2] = {
		{ mem.address() + page() - 10, 20 },
		{ mem.address() + 3 * page(), 10 },
	};
	auto m = IOMemoryDescriptor::withAddressRanges(ranges, 2, kIODirectionOut,
						       current_task());
	ASSERT_MADE(m);
	EXPECT_EQ(3 * page(), m->getDMAMapLength(&offset));
	EXPECT_EQ(page() - 10, offset);

	/* A buffer starts a page. */
	auto b = IOBufferMemoryDescriptor::withCapacity(page() + 1, kIODirectionInOut);
	ASSERT_MADE(b);
	EXPECT_EQ(2 * page(), b->getDMAMapLength(&offset));
	EXPECT_EQ(0U, offset);
	auto two = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut);
	ASSERT_MADE(two);
	auto s = IOSubMemoryDescriptor::withSubRange(two.get(), 16, page(), kIODirectionIn);
	ASSERT_MADE(s);
	EXPECT_EQ(2 * page(), s->getDMAMapLength(&offset));
	EXPECT_EQ(16U, offset);
}

TEST(Porting, MapHoldsItsDescriptor)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(3 * page(), kIODirectionInOut);
	ASSERT_MADE(b);
	auto src = pattern(page(), 6);
	ASSERT_EQ(page(), b->writeBytes(page(), src.data(), page()));
	auto m = b->createMappingInTask(current_task(), 0, kIOMapAnywhere, page(), page());
	ASSERT_MADE(m);
	EXPECT_EQ(static_cast<IOMemoryDescriptor *>(b.get()), m->getMemoryDescriptor());
	EXPECT_EQ(b->getTask(), m->getAddressTask());
	EXPECT_EQ(page(), m->GetOffset());
	EXPECT_EQ(m->getAddress(), m->GetAddress());
	EXPECT_EQ(page(), m->GetLength());

	/* The descriptor lives as long as its map. */
	std::weak_ptr<IOBufferMemoryDescriptor> weak = b;
	b.reset();
	EXPECT_FALSE(weak.expired());
	EXPECT_EQ(0, std::memcmp(src.data(), reinterpret_cast<void *>(m->getAddress()),
				 page()));
	m.reset();
	EXPECT_TRUE(weak.expired());

	/* getBytesNoCopy()'s own map does not keep its buffer. */
	auto c = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(c);
	ASSERT_NE(nullptr, c->getBytesNoCopy());
	weak = c;
	c.reset();
	EXPECT_TRUE(weak.expired());
}

TEST(Porting, MapPhysicalSegment)
{
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut | kIOMemoryPhysicallyContiguous,
		4 * page(), page());
	ASSERT_MADE(b);
	auto m = b->createMappingInTask(current_task(), 0, kIOMapAnywhere, page(),
					2 * page());
	ASSERT_MADE(m);
	IOByteCount len = 0, whole = 0;
	const IOPhysicalAddress at = b->getPhysicalSegment(page() + 8, &whole,
							   kIOMemoryMapperNone);
	ASSERT_NE(0U, at);
	EXPECT_EQ(at, m->getPhysicalSegment(8, &len, kIOMemoryMapperNone));
	EXPECT_RET(kIOReturnSuccess, lastError());
	/* Cut to the map's end, not the descriptor's. */
	EXPECT_EQ(2 * page() - 8, len);
	EXPECT_EQ(3 * page() - 8, whole);
	EXPECT_EQ(at - 8, m->getPhysicalAddress());

	EXPECT_EQ(0U, m->getPhysicalSegment(2 * page(), &len));
	EXPECT_EQ(0U, len);
	EXPECT_RET(kIOReturnOverrun, lastError());
	ASSERT_RET(kIOReturnSuccess, m->unmap());
	EXPECT_EQ(0U, m->getPhysicalSegment(0, &len));
	EXPECT_RET(kIOReturnNotReady, lastError());
}

TEST(Porting, InTaskWithOptionsTags)
{
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task, kIODirectionInOut,
							     5000, 1, 7, 9);
	ASSERT_MADE(b);
	EXPECT_EQ(5000U, b->getCapacity());
	EXPECT_EQ(5000U, b->getLength());
	/* The tags are VM accounting, not the descriptor's tag. */
	EXPECT_EQ(0U, b->getTag());

	EXPECT_FALSE(IOBufferMemoryDescriptor::inTaskWithOptions(kernel_task,
								 kIODirectionInOut, 0, 1, 7, 9));
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(Porting, ArrayFromList)
{
	mmio_range mmio = find_device_memory();
	ASSERT_GE(mmio.length, 4 * page()) << "no RAM-backed PCI BAR found";

	IODeviceMemory::InitElement list[2] = {
		{ mmio.phys, page(), 0x11 },
		{ mmio.phys + 2 * page(), 2 * page(), 0x22 },
	};
	auto all = IODeviceMemory::arrayFromList(list, 2);
	EXPECT_RET(kIOReturnSuccess, lastError());
	ASSERT_EQ(2U, all.size());
	EXPECT_EQ(page(), all[0]->getLength());
	EXPECT_EQ(0x11U, all[0]->getTag());
	EXPECT_EQ(2 * page(), all[1]->getLength());
	EXPECT_EQ(0x22U, all[1]->getTag());
	EXPECT_EQ(kIOMemoryTypePhysical64 | kIODirectionInOut, all[1]->getFlags());
	IOByteCount len = 0;
	EXPECT_EQ(mmio.phys + 2 * page(),
		  all[1]->getPhysicalSegment(0, &len, kIOMemoryMapperNone));

	/* All or nothing: a range that is RAM fails the whole list. */
	auto ram = IOBufferMemoryDescriptor::inTaskWithOptions(
		kernel_task, kIODirectionInOut | kIOMemoryPhysicallyContiguous, page(),
		page());
	ASSERT_MADE(ram);
	IOPhysicalAddress ramPhys = ram->getPhysicalSegment(0, &len, kIOMemoryMapperNone);
	ASSERT_NE(0U, ramPhys);
	list[1] = { ramPhys, page(), 0x33 };
	EXPECT_TRUE(IODeviceMemory::arrayFromList(list, 2).empty());
	EXPECT_NE(kIOReturnSuccess, lastError());
	EXPECT_TRUE(IODeviceMemory::arrayFromList(list, 0).empty());
	EXPECT_RET(kIOReturnBadArgument, lastError());
}

TEST(PortingDriverKit, GetLength)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(1234, kIODirectionInOut);
	ASSERT_MADE(b);
	std::uint64_t length = 0;
	EXPECT_RET(kIOReturnSuccess, b->GetLength(&length));
	EXPECT_EQ(1234U, length);
	EXPECT_RET(kIOReturnBadArgument, b->GetLength(nullptr));
}

TEST(PortingDriverKit, CreateMapping)
{
	OSSharedPtr<IOBufferMemoryDescriptor> b;
	ASSERT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 4 * page(), 0, &b));
	auto src = pattern(4 * page(), 8);
	ASSERT_EQ(src.size(), b->writeBytes(0, src.data(), src.size()));

	OSSharedPtr<IOMemoryMap> m;
	ASSERT_RET(kIOReturnSuccess, b->CreateMapping(0, 0, page(), 2 * page(), 0, &m));
	ASSERT_MADE(m);
	EXPECT_EQ(page(), m->GetOffset());
	EXPECT_EQ(2 * page(), m->GetLength());
	EXPECT_EQ(kIOMapAnywhere, m->getMapOptions());
	EXPECT_EQ(0, std::memcmp(src.data() + page(),
				 reinterpret_cast<void *>(m->GetAddress()), 2 * page()));

	/* Options: read-only and the cache modes, as IOKit's map options. */
	ASSERT_RET(kIOReturnSuccess,
		   b->CreateMapping(kIOMemoryMapReadOnly | kIOMemoryMapGuardedLarge, 0, 0, 0,
				    0, &m));
	EXPECT_EQ(kIOMapAnywhere | kIOMapReadOnly, m->getMapOptions());
	EXPECT_EQ(4 * page(), m->GetLength());
	ASSERT_RET(kIOReturnSuccess,
		   b->CreateMapping(kIOMemoryMapCacheModeCopyback, 0, 0, page(), 0, &m));
	EXPECT_EQ(kIOMapAnywhere | kIOMapCopybackCache, m->getMapOptions());
	/* Cached RAM maps only cached (the module's rule); memory made
	 * uncached or write-through maps so. */
	EXPECT_RET(kIOReturnBadArgument,
		   b->CreateMapping(kIOMemoryMapCacheModeInhibit, 0, 0, page(), 0, &m));
	auto uc = IOBufferMemoryDescriptor::withOptions(kIODirectionInOut | kIOMapInhibitCache,
							page());
	ASSERT_MADE(uc);
	ASSERT_RET(kIOReturnSuccess,
		   uc->CreateMapping(kIOMemoryMapCacheModeInhibit, 0, 0, 0, 0, &m));
	EXPECT_EQ(kIOMapAnywhere | kIOMapInhibitCache, m->getMapOptions());
	/* Device memory maps write-through when asked. */
	mmio_range mmio = find_device_memory();
	ASSERT_GE(mmio.length, page()) << "no RAM-backed PCI BAR found";
	auto dev = IODeviceMemory::withRange(mmio.phys, page());
	ASSERT_MADE(dev);
	ASSERT_RET(kIOReturnSuccess,
		   dev->CreateMapping(kIOMemoryMapCacheModeWriteThrough, 0, 0, 0, 0, &m));
	EXPECT_EQ(kIOMapAnywhere | kIOMapWriteThruCache, m->getMapOptions());

	/* At a fixed address: one this process just gave back.  Over a
	 * mapping that is there, the module refuses (no space). */
	void *hole = mmap(nullptr, 2 * page(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	const auto at = reinterpret_cast<std::uint64_t>(hole);
	EXPECT_RET(kIOReturnNoSpace,
		   b->CreateMapping(kIOMemoryMapFixedAddress, at, 0, 2 * page(), 0, &m));
	ASSERT_EQ(0, munmap(hole, 2 * page()));
	ASSERT_RET(kIOReturnSuccess,
		   b->CreateMapping(kIOMemoryMapFixedAddress, at, 0, 2 * page(), 0, &m));
	EXPECT_EQ(at, m->GetAddress());
	EXPECT_EQ(0, std::memcmp(src.data(), hole, 2 * page()));
	m.reset();

	/* What DriverKit does not offer, or names wrongly. */
	EXPECT_RET(kIOReturnBadArgument, b->CreateMapping(0, 0, 0, 0, page(), &m));
	EXPECT_RET(kIOReturnBadArgument,
		   b->CreateMapping(kIOMemoryMapCacheModeInhibit | kIOMemoryMapCacheModeCopyback,
				    0, 0, 0, 0, &m));
	EXPECT_RET(kIOReturnBadArgument, b->CreateMapping(0x1000, 0, 0, 0, 0, &m));
	EXPECT_RET(kIOReturnBadArgument,
		   b->CreateMapping(kIOMemoryMapFixedAddress, 0, 0, 0, 0, &m));
	EXPECT_RET(kIOReturnBadArgument,
		   b->CreateMapping(0, 0, 0, 0, 0,
				    static_cast<OSSharedPtr<IOMemoryMap> *>(nullptr)));
	EXPECT_RET(kIOReturnBadArgument,
		   b->CreateMapping(0, 0, 5 * page(), 0, 0, &m));
	EXPECT_FALSE(m);
}

TEST(PortingDriverKit, OutParametersHoldAReference)
{
	IOBufferMemoryDescriptor *raw = nullptr;
	ASSERT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 2 * page(), 0, &raw));
	ASSERT_NE(nullptr, raw);
	std::weak_ptr<IOMemoryDescriptor> weak = raw->weak_from_this();
	EXPECT_FALSE(weak.expired());

	IOMemoryMap *map = nullptr;
	ASSERT_RET(kIOReturnSuccess, raw->CreateMapping(0, 0, 0, 0, 0, &map));
	ASSERT_NE(nullptr, map);
	std::memset(reinterpret_cast<void *>(map->GetAddress()), 0x5a, 2 * page());

	IOMemoryDescriptor *sub = nullptr;
	ASSERT_RET(kIOReturnSuccess, IOMemoryDescriptor::CreateSubMemoryDescriptor(
					     kIOMemoryDirectionIn, page(), page(), raw, &sub));
	ASSERT_NE(nullptr, sub);

	/* The buffer goes only when nothing refers to it any more. */
	OSSafeReleaseNULL(raw);
	EXPECT_EQ(nullptr, raw);
	EXPECT_FALSE(weak.expired());
	OSSafeReleaseNULL(map);
	EXPECT_EQ(nullptr, map);
	EXPECT_FALSE(weak.expired());
	std::uint8_t byte = 0;
	EXPECT_EQ(1U, sub->readBytes(0, &byte, 1));
	EXPECT_EQ(0x5a, byte);
	OSSafeReleaseNULL(sub);
	EXPECT_TRUE(weak.expired());

	/* Releasing nothing, or twice, is harmless. */
	OSSafeReleaseNULL(sub);
	EXPECT_FALSE(OSReleaseShared(&byte));

	EXPECT_RET(kIOReturnBadArgument,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, 0, 0, &raw));
	EXPECT_EQ(nullptr, raw);
}

TEST(PortingDriverKit, CreateSubMemoryDescriptor)
{
	auto src = pattern(3 * page(), 9);
	auto b = IOBufferMemoryDescriptor::withBytes(src.data(), src.size(), kIODirectionInOut);
	ASSERT_MADE(b);
	OSSharedPtr<IOMemoryDescriptor> s;
	ASSERT_RET(kIOReturnSuccess, IOMemoryDescriptor::CreateSubMemoryDescriptor(
					     kIOMemoryDirectionOut, 100, page(), b.get(), &s));
	ASSERT_MADE(s);
	EXPECT_EQ(page(), s->getLength());
	EXPECT_EQ(kIODirectionOut, s->getDirection());
	std::vector<std::uint8_t> back(page());
	EXPECT_EQ(page(), s->readBytes(0, back.data(), back.size()));
	EXPECT_EQ(0, std::memcmp(src.data() + 100, back.data(), page()));

	EXPECT_RET(kIOReturnBadArgument, IOMemoryDescriptor::CreateSubMemoryDescriptor(
						 kIOMemoryDisableCopyOnWrite, 0, page(), b.get(), &s));
	EXPECT_RET(kIOReturnBadArgument, IOMemoryDescriptor::CreateSubMemoryDescriptor(
						 kIOMemoryDirectionIn, 0, page(), nullptr, &s));
	EXPECT_RET(kIOReturnBadArgument, IOMemoryDescriptor::CreateSubMemoryDescriptor(
						 kIOMemoryDirectionIn, 3 * page(), 1, b.get(), &s));
}

TEST(PortingDriverKit, CreateWithMemoryDescriptors)
{
	auto a = IOBufferMemoryDescriptor::withBytes(pattern(100, 1).data(), 100,
						     kIODirectionInOut);
	auto b = IOBufferMemoryDescriptor::withBytes(pattern(200, 2).data(), 200,
						     kIODirectionInOut);
	auto out = IOBufferMemoryDescriptor::withCapacity(50, kIODirectionOut);
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	ASSERT_MADE(out);
	IOMemoryDescriptor *list[3] = { a.get(), b.get(), out.get() };

	OSSharedPtr<IOMemoryDescriptor> all;
	ASSERT_RET(kIOReturnSuccess, IOMemoryDescriptor::CreateWithMemoryDescriptors(
					     kIOMemoryDirectionOut, 3, list, &all));
	ASSERT_MADE(all);
	EXPECT_EQ(350U, all->getLength());
	std::vector<std::uint8_t> back(200);
	EXPECT_EQ(200U, all->readBytes(100, back.data(), back.size()));
	EXPECT_EQ(pattern(200, 2), back);

	IOMemoryDescriptor *raw = nullptr;
	ASSERT_RET(kIOReturnSuccess, IOMemoryDescriptor::CreateWithMemoryDescriptors(
					     kIOMemoryDirectionInOut, 2, list, &raw));
	ASSERT_NE(nullptr, raw);
	EXPECT_EQ(300U, raw->getLength());
	OSSafeReleaseNULL(raw);

	/* Every source must allow the direction asked for. */
	EXPECT_RET(kIOReturnBadArgument, IOMemoryDescriptor::CreateWithMemoryDescriptors(
						 kIOMemoryDirectionIn, 3, list, &all));
	EXPECT_RET(kIOReturnBadArgument, IOMemoryDescriptor::CreateWithMemoryDescriptors(
						 kIOMemoryDirectionOut, 0, list, &all));
	EXPECT_RET(kIOReturnBadArgument, IOMemoryDescriptor::CreateWithMemoryDescriptors(
						 kIOMemoryDirectionOut, 33, list, &all));
	IOMemoryDescriptor *holes[2] = { a.get(), nullptr };
	EXPECT_RET(kIOReturnBadArgument, IOMemoryDescriptor::CreateWithMemoryDescriptors(
						 kIOMemoryDirectionOut, 2, holes, &all));
}

/*
 * XNU maps a window of a task's memory without the window, or its parent,
 * being prepared; so does iobmd: the map pins the memory itself, and
 * keeps it pinned after a prepare() and complete() of the parent.
 */
TEST(Porting, SubOfUserMemoryMapsWithoutAPrepare)
{
	anon_pages mem(4 * page());
	auto src = pattern(4 * page(), 10);
	std::memcpy(mem.data(), src.data(), src.size());
	auto g = IOMemoryDescriptor::withAddressRange(mem.address(), mem.size(),
						      kIODirectionInOut, current_task());
	ASSERT_MADE(g);
	auto s = IOSubMemoryDescriptor::withSubRange(g.get(), page() + 8, 2 * page(),
						     kIODirectionInOut);
	ASSERT_MADE(s);
	auto m = s->map();
	ASSERT_MADE(m);
	EXPECT_EQ(kIOPreparationIDUnprepared, s->getPreparationID());
	EXPECT_EQ(kIOPreparationIDUnprepared, g->getPreparationID());
	ASSERT_RET(kIOReturnSuccess, g->prepare());
	EXPECT_RET(kIOReturnSuccess, g->complete());
	auto *p = reinterpret_cast<std::uint8_t *>(m->getAddress());
	EXPECT_EQ(0, std::memcmp(p, src.data() + page() + 8, 2 * page()));
	/* The map shows the process's own pages. */
	p[0] ^= 0xff;
	EXPECT_EQ(static_cast<std::uint8_t>(src[page() + 8] ^ 0xff), mem.data()[page() + 8]);
}

/* DriverKit's raw-pointer IODMACommand: a reference out, a descriptor in. */
TEST(PortingDriverKit, DMACommandRawPointers)
{
	IOBufferMemoryDescriptor *buffer = nullptr;
	ASSERT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionInOut, page(), 0, &buffer));
	IODMACommandSpecification spec{};
	spec.maxAddressBits = 64;
	IODMACommand *command = nullptr;
	ASSERT_RET(kIOReturnSuccess, IODMACommand::Create(nullptr, kIODMACommandCreateNoOptions,
							  &spec, &command));
	ASSERT_NE(nullptr, command);

	/* No mapper: physical addresses (root). */
	std::uint64_t flags = 0;
	IOAddressSegment segs[4];
	std::uint32_t count = 4;
	ASSERT_RET(kIOReturnSuccess, command->PrepareForDMA(0, buffer, 0, 0, &flags, &count,
							    segs));
	ASSERT_EQ(1U, count);
	IOByteCount len = 0;
	EXPECT_EQ(buffer->getPhysicalSegment(0, &len, kIOMemoryMapperNone), segs[0].address);
	EXPECT_EQ(page(), segs[0].length);
	EXPECT_RET(kIOReturnSuccess, command->CompleteDMA(kIODMACommandCompleteDMANoOptions));

	count = 4;
	EXPECT_RET(kIOReturnBadArgument,
		   command->PrepareForDMA(0, static_cast<IOMemoryDescriptor *>(nullptr), 0, 0,
					  &flags, &count, segs));
	EXPECT_RET(kIOReturnBadArgument,
		   IODMACommand::Create(nullptr, 0, &spec,
					static_cast<IODMACommand **>(nullptr)));
	IODMACommand *none = command;
	spec.maxAddressBits = 65;
	EXPECT_RET(kIOReturnBadArgument, IODMACommand::Create(nullptr, 0, &spec, &none));
	EXPECT_EQ(nullptr, none);

	/* The command's reference is its only one: it goes here. */
	std::weak_ptr<IOMemoryDescriptor> weak = buffer->weak_from_this();
	OSSafeReleaseNULL(command);
	EXPECT_EQ(nullptr, command);
	OSSafeReleaseNULL(buffer);
	EXPECT_TRUE(weak.expired());
}

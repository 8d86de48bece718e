// SPDX-License-Identifier: GPL-2.0
/*
 * IODMACommand without a device: physical segments (no mapper) against
 * the module's own, the command's limits, and what it asks of a mapper
 * (a recording one here; the VFIO one is tested with a device in
 * tests/vfio/).
 */
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

namespace {

/* A mapper that maps nothing: it places IOVAs from 1 GiB up and records
 * what it was asked. */
class recording_mapper final : public IOMapper {
public:
	struct call {
		std::uint64_t vaddr, length, iova;
		IODirection direction;
		std::uint64_t maxAddress, alignment;
	};
	IOReturn iovmMap(mach_vm_address_t vaddr, mach_vm_size_t length,
			 IODirection direction, std::uint64_t maxAddress,
			 std::uint64_t alignment, std::uint64_t *iova) noexcept override
	{
		if (refuse)
			return kIOReturnNoSpace;
		std::uint64_t at = (next + alignment - 1) & ~(alignment - 1);
		next = at + length;
		*iova = at;
		maps.push_back({vaddr, length, at, direction, maxAddress, alignment});
		live[at] = length;
		return kIOReturnSuccess;
	}
	IOReturn iovmUnmap(std::uint64_t iova, mach_vm_size_t length) noexcept override
	{
		auto it = live.find(iova);
		if (it == live.end() || it->second != length)
			return kIOReturnBadArgument;
		live.erase(it);
		return kIOReturnSuccess;
	}
	std::vector<call> maps;
	std::map<std::uint64_t, std::uint64_t> live;
	std::uint64_t next = 1ull << 30;
	bool refuse = false;
};

OSSharedPtr<IODMACommand> physical(std::uint8_t bits, std::uint64_t maxSegment = 0,
				   std::uint64_t maxTransfer = 0,
				   IODMACommand::SegmentFunction out = IODMACommand::OutputHost64)
{
	return IODMACommand::withSpecification(out, bits,
					       maxSegment, IODMACommand::kMapped,
					       maxTransfer);
}

std::vector<IODMACommand::Segment64> all_segments(IODMACommand &c)
{
	std::vector<IODMACommand::Segment64> out;
	std::uint64_t offset = 0;
	IODMACommand::Segment64 seg[4];
	for (;;) {
		std::uint32_t n = 4;
		IOReturn r = c.gen64IOVMSegments(&offset, seg, &n);
		if (r != kIOReturnSuccess || !n)
			break;
		out.insert(out.end(), seg, seg + n);
	}
	return out;
}

} // namespace

TEST(IODMACommand, SpecificationsItRefuses)
{
	IODMACommand::SegmentOptions o{};
	o.fStructSize = sizeof(o);
	o.fNumAddressBits = 32;
	o.fAlignment = 3;
	EXPECT_FALSE(IODMACommand::withSpecification(IODMACommand::OutputHost64, &o,
						     IODMACommand::kMapped, nullptr, nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	o.fAlignment = 1;
	o.fStructSize = 1;
	EXPECT_FALSE(IODMACommand::withSpecification(IODMACommand::OutputHost64, &o,
						     IODMACommand::kMapped, nullptr, nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	o.fStructSize = sizeof(o);
	o.fNumAddressBits = 65;
	EXPECT_FALSE(IODMACommand::withSpecification(IODMACommand::OutputHost64, &o,
						     IODMACommand::kMapped, nullptr, nullptr));
	o.fNumAddressBits = 32;
	EXPECT_FALSE(IODMACommand::withSpecification(nullptr, &o, IODMACommand::kMapped,
						     nullptr, nullptr));
	EXPECT_FALSE(IODMACommand::withSpecification(IODMACommand::OutputHost64, &o,
						     0x100, nullptr, nullptr));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	auto c = IODMACommand::withSpecification(IODMACommand::OutputHost64, &o,
						 IODMACommand::kMapped, nullptr, nullptr);
	ASSERT_MADE(c);
	EXPECT_EQ(32, c->getNumAddressBits());

	OSSharedPtr<IODMACommand> made;
	IODMACommandSpecification spec{};
	spec.maxAddressBits = 65;
	EXPECT_RET(kIOReturnBadArgument, IODMACommand::Create(nullptr, 0, &spec, &made));
	spec.maxAddressBits = 28;
	EXPECT_RET(kIOReturnBadArgument, IODMACommand::Create(nullptr, 1, &spec, &made));
	EXPECT_FALSE(made);
	EXPECT_RET(kIOReturnSuccess, IODMACommand::Create(nullptr, 0, &spec, &made));
	ASSERT_TRUE(made);
	EXPECT_EQ(28, made->getNumAddressBits());
	spec.maxAddressBits = 0;
	EXPECT_RET(kIOReturnSuccess, IODMACommand::Create(nullptr, 0, &spec, &made));
	EXPECT_EQ(64, made->getNumAddressBits());
}

TEST(IODMACommand, WithoutAMapperTheSegmentsArePhysical)
{
	auto buf = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut, 8 * page(), 0xFFFFF000ull);
	ASSERT_MADE(buf);
	auto c = physical(32);
	ASSERT_MADE(c);
	EXPECT_RET(kIOReturnNotReady, c->prepare());
	ASSERT_RET(kIOReturnSuccess, c->setMemoryDescriptor(buf));
	auto want = segments_of(*buf);
	auto got = all_segments(*c);
	ASSERT_EQ(want.size(), got.size());
	for (std::size_t i = 0; i < want.size(); i++) {
		EXPECT_EQ(want[i].address, got[i].fIOVMAddr);
		EXPECT_EQ(want[i].length, got[i].fLength);
		EXPECT_LE(got[i].fIOVMAddr + got[i].fLength - 1, 0xFFFFFFFFull);
	}
	/* Another descriptor while this one is prepared: busy. */
	auto other = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(other);
	EXPECT_RET(kIOReturnBusy, c->setMemoryDescriptor(other));
	EXPECT_EQ(buf, c->getMemoryDescriptor());
	EXPECT_RET(kIOReturnSuccess, c->clearMemoryDescriptor());
	EXPECT_FALSE(c->getMemoryDescriptor());
	std::uint64_t off = 0;
	IODMACommand::Segment64 s;
	std::uint32_t n = 1;
	EXPECT_RET(kIOReturnNotReady, c->gen64IOVMSegments(&off, &s, &n));
}

TEST(IODMACommand, MemoryBeyondTheAddressBitsIsRefusedNotBounced)
{
	/* This process's memory lies anywhere; 12 address bits reach only
	 * the first 4 KiB of RAM, which no page of it can be. */
	anon_pages mem(4 * page());
	std::memset(mem.data(), 0x5a, mem.size());
	auto md = IOMemoryDescriptor::withAddressRange(mem.address(), mem.size(),
						       kIODirectionInOut, kernel_task);
	ASSERT_MADE(md);
	auto c = physical(12);
	ASSERT_MADE(c);
	EXPECT_RET(kIOReturnDMAError, c->setMemoryDescriptor(md));
	EXPECT_EQ(ERANGE, lastErrno());
	/* Nothing stays: no descriptor, nothing wired (a complete of the
	 * descriptor finds nothing prepared). */
	EXPECT_FALSE(c->getMemoryDescriptor());
	EXPECT_RET(kIOReturnBadArgument, md->complete());
}

TEST(IODMACommand, SegmentAndTransferSizesCutTheWalk)
{
	auto buf = IOBufferMemoryDescriptor::inTaskWithPhysicalMask(
		kernel_task, kIODirectionInOut | kIOMemoryPhysicallyContiguous,
		4 * page(), 0xFFFFF000ull);
	ASSERT_MADE(buf);
	auto c = physical(32, 1000, 2500);
	ASSERT_MADE(c);
	ASSERT_RET(kIOReturnSuccess, c->setMemoryDescriptor(buf, false));
	ASSERT_RET(kIOReturnSuccess, c->prepare(100, 3 * page()));
	IOPhysicalAddress base = buf->getPhysicalSegment(0, nullptr, kIOMemoryMapperNone);

	/* At most 2500 bytes a call, in pieces of at most 1000. */
	std::uint64_t off = 0;
	IODMACommand::Segment64 s[8];
	std::uint32_t n = 8;
	ASSERT_RET(kIOReturnSuccess, c->gen64IOVMSegments(&off, s, &n));
	ASSERT_EQ(3U, n);
	EXPECT_EQ(2500U, off);
	EXPECT_EQ(base + 100, s[0].fIOVMAddr);
	EXPECT_EQ(1000U, s[0].fLength);
	EXPECT_EQ(base + 1100, s[1].fIOVMAddr);
	EXPECT_EQ(500U, s[2].fLength);
	/* Room for one segment only. */
	n = 1;
	ASSERT_RET(kIOReturnSuccess, c->gen64IOVMSegments(&off, s, &n));
	EXPECT_EQ(1U, n);
	EXPECT_EQ(3500U, off);
	EXPECT_EQ(base + 2600, s[0].fIOVMAddr);
	/* Past the end; no room. */
	off = 3 * page();
	n = 1;
	EXPECT_RET(kIOReturnOverrun, c->gen64IOVMSegments(&off, s, &n));
	off = 0;
	n = 0;
	EXPECT_RET(kIOReturnBadArgument, c->gen64IOVMSegments(&off, s, &n));
	/* synchronize: one direction at a time. */
	EXPECT_RET(kIOReturnSuccess, c->synchronize(kIODirectionOut));
	EXPECT_RET(kIOReturnBadArgument, c->synchronize(kIODirectionInOut));

	/* 32-bit output through the command's segment function. */
	auto c32 = physical(32, 1000, 0, IODMACommand::OutputHost32);
	ASSERT_MADE(c32);
	ASSERT_RET(kIOReturnSuccess, c32->setMemoryDescriptor(buf));
	IODMACommand::Segment32 s32[3] = {};
	off = 0;
	n = 2;
	ASSERT_RET(kIOReturnSuccess, c32->genIOVMSegments(&off, s32, &n));
	EXPECT_EQ(2U, n);
	EXPECT_EQ(2000U, off);
	EXPECT_EQ(base, s32[0].fIOVMAddr);
	EXPECT_EQ(base + 1000, s32[1].fIOVMAddr);
	EXPECT_EQ(1000U, s32[1].fLength);
	EXPECT_EQ(0U, s32[2].fIOVMAddr);

	/* Nested prepares must name the same range. */
	EXPECT_RET(kIOReturnBusy, c->prepare(0, page()));
	EXPECT_RET(kIOReturnSuccess, c->prepare(100, 3 * page()));
	EXPECT_RET(kIOReturnSuccess, c->complete());
	std::uint64_t po = 0, pl = 0;
	EXPECT_RET(kIOReturnSuccess, c->getPreparedOffsetAndLength(&po, &pl));
	EXPECT_EQ(100U, po);
	EXPECT_EQ(3 * page(), pl);
	EXPECT_RET(kIOReturnSuccess, c->complete());
	EXPECT_RET(kIOReturnNotReady, c->complete());
	EXPECT_RET(kIOReturnNotReady, c->getPreparedOffsetAndLength(&po, &pl));
}

TEST(IODMACommand, AMapperGetsWholePagesAndTheSegmentIsItsIOVA)
{
	auto mapper = std::make_shared<recording_mapper>();
	anon_pages mem(3 * page());
	auto md = IOMemoryDescriptor::withAddressRange(mem.address() + 100,
						       2 * page(), kIODirectionOut,
						       kernel_task);
	ASSERT_MADE(md);
	auto c = IODMACommand::withSpecification(IODMACommand::OutputHost64, 40, 0,
						 IODMACommand::kMapped, 0, 1, mapper);
	ASSERT_MADE(c);
	ASSERT_RET(kIOReturnSuccess, c->setMemoryDescriptor(md));
	ASSERT_EQ(1U, mapper->maps.size());
	const auto &m = mapper->maps[0];
	/* The descriptor's pages as mapped into this process: 3 pages hold
	 * 2 pages that start 100 bytes into one. */
	EXPECT_EQ(0U, m.vaddr % page());
	EXPECT_EQ(3 * page(), m.length);
	EXPECT_EQ(kIODirectionOut, m.direction);
	EXPECT_EQ((1ull << 40) - 1, m.maxAddress);
	EXPECT_EQ(page(), m.alignment);
	auto segs = all_segments(*c);
	ASSERT_EQ(1U, segs.size());
	EXPECT_EQ(m.iova + 100, segs[0].fIOVMAddr);
	EXPECT_EQ(2 * page(), segs[0].fLength);
	/* The mapping the mapper was given holds the descriptor's bytes. */
	std::memset(mem.data(), 0, mem.size());
	mem.data()[100] = 0x77;
	EXPECT_EQ(0x77, reinterpret_cast<volatile std::uint8_t *>(m.vaddr)[100]);

	ASSERT_RET(kIOReturnSuccess, c->complete());
	EXPECT_TRUE(mapper->live.empty());

	/* A mapper that cannot place it: prepare fails, nothing stays. */
	mapper->refuse = true;
	EXPECT_RET(kIOReturnNoSpace, c->prepare());
	EXPECT_RET(kIOReturnBadArgument, md->complete());
	mapper->refuse = false;

	/* kBypassed ignores the mapper. */
	auto b = IODMACommand::withSpecification(IODMACommand::OutputHost64, 64, 0,
						 IODMACommand::kBypassed, 0, 1, mapper);
	ASSERT_MADE(b);
	ASSERT_RET(kIOReturnSuccess, b->setMemoryDescriptor(md));
	EXPECT_EQ(1U, mapper->maps.size());
	EXPECT_EQ(segments_of(*md)[0].address, all_segments(*b)[0].fIOVMAddr);

	/* The destructor undoes a prepare. */
	{
		auto d = c->cloneCommand();
		ASSERT_MADE(d);
		ASSERT_RET(kIOReturnSuccess, d->setMemoryDescriptor(md));
		EXPECT_EQ(1U, mapper->live.size());
	}
	EXPECT_TRUE(mapper->live.empty());
}

TEST(IODMACommand, AMapperGetsEachPieceFromWhereItIs)
{
	auto mapper = std::make_shared<recording_mapper>();
	auto buf = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut);
	ASSERT_MADE(buf);
	auto src = pattern(2 * page(), 41);
	ASSERT_EQ(src.size(), buf->writeBytes(0, src.data(), src.size()));
	anon_pages mem(page());
	auto user = IOMemoryDescriptor::withAddressRange(mem.address() + 100, 3000,
							 kIODirectionInOut, kernel_task);
	ASSERT_MADE(user);
	IOMemoryDescriptor *pieces[] = {buf.get(), user.get()};
	auto multi = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut);
	ASSERT_MADE(multi);
	/* The buffer's second page and all of the user range. */
	auto sub = IOSubMemoryDescriptor::withSubRange(multi.get(), page(), page() + 3000,
						       kIODirectionInOut);
	ASSERT_MADE(sub);
	auto c = IODMACommand::withSpecification(IODMACommand::OutputHost64, 64, 0,
						 IODMACommand::kMapped, 0, 1, mapper);
	ASSERT_MADE(c);
	ASSERT_RET(kIOReturnSuccess, c->setMemoryDescriptor(sub));

	ASSERT_EQ(2U, mapper->maps.size());
	/* The buffer through a mapping of it, which holds its bytes. */
	const auto &b = mapper->maps[0];
	EXPECT_EQ(page(), b.length);
	EXPECT_NE(mem.address(), b.vaddr);
	EXPECT_EQ(0, std::memcmp(reinterpret_cast<const void *>(b.vaddr),
				 src.data() + page(), page()));
	/* This process's memory where it is. */
	const auto &u = mapper->maps[1];
	EXPECT_EQ(mem.address(), u.vaddr);
	EXPECT_EQ(page(), u.length);
	auto segs = all_segments(*c);
	ASSERT_EQ(2U, segs.size());
	EXPECT_EQ(b.iova, segs[0].fIOVMAddr);
	EXPECT_EQ(page(), segs[0].fLength);
	EXPECT_EQ(u.iova + 100, segs[1].fIOVMAddr);
	EXPECT_EQ(3000U, segs[1].fLength);
	ASSERT_RET(kIOReturnSuccess, c->complete());
	EXPECT_TRUE(mapper->live.empty());
}

TEST(IODMACommand, DriverKitPrepareForDMA)
{
	auto mapper = std::make_shared<recording_mapper>();
	OSSharedPtr<IODMACommand> c;
	IODMACommandSpecification spec{};
	spec.maxAddressBits = 64;
	ASSERT_RET(kIOReturnSuccess, IODMACommand::Create(nullptr, 0, &spec, &c));
	OSSharedPtr<IOBufferMemoryDescriptor> buf;
	ASSERT_RET(kIOReturnSuccess,
		   IOBufferMemoryDescriptor::Create(kIOMemoryDirectionIn, 16 * page(), 0, &buf));
	/* Physical segments, as the module gives them. */
	auto want = segments_of(*buf);
	IOAddressSegment segs[32];
	std::uint32_t count = 32;
	std::uint64_t flags = 0;
	ASSERT_RET(kIOReturnSuccess,
		   c->PrepareForDMA(0, buf, 0, 0, &flags, &count, segs));
	EXPECT_EQ(kIOMemoryDirectionIn, flags);
	ASSERT_EQ(want.size(), count);
	EXPECT_EQ(want[0].address, segs[0].address);
	EXPECT_RET(kIOReturnBusy, c->PrepareForDMA(0, buf, 0, 0, &flags, &count, segs));
	std::uint64_t off = 1, len = 0;
	OSSharedPtr<IOMemoryDescriptor> md;
	EXPECT_RET(kIOReturnSuccess, c->GetPreparation(&off, &len, &md));
	EXPECT_EQ(0U, off);
	EXPECT_EQ(16 * page(), len);
	EXPECT_EQ(buf, md);
	EXPECT_RET(kIOReturnSuccess, c->CompleteDMA(0));
	EXPECT_RET(kIOReturnNotReady, c->CompleteDMA(0));
	/* Room for one segment fewer than it takes: nothing stays. */
	count = static_cast<std::uint32_t>(want.size() - 1);
	EXPECT_RET(kIOReturnOverrun, c->PrepareForDMA(0, buf, 0, 0, &flags, &count, segs));
	EXPECT_RET(kIOReturnBadArgument, buf->complete());
	EXPECT_RET(kIOReturnNotReady, c->GetPreparation(&off, &len, &md));

	/* Through a mapper: one segment, below the 32 bits asked for. */
	spec.maxAddressBits = 32;
	ASSERT_RET(kIOReturnSuccess, IODMACommand::Create(mapper, 0, &spec, &c));
	count = 1;
	ASSERT_RET(kIOReturnSuccess,
		   c->PrepareForDMA(0, buf, page(), 2 * page(), &flags, &count, segs));
	EXPECT_EQ(1U, count);
	EXPECT_EQ(mapper->maps.back().iova, segs[0].address);
	EXPECT_EQ(2 * page(), segs[0].length);
	EXPECT_EQ(0xFFFFFFFFull, mapper->maps.back().maxAddress);
	EXPECT_RET(kIOReturnSuccess, c->CompleteDMA(0));
	EXPECT_TRUE(mapper->live.empty());
}

TEST(IOVFIOMapper, OnlyAContainerOrAnIOMMUFD)
{
	EXPECT_FALSE(IOVFIOMapper::withContainer(-1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_FALSE(IOVFIOMapper::withContainer(fd));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOVFIOMapper::withIOAS(fd, 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_FALSE(IOVFIOMapper::withIOAS(-1, 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	::close(fd);
}

TEST(IODMACommand, NonCoherentCommandsKeepTheCachesInStep)
{
	auto buf = IOBufferMemoryDescriptor::withCapacity(2 * page(), kIODirectionInOut);
	ASSERT_MADE(buf);
	auto c = IODMACommand::withSpecification(IODMACommand::OutputHost64, 64, 0,
						 IODMACommand::kNonCoherent);
	ASSERT_MADE(c);
	EXPECT_RET(kIOReturnNotReady, c->synchronize(kIODirectionIn));
	ASSERT_RET(kIOReturnSuccess, c->setMemoryDescriptor(buf));
	EXPECT_RET(kIOReturnSuccess, c->synchronize(kIODirectionOut));
	EXPECT_RET(kIOReturnSuccess, c->synchronize(kIODirectionIn));
	EXPECT_RET(kIOReturnUnsupported, c->synchronize(0x01000000 /* kForceDoubleBuffer */));
	EXPECT_RET(kIOReturnSuccess, c->complete());
	/* The descriptor was completed: its own complete finds nothing. */
	EXPECT_RET(kIOReturnBadArgument, buf->complete());
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Maps of this process's memory without a prepare(), as XNU allows: a
 * general descriptor and a sub of it map while nothing has pinned their
 * memory.  The map pins it for its own life (each copy fork() makes holds
 * a pin too) and leaves the descriptor's prepare count, its
 * getPreparationID() and the module's count of prepared descriptors as
 * they were; the module's statistics show what stays pinned.
 */
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iobmd/control.hpp>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

namespace {

std::uint8_t *bytes_of(const OSSharedPtr<IOMemoryMap> &m)
{
	return reinterpret_cast<std::uint8_t *>(m->getVirtualAddress());
}

/* The module-wide statistics. */
control_stats stats()
{
	control c;
	control_stats s;

	EXPECT_FALSE(c.open());
	EXPECT_FALSE(c.get_stats(s));
	return s;
}

/* What a map must leave behind once it is gone: nothing pinned, mapped
 * or prepared beyond @before. */
void expect_nothing_held(const control_stats &before)
{
	control_stats now = stats();

	EXPECT_EQ(before.bytes_pinned, now.bytes_pinned);
	EXPECT_EQ(before.mappings, now.mappings);
	EXPECT_EQ(before.prepares, now.prepares);
}

} // namespace

TEST(UnpreparedMap, GeneralMapsWithoutPrepare)
{
	anon_pages mem(2 * page());
	ASSERT_NE(nullptr, mem.data());
	auto src = pattern(mem.size(), 31);
	std::memcpy(mem.data(), src.data(), src.size());
	auto d = IOGeneralMemoryDescriptor::withAddressRange(mem.address() + 300, page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(d);
	const control_stats before = stats();

	auto m = d->map();
	ASSERT_MADE(m);
	EXPECT_RET(kIOReturnSuccess, lastError());
	EXPECT_EQ(300U, m->getVirtualAddress() % page());
	EXPECT_EQ(page(), m->getLength());
	EXPECT_EQ(0, std::memcmp(bytes_of(m), src.data() + 300, page()));
	/* The process's own bytes, both ways. */
	bytes_of(m)[1] = 'm';
	EXPECT_EQ('m', mem.data()[301]);
	mem.data()[300 + page() - 1] = 'p';
	EXPECT_EQ('p', bytes_of(m)[page() - 1]);
	/* And through the descriptor, which stays writable. */
	std::uint8_t v = 'w';
	EXPECT_EQ(1U, d->writeBytes(2, &v, 1));
	EXPECT_EQ('w', bytes_of(m)[2]);

	/* The map holds the two pages the range spans; nothing is
	 * prepared, here or in the module. */
	control_stats mapped = stats();
	EXPECT_EQ(before.bytes_pinned + 2 * page(), mapped.bytes_pinned);
	EXPECT_EQ(before.mappings + 1, mapped.mappings);
	EXPECT_EQ(before.prepares, mapped.prepares);
	EXPECT_EQ(kIOPreparationIDUnprepared, d->getPreparationID());
	EXPECT_EQ(0U, d->getPhysicalSegment(0, nullptr));
	EXPECT_RET(kIOReturnNotReady, lastError());
	EXPECT_RET(kIOReturnBadArgument, d->complete());

	/* A second map of the pinned memory takes its own pin. */
	auto other = d->createMappingInTask(current_task(), 0, kIOMapAnywhere, 100, 10);
	ASSERT_MADE(other);
	m.reset();
	EXPECT_EQ(before.bytes_pinned + 2 * page(), stats().bytes_pinned);
	EXPECT_EQ(src[400], bytes_of(other)[0]);
	other.reset();
	expect_nothing_held(before);

	/* The prepared way works as before, and the map outlives the
	 * complete(). */
	ASSERT_RET(kIOReturnSuccess, d->prepare());
	const std::uint64_t id = d->getPreparationID();
	EXPECT_GT(id, kIOPreparationIDAlwaysPrepared);
	m = d->map();
	ASSERT_MADE(m);
	EXPECT_EQ(id, d->getPreparationID());
	EXPECT_RET(kIOReturnSuccess, d->complete());
	EXPECT_EQ('m', bytes_of(m)[1]);
	m.reset();
	expect_nothing_held(before);
}

TEST(UnpreparedMap, WithAddressMapsWithoutPrepare)
{
	std::vector<std::uint8_t> heap = pattern(3 * page() + 5, 32);
	auto d = IOMemoryDescriptor::withAddress(heap.data() + 7, 2 * page(), kIODirectionInOut);
	ASSERT_MADE(d);
	const control_stats before = stats();

	auto m = d->map();
	ASSERT_MADE(m);
	EXPECT_EQ(2 * page(), m->getLength());
	EXPECT_EQ(0, std::memcmp(bytes_of(m), heap.data() + 7, 2 * page()));
	bytes_of(m)[page()] ^= 0x5a;
	EXPECT_EQ(static_cast<std::uint8_t>(pattern(3 * page() + 5, 32)[page() + 7] ^ 0x5a),
		  heap[page() + 7]);
	heap[8] = 0xee;
	EXPECT_EQ(0xee, bytes_of(m)[1]);
	EXPECT_LT(before.bytes_pinned, stats().bytes_pinned);
	m.reset();
	expect_nothing_held(before);
}

TEST(UnpreparedMap, SubMapsWithoutPrepare)
{
	anon_pages mem(4 * page());
	ASSERT_NE(nullptr, mem.data());
	auto src = pattern(mem.size(), 33);
	std::memcpy(mem.data(), src.data(), src.size());
	auto g = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), mem.size(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(g);
	auto s = IOSubMemoryDescriptor::withSubRange(g.get(), page() + 8, 2 * page(),
						     kIODirectionInOut);
	ASSERT_MADE(s);
	const control_stats before = stats();

	auto m = s->map();
	ASSERT_MADE(m);
	EXPECT_EQ(8U, m->getVirtualAddress() % page());
	EXPECT_EQ(2 * page(), m->getLength());
	EXPECT_EQ(0, std::memcmp(bytes_of(m), src.data() + page() + 8, 2 * page()));
	bytes_of(m)[0] = 's';
	EXPECT_EQ('s', mem.data()[page() + 8]);
	mem.data()[3 * page() + 7] = 'e';
	EXPECT_EQ('e', bytes_of(m)[2 * page() - 1]);

	/* A window pins through its parent, the parent's four pages. */
	control_stats mapped = stats();
	EXPECT_EQ(before.bytes_pinned + 4 * page(), mapped.bytes_pinned);
	EXPECT_EQ(before.prepares, mapped.prepares);
	EXPECT_EQ(kIOPreparationIDUnprepared, s->getPreparationID());
	EXPECT_EQ(kIOPreparationIDUnprepared, g->getPreparationID());

	/* A read-only map of a window of the window, and the parent's own
	 * map, alongside. */
	auto inner = IOSubMemoryDescriptor::withSubRange(s.get(), 10, 20, kIODirectionOut);
	ASSERT_MADE(inner);
	auto ro = inner->map(kIOMapReadOnly);
	ASSERT_MADE(ro);
	EXPECT_EQ(0, std::memcmp(bytes_of(ro), src.data() + page() + 18, 20));
	auto whole = g->map();
	ASSERT_MADE(whole);
	EXPECT_EQ('s', bytes_of(whole)[page() + 8]);
	m.reset();
	whole.reset();
	EXPECT_EQ(before.bytes_pinned + 4 * page(), stats().bytes_pinned);
	ro.reset();
	expect_nothing_held(before);

	/* The parent goes first: the map holds the sub, which holds it. */
	m = s->map();
	ASSERT_MADE(m);
	s.reset();
	g.reset();
	bytes_of(m)[1] = 't';
	EXPECT_EQ('t', mem.data()[page() + 9]);
	m.reset();
	expect_nothing_held(before);
}

/* A multi and an interleaved descriptor over unpinned user memory too. */
TEST(UnpreparedMap, ComposedOfUserMemoryMapsWithoutPrepare)
{
	buffer_and_user_page two;
	ASSERT_TRUE(two.made());
	auto &mem = two.mem;
	auto &buffer = two.buffer;
	auto &general = two.general;
	const control_stats before = stats();
	IOMemoryDescriptor *pieces[] = { buffer.get(), general.get() };
	auto multi = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut, true);
	ASSERT_MADE(multi);
	auto m = multi->map();
	ASSERT_MADE(m);
	bytes_of(m)[page() + 1] = 'g';
	EXPECT_EQ('g', mem.data()[1]);
	m.reset();

	auto inter = IOInterleavedMemoryDescriptor::withCapacity(2, kIODirectionInOut);
	ASSERT_MADE(inter);
	ASSERT_TRUE(inter->setMemoryDescriptor(general.get(), 0, page()));
	m = inter->map();
	ASSERT_MADE(m);
	EXPECT_EQ('g', bytes_of(m)[1]);
	/* Busy while mapped, as when prepared. */
	EXPECT_FALSE(inter->setMemoryDescriptor(buffer.get(), 0, 1));
	EXPECT_RET(kIOReturnBusy, lastError());
	m.reset();
	EXPECT_TRUE(inter->setMemoryDescriptor(buffer.get(), 0, 1));
	expect_nothing_held(before);

	/* An empty one still has nothing to map. */
	inter->clearMemoryDescriptors();
	EXPECT_FALSE(inter->map());
	EXPECT_RET(kIOReturnNotReady, lastError());
	EXPECT_EQ(ENODATA, lastErrno());
	expect_nothing_held(before);
}

/*
 * The pin is for writing, so that a read-only map leaves the descriptor
 * as usable as before (writeBytes, prepare for the device to write); a
 * read-only map of memory the process can only read pins it for reading.
 */
TEST(UnpreparedMap, ReadOnly)
{
	anon_pages mem(page());
	ASSERT_NE(nullptr, mem.data());
	std::memset(mem.data(), 'r', mem.size());
	const control_stats before = stats();

	auto d = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), page(),
							     kIODirectionOut, nullptr);
	ASSERT_MADE(d);
	auto ro = d->map(kIOMapReadOnly);
	ASSERT_MADE(ro);
	EXPECT_TRUE(ro->getMapOptions() & kIOMapReadOnly);
	EXPECT_EQ('r', bytes_of(ro)[0]);
	std::uint8_t v = 'x';
	EXPECT_EQ(1U, d->writeBytes(0, &v, 1));
	EXPECT_EQ('x', bytes_of(ro)[0]);
	ASSERT_RET(kIOReturnSuccess, d->prepare(kIODirectionIn));
	EXPECT_RET(kIOReturnSuccess, d->complete());
	/* A writable map beside it: the memory is pinned for writing. */
	auto rw = d->map();
	ASSERT_MADE(rw);
	bytes_of(rw)[1] = 'y';
	EXPECT_EQ('y', bytes_of(ro)[1]);
	rw.reset();
	ro.reset();
	expect_nothing_held(before);

	/* Memory the process can only read. */
	ASSERT_EQ(0, ::mprotect(mem.data(), mem.size(), PROT_READ));
	/* A writable map cannot pin it: nothing is left pinned. */
	EXPECT_FALSE(d->map());
	EXPECT_RET(kIOReturnVMError, lastError());
	EXPECT_EQ(EFAULT, lastErrno());
	expect_nothing_held(before);
	ro = d->map(kIOMapReadOnly);
	ASSERT_MADE(ro);
	EXPECT_EQ('x', bytes_of(ro)[0]);
	EXPECT_LT(before.bytes_pinned, stats().bytes_pinned);
	/* Pinned for reading now: no writable map, no writes through the
	 * descriptor while so. */
	EXPECT_FALSE(d->map());
	EXPECT_RET(kIOReturnNotPrivileged, lastError());
	EXPECT_EQ(0U, d->writeBytes(0, &v, 1));
	EXPECT_RET(kIOReturnNotPrivileged, lastError());
	/* The mapping is read only. */
	ASSERT_EQ(0, ::mprotect(mem.data(), mem.size(), PROT_READ | PROT_WRITE));
	EXPECT_EQ(-1, ::mprotect(reinterpret_cast<void *>(ro->getVirtualAddress() & ~(page() - 1)),
				 page(), PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	ro.reset();
	expect_nothing_held(before);
}

/* Every way a map can fail after the library pinned the memory for it
 * leaves nothing pinned, prepared or mapped. */
TEST(UnpreparedMap, FailuresLeaveNothingPinned)
{
	const control_stats before = stats();
	void *p = ::mmap(nullptr, 3 * page(), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	auto *mem = static_cast<std::uint8_t *>(p);
	auto d = IOGeneralMemoryDescriptor::withAddressRange(
		reinterpret_cast<mach_vm_address_t>(mem), 2 * page(), kIODirectionInOut, nullptr);
	ASSERT_MADE(d);

	/* Past the length: refused once pinned. */
	EXPECT_FALSE(d->createMappingInTask(current_task(), 0, kIOMapAnywhere, 2 * page() + 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	EXPECT_EQ(ERANGE, lastErrno());
	EXPECT_FALSE(d->createMappingInTask(current_task(), 0, kIOMapAnywhere, page(),
					    page() + 1));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	expect_nothing_held(before);

	/* A fixed address taken already: the mmap() fails. */
	const auto taken = reinterpret_cast<mach_vm_address_t>(mem + 2 * page());
	EXPECT_FALSE(d->createMappingInTask(current_task(), taken, 0));
	EXPECT_RET(kIOReturnNoSpace, lastError());
	EXPECT_EQ(EEXIST, lastErrno());
	expect_nothing_held(before);
	/* A cache mode user memory cannot have. */
	EXPECT_FALSE(d->map(kIOMapInhibitCache));
	EXPECT_RET(kIOReturnBadArgument, lastError());
	expect_nothing_held(before);

	/* Memory the process no longer has cannot be pinned. */
	ASSERT_EQ(0, ::munmap(mem + page(), page()));
	EXPECT_FALSE(d->map());
	EXPECT_RET(kIOReturnVMError, lastError());
	EXPECT_EQ(EFAULT, lastErrno());
	expect_nothing_held(before);
	EXPECT_RET(kIOReturnBadArgument, d->complete());
	d.reset();
	ASSERT_EQ(0, ::munmap(mem, page()));
	ASSERT_EQ(0, ::munmap(mem + 2 * page(), page()));
}

/*
 * fork(): the child's copy of the map holds a pin of its own, so it keeps
 * showing the parent's memory after the parent unmapped; the last unmap,
 * the child's exit, unpins it.
 */
TEST(UnpreparedMap, ForkedCopyHoldsItsOwnPin)
{
	anon_pages mem(page());
	ASSERT_NE(nullptr, mem.data());
	std::memset(mem.data(), 'f', mem.size());
	auto d = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(d);
	const control_stats before = stats();
	auto m = d->map();
	ASSERT_MADE(m);
	volatile std::uint8_t *at = bytes_of(m);

	int to_child[2], to_parent[2];
	ASSERT_EQ(0, ::pipe(to_child));
	ASSERT_EQ(0, ::pipe(to_parent));
	pid_t pid = ::fork();
	ASSERT_NE(-1, pid);
	if (pid == 0) {
		char c = 0;
		int rc = 0;
		/* Wait for the parent's unmap. */
		if (::read(to_child[0], &c, 1) != 1)
			::_exit(1);
		if (at[0] != 'f')
			rc = 2;
		at[1] = 'c';
		if (::write(to_parent[1], &c, 1) != 1)
			rc = 3;
		if (::read(to_child[0], &c, 1) != 1)
			rc = 4;
		::_exit(rc);
	}
	m.reset();
	EXPECT_EQ(before.mappings + 1, stats().mappings);
	EXPECT_EQ(before.bytes_pinned + page(), stats().bytes_pinned);
	char c = 'g';
	ASSERT_EQ(1, ::write(to_child[1], &c, 1));
	ASSERT_EQ(1, ::read(to_parent[0], &c, 1));
	/* The child wrote the parent's pinned page. */
	EXPECT_EQ('c', mem.data()[1]);
	ASSERT_EQ(1, ::write(to_child[1], &c, 1));
	int status = 0;
	ASSERT_EQ(pid, ::waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	for (int fd : { to_child[0], to_child[1], to_parent[0], to_parent[1] })
		::close(fd);
	expect_nothing_held(before);
}

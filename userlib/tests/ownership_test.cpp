// SPDX-License-Identifier: GPL-2.0
/*
 * Ownership: objects outliving each other in every order.  A descriptor
 * holds its task and what it is built from; a map holds its descriptor,
 * as IOKit's does (getMemoryDescriptor()); destroying a descriptor
 * releases its handle.
 */
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iobmd/control.hpp>

#include "helpers.hpp"

using namespace iobmd;
using namespace iobmd_test;

TEST(Ownership, DestroyingADescriptorReleasesItsHandle)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 100);
	ASSERT_MADE(b);
	std::uint32_t handle = b->getHandle();
	EXPECT_EQ(0, handle_state(*t, handle));
	b.reset();
	EXPECT_EQ(ENOENT, handle_state(*t, handle));
}

TEST(Ownership, MapOutlivesDescriptor)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 2 * page());
	ASSERT_MADE(b);
	auto src = pattern(2 * page(), 20);
	ASSERT_EQ(src.size(), b->writeBytes(0, src.data(), src.size()));
	auto m = b->map();
	ASSERT_MADE(m);
	std::uint32_t handle = b->getHandle();

	/* The map holds the descriptor, and so its handle. */
	b.reset();
	EXPECT_EQ(0, handle_state(*t, handle));
	auto *p = reinterpret_cast<std::uint8_t *>(m->getVirtualAddress());
	EXPECT_EQ(0, std::memcmp(p, src.data(), src.size()));
	p[0] ^= 0xff;
	EXPECT_EQ(static_cast<std::uint8_t>(src[0] ^ 0xff), p[0]);
	EXPECT_RET(kIOReturnSuccess, m->unmap());
	EXPECT_EQ(0, handle_state(*t, handle));
	m.reset();
	EXPECT_EQ(ENOENT, handle_state(*t, handle));
}

TEST(Ownership, MapOutlivesDescriptorAndTask)
{
	OSSharedPtr<IOMemoryMap> m;
	int fd = -1;
	auto src = pattern(page(), 21);
	{
		task_t t = task::open();
		ASSERT_MADE(t);
		fd = t->fd();
		auto b = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, page());
		ASSERT_MADE(b);
		ASSERT_EQ(page(), b->writeBytes(0, src.data(), page()));
		m = b->createMappingInTask(t, 0, kIOMapAnywhere);
		ASSERT_MADE(m);
	}
	/* The map holds the descriptor, which holds the task's file. */
	EXPECT_NE(-1, ::fcntl(fd, F_GETFD));
	auto *p = reinterpret_cast<std::uint8_t *>(m->getVirtualAddress());
	EXPECT_EQ(0, std::memcmp(p, src.data(), page()));
	p[page() - 1] = 0x17;
	EXPECT_EQ(0x17, p[page() - 1]);
	m.reset();
	EXPECT_EQ(-1, ::fcntl(fd, F_GETFD));
}

TEST(Ownership, DescriptorOutlivesTaskObject)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	int fd = t->fd();
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 100);
	ASSERT_MADE(b);
	t.reset();

	/* The descriptor keeps the file open and working. */
	EXPECT_NE(-1, ::fcntl(fd, F_GETFD));
	EXPECT_EQ(fd, b->getTask()->fd());
	EXPECT_EQ(100U, b->getLength());
	std::uint8_t v = 3;
	EXPECT_EQ(1U, b->writeBytes(99, &v, 1));
	auto sub = IOSubMemoryDescriptor::withSubRange(b.get(), 90, 10, kIODirectionInOut);
	ASSERT_MADE(sub);
	b.reset();
	v = 0;
	EXPECT_EQ(1U, sub->readBytes(9, &v, 1));
	EXPECT_EQ(3, v);
	sub.reset();
	/* The last object gone, the file closes. */
	EXPECT_EQ(-1, ::fcntl(fd, F_GETFD));
}

TEST(Ownership, SubOutlivesParent)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	auto parent = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 100);
	ASSERT_MADE(parent);
	std::uint8_t v = 0x44;
	ASSERT_EQ(1U, parent->writeBytes(50, &v, 1));
	std::uint32_t parent_handle = parent->getHandle();
	auto sub = IOSubMemoryDescriptor::withSubRange(parent.get(), 50, 10, kIODirectionInOut);
	ASSERT_MADE(sub);

	/* The sub holds the parent (and its handle) for its life. */
	parent.reset();
	EXPECT_EQ(0, handle_state(*t, parent_handle));
	v = 0;
	EXPECT_EQ(1U, sub->readBytes(0, &v, 1));
	EXPECT_EQ(0x44, v);
	auto m = sub->map();
	ASSERT_MADE(m);
	EXPECT_EQ(0x44, *reinterpret_cast<std::uint8_t *>(m->getVirtualAddress()));

	/* The map holds the sub, which holds the parent. */
	std::uint32_t sub_handle = sub->getHandle();
	sub.reset();
	EXPECT_EQ(0, handle_state(*t, sub_handle));
	EXPECT_EQ(0, handle_state(*t, parent_handle));
	EXPECT_EQ(0x44, *reinterpret_cast<std::uint8_t *>(m->getVirtualAddress()));
	m.reset();
	EXPECT_EQ(ENOENT, handle_state(*t, sub_handle));
	EXPECT_EQ(ENOENT, handle_state(*t, parent_handle));
}

TEST(Ownership, ParentOutlivesSub)
{
	auto parent = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(parent);
	auto sub = IOSubMemoryDescriptor::withSubRange(parent.get(), 0, 10, kIODirectionInOut);
	ASSERT_MADE(sub);
	sub.reset();
	EXPECT_EQ(100U, parent->getLength());
	EXPECT_EQ(0, handle_state(*parent->getTask(), parent->getHandle()));
}

TEST(Ownership, MultiOutlivesPieces)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	auto a = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 10);
	auto b = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 10);
	ASSERT_MADE(a);
	ASSERT_MADE(b);
	std::uint8_t v = 0x55;
	ASSERT_EQ(1U, b->writeBytes(0, &v, 1));
	std::uint32_t ha = a->getHandle(), hb = b->getHandle();
	IOMemoryDescriptor *pieces[] = { a.get(), b.get() };
	auto m = IOMultiMemoryDescriptor::withDescriptors(pieces, 2, kIODirectionInOut);
	ASSERT_MADE(m);
	a.reset();
	b.reset();
	EXPECT_EQ(0, handle_state(*t, ha));
	EXPECT_EQ(0, handle_state(*t, hb));
	v = 0;
	EXPECT_EQ(1U, m->readBytes(10, &v, 1));
	EXPECT_EQ(0x55, v);
	m.reset();
	EXPECT_EQ(ENOENT, handle_state(*t, ha));
	EXPECT_EQ(ENOENT, handle_state(*t, hb));
}

TEST(Ownership, InterleavedHoldsPiecesUntilCleared)
{
	task_t t = task::open();
	ASSERT_MADE(t);
	auto a = IOBufferMemoryDescriptor::inTaskWithOptions(t, kIODirectionInOut, 10);
	ASSERT_MADE(a);
	std::uint32_t ha = a->getHandle();
	auto d = IOInterleavedMemoryDescriptor::withCapacity(2, kIODirectionInOut, t);
	ASSERT_MADE(d);
	ASSERT_TRUE(d->setMemoryDescriptor(a.get(), 0, 10));
	a.reset();
	EXPECT_EQ(0, handle_state(*t, ha));
	EXPECT_EQ(10U, d->getLength());
	d->clearMemoryDescriptors();
	EXPECT_EQ(ENOENT, handle_state(*t, ha));
}

TEST(Ownership, GetBytesNoCopyLivesWithTheDescriptor)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(page(), kIODirectionInOut);
	ASSERT_MADE(b);
	void *p = b->getBytesNoCopy();
	ASSERT_NE(nullptr, p);
	EXPECT_TRUE(is_mapped(p, page()));
	/* A map of its own does not disturb it. */
	b->map().reset();
	EXPECT_TRUE(is_mapped(p, page()));
	EXPECT_EQ(p, b->getBytesNoCopy());
	b.reset();
	EXPECT_FALSE(is_mapped(p, page()));
}

TEST(Ownership, PreparedDescriptorsMayBeDestroyed)
{
	/* Releasing a handle completes what it left prepared, however
	 * deep; a descriptor built on it keeps it, prepared, until it goes. */
	control c;
	control_stats before, alone, both, one, after;
	ASSERT_FALSE(c.open());
	ASSERT_FALSE(c.get_stats(before));
	anon_pages mem(2 * page());
	ASSERT_NE(nullptr, mem.data());

	auto h = IOGeneralMemoryDescriptor::withAddressRange(mem.address() + page(), page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(h);
	ASSERT_RET(kIOReturnSuccess, h->prepare());
	ASSERT_RET(kIOReturnSuccess, h->prepare());
	ASSERT_FALSE(c.get_stats(alone));
	EXPECT_EQ(before.prepares + 1, alone.prepares);
	EXPECT_EQ(before.bytes_pinned + page(), alone.bytes_pinned);
	h.reset();
	ASSERT_FALSE(c.get_stats(after));
	EXPECT_EQ(before.prepares, after.prepares);
	EXPECT_EQ(before.bytes_pinned, after.bytes_pinned);
	EXPECT_EQ(before.generals, after.generals);

	auto g = IOGeneralMemoryDescriptor::withAddressRange(mem.address(), page(),
							     kIODirectionInOut, nullptr);
	ASSERT_MADE(g);
	ASSERT_RET(kIOReturnSuccess, g->prepare());
	ASSERT_RET(kIOReturnSuccess, g->prepare());
	auto sub = IOSubMemoryDescriptor::withSubRange(g.get(), 0, 10, kIODirectionInOut);
	ASSERT_MADE(sub);
	ASSERT_RET(kIOReturnSuccess, sub->prepare());
	ASSERT_FALSE(c.get_stats(both));
	EXPECT_EQ(before.prepares + 2, both.prepares);
	EXPECT_EQ(before.bytes_pinned + page(), both.bytes_pinned);
	g.reset();
	/* The sub holds the general and its pin. */
	ASSERT_FALSE(c.get_stats(one));
	EXPECT_EQ(before.generals + 1, one.generals);
	EXPECT_EQ(before.bytes_pinned + page(), one.bytes_pinned);
	EXPECT_NE(0U, sub->getPhysicalSegment(0, nullptr));
	sub.reset();
	ASSERT_FALSE(c.get_stats(after));
	EXPECT_EQ(before.prepares, after.prepares);
	EXPECT_EQ(before.bytes_pinned, after.bytes_pinned);
	EXPECT_EQ(before.generals, after.generals);
	EXPECT_EQ(before.subs, after.subs);
}

TEST(Ownership, ForkedChildLeavesTheParentsHandles)
{
	auto b = IOBufferMemoryDescriptor::withCapacity(100, kIODirectionInOut);
	ASSERT_MADE(b);
	std::uint32_t handle = b->getHandle();
	task_t parent_task = b->getTask();

	pid_t pid = ::fork();
	ASSERT_NE(-1, pid);
	if (pid == 0) {
		/* The parent's objects do nothing for the child, and say so. */
		std::uint8_t byte = 1;
		int rc = 0;
		if (b->readBytes(0, &byte, 1) != 0 ||
		    lastError() != kIOReturnNotPermitted || lastErrno() != ECHILD)
			rc = 3;
		b->setLength(10);
		if (lastError() != kIOReturnNotPermitted)
			rc = 4;
		if (b->prepare() != kIOReturnNotPermitted || b->map())
			rc = 5;
		if (IOSubMemoryDescriptor::withSubRange(b.get(), 0, 10, kIODirectionIn))
			rc = 6;
		/* The child's copy goes; the parent's handle stays. */
		b.reset();
		/* The child gets a default task of its own. */
		task_t mine = current_task();
		if (!mine || mine == parent_task || !mine->isOwner() ||
		    parent_task->isOwner())
			rc = 1;
		auto c = IOBufferMemoryDescriptor::withCapacity(10, kIODirectionInOut);
		if (!c || c->getTask() != mine)
			rc = 2;
		::_exit(rc);
	}
	int status = 0;
	ASSERT_EQ(pid, ::waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, handle_state(*b->getTask(), handle));
	EXPECT_EQ(100U, b->getLength());
}

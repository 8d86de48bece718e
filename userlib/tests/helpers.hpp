/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the C++ library's tests: IOReturn printing, capability drops,
 * raw looks at handles, patterns, and a device-memory range to test
 * IODeviceMemory on.
 */
#ifndef IOBMD_TESTS_HELPERS_HPP
#define IOBMD_TESTS_HELPERS_HPP

#include <cstdint>
#include <ostream>
#include <vector>

#include <gtest/gtest.h>
#include <iobmd/iobmd.hpp>

namespace iobmd_test {

using namespace iobmd;

/* An IOReturn that prints as its name's description and hex value. */
struct ret {
	IOReturn value;
	bool operator==(const ret &) const = default;
};

inline void PrintTo(const ret &r, std::ostream *os)
{
	*os << stringFromReturn(r.value) << " (0x" << std::hex
	    << static_cast<std::uint32_t>(r.value) << std::dec << ")";
}

/* The page size of this machine. */
std::uint64_t page();

/* While it lives, the calling thread lacks capability @cap (effective). */
class without_capability {
public:
	explicit without_capability(int cap);
	~without_capability();
	without_capability(const without_capability &) = delete;
	without_capability &operator=(const without_capability &) = delete;

private:
	void set(bool on);
	int cap_;
};

/* IOBMD_GET_INFO of a handle in a task: 0 or the errno (ENOENT: gone). */
int handle_state(const task &t, std::uint32_t handle);

/* @n bytes of a pattern that depends on @seed. */
std::vector<std::uint8_t> pattern(std::size_t n, unsigned seed);

/* A RAM-backed MMIO range of this machine (the standard VGA's framebuffer,
 * BAR 0, or else the upper half of ivshmem's BAR 2); length 0 when there
 * is none. */
struct mmio_range {
	std::uint64_t phys = 0;
	std::uint64_t length = 0;
};
mmio_range find_device_memory();

/* A fresh page-aligned anonymous mapping, unmapped on destruction. */
class anon_pages {
public:
	explicit anon_pages(std::size_t bytes);
	~anon_pages();
	anon_pages(const anon_pages &) = delete;
	anon_pages &operator=(const anon_pages &) = delete;
	std::uint8_t *data() const { return p_; }
	std::size_t size() const { return n_; }
	mach_vm_address_t address() const
	{
		return reinterpret_cast<mach_vm_address_t>(p_);
	}

private:
	std::uint8_t *p_;
	std::size_t n_;
};

/*
 * A page-sized buffer and a general descriptor over a fresh page of this
 * process (nothing prepared): the two kinds of piece a composed
 * descriptor mixes.  Check made() before use.
 */
struct buffer_and_user_page {
	buffer_and_user_page();
	bool made() const { return mem.data() && buffer && general; }

	anon_pages mem;
	OSSharedPtr<IOBufferMemoryDescriptor> buffer;
	OSSharedPtr<IOGeneralMemoryDescriptor> general;
};

/* The segments of a whole descriptor, by getPhysicalSegment(); physical
 * addresses unless @options lacks kIOMemoryMapperNone. */
struct segment {
	IOPhysicalAddress address;
	IOByteCount length;
};
std::vector<segment> segments_of(IOMemoryDescriptor &d,
				 IOOptionBits options = kIOMemoryMapperNone);

/* Whether [p, p + n) is mapped in this process. */
bool is_mapped(const void *p, std::size_t n);

/* Whether the kernel has RAM in ZONE_DMA32 (/proc/zoneinfo); where it has
 * none (arm64 on QEMU's virt), RAM below 4 GiB is ZONE_DMA's. */
bool zone_dma32_present();

/* A buffer of @size bytes made with no physical mask (anywhere in RAM)
 * that has memory at or above the physical address @limit; null when 16
 * tries gave none. */
OSSharedPtr<IOBufferMemoryDescriptor> buffer_reaching(std::uint64_t size,
						       std::uint64_t limit);

} // namespace iobmd_test

/* (DriverKit's calls return kern_return_t: the same values.) */
#define EXPECT_RET(expected, actual) \
	EXPECT_EQ(::iobmd_test::ret{expected}, \
		  ::iobmd_test::ret{static_cast<::iobmd::IOReturn>(actual)})
#define ASSERT_RET(expected, actual) \
	ASSERT_EQ(::iobmd_test::ret{expected}, \
		  ::iobmd_test::ret{static_cast<::iobmd::IOReturn>(actual)})
/* A factory's result, with the reason when it is null. */
#define ASSERT_MADE(ptr) \
	ASSERT_TRUE(ptr) << "lastError: " << ::iobmd::stringFromReturn(::iobmd::lastError()) \
			 << ", errno " << ::iobmd::lastErrno()

#endif /* IOBMD_TESTS_HELPERS_HPP */

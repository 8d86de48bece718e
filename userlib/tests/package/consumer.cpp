// SPDX-License-Identifier: GPL-2.0
/*
 * Built against the installed iobmd package (pkg-config and CMake).  It
 * runs where /dev/iobmd may not exist: it checks that the library loads and
 * answers, with a buffer when the module is there, else with the reason.
 */
#include <cstdio>

/* Every installed header, so that the consumer's strict warnings see them all. */
#include <iobmd/iobmd.h>
#include <iobmd/iobmd.hpp>
#include <iobmd/modern.hpp>

int main()
{
	using namespace iobmd;

	auto buffer = IOBufferMemoryDescriptor::withCapacity(4096, kIODirectionInOut);
	if (buffer) {
		std::printf("consumer: a %llu-byte buffer\n",
			    static_cast<unsigned long long>(buffer->getCapacity()));
		return 0;
	}
	/* No module here: the library still reports why. */
	IOReturn ret = lastError();
	std::printf("consumer: no buffer: %s (0x%08x, errno %d)\n",
		    stringFromReturn(ret), static_cast<unsigned>(ret), lastErrno());
	return ret == kIOReturnNotFound || ret == kIOReturnNotPrivileged ? 0 : 1;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd selftests: the physical pages behind the caller's memory, from
 * /proc/self/pagemap (root only), to check what the module reports.
 */
#ifndef _IOBMD_PAGEMAP_H
#define _IOBMD_PAGEMAP_H

#include <fcntl.h>
#include <unistd.h>

#include "iobmd_utils.h"

/* The physical address of the byte at @addr, from /proc/self/pagemap. */
static inline __u64 pagemap_phys(const void *addr)
{
	__u64 ent = 0, va = (uintptr_t)addr;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, &ent, sizeof(ent), (va / PAGE_SIZE) * sizeof(ent));
	close(fd);
	if (n != sizeof(ent) || !(ent >> 63))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * PAGE_SIZE + va % PAGE_SIZE;
}

/*
 * Checks @segs against the physical addresses of the user bytes they
 * describe (@ranges), page by page.
 */
static inline void check_segments_match(struct __test_metadata *_metadata,
				 const struct iobmd_segment *segs, __u32 nr,
				 const struct iobmd_range *ranges,
				 __u32 count)
{
	__u32 s = 0, r;
	__u64 used = 0;	/* bytes of segs[s] consumed */

	for (r = 0; r != count; r++) {
		__u64 done = 0;

		while (done < ranges[r].length) {
			const __u8 *va = (const __u8 *)(uintptr_t)
				(ranges[r].address + done);
			__u64 in_page = PAGE_SIZE - (uintptr_t)va % PAGE_SIZE;
			__u64 n = ranges[r].length - done;
			__u64 phys = pagemap_phys(va);

			if (n > in_page)
				n = in_page;
			ASSERT_NE(0, phys);
			ASSERT_GT(nr, s);
			ASSERT_EQ(segs[s].addr + used, phys)
				TH_LOG("range %u byte %llu", r, done);
			ASSERT_LE(used + n, segs[s].len);
			used += n;
			done += n;
			if (used == segs[s].len) {
				s++;
				used = 0;
			}
		}
	}
	ASSERT_EQ(nr, s);
}

#endif

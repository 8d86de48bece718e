/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iobmd selftests: what the huge-mapping tests look at (the THP setting,
 * the smaps of a mapping, this process's minor faults), and a mapping
 * placed off 2 MiB on purpose.
 */
#ifndef _IOBMD_HUGEMAPS_H
#define _IOBMD_HUGEMAPS_H

#include <sys/resource.h>

#include "iobmd_utils.h"

/* A field of smaps' block for the mapping at @addr, in kB; -1: none. */
static inline long smaps_kb(const void *addr, const char *field)
{
	unsigned long start, end, a = (unsigned long)addr;
	char line[256];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start <= a && a < end;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field)) &&
		    line[strlen(field)] == ':') {
			kb = strtol(line + strlen(field) + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/* Transparent huge pages are not "never". */
static inline bool thp_enabled(void)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return !strstr(line, "[never]");
}

/*
 * Whether buffers' 2 MiB chunks are mapped by PMD here: the kernel maps
 * folios by PMD (vmf_insert_folio_pmd(), 6.15 on), transparent huge
 * pages are not "never", and a PMD maps 2 MiB (4 KiB pages).
 */
static inline bool buffers_map_by_pmd(void)
{
	return iobmd_kernel_at_least(6, 15) && thp_enabled() &&
	       PAGE_SIZE == 4096;
}

/* Minor faults of this process so far. */
static inline long minor_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_minflt;
}

/*
 * mmap() of @len bytes of @fd at @offset, placed @skew bytes past a
 * boundary of @align bytes, a power of two (MAP_FIXED inside a
 * reservation of its own).
 */
static inline __u8 *map_skewed_from(int fd, size_t len, off_t offset,
				    size_t align, size_t skew)
{
	size_t room = len + 2 * align;
	__u8 *area, *p;

	area = mmap(NULL, room, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	p = (__u8 *)(((unsigned long)area + align - 1) & ~(align - 1)) + skew;
	if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 offset) == MAP_FAILED) {
		munmap(area, room);
		return MAP_FAILED;
	}
	/* Only the mapping stays. */
	if (p > area)
		munmap(area, p - area);
	munmap(p + len, area + room - (p + len));
	return p;
}

/* The same, @skew bytes past a 2 MiB boundary. */
static inline __u8 *map_skewed(int fd, size_t len, off_t offset, size_t skew)
{
	return map_skewed_from(fd, len, offset, SZ_2M, skew);
}

#endif /* _IOBMD_HUGEMAPS_H */

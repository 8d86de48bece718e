/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's counters (/sys/kernel/debug/iobmd/stats), for tests that
 * prove a failed or finished operation left nothing behind.
 */
#ifndef __SELFTEST_IOBMD_STATS_H
#define __SELFTEST_IOBMD_STATS_H

#include <stdio.h>
#include <string.h>

#define IOBMD_STATS_PATH "/sys/kernel/debug/iobmd/stats"

/* What the module holds; alloc_failures only ever grows, so it is apart. */
enum {
	IOBMD_STAT_DESCRIPTORS,
	IOBMD_STAT_PAGE_BYTES,
	IOBMD_STAT_COHERENT_BYTES,
	IOBMD_STAT_PINNED_BYTES,
	IOBMD_STAT_DEVICE_BYTES,
	IOBMD_STAT_MAPPINGS,
	IOBMD_NR_STATS,
};

static const char *const iobmd_stat_names[IOBMD_NR_STATS] = {
	"descriptors", "page_bytes", "coherent_bytes", "pinned_bytes",
	"device_bytes", "mappings",
};

struct iobmd_test_stats {
	long long held[IOBMD_NR_STATS];
	long long alloc_failures;
};

/* Reads the counters; returns 0, or -1 when the file or a counter is missing. */
static inline int iobmd_read_stats(struct iobmd_test_stats *st)
{
	char name[64];
	long long v;
	int found = 0, i;
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(IOBMD_STATS_PATH, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "alloc_failures")) {
			st->alloc_failures = v;
			continue;
		}
		for (i = 0; i < IOBMD_NR_STATS; i++) {
			if (!strcmp(name, iobmd_stat_names[i])) {
				st->held[i] = v;
				found |= 1 << i;
			}
		}
	}
	fclose(f);
	return found == (1 << IOBMD_NR_STATS) - 1 ? 0 : -1;
}

/* "name a->b" for each held counter that differs, or "" when none does. */
static inline const char *iobmd_stats_diff(const struct iobmd_test_stats *a,
					   const struct iobmd_test_stats *b)
{
	static char buf[512];
	size_t n = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < IOBMD_NR_STATS; i++) {
		if (a->held[i] == b->held[i] || n >= sizeof(buf))
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %lld->%lld",
			      n ? ", " : "", iobmd_stat_names[i], a->held[i],
			      b->held[i]);
	}
	return buf;
}

#endif /* __SELFTEST_IOBMD_STATS_H */

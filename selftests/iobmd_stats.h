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
#define IOBMD_MAX_STATS 32

/*
 * What the module holds: every "name value" line of the file but
 * alloc_failures, which only ever grows.  All of them are back to zero
 * once nothing is held.
 */
struct iobmd_test_stats {
	int n;
	char name[IOBMD_MAX_STATS][32];
	long long held[IOBMD_MAX_STATS];
	long long alloc_failures;
};

/* Reads the counters; returns 0, or -1 when the file cannot be read. */
static inline int iobmd_read_stats(struct iobmd_test_stats *st)
{
	char name[32];
	long long v;
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(IOBMD_STATS_PATH, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%31s %lld", name, &v) == 2) {
		if (!strcmp(name, "alloc_failures")) {
			st->alloc_failures = v;
		} else if (st->n < IOBMD_MAX_STATS) {
			strcpy(st->name[st->n], name);
			st->held[st->n++] = v;
		}
	}
	fclose(f);
	return st->n ? 0 : -1;
}

/* "name a->b" for each counter that differs, or "" when none does. */
static inline const char *iobmd_stats_diff(const struct iobmd_test_stats *a,
					   const struct iobmd_test_stats *b)
{
	static char buf[512];
	size_t n = 0;
	int i;

	buf[0] = 0;
	if (a->n != b->n)
		return "the set of counters changed";
	for (i = 0; i < a->n; i++) {
		if (a->held[i] == b->held[i] || n >= sizeof(buf))
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %lld->%lld",
			      n ? ", " : "", a->name[i], a->held[i],
			      b->held[i]);
	}
	return buf;
}

/*
 * "" when the counters are as @found again, else what differs (see
 * iobmd_stats_diff()): for a fixture that reads them at setup and checks
 * them after each command it issued, once its handles are released, and
 * at teardown once its file is closed.  A reference a command forgot to
 * drop keeps a descriptor counted here.
 */
static inline const char *
iobmd_stats_changed(const struct iobmd_test_stats *found)
{
	struct iobmd_test_stats now;

	if (iobmd_read_stats(&now))
		return "cannot read " IOBMD_STATS_PATH;
	return iobmd_stats_diff(found, &now);
}

#endif /* __SELFTEST_IOBMD_STATS_H */

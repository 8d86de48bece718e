// SPDX-License-Identifier: GPL-2.0
/*
 * Loads selftests/kapi/iobmd_kapi.ko, which exercises iobmd's in-kernel
 * API as a driver would while it loads, and reports its results: each of
 * its TAP lines must be "ok", then the module unloads and iobmd holds
 * nothing it created.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iobmd_utils.h"

#define KAPI_MODULE	"/lib/modules/iobmd_kapi.ko"
#define KAPI_RESULTS	"/sys/kernel/debug/iobmd_kapi/results"
#ifdef __aarch64__
#define KAPI_TESTS	75	/* no check of the kernel's vmap cache mode */
#else
#define KAPI_TESTS	81
#endif

static long held_descriptors(void)
{
	FILE *f = fopen("/sys/kernel/debug/iobmd/stats", "r");
	char name[64];
	long long v;
	long ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, "descriptors"))
			ret = v;
	fclose(f);
	return ret;
}

TEST(kapi)
{
	ASSERT_EQ(0, held_descriptors());
	if (access(KAPI_MODULE, F_OK))
		SKIP(return, IOBMD_NO_KAPI_MODULE, KAPI_MODULE);
	/* It checks that a complete without a prepare is refused: warned. */
	printf("@@IOBMD@@ expect-warning iobmd_desc_complete\n");
	fflush(stdout);
	iobmd_load_tap_module(KAPI_MODULE, KAPI_RESULTS, KAPI_TESTS);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_kapi", 0));
	/* Everything the driver created or exported is gone. */
	EXPECT_EQ(0, held_descriptors());
	EXPECT_EQ(0, iobmd_stat("exports"));
}

TEST_HARNESS_MAIN

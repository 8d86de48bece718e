// SPDX-License-Identifier: GPL-2.0
/*
 * Where another exporter's memory lies, when the DMA API does not say.
 *
 * iobmd learns the physical pages of an imported dma-buf from an
 * attachment of its own device, which has no IOMMU: there the DMA
 * addresses of the exporter's table are the pages' physical addresses.
 * Booted with swiotlb=force (scripts/check.sh runs iobmd_bounce_* so,
 * beside the usual run) they are bounce slots instead, memory every
 * device's mappings share, and iobmd must refuse to name or map them:
 * physical segments and PFN mappings of the import are EOPNOTSUPP, and
 * nothing of the exporter's memory changes.  Without swiotlb=force the
 * same calls work and name the exporter's own pages, as pagemap shows
 * them in the exporter's mapping.
 *
 * The exporter is selftests/kapi/iobmd_exporter.ko (its pages inserted
 * into its mmap as pages, so that pagemap sees them).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iobmd_utils.h"
#include "iobmd_exporter.h"
#include "iobmd_pagemap.h"

#define LEN	(EXPORTER_PAGES * PAGE_SIZE)
#define SEED	47

IOBMD_EXPORTER_FIXTURE(bounce)

/*
 * An import and a multi of one page of iobmd's and the import: their
 * physical segments and the multi's mapping are the exporter's pages, or
 * refused (EOPNOTSUPP) when every DMA mapping bounces.
 */
TEST_F(bounce, import_named_only_where_it_lies)
{
	const bool forced = iobmd_swiotlb_forced();
	struct iobmd_segment *segs;
	struct iobmd_range range;
	__u32 b, h, m, n, i, pieces[2];
	__u64 cookie;

	TH_LOG("swiotlb=force: %s", forced ? "yes" : "no");
	self->dfd = exporter_new(EXPORTER_MAPPABLE);
	ASSERT_LE(0, self->dfd) TH_LOG("%s", strerror(-self->dfd));
	self->ownlen = LEN;
	self->own = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dfd, 0);
	ASSERT_NE(MAP_FAILED, self->own) TH_LOG("%s", strerror(errno));
	iobmd_fill_pattern(self->own, LEN, 0, SEED);
	range.address = (uintptr_t)self->own;
	range.length = LEN;

	test_ioctl_import(self->dfd, IOBMD_DIRECTION_INOUT, &h);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	pieces[0] = b;
	pieces[1] = h;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);

	if (forced) {
		EXPECT_ERRNO(EOPNOTSUPP, _test_get_all_segments(self->fd, h, 0,
								0, &segs, &n));
		EXPECT_ERRNO(EOPNOTSUPP, _test_get_all_segments(self->fd, m,
								PAGE_SIZE, 0,
								&segs, &n));
		EXPECT_EQ(EOPNOTSUPP,
			  iobmd_map_refusal(self->fd, m, 0, 0, 0,
					    PAGE_SIZE + LEN, PROT_READ));
	} else {
		test_get_all_segments(h, 0, 0, &segs, &n);
		check_segments_match(_metadata, segs, n, &range, 1);
		free(segs);
		test_ioctl_map(m, 0, 0, 0, &cookie);
		self->plen = PAGE_SIZE + LEN;
		self->p = iobmd_mmap(self->fd, cookie, self->plen, PROT_READ);
		ASSERT_NE(MAP_FAILED, self->p) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(LEN, iobmd_check_pattern((__u8 *)self->p + PAGE_SIZE,
						   LEN, 0, SEED));
		munmap(self->p, self->plen);
		self->p = MAP_FAILED;
	}
	/* What was refused changed nothing of the exporter's. */
	EXPECT_EQ(LEN, iobmd_check_pattern(self->own, LEN, 0, SEED));
	for (i = 0; i < 2; i++)
		test_ioctl_release(pieces[i]);
	test_ioctl_release(m);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * An export's mappings for an importer's device, when every DMA mapping
 * would bounce.
 *
 * Booted with swiotlb=force (scripts/check.sh runs iobmd_bounce_* so,
 * beside the usual run), each of an importer's mappings would take its
 * bytes' worth of the bounce pool, which every device shares: any user
 * could have vgem import an export (PRIME) from several of its files,
 * or one export of a multi that repeats a buffer, and leave the pool
 * empty for everyone, with nothing of it charged.  iobmd refuses such a
 * mapping (EOPNOTSUPP), and the pool's use does not change while vgem
 * holds the import.  (vgem maps an import at once on 6.1 and 6.12, where
 * the import fails; 7.x's maps it only at a use that needs the device,
 * and the import works with nothing mapped.)  Without swiotlb=force the
 * same imports work.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"

#define LEN		(64 * PAGE_SIZE)
#define REPEATS		4
#define IO_TLB_USED	"/sys/kernel/debug/swiotlb/io_tlb_used"

/* Bounce slots in use, or -1 where the kernel does not say. */
static long long io_tlb_used(void)
{
	char buf[32];

	return iobmd_read_file(IO_TLB_USED, buf, sizeof(buf)) ? -1 :
								atoll(buf);
}

FIXTURE(bounce)
{
	int fd, card;
};

FIXTURE_SETUP(bounce)
{
	self->card = -1;
	IOBMD_NEED_VGEM();
	iobmd_fixture_open(self->fd);
	self->card = vgem_open();
	ASSERT_LE(0, self->card) TH_LOG("no vgem card: %s",
					 strerror(-self->card));
}

FIXTURE_TEARDOWN(bounce)
{
	if (self->card >= 0)
		close(self->card);
	if (self->fd != -1)
		close(self->fd);
}

/*
 * A buffer, and a multi that repeats it: vgem's PRIME import maps each
 * export for vgem's device at once.
 */
TEST_F(bounce, export_mapped_only_where_nothing_bounces)
{
	const bool forced = iobmd_swiotlb_forced();
	long long used = io_tlb_used();
	__u32 b, m, gem, pieces[REPEATS];
	int dfd[2], i, ret;

	TH_LOG("swiotlb=force: %s; bounce slots in use: %lld",
	       forced ? "yes" : "no", used);
	/* Where every mapping bounces, the pool's use is what is checked. */
	if (forced)
		ASSERT_LE(0, used) TH_LOG("no %s", IO_TLB_USED);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, LEN, 0, &b);
	for (i = 0; i < REPEATS; i++)
		pieces[i] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, REPEATS, &m);
	ASSERT_EQ(0, _test_export(self->fd, b, 0, 0, O_RDWR, &dfd[0]));
	ASSERT_EQ(0, _test_export(self->fd, m, 0, 0, O_RDWR, &dfd[1]));

	for (i = 0; i < 2; i++) {
		gem = 0;
		ret = vgem_import(self->card, dfd[i], &gem);
		if (forced) {
			EXPECT_TRUE(ret == -EOPNOTSUPP || !ret)
				TH_LOG("export %d: %s", i, strerror(-ret));
			/* Refused, or held by vgem with nothing mapped. */
			EXPECT_EQ(used, io_tlb_used()) TH_LOG("export %d", i);
		} else {
			EXPECT_EQ(0, ret) TH_LOG("export %d: %s", i,
						 strerror(-ret));
		}
		if (!ret)
			EXPECT_EQ(0, vgem_close_handle(self->card, gem));
	}

	close(dfd[1]);
	close(dfd[0]);
	test_ioctl_release(m);
	test_ioctl_release(b);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * The examples of userlib/examples, run as tests: each is compiled in with
 * its main() renamed (see userlib/userlib.mk).
 */
#include "helpers.hpp"

int iobmd_example_dma_buffer();
int iobmd_example_dmabuf_share();
int iobmd_example_multi_map();

TEST(Examples, DmaBuffer)
{
	EXPECT_EQ(0, iobmd_example_dma_buffer());
}

TEST(Examples, DmaBufShare)
{
	EXPECT_EQ(0, iobmd_example_dmabuf_share());
}

TEST(Examples, MultiMap)
{
	EXPECT_EQ(0, iobmd_example_multi_map());
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_vfio_edu_examples_test - the two edu example drivers
 * (userlib/examples/edu_driverkit.cpp, edu_kext.cpp) as tests.  They need
 * the edu behind an IOMMU with vfio-pci and vfio_iommu_type1, so they are
 * not part of iobmd_userlib_test: `make check` runs this program behind
 * QEMU's IOMMU.  Each example opens the device and lets it go again before
 * it returns.  TAP comes from ../main.cpp's listener.
 */
#include <gtest/gtest.h>

int iobmd_example_edu_driverkit();
int iobmd_example_edu_kext();

TEST(Examples, EduDriverKit)
{
	EXPECT_EQ(0, iobmd_example_edu_driverkit());
}

TEST(Examples, EduKext)
{
	EXPECT_EQ(0, iobmd_example_edu_kext());
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_vfio_nvme_test - the NVMe example (userlib/examples/nvme_vfio.cpp)
 * as a test.  It needs an NVMe controller, an IOMMU, vfio-pci and
 * vfio_iommu_type1, so it is not part of iobmd_userlib_test: `make check`
 * runs it behind QEMU's IOMMU, with QEMU's NVMe backed by a file the host
 * filled with the example's pattern (scripts/nvme-pattern.py), and checks
 * the file afterwards.  TAP comes from ../main.cpp's listener.
 */
#include <gtest/gtest.h>

int iobmd_example_nvme_vfio(int argc, char **argv);

TEST(Examples, NvmeVfio)
{
	char name[] = "iobmd_nvme_vfio";
	char *argv[] = { name, nullptr };

	EXPECT_EQ(0, iobmd_example_nvme_vfio(1, argv));
}

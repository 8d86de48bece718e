// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd_bench W7: what a device that needs one physically contiguous
 * block below 4 GiB costs.  W1's rounds (allocate, map, touch every page,
 * unmap, release) at 2, 64 and 256 MiB of
 *
 *   iobmd-contig32  IOBMD_OPT_PHYSICALLY_CONTIGUOUS under the 32-bit
 *                   mask 0x00000000FFFFF000
 *   iobmd           the same size in pages from anywhere
 *   dma-heap        the system heap (pages from anywhere)
 *   cma-heap        the CMA heap, where the guest has a CMA area (it is
 *                   reported unavailable where not)
 */
#include <string>
#include <vector>

#include "bench.hpp"

namespace iobmd_bench {

void run_w7_contig(const run_config &cfg, result_store &store)
{
	run_alloc_cycles(cfg, store, "w7", { "iobmd-contig32", "iobmd", "dma-heap", "cma-heap" },
			 { 2 * MiB, 64 * MiB, 256 * MiB });
}

} // namespace iobmd_bench

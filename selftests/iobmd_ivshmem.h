/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test VM's ivshmem-plain PCI device (scripts/vm-run.sh): its 1 MiB
 * BAR2 is a host file, the MMIO that device-memory tests describe.
 */
#ifndef __SELFTEST_IOBMD_IVSHMEM_H
#define __SELFTEST_IOBMD_IVSHMEM_H

#include <dirent.h>
#include <stdio.h>
#include <linux/types.h>

#define IVSHMEM_VENDOR	0x1af4
#define IVSHMEM_DEVICE	0x1110

/* BAR2 of the ivshmem device: the third line of its sysfs resource file. */
static inline int iobmd_ivshmem_bar2(__u64 *start, __u64 *len)
{
	const char *base = "/sys/bus/pci/devices";
	char path[512], line[256];
	struct dirent *de;
	int found = -1;
	DIR *dir = opendir(base);

	if (!dir)
		return -1;
	while (found && (de = readdir(dir))) {
		unsigned int vendor = 0, device = 0;
		unsigned long long s, e, flags;
		FILE *f;
		int i;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", base, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &vendor) != 1)
			vendor = 0;
		fclose(f);
		snprintf(path, sizeof(path), "%s/%s/device", base, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &device) != 1)
			device = 0;
		fclose(f);
		if (vendor != IVSHMEM_VENDOR || device != IVSHMEM_DEVICE)
			continue;
		snprintf(path, sizeof(path), "%s/%s/resource", base,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		for (i = 0; i != 3 && fgets(line, sizeof(line), f); i++)
			;
		fclose(f);
		if (i == 3 && sscanf(line, "%llx %llx %llx", &s, &e, &flags) ==
				      3 && e > s) {
			*start = s;
			*len = e - s + 1;
			found = 0;
		}
	}
	closedir(dir);
	return found;
}

/*
 * In a test: BAR2 of the ivshmem device into *start and *len, or the test
 * skips (a machine without the device, unlike the test VM).
 */
#define IOBMD_NEED_IVSHMEM(start, len)                                        \
	do {                                                                  \
		if (iobmd_ivshmem_bar2(start, len))                           \
			SKIP(return, "no ivshmem-plain device (PCI %04x:%04x) in this machine (the test VM has one: scripts/vm-run.sh)", \
			     IVSHMEM_VENDOR, IVSHMEM_DEVICE);                 \
	} while (0)

#endif /* __SELFTEST_IOBMD_IVSHMEM_H */

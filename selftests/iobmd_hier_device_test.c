// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd device memory (IODeviceMemory::withRange / withSubRange) on a real
 * PCI BAR: BAR2 of the ivshmem-plain device the test VM has (PCI
 * 1af4:1110), backed by a file on the host.  Creation and its errors,
 * byte-granular READ/WRITE through the I/O accessors, mappings (uncached
 * by default, write-combining on request, as the PAT sees them), windows
 * of it, prepare (wiring only; PHYS32 by placement), and a pattern written
 * through a mapping that the host finds in its file after the VM has
 * exited: the program prints
 * "@@IOBMD@@ ivshmem offset=N pattern=P" and scripts/vm-run.sh checks it.
 */
#include <sys/random.h>
#include <sys/uio.h>

#include "iobmd_ivshmem.h"
#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"

#define IVSHMEM_SIZE	SZ_1M
/* Where the host-checked pattern goes; the tests below keep clear of it. */
#define IVSHMEM_PATTERN_OFF	0x100
#define PAT_LIST	"/sys/kernel/debug/x86/pat_memtype_list"
/*
 * arm64 keeps no record of a mapping's memory type that userspace can read
 * (x86's PAT list): there page_table_memory_types reads the entries
 * through the kapi module, as it does on x86, and iobmd_kapi.ko checks the
 * attributes of RAM's kernel mappings.
 */
#ifdef __x86_64__
#define HAVE_PAT	1
#else
#define HAVE_PAT	0
#endif

FIXTURE(iobmd_device)
{
	int fd;
	__u64 bar;	/* physical address of BAR2 */
	__u64 bar_len;
};

FIXTURE_SETUP(iobmd_device)
{
	iobmd_fixture_open(self->fd);
	IOBMD_NEED_IVSHMEM(&self->bar, &self->bar_len);
	ASSERT_EQ(IVSHMEM_SIZE, self->bar_len);
}

FIXTURE_TEARDOWN(iobmd_device)
{
	if (self->fd != -1)
		close(self->fd);
}

/* Whether the PAT has [@start, @start + @len) as @type. */
static bool pat_has(__u64 start, __u64 len, const char *type)
{
	char want[128], line[256];
	bool found = false;
	FILE *f = fopen(PAT_LIST, "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "[mem 0x%016llx-0x%016llx] %s\n",
		 (unsigned long long)start, (unsigned long long)(start + len),
		 type);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

TEST_F(iobmd_device, create_info)
{
	struct iobmd_info info;
	__u64 v;
	__u32 d;

	test_ioctl_device_create(self->bar, self->bar_len, &d);
	test_ioctl_get_info(d, &info);
	ASSERT_EQ(IOBMD_KIND_DEVICE, info.kind);
	ASSERT_EQ(self->bar_len, info.length);
	ASSERT_EQ(self->bar_len, info.capacity);
	ASSERT_EQ(IOBMD_DIRECTION_INOUT, info.direction);
	ASSERT_EQ(0, info.options);
	ASSERT_EQ(0, info.tag);
	ASSERT_EQ(self->bar_len, iobmd_stat("device_bytes"));
	test_err_set_length(ENOTTY, d, 0);
	test_err_append(ENOTTY, d, 0, &v, 1);
	test_err_set_purgeable(EOPNOTSUPP, d, IOBMD_PURGEABLE_KEEP_CURRENT);
	test_ioctl_set_direction(d, IOBMD_DIRECTION_OUT, &v);
	test_ioctl_set_tag(d, 42, &v);
	test_ioctl_release(d);
	ASSERT_EQ(0, iobmd_stat("device_bytes"));
}

/* Top-level "System RAM" ranges of /proc/iomem, up to @max of them. */
static int iomem_ram(struct iobmd_range *ram, int max)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;

		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &start, &end) != 2)
			continue;
		ram[n].address = start;
		ram[n].length = end - start + 1;
		n++;
	}
	fclose(f);
	return n;
}

#ifdef __aarch64__
#define IOBMD_TEST_LOW_RAM	0x40100000ULL
#else
#define IOBMD_TEST_LOW_RAM	0x100000ULL
#endif

TEST_F(iobmd_device, create_errors)
{
	long long before = iobmd_stat("descriptors");
	struct iobmd_range ram[64];
	int n = iomem_ram(ram, 64), i;

	ASSERT_LT(0, n);
	/* length 0 */
	test_err_device_create(EINVAL, self->bar, 0);
	/*
	 * System RAM: at 1 MiB (1 GiB + 1 MiB on arm64's QEMU virt), and
	 * every RAM range, whole or touched
	 */
	test_err_device_create(EINVAL, IOBMD_TEST_LOW_RAM, PAGE_SIZE);
	for (i = 0; i != n; i++) {
		test_err_device_create(EINVAL, ram[i].address, ram[i].length);
		test_err_device_create(EINVAL, ram[i].address, 1);
		test_err_device_create(EINVAL,
				       ram[i].address + ram[i].length - 1, 2);
		if (ram[i].address >= PAGE_SIZE)
			test_err_device_create(EINVAL,
					       ram[i].address - PAGE_SIZE,
					       PAGE_SIZE + 1);
	}
	/* the BAR and the RAM at 1 MiB together */
	test_err_device_create(EINVAL, 0x100000, self->bar - 0x100000 +
				       self->bar_len);
	/* wrapping, or beyond what the CPU can address */
	test_err_device_create(EINVAL, UINT64_MAX - 10, 100);
	test_err_device_create(EINVAL, self->bar, UINT64_MAX);
	test_err_device_create(EINVAL, 1ULL << 63, PAGE_SIZE);
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	ASSERT_EQ(0, iobmd_stat("device_bytes"));
}

/*
 * The pattern the host checks: written through a mapping (uncached),
 * read back with READ, announced on stdout for scripts/vm-run.sh.
 */
TEST_F(iobmd_device, host_sees_pattern)
{
	char pattern[64], back[64];
	unsigned char rnd[8];
	struct iobmd_map m;
	__u8 *p;
	__u32 d;
	int i;

	ASSERT_EQ(sizeof(rnd), getrandom(rnd, sizeof(rnd), 0));
	strcpy(pattern, "iobmd-ivshmem-");
	for (i = 0; i != sizeof(rnd); i++)
		sprintf(pattern + strlen(pattern), "%02x", rnd[i]);

	test_ioctl_device_create(self->bar, self->bar_len, &d);
	test_ioctl_map_full(d, 0, 0, 0, &m);
	ASSERT_EQ(0, m.addr_offset);
	ASSERT_EQ(self->bar_len, m.extent);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; pattern[i]; i++)
		((volatile __u8 *)p)[IVSHMEM_PATTERN_OFF + i] = pattern[i];
	ASSERT_EQ(0, munmap(p, m.extent));

	memset(back, 0, sizeof(back));
	test_ioctl_read(d, IVSHMEM_PATTERN_OFF, back, strlen(pattern));
	ASSERT_EQ(0, strcmp(pattern, back));
	test_ioctl_release(d);
	printf("@@IOBMD@@ ivshmem offset=%d pattern=%s\n", IVSHMEM_PATTERN_OFF,
	       pattern);
	fflush(stdout);
}

/* READ and WRITE through the I/O accessors, byte granular, vs a mapping. */
TEST_F(iobmd_device, data_rw)
{
	const __u64 off = PAGE_SIZE, len = 16 * PAGE_SIZE + 100;
	__u64 edges[] = { 0, 1, PAGE_SIZE, 256, 3 * PAGE_SIZE + 7, len - 1 };
	__u8 *model = malloc(len), *p;
	struct iobmd_map m;
	__u32 d, s;

	ASSERT_NE(NULL, model);
	test_ioctl_device_create(self->bar + off, len, &d);
	iobmd_fill_pattern(model, len, 0, 300);
	test_ioctl_write(d, 0, model, len);
	test_check_desc(d, model, len);
	test_rw_bounds(d, len);
	iobmd_rw_model(_metadata, self->fd, d, model, len, edges,
		       ARRAY_SIZE(edges), 200, 301);
	/* The mapping of the whole BAR shows the same bytes. */
	test_ioctl_device_create(self->bar, self->bar_len, &s);
	test_ioctl_map_full(s, IOBMD_MAP_READONLY, 0, 0, &m);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p + off, model, len));
	/* Zero-filling WRITE. */
	test_ioctl_write(d, 5, NULL, 2 * PAGE_SIZE);
	memset(model + 5, 0, 2 * PAGE_SIZE);
	ASSERT_EQ(0, memcmp(p + off, model, len));
	ASSERT_EQ(0, munmap(p, m.extent));
	test_ioctl_release(s);
	test_ioctl_release(d);
	free(model);
}

/* withSubRange: IOBMD_SUB_CREATE on device memory, mapped and read. */
TEST_F(iobmd_device, sub_range)
{
	const __u64 off = 0x20000 + 0x234, len = 3 * PAGE_SIZE;
	__u8 *model = malloc(len), *p;
	struct iobmd_segment *segs;
	struct iobmd_info info;
	struct iobmd_map m;
	__u32 d, s, pair[2], mu, n;

	ASSERT_NE(NULL, model);
	test_ioctl_device_create(self->bar, self->bar_len, &d);
	test_ioctl_sub_create(d, IOBMD_DIRECTION_IN, off, len, &s);
	test_ioctl_get_info(s, &info);
	ASSERT_EQ(IOBMD_KIND_SUB, info.kind);
	ASSERT_EQ(len, info.length);
	ASSERT_EQ(IOBMD_DIRECTION_IN, info.direction);
	iobmd_fill_pattern(model, len, 0, 310);
	test_ioctl_write(s, 0, model, len);
	{
		__u8 *whole = malloc(len);

		ASSERT_NE(NULL, whole);
		test_ioctl_read(d, off, whole, len);
		ASSERT_EQ(0, memcmp(whole, model, len));
		free(whole);
	}
	/* Physical segments without a prepare: the BAR's own addresses. */
	test_get_all_segments(s, 0, 0, &segs, &n);
	ASSERT_EQ(1, n);
	ASSERT_EQ(self->bar + off, segs[0].addr);
	ASSERT_EQ(len, segs[0].len);
	free(segs);
	/* Mapped: byte 0 at its offset in the page. */
	test_ioctl_map_full(s, 0, 0, 0, &m);
	ASSERT_EQ(0x234, m.addr_offset);
	ASSERT_EQ(4 * PAGE_SIZE, m.extent);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, memcmp(p + 0x234, model, len));
	p[0x234 + len - 1] = 0x5e;
	model[len - 1] = 0x5e;
	test_check_desc(s, model, len);
	ASSERT_EQ(0, munmap(p, m.extent));

	/* A multi of two windows of it. */
	pair[0] = s;
	test_ioctl_sub_create(d, IOBMD_DIRECTION_INOUT, 0x40000, 100, &pair[1]);
	test_ioctl_write(pair[1], 0, NULL, 100);
	test_ioctl_multi_create(IOBMD_DIRECTION_IN, pair, 2, &mu);
	{
		__u8 *back = malloc(len + 100);

		ASSERT_NE(NULL, back);
		test_ioctl_read(mu, 0, back, len + 100);
		ASSERT_EQ(0, memcmp(back, model, len));
		ASSERT_EQ(100, iobmd_check_bytes(back + len, 100, 0));
		free(back);
	}
	test_ioctl_release(mu);
	test_ioctl_release(pair[1]);
	test_ioctl_release(s);
	test_ioctl_release(d);
	free(model);
}

/*
 * Cache modes: uncached by default, write-combining on request, as the
 * PAT records them for the BAR; modes no mapping can have are refused.
 */
TEST_F(iobmd_device, cache_modes)
{
	struct iobmd_map m;
	__u8 *p;
	__u32 d;

	test_ioctl_device_create(self->bar, self->bar_len, &d);
	if (HAVE_PAT)
		ASSERT_EQ(0, access(PAT_LIST, R_OK)) TH_LOG("%s unreadable", PAT_LIST);

	test_ioctl_map_full(d, 0, 0, 0, &m);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	if (HAVE_PAT)
		ASSERT_EQ(true, pat_has(self->bar, self->bar_len, "uncached-minus") ||
				pat_has(self->bar, self->bar_len, "uncached"));
	if (HAVE_PAT)
		ASSERT_EQ(false, pat_has(self->bar, self->bar_len,
					  "write-combining"));
	ASSERT_EQ(0, munmap(p, m.extent));

	test_ioctl_map_full(d, IOBMD_CACHE_WRITE_COMBINE, 0, 0, &m);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	if (HAVE_PAT)
		ASSERT_EQ(true, pat_has(self->bar, self->bar_len,
					  "write-combining"));
	/* Data goes through either way. */
	p[PAGE_SIZE] = 0x4c;
	{
		__u8 v;

		test_ioctl_read(d, PAGE_SIZE, &v, 1);
		ASSERT_EQ(0x4c, v);
	}
	ASSERT_EQ(0, munmap(p, m.extent));
	if (HAVE_PAT)
		ASSERT_EQ(false, pat_has(self->bar, self->bar_len,
					  "write-combining"));

	/* Inhibit is the default's mode. */
	test_ioctl_map_full(d, IOBMD_CACHE_INHIBIT, 0, 0, &m);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	if (HAVE_PAT)
		ASSERT_EQ(true, pat_has(self->bar, self->bar_len, "uncached-minus") ||
				pat_has(self->bar, self->bar_len, "uncached"));
	ASSERT_EQ(0, munmap(p, m.extent));
	/* Write-through works too. */
	ASSERT_EQ(0, iobmd_map_refusal(self->fd, d, IOBMD_CACHE_WRITE_THRU, 0,
				       0, self->bar_len, PROT_READ));
	/* Posted-write and real-time: no mapping has them. */
	ASSERT_EQ(EINVAL, iobmd_map_refusal(self->fd, d,
					    IOBMD_CACHE_POSTED_WRITE, 0, 0,
					    self->bar_len, PROT_READ));
	ASSERT_EQ(EINVAL, iobmd_map_refusal(self->fd, d, IOBMD_CACHE_REAL_TIME,
					    0, 0, self->bar_len, PROT_READ));
	test_ioctl_release(d);
	ASSERT_EQ(0, iobmd_stat("mappings"));
}

/*
 * The memory type of the page table entries themselves, as the kapi
 * module reads them, for each mode a mapping of device memory can have:
 * uncached (the default, inhibit; write-through on arm64, which has no
 * such type for it) is Device memory on arm64 and PAT's UC- on x86,
 * write-combining is Normal non-cacheable on arm64, copy-back
 * (CAP_SYS_RAWIO) write-back on arm64; x86 gives device memory asked for
 * write-back the MTRRs' type, write-back or UC- (QEMU's firmware leaves
 * the BAR uncached).  In a mapping of RAM and device memory, each piece
 * has its own, but on x86 device memory that is only part of a mapping
 * has the type the PAT holds for its range, UC- where nothing else maps
 * it (remap_pfn_range() of part of a VMA reserves no type; it looks the
 * range's up).  "a|b": either.  Expectations only, no assertion, between
 * loading the kapi module and unloading it (iobmd cannot be unloaded
 * while it is).
 */
#if defined(__x86_64__)
#define DEV_UNCACHED	"uc-"
#define DEV_WC		"wc"
#define DEV_WT		"wt"
#define DEV_WB		"uc-|wb"
#define DEV_WC_PART	"uc-"
#elif defined(__aarch64__)
#define DEV_UNCACHED	"ngnrne"
#define DEV_WC		"nc"
#define DEV_WT		"ngnrne"
#define DEV_WB		"wb"
#define DEV_WC_PART	"nc"
#endif

#ifdef DEV_UNCACHED
static const struct {
	__u32 mode;
	const char *want;
} dev_types[] = {
	{ IOBMD_CACHE_DEFAULT, DEV_UNCACHED },
	{ IOBMD_CACHE_INHIBIT, DEV_UNCACHED },
	{ IOBMD_CACHE_WRITE_COMBINE, DEV_WC },
	{ IOBMD_CACHE_WRITE_THRU, DEV_WT },
	{ IOBMD_CACHE_COPYBACK, DEV_WB },
	{ IOBMD_CACHE_COPYBACK_INNER, DEV_WB },
};
#endif

/* Whether memory type @got is @want, one of "a|b|..." */
static bool type_is(const char *got, const char *want)
{
	size_t n = strlen(got);

	for (; want; want = strchr(want, '|') ? strchr(want, '|') + 1 : NULL)
		if (n && !strncmp(want, got, n) &&
		    (want[n] == '|' || !want[n]))
			return true;
	return false;
}

/*
 * Maps all of @h in @mode and expects its two pages' types: 0, or the
 * kapi module's -errno (-EOPNOTSUPP: it cannot read them here).
 */
static int expect_pte_types(struct __test_metadata *_metadata, int fd,
			    __u32 h, __u32 mode, const char *first,
			    const char *second)
{
	const char *want[2] = { first, second };
	struct iobmd_map m;
	char got[16];
	int i, ret = 0;
	__u8 *p;

	TH_LOG("mode %#x", mode);
	if (_test_ioctl_map_full(fd, h, mode, 0, 0, &m)) {
		EXPECT_EQ(0, errno) TH_LOG("IOBMD_MAP");
		return 0;
	}
	p = iobmd_mmap(fd, m.cookie, 2 * PAGE_SIZE, PROT_READ);
	EXPECT_NE(MAP_FAILED, p) TH_LOG("%s", strerror(errno));
	if (p == MAP_FAILED)
		return 0;
	for (i = 0; i < 2 && !ret; i++) {
		ret = dmabuf_kapi_cachemode(p + i * PAGE_SIZE, got,
					    sizeof(got));
		if (!ret)
			EXPECT_TRUE(type_is(got, want[i]))
				TH_LOG("page %d: %s, not %s", i, got, want[i]);
	}
	EXPECT_EQ(0, munmap(p, 2 * PAGE_SIZE));
	return ret;
}

TEST_F(iobmd_device, page_table_memory_types)
{
	__u32 d, ram, uc, wc, pair[2], mu, uc_mu, wc_mu, i;
	int ret;

#ifndef DEV_UNCACHED
	SKIP(return, "no memory types known for this architecture");
#else
	test_ioctl_device_create(self->bar, 2 * PAGE_SIZE, &d);
	pair[1] = d;
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &ram);
	pair[0] = ram;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &mu);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | IOBMD_CACHE_INHIBIT,
			      PAGE_SIZE, 0, &uc);
	pair[0] = uc;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &uc_mu);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_CACHE_WRITE_COMBINE, PAGE_SIZE, 0, &wc);
	pair[0] = wc;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &wc_mu);
	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	ret = expect_pte_types(_metadata, self->fd, d, dev_types[0].mode,
			       dev_types[0].want, dev_types[0].want);
	EXPECT_TRUE(!ret || ret == -EOPNOTSUPP)
		TH_LOG("the kapi module: %s", strerror(-ret));
	for (i = 1; !ret && i < ARRAY_SIZE(dev_types); i++)
		EXPECT_EQ(0, expect_pte_types(_metadata, self->fd, d,
					      dev_types[i].mode,
					      dev_types[i].want,
					      dev_types[i].want));
	if (!ret) {
		/* RAM, then device memory: copy-back maps both, each its way. */
		EXPECT_EQ(0, expect_pte_types(_metadata, self->fd, mu,
					      IOBMD_CACHE_COPYBACK, "wb",
					      DEV_WB));
		/* Write-combined RAM, then device memory (x86: see above). */
		EXPECT_EQ(0, expect_pte_types(_metadata, self->fd, wc_mu,
					      IOBMD_CACHE_WRITE_COMBINE,
					      DEV_WC, DEV_WC_PART));
	}
	/*
	 * An uncached buffer, then device memory, in the default mode: both
	 * uncached, where RAM and device memory have one such type.
	 */
	if (!ret && HAVE_PAT)
		EXPECT_EQ(0, expect_pte_types(_metadata, self->fd, uc_mu, 0,
					      "uc-", "uc-"));
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
	test_ioctl_release(wc_mu);
	test_ioctl_release(wc);
	test_ioctl_release(uc_mu);
	test_ioctl_release(uc);
	test_ioctl_release(mu);
	test_ioctl_release(ram);
	test_ioctl_release(d);
	ASSERT_EQ(0, iobmd_stat("mappings"));
	if (ret == -EOPNOTSUPP)
		SKIP(return, "the kapi module reads no memory types here (x86 without PAT)");
#endif
}

/*
 * Copy-back (CAP_SYS_RAWIO, which the test has) holds for device memory
 * in several pieces as for one piece: a multi of BAR2's halves, second
 * half first, is two runs of device memory, each given the mode asked for
 * (on x86 the PAT's type for the range: see page_table_memory_types).
 */
TEST_F(iobmd_device, cache_modes_of_pieces)
{
	static const __u32 modes[] = {
		IOBMD_CACHE_COPYBACK, IOBMD_CACHE_COPYBACK_INNER,
		IOBMD_CACHE_INHIBIT, IOBMD_CACHE_WRITE_COMBINE,
		IOBMD_CACHE_WRITE_THRU, 0,
	};
	__u64 half = self->bar_len / 2;
	__u32 d[2], m, i;

	test_ioctl_device_create(self->bar + half, half, &d[0]);
	test_ioctl_device_create(self->bar, half, &d[1]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, d, 2, &m);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		EXPECT_EQ(0, iobmd_map_refusal(self->fd, d[0], modes[i], 0, 0,
					       half, PROT_READ))
			TH_LOG("one piece, mode %#x", modes[i]);
		EXPECT_EQ(0, iobmd_map_refusal(self->fd, m, modes[i], 0, 0,
					       self->bar_len, PROT_READ))
			TH_LOG("two pieces, mode %#x", modes[i]);
	}
	test_ioctl_release(m);
	test_ioctl_release(d[1]);
	test_ioctl_release(d[0]);
	ASSERT_EQ(0, iobmd_stat("mappings"));
}

/*
 * RAM and device memory in one mapping: every piece gets the mode asked
 * for, in either order.  Copy-back (CAP_SYS_RAWIO) maps both; the default
 * mode is the RAM buffer's own for it and uncached for the device memory,
 * refused when the buffer is write-combined; uncached maps both only
 * where uncached RAM and uncached device memory are one memory type (x86;
 * on arm64 RAM must not be Device memory).
 */
TEST_F(iobmd_device, cache_modes_of_ram_and_device_memory)
{
	const bool one_uncached_type = HAVE_PAT;
	__u32 ram, wc, uc, dev, pair[2], m, i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &ram);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_CACHE_WRITE_COMBINE, PAGE_SIZE, 0, &wc);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | IOBMD_CACHE_INHIBIT,
			      PAGE_SIZE, 0, &uc);
	test_ioctl_device_create(self->bar, PAGE_SIZE, &dev);
	for (i = 0; i < 2; i++) {
		TH_LOG("device memory %s", i ? "second" : "first");
		pair[i] = dev;
		pair[!i] = ram;
		test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
		EXPECT_EQ(0, iobmd_map_refusal(self->fd, m,
					       IOBMD_CACHE_COPYBACK, 0, 0,
					       2 * PAGE_SIZE, PROT_READ));
		EXPECT_EQ(EINVAL, iobmd_map_refusal(self->fd, m,
						    IOBMD_CACHE_INHIBIT, 0, 0,
						    2 * PAGE_SIZE, PROT_READ));
		test_ioctl_release(m);
		pair[!i] = wc;
		test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
		EXPECT_EQ(EINVAL, iobmd_map_refusal(self->fd, m, 0, 0, 0,
						    2 * PAGE_SIZE, PROT_READ));
		EXPECT_EQ(0, iobmd_map_refusal(self->fd, m,
					       IOBMD_CACHE_WRITE_COMBINE, 0, 0,
					       2 * PAGE_SIZE, PROT_READ));
		test_ioctl_release(m);
		pair[!i] = uc;
		test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
		EXPECT_EQ(one_uncached_type ? 0 : EINVAL,
			  iobmd_map_refusal(self->fd, m, 0, 0, 0,
					    2 * PAGE_SIZE, PROT_READ));
		test_ioctl_release(m);
	}
	test_ioctl_release(dev);
	test_ioctl_release(uc);
	test_ioctl_release(wc);
	test_ioctl_release(ram);
	ASSERT_EQ(0, iobmd_stat("mappings"));
}

/* Device memory is mapped by PFN: get_user_pages fails on it. */
TEST_F(iobmd_device, not_page_backed)
{
	struct iovec local, remote;
	struct iobmd_map m;
	__u8 buf[64], *p;
	int pfd[2];
	__u32 d;

	test_ioctl_device_create(self->bar + 0x80000, 4 * PAGE_SIZE, &d);
	test_ioctl_map_full(d, 0, 0, 0, &m);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	local = (struct iovec){ buf, sizeof(buf) };
	remote = (struct iovec){ p, sizeof(buf) };
	EXPECT_ERRNO(EFAULT, process_vm_readv(getpid(), &local, 1, &remote, 1,
					      0));
	ASSERT_EQ(0, pipe(pfd));
	EXPECT_ERRNO(EFAULT, vmsplice(pfd[1], &remote, 1, 0));
	close(pfd[0]);
	close(pfd[1]);
	/* MADV_DONTNEED does not apply to PFN mappings; the data stays. */
	EXPECT_ERRNO(EINVAL, madvise(p, PAGE_SIZE, MADV_DONTNEED));
	ASSERT_EQ(1, p[0]);
	ASSERT_EQ(0, munmap(p, m.extent));
	test_ioctl_release(d);
}

/*
 * prepare() wires it and maps it for no device: DMA segments stay
 * ENODATA, the physical ones are the BAR's, PERFORM has nothing to sync.
 * PHYS32 nests when the BAR ends below 4 GiB (it was placed there), else
 * it is ERANGE; a composed descriptor meets it only when all its pieces
 * do, and a refused prepare leaves nothing prepared.
 */
TEST_F(iobmd_device, prepare)
{
	__u8 *area = iobmd_user_area(1, 14);
	bool below = self->bar + self->bar_len <= SZ_4G;
	struct iobmd_segment *segs;
	__u32 d, s, g, m32, mu, pair[2], n;

	ASSERT_NE(NULL, area);
	test_ioctl_device_create(self->bar, self->bar_len, &d);
	test_err_get_dma_segments(ENODATA, d, 0, 0);
	test_err_perform(ENODATA, d, IOBMD_OP_FLUSH, 0, 1);
	test_ioctl_prepare(d, 0);
	test_err_get_dma_segments(ENODATA, d, 0, 0);
	test_get_all_segments(d, 0, 0, &segs, &n);
	ASSERT_EQ(1, n);
	ASSERT_EQ(self->bar, segs[0].addr);
	ASSERT_EQ(self->bar_len, segs[0].len);
	free(segs);
	test_get_all_segments(d, 5, 10, &segs, &n);
	ASSERT_EQ(1, n);
	ASSERT_EQ(self->bar + 5, segs[0].addr);
	ASSERT_EQ(10, segs[0].len);
	free(segs);
	test_ioctl_perform(d, IOBMD_OP_FLUSH, 0, self->bar_len);
	test_ioctl_perform(d, IOBMD_OP_INVALIDATE, 5, 10);
	/* Nested: no device to be "prepared for the other range" any more. */
	if (below) {
		test_ioctl_prepare(d, IOBMD_PREPARE_PHYS32);
		test_ioctl_complete(d, 0);
	} else {
		test_err_prepare(ERANGE, d, IOBMD_PREPARE_PHYS32);
	}
	test_ioctl_complete(d, 0);
	test_err_complete(EINVAL, d, 0);
	test_err_get_dma_segments(ENODATA, d, 0, 0);
	test_err_perform(ENODATA, d, IOBMD_OP_FLUSH, 0, 1);
	if (below) {
		test_ioctl_prepare(d, IOBMD_PREPARE_PHYS32);
		test_err_get_dma_segments(ENODATA, d, 0, 0);
		test_ioctl_complete(d, 0);
	} else {
		test_err_prepare(ERANGE, d, IOBMD_PREPARE_PHYS32);
		test_err_complete(EINVAL, d, 0);
	}

	/* A window of it with a buffer placed below 4 GiB by its mask... */
	test_ioctl_sub_create(d, IOBMD_DIRECTION_INOUT, 0x40000, PAGE_SIZE, &s);
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, PAGE_SIZE,
				   0xFFFFF000ULL, &m32);
	pair[0] = s;
	pair[1] = m32;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &mu);
	if (below) {
		test_ioctl_prepare(mu, IOBMD_PREPARE_PHYS32);
		test_err_get_dma_segments(ENODATA, mu, 0, 0);
		test_get_all_segments(mu, 0, PAGE_SIZE, &segs, &n);
		ASSERT_EQ(1, n);
		ASSERT_EQ(self->bar + 0x40000, segs[0].addr);
		free(segs);
		test_ioctl_complete(mu, 0);
	} else {
		test_err_prepare(ERANGE, mu, IOBMD_PREPARE_PHYS32);
	}
	test_err_complete(EINVAL, mu, 0);
	test_ioctl_release(mu);
	/* ... and with the caller's own pages, placed by no one: ERANGE. */
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area, PAGE_SIZE, &g);
	pair[1] = g;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &mu);
	test_err_prepare(ERANGE, mu, IOBMD_PREPARE_PHYS32);
	test_err_complete(EINVAL, mu, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_prepare(mu, 0);
	ASSERT_EQ(PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_complete(mu, 0);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	test_ioctl_release(mu);
	test_ioctl_release(g);
	test_ioctl_release(m32);
	test_ioctl_release(s);
	test_ioctl_release(d);
	munmap(area, PAGE_SIZE);
}

/*
 * Overlapping ranges of the same registers prepared at once, directly and
 * through a multi that holds one twice, in different directions: prepares
 * from userspace only wire, so they nest freely and map nothing (the
 * debug kernel's DMA-API checking has no mapping to see).
 */
TEST_F(iobmd_device, overlapping_prepares)
{
	__u32 a, b, m, pieces[2];
	struct iobmd_segment *segs;
	__u32 n;

	/* The same first byte, as DMA-API debugging tracks mappings by it. */
	test_ioctl_device_create(self->bar, SZ_64K, &a);
	test_ioctl_device_create(self->bar, 2 * 4096, &b);
	test_ioctl_prepare(a, IOBMD_DIRECTION_IN);
	test_ioctl_prepare(b, IOBMD_DIRECTION_INOUT);
	test_err_get_dma_segments(ENODATA, b, 0, 0);
	test_get_all_segments(b, 0, 0, &segs, &n);
	ASSERT_EQ(1, n);
	ASSERT_EQ(self->bar, segs[0].addr);
	ASSERT_EQ(2 * 4096, segs[0].len);
	free(segs);
	/* Out, then In, on one descriptor: nothing mapped, nothing to widen. */
	test_ioctl_prepare(a, IOBMD_DIRECTION_OUT);
	test_ioctl_prepare(a, IOBMD_DIRECTION_INOUT);
	test_ioctl_complete(a, 0);
	test_ioctl_complete(a, 0);
	pieces[0] = a;
	pieces[1] = a;
	test_ioctl_multi_create(IOBMD_DIRECTION_IN, pieces, 2, &m);
	test_ioctl_complete(a, 0);
	test_ioctl_prepare(m, IOBMD_DIRECTION_IN);
	test_err_get_dma_segments(ENODATA, m, 0, 0);
	test_get_all_segments(m, 0, 0, &segs, &n);
	ASSERT_EQ(2, n);
	ASSERT_EQ(self->bar, segs[0].addr);
	ASSERT_EQ(self->bar, segs[1].addr);
	free(segs);
	test_ioctl_complete(m, 0);
	test_ioctl_complete(b, 0);
	test_ioctl_release(m);
	test_ioctl_release(b);
	test_ioctl_release(a);
}

TEST_HARNESS_MAIN

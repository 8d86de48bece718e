// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, addresses: an unprivileged caller never sees a
 * physical address - not in any ioctl's answer, a mapping's bytes or a
 * netlink reply - and GET_SEGMENTS is refused to it, physical or DMA (see
 * iobmd_security.h for "unprivileged").  A userspace prepare maps nothing
 * for a device, so there are no DMA addresses to leak: root's DMA
 * segments of what it prepared are ENODATA (collect()).
 *
 * Root is held to /dev/mem's rules for what it names by physical address:
 * no System RAM (unless the unsafe_phys_ram test switch is on), never a
 * free page or one out of the direct map (memfd_secret's), no MMIO that is
 * busy or exclusive (the IOAPIC); device-memory copies stay killable.
 * (Lockdown: iobmd_security_lockdown_test.)
 *
 * Runs as root, alone: every test leaves the module's counters as found.
 */
#include <signal.h>
#include <linux/capability.h>

#include "iobmd_security.h"
#include "iobmd_pagemap.h"
#include "iobmd_ivshmem.h"

#define TAG_VALUE	0x5a5a5a5a5a5a5a5aULL

/* --- finding physical addresses in output bytes ---------------------- */

/*
 * Byte offset of the first @step-aligned 8-byte word of @out that, page
 * aligned, is one of sh->page[] (words equal to the same word of @in, what
 * the caller passed in, are its own); -1 when there is none.
 */
static long find_leak(const void *out, const void *in, size_t len,
		      size_t step)
{
	__u64 w, v;
	size_t off;
	int i;

	for (off = 0; off + 8 <= len; off += step) {
		memcpy(&w, (const char *)out + off, 8);
		if (in) {
			memcpy(&v, (const char *)in + off, 8);
			if (v == w)
				continue;
		}
		w &= ~(__u64)(PAGE_SIZE - 1);
		for (i = 0; w >= SZ_1M && i < sh->npages; i++)
			if (sh->page[i] == w)
				return off;
	}
	return -1;
}

#define SCAN(what, out, in, len, step)                                       \
	do {                                                                 \
		const char *__p = (const char *)(out);                       \
		long __o = find_leak(__p, in, len, step);                    \
		__u64 __w = 0;                                               \
		if (__o >= 0)                                                \
			memcpy(&__w, __p + __o, 8);                          \
		CHK(__o < 0, "%s: byte %ld holds 0x%llx, a physical page",   \
		    what, __o, (unsigned long long)__w);                     \
	} while (0)

/* One ioctl that must work; its whole answer is scanned. */
static int ioctl_scanned(int fd, unsigned long nr, void *arg, size_t size,
			 const char *what)
{
	char in[128];

	memcpy(in, arg, size);
	CHK(!ioctl(fd, nr, arg), "%s failed", what);
	SCAN(what, arg, in, size, 8);
	return 0;
}

static int scan_msg_cb(const struct nlmsghdr *h, void *arg)
{
	SCAN((const char *)arg, h, NULL, h->nlmsg_len, 4);
	return 0;
}

/* One netlink request whose every answer message is scanned. */
static int nl_scanned(struct nlc *nl, __u8 cmd, __u16 flags, const char *what)
{
	int ret = nl_call(nl, nl->family, cmd, flags, NULL, 0, scan_msg_cb,
			  (void *)what);

	if (ret == 1)
		return 1;	/* scan_msg_cb's note */
	CHK(!ret, "%s gave %d", what, ret);
	return 0;
}

/* --- the fixture ----------------------------------------------------- */

/* See "the fixtures' common part" in iobmd_security.h. */
FIXTURE(iobmd_sec)
{
	int fd;
	struct iobmd_test_stats stats;	/* as found; must be so at the end */
	struct stat node;
};

FIXTURE_SETUP(iobmd_sec)
{
	sec_setup(_metadata, &self->fd, &self->node, &self->stats);
}

FIXTURE_TEARDOWN_PARENT(iobmd_sec)
{
	sec_teardown_held(_metadata, &self->stats);
}

/* --- physical addresses root names ------------------------------------ */

#define UNSAFE_PHYS_RAM	"/sys/module/iobmd/parameters/unsafe_phys_ram"

/*
 * Sets the test rigs' switch that lets root describe RAM by address;
 * returns what it was ('Y' when the module has none: the old module let
 * root describe RAM), for set_unsafe_phys_ram(old) to restore it.
 */
static char set_unsafe_phys_ram(char on)
{
	char old = 'Y', text[2] = { on, 0 };
	int fd = open(UNSAFE_PHYS_RAM, O_RDONLY);

	if (fd < 0)
		return old;
	if (read(fd, &old, 1) != 1)
		old = '?';
	close(fd);
	if (iobmd_write_file(UNSAFE_PHYS_RAM, text))
		return '?';
	return old;
}

/* [start, end] of the first /proc/iomem line whose name holds @name. */
static int iomem_find(const char *name, __u64 *start, __u64 *end)
{
	unsigned long long s, e;
	char line[256];
	int found = -1;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		char *colon = strstr(line, " : ");

		if (colon && strstr(colon, name) &&
		    sscanf(line, " %llx-%llx", &s, &e) == 2 && e > s) {
			*start = s;
			*end = e;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/*
 * System RAM by physical address: refused to root (EPERM), its own
 * buffer's page as much as the kernel's data, as /dev/mem refuses it with
 * STRICT_DEVMEM; only the test rigs' switch lets it through.
 */
TEST_F(iobmd_sec, ram_by_address_refused)
{
	struct iobmd_range r[2];
	__u64 kstart, kend;
	__u32 buf, h = 0;
	char old;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &buf);
	test_ioctl_prepare(buf, 0);
	ASSERT_LT(0, collect(self->fd, buf));
	ASSERT_EQ(0, iomem_find("Kernel data", &kstart, &kend));
	old = set_unsafe_phys_ram('N');
	ASSERT_NE('?', old);

	r[0] = (struct iobmd_range){ sh->page[0], PAGE_SIZE };
	EXPECT_ERRNO(EPERM, _test_ioctl_general_create(self->fd,
						       IOBMD_GENERAL_PHYSICAL,
						       IOBMD_DIRECTION_INOUT,
						       r, 1, &h));
	EXPECT_EQ(0, h);
	r[0] = (struct iobmd_range){ kstart, PAGE_SIZE };
	EXPECT_ERRNO(EPERM, _test_ioctl_general_create(self->fd,
						       IOBMD_GENERAL_PHYSICAL,
						       IOBMD_DIRECTION_IN,
						       r, 1, &h));
	EXPECT_EQ(0, h);
	r[1] = (struct iobmd_range){ sh->page[0] + 8, 8 };
	EXPECT_ERRNO(EPERM, _test_ioctl_general_create(self->fd,
						       IOBMD_GENERAL_PHYSICAL,
						       IOBMD_DIRECTION_INOUT,
						       r, 2, &h));
	EXPECT_EQ(0, h);
	/* Device memory over RAM stays EINVAL: it is not device memory. */
	EXPECT_ERRNO(EINVAL, _test_ioctl_device_create(self->fd, kstart,
						       PAGE_SIZE, &h));
	EXPECT_EQ(0, h);

	/* The switch lets the buffer's page through, not the rest. */
	ASSERT_EQ('N', set_unsafe_phys_ram('Y'));
	r[0] = (struct iobmd_range){ sh->page[0], PAGE_SIZE };
	ASSERT_EQ(0, _test_ioctl_general_create(self->fd,
						IOBMD_GENERAL_PHYSICAL,
						IOBMD_DIRECTION_INOUT, r, 1,
						&h));
	test_ioctl_release(h);
	set_unsafe_phys_ram(old);
	test_ioctl_release(buf);
	test_held_nothing();
}

#define KPF_BUDDY	10

/*
 * A free page has no owner whose reference keeps it: EINVAL, even with
 * the test rigs' switch (pages the buddy allocator holds, from
 * /proc/kpageflags; one may be taken meanwhile, so most, not all).
 */
TEST_F(iobmd_sec, free_page_refused)
{
	__u64 flags[512], start, end, pfn;
	int kfd, tried = 0, refused = 0;
	struct iobmd_range r;
	__u32 h;
	char old;

	ASSERT_EQ(0, iomem_find("System RAM", &start, &end));
	/* The first RAM range is small: the largest one holds free pages. */
	{
		unsigned long long s, e;
		char line[256];
		FILE *f = fopen("/proc/iomem", "r");

		ASSERT_NE(NULL, f);
		while (fgets(line, sizeof(line), f))
			if (line[0] != ' ' && strstr(line, " : System RAM") &&
			    sscanf(line, "%llx-%llx", &s, &e) == 2 &&
			    e - s > end - start) {
				start = s;
				end = e;
			}
		fclose(f);
	}
	kfd = open("/proc/kpageflags", O_RDONLY);
	ASSERT_LE(0, kfd);
	old = set_unsafe_phys_ram('Y');
	ASSERT_NE('?', old);
	for (pfn = (start + PAGE_SIZE - 1) / PAGE_SIZE;
	     pfn + 512 <= (end + 1) / PAGE_SIZE && tried < 32; pfn += 512) {
		int i;

		ASSERT_EQ(sizeof(flags), pread(kfd, flags, sizeof(flags),
					       pfn * 8));
		for (i = 0; i < 512 && tried < 32; i += 61) {
			if (!(flags[i] >> KPF_BUDDY & 1))
				continue;
			tried++;
			h = 0;
			r = (struct iobmd_range){ (pfn + i) * PAGE_SIZE,
						  PAGE_SIZE };
			if (!_test_ioctl_general_create(self->fd,
							IOBMD_GENERAL_PHYSICAL,
							IOBMD_DIRECTION_INOUT,
							&r, 1, &h))
				test_ioctl_release(h);
			else if (errno == EINVAL)
				refused++;
			else
				ASSERT_EQ(EINVAL, errno);
		}
	}
	close(kfd);
	set_unsafe_phys_ram(old);
	ASSERT_EQ(32, tried);
	TH_LOG("%d of %d free pages refused", refused, tried);
	ASSERT_LE(24, refused);
	test_held_nothing();
}

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

/*
 * A memfd_secret page is out of the kernel's direct map: never described
 * (EPERM), even with the test rigs' switch; as device memory it is RAM
 * (EINVAL).  Describing it once let WRITE with no buffer oops in memset.
 */
TEST_F(iobmd_sec, secretmem_refused)
{
	__u32 h = 0;
	__u64 phys;
	__u8 *p;
	char old;
	int sfd = syscall(SYS_memfd_secret, 0);

	if (sfd < 0) {
		char on[4] = "";
		FILE *f = fopen("/sys/module/secretmem/parameters/enable", "r");

		/* 6.1 has it off unless booted with secretmem.enable=1. */
		ASSERT_EQ(ENOSYS, errno);
		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(on, sizeof(on), f));
		fclose(f);
		ASSERT_EQ('N', on[0]);
		SKIP(return, "memfd_secret is off (secretmem.enable=1): no secret page");
	}
	ASSERT_EQ(0, ftruncate(sfd, PAGE_SIZE));
	p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x3c, PAGE_SIZE);
	phys = pagemap_phys(p);
	ASSERT_NE(0, phys);
	old = set_unsafe_phys_ram('Y');
	ASSERT_NE('?', old);
	{
		struct iobmd_range r = { phys, PAGE_SIZE };

		EXPECT_ERRNO(EPERM, _test_ioctl_general_create(
					    self->fd, IOBMD_GENERAL_PHYSICAL,
					    IOBMD_DIRECTION_INOUT, &r, 1, &h));
		EXPECT_EQ(0, h);
	}
	set_unsafe_phys_ram(old);
	EXPECT_ERRNO(EINVAL, _test_ioctl_device_create(self->fd, phys,
						       PAGE_SIZE, &h));
	EXPECT_EQ(0, h);
	/* The secret is intact. */
	EXPECT_EQ(PAGE_SIZE, iobmd_check_bytes(p, PAGE_SIZE, 0x3c));
	munmap(p, PAGE_SIZE);
	close(sfd);
	test_held_nothing();
}

/* A claimed MMIO range in the test VM: x86's IOAPIC, arm64 virt's UART. */
#ifdef __aarch64__
#define BUSY_MMIO	"pl011"
#else
#define BUSY_MMIO	"IOAPIC"
#endif

/*
 * MMIO a driver claimed (busy: the IOAPIC, on arm64 the PL011) is refused
 * (EPERM), a byte of it or a range that only reaches into it; MMIO nobody
 * claimed (the ivshmem BAR, addresses with nothing there) is not.
 */
TEST_F(iobmd_sec, busy_mmio_refused)
{
	__u64 start, end, bar, bar_len;
	__u32 h = 0;

	ASSERT_EQ(0, iomem_find(BUSY_MMIO, &start, &end));
	TH_LOG("%s at 0x%llx-0x%llx", BUSY_MMIO, (unsigned long long)start,
	       (unsigned long long)end);
	EXPECT_ERRNO(EPERM, _test_ioctl_device_create(self->fd, start,
						      end - start + 1, &h));
	EXPECT_EQ(0, h);
	EXPECT_ERRNO(EPERM, _test_ioctl_device_create(self->fd, start + 0x10,
						      1, &h));
	EXPECT_EQ(0, h);
	EXPECT_ERRNO(EPERM, _test_ioctl_device_create(self->fd,
						      start - PAGE_SIZE,
						      PAGE_SIZE + 1, &h));
	EXPECT_EQ(0, h);
	/* A large range with the busy one inside. */
	EXPECT_ERRNO(EPERM, _test_ioctl_device_create(self->fd,
						      start - SZ_1M, SZ_4M,
						      &h));
	EXPECT_EQ(0, h);

	IOBMD_NEED_IVSHMEM(&bar, &bar_len);
	ASSERT_EQ(0, _test_ioctl_device_create(self->fd, bar, bar_len, &h));
	test_ioctl_release(h);
	ASSERT_EQ(0, _test_ioctl_device_create(self->fd, IOBMD_TEST_NOT_RAM,
					       PAGE_SIZE, &h));
	test_ioctl_release(h);
	test_held_nothing();
}

/*
 * Device memory copies, zero-fill included, across the module's mapping
 * chunks (the whole 1 MiB BAR, at odd offsets): what a mapping shows.
 * The BAR's bytes are put back after.
 */
TEST_F(iobmd_sec, device_copies)
{
	__u64 bar, bar_len, off = 0x3ff00 + 7, len = 0x80000 + 300;
	__u8 *saved, *pat, *back, *p;
	__u32 h;
	__u64 cookie;

	IOBMD_NEED_IVSHMEM(&bar, &bar_len);
	ASSERT_EQ(SZ_1M, bar_len);
	saved = malloc(bar_len);
	pat = malloc(bar_len);
	back = malloc(bar_len);
	ASSERT_NE(NULL, saved);
	ASSERT_NE(NULL, pat);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, _test_ioctl_device_create(self->fd, bar, bar_len, &h));
	test_ioctl_read(h, 0, saved, bar_len);
	iobmd_fill_pattern(pat, bar_len, 0, 77);
	test_ioctl_write(h, 0, pat, bar_len);
	/* Zero-fill: no buffer. */
	ASSERT_EQ(0, _test_ioctl_rw(self->fd, IOBMD_WRITE, h, off, NULL, len,
				    NULL));
	memset(pat + off, 0, len);
	test_ioctl_read(h, 0, back, bar_len);
	EXPECT_EQ(0, memcmp(pat, back, bar_len));
	ASSERT_EQ(0, _test_ioctl_map(self->fd, h, 0, 0, 0, &cookie));
	p = iobmd_mmap(self->fd, cookie, bar_len, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	memcpy(back, p, bar_len);
	EXPECT_EQ(0, memcmp(pat, back, bar_len));
	munmap(p, bar_len);
	test_ioctl_write(h, 0, saved, bar_len);
	test_ioctl_release(h);
	free(saved);
	free(pat);
	free(back);
	test_held_nothing();
}

/*
 * A zero-fill of 4 GiB of device memory (addresses with nothing behind
 * them: slow under emulation) dies with SIGKILL at once, rather than
 * after the whole copy: killed once it has spent a tenth of a second in
 * the kernel, it is gone within 10 s.
 */
TEST_F(iobmd_sec, device_copy_killable)
{
	long long stime = -1;
	int status, i, go[2];
	__u32 h;
	pid_t pid;
	char c;

	ASSERT_EQ(0, _test_ioctl_device_create(self->fd, IOBMD_TEST_NOT_RAM,
					       SZ_4G, &h));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[0]);
		if (write(go[1], "g", 1) != 1)
			_exit(4);
		_test_ioctl_rw(self->fd, IOBMD_WRITE, h, 0, NULL, SZ_4G, NULL);
		_exit(3);
	}
	close(go[1]);
	ASSERT_EQ(1, read(go[0], &c, 1));
	close(go[0]);
	/* In the copy: system time (USER_HZ ticks) piling up. */
	for (i = 0; i < 1000; i++) {
		stime = iobmd_proc_stime(pid);
		if (stime >= 10 || waitpid(pid, &status, WNOHANG))
			break;
		usleep(10000);
	}
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("4 GiB of MMIO zero-filled before 0.1 s in the kernel");
	ASSERT_LE(10, stime) TH_LOG("no 0.1 s in the kernel in 10 s");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	status = iobmd_reap_within(pid, 10000);
	ASSERT_NE(-1, status) TH_LOG("still copying 10 s after SIGKILL");
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("status %#x", status);
	test_ioctl_release(h);
	test_held_nothing();
}

/* --- no physical address reaches an unprivileged caller -------------- */

/* Root's descriptors in sh->h[], then the child's own. */
enum { R_BUF, R_CONTIG, R_MASK, R_GEN, R_DEV, R_PHYS, NR_ROOT };
enum { C_BUF = NR_ROOT, C_CONTIG, C_MASK, C_GEN, C_PURG, NR_ALL };

static int leak_child_create(int fd)
{
	__u8 *area = iobmd_user_area(2, 12);
	int i;

	CHK(area, "user area");
	CHK(!mkbuf(fd, 0, 2 * PAGE_SIZE, &sh->h[C_BUF]) &&
	    !mkbuf(fd, IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 2 * PAGE_SIZE,
		   &sh->h[C_CONTIG]) &&
	    !_test_ioctl_buf_create(fd, IOBMD_BUF_CREATE_PHYS_MASK,
				    IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0,
				    0xFFFFF000ULL, NULL, 0, &sh->h[C_MASK]) &&
	    !mkgen(fd, area, 2 * PAGE_SIZE, &sh->h[C_GEN]) &&
	    !mkbuf(fd, IOBMD_OPT_PURGEABLE, PAGE_SIZE, &sh->h[C_PURG]),
	    "creating");
	for (i = C_BUF; i < NR_ALL; i++)
		CHK(!_test_ioctl_prepare(fd, IOBMD_PREPARE, sh->h[i], 0),
		    "prepare %d", i);
	sh->nh = NR_ALL;
	return 0;
}

/* Every answer an unprivileged caller gets about each descriptor. */
static int leak_child_scan(int fd)
{
	__u8 data[2 * 4096], *p;
	/* What root was told: a word the caller knows already. */
	struct iobmd_version ver = { .size = sizeof(ver),
				     .max_capacity = sh->max_capacity };
	struct nlc nl;
	__u32 sub, multi, il, pair[2] = { sh->h[C_BUF], sh->h[R_CONTIG] };
	int i;

	TRY(ioctl_scanned(fd, IOBMD_GET_VERSION, &ver, sizeof(ver), "version"));
	for (i = 0; i < NR_ALL; i++) {
		__u32 h = sh->h[i];
		struct iobmd_info info = { .size = sizeof(info), .handle = h };
		struct iobmd_map m = { .size = sizeof(m), .handle = h };
		struct iobmd_set_arg s = { .size = sizeof(s), .handle = h };
		struct iobmd_rw rw = { .size = sizeof(rw), .handle = h,
				       .buf = (uintptr_t)data,
				       .len = PAGE_SIZE };
		struct iobmd_prepare pr = { .size = sizeof(pr), .handle = h };
		struct iobmd_perform pf = { .size = sizeof(pf), .handle = h,
					    .op = IOBMD_OP_FLUSH, .len = 1 };

		TRY(ioctl_scanned(fd, IOBMD_GET_INFO, &info, sizeof(info),
				  "info"));
		TRY(ioctl_scanned(fd, IOBMD_MAP, &m, sizeof(m), "map"));
		s.value = TAG_VALUE;
		TRY(ioctl_scanned(fd, IOBMD_SET_TAG, &s, sizeof(s), "tag"));
		s.value = IOBMD_DIRECTION_INOUT;
		TRY(ioctl_scanned(fd, IOBMD_SET_DIRECTION, &s, sizeof(s),
				  "direction"));
		if (i != R_DEV) {	/* never touched */
			TRY(ioctl_scanned(fd, IOBMD_READ, &rw, sizeof(rw),
					  "read"));
			SCAN("read data", data, NULL, PAGE_SIZE, 8);
		}
		if (i >= C_BUF) {
			TRY(ioctl_scanned(fd, IOBMD_PREPARE, &pr, sizeof(pr),
					  "prepare"));
			TRY(ioctl_scanned(fd, IOBMD_PERFORM, &pf, sizeof(pf),
					  "perform"));
			TRY(ioctl_scanned(fd, IOBMD_COMPLETE, &pr, sizeof(pr),
					  "complete"));
		}
	}
	{
		struct iobmd_set_arg s = { .size = sizeof(s),
					   .handle = sh->h[C_BUF], .value = 1 };
		struct iobmd_rw rw = { .size = sizeof(rw),
				       .handle = sh->h[C_BUF],
				       .buf = (uintptr_t)data, .len = 8192 };

		TRY(ioctl_scanned(fd, IOBMD_SET_LENGTH, &s, sizeof(s),
				  "set length"));
		TRY(ioctl_scanned(fd, IOBMD_APPEND, &rw, sizeof(rw), "append"));
		s.handle = sh->h[C_PURG];
		s.value = IOBMD_PURGEABLE_VOLATILE;
		TRY(ioctl_scanned(fd, IOBMD_SET_PURGEABLE, &s, sizeof(s),
				  "purgeable"));
		s.value = IOBMD_PURGEABLE_NON_VOLATILE;
		TRY(ioctl_scanned(fd, IOBMD_SET_PURGEABLE, &s, sizeof(s),
				  "purgeable"));
	}
	{
		struct iobmd_sub_create sc = { .size = sizeof(sc),
			.parent = sh->h[R_BUF], .length = PAGE_SIZE,
			.direction = IOBMD_DIRECTION_INOUT };
		struct iobmd_multi_create mc = { .size = sizeof(mc),
			.direction = IOBMD_DIRECTION_INOUT,
			.handles = (uintptr_t)pair, .count = 2 };
		struct iobmd_interleaved_create ic = { .size = sizeof(ic),
			.direction = IOBMD_DIRECTION_INOUT, .capacity = 2 };

		TRY(ioctl_scanned(fd, IOBMD_SUB_CREATE, &sc, sizeof(sc), "sub"));
		TRY(ioctl_scanned(fd, IOBMD_MULTI_CREATE, &mc, sizeof(mc),
				  "multi"));
		TRY(ioctl_scanned(fd, IOBMD_INTERLEAVED_CREATE, &ic, sizeof(ic),
				  "interleaved"));
		sub = sc.handle;
		multi = mc.handle;
		il = ic.handle;
		CHK(!_test_ioctl_interleaved_set(fd, il, sh->h[R_MASK], 0,
						 PAGE_SIZE), "interleaved set");
	}
	/* The mappings' contents. */
	for (i = 0; i < NR_ALL; i += C_BUF) {
		struct iobmd_map m;

		CHK(!_test_ioctl_map_full(fd, sh->h[i], 0, 0, 0, &m), "map");
		p = iobmd_mmap(fd, m.cookie, m.extent, PROT_READ);
		CHK(p != MAP_FAILED, "mmap");
		SCAN("mapping", p, NULL, m.extent, 8);
		munmap(p, m.extent);
	}
	/* What netlink tells it, with all these descriptors alive. */
	CHK(!nl_open(&nl), "netlink");
	TRY(nl_scanned(&nl, IOBMD_CMD_GET_STATS, NLM_F_ACK, "GET_STATS"));
	TRY(nl_scanned(&nl, IOBMD_CMD_GET_LIMITS, NLM_F_ACK, "GET_LIMITS"));
	TRY(nl_scanned(&nl, IOBMD_CMD_GET_DESC, NLM_F_DUMP, "GET_DESC"));
	close(nl.fd);
	CHK(!_test_ioctl_release(fd, il) && !_test_ioctl_release(fd, multi) &&
	    !_test_ioctl_release(fd, sub), "release");
	for (i = C_BUF; i < NR_ALL; i++)
		CHK(!_test_ioctl_release(fd, sh->h[i]), "release %d", i);
	return 0;
}

/*
 * Root makes a non-contiguous, a contiguous, a 32-bit-masked buffer, a
 * general descriptor of its memory, device memory and a general descriptor
 * of RAM by physical address, prepared, and takes their physical pages
 * (prepared from userspace, they have no DMA addresses: ENODATA);
 * an unprivileged child sharing the file makes the same kinds and a
 * purgeable buffer, prepared, whose pages root also takes.  Then no word
 * of any answer the child gets - ioctls, mappings, netlink - is one of
 * those pages.
 */
TEST_F(iobmd_sec, no_address_in_unprivileged_output)
{
	__u8 *area = iobmd_user_area(4, 11);
	int c2p[2], p2c[2], i, status;
	char c = 0;
	struct iobmd_range ram = { 0, PAGE_SIZE };
	__u64 probe[2];
	pid_t pid;

	ASSERT_NE(NULL, area);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 8 * PAGE_SIZE, 0,
			      &sh->h[R_BUF]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 4 * PAGE_SIZE,
			      0, &sh->h[R_CONTIG]);
	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE,
				   0xFFFFF000ULL, &sh->h[R_MASK]);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, area, 4 * PAGE_SIZE,
				 &sh->h[R_GEN]);
	test_ioctl_device_create(IOBMD_TEST_NOT_RAM, PAGE_SIZE, &sh->h[R_DEV]);
	for (i = 0; i < NR_ROOT; i++) {
		if (i == R_PHYS) {	/* RAM by physical address */
			char old = set_unsafe_phys_ram('Y');

			ram.address = sh->page[0];
			test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &ram,
						    1, &sh->h[R_PHYS]);
			set_unsafe_phys_ram(old);
		}
		test_ioctl_prepare(sh->h[i], 0);
		ASSERT_LT(0, collect(self->fd, sh->h[i])) TH_LOG("handle %d", i);
	}
	sh->max_capacity = iobmd_max_capacity(self->fd);
	/* The scan finds a page, in and off its start, and not small words. */
	probe[0] = 0x1000;
	probe[1] = sh->page[sh->npages - 1] + 0x123;
	ASSERT_EQ(8, find_leak(probe, NULL, 16, 8));
	ASSERT_EQ(-1, find_leak(probe, NULL, 8, 8));
	ASSERT_EQ(-1, find_leak(probe, probe, 16, 8));

	ASSERT_EQ(0, pipe(c2p));
	ASSERT_EQ(0, pipe(p2c));
	sh->note[0] = 0;
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret = become_nobody(NULL, 0) ?
				  note_fail(__LINE__, errno, "drop") :
				  leak_child_create(self->fd);

		if (!ret && (write(c2p[1], &c, 1) != 1 || read(p2c[0], &c, 1) != 1))
			ret = note_fail(__LINE__, errno, "handshake");
		if (!ret)
			ret = leak_child_scan(self->fd);
		_exit(ret);
	}
	close(c2p[1]);
	close(p2c[0]);
	if (read(c2p[0], &c, 1) == 1) {
		for (i = C_BUF; i < NR_ALL; i++)
			EXPECT_LT(0, collect(self->fd, sh->h[i]))
				TH_LOG("child's handle %d", i);
		ASSERT_EQ(1, write(p2c[1], &c, 1));
	}
	close(c2p[0]);
	close(p2c[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status) TH_LOG("%s", sh->note);
	TH_LOG("%d physical pages, none seen", sh->npages);
	for (i = 0; i < NR_ROOT; i++)
		test_ioctl_release(sh->h[i]);
	munmap(area, 4 * PAGE_SIZE);
	test_held_nothing();
}

/* GET_SEGMENTS: EPERM, and neither the array nor the struct changes. */
static int segments_child(void *arg)
{
	static const __u32 flags[] = { 0, IOBMD_SEGMENTS_DMA };
	struct iobmd_segment segs[4], canary[4];
	struct iobmd_segments cmd, before;
	int i;

	CHK(!unprivilege((intptr_t)arg), "drop");
	memset(canary, 0xa5, sizeof(canary));
	for (i = 0; i < 2; i++) {
		memcpy(segs, canary, sizeof(segs));
		memset(&cmd, 0, sizeof(cmd));
		cmd.size = sizeof(cmd);
		cmd.flags = flags[i];
		cmd.handle = sh->h[0];
		cmd.count = 4;
		cmd.segs = (uintptr_t)segs;
		cmd.total = 0x1234;
		before = cmd;
		CHK(FAILS(EPERM, ioctl(sh->fd, IOBMD_GET_SEGMENTS, &cmd)),
		    "segments flags %u", flags[i]);
		CHK(!memcmp(segs, canary, sizeof(segs)), "array written");
		CHK(!memcmp(&cmd, &before, sizeof(cmd)), "struct written");
	}
	return 0;
}

TEST_F(iobmd_sec, segments_refused)
{
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 4 * PAGE_SIZE, 0, &sh->h[0]);
	test_ioctl_prepare(sh->h[0], 0);
	/*
	 * Root gets the physical segments, and ENODATA for DMA ones (no
	 * device mapping); the children get EPERM for both, first.
	 */
	ASSERT_LT(0, collect(self->fd, sh->h[0]));
	sh->fd = self->fd;
	run_child(segments_child, (void *)-1L);
	run_child(segments_child, (void *)(intptr_t)CAP_SYS_ADMIN);
	test_ioctl_release(sh->h[0]);
	test_held_nothing();
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd security pass, addresses: an unprivileged caller never sees a
 * physical or DMA address - not in any ioctl's answer, a mapping's bytes
 * or a netlink reply - and GET_SEGMENTS is refused to it (see
 * iobmd_security.h for "unprivileged").
 *
 * Runs as root, alone: every test leaves the module's counters as found.
 */
#include <linux/capability.h>

#include "iobmd_security.h"

#define TAG_VALUE	0x5a5a5a5a5a5a5a5aULL

/* --- finding physical and DMA addresses in output bytes ------------- */

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
		CHK(__o < 0, "%s: byte %ld holds 0x%llx, a physical/DMA page", \
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

/* --- no physical or DMA address reaches an unprivileged caller ------- */

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
 * of RAM by physical address, prepared, and takes their physical and DMA
 * pages;
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
			ram.address = sh->page[0];
			test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, &ram,
						    1, &sh->h[R_PHYS]);
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
	TH_LOG("%d physical/DMA pages, none seen", sh->npages);
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
	/* Root gets both kinds. */
	ASSERT_LT(0, collect(self->fd, sh->h[0]));
	sh->fd = self->fd;
	run_child(segments_child, (void *)-1L);
	run_child(segments_child, (void *)(intptr_t)CAP_SYS_ADMIN);
	test_ioctl_release(sh->h[0]);
	test_held_nothing();
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * IOBMD_IMPORT_DMABUF: descriptors over other exporters' dma-bufs, run
 * once per exporter (the fixture's variants): the dma-heap system heap,
 * the CMA heap, udmabuf (a memfd's pages), vgem (DRM PRIME) and vivid
 * (a V4L2 capture buffer, VIDIOC_EXPBUF).
 *
 * For each: kind and length, bytes written through iobmd seen in the
 * exporter's own mmap of the dma-buf and the other way, a sub-range,
 * the descriptor mapped by itself (the exporter's mapping), a multi of an
 * iobmd buffer and the foreign memory mapped as one range, an interleaved
 * descriptor over it, physical segments (root) equal to what pagemap says
 * of the exporter's mapping, a userspace prepare that only pins, closing
 * the dma-buf's file after the import, the errors and the struct-size
 * rules, the netlink counter of imported dma-bufs, and a driver's prepare
 * for its device (selftests/kapi/iobmd_dmabuf_kapi.ko), including an
 * exporter whose mapping fails.  Every test ends with the module's
 * counters and the kernel's list of dma-bufs as they were.
 *
 * selftests/kapi/iobmd_exporter.ko exports what no exporter of the kernel
 * shows on demand: memory that is not the CPU's (nocpu), and memory that
 * moves whenever nothing pins it, as a GPU's, which iobmd must hold in
 * place while it uses it, or which is refused to importers that cannot be
 * told to give it up, as iobmd (dynamic).
 *
 * Debian's 6.1 has neither dma-heaps nor udmabuf, and Debian's arm64
 * kernels no dma-heaps: there the heap variants run over vgem exports
 * (when the kernel has no /dev/dma_heap at all) and 6.1's udmabuf one over
 * vivid's, so that nothing is skipped; only the debug kernel has the CMA heap, which elsewhere is
 * replaced by the system heap.  vgem and vivid come as modules on Debian
 * (vm-run.sh --kmod vgem --kmod vivid), built in on the debug kernel.
 */
#include <dirent.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"
#include "iobmd_exporter.h"
#include "iobmd_netlink.h"
#include "iobmd_pagemap.h"
#include "iobmd_stats.h"

#define BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define FAILSLAB_DIR	"/sys/kernel/debug/failslab/"
#define VIVID_BUFS	8

/* --- exporters ---------------------------------------------------------- */

enum exp_kind { EXP_SYSTEM, EXP_CMA, EXP_UDMABUF, EXP_VGEM, EXP_VIVID };

static const char *const exp_names[] = {
	"system heap", "CMA heap", "udmabuf", "vgem", "vivid",
};

/**
 * struct exporter - where the dma-bufs of a test come from
 * @kind: the exporter in use
 * @fd: the heap, /dev/udmabuf, the vgem card or the vivid capture node
 * @vivid_next: the next vivid buffer to export
 * @memfd: udmabuf: the memfd of the last dma-buf, whose own mapping
 *	shows its pages in pagemap (the dma-buf's is a PFN map), or -1
 * @vivid_input: vivid's input as found, put back when the test is done
 * @vivid_fmt: vivid's format as found, likewise
 */
struct exporter {
	enum exp_kind kind;
	int fd;
	unsigned int vivid_next;
	int memfd;
	int vivid_input;
	struct v4l2_format vivid_fmt;
};

/* The debug kernel of `make check-debug`, which has every exporter. */
static bool kernel_debug(void)
{
	struct utsname u;

	return !uname(&u) && strstr(u.release, "iobmd-debug");
}

#define VIVID_W		640
#define VIVID_H		360

/*
 * Input 0 (the webcam) at VIVID_W x VIVID_H YUYV, what was there before
 * in @e: 0 or -errno.
 */
static int vivid_frame(int fd, struct exporter *e)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	int input = 0;

	e->vivid_fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	if (ioctl(fd, VIDIOC_G_INPUT, &e->vivid_input) ||
	    ioctl(fd, VIDIOC_G_FMT, &e->vivid_fmt))
		return -errno;
	f.fmt.pix.width = VIVID_W;
	f.fmt.pix.height = VIVID_H;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	if (ioctl(fd, VIDIOC_S_INPUT, &input) || ioctl(fd, VIDIOC_S_FMT, &f))
		return -errno;
	return f.fmt.pix.width == VIVID_W && f.fmt.pix.height == VIVID_H ?
	       0 : -EINVAL;
}

/*
 * vivid's capture node, with VIVID_BUFS MMAP buffers to export, each a
 * VIVID_W x VIVID_H frame (from 7.x on, vivid's default frame is smaller
 * than a test's 64 pages); the node as found kept in @e.
 */
static int open_vivid(struct exporter *e)
{
	char path[64];
	int i, fd;

	for (i = 0; i < 64; i++) {
		struct v4l2_requestbuffers req = {
			.count = VIVID_BUFS,
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};
		struct v4l2_capability cap = { };

		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "vivid") &&
		    cap.device_caps & V4L2_CAP_VIDEO_CAPTURE &&
		    cap.device_caps & V4L2_CAP_STREAMING &&
		    !vivid_frame(fd, e) &&
		    !ioctl(fd, VIDIOC_REQBUFS, &req) && req.count == VIVID_BUFS)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static int open_heap(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Opens the exporter @want, or where this kernel cannot have it, the one
 * that stands in for it (the file's comment): 0 or -errno.
 */
static int exporter_open(struct exporter *e, enum exp_kind want)
{
	static const char *const cma[] = { "reserved", "linux,cma",
					   "default_cma_region" };
	unsigned int i;
	int fd = -ENOENT;

	e->kind = want;
	e->vivid_next = 0;
	e->memfd = -1;
	switch (want) {
	case EXP_CMA:
		for (i = 0; i < ARRAY_SIZE(cma) && fd < 0; i++)
			fd = open_heap(cma[i]);
		if (fd >= 0 || kernel_debug())
			break;
		/* No CMA area here: the system heap stands in. */
		e->kind = EXP_SYSTEM;
		__attribute__((fallthrough));
	case EXP_SYSTEM:
		fd = open_heap("system");
		if (fd == -ENOENT && access("/dev/dma_heap", F_OK)) {
			e->kind = EXP_VGEM;
			fd = vgem_open();
		}
		break;
	case EXP_UDMABUF:
		fd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
		fd = fd < 0 ? -errno : fd;
		if (fd == -ENOENT && !iobmd_kernel_at_least(6, 2)) {
			e->kind = EXP_VIVID;
			fd = open_vivid(e);
		}
		break;
	case EXP_VGEM:
		fd = vgem_open();
		break;
	case EXP_VIVID:
		fd = open_vivid(e);
		break;
	}
	e->fd = fd;
	return fd < 0 ? fd : 0;
}

/*
 * Skips the test when exporter_open()'s answer @ret says that a module
 * the machine could load is not loaded (vgem, vivid).
 */
#define exporter_need(e, ret)                                                 \
	do {                                                                  \
		if ((ret) == -ENODEV && (e)->kind == EXP_VGEM)                \
			SKIP(return, IOBMD_NO_VGEM);                          \
		if ((ret) == -ENOENT && (e)->kind == EXP_VIVID)               \
			SKIP(return, "no vivid video capture node: "          \
			     IOBMD_NO_VIVID);                                 \
	} while (0)

static void exporter_close(struct exporter *e)
{
	if (e->memfd >= 0)
		close(e->memfd);
	/*
	 * vivid as it was found: its buffers go first (exported ones live
	 * on in their dma-bufs).
	 */
	if (e->fd >= 0 && e->kind == EXP_VIVID) {
		struct v4l2_requestbuffers req = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.memory = V4L2_MEMORY_MMAP,
		};

		if (!ioctl(e->fd, VIDIOC_REQBUFS, &req) &&
		    !ioctl(e->fd, VIDIOC_S_INPUT, &e->vivid_input))
			ioctl(e->fd, VIDIOC_S_FMT, &e->vivid_fmt);
	}
	if (e->fd >= 0)
		close(e->fd);
	e->memfd = -1;
	e->fd = -1;
}

/*
 * A new dma-buf of at least @size bytes (vivid's are the size of a
 * frame), open read-only if @rdonly: its fd, or -errno.
 */
/* The pattern of a read-only vgem dma-buf's bytes (exporter_alloc()). */
#define RDONLY_SEED	77

static int exporter_alloc(struct exporter *e, __u64 size, bool rdonly)
{
	int acc = rdonly ? O_RDONLY : O_RDWR;

	switch (e->kind) {
	case EXP_SYSTEM:
	case EXP_CMA: {
		struct dma_heap_allocation_data a = {
			.len = size,
			.fd_flags = acc | O_CLOEXEC,
		};

		return ioctl(e->fd, DMA_HEAP_IOCTL_ALLOC, &a) ? -errno :
								 (int)a.fd;
	}
	case EXP_UDMABUF: {
		struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
					    .size = size };
		int memfd, fd;

		if (rdonly)
			return -EINVAL;
		memfd = memfd_create("iobmd-udmabuf", MFD_ALLOW_SEALING);
		if (memfd < 0)
			return -errno;
		c.memfd = memfd;
		if (ftruncate(memfd, size) ||
		    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
			fd = -errno;
		else
			fd = ioctl(e->fd, UDMABUF_CREATE, &c);
		if (fd < 0 && fd != -errno)
			fd = -errno;
		if (e->memfd >= 0)
			close(e->memfd);
		e->memfd = memfd;
		return fd;
	}
	case EXP_VGEM: {
		struct drm_mode_create_dumb d = {
			.width = 1024,
			.bpp = 32,
			.height = (size + 4095) / 4096,
		};
		struct drm_prime_handle p = { .flags = DRM_CLOEXEC };
		struct drm_gem_close gc = { };
		int ret;

		void *map;

		if (ioctl(e->fd, DRM_IOCTL_MODE_CREATE_DUMB, &d))
			return -errno;
		p.handle = d.handle;
		if (!rdonly)
			p.flags |= DRM_RDWR;
		/* What nobody may write afterwards: a pattern, not zeroes. */
		map = rdonly ? vgem_mmap(e->fd, d.handle, d.size, PROT_WRITE) :
			       NULL;
		if (map == MAP_FAILED) {
			ret = -errno;
		} else {
			if (map) {
				iobmd_fill_pattern(map, d.size, 0,
						   RDONLY_SEED);
				munmap(map, d.size);
			}
			ret = ioctl(e->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p) ?
				-errno : p.fd;
		}
		/* The dma-buf holds the object. */
		gc.handle = d.handle;
		ioctl(e->fd, DRM_IOCTL_GEM_CLOSE, &gc);
		return ret;
	}
	case EXP_VIVID: {
		struct v4l2_exportbuffer x = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
			.flags = acc | O_CLOEXEC,
		};

		if (e->vivid_next == VIVID_BUFS)
			return -ENOSPC;
		x.index = e->vivid_next++;
		return ioctl(e->fd, VIDIOC_EXPBUF, &x) ? -errno : (int)x.fd;
	}
	}
	return -EINVAL;
}

/* The number of dma-bufs the kernel has ("Total N objects"), or -1. */
static long dmabufs_alive(void)
{
	char line[256];
	long n = -1;
	FILE *f;

	f = fopen(BUFINFO, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "Total %ld objects", &n);
	fclose(f);
	return n;
}

/* --- the netlink counter --------------------------------------------------- */

struct nl_msg {
	struct nlmsghdr h;
	struct genlmsghdr g;
	char a[512];
};

/* One request on a generic netlink socket; the answer in @ans. */
static int nl_ask(int fd, __u16 type, __u8 cmd, const void *attr,
		  size_t alen, struct nl_msg *ans, size_t room)
{
	struct nl_msg req;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + alen);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = cmd;
	req.g.version = 1;
	memcpy(req.a, attr, alen);
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, ans, room, 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(&ans->h, n) || ans->h.nlmsg_type == NLMSG_ERROR)
		return -EPROTO;
	return 0;
}

/* Attribute @type (a u16 or u64) of @m, or -1. */
static long long nl_attr(const struct nl_msg *m, int type)
{
	const char *p = (const char *)m + NLMSG_LENGTH(GENL_HDRLEN);
	int len = m->h.nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	const struct nlattr *a = (const void *)p;
	__u64 v64;
	__u16 v16;

	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) != type)
			continue;
		if (a->nla_len == NLA_HDRLEN + 8) {
			memcpy(&v64, a + 1, 8);
			return v64;
		}
		memcpy(&v16, a + 1, 2);
		return v16;
	}
	return -1;
}

/* IOBMD_A_STATS_DMABUFS from GET_STATS (as root), or -1. */
static long long nl_stat_dmabufs(void)
{
	static __u64 buf[1024];
	struct nl_msg *ans = (void *)buf;
	struct {
		struct nlattr a;
		char name[8];
	} fam = { { NLA_HDRLEN + sizeof(IOBMD_GENL_NAME),
		    CTRL_ATTR_FAMILY_NAME }, IOBMD_GENL_NAME };
	long long id, v = -1;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	if (!nl_ask(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, &fam,
		    NLA_ALIGN(fam.a.nla_len), ans, sizeof(buf))) {
		id = nl_attr(ans, CTRL_ATTR_FAMILY_ID);
		if (id > 0 && !nl_ask(fd, id, IOBMD_CMD_GET_STATS, NULL, 0,
				      ans, sizeof(buf)))
			v = nl_attr(ans, IOBMD_A_STATS_DMABUFS);
	}
	close(fd);
	return v;
}

/* --- the fixture ------------------------------------------------------- */

FIXTURE(import)
{
	int fd;
	struct exporter e;
	struct iobmd_test_stats before;
	long dmabufs;
};

FIXTURE_VARIANT(import)
{
	enum exp_kind kind;
};

FIXTURE_VARIANT_ADD(import, system_heap) { .kind = EXP_SYSTEM };
FIXTURE_VARIANT_ADD(import, cma_heap) { .kind = EXP_CMA };
FIXTURE_VARIANT_ADD(import, udmabuf) { .kind = EXP_UDMABUF };
FIXTURE_VARIANT_ADD(import, vgem) { .kind = EXP_VGEM };
FIXTURE_VARIANT_ADD(import, vivid) { .kind = EXP_VIVID };

FIXTURE_SETUP(import)
{
	int ret;

	self->e.fd = -1;
	self->e.memfd = -1;
	exporter_unload_leftovers();
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&self->before));
	self->dmabufs = dmabufs_alive();
	ASSERT_LE(0, self->dmabufs) TH_LOG("cannot read %s", BUFINFO);
	ret = exporter_open(&self->e, variant->kind);
	exporter_need(&self->e, ret);
	ASSERT_EQ(0, ret)
		TH_LOG("no %s in this kernel", exp_names[variant->kind]);
	if (self->e.kind != variant->kind)
		TH_LOG("this kernel has no %s: %s stands in",
		       exp_names[variant->kind], exp_names[self->e.kind]);
}

FIXTURE_TEARDOWN(import)
{
	if (self->fd != -1)
		close(self->fd);
	exporter_close(&self->e);
	/* The descriptors and every dma-buf the test made are gone. */
	EXPECT_STREQ("", iobmd_stats_changed(&self->before));
	EXPECT_EQ(self->dmabufs, dmabufs_alive());
}

/* A dma-buf of @size of the test's exporter, its size in *@len. */
#define test_alloc(size, len_p)                                               \
	({                                                                    \
		int __fd = exporter_alloc(&self->e, size, false);             \
		ASSERT_LE(0, __fd) TH_LOG("%s: %s", exp_names[self->e.kind],  \
					  strerror(-__fd));                   \
		*(len_p) = dmabuf_size(__fd);                                 \
		ASSERT_LE(size, *(len_p));                                    \
		ASSERT_EQ(0, *(len_p) % PAGE_SIZE);                           \
		__fd;                                                         \
	})

/* The exporter's own shared mapping of a dma-buf. */
#define test_exp_mmap(dfd, len)                                               \
	({                                                                    \
		__u8 *__p = mmap(NULL, len, PROT_READ | PROT_WRITE,           \
				 MAP_SHARED, dfd, 0);                         \
		ASSERT_NE(MAP_FAILED, __p) TH_LOG("%s", strerror(errno));     \
		__p;                                                          \
	})

/* Bytes [@off, @off + @n) of the dma-buf, read through @map. */
#define test_exp_read(dfd, map, off, buf, n)                                  \
	({                                                                    \
		ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START |            \
						  DMA_BUF_SYNC_RW));          \
		memcpy(buf, (map) + (off), n);                                \
		ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END |              \
						  DMA_BUF_SYNC_RW));          \
	})

#define test_exp_write(dfd, map, off, buf, n)                                 \
	({                                                                    \
		ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START |            \
						  DMA_BUF_SYNC_RW));          \
		memcpy((map) + (off), buf, n);                                \
		ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END |              \
						  DMA_BUF_SYNC_RW));          \
	})

TEST_F(import, info)
{
	struct iobmd_info info;
	__u32 h[4], dir;
	long long before = nl_stat_dmabufs();
	__u64 len;
	int dfd;

	ASSERT_LE(0, before);
	dfd = test_alloc(16 * PAGE_SIZE, &len);
	for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++) {
		test_ioctl_import(dfd, dir, &h[dir]);
		test_ioctl_get_info(h[dir], &info);
		EXPECT_EQ(IOBMD_KIND_DMABUF, info.kind);
		EXPECT_EQ(len, info.length);
		EXPECT_EQ(len, info.capacity);
		EXPECT_EQ(dir, info.direction);
		EXPECT_EQ(1, info.alignment);
		EXPECT_EQ(0, info.options);
		EXPECT_EQ(0, info.phys_mask);
		EXPECT_EQ(0, info.tag);
	}
	/* Each import is one more descriptor over a dma-buf. */
	EXPECT_EQ(before + 4, nl_stat_dmabufs());
	for (dir = 0; dir <= IOBMD_DIRECTION_MASK; dir++)
		test_ioctl_release(h[dir]);
	EXPECT_EQ(before, nl_stat_dmabufs());
	close(dfd);
}

TEST_F(import, bytes)
{
	__u8 *map, *want, *got;
	__u64 len, off;
	__u32 h;
	int dfd;

	dfd = test_alloc(16 * PAGE_SIZE, &len);
	map = test_exp_mmap(dfd, len);
	want = malloc(len);
	got = malloc(len);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);

	/* iobmd writes, the exporter's mapping reads. */
	iobmd_fill_pattern(want, len, 0, 11);
	test_ioctl_write(h, 0, want, len);
	test_exp_read(dfd, map, 0, got, len);
	ASSERT_EQ(len, iobmd_check_pattern(got, len, 0, 11));

	/* The exporter's mapping writes, iobmd reads, at odd offsets. */
	off = PAGE_SIZE - 77;
	iobmd_fill_pattern(want, 3 * PAGE_SIZE + 5, off, 12);
	test_exp_write(dfd, map, off, want, 3 * PAGE_SIZE + 5);
	memset(got, 0, len);
	test_ioctl_read(h, off, got, 3 * PAGE_SIZE + 5);
	ASSERT_EQ(3 * PAGE_SIZE + 5,
		  iobmd_check_pattern(got, 3 * PAGE_SIZE + 5, off, 12));
	/* The rest is as iobmd wrote it. */
	test_ioctl_read(h, 0, got, off);
	ASSERT_EQ(off, iobmd_check_pattern(got, off, 0, 11));

	/* One byte at each end; nothing beyond. */
	test_ioctl_write(h, len - 1, "z", 1);
	test_exp_read(dfd, map, len - 1, got, 1);
	EXPECT_EQ('z', got[0]);
	test_err_read(ERANGE, h, len - 1, got, 2);
	test_err_write(ERANGE, h, len, got, 1);

	test_ioctl_release(h);
	munmap(map, len);
	close(dfd);
	free(want);
	free(got);
}

TEST_F(import, sub)
{
	__u8 buf[3 * 4096], back[3 * 4096];
	__u64 len, off = PAGE_SIZE + 100, n = 2 * PAGE_SIZE;
	struct iobmd_info info;
	__u32 h, s;
	__u8 *map;
	int dfd;

	ASSERT_GE(sizeof(buf), n);
	dfd = test_alloc(8 * PAGE_SIZE, &len);
	map = test_exp_mmap(dfd, len);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	test_ioctl_sub_create(h, IOBMD_DIRECTION_INOUT, off, n, &s);
	test_ioctl_get_info(s, &info);
	EXPECT_EQ(IOBMD_KIND_SUB, info.kind);
	EXPECT_EQ(n, info.length);

	iobmd_fill_pattern(buf, n, 0, 21);
	test_ioctl_write(s, 0, buf, n);
	test_exp_read(dfd, map, off, back, n);
	ASSERT_EQ(n, iobmd_check_pattern(back, n, 0, 21));

	iobmd_fill_pattern(buf, n, 0, 22);
	test_exp_write(dfd, map, off, buf, n);
	test_ioctl_read(s, 0, back, n);
	ASSERT_EQ(n, iobmd_check_pattern(back, n, 0, 22));
	test_err_sub_create(ERANGE, h, 0, len - 10, 11);

	/* The sub holds the import: released first, it still reads. */
	test_ioctl_release(h);
	test_ioctl_read(s, 10, back, 20);
	ASSERT_EQ(20, iobmd_check_pattern(back, 20, 10, 22));
	test_ioctl_release(s);
	munmap(map, len);
	close(dfd);
}

/* Whether the mapping at @addr is a dma-buf's (in /proc/self/maps). */
static bool mapped_from_dmabuf(const void *addr)
{
	unsigned long a = (unsigned long)addr, start, end;
	char line[512];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    a >= start && a < end)
			found = strstr(line, "dmabuf") && !strstr(line, "iobmd");
	fclose(f);
	return found;
}

TEST_F(import, map_alone)
{
	long long maps = iobmd_stat("mappings");
	__u8 *map, *mine, back[64];
	__u64 len, cookie;
	__u32 h;
	int dfd;

	dfd = test_alloc(8 * PAGE_SIZE, &len);
	map = test_exp_mmap(dfd, len);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	test_ioctl_map(h, 0, 0, 0, &cookie);
	mine = iobmd_mmap(self->fd, cookie, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, mine) TH_LOG("%s", strerror(errno));
	/* The exporter's own mapping: its file, not /dev/iobmd's. */
	EXPECT_TRUE(mapped_from_dmabuf(mine));
	EXPECT_EQ(maps, iobmd_stat("mappings"));

	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	memcpy(mine + len - 40, "through iobmd's mapping", 24);
	memcpy(map + 100, "through the exporter's", 23);
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	test_ioctl_read(h, len - 40, back, 24);
	EXPECT_STREQ("through iobmd's mapping", (char *)back);
	test_exp_read(dfd, mine, 100, back, 23);
	EXPECT_STREQ("through the exporter's", (char *)back);

	/* The mapping holds the dma-buf, not the descriptor. */
	test_ioctl_release(h);
	close(dfd);
	EXPECT_EQ(0, memcmp(mine + 100, "through the exporter's", 23));
	munmap(mine, len);
	munmap(map, len);
}

/*
 * @cookie maps only read-only: not writable (EACCES), readable, and the
 * mapping cannot be made writable afterwards.
 */
#define test_map_readonly(cookie, len)                                        \
	({                                                                    \
		void *__p = iobmd_mmap(self->fd, cookie, len,                 \
				       PROT_READ | PROT_WRITE);               \
		EXPECT_EQ(MAP_FAILED, __p);                                   \
		EXPECT_EQ(EACCES, errno);                                     \
		__p = iobmd_mmap(self->fd, cookie, len, PROT_READ);           \
		ASSERT_NE(MAP_FAILED, __p);                                   \
		EXPECT_EQ(-1, mprotect(__p, len, PROT_READ | PROT_WRITE));    \
		munmap(__p, len);                                             \
	})

TEST_F(import, map_refusals)
{
	__u64 len, cookie;
	__u32 h;
	void *p;
	int dfd;

	dfd = test_alloc(4 * PAGE_SIZE, &len);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	/* The exporter's mapping has the exporter's cache mode. */
	test_ioctl_map(h, IOBMD_CACHE_WRITE_COMBINE, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, len, PROT_READ);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* A read-only cookie maps read-only. */
	test_ioctl_map(h, IOBMD_MAP_READONLY, 0, 0, &cookie);
	test_map_readonly(cookie, len);
	/* Not beyond the dma-buf. */
	test_err_map(ERANGE, h, 0, len, PAGE_SIZE);
	test_ioctl_map(h, 0, 0, 0, &cookie);
	p = mmap(NULL, len + PAGE_SIZE, PROT_READ, MAP_SHARED, self->fd,
		 cookie);
	EXPECT_EQ(MAP_FAILED, p);
	test_ioctl_release(h);
	close(dfd);
}

TEST_F(import, multi_map)
{
	__u64 len, cookie, total, bl = 3 * PAGE_SIZE;
	long long maps = iobmd_stat("mappings");
	__u8 *map, *mine, *b;
	__u32 p[2], m;
	int dfd;

	dfd = test_alloc(8 * PAGE_SIZE, &len);
	map = test_exp_mmap(dfd, len);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, bl, 0, &p[0]);
	b = malloc(bl + len);
	ASSERT_NE(NULL, b);
	iobmd_fill_pattern(b, bl, 0, 31);
	test_ioctl_write(p[0], 0, b, bl);
	iobmd_fill_pattern(b, len, 0, 32);
	test_exp_write(dfd, map, 0, b, len);

	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &p[1]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 2, &m);
	total = bl + len;
	test_ioctl_map(m, 0, 0, 0, &cookie);
	mine = iobmd_mmap(self->fd, cookie, total, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, mine) TH_LOG("%s", strerror(errno));
	EXPECT_FALSE(mapped_from_dmabuf(mine));
	EXPECT_EQ(maps + 1, iobmd_stat("mappings"));

	/* One range: the iobmd buffer, then the exporter's memory. */
	ASSERT_EQ(bl, iobmd_check_pattern(mine, bl, 0, 31));
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	ASSERT_EQ(len, iobmd_check_pattern(mine + bl, len, 0, 32));
	/* Written through it, across the pieces' boundary. */
	iobmd_fill_pattern(b, 2 * PAGE_SIZE, bl - PAGE_SIZE, 33);
	memcpy(mine + bl - PAGE_SIZE, b, 2 * PAGE_SIZE);
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	test_exp_read(dfd, map, 0, b, PAGE_SIZE);
	ASSERT_EQ(PAGE_SIZE, iobmd_check_pattern(b, PAGE_SIZE, bl, 33));
	test_ioctl_read(p[0], bl - PAGE_SIZE, b, PAGE_SIZE);
	ASSERT_EQ(PAGE_SIZE,
		  iobmd_check_pattern(b, PAGE_SIZE, bl - PAGE_SIZE, 33));
	/* And the exporter's writes show in it. */
	test_exp_write(dfd, map, len - 5, "tail", 5);
	EXPECT_STREQ("tail", (char *)mine + total - 5);

	/* The mapping holds what it maps. */
	test_ioctl_release(m);
	test_ioctl_release(p[1]);
	close(dfd);
	EXPECT_STREQ("tail", (char *)mine + total - 5);
	munmap(mine, total);
	EXPECT_EQ(maps, iobmd_stat("mappings"));
	test_ioctl_release(p[0]);
	munmap(map, len);
	free(b);
}

#ifdef __x86_64__
/*
 * On x86 a page of RAM has one memory type, which its owner sets: vgem's
 * pages are write-combining while it holds them (for a GPU that does not
 * snoop), the other exporters' write-back.  A second mapping of another
 * type would be an alias the CPU does not keep coherent.  The foreign part
 * of a multi's mapping, which maps by frame number, has the type the
 * exporter gave its pages, as the exporter's own mapping does where it
 * maps by frame number too, and iobmd's buffer its own (write-back); so
 * does a multi of the import alone, which is its whole mapping.  The
 * kernel's PAT code says nothing about it: mapping it asked for no type
 * the pages do not have (before, it warned at each mmap of a whole
 * mapping of write-combining pages, as asked for write-back).
 */
TEST_F(import, foreign_pages_keep_their_memory_type)
{
	const char *want = self->e.kind == EXP_VGEM ? "wc" : "wb";
	__u64 len, cookie, bl = PAGE_SIZE;
	__u8 *map, *mine, *alone, *b;
	char own[8] = "", pid[16];
	__u32 p[2], m, a;
	int dfd, kmsg;

	/* The kernel lists memory types where it has PAT. */
	if (access("/sys/kernel/debug/x86/pat_memtype_list", F_OK))
		SKIP(return, "x86 without PAT: one memory type for all RAM");
	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	kmsg = iobmd_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	/* One page: the mapping of the multi of it alone is one range. */
	dfd = test_alloc(PAGE_SIZE, &len);
	map = test_exp_mmap(dfd, len);
	b = malloc(bl + len);
	ASSERT_NE(NULL, b);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, bl, 0, &p[0]);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &p[1]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 2, &m);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, &p[1], 1, &a);
	test_ioctl_read(m, 0, b, bl + len);

	/* Each mapping read whole first: every page of it is mapped. */
	EXPECT_EQ(0, memcmp(map, b + bl, len));
	/* Where the exporter maps by frame number too. */
	if (!dmabuf_kapi_cachemode(map, own, sizeof(own)))
		EXPECT_STREQ(want, own) TH_LOG("the exporter's own mapping");

	test_ioctl_map(m, 0, 0, 0, &cookie);
	mine = iobmd_mmap(self->fd, cookie, bl + len, PROT_READ);
	ASSERT_NE(MAP_FAILED, mine) TH_LOG("%s", strerror(errno));
	EXPECT_FALSE(mapped_from_dmabuf(mine));
	EXPECT_EQ(0, memcmp(mine, b, bl + len));
	test_pte_cachemode(mine, "wb");
	test_pte_cachemode(mine + bl, want);
	test_pte_cachemode(mine + bl + len - 1, want);

	test_ioctl_map(a, 0, 0, 0, &cookie);
	alone = iobmd_mmap(self->fd, cookie, len, PROT_READ);
	ASSERT_NE(MAP_FAILED, alone) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(alone, b + bl, len));
	test_pte_cachemode(alone, want);
	snprintf(pid, sizeof(pid), ":%d ", getpid());
	EXPECT_EQ(0, iobmd_kmsg_count(kmsg, "x86/PAT", pid));

	EXPECT_EQ(0, munmap(alone, len));
	EXPECT_EQ(0, munmap(mine, bl + len));
	EXPECT_EQ(0, munmap(map, len));
	test_ioctl_release(a);
	test_ioctl_release(m);
	test_ioctl_release(p[1]);
	test_ioctl_release(p[0]);
	free(b);
	close(dfd);
	close(kmsg);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
}
#endif

TEST_F(import, interleaved)
{
	__u8 exp_bytes[4 * 4096], want[600], got[600];
	__u64 len;
	__u32 h, b, il;
	int dfd;

	dfd = test_alloc(4 * PAGE_SIZE, &len);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	iobmd_fill_pattern(exp_bytes, sizeof(exp_bytes), 0, 41);
	test_ioctl_write(h, 0, exp_bytes, sizeof(exp_bytes));
	iobmd_fill_pattern(want, 100, 5, 42);
	test_ioctl_write(b, 5, want, 100);

	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 4, &il);
	test_ioctl_interleaved_set(il, h, PAGE_SIZE + 7, 300);
	test_ioctl_interleaved_set(il, b, 5, 100);
	test_ioctl_interleaved_set(il, h, 0, 50);
	test_ioctl_read(il, 0, got, 450);
	memcpy(want, exp_bytes + PAGE_SIZE + 7, 300);
	iobmd_fill_pattern(want + 300, 100, 5, 42);
	memcpy(want + 400, exp_bytes, 50);
	ASSERT_EQ(0, memcmp(want, got, 450));

	/* Written through it, the pieces change. */
	memset(got, 0xa5, 450);
	test_ioctl_write(il, 290, got, 120);
	test_ioctl_read(h, PAGE_SIZE + 7 + 290, want, 10);
	EXPECT_EQ(10, iobmd_check_bytes(want, 10, 0xa5));
	test_ioctl_read(h, 0, want, 10);
	EXPECT_EQ(10, iobmd_check_bytes(want, 10, 0xa5));
	test_ioctl_read(h, 10, want, 1);
	EXPECT_EQ(exp_bytes[10], want[0]);

	test_ioctl_release(il);
	test_ioctl_release(b);
	test_ioctl_release(h);
	close(dfd);
}

/* The address segments @segs give byte @off, or 0. */
static __u64 seg_addr(const struct iobmd_segment *segs, __u32 n, __u64 off)
{
	__u32 i;

	for (i = 0; i < n; i++) {
		if (off < segs[i].len)
			return segs[i].addr + off;
		off -= segs[i].len;
	}
	return 0;
}

/* Each page of [@off, @off + @len) of @map: as pagemap says, as @segs say. */
#define test_segs_pagemap(map, off, len, segs, n)                             \
	({                                                                    \
		__u64 __p;                                                    \
		for (__p = 0; __p < (len); __p += PAGE_SIZE) {                \
			__u64 __phys = pagemap_phys((map) + (off) + __p);     \
			ASSERT_NE(0, __phys) TH_LOG("page %llu",              \
						    (off + __p) / PAGE_SIZE); \
			ASSERT_EQ(__phys, seg_addr(segs, n, __p))             \
				TH_LOG("page %llu", (off + __p) / PAGE_SIZE); \
		}                                                             \
	})

/*
 * The RAM @segs name holds the dma-buf's bytes (pattern @seed): read
 * through a descriptor of that physical RAM (unsafe_phys_ram=1), which
 * holds a reference on each page it names.
 */
#define test_segs_content(segs, nsegs, bytes, seed)                           \
	({                                                                    \
		struct iobmd_range *__r = calloc(nsegs, sizeof(*__r));        \
		__u8 *__b = malloc(bytes);                                    \
		__u32 __i, __g;                                               \
		ASSERT_NE(NULL, __r);                                         \
		ASSERT_NE(NULL, __b);                                         \
		for (__i = 0; __i < (nsegs); __i++) {                         \
			__r[__i].address = (segs)[__i].addr;                  \
			__r[__i].length = (segs)[__i].len;                    \
		}                                                             \
		test_ioctl_general_physical(IOBMD_DIRECTION_INOUT, __r,       \
					    nsegs, &__g);                     \
		test_ioctl_read(__g, 0, __b, bytes);                          \
		EXPECT_EQ(bytes, iobmd_check_pattern(__b, bytes, 0, seed));   \
		test_ioctl_release(__g);                                      \
		free(__b);                                                    \
		free(__r);                                                    \
	})

TEST_F(import, physical)
{
	struct iobmd_segment *segs, *sub;
	__u64 len, p, sum = 0;
	__u8 *map, *pat;
	__u32 h, s, n, ns, i;
	int dfd;

	IOBMD_NEED_PHYS_RAM();

	dfd = test_alloc(64 * PAGE_SIZE, &len);
	pat = malloc(len);
	ASSERT_NE(NULL, pat);
	iobmd_fill_pattern(pat, len, 0, 61);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	test_ioctl_write(h, 0, pat, len);

	test_get_all_segments(h, 0, 0, &segs, &n);
	for (i = 0; i < n; i++)
		sum += segs[i].len;
	ASSERT_EQ(len, sum);
	TH_LOG("%s: %u segments over %llu pages", exp_names[self->e.kind], n,
	       len / PAGE_SIZE);
	/* They name the exporter's memory. */
	test_segs_content(segs, n, len, 61);
	/*
	 * And they are what pagemap says of a mapping with pages: vivid's
	 * own, udmabuf's memfd's (the heaps' and vgem's are PFN maps,
	 * which pagemap does not show).
	 */
	if (self->e.kind == EXP_VIVID || self->e.kind == EXP_UDMABUF) {
		int mfd = self->e.kind == EXP_VIVID ? dfd : self->e.memfd;

		map = mmap(NULL, len, PROT_READ, MAP_SHARED, mfd, 0);
		ASSERT_NE(MAP_FAILED, map);
		for (p = 0; p < len; p += PAGE_SIZE)
			ASSERT_EQ(pat[p], map[p]);
		test_segs_pagemap(map, 0, len, segs, n);
		munmap(map, len);
	}
	/* A sub-range's are the same pages. */
	test_ioctl_sub_create(h, 0, 3 * PAGE_SIZE + 5, len - 4 * PAGE_SIZE,
			      &s);
	test_get_all_segments(s, 0, 0, &sub, &ns);
	for (p = 0; p < len - 4 * PAGE_SIZE; p += PAGE_SIZE / 4)
		ASSERT_EQ(seg_addr(segs, n, 3 * PAGE_SIZE + 5 + p),
			  seg_addr(sub, ns, p));
	free(sub);
	free(segs);
	/* No DMA addresses without a driver's device. */
	test_err_get_dma_segments(ENODATA, h, 0, 0);
	test_ioctl_release(s);
	test_ioctl_release(h);
	free(pat);
	close(dfd);
}

/*
 * Physical addresses come from the DMA addresses of iobmd's own device
 * only while the DMA API maps it directly.  DMA operations (as Xen PV or
 * the AMD GART give every device on x86; the kapi module's here, which
 * map 1:1 though iobmd cannot know it) make the import's physical
 * segments EOPNOTSUPP, with nothing attached.  Kernels without DMA
 * operations (the debug kernel's) cannot give a device any.
 */
TEST_F(import, physical_only_where_dma_is_direct)
{
	struct iobmd_segment *segs;
	struct dmabuf_info info;
	__u32 h, n, count = 0;
	int dfd, ret, attached;
	__u64 len;

	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	dfd = test_alloc(4 * PAGE_SIZE, &len);
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	attached = info.attached;
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	ret = iobmd_write_file(DMABUF_KAPI_DIR "iobmd_dma_ops", "1");
	if (ret == -EOPNOTSUPP) {
		TH_LOG("this kernel has no DMA operations");
	} else {
		EXPECT_EQ(0, ret);
		ret = _test_ioctl_get_segments(self->fd, h, 0, 0, NULL,
					       &count, NULL);
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EOPNOTSUPP, errno);
		EXPECT_EQ(0, dmabuf_bufinfo(dfd, &info));
		EXPECT_EQ(attached, info.attached);
		EXPECT_EQ(0, iobmd_write_file(DMABUF_KAPI_DIR "iobmd_dma_ops", "0"));
	}
	/* Direct again: the segments are given. */
	test_get_all_segments(h, 0, 0, &segs, &n);
	EXPECT_LT(0, n);
	free(segs);
	test_ioctl_release(h);
	close(dfd);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
}

TEST_F(import, prepare)
{
	long long prepares = iobmd_stat("prepares");
	struct iobmd_segment *segs;
	__u64 len;
	__u32 h, n;
	int dfd;

	dfd = test_alloc(4 * PAGE_SIZE, &len);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	EXPECT_FALSE(test_is_prepared(h));
	/* A userspace prepare pins: no device, no DMA addresses. */
	test_ioctl_prepare(h, IOBMD_DIRECTION_INOUT);
	EXPECT_TRUE(test_is_prepared(h));
	EXPECT_EQ(prepares + 1, iobmd_stat("prepares"));
	test_get_all_segments(h, 0, 0, &segs, &n);
	free(segs);
	test_ioctl_perform(h, IOBMD_OP_FLUSH, 0, len);
	test_ioctl_perform(h, IOBMD_OP_INVALIDATE, 0, len);
	test_ioctl_complete(h, 0);
	EXPECT_FALSE(test_is_prepared(h));
	/* Placed by another exporter, not below 4 GiB by iobmd. */
	test_err_prepare(ERANGE, h, IOBMD_DIRECTION_OUT | IOBMD_PREPARE_PHYS32);
	EXPECT_FALSE(test_is_prepared(h));
	/* Prepared when the handle goes: completed with it. */
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	test_ioctl_release(h);
	EXPECT_EQ(prepares, iobmd_stat("prepares"));
	close(dfd);
}

TEST_F(import, not_exported_again)
{
	long long exports = iobmd_stat("exports");
	__u64 len;
	__u32 p[2], m;
	int dfd, e;

	dfd = test_alloc(4 * PAGE_SIZE, &len);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &p[1]);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &p[0]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, p, 2, &m);
	/* Another exporter's memory, alone or with iobmd's, stays its. */
	EXPECT_ERRNO(EINVAL, _test_export(self->fd, p[1], 0, 0, O_RDWR, &e));
	EXPECT_ERRNO(EINVAL, _test_export(self->fd, m, 0, 0, O_RDWR, &e));
	EXPECT_ERRNO(EINVAL, _test_export(self->fd, m, PAGE_SIZE, 0, O_RDWR,
					  &e));
	/* iobmd's part alone may go. */
	ASSERT_EQ(0, _test_export(self->fd, m, 0, PAGE_SIZE, O_RDWR, &e));
	EXPECT_EQ(exports + 1, iobmd_stat("exports"));
	close(e);
	EXPECT_EQ(exports, iobmd_stat("exports"));
	test_ioctl_release(m);
	test_ioctl_release(p[0]);
	test_ioctl_release(p[1]);
	close(dfd);
}

TEST_F(import, close_dmabuf_first)
{
	long alive = dmabufs_alive();
	__u8 buf[256], back[256];
	__u64 len;
	__u32 h, h2;
	int dfd;

	dfd = test_alloc(4 * PAGE_SIZE, &len);
	EXPECT_EQ(alive + 1, dmabufs_alive());
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h2);
	/* The descriptors keep the dma-buf. */
	close(dfd);
	EXPECT_EQ(alive + 1, dmabufs_alive());
	iobmd_fill_pattern(buf, sizeof(buf), 0, 51);
	test_ioctl_write(h, len - sizeof(buf), buf, sizeof(buf));
	test_ioctl_read(h2, len - sizeof(buf), back, sizeof(back));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));
	test_ioctl_release(h);
	EXPECT_EQ(alive + 1, dmabufs_alive());
	test_ioctl_read(h2, 0, back, 1);
	/* The last one gone, so is the dma-buf. */
	test_ioctl_release(h2);
	EXPECT_EQ(alive, dmabufs_alive());

	/* Closing /dev/iobmd releases the import too. */
	dfd = test_alloc(4 * PAGE_SIZE, &len);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	close(dfd);
	EXPECT_EQ(alive + 1, dmabufs_alive());
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(alive, dmabufs_alive());
}

TEST_F(import, errors)
{
	long long descs = iobmd_stat("descriptors");
	char path[] = "/tmp/iobmd-import-XXXXXX";
	__u64 len;
	int dfd, memfd, tmp;

	dfd = test_alloc(PAGE_SIZE, &len);
	/* Not a dma-buf, or no file at all. */
	test_err_import(EBADF, 0, self->fd, 0, 0);
	memfd = memfd_create("iobmd-not-a-dmabuf", 0);
	ASSERT_LE(0, memfd);
	test_err_import(EBADF, 0, memfd, 0, 0);
	tmp = mkstemp(path);
	ASSERT_LE(0, tmp);
	unlink(path);
	test_err_import(EBADF, 0, tmp, 0, 0);
	close(tmp);
	test_err_import(EBADF, 0, tmp, 0, 0);
	test_err_import(EBADF, 0, -1, 0, 0);
	test_err_import(EBADF, 0, 1 << 30, 0, 0);
	/* Flags, reserved and direction: one wrong at a time. */
	test_err_import(EINVAL, 1, dfd, 0, 0);
	test_err_import(EINVAL, 0x80000000, dfd, 0, 0);
	test_err_import(EINVAL, 0, dfd, 0, 1);
	test_err_import(EINVAL, 0, dfd, IOBMD_DIRECTION_MASK + 1, 0);
	test_err_import(EINVAL, 0, dfd, 0x80000000, 0);
	/* A read-only struct fails before anything is made. */
	{
		struct iobmd_import_dmabuf *ro;

		ro = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, ro);
		ro->size = sizeof(*ro);
		ro->fd = dfd;
		ASSERT_EQ(0, mprotect(ro, PAGE_SIZE, PROT_READ));
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOBMD_IMPORT_DMABUF, ro));
		EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOBMD_IMPORT_DMABUF,
					   NULL));
		munmap(ro, PAGE_SIZE);
	}
	EXPECT_EQ(descs, iobmd_stat("descriptors"));
	close(memfd);
	close(dfd);
}

TEST_F(import, struct_size)
{
	const __u32 sz = sizeof(struct iobmd_import_dmabuf);
	struct {
		struct iobmd_import_dmabuf cmd;
		__u8 tail[8];
	} big;
	__u64 len;
	__u32 h;
	int dfd;

	dfd = test_alloc(PAGE_SIZE, &len);
	/* One byte short. */
	EXPECT_ERRNO(EINVAL, _test_ioctl_import(self->fd, sz - 1, 0, dfd, 0,
						0, NULL));
	EXPECT_ERRNO(EINVAL, _test_ioctl_import(self->fd, 0, 0, dfd, 0, 0,
						NULL));
	/* One byte long and zero: works. */
	ASSERT_EQ(0, _test_ioctl_import(self->fd, sz + 1, 0, dfd, 0, 0, &h));
	test_ioctl_release(h);
	ASSERT_EQ(0, _test_ioctl_import(self->fd, sz + 8, 0, dfd, 0, 0, &h));
	test_ioctl_release(h);
	/* One byte long and not zero: E2BIG. */
	memset(&big, 0, sizeof(big));
	big.cmd.size = sz + 1;
	big.cmd.fd = dfd;
	big.tail[0] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_IMPORT_DMABUF, &big));
	/* More than a page, whatever the bytes. */
	big.tail[0] = 0;
	big.cmd.size = PAGE_SIZE + 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_IMPORT_DMABUF, &big));
	close(dfd);
}

/* --- a driver's view (selftests/kapi/iobmd_dmabuf_kapi.ko) --------------- */

/* failslab set to fail sleeping allocations to fail-nth (debug kernel). */
static const char *const failslab_knobs[][2] = {
	{ FAILSLAB_DIR "probability", "0" },
	{ FAILSLAB_DIR "verbose", "1" },
	{ FAILSLAB_DIR "task-filter", "Y" },
	{ FAILSLAB_DIR "ignore-gfp-wait", "N" },
	{ FAILSLAB_DIR "cache-filter", "N" },
};

#define FAILSLAB_NR	ARRAY_SIZE(failslab_knobs)

/*
 * The module's checks of each command, at least: a path that ends early
 * without a failed check (an import taken for read-only) must not pass.
 * "fail" makes 3 where the kernel lets a device have DMA operations of
 * the module's, 4 with fault injection instead.
 */
#define KAPI_IMPORT_CHECKS	35
#define KAPI_FAIL_CHECKS	3
#define KAPI_REFUSED_CHECKS	9

/*
 * Runs @cmd on @dfd in the module; its TAP lines, all "ok", at least
 * @checks of them.
 */
#define test_kapi(cmd, dfd, checks)                                           \
	({                                                                    \
		char __c[32], __line[256];                                    \
		int __ok = 0, __bad = 0, __plan = -1;                         \
		FILE *__f;                                                    \
		snprintf(__c, sizeof(__c), "%s %d", cmd, dfd);                \
		ASSERT_EQ(0, iobmd_write_file(DMABUF_KAPI_DIR "run", __c));          \
		__f = fopen(DMABUF_KAPI_DIR "results", "r");                         \
		ASSERT_NE(NULL, __f);                                         \
		while (fgets(__line, sizeof(__line), __f)) {                  \
			__line[strcspn(__line, "\n")] = 0;                    \
			if (!strncmp(__line, "ok ", 3))                       \
				__ok++;                                       \
			else if (!strncmp(__line, "not ok ", 7))              \
				__bad++;                                      \
			else                                                  \
				sscanf(__line, "1..%d", &__plan);             \
			TH_LOG("kernel: %s", __line);                         \
		}                                                             \
		fclose(__f);                                                  \
		EXPECT_EQ(0, __bad);                                          \
		EXPECT_LE(checks, __ok);                                      \
		EXPECT_EQ(__plan, __ok);                                      \
	})

TEST_F(import, driver)
{
	char saved[FAILSLAB_NR][32];
	bool failslab = !access(FAILSLAB_DIR, F_OK);
	__u64 len;
	unsigned int i;
	int dfd;

	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);

	dfd = test_alloc(16 * PAGE_SIZE, &len);
	test_kapi("import", dfd, KAPI_IMPORT_CHECKS);
	if (failslab) {
		for (i = 0; i < FAILSLAB_NR; i++) {
			ASSERT_EQ(0, iobmd_read_file(failslab_knobs[i][0],
						     saved[i], sizeof(saved[i])));
			ASSERT_EQ(0, iobmd_write_file(failslab_knobs[i][0],
						      failslab_knobs[i][1]));
		}
	}
	test_kapi("fail", dfd, KAPI_FAIL_CHECKS);
	for (i = 0; failslab && i < FAILSLAB_NR; i++)
		EXPECT_EQ(0, iobmd_write_file(failslab_knobs[i][0], saved[i]));
	close(dfd);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
}

/* --- memory kept from the CPU (selftests/kapi/iobmd_exporter.ko) --------- */

IOBMD_EXPORTER_FIXTURE(nocpu)

/*
 * Memory whose exporter has no mmap of its own is not the CPU's (a
 * protected heap's): it is imported, and prepared for devices, but no
 * process maps it, neither through the import (the dma-buf's mmap: EINVAL)
 * nor through a multi holding it (ENODEV), and no kernel mapping of it
 * exists for reads (EINVAL, as the dma-buf's vmap).  The same exporter's
 * memory with an mmap maps through the multi, the exporter's own mapping
 * showing what was written through it.
 */
TEST_F(nocpu, not_mapped_without_the_exporters_consent)
{
	const size_t n = EXPORTER_PAGES * PAGE_SIZE;
	__u32 b, h, m, pieces[2];
	unsigned long mappable;
	__u64 cookie;
	__u8 byte;

	self->plen = PAGE_SIZE + n;
	self->ownlen = n;
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	for (mappable = 0; mappable <= EXPORTER_MAPPABLE; mappable++) {
		TH_LOG("an mmap of its own: %s", mappable ? "yes" : "no");
		self->dfd = exporter_new(mappable);
		ASSERT_LE(0, self->dfd) TH_LOG("%s", strerror(-self->dfd));
		test_ioctl_import(self->dfd, IOBMD_DIRECTION_INOUT, &h);
		pieces[0] = b;
		pieces[1] = h;
		test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
		test_ioctl_map(m, 0, 0, 0, &cookie);
		self->p = iobmd_mmap(self->fd, cookie, self->plen,
				     PROT_READ | PROT_WRITE);
		if (!mappable) {
			EXPECT_EQ(MAP_FAILED, self->p);
			EXPECT_EQ(ENODEV, errno);
			test_ioctl_map(h, 0, 0, 0, &cookie);
			self->own = iobmd_mmap(self->fd, cookie, n, PROT_READ);
			EXPECT_EQ(MAP_FAILED, self->own);
			EXPECT_EQ(EINVAL, errno);
			test_err_read(EINVAL, h, 0, &byte, 1);
		} else {
			ASSERT_NE(MAP_FAILED, self->p)
				TH_LOG("%s", strerror(errno));
			memcpy((__u8 *)self->p + PAGE_SIZE + 9, "seen", 5);
			self->own = mmap(NULL, n, PROT_READ, MAP_SHARED,
					 self->dfd, 0);
			ASSERT_NE(MAP_FAILED, self->own);
			EXPECT_STREQ("seen", (char *)self->own + 9);
		}
		if (self->own != MAP_FAILED)
			munmap(self->own, n);
		if (self->p != MAP_FAILED)
			munmap(self->p, self->plen);
		self->p = self->own = MAP_FAILED;
		close(self->dfd);
		self->dfd = -1;
		test_ioctl_release(m);
		test_ioctl_release(h);
	}
	test_ioctl_release(b);
	EXPECT_EQ(0, exporter_count("mappings"));
}

#ifdef __x86_64__
/* --- memory of its exporter's type (EXPORTER_WRITE_COMBINED) ------------ */

IOBMD_EXPORTER_FIXTURE(wc)

/*
 * Contiguous pages their exporter made write-combining (a GPU driver's):
 * a multi of the import alone is one run that is its whole mapping, whose
 * every page maps in the exporter's type, without a word from the kernel's
 * PAT code (which warns when one call maps a whole mapping of pages whose
 * type is not the mapping's).  What is written through it is what the
 * exporter's own mapping shows.
 */
TEST_F(wc, one_run_that_is_the_whole_mapping)
{
	const size_t n = EXPORTER_PAGES * PAGE_SIZE;
	__u32 h, a;
	__u64 cookie;
	char pid[16];
	size_t i;
	int kmsg;

	if (access("/sys/kernel/debug/x86/pat_memtype_list", F_OK))
		SKIP(return, "x86 without PAT: one memory type for all RAM");
	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	self->kapi = true;
	kmsg = iobmd_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	self->dfd = exporter_new(EXPORTER_MAPPABLE | EXPORTER_WRITE_COMBINED);
	ASSERT_LE(0, self->dfd) TH_LOG("%s", strerror(-self->dfd));
	test_ioctl_import(self->dfd, IOBMD_DIRECTION_INOUT, &h);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, &h, 1, &a);
	test_ioctl_map(a, 0, 0, 0, &cookie);
	self->plen = n;
	self->p = iobmd_mmap(self->fd, cookie, n, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, self->p) TH_LOG("%s", strerror(errno));
	for (i = 0; i < EXPORTER_PAGES; i++) {
		test_pte_cachemode((__u8 *)self->p + i * PAGE_SIZE, "wc");
		snprintf((char *)self->p + i * PAGE_SIZE + 7, 8, "page %zu", i);
	}
	snprintf(pid, sizeof(pid), ":%d ", getpid());
	EXPECT_EQ(0, iobmd_kmsg_count(kmsg, "x86/PAT", pid));

	self->ownlen = n;
	self->own = mmap(NULL, n, PROT_READ, MAP_SHARED, self->dfd, 0);
	ASSERT_NE(MAP_FAILED, self->own) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(self->own, self->p, n));
	EXPECT_STREQ("page 3", (char *)self->own + 3 * PAGE_SIZE + 7);
	test_ioctl_release(a);
	test_ioctl_release(h);
	close(kmsg);
}
#endif

/* --- memory its exporter moves (iobmd_exporter.ko, EXPORTER_DYNAMIC) ---- */

IOBMD_EXPORTER_FIXTURE(dynamic)

/*
 * A multi (*@m_p) of a one-page buffer (*@b_p) and the import @h, which
 * holds EXPORTER_PAGES pages, mapped whole at self->p with @prot.
 */
#define test_map_page_and_import(h, prot, b_p, m_p)                           \
	({                                                                    \
		__u32 __pieces[2];                                            \
		__u64 __cookie;                                               \
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0,    \
				      b_p);                                   \
		__pieces[0] = *(b_p);                                         \
		__pieces[1] = h;                                              \
		test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, __pieces, 2,   \
					m_p);                                 \
		self->plen = PAGE_SIZE + EXPORTER_PAGES * PAGE_SIZE;          \
		test_ioctl_map(*(m_p), 0, 0, 0, &__cookie);                   \
		self->p = iobmd_mmap(self->fd, __cookie, self->plen, prot);   \
		ASSERT_NE(MAP_FAILED, self->p) TH_LOG("%s", strerror(errno)); \
	})

/*
 * Undoes test_exporter_import() (@h, @pat) and a multi @m of it and a
 * buffer @b, and the mapping at self->p if there is one.
 */
#define test_drop_multi(m, b, h, pat)                                         \
	({                                                                    \
		if (self->p != MAP_FAILED) {                                  \
			EXPECT_EQ(0, munmap(self->p, self->plen));            \
			self->p = MAP_FAILED;                                 \
		}                                                             \
		test_ioctl_release(m);                                        \
		test_ioctl_release(b);                                        \
		test_ioctl_release(h);                                        \
		free(pat);                                                    \
	})

/*
 * A dma-buf of the test exporter made with @flags (in self->dfd),
 * imported into *@h_p and written through it with pattern @seed; the
 * pattern, EXPORTER_PAGES pages of it, malloc()ed.
 */
#define test_exporter_import(flags, seed, h_p)                                \
	({                                                                    \
		const size_t __n = EXPORTER_PAGES * PAGE_SIZE;                \
		__u8 *__pat = malloc(__n);                                    \
		ASSERT_NE(NULL, __pat);                                       \
		self->dfd = exporter_new(flags);                              \
		ASSERT_LE(0, self->dfd) TH_LOG("%s", strerror(-self->dfd));   \
		test_ioctl_import(self->dfd, IOBMD_DIRECTION_INOUT, h_p);     \
		iobmd_fill_pattern(__pat, __n, 0, seed);                      \
		test_ioctl_write(*(h_p), 0, __pat, __n);                      \
		__pat;                                                        \
	})

/* Asserts that the exporter moves @dfd's memory now, or refuses (EBUSY). */
#define test_moves(dfd)                                                       \
	ASSERT_EQ(0, exporter_move(dfd)) TH_LOG("%s", strerror(errno))
#define test_stays(dfd)                                                       \
	({                                                                    \
		ASSERT_EQ(-1, exporter_move(dfd))                             \
			TH_LOG("the exporter moved memory iobmd holds");      \
		ASSERT_EQ(EBUSY, errno);                                      \
	})

/*
 * A dynamic exporter moves its memory whenever nothing pins it.  iobmd
 * holds it in place for as long as it uses the memory itself, and only
 * then: its attachment, where the frame numbers of the physical segments
 * and of the mappings of a multi or a sub over the import come from,
 * pins it from the first frame number on until the descriptor's last
 * unpin (here: until the mappings are gone), and so does the kernel
 * mapping reads and writes go through (vmap) while the descriptor is
 * pinned.  Meanwhile the exporter's move fails (EBUSY) and changes
 * nothing, and the bytes are the same through iobmd, its mappings, the
 * RAM its segments name and the exporter's own mapping.  Between uses (an
 * IOBMD_READ or WRITE by itself) and once everything is gone the exporter
 * moves the memory, to other pages, and iobmd and the exporter's mapping
 * (which maps the pages the exporter has now) find the bytes there.
 */
TEST_F(dynamic, stays_in_place_while_iobmd_uses_it)
{
	const size_t n = EXPORTER_PAGES * PAGE_SIZE;
	struct iobmd_segment *segs, *moved;
	__u32 b, h, m, s, ns, nm, i, j;
	__u8 *pat, *back;
	__u64 cookie;

	IOBMD_NEED_PHYS_RAM();
	pat = malloc(n);
	back = malloc(n);
	ASSERT_NE(NULL, pat);
	ASSERT_NE(NULL, back);
	self->dfd = exporter_new(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC);
	ASSERT_LE(0, self->dfd) TH_LOG("%s", strerror(-self->dfd));
	test_moves(self->dfd);
	test_ioctl_import(self->dfd, IOBMD_DIRECTION_INOUT, &h);

	/* One call at a time, iobmd holds nothing between calls. */
	iobmd_fill_pattern(pat, n, 0, 81);
	test_ioctl_write(h, 0, pat, n);
	EXPECT_EQ(0, exporter_count("vmaps"));
	EXPECT_EQ(0, exporter_count("pins"));
	test_moves(self->dfd);
	test_ioctl_read(h, 0, back, n);
	ASSERT_EQ(n, iobmd_check_pattern(back, n, 0, 81));

	/*
	 * A multi and a sub over it mapped, by frame number: the attachment
	 * the frame numbers come from pins it.  (Asserted before a move is
	 * tried: one that worked would leave the mappings on freed pages.)
	 */
	test_map_page_and_import(h, PROT_READ | PROT_WRITE, &b, &m);
	test_ioctl_sub_create(h, IOBMD_DIRECTION_INOUT, PAGE_SIZE,
			      n - PAGE_SIZE, &s);
	self->slen = n - PAGE_SIZE;
	test_ioctl_map(s, 0, 0, 0, &cookie);
	self->s = iobmd_mmap(self->fd, cookie, self->slen, PROT_READ);
	ASSERT_NE(MAP_FAILED, self->s) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, exporter_count("vmaps"));
	ASSERT_LE(1, exporter_count("pins"))
		TH_LOG("mapped by frame number, not pinned");
	test_stays(self->dfd);
	ASSERT_EQ(n, iobmd_check_pattern((__u8 *)self->p + PAGE_SIZE, n, 0,
					 81));
	ASSERT_EQ(n - PAGE_SIZE,
		  iobmd_check_pattern(self->s, n - PAGE_SIZE, PAGE_SIZE, 81));
	/* Its physical segments: those pages, with those bytes. */
	test_get_all_segments(h, 0, 0, &segs, &ns);
	test_segs_content(segs, ns, n, 81);

	/* Written through the mapping, read through iobmd and the exporter. */
	iobmd_fill_pattern(pat, n, 0, 82);
	memcpy((__u8 *)self->p + PAGE_SIZE, pat, n);
	test_stays(self->dfd);
	test_ioctl_read(h, 0, back, n);
	ASSERT_EQ(n, iobmd_check_pattern(back, n, 0, 82));
	EXPECT_EQ(1, exporter_count("vmaps"));
	self->ownlen = n;
	self->own = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dfd, 0);
	ASSERT_NE(MAP_FAILED, self->own) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(n, iobmd_check_pattern(self->own, n, 0, 82));
	test_segs_content(segs, ns, n, 82);

	/* All of it gone, the memory moves, bytes and all. */
	munmap(self->p, self->plen);
	munmap(self->s, self->slen);
	self->p = self->s = MAP_FAILED;
	test_ioctl_release(m);
	test_ioctl_release(s);
	test_ioctl_release(b);
	EXPECT_EQ(0, exporter_count("pins"));
	EXPECT_EQ(0, exporter_count("vmaps"));
	EXPECT_EQ(0, exporter_count("mappings"));
	test_moves(self->dfd);
	ASSERT_EQ(n, iobmd_check_pattern(self->own, n, 0, 82));

	/* Prepared, the import keeps the kernel mapping it reads through. */
	test_ioctl_prepare(h, IOBMD_DIRECTION_INOUT);
	test_ioctl_read(h, 0, back, n);
	ASSERT_EQ(n, iobmd_check_pattern(back, n, 0, 82));
	EXPECT_EQ(1, exporter_count("vmaps"));
	EXPECT_EQ(0, exporter_count("pins"));
	test_stays(self->dfd);
	/* And the attachment of its physical segments: other pages now. */
	test_get_all_segments(h, 0, 0, &moved, &nm);
	ASSERT_EQ(1, exporter_count("pins"));
	test_stays(self->dfd);
	for (i = 0; i < n; i += PAGE_SIZE)
		for (j = 0; j < n; j += PAGE_SIZE)
			ASSERT_NE(seg_addr(segs, ns, i), seg_addr(moved, nm, j))
				TH_LOG("page %u was page %u", j / PAGE_SIZE,
				       i / PAGE_SIZE);
	test_segs_content(moved, nm, n, 82);
	/* Which the exporter's mapping maps now. */
	memcpy((__u8 *)self->own + n - 6, "moved", 6);
	test_ioctl_read(h, n - 6, back, 6);
	EXPECT_STREQ("moved", (char *)back);
	test_ioctl_complete(h, 0);
	EXPECT_EQ(0, exporter_count("pins"));
	EXPECT_EQ(0, exporter_count("vmaps"));
	test_moves(self->dfd);
	test_ioctl_release(h);
	free(moved);
	free(segs);
	free(back);
	free(pat);
}

/*
 * An exporter whose pin moves the memory, with a copy of the bytes that
 * ends a while later (a GPU driver putting VRAM where other devices reach
 * it), says so with a kernel fence on the reservation.  A multi over the
 * import, mapped by frame number, is mapped once that copy has ended:
 * the mmap waits for the fence (interruptibly) while the test holds the
 * copy, and its first read finds the bytes, not the new pages as they
 * were.
 */
TEST_F(dynamic, mapped_after_the_exporters_copy)
{
	const size_t n = EXPORTER_PAGES * PAGE_SIZE;
	__u32 b, h, m, pieces[2];
	char state, wchan[64];
	__u64 cookie;
	int status;
	__u8 *pat;
	pid_t pid;

	/* Written through the kernel mapping, which holds it in place. */
	pat = test_exporter_import(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC |
				   EXPORTER_MOVES_ON_PIN | EXPORTER_COPY_HELD,
				   85, &h);
	EXPECT_EQ(0, exporter_count("copies"));
	EXPECT_EQ(0, exporter_count("pins"));
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	pieces[0] = b;
	pieces[1] = h;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	test_ioctl_map(m, 0, 0, 0, &cookie);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u8 *p = iobmd_mmap(self->fd, cookie, PAGE_SIZE + n,
				     PROT_READ);

		if (p == MAP_FAILED)
			_exit(2);
		_exit(iobmd_check_pattern(p + PAGE_SIZE, n, 0, 85) == n ? 0 : 3);
	}
	state = iobmd_proc_wait_state(pid, 'S', "dma_fence", wchan,
				      sizeof(wchan), 10000);
	EXPECT_EQ('S', state) TH_LOG("the mapper is in state %c", state);
	EXPECT_NE(NULL, strstr(wchan, "dma_fence"))
		TH_LOG("the mapper sleeps in %s", wchan);
	EXPECT_LE(1, exporter_count("pins"));
	EXPECT_EQ(1, exporter_count("copies"));
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("mapped while the exporter's copy was held");

	EXPECT_EQ(0, exporter_copy(self->dfd)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the mapper: status %#x (2: no mapping, 3: not the bytes)",
		       status);
	EXPECT_EQ(0, exporter_count("copies"));
	test_drop_multi(m, b, h, pat);
}

/*
 * An exporter that must be able to take its memory back (vfio-pci's) lets
 * no importer attach or pin that it cannot tell to give it up (a dynamic
 * importer with an invalidate callback), and iobmd's attachments are
 * static, or pinned by the import (before 6.15): the import works, and so does all that needs no attachment (bytes through
 * the exporter's kernel mapping, the exporter's own mmap through the
 * import, prepares without a device), while all that does fails with the
 * exporter's EOPNOTSUPP and leaves nothing behind: physical segments,
 * the mapping of a multi over it (by frame number), even a sub's IOBMD_MAP
 * (which looks up where the sub's first byte sits in its page), and a
 * driver's prepare for its device (selftests/kapi/iobmd_dmabuf_kapi.ko).
 */
TEST_F(dynamic, refused_by_an_exporter_that_revokes)
{
	const size_t n = EXPORTER_PAGES * PAGE_SIZE;
	long long maps = iobmd_stat("mappings");
	__u32 b, h, m, s, pieces[2];
	__u8 *pat, back[8];
	__u64 cookie;
	void *p;

	pat = test_exporter_import(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC |
				   EXPORTER_REVOCABLE_ONLY, 91, &h);
	memset(pat, 0, n);
	test_ioctl_read(h, 0, pat, n);
	ASSERT_EQ(n, iobmd_check_pattern(pat, n, 0, 91));
	test_ioctl_map(h, 0, 0, 0, &cookie);
	self->ownlen = n;
	self->own = iobmd_mmap(self->fd, cookie, n, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, self->own) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(n, iobmd_check_pattern(self->own, n, 0, 91));

	/* Physical addresses, prepared or not. */
	test_err_get_segments(EOPNOTSUPP, h, 0, 0, NULL, 0);
	test_ioctl_prepare(h, IOBMD_DIRECTION_INOUT);
	test_err_get_segments(EOPNOTSUPP, h, 0, 0, NULL, 0);
	EXPECT_TRUE(test_is_prepared(h));
	test_ioctl_read(h, 10, back, 1);
	EXPECT_EQ(pat[10], back[0]);
	test_ioctl_complete(h, 0);

	/* Mappings by frame number. */
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	pieces[0] = b;
	pieces[1] = h;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	test_ioctl_map(m, 0, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, PAGE_SIZE + n, PROT_READ);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* A sub's cookie already: where its first byte sits in a page. */
	test_ioctl_sub_create(h, IOBMD_DIRECTION_INOUT, PAGE_SIZE,
			      n - PAGE_SIZE, &s);
	test_err_map(EOPNOTSUPP, s, 0, 0, 0);
	EXPECT_EQ(maps, iobmd_stat("mappings"));
	EXPECT_EQ(0, exporter_count("pins"));
	EXPECT_EQ(0, exporter_count("mappings"));
	EXPECT_FALSE(test_is_prepared(h));
	/* What is built on it still reads and writes. */
	test_ioctl_write(m, 2 * PAGE_SIZE + 3, "multi", 6);
	test_ioctl_read(s, 3, back, 6);
	EXPECT_STREQ("multi", (char *)back);
	EXPECT_STREQ("multi", (char *)self->own + PAGE_SIZE + 3);

	/* A driver's prepare for its device. */
	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	self->kapi = true;
	test_kapi("refused", self->dfd, KAPI_REFUSED_CHECKS);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
	self->kapi = false;

	/* Nothing held it: it moves, and the descriptors go. */
	test_moves(self->dfd);
	test_ioctl_release(m);
	test_ioctl_release(s);
	test_ioctl_release(b);
	test_ioctl_release(h);
	free(pat);
}

/*
 * A driver's import of a dynamic exporter's memory: bytes, physical
 * segments and a prepare for its device at once
 * (selftests/kapi/iobmd_dmabuf_kapi.ko), what
 * import.driver does with the heaps.  The memory stays pinned while the
 * import has it, and the import's own attachment overlaps no device's
 * mapping of the pages (DMA-API debugging, on the debug kernel, reports
 * overlapping mappings a device may write).
 */
TEST_F(dynamic, driver_import)
{
	self->dfd = exporter_new(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC);
	ASSERT_LE(0, self->dfd) TH_LOG("%s", strerror(-self->dfd));
	iobmd_load_kapi_module(DMABUF_KAPI_MODULE);
	self->kapi = true;
	test_kapi("import", self->dfd, KAPI_IMPORT_CHECKS);
	EXPECT_EQ(0, syscall(SYS_delete_module, "iobmd_dmabuf_kapi", 0));
	self->kapi = false;
	EXPECT_EQ(0, exporter_count("pins"));
	EXPECT_EQ(0, exporter_count("mappings"));
	test_moves(self->dfd);
}

/* --- the exporter's fences --------------------------------------------- */

/*
 * The fence the SIGALRM handler signals, on which tick (0: never), and
 * the ticks so far.
 */
static int fence_card = -1;
static __u32 fence_id;
static volatile sig_atomic_t fence_ticks, fence_signal_at;

static void fence_tick(int sig)
{
	int saved = errno;

	if (++fence_ticks == fence_signal_at)
		vgem_signal(fence_card, fence_id);
	errno = saved;
}

/* The ticks' interval: 200 ms. */
#define TICK_US		200000

/*
 * SIGALRM every TICK_US from now on, with SA_RESTART if @restart; the
 * handler signals the vgem fence fence_id on tick @signal_at (0: never).
 * The handler it replaces in *@old.
 */
static int ticks_start(bool restart, int signal_at, struct sigaction *old)
{
	struct sigaction sa = { .sa_handler = fence_tick };
	struct itimerval tick = { { 0, TICK_US }, { 0, TICK_US } };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	fence_ticks = 0;
	fence_signal_at = signal_at;
	if (sigaction(SIGALRM, &sa, old))
		return -1;
	return setitimer(ITIMER_REAL, &tick, NULL);
}

/* No more ticks, the old handler back; errno kept. */
static void ticks_stop(const struct sigaction *old)
{
	struct itimerval stop = { };
	int saved = errno;

	setitimer(ITIMER_REAL, &stop, NULL);
	sigaction(SIGALRM, old, NULL);
	errno = saved;
}

/*
 * IOBMD_READ of @len bytes of @h while SIGALRM ticks (ticks_start());
 * returns the read's result (errno kept), the ticks before it began in
 * *@ticks0.
 */
static int fence_read(int fd, __u32 h, void *buf, __u64 len, bool restart,
		      int signal_at, int *ticks0)
{
	struct sigaction old;
	int ret;

	if (ticks_start(restart, signal_at, &old))
		return -1;
	*ticks0 = fence_ticks;
	ret = _test_ioctl_rw(fd, IOBMD_READ, h, 0, buf, len, NULL);
	ticks_stop(&old);
	return ret;
}

FIXTURE(fence)
{
	int fd;
	int card;
	struct iobmd_test_stats before;
};

FIXTURE_SETUP(fence)
{
	self->card = -1;
	iobmd_fixture_open(self->fd);
	IOBMD_NEED_VGEM();
	self->card = vgem_open();
	ASSERT_LE(0, self->card);
	fence_card = self->card;
	ASSERT_EQ(0, iobmd_read_stats(&self->before));
}

FIXTURE_TEARDOWN(fence)
{
	if (self->fd != -1)
		close(self->fd);
	if (self->card >= 0)
		close(self->card);
	EXPECT_STREQ("", iobmd_stats_changed(&self->before));
}

/*
 * The bytes of an import wait for the exporter's writers (the dma-buf's
 * CPU access), and a signal ends that wait as the kernel's own calls do:
 * with SA_RESTART the read starts again and waits on, without it EINTR.
 * Through a multi whose first piece was already read, the read is not
 * started again (that piece could be device memory): EINTR.
 */
TEST_F(fence, signal_during_the_wait)
{
	__u64 size = 4 * PAGE_SIZE, n = PAGE_SIZE + 64;
	__u8 want[PAGE_SIZE + 64], got[PAGE_SIZE + 64];
	__u32 gem, h, b, pieces[2], m;
	int dfd, ticks0, ret;

	ASSERT_EQ(0, vgem_create(self->card, &size, &gem));
	ASSERT_EQ(0, vgem_export(self->card, gem, DRM_CLOEXEC | DRM_RDWR,
				 &dfd));
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	iobmd_fill_pattern(want, n, 0, 5);
	test_ioctl_write(h, 0, want, n);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	test_ioctl_write(b, 0, want, PAGE_SIZE);

	/* SA_RESTART: the read outlasts the first tick and ends at the second. */
	ASSERT_EQ(0, vgem_fence(self->card, gem, true, &fence_id));
	memset(got, 0, n);
	ret = fence_read(self->fd, h, got, n, true, 2, &ticks0);
	EXPECT_EQ(0, ret) TH_LOG("IOBMD_READ: %s", strerror(errno));
	ASSERT_GT(2, ticks0) TH_LOG("the fence was signalled before the read");
	EXPECT_LE(2, fence_ticks);
	EXPECT_EQ(n, iobmd_check_pattern(got, n, 0, 5));

	/* Without it, the first tick ends the read: EINTR, nothing copied. */
	ASSERT_EQ(0, vgem_fence(self->card, gem, true, &fence_id));
	memset(got, (__u8)~want[0], n);
	ret = fence_read(self->fd, h, got, n, false, 0, &ticks0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ((__u8)~want[0], got[0]);
	ASSERT_EQ(0, vgem_signal(self->card, fence_id));
	test_ioctl_read(h, 0, got, n);
	EXPECT_EQ(n, iobmd_check_pattern(got, n, 0, 5));

	/* The import first: nothing read before the wait, so restarted. */
	pieces[0] = h;
	pieces[1] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	ASSERT_EQ(0, vgem_fence(self->card, gem, true, &fence_id));
	ret = fence_read(self->fd, m, got, n, true, 2, &ticks0);
	EXPECT_EQ(0, ret) TH_LOG("IOBMD_READ: %s", strerror(errno));
	ASSERT_GT(2, ticks0) TH_LOG("the fence was signalled before the read");
	EXPECT_EQ(n, iobmd_check_pattern(got, n, 0, 5));
	test_ioctl_release(m);

	/* A buffer's page first: read before the wait, so EINTR. */
	pieces[0] = b;
	pieces[1] = h;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	ASSERT_EQ(0, vgem_fence(self->card, gem, true, &fence_id));
	ret = fence_read(self->fd, m, got, n, true, 0, &ticks0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINTR, errno);
	EXPECT_GT(3, fence_ticks) TH_LOG("the read went on after the signal");
	ASSERT_EQ(0, vgem_signal(self->card, fence_id));
	test_ioctl_read(m, 0, got, n);
	EXPECT_EQ(PAGE_SIZE, iobmd_check_pattern(got, PAGE_SIZE, 0, 5));
	EXPECT_EQ(0, memcmp(got + PAGE_SIZE, want, n - PAGE_SIZE));
	test_ioctl_release(m);

	test_ioctl_release(b);
	test_ioctl_release(h);
	close(dfd);
	EXPECT_EQ(0, vgem_close_handle(self->card, gem));
}

/*
 * A signal while the import waits for its exporter's move (the kernel
 * fence of a pin's copy), reached through a multi whose first piece, a
 * buffer, was walked already: a walk of addresses reads and writes
 * nothing, so with SA_RESTART the call starts again, and it ends when the
 * copy has.
 */
TEST_F(dynamic, addresses_restarted_after_a_signal)
{
	__u32 b, h, m, pieces[2], count = 0;
	struct sigaction old;
	__u64 total = 0;
	__u8 *pat;
	int ret;

	pat = test_exporter_import(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC |
				   EXPORTER_MOVES_ON_PIN, 86, &h);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	pieces[0] = b;
	pieces[1] = h;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);

	ASSERT_EQ(0, ticks_start(true, 0, &old));
	ret = _test_ioctl_get_segments(self->fd, m, 0, 0, NULL, &count,
				       &total);
	ticks_stop(&old);
	EXPECT_EQ(0, ret) TH_LOG("IOBMD_GET_SEGMENTS: %s", strerror(errno));
	EXPECT_LE(2, fence_ticks) TH_LOG("no signal during the copy");
	EXPECT_LE(1, total);
	EXPECT_EQ(0, exporter_count("copies"));

	test_drop_multi(m, b, h, pat);
}

/*
 * The same in a page fault.  A multi that starts with the import, mapped
 * only where its buffer is: a fault there looks up where the multi's first
 * byte sits in its page, which attaches the import (mmap() did so too,
 * and let it go again), and so waits for the exporter's move once more.
 * A signal ends that wait: the fault is taken again once the signal is
 * handled, rather than SIGBUS, and the buffer's bytes are there.
 */
TEST_F(dynamic, fault_taken_again_after_a_signal)
{
	const size_t n = EXPORTER_PAGES * PAGE_SIZE;
	__u8 want[PAGE_SIZE], *pat;
	__u32 b, h, m, pieces[2];
	struct sigaction old;
	__u64 cookie;
	size_t same;

	pat = test_exporter_import(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC |
				   EXPORTER_MOVES_ON_PIN, 87, &h);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	iobmd_fill_pattern(want, PAGE_SIZE, 0, 88);
	test_ioctl_write(b, 0, want, PAGE_SIZE);
	pieces[0] = h;
	pieces[1] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	self->plen = PAGE_SIZE;
	test_ioctl_map(m, 0, n, PAGE_SIZE, &cookie);
	self->p = iobmd_mmap(self->fd, cookie, self->plen, PROT_READ);
	ASSERT_NE(MAP_FAILED, self->p) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, madvise(self->p, self->plen, MADV_DONTNEED))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, exporter_count("copies"));

	ASSERT_EQ(0, ticks_start(true, 0, &old));
	same = iobmd_check_pattern(self->p, PAGE_SIZE, 0, 88);
	ticks_stop(&old);
	EXPECT_EQ(PAGE_SIZE, same);
	EXPECT_LE(2, fence_ticks) TH_LOG("no signal during the copy");

	test_drop_multi(m, b, h, pat);
}

/*
 * A child that asks for the physical segments of @h through @fd, or reads
 * a byte of it (@read); it exits with 0 or the call's errno.
 */
static pid_t import_user(int fd, __u32 h, bool read)
{
	__u64 total = 0;
	__u32 count = 0;
	pid_t pid;
	__u8 c;

	fflush(stdout);
	pid = fork();
	if (pid)
		return pid;
	if (read)
		_exit(_test_ioctl_rw(fd, IOBMD_READ, h, 0, &c, 1, NULL) ?
		      errno : 0);
	_exit(_test_ioctl_get_segments(fd, h, 0, 0, NULL, &count, &total) ?
	      errno : 0);
}

/*
 * Whoever waits for an import that another task holds is killable.  The
 * holder asks for the import's physical segments: that pins the
 * exporter's memory, which moves, and waits, with the import held, for
 * the kernel fence of the exporter's copy, which here waits for the
 * test.  Two waiters, one asking for segments too and one reading a byte,
 * wait for the holder.  SIGKILLed, each must be gone within 10 s while
 * the copy still has not begun; before, they slept uninterruptibly until
 * it ended (a GPU's copy may take as long as the GPU likes).
 */
TEST_F_TIMEOUT(dynamic, waiters_killed_while_the_exporter_copies, 120)
{
	pid_t holder, waiters[2];
	char state, wchan[64];
	int status, i;
	__u8 *pat;
	__u32 h;

	pat = test_exporter_import(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC |
				   EXPORTER_MOVES_ON_PIN | EXPORTER_COPY_HELD,
				   89, &h);
	holder = import_user(self->fd, h, false);
	ASSERT_LT(0, holder);
	for (i = 0; i < 3000 && exporter_count("copies") != 1; i++)
		usleep(10000);
	if (exporter_count("copies") != 1)
		kill(holder, SIGKILL);
	ASSERT_EQ(1, exporter_count("copies")) TH_LOG("the holder never pinned");

	for (i = 0; i < 2; i++) {
		waiters[i] = import_user(self->fd, h, i);
		EXPECT_LT(0, waiters[i]);
	}
	for (i = 0; i < 2; i++) {
		if (waiters[i] <= 0)
			continue;
		/* Asleep, not woken by signals, in a walk of the import. */
		state = iobmd_proc_wait_state(waiters[i], 'D',
					      "iobmd_dmabuf_walk", wchan,
					      sizeof(wchan), 10000);
		EXPECT_EQ('D', state)
			TH_LOG("waiter %d is in state %c", i, state);
		EXPECT_NE(NULL, strstr(wchan, "iobmd_dmabuf_walk"))
			TH_LOG("waiter %d sleeps in %s", i, wchan);
	}
	for (i = 0; i < 2; i++) {
		if (waiters[i] <= 0)
			continue;
		kill(waiters[i], SIGKILL);
		status = iobmd_reap_within(waiters[i], 10000);
		EXPECT_NE(-1, status)
			TH_LOG("waiter %d lived 10 s after SIGKILL (state %c)", i,
			       iobmd_proc_state(waiters[i]));
		if (status != -1) {
			EXPECT_TRUE(WIFSIGNALED(status) &&
				    WTERMSIG(status) == SIGKILL)
				TH_LOG("waiter %d: status %#x", i, status);
			waiters[i] = 0;
		}
	}
	/* They did not wait for the holder. */
	EXPECT_EQ(1, exporter_count("copies"));
	EXPECT_EQ(0, waitpid(holder, &status, WNOHANG));

	EXPECT_EQ(0, exporter_copy(self->dfd)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(holder, waitpid(holder, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the holder: status %#x", status);
	for (i = 0; i < 2; i++)
		if (waiters[i] > 0)
			waitpid(waiters[i], &status, 0);
	EXPECT_EQ(0, exporter_count("copies"));
	test_ioctl_release(h);
	free(pat);
}

/* Whether the exporter's count of held copies became @want within @ms. */
static bool copies_become(int want, unsigned int ms)
{
	__u64 end = iobmd_now_ms() + ms;

	do {
		if (exporter_count("copies") == want)
			return true;
		usleep(1000);
	} while (iobmd_now_ms() < end);
	return false;
}

/*
 * A child that ends each copy of @dfd the exporter holds, as soon as it
 * is held, until @stop[1] (made here) is closed: what the import waits for
 * while a mapping is made.  It exits with 0.
 */
static pid_t copy_ender(int dfd, int *stop)
{
	pid_t pid;
	char c;

	if (pipe(stop))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid) {
		close(stop[0]);
		return pid;
	}
	close(stop[1]);
	if (fcntl(stop[0], F_SETFL, O_NONBLOCK))
		_exit(2);
	while (read(stop[0], &c, 1)) {
		if (exporter_count("copies") > 0)
			exporter_copy(dfd);
		usleep(1000);
	}
	_exit(0);
}

static void ignore_signal(int sig)
{
}

/*
 * A child that reads @len bytes from @fd into @p, with a handler for
 * SIGUSR1 (which does not restart the read); it exits with 0 when all
 * arrived, else with the read's errno (100 for a short read).
 */
static pid_t fault_reader(int fd, void *p, size_t len)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid)
		return pid;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		_exit(99);
	n = read(fd, p, len);
	_exit(n < 0 ? errno : n == len ? 0 : 100);
}

/* A pipe holding @len bytes of pattern @seed, in @fds, or -1. */
static int pattern_pipe(int *fds, size_t len, int seed)
{
	__u8 *pat = malloc(len);
	int ret = -1;

	if (!pat || pipe(fds))
		goto out;
	iobmd_fill_pattern(pat, len, 0, seed);
	ret = write(fds[1], pat, len) == len ? 0 : -1;
out:
	free(pat);
	return ret;
}

/*
 * A page fault the kernel takes, which waits for the exporter's copy: a
 * read(2) from a pipe into a mapping of the buffer of a multi [import,
 * buffer] whose page was dropped, so that the fault looks the import's
 * pages up (its layout starts there) and its exporter moves them, with a
 * copy held until the test ends it.  A signal with a handler arrives
 * during the wait and stays pending: the fault is taken again at once,
 * before any handler runs.  The reader must sleep (state D, in the
 * fence's wait) rather than spin: before, each try's interruptible wait
 * ended at once and the fault was taken again, the CPU in the kernel for
 * as long as the copy ran, and SIGKILL did not end it (the fault was
 * taken again forever).  SIGKILLed, it must be gone within 10 s, the copy
 * still held; with the copy ended, a new reader's read must succeed.
 */
TEST_F_TIMEOUT(dynamic, kernel_fault_sleeps_through_signals, 120)
{
	const size_t n = EXPORTER_PAGES * PAGE_SIZE;
	__u8 want[PAGE_SIZE], back[PAGE_SIZE];
	long long stime0, stime = -1;
	int status, stop[2], fds[2];
	__u32 b, h, m, pieces[2];
	char state, wchan[64];
	pid_t ender, reader;
	__u64 cookie, end;
	__u8 *pat;

	pat = test_exporter_import(EXPORTER_MAPPABLE | EXPORTER_DYNAMIC |
				   EXPORTER_MOVES_ON_PIN | EXPORTER_COPY_HELD,
				   90, &h);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b);
	pieces[0] = h;
	pieces[1] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	/* IOBMD_MAP and mmap() look the import up too: copies, ended. */
	ender = copy_ender(self->dfd, stop);
	ASSERT_LT(0, ender);
	test_ioctl_map(m, 0, n, PAGE_SIZE, &cookie);
	self->plen = PAGE_SIZE;
	self->p = iobmd_mmap(self->fd, cookie, self->plen,
			     PROT_READ | PROT_WRITE);
	close(stop[1]);
	ASSERT_EQ(ender, waitpid(ender, &status, 0));
	ASSERT_NE(MAP_FAILED, self->p) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the copies' ender: status %#x", status);
	ASSERT_EQ(0, exporter_count("copies"));
	ASSERT_EQ(0, madvise(self->p, self->plen, MADV_DONTNEED))
		TH_LOG("%s", strerror(errno));

	ASSERT_EQ(0, pattern_pipe(fds, PAGE_SIZE, 91));
	reader = fault_reader(fds[0], self->p, PAGE_SIZE);
	ASSERT_LT(0, reader);
	close(fds[0]);
	close(fds[1]);
	if (!copies_become(1, 30000))
		kill(reader, SIGKILL);
	ASSERT_EQ(1, exporter_count("copies")) TH_LOG("the fault never pinned");
	/* Asleep in the wait for the copy, then a signal. */
	end = iobmd_now_ms() + 10000;
	do {
		state = iobmd_proc_state(reader);
		if (state == 'S' || state == 'D')
			break;
		usleep(1000);
	} while (iobmd_now_ms() < end);
	ASSERT_TRUE(state == 'S' || state == 'D')
		TH_LOG("the reader is in state %c", state);
	ASSERT_EQ(0, kill(reader, SIGUSR1));
	/* No 0.2 s in the kernel within 5 s: it sleeps. */
	stime0 = iobmd_proc_stime(reader);
	ASSERT_LE(0, stime0);
	end = iobmd_now_ms() + 5000;
	do {
		stime = iobmd_proc_stime(reader);
		if (stime - stime0 >= 20)
			break;
		usleep(10000);
	} while (iobmd_now_ms() < end);
	ASSERT_GT(20, stime - stime0)
		TH_LOG("the fault spins in the kernel with a signal pending (state %c)",
		       iobmd_proc_state(reader));
	state = iobmd_proc_wait_state(reader, 'D', "dma_fence", wchan,
				      sizeof(wchan), 10000);
	EXPECT_EQ('D', state) TH_LOG("the reader is in state %c", state);
	EXPECT_NE(NULL, strstr(wchan, "dma_fence"))
		TH_LOG("the reader sleeps in %s", wchan);

	ASSERT_EQ(0, kill(reader, SIGKILL));
	status = iobmd_reap_within(reader, 10000);
	ASSERT_NE(-1, status)
		TH_LOG("the reader lived 10 s after SIGKILL (state %c)",
		       iobmd_proc_state(reader));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("the reader: status %#x", status);
	/* It did not wait for the copy. */
	EXPECT_EQ(1, exporter_count("copies"));
	EXPECT_EQ(0, exporter_copy(self->dfd)) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(copies_become(0, 30000));

	/* A new reader's fault pins again: a new copy, ended. */
	ASSERT_EQ(0, pattern_pipe(fds, PAGE_SIZE, 91));
	reader = fault_reader(fds[0], self->p, PAGE_SIZE);
	ASSERT_LT(0, reader);
	close(fds[0]);
	close(fds[1]);
	if (copies_become(1, 30000))
		EXPECT_EQ(0, exporter_copy(self->dfd))
			TH_LOG("%s", strerror(errno));
	status = iobmd_reap_within(reader, 30000);
	if (status == -1)
		kill(reader, SIGKILL);
	ASSERT_NE(-1, status) TH_LOG("the new reader never read");
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the new reader: status %#x", status);
	iobmd_fill_pattern(want, PAGE_SIZE, 0, 91);
	test_ioctl_read(b, 0, back, PAGE_SIZE);
	EXPECT_EQ(0, memcmp(want, back, PAGE_SIZE));
	EXPECT_TRUE(copies_become(0, 30000));

	test_drop_multi(m, b, h, pat);
}

/* --- a dma-buf iobmd exported ----------------------------------------- */

FIXTURE(own)
{
	int fd;
	struct iobmd_test_stats before;
};

FIXTURE_SETUP(own)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&self->before));
}

FIXTURE_TEARDOWN(own)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&self->before));
}

TEST_F(own, is_a_sub_range)
{
	__u64 blen = 5 * PAGE_SIZE, off = PAGE_SIZE, n = 2 * PAGE_SIZE + 100;
	long long dmabufs = nl_stat_dmabufs();
	long long exports = iobmd_stat("exports");
	__u8 *pat, back[64];
	struct iobmd_info info;
	__u32 b, h;
	int dfd;

	pat = malloc(blen);
	ASSERT_NE(NULL, pat);
	iobmd_fill_pattern(pat, blen, 0, 71);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, blen, 0, &b);
	test_ioctl_write(b, 0, pat, blen);
	ASSERT_EQ(0, _test_export(self->fd, b, off, n, O_RDWR | O_CLOEXEC,
				  &dfd));
	EXPECT_EQ(PAGE_SIZE * 3, dmabuf_size(dfd));
	test_ioctl_import(dfd, IOBMD_DIRECTION_IN, &h);
	close(dfd);
	/* The exported range of the buffer, not foreign memory. */
	test_ioctl_get_info(h, &info);
	EXPECT_EQ(IOBMD_KIND_SUB, info.kind);
	EXPECT_EQ(n, info.length);
	EXPECT_EQ(IOBMD_DIRECTION_IN, info.direction);
	EXPECT_EQ(dmabufs, nl_stat_dmabufs());
	test_ioctl_read(h, n - 64, back, 64);
	EXPECT_EQ(64, iobmd_check_pattern(back, 64, off + n - 64, 71));
	test_ioctl_write(h, 0, "own", 4);
	test_ioctl_read(b, off, back, 4);
	EXPECT_STREQ("own", (char *)back);
	test_err_read(ERANGE, h, n, back, 1);
	/* It holds the buffer, not the dma-buf. */
	test_ioctl_release(b);
	EXPECT_EQ(exports, iobmd_stat("exports"));
	test_ioctl_read(h, 0, back, 4);
	EXPECT_STREQ("own", (char *)back);
	test_ioctl_release(h);
	free(pat);
}

/*
 * An export open read-only grants no writes through anything built on its
 * import either: a sub, a multi, an interleaved descriptor, pinned for
 * reading first (prepared for a device that only reads) or not.  Nothing
 * of the owner's buffer changes.
 */
TEST_F(own, readonly_through_what_is_built_on_it)
{
	const __u64 len = 2 * PAGE_SIZE;
	__u32 b, h, built[3], pieces[2];
	struct iobmd_info info;
	__u8 back[8];
	__u64 cookie;
	int dfd, i;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, len, 0, &b);
	test_ioctl_write(b, 0, "owner's", 8);
	ASSERT_EQ(0, _test_export(self->fd, b, 0, len, O_RDONLY | O_CLOEXEC,
				  &dfd)) TH_LOG("%s", strerror(errno));
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	close(dfd);
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	test_err_perform(EACCES, h, IOBMD_OP_INVALIDATE, 0, len);
	test_ioctl_complete(h, 0);

	test_ioctl_sub_create(h, IOBMD_DIRECTION_INOUT, 0, len, &built[0]);
	pieces[0] = b;
	pieces[1] = h;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &built[1]);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &built[2]);
	test_ioctl_interleaved_set(built[2], h, 0, len);
	for (i = 0; i < 3; i++) {
		/* The import's first byte: in the multi, after the buffer. */
		__u64 at = i == 1 ? len : 0;

		TH_LOG("built on the import: %d", i);
		test_err_write(EACCES, built[i], at, "X", 1);
		test_err_prepare(EACCES, built[i], IOBMD_DIRECTION_IN);
		test_ioctl_prepare(built[i], IOBMD_DIRECTION_OUT);
		/* Pinned for reading, it still refuses every write. */
		test_err_write(EACCES, built[i], at, "X", 1);
		test_err_perform(EACCES, built[i], IOBMD_OP_INVALIDATE, 0,
				 PAGE_SIZE);
		test_ioctl_perform(built[i], IOBMD_OP_STORE, 0, PAGE_SIZE);
		EXPECT_ERRNO(EACCES, _test_export(self->fd, built[i], 0, 0,
						  O_RDWR | O_CLOEXEC, &dfd));
		EXPECT_ERRNO(EACCES, _test_export(self->fd, built[i], 0, 0,
						  O_RDONLY | O_CLOEXEC, &dfd));
		test_ioctl_get_info(built[i], &info);
		test_ioctl_map(built[i], 0, 0, 0, &cookie);
		test_map_readonly(cookie, info.length);
		test_ioctl_complete(built[i], 0);
		test_ioctl_release(built[i]);
	}
	test_ioctl_read(b, 0, back, sizeof(back));
	EXPECT_STREQ("owner's", (char *)back);
	test_ioctl_release(h);
	test_ioctl_release(b);
}

/*
 * An interleaved descriptor something is built on takes a read-only
 * piece only if it is read-only already (EBUSY): what is built on it
 * counted it writable.  With nothing built on it, it becomes read-only,
 * and writable again once cleared.
 */
TEST_F(own, readonly_piece_of_an_interleaved_descriptor)
{
	__u32 b, h, il, top;
	__u8 back[4];
	int dfd;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b);
	test_ioctl_write(b, 0, "own", 4);
	ASSERT_EQ(0, _test_export(self->fd, b, 0, PAGE_SIZE,
				  O_RDONLY | O_CLOEXEC, &dfd))
		TH_LOG("%s", strerror(errno));
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	close(dfd);

	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il);
	test_ioctl_interleaved_set(il, b, PAGE_SIZE, PAGE_SIZE);
	test_ioctl_sub_create(il, IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE, &top);
	test_err_interleaved_set(EBUSY, il, h, 0, PAGE_SIZE);
	test_ioctl_prepare(top, IOBMD_DIRECTION_OUT);
	test_ioctl_write(top, 0, "w", 2);
	test_ioctl_complete(top, 0);
	test_ioctl_release(top);

	test_ioctl_interleaved_set(il, h, 0, PAGE_SIZE);
	test_err_write(EACCES, il, PAGE_SIZE, "X", 1);
	test_ioctl_sub_create(il, IOBMD_DIRECTION_INOUT, 0, PAGE_SIZE, &top);
	test_ioctl_prepare(top, IOBMD_DIRECTION_OUT);
	test_err_write(EACCES, top, 0, "X", 1);
	test_ioctl_complete(top, 0);
	test_ioctl_release(top);
	test_ioctl_interleaved_clear(il, 0);
	test_ioctl_interleaved_set(il, b, PAGE_SIZE, PAGE_SIZE);
	test_ioctl_write(il, 0, "v", 2);

	test_ioctl_read(b, 0, back, sizeof(back));
	EXPECT_STREQ("own", (char *)back);
	test_ioctl_read(b, PAGE_SIZE, back, 2);
	EXPECT_STREQ("v", (char *)back);
	test_ioctl_release(il);
	test_ioctl_release(h);
	test_ioctl_release(b);
}

/*
 * The purgeable state of a buffer is its owner's: an import of its export
 * (read-only or not), and a multi holding one, neither change nor read it
 * (EOPNOTSUPP, as for other exporters' memory), and nothing of the buffer
 * changes, the pages outside the export included.  An import's tag is its
 * own too.
 */
TEST_F(own, purgeable_state_stays_the_owners)
{
	static const __u64 states[] = {
		IOBMD_PURGEABLE_EMPTY, IOBMD_PURGEABLE_VOLATILE,
		IOBMD_PURGEABLE_NON_VOLATILE, IOBMD_PURGEABLE_KEEP_CURRENT,
	};
	static const __u32 modes[] = { O_RDONLY, O_RDWR };
	__u32 b, mine, m, h[2], pieces[2];
	struct iobmd_info info;
	__u8 back[8];
	__u64 old;
	int dfd, i, j;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | IOBMD_OPT_PURGEABLE,
			      2 * PAGE_SIZE, 0, &b);
	test_ioctl_set_tag(b, 0x7a9, NULL);
	test_ioctl_write(b, 0, "first", 6);
	test_ioctl_write(b, PAGE_SIZE, "second", 7);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, _test_export(self->fd, b, 0, PAGE_SIZE,
					  modes[i] | O_CLOEXEC, &dfd))
			TH_LOG("%s", strerror(errno));
		test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h[i]);
		close(dfd);
		test_ioctl_get_info(h[i], &info);
		EXPECT_EQ(0, info.tag);
		for (j = 0; j < 4; j++)
			test_err_set_purgeable(EOPNOTSUPP, h[i], states[j]);
	}
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | IOBMD_OPT_PURGEABLE,
			      PAGE_SIZE, 0, &mine);
	pieces[0] = mine;
	pieces[1] = h[1];
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pieces, 2, &m);
	test_err_set_purgeable(EOPNOTSUPP, m, IOBMD_PURGEABLE_EMPTY);
	test_ioctl_set_purgeable(mine, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	EXPECT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);

	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_KEEP_CURRENT, &old);
	EXPECT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, old);
	test_ioctl_read(b, 0, back, 6);
	EXPECT_STREQ("first", (char *)back);
	test_ioctl_read(b, PAGE_SIZE, back, 7);
	EXPECT_STREQ("second", (char *)back);
	/* The owner still may. */
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_VOLATILE, &old);
	test_ioctl_set_purgeable(b, IOBMD_PURGEABLE_NON_VOLATILE, &old);
	EXPECT_EQ(IOBMD_PURGEABLE_VOLATILE, old);
	test_ioctl_release(m);
	test_ioctl_release(mine);
	test_ioctl_release(h[0]);
	test_ioctl_release(h[1]);
	test_ioctl_release(b);
}

/* --- a dma-buf open read-only ------------------------------------------ */

FIXTURE(readonly)
{
	int fd;
	struct exporter e;
};

FIXTURE_SETUP(readonly)
{
	int ret;

	self->e.fd = -1;
	self->e.memfd = -1;
	exporter_unload_leftovers();
	iobmd_fixture_open(self->fd);
	/* vgem: every kernel has it, and it exports read-only. */
	ret = exporter_open(&self->e, EXP_VGEM);
	exporter_need(&self->e, ret);
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(readonly)
{
	if (self->fd != -1)
		close(self->fd);
	exporter_close(&self->e);
}

TEST_F(readonly, refuses_writes)
{
	__u8 *map, buf[16];
	__u64 len, cookie;
	__u32 h, m, b[2];
	void *p;
	int dfd;

	dfd = exporter_alloc(&self->e, 4 * PAGE_SIZE, true);
	ASSERT_LE(0, dfd);
	len = dmabuf_size(dfd);
	ASSERT_EQ(O_RDONLY, fcntl(dfd, F_GETFL) & O_ACCMODE);
	test_ioctl_import(dfd, IOBMD_DIRECTION_INOUT, &h);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, map);

	/* Read, yes; written, by the CPU or a device, no. */
	EXPECT_EQ(len, iobmd_check_pattern(map, len, 0, RDONLY_SEED));
	test_ioctl_read(h, PAGE_SIZE - 8, buf, sizeof(buf));
	EXPECT_EQ(sizeof(buf), iobmd_check_pattern(buf, sizeof(buf),
						   PAGE_SIZE - 8,
						   RDONLY_SEED));
	test_err_write(EACCES, h, 0, buf, 1);
	test_err_prepare(EACCES, h, IOBMD_DIRECTION_IN);
	test_ioctl_prepare(h, IOBMD_DIRECTION_OUT);
	/* Pinned read-only, it still refuses a write. */
	test_err_write(EACCES, h, 0, buf, 1);
	test_ioctl_complete(h, 0);

	/* Mapped read-only only, by itself or in a multi. */
	test_ioctl_map(h, 0, 0, 0, &cookie);
	test_map_readonly(cookie, len);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b[0]);
	b[1] = h;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, b, 2, &m);
	test_err_write(EACCES, m, PAGE_SIZE, buf, 1);
	test_ioctl_map(m, 0, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, len + PAGE_SIZE,
		       PROT_READ | PROT_WRITE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EACCES, errno);
	test_ioctl_map(m, IOBMD_MAP_READONLY, 0, 0, &cookie);
	p = iobmd_mmap(self->fd, cookie, len + PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(len, iobmd_check_pattern((__u8 *)p + PAGE_SIZE, len, 0,
					   RDONLY_SEED));
	munmap(p, len + PAGE_SIZE);
	test_ioctl_release(m);
	test_ioctl_release(b[0]);
	test_ioctl_release(h);
	munmap(map, len);
	close(dfd);
}

TEST_HARNESS_MAIN

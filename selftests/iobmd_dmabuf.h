/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dma-buf tests' other side: the guest's own exporters and importers,
 * each behind a few functions that return 0 (or what they made) or
 * -errno, and never assert, so any test can use them.
 *
 * - dma-buf files: DMA_BUF_IOCTL_SYNC, the size, the exporter's name as
 *   /proc/self/fdinfo and /sys/kernel/debug/dma_buf/bufinfo give it.
 * - vgem (DRM): the card whose DRM_IOCTL_VERSION name is "vgem"; PRIME
 *   import and export, dumb buffers and mappings of them through the card
 *   (DRM maps no import that way), fences on an object's reservation.
 * - vivid (V4L2): scripts/lib.sh loads it as two instances with a video
 *   capture node only, vivid-000 allocating with vmalloc (it vmaps an
 *   imported dma-buf) and vivid-001 with dma-contig (it maps an imported
 *   dma-buf for its device, 32-bit DMA mask, and wants it contiguous);
 *   a still test pattern (75% colour bars, no text, no movement), so that
 *   every frame of one format holds the same bytes, and what it changed
 *   put back afterwards; streaming with MMAP or DMABUF buffers.
 *
 * Needs nothing else from the selftests: include it beside iobmd_utils.h
 * or alone.
 */
#ifndef __SELFTEST_IOBMD_DMABUF_H
#define __SELFTEST_IOBMD_DMABUF_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/dma-buf.h>
#include <linux/types.h>
#include <linux/videodev2.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <drm/vgem_drm.h>

#define DMABUF_BUFINFO	"/sys/kernel/debug/dma_buf/bufinfo"

/* A driver's side: selftests/kapi/iobmd_dmabuf_kapi.c, loaded by a test. */
#define DMABUF_KAPI_MODULE	"/lib/modules/iobmd_dmabuf_kapi.ko"
#define DMABUF_KAPI_DIR		"/sys/kernel/debug/iobmd_dmabuf_kapi/"

/*
 * The memory type of the page table entry that maps @addr in a mapping by
 * frame number, as the kapi module reads it (loaded by the test), in
 * @mode: x86's PAT modes ("wb", "wc", "uc-", ...), arm64's "wb", "nc",
 * "ngnrne", "ngnre".  0, or -errno (-EFAULT: no such mapping there,
 * -EOPNOTSUPP: another architecture, or x86 without PAT).
 */
static inline int dmabuf_kapi_cachemode(const void *addr, char *mode,
					size_t size)
{
	char a[32];
	ssize_t n;
	int fd, ret = 0;

	fd = open(DMABUF_KAPI_DIR "cachemode", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(a, sizeof(a), "%lx", (unsigned long)addr);
	if (write(fd, a, n) != n)
		ret = -errno;
	n = ret ? 0 : pread(fd, mode, size - 1, 0);
	if (n < 0)
		ret = -errno;
	close(fd);
	mode[n > 0 ? n : 0] = 0;
	mode[strcspn(mode, "\n")] = 0;
	return ret;
}

/*
 * IOBMD_EXPORT_DMABUF of a range of @handle on /dev/iobmd's @fd: the
 * ioctl's return, the dma-buf's fd in *@out on success.
 */
static inline int _test_export(int fd, __u32 handle, __u64 offset,
			       __u64 length, __u32 fd_flags, int *out)
{
	struct iobmd_export_dmabuf cmd = {
		.size = sizeof(cmd),
		.handle = handle,
		.fd_flags = fd_flags,
		.offset = offset,
		.length = length,
	};
	int ret = ioctl(fd, IOBMD_EXPORT_DMABUF, &cmd);

	if (!ret)
		*out = (int)cmd.fd;
	return ret;
}

/* ioctl() that returns 0 or -errno, retrying EINTR. */
static inline int dmabuf_xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, cmd, arg);
	} while (ret == -1 && errno == EINTR);
	return ret == -1 ? -errno : 0;
}

/* --- dma-buf files ----------------------------------------------------- */

/* DMA_BUF_IOCTL_SYNC with @flags (DMA_BUF_SYNC_*); 0 or -errno. */
static inline int dmabuf_sync(int fd, __u64 flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return dmabuf_xioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

/* The dma-buf's size (its SEEK_END), or -errno. */
static inline long long dmabuf_size(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);

	if (end == (off_t)-1)
		return -errno;
	lseek(fd, 0, SEEK_SET);
	return end;
}

/*
 * The value of "@key:" in /proc/self/fdinfo/@fd into @out (@len bytes),
 * blanks trimmed; 0, or -errno (-ENOENT: no such line).
 */
static inline int dmabuf_fdinfo(int fd, const char *key, char *out,
				size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *v = line + klen + 1;

		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = 0;
		snprintf(out, len, "%s", v);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* What DMABUF_BUFINFO says of one dma-buf. */
struct dmabuf_info {
	char exporter[32];
	unsigned long long size;
	int attached;		/* devices attached */
	char device[64];	/* the first of them */
};

/*
 * The dma-buf @fd's entry of DMABUF_BUFINFO, found by its inode.  0, or
 * -errno (-ENOENT: not listed).
 */
static inline int dmabuf_bufinfo(int fd, struct dmabuf_info *info)
{
	unsigned long long sz, ino;
	unsigned int fl, mode;
	char line[512], name[128];
	bool mine = false, devs = false;
	int ret = -ENOENT;
	struct stat st;
	long count;
	FILE *f;

	if (fstat(fd, &st))
		return -errno;
	f = fopen(DMABUF_BUFINFO, "r");
	if (!f)
		return -errno;
	memset(info, 0, sizeof(*info));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		/* size flags mode count exp_name ino name */
		if (sscanf(line, "%llu %x %x %ld %127s %llu", &sz, &fl, &mode,
			   &count, name, &ino) == 6) {
			mine = ino == st.st_ino;
			devs = false;
			if (!mine)
				continue;
			snprintf(info->exporter, sizeof(info->exporter), "%.*s",
				 (int)sizeof(info->exporter) - 1, name);
			info->size = sz;
			ret = 0;
		} else if (mine && !strcmp(line, "\tAttached Devices:")) {
			devs = true;
		} else if (mine && devs && line[0] == '\t') {
			if (!info->device[0])
				snprintf(info->device, sizeof(info->device),
					 "%.*s", (int)sizeof(info->device) - 1,
					 line + 1);
		} else if (mine && sscanf(line, "Total %d devices attached",
					  &info->attached) == 1) {
			mine = false;
		}
	}
	fclose(f);
	return ret;
}

/* --- vgem ---------------------------------------------------------------- */

/* Skips the test when there is no vgem card. */
#define IOBMD_NEED_VGEM()                                                     \
	do {                                                                  \
		int __card = vgem_open();                                     \
		if (__card == -ENODEV)                                        \
			SKIP(return, IOBMD_NO_VGEM);                          \
		if (__card >= 0)                                              \
			close(__card);                                        \
	} while (0)

/* The vgem card, opened read-write; or -errno (-ENODEV: no vgem). */
static inline int vgem_open(void)
{
	char path[64], name[16];
	int i;

	for (i = 0; i < 64; i++) {
		struct drm_version v = {
			.name = name, .name_len = sizeof(name) - 1,
		};
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!dmabuf_xioctl(fd, DRM_IOCTL_VERSION, &v) &&
		    !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

/* PRIME import of the dma-buf @dmabuf as a GEM object of @card. */
static inline int vgem_import(int card, int dmabuf, __u32 *handle)
{
	struct drm_prime_handle p = { .fd = dmabuf };
	int ret = dmabuf_xioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	if (!ret)
		*handle = p.handle;
	return ret;
}

/* PRIME export of @handle; @flags DRM_CLOEXEC, DRM_RDWR. */
static inline int vgem_export(int card, __u32 handle, __u32 flags,
			      int *dmabuf)
{
	struct drm_prime_handle p = { .handle = handle, .flags = flags };
	int ret = dmabuf_xioctl(card, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p);

	if (!ret)
		*dmabuf = p.fd;
	return ret;
}

/* A dumb buffer of vgem's own, at least @size bytes (*@size: how many). */
static inline int vgem_create(int card, __u64 *size, __u32 *handle)
{
	long page = sysconf(_SC_PAGESIZE);
	struct drm_mode_create_dumb c = {
		.width = page, .height = (*size + page - 1) / page, .bpp = 8,
	};
	int ret = dmabuf_xioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &c);

	if (!ret) {
		*handle = c.handle;
		*size = c.size;
	}
	return ret;
}

/*
 * vgem's own object @handle mapped through the card; MAP_FAILED and
 * errno.  DRM maps no imported object this way (EINVAL).
 */
static inline void *vgem_mmap(int card, __u32 handle, size_t len, int prot)
{
	struct drm_mode_map_dumb m = { .handle = handle };
	int ret = dmabuf_xioctl(card, DRM_IOCTL_MODE_MAP_DUMB, &m);

	if (ret) {
		errno = -ret;
		return MAP_FAILED;
	}
	return mmap(NULL, len, prot, MAP_SHARED, card, m.offset);
}

static inline int vgem_close_handle(int card, __u32 handle)
{
	struct drm_gem_close c = { .handle = handle };

	return dmabuf_xioctl(card, DRM_IOCTL_GEM_CLOSE, &c);
}

/*
 * A fence of vgem's on the object @handle (an import: on the dma-buf's
 * reservation), a writer's with @write; it signals at vgem_signal(), or
 * by itself after vgem's timeout (10 s).
 */
static inline int vgem_fence(int card, __u32 handle, bool write,
			     __u32 *fence)
{
	struct drm_vgem_fence_attach a = {
		.handle = handle, .flags = write ? VGEM_FENCE_WRITE : 0,
	};
	int ret = dmabuf_xioctl(card, DRM_IOCTL_VGEM_FENCE_ATTACH, &a);

	if (!ret)
		*fence = a.out_fence;
	return ret;
}

static inline int vgem_signal(int card, __u32 fence)
{
	struct drm_vgem_fence_signal s = { .fence = fence };

	return dmabuf_xioctl(card, DRM_IOCTL_VGEM_FENCE_SIGNAL, &s);
}

/* --- vivid ----------------------------------------------------------------- */

#define VIVID_VMALLOC	0	/* instance vivid-000 */
#define VIVID_CONTIG	1	/* instance vivid-001 */
#define VIVID_TIMEOUT_MS 20000	/* for a frame (TCG, KASAN) */

/*
 * The video capture node of vivid instance @inst, opened; or -errno
 * (-ENODEV: no such instance).
 */
static inline int vivid_open(int inst)
{
	char path[64], bus[32];
	int i;

	snprintf(bus, sizeof(bus), "platform:vivid-%03d", inst);
	for (i = 0; i < 64; i++) {
		struct v4l2_capability cap;
		int fd;

		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!dmabuf_xioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "vivid") &&
		    !strcmp((char *)cap.bus_info, bus) &&
		    (cap.device_caps & V4L2_CAP_VIDEO_CAPTURE) &&
		    (cap.device_caps & V4L2_CAP_STREAMING))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

/* Skips the test when vivid has no instance @inst. */
#define IOBMD_NEED_VIVID(inst)                                                \
	do {                                                                  \
		int __video = vivid_open(inst);                               \
		if (__video == -ENODEV)                                       \
			SKIP(return, "no vivid-%03d video capture node: "     \
			     IOBMD_NO_VIVID, (inst));                         \
		if (__video >= 0)                                             \
			close(__video);                                       \
	} while (0)

/* Sets the menu control named @ctrl to its item named @item. */
static inline int vivid_set_menu(int fd, const char *ctrl, const char *item)
{
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	struct v4l2_ext_control c = { 0 };
	struct v4l2_ext_controls cs = {
		.which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &c,
	};
	__s64 i;

	while (!dmabuf_xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q)) {
		if (!strcmp(q.name, ctrl))
			break;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	if (strcmp(q.name, ctrl) || q.type != V4L2_CTRL_TYPE_MENU)
		return -ENOENT;
	for (i = q.minimum; i <= q.maximum; i++) {
		struct v4l2_querymenu m = { .id = q.id, .index = i };

		if (dmabuf_xioctl(fd, VIDIOC_QUERYMENU, &m) ||
		    strcmp((char *)m.name, item))
			continue;
		c.id = q.id;
		c.value = i;
		return dmabuf_xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs);
	}
	return -ENOENT;
}

/*
 * Input 0 (the webcam), YUYV @width x @height (a webcam size: 320x180,
 * 640x360, 1280x720) into *@fmt, the still test pattern, 60 frames a
 * second.
 */
static inline int vivid_setup(int fd, __u32 width, __u32 height,
			      struct v4l2_format *fmt)
{
	static const char *const still[][2] = {
		{ "Test Pattern", "75% Colorbar" },
		{ "OSD Text Mode", "None" },
		{ "Horizontal Movement", "No Movement" },
		{ "Vertical Movement", "No Movement" },
	};
	struct v4l2_streamparm parm;
	int input = 0, ret;
	unsigned int i;

	ret = dmabuf_xioctl(fd, VIDIOC_S_INPUT, &input);
	if (ret)
		return ret;
	memset(fmt, 0, sizeof(*fmt));
	fmt->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	fmt->fmt.pix.width = width;
	fmt->fmt.pix.height = height;
	fmt->fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	fmt->fmt.pix.field = V4L2_FIELD_NONE;
	ret = dmabuf_xioctl(fd, VIDIOC_S_FMT, fmt);
	if (ret)
		return ret;
	if (fmt->fmt.pix.width != width || fmt->fmt.pix.height != height ||
	    fmt->fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV)
		return -EINVAL;
	for (i = 0; i < sizeof(still) / sizeof(still[0]); i++) {
		ret = vivid_set_menu(fd, still[i][0], still[i][1]);
		if (ret)
			return ret;
	}
	/* 60 frames a second, the most the webcam gives at these sizes. */
	memset(&parm, 0, sizeof(parm));
	parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	parm.parm.capture.timeperframe.numerator = 1;
	parm.parm.capture.timeperframe.denominator = 60;
	return dmabuf_xioctl(fd, VIDIOC_S_PARM, &parm);
}

/*
 * What vivid_setup() changes, to put back: the node is shared with the
 * programs that run after (they may count on vivid's defaults).
 */
struct vivid_saved {
	int input;
	struct v4l2_format fmt;
	struct v4l2_streamparm parm;
	struct v4l2_ext_control ctrl[4];
	unsigned int nctrl;
};

/* The current value of each menu control vivid_setup() sets. */
static inline int vivid_save(int fd, struct vivid_saved *sv)
{
	static const char *const names[] = {
		"Test Pattern", "OSD Text Mode", "Horizontal Movement",
		"Vertical Movement",
	};
	struct v4l2_query_ext_ctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	struct v4l2_ext_controls cs = { .which = V4L2_CTRL_WHICH_CUR_VAL };
	unsigned int i;
	int ret;

	memset(sv, 0, sizeof(*sv));
	ret = dmabuf_xioctl(fd, VIDIOC_G_INPUT, &sv->input);
	if (ret)
		return ret;
	sv->fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ret = dmabuf_xioctl(fd, VIDIOC_G_FMT, &sv->fmt);
	if (ret)
		return ret;
	sv->parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	ret = dmabuf_xioctl(fd, VIDIOC_G_PARM, &sv->parm);
	if (ret)
		return ret;
	while (!dmabuf_xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q)) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(q.name, names[i]) && sv->nctrl < 4)
				sv->ctrl[sv->nctrl++].id = q.id;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	cs.count = sv->nctrl;
	cs.controls = sv->ctrl;
	return dmabuf_xioctl(fd, VIDIOC_G_EXT_CTRLS, &cs);
}

/* Puts back what vivid_save() saw; streaming must be off. */
static inline int vivid_restore(int fd, struct vivid_saved *sv)
{
	struct v4l2_ext_controls cs = {
		.which = V4L2_CTRL_WHICH_CUR_VAL, .count = sv->nctrl,
		.controls = sv->ctrl,
	};

	return dmabuf_xioctl(fd, VIDIOC_S_INPUT, &sv->input) ?:
	       dmabuf_xioctl(fd, VIDIOC_S_FMT, &sv->fmt) ?:
	       dmabuf_xioctl(fd, VIDIOC_S_PARM, &sv->parm) ?:
	       dmabuf_xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs);
}

/* VIDIOC_REQBUFS: the number of buffers granted, or -errno. */
static inline int vivid_reqbufs(int fd, __u32 memory, __u32 count)
{
	struct v4l2_requestbuffers r = {
		.count = count, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};
	int ret = dmabuf_xioctl(fd, VIDIOC_REQBUFS, &r);

	return ret ? ret : (int)r.count;
}

/* Queues buffer @index: MMAP (@dmabuf -1), or DMABUF of @length bytes. */
static inline int vivid_qbuf(int fd, __u32 index, int dmabuf, __u32 length)
{
	struct v4l2_buffer b = {
		.index = index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = dmabuf < 0 ? V4L2_MEMORY_MMAP : V4L2_MEMORY_DMABUF,
	};

	if (dmabuf >= 0) {
		b.m.fd = dmabuf;
		b.length = length;
	}
	return dmabuf_xioctl(fd, VIDIOC_QBUF, &b);
}

static inline int vivid_stream(int fd, bool on)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	return dmabuf_xioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF,
			     &type);
}

/* The next filled buffer (*@b), within VIVID_TIMEOUT_MS; or -errno. */
static inline int vivid_dqbuf(int fd, __u32 memory, struct v4l2_buffer *b)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int ret;

	ret = poll(&p, 1, VIVID_TIMEOUT_MS);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	memset(b, 0, sizeof(*b));
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = memory;
	ret = dmabuf_xioctl(fd, VIDIOC_DQBUF, b);
	if (!ret && (b->flags & V4L2_BUF_FLAG_ERROR))
		ret = -EIO;
	return ret;
}

/*
 * Streams @frames frames into @n MMAP buffers of vivid's own and copies
 * the last into @frame (@len bytes, the format's sizeimage); streaming
 * stopped and the buffers freed again.  0 or -errno.
 */
static inline int vivid_capture_mmap(int fd, __u32 n, unsigned int frames,
				     void *frame, size_t len)
{
	struct v4l2_buffer b;
	void *maps[8] = { NULL };
	__u32 i;
	int ret;

	ret = vivid_reqbufs(fd, V4L2_MEMORY_MMAP, n);
	if (ret < 0)
		return ret;
	if ((__u32)ret != n || n > 8) {
		vivid_reqbufs(fd, V4L2_MEMORY_MMAP, 0);
		return -ENOBUFS;
	}
	ret = 0;
	for (i = 0; !ret && i < n; i++) {
		memset(&b, 0, sizeof(b));
		b.index = i;
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		ret = dmabuf_xioctl(fd, VIDIOC_QUERYBUF, &b);
		if (!ret && b.length < len)
			ret = -ENOSPC;
		if (!ret) {
			maps[i] = mmap(NULL, b.length, PROT_READ, MAP_SHARED,
				       fd, b.m.offset);
			if (maps[i] == MAP_FAILED) {
				maps[i] = NULL;
				ret = -errno;
			}
		}
		if (!ret)
			ret = vivid_qbuf(fd, i, -1, 0);
	}
	if (!ret)
		ret = vivid_stream(fd, true);
	while (!ret && frames--) {
		ret = vivid_dqbuf(fd, V4L2_MEMORY_MMAP, &b);
		if (!ret && !frames)
			memcpy(frame, maps[b.index], len);
		else if (!ret)
			ret = vivid_qbuf(fd, b.index, -1, 0);
	}
	vivid_stream(fd, false);
	for (i = 0; i < n; i++)
		if (maps[i])
			munmap(maps[i], len);
	vivid_reqbufs(fd, V4L2_MEMORY_MMAP, 0);
	return ret;
}

/*
 * Streams @frames frames into the @n dma-bufs @fds (each @length bytes,
 * 0: its size), queued in order: the index of the buffer that holds the
 * last, or -errno.  Streaming stops and vivid lets go of the dma-bufs
 * (REQBUFS 0) before it returns.
 */
static inline int vivid_capture_dmabuf(int fd, const int *fds, __u32 n,
				       __u32 length, unsigned int frames)
{
	struct v4l2_buffer b;
	__u32 i;
	int ret;

	ret = vivid_reqbufs(fd, V4L2_MEMORY_DMABUF, n);
	if (ret < 0)
		return ret;
	ret = (__u32)ret == n ? 0 : -ENOBUFS;
	for (i = 0; !ret && i < n; i++)
		ret = vivid_qbuf(fd, i, fds[i], length);
	if (!ret)
		ret = vivid_stream(fd, true);
	while (!ret && frames--) {
		ret = vivid_dqbuf(fd, V4L2_MEMORY_DMABUF, &b);
		if (!ret && !frames)
			ret = b.index;
		else if (!ret)
			ret = vivid_qbuf(fd, b.index, fds[b.index], length);
	}
	vivid_stream(fd, false);
	vivid_reqbufs(fd, V4L2_MEMORY_DMABUF, 0);
	return ret;
}

#endif /* __SELFTEST_IOBMD_DMABUF_H */

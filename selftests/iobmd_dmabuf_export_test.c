// SPDX-License-Identifier: GPL-2.0
/*
 * IOBMD_EXPORT_DMABUF: a descriptor's range as a dma-buf, taken by the
 * guest's real importers.
 *
 * - The command's rules: struct size, flags, reserved, fd_flags, the
 *   handle, the range, user memory's pin; failures leave no file
 *   descriptor and no reference behind; O_CLOEXEC and read-only files.
 * - Every kind exported whole and in part: the dma-buf's mmap shows the
 *   descriptor's bytes and writes through it reach the descriptor, with
 *   DMA_BUF_IOCTL_SYNC around CPU access, also while vgem holds it
 *   through PRIME (its device attached and mapping it; DRM maps no import
 *   for userspace, so the dma-buf's own mmap is vgem's view); device
 *   memory goes to peer2peer importers only; the mapping is the
 *   descriptor's own mapping's twin.
 * - vivid captures into exported buffers (V4L2_MEMORY_DMABUF): a
 *   contiguous buffer below 4 GiB on its dma-contig instance, scattered
 *   memory on its vmalloc instance, the same frames as into its own MMAP
 *   buffers; memory that is not contiguous is refused by the dma-contig
 *   instance.
 * - Lifetime: the iobmd file, the handle, the dma-buf file, its mapping,
 *   vgem's handle and vgem's card let go in every order; fork; the
 *   netlink counters, the dma-buf's name (none of the module's),
 *   debugfs's bufinfo, the module's
 *   reference.
 *
 * Runs as root, alone: it reads the module's counters and reference
 * count.  The importers are set up by scripts/lib.sh (DMABUF_KMODS).
 * selftests/kapi/iobmd_kapi.c is the in-kernel importer.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/userfaultfd.h>

#include "iobmd_utils.h"
#include "iobmd_dmabuf.h"
#include "iobmd_ivshmem.h"
#include "iobmd_netlink.h"
#include "iobmd_stats.h"

#ifndef SZ_512K
#define SZ_512K		0x80000ULL
#endif
#define MASK_32		0x00000000FFFFF000ULL	/* IOKit mask: 32 bits, pages */
/* BAR2 bytes this test uses: the kinds', the host-checked mark. */
#define IVSHMEM_EXPORT_OFF	SZ_512K
#define IVSHMEM_MARK_OFF	(SZ_512K + SZ_256K)
#define IVSHMEM_MARK		"iobmd-dmabuf-export"
#define MODULE_REFCNT	"/sys/module/iobmd/refcnt"

/* --- IOBMD_EXPORT_DMABUF ---------------------------------------------- */

/* IOBMD_EXPORT_DMABUF of @cmd: 0, or the errno it failed with. */
static int export_errno(int fd, struct iobmd_export_dmabuf *cmd)
{
	return ioctl(fd, IOBMD_EXPORT_DMABUF, cmd) ? errno : 0;
}

/* The lowest file descriptor free now: a failed export must not take it. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

#define test_export(handle, offset, length, fd_flags, out_p)                 \
	({                                                                   \
		ASSERT_EQ(0, _test_export(self->fd, handle, offset, length,  \
					  fd_flags, out_p))                  \
			TH_LOG("export of %u at %llu, %llu bytes: %s",       \
			       handle, (unsigned long long)(offset),         \
			       (unsigned long long)(length),                 \
			       strerror(errno));                             \
		ASSERT_LE(0, *(out_p));                                      \
	})
#define test_err_export(_errno, handle, offset, length, fd_flags)            \
	({                                                                   \
		int __lo = lowest_free_fd(), __d = -1;                       \
		EXPECT_ERRNO(_errno, _test_export(self->fd, handle, offset,  \
						  length, fd_flags, &__d));  \
		EXPECT_EQ(__lo, lowest_free_fd());                           \
	})

/* mmap() of a whole dma-buf, MAP_SHARED. */
static void *map_dmabuf(int dfd, size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, dfd, 0);
}

/* --- a small generic netlink client (no libnl) ------------------------- */

struct nl {
	int sock;
	__u16 family;
	__u32 seq;
	char buf[65536] __attribute__((aligned(8)));
};

/* Each attribute of @h (a generic netlink message) into @v/@present. */
static void nl_attrs(const struct nlmsghdr *h, __u64 *v, bool *present,
		     int max)
{
	const struct nlattr *a = (const void *)((const char *)NLMSG_DATA(h) +
						 GENL_HDRLEN);
	int rem = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	memset(v, 0, (max + 1) * sizeof(*v));
	memset(present, 0, (max + 1) * sizeof(*present));
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem) {
		int type = a->nla_type & NLA_TYPE_MASK;
		const void *data = (const char *)a + NLA_HDRLEN;
		int len = a->nla_len - NLA_HDRLEN;

		if (type <= max) {
			present[type] = true;
			if (len == 8)
				memcpy(&v[type], data, 8);
			else if (len == 4)
				v[type] = *(const __u32 *)data;
			else if (len == 2)
				v[type] = *(const __u16 *)data;
		}
		rem -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
}

/* Sends a request of @cmd to @type, with one string attribute if @name. */
static int nl_send(struct nl *nl, __u16 type, __u8 cmd, __u16 flags,
		   __u16 attr, const char *name)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		char attrs[64];
	} req = {
		.h = {
			.nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | flags,
			.nlmsg_seq = ++nl->seq,
		},
		.g = { .cmd = cmd, .version = 1 },
	};
	size_t len = NLMSG_LENGTH(GENL_HDRLEN);

	if (name) {
		struct nlattr *a = (void *)req.attrs;

		a->nla_type = attr;
		a->nla_len = NLA_HDRLEN + strlen(name) + 1;
		memcpy(req.attrs + NLA_HDRLEN, name, strlen(name) + 1);
		len += NLA_ALIGN(a->nla_len);
	}
	req.h.nlmsg_len = len;
	return send(nl->sock, &req, len, 0) == (ssize_t)len ? 0 : -errno;
}

/*
 * Reads the answers to the last request: calls @fn for each message with
 * its attributes (up to @max), until the ack, the dump's end or an
 * error; 0 or -errno.
 */
static int nl_recv(struct nl *nl, int max,
		   void (*fn)(const __u64 *v, const bool *present, void *arg),
		   void *arg)
{
	__u64 v[64];
	bool present[64];

	for (;;) {
		ssize_t n = recv(nl->sock, nl->buf, sizeof(nl->buf), 0);
		struct nlmsghdr *h = (void *)nl->buf;

		if (n < 0)
			return -errno;
		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != nl->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			nl_attrs(h, v, present, max);
			fn(v, present, arg);
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return 0;
		}
	}
}

static void nl_take_family(const __u64 *v, const bool *present, void *arg)
{
	if (present[CTRL_ATTR_FAMILY_ID])
		*(__u16 *)arg = v[CTRL_ATTR_FAMILY_ID];
}

static struct nl *nl_open(void)
{
	struct nl *nl = calloc(1, sizeof(*nl));

	if (!nl)
		return NULL;
	nl->sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			  NETLINK_GENERIC);
	if (nl->sock < 0 ||
	    nl_send(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0,
		    CTRL_ATTR_FAMILY_NAME, IOBMD_GENL_NAME) ||
	    nl_recv(nl, CTRL_ATTR_MAX, nl_take_family, &nl->family) ||
	    !nl->family) {
		if (nl->sock >= 0)
			close(nl->sock);
		free(nl);
		return NULL;
	}
	return nl;
}

static void nl_close(struct nl *nl)
{
	if (nl) {
		close(nl->sock);
		free(nl);
	}
}

static void nl_take_exports(const __u64 *v, const bool *present, void *arg)
{
	*(long long *)arg = present[IOBMD_A_STATS_EXPORTS] ?
				    (long long)v[IOBMD_A_STATS_EXPORTS] : -2;
}

/* IOBMD_A_STATS_EXPORTS: live dma-bufs iobmd exported; -errno, -2: absent. */
static long long nl_stats_exports(struct nl *nl)
{
	long long exports = -1;
	int ret;

	ret = nl_send(nl, nl->family, IOBMD_CMD_GET_STATS, 0, 0, NULL);
	if (!ret)
		ret = nl_recv(nl, IOBMD_A_MAX, nl_take_exports, &exports);
	return ret ? ret : exports;
}

/* What the dump says of the descriptors of this process of one length. */
struct nl_find {
	__u64 length;
	__u32 kind;
	int found;		/* such descriptors */
	long long exports;	/* IOBMD_A_DESC_EXPORTS of the last one */
};

static void nl_take_desc(const __u64 *v, const bool *present, void *arg)
{
	struct nl_find *f = arg;

	if (v[IOBMD_A_DESC_PID] != (__u64)getpid() ||
	    v[IOBMD_A_DESC_LENGTH] != f->length ||
	    v[IOBMD_A_DESC_KIND] != f->kind)
		return;
	f->found++;
	f->exports = present[IOBMD_A_DESC_EXPORTS] ?
			     (long long)v[IOBMD_A_DESC_EXPORTS] : 0;
}

/*
 * IOBMD_A_DESC_EXPORTS of this process's one descriptor of @kind and
 * @length: -ENOENT when the dump has none, -E2BIG when several, -errno.
 */
static long long nl_desc_exports(struct nl *nl, __u32 kind, __u64 length)
{
	struct nl_find f = { .length = length, .kind = kind };
	int ret;

	ret = nl_send(nl, nl->family, IOBMD_CMD_GET_DESC, NLM_F_DUMP, 0, NULL);
	if (!ret)
		ret = nl_recv(nl, IOBMD_A_MAX, nl_take_desc, &f);
	if (ret)
		return ret;
	return !f.found ? -ENOENT : f.found > 1 ? -E2BIG : f.exports;
}

/* --- the fixture --------------------------------------------------------- */

FIXTURE(exp)
{
	int fd;
	struct iobmd_test_stats stats;
	struct nl *nl;
};

FIXTURE_SETUP(exp)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&self->stats));
	self->nl = nl_open();
	ASSERT_NE(NULL, self->nl);
	ASSERT_EQ(0, nl_stats_exports(self->nl));
}

/* Everything exported is gone with its last user: nothing is held. */
FIXTURE_TEARDOWN(exp)
{
	if (self->fd != -1)
		close(self->fd);
	if (self->nl) {
		EXPECT_EQ(0, nl_stats_exports(self->nl));
		nl_close(self->nl);
	}
	EXPECT_STREQ("", iobmd_stats_changed(&self->stats));
}

/* A buffer of @len bytes filled with the pattern @seed. */
#define test_pattern_buffer(options, len, seed, handle_p)                    \
	({                                                                   \
		test_ioctl_buf_create(IOBMD_DIRECTION_INOUT | (options), len, \
				      0, handle_p);                          \
		test_fill_desc(*(handle_p), len, seed);                      \
	})

/* --- the command's rules --------------------------------------------- */

/*
 * One byte short: EINVAL; longer with a non-zero tail: E2BIG, with a zero
 * tail: works; above a page: E2BIG.
 */
TEST_F(exp, cmd_length)
{
	struct iobmd_export_dmabuf *cmd;
	size_t room = 2 * PAGE_SIZE;
	__u8 *mem = calloc(1, room);
	__u32 b;
	int lo;

	ASSERT_NE(NULL, mem);
	cmd = (void *)mem;
	test_pattern_buffer(0, 4 * PAGE_SIZE, 1, &b);
	lo = lowest_free_fd();
	cmd->handle = b;
	cmd->fd_flags = O_RDWR | O_CLOEXEC;

	cmd->size = 0;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd));
	cmd->size = offsetof(struct iobmd_export_dmabuf, __reserved);
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd));
	cmd->size = sizeof(*cmd) - 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd));
	cmd->size = sizeof(*cmd) + 8;
	mem[sizeof(*cmd) + 7] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd));
	cmd->size = PAGE_SIZE + 1;
	mem[sizeof(*cmd) + 7] = 0;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd));
	EXPECT_EQ(lo, lowest_free_fd());
	EXPECT_EQ(0, nl_stats_exports(self->nl));

	cmd->size = sizeof(*cmd) + 8;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd));
	EXPECT_EQ(lo, (int)cmd->fd);
	EXPECT_EQ(4 * PAGE_SIZE, dmabuf_size(cmd->fd));
	EXPECT_EQ(1, nl_stats_exports(self->nl));
	close(cmd->fd);
	test_ioctl_release(b);
	free(mem);
}

/* Every unknown bit of flags and fd_flags, and __reserved: EINVAL. */
TEST_F(exp, flags_reserved_fd_flags)
{
	static const __u32 bad_fd_flags[] = {
		O_WRONLY, O_RDWR | O_WRONLY, O_NONBLOCK, O_APPEND, O_TRUNC,
		O_CREAT, O_EXCL, O_DIRECT, O_SYNC, O_PATH, O_TMPFILE,
		O_NOCTTY, O_NOFOLLOW, O_DIRECTORY, O_NOATIME,
		0100000 /* the kernel's O_LARGEFILE (glibc's is 0 on 64-bit) */,
		0x80000000, O_RDWR | O_CLOEXEC | O_NONBLOCK,
	};
	static const __u32 good_fd_flags[] = {
		O_RDONLY, O_RDWR, O_RDONLY | O_CLOEXEC, O_RDWR | O_CLOEXEC,
	};
	struct iobmd_export_dmabuf cmd;
	unsigned int i;
	int lo, dfd;
	__u32 b;

	test_pattern_buffer(0, 2 * PAGE_SIZE, 2, &b);
	lo = lowest_free_fd();
	for (i = 0; i < 32; i++) {
		cmd = (struct iobmd_export_dmabuf){
			.size = sizeof(cmd), .handle = b, .flags = 1U << i,
		};
		EXPECT_EQ(EINVAL, export_errno(self->fd, &cmd))
			TH_LOG("flags 0x%x", 1U << i);
		cmd.flags = 0;
		cmd.__reserved = 1U << i;
		EXPECT_EQ(EINVAL, export_errno(self->fd, &cmd))
			TH_LOG("__reserved 0x%x", 1U << i);
	}
	for (i = 0; i < ARRAY_SIZE(bad_fd_flags); i++) {
		cmd = (struct iobmd_export_dmabuf){
			.size = sizeof(cmd), .handle = b,
			.fd_flags = bad_fd_flags[i],
		};
		EXPECT_EQ(EINVAL, export_errno(self->fd, &cmd))
			TH_LOG("fd_flags 0x%x", bad_fd_flags[i]);
	}
	EXPECT_EQ(lo, lowest_free_fd());
	EXPECT_EQ(0, nl_stats_exports(self->nl));
	for (i = 0; i < ARRAY_SIZE(good_fd_flags); i++) {
		test_export(b, 0, 0, good_fd_flags[i], &dfd);
		EXPECT_EQ(lo, dfd);
		EXPECT_EQ(good_fd_flags[i] & O_ACCMODE,
			  fcntl(dfd, F_GETFL) & O_ACCMODE);
		EXPECT_EQ(good_fd_flags[i] & O_CLOEXEC ? FD_CLOEXEC : 0,
			  fcntl(dfd, F_GETFD));
		close(dfd);
	}
	test_ioctl_release(b);
}

/*
 * A struct the kernel cannot read, or cannot write the fd back into:
 * EFAULT, and no file descriptor is left installed, nor anything held.
 */
TEST_F(exp, bad_pointer)
{
	struct iobmd_export_dmabuf *ro;
	void *none;
	int lo;
	__u32 b;

	test_pattern_buffer(0, PAGE_SIZE, 3, &b);
	lo = lowest_free_fd();
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOBMD_EXPORT_DMABUF, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOBMD_EXPORT_DMABUF, (void *)8));
	none = mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOBMD_EXPORT_DMABUF, none));
	/* Readable, valid, but the fd cannot be written back. */
	ro = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = (struct iobmd_export_dmabuf){
		.size = sizeof(*ro), .handle = b, .fd_flags = O_RDWR,
	};
	ASSERT_EQ(0, mprotect(ro, PAGE_SIZE, PROT_READ));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, IOBMD_EXPORT_DMABUF, ro));
	EXPECT_EQ(lo, lowest_free_fd());
	EXPECT_EQ(0, nl_stats_exports(self->nl));
	EXPECT_EQ(0, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, PAGE_SIZE));
	munmap(ro, PAGE_SIZE);
	munmap(none, PAGE_SIZE);
	test_ioctl_release(b);
}

/*
 * The answer cannot be written back because the struct's page turned
 * read-only while the export ran: EFAULT, and no file descriptor is left
 * installed (the fd goes in only once the answer is out).  The kernel
 * checks the struct is writable before it starts, so only a page that
 * turns read-only during the export reaches that point: a thread flips
 * the page while exports of user memory (whose pin takes a while) run.
 * Random timing; answer_fault_after_the_export below makes it certain
 * where long-term pins wait for userfaultfd (6.12 on).
 */
struct flipper {
	void *page;
	volatile bool stop;
};

/* A page of its own holding IOBMD_EXPORT_DMABUF's struct for all of @g. */
static struct iobmd_export_dmabuf *export_cmd_page(__u32 g)
{
	struct iobmd_export_dmabuf *cmd;

	cmd = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cmd != MAP_FAILED)
		*cmd = (struct iobmd_export_dmabuf){
			.size = sizeof(*cmd), .handle = g, .fd_flags = O_RDWR,
		};
	return cmd;
}

static void *flip_page(void *arg)
{
	struct flipper *f = arg;
	__u64 state = 1;

	while (!f->stop) {
		mprotect(f->page, PAGE_SIZE, PROT_READ);
		usleep(iobmd_rand_below(&state, 300));
		mprotect(f->page, PAGE_SIZE, PROT_READ | PROT_WRITE);
		usleep(iobmd_rand_below(&state, 300));
	}
	return NULL;
}

TEST_F_TIMEOUT(exp, answer_fault_leaves_no_fd, 120)
{
	const __u64 pages = 1024;
	struct iobmd_export_dmabuf *cmd;
	struct flipper f = { 0 };
	int i, lo, faults = 0, done = 0;
	__u8 *mem = iobmd_user_area(pages, 9);
	pthread_t t;
	__u32 g;

	ASSERT_NE(NULL, mem);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, pages * PAGE_SIZE,
				 &g);
	cmd = export_cmd_page(g);
	ASSERT_NE(MAP_FAILED, cmd);
	f.page = cmd;
	lo = lowest_free_fd();
	ASSERT_EQ(0, pthread_create(&t, NULL, flip_page, &f));
	for (i = 0; i < 200; i++) {
		if (!ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd)) {
			close(cmd->fd);
			done++;
		} else {
			EXPECT_EQ(EFAULT, errno);
			faults++;
		}
		ASSERT_EQ(lo, lowest_free_fd()) TH_LOG("attempt %d", i);
	}
	f.stop = true;
	pthread_join(t, NULL);
	TH_LOG("%d exports, %d faults", done, faults);
	EXPECT_EQ(0, nl_stats_exports(self->nl));
	munmap(f.page, PAGE_SIZE);
	test_ioctl_release(g);
	munmap(mem, pages * PAGE_SIZE);
}

/*
 * The same made certain: the exported memory is missing behind a
 * userfaultfd, so the export's pin waits for a thread, which makes the
 * struct's page read-only (after the kernel's first write of it) before
 * it supplies the page.  The export then runs to its end, and its answer
 * cannot be written.  Where long-term pins do not wait for userfaultfd
 * (6.1), the pin fails at once with EFAULT, and nothing is left either.
 */
struct answer_server {
	int uffd;
	void *mem;	/* the page registered with it */
	void *cmd_page;
	int returned;	/* the export returned */
	int faults;
	int err;	/* what failed in the thread, as an errno */
};

static void *serve_answer_fault(void *arg)
{
	struct answer_server *a = arg;
	struct pollfd p = { .fd = a->uffd, .events = POLLIN };
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)a->mem, .len = PAGE_SIZE },
	};
	struct uffd_msg msg;

	/* One fault, or none where the export returned without one. */
	while (poll(&p, 1, 100) != 1 || !(p.revents & POLLIN))
		if (__atomic_load_n(&a->returned, __ATOMIC_ACQUIRE))
			return NULL;
	/* Whatever came, the page is supplied: the export never hangs. */
	if (read(a->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		a->err = EIO;
	else
		a->faults++;
	if (!a->err && mprotect(a->cmd_page, PAGE_SIZE, PROT_READ))
		a->err = errno;
	if (ioctl(a->uffd, UFFDIO_ZEROPAGE, &zero))
		a->err = a->err ?: errno;
	return NULL;
}

TEST_F(exp, answer_fault_after_the_export)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_api api = { .api = UFFD_API };
	struct answer_server a = { 0 };
	struct iobmd_export_dmabuf *cmd;
	int lo, ret, err;
	pthread_t t;
	__u8 *mem;
	__u32 g;

	/* Non-blocking: poll() of a blocking one says EPOLLERR. */
	a.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, a.uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(a.uffd, UFFDIO_API, &api));
	mem = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, PAGE_SIZE, &g);
	reg.range.start = (uintptr_t)mem;
	reg.range.len = PAGE_SIZE;
	ASSERT_EQ(0, ioctl(a.uffd, UFFDIO_REGISTER, &reg));
	a.mem = mem;
	cmd = export_cmd_page(g);
	ASSERT_NE(MAP_FAILED, cmd);
	a.cmd_page = cmd;
	lo = lowest_free_fd();
	ASSERT_EQ(0, pthread_create(&t, NULL, serve_answer_fault, &a));
	ret = ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd);
	err = errno;
	__atomic_store_n(&a.returned, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	EXPECT_EQ(0, a.err) TH_LOG("the fault's server: %s", strerror(a.err));
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, err);
	EXPECT_EQ(lo, lowest_free_fd());
	EXPECT_EQ(0, nl_stats_exports(self->nl));
	if (!a.faults) {
		/* 6.1's long-term pins fail at a userfaultfd range at once. */
		EXPECT_FALSE(iobmd_kernel_at_least(6, 12));
		TH_LOG("this kernel fails long-term pins of userfaultfd ranges at once");
	}

	/* With the page there and the struct writable, it exports. */
	ASSERT_EQ(0, ioctl(a.uffd, UFFDIO_UNREGISTER, &reg.range));
	mem[0] = 1;
	ASSERT_EQ(0, mprotect(a.cmd_page, PAGE_SIZE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_EXPORT_DMABUF, cmd));
	EXPECT_EQ(lo, cmd->fd);
	EXPECT_EQ(0, close(cmd->fd));
	test_ioctl_release(g);
	EXPECT_EQ(0, nl_stats_exports(self->nl));
	munmap(a.cmd_page, PAGE_SIZE);
	munmap(mem, PAGE_SIZE);
	close(a.uffd);
}

TEST_F(exp, enoent)
{
	__u32 b;

	test_err_export(ENOENT, 0, 0, 0, O_RDWR);
	test_err_export(ENOENT, 4242, 0, 0, O_RDWR);
	test_pattern_buffer(0, PAGE_SIZE, 4, &b);
	test_ioctl_release(b);
	test_err_export(ENOENT, b, 0, 0, O_RDWR);
}

/*
 * The range: page-aligned offset (EINVAL), inside the length (ERANGE,
 * overflow included), not empty (ENODATA); the length is getLength(),
 * not the capacity.
 */
TEST_F(exp, range)
{
	const __u64 cap = 4 * PAGE_SIZE;
	__u64 v;
	__u32 b, il;
	int dfd;

	test_pattern_buffer(0, cap, 5, &b);
	test_err_export(EINVAL, b, 1, 0, O_RDWR);
	test_err_export(EINVAL, b, PAGE_SIZE / 2, PAGE_SIZE, O_RDWR);
	test_err_export(EINVAL, b, PAGE_SIZE + 8, 0, O_RDWR);
	test_err_export(ERANGE, b, 0, cap + 1, O_RDWR);
	test_err_export(ERANGE, b, PAGE_SIZE, cap, O_RDWR);
	test_err_export(ERANGE, b, cap + PAGE_SIZE, 0, O_RDWR);
	test_err_export(ERANGE, b, cap + PAGE_SIZE, PAGE_SIZE, O_RDWR);
	test_err_export(ERANGE, b, 0, UINT64_MAX, O_RDWR);
	test_err_export(ERANGE, b, UINT64_MAX & ~((__u64)PAGE_SIZE - 1),
			2 * PAGE_SIZE, O_RDWR);
	test_err_export(ERANGE, b, PAGE_SIZE, UINT64_MAX - 100, O_RDWR);

	/* The last page alone, and one byte of it: a page. */
	test_export(b, cap - PAGE_SIZE, 0, O_RDWR, &dfd);
	EXPECT_EQ(PAGE_SIZE, dmabuf_size(dfd));
	close(dfd);
	test_export(b, cap - PAGE_SIZE, 1, O_RDWR, &dfd);
	EXPECT_EQ(PAGE_SIZE, dmabuf_size(dfd));
	close(dfd);

	/* A length below the capacity bounds the range. */
	test_ioctl_set_length(b, PAGE_SIZE + 10, &v);
	test_err_export(ERANGE, b, 0, 2 * PAGE_SIZE, O_RDWR);
	test_err_export(ERANGE, b, 2 * PAGE_SIZE, 0, O_RDWR);
	test_export(b, 0, 0, O_RDWR, &dfd);
	EXPECT_EQ(2 * PAGE_SIZE, dmabuf_size(dfd));
	close(dfd);

	/* Nothing to export: an interleaved descriptor without pieces. */
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 2, &il);
	test_err_export(ENODATA, il, 0, 0, O_RDWR);
	test_ioctl_release(il);
	test_ioctl_release(b);
}

/* O_CLOEXEC is the file descriptor's; the access mode is the file's. */
TEST_F(exp, cloexec_and_mode)
{
	int a, c;
	__u32 b;

	test_pattern_buffer(0, PAGE_SIZE, 6, &b);
	test_export(b, 0, 0, O_RDWR | O_CLOEXEC, &c);
	test_export(b, 0, 0, O_RDONLY, &a);
	EXPECT_EQ(FD_CLOEXEC, fcntl(c, F_GETFD));
	EXPECT_EQ(0, fcntl(a, F_GETFD));
	EXPECT_EQ(O_RDWR, fcntl(c, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(O_RDONLY, fcntl(a, F_GETFL) & O_ACCMODE);
	close(a);
	close(c);
	test_ioctl_release(b);
}

/*
 * A read-only dma-buf maps for reading only: PROT_WRITE with MAP_SHARED
 * is EACCES, and so is making a read mapping writable.  MAP_PRIVATE is
 * refused (EINVAL) as /dev/iobmd's own mmap refuses it.
 */
TEST_F(exp, rdonly_refuses_writable_mappings)
{
	__u8 *model = malloc(2 * PAGE_SIZE), *p;
	int dfd;
	__u32 b;

	ASSERT_NE(NULL, model);
	iobmd_fill_pattern(model, 2 * PAGE_SIZE, 0, 7);
	test_pattern_buffer(0, 2 * PAGE_SIZE, 7, &b);
	test_export(b, 0, 0, O_RDONLY | O_CLOEXEC, &dfd);
	EXPECT_EQ(MAP_FAILED, map_dmabuf(dfd, 2 * PAGE_SIZE,
					 PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, map_dmabuf(dfd, PAGE_SIZE, PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	p = map_dmabuf(dfd, 2 * PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, model, 2 * PAGE_SIZE));
	EXPECT_ERRNO(EACCES, mprotect(p, PAGE_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, munmap(p, 2 * PAGE_SIZE));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE,
				   dfd, 0));
	EXPECT_EQ(EINVAL, errno);
	close(dfd);
	test_ioctl_release(b);
	free(model);
}

/*
 * User memory: only the process that described it exports it (EPERM
 * elsewhere); its pin counts against RLIMIT_MEMLOCK (ENOMEM without
 * CAP_IPC_LOCK); it is pinned for writing whatever the direction and
 * fd_flags, so memory pinned read-only already is refused (EACCES).
 */
struct user_child {
	int fd;
	__u32 handle;		/* 0: describe 64 pages of the child's own */
	int expect;		/* errno, 0 for success */
	bool drop_ipc_lock;
	rlim_t memlock;
};

static int user_child_export(void *arg)
{
	struct user_child *c = arg;
	__u32 h = c->handle;
	struct rlimit rl;
	int dfd = -1, ret;

	if (c->drop_ipc_lock) {
		rl.rlim_cur = rl.rlim_max = c->memlock;
		if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    iobmd_drop_cap(CAP_IPC_LOCK))
			return 100;
	}
	if (!h) {
		__u8 *mem = iobmd_user_area(64, 1);
		struct iobmd_range r = { (uintptr_t)mem, 64 * PAGE_SIZE };

		if (!mem || _test_ioctl_general_create(c->fd, 0,
						       IOBMD_DIRECTION_INOUT,
						       &r, 1, &h))
			return 98;
	}
	ret = _test_export(c->fd, h, 0, 0, O_RDWR, &dfd);
	if (!c->expect)
		return ret ? 100 + errno : 0;
	return ret ? (errno == c->expect ? 0 : 100 + errno) : 99;
}

TEST_F(exp, user_memory_rules)
{
	const __u64 pages = 64;
	__u8 *mem = iobmd_user_area(pages, 8), *p;
	struct user_child c = { .fd = self->fd };
	int dfd, ro, card;
	__u32 g, out, b, gem;

	IOBMD_NEED_VGEM();
	ASSERT_NE(NULL, mem);
	card = vgem_open();
	ASSERT_LE(0, card);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem, pages * PAGE_SIZE,
				 &g);
	test_ioctl_general_range(IOBMD_DIRECTION_OUT, mem, 2 * PAGE_SIZE, &out);
	test_pattern_buffer(0, PAGE_SIZE, 8, &b);

	/* Another process (a fork sharing the file): its buffers, not our memory. */
	c.handle = g;
	c.expect = EPERM;
	EXPECT_EQ(0, iobmd_run_child(user_child_export, &c));
	c.handle = b;
	c.expect = 0;
	EXPECT_EQ(0, iobmd_run_child(user_child_export, &c));

	/* Its own memory, over RLIMIT_MEMLOCK without CAP_IPC_LOCK: ENOMEM. */
	c.handle = 0;
	c.expect = ENOMEM;
	c.drop_ipc_lock = true;
	c.memlock = pages / 4 * PAGE_SIZE;
	EXPECT_EQ(0, iobmd_run_child(user_child_export, &c));
	c.memlock = 2 * pages * PAGE_SIZE;
	c.expect = 0;
	EXPECT_EQ(0, iobmd_run_child(user_child_export, &c));

	/*
	 * Out, exported read-only: pinned for writing all the same (a device
	 * it is handed to may write), so vgem imports it.
	 */
	test_export(out, 0, 0, O_RDONLY, &ro);
	p = map_dmabuf(ro, 2 * PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, mem, 2 * PAGE_SIZE));
	munmap(p, 2 * PAGE_SIZE);
	ASSERT_EQ(0, vgem_import(card, ro, &gem));
	EXPECT_EQ(0, vgem_close_handle(card, gem));
	close(ro);
	/* Pinned read-only already (prepared Out): not exported, any mode. */
	test_ioctl_prepare(out, IOBMD_DIRECTION_OUT);
	test_err_export(EACCES, out, 0, 0, O_RDWR);
	test_err_export(EACCES, out, 0, 0, O_RDONLY);
	test_ioctl_complete(out, IOBMD_DIRECTION_OUT);
	test_export(out, 0, 0, O_RDWR, &dfd);
	close(dfd);

	/* Its pages are the process's own: the same bytes, both ways. */
	test_export(g, PAGE_SIZE, 3 * PAGE_SIZE, O_RDWR, &dfd);
	p = map_dmabuf(dfd, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, mem + PAGE_SIZE, 3 * PAGE_SIZE));
	mem[2 * PAGE_SIZE + 5] ^= 0xff;
	EXPECT_EQ(mem[2 * PAGE_SIZE + 5], p[PAGE_SIZE + 5]);
	p[7] = 0x33;
	EXPECT_EQ(0x33, mem[PAGE_SIZE + 7]);
	munmap(p, 3 * PAGE_SIZE);
	close(dfd);

	/*
	 * Memory not starting a page at the descriptor's first byte: no
	 * offset works, not even one where a page of it starts.
	 */
	test_ioctl_release(g);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, mem + 100,
				 3 * PAGE_SIZE, &g);
	test_err_export(EINVAL, g, 0, 0, O_RDWR);
	test_err_export(EINVAL, g, PAGE_SIZE, 0, O_RDWR);
	test_err_export(EINVAL, g, 2 * PAGE_SIZE, PAGE_SIZE, O_RDWR);

	test_ioctl_release(g);
	test_ioctl_release(out);
	test_ioctl_release(b);
	close(card);
	munmap(mem, pages * PAGE_SIZE);
}

/*
 * Pieces whose pages do not line up, RAM and MMIO mixed, MMIO in two
 * ranges: EINVAL.
 */
TEST_F(exp, unexportable_compositions)
{
	__u64 bar, bar_len;
	__u32 odd, whole, pair[2], m, dev, dev2;
	int dfd;

	test_pattern_buffer(0, PAGE_SIZE + 100, 9, &odd);
	test_pattern_buffer(0, 2 * PAGE_SIZE, 10, &whole);
	pair[0] = odd;
	pair[1] = whole;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_err_export(EINVAL, m, 0, 0, O_RDWR);
	test_ioctl_release(m);

	IOBMD_NEED_IVSHMEM(&bar, &bar_len);
	test_ioctl_device_create(bar + IVSHMEM_EXPORT_OFF, 2 * PAGE_SIZE, &dev);
	pair[0] = whole;
	pair[1] = dev;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_err_export(EINVAL, m, 0, 0, O_RDWR);
	test_ioctl_release(m);
	/* Device memory in two ranges, each alone exportable. */
	test_ioctl_device_create(bar + IVSHMEM_EXPORT_OFF + 4 * PAGE_SIZE,
				 PAGE_SIZE, &dev2);
	pair[0] = dev2;
	pair[1] = dev;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_err_export(EINVAL, m, 0, 0, O_RDWR);
	test_export(dev2, 0, 0, O_RDWR, &dfd);
	close(dfd);
	test_ioctl_release(m);
	test_ioctl_release(dev2);
	test_ioctl_release(dev);
	test_ioctl_release(whole);
	test_ioctl_release(odd);
}

/* A full file table: EMFILE, and nothing is left held. */
static int emfile_child(void *arg)
{
	struct user_child *c = arg;
	struct rlimit rl;
	int dfd, lo = lowest_free_fd();

	rl.rlim_cur = rl.rlim_max = lo;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 100;
	if (!_test_export(c->fd, c->handle, 0, 0, O_RDWR, &dfd))
		return 99;
	return errno == EMFILE ? 0 : 100 + errno;
}

TEST_F(exp, emfile)
{
	struct user_child c = { .fd = self->fd };
	__u32 b;

	test_pattern_buffer(0, PAGE_SIZE, 11, &b);
	c.handle = b;
	EXPECT_EQ(0, iobmd_run_child(emfile_child, &c));
	EXPECT_EQ(0, nl_stats_exports(self->nl));
	EXPECT_EQ(0, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, PAGE_SIZE));
	test_ioctl_release(b);
}

/* --- every kind ------------------------------------------------------------ */

enum kind {
	K_BUFFER, K_CONTIG32, K_GENERAL, K_SUB, K_MULTI, K_INTERLEAVED,
	K_DEVICE,
};

/* A descriptor of one kind, what it is built of, and its bytes. */
struct made {
	__u32 h;
	__u32 parts[3];
	int nparts;
	__u8 *user;		/* K_GENERAL's memory */
	__u64 user_len;
	__u64 len;
	__u8 *model;		/* its bytes, @len */
};

static void made_free(struct __test_metadata *_metadata, int fd,
		      struct made *m)
{
	int i;

	ASSERT_EQ(0, _test_ioctl_release(fd, m->h));
	for (i = 0; i < m->nparts; i++)
		ASSERT_EQ(0, _test_ioctl_release(fd, m->parts[i]));
	if (m->user)
		munmap(m->user, m->user_len);
	free(m->model);
}

/* Creates a descriptor of @kind holding the pattern @seed. */
static void make_kind(struct __test_metadata *_metadata, int fd,
		      enum kind kind, __u64 seed, struct made *m)
{
	const __u64 P = PAGE_SIZE;
	__u32 inout = IOBMD_DIRECTION_INOUT;
	struct iobmd_segment seg;
	__u64 bar, bar_len, total;
	__u32 count = 1;
	__u32 a, b, c;

	memset(m, 0, sizeof(*m));
	switch (kind) {
	case K_BUFFER:
		m->len = 5 * P + 100;
		ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, inout, m->len, 0, 0,
						    NULL, 0, &m->h));
		break;
	case K_CONTIG32:
		m->len = 8 * P;
		ASSERT_EQ(0, _test_ioctl_buf_create(
				     fd, IOBMD_BUF_CREATE_PHYS_MASK,
				     inout | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				     m->len, 0, MASK_32, NULL, 0, &m->h));
		/* One run, below 4 GiB. */
		ASSERT_EQ(0, _test_ioctl_get_segments(fd, m->h, 0, 0, &seg,
						      &count, &total));
		ASSERT_EQ(1, total);
		ASSERT_GE(DMA_BIT_MASK(32), seg.addr + seg.len - 1);
		break;
	case K_GENERAL:
		m->user_len = 6 * P;
		m->len = m->user_len;
		m->user = iobmd_user_area(6, seed + 100);
		ASSERT_NE(NULL, m->user);
		{
			struct iobmd_range r = {
				(uintptr_t)m->user, m->user_len,
			};

			ASSERT_EQ(0, _test_ioctl_general_create(fd, 0, inout,
								&r, 1, &m->h));
		}
		break;
	case K_SUB:
		ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, inout, 8 * P, 0, 0,
						    NULL, 0, &a));
		m->parts[m->nparts++] = a;
		m->len = 3 * P + 50;
		ASSERT_EQ(0, _test_ioctl_sub_create(fd, a, inout, 2 * P,
						    m->len, &m->h));
		break;
	case K_MULTI:
		ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, inout, 2 * P, 0, 0,
						    NULL, 0, &a));
		ASSERT_EQ(0, _test_ioctl_buf_create(
				     fd, 0,
				     inout | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				     3 * P, 0, 0, NULL, 0, &b));
		ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, inout, P, 0, 0,
						    NULL, 0, &c));
		m->parts[0] = a;
		m->parts[1] = b;
		m->parts[2] = c;
		m->nparts = 3;
		m->len = 6 * P;
		ASSERT_EQ(0, _test_ioctl_multi_create(fd, inout, m->parts, 3,
						      &m->h));
		break;
	case K_INTERLEAVED:
		ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, inout, 4 * P, 0, 0,
						    NULL, 0, &a));
		ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, inout, 3 * P, 0, 0,
						    NULL, 0, &b));
		m->parts[m->nparts++] = a;
		m->parts[m->nparts++] = b;
		ASSERT_EQ(0, _test_ioctl_interleaved_create(fd, inout, 3,
							    &m->h));
		ASSERT_EQ(0, _test_ioctl_interleaved_set(fd, m->h, a, 2 * P,
							 2 * P));
		ASSERT_EQ(0, _test_ioctl_interleaved_set(fd, m->h, a, 0, P));
		ASSERT_EQ(0, _test_ioctl_interleaved_set(fd, m->h, b, 0,
							 2 * P + 7));
		m->len = 5 * P + 7;
		break;
	case K_DEVICE:
		/* FIXTURE_SETUP(kinds) skipped without the device. */
		ASSERT_EQ(0, iobmd_ivshmem_bar2(&bar, &bar_len));
		m->len = 8 * P;
		ASSERT_EQ(0, _test_ioctl_device_create(
				     fd, bar + IVSHMEM_EXPORT_OFF, m->len,
				     &m->h));
		break;
	}
	m->model = malloc(m->len);
	ASSERT_NE(NULL, m->model);
	iobmd_fill_pattern(m->model, m->len, 0, seed);
	ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, m->h, 0, m->model, m->len,
				    NULL));
}

/* @len bytes of a view of a dma-buf against @model, under a READ sync. */
static void check_view(struct __test_metadata *_metadata, int dfd,
		       const __u8 *view, const __u8 *model, __u64 len)
{
	__u64 i;

	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	for (i = 0; i < len && view[i] == model[i]; i++)
		;
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	ASSERT_EQ(len, i) TH_LOG("byte %llu of %llu differs", i, len);
}

/* Writes the pattern @seed through a view, under a WRITE sync. */
static void write_view(struct __test_metadata *_metadata, int dfd,
		       __u8 *view, __u8 *model, __u64 len, __u64 seed)
{
	iobmd_fill_pattern(model, len, 0, seed);
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memcpy(view, model, len);
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
}

FIXTURE(kinds)
{
	int fd;
	int card;
	struct iobmd_test_stats stats;
};

FIXTURE_VARIANT(kinds)
{
	enum kind kind;
};

FIXTURE_VARIANT_ADD(kinds, buffer) { .kind = K_BUFFER };
FIXTURE_VARIANT_ADD(kinds, contiguous_32bit) { .kind = K_CONTIG32 };
FIXTURE_VARIANT_ADD(kinds, general) { .kind = K_GENERAL };
FIXTURE_VARIANT_ADD(kinds, sub) { .kind = K_SUB };
FIXTURE_VARIANT_ADD(kinds, multi) { .kind = K_MULTI };
FIXTURE_VARIANT_ADD(kinds, interleaved) { .kind = K_INTERLEAVED };
FIXTURE_VARIANT_ADD(kinds, device) { .kind = K_DEVICE };

FIXTURE_SETUP(kinds)
{
	__u64 bar, bar_len;

	self->card = -1;
	if (variant->kind == K_DEVICE)
		IOBMD_NEED_IVSHMEM(&bar, &bar_len);
	IOBMD_NEED_VGEM();
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&self->stats));
	self->card = vgem_open();
	ASSERT_LE(0, self->card) TH_LOG("no vgem card: %s",
					strerror(-self->card));
}

FIXTURE_TEARDOWN(kinds)
{
	if (self->card >= 0)
		close(self->card);
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&self->stats));
}

/*
 * The whole descriptor: mmap of the dma-buf shows its bytes, writes
 * through it are the descriptor's, and IOBMD_WRITE shows through it.
 */
TEST_F(kinds, whole)
{
	__u64 size, len;
	struct made m;
	char exp[32];
	__u8 *p;
	int dfd;

	make_kind(_metadata, self->fd, variant->kind, 20, &m);
	len = m.len;
	size = ALIGN_UP(len, PAGE_SIZE);
	test_export(m.h, 0, 0, O_RDWR | O_CLOEXEC, &dfd);
	EXPECT_EQ(size, dmabuf_size(dfd));
	ASSERT_EQ(0, dmabuf_fdinfo(dfd, "exp_name", exp, sizeof(exp)));
	EXPECT_STREQ("iobmd", exp);

	p = map_dmabuf(dfd, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	check_view(_metadata, dfd, p, m.model, len);
	write_view(_metadata, dfd, p, m.model, len, 21);
	test_check_desc(m.h, m.model, len);
	iobmd_fill_pattern(m.model, len, 0, 22);
	test_ioctl_write(m.h, 0, m.model, len);
	check_view(_metadata, dfd, p, m.model, len);
	/* A mapping of more than the dma-buf: refused. */
	EXPECT_EQ(MAP_FAILED, map_dmabuf(dfd, size + PAGE_SIZE, PROT_READ));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, dfd,
				   size));
	/*
	 * The dma-buf outlives the handle and the file (and user memory its
	 * process unmapped): the mapping made before shows the bytes, and
	 * so does one made afresh, which only the dma-buf's hold on the
	 * descriptor and its pin can give.
	 */
	made_free(_metadata, self->fd, &m);
	close(self->fd);
	self->fd = -1;
	m.model = malloc(len);
	ASSERT_NE(NULL, m.model);
	iobmd_fill_pattern(m.model, len, 0, 22);
	check_view(_metadata, dfd, p, m.model, len);
	EXPECT_EQ(0, munmap(p, size));
	p = map_dmabuf(dfd, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap afresh: %s", strerror(errno));
	check_view(_metadata, dfd, p, m.model, len);
	EXPECT_EQ(0, munmap(p, size));
	close(dfd);
	free(m.model);
}

/*
 * A range of it: [PAGE_SIZE, +PAGE_SIZE + 10) is two pages, the rest of
 * its last page included; the bytes both ways.
 */
TEST_F(kinds, part)
{
	const __u64 off = PAGE_SIZE, size = 2 * PAGE_SIZE;
	struct made m;
	__u8 *p, *b;
	int dfd;

	make_kind(_metadata, self->fd, variant->kind, 30, &m);
	test_export(m.h, off, PAGE_SIZE + 10, O_RDWR, &dfd);
	EXPECT_EQ(size, dmabuf_size(dfd));
	p = map_dmabuf(dfd, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	check_view(_metadata, dfd, p, m.model + off, size);
	write_view(_metadata, dfd, p, m.model + off, size, 31);
	test_check_desc(m.h, m.model, m.len);
	/* A page inside it, mapped at an offset of the dma-buf. */
	b = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, dfd, PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, b);
	check_view(_metadata, dfd, b, m.model + off + PAGE_SIZE, PAGE_SIZE);
	munmap(b, PAGE_SIZE);
	EXPECT_EQ(0, munmap(p, size));
	close(dfd);
	made_free(_metadata, self->fd, &m);
}

/*
 * vgem imports it (PRIME): vgem's device attaches and maps it, vgem hands
 * the same dma-buf back, its fences land on the dma-buf's reservation;
 * while mapped for vgem's device, the CPU's view (under SYNC, which syncs
 * vgem's mapping) and the descriptor agree both ways.  (DRM maps no
 * import through the card: vgem's own view of the bytes is the dma-buf's
 * mmap, as here.)
 */
TEST_F(kinds, vgem)
{
	struct pollfd pfd = { .events = POLLIN };
	struct dmabuf_info info;
	struct stat s1, s2;
	__u64 size, len;
	struct made m;
	__u32 gem, fence;
	int dfd, again;
	__u8 *p;

	make_kind(_metadata, self->fd, variant->kind, 40, &m);
	len = m.len;
	size = ALIGN_UP(len, PAGE_SIZE);
	test_export(m.h, 0, 0, O_RDWR | O_CLOEXEC, &dfd);
	if (variant->kind == K_DEVICE) {
		/* MMIO has no pages: only peer2peer importers take it. */
		EXPECT_EQ(-EOPNOTSUPP, vgem_import(self->card, dfd, &gem));
		ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
		EXPECT_EQ(0, info.attached);
		close(dfd);
		made_free(_metadata, self->fd, &m);
		return;
	}
	ASSERT_EQ(0, vgem_import(self->card, dfd, &gem))
		TH_LOG("vgem import: %s", strerror(errno));
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_STREQ("iobmd", info.exporter);
	EXPECT_EQ(size, info.size);
	EXPECT_EQ(1, info.attached);
	EXPECT_STREQ("vgem", info.device);

	p = map_dmabuf(dfd, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	check_view(_metadata, dfd, p, m.model, len);
	write_view(_metadata, dfd, p, m.model, len, 41);
	test_check_desc(m.h, m.model, len);
	iobmd_fill_pattern(m.model, len, 0, 42);
	test_ioctl_write(m.h, 0, m.model, len);
	check_view(_metadata, dfd, p, m.model, len);

	/* vgem's writer fence: readers of the dma-buf wait for it. */
	pfd.fd = dfd;
	ASSERT_EQ(0, vgem_fence(self->card, gem, true, &fence));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, vgem_signal(self->card, fence));
	EXPECT_EQ(1, poll(&pfd, 1, 0));

	/* vgem hands back the same dma-buf. */
	ASSERT_EQ(0, vgem_export(self->card, gem, DRM_CLOEXEC, &again));
	ASSERT_EQ(0, fstat(dfd, &s1));
	ASSERT_EQ(0, fstat(again, &s2));
	EXPECT_EQ(s1.st_ino, s2.st_ino);
	close(again);
	EXPECT_EQ(0, vgem_close_handle(self->card, gem));
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_EQ(0, info.attached);
	EXPECT_EQ(0, munmap(p, size));
	close(dfd);
	made_free(_metadata, self->fd, &m);
}

/* Every DMA_BUF_IOCTL_SYNC the kernel takes works; the others: EINVAL. */
TEST_F(kinds, sync)
{
	static const __u64 good[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	static const __u64 bad[] = {
		DMA_BUF_SYNC_START, DMA_BUF_SYNC_END, 8, 8 | DMA_BUF_SYNC_READ,
		0x10 | DMA_BUF_SYNC_RW, 1ULL << 63 | DMA_BUF_SYNC_READ,
		~0ULL,
	};
	struct made m;
	unsigned int i;
	int dfd, gem_dfd;
	__u32 gem;

	make_kind(_metadata, self->fd, variant->kind, 50, &m);
	test_export(m.h, 0, 0, O_RDWR, &dfd);
	for (i = 0; i < ARRAY_SIZE(good); i++)
		EXPECT_EQ(0, dmabuf_sync(dfd, good[i]))
			TH_LOG("flags 0x%llx", (unsigned long long)good[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, dmabuf_sync(dfd, bad[i]))
			TH_LOG("flags 0x%llx", (unsigned long long)bad[i]);
	/* Mapped for a device (vgem's) too; MMIO goes to none of vgem's. */
	if (variant->kind == K_DEVICE)
		goto out;
	ASSERT_EQ(0, vgem_import(self->card, dfd, &gem));
	ASSERT_EQ(0, vgem_export(self->card, gem, DRM_CLOEXEC | DRM_RDWR,
				 &gem_dfd));
	for (i = 0; i < ARRAY_SIZE(good); i++)
		EXPECT_EQ(0, dmabuf_sync(gem_dfd, good[i]));
	close(gem_dfd);
	EXPECT_EQ(0, vgem_close_handle(self->card, gem));
out:
	close(dfd);
	made_free(_metadata, self->fd, &m);
}

/* --- cache modes ----------------------------------------------------------- */

/* The VmFlags line of /proc/self/smaps for the mapping holding @addr. */
static int vma_flags(const void *addr, char *out, size_t len)
{
	unsigned long a = (uintptr_t)addr, start, end;
	char line[512];
	bool in = false;
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = a >= start && a < end;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, len, "%.*s", (int)len - 1, line + 8);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/*
 * @flags (a VmFlags line) without @flag ("me"): the mayexec bit is the
 * file system's say (a noexec one clears it), not the mapping's, and
 * 7.x's dma-buf file system is noexec where /dev's is not.
 */
static void drop_vma_flag(char *flags, const char *flag)
{
	char tok[8];
	char *p;

	snprintf(tok, sizeof(tok), " %s ", flag);
	p = strstr(flags, tok);
	if (p)
		memmove(p, p + strlen(tok) - 1, strlen(p + strlen(tok) - 1) + 1);
}

/* /proc/self/pagemap's entry of the page holding @addr (0: none). */
static __u64 pagemap_entry(const void *addr)
{
	__u64 ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent),
		  (uintptr_t)addr / PAGE_SIZE * sizeof(ent)) != sizeof(ent))
		ent = 0;
	close(fd);
	return ent;
}

#define PM_PRESENT	(1ULL << 63)
#define PM_FILE		(1ULL << 61)	/* a page of the page cache or shared */
#define PM_PFN(e)	((e) & ((1ULL << 55) - 1))

FIXTURE(cache)
{
	int fd;
	struct iobmd_test_stats stats;
};

FIXTURE_VARIANT(cache)
{
	__u32 cache;
	__u32 options;
};

FIXTURE_VARIANT_ADD(cache, default) { .cache = IOBMD_CACHE_DEFAULT };
FIXTURE_VARIANT_ADD(cache, write_combine)
{
	.cache = IOBMD_CACHE_WRITE_COMBINE,
};
FIXTURE_VARIANT_ADD(cache, write_combine_contiguous)
{
	.cache = IOBMD_CACHE_WRITE_COMBINE,
	.options = IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
};
FIXTURE_VARIANT_ADD(cache, inhibit) { .cache = IOBMD_CACHE_INHIBIT };

FIXTURE_SETUP(cache)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&self->stats));
}

FIXTURE_TEARDOWN(cache)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&self->stats));
}

/*
 * The dma-buf's mapping is the descriptor's own mapping's twin: same
 * memory (the PFN), same VMA flags and pagemap bits (buffers map by page,
 * in any mode), and no PAT conflict is logged, which a PFN mapping of
 * write-combined or uncached RAM with another mode would cause.  (The
 * mode of the page table entries themselves is iobmd_kapi.ko's check.)
 */
TEST_F(cache, mode)
{
	const __u64 len = 4 * PAGE_SIZE;
	struct iobmd_segment seg;
	__u64 cookie, total, e1, e2;
	__u32 count = 1;
	__u8 *own, *p, *model = malloc(len);
	char fp[256], fo[256];
	struct iobmd_range r;
	int dfd, kmsg;
	__u32 b, g;

	ASSERT_NE(NULL, model);
	kmsg = iobmd_kmsg_open();
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(errno));
	test_pattern_buffer(variant->options | variant->cache, len, 60, &b);
	iobmd_fill_pattern(model, len, 0, 60);
	test_export(b, 0, 0, O_RDWR, &dfd);
	p = map_dmabuf(dfd, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	test_ioctl_map(b, 0, 0, 0, &cookie);
	own = iobmd_mmap(self->fd, cookie, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, own);
	check_view(_metadata, dfd, p, model, len);
	write_view(_metadata, dfd, p, model, len, 61);
	ASSERT_EQ(0, memcmp(own, model, len));

	ASSERT_EQ(0, vma_flags(p, fp, sizeof(fp)));
	ASSERT_EQ(0, vma_flags(own, fo, sizeof(fo)));
	drop_vma_flag(fp, "me");
	drop_vma_flag(fo, "me");
	EXPECT_STREQ(fo, fp);
	ASSERT_EQ(0, _test_ioctl_get_segments(self->fd, b, PAGE_SIZE, 1, &seg,
					      &count, &total));
	e1 = pagemap_entry(p + PAGE_SIZE);
	e2 = pagemap_entry(own + PAGE_SIZE);
	ASSERT_NE(0, e1 & PM_PRESENT);
	EXPECT_EQ(seg.addr / PAGE_SIZE, PM_PFN(e1));
	EXPECT_EQ(e2, e1);
	/* Buffers map by page, whatever their mode: get_user_pages works. */
	EXPECT_EQ(PM_FILE, e1 & PM_FILE);
	r = (struct iobmd_range){ (uintptr_t)p, len };
	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, &r, 1, &g);
	test_ioctl_prepare(g, 0);
	test_ioctl_complete(g, 0);
	test_ioctl_release(g);
	EXPECT_EQ(0, iobmd_kmsg_count(kmsg, "x86/PAT", NULL));

	EXPECT_EQ(0, munmap(own, len));
	EXPECT_EQ(0, munmap(p, len));
	close(dfd);
	close(kmsg);
	test_ioctl_release(b);
	free(model);
}

/* Device memory: uncached while the dma-buf is mapped; the host sees it. */
TEST_F(exp, device_memory_uncached)
{
#ifdef __x86_64__
	static const char pat[] = "/sys/kernel/debug/x86/pat_memtype_list";
	char want[128], line[256];
	bool uc = false, wc = false;
	FILE *f;
#endif
	__u64 bar, bar_len, start;
	int dfd;
	__u32 d;
	__u8 *p;

	IOBMD_NEED_IVSHMEM(&bar, &bar_len);
	start = bar + IVSHMEM_MARK_OFF;
	test_ioctl_device_create(start, PAGE_SIZE, &d);
	test_export(d, 0, 0, O_RDWR, &dfd);
	p = map_dmabuf(dfd, PAGE_SIZE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
#ifdef __x86_64__
	f = fopen(pat, "r");
	ASSERT_NE(NULL, f);
	snprintf(want, sizeof(want), "[mem 0x%016llx-0x%016llx]",
		 (unsigned long long)start,
		 (unsigned long long)(start + PAGE_SIZE));
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, want))
			continue;
		uc |= strstr(line, "uncached") != NULL;
		wc |= strstr(line, "write-combining") != NULL;
	}
	fclose(f);
	EXPECT_TRUE(uc);
	EXPECT_FALSE(wc);
#endif
	/* (arm64 has no PAT list: there, what the host sees, below.) */
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memcpy(p, IVSHMEM_MARK, strlen(IVSHMEM_MARK));
	ASSERT_EQ(0, dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
	/* The host checks the BAR's file for it once the guest is gone. */
	printf("@@IOBMD@@ ivshmem offset=%llu pattern=%s\n",
	       (unsigned long long)IVSHMEM_MARK_OFF, IVSHMEM_MARK);
	fflush(stdout);
	munmap(p, PAGE_SIZE);
	close(dfd);
	test_ioctl_release(d);
}

/*
 * Device memory mapped copy-back is for CAP_SYS_RAWIO only, whoever
 * described it: a process without it that imported a dma-buf of device
 * memory maps it uncached, never cacheable (EPERM).
 */
TEST_F(exp, device_memory_copyback_needs_rawio)
{
	__u64 bar, bar_len, cookie;
	int dfd, status;
	pid_t pid;
	__u32 d;

	IOBMD_NEED_IVSHMEM(&bar, &bar_len);
	test_ioctl_device_create(bar + IVSHMEM_MARK_OFF, PAGE_SIZE, &d);
	test_export(d, 0, 0, O_RDWR, &dfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct iobmd_import_dmabuf im = {
			.size = sizeof(im),
			.fd = dfd,
			.direction = IOBMD_DIRECTION_INOUT,
		};
		int code = 0;
		void *p;

		if (iobmd_drop_cap(CAP_SYS_RAWIO) ||
		    ioctl(self->fd, IOBMD_IMPORT_DMABUF, &im))
			_exit(10);
		if (_test_ioctl_map(self->fd, im.handle, IOBMD_CACHE_COPYBACK,
				    0, 0, &cookie))
			code = 11;
		p = code ? MAP_FAILED :
		    iobmd_mmap(self->fd, cookie, PAGE_SIZE, PROT_READ);
		if (!code && (p != MAP_FAILED || errno != EPERM))
			code = 12;
		if (!code && _test_ioctl_map(self->fd, im.handle,
					     IOBMD_CACHE_INHIBIT, 0, 0,
					     &cookie))
			code = 13;
		p = code ? MAP_FAILED :
		    iobmd_mmap(self->fd, cookie, PAGE_SIZE, PROT_READ);
		if (!code && p == MAP_FAILED)
			code = 14;
		if (p != MAP_FAILED)
			munmap(p, PAGE_SIZE);
		_test_ioctl_release(self->fd, im.handle);
		_exit(code);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10: no import, 12: copy-back mapped, 14: uncached refused");
	close(dfd);
	test_ioctl_release(d);
}

/* --- vivid ----------------------------------------------------------------- */

#define FRAME_W		320
#define FRAME_H		180
#define NBUFS		3

FIXTURE(v4l2)
{
	int fd;
	int video;
	struct iobmd_test_stats stats;
	struct vivid_saved saved;	/* vivid as found, put back */
	bool setup;
	struct v4l2_format fmt;
	__u32 sizeimage;
	__u8 *ref;		/* a frame captured into vivid's own buffers */
};

FIXTURE_VARIANT(v4l2)
{
	int instance;		/* VIVID_VMALLOC or VIVID_CONTIG */
	enum kind kind;		/* what the buffers are (K_*) */
};

FIXTURE_VARIANT_ADD(v4l2, contig_instance_contiguous_32bit)
{
	.instance = VIVID_CONTIG, .kind = K_CONTIG32,
};
FIXTURE_VARIANT_ADD(v4l2, vmalloc_instance_contiguous_32bit)
{
	.instance = VIVID_VMALLOC, .kind = K_CONTIG32,
};
FIXTURE_VARIANT_ADD(v4l2, vmalloc_instance_buffer)
{
	.instance = VIVID_VMALLOC, .kind = K_BUFFER,
};
FIXTURE_VARIANT_ADD(v4l2, vmalloc_instance_general)
{
	.instance = VIVID_VMALLOC, .kind = K_GENERAL,
};
FIXTURE_VARIANT_ADD(v4l2, vmalloc_instance_interleaved)
{
	.instance = VIVID_VMALLOC, .kind = K_INTERLEAVED,
};


FIXTURE_SETUP(v4l2)
{
	self->video = -1;
	self->ref = NULL;
	self->setup = false;
	IOBMD_NEED_VIVID(variant->instance);
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&self->stats));
	self->video = vivid_open(variant->instance);
	ASSERT_LE(0, self->video)
		TH_LOG("no vivid-%03d capture node (scripts/lib.sh DMABUF_KMODS)",
		       variant->instance);
	ASSERT_EQ(0, vivid_save(self->video, &self->saved));
	self->setup = true;
	ASSERT_EQ(0, vivid_setup(self->video, FRAME_W, FRAME_H, &self->fmt));
	self->sizeimage = self->fmt.fmt.pix.sizeimage;
	ASSERT_EQ(FRAME_W * FRAME_H * 2, self->sizeimage);
	self->ref = malloc(self->sizeimage);
	ASSERT_NE(NULL, self->ref);
	ASSERT_EQ(0, vivid_capture_mmap(self->video, NBUFS, 2, self->ref,
					self->sizeimage));
}

FIXTURE_TEARDOWN(v4l2)
{
	free(self->ref);
	if (self->setup)
		EXPECT_EQ(0, vivid_restore(self->video, &self->saved));
	if (self->video >= 0)
		close(self->video);
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&self->stats));
}

/*
 * Memory of @kind for a frame of @size bytes: made as for the kinds test,
 * or (K_INTERLEAVED) the pages of a contiguous 32-bit buffer in another
 * order, so that it is never contiguous.  (Not device memory: vb2 takes
 * an importer's vmap for system memory and BUG()s at its vunmap on I/O
 * memory.)
 */
static void make_frame_memory(struct __test_metadata *_metadata, int fd,
			      enum kind kind, __u64 size, __u64 seed,
			      struct made *m)
{
	__u64 pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	__u32 inout = IOBMD_DIRECTION_INOUT, a;

	if (kind != K_INTERLEAVED && kind != K_GENERAL) {
		__u32 opt = kind == K_CONTIG32 ?
				    IOBMD_OPT_PHYSICALLY_CONTIGUOUS : 0;

		memset(m, 0, sizeof(*m));
		m->len = pages * PAGE_SIZE;
		ASSERT_EQ(0, _test_ioctl_buf_create(
				     fd, kind == K_CONTIG32 ?
					 IOBMD_BUF_CREATE_PHYS_MASK : 0,
				     inout | opt, m->len, 0,
				     kind == K_CONTIG32 ? MASK_32 : 0, NULL, 0,
				     &m->h));
	} else if (kind == K_GENERAL) {
		memset(m, 0, sizeof(*m));
		m->user_len = m->len = pages * PAGE_SIZE;
		m->user = iobmd_user_area(pages, seed);
		ASSERT_NE(NULL, m->user);
		{
			struct iobmd_range r = {
				(uintptr_t)m->user, m->user_len,
			};

			ASSERT_EQ(0, _test_ioctl_general_create(fd, 0, inout,
								&r, 1, &m->h));
		}
	} else {
		memset(m, 0, sizeof(*m));
		m->len = pages * PAGE_SIZE;
		ASSERT_EQ(0, _test_ioctl_buf_create(
				     fd, IOBMD_BUF_CREATE_PHYS_MASK,
				     inout | IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				     m->len + PAGE_SIZE, 0, MASK_32, NULL, 0,
				     &a));
		m->parts[m->nparts++] = a;
		ASSERT_EQ(0, _test_ioctl_interleaved_create(fd, inout, 2,
							    &m->h));
		ASSERT_EQ(0, _test_ioctl_interleaved_set(
				     fd, m->h, a, 2 * PAGE_SIZE,
				     m->len - PAGE_SIZE));
		ASSERT_EQ(0, _test_ioctl_interleaved_set(fd, m->h, a, 0,
							 PAGE_SIZE));
	}
	/* Something that is no frame, to see the frame arrive over it. */
	m->model = malloc(m->len);
	ASSERT_NE(NULL, m->model);
	iobmd_fill_pattern(m->model, m->len, 0, seed);
	ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_WRITE, m->h, 0, m->model, m->len,
				    NULL));
}

/* The number of physical segments of @h (root). */
static __u64 segments_of(struct __test_metadata *_metadata, int fd, __u32 h)
{
	struct iobmd_segment seg;
	__u64 total = 0;
	__u32 count = 1;

	ASSERT_EQ(0, _test_ioctl_get_segments(fd, h, 0, 0, &seg, &count,
					      &total));
	return total;
}

/* vivid's own frames are the same every time: the pattern is still. */
TEST_F(v4l2, reference_is_still)
{
	__u8 *again = malloc(self->sizeimage);
	__u32 i, colours = 0;

	ASSERT_NE(NULL, again);
	ASSERT_EQ(0, vivid_capture_mmap(self->video, NBUFS, 3, again,
					self->sizeimage));
	EXPECT_EQ(0, memcmp(again, self->ref, self->sizeimage));
	/* Colour bars: the first line changes value along it. */
	for (i = 4; i < FRAME_W * 2; i += 4)
		colours += memcmp(self->ref + i, self->ref + i - 4, 4) != 0;
	EXPECT_LE(6, colours);
	free(again);
}

/* Frames captured into exported buffers are vivid's frames. */
TEST_F_TIMEOUT(v4l2, capture, 120)
{
	struct made m[NBUFS];
	int fds[NBUFS], idx, i;
	__u8 *p;

	for (i = 0; i < NBUFS; i++) {
		make_frame_memory(_metadata, self->fd, variant->kind,
				  self->sizeimage, 70 + i, &m[i]);
		test_export(m[i].h, 0, 0, O_RDWR | O_CLOEXEC, &fds[i]);
	}
	if (variant->kind == K_INTERLEAVED)
		ASSERT_LE(2, segments_of(_metadata, self->fd, m[0].h));
	idx = vivid_capture_dmabuf(self->video, fds, NBUFS, 0, 4);
	ASSERT_LE(0, idx) TH_LOG("capture into dma-bufs: %s", strerror(-idx));
	/* Through iobmd, and through the dma-buf's mapping. */
	test_check_desc(m[idx].h, self->ref, self->sizeimage);
	p = map_dmabuf(fds[idx], m[idx].len, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	check_view(_metadata, fds[idx], p, self->ref, self->sizeimage);
	munmap(p, m[idx].len);
	for (i = 0; i < NBUFS; i++) {
		close(fds[i]);
		made_free(_metadata, self->fd, &m[i]);
	}
}

/*
 * vivid's dma-contig instance wants each buffer contiguous for its device:
 * the pages of a contiguous buffer in another order are refused when
 * queued (vb2-dma-contig: EFAULT), and nothing stays attached.
 */
TEST_F(v4l2, contig_refuses_scattered)
{
	struct dmabuf_info info;
	struct made m;
	int dfd;

	make_frame_memory(_metadata, self->fd, K_INTERLEAVED, self->sizeimage,
			  80, &m);
	ASSERT_LE(2, segments_of(_metadata, self->fd, m.h));
	test_export(m.h, 0, 0, O_RDWR | O_CLOEXEC, &dfd);
	ASSERT_LE(1, vivid_reqbufs(self->video, V4L2_MEMORY_DMABUF, 1));
	EXPECT_EQ(variant->instance == VIVID_CONTIG ? -EFAULT : 0,
		  vivid_qbuf(self->video, 0, dfd, 0));
	EXPECT_EQ(0, vivid_reqbufs(self->video, V4L2_MEMORY_DMABUF, 0));
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_EQ(0, info.attached);
	close(dfd);
	made_free(_metadata, self->fd, &m);
}

/* --- lifetime ---------------------------------------------------------------- */

/*
 * Six things hold an export: the iobmd file (F), the handle (H), the
 * dma-buf's file (D), its mapping (M), vgem's handle of the import (V)
 * and vgem's card (C, whose closing drops V).  In every order of letting
 * them go, what is still held shows the same memory, vgem stays attached
 * exactly while it holds the import, and once all are gone nothing is.
 */
enum { L_F, L_H, L_D, L_M, L_V, L_C, L_NR };

struct life {
	int fd, dfd, card;
	__u32 h, gem;
	__u8 *m;
	ino_t ino;
	bool live[L_NR];
	__u8 byte;
};

static void life_drop(struct life *l, int what)
{
	switch (what) {
	case L_F:
		close(l->fd);
		l->live[L_H] = false;	/* the file's handles go with it */
		break;
	case L_H:
		if (l->live[L_F])
			_test_ioctl_release(l->fd, l->h);
		break;
	case L_D:
		close(l->dfd);
		break;
	case L_M:
		munmap(l->m, 2 * PAGE_SIZE);
		break;
	case L_V:
		if (l->live[L_C])
			vgem_close_handle(l->card, l->gem);
		break;
	case L_C:
		close(l->card);
		l->live[L_V] = false;
		break;
	}
	l->live[what] = false;
}

/* Whether a dma-buf of inode @ino is listed, and how many devices it has. */
static int life_attached(ino_t ino)
{
	char line[512], name[128];
	unsigned long long sz, i;
	unsigned int fl, mode;
	int n = -1;
	long count;
	bool mine = false;
	FILE *f = fopen(DMABUF_BUFINFO, "r");

	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %x %x %ld %127s %llu", &sz, &fl, &mode,
			   &count, name, &i) == 6)
			mine = i == ino;
		else if (mine && sscanf(line, "Total %d devices", &n) == 1)
			mine = false;
	}
	fclose(f);
	return n;
}

/*
 * Writes a new byte through the mapping or the handle and reads it back
 * through the other; checks what is attached.
 */
static void life_check(struct __test_metadata *_metadata, struct life *l,
		       const char *order, int step)
{
	bool via_handle = l->live[L_F] && l->live[L_H];
	bool alive = l->live[L_D] || l->live[L_M];
	__u64 off = PAGE_SIZE + step * 13;
	__u8 got;

	if (alive)
		ASSERT_EQ(l->live[L_V] ? 1 : 0, life_attached(l->ino))
			TH_LOG("order %s step %d", order, step);
	l->byte += 0x25;
	if (l->live[L_M]) {
		l->m[off] = l->byte;
	} else if (via_handle) {
		ASSERT_EQ(0, _test_ioctl_rw(l->fd, IOBMD_WRITE, l->h, off,
					    &l->byte, 1, NULL));
	} else {
		return;
	}
	if (l->live[L_M])
		ASSERT_EQ(l->byte, l->m[off]);
	if (via_handle) {
		ASSERT_EQ(0, _test_ioctl_rw(l->fd, IOBMD_READ, l->h, off, &got,
					    1, NULL));
		ASSERT_EQ(l->byte, got) TH_LOG("order %s step %d", order, step);
	}
}

/* The next permutation of @a (@n items) in lexicographic order. */
static bool next_order(int *a, int n)
{
	int i = n - 2, j = n - 1, t;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	t = a[i], a[i] = a[j], a[j] = t;
	for (i++, j = n - 1; i < j; i++, j--)
		t = a[i], a[i] = a[j], a[j] = t;
	return true;
}

TEST_F_TIMEOUT(exp, every_order_of_letting_go, 280)
{
	static const char names[] = "FHDMVC";
	int order[L_NR], i, n = 0;
	struct iobmd_test_stats base;
	struct life l = { 0 };
	char seen[L_NR + 1];
	struct stat st;

	IOBMD_NEED_VGEM();
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, iobmd_read_stats(&base));
	for (i = 0; i < L_NR; i++)
		order[i] = i;
	do {
		for (i = 0; i < L_NR; i++)
			seen[i] = names[order[i]];
		seen[L_NR] = 0;
		l.fd = open(IOBMD_DEV_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, l.fd);
		l.card = vgem_open();
		ASSERT_LE(0, l.card);
		ASSERT_EQ(0, _test_ioctl_buf_create(l.fd, 0,
						    IOBMD_DIRECTION_INOUT,
						    2 * PAGE_SIZE, 0, 0, NULL,
						    0, &l.h));
		ASSERT_EQ(0, _test_export(l.fd, l.h, 0, 0, O_RDWR | O_CLOEXEC,
					  &l.dfd));
		ASSERT_EQ(0, fstat(l.dfd, &st));
		l.ino = st.st_ino;
		l.m = map_dmabuf(l.dfd, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, l.m);
		ASSERT_EQ(0, vgem_import(l.card, l.dfd, &l.gem));
		for (i = 0; i < L_NR; i++)
			l.live[i] = true;
		life_check(_metadata, &l, seen, 0);
		for (i = 0; i < L_NR; i++) {
			life_drop(&l, order[i]);
			life_check(_metadata, &l, seen, i + 1);
		}
		ASSERT_EQ(-1, life_attached(l.ino)) TH_LOG("order %s", seen);
		ASSERT_STREQ("", iobmd_stats_changed(&base))
			TH_LOG("after the order %s", seen);
		n++;
	} while (next_order(order, L_NR));
	EXPECT_EQ(720, n);
}

/* vgem's card closed: the import is dropped, the dma-buf lives on. */
TEST_F(exp, vgem_card_closed)
{
	__u8 *model = malloc(3 * PAGE_SIZE), *p;
	struct dmabuf_info info;
	int card = vgem_open(), dfd;
	__u32 b, gem;

	IOBMD_NEED_VGEM();
	ASSERT_NE(NULL, model);
	ASSERT_LE(0, card);
	iobmd_fill_pattern(model, 3 * PAGE_SIZE, 0, 90);
	test_pattern_buffer(0, 3 * PAGE_SIZE, 90, &b);
	test_export(b, 0, 0, O_RDWR, &dfd);
	p = map_dmabuf(dfd, 3 * PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, vgem_import(card, dfd, &gem));
	close(dfd);
	test_ioctl_release(b);
	/* vgem's export of the import is the same dma-buf. */
	ASSERT_EQ(0, vgem_export(card, gem, DRM_CLOEXEC, &dfd));
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_STREQ("iobmd", info.exporter);
	EXPECT_EQ(1, info.attached);
	close(card);
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_EQ(0, info.attached);
	close(dfd);
	EXPECT_EQ(1, nl_stats_exports(self->nl));
	EXPECT_EQ(0, memcmp(p, model, 3 * PAGE_SIZE));
	munmap(p, 3 * PAGE_SIZE);
	EXPECT_EQ(0, nl_stats_exports(self->nl));
	free(model);
}

/* A child inherits the dma-buf: it maps it, reads it, writes into it. */
struct fork_arg {
	int dfd;
	int go;		/* read end: the parent has let go of its side */
	__u64 len;
	__u64 seed;
};

static int fork_child(void *arg)
{
	struct fork_arg *a = arg;
	char c;
	__u8 *p;

	if (a->go >= 0 && read(a->go, &c, 1) != 1)
		return 101;
	p = map_dmabuf(a->dfd, a->len, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return 102;
	if (dmabuf_sync(a->dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW))
		return 103;
	if (iobmd_check_pattern(p, a->len, 0, a->seed) != a->len)
		return 104;
	iobmd_fill_pattern(p, a->len, 0, a->seed + 1);
	if (dmabuf_sync(a->dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW))
		return 105;
	munmap(p, a->len);
	close(a->dfd);
	return 0;
}

TEST_F(exp, fork_inherits)
{
	struct fork_arg a = { .go = -1, .len = 4 * PAGE_SIZE, .seed = 100 };
	__u8 *model = malloc(a.len);
	int pipefd[2], status;
	pid_t pid;
	__u32 b;

	ASSERT_NE(NULL, model);
	test_pattern_buffer(0, a.len, 100, &b);
	test_export(b, 0, 0, O_RDWR, &a.dfd);
	EXPECT_EQ(0, iobmd_run_child(fork_child, &a));
	iobmd_fill_pattern(model, a.len, 0, 101);
	test_check_desc(b, model, a.len);

	/* The parent lets go of everything first: the child's fd holds all. */
	test_ioctl_write(b, 0, NULL, 0);
	test_fill_desc(b, a.len, 102);
	a.seed = 102;
	ASSERT_EQ(0, pipe(pipefd));
	a.go = pipefd[0];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(fork_child(&a));
	close(pipefd[0]);
	test_ioctl_release(b);
	close(a.dfd);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(1, nl_stats_exports(self->nl));
	ASSERT_EQ(1, write(pipefd[1], "g", 1));
	close(pipefd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	free(model);
}

/* --- what the module says ------------------------------------------------- */

/*
 * IOBMD_A_STATS_EXPORTS counts live dma-bufs, IOBMD_A_DESC_EXPORTS those
 * of each descriptor (of a part too); a released handle's descriptor
 * stays in the dump while exported, and everything goes back to 0.  A
 * dma-buf has no name until its holder gives it one (DMA_BUF_SET_NAME).
 */
TEST_F(exp, netlink_counts)
{
	const __u64 blen = 7 * PAGE_SIZE, slen = 2 * PAGE_SIZE + 11;
	char name[64];
	int d1, d2, d3;
	__u32 b, s;

	test_pattern_buffer(0, blen, 110, &b);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, PAGE_SIZE, slen, &s);
	EXPECT_EQ(0, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, blen));
	test_export(b, 0, 0, O_RDWR, &d1);
	test_export(b, PAGE_SIZE, PAGE_SIZE, O_RDONLY, &d2);
	test_export(s, 0, 0, O_RDWR, &d3);
	EXPECT_EQ(3, nl_stats_exports(self->nl));
	EXPECT_EQ(2, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, blen));
	EXPECT_EQ(1, nl_desc_exports(self->nl, IOBMD_KIND_SUB, slen));
	/* Nameless, as the module leaves it, until its holder names it. */
	EXPECT_EQ(-ENOENT, dmabuf_fdinfo(d2, "name", name, sizeof(name)));
	ASSERT_EQ(0, ioctl(d2, DMA_BUF_SET_NAME, "capture-0"));
	ASSERT_EQ(0, dmabuf_fdinfo(d2, "name", name, sizeof(name)));
	EXPECT_STREQ("capture-0", name);
	close(d2);
	EXPECT_EQ(2, nl_stats_exports(self->nl));
	EXPECT_EQ(1, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, blen));
	test_ioctl_release(s);
	test_ioctl_release(b);
	EXPECT_EQ(1, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, blen));
	EXPECT_EQ(1, nl_desc_exports(self->nl, IOBMD_KIND_SUB, slen));
	close(d3);
	EXPECT_EQ(-ENOENT, nl_desc_exports(self->nl, IOBMD_KIND_SUB, slen));
	EXPECT_EQ(1, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, blen));
	close(d1);
	EXPECT_EQ(-ENOENT, nl_desc_exports(self->nl, IOBMD_KIND_BUFFER, blen));
	EXPECT_EQ(0, nl_stats_exports(self->nl));
}

/* debugfs's dma_buf/bufinfo names the exporter, its size and importers. */
TEST_F(exp, bufinfo)
{
	struct dmabuf_info info;
	char name[32];
	int dfd, card;
	__u32 b, gem;

	IOBMD_NEED_VGEM();
	test_pattern_buffer(0, 3 * PAGE_SIZE + 1, 120, &b);
	test_export(b, 0, 0, O_RDWR, &dfd);
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_STREQ("iobmd", info.exporter);
	EXPECT_EQ(4 * PAGE_SIZE, info.size);
	EXPECT_EQ(0, info.attached);
	ASSERT_EQ(0, dmabuf_fdinfo(dfd, "exp_name", name, sizeof(name)));
	EXPECT_STREQ("iobmd", name);
	card = vgem_open();
	ASSERT_LE(0, card);
	ASSERT_EQ(0, vgem_import(card, dfd, &gem));
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_EQ(1, info.attached);
	EXPECT_STREQ("vgem", info.device);
	close(card);
	ASSERT_EQ(0, dmabuf_bufinfo(dfd, &info));
	EXPECT_EQ(0, info.attached);
	close(dfd);
	test_ioctl_release(b);
}

/* The module's reference count, or -1. */
static long long module_refcnt(void)
{
	long long v = -1;
	FILE *f = fopen(MODULE_REFCNT, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * The module cannot go while a dma-buf of it lives, whether held by its
 * file or only by a mapping (delete_module: EAGAIN, "in use"); its
 * reference count comes back when the last goes.  Unloading itself is
 * the guest's rmmod after the programs (scripts/guest-init.sh).
 */
TEST_F(exp, module_held)
{
	long long base;
	__u8 *p;
	int dfd, d2;
	__u32 b;

	test_pattern_buffer(0, 2 * PAGE_SIZE, 130, &b);
	test_export(b, 0, 0, O_RDWR, &dfd);
	test_export(b, PAGE_SIZE, 0, O_RDWR, &d2);
	p = map_dmabuf(dfd, 2 * PAGE_SIZE, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	close(dfd);
	test_ioctl_release(b);
	close(self->fd);
	self->fd = -1;
	/* Two dma-bufs, one of them only mapped, and nothing else. */
	base = module_refcnt();
	ASSERT_LE(1, base);
	EXPECT_ERRNO(EAGAIN, syscall(SYS_delete_module, "iobmd", O_NONBLOCK));
	close(d2);
	EXPECT_GT(base, module_refcnt());
	ASSERT_LE(1, module_refcnt());
	EXPECT_ERRNO(EAGAIN, syscall(SYS_delete_module, "iobmd", O_NONBLOCK));
	/* The mapping still shows the memory. */
	EXPECT_EQ(2 * PAGE_SIZE, iobmd_check_pattern(p, 2 * PAGE_SIZE, 0, 130));
	munmap(p, 2 * PAGE_SIZE);
	/* Only this test's netlink socket is left: no reference at all. */
	EXPECT_EQ(0, module_refcnt());
}

/*
 * Device memory queued into vivid's vmalloc queue: vb2-vmalloc takes the
 * importer's kernel mapping (vmap) for system memory and the dma-buf core
 * BUG()s at its vunmap of an I/O one, so a dma-buf of device memory has
 * no vmap: the queueing fails cleanly (vb2-vmalloc says EFAULT for any
 * vmap failure) and nothing is left.
 */
TEST(device_memory_into_vb2_vmalloc)
{
	struct iobmd_export_dmabuf ex = { .size = sizeof(ex),
					  .fd_flags = O_RDWR };
	struct iobmd_test_stats stats;
	struct vivid_saved saved;
	struct v4l2_format fmt;
	__u64 bar, len;
	__u32 dev;
	int fd, video, ret;

	IOBMD_NEED_VIVID(VIVID_VMALLOC);
	ASSERT_EQ(0, iobmd_read_stats(&stats));
	fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	IOBMD_NEED_IVSHMEM(&bar, &len);
	video = vivid_open(VIVID_VMALLOC);
	ASSERT_LE(0, video);
	ASSERT_EQ(0, vivid_save(video, &saved));
	ASSERT_EQ(0, vivid_setup(video, FRAME_W, FRAME_H, &fmt));
	ASSERT_LE(ALIGN_UP(fmt.fmt.pix.sizeimage, PAGE_SIZE), len);
	ASSERT_EQ(0, _test_ioctl_device_create(fd, bar,
					       ALIGN_UP(fmt.fmt.pix.sizeimage,
							PAGE_SIZE), &dev));
	ex.handle = dev;
	ASSERT_EQ(0, ioctl(fd, IOBMD_EXPORT_DMABUF, &ex));
	ASSERT_LE(1, vivid_reqbufs(video, V4L2_MEMORY_DMABUF, 2));
	ret = vivid_qbuf(video, 0, (int)ex.fd, fmt.fmt.pix.sizeimage);
	EXPECT_EQ(-EFAULT, ret);
	EXPECT_EQ(0, vivid_reqbufs(video, V4L2_MEMORY_DMABUF, 0));
	close((int)ex.fd);
	EXPECT_EQ(0, vivid_restore(video, &saved));
	close(video);
	close(fd);
	EXPECT_STREQ("", iobmd_stats_changed(&stats));
}

TEST_HARNESS_MAIN

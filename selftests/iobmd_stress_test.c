// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded stress run of /dev/iobmd: STRESS_PROCS processes of
 * STRESS_THREADS threads each, every process sharing one open file among
 * its threads, run a random mix of create (buffers of assorted shapes,
 * general descriptors over their own memory, sub, multi and interleaved
 * compositions), MAP + mmap + touch, partial munmap, MADV_DONTNEED,
 * prepare/complete, READ/WRITE/APPEND, SET_LENGTH, release, fork and
 * fresh opens and closes of other files, for a fixed wall time.
 *
 * Each thread keeps a model of what its own descriptors hold and checks
 * it as it goes: through READ, through its mappings, through sub, multi
 * and interleaved views of its own memory, through the memory of its
 * general descriptors, in forked children (over the inherited mappings
 * and file) and, once its process has closed the file with handles and
 * mappings still live, through what is left mapped.  Each thread also
 * publishes its handles to the other threads of its process, which build
 * compositions over them, read, map and prepare those while the owner may
 * be releasing them: these calls must succeed or fail with an errno the
 * ABI documents for them, and their data is not checked.
 *
 * At the end every worker must have exited 0 and the module's counters
 * must all be back to 0.  It prints the seeds, the operations by type,
 * the forks and the errnos seen; a thread that fails prints its last
 * operations.
 *
 * A second test, release_races, runs after it: threads of one file
 * release handle numbers they guess while others create, for 2/5 of the
 * wall time; nothing may be left once the file is closed.
 *
 * IOBMD_STRESS_SECONDS (default 20, at most 240) sets the wall time,
 * IOBMD_STRESS_SEED the base seed, IOBMD_STRESS_PROCS and
 * IOBMD_STRESS_THREADS (1 to 3) fewer workers; IOBMD_STRESS_PARANOID
 * checks every mapping after every operation (for finding the first one
 * that goes wrong; with one thread a seed replays exactly).
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>

#include "iobmd_utils.h"
#include "iobmd_stats.h"

#define STRESS_PROCS		3
#define STRESS_THREADS		3
#define STRESS_SECONDS		20
#define STRESS_MAX_SECONDS	240
#define STRESS_SEED		0x57e55eedULL

/* IOBMD_STRESS_PROCS and IOBMD_STRESS_THREADS can lower them. */
static int nprocs = STRESS_PROCS, nthreads = STRESS_THREADS;
/* IOBMD_STRESS_PARANOID: check every mapping after every operation. */
static bool paranoid;

/* What one thread may hold at once. */
#define MAX_NODES		20
#define MAX_MAPS		8
#define MAX_PIECES		4
#define MAX_FORKS		6
/* Descriptors published to the other threads of the process. */
#define NR_PUB			64
/* The largest READ, WRITE or mapping write checked in one go. */
#define MAX_IO			(64 * 1024)
/* Operations each thread remembers, printed when it fails. */
#ifndef TRACE_LEN
#define TRACE_LEN		64
#endif

enum {
	OP_BUF_CREATE, OP_GENERAL, OP_SUB, OP_MULTI, OP_IL_CREATE, OP_IL_SET,
	OP_RELEASE, OP_GET_INFO, OP_READ, OP_WRITE, OP_APPEND, OP_SET_LENGTH,
	OP_MAP, OP_MMAP, OP_TOUCH, OP_MAP_WRITE, OP_MUNMAP, OP_DONTNEED,
	OP_PREPARE, OP_COMPLETE, OP_UMEM_WRITE, OP_OPEN, OP_CLOSE, OP_FORK,
	OP_NR,
};

static const char *const op_names[OP_NR] = {
	[OP_BUF_CREATE] = "BUF_CREATE", [OP_GENERAL] = "GENERAL_CREATE",
	[OP_SUB] = "SUB_CREATE", [OP_MULTI] = "MULTI_CREATE",
	[OP_IL_CREATE] = "INTERLEAVED_CREATE",
	[OP_IL_SET] = "INTERLEAVED_SET", [OP_RELEASE] = "RELEASE",
	[OP_GET_INFO] = "GET_INFO", [OP_READ] = "READ", [OP_WRITE] = "WRITE",
	[OP_APPEND] = "APPEND", [OP_SET_LENGTH] = "SET_LENGTH",
	[OP_MAP] = "MAP", [OP_MMAP] = "mmap", [OP_TOUCH] = "touch",
	[OP_MAP_WRITE] = "write a mapping", [OP_MUNMAP] = "munmap",
	[OP_DONTNEED] = "MADV_DONTNEED", [OP_PREPARE] = "PREPARE",
	[OP_COMPLETE] = "COMPLETE", [OP_UMEM_WRITE] = "write general memory",
	[OP_OPEN] = "open", [OP_CLOSE] = "close", [OP_FORK] = "fork",
};

#define NR_ERRNO	134
#define ERRS(...)	((const int[]){ __VA_ARGS__, 0 })
#define NO_ERRS		ERRS(0)

/* Errno sets chosen ahead of the call. */
static const int errs_none[] = { 0 };
static const int errs_eacces[] = { EACCES, 0 };
static const int errs_ebusy[] = { EBUSY, 0 };
static const int errs_phys32_contig[] = { EBUSY, ERANGE, 0 };
static const int errs_view_prepare[] = { EACCES, EBUSY, 0 };
static const int errs_shared_prepare[] = { EBUSY, EFAULT, EPERM, EACCES, 0 };

/* What one thread reports, in memory shared by every process. */
struct stress_report {
	__u64 seed;
	unsigned long calls[OP_NR];
	unsigned long ok[OP_NR];
	unsigned long errs[OP_NR][NR_ERRNO];
	unsigned long forks;
	unsigned long checked;		/* bytes compared with the model */
	unsigned long cross;		/* calls on other threads' handles */
	unsigned long touched;		/* a sum of bytes read, unchecked */
	int failed;
	char fail[512];
	unsigned int ring_pos;		/* the thread's last operations */
	char ring[TRACE_LEN][96];
};

struct stress_shared {
	atomic_int stop;		/* a failure: everyone winds down */
	struct stress_report rep[STRESS_PROCS][STRESS_THREADS];
};

/* One descriptor a thread holds or still needs (a piece of a view). */
struct node {
	bool used;
	bool tracked;		/* its contents are known */
	bool contig;		/* a physically contiguous buffer */
	bool mask;		/* a buffer with a physical mask */
	__u32 kind;
	__u32 handle;		/* 0 once released */
	int refs;		/* the handle, mappings and views on it */
	int depth;
	int nviews;		/* tracked views built on it */
	int prepares;		/* outstanding through the handle */
	int prep32;		/* of which with IOBMD_PREPARE_PHYS32 */
	__u64 len, cap;
	__u8 *model;		/* buffer: cap bytes; general: len bytes */
	__u8 *umem;		/* general: the memory it describes ... */
	size_t umem_size;
	__u64 uoff;		/* ... from this byte of umem */
	int npieces;
	int il_cap;
	struct {
		int node;
		__u64 off, len;
	} pieces[MAX_PIECES];
};

struct smap {
	__u8 *addr;
	size_t size;
	int node;
	__u64 map_off;		/* layout offset of addr */
	__u64 delta;		/* layout offset of the descriptor's byte 0 */
	bool ro;
};

struct proc;

struct thr {
	struct proc *p;
	int pi, ti;
	__u64 rng;
	struct stress_report *rep;
	struct node n[MAX_NODES];
	struct smap m[MAX_MAPS];
	int nmaps;
	__u8 *buf;		/* MAX_IO scratch */
	__u8 *buf2;
	pthread_t tid;
};

struct proc {
	int fd;
	int pi;
	double deadline;
	struct stress_shared *sh;
	atomic_uint pub[NR_PUB];
	struct thr t[STRESS_THREADS];
};

/* --- helpers -------------------------------------------------------- */

/* A read the compiler keeps. */
static __u8 READ_BYTE(const __u8 *p)
{
	return *(const volatile __u8 *)p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u64 rnd(struct thr *t)
{
	/* splitmix64 */
	__u64 z = (t->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static __u64 below(struct thr *t, __u64 n)
{
	return n ? rnd(t) % n : 0;
}

static bool chance(struct thr *t, unsigned int percent)
{
	return below(t, 100) < percent;
}

static bool stopping(struct thr *t)
{
	return atomic_load(&t->p->sh->stop);
}

static void __printf(2, 3)
fail(struct thr *t, const char *fmt, ...)
{
	struct stress_report *r = t->rep;
	va_list ap;
	int n;

	if (r->failed++)
		return;
	n = snprintf(r->fail, sizeof(r->fail), "proc %d thread %d: ", t->pi,
		     t->ti);
	va_start(ap, fmt);
	vsnprintf(r->fail + n, sizeof(r->fail) - n, fmt, ap);
	va_end(ap);
	atomic_store(&t->p->sh->stop, 1);
}

static void __printf(2, 3)
trace(struct thr *t, const char *fmt, ...)
{
	struct stress_report *r = t->rep;
	va_list ap;

	if (r->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(r->ring[r->ring_pos++ % TRACE_LEN], sizeof(r->ring[0]), fmt,
		  ap);
	va_end(ap);
}

static bool errno_in(int err, const int *allowed)
{
	for (; *allowed; allowed++)
		if (*allowed == err)
			return true;
	return false;
}

/*
 * Counts a call of @op that returned @ret (errno in @err); fails the
 * thread unless it succeeded or failed with one of @allowed.
 */
static bool note(struct thr *t, int op, int ret, int err, const int *allowed,
		 const char *what, __u32 handle)
{
	t->rep->calls[op]++;
	if (!ret) {
		t->rep->ok[op]++;
		return true;
	}
	t->rep->errs[op][err > 0 && err < NR_ERRNO ? err : 0]++;
	if (!errno_in(err, allowed))
		fail(t, "%s (%s) on handle %u: unexpected %s (errno %d)",
		     op_names[op], what, handle, strerror(err), err);
	return false;
}

#define NOTE(t, op, call, allowed, what, handle)                        \
	({                                                              \
		int __r = (call);                                       \
		note(t, op, __r, __r ? errno : 0, allowed, what, handle); \
	})

static void publish(struct thr *t, __u32 handle)
{
	atomic_store(&t->p->pub[below(t, NR_PUB)], handle);
}

/* A handle of the process: mostly published ones, else made up. */
static __u32 any_handle(struct thr *t)
{
	__u32 h = atomic_load(&t->p->pub[below(t, NR_PUB)]);

	return h && chance(t, 90) ? h : 1 + below(t, 96);
}

/* --- the model ------------------------------------------------------ */

static int node_alloc(struct thr *t)
{
	int i;

	for (i = 0; i < MAX_NODES; i++)
		if (!t->n[i].used) {
			memset(&t->n[i], 0, sizeof(t->n[i]));
			t->n[i].used = true;
			return i;
		}
	return -1;
}

static int nodes_used(struct thr *t)
{
	int i, k = 0;

	for (i = 0; i < MAX_NODES; i++)
		k += t->n[i].used;
	return k;
}

static void node_put(struct thr *t, int i)
{
	struct node *n = &t->n[i];
	int k;

	if (--n->refs)
		return;
	for (k = 0; k < n->npieces; k++) {
		t->n[n->pieces[k].node].nviews--;
		node_put(t, n->pieces[k].node);
	}
	free(n->model);
	if (n->umem)
		munmap(n->umem, n->umem_size);
	n->used = false;
}

/* Calls @fn for each leaf range under [@off, @off + @len) of node @i. */
typedef void (*leaf_fn)(struct thr *t, void *arg, int leaf, __u64 loff,
			__u64 len);

static void node_walk(struct thr *t, int i, __u64 off, __u64 len, leaf_fn fn,
		      void *arg)
{
	struct node *n = &t->n[i];
	__u64 cum = 0;
	int k;

	if (n->kind == IOBMD_KIND_BUFFER || n->kind == IOBMD_KIND_GENERAL) {
		fn(t, arg, i, off, len);
		return;
	}
	for (k = 0; k < n->npieces && len; k++) {
		__u64 plen = n->pieces[k].len, n1;

		if (off >= cum + plen) {
			cum += plen;
			continue;
		}
		n1 = cum + plen - off;
		if (n1 > len)
			n1 = len;
		node_walk(t, n->pieces[k].node, n->pieces[k].off + off - cum,
			  n1, fn, arg);
		off += n1;
		len -= n1;
		cum += plen;
	}
}

static void expect_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		      __u64 len)
{
	__u8 **out = arg;

	memcpy(*out, t->n[leaf].model + loff, len);
	*out += len;
}

static void apply_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		     __u64 len)
{
	const __u8 **in = arg;

	memcpy(t->n[leaf].model + loff, *in, len);
	*in += len;
}

struct mapcopy {
	__u8 *dst;
	const __u8 *src;
};

static void mapcopy_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		       __u64 len)
{
	struct mapcopy *c = arg;

	memcpy(c->dst, c->src, len);
	c->dst += len;
	c->src += len;
}

/*
 * Copies @src to @len bytes of a mapping of node @i at @dst (its byte
 * @off), one leaf range after the other: a view that repeats memory maps
 * the same page more than once, and memcpy() over such aliases may leave
 * either copy.  In order, the last one stays, as with WRITE.
 */
static void node_map_copy(struct thr *t, int i, __u64 off, __u64 len,
			  __u8 *dst, const __u8 *src)
{
	struct mapcopy c = { dst, src };

	node_walk(t, i, off, len, mapcopy_fn, &c);
}

/* What [off, off + len) of node @i holds. */
static void node_expect(struct thr *t, int i, __u64 off, __u64 len, __u8 *out)
{
	node_walk(t, i, off, len, expect_fn, &out);
}

/* [off, off + len) of node @i was written with @src. */
static void node_apply(struct thr *t, int i, __u64 off, __u64 len,
		       const __u8 *src)
{
	node_walk(t, i, off, len, apply_fn, &src);
}

static bool node_has_general(struct thr *t, int i)
{
	struct node *n = &t->n[i];
	int k;

	if (n->kind == IOBMD_KIND_GENERAL)
		return true;
	for (k = 0; k < n->npieces; k++)
		if (node_has_general(t, n->pieces[k].node))
			return true;
	return false;
}

/* Page offset and page number of leaf byte @loff in memory. */
static __u64 leaf_addr(struct thr *t, int leaf, __u64 loff)
{
	struct node *n = &t->n[leaf];

	if (n->kind == IOBMD_KIND_GENERAL)
		return (uintptr_t)n->umem + n->uoff + loff;
	return loff;
}

/*
 * Whether a whole mapping of a view lines up, as the kernel's mmap checks
 * it: each leaf range at the page offset it has in the mapping, and a page
 * shared by two ranges the same page.
 */
struct lineup {
	bool first, ok;
	__u64 delta, pos;
	int last_leaf;
	__u64 last_addr;
};

static void lineup_fn(struct thr *t, void *arg, int leaf, __u64 loff,
		      __u64 len)
{
	struct lineup *l = arg;
	__u64 a = leaf_addr(t, leaf, loff);

	if (l->first) {
		l->first = false;
		l->delta = a % PAGE_SIZE;
	} else {
		if ((l->delta + l->pos) % PAGE_SIZE != a % PAGE_SIZE)
			l->ok = false;
		else if ((l->delta + l->pos) % PAGE_SIZE &&
			 (leaf != l->last_leaf ||
			  l->last_addr / PAGE_SIZE != a / PAGE_SIZE))
			l->ok = false;
	}
	l->pos += len;
	l->last_leaf = leaf;
	l->last_addr = a + len - 1;
}

static bool node_lines_up(struct thr *t, int i, __u64 *delta)
{
	struct lineup l = { .first = true, .ok = true };

	node_walk(t, i, 0, t->n[i].len, lineup_fn, &l);
	*delta = l.delta;
	return l.ok;
}

/* Compares @len bytes at @got with node @i from @off; fails on a mismatch. */
static bool check_bytes(struct thr *t, int i, __u64 off, __u64 len,
			const __u8 *got, const char *how)
{
	__u8 *want = t->buf2;
	__u64 k;

	node_expect(t, i, off, len, want);
	t->rep->checked += len;
	if (!memcmp(want, got, len))
		return true;
	for (k = 0; k < len && want[k] == got[k]; k++)
		;
	fail(t, "data mismatch via %s: kind %u handle %u (len %llu cap %llu) byte %llu: got %#x, want %#x",
	     how, t->n[i].kind, t->n[i].handle,
	     (unsigned long long)t->n[i].len, (unsigned long long)t->n[i].cap,
	     (unsigned long long)(off + k), got[k], want[k]);
	return false;
}

/* A general descriptor's own memory agrees with the model. */
static bool check_umem(struct thr *t, int i)
{
	struct node *n = &t->n[i];
	__u64 off = 0;

	while (off < n->len) {
		__u64 c = n->len - off < MAX_IO ? n->len - off : MAX_IO;

		if (!check_bytes(t, i, off, c, n->umem + n->uoff + off,
				 "the general descriptor's memory"))
			return false;
		off += c;
	}
	return true;
}

/* A random node, tracked or not, of length > 0; -1 when none. */
static int pick_any(struct thr *t, bool tracked, bool need_handle,
		    bool need_len)
{
	int i, start = below(t, MAX_NODES);

	for (i = 0; i < MAX_NODES; i++) {
		struct node *n = &t->n[(start + i) % MAX_NODES];

		if (n->used && n->tracked == tracked &&
		    (n->len || !need_len) && (!need_handle || n->handle))
			return (start + i) % MAX_NODES;
	}
	return -1;
}

static int pick_node(struct thr *t, bool tracked, bool need_handle)
{
	return pick_any(t, tracked, need_handle, true);
}

static void pick_range(struct thr *t, __u64 len, __u64 *off, __u64 *n)
{
	*off = below(t, len);
	*n = 1 + below(t, len - *off);
	if (*n > MAX_IO)
		*n = 1 + below(t, MAX_IO);
}

/* --- creating --------------------------------------------------------- */

/* Takes over a new descriptor: fills in its size from GET_INFO. */
static int adopt(struct thr *t, int i, __u32 handle, __u32 kind)
{
	struct iobmd_info info;
	struct node *n = &t->n[i];

	n->handle = handle;
	n->kind = kind;
	n->refs = 1;
	if (!NOTE(t, OP_GET_INFO, _test_ioctl_get_info(t->p->fd, handle, &info),
		  NO_ERRS, "new descriptor", handle))
		return -1;
	if (info.kind != kind) {
		fail(t, "handle %u: kind %u, want %u", handle, info.kind,
		     kind);
		return -1;
	}
	n->len = info.length;
	n->cap = info.capacity;
	return 0;
}

/* Buffers of 256 KiB and more the thread holds. */
static int large_nodes(struct thr *t)
{
	int i, k = 0;

	for (i = 0; i < MAX_NODES; i++)
		k += t->n[i].used && t->n[i].cap >= SZ_256K;
	return k;
}

static void do_buf_create(struct thr *t)
{
	__u32 flags = 0, options = IOBMD_DIRECTION_INOUT, handle = 0;
	__u64 cap = 0, align = 0, mask = 0, blen = 0;
	struct node *n;
	int i, shape;

	i = node_alloc(t);
	if (i < 0)
		return;
	n = &t->n[i];
	shape = below(t, 100);
	if (shape < 30) {
		cap = 1 + below(t, 3 * PAGE_SIZE);
		align = below(t, 5);
		/* 0 and 1 (none), 16, 64 and a page */
		align = align < 2 ? align : align == 2 ? 16 :
			align == 3 ? 64 : PAGE_SIZE;
	} else if (shape < 50) {
		cap = (1 + below(t, 16)) * PAGE_SIZE;
	} else if (shape < 62) {
		options |= IOBMD_OPT_PHYSICALLY_CONTIGUOUS;
		cap = (1 + below(t, 8)) * PAGE_SIZE - below(t, 2) * 100;
		n->contig = true;
	} else if (shape < 74) {
		flags = IOBMD_BUF_CREATE_PHYS_MASK;
		mask = 0xFFFFF000ULL;
		cap = 1 + below(t, 8 * PAGE_SIZE);
		n->mask = true;
	} else if (shape < 92) {
		flags = IOBMD_BUF_CREATE_WITH_BYTES;
		blen = 1 + below(t, 3 * PAGE_SIZE);
		iobmd_fill_pattern(t->buf, blen, 0, t->rng);
	} else if (large_nodes(t) < 2) {
		cap = shape < 99 ? SZ_256K + below(t, 2) * 17 : SZ_1M;
	} else {
		cap = (1 + below(t, 4)) * PAGE_SIZE;
	}
	if (!NOTE(t, OP_BUF_CREATE,
		  _test_ioctl_buf_create(t->p->fd, flags, options, cap, align,
					 mask, blen ? t->buf : NULL, blen,
					 &handle),
		  NO_ERRS, "buffer", 0)) {
		n->used = false;
		return;
	}
	if (adopt(t, i, handle, IOBMD_KIND_BUFFER))
		return;
	n->tracked = true;
	n->depth = 1;
	if (blen ? n->len != blen : n->len != n->cap || n->cap < cap) {
		fail(t, "buffer %u: length %llu capacity %llu for %llu/%llu",
		     handle, (unsigned long long)n->len,
		     (unsigned long long)n->cap, (unsigned long long)cap,
		     (unsigned long long)blen);
		return;
	}
	n->model = calloc(1, n->cap);
	if (!n->model) {
		fail(t, "out of memory");
		return;
	}
	if (blen)
		memcpy(n->model, t->buf, blen);
	trace(t, "buffer %u flags %#x options %#x cap %llu len %llu", handle,
	      flags, options, (unsigned long long)n->cap,
	      (unsigned long long)n->len);
	publish(t, handle);
}

static void do_general(struct thr *t)
{
	struct iobmd_range r;
	__u32 handle = 0;
	struct node *n;
	__u64 pages = 1 + below(t, 6);
	int i;

	i = node_alloc(t);
	if (i < 0)
		return;
	n = &t->n[i];
	n->umem_size = pages * PAGE_SIZE;
	n->umem = mmap(NULL, n->umem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (n->umem == MAP_FAILED) {
		n->umem = NULL;
		n->used = false;
		fail(t, "mmap of %zu bytes: %s", n->umem_size,
		     strerror(errno));
		return;
	}
	n->uoff = chance(t, 50) ? below(t, PAGE_SIZE) : 0;
	n->len = 1 + below(t, n->umem_size - n->uoff);
	iobmd_fill_pattern(n->umem, n->umem_size, 0, t->rng);
	r.address = (uintptr_t)n->umem + n->uoff;
	r.length = n->len;
	if (!NOTE(t, OP_GENERAL,
		  _test_ioctl_general_create(t->p->fd, 0, IOBMD_DIRECTION_INOUT,
					     &r, 1, &handle),
		  NO_ERRS, "user memory", 0)) {
		munmap(n->umem, n->umem_size);
		n->used = false;
		return;
	}
	if (adopt(t, i, handle, IOBMD_KIND_GENERAL))
		return;
	if (n->len != r.length) {
		fail(t, "general %u: length %llu, want %llu", handle,
		     (unsigned long long)n->len,
		     (unsigned long long)r.length);
		return;
	}
	n->tracked = true;
	n->depth = 1;
	n->model = malloc(n->len);
	if (!n->model) {
		fail(t, "out of memory");
		return;
	}
	memcpy(n->model, n->umem + n->uoff, n->len);
	trace(t, "general %u at %p+%llu len %llu", handle, n->umem,
	      (unsigned long long)n->uoff, (unsigned long long)n->len);
	publish(t, handle);
}

static void add_piece(struct thr *t, int v, int p, __u64 off, __u64 len)
{
	struct node *n = &t->n[v];

	trace(t, "  view %u: piece %u [%llu, +%llu)", n->handle,
	      t->n[p].handle, (unsigned long long)off, (unsigned long long)len);
	n->pieces[n->npieces].node = p;
	n->pieces[n->npieces].off = off;
	n->pieces[n->npieces].len = len;
	n->npieces++;
	t->n[p].refs++;
	t->n[p].nviews++;
}

/* A sub, multi or interleaved view of the thread's own descriptors. */
static void do_view(struct thr *t, int op)
{
	__u32 handle = 0, want_kind;
	__u32 handles[MAX_PIECES];
	int v, p[MAX_PIECES], k, np, ret;
	__u64 off[MAX_PIECES], len[MAX_PIECES], total = 0;
	int depth = 0;

	v = node_alloc(t);
	if (v < 0)
		return;
	np = op == OP_SUB ? 1 : 1 + below(t, 3);
	for (k = 0; k < np; k++) {
		p[k] = pick_node(t, true, true);
		/* Interleaved pieces at most two levels deep; at most 7. */
		if (p[k] < 0 || t->n[p[k]].depth >= (op == OP_IL_SET ? 5 : 7)) {
			t->n[v].used = false;
			return;
		}
		if (t->n[p[k]].depth > depth)
			depth = t->n[p[k]].depth;
		handles[k] = t->n[p[k]].handle;
		off[k] = 0;
		len[k] = t->n[p[k]].len;
		if (op != OP_MULTI) {
			if (chance(t, 40)) {
				off[k] = below(t, len[k] / PAGE_SIZE + 1) *
					 PAGE_SIZE;
				if (off[k] >= len[k])
					off[k] = 0;
			} else {
				off[k] = below(t, len[k]);
			}
			len[k] = 1 + below(t, len[k] - off[k]);
		}
		total += len[k];
	}
	switch (op) {
	case OP_SUB:
		want_kind = IOBMD_KIND_SUB;
		ret = NOTE(t, op, _test_ioctl_sub_create(t->p->fd, handles[0],
							 IOBMD_DIRECTION_INOUT,
							 off[0], len[0],
							 &handle),
			   NO_ERRS, "own parent", handles[0]);
		break;
	case OP_MULTI:
		want_kind = IOBMD_KIND_MULTI;
		ret = NOTE(t, op, _test_ioctl_multi_create(t->p->fd,
							   IOBMD_DIRECTION_INOUT,
							   handles, np,
							   &handle),
			   NO_ERRS, "own pieces", handles[0]);
		break;
	default:
		want_kind = IOBMD_KIND_INTERLEAVED;
		ret = NOTE(t, OP_IL_CREATE,
			   _test_ioctl_interleaved_create(t->p->fd,
							  IOBMD_DIRECTION_INOUT,
							  MAX_PIECES, &handle),
			   NO_ERRS, "own", 0);
		depth = 4;
		break;
	}
	if (!ret) {
		t->n[v].used = false;
		return;
	}
	if (adopt(t, v, handle, want_kind))
		return;
	trace(t, "%s %u", op_names[op], handle);
	t->n[v].tracked = true;
	t->n[v].depth = depth + 1;
	t->n[v].il_cap = MAX_PIECES;
	if (want_kind != IOBMD_KIND_INTERLEAVED) {
		for (k = 0; k < np; k++)
			add_piece(t, v, p[k], off[k], len[k]);
	} else {
		total = 0;
		for (k = 0; k < np; k++) {
			/*
			 * EBUSY: another thread's view, built on a handle
			 * number it had seen before, holds this one pinned.
			 */
			if (!NOTE(t, OP_IL_SET,
				  _test_ioctl_interleaved_set(t->p->fd, handle,
							      handles[k],
							      off[k], len[k]),
				  ERRS(EBUSY), "own piece", handle))
				break;
			add_piece(t, v, p[k], off[k], len[k]);
			total += len[k];
		}
		t->n[v].len = total;
		t->n[v].cap = total;
	}
	if (t->n[v].len != total) {
		fail(t, "%s %u: length %llu, want %llu", op_names[op], handle,
		     (unsigned long long)t->n[v].len,
		     (unsigned long long)total);
		return;
	}
	if (want_kind == IOBMD_KIND_INTERLEAVED) {
		struct iobmd_info info;

		if (NOTE(t, OP_GET_INFO,
			 _test_ioctl_get_info(t->p->fd, handle, &info),
			 NO_ERRS, "interleaved", handle) &&
		    info.length != total)
			fail(t, "interleaved %u: length %llu, want %llu",
			     handle, (unsigned long long)info.length,
			     (unsigned long long)total);
	}
	publish(t, handle);
}

/*
 * Compositions over handles the other threads publish (or made up): they
 * may be released, reused or changed meanwhile.  The result is the
 * thread's own, untracked.
 */
static void do_cross_compose(struct thr *t)
{
	__u32 handle = 0, h[3];
	int v, op = below(t, 3), k, np = 1 + below(t, 3);
	struct iobmd_info info;
	__u64 len;

	v = node_alloc(t);
	if (v < 0)
		return;
	for (k = 0; k < np; k++)
		h[k] = any_handle(t);
	t->rep->cross++;
	len = 1 + below(t, 2 * PAGE_SIZE);
	if (!_test_ioctl_get_info(t->p->fd, h[0], &info) && info.length)
		len = 1 + below(t, info.length);
	if (op == 0) {
		if (!NOTE(t, OP_SUB,
			  _test_ioctl_sub_create(t->p->fd, h[0],
						 IOBMD_DIRECTION_NONE, 0, len,
						 &handle),
			  ERRS(ENOENT, ERANGE, ELOOP), "shared parent", h[0]))
			goto out_free;
		adopt(t, v, handle, IOBMD_KIND_SUB);
	} else if (op == 1) {
		if (!NOTE(t, OP_MULTI,
			  _test_ioctl_multi_create(t->p->fd,
						   IOBMD_DIRECTION_NONE, h, np,
						   &handle),
			  ERRS(ENOENT, EINVAL, ELOOP), "shared pieces", h[0]))
			goto out_free;
		adopt(t, v, handle, IOBMD_KIND_MULTI);
	} else {
		if (!NOTE(t, OP_IL_CREATE,
			  _test_ioctl_interleaved_create(t->p->fd,
							 IOBMD_DIRECTION_NONE,
							 np, &handle),
			  NO_ERRS, "for shared pieces", 0))
			goto out_free;
		if (adopt(t, v, handle, IOBMD_KIND_INTERLEAVED))
			return;
		for (k = 0; k < np; k++)
			NOTE(t, OP_IL_SET,
			     _test_ioctl_interleaved_set(t->p->fd, handle,
							 h[k], 0, k ? 1 : len),
			     ERRS(ENOENT, ERANGE, ELOOP, EBUSY), "shared piece",
			     h[k]);
	}
	t->n[v].depth = 6;
	if (chance(t, 50))
		publish(t, handle);
	return;
out_free:
	t->n[v].used = false;
}

/* --- using ---------------------------------------------------------- */

static const int *write_errs(struct thr *t, int i)
{
	/*
	 * User memory (or a composition) pinned read-only, by this thread's
	 * own prepare for Out or read-only mapping or by another thread's
	 * view, refuses a writing pin.
	 */
	if (t->n[i].kind != IOBMD_KIND_BUFFER)
		return errs_eacces;
	return errs_none;
}

static void do_read(struct thr *t)
{
	__u64 off, len;
	int i = pick_node(t, true, true);

	if (i < 0)
		return;
	pick_range(t, t->n[i].len, &off, &len);
	memset(t->buf, 0xa5, len);
	if (NOTE(t, OP_READ,
		 _test_ioctl_rw(t->p->fd, IOBMD_READ, t->n[i].handle, off,
				t->buf, len, NULL),
		 NO_ERRS, "own", t->n[i].handle))
		check_bytes(t, i, off, len, t->buf, "READ");
}

static void do_write(struct thr *t)
{
	__u64 off, len;
	bool zero = chance(t, 10);
	int i = pick_node(t, true, true);

	if (i < 0)
		return;
	pick_range(t, t->n[i].len, &off, &len);
	if (zero)
		memset(t->buf, 0, len);
	else
		iobmd_fill_pattern(t->buf, len, off, rnd(t));
	if (!NOTE(t, OP_WRITE,
		  _test_ioctl_rw(t->p->fd, IOBMD_WRITE, t->n[i].handle, off,
				 zero ? NULL : t->buf, len, NULL),
		  write_errs(t, i), "own", t->n[i].handle))
		return;
	node_apply(t, i, off, len, t->buf);
	trace(t, "WRITE %u [%llu, +%llu)%s", t->n[i].handle,
	      (unsigned long long)off, (unsigned long long)len,
	      zero ? " zero" : "");
	/* Read it back at once, around the range too. */
	if (off)
		off--, len++;
	if (off + len < t->n[i].len && len < MAX_IO)
		len++;
	if (NOTE(t, OP_READ,
		 _test_ioctl_rw(t->p->fd, IOBMD_READ, t->n[i].handle, off,
				t->buf, len, NULL),
		 NO_ERRS, "own, after WRITE", t->n[i].handle))
		check_bytes(t, i, off, len, t->buf, "READ after WRITE");
}

/* APPEND and SET_LENGTH on own buffers nothing is built on. */
static void do_length(struct thr *t, bool append)
{
	int i = pick_node(t, true, true);
	struct node *n;
	__u64 v, done = 0, want;

	if (i < 0)
		return;
	n = &t->n[i];
	if (n->kind != IOBMD_KIND_BUFFER || n->nviews)
		return;
	if (!append) {
		v = chance(t, 10) ? n->cap + 1 + below(t, 5) :
				    below(t, n->cap + 1);
		if (!NOTE(t, OP_SET_LENGTH,
			  _test_ioctl_set(t->p->fd, IOBMD_SET_LENGTH,
					  n->handle, v, &done),
			  NO_ERRS, "own", n->handle))
			return;
		want = v <= n->cap ? v : n->len;
		if (done != want)
			fail(t, "SET_LENGTH %llu of %u (capacity %llu): %llu, want %llu",
			     (unsigned long long)v, n->handle,
			     (unsigned long long)n->cap,
			     (unsigned long long)done,
			     (unsigned long long)want);
		trace(t, "SET_LENGTH %u %llu -> %llu", n->handle,
		      (unsigned long long)v, (unsigned long long)want);
		n->len = want;
		return;
	}
	v = 1 + below(t, PAGE_SIZE + 64);
	iobmd_fill_pattern(t->buf, v, n->len, rnd(t));
	if (!NOTE(t, OP_APPEND,
		  _test_ioctl_rw(t->p->fd, IOBMD_APPEND, n->handle, 0, t->buf,
				 v, &done),
		  NO_ERRS, "own", n->handle))
		return;
	want = v < n->cap - n->len ? v : n->cap - n->len;
	if (done != want) {
		fail(t, "APPEND %llu to %u (length %llu capacity %llu): %llu",
		     (unsigned long long)v, n->handle,
		     (unsigned long long)n->len, (unsigned long long)n->cap,
		     (unsigned long long)done);
		return;
	}
	memcpy(n->model + n->len, t->buf, done);
	trace(t, "APPEND %u at %llu +%llu", n->handle,
	      (unsigned long long)n->len, (unsigned long long)done);
	n->len += done;
}

static void do_umem_write(struct thr *t)
{
	int i = pick_node(t, true, false);
	__u64 off, len;
	struct node *n;

	if (i < 0 || t->n[i].kind != IOBMD_KIND_GENERAL)
		return;
	n = &t->n[i];
	t->rep->calls[OP_UMEM_WRITE]++;
	t->rep->ok[OP_UMEM_WRITE]++;
	if (!check_umem(t, i))
		return;
	pick_range(t, n->len, &off, &len);
	iobmd_fill_pattern(n->umem + n->uoff + off, len, off, rnd(t));
	memcpy(n->model + off, n->umem + n->uoff + off, len);
	trace(t, "write general memory %u [%llu, +%llu)", n->handle,
	      (unsigned long long)off, (unsigned long long)len);
	if (n->handle &&
	    NOTE(t, OP_READ,
		 _test_ioctl_rw(t->p->fd, IOBMD_READ, n->handle, off, t->buf,
				len, NULL),
		 NO_ERRS, "own, after writing its memory", n->handle))
		check_bytes(t, i, off, len, t->buf, "READ of general memory");
}

static void do_prepare(struct thr *t)
{
	static const __u32 dirs[] = {
		IOBMD_DIRECTION_NONE, IOBMD_DIRECTION_IN, IOBMD_DIRECTION_OUT,
		IOBMD_DIRECTION_INOUT,
	};
	int i = pick_node(t, chance(t, 80), true);
	__u32 dir = dirs[below(t, 4)];
	const int *errs;
	struct node *n;

	if (i < 0)
		return;
	n = &t->n[i];
	if (n->prepares >= 3 || chance(t, 40)) {
		if (!n->prepares) {
			/* Nothing prepared through this handle: EINVAL. */
			if (NOTE(t, OP_COMPLETE,
				 _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
						     n->handle, 0),
				 ERRS(EINVAL), "own, unprepared", n->handle))
				fail(t, "COMPLETE of unprepared %u succeeded",
				     n->handle);
			return;
		}
		if (NOTE(t, OP_COMPLETE,
			 _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
					     n->handle,
					     chance(t, 30) ?
					     IOBMD_COMPLETE_WITH_DATA_VALID : 0),
			 NO_ERRS, "own", n->handle)) {
			trace(t, "COMPLETE %u", n->handle);
			n->prepares--;
			if (n->prep32)
				n->prep32--;
		}
		return;
	}
	if (!n->tracked) {
		/* On whatever other threads' descriptors lie beneath. */
		errs = errs_shared_prepare;
	} else if (n->kind == IOBMD_KIND_BUFFER) {
		errs = errs_none;
		if (chance(t, 20) && !n->nviews) {
			/*
			 * Out only: memory above 4 GiB bounces, and the
			 * bounce buffer of an In transfer is copied back at
			 * complete(), over what the CPU wrote meanwhile.
			 */
			dir = IOBMD_DIRECTION_OUT | IOBMD_PREPARE_PHYS32;
			/* Prepared meanwhile for the other range (EBUSY);
			 * contiguous memory above 4 GiB (ERANGE).
			 */
			errs = n->contig ? errs_phys32_contig : errs_ebusy;
		} else if (n->prep32) {
			return;
		}
	} else {
		/* EBUSY: a piece prepared with PHYS32 by its owner. */
		errs = errs_view_prepare;
	}
	if (NOTE(t, OP_PREPARE,
		 _test_ioctl_prepare(t->p->fd, IOBMD_PREPARE, n->handle, dir),
		 errs, n->tracked ? "own" : "own view of shared", n->handle)) {
		trace(t, "PREPARE %u %#x", n->handle, dir);
		n->prepares++;
		if (dir & IOBMD_PREPARE_PHYS32)
			n->prep32++;
	}
}

static void do_release(struct thr *t)
{
	int i = pick_any(t, chance(t, 70), true, false);

	if (i < 0)
		return;
	/* Sometimes with prepares outstanding: releasing completes them. */
	while (t->n[i].prepares && chance(t, 70)) {
		if (!NOTE(t, OP_COMPLETE,
			  _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
					      t->n[i].handle, 0),
			  NO_ERRS, "own, before release", t->n[i].handle))
			return;
		t->n[i].prepares--;
		if (t->n[i].prep32)
			t->n[i].prep32--;
	}
	if (!NOTE(t, OP_RELEASE, _test_ioctl_release(t->p->fd, t->n[i].handle),
		  NO_ERRS, "own", t->n[i].handle))
		return;
	trace(t, "RELEASE %u", t->n[i].handle);
	t->n[i].handle = 0;
	t->n[i].prepares = 0;
	t->n[i].prep32 = 0;
	node_put(t, i);
}

/* --- mappings ------------------------------------------------------- */

static void map_drop(struct thr *t, int k)
{
	node_put(t, t->m[k].node);
	t->m[k] = t->m[--t->nmaps];
}

/* Checks what a tracked mapping shows of its descriptor. */
static bool map_check(struct thr *t, int k, const char *how)
{
	struct smap *m = &t->m[k];
	struct node *n = &t->n[m->node];
	__u64 lo = m->map_off, hi = m->map_off + m->size;
	__u64 a, b, end;

	t->rep->calls[OP_TOUCH]++;
	/* Descriptor bytes [a, b) are in the mapping. */
	a = lo > m->delta ? lo - m->delta : 0;
	end = n->kind == IOBMD_KIND_BUFFER ? n->cap : n->len;
	b = hi - m->delta < end ? hi - m->delta : end;
	if (hi <= m->delta)
		b = 0;
	while (a < b) {
		__u64 c = b - a < MAX_IO ? b - a : MAX_IO;

		if (!check_bytes(t, m->node, a, c,
				 m->addr + (a + m->delta - lo), how))
			return false;
		a += c;
	}
	t->rep->ok[OP_TOUCH]++;
	return true;
}

static void do_map(struct thr *t)
{
	int i = pick_node(t, chance(t, 85), true);
	struct iobmd_map mc;
	struct node *n;
	__u64 off = 0, len = 0, delta = 0;
	bool ro = chance(t, 15), lines_up = true, prepared = false;
	int prot = PROT_READ | (ro ? 0 : PROT_WRITE);
	struct smap *m;
	void *p;

	if (i < 0 || t->nmaps == MAX_MAPS)
		return;
	n = &t->n[i];
	if (!n->tracked) {
		/* Someone else's memory: read-only, data unchecked. */
		ro = true;
		prot = PROT_READ;
	}
	if (n->kind == IOBMD_KIND_BUFFER) {
		__u64 pages = ALIGN_UP(n->cap, PAGE_SIZE) / PAGE_SIZE;

		if (chance(t, 40)) {
			off = below(t, pages) * PAGE_SIZE;
			if (chance(t, 50))
				len = (1 + below(t, pages - off / PAGE_SIZE)) *
				      PAGE_SIZE;
		}
	} else {
		/* Pinned first, for user memory; writable if not read-only. */
		if (!NOTE(t, OP_PREPARE,
			  _test_ioctl_prepare(t->p->fd, IOBMD_PREPARE, n->handle,
					      ro ? IOBMD_DIRECTION_OUT :
						   IOBMD_DIRECTION_INOUT),
			  n->tracked ? ERRS(EACCES, EBUSY) :
				       ERRS(EBUSY, EFAULT, EPERM, EACCES),
			  "before MAP", n->handle))
			return;
		prepared = true;
		if (n->tracked)
			lines_up = node_lines_up(t, i, &delta);
	}
	if (!NOTE(t, OP_MAP,
		  _test_ioctl_map_full(t->p->fd, n->handle,
				       ro ? IOBMD_MAP_READONLY : 0, off, len,
				       &mc),
		  n->tracked ? NO_ERRS : ERRS(ENODATA), "", n->handle))
		goto out;
	if (n->tracked && (mc.addr_offset != delta ||
			   mc.extent != ALIGN_UP(delta + (n->kind ==
					IOBMD_KIND_BUFFER ? n->cap : n->len),
					PAGE_SIZE))) {
		fail(t, "MAP of %u (kind %u, len %llu): addr_offset %llu extent %llu, want %llu",
		     n->handle, n->kind, (unsigned long long)n->len,
		     (unsigned long long)mc.addr_offset,
		     (unsigned long long)mc.extent,
		     (unsigned long long)delta);
		goto out;
	}
	if (!len)
		len = mc.extent - off;
	p = mmap(NULL, len, prot, MAP_SHARED, t->p->fd, mc.cookie);
	t->rep->calls[OP_MMAP]++;
	if (p == MAP_FAILED) {
		int err = errno;

		t->rep->errs[OP_MMAP][err < NR_ERRNO ? err : 0]++;
		if (!n->tracked ? !errno_in(err, ERRS(EINVAL, EACCES, ENODATA)) :
				  lines_up || err != EINVAL)
			fail(t, "mmap of %u (kind %u, %llu bytes at %llu): %s, want %s",
			     n->handle, n->kind, (unsigned long long)len,
			     (unsigned long long)off, strerror(err),
			     lines_up ? "success" : "EINVAL");
		goto out;
	}
	t->rep->ok[OP_MMAP]++;
	if (n->tracked && !lines_up) {
		fail(t, "mmap of %u (kind %u): pieces that do not line up mapped",
		     n->handle, n->kind);
		munmap(p, len);
		goto out;
	}
	m = &t->m[t->nmaps++];
	m->addr = p;
	m->size = len;
	m->node = i;
	m->map_off = off;
	m->delta = mc.addr_offset;
	m->ro = ro;
	n->refs++;
	trace(t, "map %u (kind %u) at %llu +%llu: %p delta %llu%s", n->handle,
	      n->kind, (unsigned long long)off, (unsigned long long)len, p,
	      (unsigned long long)m->delta, ro ? " ro" : "");
	if (n->tracked) {
		map_check(t, t->nmaps - 1, "a new mapping");
	} else {
		__u8 sum = 0;
		size_t o;

		t->rep->calls[OP_TOUCH]++;
		for (o = 0; o < len; o += PAGE_SIZE)
			sum += READ_BYTE(m->addr + o);
		t->rep->touched += sum;
		t->rep->ok[OP_TOUCH]++;
	}
out:
	/* The mapping holds its own pin: the prepare may go. */
	if (prepared) {
		if (chance(t, 70))
			NOTE(t, OP_COMPLETE,
			     _test_ioctl_prepare(t->p->fd, IOBMD_COMPLETE,
						 n->handle, 0),
			     NO_ERRS, "after MAP", n->handle);
		else
			n->prepares++;
	}
}

static void do_map_write(struct thr *t)
{
	struct smap *m;
	struct node *n;
	__u64 a, b, end, len;

	if (!t->nmaps)
		return;
	m = &t->m[below(t, t->nmaps)];
	n = &t->n[m->node];
	if (m->ro || !n->tracked)
		return;
	end = n->kind == IOBMD_KIND_BUFFER ? n->cap : n->len;
	a = m->map_off > m->delta ? m->map_off - m->delta : 0;
	b = m->map_off + m->size <= m->delta ? 0 :
					       m->map_off + m->size - m->delta;
	if (b > end)
		b = end;
	if (a >= b)
		return;
	t->rep->calls[OP_MAP_WRITE]++;
	a += below(t, b - a);
	len = 1 + below(t, b - a);
	if (len > MAX_IO)
		len = MAX_IO;
	iobmd_fill_pattern(t->buf, len, a, rnd(t));
	node_map_copy(t, m->node, a, len, m->addr + (a + m->delta - m->map_off),
		      t->buf);
	node_apply(t, m->node, a, len, t->buf);
	trace(t, "write mapping %p of %u [%llu, +%llu)", m->addr, n->handle,
	      (unsigned long long)a, (unsigned long long)len);
	t->rep->ok[OP_MAP_WRITE]++;
	/* READ sees it, within the length. */
	if (n->handle && a < n->len) {
		if (a + len > n->len)
			len = n->len - a;
		if (NOTE(t, OP_READ,
			 _test_ioctl_rw(t->p->fd, IOBMD_READ, n->handle, a,
					t->buf, len, NULL),
			 NO_ERRS, "own, after writing a mapping", n->handle))
			check_bytes(t, m->node, a, len, t->buf,
				    "READ after writing a mapping");
	}
}

static void do_munmap(struct thr *t)
{
	int k;
	struct smap *m;
	size_t pages, cut;

	if (!t->nmaps)
		return;
	k = below(t, t->nmaps);
	m = &t->m[k];
	pages = m->size / PAGE_SIZE;
	t->rep->calls[OP_MUNMAP]++;
	if (pages > 1 && chance(t, 50)) {
		/* A partial munmap: the head or the tail. */
		cut = 1 + below(t, pages - 1);
		if (chance(t, 50)) {
			if (munmap(m->addr, cut * PAGE_SIZE))
				goto err;
			m->addr += cut * PAGE_SIZE;
			m->map_off += cut * PAGE_SIZE;
		} else if (munmap(m->addr + (pages - cut) * PAGE_SIZE,
				  cut * PAGE_SIZE)) {
			goto err;
		}
		m->size -= cut * PAGE_SIZE;
		trace(t, "munmap part of %u: now %p +%zu at %llu",
		      t->n[m->node].handle, m->addr, m->size,
		      (unsigned long long)m->map_off);
		t->rep->ok[OP_MUNMAP]++;
		if (t->n[m->node].tracked)
			map_check(t, k, "a mapping after a partial munmap");
		return;
	}
	if (munmap(m->addr, m->size))
		goto err;
	t->rep->ok[OP_MUNMAP]++;
	trace(t, "munmap %p of %u", m->addr, t->n[m->node].handle);
	map_drop(t, k);
	return;
err:
	fail(t, "munmap: %s", strerror(errno));
}

static void do_dontneed(struct thr *t)
{
	struct smap *m;
	struct node *n;
	int k, ret, err;

	if (!t->nmaps)
		return;
	k = below(t, t->nmaps);
	m = &t->m[k];
	n = &t->n[m->node];
	ret = madvise(m->addr, m->size, MADV_DONTNEED);
	err = errno;
	trace(t, "MADV_DONTNEED %p +%zu of %u: %d", m->addr, m->size,
	      n->handle, ret ? err : 0);
	/*
	 * Buffers of their own pages can drop them and fault them back;
	 * PFN mappings (contiguous buffers, every other kind) refuse.
	 */
	if (n->kind == IOBMD_KIND_BUFFER && !n->mask)
		note(t, OP_DONTNEED, ret, err,
		     n->contig ? ERRS(EINVAL) : NO_ERRS, "buffer mapping",
		     n->handle);
	else
		note(t, OP_DONTNEED, ret, err, ERRS(EINVAL), "mapping",
		     n->handle);
	if (n->kind == IOBMD_KIND_BUFFER && n->contig && !ret)
		fail(t, "MADV_DONTNEED on a contiguous buffer's mapping worked");
	if (n->tracked)
		map_check(t, k, "a mapping after MADV_DONTNEED");
}

/* --- another open file ---------------------------------------------- */

/*
 * A fresh file: descriptors, views and mappings on it, then close() with
 * handles, prepares and mappings live.  The mappings must still show and
 * take the data afterwards.
 */
static void do_other_file(struct thr *t)
{
	__u32 b = 0, s = 0, mh = 0, pair[2];
	__u64 cap = (1 + below(t, 4)) * PAGE_SIZE, c1 = 0, c2 = 0;
	__u8 *p1 = MAP_FAILED, *p2 = MAP_FAILED, *model;
	int fd, ok = 1;

	model = t->buf2 + MAX_IO / 2;
	fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (!note(t, OP_OPEN, fd < 0, errno, NO_ERRS, "/dev/iobmd", 0))
		return;
	ok &= NOTE(t, OP_BUF_CREATE,
		   _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, cap, 0,
					  0, NULL, 0, &b),
		   NO_ERRS, "other file", 0);
	if (!ok)
		goto out;
	iobmd_fill_pattern(model, cap, 0, rnd(t));
	ok &= NOTE(t, OP_WRITE,
		   _test_ioctl_rw(fd, IOBMD_WRITE, b, 0, model, cap, NULL),
		   NO_ERRS, "other file", b);
	ok &= NOTE(t, OP_SUB,
		   _test_ioctl_sub_create(fd, b, 0, PAGE_SIZE, cap - PAGE_SIZE ?:
					  PAGE_SIZE, &s),
		   cap == PAGE_SIZE ? ERRS(ERANGE) : NO_ERRS, "other file", b);
	if (cap == PAGE_SIZE)
		s = 0;
	pair[0] = b;
	pair[1] = b;
	ok &= NOTE(t, OP_MULTI,
		   _test_ioctl_multi_create(fd, 0, pair, 2, &mh),
		   NO_ERRS, "other file", b);
	if (!ok)
		goto out;
	/* Its own handle numbers: a released one is ENOENT, exactly. */
	NOTE(t, OP_RELEASE, _test_ioctl_release(fd, mh), NO_ERRS, "other file",
	     mh);
	NOTE(t, OP_RELEASE, _test_ioctl_release(fd, mh), ERRS(ENOENT),
	     "other file, released", mh);
	NOTE(t, OP_COMPLETE, _test_ioctl_prepare(fd, IOBMD_COMPLETE, b, 0),
	     ERRS(EINVAL), "other file, unprepared", b);
	NOTE(t, OP_PREPARE, _test_ioctl_prepare(fd, IOBMD_PREPARE, b, 0),
	     NO_ERRS, "other file", b);
	if (NOTE(t, OP_MAP, _test_ioctl_map(fd, b, 0, 0, 0, &c1), NO_ERRS,
		 "other file", b)) {
		p1 = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  c1);
		note(t, OP_MMAP, p1 == MAP_FAILED, errno, NO_ERRS,
		     "other file", b);
	}
	if (s && NOTE(t, OP_MAP, _test_ioctl_map(fd, s, 0, 0, 0, &c2), NO_ERRS,
		      "other file", s)) {
		p2 = mmap(NULL, cap - PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, c2);
		note(t, OP_MMAP, p2 == MAP_FAILED, errno, NO_ERRS,
		     "other file", s);
	}
	if (!chance(t, 30))
		NOTE(t, OP_RELEASE, _test_ioctl_release(fd, b), NO_ERRS,
		     "other file", b);
out:
	/* With handles, a prepare and mappings live. */
	note(t, OP_CLOSE, close(fd), errno, NO_ERRS, "other file", 0);
	if (p1 != MAP_FAILED) {
		t->rep->calls[OP_TOUCH]++;
		t->rep->checked += cap;
		if (memcmp(p1, model, cap))
			fail(t, "mapping of buffer %u of a closed file: data lost",
			     b);
		else
			t->rep->ok[OP_TOUCH]++;
		/* Written through one mapping, seen through the other. */
		if (p2 != MAP_FAILED) {
			iobmd_fill_pattern(p1 + PAGE_SIZE, cap - PAGE_SIZE,
					   PAGE_SIZE, rnd(t));
			if (memcmp(p1 + PAGE_SIZE, p2, cap - PAGE_SIZE))
				fail(t, "sub mapping of a closed file does not show the buffer");
		}
		munmap(p1, cap);
	}
	if (p2 != MAP_FAILED)
		munmap(p2, cap - PAGE_SIZE);
}

/* --- fork ----------------------------------------------------------- */

struct fork_plan {
	int map;		/* mapping the child writes, or -1 */
	__u64 off, len, seed;
};

static int child_check(struct thr *t, const struct fork_plan *plan)
{
	int fd = t->p->fd, k, i;
	__u32 h = 0;
	__u64 done = 0;

	/* The inherited mappings show this thread's data. */
	for (k = 0; k < t->nmaps; k++)
		if (t->n[t->m[k].node].tracked &&
		    !map_check(t, k, "an inherited mapping (child)"))
			return 10;
	/* So does READ through the inherited file, buffers at least. */
	for (i = 0; i < MAX_NODES; i++) {
		struct node *n = &t->n[i];
		__u64 len = n->len < MAX_IO ? n->len : MAX_IO;
		int ret;

		if (!n->used || !n->tracked || !n->handle || !len)
			continue;
		ret = _test_ioctl_rw(fd, IOBMD_READ, n->handle, 0, t->buf, len,
				     NULL);
		/*
		 * User memory of another process cannot be pinned (EPERM),
		 * unless it is pinned already.
		 */
		if (ret && !(errno == EPERM && node_has_general(t, i))) {
			fail(t, "child: READ of %u (kind %u): %s", n->handle,
			     n->kind, strerror(errno));
			return 11;
		}
		if (!ret && !check_bytes(t, i, 0, len, t->buf, "READ (child)"))
			return 12;
	}
	/* A descriptor of its own on the shared file. */
	if (_test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT, 3 * PAGE_SIZE,
				   0, 0, NULL, 0, &h)) {
		fail(t, "child: BUF_CREATE: %s", strerror(errno));
		return 13;
	}
	iobmd_fill_pattern(t->buf, 3 * PAGE_SIZE, 0, plan->seed);
	if (_test_ioctl_rw(fd, IOBMD_WRITE, h, 0, t->buf, 3 * PAGE_SIZE,
			   &done) ||
	    _test_ioctl_rw(fd, IOBMD_READ, h, 0, t->buf2, 3 * PAGE_SIZE,
			   &done) ||
	    memcmp(t->buf, t->buf2, 3 * PAGE_SIZE) ||
	    _test_ioctl_release(fd, h)) {
		fail(t, "child: own buffer %u: %s", h, strerror(errno));
		return 14;
	}
	/* A write through a shared mapping, for the parent to see. */
	if (plan->map >= 0) {
		struct smap *m = &t->m[plan->map];

		iobmd_fill_pattern(m->addr + (plan->off + m->delta -
					      m->map_off),
				   plan->len, plan->off, plan->seed);
	}
	return 0;
}

static void do_fork(struct thr *t)
{
	struct fork_plan plan = { .map = -1, .seed = rnd(t) };
	int status;
	pid_t pid;

	if (t->rep->forks >= MAX_FORKS)
		return;
	/* Where the child writes: a writable mapping of a buffer. */
	if (t->nmaps) {
		int k = below(t, t->nmaps);
		struct smap *m = &t->m[k];
		struct node *n = &t->n[m->node];

		if (!m->ro && n->tracked && n->kind == IOBMD_KIND_BUFFER &&
		    m->map_off + m->size <= n->cap) {
			plan.map = k;
			plan.off = m->map_off + below(t, m->size);
			plan.len = 1 + below(t, m->map_off + m->size -
						plan.off);
			if (plan.len > MAX_IO)
				plan.len = MAX_IO;
		}
	}
	t->rep->calls[OP_FORK]++;
	trace(t, "fork: child writes map %d [%llu, +%llu)", plan.map,
	      (unsigned long long)plan.off, (unsigned long long)plan.len);
	pid = fork();
	if (pid < 0) {
		fail(t, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		_exit(child_check(t, &plan));
	t->rep->forks++;
	if (waitpid(pid, &status, 0) != pid) {
		fail(t, "waitpid: %s", strerror(errno));
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fail(t, "forked child: %s %d", WIFEXITED(status) ?
		     "exit" : "signal", WIFEXITED(status) ?
		     WEXITSTATUS(status) : WTERMSIG(status));
		return;
	}
	t->rep->ok[OP_FORK]++;
	if (plan.map >= 0) {
		iobmd_fill_pattern(t->buf, plan.len, plan.off, plan.seed);
		node_apply(t, t->m[plan.map].node, plan.off, plan.len,
			   t->buf);
		map_check(t, plan.map, "a mapping the child wrote");
	}
}

/* --- cross-thread read-only use ------------------------------------- */

static void do_cross_use(struct thr *t)
{
	__u32 h = any_handle(t);
	struct iobmd_info info;
	__u64 off, len;

	t->rep->cross++;
	if (!NOTE(t, OP_GET_INFO, _test_ioctl_get_info(t->p->fd, h, &info),
		  ERRS(ENOENT), "shared", h) || !info.length)
		return;
	pick_range(t, info.length, &off, &len);
	/*
	 * Changed length (ERANGE), user memory gone (EFAULT) or of the
	 * forked child (EPERM).
	 */
	NOTE(t, OP_READ,
	     _test_ioctl_rw(t->p->fd, IOBMD_READ, h, off, t->buf, len, NULL),
	     ERRS(ENOENT, ERANGE, EFAULT, EPERM), "shared", h);
}

/* --- the workers ---------------------------------------------------- */

static void check_all(struct thr *t)
{
	int i, k;

	for (k = 0; k < t->nmaps && !t->rep->failed; k++)
		if (t->n[t->m[k].node].tracked)
			map_check(t, k, "a mapping (final check)");
	for (i = 0; i < MAX_NODES && !t->rep->failed; i++)
		if (t->n[i].used && t->n[i].tracked &&
		    t->n[i].kind == IOBMD_KIND_GENERAL)
			check_umem(t, i);
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	while (!stopping(t) && now() < t->p->deadline) {
		unsigned int r = below(t, 1000);
		int full = nodes_used(t) >= MAX_NODES - 2;

		/* Release or unmap instead. */
		if (full && r < 300)
			r = chance(t, 70) ? 820 + below(t, 60) : 670;
		if (r < 90)
			do_buf_create(t);
		else if (r < 140)
			do_general(t);
		else if (r < 180)
			do_view(t, OP_SUB);
		else if (r < 210)
			do_view(t, OP_MULTI);
		else if (r < 235)
			do_view(t, OP_IL_SET);
		else if (r < 300)
			do_cross_compose(t);
		else if (r < 400)
			do_read(t);
		else if (r < 480)
			do_write(t);
		else if (r < 500)
			do_length(t, true);
		else if (r < 515)
			do_length(t, false);
		else if (r < 590)
			do_map(t);
		else if (r < 640)
			do_map_write(t);
		else if (r < 680)
			do_munmap(t);
		else if (r < 700)
			do_dontneed(t);
		else if (r < 770)
			do_prepare(t);
		else if (r < 790)
			do_umem_write(t);
		else if (r < 880)
			do_release(t);
		else if (r < 960)
			do_cross_use(t);
		else if (r < 975)
			do_other_file(t);
		else if (r < 985)
			do_fork(t);
		else
			check_all(t);
		if (paranoid)
			check_all(t);
	}
	check_all(t);
	return NULL;
}

static void thr_free(struct thr *t)
{
	int i;

	while (t->nmaps) {
		munmap(t->m[0].addr, t->m[0].size);
		map_drop(t, 0);
	}
	for (i = 0; i < MAX_NODES; i++)
		if (t->n[i].used) {
			free(t->n[i].model);
			if (t->n[i].umem)
				munmap(t->n[i].umem, t->n[i].umem_size);
		}
	free(t->buf);
	free(t->buf2);
}

/* One worker process: its threads, then close() with everything live. */
static int worker_proc(struct stress_shared *sh, int pi, double deadline)
{
	struct proc *p = calloc(1, sizeof(*p));
	int ti, ret = 0, k;

	if (!p)
		return 2;
	p->sh = sh;
	p->pi = pi;
	p->deadline = deadline;
	p->fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (p->fd < 0) {
		snprintf(sh->rep[pi][0].fail, sizeof(sh->rep[pi][0].fail),
			 "proc %d: open: %s", pi, strerror(errno));
		sh->rep[pi][0].failed = 1;
		return 3;
	}
	for (ti = 0; ti < nthreads; ti++) {
		struct thr *t = &p->t[ti];

		t->p = p;
		t->pi = pi;
		t->ti = ti;
		t->rep = &sh->rep[pi][ti];
		t->rng = t->rep->seed;
		t->buf = malloc(MAX_IO + 1);
		t->buf2 = malloc(MAX_IO + 1);
		if (!t->buf || !t->buf2)
			return 2;
		if (pthread_create(&t->tid, NULL, worker, t))
			return 4;
	}
	for (ti = 0; ti < nthreads; ti++)
		pthread_join(p->t[ti].tid, NULL);

	/*
	 * Handles, prepares and mappings are still live: closing the file
	 * releases the handles; the mappings keep their memory.
	 */
	if (close(p->fd)) {
		snprintf(sh->rep[pi][0].fail, sizeof(sh->rep[pi][0].fail),
			 "proc %d: close: %s", pi, strerror(errno));
		sh->rep[pi][0].failed++;
	}
	for (ti = 0; ti < nthreads; ti++) {
		struct thr *t = &p->t[ti];

		if (!t->rep->failed)
			for (k = 0; k < t->nmaps; k++)
				if (t->n[t->m[k].node].tracked)
					map_check(t, k,
						  "a mapping after close()");
		if (t->rep->failed)
			ret = 1;
		thr_free(t);
	}
	free(p);
	return ret;
}

FIXTURE(stress)
{
	struct stress_shared *sh;
};

FIXTURE_SETUP(stress)
{
	int fd;

	self->sh = MAP_FAILED;
	iobmd_fixture_open(fd);
	close(fd);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
}

FIXTURE_TEARDOWN(stress)
{
	if (self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
}

static void stress_totals(struct stress_shared *sh, double secs)
{
	unsigned long calls[OP_NR] = { 0 }, ok[OP_NR] = { 0 };
	unsigned long forks = 0, checked = 0, cross = 0, total = 0;
	static unsigned long errs[OP_NR][NR_ERRNO];
	int pi, ti, op, e;

	memset(errs, 0, sizeof(errs));
	for (pi = 0; pi < nprocs; pi++)
		for (ti = 0; ti < nthreads; ti++) {
			struct stress_report *r = &sh->rep[pi][ti];

			for (op = 0; op < OP_NR; op++) {
				calls[op] += r->calls[op];
				ok[op] += r->ok[op];
				for (e = 0; e < NR_ERRNO; e++)
					errs[op][e] += r->errs[op][e];
			}
			forks += r->forks;
			checked += r->checked;
			cross += r->cross;
		}
	for (op = 0; op < OP_NR; op++) {
		char line[512];
		size_t n;

		total += calls[op];
		n = snprintf(line, sizeof(line), "%-22s %8lu call(s), %8lu ok",
			     op_names[op], calls[op], ok[op]);
		for (e = 0; e < NR_ERRNO && n < sizeof(line); e++)
			if (errs[op][e])
				n += snprintf(line + n, sizeof(line) - n,
					      ", %s %lu",
					      e ? strerrorname_np(e) : "other",
					      errs[op][e]);
		ksft_print_msg("%s\n", line);
	}
	ksft_print_msg("%.1f s, %d processes x %d threads: %lu operations, %lu forks, %lu calls on other threads' handles, %lu bytes checked\n",
		       secs, nprocs, nthreads, total, forks, cross,
		       checked);
}

/*
 * Releases racing with creation on one file: creators make and drop
 * descriptors while other threads release handle numbers they guess.
 * Either side may find a handle gone (ENOENT), never anything else, and
 * once the file is closed nothing may be left.  A handle that is being
 * created must not be releasable: else the next create can be given the
 * same handle and one descriptor drops out of the table, never freed.
 */
#define RACE_CREATORS	4
#define RACE_RELEASERS	2

struct race {
	int fd;
	double deadline;
	atomic_ulong creates, stolen, guessed;
	atomic_int bad;
	char why[256];
};

static void race_fail(struct race *r, const char *what, __u32 h, int err)
{
	if (!atomic_fetch_add(&r->bad, 1))
		snprintf(r->why, sizeof(r->why), "%s %u: %s", what, h,
			 strerror(err));
}

static void *race_creator(void *arg)
{
	struct race *r = arg;
	__u32 h, s;

	while (!atomic_load(&r->bad) && now() < r->deadline) {
		if (_test_ioctl_buf_create(r->fd, 0, IOBMD_DIRECTION_INOUT,
					   PAGE_SIZE, 0, 0, NULL, 0, &h)) {
			race_fail(r, "BUF_CREATE", 0, errno);
			break;
		}
		atomic_fetch_add(&r->creates, 1);
		/* A sub over it, unless it has gone already. */
		if (_test_ioctl_sub_create(r->fd, h, 0, 0, 1, &s)) {
			if (errno != ENOENT)
				race_fail(r, "SUB_CREATE", h, errno);
		} else if (_test_ioctl_release(r->fd, s) && errno != ENOENT) {
			race_fail(r, "RELEASE", s, errno);
		}
		if (_test_ioctl_release(r->fd, h)) {
			if (errno != ENOENT)
				race_fail(r, "RELEASE", h, errno);
			atomic_fetch_add(&r->stolen, 1);
		}
	}
	return NULL;
}

static void *race_releaser(void *arg)
{
	struct race *r = arg;
	unsigned int k = 0;

	while (!atomic_load(&r->bad) && now() < r->deadline) {
		__u32 h = 1 + k++ % (2 * RACE_CREATORS);

		if (!_test_ioctl_release(r->fd, h))
			atomic_fetch_add(&r->guessed, 1);
		else if (errno != ENOENT)
			race_fail(r, "RELEASE (guessed)", h, errno);
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, release_races, STRESS_MAX_SECONDS + 50)
{
	pthread_t tid[RACE_CREATORS + RACE_RELEASERS];
	struct iobmd_test_stats st, before;
	struct race *r = calloc(1, sizeof(*r));
	long secs = STRESS_SECONDS;
	const char *env;
	int i, k;

	ASSERT_NE(NULL, r);
	env = getenv("IOBMD_STRESS_SECONDS");
	if (env)
		secs = strtol(env, NULL, 0);
	ASSERT_GT(secs, 0);
	ASSERT_LE(secs, STRESS_MAX_SECONDS);
	/* A fraction of the main run's time: 8 s by default. */
	secs = secs * 2 / 5 ?: 1;
	ASSERT_EQ(0, iobmd_read_stats(&before));
	r->fd = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_LE(0, r->fd);
	r->deadline = now() + secs;
	for (i = 0; i < RACE_CREATORS + RACE_RELEASERS; i++)
		ASSERT_EQ(0, pthread_create(&tid[i], NULL,
					    i < RACE_CREATORS ? race_creator :
					    race_releaser, r));
	for (i = 0; i < RACE_CREATORS + RACE_RELEASERS; i++)
		pthread_join(tid[i], NULL);
	ASSERT_EQ(0, close(r->fd));
	ksft_print_msg("%ld s: %lu creates, %lu released first by a guess, %lu guesses hit\n",
		       secs, atomic_load(&r->creates), atomic_load(&r->stolen),
		       atomic_load(&r->guessed));
	EXPECT_EQ(0, atomic_load(&r->bad)) TH_LOG("%s", r->why);
	ASSERT_EQ(0, iobmd_read_stats(&st));
	/* Back where they were (0, unless something else leaked before). */
	for (k = 0; k < st.n; k++) {
		EXPECT_EQ(before.held[k], st.held[k])
			TH_LOG("%s is %lld after the file was closed, %lld before",
			       st.name[k], st.held[k], before.held[k]);
	}
	free(r);
}

TEST_F_TIMEOUT(stress, random_mix, STRESS_MAX_SECONDS + 50)
{
	pid_t pids[STRESS_PROCS];
	struct iobmd_test_stats st;
	__u64 base = STRESS_SEED;
	long secs = STRESS_SECONDS;
	double t0, deadline;
	const char *env;
	int pi, ti, k, status, bad = 0;

	env = getenv("IOBMD_STRESS_SECONDS");
	if (env)
		secs = strtol(env, NULL, 0);
	ASSERT_GT(secs, 0);
	ASSERT_LE(secs, STRESS_MAX_SECONDS);
	env = getenv("IOBMD_STRESS_PROCS");
	if (env)
		nprocs = strtol(env, NULL, 0);
	env = getenv("IOBMD_STRESS_THREADS");
	if (env)
		nthreads = strtol(env, NULL, 0);
	ASSERT_TRUE(nprocs >= 1 && nprocs <= STRESS_PROCS);
	ASSERT_TRUE(nthreads >= 1 && nthreads <= STRESS_THREADS);
	paranoid = getenv("IOBMD_STRESS_PARANOID");
	env = getenv("IOBMD_STRESS_SEED");
	if (env)
		base = strtoull(env, NULL, 0);
	ASSERT_EQ(0, iobmd_read_stats(&st));
	for (k = 0; k < st.n; k++)
		if (st.held[k])
			ksft_print_msg("before: %s is %lld\n", st.name[k],
				       st.held[k]);

	for (pi = 0; pi < nprocs; pi++)
		for (ti = 0; ti < nthreads; ti++) {
			__u64 seed = base * 1000003ULL + pi * 16 + ti;

			self->sh->rep[pi][ti].seed = seed;
			ksft_print_msg("proc %d thread %d: seed %#llx\n", pi,
				       ti, (unsigned long long)seed);
		}
	fflush(stdout);
	fflush(stderr);
	t0 = now();
	deadline = t0 + secs;
	for (pi = 0; pi < nprocs; pi++) {
		pids[pi] = fork();
		ASSERT_LE(0, pids[pi]);
		if (!pids[pi])
			_exit(worker_proc(self->sh, pi, deadline));
	}
	for (pi = 0; pi < nprocs; pi++) {
		ASSERT_EQ(pids[pi], waitpid(pids[pi], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			ksft_print_msg("proc %d: %s %d\n", pi,
				       WIFEXITED(status) ? "exit" : "signal",
				       WIFEXITED(status) ? WEXITSTATUS(status) :
				       WTERMSIG(status));
			bad++;
		}
	}
	stress_totals(self->sh, now() - t0);
	for (pi = 0; pi < nprocs; pi++)
		for (ti = 0; ti < nthreads; ti++)
			if (self->sh->rep[pi][ti].failed) {
				struct stress_report *r = &self->sh->rep[pi][ti];
				unsigned int j;

				ksft_print_msg("FAILED (seed %#llx): %s\n",
					       (unsigned long long)r->seed,
					       r->fail);
				j = r->ring_pos > TRACE_LEN ?
				    r->ring_pos - TRACE_LEN : 0;
				for (; j < r->ring_pos; j++)
					ksft_print_msg("  op %u: %s\n", j,
						       r->ring[j % TRACE_LEN]);
				bad++;
			}
	EXPECT_EQ(0, bad);

	/* Every file is closed, every mapping gone: nothing is held. */
	ASSERT_EQ(0, iobmd_read_stats(&st))
		TH_LOG("cannot read %s", IOBMD_STATS_PATH);
	for (k = 0; k < st.n; k++) {
		EXPECT_EQ(0, st.held[k])
			TH_LOG("%s is %lld after every worker exited",
			       st.name[k], st.held[k]);
	}
}

TEST_HARNESS_MAIN

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stress test's worker threads: their limits, the operations they
 * count, the report each fills in (in memory every process shares), the
 * state each keeps (its descriptors, its mappings, its process), its
 * random stream, and how it fails and traces what it did.
 */
#ifndef __SELFTEST_IOBMD_STRESS_THREAD_H
#define __SELFTEST_IOBMD_STRESS_THREAD_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>

#include "iobmd_utils.h"

#define STRESS_PROCS		3
#define STRESS_THREADS		3

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
	bool mask;		/* a buffer placed below 4 GiB by its mask */
	__u32 kind;
	__u32 handle;		/* 0 once released */
	int refs;		/* the handle, mappings and views on it */
	int depth;
	int nviews;		/* tracked views built on it */
	int prepares;		/* outstanding through the handle */
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

static void publish(struct thr *t, __u32 handle)
{
	atomic_store(&t->p->pub[iobmd_rand_below(&t->rng, NR_PUB)], handle);
}

/* A handle of the process: mostly published ones, else made up. */
static __u32 any_handle(struct thr *t)
{
	__u32 h = atomic_load(&t->p->pub[iobmd_rand_below(&t->rng, NR_PUB)]);

	return h && iobmd_rand_chance(&t->rng, 90) ? h : 1 + iobmd_rand_below(&t->rng, 96);
}

#endif /* __SELFTEST_IOBMD_STRESS_THREAD_H */

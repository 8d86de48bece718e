// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd lifetimes across the hierarchy: parents released while subs,
 * multis, interleaved descriptors and mappings still use them; user memory
 * unmapped, or its process gone, while a general descriptor is prepared;
 * RLIMIT_MEMLOCK; and nothing left pinned afterwards (the module's
 * pinned_bytes counter in debugfs).  Needs root.
 */
#include <sys/resource.h>

#include "iobmd_utils.h"

FIXTURE(iobmd_hlife)
{
	int fd;
};

FIXTURE_SETUP(iobmd_hlife)
{
	iobmd_fixture_open(self->fd);
}

FIXTURE_TEARDOWN(iobmd_hlife)
{
	if (self->fd != -1)
		close(self->fd);
}

/* A buffer released while a sub, a multi, an interleaved and a mapping
 * use it: every one of them still sees and changes the same memory. */
TEST_F(iobmd_hlife, release_parent_while_used)
{
	const __u64 cap = 4 * PAGE_SIZE;
	__u32 b, b2, s, m, il, pair[2];
	long long before = iobmd_stat("descriptors");
	__u8 *model = malloc(cap), *p, v;

	ASSERT_NE(NULL, model);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, cap, 0, &b);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &b2);
	iobmd_fill_pattern(model, cap, 0, 1);
	test_ioctl_write(b, 0, model, cap);
	test_ioctl_sub_create(b, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 2 * PAGE_SIZE,
			      &s);
	pair[0] = b2;
	pair[1] = b;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &il);
	test_ioctl_interleaved_set(il, b, 3 * PAGE_SIZE, PAGE_SIZE);
	test_map_rw(b, 0, 0, cap, &p);

	test_ioctl_release(b);
	test_err_get_info(ENOENT, b);
	ASSERT_EQ(before + 5, iobmd_stat("descriptors"));

	test_check_desc(s, model + PAGE_SIZE, 2 * PAGE_SIZE);
	test_check_desc(il, model + 3 * PAGE_SIZE, PAGE_SIZE);
	ASSERT_EQ(0, memcmp(p, model, cap));
	/* A store through each shows in all the others. */
	v = 0x11;
	test_ioctl_write(s, 0, &v, 1);
	ASSERT_EQ(0x11, p[PAGE_SIZE]);
	test_ioctl_read(m, PAGE_SIZE + PAGE_SIZE, &v, 1);
	ASSERT_EQ(0x11, v);
	p[3 * PAGE_SIZE] = 0x22;
	test_ioctl_read(il, 0, &v, 1);
	ASSERT_EQ(0x22, v);
	v = 0x33;
	test_ioctl_write(m, PAGE_SIZE + cap - 1, &v, 1);
	ASSERT_EQ(0x33, p[cap - 1]);

	/* The memory goes with the last user. */
	test_ioctl_release(s);
	test_ioctl_release(m);
	ASSERT_EQ(before + 3, iobmd_stat("descriptors"));
	test_ioctl_release(il);
	ASSERT_EQ(before + 2, iobmd_stat("descriptors"));
	ASSERT_EQ(0x22, p[3 * PAGE_SIZE]);
	ASSERT_EQ(0, munmap(p, cap));
	ASSERT_EQ(before + 1, iobmd_stat("descriptors"));
	test_ioctl_release(b2);
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	free(model);
}

/* Composed descriptors mapped, then every handle released. */
TEST_F(iobmd_hlife, release_all_while_mapped)
{
	__u32 b0, b1, m, s, pair[2];
	struct iobmd_map mp;
	__u8 *p, *q;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 2 * PAGE_SIZE, 0, &b0);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 2 * PAGE_SIZE,
			      0, &b1);
	test_fill_desc(b0, 2 * PAGE_SIZE, 2);
	test_fill_desc(b1, 2 * PAGE_SIZE, 3);
	pair[0] = b0;
	pair[1] = b1;
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, pair, 2, &m);
	test_ioctl_sub_create(m, IOBMD_DIRECTION_INOUT, PAGE_SIZE + 8,
			      2 * PAGE_SIZE, &s);
	test_ioctl_map_full(m, 0, 0, 0, &mp);
	p = iobmd_mmap(self->fd, mp.cookie, mp.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	test_ioctl_map_full(s, IOBMD_MAP_READONLY, 0, 0, &mp);
	q = iobmd_mmap(self->fd, mp.cookie, mp.extent, PROT_READ);
	ASSERT_NE(MAP_FAILED, q);
	test_ioctl_release(s);
	test_ioctl_release(m);
	test_ioctl_release(b1);
	test_ioctl_release(b0);
	ASSERT_EQ(2 * PAGE_SIZE, iobmd_check_pattern(p, 2 * PAGE_SIZE, 0, 2));
	ASSERT_EQ(2 * PAGE_SIZE, iobmd_check_pattern(p + 2 * PAGE_SIZE,
						     2 * PAGE_SIZE, 0, 3));
	p[2 * PAGE_SIZE] = 0x44;
	ASSERT_EQ(0x44, q[PAGE_SIZE]);
	ASSERT_EQ(0, munmap(p, 4 * PAGE_SIZE));
	ASSERT_EQ(0x44, q[PAGE_SIZE]);
	ASSERT_EQ(0, munmap(q, 3 * PAGE_SIZE));
	ASSERT_EQ(0, iobmd_stat("mappings"));
}

/*
 * The process unmaps its memory while a general descriptor has it
 * prepared: the pages stay pinned and keep their contents until the
 * descriptor lets go.
 */
TEST_F(iobmd_hlife, munmap_user_memory_while_prepared)
{
	const __u64 len = 4 * PAGE_SIZE;
	__u8 *a = iobmd_user_area(4, 4), *model = malloc(len), *p;
	struct iobmd_map m;
	__u32 g;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, model);
	memcpy(model, a, len);
	test_ioctl_general_range(IOBMD_DIRECTION_INOUT, a, len, &g);
	test_ioctl_prepare(g, 0);
	test_ioctl_map_full(g, 0, 0, 0, &m);
	p = iobmd_mmap(self->fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(a, len));
	/* Something else takes the address: not the descriptor's memory. */
	ASSERT_EQ(a, mmap(a, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	memset(a, 0xaa, len);

	test_check_desc(g, model, len);
	ASSERT_EQ(0, memcmp(p, model, len));
	p[1] = 0x55;
	model[1] = 0x55;
	test_check_desc(g, model, len);
	ASSERT_EQ(0xaa, a[1]);
	ASSERT_EQ(len, iobmd_stat("pinned_bytes"));
	test_ioctl_complete(g, 0);
	/* The mapping still pins them. */
	ASSERT_EQ(len, iobmd_stat("pinned_bytes"));
	test_ioctl_release(g);
	ASSERT_EQ(0x55, p[1]);
	ASSERT_EQ(0, munmap(p, m.extent));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	munmap(a, len);
	free(model);
}

static int child_prepares_and_exits(void *arg)
{
	int fd = arg ? *(int *)arg : open(IOBMD_DEV_PATH, O_RDWR);
	__u8 *a = iobmd_user_area(8, 5);
	struct iobmd_map m;
	__u32 g = 0, b = 0;
	__u8 *p;

	if (fd < 0 || !a)
		return 1;
	if (_test_ioctl_general_create(fd, 0, IOBMD_DIRECTION_INOUT,
				       &(struct iobmd_range){ (uintptr_t)a,
							      8 * PAGE_SIZE },
				       1, &g))
		return 2;
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, g, 0) ||
	    _test_ioctl_prepare(fd, IOBMD_PREPARE, g, 0))
		return 3;
	if (_test_ioctl_buf_create(fd, 0, 0, PAGE_SIZE, 0, 0, NULL, 0, &b) ||
	    _test_ioctl_prepare(fd, IOBMD_PREPARE, b, 0))
		return 4;
	if (_test_ioctl_map_full(fd, g, 0, 0, 0, &m))
		return 5;
	p = iobmd_mmap(fd, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return 6;
	p[0] = 0x66;
	/* Exits holding it all: no complete, no munmap, no close. */
	return 0;
}

/* A process exits with a general descriptor prepared and mapped. */
TEST_F(iobmd_hlife, process_exits_while_prepared)
{
	long long before = iobmd_stat("descriptors");
	int i;

	for (i = 0; i != 4; i++) {
		ASSERT_EQ(0, iobmd_run_child(child_prepares_and_exits, NULL));
		ASSERT_EQ(0, iobmd_stat("pinned_bytes")) TH_LOG("round %d", i);
		ASSERT_EQ(0, iobmd_stat("mappings"));
		ASSERT_EQ(before, iobmd_stat("descriptors"));
	}
}

/*
 * The child uses the parent's file: its handles outlive it, pinned, and
 * the parent completes them by releasing; it cannot pin them anew.
 */
TEST_F(iobmd_hlife, process_exits_file_lives_on)
{
	struct iobmd_info info;
	__u32 g = 0, h;
	__u8 v;

	ASSERT_EQ(0, iobmd_run_child(child_prepares_and_exits, &self->fd));
	ASSERT_EQ(8 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, iobmd_stat("mappings"));
	/* Find the child's general descriptor among the handles. */
	for (h = 1; h != 16 && !g; h++) {
		if (_test_ioctl_get_info(self->fd, h, &info) == 0 &&
		    info.kind == IOBMD_KIND_GENERAL)
			g = h;
	}
	ASSERT_NE(0, g);
	/* Pinned by its creator's prepares: still readable, the store too. */
	test_ioctl_read(g, 0, &v, 1);
	ASSERT_EQ(0x66, v);
	test_ioctl_read(g, 1, &v, 1);
	ASSERT_EQ(iobmd_pattern_byte(5, 1), v);
	/* One complete of the two is not enough. */
	test_ioctl_complete(g, 0);
	ASSERT_EQ(8 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	test_ioctl_release(g);
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
}

static int memlock_child(void *arg)
{
	const struct rlimit lim = { 16 * PAGE_SIZE, 16 * PAGE_SIZE };
	bool drop = arg != NULL;
	__u8 *a = iobmd_user_area(64, 6), v = 0;
	__u32 big, small, mid;
	int fd;

	fd = open(IOBMD_DEV_PATH, O_RDWR);
	if (fd < 0 || !a)
		return 1;
	if (setrlimit(RLIMIT_MEMLOCK, &lim))
		return 2;
	if (drop && iobmd_drop_root())
		return 3;
	if (_test_ioctl_general_create(fd, 0, IOBMD_DIRECTION_INOUT,
				       &(struct iobmd_range){ (uintptr_t)a,
							      64 * PAGE_SIZE },
				       1, &big) ||
	    _test_ioctl_general_create(fd, 0, IOBMD_DIRECTION_INOUT,
				       &(struct iobmd_range){ (uintptr_t)a,
							      8 * PAGE_SIZE },
				       1, &small) ||
	    _test_ioctl_general_create(fd, 0, IOBMD_DIRECTION_INOUT,
				       &(struct iobmd_range){ (uintptr_t)a + 1,
							      15 * PAGE_SIZE },
				       1, &mid))
		return 4;
	if (!drop) {
		/* CAP_IPC_LOCK: no limit. */
		if (_test_ioctl_prepare(fd, IOBMD_PREPARE, big, 0))
			return 5;
		return 0;
	}
	/* 64 pages over a limit of 16. */
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, big, 0) != -1 ||
	    errno != ENOMEM)
		return 10;
	if (_test_ioctl_rw(fd, IOBMD_READ, big, 0, &v, 1, NULL) != -1 ||
	    errno != ENOMEM)
		return 11;
	/* 8 fit; 16 more do not, while the 8 are pinned. */
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, small, 0))
		return 12;
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, mid, 0) != -1 ||
	    errno != ENOMEM)
		return 13;
	if (_test_ioctl_rw(fd, IOBMD_WRITE, mid, 0, &v, 1, NULL) != -1 ||
	    errno != ENOMEM)
		return 14;
	/* Nested prepares of what is pinned cost nothing more. */
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, small, 0))
		return 15;
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, small, 0) ||
	    _test_ioctl_prepare(fd, IOBMD_PREPARE, small, 0))
		return 16;
	if (_test_ioctl_prepare(fd, IOBMD_COMPLETE, small, 0) ||
	    _test_ioctl_prepare(fd, IOBMD_COMPLETE, small, 0) ||
	    _test_ioctl_prepare(fd, IOBMD_COMPLETE, small, 0) ||
	    _test_ioctl_prepare(fd, IOBMD_COMPLETE, small, 0))
		return 17;
	/* With the 8 let go, 16 fit exactly. */
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, mid, 0))
		return 18;
	if (_test_ioctl_rw(fd, IOBMD_WRITE, mid, 0, &v, 1, NULL))
		return 19;
	if (_test_ioctl_rw(fd, IOBMD_READ, small, 0, &v, 1, NULL) != -1 ||
	    errno != ENOMEM)
		return 20;
	return 0;
}

/* Pinning counts against RLIMIT_MEMLOCK without CAP_IPC_LOCK: ENOMEM. */
TEST_F(iobmd_hlife, rlimit_memlock)
{
	ASSERT_EQ(0, iobmd_run_child(memlock_child, "drop"));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, iobmd_run_child(memlock_child, NULL));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
}

/* The file closed while a prepared general descriptor is mapped. */
TEST_F(iobmd_hlife, close_while_mapped_and_prepared)
{
	__u8 *a = iobmd_user_area(3, 7), *p;
	struct iobmd_map m;
	__u32 g;
	int fd2;

	ASSERT_NE(NULL, a);
	fd2 = open(IOBMD_DEV_PATH, O_RDWR);
	ASSERT_NE(-1, fd2);
	ASSERT_EQ(0, _test_ioctl_general_create(
			     fd2, 0, IOBMD_DIRECTION_INOUT,
			     &(struct iobmd_range){ (uintptr_t)a + 100,
						    2 * PAGE_SIZE },
			     1, &g));
	ASSERT_EQ(0, _test_ioctl_prepare(fd2, IOBMD_PREPARE, g, 0));
	ASSERT_EQ(0, _test_ioctl_map_full(fd2, g, 0, 0, 0, &m));
	p = iobmd_mmap(fd2, m.cookie, m.extent, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(3 * PAGE_SIZE, iobmd_stat("pinned_bytes"));
	p[100] = 0x77;
	ASSERT_EQ(0x77, a[100]);
	ASSERT_EQ(0, munmap(p, m.extent));
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_EQ(0, iobmd_stat("mappings"));
	munmap(a, 3 * PAGE_SIZE);
}

#define MAX_HANDLES_PARAM "/sys/module/iobmd/parameters/max_handles"

/* A file with few handles allowed; the limit is put back at teardown. */
FIXTURE(iobmd_hlimit)
{
	int fd;
	unsigned long saved;
};

static int write_max_handles(unsigned long v)
{
	FILE *f = fopen(MAX_HANDLES_PARAM, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%lu\n", v) < 0;
	return fclose(f) || ret ? -1 : 0;
}

FIXTURE_SETUP(iobmd_hlimit)
{
	FILE *f;

	self->saved = 0;
	iobmd_fixture_open(self->fd);
	f = fopen(MAX_HANDLES_PARAM, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%lu", &self->saved));
	fclose(f);
	ASSERT_EQ(0, write_max_handles(4));
}

FIXTURE_TEARDOWN(iobmd_hlimit)
{
	if (self->saved)
		write_max_handles(self->saved);
	if (self->fd != -1)
		close(self->fd);
}

/* Every kind's creation gets EMFILE once the file holds max_handles. */
TEST_F(iobmd_hlimit, emfile_every_kind)
{
	__u8 *a = iobmd_user_area(1, 8);
	struct iobmd_range r;
	long long before;
	__u32 h[4], d;

	ASSERT_NE(NULL, a);
	r = (struct iobmd_range){ (uintptr_t)a, PAGE_SIZE };
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &h[0]);
	test_ioctl_sub_create(h[0], IOBMD_DIRECTION_INOUT, 0, 1, &h[1]);
	test_ioctl_multi_create(IOBMD_DIRECTION_INOUT, h, 2, &h[2]);
	test_ioctl_interleaved_create(IOBMD_DIRECTION_INOUT, 1, &h[3]);
	before = iobmd_stat("descriptors");

	test_err_buf_create(EMFILE, IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0);
	test_err_general_create(EMFILE, 0, IOBMD_DIRECTION_INOUT, &r, 1);
	test_err_sub_create(EMFILE, h[0], IOBMD_DIRECTION_INOUT, 0, 1);
	test_err_multi_create(EMFILE, IOBMD_DIRECTION_INOUT, h, 2);
	test_err_interleaved_create(EMFILE, IOBMD_DIRECTION_INOUT, 1);
	test_err_device_create(EMFILE, IOBMD_TEST_NOT_RAM, PAGE_SIZE);
	/* Nothing was left behind by them. */
	ASSERT_EQ(before, iobmd_stat("descriptors"));
	ASSERT_EQ(0, iobmd_stat("device_bytes"));

	/* Another file has its own handles. */
	{
		int fd2 = open(IOBMD_DEV_PATH, O_RDWR);

		ASSERT_NE(-1, fd2);
		ASSERT_EQ(0, _test_ioctl_device_create(fd2, IOBMD_TEST_NOT_RAM,
						       PAGE_SIZE, &d));
		ASSERT_EQ(0, close(fd2));
	}
	/* One handle released, one created. */
	test_ioctl_release(h[1]);
	test_ioctl_general_create(IOBMD_DIRECTION_INOUT, &r, 1, &h[1]);
	test_err_sub_create(EMFILE, h[1], IOBMD_DIRECTION_INOUT, 0, 1);
	munmap(a, PAGE_SIZE);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * iobmd ABI rules: the version query, and for every command the struct
 * size rules, unknown flags, reserved fields, bad pointers and unknown
 * commands, each with its exact errno.  Every command, whether it worked
 * or failed, leaves the module's counters as they were once its handles
 * are released (a reference it kept would keep a descriptor alive), and
 * every test leaves them as found once its file is closed.  Runs alone.
 */
#include "iobmd_utils.h"
#include "iobmd_stats.h"

/* The module's counters as the fixture found them. */
static struct iobmd_test_stats iobmd_abi_found;

FIXTURE(iobmd_abi)
{
	int fd;
};

FIXTURE_SETUP(iobmd_abi)
{
	iobmd_fixture_open(self->fd);
	ASSERT_EQ(0, iobmd_read_stats(&iobmd_abi_found))
		TH_LOG("cannot read %s", IOBMD_STATS_PATH);
}

FIXTURE_TEARDOWN(iobmd_abi)
{
	if (self->fd != -1)
		close(self->fd);
	EXPECT_STREQ("", iobmd_stats_changed(&iobmd_abi_found));
}

TEST_F(iobmd_abi, version)
{
	struct iobmd_version ver;

	test_ioctl_get_version(&ver);
	ASSERT_EQ(sizeof(ver), ver.size);
	ASSERT_EQ(0, ver.flags);
	ASSERT_EQ(IOBMD_ABI_MAJOR, ver.abi_major);
	ASSERT_EQ(IOBMD_ABI_MINOR, ver.abi_minor);
	ASSERT_EQ(1, ver.abi_major);
	ASSERT_EQ(2, ver.abi_minor);
	/* 1.1: dma-buf export and import. */
	ASSERT_EQ(IOBMD_FEATURE_DMABUF, ver.features & IOBMD_FEATURE_DMABUF);
	ASSERT_EQ(IOBMD_FEATURE_BUFFER | IOBMD_FEATURE_PHYS_MASK |
			  IOBMD_FEATURE_MMAP | IOBMD_FEATURE_SEGMENTS,
		  ver.features & (IOBMD_FEATURE_BUFFER |
				  IOBMD_FEATURE_PHYS_MASK |
				  IOBMD_FEATURE_MMAP |
				  IOBMD_FEATURE_SEGMENTS));
	ASSERT_EQ(PAGE_SIZE, ver.page_size);
	ASSERT_EQ(0, ver.__reserved);
	ASSERT_LT(0, ver.max_capacity);
}

/* The descriptor hierarchy and prepare are there. */
TEST_F(iobmd_abi, version_hierarchy_features)
{
	struct iobmd_version ver;

	test_ioctl_get_version(&ver);
	ASSERT_EQ(IOBMD_FEATURE_HIERARCHY | IOBMD_FEATURE_PREPARE,
		  ver.features & (IOBMD_FEATURE_HIERARCHY |
				  IOBMD_FEATURE_PREPARE));
}

/* A longer struct with a zero tail works and the tail stays zero. */
TEST_F(iobmd_abi, version_long_struct)
{
	struct {
		struct iobmd_version ver;
		__u8 tail[64];
	} cmd;
	struct iobmd_version ver;

	test_ioctl_get_version(&ver);
	memset(&cmd, 0, sizeof(cmd));
	cmd.ver.size = sizeof(cmd);
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_GET_VERSION, &cmd));
	ASSERT_EQ(ver.abi_major, cmd.ver.abi_major);
	ASSERT_EQ(ver.abi_minor, cmd.ver.abi_minor);
	ASSERT_EQ(ver.features, cmd.ver.features);
	ASSERT_EQ(ver.page_size, cmd.ver.page_size);
	ASSERT_EQ(ver.max_capacity, cmd.ver.max_capacity);
	ASSERT_EQ(sizeof(cmd.tail), iobmd_check_bytes(cmd.tail,
						      sizeof(cmd.tail), 0));
}

TEST_F(iobmd_abi, unknown_command)
{
	struct iobmd_version ver = { .size = sizeof(ver) };

	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOBMD_TYPE, 0x7f), &ver));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOBMD_TYPE, 0x19), &ver));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOBMD_TYPE, 0xff), &ver));
	/* The right numbers with a wrong type. */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOBMD_TYPE + 1, 0x00), &ver));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOBMD_TYPE - 1, 0x03), &ver));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(0, 0x00), &ver));
}

/*
 * The command table: each entry knows its struct, the end of its last
 * member, its reserved member (if any), its known flags, and how to build
 * a valid argument for a given buffer handle.
 */

#define IOBMD_ABI_TAIL 64

/* A struct followed by room for a tail, 8-byte aligned. */
union iobmd_abi_arg {
	struct iobmd_version version;
	struct iobmd_buf_create create;
	struct iobmd_handle_arg handle;
	struct iobmd_info info;
	struct iobmd_set_arg set;
	struct iobmd_rw rw;
	struct iobmd_segments segments;
	struct iobmd_map map;
	struct iobmd_general_create general;
	struct iobmd_sub_create sub;
	struct iobmd_multi_create multi;
	struct iobmd_interleaved_create interleaved;
	struct iobmd_interleaved_set interleaved_set;
	struct iobmd_device_create device;
	struct iobmd_prepare prepare;
	struct iobmd_perform perform;
	__u8 raw[256 + IOBMD_ABI_TAIL];
};

static __u8 iobmd_abi_data[256];
static struct iobmd_segment iobmd_abi_segs[8];

static int abi_prep_version(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->version.size = sizeof(a->version);
	return 0;
}

static int abi_prep_create(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->create.size = sizeof(a->create);
	a->create.options = IOBMD_DIRECTION_INOUT;
	a->create.capacity = PAGE_SIZE;
	return 0;
}

static int abi_prep_handle(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->handle.size = sizeof(a->handle);
	a->handle.handle = h;
	return 0;
}

static int abi_prep_info(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->info.size = sizeof(a->info);
	a->info.handle = h;
	return 0;
}

static int abi_prep_set_length(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->set.size = sizeof(a->set);
	a->set.handle = h;
	a->set.value = PAGE_SIZE / 2;
	return 0;
}

static int abi_prep_set_direction(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->set.size = sizeof(a->set);
	a->set.handle = h;
	a->set.value = IOBMD_DIRECTION_OUT;
	return 0;
}

static int abi_prep_set_tag(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->set.size = sizeof(a->set);
	a->set.handle = h;
	a->set.value = 0x1234567890abcdefULL;
	return 0;
}

static int abi_prep_append(int fd, __u32 h, union iobmd_abi_arg *a)
{
	/* Leave room so that a successful append moves the length. */
	if (_test_ioctl_set(fd, IOBMD_SET_LENGTH, h, PAGE_SIZE / 2, NULL))
		return -1;
	iobmd_fill_pattern(iobmd_abi_data, sizeof(iobmd_abi_data), 0, 1);
	a->rw.size = sizeof(a->rw);
	a->rw.handle = h;
	a->rw.buf = (uintptr_t)iobmd_abi_data;
	a->rw.len = sizeof(iobmd_abi_data);
	return 0;
}

static int abi_prep_read(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->rw.size = sizeof(a->rw);
	a->rw.handle = h;
	a->rw.offset = 8;
	a->rw.buf = (uintptr_t)iobmd_abi_data;
	a->rw.len = sizeof(iobmd_abi_data);
	return 0;
}

static int abi_prep_write(int fd, __u32 h, union iobmd_abi_arg *a)
{
	iobmd_fill_pattern(iobmd_abi_data, sizeof(iobmd_abi_data), 0, 2);
	return abi_prep_read(fd, h, a);
}

static int abi_prep_segments(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->segments.size = sizeof(a->segments);
	a->segments.handle = h;
	a->segments.count = 8;
	a->segments.segs = (uintptr_t)iobmd_abi_segs;
	return 0;
}

static int abi_prep_map(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->map.size = sizeof(a->map);
	a->map.handle = h;
	return 0;
}

/*
 * Descriptors a row's prep made besides the row's buffer: checked for
 * changes like it, released after the row.
 */
static __u32 iobmd_abi_extra[2];
static unsigned int iobmd_abi_nextra;

static struct iobmd_range iobmd_abi_range;
static __u32 iobmd_abi_handles[2];

static int abi_prep_general(int fd, __u32 h, union iobmd_abi_arg *a)
{
	iobmd_abi_range.address = (uintptr_t)iobmd_abi_data;
	iobmd_abi_range.length = sizeof(iobmd_abi_data);
	a->general.size = sizeof(a->general);
	a->general.options = IOBMD_DIRECTION_INOUT;
	a->general.ranges = (uintptr_t)&iobmd_abi_range;
	a->general.count = 1;
	return 0;
}

static int abi_prep_sub(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->sub.size = sizeof(a->sub);
	a->sub.parent = h;
	a->sub.direction = IOBMD_DIRECTION_INOUT;
	a->sub.offset = 8;
	a->sub.length = 100;
	return 0;
}

static int abi_prep_multi(int fd, __u32 h, union iobmd_abi_arg *a)
{
	iobmd_abi_handles[0] = h;
	iobmd_abi_handles[1] = h;
	a->multi.size = sizeof(a->multi);
	a->multi.direction = IOBMD_DIRECTION_INOUT;
	a->multi.handles = (uintptr_t)iobmd_abi_handles;
	a->multi.count = 2;
	return 0;
}

static int abi_prep_interleaved(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->interleaved.size = sizeof(a->interleaved);
	a->interleaved.direction = IOBMD_DIRECTION_INOUT;
	a->interleaved.capacity = 4;
	return 0;
}

/* An interleaved descriptor (an extra) with @pieces pieces of @h. */
static int abi_make_interleaved(int fd, __u32 h, int pieces, __u32 *il)
{
	if (_test_ioctl_interleaved_create(fd, IOBMD_DIRECTION_INOUT, 4, il))
		return -1;
	iobmd_abi_extra[iobmd_abi_nextra++] = *il;
	while (pieces--)
		if (_test_ioctl_interleaved_set(fd, *il, h, 0, 100))
			return -1;
	return 0;
}

static int abi_prep_interleaved_set(int fd, __u32 h, union iobmd_abi_arg *a)
{
	__u32 il;

	if (abi_make_interleaved(fd, h, 1, &il))
		return -1;
	a->interleaved_set.size = sizeof(a->interleaved_set);
	a->interleaved_set.handle = il;
	a->interleaved_set.piece = h;
	a->interleaved_set.offset = 10;
	a->interleaved_set.length = 20;
	return 0;
}

static int abi_prep_interleaved_clear(int fd, __u32 h,
				      union iobmd_abi_arg *a)
{
	__u32 il;

	if (abi_make_interleaved(fd, h, 2, &il))
		return -1;
	a->set.size = sizeof(a->set);
	a->set.handle = il;
	a->set.value = IOBMD_DIRECTION_OUT;
	return 0;
}

static int abi_prep_device(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->device.size = sizeof(a->device);
	a->device.phys = IOBMD_TEST_NOT_RAM;
	a->device.length = PAGE_SIZE;
	return 0;
}

static int abi_prep_prepare(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->prepare.size = sizeof(a->prepare);
	a->prepare.handle = h;
	a->prepare.direction = IOBMD_DIRECTION_INOUT;
	return 0;
}

static int abi_prep_complete(int fd, __u32 h, union iobmd_abi_arg *a)
{
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, h, 0))
		return -1;
	a->prepare.size = sizeof(a->prepare);
	a->prepare.handle = h;
	a->prepare.direction = IOBMD_COMPLETE_WITH_DATA_VALID;
	return 0;
}

static int abi_prep_perform(int fd, __u32 h, union iobmd_abi_arg *a)
{
	if (_test_ioctl_prepare(fd, IOBMD_PREPARE, h, 0))
		return -1;
	a->perform.size = sizeof(a->perform);
	a->perform.handle = h;
	a->perform.op = IOBMD_OP_FLUSH;
	a->perform.offset = 1;
	a->perform.len = PAGE_SIZE - 2;
	return 0;
}

static int abi_prep_purgeable(int fd, __u32 h, union iobmd_abi_arg *a)
{
	a->set.size = sizeof(a->set);
	a->set.handle = h;
	a->set.value = IOBMD_PURGEABLE_VOLATILE;
	return 0;
}

struct iobmd_abi_cmd {
	const char *name;
	unsigned long num;
	size_t size;
	size_t min_size;
	size_t reserved_offset;
	size_t reserved_size;	/* 0: the struct has no reserved member */
	__u32 known_flags;
	int (*prep)(int fd, __u32 handle, union iobmd_abi_arg *arg);
	size_t out_handle;	/* offset of a new handle, 0 for none */
	__u32 buf_options;	/* more options for the row's buffer */
};

#define ABI_CMD(_num, _struct, _last, _flags, _prep)                          \
	{ .name = #_num, .num = _num, .size = sizeof(struct _struct),         \
	  .min_size = offsetofend(struct _struct, _last),                     \
	  .reserved_offset = offsetof(struct _struct, __reserved),            \
	  .reserved_size = sizeof_field(struct _struct, __reserved),          \
	  .known_flags = _flags, .prep = _prep }

#define ABI_CMD_NO_RESERVED(_num, _struct, _last, _flags, _prep)              \
	{ .name = #_num, .num = _num, .size = sizeof(struct _struct),         \
	  .min_size = offsetofend(struct _struct, _last),                     \
	  .known_flags = _flags, .prep = _prep }

/* A command that creates a descriptor, its handle in @_out. */
#define ABI_CMD_CREATE(_num, _struct, _last, _flags, _prep, _out)             \
	{ .name = #_num, .num = _num, .size = sizeof(struct _struct),         \
	  .min_size = offsetofend(struct _struct, _last),                     \
	  .reserved_offset = offsetof(struct _struct, __reserved),            \
	  .reserved_size = sizeof_field(struct _struct, __reserved),          \
	  .known_flags = _flags, .prep = _prep,                               \
	  .out_handle = offsetof(struct _struct, _out) }

static const struct iobmd_abi_cmd iobmd_abi_cmds[] = {
	ABI_CMD(IOBMD_GET_VERSION, iobmd_version, max_capacity, 0,
		abi_prep_version),
	ABI_CMD_NO_RESERVED(IOBMD_BUF_CREATE, iobmd_buf_create, bytes_len,
			    IOBMD_BUF_CREATE_PHYS_MASK |
				    IOBMD_BUF_CREATE_WITH_BYTES |
				    IOBMD_BUF_CREATE_DMABUF,
			    abi_prep_create),
	ABI_CMD(IOBMD_RELEASE, iobmd_handle_arg, __reserved, 0,
		abi_prep_handle),
	ABI_CMD(IOBMD_GET_INFO, iobmd_info, __reserved, 0, abi_prep_info),
	ABI_CMD(IOBMD_SET_LENGTH, iobmd_set_arg, value, 0,
		abi_prep_set_length),
	ABI_CMD(IOBMD_SET_DIRECTION, iobmd_set_arg, value, 0,
		abi_prep_set_direction),
	ABI_CMD(IOBMD_SET_TAG, iobmd_set_arg, value, 0, abi_prep_set_tag),
	ABI_CMD(IOBMD_APPEND, iobmd_rw, done, 0, abi_prep_append),
	ABI_CMD(IOBMD_READ, iobmd_rw, done, 0, abi_prep_read),
	ABI_CMD(IOBMD_WRITE, iobmd_rw, done, 0, abi_prep_write),
	ABI_CMD_NO_RESERVED(IOBMD_GET_SEGMENTS, iobmd_segments, total,
			    IOBMD_SEGMENTS_DMA, abi_prep_segments),
	ABI_CMD(IOBMD_MAP, iobmd_map, extent,
		IOBMD_MAP_READONLY | IOBMD_MAP_CACHE_MASK, abi_prep_map),
	ABI_CMD_CREATE(IOBMD_GENERAL_CREATE, iobmd_general_create, __reserved,
		       IOBMD_GENERAL_PHYSICAL, abi_prep_general, handle),
	ABI_CMD_CREATE(IOBMD_SUB_CREATE, iobmd_sub_create, length, 0,
		       abi_prep_sub, handle),
	ABI_CMD_CREATE(IOBMD_MULTI_CREATE, iobmd_multi_create, __reserved, 0,
		       abi_prep_multi, handle),
	ABI_CMD_CREATE(IOBMD_INTERLEAVED_CREATE, iobmd_interleaved_create,
		       __reserved, 0, abi_prep_interleaved, handle),
	ABI_CMD_NO_RESERVED(IOBMD_INTERLEAVED_SET, iobmd_interleaved_set,
			    length, 0, abi_prep_interleaved_set),
	ABI_CMD(IOBMD_INTERLEAVED_CLEAR, iobmd_set_arg, value, 0,
		abi_prep_interleaved_clear),
	ABI_CMD_CREATE(IOBMD_DEVICE_CREATE, iobmd_device_create, length, 0,
		       abi_prep_device, handle),
	ABI_CMD_NO_RESERVED(IOBMD_PREPARE, iobmd_prepare, direction, 0,
			    abi_prep_prepare),
	ABI_CMD_NO_RESERVED(IOBMD_COMPLETE, iobmd_prepare, direction, 0,
			    abi_prep_complete),
	ABI_CMD_NO_RESERVED(IOBMD_PERFORM, iobmd_perform, len, 0,
			    abi_prep_perform),
	{ .name = "IOBMD_SET_PURGEABLE", .num = IOBMD_SET_PURGEABLE,
	  .size = sizeof(struct iobmd_set_arg),
	  .min_size = offsetofend(struct iobmd_set_arg, value),
	  .reserved_offset = offsetof(struct iobmd_set_arg, __reserved),
	  .reserved_size = sizeof_field(struct iobmd_set_arg, __reserved),
	  .prep = abi_prep_purgeable, .buf_options = IOBMD_OPT_PURGEABLE },
};

#define IOBMD_ABI_NR_CMDS ARRAY_SIZE(iobmd_abi_cmds)

/* What a command must leave alone when it fails. */
struct iobmd_abi_state {
	struct iobmd_info info;
	__u8 data[4096];
	__u64 data_len;
	long long prepares;	/* descriptors prepared, module-wide */
	__u64 purgeable;	/* state, or 0 when not purgeable */
};

static void abi_snapshot(struct __test_metadata *_metadata, int fd, __u32 h,
			 struct iobmd_abi_state *st)
{
	memset(st, 0, sizeof(*st));
	ASSERT_EQ(0, _test_ioctl_get_info(fd, h, &st->info));
	st->data_len = st->info.length;
	if (st->data_len > sizeof(st->data))
		st->data_len = sizeof(st->data);
	if (st->data_len) {
		ASSERT_EQ(0, _test_ioctl_rw(fd, IOBMD_READ, h, 0, st->data,
					    st->data_len, NULL));
	}
	/*
	 * A prepare from userspace maps nothing (no DMA segments to look
	 * for): the module's count of prepared descriptors tells instead.
	 */
	st->prepares = iobmd_stat("prepares");
	ASSERT_LE(0, st->prepares);
	if (_test_ioctl_set(fd, IOBMD_SET_PURGEABLE, h,
			    IOBMD_PURGEABLE_KEEP_CURRENT, &st->purgeable))
		st->purgeable = 0;
}

static void abi_check_unchanged(struct __test_metadata *_metadata, int fd,
				__u32 h, const struct iobmd_abi_state *before,
				const char *what)
{
	struct iobmd_abi_state *after = malloc(sizeof(*after));

	ASSERT_NE(NULL, after);
	abi_snapshot(_metadata, fd, h, after);
	ASSERT_EQ(before->info.length, after->info.length) TH_LOG("%s", what);
	ASSERT_EQ(before->info.capacity, after->info.capacity)
		TH_LOG("%s", what);
	ASSERT_EQ(before->info.direction, after->info.direction)
		TH_LOG("%s", what);
	ASSERT_EQ(before->info.options, after->info.options) TH_LOG("%s", what);
	ASSERT_EQ(before->info.tag, after->info.tag) TH_LOG("%s", what);
	ASSERT_EQ(0, memcmp(before->data, after->data, before->data_len))
		TH_LOG("%s: contents changed", what);
	ASSERT_EQ(before->prepares, after->prepares)
		TH_LOG("%s: prepared or completed", what);
	ASSERT_EQ(before->purgeable, after->purgeable)
		TH_LOG("%s: purgeable state changed", what);
	free(after);
}

/*
 * Issues @c once with the argument at @arg (built for buffer @h) and checks
 * the result: 0 for @expect == 0, else -1 with errno @expect, and then that
 * nothing changed.  Successful calls are cleaned up after.
 */
static void abi_issue(struct __test_metadata *_metadata, int fd,
		      const struct iobmd_abi_cmd *c, __u32 h, void *arg,
		      int expect, const char *row)
{
	struct iobmd_abi_state *before = malloc(sizeof(*before));
	struct iobmd_abi_state *extra = calloc(2, sizeof(*extra));
	union iobmd_abi_arg *a = arg;
	long long descs = iobmd_stat("descriptors");
	unsigned int x;
	int rc, err;

	ASSERT_NE(NULL, before);
	ASSERT_NE(NULL, extra);
	abi_snapshot(_metadata, fd, h, before);
	for (x = 0; x != iobmd_abi_nextra; x++)
		abi_snapshot(_metadata, fd, iobmd_abi_extra[x], &extra[x]);
	errno = 0;
	rc = ioctl(fd, c->num, arg);
	err = errno;
	if (expect) {
		ASSERT_EQ(-1, rc) TH_LOG("%s, %s: succeeded", c->name, row);
		ASSERT_EQ(expect, err) TH_LOG("%s, %s", c->name, row);
		abi_check_unchanged(_metadata, fd, h, before, row);
		for (x = 0; x != iobmd_abi_nextra; x++)
			abi_check_unchanged(_metadata, fd, iobmd_abi_extra[x],
					    &extra[x], row);
		/* Nothing was created either. */
		ASSERT_EQ(descs, iobmd_stat("descriptors"))
			TH_LOG("%s, %s", c->name, row);
	} else {
		ASSERT_EQ(0, rc)
			TH_LOG("%s, %s: errno %d", c->name, row, err);
		if (c->num == IOBMD_BUF_CREATE) {
			ASSERT_NE(0, a->create.handle);
			ASSERT_EQ(0, _test_ioctl_release(fd, a->create.handle));
		}
		if (c->num == IOBMD_RELEASE) {
			struct iobmd_info info;

			EXPECT_ERRNO(ENOENT,
				     _test_ioctl_get_info(fd, h, &info));
		}
		if (c->num == IOBMD_GET_VERSION) {
			ASSERT_EQ(IOBMD_ABI_MAJOR, a->version.abi_major);
		}
		if (c->out_handle) {
			__u32 nh;

			memcpy(&nh, a->raw + c->out_handle, sizeof(nh));
			ASSERT_NE(0, nh) TH_LOG("%s", c->name);
			ASSERT_EQ(0, _test_ioctl_release(fd, nh));
		}
		if (c->num == IOBMD_SET_PURGEABLE) {
			ASSERT_EQ(IOBMD_PURGEABLE_NON_VOLATILE, a->set.value);
		}
		if (c->num == IOBMD_INTERLEAVED_CLEAR) {
			struct iobmd_info info;

			ASSERT_EQ(0, _test_ioctl_get_info(fd, iobmd_abi_extra[0],
							  &info));
			ASSERT_EQ(0, info.length);
			ASSERT_EQ(IOBMD_DIRECTION_OUT, info.direction);
		}
	}
	free(extra);
	free(before);
}

/* A fresh one-page buffer and a valid argument for @c on it. */
static __u32 abi_prepare(struct __test_metadata *_metadata, int fd,
			 const struct iobmd_abi_cmd *c, union iobmd_abi_arg *a)
{
	__u32 h = 0;

	ASSERT_EQ(0, _test_ioctl_buf_create(fd, 0, IOBMD_DIRECTION_INOUT |
					    c->buf_options, PAGE_SIZE, 0, 0,
					    NULL, 0, &h));
	ASSERT_NE(0, h);
	iobmd_abi_nextra = 0;
	memset(a, 0, sizeof(*a));
	ASSERT_EQ(0, c->prep(fd, h, a)) TH_LOG("%s: prep", c->name);
	return h;
}

static void abi_finish(struct __test_metadata *_metadata, int fd,
		       const struct iobmd_abi_cmd *c, __u32 h)
{
	struct iobmd_info info;

	unsigned int x;

	for (x = 0; x != iobmd_abi_nextra; x++)
		ASSERT_EQ(0, _test_ioctl_release(fd, iobmd_abi_extra[x]));
	iobmd_abi_nextra = 0;
	if (_test_ioctl_get_info(fd, h, &info) == 0) {
		ASSERT_EQ(0, _test_ioctl_release(fd, h));
	}
	/* Every row leaves the file, and the module, as it found them. */
	ASSERT_EQ(0, iobmd_stat("pinned_bytes"));
	ASSERT_STREQ("", iobmd_stats_changed(&iobmd_abi_found))
		TH_LOG("%s", c->name);
}

/* Whether @num writes an answer into its struct. */
static bool abi_answers(unsigned long num)
{
	switch (num) {
	case IOBMD_RELEASE:
	case IOBMD_INTERLEAVED_SET:
	case IOBMD_INTERLEAVED_CLEAR:
	case IOBMD_PREPARE:
	case IOBMD_COMPLETE:
	case IOBMD_PERFORM:
		return false;
	default:
		return true;
	}
}

/*
 * For every command: the exact struct, a short struct, a long struct with
 * a non-zero tail, a long struct with a zero tail, every unknown flag bit,
 * a non-zero reserved field and bad pointers each get their exact errno.
 * A valid struct in read-only memory works for a command that does not
 * answer, and is EFAULT, with nothing changed, for one that does.
 */
TEST_F_TIMEOUT(iobmd_abi, cmd_rules, 120)
{
	const size_t short_sizes[] = { 0, 1, 4, 8 };
	union iobmd_abi_arg *a;
	__u8 *page;
	size_t i, j;
	__u32 h;

	a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, a);
	/* Two pages, the second unmapped: for straddling and unmapped args. */
	page = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page + PAGE_SIZE, PAGE_SIZE));

	for (i = 0; i != IOBMD_ABI_NR_CMDS; i++) {
		const struct iobmd_abi_cmd *c = &iobmd_abi_cmds[i];
		char row[96];

		ASSERT_LE(c->min_size, c->size) TH_LOG("%s", c->name);

		/* The exact struct works. */
		h = abi_prepare(_metadata, self->fd, c, a);
		abi_issue(_metadata, self->fd, c, h, a, 0, "exact size");
		abi_finish(_metadata, self->fd, c, h);

		/* A struct that grew (ABI 1.1) works at its first size too. */
		if (c->size > c->min_size) {
			h = abi_prepare(_metadata, self->fd, c, a);
			a->version.size = c->min_size;
			abi_issue(_metadata, self->fd, c, h, a, 0,
				  "first version's size");
			abi_finish(_metadata, self->fd, c, h);
		}

		/* Short structs. */
		for (j = 0; j != ARRAY_SIZE(short_sizes); j++) {
			h = abi_prepare(_metadata, self->fd, c, a);
			a->version.size = short_sizes[j];
			snprintf(row, sizeof(row), "size %zu", short_sizes[j]);
			abi_issue(_metadata, self->fd, c, h, a, EINVAL, row);
			abi_finish(_metadata, self->fd, c, h);
		}
		h = abi_prepare(_metadata, self->fd, c, a);
		a->version.size = c->min_size - 1;
		abi_issue(_metadata, self->fd, c, h, a, EINVAL,
			  "one byte short");
		abi_finish(_metadata, self->fd, c, h);

		/* One byte long, non-zero. */
		h = abi_prepare(_metadata, self->fd, c, a);
		a->version.size = c->size + 1;
		a->raw[c->size] = 0xff;
		abi_issue(_metadata, self->fd, c, h, a, E2BIG,
			  "one byte long, non-zero");
		abi_finish(_metadata, self->fd, c, h);

		/* Longer, non-zero at the very end only. */
		h = abi_prepare(_metadata, self->fd, c, a);
		a->version.size = c->size + IOBMD_ABI_TAIL;
		a->raw[c->size + IOBMD_ABI_TAIL - 1] = 0x01;
		abi_issue(_metadata, self->fd, c, h, a, E2BIG,
			  "long, last tail byte non-zero");
		abi_finish(_metadata, self->fd, c, h);

		/* Longer with a zero tail works; the tail stays zero. */
		h = abi_prepare(_metadata, self->fd, c, a);
		a->version.size = c->size + IOBMD_ABI_TAIL;
		abi_issue(_metadata, self->fd, c, h, a, 0, "long, zero tail");
		ASSERT_EQ(IOBMD_ABI_TAIL,
			  iobmd_check_bytes(&a->raw[c->size], IOBMD_ABI_TAIL,
					    0))
			TH_LOG("%s: the kernel wrote past its struct", c->name);
		abi_finish(_metadata, self->fd, c, h);

		/* Every unknown flag bit on its own. */
		for (j = 0; j != 32; j++) {
			__u32 bit = 1U << j;

			if (c->known_flags & bit)
				continue;
			h = abi_prepare(_metadata, self->fd, c, a);
			a->version.flags = bit;
			snprintf(row, sizeof(row), "flags 0x%x", bit);
			abi_issue(_metadata, self->fd, c, h, a, EINVAL, row);
			abi_finish(_metadata, self->fd, c, h);
		}

		/* Non-zero reserved member: lowest and highest byte. */
		if (c->reserved_size) {
			h = abi_prepare(_metadata, self->fd, c, a);
			a->raw[c->reserved_offset] = 0x01;
			abi_issue(_metadata, self->fd, c, h, a, EINVAL,
				  "reserved, low byte");
			abi_finish(_metadata, self->fd, c, h);

			h = abi_prepare(_metadata, self->fd, c, a);
			j = c->reserved_offset + c->reserved_size - 1;
			a->raw[j] = 0x80;
			abi_issue(_metadata, self->fd, c, h, a, EINVAL,
				  "reserved, high byte");
			abi_finish(_metadata, self->fd, c, h);
		}

		/* Bad pointers. */
		h = abi_prepare(_metadata, self->fd, c, a);
		abi_issue(_metadata, self->fd, c, h, NULL, EFAULT, "NULL");
		abi_issue(_metadata, self->fd, c, h, (void *)8, EFAULT,
			  "pointer 8");
		abi_issue(_metadata, self->fd, c, h, page + PAGE_SIZE, EFAULT,
			  "unmapped page");
		/* size and flags readable, the rest in the unmapped page. */
		memcpy(page + PAGE_SIZE - 8, a, 8);
		abi_issue(_metadata, self->fd, c, h, page + PAGE_SIZE - 8,
			  EFAULT, "struct straddling into an unmapped page");
		abi_finish(_metadata, self->fd, c, h);

		/* A valid struct the kernel cannot write. */
		h = abi_prepare(_metadata, self->fd, c, a);
		memcpy(page, a, c->size);
		ASSERT_EQ(0, mprotect(page, PAGE_SIZE, PROT_READ));
		abi_issue(_metadata, self->fd, c, h, page,
			  abi_answers(c->num) ? EFAULT : 0,
			  "read-only struct");
		ASSERT_EQ(0, mprotect(page, PAGE_SIZE,
				      PROT_READ | PROT_WRITE));
		abi_finish(_metadata, self->fd, c, h);
	}

	munmap(page, PAGE_SIZE);
	munmap(a, sizeof(*a));
}

/*
 * A failing command changes nothing even when the struct is longer than
 * the kernel knows and otherwise valid.
 */
TEST_F(iobmd_abi, long_struct_unknown_handle)
{
	struct {
		struct iobmd_handle_arg cmd;
		__u64 future;
	} cmd = { .cmd = { .size = sizeof(cmd), .handle = 0 } };

	/* Unknown handle with a longer, zero-tailed struct. */
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOBMD_RELEASE, &cmd));
	/* Non-zero future member beats the unknown handle. */
	cmd.future = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, IOBMD_RELEASE, &cmd));
	/* The exact size ignores what follows. */
	cmd.cmd.size = sizeof(cmd.cmd);
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, IOBMD_RELEASE, &cmd));
	/* Short fails before the handle is looked at. */
	cmd.cmd.size = sizeof(cmd.cmd) - 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, IOBMD_RELEASE, &cmd));
}

/*
 * ABI 1.2: IOBMD_MAP answers the descriptor's length beside the mapping's
 * extent, so one command tells IOKit's map() how much to map; a struct of
 * the 1.1 size (ending at @extent) gets nothing written past it.
 */
TEST_F(iobmd_abi, map_answers_length)
{
	struct iobmd_set_arg set = {
		.size = sizeof(set), .value = PAGE_SIZE + 5,
	};
	struct iobmd_map m;
	__u32 h;

	ASSERT_EQ(0, _test_ioctl_buf_create(self->fd, 0, IOBMD_DIRECTION_INOUT,
					    4 * PAGE_SIZE, 0, 0, NULL, 0, &h));
	set.handle = h;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_SET_LENGTH, &set));

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.handle = h;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_MAP, &m));
	ASSERT_EQ(4 * PAGE_SIZE, m.extent);
	ASSERT_EQ(PAGE_SIZE + 5, m.length);

	memset(&m, 0, sizeof(m));
	m.size = offsetofend(struct iobmd_map, extent);
	m.handle = h;
	m.length = 0x5a5a5a5a;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_MAP, &m));
	ASSERT_EQ(4 * PAGE_SIZE, m.extent);
	ASSERT_EQ(0x5a5a5a5a, m.length);
	ASSERT_EQ(0, _test_ioctl_release(self->fd, h));
}

/* Output members the caller filled in are ignored on input. */
TEST_F(iobmd_abi, output_members_ignored_on_input)
{
	struct iobmd_version ver;
	struct iobmd_buf_create create = {
		.size = sizeof(create),
		.capacity = PAGE_SIZE,
		.handle = 0xdeadbeef,
	};
	struct iobmd_info info;

	memset(&ver, 0xa5, sizeof(ver));
	ver.size = sizeof(ver);
	ver.flags = 0;
	ver.__reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_GET_VERSION, &ver));
	ASSERT_EQ(IOBMD_ABI_MAJOR, ver.abi_major);
	ASSERT_EQ(PAGE_SIZE, ver.page_size);

	ASSERT_EQ(0, ioctl(self->fd, IOBMD_BUF_CREATE, &create));
	ASSERT_NE(0, create.handle);
	ASSERT_NE(0xdeadbeef, create.handle);

	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	info.handle = create.handle;
	info.__reserved = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOBMD_GET_INFO, &info));
	ASSERT_EQ(IOBMD_KIND_BUFFER, info.kind);
	ASSERT_EQ(PAGE_SIZE, info.length);
	ASSERT_EQ(PAGE_SIZE, info.capacity);
	ASSERT_EQ(0, info.tag);
	test_ioctl_release(create.handle);
}

TEST_HARNESS_MAIN

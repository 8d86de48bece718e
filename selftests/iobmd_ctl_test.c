// SPDX-License-Identifier: GPL-2.0
/*
 * iobmdctl, the control plane's command-line tool, run as a user would:
 * stats, list, limits and monitor, as tables and as JSON (parsed back with
 * a small strict parser and checked against what the test created, the
 * module's parameters in sysfs and its debugfs counters), as an
 * unprivileged user, with bad usage, and where the generic netlink family
 * does not resolve (a new network namespace: the module serves only the
 * initial one).
 *
 * iobmdctl is taken from $IOBMDCTL, else /bin/iobmdctl (where the test VM
 * installs it), else beside this program.  Runs as root.
 */
#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include "iobmd_utils.h"

/* --- a strict JSON parser, enough for iobmdctl's output ---------------- */

enum json_type { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum json_type type;
	char *key;		/* member name, inside an object */
	char *str;		/* J_STR */
	bool b;			/* J_BOOL */
	bool is_uint;		/* J_NUM without sign, fraction or exponent */
	unsigned long long u;	/* its value */
	struct jnode *child;	/* J_ARR, J_OBJ: first element or member */
	struct jnode *next;
};

struct jparser {
	const char *p;
	int depth;
};

static void json_free(struct jnode *n)
{
	while (n) {
		struct jnode *next = n->next;

		json_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

static void jskip(struct jparser *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

/* A string at j->p (which is '"'); NULL when malformed. */
static char *jstring(struct jparser *j)
{
	const char *p = j->p + 1;
	char *out = malloc(strlen(p) + 1), *o = out;
	int i;

	if (!out)
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			goto bad;	/* also the end of the text */
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			*o++ = *p;
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					goto bad;
			*o++ = '?';
			p += 4;
			break;
		default:
			goto bad;
		}
		p++;
	}
	*o = 0;
	j->p = p + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static bool jdigits(struct jparser *j)
{
	const char *start = j->p;

	while (isdigit((unsigned char)*j->p))
		j->p++;
	return j->p != start;
}

static struct jnode *jvalue(struct jparser *j);

/* The members or elements of an object or array, after its opening. */
static bool jcontainer(struct jparser *j, struct jnode *n, char close)
{
	struct jnode **tail = &n->child;

	jskip(j);
	if (*j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		char *key = NULL;
		struct jnode *c;

		jskip(j);
		if (close == '}') {
			if (*j->p != '"' || !(key = jstring(j)))
				return false;
			jskip(j);
			if (*j->p++ != ':') {
				free(key);
				return false;
			}
		}
		c = jvalue(j);
		if (!c) {
			free(key);
			return false;
		}
		c->key = key;
		*tail = c;
		tail = &c->next;
		jskip(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ == close)
			return true;
		return false;
	}
}

static struct jnode *jvalue(struct jparser *j)
{
	struct jnode *n = calloc(1, sizeof(*n));
	const char *start;
	bool ok = true;

	if (!n || ++j->depth > 32)
		goto bad;
	jskip(j);
	start = j->p;
	switch (*j->p) {
	case '{':
	case '[':
		n->type = *j->p == '{' ? J_OBJ : J_ARR;
		j->p++;
		ok = jcontainer(j, n, n->type == J_OBJ ? '}' : ']');
		break;
	case '"':
		n->type = J_STR;
		n->str = jstring(j);
		ok = n->str;
		break;
	case 't':
	case 'f':
	case 'n':
		n->type = *j->p == 'n' ? J_NULL : J_BOOL;
		n->b = *j->p == 't';
		ok = !strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4) ||
		     !strncmp(j->p, "false", 5);
		j->p += *j->p == 'f' ? 5 : 4;
		break;
	default:
		/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
		n->type = J_NUM;
		n->is_uint = true;
		if (*j->p == '-') {
			n->is_uint = false;
			j->p++;
		}
		if (*j->p == '0')
			j->p++;
		else if (!isdigit((unsigned char)*j->p) || !jdigits(j))
			goto bad;
		if (*j->p == '.') {
			n->is_uint = false;
			j->p++;
			if (!jdigits(j))
				goto bad;
		}
		if (*j->p == 'e' || *j->p == 'E') {
			n->is_uint = false;
			j->p++;
			if (*j->p == '+' || *j->p == '-')
				j->p++;
			if (!jdigits(j))
				goto bad;
		}
		if (n->is_uint) {
			errno = 0;
			n->u = strtoull(start, NULL, 10);
			ok = !errno;
		}
	}
	if (!ok)
		goto bad;
	j->depth--;
	return n;
bad:
	json_free(n);
	return NULL;
}

/* The value @text holds, all of it; NULL when it is not valid JSON. */
static struct jnode *json_parse(const char *text)
{
	struct jparser j = { .p = text };
	struct jnode *n = jvalue(&j);

	if (n) {
		jskip(&j);
		if (*j.p) {
			json_free(n);
			n = NULL;
		}
	}
	return n;
}

static struct jnode *jget(const struct jnode *obj, const char *key)
{
	struct jnode *c;

	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (c = obj->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

static int jcount(const struct jnode *n)
{
	struct jnode *c;
	int i = 0;

	for (c = n ? n->child : NULL; c; c = c->next)
		i++;
	return i;
}

/* Member @key as an unsigned integer, or ~0 when absent or not one. */
static unsigned long long jnum(const struct jnode *obj, const char *key)
{
	struct jnode *v = jget(obj, key);

	return v && v->type == J_NUM && v->is_uint ? v->u : ~0ULL;
}

/* Member @key as a string, or "" when absent or not one. */
static const char *jstr(const struct jnode *obj, const char *key)
{
	struct jnode *v = jget(obj, key);

	return v && v->type == J_STR ? v->str : "";
}

/* --- running iobmdctl ------------------------------------------------- */

enum ctl_as {
	CTL_ROOT,	/* as this test */
	CTL_NOBODY,	/* uid and gid 65534, no capabilities */
	CTL_NETNS,	/* in a new network namespace */
};

struct ctl_run {
	pid_t pid;
	int out_fd, err_fd;
	int status;		/* exit status, 128 + signal, or -1 */
	char out[65536];
	char err[4096];
	size_t nout, nerr;
};

static char ctl_path[PATH_MAX];

/* Finds iobmdctl; false when there is none. */
static bool ctl_find(void)
{
	char self[PATH_MAX];
	const char *env = getenv("IOBMDCTL");
	ssize_t n;

	if (env && !access(env, X_OK)) {
		snprintf(ctl_path, sizeof(ctl_path), "%s", env);
		return true;
	}
	if (!access("/bin/iobmdctl", X_OK)) {
		snprintf(ctl_path, sizeof(ctl_path), "/bin/iobmdctl");
		return true;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = 0;
	snprintf(ctl_path, sizeof(ctl_path), "%s/iobmdctl", dirname(self));
	return !access(ctl_path, X_OK);
}

/* Starts iobmdctl with @argv (argv[0] included) as @as. */
static int ctl_start(struct ctl_run *r, enum ctl_as as, char *const argv[])
{
	int out[2], err[2];

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(out) || pipe(err))
		return -1;
	fflush(stdout);
	fflush(stderr);
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		if (as == CTL_NOBODY && iobmd_drop_root())
			_exit(126);
		if (as == CTL_NETNS && unshare(CLONE_NEWNET))
			_exit(126);
		execv(ctl_path, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	r->out_fd = out[0];
	r->err_fd = err[0];
	return 0;
}

/*
 * Reads what iobmdctl writes until @until appears on its stdout (NULL:
 * until it exits) or @timeout_ms pass; true when that happened.  Reaps it
 * when it has exited.
 */
static bool ctl_read(struct ctl_run *r, const char *until, int timeout_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = r->out_fd, .events = POLLIN },
			{ .fd = r->err_fd, .events = POLLIN },
		};
		int left, i, st;

		if (until && strstr(r->out, until))
			return true;
		if (r->out_fd < 0 && r->err_fd < 0) {
			if (waitpid(r->pid, &st, 0) == r->pid)
				r->status = WIFEXITED(st) ? WEXITSTATUS(st) :
							    128 + WTERMSIG(st);
			return !until;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(pfd, 2, left) < 0)
			return false;
		for (i = 0; i < 2; i++) {
			int *fd = i ? &r->err_fd : &r->out_fd;
			char *buf = i ? r->err : r->out;
			size_t *len = i ? &r->nerr : &r->nout;
			size_t room = (i ? sizeof(r->err) : sizeof(r->out)) - 1;
			ssize_t n;

			if (*fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(*fd, buf + *len, room - *len);
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			*len += n;
			buf[*len] = 0;
		}
	}
}

/* Kills a run that did not end by itself. */
static void ctl_abort(struct ctl_run *r)
{
	if (r->status >= 0)
		return;
	kill(r->pid, SIGKILL);
	ctl_read(r, NULL, 5000);
}

/* Runs iobmdctl to its end (60 s at most); its exit status. */
#define ctl(r, as, ...)                                                        \
	({                                                                     \
		char *const __argv[] = { "iobmdctl", __VA_ARGS__, NULL };      \
		ASSERT_EQ(0, ctl_start(r, as, __argv));                        \
		if (!ctl_read(r, NULL, 60000))                                 \
			ctl_abort(r);                                          \
		(r)->status;                                                   \
	})

/* Runs iobmdctl, expects exit 0 and valid JSON; the parsed value. */
#define ctl_json(r, as, ...)                                                   \
	({                                                                     \
		struct jnode *__j;                                             \
		ASSERT_EQ(0, ctl(r, as, "--json", __VA_ARGS__))                \
			TH_LOG("stderr: %s", (r)->err);                        \
		__j = json_parse((r)->out);                                    \
		ASSERT_NE(NULL, __j) TH_LOG("not JSON: '%s'", (r)->out);       \
		__j;                                                           \
	})

/* --- the table forms -------------------------------------------------- */

/* The number after @name at the start of a line of @text, or ~0. */
static unsigned long long table_value(const char *text, const char *name)
{
	const char *line = text;
	size_t len = strlen(name);

	while (line && *line) {
		if (!strncmp(line, name, len) && line[len] == ' ')
			return strtoull(line + len, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return ~0ULL;
}

/* Splits @line into at most @max words (in place); their number. */
static int words(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " \t", &save); tok && n < max;
	     tok = strtok_r(NULL, " \t", &save))
		w[n++] = tok;
	return n;
}

/* --- the fixture ------------------------------------------------------ */

static const char *const stat_names[] = {
	"buffers", "generals", "subs", "multis", "interleaveds", "devices",
	"bytes_zone_dma", "bytes_zone_dma32", "bytes_zone_normal",
	"bytes_coherent", "bytes_pinned", "bytes_device", "mappings",
	"prepares", "alloc_failures", "dmabufs", "exports", "user_descs",
	"user_bytes", "user_zone_dma",
};

/* Limits as iobmdctl names them, and the module parameters behind them. */
static const char *const limit_names[][2] = {
	{ "task_bytes", "task_bytes" },
	{ "task_descs", "max_handles" },
	{ "total_bytes", "total_bytes" },
	{ "total_descs", "total_descs" },
	{ "max_capacity", "max_capacity" },
	{ "user_bytes", "user_bytes" },
	{ "user_descs", "user_descs" },
	{ "user_zone_dma", "user_zone_dma" },
};

static unsigned long long param(const char *name)
{
	char path[128], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/iobmd/parameters/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return ~0ULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return ~0ULL;
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

static int set_param(const char *name, unsigned long long v)
{
	char path[128], buf[32];
	int fd, len, ret;

	snprintf(path, sizeof(path), "/sys/module/iobmd/parameters/%s", name);
	len = snprintf(buf, sizeof(buf), "%llu", v);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

FIXTURE(iobmd_ctl)
{
	int fd;
	unsigned long long limits[ARRAY_SIZE(limit_names)];	/* restored through sysfs */
};

FIXTURE_SETUP(iobmd_ctl)
{
	unsigned int i;

	iobmd_fixture_open(self->fd);
	if (!ctl_find())
		SKIP(return, "no iobmdctl ($IOBMDCTL, /bin or beside this test)");
	for (i = 0; i < ARRAY_SIZE(limit_names); i++)
		self->limits[i] = param(limit_names[i][1]);
}

FIXTURE_TEARDOWN(iobmd_ctl)
{
	unsigned int i;

	if (self->fd == -1)
		return;
	for (i = 0; i < ARRAY_SIZE(limit_names); i++)
		if (param(limit_names[i][1]) != self->limits[i])
			EXPECT_EQ(0, set_param(limit_names[i][1],
					       self->limits[i]));
	close(self->fd);
}

/*
 * stats: every counter, as JSON and as a table with the same names; they
 * move with two buffers the test makes (a 32-bit-masked one, pages in
 * ZONE_DMA32, or ZONE_DMA where that is empty, and a contiguous one).
 */
TEST_F(iobmd_ctl, stats)
{
	static struct ctl_run r;
	struct jnode *before, *after;
	__u32 masked, contig;
	const char *low = iobmd_zone_dma32_present() ? "bytes_zone_dma32" :
						       "bytes_zone_dma";
	unsigned int i;

	before = ctl_json(&r, CTL_ROOT, "stats");
	ASSERT_EQ(J_OBJ, before->type);
	EXPECT_EQ(ARRAY_SIZE(stat_names), jcount(before));
	for (i = 0; i < ARRAY_SIZE(stat_names); i++) {
		const char *name = stat_names[i];

		EXPECT_NE(~0ULL, jnum(before, name)) TH_LOG("%s", name);
	}
	EXPECT_STREQ("", r.err);

	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, SZ_1M,
				   0x00000000FFFFF000ULL, &masked);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, SZ_64K, 0,
			      &contig);
	after = ctl_json(&r, CTL_ROOT, "stats");
	for (i = 0; i < ARRAY_SIZE(stat_names); i++) {
		unsigned long long d = 0;

		if (!strcmp(stat_names[i], "buffers") ||
		    !strcmp(stat_names[i], "user_descs"))
			d = 2;
		else if (!strcmp(stat_names[i], "user_bytes"))
			d = SZ_1M + SZ_64K;
		else if (!strcmp(stat_names[i], low))
			d = SZ_1M;
		else if (!strcmp(stat_names[i], "bytes_coherent"))
			d = SZ_64K;
		EXPECT_EQ(jnum(before, stat_names[i]) + d,
			  jnum(after, stat_names[i]))
			TH_LOG("%s", stat_names[i]);
	}
	/* The same numbers in the table, nothing having changed. */
	ASSERT_EQ(0, ctl(&r, CTL_ROOT, "stats"));
	for (i = 0; i < ARRAY_SIZE(stat_names); i++) {
		const char *name = stat_names[i];

		EXPECT_EQ(jnum(after, name), table_value(r.out, name))
			TH_LOG("%s in:\n%s", name, r.out);
	}
	/* The debugfs counters agree. */
	EXPECT_EQ(iobmd_stat("coherent_bytes"), jnum(after, "bytes_coherent"));
	EXPECT_EQ(iobmd_stat("mappings"), jnum(after, "mappings"));

	test_ioctl_release(masked);
	test_ioctl_release(contig);
	json_free(before);
	json_free(after);
}

/*
 * list: exactly this test's descriptors, every field, as JSON and as a
 * table.
 */
TEST_F(iobmd_ctl, list)
{
	static struct ctl_run r;
	struct jnode *all, *e;
	__u32 masked, contig, sub;
	__u64 len;
	void *map;
	int mine = 0;
	char *line, *save = NULL;

	test_ioctl_buf_create_mask(IOBMD_DIRECTION_INOUT, SZ_1M,
				   0x00000000FFFFF000ULL, &masked);
	test_ioctl_set_length(masked, 1000, &len);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT |
			      IOBMD_OPT_PHYSICALLY_CONTIGUOUS, 3 * PAGE_SIZE, 0,
			      &contig);
	test_map_rw(contig, 0, 0, 3 * PAGE_SIZE, &map);
	test_ioctl_sub_create(masked, IOBMD_DIRECTION_IN, 0, 512, &sub);

	all = ctl_json(&r, CTL_ROOT, "list");
	ASSERT_EQ(J_ARR, all->type);
	for (e = all->child; e; e = e->next) {
		ASSERT_EQ(J_OBJ, e->type);
		EXPECT_EQ(11, jcount(e));
		EXPECT_NE(~0ULL, jnum(e, "exports"));
		if (jnum(e, "pid") != (unsigned long long)getpid())
			continue;
		EXPECT_EQ(0, jnum(e, "uid"));
		EXPECT_EQ(0, jnum(e, "prepares"));
		EXPECT_NE(~0ULL, jnum(e, "id"));
		switch (mine++) {
		case 0:
			EXPECT_STREQ("buffer", jstr(e, "kind"));
			EXPECT_EQ(1000, jnum(e, "length"));
			EXPECT_EQ(SZ_1M, jnum(e, "capacity"));
			EXPECT_STREQ("0x00000000fffff000", jstr(e, "mask"));
			EXPECT_EQ(0, jnum(e, "options"));
			EXPECT_EQ(0, jnum(e, "maps"));
			EXPECT_EQ(0, jnum(e, "exports"));
			break;
		case 1:
			EXPECT_STREQ("buffer", jstr(e, "kind"));
			EXPECT_EQ(3 * PAGE_SIZE, jnum(e, "length"));
			EXPECT_EQ(3 * PAGE_SIZE, jnum(e, "capacity"));
			EXPECT_STREQ("0x0000000000000000", jstr(e, "mask"));
			EXPECT_EQ(IOBMD_OPT_PHYSICALLY_CONTIGUOUS,
				  jnum(e, "options"));
			EXPECT_EQ(1, jnum(e, "maps"));
			break;
		case 2:
			EXPECT_STREQ("sub", jstr(e, "kind"));
			EXPECT_EQ(512, jnum(e, "length"));
			EXPECT_EQ(512, jnum(e, "capacity"));
			break;
		}
	}
	EXPECT_EQ(3, mine);
	json_free(all);

	/* The table: a header, then one row per descriptor. */
	ASSERT_EQ(0, ctl(&r, CTL_ROOT, "list"));
	line = strtok_r(r.out, "\n", &save);
	ASSERT_NE(NULL, line);
	{
		char *w[16];

		ASSERT_EQ(10, words(line, w, 16));
		EXPECT_STREQ("ID", w[0]);
		EXPECT_STREQ("PID", w[1]);
		EXPECT_STREQ("KIND", w[3]);
		EXPECT_STREQ("LENGTH", w[4]);
		EXPECT_STREQ("MASK", w[6]);
		EXPECT_STREQ("MAPS", w[9]);
	}
	mine = 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *w[16];

		ASSERT_EQ(10, words(line, w, 16));
		if (strtoull(w[1], NULL, 10) != (unsigned long long)getpid())
			continue;
		if (mine == 0) {
			EXPECT_STREQ("buffer", w[3]);
			EXPECT_STREQ("1000", w[4]);
			EXPECT_STREQ("0x00000000fffff000", w[6]);
		} else if (mine == 2) {
			EXPECT_STREQ("sub", w[3]);
			EXPECT_STREQ("512", w[4]);
		}
		mine++;
	}
	EXPECT_EQ(3, mine);

	ASSERT_EQ(0, munmap(map, 3 * PAGE_SIZE));
	test_ioctl_release(sub);
	test_ioctl_release(contig);
	test_ioctl_release(masked);
}

/*
 * limits: the module parameters, as JSON and as a table; --set changes
 * several at once (suffixes allowed) and prints them; a value the module
 * refuses gets its explanation and exit 1, a name it does not know exit 2.
 */
TEST_F(iobmd_ctl, limits)
{
	static struct ctl_run r;
	struct jnode *l;
	unsigned int i;

	l = ctl_json(&r, CTL_ROOT, "limits");
	EXPECT_EQ(ARRAY_SIZE(limit_names), jcount(l));
	for (i = 0; i < ARRAY_SIZE(limit_names); i++) {
		const char *name = limit_names[i][0];

		EXPECT_EQ(param(limit_names[i][1]), jnum(l, name))
			TH_LOG("%s", name);
	}
	json_free(l);

	l = ctl_json(&r, CTL_ROOT, "limits", "--set", "total_descs=123",
		     "task_bytes=3M", "--set", "max_capacity=0x200000");
	EXPECT_EQ(123, jnum(l, "total_descs"));
	EXPECT_EQ(3 * SZ_1M, jnum(l, "task_bytes"));
	EXPECT_EQ(2 * SZ_1M, jnum(l, "max_capacity"));
	EXPECT_EQ(123, param("total_descs"));
	EXPECT_EQ(3 * SZ_1M, param("task_bytes"));
	EXPECT_EQ(2 * SZ_1M, param("max_capacity"));
	json_free(l);
	/* Enforced: a buffer above max_capacity is E2BIG. */
	test_err_buf_create(E2BIG, IOBMD_DIRECTION_INOUT, 2 * SZ_1M + 1, 0);

	ASSERT_EQ(0, ctl(&r, CTL_ROOT, "limits"));
	EXPECT_EQ(123, table_value(r.out, "total_descs"));
	EXPECT_EQ(3 * SZ_1M, table_value(r.out, "task_bytes"));
	EXPECT_NE(NULL, strstr(r.out, "(3.0 MiB)")) TH_LOG("%s", r.out);

	/* Refused by the module: nothing changes. */
	EXPECT_EQ(1, ctl(&r, CTL_ROOT, "limits", "--set", "task_descs=0",
			 "total_descs=5"));
	EXPECT_NE(NULL, strstr(r.err, "Invalid argument")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "task_descs")) TH_LOG("%s", r.err);
	EXPECT_EQ(123, param("total_descs"));
	/* Refused by iobmdctl. */
	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "limits", "--set", "bogus=1"));
	EXPECT_NE(NULL, strstr(r.err, "unknown limit 'bogus'"));
	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "limits", "--set", "task_bytes=lots"));
	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "limits", "--set"));

	/* Back as they were, through iobmdctl. */
	{
		char a[5][64];

		for (i = 0; i < ARRAY_SIZE(limit_names); i++)
			snprintf(a[i], sizeof(a[i]), "%s=%llu",
				 limit_names[i][0], self->limits[i]);
		ASSERT_EQ(0, ctl(&r, CTL_ROOT, "limits", "--set", a[0], a[1],
				 a[2], a[3], a[4]));
	}
	for (i = 0; i < ARRAY_SIZE(limit_names); i++)
		EXPECT_EQ(self->limits[i], param(limit_names[i][1]));
}

/*
 * monitor --json: a JSON array that opens once iobmdctl listens, one
 * object per event, closed after --count events.
 */
TEST_F(iobmd_ctl, monitor_json)
{
	static struct ctl_run r;
	char *const argv[] = { "iobmdctl", "--json", "monitor", "--count", "4",
			       "--timeout", "60", NULL };
	struct jnode *all, *e[4];
	__u32 buf, sub;
	int i;

	ASSERT_EQ(0, ctl_start(&r, CTL_ROOT, argv));
	ASSERT_TRUE(ctl_read(&r, "[", 30000)) TH_LOG("stderr: %s", r.err);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 5 * PAGE_SIZE + 3, 0, &buf);
	test_ioctl_sub_create(buf, IOBMD_DIRECTION_IN, PAGE_SIZE, 77, &sub);
	test_ioctl_release(buf);
	test_ioctl_release(sub);
	if (!ctl_read(&r, NULL, 30000))
		ctl_abort(&r);
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);

	all = json_parse(r.out);
	ASSERT_NE(NULL, all) TH_LOG("not JSON: '%s'", r.out);
	ASSERT_EQ(J_ARR, all->type);
	ASSERT_EQ(4, jcount(all));
	e[0] = all->child;
	for (i = 1; i < 4; i++)
		e[i] = e[i - 1]->next;
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(12, jcount(e[i]));
		EXPECT_EQ((unsigned long long)getpid(), jnum(e[i], "pid"));
		EXPECT_EQ(0, jnum(e[i], "uid"));
	}
	EXPECT_STREQ("create", jstr(e[0], "event"));
	EXPECT_STREQ("buffer", jstr(e[0], "kind"));
	EXPECT_EQ(5 * PAGE_SIZE + 3, jnum(e[0], "length"));
	EXPECT_STREQ("create", jstr(e[1], "event"));
	EXPECT_STREQ("sub", jstr(e[1], "kind"));
	EXPECT_EQ(77, jnum(e[1], "length"));
	/* The sub-range goes first and takes its parent with it. */
	EXPECT_STREQ("release", jstr(e[2], "event"));
	EXPECT_EQ(jnum(e[1], "id"), jnum(e[2], "id"));
	EXPECT_STREQ("release", jstr(e[3], "event"));
	EXPECT_EQ(jnum(e[0], "id"), jnum(e[3], "id"));
	EXPECT_LT(jnum(e[0], "id"), jnum(e[1], "id"));
	json_free(all);
}

/* monitor as a table: a header once it listens, a line per event. */
TEST_F(iobmd_ctl, monitor_table)
{
	static struct ctl_run r;
	char *const argv[] = { "iobmdctl", "monitor", "--count", "2",
			       "--timeout", "60", NULL };
	char *line, *save = NULL, *w[16];
	char id[32];
	__u32 buf;

	ASSERT_EQ(0, ctl_start(&r, CTL_ROOT, argv));
	ASSERT_TRUE(ctl_read(&r, "\n", 30000)) TH_LOG("stderr: %s", r.err);
	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, 12345, 0, &buf);
	test_ioctl_release(buf);
	if (!ctl_read(&r, NULL, 30000))
		ctl_abort(&r);
	ASSERT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);

	line = strtok_r(r.out, "\n", &save);
	ASSERT_NE(NULL, line);
	ASSERT_EQ(9, words(line, w, 16));
	EXPECT_STREQ("EVENT", w[0]);
	EXPECT_STREQ("ID", w[1]);
	line = strtok_r(NULL, "\n", &save);
	ASSERT_NE(NULL, line);
	ASSERT_EQ(9, words(line, w, 16));
	EXPECT_STREQ("create", w[0]);
	snprintf(id, sizeof(id), "%s", w[1]);
	EXPECT_EQ((unsigned long long)getpid(), strtoull(w[2], NULL, 10));
	EXPECT_STREQ("buffer", w[4]);
	EXPECT_STREQ("12345", w[5]);
	line = strtok_r(NULL, "\n", &save);
	ASSERT_NE(NULL, line);
	ASSERT_EQ(9, words(line, w, 16));
	EXPECT_STREQ("release", w[0]);
	EXPECT_STREQ(id, w[1]);
	EXPECT_EQ(NULL, strtok_r(NULL, "\n", &save));
}

/*
 * monitor --timeout: without --count it ends quietly; with a --count not
 * reached it exits 5.  Either way the JSON is a (closed) array.
 */
TEST_F(iobmd_ctl, monitor_timeout)
{
	static struct ctl_run r;
	struct jnode *j;

	j = ctl_json(&r, CTL_ROOT, "monitor", "--timeout", "0.5");
	EXPECT_EQ(J_ARR, j->type);
	EXPECT_EQ(0, jcount(j));
	json_free(j);

	EXPECT_EQ(5, ctl(&r, CTL_ROOT, "--json", "monitor", "--count", "1",
			 "--timeout", "0.5"));
	j = json_parse(r.out);
	ASSERT_NE(NULL, j) TH_LOG("not JSON: '%s'", r.out);
	EXPECT_EQ(0, jcount(j));
	json_free(j);
	EXPECT_NE(NULL, strstr(r.err, "timed out")) TH_LOG("%s", r.err);

	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "monitor", "--count", "0"));
	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "monitor", "--timeout", "soon"));
}

/*
 * As uid 65534: stats work and show its user's figures only (none: root's
 * buffer is not its own, and the module-wide counters are not shown);
 * list works and shows nothing (iobmdctl's own process created nothing);
 * changing limits and monitoring are denied, exit 4.
 */
TEST_F(iobmd_ctl, unprivileged)
{
	static struct ctl_run r;
	struct jnode *j;
	__u32 buf;

	test_ioctl_buf_create(IOBMD_DIRECTION_INOUT, PAGE_SIZE, 0, &buf);
	j = ctl_json(&r, CTL_NOBODY, "stats");
	EXPECT_EQ(3, jcount(j));
	EXPECT_EQ(0, jnum(j, "user_descs"));
	EXPECT_EQ(0, jnum(j, "user_bytes"));
	EXPECT_EQ(0, jnum(j, "user_zone_dma"));
	EXPECT_EQ(~0ULL, jnum(j, "buffers"));
	json_free(j);
	ASSERT_EQ(0, ctl(&r, CTL_NOBODY, "stats"));
	EXPECT_EQ(0, table_value(r.out, "user_descs"));
	EXPECT_EQ(NULL, strstr(r.out, "buffers")) TH_LOG("%s", r.out);

	j = ctl_json(&r, CTL_NOBODY, "list");
	EXPECT_EQ(J_ARR, j->type);
	EXPECT_EQ(0, jcount(j));
	json_free(j);

	EXPECT_EQ(4, ctl(&r, CTL_NOBODY, "limits", "--set", "total_descs=1"));
	EXPECT_NE(NULL, strstr(r.err, "permission denied")) TH_LOG("%s", r.err);
	EXPECT_NE(NULL, strstr(r.err, "CAP_SYS_ADMIN")) TH_LOG("%s", r.err);
	EXPECT_EQ(self->limits[3], param("total_descs"));
	EXPECT_EQ(4, ctl(&r, CTL_NOBODY, "monitor", "--timeout", "5"));
	EXPECT_NE(NULL, strstr(r.err, "permission denied")) TH_LOG("%s", r.err);
	EXPECT_EQ(0, ctl(&r, CTL_NOBODY, "limits"));
	test_ioctl_release(buf);
}

/*
 * Where the family does not resolve (a network namespace of its own: the
 * module registers the family for the initial one only), every command
 * exits 3 with the reason and prints nothing on stdout.
 */
TEST_F(iobmd_ctl, family_not_found)
{
	static struct ctl_run r;
	const char *const msg =
		"iobmdctl: generic netlink family 'iobmd' not found in this network namespace (the iobmd module serves the initial one only)\n";

	EXPECT_EQ(3, ctl(&r, CTL_NETNS, "stats"));
	EXPECT_STREQ(msg, r.err);
	EXPECT_STREQ("", r.out);
	EXPECT_EQ(3, ctl(&r, CTL_NETNS, "--json", "list"));
	EXPECT_STREQ(msg, r.err);
	EXPECT_STREQ("", r.out);
	EXPECT_EQ(3, ctl(&r, CTL_NETNS, "monitor", "--count", "1"));
	EXPECT_STREQ(msg, r.err);
}

/* Usage errors exit 2 and say so; --help exits 0. */
TEST_F(iobmd_ctl, usage)
{
	static struct ctl_run r;
	char *const none[] = { "iobmdctl", NULL };

	ASSERT_EQ(0, ctl_start(&r, CTL_ROOT, none));
	ASSERT_TRUE(ctl_read(&r, NULL, 30000));
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no command given"));
	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "frob"));
	EXPECT_NE(NULL, strstr(r.err, "unknown command 'frob'"));
	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "stats", "--count", "1"));
	EXPECT_EQ(2, ctl(&r, CTL_ROOT, "--frob"));
	EXPECT_EQ(0, ctl(&r, CTL_ROOT, "--help"));
	EXPECT_NE(NULL, strstr(r.out, "usage: iobmdctl"));
	EXPECT_STREQ("", r.err);
}

TEST_HARNESS_MAIN

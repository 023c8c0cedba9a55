// SPDX-License-Identifier: GPL-2.0
/*
 * iommuscope policy learn: write a policy allowing what the named workload
 * was seen doing. What is learnt is what a later 'enforce' allows, so
 * nobody else may teach it: the workload is named explicitly (a process,
 * an executable, a cgroup; everything only with --all), failed calls are
 * not learnt, the names written are escaped, a lost record fails the run,
 * and the file is parsed and compiled again before it replaces FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmd_opts.h"
#include "commands.h"
#include "exeid.h"
#include "policy_file.h"
#include "session.h"
#include "util.h"

#define MAX_SEEN 256
#define MAX_WHO 32
#define MAX_CG_IDS 1024
enum { COMM_TEXT = ISC_ESCAPED_LEN(ISC_COMM_LEN) };

static const char learn_usage[] =
	"usage: iommuscope policy learn -d TIME -o FILE SCOPE [OPTIONS]\n"
	"\n"
	"Watch the VFIO/iommufd calls of the workload SCOPE names for TIME and write\n"
	"a policy that allows exactly the ioctls, flags and sizes it used (per fd\n"
	"kind) and refuses everything else ('set default deny'). Calls that failed\n"
	"are not learnt. Review it, then 'iommuscope enforce --policy FILE'.\n"
	"\n"
	"SCOPE, at least one (all given must match):\n"
	"  -p, --pid PID           this process\n"
	"      --exe PATH          processes running this executable\n"
	"      --cgroup PATH       processes in this cgroup2 directory or below it\n"
	"  -c, --comm COMM         tasks with this command name (any process can\n"
	"                          take a name: the weakest scope)\n"
	"      --all               every process on the host\n"
	"\n"
	"  -o, --output FILE       where to write the policy (required)\n"
	ISC_LIVE_HELP
	"  -h, --help              this text\n";

struct seen {
	const struct isc_ioctl_desc *d;
	uint8_t kind;
	uint32_t flags;
	bool has_flags;
	uint32_t min_size, max_size;
	bool has_size;
	uint64_t calls;
	char comm[COMM_TEXT];
};

struct who {
	uint32_t pid;
	char comm[COMM_TEXT];
	char exe[PATH_MAX];
};

struct learn_ctx {
	/* the scope checked here (-p, -c and --exe are the kernel's) */
	const char *cgroup;
	uint64_t cg_in[MAX_CG_IDS], cg_out[MAX_CG_IDS];
	int nr_in, nr_out;
	/* what was learnt */
	int nr;
	struct seen seen[MAX_SEEN];
	int nr_who;
	struct who who[MAX_WHO];
	uint64_t unknown, failed, outside, full;
};

/* ---- the scope ---- */

static uint64_t cg_want;
static bool cg_found;

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)path;
	(void)f;
	if (type == FTW_D && (uint64_t)st->st_ino == cg_want) {
		cg_found = true;
		return 1;
	}
	return 0;
}

/* Is the cgroup with this id the scope's directory or below it? (cgroup2
 * ids are the directories' inode numbers and are never reused: both
 * answers are kept.) */
static bool in_cgroup(struct learn_ctx *l, uint64_t id)
{
	int i;

	for (i = 0; i < l->nr_in; i++)
		if (l->cg_in[i] == id)
			return true;
	for (i = 0; i < l->nr_out; i++)
		if (l->cg_out[i] == id)
			return false;
	cg_want = id;
	cg_found = false;
	nftw(l->cgroup, cg_visit, 16, FTW_PHYS | FTW_MOUNT);
	if (cg_found && l->nr_in < MAX_CG_IDS)
		l->cg_in[l->nr_in++] = id;
	else if (!cg_found && l->nr_out < MAX_CG_IDS)
		l->cg_out[l->nr_out++] = id;
	return cg_found;
}

/* When process pid started (/proc/PID/stat, field 22, in clock ticks);
 * 0 when it is gone. -p's pid must stay the same process. */
static uint64_t started(uint32_t pid)
{
	char path[64], buf[1024], *p, *end;
	uint64_t t;
	int i;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_text_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	for (i = 0; i < 20 && p; i++)	/* to the 20th field after "(comm)" */
		p = strchr(p + 1, ' ');
	if (!p)
		return 0;
	t = strtoull(p + 1, &end, 10);
	return end == p + 1 ? 0 : t + 1;
}

/* -p, -c and --exe are the kernel's filters (the caller's executable as
 * it is at the call, so an exec afterwards changes nothing). */
static bool in_scope(struct learn_ctx *l, const struct isc_ioctl_event *e)
{
	return !l->cgroup || in_cgroup(l, e->cgroup_id);
}

static void note_who(struct learn_ctx *l, const struct isc_ioctl_event *e)
{
	char path[64], raw[PATH_MAX];
	struct who *w;
	ssize_t n;
	int i;

	for (i = 0; i < l->nr_who; i++)
		if (l->who[i].pid == e->pid)
			return;
	if (l->nr_who == MAX_WHO)
		return;
	w = &l->who[l->nr_who++];
	w->pid = e->pid;
	str_escape(e->comm, ISC_COMM_LEN, w->comm, sizeof(w->comm));
	snprintf(path, sizeof(path), "/proc/%u/exe", e->pid);
	n = readlink(path, raw, sizeof(raw) - 1);
	if (n < 0)
		snprintf(w->exe, sizeof(w->exe), "?");
	else
		str_escape(raw, (size_t)n, w->exe, sizeof(w->exe));
}

/* ---- learning ---- */

static struct seen *seen_of(struct learn_ctx *l, const struct isc_ioctl_view *v)
{
	struct seen *s;
	int i;

	for (i = 0; i < l->nr; i++)
		if (l->seen[i].d == v->desc && l->seen[i].kind == v->ev.fd_kind)
			return &l->seen[i];
	if (l->nr == MAX_SEEN) {
		l->full++;
		return NULL;
	}
	s = &l->seen[l->nr++];
	memset(s, 0, sizeof(*s));
	s->d = v->desc;
	s->kind = v->ev.fd_kind;
	s->min_size = UINT32_MAX;
	str_escape(v->ev.comm, ISC_COMM_LEN, s->comm, sizeof(s->comm));
	return s;
}

static void learn_ioctl(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	struct learn_ctx *l = ctx;
	struct seen *s;

	(void)cls;
	if (!in_scope(l, &v->ev)) {
		l->outside++;
		return;
	}
	if (!v->desc) {
		l->unknown++;
		return;
	}
	if (v->ev.ret < 0) {
		l->failed++;
		return;
	}
	s = seen_of(l, v);
	if (!s)
		return;
	note_who(l, &v->ev);
	s->calls++;
	if (v->has_flags && v->desc->flags_off >= 0 && !catalog__role(v->desc, ISC_FR_OUT, 0)) {
		const struct isc_role_desc *idx = catalog__role(v->desc, ISC_FR_INDEX, 0);

		s->flags |= v->flags & ~(idx ? idx->mask : 0) & catalog__flags_mask(v->desc);
		s->has_flags = true;
	}
	if (v->has_argsz && v->desc->arg == ISC_ARG_STRUCT && v->argsz >= v->desc->minsz) {
		if (v->argsz < s->min_size)
			s->min_size = v->argsz;
		if (v->argsz > s->max_size)
			s->max_size = v->argsz;
		s->has_size = true;
	}
}

/* ---- the file ---- */

static void write_header(FILE *f, const struct learn_ctx *l, const char *scope,
			 uint64_t duration_ns)
{
	time_t now = time(NULL);
	struct tm tm;
	int i;

	localtime_r(&now, &tm);
	fprintf(f, "# iommuscope policy learnt over %llu s, %04d-%02d-%02d %02d:%02d\n",
		(unsigned long long)(duration_ns / 1000000000ull), tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	fprintf(f, "# from %s; failed calls not learnt (%llu)\n", scope,
		(unsigned long long)l->failed);
	for (i = 0; i < l->nr_who; i++)
		fprintf(f, "# seen: pid %u %s (%s)\n", l->who[i].pid, l->who[i].comm,
			l->who[i].exe);
	if (l->nr_who == MAX_WHO)
		fprintf(f, "# seen: more processes than listed\n");
	fprintf(f, "# Allows exactly what was seen; anything else is refused.\n");
	fprintf(f, "set default deny\n\n");
}

static void write_rules(FILE *f, const struct learn_ctx *l)
{
	char flags[160];
	int i;

	for (i = 0; i < l->nr; i++) {
		const struct seen *s = &l->seen[i];

		fprintf(f, "# %llu calls, e.g. by %s\n", (unsigned long long)s->calls, s->comm);
		fprintf(f, "allow %s on %s", s->d->name, catalog__kind_name(s->kind));
		if (s->has_flags) {
			catalog__flags_str(s->d, s->flags, flags, sizeof(flags));
			fprintf(f, " flags %s", s->flags ? flags : "none");
		}
		if (s->has_size) {
			if (s->min_size == s->max_size)
				fprintf(f, " size %u", s->min_size);
			else
				fprintf(f, " size %u-%u", s->min_size, s->max_size);
		}
		fputc('\n', f);
	}
}

/* What was written reads back as exactly the rules learnt. */
static int check_written(const char *tmp, const struct learn_ctx *l, const struct isc_abi *a)
{
	char err[ISC_POLICY_ERR_LEN];
	struct isc_policy p;
	int n = 0, ret = -1;

	if (policy__load(tmp, &p, err, sizeof(err))) {
		isc_err("the learnt policy does not parse (%s): not written", err);
		return -1;
	}
	if (p.nr != l->nr || !p.default_deny)
		isc_err("the learnt policy reads back as %d rules, not %d: not written", p.nr,
			l->nr);
	else if (policy__compile(&p, tmp, a, 0, 1, policy__count_entry, &n, err, sizeof(err)) < 0)
		isc_err("the learnt policy does not compile (%s): not written", err);
	else
		ret = 0;
	policy__free(&p);
	return ret;
}

static int learn_write(const struct learn_ctx *l, const char *path, const char *scope,
		       const struct isc_session_result *res)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		isc_err("%s: path too long", path);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		isc_err("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	write_header(f, l, scope, res->duration_ns);
	write_rules(f, l);
	if (fchmod(fd, 0644) || fclose(f)) {
		isc_err("cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	if (check_written(tmp, l, &res->abi))
		goto fail;
	if (rename(tmp, path)) {
		isc_err("cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

/* ---- the command ---- */

static int scope_exe(struct isc_session_opts *so, const char *path)
{
	char err[PATH_MAX + 128];
	struct isc_exe_id id;

	if (exeid__of_path(path, &id, NULL, err, sizeof(err))) {
		isc_err("--exe %s", err);
		return -1;
	}
	so->lo.exe_ino = id.ino;
	so->lo.exe_dev = id.dev;
	return 0;
}

static int scope_cgroup(struct learn_ctx *l, const char *path, char *real)
{
	char err[PATH_MAX + 128];
	uint64_t id;
	uint32_t level;

	if (exeid__cgroup(path, &id, &level, err, sizeof(err)) || !realpath(path, real)) {
		isc_err("--cgroup %s", err);
		return -1;
	}
	l->cgroup = real;
	return 0;
}

/* "-p 42 --exe /usr/bin/qemu": what the header says the scope was. */
static void scope_add(char *scope, size_t len, const char *opt, const char *arg)
{
	char esc[ISC_ESCAPED_LEN(PATH_MAX)];
	size_t used = strlen(scope);

	if (arg)
		str_escape(arg, PATH_MAX, esc, sizeof(esc));
	snprintf(scope + used, len - used, "%s%s%s%s", used ? " " : "", opt, arg ? " " : "",
		 arg ? esc : "");
}

enum { OPT_EXE = ISC_OPT_FIRST_FREE, OPT_CGROUP, OPT_ALL };

/* What the command line names: the output and the workload's scope. */
struct learn_args {
	struct isc_session_opts *so;
	struct learn_ctx *l;
	const char *out;
	char *scope;		/* "-p 42 --exe /usr/bin/qemu", for the header */
	size_t len;
	bool all, named;
};

static int learn_opt(void *ctx, int c, const char *arg)
{
	static char cg[PATH_MAX];
	struct learn_args *a = ctx;

	switch (c) {
	case 'o':
		a->out = arg;
		return 1;
	case OPT_EXE:
		if (scope_exe(a->so, arg))
			return -1;
		scope_add(a->scope, a->len, "--exe", arg);
		a->named = true;
		return 1;
	case OPT_CGROUP:
		if (scope_cgroup(a->l, arg, cg))
			return -1;
		scope_add(a->scope, a->len, "--cgroup", arg);
		a->named = true;
		return 1;
	case OPT_ALL:
		a->all = true;
		return 1;
	}
	return 0;
}

/* -p and -c name the workload too */
static void learn_live(void *ctx, int c, const char *arg)
{
	struct learn_args *a = ctx;

	if (c != 'p' && c != 'c')
		return;
	scope_add(a->scope, a->len, c == 'p' ? "-p" : "-c", arg);
	a->named = true;
}

/* Options; -1 to go on, or the exit code. */
static int learn_opts(int argc, char **argv, struct isc_session_opts *so, struct learn_ctx *l,
		      const char **out, char *scope, size_t len)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "exe", required_argument, NULL, OPT_EXE },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "help", no_argument, NULL, 'h' },
		ISC_LIVE_LONG,
		{},
	};
	struct learn_args a = { .so = so, .l = l, .scope = scope, .len = len };
	const struct isc_cmd_line cl = {
		.name = "policy learn", .usage = learn_usage, .shortopts = "o:h" ISC_LIVE_SHORT,
		.longopts = opts, .opt = learn_opt, .live = learn_live, .ctx = &a,
	};
	int ret;

	scope[0] = '\0';
	ret = cmd_opts__getopt(so, &cl, argc, argv);
	*out = a.out;
	if (ret >= 0)
		return ret;
	if (!*out || !so->duration_ns) {
		isc_err("policy learn: %s is required", !*out ? "-o FILE" : "-d TIME");
		return ISC_EXIT_USAGE;
	}
	if (a.all == a.named) {
		isc_err(a.all ? "policy learn: --all goes alone" :
			"policy learn: name the workload to learn from: -p PID, --exe PATH, --cgroup PATH or -c COMM (--all: every process)");
		return ISC_EXIT_USAGE;
	}
	if (a.all)
		scope_add(scope, len, "--all (every process)", NULL);
	return -1;
}

int cmd_policy_learn(int argc, char **argv)
{
	static struct learn_ctx l;
	struct isc_sink sink = { .ctx = &l, .ioctl = learn_ioctl };
	struct isc_session_result res;
	struct isc_session_opts so;
	char scope[PATH_MAX + 64], who[COMM_TEXT * 2 + PATH_MAX];
	uint64_t pid_start, now;
	const char *out;
	int ret;

	memset(&l, 0, sizeof(l));
	session__init_opts(&so, "learning from");
	ret = learn_opts(argc, argv, &so, &l, &out, scope, sizeof(scope));
	if (ret >= 0)
		return ret;
	pid_start = so.lo.tgid ? started(so.lo.tgid) : 0;
	if (so.lo.tgid && !pid_start) {
		isc_err("policy learn: no process %u", so.lo.tgid);
		return ISC_EXIT_FAIL;
	}
	ret = cmd_opts__run(&so, &sink, &res);
	now = so.lo.tgid ? started(so.lo.tgid) : 0;
	if (ret == ISC_EXIT_OK && now && now != pid_start) {
		isc_err("process %u exited and its pid was taken by another process while learning: not written",
			so.lo.tgid);
		ret = ISC_EXIT_FAIL;
	} else if (ret == ISC_EXIT_OK && (res.drops || res.invalid || res.inflight_full)) {
		isc_err("%llu records were lost: the policy would miss calls; not written (narrow the scope or raise --ringbuf-size)",
			(unsigned long long)res.drops + (unsigned long long)res.invalid +
			(unsigned long long)res.inflight_full);
		ret = ISC_EXIT_FAIL;
	} else if (ret == ISC_EXIT_OK && l.full) {
		isc_err("more than %d ioctls and fd kinds seen: not written", MAX_SEEN);
		ret = ISC_EXIT_FAIL;
	} else if (ret == ISC_EXIT_OK) {
		if (learn_write(&l, out, scope, &res)) {
			ret = ISC_EXIT_FAIL;
		} else {
			snprintf(who, sizeof(who), "%s%s", l.nr_who ? l.who[0].comm : "nobody",
				 l.nr_who > 1 ? " and others" : "");
			fprintf(stderr, "iommuscope: wrote %s: %d rules from %llu calls of %s; %llu failed calls and %llu calls outside the scope not learnt%s\n",
				out, l.nr, (unsigned long long)res.records, who,
				(unsigned long long)l.failed, (unsigned long long)l.outside,
				l.unknown ? " (ioctls not in the catalog left out)" : "");
		}
	}
	session__free(&res);
	return ret;
}

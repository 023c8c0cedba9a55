// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "auditlog.h"
#include "logfile.h"
#include "util.h"

#define MAX_PROCS 256
/* Bounds on what a flood of distinct mismatches (or executables) can make
 * the audit keep: the least recently seen entry is evicted (its repeats
 * written first), and calls of executables beyond the table are counted
 * under OTHER_EXE. */
#define MAX_ENTRIES 1024
#define MAX_EXES 256
#define OTHER_EXE "(other executables)"

struct proc_id {
	uint32_t pid;
	char exe[PATH_MAX];
	char cgroup[256];
};

struct entry {
	/* the key */
	char exe[PATH_MAX];
	uint32_t cmd;
	uint8_t fd_kind;
	uint32_t classes;
	uint32_t argsz;
	uint32_t flags;
	int64_t ret;
	/* the rest */
	char name[48];
	struct isc_dev_id dev;		/* a device fd's device (name "": none) */
	char comm[ISC_ESCAPED_LEN(ISC_COMM_LEN)];
	char cgroup[256];
	struct isc_vm vm;	/* part of the key: one entry per VM */
	uint32_t pid;
	struct isc_verdict cls;
	bool has_argsz, has_flags;
	uint64_t first_ns, last_ns;	/* wall clock */
	uint64_t count, written_count;
	bool ever_written;
};

struct exe_stats {
	char exe[PATH_MAX];
	uint64_t calls;
	uint64_t by_class[ISC_CLS_MAX];
};

struct isc_auditlog {
	struct isc_auditlog_opts o;
	struct isc_logfile log;
	int64_t mono_to_real;
	struct entry *e;
	int nr, cap;
	struct exe_stats *x;
	int nr_x, cap_x;
	struct proc_id procs[MAX_PROCS];
	int next_proc;
	uint64_t written;
	uint64_t evicted;	/* entries dropped from the table (MAX_ENTRIES) */
	uint64_t evict_lost;	/* repeats they owed that could not be written */
	bool warned;
};

struct isc_auditlog *auditlog__open(const struct isc_auditlog_opts *o)
{
	struct isc_auditlog *l = calloc(1, sizeof(*l));
	int err;

	if (!l) {
		isc_err("out of memory");
		return NULL;
	}
	l->o = *o;
	l->mono_to_real = mono_to_real_ns();
	l->log.path = o->path;
	l->log.what = "audit log";
	l->log.max_bytes = o->max_bytes;
	l->log.rotate = o->rotate;
	err = logfile__open(&l->log);
	if (err) {
		free(l);
		return NULL;
	}
	if (o->syslog)
		openlog("iommuscope", LOG_PID, LOG_DAEMON);
	return l;
}

static const char *iso_time(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!gmtime_r(&s, &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03lluZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned long long)(ns % 1000000000ULL) / 1000000);
	return buf;
}

/* The hook saw no return value (an fentry: iommu_page_response). */
#define NO_RET INT64_MIN

static const char *errno_str(int64_t ret)
{
	const char *n = ret < 0 && ret > -4096 ? strerrorname_np((int)-ret) : NULL;

	return n;
}

static void jstr(struct json_object *j, const char *k, const char *v)
{
	json_object_object_add(j, k, v ? json_object_new_string(v) : NULL);
}

static int format_json(const struct entry *e, const char *what, char **out)
{
	struct json_object *j = json_object_new_object(), *cl = json_object_new_array();
	char t1[80], t2[80], dev[ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN)];
	int c;

#define S(k, v) jstr(j, k, v)
#define U(k, v) json_object_object_add(j, k, json_object_new_uint64(v))
#define I(k, v) json_object_object_add(j, k, json_object_new_int64(v))
	S("type", "audit");
	S("event", what);
	S("first_seen", iso_time(e->first_ns, t1, sizeof(t1)));
	S("last_seen", iso_time(e->last_ns, t2, sizeof(t2)));
	U("count", e->count);
	U("pid", e->pid);
	S("comm", e->comm);
	S("exe", e->exe);
	S("cgroup", e->cgroup);
	if (e->vm.source != ISC_VM_NONE) {
		S("vm", e->vm.name);
		S("vm_source", vm__source_name(e->vm.source));
		if (e->vm.pod[0])
			S("vm_pod", e->vm.pod);
	}
	S("fd_kind", catalog__kind_name(e->fd_kind));
	S("ioctl", e->name[0] ? e->name : NULL);
	U("cmd", e->cmd);
	if (e->dev.name[0]) {
		S("device", str_escape(e->dev.name, sizeof(e->dev.name), dev, sizeof(dev)));
		if (e->dev.iommu_group >= 0)
			I("iommu_group", e->dev.iommu_group);
		else
			S("iommu_group", NULL);
	}
	S("class", classify__primary(e->classes));
	for (c = 0; c < ISC_CLS_MAX; c++)
		if (e->classes & ISC_CLS(c))
			json_object_array_add(cl, json_object_new_string(classify__name(c)));
	json_object_object_add(j, "classes", cl);
	if (e->has_argsz)
		U("argsz", e->argsz);
	else
		S("argsz", NULL);
	if (e->cls.kernel_size)
		U("kernel_size", e->cls.kernel_size);
	if (e->has_flags)
		U("flags", e->flags);
	if (e->cls.bad_bits)
		U("bad_flags", e->cls.bad_bits);
	if (e->cls.need)
		U("need", e->cls.need);
	if (e->ret == NO_RET)
		S("ret", NULL);
	else
		I("ret", e->ret);
	S("errno", errno_str(e->ret));
	S("explain", e->cls.explain);
	if (e->cls.built_against[0])
		S("built_against", e->cls.built_against);
#undef S
#undef U
#undef I
	*out = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	return *out ? 0 : -ENOMEM;
}

/* exe and cgroup are escaped already (str_escape); in a text line of
 * key=value fields a space or a quote would still split one. */
static const char *text_field(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		if (*s == ' ' || *s == '"')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", (unsigned char)*s);
		else
			buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

/* " device=NAME iommu_group=N" of an entry on a device fd (no group: no
 * iommu_group), "" else. */
static void text_device(const struct entry *e, char *buf, size_t len)
{
	char name[ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN)], f[sizeof(name) * 2];

	buf[0] = '\0';
	if (!e->dev.name[0])
		return;
	str_escape(e->dev.name, sizeof(e->dev.name), name, sizeof(name));
	if (e->dev.iommu_group >= 0)
		snprintf(buf, len, " device=%s iommu_group=%d", text_field(name, f, sizeof(f)),
			 e->dev.iommu_group);
	else
		snprintf(buf, len, " device=%s", text_field(name, f, sizeof(f)));
}

static int format_text(const struct entry *e, const char *what, char **out)
{
	char t[80], ret[24], exe[PATH_MAX + 64], cg[sizeof(e->cgroup) * 2], dev[192];
	char vm[ISC_VM_TEXT_LEN] = "";
	const char *en = errno_str(e->ret);

	if (en)
		snprintf(ret, sizeof(ret), "%s", en);
	else if (e->ret == NO_RET)
		snprintf(ret, sizeof(ret), "-");
	else
		snprintf(ret, sizeof(ret), "%lld", (long long)e->ret);
	/* the name is safe as it is (vm.h) */
	if (e->vm.source != ISC_VM_NONE)
		snprintf(vm, sizeof(vm), " vm=%s vm_source=%s%s%s", e->vm.name,
			 vm__source_name(e->vm.source), e->vm.pod[0] ? " vm_pod=" : "", e->vm.pod);
	text_device(e, dev, sizeof(dev));
	return asprintf(out, "%s %s %s[%u] exe=%s cgroup=%s%s %s%s %s %s argsz=%u flags=0x%x ret=%s "
			"count=%llu: %s%s%s",
			iso_time(e->last_ns, t, sizeof(t)), what, e->comm, e->pid,
			text_field(e->exe, exe, sizeof(exe)), text_field(e->cgroup, cg, sizeof(cg)), vm,
			catalog__kind_name(e->fd_kind), dev, e->name[0] ? e->name : "?",
			classify__primary(e->classes), e->argsz, e->flags, ret,
			(unsigned long long)e->count, e->cls.explain,
			e->cls.built_against[0] ? "; looks built against " : "",
			e->cls.built_against) < 0 ? -ENOMEM : 0;
}

/* Write one record; 0, or -errno with the entry left owing. */
static int write_entry(struct isc_auditlog *l, struct entry *e)
{
	const char *what = e->ever_written ? "repeat" : "new";
	char *line = NULL;
	FILE *f;
	int err;

	err = l->o.json ? format_json(e, what, &line) : format_text(e, what, &line);
	if (err)
		return err;
	errno = 0;
	f = logfile__get(&l->log);
	err = logfile__done(&l->log, f && fprintf(f, "%s\n", line) >= 0);
	if (!err) {
		if (l->o.syslog)
			syslog(LOG_WARNING, "%s", line);
		e->ever_written = true;
		e->written_count = e->count;
		l->written++;
	} else if (!l->warned) {
		isc_warn("cannot write audit log %s: %s; records are kept and retried",
			 l->o.path ? l->o.path : "(stdout)", strerror(-err));
		l->warned = true;
	}
	free(line);
	return err;
}

static struct proc_id *proc_of(struct isc_auditlog *l, uint32_t pid, const char *comm)
{
	char path[64], buf[512], raw[PATH_MAX], esc[ISC_ESCAPED_LEN(ISC_COMM_LEN)];
	struct proc_id *p;
	ssize_t n;
	char *cg;
	int i;

	for (i = 0; i < MAX_PROCS; i++)
		if (l->procs[i].pid == pid)
			return &l->procs[i];
	p = &l->procs[l->next_proc];
	l->next_proc = (l->next_proc + 1) % MAX_PROCS;
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	/* names and paths a process chose: escaped before they go anywhere */
	n = readlink(path, raw, sizeof(raw) - 1);
	if (n < 0)	/* gone before its record was read: say so, keep the name */
		snprintf(p->exe, sizeof(p->exe), "(exited) %s",
			 str_escape(comm, ISC_COMM_LEN, esc, sizeof(esc)));
	else
		str_escape(raw, (size_t)n, p->exe, sizeof(p->exe));
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	snprintf(p->cgroup, sizeof(p->cgroup), "?");
	if (read_text_file(path, buf, sizeof(buf)) > 0) {
		cg = strstr(buf, "0::");
		if (cg) {
			cg += 3;
			cg[strcspn(cg, "\n")] = '\0';
			str_escape(cg, strlen(cg), p->cgroup, sizeof(p->cgroup));
		}
	}
	return p;
}

static struct exe_stats *exe_of(struct isc_auditlog *l, const char *exe)
{
	int i;

	for (i = 0; i < l->nr_x; i++)
		if (!strcmp(l->x[i].exe, exe))
			return &l->x[i];
	if (l->nr_x >= MAX_EXES - 1 && strcmp(exe, OTHER_EXE))
		return exe_of(l, OTHER_EXE);
	if (l->nr_x == l->cap_x) {
		int cap = l->cap_x ? l->cap_x * 2 : 16;
		struct exe_stats *x = realloc(l->x, cap * sizeof(*x));

		if (!x)
			return NULL;
		l->x = x;
		l->cap_x = cap;
	}
	memset(&l->x[l->nr_x], 0, sizeof(l->x[0]));
	snprintf(l->x[l->nr_x].exe, sizeof(l->x[0].exe), "%s", exe);
	return &l->x[l->nr_x++];
}

/* The table is full: free the least recently seen entry, its repeats
 * written first (if they cannot be, they are lost with it). */
static struct entry *evict(struct isc_auditlog *l)
{
	struct entry *old = &l->e[0];
	int i;

	for (i = 1; i < l->nr; i++)
		if (l->e[i].last_ns < old->last_ns)
			old = &l->e[i];
	if (old->count != old->written_count && write_entry(l, old))
		l->evict_lost += old->count - old->written_count;
	if (!l->evicted++)
		isc_warn("more than %d distinct mismatches: the least recently seen are forgotten (a later one is logged as new)",
			 MAX_ENTRIES);
	return old;
}

/* An entry's device: a copy, or none (name "", group -1). */
static void entry_device(struct entry *e, const struct isc_dev_id *dev)
{
	if (dev) {
		e->dev = *dev;
		e->dev.name[ISC_DEV_NAME_LEN - 1] = '\0';
	} else {
		memset(&e->dev, 0, sizeof(e->dev));
		e->dev.iommu_group = -1;
	}
}

static void record(struct isc_auditlog *l, bool count_call, uint32_t pid, const char *comm,
		   const struct isc_vm *vm, uint64_t ts, uint32_t cmd, uint8_t kind,
		   const struct isc_dev_id *dev, const char *name, bool has_argsz, uint32_t argsz,
		   bool has_flags, uint32_t flags, int64_t ret, const struct isc_verdict *cls)
{
	struct proc_id *p = proc_of(l, pid, comm);
	struct exe_stats *x = exe_of(l, p->exe);
	uint64_t now = ts + l->mono_to_real;
	struct entry *e;
	int i, c;

	if (x && count_call)
		x->calls++;
	if (!cls->classes)
		return;
	for (c = 0; x && c < ISC_CLS_MAX; c++)
		if (cls->classes & ISC_CLS(c))
			x->by_class[c]++;
	for (i = 0; i < l->nr; i++) {
		e = &l->e[i];
		if (e->cmd == cmd && e->fd_kind == kind && e->classes == cls->classes &&
		    e->argsz == argsz && e->flags == flags && e->ret == ret && !strcmp(e->exe, p->exe) &&
		    e->vm.source == vm->source && !strcmp(e->vm.name, vm->name) &&
		    !strncmp(e->name, name ? name : "", sizeof(e->name) - 1) &&
		    !strncmp(e->dev.name, dev ? dev->name : "", sizeof(e->dev.name))) {
			e->count++;
			e->last_ns = now;
			e->pid = pid;
			return;
		}
	}
	if (l->nr == MAX_ENTRIES) {
		e = evict(l);
		goto fill;
	}
	if (l->nr == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct entry *ne = realloc(l->e, cap * sizeof(*ne));

		if (!ne) {
			isc_warn("out of memory: a mismatch was not recorded");
			return;
		}
		l->e = ne;
		l->cap = cap;
	}
	e = &l->e[l->nr++];
fill:
	memset(e, 0, sizeof(*e));
	snprintf(e->exe, sizeof(e->exe), "%s", p->exe);
	snprintf(e->cgroup, sizeof(e->cgroup), "%s", p->cgroup);
	e->vm = *vm;
	str_escape(comm, ISC_COMM_LEN, e->comm, sizeof(e->comm));
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
	e->cmd = cmd;
	e->fd_kind = kind;
	entry_device(e, dev);
	e->classes = cls->classes;
	e->has_argsz = has_argsz;
	e->argsz = argsz;
	e->has_flags = has_flags;
	e->flags = flags;
	e->ret = ret;
	e->cls = *cls;
	e->pid = pid;
	e->first_ns = e->last_ns = now;
	e->count = 1;
	write_entry(l, e);
}

void auditlog__ioctl(struct isc_auditlog *l, const struct isc_ioctl_view *v,
		     const struct isc_verdict *cls, bool late)
{
	const struct isc_ioctl_event *e = &v->ev;

	record(l, !late, e->pid, e->comm, &v->vm, e->hdr.ts_ns, e->cmd, e->fd_kind,
	       v->has_device ? &e->dev : NULL, v->desc ? v->desc->name : NULL, v->has_argsz,
	       v->argsz, v->has_flags, v->flags,
	       e->ret, cls);
}

void auditlog__iommu(struct isc_auditlog *l, const struct isc_iommu_view *v,
		     const struct isc_verdict *cls)
{
	const struct isc_iommu_event *e = &v->ev;

	if (!cls->classes)
		return;
	record(l, false, e->pid, e->comm, &v->vm, e->hdr.ts_ns, e->in_cmd, e->in_kind, NULL,
	       v->hook, true,
	       e->uapi_argsz, false, 0, e->ief & ISC_IEF_RET ? e->ret : NO_RET, cls);
}

void auditlog__flush(struct isc_auditlog *l)
{
	int i;

	for (i = 0; i < l->nr; i++)
		if (l->e[i].count != l->e[i].written_count &&
		    write_entry(l, &l->e[i]) == -ENOSPC)
			break;	/* no point trying the rest now */
}

/* A class's column: at least 14 wide, and as wide as its name. */
static int class_width(int c)
{
	int n = (int)strlen(classify__name(c));

	return n > 14 ? n : 14;
}

void auditlog__summary(struct isc_auditlog *l, FILE *f)
{
	int i, c;

	fprintf(f, "%-40s %8s", "EXECUTABLE", "CALLS");
	for (c = 0; c < ISC_CLS_MAX; c++)
		fprintf(f, " %*s", class_width(c), classify__name(c));
	fputc('\n', f);
	for (i = 0; i < l->nr_x; i++) {
		const struct exe_stats *x = &l->x[i];
		size_t n = strlen(x->exe);

		fprintf(f, "%-40s %8llu", n > 40 ? x->exe + n - 40 : x->exe,
			(unsigned long long)x->calls);
		for (c = 0; c < ISC_CLS_MAX; c++)
			fprintf(f, " %*llu", class_width(c), (unsigned long long)x->by_class[c]);
		fputc('\n', f);
	}
}

uint64_t auditlog__written(const struct isc_auditlog *l)
{
	return l->written;
}

uint64_t auditlog__evicted(const struct isc_auditlog *l)
{
	return l->evicted;
}

int auditlog__owed(const struct isc_auditlog *l)
{
	int i, n = 0;

	for (i = 0; i < l->nr; i++)
		n += l->e[i].count != l->e[i].written_count;
	return n + (l->evict_lost ? 1 : 0);	/* forgotten unwritten: one record */
}

void auditlog__close(struct isc_auditlog *l)
{
	if (!l)
		return;
	logfile__close(&l->log);
	if (l->o.syslog)
		closelog();
	free(l->e);
	free(l->x);
	free(l);
}

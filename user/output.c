// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "output.h"

void output__init(struct isc_output *o, bool json, FILE *f)
{
	struct timespec mono, real;

	memset(o, 0, sizeof(*o));
	o->json = json;
	o->f = f;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	o->mono_to_real_ns = ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000ll +
			     (real.tv_nsec - mono.tv_nsec);
}

const char *output__hook_name(int hook)
{
	switch (hook) {
	case ISC_HOOK_TP:
		return "tracepoint";
	case ISC_HOOK_FENTRY:
		return "fentry";
	case ISC_HOOK_LSM:
		return "lsm";
	default:
		return "none";
	}
}

static const char *errno_name(int64_t ret)
{
	const char *n;

	if (ret >= 0 || ret < -4095)
		return NULL;
	n = strerrorname_np((int)-ret);
	return n ? n : "E?";
}

static void emit_json(struct json_object *obj, FILE *f)
{
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN), f);
	fputc('\n', f);
	json_object_put(obj);
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_i64(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void ioctl_json(struct isc_output *o, const struct isc_ioctl_view *v)
{
	const struct isc_ioctl_event *e = &v->ev;
	struct json_object *j = json_object_new_object();
	char flags[128];
	int i;

	add_str(j, "type", "ioctl");
	add_u64(j, "ts_ns", e->hdr.ts_ns);
	add_u64(j, "pid", e->pid);
	add_u64(j, "tid", e->tid);
	add_str(j, "comm", e->comm);
	add_u64(j, "cgroup_id", e->cgroup_id);
	if (e->iof & ISC_IOF_NO_FD)
		add_str(j, "fd", NULL);
	else
		add_i64(j, "fd", e->fd);
	add_str(j, "fd_kind", catalog__kind_name(e->fd_kind));
	add_u64(j, "cmd", e->cmd);
	add_str(j, "name", v->desc ? v->desc->name : NULL);
	if (v->has_argsz)
		add_u64(j, "argsz", v->argsz);
	else
		add_str(j, "argsz", NULL);
	if (v->has_flags) {
		add_u64(j, "flags", v->flags);
		add_str(j, "flags_names", catalog__flags_str(v->desc, v->flags, flags, sizeof(flags)));
	} else {
		add_str(j, "flags", NULL);
	}
	add_i64(j, "ret", e->ret);
	add_str(j, "errno", errno_name(e->ret));
	add_u64(j, "latency_ns", e->latency_ns);
	if (v->has_argsz_out)
		add_u64(j, "argsz_out", v->argsz_out);
	if (v->has_value)
		add_i64(j, v->value_key, v->value);
	if (v->str[0])
		add_str(j, "device_name", v->str);
	for (i = 0; i < v->nr_fields; i++)
		add_u64(j, v->field_keys[i], v->field_vals[i]);
	add_str(j, "hook", output__hook_name(e->entry_hook));
	emit_json(j, o->f);
}

static void ioctl_text(struct isc_output *o, const struct isc_ioctl_view *v)
{
	const struct isc_ioctl_event *e = &v->ev;
	int64_t real = (int64_t)e->hdr.ts_ns + o->mono_to_real_ns;
	char when[48], name[40], argsz[12], flags[128], ret[24], fd[12];
	time_t secs = real / 1000000000ll;
	const char *en = errno_name(e->ret);
	struct tm tm;
	int i;

	if (!o->header_done) {
		fprintf(o->f, "%-15s %-7s %-7s %-15s %4s %-9s %-34s %6s %-20s %-8s %9s %s\n",
			"TIME", "PID", "TID", "COMM", "FD", "KIND", "IOCTL", "ARGSZ", "FLAGS",
			"RET", "LAT(us)", "DETAILS");
		o->header_done = true;
	}
	localtime_r(&secs, &tm);
	snprintf(when, sizeof(when), "%02d:%02d:%02d.%06lld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long long)(real % 1000000000ll) / 1000);
	if (v->desc)
		snprintf(name, sizeof(name), "%s", v->desc->name);
	else
		snprintf(name, sizeof(name), "?0x%x", e->cmd);
	if (v->has_argsz)
		snprintf(argsz, sizeof(argsz), "%u", v->argsz);
	else
		snprintf(argsz, sizeof(argsz), "-");
	if (v->has_flags) {
		int n = snprintf(flags, sizeof(flags), "0x%x", v->flags);

		if (v->flags)
			snprintf(flags + n, sizeof(flags) - n, "<%s>",
				 catalog__flags_str(v->desc, v->flags, (char[96]){}, 96));
	} else {
		snprintf(flags, sizeof(flags), "-");
	}
	if (en)
		snprintf(ret, sizeof(ret), "%s", en);
	else
		snprintf(ret, sizeof(ret), "%lld", (long long)e->ret);
	if (e->iof & ISC_IOF_NO_FD)
		snprintf(fd, sizeof(fd), "?");
	else
		snprintf(fd, sizeof(fd), "%d", e->fd);
	fprintf(o->f, "%-15s %-7u %-7u %-15s %4s %-9s %-34s %6s %-20s %-8s %9.1f", when, e->pid,
		e->tid, e->comm, fd, catalog__kind_name(e->fd_kind), name, argsz, flags, ret,
		e->latency_ns / 1000.0);
	if (v->has_argsz_out)
		fprintf(o->f, " argsz_out=%u%s", v->argsz_out,
			v->has_argsz && v->argsz_out > v->argsz ? "(needs more room)" : "");
	if (v->has_value)
		fprintf(o->f, " %s=%lld", v->value_key, (long long)v->value);
	if (v->str[0])
		fprintf(o->f, " device=\"%s\"", v->str);
	for (i = 0; i < v->nr_fields; i++)
		fprintf(o->f, " %s=0x%llx", v->field_keys[i], (unsigned long long)v->field_vals[i]);
	fputc('\n', o->f);
}

void output__ioctl(struct isc_output *o, const struct isc_ioctl_view *v)
{
	if (o->json)
		ioctl_json(o, v);
	else
		ioctl_text(o, v);
}

void output__drops(struct isc_output *o, uint64_t new_drops, uint64_t total)
{
	struct json_object *j;

	if (!o->json) {
		fprintf(stderr, "iommuscope: warning: %llu events lost (ring buffer full), %llu in all\n",
			(unsigned long long)new_drops, (unsigned long long)total);
		return;
	}
	j = json_object_new_object();
	add_str(j, "type", "drops");
	add_u64(j, "count", new_drops);
	add_u64(j, "total", total);
	emit_json(j, o->f);
}

void output__summary(struct isc_output *o, const struct isc_summary *s)
{
	struct json_object *j;

	if (!o->json) {
		fprintf(stderr,
			"iommuscope: %llu events, %llu dropped, %llu invalid, mode %s, %.1f s\n",
			(unsigned long long)s->events, (unsigned long long)s->drops,
			(unsigned long long)s->invalid, s->mode, s->duration_ns / 1e9);
		return;
	}
	j = json_object_new_object();
	add_str(j, "type", "summary");
	add_str(j, "mode", s->mode);
	add_u64(j, "events", s->events);
	add_u64(j, "drops", s->drops);
	add_u64(j, "invalid", s->invalid);
	add_u64(j, "inflight_full", s->inflight_full);
	add_u64(j, "duration_ns", s->duration_ns);
	emit_json(j, o->f);
}

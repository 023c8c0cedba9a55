// SPDX-License-Identifier: GPL-2.0
/*
 * THE FROZEN REFERENCE: user/sink/output.c as it was at commit b67a0dd
 * (json-c for JSON, snprintf/fprintf for text), the output every later
 * sink must reproduce byte for byte. tests/unit/test_outeq.c prints every
 * record through both and compares. NEVER "fix" or "improve" anything in
 * this file, never reformat it, never port a change of output.c here: a
 * difference between the two is exactly what the test is there to catch.
 * If the output is ever meant to change, the change and this file's reason
 * to exist are a decision of their own (a new reference, a new commit id
 * above), not an edit here.
 *
 * What differs from the original, all of it mechanical:
 *  - every exported name is renamed, output__* -> ref_output__*, and
 *    struct isc_output -> struct ref_output (defined here, with the fields
 *    it had then), so this file links next to the real output.c; it is
 *    #included by test_outeq.c (no rule of its own, outside make lint and
 *    check-funclen like the rest of tests/unit/; every function here was
 *    within check-funclen's 80 lines when copied);
 *  - the two helpers of other files whose bytes end up in the output and
 *    which a faster sink is likely to rewrite, util.c's escape() (for
 *    str_escape and str_escape_quoted) and catalog.c's catalog__flags_str,
 *    are frozen below as ref_* copies (same commit), so a rewrite of them
 *    is compared too. Everything else (catalog and class names, errno
 *    names, the policy's reason names) is still called where it lives.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "output.h"
#include "util.h"
#include "policy_file.h"

/* struct isc_output at b67a0dd */
struct ref_output {
	bool json;
	FILE *f;
	int64_t mono_to_real_ns;	/* add to a kernel timestamp for wall time */
	bool header_done;
};

void ref_output__init(struct ref_output *o, bool json, FILE *f);
void ref_output__ioctl(struct ref_output *o, const struct isc_ioctl_view *v,
		       const struct isc_verdict *cls);
void ref_output__mismatch(struct ref_output *o, const struct isc_ioctl_view *v,
			  const struct isc_verdict *cls);
void ref_output__iommu(struct ref_output *o, const struct isc_iommu_view *v,
		       const struct isc_verdict *cls);
void ref_output__deny(struct ref_output *o, const struct isc_deny_view *v, const char *policy);
void ref_output__map_stats(struct ref_output *o, const struct isc_map_key *k,
			   const struct isc_map_stats *st);
void ref_output__drops(struct ref_output *o, uint64_t new_drops, uint64_t total);
void ref_output__summary(struct ref_output *o, const struct isc_summary *s);
const char *ref_output__hook_name(int hook);

/* ---- user/lib/util.c at b67a0dd: escape(), str_escape(), str_escape_quoted() ---- */
static const char *ref_escape(const char *s, size_t max, char *out, size_t len, bool quoted)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (!len)
		return out;
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 5 > len)
			break;
		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c >= 0x20 && c < 0x7f && (!quoted || c != '"')) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static const char *ref_str_escape(const char *s, size_t max, char *out, size_t len)
{
	return ref_escape(s, max, out, len, false);
}

static const char *ref_str_escape_quoted(const char *s, size_t max, char *out, size_t len)
{
	return ref_escape(s, max, out, len, true);
}

/* ---- user/decode/catalog.c at b67a0dd: catalog__flags_str() ---- */
static char *ref_catalog__flags_str(const struct isc_ioctl_desc *d, uint32_t flags, char *buf, size_t len)
{
	uint32_t left = flags;
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; d && i < d->nr_flags && n < len; i++) {
		const struct isc_flag_desc *f = &d->flags[i];

		if ((flags & f->value) != f->value)
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", f->name);
		left &= ~f->value;
	}
	if (left && n < len)
		snprintf(buf + n, len - n, "%s0x%x", n ? "|" : "", left);
	return buf;
}

/* ---- user/sink/output.c at b67a0dd, names changed as said above ---- */

void ref_output__init(struct ref_output *o, bool json, FILE *f)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->f = f;
	o->mono_to_real_ns = mono_to_real_ns();
}

const char *ref_output__hook_name(int hook)
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

/* Every key here is a string literal or a catalog name (static storage):
 * json-c keeps the pointer instead of copying the key for each record. */
static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	add(o, k, json_object_new_uint64(v));
}

static void add_i64(struct json_object *o, const char *k, int64_t v)
{
	add(o, k, json_object_new_int64(v));
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	add(o, k, v ? json_object_new_string(v) : NULL);
}

/* A command name as it may be printed (str_escape), in one of four
 * buffers used in turn: valid through the next three calls, enough for
 * the names of one record. */
static const char *COMM(const char *comm)
{
	static char buf[4][ISC_ESCAPED_LEN(ISC_COMM_LEN)];
	static unsigned int next;

	return ref_str_escape(comm, ISC_COMM_LEN, buf[next++ % 4], sizeof(buf[0]));
}

/* A new JSON record led by what every per-task record has. */
static struct json_object *task_record(const char *type, uint64_t ts_ns, uint32_t pid,
				       uint32_t tid, const char *comm)
{
	struct json_object *j = json_object_new_object();

	add_str(j, "type", type);
	add_u64(j, "ts_ns", ts_ns);
	add_u64(j, "pid", pid);
	add_u64(j, "tid", tid);
	add_str(j, "comm", COMM(comm));
	return j;
}

/* The caller's VM (added with the vm fields; known only live). */
static void ref_add_vm(struct json_object *j, const struct isc_vm *vm)
{
	if (!vm->source)
		return;
	add_str(j, "vm", vm->name);
	add_str(j, "vm_source", vm__source_name(vm->source));
	if (vm->pod[0])
		add_str(j, "vm_pod", vm->pod);
}

static void ref_print_vm(FILE *f, const struct isc_vm *vm)
{
	if (!vm->source)
		return;
	fprintf(f, " vm=%s vm_source=%s", vm->name, vm__source_name(vm->source));
	if (vm->pod[0])
		fprintf(f, " vm_pod=%s", vm->pod);
}

static void add_verdict(struct json_object *j, const struct isc_verdict *cls)
{
	struct json_object *all = json_object_new_array();
	int c;

	add_str(j, "class", classify__primary(cls->classes));
	for (c = 0; c < ISC_CLS_MAX; c++)
		if (cls->classes & ISC_CLS(c))
			json_object_array_add(all, json_object_new_string(classify__name(c)));
	add(j, "classes", all);
	if (cls->explain[0])
		add_str(j, "explain", cls->explain);
	if (cls->kernel_size)
		add_u64(j, "kernel_size", cls->kernel_size);
	if (cls->bad_bits)
		add_u64(j, "bad_flags", cls->bad_bits);
	if (cls->built_against[0])
		add_str(j, "built_against", cls->built_against);
}

/* a device fd's device (events.h struct isc_dev_id) */
static void add_device(struct json_object *j, const struct isc_dev_id *d)
{
	char name[ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN)];

	add_str(j, "device", ref_str_escape(d->name, sizeof(d->name), name, sizeof(name)));
	if (d->iommu_group >= 0)
		add_i64(j, "iommu_group", d->iommu_group);
	else
		add_str(j, "iommu_group", NULL);
}

static void ioctl_json(struct ref_output *o, const struct isc_ioctl_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_ioctl_event *e = &v->ev;
	struct json_object *j = task_record("ioctl", e->hdr.ts_ns, e->pid, e->tid, e->comm);
	char flags[128], str[ISC_ESCAPED_LEN(ISC_ARG_HEAD)];
	int i;

	add_u64(j, "cgroup_id", e->cgroup_id);
	ref_add_vm(j, &v->vm);
	if (e->iof & ISC_IOF_NO_FD)
		add_str(j, "fd", NULL);
	else
		add_i64(j, "fd", e->fd);
	add_str(j, "fd_kind", catalog__kind_name(e->fd_kind));
	if (v->has_device)
		add_device(j, &e->dev);
	add_u64(j, "cmd", e->cmd);
	add_str(j, "name", v->desc ? v->desc->name : NULL);
	if (v->has_argsz)
		add_u64(j, "argsz", v->argsz);
	else
		add_str(j, "argsz", NULL);
	if (v->has_flags) {
		add_u64(j, "flags", v->flags);
		add_str(j, "flags_names", ref_catalog__flags_str(v->desc, v->flags, flags, sizeof(flags)));
	} else {
		add_str(j, "flags", NULL);
	}
	add_i64(j, "ret", e->ret);
	add_str(j, "errno", errno_name(e->ret));
	add_u64(j, "latency_ns", e->latency_ns);
	if (v->has_argsz_out)
		add_u64(j, "argsz_out", v->argsz_out);
	if (v->has_flags_out) {
		add_u64(j, "flags_out", v->flags_out);
		add_str(j, "flags_out_names",
			ref_catalog__flags_str(v->desc, v->flags_out, flags, sizeof(flags)));
	}
	if (v->caps_walked) {
		struct json_object *caps = json_object_new_array();

		for (i = 0; i < v->nr_caps; i++) {
			struct json_object *c = json_object_new_object();

			add_u64(c, "id", v->cap_id[i]);
			add_str(c, "name", v->cap_name[i]);
			add_u64(c, "version", v->cap_version[i]);
			json_object_array_add(caps, c);
		}
		add(j, "caps", caps);
		if (v->caps_error)
			add_str(j, "caps_error", v->caps_error);
	}
	if (v->has_value)
		add_i64(j, v->value_key, v->value);
	if (v->str[0])
		add_str(j, "device_name", ref_str_escape(v->str, sizeof(v->str), str, sizeof(str)));
	for (i = 0; i < v->nr_fields; i++)
		add_u64(j, v->field_keys[i], v->field_vals[i]);
	add_str(j, "hook", ref_output__hook_name(e->entry_hook));
	if (cls)
		add_verdict(j, cls);
	emit_json(j, o->f);
}

static void text_header(struct ref_output *o)
{
	if (o->header_done)
		return;
	fprintf(o->f, "%-15s %-7s %-7s %-15s %4s %-9s %-34s %6s %-20s %-8s %9s %s\n", "TIME",
		"PID", "TID", "COMM", "FD", "KIND", "IOCTL", "ARGSZ", "FLAGS", "RET", "LAT(us)",
		"DETAILS");
	o->header_done = true;
}

/* HH:MM:SS.uuuuuu local time of a kernel CLOCK_MONOTONIC timestamp. */
static void text_time(struct ref_output *o, uint64_t ts_ns, char *buf, size_t len)
{
	/* unsigned: a bogus timestamp wraps instead of overflowing */
	uint64_t real = ts_ns + (uint64_t)o->mono_to_real_ns;
	time_t secs = (time_t)(real / 1000000000ULL);
	/* records come in bursts within one second: convert each second once */
	static time_t last_secs = -1;
	static char hms[12];
	struct tm tm;

	if (secs != last_secs) {
		if (!localtime_r(&secs, &tm)) {
			snprintf(buf, len, "?");
			return;
		}
		snprintf(hms, sizeof(hms), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
		last_secs = secs;
	}
	snprintf(buf, len, "%s.%06llu", hms, (unsigned long long)(real % 1000000000ULL) / 1000);
}

static void ioctl_text(struct ref_output *o, const struct isc_ioctl_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_ioctl_event *e = &v->ev;
	char when[48], name[40], argsz[12], flags[128], ret[24], fd[12];
	char str[ISC_ESCAPED_LEN(ISC_ARG_HEAD)];
	const char *en = errno_name(e->ret);
	int i;

	text_header(o);
	text_time(o, e->hdr.ts_ns, when, sizeof(when));
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
				 ref_catalog__flags_str(v->desc, v->flags, (char[96]){}, 96));
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
		e->tid, COMM(e->comm), fd, catalog__kind_name(e->fd_kind), name, argsz, flags, ret,
		e->latency_ns / 1000.0);
	if (v->has_device) {
		fprintf(o->f, " device=\"%s\" iommu_group=",
			ref_str_escape_quoted(e->dev.name, sizeof(e->dev.name), str, sizeof(str)));
		if (e->dev.iommu_group >= 0)
			fprintf(o->f, "%d", e->dev.iommu_group);
		else
			fputc('-', o->f);
	}
	if (v->has_argsz_out)
		fprintf(o->f, " argsz_out=%u%s", v->argsz_out,
			v->has_argsz && v->argsz_out > v->argsz ? "(needs more room)" : "");
	for (i = 0; i < v->nr_caps; i++) {
		fprintf(o->f, "%s", i ? "," : " caps=");
		if (v->cap_name[i])
			fprintf(o->f, "%s", v->cap_name[i]);
		else
			fprintf(o->f, "%u", v->cap_id[i]);
		fprintf(o->f, "/v%u", v->cap_version[i]);
	}
	if (v->caps_error)
		fprintf(o->f, " caps_error=\"%s\"", v->caps_error);
	if (cls && cls->classes)
		fprintf(o->f, " [%s: %s]", classify__primary(cls->classes), cls->explain);
	if (v->has_value)
		fprintf(o->f, " %s=%lld", v->value_key, (long long)v->value);
	if (v->str[0])
		fprintf(o->f, " device=\"%s\"", ref_str_escape_quoted(v->str, sizeof(v->str), str,
								   sizeof(str)));
	for (i = 0; i < v->nr_fields; i++)
		fprintf(o->f, " %s=0x%llx", v->field_keys[i], (unsigned long long)v->field_vals[i]);
	ref_print_vm(o->f, &v->vm);
	fputc('\n', o->f);
}

void ref_output__ioctl(struct ref_output *o, const struct isc_ioctl_view *v,
		   const struct isc_verdict *cls)
{
	if (o->json)
		ioctl_json(o, v, cls);
	else
		ioctl_text(o, v, cls);
}

void ref_output__mismatch(struct ref_output *o, const struct isc_ioctl_view *v,
		      const struct isc_verdict *cls)
{
	const struct isc_ioctl_event *e = &v->ev;
	struct json_object *j;
	char when[48];

	if (!o->json) {
		text_header(o);
		text_time(o, e->hdr.ts_ns, when, sizeof(when));
		fprintf(o->f, "%-15s %-7u %-7u %-15s %4d %-9s %-34s %6u %-20s %-8s %9s [%s: %s]",
			when, e->pid, e->tid, COMM(e->comm), e->fd, catalog__kind_name(e->fd_kind),
			v->desc ? v->desc->name : "?", v->argsz, "-", "MISMATCH", "-",
			classify__primary(cls->classes), cls->explain);
		ref_print_vm(o->f, &v->vm);
		fputc('\n', o->f);
		return;
	}
	j = task_record("mismatch", e->hdr.ts_ns, e->pid, e->tid, e->comm);
	ref_add_vm(j, &v->vm);
	add_i64(j, "fd", e->fd);
	add_str(j, "fd_kind", catalog__kind_name(e->fd_kind));
	add_u64(j, "cmd", e->cmd);
	add_str(j, "name", v->desc ? v->desc->name : NULL);
	add_u64(j, "argsz", v->argsz);
	if (v->has_argsz_out)
		add_u64(j, "argsz_out", v->argsz_out);
	add_verdict(j, cls);
	if (cls->need)
		add_u64(j, "need", cls->need);
	emit_json(j, o->f);
}

/* The iommufd-era fields, each group where the kernel side filled it. */
static void iommufd_json(struct json_object *j, const struct isc_iommu_event *e)
{
	char dom[24];

	if (e->ief & ISC_IEF_HWPT)
		add_u64(j, "hwpt_id", e->hwpt_id);
	if (e->ief & ISC_IEF_FAULTQ)
		add_u64(j, "fault_id", e->fault_id);
	if (e->ief & ISC_IEF_PARENT) {
		snprintf(dom, sizeof(dom), "0x%llx", (unsigned long long)e->parent);
		add_str(j, "parent", dom);
	}
	if (e->ief & ISC_IEF_DATA) {
		add_u64(j, "flags", e->flags);
		add_u64(j, "data_type", e->data_type);
		add_u64(j, "data_len", e->data_len);
	}
	if (e->ief & ISC_IEF_ENTRIES) {
		add_u64(j, "data_type", e->data_type);
		add_u64(j, "entry_len", e->data_len);
		add_u64(j, "entry_num", e->entry_num);
		add_u64(j, "entry_done", e->entry_done);
	}
	if (e->ief & ISC_IEF_COUNT)
		add_u64(j, "fault_count", e->count);
	if (e->ief & ISC_IEF_RESPONSE) {
		add_u64(j, "code", e->code);
		add_u64(j, "cookie", e->cookie);
	}
}

static void iommufd_text(struct ref_output *o, const struct isc_iommu_event *e)
{
	if (e->ief & ISC_IEF_HWPT)
		fprintf(o->f, " hwpt=%u", e->hwpt_id);
	if (e->ief & ISC_IEF_FAULTQ)
		fprintf(o->f, " fault_id=%u", e->fault_id);
	if (e->ief & ISC_IEF_PARENT)
		fprintf(o->f, " parent=0x%llx", (unsigned long long)e->parent);
	if (e->ief & ISC_IEF_DATA)
		fprintf(o->f, " flags=0x%x data_type=%u data_len=%u", e->flags, e->data_type,
			e->data_len);
	if (e->ief & ISC_IEF_ENTRIES)
		fprintf(o->f, " data_type=%u entry_len=%u entry_num=%u done=%u", e->data_type,
			e->data_len, e->entry_num, e->entry_done);
	if (e->ief & ISC_IEF_COUNT)
		fprintf(o->f, " faults=%u", e->count);
	if (e->ief & ISC_IEF_RESPONSE)
		fprintf(o->f, " code=%u cookie=%u", e->code, e->cookie);
}

static void iommu_json(struct ref_output *o, const struct isc_iommu_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_iommu_event *e = &v->ev;
	struct json_object *j = task_record("iommu", e->hdr.ts_ns, e->pid, e->tid, e->comm);
	char dom[24];

	add_str(j, "op", v->op);
	add_str(j, "hook", v->hook);
	add_u64(j, "cgroup_id", e->cgroup_id);
	ref_add_vm(j, &v->vm);
	add_str(j, "device", v->device[0] ? v->device : NULL);
	if (v->group >= 0)
		add_i64(j, "group", v->group);
	else
		add_str(j, "group", NULL);
	if (e->domain) {
		snprintf(dom, sizeof(dom), "0x%llx", (unsigned long long)e->domain);
		add_str(j, "domain", dom);
		add_u64(j, "domain_type", e->domain_type);
	} else {
		add_str(j, "domain", NULL);
	}
	if (e->ief & ISC_IEF_RET) {
		add_i64(j, "ret", e->ret);
		add_str(j, "errno", errno_name(e->ret));
	}
	if (e->op == ISC_IOMMU_INVALIDATE || e->op == ISC_IOMMU_FAULT ||
	    e->op == ISC_IOMMU_FAULT_RESPONSE) {
		add_u64(j, "iova", e->iova);
		if (e->op == ISC_IOMMU_INVALIDATE && !(e->ief & ISC_IEF_ENTRIES))
			add_u64(j, "size", e->size);
	}
	if (e->op == ISC_IOMMU_FAULT || e->op == ISC_IOMMU_FAULT_RESPONSE) {
		add_str(j, "access", e->ief & ISC_IEF_WRITE ? "write" : "read");
		if (e->hook == ISC_IH_DMAR_FAULT)
			add_u64(j, "fault_reason", e->fault_reason);
	}
	if (e->ief & ISC_IEF_PASID)
		add_u64(j, "pasid", e->pasid);
	if (e->ief & ISC_IEF_UAPI) {
		add_u64(j, "uapi_argsz", e->uapi_argsz);
		add_u64(j, "uapi_version", e->uapi_version);
		if (cls)
			add_verdict(j, cls);
	}
	iommufd_json(j, e);
	add_str(j, "in_ioctl", v->in_ioctl ? v->in_ioctl->name : NULL);
	if (v->owner_pid) {
		add_u64(j, "owner_pid", v->owner_pid);
		add_str(j, "owner_comm", COMM(v->owner_comm));
	}
	emit_json(j, o->f);
}

static void iommu_text(struct ref_output *o, const struct isc_iommu_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_iommu_event *e = &v->ev;
	char when[48], op[16], ret[24];
	const char *en = errno_name(e->ret);
	size_t i;

	text_header(o);
	text_time(o, e->hdr.ts_ns, when, sizeof(when));
	for (i = 0; i < sizeof(op) - 1 && v->op[i]; i++)
		op[i] = (char)toupper((unsigned char)v->op[i]);
	op[i] = '\0';
	if (!(e->ief & ISC_IEF_RET))
		snprintf(ret, sizeof(ret), "-");
	else if (en)
		snprintf(ret, sizeof(ret), "%s", en);
	else
		snprintf(ret, sizeof(ret), "%lld", (long long)e->ret);
	fprintf(o->f, "%-15s %-7u %-7u %-15s %4s %-9s %-34s %6s %-20s %-8s %9s", when, e->pid,
		e->tid, COMM(e->comm), "-", "iommu", op, "-", "-", ret, "-");
	if (v->device[0])
		fprintf(o->f, " device=%s", v->device);
	if (v->group >= 0)
		fprintf(o->f, " group=%d", v->group);
	if (e->op == ISC_IOMMU_INVALIDATE && !(e->ief & ISC_IEF_ENTRIES))
		fprintf(o->f, " iova=0x%llx size=0x%llx", (unsigned long long)e->iova,
			(unsigned long long)e->size);
	if (e->op == ISC_IOMMU_FAULT || e->op == ISC_IOMMU_FAULT_RESPONSE)
		fprintf(o->f, " iova=0x%llx access=%s", (unsigned long long)e->iova,
			e->ief & ISC_IEF_WRITE ? "write" : "read");
	iommufd_text(o, e);
	if (e->hook == ISC_IH_DMAR_FAULT)
		fprintf(o->f, " reason=0x%x", e->fault_reason);
	if (e->ief & ISC_IEF_PASID)
		fprintf(o->f, " pasid=%u", e->pasid);
	if (e->ief & ISC_IEF_UAPI)
		fprintf(o->f, " uapi_argsz=%u uapi_version=%u", e->uapi_argsz, e->uapi_version);
	if (v->in_ioctl)
		fprintf(o->f, " in=%s", v->in_ioctl->name);
	if (v->owner_pid && v->owner_pid != e->pid)
		fprintf(o->f, " owner=%u(%s)", v->owner_pid, COMM(v->owner_comm));
	fprintf(o->f, " via=%s", v->hook);
	if (cls && cls->classes)
		fprintf(o->f, " [%s: %s]", classify__primary(cls->classes), cls->explain);
	ref_print_vm(o->f, &v->vm);
	fputc('\n', o->f);
}

static const char *enforce_hook_name(int hook)
{
	switch (hook) {
	case ISC_EH_FILE_IOCTL:
		return "lsm/file_ioctl";
	case ISC_EH_FILE_IOCTL_COMPAT:
		return "lsm/file_ioctl_compat";
	case ISC_EH_HANDLER:
		return "handler";
	default:
		return "exit";
	}
}

/* A denial (or, in audit-only mode, what would have been one) or a race. */
void ref_output__deny(struct ref_output *o, const struct isc_deny_view *v, const char *policy)
{
	const struct isc_deny_event *e = &v->ev;
	const char *name = v->desc ? v->desc->name : NULL;
	const char *reason = policy__reason_name(e->reason);
	const char *en = e->err ? strerrorname_np(e->err) : NULL;
	char flags[128], later[128], cmd[16], when[48], rule[300], dev[160] = "";
	char dname[ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN)];
	struct json_object *j;

	snprintf(cmd, sizeof(cmd), "0x%x", e->cmd);
	if (v->desc) {
		ref_catalog__flags_str(v->desc, e->flags, flags, sizeof(flags));
		ref_catalog__flags_str(v->desc, e->flags_later, later, sizeof(later));
	} else {
		snprintf(flags, sizeof(flags), "0x%x", e->flags);
		snprintf(later, sizeof(later), "0x%x", e->flags_later);
	}
	if (e->line)
		snprintf(rule, sizeof(rule), "%s:%u", policy ? policy : "policy", e->line);
	else
		snprintf(rule, sizeof(rule), "%s", e->reason == ISC_DENY_UNREADABLE ?
			 "set unreadable" : e->reason == ISC_DENY_UNCLASSIFIED ?
			 "set unclassified deny (the default)" : e->reason == ISC_DENY_NO_POLICY ?
			 "no policy in the slot" : "built-in (catalog)");
	if (o->json) {
		j = task_record(v->race ? "race" : "deny", e->hdr.ts_ns, e->pid, e->tid, e->comm);
		add_u64(j, "uid", e->uid);
		add_u64(j, "cgroup_id", e->cgroup_id);
		ref_add_vm(j, &v->vm);
		add_str(j, "ioctl", name ? name : cmd);
		add_u64(j, "cmd", e->cmd);
		add_str(j, "fd_kind", catalog__kind_name(e->fd_kind));
		if (v->has_device)
			add_device(j, &e->dev);
		add_u64(j, "argsz", e->argsz);
		add_u64(j, "flags", e->flags);
		add_str(j, "flags_names", flags[0] ? flags : NULL);
		add_u64(j, "bad_flags", e->bad);
		add_str(j, "reason", reason);
		add_str(j, "rule", rule);
		add_u64(j, "generation", e->generation);
		add_str(j, "hook", enforce_hook_name(e->hook));
		add_u64(j, "suppressed", e->suppressed);
		if (v->race) {
			add_u64(j, "flags_later", e->flags_later);
			json_object_object_add(j, "killed", json_object_new_boolean(e->killed));
		} else {
			add_str(j, "action", e->audit_only ? "audit" : "deny");
			add_str(j, "errno", en);
		}
		emit_json(j, o->f);
		return;
	}
	text_time(o, e->hdr.ts_ns, when, sizeof(when));
	if (e->suppressed)
		snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule), "; %u like it before not logged (log-rate)", e->suppressed);
	if (v->race)
		fprintf(o->f, "%s RACE %s[%u/%u] uid %u %s on %s fd: flags %s at the check, %s at the %s: %s%s",
			when, COMM(e->comm), e->pid, e->tid, e->uid, name ? name : cmd,
			catalog__kind_name(e->fd_kind), flags[0] ? flags : "0",
			later[0] ? later : "0", enforce_hook_name(e->hook), reason,
			e->killed ? " -> SIGKILL" : "");
	if (v->has_device && e->dev.iommu_group >= 0)
		snprintf(dev, sizeof(dev), " %s (iommu group %d)",
			 ref_str_escape(e->dev.name, sizeof(e->dev.name), dname, sizeof(dname)),
			 e->dev.iommu_group);
	else if (v->has_device)
		snprintf(dev, sizeof(dev), " %s",
			 ref_str_escape(e->dev.name, sizeof(e->dev.name), dname, sizeof(dname)));
	if (!v->race)
		fprintf(o->f, "%s %s %s[%u/%u] uid %u %s on %s fd%s: argsz %u flags %s bad 0x%x: %s (%s)%s%s",
			when, e->audit_only ? "AUDIT" : "DENY", COMM(e->comm), e->pid, e->tid, e->uid,
			name ? name : cmd, catalog__kind_name(e->fd_kind), dev, e->argsz,
			flags[0] ? flags : "0", e->bad, reason, rule, en ? " -> " : "",
			en ? en : (e->audit_only ? " -> allowed (audit only)" : ""));
	ref_print_vm(o->f, &v->vm);
	fputc('\n', o->f);
}

void ref_output__iommu(struct ref_output *o, const struct isc_iommu_view *v,
		   const struct isc_verdict *cls)
{
	if (o->json)
		iommu_json(o, v, cls);
	else
		iommu_text(o, v, cls);
}

void ref_output__map_stats(struct ref_output *o, const struct isc_map_key *k,
		       const struct isc_map_stats *st)
{
	const struct isc_ioctl_desc *d = catalog__lookup(k->cmd, k->fd_kind);
	struct json_object *j;
	char cmd[16];

	snprintf(cmd, sizeof(cmd), "0x%x", k->cmd);
	if (!o->json) {
		fprintf(stderr,
			"iommuscope: %u (%s) in %s: %llu maps, %llu bytes; %llu unmaps, %llu bytes\n",
			k->tgid, COMM(st->comm), d ? d->name : cmd, (unsigned long long)st->map_calls,
			(unsigned long long)st->map_bytes, (unsigned long long)st->unmap_calls,
			(unsigned long long)st->unmap_bytes);
		return;
	}
	j = json_object_new_object();
	add_str(j, "type", "iommu_map");
	add_u64(j, "pid", k->tgid);
	add_str(j, "comm", COMM(st->comm));
	add_str(j, "ioctl", d ? d->name : cmd);
	add_u64(j, "map_calls", st->map_calls);
	add_u64(j, "map_bytes", st->map_bytes);
	add_u64(j, "unmap_calls", st->unmap_calls);
	add_u64(j, "unmap_bytes", st->unmap_bytes);
	emit_json(j, o->f);
}

void ref_output__drops(struct ref_output *o, uint64_t new_drops, uint64_t total)
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

void ref_output__summary(struct ref_output *o, const struct isc_summary *s)
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

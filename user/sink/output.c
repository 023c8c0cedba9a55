// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <string.h>
#include <time.h>
#include "output.h"
#include "util.h"
#include "policy_file.h"

void output__init(struct isc_output *o, bool json, FILE *f)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->f = f;
	jw__init(&o->w, f);
	o->mono_to_real_ns = mono_to_real_ns();
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

/* A command name as it may be printed (str_escape), in one of four
 * buffers used in turn: valid through the next three calls, enough for
 * the names of one record. */
static const char *COMM(const char *comm)
{
	static char buf[4][ISC_ESCAPED_LEN(ISC_COMM_LEN)];
	static unsigned int next;

	return str_escape(comm, ISC_COMM_LEN, buf[next++ % 4], sizeof(buf[0]));
}

/* A new JSON record led by what every per-task record has. */
static struct isc_jw *task_record(struct isc_output *o, const char *type, uint64_t ts_ns,
				  uint32_t pid, uint32_t tid, const char *comm)
{
	struct isc_jw *w = &o->w;

	jw__begin(w);
	jw__str(w, JW_K("type"), type);
	jw__u64(w, JW_K("ts_ns"), ts_ns);
	jw__u64(w, JW_K("pid"), pid);
	jw__u64(w, JW_K("tid"), tid);
	jw__str(w, JW_K("comm"), COMM(comm));
	return w;
}

/* The caller's VM (vm.h; known only live): "vm", "vm_source" and, for a
 * pod, "vm_pod". The name is made safe where it is derived. */
static void add_vm(struct isc_jw *w, const struct isc_vm *vm)
{
	if (vm->source == ISC_VM_NONE)
		return;
	jw__str(w, JW_K("vm"), vm->name);
	jw__str(w, JW_K("vm_source"), vm__source_name(vm->source));
	if (vm->pod[0])
		jw__str(w, JW_K("vm_pod"), vm->pod);
}

/* The same as text fields: " vm=NAME vm_source=SRC[ vm_pod=UID]", or "". */
static const char *vm_text(const struct isc_vm *vm, char *buf, size_t len)
{
	if (vm->source == ISC_VM_NONE)
		buf[0] = '\0';
	else
		snprintf(buf, len, " vm=%s vm_source=%s%s%s", vm->name,
			 vm__source_name(vm->source), vm->pod[0] ? " vm_pod=" : "", vm->pod);
	return buf;
}

static void add_verdict(struct isc_jw *w, const struct isc_verdict *cls)
{
	int c;

	jw__str(w, JW_K("class"), classify__primary(cls->classes));
	jw__arr_begin(w, JW_K("classes"));
	for (c = 0; c < ISC_CLS_MAX; c++)
		if (cls->classes & ISC_CLS(c))
			jw__str(w, JW_NONE, classify__name(c));
	jw__arr_end(w);
	if (cls->explain[0])
		jw__str(w, JW_K("explain"), cls->explain);
	if (cls->kernel_size)
		jw__u64(w, JW_K("kernel_size"), cls->kernel_size);
	if (cls->bad_bits)
		jw__u64(w, JW_K("bad_flags"), cls->bad_bits);
	if (cls->built_against[0])
		jw__str(w, JW_K("built_against"), cls->built_against);
}

/* The capability chain of an INFO reply, where it was read. */
static void add_caps(struct isc_jw *w, const struct isc_ioctl_view *v)
{
	int i;

	jw__arr_begin(w, JW_K("caps"));
	for (i = 0; i < v->nr_caps; i++) {
		jw__obj_begin(w, JW_NONE);
		jw__u64(w, JW_K("id"), v->cap_id[i]);
		jw__str(w, JW_K("name"), v->cap_name[i]);
		jw__u64(w, JW_K("version"), v->cap_version[i]);
		jw__obj_end(w);
	}
	jw__arr_end(w);
	if (v->caps_error)
		jw__str(w, JW_K("caps_error"), v->caps_error);
}

/* A device fd's device: "device" (dev_name(), escaped) and "iommu_group"
 * (null: the device has none). */
static void device_json(struct isc_jw *w, const struct isc_dev_id *d)
{
	char name[ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN)];

	jw__str(w, JW_K("device"), str_escape(d->name, sizeof(d->name), name, sizeof(name)));
	if (d->iommu_group >= 0)
		jw__i64(w, JW_K("iommu_group"), d->iommu_group);
	else
		jw__str(w, JW_K("iommu_group"), NULL);
}

static void ioctl_json(struct isc_output *o, const struct isc_ioctl_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_ioctl_event *e = &v->ev;
	struct isc_jw *w = task_record(o, "ioctl", e->hdr.ts_ns, e->pid, e->tid, e->comm);
	char flags[128], str[ISC_ESCAPED_LEN(ISC_ARG_HEAD)];
	int i;

	jw__u64(w, JW_K("cgroup_id"), e->cgroup_id);
	add_vm(w, &v->vm);
	if (e->iof & ISC_IOF_NO_FD)
		jw__str(w, JW_K("fd"), NULL);
	else
		jw__i64(w, JW_K("fd"), e->fd);
	jw__str(w, JW_K("fd_kind"), catalog__kind_name(e->fd_kind));
	if (v->has_device)
		device_json(w, &e->dev);
	jw__u64(w, JW_K("cmd"), e->cmd);
	jw__str(w, JW_K("name"), v->desc ? v->desc->name : NULL);
	if (v->has_argsz)
		jw__u64(w, JW_K("argsz"), v->argsz);
	else
		jw__str(w, JW_K("argsz"), NULL);
	if (v->has_flags) {
		jw__u64(w, JW_K("flags"), v->flags);
		jw__str(w, JW_K("flags_names"),
			catalog__flags_str(v->desc, v->flags, flags, sizeof(flags)));
	} else {
		jw__str(w, JW_K("flags"), NULL);
	}
	jw__i64(w, JW_K("ret"), e->ret);
	jw__str(w, JW_K("errno"), errno_name(e->ret));
	jw__u64(w, JW_K("latency_ns"), e->latency_ns);
	if (v->has_argsz_out)
		jw__u64(w, JW_K("argsz_out"), v->argsz_out);
	if (v->has_flags_out) {
		jw__u64(w, JW_K("flags_out"), v->flags_out);
		jw__str(w, JW_K("flags_out_names"),
			catalog__flags_str(v->desc, v->flags_out, flags, sizeof(flags)));
	}
	if (v->caps_walked)
		add_caps(w, v);
	if (v->has_value)
		jw__i64(w, JW_D(v->value_key), v->value);
	if (v->str[0])
		jw__str(w, JW_K("device_name"), str_escape(v->str, sizeof(v->str), str, sizeof(str)));
	for (i = 0; i < v->nr_fields; i++)
		jw__u64(w, JW_D(v->field_keys[i]), v->field_vals[i]);
	jw__str(w, JW_K("hook"), output__hook_name(e->entry_hook));
	if (cls)
		add_verdict(w, cls);
	jw__end(w);
}

static void text_header(struct isc_output *o)
{
	if (o->header_done)
		return;
	fprintf(o->f, "%-15s %-7s %-7s %-15s %4s %-9s %-34s %6s %-20s %-8s %9s %s\n", "TIME",
		"PID", "TID", "COMM", "FD", "KIND", "IOCTL", "ARGSZ", "FLAGS", "RET", "LAT(us)",
		"DETAILS");
	o->header_done = true;
}

/* HH:MM:SS.uuuuuu local time of a kernel CLOCK_MONOTONIC timestamp ("?"
 * if it has none) into buf (ISC_TIME_LEN). Returns its length. */
#define ISC_TIME_LEN 24
static size_t text_time(struct isc_output *o, uint64_t ts_ns, char *buf)
{
	/* unsigned: a bogus timestamp wraps instead of overflowing */
	uint64_t real = ts_ns + (uint64_t)o->mono_to_real_ns;
	time_t secs = (time_t)(real / 1000000000ULL);
	unsigned int us = (unsigned int)(real % 1000000000ULL / 1000), i;
	/* records come in bursts within one second: convert each second once */
	static time_t last_secs = -1;
	static char hms[12];
	static size_t hms_len;
	struct tm tm;

	if (secs != last_secs) {
		if (!localtime_r(&secs, &tm)) {
			memcpy(buf, "?", 2);
			return 1;
		}
		snprintf(hms, sizeof(hms), "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
		hms_len = strlen(hms);
		last_secs = secs;
	}
	memcpy(buf, hms, hms_len);
	buf[hms_len] = '.';
	for (i = 6; i > 0; i--, us /= 10)
		buf[hms_len + i] = (char)('0' + us % 10);
	buf[hms_len + 7] = '\0';
	return hms_len + 7;
}

/* The columns TIME PID TID COMM, each followed by a space. */
static void text_task(struct isc_output *o, uint64_t ts_ns, uint32_t pid, uint32_t tid,
		      const char *comm)
{
	struct isc_jw *w = &o->w;
	char when[ISC_TIME_LEN];

	jw__pad(w, when, text_time(o, ts_ns, when), 15, false);
	jw__putc(w, ' ');
	jw__pad_u64(w, pid, 7);
	jw__putc(w, ' ');
	jw__pad_u64(w, tid, 7);
	jw__putc(w, ' ');
	comm = COMM(comm);
	jw__pad(w, comm, strlen(comm), 15, false);
	jw__putc(w, ' ');
}

/* A latency in ns as "%9.1f" of microseconds prints it. */
static void text_latency(struct isc_jw *w, uint64_t ns)
{
	char d[48];
	uint64_t tenths = ns / 100 + (ns % 100 > 50);
	size_t n;

	/* a tie (x.x5 us) rounds as its binary double lies; beyond 2^53 ns
	 * the double is not exact: both as printf does */
	if (ns % 100 == 50 || ns >= 1ULL << 53) {
		n = (size_t)snprintf(d, sizeof(d), "%9.1f", ns / 1000.0);
		jw__put(w, d, n < sizeof(d) ? n : sizeof(d) - 1);
		return;
	}
	n = fmt_u64(d, tenths / 10);
	d[n++] = '.';
	d[n++] = (char)('0' + tenths % 10);
	jw__pad(w, d, n, 9, true);
}

/* The FLAGS column: 0x..<NAME|NAME>, or "-". Returns its length. */
static size_t text_flags(const struct isc_ioctl_view *v, char *buf)
{
	char names[96];
	size_t n, l;

	if (!v->has_flags) {
		buf[0] = '-';
		return 1;
	}
	buf[0] = '0';
	buf[1] = 'x';
	n = 2 + fmt_hex(buf + 2, v->flags);
	if (!v->flags)
		return n;
	catalog__flags_str(v->desc, v->flags, names, sizeof(names));
	l = strlen(names);
	buf[n++] = '<';
	memcpy(buf + n, names, l);
	n += l;
	buf[n++] = '>';
	return n;
}

/* The columns FD KIND IOCTL ARGSZ FLAGS RET LAT(us) of a call. */
static void ioctl_text_columns(struct isc_jw *w, const struct isc_ioctl_view *v)
{
	const struct isc_ioctl_event *e = &v->ev;
	const char *en = errno_name(e->ret);
	char d[128];
	size_t n;

	if (e->iof & ISC_IOF_NO_FD)
		jw__pad(w, "?", 1, 4, true);
	else
		jw__pad(w, d, fmt_i64(d, e->fd), 4, true);
	jw__putc(w, ' ');
	jw__pad(w, catalog__kind_name(e->fd_kind), strlen(catalog__kind_name(e->fd_kind)), 9,
		false);
	jw__putc(w, ' ');
	if (v->desc) {
		n = strlen(v->desc->name);
		jw__pad(w, v->desc->name, n < 39 ? n : 39, 34, false);
	} else {
		d[0] = '?';
		d[1] = '0';
		d[2] = 'x';
		jw__pad(w, d, 3 + fmt_hex(d + 3, e->cmd), 34, false);
	}
	jw__putc(w, ' ');
	if (v->has_argsz)
		jw__pad(w, d, fmt_u64(d, v->argsz), 6, true);
	else
		jw__pad(w, "-", 1, 6, true);
	jw__putc(w, ' ');
	jw__pad(w, d, text_flags(v, d), 20, false);
	jw__putc(w, ' ');
	if (en)
		jw__pad(w, en, strlen(en) < 23 ? strlen(en) : 23, 8, false);
	else
		jw__pad(w, d, fmt_i64(d, e->ret), 8, false);
	jw__putc(w, ' ');
	text_latency(w, e->latency_ns);
}

/* " key=" */
static void text_key(struct isc_jw *w, const char *k)
{
	jw__putc(w, ' ');
	jw__puts(w, k);
	jw__putc(w, '=');
}

/* " [class: explain]" of a call found wrong. */
static void text_verdict(struct isc_jw *w, const struct isc_verdict *cls)
{
	if (!cls || !cls->classes)
		return;
	jw__put(w, " [", 2);
	jw__puts(w, classify__primary(cls->classes));
	jw__put(w, ": ", 2);
	jw__puts(w, cls->explain);
	jw__putc(w, ']');
}

/* " device=\"NAME\" iommu_group=N" of a device fd (group "-": none). */
static void text_device(struct isc_jw *w, const struct isc_dev_id *d)
{
	char name[ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN)];

	jw__puts(w, " device=\"");
	jw__puts(w, str_escape_quoted(d->name, sizeof(d->name), name, sizeof(name)));
	jw__puts(w, "\" iommu_group=");
	if (d->iommu_group >= 0)
		jw__put_i64(w, d->iommu_group);
	else
		jw__putc(w, '-');
}

static void ioctl_text(struct isc_output *o, const struct isc_ioctl_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_ioctl_event *e = &v->ev;
	struct isc_jw *w = &o->w;
	char str[ISC_ESCAPED_LEN(ISC_ARG_HEAD)], vmt[ISC_VM_TEXT_LEN];
	int i;

	text_header(o);
	text_task(o, e->hdr.ts_ns, e->pid, e->tid, e->comm);
	ioctl_text_columns(w, v);
	if (v->has_device)
		text_device(w, &e->dev);
	if (v->has_argsz_out) {
		text_key(w, "argsz_out");
		jw__put_u64(w, v->argsz_out);
		if (v->has_argsz && v->argsz_out > v->argsz)
			jw__puts(w, "(needs more room)");
	}
	for (i = 0; i < v->nr_caps; i++) {
		jw__puts(w, i ? "," : " caps=");
		if (v->cap_name[i])
			jw__puts(w, v->cap_name[i]);
		else
			jw__put_u64(w, v->cap_id[i]);
		jw__put(w, "/v", 2);
		jw__put_u64(w, v->cap_version[i]);
	}
	if (v->caps_error) {
		jw__puts(w, " caps_error=\"");
		jw__puts(w, v->caps_error);
		jw__putc(w, '"');
	}
	text_verdict(w, cls);
	if (v->has_value) {
		text_key(w, v->value_key);
		jw__put_i64(w, v->value);
	}
	if (v->str[0]) {
		jw__puts(w, " device=\"");
		jw__puts(w, str_escape_quoted(v->str, sizeof(v->str), str, sizeof(str)));
		jw__putc(w, '"');
	}
	for (i = 0; i < v->nr_fields; i++) {
		text_key(w, v->field_keys[i]);
		jw__put_hex(w, v->field_vals[i]);
	}
	jw__puts(w, vm_text(&v->vm, vmt, sizeof(vmt)));
	jw__line(w);
}

void output__ioctl(struct isc_output *o, const struct isc_ioctl_view *v,
		   const struct isc_verdict *cls)
{
	if (o->json)
		ioctl_json(o, v, cls);
	else
		ioctl_text(o, v, cls);
}

void output__mismatch(struct isc_output *o, const struct isc_ioctl_view *v,
		      const struct isc_verdict *cls)
{
	const struct isc_ioctl_event *e = &v->ev;
	struct isc_jw *w;
	char when[48], vmt[ISC_VM_TEXT_LEN];

	if (!o->json) {
		text_header(o);
		text_time(o, e->hdr.ts_ns, when);
		fprintf(o->f, "%-15s %-7u %-7u %-15s %4d %-9s %-34s %6u %-20s %-8s %9s [%s: %s]%s\n",
			when, e->pid, e->tid, COMM(e->comm), e->fd, catalog__kind_name(e->fd_kind),
			v->desc ? v->desc->name : "?", v->argsz, "-", "MISMATCH", "-",
			classify__primary(cls->classes), cls->explain,
			vm_text(&v->vm, vmt, sizeof(vmt)));
		return;
	}
	w = task_record(o, "mismatch", e->hdr.ts_ns, e->pid, e->tid, e->comm);
	add_vm(w, &v->vm);
	jw__i64(w, JW_K("fd"), e->fd);
	jw__str(w, JW_K("fd_kind"), catalog__kind_name(e->fd_kind));
	jw__u64(w, JW_K("cmd"), e->cmd);
	jw__str(w, JW_K("name"), v->desc ? v->desc->name : NULL);
	jw__u64(w, JW_K("argsz"), v->argsz);
	if (v->has_argsz_out)
		jw__u64(w, JW_K("argsz_out"), v->argsz_out);
	add_verdict(w, cls);
	if (cls->need)
		jw__u64(w, JW_K("need"), cls->need);
	jw__end(w);
}

/* The iommufd-era fields, each group where the kernel side filled it. */
static void iommufd_json(struct isc_jw *w, const struct isc_iommu_event *e)
{
	char dom[24];

	if (e->ief & ISC_IEF_HWPT)
		jw__u64(w, JW_K("hwpt_id"), e->hwpt_id);
	if (e->ief & ISC_IEF_FAULTQ)
		jw__u64(w, JW_K("fault_id"), e->fault_id);
	if (e->ief & ISC_IEF_PARENT) {
		snprintf(dom, sizeof(dom), "0x%llx", (unsigned long long)e->parent);
		jw__str(w, JW_K("parent"), dom);
	}
	if (e->ief & ISC_IEF_DATA) {
		jw__u64(w, JW_K("flags"), e->flags);
		jw__u64(w, JW_K("data_type"), e->data_type);
		jw__u64(w, JW_K("data_len"), e->data_len);
	}
	if (e->ief & ISC_IEF_ENTRIES) {
		jw__u64(w, JW_K("data_type"), e->data_type);
		jw__u64(w, JW_K("entry_len"), e->data_len);
		jw__u64(w, JW_K("entry_num"), e->entry_num);
		jw__u64(w, JW_K("entry_done"), e->entry_done);
	}
	if (e->ief & ISC_IEF_COUNT)
		jw__u64(w, JW_K("fault_count"), e->count);
	if (e->ief & ISC_IEF_RESPONSE) {
		jw__u64(w, JW_K("code"), e->code);
		jw__u64(w, JW_K("cookie"), e->cookie);
	}
}

static void iommufd_text(struct isc_jw *w, const struct isc_iommu_event *e)
{
	if (e->ief & ISC_IEF_HWPT) {
		text_key(w, "hwpt");
		jw__put_u64(w, e->hwpt_id);
	}
	if (e->ief & ISC_IEF_FAULTQ) {
		text_key(w, "fault_id");
		jw__put_u64(w, e->fault_id);
	}
	if (e->ief & ISC_IEF_PARENT) {
		text_key(w, "parent");
		jw__put_hex(w, e->parent);
	}
	if (e->ief & ISC_IEF_DATA) {
		text_key(w, "flags");
		jw__put_hex(w, e->flags);
		text_key(w, "data_type");
		jw__put_u64(w, e->data_type);
		text_key(w, "data_len");
		jw__put_u64(w, e->data_len);
	}
	if (e->ief & ISC_IEF_ENTRIES) {
		text_key(w, "data_type");
		jw__put_u64(w, e->data_type);
		text_key(w, "entry_len");
		jw__put_u64(w, e->data_len);
		text_key(w, "entry_num");
		jw__put_u64(w, e->entry_num);
		text_key(w, "done");
		jw__put_u64(w, e->entry_done);
	}
	if (e->ief & ISC_IEF_COUNT) {
		text_key(w, "faults");
		jw__put_u64(w, e->count);
	}
	if (e->ief & ISC_IEF_RESPONSE) {
		text_key(w, "code");
		jw__put_u64(w, e->code);
		text_key(w, "cookie");
		jw__put_u64(w, e->cookie);
	}
}

static void iommu_json(struct isc_output *o, const struct isc_iommu_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_iommu_event *e = &v->ev;
	struct isc_jw *w = task_record(o, "iommu", e->hdr.ts_ns, e->pid, e->tid, e->comm);
	char dom[24];

	jw__str(w, JW_K("op"), v->op);
	jw__str(w, JW_K("hook"), v->hook);
	jw__u64(w, JW_K("cgroup_id"), e->cgroup_id);
	add_vm(w, &v->vm);
	jw__str(w, JW_K("device"), v->device[0] ? v->device : NULL);
	if (v->group >= 0)
		jw__i64(w, JW_K("group"), v->group);
	else
		jw__str(w, JW_K("group"), NULL);
	if (e->domain) {
		snprintf(dom, sizeof(dom), "0x%llx", (unsigned long long)e->domain);
		jw__str(w, JW_K("domain"), dom);
		jw__u64(w, JW_K("domain_type"), e->domain_type);
	} else {
		jw__str(w, JW_K("domain"), NULL);
	}
	if (e->ief & ISC_IEF_RET) {
		jw__i64(w, JW_K("ret"), e->ret);
		jw__str(w, JW_K("errno"), errno_name(e->ret));
	}
	if (e->op == ISC_IOMMU_INVALIDATE || e->op == ISC_IOMMU_FAULT ||
	    e->op == ISC_IOMMU_FAULT_RESPONSE) {
		jw__u64(w, JW_K("iova"), e->iova);
		if (e->op == ISC_IOMMU_INVALIDATE && !(e->ief & ISC_IEF_ENTRIES))
			jw__u64(w, JW_K("size"), e->size);
	}
	if (e->op == ISC_IOMMU_FAULT || e->op == ISC_IOMMU_FAULT_RESPONSE) {
		jw__str(w, JW_K("access"), e->ief & ISC_IEF_WRITE ? "write" : "read");
		if (e->hook == ISC_IH_DMAR_FAULT)
			jw__u64(w, JW_K("fault_reason"), e->fault_reason);
	}
	if (e->ief & ISC_IEF_PASID)
		jw__u64(w, JW_K("pasid"), e->pasid);
	if (e->ief & ISC_IEF_UAPI) {
		jw__u64(w, JW_K("uapi_argsz"), e->uapi_argsz);
		jw__u64(w, JW_K("uapi_version"), e->uapi_version);
		if (cls)
			add_verdict(w, cls);
	}
	iommufd_json(w, e);
	jw__str(w, JW_K("in_ioctl"), v->in_ioctl ? v->in_ioctl->name : NULL);
	if (v->owner_pid) {
		jw__u64(w, JW_K("owner_pid"), v->owner_pid);
		jw__str(w, JW_K("owner_comm"), COMM(v->owner_comm));
	}
	jw__end(w);
}

/* The columns FD to LAT(us) of an IOMMU record: its op and result. */
static void iommu_text_columns(struct isc_jw *w, const struct isc_iommu_view *v)
{
	const struct isc_iommu_event *e = &v->ev;
	const char *en = errno_name(e->ret);
	char op[16], d[24];
	size_t i;

	for (i = 0; i < sizeof(op) - 1 && v->op[i]; i++)
		op[i] = (char)toupper((unsigned char)v->op[i]);
	jw__pad(w, "-", 1, 4, true);
	jw__putc(w, ' ');
	jw__pad(w, "iommu", 5, 9, false);
	jw__putc(w, ' ');
	jw__pad(w, op, i, 34, false);
	jw__putc(w, ' ');
	jw__pad(w, "-", 1, 6, true);
	jw__putc(w, ' ');
	jw__pad(w, "-", 1, 20, false);
	jw__putc(w, ' ');
	if (!(e->ief & ISC_IEF_RET))
		jw__pad(w, "-", 1, 8, false);
	else if (en)
		jw__pad(w, en, strlen(en) < 23 ? strlen(en) : 23, 8, false);
	else
		jw__pad(w, d, fmt_i64(d, e->ret), 8, false);
	jw__putc(w, ' ');
	jw__pad(w, "-", 1, 9, true);
}

static void iommu_text(struct isc_output *o, const struct isc_iommu_view *v,
		       const struct isc_verdict *cls)
{
	const struct isc_iommu_event *e = &v->ev;
	struct isc_jw *w = &o->w;
	char vmt[ISC_VM_TEXT_LEN];

	text_header(o);
	text_task(o, e->hdr.ts_ns, e->pid, e->tid, e->comm);
	iommu_text_columns(w, v);
	if (v->device[0]) {
		text_key(w, "device");
		jw__puts(w, v->device);
	}
	if (v->group >= 0) {
		text_key(w, "group");
		jw__put_i64(w, v->group);
	}
	if (e->op == ISC_IOMMU_INVALIDATE && !(e->ief & ISC_IEF_ENTRIES)) {
		text_key(w, "iova");
		jw__put_hex(w, e->iova);
		text_key(w, "size");
		jw__put_hex(w, e->size);
	}
	if (e->op == ISC_IOMMU_FAULT || e->op == ISC_IOMMU_FAULT_RESPONSE) {
		text_key(w, "iova");
		jw__put_hex(w, e->iova);
		text_key(w, "access");
		jw__puts(w, e->ief & ISC_IEF_WRITE ? "write" : "read");
	}
	iommufd_text(w, e);
	if (e->hook == ISC_IH_DMAR_FAULT) {
		text_key(w, "reason");
		jw__put_hex(w, e->fault_reason);
	}
	if (e->ief & ISC_IEF_PASID) {
		text_key(w, "pasid");
		jw__put_u64(w, e->pasid);
	}
	if (e->ief & ISC_IEF_UAPI) {
		text_key(w, "uapi_argsz");
		jw__put_u64(w, e->uapi_argsz);
		text_key(w, "uapi_version");
		jw__put_u64(w, e->uapi_version);
	}
	if (v->in_ioctl) {
		text_key(w, "in");
		jw__puts(w, v->in_ioctl->name);
	}
	if (v->owner_pid && v->owner_pid != e->pid) {
		text_key(w, "owner");
		jw__put_u64(w, v->owner_pid);
		jw__putc(w, '(');
		jw__puts(w, COMM(v->owner_comm));
		jw__putc(w, ')');
	}
	text_key(w, "via");
	jw__puts(w, v->hook);
	text_verdict(w, cls);
	jw__puts(w, vm_text(&v->vm, vmt, sizeof(vmt)));
	jw__line(w);
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
/* " 0000:00:02.0 (iommu group 5)" of a denial on a device fd, "" else. */
#define DENY_DEV_LEN	192	/* ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN) and the words */
static void deny_device(const struct isc_deny_view *v, char *buf, size_t len)
{
	char name[ISC_ESCAPED_LEN(ISC_DEV_NAME_LEN)];
	const struct isc_dev_id *d = &v->ev.dev;

	buf[0] = '\0';
	if (!v->has_device)
		return;
	str_escape(d->name, sizeof(d->name), name, sizeof(name));
	if (d->iommu_group >= 0)
		snprintf(buf, len, " %s (iommu group %d)", name, d->iommu_group);
	else
		snprintf(buf, len, " %s", name);
}

void output__deny(struct isc_output *o, const struct isc_deny_view *v, const char *policy)
{
	const struct isc_deny_event *e = &v->ev;
	const char *name = v->desc ? v->desc->name : NULL;
	const char *reason = policy__reason_name(e->reason);
	const char *en = e->err ? strerrorname_np(e->err) : NULL;
	char flags[128], later[128], cmd[16], when[48], rule[300], vmt[ISC_VM_TEXT_LEN];
	char dev[DENY_DEV_LEN];
	struct isc_jw *w;

	snprintf(cmd, sizeof(cmd), "0x%x", e->cmd);
	if (v->desc) {
		catalog__flags_str(v->desc, e->flags, flags, sizeof(flags));
		catalog__flags_str(v->desc, e->flags_later, later, sizeof(later));
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
		w = task_record(o, v->race ? "race" : "deny", e->hdr.ts_ns, e->pid, e->tid, e->comm);
		jw__u64(w, JW_K("uid"), e->uid);
		jw__u64(w, JW_K("cgroup_id"), e->cgroup_id);
		add_vm(w, &v->vm);
		jw__str(w, JW_K("ioctl"), name ? name : cmd);
		jw__u64(w, JW_K("cmd"), e->cmd);
		jw__str(w, JW_K("fd_kind"), catalog__kind_name(e->fd_kind));
		if (v->has_device)
			device_json(w, &e->dev);
		jw__u64(w, JW_K("argsz"), e->argsz);
		jw__u64(w, JW_K("flags"), e->flags);
		jw__str(w, JW_K("flags_names"), flags[0] ? flags : NULL);
		jw__u64(w, JW_K("bad_flags"), e->bad);
		jw__str(w, JW_K("reason"), reason);
		jw__str(w, JW_K("rule"), rule);
		jw__u64(w, JW_K("generation"), e->generation);
		jw__str(w, JW_K("hook"), enforce_hook_name(e->hook));
		jw__u64(w, JW_K("suppressed"), e->suppressed);
		if (v->race) {
			jw__u64(w, JW_K("flags_later"), e->flags_later);
			jw__bool(w, JW_K("killed"), e->killed);
		} else {
			jw__str(w, JW_K("action"), e->audit_only ? "audit" : "deny");
			jw__str(w, JW_K("errno"), en);
		}
		jw__end(w);
		return;
	}
	text_time(o, e->hdr.ts_ns, when);
	if (e->suppressed)
		snprintf(rule + strlen(rule), sizeof(rule) - strlen(rule), "; %u like it before not logged (log-rate)", e->suppressed);
	deny_device(v, dev, sizeof(dev));
	if (v->race)
		fprintf(o->f, "%s RACE %s[%u/%u] uid %u %s on %s fd: flags %s at the check, %s at the %s: %s%s%s\n",
			when, COMM(e->comm), e->pid, e->tid, e->uid, name ? name : cmd,
			catalog__kind_name(e->fd_kind), flags[0] ? flags : "0",
			later[0] ? later : "0", enforce_hook_name(e->hook), reason,
			e->killed ? " -> SIGKILL" : "", vm_text(&v->vm, vmt, sizeof(vmt)));
	else
		fprintf(o->f, "%s %s %s[%u/%u] uid %u %s on %s fd%s: argsz %u flags %s bad 0x%x: %s (%s)%s%s%s\n",
			when, e->audit_only ? "AUDIT" : "DENY", COMM(e->comm), e->pid, e->tid, e->uid,
			name ? name : cmd, catalog__kind_name(e->fd_kind), dev, e->argsz,
			flags[0] ? flags : "0", e->bad, reason, rule, en ? " -> " : "",
			en ? en : (e->audit_only ? " -> allowed (audit only)" : ""),
			vm_text(&v->vm, vmt, sizeof(vmt)));
}

void output__iommu(struct isc_output *o, const struct isc_iommu_view *v,
		   const struct isc_verdict *cls)
{
	if (o->json)
		iommu_json(o, v, cls);
	else
		iommu_text(o, v, cls);
}

void output__map_stats(struct isc_output *o, const struct isc_map_key *k,
		       const struct isc_map_stats *st)
{
	const struct isc_ioctl_desc *d = catalog__lookup(k->cmd, k->fd_kind);
	struct isc_jw *w = &o->w;
	char cmd[16];

	snprintf(cmd, sizeof(cmd), "0x%x", k->cmd);
	if (!o->json) {
		/* after the records before it, where both reach one place */
		fflush(o->f);
		fprintf(stderr,
			"iommuscope: %u (%s) in %s: %llu maps, %llu bytes; %llu unmaps, %llu bytes\n",
			k->tgid, COMM(st->comm), d ? d->name : cmd, (unsigned long long)st->map_calls,
			(unsigned long long)st->map_bytes, (unsigned long long)st->unmap_calls,
			(unsigned long long)st->unmap_bytes);
		return;
	}
	jw__begin(w);
	jw__str(w, JW_K("type"), "iommu_map");
	jw__u64(w, JW_K("pid"), k->tgid);
	jw__str(w, JW_K("comm"), COMM(st->comm));
	jw__str(w, JW_K("ioctl"), d ? d->name : cmd);
	jw__u64(w, JW_K("map_calls"), st->map_calls);
	jw__u64(w, JW_K("map_bytes"), st->map_bytes);
	jw__u64(w, JW_K("unmap_calls"), st->unmap_calls);
	jw__u64(w, JW_K("unmap_bytes"), st->unmap_bytes);
	jw__end(w);
}

void output__drops(struct isc_output *o, uint64_t new_drops, uint64_t total)
{
	struct isc_jw *w = &o->w;

	if (!o->json) {
		/* after the records before it, where both reach one place */
		fflush(o->f);
		fprintf(stderr, "iommuscope: warning: %llu events lost (ring buffer full), %llu in all\n",
			(unsigned long long)new_drops, (unsigned long long)total);
		return;
	}
	jw__begin(w);
	jw__str(w, JW_K("type"), "drops");
	jw__u64(w, JW_K("count"), new_drops);
	jw__u64(w, JW_K("total"), total);
	jw__end(w);
}

void output__summary(struct isc_output *o, const struct isc_summary *s)
{
	struct isc_jw *w = &o->w;

	if (!o->json) {
		/* after the records before it, where both reach one place */
		fflush(o->f);
		fprintf(stderr,
			"iommuscope: %llu events, %llu dropped, %llu invalid, mode %s, %.1f s\n",
			(unsigned long long)s->events, (unsigned long long)s->drops,
			(unsigned long long)s->invalid, s->mode, s->duration_ns / 1e9);
		return;
	}
	jw__begin(w);
	jw__str(w, JW_K("type"), "summary");
	jw__str(w, JW_K("mode"), s->mode);
	jw__u64(w, JW_K("events"), s->events);
	jw__u64(w, JW_K("drops"), s->drops);
	jw__u64(w, JW_K("invalid"), s->invalid);
	jw__u64(w, JW_K("inflight_full"), s->inflight_full);
	jw__u64(w, JW_K("duration_ns"), s->duration_ns);
	jw__end(w);
}

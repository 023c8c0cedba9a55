// SPDX-License-Identifier: GPL-2.0
/*
 * iommutop's session (the command is cmd_top.c): the counting session wired
 * to top's sink, whose samples are shown full screen (top_tui.c), as plain
 * snapshots (-b) or JSON; the header's facts about the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "catalog.h"
#include "enforce.h"
#include "session.h"
#include "top.h"
#include "util.h"

struct top_ctx {
	struct isc_top_run run;		/* first: the sink's ctx for top__iommu */
	struct isc_top_tui *ui;
	struct isc_top_opts o;
	uint64_t done;
};

static void print_text(struct top_ctx *t)
{
	const struct isc_top_snap *sn = &t->run.st.cur;
	char line[512];
	int *order, *rows, i, j, first, n;

	order = calloc(sn->nr_procs + 1, sizeof(*order));
	rows = calloc(sn->nr_rows + 1, sizeof(*rows));
	if (!order || !rows)
		goto out;
	for (i = 0; i < ISC_TOP_HEADER_LINES; i++) {
		top__header(&t->run.info, sn, i, line, sizeof(line));
		printf("%s\n", line);
	}
	printf("\n");
	top__columns(t->o.sort, line, sizeof(line));
	printf("%s\n", line);
	top__order(sn, t->o.sort, order);
	for (i = 0; i < sn->nr_procs; i++) {
		if (!top__matches(sn, order[i], t->o.filter))
			continue;
		top__line(sn, &sn->procs[order[i]], true, line, sizeof(line));
		printf("%s\n", line);
		n = top_snap__proc_rows(sn, order[i], &first);
		top__order_rows(sn, t->o.sort, first, n, rows);
		for (j = 0; j < n; j++) {
			top__line(sn, &sn->rows[rows[j]], false, line, sizeof(line));
			printf("%s\n", line);
		}
	}
	printf("\n");
out:
	free(order);
	free(rows);
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static void add_rate(struct json_object *o, const char *k, const struct isc_top_snap *sn,
		     uint64_t delta)
{
	json_object_object_add(o, k, json_object_new_double(top_snap__rate(sn, delta)));
}

/* The counters of a process or an ioctl row. */
static void counts_json(struct json_object *o, const struct isc_top_snap *sn,
			const struct isc_top_row *r, bool proc)
{
	struct json_object *cls = json_object_new_object(), *hist;
	const struct isc_top_counts *t = &r->tot, *d = &r->d;
	int i;

	add_u64(o, "calls", t->calls);
	add_rate(o, "calls_per_s", sn, d->calls);
	add_u64(o, "errors", t->errors);
	add_rate(o, "errors_per_s", sn, d->errors);
	for (i = 0; i < ISC_TC_MAX; i++)
		add_u64(cls, top_snap__class_name(i), t->cls[i]);
	json_object_object_add(o, "mismatches", cls);
	add_u64(o, "denials", t->denials);
	add_u64(o, "map_bytes", t->map_bytes);
	add_rate(o, "map_bytes_per_s", sn, d->map_bytes);
	add_u64(o, "unmap_bytes", t->unmap_bytes);
	add_rate(o, "unmap_bytes_per_s", sn, d->unmap_bytes);
	if (proc) {
		add_u64(o, "faults", t->faults);
		add_u64(o, "binds", t->binds);
		add_u64(o, "invalidations", t->invalidations);
	}
	add_u64(o, "latency_sum_ns", t->lat_sum_ns);
	add_u64(o, "avg_latency_ns", top_snap__avg_ns(r));
	add_u64(o, "p99_latency_ns", top_snap__p99_ns(r));
	if (!proc) {
		hist = json_object_new_array();
		for (i = 0; i < ISC_TOP_HIST; i++)
			json_object_array_add(hist, json_object_new_uint64(t->hist[i]));
		json_object_object_add(o, "latency_log2_ns", hist);
	}
}

/* The fourth header line's figures: what the BPF programs and this
 * process cost (the rates, average and BPF CPU null while statistics are
 * off; the average null without runs in the interval). */
static void cost_json(struct json_object *o, const struct isc_top_snap *sn)
{
	const struct isc_top_cost *c = &sn->cost;
	bool on = c->bpf_stats;

	json_object_object_add(o, "bpf_stats_enabled", json_object_new_boolean(on));
	add_u64(o, "bpf_program_count", (uint64_t)c->nr_progs);
	add_u64(o, "bpf_runs", c->runs);
	add_u64(o, "bpf_run_time_ns", c->run_ns);
	json_object_object_add(o, "bpf_runs_per_s", on ? json_object_new_double(
					top_snap__rate(sn, c->d_runs)) : NULL);
	json_object_object_add(o, "bpf_avg_run_ns", on && c->d_runs ? json_object_new_uint64(
					c->d_run_ns / c->d_runs) : NULL);
	json_object_object_add(o, "bpf_cpu_percent", on ? json_object_new_double(
					top_snap__cpu_pct(sn, c->d_run_ns)) : NULL);
	json_object_object_add(o, "agent_cpu_percent", c->agent_ok ? json_object_new_double(
					top_snap__cpu_pct(sn, c->d_agent_cpu_ns)) : NULL);
	json_object_object_add(o, "agent_rss_bytes", c->agent_ok ? json_object_new_uint64(
					c->agent.rss_bytes) : NULL);
}

/* A process's VM as trace prints it (iommuscope(8), VM NAMES): absent
 * when unknown. */
static void vm_json(struct json_object *o, const struct isc_vm *vm)
{
	if (vm->source == ISC_VM_NONE)
		return;
	json_object_object_add(o, "vm", json_object_new_string(vm->name));
	json_object_object_add(o, "vm_source", json_object_new_string(
		vm__source_name(vm->source)));
	if (vm->pod[0])
		json_object_object_add(o, "vm_pod", json_object_new_string(vm->pod));
}

static void print_json(struct top_ctx *t)
{
	const struct isc_top_snap *sn = &t->run.st.cur;
	struct json_object *j = json_object_new_object(), *procs = json_object_new_array();
	int *order = calloc(sn->nr_procs + 1, sizeof(*order)), i, k, first, n;

	if (!order)
		goto out;
	json_object_object_add(j, "type", json_object_new_string("top"));
	add_u64(j, "time_ns", (uint64_t)time(NULL) * 1000000000ull);
	json_object_object_add(j, "interval_s", json_object_new_double(sn->interval_ns / 1e9));
	json_object_object_add(j, "kernel", json_object_new_string(t->run.info.kernel));
	json_object_object_add(j, "mode", json_object_new_string(t->run.info.mode));
	json_object_object_add(j, "hooks", json_object_new_string(t->run.info.hooks));
	json_object_object_add(j, "enforce", json_object_new_string(t->run.info.enforce));
	add_u64(j, "drops", sn->drops);
	add_u64(j, "not_counted", sn->not_counted);
	cost_json(j, sn);
	{
		struct json_object *tot = json_object_new_object();

		counts_json(tot, sn, &sn->all, true);
		json_object_object_add(j, "totals", tot);
	}
	top__order(sn, t->o.sort, order);
	for (i = 0; i < sn->nr_procs; i++) {
		const struct isc_top_row *p = &sn->procs[order[i]];
		struct json_object *po, *rows;
		char comm[ISC_ESCAPED_LEN(ISC_COMM_LEN)];

		if (!top__matches(sn, order[i], t->o.filter))
			continue;
		po = json_object_new_object();
		add_u64(po, "pid", p->key.tgid);
		json_object_object_add(po, "comm", json_object_new_string(
			str_escape(p->comm, sizeof(p->comm), comm, sizeof(comm))));
		json_object_object_add(po, "exited", json_object_new_boolean(p->gone));
		vm_json(po, &p->vm);
		counts_json(po, sn, p, true);
		rows = json_object_new_array();
		n = top_snap__proc_rows(sn, order[i], &first);
		for (k = first; k < first + n; k++) {
			const struct isc_top_row *r = &sn->rows[k];
			struct json_object *ro = json_object_new_object();

			json_object_object_add(ro, "ioctl",
					       r->ioctl ? json_object_new_string(r->ioctl) : NULL);
			add_u64(ro, "cmd", r->key.cmd);
			json_object_object_add(ro, "fd_kind",
				json_object_new_string(catalog__kind_name(r->key.fd_kind)));
			json_object_object_add(ro, "device", json_object_new_string(r->device));
			json_object_object_add(ro, "iommu_group", r->iommu_group >= 0 ?
					       json_object_new_int(r->iommu_group) : NULL);
			counts_json(ro, sn, r, false);
			json_object_array_add(rows, ro);
		}
		json_object_object_add(po, "ioctls", rows);
		json_object_array_add(procs, po);
	}
	json_object_object_add(j, "processes", procs);
	procs = NULL;
	fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), stdout);
	fputc('\n', stdout);
out:
	json_object_put(procs);
	json_object_put(j);
	free(order);
}

static void top_started(void *ctx, struct isc_session *s, const struct isc_session_result *res)
{
	struct top_ctx *t = ctx;

	/* the first sample is the zero point: rates need two */
	top__started(&t->run, s, res);
	if (t->o.batch)
		return;
	t->ui = top_tui__start(t->o.sort, t->o.filter);
	if (!t->ui) {
		t->run.failed = true;
		session__stop();
		return;
	}
	top_tui__draw(t->ui, &t->run.info, &t->run.st);
}

static void top_tick(void *ctx)
{
	struct top_ctx *t = ctx;

	if (!t->run.st.s || (t->o.iterations && t->done >= t->o.iterations) ||
	    !top__sample(&t->run))
		return;
	if (t->ui) {
		top_tui__draw(t->ui, &t->run.info, &t->run.st);
		return;
	}
	if (t->o.json)
		print_json(t);
	else
		print_text(t);
	fflush(stdout);
	if (t->o.iterations && ++t->done >= t->o.iterations)
		session__stop();
}

static void top_input(void *ctx)
{
	struct top_ctx *t = ctx;

	if (t->ui && !top_tui__keys(t->ui, &t->run.st))
		session__stop();
	else if (t->ui)
		top_tui__draw(t->ui, &t->run.info, &t->run.st);
}

/* ---- the session and the header; shared with export ---- */

void top__info(struct isc_top_info *info, const struct isc_session *s,
	       const struct isc_probe *p)
{
	int i, nr_iommu = 0, nr_fentry = 0;
	const char *entry;

	memset(info, 0, sizeof(*info));
	snprintf(info->kernel, sizeof(info->kernel), "%s", p->kernel.release);
	info->mode = loader__mode_name(loader__mode(s));
	for (i = ISC_HK_IOMMU_FIRST; i < ISC_HK_MAX; i++)
		nr_iommu += loader__has_iommu(s) && p->hooks[i].used;
	for (i = ISC_HK_FENTRY_CONTAINER; i <= ISC_HK_FENTRY_IOMMUFD; i++)
		nr_fentry += p->hooks[i].attached;
	if (loader__mode(s) == ISC_MODE_TRACEPOINT)
		entry = "sys_enter/exit_ioctl";
	else if (loader__lsm_entry(s))
		entry = "lsm/file_ioctl+sys_exit_ioctl";
	else
		entry = "fentry/fexit";
	if (loader__mode(s) == ISC_MODE_FULL && !loader__lsm_entry(s))
		snprintf(info->hooks, sizeof(info->hooks), "%s x%d + %d IOMMU-core", entry,
			 nr_fentry, nr_iommu);
	else
		snprintf(info->hooks, sizeof(info->hooks), "%s + %d IOMMU-core", entry, nr_iommu);
	enforcer__describe(info->enforce, sizeof(info->enforce));
}

void top__started(struct isc_top_run *run, struct isc_session *s,
		  const struct isc_session_result *res)
{
	run->st.s = s;
	run->st.vms = res->vms;
	top__info(&run->info, s, res->probe);
	top__sample(run);
}

bool top__sample(struct isc_top_run *run)
{
	int err = top_snap__sample(&run->st);

	/* enforcement may start, stop or reload while we watch */
	enforcer__describe(run->info.enforce, sizeof(run->info.enforce));
	if (!err)
		return true;
	isc_err("failed to read the counters: %s", strerror(-err));
	run->failed = true;
	session__stop();
	return false;
}

void top__iommu(void *ctx, const struct isc_iommu_view *v, const struct isc_verdict *cls)
{
	struct isc_top_run *run = ctx;

	(void)cls;
	top_snap__iommu(&run->st, v);
}

int top__parse_interval(const char *opt, const char *arg, uint64_t *ns)
{
	if (!parse_duration_ns(arg, ns) && *ns >= 100000000ull && *ns <= 3600000000000ull)
		return 0;
	isc_err("invalid %s '%s': 100ms to 1h (1, 2s, 500ms)", opt, arg);
	return -1;
}

static struct top_ctx top_state;

void top__sink(const struct isc_top_opts *o, struct isc_session_opts *so, struct isc_sink *sink)
{
	struct top_ctx *t = &top_state;

	memset(t, 0, sizeof(*t));
	t->o = *o;
	memset(sink, 0, sizeof(*sink));
	sink->ctx = t;
	sink->iommu = top__iommu;
	sink->tick = top_tick;
	sink->started = top_started;
	so->tick_ns = o->delay_ns;
	if (!o->batch) {
		sink->input = top_input;
		sink->input_fd = STDIN_FILENO;
	}
	/* an exited process stays on screen (marked) for a few refreshes */
	top_snap__init(&t->run.st, o->delay_ns * 5);
	t->run.st.vm_filter = so->vm;
}

bool top__done(void)
{
	struct top_ctx *t = &top_state;

	if (t->ui)
		top_tui__stop(t->ui);
	top_snap__free(&t->run.st);
	return t->run.failed;
}

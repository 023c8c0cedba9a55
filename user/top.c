// SPDX-License-Identifier: GPL-2.0
/*
 * iommutop (iommuscope top): VFIO/iommufd traffic per process, counted in
 * the kernel and shown full screen, as plain snapshots (-b) or JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "catalog.h"
#include "cmd_opts.h"
#include "commands.h"
#include "session.h"
#include "top.h"
#include "util.h"

static const char top_usage[] =
	"usage: iommutop [OPTIONS]\n"
	"       iommuscope top [OPTIONS]\n"
	"\n"
	"VFIO and iommufd traffic per process, counted in the kernel: calls and\n"
	"errors per second, compatibility mismatches by class, denials, DMA bytes\n"
	"mapped and unmapped per second, IOMMU faults, binds and invalidations,\n"
	"average and p99 latency. Full screen; keys: arrows or j/k move, Right/Left\n"
	"or +/- expand a process into its ioctls and devices, s sort, f filter,\n"
	"Enter details (latency histogram, recent mismatches), q or Ctrl-C quit.\n"
	"\n"
	"  -d, --delay TIME        refresh interval (1, 2s, 500ms; default 1s)\n"
	"  -b, --batch             plain snapshots on stdout, like top -b\n"
	"  -n, --iterations N      stop after N snapshots\n"
	"  -j, --json              one JSON object per snapshot (implies --batch)\n"
	"  -s, --sort COLUMN       calls (default), errors, mismatches, denials, map,\n"
	"                          unmap, faults, latency, pid, comm\n"
	"  -f, --filter TEXT       only processes whose command, pid or ioctls\n"
	"                          contain TEXT\n"
	"  -p, --pid PID           only this process (in the kernel)\n"
	"  -c, --comm COMM         only tasks with this command name (in the kernel)\n"
	"  -m, --mode MODE         auto (default), full or tracepoint\n"
	"      --no-iommu          no IOMMU-core hooks (faults, binds, ...)\n"
	"      --classify PATH=KIND  count PATH as a VFIO fd of KIND (tests)\n"
	"  -v, --verbose           more messages\n"
	"  -h, --help              this text\n"
	"\n"
	"examples:\n"
	"  iommutop\n"
	"  iommutop -b -n 3 -d 2s\n"
	"  iommuscope top --json -n 1 -d 10s -c qemu-system-x86\n";

struct top_ctx {
	struct isc_top_run run;		/* first: the sink's ctx for top__iommu */
	struct isc_top_tui *ui;
	bool batch, json;
	int sort;
	const char *filter;
	uint64_t iterations, done;
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
	top__columns(t->sort, line, sizeof(line));
	printf("%s\n", line);
	top__order(sn, t->sort, order);
	for (i = 0; i < sn->nr_procs; i++) {
		if (!top__matches(sn, order[i], t->filter))
			continue;
		top__line(sn, &sn->procs[order[i]], true, line, sizeof(line));
		printf("%s\n", line);
		n = top_snap__proc_rows(sn, order[i], &first);
		top__order_rows(sn, t->sort, first, n, rows);
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
	{
		struct json_object *tot = json_object_new_object();

		counts_json(tot, sn, &sn->all, true);
		json_object_object_add(j, "totals", tot);
	}
	top__order(sn, t->sort, order);
	for (i = 0; i < sn->nr_procs; i++) {
		const struct isc_top_row *p = &sn->procs[order[i]];
		struct json_object *po, *rows;
		char comm[ISC_ESCAPED_LEN(ISC_COMM_LEN)];

		if (!top__matches(sn, order[i], t->filter))
			continue;
		po = json_object_new_object();
		add_u64(po, "pid", p->key.tgid);
		json_object_object_add(po, "comm", json_object_new_string(
			str_escape(p->comm, sizeof(p->comm), comm, sizeof(comm))));
		json_object_object_add(po, "exited", json_object_new_boolean(p->gone));
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
	top__started(&t->run, s, res->probe);
	if (t->batch)
		return;
	t->ui = top_tui__start(t->sort, t->filter);
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

	if (!t->run.st.s || (t->iterations && t->done >= t->iterations) || !top__sample(&t->run))
		return;
	if (t->ui) {
		top_tui__draw(t->ui, &t->run.info, &t->run.st);
		return;
	}
	if (t->json)
		print_json(t);
	else
		print_text(t);
	fflush(stdout);
	if (t->iterations && ++t->done >= t->iterations)
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

/* top's options into so, t and *delay. -1 to go on, or the exit code. */
static int top_opts(int argc, char **argv, struct isc_session_opts *so, struct top_ctx *t,
		    uint64_t *delay)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },
		{ "filter", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		ISC_LIVE_LONG,
		{},
	};
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:bn:js:f:h" ISC_LIVE_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (top__parse_interval("--delay", optarg, delay))
				return ISC_EXIT_USAGE;
			continue;
		case 'b':
			t->batch = true;
			continue;
		case 'n':
			if (parse_u64(optarg, 1, 1000000000, &t->iterations)) {
				isc_err("invalid --iterations '%s': a count from 1", optarg);
				return ISC_EXIT_USAGE;
			}
			continue;
		case 'j':
			t->json = t->batch = true;
			continue;
		case 's':
			t->sort = top__sort_by_name(optarg);
			if (t->sort < 0) {
				isc_err("invalid --sort '%s': calls, errors, mismatches, denials, map, "
					"unmap, faults, latency, pid or comm", optarg);
				return ISC_EXIT_USAGE;
			}
			continue;
		case 'f':
			t->filter = optarg;
			continue;
		}
		r = cmd_opts__parse(so, c, optarg);
		if (r < 0)
			return ISC_EXIT_USAGE;
		if (!r)
			return commands__help_or_usage(c, top_usage);
	}
	if (commands__no_args("top", argc, argv))
		return ISC_EXIT_USAGE;
	return -1;
}

int cmd_top(int argc, char **argv)
{
	static struct top_ctx t;
	struct isc_sink sink = {
		.ctx = &t, .iommu = top__iommu, .tick = top_tick, .started = top_started,
	};
	struct isc_session_result res;
	struct isc_session_opts so;
	uint64_t delay = 1000000000ull;
	int ret;

	memset(&t, 0, sizeof(t));
	session__init_opts(&so, "counting");
	so.lo.counting = true;
	so.lo.ringbuf_bytes = 1 << 20;
	ret = top_opts(argc, argv, &so, &t, &delay);
	if (ret >= 0)
		return ret;
	if (!t.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		isc_err("top: the full-screen view needs a terminal; use --batch or --json");
		return ISC_EXIT_USAGE;
	}
	so.tick_ns = delay;
	if (!t.batch) {
		sink.input = top_input;
		sink.input_fd = STDIN_FILENO;
	}
	/* an exited process stays on screen (marked) for a few refreshes */
	top_snap__init(&t.run.st, delay * 5);
	ret = cmd_opts__run(&so, &sink, &res);
	if (t.ui)
		top_tui__stop(t.ui);
	if (ret == ISC_EXIT_OK && t.run.failed)
		ret = ISC_EXIT_FAIL;
	top_snap__free(&t.run.st);
	session__free(&res);
	return ret;
}

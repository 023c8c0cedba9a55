// SPDX-License-Identifier: GPL-2.0
/* iommutop's table: columns, sort order and text lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "catalog.h"
#include "top.h"
#include "util.h"

static const char *const sort_names[ISC_SORT_MAX] = {
	[ISC_SORT_CALLS] = "calls",	[ISC_SORT_ERRORS] = "errors",
	[ISC_SORT_MISMATCHES] = "mismatches", [ISC_SORT_DENIALS] = "denials",
	[ISC_SORT_MAP] = "map",		[ISC_SORT_UNMAP] = "unmap",
	[ISC_SORT_FAULTS] = "faults",	[ISC_SORT_LATENCY] = "latency",
	[ISC_SORT_PID] = "pid",		[ISC_SORT_COMM] = "comm",
};

const char *top__sort_name(int sort)
{
	return sort >= 0 && sort < ISC_SORT_MAX ? sort_names[sort] : "?";
}

int top__sort_by_name(const char *name)
{
	int i;

	for (i = 0; i < ISC_SORT_MAX; i++)
		if (!strcmp(name, sort_names[i]))
			return i;
	return -1;
}

/* The value a row is sorted by, biggest first (pid and comm: smallest). */
static uint64_t sort_value(const struct isc_top_row *r, int sort)
{
	switch (sort) {
	case ISC_SORT_ERRORS:
		return r->d.errors;
	case ISC_SORT_MISMATCHES:
		return top_snap__mismatches(&r->tot);
	case ISC_SORT_DENIALS:
		return r->tot.denials;
	case ISC_SORT_MAP:
		return r->d.map_bytes;
	case ISC_SORT_UNMAP:
		return r->d.unmap_bytes;
	case ISC_SORT_FAULTS:
		return r->tot.faults;
	case ISC_SORT_LATENCY:
		return top_snap__avg_ns(r);
	default:
		return r->d.calls;
	}
}

static int compare(const struct isc_top_row *a, const struct isc_top_row *b, int sort)
{
	uint64_t x, y;
	int c;

	if (sort == ISC_SORT_COMM && (c = strcmp(a->comm, b->comm)))
		return c;
	if (sort == ISC_SORT_PID || sort == ISC_SORT_COMM)
		return a->key.tgid < b->key.tgid ? -1 : a->key.tgid > b->key.tgid;
	x = sort_value(a, sort);
	y = sort_value(b, sort);
	if (x != y)
		return x > y ? -1 : 1;
	/* ties: the busiest since the start, then the lowest pid */
	if (a->tot.calls != b->tot.calls)
		return a->tot.calls > b->tot.calls ? -1 : 1;
	if (a->key.tgid != b->key.tgid)
		return a->key.tgid < b->key.tgid ? -1 : 1;
	return a->key.cmd < b->key.cmd ? -1 : a->key.cmd > b->key.cmd;
}

/* A stable insertion sort of indices: a few hundred rows at most. */
static void sort_indices(const struct isc_top_row *rows, int *order, int n, int sort)
{
	int i, j, t;

	for (i = 1; i < n; i++) {
		t = order[i];
		for (j = i; j > 0 && compare(&rows[t], &rows[order[j - 1]], sort) < 0; j--)
			order[j] = order[j - 1];
		order[j] = t;
	}
}

void top__order(const struct isc_top_snap *sn, int sort, int *order)
{
	int i;

	for (i = 0; i < sn->nr_procs; i++)
		order[i] = i;
	sort_indices(sn->procs, order, sn->nr_procs, sort);
}

void top__order_rows(const struct isc_top_snap *sn, int sort, int first, int n, int *order)
{
	int i;

	for (i = 0; i < n; i++)
		order[i] = first + i;
	sort_indices(sn->rows, order, n, sort == ISC_SORT_PID || sort == ISC_SORT_COMM ?
				       ISC_SORT_CALLS : sort);
}

/* 1234, 12.3K, 4.5M, 1.2G: at most 6 characters. */
static char *human(double v, char *buf, size_t len)
{
	static const char units[] = " KMGTP";
	int u = 0;

	while (v >= 999.5 && u < 5) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.*f%c", v < 9.95 ? 1 : 0, v, units[u]);
	return buf;
}

/* 12us, 1.5ms, 2.0s */
static char *duration(uint64_t ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "-");
	else if (ns < 10000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.1fms", ns / 1e6);
	else
		snprintf(buf, len, "%.1fs", ns / 1e9);
	return buf;
}

/* 512B, 12.3KiB, 4.5MiB */
static char *bytes_iec(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1023.95 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
	return buf;
}

/* The last header line: what the BPF programs and this process cost
 * (CPU as a share of one CPU over the interval). */
static void cost_line(const struct isc_top_snap *sn, char *buf, size_t len)
{
	const struct isc_top_cost *c = &sn->cost;
	char runs[16], rss[16], agent[64] = "";
	int n = 0;

	if (c->agent_ok)
		snprintf(agent, sizeof(agent), "agent cpu %.1f%%  rss %s",
			 top_snap__cpu_pct(sn, c->d_agent_cpu_ns),
			 bytes_iec(c->agent.rss_bytes, rss, sizeof(rss)));
	if (!c->bpf_stats) {
		snprintf(buf, len, "bpf stats off (--bpf-stats)  progs %d  %s", c->nr_progs, agent);
		return;
	}
	n = snprintf(buf, len, "bpf %d progs  runs/s %s  avg ", c->nr_progs,
		     human(top_snap__rate(sn, c->d_runs), runs, sizeof(runs)));
	if (n < 0 || (size_t)n >= len)
		return;
	if (c->d_runs)
		n += snprintf(buf + n, len - n, "%llu ns",
			      (unsigned long long)(c->d_run_ns / c->d_runs));
	else
		n += snprintf(buf + n, len - n, "-");
	if ((size_t)n < len)
		snprintf(buf + n, len - n, "  cpu %.1f%%  %s", top_snap__cpu_pct(sn, c->d_run_ns),
			 agent);
}

void top__header(const struct isc_top_info *info, const struct isc_top_snap *sn, int line,
		 char *buf, size_t len)
{
	const struct isc_top_counts *d = &sn->all.d;
	char a[16], b[16], c[16];

	switch (line) {
	case 0:
		snprintf(buf, len, "iommutop - kernel %s  mode %s  hooks %s  enforce %s", info->kernel,
			 info->mode, info->hooks, info->enforce);
		break;
	case 1:
		snprintf(buf, len,
			 "processes %d  calls/s %s  errors/s %s  mismatches %llu  denials %llu  "
			 "map/s %sB  unmap/s %sB",
			 sn->nr_procs, human(top_snap__rate(sn, d->calls), a, sizeof(a)),
			 human(top_snap__rate(sn, d->errors), b, sizeof(b)),
			 (unsigned long long)top_snap__mismatches(&sn->all.tot),
			 (unsigned long long)sn->all.tot.denials,
			 human(top_snap__rate(sn, d->map_bytes), c, sizeof(c)),
			 human(top_snap__rate(sn, d->unmap_bytes), a, sizeof(a)));
		break;
	case 3:
		cost_line(sn, buf, len);
		break;
	default:
		snprintf(buf, len,
			 "faults %llu  binds %llu  invalidations %llu  drops %llu  not counted %llu  "
			 "interval %.1fs",
			 (unsigned long long)sn->all.tot.faults, (unsigned long long)sn->all.tot.binds,
			 (unsigned long long)sn->all.tot.invalidations,
			 (unsigned long long)sn->drops, (unsigned long long)sn->not_counted,
			 sn->interval_ns / 1e9);
		break;
	}
}

#define LINE_FMT "%7s %-26.26s %-18.18s %7s %6s %5s %5s %5s %5s %5s %4s %7s %7s %5s %4s %5s %7s %7s"

void top__columns(int sort, char *buf, size_t len)
{
	static const char *const marked[ISC_SORT_MAX] = {
		[ISC_SORT_CALLS] = "CALLS/s", [ISC_SORT_ERRORS] = "ERR/s",
		[ISC_SORT_DENIALS] = "DENY", [ISC_SORT_MAP] = "MAP/s",
		[ISC_SORT_UNMAP] = "UNMAP/s", [ISC_SORT_FAULTS] = "FAULT",
		[ISC_SORT_LATENCY] = "AVG", [ISC_SORT_PID] = "PID", [ISC_SORT_COMM] = "COMM",
	};
	const char *col[ISC_SORT_MAX];
	char star[ISC_SORT_MAX][12];
	int i;

	for (i = 0; i < ISC_SORT_MAX; i++) {
		col[i] = marked[i];
		if (i == sort && marked[i]) {
			snprintf(star[i], sizeof(star[i]), "%s*", marked[i]);
			col[i] = star[i];
		}
	}
	snprintf(buf, len, LINE_FMT, col[ISC_SORT_PID], col[ISC_SORT_COMM], "FD/DEVICE",
		 col[ISC_SORT_CALLS], col[ISC_SORT_ERRORS], "OLD", "NEW", "TRUNC", "FLAGS",
		 sort == ISC_SORT_MISMATCHES ? "UNKN*" : "UNKN", col[ISC_SORT_DENIALS],
		 col[ISC_SORT_MAP], col[ISC_SORT_UNMAP], col[ISC_SORT_FAULTS], "BIND", "INVAL",
		 col[ISC_SORT_LATENCY], "P99");
}

void top__row_name(const struct isc_top_row *r, char *buf, size_t len)
{
	if (r->ioctl)
		snprintf(buf, len, "%s", r->ioctl);
	else
		snprintf(buf, len, "0x%x", r->key.cmd);
}

void top__line(const struct isc_top_snap *sn, const struct isc_top_row *r, bool proc, char *buf,
	       size_t len)
{
	char pid[16], name[80], fd[64], v[12][16], comm[ISC_ESCAPED_LEN(ISC_COMM_LEN)];
	const struct isc_top_counts *t = &r->tot, *d = &r->d;
	int i;

	if (proc) {
		snprintf(pid, sizeof(pid), "%u", r->key.tgid);
		snprintf(name, sizeof(name), "%s%s",
			 str_escape(r->comm, sizeof(r->comm), comm, sizeof(comm)),
			 r->gone ? " (exited)" : "");
		/* a process has no fd: its VM there (safe as it is, vm.h) */
		snprintf(fd, sizeof(fd), "%s%.58s", r->vm.source ? "vm:" : "-", r->vm.name);
	} else {
		pid[0] = '\0';
		name[0] = name[1] = ' ';
		top__row_name(r, name + 2, sizeof(name) - 2);
		snprintf(fd, sizeof(fd), "%s%s%s", catalog__kind_name(r->key.fd_kind),
			 r->device[0] ? " " : "", r->device);
	}
	human(top_snap__rate(sn, d->calls), v[0], sizeof(v[0]));
	human(top_snap__rate(sn, d->errors), v[1], sizeof(v[1]));
	for (i = 0; i < ISC_TC_MAX; i++)
		human(t->cls[i], v[2 + i], sizeof(v[2 + i]));
	human(t->denials, v[7], sizeof(v[7]));
	human(top_snap__rate(sn, d->map_bytes), v[8], sizeof(v[8]));
	human(top_snap__rate(sn, d->unmap_bytes), v[9], sizeof(v[9]));
	if (proc) {
		human(t->faults, v[10], sizeof(v[10]));
		human(t->binds, v[11], sizeof(v[11]));
	} else {
		snprintf(v[10], sizeof(v[10]), "-");
		snprintf(v[11], sizeof(v[11]), "-");
	}
	{
		char inval[16], avg[16], p99[16];

		if (proc)
			human(t->invalidations, inval, sizeof(inval));
		else
			snprintf(inval, sizeof(inval), "-");
		snprintf(buf, len, LINE_FMT, pid, name, fd, v[0], v[1], v[2], v[3], v[4], v[5], v[6],
			 v[7], v[8], v[9], v[10], v[11], inval,
			 duration(top_snap__avg_ns(r), avg, sizeof(avg)),
			 duration(top_snap__p99_ns(r), p99, sizeof(p99)));
	}
}

bool top__matches(const struct isc_top_snap *sn, int p, const char *filter)
{
	const struct isc_top_row *r = &sn->procs[p];
	char pid[16], name[48];
	int first, n, i;

	if (!filter || !*filter || strstr(r->comm, filter) || strstr(r->vm.name, filter))
		return true;
	snprintf(pid, sizeof(pid), "%u", r->key.tgid);
	if (strstr(pid, filter))
		return true;
	n = top_snap__proc_rows(sn, p, &first);
	for (i = first; i < first + n; i++) {
		top__row_name(&sn->rows[i], name, sizeof(name));
		if (strstr(name, filter) || strstr(sn->rows[i].device, filter))
			return true;
	}
	return false;
}

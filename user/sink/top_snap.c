// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include "catalog.h"
#include "enforce.h"
#include "iommu_state.h"
#include "top_snap.h"
#include "util.h"

/* The classes bpf/top.bpf.c counts (include/classes.def ISC_CLASS_BPF). */
static const char *const class_names[ISC_TC_MAX] = {
#define ISC_CLASS_BPF(id, name) [ISC_TC_##id] = (name),
#include "classes.def"
};

const char *top_snap__class_name(int cls)
{
	return cls >= 0 && cls < ISC_TC_MAX ? class_names[cls] : "?";
}

void top_snap__init(struct isc_top_state *st, uint64_t linger_ns)
{
	memset(st, 0, sizeof(*st));
	st->linger_ns = linger_ns;
}

static void snap_free(struct isc_top_snap *sn)
{
	free(sn->rows);
	free(sn->procs);
	memset(sn, 0, sizeof(*sn));
}

void top_snap__free(struct isc_top_state *st)
{
	snap_free(&st->cur);
	snap_free(&st->prev);
	free(st->ev);
	st->ev = NULL;
	st->nr_ev = st->cap_ev = 0;
}

/* Room for one more row; NULL when out of memory. */
static struct isc_top_row *grow(struct isc_top_row **rows, int *nr, int *cap)
{
	struct isc_top_row *n;

	if (*nr == *cap) {
		int c = *cap ? *cap * 2 : 64;

		n = realloc(*rows, c * sizeof(*n));
		if (!n)
			return NULL;
		*rows = n;
		*cap = c;
	}
	n = &(*rows)[(*nr)++];
	memset(n, 0, sizeof(*n));
	return n;
}

void top_snap__iommu(struct isc_top_state *st, const struct isc_iommu_view *v)
{
	uint32_t pid = v->ev.pid;
	const char *comm = v->ev.comm;
	struct isc_top_row *r = NULL;
	int i;

	/* A fault arrives in interrupt context: it is the device owner's. */
	if (v->ev.op == ISC_IOMMU_FAULT || !pid) {
		pid = v->owner_pid;
		comm = v->owner_comm;
	}
	if (!pid)
		return;
	for (i = 0; i < st->nr_ev && !r; i++)
		if (st->ev[i].key.tgid == pid)
			r = &st->ev[i];
	if (!r) {
		r = grow(&st->ev, &st->nr_ev, &st->cap_ev);
		if (!r)
			return;
		r->key.tgid = pid;
		snprintf(r->comm, sizeof(r->comm), "%s", comm);
		r->vm = v->vm;	/* the owner's for a fault (session.c) */
	}
	switch (v->ev.op) {
	case ISC_IOMMU_BIND:
		r->tot.binds++;
		break;
	case ISC_IOMMU_INVALIDATE:
		r->tot.invalidations++;
		break;
	case ISC_IOMMU_FAULT:
		r->tot.faults++;
		break;
	}
}

static void add_val(struct isc_top_counts *c, const struct isc_top_val *v)
{
	int i;

	c->calls += v->calls;
	c->errors += v->errors;
	c->lat_sum_ns += v->lat_sum_ns;
	for (i = 0; i < ISC_TC_MAX; i++)
		c->cls[i] += v->cls[i];
	for (i = 0; i < ISC_TOP_HIST; i++)
		c->hist[i] += v->hist[i];
}

static void add_counts(struct isc_top_counts *c, const struct isc_top_counts *a)
{
	const uint64_t *s = (const uint64_t *)a;
	uint64_t *d = (uint64_t *)c;
	size_t i;

	for (i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static void sub_counts(struct isc_top_counts *out, const struct isc_top_counts *a,
		       const struct isc_top_counts *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	uint64_t *d = (uint64_t *)out;
	size_t i;

	/* counters only grow; a reused key (forgotten, then back) restarts */
	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		d[i] = x[i] >= y[i] ? x[i] - y[i] : x[i];
}

struct rows_ctx {
	struct isc_top_snap *sn;
	int cap;
};

static void top_row_cb(const struct isc_top_key *k, const struct isc_top_val *v, void *ctx)
{
	struct rows_ctx *m = ctx;
	struct isc_top_row *r;

	r = grow(&m->sn->rows, &m->sn->nr_rows, &m->cap);
	if (!r)
		return;
	r->key = *k;
	memcpy(r->comm, v->comm, sizeof(r->comm));
	add_val(&r->tot, v);
}

/* The first row of (process, ioctl, fd kind), any device; a new one (no
 * calls counted) if there is none yet. NULL when out of memory. */
static struct isc_top_row *ioctl_row(struct rows_ctx *m, uint32_t tgid, uint32_t cmd,
				     uint8_t kind, const char *comm)
{
	struct isc_top_snap *sn = m->sn;
	struct isc_top_row *r;
	int i;

	for (i = 0; i < sn->nr_rows; i++)
		if (sn->rows[i].key.tgid == tgid && sn->rows[i].key.cmd == cmd &&
		    sn->rows[i].key.fd_kind == kind)
			return &sn->rows[i];
	r = grow(&sn->rows, &sn->nr_rows, &m->cap);
	if (!r)
		return NULL;
	r->key.tgid = tgid;
	r->key.cmd = cmd;
	r->key.fd_kind = kind;
	memcpy(r->comm, comm, sizeof(r->comm));
	return r;
}

/* The map/unmap bytes of an ioctl go to its first row (any device). */
static void map_row_cb(const struct isc_map_key *k, const struct isc_map_stats *v, void *ctx)
{
	struct isc_top_row *r = ioctl_row(ctx, k->tgid, k->cmd, k->fd_kind, v->comm);

	if (!r)
		return;
	r->tot.map_bytes += v->map_bytes;
	r->tot.unmap_bytes += v->unmap_bytes;
}

/* Refusals of the enforce policy (its pinned counters): to the ioctl's
 * first row, or a row of their own (a refused call may never reach the
 * handler the counting hooks sit on). */
static void deny_row_cb(const struct isc_deny_key *k, const struct isc_deny_count *c, void *ctx)
{
	struct isc_top_row *r = ioctl_row(ctx, k->tgid, k->cmd, k->fd_kind, c->comm);

	if (r)
		r->tot.denials += c->n;
}

static int key_cmp(const struct isc_top_key *a, const struct isc_top_key *b)
{
	if (a->tgid != b->tgid)
		return a->tgid < b->tgid ? -1 : 1;
	if (a->cmd != b->cmd)
		return a->cmd < b->cmd ? -1 : 1;
	if (a->fd_kind != b->fd_kind)
		return a->fd_kind < b->fd_kind ? -1 : 1;
	if (a->dev_form != b->dev_form)
		return a->dev_form < b->dev_form ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->cgroup_id != b->cgroup_id)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return key_cmp(&((const struct isc_top_row *)a)->key, &((const struct isc_top_row *)b)->key);
}

static void device_name(uint32_t dev, char *buf, size_t len);

/* "12": 12; -1 for anything but a number. */
static int group_number(const char *s)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	return *end || n > INT32_MAX ? -1 : (int)n;
}

/* A row's device: a device fd's PCI address (the key holds it packed,
 * bpf/top.bpf.c pci_pack) and its group; a char device's node; the group
 * of a group fd ("vfio/N"). */
static void row_device(struct isc_top_row *r)
{
	const struct isc_top_key *k = &r->key;

	r->iommu_group = -1;
	if (k->dev_form == ISC_TOP_DEV_PCI) {
		snprintf(r->device, sizeof(r->device), "%04x:%02x:%02x.%x", k->dev >> 16,
			 (k->dev >> 8) & 0xff, (k->dev >> 3) & 0x1f, k->dev & 7);
		/* top runs live: the device is there while its fd counts */
		r->iommu_group = iommu_state__device_group(r->device);
		return;
	}
	device_name(k->dev, r->device, sizeof(r->device));
	if (k->fd_kind == ISC_FD_GROUP && !strncmp(r->device, "vfio/", 5))
		r->iommu_group = group_number(r->device + 5);
}

/* "vfio/12" for a node under /dev, else "MAJOR:MINOR". */
static void device_name(uint32_t dev, char *buf, size_t len)
{
	static const char *const dirs[] = { "/dev/vfio", "/dev/vfio/devices", "/dev" };
	unsigned int ma = dev >> ISC_MINORBITS, mi = dev & ISC_RDEV_ANY_MINOR;
	char path[300];
	struct stat sb;
	struct dirent *de;
	size_t i;
	DIR *d;

	buf[0] = '\0';
	if (!dev)
		return;
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		d = opendir(dirs[i]);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], de->d_name);
			if (de->d_name[0] == '.' || lstat(path, &sb) || !S_ISCHR(sb.st_mode) ||
			    major(sb.st_rdev) != ma || minor(sb.st_rdev) != mi)
				continue;
			if (snprintf(buf, len, "%.39s", path + 5) < 0)
				buf[0] = '\0';
			closedir(d);
			return;
		}
		closedir(d);
	}
	snprintf(buf, len, "%u:%u", ma, mi);
}

static const struct isc_top_row *find_prev(const struct isc_top_snap *p, const struct isc_top_key *k)
{
	struct isc_top_row want = { .key = *k };

	if (!p->nr_rows)
		return NULL;
	return bsearch(&want, p->rows, p->nr_rows, sizeof(want), row_cmp);
}

static void remember_mismatches(struct isc_top_state *st, const struct isc_top_row *r,
				uint64_t real_ns)
{
	struct isc_top_recent *m;
	int c;

	for (c = 0; c < ISC_TC_MAX; c++) {
		if (!r->d.cls[c])
			continue;
		m = &st->recent[st->nr_recent++ % ISC_TOP_RECENT];
		memset(m, 0, sizeof(*m));
		m->real_ns = real_ns;
		m->tgid = r->key.tgid;
		m->cmd = r->key.cmd;
		m->fd_kind = r->key.fd_kind;
		m->cls = c;
		m->n = r->d.cls[c];
		m->ioctl = r->ioctl;
		memcpy(m->comm, r->comm, sizeof(m->comm));
	}
}

static bool process_gone(struct isc_top_state *st, uint32_t tgid, uint64_t now)
{
	int i;

	if (!kill((pid_t)tgid, 0) || errno != ESRCH)
		return false;
	for (i = 0; i < st->nr_gone; i++)
		if (st->gone[i].tgid == tgid)
			break;
	if (i == st->nr_gone && st->nr_gone < (int)ARRAY_SIZE(st->gone)) {
		st->gone[i].tgid = tgid;
		st->gone[i].since_ns = now;
		st->nr_gone++;
	}
	return true;
}

/* Processes gone for longer than the linger time leave the kernel's maps
 * (and the event table); they are in this sample for the last time. */
static void forget_gone(struct isc_top_state *st, uint64_t now)
{
	int i, j;

	for (i = 0; i < st->nr_gone;) {
		if (now - st->gone[i].since_ns < st->linger_ns) {
			i++;
			continue;
		}
		loader__top_forget(st->s, st->gone[i].tgid);
		for (j = 0; j < st->nr_ev; j++)
			if (st->ev[j].key.tgid == st->gone[i].tgid)
				st->ev[j--] = st->ev[--st->nr_ev];
		st->gone[i] = st->gone[--st->nr_gone];
	}
}

static int build_procs(struct isc_top_state *st, struct isc_top_snap *sn)
{
	int i, j, cap = 0;
	struct isc_top_row *p = NULL;

	for (i = 0; i < sn->nr_rows; i++) {
		struct isc_top_row *r = &sn->rows[i];

		if (!p || p->key.tgid != r->key.tgid) {
			p = grow(&sn->procs, &sn->nr_procs, &cap);
			if (!p)
				return -ENOMEM;
			p->key.tgid = r->key.tgid;
			memcpy(p->comm, r->comm, sizeof(p->comm));
			p->gone = r->gone;
			p->vm = r->vm;
		}
		add_counts(&p->tot, &r->tot);
		add_counts(&p->d, &r->d);
	}
	/* IOMMU-core events: per process (a process may have only these) */
	for (j = 0; j < st->nr_ev; j++) {
		const struct isc_top_row *e = &st->ev[j];
		struct isc_top_row want = { .key.tgid = e->key.tgid }, *q;
		const struct isc_top_row *old = NULL;
		int k;

		q = NULL;
		for (k = 0; k < sn->nr_procs && !q; k++)
			if (sn->procs[k].key.tgid == e->key.tgid)
				q = &sn->procs[k];
		if (!q) {
			q = grow(&sn->procs, &sn->nr_procs, &cap);
			if (!q)
				return -ENOMEM;
			*q = want;
			memcpy(q->comm, e->comm, sizeof(q->comm));
			q->vm = e->vm;
		}
		for (k = 0; k < st->prev.nr_procs && !old; k++)
			if (st->prev.procs[k].key.tgid == e->key.tgid)
				old = &st->prev.procs[k];
		q->tot.faults = e->tot.faults;
		q->tot.binds = e->tot.binds;
		q->tot.invalidations = e->tot.invalidations;
		q->d.faults = e->tot.faults - (old ? old->tot.faults : 0);
		q->d.binds = e->tot.binds - (old ? old->tot.binds : 0);
		q->d.invalidations = e->tot.invalidations - (old ? old->tot.invalidations : 0);
	}
	if (sn->nr_procs)
		qsort(sn->procs, sn->nr_procs, sizeof(*sn->procs), row_cmp);
	memset(&sn->all, 0, sizeof(sn->all));
	for (i = 0; i < sn->nr_procs; i++) {
		add_counts(&sn->all.tot, &sn->procs[i].tot);
		add_counts(&sn->all.d, &sn->procs[i].d);
	}
	return 0;
}

/* The programs' runs and this process's CPU and memory, and how they
 * moved since prev. */
static void cost_sample(struct isc_session *s, struct isc_top_cost *c,
			const struct isc_top_cost *prev, bool first)
{
	int i;

	c->bpf_stats = loader__bpf_stats(s);
	c->nr_progs = loader__prog_stats(s, c->progs, ISC_TOP_MAX_PROGS);
	c->runs = c->run_ns = 0;
	for (i = 0; i < c->nr_progs; i++) {
		c->runs += c->progs[i].run_cnt;
		c->run_ns += c->progs[i].run_time_ns;
	}
	c->agent_ok = !proc_self_usage(&c->agent);
	if (first)
		return;
	/* a counter that went back (stats turned off and on do not reset
	 * them, but be safe): nothing moved */
	c->d_runs = c->runs >= prev->runs ? c->runs - prev->runs : 0;
	c->d_run_ns = c->run_ns >= prev->run_ns ? c->run_ns - prev->run_ns : 0;
	if (c->agent_ok && prev->agent_ok && c->agent.cpu_ns >= prev->agent.cpu_ns)
		c->d_agent_cpu_ns = c->agent.cpu_ns - prev->agent.cpu_ns;
}

/* Each row's VM, from the session's cache (a process's cgroup is read
 * once); with -V, the rows of other VMs left out. */
static void rows_vm(struct isc_top_state *st, struct isc_top_snap *sn)
{
	int i, n = 0;

	if (!st->vms)
		return;
	for (i = 0; i < sn->nr_rows; i++) {
		struct isc_top_row *r = &sn->rows[i];

		/* the cgroup the calls came from: still named after an exit */
		r->vm = r->key.cgroup_id ? *vm_cache__get(st->vms, r->key.tgid, r->key.cgroup_id) :
			*vm_cache__pid(st->vms, r->key.tgid);
		if (st->vm_filter && !vm__match(&r->vm, st->vm_filter))
			continue;
		if (n != i)
			sn->rows[n] = *r;
		n++;
	}
	sn->nr_rows = n;
}

int top_snap__sample(struct isc_top_state *st)
{
	static const struct isc_top_counts zero;
	struct isc_top_snap *sn;
	struct rows_ctx mc;
	uint64_t now = monotonic_ns();
	struct timespec ts;
	uint64_t real_ns;
	int i, err;

	clock_gettime(CLOCK_REALTIME, &ts);
	real_ns = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	snap_free(&st->prev);
	st->prev = st->cur;
	memset(&st->cur, 0, sizeof(st->cur));
	sn = &st->cur;
	sn->mono_ns = now;
	sn->interval_ns = st->prev.mono_ns ? now - st->prev.mono_ns : 0;
	mc.sn = sn;
	mc.cap = 0;
	err = loader__top_stats(st->s, top_row_cb, &mc) ?:
	      loader__map_stats(st->s, map_row_cb, &mc);
	if (err)
		return err;
	enforcer__deny_counts(deny_row_cb, &mc);	/* -ENOENT: not enforcing */
	rows_vm(st, sn);
	if (sn->nr_rows)	/* qsort(NULL, 0) is undefined */
		qsort(sn->rows, sn->nr_rows, sizeof(*sn->rows), row_cmp);
	for (i = 0; i < sn->nr_rows; i++) {
		struct isc_top_row *r = &sn->rows[i];
		const struct isc_top_row *old = find_prev(&st->prev, &r->key);
		const struct isc_ioctl_desc *d = catalog__lookup(r->key.cmd, r->key.fd_kind);

		r->ioctl = d ? d->name : NULL;
		if (old) {
			memcpy(r->device, old->device, sizeof(r->device));
			r->iommu_group = old->iommu_group;
		} else {
			row_device(r);
		}
		sub_counts(&r->d, &r->tot, old ? &old->tot : &zero);
		r->gone = process_gone(st, r->key.tgid, now);
		remember_mismatches(st, r, real_ns);
	}
	err = build_procs(st, sn);
	if (err)
		return err;
	sn->drops = loader__stat(st->s, ISC_STAT_DROPS);
	sn->not_counted = loader__stat(st->s, ISC_STAT_TOP_FULL);
	cost_sample(st->s, &sn->cost, &st->prev.cost, !st->prev.mono_ns);
	forget_gone(st, now);
	return 0;
}

double top_snap__rate(const struct isc_top_snap *sn, uint64_t delta)
{
	return sn->interval_ns ? (double)delta * 1e9 / (double)sn->interval_ns : 0.0;
}

double top_snap__cpu_pct(const struct isc_top_snap *sn, uint64_t ns)
{
	return sn->interval_ns ? (double)ns * 100.0 / (double)sn->interval_ns : 0.0;
}

static const struct isc_top_counts *lat_counts(const struct isc_top_row *r)
{
	return r->d.calls ? &r->d : &r->tot;
}

uint64_t top_snap__avg_ns(const struct isc_top_row *r)
{
	const struct isc_top_counts *c = lat_counts(r);

	return c->calls ? c->lat_sum_ns / c->calls : 0;
}

uint64_t top_snap__p99_ns(const struct isc_top_row *r)
{
	const struct isc_top_counts *c = lat_counts(r);
	uint64_t n = 0, want;
	int i;

	if (!c->calls)
		return 0;
	want = c->calls - c->calls / 100;	/* ceil(0.99 * calls) */
	for (i = 0; i < ISC_TOP_HIST; i++) {
		n += c->hist[i];
		if (n >= want)
			return 1ull << (i + 1);
	}
	return 1ull << ISC_TOP_HIST;
}

uint64_t top_snap__mismatches(const struct isc_top_counts *c)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < ISC_TC_MAX; i++)
		n += c->cls[i];
	return n;
}

int top_snap__proc_rows(const struct isc_top_snap *sn, int proc, int *first)
{
	uint32_t tgid = sn->procs[proc].key.tgid;
	int i, n = 0;

	*first = 0;
	for (i = 0; i < sn->nr_rows; i++) {
		if (sn->rows[i].key.tgid != tgid)
			continue;
		if (!n)
			*first = i;
		n++;
	}
	return n;
}

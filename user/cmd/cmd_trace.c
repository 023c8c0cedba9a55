// SPDX-License-Identifier: GPL-2.0
/* iommuscope trace: stream every VFIO/iommufd ioctl, decoded and classified. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cmd_opts.h"
#include "commands.h"
#include "logfile.h"
#include "output.h"
#include "session.h"
#include "util.h"

#define MAX_MAP_KEYS 1024

static const char trace_usage[] =
	"usage: iommuscope trace [OPTIONS]\n"
	"\n"
	"Stream every VFIO and iommufd ioctl issued on this host, one line (or one\n"
	"JSON object) per call, printed when the call returns, with its\n"
	"compatibility class; and the IOMMU core's binds, invalidations, faults and\n"
	"map/unmap totals.\n"
	"\n"
	"  -j, --json              JSON Lines (schema in iommuscope-trace(8))\n"
	"  -w, --write FILE        write the records undecoded to FILE (- for stdout),\n"
	"                          the cheapest way to capture a busy host\n"
	"  -r, --read FILE         print the records of a -w file (- for stdin), judged\n"
	"                          against the kernel they were recorded on; only\n"
	"                          --json goes with it\n"
	ISC_LIVE_HELP
	"  -h, --help              this text\n"
	"\n"
	"examples:\n"
	"  iommuscope trace                       every call, as text\n"
	"  iommuscope trace --json -c qemu-system-x86 -d 30s > calls.jsonl\n"
	"  iommuscope trace -w calls.isc -d 1m     capture now...\n"
	"  iommuscope trace -r calls.isc --json    ...decode later, anywhere\n";

struct trace_ctx {
	struct isc_output out;
	const struct isc_session_opts *opts;
	/* map/unmap totals last printed, per process and ioctl */
	int nr_maps;
	struct isc_map_key map_key[MAX_MAP_KEYS];
	struct isc_map_stats map_last[MAX_MAP_KEYS];
};

static void trace_ioctl(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	struct trace_ctx *t = ctx;

	output__ioctl(&t->out, v, cls);
}

static void trace_mismatch(void *ctx, const struct isc_ioctl_view *v,
			   const struct isc_verdict *cls)
{
	struct trace_ctx *t = ctx;

	output__mismatch(&t->out, v, cls);
}

/* -p/-c filter ioctls in the kernel; IOMMU-core events run in other
 * contexts (a fault in an interrupt), so they are matched here by the task
 * or by the owner of the device. */
static bool iommu_wanted(const struct isc_session_opts *o, const struct isc_iommu_view *v)
{
	if (o->lo.tgid && v->ev.pid != o->lo.tgid && v->owner_pid != o->lo.tgid)
		return false;
	if (o->lo.comm && strcmp(v->ev.comm, o->lo.comm) && strcmp(v->owner_comm, o->lo.comm))
		return false;
	return true;
}

static void trace_iommu(void *ctx, const struct isc_iommu_view *v, const struct isc_verdict *cls)
{
	struct trace_ctx *t = ctx;

	if (iommu_wanted(t->opts, v))
		output__iommu(&t->out, v, cls);
}

/* Print map/unmap totals when they changed since last time. */
static void trace_map_stats(void *ctx, const struct isc_map_key *k, const struct isc_map_stats *st)
{
	struct trace_ctx *t = ctx;
	int i;

	if (t->opts->lo.comm && strcmp(st->comm, t->opts->lo.comm))
		return;
	if (t->opts->lo.tgid && k->tgid != t->opts->lo.tgid)
		return;
	for (i = 0; i < t->nr_maps && memcmp(&t->map_key[i], k, sizeof(*k)); i++)
		;
	if (i < t->nr_maps && !memcmp(&t->map_last[i], st, sizeof(*st)))
		return;
	if (i == t->nr_maps) {
		if (t->nr_maps == MAX_MAP_KEYS)
			i = 0;	/* full: reuse the oldest slot */
		else
			t->nr_maps++;
		t->map_key[i] = *k;
	}
	t->map_last[i] = *st;
	output__map_stats(&t->out, k, st);
}

static void trace_drops(void *ctx, uint64_t new_drops, uint64_t total)
{
	struct trace_ctx *t = ctx;

	output__drops(&t->out, new_drops, total);
}

/* trace -r: wall-clock times as the recording host had them */
static void trace_started(void *ctx, struct isc_session *s, const struct isc_session_result *res)
{
	struct trace_ctx *t = ctx;

	if (!s)
		t->out.mono_to_real_ns = res->mono_to_real_ns;
}

static void write_drops(void *ctx, uint64_t new_drops, uint64_t total)
{
	(void)ctx;
	isc_warn("%llu records lost (%llu in all): the ring buffer was full (--ringbuf-size)",
		 (unsigned long long)new_drops, (unsigned long long)total);
}

/* trace -w: records to a file, a one-line summary on stderr. */
static int trace_write(struct isc_session_opts *so, const char *path)
{
	static char buf[1 << 20];
	struct isc_sink sink = { .drops = write_drops };
	struct isc_session_result res;
	bool created = false;
	struct stat st;
	FILE *f = stdout;
	int fd, ret;

	/* privileges first: a refused run must not touch an existing file */
	if (commands__preflight())
		return ISC_EXIT_FAIL;
	if (strcmp(path, "-")) {
		created = stat(path, &st) && errno == ENOENT;
		fd = logfile__open_fd(path, true);
		if (fd < 0)
			return ISC_EXIT_FAIL;
		f = fdopen(fd, "w");
		if (!f) {
			isc_err("cannot create %s: %s", path, strerror(errno));
			close(fd);
			return ISC_EXIT_FAIL;
		}
	}
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	so->raw = f;
	ret = cmd_opts__run(so, &sink, &res);
	if (ret == ISC_EXIT_OK)
		fprintf(stderr, "iommuscope: %llu records (%.1f KiB) written to %s, %llu dropped, mode %s, %.1f s\n",
			(unsigned long long)res.records, res.raw_bytes / 1024.0, path,
			(unsigned long long)res.drops, res.mode, res.duration_ns / 1e9);
	if (f != stdout && fclose(f) && ret == ISC_EXIT_OK) {
		isc_err("failed to write %s: %s", path, strerror(errno));
		ret = ISC_EXIT_FAIL;
	}
	/* a session that never started leaves no file of its own behind
	 * (never a device, a FIFO or a file that was there before) */
	if (ret != ISC_EXIT_OK && created && !res.records && !stat(path, &st) &&
	    S_ISREG(st.st_mode))
		unlink(path);
	session__free(&res);
	return ret;
}

struct trace_args {
	const char *wpath, *rpath;
	bool json;
	int nr_session;		/* live options given (none go with -r) */
};

static int trace_opt(void *ctx, int c, const char *arg)
{
	struct trace_args *a = ctx;

	switch (c) {
	case 'j':
		a->json = true;
		return 1;
	case 'w':
		a->wpath = arg;
		return 1;
	case 'r':
		a->rpath = arg;
		return 1;
	}
	return 0;
}

static void trace_live(void *ctx, int c, const char *arg)
{
	(void)c;
	(void)arg;
	((struct trace_args *)ctx)->nr_session++;
}

/* Records to a file or a pipe go out 64 KiB at a time (the session still
 * flushes after each poll round); a terminal keeps its line buffering. */
static void trace_buffer_stdout(void)
{
	static char buf[1 << 16];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "write", required_argument, NULL, 'w' },
		{ "read", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		ISC_LIVE_LONG,
		{},
	};
	struct trace_args a = {};
	const struct isc_cmd_line cl = {
		.name = "trace", .usage = trace_usage, .shortopts = "jw:r:h" ISC_LIVE_SHORT,
		.longopts = opts, .opt = trace_opt, .live = trace_live, .ctx = &a,
	};
	static struct trace_ctx t;
	struct isc_sink sink = {
		.ctx = &t, .ioctl = trace_ioctl, .mismatch = trace_mismatch,
		.iommu = trace_iommu, .map_stats = trace_map_stats, .drops = trace_drops,
		.started = trace_started,
	};
	struct isc_session_result res;
	struct isc_session_opts so;
	struct isc_summary sum = {};
	int ret;

	session__init_opts(&so, "tracing");
	ret = cmd_opts__getopt(&so, &cl, argc, argv);
	if (ret >= 0)
		return ret;
	if (a.wpath && (a.rpath || a.json)) {
		isc_err("trace: -w writes undecoded records: no %s with it", a.rpath ? "-r" : "--json");
		return ISC_EXIT_USAGE;
	}
	if (a.wpath && so.vm) {
		isc_err("trace: -w writes undecoded records: no --vm with it");
		return ISC_EXIT_USAGE;
	}
	if (a.rpath && a.nr_session) {
		isc_err("trace: -r reads a file: only --json goes with it");
		return ISC_EXIT_USAGE;
	}
	if (a.wpath)
		return trace_write(&so, a.wpath);
	memset(&t, 0, sizeof(t));
	t.opts = &so;
	trace_buffer_stdout();
	output__init(&t.out, a.json, stdout);
	if (a.rpath)
		ret = cmd_opts__exit(session__replay(a.rpath, &sink, &res), &res);
	else
		ret = cmd_opts__run(&so, &sink, &res);
	if (ret == ISC_EXIT_OK) {
		sum.mode = res.mode;
		sum.events = res.records;
		sum.drops = res.drops;
		sum.invalid = res.invalid;
		sum.inflight_full = res.inflight_full;
		sum.duration_ns = res.duration_ns;
		output__summary(&t.out, &sum);
		fflush(stdout);
	}
	session__free(&res);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/* iommutop (iommuscope top): its options; the session and the views are
 * top.c's. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include "commands.h"
#include "cmd_opts.h"
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
	"      --bpf-stats         count the BPF programs' runs and run time (header\n"
	"                          line 4; 20-60 ns per program run)\n"
	"  -v, --verbose           more messages\n"
	"  -h, --help              this text\n"
	"\n"
	"examples:\n"
	"  iommutop\n"
	"  iommutop -b -n 3 -d 2s\n"
	"  iommuscope top --json -n 1 -d 10s -c qemu-system-x86\n";

/* top's own options: 1 taken, 0 not one of them, -1 bad (printed). */
static int top_parse_opt(void *ctx, int c, const char *arg)
{
	struct isc_top_opts *o = ctx;

	switch (c) {
	case 'd':
		return top__parse_interval("--delay", arg, &o->delay_ns) ? -1 : 1;
	case 'b':
		o->batch = true;
		return 1;
	case 'n':
		if (parse_u64(arg, 1, 1000000000, &o->iterations)) {
			isc_err("invalid --iterations '%s': a count from 1", arg);
			return -1;
		}
		return 1;
	case 'j':
		o->json = o->batch = true;
		return 1;
	case 's':
		o->sort = top__sort_by_name(arg);
		if (o->sort < 0) {
			isc_err("invalid --sort '%s': calls, errors, mismatches, denials, map, "
				"unmap, faults, latency, pid or comm", arg);
			return -1;
		}
		return 1;
	case 'f':
		o->filter = arg;
		return 1;
	}
	return 0;
}

/* The command line into o and so: -1 to go on, else the exit code. */
static int top_parse(struct isc_top_opts *o, struct isc_session_opts *so, int argc, char **argv)
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
	const struct isc_cmd_line cl = {
		.name = "top", .usage = top_usage, .shortopts = "d:bn:js:f:h" ISC_LIVE_SHORT,
		.longopts = opts, .opt = top_parse_opt, .ctx = o,
	};

	return cmd_opts__getopt(so, &cl, argc, argv);
}

int cmd_top(int argc, char **argv)
{
	struct isc_top_opts o = { .delay_ns = 1000000000ull };
	struct isc_session_result res;
	struct isc_session_opts so;
	struct isc_sink sink;
	int ret;

	cmd_opts__init_counting(&so, "counting");
	ret = top_parse(&o, &so, argc, argv);
	if (ret >= 0)
		return ret;
	if (!o.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		isc_err("top: the full-screen view needs a terminal; use --batch or --json");
		return ISC_EXIT_USAGE;
	}
	top__sink(&o, &so, &sink);
	ret = cmd_opts__run(&so, &sink, &res);
	if (top__done() && ret == ISC_EXIT_OK)
		ret = ISC_EXIT_FAIL;
	session__free(&res);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/* iommuscope export: its options; the page, the HTTP server and the
 * session are export.c's. */
#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include "commands.h"
#include "export.h"
#include "cmd_opts.h"
#include "session.h"
#include "top.h"
#include "util.h"

static const char export_usage[] =
	"usage: iommuscope export [--listen ADDR:PORT] [OPTIONS]\n"
	"\n"
	"Serve iommutop's counters (calls, errors, mismatches by class, denials,\n"
	"latency histograms, DMA bytes mapped and unmapped, IOMMU faults, binds,\n"
	"invalidations; per process, ioctl, fd kind and device) on\n"
	"http://ADDR:PORT/metrics in the Prometheus text format.\n"
	"\n"
	"  -l, --listen ADDR:PORT  where to listen (default " ISC_EXPORT_DEFAULT "; loopback\n"
	"                          only unless told otherwise, e.g. 0.0.0.0:9477,\n"
	"                          [::]:9477)\n"
	"  -i, --interval TIME     how often the kernel's counters are read (default 1s)\n"
	"      --linger TIME       keep an exited process's series this long (default 5m)\n"
	"      --web.config.file FILE  TLS, client certificates, basic auth and headers\n"
	"                          (exporter-toolkit's web config; also --web-config)\n"
	"      --max-connections N     open connections in all (default 128)\n"
	"      --max-connections-per-ip N  from one address (default 8)\n"
	"      --idle-timeout TIME     close a connection idle this long (default 10s)\n"
	"  -p, --pid PID           only this process (in the kernel)\n"
	"  -c, --comm COMM         only tasks with this command name (in the kernel)\n"
	"  -m, --mode MODE         auto (default), full or tracepoint\n"
	"      --no-iommu          no IOMMU-core hooks (faults, binds, ...)\n"
	"      --classify PATH=KIND  count PATH as a VFIO fd of KIND (tests)\n"
	"      --bpf-stats         count the BPF programs' runs and run time\n"
	"                          (iommuscope_bpf_program_*; 20-60 ns per run)\n"
	"  -v, --verbose           more messages\n"
	"  -h, --help              this text\n";

enum {
	OPT_LINGER = ISC_OPT_FIRST_FREE, OPT_WEB_CONFIG, OPT_MAX_CONNS, OPT_MAX_CONNS_IP,
	OPT_IDLE_TIMEOUT,
};

static int export_limit(const char *opt, const char *arg, unsigned int *out)
{
	uint64_t v;

	if (parse_u64(arg, 1, 10000, &v)) {
		isc_err("invalid %s '%s': want a number from 1 to 10000", opt, arg);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

/* export's own options: 1 taken, 0 not one of them, -EINVAL bad. */
static int export_parse_opt(void *ctx, int c, const char *arg)
{
	struct isc_export_opts *a = ctx;
	uint64_t ns;

	switch (c) {
	case 'l':
		a->listen_at = arg;
		return 1;
	case 'i':
		return top__parse_interval("--interval", arg, &a->interval) ? -EINVAL : 1;
	case OPT_LINGER:
		if (parse_duration_ns(arg, &a->linger)) {
			isc_err("invalid --linger '%s': want e.g. 30s, 5m, 1h", arg);
			return -EINVAL;
		}
		return 1;
	case OPT_WEB_CONFIG:
		a->web_config = arg;
		return 1;
	case OPT_MAX_CONNS:
		return export_limit("--max-connections", arg, &a->max_conns) ? -EINVAL : 1;
	case OPT_MAX_CONNS_IP:
		return export_limit("--max-connections-per-ip", arg, &a->max_conns_ip) ? -EINVAL : 1;
	case OPT_IDLE_TIMEOUT:
		if (parse_duration_ns(arg, &ns) || ns % 1000000000ull || ns < 1000000000ull ||
		    ns > 3600000000000ull) {
			isc_err("invalid --idle-timeout '%s': want whole seconds from 1s to 1h", arg);
			return -EINVAL;
		}
		a->idle_timeout = (unsigned int)(ns / 1000000000ull);
		return 1;
	}
	return 0;
}

/* The command line into a and so: -1 to go on, else the exit code. */
static int export_parse(struct isc_export_opts *a, struct isc_session_opts *so, int argc,
			char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG },
		{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
		{ "max-connections-per-ip", required_argument, NULL, OPT_MAX_CONNS_IP },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		ISC_LIVE_LONG,
		{},
	};
	const struct isc_cmd_line cl = {
		.name = "export", .usage = export_usage, .shortopts = "l:i:h" ISC_LIVE_SHORT,
		.longopts = opts, .opt = export_parse_opt, .ctx = a,
	};
	int ret;

	ret = cmd_opts__getopt(so, &cl, argc, argv);
	if (ret >= 0)
		return ret;
	if (a->max_conns_ip > a->max_conns) {
		isc_err("invalid --max-connections-per-ip %u: more than --max-connections %u",
			a->max_conns_ip, a->max_conns);
		return ISC_EXIT_USAGE;
	}
	return -1;
}

int cmd_export(int argc, char **argv)
{
	struct isc_export_opts a = {
		.listen_at = ISC_EXPORT_DEFAULT, .interval = 1000000000ull, .linger = 300000000000ull,
		.max_conns = 128, .max_conns_ip = 8, .idle_timeout = 10,
	};
	struct isc_session_result res;
	struct isc_session_opts so;
	struct isc_sink sink;
	int ret;

	cmd_opts__init_counting(&so, "exporting");
	ret = export_parse(&a, &so, argc, argv);
	if (ret >= 0)
		return ret;
	ret = export__open(&a, &so, &sink);
	if (ret)
		return ret == -EINVAL ? ISC_EXIT_USAGE : ISC_EXIT_FAIL;
	ret = cmd_opts__run(&so, &sink, &res);
	if (export__close() && ret == ISC_EXIT_OK)
		ret = ISC_EXIT_FAIL;
	session__free(&res);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/* The options every live command takes, and the session's exit codes. */
#include <string.h>
#include "cmd_opts.h"
#include "commands.h"
#include "util.h"
#include "vm.h"

static int parse_mode(struct isc_session_opts *o, const char *arg)
{
	if (!strcmp(arg, "auto"))
		o->lo.mode = ISC_MODE_AUTO;
	else if (!strcmp(arg, "full"))
		o->lo.mode = ISC_MODE_FULL;
	else if (!strcmp(arg, "tracepoint"))
		o->lo.mode = ISC_MODE_TRACEPOINT;
	else {
		isc_err("invalid --mode '%s': auto, full or tracepoint", arg);
		return -1;
	}
	return 1;
}

/* The options that only take a value: -p, -c, -V, -d, --ringbuf-size. */
static int parse_value(struct isc_session_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'p':
		if (parse_u64(arg, 1, 4194304, &v)) {
			isc_err("invalid --pid '%s': want a process id", arg);
			return -1;
		}
		o->lo.tgid = v;
		return 1;
	case 'c':
		if (!*arg || strlen(arg) >= ISC_COMM_LEN) {
			isc_err("invalid --comm '%s': 1 to %d characters", arg, ISC_COMM_LEN - 1);
			return -1;
		}
		o->lo.comm = arg;
		return 1;
	case 'V':
		if (!*arg || strlen(arg) >= ISC_VM_NAME_LEN) {
			isc_err("invalid --vm '%s': 1 to %d characters", arg, ISC_VM_NAME_LEN - 1);
			return -1;
		}
		o->vm = arg;
		return 1;
	case 'd':
		if (parse_duration_ns(arg, &o->duration_ns)) {
			isc_err("invalid --duration '%s': want e.g. 10, 10s, 500ms, 2m", arg);
			return -1;
		}
		return 1;
	case ISC_OPT_RINGBUF:
		if (parse_u64(arg, 1, 1024, &v) || (v & (v - 1))) {
			isc_err("invalid --ringbuf-size '%s': a power of 2 from 1 to 1024 (MiB)", arg);
			return -1;
		}
		o->lo.ringbuf_bytes = v << 20;
		return 1;
	}
	return 0;
}

int cmd_opts__parse(struct isc_session_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'm':
		return parse_mode(o, arg);
	case ISC_OPT_NO_IOMMU:
		o->lo.no_iommu = true;
		return 1;
	case ISC_OPT_BPF_STATS:
		o->lo.bpf_stats = true;
		return 1;
	case ISC_OPT_CLASSIFY:
		if (o->nr_classify == ISC_MAX_CLASSIFY) {
			isc_err("at most %d --classify options", ISC_MAX_CLASSIFY);
			return -1;
		}
		o->classify[o->nr_classify++] = arg;
		return 1;
	case 'v':
		isc_verbose++;
		return 1;
	}
	return parse_value(o, c, arg);
}

void cmd_opts__init_counting(struct isc_session_opts *so, const char *what)
{
	session__init_opts(so, what);
	so->lo.counting = true;
	so->lo.ringbuf_bytes = 1 << 20;
}

int cmd_opts__getopt(struct isc_session_opts *so, const struct isc_cmd_line *cl, int argc,
		     char **argv)
{
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, cl->shortopts, cl->longopts, NULL)) != -1) {
		/* the command's own first: top's -d is its delay, not the
		 * live --duration */
		r = c == 'h' || c == '?' ? 0 : cl->opt(cl->ctx, c, optarg);
		if (r < 0)
			return ISC_EXIT_USAGE;
		if (r)
			continue;
		r = cmd_opts__parse(so, c, optarg);
		if (r < 0)
			return ISC_EXIT_USAGE;
		if (!r)
			return commands__help_or_usage(c, cl->usage);
		if (cl->live)
			cl->live(cl->ctx, c, optarg);
	}
	if (commands__no_args(cl->name, argc, argv))
		return ISC_EXIT_USAGE;
	return -1;
}

static int out_opt(void *ctx, int c, const char *arg)
{
	if (c != 'o')
		return 0;
	*(const char **)ctx = arg;
	return 1;
}

int cmd_opts__parse_out(struct isc_session_opts *so, int argc, char **argv, const char *cmd,
			const char *usage, const char **out)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		ISC_LIVE_LONG,
		{},
	};
	const struct isc_cmd_line cl = {
		.name = cmd, .usage = usage, .shortopts = "o:h" ISC_LIVE_SHORT, .longopts = opts,
		.opt = out_opt, .ctx = out,
	};
	int ret;

	*out = NULL;
	ret = cmd_opts__getopt(so, &cl, argc, argv);
	if (ret >= 0)
		return ret;
	if (!*out) {
		isc_err("%s: -o FILE is required", cmd);
		return ISC_EXIT_USAGE;
	}
	return -1;
}

int cmd_opts__exit(int err, const struct isc_session_result *res)
{
	if (!err)
		return ISC_EXIT_OK;
	return res->option_refused ? ISC_EXIT_USAGE : ISC_EXIT_FAIL;
}

int cmd_opts__run(const struct isc_session_opts *o, const struct isc_sink *sink,
		  struct isc_session_result *res)
{
	memset(res, 0, sizeof(*res));
	if (commands__preflight())
		return ISC_EXIT_FAIL;
	return cmd_opts__exit(session__run(o, sink, res), res);
}

// SPDX-License-Identifier: GPL-2.0
/* iommuscope audit: record every compatibility mismatch, aggregated. */
#include <stdio.h>
#include <string.h>
#include "auditlog.h"
#include "logfile.h"
#include "commands.h"
#include "privs.h"
#include "cmd_opts.h"
#include "session.h"
#include "util.h"

static const char audit_usage[] =
	"usage: iommuscope audit [OPTIONS]\n"
	"\n"
	"Record every VFIO/iommufd call whose struct size, flags or ioctl does not\n"
	"match what the running kernel understands (older-struct, newer-struct,\n"
	"truncated, unknown-flags, caps-truncated, bad-version, unknown-ioctl,\n"
	"newer-than-catalog: a command or feature the catalog lacks that the kernel\n"
	"answered), with\n"
	"the process, its executable and cgroup, and an explanation. The same\n"
	"mismatch from the same executable is one record with a count: written when\n"
	"first seen, and again with the count when repeats accumulate. On exit, a\n"
	"table per executable goes to stderr.\n"
	"\n"
	"  -o, --log FILE          append to FILE (root-only, 0600) instead of stdout\n"
	"  -j, --json              JSON Lines (schema in iommuscope-audit(8))\n"
	ISC_LOGFILE_HELP
	"      --syslog            also send each record to syslog (journald)\n"
	"      --flush SECONDS     write accumulated repeats this often (default 60)\n"
	ISC_LIVE_HELP
	"  -h, --help              this text\n"
	"\n"
	"examples:\n"
	"  iommuscope audit --json -o /var/log/iommuscope/audit.jsonl --syslog\n"
	"  iommuscope audit -c qemu-system-x86 -d 1h\n";

struct audit_ctx {
	struct isc_auditlog *log;
	uint64_t flush_ns, last_flush;
};

static void audit_ioctl(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	struct audit_ctx *a = ctx;

	auditlog__ioctl(a->log, v, cls, false);
}

static void audit_late(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	struct audit_ctx *a = ctx;

	auditlog__ioctl(a->log, v, cls, true);
}

static void audit_iommu(void *ctx, const struct isc_iommu_view *v, const struct isc_verdict *cls)
{
	struct audit_ctx *a = ctx;

	auditlog__iommu(a->log, v, cls);
}

/* Attached: from here on, CAP_BPF (every bpf() call on kernels before 5.19:
 * map reads, classifier updates on module changes) and CAP_SYS_PTRACE
 * (/proc/PID/exe of callers with capabilities this process lacks). */
static void audit_started(void *ctx, struct isc_session *s, const struct isc_session_result *res)
{
	(void)ctx, (void)s, (void)res;
	privs__drop(PRIVS_KEEP(CAP_BPF, CAP_SYS_PTRACE));
}

static void audit_tick(void *ctx)
{
	struct audit_ctx *a = ctx;
	uint64_t now = monotonic_ns();

	if (now - a->last_flush < a->flush_ns)
		return;
	a->last_flush = now;
	auditlog__flush(a->log);
}

enum { OPT_MAX_SIZE = ISC_OPT_FIRST_FREE, OPT_ROTATE, OPT_SYSLOG, OPT_FLUSH };

struct audit_args {
	struct isc_auditlog_opts *lo;
	struct audit_ctx *a;
};

/* One of audit's own options (not a session one): 1 taken, 0 not one of
 * them, -1 a bad value (message printed). */
static int audit_opt(void *ctx, int c, const char *arg)
{
	struct isc_auditlog_opts *lo = ((struct audit_args *)ctx)->lo;
	struct audit_ctx *a = ((struct audit_args *)ctx)->a;
	uint64_t v;

	switch (c) {
	case 'o':
		lo->path = arg;
		break;
	case 'j':
		lo->json = true;
		break;
	case OPT_MAX_SIZE:
		if (logfile__parse_max_size(arg, &lo->max_bytes))
			return -1;
		break;
	case OPT_ROTATE:
		if (logfile__parse_rotate(arg, &lo->rotate))
			return -1;
		break;
	case OPT_SYSLOG:
		lo->syslog = true;
		break;
	case OPT_FLUSH:
		if (parse_u64(arg, 1, 86400, &v)) {
			isc_err("invalid --flush '%s': 1 to 86400 seconds", arg);
			return -1;
		}
		a->flush_ns = v * 1000000000ull;
		break;
	default:
		return 0;
	}
	return 1;
}

/* The command line into lo, a and so: -1 to go on, else the exit code. */
static int audit_parse(struct isc_auditlog_opts *lo, struct audit_ctx *a,
		       struct isc_session_opts *so, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "rotate", required_argument, NULL, OPT_ROTATE },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "flush", required_argument, NULL, OPT_FLUSH },
		{ "help", no_argument, NULL, 'h' },
		ISC_LIVE_LONG,
		{},
	};
	struct audit_args args = { .lo = lo, .a = a };
	const struct isc_cmd_line cl = {
		.name = "audit", .usage = audit_usage, .shortopts = "o:jh" ISC_LIVE_SHORT,
		.longopts = opts, .opt = audit_opt, .ctx = &args,
	};

	return cmd_opts__getopt(so, &cl, argc, argv);
}

/* After a session that ran: the last repeats, the table per executable and
 * the totals. ISC_EXIT_FAIL if records stayed unwritten. */
static int audit_summary(struct audit_ctx *a, const struct isc_session_result *res)
{
	auditlog__flush(a->log);
	auditlog__summary(a->log, stderr);
	fprintf(stderr, "iommuscope: %llu audit records written, %llu entries forgotten, mode %s, %.1f s%s\n",
		(unsigned long long)auditlog__written(a->log),
		(unsigned long long)auditlog__evicted(a->log), res->mode,
		res->duration_ns / 1e9, auditlog__owed(a->log) ? "; SOME RECORDS UNWRITTEN" : "");
	if (auditlog__owed(a->log)) {
		isc_err("%d audit records could not be written (see the warning above)",
			auditlog__owed(a->log));
		return ISC_EXIT_FAIL;
	}
	return ISC_EXIT_OK;
}

int cmd_audit(int argc, char **argv)
{
	struct isc_auditlog_opts lo = { .max_bytes = ISC_LOGFILE_MAX_BYTES, .rotate = ISC_LOGFILE_ROTATE };
	struct audit_ctx a = { .flush_ns = 60000000000ull };
	struct isc_sink sink = {
		.ctx = &a, .ioctl = audit_ioctl, .mismatch = audit_late, .iommu = audit_iommu,
		.tick = audit_tick, .started = audit_started,
	};
	struct isc_session_result res;
	struct isc_session_opts so;
	int ret;

	session__init_opts(&so, "auditing");
	ret = audit_parse(&lo, &a, &so, argc, argv);
	if (ret >= 0)
		return ret;
	a.log = auditlog__open(&lo);
	if (!a.log)
		return ISC_EXIT_FAIL;
	a.last_flush = monotonic_ns();
	ret = cmd_opts__run(&so, &sink, &res);
	if (ret == ISC_EXIT_OK)
		ret = audit_summary(&a, &res);
	session__free(&res);
	auditlog__close(a.log);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command layer's side of a live session: the options every live
 * command takes, the checks before a load, and the exit codes.
 */
#ifndef ISC_CMD_OPTS_H
#define ISC_CMD_OPTS_H

#include <getopt.h>
#include "session.h"

#define ISC_LIVE_SHORT "p:c:V:d:m:v"
enum {
	ISC_OPT_RINGBUF = 0x100, ISC_OPT_CLASSIFY, ISC_OPT_NO_IOMMU, ISC_OPT_BPF_STATS,
	ISC_OPT_FIRST_FREE
};
#define ISC_LIVE_LONG							\
	{ "pid", required_argument, NULL, 'p' },				\
	{ "comm", required_argument, NULL, 'c' },			\
	{ "vm", required_argument, NULL, 'V' },				\
	{ "duration", required_argument, NULL, 'd' },			\
	{ "mode", required_argument, NULL, 'm' },			\
	{ "ringbuf-size", required_argument, NULL, ISC_OPT_RINGBUF },	\
	{ "classify", required_argument, NULL, ISC_OPT_CLASSIFY },	\
	{ "no-iommu", no_argument, NULL, ISC_OPT_NO_IOMMU },		\
	{ "bpf-stats", no_argument, NULL, ISC_OPT_BPF_STATS },		\
	{ "verbose", no_argument, NULL, 'v' }

#define ISC_LIVE_HELP							\
	"  -p, --pid PID           only this process (thread group id)\n"	\
	"  -c, --comm COMM         only tasks with this command name (15 chars max)\n" \
	"  -V, --vm NAME           only callers of this VM, pod or unit: the name\n"	\
	"                          exactly as the vm field shows it\n"		\
	"  -d, --duration TIME     stop after TIME (10, 10s, 500ms, 2m)\n"	\
	"  -m, --mode MODE         auto (default), full or tracepoint\n"	\
	"      --ringbuf-size MIB  ring buffer size in MiB, a power of 2 (default 4)\n" \
	"      --no-iommu          ioctl events only: no bind/invalidate/fault/map\n" \
	"      --bpf-stats         count the BPF programs' runs and run time for\n" \
	"                          the session (kernel.bpf_stats_enabled; costs\n" \
	"                          20-60 ns per program run); off by default\n" \
	"      --classify PATH=KIND\n"						\
	"                          treat the character device PATH as a VFIO fd of\n" \
	"                          KIND (container, group, device, iommufd, ...);\n" \
	"                          for tests and kernels without /proc/misc entries\n" \
	"  -v, --verbose           more messages (twice: libbpf debug output)\n"

/* One live-command option into o. 1: handled, 0: not a live option, -1:
 * bad value (message printed). */
int cmd_opts__parse(struct isc_session_opts *o, int c, const char *arg);
/* The options of a live command whose own option is just -o FILE
 * (required). -1 to go on, or the exit code (help shown, usage error). */
int cmd_opts__parse_out(struct isc_session_opts *so, int argc, char **argv, const char *cmd,
			const char *usage, const char **out);
/* A live command's command line: its own options beside the live ones. */
struct isc_cmd_line {
	const char *name;		/* "trace", "policy learn": for messages */
	const char *usage;
	const char *shortopts;		/* its own and ISC_LIVE_SHORT */
	const struct option *longopts;	/* its own and ISC_LIVE_LONG */
	/* one of its own options: 1 taken, 0 not its own (-h or unknown: the
	 * help or the usage follows), -1 a bad value (message printed) */
	int (*opt)(void *ctx, int c, const char *arg);
	/* a live option, after cmd_opts__parse took it; may be NULL */
	void (*live)(void *ctx, int c, const char *arg);
	void *ctx;
};
/* The options of a counting session (top, export): in-kernel counters, a
 * 1 MiB ring for the IOMMU-core records. */
void cmd_opts__init_counting(struct isc_session_opts *so, const char *what);
/* Parse argc/argv as cl says: each option offered to the command's own
 * parser first (top's -d is its delay), then to the live ones (into so);
 * no arguments besides options. -1 to go on, or the exit code (help shown, usage
 * error). */
int cmd_opts__getopt(struct isc_session_opts *so, const struct isc_cmd_line *cl, int argc,
		     char **argv);
/* The exit code of a session that returned err (0 or -errno). */
int cmd_opts__exit(int err, const struct isc_session_result *res);
/* Privileges and mounts (commands__preflight), then session__run: an
 * ISC_EXIT_* code. res is cleared first, so session__free may follow. */
int cmd_opts__run(const struct isc_session_opts *o, const struct isc_sink *sink,
		  struct isc_session_result *res);

#endif /* ISC_CMD_OPTS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One tracing session, shared by every command that watches live traffic
 * (trace, audit, profile record): probe, load and attach, read the ring
 * buffer, classify, and hand each record to the command's sink, until a
 * signal or the duration ends it.
 */
#ifndef ISC_SESSION_H
#define ISC_SESSION_H

#include <getopt.h>
#include "classify.h"
#include "iommu_state.h"
#include "loader.h"

#define ISC_MAX_CLASSIFY 16

/* Options every live command takes; parsed by session__parse_opt. */
struct isc_session_opts {
	struct isc_loader_opts lo;
	uint64_t duration_ns;		/* 0: until a signal */
	int nr_classify;
	const char *classify[ISC_MAX_CLASSIFY];
	const char *what;		/* "tracing", "auditing", ... for the ready line */
	bool counting;			/* count in the kernel (bpf/top.bpf.c): no
					 * ioctl records, only IOMMU-core ones */
	uint64_t tick_ns;		/* the sink's tick; 0: every second */
	FILE *raw;			/* trace -w: write the records here as they
					 * come (include/tracefile.h), no sink calls
					 * but drops */
};

#define ISC_SESSION_SHORT "p:c:d:m:v"
enum { ISC_OPT_RINGBUF = 0x100, ISC_OPT_CLASSIFY, ISC_OPT_NO_IOMMU, ISC_OPT_FIRST_FREE };
#define ISC_SESSION_LONG						\
	{ "pid", required_argument, NULL, 'p' },				\
	{ "comm", required_argument, NULL, 'c' },			\
	{ "duration", required_argument, NULL, 'd' },			\
	{ "mode", required_argument, NULL, 'm' },			\
	{ "ringbuf-size", required_argument, NULL, ISC_OPT_RINGBUF },	\
	{ "classify", required_argument, NULL, ISC_OPT_CLASSIFY },	\
	{ "no-iommu", no_argument, NULL, ISC_OPT_NO_IOMMU },		\
	{ "verbose", no_argument, NULL, 'v' }

#define ISC_SESSION_HELP							\
	"  -p, --pid PID           only this process (thread group id)\n"	\
	"  -c, --comm COMM         only tasks with this command name (15 chars max)\n" \
	"  -d, --duration TIME     stop after TIME (10, 10s, 500ms, 2m)\n"	\
	"  -m, --mode MODE         auto (default), full or tracepoint\n"	\
	"      --ringbuf-size MIB  ring buffer size in MiB, a power of 2 (default 4)\n" \
	"      --no-iommu          ioctl events only: no bind/invalidate/fault/map\n" \
	"      --classify PATH=KIND\n"						\
	"                          treat the character device PATH as a VFIO fd of\n" \
	"                          KIND (container, group, device, iommufd, ...);\n" \
	"                          for tests and kernels without /proc/misc entries\n" \
	"  -v, --verbose           more messages (twice: libbpf debug output)\n"

/* 1: handled, 0: not a session option, -1: bad value (message printed). */
int session__parse_opt(struct isc_session_opts *o, int c, const char *arg);
void session__init_opts(struct isc_session_opts *o, const char *what);
/* The options of a live command whose own option is just -o FILE
 * (required). -1 to go on, or the exit code (help shown, usage error). */
int session__parse_out_opts(struct isc_session_opts *so, int argc, char **argv,
			    const char *cmd, const char *usage, const char **out);

struct isc_session_result;

/* What a command does with the records. Any callback may be NULL. */
struct isc_sink {
	void *ctx;
	void (*ioctl)(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls);
	/* a verdict reached after its call (caps-truncated) */
	void (*mismatch)(void *ctx, const struct isc_ioctl_view *v,
			 const struct isc_verdict *cls);
	void (*iommu)(void *ctx, const struct isc_iommu_view *v, const struct isc_verdict *cls);
	void (*map_stats)(void *ctx, const struct isc_map_key *k, const struct isc_map_stats *st);
	void (*drops)(void *ctx, uint64_t new_drops, uint64_t total);
	void (*tick)(void *ctx);	/* about once a second (tick_ns), and at the end */
	/* attached and about to run; s is valid until session__run returns;
	 * NULL from session__replay once the file's header is read */
	void (*started)(void *ctx, struct isc_session *s, const struct isc_session_result *res);
	/* input_fd is readable (when input is set) */
	void (*input)(void *ctx);
	int input_fd;
};

struct isc_session_result {
	const char *mode;
	uint64_t records;	/* valid records from the kernel */
	uint64_t drops;
	uint64_t invalid;
	uint64_t inflight_full;
	uint64_t duration_ns;
	struct isc_probe *probe;	/* what was probed (valid until session__free) */
	struct isc_abi abi;		/* the kernel's ABI as learnt at start */
	uint64_t raw_bytes;		/* written to o->raw */
	int64_t mono_to_real_ns;	/* replay: the recording host's clock offset */
	char release[65];		/* replay: the recording host's kernel */
};

/* Run until a signal or the duration. An ISC_EXIT_* code; on failure the
 * reason was printed. res is filled when the session ran. */
int session__run(const struct isc_session_opts *o, const struct isc_sink *sink,
		 struct isc_session_result *res);
/* Feed the records of a trace -w file through the sink, judged against the
 * recording host's kernel (res->abi from the file). An ISC_EXIT_* code. */
int session__replay(const char *path, const struct isc_sink *sink,
		    struct isc_session_result *res);
void session__free(struct isc_session_result *res);
/* Ask a running session to end (from a sink callback). */
void session__stop(void);

#endif /* ISC_SESSION_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One live session, shared by every command that watches live traffic
 * (trace, audit, profile record, top, export, enforce): probe, load and
 * attach (or take ring buffers loaded elsewhere), read the ring buffers,
 * decode, classify, and hand each record to the command's sink, until a
 * signal or the duration ends it. No option parsing, no exit codes: that
 * is the command layer's (cmd_opts.h).
 */
#ifndef ISC_SESSION_H
#define ISC_SESSION_H

#include <stdio.h>
#include "classify.h"
#include "decode.h"
#include "iommu_state.h"
#include "loader.h"

#define ISC_MAX_CLASSIFY 16

/* What a live session watches and for how long. */
struct isc_session_opts {
	struct isc_loader_opts lo;
	uint64_t duration_ns;		/* 0: until a signal */
	int nr_classify;
	const char *classify[ISC_MAX_CLASSIFY];	/* PATH=KIND (kernel__add_classify) */
	const char *what;		/* "tracing", "auditing", ... for the ready line */
	uint64_t tick_ns;		/* the sink's tick; 0: every second */
	FILE *raw;			/* trace -w: write the records here as they
					 * come (user/ring/tracefile.h), no sink calls
					 * but drops */
	const char *vm;			/* -V: only callers of this VM (vm.h) */
};

/* The defaults: every mode, a 4 MiB ring buffer, no filter. */
void session__init_opts(struct isc_session_opts *o, const char *what);

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
	/* enforce records (bpf/enforce.bpf.c): a refusal (or an audit-only
	 * one), and a flags-changed-after-the-check alert */
	void (*deny)(void *ctx, const struct isc_deny_view *v);
	void (*race)(void *ctx, const struct isc_deny_view *v);
	/* after every wait for records (100 ms at most), before the duration
	 * is checked; hup: a SIGHUP came since the last round (caught only
	 * after session__signals(true)) */
	void (*round)(void *ctx, bool hup);
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
	uint64_t abi_gen;		/* abi and kernel re-learnt (module changes) */
	int64_t mono_to_real_ns;	/* replay: the recording host's clock offset */
	char release[65];		/* replay: the recording host's kernel */
	bool option_refused;		/* a --classify entry was refused */
	/* live sessions: who a caller belongs to (vm.h), for sinks whose rows
	 * come from maps (iommutop, export); NULL offline */
	struct isc_vm_cache *vms;
	uint64_t vm_filtered;		/* records left out by -V */
};

/* SIGINT and SIGTERM end the session from here on (and SIGHUP, with hup,
 * is handed to the sink's round); before anything slow, so a stop request
 * during the probe or the load is not lost. session__run calls it. */
void session__signals(bool hup);
/* Probe, load and attach (o->lo), then read the records through decode,
 * classify and the sink until a signal or the duration. 0, or -errno with
 * the reason printed; res is filled when the session ran, and
 * res->option_refused is set when an o->classify entry was refused. */
int session__run(const struct isc_session_opts *o, const struct isc_sink *sink,
		 struct isc_session_result *res);
/* The same reading loop over ring buffers loaded elsewhere (enforce: its
 * denials and races), with the signals of session__signals called before
 * the load. sink->started is called (with s NULL) once the reader is set
 * up. 0, or -errno with the reason printed; the buffers are drained at the
 * end whenever the loop ran. */
int session__read(const int *fds, int nr_fds, const struct isc_session_opts *o,
		  const struct isc_sink *sink, struct isc_session_result *res);
/* Feed the records of a trace -w file through the sink, judged against the
 * recording host's kernel (res->abi from the file). 0, or -errno with the
 * reason printed. */
int session__replay(const char *path, const struct isc_sink *sink,
		    struct isc_session_result *res);
void session__free(struct isc_session_result *res);
/* Ask a running session to end (from a sink callback). */
void session__stop(void);

#endif /* ISC_SESSION_H */

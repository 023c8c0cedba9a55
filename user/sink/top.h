/* SPDX-License-Identifier: GPL-2.0 */
/* iommutop: the table's columns, sorting and lines (top_fmt.c), shared by
 * the full-screen view (top_tui.c), batch mode and the exporter; the
 * counting session top and the exporter wire to their sinks (top.c). */
#ifndef ISC_TOP_H
#define ISC_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include "classify.h"
#include "top_snap.h"

/* What the header says about the session. */
struct isc_top_info {
	char kernel[65];
	const char *mode;		/* "full", "tracepoint" */
	char hooks[128];		/* "sys_enter/exit_ioctl + 1 IOMMU-core" */
	char enforce[96];		/* enforcement state, refreshed each sample */
};

enum isc_top_sort {
	ISC_SORT_CALLS,
	ISC_SORT_ERRORS,
	ISC_SORT_MISMATCHES,
	ISC_SORT_DENIALS,
	ISC_SORT_MAP,
	ISC_SORT_UNMAP,
	ISC_SORT_FAULTS,
	ISC_SORT_LATENCY,
	ISC_SORT_PID,
	ISC_SORT_COMM,
	ISC_SORT_MAX,
};

const char *top__sort_name(int sort);
/* -1 when unknown */
int top__sort_by_name(const char *name);
/* Process indices of sn in display order. */
void top__order(const struct isc_top_snap *sn, int sort, int *order);
/* Ioctl rows [first, first + n) of one process in display order. */
void top__order_rows(const struct isc_top_snap *sn, int sort, int first, int n, int *order);

/* Header lines (ISC_TOP_HEADER_LINES of them). */
#define ISC_TOP_HEADER_LINES 4
void top__header(const struct isc_top_info *info, const struct isc_top_snap *sn, int line,
		 char *buf, size_t len);
void top__columns(int sort, char *buf, size_t len);
/* One line: a process (proc) or one of its ioctl rows. */
void top__line(const struct isc_top_snap *sn, const struct isc_top_row *r, bool proc, char *buf,
	       size_t len);
/* "ioctl fd-kind device" of an ioctl row, "0x3bfe" when not in the catalog. */
void top__row_name(const struct isc_top_row *r, char *buf, size_t len);
/* Does process p (or one of its ioctls or devices) match the filter
 * (a substring of the command, pid, VM, ioctl name or device)? */
bool top__matches(const struct isc_top_snap *sn, int p, const char *filter);

/* ---- the session (top.c) ---- */

/* The session's hooks and state for the header. */
void top__info(struct isc_top_info *info, const struct isc_session *s,
	       const struct isc_probe *p);

/* What top and export share around a session: the state (first member
 * of their sink context), the header, and whether reading failed. */
struct isc_top_run {
	struct isc_top_state st;
	struct isc_top_info info;
	bool failed;
};

/* The sink's started callback: the zero point of the rates. */
struct isc_session_result;
void top__started(struct isc_top_run *run, struct isc_session *s,
		  const struct isc_session_result *res);
/* A new sample; on failure the reason is printed, the session asked to
 * end and false returned. */
bool top__sample(struct isc_top_run *run);
/* The sink's iommu callback (ctx: a struct isc_top_run). */
void top__iommu(void *ctx, const struct isc_iommu_view *v, const struct isc_verdict *cls);
/* -d/--interval: 100ms to 1h. 0, or -1 with the error printed. */
int top__parse_interval(const char *opt, const char *arg, uint64_t *ns);

/* What iommutop's command line chose (cmd_top.c). */
struct isc_top_opts {
	bool batch, json;	/* plain snapshots, JSON ones, or (neither) full screen */
	int sort;		/* enum isc_top_sort */
	const char *filter;	/* see top__matches, NULL: all */
	uint64_t iterations;	/* stop after this many snapshots, 0: never */
	uint64_t delay_ns;	/* refresh interval */
};
struct isc_session_opts;
struct isc_sink;
/* iommutop's sink for a counting session with so, shown as o says (one at a
 * time). */
void top__sink(const struct isc_top_opts *o, struct isc_session_opts *so, struct isc_sink *sink);
/* After the session: the terminal restored, the counters freed. True if
 * reading them failed. */
bool top__done(void);

/* The full-screen view (top_tui.c). */
struct isc_top_tui;
struct isc_top_tui *top_tui__start(int sort, const char *filter);
/* Keys waiting on stdin; false when the user quit. */
bool top_tui__keys(struct isc_top_tui *ui, const struct isc_top_state *st);
void top_tui__draw(struct isc_top_tui *ui, const struct isc_top_info *info,
		   const struct isc_top_state *st);
/* Restore the terminal; print what was said on stderr meanwhile. */
void top_tui__stop(struct isc_top_tui *ui);

#endif /* ISC_TOP_H */

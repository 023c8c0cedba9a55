/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counters of counting mode (bpf/top.bpf.c) as iommutop, its batch and
 * JSON output and the Prometheus exporter see them: read every sample,
 * diffed against the previous one, grouped per process.
 */
#ifndef ISC_TOP_SNAP_H
#define ISC_TOP_SNAP_H

#include <stdbool.h>
#include <stdint.h>
#include "decode.h"
#include "events.h"
#include "util.h"
#include "loader.h"

struct isc_top_counts {
	uint64_t calls;
	uint64_t errors;
	uint64_t lat_sum_ns;
	uint64_t cls[ISC_TC_MAX];
	uint64_t denials;
	uint64_t hist[ISC_TOP_HIST];
	uint64_t map_bytes;
	uint64_t unmap_bytes;
	uint64_t faults;	/* per process only */
	uint64_t binds;
	uint64_t invalidations;
};

/* One (process, ioctl, fd kind, device), or a whole process (cmd 0). */
struct isc_top_row {
	struct isc_top_key key;
	char comm[ISC_COMM_LEN];	/* raw: escaped where shown (str_escape) */
	const char *ioctl;		/* catalog name, NULL if unknown */
	char device[40];		/* "vfio/12", "0000:00:02.0", "1:3", "" */
	int iommu_group;		/* the group of the device or group fd, -1 */
	bool gone;			/* the process has exited */
	struct isc_vm vm;		/* the process's VM (vm.h), none offline */
	struct isc_top_counts tot;	/* since the start */
	struct isc_top_counts d;	/* in the last interval */
};

struct isc_top_recent {			/* a mismatch counter that moved */
	uint64_t real_ns;		/* wall clock of the sample */
	uint32_t tgid;
	uint32_t cmd;
	uint8_t fd_kind;
	uint8_t cls;			/* enum isc_top_class */
	uint64_t n;			/* calls in the interval */
	char comm[ISC_COMM_LEN];	/* raw: escaped where shown (str_escape) */
	const char *ioctl;
};

#define ISC_TOP_RECENT 1024
#define ISC_TOP_MAX_PROGS 64

/* What iommuscope itself costs, as of a sample. */
struct isc_top_cost {
	bool bpf_stats;			/* the kernel counts the programs' runs */
	int nr_progs;			/* the session's loaded programs */
	struct isc_prog_stat progs[ISC_TOP_MAX_PROGS];
	uint64_t runs, run_ns;		/* summed over them, since their load */
	uint64_t d_runs, d_run_ns;	/* in the interval */
	bool agent_ok;			/* /proc/self/stat read */
	struct isc_proc_usage agent;	/* this process */
	uint64_t d_agent_cpu_ns;
};

struct isc_top_snap {
	uint64_t mono_ns;
	uint64_t interval_ns;		/* since the previous sample */
	int nr_rows;
	struct isc_top_row *rows;	/* by tgid, then cmd */
	int nr_procs;
	struct isc_top_row *procs;	/* by tgid */
	struct isc_top_row all;		/* everything */
	uint64_t drops;			/* IOMMU-core records lost */
	uint64_t not_counted;		/* calls lost: top_stats full */
	struct isc_top_cost cost;
};

struct isc_top_state {
	struct isc_session *s;
	struct isc_vm_cache *vms;	/* the session's (vm.h); NULL: none */
	const char *vm_filter;		/* -V: only the processes of this VM */
	uint64_t linger_ns;		/* keep an exited process this long */
	struct isc_top_snap cur, prev;
	int nr_ev, cap_ev;		/* IOMMU-core events per process */
	struct isc_top_row *ev;
	int nr_recent;			/* ring of the last ISC_TOP_RECENT */
	struct isc_top_recent recent[ISC_TOP_RECENT];
	int nr_gone;
	struct {
		uint32_t tgid;
		uint64_t since_ns;
	} gone[256];
};

void top_snap__init(struct isc_top_state *st, uint64_t linger_ns);
void top_snap__free(struct isc_top_state *st);
/* An IOMMU-core record: bind, invalidate or fault for its process. */
void top_snap__iommu(struct isc_top_state *st, const struct isc_iommu_view *v);
/* Read the kernel's counters into st->cur (the old one becomes prev).
 * 0 or -errno. */
int top_snap__sample(struct isc_top_state *st);

const char *top_snap__class_name(int cls);	/* "older-struct", ... */
/* Per second over the interval. */
double top_snap__rate(const struct isc_top_snap *sn, uint64_t delta);
/* CPU time ns over the interval, as a share of one CPU in per cent. */
double top_snap__cpu_pct(const struct isc_top_snap *sn, uint64_t ns);
/* Latency in ns of the interval's calls (all calls so far when none in
 * the interval): the average, and the upper bound of the log2 bucket
 * holding the 99th percentile. 0 when there is no call at all. */
uint64_t top_snap__avg_ns(const struct isc_top_row *r);
uint64_t top_snap__p99_ns(const struct isc_top_row *r);
/* Sum of the mismatch classes. */
uint64_t top_snap__mismatches(const struct isc_top_counts *c);
/* The rows of one process (procs[i]): first index and count in rows. */
int top_snap__proc_rows(const struct isc_top_snap *sn, int proc, int *first);

#endif /* ISC_TOP_SNAP_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs cost: the kernel's per-program run count and run
 * time (counted only while BPF statistics are on: the sysctl
 * kernel.bpf_stats_enabled, or a BPF_ENABLE_STATS fd someone holds).
 */
#ifndef ISC_PROGSTATS_H
#define ISC_PROGSTATS_H

#include <stdbool.h>
#include <stdint.h>

struct isc_prog_stat {
	char name[64];		/* the program's name (the kernel keeps 15 chars) */
	char attach[64];	/* its section: "tp/syscalls/sys_exit_ioctl", "tp_btf/map" */
	const char *type;	/* "tracepoint", "tracing", "lsm", ... */
	uint32_t id;
	uint64_t run_cnt;
	uint64_t run_time_ns;
	uint64_t recursion_misses;
};

/* Statistics on for as long as *fd is held: -1 (nothing to hold) when the
 * sysctl already has them on, else the BPF_ENABLE_STATS fd (close it at
 * the end). 0 or -errno (CAP_SYS_ADMIN, kernel >= 5.8). */
int progstats__enable(int *fd);
/* The sysctl kernel.bpf_stats_enabled is 1. */
bool progstats__sysctl(void);
/* Statistics are on now, by the sysctl or by a holder of an fd anywhere
 * (one run of a two-instruction socket filter tells). */
bool progstats__on(void);
/* The kernel's figures of the program fd into ps (name, type, id, counts;
 * not attach). 0 or -errno. */
int progstats__read(int fd, struct isc_prog_stat *ps);
/* The programs of iommuscope's objects, to recognise them on the host. */
struct isc_prog_names {
	int nr, cap;
	struct isc_prog_name {
		char name[64];
		char attach[64];
		int type;	/* enum bpf_prog_type */
	} *p;
};
struct bpf_object;
/* Every program of obj (opened, not necessarily loaded) into l. 0 or
 * -ENOMEM. */
int progstats__names_add(struct isc_prog_names *l, const struct bpf_object *obj);
void progstats__names_free(struct isc_prog_names *l);
/* Every BPF program loaded on this host whose name and type are in l,
 * handed to fn; ps->name and ps->attach are l's when only one entry
 * matches, else the program's name and "". The name is the kernel's (15
 * chars at most) or, where that is cut and the program has BTF, its
 * function's full name (as bpftool's), which must then be l's exactly.
 * 0 or -errno. */
int progstats__running(const struct isc_prog_names *l,
		       void (*fn)(const struct isc_prog_stat *ps, void *ctx), void *ctx);

#endif /* ISC_PROGSTATS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* Probe which hooks work here, choose a mode, load and attach. */
#ifndef ISC_LOADER_H
#define ISC_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel.h"
#include "progstats.h"

enum isc_mode {
	ISC_MODE_AUTO,
	ISC_MODE_FULL,
	ISC_MODE_TRACEPOINT,
};

/* The hooks of include/hooks.def, in its order: the ioctl object's, then
 * from ISC_HK_IOMMU_FIRST on the IOMMU core's. */
#define ISC_HK_OF_IOCTL(...)	ISC_HK_IOCTL_##__VA_ARGS__,
#define ISC_HK_OF_IOMMU(...)
enum isc_hook_ioctl {		/* the ioctl object's, to count them */
#define ISC_HOOK(id, obj, ...) ISC_HK_OF_##obj(id)
#define ISC_HANDLER(func, kind, id) ISC_HK_IOCTL_FENTRY_##id,
#include "hooks.def"
	ISC_HK_IOCTL_NR,
};

enum isc_hook_id {
#define ISC_HOOK(id, ...) ISC_HK_##id,
#define ISC_HANDLER(func, kind, id) ISC_HK_FENTRY_##id,
#include "hooks.def"
	ISC_HK_MAX,
	ISC_HK_IOMMU_FIRST = ISC_HK_IOCTL_NR,
};

struct isc_hook_result {
	bool present;		/* target exists here (function in BTF, ...) */
	bool used;		/* chosen: attached, and no earlier alternative is */
	bool loaded;
	bool attached;
	int err;		/* -errno of the first failure */
	char module[32];	/* where the target lives */
	char reason[384];	/* why not, in words */
};

struct isc_probe {
	struct isc_kernel kernel;
	struct isc_hook_result hooks[ISC_HK_MAX];
	bool full_ok, tp_ok;
	bool full_uses_lsm;	/* full mode via LSM entry + tp exit */
	bool tp_typed;		/* tracepoint entry reads struct file with plain
				 * loads (bpf_rdonly_cast, 6.2+) */
	enum isc_mode mode;	/* what auto picks */
	char mode_reason[512];
};

struct isc_loader_opts {
	enum isc_mode mode;
	bool no_iommu;		/* ioctl events only */
	uint32_t tgid;
	const char *comm;
	uint64_t exe_ino;	/* only callers running this executable (the */
	uint32_t exe_dev;	/* kernel's view, user/policy/exeid.c), 0: any */
	uint32_t ringbuf_bytes;
	bool counting;		/* count in the kernel (bpf/top.bpf.c): no
				 * ioctl records, only IOMMU-core ones */
	const struct isc_abi *abi;	/* counting: the catalog maps' kernel */
	bool bpf_stats;		/* programs' run statistics on for the session
				 * (a warning, and off, if they cannot be) */
};

struct isc_abi;
/* The loaded and attached objects of one session (private to loader.c). */
struct isc_session;

/* Tracepoint programs may use task storage: the in-flight slots live there
 * (bpf/inflight.bpf.h) instead of in an LRU hash. Probed once. */
bool loader__task_slots(void);
/* Where a device fd's struct device is (bpf/common.bpf.h vfio_file_dev),
 * from the running kernel's vfio module BTF; -1: not known. */
struct isc_vfio_layout {
	int32_t df_device_off;		/* struct vfio_device_file.device, -1: none */
	int32_t device_dev_off;		/* struct vfio_device.dev, or ISC_VFIO_OFF_* */
};
void loader__vfio_layout(struct isc_vfio_layout *l);
const char *loader__hook_name(enum isc_hook_id id);	/* "fentry", "bind", ... */
const char *loader__hook_target(enum isc_hook_id id);
const char *loader__mode_name(enum isc_mode m);

/* Try every hook for real (load, then attach, then detach). */
void loader__probe(struct isc_probe *p);
/* Load and attach the hooks of the chosen mode, for tracing (per-call
 * records) or counting (o->counting: the programs of bpf/top.bpf.c with
 * per-CPU counters, and the catalog maps filled for o->abi), with the
 * IOMMU-core object where it has hooks; fills the classifier maps. 0 with
 * *s set, or -errno with the reason printed. */
int loader__start(struct isc_session **s, struct isc_probe *p, const struct isc_loader_opts *o);
/* What was chosen: the mode, whether the LSM program is the ioctl entry,
 * whether IOMMU-core hooks are attached. */
enum isc_mode loader__mode(const struct isc_session *s);
bool loader__lsm_entry(const struct isc_session *s);
bool loader__has_iommu(const struct isc_session *s);
/* The ring buffer the records come in (the IOMMU core's when counting),
 * or -1: none. */
int loader__events_fd(const struct isc_session *s);
/* The classifier maps of one object (bpf/common.bpf.h). */
struct isc_cls_fds {
	int fops, rdev, anon;
};

/* Make the classifier maps hold exactly the kernel's classifiers: new and
 * changed entries first, then stale ones (and what BPF learnt) removed, so
 * no call in between finds a kind missing. 0 or -errno. */
int loader__fill_classifiers(const struct isc_cls_fds *m, const struct isc_kernel *k);
/* Counting mode: every (process, ioctl, fd kind, device) summed over CPUs. */
int loader__top_stats(struct isc_session *s,
		      void (*fn)(const struct isc_top_key *k, const struct isc_top_val *v,
				 void *ctx),
		      void *ctx);
/* Counting mode: drop an exited process's counters (top and map/unmap). */
void loader__top_forget(struct isc_session *s, uint32_t tgid);
/* Push the kernel's classifiers into the maps again (modules changed). */
int loader__sync_classifiers(struct isc_session *s, const struct isc_kernel *k);
/* Map/unmap totals (summed over CPUs), one call per process and ioctl. */
int loader__map_stats(struct isc_session *s,
		      void (*fn)(const struct isc_map_key *k, const struct isc_map_stats *st,
				 void *ctx),
		      void *ctx);
/* Sum of a per-CPU counter (enum isc_stat). */
uint64_t loader__stat(struct isc_session *s, int idx);
/* The kernel counts the programs' runs and run time now (--bpf-stats, the
 * sysctl, or another holder when first asked). */
bool loader__bpf_stats(struct isc_session *s);
/* The session's loaded programs, up to max into out: name, section,
 * id and the kernel's counts. How many. */
int loader__prog_stats(const struct isc_session *s, struct isc_prog_stat *out, int max);
/* The programs of the ioctl, counting and IOMMU-core objects into l (the
 * enforce object's: enforcer__prog_names). 0 or -errno. */
int loader__prog_names(struct isc_prog_names *l);
/* Detach, unload and free s (NULL: nothing). */
void loader__stop(struct isc_session *s);
/* libbpf messages go through here; warnings shown with -v only while
 * probing, always otherwise. */
void loader__quiet(bool quiet);

#endif /* ISC_LOADER_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* Probe which hooks work here, choose a mode, load and attach. */
#ifndef ISC_LOADER_H
#define ISC_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel.h"

enum isc_mode {
	ISC_MODE_AUTO,
	ISC_MODE_FULL,
	ISC_MODE_TRACEPOINT,
};

enum isc_hook_id {
	ISC_HK_TP,		/* sys_enter_ioctl + sys_exit_ioctl */
	ISC_HK_LSM,		/* lsm/file_ioctl (entry) */
	ISC_HK_FENTRY_CONTAINER,
	ISC_HK_FENTRY_GROUP,
	ISC_HK_FENTRY_DEVICE,
	ISC_HK_FENTRY_IOMMUFD,
	ISC_HK_MAX,
};

struct isc_hook_result {
	bool present;		/* target exists here (function in BTF, ...) */
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
	enum isc_mode mode;	/* what auto picks */
	char mode_reason[512];
};

struct isc_loader_opts {
	enum isc_mode mode;
	uint32_t tgid;
	const char *comm;
	uint32_t ringbuf_bytes;
};

struct ioctl_bpf;
struct isc_session {
	struct ioctl_bpf *skel;
	enum isc_mode mode;
	bool lsm_entry;
	int stats_fd;
};

const char *loader__hook_name(enum isc_hook_id id);	/* "fentry" ... */
const char *loader__hook_target(enum isc_hook_id id);
const char *loader__mode_name(enum isc_mode m);

/* Try every hook for real (load, then attach, then detach). */
void loader__probe(struct isc_probe *p);
/* Load and attach the chosen mode; fills the classifier maps. 0 or -errno
 * with the reason printed. */
int loader__start(struct isc_session *s, struct isc_probe *p, const struct isc_loader_opts *o);
/* Push the kernel's classifiers into the maps again (modules changed). */
int loader__sync_classifiers(struct isc_session *s, const struct isc_kernel *k);
/* Sum of a per-CPU counter (enum isc_stat). */
uint64_t loader__stat(struct isc_session *s, int idx);
void loader__stop(struct isc_session *s);
/* libbpf messages go through here; warnings shown with -v only while
 * probing, always otherwise. */
void loader__quiet(bool quiet);

#endif /* ISC_LOADER_H */

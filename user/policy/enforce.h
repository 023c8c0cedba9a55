/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The enforce object (bpf/enforce.bpf.c): load, attach, swap policies,
 * pin in bpffs and adopt what an earlier run pinned.
 */
#ifndef ISC_ENFORCE_H
#define ISC_ENFORCE_H

#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include "loader.h"
#include "policy_file.h"

#define ISC_PIN_DIR	"/sys/fs/bpf/iommuscope"
#define ISC_STATE_DIR	"/run/iommuscope"
#define ISC_STATE_FILE	ISC_STATE_DIR "/enforce.state"

struct enforce_bpf;

/* The state file: which process enforces which policy file. */
struct isc_enforce_state {
	pid_t pid;		/* 0: none running */
	char policy[PATH_MAX];	/* "" : built in */
	uint32_t generation;
	bool pinned;
	bool audit_only;
	char error[ISC_POLICY_ERR_LEN];	/* the last reload's error */
};

/* 0, or -errno. A loader that died is reported as pid 0. */
int enforcer__state_read(struct isc_enforce_state *s);
int enforcer__state_write(const struct isc_enforce_state *s);
/* "off", "on gen 3", "pinned audit-only gen 7", ... for iommutop. */
const char *enforcer__describe(char *buf, size_t len);

struct isc_enforcer {
	struct enforce_bpf *skel;	/* NULL when adopted from pins */
	int policy_fd;			/* the one-slot array of maps */
	int events_fd;
	int race_fd;			/* race records, apart from denials */
	int stats_fd;
	struct isc_cls_fds cls;		/* the fd classifiers */
	int counts_fd;			/* per process and ioctl */
	bool adopted;			/* the programs are an earlier run's */
	bool pinned;			/* pins exist (ours or adopted) */
	bool compat;			/* file_ioctl_compat attached */
	bool published;			/* counters pinned for iommutop */
	const char *race;		/* how races are detected */
	uint32_t generation;
};

/* Why enforcement cannot run here (BPF LSM inactive, ...), or NULL. */
const char *enforcer__unsupported(const struct isc_kernel *k, char *buf, size_t len);
/* Load and fill the classifiers; nothing attached yet. 0 or -1 (printed). */
int enforcer__start(struct isc_enforcer *e, const struct isc_kernel *k, uint32_t ringbuf_bytes);
/* Attach, once the first policy is in (no call is judged by none). */
int enforcer__attach(struct isc_enforcer *e);
/* Pins exist from an earlier run. */
/* ISC_PIN_DIR absent or root's own (0700, not a link; created with
 * create): 0, or -1 with the reason printed. */
int enforcer__pin_dir(bool create);
bool enforcer__pins_exist(void);
/* Take over pinned enforcement: its maps, not its programs. */
int enforcer__adopt(struct isc_enforcer *e);
/* Pin links and maps so enforcement survives this process. */
int enforcer__pin(struct isc_enforcer *e);
/* Compile p for the kernel a and swap it in atomically. 0, or -1 with
 * the reason in err and the old policy still in force. */
int enforcer__swap(struct isc_enforcer *e, const struct isc_policy *p, const char *name,
		   const struct isc_abi *a, uint32_t pflags, char *err, size_t errlen);
/* Swap a policy into the pinned enforcement (no loader needed). */
int enforcer__swap_pinned(const struct isc_policy *p, const char *name,
			  const struct isc_abi *a, uint32_t pflags, uint32_t generation,
			  char *err, size_t errlen);
/* Pin just the counters (not the programs) for iommutop and the
 * exporter while this process enforces. 0 or -errno. */
int enforcer__publish(struct isc_enforcer *e);
/* The refusals per process and ioctl of whatever enforces on this host
 * (from the pinned counters), summed over CPUs. -ENOENT: nothing does. */
int enforcer__deny_counts(void (*fn)(const struct isc_deny_key *k,
				     const struct isc_deny_count *c, void *ctx),
			  void *ctx);
uint64_t enforcer__stat(const struct isc_enforcer *e, int idx);
/* Release this process's hold. Pins stay unless unpin. */
void enforcer__stop(struct isc_enforcer *e, bool unpin);
/* The enforce object's programs into l (progstats__running). 0 or -errno. */
int enforcer__prog_names(struct isc_prog_names *l);
/* Remove every pin: enforcement ends unless a loader still runs. 1 if
 * there were pins, 0 if none, -errno. */
int enforcer__unpin(void);

#endif /* ISC_ENFORCE_H */

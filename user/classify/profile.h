/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A workload's UAPI footprint: which ioctls it issued with which sizes and
 * flags, what the recording kernel answered (classes, errors, capability
 * ids, extension answers). Recorded by 'profile record', judged against
 * another kernel by 'check'.
 */
#ifndef ISC_PROFILE_H
#define ISC_PROFILE_H

#include <stdio.h>
#include "abi.h"
#include "classify.h"

#define ISC_PROFILE_VERSION 1

struct isc_profile_call {
	uint32_t cmd;
	uint8_t fd_kind;
	bool has_argsz, has_flags;
	uint32_t argsz, flags;
	int64_t arg;		/* by-value argument (CHECK_EXTENSION, SET_IOMMU) */
	uint64_t count, ok;
	int64_t last_error;	/* a negative errno seen, 0 if none */
	uint32_t classes;	/* on the recording kernel */
	uint32_t argsz_out;	/* largest size an INFO reply asked for */
	int nr_caps;
	uint16_t caps[ISC_MAX_CAPS];
};

struct isc_profile {
	char release[65];
	uint16_t version;
	char backend[16];
	int nr, cap;
	struct isc_profile_call *calls;
	int8_t ext[ISC_MAX_EXT];	/* answers the workload got, -1: not asked */
	char comms[256];		/* processes seen, comma list */
};

void profile__init(struct isc_profile *p, const char *release, const char *backend);
void profile__add(struct isc_profile *p, const struct isc_ioctl_view *v,
		  const struct isc_verdict *cls);
int profile__write(const struct isc_profile *p, const char *path);
/* Parse a profile file. 0, or -1 with "file:line:col: what" printed. */
int profile__load(struct isc_profile *p, const char *path);
/* The same from memory; name is used in messages. buf must hold len bytes
 * followed by a NUL. */
int profile__load_buf(struct isc_profile *p, const char *buf, size_t len, const char *name);
void profile__free(struct isc_profile *p);

/* A prediction for one recorded call on another kernel. */
enum isc_severity { ISC_SEV_NOTE, ISC_SEV_DEGRADED, ISC_SEV_REJECTED };

struct isc_finding {
	enum isc_severity sev;
	const struct isc_profile_call *call;	/* NULL: an extension */
	int ext;
	uint32_t classes_here;
	char text[640];
};

/* Judge every call against a's kernel; fn gets each finding. Returns the
 * worst severity found + 1 (0: nothing to report). */
int profile__check(const struct isc_profile *p, const struct isc_abi *a,
		   void (*fn)(const struct isc_finding *f, void *ctx), void *ctx);
const char *profile__severity_name(enum isc_severity s);

#endif /* ISC_PROFILE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Enforce policy files: parse, validate against the catalog, compile into
 * the BPF policy entries for one kernel. The format is in README.md
 * ("Policy files").
 */
#ifndef ISC_POLICY_FILE_H
#define ISC_POLICY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "policy.h"

#define ISC_POLICY_ERR_LEN 512

struct isc_prule {
	const struct isc_ioctl_desc *d;	/* NULL: every ioctl ("*") */
	int kind;			/* enum isc_fd_kind, -1: every kind */
	enum isc_rule_action action;
	uint32_t match;			/* ISC_PM_* */
	uint32_t allowed;		/* ISC_PM_FLAGS */
	uint32_t min_size, max_size;	/* ISC_PM_SIZE */
	uint64_t cgroup_id;
	uint64_t exe_ino;
	uint32_t exe_dev;
	uint32_t uid;
	int line;
};

struct isc_policy {
	bool errno_kernel;	/* the kernel's own errno for the ioctl */
	int deny_errno;		/* otherwise this one (default EPERM) */
	bool unreadable_ok;	/* fail-open for unreadable arguments */
	bool unknown_deny;	/* commands the catalog does not know */
	int unknown_line;
	bool default_deny;	/* calls no rule matches: refuse (else catalog) */
	int default_line;
	int nr;
	struct isc_prule *rules;
};

/* Parse a policy from buf (name is used in messages). 0, or -1 with
 * "name:line:col: message" in err. */
int policy__parse(const char *name, const char *buf, size_t len, struct isc_policy *p,
		  char *err, size_t errlen);
/* Read and parse a file ("-" is standard input). */
int policy__load(const char *path, struct isc_policy *p, char *err, size_t errlen);
void policy__free(struct isc_policy *p);

/* The built-in policy: every ioctl may use the flags the kernel defines. */
void policy__default(struct isc_policy *p);

/* Compile for the kernel a describes: one entry per (command, fd kind),
 * handed to emit. Returns entries emitted, or -1 with a message in err. */
int policy__compile(const struct isc_policy *p, const char *name, const struct isc_abi *a,
		    uint32_t pflags, uint32_t generation,
		    int (*emit)(void *ctx, const struct isc_cat_key *k,
				const struct isc_policy_entry *e),
		    void *ctx, char *err, size_t errlen);

const char *policy__reason_name(enum isc_deny_reason r);

#endif /* ISC_POLICY_FILE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Enforce policy files: parse, validate against the catalog, compile into
 * the BPF policy entries for one kernel. The format is in
 * iommuscope-policy(5) (docs/iommuscope-policy.5).
 */
#ifndef ISC_POLICY_FILE_H
#define ISC_POLICY_FILE_H

#include <limits.h>
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
	uint32_t cgroup_level;		/* cgroup_id's depth below the root */
	char exe_path[PATH_MAX];	/* as written; resolved again on upgrades */
	struct isc_exe_id exe[ISC_EXE_IDS];	/* now, and what it replaced */
	int exe_fd[ISC_EXE_IDS];	/* O_PATH fds holding those inodes (-1) */
	int exe_said;			/* what was last said about the path: 0
					 * nothing, 1 gone, 2 replaced, not followed */
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
	bool unclassified_allow;	/* ';' on files no classifier knows */
	int unclassified_line;
	bool race_kill;		/* SIGKILL the caller that changed a checked struct */
	uint32_t log_rate;	/* records/s per (uid, ioctl), 0: no limit */
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

/* An emit for policy__compile that only counts the entries (int *ctx):
 * what 'policy check' and 'policy learn' compile with. */
int policy__count_entry(void *ctx, const struct isc_cat_key *k,
			const struct isc_policy_entry *e);

/* Compile for the kernel a describes: one entry per (command, fd kind),
 * handed to emit. Returns entries emitted, or -1 with a message in err. */
int policy__compile(const struct isc_policy *p, const char *name, const struct isc_abi *a,
		    uint32_t pflags, uint32_t generation,
		    int (*emit)(void *ctx, const struct isc_cat_key *k,
				const struct isc_policy_entry *e),
		    void *ctx, char *err, size_t errlen);

const char *policy__reason_name(enum isc_deny_reason r);

/* Resolve every exe rule's path again (after a rename over it): a new
 * file becomes exe[0], the one it replaced exe[1], if only root could have
 * put it there (exeid__trusted). Returns how many rules changed; a path
 * that resolves to nothing, or to a file someone else could have put
 * there, keeps the identities and is reported once in msg (one line a
 * path, "" when none). */
int policy__exe_refresh(struct isc_policy *p, char *msg, size_t len);
/* A policy read again (reload) keeps what the running one followed: a
 * rule of to whose path a rule of from has gets from's older file too. */
void policy__exe_carry(struct isc_policy *to, const struct isc_policy *from);
/* The directories holding the exe rules' files, to watch for upgrades:
 * calls fn once per rule with an exe scope. */
void policy__for_each_exe(const struct isc_policy *p, void (*fn)(void *ctx, const char *path),
			  void *ctx);

#endif /* ISC_POLICY_FILE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layouts of the enforce object (bpf/enforce.bpf.c): the compiled policy
 * and the denial / race records. Shared by the BPF side and the loader;
 * fixed-width types only.
 *
 * The policy is a hash (struct isc_cat_key -> struct isc_policy_entry)
 * inside a one-slot array of maps. A reload builds a whole new hash and
 * swaps it in with one map update, so a call is judged by the old policy
 * or the new one, never by a mix (RCU keeps the old hash alive for calls
 * already in the hook).
 */
#ifndef ISC_POLICY_H
#define ISC_POLICY_H

#include "events.h"

#define ISC_POLICY_MAX_RULES	8
#define ISC_POLICY_MAX_ENTRIES	512
/* The entry for commands the policy does not list (key cmd 0, kind 0):
 * absent means they are allowed. */
#define ISC_POLICY_OTHER_CMD	0
/* The entry for ';' ioctls on a file no classifier recognises (key cmd 0,
 * this kind): absent means they are allowed ('set unclassified allow'). */
#define ISC_POLICY_UNCLASSIFIED_KIND	0xff

enum isc_rule_action {
	ISC_RA_ALLOW = 1,	/* allowed, if size and flags pass */
	ISC_RA_DENY,		/* refused outright */
};

/* isc_policy_rule.match: which scopes and checks the rule has */
#define ISC_PM_CGROUP		(1u << 0)
#define ISC_PM_EXE		(1u << 1)
#define ISC_PM_UID		(1u << 2)
#define ISC_PM_SIZE		(1u << 3)
#define ISC_PM_FLAGS		(1u << 4)

/* An executable as the kernel sees a process's: its inode number and its
 * superblock's dev_t (major << 20 | minor), as mm->exe_file->f_inode has
 * them (user/policy/exeid.c reads them the same way, not with stat()). */
struct isc_exe_id {
	__u64 ino;		/* 0: none */
	__u32 dev;
	__u32 __pad;
};

#define ISC_EXE_IDS		2	/* the file now, and the one it replaced */

struct isc_policy_rule {
	__u64 cgroup_id;	/* the cgroup (v2) or an ancestor of the caller's */
	struct isc_exe_id exe[ISC_EXE_IDS];	/* the caller's executable: the
						 * file at the path now, and the one
						 * an upgrade renamed over (processes
						 * started before still run it) */
	__u32 cgroup_level;	/* cgroup_id's depth below the root (0: the root) */
	__u32 uid;		/* effective uid */
	__u32 allowed;		/* flag bits allowed (ISC_PM_FLAGS) */
	__u32 min_size;		/* argsz/size range (ISC_PM_SIZE) */
	__u32 max_size;
	__u32 line;		/* the policy file's line, 0: built in */
	__u8 action;		/* enum isc_rule_action */
	__u8 match;		/* ISC_PM_* */
	__u8 __pad[6];
};

/* isc_policy_entry.pflags */
#define ISC_PF_AUDIT_ONLY	(1u << 0)	/* log denials, allow the call */
#define ISC_PF_UNREADABLE_OK	(1u << 1)	/* unreadable argument: allow */
#define ISC_PF_RACE_KILL	(1u << 2)	/* a race kills the caller (SIGKILL) */

/* Denial, audit and race records a second, per CPU, for one (uid, ioctl):
 * 'set log-rate N'; one uid gets ISC_LOG_RATE_UID_MULT times that across
 * all its ioctls. The calls are judged (and counted) regardless; only the
 * records beyond the rate are left out, and the next record of the same
 * (uid, ioctl) says how many were. 0: no limit. */
#define ISC_LOG_RATE_DEFAULT	20
#define ISC_LOG_RATE_UID_MULT	10

struct isc_policy_entry {
	struct isc_cat_entry cat;	/* where flags are, what the roles are */
	__u32 nr_rules;
	__s32 deny_errno;	/* positive errno a denial returns */
	__u32 pflags;		/* ISC_PF_* */
	__u32 generation;	/* which load of the policy this is */
	__u32 log_rate;		/* records/s per (uid, ioctl), 0: no limit */
	__u32 __pad;
	struct isc_policy_rule rules[ISC_POLICY_MAX_RULES];
};

enum isc_deny_reason {
	ISC_DENY_FLAGS = 1,	/* flag bits outside the allowed mask */
	ISC_DENY_ONE_OF,	/* not exactly one bit of a group */
	ISC_DENY_SIZE,		/* argsz/size outside the allowed range */
	ISC_DENY_RULE,		/* a deny rule matched */
	ISC_DENY_UNKNOWN,	/* a command the policy does not know */
	ISC_DENY_UNREADABLE,	/* the argument could not be read */
	ISC_RACE,		/* flags changed after the check (alert) */
	ISC_DENY_UNCLASSIFIED,	/* a ';' ioctl on a file no classifier knows */
	ISC_DENY_NO_POLICY,	/* the policy slot is empty: nothing to judge by */
	ISC_DENY_REASON_MAX,
};

/* Where a record was produced. */
enum isc_enforce_hook {
	ISC_EH_FILE_IOCTL = 1,	/* lsm/file_ioctl */
	ISC_EH_FILE_IOCTL_COMPAT,	/* lsm/file_ioctl_compat (32-bit callers) */
	ISC_EH_HANDLER,		/* fentry on the fops handler (race check) */
	ISC_EH_EXIT,		/* fexit on the handler / sys_exit_ioctl (race check) */
};

/* isc_deny_event.hdr.type */
#define ISC_EV_DENY		3

struct isc_deny_event {
	struct isc_event_hdr hdr;
	__u64 cgroup_id;
	__u64 arg;
	__u32 pid;
	__u32 tid;
	__u32 uid;		/* effective */
	__u32 cmd;
	__u32 argsz;		/* as the hook read it */
	__u32 flags;		/* as the hook read them */
	__u32 bad;		/* the offending bits (flags, one-of) */
	__u32 flags_later;	/* race: what the later read found */
	__s32 err;		/* errno returned, 0: allowed (audit only, race) */
	__u32 line;		/* policy line of the rule, 0: built in */
	__u32 generation;	/* policy generation that judged it */
	__u8 fd_kind;		/* enum isc_fd_kind */
	__u8 reason;		/* enum isc_deny_reason */
	__u8 hook;		/* enum isc_enforce_hook */
	__u8 audit_only;
	__u8 killed;		/* race: the caller was sent SIGKILL */
	__u8 __pad[3];
	__u32 suppressed;	/* records of this (uid, ioctl) left out by
				 * the log rate since the last one */
	__u32 __pad2;
	char comm[ISC_COMM_LEN];
	__u32 __pad3;		/* a version 2 record ends here (112 bytes) */
	/* version 3: the device of a device fd (name "" and group -1 for
	 * any other file, and for a race record) */
	struct isc_dev_id dev;
};

/* A version 2 record: the same without dev. */
#define ISC_DENY_V2_SIZE	112u
_Static_assert(__builtin_offsetof(struct isc_deny_event, dev) == ISC_DENY_V2_SIZE,
	       "a deny record without dev is the version 2 record");

/* Per-CPU counters in the "enforce_stats" map. */
enum isc_enforce_stat {
	ISC_ES_CHECKED = 0,	/* VFIO/iommufd calls judged */
	ISC_ES_DENIED,		/* refused */
	ISC_ES_AUDITED,		/* would have been refused (audit only) */
	ISC_ES_UNREADABLE,	/* argument unreadable (allowed or not) */
	ISC_ES_RACES,		/* flags changed after the check */
	ISC_ES_DROPS,		/* records lost: ring buffer full */
	ISC_ES_UNCLASSIFIED,	/* ';' ioctls on files no classifier knows */
	ISC_ES_KILLS,		/* callers killed for a race */
	ISC_ES_SUPPRESSED,	/* records left out by the log rate */
	ISC_ES_MAX,
};

/* Refusals (and audit-only would-be refusals) per process and ioctl: the
 * per-CPU "deny_counts" hash, pinned for iommutop and the exporter. */
struct isc_deny_key {
	__u32 tgid;
	__u32 cmd;
	__u8 fd_kind;
	__u8 __pad[3];
};

struct isc_deny_count {
	__u64 n;
	char comm[ISC_COMM_LEN];
};

/* The log rate's window, per CPU: "deny_limit", keyed by (uid, ioctl, and
 * whether a race record), and by (uid, ISC_LIMIT_ANY_CMD) for the uid. */
#define ISC_LIMIT_ANY_CMD	0xffffffffu

struct isc_limit_key {
	__u32 uid;
	__u32 cmd;
	__u8 race;
	__u8 __pad[7];
};

struct isc_limit {
	__u64 window_ns;	/* start of the current second */
	__u32 sent;		/* records sent in it */
	__u32 suppressed;	/* left out since the last record sent */
};

/* What the check remembered for the race detector, per thread. */
struct isc_checked {
	__u64 arg;
	__u32 cmd;
	__u32 flags;
	__u32 argsz;
	__u32 generation;
	__u16 flags_off;
	__u8 fd_kind;
	__u8 hook;
	__u8 kill;		/* ISC_PF_RACE_KILL of the entry that judged it */
	__u8 alerted;		/* one race record a call */
	__u8 __pad[2];
	__u32 log_rate;		/* of the entry that judged it */
	__u32 __pad2;
};

#endif /* ISC_POLICY_H */

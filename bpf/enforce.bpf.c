// SPDX-License-Identifier: GPL-2.0
/*
 * Enforce a flag policy on VFIO and iommufd ioctls from the LSM file_ioctl
 * hook (and file_ioctl_compat for 32-bit callers where the kernel has it).
 *
 * The hook reads argsz/size and the flags word from user memory and judges
 * them by the policy entry for (command, fd kind): the first rule whose
 * scope (cgroup, executable, uid) matches decides. A denial returns the
 * entry's errno and is reported on the "events" ring buffer. It fails
 * closed: a ';' ioctl on a file no classifier recognises is refused unless
 * the policy says 'set unclassified allow', and with no policy in the slot
 * every ';' ioctl is refused.
 *
 * The kernel copies the struct again after this hook: a second thread can
 * change the flags in between. The check remembers what it saw per thread;
 * fentry on the fops handler and the call's exit read the flags again. A
 * race is reported on its own ring buffer ("race_events", which no flood of
 * denials fills) and, with 'set race kill', the caller gets SIGKILL. Not
 * seen: a change made after the handler's entry and undone before its exit
 * (the kernel's copy happens in between, inside the handler; x86 inlines
 * copy_from_user, so there is no function to trace it at).
 *
 * The program is not sleepable (5.10 allows no sleepable file_ioctl, and a
 * policy swapped under a sleeping program needs kernels newer than we
 * support), so a user page that is not present cannot be read: the entry's
 * ISC_PF_UNREADABLE_OK says whether such a call passes (fail-open) or is
 * refused (fail-closed, the default).
 */
#include "common.bpf.h"
#include "policy.h"

char LICENSE[] SEC("license") = "GPL";

struct policy_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ISC_POLICY_MAX_ENTRIES);
	__uint(key_size, sizeof(struct isc_cat_key));
	__uint(value_size, sizeof(struct isc_policy_entry));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct policy_inner);
} policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ISC_ES_MAX);
	__type(key, __u32);
	__type(value, __u64);
} enforce_stats SEC(".maps");

/* Race records only: a flood of denials on "events" cannot crowd them out. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} race_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct isc_checked);
} checked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct isc_deny_key);
	__type(value, struct isc_deny_count);
} deny_counts SEC(".maps");

static __always_inline void es_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&enforce_stats, &idx);

	/* atomic: the hooks run with migration, not preemption, disabled */
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* The log rate (ISC_LOG_RATE_*): a flood of refused calls from one user
 * costs a bounded number of records, so the ring buffer keeps room for
 * everybody else's, and the log stays small. Per CPU: no locks. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct isc_limit_key);
	__type(value, struct isc_limit);
} deny_limit SEC(".maps");

/* One record more in this second for key (limit a second)? A refusal
 * counts it as suppressed there. */
static __always_inline bool limit_take(struct isc_limit_key *k, __u32 limit, __u64 now,
				       struct isc_limit **out)
{
	struct isc_limit *l = bpf_map_lookup_elem(&deny_limit, k), init = {};

	if (!l) {
		init.window_ns = now;
		bpf_map_update_elem(&deny_limit, k, &init, BPF_ANY);
		l = bpf_map_lookup_elem(&deny_limit, k);
		if (!l)
			return true;	/* cannot count: report rather than hide */
	}
	if (now - l->window_ns >= 1000000000ull) {
		l->window_ns = now;
		l->sent = 0;
	}
	*out = l;
	if (l->sent >= limit)
		return false;
	l->sent++;
	return true;
}

/* May a record for this call be sent? false: no (counted as suppressed
 * on k's window). k: the (uid, ioctl) key, whose window carries the count
 * to the record that is sent (limit_sent). */
static __always_inline bool limit_record(struct isc_limit_key *k, __u32 rate)
{
	struct isc_limit_key uid_key = {};
	struct isc_limit *one = NULL, *all = NULL;
	__u64 now = bpf_ktime_get_ns();

	if (!rate)
		return true;
	if (!limit_take(k, rate, now, &one))
		goto suppress;
	uid_key.uid = k->uid;
	uid_key.cmd = ISC_LIMIT_ANY_CMD;
	uid_key.race = k->race;
	if (limit_take(&uid_key, rate * ISC_LOG_RATE_UID_MULT, now, &all))
		return true;
	/* the uid's budget is spent: give (uid, ioctl) its token back (looked
	 * up again: the insert above may have recycled an LRU element) */
	one = bpf_map_lookup_elem(&deny_limit, k);
	if (one && one->sent)
		one->sent--;
suppress:
	if (one)
		one->suppressed++;
	es_inc(ISC_ES_SUPPRESSED);
	return false;
}

/* A record was reserved: it carries what its window left out before it
 * (a record the ring buffer had no room for leaves the count for the
 * next). */
static __always_inline __u32 limit_sent(struct isc_limit_key *k)
{
	struct isc_limit *l = bpf_map_lookup_elem(&deny_limit, k);
	__u32 n;

	if (!l)
		return 0;
	n = l->suppressed;
	l->suppressed = 0;
	return n;
}

static __always_inline void count_denial(__u32 cmd, __u8 kind)
{
	struct isc_deny_key k = {};
	struct isc_deny_count *c, init = {};

	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.cmd = cmd;
	k.fd_kind = kind;
	c = bpf_map_lookup_elem(&deny_counts, &k);
	if (c) {
		c->n++;
		return;
	}
	init.n = 1;
	bpf_get_current_comm(init.comm, sizeof(init.comm));
	bpf_map_update_elem(&deny_counts, &k, &init, BPF_NOEXIST);
}

/* Before 6.1 a cgroup kept its ancestors' ids, since then the ancestors. */
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/*
 * The caller's cgroup (v2) is id or below it: its ancestor at id's own
 * level is id. One read of the ancestor array, whatever the depth (no walk
 * up the tree that a deep enough subtree could outrun).
 */
static __always_inline bool in_cgroup(struct task_struct *task, __u64 id, __u32 level)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	struct cgroup *anc = NULL;
	__u64 got = 0;
	void *slot;

	if (!cg || level > (__u32)BPF_CORE_READ(cg, level))
		return false;
	if (bpf_core_field_exists(cg->ancestors)) {
		slot = (void *)cg + bpf_core_field_offset(cg->ancestors) + (__u64)level * 8;
		if (bpf_probe_read_kernel(&anc, sizeof(anc), slot) || !anc)
			return false;
		got = BPF_CORE_READ(anc, kn, id);
	} else {
		struct cgroup___ids *old = (void *)cg;

		slot = (void *)cg + bpf_core_field_offset(old->ancestor_ids) + (__u64)level * 8;
		if (bpf_probe_read_kernel(&got, sizeof(got), slot))
			return false;
	}
	return got == id;
}

/* The caller runs one of the rule's executables (now, or before an upgrade). */
static __always_inline bool exe_matches(const struct isc_policy_rule *r, struct task_struct *task)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	__u64 i = BPF_CORE_READ(ino, i_ino);
	__u32 dev = BPF_CORE_READ(ino, i_sb, s_dev);

	if (!exe)
		return false;
	return (r->exe[0].ino && i == r->exe[0].ino && dev == r->exe[0].dev) ||
	       (r->exe[1].ino && i == r->exe[1].ino && dev == r->exe[1].dev);
}

static __always_inline bool rule_matches(const struct isc_policy_rule *r,
					 struct task_struct *task)
{
	if ((r->match & ISC_PM_UID) && BPF_CORE_READ(task, cred, euid.val) != r->uid)
		return false;
	if ((r->match & ISC_PM_EXE) && !exe_matches(r, task))
		return false;
	if ((r->match & ISC_PM_CGROUP) && !in_cgroup(task, r->cgroup_id, r->cgroup_level))
		return false;
	return true;
}

/* A denial or race record with what every one carries, the rest zero
 * (file: the device fd's, for its device; NULL where there is none);
 * the caller fills its part and submits. NULL (counted) when the log rate
 * leaves it out or the ring buffer is full: reporting never blocks the
 * call. */
static __always_inline struct isc_deny_event *new_record(struct file *file, __u32 cmd,
							  __u64 arg, __u8 kind, __u8 hook,
							  __u8 reason, __u32 rate)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 uid = BPF_CORE_READ(task, cred, euid.val);
	struct isc_limit_key k = {};	/* all of it zero: a hash key */
	struct isc_deny_event *ev;

	k.uid = uid;
	k.cmd = cmd;
	k.race = reason == ISC_RACE;
	if (!limit_record(&k, rate))
		return NULL;
	if (reason == ISC_RACE)
		ev = bpf_ringbuf_reserve(&race_events, sizeof(*ev), 0);
	else
		ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		es_inc(ISC_ES_DROPS);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = ISC_EV_DENY;
	ev->hdr.version = ISC_EVENT_VERSION;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.ts_ns = bpf_ktime_get_ns();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->arg = arg;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->uid = uid;
	ev->suppressed = rate ? limit_sent(&k) : 0;
	ev->cmd = cmd;
	ev->fd_kind = kind;
	ev->reason = reason;
	ev->hook = hook;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->dev.iommu_group = -1;
	if (file && kind == ISC_FD_DEVICE)	/* the LSM hook's file: typed */
		vfio_file_id(file, true, &ev->dev);
	return ev;
}

/* With no policy in the slot: refuse (EPERM) and say why. */
static __always_inline int deny_no_policy(__u32 cmd, __u64 arg, __u8 hook)
{
	struct isc_deny_event *ev;

	es_inc(ISC_ES_DENIED);
	ev = new_record(NULL, cmd, arg, ISC_FD_UNKNOWN, hook, ISC_DENY_NO_POLICY,
			ISC_LOG_RATE_DEFAULT);
	if (ev) {
		ev->err = 1;
		bpf_ringbuf_submit(ev, 0);
	}
	return -1;
}

static __always_inline int deny(struct file *file, const struct isc_policy_entry *e, __u32 cmd,
				__u64 arg, __u8 kind, __u8 hook, __u8 reason, __u32 argsz,
				__u32 flags, __u32 bad, __u32 line)
{
	bool audit = e->pflags & ISC_PF_AUDIT_ONLY;
	/* bounded, so the verifier sees an LSM return value in [-4095, 0] */
	__u32 err = audit ? 0 : ((__u32)e->deny_errno & 0xfff);
	struct isc_deny_event *ev;

	if (!audit && !err)
		err = 1;	/* EPERM: a refusal must not read as success */
	es_inc(audit ? ISC_ES_AUDITED : ISC_ES_DENIED);
	count_denial(cmd, kind);
	ev = new_record(file, cmd, arg, kind, hook, reason, e->log_rate);
	if (ev) {
		ev->argsz = argsz;
		ev->flags = flags;
		ev->bad = bad;
		ev->err = (__s32)err;
		ev->line = line;
		ev->generation = e->generation;
		ev->audit_only = audit;
		bpf_ringbuf_submit(ev, 0);
	}
	return -(int)err;
}

static __always_inline __u32 one_of_bad(__u32 flags, __u32 group)
{
	__u32 set = flags & group;

	if (!group || (set && !(set & (set - 1))))
		return 0;
	return set ? set : group;
}

/* What an earlier call of this thread left (its exit was not seen: a
 * handler loaded after start, a 32-bit call the syscall exit misses): gone
 * before this call is judged, so no recheck compares with another call. */
static __always_inline void forget_checked(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (inflight_calls() && !bpf_map_delete_elem(&checked, &tid))
		inflight_add(-1);
}

/* A call on a file none of VFIO's and iommufd's classifiers knows: ';' is
 * theirs alone (ioctl-number.rst), so it cannot be judged; the policy's
 * unclassified entry decides. */
static __always_inline int judge_unclassified(void *inner, __u32 cmd, __u64 arg, __u8 hook)
{
	struct isc_cat_key key = { .fd_kind = ISC_POLICY_UNCLASSIFIED_KIND };
	const struct isc_policy_entry *e;

	es_inc(ISC_ES_UNCLASSIFIED);
	e = bpf_map_lookup_elem(inner, &key);
	if (!e)
		return 0;
	return deny(NULL, e, cmd, arg, ISC_FD_UNKNOWN, hook, ISC_DENY_UNCLASSIFIED, 0, 0, 0,
		    e->rules[0].line);
}

/* A command the catalog has no entry for on this kind of file: the
 * policy's entry for other commands decides. */
static __always_inline int judge_unlisted(struct file *file, void *inner, __u32 cmd, __u64 arg,
					  __u8 kind, __u8 hook)
{
	struct isc_cat_key key = { .cmd = ISC_POLICY_OTHER_CMD };
	const struct isc_policy_entry *e;

	e = bpf_map_lookup_elem(inner, &key);
	if (!e)
		return 0;
	return deny(file, e, cmd, arg, kind, hook, ISC_DENY_UNKNOWN, 0, 0, 0, e->rules[0].line);
}

/* The first rule of e that matches the caller decides: the deny() result,
 * or 1 when the call may go on. */
static __always_inline int judge_rules(struct file *file, const struct isc_policy_entry *e,
				       __u32 cmd, __u64 arg,
				       __u8 kind, __u8 hook, __u32 argsz, __u32 flags,
				       bool have_flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 bad, i;

	for (i = 0; i < ISC_POLICY_MAX_RULES; i++) {
		const struct isc_policy_rule *r = &e->rules[i];

		if (i >= e->nr_rules)
			break;
		if (!rule_matches(r, task))
			continue;
		if (r->action == ISC_RA_DENY)
			return deny(file, e, cmd, arg, kind, hook, ISC_DENY_RULE, argsz, flags,
				    0, r->line);
		if ((r->match & ISC_PM_SIZE) && (e->cat.cflags & ISC_CATF_SIZED) &&
		    (argsz < r->min_size || argsz > r->max_size))
			return deny(file, e, cmd, arg, kind, hook, ISC_DENY_SIZE, argsz, flags,
				    0, r->line);
		if (have_flags && (r->match & ISC_PM_FLAGS)) {
			bad = flags & ~e->cat.index_mask & ~r->allowed;
			if (bad)
				return deny(file, e, cmd, arg, kind, hook, ISC_DENY_FLAGS, argsz,
					    flags, bad, r->line);
			bad = one_of_bad(flags, e->cat.one_of[0]) |
			      one_of_bad(flags, e->cat.one_of[1]);
			if (bad)
				return deny(file, e, cmd, arg, kind, hook, ISC_DENY_ONE_OF,
					    argsz, flags, bad, r->line);
		}
		break;
	}
	return 1;
}

/* An allowed call with flags: what it was judged on, for the recheck at
 * its exit (the race of a thread rewriting the struct meanwhile). */
static __always_inline void remember_checked(const struct isc_policy_entry *e, __u32 cmd,
					     __u64 arg, __u8 kind, __u8 hook, __u32 argsz,
					     __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct isc_checked c = {};

	c.arg = arg;
	c.cmd = cmd;
	c.flags = flags;
	c.argsz = argsz;
	c.generation = e->generation;
	c.flags_off = e->cat.flags_off;
	c.fd_kind = kind;
	c.hook = hook;
	/* audit-only lets everything through: it kills nobody */
	c.kill = (e->pflags & ISC_PF_RACE_KILL) && !(e->pflags & ISC_PF_AUDIT_ONLY);
	c.log_rate = e->log_rate;
	/* counted, so the 5.10 exit hook (every ioctl on the host) returns at
	 * once while nothing waits for a recheck; an entry the LRU evicts
	 * leaves the count high, which costs lookups, never a missed recheck */
	if (!bpf_map_update_elem(&checked, &tid, &c, BPF_NOEXIST))
		inflight_add(1);
	else
		bpf_map_update_elem(&checked, &tid, &c, BPF_EXIST);
}

static __always_inline int judge(struct file *file, __u32 cmd, __u64 arg, __u8 hook)
{
	struct isc_cat_key key = {};
	const struct isc_policy_entry *e;
	__u32 zero = 0, argsz = 0, flags = 0;
	bool have_flags = false;
	void *inner;
	__u8 kind;
	int ret;

	if (!is_vfio_cmd(cmd))
		return 0;
	forget_checked();
	inner = bpf_map_lookup_elem(&policy, &zero);
	if (!inner)
		return deny_no_policy(cmd, arg, hook);
	kind = file_kind(file, true);
	if (kind == ISC_FD_UNKNOWN)
		return judge_unclassified(inner, cmd, arg, hook);
	es_inc(ISC_ES_CHECKED);
	key.cmd = cmd;
	key.fd_kind = kind;
	e = bpf_map_lookup_elem(inner, &key);
	if (!e)
		return judge_unlisted(file, inner, cmd, arg, kind, hook);
	if (e->cat.cflags & ISC_CATF_SIZED) {
		if (bpf_probe_read_user(&argsz, sizeof(argsz), (void *)arg))
			goto unreadable;
		if ((e->cat.cflags & ISC_CATF_FLAGS_IN) && e->cat.flags_off != ISC_CAT_NO_FLAGS) {
			if (bpf_probe_read_user(&flags, sizeof(flags),
						(void *)arg + (e->cat.flags_off & 0xff)))
				goto unreadable;
			have_flags = true;
		}
	}
	ret = judge_rules(file, e, cmd, arg, kind, hook, argsz, flags, have_flags);
	if (ret <= 0)
		return ret;
	if (have_flags)
		remember_checked(e, cmd, arg, kind, hook, argsz, flags);
	return 0;
unreadable:
	es_inc(ISC_ES_UNREADABLE);
	if (e->pflags & ISC_PF_UNREADABLE_OK)
		return 0;
	return deny(file, e, cmd, arg, kind, hook, ISC_DENY_UNREADABLE, argsz, flags, 0, 0);
}

/* Newer verifiers want an LSM result provably in [-4095, 0]: clamp it
 * where the compiler cannot see the range and fold the check away. */
static __always_inline int lsm_verdict(int ret)
{
	long r = ret;	/* checked and returned in one 64-bit register */

	asm volatile("" : "+r"(r));
	if (r < -4095 || r > 0)
		r = -1;
	return r;
}

SEC("?lsm/file_ioctl")
int BPF_PROG(enforce_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	return lsm_verdict(judge(file, cmd, arg, ISC_EH_FILE_IOCTL));
}

SEC("?lsm/file_ioctl_compat")
int BPF_PROG(enforce_file_ioctl_compat, struct file *file, unsigned int cmd, unsigned long arg)
{
	return lsm_verdict(judge(file, cmd, arg, ISC_EH_FILE_IOCTL_COMPAT));
}

/* ---- the race detector ---- */

/* The flags the kernel (or the user's struct) holds now are not what the
 * check judged: one record a call, and SIGKILL where the policy says so. */
static __always_inline void race(struct isc_checked *c, __u8 hook, __u32 now)
{
	struct isc_deny_event *ev;
	bool killed = false;

	if (c->alerted)
		return;
	c->alerted = 1;
	es_inc(ISC_ES_RACES);
	if (c->kill && !bpf_send_signal(9)) {
		es_inc(ISC_ES_KILLS);
		killed = true;
	}
	ev = new_record(NULL, c->cmd, c->arg, c->fd_kind, hook, ISC_RACE, c->log_rate);
	if (ev) {
		ev->argsz = c->argsz;
		ev->flags = c->flags;
		ev->flags_later = now;
		ev->bad = now ^ c->flags;
		ev->generation = c->generation;
		ev->killed = killed;
		bpf_ringbuf_submit(ev, 0);
	}
}

/* Read the user's flags again. */
/* Read the user's flags again; at the handlers, only for the call the
 * check saw (cmd and arg), at the syscall's exit for whatever is left. */
static __always_inline void recheck(__u8 hook, bool done, bool match, __u32 cmd, __u64 arg)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct isc_checked *c = bpf_map_lookup_elem(&checked, &tid);
	__u32 now;

	if (!c || (match && (c->cmd != cmd || c->arg != arg)))
		return;
	if (!bpf_probe_read_user(&now, sizeof(now), (void *)c->arg + (c->flags_off & 0xff)) &&
	    now != c->flags)
		race(c, hook, now);
	if (done && !bpf_map_delete_elem(&checked, &tid))
		inflight_add(-1);
}

/* At each fops handler of include/handlers.def. */
#define ISC_HANDLER(func, kind, id)						\
SEC("?fentry/" #func)								\
int BPF_PROG(func##_recheck, struct file *file, unsigned int cmd, unsigned long arg) \
{										\
	recheck(ISC_EH_HANDLER, false, true, cmd, arg);				\
	return 0;								\
}										\
SEC("?fexit/" #func)								\
int BPF_PROG(func##_recheck_exit, struct file *file, unsigned int cmd, unsigned long arg) \
{										\
	recheck(ISC_EH_EXIT, true, true, cmd, arg);				\
	return 0;								\
}

#include "handlers.def"

/* Always: the call's exit, for handlers that cannot be traced (no module
 * BTF, a module loaded after start); after a traced handler's fexit there
 * is nothing left here. */
SEC("?tp/syscalls/sys_exit_ioctl")
int enforce_exit_ioctl(void *ctx)
{
	if (!inflight_calls())
		return 0;
	recheck(ISC_EH_EXIT, true, false, 0, 0);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Observe the VFIO and iommufd ioctl path. Two hook sets, picked by the
 * loader after probing (every program here is off until it says so):
 *
 *  full:       fentry/fexit on the fops ioctl handlers (the kind is known
 *              from the handler; non-VFIO ioctls never enter BPF), or, where
 *              module functions cannot be traced (no module BTF),
 *              lsm/file_ioctl for the entry and sys_exit_ioctl for the exit;
 *  tracepoint: syscalls:sys_enter_ioctl / sys_exit_ioctl, the fd resolved to
 *              its struct file through the task's fd table.
 *
 * Entry captures the call into the thread's "inflight" slot; exit completes
 * it and submits one ring-buffer record.
 */
#include "inflight.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define NR_IOCTL_X86_64	16
#define NR_IOCTL_I386	54
/* x86_64 THREAD_SIZE without KASAN; only used where bpf_task_pt_regs is
 * missing (before 5.15), and those kernels have no FRED stack padding. */
#define ISC_THREAD_SIZE	16384

/* ISC_CAT_IDX(cmd, fd kind) -> what exit reads back (user/load/loader.c) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISC_CAT_SLOTS);
	__type(key, __u32);
	__type(value, struct isc_caps_rule);
} caps_rules SEC(".maps");

/* typed: file is a BTF pointer (see KREAD) */
static __always_inline int ioctl_enter(struct file *file, bool typed, __s32 fd, __u32 cmd,
				       __u64 arg, __u8 hook, __u8 kind)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct isc_ioctl_event *e;
	__u32 rdev;

	if (!task_wanted(pid_tgid) || !file)
		return 0;
	e = inflight_begin(tid, file, typed, false, &kind, &rdev);
	if (!e)
		return 0;
	e->hdr.version = ISC_EVENT_VERSION;
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->latency_ns = 0;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->arg = arg;
	e->ret = 0;
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->fd = fd;
	e->cmd = cmd;
	e->fd_kind = kind;
	e->entry_hook = hook;
	e->exit_hook = ISC_HOOK_NONE;
	e->argsz_out = 0;
	e->flags_out = 0;
	e->nr_caps = 0;
	e->iof = fd < 0 ? ISC_IOF_NO_FD : 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->arg_len = read_arg_head(e->arg_head, arg);
	if (e->arg_len)
		e->iof |= ISC_IOF_ARG_READ;
	else if (arg > 4096)
		stat_inc(ISC_STAT_ARG_FAULT);
	/* device fds only: every other record ends before dev */
	if (kind == ISC_FD_DEVICE && vfio_file_id(file, typed, &e->dev))
		e->iof |= ISC_IOF_DEVICE;
	return 0;
}

/*
 * An INFO reply's capability chain, read from the caller's buffer right
 * after the kernel wrote it: ids and versions in chain order. The walk is
 * bounded (ISC_MAX_CAPS) and every offset must move forward and stay
 * inside the argsz the caller gave.
 */
static __always_inline void walk_caps(struct isc_ioctl_event *out, const struct isc_caps_rule *r)
{
	struct {
		__u16 id;
		__u16 version;
		__u32 next;
	} h;
	__u32 argsz, off = 0, i;
	void *arg = (void *)out->arg;

	if (out->ret || out->arg_len < 8)
		return;
	__builtin_memcpy(&argsz, out->arg_head, sizeof(argsz));
	if (bpf_probe_read_user(&out->flags_out, sizeof(out->flags_out), arg + (r->flags_off & 0x3f)))
		return;
	/* A caller whose struct ends before cap_offset (an older header) has
	 * no chain: the bytes there are not its. */
	if (!(out->flags_out & r->caps_flag) || argsz < (__u32)r->cap_offset_off + 4 ||
	    bpf_probe_read_user(&off, sizeof(off), arg + (r->cap_offset_off & 0x3f)) || !off)
		return;
	out->iof |= ISC_IOF_CAPS;
	for (i = 0; i < ISC_MAX_CAPS; i++) {
		if (off < 8 || off > argsz - 8 || argsz < 8 ||
		    bpf_probe_read_user(&h, sizeof(h), arg + off)) {
			out->iof |= ISC_IOF_CAPS_BAD;
			return;
		}
		out->caps[i] = h.id | (__u32)h.version << 16;
		out->nr_caps = i + 1;
		if (!h.next)
			return;
		if (h.next <= off) {		/* a loop, or backwards */
			out->iof |= ISC_IOF_CAPS_BAD;
			return;
		}
		off = h.next;
	}
	out->iof |= ISC_IOF_CAPS_MORE;
}

/*
 * Reader wakeups. By default a record submitted while the reader is idle
 * wakes it: an irq_work (a self-IPI) here and an epoll wakeup, a poll and
 * a write() in the reader, for each record whenever the reader keeps up.
 * Wake it at most once per ISC_WAKEUP_GAP_NS instead; a record that comes
 * within the gap is read with the next wakeup or by the reader's own
 * 100 ms poll (user/ring/session.c), so it is printed at most that much later.
 * Calls a millisecond or more apart are each woken for, as before.
 */
#define ISC_WAKEUP_GAP_NS	1000000
__u64 last_wakeup_ns = 0;

static __always_inline __u64 wakeup_flag(__u64 now)
{
	if (now - last_wakeup_ns < ISC_WAKEUP_GAP_NS)
		return BPF_RB_NO_WAKEUP;
	last_wakeup_ns = now;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline int ioctl_exit(__s64 ret, __u8 hook)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct isc_ioctl_event *e, *out;
	struct isc_caps_rule *r;
	__u32 idx;
	__u64 now;

	e = inflight_live(tid);
	if (!e)
		return 0;
	/* two constant sizes: a device fd's record has dev, no other does */
	if (e->iof & ISC_IOF_DEVICE) {
		out = bpf_ringbuf_reserve(&events, ISC_IOCTL_DEV_SIZE, 0);
		if (out)
			__builtin_memcpy(out, e, ISC_IOCTL_DEV_SIZE);
	} else {
		out = bpf_ringbuf_reserve(&events, ISC_IOCTL_BASE_SIZE, 0);
		if (out)
			__builtin_memcpy(out, e, ISC_IOCTL_BASE_SIZE);
	}
	if (!out) {
		stat_inc(ISC_STAT_DROPS);
		goto forget;
	}
	out->hdr.size = e->iof & ISC_IOF_DEVICE ? ISC_IOCTL_DEV_SIZE : ISC_IOCTL_BASE_SIZE;
	out->ret = ret;
	out->exit_hook = hook;
	now = bpf_ktime_get_ns();
	out->latency_ns = now - out->hdr.ts_ns;
	/* Replies: INFO ioctls write the size they need back into argsz. */
	idx = ISC_CAT_IDX(out->cmd, out->fd_kind);
	r = bpf_map_lookup_elem(&caps_rules, &idx);
	if (r && r->reply && out->arg_len >= 4 &&
	    !bpf_probe_read_user(&out->argsz_out, sizeof(out->argsz_out), (void *)out->arg))
		out->iof |= ISC_IOF_ARGSZ_OUT;
	if (r && r->caps_flag)
		walk_caps(out, r);
	bpf_ringbuf_submit(out, wakeup_flag(now));
	stat_inc(ISC_STAT_EVENTS);
forget:
	inflight_end(e);
	return 0;
}

/* ---- tracepoint hook set ---- */

static __always_inline int tp_ioctl_enter(struct file *file, bool typed, int fd, __u32 cmd,
					  __u64 arg)
{
	return ioctl_enter(file, typed, fd, cmd, arg, ISC_HOOK_TP, ISC_FD_UNKNOWN);
}

ISC_TP_ENTER_PROGS(tp_ioctl_enter)

SEC("?tp/syscalls/sys_exit_ioctl")
int tp_exit_ioctl(struct trace_event_raw_sys_exit *ctx)
{
	if (!inflight_calls())
		return 0;
	return ioctl_exit(ctx->ret, ISC_HOOK_TP);
}

/* ---- full hook set ---- */

/* The fd of the ioctl(2) the current task is in, from its saved registers
 * (fentry and LSM programs see the struct file, not the fd). */
static __always_inline __s32 current_ioctl_fd(void)
{
	struct task_struct *task;
	struct pt_regs *regs;
	long nr = -1, fd = -1;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs) &&
	    bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		/* a BTF pointer: plain loads */
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		nr = regs->orig_ax;
		if (nr == NR_IOCTL_X86_64)
			fd = regs->di;
		else if (nr == NR_IOCTL_I386)
			fd = regs->bx;
		return (__s32)fd;
	}
	/* before 5.15: the pt_regs at the top of the task's stack */
	task = (struct task_struct *)bpf_get_current_task();
	regs = (struct pt_regs *)((__u64)BPF_CORE_READ(task, stack) + ISC_THREAD_SIZE) - 1;
	bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax);
	if (nr == NR_IOCTL_X86_64)
		bpf_probe_read_kernel(&fd, sizeof(fd), &regs->di);
	else if (nr == NR_IOCTL_I386)
		bpf_probe_read_kernel(&fd, sizeof(fd), &regs->bx);
	return (__s32)fd;
}

SEC("?lsm/file_ioctl")
int BPF_PROG(lsm_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	if (!is_vfio_cmd(cmd))
		return 0;
	ioctl_enter(file, true, current_ioctl_fd(), cmd, arg, ISC_HOOK_LSM, ISC_FD_UNKNOWN);
	return 0;	/* observe only; enforcement lives in its own object */
}

/* One fentry/fexit pair per fops handler of include/handlers.def. */
#define ISC_HANDLER(func, kind, id)						\
SEC("?fentry/" #func)								\
int BPF_PROG(func##_fentry, struct file *file, unsigned int cmd, unsigned long arg) \
{										\
	return ioctl_enter(file, true, current_ioctl_fd(), cmd, arg, ISC_HOOK_FENTRY, \
			   handler_kind(file, kind));				\
}										\
SEC("?fexit/" #func)								\
int BPF_PROG(func##_fexit, struct file *file, unsigned int cmd, unsigned long arg, \
	     long ret)								\
{										\
	return ioctl_exit(ret, ISC_HOOK_FENTRY);				\
}
#include "handlers.def"

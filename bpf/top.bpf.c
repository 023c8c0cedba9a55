// SPDX-License-Identifier: GPL-2.0
/*
 * iommutop and the exporter: count VFIO and iommufd ioctls in the kernel,
 * per (process, ioctl, fd kind, device), in a per-CPU hash. Nothing is
 * streamed per call: user space sums the CPUs and diffs samples.
 *
 * The hook sets and their program names are those of bpf/ioctl.bpf.c, so
 * the loader's probe and mode choice serve both objects. Entry judges the
 * call's mismatch classes against the "catalog" map (what the running
 * kernel accepts, filled from include/catalog.def) and remembers it in the
 * thread's "inflight" slot; exit does one per-CPU hash update. The
 * in-flight record is the one bpf/iommu.bpf.c reads, so its map/unmap
 * counting attributes DMA bytes to this call too.
 */
#include "inflight.bpf.h"
#include "catalog_const.h"

char LICENSE[] SEC("license") = "GPL";

#define FEATURE_CMD	ISC_CMD_VFIO_DEVICE_FEATURE
#define FEATURE_INDEX	0xffffu
#define FEATURE_OPS	(ISC_FV_VFIO_DEVICE_FEATURE__VFIO_DEVICE_FEATURE_GET | \
			 ISC_FV_VFIO_DEVICE_FEATURE__VFIO_DEVICE_FEATURE_SET)
#define IRQ_DATA_BOOL	ISC_FV_VFIO_DEVICE_SET_IRQS__VFIO_IRQ_SET_DATA_BOOL
#define IRQ_DATA_EVENTFD ISC_FV_VFIO_DEVICE_SET_IRQS__VFIO_IRQ_SET_DATA_EVENTFD

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct isc_top_key);
	__type(value, struct isc_top_val);
} top_stats SEC(".maps");

/* ISC_CAT_IDX(cmd, fd kind) -> what this kernel accepts (user/load/catalog_map.c) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISC_CAT_SLOTS);
	__type(key, __u32);
	__type(value, struct isc_cat_entry);
} catalog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ISC_MAX_FEATURES);
	__type(key, __u32);
	__type(value, __u32);
} features SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isc_top_val);
} tzero SEC(".maps");

#define TC(c)	(1u << (c))

static __always_inline __u32 read_u32(__u64 arg, __u32 off, __u32 *v)
{
	return bpf_probe_read_user(v, sizeof(*v), (void *)(arg + (off & 0x3f)));
}

/* Variable-length structs (user/classify/classify.c classify_payload): 1 when the
 * payload rule decided the size question. */
static __always_inline int payload_size(const struct isc_cat_entry *c, __u64 arg, __u32 argsz,
					__u32 flags, __u32 *cls)
{
	__u32 count = 0;
	__u64 need;

	switch (c->payload) {
	case ISC_PL_IRQ_DATA:	/* count * (0, 1 or 4 by DATA_BOOL/EVENTFD) */
		read_u32(arg, c->payload_a, &count);
		need = (__u64)c->minsz + (__u64)count * ((flags & IRQ_DATA_BOOL) ? 1 :
							 (flags & IRQ_DATA_EVENTFD) ? 4 : 0);
		break;
	case ISC_PL_TRAILING:
		return 1;
	case ISC_PL_ARRAY:	/* count at a, elements of b bytes */
		read_u32(arg, c->payload_a, &count);
		need = (__u64)c->minsz + (__u64)count * c->payload_b;
		break;
	case ISC_PL_FLAG_TAIL:	/* flag a adds b bytes */
		if (!(flags & c->payload_a))
			return 0;
		need = (__u64)c->minsz + c->payload_b;
		break;
	default:
		return 0;
	}
	if (argsz < need)
		*cls |= TC(ISC_TC_TRUNCATED);
	return 1;
}

static __always_inline __u32 flag_classes(const struct isc_cat_entry *c, __u32 flags)
{
	__u32 f = flags & ~c->index_mask, set;
	__u32 cls = 0;
	int i;

	if (f & ~c->allowed)
		cls |= TC(ISC_TC_UNKNOWN_FLAGS);
	for (i = 0; i < 2; i++) {
		if (!c->one_of[i])
			continue;
		set = f & c->one_of[i];
		if (!set || (set & (set - 1)))
			cls |= TC(ISC_TC_UNKNOWN_FLAGS);
	}
	return cls;
}

/* VFIO_DEVICE_FEATURE's low 16 bits pick a sub-feature with its own
 * release and its own GET/SET support. One the catalog lacks is
 * newer-than-catalog until the exit sees ENOTTY (top_exit). */
static __always_inline __u32 feature_classes(__u32 flags)
{
	__u32 idx = flags & FEATURE_INDEX, *v;

	v = idx < ISC_MAX_FEATURES ? bpf_map_lookup_elem(&features, &idx) : NULL;
	if (!v || !(*v & ISC_FEATF_CATALOG))
		return TC(ISC_TC_NEWER_KERNEL);
	if (!(*v & ISC_FEATF_KNOWN))
		return TC(ISC_TC_UNKNOWN_IOCTL);
	return flags & FEATURE_OPS & ~*v ? TC(ISC_TC_UNKNOWN_FLAGS) : 0;
}

/* The classes of a call, as user/classify/classify.c classify__ioctl judges them
 * (minus caps-truncated, which needs the thread's next call). A command in
 * no catalog row is newer-than-catalog until the exit sees ENOTTY. */
static __always_inline __u32 classify(__u32 cmd, __u8 kind, __u64 arg)
{
	__u32 idx = ISC_CAT_IDX(cmd, kind);
	struct isc_cat_entry *c = bpf_map_lookup_elem(&catalog, &idx);
	__u32 argsz, flags = 0, cls = 0, head[2];
	bool has_flags = false;

	if (!c || !(c->cflags & ISC_CATF_KNOWN))
		return TC(ISC_TC_NEWER_KERNEL);
	if (c->cflags & ISC_CATF_TOO_NEW)
		return TC(ISC_TC_UNKNOWN_IOCTL);
	if (!(c->cflags & ISC_CATF_SIZED) || !arg)
		return 0;
	/* Most structs lead with argsz, flags: one read for both where the
	 * caller's memory has 8 bytes, else one read each as below. */
	if (c->flags_off == 4 && !bpf_probe_read_user(head, sizeof(head), (void *)arg)) {
		argsz = head[0];
		flags = head[1];
		has_flags = true;
	} else {
		if (read_u32(arg, 0, &argsz))
			return 0;
		if (c->flags_off != ISC_CAT_NO_FLAGS && !read_u32(arg, c->flags_off, &flags))
			has_flags = true;
	}
	if (argsz < c->minsz)
		cls |= TC(ISC_TC_TRUNCATED);
	else if (c->payload && payload_size(c, arg, argsz, flags, &cls))
		;
	else if (c->size && argsz < c->size)
		cls |= TC(ISC_TC_OLDER_STRUCT);
	else if (c->size && argsz > c->size && !(c->cflags & ISC_CATF_CAPS))
		cls |= TC(ISC_TC_NEWER_STRUCT);
	if (has_flags && (c->cflags & ISC_CATF_FLAGS_IN))
		cls |= flag_classes(c, flags);
	if (has_flags && cmd == FEATURE_CMD && kind == ISC_FD_DEVICE)
		cls |= feature_classes(flags);
	return cls;
}

static __always_inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "DDDD:BB:DD.F" as domain << 16 | bus << 8 | devfn (ISC_TOP_DEV_PCI):
 * the key stays small; false for any other name (vfio-platform, mdev). */
static __always_inline bool pci_pack(const char *n, __u32 *out)
{
	__u32 v = 0, slot;
	int i, h;

	if (n[4] != ':' || n[7] != ':' || n[10] != '.' || n[12] != '\0')
		return false;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		h = hex_digit(n[i]);
		if (h < 0)
			return false;
		v = v << 4 | h;
	}
	slot = v & 0xff;	/* the last two digits read: the slot */
	h = n[11] - '0';
	if (slot > 0x1f || h < 0 || h > 7)
		return false;
	*out = (v & ~0xffu) | slot << 3 | h;
	return true;
}

/* A device fd's PCI address in the key instead of its device number (a
 * group's device fd has none); e->iof's ISC_IOF_DEVICE says which. */
static __always_inline void top_device(struct isc_ioctl_event *e, struct file *file, bool typed)
{
	__u32 pci;

	e->iof = 0;
	if (e->fd_kind != ISC_FD_DEVICE || !vfio_file_id(file, typed, &e->dev) ||
	    !pci_pack(e->dev.name, &pci))
		return;
	e->top_dev = pci;
	e->iof = ISC_IOF_DEVICE;
}

/* typed: file is a BTF pointer (see KREAD) */
static __always_inline int top_enter(struct file *file, bool typed, __u32 cmd, __u64 arg,
				     __u8 kind)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct isc_ioctl_event *e;
	__u32 rdev;

	if (!file || !task_wanted(pid_tgid))
		return 0;
	e = inflight_begin(tid, file, typed, true, &kind, &rdev);
	if (!e)
		return 0;
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->cmd = cmd;
	e->fd_kind = kind;
	e->top_dev = rdev;
	top_device(e, file, typed);
	e->top_classes = classify(cmd, kind, arg);
	return 0;
}

static __always_inline __u32 log2_bucket(__u64 v)
{
	__u32 r, shift;

	r = (v > 0xffffffffull) << 5;
	v >>= r;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r < ISC_TOP_HIST ? r : ISC_TOP_HIST - 1;
}

static __always_inline struct isc_top_val *top_val(const struct isc_top_key *key)
{
	struct isc_top_val *v = bpf_map_lookup_elem(&top_stats, key);
	__u32 zero = 0;

	if (v)
		return v;
	v = bpf_map_lookup_elem(&tzero, &zero);
	if (!v)
		return NULL;
	bpf_get_current_comm(v->comm, sizeof(v->comm));
	bpf_map_update_elem(&top_stats, key, v, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&top_stats, key);
	if (!v)
		stat_inc(ISC_STAT_TOP_FULL);
	return v;
}

static __always_inline int top_exit(__s64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), cls, b;
	struct isc_top_key key = {};
	struct isc_ioctl_event *e;
	struct isc_top_val *v;
	__u64 lat;
	int i;

	e = inflight_live(tid);
	if (!e)
		return 0;
	lat = bpf_ktime_get_ns() - e->hdr.ts_ns;
	key.tgid = e->pid;
	key.cmd = e->cmd;
	key.dev = e->top_dev;
	key.fd_kind = e->fd_kind;
	key.dev_form = e->iof & ISC_IOF_DEVICE ? ISC_TOP_DEV_PCI : ISC_TOP_DEV_RDEV;
	key.cgroup_id = bpf_get_current_cgroup_id();
	cls = e->top_classes;
	/* not in the catalog and not answered: unknown-ioctl after all */
	if ((cls & TC(ISC_TC_NEWER_KERNEL)) && ISC_RET_UNANSWERED(ret))
		cls ^= TC(ISC_TC_NEWER_KERNEL) | TC(ISC_TC_UNKNOWN_IOCTL);
	v = top_val(&key);
	if (v) {
		v->calls++;
		if (ret < 0)
			v->errors++;
		v->lat_sum_ns += lat;
		b = log2_bucket(lat);
		v->hist[b & (ISC_TOP_HIST - 1)]++;
		for (i = 0; i < ISC_TC_MAX && cls; i++)
			if (cls & TC(i))
				v->cls[i]++;
	}
	inflight_end(e);
	return 0;
}

/* ---- tracepoint hook set ---- */

static __always_inline int tp_top_enter(struct file *file, bool typed, int fd, __u32 cmd,
					__u64 arg)
{
	return top_enter(file, typed, cmd, arg, ISC_FD_UNKNOWN);
}

ISC_TP_ENTER_PROGS(tp_top_enter)

SEC("?tp/syscalls/sys_exit_ioctl")
int tp_exit_ioctl(struct trace_event_raw_sys_exit *ctx)
{
	if (!inflight_calls())
		return 0;
	return top_exit(ctx->ret);
}

/* ---- full hook set ---- */

SEC("?lsm/file_ioctl")
int BPF_PROG(lsm_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg)
{
	if (is_vfio_cmd(cmd))
		top_enter(file, true, cmd, arg, ISC_FD_UNKNOWN);
	return 0;	/* counts only */
}

/* One fentry/fexit pair per fops handler of include/handlers.def. */
#define ISC_HANDLER(func, kind, id)						\
SEC("?fentry/" #func)								\
int BPF_PROG(func##_fentry, struct file *file, unsigned int cmd, unsigned long arg) \
{										\
	return top_enter(file, true, cmd, arg, handler_kind(file, kind));	\
}										\
SEC("?fexit/" #func)								\
int BPF_PROG(func##_fexit, struct file *file, unsigned int cmd, unsigned long arg, \
	     long ret)								\
{										\
	return top_exit(ret);							\
}
#include "handlers.def"

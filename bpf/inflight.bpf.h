/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VFIO/iommufd calls between entry and exit: one slot per thread, shared by
 * the ioctl (or top) and iommu objects (the loader reuses the maps), read
 * by the IOMMU-core hooks to tell which call a map or a bind happened in.
 *
 * A thread's slot stays between its calls: entry writes the record in place
 * and marks it live (hdr.type = ISC_EV_IOCTL), exit marks it done (0). Two
 * lookups a call instead of an insert and a delete (each of those takes the
 * bucket lock and the element free list: about 270 ns the pair on the
 * benchmark host).
 *
 * Where the kernel lets tracepoint programs use task storage (the loader
 * probes it and sets use_task_slots), the slot is the task's own storage:
 * found from the task without hashing (about 25 ns against 43 for the LRU
 * lookup here), freed with the thread. Elsewhere (5.10, where task storage
 * does not exist, and kernels whose tracepoints cannot use it) an LRU hash
 * by thread id: slots of threads that have gone are reused, and a live slot
 * is only evicted when more threads than max_entries have slots at once.
 *
 * The slot also remembers the kind of the file of the thread's last call by
 * (f_op, device number), which decide it: a thread calls on the same few
 * fds, and two hash lookups a call are saved where f_op and the device
 * number are plain loads.
 */
#ifndef ISC_INFLIGHT_BPF_H
#define ISC_INFLIGHT_BPF_H

#include "common.bpf.h"

struct isc_inflight {
	struct isc_ioctl_event ev;	/* first: a slot is also its record */
	__u64 fop;
	__u32 rdev;
	__u8 kind;			/* ISC_FD_UNKNOWN: nothing remembered */
	__u8 __pad[3];
};

/* Set by the loader: tracepoint programs may call bpf_task_storage_get. */
const volatile bool use_task_slots = false;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct isc_inflight);
} task_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct isc_inflight);
} inflight SEC(".maps");

/* The thread's slot; create: make one if it has none. */
static __always_inline struct isc_inflight *slot_get(__u32 tid, bool create)
{
	static const struct isc_inflight blank = {};
	struct isc_inflight *s;

	if (use_task_slots)
		return bpf_task_storage_get(&task_slots, bpf_get_current_task_btf(), 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	s = bpf_map_lookup_elem(&inflight, &tid);
	if (s || !create)
		return s;
	bpf_map_update_elem(&inflight, &tid, &blank, BPF_NOEXIST);
	return bpf_map_lookup_elem(&inflight, &tid);
}

/*
 * The thread's slot for a new call on file, counted live (a slot still live
 * from a lost exit is reused without counting it twice); NULL when file is
 * not a VFIO/iommufd fd. *kind: the handler's kind, or ISC_FD_UNKNOWN to
 * find it; *rdev: the file's device number, read where it is cheap
 * (typed) or asked for (want_rdev), else 0. The caller sets every field
 * it reads later: the slot holds the thread's previous call.
 */
static __always_inline struct isc_ioctl_event *inflight_begin(__u32 tid, struct file *file,
							       bool typed, bool want_rdev,
							       __u8 *kind, __u32 *rdev)
{
	struct isc_inflight *s;
	__u64 fop = 0;

	*rdev = typed || want_rdev ? file_rdev(file, typed) : 0;
	if (*kind == ISC_FD_UNKNOWN && !typed) {
		*kind = file_kind_rdev(file, want_rdev ? *rdev : ISC_RDEV_UNREAD, false);
		if (*kind == ISC_FD_UNKNOWN)
			return NULL;
	}
	s = slot_get(tid, true);
	if (!s) {
		stat_inc(ISC_STAT_INFLIGHT_FULL);
		return NULL;
	}
	if (*kind == ISC_FD_UNKNOWN) {
		/* typed: the kind of the last call's file, if this is alike */
		fop = (__u64)KREAD(true, file, f_op);
		if (s->kind != ISC_FD_UNKNOWN && s->fop == fop && s->rdev == *rdev) {
			*kind = s->kind;
		} else {
			*kind = file_kind_rdev(file, *rdev, true);
			if (*kind == ISC_FD_UNKNOWN)
				return NULL;
			s->fop = fop;
			s->rdev = *rdev;
			s->kind = *kind;
		}
	}
	if (s->ev.hdr.type != ISC_EV_IOCTL) {
		s->ev.hdr.type = ISC_EV_IOCTL;
		inflight_add(1);
	}
	return &s->ev;
}

/* The thread's live call, or NULL. */
static __always_inline struct isc_ioctl_event *inflight_live(__u32 tid)
{
	struct isc_inflight *s;

	if (!inflight_calls())
		return NULL;
	s = slot_get(tid, false);
	return s && s->ev.hdr.type == ISC_EV_IOCTL ? &s->ev : NULL;
}

static __always_inline void inflight_end(struct isc_ioctl_event *e)
{
	e->hdr.type = 0;
	inflight_add(-1);
}

#endif /* ISC_INFLIGHT_BPF_H */

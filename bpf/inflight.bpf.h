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
 *
 * Map/unmap volume (the IOMMU core's map and unmap tracepoints, which fire
 * once per contiguous chunk: thousands of times in one large MAP_DMA) is
 * added up in the slot and written to map_stats once, when the call ends:
 * one percpu-hash lookup per ioctl instead of one per chunk, which made a
 * 1 GiB MAP+UNMAP twice as slow in the guest.
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
	struct isc_map_volume vol;	/* this call's maps so far */
};

/* map/unmap volume per (process, ioctl, fd kind); shared by the objects */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct isc_map_key);
	__type(value, struct isc_map_stats);
} map_stats SEC(".maps");

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

/* The slot's map volume into map_stats, keyed by its call. */
static __always_inline void inflight_flush(struct isc_inflight *s)
{
	struct isc_map_key key = {};
	struct isc_map_stats *st, zero = {};

	if (!(s->vol.map_calls | s->vol.unmap_calls))
		return;
	key.tgid = s->ev.pid;	/* the call's process (a stale slot's tid may be reused) */
	key.cmd = s->ev.cmd;
	key.fd_kind = s->ev.fd_kind;
	st = bpf_map_lookup_elem(&map_stats, &key);
	if (!st) {
		bpf_get_current_comm(zero.comm, sizeof(zero.comm));
		bpf_map_update_elem(&map_stats, &key, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&map_stats, &key);
	}
	if (st) {
		st->map_calls += s->vol.map_calls;
		st->map_bytes += s->vol.map_bytes;
		st->unmap_calls += s->vol.unmap_calls;
		st->unmap_bytes += s->vol.unmap_bytes;
	}
	__builtin_memset(&s->vol, 0, sizeof(s->vol));
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
	} else {
		inflight_flush(s);	/* a call whose exit was lost */
	}
	return &s->ev;
}

/* The thread's live slot, or NULL. */
static __always_inline struct isc_inflight *inflight_live_slot(__u32 tid)
{
	struct isc_inflight *s;

	if (!inflight_calls())
		return NULL;
	s = slot_get(tid, false);
	return s && s->ev.hdr.type == ISC_EV_IOCTL ? s : NULL;
}

/* The thread's live call, or NULL. */
static __always_inline struct isc_ioctl_event *inflight_live(__u32 tid)
{
	struct isc_inflight *s = inflight_live_slot(tid);

	return s ? &s->ev : NULL;
}

/* e: the record of inflight_begin/inflight_live, the first member of its slot */
static __always_inline void inflight_end(struct isc_ioctl_event *e)
{
	inflight_flush((struct isc_inflight *)e);
	e->hdr.type = 0;
	inflight_add(-1);
}

#endif /* ISC_INFLIGHT_BPF_H */

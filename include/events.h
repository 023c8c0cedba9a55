/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records and map layouts shared by the BPF programs (bpf/) and the loader
 * (user/). Fixed-width types and explicit padding only: this is an ABI
 * between two compilers. Every record starts with struct isc_event_hdr so the
 * decoder can validate type, version and length before trusting anything.
 */
#ifndef ISC_EVENTS_H
#define ISC_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define ISC_EVENT_VERSION	1
#define ISC_COMM_LEN		16
/* Bytes of the user struct captured at ioctl entry: the longest fixed head
 * the decoders read is IOMMU_HWPT_ALLOC (48 bytes). */
#define ISC_ARG_HEAD		64

/* ioctl type ';' (0x3B): VFIO uses nr 0x64-0x79, iommufd 0x80-0xff. All are
 * _IO(';', nr), so the whole cmd is 0x3B00 | nr and carries no size. */
#define ISC_IOCTL_TYPE_MASK	0xffffff00u
#define ISC_IOCTL_TYPE_VFIO	0x00003b00u

enum isc_event_type {
	ISC_EV_IOCTL = 1,
};

/*
 * What kind of file an ioctl went to. The kernel dispatches by the file's
 * f_op, and VFIO numbers collide across kinds (0x3B70 is three ioctls), so
 * the kind must be known before a command can be named.
 */
enum isc_fd_kind {
	ISC_FD_UNKNOWN = 0,
	ISC_FD_CONTAINER,	/* /dev/vfio/vfio served by VFIO (type1) */
	ISC_FD_COMPAT,		/* /dev/vfio/vfio served by iommufd */
	ISC_FD_GROUP,		/* /dev/vfio/N */
	ISC_FD_DEVICE,		/* device fd: group path or /dev/vfio/devices/vfioN */
	ISC_FD_IOMMUFD,		/* /dev/iommu */
	ISC_FD_SPAPR,		/* spapr TCE container (ppc64 only) */
	ISC_FD_MIG,		/* VFIO migration data fd (driver fops) */
	ISC_FD_KIND_MAX,
};

/* Which program saw the entry or the exit of a call. */
enum isc_hook {
	ISC_HOOK_NONE = 0,
	ISC_HOOK_TP,		/* syscalls:sys_enter_ioctl / sys_exit_ioctl */
	ISC_HOOK_FENTRY,	/* fentry/fexit on the fops ioctl handler */
	ISC_HOOK_LSM,		/* lsm/file_ioctl */
};

/* isc_ioctl_event.iof */
#define ISC_IOF_ARG_READ	(1u << 0)	/* arg_head holds arg_len bytes */
#define ISC_IOF_ARGSZ_OUT	(1u << 1)	/* argsz_out was read at exit */
#define ISC_IOF_NO_FD		(1u << 2)	/* fd not known (fd is -1) */

struct isc_event_hdr {
	__u16 type;		/* enum isc_event_type */
	__u16 version;		/* ISC_EVENT_VERSION */
	__u32 size;		/* sizeof the whole record */
	__u64 ts_ns;		/* CLOCK_MONOTONIC at entry */
};

struct isc_ioctl_event {
	struct isc_event_hdr hdr;
	__u64 latency_ns;	/* entry to exit */
	__u64 cgroup_id;
	__u64 arg;		/* raw third ioctl argument */
	__s64 ret;		/* return value, -errno on failure */
	__u32 pid;		/* tgid */
	__u32 tid;
	__s32 fd;
	__u32 cmd;
	__u8 fd_kind;		/* enum isc_fd_kind */
	__u8 entry_hook;	/* enum isc_hook */
	__u8 exit_hook;		/* enum isc_hook */
	__u8 arg_len;		/* bytes valid in arg_head */
	__u32 argsz_out;	/* first u32 of the struct after the call */
	__u32 iof;		/* ISC_IOF_* */
	__u32 __pad;
	char comm[ISC_COMM_LEN];
	__u8 arg_head[ISC_ARG_HEAD];
};

/* Per-CPU counters in the "stats" map, summed by the loader. */
enum isc_stat {
	ISC_STAT_DROPS = 0,	/* bpf_ringbuf_reserve failed: event lost */
	ISC_STAT_INFLIGHT_FULL,	/* no room to remember a call at entry */
	ISC_STAT_ARG_FAULT,	/* user struct unreadable at entry */
	ISC_STAT_EVENTS,	/* events submitted */
	ISC_STAT_MAX,
};

/* Keys of the rdev_kinds map: kernel dev_t (major << 20 | minor). A key
 * with minor ISC_RDEV_ANY_MINOR matches every minor of that major. */
#define ISC_MINORBITS		20
#define ISC_RDEV_ANY_MINOR	0xfffffu
#define ISC_MKDEV(ma, mi)	(((__u32)(ma) << ISC_MINORBITS) | (__u32)(mi))

#endif /* ISC_EVENTS_H */

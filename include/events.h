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

#define ISC_EVENT_VERSION	3
/* The oldest record version the decoder still reads (trace -r of older
 * captures): version 2 has no device identity (struct isc_dev_id). */
#define ISC_EVENT_VERSION_MIN	2
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
	ISC_EV_IOMMU,		/* struct isc_iommu_event */
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
/*
 * The return value of a call no handler took: "no such ioctl" (ENOTTY; an
 * fexit sees the kernel-internal ENOIOCTLCMD that vfs_ioctl() turns into
 * it), or an LSM's refusal before any handler ran (EPERM, EACCES). A call
 * in no catalog row that returns anything else was answered by a kernel
 * newer than the catalog. Linux errno values: the BPF side has no errno.h.
 */
#define ISC_ENOIOCTLCMD		515
#define ISC_RET_UNANSWERED(r)	((r) == -25 || (r) == -ISC_ENOIOCTLCMD || (r) == -1 || (r) == -13)

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
#define ISC_IOF_CAPS		(1u << 3)	/* the reply's capability chain was walked */
#define ISC_IOF_CAPS_BAD	(1u << 4)	/* ... and it loops or points outside argsz */
#define ISC_IOF_CAPS_MORE	(1u << 5)	/* ... and has more than ISC_MAX_CAPS */
#define ISC_IOF_DEVICE		(1u << 6)	/* dev is there (hdr.size ISC_IOCTL_DEV_SIZE) */

#define ISC_MAX_CAPS		8

#define ISC_DEV_NAME_LEN	32

/*
 * The device behind a device fd (ISC_FD_DEVICE), read at the call from the
 * file: its vfio_device's struct device, whatever opened it (a group's
 * VFIO_GROUP_GET_DEVICE_FD, /dev/vfio/devices/vfioN) and whenever.
 */
struct isc_dev_id {
	char name[ISC_DEV_NAME_LEN];	/* dev_name(): "0000:00:02.0"; "" not read */
	__s32 iommu_group;		/* its IOMMU group's id, -1: none or not read */
	__u32 __pad;
};

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
	/* bpf/top.bpf.c keeps the record in flight only (it never leaves
	 * the kernel there): two of its words hold top's own state */
	union {
		__u32 argsz_out;	/* first u32 of the struct after the call */
		__u32 top_dev;		/* top: the file's device number */
	};
	__u32 iof;		/* ISC_IOF_* */
	union {
		__u32 flags_out;	/* the flags word after the call (replies) */
		__u32 top_classes;	/* top: ISC_TC_* bits judged at entry */
	};
	char comm[ISC_COMM_LEN];
	__u8 arg_head[ISC_ARG_HEAD];
	__u8 nr_caps;
	__u8 __pad[3];
	__u32 caps[ISC_MAX_CAPS];	/* id | version << 16, in chain order */
	__u32 __pad2;
	/* Version 3: only records with ISC_IOF_DEVICE (device fds) carry
	 * dev and are ISC_IOCTL_DEV_SIZE long; the others (MAP_DMA and every
	 * container, group and iommufd call) end here, ISC_IOCTL_BASE_SIZE
	 * bytes, the version 2 record. */
	struct isc_dev_id dev;
};

#define ISC_IOCTL_BASE_SIZE	200u	/* offsetof(struct isc_ioctl_event, dev) */
#define ISC_IOCTL_DEV_SIZE	((__u32)sizeof(struct isc_ioctl_event))
_Static_assert(__builtin_offsetof(struct isc_ioctl_event, dev) == ISC_IOCTL_BASE_SIZE,
	       "a record without dev is the version 2 record");

/* What the exit reads back from the caller's struct (filled from the
 * catalog), in the "caps_rules" array at ISC_CAT_IDX(cmd, fd kind): argsz
 * for replies (the kernel writes the struct back), and the capability chain
 * where caps_flag is set. A zero slot: nothing to read back. */
struct isc_caps_rule {
	__u8 cap_offset_off;	/* where cap_offset is in the reply */
	__u8 flags_off;
	__u8 reply;		/* the kernel writes the struct: read argsz back */
	__u8 __pad;
	__u32 caps_flag;	/* output flag: a chain is present; 0: no chain */
};

/*
 * The catalog as the BPF side needs it, one entry per (command, fd kind)
 * (filled by user/load/catalog_map.c from include/catalog.def and what the
 * running kernel understands): iommutop counts mismatches by class and the
 * enforce policy judges flags without asking user space. The enforce
 * policy keys its hash by struct isc_cat_key; iommutop's "catalog" array
 * is indexed by ISC_CAT_IDX (an inlined lookup on the per-call path).
 */
struct isc_cat_key {
	__u32 cmd;
	__u32 fd_kind;		/* enum isc_fd_kind */
};

/* Every VFIO/iommufd command is 0x3B00 | nr (ISC_IOCTL_TYPE_VFIO). */
#define ISC_CAT_IDX(cmd, kind)	(((__u32)(kind) << 8) | ((cmd) & 0xffu))
#define ISC_CAT_SLOTS		(ISC_FD_KIND_MAX << 8)

#define ISC_CAT_NO_FLAGS	0xffff	/* isc_cat_entry.flags_off: none */
/* isc_cat_entry.cflags */
#define ISC_CATF_SIZED		(1u << 0)	/* the struct leads with argsz/size */
#define ISC_CATF_FLAGS_IN	(1u << 1)	/* the flags word is an input */
#define ISC_CATF_PAYLOAD	(1u << 2)	/* variable length: big argsz is not newer */
#define ISC_CATF_IOMMUFD	(1u << 3)	/* iommufd size rules (non-zero tail: E2BIG) */
#define ISC_CATF_TOO_NEW	(1u << 4)	/* the ioctl is newer than this kernel */
#define ISC_CATF_CAPS		(1u << 5)	/* INFO reply: a bigger argsz is room for caps */
#define ISC_CATF_KNOWN		(1u << 6)	/* "catalog" array: the slot holds an ioctl */

/* How long a variable-length struct must be (include/catalog.def
 * ISC_PAYLOAD; isc_cat_entry.payload, 0: fixed size). */
enum isc_payload_kind {
	ISC_PL_IRQ_DATA = 1,	/* minsz + count * data size by DATA flag */
	ISC_PL_TRAILING,	/* data of any length after the fixed part */
	ISC_PL_ARRAY,		/* count at offset a, elements of b bytes */
	ISC_PL_FLAG_TAIL,	/* flag a adds b bytes, then data */
};

struct isc_cat_entry {
	__u32 minsz;		/* smallest argsz/size the kernel accepts */
	__u32 size;		/* this kernel's struct size, 0 unknown */
	__u32 allowed;		/* input flag bits this kernel and backend accept */
	__u32 index_mask;	/* bits that hold an index, not flags */
	__u32 one_of[2];	/* groups of which exactly one bit must be set */
	__u16 flags_off;	/* offset of the u32 flags word, or ISC_CAT_NO_FLAGS */
	__u8 arg;		/* enum isc_arg_kind (user/decode/catalog.h) */
	__u8 cflags;		/* ISC_CATF_* */
	__s32 kernel_errno;	/* what the kernel answers an unsupported flag */
	/* Variable-length structs (enum isc_payload_kind, 0:
	 * fixed size): where the count is and how big an element, or which
	 * flag adds how many bytes. A reply's array is always TRAILING. */
	__u32 payload_a;
	__u32 payload_b;
	__u8 payload;
	__u8 __pad[3];
};

/* VFIO_DEVICE_FEATURE sub-features, the "features" array (index = the
 * feature's index): ISC_FEATF_KNOWN | the GET/SET bits it supports. 0: no
 * such feature on this kernel; ISC_FEATF_CATALOG alone: the catalog has it,
 * from a later release. */
#define ISC_FEATF_KNOWN		(1u << 31)
#define ISC_FEATF_CATALOG	(1u << 30)
#define ISC_MAX_FEATURES	64

/* What an IOMMU-core event is. */
enum isc_iommu_op {
	ISC_IOMMU_BIND = 1,	/* a domain attached to a group/device/PASID */
	ISC_IOMMU_UNBIND,
	ISC_IOMMU_INVALIDATE,	/* IOTLB / cache invalidation */
	ISC_IOMMU_FAULT,
	ISC_IOMMU_PAGE_RESPONSE,	/* the answer to a page request (5.x) */
	ISC_IOMMU_FAULT_RESPONSE,	/* user space answered a page fault */
};

/* Which kernel function produced an IOMMU-core event (include/hooks.def
 * ISC_FUNC). */
enum isc_iommu_hook {
	ISC_IH_NONE = 0,
#define ISC_FUNC(id, func) ISC_IH_##id,
#include "hooks.def"
	ISC_IH_MAX,
};

/* isc_iommu_event.ief */
#define ISC_IEF_PASID		(1u << 0)	/* pasid is valid */
#define ISC_IEF_WRITE		(1u << 1)	/* fault: a DMA write (else read) */
#define ISC_IEF_UAPI		(1u << 2)	/* uapi_argsz/version were read */
#define ISC_IEF_RET		(1u << 3)	/* ret is valid */
#define ISC_IEF_SID		(1u << 4)	/* source_id is valid */
#define ISC_IEF_HWPT		(1u << 5)	/* hwpt_id is valid */
#define ISC_IEF_FAULTQ		(1u << 6)	/* fault_id is valid */
#define ISC_IEF_DATA		(1u << 7)	/* data_type, data_len, flags are valid */
#define ISC_IEF_ENTRIES		(1u << 8)	/* data_type, entry_len/num/done are valid */
#define ISC_IEF_RESPONSE	(1u << 9)	/* code and cookie are valid */
#define ISC_IEF_COUNT		(1u << 10)	/* count is valid */
#define ISC_IEF_PARENT		(1u << 11)	/* parent is valid */

struct isc_iommu_event {
	struct isc_event_hdr hdr;
	__u64 cgroup_id;
	__u64 domain;		/* iommu_domain address: links events together */
	__u64 iova;
	__u64 size;
	__s64 ret;
	__u32 pid;		/* the task the kernel ran this in */
	__u32 tid;
	__s32 group_id;		/* -1: not known here */
	__u32 domain_type;
	__u16 op;		/* enum isc_iommu_op */
	__u16 hook;		/* enum isc_iommu_hook */
	__u32 in_cmd;		/* this thread's VFIO/iommufd ioctl in flight, 0 if none */
	__u8 in_kind;		/* its fd kind */
	__u8 fault_reason;
	__u16 ief;		/* ISC_IEF_* */
	__u32 pasid;
	__u32 uapi_argsz;	/* 5.x IOMMU UAPI structs: argsz and version */
	__u32 uapi_version;
	__u16 source_id;	/* VT-d fault: requester id, bus << 8 | devfn */
	__u16 __pad;
	char comm[ISC_COMM_LEN];
	char device[ISC_DEV_NAME_LEN];
	/* the iommufd era: each group of fields valid when its ISC_IEF_ bit is */
	__u32 __pad2;
	__u64 parent;		/* nested HWPT: the parent (stage-2) domain */
	__u32 hwpt_id;		/* the HWPT's iommufd object id */
	__u32 fault_id;		/* its fault queue's object id */
	__u32 data_type;	/* IOMMU_HWPT_DATA_* / IOMMU_HWPT_INVALIDATE_DATA_* */
	__u32 data_len;		/* bind: driver data bytes; invalidate: entry_len */
	__u32 flags;		/* bind: the HWPT_ALLOC flags */
	__u32 entry_num;	/* invalidate: entries asked for */
	__u32 entry_done;	/* invalidate: entries the driver handled */
	__u32 count;		/* fault: faults in the group */
	__u32 code;		/* fault response: IOMMU_PAGE_RESP_* */
	__u32 cookie;		/* fault response: the cookie read() gave */
};

/* Totals of the iommu:map / iommu:unmap tracepoints hit while a thread was
 * inside a VFIO/iommufd ioctl, per process and ioctl (the "map_stats"
 * per-CPU hash). */
struct isc_map_key {
	__u32 tgid;
	__u32 cmd;		/* the ioctl that mapped or unmapped */
	__u8 fd_kind;		/* and its fd kind, to name it */
	__u8 __pad[3];
};

struct isc_map_volume {
	__u64 map_calls;
	__u64 map_bytes;
	__u64 unmap_calls;
	__u64 unmap_bytes;	/* bytes actually unmapped */
};

struct isc_map_stats {
	__u64 map_calls;
	__u64 map_bytes;
	__u64 unmap_calls;
	__u64 unmap_bytes;	/* bytes actually unmapped */
	char comm[ISC_COMM_LEN];
};

/*
 * iommutop and the exporter: per-CPU counters per (process, ioctl, fd kind,
 * device) in the "top_stats" hash of bpf/top.bpf.c. Only counted, never
 * streamed; user space sums the CPUs and diffs samples.
 */
enum isc_top_class {		/* mismatch classes judged in the kernel */
#define ISC_CLASS_BPF(id, name) ISC_TC_##id,
#include "classes.def"
	ISC_TC_MAX,
};

/* log2 latency buckets: bucket i counts calls of [2^i, 2^(i+1)) ns, the
 * last one everything longer. */
#define ISC_TOP_HIST		32

struct isc_top_key {
	__u32 tgid;
	__u32 cmd;
	__u32 dev;		/* the file's char device (kernel dev_t), 0 if none;
				 * ISC_TOP_DEV_PCI: the device fd's PCI address */
	__u8 fd_kind;
	__u8 dev_form;		/* ISC_TOP_DEV_* */
	__u8 __pad[2];
	__u64 cgroup_id;	/* the caller's cgroup2 id: names its VM after it exits */
};

/* isc_top_key.dev_form */
#define ISC_TOP_DEV_RDEV	0
#define ISC_TOP_DEV_PCI		1	/* domain << 16 | bus << 8 | devfn */

struct isc_top_val {
	__u64 calls;
	__u64 errors;		/* returned < 0 */
	__u64 lat_sum_ns;
	__u64 cls[ISC_TC_MAX];	/* calls in each mismatch class */
	__u64 hist[ISC_TOP_HIST];
	char comm[ISC_COMM_LEN];
};

/* Per-CPU counters in the "stats" map, summed by the loader. */
enum isc_stat {
	ISC_STAT_DROPS = 0,	/* bpf_ringbuf_reserve failed: event lost */
	ISC_STAT_INFLIGHT_FULL,	/* no room to remember a call at entry */
	ISC_STAT_ARG_FAULT,	/* user struct unreadable at entry */
	ISC_STAT_EVENTS,	/* events submitted */
	ISC_STAT_TOP_FULL,	/* top_stats full: a call not counted */
	ISC_STAT_MAX,
};

/* Where a device fd's struct device is (bpf/common.bpf.h vfio_file_dev,
 * set by user/load/loader.c): byte offsets, or these. */
#define ISC_VFIO_OFF_NONE	(-1)	/* not known: no device */
#define ISC_VFIO_OFF_GUESS	(-2)	/* no BTF (5.10-5.12): 0 or 8, see vfio_file_dev */

/* Keys of the anon_kinds map: the name an anonymous-inode file was given
 * (include/fdkinds.def ISC_ANON), zero-padded; the file's superblock must
 * be anon_inodefs (ANON_INODE_FS_MAGIC). */
#define ISC_ANON_NAME_LEN	24
#define ISC_ANON_INODE_MAGIC	0x09041934

struct isc_anon_key {
	char name[ISC_ANON_NAME_LEN];
};

/* Keys of the rdev_kinds map: kernel dev_t (major << 20 | minor). A key
 * with minor ISC_RDEV_ANY_MINOR matches every minor of that major. */
#define ISC_MINORBITS		20
#define ISC_RDEV_ANY_MINOR	0xfffffu
#define ISC_MKDEV(ma, mi)	(((__u32)(ma) << ISC_MINORBITS) | (__u32)(mi))

#endif /* ISC_EVENTS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the BPF programs: fd classification, reading the user
 * struct head, per-CPU counters. Maps used by more than one program file are
 * declared here too.
 */
#ifndef ISC_COMMON_BPF_H
#define ISC_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

#define S_IFMT	00170000
#define S_IFCHR	0020000

/* Load-time filters, set by the loader between open and load. */
const volatile __u32 targ_tgid = 0;
const volatile __u32 self_tgid = 0;	/* iommuscope itself: never traced */
const volatile bool targ_comm_set = false;
const volatile char targ_comm[ISC_COMM_LEN] = {};
/* the caller's executable, as the kernel sees it (user/policy/exeid.c): 0 none */
const volatile __u64 targ_exe_ino = 0;
const volatile __u32 targ_exe_dev = 0;

/* f_op address -> enum isc_fd_kind (from kallsyms, when it has data syms) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, __u8);
} fops_kinds SEC(".maps");

/* anonymous-inode file name -> kind (include/fdkinds.def ISC_ANON) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__type(key, struct isc_anon_key);
	__type(value, __u8);
} anon_kinds SEC(".maps");

/* char device number -> kind (from /proc/devices and /proc/misc) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} rdev_kinds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ISC_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by the loader */
} events SEC(".maps");

/* How many calls are live (bpf/inflight.bpf.h; the enforce object: waiting
 * for a race recheck). Hooks that fire for everything
 * (sys_exit_ioctl, iommu:map) return at once while it is 0, without a hash
 * lookup; a one-slot array lookup is inlined by the verifier. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} inflight_nr SEC(".maps");

static __always_inline __s64 inflight_calls(void)
{
	__u32 zero = 0;
	__s64 *n = bpf_map_lookup_elem(&inflight_nr, &zero);

	return n ? *n : 0;
}

static __always_inline void inflight_add(__s64 d)
{
	__u32 zero = 0;
	__s64 *n = bpf_map_lookup_elem(&inflight_nr, &zero);

	if (n)
		__sync_fetch_and_add(n, d);
}

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* The cheapest possible test, done first on every ioctl. */
static __always_inline bool is_vfio_cmd(__u32 cmd)
{
	return (cmd & ISC_IOCTL_TYPE_MASK) == ISC_IOCTL_TYPE_VFIO;
}

static __always_inline bool task_wanted(__u64 pid_tgid)
{
	if ((pid_tgid >> 32) == self_tgid)
		return false;
	if (targ_tgid && (pid_tgid >> 32) != targ_tgid)
		return false;
	if (targ_comm_set) {
		char comm[ISC_COMM_LEN];
		int i;

		bpf_get_current_comm(comm, sizeof(comm));
		for (i = 0; i < ISC_COMM_LEN; i++) {
			if (comm[i] != targ_comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	if (targ_exe_ino) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct inode *ino = BPF_CORE_READ(task, mm, exe_file, f_inode);

		if (!ino || BPF_CORE_READ(ino, i_ino) != targ_exe_ino ||
		    BPF_CORE_READ(ino, i_sb, s_dev) != targ_exe_dev)
			return false;
	}
	return true;
}

/*
 * A field of a kernel object. typed: the pointer is BTF typed (a program
 * argument of fentry/LSM, or bpf_rdonly_cast'ed), so the read is a plain
 * load the verifier makes fault-safe; else one bpf_probe_read_kernel call
 * each (about 30 ns on the benchmark host: the helper call and return
 * dominate). Callers pass a constant, so only one branch is compiled.
 */
#define KREAD(typed, p, field)	((typed) ? (p)->field : BPF_CORE_READ(p, field))

/* The device number of a character device file; 0 for any other file. */
static __always_inline __u32 file_rdev(struct file *file, bool typed)
{
	struct inode *inode = KREAD(typed, file, f_inode);

	if ((KREAD(typed, inode, i_mode) & S_IFMT) != S_IFCHR)
		return 0;
	return KREAD(typed, inode, i_rdev);
}

static __always_inline __u8 rdev_kind(__u32 rdev)
{
	__u8 *kind;

	if (!rdev)
		return ISC_FD_UNKNOWN;
	kind = bpf_map_lookup_elem(&rdev_kinds, &rdev);
	if (kind)
		return *kind;
	rdev |= ISC_RDEV_ANY_MINOR;
	kind = bpf_map_lookup_elem(&rdev_kinds, &rdev);
	return kind ? *kind : ISC_FD_UNKNOWN;
}

/*
 * An anonymous-inode file by the name the kernel gave it ("[vfio-device]"
 * for a device fd from a group, the variant drivers' migration fds). The
 * superblock must be anon_inodefs: a file of that name anywhere else is
 * not one. Read on every ';' ioctl of a file with no device number and no
 * known f_op, never cached by f_op: an address a reloaded module reuses
 * must not carry an old kind (pinned enforcement has no loader to clear it).
 */
static __always_inline __u8 anon_kind(struct file *file, bool typed)
{
	struct inode *inode = KREAD(typed, file, f_inode);
	struct super_block *sb = KREAD(typed, inode, i_sb);
	struct isc_anon_key key = {};
	const unsigned char *name;
	struct dentry *d;
	__u8 *kind;

	if (KREAD(typed, sb, s_magic) != ISC_ANON_INODE_MAGIC)
		return ISC_FD_UNKNOWN;
	d = KREAD(typed, file, f_path.dentry);
	name = KREAD(typed, d, d_name.name);
	if (bpf_probe_read_kernel_str(key.name, sizeof(key.name), name) <= 0)
		return ISC_FD_UNKNOWN;
	kind = bpf_map_lookup_elem(&anon_kinds, &key);
	return kind ? *kind : ISC_FD_UNKNOWN;
}

/*
 * The kind of an open file: by f_op where it is known (kallsyms), else by
 * device number, else, for a file with none, by its anonymous-inode name.
 * iommufd_fops serves both /dev/iommu and (with IOMMUFD_VFIO_CONTAINER) /dev/vfio/vfio, which the
 * device number separates. rdev: the file's device number when the caller
 * has it (file_rdev), or ISC_RDEV_UNREAD to read it only if the f_op does
 * not decide.
 */
#define ISC_RDEV_UNREAD	0xffffffffu

static __always_inline __u8 file_kind_rdev(struct file *file, __u32 rdev, bool typed)
{
	__u64 fop = (__u64)KREAD(typed, file, f_op);
	__u8 *by_fop = bpf_map_lookup_elem(&fops_kinds, &fop);
	__u8 kind;

	if (by_fop && *by_fop != ISC_FD_IOMMUFD)
		return *by_fop;
	if (rdev == ISC_RDEV_UNREAD)
		rdev = file_rdev(file, typed);
	kind = rdev_kind(rdev);
	if (!by_fop)
		return kind != ISC_FD_UNKNOWN || rdev ? kind : anon_kind(file, typed);
	return kind == ISC_FD_CONTAINER || kind == ISC_FD_COMPAT ? ISC_FD_COMPAT : ISC_FD_IOMMUFD;
}

static __always_inline __u8 file_kind(struct file *file, bool typed)
{
	return file_kind_rdev(file, ISC_RDEV_UNREAD, typed);
}

/* iommufd serves /dev/iommu and, with IOMMUFD_VFIO_CONTAINER, also
 * /dev/vfio/vfio: tell them apart by the device number. The file is the
 * handler's (typed) argument. */
static __always_inline __u8 iommufd_file_kind(struct file *file)
{
	__u8 kind = file_kind(file, true);

	return kind == ISC_FD_CONTAINER || kind == ISC_FD_COMPAT ? ISC_FD_COMPAT : ISC_FD_IOMMUFD;
}

/* The kind of a file a fops handler of include/handlers.def got: the
 * handler's, where iommufd's tells its compat node apart. */
static __always_inline __u8 handler_kind(struct file *file, __u8 kind)
{
	return kind == ISC_FD_IOMMUFD ? iommufd_file_kind(file) : kind;
}

/*
 * The current task's open file for fd (tracepoint mode has only the fd).
 * Where the kernel has bpf_get_current_task_btf (5.11+), the walk to the fd
 * array is plain loads the verifier turns into faulting-safe reads: one
 * helper call for the array slot instead of five.
 */
static __always_inline struct file *fd_file(int fd)
{
	struct file **fds;
	struct file *file = NULL;
	unsigned int max_fds;

	if (fd < 0)
		return NULL;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;

		max_fds = fdt->max_fds;
		fds = fdt->fd;
	} else {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);

		max_fds = BPF_CORE_READ(fdt, max_fds);
		fds = BPF_CORE_READ(fdt, fd);
	}
	if ((unsigned int)fd >= max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/*
 * The same file as a BTF pointer (read-only, fault-safe plain loads), for
 * KREAD(true, ...). bpf_rdonly_cast is a 6.2 kfunc: only the programs the
 * loader picks where the kernel's BTF has it (tp_enter_ioctl_btf) call this;
 * elsewhere the weak extern stays unresolved in programs never loaded.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline struct file *fd_file_typed(int fd)
{
	struct file *file = fd_file(fd);

	if (!file)
		return NULL;
	return bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
}

/*
 * The device behind a device fd: its private_data is the struct
 * vfio_device until the cdev era, a struct vfio_device_file (->device)
 * since (6.6, drivers/vfio/vfio.h), and the vfio_device's dev is the
 * struct device. vfio's types are the vfio module's, so the loader reads
 * where those two pointers are from that module's BTF
 * (/sys/kernel/btf/vfio): not CO-RE, whose search of module BTF needs
 * CAP_SYS_ADMIN. 5.10-5.12 have no module BTF (ISC_VFIO_OFF_GUESS): their
 * vfio_device starts with a kref, dev after it at 8, or, where 5.13's
 * layout was backported (Debian's 5.10.223), with dev itself: the first
 * word tells, a kernel pointer or a small count (the rest of it zeroed by
 * kzalloc).
 */
const volatile __s32 vfio_df_device_off = ISC_VFIO_OFF_NONE;	/* none: private_data is the vfio_device */
const volatile __s32 vfio_device_dev_off = ISC_VFIO_OFF_NONE;

static __always_inline struct device *vfio_file_dev(struct file *file, bool typed)
{
	void *p = KREAD(typed, file, private_data);
	__s32 off = vfio_device_dev_off;
	struct device *dev = NULL;
	__u64 first = 0;

	if (!p || off == ISC_VFIO_OFF_NONE)
		return NULL;
	if (vfio_df_device_off >= 0 &&
	    (bpf_probe_read_kernel(&p, sizeof(p), p + (vfio_df_device_off & 0xfff)) || !p))
		return NULL;
	if (off == ISC_VFIO_OFF_GUESS) {
		if (bpf_probe_read_kernel(&first, sizeof(first), p))
			return NULL;
		off = first >> 47 == 0x1ffff ? 0 : 8;	/* x86_64 kernel addresses */
	}
	if (bpf_probe_read_kernel(&dev, sizeof(dev), p + (off & 0xfff)))
		return NULL;
	return dev;
}

/* The name and IOMMU group of a device fd's device (the file's kind must be
 * ISC_FD_DEVICE): true when the name was read. */
static __always_inline bool vfio_file_id(struct file *file, bool typed, struct isc_dev_id *id)
{
	struct device *dev = vfio_file_dev(file, typed);
	struct iommu_group *grp;
	const char *name;

	id->iommu_group = -1;
	id->name[0] = '\0';
	if (!dev)
		return false;
	name = BPF_CORE_READ(dev, kobj.name);
	if (!name || bpf_probe_read_kernel_str(id->name, sizeof(id->name), name) <= 0) {
		id->name[0] = '\0';
		return false;
	}
	grp = BPF_CORE_READ(dev, iommu_group);
	if (grp && bpf_core_field_exists(grp->id))
		id->iommu_group = BPF_CORE_READ(grp, id);
	return true;
}

/*
 * The two tracepoint entry programs of an object: tp_enter_ioctl reads the
 * struct file with probe reads, tp_enter_ioctl_btf with plain loads through
 * bpf_rdonly_cast (6.2+); the loader turns on one (user/load/loader.c,
 * tp_entry_pick). enter(file, typed, fd, cmd, arg) is the object's entry.
 */
#define ISC_TP_ENTER_PROGS(enter)						\
static __always_inline int tp_enter(struct trace_event_raw_sys_enter *ctx, bool typed) \
{										\
	__u32 cmd = (__u32)ctx->args[1];					\
	int fd = (int)ctx->args[0];						\
										\
	if (!is_vfio_cmd(cmd))							\
		return 0;							\
	return enter(typed ? fd_file_typed(fd) : fd_file(fd), typed, fd, cmd, ctx->args[2]); \
}										\
SEC("?tp/syscalls/sys_enter_ioctl")						\
int tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)			\
{										\
	return tp_enter(ctx, false);						\
}										\
SEC("?tp/syscalls/sys_enter_ioctl")						\
int tp_enter_ioctl_btf(struct trace_event_raw_sys_enter *ctx)			\
{										\
	return tp_enter(ctx, true);						\
}

/*
 * Copy the head of the user struct. A struct near the end of a mapping may
 * not have 64 readable bytes, so fall back to shorter reads. Returns the
 * number of bytes copied, 0 if none could be read (by-value argument).
 */
static __always_inline __u8 read_arg_head(__u8 *dst, __u64 arg)
{
	if (!arg)
		return 0;
	if (!bpf_probe_read_user(dst, ISC_ARG_HEAD, (void *)arg))
		return ISC_ARG_HEAD;
	if (!bpf_probe_read_user(dst, 16, (void *)arg))
		return 16;
	if (!bpf_probe_read_user(dst, 4, (void *)arg))
		return 4;
	return 0;
}

#endif /* ISC_COMMON_BPF_H */

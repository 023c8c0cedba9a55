// SPDX-License-Identifier: GPL-2.0
/*
 * Observe the kernel's IOMMU core: bind (a domain attached to a group or
 * PASID), invalidate (IOTLB flushes of user-owned domains), fault (VT-d
 * primary faults, report_iommu_fault, page requests) and map/unmap volume.
 * Which function serves each role depends on the kernel era; the loader
 * probes them and enables what this kernel has (every program here is off
 * until it does). Records go to the ring buffer shared with the ioctl
 * object; map/unmap are only counted, per process, never streamed.
 */
#include "inflight.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* include/linux/iommu.h: domain type bits (stable since 5.x) */
#define ISC_IOMMU_DOMAIN_DMA_API (1U << 1)

/* VT-d registers (drivers/iommu/intel/iommu.h) */
#define DMAR_FSTS_REG		0x34
#define DMA_FSTS_PPF		(1U << 1)
#define DMA_FRCD_F		(1U << 31)
#define ISC_MAX_FAULT_RECORDS	8

/* Types private to the VT-d driver: only what is read, relocated by CO-RE
 * against the running kernel (they are not in the committed vmlinux.h). */
struct intel_iommu___isc {
	void *reg;
	__u64 cap;
} __attribute__((preserve_access_index));

struct dmar_domain___isc {
	struct iommu_domain domain;
} __attribute__((preserve_access_index));

/* iommufd's private types (drivers/iommu/iommufd/iommufd_private.h): in
 * vmlinux BTF when iommufd is built in, else in its module's BTF. */
struct iommufd_object___isc {
	enum iommufd_object_type type;
	unsigned int id;
} __attribute__((preserve_access_index));

struct iommufd_eventq___isc {
	struct iommufd_object___isc obj;
} __attribute__((preserve_access_index));

struct iommufd_fault___isc {
	struct iommufd_eventq___isc common;
} __attribute__((preserve_access_index));

struct iommufd_hw_pagetable___isc {
	struct iommufd_object___isc obj;
	struct iommu_domain *domain;
	struct iommufd_fault___isc *fault;
} __attribute__((preserve_access_index));

struct iommufd_hwpt_paging___isc {
	struct iommufd_hw_pagetable___isc common;
} __attribute__((preserve_access_index));

struct iommufd_hwpt_nested___isc {
	struct iommufd_hw_pagetable___isc common;
	struct iommufd_hwpt_paging___isc *parent;
} __attribute__((preserve_access_index));

struct iommufd_device___isc {
	struct iommufd_object___isc obj;
	struct device *dev;
} __attribute__((preserve_access_index));

struct iommufd_ucmd___isc {
	void *cmd;
} __attribute__((preserve_access_index));

struct iommu_user_data___isc {
	unsigned int type;
	const void *uptr;
	size_t len;
} __attribute__((preserve_access_index));

/* cookie_type (6.15+) says which union member of iommu_domain is the
 * cookie; iommufd_hwpt is one of them (6.6+) */
struct iommu_domain___isc {
	enum iommu_domain_cookie_type cookie_type;
	struct iommufd_hw_pagetable___isc *iommufd_hwpt;
} __attribute__((preserve_access_index));

/* The uapi structs the ioctl handlers get in ucmd->cmd (kernel copies of
 * the user's, fixed ABI): only the fields read here. */
struct hwpt_alloc___isc {
	__u32 size, flags, dev_id, pt_id, out_hwpt_id, reserved;
	__u32 data_type, data_len;
	__u64 data_uptr;
	__u32 fault_id, reserved2;
};

struct hwpt_invalidate___isc {
	__u32 size, hwpt_id;
	__u64 data_uptr;
	__u32 data_type, entry_len, entry_num, reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct isc_iommu_event);
} iscratch SEC(".maps");

/* A zeroed record for the current task, with the ioctl it is inside. */
static __always_inline struct isc_iommu_event *iommu_event(__u16 op, __u16 hook)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, zero = 0;
	struct isc_ioctl_event *in;
	struct isc_iommu_event *e;

	e = bpf_map_lookup_elem(&iscratch, &zero);
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->hdr.type = ISC_EV_IOMMU;
	e->hdr.version = ISC_EVENT_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->group_id = -1;
	e->op = op;
	e->hook = hook;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	in = inflight_live(tid);
	if (in) {
		e->in_cmd = in->cmd;
		e->in_kind = in->fd_kind;
	}
	return e;
}

static __always_inline int submit(struct isc_iommu_event *e)
{
	if (bpf_ringbuf_output(&events, e, sizeof(*e), 0)) {
		stat_inc(ISC_STAT_DROPS);
		return 0;
	}
	stat_inc(ISC_STAT_EVENTS);
	return 0;
}

static __always_inline void set_domain(struct isc_iommu_event *e, struct iommu_domain *d)
{
	e->domain = (__u64)d;
	if (d)
		e->domain_type = BPF_CORE_READ(d, type);
}

static __always_inline void set_device(struct isc_iommu_event *e, struct device *dev)
{
	const char *name;

	if (!dev)
		return;
	name = BPF_CORE_READ(dev, kobj.name);
	if (name)
		bpf_probe_read_kernel_str(e->device, sizeof(e->device), name);
}

/* The group's id and its first device (VFIO groups of PCI functions). */
static __always_inline void set_group(struct isc_iommu_event *e, struct iommu_group *group)
{
	struct group_device *gd;

	if (!group)
		return;
	e->group_id = BPF_CORE_READ(group, id);
	gd = (struct group_device *)BPF_CORE_READ(group, devices.next);
	if (gd && (void *)gd != (void *)&group->devices)
		set_device(e, BPF_CORE_READ(gd, dev));
}

/* User-owned domains only: the DMA API's own domains flush constantly. */
static __always_inline bool user_domain(struct iommu_domain *d)
{
	return d && !(BPF_CORE_READ(d, type) & ISC_IOMMU_DOMAIN_DMA_API);
}

/* ---- bind ---- */

SEC("?fexit/iommu_attach_group")
int BPF_PROG(attach_group_fexit, struct iommu_domain *domain, struct iommu_group *group, int ret)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_BIND, ISC_IH_ATTACH_GROUP);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_group(e, group);
	e->ret = ret;
	e->ief |= ISC_IEF_RET;
	return submit(e);
}

SEC("?fentry/iommu_detach_group")
int BPF_PROG(detach_group_fentry, struct iommu_domain *domain, struct iommu_group *group)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_UNBIND, ISC_IH_DETACH_GROUP);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_group(e, group);
	return submit(e);
}

/* 6.2+: (domain, dev, pasid[, handle]); the return value moved with the
 * argument count, so only the entry is recorded. */
SEC("?fentry/iommu_attach_device_pasid")
int BPF_PROG(attach_pasid_fentry, struct iommu_domain *domain, struct device *dev, __u32 pasid)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_BIND, ISC_IH_ATTACH_PASID);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_device(e, dev);
	e->pasid = pasid;
	e->ief |= ISC_IEF_PASID;
	return submit(e);
}

/* The 5.10-5.17 IOMMU UAPI: a user buffer led by argsz, then version. */
static __always_inline void read_uapi_head(struct isc_iommu_event *e, void *ubuf)
{
	__u32 head[2];

	if (ubuf && !bpf_probe_read_user(head, sizeof(head), ubuf)) {
		e->uapi_argsz = head[0];
		e->uapi_version = head[1];
		e->ief |= ISC_IEF_UAPI;
	}
}

SEC("?fexit/iommu_uapi_sva_bind_gpasid")
int BPF_PROG(uapi_bind_gpasid_fexit, struct iommu_domain *domain, struct device *dev, void *udata,
	     int ret)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_BIND, ISC_IH_UAPI_BIND_GPASID);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_device(e, dev);
	read_uapi_head(e, udata);
	e->ret = ret;
	e->ief |= ISC_IEF_RET;
	return submit(e);
}

/* ---- invalidate ---- */

/* ops->iotlb_sync of VT-d (6.x): one call per flushed range. */
SEC("?fentry/intel_iommu_tlb_sync")
int BPF_PROG(tlb_sync_fentry, struct iommu_domain *domain, struct iommu_iotlb_gather *gather)
{
	struct isc_iommu_event *e;
	__u64 start, end;

	if (!user_domain(domain))
		return 0;
	start = BPF_CORE_READ(gather, start);
	end = BPF_CORE_READ(gather, end);
	if (end < start)	/* an empty gather: nothing to flush */
		return 0;
	e = iommu_event(ISC_IOMMU_INVALIDATE, ISC_IH_TLB_SYNC);
	if (!e)
		return 0;
	set_domain(e, domain);
	e->iova = start;
	e->size = end - start + 1;
	return submit(e);
}

/* VT-d 5.x: (iommu, dmar_domain, pfn, pages, ih, map); map != 0 is the
 * caching-mode notification after a map, not an invalidation of old data. */
SEC("?fentry/iommu_flush_iotlb_psi")
int BPF_PROG(flush_psi_fentry, void *iommu, struct dmar_domain___isc *dd, unsigned long pfn,
	     unsigned int pages, int ih, int map)
{
	struct iommu_domain *domain;
	struct isc_iommu_event *e;

	if (map || !dd)
		return 0;
	domain = (struct iommu_domain *)((char *)dd + bpf_core_field_offset(dd->domain));
	if (!user_domain(domain))
		return 0;
	e = iommu_event(ISC_IOMMU_INVALIDATE, ISC_IH_FLUSH_PSI);
	if (!e)
		return 0;
	set_domain(e, domain);
	e->iova = (__u64)pfn << 12;
	e->size = (__u64)pages << 12;
	return submit(e);
}

SEC("?fexit/iommu_uapi_cache_invalidate")
int BPF_PROG(uapi_cache_inv_fexit, struct iommu_domain *domain, struct device *dev, void *uinfo,
	     int ret)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_INVALIDATE, ISC_IH_UAPI_CACHE_INV);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_device(e, dev);
	read_uapi_head(e, uinfo);
	e->ret = ret;
	e->ief |= ISC_IEF_RET;
	return submit(e);
}

/* ---- fault ---- */

/*
 * VT-d never calls report_iommu_fault for DMA remapping faults: dmar_fault()
 * reads the fault recording registers and logs (rate-limited) through an
 * inlined helper. Read the same registers here, at entry, before the
 * handler clears them. Reads only; these registers have no read side
 * effects.
 */
static __always_inline int read_mmio32(void *addr, __u32 *v)
{
	return bpf_probe_read_kernel(v, sizeof(*v), addr);
}

SEC("?fentry/dmar_fault")
int BPF_PROG(dmar_fault_fentry, int irq, struct intel_iommu___isc *iommu)
{
	__u32 fsts, hi, mid, nr, idx, off, i;
	struct isc_iommu_event *e;
	char *reg;
	__u64 cap, lo;

	if (!iommu)
		return 0;
	reg = BPF_CORE_READ(iommu, reg);
	cap = BPF_CORE_READ(iommu, cap);
	if (!reg || read_mmio32(reg + DMAR_FSTS_REG, &fsts) || !(fsts & DMA_FSTS_PPF))
		return 0;
	nr = ((cap >> 40) & 0xff) + 1;		/* cap_num_fault_regs */
	off = ((cap >> 24) & 0x3ff) * 16;	/* cap_fault_reg_offset */
	idx = (fsts >> 8) & 0xff;		/* dma_fsts_fault_record_index */
	/* Each pending record once: the kernel clears them as it goes, this
	 * only reads, so it must not wrap around onto the same ones again. */
	for (i = 0; i < ISC_MAX_FAULT_RECORDS && i < nr; i++) {
		char *rec;

		if (idx >= nr)
			idx = 0;
		rec = reg + off + idx * 16;
		if (read_mmio32(rec + 12, &hi) || !(hi & DMA_FRCD_F))
			break;
		if (read_mmio32(rec + 8, &mid) || bpf_probe_read_kernel(&lo, sizeof(lo), rec))
			break;
		e = iommu_event(ISC_IOMMU_FAULT, ISC_IH_DMAR_FAULT);
		if (!e)
			break;
		e->fault_reason = hi & 0xff;
		if (!((hi >> 30) & 1))			/* dma_frcd_type: 1 = read */
			e->ief |= ISC_IEF_WRITE;
		if ((mid >> 31) & 1) {			/* dma_frcd_pasid_present */
			e->pasid = (hi >> 8) & 0xfffff;
			e->ief |= ISC_IEF_PASID;
		}
		e->iova = lo & ~0xfffull;
		/* the loader names the device from bus << 8 | devfn */
		e->source_id = mid & 0xffff;
		e->ief |= ISC_IEF_SID;
		submit(e);
		idx++;
	}
	return 0;
}

SEC("?fentry/report_iommu_fault")
int BPF_PROG(report_fault_fentry, struct iommu_domain *domain, struct device *dev,
	     unsigned long iova, int flags)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_FAULT, ISC_IH_REPORT_FAULT);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_device(e, dev);
	e->iova = iova;
	if (flags & 1)		/* IOMMU_FAULT_WRITE */
		e->ief |= ISC_IEF_WRITE;
	return submit(e);
}

/* The page-request path. 5.3-6.8 pass a struct iommu_fault_event, 6.9+ a
 * struct iopf_fault; both begin with struct iommu_fault. */
SEC("?fentry/iommu_report_device_fault")
int BPF_PROG(device_fault_fentry, struct device *dev, struct iommu_fault *fault)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_FAULT, ISC_IH_DEVICE_FAULT);

	if (!e)
		return 0;
	set_device(e, dev);
	if (fault) {
		e->iova = BPF_CORE_READ(fault, prm.addr);
		if (BPF_CORE_READ(fault, prm.flags) & 1) {	/* PASID_VALID */
			e->pasid = BPF_CORE_READ(fault, prm.pasid);
			e->ief |= ISC_IEF_PASID;
		}
		if (BPF_CORE_READ(fault, prm.perm) & 2)		/* PERM_WRITE */
			e->ief |= ISC_IEF_WRITE;
	}
	return submit(e);
}

/* ---- page response ---- */

/* The answer to a page request, in kernel memory (5.x; no in-tree caller
 * fills it from user space, a VFIO vSVA series would have). The struct led
 * with argsz and version from 5.10 until the 6.x iopf rework dropped both:
 * read only where this kernel's BTF has them. */
struct iommu_page_response___isc {
	__u32 argsz;
	__u32 version;
	__u32 flags;
	__u32 pasid;
} __attribute__((preserve_access_index));

SEC("?fentry/iommu_page_response")
int BPF_PROG(page_response_fentry, struct device *dev, struct iommu_page_response___isc *msg)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_PAGE_RESPONSE, ISC_IH_PAGE_RESPONSE);

	if (!e)
		return 0;
	set_device(e, dev);
	if (msg && bpf_core_field_exists(msg->argsz) && bpf_core_field_exists(msg->version)) {
		e->uapi_argsz = BPF_CORE_READ(msg, argsz);
		e->uapi_version = BPF_CORE_READ(msg, version);
		e->ief |= ISC_IEF_UAPI;
	}
	if (msg && bpf_core_field_exists(msg->flags) && bpf_core_field_exists(msg->pasid) &&
	    BPF_CORE_READ(msg, flags) & 1) {	/* IOMMU_PAGE_RESP_PASID_VALID */
		e->pasid = BPF_CORE_READ(msg, pasid);
		e->ief |= ISC_IEF_PASID;
	}
	return submit(e);
}

/* ---- the iommufd era: binds through attach handles, nested HWPTs,
 * HWPT_INVALIDATE, fault queues ---- */

static __always_inline bool is_err(const void *p)
{
	return (unsigned long)p >= (unsigned long)-4095;
}

/* The HWPT an iommufd-owned domain belongs to (its object id, and its fault
 * queue's). 6.15+ says so in cookie_type; before, only iommufd passes
 * domains to the handle functions, so the cookie is the HWPT there. */
static __always_inline void set_hwpt_of(struct isc_iommu_event *e, struct iommu_domain *d)
{
	struct iommu_domain___isc *dd = (void *)d;
	struct iommufd_hw_pagetable___isc *hwpt;
	struct iommufd_fault___isc *fault;

	/* Without IOMMUFD the kernel's BTF has no HWPT (at most a forward
	 * declaration): then there is nothing to read, and the reads below
	 * must be dead code for the program to load at all. */
	if (!d || !bpf_core_type_exists(struct iommufd_hw_pagetable___isc) ||
	    !bpf_core_field_exists(dd->iommufd_hwpt))
		return;
	if (bpf_core_field_exists(dd->cookie_type) &&
	    BPF_CORE_READ(dd, cookie_type) !=
		    bpf_core_enum_value(enum iommu_domain_cookie_type, IOMMU_COOKIE_IOMMUFD))
		return;
	hwpt = BPF_CORE_READ(dd, iommufd_hwpt);
	if (!hwpt)
		return;
	e->hwpt_id = BPF_CORE_READ(hwpt, obj.id);
	e->ief |= ISC_IEF_HWPT;
	fault = BPF_CORE_READ(hwpt, fault);
	if (fault) {
		e->fault_id = BPF_CORE_READ(fault, common.obj.id);
		e->ief |= ISC_IEF_FAULTQ;
	}
}

SEC("?fexit/iommu_attach_group_handle")
int BPF_PROG(attach_handle_fexit, struct iommu_domain *domain, struct iommu_group *group,
	     struct iommu_attach_handle *handle, int ret)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_BIND, ISC_IH_ATTACH_HANDLE);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_group(e, group);
	set_hwpt_of(e, domain);
	e->ret = ret;
	e->ief |= ISC_IEF_RET;
	return submit(e);
}

SEC("?fexit/iommu_replace_group_handle")
int BPF_PROG(replace_handle_fexit, struct iommu_group *group, struct iommu_domain *domain,
	     struct iommu_attach_handle *handle, int ret)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_BIND, ISC_IH_REPLACE_HANDLE);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_group(e, group);
	set_hwpt_of(e, domain);
	e->ret = ret;
	e->ief |= ISC_IEF_RET;
	return submit(e);
}

SEC("?fentry/iommu_detach_group_handle")
int BPF_PROG(detach_handle_fentry, struct iommu_domain *domain, struct iommu_group *group)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_UNBIND, ISC_IH_DETACH_HANDLE);

	if (!e)
		return 0;
	set_domain(e, domain);
	set_group(e, group);
	set_hwpt_of(e, domain);
	return submit(e);
}

static __always_inline void set_user_data(struct isc_iommu_event *e, __u32 flags,
					  const struct iommu_user_data___isc *ud)
{
	e->flags = flags;
	if (ud) {
		e->data_type = BPF_CORE_READ(ud, type);
		e->data_len = BPF_CORE_READ(ud, len);
	}
	e->ief |= ISC_IEF_DATA;
}

/* A nested HWPT: a user (stage-1) page table bound over a parent (stage-2)
 * domain, what the 5.x IOMMU UAPI called binding a guest PASID table. */
static __always_inline int nested_event(__u16 hook, struct iommufd_hwpt_nested___isc *ret,
					__u32 flags, const struct iommu_user_data___isc *ud,
					struct device *dev)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_BIND, hook);
	struct iommu_domain *parent;

	if (!e)
		return 0;
	set_user_data(e, flags, ud);
	set_device(e, dev);
	e->ief |= ISC_IEF_RET;
	if (is_err(ret)) {
		e->ret = (long)ret;
		return submit(e);
	}
	set_domain(e, BPF_CORE_READ(ret, common.domain));
	e->hwpt_id = BPF_CORE_READ(ret, common.obj.id);
	e->ief |= ISC_IEF_HWPT;
	parent = BPF_CORE_READ(ret, parent, common.domain);
	if (parent) {
		e->parent = (__u64)parent;
		e->ief |= ISC_IEF_PARENT;
	}
	return submit(e);
}

SEC("?fexit/iommufd_hwpt_nested_alloc")
int BPF_PROG(hwpt_nested_fexit, void *ictx, struct iommufd_hwpt_paging___isc *parent,
	     struct iommufd_device___isc *idev, __u32 flags,
	     const struct iommu_user_data___isc *ud, struct iommufd_hwpt_nested___isc *ret)
{
	return nested_event(ISC_IH_HWPT_NESTED, ret, flags, ud,
			    idev ? BPF_CORE_READ(idev, dev) : NULL);
}

SEC("?fexit/iommufd_viommu_alloc_hwpt_nested")
int BPF_PROG(viommu_nested_fexit, void *viommu, __u32 flags,
	     const struct iommu_user_data___isc *ud, struct iommufd_hwpt_nested___isc *ret)
{
	return nested_event(ISC_IH_VIOMMU_NESTED, ret, flags, ud, NULL);
}

/*
 * Where the nested allocators are inlined (gcc does, both have one caller):
 * IOMMU_HWPT_ALLOC's handler, for HWPTs with driver data (a user page-table
 * format). The new nested HWPT's domain and parent are taken from its
 * iommufd_object_finalize(), which the handler calls just before returning.
 */
struct nested_seen {
	__u64 domain;
	__u64 parent;
	__u32 id;
	__u32 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct nested_seen);
} nested_seen SEC(".maps");

SEC("?fentry/iommufd_object_finalize")
int BPF_PROG(hwpt_finalize_fentry, void *ictx, struct iommufd_object___isc *obj)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct iommufd_hwpt_nested___isc *nested;
	struct nested_seen seen = {};

	if (!obj || BPF_CORE_READ(obj, type) !=
			    bpf_core_enum_value(enum iommufd_object_type, IOMMUFD_OBJ_HWPT_NESTED))
		return 0;
	nested = (void *)((char *)obj -
			  bpf_core_field_offset(struct iommufd_hwpt_nested___isc, common.obj));
	seen.id = BPF_CORE_READ(obj, id);
	seen.domain = (__u64)BPF_CORE_READ(nested, common.domain);
	seen.parent = (__u64)BPF_CORE_READ(nested, parent, common.domain);
	bpf_map_update_elem(&nested_seen, &tid, &seen, BPF_ANY);
	return 0;
}

SEC("?fexit/iommufd_hwpt_alloc")
int BPF_PROG(hwpt_alloc_fexit, struct iommufd_ucmd___isc *ucmd, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hwpt_alloc___isc cmd;
	struct isc_iommu_event *e;
	struct nested_seen *seen;

	if (bpf_probe_read_kernel(&cmd, sizeof(cmd), BPF_CORE_READ(ucmd, cmd)))
		return 0;
	seen = bpf_map_lookup_elem(&nested_seen, &tid);
	if (!cmd.data_type) {
		if (seen)
			bpf_map_delete_elem(&nested_seen, &tid);
		return 0;
	}
	e = iommu_event(ISC_IOMMU_BIND, ISC_IH_HWPT_ALLOC);
	if (!e)
		return 0;
	e->flags = cmd.flags;
	e->data_type = cmd.data_type;
	e->data_len = cmd.data_len;
	e->ief |= ISC_IEF_DATA | ISC_IEF_RET;
	e->ret = ret;
	if (!ret) {
		e->hwpt_id = cmd.out_hwpt_id;
		e->ief |= ISC_IEF_HWPT;
	}
	if (seen) {
		if (!ret && seen->id == cmd.out_hwpt_id) {
			/* not inside BPF_CORE_READ: seen is no kernel type */
			struct iommu_domain *d = (struct iommu_domain *)seen->domain;

			set_domain(e, d);
			if (seen->parent) {
				e->parent = seen->parent;
				e->ief |= ISC_IEF_PARENT;
			}
		}
		bpf_map_delete_elem(&nested_seen, &tid);
	}
	if (cmd.flags & 1) {	/* IOMMU_HWPT_FAULT_ID_VALID */
		e->fault_id = cmd.fault_id;
		e->ief |= ISC_IEF_FAULTQ;
	}
	return submit(e);
}

/* IOMMU_HWPT_INVALIDATE: the handler writes the number of entries done over
 * entry_num, so the number asked for is kept from the entry. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} inv_asked SEC(".maps");

SEC("?fentry/iommufd_hwpt_invalidate")
int BPF_PROG(hwpt_invalidate_fentry, struct iommufd_ucmd___isc *ucmd)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hwpt_invalidate___isc cmd;

	if (bpf_probe_read_kernel(&cmd, sizeof(cmd), BPF_CORE_READ(ucmd, cmd)))
		return 0;
	bpf_map_update_elem(&inv_asked, &tid, &cmd.entry_num, BPF_ANY);
	return 0;
}

SEC("?fexit/iommufd_hwpt_invalidate")
int BPF_PROG(hwpt_invalidate_fexit, struct iommufd_ucmd___isc *ucmd, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), *asked;
	struct hwpt_invalidate___isc cmd;
	struct isc_iommu_event *e;

	if (bpf_probe_read_kernel(&cmd, sizeof(cmd), BPF_CORE_READ(ucmd, cmd)))
		return 0;
	e = iommu_event(ISC_IOMMU_INVALIDATE, ISC_IH_HWPT_INVALIDATE);
	if (!e)
		return 0;
	asked = bpf_map_lookup_elem(&inv_asked, &tid);
	if (asked) {
		e->entry_num = *asked;
		bpf_map_delete_elem(&inv_asked, &tid);
	}
	e->hwpt_id = cmd.hwpt_id;
	e->data_type = cmd.data_type;
	e->data_len = cmd.entry_len;
	e->entry_done = cmd.entry_num;
	e->ief |= ISC_IEF_HWPT | ISC_IEF_ENTRIES | ISC_IEF_RET;
	e->ret = ret;
	return submit(e);
}

static __always_inline void set_iopf(struct isc_iommu_event *e, struct iopf_group *group)
{
	struct iommu_attach_handle *handle;
	struct iommu_domain *domain;
	__u32 flags;

	e->iova = BPF_CORE_READ(group, last_fault.fault.prm.addr);
	flags = BPF_CORE_READ(group, last_fault.fault.prm.flags);
	if (flags & 1) {	/* IOMMU_FAULT_PAGE_REQUEST_PASID_VALID */
		e->pasid = BPF_CORE_READ(group, last_fault.fault.prm.pasid);
		e->ief |= ISC_IEF_PASID;
	}
	if (BPF_CORE_READ(group, last_fault.fault.prm.perm) & 2)	/* PERM_WRITE */
		e->ief |= ISC_IEF_WRITE;
	set_device(e, BPF_CORE_READ(group, fault_param, dev));
	handle = BPF_CORE_READ(group, attach_handle);
	domain = handle ? BPF_CORE_READ(handle, domain) : NULL;
	set_domain(e, domain);
	set_hwpt_of(e, domain);
}

/* A page fault handed to an iommufd fault queue (the HWPT's domain has
 * iommufd's iopf handler): user space reads it from the queue's fd. */
SEC("?fentry/iommufd_fault_iopf_handler")
int BPF_PROG(fault_queue_fentry, struct iopf_group *group)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_FAULT, ISC_IH_FAULT_QUEUE);

	if (!e)
		return 0;
	set_iopf(e, group);
	e->count = BPF_CORE_READ(group, fault_count);
	e->ief |= ISC_IEF_COUNT;
	return submit(e);
}

/* The answer to a page fault group: from user space (a write to the fault
 * queue's fd) or the kernel's own when the queue or handle goes away. */
SEC("?fentry/iopf_group_response")
int BPF_PROG(fault_response_fentry, struct iopf_group *group, int status)
{
	struct isc_iommu_event *e = iommu_event(ISC_IOMMU_FAULT_RESPONSE, ISC_IH_FAULT_RESPONSE);

	if (!e)
		return 0;
	set_iopf(e, group);
	e->code = status;
	e->cookie = BPF_CORE_READ(group, cookie);
	e->ief |= ISC_IEF_RESPONSE;
	return submit(e);
}

/* ---- map / unmap volume ---- */

/*
 * Counted per process and ioctl, and only while the thread is inside a
 * VFIO/iommufd ioctl: that is the call that caused the mapping. Added up in
 * the thread's slot; the call's exit writes the sum to map_stats once
 * (inflight.bpf.h). The DMA API's own mappings (every other device's
 * traffic) fall outside and cost the slot lookup.
 */
static __always_inline void count_map(bool map, __u64 bytes)
{
	struct isc_inflight *s = inflight_live_slot((__u32)bpf_get_current_pid_tgid());

	if (!s)
		return;
	if (map) {
		s->vol.map_calls++;
		s->vol.map_bytes += bytes;
	} else {
		s->vol.unmap_calls++;
		s->vol.unmap_bytes += bytes;
	}
}

SEC("?tp_btf/map")
int BPF_PROG(iommu_map_tp, unsigned long iova, __u64 paddr, __u64 size)
{
	count_map(true, size);
	return 0;
}

SEC("?tp_btf/unmap")
int BPF_PROG(iommu_unmap_tp, unsigned long iova, __u64 size, __u64 unmapped_size)
{
	count_map(false, unmapped_size);
	return 0;
}

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
#include "common.bpf.h"

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct isc_map_key);
	__type(value, struct isc_map_stats);
} map_stats SEC(".maps");

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
	if (inflight_calls()) {
		in = bpf_map_lookup_elem(&inflight, &tid);
		if (in) {
			e->in_cmd = in->cmd;
			e->in_kind = in->fd_kind;
		}
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

/* ---- map / unmap volume ---- */

/*
 * Counted per process and ioctl, and only while the thread is inside a
 * VFIO/iommufd ioctl: that is the call that caused the mapping. The DMA
 * API's own mappings (every other device's traffic) fall outside and cost
 * one inlined array lookup.
 */
static __always_inline void count_map(bool map, __u64 bytes)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct isc_map_stats *st, zero = {};
	struct isc_ioctl_event *in;
	struct isc_map_key key = {};

	if (!inflight_calls())
		return;
	in = bpf_map_lookup_elem(&inflight, &tid);
	if (!in)
		return;
	key.tgid = pid_tgid >> 32;
	key.cmd = in->cmd;
	key.fd_kind = in->fd_kind;
	st = bpf_map_lookup_elem(&map_stats, &key);
	if (!st) {
		bpf_get_current_comm(zero.comm, sizeof(zero.comm));
		bpf_map_update_elem(&map_stats, &key, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&map_stats, &key);
		if (!st)
			return;
	}
	if (map) {
		st->map_calls++;
		st->map_bytes += bytes;
	} else {
		st->unmap_calls++;
		st->unmap_bytes += bytes;
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

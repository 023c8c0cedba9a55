// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: the floor. Empty programs on the hooks iommuscope uses, so
 * the benchmark can tell what attaching anything at all costs from what
 * iommuscope's programs add. tests/bench/floor.c enables one set:
 *
 *  tp:   syscalls:sys_enter_ioctl + sys_exit_ioctl (tracepoint mode);
 *  full: fentry/fexit on the VFIO fops ioctl handlers and the IOMMU-core
 *        hooks that fire inside MAP/UNMAP_DMA (iommu:map, iommu:unmap,
 *        intel_iommu_tlb_sync), as full mode attaches them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("?tp/syscalls/sys_enter_ioctl")
int tp_enter(void *ctx)
{
	return 0;
}

SEC("?tp/syscalls/sys_exit_ioctl")
int tp_exit(void *ctx)
{
	return 0;
}

#define EMPTY(sec, name)	\
SEC("?" sec)			\
int BPF_PROG(name)		\
{				\
	return 0;		\
}

EMPTY("fentry/vfio_fops_unl_ioctl", container_fentry)
EMPTY("fexit/vfio_fops_unl_ioctl", container_fexit)
EMPTY("fentry/vfio_group_fops_unl_ioctl", group_fentry)
EMPTY("fexit/vfio_group_fops_unl_ioctl", group_fexit)
EMPTY("fentry/vfio_device_fops_unl_ioctl", device_fentry)
EMPTY("fexit/vfio_device_fops_unl_ioctl", device_fexit)
EMPTY("tp_btf/map", map_tp)
EMPTY("tp_btf/unmap", unmap_tp)
EMPTY("fentry/intel_iommu_tlb_sync", tlb_sync_fentry)

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the trace has learnt about IOMMU domains: which group and device
 * each user-owned domain was bound to, and by which process. Used to name
 * the device and owner of invalidations and faults, which the kernel reports
 * without them.
 */
#ifndef ISC_IOMMU_STATE_H
#define ISC_IOMMU_STATE_H

#include "decode.h"

#define ISC_MAX_BINDS 64

struct isc_bind {
	uint64_t domain;
	int group;
	char device[ISC_DEV_NAME_LEN];
	uint32_t pid;
	char comm[ISC_COMM_LEN];
};

struct isc_iommu_state {
	int nr;
	struct isc_bind binds[ISC_MAX_BINDS];
};

/* Learn from a bind/unbind, then fill in what v lacks. */
void iommu_state__update(struct isc_iommu_state *st, struct isc_iommu_view *v);
/* The IOMMU group of a PCI device from sysfs, or -1. */
int iommu_state__device_group(const char *device);

#endif /* ISC_IOMMU_STATE_H */

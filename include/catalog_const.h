/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named constants of include/catalog.def, for code that tests for one
 * ioctl or one flag (BPF and user space alike): the numbers stay written
 * only in the catalog, whose rows are checked against the kernel headers.
 *
 *   ISC_CMD(VFIO_DEVICE_FEATURE)                          0x3b75
 *   ISC_FLAG_VALUE(VFIO_DEVICE_SET_IRQS, VFIO_IRQ_SET_DATA_BOOL)   0x2
 */
#ifndef ISC_CATALOG_CONST_H
#define ISC_CATALOG_CONST_H

#include "events.h"

/* ISC_NR_<ioctl>: the ioctl's nr (the low byte of its command) */
enum isc_ioctl_nr {
#define ISC_IOCTL(name, nr, ...) ISC_NR_##name = (nr),
#include "catalog.def"
};

/* ISC_FV_<ioctl>__<header macro>: a flag's value */
enum isc_flag_value {
#define ISC_FLAG(ioc, macro, sname, val, ...) ISC_FV_##ioc##__##macro = (val),
#include "catalog.def"
};

#define ISC_CMD(name)			(ISC_IOCTL_TYPE_VFIO | ISC_NR_##name)
#define ISC_FLAG_VALUE(ioc, macro)	((__u32)ISC_FV_##ioc##__##macro)

/* iommufd's own commands start at IOMMUFD_CMD_BASE, which is its first
 * command, IOMMU_DESTROY; the VFIO ones are below. */
#define ISC_IOMMUFD_CMD_BASE		ISC_CMD(IOMMU_DESTROY)
#define ISC_CMD_IS_IOMMUFD(cmd)		((cmd) >= ISC_IOMMUFD_CMD_BASE)

#endif /* ISC_CATALOG_CONST_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named constants of include/catalog.def, for code that tests for one
 * ioctl or one flag (BPF and user space alike): the numbers stay written
 * only in the catalog, whose rows are checked against the kernel headers.
 * Enumerators rather than function-like macros (cppcheck's preprocessor
 * expands no nested calls of those under make lint's options).
 *
 *   ISC_CMD_VFIO_DEVICE_FEATURE                                0x3b75
 *   ISC_FV_VFIO_DEVICE_SET_IRQS__VFIO_IRQ_SET_DATA_BOOL        0x2
 */
#ifndef ISC_CATALOG_CONST_H
#define ISC_CATALOG_CONST_H

#include "events.h"

/* ISC_CMD_<ioctl>: the ioctl's command, 0x3B00 | its nr */
enum isc_ioctl_cmd {
#define ISC_IOCTL(name, nr, ...) ISC_CMD_##name = ISC_IOCTL_TYPE_VFIO | (nr),
#include "catalog.def"
};

/* ISC_FV_<ioctl>__<header macro>: the value of one of its flags */
enum isc_flag_value {
#define ISC_FLAG(ioc, macro, sname, val, ...) ISC_FV_##ioc##__##macro = (val),
#include "catalog.def"
};

/* iommufd's own commands start at IOMMUFD_CMD_BASE, which is its first
 * command, IOMMU_DESTROY; the VFIO ones are below. */
#define ISC_IOMMUFD_CMD_BASE		ISC_CMD_IOMMU_DESTROY
#define ISC_CMD_IS_IOMMUFD(cmd)		((__u32)(cmd) >= ISC_IOMMUFD_CMD_BASE)

#endif /* ISC_CATALOG_CONST_H */

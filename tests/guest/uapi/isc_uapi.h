/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctls of /dev/isc_uapi (tests/guest/uapi/isc_uapi.c), shared with
 * tests/workload/uapi_client.c. Test-only: each passes the caller's buffer
 * to one 5.10 IOMMU UAPI function for the edu device (1234:11e8) and its
 * current domain, and returns what that function returned.
 */
#ifndef ISC_UAPI_TEST_H
#define ISC_UAPI_TEST_H

#include <linux/ioctl.h>

#define ISC_UAPI_MAGIC		'I'
/* arg: user pointer to a struct iommu_cache_invalidate_info, passed as is */
#define ISC_UAPI_CACHE_INV	_IO(ISC_UAPI_MAGIC, 1)
/* arg: user pointer to a struct iommu_gpasid_bind_data, passed as is */
#define ISC_UAPI_BIND_GPASID	_IO(ISC_UAPI_MAGIC, 2)
/* arg: user pointer to a struct iommu_page_response (24 bytes on 5.10),
 * copied into the kernel and passed to iommu_page_response() */
#define ISC_UAPI_PAGE_RESP	_IO(ISC_UAPI_MAGIC, 3)

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The catalog as BPF maps see it (struct isc_cat_entry in events.h). */
#ifndef ISC_CATALOG_MAP_H
#define ISC_CATALOG_MAP_H

#include "abi.h"

/* What the running kernel (a) makes of d on an fd of this kind. */
void catalog_map__entry(const struct isc_ioctl_desc *d, const struct isc_abi *a,
			enum isc_fd_kind kind, struct isc_cat_entry *e);
/* Fill a BPF array (ISC_CAT_IDX -> struct isc_cat_entry, ISC_CATF_KNOWN
 * set) with every command on every fd kind it is valid on. Returns entries
 * written or -errno. */
int catalog_map__fill(int map_fd, const struct isc_abi *a);
/* Fill a BPF array (feature index -> ISC_FEATF_KNOWN | ops) with the
 * VFIO_DEVICE_FEATURE sub-features this kernel has. 0 or -errno. */
int catalog_map__fill_features(int map_fd, const struct isc_abi *a);

#endif /* ISC_CATALOG_MAP_H */

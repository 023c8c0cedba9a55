/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel understands of the VFIO/iommufd UAPI: its version,
 * the size of each catalog struct from BTF (vmlinux and the vfio/iommufd
 * modules), and what a VFIO container answers to VFIO_CHECK_EXTENSION.
 */
#ifndef ISC_ABI_H
#define ISC_ABI_H

#include <stdbool.h>
#include <stdint.h>
#include "catalog.h"

#define ISC_MAX_EXT 16

enum isc_size_src {
	ISC_SIZE_UNKNOWN,	/* no BTF for it, no catalog history either */
	ISC_SIZE_BTF,		/* from the running kernel's BTF */
	ISC_SIZE_CATALOG,	/* from the catalog's history for this version */
};

struct isc_abi {
	uint16_t version;	/* ISC_VERSION(major, minor) of the running kernel */
	uint8_t backend;	/* who serves /dev/vfio/vfio: enum isc_backend
				 * (kernel.h), 0 unknown */
	bool ext_known;		/* a container answered CHECK_EXTENSION */
	int8_t ext[ISC_MAX_EXT];	/* answer per extension id, -1 unknown */
	size_t nr;
	uint32_t *size;		/* per catalog ioctl: kernel struct size, 0 unknown */
	uint8_t *size_src;	/* enum isc_size_src */
};

/* "6.12" from ISC_VERSION(6, 12). Returns buf. */
char *abi__version_str(uint16_t version, char *buf, size_t len);
/* Parse "6.12.95+deb12-amd64" and the like. 0 if unparsable. */
uint16_t abi__parse_release(const char *release);
/* Learn everything; never fails, unknowns stay unknown. ext_probe: open
 * /dev/vfio/vfio and ask CHECK_EXTENSION. */
int abi__learn(struct isc_abi *a, const char *release, bool ext_probe);
void abi__free(struct isc_abi *a);
/* The struct size the catalog says a kernel of this version has, 0 if
 * the ioctl did not exist yet. */
uint32_t abi__catalog_size(const struct isc_ioctl_desc *d, uint16_t version);
/* The kernel's size of d's struct (BTF first, else catalog history). */
uint32_t abi__size(const struct isc_abi *a, const struct isc_ioctl_desc *d);
const char *abi__size_src_name(enum isc_size_src s);
/* Does a kernel of a's version have VFIO_DEVICE_FEATURE sub-feature f?
 * From the catalog's release of f; a row not verified (since 0) or an
 * unknown kernel version: yes. */
bool abi__has_feature(const struct isc_abi *a, const struct isc_feature_desc *f);
/* The catalog's name of extension id ("TYPE1v2"), NULL if none. */
const char *abi__ext_name(int id);
/* The id of an extension by its catalog name, -1 if unknown. */
int abi__ext_by_name(const char *name);
/* What a probe file says of its host besides the ABI. */
struct isc_probe_host {
	char backend[16];	/* "vfio", "iommufd", "none"; "?" if not said */
	char hostname[256];	/* "" in probes older than the field */
};

/* Load the ABI of another host from its 'iommuscope probe --json' output. */
int abi__from_probe_file(struct isc_abi *a, const char *path, struct isc_probe_host *ph);
int abi__from_probe_buf(struct isc_abi *a, const char *buf, const char *name,
			struct isc_probe_host *ph);
/* A host name as a probe may carry one: dot-separated RFC 1123 labels of
 * 1-63 letters, digits, '-' and '_' (as systemd allows), each beginning and
 * ending with a letter or digit; at most 253 bytes. */
bool abi__hostname_ok(const char *s);

#endif /* ISC_ABI_H */

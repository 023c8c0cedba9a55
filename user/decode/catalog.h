/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types of the UAPI catalog (the rows themselves are in catalog.def).
 * User space only: the BPF side filters by ioctl type and fd kind and leaves
 * naming and decoding to the loader.
 */
#ifndef ISC_CATALOG_H
#define ISC_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "events.h"

#define ISC_K(kind)		(1u << (kind))
#define ISC_K_CONTAINER		ISC_K(ISC_FD_CONTAINER)
#define ISC_K_COMPAT		ISC_K(ISC_FD_COMPAT)
#define ISC_K_GROUP		ISC_K(ISC_FD_GROUP)
#define ISC_K_DEVICE		ISC_K(ISC_FD_DEVICE)
#define ISC_K_IOMMUFD		ISC_K(ISC_FD_IOMMUFD)
#define ISC_K_SPAPR		ISC_K(ISC_FD_SPAPR)
#define ISC_K_MIG		ISC_K(ISC_FD_MIG)
/* The VFIO container ioctls: type1 container, the iommufd-served
 * /dev/vfio/vfio, and /dev/iommu itself (nr < 0x80 falls through to
 * iommufd_vfio_ioctl). */
#define ISC_K_CONTAINERS	(ISC_K_CONTAINER | ISC_K_COMPAT | ISC_K_IOMMUFD)
/* iommufd's own ioctls: iommufd_fops serves them on /dev/iommu and, with
 * IOMMUFD_VFIO_CONTAINER, on the compat node /dev/vfio/vfio too */
#define ISC_K_IOMMUFD_FOPS	(ISC_K_IOMMUFD | ISC_K_COMPAT)

/* How the third ioctl argument is used. */
enum isc_arg_kind {
	ISC_ARG_NONE,		/* ignored */
	ISC_ARG_VALUE,		/* an integer by value */
	ISC_ARG_STRUCT,		/* pointer to a struct led by argsz/size */
	ISC_ARG_INT_PTR,	/* int __user * */
	ISC_ARG_STR_PTR,	/* char __user * */
	ISC_ARG_U32_PTR,	/* __u32 __user * */
};

#define ISC_VERSION(maj, min)	(((maj) << 8) | (min))

struct isc_flag_desc {
	uint32_t value;
	const char *name;	/* short name, e.g. "READ" */
	uint16_t since;		/* ISC_VERSION */
};

struct isc_field_desc {
	const char *key;	/* JSON key */
	uint8_t offset;
	uint8_t width;		/* 1, 2, 4 or 8 */
	uint8_t shift;
	uint64_t mask;		/* applied after the shift; 0 = all */
};

struct isc_size_desc {
	uint32_t size;
	uint16_t since;
};

struct isc_cap_desc {
	uint16_t id;
	const char *name;
	uint16_t since;
};

enum isc_flags_role {
	ISC_FR_OUT = 1,		/* outputs; input ignored */
	ISC_FR_INDEX,		/* mask is an index, not flags */
	ISC_FR_ONE_OF,		/* exactly one bit of mask */
};

struct isc_role_desc {
	enum isc_flags_role role;
	uint32_t mask;
};

struct isc_kind_flags_desc {
	enum isc_fd_kind kind;
	uint32_t mask;		/* the only flags this backend accepts */
};

struct isc_caps_desc {
	uint8_t cap_offset_off;	/* where cap_offset is in the reply */
	uint32_t caps_flag;	/* the output flag saying a chain is present */
};

/* enum isc_payload_kind: include/events.h (the BPF side reads it too) */
struct isc_payload_desc {
	enum isc_payload_kind kind;
	uint32_t a, b;
};

struct isc_ioctl_desc {
	const char *name;
	uint32_t cmd;
	uint32_t kinds;		/* ISC_K_* */
	enum isc_arg_kind arg;
	const char *struct_name;	/* NULL if none */
	uint32_t size;		/* current sizeof */
	uint32_t minsz;		/* smallest argsz/size the kernel accepts */
	int32_t flags_off;	/* -1: no flags word */
	uint8_t reply;		/* kernel writes the struct back */
	uint16_t since;
	uint16_t size_since;
	const struct isc_flag_desc *flags;
	size_t nr_flags;
	const struct isc_field_desc *fields;
	size_t nr_fields;
	const struct isc_size_desc *sizes;	/* history; none: one size since "since" */
	size_t nr_sizes;
	const struct isc_cap_desc *caps;
	size_t nr_caps;
	const struct isc_role_desc *roles;
	size_t nr_roles;
	const struct isc_kind_flags_desc *kind_flags;
	size_t nr_kind_flags;
	const struct isc_caps_desc *caps_at;	/* NULL: no capability chain */
	const struct isc_payload_desc *payload;	/* NULL: fixed size */
};

struct isc_feature_desc {
	uint16_t index;
	const char *name;
	uint32_t ops;		/* VFIO_DEVICE_FEATURE_GET/SET bits it supports */
	uint16_t since;		/* 0: not verified, not judged */
};

/* A VFIO_CHECK_EXTENSION / VFIO_SET_IOMMU id. */
struct isc_ext_desc {
	int id;
	const char *name;	/* "TYPE1v2" */
	uint16_t since;		/* 0: older than every header checked */
	uint16_t until;		/* 0: still defined */
};

/* One layout of a 5.x IOMMU UAPI struct (include/catalog.def ISC_UAPI). */
struct isc_uapi_desc {
	int hook;		/* enum isc_iommu_hook that receives it */
	const char *struct_name;
	uint32_t minsz, size;
	uint16_t since, until;	/* [since, until) */
	bool argsz;		/* the layout leads with argsz */
};

/* The layout a kernel of this version expects for the struct the hook
 * receives, or NULL (not in that kernel). */
const struct isc_uapi_desc *catalog__uapi(int hook, uint16_t version);

/* An extension id by id or by name, or NULL. */
const struct isc_ext_desc *catalog__ext(int id);
const struct isc_ext_desc *catalog__ext_by_name(const char *name);

/* The newest uapi header release the catalog was checked against
 * (ISC_HEADERS, as ISC_VERSION). */
uint16_t catalog__headers_checked(void);
/* A kernel of this version (ISC_VERSION) is newer than those headers. */
bool catalog__kernel_newer(uint16_t version);

/* A VFIO_DEVICE_FEATURE sub-feature by index, or NULL. */
const struct isc_feature_desc *catalog__feature(uint16_t index);

/* The whole catalog, in catalog.def order. */
const struct isc_ioctl_desc *catalog__ioctls(size_t *nr);
/* The ioctl a cmd means on an fd of the given kind, or NULL. */
const struct isc_ioctl_desc *catalog__lookup(uint32_t cmd, enum isc_fd_kind kind);
const struct isc_ioctl_desc *catalog__by_name(const char *name);
const char *catalog__kind_name(enum isc_fd_kind kind);
/* Mask of all flag bits the catalog defines for an ioctl. */
uint32_t catalog__flags_mask(const struct isc_ioctl_desc *d);
/* The flag bits a kernel of this version (0: any) accepts for d on an fd of
 * this kind (iommufd serving the container accepts fewer). */
uint32_t catalog__allowed_flags(const struct isc_ioctl_desc *d, uint16_t version,
				enum isc_fd_kind kind);
/* The nth role of this type d's flags word has, or NULL. */
const struct isc_role_desc *catalog__role(const struct isc_ioctl_desc *d,
					  enum isc_flags_role r, size_t nth);
/* "READ|WRITE|0x80" into buf; returns buf. */
char *catalog__flags_str(const struct isc_ioctl_desc *d, uint32_t flags, char *buf, size_t len);
/* Read a key field from a captured struct head. Returns 0 and sets *val,
 * or -1 when the head is too short for the field. */
int catalog__field(const struct isc_field_desc *f, const uint8_t *head, size_t len, uint64_t *val);

/* Check the catalog's invariants; prints each problem to stderr and
 * returns how many there were. */
int catalog__check(void);

#endif /* ISC_CATALOG_H */

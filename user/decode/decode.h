/* SPDX-License-Identifier: GPL-2.0 */
/* Validate ring-buffer records and decode them with the catalog. */
#ifndef ISC_DECODE_H
#define ISC_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "catalog.h"
#include "events.h"
#include "policy.h"
#include "vm.h"

#define ISC_MAX_FIELDS 8

struct isc_ioctl_view {
	struct isc_ioctl_event ev;	/* a validated copy */
	const struct isc_ioctl_desc *desc;	/* NULL: not in the catalog */
	bool has_device;		/* ev.dev: a device fd's device (else
					 * name "", group -1) */
	bool has_argsz;
	uint32_t argsz;
	bool has_flags;
	uint32_t flags;
	bool has_argsz_out;		/* reply ioctl, read back at exit */
	uint32_t argsz_out;
	bool has_flags_out;		/* reply with a capability chain */
	uint32_t flags_out;
	bool caps_walked;		/* the chain was read */
	const char *caps_error;		/* "loop or out of range", "too long" */
	int nr_caps;
	uint16_t cap_id[ISC_MAX_CAPS];
	uint16_t cap_version[ISC_MAX_CAPS];
	const char *cap_name[ISC_MAX_CAPS];	/* NULL: not in the catalog */
	bool has_value;			/* by-value or pointed-to scalar */
	const char *value_key;		/* "arg", "container_fd", ... */
	int64_t value;
	char str[ISC_ARG_HEAD];		/* char * argument, secrets redacted */
	int nr_fields;
	const char *field_keys[ISC_MAX_FIELDS];
	uint64_t field_vals[ISC_MAX_FIELDS];
	struct isc_vm vm;		/* the caller's VM (session.c); none offline */
};

struct isc_iommu_view {
	struct isc_iommu_event ev;	/* a validated copy */
	const char *op;			/* "bind", "unbind", "invalidate", "fault" */
	const char *hook;		/* the kernel function */
	const struct isc_ioctl_desc *in_ioctl;	/* the ioctl it happened inside */
	char device[ISC_DEV_NAME_LEN];	/* PCI name, "" if not known */
	int group;			/* -1 if not known */
	uint32_t owner_pid;		/* process that bound the group, 0 if unknown */
	char owner_comm[ISC_COMM_LEN];
	struct isc_vm vm;		/* the caller's VM (session.c); none offline */
};

struct isc_deny_view {
	struct isc_deny_event ev;	/* a validated copy */
	const struct isc_ioctl_desc *desc;	/* NULL: not in the catalog */
	bool has_device;		/* ev.dev, as for an ioctl */
	bool race;			/* a flags-changed-after-check alert */
	struct isc_vm vm;		/* the caller's VM (session.c); none offline */
};

enum isc_decode_err {
	ISC_DEC_OK = 0,
	ISC_DEC_SHORT = -1,	/* record shorter than its header says */
	ISC_DEC_TYPE = -2,	/* unknown record type */
	ISC_DEC_VERSION = -3,	/* record layout version mismatch */
	ISC_DEC_BAD = -4,	/* a field out of range */
};

/* Record type of a raw record, or <0 (enum isc_decode_err) if it has no
 * valid header. */
int decode__type(const void *data, size_t size);
int decode__ioctl(const void *data, size_t size, struct isc_ioctl_view *v);
/* Validates and names; device from the record or the VT-d source id. The
 * owner and a missing group are filled in by iommu_state.c. */
int decode__iommu(const void *data, size_t size, struct isc_iommu_view *v);
/* An enforce record: a denial or a race alert. */
int decode__deny(const void *data, size_t size, struct isc_deny_view *v);
const char *decode__strerr(int err);

#endif /* ISC_DECODE_H */

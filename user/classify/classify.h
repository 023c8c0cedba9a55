/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compatibility classes of a call: what the struct size and flags say about
 * the headers the caller was built against, judged by what the running
 * kernel understands (user/load/abi.c) and the catalog's rules.
 */
#ifndef ISC_CLASSIFY_H
#define ISC_CLASSIFY_H

#include "abi.h"
#include "decode.h"

enum isc_class {		/* include/classes.def, every row */
#define ISC_CLASS_BPF(id, name) ISC_CLS_##id,
#define ISC_CLASS(id, name) ISC_CLS_##id,
#include "classes.def"
	ISC_CLS_MAX,
};

#define ISC_CLS(c) (1u << (c))

struct isc_verdict {
	uint32_t classes;	/* ISC_CLS() bits; 0: ok */
	uint32_t kernel_size;	/* 0: unknown */
	uint32_t bad_bits;	/* unknown-flags: the offending bits */
	uint32_t need;		/* caps-truncated: the argsz the kernel asked for */
	char explain[320];	/* one line */
	char built_against[64];	/* "Linux >= 5.10", "Linux 5.4-6.4", "" */
};

const char *classify__name(enum isc_class c);
/* "ok" or the first class's name. */
const char *classify__primary(uint32_t classes);
/* The classes of one call, from the call alone. */
void classify__ioctl(const struct isc_abi *a, const struct isc_ioctl_view *v,
		     struct isc_verdict *out);
/* A 5.x IOMMU UAPI record: bad-version, and its argsz against the layout
 * of this kernel's release (truncated, older-struct, newer-struct). */
void classify__iommu(const struct isc_abi *a, const struct isc_iommu_view *v,
		     struct isc_verdict *out);

/*
 * caps-truncated needs what the thread does next: an INFO reply that asked
 * for more room is pending until the same call comes again with enough
 * argsz (fine) or the thread issues another call (caps-truncated).
 */
#define ISC_CAPS_PENDING 256

struct isc_caps_pending {
	uint32_t tid;
	struct isc_ioctl_view call;
};

struct isc_caps_tracker {
	int nr;
	struct isc_caps_pending p[ISC_CAPS_PENDING];
};

/* Feed every call. If a pending INFO call is now known to be
 * caps-truncated, it is copied to *late and 1 is returned. */
int classify__track(struct isc_caps_tracker *t, const struct isc_ioctl_view *v,
		    struct isc_ioctl_view *late);
/* At the end: the next still-pending call, as caps-truncated. 0 when none. */
int classify__flush(struct isc_caps_tracker *t, struct isc_ioctl_view *late);
/* The verdict for a call the tracker returned. */
void classify__caps_truncated(const struct isc_ioctl_view *v, struct isc_verdict *out);

#endif /* ISC_CLASSIFY_H */

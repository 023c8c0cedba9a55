/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file "iommuscope trace -w" writes and "trace -r" reads (like tcpdump's
 * -w/-r): the records exactly as the kernel wrote them to the ring buffer,
 * after a header that says how to read them back elsewhere: the event
 * layout version, the clock offset for wall-clock times, and what the
 * recording host's kernel understood (struct isc_abi), so a replay judges
 * each call against the kernel it was made on.
 *
 * Layout (host byte order, x86_64): struct isc_raw_header; abi_nr __u32
 * struct sizes, then abi_nr __u8 size sources (struct isc_abi, in catalog
 * order); then records, each starting with struct isc_event_hdr whose size
 * says how long it is: the kernel's, and struct isc_raw_abi where what the
 * kernel understands changed during the capture (VFIO or iommufd modules
 * loaded or unloaded): the records after it are judged by it.
 */
#ifndef ISC_TRACEFILE_H
#define ISC_TRACEFILE_H

#include <linux/types.h>

#define ISC_RAW_MAGIC	"ISCTRACE"	/* 8 bytes, no NUL */
#define ISC_RAW_VERSION	1

struct isc_raw_header {
	char magic[8];
	__u32 version;		/* ISC_RAW_VERSION */
	__u32 event_version;	/* ISC_EVENT_VERSION of the records */
	__s64 mono_to_real_ns;	/* add to hdr.ts_ns for wall-clock time */
	__u32 catalog_hash;	/* FNV-1a of the catalog's (name, cmd) list:
				 * the ABI arrays are in its order */
	__u32 abi_nr;		/* catalog ioctls: entries in the arrays below */
	__u16 abi_version;	/* struct isc_abi */
	__u8 abi_backend;
	__u8 abi_ext_known;
	__s8 abi_ext[16];
	char release[65];	/* uname -r of the recording host */
	char mode[11];		/* "full" or "tracepoint" */
};

/* isc_event_hdr.type of an in-stream ABI record (never a kernel type) */
#define ISC_RAW_EV_ABI	0x7f00

struct isc_raw_abi {
	struct isc_event_hdr hdr;	/* ISC_RAW_EV_ABI, size: all of it */
	__u16 abi_version;
	__u8 abi_backend;
	__u8 abi_ext_known;
	__s8 abi_ext[16];
	__u32 abi_nr;		/* the header's: the catalog does not change */
	/* then abi_nr __u32 struct sizes, abi_nr __u8 size sources */
};

#endif /* ISC_TRACEFILE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The audit log: compatibility mismatches aggregated per executable and
 * kind of mismatch, written once when first seen and again (with the count)
 * when repeats accumulate, rotated by size, optionally copied to syslog.
 */
#ifndef ISC_AUDITLOG_H
#define ISC_AUDITLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "classify.h"
#include "vm.h"

struct isc_auditlog;

struct isc_auditlog_opts {
	const char *path;	/* NULL: stdout */
	bool json;
	bool syslog;
	uint64_t max_bytes;	/* rotate above this (0: never) */
	int rotate;		/* rotated files kept */
};

/* NULL with a message printed if the log cannot be opened. */
struct isc_auditlog *auditlog__open(const struct isc_auditlog_opts *o);
/* A call (any class; ok calls are only counted). late: a verdict reached
 * after the call (caps-truncated), whose call was counted already. */
void auditlog__ioctl(struct isc_auditlog *l, const struct isc_ioctl_view *v,
		     const struct isc_verdict *cls, bool late);
/* A 5.x IOMMU UAPI record with a bad version. */
void auditlog__iommu(struct isc_auditlog *l, const struct isc_iommu_view *v,
		     const struct isc_verdict *cls);
/* Write the repeats counted since the last flush. */
void auditlog__flush(struct isc_auditlog *l);
/* Per-executable table of calls and mismatches by class. */
void auditlog__summary(struct isc_auditlog *l, FILE *f);
/* Records written; entries whose write is still owed (disk full). */
uint64_t auditlog__written(const struct isc_auditlog *l);
/* Entries forgotten to keep the table bounded. */
uint64_t auditlog__evicted(const struct isc_auditlog *l);
int auditlog__owed(const struct isc_auditlog *l);
void auditlog__close(struct isc_auditlog *l);

#endif /* ISC_AUDITLOG_H */

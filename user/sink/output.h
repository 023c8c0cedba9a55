/* SPDX-License-Identifier: GPL-2.0 */
/* Sinks: one line of text or one JSON object per record. */
#ifndef ISC_OUTPUT_H
#define ISC_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "classify.h"
#include "decode.h"
#include "jsonw.h"

struct isc_output {
	bool json;
	FILE *f;
	int64_t mono_to_real_ns;	/* add to a kernel timestamp for wall time */
	bool header_done;
	struct isc_jw w;		/* the record being written */
};

struct isc_summary {
	const char *mode;
	uint64_t events;	/* records printed */
	uint64_t drops;		/* lost in the kernel (ring buffer full) */
	uint64_t invalid;	/* rejected by the decoder */
	uint64_t inflight_full;
	uint64_t duration_ns;
};

void output__init(struct isc_output *o, bool json, FILE *f);
/* One call; cls may be NULL (not classified). */
void output__ioctl(struct isc_output *o, const struct isc_ioctl_view *v,
		   const struct isc_verdict *cls);
/* A verdict reached after the call was printed (caps-truncated). */
void output__mismatch(struct isc_output *o, const struct isc_ioctl_view *v,
		      const struct isc_verdict *cls);
/* cls: its verdict (the 5.x IOMMU UAPI structs), or NULL. */
void output__iommu(struct isc_output *o, const struct isc_iommu_view *v,
		   const struct isc_verdict *cls);
/* An enforce record; policy names the file rules' lines refer to. */
void output__deny(struct isc_output *o, const struct isc_deny_view *v, const char *policy);
/* Map/unmap totals so far of one process and ioctl. */
void output__map_stats(struct isc_output *o, const struct isc_map_key *k,
		       const struct isc_map_stats *st);
/* A drop notice, when the kernel lost records since the last one. */
void output__drops(struct isc_output *o, uint64_t new_drops, uint64_t total);
void output__summary(struct isc_output *o, const struct isc_summary *s);
const char *output__hook_name(int hook);

#endif /* ISC_OUTPUT_H */

// SPDX-License-Identifier: GPL-2.0
/* trace -w / -r files: the header, and records read back one at a time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "events.h"
#include "kernel.h"
#include "rawfile.h"
#include "util.h"

_Static_assert(sizeof(struct isc_ioctl_event) <= ISC_RAW_MAX_RECORD &&
	       sizeof(struct isc_iommu_event) <= ISC_RAW_MAX_RECORD,
	       "a record must fit the reader's buffer");

static uint32_t catalog_hash(void)
{
	const struct isc_ioctl_desc *ds;
	uint32_t h = 2166136261u;
	size_t nr, i;
	const char *p;

	ds = catalog__ioctls(&nr);
	for (i = 0; i < nr; i++) {
		for (p = ds[i].name; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h = (h ^ ds[i].cmd) * 16777619u;
		h = (h ^ ds[i].kinds) * 16777619u;
	}
	return h;
}

int rawfile__write_header(FILE *f, const struct isc_abi *a, const char *release,
			  const char *mode, int64_t mono_to_real_ns)
{
	struct isc_raw_header h;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, ISC_RAW_MAGIC, sizeof(h.magic));
	h.version = ISC_RAW_VERSION;
	h.event_version = ISC_EVENT_VERSION;
	h.mono_to_real_ns = mono_to_real_ns;
	h.catalog_hash = catalog_hash();
	h.abi_nr = a->nr;
	h.abi_version = a->version;
	h.abi_backend = a->backend;
	h.abi_ext_known = a->ext_known;
	memcpy(h.abi_ext, a->ext, sizeof(h.abi_ext));
	snprintf(h.release, sizeof(h.release), "%s", release);
	snprintf(h.mode, sizeof(h.mode), "%s", mode);
	if (fwrite(&h, sizeof(h), 1, f) != 1 ||
	    fwrite(a->size, sizeof(*a->size), a->nr, f) != a->nr ||
	    fwrite(a->size_src, sizeof(*a->size_src), a->nr, f) != a->nr)
		return -errno;
	return 0;
}

int rawfile__read_header(FILE *f, const char *path, struct isc_raw_header *h,
			 struct isc_abi *a)
{
	size_t nr, i;

	memset(a, 0, sizeof(*a));
	if (fread(h, sizeof(*h), 1, f) != 1) {
		isc_err("%s: %s", path, ferror(f) ? strerror(errno) :
			"too short for an iommuscope trace file (no header)");
		return -1;
	}
	if (memcmp(h->magic, ISC_RAW_MAGIC, sizeof(h->magic))) {
		isc_err("%s: not an iommuscope trace file (written by 'iommuscope trace -w')", path);
		return -1;
	}
	if (h->version != ISC_RAW_VERSION || h->event_version != ISC_EVENT_VERSION) {
		isc_err("%s: file format %u, records version %u; this iommuscope reads %u and %u",
			path, h->version, h->event_version, ISC_RAW_VERSION, ISC_EVENT_VERSION);
		return -1;
	}
	catalog__ioctls(&nr);
	if (h->abi_nr != nr || h->catalog_hash != catalog_hash()) {
		isc_err("%s: recorded by an iommuscope with another ioctl catalog (%u ioctls%s, this one %zu): read it with that version",
			path, h->abi_nr, h->abi_nr == nr ? ", not the same" : "", nr);
		return -1;
	}
	if (h->abi_backend > ISC_BACKEND_IOMMUFD || h->abi_ext_known > 1) {
		isc_err("%s: damaged header (kernel ABI)", path);
		return -1;
	}
	h->release[sizeof(h->release) - 1] = '\0';
	h->mode[sizeof(h->mode) - 1] = '\0';
	a->nr = nr;
	a->version = h->abi_version;
	a->backend = h->abi_backend;
	a->ext_known = h->abi_ext_known;
	memcpy(a->ext, h->abi_ext, sizeof(a->ext));
	a->size = calloc(nr, sizeof(*a->size));
	a->size_src = calloc(nr, sizeof(*a->size_src));
	if (!a->size || !a->size_src) {
		abi__free(a);
		isc_err("out of memory");
		return -1;
	}
	if (fread(a->size, sizeof(*a->size), nr, f) != nr ||
	    fread(a->size_src, sizeof(*a->size_src), nr, f) != nr) {
		abi__free(a);
		isc_err("%s: truncated header (the kernel ABI part)", path);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		if (a->size_src[i] > ISC_SIZE_CATALOG || a->size[i] > 65536) {
			abi__free(a);
			isc_err("%s: damaged header (kernel ABI)", path);
			return -1;
		}
	}
	return 0;
}

long rawfile__next(FILE *f, const char *path, void *buf, uint64_t *offset)
{
	struct isc_event_hdr *hdr = buf;
	const char *why = NULL;
	size_t n;

	n = fread(hdr, 1, sizeof(*hdr), f);
	if (n == 0 && feof(f))
		return 0;
	if (n == sizeof(*hdr) && (hdr->size < sizeof(*hdr) || hdr->size > ISC_RAW_MAX_RECORD))
		why = "malformed";
	else if (n != sizeof(*hdr) ||
		 fread((char *)buf + sizeof(*hdr), 1, hdr->size - sizeof(*hdr), f) !=
			 hdr->size - sizeof(*hdr))
		why = "truncated";
	if (!why) {
		*offset += hdr->size;
		return hdr->size;
	}
	/* what was printed so far comes before the error */
	fflush(stdout);
	if (ferror(f))
		isc_err("%s: %s", path, strerror(errno));
	else
		isc_err("%s: %s record at offset %llu: the file %s there", path, why,
			(unsigned long long)*offset, *why == 't' ? "ends" : "is damaged");
	return -1;
}

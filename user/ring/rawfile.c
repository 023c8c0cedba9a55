// SPDX-License-Identifier: GPL-2.0
/* trace -w / -r files: the header, and records read back one at a time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "events.h"
#include "kernel.h"
#include "rawfile.h"
#include "util.h"

/* tests/guest-modules.bats walks a file with this offset */
_Static_assert(sizeof(struct isc_raw_header) == 128, "the header is 128 bytes");
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

/* Check and take what the kernel understood: the header's or an ABI
 * record's fields and arrays. a->size and a->size_src hold a->nr entries. */
static int abi_load(struct isc_abi *a, __u16 version, __u8 backend, __u8 ext_known,
		    const __s8 *ext, const void *sizes, const void *srcs)
{
	const uint8_t *src = srcs;
	uint32_t size;
	size_t i;

	/* all checked before anything is taken: a damaged one changes nothing */
	if (backend > ISC_BACKEND_IOMMUFD || ext_known > 1)
		return -1;
	for (i = 0; i < a->nr; i++) {
		memcpy(&size, (const char *)sizes + i * sizeof(size), sizeof(size));
		if (src[i] > ISC_SIZE_CATALOG || size > 65536)
			return -1;
	}
	memcpy(a->size, sizes, a->nr * sizeof(*a->size));
	memcpy(a->size_src, srcs, a->nr * sizeof(*a->size_src));
	a->version = version;
	a->backend = backend;
	a->ext_known = ext_known;
	memcpy(a->ext, ext, sizeof(a->ext));
	return 0;
}

uint64_t rawfile__records_at(const struct isc_abi *a)
{
	return sizeof(struct isc_raw_header) + (uint64_t)a->nr * (sizeof(*a->size) +
								   sizeof(*a->size_src));
}

int rawfile__write_abi(FILE *f, const struct isc_abi *a)
{
	struct isc_raw_abi r;
	size_t size = sizeof(r) + a->nr * (sizeof(*a->size) + sizeof(*a->size_src));
	static const char pad[8];
	size_t padded = (size + 7) & ~(size_t)7;

	if (padded > ISC_RAW_MAX_RECORD)
		return -E2BIG;
	memset(&r, 0, sizeof(r));
	r.hdr.type = ISC_RAW_EV_ABI;
	r.hdr.version = ISC_EVENT_VERSION;
	r.hdr.size = padded;
	r.abi_version = a->version;
	r.abi_backend = a->backend;
	r.abi_ext_known = a->ext_known;
	memcpy(r.abi_ext, a->ext, sizeof(r.abi_ext));
	r.abi_nr = a->nr;
	if (fwrite(&r, sizeof(r), 1, f) != 1 ||
	    fwrite(a->size, sizeof(*a->size), a->nr, f) != a->nr ||
	    fwrite(a->size_src, sizeof(*a->size_src), a->nr, f) != a->nr ||
	    fwrite(pad, 1, padded - size, f) != padded - size)
		return -(errno ?: EIO);
	return (int)padded;	/* at most ISC_RAW_MAX_RECORD */
}

int rawfile__apply_abi(const void *buf, size_t n, const char *path, struct isc_abi *a)
{
	const struct isc_raw_abi *r = buf;
	const char *p = (const char *)(r + 1);

	if (n < sizeof(struct isc_event_hdr) || r->hdr.type != ISC_RAW_EV_ABI)
		return 0;
	if (n < sizeof(*r) || r->abi_nr != a->nr ||
	    n < sizeof(*r) + a->nr * (sizeof(*a->size) + sizeof(*a->size_src)) ||
	    abi_load(a, r->abi_version, r->abi_backend, r->abi_ext_known, r->abi_ext, p,
		     p + a->nr * sizeof(*a->size))) {
		fflush(stdout);
		isc_err("%s: damaged kernel ABI record", path);
		return -1;
	}
	return 1;
}

int rawfile__read_header(FILE *f, const char *path, struct isc_raw_header *h,
			 struct isc_abi *a)
{
	void *sizes = NULL, *srcs = NULL;
	size_t nr;

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
	/* records of an older version read as they were (decode.c) */
	if (h->version != ISC_RAW_VERSION || h->event_version < ISC_EVENT_VERSION_MIN ||
	    h->event_version > ISC_EVENT_VERSION) {
		isc_err("%s: file format %u, records version %u; this iommuscope reads %u and %u to %u",
			path, h->version, h->event_version, ISC_RAW_VERSION, ISC_EVENT_VERSION_MIN,
			ISC_EVENT_VERSION);
		return -1;
	}
	catalog__ioctls(&nr);
	if (h->abi_nr != nr || h->catalog_hash != catalog_hash()) {
		isc_err("%s: recorded by an iommuscope with another ioctl catalog (%u ioctls%s, this one %zu): read it with that version",
			path, h->abi_nr, h->abi_nr == nr ? ", not the same" : "", nr);
		return -1;
	}
	h->release[sizeof(h->release) - 1] = '\0';
	h->mode[sizeof(h->mode) - 1] = '\0';
	a->nr = nr;
	a->size = calloc(nr, sizeof(*a->size));
	a->size_src = calloc(nr, sizeof(*a->size_src));
	sizes = calloc(nr, sizeof(*a->size));
	srcs = calloc(nr, sizeof(*a->size_src));
	if (!a->size || !a->size_src || !sizes || !srcs) {
		isc_err("out of memory");
		goto fail;
	}
	if (fread(sizes, sizeof(*a->size), nr, f) != nr ||
	    fread(srcs, sizeof(*a->size_src), nr, f) != nr) {
		isc_err("%s: truncated header (the kernel ABI part)", path);
		goto fail;
	}
	if (abi_load(a, h->abi_version, h->abi_backend, h->abi_ext_known, h->abi_ext, sizes,
		     srcs)) {
		isc_err("%s: damaged header (kernel ABI)", path);
		goto fail;
	}
	free(sizes);
	free(srcs);
	return 0;
fail:
	free(sizes);
	free(srcs);
	abi__free(a);
	return -1;
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

// SPDX-License-Identifier: GPL-2.0
/* The catalog as BPF maps see it: one entry per (command, fd kind). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include "catalog_const.h"
#include "catalog_map.h"

static uint32_t field_offset(const struct isc_ioctl_desc *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nr_fields; i++)
		if (!strcmp(d->fields[i].key, key))
			return d->fields[i].offset;
	return 0;
}

void catalog_map__entry(const struct isc_ioctl_desc *d, const struct isc_abi *a,
			enum isc_fd_kind kind, struct isc_cat_entry *e)
{
	const struct isc_role_desc *r;
	bool iommufd = ISC_CMD_IS_IOMMUFD(d->cmd);
	size_t i;

	memset(e, 0, sizeof(*e));
	e->arg = d->arg;
	e->minsz = d->minsz;
	e->size = abi__size(a, d);
	e->flags_off = d->flags_off >= 0 ? (uint16_t)d->flags_off : ISC_CAT_NO_FLAGS;
	if (d->arg == ISC_ARG_STRUCT)
		e->cflags |= ISC_CATF_SIZED;
	if (d->payload)
		e->cflags |= ISC_CATF_PAYLOAD;
	if (iommufd)
		e->cflags |= ISC_CATF_IOMMUFD;
	if (a->version && d->since > a->version)
		e->cflags |= ISC_CATF_TOO_NEW;
	if (d->caps_at)
		e->cflags |= ISC_CATF_CAPS;
	if (d->payload) {
		e->payload = d->payload->kind;
		e->payload_a = d->payload->a;
		e->payload_b = d->payload->b;
		/* SET_IRQS: the count field; a reply's array is just data */
		if (d->payload->kind == ISC_PL_IRQ_DATA)
			e->payload_a = field_offset(d, "count");
		else if (d->payload->kind == ISC_PL_ARRAY && d->reply)
			e->payload = ISC_PL_TRAILING;
	}
	if (d->flags_off >= 0 && !catalog__role(d, ISC_FR_OUT, 0)) {
		e->cflags |= ISC_CATF_FLAGS_IN;
		e->allowed = catalog__allowed_flags(d, a->version, kind);
		r = catalog__role(d, ISC_FR_INDEX, 0);
		e->index_mask = r ? r->mask : 0;
		for (i = 0; i < 2; i++) {
			r = catalog__role(d, ISC_FR_ONE_OF, i);
			e->one_of[i] = r ? r->mask : 0;
		}
	}
	/* iommufd checks flags first and answers EOPNOTSUPP; VFIO (and
	 * iommufd's own VFIO compat layer) answers EINVAL. */
	e->kernel_errno = iommufd ? EOPNOTSUPP : EINVAL;
}

int catalog_map__fill(int map_fd, const struct isc_abi *a)
{
	const struct isc_ioctl_desc *cat;
	struct isc_cat_entry e;
	size_t nr, i;
	int kind, n = 0;
	__u32 idx;

	cat = catalog__ioctls(&nr);
	for (i = 0; i < nr; i++) {
		for (kind = 1; kind < ISC_FD_KIND_MAX; kind++) {
			if (!(cat[i].kinds & ISC_K(kind)))
				continue;
			/* the array holds 0x3B00 | nr (tests/unit: catalog_array_index) */
			if ((cat[i].cmd & ISC_IOCTL_TYPE_MASK) != ISC_IOCTL_TYPE_VFIO)
				return -EINVAL;
			idx = ISC_CAT_IDX(cat[i].cmd, kind);
			catalog_map__entry(&cat[i], a, kind, &e);
			e.cflags |= ISC_CATF_KNOWN;
			if (bpf_map_update_elem(map_fd, &idx, &e, BPF_ANY))
				return -errno;
			n++;
		}
	}
	return n;
}

int catalog_map__fill_features(int map_fd, const struct isc_abi *a)
{
	const struct isc_feature_desc *f;
	uint32_t i, v;

	for (i = 0; i < ISC_MAX_FEATURES; i++) {
		f = catalog__feature(i);
		v = 0;
		if (f)
			v = ISC_FEATF_CATALOG;
		if (f && abi__has_feature(a, f))
			v |= ISC_FEATF_KNOWN | f->ops;
		if (bpf_map_update_elem(map_fd, &i, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

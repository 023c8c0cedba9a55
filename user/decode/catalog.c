// SPDX-License-Identifier: GPL-2.0
/* Runtime form of include/catalog.def: lookup by (cmd, fd kind), flag and
 * key-field decoding. */
#include <stdio.h>
#include <string.h>
#include "catalog.h"
#include "util.h"

enum isc_ioctl_id {
#define ISC_IOCTL(name, ...) ISC_ID_##name,
#include "catalog.def"
	ISC_ID_MAX,
};

/* Rows of the other kinds, with the ioctl each belongs to in a parallel array
 * so that one ioctl's rows are a contiguous slice. */
static const struct isc_flag_desc flag_descs[] = {
#define ISC_FLAG(ioc, macro, sname, val, maj, min) { (val), (sname), ISC_VERSION(maj, min) },
#include "catalog.def"
};
static const enum isc_ioctl_id flag_ids[] = {
#define ISC_FLAG(ioc, ...) ISC_ID_##ioc,
#include "catalog.def"
};
static const struct isc_field_desc field_descs[] = {
#define ISC_FIELD(ioc, key, member, off, width, mask, shift) { (key), (off), (width), (shift), (mask) },
#include "catalog.def"
};
static const enum isc_ioctl_id field_ids[] = {
#define ISC_FIELD(ioc, ...) ISC_ID_##ioc,
#include "catalog.def"
};
static const struct isc_size_desc size_descs[] = {
#define ISC_SIZE(ioc, size, maj, min) { (size), ISC_VERSION(maj, min) },
#include "catalog.def"
};
static const enum isc_ioctl_id size_ids[] = {
#define ISC_SIZE(ioc, ...) ISC_ID_##ioc,
#include "catalog.def"
};
static const struct isc_cap_desc cap_descs[] = {
#define ISC_CAP(ioc, macro, id, name, maj, min) { (id), (name), ISC_VERSION(maj, min) },
#include "catalog.def"
};
static const enum isc_ioctl_id cap_ids[] = {
#define ISC_CAP(ioc, ...) ISC_ID_##ioc,
#include "catalog.def"
};
static const struct isc_role_desc role_descs[] = {
#define ISC_ROLE(ioc, role, mask) { (role), (mask) },
#include "catalog.def"
};
static const enum isc_ioctl_id role_ids[] = {
#define ISC_ROLE(ioc, ...) ISC_ID_##ioc,
#include "catalog.def"
};
static const struct isc_kind_flags_desc kind_flags_descs[] = {
#define ISC_KIND_FLAGS(ioc, kind, mask) { (kind), (mask) },
#include "catalog.def"
};
static const enum isc_ioctl_id kind_flags_ids[] = {
#define ISC_KIND_FLAGS(ioc, ...) ISC_ID_##ioc,
#include "catalog.def"
};
static const struct isc_feature_desc features[] = {
#define ISC_FEATURE(idx, name, ops, maj, min) { (idx), (name), (ops), ISC_VERSION(maj, min) },
#include "catalog.def"
};

const struct isc_feature_desc *catalog__feature(uint16_t index)
{
	size_t i;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (features[i].index == index)
			return &features[i];
	return NULL;
}

static const struct isc_ext_desc exts[] = {
#define ISC_EXT(id, macro, name, smaj, smin, umaj, umin) \
	{ (id), (name), ISC_VERSION(smaj, smin), ISC_VERSION(umaj, umin) },
#include "catalog.def"
};

const struct isc_ext_desc *catalog__ext(int id)
{
	size_t i;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (exts[i].id == id)
			return &exts[i];
	return NULL;
}

const struct isc_ext_desc *catalog__ext_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcmp(exts[i].name, name))
			return &exts[i];
	return NULL;
}

uint16_t catalog__headers_checked(void)
{
	static const uint16_t v =
#define ISC_HEADERS(maj, min) ISC_VERSION(maj, min)
#include "catalog.def"
		;
	return v;
}

bool catalog__kernel_newer(uint16_t version)
{
	/* 7.3.x is covered by the 7.3 header; 7.4.0 is not */
	return version > catalog__headers_checked();
}

static const struct isc_uapi_desc uapis[] = {
#define ISC_UAPI(hook, tag, minsz, size, smaj, smin, umaj, umin, argsz) \
	{ (hook), "struct " #tag, (minsz), (size), ISC_VERSION(smaj, smin), \
	  ISC_VERSION(umaj, umin), (argsz) },
#include "catalog.def"
};

const struct isc_uapi_desc *catalog__uapi(int hook, uint16_t version)
{
	size_t i;

	for (i = 0; i < sizeof(uapis) / sizeof(uapis[0]); i++)
		if (uapis[i].hook == hook && uapis[i].since <= version && version < uapis[i].until)
			return &uapis[i];
	return NULL;
}

/* At most one row each: stored in the descriptor itself. */
static const struct {
	enum isc_ioctl_id id;
	struct isc_caps_desc caps;
} caps_rows[] = {
#define ISC_CAPS(ioc, off, flag) { ISC_ID_##ioc, { (off), (flag) } },
#include "catalog.def"
};
static const struct {
	enum isc_ioctl_id id;
	struct isc_payload_desc pl;
} payload_rows[] = {
#define ISC_PAYLOAD(ioc, kind, a, b) { ISC_ID_##ioc, { (kind), (a), (b) } },
#include "catalog.def"
};

static struct isc_ioctl_desc ioctls[] = {
#define ISC_IOCTL(n_, nr_, kinds_, arg_, stag_, lastf_, size_, minsz_, foff_, reply_, \
		  smaj_, smin_, zmaj_, zmin_) \
	{ .name = #n_, .cmd = ISC_IOCTL_TYPE_VFIO | (nr_), .kinds = (kinds_), .arg = (arg_), \
	  .size = (size_), .minsz = (minsz_), .flags_off = (foff_), .reply = (reply_), \
	  .since = ISC_VERSION(smaj_, smin_), .size_since = ISC_VERSION(zmaj_, zmin_) },
#include "catalog.def"
};

static const char *struct_names[] = {
#define ISC_IOCTL(name, nr, kinds, arg, stag, ...) #stag,
#include "catalog.def"
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NR_SLOTS 256

/* Direct index: [fd kind][cmd & 0xff]. Built once. */
static const struct isc_ioctl_desc *by_kind[ISC_FD_KIND_MAX][NR_SLOTS];
static int linked;

/* Point ptr/nr at the rows of ioctl i in row##_descs. */
#define SLICE(ptr, nr, row)						\
	for (j = 0; j < ARRAY_SIZE(row##_ids); j++) {			\
		if (row##_ids[j] != i)					\
			continue;					\
		if (!(ptr))						\
			(ptr) = &row##_descs[j];			\
		(nr)++;							\
	}

static void catalog_link(void)
{
	static char struct_buf[ARRAY_SIZE(ioctls)][64];
	size_t i, j;

	if (linked)
		return;
	for (i = 0; i < ARRAY_SIZE(ioctls); i++) {
		struct isc_ioctl_desc *d = &ioctls[i];

		if (strcmp(struct_names[i], "_")) {
			snprintf(struct_buf[i], sizeof(struct_buf[i]), "struct %s",
				 struct_names[i]);
			d->struct_name = struct_buf[i];
		}
		/* Rows of one ioctl are contiguous (catalog__check verifies it). */
		SLICE(d->flags, d->nr_flags, flag);
		SLICE(d->fields, d->nr_fields, field);
		SLICE(d->sizes, d->nr_sizes, size);
		SLICE(d->caps, d->nr_caps, cap);
		SLICE(d->roles, d->nr_roles, role);
		SLICE(d->kind_flags, d->nr_kind_flags, kind_flags);
		for (j = 0; j < ARRAY_SIZE(caps_rows); j++)
			if (caps_rows[j].id == i)
				d->caps_at = &caps_rows[j].caps;
		for (j = 0; j < ARRAY_SIZE(payload_rows); j++)
			if (payload_rows[j].id == i)
				d->payload = &payload_rows[j].pl;
		for (j = 0; j < ISC_FD_KIND_MAX; j++)
			if (d->kinds & ISC_K(j))
				by_kind[j][d->cmd & 0xff] = d;
	}
	linked = 1;
}

const struct isc_ioctl_desc *catalog__ioctls(size_t *nr)
{
	catalog_link();
	*nr = ARRAY_SIZE(ioctls);
	return ioctls;
}

const struct isc_ioctl_desc *catalog__lookup(uint32_t cmd, enum isc_fd_kind kind)
{
	const struct isc_ioctl_desc *d;

	if ((cmd & ISC_IOCTL_TYPE_MASK) != ISC_IOCTL_TYPE_VFIO || kind >= ISC_FD_KIND_MAX)
		return NULL;
	catalog_link();
	d = by_kind[kind][cmd & 0xff];
	return d && d->cmd == cmd ? d : NULL;
}

const struct isc_ioctl_desc *catalog__by_name(const char *name)
{
	size_t i;

	catalog_link();
	for (i = 0; i < ARRAY_SIZE(ioctls); i++)
		if (!strcmp(ioctls[i].name, name))
			return &ioctls[i];
	return NULL;
}

const char *catalog__kind_name(enum isc_fd_kind kind)
{
	static const char *const names[ISC_FD_KIND_MAX] = {
		[ISC_FD_UNKNOWN] = "unknown",
		[ISC_FD_CONTAINER] = "container",
		[ISC_FD_COMPAT] = "compat-container",
		[ISC_FD_GROUP] = "group",
		[ISC_FD_DEVICE] = "device",
		[ISC_FD_IOMMUFD] = "iommufd",
		[ISC_FD_SPAPR] = "spapr-container",
		[ISC_FD_MIG] = "migration",
	};

	return kind < ISC_FD_KIND_MAX ? names[kind] : "unknown";
}

uint32_t catalog__flags_mask(const struct isc_ioctl_desc *d)
{
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i < d->nr_flags; i++)
		mask |= d->flags[i].value;
	return mask;
}

uint32_t catalog__allowed_flags(const struct isc_ioctl_desc *d, uint16_t version,
				enum isc_fd_kind kind)
{
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i < d->nr_flags; i++)
		if (!version || d->flags[i].since <= version)
			mask |= d->flags[i].value;
	for (i = 0; i < d->nr_kind_flags; i++)
		if (d->kind_flags[i].kind == kind)
			mask &= d->kind_flags[i].mask;
	return mask;
}

const struct isc_role_desc *catalog__role(const struct isc_ioctl_desc *d,
					  enum isc_flags_role r, size_t nth)
{
	size_t i;

	for (i = 0; i < d->nr_roles; i++)
		if (d->roles[i].role == r && !nth--)
			return &d->roles[i];
	return NULL;
}

/* What snprintf(buf + *n, len - *n, "%s", s) does, past the end too: the
 * bytes that fit, a NUL after them, *n grown by all of s. */
static void flags_append(char *buf, size_t len, size_t *n, const char *s, size_t sl)
{
	if (*n + 1 < len) {
		size_t c = sl < len - 1 - *n ? sl : len - 1 - *n;

		memcpy(buf + *n, s, c);
		buf[*n + c] = '\0';
	}
	*n += sl;
}

char *catalog__flags_str(const struct isc_ioctl_desc *d, uint32_t flags, char *buf, size_t len)
{
	uint32_t left = flags;
	size_t i, n = 0;
	char hex[18] = "|0x";

	buf[0] = '\0';
	for (i = 0; d && i < d->nr_flags && n < len; i++) {
		const struct isc_flag_desc *f = &d->flags[i];

		if ((flags & f->value) != f->value)
			continue;
		if (n)
			flags_append(buf, len, &n, "|", 1);
		flags_append(buf, len, &n, f->name, strlen(f->name));
		left &= ~f->value;
	}
	if (left && n < len) {
		size_t hl = 3 + fmt_hex(hex + 3, left);

		/* "|0x..." after a name, "0x..." alone */
		flags_append(buf, len, &n, hex + !n, hl - !n);
	}
	return buf;
}

int catalog__field(const struct isc_field_desc *f, const uint8_t *head, size_t len, uint64_t *val)
{
	uint64_t v = 0;

	if ((size_t)f->offset + f->width > len)
		return -1;
	/* Little-endian host order, like the kernel that wrote it. */
	memcpy(&v, head + f->offset, f->width);
	v >>= f->shift;
	if (f->mask)
		v &= f->mask;
	*val = v;
	return 0;
}

static int contiguous(const enum isc_ioctl_id *ids, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		if (ids[i] == ids[i - 1])
			continue;
		for (j = 0; j + 1 < i; j++)
			if (ids[j] == ids[i])
				return 0;
	}
	return 1;
}

int catalog__check(void)
{
	int bad = 0;
	size_t i, j, k;

#define PROBLEM(...) do { fprintf(stderr, "catalog: " __VA_ARGS__); fputc('\n', stderr); bad++; } while (0)
	catalog_link();
#define CONTIGUOUS(row)							\
	if (!contiguous(row##_ids, ARRAY_SIZE(row##_ids)))			\
		PROBLEM(#row " rows of one ioctl are not contiguous")
	CONTIGUOUS(flag);
	CONTIGUOUS(field);
	CONTIGUOUS(size);
	CONTIGUOUS(cap);
	CONTIGUOUS(role);
	CONTIGUOUS(kind_flags);
#undef CONTIGUOUS
	for (i = 0; i < ARRAY_SIZE(ioctls); i++) {
		const struct isc_ioctl_desc *d = &ioctls[i];
		uint32_t seen = 0;

		if ((d->cmd & ISC_IOCTL_TYPE_MASK) != ISC_IOCTL_TYPE_VFIO)
			PROBLEM("%s: not a ';' ioctl", d->name);
		if (!d->kinds)
			PROBLEM("%s: accepted by no fd kind", d->name);
		if (d->arg == ISC_ARG_STRUCT) {
			if (d->minsz < 4 || d->minsz > d->size)
				PROBLEM("%s: minsz %u outside 4..%u", d->name, d->minsz, d->size);
			if (d->flags_off >= 0 && (uint32_t)d->flags_off + 4 > d->minsz)
				PROBLEM("%s: flags beyond minsz", d->name);
			if (d->size_since < d->since)
				PROBLEM("%s: size older than the ioctl", d->name);
		} else if (d->size || d->minsz || d->flags_off >= 0 || d->nr_flags ||
			   d->nr_fields) {
			PROBLEM("%s: no struct, yet sizes, flags or fields", d->name);
		}
		for (j = 0; j < d->nr_flags; j++) {
			uint32_t v = d->flags[j].value;

			if (!v || (v & (v - 1)))
				PROBLEM("%s: flag %s is not one bit", d->name, d->flags[j].name);
			if (seen & v)
				PROBLEM("%s: flag %s defined twice", d->name, d->flags[j].name);
			seen |= v;
			if (d->flags[j].since < d->since)
				PROBLEM("%s: flag %s older than the ioctl", d->name, d->flags[j].name);
		}
		for (j = 0; j < d->nr_fields; j++) {
			const struct isc_field_desc *f = &d->fields[j];

			if (f->offset + f->width > d->size || f->offset + f->width > ISC_ARG_HEAD)
				PROBLEM("%s: field %s outside the struct", d->name, f->key);
			if (f->width != 1 && f->width != 2 && f->width != 4 && f->width != 8)
				PROBLEM("%s: field %s has width %u", d->name, f->key, f->width);
		}
		if (d->nr_sizes) {
			const struct isc_size_desc *last = &d->sizes[d->nr_sizes - 1];

			if (last->size != d->size || last->since != d->size_since)
				PROBLEM("%s: size history does not end at sizeof", d->name);
			if (d->sizes[0].since != d->since || d->sizes[0].size < d->minsz)
				PROBLEM("%s: size history does not start at the ioctl", d->name);
			for (j = 1; j < d->nr_sizes; j++)
				if (d->sizes[j].size <= d->sizes[j - 1].size ||
				    d->sizes[j].since <= d->sizes[j - 1].since)
					PROBLEM("%s: size history not growing", d->name);
		}
		if (d->caps_at && (!d->reply || d->caps_at->cap_offset_off + 4u > d->size))
			PROBLEM("%s: caps on a non-reply ioctl or beyond the struct", d->name);
		if (d->nr_caps && !d->caps_at)
			PROBLEM("%s: capability ids without a chain", d->name);
		/* Within one fd kind a command means one thing. */
		for (k = i + 1; k < ARRAY_SIZE(ioctls); k++)
			if (ioctls[k].cmd == d->cmd && (ioctls[k].kinds & d->kinds))
				PROBLEM("%s and %s collide on one fd kind", d->name, ioctls[k].name);
	}
#undef PROBLEM
	return bad;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "catalog_const.h"
#include "classify.h"

static const char *const class_names[ISC_CLS_MAX] = {
#define ISC_CLASS_BPF(id, name) [ISC_CLS_##id] = (name),
#define ISC_CLASS(id, name) [ISC_CLS_##id] = (name),
#include "classes.def"
};

/*
 * Extensions discussed upstream and never merged: a binary carrying them
 * was built against an out-of-tree header, and no kernel will honour them.
 */
static const struct {
	const char *ioctl;
	const char *text;
} proposals[] = {
	{ "VFIO_DEVICE_GET_IRQ_INFO",
	  "an IRQ-info capability chain (VFIO_IRQ_INFO_FLAG_CAPS, a cap_offset after count) was "
	  "proposed but never merged: no kernel returns IRQ capabilities" },
};

const char *classify__name(enum isc_class c)
{
	return c < ISC_CLS_MAX ? class_names[c] : "?";
}

const char *classify__primary(uint32_t classes)
{
	int c;

	for (c = 0; c < ISC_CLS_MAX; c++)
		if (classes & ISC_CLS(c))
			return class_names[c];
	return "ok";
}


/* Append "; text" to the explanation. */
static void say(struct isc_verdict *out, const char *fmt, ...)
{
	size_t n = strlen(out->explain);
	va_list ap;

	if (n && n < sizeof(out->explain) - 2) {
		snprintf(out->explain + n, sizeof(out->explain) - n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(out->explain + n, sizeof(out->explain) - n, fmt, ap);
	va_end(ap);
}

static bool field_value(const struct isc_ioctl_view *v, const char *key, uint64_t *val)
{
	int i;

	for (i = 0; i < v->nr_fields; i++) {
		if (!strcmp(v->field_keys[i], key)) {
			*val = v->field_vals[i];
			return true;
		}
	}
	return false;
}

/* What the size and the newest flag used say about the caller's headers. */
static void built_against(const struct isc_ioctl_desc *d, const struct isc_ioctl_view *v,
			  bool flags_in, struct isc_verdict *out)
{
	uint16_t lo = 0, hi = 0;
	char a[16], b[16];
	size_t i;

	if (v->has_argsz && d->nr_sizes && !d->payload) {
		for (i = 0; i < d->nr_sizes; i++) {
			if (d->sizes[i].size != v->argsz)
				continue;
			lo = d->sizes[i].since;
			hi = i + 1 < d->nr_sizes ? d->sizes[i + 1].since : 0;
		}
	}
	for (i = 0; flags_in && v->has_flags && i < d->nr_flags; i++)
		if ((v->flags & d->flags[i].value) && d->flags[i].since > lo)
			lo = d->flags[i].since;
	if (!lo || lo <= d->since)
		return;
	abi__version_str(lo, a, sizeof(a));
	if (hi > lo) {
		abi__version_str(hi, b, sizeof(b));
		snprintf(out->built_against, sizeof(out->built_against), "Linux >= %s, < %s", a, b);
	} else {
		snprintf(out->built_against, sizeof(out->built_against), "Linux >= %s", a);
	}
}

static void classify_flags(const struct isc_abi *a, const struct isc_ioctl_view *v,
			   struct isc_verdict *out)
{
	const struct isc_ioctl_desc *d = v->desc;
	const struct isc_role_desc *idx = catalog__role(d, ISC_FR_INDEX, 0);
	uint32_t flags = v->flags, allowed, bad;
	char ver[16], names[128], allowed_names[128];
	size_t i;

	if (idx)
		flags &= ~idx->mask;
	allowed = catalog__allowed_flags(d, a->version, v->ev.fd_kind);
	bad = flags & ~allowed;
	if (bad) {
		/* formatted here only: a snprintf per call was a tenth of trace's CPU */
		abi__version_str(a->version, ver, sizeof(ver));
		out->classes |= ISC_CLS(ISC_CLS_UNKNOWN_FLAGS);
		out->bad_bits |= bad;
		catalog__flags_str(d, bad, names, sizeof(names));
		catalog__flags_str(d, allowed, allowed_names, sizeof(allowed_names));
		say(out, "flags %s unknown to %s on Linux %s, %s fd (it accepts %s)", names,
		    d->name, ver, catalog__kind_name(v->ev.fd_kind),
		    allowed_names[0] ? allowed_names : "none");
		for (i = 0; i < d->nr_flags; i++) {
			const struct isc_flag_desc *f = &d->flags[i];

			if (!(bad & f->value))
				continue;
			if (a->version && f->since > a->version) {
				abi__version_str(f->since, ver, sizeof(ver));
				say(out, "%s needs Linux >= %s", f->name, ver);
			} else {
				say(out, "%s is not accepted when iommufd serves the container",
				    f->name);
			}
		}
		if (ISC_CMD_IS_IOMMUFD(d->cmd))
			say(out, "iommufd answers EOPNOTSUPP");
	}
	for (i = 0; i < d->nr_roles; i++) {
		const struct isc_role_desc *r = &d->roles[i];
		uint32_t set = flags & r->mask;

		if (r->role != ISC_FR_ONE_OF || (set && !(set & (set - 1))))
			continue;
		out->classes |= ISC_CLS(ISC_CLS_UNKNOWN_FLAGS);
		out->bad_bits |= set ? set : r->mask;
		catalog__flags_str(d, r->mask, names, sizeof(names));
		say(out, "exactly one of %s must be set, not %s", names,
		    set ? catalog__flags_str(d, set, allowed_names, sizeof(allowed_names)) : "none");
	}
}

/* A payload of count entries needs argsz >= need; truncated otherwise. */
static void payload_fits(const struct isc_ioctl_view *v, uint64_t count, const char *what,
			 uint64_t need, struct isc_verdict *out)
{
	if (v->argsz >= need)
		return;
	out->classes |= ISC_CLS(ISC_CLS_TRUNCATED);
	say(out, "argsz %u has no room for %llu %s (needs %llu): EINVAL", v->argsz,
	    (unsigned long long)count, what, (unsigned long long)need);
}

/* Sizes for variable-length calls: 1 if the payload rule decided. */
static int classify_payload(const struct isc_ioctl_view *v, struct isc_verdict *out)
{
	const struct isc_ioctl_desc *d = v->desc;
	const struct isc_payload_desc *pl = d->payload;
	uint64_t count = 0, need;
	uint32_t data;

	switch (pl->kind) {
	case ISC_PL_TRAILING:
		return 1;
	case ISC_PL_IRQ_DATA:
		field_value(v, "count", &count);
		data = (v->flags & ISC_FV_VFIO_DEVICE_SET_IRQS__VFIO_IRQ_SET_DATA_BOOL) ? 1 :
		       (v->flags & ISC_FV_VFIO_DEVICE_SET_IRQS__VFIO_IRQ_SET_DATA_EVENTFD) ? 4 : 0;
		need = d->minsz + count * data;
		payload_fits(v, count, "data entries", need, out);
		return 1;
	case ISC_PL_ARRAY:
		if (d->reply)	/* a short buffer is how the caller learns the count */
			return 1;
		if (v->ev.arg_len >= pl->a + 4)
			memcpy(&data, v->ev.arg_head + pl->a, 4), count = data;
		need = d->minsz + count * pl->b;
		payload_fits(v, count, "entries", need, out);
		return 1;
	case ISC_PL_FLAG_TAIL:
		if (!(v->flags & pl->a))
			return 0;
		if (v->argsz < d->minsz + pl->b) {
			out->classes |= ISC_CLS(ISC_CLS_TRUNCATED);
			say(out, "flag 0x%x needs argsz >= %u: EINVAL", pl->a, d->minsz + pl->b);
		}
		return 1;
	}
	return 0;
}

static void classify_size(const struct isc_abi *a, const struct isc_ioctl_view *v,
			  struct isc_verdict *out)
{
	const struct isc_ioctl_desc *d = v->desc;
	uint32_t ks = abi__size(a, d);
	const char *what = ISC_CMD_IS_IOMMUFD(d->cmd) ? "size" : "argsz";
	size_t i;

	out->kernel_size = ks;
	if (v->argsz < d->minsz) {
		out->classes |= ISC_CLS(ISC_CLS_TRUNCATED);
		say(out, "%s %u < minimum %u (%s): the kernel rejects it (EINVAL)", what, v->argsz,
		    d->minsz, d->struct_name);
		return;
	}
	if (d->payload && classify_payload(v, out))
		return;
	if (!ks || v->argsz == ks)
		return;
	if (v->argsz < ks) {
		out->classes |= ISC_CLS(ISC_CLS_OLDER_STRUCT);
		say(out, "%s %u < this kernel's %u (%s): built against older headers; the kernel "
		    "treats the missing fields as absent", what, v->argsz, ks, d->struct_name);
		return;
	}
	if (d->caps_at)	/* a bigger INFO buffer is room for the capability chain */
		return;
	out->classes |= ISC_CLS(ISC_CLS_NEWER_STRUCT);
	if (ISC_CMD_IS_IOMMUFD(d->cmd))
		say(out, "size %u > this kernel's %u (%s): %s", v->argsz, ks, d->struct_name,
		    v->ev.ret == -E2BIG ? "the extra bytes were not zero: E2BIG" :
					  "accepted only while the extra bytes are zero (else E2BIG)");
	else
		say(out, "argsz %u > this kernel's %u (%s): the kernel ignores the last %u bytes",
		    v->argsz, ks, d->struct_name, v->argsz - ks);
	for (i = 0; i < sizeof(proposals) / sizeof(proposals[0]); i++)
		if (!strcmp(proposals[i].ioctl, d->name))
			say(out, "%s", proposals[i].text);
}

/*
 * A command (or feature index) no catalog row names: if the kernel answered
 * it (include/events.h ISC_RET_UNANSWERED), the kernel knows more than the
 * catalog (newer-than-catalog), else it is unknown-ioctl. A call seen only
 * at entry (a profile's prediction) has no answer.
 */
static bool kernel_answered(const struct isc_ioctl_view *v)
{
	return v->ev.exit_hook != ISC_HOOK_NONE && !ISC_RET_UNANSWERED(v->ev.ret);
}

static void not_in_catalog(const struct isc_abi *a, const struct isc_ioctl_view *v,
			   struct isc_verdict *out, const char *what)
{
	char ver[16], kver[16], err[32];
	const char *en;

	if (!kernel_answered(v)) {
		out->classes |= ISC_CLS(ISC_CLS_UNKNOWN_IOCTL);
		say(out, "%s (ENOTTY)", what);
		return;
	}
	abi__version_str(catalog__headers_checked(), ver, sizeof(ver));
	abi__version_str(a->version, kver, sizeof(kver));
	en = v->ev.ret < 0 && v->ev.ret > -4096 ? strerrorname_np((int)-v->ev.ret) : NULL;
	if (v->ev.ret >= 0)
		snprintf(err, sizeof(err), "with success");
	else if (en)
		snprintf(err, sizeof(err), "%s", en);
	else
		snprintf(err, sizeof(err), "%lld", (long long)v->ev.ret);
	out->classes |= ISC_CLS(ISC_CLS_NEWER_KERNEL);
	say(out, "%s, yet the kernel (Linux %s) answered %s: it is newer than this iommuscope's "
	    "catalog (checked against the uapi headers up to %s)", what, a->version ? kver : "?",
	    err, ver);
}

#define FEATURE_GET	ISC_FV_VFIO_DEVICE_FEATURE__VFIO_DEVICE_FEATURE_GET
#define FEATURE_SET	ISC_FV_VFIO_DEVICE_FEATURE__VFIO_DEVICE_FEATURE_SET

/* VFIO_DEVICE_FEATURE: the low 16 bits pick a sub-feature, which has its
 * own release and its own GET/SET support. */
static void classify_feature(const struct isc_abi *a, const struct isc_ioctl_view *v,
			     struct isc_verdict *out)
{
	uint16_t idx = v->flags & 0xffff;
	const struct isc_feature_desc *f = catalog__feature(idx);
	uint32_t ops = v->flags & (FEATURE_GET | FEATURE_SET);
	char ver[16], what[96];

	if (!f) {
		snprintf(what, sizeof(what), "VFIO_DEVICE_FEATURE index %u is no feature the catalog "
			 "knows", idx);
		not_in_catalog(a, v, out, what);
		return;
	}
	if (!abi__has_feature(a, f)) {
		abi__version_str(f->since, ver, sizeof(ver));
		out->classes |= ISC_CLS(ISC_CLS_UNKNOWN_IOCTL);
		say(out, "VFIO_DEVICE_FEATURE %s (index %u) needs Linux >= %s (ENOTTY)", f->name, idx,
		    ver);
		return;
	}
	if (ops & ~f->ops) {
		out->classes |= ISC_CLS(ISC_CLS_UNKNOWN_FLAGS);
		out->bad_bits |= ops & ~f->ops;
		say(out, "VFIO_DEVICE_FEATURE %s supports only %s (EINVAL)", f->name,
		    f->ops == FEATURE_GET ? "GET" : f->ops == FEATURE_SET ? "SET" : "GET and SET");
	}
}

void classify__ioctl(const struct isc_abi *a, const struct isc_ioctl_view *v,
		     struct isc_verdict *out)
{
	const struct isc_ioctl_desc *d = v->desc;
	const struct isc_role_desc *outr;
	char ver[16], kver[16];

	memset(out, 0, sizeof(*out));
	if (!d) {
		char what[96];

		snprintf(what, sizeof(what), "0x%x is not a VFIO/iommufd ioctl on a %s fd",
			 v->ev.cmd, catalog__kind_name(v->ev.fd_kind));
		not_in_catalog(a, v, out, what);
		return;
	}
	if (a->version && d->since > a->version) {
		abi__version_str(d->since, ver, sizeof(ver));
		abi__version_str(a->version, kver, sizeof(kver));
		out->classes |= ISC_CLS(ISC_CLS_UNKNOWN_IOCTL);
		say(out, "%s needs Linux >= %s; this kernel is %s (ENOTTY)", d->name, ver, kver);
		return;
	}
	if (d->arg != ISC_ARG_STRUCT || !v->has_argsz)
		return;
	outr = catalog__role(d, ISC_FR_OUT, 0);
	classify_size(a, v, out);
	if (v->has_flags && !outr)
		classify_flags(a, v, out);
	if (v->has_flags && d->cmd == ISC_CMD_VFIO_DEVICE_FEATURE && v->ev.fd_kind == ISC_FD_DEVICE)
		classify_feature(a, v, out);
	built_against(d, v, !outr, out);
}

void classify__iommu(const struct isc_abi *a, const struct isc_iommu_view *v,
		     struct isc_verdict *out)
{
	const struct isc_iommu_event *e = &v->ev;
	const struct isc_uapi_desc *u;

	memset(out, 0, sizeof(*out));
	if (!(e->ief & ISC_IEF_UAPI))
		return;
	if (e->uapi_version != 1) {
		out->classes |= ISC_CLS(ISC_CLS_BAD_VERSION);
		say(out, "version %u passed to %s; the kernel accepts only 1 (argsz versions these "
		    "structs: a unified IOMMU_UAPI_VERSION was proposed in 2020 and never merged)",
		    e->uapi_version, v->hook);
	}
	u = catalog__uapi(e->hook, a->version);
	if (!u || !u->argsz)
		return;
	out->kernel_size = u->size;
	if (e->uapi_argsz < u->minsz) {
		out->classes |= ISC_CLS(ISC_CLS_TRUNCATED);
		say(out, "argsz %u < minimum %u (%s): EINVAL", e->uapi_argsz, u->minsz,
		    u->struct_name);
	} else if (e->uapi_argsz < u->size) {
		out->classes |= ISC_CLS(ISC_CLS_OLDER_STRUCT);
		say(out, "argsz %u < this kernel's %u (%s): the kernel reads only what is there",
		    e->uapi_argsz, u->size, u->struct_name);
	} else if (e->uapi_argsz > u->size) {
		out->classes |= ISC_CLS(ISC_CLS_NEWER_STRUCT);
		say(out, "argsz %u > this kernel's %u (%s): the kernel copies %u bytes and ignores "
		    "the rest", e->uapi_argsz, u->size, u->struct_name, u->size);
	}
}

/* ---- caps-truncated ---- */

static bool wants_more_room(const struct isc_ioctl_view *v)
{
	return v->desc && v->desc->caps_at && !v->ev.ret && v->has_argsz && v->has_argsz_out &&
	       v->argsz_out > v->argsz;
}

static bool same_call(const struct isc_ioctl_view *a, const struct isc_ioctl_view *b)
{
	uint64_t ia = 0, ib = 0;

	field_value(a, "index", &ia);
	field_value(b, "index", &ib);
	return a->ev.cmd == b->ev.cmd && a->ev.fd == b->ev.fd && a->ev.pid == b->ev.pid && ia == ib;
}

static void drop(struct isc_caps_tracker *t, int i)
{
	t->p[i] = t->p[--t->nr];
}

int classify__track(struct isc_caps_tracker *t, const struct isc_ioctl_view *v,
		    struct isc_ioctl_view *late)
{
	int i, found = 0;

	for (i = 0; i < t->nr; i++) {
		struct isc_caps_pending *p = &t->p[i];

		if (p->tid != v->ev.tid)
			continue;
		if (!same_call(&p->call, v) || !v->has_argsz || v->argsz < p->call.argsz_out) {
			*late = p->call;	/* moved on without making room */
			found = 1;
		}
		drop(t, i);
		break;
	}
	if (!wants_more_room(v))
		return found;
	if (t->nr == ISC_CAPS_PENDING) {
		if (found)	/* keep the answer we owe; forget the oldest quietly */
			drop(t, 0);
		else {
			*late = t->p[0].call;
			found = 1;
			drop(t, 0);
		}
	}
	t->p[t->nr].tid = v->ev.tid;
	t->p[t->nr].call = *v;
	t->nr++;
	return found;
}

int classify__flush(struct isc_caps_tracker *t, struct isc_ioctl_view *late)
{
	if (!t->nr)
		return 0;
	*late = t->p[t->nr - 1].call;
	t->nr--;
	return 1;
}

void classify__caps_truncated(const struct isc_ioctl_view *v, struct isc_verdict *out)
{
	const struct isc_ioctl_desc *d = v->desc;
	char caps[96] = "";
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	out->classes = ISC_CLS(ISC_CLS_CAPS_TRUNCATED);
	out->need = v->argsz_out;
	for (i = 0; d && i < d->nr_caps && n < sizeof(caps); i++)
		n += snprintf(caps + n, sizeof(caps) - n, "%s%s", n ? ", " : "", d->caps[i].name);
	say(out, "the kernel asked for argsz %u to return its capability chain and the process "
	    "never retried with it: it runs without %s", v->argsz_out,
	    n ? caps : "the capabilities");
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "catalog_const.h"
#include "kernel.h"
#include "profile.h"
#include "util.h"


void profile__init(struct isc_profile *p, const char *release, const char *backend)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->release, sizeof(p->release), "%s", release);
	snprintf(p->backend, sizeof(p->backend), "%s", backend);
	p->version = abi__parse_release(release);
	memset(p->ext, -1, sizeof(p->ext));
}

void profile__free(struct isc_profile *p)
{
	free(p->calls);
	p->calls = NULL;
	p->nr = p->cap = 0;
}

static struct isc_profile_call *find_or_add(struct isc_profile *p,
					    const struct isc_profile_call *key)
{
	struct isc_profile_call *c;
	int i;

	for (i = 0; i < p->nr; i++) {
		c = &p->calls[i];
		if (c->cmd == key->cmd && c->fd_kind == key->fd_kind &&
		    c->has_argsz == key->has_argsz && c->argsz == key->argsz &&
		    c->has_flags == key->has_flags && c->flags == key->flags && c->arg == key->arg)
			return c;
	}
	if (p->nr == p->cap) {
		int cap = p->cap ? p->cap * 2 : 32;

		c = realloc(p->calls, cap * sizeof(*c));
		if (!c)
			return NULL;
		p->calls = c;
		p->cap = cap;
	}
	c = &p->calls[p->nr++];
	*c = *key;
	return c;
}

void profile__add(struct isc_profile *p, const struct isc_ioctl_view *v,
		  const struct isc_verdict *cls)
{
	struct isc_profile_call key = {}, *c;
	size_t n = strlen(p->comms);
	int i, j;

	key.cmd = v->ev.cmd;
	key.fd_kind = v->ev.fd_kind;
	key.has_argsz = v->has_argsz;
	key.argsz = v->argsz;
	key.has_flags = v->has_flags;
	key.flags = v->flags;
	if (v->desc && v->desc->arg == ISC_ARG_VALUE)
		key.arg = v->value;
	c = find_or_add(p, &key);
	if (!c)
		return;
	c->count++;
	if (v->ev.ret >= 0)
		c->ok++;
	else
		c->last_error = v->ev.ret;
	c->classes |= cls->classes;
	if (v->has_argsz_out && v->argsz_out > c->argsz_out)
		c->argsz_out = v->argsz_out;
	for (i = 0; i < v->nr_caps; i++) {
		for (j = 0; j < c->nr_caps && c->caps[j] != v->cap_id[i]; j++)
			;
		if (j == c->nr_caps && c->nr_caps < ISC_MAX_CAPS)
			c->caps[c->nr_caps++] = v->cap_id[i];
	}
	if (v->ev.cmd == ISC_CMD_VFIO_CHECK_EXTENSION && v->value > 0 && v->value < ISC_MAX_EXT &&
	    v->ev.ret >= 0)
		p->ext[v->value] = (int8_t)(v->ev.ret > 0);
	if (!strstr(p->comms, v->ev.comm) && n + strlen(v->ev.comm) + 2 < sizeof(p->comms))
		snprintf(p->comms + n, sizeof(p->comms) - n, "%s%s", n ? "," : "", v->ev.comm);
}

int profile__write(const struct isc_profile *p, const char *path)
{
	struct json_object *j = json_object_new_object(), *rec = json_object_new_object();
	struct json_object *calls = json_object_new_array(), *ext = json_object_new_object();
	struct json_object *procs = json_object_new_array();
	char ver[16], *list, *tok, *save = NULL;
	int i, k, err = 0;
	FILE *f;

	json_object_object_add(j, "iommuscope_profile", json_object_new_int(ISC_PROFILE_VERSION));
	json_object_object_add(rec, "kernel", json_object_new_string(p->release));
	json_object_object_add(rec, "version",
			       json_object_new_string(abi__version_str(p->version, ver, sizeof(ver))));
	json_object_object_add(rec, "backend", json_object_new_string(p->backend));
	json_object_object_add(j, "recorded", rec);
	list = strdup(p->comms);
	for (tok = list ? strtok_r(list, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
		json_object_array_add(procs, json_object_new_string(tok));
	free(list);
	json_object_object_add(j, "processes", procs);
	for (i = 0; i < p->nr; i++) {
		const struct isc_profile_call *c = &p->calls[i];
		const struct isc_ioctl_desc *d = catalog__lookup(c->cmd, c->fd_kind);
		struct json_object *o = json_object_new_object(), *cl = json_object_new_array();
		const char *en = c->last_error ? strerrorname_np((int)-c->last_error) : NULL;

		json_object_object_add(o, "ioctl", d ? json_object_new_string(d->name) : NULL);
		json_object_object_add(o, "cmd", json_object_new_int64(c->cmd));
		json_object_object_add(o, "fd_kind",
				       json_object_new_string(catalog__kind_name(c->fd_kind)));
		json_object_object_add(o, "argsz", c->has_argsz ? json_object_new_int64(c->argsz) : NULL);
		json_object_object_add(o, "flags", c->has_flags ? json_object_new_int64(c->flags) : NULL);
		if (d && d->arg == ISC_ARG_VALUE)
			json_object_object_add(o, "arg", json_object_new_int64(c->arg));
		json_object_object_add(o, "count", json_object_new_uint64(c->count));
		json_object_object_add(o, "ok", json_object_new_uint64(c->ok));
		json_object_object_add(o, "errno", en ? json_object_new_string(en) : NULL);
		for (k = 0; k < ISC_CLS_MAX; k++)
			if (c->classes & ISC_CLS(k))
				json_object_array_add(cl, json_object_new_string(classify__name(k)));
		json_object_object_add(o, "classes", cl);
		if (c->argsz_out)
			json_object_object_add(o, "argsz_out", json_object_new_int64(c->argsz_out));
		if (c->nr_caps) {
			struct json_object *caps = json_object_new_array();

			for (k = 0; k < c->nr_caps; k++)
				json_object_array_add(caps, json_object_new_int(c->caps[k]));
			json_object_object_add(o, "caps", caps);
		}
		json_object_array_add(calls, o);
	}
	json_object_object_add(j, "calls", calls);
	for (i = 1; i < ISC_MAX_EXT; i++)
		if (p->ext[i] >= 0 && abi__ext_name(i))
			json_object_object_add(ext, abi__ext_name(i), json_object_new_int(p->ext[i]));
	json_object_object_add(j, "extensions", ext);

	f = fopen(path, "we");
	if (!f || fprintf(f, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
				JSON_C_TO_STRING_SPACED)) < 0 || fclose(f)) {
		err = -errno;
		isc_err("cannot write profile %s: %s", path, strerror(errno));
	}
	json_object_put(j);
	return err;
}

/* ---- loading ---- */

static void position(const char *buf, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && buf[i]; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static bool get(struct json_object *o, const char *k, enum json_type t, struct json_object **v)
{
	return json_object_object_get_ex(o, k, v) && *v && json_object_is_type(*v, t);
}

static bool get_u32(struct json_object *o, const char *k, bool nullable, bool *has, uint32_t *out)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, k, &v))
		return false;
	if (!v) {
		*has = false;
		return nullable;
	}
	if (!json_object_is_type(v, json_type_int))
		return false;
	x = json_object_get_int64(v);
	if (x < 0 || x > UINT32_MAX)
		return false;
	*has = true;
	*out = x;
	return true;
}

static int load_call(struct isc_profile_call *c, struct json_object *o, char *why, size_t len)
{
	struct json_object *v, *x;
	const struct isc_ioctl_desc *d;
	int kind, i;
	bool has;
	uint32_t u;

	memset(c, 0, sizeof(*c));
	if (!json_object_is_type(o, json_type_object))
		return snprintf(why, len, "expected an object"), -1;
	if (!get_u32(o, "cmd", false, &has, &c->cmd) ||
	    (c->cmd & ISC_IOCTL_TYPE_MASK) != ISC_IOCTL_TYPE_VFIO)
		return snprintf(why, len, "cmd: expected a VFIO/iommufd ioctl number (0x3bNN)"), -1;
	if (!get(o, "fd_kind", json_type_string, &v) ||
	    (kind = kernel__kind_by_name(json_object_get_string(v))) < 0)
		return snprintf(why, len, "fd_kind: expected container, compat-container, group, device or iommufd"), -1;
	c->fd_kind = kind;
	d = catalog__lookup(c->cmd, c->fd_kind);
	if (json_object_object_get_ex(o, "ioctl", &v) && v &&
	    (!json_object_is_type(v, json_type_string) || !d ||
	     strcmp(d->name, json_object_get_string(v))))
		return snprintf(why, len, "ioctl: not what 0x%x means on a %s fd (%s)", c->cmd,
				catalog__kind_name(c->fd_kind), d ? d->name : "nothing"), -1;
	if (!get_u32(o, "argsz", true, &c->has_argsz, &c->argsz))
		return snprintf(why, len, "argsz: expected an integer from 0 to 4294967295 or null"), -1;
	if (!get_u32(o, "flags", true, &c->has_flags, &c->flags))
		return snprintf(why, len, "flags: expected an integer from 0 to 4294967295 or null"), -1;
	if (json_object_object_get_ex(o, "arg", &v)) {
		if (!v || !json_object_is_type(v, json_type_int))
			return snprintf(why, len, "arg: expected an integer"), -1;
		c->arg = json_object_get_int64(v);
	}
	if (!get_u32(o, "count", false, &has, &u) || !u)
		return snprintf(why, len, "count: expected a positive integer"), -1;
	c->count = u;
	if (!get_u32(o, "ok", false, &has, &u) || u > c->count)
		return snprintf(why, len, "ok: expected an integer no larger than count"), -1;
	c->ok = u;
	if (!get(o, "classes", json_type_array, &v))
		return snprintf(why, len, "classes: expected an array of class names"), -1;
	for (i = 0; i < (int)json_object_array_length(v); i++) {
		const char *name;
		int k;

		x = json_object_array_get_idx(v, i);
		name = x && json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
		for (k = 0; k < ISC_CLS_MAX && strcmp(classify__name(k), name); k++)
			;
		if (k == ISC_CLS_MAX)
			return snprintf(why, len, "classes[%d]: unknown class '%s'", i, name), -1;
		c->classes |= ISC_CLS(k);
	}
	if (json_object_object_get_ex(o, "argsz_out", &v) &&
	    !get_u32(o, "argsz_out", false, &has, &c->argsz_out))
		return snprintf(why, len, "argsz_out: expected an integer"), -1;
	if (json_object_object_get_ex(o, "caps", &v)) {
		if (!v || !json_object_is_type(v, json_type_array) ||
		    json_object_array_length(v) > ISC_MAX_CAPS)
			return snprintf(why, len, "caps: expected at most %d capability ids",
					ISC_MAX_CAPS), -1;
		for (i = 0; i < (int)json_object_array_length(v); i++) {
			x = json_object_array_get_idx(v, i);
			if (!x || !json_object_is_type(x, json_type_int) ||
			    json_object_get_int64(x) < 0 || json_object_get_int64(x) > 0xffff)
				return snprintf(why, len, "caps[%d]: expected an id from 0 to 65535", i), -1;
			c->caps[c->nr_caps++] = json_object_get_int64(x);
		}
	}
	return 0;
}

int profile__load(struct isc_profile *p, const char *path)
{
	char *buf;
	size_t len;
	FILE *f;
	int ret;

	memset(p, 0, sizeof(*p));
	f = fopen(path, "re");
	if (!f) {
		isc_err("cannot read profile %s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(16 << 20);
	len = buf ? fread(buf, 1, (16 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf) {
		isc_err("out of memory");
		return -1;
	}
	buf[len] = '\0';
	ret = profile__load_buf(p, buf, len, path);
	free(buf);
	return ret;
}

/* The JSON text of a profile: no NUL byte, not empty, one value and nothing
 * after it. NULL after the error line ("file:line:col: what"). */
static struct json_object *parse_text(const char *buf, size_t len, const char *path)
{
	struct json_object *j;
	struct json_tokener *tok;
	int line, col;
	size_t end;

	if (strlen(buf) != len) {
		isc_err("%s: not a text file (a NUL byte)", path);
		return NULL;
	}
	if (!len || strspn(buf, " \t\r\n") == len) {
		isc_err("%s: empty file", path);
		return NULL;
	}
	tok = json_tokener_new();
	if (len > INT_MAX) {
		isc_err("%s: too large", path);
		json_tokener_free(tok);
		return NULL;
	}
	j = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!j || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);

		position(buf, end, &line, &col);
		isc_err("%s:%d:%d: %s", path, line, col,
			jerr == json_tokener_continue ? "the file ends in the middle of the JSON" :
							json_tokener_error_desc(jerr));
		json_tokener_free(tok);
		json_object_put(j);
		return NULL;
	}
	json_tokener_free(tok);
	end += strspn(buf + end, " \t\r\n");
	if (end < len) {
		position(buf, end, &line, &col);
		isc_err("%s:%d:%d: unexpected text after the profile", path, line, col);
		json_object_put(j);
		return NULL;
	}
	return j;
}

/* In load_fields and load_extensions: what is wrong into why, then -1. */
#define BAD(...) do { snprintf(why, len, __VA_ARGS__); return -1; } while (0)

/* "extensions": each a catalog extension answered 0 or 1. */
static int load_extensions(struct isc_profile *p, struct json_object *ext, char *why, size_t len)
{
	if (!ext || !json_object_is_type(ext, json_type_object))
		BAD("extensions: expected an object");
	json_object_object_foreach(ext, k, val) {
		int id = abi__ext_by_name(k);

		if (id < 0)
			BAD("extensions.%s: unknown extension", k);
		if (!val || !json_object_is_type(val, json_type_int) ||
		    (json_object_get_int(val) != 0 && json_object_get_int(val) != 1))
			BAD("extensions.%s: expected 0 or 1", k);
		p->ext[id] = (int8_t)json_object_get_int(val);	/* 0 or 1 */
	}
	return 0;
}

/* The profile's fields from its JSON: 0, or -1 with what is wrong in why. */
static int load_fields(struct isc_profile *p, struct json_object *j, char *why, size_t len)
{
	struct json_object *v, *rec, *calls, *ext;
	int i;

	if (!json_object_is_type(j, json_type_object))
		BAD("the profile must be a JSON object");
	if (!get(j, "iommuscope_profile", json_type_int, &v) ||
	    json_object_get_int(v) != ISC_PROFILE_VERSION)
		BAD("iommuscope_profile: expected %d (not a profile, or a newer format)",
		    ISC_PROFILE_VERSION);
	if (!get(j, "recorded", json_type_object, &rec) ||
	    !get(rec, "kernel", json_type_string, &v))
		BAD("recorded.kernel: expected the recording kernel's release");
	snprintf(p->release, sizeof(p->release), "%s", json_object_get_string(v));
	p->version = abi__parse_release(p->release);
	if (get(rec, "backend", json_type_string, &v))
		snprintf(p->backend, sizeof(p->backend), "%s", json_object_get_string(v));
	if (!get(j, "calls", json_type_array, &calls))
		BAD("calls: expected an array");
	for (i = 0; (size_t)i < json_object_array_length(calls); i++) {
		struct isc_profile_call c;
		char what[160];

		if (load_call(&c, json_object_array_get_idx(calls, i), what, sizeof(what)))
			BAD("calls[%d].%s", i, what);
		if (!find_or_add(p, &c))
			BAD("out of memory");
	}
	if (json_object_object_get_ex(j, "extensions", &ext))
		return load_extensions(p, ext, why, len);
	return 0;
}

#undef BAD

int profile__load_buf(struct isc_profile *p, const char *buf, size_t len, const char *path)
{
	struct json_object *j;
	char why[200];
	int ret = 0;

	memset(p, 0, sizeof(*p));
	memset(p->ext, -1, sizeof(p->ext));
	j = parse_text(buf, len, path);
	if (!j)
		return -1;
	if (load_fields(p, j, why, sizeof(why))) {
		isc_err("%s: %s", path, why);
		profile__free(p);
		ret = -1;
	}
	json_object_put(j);
	return ret;
}

/* ---- judging ---- */

const char *profile__severity_name(enum isc_severity s)
{
	switch (s) {
	case ISC_SEV_REJECTED:
		return "rejected";
	case ISC_SEV_DEGRADED:
		return "degraded";
	default:
		return "note";
	}
}

/* The fd kind a recorded call would have on a host whose /dev/vfio/vfio
 * is served by the other backend (type1 vs iommufd's compat container). */
static uint8_t kind_on(const struct isc_abi *a, uint8_t kind)
{
	if (kind == ISC_FD_CONTAINER && a->backend == ISC_BACKEND_IOMMUFD)
		return ISC_FD_COMPAT;
	if (kind == ISC_FD_COMPAT && a->backend == ISC_BACKEND_VFIO)
		return ISC_FD_CONTAINER;
	return kind;
}

/* A call as the decoder would have seen it at entry: what this host's
 * kernel would answer is not known (no exit hook, no return value). */
static void synth_view(const struct isc_profile_call *c, const struct isc_abi *a,
		       struct isc_ioctl_view *v)
{
	struct isc_ioctl_event e = {
		.hdr = { ISC_EV_IOCTL, ISC_EVENT_VERSION, sizeof(e), 0 },
		.cmd = c->cmd, .fd_kind = kind_on(a, c->fd_kind), .arg = c->arg,
		.entry_hook = ISC_HOOK_TP, .exit_hook = ISC_HOOK_NONE,
	};
	const struct isc_ioctl_desc *d = catalog__lookup(c->cmd, c->fd_kind);

	if (c->has_argsz) {
		memcpy(e.arg_head, &c->argsz, 4);
		e.arg_len = ISC_ARG_HEAD;
		e.iof |= ISC_IOF_ARG_READ;
		if (d && d->flags_off >= 0)
			memcpy(e.arg_head + d->flags_off, &c->flags, 4);
	}
	decode__ioctl(&e, sizeof(e), v);
}

static void call_label(const struct isc_profile_call *c, char *buf, size_t len)
{
	const struct isc_ioctl_desc *d = catalog__lookup(c->cmd, c->fd_kind);
	int n = snprintf(buf, len, "%s (%s)", d ? d->name : "?", catalog__kind_name(c->fd_kind));

	if (c->has_argsz)
		n += snprintf(buf + n, len - n, " argsz=%u", c->argsz);
	if (c->has_flags)
		snprintf(buf + n, len - n, " flags=0x%x", c->flags);
}

static void class_list(uint32_t classes, char *buf, size_t len)
{
	size_t n = 0;
	int c;

	buf[0] = '\0';
	for (c = 0; c < ISC_CLS_MAX && n < len; c++)
		if (classes & ISC_CLS(c))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "", classify__name(c));
}

int profile__check(const struct isc_profile *p, const struct isc_abi *a,
		   void (*fn)(const struct isc_finding *f, void *ctx), void *ctx)
{
	const uint32_t rejecting = ISC_CLS(ISC_CLS_TRUNCATED) | ISC_CLS(ISC_CLS_UNKNOWN_FLAGS) |
				   ISC_CLS(ISC_CLS_UNKNOWN_IOCTL);
	struct isc_finding f;
	struct isc_ioctl_view v;
	struct isc_verdict here;
	char label[128], was[96], ver[16];
	int i, k, worst = 0;

	abi__version_str(a->version, ver, sizeof(ver));
	for (i = 0; i < p->nr; i++) {
		const struct isc_profile_call *c = &p->calls[i];
		uint32_t rec = c->classes & ~ISC_CLS(ISC_CLS_CAPS_TRUNCATED), added, gone;
		const struct isc_ioctl_desc *d;

		synth_view(c, a, &v);
		classify__ioctl(a, &v, &here);
		added = here.classes & ~rec;
		gone = rec & ~here.classes;
		call_label(c, label, sizeof(label));
		memset(&f, 0, sizeof(f));
		f.call = c;
		f.classes_here = here.classes;
		if (added) {
			f.sev = (added & rejecting) ? ISC_SEV_REJECTED :
				(added & ISC_CLS(ISC_CLS_NEWER_STRUCT)) ? ISC_SEV_DEGRADED :
									  ISC_SEV_NOTE;
			snprintf(f.text, sizeof(f.text), "%s: %s here, not on %s: %s", label,
				 classify__primary(added), p->release, here.explain);
		} else if (gone) {
			class_list(gone, was, sizeof(was));
			f.sev = ISC_SEV_NOTE;
			snprintf(f.text, sizeof(f.text), "%s: %s on %s, fine here", label, was,
				 p->release);
		}
		if (added || gone) {
			worst = worst > (int)f.sev + 1 ? worst : (int)f.sev + 1;
			fn(&f, ctx);
		}
		d = catalog__lookup(c->cmd, c->fd_kind);
		for (k = 0; d && k < c->nr_caps; k++) {
			size_t m;

			for (m = 0; m < d->nr_caps && d->caps[m].id != c->caps[k]; m++)
				;
			if (m == d->nr_caps || !a->version || d->caps[m].since <= a->version)
				continue;
			memset(&f, 0, sizeof(f));
			f.sev = ISC_SEV_DEGRADED;
			f.call = c;
			char since[16];

			snprintf(f.text, sizeof(f.text), "%s: capability %s (id %u) came with Linux "
				 "%s; this kernel (%s) never returns it", d->name, d->caps[m].name,
				 c->caps[k], abi__version_str(d->caps[m].since, since, sizeof(since)),
				 ver);
			worst = worst > ISC_SEV_DEGRADED + 1 ? worst : ISC_SEV_DEGRADED + 1;
			fn(&f, ctx);
		}
	}
	for (k = 1; k < ISC_MAX_EXT; k++) {
		if (p->ext[k] < 0 || !a->ext_known || a->ext[k] < 0 || a->ext[k] == p->ext[k])
			continue;
		memset(&f, 0, sizeof(f));
		f.ext = k;
		f.sev = p->ext[k] ? ISC_SEV_DEGRADED : ISC_SEV_NOTE;
		snprintf(f.text, sizeof(f.text), "VFIO_CHECK_EXTENSION(%s): answered %d on %s, %d "
			 "here%s", abi__ext_name(k), p->ext[k], p->release, a->ext[k],
			 p->ext[k] ? ": the workload loses it" : "");
		worst = worst > (int)f.sev + 1 ? worst : (int)f.sev + 1;
		fn(&f, ctx);
	}
	return worst;
}

// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <json-c/json.h>
#include "abi.h"
#include "catalog_const.h"
#include "kernel.h"
#include "util.h"

char *abi__version_str(uint16_t version, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", (unsigned int)version >> 8, (unsigned int)version & 0xff);
	return buf;
}

uint16_t abi__parse_release(const char *release)
{
	unsigned long maj, min;
	char *end;

	if (!release || *release < '0' || *release > '9')
		return 0;
	errno = 0;
	maj = strtoul(release, &end, 10);
	if (errno || *end != '.' || end[1] < '0' || end[1] > '9')
		return 0;
	min = strtoul(end + 1, &end, 10);
	if (errno || maj > 255 || min > 255)
		return 0;
	return (uint16_t)ISC_VERSION(maj, min);
}

uint32_t abi__catalog_size(const struct isc_ioctl_desc *d, uint16_t version)
{
	uint32_t size = 0;
	size_t i;

	if (!version || version < d->since)
		return 0;
	if (!d->nr_sizes)
		return d->size;
	for (i = 0; i < d->nr_sizes; i++)
		if (d->sizes[i].since <= version)
			size = d->sizes[i].size;
	return size;
}

static void probe_extensions(struct isc_abi *a)
{
	int fd, i, r;

	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 1; i < ISC_MAX_EXT; i++) {
		r = ioctl(fd, ISC_CMD_VFIO_CHECK_EXTENSION, (unsigned long)i);
		a->ext[i] = (int8_t)(r < 0 ? -1 : r > 0);
	}
	a->ext_known = true;
	close(fd);
}

int abi__learn(struct isc_abi *a, const char *release, bool ext_probe)
{
	const struct isc_ioctl_desc *ds = catalog__ioctls(&a->nr);
	struct isc_btfs btfs;
	const char *where;
	struct btf *btf;
	size_t k;
	int id;

	a->version = abi__parse_release(release);
	memset(a->ext, -1, sizeof(a->ext));
	a->ext_known = false;
	free(a->size);
	free(a->size_src);
	a->size = calloc(a->nr, sizeof(*a->size));
	a->size_src = calloc(a->nr, sizeof(*a->size_src));
	if (!a->size || !a->size_src)
		return -ENOMEM;
	kernel__btfs_load(&btfs);
	for (k = 0; k < a->nr; k++) {
		const struct isc_ioctl_desc *d = &ds[k];

		if (d->struct_name) {
			/* "struct foo" -> "foo" */
			btf = kernel__btfs_find(&btfs, d->struct_name + 7, BTF_KIND_STRUCT, &id, &where);
			a->size[k] = btf ? (uint32_t)btf__resolve_size(btf, id) : 0;
			if (a->size[k]) {
				a->size_src[k] = ISC_SIZE_BTF;
				continue;
			}
		}
		a->size[k] = abi__catalog_size(d, a->version);
		a->size_src[k] = a->size[k] ? ISC_SIZE_CATALOG : ISC_SIZE_UNKNOWN;
	}
	kernel__btfs_free(&btfs);
	if (ext_probe)
		probe_extensions(a);
	return 0;
}

void abi__free(struct isc_abi *a)
{
	free(a->size);
	free(a->size_src);
	a->size = NULL;
	a->size_src = NULL;
}

uint32_t abi__size(const struct isc_abi *a, const struct isc_ioctl_desc *d)
{
	size_t nr, k;
	const struct isc_ioctl_desc *ds = catalog__ioctls(&nr);

	k = d - ds;
	if (!a->size || k >= a->nr)
		return abi__catalog_size(d, a->version);
	return a->size[k];
}

const char *abi__size_src_name(enum isc_size_src s)
{
	switch (s) {
	case ISC_SIZE_BTF:
		return "btf";
	case ISC_SIZE_CATALOG:
		return "catalog";
	default:
		return "unknown";
	}
}

bool abi__has_feature(const struct isc_abi *a, const struct isc_feature_desc *f)
{
	return !(f->since && a->version && f->since > a->version);
}

const char *abi__ext_name(int id)
{
	const struct isc_ext_desc *e = id > 0 && id < ISC_MAX_EXT ? catalog__ext(id) : NULL;

	return e ? e->name : NULL;
}

int abi__ext_by_name(const char *name)
{
	const struct isc_ext_desc *e = catalog__ext_by_name(name);

	return e && e->id > 0 && e->id < ISC_MAX_EXT ? e->id : -1;
}

/* ---- another host's ABI from its probe --json ---- */

static bool get(struct json_object *o, const char *k, enum json_type t, struct json_object **v)
{
	return json_object_object_get_ex(o, k, v) && *v && json_object_is_type(*v, t);
}

static int abi_from_probe(struct isc_abi *a, struct json_object *j, const char *path,
			  struct isc_probe_host *ph);

int abi__from_probe_file(struct isc_abi *a, const char *path, struct isc_probe_host *ph)
{
	struct json_object *j = json_object_from_file(path);
	int ret;

	if (!j) {
		isc_err("%s: not the output of 'iommuscope probe --json'", path);
		return -1;
	}
	ret = abi_from_probe(a, j, path, ph);
	json_object_put(j);
	return ret;
}

int abi__from_probe_buf(struct isc_abi *a, const char *buf, const char *name,
			struct isc_probe_host *ph)
{
	struct json_object *j = json_tokener_parse(buf);
	int ret;

	if (!j) {
		isc_err("%s: not the output of 'iommuscope probe --json'", name);
		return -1;
	}
	ret = abi_from_probe(a, j, name, ph);
	json_object_put(j);
	return ret;
}

bool abi__hostname_ok(const char *s)
{
	size_t n = 0, label = 0;

	for (; s[n]; n++) {
		bool alnum = isalnum((unsigned char)s[n]);

		if (s[n] == '.' && label && isalnum((unsigned char)s[n - 1]))
			label = 0;
		else if ((alnum || ((s[n] == '-' || s[n] == '_') && label)) && ++label <= 63)
			continue;
		else
			return false;
	}
	return n && n <= 253 && label && isalnum((unsigned char)s[n - 1]);
}

/* The probe's "hostname" (absent in older probes: ""). */
static int probe_hostname(struct json_object *j, const char *path, struct isc_probe_host *ph)
{
	struct json_object *v;

	ph->hostname[0] = 0;
	if (!json_object_object_get_ex(j, "hostname", &v) || !v)
		return 0;	/* an older probe, or a host with none */
	if (!json_object_is_type(v, json_type_string) ||
	    !abi__hostname_ok(json_object_get_string(v))) {
		isc_err("%s: \"hostname\" is not a host name (letters, digits, '-', '_', '.')", path);
		return -1;
	}
	snprintf(ph->hostname, sizeof(ph->hostname), "%s", json_object_get_string(v));
	return 0;
}

static int abi_from_probe(struct isc_abi *a, struct json_object *j, const char *path,
			  struct isc_probe_host *ph)
{
	struct json_object *v, *sizes = NULL, *ext;
	const struct isc_ioctl_desc *ds;
	size_t nr, k;
	int id;

	if (!j || !json_object_is_type(j, json_type_object) ||
	    !get(j, "kernel", json_type_string, &v)) {
		isc_err("%s: not the output of 'iommuscope probe --json'", path);
		return -1;
	}
	if (probe_hostname(j, path, ph))
		return -1;
	ds = catalog__ioctls(&nr);
	memset(a, 0, sizeof(*a));
	a->version = abi__parse_release(json_object_get_string(v));
	a->nr = nr;
	a->size = calloc(nr, sizeof(*a->size));
	a->size_src = calloc(nr, sizeof(*a->size_src));
	memset(a->ext, -1, sizeof(a->ext));
	if (!a->size || !a->size_src) {
		abi__free(a);
		return -1;
	}
	snprintf(ph->backend, sizeof(ph->backend), "%s",
		 get(j, "container_backend", json_type_string, &v) ? json_object_get_string(v) : "?");
	a->backend = !strcmp(ph->backend, "iommufd") ? ISC_BACKEND_IOMMUFD :
		     !strcmp(ph->backend, "vfio") ? ISC_BACKEND_VFIO : ISC_BACKEND_NONE;
	get(j, "struct_sizes", json_type_object, &sizes);
	for (k = 0; k < nr; k++) {
		struct json_object *e, *s;

		if (sizes && get(sizes, ds[k].name, json_type_object, &e) &&
		    get(e, "size", json_type_int, &s) && get(e, "source", json_type_string, &v) &&
		    !strcmp(json_object_get_string(v), "btf")) {
			a->size[k] = json_object_get_int(s);
			a->size_src[k] = ISC_SIZE_BTF;
		} else {
			a->size[k] = abi__catalog_size(&ds[k], a->version);
			a->size_src[k] = a->size[k] ? ISC_SIZE_CATALOG : ISC_SIZE_UNKNOWN;
		}
	}
	if (get(j, "extensions", json_type_object, &ext)) {
		a->ext_known = true;
		json_object_object_foreach(ext, name, val) {
			id = abi__ext_by_name(name);
			if (id > 0 && val && json_object_is_type(val, json_type_int))
				a->ext[id] = (int8_t)(json_object_get_int(val) > 0);
		}
	}
	return 0;
}

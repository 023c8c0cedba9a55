// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <bpf/btf.h>
#include "catalog.h"
#include "kernel.h"
#include "util.h"

#define MISC_MAJOR 10

static void list_add(char *list, size_t len, const char *item)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n ? "," : "", item);
}

static bool is_ours(const char *name)
{
	return !strncmp(name, "vfio", 4) || !strcmp(name, "iommufd");
}

/* "NUM NAME" lines of /proc/devices and /proc/misc. 0 if it is one. */
static int num_name(const char *line, unsigned int *num, char *name, size_t len)
{
	unsigned long v;
	char *end;
	size_t n;

	while (*line == ' ')
		line++;
	if (*line < '0' || *line > '9')
		return -1;
	errno = 0;
	v = strtoul(line, &end, 10);
	if (errno || v > UINT32_MAX || *end != ' ')
		return -1;
	while (*end == ' ')
		end++;
	n = strcspn(end, " \n");
	if (!n || n >= len)
		return -1;
	memcpy(name, end, n);
	name[n] = '\0';
	*num = (unsigned int)v;
	return 0;
}

/* "ADDR TYPE NAME [MODULE]" of /proc/kallsyms. 0 if it is one. */
static int kallsyms_line(const char *line, unsigned long long *addr, char *type, char *name,
			 size_t len)
{
	char *end;
	size_t n;

	errno = 0;
	*addr = strtoull(line, &end, 16);
	if (errno || end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return -1;
	*type = end[1];
	end += 3;
	n = strcspn(end, " \t\n");
	if (!n || n >= len)
		return -1;
	memcpy(name, end, n);
	name[n] = '\0';
	return 0;
}

static void add_cls(struct isc_kernel *k, enum isc_cls_by by, uint64_t key, uint8_t kind, const char *what)
{
	struct isc_classifier *c;
	int i;

	for (i = 0; i < k->nr_classifiers; i++) {
		if (k->cls[i].by == by && k->cls[i].key == key) {
			k->cls[i].kind = kind;
			return;
		}
	}
	if (k->nr_classifiers >= ISC_MAX_CLASSIFIERS)
		return;
	c = &k->cls[k->nr_classifiers++];
	memset(c, 0, sizeof(*c));
	c->by = by;
	c->key = key;
	c->kind = kind;
	snprintf(c->what, sizeof(c->what), "%s", what);
}

/*
 * One pass over /proc/kallsyms. The fops are data symbols, listed only with
 * CONFIG_KALLSYMS_ALL; the ioctl handlers are text and always listed, which
 * is how the container backend is told apart.
 */
/* Returns false when /proc/kallsyms could not be read at all. */
static bool scan_kallsyms(struct isc_kernel *k, bool *vfio_container_code, bool *iommufd_compat)
{
	static const struct {
		const char *sym;
		uint8_t kind;
	} fops[] = {
#define ISC_FOPS(sym, kind) { #sym, kind },
#include "fdkinds.def"
	};
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *f;
	size_t i;

	*vfio_container_code = *iommufd_compat = false;
	k->kallsyms_data = false;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (kallsyms_line(line, &addr, &type, name, sizeof(name)))
			continue;
		if (!k->kallsyms_data && (type == 'D' || type == 'd') && addr &&
		    !strcmp(name, "init_task"))
			k->kallsyms_data = true;
		if (!strstr(name, "vfio") && !strstr(name, "iommufd"))
			continue;
		if (!strcmp(name, "vfio_fops_unl_ioctl"))
			*vfio_container_code = true;
		else if (!strcmp(name, "iommufd_vfio_ioctl"))
			*iommufd_compat = true;
		if (!addr)
			continue;
		for (i = 0; i < ARRAY_SIZE(fops); i++) {
			if (strcmp(name, fops[i].sym))
				continue;
			add_cls(k, ISC_BY_FOPS, addr, fops[i].kind, fops[i].sym);
			k->kallsyms_data = true;
		}
	}
	fclose(f);
	return true;
}

static const struct {
	const char *name;
	uint8_t kind;
} chrdevs[] = {
#define ISC_CHRDEV(name, kind) { name, kind },
#include "fdkinds.def"
};

static const struct {
	const char *name;
	int minor;
	uint8_t kind;
} miscs[] = {
#define ISC_MISC(name, minor, kind) { name, minor, kind },
#include "fdkinds.def"
};

static const struct {
	const char *name;
	uint8_t kind;
} anons[] = {
#define ISC_ANON(name, kind) { name, kind },
#include "fdkinds.def"
};

/* Majors of char regions from /proc/devices, minors of misc devices;
 * 0 when both could be read. */
static int scan_devices(struct isc_kernel *k)
{
	char line[256], name[128], what[48];
	unsigned int num;
	bool chr = false;
	int ret = 0;
	size_t i;
	FILE *f;

	f = fopen("/proc/devices", "re");
	if (!f)
		ret = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character", 9))
			chr = true;
		else if (!strncmp(line, "Block", 5))
			chr = false;
		if (!chr || num_name(line, &num, name, sizeof(name)))
			continue;
		for (i = 0; i < ARRAY_SIZE(chrdevs); i++) {
			if (strcmp(name, chrdevs[i].name))
				continue;
			snprintf(what, sizeof(what), "chrdev %u %.24s", num, name);
			add_cls(k, ISC_BY_RDEV, ISC_MKDEV(num, ISC_RDEV_ANY_MINOR), chrdevs[i].kind,
				what);
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/misc", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (num_name(line, &num, name, sizeof(name)))
			continue;
		for (i = 0; i < ARRAY_SIZE(miscs); i++) {
			uint8_t kind = miscs[i].kind;

			if (strcmp(name, miscs[i].name) || (miscs[i].minor >= 0 && (int)num != miscs[i].minor))
				continue;
			/* the compat container where iommufd serves /dev/vfio/vfio */
			if (kind == ISC_FD_CONTAINER && k->backend == ISC_BACKEND_IOMMUFD)
				kind = ISC_FD_COMPAT;
			snprintf(what, sizeof(what), "misc %d:%u %.24s", MISC_MAJOR, num, name);
			add_cls(k, ISC_BY_RDEV, ISC_MKDEV(MISC_MAJOR, num), kind, what);
		}
	}
	fclose(f);
	return ret;
}

/* Anonymous-inode names: always, the kernel itself names these files. */
static void add_anons(struct isc_kernel *k)
{
	struct isc_classifier *c;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(anons) && k->nr_classifiers < ISC_MAX_CLASSIFIERS; i++) {
		c = &k->cls[k->nr_classifiers++];
		memset(c, 0, sizeof(*c));
		c->by = ISC_BY_ANON;
		c->kind = anons[i].kind;
		snprintf(c->anon.name, sizeof(c->anon.name), "%s", anons[i].name);
		snprintf(c->what, sizeof(c->what), "anon %s", anons[i].name);
	}
}

/* Without kallsyms text symbols, the BTF of vmlinux and the loaded
 * modules tells which code serves /dev/vfio/vfio. */
static void backend_by_btf(bool *vfio_container_code, bool *iommufd_compat)
{
	struct isc_btfs b;
	int id;

	kernel__btfs_load(&b);
	*vfio_container_code = kernel__btfs_find(&b, "vfio_fops_unl_ioctl", BTF_KIND_FUNC, &id,
						  NULL) != NULL;
	*iommufd_compat = kernel__btfs_find(&b, "iommufd_vfio_ioctl", BTF_KIND_FUNC, &id,
					    NULL) != NULL;
	kernel__btfs_free(&b);
}

const char *kernel__kind_ways(const struct isc_kernel *k, int kind, char *buf, size_t len)
{
	size_t n;
	int i;

	n = (size_t)snprintf(buf, len, "%s:", catalog__kind_name(kind));
	for (i = 0; i < k->nr_classifiers && n < len; i++)
		if (k->cls[i].kind == kind)
			n += (size_t)snprintf(buf + n, len - n, "%s %s", buf[n - 1] == ':' ? "" : ",",
					      k->cls[i].what);
	if (n < len && buf[n - 1] == ':')
		snprintf(buf + n, len - n, " %s", !k->devices_read ?
			 "NOTHING: /proc/devices or /proc/misc is unreadable" :
			 "nothing yet (no module serves it; recognised once one is loaded)");
	return buf;
}

bool kernel__same_classifiers(const struct isc_classifier *was, int nr, const struct isc_kernel *k)
{
	int i;

	if (nr != k->nr_classifiers)
		return false;
	for (i = 0; i < nr; i++)
		if (was[i].by != k->cls[i].by || was[i].key != k->cls[i].key ||
		    was[i].kind != k->cls[i].kind || strcmp(was[i].what, k->cls[i].what))
			return false;
	return true;
}

int kernel__kinds(const struct isc_kernel *k, int *kinds)
{
	int n = 0;

	kinds[n++] = k->backend == ISC_BACKEND_IOMMUFD ? ISC_FD_COMPAT : ISC_FD_CONTAINER;
	kinds[n++] = ISC_FD_GROUP;
	kinds[n++] = ISC_FD_DEVICE;
	kinds[n++] = ISC_FD_IOMMUFD;
	kinds[n++] = ISC_FD_MIG;
	return n;
}

/* Names, sizes and states of the loaded modules: not their use counts,
 * which any user moves by opening /dev/vfio/vfio. */
uint64_t kernel__modules_hash(void)
{
	char buf[65536];
	uint64_t h = 1469598103934665603ull;
	ssize_t n, i;
	int field = 0;

	n = read_text_file("/proc/modules", buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			field = 0;
		else if (c == ' ')
			field++;
		/* name size refcount deps state offset */
		if (field == 0 || field == 1 || field == 4 || c == '\n')
			h = (h ^ c) * 1099511628211ull;
	}
	return h;
}

int kernel__modules_watch(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };	/* the kernel's */
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT), err;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* "ACTION@DEVPATH\0KEY=VALUE\0...": a module's kobject is /module/NAME. */
bool kernel__modules_event(int fd)
{
	char buf[512];
	const char *at;
	bool seen = false;
	struct sockaddr_nl from;
	socklen_t len;
	ssize_t n;
	int i;

	/* at most 64 a call: a stream of uevents cannot hold the loop */
	for (i = 0; i < 64; i++) {
		len = sizeof(from);
		memset(&from, 0, sizeof(from));
		n = recvfrom(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return seen || errno == ENOBUFS;	/* ENOBUFS: some were lost */
		/* the kernel's own (port 0) only: not another process's */
		if (len >= sizeof(from) && from.nl_family == AF_NETLINK && from.nl_pid)
			continue;
		buf[n] = '\0';
		at = strchr(buf, '@');
		seen |= at && !strncmp(at + 1, "/module/", 8);
	}
	return seen;
}

static void scan_nodes(struct isc_kernel *k)
{
	struct dirent *de;
	DIR *d;

	k->dev_container = !access("/dev/vfio/vfio", F_OK);
	k->dev_iommufd = !access("/dev/iommu", F_OK);
	k->groups[0] = '\0';
	d = opendir("/dev/vfio");
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
			list_add(k->groups, sizeof(k->groups), de->d_name);
	closedir(d);
}

static void scan_modules(struct isc_kernel *k)
{
	char line[512], name[128];
	struct dirent *de;
	FILE *f;
	DIR *d;

	k->modules[0] = k->module_btf[0] = '\0';
	k->module_btf_any = false;
	f = fopen("/proc/modules", "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%127s", name) == 1 && is_ours(name))
				list_add(k->modules, sizeof(k->modules), name);
		fclose(f);
	}
	d = opendir("/sys/kernel/btf");
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		k->module_btf_any = true;
		if (is_ours(de->d_name))
			list_add(k->module_btf, sizeof(k->module_btf), de->d_name);
	}
	closedir(d);
}

void kernel__refresh(struct isc_kernel *k)
{
	bool container_code, compat;
	int i, n = 0;

	/* Keep user-added classifiers (--classify), drop the rest. */
	for (i = 0; i < k->nr_classifiers; i++)
		if (!strncmp(k->cls[i].what, "--classify", 10))
			k->cls[n++] = k->cls[i];
	k->nr_classifiers = n;
	scan_modules(k);
	/* kallsyms lists the names even under kptr_restrict; only where it
	 * cannot be read is BTF asked (parsing it takes seconds on a slow
	 * machine, too long for every module change) */
	if (!scan_kallsyms(k, &container_code, &compat))
		backend_by_btf(&container_code, &compat);
	scan_nodes(k);
	/* iommufd serves /dev/vfio/vfio only where VFIO's container code is
	 * not built (IOMMUFD_VFIO_CONTAINER needs VFIO_CONTAINER=n). By the
	 * code the kernel has, not by the node: a mount namespace without
	 * /dev/vfio/vfio must not turn the compat node into a container. */
	if (!container_code && compat)
		k->backend = ISC_BACKEND_IOMMUFD;
	else if (container_code || k->dev_container)
		k->backend = ISC_BACKEND_VFIO;
	else
		k->backend = ISC_BACKEND_NONE;
	k->devices_read = !scan_devices(k);
	add_anons(k);
}

void kernel__probe(struct isc_kernel *k)
{
	struct utsname u;
	char *p;

	memset(k, 0, sizeof(*k));
	if (!uname(&u)) {
		snprintf(k->release, sizeof(k->release), "%s", u.release);
		snprintf(k->hostname, sizeof(k->hostname), "%s", u.nodename);
	}
	k->vmlinux_btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	if (read_text_file("/sys/kernel/security/lsm", k->lsm, sizeof(k->lsm)) >= 0) {
		k->lsm_known = true;
		k->lsm[strcspn(k->lsm, "\n")] = '\0';
		for (p = strtok(strdupa(k->lsm), ","); p; p = strtok(NULL, ","))
			if (!strcmp(p, "bpf"))
				k->bpf_lsm = true;
	}
	kernel__refresh(k);
}

int kernel__kind_by_name(const char *name)
{
	int i;

	for (i = 1; i < ISC_FD_KIND_MAX; i++)
		if (!strcmp(name, catalog__kind_name(i)))
			return i;
	return -1;
}

int kernel__add_classify(struct isc_kernel *k, const char *spec)
{
	char path[256], what[48];
	const char *eq = strrchr(spec, '=');
	struct stat st;
	int kind;

	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(path)) {
		isc_err("--classify wants PATH=KIND, got '%s'", spec);
		return -EINVAL;
	}
	memcpy(path, spec, eq - spec);
	path[eq - spec] = '\0';
	kind = kernel__kind_by_name(eq + 1);
	if (kind < 0) {
		isc_err("--classify: unknown fd kind '%s' (container, compat-container, group, device, iommufd)",
			eq + 1);
		return -EINVAL;
	}
	if (stat(path, &st)) {
		isc_err("--classify: cannot stat %s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISCHR(st.st_mode)) {
		isc_err("--classify: %s is not a character device", path);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "--classify %.36s", path);
	add_cls(k, ISC_BY_RDEV, ISC_MKDEV(major(st.st_rdev), minor(st.st_rdev)), kind, what);
	return 0;
}

const char *kernel__backend_name(enum isc_backend b)
{
	switch (b) {
	case ISC_BACKEND_VFIO:
		return "vfio";
	case ISC_BACKEND_IOMMUFD:
		return "iommufd";
	default:
		return "none";
	}
}

void kernel__btfs_load(struct isc_btfs *b)
{
	struct dirent *de;
	DIR *d;

	memset(b, 0, sizeof(*b));
	b->btf[0] = btf__load_vmlinux_btf();
	if (!b->btf[0])
		return;
	snprintf(b->name[0], sizeof(b->name[0]), "vmlinux");
	b->nr = 1;
	d = opendir("/sys/kernel/btf");
	while (d && b->nr < ISC_MAX_BTFS && (de = readdir(d))) {
		if (!is_ours(de->d_name))
			continue;
		b->btf[b->nr] = btf__load_module_btf(de->d_name, b->btf[0]);
		if (!b->btf[b->nr])
			continue;
		snprintf(b->name[b->nr], sizeof(b->name[0]), "%.63s", de->d_name);
		b->nr++;
	}
	if (d)
		closedir(d);
}

void kernel__btfs_free(struct isc_btfs *b)
{
	/* modules first: their BTF is split on top of vmlinux's */
	while (b->nr > 0)
		btf__free(b->btf[--b->nr]);
}

struct btf *kernel__btfs_find(const struct isc_btfs *b, const char *name, int kind, int *id,
			      const char **where)
{
	int i, t;

	for (i = 0; i < b->nr; i++) {
		t = btf__find_by_name_kind(b->btf[i], name, kind);
		if (t > 0) {
			*id = t;
			if (where)
				*where = b->name[i];
			return b->btf[i];
		}
	}
	return NULL;
}

// SPDX-License-Identifier: GPL-2.0
/* Who a caller belongs to, from its cgroup path and QEMU's -name (vm.h,
 * iommuscope(8), VM NAMES). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "util.h"
#include "vm.h"

#define CGROUP2_SUPER_MAGIC	0x63677270
#define FILEID_KERNFS		0xfe	/* a cgroup2 handle: the 8-byte id */
#define CG_SLOTS		256
#define PID_SLOTS		1024

static const char *const source_names[ISC_VM_SOURCES] = {
	[ISC_VM_LIBVIRT] = "libvirt",
	[ISC_VM_KUBEVIRT] = "kubevirt",
	[ISC_VM_POD] = "pod",
	[ISC_VM_QEMU] = "qemu",
	[ISC_VM_SYSTEMD] = "systemd",
};

const char *vm__source_name(int source)
{
	return source > 0 && source < ISC_VM_SOURCES ? source_names[source] : NULL;
}

void vm__sanitize(const char *raw, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && raw[i]; i++) {
		unsigned char b = (unsigned char)raw[i];
		bool keep = b > 0x20 && b < 0x7f && b != '"' && b != '\\';

		if (o + (keep ? 1 : 4) >= size)
			break;
		if (keep) {
			out[o++] = (char)b;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[b >> 4];
		out[o++] = hex[b & 15];
	}
	if (size)
		out[o] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* systemd's unit name escaping undone (\xNN), n bytes of s into out. */
static void unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
			out[o++] = (char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* libvirt's machine name "qemu-ID-NAME" (or before libvirt 3.x,
 * "qemu-NAME"): NAME; with want_driver, NULL for another kind of machine
 * (systemd-nspawn's). */
static const char *libvirt_name(const char *m, bool want_driver)
{
	const char *p;

	if (!strncmp(m, "qemu-", 5))
		p = m + 5;
	else if (!strncmp(m, "lxc-", 4))
		p = m + 4;
	else
		return want_driver ? NULL : m;
	if (*p >= '0' && *p <= '9') {
		const char *q = p;

		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == '-' && q[1])
			p = q + 1;
	}
	return *p ? p : NULL;
}

/* One component's libvirt machine name into name; true if it is one:
 * "machine-qemu\x2dID\x2dNAME.scope" (systemd) or
 * "qemu-ID-NAME.libvirt-qemu" (cgroupfs; a leading '_' is libvirt's
 * escape of a name that looks like a controller file). */
static bool libvirt_component(const char *u, char *name, size_t size)
{
	char m[PATH_MAX];
	const char *n;
	size_t len = strlen(u);

	if (!strncmp(u, "machine-", 8) && ends_with(u, ".scope") && len > 14) {
		snprintf(m, sizeof(m), "%.*s", (int)(len - 14), u + 8);
		n = libvirt_name(m, true);
	} else if (ends_with(u, ".libvirt-qemu") || ends_with(u, ".libvirt-lxc")) {
		snprintf(m, sizeof(m), "%.*s", (int)(strrchr(u, '.') - u), u);
		n = libvirt_name(m[0] == '_' ? m + 1 : m, false);
	} else {
		return false;
	}
	if (!n || !*n)
		return false;
	vm__sanitize(n, strlen(n), name, size);
	return true;
}

/* A pod's UID from "kubepods[-QOS]-pod<UID with _>.slice" (systemd) or
 * "pod<UID>" (cgroupfs) into pod; true if it is one. */
static bool pod_component(const char *c, bool systemd, char *pod, size_t size)
{
	const char *p = systemd ? strstr(c, "-pod") : c;
	size_t i, n;

	if (!p || strncmp(p + (systemd ? 1 : 0), "pod", 3))
		return false;
	if (systemd && !ends_with(c, ".slice"))
		return false;
	p += systemd ? 4 : 3;
	n = strlen(p) - (systemd ? 6 : 0);
	if (!n || n >= size || n > 36)
		return false;
	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (ch == '_')
			ch = '-';
		else if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (hexval(ch) < 0 && ch != '-')
			return false;
		pod[i] = ch;
	}
	pod[n] = '\0';
	return true;
}

/* What one path component tells, into vm (kubepods: whether the path is
 * below kubepods, 1 systemd driver, 2 cgroupfs). */
static void cgroup_component(const char *c, int kubepods, struct isc_vm *vm, char *unit,
			     size_t usize)
{
	char u[PATH_MAX];

	unescape(c, strlen(c), u, sizeof(u));
	if (!vm->name[0] && libvirt_component(u, vm->name, sizeof(vm->name)))
		vm->source = ISC_VM_LIBVIRT;
	if (kubepods && !vm->pod[0])
		pod_component(c, kubepods == 1, vm->pod, sizeof(vm->pod));
	if (ends_with(c, ".service") || ends_with(c, ".scope"))
		vm__sanitize(c, strlen(c), unit, usize);
}

void vm__from_cgroup(const char *path, struct isc_vm *vm)
{
	vm__from_cgroup_trusted(path, -1, vm);
}

void vm__from_cgroup_trusted(const char *path, int trusted, struct isc_vm *vm)
{
	char comp[PATH_MAX], unit[ISC_VM_NAME_LEN] = "";
	int kubepods = 0, depth = 0;
	const char *p = path, *e;

	memset(vm, 0, sizeof(*vm));
	while (p && *p && (trusted < 0 || depth < trusted)) {
		while (*p == '/')
			p++;
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		if (e == p || (size_t)(e - p) >= sizeof(comp))
			break;
		snprintf(comp, sizeof(comp), "%.*s", (int)(e - p), p);
		if (!depth++)
			kubepods = !strcmp(comp, "kubepods.slice") ? 1 :
				   !strcmp(comp, "kubepods") ? 2 : 0;
		cgroup_component(comp, kubepods, vm, unit, sizeof(unit));
		p = e;
	}
	if (vm->pod[0] && vm->source == ISC_VM_LIBVIRT)
		vm->source = ISC_VM_KUBEVIRT;
	else if (vm->pod[0] && !vm->name[0]) {
		vm->source = ISC_VM_POD;
		snprintf(vm->name, sizeof(vm->name), "%s", vm->pod);
	} else if (!vm->name[0] && unit[0]) {
		vm->source = ISC_VM_SYSTEMD;
		memcpy(vm->name, unit, sizeof(unit));
	}
}

/* One element of a -name value (",," unescaped): the guest name if it is
 * the implied first one or guest=. */
static bool name_element(const char *el, bool first, char *out, size_t size)
{
	if (!strncmp(el, "guest=", 6))
		el += 6;
	else if (!first || strchr(el, '='))
		return false;
	if (!*el)
		return false;
	snprintf(out, size, "%s", el);
	return true;
}

/* QEMU's option syntax: elements split at ',', ",," a comma. */
static bool name_value(const char *v, char *out, size_t size)
{
	char el[ISC_VM_NAME_LEN * 2] = "";
	size_t n = 0;
	bool first = true;

	for (;; v++) {
		if (*v == ',' && v[1] == ',') {
			v++;
		} else if (*v == ',' || !*v) {
			el[n] = '\0';
			if (name_element(el, first, out, size))
				return true;
			if (!*v)
				return false;
			first = false;
			n = 0;
			continue;
		}
		if (n + 1 < sizeof(el))
			el[n++] = *v;
	}
}

bool vm__qemu_name(const char *cmdline, size_t len, char *out, size_t size)
{
	const char *a = cmdline, *end = cmdline + len, *base, *next;

	if (!len || cmdline[len - 1] != '\0')
		return false;	/* cut short: no argument can be trusted */
	base = strrchr(a, '/');
	if (strncmp(base ? base + 1 : a, "qemu", 4))
		return false;
	for (a += strlen(a) + 1; a < end; a = next) {
		next = a + strlen(a) + 1;
		if (!strcmp(a, "-name") || !strcmp(a, "--name")) {
			if (next >= end)
				return false;
			return name_value(next, out, size);
		}
		if (!strncmp(a, "-name=", 6) || !strncmp(a, "--name=", 7))
			return name_value(strchr(a, '=') + 1, out, size);
	}
	return false;
}

void vm__combine(struct isc_vm *vm, const char *qemu)
{
	char n[ISC_VM_NAME_LEN * 2];
	char *us;

	if (!qemu || !*qemu)
		return;
	snprintf(n, sizeof(n), "%s", qemu);
	if (vm->pod[0]) {
		/* virt-launcher's libvirt names the domain NAMESPACE_VMI (a
		 * namespace has no '_') */
		us = strchr(n, '_');
		if (us)
			*us = '/';
		vm->source = ISC_VM_KUBEVIRT;
	} else if (vm->source != ISC_VM_LIBVIRT) {
		vm->source = ISC_VM_QEMU;
	}
	vm__sanitize(n, strlen(n), vm->name, sizeof(vm->name));
}

bool vm__match(const struct isc_vm *vm, const char *want)
{
	return vm->source != ISC_VM_NONE && !strcmp(vm->name, want);
}

/* ---- the live resolver ---- */

struct cg_slot {
	uint64_t id;		/* 0: empty */
	struct isc_vm vm;
};

struct pid_slot {
	uint32_t pid;		/* 0: empty */
	uint64_t cgid;		/* of the last record: libvirt puts a QEMU's
				 * vCPU threads in cgroups of their own */
	bool root;		/* the process runs as root (euid 0) */
	char qemu[ISC_VM_NAME_LEN * 2];	/* its -name, raw; "" none */
	struct isc_vm cg;	/* what its cgroup said */
	struct isc_vm vm;	/* ... with its -name, where believed */
};

struct isc_vm_cache {
	char root[64];		/* the cgroup2 mount, "" if none */
	int root_fd;
	uint64_t reads;
	uint64_t walk_window_ns;	/* walk_path's second */
	long walk_dirs;			/* ... and directories read in it */
	struct cg_slot cg[CG_SLOTS];
	struct pid_slot pids[PID_SLOTS];
};

static bool is_cgroup2(const char *dir)
{
	struct statfs s;

	return !statfs(dir, &s) && s.f_type == CGROUP2_SUPER_MAGIC;
}

/* The first cgroup2 mount in /proc/self/mounts into root; 0 or -1. */
static int cgroup2_root(char *root, size_t size)
{
	char line[512], dir[256], type[32];
	FILE *f = fopen("/proc/self/mounts", "re");
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %31s", dir, type) == 2 && !strcmp(type, "cgroup2") &&
		    strlen(dir) < size && is_cgroup2(dir)) {
			snprintf(root, size, "%s", dir);
			ret = 0;
		}
	fclose(f);
	return ret;
}

struct isc_vm_cache *vm_cache__new(void)
{
	struct isc_vm_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->root_fd = -1;
	if (cgroup2_root(c->root, sizeof(c->root)))
		c->root[0] = '\0';	/* no cgroup2: the command line only */
	else
		c->root_fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return c;
}

void vm_cache__free(struct isc_vm_cache *c)
{
	if (!c)
		return;
	if (c->root_fd >= 0)
		close(c->root_fd);
	free(c);
}

uint64_t vm_cache__reads(const struct isc_vm_cache *c)
{
	return c ? c->reads : 0;
}

/* The process's cgroup2 path ("0::PATH") into path; 0 or -1. */
int vm__cgroup_line(const char *buf, size_t n, size_t cap, char *path, size_t size)
{
	const char *p, *q;

	if (!n || n >= cap - 1)
		return -1;	/* none, or more than was read: not trusted */
	/* the one "0::" line: on a hybrid host a cgroup v1 directory a user
	 * owns can be named "x\n0::/machine.slice/..." */
	p = strncmp(buf, "0::", 3) ? strstr(buf, "\n0::") : buf;
	if (!p)
		return -1;
	p += *p == '\n' ? 4 : 3;
	q = p + strcspn(p, "\n");
	if (*q && strstr(q, "\n0::"))
		return -1;
	snprintf(path, size, "%.*s", (int)(q - p), p);
	return 0;
}

static int proc_cgroup(struct isc_vm_cache *c, uint32_t pid, char *path, size_t size)
{
	char f[64], buf[4096];
	ssize_t n;

	snprintf(f, sizeof(f), "/proc/%u/cgroup", pid);
	c->reads++;
	n = read_text_file(f, buf, sizeof(buf));
	return n <= 0 ? -1 : vm__cgroup_line(buf, (size_t)n, sizeof(buf), path, size);
}

/* The id (inode number) of the cgroup at path; 0 if none. */
static uint64_t path_id(const struct isc_vm_cache *c, const char *path)
{
	char full[PATH_MAX + 64];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", c->root, path);
	return stat(full, &st) ? 0 : (uint64_t)st.st_ino;
}

/* The path of cgroup id through its kernfs handle (the process may have
 * moved or gone); 0 or -1. */
static int handle_path(struct isc_vm_cache *c, uint64_t id, char *path, size_t size)
{
	struct {
		struct file_handle h;
		uint64_t id;
	} fh = { .h = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS } };
	char link[64], target[PATH_MAX];
	size_t rl = strlen(c->root);
	ssize_t n;
	int fd;

	memcpy(fh.h.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->root_fd, &fh.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (n < (ssize_t)rl || strncmp(target, c->root, rl))
		return -1;
	target[n] = '\0';
	snprintf(path, size, "%s", target[rl] ? target + rl : "/");
	return 0;
}

#define WALK_MAX_DEPTH	16
#define WALK_MAX_DIRS	65536

/* The directory below dir (path: its name below the root, len bytes)
 * whose inode is id, depth first: bpftrace's cgroup_path walk, for a
 * process without CAP_DAC_READ_SEARCH (the exporter drops it) when the
 * caller has exited. true with path holding it; *budget bounds the walk. */
static bool walk_find(int dir, uint64_t id, char *path, size_t len, size_t size, int depth,
		      long *budget)
{
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d = fdopendir(dir);
	int sub;

	if (!d) {
		close(dir);
		return false;
	}
	while (!found && --*budget > 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + n + 2 > size)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, n + 1);
		if ((uint64_t)st.st_ino == id)
			found = true;
		else if (depth < WALK_MAX_DEPTH &&
			 (sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
			found = walk_find(sub, id, path, len + n + 1, size, depth + 1, budget);
	}
	closedir(d);
	return found;
}

/* At most WALK_MAX_DIRS directories a second in all: a user who can make
 * cgroups could otherwise have every record of theirs walk the tree in the
 * ring's reader. Over it: -EAGAIN, and the id is asked again later. */
static int walk_path(struct isc_vm_cache *c, uint64_t id, char *path, size_t size)
{
	uint64_t now = monotonic_ns();
	long budget;
	bool found;
	int fd;

	if (now - c->walk_window_ns >= 1000000000ull) {
		c->walk_window_ns = now;
		c->walk_dirs = 0;
	}
	if (c->walk_dirs >= WALK_MAX_DIRS)
		return -EAGAIN;
	budget = WALK_MAX_DIRS - c->walk_dirs;
	fd = openat(c->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	path[0] = '\0';
	found = fd >= 0 && walk_find(fd, id, path, 0, size, 0, &budget);
	c->walk_dirs = WALK_MAX_DIRS - budget;
	if (found)
		return 0;
	return budget > 0 ? -1 : -EAGAIN;
}

/*
 * How many leading components of path root made: the directories up to and
 * including the first one owned by another user (systemd's delegation,
 * user@UID.service: its name is systemd's, what is below it the user's).
 * A local user can create machine-qemu\x2d1\x2dprod.scope in a delegated
 * subtree; only names root gave are believed. -1: all of them.
 */
static int trusted_depth(const struct isc_vm_cache *c, const char *path)
{
	char full[PATH_MAX + 64];
	const char *p = path, *e;
	struct stat st;
	int n, depth = 0;

	n = snprintf(full, sizeof(full), "%s", c->root);
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		if (n + (e - p) + 2 > (int)sizeof(full))
			return depth;	/* cannot be looked at: not believed */
		n += snprintf(full + n, sizeof(full) - n, "/%.*s", (int)(e - p), p);
		depth++;
		if (stat(full, &st))
			return depth - 1;	/* gone: not believed */
		if (st.st_uid != 0)
			return depth;
		p = e;
	}
	return -1;
}

/* The cgroup's part, read once per id: pid's path if it is that cgroup,
 * else the handle's. known: the path already read (vm_cache__pid). */
static const struct isc_vm *cgroup_vm(struct isc_vm_cache *c, uint32_t pid, uint64_t id,
				      const char *known)
{
	struct cg_slot *s = &c->cg[(id * 0x9E3779B97F4A7C15ull) >> 56];
	char path[PATH_MAX];
	bool ok = known != NULL;
	int walked = -1;

	if (s->id == id)
		return &s->vm;
	s->id = id;
	if (known)
		snprintf(path, sizeof(path), "%s", known);
	else if (c->root_fd >= 0)
		ok = (!proc_cgroup(c, pid, path, sizeof(path)) && path_id(c, path) == id) ||
		     !handle_path(c, id, path, sizeof(path)) ||
		     (errno == EPERM && !(walked = walk_path(c, id, path, sizeof(path))));
	if (walked == -EAGAIN)
		s->id = 0;	/* over the walks' rate: not known yet, not cached */
	if (ok)
		vm__from_cgroup_trusted(path, trusted_depth(c, path), &s->vm);
	else
		memset(&s->vm, 0, sizeof(s->vm));
	return &s->vm;
}

/* A process's entry: its cgroup's part and its own -name. */
/* Does pid run as root, really: real and effective uid 0? A user can exec
 * a setuid-root program with QEMU's argv after their calls (its euid is 0
 * when the command line is read); the real uid stays theirs. */
static bool proc_root(uint32_t pid)
{
	char f[64], buf[2048], *u, *e;
	unsigned long ruid, euid;

	snprintf(f, sizeof(f), "/proc/%u/status", pid);
	if (read_text_file(f, buf, sizeof(buf)) <= 0 || !(u = strstr(buf, "\nUid:")))
		return false;
	ruid = strtoul(u + 5, &e, 10);
	if (e == u + 5)
		return false;
	u = e;
	euid = strtoul(u, &e, 10);
	return e != u && !ruid && !euid;
}

/* The process's -name (vm__qemu_name) into s->qemu, read once. */
static void pid_cmdline(struct isc_vm_cache *c, struct pid_slot *s)
{
	char f[64], buf[8192];
	ssize_t n;
	int fd;

	s->qemu[0] = '\0';
	snprintf(f, sizeof(f), "/proc/%u/cmdline", s->pid);
	c->reads++;
	fd = open(f, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || !vm__qemu_name(buf, (size_t)n, s->qemu, sizeof(s->qemu)))
		s->qemu[0] = '\0';
	s->root = proc_root(s->pid);
}

/*
 * Is a process's -name believed? Any process can call itself qemu and say
 * -name guest=prod: only root's, and those in the cgroups libvirt and the
 * kubelet make for a VM (root's directories), are.
 */
static bool qemu_believed(const struct pid_slot *s)
{
	return s->root || s->cg.source == ISC_VM_LIBVIRT || s->cg.pod[0];
}

/* Still the process the slot read? A pid reused in another cgroup is
 * another process, unless both cgroups are the same VM's (libvirt's
 * per-vCPU cgroups of one QEMU). A pid reused in the same cgroup is not
 * told apart: that cgroup's processes are one owner's. */
static bool same_process(const struct pid_slot *s, uint32_t pid, uint64_t cgid,
			 const struct isc_vm *cg)
{
	if (s->pid != pid || !pid)
		return false;
	if (s->cgid == cgid)
		return true;
	return s->cg.source == ISC_VM_LIBVIRT && cg->source == ISC_VM_LIBVIRT &&
	       !strcmp(s->cg.name, cg->name);
}

/* A process's entry for a record from cgroup cgid: the cgroup's part and
 * the process's own -name (read when the process is new to the slot). */
static const struct isc_vm *pid_fill(struct isc_vm_cache *c, struct pid_slot *s, uint32_t pid,
				     uint64_t cgid, const char *known)
{
	const struct isc_vm *cg = cgroup_vm(c, pid, cgid, known);
	bool same = same_process(s, pid, cgid, cg);

	s->pid = pid;
	s->cgid = cgid;
	s->cg = *cg;
	s->vm = *cg;
	if (!same)
		pid_cmdline(c, s);
	vm__combine(&s->vm, qemu_believed(s) ? s->qemu : NULL);
	return &s->vm;
}

static struct pid_slot *pid_slot(struct isc_vm_cache *c, uint32_t pid)
{
	return &c->pids[(pid * 2654435761u) % PID_SLOTS];
}

const struct isc_vm *vm_cache__get(struct isc_vm_cache *c, uint32_t pid, uint64_t cgid)
{
	struct pid_slot *s = pid_slot(c, pid);

	if (s->pid == pid && s->cgid == cgid && pid)
		return &s->vm;
	return pid_fill(c, s, pid, cgid, NULL);
}

const struct isc_vm *vm_cache__pid(struct isc_vm_cache *c, uint32_t pid)
{
	struct pid_slot *s = pid_slot(c, pid);
	char path[PATH_MAX];
	uint64_t id;

	if (s->pid == pid && pid)
		return &s->vm;
	if (c->root_fd < 0 || proc_cgroup(c, pid, path, sizeof(path)) ||
	    !(id = path_id(c, path)))
		return pid_fill(c, s, pid, 0, "");
	return pid_fill(c, s, pid, id, path);
}

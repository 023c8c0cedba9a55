/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who a caller belongs to: the VM (libvirt domain, KubeVirt VMI, QEMU
 * -name), the pod, or else the systemd unit, derived from the cgroup path
 * of the record's cgroup id and the process's command line, as the host
 * has them (iommuscope(8), VM NAMES). Resolved once per cgroup id (and
 * once per process for QEMU's -name) in bounded caches; never per call.
 *
 * A name is made safe once, here: bytes 0x21-0x7e stay except '"' and
 * '\', every other byte (space, control, non-ASCII, quote, backslash) is
 * written \xNN; at most ISC_VM_NAME_LEN - 1 bytes (an escape is never cut).
 * It can go into text, JSON and a Prometheus label as it is.
 */
#ifndef ISC_VM_H
#define ISC_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISC_VM_NAME_LEN	128
#define ISC_VM_POD_LEN	40	/* a pod UID: 36 characters */
/* " vm=NAME vm_source=SOURCE vm_pod=UID": the text fields at most */
#define ISC_VM_TEXT_LEN	(ISC_VM_NAME_LEN + ISC_VM_POD_LEN + 48)

enum isc_vm_source {
	ISC_VM_NONE,		/* nothing known: the fields are absent */
	ISC_VM_LIBVIRT,		/* libvirt machine scope (name: QEMU's -name if
				 * the caller is that QEMU, else the scope's) */
	ISC_VM_KUBEVIRT,	/* kubepods cgroup and QEMU -name guest=NS_VMI:
				 * name "NS/VMI", pod the pod UID */
	ISC_VM_POD,		/* kubepods cgroup: name and pod the pod UID */
	ISC_VM_QEMU,		/* QEMU -name outside libvirt and kubepods */
	ISC_VM_SYSTEMD,		/* the innermost .service or .scope */
	ISC_VM_SOURCES,
};

struct isc_vm {
	uint8_t source;			/* enum isc_vm_source */
	char name[ISC_VM_NAME_LEN];	/* "" with ISC_VM_NONE */
	char pod[ISC_VM_POD_LEN];	/* pod UID, "" if none */
};

/* "libvirt", "kubevirt", "pod", "qemu", "systemd"; NULL for none. */
const char *vm__source_name(int source);

/* A cgroup2 path ("/machine.slice/...", relative to the hierarchy's root)
 * into vm (cleared first). */
void vm__from_cgroup(const char *path, struct isc_vm *vm);
/* The same believing only the first trusted components (-1: all): those
 * root made (the live resolver stats them; what a user made below a
 * delegation names nothing). */
void vm__from_cgroup_trusted(const char *path, int trusted, struct isc_vm *vm);
/* The cgroup2 path of /proc/PID/cgroup's n bytes (read into a buffer of
 * cap) into path: its one "0::" line. -1 if there is none, more than one
 * (a v1 cgroup named with a newline), or the file did not fit. */
int vm__cgroup_line(const char *buf, size_t n, size_t cap, char *path, size_t size);
/* QEMU's guest name from /proc/PID/cmdline's len bytes (NUL-separated; the
 * first argument's base name must start with "qemu"): -name NAME or
 * -name guest=NAME[,...] (",," a comma), raw into out. true if found. */
bool vm__qemu_name(const char *cmdline, size_t len, char *out, size_t size);
/* Fold QEMU's guest name (raw, may be NULL) into what the cgroup said. */
void vm__combine(struct isc_vm *vm, const char *qemu);
/* raw (len bytes, up to a NUL) made safe as above into out. */
void vm__sanitize(const char *raw, size_t len, char *out, size_t size);

/* The live resolver: bounded, direct-mapped caches per cgroup id and per
 * process. NULL without memory. */
struct isc_vm_cache;
struct isc_vm_cache *vm_cache__new(void);
void vm_cache__free(struct isc_vm_cache *c);
/* The caller of a record: pid's process in cgroup cgid. Valid until the
 * next call; never NULL (source ISC_VM_NONE when nothing is known). */
const struct isc_vm *vm_cache__get(struct isc_vm_cache *c, uint32_t pid, uint64_t cgid);
/* The same for a process only (iommutop's rows): its cgroup read once. */
const struct isc_vm *vm_cache__pid(struct isc_vm_cache *c, uint32_t pid);
/* Cgroup paths and command lines read so far (tests: never per call). */
uint64_t vm_cache__reads(const struct isc_vm_cache *c);

/* Does vm match a -V NAME filter (exactly, as shown)? */
bool vm__match(const struct isc_vm *vm, const char *want);

#endif /* ISC_VM_H */

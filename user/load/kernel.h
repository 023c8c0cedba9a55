/* SPDX-License-Identifier: GPL-2.0 */
/* What the running kernel offers: BTF, LSMs, VFIO/iommufd nodes and the
 * facts used to classify their fds. */
#ifndef ISC_KERNEL_H
#define ISC_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

struct btf;
#include "events.h"

#define ISC_MAX_CLASSIFIERS 32

enum isc_backend {
	ISC_BACKEND_NONE,	/* no /dev/vfio/vfio */
	ISC_BACKEND_VFIO,	/* VFIO container code (type1) */
	ISC_BACKEND_IOMMUFD,	/* IOMMUFD_VFIO_CONTAINER */
};

enum isc_cls_by { ISC_BY_FOPS, ISC_BY_RDEV, ISC_BY_ANON };

/* One way to recognise a kind of fd (include/fdkinds.def): an f_op
 * address, a device number, or an anonymous-inode file's name. */
struct isc_classifier {
	enum isc_cls_by by;
	uint64_t key;		/* f_op address, or kernel dev_t */
	struct isc_anon_key anon;	/* ISC_BY_ANON: the name */
	uint8_t kind;		/* enum isc_fd_kind */
	char what[48];		/* "vfio_fops", "misc 10:196", ... */
};

struct isc_kernel {
	char release[65];
	char hostname[65];	/* uname's nodename: names the host in a fleet */
	bool vmlinux_btf;
	char module_btf[128];	/* vfio/iommufd modules with BTF, comma list */
	bool module_btf_any;	/* /sys/kernel/btf has any module entry */
	char modules[128];	/* vfio/iommufd modules loaded, comma list */
	char lsm[256];		/* active LSMs, "" if unknown */
	bool lsm_known;
	bool bpf_lsm;
	bool kallsyms_data;	/* data symbols in kallsyms (KALLSYMS_ALL) */
	bool devices_read;	/* /proc/devices and /proc/misc could be read */
	enum isc_backend backend;
	bool dev_container, dev_iommufd;
	char groups[128];	/* /dev/vfio/N, comma list */
	int nr_classifiers;
	struct isc_classifier cls[ISC_MAX_CLASSIFIERS];
};

/* Gather everything; never fails (unknowns are recorded as such). */
void kernel__probe(struct isc_kernel *k);
/* Re-read only what changes when modules come and go: classifiers, nodes. */
void kernel__refresh(struct isc_kernel *k);
/* How the files of kind are recognised here, as "device: anon
 * [vfio-device], chrdev 239 vfio-dev", or why nothing does. */
const char *kernel__kind_ways(const struct isc_kernel *k, int kind, char *buf, size_t len);
/* The kinds a file can have here (the container or the compat node, as
 * the backend is): at most ISC_FD_KIND_MAX into kinds; returns how many. */
int kernel__kinds(const struct isc_kernel *k, int *kinds);
/* The classifiers were these nr (a copy from before kernel__refresh). */
bool kernel__same_classifiers(const struct isc_classifier *was, int nr, const struct isc_kernel *k);
/* A hash of /proc/modules: it changes when modules come and go. */
uint64_t kernel__modules_hash(void);
/* A socket that turns readable when a module comes or goes (the kernel's
 * uevents, NETLINK_KOBJECT_UEVENT; no privilege needed), non-blocking; or
 * -errno. kernel__modules_event: read all that is queued; true if one of
 * them was a module's (or some were lost). Neither replaces the hash: a
 * module leaving is announced while /proc/modules still lists it. */
int kernel__modules_watch(void);
bool kernel__modules_event(int fd);
/* Add a classifier for an extra char device (for tests and odd setups):
 * "PATH=KIND". 0 or -errno with a message printed. */
int kernel__add_classify(struct isc_kernel *k, const char *spec);
const char *kernel__backend_name(enum isc_backend b);
/* Kind from its name as printed ("container", "group", ...), or -1. */
int kernel__kind_by_name(const char *name);
#define ISC_MAX_BTFS 16

/* vmlinux BTF and the BTF of the loaded vfio and iommufd modules, parsed
 * once and searched as often as needed. */
struct isc_btfs {
	int nr;				/* 0: no vmlinux BTF */
	struct btf *btf[ISC_MAX_BTFS];	/* [0] is vmlinux */
	char name[ISC_MAX_BTFS][64];	/* MODULE_NAME_LEN is 56 */
};

void kernel__btfs_load(struct isc_btfs *b);
void kernel__btfs_free(struct isc_btfs *b);
/* The BTF holding a type of this name and kind, or NULL; its id and the
 * BTF's name ("vmlinux" or the module) when found. */
struct btf *kernel__btfs_find(const struct isc_btfs *b, const char *name, int kind, int *id,
			      const char **where);

#endif /* ISC_KERNEL_H */

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ioctl.skel.h"
#include "iommu.skel.h"
#include "top.skel.h"
#include "abi.h"
#include "catalog_map.h"
#include "catalog.h"
#include "loader.h"
#include "util.h"

enum isc_obj { ISC_OBJ_IOCTL, ISC_OBJ_IOMMU };

/* The columns of include/hooks.def's rows; its fentry hooks are those of
 * the fops handlers (include/handlers.def). */
static const struct {
	enum isc_obj obj;
	const char *name;	/* role: tracepoint, lsm, fentry, bind, ... */
	const char *target;
	const char *btf_func;	/* must exist in BTF to be tried */
	const char *tp_event;	/* must exist in tracefs to be tried */
	int choice;		/* >0: only the first working hook of the group */
} hooks[ISC_HK_MAX] = {
#define ISC_HOOK(id, obj, role, target, btf_func, tp_event, choice, ...)	\
	[ISC_HK_##id] = { ISC_OBJ_##obj, role, target, btf_func, tp_event, choice },
#define ISC_HANDLER(func, kind, id)						\
	[ISC_HK_FENTRY_##id] = { ISC_OBJ_IOCTL, "fentry", #func, #func, NULL, 0 },
#include "hooks.def"
};

/* The ioctl object's rows come first (ISC_HK_IOMMU_FIRST counts them). */
#define ISC_HOOK(id, obj, ...)							\
	_Static_assert((ISC_OBJ_##obj == ISC_OBJ_IOMMU) == (ISC_HK_##id >= ISC_HK_IOMMU_FIRST), \
		       "include/hooks.def: " #id " out of order");
#define ISC_HANDLER(func, kind, id)						\
	_Static_assert(ISC_HK_FENTRY_##id < ISC_HK_IOMMU_FIRST, #func " out of order");
#include "hooks.def"

/*
 * Each hook's programs (one or two), by name: the names come from the
 * same rows as the static asserts below, which make a program the table
 * names but the object lacks a build error. The top object has the ioctl
 * object's programs (same names, same roles). NULL: no second one.
 */
static const char *const hook_progs[ISC_HK_MAX][2] = {
#define ISC_HOOK1(id, obj, role, target, btf_func, tp_event, choice, prog)	\
	[ISC_HK_##id] = { #prog, NULL },
#define ISC_HOOK2(id, obj, role, target, btf_func, tp_event, choice, prog, prog2) \
	[ISC_HK_##id] = { #prog, #prog2 },
#define ISC_HANDLER(func, kind, id)						\
	[ISC_HK_FENTRY_##id] = { #func "_fentry", #func "_fexit" },
#include "hooks.def"
};

/* Every program hook_progs names is in its object's skeleton (IOCTL rows:
 * the ioctl and the top object's), checked at compile time. */
#define SKEL_IOCTL	struct ioctl_bpf
#define SKEL2_IOCTL	struct top_bpf
#define SKEL_IOMMU	struct iommu_bpf
#define SKEL2_IOMMU	struct iommu_bpf
#define ISC_HOOK2(id, obj, role, target, btf_func, tp_event, choice, prog, prog2) \
	_Static_assert(offsetof(SKEL_##obj, progs.prog) < sizeof(SKEL_##obj) &&	\
		       offsetof(SKEL2_##obj, progs.prog) < sizeof(SKEL2_##obj) &&	\
		       offsetof(SKEL_##obj, progs.prog2) < sizeof(SKEL_##obj) &&	\
		       offsetof(SKEL2_##obj, progs.prog2) < sizeof(SKEL2_##obj),	\
		       #id ": " #prog ", " #prog2 " in the " #obj " object");
#define ISC_HOOK1(id, obj, role, target, btf_func, tp_event, choice, prog)	\
	_Static_assert(offsetof(SKEL_##obj, progs.prog) < sizeof(SKEL_##obj) &&	\
		       offsetof(SKEL2_##obj, progs.prog) < sizeof(SKEL2_##obj),	\
		       #id ": " #prog " in the " #obj " object");
#define ISC_HANDLER(func, kind, id)						\
	_Static_assert(offsetof(SKEL_IOCTL, progs.func##_fentry) < sizeof(SKEL_IOCTL) &&	\
		       offsetof(SKEL_IOCTL, progs.func##_fexit) < sizeof(SKEL_IOCTL) &&	\
		       offsetof(SKEL2_IOCTL, progs.func##_fentry) < sizeof(SKEL2_IOCTL) &&	\
		       offsetof(SKEL2_IOCTL, progs.func##_fexit) < sizeof(SKEL2_IOCTL),	\
		       #func "_fentry, _fexit in the IOCTL objects");
#include "hooks.def"
/* tp_entry_pick's other entry program (bpf/common.bpf.h ISC_TP_ENTER_PROGS) */
#define TP_ENTER_TYPED		tp_enter_ioctl_btf
#define STRINGIFY(...)		#__VA_ARGS__
#define PROG_NAME(...)		STRINGIFY(__VA_ARGS__)
_Static_assert(offsetof(struct ioctl_bpf, progs.TP_ENTER_TYPED) < sizeof(struct ioctl_bpf) &&
	       offsetof(struct top_bpf, progs.TP_ENTER_TYPED) < sizeof(struct top_bpf),
	       "the typed tracepoint entry in the IOCTL objects");

static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && isc_verbose < 2)
		return 0;
	if (libbpf_quiet && !isc_verbose)
		return 0;
	if (level != LIBBPF_WARN && !isc_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void loader__quiet(bool quiet)
{
	libbpf_set_print(libbpf_print);
	libbpf_quiet = quiet;
}

const char *loader__hook_name(enum isc_hook_id id)
{
	return hooks[id].name;
}

const char *loader__hook_target(enum isc_hook_id id)
{
	return hooks[id].target;
}

const char *loader__mode_name(enum isc_mode m)
{
	switch (m) {
	case ISC_MODE_FULL:
		return "full";
	case ISC_MODE_TRACEPOINT:
		return "tracepoint";
	default:
		return "auto";
	}
}

/* The objects a session or a probe holds: the ioctl hooks' object (the
 * tracing one, or the counting one of bpf/top.bpf.c, never both) and the
 * IOMMU core's. */
struct isc_objs {
	struct ioctl_bpf *ioctl;
	struct top_bpf *top;
	struct iommu_bpf *iommu;
};

/* A loaded and attached session: its objects and what was chosen. */
struct isc_session {
	struct isc_objs objs;
	enum isc_mode mode;
	bool lsm_entry;
	int stats_fd;
	int bpf_stats_fd;	/* BPF_ENABLE_STATS, held for the session; -1 */
	int bpf_stats_other;	/* on by someone else's fd when first asked
				 * (loader__bpf_stats); -1: not asked yet, 0
				 * with --bpf-stats (its own fd or the sysctl) */
};

/* The object holding which's hooks (ISC_OBJ_IOCTL: tracing or counting),
 * NULL if not open. */
static struct bpf_object *objs_obj(const struct isc_objs *o, enum isc_obj which)
{
	if (which == ISC_OBJ_IOMMU)
		return o->iommu ? o->iommu->obj : NULL;
	if (o->top)
		return o->top->obj;
	return o->ioctl ? o->ioctl->obj : NULL;
}

static void objs_destroy(struct isc_objs *o)
{
	iommu_bpf__destroy(o->iommu);
	ioctl_bpf__destroy(o->ioctl);
	top_bpf__destroy(o->top);
	memset(o, 0, sizeof(*o));
}

/* A map of obj by name (NULL-safe); its fd, or <0. */
static int obj_map_fd(struct bpf_object *obj, const char *name)
{
	return bpf_map__fd(obj ? bpf_object__find_map_by_name(obj, name) : NULL);
}

/* A program the table names (in the object: checked at build time). */
static struct bpf_program *obj_prog(struct bpf_object *obj, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);

	if (!prog)
		isc_err("internal error: BPF object %s has no program %s",
			bpf_object__name(obj), name);
	return prog;
}

/* Exactly the wanted hooks' programs of one object on; obj may be NULL.
 * Program names are per role, so the top object (same names as the ioctl
 * object) takes the ioctl object's hooks. 0, or -ENOENT if the object
 * lacks a program (the error printed). */
static int enable_progs(struct bpf_object *obj, enum isc_obj which, const bool *want)
{
	struct bpf_program *prog;
	int i, j;

	if (!obj)
		return 0;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < ISC_HK_MAX; i++) {
		if (!want[i] || hooks[i].obj != which)
			continue;
		for (j = 0; j < 2 && hook_progs[i][j]; j++) {
			prog = obj_prog(obj, hook_progs[i][j]);
			if (!prog)
				return -ENOENT;
			bpf_program__set_autoload(prog, true);
		}
	}
	return 0;
}

/*
 * Tracepoint mode has two entry programs of one role: tp_enter_ioctl reads
 * the struct file with probe reads, tp_enter_ioctl_btf with plain loads
 * through bpf_rdonly_cast where the kernel has it (6.2+; it saves five
 * helper calls a VFIO ioctl). Turn on the one that fits, or neither where
 * the LSM program is the entry (5.10 full mode).
 */
static int tp_entry_pick(struct bpf_object *obj, bool typed, bool lsm_entry)
{
	struct bpf_program *plain, *btf;
	bool on;

	if (!obj)
		return 0;
	plain = obj_prog(obj, hook_progs[ISC_HK_TP][0]);	/* the TP row's entry */
	btf = obj_prog(obj, PROG_NAME(TP_ENTER_TYPED));
	if (!plain || !btf)
		return -ENOENT;
	on = bpf_program__autoload(plain) && !lsm_entry;
	bpf_program__set_autoload(plain, on && !typed);
	bpf_program__set_autoload(btf, on && typed);
	return 0;
}

/* Tracepoint programs may call bpf_task_storage_get (probed once). */
bool loader__task_slots(void)
{
	static int ok = -1;

	if (ok < 0 && getenv("ISC_NO_TASK_SLOTS"))
		ok = 0;
	if (ok < 0)
		ok = libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_storage_get,
					     NULL) == 1;
	return ok;
}

/*
 * A global of obj's .rodata, found by name in the object's BTF: the same
 * memory as a skeleton's rodata, for whichever object it is (every object
 * has the variables of common.bpf.h and inflight.bpf.h). NULL unless the
 * variable is there with this size.
 */
static void *rodata_var(struct bpf_object *obj, const char *name, size_t size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *v;
	size_t len = 0;
	char *data;
	int id, i;

	if (!map || !btf)
		return NULL;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	data = (char *)bpf_map__initial_value(map, &len);
	if (id < 0 || !data)
		return NULL;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		v = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, v->name_off), name))
			continue;
		return vs->size == size && vs->offset + size <= len ? data + vs->offset : NULL;
	}
	return NULL;
}

/*
 * Where an object's in-flight slots live (bpf/inflight.bpf.h): the task's
 * storage where tracepoint programs may use it, else the LRU hash. The map
 * not used is made the smallest the kernel creates (task storage does not
 * exist before 5.11: an array stands in). obj may be NULL.
 */
static int slots_setup(struct bpf_object *obj)
{
	struct bpf_map *inflight, *slots;
	bool *use;

	if (!obj)
		return 0;
	use = rodata_var(obj, "use_task_slots", sizeof(bool));
	inflight = bpf_object__find_map_by_name(obj, "inflight");
	slots = bpf_object__find_map_by_name(obj, "task_slots");
	if (!use || !inflight || !slots)
		return -ENOENT;
	*use = loader__task_slots();
	if (*use)
		return bpf_map__set_max_entries(inflight, 1);
	return bpf_map__set_type(slots, BPF_MAP_TYPE_ARRAY) ?: bpf_map__set_map_flags(slots, 0) ?:
	       bpf_map__set_max_entries(slots, 1);
}

/* The byte offset of a pointer member of a struct in the kernel's BTF
 * (vmlinux or a VFIO/iommufd module's), -1 if there is none. */
static int32_t btf_ptr_member(const struct isc_btfs *b, const char *type, const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	struct btf *btf;
	int id, i;

	btf = kernel__btfs_find(b, type, BTF_KIND_STRUCT, &id, NULL);
	if (!btf)
		return -1;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), member))
			continue;
		if (btf_member_bitfield_size(t, i) ||
		    !btf_is_ptr(btf__type_by_id(btf, btf__resolve_type(btf, m->type))))
			return -1;
		return (int32_t)(btf_member_bit_offset(t, i) / 8);
	}
	return -1;
}

/* 5.10-5.12 have no module BTF: the BPF side tells their two layouts of
 * struct vfio_device apart (bpf/common.bpf.h vfio_file_dev). */
static int32_t legacy_dev_off(void)
{
	unsigned long ma, mi;
	struct utsname u;
	char *end;

	if (uname(&u))
		return ISC_VFIO_OFF_NONE;
	ma = strtoul(u.release, &end, 10);
	if (*end != '.')
		return ISC_VFIO_OFF_NONE;
	mi = strtoul(end + 1, &end, 10);
	return ma == 5 && mi >= 10 && mi < 13 ? ISC_VFIO_OFF_GUESS : ISC_VFIO_OFF_NONE;
}

void loader__vfio_layout(struct isc_vfio_layout *l)
{
	struct isc_btfs b;

	kernel__btfs_load(&b);
	l->device_dev_off = btf_ptr_member(&b, "vfio_device", "dev");
	l->df_device_off = l->device_dev_off >= 0 ?
			   btf_ptr_member(&b, "vfio_device_file", "device") : -1;
	kernel__btfs_free(&b);
	if (l->device_dev_off < 0)
		l->device_dev_off = legacy_dev_off();
}

/* The objects that name devices (every one with common.bpf.h) */
static void vfio_layout_set(struct bpf_object *obj, const struct isc_vfio_layout *l)
{
	int32_t *df = rodata_var(obj, "vfio_df_device_off", sizeof(*df));
	int32_t *dev = rodata_var(obj, "vfio_device_dev_off", sizeof(*dev));

	if (df && dev) {
		*df = l->df_device_off;
		*dev = l->device_dev_off;
	}
}

/* The load-time filters, the same in every object (common.bpf.h); obj
 * may be NULL. */
static int filters_set(struct bpf_object *obj, const struct isc_loader_opts *o)
{
	uint32_t *tgid, *self, *dev;
	uint64_t *ino;
	bool *comm_set;
	char *comm;

	if (!obj)
		return 0;
	tgid = rodata_var(obj, "targ_tgid", sizeof(*tgid));
	self = rodata_var(obj, "self_tgid", sizeof(*self));
	ino = rodata_var(obj, "targ_exe_ino", sizeof(*ino));
	dev = rodata_var(obj, "targ_exe_dev", sizeof(*dev));
	comm_set = rodata_var(obj, "targ_comm_set", sizeof(*comm_set));
	comm = rodata_var(obj, "targ_comm", ISC_COMM_LEN);
	if (!tgid || !self || !ino || !dev || !comm_set || !comm)
		return -ENOENT;
	*tgid = o->tgid;
	*self = getpid();
	*ino = o->exe_ino;
	*dev = o->exe_dev;
	if (o->comm) {
		*comm_set = true;
		strncpy(comm, o->comm, ISC_COMM_LEN - 1);
	}
	return 0;
}

/* Ring buffer sizes: the counting object writes no records (the smallest
 * buffer), the others ringbuf_bytes (0: as built). */
static void objs_size_rings(struct isc_objs *o, uint32_t ringbuf_bytes)
{
	if (o->top)
		bpf_map__set_max_entries(o->top->maps.events, 4096);
	else if (ringbuf_bytes && o->ioctl)
		bpf_map__set_max_entries(o->ioctl->maps.events, ringbuf_bytes);
	if (ringbuf_bytes && o->iommu)
		bpf_map__set_max_entries(o->iommu->maps.events, ringbuf_bytes);
}

/* How objs_open opens: a probe of one hook, a tracing or a counting
 * session. */
enum isc_open { ISC_OPEN_PROBE, ISC_OPEN_TRACE, ISC_OPEN_COUNT };

/*
 * Open the objects the wanted hooks live in, with exactly those programs
 * enabled, the in-flight slots placed and the ring buffers sized. A
 * session always has the ioctl hooks' object (the counting one for
 * ISC_OPEN_COUNT), whose maps the iommu object reuses; a probe of one hook
 * opens only that hook's object. *failed: the object that did not open.
 */
static int objs_open(struct isc_objs *o, const bool *want, uint32_t ringbuf_bytes,
		     enum isc_open how, enum isc_obj *failed)
{
	bool need[2] = { how != ISC_OPEN_PROBE, false };
	int i, k, err;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < ISC_HK_MAX; i++)
		if (want[i])
			need[hooks[i].obj] = true;
	*failed = ISC_OBJ_IOCTL;
	if (need[ISC_OBJ_IOCTL] && how == ISC_OPEN_COUNT && !(o->top = top_bpf__open()))
		goto fail;
	if (need[ISC_OBJ_IOCTL] && how != ISC_OPEN_COUNT && !(o->ioctl = ioctl_bpf__open()))
		goto fail;
	*failed = ISC_OBJ_IOMMU;
	if (need[ISC_OBJ_IOMMU] && !(o->iommu = iommu_bpf__open()))
		goto fail;
	for (k = 0; k < 2; k++) {
		err = enable_progs(objs_obj(o, k), k, want) ?: slots_setup(objs_obj(o, k));
		if (err) {
			*failed = k;
			objs_destroy(o);
			return err;
		}
	}
	objs_size_rings(o, ringbuf_bytes);
	return 0;
fail:
	err = -errno;
	objs_destroy(o);
	return err;
}

static int reuse_map(struct bpf_object *dst, struct bpf_object *src, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(dst, name);

	return map ? bpf_map__reuse_fd(map, obj_map_fd(src, name)) : -ENOENT;
}

/* The maps the iommu object shares with the ioctl or top object (common.bpf.h,
 * inflight.bpf.h): one set of counters, slots and classifiers; with the
 * tracing object, its ring buffer too. */
static int reuse_shared(struct bpf_object *dst, struct bpf_object *src, bool events)
{
	static const char *const names[] = {
		"stats", "inflight", "task_slots", "inflight_nr",
		"fops_kinds", "rdev_kinds", "anon_kinds", "map_stats",
	};
	size_t i;
	int err;

	if (events) {
		err = reuse_map(dst, src, "events");
		if (err)
			return err;
	}
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		err = reuse_map(dst, src, names[i]);
		if (err)
			return err;
	}
	return 0;
}

static int objs_load(struct isc_objs *o)
{
	int err = 0;

	if (o->top)
		err = top_bpf__load(o->top);
	else if (o->ioctl)
		err = ioctl_bpf__load(o->ioctl);
	if (err || !o->iommu)
		return err;
	if (o->top || o->ioctl) {
		err = reuse_shared(o->iommu->obj, objs_obj(o, ISC_OBJ_IOCTL), !o->top);
		if (err)
			return err;
	}
	return iommu_bpf__load(o->iommu);
}

static int objs_attach(struct isc_objs *o)
{
	int err = 0;

	if (o->top)
		err = top_bpf__attach(o->top);
	else if (o->ioctl)
		err = ioctl_bpf__attach(o->ioctl);
	if (!err && o->iommu)
		err = iommu_bpf__attach(o->iommu);
	return err;
}

static void explain(struct isc_hook_result *r, int err, const char *what)
{
	r->err = err;
	if (err == -EPERM || err == -EACCES)
		snprintf(r->reason, sizeof(r->reason),
			 "%s refused: %s (kernel or security policy forbids this program type)",
			 what, strerror(-err));
	else
		snprintf(r->reason, sizeof(r->reason), "%s failed: %s", what, strerror(-err));
}

static void probe_one(struct isc_probe *p, const struct isc_btfs *btfs, int id)
{
	struct isc_hook_result *r = &p->hooks[id];
	bool want[ISC_HK_MAX] = {};
	const char *where = NULL;
	enum isc_obj failed;
	struct isc_objs o;
	char path[128];
	int err, type_id;

	memset(r, 0, sizeof(*r));
	if (hooks[id].tp_event) {
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", hooks[id].tp_event);
		if (access(path, F_OK)) {
			snprintf(r->reason, sizeof(r->reason), "no tracepoint %s (tracefs: %s)",
				 hooks[id].tp_event, strerror(errno));
			return;
		}
		snprintf(r->module, sizeof(r->module), "vmlinux");
	}
	if (hooks[id].btf_func &&
	    kernel__btfs_find(btfs, hooks[id].btf_func, BTF_KIND_FUNC, &type_id, &where))
		snprintf(r->module, sizeof(r->module), "%s", where);
	else if (hooks[id].btf_func) {
		if (id == ISC_HK_LSM)
			snprintf(r->reason, sizeof(r->reason), "kernel built without CONFIG_BPF_LSM");
		else if (hooks[id].obj == ISC_OBJ_IOCTL && p->kernel.modules[0] &&
			 !p->kernel.module_btf_any)
			snprintf(r->reason, sizeof(r->reason),
				 "no module BTF on this kernel: module functions cannot be traced");
		else
			snprintf(r->reason, sizeof(r->reason),
				 "%s not in the BTF of vmlinux or any loaded module (%s)",
				 hooks[id].btf_func,
				 hooks[id].obj == ISC_OBJ_IOCTL ? "module not loaded?" :
								  "not in this kernel era or inlined");
		return;
	}
	r->present = true;
	want[id] = true;
	err = objs_open(&o, want, 4096, ISC_OPEN_PROBE, &failed);
	if (err) {
		explain(r, err, "open");
		return;
	}
	err = id == ISC_HK_TP ? tp_entry_pick(o.ioctl->obj, p->tp_typed, false) : 0;
	err = err ?: objs_load(&o);
	if (err) {
		explain(r, err, "load");
		goto out;
	}
	r->loaded = true;
	err = objs_attach(&o);
	if (err) {
		explain(r, err, "attach");
		goto out;
	}
	r->attached = true;
	if (id == ISC_HK_LSM && !p->kernel.bpf_lsm) {
		snprintf(r->reason, sizeof(r->reason),
			 "loads, but BPF LSM is not active (%s): boot with lsm=...,bpf",
			 p->kernel.lsm_known ? p->kernel.lsm : "LSM list unknown");
		r->attached = false;
	}
out:
	objs_destroy(&o);
}

void loader__probe(struct isc_probe *p)
{
	struct isc_btfs btfs;
	bool fentry_any = false, fentry_fail = false;
	const char *why = "";
	int i;

	kernel__probe(&p->kernel);
	kernel__btfs_load(&btfs);
	loader__quiet(true);
	p->tp_typed = kernel__btfs_find(&btfs, "bpf_rdonly_cast", BTF_KIND_FUNC, &i, NULL);
	for (i = 0; i < ISC_HK_MAX; i++)
		probe_one(p, &btfs, i);
	if (p->tp_typed && !p->hooks[ISC_HK_TP].loaded) {
		/* the kfunc is there but not for tracepoints: the plain reads */
		p->tp_typed = false;
		probe_one(p, &btfs, ISC_HK_TP);
	}
	loader__quiet(false);
	kernel__btfs_free(&btfs);

	/* IOMMU-core hooks: every one that works, but only the first of a
	 * choice group (alternatives for one role in different eras). */
	for (i = ISC_HK_IOMMU_FIRST; i < ISC_HK_MAX; i++) {
		int j;

		p->hooks[i].used = p->hooks[i].attached;
		for (j = ISC_HK_IOMMU_FIRST; j < i && hooks[i].choice; j++)
			if (hooks[j].choice == hooks[i].choice && p->hooks[j].used)
				p->hooks[i].used = false;
	}

	p->tp_ok = p->hooks[ISC_HK_TP].attached;
	for (i = ISC_HK_FENTRY_CONTAINER; i <= ISC_HK_FENTRY_IOMMUFD; i++) {
		if (!p->hooks[i].present)
			continue;
		if (p->hooks[i].attached)
			fentry_any = true;
		else
			fentry_fail = true;
	}
	p->full_uses_lsm = false;
	if (fentry_any && !fentry_fail) {
		p->full_ok = true;
	} else if (p->hooks[ISC_HK_LSM].attached && p->tp_ok) {
		p->full_ok = true;
		p->full_uses_lsm = true;
	} else {
		p->full_ok = false;
		if (fentry_fail)
			why = "fentry on the VFIO handlers does not load here";
		else
			why = "no VFIO/iommufd handler to trace (modules not loaded)";
	}
	if (p->full_ok) {
		p->mode = ISC_MODE_FULL;
		snprintf(p->mode_reason, sizeof(p->mode_reason), "%s",
			 p->full_uses_lsm ? "lsm/file_ioctl entry, sys_exit_ioctl exit" :
					    "fentry/fexit on the fops ioctl handlers");
	} else if (p->tp_ok) {
		p->mode = ISC_MODE_TRACEPOINT;
		snprintf(p->mode_reason, sizeof(p->mode_reason),
			 "full unavailable: %s%s", why,
			 p->hooks[ISC_HK_LSM].attached ? "" : ", and lsm/file_ioctl does not attach");
	} else {
		p->mode = ISC_MODE_AUTO;	/* nothing works */
		snprintf(p->mode_reason, sizeof(p->mode_reason), "no hook set works here: %s",
			 p->hooks[ISC_HK_TP].reason);
	}
}

/* The key classifier c has in the map of its kind (NULL: not that map). */
static const void *cls_key(const struct isc_classifier *c, enum isc_cls_by by, uint32_t *rdev)
{
	if (c->by != by)
		return NULL;
	if (by == ISC_BY_RDEV) {
		*rdev = (uint32_t)c->key;
		return rdev;
	}
	return by == ISC_BY_FOPS ? (const void *)&c->key : (const void *)&c->anon;
}

/* Does a classifier of kind by have this key? */
static bool cls_has(const struct isc_kernel *k, enum isc_cls_by by, const void *key,
		    size_t key_size)
{
	const void *ck;
	uint32_t rdev;
	int i;

	for (i = 0; i < k->nr_classifiers; i++) {
		ck = cls_key(&k->cls[i], by, &rdev);
		if (ck && !memcmp(ck, key, key_size))
			return true;
	}
	return false;
}

/* Remove every key of map fd that no classifier of kind by has: one walk
 * collecting them, then the deletes (a walk restarted after each delete
 * could go on for as long as something adds keys). */
static int drop_stale(int fd, enum isc_cls_by by, size_t key_size, const struct isc_kernel *k)
{
	uint8_t key[sizeof(struct isc_anon_key)], *stale = NULL, *grown;
	bool first = true;
	size_t n = 0, i;
	int err = 0;

	while (!bpf_map_get_next_key(fd, first ? NULL : key, key)) {
		first = false;
		if (cls_has(k, by, key, key_size))
			continue;
		grown = realloc(stale, (n + 1) * key_size);
		if (!grown) {
			err = -ENOMEM;
			goto out;
		}
		stale = grown;
		memcpy(stale + n++ * key_size, key, key_size);
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, stale + i * key_size) && errno != ENOENT)
			err = -errno;
out:
	free(stale);
	return err;
}

int loader__fill_classifiers(const struct isc_cls_fds *m, const struct isc_kernel *k)
{
	static const struct {
		enum isc_cls_by by;
		size_t key_size;
	} maps[] = {
		{ ISC_BY_FOPS, sizeof(uint64_t) },
		{ ISC_BY_RDEV, sizeof(uint32_t) },
		{ ISC_BY_ANON, sizeof(struct isc_anon_key) },
	};
	const int fds[] = { m->fops, m->rdev, m->anon };
	const void *key;
	uint32_t rdev;
	size_t j;
	int i, err;

	for (j = 0; j < ARRAY_SIZE(maps); j++) {
		for (i = 0; i < k->nr_classifiers; i++) {
			key = cls_key(&k->cls[i], maps[j].by, &rdev);
			if (key && bpf_map_update_elem(fds[j], key, &k->cls[i].kind, BPF_ANY))
				return -errno;
		}
		err = drop_stale(fds[j], maps[j].by, maps[j].key_size, k);
		if (err)
			return err;
	}
	return 0;
}

int loader__sync_classifiers(struct isc_session *s, const struct isc_kernel *k)
{
	struct bpf_object *obj = objs_obj(&s->objs, ISC_OBJ_IOCTL);
	struct isc_cls_fds m = {
		.fops = obj_map_fd(obj, "fops_kinds"),
		.rdev = obj_map_fd(obj, "rdev_kinds"),
		.anon = obj_map_fd(obj, "anon_kinds"),
	};

	return loader__fill_classifiers(&m, k);
}

/* What the BPF exit reads back: argsz of replies, capability chains. */
static int load_caps_rules(struct isc_session *s)
{
	int fd = bpf_map__fd(s->objs.ioctl->maps.caps_rules);
	const struct isc_ioctl_desc *ds;
	size_t nr, i;
	int kind;

	ds = catalog__ioctls(&nr);
	for (i = 0; i < nr; i++) {
		struct isc_caps_rule r = {};

		if (!ds[i].reply && !ds[i].caps_at)
			continue;
		r.reply = ds[i].reply;
		if (ds[i].caps_at) {
			r.cap_offset_off = ds[i].caps_at->cap_offset_off;
			r.flags_off = ds[i].flags_off;
			r.caps_flag = ds[i].caps_at->caps_flag;
		}
		for (kind = 0; kind < ISC_FD_KIND_MAX; kind++) {
			uint32_t key = ISC_CAT_IDX(ds[i].cmd, kind);

			if (!(ds[i].kinds & ISC_K(kind)))
				continue;
			if (bpf_map_update_elem(fd, &key, &r, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

/* The hooks of the mode asked for (auto: what the probe picked): the
 * session's mode, whether the LSM program is the entry, and want[]. */
static int choose_hooks(struct isc_session *s, const struct isc_probe *p,
			const struct isc_loader_opts *o, bool *want)
{
	enum isc_mode mode = o->mode;
	int i;

	if (mode == ISC_MODE_AUTO)
		mode = p->mode;
	if (mode == ISC_MODE_AUTO) {
		isc_err("cannot trace: %s", p->mode_reason);
		return -ENOTSUP;
	}
	if (mode == ISC_MODE_FULL && !p->full_ok) {
		isc_err("full mode is not available here: %s (try --mode tracepoint)",
			p->mode_reason);
		return -ENOTSUP;
	}
	if (mode == ISC_MODE_TRACEPOINT && !p->tp_ok) {
		isc_err("tracepoint mode is not available here: %s", p->hooks[ISC_HK_TP].reason);
		return -ENOTSUP;
	}
	if (mode == ISC_MODE_TRACEPOINT) {
		want[ISC_HK_TP] = true;
	} else if (p->full_uses_lsm) {
		want[ISC_HK_LSM] = true;
		want[ISC_HK_TP] = true;	/* only its exit program is used */
		s->lsm_entry = true;
	} else {
		for (i = ISC_HK_FENTRY_CONTAINER; i <= ISC_HK_FENTRY_IOMMUFD; i++)
			want[i] = p->hooks[i].attached;
	}
	for (i = ISC_HK_IOMMU_FIRST; i < ISC_HK_MAX && !o->no_iommu; i++)
		want[i] = p->hooks[i].used;
	s->mode = mode;
	return 0;
}

/* Open the session's objects for the chosen hooks and set what is fixed
 * at load time: the tracepoint entry and the filters. */
static int session_open(struct isc_session *s, const struct isc_probe *p,
			const struct isc_loader_opts *o, const bool *want)
{
	struct isc_vfio_layout vl;
	enum isc_obj failed;
	int err, k;

	err = objs_open(&s->objs, want, o->ringbuf_bytes,
			o->counting ? ISC_OPEN_COUNT : ISC_OPEN_TRACE, &failed);
	if (!err)
		loader__vfio_layout(&vl);
	for (k = 0; !err && k < 2; k++) {
		failed = k;
		err = filters_set(objs_obj(&s->objs, k), o);
		if (!err && objs_obj(&s->objs, k))
			vfio_layout_set(objs_obj(&s->objs, k), &vl);
	}
	if (!err)
		err = tp_entry_pick(objs_obj(&s->objs, ISC_OBJ_IOCTL), p->tp_typed, s->lsm_entry);
	if (!err)
		return 0;
	if (!o->counting)
		isc_err("failed to open BPF objects: %s", strerror(-err));
	else if (failed == ISC_OBJ_IOCTL)
		isc_err("failed to open the counting BPF object: %s", strerror(-err));
	else
		isc_err("failed to open the IOMMU BPF object: %s", strerror(-err));
	return err;
}

/* The classifier maps, then what the BPF side looks up per call: the
 * capability rules (tracing) or the catalog and features (counting). */
static int session_fill(struct isc_session *s, const struct isc_probe *p,
			const struct isc_loader_opts *o)
{
	int err = loader__sync_classifiers(s, &p->kernel);

	if (!err && s->objs.ioctl)
		err = load_caps_rules(s);
	if (!err && s->objs.top) {
		err = catalog_map__fill(bpf_map__fd(s->objs.top->maps.catalog), o->abi);
		if (err >= 0)
			err = catalog_map__fill_features(bpf_map__fd(s->objs.top->maps.features),
							 o->abi);
	}
	if (err)
		isc_err("failed to fill the classifier and catalog maps: %s", strerror(-err));
	return err;
}

/* --bpf-stats: on for the session's life (before any capability drop:
 * BPF_ENABLE_STATS needs CAP_SYS_ADMIN); a failure is a warning. */
static void bpf_stats_start(struct isc_session *s, const struct isc_loader_opts *o)
{
	int err;

	if (!o->bpf_stats)
		return;
	s->bpf_stats_other = 0;
	err = progstats__enable(&s->bpf_stats_fd);
	if (err)
		isc_warn("--bpf-stats: cannot turn on BPF run-time statistics: %s; reported as off",
			 strerror(-err));
}

int loader__start(struct isc_session **sp, struct isc_probe *p, const struct isc_loader_opts *o)
{
	bool want[ISC_HK_MAX] = {};
	struct isc_session *s;
	int err;

	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		isc_err("out of memory");
		return -ENOMEM;
	}
	s->bpf_stats_fd = -1;
	s->bpf_stats_other = -1;
	err = choose_hooks(s, p, o, want) ?: session_open(s, p, o, want);
	if (err)
		goto fail;
	err = objs_load(&s->objs);
	if (err) {
		isc_err("failed to load BPF programs: %s", strerror(-err));
		goto fail;
	}
	err = session_fill(s, p, o);
	if (err)
		goto fail;
	err = objs_attach(&s->objs);
	if (err) {
		isc_err("failed to attach BPF programs: %s", strerror(-err));
		goto fail;
	}
	s->stats_fd = obj_map_fd(objs_obj(&s->objs, ISC_OBJ_IOCTL), "stats");
	bpf_stats_start(s, o);
	*sp = s;
	return 0;
fail:
	loader__stop(s);
	return err;
}

enum isc_mode loader__mode(const struct isc_session *s)
{
	return s->mode;
}

bool loader__lsm_entry(const struct isc_session *s)
{
	return s->lsm_entry;
}

bool loader__has_iommu(const struct isc_session *s)
{
	return s->objs.iommu;
}

int loader__events_fd(const struct isc_session *s)
{
	if (s->objs.ioctl)
		return bpf_map__fd(s->objs.ioctl->maps.events);
	return s->objs.iommu ? bpf_map__fd(s->objs.iommu->maps.events) : -1;
}

/*
 * Every entry of a per-CPU hash, its CPUs' values added up: the value is
 * u64 counters from the start up to the first byte of a trailing comm
 * (ISC_COMM_LEN bytes, the first non-empty one wins). fn may delete the
 * key it is given.
 */
static int percpu_foreach(int fd, size_t key_sz, size_t val_sz,
			  void (*fn)(const void *k, void *sum, void *ctx), void *ctx)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	size_t nr = (val_sz - ISC_COMM_LEN) / sizeof(uint64_t), j;
	size_t stride = (val_sz + 7) & ~(size_t)7;
	char key[64], next[64], *prev = NULL, *vals, *comm;
	uint64_t *sum;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, stride);
	sum = calloc(1, val_sz);
	if (!vals || !sum) {
		err = -ENOMEM;
		goto out;
	}
	comm = (char *)sum + nr * sizeof(uint64_t);
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_sz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue;
		memset(sum, 0, val_sz);
		for (i = 0; i < ncpu; i++) {
			const uint64_t *v = (const uint64_t *)(vals + (size_t)i * stride);

			for (j = 0; j < nr; j++)
				sum[j] += v[j];
			if (!comm[0] && ((const char *)&v[nr])[0])
				memcpy(comm, &v[nr], ISC_COMM_LEN);
		}
		comm[ISC_COMM_LEN - 1] = '\0';
		fn(key, sum, ctx);
	}
out:
	free(sum);
	free(vals);
	return err;
}

_Static_assert(offsetof(struct isc_map_stats, comm) == 4 * sizeof(uint64_t) &&
	       sizeof(struct isc_map_stats) == offsetof(struct isc_map_stats, comm) + ISC_COMM_LEN,
	       "isc_map_stats: u64 counters, then comm");
_Static_assert(offsetof(struct isc_top_val, comm) + ISC_COMM_LEN == sizeof(struct isc_top_val),
	       "isc_top_val: u64 counters, then comm");

struct percpu_cb {
	void *fn;
	void *ctx;
};

static void map_stats_one(const void *k, void *sum, void *ctx)
{
	struct percpu_cb *cb = ctx;
	void (*fn)(const struct isc_map_key *, const struct isc_map_stats *, void *) = cb->fn;

	fn(k, sum, cb->ctx);
}

int loader__map_stats(struct isc_session *s,
		      void (*fn)(const struct isc_map_key *k, const struct isc_map_stats *st,
				 void *ctx),
		      void *ctx)
{
	struct percpu_cb cb = { (void *)fn, ctx };

	if (!s->objs.iommu)
		return 0;
	return percpu_foreach(bpf_map__fd(s->objs.iommu->maps.map_stats), sizeof(struct isc_map_key),
			      sizeof(struct isc_map_stats), map_stats_one, &cb);
}

static void top_stats_one(const void *k, void *sum, void *ctx)
{
	struct percpu_cb *cb = ctx;
	void (*fn)(const struct isc_top_key *, const struct isc_top_val *, void *) = cb->fn;

	fn(k, sum, cb->ctx);
}

int loader__top_stats(struct isc_session *s,
		      void (*fn)(const struct isc_top_key *k, const struct isc_top_val *v,
				 void *ctx),
		      void *ctx)
{
	struct percpu_cb cb = { (void *)fn, ctx };

	if (!s->objs.top)
		return -EINVAL;
	return percpu_foreach(bpf_map__fd(s->objs.top->maps.top_stats), sizeof(struct isc_top_key),
			      sizeof(struct isc_top_val), top_stats_one, &cb);
}

void loader__top_forget(struct isc_session *s, uint32_t tgid)
{
	int fd[2] = { s->objs.top ? bpf_map__fd(s->objs.top->maps.top_stats) : -1,
		      s->objs.iommu ? bpf_map__fd(s->objs.iommu->maps.map_stats) : -1 };
	char key[64], next[64], *prev = NULL;
	int i;

	/* Both keys lead with the tgid. */
	for (i = 0; i < 2; i++) {
		prev = NULL;
		while (fd[i] >= 0 && !bpf_map_get_next_key(fd[i], prev, next)) {
			uint32_t t;

			memcpy(key, next, sizeof(key));
			memcpy(&t, key, sizeof(t));
			if (t == tgid && !bpf_map_delete_elem(fd[i], key))
				continue;	/* deleted: start over from the same prev */
			prev = key;
		}
	}
}

uint64_t loader__stat(struct isc_session *s, int idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	uint64_t *vals;
	uint32_t key = idx;
	int i;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(s->stats_fd, &key, vals))
		for (i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

bool loader__bpf_stats(struct isc_session *s)
{
	if (s->bpf_stats_fd >= 0)
		return true;
	if (progstats__sysctl())
		return true;
	/* someone else's fd cannot be seen: a test run, once, when a sink
	 * first reports it (sessions that never do load nothing for it) */
	if (s->bpf_stats_other < 0)
		s->bpf_stats_other = progstats__on();
	return s->bpf_stats_other;
}

int loader__prog_stats(const struct isc_session *s, struct isc_prog_stat *out, int max)
{
	struct bpf_object *objs[] = { objs_obj(&s->objs, ISC_OBJ_IOCTL),
				      objs_obj(&s->objs, ISC_OBJ_IOMMU) };
	struct bpf_program *prog;
	size_t k;
	int n = 0;

	for (k = 0; k < ARRAY_SIZE(objs); k++) {
		if (!objs[k])
			continue;
		bpf_object__for_each_program(prog, objs[k]) {
			int fd = bpf_program__fd(prog);

			if (fd < 0 || n == max || progstats__read(fd, &out[n]))
				continue;
			snprintf(out[n].name, sizeof(out[n].name), "%s", bpf_program__name(prog));
			snprintf(out[n].attach, sizeof(out[n].attach), "%s",
				 bpf_program__section_name(prog));
			n++;
		}
	}
	return n;
}

int loader__prog_names(struct isc_prog_names *l)
{
	struct isc_objs o = {
		.ioctl = ioctl_bpf__open(), .top = top_bpf__open(), .iommu = iommu_bpf__open(),
	};
	int err = -ENOMEM;

	if (o.ioctl && o.top && o.iommu)
		err = progstats__names_add(l, o.ioctl->obj) ?: progstats__names_add(l, o.top->obj) ?:
		      progstats__names_add(l, o.iommu->obj);
	objs_destroy(&o);
	return err;
}

void loader__stop(struct isc_session *s)
{
	if (!s)
		return;
	objs_destroy(&s->objs);
	if (s->bpf_stats_fd >= 0)
		close(s->bpf_stats_fd);
	free(s);
}

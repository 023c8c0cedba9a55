// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ioctl.skel.h"
#include "loader.h"
#include "util.h"

static const struct {
	const char *name;
	const char *target;
	const char *progs[2];
	const char *btf_func;	/* must exist in BTF to be tried */
} hooks[ISC_HK_MAX] = {
	[ISC_HK_TP] = { "tracepoint", "syscalls:sys_enter_ioctl+sys_exit_ioctl",
			{ "tp_enter_ioctl", "tp_exit_ioctl" }, NULL },
	[ISC_HK_LSM] = { "lsm", "file_ioctl", { "lsm_file_ioctl", NULL }, "bpf_lsm_file_ioctl" },
	[ISC_HK_FENTRY_CONTAINER] = { "fentry", "vfio_fops_unl_ioctl",
				      { "vfio_fops_unl_ioctl_fentry", "vfio_fops_unl_ioctl_fexit" },
				      "vfio_fops_unl_ioctl" },
	[ISC_HK_FENTRY_GROUP] = { "fentry", "vfio_group_fops_unl_ioctl",
				  { "vfio_group_fops_unl_ioctl_fentry", "vfio_group_fops_unl_ioctl_fexit" },
				  "vfio_group_fops_unl_ioctl" },
	[ISC_HK_FENTRY_DEVICE] = { "fentry", "vfio_device_fops_unl_ioctl",
				   { "vfio_device_fops_unl_ioctl_fentry",
				     "vfio_device_fops_unl_ioctl_fexit" },
				   "vfio_device_fops_unl_ioctl" },
	[ISC_HK_FENTRY_IOMMUFD] = { "fentry", "iommufd_fops_ioctl",
				    { "iommufd_fops_ioctl_fentry", "iommufd_fops_ioctl_fexit" },
				    "iommufd_fops_ioctl" },
};

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

/* Open the skeleton with exactly the programs of the given hooks enabled. */
static struct ioctl_bpf *skel_open(const bool *want, uint32_t ringbuf_bytes)
{
	struct ioctl_bpf *skel;
	struct bpf_program *prog;
	int i, j;

	skel = ioctl_bpf__open();
	if (!skel)
		return NULL;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < ISC_HK_MAX; i++) {
		if (!want[i])
			continue;
		for (j = 0; j < 2 && hooks[i].progs[j]; j++) {
			prog = bpf_object__find_program_by_name(skel->obj, hooks[i].progs[j]);
			if (prog)
				bpf_program__set_autoload(prog, true);
		}
	}
	if (ringbuf_bytes)
		bpf_map__set_max_entries(skel->maps.events, ringbuf_bytes);
	return skel;
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

static void probe_one(struct isc_probe *p, int id)
{
	struct isc_hook_result *r = &p->hooks[id];
	bool want[ISC_HK_MAX] = {};
	struct ioctl_bpf *skel;
	int err;

	memset(r, 0, sizeof(*r));
	if (hooks[id].btf_func &&
	    !kernel__btf_has_func(hooks[id].btf_func, r->module, sizeof(r->module))) {
		if (id == ISC_HK_LSM)
			snprintf(r->reason, sizeof(r->reason), "kernel built without CONFIG_BPF_LSM");
		else if (p->kernel.modules[0] && !p->kernel.module_btf_any)
			snprintf(r->reason, sizeof(r->reason),
				 "no module BTF on this kernel: module functions cannot be traced");
		else
			snprintf(r->reason, sizeof(r->reason),
				 "%s not in the BTF of vmlinux or any loaded module (module not loaded?)",
				 hooks[id].btf_func);
		return;
	}
	r->present = true;
	if (!hooks[id].btf_func)
		snprintf(r->module, sizeof(r->module), "vmlinux");
	want[id] = true;
	skel = skel_open(want, 4096);
	if (!skel) {
		explain(r, -errno, "open");
		return;
	}
	err = ioctl_bpf__load(skel);
	if (err) {
		explain(r, err, "load");
		goto out;
	}
	r->loaded = true;
	err = ioctl_bpf__attach(skel);
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
	ioctl_bpf__destroy(skel);
}

void loader__probe(struct isc_probe *p)
{
	bool fentry_any = false, fentry_fail = false;
	const char *why = "";
	int i;

	kernel__probe(&p->kernel);
	loader__quiet(true);
	for (i = 0; i < ISC_HK_MAX; i++)
		probe_one(p, i);
	loader__quiet(false);

	p->tp_ok = p->hooks[ISC_HK_TP].attached;
	for (i = ISC_HK_FENTRY_CONTAINER; i < ISC_HK_MAX; i++) {
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

int loader__sync_classifiers(struct isc_session *s, const struct isc_kernel *k)
{
	int fops_fd = bpf_map__fd(s->skel->maps.fops_kinds);
	int rdev_fd = bpf_map__fd(s->skel->maps.rdev_kinds);
	int i, err;

	for (i = 0; i < k->nr_classifiers; i++) {
		const struct isc_classifier *c = &k->cls[i];

		if (c->by == ISC_BY_FOPS) {
			err = bpf_map_update_elem(fops_fd, &c->key, &c->kind, BPF_ANY);
		} else {
			uint32_t rdev = (uint32_t)c->key;

			err = bpf_map_update_elem(rdev_fd, &rdev, &c->kind, BPF_ANY);
		}
		if (err)
			return -errno;
	}
	return 0;
}

int loader__start(struct isc_session *s, struct isc_probe *p, const struct isc_loader_opts *o)
{
	bool want[ISC_HK_MAX] = {};
	enum isc_mode mode = o->mode;
	int i, err;

	memset(s, 0, sizeof(*s));
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
		for (i = ISC_HK_FENTRY_CONTAINER; i < ISC_HK_MAX; i++)
			want[i] = p->hooks[i].attached;
	}
	s->skel = skel_open(want, o->ringbuf_bytes);
	if (!s->skel) {
		err = -errno;
		isc_err("failed to open BPF object: %s", strerror(-err));
		return err;
	}
	if (s->lsm_entry)
		bpf_program__set_autoload(s->skel->progs.tp_enter_ioctl, false);
	s->skel->rodata->targ_tgid = o->tgid;
	if (o->comm) {
		s->skel->rodata->targ_comm_set = true;
		strncpy((char *)s->skel->rodata->targ_comm, o->comm, ISC_COMM_LEN - 1);
	}
	err = ioctl_bpf__load(s->skel);
	if (err) {
		isc_err("failed to load BPF programs: %s", strerror(-err));
		goto fail;
	}
	err = loader__sync_classifiers(s, &p->kernel);
	if (err) {
		isc_err("failed to fill classifier maps: %s", strerror(-err));
		goto fail;
	}
	err = ioctl_bpf__attach(s->skel);
	if (err) {
		isc_err("failed to attach BPF programs: %s", strerror(-err));
		goto fail;
	}
	s->mode = mode;
	s->stats_fd = bpf_map__fd(s->skel->maps.stats);
	return 0;
fail:
	ioctl_bpf__destroy(s->skel);
	s->skel = NULL;
	return err;
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

void loader__stop(struct isc_session *s)
{
	ioctl_bpf__destroy(s->skel);
	s->skel = NULL;
}

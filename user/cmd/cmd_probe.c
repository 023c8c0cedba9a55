// SPDX-License-Identifier: GPL-2.0
/* iommuscope probe: what this kernel offers, which hooks load, which mode. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "abi.h"
#include "profile.h"
#include "catalog.h"
#include "commands.h"
#include "enforce.h"
#include "loader.h"
#include "util.h"

static const char probe_usage[] =
	"usage: iommuscope probe [--json]\n"
	"\n"
	"Report the kernel release, BTF (vmlinux and vfio/iommufd modules), whether\n"
	"BPF LSM is active, which hooks load and attach here (each is tried for\n"
	"real) and why the others do not, the VFIO/iommufd nodes present, and the\n"
	"mode 'iommuscope trace' would use.\n"
	"\n"
	"  -j, --json   one JSON object instead of text\n"
	"  -h, --help   this text\n";

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void catalog_text(const struct isc_abi *a)
{
	char hv[16], kv[16];

	abi__version_str(catalog__headers_checked(), hv, sizeof(hv));
	abi__version_str(a->version, kv, sizeof(kv));
	printf("catalog         checked against the uapi headers up to Linux %s", hv);
	if (catalog__kernel_newer(a->version))
		printf("; this kernel (%s) is newer: what it added is reported as "
		       "newer-than-catalog, not judged", kv);
	printf("\n");
}

static void abi_text(const struct isc_abi *a)
{
	const struct isc_ioctl_desc *ds;
	size_t nr, k;
	int i, n = 0;

	ds = catalog__ioctls(&nr);
	printf("struct sizes   ");
	for (k = 0; k < nr; k++) {
		if (a->size_src[k] != ISC_SIZE_BTF)
			continue;
		printf("%s%s=%u", n++ % 4 ? " " : "\n  ", ds[k].struct_name + 7, a->size[k]);
	}
	printf("%s\n", n ? "   (from BTF)" : " none in BTF: catalog sizes for this version");
	printf("extensions     ");
	if (!a->ext_known)
		printf(" unknown (no /dev/vfio/vfio to ask)");
	for (i = 1; a->ext_known && i < ISC_MAX_EXT; i++)
		if (abi__ext_name(i))
			printf(" %s=%d", abi__ext_name(i), a->ext[i]);
	printf("\n");
}

static void abi_json(struct json_object *j, const struct isc_abi *a)
{
	struct json_object *sizes = json_object_new_object();
	struct json_object *ext = json_object_new_object();
	const struct isc_ioctl_desc *ds;
	char v[16];
	size_t nr, k;
	int i;

	ds = catalog__ioctls(&nr);
	json_object_object_add(j, "version",
			       json_object_new_string(abi__version_str(a->version, v, sizeof(v))));
	for (k = 0; k < nr; k++) {
		struct json_object *e;

		if (!ds[k].struct_name || !a->size[k])
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "struct", json_object_new_string(ds[k].struct_name + 7));
		json_object_object_add(e, "size", json_object_new_int64(a->size[k]));
		json_object_object_add(e, "source",
				       json_object_new_string(abi__size_src_name(a->size_src[k])));
		json_object_object_add(sizes, ds[k].name, e);
	}
	json_object_object_add(j, "struct_sizes", sizes);
	json_object_object_add(j, "catalog_headers", json_object_new_string(
				       abi__version_str(catalog__headers_checked(), v, sizeof(v))));
	json_object_object_add(j, "kernel_newer_than_catalog",
			       json_object_new_boolean(catalog__kernel_newer(a->version)));
	for (i = 1; a->ext_known && i < ISC_MAX_EXT; i++)
		if (abi__ext_name(i))
			json_object_object_add(ext, abi__ext_name(i), json_object_new_int(a->ext[i]));
	json_object_object_add(j, "extensions", a->ext_known ? ext : NULL);
	if (!a->ext_known)
		json_object_put(ext);
}

/* iommuscope's programs loaded on this host now (other sessions'), with
 * their run statistics: fn for each. 0 or -errno. */
static int running_progs(void (*fn)(const struct isc_prog_stat *ps, void *ctx), void *ctx)
{
	struct isc_prog_names l = {};
	int err;

	loader__quiet(true);
	err = loader__prog_names(&l) ?: enforcer__prog_names(&l);
	loader__quiet(false);
	if (!err)
		err = progstats__running(&l, fn, ctx);
	progstats__names_free(&l);
	return err;
}

static void prog_text(const struct isc_prog_stat *ps, void *ctx)
{
	++*(int *)ctx;
	printf("  %-6u %-32s %-10s runs %llu", ps->id, ps->name, ps->type,
	       (unsigned long long)ps->run_cnt);
	if (ps->run_cnt)
		printf("  avg %llu ns", (unsigned long long)(ps->run_time_ns / ps->run_cnt));
	printf("\n");
}

static void progs_text(void)
{
	bool on = progstats__on();
	int n = 0;

	printf("bpf stats       %s\n", on ? "on" : "off (kernel.bpf_stats_enabled=0, no holder; "
					       "--bpf-stats turns them on for a session)");
	printf("bpf programs    iommuscope's loaded now (other sessions'):\n");
	if (running_progs(prog_text, &n))
		printf("  cannot list the loaded BPF programs\n");
	else if (!n)
		printf("  none\n");
}

static void prog_json(const struct isc_prog_stat *ps, void *ctx)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(ps->id));
	json_object_object_add(o, "name", json_object_new_string(ps->name));
	json_object_object_add(o, "attach", ps->attach[0] ? json_object_new_string(ps->attach) :
							  NULL);
	json_object_object_add(o, "type", json_object_new_string(ps->type));
	json_object_object_add(o, "run_cnt", json_object_new_uint64(ps->run_cnt));
	json_object_object_add(o, "run_time_ns", json_object_new_uint64(ps->run_time_ns));
	json_object_object_add(o, "recursion_misses",
			       json_object_new_uint64(ps->recursion_misses));
	json_object_object_add(o, "avg_ns", ps->run_cnt ? json_object_new_uint64(
						    ps->run_time_ns / ps->run_cnt) : NULL);
	json_object_array_add(ctx, o);
}

static void progs_json(struct json_object *j)
{
	struct json_object *progs = json_object_new_array();

	json_object_object_add(j, "bpf_stats_enabled", json_object_new_boolean(progstats__on()));
	if (running_progs(prog_json, progs)) {
		json_object_put(progs);
		progs = NULL;
	}
	json_object_object_add(j, "bpf_programs", progs);
}

static void probe_text(const struct isc_probe *p, const struct isc_abi *a)
{
	const struct isc_kernel *k = &p->kernel;
	int i, n, kinds[ISC_FD_KIND_MAX];
	char ways[512];

	printf("hostname        %s\n", abi__hostname_ok(k->hostname) ? k->hostname :
					"none (not a host name: not in probe --json)");
	printf("kernel          %s\n", k->release);
	printf("vmlinux BTF     %s\n", yes(k->vmlinux_btf));
	printf("module BTF      %s\n", k->module_btf[0] ? k->module_btf :
					   k->module_btf_any ? "none for vfio/iommufd" :
							       "none (kernel has no module BTF)");
	printf("modules         %s\n", k->modules[0] ? k->modules : "no vfio/iommufd module loaded");
	printf("BPF LSM         %s (%s)\n", k->bpf_lsm ? "active" : "inactive",
	       k->lsm_known ? k->lsm : "LSM list unknown");
	printf("kallsyms        %s\n", k->kallsyms_data ? "data symbols listed: f_op a shortcut" :
							  "no data symbols (KALLSYMS_ALL=n or kptr_restrict): not needed");
	printf("nodes           /dev/vfio/vfio %s, /dev/iommu %s, groups %s\n",
	       k->dev_container ? "present" : "absent", k->dev_iommufd ? "present" : "absent",
	       k->groups[0] ? k->groups : "none");
	printf("container       %s\n", kernel__backend_name(k->backend));
	printf("classifiers    ");
	for (i = 0; i < k->nr_classifiers; i++)
		printf(" %s->%s", k->cls[i].what, catalog__kind_name(k->cls[i].kind));
	printf("%s\n", k->nr_classifiers ? "" : " none");
	n = kernel__kinds(k, kinds);
	for (i = 0; i < n; i++)
		printf("%-15s %s\n", i ? "" : "recognised", kernel__kind_ways(k, kinds[i], ways, sizeof(ways)));
	printf("hooks\n");
	for (i = 0; i < ISC_HK_MAX; i++) {
		const struct isc_hook_result *r = &p->hooks[i];

		if (r->attached && i >= ISC_HK_IOMMU_FIRST && !r->used)
			printf("  %-10s %-40s ok (%s), not used: an earlier alternative serves\n",
			       loader__hook_name(i), loader__hook_target(i), r->module);
		else if (r->attached)
			printf("  %-10s %-40s ok (%s)\n", loader__hook_name(i),
			       loader__hook_target(i), r->module);
		else
			printf("  %-10s %-40s %s%s\n", loader__hook_name(i), loader__hook_target(i),
			       r->present ? "failed: " : "unavailable: ", r->reason);
	}
	abi_text(a);
	catalog_text(a);
	printf("tp entry reads  %s\n", p->tp_typed ? "plain loads (bpf_rdonly_cast)" :
						     "bpf_probe_read_kernel (no bpf_rdonly_cast)");
	printf("call slots      %s\n", loader__task_slots() ? "task storage" :
				       "LRU hash by thread id (no task storage for tracepoints)");
	printf("mode            %s (%s)\n",
	       p->mode == ISC_MODE_AUTO ? "none" : loader__mode_name(p->mode), p->mode_reason);
	progs_text();
}

static void probe_json(const struct isc_probe *p, const struct isc_abi *a)
{
	const struct isc_kernel *k = &p->kernel;
	struct json_object *j = json_object_new_object();
	struct json_object *hooks = json_object_new_array();
	struct json_object *cls = json_object_new_array();
	int i;

	json_object_object_add(j, "hostname", abi__hostname_ok(k->hostname) ?
			       json_object_new_string(k->hostname) : NULL);
	json_object_object_add(j, "kernel", json_object_new_string(k->release));
	json_object_object_add(j, "vmlinux_btf", json_object_new_boolean(k->vmlinux_btf));
	json_object_object_add(j, "module_btf", json_object_new_string(k->module_btf));
	json_object_object_add(j, "module_btf_supported", json_object_new_boolean(k->module_btf_any));
	json_object_object_add(j, "modules", json_object_new_string(k->modules));
	json_object_object_add(j, "bpf_lsm", json_object_new_boolean(k->bpf_lsm));
	json_object_object_add(j, "lsm", k->lsm_known ? json_object_new_string(k->lsm) : NULL);
	json_object_object_add(j, "kallsyms_data", json_object_new_boolean(k->kallsyms_data));
	json_object_object_add(j, "dev_vfio", json_object_new_boolean(k->dev_container));
	json_object_object_add(j, "dev_iommu", json_object_new_boolean(k->dev_iommufd));
	json_object_object_add(j, "groups", json_object_new_string(k->groups));
	json_object_object_add(j, "container_backend",
			       json_object_new_string(kernel__backend_name(k->backend)));
	for (i = 0; i < k->nr_classifiers; i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "by", json_object_new_string(
						  k->cls[i].by == ISC_BY_FOPS ? "fops" :
						  k->cls[i].by == ISC_BY_RDEV ? "rdev" : "anon"));
		json_object_object_add(c, "what", json_object_new_string(k->cls[i].what));
		json_object_object_add(c, "kind",
				       json_object_new_string(catalog__kind_name(k->cls[i].kind)));
		json_object_array_add(cls, c);
	}
	json_object_object_add(j, "classifiers", cls);
	json_object_object_add(j, "devices_read", json_object_new_boolean(k->devices_read));
	for (i = 0; i < ISC_HK_MAX; i++) {
		const struct isc_hook_result *r = &p->hooks[i];
		struct json_object *h = json_object_new_object();

		json_object_object_add(h, "type", json_object_new_string(loader__hook_name(i)));
		json_object_object_add(h, "target", json_object_new_string(loader__hook_target(i)));
		json_object_object_add(h, "present", json_object_new_boolean(r->present));
		json_object_object_add(h, "loaded", json_object_new_boolean(r->loaded));
		json_object_object_add(h, "attached", json_object_new_boolean(r->attached));
		json_object_object_add(h, "used", json_object_new_boolean(
						  i < ISC_HK_IOMMU_FIRST ? r->attached : r->used));
		json_object_object_add(h, "module", r->module[0] ? json_object_new_string(r->module) : NULL);
		json_object_object_add(h, "errno", json_object_new_int(-r->err));
		json_object_object_add(h, "reason", r->reason[0] ? json_object_new_string(r->reason) : NULL);
		json_object_array_add(hooks, h);
	}
	json_object_object_add(j, "hooks", hooks);
	json_object_object_add(j, "full_available", json_object_new_boolean(p->full_ok));
	json_object_object_add(j, "full_via", p->full_ok ? json_object_new_string(
					  p->full_uses_lsm ? "lsm" : "fentry") : NULL);
	json_object_object_add(j, "tracepoint_available", json_object_new_boolean(p->tp_ok));
	json_object_object_add(j, "tracepoint_reads", json_object_new_string(p->tp_typed ? "btf" :
										       "probe"));
	json_object_object_add(j, "call_slots", json_object_new_string(loader__task_slots() ?
									   "task_storage" : "lru_hash"));
	json_object_object_add(j, "mode", p->mode == ISC_MODE_AUTO ? NULL :
				  json_object_new_string(loader__mode_name(p->mode)));
	json_object_object_add(j, "mode_reason", json_object_new_string(p->mode_reason));
	abi_json(j, a);
	progs_json(j);
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct isc_abi abi = {};
	struct isc_probe p;
	bool json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		default:
			return commands__help_or_usage(c, probe_usage);
		}
	}
	if (commands__no_args("probe", argc, argv))
		return ISC_EXIT_USAGE;
	if (commands__preflight())
		return ISC_EXIT_FAIL;
	loader__probe(&p);
	if (abi__learn(&abi, p.kernel.release, true)) {
		isc_err("out of memory");
		return ISC_EXIT_FAIL;
	}
	if (json)
		probe_json(&p, &abi);
	else
		probe_text(&p, &abi);
	abi__free(&abi);
	return ISC_EXIT_OK;
}

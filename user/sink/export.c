// SPDX-License-Identifier: GPL-2.0
/*
 * iommuscope export: iommutop's counters in the Prometheus text exposition
 * format (version 0.0.4) on /metrics. HTTP is libmicrohttpd's: a small,
 * well-kept library (GNU, in Debian) that handles the protocol, its
 * limits and timeouts in its own thread; here only the page is made. The
 * counters are sampled every interval; the page is rendered from the last
 * sample by the first scrape that finds it older than that sample, and
 * served as is to every later scrape of the same sample: nobody scraping,
 * nothing rendered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef ISC_NO_HTTP
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#endif
#include "abi.h"
#include "catalog.h"
#include "kernel.h"
#include "privs.h"
#include "export.h"
#include "session.h"
#include "top.h"
#include "util.h"

/* ---- the page ---- */

/*
 * Length of the well-formed UTF-8 sequence at s (Unicode 15, table 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is
 * none. The NUL terminator is not a continuation byte, so a sequence cut
 * short by the end of the string is 0 too.
 */
static int utf8_seq_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void export__label_value(FILE *f, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	int n;

	while (*s) {
		n = utf8_seq_len(s);
		if (!n) {
			fputs("\xef\xbf\xbd", f);	/* U+FFFD */
			s++;
			continue;
		}
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fwrite(s, 1, n, f);
		s += n;
	}
}

/* name="value": the value escaped by export__label_value(). */
static void label(FILE *f, const char *name, const char *v, bool last)
{
	fprintf(f, "%s=\"", name);
	export__label_value(f, v);
	fputs(last ? "\"" : "\",", f);
}

/*
 * The vm label's values: the first ISC_EXPORT_MAX_VMS distinct VM names of
 * the sample keep theirs, VMs and pods first (libvirt, kubevirt, qemu,
 * pod), then systemd units (which a user can multiply, by logging in
 * again), each in byte order; the others are folded into
 * ISC_EXPORT_VM_OTHER (iommuscope_vm_label_folded_processes says how many
 * processes); "" for a process of no known VM. Chosen once per page
 * (export__render, serialized by its caller).
 */
static struct {
	int nr;
	const char *kept[ISC_EXPORT_MAX_VMS];
	int folded;			/* processes folded */
} vm_labels;

static const char vm_other[] = ISC_EXPORT_VM_OTHER;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int vm_cmp(const void *a, const void *b)
{
	const struct isc_vm *x = *(const struct isc_vm *const *)a;
	const struct isc_vm *y = *(const struct isc_vm *const *)b;
	int ux = x->source == ISC_VM_SYSTEMD, uy = y->source == ISC_VM_SYSTEMD;

	return ux != uy ? ux - uy : strcmp(x->name, y->name);
}

static const char *vm_label(const struct isc_vm *vm)
{
	const char *n = vm->name;

	if (vm->source == ISC_VM_NONE)
		return "";
	return bsearch(&n, vm_labels.kept, vm_labels.nr, sizeof(n), name_cmp) ? n : vm_other;
}

static void vm_labels_choose(const struct isc_top_snap *sn)
{
	const struct isc_vm **all = calloc(sn->nr_procs + 1, sizeof(void *));
	int i, k, n = 0;

	vm_labels.nr = vm_labels.folded = 0;
	if (!all)
		return;	/* every VM folded, and counted so */
	for (i = 0; i < sn->nr_procs; i++)
		if (sn->procs[i].vm.source != ISC_VM_NONE)
			all[n++] = &sn->procs[i].vm;
	if (n)
		qsort(all, n, sizeof(void *), vm_cmp);
	for (i = 0; i < n && vm_labels.nr < ISC_EXPORT_MAX_VMS; i++) {
		for (k = 0; k < vm_labels.nr && strcmp(vm_labels.kept[k], all[i]->name); k++)
			;
		if (k == vm_labels.nr)
			vm_labels.kept[vm_labels.nr++] = all[i]->name;
	}
	/* vm_label() looks names up by bsearch */
	qsort(vm_labels.kept, vm_labels.nr, sizeof(vm_labels.kept[0]), name_cmp);
	for (i = 0; i < sn->nr_procs; i++)
		vm_labels.folded += vm_label(&sn->procs[i].vm) == vm_other;
	free(all);
}

static void row_labels(FILE *f, const struct isc_top_row *r, bool proc)
{
	char pid[16], name[48];

	snprintf(pid, sizeof(pid), "%u", r->key.tgid);
	label(f, "pid", pid, false);
	label(f, "comm", r->comm, false);
	label(f, "vm", vm_label(&r->vm), proc);
	if (proc)
		return;
	top__row_name(r, name, sizeof(name));
	label(f, "ioctl", name, false);
	label(f, "fd_kind", catalog__kind_name(r->key.fd_kind), false);
	label(f, "device", r->device, true);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum { F_CALLS, F_ERRORS, F_DENIALS, F_MAP, F_UNMAP };

static uint64_t row_value(const struct isc_top_row *r, int what)
{
	switch (what) {
	case F_CALLS:
		return r->tot.calls;
	case F_ERRORS:
		return r->tot.errors;
	case F_DENIALS:
		return r->tot.denials;
	case F_MAP:
		return r->tot.map_bytes;
	default:
		return r->tot.unmap_bytes;
	}
}

static void per_row(FILE *f, const struct isc_top_snap *sn, const char *name, const char *help,
		    int what)
{
	int i;

	family(f, name, "counter", help);
	for (i = 0; i < sn->nr_rows; i++) {
		fprintf(f, "%s{", name);
		row_labels(f, &sn->rows[i], false);
		fprintf(f, "} %llu\n", (unsigned long long)row_value(&sn->rows[i], what));
	}
}

static void latency(FILE *f, const struct isc_top_snap *sn)
{
	const char *name = "iommuscope_ioctl_latency_seconds";
	int i, b;

	family(f, name, "histogram", "Time from ioctl entry to return, log2 buckets.");
	for (i = 0; i < sn->nr_rows; i++) {
		const struct isc_top_row *r = &sn->rows[i];
		uint64_t n = 0;

		for (b = 0; b < ISC_TOP_HIST; b++) {
			n += r->tot.hist[b];
			fprintf(f, "%s_bucket{", name);
			row_labels(f, r, false);
			/* bucket b holds [2^b, 2^(b+1)) ns */
			fprintf(f, ",le=\"%.9g\"} %llu\n", (double)(1ull << (b + 1)) / 1e9,
				(unsigned long long)n);
		}
		fprintf(f, "%s_bucket{", name);
		row_labels(f, r, false);
		fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)r->tot.calls);
		fprintf(f, "%s_sum{", name);
		row_labels(f, r, false);
		fprintf(f, "} %.9f\n", r->tot.lat_sum_ns / 1e9);
		fprintf(f, "%s_count{", name);
		row_labels(f, r, false);
		fprintf(f, "} %llu\n", (unsigned long long)r->tot.calls);
	}
}

/* What iommuscope costs: its BPF programs (counted while BPF statistics
 * are on) and this process, under the process collector's names. */
static void cost(FILE *f, const struct isc_top_cost *c)
{
	static const char *const names[] = {
		"iommuscope_bpf_program_runs_total", "iommuscope_bpf_program_run_seconds_total",
		"iommuscope_bpf_program_recursion_misses_total",
	};
	static const char *const help[] = {
		"Runs of the BPF program while BPF statistics were on (--bpf-stats).",
		"Time spent in the BPF program while BPF statistics were on (--bpf-stats).",
		"Runs of the BPF program skipped: it was already running on the CPU.",
	};
	size_t k;
	int i;

	family(f, "iommuscope_bpf_stats_enabled", "gauge",
	       "1 while the kernel counts the BPF programs' runs and run time.");
	fprintf(f, "iommuscope_bpf_stats_enabled %d\n", c->bpf_stats);
	for (k = 0; k < ARRAY_SIZE(names); k++) {
		family(f, names[k], "counter", help[k]);
		for (i = 0; i < c->nr_progs; i++) {
			const struct isc_prog_stat *p = &c->progs[i];

			fprintf(f, "%s{", names[k]);
			label(f, "program", p->name, false);
			label(f, "attach", p->attach, true);
			if (k == 1)
				fprintf(f, "} %.9f\n", p->run_time_ns / 1e9);
			else
				fprintf(f, "} %llu\n", (unsigned long long)(k ? p->recursion_misses :
										 p->run_cnt));
		}
	}
	if (!c->agent_ok)
		return;
	family(f, "process_cpu_seconds_total", "counter",
	       "Total user and system CPU time spent in seconds.");
	fprintf(f, "process_cpu_seconds_total %.2f\n", c->agent.cpu_ns / 1e9);
	family(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	fprintf(f, "process_resident_memory_bytes %llu\n", (unsigned long long)c->agent.rss_bytes);
}

void export__render(FILE *f, const struct isc_top_info *info, const struct isc_top_snap *sn)
{
	static const struct {
		const char *name, *help;
	} iommu[] = {
		{ "iommuscope_iommu_faults_total", "DMA faults on devices the process owns." },
		{ "iommuscope_iommu_binds_total", "IOMMU domains attached by the process." },
		{ "iommuscope_iommu_invalidations_total",
		  "IOTLB invalidations of the process's domains." },
	};
	char help[128];
	size_t k;
	int i, c;

	vm_labels_choose(sn);
	family(f, "iommuscope_info", "gauge", "The kernel, hook mode and enforcement state.");
	fprintf(f, "iommuscope_info{");
	label(f, "kernel", info->kernel, false);
	label(f, "mode", info->mode, false);
	label(f, "hooks", info->hooks, false);
	label(f, "enforce", info->enforce, true);
	fprintf(f, "} 1\n");
	per_row(f, sn, "iommuscope_ioctl_calls_total", "VFIO/iommufd ioctls issued.", F_CALLS);
	per_row(f, sn, "iommuscope_ioctl_errors_total", "Ioctls that returned an error.", F_ERRORS);
	family(f, "iommuscope_ioctl_mismatches_total", "counter",
	       "Ioctls whose struct or flags do not match what this kernel understands, by class.");
	for (i = 0; i < sn->nr_rows; i++) {
		for (c = 0; c < ISC_TC_MAX; c++) {
			fprintf(f, "iommuscope_ioctl_mismatches_total{");
			row_labels(f, &sn->rows[i], false);
			fprintf(f, ",class=\"%s\"} %llu\n", top_snap__class_name(c),
				(unsigned long long)sn->rows[i].tot.cls[c]);
		}
	}
	per_row(f, sn, "iommuscope_ioctl_denials_total", "Ioctls refused by the enforce policy.",
		F_DENIALS);
	latency(f, sn);
	per_row(f, sn, "iommuscope_dma_mapped_bytes_total", "Bytes the ioctl mapped in the IOMMU.",
		F_MAP);
	per_row(f, sn, "iommuscope_dma_unmapped_bytes_total",
		"Bytes the ioctl unmapped from the IOMMU.", F_UNMAP);
	for (k = 0; k < ARRAY_SIZE(iommu); k++) {
		family(f, iommu[k].name, "counter", iommu[k].help);
		for (i = 0; i < sn->nr_procs; i++) {
			const struct isc_top_counts *t = &sn->procs[i].tot;

			fprintf(f, "%s{", iommu[k].name);
			row_labels(f, &sn->procs[i], true);
			fprintf(f, "} %llu\n", (unsigned long long)(k == 0 ? t->faults :
								    k == 1 ? t->binds :
									     t->invalidations));
		}
	}
	family(f, "iommuscope_dropped_records_total", "counter",
	       "IOMMU-core records lost in the kernel (ring buffer full).");
	fprintf(f, "iommuscope_dropped_records_total %llu\n", (unsigned long long)sn->drops);
	family(f, "iommuscope_uncounted_calls_total", "counter",
	       "Ioctls not counted: the kernel's counter map was full.");
	fprintf(f, "iommuscope_uncounted_calls_total %llu\n", (unsigned long long)sn->not_counted);
	family(f, "iommuscope_processes", "gauge", "Processes with VFIO/iommufd activity.");
	fprintf(f, "iommuscope_processes %d\n", sn->nr_procs);
	snprintf(help, sizeof(help), "Processes whose VM label was folded into vm=\"%s\" "
		 "(more than %d VMs).", vm_other, ISC_EXPORT_MAX_VMS);
	family(f, "iommuscope_vm_label_folded_processes", "gauge", help);
	fprintf(f, "iommuscope_vm_label_folded_processes %d\n", vm_labels.folded);
	cost(f, &sn->cost);
}

/* ---- the host's ABI: what a fleet query compares ---- */

static void host_info(FILE *f, const struct isc_abi *a, const struct isc_kernel *k)
{
	char v[16];

	family(f, "iommuscope_host_info", "gauge",
	       "The kernel and its VFIO/iommufd setup, as learnt at start (value 1).");
	fprintf(f, "iommuscope_host_info{");
	label(f, "kernel", k->release, false);
	label(f, "version", abi__version_str(a->version, v, sizeof(v)), false);
	label(f, "container_backend", kernel__backend_name(k->backend), false);
	label(f, "vfio_container", k->dev_container ? "true" : "false", false);
	label(f, "iommufd", k->dev_iommufd ? "true" : "false", false);
	label(f, "bpf_lsm", k->bpf_lsm ? "true" : "false", false);
	label(f, "module_btf", k->module_btf[0] ? "true" : "false", false);
	label(f, "catalog_headers", abi__version_str(catalog__headers_checked(), v, sizeof(v)),
	      false);
	label(f, "kernel_newer_than_catalog", catalog__kernel_newer(a->version) ? "true" : "false",
	      true);
	fprintf(f, "} 1\n");
}

void export__render_abi(FILE *f, const struct isc_abi *a, const struct isc_kernel *k)
{
	const struct isc_ioctl_desc *ds = catalog__ioctls(&(size_t){ 0 });
	const struct isc_feature_desc *fd;
	char idx[8];
	size_t i;
	int e;

	host_info(f, a, k);
	family(f, "iommuscope_abi_struct_size_bytes", "gauge",
	       "Size of each catalog ioctl's struct on this kernel, 0: the ioctl is not in it.");
	for (i = 0; i < a->nr; i++) {
		if (!ds[i].struct_name)
			continue;
		fprintf(f, "iommuscope_abi_struct_size_bytes{");
		label(f, "ioctl", ds[i].name, false);
		label(f, "struct", ds[i].struct_name + 7, false);	/* "struct foo" */
		label(f, "source", abi__size_src_name(a->size_src[i]), true);
		fprintf(f, "} %u\n", a->size[i]);
	}
	family(f, "iommuscope_abi_extension_supported", "gauge",
	       "VFIO_CHECK_EXTENSION's answer on /dev/vfio/vfio (absent: no container to ask).");
	for (e = 1; a->ext_known && e < ISC_MAX_EXT; e++) {
		if (!abi__ext_name(e) || a->ext[e] < 0)
			continue;
		fprintf(f, "iommuscope_abi_extension_supported{");
		label(f, "extension", abi__ext_name(e), true);
		fprintf(f, "} %d\n", a->ext[e]);
	}
	family(f, "iommuscope_abi_device_feature_supported", "gauge",
	       "VFIO_DEVICE_FEATURE sub-features of this kernel's release (the catalog's).");
	for (i = 0; i < ISC_MAX_FEATURES; i++) {
		if (!(fd = catalog__feature(i)))
			continue;
		snprintf(idx, sizeof(idx), "%u", fd->index);
		fprintf(f, "iommuscope_abi_device_feature_supported{");
		label(f, "feature", fd->name, false);
		label(f, "index", idx, true);
		fprintf(f, "} %d\n", abi__has_feature(a, fd));
	}
}

/* ---- the address ---- */

int export__parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	const char *colon = strrchr(spec, ':');
	bool v6 = spec[0] == '[';
	char host[INET6_ADDRSTRLEN];
	size_t n;
	uint64_t p;

	if (!colon || colon == spec)
		return -EINVAL;
	n = colon - spec;
	if (v6) {
		if (n < 3 || spec[n - 1] != ']')
			return -EINVAL;
		spec++;
		n -= 2;
	}
	if (n >= sizeof(host) || parse_u64(colon + 1, 1, 65535, &p))
		return -EINVAL;
	memcpy(host, spec, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!v6 && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*len = sizeof(*a4);
		return 0;
	}
	if (v6 && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

/* ---- the server and the session ---- */

struct export_ctx {
	struct isc_top_run run;		/* first: the sink's ctx for top__iommu */
	/* held by the loop while it samples (run.info, run.st.cur) and by a
	 * scrape while it renders them or copies the page */
	pthread_mutex_t lock;
	uint64_t sampled;	/* samples taken */
	uint64_t rendered;	/* the sample the page shows (0: none yet) */
	char *page;		/* the last rendering */
	size_t page_len;
	char *abi_page;		/* export__render_abi(), at start and after module changes */
	const struct isc_session_result *res;
	uint64_t abi_gen;	/* res->abi_gen of abi_page */
	struct isc_export_opts opt;
	struct isc_web_config wc;	/* --web.config.file */
	int fd;				/* the listening socket */
	bool running;			/* the counters initialised (export__open) */
	void *daemon;			/* the HTTP server, once loaded */
};

static void *http_start(int fd, struct export_ctx *x, const char *where);


/* The host's ABI: at start, and again when a module change made the
 * session re-learn it (x->lock held once the HTTP threads run). */
static void abi_render(struct export_ctx *x, const struct isc_session_result *res)
{
	size_t len = 0;
	FILE *f;

	free(x->abi_page);
	x->abi_page = NULL;
	x->res = res;
	x->abi_gen = res->abi_gen;
	f = open_memstream(&x->abi_page, &len);
	if (!f)
		return;
	export__render_abi(f, &res->abi, &res->probe->kernel);
	if (fclose(f)) {
		free(x->abi_page);
		x->abi_page = NULL;
	}
}

static void export_started(void *ctx, struct isc_session *s, const struct isc_session_result *res)
{
	struct export_ctx *x = ctx;

	top__started(&x->run, s, res);
	abi_render(x, res);
	x->sampled = 1;
	/* Loaded and attached: from here on only CAP_BPF (map reads, and
	 * classifier updates on module changes, before 5.19). The HTTP
	 * threads start after the drop and never hold more; a drop that
	 * fails serves nothing. */
	if (privs__drop(PRIVS_KEEP(CAP_BPF))) {
		isc_err("export: not serving with capabilities it cannot drop");
		x->run.failed = true;
		session__stop();
		return;
	}
	x->daemon = http_start(x->fd, x, x->opt.listen_at);
	x->fd = -1;	/* libmicrohttpd's now: it closes it, also on failure */
	if (!x->daemon) {
		x->run.failed = true;
		session__stop();
		return;
	}
	fprintf(stderr, "iommuscope: serving %s://%s/metrics\n", x->wc.tls ? "https" : "http",
		x->opt.listen_at);
}

static void export_tick(void *ctx)
{
	struct export_ctx *x = ctx;

	if (!x->run.st.s)
		return;
	pthread_mutex_lock(&x->lock);
	if (top__sample(&x->run))
		x->sampled++;
	if (x->res && x->res->abi_gen != x->abi_gen) {
		abi_render(x, x->res);	/* a module came or went */
		x->sampled++;
	}
	pthread_mutex_unlock(&x->lock);
}

#ifndef ISC_NO_HTTP
/* The page of the last sample, rendered if it is not yet; x->lock held. */
static void render(struct export_ctx *x)
{
	char *page = NULL;
	size_t len = 0;
	FILE *f;

	if (x->rendered == x->sampled)
		return;
	f = open_memstream(&page, &len);
	if (!f)
		return;
	export__render(f, &x->run.info, &x->run.st.cur);
	if (x->abi_page)
		fputs(x->abi_page, f);
	if (fclose(f)) {
		free(page);
		return;
	}
	free(x->page);
	x->page = page;
	x->page_len = len;
	x->rendered = x->sampled;
}

static struct MHD_Response *text_response(const struct export_ctx *x, const char *s, size_t len,
					  enum MHD_ResponseMemoryMode m)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)s, m);
	int i;

	if (!r)
		return NULL;
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	for (i = 0; i < x->wc.nr_headers; i++)
		MHD_add_response_header(r, x->wc.headers[i].name, x->wc.headers[i].value);
	return r;
}

/* The client's certificate as client_auth_type wants it: verified against
 * client_ca_file when one is given, and given when it is required. */
static bool client_cert_ok(const struct export_ctx *x, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int status = 0, n = 0;
	gnutls_session_t tls;

	if (x->wc.client_auth == ISC_CLIENT_CERT_NONE)
		return true;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	tls = ci->tls_session;
	if (!gnutls_certificate_get_peers(tls, &n) || !n)
		return x->wc.client_auth == ISC_CLIENT_CERT_VERIFY_IF_GIVEN;
	return gnutls_certificate_verify_peers2(tls, &status) == 0 && status == 0;
}

/* basic_auth_users: the request's credentials, or none needed. */
static bool basic_auth_ok(const struct export_ctx *x, struct MHD_Connection *c)
{
	char *user, *pass = NULL;
	bool ok;

	if (!x->wc.nr_users)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = user && webconfig__verify(&x->wc, user, pass);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return ok;
}

/* 403 for a missing or unverified client certificate, 401 with
 * WWW-Authenticate for missing or wrong credentials. */
static enum MHD_Result refuse(const struct export_ctx *x, struct MHD_Connection *c, bool cert)
{
	static const char no_cert[] = "forbidden: a verified client certificate is required\n";
	static const char no_auth[] = "unauthorized\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = cert ? text_response(x, no_cert, sizeof(no_cert) - 1, MHD_RESPMEM_PERSISTENT) :
		   text_response(x, no_auth, sizeof(no_auth) - 1, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	ret = cert ? MHD_queue_response(c, MHD_HTTP_FORBIDDEN, r) :
		     MHD_queue_basic_auth_fail_response(c, "iommuscope", r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	static const char index[] = "iommuscope exporter: metrics at /metrics\n";
	static const char missing[] = "not found: metrics are at /metrics\n";
	static const char bad[] = "method not allowed\n";
	struct export_ctx *x = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (!client_cert_ok(x, c))
		return refuse(x, c, true);
	if (!basic_auth_ok(x, c))
		return refuse(x, c, false);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		r = text_response(x, bad, sizeof(bad) - 1, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&x->lock);
		render(x);
		r = text_response(x, x->page ?: "", x->page ? x->page_len : 0,
				  MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&x->lock);
	} else if (!strcmp(url, "/")) {
		r = text_response(x, index, sizeof(index) - 1, MHD_RESPMEM_PERSISTENT);
	} else {
		r = text_response(x, missing, sizeof(missing) - 1, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	}
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The server on an already listening socket, in a pool of threads (epoll:
 * no FD_SETSIZE ceiling; a request busy in bcrypt does not hold up the
 * others). TLS from the web config's files. */
static void *http_start(int fd, struct export_ctx *x, const char *where)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
	struct MHD_OptionItem o[11];
	struct MHD_Daemon *d;
	int n = 0;

	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, x->opt.max_conns, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, x->opt.max_conns_ip,
					  NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, x->opt.idle_timeout,
					  NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, 4, NULL };
	if (x->wc.tls) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			isc_err("web config: this libmicrohttpd has no TLS support");
			return NULL;
		}
		flags |= MHD_USE_TLS;
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, x->wc.key };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, x->wc.cert };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
						  x->wc.priorities };
		/* a trust list makes libmicrohttpd ask for the client's certificate */
		if (x->wc.ca)
			o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, x->wc.ca };
	}
	o[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, x, MHD_OPTION_ARRAY, o,
			     MHD_OPTION_END);
	if (!d)
		isc_err("failed to start the HTTP server on %s", where);
	return d;
}

static void http_stop(void *d)
{
	MHD_stop_daemon(d);
}

/* What http_start needs, checked before anything loads. */
static bool http_available(const struct export_ctx *x)
{
	if (x->wc.tls && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		isc_err("web config: this libmicrohttpd has no TLS support");
		return false;
	}
	return true;
}
#else
static bool http_available(const struct export_ctx *x)
{
	(void)x;
	isc_err("export: this build has no HTTP server (built without libmicrohttpd)");
	return false;
}

static void *http_start(int fd, struct export_ctx *x, const char *where)
{
	(void)fd;
	(void)x;
	(void)where;
	isc_err("export: this build has no HTTP server (built without libmicrohttpd)");
	return NULL;
}

static void http_stop(void *d)
{
	(void)d;
}
#endif

/* A listening socket on spec, or -1 after the error line. */
static int export_listen(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, one = 1;

	if (export__parse_listen(spec, &ss, &sslen)) {
		isc_err("invalid --listen '%s': want ADDR:PORT, e.g. 127.0.0.1:9477 or [::1]:9477",
			spec);
		return -2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 64)) {
		isc_err("failed to listen on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static struct export_ctx export_state;

int export__open(const struct isc_export_opts *o, struct isc_session_opts *so,
		 struct isc_sink *sink)
{
	struct export_ctx *x = &export_state;
	int fd;

	memset(x, 0, sizeof(*x));
	x->opt = *o;
	x->fd = -1;
	/* the whole web config checked before anything listens */
	if (o->web_config && webconfig__load(o->web_config, &x->wc))
		return -EINVAL;
	fd = export_listen(o->listen_at);
	if (fd < 0) {
		webconfig__free(&x->wc);
		return fd == -2 ? -EINVAL : -EIO;
	}
	pthread_mutex_init(&x->lock, NULL);
	x->fd = fd;
	if (!http_available(x)) {
		export__close();
		return -EIO;
	}
	memset(sink, 0, sizeof(*sink));
	sink->ctx = x;
	sink->iommu = top__iommu;
	sink->tick = export_tick;
	sink->started = export_started;
	so->tick_ns = o->interval;
	top_snap__init(&x->run.st, o->linger);
	x->run.st.vm_filter = so->vm;	/* -V: that VM's series only */
	x->running = true;
	return 0;
}

bool export__close(void)
{
	struct export_ctx *x = &export_state;
	bool failed = x->run.failed;

	if (x->daemon)
		http_stop(x->daemon);
	if (x->running)
		top_snap__free(&x->run.st);
	free(x->page);
	free(x->abi_page);
	if (x->fd >= 0)
		close(x->fd);
	pthread_mutex_destroy(&x->lock);
	webconfig__free(&x->wc);
	memset(x, 0, sizeof(*x));
	x->fd = -1;
	return failed;
}

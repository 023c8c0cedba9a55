// SPDX-License-Identifier: GPL-2.0
/*
 * iommuscope export: iommutop's counters in the Prometheus text exposition
 * format (version 0.0.4) on /metrics. HTTP is libmicrohttpd's: a small,
 * well-kept library (GNU, in Debian) that handles the protocol, its
 * limits and timeouts in its own thread; here only the page is made. The
 * page is rendered once per sample and served as is to every scrape.
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
#include <microhttpd.h>
#endif
#include "catalog.h"
#include "commands.h"
#include "export.h"
#include "session.h"
#include "top.h"
#include "util.h"

static const char export_usage[] =
	"usage: iommuscope export [--listen ADDR:PORT] [OPTIONS]\n"
	"\n"
	"Serve iommutop's counters (calls, errors, mismatches by class, denials,\n"
	"latency histograms, DMA bytes mapped and unmapped, IOMMU faults, binds,\n"
	"invalidations; per process, ioctl, fd kind and device) on\n"
	"http://ADDR:PORT/metrics in the Prometheus text format.\n"
	"\n"
	"  -l, --listen ADDR:PORT  where to listen (default " ISC_EXPORT_DEFAULT "; loopback\n"
	"                          only unless told otherwise, e.g. 0.0.0.0:9477,\n"
	"                          [::]:9477)\n"
	"  -i, --interval TIME     how often the kernel's counters are read (default 1s)\n"
	"      --linger TIME       keep an exited process's series this long (default 5m)\n"
	"  -p, --pid PID           only this process (in the kernel)\n"
	"  -c, --comm COMM         only tasks with this command name (in the kernel)\n"
	"  -m, --mode MODE         auto (default), full or tracepoint\n"
	"      --no-iommu          no IOMMU-core hooks (faults, binds, ...)\n"
	"      --classify PATH=KIND  count PATH as a VFIO fd of KIND (tests)\n"
	"  -v, --verbose           more messages\n"
	"  -h, --help              this text\n";

/* ---- the page ---- */

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *name, const char *v, bool last)
{
	fprintf(f, "%s=\"", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputs(last ? "\"" : "\",", f);
}

static void row_labels(FILE *f, const struct isc_top_row *r, bool proc)
{
	char pid[16], name[48];

	snprintf(pid, sizeof(pid), "%u", r->key.tgid);
	label(f, "pid", pid, false);
	label(f, "comm", r->comm, proc);
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
	size_t k;
	int i, c;

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

/* ---- the command ---- */

struct export_ctx {
	struct isc_top_run run;		/* first: the sink's ctx for top__iommu */
	pthread_mutex_t lock;
	char *page;		/* the last rendering */
	size_t page_len;
	const char *listen_at;
};

static void render(struct export_ctx *x)
{
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);

	if (!f)
		return;
	export__render(f, &x->run.info, &x->run.st.cur);
	if (fclose(f)) {
		free(page);
		return;
	}
	pthread_mutex_lock(&x->lock);
	free(x->page);
	x->page = page;
	x->page_len = len;
	pthread_mutex_unlock(&x->lock);
}

static void export_started(void *ctx, struct isc_session *s, const struct isc_session_result *res)
{
	struct export_ctx *x = ctx;

	top__started(&x->run, s, res->probe);
	render(x);
	fprintf(stderr, "iommuscope: serving http://%s/metrics\n", x->listen_at);
}

static void export_tick(void *ctx)
{
	struct export_ctx *x = ctx;

	if (x->run.st.s && top__sample(&x->run))
		render(x);
}

#ifndef ISC_NO_HTTP
static struct MHD_Response *text_response(const char *s, size_t len, enum MHD_ResponseMemoryMode m)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)s, m);

	if (r)
		MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	return r;
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
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		r = text_response(bad, sizeof(bad) - 1, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	} else if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&x->lock);
		r = text_response(x->page ?: "", x->page ? x->page_len : 0, MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&x->lock);
	} else if (!strcmp(url, "/")) {
		r = text_response(index, sizeof(index) - 1, MHD_RESPMEM_PERSISTENT);
	} else {
		r = text_response(missing, sizeof(missing) - 1, MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_FOUND;
	}
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The server on an already listening socket, in its own thread. */
static void *http_start(int fd, struct export_ctx *x, const char *where)
{
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, x, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_LIMIT, 64, MHD_OPTION_CONNECTION_TIMEOUT, 30,
			     MHD_OPTION_END);
	if (!d)
		isc_err("failed to start the HTTP server on %s", where);
	return d;
}

static void http_stop(void *d)
{
	MHD_stop_daemon(d);
}
#else
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

int cmd_export(int argc, char **argv)
{
	enum { OPT_LINGER = ISC_OPT_FIRST_FREE };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "help", no_argument, NULL, 'h' },
		ISC_SESSION_LONG,
		{},
	};
	static struct export_ctx x;
	struct isc_sink sink = {
		.ctx = &x, .iommu = top__iommu, .tick = export_tick, .started = export_started,
	};
	const char *listen_at = ISC_EXPORT_DEFAULT;
	uint64_t interval = 1000000000ull, linger = 300000000000ull;
	struct isc_session_result res;
	struct isc_session_opts so;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int c, r, ret, fd = -1, one = 1;
	void *d;

	memset(&x, 0, sizeof(x));
	session__init_opts(&so, "exporting");
	so.counting = true;
	so.lo.ringbuf_bytes = 1 << 20;
	optind = 1;
	while ((c = getopt_long(argc, argv, "l:i:h" ISC_SESSION_SHORT, opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			continue;
		case 'i':
			if (top__parse_interval("--interval", optarg, &interval))
				return ISC_EXIT_USAGE;
			continue;
		case OPT_LINGER:
			if (parse_duration_ns(optarg, &linger)) {
				isc_err("invalid --linger '%s': want e.g. 30s, 5m, 1h", optarg);
				return ISC_EXIT_USAGE;
			}
			continue;
		}
		r = session__parse_opt(&so, c, optarg);
		if (r < 0)
			return ISC_EXIT_USAGE;
		if (!r)
			return commands__help_or_usage(c, export_usage);
	}
	if (commands__no_args("export", argc, argv))
		return ISC_EXIT_USAGE;
	if (export__parse_listen(listen_at, &ss, &sslen)) {
		isc_err("invalid --listen '%s': want ADDR:PORT, e.g. 127.0.0.1:9477 or [::1]:9477",
			listen_at);
		return ISC_EXIT_USAGE;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 64)) {
		isc_err("failed to listen on %s: %s", listen_at, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ISC_EXIT_FAIL;
	}
	pthread_mutex_init(&x.lock, NULL);
	d = http_start(fd, &x, listen_at);
	if (!d) {
		close(fd);
		pthread_mutex_destroy(&x.lock);
		return ISC_EXIT_FAIL;
	}
	x.listen_at = listen_at;
	so.tick_ns = interval;
	top_snap__init(&x.run.st, linger);
	ret = session__run(&so, &sink, &res);
	http_stop(d);
	close(fd);
	if (ret == ISC_EXIT_OK && x.run.failed)
		ret = ISC_EXIT_FAIL;
	top_snap__free(&x.run.st);
	session__free(&res);
	free(x.page);
	pthread_mutex_destroy(&x.lock);
	return ret;
}

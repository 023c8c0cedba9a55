// SPDX-License-Identifier: GPL-2.0
/* iommuscope trace: stream every VFIO/iommufd ioctl, decoded. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "decode.h"
#include "ioctl.skel.h"
#include "iommu_state.h"
#include "loader.h"
#include "output.h"
#include "util.h"

#define MAX_CLASSIFY 16

static const char trace_usage[] =
	"usage: iommuscope trace [OPTIONS]\n"
	"\n"
	"Stream every VFIO and iommufd ioctl issued on this host: one line (or one\n"
	"JSON object) per call, printed when the call returns.\n"
	"\n"
	"  -j, --json              JSON Lines (schema in README.md)\n"
	"  -p, --pid PID           only this process (thread group id)\n"
	"  -c, --comm COMM         only tasks with this command name (15 chars max)\n"
	"  -d, --duration TIME     stop after TIME (10, 10s, 500ms, 2m)\n"
	"  -m, --mode MODE         auto (default), full or tracepoint\n"
	"      --ringbuf-size MIB  ring buffer size in MiB, a power of 2 (default 4)\n"
	"      --no-iommu          ioctl events only: no bind/invalidate/fault/map\n"
	"      --classify PATH=KIND\n"
	"                          treat the character device PATH as a VFIO fd of\n"
	"                          KIND (container, group, device, iommufd, ...);\n"
	"                          for tests and kernels without /proc/misc entries\n"
	"  -v, --verbose           more messages (twice: libbpf debug output)\n"
	"  -h, --help              this text\n"
	"\n"
	"examples:\n"
	"  iommuscope trace                       every call, as text\n"
	"  iommuscope trace --json -c qemu-system-x86 -d 30s > calls.jsonl\n";

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

#define MAX_MAP_PIDS 1024

struct trace_ctx {
	struct isc_output out;
	struct isc_iommu_state iommu;
	uint64_t events;
	uint64_t invalid;
	/* map/unmap totals last printed, per process and ioctl */
	int nr_maps;
	struct isc_map_key map_key[MAX_MAP_PIDS];
	struct isc_map_stats map_last[MAX_MAP_PIDS];
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct trace_ctx *t = ctx;
	union {
		struct isc_ioctl_view ioctl;
		struct isc_iommu_view iommu;
	} v;
	int err;

	err = decode__type(data, size);
	if (err == ISC_EV_IOCTL) {
		err = decode__ioctl(data, size, &v.ioctl);
		if (!err)
			output__ioctl(&t->out, &v.ioctl);
	} else if (err == ISC_EV_IOMMU) {
		err = decode__iommu(data, size, &v.iommu);
		if (!err) {
			iommu_state__update(&t->iommu, &v.iommu);
			output__iommu(&t->out, &v.iommu);
		}
	}
	if (err < 0) {
		if (!t->invalid)
			isc_warn("rejected a record from the kernel: %s", decode__strerr(err));
		t->invalid++;
		return 0;
	}
	t->events++;
	return 0;
}

/* Print map/unmap totals when they changed since last time. */
static void on_map_stats(const struct isc_map_key *k, const struct isc_map_stats *st, void *ctx)
{
	struct trace_ctx *t = ctx;
	int i;

	for (i = 0; i < t->nr_maps && memcmp(&t->map_key[i], k, sizeof(*k)); i++)
		;
	if (i < t->nr_maps && !memcmp(&t->map_last[i], st, sizeof(*st)))
		return;
	if (i == t->nr_maps) {
		if (t->nr_maps == MAX_MAP_PIDS)
			i = 0;	/* full: reuse the oldest slot */
		else
			t->nr_maps++;
		t->map_key[i] = *k;
	}
	t->map_last[i] = *st;
	output__map_stats(&t->out, k, st);
}

/* /proc/modules changes when VFIO or iommufd modules come and go. */
static uint64_t modules_hash(void)
{
	char buf[65536];
	uint64_t h = 1469598103934665603ull;
	ssize_t n, i;

	n = read_text_file("/proc/modules", buf, sizeof(buf));
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
	return h;
}

static int parse_mode(const char *s, enum isc_mode *m)
{
	if (!strcmp(s, "auto"))
		*m = ISC_MODE_AUTO;
	else if (!strcmp(s, "full"))
		*m = ISC_MODE_FULL;
	else if (!strcmp(s, "tracepoint"))
		*m = ISC_MODE_TRACEPOINT;
	else
		return -EINVAL;
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	enum { OPT_RINGBUF = 0x100, OPT_CLASSIFY, OPT_NO_IOMMU };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "classify", required_argument, NULL, OPT_CLASSIFY },
		{ "no-iommu", no_argument, NULL, OPT_NO_IOMMU },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct isc_loader_opts lo = { .mode = ISC_MODE_AUTO, .ringbuf_bytes = 4 << 20 };
	const char *classify[MAX_CLASSIFY];
	uint64_t duration = 0, v, start, last_check, drops = 0, mods;
	struct isc_summary sum = {};
	struct trace_ctx *t = NULL;
	struct ring_buffer *rb = NULL;
	struct isc_session s = {};
	struct sigaction sa = {};
	int nr_classify = 0, c, i, err, ret = ISC_EXIT_FAIL;
	bool json = false;
	struct isc_probe *p;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jp:c:d:m:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 4194304, &v)) {
				isc_err("invalid --pid '%s': want a process id", optarg);
				return ISC_EXIT_USAGE;
			}
			lo.tgid = v;
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= ISC_COMM_LEN) {
				isc_err("invalid --comm '%s': 1 to %d characters", optarg,
					ISC_COMM_LEN - 1);
				return ISC_EXIT_USAGE;
			}
			lo.comm = optarg;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &duration)) {
				isc_err("invalid --duration '%s': want e.g. 10, 10s, 500ms, 2m",
					optarg);
				return ISC_EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_mode(optarg, &lo.mode)) {
				isc_err("invalid --mode '%s': auto, full or tracepoint", optarg);
				return ISC_EXIT_USAGE;
			}
			break;
		case OPT_RINGBUF:
			if (parse_u64(optarg, 1, 1024, &v) || (v & (v - 1))) {
				isc_err("invalid --ringbuf-size '%s': a power of 2 from 1 to 1024 (MiB)",
					optarg);
				return ISC_EXIT_USAGE;
			}
			lo.ringbuf_bytes = v << 20;
			break;
		case OPT_NO_IOMMU:
			lo.no_iommu = true;
			break;
		case OPT_CLASSIFY:
			if (nr_classify == MAX_CLASSIFY) {
				isc_err("at most %d --classify options", MAX_CLASSIFY);
				return ISC_EXIT_USAGE;
			}
			classify[nr_classify++] = optarg;
			break;
		case 'v':
			isc_verbose++;
			break;
		case 'h':
			fputs(trace_usage, stdout);
			return ISC_EXIT_OK;
		default:
			fputs(trace_usage, stderr);
			return ISC_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		isc_err("trace: unexpected argument '%s'", argv[optind]);
		return ISC_EXIT_USAGE;
	}
	if (commands__preflight())
		return ISC_EXIT_FAIL;
	/* Before anything slow: a stop request during the probe or the load
	 * (or a SIGINT that the parent shell set to be ignored) must end the
	 * trace, not be lost. */
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	p = calloc(1, sizeof(*p));
	if (!p) {
		isc_err("out of memory");
		return ISC_EXIT_FAIL;
	}
	loader__probe(p);
	for (i = 0; i < nr_classify; i++) {
		if (kernel__add_classify(&p->kernel, classify[i])) {
			ret = ISC_EXIT_USAGE;
			goto cleanup;
		}
	}
	err = loader__start(&s, p, &lo);
	if (err)
		goto cleanup;
	t = calloc(1, sizeof(*t));
	if (!t) {
		isc_err("out of memory");
		goto cleanup;
	}
	output__init(&t->out, json, stdout);
	rb = ring_buffer__new(bpf_map__fd(s.skel->maps.events), on_event, t, NULL);
	if (!rb) {
		isc_err("failed to create ring buffer reader: %s", strerror(errno));
		goto cleanup;
	}
	isc_info("tracing in %s mode (%s)", loader__mode_name(s.mode), p->mode_reason);
	/* Always on stderr: scripts wait for this line before starting work. */
	fprintf(stderr, "iommuscope: tracing VFIO/iommufd ioctls in %s mode; Ctrl-C to stop\n",
		loader__mode_name(s.mode));

	start = last_check = monotonic_ns();
	mods = modules_hash();
	while (!exiting) {
		uint64_t now;

		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			isc_err("failed to poll ring buffer: %s", strerror(-err));
			goto cleanup;
		}
		fflush(stdout);
		now = monotonic_ns();
		if (duration && now - start >= duration)
			break;
		if (now - last_check < 1000000000ull)
			continue;
		last_check = now;
		v = loader__stat(&s, ISC_STAT_DROPS);
		if (v > drops) {
			output__drops(&t->out, v - drops, v);
			drops = v;
		}
		loader__map_stats(&s, on_map_stats, t);
		if (modules_hash() != mods) {
			mods = modules_hash();
			kernel__refresh(&p->kernel);
			if (loader__sync_classifiers(&s, &p->kernel))
				isc_warn("failed to update classifiers after a module change");
			else
				isc_info("modules changed: classifiers refreshed");
		}
	}
	ring_buffer__consume(rb);
	loader__map_stats(&s, on_map_stats, t);
	sum.mode = loader__mode_name(s.mode);
	sum.events = t->events;
	sum.drops = loader__stat(&s, ISC_STAT_DROPS);
	sum.invalid = t->invalid;
	sum.inflight_full = loader__stat(&s, ISC_STAT_INFLIGHT_FULL);
	sum.duration_ns = monotonic_ns() - start;
	if (sum.drops > drops)
		output__drops(&t->out, sum.drops - drops, sum.drops);
	output__summary(&t->out, &sum);
	fflush(stdout);
	ret = ISC_EXIT_OK;
cleanup:
	ring_buffer__free(rb);
	if (s.skel)
		loader__stop(&s);
	free(t);
	free(p);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "ioctl.skel.h"
#include "iommu.skel.h"
#include "rawfile.h"
#include "session.h"
#include "util.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

void session__stop(void)
{
	exiting = 1;
}

void session__init_opts(struct isc_session_opts *o, const char *what)
{
	memset(o, 0, sizeof(*o));
	o->lo.mode = ISC_MODE_AUTO;
	o->lo.ringbuf_bytes = 4 << 20;
	o->what = what;
}

int session__parse_opt(struct isc_session_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'p':
		if (parse_u64(arg, 1, 4194304, &v)) {
			isc_err("invalid --pid '%s': want a process id", arg);
			return -1;
		}
		o->lo.tgid = v;
		return 1;
	case 'c':
		if (!*arg || strlen(arg) >= ISC_COMM_LEN) {
			isc_err("invalid --comm '%s': 1 to %d characters", arg, ISC_COMM_LEN - 1);
			return -1;
		}
		o->lo.comm = arg;
		return 1;
	case 'd':
		if (parse_duration_ns(arg, &o->duration_ns)) {
			isc_err("invalid --duration '%s': want e.g. 10, 10s, 500ms, 2m", arg);
			return -1;
		}
		return 1;
	case 'm':
		if (!strcmp(arg, "auto"))
			o->lo.mode = ISC_MODE_AUTO;
		else if (!strcmp(arg, "full"))
			o->lo.mode = ISC_MODE_FULL;
		else if (!strcmp(arg, "tracepoint"))
			o->lo.mode = ISC_MODE_TRACEPOINT;
		else {
			isc_err("invalid --mode '%s': auto, full or tracepoint", arg);
			return -1;
		}
		return 1;
	case ISC_OPT_RINGBUF:
		if (parse_u64(arg, 1, 1024, &v) || (v & (v - 1))) {
			isc_err("invalid --ringbuf-size '%s': a power of 2 from 1 to 1024 (MiB)", arg);
			return -1;
		}
		o->lo.ringbuf_bytes = v << 20;
		return 1;
	case ISC_OPT_NO_IOMMU:
		o->lo.no_iommu = true;
		return 1;
	case ISC_OPT_CLASSIFY:
		if (o->nr_classify == ISC_MAX_CLASSIFY) {
			isc_err("at most %d --classify options", ISC_MAX_CLASSIFY);
			return -1;
		}
		o->classify[o->nr_classify++] = arg;
		return 1;
	case 'v':
		isc_verbose++;
		return 1;
	}
	return 0;
}

int session__parse_out_opts(struct isc_session_opts *so, int argc, char **argv,
			    const char *cmd, const char *usage, const char **out)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		ISC_SESSION_LONG,
		{},
	};
	int c, r;

	*out = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h" ISC_SESSION_SHORT, opts, NULL)) != -1) {
		r = session__parse_opt(so, c, optarg);
		if (r < 0)
			return ISC_EXIT_USAGE;
		if (r)
			continue;
		if (c != 'o')
			return commands__help_or_usage(c, usage);
		*out = optarg;
	}
	if (commands__no_args(cmd, argc, argv))
		return ISC_EXIT_USAGE;
	if (!*out) {
		isc_err("%s: -o FILE is required", cmd);
		return ISC_EXIT_USAGE;
	}
	return -1;
}

struct run {
	const struct isc_sink *sink;
	struct isc_session_result *res;
	FILE *raw;
	int raw_err;		/* errno of the first failed write */
	struct isc_iommu_state iommu;
	struct isc_caps_tracker caps;
};

static void late_verdicts(struct run *r, bool all, const struct isc_ioctl_view *v)
{
	const struct isc_sink *k = r->sink;
	struct isc_ioctl_view late;
	struct isc_verdict cls;

	if (all) {
		while (classify__flush(&r->caps, &late)) {
			classify__caps_truncated(&late, &cls);
			if (k->mismatch)
				k->mismatch(k->ctx, &late, &cls);
		}
	} else if (classify__track(&r->caps, v, &late)) {
		classify__caps_truncated(&late, &cls);
		if (k->mismatch)
			k->mismatch(k->ctx, &late, &cls);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	const struct isc_sink *k = r->sink;
	union {
		struct isc_ioctl_view ioctl;
		struct isc_iommu_view iommu;
	} v;
	struct isc_verdict cls;
	int err;

	err = decode__type(data, size);
	if (err == ISC_EV_IOCTL) {
		err = decode__ioctl(data, size, &v.ioctl);
		if (!err) {
			classify__ioctl(&r->res->abi, &v.ioctl, &cls);
			if (k->ioctl)
				k->ioctl(k->ctx, &v.ioctl, &cls);
			late_verdicts(r, false, &v.ioctl);
		}
	} else if (err == ISC_EV_IOMMU) {
		err = decode__iommu(data, size, &v.iommu);
		if (!err) {
			iommu_state__update(&r->iommu, &v.iommu);
			classify__iommu(&r->res->abi, &v.iommu, &cls);
			if (k->iommu)
				k->iommu(k->ctx, &v.iommu, &cls);
		}
	}
	if (err < 0) {
		if (!r->res->invalid)
			isc_warn("rejected a record from the kernel: %s", decode__strerr(err));
		r->res->invalid++;
		return 0;
	}
	r->res->records++;
	return 0;
}

/* trace -w: the record as it is; decoding is for the reader. */
static int on_raw_record(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;

	errno = 0;
	if (fwrite(data, size, 1, r->raw) != 1) {
		r->raw_err = errno ?: EIO;
		return -r->raw_err;	/* stops the consume */
	}
	r->res->records++;
	r->res->raw_bytes += size;
	return 0;
}

static void map_stats_cb(const struct isc_map_key *key, const struct isc_map_stats *st, void *ctx)
{
	const struct isc_sink *k = ctx;

	k->map_stats(k->ctx, key, st);
}

/* Once a second: drops, map totals, module changes, the sink's tick. */
static void periodic(struct isc_session *s, struct run *r, uint64_t *drops, uint64_t *mods)
{
	const struct isc_sink *k = r->sink;
	struct isc_probe *p = r->res->probe;
	uint64_t v = loader__stat(s, ISC_STAT_DROPS), h;

	if (v > *drops) {
		if (k->drops)
			k->drops(k->ctx, v - *drops, v);
		*drops = v;
	}
	if (k->map_stats)
		loader__map_stats(s, map_stats_cb, (void *)k);
	h = kernel__modules_hash();
	if (h != *mods) {
		*mods = h;
		kernel__refresh(&p->kernel);
		abi__learn(&r->res->abi, p->kernel.release, false);
		/* trace -w: the records from here on are judged by this */
		if (r->raw && !r->raw_err) {
			int n = rawfile__write_abi(r->raw, &r->res->abi);

			if (n < 0)
				r->raw_err = -n;
			else
				r->res->raw_bytes += n;
		}
		if (loader__sync_classifiers(s, &p->kernel))
			isc_warn("failed to update classifiers after a module change");
		else
			isc_info("modules changed: classifiers and kernel ABI refreshed");
	}
	if (k->tick)
		k->tick(k->ctx);
}

/* Up to timeout_ms for records (consumed) or the sink's input (handed
 * over). Without an input, the plain ring buffer poll. */
static int wait_records(struct ring_buffer *rb, const struct isc_sink *k, int timeout_ms)
{
	struct pollfd pfd[2] = { { .fd = -1 }, { .fd = -1 } };
	int n;

	if (!k->input) {
		if (rb)
			return ring_buffer__poll(rb, timeout_ms);
		return poll(NULL, 0, timeout_ms) < 0 ? -errno : 0;
	}
	if (rb)
		pfd[0] = (struct pollfd){ .fd = ring_buffer__epoll_fd(rb), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = k->input_fd, .events = POLLIN };
	n = poll(pfd, 2, timeout_ms);
	if (n < 0)
		return -errno;
	if (pfd[0].revents & POLLIN) {
		n = ring_buffer__consume(rb);
		if (n < 0)
			return n;
	}
	if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
		k->input(k->ctx);
	return 0;
}

int session__run(const struct isc_session_opts *o, const struct isc_sink *sink,
		 struct isc_session_result *res)
{
	uint64_t start, last, drops = 0, mods, now;
	struct ring_buffer *rb = NULL;
	struct isc_session s = {};
	struct sigaction sa = {};
	struct run *r;
	int i, err, ret = ISC_EXIT_FAIL;

	memset(res, 0, sizeof(*res));
	if (commands__preflight())
		return ISC_EXIT_FAIL;
	/* Before anything slow: a stop request during the probe or the load
	 * (or a SIGINT that the parent shell set to be ignored) must end the
	 * session, not be lost. */
	exiting = 0;
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	r = calloc(1, sizeof(*r));
	res->probe = calloc(1, sizeof(*res->probe));
	if (!r || !res->probe) {
		isc_err("out of memory");
		goto out;
	}
	r->sink = sink;
	r->res = res;
	loader__probe(res->probe);
	for (i = 0; i < o->nr_classify; i++) {
		if (kernel__add_classify(&res->probe->kernel, o->classify[i])) {
			ret = ISC_EXIT_USAGE;
			goto out;
		}
	}
	/* Before attaching, so asking the container about extensions is not
	 * traced (the programs also skip this process). */
	if (abi__learn(&res->abi, res->probe->kernel.release, true)) {
		isc_err("out of memory");
		goto out;
	}
	if (o->counting ? loader__start_top(&s, res->probe, &res->abi, &o->lo) :
			  loader__start(&s, res->probe, &o->lo))
		goto out;
	res->mode = loader__mode_name(s.mode);
	if (o->raw) {
		r->raw = o->raw;
		err = rawfile__write_header(o->raw, &res->abi, res->probe->kernel.release, res->mode,
					    mono_to_real_ns());
		if (err) {
			isc_err("failed to write the trace file: %s", strerror(-err));
			goto out;
		}
	}
	if (s.skel || s.iskel) {
		rb = ring_buffer__new(bpf_map__fd(s.skel ? s.skel->maps.events : s.iskel->maps.events),
				      o->raw ? on_raw_record : on_record, r, NULL);
		if (!rb) {
			isc_err("failed to create ring buffer reader: %s", strerror(errno));
			goto out;
		}
	}
	isc_info("%s in %s mode (%s)", o->what, res->mode,
		 o->lo.mode == ISC_MODE_AUTO ? res->probe->mode_reason : "as --mode asked");
	/* Always on stderr: scripts wait for this line before starting work. */
	fprintf(stderr, "iommuscope: %s VFIO/iommufd ioctls in %s mode; Ctrl-C to stop\n",
		o->what, res->mode);

	if (sink->started)
		sink->started(sink->ctx, &s, res);
	start = last = monotonic_ns();
	mods = kernel__modules_hash();
	while (!exiting) {
		err = wait_records(rb, sink, 100);
		if (r->raw_err) {
			isc_err("failed to write the trace file: %s", strerror(r->raw_err));
			goto out;
		}
		if (err < 0 && err != -EINTR) {
			isc_err("failed to poll ring buffer: %s", strerror(-err));
			goto out;
		}
		fflush(stdout);
		now = monotonic_ns();
		if (o->duration_ns && now - start >= o->duration_ns)
			break;
		if (now - last >= (o->tick_ns ? o->tick_ns : 1000000000ull)) {
			last = now;
			periodic(&s, r, &drops, &mods);
		}
	}
	if (rb)
		ring_buffer__consume(rb);
	if (o->raw && (r->raw_err || fflush(o->raw) || ferror(o->raw))) {
		isc_err("failed to write the trace file: %s", strerror(r->raw_err ?: errno ?: EIO));
		goto out;
	}
	late_verdicts(r, true, NULL);
	periodic(&s, r, &drops, &mods);
	res->drops = loader__stat(&s, ISC_STAT_DROPS);
	res->inflight_full = loader__stat(&s, ISC_STAT_INFLIGHT_FULL);
	res->duration_ns = monotonic_ns() - start;
	fflush(stdout);
	ret = ISC_EXIT_OK;
out:
	ring_buffer__free(rb);
	if (s.skel || s.top)
		loader__stop(&s);
	free(r);
	return ret;
}

int session__replay(const char *path, const struct isc_sink *sink,
		    struct isc_session_result *res)
{
	static char buf[ISC_RAW_MAX_RECORD] __attribute__((aligned(8)));
	struct isc_raw_header h;
	struct run r = { .sink = sink, .res = res };
	uint64_t off;
	FILE *f;
	long n;
	int err, ret = ISC_EXIT_FAIL;

	memset(res, 0, sizeof(*res));
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		isc_err("cannot open %s: %s", path, strerror(errno));
		return ISC_EXIT_FAIL;
	}
	if (rawfile__read_header(f, path, &h, &res->abi))
		goto out;
	res->mode = strcmp(h.mode, "full") ? "tracepoint" : "full";
	res->mono_to_real_ns = h.mono_to_real_ns;
	snprintf(res->release, sizeof(res->release), "%s", h.release);
	if (sink->started)
		sink->started(sink->ctx, NULL, res);
	off = rawfile__records_at(&res->abi);	/* ftell does not work on a pipe */
	while ((n = rawfile__next(f, path, buf, &off)) > 0) {
		err = rawfile__apply_abi(buf, n, path, &res->abi);
		if (err < 0)
			goto out;
		if (!err)
			on_record(&r, buf, n);
	}
	if (n < 0)
		goto out;
	late_verdicts(&r, true, NULL);
	ret = ISC_EXIT_OK;
out:
	if (f != stdin)
		fclose(f);
	return ret;
}

void session__free(struct isc_session_result *res)
{
	abi__free(&res->abi);
	free(res->probe);
	res->probe = NULL;
}

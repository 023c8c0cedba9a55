// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "rawfile.h"
#include "session.h"
#include "vm.h"
#include "util.h"

static volatile sig_atomic_t exiting, hup;
/* The self-pipe: a signal (in whichever thread it lands) or a stop ends
 * the loop's wait at once, however long its timeout. -1: none, the loop
 * then waits 100 ms at most. */
static int wake[2] = { -1, -1 };

static void wake_loop(void)
{
	int saved = errno;
	ssize_t n = wake[1] >= 0 ? write(wake[1], "", 1) : 0;

	(void)n;	/* full: a wake-up is pending anyway */
	errno = saved;
}

static void wake_drain(void)
{
	char buf[64];

	while (wake[0] >= 0 && read(wake[0], buf, sizeof(buf)) > 0)
		;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else
		exiting = 1;
	wake_loop();
}

void session__stop(void)
{
	exiting = 1;
	wake_loop();
}

void session__signals(bool catch_hup)
{
	struct sigaction sa = {};

	if (wake[0] < 0 && pipe2(wake, O_CLOEXEC | O_NONBLOCK))
		wake[0] = wake[1] = -1;
	wake_drain();
	exiting = hup = 0;
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (catch_hup)
		sigaction(SIGHUP, &sa, NULL);
}

void session__init_opts(struct isc_session_opts *o, const char *what)
{
	memset(o, 0, sizeof(*o));
	o->lo.mode = ISC_MODE_AUTO;
	o->lo.ringbuf_bytes = 4 << 20;
	o->what = what;
}

/* One session's reading state, shared by the loop and the callbacks. */
struct run {
	const struct isc_session_opts *o;
	const struct isc_sink *sink;
	struct isc_session_result *res;
	struct isc_session *s;	/* NULL: objects loaded elsewhere, or replay */
	struct ring_buffer *rb;
	FILE *raw;
	int raw_err;		/* errno of the first failed write */
	uint64_t drops, mods;	/* as last seen by periodic */
	int uev;		/* module uevents (kernel__modules_watch); -1: none,
				 * the modules hash is compared every tick */
	uint64_t mods_due;	/* when to compare the modules hash; 0: no need */
	unsigned int ticks;	/* periodic() calls */
	uint64_t last_records;	/* when a wait last consumed records */
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

/* The caller's VM into vm, resolved once per cgroup and process (vm.h;
 * cgid 0: the process's own cgroup; pid 0: none known); false if -V
 * leaves the record out. Offline (replay) nothing is known:
 * vm stays empty. */
static bool vm_of(struct run *r, uint32_t pid, uint64_t cgid, struct isc_vm *vm)
{
	struct isc_session_result *res = r->res;

	if (!res->vms)
		return true;
	if (pid)
		*vm = cgid ? *vm_cache__get(res->vms, pid, cgid) : *vm_cache__pid(res->vms, pid);
	if (r->o && r->o->vm && !vm__match(vm, r->o->vm)) {
		res->vm_filtered++;
		return false;
	}
	return true;
}

/* An enforce record: a race alert or a refusal, to the sink. */
static int deliver_deny(struct run *r, void *data, size_t size)
{
	const struct isc_sink *k = r->sink;
	struct isc_deny_view v;
	int err = decode__deny(data, size, &v);

	if (err)
		return err;
	if (!vm_of(r, v.ev.pid, v.ev.cgroup_id, &v.vm))
		return 0;
	if (v.race && k->race)
		k->race(k->ctx, &v);
	else if (!v.race && k->deny)
		k->deny(k->ctx, &v);
	return 0;
}

static int deliver_ioctl(struct run *r, void *data, size_t size)
{
	const struct isc_sink *k = r->sink;
	struct isc_ioctl_view v;
	struct isc_verdict cls;
	int err = decode__ioctl(data, size, &v);

	if (err)
		return err;
	if (!vm_of(r, v.ev.pid, v.ev.cgroup_id, &v.vm))
		return 0;
	classify__ioctl(&r->res->abi, &v, &cls);
	if (k->ioctl)
		k->ioctl(k->ctx, &v, &cls);
	late_verdicts(r, false, &v);
	return 0;
}

static int deliver_iommu(struct run *r, void *data, size_t size)
{
	const struct isc_sink *k = r->sink;
	struct isc_iommu_view v;
	struct isc_verdict cls;
	int err = decode__iommu(data, size, &v);

	if (err)
		return err;
	iommu_state__update(&r->iommu, &v);
	/* a fault comes in interrupt context: the device owner's VM */
	if (v.ev.op == ISC_IOMMU_FAULT || !v.ev.pid
	    ? !vm_of(r, v.owner_pid, 0, &v.vm) : !vm_of(r, v.ev.pid, v.ev.cgroup_id, &v.vm))
		return 0;
	classify__iommu(&r->res->abi, &v, &cls);
	if (k->iommu)
		k->iommu(k->ctx, &v, &cls);
	return 0;
}

/* Every record of every ring buffer: decode by type, classify, the sink. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	int err = decode__type(data, size);

	if (err == ISC_EV_IOCTL)
		err = deliver_ioctl(r, data, size);
	else if (err == ISC_EV_IOMMU)
		err = deliver_iommu(r, data, size);
	else if (err == ISC_EV_DENY)
		err = deliver_deny(r, data, size);
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
	struct run *r = ctx;
	const struct isc_sink *k = r->sink;

	/* -V: a process's totals only if it is the VM's */
	if (r->o->vm && r->res->vms && !vm__match(vm_cache__pid(r->res->vms, key->tgid), r->o->vm))
		return;
	k->map_stats(k->ctx, key, st);
}

/* A module change: the classifiers and the kernel ABI again (and in the
 * trace file, which judges the records from here on by it). */
static void modules_changed(struct run *r)
{
	struct isc_probe *p = r->res->probe;
	int n;

	kernel__refresh(&p->kernel);
	abi__learn(&r->res->abi, p->kernel.release, false);
	r->res->abi_gen++;
	if (r->raw && !r->raw_err) {
		n = rawfile__write_abi(r->raw, &r->res->abi);
		if (n < 0)
			r->raw_err = -n;
		else
			r->res->raw_bytes += n;
	}
	if (loader__sync_classifiers(r->s, &p->kernel))
		isc_warn("failed to update classifiers after a module change");
	else
		isc_info("modules changed: classifiers and kernel ABI refreshed");
}

/* The modules hash against the last one; true if it changed (refreshed). */
static bool modules_check(struct run *r)
{
	uint64_t h = kernel__modules_hash();

	if (h == r->mods)
		return false;
	r->mods = h;
	modules_changed(r);
	return true;
}

/* Once a tick: drops, map totals, module changes (for objects of our own,
 * when no uevents tell of them), the sink's tick. */
static void periodic(struct run *r)
{
	const struct isc_sink *k = r->sink;
	uint64_t v;

	if (r->s) {
		v = loader__stat(r->s, ISC_STAT_DROPS);
		if (v > r->drops) {
			if (k->drops)
				k->drops(k->ctx, v - r->drops, v);
			r->drops = v;
		}
		if (k->map_stats)
			loader__map_stats(r->s, map_stats_cb, r);
		/* every tick without uevents; every 30 with them, in case
		 * they never come (a namespace the kernel does not send to) */
		if (r->uev < 0 || ++r->ticks % 30 == 0)
			modules_check(r);
	}
	if (k->tick)
		k->tick(k->ctx);
}

#define MS 1000000ull

/* A module uevent: compare the hash in 100 ms (a modprobe's burst of
 * modules is one refresh). */
static void modules_event(struct run *r)
{
	if (kernel__modules_event(r->uev) && !r->mods_due)
		r->mods_due = monotonic_ns() + 100 * MS;
}

/* Up to timeout_ms for records (consumed), the sink's input (handed
 * over), a wake-up (a signal, a stop) or a module uevent. */
static int wait_records(struct run *r, int timeout_ms)
{
	const struct isc_sink *k = r->sink;
	struct pollfd pfd[4] = {
		{ .fd = r->rb ? ring_buffer__epoll_fd(r->rb) : -1, .events = POLLIN },
		{ .fd = k->input ? k->input_fd : -1, .events = POLLIN },
		{ .fd = wake[0], .events = POLLIN },
		{ .fd = r->uev, .events = POLLIN },
	};
	int n = poll(pfd, 4, timeout_ms);

	if (n < 0)
		return -errno;
	/* also on a timeout: records that woke nobody (no syscall if none) */
	if (r->rb) {
		n = ring_buffer__consume(r->rb);
		if (n < 0)
			return n;
		if (n > 0)
			r->last_records = monotonic_ns();
	}
	if (k->input && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
		k->input(k->ctx);
	if (pfd[2].revents & POLLIN)
		wake_drain();
	if (pfd[3].revents & (POLLIN | POLLERR))	/* POLLERR: an overrun */
		modules_event(r);
	return 0;
}

/* The sink's tick: 1 s unless it asked for another. */
static uint64_t tick_ns(const struct isc_session_opts *o)
{
	return o->tick_ns ? o->tick_ns : 1000 * MS;
}

/* poll's timeout: until the next tick, the end of the duration or a
 * modules check (rounded up to a ms: never early); 100 ms at most for a
 * sink with rounds, without the wake pipe, and for 100 ms after records
 * came: a record submitted within the kernel's wakeup gap wakes nobody
 * (bpf/ioctl.bpf.c, wakeup_flag), this poll reads it. */
static int loop_timeout(const struct run *r, uint64_t start, uint64_t last)
{
	const struct isc_session_opts *o = r->o;
	uint64_t due = last + tick_ns(o), now = monotonic_ns();

	if (o->duration_ns && start + o->duration_ns < due)
		due = start + o->duration_ns;
	if (r->mods_due && r->mods_due < due)
		due = r->mods_due;
	if ((r->sink->round || wake[0] < 0 || now - r->last_records < 100 * MS) &&
	    now + 100 * MS < due)
		due = now + 100 * MS;
	return due > now ? (int)((due - now + MS - 1) / MS) : 0;
}

/* The ring buffer reader over fds (none: a reader that only waits). */
static int run_reader(struct run *r, const int *fds, int nr_fds)
{
	ring_buffer_sample_fn fn = r->raw ? on_raw_record : on_record;
	int i, err;

	if (!nr_fds)
		return 0;
	r->rb = ring_buffer__new(fds[0], fn, r, NULL);
	for (i = 1; r->rb && i < nr_fds; i++)
		if (ring_buffer__add(r->rb, fds[i], fn, r))
			break;
	if (r->rb && i == nr_fds)
		return 0;
	err = errno ?: EINVAL;
	isc_err("failed to create ring buffer reader: %s", strerror(err));
	return -err;
}

/* Until a signal, the duration or a failure (printed): records, the
 * sink's input and rounds, module changes, ticks. 0 or -errno. */
static int run_loop(struct run *r, uint64_t start)
{
	const struct isc_session_opts *o = r->o;
	const struct isc_sink *k = r->sink;
	uint64_t last = start, now = start;
	int err;

	if (r->s) {
		r->uev = kernel__modules_watch();	/* first: no change unseen */
		if (r->uev < 0)
			isc_info("no module uevents (%s): /proc/modules read every tick",
				 strerror(-r->uev));
		r->mods = kernel__modules_hash();
	}
	while (!exiting) {
		err = wait_records(r, loop_timeout(r, start, last));
		if (r->raw_err) {
			isc_err("failed to write the trace file: %s", strerror(r->raw_err));
			return -r->raw_err;
		}
		if (err < 0 && err != -EINTR) {
			isc_err("failed to poll ring buffer: %s", strerror(-err));
			return err;
		}
		fflush(stdout);
		if (k->round) {
			bool h = hup;

			hup = 0;
			k->round(k->ctx, h);
		}
		now = monotonic_ns();
		if (o->duration_ns && now - start >= o->duration_ns)
			break;
		/* a module leaving is announced while still listed: again 1 s
		 * after every change seen */
		if (r->mods_due && now >= r->mods_due)
			r->mods_due = modules_check(r) ? now + 1000 * MS : 0;
		if (now - last >= tick_ns(o)) {
			last = now;
			periodic(r);
		}
	}
	return 0;
}

/* After the loop: what is left in the buffers, the trace file's flush,
 * verdicts still open, a last round of periodic work, the totals. */
static int run_finish(struct run *r, uint64_t start)
{
	const struct isc_session_opts *o = r->o;
	struct isc_session_result *res = r->res;

	if (r->rb)
		ring_buffer__consume(r->rb);
	if (o->raw && (r->raw_err || fflush(o->raw) || ferror(o->raw))) {
		isc_err("failed to write the trace file: %s", strerror(r->raw_err ?: errno ?: EIO));
		return -(r->raw_err ?: EIO);
	}
	late_verdicts(r, true, NULL);
	periodic(r);
	if (r->s) {
		res->drops = loader__stat(r->s, ISC_STAT_DROPS);
		res->inflight_full = loader__stat(r->s, ISC_STAT_INFLIGHT_FULL);
	}
	res->duration_ns = monotonic_ns() - start;
	fflush(stdout);
	return 0;
}

/* Probe (with the --classify entries), learn the kernel's ABI, load and
 * attach, and start the trace file. 0 or -errno (printed). */
static int run_load(struct run *r)
{
	const struct isc_session_opts *o = r->o;
	struct isc_session_result *res = r->res;
	struct isc_loader_opts lo = o->lo;
	int i, err;

	loader__probe(res->probe);
	for (i = 0; i < o->nr_classify; i++) {
		err = kernel__add_classify(&res->probe->kernel, o->classify[i]);
		if (err) {
			res->option_refused = true;
			return err;
		}
	}
	/* Before attaching, so asking the container about extensions is not
	 * traced (the programs also skip this process). */
	if (abi__learn(&res->abi, res->probe->kernel.release, true)) {
		isc_err("out of memory");
		return -ENOMEM;
	}
	lo.abi = &res->abi;
	err = loader__start(&r->s, res->probe, &lo);
	if (err)
		return err;
	res->mode = loader__mode_name(loader__mode(r->s));
	if (!o->raw)
		return 0;
	r->raw = o->raw;
	err = rawfile__write_header(o->raw, &res->abi, res->probe->kernel.release, res->mode,
				    mono_to_real_ns());
	if (err)
		isc_err("failed to write the trace file: %s", strerror(-err));
	return err;
}

static struct run *run_new(const struct isc_session_opts *o, const struct isc_sink *sink,
			   struct isc_session_result *res)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r) {
		isc_err("out of memory");
		return NULL;
	}
	r->o = o;
	r->sink = sink;
	r->res = res;
	r->uev = -1;
	return r;
}

/* A live session's VM resolver (none: the records carry no VM). */
static void run_vms(struct run *r)
{
	r->res->vms = vm_cache__new();
	if (!r->res->vms)
		isc_warn("out of memory: records carry no VM");
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	vm_cache__free(r->res->vms);
	r->res->vms = NULL;
	ring_buffer__free(r->rb);
	loader__stop(r->s);
	if (r->uev >= 0)
		close(r->uev);
	free(r);
}

/* The ready lines, the sink's start, the loop and its end. */
static int run_go(struct run *r, struct isc_session *s)
{
	const struct isc_sink *k = r->sink;
	uint64_t start;

	if (k->started)
		k->started(k->ctx, s, r->res);
	start = monotonic_ns();
	return run_loop(r, start) ?: run_finish(r, start);
}

int session__run(const struct isc_session_opts *o, const struct isc_sink *sink,
		 struct isc_session_result *res)
{
	struct run *r;
	int fd, err = -ENOMEM;

	memset(res, 0, sizeof(*res));
	session__signals(false);
	r = run_new(o, sink, res);
	res->probe = calloc(1, sizeof(*res->probe));
	if (!r || !res->probe) {
		if (r)
			isc_err("out of memory");
		goto out;
	}
	run_vms(r);
	err = run_load(r);
	if (err)
		goto out;
	fd = loader__events_fd(r->s);
	err = run_reader(r, &fd, fd >= 0);
	if (err)
		goto out;
	isc_info("%s in %s mode (%s)", o->what, res->mode,
		 o->lo.mode == ISC_MODE_AUTO ? res->probe->mode_reason : "as --mode asked");
	/* Always on stderr: scripts wait for this line before starting work. */
	fprintf(stderr, "iommuscope: %s VFIO/iommufd ioctls in %s mode; Ctrl-C to stop\n",
		o->what, res->mode);
	err = run_go(r, r->s);
out:
	run_free(r);
	return err;
}

int session__read(const int *fds, int nr_fds, const struct isc_session_opts *o,
		  const struct isc_sink *sink, struct isc_session_result *res)
{
	struct run *r;
	uint64_t start;
	int err;

	memset(res, 0, sizeof(*res));
	r = run_new(o, sink, res);
	if (!r)
		return -ENOMEM;
	run_vms(r);
	err = run_reader(r, fds, nr_fds);
	if (err)
		goto out;
	if (sink->started)
		sink->started(sink->ctx, NULL, res);
	start = monotonic_ns();
	err = run_loop(r, start);
	run_finish(r, start);
out:
	run_free(r);
	return err;
}

int session__replay(const char *path, const struct isc_sink *sink,
		    struct isc_session_result *res)
{
	static char buf[ISC_RAW_MAX_RECORD] __attribute__((aligned(8)));
	struct isc_raw_header h;
	struct run r = { .sink = sink, .res = res, .uev = -1 };
	uint64_t off;
	FILE *f;
	long n;
	int err;

	memset(res, 0, sizeof(*res));
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		err = -errno;
		isc_err("cannot open %s: %s", path, strerror(-err));
		return err;
	}
	err = rawfile__read_header(f, path, &h, &res->abi) ? -EINVAL : 0;
	if (err)
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
	err = n < 0 ? -EINVAL : 0;
	if (!err)
		late_verdicts(&r, true, NULL);
out:
	if (f != stdin)
		fclose(f);
	return err;
}

void session__free(struct isc_session_result *res)
{
	abi__free(&res->abi);
	free(res->probe);
	res->probe = NULL;
}

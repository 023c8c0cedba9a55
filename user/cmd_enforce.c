// SPDX-License-Identifier: GPL-2.0
/*
 * iommuscope enforce: refuse VFIO/iommufd calls whose flags (or size, or
 * caller) the policy does not allow, with the BPF LSM.
 * iommuscope policy check|reload|learn: work with policy files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "enforce.h"
#include "logfile.h"
#include "output.h"
#include "privs.h"
#include "session.h"
#include "util.h"

static const char enforce_usage[] =
	"usage: iommuscope enforce [OPTIONS]\n"
	"       iommuscope enforce --stop\n"
	"\n"
	"Refuse VFIO and iommufd ioctls that carry flag bits the policy does not\n"
	"allow (by default: any bit the running kernel does not define for that\n"
	"ioctl and backend), with the BPF LSM file_ioctl hook (and file_ioctl_compat\n"
	"for 32-bit callers where the kernel has it). Every refusal is printed.\n"
	"SIGHUP (or 'iommuscope policy reload') re-reads the policy file and swaps\n"
	"it in atomically; a bad file is reported and the old policy stays.\n"
	"\n"
	"  -P, --policy FILE       the policy (iommuscope-policy(5)); default: the\n"
	"                          built-in catalog policy\n"
	"  -a, --audit-only        log what would be refused, refuse nothing\n"
	"      --pin               keep enforcing after this process exits (pinned\n"
	"                          in " ISC_PIN_DIR "); a later 'enforce' adopts it\n"
	"      --stop              remove pinned enforcement and exit\n"
	"  -o, --log FILE          append records to FILE (root's, 0600) instead of\n"
	"                          stdout\n"
	ISC_LOGFILE_HELP
	"  -j, --json              JSON Lines (schema in iommuscope-enforce(8))\n"
	"  -d, --duration TIME     stop after TIME (10, 10s, 500ms, 2m)\n"
	"      --classify PATH=KIND\n"
	"                          police the character device PATH as a VFIO fd of\n"
	"                          KIND (for tests)\n"
	"  -v, --verbose           more messages\n"
	"  -h, --help              this text\n"
	"\n"
	"Without --pin, enforcement ends when this process exits, however it exits\n"
	"(fail-open). With --pin it stays in force until 'enforce --stop'.\n"
	"\n"
	"examples:\n"
	"  iommuscope enforce --policy /etc/iommuscope/policy --pin -o /var/log/iommuscope/deny.log\n"
	"  iommuscope enforce --audit-only --json\n";

static const char policy_usage[] =
	"usage: iommuscope policy check FILE\n"
	"       iommuscope policy reload [FILE]\n"
	"       iommuscope policy learn -d TIME -o FILE [TRACE OPTIONS]\n"
	"\n"
	"  check   validate FILE against the catalog and this kernel; load nothing\n"
	"  reload  validate, then swap the running (or pinned) enforcement's policy:\n"
	"          FILE, or the file it was started with\n"
	"  learn   watch for TIME and write a policy allowing exactly what was seen\n";

static volatile sig_atomic_t exiting, reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		exiting = 1;
}

/* What a policy is compiled against: the kernel's version (which flags it
 * defines). Struct sizes from BTF are not needed to judge flags, and
 * parsing BTF would make every 'policy reload' slow. */
static void abi_here(struct isc_abi *a)
{
	struct utsname u;

	memset(a, 0, sizeof(*a));
	uname(&u);
	a->version = abi__parse_release(u.release);
}

/* Parse and compile without installing: what check and reload do first. */
static int policy_validate(const char *path, struct isc_policy *p, const struct isc_abi *a,
			   int *entries)
{
	char err[ISC_POLICY_ERR_LEN];
	int n = 0;

	if (path && policy__load(path, p, err, sizeof(err))) {
		isc_err("%s", err);
		return -1;
	}
	if (!path)
		policy__default(p);
	if (policy__compile(p, path ? path : "(built-in)", a, 0, 1, policy__count_entry, &n, err,
			    sizeof(err)) < 0) {
		isc_err("%s", err);
		policy__free(p);
		return -1;
	}
	if (entries)
		*entries = n;
	return 0;
}

/* ---- enforce ---- */

struct enforce_run {
	struct isc_output out;
	struct isc_logfile log;
	char policy[PATH_MAX];	/* what rule lines refer to, "" : built in */
	uint64_t records, invalid;
	bool unclassified;	/* a refusal for a file no classifier knew */
};

static int on_deny(void *ctx, void *data, size_t size)
{
	struct enforce_run *r = ctx;
	struct isc_deny_view v;
	int err = decode__deny(data, size, &v);

	if (err) {
		if (!r->invalid++)
			isc_warn("rejected a record from the kernel: %s", decode__strerr(err));
		return 0;
	}
	r->records++;
	if (v.ev.reason == ISC_DENY_UNCLASSIFIED)
		r->unclassified = true;
	r->out.f = logfile__get(&r->log);
	if (r->out.f)
		output__deny(&r->out, &v, r->policy[0] ? r->policy : NULL);
	logfile__done(&r->log, r->out.f && !ferror(r->out.f));
	return 0;
}

/* How each kind of file is recognised, on stderr (start-up, refreshes). */
static void report_kinds(const struct isc_kernel *k, const char *when)
{
	int i, n, kinds[ISC_FD_KIND_MAX];
	char ways[512];

	n = kernel__kinds(k, kinds);
	for (i = 0; i < n; i++)
		fprintf(stderr, "iommuscope: %s %s\n", when,
			kernel__kind_ways(k, kinds[i], ways, sizeof(ways)));
}

/* Modules came or went (or a file no classifier knew was refused): read
 * the classifiers again and put exactly them into the maps. */
static void refresh_classifiers(struct isc_enforcer *e, struct isc_kernel *k, uint64_t *mods,
				bool force)
{
	static struct isc_classifier was[ISC_MAX_CLASSIFIERS];
	static uint64_t last_forced;
	uint64_t h = kernel__modules_hash(), now = monotonic_ns();
	int err, nr = k->nr_classifiers;

	/* a flood of refusals re-reads at most once a second */
	if (h == *mods && (!force || now - last_forced < 1000000000ull))
		return;
	if (h == *mods)
		last_forced = now;
	*mods = h;
	memcpy(was, k->cls, sizeof(was));
	kernel__refresh(k);
	if (!k->devices_read) {
		/* keep what the maps hold; try again on the next round */
		memcpy(k->cls, was, sizeof(was));
		k->nr_classifiers = nr;
		*mods = 0;
		isc_warn("cannot read /proc/devices or /proc/misc: the fd classifiers stay as they were");
		return;
	}
	err = loader__fill_classifiers(&e->cls, k);
	if (err) {
		isc_err("failed to refresh the fd classifiers: %s", strerror(-err));
		return;
	}
	if (!kernel__same_classifiers(was, nr, k))
		report_kinds(k, "classifiers changed:");
}

/* ---- following the exe rules' files through upgrades ---- */

/* Watch the directory holding path (the path as written, and where its
 * symlinks lead: re-pointing a link is an upgrade too). */
static void watch_parent(int fd, const char *path)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
				       IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR) < 0)
		isc_warn("cannot watch %s for upgrades of an exe rule's file: %s", dir,
			 strerror(errno));
}

static void watch_dir(void *ctx, const char *path)
{
	char real[PATH_MAX];
	int fd = *(int *)ctx;

	watch_parent(fd, path);
	if (realpath(path, real) && strcmp(real, path))
		watch_parent(fd, real);
}

/* An inotify fd watching the directories of the policy's exe rules (-1:
 * none). */
static int watch_exes(const struct isc_policy *p)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0) {
		isc_warn("inotify: %s: exe rules will not follow upgrades", strerror(errno));
		return -1;
	}
	policy__for_each_exe(p, watch_dir, &fd);
	return fd;
}

/* Something changed where an exe rule's file lives: resolve the paths
 * again and, when a file was replaced, swap in the policy matching both
 * the new file and the one it replaced (which running processes keep).
 * A swap that fails stays pending (*pending) and is tried every round. */
static void follow_exes(int ifd, struct isc_enforcer *e, struct isc_policy *p, const char *name,
			const struct isc_abi *a, uint32_t pflags, bool *pending)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char msg[ISC_POLICY_ERR_LEN], err[ISC_POLICY_ERR_LEN];
	bool any = false;
	int n = 0;

	while (read(ifd, buf, sizeof(buf)) > 0)
		any = true;
	if (any) {
		n = policy__exe_refresh(p, msg, sizeof(msg));
		if (msg[0])
			isc_warn("%s: %s", name, msg);
	}
	if (!n && !*pending)
		return;
	if (enforcer__swap(e, p, name, a, pflags, err, sizeof(err))) {
		if (!*pending)
			isc_err("exe rules: %s (the previous policy stays in force; retrying)", err);
		*pending = true;
		return;
	}
	*pending = false;
	fprintf(stderr, "iommuscope: %d exe rule%s followed a replaced file (generation %u)\n",
		n, n == 1 ? "" : "s", e->generation);
}

static int enforce_stop(void)
{
	struct isc_enforce_state st;
	int n;

	if (commands__preflight())
		return ISC_EXIT_FAIL;
	n = enforcer__unpin();
	if (n == -EPERM)
		return ISC_EXIT_FAIL;	/* a pin directory not ours: said why */
	if (n < 0) {
		isc_err("cannot remove %s: %s", ISC_PIN_DIR, strerror(-n));
		return ISC_EXIT_FAIL;
	}
	if (!enforcer__state_read(&st) && st.pid)
		fprintf(stderr, "iommuscope: pins removed; process %d still enforces until it exits\n",
			(int)st.pid);
	else
		unlink(ISC_STATE_FILE);
	fprintf(stderr, "iommuscope: %s\n",
		n ? "pinned enforcement removed" : "no pinned enforcement");
	return ISC_EXIT_OK;
}

/* Re-read the policy file named in the state (reload may have changed
 * it) and swap it in. */
static void enforce_reload(struct isc_enforcer *e, struct isc_enforce_state *st,
			   const struct isc_abi *a, uint32_t pflags, struct enforce_run *r,
			   struct isc_policy *cur)
{
	char err[ISC_POLICY_ERR_LEN];
	struct isc_enforce_state now;
	struct isc_policy p;

	if (!enforcer__state_read(&now) && now.policy[0] && now.pid == getpid())
		snprintf(st->policy, sizeof(st->policy), "%s", now.policy);
	st->error[0] = 0;
	if (!st->policy[0])
		policy__default(&p);
	else if (policy__load(st->policy, &p, err, sizeof(err)))
		goto bad;
	if (enforcer__swap(e, &p, st->policy[0] ? st->policy : "(built-in)", a, pflags, err,
			   sizeof(err))) {
		policy__free(&p);
		goto bad;
	}
	policy__exe_carry(&p, cur);
	policy__free(cur);
	*cur = p;
	st->generation = e->generation;
	snprintf(r->policy, sizeof(r->policy), "%s", st->policy);
	fprintf(stderr, "iommuscope: policy %s reloaded (generation %u)\n",
		st->policy[0] ? st->policy : "(built-in)", e->generation);
	goto out;
bad:
	isc_err("reload: %s (the previous policy stays in force)", err);
	snprintf(st->error, sizeof(st->error), "%s", err);
out:
	/* the generation only moves on success: reload waits for it */
	if (enforcer__state_write(st))
		isc_warn("cannot write %s", ISC_STATE_FILE);
}

int cmd_enforce(int argc, char **argv)
{
	enum { OPT_PIN = ISC_OPT_FIRST_FREE, OPT_STOP, OPT_MAX_SIZE, OPT_ROTATE };
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'P' },
		{ "audit-only", no_argument, NULL, 'a' },
		{ "pin", no_argument, NULL, OPT_PIN },
		{ "stop", no_argument, NULL, OPT_STOP },
		{ "log", required_argument, NULL, 'o' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "rotate", required_argument, NULL, OPT_ROTATE },
		{ "json", no_argument, NULL, 'j' },
		{ "duration", required_argument, NULL, 'd' },
		{ "classify", required_argument, NULL, ISC_OPT_CLASSIFY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *policy_path = NULL;
	bool audit_only = false, pin = false, stop = false, json = false;
	char err[ISC_POLICY_ERR_LEN], real[PATH_MAX];
	static struct enforce_run r;
	struct isc_enforce_state st = {};
	struct ring_buffer *rb = NULL;
	struct sigaction sa = {};
	struct isc_enforcer e = { .skel = NULL };
	struct isc_kernel *k = NULL;
	struct isc_abi abi = {};
	struct isc_policy p = {};
	struct isc_session_opts so;	/* -d, --classify, -v: as every live command */
	bool exe_pending = false;
	uint64_t start, mods;
	int c, i, ret = ISC_EXIT_FAIL, entries = 0, ifd = -1;
	uint32_t pflags;

	session__init_opts(&so, "enforcing");
	memset(&r, 0, sizeof(r));
	r.log.what = "deny log";
	r.log.max_bytes = ISC_LOGFILE_MAX_BYTES;
	r.log.rotate = ISC_LOGFILE_ROTATE;
	optind = 1;
	while ((c = getopt_long(argc, argv, "P:ao:jd:vh", opts, NULL)) != -1) {
		if (c == 'd' || c == 'v' || c == ISC_OPT_CLASSIFY) {
			if (session__parse_opt(&so, c, optarg) < 0)
				return ISC_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'P':
			policy_path = optarg;
			break;
		case 'a':
			audit_only = true;
			break;
		case OPT_PIN:
			pin = true;
			break;
		case OPT_STOP:
			stop = true;
			break;
		case 'o':
			r.log.path = optarg;
			break;
		case OPT_MAX_SIZE:
			if (logfile__parse_max_size(optarg, &r.log.max_bytes))
				return ISC_EXIT_USAGE;
			break;
		case OPT_ROTATE:
			if (logfile__parse_rotate(optarg, &r.log.rotate))
				return ISC_EXIT_USAGE;
			break;
		case 'j':
			json = true;
			break;
		default:
			return commands__help_or_usage(c, enforce_usage);
		}
	}
	if (commands__no_args("enforce", argc, argv))
		return ISC_EXIT_USAGE;
	if (stop) {
		if (policy_path || audit_only || pin || r.log.path || json || so.duration_ns) {
			isc_err("enforce: --stop takes no other options");
			return ISC_EXIT_USAGE;
		}
		return enforce_stop();
	}
	if (policy_path) {
		if (!realpath(policy_path, real)) {
			isc_err("%s: %s", policy_path, strerror(errno));
			return ISC_EXIT_FAIL;
		}
		policy_path = real;
	}
	/* Nothing is loaded until the policy is known to be good. */
	abi_here(&abi);
	if (policy_validate(policy_path, &p, &abi, &entries))
		goto out;
	if (commands__preflight())
		goto out;
	i = ensure_mounted("bpf", "/sys/fs/bpf", "mode=0700");
	if (i < 0 && pin) {
		isc_err("bpffs is not mounted at /sys/fs/bpf and mounting it failed: %s",
			strerror(-i));
		goto out;
	}
	if (enforcer__pin_dir(false))
		goto out;
	if (logfile__open(&r.log))
		goto out;
	exiting = reload = 0;
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	k = calloc(1, sizeof(*k));
	if (!k) {
		isc_err("out of memory");
		goto out;
	}
	kernel__probe(k);
	for (i = 0; i < so.nr_classify; i++) {
		if (kernel__add_classify(k, so.classify[i])) {
			ret = ISC_EXIT_USAGE;
			goto out;
		}
	}
	if (!k->devices_read) {
		isc_err("enforce: /proc/devices or /proc/misc is unreadable: VFIO groups, containers and iommufd could not be recognised");
		goto out;
	}
	if (enforcer__unsupported(k, err, sizeof(err))) {
		isc_err("enforce: %s", err);
		goto out;
	}
	pflags = audit_only ? ISC_PF_AUDIT_ONLY : 0;
	if (enforcer__state_read(&st) == 0 && st.pid && st.pid != getpid()) {
		isc_err("enforce: process %d already enforces (policy %s); stop it first",
			(int)st.pid, st.policy[0] ? st.policy : "(built-in)");
		goto out;
	}
	if (enforcer__pins_exist()) {
		if (enforcer__adopt(&e))
			goto out;
		fprintf(stderr, "iommuscope: adopting pinned enforcement (generation %u)\n",
			e.generation);
		if (loader__fill_classifiers(&e.cls, k))
			isc_warn("failed to refresh the fd classifiers");
		if (enforcer__swap(&e, &p, policy_path ? policy_path : "(built-in)", &abi, pflags,
				   err, sizeof(err))) {
			isc_err("%s", err);
			goto out;
		}
	} else {
		/* counters a killed non-pinned run left behind */
		enforcer__unpin();
		if (enforcer__start(&e, k, 1 << 20))
			goto out;
		if (enforcer__swap(&e, &p, policy_path ? policy_path : "(built-in)", &abi, pflags,
				   err, sizeof(err))) {
			isc_err("%s", err);
			goto out;
		}
		if (enforcer__attach(&e))
			goto out;
		if (pin && enforcer__pin(&e))
			goto out;
		if (!pin && enforcer__publish(&e))
			isc_warn("cannot pin the denial counters in %s: iommutop will not show them",
				 ISC_PIN_DIR);
	}
	output__init(&r.out, json, r.log.f);
	snprintf(r.policy, sizeof(r.policy), "%s", policy_path ? policy_path : "");
	rb = ring_buffer__new(e.events_fd, on_deny, &r, NULL);
	if (!rb || ring_buffer__add(rb, e.race_fd, on_deny, &r)) {
		isc_err("failed to create ring buffer reader: %s", strerror(errno));
		goto out;
	}
	st.pid = getpid();
	snprintf(st.policy, sizeof(st.policy), "%s", policy_path ? policy_path : "");
	st.generation = e.generation;
	st.pinned = e.pinned;
	st.audit_only = audit_only;
	st.error[0] = 0;
	if (enforcer__state_write(&st))
		isc_warn("cannot write %s: 'policy reload' will not find this process",
			 ISC_STATE_FILE);
	fprintf(stderr,
		"iommuscope: enforcing %s (%d entries, generation %u)%s%s on VFIO/iommufd ioctls; %s\n",
		policy_path ? policy_path : "the built-in catalog policy", entries, e.generation,
		audit_only ? ", audit only" : "",
		e.compat ? ", 32-bit callers too" : "",
		e.pinned ? "pinned" : "Ctrl-C to stop");
	report_kinds(k, "recognising");
	/* loaded, attached, pinned: reloads create policy maps (CAP_BPF) and
	 * exe rules re-resolve paths anywhere (CAP_DAC_READ_SEARCH) */
	privs__drop(PRIVS_KEEP(CAP_BPF, CAP_DAC_READ_SEARCH));
	isc_info("race detection: %s", e.race);
	ifd = watch_exes(&p);
	mods = kernel__modules_hash();

	start = monotonic_ns();
	while (!exiting) {
		i = ring_buffer__poll(rb, 100);
		if (i < 0 && i != -EINTR) {
			isc_err("failed to poll ring buffer: %s", strerror(-i));
			break;
		}
		refresh_classifiers(&e, k, &mods, r.unclassified);
		r.unclassified = false;
		if (reload) {
			reload = 0;
			enforce_reload(&e, &st, &abi, pflags, &r, &p);
			if (ifd >= 0)
				close(ifd);
			ifd = watch_exes(&p);
		}
		if (ifd >= 0)
			follow_exes(ifd, &e, &p, st.policy[0] ? st.policy : "(built-in)", &abi,
				    pflags, &exe_pending);
		if (r.log.f)
			fflush(r.log.f);
		if (so.duration_ns && monotonic_ns() - start >= so.duration_ns)
			break;
	}
	ring_buffer__consume(rb);
	if (r.log.f)
		fflush(r.log.f);
	fprintf(stderr,
		"iommuscope: %llu checked, %llu denied, %llu audited, %llu unreadable, %llu unclassified, %llu races, %llu killed, %llu lost, %llu over the log rate, %llu unwritten\n",
		(unsigned long long)enforcer__stat(&e, ISC_ES_CHECKED),
		(unsigned long long)enforcer__stat(&e, ISC_ES_DENIED),
		(unsigned long long)enforcer__stat(&e, ISC_ES_AUDITED),
		(unsigned long long)enforcer__stat(&e, ISC_ES_UNREADABLE),
		(unsigned long long)enforcer__stat(&e, ISC_ES_UNCLASSIFIED),
		(unsigned long long)enforcer__stat(&e, ISC_ES_RACES),
		(unsigned long long)enforcer__stat(&e, ISC_ES_KILLS),
		(unsigned long long)enforcer__stat(&e, ISC_ES_DROPS),
		(unsigned long long)enforcer__stat(&e, ISC_ES_SUPPRESSED),
		(unsigned long long)r.log.lost);
	if (e.pinned) {
		st.pid = 0;
		enforcer__state_write(&st);
		fprintf(stderr,
			"iommuscope: enforcement stays pinned in %s; 'iommuscope enforce --stop' removes it\n",
			ISC_PIN_DIR);
	} else {
		unlink(ISC_STATE_FILE);
	}
	ret = ISC_EXIT_OK;
out:
	if (e.published && !e.pinned)
		enforcer__unpin();
	ring_buffer__free(rb);
	if (e.skel || e.adopted)
		enforcer__stop(&e, false);
	logfile__close(&r.log);
	if (ifd >= 0)
		close(ifd);
	policy__free(&p);
	abi__free(&abi);
	free(k);
	return ret;
}

/* ---- policy ---- */

static int policy_check(int argc, char **argv)
{
	struct isc_abi abi = {};
	struct isc_policy p;
	char ver[16];
	int entries = 0;

	if (argc != 2) {
		isc_err("policy check wants one FILE");
		return ISC_EXIT_USAGE;
	}
	abi_here(&abi);
	if (policy_validate(argv[1], &p, &abi, &entries)) {
		abi__free(&abi);
		return ISC_EXIT_FAIL;
	}
	printf("%s: ok: %d rules, %d policy entries for Linux %s\n", argv[1], p.nr, entries,
	       abi__version_str(abi.version, ver, sizeof(ver)));
	policy__free(&p);
	abi__free(&abi);
	return ISC_EXIT_OK;
}

static int policy_reload(int argc, char **argv)
{
	char real[PATH_MAX], err[ISC_POLICY_ERR_LEN];
	struct isc_enforce_state st;
	struct isc_abi abi = {};
	struct isc_policy p;
	const char *path = NULL;
	uint64_t deadline;
	uint32_t gen;
	int ret = ISC_EXIT_FAIL;

	if (argc > 2) {
		isc_err("policy reload takes at most one FILE");
		return ISC_EXIT_USAGE;
	}
	if (!have_bpf_privileges()) {
		isc_err("must be run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)");
		return ISC_EXIT_FAIL;
	}
	if (enforcer__state_read(&st) && !enforcer__pins_exist()) {
		isc_err("no enforcement is running (start it with 'iommuscope enforce')");
		return ISC_EXIT_FAIL;
	}
	if (argc == 2) {
		if (!realpath(argv[1], real)) {
			isc_err("%s: %s", argv[1], strerror(errno));
			return ISC_EXIT_FAIL;
		}
		path = real;
	} else if (st.policy[0]) {
		path = st.policy;
	}
	abi_here(&abi);
	if (policy_validate(path, &p, &abi, NULL))
		goto out;
	if (st.pid) {
		gen = st.generation;
		snprintf(st.policy, sizeof(st.policy), "%s", path ? path : "");
		st.error[0] = 0;
		if (enforcer__state_write(&st) || kill(st.pid, SIGHUP)) {
			isc_err("cannot signal the enforcing process %d: %s", (int)st.pid,
				strerror(errno));
			goto out_free;
		}
		deadline = monotonic_ns() + 5000000000ull;
		while (monotonic_ns() < deadline) {
			usleep(20000);
			if (enforcer__state_read(&st))
				continue;
			if (st.generation != gen) {
				printf("policy %s in force (generation %u)\n", path ? path : "(built-in)",
				       st.generation);
				ret = ISC_EXIT_OK;
				goto out_free;
			}
			if (st.error[0]) {
				isc_err("process %d refused the policy: %s", (int)st.pid, st.error);
				goto out_free;
			}
		}
		isc_err("process %d did not answer within 5 s", (int)st.pid);
		goto out_free;
	}
	/* pinned, no loader: swap it in directly */
	if (enforcer__swap_pinned(&p, path ? path : "(built-in)", &abi,
				  st.audit_only ? ISC_PF_AUDIT_ONLY : 0, st.generation + 1, err,
				  sizeof(err))) {
		isc_err("%s", err);
		goto out_free;
	}
	st.generation++;
	snprintf(st.policy, sizeof(st.policy), "%s", path ? path : "");
	st.pinned = true;
	if (enforcer__state_write(&st))
		isc_warn("cannot write %s", ISC_STATE_FILE);
	printf("policy %s in force (generation %u, pinned)\n", path ? path : "(built-in)",
	       st.generation);
	ret = ISC_EXIT_OK;
out_free:
	policy__free(&p);
out:
	abi__free(&abi);
	return ret;
}

int cmd_policy(int argc, char **argv)
{
	if (argc < 2) {
		fputs(policy_usage, stderr);
		return ISC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		return commands__help(policy_usage);
	}
	if (!strcmp(argv[1], "check"))
		return policy_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "reload"))
		return policy_reload(argc - 1, argv + 1);
	if (!strcmp(argv[1], "learn"))
		return cmd_policy_learn(argc - 1, argv + 1);
	isc_err("policy: unknown subcommand '%s' (check, reload, learn)", argv[1]);
	return ISC_EXIT_USAGE;
}

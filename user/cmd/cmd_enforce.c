// SPDX-License-Identifier: GPL-2.0
/*
 * iommuscope enforce: refuse VFIO/iommufd calls whose flags (or size, or
 * caller) the policy does not allow, with the BPF LSM.
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
#include "cmd_opts.h"
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

/* ---- enforce ---- */

/* One enforce run: its options, what it loaded, and the sink's state. */
struct enforce_run {
	struct isc_session_opts so;	/* -d, --classify, -v: as every live command */
	const char *policy_path;	/* NULL: the built-in policy */
	char real[PATH_MAX];		/* policy_path resolved */
	bool audit_only, pin, stop, json;
	uint32_t pflags;
	int entries;			/* of the compiled policy */
	struct isc_enforcer e;
	struct isc_enforce_state st;
	struct isc_kernel *k;
	struct isc_abi abi;
	struct isc_policy p;
	int ifd;			/* inotify on the exe rules' directories */
	bool exe_pending;		/* an exe rule swap to try again */
	uint64_t mods;			/* the modules as last seen */
	bool running;			/* the ready line is out */
	struct isc_output out;
	struct isc_logfile log;
	char policy[PATH_MAX];	/* what rule lines refer to, "" : built in */
	bool unclassified;	/* a refusal for a file no classifier knew */
};

/* The sink's deny and race: one record to the log. */
static void enforce_record(void *ctx, const struct isc_deny_view *v)
{
	struct enforce_run *r = ctx;

	if (v->ev.reason == ISC_DENY_UNCLASSIFIED)
		r->unclassified = true;
	r->out.f = logfile__get(&r->log);
	if (r->out.f)
		output__deny(&r->out, v, r->policy[0] ? r->policy : NULL);
	logfile__done(&r->log, r->out.f && !ferror(r->out.f));
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

/* enforce's options into r. -1 to go on, or the exit code. */
static int enforce_parse(struct enforce_run *r, int argc, char **argv)
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
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "P:ao:jd:vh", opts, NULL)) != -1) {
		if (c == 'd' || c == 'v' || c == ISC_OPT_CLASSIFY) {
			if (cmd_opts__parse(&r->so, c, optarg) < 0)
				return ISC_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'P':
			r->policy_path = optarg;
			break;
		case 'a':
			r->audit_only = true;
			break;
		case OPT_PIN:
			r->pin = true;
			break;
		case OPT_STOP:
			r->stop = true;
			break;
		case 'o':
			r->log.path = optarg;
			break;
		case OPT_MAX_SIZE:
			if (logfile__parse_max_size(optarg, &r->log.max_bytes))
				return ISC_EXIT_USAGE;
			break;
		case OPT_ROTATE:
			if (logfile__parse_rotate(optarg, &r->log.rotate))
				return ISC_EXIT_USAGE;
			break;
		case 'j':
			r->json = true;
			break;
		default:
			return commands__help_or_usage(c, enforce_usage);
		}
	}
	if (commands__no_args("enforce", argc, argv))
		return ISC_EXIT_USAGE;
	return -1;
}

/* What the host must have before anything loads: a good policy, the
 * privileges, bpffs (for --pin), our pin directory, the log. 0 or -1. */
static int enforce_prepare(struct enforce_run *r)
{
	int err;

	if (r->policy_path) {
		if (!realpath(r->policy_path, r->real)) {
			isc_err("%s: %s", r->policy_path, strerror(errno));
			return -1;
		}
		r->policy_path = r->real;
	}
	/* Nothing is loaded until the policy is known to be good. */
	commands__policy_abi(&r->abi);
	if (commands__policy_validate(r->policy_path, &r->p, &r->abi, &r->entries))
		return -1;
	if (commands__preflight())
		return -1;
	err = ensure_mounted("bpf", "/sys/fs/bpf", "mode=0700");
	if (err < 0 && r->pin) {
		isc_err("bpffs is not mounted at /sys/fs/bpf and mounting it failed: %s",
			strerror(-err));
		return -1;
	}
	if (enforcer__pin_dir(false))
		return -1;
	return logfile__open(&r->log) ? -1 : 0;
}

/* The kernel's fd classifiers (and --classify's), and whether enforcement
 * can run here at all. An exit code, or -1 to go on. */
static int enforce_kernel(struct enforce_run *r)
{
	char err[ISC_POLICY_ERR_LEN];
	int i;

	r->k = calloc(1, sizeof(*r->k));
	if (!r->k) {
		isc_err("out of memory");
		return ISC_EXIT_FAIL;
	}
	kernel__probe(r->k);
	for (i = 0; i < r->so.nr_classify; i++)
		if (kernel__add_classify(r->k, r->so.classify[i]))
			return ISC_EXIT_USAGE;
	if (!r->k->devices_read) {
		isc_err("enforce: /proc/devices or /proc/misc is unreadable: VFIO groups, containers and iommufd could not be recognised");
		return ISC_EXIT_FAIL;
	}
	if (enforcer__unsupported(r->k, err, sizeof(err))) {
		isc_err("enforce: %s", err);
		return ISC_EXIT_FAIL;
	}
	return -1;
}

/* The policy into the enforcer e (first swap or adoption). 0 or -1. */
static int enforce_swap_first(struct enforce_run *r)
{
	char err[ISC_POLICY_ERR_LEN];

	if (enforcer__swap(&r->e, &r->p, r->policy_path ? r->policy_path : "(built-in)", &r->abi,
			   r->pflags, err, sizeof(err))) {
		isc_err("%s", err);
		return -1;
	}
	return 0;
}

/* Adopt what an earlier run pinned, or load, fill, attach (and pin or
 * publish) our own. 0 or -1 (printed). */
static int enforce_load(struct enforce_run *r)
{
	struct isc_enforcer *e = &r->e;

	r->pflags = r->audit_only ? ISC_PF_AUDIT_ONLY : 0;
	if (enforcer__state_read(&r->st) == 0 && r->st.pid && r->st.pid != getpid()) {
		isc_err("enforce: process %d already enforces (policy %s); stop it first",
			(int)r->st.pid, r->st.policy[0] ? r->st.policy : "(built-in)");
		return -1;
	}
	if (enforcer__pins_exist()) {
		if (enforcer__adopt(e))
			return -1;
		fprintf(stderr, "iommuscope: adopting pinned enforcement (generation %u)\n",
			e->generation);
		if (loader__fill_classifiers(&e->cls, r->k))
			isc_warn("failed to refresh the fd classifiers");
		return enforce_swap_first(r);
	}
	/* counters a killed non-pinned run left behind */
	enforcer__unpin();
	if (enforcer__start(e, r->k, 1 << 20) || enforce_swap_first(r) || enforcer__attach(e))
		return -1;
	if (r->pin && enforcer__pin(e))
		return -1;
	if (!r->pin && enforcer__publish(e))
		isc_warn("cannot pin the denial counters in %s: iommutop will not show them",
			 ISC_PIN_DIR);
	return 0;
}

/* The sink's started: the state file, the ready line, the recognised
 * kinds; then the privileges dropped and the exe rules watched. */
static void enforce_started(void *ctx, struct isc_session *s, const struct isc_session_result *res)
{
	struct enforce_run *r = ctx;
	struct isc_enforce_state *st = &r->st;
	const struct isc_enforcer *e = &r->e;

	(void)s;
	(void)res;
	st->pid = getpid();
	snprintf(st->policy, sizeof(st->policy), "%s", r->policy_path ? r->policy_path : "");
	st->generation = e->generation;
	st->pinned = e->pinned;
	st->audit_only = r->audit_only;
	st->error[0] = 0;
	if (enforcer__state_write(st))
		isc_warn("cannot write %s: 'policy reload' will not find this process",
			 ISC_STATE_FILE);
	fprintf(stderr,
		"iommuscope: enforcing %s (%d entries, generation %u)%s%s on VFIO/iommufd ioctls; %s\n",
		r->policy_path ? r->policy_path : "the built-in catalog policy", r->entries,
		e->generation, r->audit_only ? ", audit only" : "",
		e->compat ? ", 32-bit callers too" : "", e->pinned ? "pinned" : "Ctrl-C to stop");
	report_kinds(r->k, "recognising");
	/* loaded, attached, pinned: reloads create policy maps (CAP_BPF) and
	 * exe rules re-resolve paths anywhere (CAP_DAC_READ_SEARCH) */
	privs__drop(PRIVS_KEEP(CAP_BPF, CAP_DAC_READ_SEARCH));
	isc_info("race detection: %s", e->race);
	r->ifd = watch_exes(&r->p);
	r->mods = kernel__modules_hash();
	r->running = true;
}

/* The sink's round: classifiers after module changes, a SIGHUP's reload,
 * the exe rules' files, the log flushed. */
static void enforce_round(void *ctx, bool hup)
{
	struct enforce_run *r = ctx;

	refresh_classifiers(&r->e, r->k, &r->mods, r->unclassified);
	r->unclassified = false;
	if (hup) {
		enforce_reload(&r->e, &r->st, &r->abi, r->pflags, r, &r->p);
		if (r->ifd >= 0)
			close(r->ifd);
		r->ifd = watch_exes(&r->p);
	}
	if (r->ifd >= 0)
		follow_exes(r->ifd, &r->e, &r->p, r->st.policy[0] ? r->st.policy : "(built-in)",
			    &r->abi, r->pflags, &r->exe_pending);
	if (r->log.f)
		fflush(r->log.f);
}

/* The counters on stderr, and the state left for the next run. */
static void enforce_summary(struct enforce_run *r)
{
	const struct isc_enforcer *e = &r->e;

	fprintf(stderr,
		"iommuscope: %llu checked, %llu denied, %llu audited, %llu unreadable, %llu unclassified, %llu races, %llu killed, %llu lost, %llu over the log rate, %llu unwritten\n",
		(unsigned long long)enforcer__stat(e, ISC_ES_CHECKED),
		(unsigned long long)enforcer__stat(e, ISC_ES_DENIED),
		(unsigned long long)enforcer__stat(e, ISC_ES_AUDITED),
		(unsigned long long)enforcer__stat(e, ISC_ES_UNREADABLE),
		(unsigned long long)enforcer__stat(e, ISC_ES_UNCLASSIFIED),
		(unsigned long long)enforcer__stat(e, ISC_ES_RACES),
		(unsigned long long)enforcer__stat(e, ISC_ES_KILLS),
		(unsigned long long)enforcer__stat(e, ISC_ES_DROPS),
		(unsigned long long)enforcer__stat(e, ISC_ES_SUPPRESSED),
		(unsigned long long)r->log.lost);
	if (e->pinned) {
		r->st.pid = 0;
		enforcer__state_write(&r->st);
		fprintf(stderr,
			"iommuscope: enforcement stays pinned in %s; 'iommuscope enforce --stop' removes it\n",
			ISC_PIN_DIR);
	} else {
		unlink(ISC_STATE_FILE);
	}
}

/* Load (or adopt), then the session's reading loop with this command's
 * sink until a signal or -d. An exit code. */
static int enforce_run(struct enforce_run *r)
{
	const struct isc_sink sink = {
		.ctx = r, .deny = enforce_record, .race = enforce_record,
		.started = enforce_started, .round = enforce_round,
	};
	struct isc_session_result res;
	int fds[2], ret;

	if (enforce_prepare(r))
		return ISC_EXIT_FAIL;
	session__signals(true);
	ret = enforce_kernel(r);
	if (ret >= 0)
		return ret;
	if (enforce_load(r))
		return ISC_EXIT_FAIL;
	output__init(&r->out, r->json, r->log.f);
	snprintf(r->policy, sizeof(r->policy), "%s", r->policy_path ? r->policy_path : "");
	fds[0] = r->e.events_fd;
	fds[1] = r->e.race_fd;
	session__read(fds, 2, &r->so, &sink, &res);
	session__free(&res);
	if (!r->running)
		return ISC_EXIT_FAIL;	/* no reader: said why */
	if (r->log.f)
		fflush(r->log.f);
	enforce_summary(r);
	return ISC_EXIT_OK;
}

int cmd_enforce(int argc, char **argv)
{
	static struct enforce_run r;
	int ret;

	memset(&r, 0, sizeof(r));
	session__init_opts(&r.so, "enforcing");
	r.ifd = -1;
	r.log.what = "deny log";
	r.log.max_bytes = ISC_LOGFILE_MAX_BYTES;
	r.log.rotate = ISC_LOGFILE_ROTATE;
	ret = enforce_parse(&r, argc, argv);
	if (ret >= 0)
		return ret;
	if (r.stop) {
		if (r.policy_path || r.audit_only || r.pin || r.log.path || r.json ||
		    r.so.duration_ns) {
			isc_err("enforce: --stop takes no other options");
			return ISC_EXIT_USAGE;
		}
		return enforce_stop();
	}
	ret = enforce_run(&r);
	if (r.e.published && !r.e.pinned)
		enforcer__unpin();
	if (r.e.skel || r.e.adopted)
		enforcer__stop(&r.e, false);
	logfile__close(&r.log);
	if (r.ifd >= 0)
		close(r.ifd);
	policy__free(&r.p);
	abi__free(&r.abi);
	free(r.k);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iommuscope policy check | reload | learn: validate a policy file, hand
 * it to the running (or pinned) enforcement, or learn one (cmd_learn.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "commands.h"
#include "enforce.h"
#include "policy_file.h"
#include "util.h"
static const char policy_usage[] =
	"usage: iommuscope policy check FILE\n"
	"       iommuscope policy reload [FILE]\n"
	"       iommuscope policy learn -d TIME -o FILE [TRACE OPTIONS]\n"
	"\n"
	"  check   validate FILE against the catalog and this kernel; load nothing\n"
	"  reload  validate, then swap the running (or pinned) enforcement's policy:\n"
	"          FILE, or the file it was started with\n"
	"  learn   watch for TIME and write a policy allowing exactly what was seen\n";

/* What a policy is compiled against: the kernel's version (which flags it
 * defines). Struct sizes from BTF are not needed to judge flags, and
 * parsing BTF would make every 'policy reload' slow. */
void commands__policy_abi(struct isc_abi *a)
{
	struct utsname u;

	memset(a, 0, sizeof(*a));
	uname(&u);
	a->version = abi__parse_release(u.release);
}

/* Parse and compile without installing: what check and reload do first. */
int commands__policy_validate(const char *path, struct isc_policy *p, const struct isc_abi *a,
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
	commands__policy_abi(&abi);
	if (commands__policy_validate(argv[1], &p, &abi, &entries)) {
		abi__free(&abi);
		return ISC_EXIT_FAIL;
	}
	printf("%s: ok: %d rules, %d policy entries for Linux %s\n", argv[1], p.nr, entries,
	       abi__version_str(abi.version, ver, sizeof(ver)));
	policy__free(&p);
	abi__free(&abi);
	return ISC_EXIT_OK;
}

/* Hand path to the enforcing process st->pid (the state file, SIGHUP)
 * and wait up to 5 s for its new generation or its refusal. An exit
 * code. */
static int reload_signal(struct isc_enforce_state *st, const char *path)
{
	uint32_t gen = st->generation;
	uint64_t deadline;

	/* path may be st->policy itself (reload without FILE) */
	if (path != st->policy)
		snprintf(st->policy, sizeof(st->policy), "%s", path ? path : "");
	st->error[0] = 0;
	if (enforcer__state_write(st) || kill(st->pid, SIGHUP)) {
		isc_err("cannot signal the enforcing process %d: %s", (int)st->pid,
			strerror(errno));
		return ISC_EXIT_FAIL;
	}
	deadline = monotonic_ns() + 5000000000ull;
	while (monotonic_ns() < deadline) {
		usleep(20000);
		if (enforcer__state_read(st))
			continue;
		if (st->generation != gen) {
			printf("policy %s in force (generation %u)\n", path ? path : "(built-in)",
			       st->generation);
			return ISC_EXIT_OK;
		}
		if (st->error[0]) {
			isc_err("process %d refused the policy: %s", (int)st->pid, st->error);
			return ISC_EXIT_FAIL;
		}
	}
	isc_err("process %d did not answer within 5 s", (int)st->pid);
	return ISC_EXIT_FAIL;
}

static int policy_reload(int argc, char **argv)
{
	char real[PATH_MAX], err[ISC_POLICY_ERR_LEN];
	struct isc_enforce_state st;
	struct isc_abi abi = {};
	struct isc_policy p;
	const char *path = NULL;
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
	commands__policy_abi(&abi);
	if (commands__policy_validate(path, &p, &abi, NULL))
		goto out;
	if (st.pid) {
		ret = reload_signal(&st, path);
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

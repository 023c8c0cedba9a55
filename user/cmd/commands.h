/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ISC_COMMANDS_H
#define ISC_COMMANDS_H

#define ISC_VERSION_STR "0.1.0"

/* Exit codes shared by every command. */
#define ISC_EXIT_OK	0
#define ISC_EXIT_FAIL	1
#define ISC_EXIT_USAGE	2

int cmd_probe(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_enforce(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_policy_learn(int argc, char **argv);

struct isc_abi;
struct isc_policy;
/* What a policy is compiled against here: the running kernel's version
 * (which flags it defines); no BTF (reload stays fast). */
void commands__policy_abi(struct isc_abi *a);
/* Parse (path, or the built-in default if NULL) and compile against a
 * without installing; the entry count into *entries if not NULL. 0, or -1
 * with the error printed. */
int commands__policy_validate(const char *path, struct isc_policy *p, const struct isc_abi *a,
			      int *entries);
int cmd_top(int argc, char **argv);
int cmd_export(int argc, char **argv);
/* The man page a command's usage text belongs to, e.g.
 * "iommuscope-trace(8)"; "iommuscope(8)" for the main usage. */
const char *commands__man_page(const char *usage);
/* --help: the usage text on stdout, then "See <its man page>."; exit 0. */
int commands__help(const char *usage);
/* The end of every option loop: -h prints the help (exit 0), anything else
 * unknown prints the usage to stderr, a usage error (exit 2). */
int commands__help_or_usage(int c, const char *usage);
/* After the options: leftover arguments are a usage error. 0 if none. */
int commands__no_args(const char *cmd, int argc, char **argv);
/* Common start-up for commands that load BPF: privileges, mounts. */
int commands__preflight(void);

#endif /* ISC_COMMANDS_H */

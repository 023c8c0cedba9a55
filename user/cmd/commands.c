// SPDX-License-Identifier: GPL-2.0
/* What every command that loads BPF does first. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>
#include "commands.h"
#include "loader.h"
#include "util.h"

int commands__preflight(void)
{
	int err;

	if (!have_bpf_privileges()) {
		isc_err("must be run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)");
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		isc_err("this kernel has no BTF (/sys/kernel/btf/vmlinux): iommuscope needs a kernel "
			"built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	loader__quiet(false);
	/* tracepoints are attached through tracefs; the LSM list is read from
	 * securityfs. Mounting them is what perf and bpftool do too. */
	err = ensure_mounted("tracefs", "/sys/kernel/tracing", NULL);
	if (err < 0)
		isc_warn("tracefs is not mounted at /sys/kernel/tracing and mounting it failed: %s",
			 strerror(-err));
	err = ensure_mounted("securityfs", "/sys/kernel/security", NULL);
	if (err < 0)
		isc_warn("securityfs is not mounted and mounting it failed (%s): BPF LSM state unknown",
			 strerror(-err));
	return 0;
}

/* The man page of each command, named at the end of its --help. The
 * command is the word after "usage: iommuscope " in its usage text
 * ("usage: iommutop" is top); anything else is iommuscope(8). */
static const struct {
	const char *cmd;
	const char *man;
} man_pages[] = {
	{ "probe", "iommuscope-probe(8)" },
	{ "trace", "iommuscope-trace(8)" },
	{ "audit", "iommuscope-audit(8)" },
	{ "profile", "iommuscope-profile(8)" },
	{ "check", "iommuscope-profile(8)" },
	{ "enforce", "iommuscope-enforce(8) and iommuscope-policy(5)" },
	{ "policy", "iommuscope-enforce(8) and iommuscope-policy(5)" },
	{ "top", "iommutop(8)" },
	{ "export", "iommuscope-export(8)" },
};

const char *commands__man_page(const char *usage)
{
	static const char prefix[] = "usage: iommuscope ";
	size_t i, n;

	if (!strncmp(usage, "usage: iommutop", strlen("usage: iommutop")))
		return "iommutop(8)";
	if (strncmp(usage, prefix, strlen(prefix)))
		return "iommuscope(8)";
	usage += strlen(prefix);
	n = strcspn(usage, " \n");
	for (i = 0; i < ARRAY_SIZE(man_pages); i++)
		if (strlen(man_pages[i].cmd) == n && !strncmp(usage, man_pages[i].cmd, n))
			return man_pages[i].man;
	return "iommuscope(8)";
}

int commands__help(const char *usage)
{
	fputs(usage, stdout);
	printf("\nSee %s.\n", commands__man_page(usage));
	return ISC_EXIT_OK;
}

int commands__help_or_usage(int c, const char *usage)
{
	if (c == 'h')
		return commands__help(usage);
	fputs(usage, stderr);
	return ISC_EXIT_USAGE;
}

int commands__no_args(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	isc_err("%s: unexpected argument '%s'", cmd, argv[optind]);
	return ISC_EXIT_USAGE;
}

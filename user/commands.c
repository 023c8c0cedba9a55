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

int commands__help_or_usage(int c, const char *usage)
{
	fputs(usage, c == 'h' ? stdout : stderr);
	return c == 'h' ? ISC_EXIT_OK : ISC_EXIT_USAGE;
}

int commands__no_args(const char *cmd, int argc, char **argv)
{
	if (optind >= argc)
		return 0;
	isc_err("%s: unexpected argument '%s'", cmd, argv[optind]);
	return ISC_EXIT_USAGE;
}

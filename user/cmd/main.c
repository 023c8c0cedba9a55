// SPDX-License-Identifier: GPL-2.0
/* iommuscope: watch and police the traffic between user space and the
 * Linux IOMMU (VFIO and iommufd ioctls). */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "commands.h"
#include "loader.h"
#include "util.h"

static const char main_usage[] =
	"usage: iommuscope [-v] COMMAND [OPTIONS]\n"
	"\n"
	"Watch VFIO (/dev/vfio/*) and iommufd (/dev/iommu) ioctls with BPF.\n"
	"\n"
	"commands:\n"
	"  probe    what this kernel supports, which hooks load, which mode\n"
	"  trace    stream every VFIO/iommufd ioctl, decoded\n"
	"  audit    record compatibility mismatches, aggregated per executable\n"
	"  profile record   record a workload's VFIO/iommufd footprint\n"
	"  check    would this kernel reject or degrade a recorded workload?\n"
	"  enforce  refuse calls with flags the policy does not allow (BPF LSM)\n"
	"  policy   check, reload or learn enforce policy files\n"
	"  top      live view per process, counted in the kernel (also: iommutop)\n"
	"  export   serve the same counters to Prometheus (/metrics)\n"
	"\n"
	"  -v, --verbose   more messages\n"
	"  -V, --version   print the version\n"
	"  -h, --help      this text ('iommuscope COMMAND --help' for a command)\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "probe", cmd_probe },
	{ "trace", cmd_trace },
	{ "audit", cmd_audit },
	{ "profile", cmd_profile },
	{ "check", cmd_check },
	{ "enforce", cmd_enforce },
	{ "policy", cmd_policy },
	{ "top", cmd_top },
	{ "export", cmd_export },
};

int main(int argc, char **argv)
{
	const char *prog = basename(argv[0]);
	size_t i;

	if (!strcmp(prog, "iommutop"))
		return cmd_top(argc, argv);
	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose")) {
			isc_verbose++;
		} else if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
			printf("iommuscope %s (libbpf %s, event layout v%d)\n", ISC_VERSION_STR,
			       libbpf_version_string(), ISC_EVENT_VERSION);
			return ISC_EXIT_OK;
		} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			return commands__help(main_usage);
		} else {
			isc_err("unknown option '%s'", argv[1]);
			fputs(main_usage, stderr);
			return ISC_EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	if (argc < 2) {
		fputs(main_usage, stderr);
		return ISC_EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	isc_err("unknown command '%s' (try 'iommuscope --help')", argv[1]);
	return ISC_EXIT_USAGE;
}

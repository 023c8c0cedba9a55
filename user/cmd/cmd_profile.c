// SPDX-License-Identifier: GPL-2.0
/* iommuscope profile record: a workload's UAPI footprint ('check' judges
 * it: cmd_check.c). */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "profile.h"
#include "cmd_opts.h"
#include "session.h"
#include "util.h"

static const char record_usage[] =
	"usage: iommuscope profile record -o FILE [OPTIONS]\n"
	"\n"
	"Record the VFIO/iommufd footprint of a workload (filter it with -p or -c):\n"
	"every ioctl with its sizes and flags, what this kernel answered, the\n"
	"capability ids it returned and the extensions asked for. Written to FILE\n"
	"when the recording ends (signal or duration). Check it on another host with\n"
	"'iommuscope check FILE'.\n"
	"\n"
	"  -o, --output FILE       where the profile goes (required)\n"
	ISC_LIVE_HELP
	"  -h, --help              this text\n";

static void record_ioctl(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	profile__add(ctx, v, cls);
}

static int cmd_profile_record(int argc, char **argv)
{
	static struct isc_profile prof;
	struct isc_sink sink = { .ctx = &prof, .ioctl = record_ioctl };
	struct isc_session_result res;
	struct isc_session_opts so;
	const char *out;
	int ret;

	session__init_opts(&so, "recording");
	ret = cmd_opts__parse_out(&so, argc, argv, "profile record", record_usage, &out);
	if (ret >= 0)
		return ret;
	profile__init(&prof, "", "");
	ret = cmd_opts__run(&so, &sink, &res);
	if (ret == ISC_EXIT_OK) {
		snprintf(prof.release, sizeof(prof.release), "%s", res.probe->kernel.release);
		prof.version = abi__parse_release(prof.release);
		snprintf(prof.backend, sizeof(prof.backend), "%s",
			 kernel__backend_name(res.probe->kernel.backend));
		if (profile__write(&prof, out))
			ret = ISC_EXIT_FAIL;
		else
			fprintf(stderr, "iommuscope: profile of %d distinct calls written to %s\n",
				prof.nr, out);
	}
	session__free(&res);
	profile__free(&prof);
	return ret;
}

int cmd_profile(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return commands__help_or_usage(argc < 2 ? '?' : 'h', record_usage);
	if (!strcmp(argv[1], "record"))
		return cmd_profile_record(argc - 1, argv + 1);
	isc_err("profile: unknown verb '%s' (record)", argv[1]);
	return ISC_EXIT_USAGE;
}

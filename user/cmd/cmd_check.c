// SPDX-License-Identifier: GPL-2.0
/* iommuscope check: would this kernel, or another host's (its probe --json),
 * reject or degrade a workload recorded by 'profile record'? */
#include <stdio.h>
#include <getopt.h>
#include <json-c/json.h>
#include "commands.h"
#include "kernel.h"
#include "profile.h"
#include "util.h"

static const char check_usage[] =
	"usage: iommuscope check PROFILE [--against PROBE.json] [--json]\n"
	"\n"
	"Predict, before the workload starts, which of its recorded calls this\n"
	"host's kernel would reject or silently degrade: unknown ioctls and flags,\n"
	"structs too short or longer than the kernel's, capabilities or extensions\n"
	"this kernel lacks. Only differences from the recording kernel are shown.\n"
	"\n"
	"  -a, --against FILE      judge against another host: its 'iommuscope probe\n"
	"                          --json' output, instead of the running kernel\n"
	"  -j, --json              one JSON object per finding, then a summary\n"
	"  -h, --help              this text\n"
	"\n"
	"Exit status: 0 compatible (notes only), 3 some call would be rejected or\n"
	"degraded, 1 runtime error, 2 usage error or malformed profile.\n";

struct check_ctx {
	bool json;
	int counts[3];
};

static void on_finding(const struct isc_finding *f, void *ctx)
{
	struct check_ctx *c = ctx;
	struct json_object *j;

	c->counts[f->sev]++;
	if (!c->json) {
		printf("%-8s %s\n", profile__severity_name(f->sev), f->text);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "severity", json_object_new_string(profile__severity_name(f->sev)));
	if (f->call) {
		const struct isc_ioctl_desc *d = catalog__lookup(f->call->cmd, f->call->fd_kind);

		json_object_object_add(j, "ioctl", d ? json_object_new_string(d->name) : NULL);
		json_object_object_add(j, "fd_kind",
				       json_object_new_string(catalog__kind_name(f->call->fd_kind)));
		json_object_object_add(j, "argsz", f->call->has_argsz ?
				       json_object_new_int64(f->call->argsz) : NULL);
		json_object_object_add(j, "flags", f->call->has_flags ?
				       json_object_new_int64(f->call->flags) : NULL);
		json_object_object_add(j, "class_here", json_object_new_string(
						  classify__primary(f->classes_here)));
	} else {
		json_object_object_add(j, "extension", json_object_new_string(abi__ext_name(f->ext)));
	}
	json_object_object_add(j, "text", json_object_new_string(f->text));
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct check_ctx ctx = {};
	struct isc_profile prof;
	struct isc_abi abi = {};
	const char *against = NULL;
	char backend[16], release[65];
	int c, worst;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			against = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		default:
			return commands__help_or_usage(c, check_usage);
		}
	}
	if (optind != argc - 1) {
		isc_err("check: want exactly one profile file");
		return ISC_EXIT_USAGE;
	}
	if (profile__load(&prof, argv[optind]))
		return ISC_EXIT_USAGE;
	if (against) {
		if (abi__from_probe_file(&abi, against, backend, sizeof(backend))) {
			profile__free(&prof);
			return ISC_EXIT_USAGE;
		}
		snprintf(release, sizeof(release), "%s", against);
	} else {
		struct isc_kernel k;

		kernel__probe(&k);
		snprintf(release, sizeof(release), "%s", k.release);
		if (abi__learn(&abi, k.release, true)) {
			isc_err("out of memory");
			profile__free(&prof);
			return ISC_EXIT_FAIL;
		}
		abi.backend = k.backend;
	}
	worst = profile__check(&prof, &abi, on_finding, &ctx);
	if (ctx.json) {
		printf("{\"type\":\"summary\",\"calls\":%d,\"rejected\":%d,\"degraded\":%d,"
		       "\"notes\":%d,\"compatible\":%s}\n", prof.nr, ctx.counts[ISC_SEV_REJECTED],
		       ctx.counts[ISC_SEV_DEGRADED], ctx.counts[ISC_SEV_NOTE],
		       worst > ISC_SEV_NOTE + 1 ? "false" : "true");
	} else {
		fprintf(stderr, "iommuscope: %d recorded calls (from %s) checked against %s: %d "
			"rejected, %d degraded, %d notes\n", prof.nr, prof.release, release,
			ctx.counts[ISC_SEV_REJECTED], ctx.counts[ISC_SEV_DEGRADED],
			ctx.counts[ISC_SEV_NOTE]);
	}
	abi__free(&abi);
	profile__free(&prof);
	return worst > ISC_SEV_NOTE + 1 ? 3 : ISC_EXIT_OK;
}

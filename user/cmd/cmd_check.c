// SPDX-License-Identifier: GPL-2.0
/* iommuscope check: would this kernel, or other hosts' (their probe --json),
 * reject or degrade a workload recorded by 'profile record'? One host: its
 * findings; several (or a directory of probes): a matrix, one row per host. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "commands.h"
#include "kernel.h"
#include "profile.h"
#include "util.h"

static const char check_usage[] =
	"usage: iommuscope check PROFILE [--against PROBE.json|DIR ...] [--json]\n"
	"\n"
	"Predict, before the workload starts, which of its recorded calls this\n"
	"host's kernel would reject or silently degrade: unknown ioctls and flags,\n"
	"structs too short or longer than the kernel's, capabilities or extensions\n"
	"this kernel lacks. Only differences from the recording kernel are shown.\n"
	"\n"
	"  -a, --against FILE|DIR  judge against another host: its 'iommuscope probe\n"
	"                          --json' output, instead of the running kernel;\n"
	"                          repeat it, or name a directory (its *.json), for\n"
	"                          a matrix: one row per host\n"
	"  -j, --json              one JSON object per finding (per host with a\n"
	"                          matrix), then a summary\n"
	"  -h, --help              this text\n"
	"\n"
	"Exit status: 0 compatible (notes only), 3 some call would be rejected or\n"
	"degraded (on some host), 1 runtime error, 2 usage error or malformed input.\n";

/* One host judged: its ABI, and a copy of every finding. */
struct check_host {
	char *path;		/* the probe file, NULL: the running kernel */
	char label[128];		/* the matrix's row name */
	int tier;			/* how label is made: label_at() */
	bool dup;			/* another row has the same label */
	struct isc_probe_host ph;	/* the probe's backend and hostname */
	struct isc_abi abi;
	int counts[3];
	int worst;		/* profile__check's: 0 nothing, else severity + 1 */
	int nr, cap;
	struct isc_finding *f;
};

struct check_run {
	bool json, matrix;
	int nr, cap;
	struct check_host *h;
};

static struct json_object *finding_json(const struct isc_finding *f)
{
	struct json_object *j = json_object_new_object();

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
	return j;
}

static void print_json(struct json_object *j)
{
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

static void collect(const struct isc_finding *f, void *ctx)
{
	struct check_host *h = ctx;
	struct isc_finding *n;

	h->counts[f->sev]++;
	if (h->nr == h->cap) {
		n = realloc(h->f, (h->cap ? h->cap * 2 : 16) * sizeof(*n));
		if (!n)
			return;		/* counted, not kept: out of memory */
		h->f = n;
		h->cap = h->cap ? h->cap * 2 : 16;
	}
	h->f[h->nr++] = *f;
}

static struct check_host *host_add(struct check_run *r, const char *path)
{
	struct check_host *n;

	if (r->nr == r->cap) {
		n = realloc(r->h, (r->cap ? r->cap * 2 : 8) * sizeof(*n));
		if (!n)
			return NULL;
		r->h = n;
		r->cap = r->cap ? r->cap * 2 : 8;
	}
	n = &r->h[r->nr];
	memset(n, 0, sizeof(*n));
	if (path && !(n->path = strdup(path)))
		return NULL;
	r->nr++;
	return n;
}

static int is_json(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

/* Every *.json of dir, sorted by name. */
static int hosts_from_dir(struct check_run *r, const char *dir)
{
	struct dirent **names;
	char path[4096];
	int i, n, ret = 0;

	n = scandir(dir, &names, is_json, alphasort);
	if (n < 0) {
		isc_err("cannot read probe directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!n) {
		isc_err("%s: no probe files (*.json) in this directory", dir);
		ret = -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (!ret && !host_add(r, path)) {
			isc_err("out of memory");
			ret = -1;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

static int hosts_add_arg(struct check_run *r, const char *arg)
{
	struct stat st;

	if (stat(arg, &st)) {
		isc_err("cannot read probe %s: %s", arg, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		r->matrix = true;
		return hosts_from_dir(r, arg);
	}
	if (!host_add(r, arg)) {
		isc_err("out of memory");
		return -1;
	}
	return 0;
}

/* A row's name at tier 0: the hostname the probe gives; 1: the file's
 * name without ".json"; 2: its directory's name (.../HOST/probe.json); 3:
 * the path as given. */
enum { LABEL_HOSTNAME, LABEL_FILE, LABEL_DIR, LABEL_PATH };

static void label_at(struct check_host *h, int tier)
{
	const char *base = strrchr(h->path, '/'), *dir = h->path;
	size_t n;

	if (tier == LABEL_HOSTNAME && h->ph.hostname[0]) {
		snprintf(h->label, sizeof(h->label), "%s", h->ph.hostname);
		return;
	}
	tier = tier == LABEL_HOSTNAME ? LABEL_FILE : tier;
	base = base ? base + 1 : h->path;
	n = strlen(base);
	if (tier == LABEL_DIR && base - h->path < 2)
		tier = LABEL_PATH;	/* no parent directory to name it by */
	if (tier == LABEL_DIR) {
		for (dir = base - 1; dir > h->path && dir[-1] != '/'; dir--)
			;
		n = base - 1 - dir;
	} else if (tier == LABEL_FILE && n > 5 && !strcmp(base + n - 5, ".json")) {
		n -= 5;
	}
	if (tier == LABEL_PATH || !n)
		snprintf(h->label, sizeof(h->label), "%s", h->path);
	else
		snprintf(h->label, sizeof(h->label), "%.*s", (int)n, tier == LABEL_DIR ? dir : base);
}

/* Row names, unique: a name files share moves each of them a tier up. */
static void hosts_label(struct check_run *r)
{
	struct check_host *a, *b;
	bool again = true;

	while (again) {
		again = false;
		for (a = r->h; a < r->h + r->nr; a++) {
			label_at(a, a->tier);
			a->dup = false;
		}
		for (a = r->h; a < r->h + r->nr; a++)
			for (b = a + 1; b < r->h + r->nr; b++)
				if (!strcmp(a->label, b->label))
					a->dup = b->dup = true;
		for (a = r->h; a < r->h + r->nr; a++) {
			if (a->dup && a->tier < LABEL_PATH) {
				a->tier++;
				again = true;
			}
		}
	}
}

/* Every probe read before anything is judged or printed. */
static int hosts_load(struct check_run *r)
{
	struct check_host *h;
	struct isc_kernel k;
	int i;

	if (!r->nr) {
		kernel__probe(&k);
		if (!(h = host_add(r, NULL)) || abi__learn(&h->abi, k.release, true)) {
			isc_err("out of memory");
			return ISC_EXIT_FAIL;
		}
		h->abi.backend = k.backend;
		snprintf(h->label, sizeof(h->label), "%s", k.release);
		return 0;
	}
	for (i = 0; i < r->nr; i++) {
		h = &r->h[i];
		if (abi__from_probe_file(&h->abi, h->path, &h->ph))
			return ISC_EXIT_USAGE;
	}
	hosts_label(r);
	return 0;
}

static const char *verdict_name(int worst)
{
	return worst > ISC_SEV_DEGRADED + 1 ? "rejected" :
	       worst > ISC_SEV_NOTE + 1 ? "degraded" : "fine";
}

/* The cell's reason: the first of the most severe findings. */
static const char *host_reason(const struct check_host *h)
{
	int i, best = -1;

	for (i = 0; i < h->nr; i++)
		if (best < 0 || h->f[i].sev > h->f[best].sev)
			best = i;
	return best < 0 ? "-" : h->f[best].text;
}

/* One host, as check has always printed it: the findings, a summary. */
static void print_single(const struct check_run *r, const struct isc_profile *p)
{
	const struct check_host *h = &r->h[0];
	int i;

	for (i = 0; i < h->nr; i++) {
		if (r->json)
			print_json(finding_json(&h->f[i]));
		else
			printf("%-8s %s\n", profile__severity_name(h->f[i].sev), h->f[i].text);
	}
	if (r->json)
		printf("{\"type\":\"summary\",\"calls\":%d,\"rejected\":%d,\"degraded\":%d,"
		       "\"notes\":%d,\"compatible\":%s}\n", p->nr, h->counts[ISC_SEV_REJECTED],
		       h->counts[ISC_SEV_DEGRADED], h->counts[ISC_SEV_NOTE],
		       h->worst > ISC_SEV_NOTE + 1 ? "false" : "true");
	else
		fprintf(stderr, "iommuscope: %d recorded calls (from %s) checked against %s: %d "
			"rejected, %d degraded, %d notes\n", p->nr, p->release,
			h->path ? h->path : h->label, h->counts[ISC_SEV_REJECTED],
			h->counts[ISC_SEV_DEGRADED], h->counts[ISC_SEV_NOTE]);
}

static struct json_object *host_json(const struct check_host *h)
{
	struct json_object *j = json_object_new_object(), *fs = json_object_new_array();
	char v[16];
	int i;

	json_object_object_add(j, "type", json_object_new_string("host"));
	json_object_object_add(j, "host", json_object_new_string(h->label));
	json_object_object_add(j, "file", json_object_new_string(h->path));
	json_object_object_add(j, "hostname", h->ph.hostname[0] ?
			       json_object_new_string(h->ph.hostname) : NULL);
	json_object_object_add(j, "kernel", json_object_new_string(
				       abi__version_str(h->abi.version, v, sizeof(v))));
	json_object_object_add(j, "backend", json_object_new_string(h->ph.backend));
	json_object_object_add(j, "verdict", json_object_new_string(verdict_name(h->worst)));
	json_object_object_add(j, "rejected", json_object_new_int(h->counts[ISC_SEV_REJECTED]));
	json_object_object_add(j, "degraded", json_object_new_int(h->counts[ISC_SEV_DEGRADED]));
	json_object_object_add(j, "notes", json_object_new_int(h->counts[ISC_SEV_NOTE]));
	json_object_object_add(j, "reason", json_object_new_string(host_reason(h)));
	for (i = 0; i < h->nr; i++)
		json_object_array_add(fs, finding_json(&h->f[i]));
	json_object_object_add(j, "findings", fs);
	return j;
}

/* Hosts x verdicts: one row per host, the reason of its worst finding. */
static void print_matrix(const struct check_run *r, const struct isc_profile *p)
{
	int i, w = 4, n[3] = {};
	char v[16];

	for (i = 0; i < r->nr; i++)
		w = (int)strlen(r->h[i].label) > w ? (int)strlen(r->h[i].label) : w;
	if (!r->json)
		printf("%-*s %-7s %-8s %-8s %8s %8s %5s  %s\n", w, "HOST", "KERNEL", "BACKEND",
		       "VERDICT", "REJECTED", "DEGRADED", "NOTES", "REASON");
	for (i = 0; i < r->nr; i++) {
		const struct check_host *h = &r->h[i];

		n[h->worst > ISC_SEV_DEGRADED + 1 ? 0 : h->worst > ISC_SEV_NOTE + 1 ? 1 : 2]++;
		if (r->json) {
			print_json(host_json(h));
			continue;
		}
		printf("%-*s %-7s %-8s %-8s %8d %8d %5d  %s\n", w, h->label,
		       abi__version_str(h->abi.version, v, sizeof(v)), h->ph.backend,
		       verdict_name(h->worst), h->counts[ISC_SEV_REJECTED],
		       h->counts[ISC_SEV_DEGRADED], h->counts[ISC_SEV_NOTE], host_reason(h));
	}
	if (r->json)
		printf("{\"type\":\"summary\",\"calls\":%d,\"hosts\":%d,\"rejected\":%d,"
		       "\"degraded\":%d,\"fine\":%d,\"compatible\":%s}\n", p->nr, r->nr, n[0], n[1],
		       n[2], n[0] + n[1] ? "false" : "true");
	else
		fprintf(stderr, "iommuscope: %d recorded calls (from %s) checked against %d hosts: "
			"%d rejected, %d degraded, %d fine\n", p->nr, p->release, r->nr, n[0], n[1],
			n[2]);
}

static void run_free(struct check_run *r)
{
	int i;

	for (i = 0; i < r->nr; i++) {
		abi__free(&r->h[i].abi);
		free(r->h[i].f);
		free(r->h[i].path);
	}
	free(r->h);
}

static int check_parse(struct check_run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (hosts_add_arg(r, optarg))
				return ISC_EXIT_USAGE;
			break;
		case 'j':
			r->json = true;
			break;
		default:
			return commands__help_or_usage(c, check_usage);
		}
	}
	if (optind != argc - 1) {
		isc_err("check: want exactly one profile file");
		return ISC_EXIT_USAGE;
	}
	r->matrix |= r->nr > 1;
	return -1;
}

int cmd_check(int argc, char **argv)
{
	struct check_run r = {};
	struct isc_profile prof;
	int i, ret, worst = 0;

	ret = check_parse(&r, argc, argv);
	if (ret >= 0)
		goto out;
	ret = ISC_EXIT_USAGE;
	if (profile__load(&prof, argv[optind]))
		goto out;
	ret = hosts_load(&r);
	if (ret)
		goto out_prof;
	for (i = 0; i < r.nr; i++) {
		r.h[i].worst = profile__check(&prof, &r.h[i].abi, collect, &r.h[i]);
		worst = r.h[i].worst > worst ? r.h[i].worst : worst;
	}
	if (r.matrix)
		print_matrix(&r, &prof);
	else
		print_single(&r, &prof);
	ret = worst > ISC_SEV_NOTE + 1 ? 3 : ISC_EXIT_OK;
out_prof:
	profile__free(&prof);
out:
	run_free(&r);
	return ret;
}

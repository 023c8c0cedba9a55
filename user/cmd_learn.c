// SPDX-License-Identifier: GPL-2.0
/* iommuscope policy learn: write a policy allowing what was observed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "commands.h"
#include "session.h"
#include "util.h"

#define MAX_SEEN 256

static const char learn_usage[] =
	"usage: iommuscope policy learn -d TIME -o FILE [OPTIONS]\n"
	"\n"
	"Watch VFIO/iommufd calls for TIME and write a policy that allows exactly the\n"
	"ioctls, flags and sizes seen (per fd kind) and refuses everything else\n"
	"('set default deny'). Review it, then 'iommuscope enforce --policy FILE'.\n"
	"\n"
	"  -o, --output FILE       where to write the policy (required)\n"
	ISC_SESSION_HELP
	"  -h, --help              this text\n";

struct seen {
	const struct isc_ioctl_desc *d;
	uint8_t kind;
	uint32_t flags;
	bool has_flags;
	uint32_t min_size, max_size;
	bool has_size;
	uint64_t calls;
	char comm[ISC_COMM_LEN];
};

struct learn_ctx {
	int nr;
	struct seen seen[MAX_SEEN];
	uint64_t unknown;
};

static void learn_ioctl(void *ctx, const struct isc_ioctl_view *v, const struct isc_verdict *cls)
{
	struct learn_ctx *l = ctx;
	struct seen *s;
	int i;

	(void)cls;
	if (!v->desc) {
		l->unknown++;
		return;
	}
	for (i = 0; i < l->nr; i++)
		if (l->seen[i].d == v->desc && l->seen[i].kind == v->ev.fd_kind)
			break;
	if (i == l->nr) {
		if (l->nr == MAX_SEEN)
			return;
		s = &l->seen[l->nr++];
		memset(s, 0, sizeof(*s));
		s->d = v->desc;
		s->kind = v->ev.fd_kind;
		s->min_size = UINT32_MAX;
		memcpy(s->comm, v->ev.comm, sizeof(s->comm));
	}
	s = &l->seen[i];
	s->calls++;
	if (v->has_flags && v->desc->flags_off >= 0 && !catalog__role(v->desc, ISC_FR_OUT, 0)) {
		const struct isc_role_desc *idx = catalog__role(v->desc, ISC_FR_INDEX, 0);

		s->flags |= v->flags & ~(idx ? idx->mask : 0) & catalog__flags_mask(v->desc);
		s->has_flags = true;
	}
	if (v->has_argsz && v->desc->arg == ISC_ARG_STRUCT && v->argsz >= v->desc->minsz) {
		if (v->argsz < s->min_size)
			s->min_size = v->argsz;
		if (v->argsz > s->max_size)
			s->max_size = v->argsz;
		s->has_size = true;
	}
}

static int learn_write(const struct learn_ctx *l, const char *path, uint64_t duration_ns)
{
	char tmp[4096], flags[160];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int fd, i;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		isc_err("%s: path too long", path);
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		isc_err("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	localtime_r(&now, &tm);
	fprintf(f, "# iommuscope policy learnt over %llu s, %04d-%02d-%02d %02d:%02d\n",
		(unsigned long long)(duration_ns / 1000000000ull), tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	fprintf(f, "# Allows exactly what was seen; anything else is refused.\n");
	fprintf(f, "set default deny\n\n");
	for (i = 0; i < l->nr; i++) {
		const struct seen *s = &l->seen[i];

		fprintf(f, "# %llu calls, e.g. by %s\n", (unsigned long long)s->calls, s->comm);
		fprintf(f, "allow %s on %s", s->d->name, catalog__kind_name(s->kind));
		if (s->has_flags) {
			catalog__flags_str(s->d, s->flags, flags, sizeof(flags));
			fprintf(f, " flags %s", s->flags ? flags : "none");
		}
		if (s->has_size) {
			if (s->min_size == s->max_size)
				fprintf(f, " size %u", s->min_size);
			else
				fprintf(f, " size %u-%u", s->min_size, s->max_size);
		}
		fputc('\n', f);
	}
	if (fchmod(fd, 0644) || fclose(f) || rename(tmp, path)) {
		isc_err("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cmd_policy_learn(int argc, char **argv)
{
	static struct learn_ctx l;
	struct isc_sink sink = { .ctx = &l, .ioctl = learn_ioctl };
	struct isc_session_result res;
	struct isc_session_opts so;
	const char *out;
	int ret;

	session__init_opts(&so, "learning from");
	ret = session__parse_out_opts(&so, argc, argv, "policy learn", learn_usage, &out);
	if (ret >= 0)
		return ret;
	if (!so.duration_ns) {
		isc_err("policy learn: -d TIME is required");
		return ISC_EXIT_USAGE;
	}
	memset(&l, 0, sizeof(l));
	ret = session__run(&so, &sink, &res);
	if (ret == ISC_EXIT_OK) {
		if (learn_write(&l, out, res.duration_ns))
			ret = ISC_EXIT_FAIL;
		else
			fprintf(stderr, "iommuscope: wrote %s: %d rules from %llu calls%s\n", out,
				l.nr, (unsigned long long)res.records,
				l.unknown ? " (ioctls not in the catalog left out)" : "");
	}
	session__free(&res);
	return ret;
}

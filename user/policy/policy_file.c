// SPDX-License-Identifier: GPL-2.0
/*
 * Policy files. One statement a line, '#' starts a comment:
 *
 *   set errno eperm|kernel|ERRNAME|NUMBER
 *   set unreadable deny|allow
 *   set unknown-ioctl allow|deny
 *   set default catalog|deny
 *   set unclassified deny|allow
 *   set race report|kill
 *   set log-rate N|unlimited
 *   allow IOCTL [on KIND] [flags F|F|0xN|none] [size N|MIN-MAX|MIN-]
 *               [exe PATH] [cgroup PATH] [uid N|NAME]
 *   deny IOCTL|* [on KIND] [exe PATH] [cgroup PATH] [uid N|NAME]
 *
 * Rules for one ioctl are tried in file order; the first whose scope
 * matches decides. A call no rule matches gets the default: the flags the
 * running kernel defines ("catalog"), or a refusal ("deny").
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "catalog_map.h"
#include "exeid.h"
#include "kernel.h"
#include "policy_file.h"
#include "util.h"

#define MAX_TOKENS 24
#define MAX_POLICY_BYTES (1u << 20)

struct tok {
	const char *s;
	size_t len;
	int col;
};

struct parser {
	const char *name;
	int line;
	char *err;
	size_t errlen;
	struct isc_policy *p;
};

static int fail(struct parser *ps, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, int col, const char *fmt, ...)
{
	char msg[ISC_POLICY_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s:%d:%d: %s", ps->name, ps->line, col, msg);
	return -1;
}

static bool tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && !strncmp(t->s, s, t->len);
}

/* The token as a C string (truncated to len - 1). */
static char *tok_str(const struct tok *t, char *buf, size_t len)
{
	size_t n = t->len < len - 1 ? t->len : len - 1;

	memcpy(buf, t->s, n);
	buf[n] = 0;
	return buf;
}

static int tokenize(struct parser *ps, const char *s, size_t len, struct tok *t, int max)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++;
			continue;
		}
		if (s[i] == '#')
			break;
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return fail(ps, (int)i + 1, "control character 0x%02x", (unsigned char)s[i]);
		if (n == max)
			return fail(ps, (int)i + 1, "too many words (at most %d)", max);
		t[n].s = s + i;
		t[n].col = (int)i + 1;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#' &&
		       (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f)
			i++;
		t[n].len = s + i - t[n].s;
		n++;
	}
	return n;
}

static int parse_num(const struct tok *t, uint64_t max, uint64_t *v)
{
	char buf[32];

	if (t->len >= sizeof(buf))
		return -1;
	tok_str(t, buf, sizeof(buf));
	return parse_u64(buf, 0, max, v);
}

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EPERM", EPERM }, { "EACCES", EACCES }, { "EINVAL", EINVAL },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "ENOTTY", ENOTTY }, { "ENOSYS", ENOSYS },
	{ "E2BIG", E2BIG }, { "EFAULT", EFAULT }, { "ENODEV", ENODEV },
};

/* A two-way setting: v is a or b; *out says whether it is on; the line
 * it was set on goes to *line where the policy keeps it. */
static int choice(struct parser *ps, const struct tok *v, const char *a, const char *b,
		  const char *on, bool *out, int *line)
{
	if (!tok_is(v, a) && !tok_is(v, b))
		return fail(ps, v->col, "bad value '%.*s': %s or %s", (int)v->len, v->s, a, b);
	*out = tok_is(v, on);
	if (line)
		*line = ps->line;
	return 0;
}

static int parse_set(struct parser *ps, const struct tok *t, int n)
{
	struct isc_policy *p = ps->p;
	uint64_t v;
	size_t i;

	if (n != 3)
		return fail(ps, n < 3 ? t[n - 1].col + (int)t[n - 1].len : t[3].col,
			    n < 3 ? "'set' wants a setting and a value" : "unexpected '%.*s'",
			    n > 3 ? (int)t[3].len : 0, n > 3 ? t[3].s : "");
	if (tok_is(&t[1], "errno")) {
		if (tok_is(&t[2], "eperm") || tok_is(&t[2], "EPERM")) {
			p->errno_kernel = false;
			p->deny_errno = EPERM;
			return 0;
		}
		if (tok_is(&t[2], "kernel")) {
			p->errno_kernel = true;
			return 0;
		}
		for (i = 0; i < ARRAY_SIZE(errnos); i++) {
			if (tok_is(&t[2], errnos[i].name)) {
				p->errno_kernel = false;
				p->deny_errno = errnos[i].value;
				return 0;
			}
		}
		if (!parse_num(&t[2], 4095, &v) && v) {
			p->errno_kernel = false;
			p->deny_errno = (int)v;
			return 0;
		}
		return fail(ps, t[2].col,
			    "bad errno '%.*s': eperm, kernel, an E-name (EACCES, EINVAL, ...) or 1-4095",
			    (int)t[2].len, t[2].s);
	}
	if (tok_is(&t[1], "unreadable"))
		return choice(ps, &t[2], "deny", "allow", "allow", &p->unreadable_ok, NULL);
	if (tok_is(&t[1], "unknown-ioctl"))
		return choice(ps, &t[2], "deny", "allow", "deny", &p->unknown_deny, &p->unknown_line);
	if (tok_is(&t[1], "default"))
		return choice(ps, &t[2], "catalog", "deny", "deny", &p->default_deny, &p->default_line);
	if (tok_is(&t[1], "unclassified"))
		return choice(ps, &t[2], "deny", "allow", "allow", &p->unclassified_allow,
			      &p->unclassified_line);
	if (tok_is(&t[1], "race"))
		return choice(ps, &t[2], "report", "kill", "kill", &p->race_kill, NULL);
	if (tok_is(&t[1], "log-rate")) {
		if (tok_is(&t[2], "unlimited")) {
			p->log_rate = 0;
			return 0;
		}
		if (!parse_num(&t[2], 100000, &v) && v) {
			p->log_rate = (uint32_t)v;
			return 0;
		}
		return fail(ps, t[2].col,
			    "bad log-rate '%.*s': records a second per user and ioctl, 1-100000, or unlimited",
			    (int)t[2].len, t[2].s);
	}
	return fail(ps, t[1].col,
		    "unknown setting '%.*s' (errno, unreadable, unknown-ioctl, default, unclassified, race, log-rate)",
		    (int)t[1].len, t[1].s);
}

/* "READ|WRITE", "0x3", "none": only bits the catalog defines for d. */
static int parse_flags(struct parser *ps, const struct tok *t, const struct isc_ioctl_desc *d,
		       uint32_t *out)
{
	const struct isc_role_desc *idx = catalog__role(d, ISC_FR_INDEX, 0);
	uint32_t known = catalog__flags_mask(d) & ~(idx ? idx->mask : 0), mask = 0;
	const char *s = t->s, *end = t->s + t->len;
	size_t i;
	uint64_t v;

	if (!(d->flags_off >= 0 && !catalog__role(d, ISC_FR_OUT, 0)))
		return fail(ps, t->col, "%s has no input flags to allow", d->name);
	if (tok_is(t, "none")) {
		*out = 0;
		return 0;
	}
	while (s < end) {
		const char *bar = memchr(s, '|', end - s);
		struct tok w = { s, (bar ? bar : end) - s, t->col + (int)(s - t->s) };
		bool found = false;

		if (!w.len)
			return fail(ps, w.col, "empty flag name");
		if (w.len > 2 && (w.s[1] == 'x' || w.s[1] == 'X') && w.s[0] == '0') {
			if (parse_num(&w, UINT32_MAX, &v))
				return fail(ps, w.col, "bad number '%.*s'", (int)w.len, w.s);
			if (v & ~(uint64_t)known)
				return fail(ps, w.col,
					    "0x%llx is not a flag of %s (its flags: 0x%x)",
					    (unsigned long long)(v & ~(uint64_t)known), d->name, known);
			mask |= (uint32_t)v;
			found = true;
		}
		for (i = 0; !found && i < d->nr_flags; i++) {
			if (w.len == strlen(d->flags[i].name) &&
			    !strncasecmp(w.s, d->flags[i].name, w.len) &&
			    (d->flags[i].value & known)) {
				mask |= d->flags[i].value;
				found = true;
			}
		}
		if (!found) {
			char names[256];

			catalog__flags_str(d, known, names, sizeof(names));
			return fail(ps, w.col, "unknown flag '%.*s' for %s (its flags: %s)",
				    (int)w.len, w.s, d->name, names[0] ? names : "none");
		}
		s = bar ? bar + 1 : end;
		if (bar && s == end)
			return fail(ps, t->col + (int)t->len, "empty flag name");
	}
	for (i = 0; i < 2; i++) {
		const struct isc_role_desc *r = catalog__role(d, ISC_FR_ONE_OF, i);
		char names[128];

		if (r && !(mask & r->mask)) {
			catalog__flags_str(d, r->mask, names, sizeof(names));
			return fail(ps, t->col,
				    "impossible mask: %s needs exactly one of %s, and none is allowed",
				    d->name, names);
		}
	}
	*out = mask;
	return 0;
}

static int parse_size(struct parser *ps, const struct tok *t, const struct isc_ioctl_desc *d,
		      struct isc_prule *r)
{
	const char *dash = memchr(t->s, '-', t->len);
	struct tok a = *t, b;
	uint64_t lo, hi = UINT32_MAX;

	if (d->arg != ISC_ARG_STRUCT)
		return fail(ps, t->col, "%s takes no sized struct", d->name);
	if (dash) {
		a.len = dash - t->s;
		b.s = dash + 1;
		b.len = t->s + t->len - b.s;
		b.col = t->col + (int)(b.s - t->s);
		if (b.len && parse_num(&b, UINT32_MAX, &hi))
			return fail(ps, b.col, "bad size '%.*s'", (int)b.len, b.s);
	}
	if (parse_num(&a, UINT32_MAX, &lo))
		return fail(ps, a.col, "bad size '%.*s': N, MIN-MAX or MIN-", (int)a.len, a.s);
	if (!dash)
		hi = lo;
	if (hi < lo)
		return fail(ps, t->col, "impossible size range %llu-%llu", (unsigned long long)lo,
			    (unsigned long long)hi);
	if (hi < d->minsz)
		return fail(ps, t->col,
			    "impossible size: %s needs at least %u bytes, the range ends at %llu",
			    d->name, d->minsz, (unsigned long long)hi);
	r->min_size = (uint32_t)lo;
	r->max_size = (uint32_t)hi;
	r->match |= ISC_PM_SIZE;
	return 0;
}

/* A user name from /etc/passwd itself (fgetpwent: no NSS modules, so the
 * static build needs no shared libraries at run time), or -1. */
static int passwd_uid(const char *name)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	int uid = -1;

	if (!f)
		return -1;
	while ((pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, name)) {
			uid = (int)pw->pw_uid;
			break;
		}
	fclose(f);
	return uid;
}

static int parse_scope(struct parser *ps, const struct tok *key, const struct tok *val,
		       struct isc_prule *r)
{
	char path[PATH_MAX], msg[PATH_MAX + 64];
	uint64_t v;
	int uid;

	if (tok_is(key, "uid")) {
		if (r->match & ISC_PM_UID)
			return fail(ps, key->col, "'uid' given twice");
		if (!parse_num(val, UINT32_MAX - 1, &v)) {
			r->uid = (uint32_t)v;
		} else {
			uid = passwd_uid(tok_str(val, path, sizeof(path)));
			if (uid < 0)
				return fail(ps, val->col, "unknown user '%.*s' (not in /etc/passwd)",
					    (int)val->len, val->s);
			r->uid = (uint32_t)uid;
		}
		r->match |= ISC_PM_UID;
		return 0;
	}
	if (val->len >= sizeof(path))
		return fail(ps, val->col, "path too long");
	tok_str(val, path, sizeof(path));
	if (path[0] != '/')
		return fail(ps, val->col, "'%s' wants an absolute path", tok_str(key, path, 16));
	if (tok_is(key, "exe")) {
		if (r->match & ISC_PM_EXE)
			return fail(ps, key->col, "'exe' given twice");
		if (exeid__of_path(path, &r->exe[0], &r->exe_fd[0], msg, sizeof(msg)))
			return fail(ps, val->col, "%s", msg);
		snprintf(r->exe_path, sizeof(r->exe_path), "%s", path);
		r->match |= ISC_PM_EXE;
		return 0;
	}
	if (r->match & ISC_PM_CGROUP)
		return fail(ps, key->col, "'cgroup' given twice");
	if (exeid__cgroup(path, &r->cgroup_id, &r->cgroup_level, msg, sizeof(msg)))
		return fail(ps, val->col, "%s", msg);
	r->match |= ISC_PM_CGROUP;
	return 0;
}

static int parse_rule(struct parser *ps, const struct tok *t, int n)
{
	struct isc_policy *p = ps->p;
	struct isc_prule r = { .kind = -1, .line = ps->line, .exe_fd = { -1, -1 } };
	bool flags_seen = false;
	char name[64];
	int i, kind;
	void *grown;

	r.action = tok_is(&t[0], "allow") ? ISC_RA_ALLOW : ISC_RA_DENY;
	if (n < 2)
		return fail(ps, t[0].col + (int)t[0].len, "'%s' wants an ioctl name",
			    r.action == ISC_RA_ALLOW ? "allow" : "deny");
	if (tok_is(&t[1], "*")) {
		if (r.action == ISC_RA_ALLOW)
			return fail(ps, t[1].col, "'allow *' is the default; name the ioctl");
	} else {
		r.d = catalog__by_name(tok_str(&t[1], name, sizeof(name)));
		if (!r.d || t[1].len >= sizeof(name))
			return fail(ps, t[1].col, "unknown ioctl '%.*s'", (int)t[1].len, t[1].s);
	}
	for (i = 2; i < n; i += 2) {
		const struct tok *key = &t[i], *val = &t[i + 1];

		if (i + 1 >= n)
			return fail(ps, key->col + (int)key->len, "'%.*s' wants a value",
				    (int)key->len, key->s);
		if (tok_is(key, "on")) {
			if (r.kind >= 0)
				return fail(ps, key->col, "'on' given twice");
			kind = kernel__kind_by_name(tok_str(val, name, sizeof(name)));
			if (kind < 0)
				return fail(ps, val->col,
					    "unknown fd kind '%.*s' (container, compat-container, group, device, iommufd, migration, spapr-container)",
					    (int)val->len, val->s);
			if (r.d && !(r.d->kinds & ISC_K(kind)))
				return fail(ps, val->col, "%s is not an ioctl of a %s fd", r.d->name,
					    catalog__kind_name(kind));
			r.kind = kind;
		} else if (tok_is(key, "flags") || tok_is(key, "size")) {
			if (r.action == ISC_RA_DENY || !r.d)
				return fail(ps, key->col, "'%.*s' belongs to allow rules",
					    (int)key->len, key->s);
			if (tok_is(key, "flags")) {
				if (flags_seen)
					return fail(ps, key->col, "'flags' given twice");
				if (parse_flags(ps, val, r.d, &r.allowed))
					return -1;
				flags_seen = true;
				r.match |= ISC_PM_FLAGS;
			} else {
				if (r.match & ISC_PM_SIZE)
					return fail(ps, key->col, "'size' given twice");
				if (parse_size(ps, val, r.d, &r))
					return -1;
			}
		} else if (tok_is(key, "exe") || tok_is(key, "cgroup") || tok_is(key, "uid")) {
			if (parse_scope(ps, key, val, &r))
				return -1;
		} else {
			return fail(ps, key->col,
				    "unknown word '%.*s' (on, flags, size, exe, cgroup, uid)",
				    (int)key->len, key->s);
		}
	}
	grown = realloc(p->rules, (p->nr + 1) * sizeof(*p->rules));
	if (!grown)
		return fail(ps, 1, "out of memory");
	p->rules = grown;
	p->rules[p->nr++] = r;
	return 0;
}

void policy__default(struct isc_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->deny_errno = EPERM;
	p->log_rate = ISC_LOG_RATE_DEFAULT;
}

int policy__parse(const char *name, const char *buf, size_t len, struct isc_policy *p,
		  char *err, size_t errlen)
{
	struct parser ps = { .name = name, .err = err, .errlen = errlen, .p = p };
	struct tok t[MAX_TOKENS] = {};
	const char *s = buf, *end = buf + len, *nl;
	int n;

	policy__default(p);
	err[0] = 0;
	if (memchr(buf, 0, len)) {
		ps.line = 1;
		for (nl = buf; nl < (const char *)memchr(buf, 0, len); nl++)
			ps.line += *nl == '\n';
		fail(&ps, 1, "NUL byte: not a text file");
		goto bad;
	}
	while (s < end) {
		nl = memchr(s, '\n', end - s);
		ps.line++;
		n = tokenize(&ps, s, (nl ? nl : end) - s, t, MAX_TOKENS);
		if (n < 0)
			goto bad;
		if (n > 0) {
			if (tok_is(&t[0], "set")) {
				if (parse_set(&ps, t, n))
					goto bad;
			} else if (tok_is(&t[0], "allow") || tok_is(&t[0], "deny")) {
				if (parse_rule(&ps, t, n))
					goto bad;
			} else {
				fail(&ps, t[0].col, "unknown statement '%.*s' (set, allow, deny)",
				     (int)t[0].len, t[0].s);
				goto bad;
			}
		}
		s = nl ? nl + 1 : end;
	}
	return 0;
bad:
	policy__free(p);
	return -1;
}

int policy__load(const char *path, struct isc_policy *p, char *err, size_t errlen)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(MAX_POLICY_BYTES + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	while ((n = read(fd, buf + len, MAX_POLICY_BYTES + 1 - len)) > 0)
		len += n;
	ret = n < 0 ? -(errno ? errno : EIO) : 0;
	close(fd);
	if (ret || len > MAX_POLICY_BYTES) {
		snprintf(err, errlen, "%s: %s", path,
			 ret ? strerror(-ret) : "larger than 1 MiB: not a policy file");
		free(buf);
		return -1;
	}
	ret = policy__parse(path, buf, len, p, err, errlen);
	free(buf);
	return ret;
}

void policy__free(struct isc_policy *p)
{
	int i, j;

	for (i = 0; i < p->nr; i++)
		for (j = 0; j < ISC_EXE_IDS; j++)
			if (p->rules[i].exe_fd[j] >= 0)
				close(p->rules[i].exe_fd[j]);
	free(p->rules);
	p->rules = NULL;
	p->nr = 0;
}

static int compile_one(const struct isc_policy *p, const char *name,
		       const struct isc_ioctl_desc *d, int kind, const struct isc_abi *a,
		       struct isc_policy_entry *e, char *err, size_t errlen)
{
	struct isc_policy_rule *out;
	int i;

	catalog_map__entry(d, a, kind, &e->cat);
	e->deny_errno = p->errno_kernel ? e->cat.kernel_errno : p->deny_errno;
	for (i = 0; i < p->nr; i++) {
		const struct isc_prule *r = &p->rules[i];

		if ((r->d && r->d != d) || (r->kind >= 0 && r->kind != kind))
			continue;
		if (!r->d && !(d->kinds & ISC_K(kind)))
			continue;
		if (e->nr_rules == ISC_POLICY_MAX_RULES - 1) {
			snprintf(err, errlen, "%s:%d:1: more than %d rules apply to %s on a %s fd",
				 name, r->line, ISC_POLICY_MAX_RULES - 1, d->name,
				 catalog__kind_name(kind));
			return -1;
		}
		out = &e->rules[e->nr_rules++];
		out->action = r->action;
		out->match = r->match;
		out->line = r->line;
		out->cgroup_id = r->cgroup_id;
		out->cgroup_level = r->cgroup_level;
		memcpy(out->exe, r->exe, sizeof(out->exe));
		out->uid = r->uid;
		out->min_size = r->min_size;
		out->max_size = r->max_size;
		/* a rule narrows what the kernel accepts, never widens it */
		if (r->action == ISC_RA_ALLOW && (e->cat.cflags & ISC_CATF_FLAGS_IN)) {
			out->match |= ISC_PM_FLAGS;
			out->allowed = (r->match & ISC_PM_FLAGS ? r->allowed : ~0u) & e->cat.allowed;
		}
	}
	out = &e->rules[e->nr_rules++];
	out->line = p->default_line;
	if (p->default_deny) {
		out->action = ISC_RA_DENY;
	} else {
		out->action = ISC_RA_ALLOW;
		if (e->cat.cflags & ISC_CATF_FLAGS_IN) {
			out->match = ISC_PM_FLAGS;
			out->allowed = e->cat.allowed;
		}
	}
	return 0;
}

/* An entry that refuses everything it is looked up for. */
static void refusal(struct isc_policy_entry *e, uint32_t pflags, uint32_t generation, int err,
		    int line, uint32_t log_rate)
{
	memset(e, 0, sizeof(*e));
	e->pflags = pflags;
	e->log_rate = log_rate;
	e->generation = generation;
	e->deny_errno = err;
	e->nr_rules = 1;
	e->rules[0].action = ISC_RA_DENY;
	e->rules[0].line = line;
}

static int emit_slot(uint8_t kind, uint32_t cmd, const struct isc_policy_entry *e,
		     int (*emit)(void *ctx, const struct isc_cat_key *k,
				 const struct isc_policy_entry *e),
		     void *ctx, char *err, size_t errlen)
{
	struct isc_cat_key key;

	memset(&key, 0, sizeof(key));
	key.cmd = cmd;
	key.fd_kind = kind;
	if (!emit(ctx, &key, e))
		return 0;
	snprintf(err, errlen, "failed to store the policy: %s", strerror(errno));
	return -1;
}

int policy__count_entry(void *ctx, const struct isc_cat_key *k,
			const struct isc_policy_entry *e)
{
	(void)k;
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

int policy__compile(const struct isc_policy *p, const char *name, const struct isc_abi *a,
		    uint32_t pflags, uint32_t generation,
		    int (*emit)(void *ctx, const struct isc_cat_key *k,
				const struct isc_policy_entry *e),
		    void *ctx, char *err, size_t errlen)
{
	const struct isc_ioctl_desc *cat;
	struct isc_policy_entry *e;
	size_t nr, i;
	int kind, n = 0, ret = -1;

	e = malloc(sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (p->unreadable_ok)
		pflags |= ISC_PF_UNREADABLE_OK;
	if (p->race_kill)
		pflags |= ISC_PF_RACE_KILL;
	cat = catalog__ioctls(&nr);
	for (i = 0; i < nr; i++) {
		for (kind = 1; kind < ISC_FD_KIND_MAX; kind++) {
			if (!(cat[i].kinds & ISC_K(kind)))
				continue;
			memset(e, 0, sizeof(*e));
			e->pflags = pflags;
			e->generation = generation;
			e->log_rate = p->log_rate;
			if (compile_one(p, name, &cat[i], kind, a, e, err, errlen))
				goto out;
			if (emit_slot((uint8_t)kind, cat[i].cmd, e, emit, ctx, err, errlen))
				goto out;
			n++;
		}
	}
	if (p->unknown_deny) {
		refusal(e, pflags, generation, p->errno_kernel ? ENOTTY : p->deny_errno,
			p->unknown_line, p->log_rate);
		if (emit_slot(0, ISC_POLICY_OTHER_CMD, e, emit, ctx, err, errlen))
			goto out;
		n++;
	}
	if (!p->unclassified_allow) {
		/* fail closed: ';' on a VFIO-looking file no classifier knows */
		refusal(e, pflags, generation, p->errno_kernel ? ENOTTY : p->deny_errno,
			p->unclassified_line, p->log_rate);
		if (emit_slot(ISC_POLICY_UNCLASSIFIED_KIND, 0, e, emit, ctx, err, errlen))
			goto out;
		n++;
	}
	ret = n;
out:
	free(e);
	return ret;
}

/* Append one line to msg (used bytes in *used). */
static void say_line(char *msg, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void say_line(char *msg, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	if (*used)
		msg[(*used)++] = '\n';
	va_start(ap, fmt);
	n = vsnprintf(msg + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

/* Rule r's path now names another file: take it, or say why not (once
 * for each new state of the path). */
static int exe_follow(struct isc_prule *r, char *msg, size_t len, size_t *used)
{
	char why[PATH_MAX + 96];
	struct isc_exe_id now;
	int fd, said;

	if (exeid__of_path(r->exe_path, &now, &fd, why, sizeof(why))) {
		said = 1;
		goto tell;
	}
	if (now.ino == r->exe[0].ino && now.dev == r->exe[0].dev) {
		close(fd);
		r->exe_said = 0;
		return 0;
	}
	if (exeid__trusted(r->exe_path, why, sizeof(why))) {
		close(fd);
		said = 2;
		goto tell;
	}
	r->exe_said = 0;
	if (r->exe_fd[1] >= 0)
		close(r->exe_fd[1]);
	r->exe[1] = r->exe[0];
	r->exe_fd[1] = r->exe_fd[0];
	r->exe[0] = now;
	r->exe_fd[0] = fd;
	return 1;
tell:
	if (r->exe_said != said)
		say_line(msg, len, used, said == 1 ?
			 "line %d: %s: the rule matches only processes still running the file it named" :
			 "line %d: replaced, not followed: %s", r->line, why);
	r->exe_said = said;
	return 0;
}

int policy__exe_refresh(struct isc_policy *p, char *msg, size_t len)
{
	size_t used = 0;
	int i, n = 0;

	msg[0] = '\0';
	for (i = 0; i < p->nr; i++)
		if (p->rules[i].match & ISC_PM_EXE)
			n += exe_follow(&p->rules[i], msg, len, &used);
	return n;
}

void policy__exe_carry(struct isc_policy *to, const struct isc_policy *from)
{
	const struct isc_prule *f;
	struct isc_prule *t;
	int i, j, k;

	for (i = 0; i < to->nr; i++) {
		t = &to->rules[i];
		for (j = 0; j < from->nr && (t->match & ISC_PM_EXE); j++) {
			f = &from->rules[j];
			if (!(f->match & ISC_PM_EXE) || strcmp(f->exe_path, t->exe_path) ||
			    t->exe[1].ino)
				continue;
			/* the older file: what from followed from, or from's own */
			k = f->exe[0].ino == t->exe[0].ino && f->exe[0].dev == t->exe[0].dev;
			if (f->exe_fd[k] < 0 || (t->exe_fd[1] = dup(f->exe_fd[k])) < 0)
				continue;
			t->exe[1] = f->exe[k];
		}
	}
}

void policy__for_each_exe(const struct isc_policy *p, void (*fn)(void *ctx, const char *path),
			  void *ctx)
{
	int i;

	for (i = 0; i < p->nr; i++)
		if (p->rules[i].match & ISC_PM_EXE)
			fn(ctx, p->rules[i].exe_path);
}

const char *policy__reason_name(enum isc_deny_reason r)
{
	static const char *const names[ISC_DENY_REASON_MAX] = {
		[ISC_DENY_FLAGS] = "unknown-flags",
		[ISC_DENY_ONE_OF] = "not-one-of",
		[ISC_DENY_SIZE] = "size",
		[ISC_DENY_RULE] = "deny-rule",
		[ISC_DENY_UNKNOWN] = "unknown-ioctl",
		[ISC_DENY_UNREADABLE] = "unreadable",
		[ISC_RACE] = "flags-changed-after-check",
		[ISC_DENY_UNCLASSIFIED] = "unclassified",
		[ISC_DENY_NO_POLICY] = "no-policy",
	};

	return r > 0 && r < ISC_DENY_REASON_MAX && names[r] ? names[r] : "unknown";
}

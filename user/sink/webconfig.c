// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's --web.config.file: the Prometheus exporter-toolkit's
 * web configuration (YAML, read with libyaml), checked whole before
 * anything listens. What libmicrohttpd (GnuTLS) can do is done; a key that
 * cannot be honoured is refused by name, never ignored. Passwords are
 * bcrypt hashes verified by libxcrypt's crypt_rn().
 */
#ifndef ISC_NO_HTTP
#include <crypt.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "export.h"
#include "util.h"

#define WC_FILE_MAX ((size_t)256 * 1024)

struct wc_parse {
	const char *path;		/* the config file, for messages */
	yaml_document_t *doc;
	struct isc_web_config *wc;
	char *cert_file, *key_file, *ca_file;	/* as written */
	const char *min_version, *max_version, *client_auth;
	int prefer_server;		/* -1 unset, 0, 1 */
};

/* "FILE:LINE: what", the one line every refusal gets. */
#define wc_err(p, node, fmt, ...)                                              \
	isc_err("web config %s:%lu: " fmt, (p)->path,                          \
		(unsigned long)(node)->start_mark.line + 1, ##__VA_ARGS__)

static const char *wc_scalar(struct wc_parse *p, yaml_node_t *v, const char *key)
{
	if (v->type != YAML_SCALAR_NODE) {
		wc_err(p, v, "'%s' must be a string", key);
		return NULL;
	}
	return (const char *)v->data.scalar.value;
}

/* An empty value ("key:" alone, ~ or null): as if the key were absent. */
static bool wc_null(yaml_node_t *v)
{
	const char *s;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)v->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null");
}

static int wc_bool(struct wc_parse *p, yaml_node_t *v, const char *key, int *out)
{
	const char *s = wc_scalar(p, v, key);

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "true") || !strcmp(s, "True"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "False"))
		*out = 0;
	else {
		wc_err(p, v, "'%s' must be true or false, not '%s'", key, s);
		return -EINVAL;
	}
	return 0;
}

/*
 * Call fn on every key: value of a mapping; a key given twice is refused
 * (Go's strict YAML decoding does the same).
 */
typedef int (*wc_pair_fn)(struct wc_parse *p, const char *key, yaml_node_t *v);

static int wc_mapping(struct wc_parse *p, yaml_node_t *m, const char *what, wc_pair_fn fn)
{
	yaml_node_pair_t *a, *b;
	yaml_node_t *k, *k2;
	int r;

	if (wc_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE) {
		wc_err(p, m, "%s must be a mapping", what);
		return -EINVAL;
	}
	for (a = m->data.mapping.pairs.start; a < m->data.mapping.pairs.top; a++) {
		k = yaml_document_get_node(p->doc, a->key);
		if (!k || k->type != YAML_SCALAR_NODE) {
			wc_err(p, m, "a key of %s is not a string", what);
			return -EINVAL;
		}
		for (b = m->data.mapping.pairs.start; b < a; b++) {
			k2 = yaml_document_get_node(p->doc, b->key);
			if (!strcmp((char *)k->data.scalar.value, (char *)k2->data.scalar.value)) {
				wc_err(p, k, "duplicate key '%s' in %s", k->data.scalar.value, what);
				return -EINVAL;
			}
		}
		r = fn(p, (const char *)k->data.scalar.value,
		       yaml_document_get_node(p->doc, a->value));
		if (r)
			return r;
	}
	return 0;
}

static int wc_string(struct wc_parse *p, yaml_node_t *v, const char *key, char **out)
{
	const char *s = wc_scalar(p, v, key);

	if (!s)
		return -EINVAL;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* A list that must stay empty: what GnuTLS cannot take in Go's terms. */
static int wc_refused_list(struct wc_parse *p, yaml_node_t *v, const char *key, const char *why)
{
	if (wc_null(v) || (v->type == YAML_SEQUENCE_NODE &&
			   v->data.sequence.items.start == v->data.sequence.items.top))
		return 0;
	wc_err(p, v, "tls_server_config: '%s' is not supported: %s", key, why);
	return -EINVAL;
}

static int wc_tls_key(struct wc_parse *p, const char *k, yaml_node_t *v)
{
	if (!strcmp(k, "cert_file"))
		return wc_string(p, v, k, &p->cert_file);
	if (!strcmp(k, "key_file"))
		return wc_string(p, v, k, &p->key_file);
	if (!strcmp(k, "client_ca_file"))
		return wc_string(p, v, k, &p->ca_file);
	if (!strcmp(k, "client_auth_type"))
		return (p->client_auth = wc_scalar(p, v, k)) ? 0 : -EINVAL;
	if (!strcmp(k, "min_version"))
		return (p->min_version = wc_scalar(p, v, k)) ? 0 : -EINVAL;
	if (!strcmp(k, "max_version"))
		return (p->max_version = wc_scalar(p, v, k)) ? 0 : -EINVAL;
	if (!strcmp(k, "prefer_server_cipher_suites"))
		return wc_bool(p, v, k, &p->prefer_server);
	if (!strcmp(k, "cipher_suites"))
		return wc_refused_list(p, v, k, "Go's cipher suite names have no exact GnuTLS "
					  "equivalent; use min_version");
	if (!strcmp(k, "curve_preferences"))
		return wc_refused_list(p, v, k, "the key exchange groups are GnuTLS's defaults");
	if (!strcmp(k, "client_allowed_sans"))
		return wc_refused_list(p, v, k, "client certificate SANs are not checked");
	if (!strcmp(k, "cert") || !strcmp(k, "key") || !strcmp(k, "client_ca")) {
		wc_err(p, v, "tls_server_config: '%s' is not supported: use %s_file", k, k);
		return -EINVAL;
	}
	wc_err(p, v, "unknown key '%s' in tls_server_config", k);
	return -EINVAL;
}

/* The security headers exporter-toolkit allows, and no others. */
static const char *const wc_headers[] = {
	"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
	"X-XSS-Protection", "Content-Security-Policy",
};

static int wc_header(struct wc_parse *p, const char *k, yaml_node_t *v)
{
	struct isc_web_config *wc = p->wc;
	const char *val = wc_scalar(p, v, k);
	size_t i;

	if (!val)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(wc_headers); i++)
		if (!strcmp(k, wc_headers[i]))
			break;
	if (i == ARRAY_SIZE(wc_headers)) {
		wc_err(p, v, "http_server_config: header '%s' is not allowed", k);
		return -EINVAL;
	}
	if (strpbrk(val, "\r\n") || wc->nr_headers >= (int)ARRAY_SIZE(wc->headers)) {
		wc_err(p, v, "http_server_config: bad value for header '%s'", k);
		return -EINVAL;
	}
	wc->headers[wc->nr_headers].name = wc_headers[i];
	return wc_string(p, v, k, &wc->headers[wc->nr_headers++].value);
}

static int wc_http_key(struct wc_parse *p, const char *k, yaml_node_t *v)
{
	int on = 0;

	if (!strcmp(k, "headers"))
		return wc_mapping(p, v, "http_server_config.headers", wc_header);
	if (!strcmp(k, "http2")) {
		if (wc_bool(p, v, k, &on))
			return -EINVAL;
		if (on) {
			wc_err(p, v, "http_server_config: 'http2: true' is not supported: "
				     "libmicrohttpd speaks HTTP/1.1 only");
			return -EINVAL;
		}
		return 0;
	}
	wc_err(p, v, "unknown key '%s' in http_server_config", k);
	return -EINVAL;
}

static int wc_user(struct wc_parse *p, const char *k, yaml_node_t *v)
{
	struct isc_web_config *wc = p->wc;
	struct isc_web_user *u;
	const char *hash = wc_scalar(p, v, k);

	if (!hash)
		return -EINVAL;
	if (!*k || strchr(k, ':')) {
		wc_err(p, v, "basic_auth_users: bad user name '%s'", k);
		return -EINVAL;
	}
	if (webconfig__check_hash(hash)) {
		wc_err(p, v, "basic_auth_users: the hash of '%s' is not a bcrypt hash "
			     "($2a$, $2b$ or $2y$, 60 characters)", k);
		return -EINVAL;
	}
	u = realloc(wc->users, (wc->nr_users + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	wc->users = u;
	u += wc->nr_users;
	u->name = strdup(k);
	u->hash = strdup(hash);
	wc->nr_users++;
	return u->name && u->hash ? 0 : -ENOMEM;
}

static int wc_top_key(struct wc_parse *p, const char *k, yaml_node_t *v)
{
	if (!strcmp(k, "tls_server_config")) {
		p->wc->tls = !wc_null(v);
		return wc_mapping(p, v, k, wc_tls_key);
	}
	if (!strcmp(k, "http_server_config"))
		return wc_mapping(p, v, k, wc_http_key);
	if (!strcmp(k, "basic_auth_users"))
		return wc_mapping(p, v, k, wc_user);
	wc_err(p, v, "unknown key '%s'", k);
	return -EINVAL;
}

/* ---- the checks after parsing ---- */

/* A file named in the config: relative to the config file's directory. */
static char *wc_read(struct wc_parse *p, const char *key, const char *name)
{
	const char *slash = strrchr(p->path, '/');
	char *path = NULL, *buf = NULL;
	ssize_t n;

	if (name[0] == '/' || !slash)
		path = strdup(name);
	else if (asprintf(&path, "%.*s/%s", (int)(slash - p->path), p->path, name) < 0)
		path = NULL;
	buf = malloc(WC_FILE_MAX);
	if (!path || !buf)
		goto fail;
	n = read_text_file(path, buf, WC_FILE_MAX);
	if (n < 0)
		isc_err("web config %s: %s '%s': %s", p->path, key, path, strerror((int)-n));
	else if ((size_t)n == WC_FILE_MAX - 1 || !n)
		isc_err("web config %s: %s '%s': %s", p->path, key, path,
			n ? "too large" : "empty");
	else {
		free(path);
		return buf;
	}
fail:
	free(path);
	free(buf);
	return NULL;
}

/* The key and certificate must be a pair GnuTLS takes; the CA file must
 * hold at least one certificate. */
static int wc_check_tls_files(struct wc_parse *p)
{
	struct isc_web_config *wc = p->wc;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c, k;
	int r;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return -ENOMEM;
	c.data = (unsigned char *)wc->cert;
	c.size = (unsigned int)strlen(wc->cert);
	k.data = (unsigned char *)wc->key;
	k.size = (unsigned int)strlen(wc->key);
	r = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		isc_err("web config %s: cert_file '%s' and key_file '%s': %s", p->path,
			p->cert_file, p->key_file, gnutls_strerror(r));
		goto out;
	}
	if (wc->ca) {
		c.data = (unsigned char *)wc->ca;
		c.size = (unsigned int)strlen(wc->ca);
		r = gnutls_certificate_set_x509_trust_mem(cred, &c, GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			isc_err("web config %s: client_ca_file '%s': %s", p->path, p->ca_file,
				r < 0 ? gnutls_strerror(r) : "no certificate in it");
			r = -EINVAL;
			goto out;
		}
	}
	r = 0;
out:
	gnutls_certificate_free_credentials(cred);
	return r < 0 ? -EINVAL : 0;
}

/* "TLS12" into GnuTLS's "VERS-TLS1.2"; 0 for an unknown name. */
static int wc_version(const char *s)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return i + 1;
	return 0;
}

/* min_version, max_version and prefer_server_cipher_suites as a GnuTLS
 * priority string, e.g. "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3". */
static int wc_priorities(struct wc_parse *p)
{
	const char *bad = NULL, *err_pos = NULL;
	int lo = 3, hi = 4, v, r;		/* exporter-toolkit: TLS 1.2 and up */
	gnutls_priority_t prio;
	char buf[160];
	size_t n;

	if (p->min_version && !(lo = wc_version(p->min_version)))
		bad = "min_version";
	if (p->max_version && !(hi = wc_version(p->max_version)))
		bad = "max_version";
	if (bad || lo > hi) {
		isc_err("web config %s: tls_server_config: bad %s (want TLS10, TLS11, TLS12 or TLS13, "
			"min_version <= max_version)", p->path, bad ?: "min_version/max_version");
		return -EINVAL;
	}
	n = (size_t)snprintf(buf, sizeof(buf), "NORMAL:-VERS-ALL");
	for (v = lo; v <= hi; v++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ":+VERS-TLS1.%d", v - 1);
	if (p->prefer_server == 1)
		snprintf(buf + n, sizeof(buf) - n, ":%%SERVER_PRECEDENCE");
	r = gnutls_priority_init(&prio, buf, &err_pos);
	if (r < 0) {
		isc_err("web config %s: GnuTLS refuses the priorities '%s': %s", p->path, buf,
			gnutls_strerror(r));
		return -EINVAL;
	}
	gnutls_priority_deinit(prio);
	p->wc->priorities = strdup(buf);
	return p->wc->priorities ? 0 : -ENOMEM;
}

static int wc_client_auth(struct wc_parse *p)
{
	const char *t = p->client_auth ?: "NoClientCert";
	struct isc_web_config *wc = p->wc;

	if (!strcmp(t, "NoClientCert"))
		wc->client_auth = ISC_CLIENT_CERT_NONE;
	else if (!strcmp(t, "VerifyClientCertIfGiven"))
		wc->client_auth = ISC_CLIENT_CERT_VERIFY_IF_GIVEN;
	else if (!strcmp(t, "RequireAndVerifyClientCert"))
		wc->client_auth = ISC_CLIENT_CERT_REQUIRE;
	else if (!strcmp(t, "RequestClientCert") || !strcmp(t, "RequireAnyClientCert")) {
		isc_err("web config %s: client_auth_type %s is not supported: an unverified "
			"client certificate proves nothing", p->path, t);
		return -EINVAL;
	} else {
		isc_err("web config %s: unknown client_auth_type '%s'", p->path, t);
		return -EINVAL;
	}
	if (wc->client_auth != ISC_CLIENT_CERT_NONE && !p->ca_file) {
		isc_err("web config %s: client_auth_type %s needs client_ca_file", p->path, t);
		return -EINVAL;
	}
	if (wc->client_auth == ISC_CLIENT_CERT_NONE && p->ca_file) {
		isc_err("web config %s: client_ca_file without a client_auth_type that "
			"verifies", p->path);
		return -EINVAL;
	}
	return 0;
}

static int wc_check_tls(struct wc_parse *p)
{
	struct isc_web_config *wc = p->wc;

	if (!wc->tls)
		return 0;
	if (!p->cert_file || !p->key_file) {
		isc_err("web config %s: tls_server_config needs cert_file and key_file", p->path);
		return -EINVAL;
	}
	if (wc_client_auth(p) || wc_priorities(p))
		return -EINVAL;
	wc->cert = wc_read(p, "cert_file", p->cert_file);
	wc->key = wc->cert ? wc_read(p, "key_file", p->key_file) : NULL;
	if (!wc->key)
		return -EINVAL;
	if (p->ca_file && !(wc->ca = wc_read(p, "client_ca_file", p->ca_file)))
		return -EINVAL;
	return wc_check_tls_files(p);
}

/* ---- bcrypt ---- */

int webconfig__check_hash(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct crypt_data *cd;
	const char *out;
	int cost, ok;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) ||
	    h[3] != '$' || h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return -EINVAL;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31 || strspn(h + 7, b64) != 53)
		return -EINVAL;
	/* and libxcrypt must take it as a setting */
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	out = crypt_rn("", h, cd, sizeof(*cd));
	ok = out && strlen(out) == 60 && !strncmp(out, h, 29);
	free(cd);
	return ok ? 0 : -EINVAL;
}

/* Equal strings, in time that depends on the length only. */
static bool wc_const_eq(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return !d;
}

static bool bcrypt_verify(const struct isc_web_config *wc, const char *user, const char *pass)
{
	/* an unknown user costs a bcrypt too, at a configured user's cost
	 * (htpasswd -B uses 5, not 10): no timing tells who exists */
	const char *hash = wc->nr_users ? wc->users[0].hash :
			   "$2y$10$FlRYB.YVFcwrr2puWtaOC.vtTsBFKslmrN3Jo2k7iguDMi2Pj7Qrm";
	struct crypt_data *cd;
	const char *out;
	bool known = false, ok;
	int i;

	for (i = 0; user && i < wc->nr_users; i++) {
		if (!strcmp(user, wc->users[i].name)) {
			hash = wc->users[i].hash;
			known = true;
		}
	}
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	out = crypt_rn(pass ?: "", hash, cd, sizeof(*cd));
	ok = known && out && strlen(out) == 60 && wc_const_eq(out, hash, 60);
	free(cd);
	return ok;
}

/*
 * bcrypt is slow on purpose, and the server has four threads: credentials
 * that verified once are remembered (SHA-256 of user and password, as
 * exporter-toolkit caches them), so a scraper costs one bcrypt, and at
 * most VERIFY_BUDGET bcrypts a second are spent on credentials not
 * remembered, so a flood of wrong passwords cannot starve the scrapes
 * (over the budget: 401 at once).
 */
#define VERIFY_CACHE 16
#define VERIFY_BUDGET 10

static pthread_mutex_t verify_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char verified[VERIFY_CACHE][32];
static unsigned int nr_verified, budget_used;
static time_t budget_sec;

static int cred_digest(const char *user, const char *pass, unsigned char d[32])
{
	size_t ul = strlen(user), pl = strlen(pass);
	char *buf = malloc(ul + pl + 2);
	int err;

	if (!buf)
		return -1;
	memcpy(buf, user, ul + 1);	/* "user\0pass": no two pairs alike */
	memcpy(buf + ul + 1, pass, pl + 1);
	err = gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, ul + pl + 2, d);
	free(buf);
	return err ? -1 : 0;
}

/* Remembered, or (*may_try) may a bcrypt be spent now? */
static bool verify_cached(const unsigned char d[32], bool *may_try)
{
	time_t now = time(NULL);
	unsigned int i;
	bool hit = false;

	pthread_mutex_lock(&verify_lock);
	for (i = 0; i < nr_verified && i < VERIFY_CACHE; i++)
		hit |= wc_const_eq((const char *)verified[i], (const char *)d, 32);
	if (now != budget_sec) {
		budget_sec = now;
		budget_used = 0;
	}
	*may_try = !hit && budget_used < VERIFY_BUDGET;
	if (*may_try)
		budget_used++;
	pthread_mutex_unlock(&verify_lock);
	return hit;
}

static void verify_remember(const unsigned char d[32])
{
	pthread_mutex_lock(&verify_lock);
	memcpy(verified[nr_verified++ % VERIFY_CACHE], d, 32);
	pthread_mutex_unlock(&verify_lock);
}

bool webconfig__verify(const struct isc_web_config *wc, const char *user, const char *pass)
{
	unsigned char d[32];
	bool may_try, ok;

	if (!user || !pass || cred_digest(user, pass, d))
		return false;
	if (verify_cached(d, &may_try))
		return true;
	if (!may_try)
		return false;
	ok = bcrypt_verify(wc, user, pass);
	if (ok)
		verify_remember(d);
	return ok;
}

/* ---- the file ---- */

static int wc_parse_file(struct wc_parse *p, FILE *f)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	int r;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		isc_err("web config %s:%lu: YAML: %s", p->path,
			(unsigned long)parser.problem_mark.line + 1, parser.problem ?: "bad syntax");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	p->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	r = root ? wc_mapping(p, root, "the web config", wc_top_key) : 0;
	if (!r)
		r = wc_check_tls(p);
	p->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

int webconfig__load(const char *path, struct isc_web_config *wc)
{
	struct wc_parse p = { .path = path, .wc = wc, .prefer_server = -1 };
	FILE *f;
	int r;

	memset(wc, 0, sizeof(*wc));
	f = fopen(path, "re");
	if (!f) {
		isc_err("web config %s: %s", path, strerror(errno));
		return -errno;
	}
	r = wc_parse_file(&p, f);
	fclose(f);
	free(p.cert_file);
	free(p.key_file);
	free(p.ca_file);
	if (r)
		webconfig__free(wc);
	return r;
}

void webconfig__free(struct isc_web_config *wc)
{
	int i;

	for (i = 0; i < wc->nr_users; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	for (i = 0; i < wc->nr_headers; i++)
		free(wc->headers[i].value);
	free(wc->users);
	free(wc->cert);
	free(wc->key);
	free(wc->ca);
	free(wc->priorities);
	memset(wc, 0, sizeof(*wc));
}
#endif /* ISC_NO_HTTP */

#ifdef ISC_NO_HTTP
#include <errno.h>
#include <string.h>
#include "export.h"
#include "util.h"

int webconfig__load(const char *path, struct isc_web_config *wc)
{
	memset(wc, 0, sizeof(*wc));
	isc_err("web config %s: this build has no HTTP server (built without libmicrohttpd)",
		path);
	return -ENOTSUP;
}

void webconfig__free(struct isc_web_config *wc)
{
	(void)wc;
}
#endif /* ISC_NO_HTTP */

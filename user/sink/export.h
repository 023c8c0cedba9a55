/* SPDX-License-Identifier: GPL-2.0 */
/* iommuscope export: the counters of counting mode for Prometheus. */
#ifndef ISC_EXPORT_H
#define ISC_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "top.h"

#define ISC_EXPORT_DEFAULT "127.0.0.1:9477"
/* The vm label: at most this many VM names per page, the others folded
 * into ISC_EXPORT_VM_OTHER (iommuscope-export(8)) */
#define ISC_EXPORT_MAX_VMS 64
#define ISC_EXPORT_VM_OTHER "(other)"

/* What export's command line chose (cmd_export.c). */
struct isc_export_opts {
	const char *listen_at;		/* ADDR:PORT */
	const char *web_config;		/* --web.config.file, NULL: none */
	uint64_t interval, linger;	/* ns */
	unsigned int max_conns;		/* in all */
	unsigned int max_conns_ip;	/* from one address */
	unsigned int idle_timeout;	/* seconds */
};
struct isc_session_opts;
struct isc_sink;
/* Check the web config and listen (the error printed), and make the sink
 * that serves a counting session's samples (one at a time). 0, -EINVAL
 * (bad web config or address) or -EIO. */
int export__open(const struct isc_export_opts *o, struct isc_session_opts *so,
		 struct isc_sink *sink);
/* After the session (or a failed open): the server stopped, everything
 * freed. True if reading the counters failed. */
bool export__close(void);

/* The text exposition format (0.0.4) of one sample. */
void export__render(FILE *f, const struct isc_top_info *info, const struct isc_top_snap *sn);
struct isc_abi;
struct isc_kernel;
/* The host's ABI facts (iommuscope_host_info, iommuscope_abi_*): the
 * kernel, its struct sizes, extensions and DEVICE_FEATURE sub-features. */
void export__render_abi(FILE *f, const struct isc_abi *a, const struct isc_kernel *k);
/* "127.0.0.1:9477", "[::1]:9477": numeric address and port. 0 or -EINVAL. */
int export__parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

/*
 * A label value in the text format: backslash, double quote and newline
 * escaped; every byte that does not begin a well-formed UTF-8 sequence
 * (stray continuation bytes, overlong forms, surrogates, code points
 * above U+10FFFF, sequences cut short) written as U+FFFD.
 */
void export__label_value(FILE *f, const char *v);

/* ---- --web.config.file (webconfig.c) ---- */

enum isc_client_cert {
	ISC_CLIENT_CERT_NONE,			/* NoClientCert */
	ISC_CLIENT_CERT_VERIFY_IF_GIVEN,	/* VerifyClientCertIfGiven */
	ISC_CLIENT_CERT_REQUIRE,		/* RequireAndVerifyClientCert */
};

struct isc_web_user {
	char *name;
	char *hash;		/* bcrypt */
};

struct isc_web_config {
	bool tls;
	char *cert, *key, *ca;	/* PEM, read from the files */
	char *priorities;	/* GnuTLS priority string */
	enum isc_client_cert client_auth;
	struct isc_web_user *users;
	int nr_users;
	struct {
		const char *name;
		char *value;
	} headers[8];
	int nr_headers;
};

/* Parse and check the whole file (files read, key pair and hashes tried).
 * 0, or -errno after one isc_err() line. */
int webconfig__load(const char *path, struct isc_web_config *wc);
void webconfig__free(struct isc_web_config *wc);
/* 0 if h is a bcrypt hash libxcrypt takes ($2a$, $2b$, $2y$), else -EINVAL. */
int webconfig__check_hash(const char *h);
/* user and pass match a basic_auth_users entry (bcrypt, constant-time). */
bool webconfig__verify(const struct isc_web_config *wc, const char *user, const char *pass);

#endif /* ISC_EXPORT_H */

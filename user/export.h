/* SPDX-License-Identifier: GPL-2.0 */
/* iommuscope export: the counters of counting mode for Prometheus. */
#ifndef ISC_EXPORT_H
#define ISC_EXPORT_H

#include <stdio.h>
#include <sys/socket.h>
#include "top.h"

#define ISC_EXPORT_DEFAULT "127.0.0.1:9477"

/* The text exposition format (0.0.4) of one sample. */
void export__render(FILE *f, const struct isc_top_info *info, const struct isc_top_snap *sn);
/* "127.0.0.1:9477", "[::1]:9477": numeric address and port. 0 or -EINVAL. */
int export__parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

#endif /* ISC_EXPORT_H */

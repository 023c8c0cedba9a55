/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The files iommuscope writes records to (audit log, deny log, trace -w):
 * never through a symlink (O_NOFOLLOW), only a regular file of our own
 * with no other hard link, mode 0600 whatever it had; rotated by size;
 * a file that cannot be written or reopened is retried (at most once a
 * second) and the records lost meanwhile are counted and reported.
 */
#ifndef ISC_LOGFILE_H
#define ISC_LOGFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct isc_logfile {
	const char *path;	/* NULL: standard output */
	const char *what;	/* "audit log", "deny log": for messages */
	uint64_t max_bytes;	/* rotate when it would grow beyond, 0: never */
	int rotate;		/* rotated files kept, FILE.1 ... FILE.N */
	/* state */
	FILE *f;
	uint64_t size;
	uint64_t lost;		/* records not written, in all */
	uint64_t lost_now;	/* ... since the file failed */
	uint64_t retry_ns;	/* no reopen before this */
	uint64_t rotate_retry_ns;	/* no rotation before this */
	bool failing;
};

#define ISC_LOGFILE_HELP							\
	"      --max-size SIZE     rotate FILE when it grows beyond SIZE: 10M, 512K\n" \
	"                          (MiB without a suffix; default 10M)\n"	\
	"      --rotate N          keep N rotated files, FILE.1 ... FILE.N (default 5)\n"
#define ISC_LOGFILE_MAX_BYTES	(10u << 20)
#define ISC_LOGFILE_ROTATE	5

/* --max-size and --rotate: 0, or -1 with the error printed. */
int logfile__parse_max_size(const char *arg, uint64_t *out);
int logfile__parse_rotate(const char *arg, int *out);

/* Open (create, 0600) path for appending, or for writing from the start
 * with trunc; a FIFO or character device is taken as it is (trace -w into
 * a pipe). An fd, or -1 with the reason printed. */
int logfile__open_fd(const char *path, bool trunc);
/* Open l->path (append). 0, or -1 with the reason printed. */
int logfile__open(struct isc_logfile *l);
/* The stream for the next record: rotated first if it is due, reopened if
 * it was lost. NULL: no file now (the caller counts the record lost with
 * logfile__done(l, false)). */
FILE *logfile__get(struct isc_logfile *l);
/* After writing one record to logfile__get()'s stream (wrote: without an
 * error): flushes it and keeps the size; a failed write closes the file,
 * to be reopened. 0, or -errno (-EIO: no file) with the record counted
 * lost. */
int logfile__done(struct isc_logfile *l, bool wrote);
void logfile__close(struct isc_logfile *l);

#endif /* ISC_LOGFILE_H */

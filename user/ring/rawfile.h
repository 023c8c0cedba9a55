/* SPDX-License-Identifier: GPL-2.0 */
/* trace -w / -r files (layout: user/ring/tracefile.h). */
#ifndef ISC_USER_RAWFILE_H
#define ISC_USER_RAWFILE_H

#include <stdio.h>
#include "abi.h"
#include "tracefile.h"

/* The largest record any event type has (what a reader must hold). */
#define ISC_RAW_MAX_RECORD 4096

/* Write the header. 0 or -errno. */
int rawfile__write_header(FILE *f, const struct isc_abi *a, const char *release,
			  const char *mode, int64_t mono_to_real_ns);
/* Read and check the header; fill a (abi__free it) and h. 0, or -1 with the
 * reason printed (one line naming path). */
int rawfile__read_header(FILE *f, const char *path, struct isc_raw_header *h,
			 struct isc_abi *a);
/* Where the records start in a file whose header carried a (the offset
 * rawfile__next counts from). */
uint64_t rawfile__records_at(const struct isc_abi *a);
/* An ABI record (what the kernel understands now) after the records so
 * far. Its size, or -errno. */
int rawfile__write_abi(FILE *f, const struct isc_abi *a);
/* If buf (n bytes, from rawfile__next) is an ABI record, load it into a
 * (which has the header's catalog size): 1; 0 for any other record; -1
 * with the reason printed when it is damaged. */
int rawfile__apply_abi(const void *buf, size_t n, const char *path, struct isc_abi *a);
/* The next record into buf (ISC_RAW_MAX_RECORD bytes): its size, 0 at the
 * end of the file, or -1 with the reason printed (a truncated or corrupt
 * record; *offset says where). */
long rawfile__next(FILE *f, const char *path, void *buf, uint64_t *offset);

#endif /* ISC_USER_RAWFILE_H */

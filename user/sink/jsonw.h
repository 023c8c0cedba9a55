/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A streaming writer of one record at a time (one JSON object or one line
 * of text) into a buffer, written out with one fwrite at its end; no
 * allocation. In the style of bpftool's json_writer, but it prints what
 * json-c 0.16 prints with JSON_C_TO_STRING_PLAIN, byte for byte:
 *  - no spaces; an empty array is [];
 *  - keys keep their first position: a key added again to the record's
 *    object replaces its value there (json_object_object_add_ex);
 *  - strings: '"' '\' and '/' after a backslash, \b \t \n \f \r, other
 *    bytes below 0x20 as \u00xx (lowercase), 0x7f-0xff as they are; a NULL
 *    string is null;
 *  - integers in decimal.
 * Text lines use the same buffer (jw__put and friends).
 */
#ifndef ISC_JSONW_H
#define ISC_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Larger than any record (a record that is not is written in pieces, a
 * key repeated after that then appears twice). */
#define ISC_JW_BUF	16384
/* Keys of the record's object remembered for repeats. */
#define ISC_JW_KEYS	64

/* Where a key's bit lies in isc_jw.seen: folded at compile time for a
 * literal. (n >= 1) */
static inline unsigned int jw__hash(const char *k, size_t n)
{
	return ((unsigned int)n * 31u + (unsigned int)(unsigned char)k[0] * 7u +
		(unsigned int)(unsigned char)k[n - 1]) & 127u;
}

/*
 * A key: a string literal, JW_K("ts_ns") (no escaping: [a-z_] only; written
 * with its separator and quotes spliced in at compile time, and 16 bytes of
 * padding: copied 16 bytes at a time), any other string, JW_D(p), or none
 * (an array element), JW_NONE.
 */
#define JW_DYN		((size_t)-1)
#define JW_PAD16	"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define JW_K(lit)	",\"" lit "\":" JW_PAD16, sizeof(lit) - 1, jw__hash(lit, sizeof(lit) - 1)
#define JW_D(k)		(k), JW_DYN, 0u
#define JW_NONE		NULL, 0, 0u

struct isc_jw_key {
	const char *k;		/* the key itself */
	uint32_t klen;
	uint32_t moff;		/* where its member (',' or '"') starts in buf */
	uint32_t voff;		/* where its value starts */
};

struct isc_jw {
	FILE *f;
	size_t n;		/* bytes in buf */
	int depth;		/* 1: in the record's object */
	bool sep;		/* a ',' before the next member */
	bool full;		/* more keys than ISC_JW_KEYS: no more tracked */
	int rep;		/* key whose value is being replaced, or -1 */
	uint32_t vstart;	/* where the replacing value starts */
	int nk;
	uint64_t seen[2];	/* jw__hash bits of the keys so far */
	struct isc_jw_key key[ISC_JW_KEYS];
	char buf[ISC_JW_BUF];
};

void jw__init(struct isc_jw *w, FILE *f);

/* JSON: one object per record, written out with a newline by jw__end. */
void jw__begin(struct isc_jw *w);
void jw__end(struct isc_jw *w);
void jw__u64(struct isc_jw *w, const char *k, size_t klen, unsigned int h, uint64_t v);
void jw__i64(struct isc_jw *w, const char *k, size_t klen, unsigned int h, int64_t v);
/* s up to its NUL; NULL: null. */
void jw__str(struct isc_jw *w, const char *k, size_t klen, unsigned int h, const char *s);
void jw__bool(struct isc_jw *w, const char *k, size_t klen, unsigned int h, bool v);
void jw__arr_begin(struct isc_jw *w, const char *k, size_t klen, unsigned int h);
void jw__arr_end(struct isc_jw *w);
void jw__obj_begin(struct isc_jw *w, const char *k, size_t klen, unsigned int h);
void jw__obj_end(struct isc_jw *w);

/* Text: bytes appended as they are, the line written out by jw__line. */
void jw__put(struct isc_jw *w, const char *s, size_t len);
void jw__puts(struct isc_jw *w, const char *s);
void jw__putc(struct isc_jw *w, char c);
/* "%-*s" (left: false) or "%*s" (right: true): padded, never cut. */
void jw__pad(struct isc_jw *w, const char *s, size_t len, size_t width, bool right);
void jw__put_u64(struct isc_jw *w, uint64_t v);
void jw__put_i64(struct isc_jw *w, int64_t v);
/* "0x%llx" */
void jw__put_hex(struct isc_jw *w, uint64_t v);
/* "%-*llu" */
void jw__pad_u64(struct isc_jw *w, uint64_t v, size_t width);
/* Appends a newline and writes the line out. */
void jw__line(struct isc_jw *w);

#endif /* ISC_JSONW_H */

// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "jsonw.h"
#include "util.h"

/* How json-c writes each byte of a string: 0 as it is, 'u' as \u00xx,
 * any other as a backslash and that character. */
static const char jw_esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	['"'] = '"', ['/'] = '/', ['\\'] = '\\',
};

/* Input bytes escaped per jw__reserve (at most 6 bytes out each). */
#define JW_STR_CHUNK	1024

void jw__init(struct isc_jw *w, FILE *f)
{
	w->f = f;
	w->n = 0;
	w->depth = 0;
	w->rep = -1;
}

static char *jw__escape_byte(char *o, unsigned char c);

/* A key written out again, escaped, after a spill cut it from its value. */
static void jw__spill_key(struct isc_jw *w, const char *k, size_t klen)
{
	char tmp[256], *o = tmp;
	size_t i;

	*o++ = ',';
	*o++ = '"';
	for (i = 0; i < klen; i++) {
		if (o - tmp > (ptrdiff_t)sizeof(tmp) - 8) {
			fwrite(tmp, 1, (size_t)(o - tmp), w->f);
			o = tmp;
		}
		o = jw__escape_byte(o, (unsigned char)k[i]);
	}
	*o++ = '"';
	*o++ = ':';
	fwrite(tmp, 1, (size_t)(o - tmp), w->f);
}

/*
 * Writes out what the buffer holds: only a record larger than the buffer
 * gets here. Keys before this point are no longer replaced in place. A
 * value that was replacing an earlier one (begun at vstart) cannot go to
 * that place any more: the key is written again before it (the record then
 * holds the key twice, the last value being the one that counts).
 */
static void jw__spill(struct isc_jw *w)
{
	int r = w->rep;
	size_t keep = r >= 0 ? w->vstart : w->n;

	fwrite(w->buf, 1, keep, w->f);
	if (r >= 0) {
		jw__spill_key(w, w->key[r].k, w->key[r].klen);
		memmove(w->buf, w->buf + keep, w->n - keep);
	}
	w->n -= keep;
	w->nk = 0;
	w->full = false;
	w->seen[0] = w->seen[1] = 0;
	w->rep = -1;
}

static inline void jw__reserve(struct isc_jw *w, size_t need)
{
	if (ISC_JW_BUF - w->n < need)
		jw__spill(w);
}

#define JW_ONES	0x0101010101010101ULL
#define JW_HIGH	0x8080808080808080ULL

/* Whether 8 bytes need no escape: none below 0x20, no '"', '\' or '/'. */
static inline bool jw__clean8(uint64_t x)
{
	uint64_t q = x ^ (0x22 * JW_ONES), b = x ^ (0x5c * JW_ONES), s = x ^ (0x2f * JW_ONES);

	return !((((x - 0x20 * JW_ONES) & ~x) | ((q - JW_ONES) & ~q) | ((b - JW_ONES) & ~b) |
		  ((s - JW_ONES) & ~s)) & JW_HIGH);
}

static char *jw__escape_byte(char *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e = jw_esc[c];

	if (!e) {
		*o++ = (char)c;
	} else if (e != 'u') {
		*o++ = '\\';
		*o++ = e;
	} else {
		*o++ = '\\';
		*o++ = 'u';
		*o++ = '0';
		*o++ = '0';
		*o++ = hex[c >> 4];
		*o++ = hex[c & 15];
	}
	return o;
}

/* The bytes of s (len of them), JSON-escaped; no quotes. Eight at a time
 * while none needs an escape. */
static void jw__escape(struct isc_jw *w, const char *s, size_t len)
{
	while (len) {
		size_t chunk = len < JW_STR_CHUNK ? len : JW_STR_CHUNK, i = 0, j;
		char *o;

		jw__reserve(w, chunk * 6 + 8);
		o = w->buf + w->n;
		for (; i + 8 <= chunk; i += 8) {
			uint64_t x;

			memcpy(&x, s + i, 8);
			if (jw__clean8(x)) {
				memcpy(o, &x, 8);
				o += 8;
				continue;
			}
			for (j = 0; j < 8; j++)
				o = jw__escape_byte(o, (unsigned char)s[i + j]);
		}
		if (i < chunk) {
			/* the last 1-7 bytes, padded with clean ones: copied
			 * at once when none needs an escape */
			uint64_t x = 0x6161616161616161ULL;

			memcpy(&x, s + i, chunk - i);
			if (jw__clean8(x)) {
				memcpy(o, s + i, chunk - i);
				o += chunk - i;
				i = chunk;
			}
		}
		for (; i < chunk; i++)
			o = jw__escape_byte(o, (unsigned char)s[i]);
		w->n = (size_t)(o - w->buf);
		s += chunk;
		len -= chunk;
	}
}

/* A key seen before: its index, or -1. */
static int jw__find(const struct isc_jw *w, const char *k, size_t klen)
{
	int i;

	for (i = 0; i < w->nk; i++)
		if (w->key[i].klen == klen && !memcmp(w->key[i].k, k, klen))
			return i;
	return -1;
}

/* A key of the record's object: remembered where it starts; one seen
 * before gets its new value written at the end, then moved over the old
 * one (jw__done). */
static inline bool jw__track(struct isc_jw *w, const char *k, size_t klen, unsigned int h)
{
	uint64_t bit = 1ULL << (h & 63), *seen = &w->seen[h >> 6 & 1];
	struct isc_jw_key *e;
	int i;

	if (w->full)
		return false;
	if ((*seen & bit) && (i = jw__find(w, k, klen)) >= 0) {
		w->rep = i;
		w->vstart = (uint32_t)w->n;
		return true;
	}
	*seen |= bit;
	if (w->nk == ISC_JW_KEYS) {
		w->full = true;
		return false;
	}
	e = &w->key[w->nk++];
	e->k = k;
	e->klen = (uint32_t)klen;
	e->moff = (uint32_t)w->n;
	return false;
}

/* The separator and the key of the next member (none in an array), and
 * room for a number after it. */
static inline __attribute__((always_inline))
void jw__member(struct isc_jw *w, const char *k, size_t klen, unsigned int h)
{
	if (!k) {
		jw__reserve(w, 32);
		if (w->sep)
			w->buf[w->n++] = ',';
		w->sep = true;
		return;
	}
	if (klen != JW_DYN) {
		/* ,"key": */
		const char *src = k + !w->sep;
		size_t len = klen + 3 + w->sep, i;

		jw__reserve(w, klen + 52);
		if (w->depth == 1 && jw__track(w, k + 2, klen, h))
			return;
		for (i = 0; i < len; i += 16)
			memcpy(w->buf + w->n + i, src + i, 16);
		w->n += len;
		w->sep = true;
	} else {
		klen = strlen(k);
		jw__reserve(w, 36);
		if (w->depth == 1 && jw__track(w, k, klen, klen ? jw__hash(k, klen) : 0))
			return;
		if (w->sep)
			w->buf[w->n++] = ',';
		w->sep = true;
		w->buf[w->n++] = '"';
		jw__escape(w, k, klen);
		jw__reserve(w, 34);
		w->buf[w->n++] = '"';
		w->buf[w->n++] = ':';
	}
	if (w->depth == 1 && !w->full && w->nk)
		w->key[w->nk - 1].voff = (uint32_t)w->n;
}

static void jw__reverse(char *a, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		char t = a[i];

		a[i] = a[n - 1 - i];
		a[n - 1 - i] = t;
	}
}

/* The value just written at vstart takes the place of key[rep]'s. */
static void jw__move_value(struct isc_jw *w)
{
	struct isc_jw_key *e = &w->key[w->rep];
	size_t old_end = w->rep + 1 < w->nk ? e[1].moff : w->vstart;
	size_t old_len = old_end - e->voff, len = w->n - w->vstart;
	char *b = w->buf;
	int i;

	/* old value | between | new value -> new value | between */
	jw__reverse(b + old_end, w->vstart - old_end);
	jw__reverse(b + w->vstart, len);
	jw__reverse(b + old_end, w->n - old_end);
	memmove(b + e->voff, b + old_end, w->n - old_end);
	w->n -= old_len;
	for (i = w->rep + 1; i < w->nk; i++) {
		w->key[i].moff = w->key[i].moff + (uint32_t)len - (uint32_t)old_len;
		w->key[i].voff = w->key[i].voff + (uint32_t)len - (uint32_t)old_len;
	}
	w->rep = -1;
}

/* After each value: one that replaces an earlier one goes to its place. */
static inline void jw__done(struct isc_jw *w)
{
	if (w->rep >= 0 && w->depth == 1)
		jw__move_value(w);
}

void jw__begin(struct isc_jw *w)
{
	w->n = 0;
	w->buf[w->n++] = '{';
	w->depth = 1;
	w->sep = false;
	w->full = false;
	w->rep = -1;
	w->nk = 0;
	w->seen[0] = w->seen[1] = 0;
}

void jw__end(struct isc_jw *w)
{
	jw__reserve(w, 2);
	w->buf[w->n++] = '}';
	w->buf[w->n++] = '\n';
	w->depth = 0;
	fwrite(w->buf, 1, w->n, w->f);
	w->n = 0;
}

/* A short constant: a member has made room for it. */
static inline void jw__word(struct isc_jw *w, const char *s, size_t len)
{
	memcpy(w->buf + w->n, s, len);
	w->n += len;
	jw__done(w);
}

void jw__u64(struct isc_jw *w, const char *k, size_t klen, unsigned int h, uint64_t v)
{
	jw__member(w, k, klen, h);
	w->n += fmt_u64(w->buf + w->n, v);
	jw__done(w);
}

void jw__i64(struct isc_jw *w, const char *k, size_t klen, unsigned int h, int64_t v)
{
	jw__member(w, k, klen, h);
	w->n += fmt_i64(w->buf + w->n, v);
	jw__done(w);
}

void jw__str(struct isc_jw *w, const char *k, size_t klen, unsigned int h, const char *s)
{
	jw__member(w, k, klen, h);
	if (!s) {
		jw__word(w, "null", 4);
		return;
	}
	w->buf[w->n++] = '"';
	jw__escape(w, s, strlen(s));
	jw__reserve(w, 1);
	jw__word(w, "\"", 1);
}

void jw__bool(struct isc_jw *w, const char *k, size_t klen, unsigned int h, bool v)
{
	jw__member(w, k, klen, h);
	if (v)
		jw__word(w, "true", 4);
	else
		jw__word(w, "false", 5);
}

static void jw__open(struct isc_jw *w, const char *k, size_t klen, unsigned int h, char c)
{
	jw__member(w, k, klen, h);
	w->buf[w->n++] = c;
	w->depth++;
	w->sep = false;
}

static void jw__close(struct isc_jw *w, char c)
{
	jw__reserve(w, 1);
	w->buf[w->n++] = c;
	w->depth--;
	w->sep = true;
	jw__done(w);
}

void jw__arr_begin(struct isc_jw *w, const char *k, size_t klen, unsigned int h)
{
	jw__open(w, k, klen, h, '[');
}

void jw__arr_end(struct isc_jw *w)
{
	jw__close(w, ']');
}

void jw__obj_begin(struct isc_jw *w, const char *k, size_t klen, unsigned int h)
{
	jw__open(w, k, klen, h, '{');
}

void jw__obj_end(struct isc_jw *w)
{
	jw__close(w, '}');
}

void jw__put(struct isc_jw *w, const char *s, size_t len)
{
	jw__reserve(w, len);
	if (len > ISC_JW_BUF) {
		fwrite(s, 1, len, w->f);
		return;
	}
	memcpy(w->buf + w->n, s, len);
	w->n += len;
}

void jw__puts(struct isc_jw *w, const char *s)
{
	jw__put(w, s, strlen(s));
}

void jw__putc(struct isc_jw *w, char c)
{
	jw__reserve(w, 1);
	w->buf[w->n++] = c;
}

void jw__pad(struct isc_jw *w, const char *s, size_t len, size_t width, bool right)
{
	size_t fill = len < width ? width - len : 0;

	jw__reserve(w, fill);
	if (right) {
		memset(w->buf + w->n, ' ', fill);
		w->n += fill;
	}
	jw__put(w, s, len);
	if (!right) {
		jw__reserve(w, fill);
		memset(w->buf + w->n, ' ', fill);
		w->n += fill;
	}
}

void jw__put_u64(struct isc_jw *w, uint64_t v)
{
	jw__reserve(w, 20);
	w->n += fmt_u64(w->buf + w->n, v);
}

void jw__put_i64(struct isc_jw *w, int64_t v)
{
	jw__reserve(w, 20);
	w->n += fmt_i64(w->buf + w->n, v);
}

void jw__put_hex(struct isc_jw *w, uint64_t v)
{
	jw__reserve(w, 18);
	w->buf[w->n++] = '0';
	w->buf[w->n++] = 'x';
	w->n += fmt_hex(w->buf + w->n, v);
}

void jw__pad_u64(struct isc_jw *w, uint64_t v, size_t width)
{
	char d[20];
	size_t n = fmt_u64(d, v);

	jw__pad(w, d, n, width, false);
}

void jw__line(struct isc_jw *w)
{
	jw__putc(w, '\n');
	fwrite(w->buf, 1, w->n, w->f);
	w->n = 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * user/sink/jsonw.c against json-c itself (JSON_C_TO_STRING_PLAIN), on
 * random objects: keys repeated at any distance (a repeat replaces the
 * value at the first position, also when one of them holds an array),
 * nested arrays and objects, every byte in strings, NULL strings, numbers
 * at their limits; and records larger than the buffer (written in pieces,
 * still whole). test_outeq covers the records of output.c.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include "harness.h"
#include "jsonw.h"

static uint64_t x = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static const char *const keys[] = { "a", "fd", "type", "data_type", "k/\x01", "\"q\"", "" };
static char strs[8][64];

static const char *rstr(void)
{
	char *s = strs[rnd() % 8];
	size_t n = rnd() % 63, i;

	if (rnd() % 6 == 0)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = (char)(rnd() % 255 + 1);
	s[n] = '\0';
	return s;
}

/* One value for both writers: k NULL in an array. */
static struct json_object *value(struct isc_jw *w, const char *k, int depth)
{
	struct json_object *j;
	uint64_t u = rnd() >> (rnd() % 64);
	int i, n;

	switch (rnd() % (depth < 3 ? 6 : 4)) {
	case 0:
		if (k)
			jw__u64(w, JW_D(k), u);
		else
			jw__u64(w, JW_NONE, u);
		return json_object_new_uint64(u);
	case 1:
		if (k)
			jw__i64(w, JW_D(k), (int64_t)rnd());
		else
			jw__i64(w, JW_NONE, (int64_t)x);
		return json_object_new_int64((int64_t)x);
	case 2: {
		const char *s = rstr();

		if (k)
			jw__str(w, JW_D(k), s);
		else
			jw__str(w, JW_NONE, s);
		return s ? json_object_new_string(s) : NULL;
	}
	case 3:
		n = (int)(rnd() % 2);
		if (k)
			jw__bool(w, JW_D(k), n);
		else
			jw__bool(w, JW_NONE, n);
		return json_object_new_boolean(n);
	case 4:
		j = json_object_new_array();
		if (k)
			jw__arr_begin(w, JW_D(k));
		else
			jw__arr_begin(w, JW_NONE);
		for (i = 0, n = (int)(rnd() % 4); i < n; i++)
			json_object_array_add(j, value(w, NULL, depth + 1));
		jw__arr_end(w);
		return j;
	default:
		j = json_object_new_object();
		if (k)
			jw__obj_begin(w, JW_D(k));
		else
			jw__obj_begin(w, JW_NONE);
		/* distinct keys inside: output.c repeats none there */
		for (i = 0, n = (int)(rnd() % 4); i < n; i++)
			json_object_object_add(j, keys[i], value(w, keys[i], depth + 1));
		jw__obj_end(w);
		return j;
	}
}

static void compare(const char *what, int rounds, int members, bool big)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static struct isc_jw w;
	static char huge[40000];
	int r, i, bad = 0;

	memset(huge, 'h', sizeof(huge) - 1);
	jw__init(&w, f);
	for (r = 0; r < rounds; r++) {
		struct json_object *o = json_object_new_object();
		const char *want;

		jw__begin(&w);
		if (big) {
			jw__str(&w, JW_K("huge"), huge);
			json_object_object_add(o, "huge", json_object_new_string(huge));
		}
		for (i = 0; i < members; i++) {
			const char *k = keys[rnd() % (sizeof(keys) / sizeof(keys[0]))];

			json_object_object_add(o, k, value(&w, k, 1));
		}
		jw__end(&w);
		fflush(f);
		want = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if (len != strlen(want) + 1 || memcmp(buf, want, len - 1) || buf[len - 1] != '\n') {
			size_t at = 0;

			while (at < len && buf[at] == want[at])
				at++;
			if (!bad++)
				fprintf(stderr, "%s: first difference at byte %zu of %zu:\n"
					" want ...%.80s\n got  ...%.80s\n", what, at, len,
					want + at, buf + at);
		}
		json_object_put(o);
		rewind(f);
		len = 0;
	}
	ASSERT_EQ(bad, 0, what);
	fclose(f);
	free(buf);
}

/* A repeated key whose new value does not fit in what is left of the
 * buffer: the record is spilt while that value is being written. It must
 * stay valid JSON whose last value of the key is the new one. */
static void spill_in_replacement(bool nested)
{
	static char pad[12000], val[2000];
	static struct isc_jw w;
	struct json_object *o, *a;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	memset(pad, 'p', sizeof(pad) - 1);
	memset(val, 'v', sizeof(val) - 1);
	val[0] = '/';	/* escaped: the value grows */
	jw__init(&w, f);
	jw__begin(&w);
	jw__str(&w, JW_K("a"), "old");
	jw__str(&w, JW_D("k/\x01"), "first");
	jw__str(&w, JW_K("pad"), pad);
	if (nested) {
		jw__arr_begin(&w, JW_K("a"));
		for (i = 0; i < 4; i++)
			jw__str(&w, JW_NONE, val);
		jw__arr_end(&w);
	} else {
		jw__str(&w, JW_D("k/\x01"), val);
	}
	jw__end(&w);
	fclose(f);
	o = json_tokener_parse(buf);
	ASSERT_TRUE(o != NULL, nested ? "array replacing: valid JSON" : "string replacing: valid JSON");
	if (nested) {
		ASSERT_TRUE(json_object_object_get_ex(o, "a", &a) && json_object_is_type(a, json_type_array) &&
			    json_object_array_length(a) == 4, "the key's last value is the new array");
	} else {
		ASSERT_TRUE(json_object_object_get_ex(o, "k/\x01", &a) &&
			    !strcmp(json_object_get_string(a), val),
			    "the key's last value is the new string");
		ASSERT_TRUE(strstr(buf, "\"k\\/\\u0001\":\"\\/vvv") != NULL,
			    "the key written again is escaped");
	}
	json_object_put(o);
	free(buf);
}

int main(void)
{
	TEST(jsonw_as_json_c) {
		compare("small objects, repeated keys", 20000, 6, false);
		compare("many members", 2000, 40, false);
		compare("a record larger than the buffer", 50, 3, true);
	}
	TEST(jsonw_spill_in_replacement) {
		spill_in_replacement(false);
		spill_in_replacement(true);
	}
	TEST(jsonw_key_literal) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		static struct isc_jw w;

		jw__init(&w, f);
		jw__begin(&w);
		jw__str(&w, JW_K("fd"), NULL);
		jw__u64(&w, JW_K("ts_ns"), 5);
		jw__u64(&w, JW_D("fd"), 18446744073709551615ULL);
		jw__arr_begin(&w, JW_K("classes"));
		jw__arr_end(&w);
		jw__end(&w);
		fclose(f);
		ASSERT_STREQ(buf, "{\"fd\":18446744073709551615,\"ts_ns\":5,\"classes\":[]}\n",
			     "a repeated key keeps its first place; an empty array");
		free(buf);
	}
	return harness_done("test_jsonw");
}

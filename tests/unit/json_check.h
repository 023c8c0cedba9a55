/* SPDX-License-Identifier: GPL-2.0 */
/* Capture what a JSON sink prints and read fields back, for unit tests. */
#ifndef ISC_JSON_CHECK_H
#define ISC_JSON_CHECK_H

#include <json-c/json.h>
#include <stdlib.h>
#include "output.h"

struct sink {
	struct isc_output o;
	FILE *f;
	char *buf;
	size_t len;
};

/* A JSON sink writing to memory; pass the result to one output__ call. */
static inline struct isc_output *sink_open(struct sink *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	output__init(&s->o, true, s->f);
	return &s->o;
}

/* What the sink printed, parsed (NULL if it is not one JSON object). */
static inline struct json_object *sink_json(struct sink *s)
{
	struct json_object *j;

	fclose(s->f);
	j = json_tokener_parse(s->buf);
	free(s->buf);
	return j;
}

static inline const char *jstr(struct json_object *j, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(j, k, &v) && v ? json_object_get_string(v) : "(null)";
}

static inline int64_t jint(struct json_object *j, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(j, k, &v) && v ? json_object_get_int64(v) : -999;
}

/* The key is present and its value is null. */
static inline int jnull(struct json_object *j, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(j, k, &v) && !v;
}

#endif

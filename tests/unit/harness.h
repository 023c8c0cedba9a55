/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal named-assertion harness in the style of the BPF selftests:
 * every check prints on failure, the last line is "N passed, N failed". */
#ifndef ISC_HARNESS_H
#define ISC_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int h_pass, h_fail;
static const char *h_test = "";

#define TEST(name) for (h_test = #name; h_test; h_test = NULL)

#define CHECK(cond, fmt, ...)                                                  \
	do {                                                                   \
		if (cond) {                                                    \
			h_pass++;                                              \
		} else {                                                       \
			h_fail++;                                              \
			fprintf(stderr, "%s:%d: %s: FAIL: " fmt "\n", __FILE__, \
				__LINE__, h_test, ##__VA_ARGS__);              \
		}                                                              \
	} while (0)

#define ASSERT_EQ(a, b, what)                                                  \
	CHECK((int64_t)(a) == (int64_t)(b), "%s: got %" PRId64 ", want %" PRId64, \
	      what, (int64_t)(a), (int64_t)(b))
#define ASSERT_TRUE(c, what) CHECK((c), "%s", what)
static inline int h_streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static inline const char *h_str(const char *s)
{
	return s ? s : "(null)";
}

#define ASSERT_STREQ(a, b, what)                                               \
	CHECK(h_streq((a), (b)), "%s: got '%s', want '%s'", what, h_str(a), h_str(b))

static inline int harness_done(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, h_pass, h_fail);
	return h_fail ? 1 : 0;
}

#endif

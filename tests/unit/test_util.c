// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include "harness.h"
#include "util.h"

int main(void)
{
	uint64_t v;

	TEST(parse_u64) {
		ASSERT_EQ(parse_u64("42", 0, 100, &v), 0, "plain");
		ASSERT_EQ(v, 42, "value");
		ASSERT_EQ(parse_u64("0x10", 0, 100, &v), 0, "hex");
		ASSERT_EQ(v, 16, "hex value");
		ASSERT_EQ(parse_u64("", 0, 100, &v), -EINVAL, "empty");
		ASSERT_EQ(parse_u64("-1", 0, 100, &v), -EINVAL, "negative");
		ASSERT_EQ(parse_u64("12abc", 0, 100, &v), -EINVAL, "trailing junk");
		ASSERT_EQ(parse_u64("101", 0, 100, &v), -ERANGE, "above max");
		ASSERT_EQ(parse_u64("0", 1, 100, &v), -ERANGE, "below min");
		ASSERT_EQ(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE,
			  "overflow");
		ASSERT_EQ(parse_u64(NULL, 0, 1, &v), -EINVAL, "NULL");
	}
	TEST(parse_duration) {
		ASSERT_EQ(parse_duration_ns("10", &v), 0, "bare seconds");
		ASSERT_EQ(v, 10000000000ull, "10 s");
		ASSERT_EQ(parse_duration_ns("500ms", &v), 0, "ms");
		ASSERT_EQ(v, 500000000ull, "500 ms");
		ASSERT_EQ(parse_duration_ns("2m", &v), 0, "minutes");
		ASSERT_EQ(v, 120000000000ull, "2 min");
		ASSERT_EQ(parse_duration_ns("1h", &v), 0, "hours");
		ASSERT_EQ(parse_duration_ns("0", &v), -ERANGE, "zero");
		ASSERT_EQ(parse_duration_ns("s", &v), -EINVAL, "no number");
		ASSERT_EQ(parse_duration_ns("1x", &v), -EINVAL, "bad unit");
		ASSERT_EQ(parse_duration_ns("0x5s", &v), -EINVAL, "no hex");
		ASSERT_EQ(parse_duration_ns("-5", &v), -EINVAL, "negative");
		ASSERT_EQ(parse_duration_ns("99999999999999999h", &v), -ERANGE, "overflow");
	}
	TEST(str_escape) {
		char out[ISC_ESCAPED_LEN(16)], small[9];

		ASSERT_STREQ(str_escape("qemu-system-x86", 16, out, sizeof(out)), "qemu-system-x86",
			     "printable ASCII as it is");
		ASSERT_STREQ(str_escape("x\ndeny *", 16, out, sizeof(out)), "x\\x0adeny *",
			     "a newline cannot start a line");
		ASSERT_STREQ(str_escape("a\\x0ab", 16, out, sizeof(out)), "a\\\\x0ab",
			     "a backslash doubled: no forged escape");
		ASSERT_STREQ(str_escape("\x01\x7f\xff\xc3\xa9\"", 16, out, sizeof(out)),
			     "\\x01\\x7f\\xff\\xc3\\xa9\"", "controls, DEL, high bytes");
		ASSERT_STREQ(str_escape("abcdefghijklmnopqrst", 4, out, sizeof(out)), "abcd",
			     "at most max bytes read (no NUL needed)");
		ASSERT_STREQ(str_escape("\n\n\n", 16, small, sizeof(small)), "\\x0a\\x0a",
			     "whole escapes only when out is short");
		ASSERT_STREQ(str_escape("", 16, out, sizeof(out)), "", "empty");
		ASSERT_STREQ(str_escape("a b\"c", 16, out, sizeof(out)), "a b\"c",
			     "space and quote as they are");
		ASSERT_STREQ(str_escape_quoted("0000:00:03.0\" x=\"1", 32, out, sizeof(out)),
			     "0000:00:03.0\\x22 x=\\x221", "between quotes: no quote");
	}
	TEST(fmt_numbers) {
		uint64_t x = 88172645463325252ULL, p = 1, vals[64 * 3 + 1];
		char got[24], want[24];
		size_t i, nv = 0, bad = 0;

		/* every digit count and both sides of each boundary */
		for (i = 0; i < 20; i++, p *= 10) {
			vals[nv++] = p - 1;
			vals[nv++] = p;
			vals[nv++] = p + 1;
		}
		vals[nv++] = UINT64_MAX;
		for (i = 0; i < nv + 200000; i++) {
			uint64_t u = i < nv ? vals[i] : 0;

			if (i >= nv) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				u = x >> (x & 63);
			}

			got[fmt_u64(got, u)] = '\0';
			snprintf(want, sizeof(want), "%" PRIu64, u);
			bad += strcmp(got, want) != 0;
			got[fmt_i64(got, (int64_t)u)] = '\0';
			snprintf(want, sizeof(want), "%" PRId64, (int64_t)u);
			bad += strcmp(got, want) != 0;
			got[fmt_hex(got, u)] = '\0';
			snprintf(want, sizeof(want), "%" PRIx64, u);
			bad += strcmp(got, want) != 0;
		}
		ASSERT_EQ(bad, 0, "fmt_u64/fmt_i64/fmt_hex differ from printf");
		got[fmt_i64(got, INT64_MIN)] = '\0';
		ASSERT_STREQ(got, "-9223372036854775808", "INT64_MIN");
		got[fmt_u64(got, 0)] = '\0';
		ASSERT_STREQ(got, "0", "zero");
	}
	TEST(proc_stat_parse) {
		/* a comm with ") (" and spaces: only the last ')' ends it */
		static const char line[] =
			"4242 (a) (b c) R 1 4242 4242 0 -1 4194560 1234 0 0 0 "
			"150 25 0 0 20 0 3 0 987654321 123456789012 3000 18446744073709551615 1 1 0\n";
		uint64_t ticks = 0, pages = 0;

		ASSERT_EQ(proc_stat_parse(line, &ticks, &pages), 0, "parsed");
		ASSERT_EQ(ticks, 175, "utime 150 + stime 25");
		ASSERT_EQ(pages, 3000, "rss field 24");
		ASSERT_EQ(proc_stat_parse("4242 (a) (b c R 1", &ticks, &pages), -EINVAL,
			  "cut short");
		ASSERT_EQ(proc_stat_parse("4242 no parenthesis", &ticks, &pages), -EINVAL,
			  "no comm");
	}
	TEST(proc_self_usage) {
		struct isc_proc_usage u = {};

		ASSERT_EQ(proc_self_usage(&u), 0, "read");
		ASSERT_TRUE(u.rss_bytes > 0, "a running process has resident memory");
	}
	return harness_done("test_util");
}

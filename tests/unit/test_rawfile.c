// SPDX-License-Identifier: GPL-2.0
/* trace -w / -r files: the header carries the recording host's ABI back
 * exactly, records come back one by one, and damage is refused. */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "rawfile.h"
#include "events.h"

static FILE *roundtrip(const struct isc_abi *a, const void *tail, size_t tail_len)
{
	FILE *f = tmpfile();

	if (!f || rawfile__write_header(f, a, "6.12.95+deb12-amd64", "full", 12345))
		return NULL;
	if (tail_len)
		fwrite(tail, 1, tail_len, f);
	rewind(f);
	return f;
}

int main(void)
{
	struct isc_abi a, b;
	struct isc_raw_header h;
	static char buf[ISC_RAW_MAX_RECORD];
	struct isc_ioctl_event ev = {};
	uint64_t off;
	size_t i;
	FILE *f;

	memset(&a, 0, sizeof(a));
	abi__learn(&a, "6.12.95", false);
	a.backend = 2;
	a.ext_known = true;
	a.ext[3] = 1;
	TEST(header_roundtrip) {
		f = roundtrip(&a, NULL, 0);
		CHECK(f != NULL, "tmpfile");
		ASSERT_EQ(rawfile__read_header(f, "t", &h, &b), 0, "read back");
		ASSERT_EQ(b.version, a.version, "kernel version");
		ASSERT_EQ(b.backend, 2, "backend");
		ASSERT_EQ(b.ext[3], 1, "extension answer");
		ASSERT_EQ(b.nr, a.nr, "catalog size");
		for (i = 0; i < a.nr; i++)
			if (b.size[i] != a.size[i] || b.size_src[i] != a.size_src[i])
				break;
		ASSERT_EQ(i, a.nr, "every struct size and its source");
		ASSERT_EQ(h.mono_to_real_ns, 12345, "clock offset");
		CHECK(!strcmp(h.release, "6.12.95+deb12-amd64") && !strcmp(h.mode, "full"),
		      "release %s mode %s", h.release, h.mode);
		off = 0;
		ASSERT_EQ(rawfile__next(f, "t", buf, &off), 0, "no records: end");
		abi__free(&b);
		fclose(f);
	}
	TEST(records) {
		char two[2 * sizeof(ev)];

		ev.hdr.type = ISC_EV_IOCTL;
		ev.hdr.size = sizeof(ev);
		ev.cmd = 0x3b71;
		memcpy(two, &ev, sizeof(ev));
		ev.cmd = 0x3b72;
		memcpy(two + sizeof(ev), &ev, sizeof(ev));
		f = roundtrip(&a, two, sizeof(two));
		ASSERT_EQ(rawfile__read_header(f, "t", &h, &b), 0, "header");
		off = 0;
		ASSERT_EQ(rawfile__next(f, "t", buf, &off), (long)sizeof(ev), "first");
		ASSERT_EQ(((struct isc_ioctl_event *)buf)->cmd, 0x3b71, "first cmd");
		ASSERT_EQ(rawfile__next(f, "t", buf, &off), (long)sizeof(ev), "second");
		ASSERT_EQ(((struct isc_ioctl_event *)buf)->cmd, 0x3b72, "second cmd");
		ASSERT_EQ(off, 2 * sizeof(ev), "offset");
		ASSERT_EQ(rawfile__next(f, "t", buf, &off), 0, "end");
		abi__free(&b);
		fclose(f);
		/* cut inside the second record, and a size of 2 bytes */
		f = roundtrip(&a, two, sizeof(two) - 7);
		rawfile__read_header(f, "t", &h, &b);
		off = 0;
		ASSERT_EQ(rawfile__next(f, "t", buf, &off), (long)sizeof(ev), "before the cut");
		ASSERT_EQ(rawfile__next(f, "t", buf, &off), -1, "truncated");
		abi__free(&b);
		fclose(f);
		((struct isc_ioctl_event *)two)->hdr.size = 2;
		f = roundtrip(&a, two, sizeof(two));
		rawfile__read_header(f, "t", &h, &b);
		off = 0;
		ASSERT_EQ(rawfile__next(f, "t", buf, &off), -1, "malformed size");
		abi__free(&b);
		fclose(f);
	}
	TEST(abi_record) {
		/* modules changed during the capture: the records after an ABI
		 * record are judged by it */
		struct isc_abi later;
		FILE *t = tmpfile();
		long n;

		memset(&later, 0, sizeof(later));
		abi__learn(&later, "5.10.0", false);
		later.backend = 1;
		CHECK(t != NULL, "tmpfile");
		n = rawfile__write_abi(t, &later);
		CHECK(n > 0 && n % 8 == 0, "ABI record of %ld bytes", n);
		ev.hdr.type = ISC_EV_IOCTL;
		ev.hdr.size = sizeof(ev);
		fwrite(&ev, sizeof(ev), 1, t);
		rewind(t);
		f = tmpfile();
		rawfile__write_header(f, &a, "6.12.95", "full", 0);
		while ((n = fread(buf, 1, sizeof(buf), t)) > 0)
			fwrite(buf, 1, n, f);
		fclose(t);
		rewind(f);
		ASSERT_EQ(rawfile__read_header(f, "t", &h, &b), 0, "header");
		ASSERT_EQ(b.version, a.version, "the starting kernel");
		off = 0;
		n = rawfile__next(f, "t", buf, &off);
		ASSERT_EQ(rawfile__apply_abi(buf, n, "t", &b), 1, "an ABI record");
		ASSERT_EQ(b.version, later.version, "the kernel after the change");
		ASSERT_EQ(b.backend, 1, "its backend");
		for (i = 0; i < b.nr && b.size[i] == later.size[i]; i++)
			;
		ASSERT_EQ(i, b.nr, "its struct sizes");
		n = rawfile__next(f, "t", buf, &off);
		ASSERT_EQ(rawfile__apply_abi(buf, n, "t", &b), 0, "a kernel record is not");
		/* a damaged one is refused and changes nothing */
		abi__free(&b);
		rewind(f);
		rawfile__read_header(f, "t", &h, &b);
		n = rawfile__next(f, "t", buf, &off);
		((struct isc_raw_abi *)buf)->abi_backend = 9;
		ASSERT_EQ(rawfile__apply_abi(buf, n, "t", &b), -1, "bad backend refused");
		ASSERT_EQ(b.version, a.version, "nothing taken from it");
		((struct isc_raw_abi *)buf)->abi_backend = 1;
		ASSERT_EQ(rawfile__apply_abi(buf, 40, "t", &b), -1, "cut short refused");
		abi__free(&b);
		abi__free(&later);
		fclose(f);
	}
	TEST(refused_headers) {
		static char bytes[sizeof(h) + 1024];
		size_t len;

		f = roundtrip(&a, NULL, 0);
		len = fread(bytes, 1, sizeof(bytes), f);
		CHECK(len == sizeof(h) + a.nr * 5, "header and ABI arrays: %zu bytes", len);
		fclose(f);
		/* each damage alone: magic, format version, catalog, backend, a
		 * size source */
		static const size_t at[] = { 0, 8, 24, offsetof(struct isc_raw_header, abi_backend), 0 };
		static const char *const why[] = { "not an iommuscope", "file format", "another ioctl",
						   "damaged header", "damaged header" };
		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			static char bad[sizeof(bytes)];
			size_t k = i == 4 ? len - 1 : at[i];

			memcpy(bad, bytes, len);
			bad[k] ^= 0x5a;
			f = tmpfile();
			fwrite(bad, 1, len, f);
			rewind(f);
			CHECK(rawfile__read_header(f, "t", &h, &b) == -1, "damage at %zu (%s) refused", k,
			      why[i]);
			fclose(f);
		}
		/* the header alone, without the ABI arrays */
		f = tmpfile();
		fwrite(bytes, 1, sizeof(h), f);
		rewind(f);
		ASSERT_EQ(rawfile__read_header(f, "t", &h, &b), -1, "ABI arrays missing");
		fclose(f);
	}
	abi__free(&a);
	return harness_done("test_rawfile");
}

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
	TEST(refused_headers) {
		char bytes[sizeof(h)];

		f = roundtrip(&a, NULL, 0);
		CHECK(fread(bytes, 1, sizeof(bytes), f) == sizeof(bytes), "raw header");
		fclose(f);
		/* each damage alone: magic, format version, catalog, backend */
		static const size_t at[] = { 0, 8, 24, offsetof(struct isc_raw_header, abi_backend) };
		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			char bad[sizeof(h)];

			memcpy(bad, bytes, sizeof(bad));
			bad[at[i]] ^= 0x5a;
			f = tmpfile();
			fwrite(bad, 1, sizeof(bad), f);
			rewind(f);
			CHECK(rawfile__read_header(f, "t", &h, &b) == -1, "damage at %zu refused", at[i]);
			fclose(f);
		}
		/* the header alone, without the ABI arrays */
		f = tmpfile();
		fwrite(bytes, 1, sizeof(bytes), f);
		rewind(f);
		ASSERT_EQ(rawfile__read_header(f, "t", &h, &b), -1, "ABI arrays missing");
		fclose(f);
	}
	abi__free(&a);
	return harness_done("test_rawfile");
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include "util.h"

int isc_verbose;
int isc_silent;

static void vmsg(const char *level, const char *fmt, va_list ap)
{
	if (isc_silent)
		return;
	fprintf(stderr, "iommuscope: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void isc_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void isc_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void isc_info(const char *fmt, ...)
{
	va_list ap;

	if (!isc_verbose)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t ns;
	} units[] = {
		{ "ms", 1000000ULL }, { "s", 1000000000ULL }, { "m", 60000000000ULL },
		{ "h", 3600000000000ULL }, { "", 1000000000ULL },
	};
	char num[32];
	size_t len, i;
	uint64_t v;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		size_t sl = strlen(units[i].suffix);

		if (len <= sl || strcmp(s + len - sl, units[i].suffix))
			continue;
		if (len - sl >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, len - sl);
		num[len - sl] = '\0';
		/* digits only: no hex, no sign */
		if (strspn(num, "0123456789") != len - sl)
			return -EINVAL;
		if (parse_u64(num, 1, UINT64_MAX / units[i].ns, &v))
			return -ERANGE;
		*out = v * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

ssize_t read_text_file(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

bool have_bpf_privileges(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	eff = (uint64_t)data[1].effective << 32 | data[0].effective;
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON));
}

static bool is_mounted(const char *fstype, const char *dir)
{
	static const struct {
		const char *type;
		long magic;
	} magics[] = {
		{ "tracefs", 0x74726163 }, { "debugfs", 0x64626720 },
		{ "securityfs", 0x73636673 }, { "bpf", 0xcafe4a11 },
	};
	struct statfs st;
	size_t i;

	if (statfs(dir, &st))
		return false;
	for (i = 0; i < ARRAY_SIZE(magics); i++)
		if (!strcmp(magics[i].type, fstype))
			return st.f_type == magics[i].magic;
	return false;
}

int ensure_mounted(const char *fstype, const char *dir, const char *data)
{
	if (is_mounted(fstype, dir))
		return 0;
	if (mount(fstype, dir, fstype, 0, data))
		return -errno;
	isc_info("mounted %s at %s%s%s", fstype, dir, data ? " with " : "", data ? data : "");
	return 1;
}

static const char *escape(const char *s, size_t max, char *out, size_t len, bool quoted)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (!len)
		return out;
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 5 > len)
			break;
		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (c >= 0x20 && c < 0x7f && (!quoted || c != '"')) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

const char *str_escape(const char *s, size_t max, char *out, size_t len)
{
	return escape(s, max, out, len, false);
}

const char *str_escape_quoted(const char *s, size_t max, char *out, size_t len)
{
	return escape(s, max, out, len, true);
}

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

static inline void put2(char *o, uint32_t d)
{
	memcpy(o, digit_pairs + (size_t)d * 2, 2);
}

/* Exactly 8 digits of x < 10^8, leading zeros included. */
static inline void put8(char *o, uint32_t x)
{
	uint32_t hi = x / 10000, lo = x % 10000;

	put2(o, hi / 100);
	put2(o + 2, hi % 100);
	put2(o + 4, lo / 100);
	put2(o + 6, lo % 100);
}

/* x < 10^8 in as many digits as it has: 32-bit divisions only. */
static size_t fmt_u27(char *out, uint32_t x)
{
	size_t len = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10000 ? 4 :
		     x < 100000 ? 5 : x < 1000000 ? 6 : x < 10000000 ? 7 : 8;
	size_t i = len;

	while (x >= 100) {
		i -= 2;
		put2(out + i, x % 100);
		x /= 100;
	}
	if (x >= 10)
		put2(out, x);
	else
		out[0] = (char)('0' + x);
	return len;
}

/* In chunks of 8 digits (a timestamp or an address: 14-20 digits): two or
 * three 64-bit divisions, the rest in 32 bits. */
size_t fmt_u64(char *out, uint64_t v)
{
	size_t n;

	if (v < 100000000)
		return fmt_u27(out, (uint32_t)v);
	if (v < 10000000000000000ULL) {
		n = fmt_u27(out, (uint32_t)(v / 100000000));
		put8(out + n, (uint32_t)(v % 100000000));
		return n + 8;
	}
	n = fmt_u27(out, (uint32_t)(v / 10000000000000000ULL));
	v %= 10000000000000000ULL;
	put8(out + n, (uint32_t)(v / 100000000));
	put8(out + n + 8, (uint32_t)(v % 100000000));
	return n + 16;
}

size_t fmt_i64(char *out, int64_t v)
{
	if (v >= 0)
		return fmt_u64(out, (uint64_t)v);
	out[0] = '-';
	return 1 + fmt_u64(out + 1, -(uint64_t)v);
}

size_t fmt_hex(char *out, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = hex[v & 15];
		v >>= 4;
	} while (v);
	memcpy(out, tmp + n, sizeof(tmp) - n);
	return sizeof(tmp) - n;
}

int proc_stat_parse(const char *line, uint64_t *ticks, uint64_t *rss_pages)
{
	const char *p = strrchr(line, ')');
	uint64_t v[25] = {};
	int field;
	char *end;

	if (!p)
		return -EINVAL;
	/* after the comm: state (field 3), then numbers up to rss (24) */
	p++;
	for (field = 3; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EINVAL;
		if (field == 3) {
			p++;
			continue;
		}
		v[field] = strtoull(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
	}
	*ticks = v[14] + v[15];
	*rss_pages = v[24];
	return 0;
}

int proc_self_usage(struct isc_proc_usage *u)
{
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	uint64_t ticks, pages;
	char buf[1024];
	ssize_t n = read_text_file("/proc/self/stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (hz <= 0 || page <= 0 || proc_stat_parse(buf, &ticks, &pages))
		return -EINVAL;
	u->cpu_ns = ticks * (1000000000ull / hz);
	u->rss_bytes = pages * page;
	return 0;
}

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* "10", "10M", "512K", "1G": bytes, at least 1 KiB. */
int parse_size_bytes(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t mult = 1 << 20, v;

	if (!n || n >= sizeof(num))
		return -1;
	switch (s[n - 1]) {
	case 'K': case 'k': mult = 1 << 10; n--; break;
	case 'M': case 'm': mult = 1 << 20; n--; break;
	case 'G': case 'g': mult = 1 << 30; n--; break;
	}
	memcpy(num, s, n);
	num[n] = '\0';
	if (strspn(num, "0123456789") != n || parse_u64(num, 1, (1ULL << 40) / mult, &v))
		return -1;
	*out = v * mult;
	return *out >= 1024 ? 0 : -1;
}

int64_t mono_to_real_ns(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((int64_t)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ISC_UTIL_H
#define ISC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern int isc_verbose;
/* Set by the fuzz targets: no messages at all. */
extern int isc_silent;

/* The one error printer: "iommuscope: error: <msg>" on stderr. */
void isc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void isc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed with -v only. */
void isc_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict number parsing: the whole string, in range. 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "10", "10s", "500ms", "2m" into nanoseconds. */
int parse_duration_ns(const char *s, uint64_t *out);

/* "10", "10M", "512K", "1G" into bytes (MiB without a suffix, >= 1 KiB). */
int parse_size_bytes(const char *s, uint64_t *out);

/* Read a small file into buf (NUL-terminated). Bytes read or -errno. */
ssize_t read_text_file(const char *path, char *buf, size_t len);

/* Root or CAP_BPF+CAP_PERFMON (+CAP_SYS_ADMIN for LSM/kallsyms). */
bool have_bpf_privileges(void);
/* Mount a pseudo filesystem if it is not mounted yet, with options data
 * (may be NULL). 0, 1 if it was mounted now, or -errno. */
int ensure_mounted(const char *fstype, const char *dir, const char *data);

/* Text a process chose (its command name) made safe to print in one line
 * of text or JSON: printable ASCII stays, a backslash is doubled, any
 * other byte is written \xNN. At most max bytes of s are read (up to a
 * NUL); out holds ISC_ESCAPED_LEN(max). Returns out. */
#define ISC_ESCAPED_LEN(n)	((n) * 4 + 1)
const char *str_escape(const char *s, size_t max, char *out, size_t len);
/* The same, for a value between double quotes: a quote is escaped too
 * (\x22). */
const char *str_escape_quoted(const char *s, size_t max, char *out, size_t len);

/* v in decimal (at most 20 digits) or lowercase hex without "0x" (at most
 * 16), not NUL-terminated: what "%llu" and "%llx" print. Returns the
 * length. */
size_t fmt_u64(char *out, uint64_t v);
size_t fmt_hex(char *out, uint64_t v);
/* "%lld": at most 20 bytes */
size_t fmt_i64(char *out, int64_t v);

/* This process's CPU time (user + system) and resident memory. */
struct isc_proc_usage {
	uint64_t cpu_ns;
	uint64_t rss_bytes;
};
/* From a line of /proc/PID/stat: fields 14 and 15 (utime, stime, in clock
 * ticks) and 24 (rss, in pages), counted after the last ')' since the
 * command name may hold spaces and parentheses. 0 or -EINVAL. */
int proc_stat_parse(const char *line, uint64_t *ticks, uint64_t *rss_pages);
/* One read of /proc/self/stat. 0 or -errno. */
int proc_self_usage(struct isc_proc_usage *u);

uint64_t monotonic_ns(void);
/* Add to a CLOCK_MONOTONIC time (the kernel's timestamps) for wall time. */
int64_t mono_to_real_ns(void);

#endif /* ISC_UTIL_H */

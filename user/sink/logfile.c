// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "logfile.h"
#include "util.h"

/* The checks every log passes; 0 or -errno with why in *why. special:
 * a FIFO or a device is fine too (trace -w into a pipe), as it is. */
static int check_fd(int fd, bool special, const char **why)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (special && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return 1;
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -EINVAL;
	}
	if (st.st_uid != geteuid()) {
		*why = "owned by another user";
		return -EPERM;
	}
	if (st.st_nlink > 1) {
		*why = "it has other hard links";
		return -EMLINK;
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600))
		return -errno;
	return 0;
}

static int open_checked(const char *path, bool trunc, bool special, const char **why)
{
	int fd, err;

	*why = NULL;
	/* O_NONBLOCK: a FIFO planted at the path must not hang the open */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK |
			(trunc ? 0 : O_APPEND), 0600);
	if (fd < 0 && errno == ENXIO && special)	/* a FIFO nobody reads yet */
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			*why = "a symbolic link (not followed)";
		else if (errno == ENXIO)
			*why = "a FIFO";
		return -errno;
	}
	err = check_fd(fd, special, why);
	if (!err && trunc && ftruncate(fd, 0))
		err = -errno;
	if (err >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

int logfile__open_fd(const char *path, bool trunc)
{
	const char *why;
	int fd = open_checked(path, trunc, true, &why);

	if (fd < 0)
		isc_err("cannot open %s: %s", path, why ? why : strerror(-fd));
	return fd < 0 ? -1 : fd;
}

static int reopen(struct isc_logfile *l, const char **why)
{
	int fd = open_checked(l->path, false, false, why);
	struct stat st;

	if (fd < 0)
		return fd;
	l->f = fdopen(fd, "a");
	if (!l->f) {
		close(fd);
		return -ENOMEM;
	}
	l->size = fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
	return 0;
}

int logfile__open(struct isc_logfile *l)
{
	const char *why;
	int err;

	l->lost = l->lost_now = 0;
	l->failing = false;
	if (!l->path) {
		l->f = stdout;
		return 0;
	}
	err = reopen(l, &why);
	if (err)
		isc_err("cannot open %s %s: %s", l->what, l->path, why ? why : strerror(-err));
	return err ? -1 : 0;
}

/* FILE -> FILE.1 -> ... -> FILE.N (dropped); then a new FILE. If FILE
 * itself cannot be moved away (a directory planted at FILE.1), it stays
 * open and grows (nothing dropped), said, tried again in a minute. */
static void rotate(struct isc_logfile *l)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	uint64_t now = monotonic_ns();
	int i;

	if (now < l->rotate_retry_ns)
		return;
	for (i = l->rotate; i >= 2; i--) {
		snprintf(to, sizeof(to), "%s.%d", l->path, i);
		snprintf(from, sizeof(from), "%s.%d", l->path, i - 1);
		if (i == l->rotate)
			unlink(to);
		rename(from, to);
	}
	snprintf(to, sizeof(to), "%s.1", l->path);
	/* ENOENT: moved or removed by someone else: open a new one */
	if ((l->rotate ? rename(l->path, to) : unlink(l->path)) && errno != ENOENT) {
		isc_warn("cannot rotate %s %s: %s; it grows on, tried again in a minute",
			 l->what, l->path, strerror(errno));
		l->rotate_retry_ns = now + 60000000000ull;
		return;
	}
	fclose(l->f);
	l->f = NULL;
	l->size = 0;
}

/* Closed or failing: try again, at most once a second, and say when it
 * fails first and when it works again. */
static void retry(struct isc_logfile *l)
{
	uint64_t now = monotonic_ns();
	const char *why;
	int err;

	if (l->failing && now < l->retry_ns)
		return;
	err = reopen(l, &why);
	if (!err) {
		if (l->failing)
			isc_warn("%s %s reopened; %llu records could not be written to it meanwhile",
				 l->what, l->path, (unsigned long long)l->lost_now);
		l->failing = false;
		l->lost_now = 0;
		return;
	}
	if (!l->failing)
		isc_warn("cannot reopen %s %s: %s; retrying every second, records are counted as lost",
			 l->what, l->path, why ? why : strerror(-err));
	l->failing = true;
	l->retry_ns = now + 1000000000ull;
}

FILE *logfile__get(struct isc_logfile *l)
{
	if (!l->path)
		return l->f;
	if (l->f && l->max_bytes && l->size >= l->max_bytes)
		rotate(l);
	if (!l->f)
		retry(l);
	return l->f;
}

int logfile__done(struct isc_logfile *l, bool wrote)
{
	int err = 0;
	off_t end;

	if (!l->f) {
		l->lost++;
		l->lost_now++;
		return -EIO;
	}
	if (wrote && !fflush(l->f) && !ferror(l->f)) {
		if (l->path && (end = ftello(l->f)) >= 0)
			l->size = (uint64_t)end;
		return 0;
	}
	err = errno ? -errno : -EIO;
	clearerr(l->f);
	l->lost++;
	l->lost_now++;
	if (!l->path)
		return err;
	if (!l->failing)
		isc_warn("cannot write %s %s: %s; reopening it", l->what, l->path, strerror(-err));
	fclose(l->f);
	l->f = NULL;
	l->failing = true;
	l->retry_ns = monotonic_ns() + 1000000000ull;
	return err;
}

void logfile__close(struct isc_logfile *l)
{
	if (l->f && l->f != stdout)
		fclose(l->f);
	l->f = NULL;
}

int logfile__parse_max_size(const char *arg, uint64_t *out)
{
	if (!parse_size_bytes(arg, out))
		return 0;
	isc_err("invalid --max-size '%s': e.g. 10M, 512K (MiB without a suffix)", arg);
	return -1;
}

int logfile__parse_rotate(const char *arg, int *out)
{
	uint64_t v;

	if (parse_u64(arg, 0, 100, &v)) {
		isc_err("invalid --rotate '%s': 0 to 100 files", arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's view of a file: the superblock's dev_t from the mountinfo
 * line of the file's mount (statx's mount id), the inode number from the
 * fd's fdinfo (5.14+; stat's before). stat()'s st_dev is the file system's
 * choice: overlayfs reports the layer's device, btrfs a subvolume's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "events.h"
#include "exeid.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID		0x00001000U
#endif
#define CGROUP2_MAGIC		0x63677270
#define PROC_CGROUP_INIT_INO	0xEFFFFFFBU	/* include/linux/proc_ns.h */

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/* A whole unsigned number ending at stop: 0, or -1. */
static int num_to(const char *s, char stop, unsigned long long *v, const char **end)
{
	char *e;

	errno = 0;
	*v = strtoull(s, &e, 10);
	if (errno || e == s || *e != stop)
		return -1;
	*end = e + 1;
	return 0;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT POINT ...". 0, or -1. */
static int mountinfo_line(char *line, unsigned long long *id, uint32_t *dev, char **root,
			  char **point)
{
	unsigned long long parent, maj, min;
	const char *p = line;
	char *save = NULL;

	if (num_to(p, ' ', id, &p) || num_to(p, ' ', &parent, &p) || num_to(p, ':', &maj, &p) ||
	    num_to(p, ' ', &min, &p))
		return -1;
	*dev = ISC_MKDEV((uint32_t)maj, (uint32_t)min);
	line += p - line;
	*root = strtok_r(line, " ", &save);
	*point = strtok_r(NULL, " ", &save);
	return *root && *point ? 0 : -1;
}

/* The mount mnt_id: its dev_t, the root of the file system it shows and
 * where it is mounted. 0, or -1 when /proc/self/mountinfo lacks it. */
static int mount_of(uint64_t mnt_id, uint32_t *dev, char *root, char *point, size_t len)
{
	char line[3 * PATH_MAX], *r, *p;
	unsigned long long id;
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (mountinfo_line(line, &id, dev, &r, &p) || id != mnt_id)
			continue;
		unescape(r);
		unescape(p);
		snprintf(root, len, "%s", r);
		snprintf(point, len, "%s", p);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static int mount_id(int fd, uint64_t *id)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) || !(stx.stx_mask & STATX_MNT_ID))
		return -1;
	*id = stx.stx_mnt_id;
	return 0;
}

/* The inode number the kernel holds for fd (fdinfo "ino:", 5.14+). */
static uint64_t fd_ino(int fd, uint64_t fallback)
{
	char path[64], line[128];
	unsigned long long ino;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return fallback;
	while (fgets(line, sizeof(line), f)) {
		const char *end;

		if (!strncmp(line, "ino:\t", 5) && !num_to(line + 5, '\n', &ino, &end)) {
			fallback = ino;
			break;
		}
	}
	fclose(f);
	return fallback;
}

int exeid__of_path(const char *path, struct isc_exe_id *id, int *keep, char *err, size_t len)
{
	char root[PATH_MAX], point[PATH_MAX];
	struct stat st;
	uint64_t mnt;
	int fd, ret = -1;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s: not a regular file", path);
		goto out;
	}
	if (mount_id(fd, &mnt) || mount_of(mnt, &id->dev, root, point, sizeof(root))) {
		snprintf(err, len, "%s: cannot find its mount in /proc/self/mountinfo", path);
		goto out;
	}
	id->ino = fd_ino(fd, st.st_ino);
	id->__pad = 0;
	ret = 0;
	if (keep) {
		*keep = fd;
		return 0;
	}
out:
	close(fd);
	return ret;
}

/* Root's, and writable by no one else (unless sticky, for a directory). */
static int root_only(const char *p, bool dir, char *err, size_t len)
{
	struct stat st;

	if (stat(p, &st)) {
		snprintf(err, len, "%s: %s", p, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(dir && (st.st_mode & S_ISVTX)))) {
		snprintf(err, len, "%s is not root's alone (owner %u, mode %04o)", p,
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int exeid__trusted(const char *path, char *err, size_t len)
{
	char real[PATH_MAX], *slash;

	if (!realpath(path, real)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (root_only(real, false, err, len))
		return -1;
	while ((slash = strrchr(real, '/'))) {
		slash[slash == real] = '\0';
		if (root_only(real, true, err, len))
			return -1;
		if (slash == real)
			break;
	}
	return 0;
}

uint32_t exeid__depth(const char *path)
{
	uint32_t n = 0;
	bool in = false;

	for (; *path; path++) {
		if (*path != '/' && !in)
			n++;
		in = *path != '/';
	}
	return n;
}

int exeid__cgroup(const char *path, uint64_t *id, uint32_t *level, char *err, size_t len)
{
	char real[PATH_MAX], root[PATH_MAX], point[PATH_MAX];
	struct statfs sfs;
	struct stat st, ns;
	uint64_t mnt;
	uint32_t dev;
	size_t pl;
	int fd, ret = -1;

	if (!realpath(path, real)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, len, "%s: %s", path, errno == ENOTDIR ? "not a cgroup directory" :
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || fstatfs(fd, &sfs)) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (sfs.f_type != CGROUP2_MAGIC) {
		snprintf(err, len, "%s: not a cgroup2 directory", path);
		goto out;
	}
	/* mountinfo's roots, and so the levels, are relative to this
	 * process's cgroup namespace: only the initial one sees the kernel's */
	if (stat("/proc/self/ns/cgroup", &ns) || ns.st_ino != PROC_CGROUP_INIT_INO) {
		snprintf(err, len, "%s: cgroup rules need iommuscope in the initial cgroup namespace", path);
		goto out;
	}
	if (mount_id(fd, &mnt) || mount_of(mnt, &dev, root, point, sizeof(root))) {
		snprintf(err, len, "%s: cannot find its mount in /proc/self/mountinfo", path);
		goto out;
	}
	pl = strlen(point);
	if (strncmp(real, point, pl) || (real[pl] && real[pl] != '/' && strcmp(point, "/"))) {
		snprintf(err, len, "%s: not below its mount point %s", path, point);
		goto out;
	}
	/* a namespaced mount shows a subtree: its root's own depth counts */
	*level = exeid__depth(root) + exeid__depth(real + pl);
	/* on cgroup2 the directory's inode number is the cgroup id */
	*id = st.st_ino;
	ret = 0;
out:
	close(fd);
	return ret;
}

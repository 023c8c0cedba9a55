/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files as the kernel sees them, for the policy's scopes: an executable's
 * inode number and superblock dev_t (what mm->exe_file->f_inode holds, not
 * what stat() reports: overlayfs and btrfs differ), and a cgroup's id and
 * depth below the cgroup2 root.
 */
#ifndef ISC_EXEID_H
#define ISC_EXEID_H

#include <stddef.h>
#include <stdint.h>
#include "policy.h"

/* The executable at path (symlinks followed). 0, or -1 with a message.
 * With fd: an O_PATH fd of the file is left there, which keeps the inode
 * (and so its number) from being reused while the identity is in use. */
int exeid__of_path(const char *path, struct isc_exe_id *id, int *fd, char *err, size_t len);
/* The file at path and every directory above it are root's and no one
 * else can write them (a sticky directory aside): a rename over path can
 * only be root's doing. 0, or -1 with the reason. */
int exeid__trusted(const char *path, char *err, size_t len);
/* A cgroup2 directory: its id and its level (0: the root of the hierarchy,
 * whatever the mount shows of it). 0, or -1 with a message. */
int exeid__cgroup(const char *path, uint64_t *id, uint32_t *level, char *err, size_t len);
/* The level of a path relative to a mount's root, counted as the kernel
 * counts cgroup levels ("/" is 0, "/a/b" is 2). */
uint32_t exeid__depth(const char *path);

#endif /* ISC_EXEID_H */

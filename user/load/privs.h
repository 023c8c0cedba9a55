/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ISC_PRIVS_H
#define ISC_PRIVS_H

#include <linux/capability.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/*
 * Once a command's BPF programs are loaded and attached, keep only the
 * capabilities in keep[0..n) (those of them the process has): the
 * permitted and effective sets are cut down to them, the inheritable and
 * ambient sets cleared, the bounding set cut down too when CAP_SETPCAP
 * allows it, and no_new_privs set so no execve() gains any back. A failure
 * is printed as a warning (the command goes on with what it has).
 * 0 or -errno.
 */
int privs__drop(const int *keep, int n);

/* privs__drop(PRIVS_KEEP(CAP_BPF, CAP_SYS_PTRACE)) */
#define PRIVS_KEEP(...) (const int[]){ __VA_ARGS__ }, \
	(int)(sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

#endif

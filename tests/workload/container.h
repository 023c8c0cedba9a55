/* SPDX-License-Identifier: GPL-2.0 */
/* The test clients' type1 container: /dev/vfio/vfio with the group
 * /dev/vfio/GROUP set in it and TYPE1v2 chosen. Exits 1 on failure. */
#ifndef ISC_WORKLOAD_CONTAINER_H
#define ISC_WORKLOAD_CONTAINER_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

static inline void container_die(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

/* The container fd; the group's in *gfd when gfd is not NULL. */
static inline int container_open_group(const char *prog, const char *group, int *gfd)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int c, g;

	c = open("/dev/vfio/vfio", O_RDWR);
	if (c < 0)
		container_die(prog, "/dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	g = open(path, O_RDWR);
	if (g < 0)
		container_die(prog, path);
	if (ioctl(g, VFIO_GROUP_GET_STATUS, &st) || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		container_die(prog, "group not viable");
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c))
		container_die(prog, "VFIO_GROUP_SET_CONTAINER");
	if (ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		container_die(prog, "VFIO_SET_IOMMU");
	if (gfd)
		*gfd = g;
	return c;
}

static inline int container_open(const char *prog, const char *group)
{
	return container_open_group(prog, group, NULL);
}

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Host test client: issues VFIO- and iommufd-numbered ioctls on ordinary
 * character devices, which a trace started with
 *   --classify /dev/null=container --classify /dev/zero=group
 *   --classify /dev/full=device --classify /dev/urandom=iommufd
 * counts as VFIO fds. The kernel rejects every call (ENOTTY or EINVAL: these
 * drivers have no such ioctls), but the syscall path and the user structs
 * are exactly what a real VFIO client produces, so the trace must record
 * them with the right names, sizes, flags, fields and results.
 *
 * Writes one JSON object per call to stdout (the manifest the tests compare
 * the trace with). With --wait, prints its pid and waits for a line on stdin
 * before issuing anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "catalog.h"

/* iommufd numbers from the catalog (the system headers may predate it). */
#define IOMMU_DESTROY_CMD	0x3b80
#define IOMMU_IOAS_MAP_CMD	0x3b85
#define IOMMU_UNKNOWN_CMD	0x3bfe

static int seq;

static void manifest(int fd, const char *kind, const char *name, unsigned long cmd, long argsz,
		     long flags, int ret, const char *extra)
{
	printf("{\"seq\":%d,\"fd\":%d,\"fd_kind\":\"%s\",\"name\":%s%s%s,\"cmd\":%lu,", seq++, fd,
	       kind, name ? "\"" : "", name ? name : "null", name ? "\"" : "", cmd);
	if (argsz < 0)
		printf("\"argsz\":null,");
	else
		printf("\"argsz\":%ld,", argsz);
	if (flags < 0)
		printf("\"flags\":null,");
	else
		printf("\"flags\":%ld,", flags);
	printf("\"ret\":%d%s%s}\n", ret, extra ? "," : "", extra ? extra : "");
}

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int must_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "vfio_client: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void container_calls(int c)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	struct vfio_iommu_type1_info info = { .argsz = 16 };
	char extra[160];
	int ret;

	ret = do_ioctl(c, VFIO_GET_API_VERSION, NULL);
	manifest(c, "container", "VFIO_GET_API_VERSION", VFIO_GET_API_VERSION, -1, -1, ret, NULL);
	ret = ioctl(c, VFIO_CHECK_EXTENSION, (unsigned long)VFIO_TYPE1v2_IOMMU) < 0 ? -errno : 0;
	manifest(c, "container", "VFIO_CHECK_EXTENSION", VFIO_CHECK_EXTENSION, -1, -1, ret,
		 "\"arg\":3");
	ret = do_ioctl(c, VFIO_IOMMU_GET_INFO, &info);
	manifest(c, "container", "VFIO_IOMMU_GET_INFO", VFIO_IOMMU_GET_INFO, 16, 0, ret,
		 "\"argsz_out\":16");

	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = 0x7f0000001000ull;
	map.iova = 0x100000;
	map.size = 0x200000;
	ret = do_ioctl(c, VFIO_IOMMU_MAP_DMA, &map);
	snprintf(extra, sizeof(extra), "\"vaddr\":%llu,\"iova\":%llu,\"size\":%llu",
		 (unsigned long long)map.vaddr, (unsigned long long)map.iova,
		 (unsigned long long)map.size);
	manifest(c, "container", "VFIO_IOMMU_MAP_DMA", VFIO_IOMMU_MAP_DMA, 32, 3, ret, extra);

	unmap.iova = 0x100000;
	unmap.size = 0x200000;
	unmap.flags = 1u << 6;	/* an unknown flag bit */
	ret = do_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &unmap);
	manifest(c, "container", "VFIO_IOMMU_UNMAP_DMA", VFIO_IOMMU_UNMAP_DMA, 24, 64, ret,
		 "\"iova\":1048576,\"size\":2097152");

	map.argsz = 8;	/* below minsz */
	ret = do_ioctl(c, VFIO_IOMMU_MAP_DMA, &map);
	manifest(c, "container", "VFIO_IOMMU_MAP_DMA", VFIO_IOMMU_MAP_DMA, 8, 3, ret, NULL);
}

static void group_calls(int g, int c)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char name[] = "0000:00:03.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258";
	int ret;

	ret = do_ioctl(g, VFIO_GROUP_GET_STATUS, &st);
	manifest(g, "group", "VFIO_GROUP_GET_STATUS", VFIO_GROUP_GET_STATUS, 8, 0, ret, NULL);
	ret = do_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c);
	{
		char extra[32];

		snprintf(extra, sizeof(extra), "\"container_fd\":%d", c);
		manifest(g, "group", "VFIO_GROUP_SET_CONTAINER", VFIO_GROUP_SET_CONTAINER, -1, -1,
			 ret, extra);
	}
	ret = do_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name);
	manifest(g, "group", "VFIO_GROUP_GET_DEVICE_FD", VFIO_GROUP_GET_DEVICE_FD, -1, -1, ret,
		 "\"device_name\":\"0000:00:03.0 vf_token=<redacted>\"");
}

static void device_calls(int d)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = 2 };
	struct vfio_device_info info = { .argsz = 16 };
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = { { .argsz = sizeof(irq), .index = 1, .start = 0, .count = 1 }, -1 };
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_GET | 1,
	};
	int ret;

	ret = do_ioctl(d, VFIO_DEVICE_GET_INFO, &info);
	manifest(d, "device", "VFIO_DEVICE_GET_INFO", VFIO_DEVICE_GET_INFO, 16, 0, ret,
		 "\"argsz_out\":16");
	ret = do_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &reg);
	manifest(d, "device", "VFIO_DEVICE_GET_REGION_INFO", VFIO_DEVICE_GET_REGION_INFO, 32, 0,
		 ret, "\"index\":2");
	irq.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	ret = do_ioctl(d, VFIO_DEVICE_SET_IRQS, &irq);
	manifest(d, "device", "VFIO_DEVICE_SET_IRQS", VFIO_DEVICE_SET_IRQS, (long)sizeof(irq), 36,
		 ret, "\"index\":1,\"start\":0,\"count\":1");
	ret = do_ioctl(d, VFIO_DEVICE_FEATURE, &feat);
	manifest(d, "device", "VFIO_DEVICE_FEATURE", VFIO_DEVICE_FEATURE, 8, 0x10001, ret,
		 "\"feature\":1,\"op\":1");
	ret = do_ioctl(d, VFIO_DEVICE_RESET, NULL);
	manifest(d, "device", "VFIO_DEVICE_RESET", VFIO_DEVICE_RESET, -1, -1, ret, NULL);
}

static void iommufd_calls(int i)
{
	struct {
		uint32_t size, flags, ioas_id, reserved;
		uint64_t user_va, length, iova;
	} map = { 40, 7, 1, 0, 0x7f0000200000ull, 0x10000, 0x400000 };
	struct {
		uint32_t size, id;
	} destroy = { 8, 5 };
	char extra[160];
	int ret;

	ret = do_ioctl(i, IOMMU_IOAS_MAP_CMD, &map);
	snprintf(extra, sizeof(extra), "\"ioas_id\":1,\"vaddr\":%llu,\"size\":65536,\"iova\":4194304",
		 (unsigned long long)map.user_va);
	manifest(i, "iommufd", "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP_CMD, 40, 7, ret, extra);
	ret = do_ioctl(i, IOMMU_DESTROY_CMD, &destroy);
	manifest(i, "iommufd", "IOMMU_DESTROY", IOMMU_DESTROY_CMD, 8, -1, ret, "\"id\":5");
	ret = do_ioctl(i, IOMMU_UNKNOWN_CMD, &destroy);
	manifest(i, "iommufd", NULL, IOMMU_UNKNOWN_CMD, -1, -1, ret, NULL);
	/* The VFIO container ioctls are accepted on /dev/iommu too. */
	ret = do_ioctl(i, VFIO_GET_API_VERSION, NULL);
	manifest(i, "iommufd", "VFIO_GET_API_VERSION", VFIO_GET_API_VERSION, -1, -1, ret, NULL);
}

/* A 16-byte struct at the very end of a readable page: the 64-byte read
 * at entry fails and the tracer must fall back to a shorter one. */
static void edge_calls(int d)
{
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_irq_info *info;
	char *mem;
	int ret;

	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mprotect(mem + page, page, PROT_NONE)) {
		perror("vfio_client: mmap");
		exit(1);
	}
	info = (struct vfio_irq_info *)(mem + page - sizeof(*info));
	info->argsz = sizeof(*info);
	info->flags = 0;
	info->index = 4;
	ret = do_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, info);
	manifest(d, "device", "VFIO_DEVICE_GET_IRQ_INFO", VFIO_DEVICE_GET_IRQ_INFO, 16, 0, ret,
		 "\"index\":4");
	munmap(mem, 2 * page);
}

/*
 * --mix: one call of each kind of mismatch the kernel-side counters of
 * iommutop judge (bpf/top.bpf.c), and some that must not count: the
 * in-kernel classes are compared with user space's for these.
 */
static void mix_calls(int c, int d, int i)
{
	uint8_t buf[64] = {};
	uint32_t *w = (uint32_t *)buf;
	int ret;

#define MIX(fd, kind, name, cmd, argsz, flags)					\
	do {									\
		w[0] = (argsz);							\
		ret = do_ioctl(fd, cmd, buf);					\
		manifest(fd, kind, name, cmd, argsz, flags, ret, NULL);		\
		memset(buf, 0, sizeof(buf));					\
	} while (0)

	/* newer struct: MAP_DMA with 8 bytes more than any kernel has */
	w[1] = VFIO_DMA_MAP_FLAG_READ;
	MIX(c, "container", "VFIO_IOMMU_MAP_DMA", VFIO_IOMMU_MAP_DMA, 40, 1);
	/* SET_IRQS: two data types at once (one-of), and an eventfd array
	 * too short for its count (payload) */
	w[1] = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	MIX(d, "device", "VFIO_DEVICE_SET_IRQS", VFIO_DEVICE_SET_IRQS, 20, 0x23);
	w[1] = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	w[4] = 4;
	MIX(d, "device", "VFIO_DEVICE_SET_IRQS", VFIO_DEVICE_SET_IRQS, 24, 0x24);
	/* DEVICE_FEATURE: an index no kernel has, and SET on a GET-only one */
	w[1] = VFIO_DEVICE_FEATURE_GET | 200;
	MIX(d, "device", "VFIO_DEVICE_FEATURE", VFIO_DEVICE_FEATURE, 8, 0x100c8);
	w[1] = VFIO_DEVICE_FEATURE_SET | 1;
	MIX(d, "device", "VFIO_DEVICE_FEATURE", VFIO_DEVICE_FEATURE, 8, 0x20001);
	/* UNMAP_DMA asking for the dirty bitmap without room for it */
	w[1] = 1;
	MIX(c, "container", "VFIO_IOMMU_UNMAP_DMA", VFIO_IOMMU_UNMAP_DMA, 24, 1);
	/* a bigger INFO buffer is room for capabilities, not a newer struct */
	MIX(c, "container", "VFIO_IOMMU_GET_INFO", VFIO_IOMMU_GET_INFO, 64, 0);
	/* a device ioctl on a container: unknown there */
	MIX(c, "container", NULL, VFIO_DEVICE_GET_INFO, 24, -1);
	/* iommufd: a smaller size than IOMMU_IOAS_MAP's, and a bigger one */
	MIX(i, "iommufd", "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP_CMD, 36, 0);
	MIX(i, "iommufd", "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP_CMD, 48, 0);
#undef MIX
}

int main(int argc, char **argv)
{
	int c, g, d, i, n, loops = 1, k, mix = 0, hold = 0;
	char line[16];

	/* after "--": ignored (tests/vm.bats gives it QEMU's -name) */
	for (k = 1; k < argc && strcmp(argv[k], "--"); k++) {
		if (!strcmp(argv[k], "--wait")) {
			fprintf(stderr, "%d\n", getpid());
			if (!fgets(line, sizeof(line), stdin))
				return 1;
		} else if (!strcmp(argv[k], "--mix")) {
			mix = 1;
		} else if (!strcmp(argv[k], "--hold")) {
			hold = 1;
		} else if (!strcmp(argv[k], "--loops") && k + 1 < argc) {
			loops = atoi(argv[++k]);
		} else {
			fprintf(stderr, "usage: vfio_client [--wait] [--loops N] [--mix] [--hold] [-- IGNORED...]\n");
			return 2;
		}
	}
	c = must_open("/dev/null");
	g = must_open("/dev/zero");
	d = must_open("/dev/full");
	i = must_open("/dev/urandom");
	for (k = 0; k < loops; k++) {
		container_calls(c);
		group_calls(g, c);
		device_calls(d);
		iommufd_calls(i);
		edge_calls(d);
		if (mix)
			mix_calls(c, d, i);
		/* Not VFIO: must not show up in the trace. */
		ioctl(c, FIONREAD, &n);
	}
	fflush(stdout);
	if (hold) {
		/* alive until stdin ends: a tracer reads /proc/PID meanwhile */
		fprintf(stderr, "held\n");
		while (fgets(line, sizeof(line), stdin))
			;
	}
	return 0;
}

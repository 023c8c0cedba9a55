// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: issue one kind of ioctl in a tight loop and say how long a
 * call took. No BPF here: the script attaches (or not) the tool being
 * measured around this process.
 *
 *   bench_loop OP [-n N] [-f PATH] [-g GROUP] [-s SIZE]
 *                                                 N calls, as fast as possible
 *   bench_loop OP -r RATE -t SECONDS [...]        paced at RATE calls/s
 *
 * OP: map     VFIO_IOMMU_MAP_DMA with a real 32-byte struct on PATH (default
 *             /dev/null: the host has no VFIO; the tool is told to count
 *             PATH as a container, the kernel answers ENOTTY)
 *     tcgets  TCGETS on a new pty (a non-VFIO ioctl)
 *     api     VFIO_GET_API_VERSION on PATH (default /dev/vfio/vfio)
 *     dma     VFIO_IOMMU_MAP_DMA then VFIO_IOMMU_UNMAP_DMA of SIZE bytes
 *             (-s, default one 4 KiB page; larger buffers are populated
 *             before the loop) on a type1 container holding /dev/vfio/GROUP
 *             (one "call" is the pair)
 *
 * Output, one line: "CPU_NS WALL_NS CALLS SECONDS" (fast: per call, the
 * calling thread's CPU time and the wall-clock time; on a shared machine
 * the CPU time leaves out the time the loop waited for a CPU, so it is the
 * figure compared for in-kernel tools; under strace the loop waits for the
 * tracer, and the wall time is the cost) or "CALLS_PER_SECOND CALLS SECONDS"
 * (paced).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/vfio.h>

enum op { OP_MAP, OP_TCGETS, OP_API, OP_DMA };

struct loop {
	enum op op;
	int fd;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct termios tio;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_loop: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A type1 container with the group in it, and SIZE bytes to map. */
static int dma_container(const char *group, unsigned long long size, struct loop *l)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int c, g;
	void *page;

	c = open("/dev/vfio/vfio", O_RDWR);
	if (c < 0)
		die("/dev/vfio/vfio");
	g = open(group, O_RDWR);
	if (g < 0)
		die(group);
	if (ioctl(g, VFIO_GROUP_GET_STATUS, &st) || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	page = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (page == MAP_FAILED)
		die("mmap");
	memset(page, 0, size);
	l->map.vaddr = (unsigned long)page;
	l->map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	l->map.iova = 0x100000;
	l->map.size = size;
	l->unmap.iova = 0x100000;
	l->unmap.size = size;
	return c;
}

static void setup(struct loop *l, const char *path, const char *group,
		  unsigned long long size)
{
	int ptm;

	l->map.argsz = sizeof(l->map);
	l->unmap.argsz = sizeof(l->unmap);
	switch (l->op) {
	case OP_MAP:
		l->fd = open(path ? path : "/dev/null", O_RDWR);
		l->map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		l->map.vaddr = 0x7f0000000000ull;
		l->map.iova = 0x100000;
		l->map.size = 0x200000;
		break;
	case OP_TCGETS:
		ptm = posix_openpt(O_RDWR | O_NOCTTY);
		if (ptm < 0 || grantpt(ptm) || unlockpt(ptm))
			die("pty");
		l->fd = open(ptsname(ptm), O_RDWR | O_NOCTTY);
		break;
	case OP_API:
		l->fd = open(path ? path : "/dev/vfio/vfio", O_RDWR);
		break;
	case OP_DMA:
		l->fd = dma_container(group, size, l);
		break;
	}
	if (l->fd < 0)
		die("open");
}

static inline void one(struct loop *l)
{
	switch (l->op) {
	case OP_MAP:
		ioctl(l->fd, VFIO_IOMMU_MAP_DMA, &l->map);
		break;
	case OP_TCGETS:
		ioctl(l->fd, TCGETS, &l->tio);
		break;
	case OP_API:
		ioctl(l->fd, VFIO_GET_API_VERSION);
		break;
	case OP_DMA:
		if (ioctl(l->fd, VFIO_IOMMU_MAP_DMA, &l->map))
			die("VFIO_IOMMU_MAP_DMA");
		if (ioctl(l->fd, VFIO_IOMMU_UNMAP_DMA, &l->unmap))
			die("VFIO_IOMMU_UNMAP_DMA");
		break;
	}
}

/* RATE calls/s for SECONDS: batches of 16, sleeping when ahead. */
static unsigned long long paced(struct loop *l, double rate, double secs, double *took)
{
	unsigned long long n = 0;
	double t0 = now_s(), t = t0, ahead;
	struct timespec ts;
	int i;

	while (t - t0 < secs) {
		for (i = 0; i < 16; i++)
			one(l);
		n += 16;
		t = now_s();
		ahead = n / rate - (t - t0);
		if (ahead > 200e-6) {
			ts.tv_sec = (time_t)ahead;
			ts.tv_nsec = (long)((ahead - ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
			t = now_s();
		}
	}
	*took = t - t0;
	return n;
}

int main(int argc, char **argv)
{
	unsigned long long n = 1000000, size = 4096, i;
	const char *path = NULL, *group = NULL;
	double rate = 0, secs = 0, t0, c0, took, cpu;
	struct loop l = {};
	int c;

	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "map"))
		l.op = OP_MAP;
	else if (!strcmp(argv[1], "tcgets"))
		l.op = OP_TCGETS;
	else if (!strcmp(argv[1], "api"))
		l.op = OP_API;
	else if (!strcmp(argv[1], "dma"))
		l.op = OP_DMA;
	else
		goto usage;
	optind = 2;
	while ((c = getopt(argc, argv, "n:r:t:f:g:s:")) != -1) {
		switch (c) {
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'f':
			path = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 's':
			size = strtoull(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (!n || (rate > 0) != (secs > 0) || (l.op == OP_DMA && !group) ||
	    !size || size % 4096)
		goto usage;
	setup(&l, path, group, size);
	if (rate > 0) {
		n = paced(&l, rate, secs, &took);
		printf("%.0f %llu %.3f\n", n / took, n, took);
		return 0;
	}
	/* warm up: at least one call (under TCG the first run of newly
	 * loaded BPF code is translated: milliseconds) */
	for (i = 0; i < (n / 10 ? n / 10 : 1); i++)
		one(&l);
	t0 = now_s();
	c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < n; i++)
		one(&l);
	cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	took = now_s() - t0;
	printf("%.1f %.1f %llu %.3f\n", cpu * 1e9 / n, took * 1e9 / n, n, took);
	return 0;
usage:
	fprintf(stderr, "usage: bench_loop map|tcgets|api|dma [-n N] [-r RATE -t SECONDS] "
		"[-f PATH] [-g /dev/vfio/GROUP] [-s SIZE]\n");
	return 2;
}

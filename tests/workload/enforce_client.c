// SPDX-License-Identifier: GPL-2.0
/*
 * enforce_client: VFIO_IOMMU_MAP_DMA calls with chosen flags against a real
 * type1 container, for the enforce tests in the QEMU guest. Also built
 * with -m32 (a 32-bit caller goes through compat_ioctl and the LSM's
 * file_ioctl_compat hook). Prints one line of key=value counts.
 *
 *   enforce_client [-g GROUP] map FLAGS COUNT
 *   enforce_client [-g GROUP] mix SECONDS|STOPFILE GOOD BAD
 *   enforce_client [-g GROUP] race COUNT GOOD BAD [MIB]
 *   enforce_client flood SECONDS FLAGS
 *       MAP_DMA with FLAGS as fast as it goes, for SECONDS, on a container
 *       of its own (/dev/vfio/vfio, no group: the group stays free)
 *   enforce_client [-g GROUP] unreadable FLAGS
 *   enforce_client [-g GROUP] irqs FLAGS
 *       VFIO_DEVICE_SET_IRQS (MSI, count 0: off) with FLAGS on the device fd
 *       the group hands out (an anonymous inode, "[vfio-device]")
 *   enforce_client -u UID exec PROG ARGS...
 *       PROG as UID (gid UID, no supplementary groups): busybox has no
 *       setpriv --reuid
 *   enforce_client null-ioctl
 *       VFIO_IOMMU_MAP_DMA on /dev/null: a ';' ioctl on a file that is
 *       no VFIO/iommufd file (the kernel says ENOTTY)
 *   enforce_client compat-ioas FLAGS
 *       IOMMU_IOAS_ALLOC with FLAGS on /dev/vfio/vfio (iommufd's compat
 *       node serves every iommufd ioctl)
 *   enforce_client iommufd FLAGS SIZE TAIL
 *       IOMMU_IOAS_MAP on /dev/iommu with these flags and size; the bytes
 *       past the 40-byte struct (up to SIZE) are TAIL (iommufd accepts a
 *       zero tail, refuses any other with E2BIG)
 *
 * GROUP defaults to $ISC_GROUP. -u UID: issue the calls as UID (set after
 * the container is open). mix runs for SECONDS, or until STOPFILE (a path)
 * exists. Exit 0 when the container could be set up
 * (the counts say what happened), 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <grp.h>
#include "container.h"

#define IOVA	0x100000ull
#define LEN	4096ull

struct counts {
	unsigned long ok, eperm, einval, other;
};

static int container = -1, group_fd = -1;
static size_t map_len = LEN;	/* what map_init maps, from buf */
static long setuid_to = -1;
static void *buf;

static unsigned long num(const char *s);

static void die(const char *what)
{
	container_die("enforce_client", what);
}

/* group NULL: the container is already open (flood) */
static void setup(const char *group)
{
	if (group)
		container = container_open_group("enforce_client", group, &group_fd);
	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	memset(buf, 0x5a, LEN);
	if (setuid_to >= 0 && setresuid(setuid_to, setuid_to, setuid_to))
		die("setresuid");
}

static void map_init(struct vfio_iommu_type1_dma_map *m, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	m->argsz = sizeof(*m);
	m->flags = flags;
	m->vaddr = (uintptr_t)buf;
	m->iova = IOVA;
	m->size = map_len;
}

static void unmap(void)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .iova = IOVA, .size = map_len,
	};

	ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);
}

/* One MAP_DMA with m as it is now; undone when it succeeded. */
static int map_once(struct vfio_iommu_type1_dma_map *m, struct counts *c)
{
	int r = ioctl(container, VFIO_IOMMU_MAP_DMA, m) ? errno : 0;

	if (!r) {
		c->ok++;
		unmap();
	} else if (r == EPERM) {
		c->eperm++;
	} else if (r == EINVAL) {
		c->einval++;
	} else {
		c->other++;
	}
	return r;
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "enforce_client: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void print(const char *prefix, const struct counts *c)
{
	printf("%sok=%lu %seperm=%lu %seinval=%lu %sother=%lu", prefix, c->ok, prefix, c->eperm,
	       prefix, c->einval, prefix, c->other);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The iommufd structs, declared here: the host's uapi headers may predate
 * iommufd (6.2). */
struct isc_ioas_alloc {
	uint32_t size, flags, out_ioas_id;
};

struct isc_ioas_map {
	uint32_t size, flags, ioas_id, reserved;
	uint64_t user_va, length, iova;
	uint8_t tail[24];
};

#define ISC_IOMMU_IOAS_ALLOC	_IO(';', 0x81)
#define ISC_IOMMU_IOAS_MAP	_IO(';', 0x85)

static const char *iommufd_map(uint32_t flags, uint32_t size, uint8_t tail)
{
	struct isc_ioas_alloc a = { .size = sizeof(a) };
	struct isc_ioas_map m;
	int fd = open("/dev/iommu", O_RDWR), r;

	if (fd < 0)
		die("/dev/iommu");
	if (ioctl(fd, ISC_IOMMU_IOAS_ALLOC, &a))
		die("IOMMU_IOAS_ALLOC");
	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	memset(buf, 0x5a, LEN);
	if (size > sizeof(m)) {
		fprintf(stderr, "enforce_client: size at most %zu\n", sizeof(m));
		exit(2);
	}
	memset(&m, 0, sizeof(m));
	memset(m.tail, tail, sizeof(m.tail));
	m.size = size;
	m.flags = flags;
	m.ioas_id = a.out_ioas_id;
	m.user_va = (uintptr_t)buf;
	m.length = LEN;
	m.iova = IOVA;
	r = ioctl(fd, ISC_IOMMU_IOAS_MAP, &m) ? errno : 0;
	close(fd);
	return r ? strerrorname_np(r) : "0";
}

/* The PCI device of the group ($ISC_BDF), its SET_IRQS with flags. */
static const char *device_irqs(uint32_t flags)
{
	struct vfio_irq_set irqs = {
		.argsz = sizeof(irqs), .flags = flags, .index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	const char *bdf = getenv("ISC_BDF");
	int dev;

	if (!bdf) {
		fprintf(stderr, "enforce_client: irqs needs ISC_BDF\n");
		exit(2);
	}
	dev = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, &irqs) ? strerrorname_np(errno) : "0";
}

static const char *null_ioctl(void)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		die("/dev/null");
	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &m) ? strerrorname_np(errno) : "0";
}

static const char *compat_ioas(uint32_t flags)
{
	struct isc_ioas_alloc a = { .size = sizeof(a), .flags = flags };
	int fd = open("/dev/vfio/vfio", O_RDWR);

	if (fd < 0)
		die("/dev/vfio/vfio");
	return ioctl(fd, ISC_IOMMU_IOAS_ALLOC, &a) ? strerrorname_np(errno) : "0";
}

static struct vfio_iommu_type1_dma_map race_map;
static volatile int race_done, in_call;
static uint32_t race_a, race_b;

/* While the other thread is inside its MAP_DMA (flags A when it entered),
 * rewrite the flags to B: what a hostile VMM thread would do. */
static void *flipper(void *arg)
{
	volatile uint32_t *flags = &race_map.flags;

	(void)arg;
	while (!race_done)
		if (in_call)
			*flags = race_b;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *group = getenv("ISC_GROUP");
	long uid = -1;
	struct vfio_iommu_type1_dma_map m;
	struct counts a = { 0 }, b = { 0 };
	unsigned long i, n;
	int opt;

	while ((opt = getopt(argc, argv, "+g:u:")) != -1) {
		if (opt == 'g') {
			group = optarg;
		} else if (opt == 'u') {
			uid = (long)num(optarg);
		} else {
			fprintf(stderr, "usage: enforce_client [-g GROUP] [-u UID] map|mix|flood|race|unreadable|irqs|null-ioctl|compat-ioas|exec ...\n");
			return 2;
		}
	}
	setuid_to = uid;
	argc -= optind;
	argv += optind;
	if (argc >= 2 && !strcmp(argv[0], "exec") && uid >= 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			die("setresuid");
		execvp(argv[1], argv + 1);
		die(argv[1]);
	}
	if (argc >= 1 && (!strcmp(argv[0], "iommufd") || !strcmp(argv[0], "compat-ioas") ||
			  !strcmp(argv[0], "null-ioctl") || !strcmp(argv[0], "flood")))
		group = "-";
	if (!group || argc < 1) {
		fprintf(stderr, "enforce_client: need -g GROUP (or ISC_GROUP) and a mode\n");
		return 2;
	}
	if (!strcmp(argv[0], "map") && argc == 3) {
		setup(group);
		n = num(argv[2]);
		map_init(&m, (uint32_t)num(argv[1]));
		for (i = 0; i < n; i++)
			map_once(&m, &a);
		print("", &a);
	} else if (!strcmp(argv[0], "mix") && argc == 4) {
		const char *stop = argv[1][0] == '/' ? argv[1] : NULL;
		double end;

		setup(group);
		end = stop ? 0 : now_s() + num(argv[1]);
		for (n = 0; stop ? access(stop, F_OK) != 0 : now_s() < end; n++) {
			map_init(&m, (uint32_t)num(argv[2]));
			map_once(&m, &a);
			map_init(&m, (uint32_t)num(argv[3]));
			map_once(&m, &b);
			usleep(10000);	/* every refusal is a log record */
		}
		print("good_", &a);
		putchar(' ');
		print("bad_", &b);
		printf(" iterations=%lu", n);
	} else if (!strcmp(argv[0], "race") && (argc == 4 || argc == 5)) {
		pthread_t t;

		setup(group);
		/* A bigger mapping keeps the call (pinning pages) in the
		 * kernel long enough for the other thread to run meanwhile. */
		if (argc == 5) {
			map_len = num(argv[4]) << 20;
			buf = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (buf == MAP_FAILED)
				die("mmap");
			memset(buf, 0x5a, map_len);
		}
		n = num(argv[1]);
		race_a = (uint32_t)num(argv[2]);
		race_b = (uint32_t)num(argv[3]);
		map_init(&race_map, race_a);
		if (pthread_create(&t, NULL, flipper, NULL))
			die("pthread_create");
		for (i = 0; i < n; i++) {
			race_map.flags = race_a;
			in_call = 1;
			map_once(&race_map, &a);
			in_call = 0;
		}
		race_done = 1;
		pthread_join(t, NULL);
		print("", &a);
	} else if (!strcmp(argv[0], "flood") && argc == 3) {
		double end;

		container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		if (container < 0)
			die("/dev/vfio/vfio");
		setup(NULL);
		map_init(&m, (uint32_t)num(argv[2]));
		end = now_s() + num(argv[1]);
		for (n = 0; now_s() < end; n++)
			for (i = 0; i < 1000; i++)
				map_once(&m, &a);
		print("", &a);
	} else if (!strcmp(argv[0], "unreadable") && argc == 2) {
		struct vfio_iommu_type1_dma_map *shared;
		int fd, r;

		setup(group);
		/* The struct is written with write(), then mapped: the page is
		 * in the page cache but not in this process's page tables,
		 * so a non-faulting read (the LSM's) fails where the kernel's
		 * own copy_from_user faults it in. */
		fd = (int)syscall(SYS_memfd_create, "isc-unreadable", 0);
		if (fd < 0)
			die("memfd_create");
		map_init(&m, (uint32_t)num(argv[1]));
		if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m) || ftruncate(fd, 4096))
			die("write");
		shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (shared == MAP_FAILED)
			die("mmap memfd");
		r = ioctl(container, VFIO_IOMMU_MAP_DMA, shared) ? errno : 0;
		if (!r)
			unmap();
		printf("ret=%s", r ? strerrorname_np(r) : "0");
	} else if (!strcmp(argv[0], "irqs") && argc == 2) {
		setup(group);
		printf("ret=%s", device_irqs((uint32_t)num(argv[1])));
	} else if (!strcmp(argv[0], "null-ioctl") && argc == 1) {
		printf("ret=%s", null_ioctl());
	} else if (!strcmp(argv[0], "compat-ioas") && argc == 2) {
		printf("ret=%s", compat_ioas((uint32_t)num(argv[1])));
	} else if (!strcmp(argv[0], "iommufd") && argc == 4) {
		printf("ret=%s", iommufd_map((uint32_t)num(argv[1]), (uint32_t)num(argv[2]),
					     (uint8_t)num(argv[3])));
	} else {
		fprintf(stderr, "enforce_client: unknown mode or wrong arguments\n");
		return 2;
	}
	putchar('\n');
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iommufd_workload: drive the QEMU edu device (1234:11e8, bound to vfio-pci)
 * through the VFIO device cdev and iommufd, as a VMM using the iommufd API
 * does, and write one JSON line per ioctl into a manifest (the schema of
 * vfio_workload: seq, fd, fd_kind, name, cmd, argsz, flags, ret, errno,
 * errno_name, expect, tag; see README.md).
 *
 *   iommufd_workload [--bdf 0000:00:02.0] [--manifest FILE]
 *
 * Needs a kernel with CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV. The structs
 * are declared here (fixed ABI, as of Linux 7.2) so that the program builds
 * against any host's headers. Exit status: 0 every "expect":"ok" call
 * succeeded and every DMA round trip verified; 1 otherwise; 2 bad usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define ISC_IO(nr)	_IO(';', (nr))
/* VFIO_BASE 100 */
#define VFIO_DEVICE_GET_INFO_		ISC_IO(100 + 7)
#define VFIO_DEVICE_GET_REGION_INFO_	ISC_IO(100 + 8)
#define VFIO_DEVICE_BIND_IOMMUFD_	ISC_IO(100 + 18)
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT_	ISC_IO(100 + 19)
#define VFIO_DEVICE_DETACH_IOMMUFD_PT_	ISC_IO(100 + 20)
/* IOMMUFD_CMD_BASE 0x80 */
#define IOMMU_DESTROY_		ISC_IO(0x80)
#define IOMMU_IOAS_ALLOC_	ISC_IO(0x81)
#define IOMMU_IOAS_MAP_		ISC_IO(0x85)
#define IOMMU_IOAS_UNMAP_	ISC_IO(0x86)
#define IOMMU_HWPT_ALLOC_	ISC_IO(0x89)
#define IOMMU_GET_HW_INFO_	ISC_IO(0x8a)

#define IOMMU_IOAS_MAP_FIXED_IOVA	(1 << 0)
#define IOMMU_IOAS_MAP_WRITEABLE	(1 << 1)
#define IOMMU_IOAS_MAP_READABLE		(1 << 2)
#define IOMMU_HWPT_DATA_VTD_S1		1
#define VFIO_REGION_INFO_FLAG_MMAP_	(1 << 2)
#define VFIO_PCI_CONFIG_REGION_INDEX_	7

struct bind_iommufd {		/* vfio_device_bind_iommufd, 7.2: 24 bytes */
	uint32_t argsz, flags;
	int32_t iommufd;
	uint32_t out_devid;
	uint64_t token_uuid_ptr;
};

struct attach_pt {		/* vfio_device_attach_iommufd_pt */
	uint32_t argsz, flags, pt_id, pasid;
};

struct detach_pt {		/* vfio_device_detach_iommufd_pt */
	uint32_t argsz, flags, pasid;
};

struct device_info {		/* vfio_device_info */
	uint32_t argsz, flags, num_regions, num_irqs, cap_offset, pad;
};

struct region_info {		/* vfio_region_info */
	uint32_t argsz, flags, index, cap_offset;
	uint64_t size, offset;
};

struct iommu_destroy_ {
	uint32_t size, id;
};

struct ioas_alloc {		/* 12 bytes; room for a tail */
	uint32_t size, flags, out_ioas_id, tail;
};

struct ioas_map {
	uint32_t size, flags, ioas_id, reserved;
	uint64_t user_va, length, iova;
};

struct ioas_unmap {
	uint32_t size, ioas_id;
	uint64_t iova, length;
};

struct hwpt_alloc {
	uint32_t size, flags, dev_id, pt_id, out_hwpt_id, reserved;
	uint32_t data_type, data_len;
	uint64_t data_uptr;
	uint32_t fault_id, reserved2;
};

struct hw_info {
	uint32_t size, flags, dev_id, data_len;
	uint64_t data_uptr;
	uint32_t out_data_type;
	uint8_t out_max_pasid_log2, reserved[3];
	uint64_t out_capabilities;
};

/* edu (QEMU hw/misc/edu.c) */
#define EDU_REG_IDENT	0x00
#define EDU_REG_DMA_SRC	0x80
#define EDU_REG_DMA_DST	0x88
#define EDU_REG_DMA_CNT	0x90
#define EDU_REG_DMA_CMD	0x98
#define EDU_DMA_RUN	0x1
#define EDU_DMA_TO_RAM	0x2
#define EDU_DEV_BUF	0x40000
#define EDU_XFER_LEN	2048	/* not 4096: QEMU <= 8.0 edu_check_range bug */

#define IOVA		0x100000ULL
#define IOVA_LEN	(2ULL << 20)
#define DST_OFF		0x100000ULL

static FILE *mf;
static unsigned int seq, failed;
static char reason[256];

static const char *errno_name(int err)
{
	switch (err) {
	case 0: return "";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "E?";
	}
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	failed++;
	if (reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
}

/*
 * Issue one ioctl whose struct starts with its size (argsz or size) and,
 * unless @flags_off < 0, has a u32 flags word at @flags_off; write its line.
 */
static int call(int fd, const char *kind, const char *name, unsigned long cmd, void *arg,
		int flags_off, bool expect_ok, const char *tag, const char *extra)
{
	uint32_t argsz = *(uint32_t *)arg, flags = 0;
	int ret, err;

	if (flags_off >= 0)
		memcpy(&flags, (char *)arg + flags_off, sizeof(flags));
	ret = ioctl(fd, cmd, arg);
	err = ret < 0 ? errno : 0;
	seq++;
	fprintf(mf, "{\"seq\":%u,\"loop\":0,\"fd\":%d,\"fd_kind\":\"%s\",\"name\":\"%s\","
		"\"cmd\":%lu,\"argsz\":%u,", seq, fd, kind, name, cmd, argsz);
	if (flags_off >= 0)
		fprintf(mf, "\"flags\":%u,", flags);
	else
		fprintf(mf, "\"flags\":null,");
	fprintf(mf, "\"ret\":%d,\"errno\":%d,\"errno_name\":\"%s\",\"expect\":\"%s\"%s%s",
		ret, err, errno_name(err), expect_ok ? "ok" : "fail", extra ? "," : "",
		extra ? extra : "");
	if (tag)
		fprintf(mf, ",\"tag\":\"%s\"", tag);
	fprintf(mf, "}\n");
	fflush(mf);
	if (expect_ok && ret < 0)
		fail("%s (seq %u) failed: %s", name, seq, strerror(err));
	if (!expect_ok && ret >= 0)
		fprintf(stderr, "iommufd_workload: note: %s (seq %u, %s) succeeded\n", name, seq,
			tag ? tag : "-");
	errno = err;
	return ret;
}

static void event(const char *ev, const char *path, int fd, const char *kind)
{
	fprintf(mf, "{\"event\":\"%s\",\"after_seq\":%u,\"loop\":0,\"path\":\"%s\",\"fd\":%d,"
		"\"fd_kind\":\"%s\"}\n", ev, seq, path, fd, kind);
	fflush(mf);
}

static bool find_edu(char *bdf, size_t len)
{
	char path[320], buf[16];
	struct dirent *d;
	bool found = false;
	DIR *dir;
	FILE *f;

	dir = opendir("/sys/bus/pci/devices");
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		unsigned int id[2] = { 0, 0 };
		int i;

		for (i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", d->d_name,
				 i ? "device" : "vendor");
			f = fopen(path, "r");
			if (!f)
				break;
			if (fgets(buf, sizeof(buf), f))
				id[i] = (unsigned int)strtoul(buf, NULL, 16);
			fclose(f);
		}
		if (id[0] == 0x1234 && id[1] == 0x11e8) {
			snprintf(bdf, len, "%s", d->d_name);
			found = true;
		}
	}
	closedir(dir);
	return found;
}

/* /sys/bus/pci/devices/BDF/vfio-dev/vfioN -> /dev/vfio/devices/vfioN */
static bool find_cdev(const char *bdf, char *path, size_t len)
{
	char dir[300];
	struct dirent *d;
	bool found = false;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dp = opendir(dir);
	if (!dp)
		return false;
	while ((d = readdir(dp)))
		if (!strncmp(d->d_name, "vfio", 4)) {
			snprintf(path, len, "/dev/vfio/devices/%.32s", d->d_name);
			found = true;
			break;
		}
	closedir(dp);
	return found;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool edu_dma(volatile uint8_t *bar, uint64_t src, uint64_t dst, uint32_t cmd)
{
	uint64_t t0 = now_ms();

	*(volatile uint64_t *)(bar + EDU_REG_DMA_SRC) = src;
	*(volatile uint64_t *)(bar + EDU_REG_DMA_DST) = dst;
	*(volatile uint64_t *)(bar + EDU_REG_DMA_CNT) = EDU_XFER_LEN;
	*(volatile uint64_t *)(bar + EDU_REG_DMA_CMD) = cmd | EDU_DMA_RUN;
	while (*(volatile uint64_t *)(bar + EDU_REG_DMA_CMD) & EDU_DMA_RUN) {
		if (now_ms() - t0 > 5000)
			return false;
		usleep(1000);
	}
	return true;
}

/* RAM (IOVA) -> device buffer -> RAM (IOVA + DST_OFF), checked byte for byte. */
static void dma_round_trip(volatile uint8_t *bar, uint8_t *buf, const char *what)
{
	unsigned int i;

	for (i = 0; i < EDU_XFER_LEN; i++) {
		buf[i] = (uint8_t)(i * 7 + 3);
		buf[DST_OFF + i] = 0;
	}
	if (!edu_dma(bar, IOVA, EDU_DEV_BUF, 0) ||
	    !edu_dma(bar, EDU_DEV_BUF, IOVA + DST_OFF, EDU_DMA_TO_RAM)) {
		fail("DMA %s: timeout", what);
		return;
	}
	if (memcmp(buf, buf + DST_OFF, EDU_XFER_LEN))
		fail("DMA %s: data differs", what);
	fprintf(mf, "{\"event\":\"dma\",\"after_seq\":%u,\"loop\":0,\"what\":\"%s\",\"ok\":%s}\n",
		seq, what, reason[0] ? "false" : "true");
	fflush(mf);
}

static void usage(void)
{
	fprintf(stderr, "usage: iommufd_workload [--bdf BDF] [--manifest FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char bdf[256] = "", cdev[300], extra[160];
	struct bind_iommufd bind = { .argsz = sizeof(bind) };
	struct ioas_alloc ioas = { .size = 12 }, big;
	struct hwpt_alloc hwpt = { .size = sizeof(hwpt) };
	struct device_info dinfo = { .argsz = sizeof(dinfo) };
	struct region_info rinfo = { .argsz = sizeof(rinfo) };
	struct hw_info hwi = { .size = sizeof(hwi) };
	struct attach_pt at = { .argsz = sizeof(at) };
	struct detach_pt dt = { .argsz = sizeof(dt) };
	struct ioas_map map = { .size = sizeof(map) };
	struct ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_destroy_ des = { .size = sizeof(des) };
	volatile uint8_t *bar = MAP_FAILED;
	int iommufd, dev, i;
	uint8_t vtd[64];
	uint16_t cmdreg;
	uint8_t *buf;

	mf = stdout;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bdf") && i + 1 < argc) {
			snprintf(bdf, sizeof(bdf), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--manifest") && i + 1 < argc) {
			mf = fopen(argv[++i], "w");
			if (!mf) {
				perror(argv[i]);
				return 2;
			}
		} else {
			usage();
		}
	}
	if (!bdf[0] && !find_edu(bdf, sizeof(bdf))) {
		fprintf(stderr, "iommufd_workload: no edu device (1234:11e8)\n");
		return 1;
	}
	if (!find_cdev(bdf, cdev, sizeof(cdev))) {
		fprintf(stderr, "iommufd_workload: %s has no VFIO cdev (CONFIG_VFIO_DEVICE_CDEV?)\n",
			bdf);
		return 1;
	}
	buf = mmap(NULL, IOVA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(buf, 0, IOVA_LEN);

	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		perror("/dev/iommu");
		return 1;
	}
	event("open", "/dev/iommu", iommufd, "iommufd");
	dev = open(cdev, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror(cdev);
		return 1;
	}
	event("open", cdev, dev, "device");

	/* 1. bind the device to the iommufd, an IOAS, attach, map */
	bind.iommufd = iommufd;
	call(dev, "device", "VFIO_DEVICE_BIND_IOMMUFD", VFIO_DEVICE_BIND_IOMMUFD_, &bind, 4, true,
	     NULL, NULL);
	hwi.dev_id = bind.out_devid;
	hwi.data_len = sizeof(vtd);
	hwi.data_uptr = (uintptr_t)vtd;
	call(iommufd, "iommufd", "IOMMU_GET_HW_INFO", IOMMU_GET_HW_INFO_, &hwi, 4, true, NULL,
	     NULL);
	call(iommufd, "iommufd", "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC_, &ioas, 4, true, NULL,
	     NULL);
	at.pt_id = ioas.out_ioas_id;
	call(dev, "device", "VFIO_DEVICE_ATTACH_IOMMUFD_PT", VFIO_DEVICE_ATTACH_IOMMUFD_PT_, &at,
	     4, true, "ioas", NULL);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;
	map.ioas_id = ioas.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = IOVA_LEN;
	map.iova = IOVA;
	snprintf(extra, sizeof(extra), "\"iova\":%llu,\"size\":%llu,\"vaddr\":%llu",
		 (unsigned long long)map.iova, (unsigned long long)map.length,
		 (unsigned long long)map.user_va);
	call(iommufd, "iommufd", "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP_, &map, 4, true, NULL, extra);

	/* 2. the device: info, BAR0, bus master, DMA through the IOAS */
	call(dev, "device", "VFIO_DEVICE_GET_INFO", VFIO_DEVICE_GET_INFO_, &dinfo, 4, true, NULL,
	     NULL);
	rinfo.index = VFIO_PCI_CONFIG_REGION_INDEX_;
	call(dev, "device", "VFIO_DEVICE_GET_REGION_INFO", VFIO_DEVICE_GET_REGION_INFO_, &rinfo,
	     4, true, "config", NULL);
	if (pread(dev, &cmdreg, 2, (off_t)rinfo.offset + 4) == 2) {
		cmdreg |= 0x6;	/* MEMORY | MASTER */
		if (pwrite(dev, &cmdreg, 2, (off_t)rinfo.offset + 4) != 2)
			fail("config write: %s", strerror(errno));
	}
	memset(&rinfo, 0, sizeof(rinfo));
	rinfo.argsz = sizeof(rinfo);
	rinfo.index = 0;
	call(dev, "device", "VFIO_DEVICE_GET_REGION_INFO", VFIO_DEVICE_GET_REGION_INFO_, &rinfo,
	     4, true, "bar0", NULL);
	if (rinfo.flags & VFIO_REGION_INFO_FLAG_MMAP_)
		bar = mmap(NULL, rinfo.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
			   (off_t)rinfo.offset);
	if (bar == MAP_FAILED) {
		fail("BAR0 mmap: %s", strerror(errno));
	} else {
		if ((*(volatile uint32_t *)(bar + EDU_REG_IDENT) & 0xff) != 0xed)
			fail("edu ident 0x%x", *(volatile uint32_t *)(bar + EDU_REG_IDENT));
		dma_round_trip(bar, buf, "ioas");
	}

	/* 3. an explicit paging HWPT on the IOAS, replacing the automatic one */
	hwpt.dev_id = bind.out_devid;
	hwpt.pt_id = ioas.out_ioas_id;
	call(iommufd, "iommufd", "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC_, &hwpt, 4, true, "paging",
	     NULL);
	at.pt_id = hwpt.out_hwpt_id;
	fprintf(mf, "{\"event\":\"ids\",\"after_seq\":%u,\"loop\":0,\"dev_id\":%u,"
		"\"ioas_id\":%u,\"hwpt_id\":%u}\n", seq, bind.out_devid, ioas.out_ioas_id,
		hwpt.out_hwpt_id);
	call(dev, "device", "VFIO_DEVICE_ATTACH_IOMMUFD_PT", VFIO_DEVICE_ATTACH_IOMMUFD_PT_, &at,
	     4, true, "hwpt", NULL);
	if (bar != MAP_FAILED)
		dma_round_trip(bar, buf, "hwpt");

	/* 4. iommufd's size rules, deliberately */
	big = (struct ioas_alloc){ .size = 16 };
	if (call(iommufd, "iommufd", "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC_, &big, 4, true,
		 "zero_tail", NULL) >= 0) {
		des.id = big.out_ioas_id;
		call(iommufd, "iommufd", "IOMMU_DESTROY", IOMMU_DESTROY_, &des, -1, true, NULL,
		     NULL);
	}
	big = (struct ioas_alloc){ .size = 16, .tail = 1 };
	call(iommufd, "iommufd", "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC_, &big, 4, false,
	     "nonzero_tail", NULL);
	big = (struct ioas_alloc){ .size = 8 };
	call(iommufd, "iommufd", "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC_, &big, 4, false,
	     "truncated", NULL);
	/* a VT-d stage-1 table on a parent that is not a nesting parent, with
	 * driver data shorter than struct iommu_hwpt_vtd_s1 */
	hwpt = (struct hwpt_alloc){ .size = sizeof(hwpt), .dev_id = bind.out_devid,
				    .pt_id = at.pt_id, .data_type = IOMMU_HWPT_DATA_VTD_S1,
				    .data_len = 4, .data_uptr = (uintptr_t)vtd };
	call(iommufd, "iommufd", "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC_, &hwpt, 4, false,
	     "driver_data_short", NULL);

	/* 5. tear down */
	unmap.ioas_id = ioas.out_ioas_id;
	unmap.iova = IOVA;
	unmap.length = IOVA_LEN;
	snprintf(extra, sizeof(extra), "\"iova\":%llu,\"size\":%llu", (unsigned long long)IOVA,
		 (unsigned long long)IOVA_LEN);
	call(iommufd, "iommufd", "IOMMU_IOAS_UNMAP", IOMMU_IOAS_UNMAP_, &unmap, -1, true, NULL,
	     extra);
	call(dev, "device", "VFIO_DEVICE_DETACH_IOMMUFD_PT", VFIO_DEVICE_DETACH_IOMMUFD_PT_, &dt,
	     4, true, NULL, NULL);
	des.id = at.pt_id;
	call(iommufd, "iommufd", "IOMMU_DESTROY", IOMMU_DESTROY_, &des, -1, true, "hwpt", NULL);
	des.id = ioas.out_ioas_id;
	call(iommufd, "iommufd", "IOMMU_DESTROY", IOMMU_DESTROY_, &des, -1, true, "ioas", NULL);
	if (bar != MAP_FAILED)
		munmap((void *)bar, rinfo.size);
	close(dev);
	close(iommufd);
	fprintf(mf, "{\"event\":\"done\",\"after_seq\":%u,\"loop\":0,\"ioctls\":%u,\"ok\":%s}\n",
		seq, seq, failed ? "false" : "true");
	fflush(mf);
	if (failed) {
		fprintf(stderr, "iommufd_workload: %s\n", reason);
		return 1;
	}
	return 0;
}

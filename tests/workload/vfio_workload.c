// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_workload - a small, realistic VFIO (legacy container/group) client for
 * the QEMU "edu" PCI device (1234:11e8), used as the oracle for iommuscope's
 * end-to-end tests.
 *
 * It drives the device the way a VMM does (container, group, type1 IOMMU,
 * DMA maps, device fd, region/irq discovery, BAR0 access, MSI/INTx eventfd,
 * DMA round trip, an IOMMU fault, reset, teardown), issues a few deliberately
 * wrong calls, and writes one JSON object per line for every ioctl it issued
 * (and for some non-ioctl facts) to a manifest. See tests/workload/README.md
 * for the manifest schema.
 *
 * Only libc and <linux/vfio.h> are used. Anything newer than the oldest
 * header we care about is guarded by a local define (see "compat" below).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <linux/vfio.h>

/*
 * compat: constants that appeared after the oldest uapi header we want to
 * build against. Debian 12's linux-libc-dev (6.1) has all of them; the
 * fallbacks keep the file building with 5.x headers. Capability offsets are
 * read at their fixed ABI byte offsets (see *_CAP_OFFSET_AT below), so the
 * code does not need the header to know about cap_offset.
 */
#ifndef VFIO_UNMAP_ALL
#define VFIO_UNMAP_ALL 9 /* 5.12 */
#endif
#ifndef VFIO_UPDATE_VADDR
#define VFIO_UPDATE_VADDR 10 /* 5.12 */
#endif
#ifndef VFIO_IOMMU_INFO_CAPS
#define VFIO_IOMMU_INFO_CAPS (1 << 1) /* 5.4 */
#endif
#ifndef VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1 /* 5.4 */
#endif
#ifndef VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2 /* 5.8 */
#endif
#ifndef VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3 /* 5.10 */
#endif
#ifndef VFIO_DEVICE_FLAGS_CAPS
#define VFIO_DEVICE_FLAGS_CAPS (1 << 7) /* 5.10 */
#endif
#ifndef VFIO_REGION_INFO_FLAG_CAPS
#define VFIO_REGION_INFO_FLAG_CAPS (1 << 3) /* 4.6 */
#endif
#ifndef VFIO_DEVICE_FEATURE
#define VFIO_DEVICE_FEATURE _IO(VFIO_TYPE, VFIO_BASE + 17) /* 5.7 */
#endif
#ifndef VFIO_DEVICE_FEATURE_MASK
#define VFIO_DEVICE_FEATURE_MASK 0xffff
#define VFIO_DEVICE_FEATURE_GET (1 << 16)
#define VFIO_DEVICE_FEATURE_SET (1 << 17)
#define VFIO_DEVICE_FEATURE_PROBE (1 << 18)
#endif
#ifndef VFIO_DEVICE_FEATURE_MIGRATION
#define VFIO_DEVICE_FEATURE_MIGRATION 1 /* 5.18 */
#endif
#ifndef VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY 3 /* 6.1 */
#endif
/* --catalog-rows: the 7.1-7.3 rows (the system headers predate them) */
#define FEATURE_MIG_PRECOPY_INFOv2 12	/* 7.1, SET, no payload */
#define FEATURE_ZPCI_ERROR 13		/* 7.3, GET, 8 bytes */
#define FEATURE_NONE_YET 14		/* in no kernel */
#define IOMMU_IOAS_NOIOMMU_GET_PA_CMD 0x3b95	/* 7.3, 40 bytes */

/* Fixed ABI offsets of the first-capability field in the INFO structs. */
#define IOMMU_INFO_CAP_OFFSET_AT 16	/* vfio_iommu_type1_info.cap_offset */
#define DEVICE_INFO_CAP_OFFSET_AT 16	/* vfio_device_info.cap_offset */
#define REGION_INFO_CAP_OFFSET_AT 12	/* vfio_region_info.cap_offset */
#define IOMMU_INFO_OLD_SZ 16		/* pre-5.4 vfio_iommu_type1_info */
#define IOMMU_INFO_NEWER_SZ 64		/* a "future" header generation */
#define DEVICE_INFO_OLD_SZ 16		/* pre-5.10 vfio_device_info */

/* edu device (QEMU hw/misc/edu.c) */
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_REG_IDENT 0x00
#define EDU_REG_LIVE 0x04
#define EDU_REG_STATUS 0x20
#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE 0x60
#define EDU_REG_IRQ_ACK 0x64
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2	/* direction bit: device buffer -> RAM */
#define EDU_DMA_IRQ 0x4
#define EDU_IRQ_DMA 0x100
#define EDU_DEV_BUF 0x40000
#define EDU_DEV_BUF_SZ 4096
/*
 * Bytes per DMA. Less than the whole device buffer on purpose: QEMU <= 8.0's
 * edu_check_range() rejects a transfer that ends exactly at the end of the
 * buffer (off by one), and it calls hw_error() there, which aborts the VM.
 */
#define EDU_XFER_LEN 2048

/* IOVA layout: everything below 256 MiB (edu clamps DMA addresses to 28 bits) */
#define IOVA_BIG 0x100000ULL
#define IOVA_BIG_SZ (2ULL << 20)
#define IOVA_SMALL 0x400000ULL
#define IOVA_SMALL_SZ 4096ULL
#define IOVA_BAD 0x600000ULL	/* never mapped: target of the wrong calls */
#define IOVA_FAULT 0x800000ULL	/* never mapped: target of the fault DMA */
#define BIG_DST_OFF 0x100000ULL	/* DMA back into the big mapping, +1 MiB */

#define DMA_TIMEOUT_MS 5000
#define IRQ_TIMEOUT_MS 3000
#define KMSG_WAIT_MS 1500
#define MAX_CAPS 32
#define INFO_BUF_SZ 4096
#define CANARY 0xa5

#define PCI_CFG_COMMAND 0x04
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_MASTER 0x4

struct jb {
	char s[4096];
	size_t n;
};

struct target {
	char bdf[64];
	int group;
	unsigned int class_code;
	bool is_pcie;
	int kmajor;
	int kminor;
	char krelease[65];
};

struct wl {
	FILE *mf;
	unsigned int seq;		/* ioctls issued so far */
	unsigned int loop;
	unsigned int failed_unexpected;
	unsigned int succeeded_unexpected;
	bool dma_failed;
	bool skip_fault;
	bool force_intx;
	bool catalog_rows;
	const char *wait_path;		/* --wait-after-open */
	char reason[256];
	struct target t;
};

struct bar {
	volatile uint8_t *map;
	size_t map_len;
	int fd;
	uint64_t off;
	uint64_t size;
	bool usable;
};

struct session {
	int container;
	int group;
	int device;
	int efd;
	bool container_set;
	bool big_mapped;
	bool small_mapped;
	uint8_t *big;
	uint8_t *small;
	uint32_t dev_flags;
	uint32_t num_regions;
	uint32_t num_irqs;
	uint32_t irq_count[8];
	bool irq_info_ok[8];
	bool cfg_ok;
	uint64_t cfg_off;
	int irq_index;		/* -1: no interrupt armed */
	struct bar bar0;
};

struct call {
	int fd;
	const char *kind;
	const char *name;
	unsigned long cmd;
	long long argsz;	/* < 0: null */
	long long flags;	/* < 0: null */
	bool expect_ok;
	const char *tag;
	int ret;
	int err;
	struct jb ex;
};

union info_buf {
	struct vfio_iommu_type1_info iommu;
	struct vfio_device_info dev;
	struct vfio_region_info region;
	struct vfio_irq_info irq;
	uint64_t align;
	uint8_t raw[INFO_BUF_SZ];
};

static union info_buf ibuf;

/* ---------------------------------------------------------------- json */

static void jb_add(struct jb *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void jb_add(struct jb *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->n >= sizeof(j->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->s + j->n, sizeof(j->s) - j->n, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	j->n += (size_t)n;
	if (j->n >= sizeof(j->s))
		j->n = sizeof(j->s) - 1;
}

/* Append ,"key":"escaped value" */
static void jb_str(struct jb *j, const char *key, const char *val)
{
	const unsigned char *p;

	jb_add(j, ",\"%s\":\"", key);
	for (p = (const unsigned char *)val; *p; p++) {
		if (*p == '"' || *p == '\\')
			jb_add(j, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			jb_add(j, "\\u%04x", *p);
		else
			jb_add(j, "%c", *p);
	}
	jb_add(j, "\"");
}

static const char *errno_name(int err)
{
	switch (err) {
	case 0: return "";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "E?";
	}
}

static void wl_fail(struct wl *wl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wl_fail(struct wl *wl, const char *fmt, ...)
{
	va_list ap;

	if (wl->reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(wl->reason, sizeof(wl->reason), fmt, ap);
	va_end(ap);
}

static void ev_begin(struct wl *wl, struct jb *j, const char *event)
{
	j->n = 0;
	j->s[0] = '\0';
	jb_add(j, "{\"event\":\"%s\",\"after_seq\":%u,\"loop\":%u",
	       event, wl->seq, wl->loop);
}

static void ev_end(struct wl *wl, struct jb *j)
{
	fprintf(wl->mf, "%s}\n", j->s);
	fflush(wl->mf);
}

static void ev_fd(struct wl *wl, const char *event, const char *path, int fd,
		  const char *kind)
{
	struct jb j;

	ev_begin(wl, &j, event);
	if (path)
		jb_str(&j, "path", path);
	jb_add(&j, ",\"fd\":%d", fd);
	jb_str(&j, "fd_kind", kind);
	ev_end(wl, &j);
}

/* --------------------------------------------------------------- ioctls */

static void call_init(struct call *c, int fd, const char *kind,
		      const char *name, unsigned long cmd, bool expect_ok,
		      const char *tag)
{
	c->fd = fd;
	c->kind = kind;
	c->name = name;
	c->cmd = cmd;
	c->argsz = -1;
	c->flags = -1;
	c->expect_ok = expect_ok;
	c->tag = tag;
	c->ret = 0;
	c->err = 0;
	c->ex.n = 0;
	c->ex.s[0] = '\0';
}

static int call_run(struct call *c, unsigned long arg)
{
	c->ret = ioctl(c->fd, c->cmd, arg);
	c->err = c->ret < 0 ? errno : 0;
	return c->ret;
}

static void call_emit(struct wl *wl, struct call *c)
{
	FILE *f = wl->mf;

	wl->seq++;
	fprintf(f, "{\"seq\":%u,\"loop\":%u,\"fd\":%d,\"fd_kind\":\"%s\","
		"\"name\":\"%s\",\"cmd\":%lu,",
		wl->seq, wl->loop, c->fd, c->kind, c->name, c->cmd);
	if (c->argsz < 0)
		fprintf(f, "\"argsz\":null,");
	else
		fprintf(f, "\"argsz\":%lld,", c->argsz);
	if (c->flags < 0)
		fprintf(f, "\"flags\":null,");
	else
		fprintf(f, "\"flags\":%lld,", c->flags);
	fprintf(f, "\"ret\":%d,\"errno\":%d,\"errno_name\":\"%s\"%s,"
		"\"expect\":\"%s\"",
		c->ret, c->err, errno_name(c->err), c->ex.s,
		c->expect_ok ? "ok" : "fail");
	if (c->tag)
		fprintf(f, ",\"tag\":\"%s\"", c->tag);
	fprintf(f, "}\n");
	fflush(f);

	if (c->expect_ok && c->ret < 0) {
		wl->failed_unexpected++;
		wl_fail(wl, "%s (seq %u) failed unexpectedly: %s", c->name,
			wl->seq, strerror(c->err));
	} else if (!c->expect_ok && c->ret >= 0) {
		wl->succeeded_unexpected++;
		fprintf(stderr, "vfio_workload: note: %s (seq %u, %s) "
			"succeeded although a failure was expected\n",
			c->name, wl->seq, c->tag ? c->tag : "-");
	}
}

/*
 * Zero the INFO buffer up to @argsz, as a careful caller does, and fill the
 * rest with a canary: the kernel must never write past argsz.
 */
static void info_prepare(uint32_t argsz)
{
	if (argsz > sizeof(ibuf.raw))
		argsz = sizeof(ibuf.raw);
	memset(ibuf.raw, 0, argsz);
	memset(ibuf.raw + argsz, CANARY, sizeof(ibuf.raw) - argsz);
}

/* Record (and fail on) a kernel write beyond the argsz we passed. */
static void info_check_overrun(struct wl *wl, struct call *c, uint32_t argsz)
{
	size_t i;

	for (i = sizeof(ibuf.raw); i > argsz; i--)
		if (ibuf.raw[i - 1] != CANARY)
			break;
	if (i <= argsz)
		return;
	jb_add(&c->ex, ",\"overrun\":%zu", i);
	wl_fail(wl, "%s wrote %zu bytes into a %u-byte argsz buffer", c->name,
		i, argsz);
}

static uint32_t raw_u32(const uint8_t *buf, size_t off)
{
	uint32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint64_t raw_u64(const uint8_t *buf, size_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/*
 * Bounded walk of a VFIO capability chain inside ibuf. @first is the offset
 * of the first header, @fixed the size of the fixed struct (caps come after
 * it), @len the bytes the kernel may have filled. Returns the number of caps
 * found, or -1 if the chain is malformed (out of range, misaligned, not
 * strictly increasing, or too long).
 */
static int caps_walk(uint32_t first, size_t fixed, size_t len,
		     uint16_t *ids, uint32_t *offs)
{
	uint32_t off = first;
	int n = 0;

	if (len > sizeof(ibuf.raw))
		len = sizeof(ibuf.raw);
	while (off) {
		uint32_t next;

		if (n >= MAX_CAPS || off < fixed || off % 4 ||
		    (size_t)off + sizeof(struct vfio_info_cap_header) > len)
			return -1;
		ids[n] = (uint16_t)(raw_u32(ibuf.raw, off) & 0xffff);
		offs[n] = off;
		n++;
		next = raw_u32(ibuf.raw, off + 4);
		if (next && next <= off)
			return -1;
		off = next;
	}
	return n;
}

static void ev_caps(struct wl *wl, const char *ioctl_name, long index,
		    const uint16_t *ids, const uint32_t *offs, int n)
{
	struct jb j;
	int i;

	ev_begin(wl, &j, n < 0 ? "caps_error" : "caps");
	jb_str(&j, "ioctl", ioctl_name);
	jb_add(&j, ",\"info_seq\":%u", wl->seq);
	if (index >= 0)
		jb_add(&j, ",\"index\":%ld", index);
	jb_add(&j, ",\"ids\":[");
	for (i = 0; i < n; i++)
		jb_add(&j, "%s%u", i ? "," : "", ids[i]);
	jb_add(&j, "],\"offsets\":[");
	for (i = 0; i < n; i++)
		jb_add(&j, "%s%u", i ? "," : "", offs[i]);
	jb_add(&j, "]");
	ev_end(wl, &j);
}

static int do_check_extension(struct wl *wl, struct session *s, int ext)
{
	struct call c;

	call_init(&c, s->container, "container", "VFIO_CHECK_EXTENSION",
		  VFIO_CHECK_EXTENSION, true, NULL);
	call_run(&c, (unsigned long)ext);
	jb_add(&c.ex, ",\"arg\":%d", ext);
	call_emit(wl, &c);
	return c.ret;
}

/*
 * VFIO_IOMMU_GET_INFO with the given argsz. Returns the ioctl result;
 * argsz_out and flags_out get what the kernel left in the struct.
 */
static int do_iommu_info(struct wl *wl, struct session *s, uint32_t argsz,
			 bool decode, const char *tag, uint32_t *argsz_out,
			 uint32_t *flags_out)
{
	uint16_t ids[MAX_CAPS];
	uint32_t offs[MAX_CAPS];
	uint32_t cap_off = 0;
	struct call c;
	int n, i;

	info_prepare(argsz);
	ibuf.iommu.argsz = argsz;
	ibuf.iommu.flags = 0;
	call_init(&c, s->container, "container", "VFIO_IOMMU_GET_INFO",
		  VFIO_IOMMU_GET_INFO, true, tag);
	c.argsz = argsz;
	c.flags = 0;
	call_run(&c, (unsigned long)&ibuf);
	*argsz_out = ibuf.iommu.argsz;
	*flags_out = ibuf.iommu.flags;
	jb_add(&c.ex, ",\"argsz_out\":%u,\"flags_out\":%u",
	       ibuf.iommu.argsz, ibuf.iommu.flags);
	if (c.ret >= 0)
		jb_add(&c.ex, ",\"iova_pgsizes\":%llu",
		       (unsigned long long)ibuf.iommu.iova_pgsizes);
	if (c.ret >= 0 && argsz >= IOMMU_INFO_CAP_OFFSET_AT + 4) {
		cap_off = raw_u32(ibuf.raw, IOMMU_INFO_CAP_OFFSET_AT);
		jb_add(&c.ex, ",\"cap_offset\":%u", cap_off);
	}
	info_check_overrun(wl, &c, (uint32_t)c.argsz);
	call_emit(wl, &c);

	if (c.ret < 0 || !decode || !(ibuf.iommu.flags & VFIO_IOMMU_INFO_CAPS) ||
	    !cap_off)
		return c.ret;

	n = caps_walk(cap_off, sizeof(struct vfio_iommu_type1_info),
		      argsz, ids, offs);
	ev_caps(wl, "VFIO_IOMMU_GET_INFO", -1, ids, offs, n);
	if (n < 0) {
		wl_fail(wl, "malformed VFIO_IOMMU_GET_INFO capability chain");
		return c.ret;
	}
	for (i = 0; i < n; i++) {
		struct jb j;
		uint32_t o = offs[i];

		switch (ids[i]) {
		case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: {
			uint32_t nr, k;

			if (o + 16 > argsz)
				break;
			nr = raw_u32(ibuf.raw, o + 8);
			ev_begin(wl, &j, "iova_ranges");
			jb_add(&j, ",\"nr\":%u,\"ranges\":[", nr);
			for (k = 0; k < nr && k < 16; k++) {
				size_t r = o + 16 + (size_t)k * 16;

				if (r + 16 > argsz)
					break;
				jb_add(&j, "%s[%llu,%llu]", k ? "," : "",
				       (unsigned long long)raw_u64(ibuf.raw, r),
				       (unsigned long long)raw_u64(ibuf.raw, r + 8));
			}
			jb_add(&j, "]");
			ev_end(wl, &j);
			break;
		}
		case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
			if (o + 32 > argsz)
				break;
			ev_begin(wl, &j, "migration_cap");
			jb_add(&j, ",\"flags\":%u,\"pgsize_bitmap\":%llu,"
			       "\"max_dirty_bitmap_size\":%llu",
			       raw_u32(ibuf.raw, o + 8),
			       (unsigned long long)raw_u64(ibuf.raw, o + 16),
			       (unsigned long long)raw_u64(ibuf.raw, o + 24));
			ev_end(wl, &j);
			break;
		case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
			if (o + 12 > argsz)
				break;
			ev_begin(wl, &j, "dma_avail");
			jb_add(&j, ",\"avail\":%u", raw_u32(ibuf.raw, o + 8));
			ev_end(wl, &j);
			break;
		default:
			break;
		}
	}
	return c.ret;
}

static int do_map(struct wl *wl, struct session *s, uint32_t argsz,
		  uint32_t flags, uint64_t vaddr, uint64_t iova, uint64_t size,
		  bool expect_ok, const char *tag)
{
	struct vfio_iommu_type1_dma_map map;
	struct call c;

	memset(&map, 0, sizeof(map));
	map.argsz = argsz;
	map.flags = flags;
	map.vaddr = vaddr;
	map.iova = iova;
	map.size = size;
	call_init(&c, s->container, "container", "VFIO_IOMMU_MAP_DMA",
		  VFIO_IOMMU_MAP_DMA, expect_ok, tag);
	c.argsz = argsz;
	c.flags = flags;
	call_run(&c, (unsigned long)&map);
	jb_add(&c.ex, ",\"iova\":%llu,\"size\":%llu,\"vaddr\":%llu",
	       (unsigned long long)iova, (unsigned long long)size,
	       (unsigned long long)vaddr);
	call_emit(wl, &c);
	return c.ret;
}

static int do_unmap(struct wl *wl, struct session *s, uint32_t flags,
		    uint64_t iova, uint64_t size, bool expect_ok,
		    const char *tag, uint64_t *size_out)
{
	struct vfio_iommu_type1_dma_unmap unmap;
	struct call c;

	memset(&unmap, 0, sizeof(unmap));
	unmap.argsz = sizeof(unmap);
	unmap.flags = flags;
	unmap.iova = iova;
	unmap.size = size;
	call_init(&c, s->container, "container", "VFIO_IOMMU_UNMAP_DMA",
		  VFIO_IOMMU_UNMAP_DMA, expect_ok, tag);
	c.argsz = sizeof(unmap);
	c.flags = flags;
	call_run(&c, (unsigned long)&unmap);
	jb_add(&c.ex, ",\"iova\":%llu,\"size\":%llu,\"vaddr\":null,"
	       "\"size_out\":%llu",
	       (unsigned long long)iova, (unsigned long long)size,
	       (unsigned long long)unmap.size);
	call_emit(wl, &c);
	if (size_out)
		*size_out = unmap.size;
	return c.ret;
}

/* VFIO_DEVICE_GET_INFO with @argsz; fills s->num_* on success. */
static int do_device_info(struct wl *wl, struct session *s, uint32_t argsz,
			  bool decode, const char *tag, uint32_t *argsz_out)
{
	uint16_t ids[MAX_CAPS];
	uint32_t offs[MAX_CAPS];
	uint32_t cap_off = 0;
	struct call c;
	int n;

	info_prepare(argsz);
	ibuf.dev.argsz = argsz;
	ibuf.dev.flags = 0;
	call_init(&c, s->device, "device", "VFIO_DEVICE_GET_INFO",
		  VFIO_DEVICE_GET_INFO, true, tag);
	c.argsz = argsz;
	c.flags = 0;
	call_run(&c, (unsigned long)&ibuf);
	*argsz_out = ibuf.dev.argsz;
	jb_add(&c.ex, ",\"argsz_out\":%u,\"flags_out\":%u",
	       ibuf.dev.argsz, ibuf.dev.flags);
	if (c.ret >= 0) {
		jb_add(&c.ex, ",\"num_regions\":%u,\"num_irqs\":%u",
		       ibuf.dev.num_regions, ibuf.dev.num_irqs);
		s->dev_flags = ibuf.dev.flags;
		s->num_regions = ibuf.dev.num_regions;
		s->num_irqs = ibuf.dev.num_irqs;
	}
	if (c.ret >= 0 && argsz >= DEVICE_INFO_CAP_OFFSET_AT + 4) {
		cap_off = raw_u32(ibuf.raw, DEVICE_INFO_CAP_OFFSET_AT);
		jb_add(&c.ex, ",\"cap_offset\":%u", cap_off);
	}
	info_check_overrun(wl, &c, (uint32_t)c.argsz);
	call_emit(wl, &c);

	if (c.ret >= 0 && decode && (ibuf.dev.flags & VFIO_DEVICE_FLAGS_CAPS) &&
	    cap_off) {
		n = caps_walk(cap_off, sizeof(struct vfio_device_info), argsz,
			      ids, offs);
		ev_caps(wl, "VFIO_DEVICE_GET_INFO", -1, ids, offs, n);
		if (n < 0)
			wl_fail(wl, "malformed VFIO_DEVICE_GET_INFO capability chain");
	}
	return c.ret;
}

static int do_region_info(struct wl *wl, struct session *s, uint32_t index,
			  uint32_t argsz, bool expect_ok, uint32_t *argsz_out,
			  struct vfio_region_info *out)
{
	uint16_t ids[MAX_CAPS];
	uint32_t offs[MAX_CAPS];
	struct call c;
	int n;

	info_prepare(argsz);
	ibuf.region.argsz = argsz;
	ibuf.region.flags = 0;
	ibuf.region.index = index;
	call_init(&c, s->device, "device", "VFIO_DEVICE_GET_REGION_INFO",
		  VFIO_DEVICE_GET_REGION_INFO, expect_ok, NULL);
	c.argsz = argsz;
	c.flags = 0;
	call_run(&c, (unsigned long)&ibuf);
	*argsz_out = ibuf.region.argsz;
	jb_add(&c.ex, ",\"index\":%u,\"argsz_out\":%u,\"flags_out\":%u",
	       index, ibuf.region.argsz, ibuf.region.flags);
	if (c.ret >= 0)
		jb_add(&c.ex, ",\"region_size\":%llu,\"region_offset\":%llu,"
		       "\"cap_offset\":%u",
		       (unsigned long long)ibuf.region.size,
		       (unsigned long long)ibuf.region.offset,
		       raw_u32(ibuf.raw, REGION_INFO_CAP_OFFSET_AT));
	info_check_overrun(wl, &c, (uint32_t)c.argsz);
	call_emit(wl, &c);
	if (c.ret < 0)
		return c.ret;
	memcpy(out, &ibuf.region, sizeof(*out));
	if ((ibuf.region.flags & VFIO_REGION_INFO_FLAG_CAPS) &&
	    raw_u32(ibuf.raw, REGION_INFO_CAP_OFFSET_AT) &&
	    ibuf.region.argsz <= argsz) {
		n = caps_walk(raw_u32(ibuf.raw, REGION_INFO_CAP_OFFSET_AT),
			      sizeof(struct vfio_region_info), argsz, ids, offs);
		ev_caps(wl, "VFIO_DEVICE_GET_REGION_INFO", index, ids, offs,
			n);
		if (n < 0)
			wl_fail(wl, "malformed region %u capability chain",
				index);
	}
	return c.ret;
}

static int do_irq_info(struct wl *wl, struct session *s, uint32_t index,
		       bool expect_ok)
{
	struct call c;

	info_prepare(sizeof(struct vfio_irq_info));
	ibuf.irq.argsz = sizeof(struct vfio_irq_info);
	ibuf.irq.flags = 0;
	ibuf.irq.index = index;
	call_init(&c, s->device, "device", "VFIO_DEVICE_GET_IRQ_INFO",
		  VFIO_DEVICE_GET_IRQ_INFO, expect_ok, NULL);
	c.argsz = sizeof(struct vfio_irq_info);
	c.flags = 0;
	call_run(&c, (unsigned long)&ibuf);
	jb_add(&c.ex, ",\"index\":%u,\"argsz_out\":%u,\"flags_out\":%u",
	       index, ibuf.irq.argsz, ibuf.irq.flags);
	if (c.ret >= 0)
		jb_add(&c.ex, ",\"irq_count\":%u", ibuf.irq.count);
	info_check_overrun(wl, &c, (uint32_t)c.argsz);
	call_emit(wl, &c);
	if (c.ret >= 0 && index < 8) {
		s->irq_count[index] = ibuf.irq.count;
		s->irq_info_ok[index] = true;
	}
	return c.ret;
}

/* SET_IRQS; @efd < 0 means no data payload. */
static int do_set_irqs(struct wl *wl, struct session *s, uint32_t flags,
		       uint32_t index, uint32_t start, uint32_t count, int efd,
		       bool expect_ok, const char *tag)
{
	uint64_t buf[4];	/* sizeof(vfio_irq_set) + one s32, 8-aligned */
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	uint32_t argsz = sizeof(*set);
	struct call c;

	memset(buf, 0, sizeof(buf));
	if (efd >= 0) {
		int32_t fd32 = efd;

		memcpy((uint8_t *)buf + sizeof(*set), &fd32, sizeof(fd32));
		argsz += sizeof(fd32);
	}
	set->argsz = argsz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	call_init(&c, s->device, "device", "VFIO_DEVICE_SET_IRQS",
		  VFIO_DEVICE_SET_IRQS, expect_ok, tag);
	c.argsz = argsz;
	c.flags = flags;
	call_run(&c, (unsigned long)buf);
	jb_add(&c.ex, ",\"index\":%u,\"start\":%u,\"count\":%u", index, start,
	       count);
	if (efd >= 0)
		jb_add(&c.ex, ",\"eventfd\":%d", efd);
	call_emit(wl, &c);
	return c.ret;
}

static int do_feature(struct wl *wl, struct session *s, uint32_t flags,
		      uint32_t payload, bool expect_ok, const char *op,
		      const char *tag)
{
	uint64_t buf[4];
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	struct call c;

	memset(buf, 0, sizeof(buf));
	f->argsz = sizeof(*f) + payload;
	f->flags = flags;
	call_init(&c, s->device, "device", "VFIO_DEVICE_FEATURE",
		  VFIO_DEVICE_FEATURE, expect_ok, tag);
	c.argsz = f->argsz;
	c.flags = flags;
	call_run(&c, (unsigned long)buf);
	jb_add(&c.ex, ",\"index\":%u,\"op\":\"%s\"",
	       flags & VFIO_DEVICE_FEATURE_MASK, op);
	call_emit(wl, &c);
	return c.ret;
}

/* Ioctls without a struct (no argsz, no flags). */
static int do_plain(struct wl *wl, int fd, const char *kind, const char *name,
		    unsigned long cmd, unsigned long arg, bool expect_ok,
		    const char *tag)
{
	struct call c;

	call_init(&c, fd, kind, name, cmd, expect_ok, tag);
	call_run(&c, arg);
	call_emit(wl, &c);
	return c.ret;
}

/* ------------------------------------------------------------- edu/BAR */

static uint32_t bar_rd32(struct bar *b, uint32_t reg)
{
	uint32_t v = ~0U;

	if (b->map)
		return *(volatile uint32_t *)(b->map + reg);
	if (pread(b->fd, &v, sizeof(v), (off_t)(b->off + reg)) != sizeof(v))
		return ~0U;
	return v;
}

static void bar_wr32(struct bar *b, uint32_t reg, uint32_t val)
{
	if (b->map) {
		*(volatile uint32_t *)(b->map + reg) = val;
		return;
	}
	if (pwrite(b->fd, &val, sizeof(val), (off_t)(b->off + reg)) != sizeof(val))
		fprintf(stderr, "vfio_workload: failed to write BAR0+0x%x: %s\n",
			reg, strerror(errno));
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait until the DMA engine clears its RUN bit; returns elapsed ms or -1. */
static long edu_dma_wait(struct bar *b)
{
	long start = now_ms();

	for (;;) {
		uint32_t cmd = bar_rd32(b, EDU_REG_DMA_CMD);

		if (cmd != ~0U && !(cmd & EDU_DMA_RUN))
			return now_ms() - start;
		if (now_ms() - start > DMA_TIMEOUT_MS)
			return -1;
		sleep_ms(1);
	}
}

static bool edu_dma(struct wl *wl, struct session *s, const char *dir,
		    uint64_t src, uint64_t dst, uint32_t len, bool irq,
		    uint64_t iova)
{
	struct pollfd pfd = { .fd = s->efd, .events = POLLIN };
	uint32_t cmd = EDU_DMA_RUN, irq_status;
	long waited, irq_ms = -1, t0;
	uint64_t cnt = 0;
	struct jb j;
	int pr;

	if (!strcmp(dir, "from_device"))
		cmd |= EDU_DMA_TO_RAM;
	if (irq)
		cmd |= EDU_DMA_IRQ;
	bar_wr32(&s->bar0, EDU_REG_DMA_SRC, (uint32_t)src);
	bar_wr32(&s->bar0, EDU_REG_DMA_DST, (uint32_t)dst);
	bar_wr32(&s->bar0, EDU_REG_DMA_CNT, len);
	bar_wr32(&s->bar0, EDU_REG_DMA_CMD, cmd);
	waited = edu_dma_wait(&s->bar0);

	ev_begin(wl, &j, "dma");
	jb_str(&j, "dir", dir);
	jb_add(&j, ",\"iova\":%llu,\"dev_addr\":%u,\"len\":%u,\"irq\":%s,"
	       "\"result\":\"%s\",\"wait_ms\":%ld",
	       (unsigned long long)iova, EDU_DEV_BUF, len,
	       irq ? "true" : "false", waited >= 0 ? "ok" : "timeout", waited);
	ev_end(wl, &j);
	if (waited < 0) {
		wl_fail(wl, "edu DMA %s iova 0x%llx did not complete in %d ms",
			dir, (unsigned long long)iova, DMA_TIMEOUT_MS);
		return false;
	}
	if (!irq)
		return true;

	t0 = now_ms();
	do {
		pr = poll(&pfd, 1, IRQ_TIMEOUT_MS);
	} while (pr < 0 && errno == EINTR);
	if (pr == 1 && read(s->efd, &cnt, sizeof(cnt)) == sizeof(cnt))
		irq_ms = now_ms() - t0;
	irq_status = bar_rd32(&s->bar0, EDU_REG_IRQ_STATUS);

	ev_begin(wl, &j, "irq");
	jb_add(&j, ",\"index\":%d,\"result\":\"%s\",\"count\":%llu,"
	       "\"wait_ms\":%ld,\"irq_status\":%u",
	       s->irq_index, irq_ms >= 0 ? "ok" : "timeout",
	       (unsigned long long)cnt, irq_ms, irq_status);
	ev_end(wl, &j);

	/* ack in the device, then (INTx is automasked) unmask in VFIO */
	bar_wr32(&s->bar0, EDU_REG_IRQ_ACK, irq_status);
	if (s->irq_index == VFIO_PCI_INTX_IRQ_INDEX)
		do_set_irqs(wl, s, VFIO_IRQ_SET_DATA_NONE |
			    VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX,
			    0, 1, -1, true, "intx_unmask");
	if (irq_ms < 0) {
		wl_fail(wl, "no interrupt (index %d) within %d ms after DMA",
			s->irq_index, IRQ_TIMEOUT_MS);
		return false;
	}
	return true;
}

static bool edu_verify(struct wl *wl, const uint8_t *a, const uint8_t *b,
		       size_t len, uint64_t iova_src, uint64_t iova_dst)
{
	struct jb j;
	long bad = -1;
	size_t i;

	for (i = 0; i < len; i++) {
		if (a[i] != b[i]) {
			bad = (long)i;
			break;
		}
	}
	ev_begin(wl, &j, "dma_verify");
	jb_add(&j, ",\"iova_src\":%llu,\"iova_dst\":%llu,\"len\":%zu,"
	       "\"result\":\"%s\",\"first_bad\":%ld",
	       (unsigned long long)iova_src, (unsigned long long)iova_dst,
	       len, bad < 0 ? "ok" : "mismatch", bad);
	ev_end(wl, &j);
	if (bad >= 0) {
		wl_fail(wl, "DMA round trip mismatch at byte %ld (iova 0x%llx)",
			bad, (unsigned long long)iova_dst);
		return false;
	}
	return true;
}

/*
 * Look in the kernel log for the DMAR fault the bad DMA should cause.
 * Informational only: the log is rate limited and may be unreadable.
 */
static bool kmsg_find_fault(int kfd, char *line, size_t line_sz)
{
	long start = now_ms();
	char rec[2048];
	bool any = false;

	line[0] = '\0';
	if (kfd < 0)
		return false;
	while (now_ms() - start < KMSG_WAIT_MS) {
		ssize_t n = read(kfd, rec, sizeof(rec) - 1);
		char *msg;

		if (n < 0) {
			if (errno == EAGAIN) {
				if (line[0] && strstr(line, "addr"))
					break;
				sleep_ms(20);
				continue;
			}
			if (errno == EPIPE)
				continue;	/* overwritten records */
			break;
		}
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		if (strstr(msg, "DMAR") && (strstr(msg, "fault") ||
					    strstr(msg, "Fault"))) {
			/* prefer the line that names the faulting address */
			if (!any || strstr(msg, "addr")) {
				snprintf(line, line_sz, "%.*s", (int)line_sz - 1,
					 msg);
				any = true;
			}
		}
	}
	return any;
}

static void edu_fault_dma(struct wl *wl, struct session *s)
{
	char line[256];
	struct jb j;
	long waited;
	bool logged;
	int kfd;

	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	bar_wr32(&s->bar0, EDU_REG_DMA_SRC, (uint32_t)IOVA_FAULT);
	bar_wr32(&s->bar0, EDU_REG_DMA_DST, EDU_DEV_BUF);
	bar_wr32(&s->bar0, EDU_REG_DMA_CNT, EDU_XFER_LEN);
	bar_wr32(&s->bar0, EDU_REG_DMA_CMD, EDU_DMA_RUN);
	waited = edu_dma_wait(&s->bar0);
	logged = waited >= 0 && kmsg_find_fault(kfd, line, sizeof(line));
	if (kfd >= 0)
		close(kfd);

	ev_begin(wl, &j, "fault_dma");
	jb_add(&j, ",\"dir\":\"to_device\",\"iova\":%llu,\"len\":%u,"
	       "\"result\":\"%s\",\"wait_ms\":%ld,\"dmar_logged\":%s",
	       (unsigned long long)IOVA_FAULT, EDU_XFER_LEN,
	       waited >= 0 ? "completed" : "timeout", waited,
	       logged ? "true" : "false");
	if (logged)
		jb_str(&j, "dmar_line", line);
	ev_end(wl, &j);
	if (waited < 0)
		wl_fail(wl, "fault DMA to iova 0x%llx did not complete in %d ms",
			(unsigned long long)IOVA_FAULT, DMA_TIMEOUT_MS);
}

/* Set MEMORY|MASTER in the command register through the config region. */
static void pci_enable_master(struct wl *wl, struct session *s)
{
	uint16_t cmd = 0, new_cmd;
	struct jb j;
	bool ok = false;

	if (!s->cfg_ok)
		goto out;
	if (pread(s->device, &cmd, 2, (off_t)(s->cfg_off + PCI_CFG_COMMAND)) != 2)
		goto out;
	new_cmd = cmd | PCI_CMD_MEMORY | PCI_CMD_MASTER;
	if (new_cmd != cmd &&
	    pwrite(s->device, &new_cmd, 2, (off_t)(s->cfg_off + PCI_CFG_COMMAND)) != 2)
		goto out;
	if (pread(s->device, &new_cmd, 2, (off_t)(s->cfg_off + PCI_CFG_COMMAND)) != 2)
		goto out;
	ok = (new_cmd & PCI_CMD_MASTER) != 0;
out:
	ev_begin(wl, &j, "pci_command");
	jb_add(&j, ",\"old\":%u,\"new\":%u,\"result\":\"%s\"", cmd,
	       ok ? new_cmd : cmd, ok ? "ok" : "fail");
	ev_end(wl, &j);
	if (!ok)
		wl_fail(wl, "could not enable bus mastering via the config region");
}

static void edu_exercise(struct wl *wl, struct session *s)
{
	uint32_t ident, live, probe = 0x5a5a0000u | (wl->loop & 0xffff);
	bool irq = s->irq_index >= 0;
	struct jb j;
	size_t i;

	ident = bar_rd32(&s->bar0, EDU_REG_IDENT);
	bar_wr32(&s->bar0, EDU_REG_LIVE, probe);
	live = bar_rd32(&s->bar0, EDU_REG_LIVE);
	ev_begin(wl, &j, "edu_check");
	jb_add(&j, ",\"ident\":%u,\"live_in\":%u,\"live_out\":%u,"
	       "\"result\":\"%s\"", ident, probe, live,
	       ((ident & 0xff) == 0xed && live == ~probe) ? "ok" : "fail");
	ev_end(wl, &j);
	if ((ident & 0xff) != 0xed || live != ~probe) {
		wl_fail(wl, "edu ident/liveness check failed (ident 0x%08x, "
			"live 0x%08x for 0x%08x)", ident, live, probe);
		wl->dma_failed = true;
		return;
	}

	/* Clear any stale interrupt status from a previous run. */
	bar_wr32(&s->bar0, EDU_REG_IRQ_ACK, bar_rd32(&s->bar0, EDU_REG_IRQ_STATUS));

	for (i = 0; i < EDU_XFER_LEN; i++)
		s->big[i] = (uint8_t)(i * 31 + wl->loop * 7 + 0x5a);
	memset(s->big + BIG_DST_OFF, 0, EDU_XFER_LEN);
	memset(s->small, 0, EDU_XFER_LEN);

	if (!edu_dma(wl, s, "to_device", IOVA_BIG, EDU_DEV_BUF, EDU_XFER_LEN,
		     irq, IOVA_BIG) ||
	    !edu_dma(wl, s, "from_device", EDU_DEV_BUF, IOVA_BIG + BIG_DST_OFF,
		     EDU_XFER_LEN, irq, IOVA_BIG + BIG_DST_OFF) ||
	    !edu_verify(wl, s->big, s->big + BIG_DST_OFF, EDU_XFER_LEN,
			IOVA_BIG, IOVA_BIG + BIG_DST_OFF) ||
	    !edu_dma(wl, s, "from_device", EDU_DEV_BUF, IOVA_SMALL,
		     EDU_XFER_LEN, irq, IOVA_SMALL) ||
	    !edu_verify(wl, s->big, s->small, EDU_XFER_LEN, IOVA_BIG,
			IOVA_SMALL)) {
		wl->dma_failed = true;
		return;
	}

	if (!wl->skip_fault)
		edu_fault_dma(wl, s);
}

/* --------------------------------------------------------------- phases */

static int open_fd(struct wl *wl, const char *path, const char *kind)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		wl_fail(wl, "failed to open %s: %s", path, strerror(errno));
		return -1;
	}
	ev_fd(wl, "open", path, fd, kind);
	return fd;
}

static bool setup_container(struct wl *wl, struct session *s)
{
	struct vfio_group_status status;
	struct call c;
	char path[64];
	int ret;

	s->container = open_fd(wl, "/dev/vfio/vfio", "container");
	if (s->container < 0)
		return false;
	ret = do_plain(wl, s->container, "container", "VFIO_GET_API_VERSION",
		       VFIO_GET_API_VERSION, 0, true, NULL);
	if (ret != VFIO_API_VERSION) {
		wl_fail(wl, "unexpected VFIO API version %d", ret);
		return false;
	}
	if (do_check_extension(wl, s, VFIO_TYPE1v2_IOMMU) != 1) {
		wl_fail(wl, "container does not support VFIO_TYPE1v2_IOMMU");
		return false;
	}
	do_check_extension(wl, s, VFIO_TYPE1_IOMMU);
	do_check_extension(wl, s, VFIO_UNMAP_ALL);
	do_check_extension(wl, s, VFIO_UPDATE_VADDR);

	snprintf(path, sizeof(path), "/dev/vfio/%d", wl->t.group);
	s->group = open_fd(wl, path, "group");
	if (s->group < 0)
		return false;

	memset(&status, 0, sizeof(status));
	status.argsz = sizeof(status);
	call_init(&c, s->group, "group", "VFIO_GROUP_GET_STATUS",
		  VFIO_GROUP_GET_STATUS, true, NULL);
	c.argsz = sizeof(status);
	c.flags = 0;
	call_run(&c, (unsigned long)&status);
	jb_add(&c.ex, ",\"argsz_out\":%u,\"flags_out\":%u", status.argsz,
	       status.flags);
	call_emit(wl, &c);
	if (c.ret < 0)
		return false;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		wl_fail(wl, "group %d is not viable (bind every device in it "
			"to vfio-pci)", wl->t.group);
		return false;
	}

	call_init(&c, s->group, "group", "VFIO_GROUP_SET_CONTAINER",
		  VFIO_GROUP_SET_CONTAINER, true, NULL);
	call_run(&c, (unsigned long)&s->container);
	jb_add(&c.ex, ",\"container_fd\":%d", s->container);
	call_emit(wl, &c);
	if (c.ret < 0)
		return false;
	s->container_set = true;

	call_init(&c, s->container, "container", "VFIO_SET_IOMMU",
		  VFIO_SET_IOMMU, true, NULL);
	call_run(&c, VFIO_TYPE1v2_IOMMU);
	jb_add(&c.ex, ",\"arg\":%d", VFIO_TYPE1v2_IOMMU);
	call_emit(wl, &c);
	return c.ret >= 0;
}

static bool setup_iommu(struct wl *wl, struct session *s)
{
	uint32_t need = 0, flags = 0, argsz;

	/* Too small for caps: the kernel sets INFO_CAPS and asks for more. */
	if (do_iommu_info(wl, s, IOMMU_INFO_OLD_SZ, false, "probe_small",
			  &need, &flags) < 0)
		return false;
	argsz = sizeof(struct vfio_iommu_type1_info);
	if ((flags & VFIO_IOMMU_INFO_CAPS) && need > argsz)
		argsz = need;
	if (argsz > INFO_BUF_SZ)
		argsz = INFO_BUF_SZ;
	if (do_iommu_info(wl, s, argsz, true, "full", &need, &flags) < 0)
		return false;

	s->big = mmap(NULL, IOVA_BIG_SZ, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s->small = mmap(NULL, IOVA_SMALL_SZ, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->big == MAP_FAILED || s->small == MAP_FAILED) {
		wl_fail(wl, "failed to mmap DMA buffers: %s", strerror(errno));
		return false;
	}
	if (do_map(wl, s, sizeof(struct vfio_iommu_type1_dma_map),
		   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		   (uintptr_t)s->big, IOVA_BIG, IOVA_BIG_SZ, true, NULL) < 0)
		return false;
	s->big_mapped = true;
	if (do_map(wl, s, sizeof(struct vfio_iommu_type1_dma_map),
		   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		   (uintptr_t)s->small, IOVA_SMALL, IOVA_SMALL_SZ, true, NULL) < 0)
		return false;
	s->small_mapped = true;
	return true;
}

/* --wait-after-open PATH: the device fd is open; say so (PATH.open) and
 * wait, at most two minutes, for PATH to appear before any call on it (a
 * tracer started meanwhile sees an fd opened before it). */
static void wait_after_open(const char *path)
{
	char ready[512];
	int fd, i;

	snprintf(ready, sizeof(ready), "%s.open", path);
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 1200 && access(path, F_OK); i++)
		usleep(100000);
}

static bool setup_device(struct wl *wl, struct session *s)
{
	struct vfio_region_info region, bar0_info;
	uint32_t argsz_out, i, argsz;
	struct call c;
	bool have_bar0 = false;
	struct jb j;

	call_init(&c, s->group, "group", "VFIO_GROUP_GET_DEVICE_FD",
		  VFIO_GROUP_GET_DEVICE_FD, true, NULL);
	call_run(&c, (unsigned long)wl->t.bdf);
	jb_str(&c.ex, "dev_name", wl->t.bdf);
	call_emit(wl, &c);
	if (c.ret < 0)
		return false;
	s->device = c.ret;
	ev_fd(wl, "open", NULL, s->device, "device");
	if (wl->wait_path)
		wait_after_open(wl->wait_path);

	/* Too small for cap_offset first (pre-5.10 layout), then the real size. */
	if (do_device_info(wl, s, DEVICE_INFO_OLD_SZ, false, "probe_small",
			   &argsz_out) < 0)
		return false;
	argsz = sizeof(struct vfio_device_info);
	if (do_device_info(wl, s, argsz, true, "full", &argsz_out) < 0)
		return false;
	if ((s->dev_flags & VFIO_DEVICE_FLAGS_CAPS) && argsz_out > argsz &&
	    argsz_out <= INFO_BUF_SZ) {
		if (do_device_info(wl, s, argsz_out, true, "caps_retry",
				   &argsz_out) < 0)
			return false;
	}

	memset(&bar0_info, 0, sizeof(bar0_info));
	for (i = 0; i < s->num_regions && i < 64; i++) {
		bool expect = true;

		/* The VGA region exists only for VGA-class devices. */
		if (i == VFIO_PCI_VGA_REGION_INDEX &&
		    (wl->t.class_code >> 8) != 0x0300)
			expect = false;
		argsz = sizeof(struct vfio_region_info);
		if (do_region_info(wl, s, i, argsz, expect, &argsz_out,
				   &region) < 0)
			continue;
		if ((region.flags & VFIO_REGION_INFO_FLAG_CAPS) &&
		    argsz_out > argsz && argsz_out <= INFO_BUF_SZ)
			do_region_info(wl, s, i, argsz_out, true, &argsz_out,
				       &region);
		if (i == VFIO_PCI_BAR0_REGION_INDEX) {
			bar0_info = region;
			have_bar0 = true;
		}
		if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
			s->cfg_off = region.offset;
			s->cfg_ok = true;
		}
	}

	for (i = 0; i < s->num_irqs && i < 64; i++) {
		bool expect = true;

		/* vfio-pci answers the ERR index only for PCIe devices. */
		if (i == VFIO_PCI_ERR_IRQ_INDEX && !wl->t.is_pcie)
			expect = false;
		do_irq_info(wl, s, i, expect);
	}

	/* What QEMU asks first when it looks for migration support. */
	do_feature(wl, s, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
		   8, false, "get", "migration_query");
	/* A PROBE that vfio-pci (>= 6.0) answers with success. */
	do_feature(wl, s, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		   VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, 0,
		   wl->t.kmajor >= 6,
		   "probe|set", "low_power_probe");

	if (!have_bar0 || bar0_info.size < 0x100) {
		wl_fail(wl, "BAR0 region missing or too small");
		return false;
	}
	s->bar0.fd = s->device;
	s->bar0.off = bar0_info.offset;
	s->bar0.size = bar0_info.size;
	if (bar0_info.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		void *p = mmap(NULL, bar0_info.size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, s->device, (off_t)bar0_info.offset);

		if (p != MAP_FAILED) {
			s->bar0.map = p;
			s->bar0.map_len = bar0_info.size;
		}
	}
	ev_begin(wl, &j, "bar0");
	jb_add(&j, ",\"access\":\"%s\",\"size\":%llu,\"offset\":%llu",
	       s->bar0.map ? "mmap" : "pread",
	       (unsigned long long)bar0_info.size,
	       (unsigned long long)bar0_info.offset);
	ev_end(wl, &j);
	s->bar0.usable = true;
	pci_enable_master(wl, s);
	return true;
}

static void setup_irq(struct wl *wl, struct session *s)
{
	int index = -1;

	if (!wl->force_intx && s->irq_info_ok[VFIO_PCI_MSI_IRQ_INDEX] &&
	    s->irq_count[VFIO_PCI_MSI_IRQ_INDEX] >= 1)
		index = VFIO_PCI_MSI_IRQ_INDEX;
	else if (s->irq_info_ok[VFIO_PCI_INTX_IRQ_INDEX] &&
		 s->irq_count[VFIO_PCI_INTX_IRQ_INDEX] >= 1)
		index = VFIO_PCI_INTX_IRQ_INDEX;
	if (index < 0) {
		wl_fail(wl, "device offers neither MSI nor INTx");
		return;
	}
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->efd < 0) {
		wl_fail(wl, "failed to create eventfd: %s", strerror(errno));
		return;
	}
	if (do_set_irqs(wl, s, VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 1, s->efd, true,
			"enable") >= 0)
		s->irq_index = index;
}

static void wrong_calls(struct wl *wl, struct session *s)
{
	uint32_t need, flags;
	uint64_t size_out;

	/* argsz below minsz (32) */
	if (do_map(wl, s, 8, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		   (uintptr_t)s->small, IOVA_BAD, IOVA_SMALL_SZ, false,
		   "map_argsz_8") >= 0)
		do_unmap(wl, s, 0, IOVA_BAD, IOVA_SMALL_SZ, true,
			 "cleanup_after_unexpected_map", NULL);
	/* header generations: pre-5.4 and a bigger, newer one */
	do_iommu_info(wl, s, IOMMU_INFO_OLD_SZ, false, "iommu_info_argsz_16",
		      &need, &flags);
	do_iommu_info(wl, s, IOMMU_INFO_NEWER_SZ, false, "iommu_info_argsz_64",
		      &need, &flags);
	/* pre-5.10 vfio_device_info */
	do_device_info(wl, s, DEVICE_INFO_OLD_SZ, false,
		       "device_info_argsz_16", &need);
	/* unknown flag bits */
	if (do_map(wl, s, sizeof(struct vfio_iommu_type1_dma_map),
		   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | (1u << 7),
		   (uintptr_t)s->small, IOVA_BAD, IOVA_SMALL_SZ, false,
		   "map_flag_bit7") >= 0)
		do_unmap(wl, s, 0, IOVA_BAD, IOVA_SMALL_SZ, true,
			 "cleanup_after_unexpected_map", NULL);
	do_unmap(wl, s, 1u << 6, IOVA_BAD, IOVA_SMALL_SZ, false,
		 "unmap_flag_bit6", &size_out);
}

static void teardown(struct wl *wl, struct session *s)
{
	uint64_t size_out;

	if (s->irq_index >= 0 && s->device >= 0)
		do_set_irqs(wl, s, VFIO_IRQ_SET_DATA_NONE |
			    VFIO_IRQ_SET_ACTION_TRIGGER, s->irq_index, 0, 0,
			    -1, true, "disable");
	s->irq_index = -1;
	if (s->big_mapped)
		do_unmap(wl, s, 0, IOVA_BIG, IOVA_BIG_SZ, true, NULL, &size_out);
	if (s->small_mapped)
		do_unmap(wl, s, 0, IOVA_SMALL, IOVA_SMALL_SZ, true, NULL,
			 &size_out);
	s->big_mapped = false;
	s->small_mapped = false;
	if (s->bar0.map)
		munmap((void *)s->bar0.map, s->bar0.map_len);
	s->bar0.map = NULL;
	if (s->device >= 0) {
		close(s->device);
		ev_fd(wl, "close", NULL, s->device, "device");
	}
	s->device = -1;
	if (s->efd >= 0)
		close(s->efd);
	s->efd = -1;
	if (s->container_set)
		do_plain(wl, s->group, "group", "VFIO_GROUP_UNSET_CONTAINER",
			 VFIO_GROUP_UNSET_CONTAINER, 0, true, NULL);
	s->container_set = false;
	if (s->group >= 0) {
		close(s->group);
		ev_fd(wl, "close", NULL, s->group, "group");
	}
	s->group = -1;
	if (s->container >= 0) {
		close(s->container);
		ev_fd(wl, "close", NULL, s->container, "container");
	}
	s->container = -1;
	if (s->big && s->big != MAP_FAILED)
		munmap(s->big, IOVA_BIG_SZ);
	if (s->small && s->small != MAP_FAILED)
		munmap(s->small, IOVA_SMALL_SZ);
	s->big = NULL;
	s->small = NULL;
}

/* IOMMU_IOAS_NOIOMMU_GET_PA (7.3) on fd: size 40, flags 0, ioas 0. */
static void noiommu_get_pa(struct wl *wl, int fd, const char *kind)
{
	uint32_t buf[10] = { 40 };
	struct call c;

	call_init(&c, fd, kind, "IOMMU_IOAS_NOIOMMU_GET_PA", IOMMU_IOAS_NOIOMMU_GET_PA_CMD, false,
		  "noiommu_get_pa");
	c.argsz = 40;
	c.flags = 0;
	call_run(&c, (unsigned long)buf);
	call_emit(wl, &c);
}

/*
 * --catalog-rows: the calls the catalog learnt from the 7.1-7.3 headers,
 * each answered by a kernel that has it and refused (ENOTTY) by one that
 * has not: VFIO_DEVICE_FEATURE 12 (SET) and 13 (GET), an index no kernel
 * has, and IOMMU_IOAS_NOIOMMU_GET_PA on the container and on /dev/iommu
 * where there is one. The edu device has no migration, so even 7.1+
 * refuses feature 12 (EINVAL, after knowing it).
 */
static void catalog_rows(struct wl *wl, struct session *s)
{
	int fd;

	do_feature(wl, s, VFIO_DEVICE_FEATURE_SET | FEATURE_MIG_PRECOPY_INFOv2, 0, false,
		   "set", "precopy_info_v2");
	do_feature(wl, s, VFIO_DEVICE_FEATURE_GET | FEATURE_ZPCI_ERROR, 8, false, "get",
		   "zpci_error");
	do_feature(wl, s, VFIO_DEVICE_FEATURE_GET | FEATURE_NONE_YET, 0, false, "get",
		   "no_such_feature");
	noiommu_get_pa(wl, s->container, "container");
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	ev_fd(wl, "open", "/dev/iommu", fd, "iommufd");
	noiommu_get_pa(wl, fd, "iommufd");
	close(fd);
	ev_fd(wl, "close", NULL, fd, "iommufd");
}

static void run_once(struct wl *wl)
{
	struct session s;

	memset(&s, 0, sizeof(s));
	s.container = s.group = s.device = s.efd = -1;
	s.irq_index = -1;

	/* 1-4: container, group, IOMMU, mappings, device discovery */
	if (!setup_container(wl, &s) || !setup_iommu(wl, &s) ||
	    !setup_device(wl, &s)) {
		wl->dma_failed = true;
		goto cleanup;
	}
	if (wl->catalog_rows) {
		catalog_rows(wl, &s);
		goto cleanup;
	}

	/* 5: interrupts and the device itself */
	setup_irq(wl, &s);
	edu_exercise(wl, &s);

	/* 6: reset (edu on the root bus has no reset method), irq disable */
	do_plain(wl, s.device, "device", "VFIO_DEVICE_RESET", VFIO_DEVICE_RESET,
		 0, (s.dev_flags & VFIO_DEVICE_FLAGS_RESET) != 0, NULL);
	if (s.irq_index >= 0)
		do_set_irqs(wl, &s, VFIO_IRQ_SET_DATA_NONE |
			    VFIO_IRQ_SET_ACTION_TRIGGER, s.irq_index, 0, 0, -1,
			    true, "disable");
	s.irq_index = -1;

	/* 7: deliberately wrong calls */
	wrong_calls(wl, &s);

cleanup:
	/* 8: unmap, close device, unset container, close the rest */
	teardown(wl, &s);
}

/* ------------------------------------------------------------ discovery */

static int read_hex_file(const char *path, unsigned int *val)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	*val = (unsigned int)strtoul(buf, NULL, 16);
	return 0;
}

static bool is_edu(const char *devdir)
{
	char path[PATH_MAX];
	unsigned int v = 0, d = 0;

	snprintf(path, sizeof(path), "%s/vendor", devdir);
	if (read_hex_file(path, &v))
		return false;
	snprintf(path, sizeof(path), "%s/device", devdir);
	if (read_hex_file(path, &d))
		return false;
	return v == EDU_VENDOR && d == EDU_DEVICE;
}

/* Find the first edu device under @dir (a directory of BDF entries). */
static int find_edu_in(const char *dir, char *bdf, size_t bdf_sz, bool any)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = -1;

	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (strlen(de->d_name) >= bdf_sz)
			continue;
		if (any || is_edu(path)) {
			memcpy(bdf, de->d_name, strlen(de->d_name) + 1);
			ret = 0;
			if (!any)
				break;
		}
	}
	closedir(d);
	return ret;
}

static int link_basename(const char *path, char *out, size_t out_sz)
{
	char buf[PATH_MAX];
	ssize_t n;
	char *base;

	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	if (strlen(base) >= out_sz)
		return -1;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

static void read_config_facts(struct target *t)
{
	char path[PATH_MAX];
	uint8_t cfg[256];
	unsigned int cls = 0;
	ssize_t n;
	int fd, steps;
	uint8_t pos;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", t->bdf);
	if (!read_hex_file(path, &cls))
		t->class_code = cls;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", t->bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	memset(cfg, 0, sizeof(cfg));
	n = read(fd, cfg, sizeof(cfg));
	close(fd);
	if (n < 64 || !(cfg[0x06] & 0x10))
		return;
	pos = cfg[0x34] & 0xfc;
	for (steps = 0; pos >= 0x40 && steps < 48; steps++) {
		if ((size_t)pos + 1 >= (size_t)n)
			break;
		if (cfg[pos] == 0x10) {
			t->is_pcie = true;
			break;
		}
		pos = cfg[pos + 1] & 0xfc;
	}
}

static int discover(struct target *t, const char *bdf_arg, int group_arg,
		    char *err, size_t err_sz)
{
	char path[PATH_MAX], name[64];
	struct utsname u;
	struct stat st;

	if (bdf_arg) {
		snprintf(t->bdf, sizeof(t->bdf), "%s", bdf_arg);
	} else if (group_arg >= 0) {
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
			 group_arg);
		if (find_edu_in(path, t->bdf, sizeof(t->bdf), false) &&
		    find_edu_in(path, t->bdf, sizeof(t->bdf), true)) {
			snprintf(err, err_sz, "no device found in IOMMU group %d",
				 group_arg);
			return -1;
		}
	} else if (find_edu_in("/sys/bus/pci/devices", t->bdf, sizeof(t->bdf),
			       false)) {
		snprintf(err, err_sz, "no edu device (%04x:%04x) found in "
			 "/sys/bus/pci/devices", EDU_VENDOR, EDU_DEVICE);
		return -1;
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", t->bdf);
	if (stat(path, &st)) {
		snprintf(err, err_sz, "PCI device %s not found in /sys/bus/pci/devices",
			 t->bdf);
		return -1;
	}
	if (!is_edu(path)) {
		snprintf(err, err_sz, "PCI device %s is not an edu device "
			 "(%04x:%04x)", t->bdf, EDU_VENDOR, EDU_DEVICE);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", t->bdf);
	if (link_basename(path, name, sizeof(name)) || strcmp(name, "vfio-pci")) {
		snprintf(err, err_sz, "edu device %s is bound to %s, not vfio-pci",
			 t->bdf, access(path, F_OK) ? "no driver" : name);
		return -1;
	}
	if (group_arg >= 0) {
		t->group = group_arg;
	} else {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
			 t->bdf);
		if (link_basename(path, name, sizeof(name))) {
			snprintf(err, err_sz, "edu device %s has no iommu_group "
				 "(is the IOMMU enabled?)", t->bdf);
			return -1;
		}
		t->group = atoi(name);
	}
	read_config_facts(t);
	if (!uname(&u)) {
		snprintf(t->krelease, sizeof(t->krelease), "%s", u.release);
		sscanf(u.release, "%d.%d", &t->kmajor, &t->kminor);
	}
	return 0;
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vfio_workload [--group N | --bdf DDDD:BB:DD.F] "
		"[--manifest FILE] [--skip-fault] [--loop N] [--intx] [--catalog-rows]\n"
		"       [--wait-after-open PATH]\n"
		"Drives the QEMU edu device (1234:11e8) through VFIO and writes one "
		"JSON line per ioctl to FILE (default: stdout).\n"
		"--catalog-rows: after the set-up, only the 7.1-7.3 catalog rows' calls.\n"
		"--wait-after-open PATH: with the device fd open, create PATH.open and "
		"wait for PATH.\n");
}

static bool parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "bdf", required_argument, NULL, 'b' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "skip-fault", no_argument, NULL, 's' },
		{ "loop", required_argument, NULL, 'l' },
		{ "intx", no_argument, NULL, 'i' },
		{ "catalog-rows", no_argument, NULL, 'r' },
		{ "wait-after-open", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bdf = NULL, *manifest = NULL;
	long group = -1, loops = 1, v;
	char err[384] = "";
	struct wl wl;
	struct jb j;
	bool pass;
	int opt;

	memset(&wl, 0, sizeof(wl));
	while ((opt = getopt_long(argc, argv, "g:b:m:sl:irw:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'g':
			if (!parse_int(optarg, 0, INT_MAX, &v)) {
				fprintf(stderr, "vfio_workload: bad --group '%s'\n", optarg);
				return 2;
			}
			group = v;
			break;
		case 'b':
			bdf = optarg;
			break;
		case 'm':
			manifest = optarg;
			break;
		case 's':
			wl.skip_fault = true;
			break;
		case 'l':
			if (!parse_int(optarg, 1, 100000, &v)) {
				fprintf(stderr, "vfio_workload: bad --loop '%s'\n", optarg);
				return 2;
			}
			loops = v;
			break;
		case 'i':
			wl.force_intx = true;
			break;
		case 'r':
			wl.catalog_rows = true;
			break;
		case 'w':
			wl.wait_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	wl.mf = stdout;
	if (manifest) {
		wl.mf = fopen(manifest, "w");
		if (!wl.mf) {
			fprintf(stderr, "vfio_workload: failed to open manifest %s: %s\n",
				manifest, strerror(errno));
			return 1;
		}
	}

	if (discover(&wl.t, bdf, (int)group, err, sizeof(err))) {
		ev_begin(&wl, &j, "done");
		jb_add(&j, ",\"ioctls\":0,\"failed_unexpected\":0,"
		       "\"succeeded_unexpected\":0,\"dma_verified\":false,"
		       "\"result\":\"fail\"");
		jb_str(&j, "reason", err);
		ev_end(&wl, &j);
		fprintf(stderr, "vfio_workload: %s\n", err);
		if (wl.mf != stdout)
			fclose(wl.mf);
		return 1;
	}

	ev_begin(&wl, &j, "start");
	jb_add(&j, ",\"schema\":1,\"pid\":%d", (int)getpid());
	jb_str(&j, "bdf", wl.t.bdf);
	jb_add(&j, ",\"group\":%d,\"class\":%u,\"pcie\":%s", wl.t.group,
	       wl.t.class_code, wl.t.is_pcie ? "true" : "false");
	jb_str(&j, "kernel", wl.t.krelease);
	jb_add(&j, ",\"loops\":%ld,\"skip_fault\":%s,\"intx\":%s,"
	       "\"hdr_iommu_info_size\":%zu,\"hdr_device_info_size\":%zu",
	       loops, wl.skip_fault ? "true" : "false",
	       wl.force_intx ? "true" : "false",
	       sizeof(struct vfio_iommu_type1_info),
	       sizeof(struct vfio_device_info));
	ev_end(&wl, &j);

	for (wl.loop = 0; wl.loop < (unsigned int)loops; wl.loop++)
		run_once(&wl);
	wl.loop--;

	pass = !wl.failed_unexpected && !wl.dma_failed && !wl.reason[0];
	if (!pass && !wl.reason[0])
		wl_fail(&wl, "%u expected-ok ioctls failed", wl.failed_unexpected);
	ev_begin(&wl, &j, "done");
	jb_add(&j, ",\"ioctls\":%u,\"failed_unexpected\":%u,"
	       "\"succeeded_unexpected\":%u,\"dma_verified\":%s,"
	       "\"result\":\"%s\"",
	       wl.seq, wl.failed_unexpected, wl.succeeded_unexpected,
	       wl.dma_failed ? "false" : "true", pass ? "pass" : "fail");
	if (!pass)
		jb_str(&j, "reason", wl.reason);
	ev_end(&wl, &j);
	if (wl.mf != stdout)
		fclose(wl.mf);
	if (!pass) {
		fprintf(stderr, "vfio_workload: %s\n", wl.reason);
		return 1;
	}
	return 0;
}

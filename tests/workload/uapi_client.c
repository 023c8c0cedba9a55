// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_client: the 5.10 IOMMU UAPI structs, sent for real. Opens the VFIO
 * container and the edu device's group (so the group is attached to a
 * type1 domain), then passes buffers through /dev/isc_uapi (the test-only
 * module in tests/guest/uapi) to iommu_uapi_cache_invalidate,
 * iommu_uapi_sva_bind_gpasid and iommu_page_response: right argsz and
 * version 1, version 2, a truncated argsz, an older and a newer one.
 * Prints one JSON line per call (what was sent and what came back) for
 * tests/guest-uapi.bats to compare with what iommuscope recorded.
 *
 *   uapi_client [-g GROUP] [-d /dev/isc_uapi]
 *
 * GROUP defaults to $ISC_GROUP. Exit 0 when every call could be issued
 * (whatever the kernel answered), 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>

#include "../guest/uapi/isc_uapi.h"
#include "container.h"

/*
 * The 5.10 layouts (include/uapi/linux/iommu.h, removed in 5.18: not in
 * the host's headers). Only sizes and the leading fields matter here.
 *   iommu_cache_invalidate_info: argsz, version, cache, granularity,
 *     padding[6], then the granu union; 56 bytes, minimum (offset of the
 *     union) 16.
 *   iommu_gpasid_bind_data: argsz, version, format, addr_width, flags,
 *     gpgd, hpasid, gpasid, padding[8], then the vendor union; 72 bytes,
 *     minimum 56.
 *   iommu_page_response: argsz, version, flags, pasid, grpid, code; 24.
 */
#define INV_SIZE	56
#define INV_MINSZ	16
#define BIND_SIZE	72
#define BIND_MINSZ	56
#define RESP_SIZE	24
#define PASID_FORMAT_INTEL_VTD	1

static void die(const char *what)
{
	container_die("uapi_client", what);
}

static int dev = -1;

/* One call; the buffer is zeroed beyond what is set, 128 bytes so a
 * larger argsz never reads past it. */
static void call(const char *name, unsigned long cmd, const char *kase, uint32_t argsz,
		 uint32_t version)
{
	union {
		uint32_t w[32];
		unsigned char b[128];
	} buf;
	int r, err;

	memset(&buf, 0, sizeof(buf));
	buf.w[0] = argsz;
	buf.w[1] = version;
	if (cmd == ISC_UAPI_BIND_GPASID)
		buf.w[2] = PASID_FORMAT_INTEL_VTD;	/* format */
	r = ioctl(dev, cmd, &buf);
	err = r < 0 ? errno : 0;
	printf("{\"call\":\"%s\",\"case\":\"%s\",\"argsz\":%u,\"version\":%u,\"ret\":%d,"
	       "\"errno\":%d,\"error\":\"%s\"}\n", name, kase, argsz, version, r < 0 ? -err : r,
	       err, err ? strerror(err) : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *group = getenv("ISC_GROUP"), *node = "/dev/isc_uapi";
	int opt, container;

	while ((opt = getopt(argc, argv, "g:d:")) != -1) {
		switch (opt) {
		case 'g':
			group = optarg;
			break;
		case 'd':
			node = optarg;
			break;
		default:
			fprintf(stderr, "usage: uapi_client [-g GROUP] [-d NODE]\n");
			return 2;
		}
	}
	if (!group || optind != argc) {
		fprintf(stderr, "usage: uapi_client [-g GROUP] [-d NODE] (or set ISC_GROUP)\n");
		return 2;
	}
	container = container_open("uapi_client", group);
	dev = open(node, O_RDWR);
	if (dev < 0)
		die(node);
	printf("{\"pid\":%d}\n", (int)getpid());

	call("cache_invalidate", ISC_UAPI_CACHE_INV, "ok", INV_SIZE, 1);
	call("cache_invalidate", ISC_UAPI_CACHE_INV, "bad-version", INV_SIZE, 2);
	call("cache_invalidate", ISC_UAPI_CACHE_INV, "truncated", 8, 1);
	call("cache_invalidate", ISC_UAPI_CACHE_INV, "older-struct", INV_MINSZ, 1);
	call("cache_invalidate", ISC_UAPI_CACHE_INV, "newer-struct", INV_SIZE + 8, 1);

	call("bind_gpasid", ISC_UAPI_BIND_GPASID, "ok", BIND_SIZE, 1);
	call("bind_gpasid", ISC_UAPI_BIND_GPASID, "bad-version", BIND_SIZE, 2);
	call("bind_gpasid", ISC_UAPI_BIND_GPASID, "truncated", 40, 1);
	call("bind_gpasid", ISC_UAPI_BIND_GPASID, "older-struct", BIND_MINSZ, 1);
	call("bind_gpasid", ISC_UAPI_BIND_GPASID, "newer-struct", BIND_SIZE + 8, 1);

	call("page_response", ISC_UAPI_PAGE_RESP, "ok", RESP_SIZE, 1);
	call("page_response", ISC_UAPI_PAGE_RESP, "bad-version", RESP_SIZE, 2);

	close(dev);
	close(container);
	return 0;
}

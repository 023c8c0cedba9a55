// SPDX-License-Identifier: GPL-2.0
/* Seed corpus for fuzz_record: a few valid records of each type, written as
 * files into the directory given, so the fuzzer starts past the header
 * checks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "events.h"
#include "policy.h"

static void put(const char *dir, const char *name, const void *rec, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(rec, len, 1, f) != 1) {
		perror(path);
		return;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct isc_ioctl_event e = {
		.hdr = { ISC_EV_IOCTL, ISC_EVENT_VERSION, sizeof(e), 1 },
		.pid = 1, .tid = 1, .fd = 3, .entry_hook = ISC_HOOK_TP, .exit_hook = ISC_HOOK_TP,
		.arg_len = ISC_ARG_HEAD, .iof = ISC_IOF_ARG_READ | ISC_IOF_ARGSZ_OUT, .comm = "qemu",
	};
	struct isc_iommu_event m = {
		.hdr = { ISC_EV_IOMMU, ISC_EVENT_VERSION, sizeof(m), 1 },
		.op = ISC_IOMMU_BIND, .hook = ISC_IH_ATTACH_GROUP, .group_id = 2, .device = "0000:00:02.0",
	};
	struct isc_deny_event d = {
		.hdr = { ISC_EV_DENY, ISC_EVENT_VERSION, sizeof(d), 1 },
		.pid = 1, .tid = 1, .cmd = 0x3b71, .argsz = 32, .flags = 0x23, .bad = 0x20,
		.err = 1, .line = 3, .fd_kind = ISC_FD_CONTAINER, .reason = ISC_DENY_FLAGS,
		.hook = ISC_EH_FILE_IOCTL, .comm = "qemu",
	};
	static const struct { uint32_t cmd; uint8_t kind; uint32_t argsz, flags; } calls[] = {
		{ 0x3b71, ISC_FD_CONTAINER, 32, 3 }, { 0x3b70, ISC_FD_CONTAINER, 16, 0 },
		{ 0x3b6e, ISC_FD_DEVICE, 24, 0x24 }, { 0x3b75, ISC_FD_DEVICE, 8, 0x60003 },
		{ 0x3b89, ISC_FD_IOMMUFD, 48, 4 }, { 0x3b6a, ISC_FD_GROUP, 0, 0 },
	};
	char name[32];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		e.cmd = calls[i].cmd;
		e.fd_kind = calls[i].kind;
		memcpy(e.arg_head, &calls[i].argsz, 4);
		memcpy(e.arg_head + 4, &calls[i].flags, 4);
		e.argsz_out = calls[i].argsz + 100;
		e.nr_caps = 2;
		e.caps[0] = 1 | 1 << 16;
		e.caps[1] = 3 | 1 << 16;
		e.iof |= ISC_IOF_CAPS;
		snprintf(name, sizeof(name), "ioctl-%zu", i);
		put(argv[1], name, &e, sizeof(e));
	}
	put(argv[1], "bind", &m, sizeof(m));
	m.op = ISC_IOMMU_FAULT;
	m.hook = ISC_IH_DMAR_FAULT;
	m.ief = ISC_IEF_SID;
	m.source_id = 0x10;
	put(argv[1], "fault", &m, sizeof(m));
	/* the 5.x IOMMU UAPI: classified, printed with a verdict */
	m.op = ISC_IOMMU_INVALIDATE;
	m.hook = ISC_IH_UAPI_CACHE_INV;
	m.ief = ISC_IEF_UAPI | ISC_IEF_RET;
	m.uapi_argsz = 8;
	m.uapi_version = 2;
	m.ret = -22;
	put(argv[1], "uapi-inv", &m, sizeof(m));
	m.op = ISC_IOMMU_PAGE_RESPONSE;
	m.hook = ISC_IH_PAGE_RESPONSE;
	m.ief = ISC_IEF_UAPI | ISC_IEF_PASID;
	m.uapi_argsz = 24;
	m.pasid = 5;
	put(argv[1], "page-response", &m, sizeof(m));
	put(argv[1], "deny", &d, sizeof(d));
	d.reason = ISC_RACE;
	d.hook = ISC_EH_HANDLER;
	d.err = 0;
	d.flags_later = 0x23;
	put(argv[1], "race", &d, sizeof(d));
	return 0;
}

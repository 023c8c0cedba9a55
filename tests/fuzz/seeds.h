/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seed records: a few valid records of each type (ioctl, IOMMU, deny,
 * race). tests/fuzz/mkseeds.c writes them as files for fuzz_record;
 * tests/unit/test_outeq.c prints them (and mutations of them) through both
 * sinks. Changing a record here changes fuzz_record's seed corpus too.
 */
#ifndef ISC_SEEDS_H
#define ISC_SEEDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "events.h"
#include "policy.h"

/* Called once per seed record, in a fixed order: its name (mkseeds' file
 * name), its bytes and its size. */
typedef void (*isc_seed_fn)(void *ctx, const char *name, const void *rec, size_t len);

static inline void isc_seeds(isc_seed_fn put, void *ctx)
{
	struct isc_ioctl_event e = {
		.hdr = { ISC_EV_IOCTL, ISC_EVENT_VERSION, sizeof(e), 1 },
		.pid = 1, .tid = 1, .fd = 3, .entry_hook = ISC_HOOK_TP, .exit_hook = ISC_HOOK_TP,
		.arg_len = ISC_ARG_HEAD, .iof = ISC_IOF_ARG_READ | ISC_IOF_ARGSZ_OUT, .comm = "qemu",
		.dev = { "0000:00:02.0", 5 },
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
		/* only a device fd's record carries its device */
		e.iof &= ~ISC_IOF_DEVICE;
		if (e.fd_kind == ISC_FD_DEVICE)
			e.iof |= ISC_IOF_DEVICE;
		e.hdr.size = e.fd_kind == ISC_FD_DEVICE ? ISC_IOCTL_DEV_SIZE : ISC_IOCTL_BASE_SIZE;
		snprintf(name, sizeof(name), "ioctl-%zu", i);
		put(ctx, name, &e, e.hdr.size);
	}
	/* a version 2 record (an older capture): no device part */
	e.hdr.version = 2;
	e.hdr.size = ISC_IOCTL_BASE_SIZE;
	e.iof &= ~ISC_IOF_DEVICE;
	put(ctx, "ioctl-v2", &e, e.hdr.size);
	put(ctx, "bind", &m, sizeof(m));
	m.op = ISC_IOMMU_FAULT;
	m.hook = ISC_IH_DMAR_FAULT;
	m.ief = ISC_IEF_SID;
	m.source_id = 0x10;
	put(ctx, "fault", &m, sizeof(m));
	/* the 5.x IOMMU UAPI: classified, printed with a verdict */
	m.op = ISC_IOMMU_INVALIDATE;
	m.hook = ISC_IH_UAPI_CACHE_INV;
	m.ief = ISC_IEF_UAPI | ISC_IEF_RET;
	m.uapi_argsz = 8;
	m.uapi_version = 2;
	m.ret = -22;
	put(ctx, "uapi-inv", &m, sizeof(m));
	m.op = ISC_IOMMU_PAGE_RESPONSE;
	m.hook = ISC_IH_PAGE_RESPONSE;
	m.ief = ISC_IEF_UAPI | ISC_IEF_PASID;
	m.uapi_argsz = 24;
	m.pasid = 5;
	put(ctx, "page-response", &m, sizeof(m));
	d.dev.iommu_group = -1;
	put(ctx, "deny", &d, sizeof(d));
	/* on a device fd: its device; and a version 2 one, without */
	d.fd_kind = ISC_FD_DEVICE;
	d.cmd = 0x3b6f;
	memcpy(d.dev.name, "0000:00:02.0", 13);
	d.dev.iommu_group = 5;
	put(ctx, "deny-device", &d, sizeof(d));
	d.hdr.version = 2;
	d.hdr.size = ISC_DENY_V2_SIZE;
	put(ctx, "deny-v2", &d, d.hdr.size);
	d.hdr.version = ISC_EVENT_VERSION;
	d.hdr.size = sizeof(d);
	d.fd_kind = ISC_FD_CONTAINER;
	d.cmd = 0x3b71;
	memset(&d.dev, 0, sizeof(d.dev));
	d.dev.iommu_group = -1;
	d.reason = ISC_RACE;
	d.hook = ISC_EH_HANDLER;
	d.err = 0;
	d.flags_later = 0x23;
	put(ctx, "race", &d, sizeof(d));
}

#endif /* ISC_SEEDS_H */

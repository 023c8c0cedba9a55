// SPDX-License-Identifier: GPL-2.0
/* The compatibility classifier: every class, both container backends,
 * payload rules, flag roles, kernel eras, and the caps-truncated tracker.
 * Kernel sizes come from the catalog's history for the version under test
 * (this host's BTF has no VFIO types). */
#include <errno.h>
#include <stdint.h>
#include "catalog_map.h"
#include "classify.h"
#include "harness.h"

static struct isc_abi abi_of(const char *release)
{
	struct isc_abi a = {};

	abi__learn(&a, release, false);
	return a;
}

struct call {
	uint32_t cmd;
	uint8_t kind;
	uint32_t head[8];	/* first 32 bytes of the struct */
	uint8_t len;		/* bytes captured */
	int64_t ret;
	uint32_t argsz_out;	/* 0: not read back */
};

static struct isc_ioctl_view view_of(const struct call *c)
{
	struct isc_ioctl_event e = {
		.hdr = { ISC_EV_IOCTL, ISC_EVENT_VERSION, sizeof(e), 1 },
		.pid = 10, .tid = 10, .fd = 3, .cmd = c->cmd, .fd_kind = c->kind,
		.entry_hook = ISC_HOOK_TP, .exit_hook = ISC_HOOK_TP,
		.arg_len = c->len, .ret = c->ret,
	};
	struct isc_ioctl_view v;

	memcpy(e.arg_head, c->head, sizeof(c->head));
	if (c->argsz_out) {
		e.iof |= ISC_IOF_ARGSZ_OUT;
		e.argsz_out = c->argsz_out;
	}
	decode__ioctl(&e, sizeof(e), &v);
	return v;
}

static uint32_t classes(const struct isc_abi *a, const struct call *c, struct isc_verdict *out)
{
	struct isc_ioctl_view v = view_of(c);

	classify__ioctl(a, &v, out);
	return out->classes;
}

#define C(x) ISC_CLS(ISC_CLS_##x)
#define K(x) ISC_FD_##x

int main(void)
{
	struct isc_abi k510 = abi_of("5.10.0-32-amd64"), k61 = abi_of("6.1.0-50-amd64");
	struct isc_abi k67 = abi_of("6.7.0"), k612 = abi_of("6.12.95+deb12-amd64");
	struct isc_abi k60 = abi_of("6.0.19"), k65 = abi_of("6.5.13"), k613 = abi_of("6.13.12");
	struct isc_abi k617 = abi_of("6.17.3"), k71 = abi_of("7.1.13"), k72 = abi_of("7.2.13");
	struct isc_abi k73 = abi_of("7.3.4+deb13-amd64");
	struct isc_verdict out;
	const struct {
		const char *what;
		const struct isc_abi *abi;
		struct call c;
		uint32_t want;
		const char *explains;	/* a fragment the explanation must hold */
		uint32_t bad_bits;
	} table[] = {
		{ "MAP_DMA plain", &k61, { 0x3b71, K(CONTAINER), { 32, 3 }, 64 }, 0, NULL },
		{ "MAP_DMA argsz 8", &k61, { 0x3b71, K(CONTAINER), { 8, 3 }, 64 }, C(TRUNCATED),
		  "< minimum 32" },
		{ "MAP_DMA unknown bit", &k61, { 0x3b71, K(CONTAINER), { 32, 0x83 }, 64 },
		  C(UNKNOWN_FLAGS), "unknown to VFIO_IOMMU_MAP_DMA", 0x80 },
		{ "MAP_DMA VADDR on 5.10", &k510, { 0x3b71, K(CONTAINER), { 32, 7 }, 64 },
		  C(UNKNOWN_FLAGS), "VADDR needs Linux >= 5.12", 4 },
		{ "MAP_DMA VADDR on 6.1", &k61, { 0x3b71, K(CONTAINER), { 32, 7 }, 64 }, 0, NULL },
		{ "MAP_DMA VADDR, iommufd container", &k61, { 0x3b71, K(COMPAT), { 32, 7 }, 64 },
		  C(UNKNOWN_FLAGS), "not accepted when iommufd serves the container", 4 },
		{ "UNMAP_DMA ALL, iommufd container", &k61, { 0x3b72, K(COMPAT), { 24, 2 }, 64 },
		  0, NULL },
		{ "UNMAP_DMA VADDR on /dev/iommu", &k61, { 0x3b72, K(IOMMUFD), { 24, 4 }, 64 },
		  C(UNKNOWN_FLAGS), NULL, 4 },
		{ "UNMAP_DMA dirty bitmap, no room", &k61, { 0x3b72, K(CONTAINER), { 24, 1 }, 64 },
		  C(TRUNCATED), "needs argsz >= 48" },
		{ "UNMAP_DMA dirty bitmap", &k61, { 0x3b72, K(CONTAINER), { 4096, 1 }, 64 }, 0, NULL },
		{ "IOMMU_GET_INFO 16 on 6.1", &k61, { 0x3b70, K(CONTAINER), { 16, 0xff }, 64 },
		  C(OLDER_STRUCT), "< this kernel's 24" },
		{ "IOMMU_GET_INFO room for caps", &k61, { 0x3b70, K(CONTAINER), { 120 }, 64 }, 0, NULL },
		{ "DEVICE_GET_INFO 20 on 6.1", &k61, { 0x3b6b, K(DEVICE), { 20 }, 64 }, 0, NULL },
		{ "DEVICE_GET_INFO 20 on 6.12", &k612, { 0x3b6b, K(DEVICE), { 20 }, 64 },
		  C(OLDER_STRUCT), "this kernel's 24" },
		{ "SET_IRQS one eventfd", &k61, { 0x3b6e, K(DEVICE), { 24, 0x24, 1, 0, 1 }, 64 }, 0,
		  NULL },
		{ "SET_IRQS eventfd, no room", &k61, { 0x3b6e, K(DEVICE), { 20, 0x24, 1, 0, 1 }, 64 },
		  C(TRUNCATED), "no room for 1 data entries" },
		{ "SET_IRQS larger than needed", &k61, { 0x3b6e, K(DEVICE), { 28, 0x24, 1, 0, 1 }, 64 },
		  0, NULL },
		{ "SET_IRQS two DATA types", &k61, { 0x3b6e, K(DEVICE), { 24, 0x25, 1, 0, 1 }, 64 },
		  C(UNKNOWN_FLAGS), "exactly one of DATA_NONE|DATA_BOOL|DATA_EVENTFD", 5 },
		{ "SET_IRQS no action", &k61, { 0x3b6e, K(DEVICE), { 20, 0x1, 1, 0, 0 }, 64 },
		  C(UNKNOWN_FLAGS), "not none" },
		{ "FEATURE index is not flags", &k61, { 0x3b75, K(DEVICE), { 8, 0x10001 }, 64 }, 0,
		  NULL },
		{ "FEATURE MIGRATION on 5.10", &k510, { 0x3b75, K(DEVICE), { 8, 0x10001 }, 64 },
		  C(UNKNOWN_IOCTL), "MIGRATION (index 1) needs Linux >= 5.18" },
		{ "FEATURE LOW_POWER_ENTRY probe on 6.1", &k61,
		  { 0x3b75, K(DEVICE), { 8, 0x60003 }, 64 }, 0, NULL },
		{ "FEATURE LOW_POWER_ENTRY on 5.10", &k510, { 0x3b75, K(DEVICE), { 8, 0x60003 }, 64 },
		  C(UNKNOWN_IOCTL), "needs Linux >= 6.1" },
		{ "FEATURE LOW_POWER_ENTRY on 6.0", &k60, { 0x3b75, K(DEVICE), { 8, 0x60003 }, 64 },
		  C(UNKNOWN_IOCTL), "LOW_POWER_ENTRY (index 3) needs Linux >= 6.1" },
		{ "FEATURE DMA_LOGGING_START on 6.1", &k61, { 0x3b75, K(DEVICE), { 64, 0x20006 }, 64 },
		  0, NULL },
		{ "FEATURE DMA_LOGGING_REPORT on 6.0", &k60, { 0x3b75, K(DEVICE), { 48, 0x10008 }, 64 },
		  C(UNKNOWN_IOCTL), "needs Linux >= 6.1" },
		{ "FEATURE MIG_PRECOPY_INFOv2 SET on 7.1", &k71, { 0x3b75, K(DEVICE), { 8, 0x2000c }, 64,
		  -EINVAL }, 0, NULL },
		{ "FEATURE MIG_PRECOPY_INFOv2 on 6.12", &k612, { 0x3b75, K(DEVICE), { 8, 0x2000c }, 64,
		  -ENOTTY }, C(UNKNOWN_IOCTL), "MIG_PRECOPY_INFOv2 (index 12) needs Linux >= 7.1" },
		{ "FEATURE MIG_PRECOPY_INFOv2 GET", &k72, { 0x3b75, K(DEVICE), { 8, 0x1000c }, 64 },
		  C(UNKNOWN_FLAGS), "supports only SET", 0x10000 },
		{ "FEATURE ZPCI_ERROR GET on 7.3", &k73, { 0x3b75, K(DEVICE), { 16, 0x1000d }, 64 },
		  0, NULL },
		{ "FEATURE ZPCI_ERROR on 7.2", &k72, { 0x3b75, K(DEVICE), { 16, 0x1000d }, 64, -ENOTTY },
		  C(UNKNOWN_IOCTL), "ZPCI_ERROR (index 13) needs Linux >= 7.3" },
		{ "FEATURE SET on a GET-only feature", &k61, { 0x3b75, K(DEVICE), { 8, 0x20001 }, 64 },
		  C(UNKNOWN_FLAGS), "supports only GET", 0x20000 },
		{ "FEATURE unknown index", &k61, { 0x3b75, K(DEVICE), { 8, 0x1004d }, 64, -ENOTTY },
		  C(UNKNOWN_IOCTL), "index 77 is no feature the catalog knows (ENOTTY)" },
		{ "FEATURE unknown index the kernel answers", &k73,
		  { 0x3b75, K(DEVICE), { 8, 0x1004d }, 64, -EINVAL }, C(NEWER_KERNEL),
		  "answered EINVAL: it is newer than this iommuscope's catalog" },
		{ "FEATURE unknown index, refused by an LSM", &k73,
		  { 0x3b75, K(DEVICE), { 8, 0x1004d }, 64, -EPERM }, C(UNKNOWN_IOCTL), "index 77" },
		{ "FEATURE unknown op bit", &k61, { 0x3b75, K(DEVICE), { 8, 0x80001 }, 64 },
		  C(UNKNOWN_FLAGS), NULL, 0x80000 },
		{ "FEATURE payload", &k612, { 0x3b75, K(DEVICE), { 1000, 0x20006 }, 64 }, 0, NULL },
		{ "FEATURE BUS_MASTER on 5.10", &k510, { 0x3b75, K(DEVICE), { 12, 0x2000a }, 64 },
		  C(UNKNOWN_IOCTL), "BUS_MASTER (index 10) needs Linux >= 6.7" },
		{ "FEATURE BUS_MASTER on 6.7", &k67, { 0x3b75, K(DEVICE), { 12, 0x2000a }, 64 }, 0,
		  NULL },
		{ "HWPT_ALLOC 48 on 6.7", &k67, { 0x3b89, K(IOMMUFD), { 48 }, 64 }, C(NEWER_STRUCT),
		  "accepted only while the extra bytes are zero" },
		{ "HWPT_ALLOC 48 on 6.7, E2BIG", &k67, { 0x3b89, K(IOMMUFD), { 48 }, 64, -E2BIG },
		  C(NEWER_STRUCT), "not zero: E2BIG" },
		{ "HWPT_ALLOC 40 on 6.12", &k612, { 0x3b89, K(IOMMUFD), { 40 }, 64 }, C(OLDER_STRUCT),
		  NULL },
		{ "HWPT_ALLOC FAULT_ID_VALID on 6.7", &k67, { 0x3b89, K(IOMMUFD), { 40, 4 }, 64 },
		  C(UNKNOWN_FLAGS), "FAULT_ID_VALID needs Linux >= 6.11", 4 },
		{ "BIND_IOMMUFD on 6.1", &k61, { 0x3b76, K(DEVICE), { 16 }, 64 }, C(UNKNOWN_IOCTL),
		  "needs Linux >= 6.6" },
		{ "unknown iommufd cmd", &k612, { 0x3bfe, K(IOMMUFD), { 8 }, 64, -ENOTTY },
		  C(UNKNOWN_IOCTL), "not a VFIO/iommufd ioctl on a iommufd fd" },
		{ "unknown iommufd cmd the kernel answers", &k73, { 0x3b96, K(IOMMUFD), { 8 }, 64,
		  -EOPNOTSUPP }, C(NEWER_KERNEL), "(Linux 7.3) answered EOPNOTSUPP" },
		{ "unknown iommufd cmd, success", &k73, { 0x3b96, K(IOMMUFD), { 8 }, 64, 0 },
		  C(NEWER_KERNEL), "answered with success" },
		{ "unknown cmd, a return no errno has (fuzz: INT64_MIN)", &k73, { 0x3b96, K(IOMMUFD),
		  { 8 }, 64, INT64_MIN }, C(NEWER_KERNEL), "answered -9223372036854775808" },
		{ "unknown cmd, fexit's ENOIOCTLCMD", &k73, { 0x3b96, K(IOMMUFD), { 8 }, 64, -515 },
		  C(UNKNOWN_IOCTL), NULL },
		{ "NOIOMMU_GET_PA on 7.3", &k73, { 0x3b95, K(IOMMUFD), { 40, 0 }, 64 }, 0, NULL },
		{ "NOIOMMU_GET_PA flags", &k73, { 0x3b95, K(IOMMUFD), { 40, 1 }, 64 },
		  C(UNKNOWN_FLAGS), NULL, 1 },
		{ "NOIOMMU_GET_PA on 7.2", &k72, { 0x3b95, K(IOMMUFD), { 40, 0 }, 64, -ENOTTY },
		  C(UNKNOWN_IOCTL), "IOMMU_IOAS_NOIOMMU_GET_PA needs Linux >= 7.3" },
		{ "NOIOMMU_GET_PA short", &k73, { 0x3b95, K(IOMMUFD), { 32, 0 }, 64 }, C(TRUNCATED),
		  "< minimum 40" },
		{ "VIOMMU_ALLOC 24 on 6.13", &k613, { 0x3b90, K(IOMMUFD), { 24 }, 64 }, 0, NULL },
		{ "VIOMMU_ALLOC 40 on 6.13", &k613, { 0x3b90, K(IOMMUFD), { 40 }, 64 },
		  C(NEWER_STRUCT), "> this kernel's 24" },
		{ "VIOMMU_ALLOC 24 on 6.17", &k617, { 0x3b90, K(IOMMUFD), { 24 }, 64 },
		  C(OLDER_STRUCT), "< this kernel's 40" },
		{ "PRECOPY_INFO flags are outputs", &k71, { 0x3b79, K(MIG), { 24, 0xff }, 64 }, 0, NULL },
		{ "IRQ_INFO with a cap_offset", &k61, { 0x3b6d, K(DEVICE), { 24 }, 64 },
		  C(NEWER_STRUCT), "never merged" },
		{ "by-value CHECK_EXTENSION", &k61, { 0x3b65, K(CONTAINER), {}, 0 }, 0, NULL },
	};
	struct isc_caps_tracker t = {};
	struct isc_ioctl_view late, v;
	struct call small = { 0x3b70, K(CONTAINER), { 16 }, 64, 0, 120 };
	struct call retry = { 0x3b70, K(CONTAINER), { 120 }, 64, 0, 120 };
	struct call map = { 0x3b71, K(CONTAINER), { 32, 3 }, 64 };
	struct call mid = { 0x3b70, K(CONTAINER), { 64 }, 64, 0, 120 };
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		TEST(table) {
			uint32_t got = classes(table[i].abi, &table[i].c, &out);

			CHECK(got == table[i].want, "%s: classes %s (0x%x), want 0x%x: %s",
			      table[i].what, classify__primary(got), got, table[i].want, out.explain);
			if (table[i].explains)
				CHECK(strstr(out.explain, table[i].explains) != NULL,
				      "%s: explanation '%s' lacks '%s'", table[i].what, out.explain,
				      table[i].explains);
			if (table[i].bad_bits)
				ASSERT_EQ(out.bad_bits, table[i].bad_bits, table[i].what);
			CHECK(!got || out.explain[0], "%s: a class without an explanation",
			      table[i].what);
		}
	}
	TEST(built_against) {
		struct call c = { 0x3b6b, K(DEVICE), { 20 }, 64 };

		classes(&k612, &c, &out);
		ASSERT_STREQ(out.built_against, "Linux >= 5.10, < 6.6", "device_info 20");
		c.head[0] = 24;
		classes(&k612, &c, &out);
		ASSERT_STREQ(out.built_against, "Linux >= 6.6", "device_info 24");
		c = (struct call){ 0x3b71, K(CONTAINER), { 32, 7 }, 64 };
		classes(&k61, &c, &out);
		ASSERT_STREQ(out.built_against, "Linux >= 5.12", "VADDR used");
		c.head[1] = 3;
		classes(&k61, &c, &out);
		ASSERT_STREQ(out.built_against, "", "nothing newer than the ioctl");
	}
	TEST(caps_tracker) {
		v = view_of(&small);
		ASSERT_EQ(classify__track(&t, &v, &late), 0, "asked for room: pending");
		v = view_of(&retry);
		ASSERT_EQ(classify__track(&t, &v, &late), 0, "retried with room: fine");
		ASSERT_EQ(t.nr, 0, "nothing pending");
		v = view_of(&small);
		classify__track(&t, &v, &late);
		v = view_of(&mid);	/* again, but still too small */
		ASSERT_EQ(classify__track(&t, &v, &late), 1, "too small a retry");
		ASSERT_EQ(late.argsz, 16, "the first call is caps-truncated");
		v = view_of(&map);
		ASSERT_EQ(classify__track(&t, &v, &late), 1, "moved on");
		ASSERT_EQ(late.argsz, 64, "the 64-byte call is caps-truncated");
		classify__caps_truncated(&late, &out);
		ASSERT_EQ(out.classes, C(CAPS_TRUNCATED), "class");
		ASSERT_EQ(out.need, 120, "need");
		CHECK(strstr(out.explain, "IOVA_RANGE") != NULL, "names what it misses: %s",
		      out.explain);
		v = view_of(&small);
		classify__track(&t, &v, &late);
		ASSERT_EQ(classify__flush(&t, &late), 1, "pending at the end");
		ASSERT_EQ(classify__flush(&t, &late), 0, "then none");
	}
	TEST(iommu_uapi) {
		struct isc_iommu_view iv = {};

		iv.hook = "iommu_uapi_cache_invalidate";
		iv.ev.hook = ISC_IH_UAPI_CACHE_INV;
		iv.ev.ief = ISC_IEF_UAPI;
		iv.ev.uapi_version = 1;
		iv.ev.uapi_argsz = 56;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, 0, "version 1, argsz 56 on 5.10");
		iv.ev.uapi_version = 2;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(BAD_VERSION), "version 2");
		CHECK(strstr(out.explain, "IOMMU_UAPI_VERSION") != NULL, "%s", out.explain);
		iv.ev.uapi_version = 1;
		iv.ev.uapi_argsz = 32;	/* PASID granularity's end: older than 56 */
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(OLDER_STRUCT), "argsz 32");
		iv.ev.uapi_argsz = 8;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(TRUNCATED), "argsz 8 < 16");
		iv.ev.uapi_argsz = 64;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(NEWER_STRUCT), "argsz 64 > 56");
		iv.hook = "iommu_uapi_sva_bind_gpasid";
		iv.ev.hook = ISC_IH_UAPI_BIND_GPASID;
		iv.ev.uapi_argsz = 40;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(TRUNCATED), "bind argsz 40 < 56");
		iv.ev.uapi_argsz = 72;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, 0, "bind argsz 72");
		iv.ev.uapi_argsz = 56;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(OLDER_STRUCT), "bind argsz 56: the union left out");
		iv.ev.uapi_argsz = 80;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(NEWER_STRUCT), "bind argsz 80 > 72");
		/* the page response: a kernel copy, version judged, argsz not
		 * (5.10 never reads it) */
		iv.hook = "iommu_page_response";
		iv.ev.hook = ISC_IH_PAGE_RESPONSE;
		iv.ev.uapi_argsz = 24;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, 0, "page response version 1");
		iv.ev.uapi_argsz = 4;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, 0, "page response argsz not judged");
		iv.ev.uapi_version = 2;
		classify__iommu(&k510, &iv, &out);
		ASSERT_EQ(out.classes, C(BAD_VERSION), "page response version 2");
		CHECK(strstr(out.explain, "iommu_page_response") != NULL, "%s", out.explain);
	}
	TEST(catalog_array_index) {
		/* The BPF "catalog" and "caps_rules" arrays index by ISC_CAT_IDX:
		 * every command must be 0x3B00 | nr and no two (command, kind)
		 * pairs may share a slot. */
		static uint8_t seen[ISC_CAT_SLOTS];
		const struct isc_ioctl_desc *cat;
		size_t nr, n;
		int kind, clashes = 0, bad = 0;

		cat = catalog__ioctls(&nr);
		for (n = 0; n < nr; n++) {
			if ((cat[n].cmd & ISC_IOCTL_TYPE_MASK) != ISC_IOCTL_TYPE_VFIO)
				bad++;
			for (kind = 1; kind < ISC_FD_KIND_MAX; kind++) {
				if (!(cat[n].kinds & ISC_K(kind)))
					continue;
				if (seen[ISC_CAT_IDX(cat[n].cmd, kind)]++)
					clashes++;
			}
		}
		ASSERT_EQ(bad, 0, "commands outside 0x3B00..0x3BFF");
		ASSERT_EQ(clashes, 0, "(command, kind) pairs sharing an array slot");
		CHECK(nr > 50, "catalog has %zu commands", nr);
	}
	TEST(catalog_map_entries) {
		const struct isc_ioctl_desc *mapd = catalog__by_name("VFIO_IOMMU_MAP_DMA");
		struct isc_cat_entry e;

		catalog_map__entry(mapd, &k612, ISC_FD_CONTAINER, &e);
		ASSERT_EQ(e.allowed, 0x7, "type1 on 6.12: READ|WRITE|VADDR");
		ASSERT_EQ(e.minsz, 32, "mapd minsz");
		ASSERT_EQ(e.flags_off, 4, "flags after argsz");
		ASSERT_EQ(e.cflags, ISC_CATF_SIZED | ISC_CATF_FLAGS_IN, "sized input flags");
		ASSERT_EQ(e.kernel_errno, EINVAL, "VFIO says EINVAL");
		catalog_map__entry(mapd, &k510, ISC_FD_CONTAINER, &e);
		ASSERT_EQ(e.allowed, 0x3, "VADDR arrived in 5.12");
		catalog_map__entry(mapd, &k612, ISC_FD_COMPAT, &e);
		ASSERT_EQ(e.allowed, 0x3, "iommufd's compat container: no VADDR");
		catalog_map__entry(catalog__by_name("VFIO_DEVICE_FEATURE"), &k612, ISC_FD_DEVICE, &e);
		ASSERT_EQ(e.index_mask, 0xffff, "feature index");
		ASSERT_EQ(e.cflags & ISC_CATF_PAYLOAD, ISC_CATF_PAYLOAD, "feature payload");
		catalog_map__entry(catalog__by_name("VFIO_DEVICE_SET_IRQS"), &k612, ISC_FD_DEVICE, &e);
		ASSERT_EQ(e.one_of[0], 0x7, "data type group");
		ASSERT_EQ(e.one_of[1], 0x38, "action group");
		catalog_map__entry(catalog__by_name("VFIO_DEVICE_GET_INFO"), &k612, ISC_FD_DEVICE, &e);
		ASSERT_EQ(e.cflags & ISC_CATF_FLAGS_IN, 0, "INFO flags are outputs");
		ASSERT_EQ(e.allowed, 0, "nothing to police");
		ASSERT_EQ(e.size, 24, "device_info grew to 24 in 6.6");
		catalog_map__entry(catalog__by_name("VFIO_DEVICE_GET_INFO"), &k65, ISC_FD_DEVICE, &e);
		ASSERT_EQ(e.size, 20, "device_info still 20 on 6.5");
		catalog_map__entry(catalog__by_name("IOMMU_IOAS_MAP"), &k612, ISC_FD_IOMMUFD, &e);
		ASSERT_EQ(e.cflags & ISC_CATF_IOMMUFD, ISC_CATF_IOMMUFD, "iommufd rules");
		ASSERT_EQ(e.kernel_errno, EOPNOTSUPP, "iommufd says EOPNOTSUPP");
		catalog_map__entry(catalog__by_name("VFIO_GROUP_SET_CONTAINER"), &k612, ISC_FD_GROUP, &e);
		ASSERT_EQ(e.flags_off, ISC_CAT_NO_FLAGS, "int * has no flags");
		ASSERT_EQ(e.cflags, 0, "not a sized struct");
	}
	abi__free(&k510);
	abi__free(&k61);
	abi__free(&k67);
	abi__free(&k612);
	abi__free(&k60);
	abi__free(&k65);
	abi__free(&k613);
	abi__free(&k617);
	abi__free(&k71);
	abi__free(&k72);
	abi__free(&k73);
	return harness_done("test_classify");
}

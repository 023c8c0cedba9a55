// SPDX-License-Identifier: GPL-2.0
/* IOMMU-core records: validation, naming, and what the bind table adds to
 * invalidations and faults (device, group, owner). */
#include "abi.h"
#include "classify.h"
#include "harness.h"
#include "iommu_state.h"
#include "json_check.h"

static struct isc_iommu_event make(uint16_t op, uint16_t hook)
{
	struct isc_iommu_event e = {
		.hdr = { ISC_EV_IOMMU, ISC_EVENT_VERSION, sizeof(e), 2000 },
		.domain = 0xffff888012345000ull,
		.domain_type = 1,
		.pid = 300,
		.tid = 300,
		.group_id = -1,
		.op = op,
		.hook = hook,
		.comm = "qemu",
	};
	return e;
}

static struct json_object *to_json(const struct isc_iommu_view *v)
{
	struct sink k;

	output__iommu(sink_open(&k), v, NULL);
	return sink_json(&k);
}

int main(void)
{
	struct isc_iommu_state st = {};
	struct isc_iommu_view v;
	struct isc_iommu_event e;
	struct json_object *j;

	TEST(bind_names_device_and_group) {
		e = make(ISC_IOMMU_BIND, ISC_IH_ATTACH_GROUP);
		e.group_id = 7;
		e.ief = ISC_IEF_RET;
		e.in_cmd = 0x3b66;	/* VFIO_SET_IOMMU */
		e.in_kind = ISC_FD_CONTAINER;
		snprintf(e.device, sizeof(e.device), "0000:00:02.0");
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_STREQ(v.op, "bind", "op");
		ASSERT_STREQ(v.hook, "iommu_attach_group", "hook");
		ASSERT_STREQ(v.in_ioctl ? v.in_ioctl->name : NULL, "VFIO_SET_IOMMU", "in ioctl");
		iommu_state__update(&st, &v);
		ASSERT_EQ(st.nr, 1, "remembered");
		j = to_json(&v);
		ASSERT_STREQ(jstr(j, "type"), "iommu", "type");
		ASSERT_STREQ(jstr(j, "device"), "0000:00:02.0", "device");
		ASSERT_EQ(jint(j, "group"), 7, "group");
		ASSERT_STREQ(jstr(j, "domain"), "0xffff888012345000", "domain as hex");
		ASSERT_STREQ(jstr(j, "in_ioctl"), "VFIO_SET_IOMMU", "json in_ioctl");
		ASSERT_EQ(jint(j, "owner_pid"), 300, "owner is the binder");
		json_object_put(j);
	}
	TEST(invalidate_gets_device_from_domain) {
		e = make(ISC_IOMMU_INVALIDATE, ISC_IH_TLB_SYNC);
		e.iova = 0x100000;
		e.size = 0x200000;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_STREQ(v.device, "", "no device from the kernel");
		iommu_state__update(&st, &v);
		ASSERT_STREQ(v.device, "0000:00:02.0", "device from the bind");
		ASSERT_EQ(v.group, 7, "group from the bind");
		ASSERT_EQ(v.owner_pid, 300, "owner");
		j = to_json(&v);
		ASSERT_EQ(jint(j, "size"), 0x200000, "size");
		ASSERT_STREQ(jstr(j, "hook"), "intel_iommu_tlb_sync", "hook");
		json_object_put(j);
	}
	TEST(dmar_fault_names_device_from_source_id) {
		e = make(ISC_IOMMU_FAULT, ISC_IH_DMAR_FAULT);
		e.domain = 0;
		e.pid = 0;
		e.source_id = 0x0010;	/* 00:02.0 */
		e.ief = ISC_IEF_SID;	/* a read */
		e.iova = 0x800000;
		e.fault_reason = 6;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_STREQ(v.device, "0000:00:02.0", "bus 0 dev 2 fn 0");
		iommu_state__update(&st, &v);
		ASSERT_EQ(v.owner_pid, 300, "owner from the device's bind");
		j = to_json(&v);
		ASSERT_STREQ(jstr(j, "access"), "read", "access");
		ASSERT_EQ(jint(j, "fault_reason"), 6, "reason");
		ASSERT_EQ(jint(j, "iova"), 0x800000, "iova");
		json_object_put(j);
		e.source_id = 0x3a0d;	/* 3a:01.5 */
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_STREQ(v.device, "0000:3a:01.5", "devfn split");
	}
	TEST(uapi_record_carries_its_verdict) {
		struct isc_abi k510 = {};
		struct isc_verdict cls;
		struct json_object *cl;
		struct sink k;

		abi__learn(&k510, "5.10.0-32-amd64", false);
		e = make(ISC_IOMMU_INVALIDATE, ISC_IH_UAPI_CACHE_INV);
		e.ief = ISC_IEF_UAPI | ISC_IEF_RET;
		e.uapi_argsz = 8;
		e.uapi_version = 1;
		e.ret = -22;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		classify__iommu(&k510, &v, &cls);
		output__iommu(sink_open(&k), &v, &cls);
		j = sink_json(&k);
		ASSERT_EQ(jint(j, "uapi_argsz"), 8, "argsz");
		ASSERT_EQ(jint(j, "uapi_version"), 1, "version");
		ASSERT_STREQ(jstr(j, "class"), "truncated", "class");
		ASSERT_EQ(json_object_object_get_ex(j, "classes", &cl) &&
			  json_object_array_length(cl) == 1, 1, "one class");
		ASSERT_EQ(jint(j, "kernel_size"), 56, "5.10's struct");
		ASSERT_STREQ(jstr(j, "errno"), "EINVAL", "errno");
		json_object_put(j);
		/* no UAPI fields read: no verdict fields either */
		e.ief = 0;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		classify__iommu(&k510, &v, &cls);
		output__iommu(sink_open(&k), &v, &cls);
		j = sink_json(&k);
		ASSERT_EQ(json_object_object_get_ex(j, "class", NULL), 0, "no class");
		json_object_put(j);
		abi__free(&k510);
	}
	TEST(page_response_is_named) {
		e = make(ISC_IOMMU_PAGE_RESPONSE, ISC_IH_PAGE_RESPONSE);
		e.domain = 0;
		e.ief = ISC_IEF_UAPI;
		e.uapi_argsz = 24;
		e.uapi_version = 2;
		snprintf(e.device, sizeof(e.device), "0000:00:02.0");
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		j = to_json(&v);
		ASSERT_STREQ(jstr(j, "op"), "page-response", "op");
		ASSERT_STREQ(jstr(j, "hook"), "iommu_page_response", "hook");
		ASSERT_EQ(jint(j, "uapi_version"), 2, "version");
		ASSERT_EQ(json_object_object_get_ex(j, "iova", NULL), 0, "no iova");
		json_object_put(j);
	}
	TEST(unbind_forgets) {
		e = make(ISC_IOMMU_UNBIND, ISC_IH_DETACH_GROUP);
		e.group_id = 7;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		iommu_state__update(&st, &v);
		ASSERT_EQ(v.owner_pid, 300, "the unbind still names the owner");
		ASSERT_EQ(st.nr, 0, "forgotten");
		e = make(ISC_IOMMU_INVALIDATE, ISC_IH_TLB_SYNC);
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		iommu_state__update(&st, &v);
		ASSERT_EQ(v.owner_pid, 0, "no owner after the unbind");
	}
	TEST(failed_bind_is_not_remembered) {
		e = make(ISC_IOMMU_BIND, ISC_IH_ATTACH_GROUP);
		e.ief = ISC_IEF_RET;
		e.ret = -16;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
		iommu_state__update(&st, &v);
		ASSERT_EQ(st.nr, 0, "EBUSY bind not remembered");
	}
	TEST(bind_table_is_bounded) {
		int i;

		for (i = 0; i < ISC_MAX_BINDS + 10; i++) {
			e = make(ISC_IOMMU_BIND, ISC_IH_ATTACH_GROUP);
			e.domain = 0x1000 + i;
			e.group_id = i;
			ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "decodes");
			iommu_state__update(&st, &v);
		}
		ASSERT_EQ(st.nr, ISC_MAX_BINDS, "bounded");
		ASSERT_EQ(st.binds[ISC_MAX_BINDS - 1].group, ISC_MAX_BINDS + 9, "newest kept");
	}
	TEST(rejects_bad_records) {
		e = make(ISC_IOMMU_BIND, ISC_IH_ATTACH_GROUP);
		e.op = 9;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), ISC_DEC_BAD, "op");
		e = make(ISC_IOMMU_BIND, ISC_IH_MAX);
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), ISC_DEC_BAD, "hook");
		e = make(ISC_IOMMU_BIND, 0);
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), ISC_DEC_BAD, "hook 0");
		e = make(ISC_IOMMU_BIND, ISC_IH_ATTACH_GROUP);
		e.in_kind = 200;
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), ISC_DEC_BAD, "in_kind");
		e = make(ISC_IOMMU_BIND, ISC_IH_ATTACH_GROUP);
		ASSERT_EQ(decode__iommu(&e, sizeof(e) - 4, &v), ISC_DEC_SHORT, "short");
		memset(e.device, 'x', sizeof(e.device));
		ASSERT_EQ(decode__iommu(&e, sizeof(e), &v), 0, "unterminated device");
		ASSERT_EQ(strlen(v.device), ISC_DEV_NAME_LEN - 1, "terminated");
		ASSERT_EQ(iommu_state__device_group("../../etc"), -1, "no path tricks in sysfs names");
	}
	return harness_done("test_iommu");
}

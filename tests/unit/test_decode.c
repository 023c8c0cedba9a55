// SPDX-License-Identifier: GPL-2.0
/* Records from the kernel are validated before use; decoded fields and the
 * JSON shape are what iommuscope-trace(8) documents. */
#include <linux/vfio.h>
#include "decode.h"
#include "harness.h"
#include "json_check.h"

static struct isc_ioctl_event make(uint32_t cmd, uint8_t kind, const void *arg, size_t len)
{
	struct isc_ioctl_event e = {
		.hdr = { ISC_EV_IOCTL, ISC_EVENT_VERSION, sizeof(e), 1000 },
		.latency_ns = 5,
		.cgroup_id = 7,
		.arg = 0x7ffd0000,
		.ret = -22,
		.pid = 42,
		.tid = 43,
		.fd = 5,
		.cmd = cmd,
		.fd_kind = kind,
		.entry_hook = ISC_HOOK_TP,
		.exit_hook = ISC_HOOK_TP,
		.arg_len = len,
		.iof = len ? ISC_IOF_ARG_READ : 0,
		.comm = "qemu",
	};

	if (len)
		memcpy(e.arg_head, arg, len);
	return e;
}

static struct json_object *to_json(const struct isc_ioctl_view *v)
{
	struct sink k;

	output__ioctl(sink_open(&k), v, NULL);
	return sink_json(&k);
}

int main(void)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = 32, .flags = 3, .vaddr = 0x1000, .iova = 0x100000, .size = 0x200000,
	};
	struct isc_ioctl_view v;
	struct isc_ioctl_event e;
	struct json_object *j;
	char raw[sizeof(e) + 8];

	TEST(map_dma) {
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, sizeof(map));
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_OK, "decodes");
		ASSERT_STREQ(v.desc ? v.desc->name : NULL, "VFIO_IOMMU_MAP_DMA", "name");
		ASSERT_EQ(v.argsz, 32, "argsz");
		ASSERT_EQ(v.flags, 3, "flags");
		ASSERT_EQ(v.nr_fields, 3, "vaddr, iova, size");
		ASSERT_EQ(v.field_vals[1], 0x100000, "iova");
		ASSERT_TRUE(!v.has_argsz_out, "MAP_DMA is not a reply ioctl");
		j = to_json(&v);
		ASSERT_TRUE(j != NULL, "JSON parses");
		ASSERT_STREQ(jstr(j, "type"), "ioctl", "type");
		ASSERT_STREQ(jstr(j, "fd_kind"), "container", "fd_kind");
		ASSERT_STREQ(jstr(j, "errno"), "EINVAL", "errno");
		ASSERT_STREQ(jstr(j, "flags_names"), "READ|WRITE", "flags_names");
		ASSERT_EQ(jint(j, "argsz"), 32, "json argsz");
		ASSERT_EQ(jint(j, "size"), 0x200000, "json size");
		ASSERT_EQ(jint(j, "ts_ns"), 1000, "ts_ns");
		ASSERT_EQ(jint(j, "cgroup_id"), 7, "cgroup_id");
		ASSERT_EQ(jint(j, "latency_ns"), 5, "latency_ns");
		json_object_put(j);
	}
	TEST(by_value_and_pointers) {
		int fd = 9;
		char name[ISC_ARG_HEAD] = "0000:00:03.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258";

		e = make(VFIO_CHECK_EXTENSION, ISC_FD_CONTAINER, NULL, 0);
		e.arg = 3;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), 0, "decodes");
		j = to_json(&v);
		ASSERT_TRUE(jnull(j, "argsz"), "argsz null for by-value ioctls");
		ASSERT_TRUE(jnull(j, "flags"), "flags null for by-value ioctls");
		ASSERT_EQ(jint(j, "arg"), 3, "arg");
		json_object_put(j);
		e = make(VFIO_GROUP_SET_CONTAINER, ISC_FD_GROUP, &fd, sizeof(fd));
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_EQ(v.value, 9, "container fd read through the pointer");
		ASSERT_TRUE(!v.has_argsz, "no argsz for int *");
		e = make(VFIO_GROUP_GET_DEVICE_FD, ISC_FD_GROUP, name, ISC_ARG_HEAD);
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_STREQ(v.str, "0000:00:03.0 vf_token=<redacted>", "vf_token redacted");
	}
	TEST(short_head) {
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, 4);
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_TRUE(v.has_argsz && !v.has_flags, "argsz but no flags from 4 bytes");
		ASSERT_EQ(v.nr_fields, 0, "no fields beyond the head");
	}
	TEST(unknown_ioctl) {
		e = make(0x3bfe, ISC_FD_IOMMUFD, &map, 8);
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_TRUE(v.desc == NULL, "no descriptor");
		j = to_json(&v);
		ASSERT_TRUE(jnull(j, "name"), "name null");
		ASSERT_EQ(jint(j, "cmd"), 0x3bfe, "cmd kept");
		json_object_put(j);
	}
	TEST(reply_argsz_out) {
		struct vfio_iommu_type1_info info = { .argsz = 16 };

		e = make(VFIO_IOMMU_GET_INFO, ISC_FD_CONTAINER, &info, 16);
		e.iof |= ISC_IOF_ARGSZ_OUT;
		e.argsz_out = 56;
		e.ret = 0;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), 0, "decodes");
		ASSERT_TRUE(v.has_argsz_out && v.argsz_out == 56, "argsz written back");
		j = to_json(&v);
		ASSERT_EQ(jint(j, "argsz_out"), 56, "json argsz_out");
		ASSERT_TRUE(jnull(j, "errno"), "errno null on success");
		json_object_put(j);
	}
	TEST(rejects_bad_records) {
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, sizeof(map));
		ASSERT_EQ(decode__ioctl(&e, 8, &v), ISC_DEC_SHORT, "shorter than a header");
		ASSERT_EQ(decode__ioctl(&e, sizeof(e) - 1, &v), ISC_DEC_SHORT, "truncated record");
		e.hdr.version = 99;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_VERSION, "version");
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, sizeof(map));
		e.hdr.type = 77;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_TYPE, "type");
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, sizeof(map));
		e.arg_len = ISC_ARG_HEAD + 1;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_BAD, "arg_len");
		e = make(VFIO_IOMMU_MAP_DMA, 99, &map, sizeof(map));
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_BAD, "fd kind");
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, sizeof(map));
		e.hdr.size = sizeof(e) + 8;
		memcpy(raw, &e, sizeof(e));
		ASSERT_EQ(decode__ioctl(raw, sizeof(raw), &v), ISC_DEC_SHORT,
			  "size field disagrees with the layout");
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, sizeof(map));
		memset(e.comm, 'A', sizeof(e.comm));
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), 0, "comm without NUL");
		ASSERT_EQ(strlen(v.ev.comm), ISC_COMM_LEN - 1, "comm terminated");
	}
	TEST(device_fd) {
		e = make(VFIO_DEVICE_RESET, ISC_FD_DEVICE, NULL, 0);
		e.iof |= ISC_IOF_DEVICE;
		e.hdr.size = ISC_IOCTL_DEV_SIZE;
		memcpy(e.dev.name, "0000:00:02.0", 13);
		e.dev.iommu_group = 5;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_OK, "decodes");
		ASSERT_TRUE(v.has_device, "has the device");
		j = to_json(&v);
		ASSERT_STREQ(jstr(j, "device"), "0000:00:02.0", "json device");
		ASSERT_EQ(jint(j, "iommu_group"), 5, "json iommu_group");
		json_object_put(j);
		e.dev.iommu_group = -1;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_OK, "no group decodes");
		j = to_json(&v);
		ASSERT_TRUE(jnull(j, "iommu_group"), "no group: iommu_group null");
		json_object_put(j);
	}
	TEST(device_name_escaped) {
		e = make(VFIO_DEVICE_RESET, ISC_FD_DEVICE, NULL, 0);
		e.iof |= ISC_IOF_DEVICE;
		e.hdr.size = ISC_IOCTL_DEV_SIZE;
		memset(e.dev.name, 'x', sizeof(e.dev.name));	/* no NUL */
		memcpy(e.dev.name, "a\"b\\c\001\377", 7);
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_OK, "decodes");
		ASSERT_EQ(strlen(v.ev.dev.name), ISC_DEV_NAME_LEN - 1, "name terminated");
		j = to_json(&v);
		ASSERT_TRUE(j != NULL, "still one JSON object");
		ASSERT_TRUE(!strncmp(jstr(j, "device"), "a\"b\\\\c\\x01\\xffxx", 16),
			    "quote kept (JSON-escaped), backslash and bytes escaped");
		json_object_put(j);
	}
	TEST(device_absent) {
		/* a device fd whose device could not be read: the short record */
		e = make(VFIO_DEVICE_RESET, ISC_FD_DEVICE, NULL, 0);
		e.hdr.size = ISC_IOCTL_BASE_SIZE;
		ASSERT_EQ(decode__ioctl(&e, ISC_IOCTL_BASE_SIZE, &v), ISC_DEC_OK, "short decodes");
		ASSERT_TRUE(!v.has_device, "no device");
		ASSERT_EQ(v.ev.dev.iommu_group, -1, "group -1");
		j = to_json(&v);
		ASSERT_TRUE(!json_object_object_get_ex(j, "device", NULL), "no device key");
		ASSERT_TRUE(!json_object_object_get_ex(j, "iommu_group", NULL), "no group key");
		json_object_put(j);
		/* the flag without the device part is not believed */
		e.iof |= ISC_IOF_DEVICE;
		memcpy(e.dev.name, "0000:00:02.0", 13);
		ASSERT_EQ(decode__ioctl(&e, ISC_IOCTL_BASE_SIZE, &v), ISC_DEC_OK, "flag, short");
		ASSERT_TRUE(!v.has_device && !v.ev.dev.name[0], "short record: no device");
		/* a size between the two is neither */
		e.hdr.size = ISC_IOCTL_BASE_SIZE + 8;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_SHORT, "odd size");
	}
	TEST(version2_sizes_frozen) {
		/* the sizes of version 2 records (iommuscope before device
		 * identity): captures of that version must keep decoding */
		ASSERT_EQ(ISC_IOCTL_BASE_SIZE, 200, "v2 ioctl record");
		ASSERT_EQ(ISC_DENY_V2_SIZE, 112, "v2 deny record");
		ASSERT_EQ(sizeof(struct isc_iommu_event), 200, "iommu record unchanged");
	}
	TEST(version2_record) {
		e = make(VFIO_IOMMU_MAP_DMA, ISC_FD_CONTAINER, &map, sizeof(map));
		e.hdr.version = 2;
		e.hdr.size = ISC_IOCTL_BASE_SIZE;
		ASSERT_EQ(decode__ioctl(&e, ISC_IOCTL_BASE_SIZE, &v), ISC_DEC_OK, "v2 decodes");
		ASSERT_STREQ(v.desc ? v.desc->name : NULL, "VFIO_IOMMU_MAP_DMA", "v2 name");
		ASSERT_EQ(v.field_vals[1], 0x100000, "v2 iova");
		ASSERT_TRUE(!v.has_device, "v2: no device");
		e.hdr.size = ISC_IOCTL_DEV_SIZE;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_SHORT, "v2 has no device part");
		e.hdr.version = 1;
		e.hdr.size = ISC_IOCTL_BASE_SIZE;
		ASSERT_EQ(decode__ioctl(&e, sizeof(e), &v), ISC_DEC_VERSION, "v1 refused");
	}
	TEST(deny_device) {
		struct isc_deny_event d = {
			.hdr = { ISC_EV_DENY, ISC_EVENT_VERSION, sizeof(d), 1 },
			.cmd = VFIO_DEVICE_RESET, .fd_kind = ISC_FD_DEVICE, .reason = ISC_DENY_RULE,
			.hook = ISC_EH_FILE_IOCTL, .err = 1, .comm = "qemu",
			.dev = { "0000:00:02.0", 5 },
		};
		struct isc_deny_view dv;
		struct sink k;

		ASSERT_EQ(decode__deny(&d, sizeof(d), &dv), ISC_DEC_OK, "deny decodes");
		ASSERT_TRUE(dv.has_device, "deny has the device");
		output__deny(sink_open(&k), &dv, NULL);
		j = sink_json(&k);
		ASSERT_STREQ(jstr(j, "device"), "0000:00:02.0", "deny json device");
		ASSERT_EQ(jint(j, "iommu_group"), 5, "deny json iommu_group");
		json_object_put(j);
		d.hdr.version = 2;
		ASSERT_EQ(decode__deny(&d, sizeof(d), &dv), ISC_DEC_SHORT, "v2 deny is shorter");
		d.hdr.size = ISC_DENY_V2_SIZE;
		ASSERT_EQ(decode__deny(&d, ISC_DENY_V2_SIZE, &dv), ISC_DEC_OK, "v2 deny decodes");
		ASSERT_TRUE(!dv.has_device && dv.ev.dev.iommu_group == -1, "v2 deny: no device");
	}
	return harness_done("test_decode");
}

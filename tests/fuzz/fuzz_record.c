// SPDX-License-Identifier: GPL-2.0
/* Ring-buffer records from the kernel are outside data: validation, the
 * decoders, the classifier, the caps tracker, the bind table and both sinks
 * must survive any bytes. */
#include <stdio.h>
#include <stdlib.h>
#include "classify.h"
#include "iommu_state.h"
#include "output.h"

static struct isc_abi abi;
static struct isc_output text, json;
static struct isc_caps_tracker caps;
static struct isc_iommu_state binds;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *null = fopen("/dev/null", "w");

	(void)argc;
	(void)argv;
	abi__learn(&abi, "6.12.0", false);
	output__init(&text, false, null);
	output__init(&json, true, null);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		struct isc_ioctl_view ioctl;
		struct isc_iommu_view iommu;
		struct isc_deny_view deny;
	} v;
	struct isc_ioctl_view late;
	struct isc_verdict cls;

	switch (decode__type(data, size)) {
	case ISC_EV_IOCTL:
		if (decode__ioctl(data, size, &v.ioctl))
			break;
		classify__ioctl(&abi, &v.ioctl, &cls);
		output__ioctl(&text, &v.ioctl, &cls);
		output__ioctl(&json, &v.ioctl, &cls);
		if (classify__track(&caps, &v.ioctl, &late)) {
			classify__caps_truncated(&late, &cls);
			output__mismatch(&json, &late, &cls);
		}
		break;
	case ISC_EV_IOMMU:
		if (decode__iommu(data, size, &v.iommu))
			break;
		iommu_state__update(&binds, &v.iommu);
		classify__iommu(&abi, &v.iommu, &cls);
		output__iommu(&text, &v.iommu, &cls);
		output__iommu(&json, &v.iommu, &cls);
		break;
	case ISC_EV_DENY:
		if (decode__deny(data, size, &v.deny))
			break;
		output__deny(&text, &v.deny, "fuzz.policy");
		output__deny(&json, &v.deny, NULL);
		break;
	}
	return 0;
}

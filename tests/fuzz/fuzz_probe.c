// SPDX-License-Identifier: GPL-2.0
/* 'check --against' reads another host's probe --json. */
#include <stdlib.h>
#include <string.h>
#include "profile.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	isc_silent = 1;	/* our error lines, not libFuzzer's reports */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isc_probe_host ph;
	char *buf = malloc(size + 1);
	struct isc_abi a = {};

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (!abi__from_probe_buf(&a, buf, "fuzz", &ph))
		abi__size(&a, catalog__by_name("VFIO_DEVICE_GET_INFO"));
	abi__free(&a);
	free(buf);
	return 0;
}

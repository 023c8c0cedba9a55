// SPDX-License-Identifier: GPL-2.0
/* A trace -w file is outside data (it may come from another host): the
 * header check, the record reader and everything a replay feeds must
 * survive any bytes. */
#include <stdio.h>
#include <stdlib.h>
#include "classify.h"
#include "output.h"
#include "rawfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct isc_output json;
static FILE *null;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	null = fopen("/dev/null", "w");
	output__init(&json, true, null);
	/* the reader's one-line errors would flood the log */
	stderr = null;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[ISC_RAW_MAX_RECORD] __attribute__((aligned(8)));
	struct isc_raw_header h;
	struct isc_ioctl_view v;
	struct isc_verdict cls;
	struct isc_abi abi;
	uint64_t off = 0;
	FILE *f;
	long n;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (!rawfile__read_header(f, "fuzz", &h, &abi)) {
		while ((n = rawfile__next(f, "fuzz", buf, &off)) > 0) {
			int k = rawfile__apply_abi(buf, n, "fuzz", &abi);

			if (k < 0)
				break;	/* as a replay does */
			if (k)
				continue;
			if (decode__type(buf, n) != ISC_EV_IOCTL || decode__ioctl(buf, n, &v))
				continue;
			classify__ioctl(&abi, &v, &cls);
			output__ioctl(&json, &v, &cls);
		}
		abi__free(&abi);
	}
	fclose(f);
	return 0;
}

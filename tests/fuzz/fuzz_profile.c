// SPDX-License-Identifier: GPL-2.0
/* Profile files come from other hosts: the parser, and the checker over
 * whatever it accepted, must survive any bytes. */
#include <stdlib.h>
#include <string.h>
#include "profile.h"
#include "util.h"

static struct isc_abi abi;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	abi__learn(&abi, "5.10.0", false);
	abi.ext_known = true;
	memset(abi.ext, 0, sizeof(abi.ext));
	isc_silent = 1;	/* our error lines, not libFuzzer's reports */
	return 0;
}

static void ignore(const struct isc_finding *f, void *ctx)
{
	(void)f;
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isc_profile p;
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (!profile__load_buf(&p, buf, size, "fuzz")) {
		profile__check(&p, &abi, ignore, NULL);
		profile__free(&p);
	}
	free(buf);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Seed corpus for fuzz_record: the records of seeds.h (a few valid records
 * of each type), written as files into the directory given, so the fuzzer
 * starts past the header checks. */
#include <stdint.h>
#include <stdio.h>
#include "seeds.h"

static void put(void *ctx, const char *name, const void *rec, size_t len)
{
	const char *dir = ctx;
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
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	isc_seeds(put, argv[1]);
	return 0;
}

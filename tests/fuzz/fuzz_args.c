// SPDX-License-Identifier: GPL-2.0
/* Command-line values: numbers, durations, sizes, release strings, flag
 * names. */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), flags[128];
	uint64_t v;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	parse_u64(s, 0, UINT64_MAX, &v);
	parse_u64(s, 1, 4194304, &v);
	parse_duration_ns(s, &v);
	parse_size_bytes(s, &v);
	abi__parse_release(s);
	if (size >= 4) {
		uint32_t f;

		memcpy(&f, data, 4);
		catalog__flags_str(catalog__by_name("VFIO_DEVICE_SET_IRQS"), f, flags, sizeof(flags));
		catalog__flags_str(NULL, f, flags, 8);
	}
	free(s);
	return 0;
}

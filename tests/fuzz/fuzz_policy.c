// SPDX-License-Identifier: GPL-2.0
/* Policy files are edited by hand and reloaded into a running guard: the
 * parser, and the compiler over whatever it accepted, must survive any
 * bytes. */
#include <stdlib.h>
#include <string.h>
#include "policy_file.h"
#include "util.h"

static struct isc_abi abi;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	abi__learn(&abi, "6.12.0", false);
	isc_silent = 1;
	return 0;
}

static int count(void *ctx, const struct isc_cat_key *k, const struct isc_policy_entry *e)
{
	(void)k;
	if (e->nr_rules < 1 || e->nr_rules > ISC_POLICY_MAX_RULES)
		abort();	/* the hook relies on this bound */
	(*(int *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ISC_POLICY_ERR_LEN];
	struct isc_policy p;
	int n = 0;

	if (!policy__parse("fuzz", (const char *)data, size, &p, err, sizeof(err))) {
		policy__compile(&p, "fuzz", &abi, 0, 1, count, &n, err, sizeof(err));
		policy__free(&p);
	} else if (strncmp(err, "fuzz:", 5)) {
		abort();	/* every parse error names file:line:col */
	}
	return 0;
}

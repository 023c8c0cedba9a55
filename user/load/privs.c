// SPDX-License-Identifier: GPL-2.0
/* Dropping the capabilities a command no longer needs after its load. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "privs.h"
#include "util.h"

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static int caps_set(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)prm, 0 },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), 0 },
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* Every capability of the bounding set outside keep; needs CAP_SETPCAP. */
static int bounding_drop(uint64_t keep)
{
	int c, r;

	for (c = 0; c < 64; c++) {
		if (keep & (1ULL << c))
			continue;
		r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)	/* past the kernel's last capability */
			break;
		if (r && prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			return -errno;
	}
	return 0;
}

int privs__drop(const int *keep, int n)
{
	struct __user_cap_data_struct d[2];
	uint64_t want = 0, prm;
	int i, err;

	for (i = 0; i < n; i++)
		if (keep[i] >= 0 && keep[i] < 64)
			want |= 1ULL << keep[i];
	err = caps_get(d);
	if (err)
		goto fail;
	prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	/* The bounding set first: dropping from it takes CAP_SETPCAP, which
	 * goes with the rest below. A service unit's bounding set is already
	 * narrow and lacks CAP_SETPCAP: it stays as the unit made it. */
	if (d[0].effective & (1U << CAP_SETPCAP)) {
		err = bounding_drop(want);
		if (err)
			goto fail;
	}
	err = caps_set(prm & want, prm & want);
	if (err)
		goto fail;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		err = -errno;
		goto fail;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		err = -errno;
		goto fail;
	}
	isc_info("capabilities after load: %#llx (of %#llx)", (unsigned long long)(prm & want),
		 (unsigned long long)prm);
	return 0;
fail:
	isc_warn("cannot drop the capabilities not needed after load: %s", strerror(-err));
	return err;
}

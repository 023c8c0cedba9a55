// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "iommu_state.h"

int iommu_state__device_group(const char *device)
{
	char path[128], target[PATH_MAX], *end;
	const char *base;
	long group;
	ssize_t n;

	if (!device[0] || strchr(device, '/'))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", device);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	errno = 0;
	group = strtol(base, &end, 10);
	return errno || end == base || *end || group < 0 || group > INT_MAX ? -1 : (int)group;
}

static struct isc_bind *find(struct isc_iommu_state *st, uint64_t domain, int group,
			     const char *device)
{
	int i;

	for (i = st->nr - 1; i >= 0; i--) {
		struct isc_bind *b = &st->binds[i];

		if ((domain && b->domain == domain) || (group >= 0 && b->group == group) ||
		    (device[0] && !strcmp(b->device, device)))
			return b;
	}
	return NULL;
}

static void forget(struct isc_iommu_state *st, struct isc_bind *b)
{
	memmove(b, b + 1, (char *)&st->binds[st->nr] - (char *)(b + 1));
	st->nr--;
}

void iommu_state__update(struct isc_iommu_state *st, struct isc_iommu_view *v)
{
	const struct isc_iommu_event *e = &v->ev;
	struct isc_bind *b;

	if (v->group < 0 && v->device[0])
		v->group = iommu_state__device_group(v->device);
	if (e->op == ISC_IOMMU_BIND && (!(e->ief & ISC_IEF_RET) || !e->ret)) {
		if (st->nr == ISC_MAX_BINDS)
			forget(st, &st->binds[0]);
		b = &st->binds[st->nr++];
		b->domain = e->domain;
		b->group = v->group;
		snprintf(b->device, sizeof(b->device), "%s", v->device);
		b->pid = e->pid;
		memcpy(b->comm, e->comm, sizeof(b->comm));
	}
	b = find(st, e->domain, v->group, v->device);
	if (!b)
		return;
	if (v->group < 0)
		v->group = b->group;
	if (!v->device[0])
		snprintf(v->device, sizeof(v->device), "%s", b->device);
	v->owner_pid = b->pid;
	memcpy(v->owner_comm, b->comm, sizeof(v->owner_comm));
	if (e->op == ISC_IOMMU_UNBIND)
		forget(st, b);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: what trace spends per record in user space, stage by stage,
 * on a record like the tracepoint programs submit for the benchmark loop's
 * VFIO_IOMMU_MAP_DMA: validate and decode (decode__ioctl), classify
 * (classify__ioctl + the caps tracker), format as JSON and as text to
 * /dev/null (output__ioctl, through a 64 KiB stdio buffer as trace's stdout
 * has when it is not a terminal). Prints "stage ns_per_record" lines, then
 * one verdict line per formatter against its budget, "PASS  ..." or
 * "FAIL  ..." as scripts/bench.sh prints its own (the exit status does not
 * depend on them).
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include "abi.h"
#include "classify.h"
#include "decode.h"
#include "output.h"

#define N 400000

/* ns per record: what trace --json and text may spend formatting */
#define JSON_BUDGET_NS 500
#define TEXT_BUDGET_NS 300

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void record(struct isc_ioctl_event *e)
{
	uint32_t head[8] = { 32, 3, 0, 0x7f00, 0x100000, 0, 0x200000, 0 };

	memset(e, 0, sizeof(*e));
	e->hdr.type = ISC_EV_IOCTL;
	e->hdr.version = ISC_EVENT_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.ts_ns = 123456789;
	e->latency_ns = 310;
	e->cgroup_id = 4242;
	e->arg = 0x7ffc12345678;
	e->ret = -25;		/* ENOTTY */
	e->pid = e->tid = 4321;
	e->fd = 3;
	e->cmd = 0x3b71;	/* VFIO_IOMMU_MAP_DMA */
	e->fd_kind = ISC_FD_CONTAINER;
	e->entry_hook = e->exit_hook = ISC_HOOK_TP;
	e->arg_len = ISC_ARG_HEAD;
	e->iof = ISC_IOF_ARG_READ | ISC_IOF_ARGSZ_OUT;
	e->argsz_out = 32;
	memcpy(e->comm, "bench_loop", 11);
	memcpy(e->arg_head, head, sizeof(head));
}

int main(void)
{
	static struct isc_caps_tracker caps;
	static struct isc_ioctl_view v, late;
	struct isc_ioctl_event e;
	struct isc_output out;
	struct isc_verdict cls;
	struct isc_abi abi = {};
	struct utsname u;
	FILE *null = fopen("/dev/null", "w");
	static char buf[1 << 16];
	double t, ns[2];
	int i, mode;

	if (!null || uname(&u))
		return 1;
	setvbuf(null, buf, _IOFBF, sizeof(buf));
	abi__learn(&abi, u.release, false);
	record(&e);

	t = now_ns();
	for (i = 0; i < N; i++)
		decode__ioctl(&e, sizeof(e), &v);
	printf("decode %.1f\n", (now_ns() - t) / N);

	t = now_ns();
	for (i = 0; i < N; i++) {
		classify__ioctl(&abi, &v, &cls);
		classify__track(&caps, &v, &late);
	}
	printf("classify %.1f\n", (now_ns() - t) / N);

	for (mode = 1; mode >= 0; mode--) {
		output__init(&out, mode, null);
		t = now_ns();
		for (i = 0; i < N; i++)
			output__ioctl(&out, &v, &cls);
		fflush(null);
		ns[mode] = (now_ns() - t) / N;
		printf("%s %.1f\n", mode ? "json" : "text", ns[mode]);
	}
	printf("%s  JSON formatting <= %d ns per record (decode_bench): %.1f ns\n",
	       ns[1] <= JSON_BUDGET_NS ? "PASS" : "FAIL", JSON_BUDGET_NS, ns[1]);
	printf("%s  text formatting <= %d ns per record (decode_bench): %.1f ns\n",
	       ns[0] <= TEXT_BUDGET_NS ? "PASS" : "FAIL", TEXT_BUDGET_NS, ns[0]);
	fclose(null);
	abi__free(&abi);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: attach the empty programs of tests/bench/empty.bpf.c and wait
 * for SIGINT/SIGTERM. "bench_floor tp" or "bench_floor full". Prints
 * "bench_floor: attached N programs" on stderr once attached.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "empty.skel.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	static const char *const full[] = {
		"container_fentry", "container_fexit", "group_fentry", "group_fexit",
		"device_fentry", "device_fexit", "map_tp", "unmap_tp", "tlb_sync_fentry",
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_program *prog;
	struct empty_bpf *skel;
	size_t i;
	int err, n = 0;

	if (argc != 2 || (strcmp(argv[1], "tp") && strcmp(argv[1], "full"))) {
		fprintf(stderr, "usage: bench_floor tp|full\n");
		return 2;
	}
	libbpf_set_print(quiet);
	skel = empty_bpf__open();
	if (!skel) {
		fprintf(stderr, "bench_floor: open: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "tp")) {
		bpf_program__set_autoload(skel->progs.tp_enter, true);
		bpf_program__set_autoload(skel->progs.tp_exit, true);
	} else {
		for (i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
			prog = bpf_object__find_program_by_name(skel->obj, full[i]);
			if (prog)
				bpf_program__set_autoload(prog, true);
		}
	}
	err = empty_bpf__load(skel) ?: empty_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bench_floor: load/attach: %s\n", strerror(-err));
		empty_bpf__destroy(skel);
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
		n += bpf_program__autoload(prog);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "bench_floor: attached %d programs\n", n);
	while (!exiting)
		pause();
	empty_bpf__destroy(skel);
	return 0;
}

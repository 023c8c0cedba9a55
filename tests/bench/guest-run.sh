#!/bin/sh
# make bench, inside the guest (busybox sh; scripts/bench-guest.sh puts it
# in the payload as run.sh): the A/B loop on real VFIO ioctls, full mode.
# Configurations interleaved over rounds (the order rotates): nothing, the
# floor (empty fentry/fexit and IOMMU-core programs on the hooks full mode
# uses), iommuscope top, iommuscope trace --json >/dev/null. Writes
# "$RESULTS/bench.txt": one "OP CONFIG ROUND CPU_NS WALL_NS" line per loop;
# scripts/bench.sh turns them into ratios. OP: api, dma (4 KiB MAP+UNMAP),
# dma1g (1 GiB MAP+UNMAP: must not get measurably slower).
# Then one untimed round per tool with kernel.bpf_stats_enabled=1: the run
# count and run time of each of the tool's BPF programs over one loop,
# "$RESULTS/progs-TOOL-OP.pre.json" and "progs-TOOL-OP.json" (iommuscope
# probe --json before and after the loop, while the tool still runs), which
# bench.sh turns into ns per call per program. The loop's warm-up calls are
# counted in them too (a tenth of N, at least one).
# bench.conf sets ROUNDS, N_API, N_DMA, N_DMA1G.
set -u
R=$RESULTS
cd "$(dirname "$0")" || exit 1
ROUNDS=5 N_API=20000 N_DMA=2000 N_DMA1G=2
# shellcheck source=/dev/null
[ -f bench.conf ] && . ./bench.conf
GROUP=/dev/vfio/$ISC_GROUP

./iommuscope probe >"$R/probe.txt" 2>&1

# start CONFIG: attach in the background and wait (TCG is slow)
start() {
	rm -f "$R/tool.err"
	case $1 in
	base) PID=; return 0 ;;
	floor) ./bench_floor full 2>"$R/tool.err" & ;;
	top) ./iommuscope top -b --mode full >/dev/null 2>"$R/tool.err" & ;;
	trace) ./iommuscope trace --json --mode full >/dev/null 2>"$R/tool.err" & ;;
	esac
	PID=$!
	case $1 in
	floor) ready='^bench_floor: attached' ;;
	top) ready='^iommuscope: counting' ;;
	trace) ready='^iommuscope: tracing' ;;
	esac
	i=0
	while [ $i -lt 1200 ]; do
		grep -q "$ready" "$R/tool.err" 2>/dev/null && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "$1 did not start:" >>"$R/errors.txt"
	cat "$R/tool.err" >>"$R/errors.txt"
	return 1
}

# compact: the same free memory for every 1 GiB loop. How many contiguous
# chunks the IOMMU maps (so how long the pin and the map take) follows
# from how fragmented the guest's memory is, which grows over the run (one
# run without this: 37 maps per 1 GiB under top, 267 under trace after it).
compact() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	[ -w /proc/sys/vm/compact_memory ] && echo 1 >/proc/sys/vm/compact_memory
	return 0
}

stop() {
	[ -n "$PID" ] || return 0
	kill -INT "$PID"
	wait "$PID"
	cat "$R/tool.err" >>"$R/tools.log"
}

set -- base floor top trace
r=0
while [ $r -lt "$ROUNDS" ]; do
	# rotate the order by one each round
	k=0
	while [ $k -lt $r ]; do
		c=$1
		shift
		set -- "$@" "$c"
		k=$((k + 1))
	done
	for c in "$@"; do
		start "$c" || continue
		printf 'api %s %s %s\n' "$c" $r "$(./bench_loop api -n "$N_API" | cut -d' ' -f1,2)" >>"$R/bench.txt"
		printf 'dma %s %s %s\n' "$c" $r "$(./bench_loop dma -n "$N_DMA" -g "$GROUP" | cut -d' ' -f1,2)" \
			>>"$R/bench.txt"
		compact
		printf 'dma1g %s %s %s\n' "$c" $r \
			"$(./bench_loop dma -n "$N_DMA1G" -s 0x40000000 -g "$GROUP" | cut -d' ' -f1,2)" >>"$R/bench.txt"
		stop
	done
	set -- base floor top trace
	r=$((r + 1))
done

# per-program cost: untimed, with the kernel's run-time statistics on
if echo 1 >/proc/sys/kernel/bpf_stats_enabled; then
	for c in top trace; do
		for op in api dma dma1g; do
			start "$c" || continue
			# warmed up (the loop's own warm-up runs too), then the
			# programs' counts before and after the loop
			./bench_loop api -n 100 >/dev/null
			./iommuscope probe --json >"$R/progs-$c-$op.pre.json" 2>>"$R/errors.txt"
			case $op in
			api) ./bench_loop api -n "$N_API" ;;
			dma) ./bench_loop dma -n "$N_DMA" -g "$GROUP" ;;
			dma1g) compact && ./bench_loop dma -n "$N_DMA1G" -s 0x40000000 -g "$GROUP" ;;
			esac >"$R/progs-$c-$op.loop"
			./iommuscope probe --json >"$R/progs-$c-$op.json" 2>>"$R/errors.txt"
			stop
		done
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
else
	echo "kernel.bpf_stats_enabled: cannot enable" >>"$R/errors.txt"
fi

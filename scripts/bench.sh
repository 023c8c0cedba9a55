#!/usr/bin/env bash
# make bench: what iommuscope costs, measured side by side in one run and
# printed as ratios with PASS/FAIL against the targets of
# docs/performance.md. It prints; it never fails a build on a figure (exit 0 unless
# the benchmark itself could not run).
#
#  1. host, tracepoint mode: a loop of VFIO_IOMMU_MAP_DMA (real struct) on a
#     character device iommuscope is told to count as a container, under:
#     nothing, the floor (empty programs on the same tracepoints),
#     iommuscope top, iommuscope trace --json >/dev/null, a bpftrace
#     counting one-liner, strace -f -e trace=ioctl. Interleaved over
#     BENCH_ROUNDS rounds (the order rotates); medians of the rounds.
#  2. the same configurations' cost to a non-VFIO ioctl (TCGETS on a pty)
#  3. ring buffer: the highest rate trace --json, and trace -w (undecoded
#     records to a file), sustain for BENCH_TP_SECS with zero drops (one
#     producer CPU), loader CPU per million events, peak RSS;
#     decode/classify/JSON/text cost per record in user space
#  4. the guest (scripts/bench-guest.sh): full mode on real VFIO ioctls
#
# BENCH_ROUNDS (7), BENCH_N calls per loop (400000), BENCH_STRACE_N (20000),
# BENCH_TP_SECS (10), BENCH_RATES ("50000 100000 250000 500000 1000000 max"),
#  5. idle: audit and export with no VFIO traffic (scripts/bench-idle.sh)
#
# BENCH_GUEST=0 skips part 4, BENCH_PARTS ("1 3 4 5"; 2 runs with 1).
# The raw figures of the last run are kept in $OUTPUT/bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUTPUT:-$PWD/.output}
BIN=$OUT/iommuscope
B=$OUT/bench
ROUNDS=${BENCH_ROUNDS:-7}
N=${BENCH_N:-400000}
STRACE_N=${BENCH_STRACE_N:-20000}
TP_SECS=${BENCH_TP_SECS:-10}
RATES=${BENCH_RATES:-50000 100000 250000 500000 1000000 max}
PARTS=${BENCH_PARTS:-1 3 4 5}
CLASSIFY=(--classify /dev/null=container)
BPFTRACE_PROG='tracepoint:syscalls:sys_enter_ioctl /(args->cmd & 0xffffff00) == 0x3b00/ { @[pid, comm, args->cmd] = count(); }'
# for reference (no target): bpftrace doing more of what top does, entry and
# exit with a latency histogram (still no fd classification or catalog)
BPFTRACE_LAT='tracepoint:syscalls:sys_enter_ioctl /(args->cmd & 0xffffff00) == 0x3b00/ { @s[tid] = nsecs; @c[tid] = args->cmd; }
tracepoint:syscalls:sys_exit_ioctl /@s[tid]/ { @n[pid, comm, @c[tid]] = count(); @lat[pid, @c[tid]] = hist(nsecs - @s[tid]); delete(@s[tid]); delete(@c[tid]); }'

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: must run as root (loads BPF programs)" >&2
	exit 1
fi
for t in "$BIN" "$B/bench_loop" "$B/bench_floor" "$B/decode_bench"; do
	[ -x "$t" ] || { echo "bench: $t missing: run 'make bench'" >&2; exit 1; }
done
have_bpftrace=1 have_strace=1
command -v bpftrace >/dev/null || have_bpftrace=0
command -v strace >/dev/null || have_strace=0
# raw figures of the last run stay here (one file per configuration)
tmp=$OUT/bench-results
rm -rf "$tmp"
mkdir -p "$tmp"
TOOL_PID=
cleanup() {
	if [ -n "$TOOL_PID" ]; then
		kill -TERM "$TOOL_PID" 2>/dev/null && wait "$TOOL_PID" 2>/dev/null
	fi
	true
}
trap cleanup EXIT

# wait_for FILE PATTERN: until the background tool says it is attached.
wait_for() {
	local _
	for _ in $(seq 300); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$TOOL_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: tool did not start:" >&2
	cat "$1" >&2
	exit 1
}

# start CONFIG: attach the tool of a configuration in the background.
start() {
	TOOL_PID=
	rm -f "$tmp/tool.err"
	case $1 in
	base | strace) return 0 ;;
	floor) "$B/bench_floor" tp 2>"$tmp/tool.err" & ;;
	top) "$BIN" top -b --mode tracepoint "${CLASSIFY[@]}" >/dev/null 2>"$tmp/tool.err" & ;;
	trace) "$BIN" trace --json --mode tracepoint "${CLASSIFY[@]}" >/dev/null 2>"$tmp/tool.err" & ;;
	bpftrace) bpftrace -e "$BPFTRACE_PROG" >"$tmp/tool.err" 2>&1 & ;;
	bpftrace-lat) bpftrace -e "$BPFTRACE_LAT" >"$tmp/tool.err" 2>&1 & ;;
	esac
	TOOL_PID=$!
	case $1 in
	floor) wait_for "$tmp/tool.err" 'attached' ;;
	top) wait_for "$tmp/tool.err" '^iommuscope: counting' ;;
	trace) wait_for "$tmp/tool.err" '^iommuscope: tracing' ;;
	bpftrace*) wait_for "$tmp/tool.err" '^Attaching' ;;
	esac
}

stop() {
	[ -n "$TOOL_PID" ] || return 0
	kill -TERM "$TOOL_PID"
	wait "$TOOL_PID" 2>/dev/null || true
	TOOL_PID=
}

# loop CONFIG OP: one timed loop; prints ns per call: the loop thread's CPU
# time (BPF programs run in it; time spent waiting for a CPU on this shared
# machine is left out), under strace the wall time (the loop waits for the
# tracer: that wait is strace's cost).
loop() {
	if [ "$1" = strace ]; then
		strace -f -e trace=ioctl -o /dev/null "$B/bench_loop" "$2" -n "$STRACE_N" | cut -d' ' -f2
	else
		"$B/bench_loop" "$2" -n "$N" | cut -d' ' -f1
	fi
}

# stats FILE: "median min max" of the numbers in FILE.
stats() {
	sort -g "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}
med() { stats "$1" | cut -d' ' -f1; }
# ratio A B: A/B with one decimal, "inf" when B <= 0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "inf"; else printf "%.2f\n", a / b }'; }
# verdict OK TEXT: "PASS TEXT" or "FAIL TEXT"
verdict() { if [ "$1" = 1 ]; then echo "PASS  $2"; else echo "FAIL  $2"; fi; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "inf" && a <= b) }' && echo 1 || echo 0; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a == "inf" || a >= b) }' && echo 1 || echo 0; }

host_info() {
	echo "kernel $(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
	echo "spectre_v2: $(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null || echo '?')"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# table PREFIX CONFIG...: median ns/call, added ns and the spread of the
# rounds of each configuration, from PREFIX.CONFIG and PREFIX.CONFIG.added
table() {
	local p=$1 c m lo hi
	shift
	printf '  %-12s %10s %12s %24s\n' config ns/call "added ns" "spread of rounds (ns)"
	for c in "$@"; do
		[ -f "$p.$c" ] || continue
		read -r m lo hi < <(stats "$p.$c")
		printf '  %-12s %10.1f %12.1f %12s..%-8s (%s%%)\n' "$c" "$m" "$(med "$p.$c.added")" \
			"$lo" "$hi" "$(awk -v m="$m" -v a="$lo" -v b="$hi" 'BEGIN { printf "%.0f", 100 * (b - a) / m }')"
	done
}

# ---------------------------------------------------------------- parts 1, 2
part12() {
	local configs=(base floor top trace) r i c op
	[ $have_bpftrace = 1 ] && configs+=(bpftrace bpftrace-lat)
	[ $have_strace = 1 ] && configs+=(strace)
	echo
	echo "== 1, 2: host, tracepoint mode: $N calls per loop ($STRACE_N under strace), $ROUNDS rounds =="
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < ${#configs[@]}; i++)); do
			c=${configs[$(((i + r) % ${#configs[@]}))]}
			start "$c"
			for op in map tcgets; do
				[ "$c" = strace ] && [ $op = tcgets ] && continue
				loop "$c" $op >>"$tmp/$op.$c"
			done
			stop
		done
		# per-round added cost over this round's baseline
		for op in map tcgets; do
			local bl
			bl=$(tail -n 1 "$tmp/$op.base")
			for c in "${configs[@]}"; do
				[ -f "$tmp/$op.$c" ] || continue
				awk -v a="$(tail -n 1 "$tmp/$op.$c")" -v b="$bl" 'BEGIN { printf "%.1f\n", a - b }' \
					>>"$tmp/$op.$c.added"
			done
		done
	done
	for op in map tcgets; do
		if [ $op = map ]; then
			echo "VFIO_IOMMU_MAP_DMA (0x3b71, 32-byte struct) on a counted fd; the kernel answers ENOTTY"
			echo "  (ns/call: CPU time of the calling thread; strace: wall time)"
		else
			echo "TCGETS on a pty (not a VFIO ioctl)"
		fi
		table "$tmp/$op" "${configs[@]}"
	done

	local fl tp tr bt st tcfl tctop tctr noise
	fl=$(med "$tmp/map.floor.added")
	tp=$(med "$tmp/map.top.added")
	tr=$(med "$tmp/map.trace.added")
	echo
	echo "ratios (added ns over baseline, medians of the per-round differences)"
	R_TOP=$(ratio "$tp" "$fl")
	R_TRACE=$(ratio "$tr" "$fl")
	echo "  top / floor              $R_TOP"
	echo "  trace / floor            $R_TRACE"
	if [ $have_bpftrace = 1 ]; then
		bt=$(med "$tmp/map.bpftrace.added")
		R_BT=$(ratio "$bt" "$tp")
		echo "  bpftrace / top           $R_BT"
		echo "  bpftrace-lat / top       $(ratio "$(med "$tmp/map.bpftrace-lat.added")" "$tp")  (reference: entry+exit, latency histogram)"
	fi
	if [ $have_strace = 1 ]; then
		st=$(med "$tmp/map.strace.added")
		R_ST=$(ratio "$st" "$tr")
		echo "  strace / trace           $R_ST"
	fi
	tcfl=$(med "$tmp/tcgets.floor.added")
	tctop=$(med "$tmp/tcgets.top.added")
	tctr=$(med "$tmp/tcgets.trace.added")
	# noise: half the spread of the floor's per-round added cost
	noise=$(sort -g "$tmp/tcgets.floor.added" | awk '{ v[NR] = $1 } END { printf "%.1f\n", (v[NR] - v[1]) / 2 }')
	echo "  TCGETS: top - floor      $(awk -v a="$tctop" -v b="$tcfl" 'BEGIN { printf "%+.1f ns\n", a - b }')"
	echo "  TCGETS: trace - floor    $(awk -v a="$tctr" -v b="$tcfl" 'BEGIN { printf "%+.1f ns\n", a - b }')"
	echo "  noise (half the spread of the floor's added cost on TCGETS): $noise ns"

	VERDICTS+=("$(verdict "$(le "$R_TOP" 1.5)" "top adds <= 1.5x the floor's cost: ${R_TOP}x ($tp ns vs $fl ns)")")
	VERDICTS+=("$(verdict "$(le "$R_TRACE" 3)" "trace adds <= 3x the floor's cost: ${R_TRACE}x ($tr ns vs $fl ns)")")
	if [ $have_bpftrace = 1 ]; then
		VERDICTS+=("$(verdict "$(ge "$R_BT" 1)" "bpftrace one-liner costs >= top: ${R_BT}x ($bt ns vs $tp ns)")")
	else
		VERDICTS+=("SKIP  bpftrace >= top: bpftrace not installed (make test-deps)")
	fi
	if [ $have_strace = 1 ]; then
		VERDICTS+=("$(verdict "$(ge "$R_ST" 50)" "strace costs >= 50x trace: ${R_ST}x ($st ns vs $tr ns)")")
	else
		VERDICTS+=("SKIP  strace >= 50x trace: strace not installed (make test-deps)")
	fi
	local ok=1 d
	for d in "$tctop" "$tctr"; do
		awk -v d="$d" -v f="$tcfl" -v n="$noise" 'BEGIN { exit !(d - f <= n) }' || ok=0
	done
	VERDICTS+=("$(verdict $ok "non-VFIO ioctls within noise of the floor: top $tctop, trace $tctr, floor $tcfl ns added (noise $noise ns)")")
}

# ------------------------------------------------------------------- part 3
# counts PID: "events drops" from the tool's own per-CPU "stats" map (found
# through its fds), summed over CPUs; JSON mode prints its summary on stdout.
counts() {
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		id=$(awk '/^map_id:/ { print $2 }' "$f")
		[ -n "$id" ] || continue
		bpftool map show id "$id" -j | jq -e 'select(.name == "stats")' >/dev/null || continue
		bpftool map dump id "$id" -j | jq -r 'map({(.formatted.key | tostring):
			([.formatted.values[].value] | add)}) | add | "\(.["3"]) \(.["0"])"'
		return 0
	done
	echo "0 0"
}

# run_trace FORMAT RATE: trace for TP_SECS with the producer paced at RATE
# on CPU 1; prints "achieved events drops cpu_ms hwm_kib". FORMAT: json,
# text (both to /dev/null) or raw (trace -w /dev/null: undecoded records)
run_trace() {
	local fmt=$1 rate=$2 args=() t0 t1 now hwm line ev dr
	[ "$fmt" = json ] && args=(--json)
	[ "$fmt" = raw ] && args=(-w /dev/null)
	[ "$rate" = max ] && rate=1000000000
	TOOL_PID=
	rm -f "$tmp/tool.err"
	"$BIN" trace "${args[@]}" --mode tracepoint "${CLASSIFY[@]}" >/dev/null 2>"$tmp/tool.err" &
	TOOL_PID=$!
	wait_for "$tmp/tool.err" '^iommuscope: tracing'
	t0=$(awk '{ print $14 + $15 }' "/proc/$TOOL_PID/stat")
	line=$(taskset -c 1 "$B/bench_loop" map -r "$rate" -t "$TP_SECS")
	# let the reader drain what is left (done when its CPU time stops growing)
	t1=$(awk '{ print $14 + $15 }' "/proc/$TOOL_PID/stat")
	while sleep 0.3; do
		now=$(awk '{ print $14 + $15 }' "/proc/$TOOL_PID/stat")
		[ "$now" = "$t1" ] && break
		t1=$now
	done
	read -r ev dr < <(counts "$TOOL_PID")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$TOOL_PID/status")
	stop
	echo "$(cut -d' ' -f1 <<<"$line") $ev $dr $(((t1 - t0) * 1000 / $(getconf CLK_TCK))) $hwm"
}

# ladder FORMAT: the rates of RATES until the first with drops; sets BEST
# (highest achieved rate with zero drops), CPU_PM (loader CPU per million
# events there), ABOVE (what the next rate lost) and HWM_MAX
ladder() {
	local rate res ach ev dr cpu hwm cpu_pm first=""
	BEST=0 BEST_RATE="" ABOVE="" CPU_PM=""
	for rate in $RATES; do
		[ -n "$first" ] || first=$rate
		res=$(run_trace "$1" "$rate")
		read -r ach ev dr cpu hwm <<<"$res"
		cpu_pm=$(awk -v c="$cpu" -v e="$ev" 'BEGIN { if (e > 0) printf "%.0f", c * 1e6 / e; else print "-" }')
		printf '  %-6s %-10s %12s %10s %8s %10s %14s %8.1f\n' "$1" "$rate" "$ach" "$ev" "$dr" "$cpu" \
			"$cpu_pm" "$(awk -v h="$hwm" 'BEGIN { print h / 1024 }')"
		[ "$hwm" -gt "$HWM_MAX" ] && HWM_MAX=$hwm
		[ -n "$CPU_PM" ] || CPU_PM=$cpu_pm
		if [ "$dr" = 0 ]; then
			BEST=$ach
			BEST_RATE=$rate
			CPU_PM=$cpu_pm
		else
			ABOVE="$ach/s: $dr of $((ev + dr)) dropped"
			break
		fi
	done
	[ -n "$BEST_RATE" ] || BEST_RATE=$first
}

# pct A B: A as a percentage of B, one decimal
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "inf"; else printf "%.1f\n", 100 * a / b }'; }

# rate_verdict FORMAT BEST ABOVE: "BEST >= 90 % of the producer alone
# (P0) with zero drops"; when it fails, says whether user space or the
# programs in the producer (trace -w's rate, RAW_BEST) are the limit
rate_verdict() {
	local why=""
	if [ "$(ge "$2" "$(awk -v p="$P0" 'BEGIN { print 0.9 * p }')")" = 0 ]; then
		if [ "$(ge "$2" "$(awk -v r="$RAW_BEST" 'BEGIN { print 0.9 * r }')")" = 1 ]; then
			why="; the limit is in the producer: with the programs attached it reaches $RAW_BEST/s (trace -w, $(pct "$RAW_BEST" "$P0") %): the BPF side, not decoding"
		else
			why="; the limit is user space: trace -w reaches $RAW_BEST/s"
		fi
	fi
	verdict "$(ge "$2" "$(awk -v p="$P0" 'BEGIN { print 0.9 * p }')")" \
		"trace $1 sustains >= 90 % of the producer alone with zero drops: $2/s = $(pct "$2" "$P0") % of $P0/s${3:+ (above: $3)}$why"
}

part3() {
	local json_best json_above json_cpu text_best text_above text_cpu raw_above raw_cpu line
	HWM_MAX=0
	echo
	echo "== 3: ring buffer: trace --json, trace (text) >/dev/null and trace -w /dev/null, producer paced on CPU 1 for ${TP_SECS}s per rate =="
	P0=$(taskset -c 1 "$B/bench_loop" map -r 1000000000 -t "$TP_SECS" | cut -d' ' -f1)
	echo "  the producer alone (nothing attached, paced at max): $P0/s"
	printf '  %-6s %-10s %12s %10s %8s %10s %14s %8s\n' format target achieved/s events drops "cpu ms" "cpu ms/M ev" "HWM MiB"
	ladder raw
	RAW_BEST=$BEST raw_above=$ABOVE raw_cpu=$CPU_PM
	ladder json
	json_best=$BEST json_above=$ABOVE json_cpu=$CPU_PM
	ladder text
	text_best=$BEST text_above=$ABOVE text_cpu=$CPU_PM
	echo "user space per record (tests/bench/decode_bench, ns):"
	# "stage ns" lines, then its own PASS/FAIL lines (the formatters' budgets)
	"$B/decode_bench" >"$tmp/decode_bench"
	awk '$1 != "PASS" && $1 != "FAIL" { printf "  %-10s %8.1f\n", $1, $2 }' "$tmp/decode_bench"
	echo "  (trace --json = decode + classify + json; text = decode + classify + text; plus libbpf's"
	echo "   ring buffer callback and the write to /dev/null; trace -w = the callback and the write)"

	VERDICTS+=("$(rate_verdict --json "$json_best" "$json_above")")
	VERDICTS+=("$(rate_verdict "(text)" "$text_best" "$text_above")")
	while IFS= read -r line; do
		VERDICTS+=("$line")
	done < <(grep -E '^(PASS|FAIL)  ' "$tmp/decode_bench")
	VERDICTS+=("$(verdict "$(ge "$json_best" 1000000)" "trace --json streams >= 1 M events/s with zero drops: $json_best/s${json_above:+ (above: $json_above)}")")
	VERDICTS+=("$(verdict "$(ge "$RAW_BEST" 1000000)" "trace -w streams >= 1 M events/s with zero drops: $RAW_BEST/s${raw_above:+ (above: $raw_above)}")")
	VERDICTS+=("$(verdict "$(le "${json_cpu/-/inf}" 500)" "loader CPU <= 500 ms per million decoded records, JSON: $json_cpu ms")")
	VERDICTS+=("$(verdict "$(le "${text_cpu/-/inf}" 500)" "loader CPU <= 500 ms per million decoded records, text: $text_cpu ms")")
	VERDICTS+=("$(verdict "$(le "${json_cpu/-/inf}" 100)" "loader CPU <= 100 ms per million events, decoded: $json_cpu ms (JSON), $text_cpu ms (text)")")
	VERDICTS+=("$(verdict "$(le "${raw_cpu/-/inf}" 100)" "loader CPU <= 100 ms per million events, trace -w: $raw_cpu ms")")
	VERDICTS+=("$(verdict "$(le "$HWM_MAX" 32767)" "peak RSS < 32 MiB: $(awk -v h="$HWM_MAX" 'BEGIN { printf "%.1f", h / 1024 }') MiB")")
}


# ------------------------------------------------------------------- part 4
# guest_split RAW OP: per configuration, the loops' CPU ns ($tmp/gOP.C) and
# the difference to the same round's baseline ($tmp/gOP.C.added)
guest_split() {
	local c
	for c in base floor top trace; do
		awk -v o="$2" -v c=$c '$1 == o && $2 == c { print $4 }' "$1" >"$tmp/g$2.$c"
		awk -v o="$2" -v c=$c '$1 == o && $2 == "base" { b[$3] = $4 }
			$1 == o && $2 == c { a[$3] = $4 }
			END { for (r in a) if (r in b) printf "%.1f\n", a[r] - b[r] }' "$1" >"$tmp/g$2.$c.added"
	done
}

# guest_table OP: x baseline, x floor and the spread of each configuration
guest_table() {
	local c fl
	fl=$(med "$tmp/g$1.floor.added")
	printf '  %-10s %12s %12s %14s %s\n' config "ns/call" "x baseline" "x floor" "(added cost; spread of rounds)"
	for c in base floor top trace; do
		printf '  %-10s %12s %12s %14s (%s ns; %s)\n' "$c" "$(med "$tmp/g$1.$c")" \
			"$(ratio "$(med "$tmp/g$1.$c")" "$(med "$tmp/g$1.base")")" \
			"$(ratio "$(med "$tmp/g$1.$c.added")" "$fl")" "$(med "$tmp/g$1.$c.added")" \
			"$(stats "$tmp/g$1.$c" | awk '{ printf "%.0f%%", 100 * ($3 - $2) / $1 }')"
	done
}

# progs DIR TOOL OP: the tool's BPF programs over one loop in the guest (run
# count per call, ns per call, ns per run): the difference of
# progs-TOOL-OP.json and .pre.json by program, over the loop's calls and its
# warm-up (a tenth, at least one); the three most expensive per call are
# kept in PROGS_TOP for the verdicts
progs() {
	local j=$1/progs-$2-$3.json pre=$1/progs-$2-$3.pre.json n d
	PROGS_TOP=""
	n=$(awk '{ w = int($3 / 10); print $3 + (w ? w : 1) }' "$1/progs-$2-$3.loop" 2>/dev/null)
	if [ -z "$n" ] || ! jq -e '.bpf_programs | length > 0' "$j" >/dev/null 2>&1 ||
		! jq -e '.bpf_programs' "$pre" >/dev/null 2>&1; then
		echo "  $2 $3: no per-program figures (see errors.txt in $1)"
		return 0
	fi
	d=$(jq -c --slurpfile pre "$pre" '[.bpf_programs[] as $p
		| ($pre[0].bpf_programs | map(select(.id == $p.id))[0] // {run_cnt: 0, run_time_ns: 0}) as $b
		| {name: $p.name, run_cnt: ($p.run_cnt - $b.run_cnt),
		   run_time_ns: ($p.run_time_ns - $b.run_time_ns)} | select(.run_cnt > 0)]' "$j")
	echo "  $2, $3 ($n calls with the warm-up; kernel.bpf_stats_enabled=1, untimed):"
	jq -r --argjson n "$n" 'sort_by(-.run_time_ns)[] | [.name, .run_cnt / $n, .run_time_ns / $n,
		.run_time_ns / .run_cnt] | @tsv' <<<"$d" |
		awk -F'\t' '{ printf "    %-32s %8.2f runs/call %12.1f ns/call %10.1f ns/run\n", $1, $2, $3, $4 }'
	PROGS_TOP=$(jq -r --argjson n "$n" 'sort_by(-.run_time_ns)[:3]
		| map("\(.name) \(.run_time_ns / $n | floor) ns/call") | join(", ")' <<<"$d")
}

# guest_verdicts OP: top <= 1.5x, trace <= 3x the floor, with the programs
# that cost most as the reason when they fail
guest_verdicts() {
	local fl tp tr rt rr noise why_t why_r
	fl=$(med "$tmp/g$1.floor.added")
	tp=$(med "$tmp/g$1.top.added")
	tr=$(med "$tmp/g$1.trace.added")
	rt=$(ratio "$tp" "$fl")
	rr=$(ratio "$tr" "$fl")
	noise=$(stats "$tmp/g$1.base" | awk '{ printf "%.1f", ($3 - $2) / 2 }')
	if ! awk -v f="$fl" -v n="$noise" 'BEGIN { exit !(f > n) }'; then
		VERDICTS+=("N/A   guest $1: the floor adds $fl ns, within the baseline's noise ($noise ns): top x$(ratio "$(med "$tmp/g$1.top")" "$(med "$tmp/g$1.base")"), trace x$(ratio "$(med "$tmp/g$1.trace")" "$(med "$tmp/g$1.base")") of the baseline")
		return 0
	fi
	why_t=${PROGS_T[$1]:+; costliest programs (BPF run time only): ${PROGS_T[$1]}}
	why_r=${PROGS_R[$1]:+; costliest programs (BPF run time only): ${PROGS_R[$1]}}
	VERDICTS+=("$(verdict "$(le "$rt" 1.5)" "guest $1: top adds <= 1.5x the floor's cost: ${rt}x ($tp ns vs $fl ns, TCG)$why_t")")
	VERDICTS+=("$(verdict "$(le "$rr" 3)" "guest $1: trace adds <= 3x the floor's cost: ${rr}x ($tr ns vs $fl ns, TCG)$why_r")")
}

# dma1g_verdict: a 1 GiB MAP+UNMAP under trace and top is not measurably
# slower: the median added cost stays inside the baseline's spread
dma1g_verdict() {
	local c add lo hi base why
	[ -s "$tmp/gdma1g.base" ] || { VERDICTS+=("FAIL  guest dma1g: no figures"); return 0; }
	read -r base lo hi < <(stats "$tmp/gdma1g.base")
	for c in top trace; do
		add=$(med "$tmp/gdma1g.$c.added")
		[ $c = top ] && why=${PROGS_T[dma1g]} || why=${PROGS_R[dma1g]}
		VERDICTS+=("$(verdict "$(awk -v a="$add" -v s="$(awk -v l="$lo" -v h="$hi" 'BEGIN { print h - l }')" 'BEGIN { print (a <= s) ? 1 : 0 }')" \
			"guest 1 GiB MAP+UNMAP not measurably slower under $c: +$add ns on $base ns ($(pct "$add" "$base") %), the baseline's spread is $lo..$hi ns${why:+; costliest programs: $why}")")
	done
}

part4() {
	local raw op dir
	declare -gA PROGS_T=() PROGS_R=()
	echo
	echo "== 4: guest ${BENCH_GUEST_KERNEL:-6.12} (QEMU TCG), full mode: ratios only =="
	if ! scripts/bench-guest.sh "$tmp/guest"; then
		VERDICTS+=("FAIL  guest: the guest run failed (see above)")
		return 0
	fi
	dir=$tmp/guest/${BENCH_GUEST_KERNEL:-6.12}
	raw=$dir/bench.txt
	if [ ! -s "$raw" ]; then
		VERDICTS+=("FAIL  guest: no results from the guest")
		return 0
	fi
	sed -n 's/^mode *//p' "$dir/probe.txt" | sed 's/^/  mode: /'
	for op in api dma dma1g; do
		guest_split "$raw" $op
		case $op in
		api) echo "VFIO_GET_API_VERSION on /dev/vfio/vfio" ;;
		dma) echo "VFIO_IOMMU_MAP_DMA + VFIO_IOMMU_UNMAP_DMA of 4 KiB on a type1 container (edu's group)" ;;
		dma1g) echo "VFIO_IOMMU_MAP_DMA + VFIO_IOMMU_UNMAP_DMA of 1 GiB (populated) on the same container" ;;
		esac
		guest_table $op
	done
	echo "per BPF program (run time inside the programs; trampolines and ring buffer reservations not included):"
	for op in api dma dma1g; do
		progs "$dir" top $op
		PROGS_T[$op]=$PROGS_TOP
		progs "$dir" trace $op
		PROGS_R[$op]=$PROGS_TOP
	done
	guest_verdicts api
	guest_verdicts dma
	dma1g_verdict
}

# ------------------------------------------------------------------- part 5
# idle: audit and export for IDLE_SECS with no VFIO traffic; the verdict
# lines of scripts/bench-idle.sh join the targets
part5() {
	local line
	echo
	echo "== 5: idle: audit and export with no VFIO traffic =="
	if ! OUTPUT=$OUT scripts/bench-idle.sh >"$tmp/idle.txt" 2>&1; then
		cat "$tmp/idle.txt"
		VERDICTS+=("FAIL  idle: scripts/bench-idle.sh could not run (see above)")
		return 0
	fi
	while IFS= read -r line; do
		case $line in
		PASS* | FAIL*) VERDICTS+=("$line") ;;
		*) echo "  $line" ;;
		esac
	done <"$tmp/idle.txt"
}

VERDICTS=()
echo "iommuscope make bench, $(date -u +%Y-%m-%dT%H:%MZ)"
host_info
for p in $PARTS; do
	case $p in
	1) part12 ;;
	3) part3 ;;
	4) [ "${BENCH_GUEST:-1}" = 1 ] && part4 ;;
	5) part5 ;;
	esac
done
echo
echo "== targets =="
printf '%s\n' "${VERDICTS[@]}"

#!/usr/bin/env bash
# What `iommuscope audit` and `iommuscope export` cost while nothing happens:
# both started at once on this host (no VFIO traffic, nobody scraping),
# and once each is attached and a few seconds have passed, the CPU time of
# all its threads (field 1 of /proc/PID/task/*/schedstat, ns) and its
# voluntary context switches (wakeups) over IDLE_SECS. Prints one line per
# command with PASS/FAIL against the target (under 0.1 % of a core); it
# never fails on a figure (exit 0 unless the measurement could not run).
# scripts/bench.sh calls it; alone: `OUTPUT=.output scripts/bench-idle.sh`.
#
# IDLE_SECS (60), IDLE_SETTLE seconds after the ready lines (5),
# IDLE_PORT for export (20000 + pid % 20000).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUTPUT:-$PWD/.output}
BIN=$OUT/iommuscope
SECS=${IDLE_SECS:-60}
SETTLE=${IDLE_SETTLE:-5}
PORT=${IDLE_PORT:-$((20000 + $$ % 20000))}
TARGET_PCT=0.1

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-idle: must run as root (loads BPF programs)" >&2
	exit 1
fi
[ -x "$BIN" ] || { echo "bench-idle: $BIN missing: run 'make'" >&2; exit 1; }
tmp=$(mktemp -d)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# wait_ready PID FILE PATTERN: until the tool's stderr says it is attached.
wait_ready() {
	local _
	for _ in $(seq 600); do
		grep -q "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench-idle: $1 did not start:" >&2
	cat "$2" >&2
	exit 1
}

# usage PID: "CPU_NS VOLUNTARY_SWITCHES" summed over the process's threads.
usage() {
	local t ns sw cpu=0 vol=0
	for t in /proc/"$1"/task/*; do
		read -r ns _ <"$t/schedstat" 2>/dev/null || continue
		sw=$(awk '/^voluntary_ctxt_switches:/ { print $2 }' "$t/status" 2>/dev/null) || continue
		cpu=$((cpu + ns))
		vol=$((vol + ${sw:-0}))
	done
	echo "$cpu $vol"
}

"$BIN" audit -o "$tmp/a.log" >"$tmp/audit.out" 2>"$tmp/audit.err" &
PIDS+=("$!")
audit_pid=$!
"$BIN" export --listen "127.0.0.1:$PORT" >"$tmp/export.out" 2>"$tmp/export.err" &
PIDS+=("$!")
export_pid=$!
wait_ready "$audit_pid" "$tmp/audit.err" '^iommuscope: auditing '
wait_ready "$export_pid" "$tmp/export.err" "^iommuscope: serving http://127.0.0.1:$PORT/metrics"
sleep "$SETTLE"
read -r a_cpu0 a_sw0 < <(usage "$audit_pid")
read -r e_cpu0 e_sw0 < <(usage "$export_pid")
t0=$(date +%s%N)
sleep "$SECS"
read -r a_cpu1 a_sw1 < <(usage "$audit_pid")
read -r e_cpu1 e_sw1 < <(usage "$export_pid")
t1=$(date +%s%N)
for p in "$audit_pid" "$export_pid"; do
	kill -0 "$p" 2>/dev/null || { echo "bench-idle: $p exited during the measurement" >&2; exit 1; }
done

echo "idle: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
# verdict CMD CPU_NS SWITCHES: the line of one command.
verdict() {
	awk -v cmd="$1" -v ns="$2" -v sw="$3" -v wall="$((t1 - t0))" -v target="$TARGET_PCT" 'BEGIN {
		pct = 100 * ns / wall
		printf "idle %s: %.1f ms CPU in %.0f s = %.3f%% of a core, %.1f wakeups/s  %s (target < %s%%)\n",
		       cmd, ns / 1e6, wall / 1e9, pct, sw / (wall / 1e9),
		       pct < target ? "PASS" : "FAIL", target
	}'
}
verdict audit "$((a_cpu1 - a_cpu0))" "$((a_sw1 - a_sw0))"
verdict export "$((e_cpu1 - e_cpu0))" "$((e_sw1 - e_sw0))"

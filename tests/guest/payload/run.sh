#!/bin/sh
# Runs inside the guest (busybox sh), once per boot: every guest test's
# workload, each result written to $RESULTS for tests/guest.bats to assert
# on the host. Never decides pass/fail itself beyond recording exit codes.
set -u
R=$RESULTS
cd "$(dirname "$0")"

# wait_tracing FILE PID: until the tracer says it is attached (TCG is slow).
wait_tracing() {
	i=0
	while [ $i -lt 600 ]; do
		grep -q '^iommuscope: tracing' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

./iommuscope probe --json >"$R/probe.json" 2>"$R/probe.err"
echo $? >"$R/probe.rc"
./iommuscope probe >"$R/probe.txt" 2>&1

# The workload under each hook set.
for mode in full tracepoint; do
	./iommuscope trace --json --mode "$mode" >"$R/trace-$mode.jsonl" 2>"$R/trace-$mode.err" &
	tp=$!
	if wait_tracing "$R/trace-$mode.err" "$tp"; then
		./vfio_workload --manifest "$R/manifest-$mode.jsonl" >"$R/workload-$mode.log" 2>&1
		echo $? >"$R/workload-$mode.rc"
	else
		echo "tracer did not start" >"$R/workload-$mode.log"
		echo 99 >"$R/workload-$mode.rc"
	fi
	kill -INT "$tp" 2>/dev/null
	wait "$tp"
	echo $? >"$R/trace-$mode.rc"
done
exit 0

#!/bin/sh
# Runs inside the guest (busybox sh), once per boot: every guest test's
# workload, each result written to $RESULTS for tests/guest.bats to assert
# on the host. Never decides pass/fail itself beyond recording exit codes.
set -u
R=$RESULTS
cd "$(dirname "$0")" || exit 1
# The iommufd kernel (scripts/guest/build-kernel.sh) has its own steps.
if [ "${ISC_KERNEL:-}" = iommufd ]; then
	exec sh ./iommufd.sh
fi

. ./lib.sh

# wait_tracing_for FILE PID WHAT: until the command says it is attached
wait_tracing_for() {
	wait_for "$1" "$2" "$3" 600
}

wait_tracing() {
	wait_tracing_for "$1" "$2" tracing
}

./iommuscope probe --json >"$R/probe.json" 2>"$R/probe.err"
echo $? >"$R/probe.rc"
./iommuscope probe >"$R/probe.txt" 2>&1

# The workload under each hook set; in full mode a second session writes
# the records undecoded (trace -w) for trace -r to replay afterwards.
for mode in full tracepoint; do
	wp=
	if [ "$mode" = full ]; then
		./iommuscope trace -w "$R/trace-full.isc" --mode full 2>"$R/trace-w.err" &
		wp=$!
		wait_tracing "$R/trace-w.err" "$wp"
	fi
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
	if [ -n "$wp" ]; then
		kill -INT "$wp" 2>/dev/null
		wait "$wp"
		echo $? >"$R/trace-w.rc"
		./iommuscope trace -r "$R/trace-full.isc" --json >"$R/trace-r.jsonl" 2>"$R/trace-r.err"
		echo $? >"$R/trace-r.rc"
	fi
done
# The catalog's 7.1-7.3 rows against this kernel (vfio_workload
# --catalog-rows) under a full-mode trace: tests/guest.bats.
traced trace-rows tracing workload-rows \
	'./vfio_workload --catalog-rows --manifest "$R/manifest-rows.jsonl" >"$R/workload-rows.log" 2>&1' \
	-- trace --json --mode full

# The workload once more, under audit and profile record at the same time.
./iommuscope audit --json -o "$R/audit.jsonl" --flush 1 2>"$R/audit.err" &
ap=$!
./iommuscope profile record -o "$R/profile.json" -c vfio_workload 2>"$R/profile.err" &
pp=$!
if wait_tracing_for "$R/audit.err" "$ap" auditing && wait_tracing_for "$R/profile.err" "$pp" recording; then
	./vfio_workload --manifest "$R/manifest-audit.jsonl" >"$R/workload-audit.log" 2>&1
	echo $? >"$R/workload-audit.rc"
else
	echo 99 >"$R/workload-audit.rc"
fi
kill -INT "$ap" "$pp" 2>/dev/null
wait "$ap"
echo $? >"$R/audit.rc"
wait "$pp"
echo $? >"$R/profile.rc"

# ---- iommutop: the workload counted in the kernel, one JSON snapshot at
# the end (SIGINT); tests/guest.bats compares it with the manifest ----
traced top counting workload-top \
	'./vfio_workload --manifest "$R/manifest-top.jsonl" >"$R/workload-top.log" 2>&1' \
	-- top --json -d 1h
# ---- end of iommutop ----

# The workload inside a libvirt-named VM scope cgroup: trace, -V, audit and
# top name the VM (tests/guest/vm/run.sh, asserted by tests/guest-vm.bats).
[ -f vm/run.sh ] && sh vm/run.sh >"$R/vm-run.log" 2>&1
# ---- a device fd opened before the tracer started (tests/guest.bats):
# the workload opens it, waits for preopen.go, then calls on it traced ----
rm -f "$R/preopen.go" "$R/preopen.go.open"
./vfio_workload --wait-after-open "$R/preopen.go" --manifest "$R/manifest-preopen.jsonl" \
	>"$R/workload-preopen.log" 2>&1 &
pw=$!
i=0
while [ ! -e "$R/preopen.go.open" ] && [ $i -lt 1200 ] && kill -0 "$pw" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
./iommuscope trace --json >"$R/trace-preopen.jsonl" 2>"$R/trace-preopen.err" &
tp=$!
wait_tracing "$R/trace-preopen.err" "$tp"
touch "$R/preopen.go"
wait "$pw"
echo $? >"$R/workload-preopen.rc"
kill -INT "$tp" 2>/dev/null
wait "$tp"
echo $? >"$R/trace-preopen.rc"
# ---- end of the device fd opened before ----

# Enforcement (BPF LSM): tests/guest/enforce/run.sh, asserted by
# tests/guest-enforce.bats.
sh enforce/run.sh >"$R/enforce-run.log" 2>&1

# 5.10 only: the IOMMU UAPI structs through a test module (tests/guest-uapi.bats).
[ "$ISC_KERNEL" = 5.10 ] && [ -f uapi/run.sh ] && sh uapi/run.sh >"$R/uapi-run.log" 2>&1

# DPDK's testpmd on an e1000 under strace and trace, on the boot that
# brought them (scripts/test-guest.sh): tests/guest-dpdk.bats.
command -v dpdk-testpmd >/dev/null && sh dpdk/run.sh >"$R/dpdk-run.log" 2>&1

# VFIO modules unloaded and loaded again under a running trace (last: the
# device is rebound afterwards): tests/guest-modules.bats.
sh modules/run.sh >"$R/modules-run.log" 2>&1

# Profiles recorded on the kernels that booted before this one, judged live.
for f in profiles/*.json; do
	[ -e "$f" ] || continue
	k=$(basename "$f" .json)
	./iommuscope check --json "$f" >"$R/check-$k.jsonl" 2>"$R/check-$k.err"
	echo $? >"$R/check-$k.rc"
done
exit 0

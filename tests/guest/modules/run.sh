#!/bin/sh
# VFIO modules unloaded and loaded again while tracing. Called by
# tests/guest/payload/run.sh; asserted by tests/guest-modules.bats.
#  1. under a full-mode trace: unbind edu, unload every VFIO module that
#     will go (fentry on vfio's handlers holds vfio itself);
#  2. under a tracepoint-mode trace: unload the rest, load them all again,
#     rebind edu, run the workload: it must be traced exactly.
set -u
R=$RESULTS/modules
mkdir -p "$R"
ISC=./iommuscope
REL=$(uname -r)
. ./lib.sh

# start_trace NAME MODE
start_trace() {
	$ISC -v trace --json --mode "$2" >"$R/$1.jsonl" 2>"$R/$1.err" &
	TP=$!
	wait_for "$R/$1.err" $TP tracing
}

unload_all() {
	awk '{ m[NR] = $1 } END { for (i = NR; i > 0; i--) print m[i] }' /etc/isc/modules |
		while read -r m; do
			[ -d "/sys/module/$m" ] || continue
			if rmmod "$m" 2>>"$R/steps.log"; then
				echo "unloaded $m" >>"$R/steps.log"
			else
				echo "kept $m" >>"$R/steps.log"
			fi
		done
}

start_trace full full
echo "$ISC_BDF" >/sys/bus/pci/drivers/vfio-pci/unbind 2>>"$R/steps.log"
echo "-- under full mode" >>"$R/steps.log"
unload_all
[ -d /sys/module/vfio ] && echo yes >"$R/vfio-held.txt" || echo no >"$R/vfio-held.txt"
kill -INT $TP
wait $TP
echo $? >"$R/full.rc"

start_trace tp tracepoint
# and a capture (trace -w) of the same: it must carry the ABI changes
$ISC trace -w "$R/tp.isc" --mode tracepoint 2>"$R/tp-w.err" &
WP=$!
wait_for "$R/tp-w.err" $WP tracing
echo "-- under tracepoint mode" >>"$R/steps.log"
unload_all
ls /sys/module | grep -c '^vfio' >"$R/vfio-left.txt"
sleep 2
n0=$(grep -c '^iommuscope: modules changed' "$R/tp.err")
while read -r m rel; do
	[ -d "/sys/module/$m" ] || insmod "/lib/modules/$REL/$rel" 2>>"$R/steps.log"
done </etc/isc/modules
echo 1234 11e8 >/sys/bus/pci/drivers/vfio-pci/new_id 2>>"$R/steps.log"
# the tracer has caught up with every load (not a fixed sleep)
settled "$R/tp.err" "modules changed" "$n0" || echo "tracer did not settle" >>"$R/steps.log"
./vfio_workload --skip-fault --manifest "$R/manifest.jsonl" >"$R/workload.log" 2>&1
echo $? >"$R/workload.rc"
kill -INT $TP
wait $TP
echo $? >"$R/trace.rc"
kill -INT $WP
wait $WP
echo $? >"$R/trace-w.rc"
$ISC trace -r "$R/tp.isc" --json >"$R/tp-replay.jsonl" 2>"$R/tp-replay.err"
echo $? >"$R/trace-r.rc"

# enforce started while no VFIO module is loaded (libvirt loads them with
# the first VM): the files are judged from the modules' first ioctl on,
# by their kind, not refused as unclassified (tests/guest-enforce.bats).
if [ -f /sys/kernel/security/lsm ] && grep -q bpf /sys/kernel/security/lsm; then
	echo "$ISC_BDF" >/sys/bus/pci/drivers/vfio-pci/unbind 2>>"$R/steps.log"
	echo "-- before a late enforce" >>"$R/steps.log"
	unload_all
	ls /sys/module | grep -c '^vfio' >"$R/late-vfio-left.txt"
	$ISC enforce --json -o "$R/late.jsonl" 2>"$R/late.err" &
	EPID=$!
	if wait_for "$R/late.err" $EPID enforcing; then
		while read -r m rel; do
			[ -d "/sys/module/$m" ] || insmod "/lib/modules/$REL/$rel" 2>>"$R/steps.log"
		done </etc/isc/modules
		echo 1234 11e8 >/sys/bus/pci/drivers/vfio-pci/new_id 2>>"$R/steps.log"
		# every module in, and enforce caught up with them
		settled "$R/late.err" "classifiers changed" 0 ||
			echo "enforce did not settle" >>"$R/steps.log"
		./enforce_client map 35 2 >"$R/late-bad.txt" 2>&1
		./enforce_client map 3 2 >"$R/late-good.txt" 2>&1
		./enforce_client irqs 0x61 >"$R/late-irqs-bad.txt" 2>&1
	fi
	kill -INT $EPID
	wait $EPID
	echo $? >"$R/late.rc"
fi
exit 0

#!/bin/sh
# 5.10 guest only (called by tests/guest/payload/run.sh when ISC_KERNEL=5.10):
# load isc_uapi.ko, run uapi_client under `iommuscope trace --json --mode
# full` and `iommuscope audit --json`, unload. Results in $RESULTS/uapi/,
# asserted by tests/guest-uapi.bats. Never decides pass/fail itself.
set -u
R=$RESULTS/uapi
mkdir -p "$R"
cd "$(dirname "$0")/.." || exit 1	# the payload directory
ISC=./iommuscope

. ./lib.sh

insmod uapi/isc_uapi.ko >"$R/insmod.log" 2>&1
echo $? >"$R/insmod.rc"
ls -l /dev/isc_uapi >"$R/node.txt" 2>&1
# the group from sysfs: the device may have been rebound since boot
group=$(basename "$(readlink "/sys/bus/pci/devices/$ISC_BDF/iommu_group")")
echo "$group" >"$R/group.txt"

$ISC trace --json --mode full >"$R/trace.jsonl" 2>"$R/trace.err" &
tp=$!
$ISC audit --json -o "$R/audit.jsonl" --flush 1 2>"$R/audit.err" &
ap=$!
if wait_for "$R/trace.err" "$tp" tracing && wait_for "$R/audit.err" "$ap" auditing; then
	uapi/uapi_client -g "$group" >"$R/client.jsonl" 2>"$R/client.err"
	echo $? >"$R/client.rc"
else
	echo 99 >"$R/client.rc"
fi
sleep 1	# audit flushes every second
kill -INT "$tp" "$ap" 2>/dev/null
wait "$tp"
echo $? >"$R/trace.rc"
wait "$ap"
echo $? >"$R/audit.rc"
rmmod isc_uapi >>"$R/insmod.log" 2>&1
echo $? >"$R/rmmod.rc"
dmesg | grep -i "isc_uapi\|DMAR\|iommu" | tail -n 40 >"$R/dmesg.txt"
exit 0

#!/bin/sh
# Runs inside the guest (busybox sh) from payload/run.sh: the VFIO workload
# once inside a cgroup named as libvirt names a VM's scope with systemd
# (machine.slice/machine-qemu\x2dID\x2dNAME.scope/libvirt/emulator), once
# outside it, under trace (all, and -V the VM), audit and top at the same
# time. tests/guest-vm.bats asserts on the results.
set -u
R=$RESULTS
. ./lib.sh

CG=/sys/fs/cgroup
SCOPE="$CG/machine.slice/machine-qemu\\x2d7\\x2dguestvm.scope"
LEAF=$SCOPE/libvirt/emulator
mkdir -p "$LEAF" || { echo "cannot create $LEAF"; exit 1; }
stat -c %i "$LEAF" >"$R/vm-cgroup-id"

./iommuscope trace --json >"$R/vm-trace.jsonl" 2>"$R/vm-trace.err" &
tp=$!
./iommuscope trace --json -V guestvm >"$R/vm-tracev.jsonl" 2>"$R/vm-tracev.err" &
vp=$!
./iommuscope audit --json -o "$R/vm-audit.jsonl" --flush 1 2>"$R/vm-audit.err" &
ap=$!
./iommuscope top --json -d 1h >"$R/vm-top.jsonl" 2>"$R/vm-top.err" &
op=$!
if wait_for "$R/vm-trace.err" "$tp" tracing 600 && wait_for "$R/vm-tracev.err" "$vp" tracing 600 &&
   wait_for "$R/vm-audit.err" "$ap" auditing 600 && wait_for "$R/vm-top.err" "$op" counting 600; then
	# the shell moves itself into the VM's cgroup, then becomes the workload
	sh -c 'echo $$ >"$1/cgroup.procs" && exec ./vfio_workload --manifest "$2"' sh "$LEAF" \
		"$R/manifest-vm.jsonl" >"$R/workload-vm.log" 2>&1
	echo $? >"$R/workload-vm.rc"
	./vfio_workload --manifest "$R/manifest-novm.jsonl" >"$R/workload-novm.log" 2>&1
	echo $? >"$R/workload-novm.rc"
else
	echo 99 >"$R/workload-vm.rc"
fi
sleep 1
for p in $tp $vp $ap $op; do
	kill -INT "$p" 2>/dev/null
done
wait "$tp"
echo $? >"$R/vm-trace.rc"
wait "$vp"
echo $? >"$R/vm-tracev.rc"
wait "$ap"
echo $? >"$R/vm-audit.rc"
wait "$op"
echo $? >"$R/vm-top.rc"
rmdir "$LEAF" "$SCOPE/libvirt" "$SCOPE" "$CG/machine.slice"
echo $? >"$R/vm-rmdir.rc"

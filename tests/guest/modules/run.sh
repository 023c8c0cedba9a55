#!/bin/sh
# VFIO modules unloaded and loaded again while a trace runs (tracepoint
# mode: fentry would hold the vfio module). Called by
# tests/guest/payload/run.sh; asserted by tests/guest-modules.bats.
set -u
R=$RESULTS/modules
mkdir -p "$R"
ISC=./iommuscope
REL=$(uname -r)

$ISC -v trace --json --mode tracepoint >"$R/trace.jsonl" 2>"$R/trace.err" &
tp=$!
i=0
while [ $i -lt 900 ] && ! grep -q "^iommuscope: tracing" "$R/trace.err" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
# unbind edu, unload in reverse load order, load again, bind again
echo "$ISC_BDF" >/sys/bus/pci/drivers/vfio-pci/unbind 2>>"$R/steps.log"
awk '{ m[NR] = $1 } END { for (i = NR; i > 0; i--) print m[i] }' /etc/isc/modules |
	while read -r m; do
		[ -d "/sys/module/$m" ] || continue
		rmmod "$m" 2>>"$R/steps.log" && echo "unloaded $m" >>"$R/steps.log"
	done
ls /sys/module | grep -c '^vfio' >"$R/vfio-left.txt"
sleep 2
while read -r m rel; do
	[ -d "/sys/module/$m" ] || insmod "/lib/modules/$REL/$rel" 2>>"$R/steps.log"
done </etc/isc/modules
echo 1234 11e8 >/sys/bus/pci/drivers/vfio-pci/new_id 2>>"$R/steps.log"
sleep 3	# the tracer notices within a second
./vfio_workload --skip-fault --manifest "$R/manifest.jsonl" >"$R/workload.log" 2>&1
echo $? >"$R/workload.rc"
kill -INT $tp
wait $tp
echo $? >"$R/trace.rc"
exit 0

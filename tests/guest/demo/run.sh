#!/bin/sh
# 'make demo', inside the guest: the live trace of a VFIO workload, as text,
# on the console (which the host streams to the terminal).
set -u
cd "$(dirname "$0")" || exit 1
echo
echo "=== iommuscope probe ==="
./iommuscope probe
echo
echo "=== iommuscope trace (the workload drives the edu device through VFIO) ==="
./iommuscope trace 2>/tmp/trace.err &
tp=$!
i=0
while [ $i -lt 600 ] && ! grep -q '^iommuscope: tracing' /tmp/trace.err; do
	sleep 0.1
	i=$((i + 1))
done
./vfio_workload --manifest /dev/null >/dev/null 2>&1
sleep 1
kill -INT "$tp"
wait "$tp"
cat /tmp/trace.err

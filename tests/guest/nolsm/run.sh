#!/bin/sh
# A boot with BPF LSM left out of lsm= (scripts/test-guest.sh, one kernel):
# enforce must refuse with the fix in its message; probe, trace and audit
# keep working. Asserted by tests/guest-nolsm.bats.
set -u
R=$RESULTS
cd "$(dirname "$0")" || exit 1
. ./lib.sh
cat /sys/kernel/security/lsm >"$R/lsm.txt" 2>&1
./iommuscope probe --json >"$R/probe.json" 2>"$R/probe.err"
echo $? >"$R/probe.rc"
./iommuscope enforce -d 1 >"$R/enforce.out" 2>"$R/enforce.err"
echo $? >"$R/enforce.rc"
ls /sys/fs/bpf >"$R/bpffs.txt" 2>&1
./iommuscope trace --json >"$R/trace.jsonl" 2>"$R/trace.err" &
tp=$!
wait_for "$R/trace.err" $tp tracing 600
./enforce_client map 35 2 >"$R/client.txt" 2>&1
kill -INT $tp
wait $tp
echo $? >"$R/trace.rc"
exit 0

#!/usr/bin/env bats
# VFIO modules unloaded and reloaded while tracing
# (tests/guest/modules/run.sh ran in the guest).

load helpers

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}/modules
	K=${ISC_GUEST_KERNEL:?set ISC_GUEST_KERNEL}
	[ -d "$D" ] || { echo "no modules results"; false; }
}

@test "$ISC_GUEST_KERNEL: unloading VFIO under a full-mode trace: the trace goes on; fentry holds vfio itself" {
	[ "$(cat "$D/full.rc")" -eq 0 ] || { cat "$D/full.err"; false; }
	grep -q "unloaded vfio_pci" "$D/steps.log" || { cat "$D/steps.log"; false; }
	if [ "$K" = 5.10 ]; then
		# full mode there is the LSM entry: nothing holds the module
		[ "$(cat "$D/vfio-held.txt")" = no ]
	else
		[ "$(cat "$D/vfio-held.txt")" = yes ]
	fi
}

@test "$ISC_GUEST_KERNEL: VFIO modules unloaded and loaded again under trace: the workload after it is traced exactly" {
	[ "$(cat "$D/vfio-left.txt")" -eq 0 ] || { cat "$D/steps.log"; false; }
	[ "$(cat "$D/workload.rc")" -eq 0 ] || { tail -n 20 "$D/workload.log"; false; }
	[ "$(cat "$D/trace.rc")" -eq 0 ] || { cat "$D/tp.err"; false; }
	grep -q "modules changed: classifiers and kernel ABI refreshed" "$D/tp.err"
	ev=$(trace_events_of "$D/tp.jsonl" vfio_workload)
	compare_with_manifest "$D/manifest.jsonl" "$ev"
	# device fds (anonymous inodes) are known only by the new f_op address
	jq -e 'any(.fd_kind == "device")' <<<"$ev"
}

@test "$ISC_GUEST_KERNEL: a trace -w capture across the module changes carries the new ABI and replays as the live trace" {
	[ "$(cat "$D/trace-w.rc")" -eq 0 ] || { cat "$D/tp-w.err"; false; }
	[ "$(cat "$D/trace-r.rc")" -eq 0 ] || { cat "$D/tp-replay.err"; false; }
	# the in-stream ABI records (user/ring/tracefile.h: after the 128-byte
	# header and the ABI arrays, records led by type and size)
	n=$(python3 - "$D/tp.isc" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
nr = struct.unpack_from("<I", b, 28)[0]
off, abi = 128 + nr * 5, 0
while off + 8 <= len(b):
    typ, _, size = struct.unpack_from("<HHI", b, off)
    abi += typ == 0x7f00
    off += size
print(abi)
PY
)
	# modules gone, then back; on 5.10 the full-mode step before took
	# them all (nothing held vfio), so only their return is in this capture
	if [ "$K" = 5.10 ]; then
		[ "$n" -ge 1 ]
	else
		[ "$n" -ge 2 ]
	fi
	live=$(trace_events_of "$D/tp.jsonl" vfio_workload | jq -c 'map(del(.ts_ns, .latency_ns))')
	replay=$(trace_events_of "$D/tp-replay.jsonl" vfio_workload | jq -c 'map(del(.ts_ns, .latency_ns))')
	[ "$(jq length <<<"$replay")" -gt 30 ]
	[ "$live" = "$replay" ]
}

@test "$ISC_GUEST_KERNEL: the capture across the module changes prints byte for byte what the frozen json-c/fprintf sink printed (test_outeq)" {
	outeq "$D/tp.isc" 30
}

#!/usr/bin/env bats
# VFIO modules unloaded and reloaded under a running trace
# (tests/guest/modules/run.sh ran in the guest).

load helpers

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}/modules
	K=${ISC_GUEST_KERNEL:?set ISC_GUEST_KERNEL}
	[ -d "$D" ] || { echo "no modules results"; false; }
}

@test "$K: VFIO modules unloaded and loaded again under trace: the workload after it is traced exactly" {
	# every vfio module really went away
	[ "$(cat "$D/vfio-left.txt")" -eq 0 ] || cat "$D/steps.log"
	[ "$(cat "$D/workload.rc")" -eq 0 ] || { tail -n 20 "$D/workload.log"; false; }
	[ "$(cat "$D/trace.rc")" -eq 0 ] || cat "$D/trace.err"
	grep -q "modules changed: classifiers and kernel ABI refreshed" "$D/trace.err"
	ev=$(trace_events_of "$D/trace.jsonl" vfio_workload)
	compare_with_manifest "$D/manifest.jsonl" "$ev"
	# device fds (anonymous inodes) are known only by the new f_op address
	jq -e 'any(.fd_kind == "device")' <<<"$ev"
}

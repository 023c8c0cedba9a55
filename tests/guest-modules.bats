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
	[ "$(cat "$D/full.rc")" -eq 0 ] || cat "$D/full.err"
	grep -q "unloaded vfio_pci" "$D/steps.log" || cat "$D/steps.log"
	if [ "$K" = 5.10 ]; then
		# full mode there is the LSM entry: nothing holds the module
		[ "$(cat "$D/vfio-held.txt")" = no ]
	else
		[ "$(cat "$D/vfio-held.txt")" = yes ]
	fi
}

@test "$ISC_GUEST_KERNEL: VFIO modules unloaded and loaded again under trace: the workload after it is traced exactly" {
	[ "$(cat "$D/vfio-left.txt")" -eq 0 ] || cat "$D/steps.log"
	[ "$(cat "$D/workload.rc")" -eq 0 ] || { tail -n 20 "$D/workload.log"; false; }
	[ "$(cat "$D/trace.rc")" -eq 0 ] || cat "$D/tp.err"
	grep -q "modules changed: classifiers and kernel ABI refreshed" "$D/tp.err"
	ev=$(trace_events_of "$D/tp.jsonl" vfio_workload)
	compare_with_manifest "$D/manifest.jsonl" "$ev"
	# device fds (anonymous inodes) are known only by the new f_op address
	jq -e 'any(.fd_kind == "device")' <<<"$ev"
}

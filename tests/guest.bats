#!/usr/bin/env bats
# Assertions on one guest boot's results (scripts/test-guest.sh runs the
# boot, then this file with ISC_GUEST_DIR and ISC_GUEST_KERNEL set).
# The guest ran tests/guest/payload/run.sh: probe, then the VFIO workload
# under 'trace --mode full' and under 'trace --mode tracepoint'.

load helpers

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}
	K=${ISC_GUEST_KERNEL:?set ISC_GUEST_KERNEL}
}

# The console tail, when a guest-side step failed.
show_console() {
	echo "--- last console lines ($K) ---"
	tail -n 40 "$D/console.log" 2>/dev/null || echo "(no console log)"
}

@test "$ISC_GUEST_KERNEL: the guest booted and ran every step" {
	[ -f "$D/status" ] || { show_console; false; }
	[ "$(cat "$D/status")" -eq 0 ] || { cat "$D/run.log"; false; }
	jq -e '.edu_bdf != null or .bdf != null' "$D/env.json" >/dev/null ||
		jq . "$D/env.json"
	[ "$(cat "$D/probe.rc")" -eq 0 ] || { cat "$D/probe.err"; false; }
}

@test "$ISC_GUEST_KERNEL: probe picks full mode through the entry point this kernel era has" {
	p=$D/probe.json
	jq -e '.mode == "full" and .full_available and .tracepoint_available and .bpf_lsm
		and .vmlinux_btf and .container_backend == "vfio" and .kallsyms_data
		and (.groups | length > 0)' "$p"
	if [ "$K" = 5.10 ]; then
		# no module BTF: fentry on vfio's handlers cannot work, LSM + tp can
		jq -e '.module_btf_supported == false and .full_via == "lsm"' "$p"
		jq -e '[.hooks[] | select(.type == "fentry" and (.target | startswith("vfio")))]
			| length == 3 and all((.attached | not) and (.reason | test("module BTF")))' "$p"
	else
		jq -e '.full_via == "fentry"' "$p"
		jq -e '[.hooks[] | select(.type == "fentry" and (.target | startswith("vfio")))]
			| length == 3 and all(.attached and .module == "vfio")' "$p"
	fi
	jq -e '.hooks[] | select(.type == "lsm") | .attached' "$p"
}

check_mode() {
	local mode=$1 hook=$2 ev
	[ "$(cat "$D/workload-$mode.rc")" -eq 0 ] || { tail -n 20 "$D/workload-$mode.log"; false; }
	[ "$(cat "$D/trace-$mode.rc")" -eq 0 ] || { cat "$D/trace-$mode.err"; false; }
	ev=$(trace_events_of "$D/trace-$mode.jsonl" vfio_workload)
	compare_with_manifest "$D/manifest-$mode.jsonl" "$ev"
	jq -e --arg h "$hook" 'length > 30 and all(.hook == $h and .latency_ns > 0)' <<<"$ev"
	tail -n 1 "$D/trace-$mode.jsonl" |
		jq -e --arg m "$mode" '.type == "summary" and .mode == $m and .drops == 0 and .invalid == 0'
}

@test "$ISC_GUEST_KERNEL: full mode records every workload ioctl in order, fields exact" {
	if [ "$K" = 5.10 ]; then check_mode full lsm; else check_mode full fentry; fi
}

@test "$ISC_GUEST_KERNEL: tracepoint mode records every workload ioctl in order, fields exact" {
	check_mode tracepoint tracepoint
}

@test "$ISC_GUEST_KERNEL: an INFO reply that needs more room is visible in argsz_out" {
	ev=$(trace_events_of "$D/trace-full.jsonl" vfio_workload)
	# the first IOMMU_GET_INFO is sent with argsz 16; the kernel asks for more
	jq -e '[.[] | select(.name == "VFIO_IOMMU_GET_INFO")] as $g
		| $g[0].argsz == 16 and $g[0].ret == 0 and $g[0].argsz_out > 16
		and $g[1].argsz == $g[0].argsz_out' <<<"$ev"
}

@test "$ISC_GUEST_KERNEL: the wrong calls come out as the kernel answered them" {
	ev=$(trace_events_of "$D/trace-full.jsonl" vfio_workload)
	jq -e 'map(select(.name == "VFIO_IOMMU_MAP_DMA" and .argsz == 8)) | length == 1
		and all(.errno == "EINVAL")' <<<"$ev"
	jq -e 'map(select(.name == "VFIO_IOMMU_MAP_DMA" and .flags == 131)) | length == 1
		and all(.errno == "EINVAL" and .flags_names == "READ|WRITE|0x80")' <<<"$ev"
	jq -e 'map(select(.name == "VFIO_IOMMU_UNMAP_DMA" and .flags == 64)) | length == 1
		and all(.errno == "EINVAL")' <<<"$ev"
}

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
	# every guest kernel is covered by the headers the catalog was checked against
	jq -e '.catalog_headers == "7.3" and (.kernel_newer_than_catalog | not)' "$p"
	# tracepoint mode reads struct file with plain loads where the kernel
	# has bpf_rdonly_cast (6.2+), with probe reads before
	case $K in
	5.10 | 6.1) jq -e '.tracepoint_reads == "probe"' "$p" ;;
	*) jq -e '.tracepoint_reads == "btf"' "$p" ;;
	esac
	# the in-flight slots: task storage where tracepoint programs may use
	# it (6.1 on), the LRU hash on 5.10 (no task storage at all)
	if [ "$K" = 5.10 ]; then
		jq -e '.call_slots == "lru_hash"' "$p"
	else
		jq -e '.call_slots == "task_storage"' "$p"
	fi
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

@test "$ISC_GUEST_KERNEL: trace -w during the full-mode run, replayed by trace -r: the live records, verdicts included" {
	[ "$(cat "$D/trace-w.rc")" -eq 0 ] || { cat "$D/trace-w.err"; false; }
	[ "$(cat "$D/trace-r.rc")" -eq 0 ] || { cat "$D/trace-r.err"; false; }
	grep -q "written to .*trace-full.isc, 0 dropped, mode full" "$D/trace-w.err"
	live=$(trace_events_of "$D/trace-full.jsonl" vfio_workload | jq -c 'map(del(.ts_ns, .latency_ns))')
	replay=$(trace_events_of "$D/trace-r.jsonl" vfio_workload | jq -c 'map(del(.ts_ns, .latency_ns))')
	jq -e 'length > 30 and (map(select(.class != "ok")) | length > 0)' <<<"$replay"
	[ "$live" = "$replay" ]
}

@test "$ISC_GUEST_KERNEL: the trace -w capture prints byte for byte what the frozen json-c/fprintf sink printed (test_outeq)" {
	outeq "$D/trace-full.isc" 30
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

# ---- the IOMMU core (bind, invalidate, fault, map/unmap) ----

# jq variables: the workload's pid, the edu device and its group.
iommu_vars() {
	WPID=$(jq -s 'map(select(.event == "start"))[0].pid' "$D/manifest-full.jsonl")
	BDF=$(jq -r .bdf "$D/env.json")
	GROUP=$(jq -r .group "$D/env.json")
	IOMMU=$(jq -s 'map(select(.type == "iommu"))' "$D/trace-full.jsonl")
}

@test "$ISC_GUEST_KERNEL: probe picks this era's bind/invalidate/fault/map hooks" {
	p=$D/probe.json
	used() { jq -e --arg t "$1" '.hooks[] | select(.target == $t) | .used' "$p"; }
	unused() { jq -e --arg t "$1" '.hooks[] | select(.target == $t) | .used | not' "$p"; }
	used iommu_attach_group+iommu_detach_group
	used dmar_fault
	used report_iommu_fault
	used iommu:map+iommu:unmap
	if [ "$K" = 5.10 ]; then
		used iommu_flush_iotlb_psi
		used iommu_uapi_sva_bind_gpasid
		used iommu_uapi_cache_invalidate
		jq -e '.hooks[] | select(.target == "intel_iommu_tlb_sync") | .present | not' "$p"
	else
		used intel_iommu_tlb_sync
		unused iommu_flush_iotlb_psi	# 6.1 has it, but tlb_sync already serves
		jq -e '.hooks[] | select(.target == "iommu_uapi_cache_invalidate") | .present | not' "$p"
	fi
}

@test "$ISC_GUEST_KERNEL: every hook whose target this kernel has loads and attaches" {
	# (absent targets are "unavailable"; a present one that fails is a bug)
	jq -e '[.hooks[] | select(.present and (.attached | not)) | .target] | length == 0' \
		"$D/probe.json" ||
		{ jq -c '.hooks[] | select(.present and (.attached | not))' "$D/probe.json"; false; }
}

@test "$ISC_GUEST_KERNEL: one bind for the group attach, by the workload, inside SET_IOMMU" {
	iommu_vars
	jq -e --argjson pid "$WPID" --arg bdf "$BDF" --argjson g "$GROUP" '
		map(select(.op == "bind" and .pid == $pid)) | length == 1 and
		all(.hook == "iommu_attach_group" and .device == $bdf and .group == $g and
		    .ret == 0 and .in_ioctl == "VFIO_SET_IOMMU" and (.domain | test("^0x")))' <<<"$IOMMU"
	# and the matching unbind when the group leaves the container
	jq -e --argjson pid "$WPID" --arg bdf "$BDF" '
		(map(select(.op == "bind" and .pid == $pid))[0].domain) as $d
		| map(select(.op == "unbind" and .pid == $pid)) | length == 1
		  and all(.domain == $d and .device == $bdf)' <<<"$IOMMU"
}

@test "$ISC_GUEST_KERNEL: map/unmap totals per ioctl equal the bytes the workload mapped" {
	iommu_vars
	want=$(jq -s 'map(select(.name == "VFIO_IOMMU_MAP_DMA" and .ret == 0) | .size) | add' \
		"$D/manifest-full.jsonl")
	[ "$want" -eq $((2 * 1024 * 1024 + 4096)) ]
	# the last record of each (process, ioctl) holds its totals
	last=$(jq -s -c --argjson pid "$WPID" '
		map(select(.type == "iommu_map" and .pid == $pid))
		| group_by(.ioctl) | map(last)' "$D/trace-full.jsonl")
	jq -e --argjson n "$want" '
		(map(select(.ioctl == "VFIO_IOMMU_MAP_DMA"))[0] | .map_bytes == $n and .unmap_bytes == 0
		 and .map_calls >= 2 and .comm == "vfio_workload") and
		(map(select(.ioctl == "VFIO_IOMMU_UNMAP_DMA"))[0] | .unmap_bytes == $n and .map_bytes == 0)
		and ((map(.map_bytes) | add) == (map(.unmap_bytes) | add))' <<<"$last"
	# type1's fine-grained superpage test maps and unmaps two pages while
	# attaching (vfio_test_domain_fgsp); later kernels dropped it
	case $K in 7.*) ;; *)
		jq -e 'map(select(.ioctl == "VFIO_SET_IOMMU"))[0]
			| .map_bytes == 8192 and .unmap_bytes == 8192' <<<"$last" ;;
	esac
}

@test "$ISC_GUEST_KERNEL: the DMA to an unmapped IOVA is a fault event naming device, IOVA and owner" {
	iommu_vars
	jq -e '.event == "fault_dma"' <(jq -s -c 'map(select(.event == "fault_dma"))[0]' \
		"$D/manifest-full.jsonl")
	# one fault DMA, one fault record: each record is reported once
	jq -e --argjson pid "$WPID" --arg bdf "$BDF" --argjson g "$GROUP" '
		map(select(.op == "fault")) | length == 1 and
		all(.hook == "dmar_fault" and .device == $bdf and .group == $g and
		    .iova == 8388608 and .access == "read" and .fault_reason == 6 and
		    .owner_pid == $pid)' <<<"$IOMMU"
}

@test "$ISC_GUEST_KERNEL: invalidations follow the unmaps, attributed to the device" {
	iommu_vars
	t0=$(trace_events_of "$D/trace-full.jsonl" vfio_workload |
		jq 'map(select(.name == "VFIO_IOMMU_UNMAP_DMA"))[0].ts_ns')
	jq -e --argjson t0 "$t0" --arg bdf "$BDF" --argjson pid "$WPID" '
		map(select(.op == "invalidate" and .ts_ns >= $t0 and .pid == $pid)) | length >= 1 and
		all(.in_ioctl == "VFIO_IOMMU_UNMAP_DMA" and .device == $bdf and .size > 0)' <<<"$IOMMU"
}

@test "$ISC_GUEST_KERNEL: capability chains read at INFO exit equal what the workload decoded" {
	ev=$(trace_events_of "$D/trace-full.jsonl" vfio_workload)
	# every caps event of the workload: the INFO call (by seq) carries those ids, in order
	jq -n -e --slurpfile m "$D/manifest-full.jsonl" --argjson ev "$ev" '
		[$m[] | select(.event == "caps")] as $caps
		| ($caps | length) >= 1 and
		  ($caps | all(. as $c | $ev[$c.info_seq - 1]
			| (.caps // [] | map(.id)) == $c.ids and (has("caps_error") | not)))'
	# the IOMMU_GET_INFO chain: named, version 1, and flags_out says CAPS
	jq -e 'map(select(.name == "VFIO_IOMMU_GET_INFO" and (.caps | length) > 0))[0]
		| (.caps | map(.name) | sort) == ["DMA_AVAIL", "IOVA_RANGE", "MIGRATION"]
		  and all(.caps[]; .version == 1) and (.flags_out_names | test("CAPS"))' <<<"$ev"
	# calls whose buffer was too small for the chain carry none
	jq -e 'map(select(.name == "VFIO_IOMMU_GET_INFO" and .argsz == 16)) | all(has("caps") | not)' <<<"$ev"
}

# ---- the catalog's 7.1-7.3 rows, judged by this kernel's release ----

@test "$ISC_GUEST_KERNEL: features 12 and 13 and IOAS_NOIOMMU_GET_PA: named, answered, judged by release" {
	[ "$(cat "$D/workload-rows.rc")" -eq 0 ] || { tail -n 20 "$D/workload-rows.log"; false; }
	[ "$(cat "$D/trace-rows.rc")" -eq 0 ] || { cat "$D/trace-rows.err"; false; }
	ev=$(trace_events_of "$D/trace-rows.jsonl" vfio_workload)
	# the trace has each call with the result the workload saw (a command
	# that is no ioctl of the fd's kind is not decoded: argsz and flags null)
	rows=$(jq -s -c 'map(select(.tag == "precopy_info_v2" or .tag == "zpci_error" or
		.tag == "no_such_feature" or .tag == "noiommu_get_pa"))' "$D/manifest-rows.jsonl")
	jq -n -e --argjson m "$rows" --argjson ev "$ev" '($m | length) == 4 and
		($m | all(. as $c | $ev | any(.cmd == $c.cmd and .fd_kind == $c.fd_kind and
			(.name == null or (.argsz == $c.argsz and .flags == $c.flags)) and
			.ret == -$c.errno)))'
	one() { jq -c --argjson f "$1" 'map(select(.flags == $f and .fd_kind == "device"))[0]' <<<"$ev"; }
	v12=$(one 131084) v13=$(one 65549) v14=$(one 65550)
	pa=$(jq -c 'map(select(.cmd == 15253 and .fd_kind == "container"))[0]' <<<"$ev")
	echo "12: $v12"; echo "13: $v13"; echo "14: $v14"; echo "0x95: $pa"
	case $K in
	5.10 | 6.*)
		# older than 7.1: the kernel does not know feature 12, as the catalog says
		jq -e '.errno == "ENOTTY" and .classes == ["unknown-ioctl"] and
			(.explain | test("MIG_PRECOPY_INFOv2 \\(index 12\\) needs Linux >= 7.1"))' <<<"$v12" ;;
	*)
		# 7.1+ knows it and refuses it for a device without migration
		jq -e '.errno == "EINVAL" and .classes == []' <<<"$v12" ;;
	esac
	case $K in
	7.3) jq -e '.classes == []' <<<"$v13" ;;
	*) jq -e '.errno == "ENOTTY" and .classes == ["unknown-ioctl"] and
		(.explain | test("ZPCI_ERROR \\(index 13\\) needs Linux >= 7.3"))' <<<"$v13" ;;
	esac
	# no kernel has index 14, and none answers it
	jq -e '.errno == "ENOTTY" and .classes == ["unknown-ioctl"] and
		(.explain | test("index 14 is no feature the catalog knows \\(ENOTTY\\)"))' <<<"$v14"
	# an iommufd command on a type1 container is no ioctl there
	jq -e '.name == null and .errno == "ENOTTY" and .classes == ["unknown-ioctl"] and
		(.explain | test("not a VFIO/iommufd ioctl on a container fd"))' <<<"$pa"
}

# ---- compatibility audit and profile ----

@test "$ISC_GUEST_KERNEL: audit classifies exactly the workload's mismatches, then counts repeats" {
	[ "$(cat "$D/audit.rc")" -eq 0 ] || { cat "$D/audit.err"; false; }
	[ "$(cat "$D/workload-audit.rc")" -eq 0 ]
	want='["VFIO_DEVICE_GET_INFO older-struct 16 0", "VFIO_IOMMU_GET_INFO caps-truncated 16 0",
	       "VFIO_IOMMU_GET_INFO caps-truncated 64 0", "VFIO_IOMMU_GET_INFO older-struct 16 0",
	       "VFIO_IOMMU_MAP_DMA truncated 8 3", "VFIO_IOMMU_MAP_DMA unknown-flags 32 131",
	       "VFIO_IOMMU_UNMAP_DMA unknown-flags 24 64"]'
	case $K in
	# the workload is built against Debian 12's 6.1 headers: 20 bytes, the
	# kernel's vfio_device_info is 24 from 6.5
	6.12 | 7.*) want=$(jq -c '. + ["VFIO_DEVICE_GET_INFO older-struct 20 0"]' <<<"$want") ;;
	# QEMU's migration query and the LOW_POWER_ENTRY probe: features of 5.18 and 6.1
	5.10) want=$(jq -c '. + ["VFIO_DEVICE_FEATURE unknown-ioctl 16 65537",
				"VFIO_DEVICE_FEATURE unknown-ioctl 8 393219"]' <<<"$want") ;;
	esac
	jq -s -e --argjson want "$want" '
		map(select(.event == "new") | "\(.ioctl) \(.class) \(.argsz) \(.flags)") | sort
		== ($want | sort)' "$D/audit.jsonl"
	# the probe-then-retry and the deliberately old call are one record, counted twice
	jq -s -e 'group_by(.ioctl, .class, .argsz) | map(last)
		| map(select(.class == "older-struct" and .argsz == 16)) | length == 2 and all(.count == 2)' \
		"$D/audit.jsonl"
	jq -s -e 'map(select(.event == "new")) | all(.comm == "vfio_workload" and
		(.exe | endswith("vfio_workload")) and (.explain | length) > 20)' "$D/audit.jsonl"
	jq -s -e 'map(select(.class == "caps-truncated")) | all(.need > .argsz and
		(.explain | test("never retried")))' "$D/audit.jsonl"
	grep -qE '^/payload/vfio_workload +[0-9]+ ' "$D/audit.err"
}

@test "$ISC_GUEST_KERNEL: profile record writes the workload's footprint" {
	[ "$(cat "$D/profile.rc")" -eq 0 ] || { cat "$D/profile.err"; false; }
	p=$D/profile.json
	jq -e --arg k "$(jq -r .kernel "$D/probe.json")" '.iommuscope_profile == 1 and
		.recorded.kernel == $k and .recorded.backend == "vfio" and
		.processes == ["vfio_workload"] and .extensions.TYPE1v2 == 1' "$p"
	# every distinct ioctl the workload issued is there, with its call count
	issued=$(jq -s 'map(select(has("seq")) | .name) | unique' "$D/manifest-audit.jsonl")
	jq -e --argjson n "$issued" '[.calls[].ioctl] | unique == $n' "$p"
	total=$(jq -s 'map(select(has("seq"))) | length' "$D/manifest-audit.jsonl")
	jq -e --argjson t "$total" '[.calls[].count] | add == $t' "$p"
	jq -e '.calls[] | select(.ioctl == "VFIO_IOMMU_GET_INFO" and .caps) | .caps | sort == [1, 2, 3]' "$p"
}

# ---- iommutop (batch JSON) ----

@test "$ISC_GUEST_KERNEL: iommutop counts the workload's calls in the kernel, equal to the manifest" {
	[ "$(cat "$D/workload-top.rc")" -eq 0 ] || { tail -n 20 "$D/workload-top.log"; false; }
	[ "$(cat "$D/top.rc")" -eq 0 ] || { cat "$D/top.err"; false; }
	want=$(jq -s -c '[.[] | select(has("seq")) | "\(.name)/\(.fd_kind)"]
		| group_by(.) | map({key: .[0], value: length}) | from_entries' "$D/manifest-top.jsonl")
	got=$(tail -n 1 "$D/top.jsonl" | jq -c '[.processes[] | select(.comm == "vfio_workload")
		| .ioctls[] | {k: "\(.ioctl)/\(.fd_kind)", n: .calls}] | group_by(.k)
		| map({key: .[0].k, value: (map(.n) | add)}) | from_entries')
	echo "manifest: $want"
	echo "top:      $got"
	[ "$want" = "$got" ]
	# full mode; the DMA fault and the group bind are the workload's; the
	# maps it asked for are counted on MAP_DMA (2 MiB + 4 KiB)
	tail -n 1 "$D/top.jsonl" | jq -e '.mode == "full" and .drops == 0 and .not_counted == 0
		and (.processes[] | select(.comm == "vfio_workload") | .faults == 1 and .binds >= 1
		     and ([.ioctls[] | select(.ioctl == "VFIO_IOMMU_MAP_DMA") | .map_bytes] | add)
			 == 2101248)'
}

# ---- the device behind device fds (the group's VFIO_GROUP_GET_DEVICE_FD) ----

@test "$ISC_GUEST_KERNEL: every call on the device fd names edu and its IOMMU group (full, tracepoint, trace -r)" {
	device_records "$D/trace-full.jsonl" vfio_workload 10
	device_records "$D/trace-tracepoint.jsonl" vfio_workload 10
	device_records "$D/trace-r.jsonl" vfio_workload 10
}

@test "$ISC_GUEST_KERNEL: a device fd opened before the tracer started names edu too" {
	[ "$(cat "$D/workload-preopen.rc")" -eq 0 ] || { tail -n 20 "$D/workload-preopen.log"; false; }
	[ "$(cat "$D/trace-preopen.rc")" -eq 0 ] || { cat "$D/trace-preopen.err"; false; }
	device_records "$D/trace-preopen.jsonl" vfio_workload 5
	# the fd was opened before: its VFIO_GROUP_GET_DEVICE_FD is not in the trace
	wpid=$(jq -s 'map(select(.event == "start"))[0].pid' "$D/manifest-preopen.jsonl")
	jq -s -e --argjson p "$wpid" 'map(select(.type == "ioctl" and .pid == $p)) as $r
		| ($r | map(select(.name == "VFIO_GROUP_GET_DEVICE_FD")) | length == 0)
		and ($r | map(select(.fd_kind == "device")) | length >= 5)' "$D/trace-preopen.jsonl"
}

@test "$ISC_GUEST_KERNEL: iommutop's device column: edu's address on device-fd rows, vfio/GROUP on group rows" {
	bdf=$(jq -r .bdf "$D/env.json")
	group=$(jq -r .group "$D/env.json")
	tail -n 1 "$D/top.jsonl" | jq -e --arg b "$bdf" --argjson g "$group" '
		[.processes[] | select(.comm == "vfio_workload") | .ioctls[]] as $r
		| ($r | map(select(.fd_kind == "device"))) as $d
		| ($d | length) > 3 and ($d | all(.device == $b and .iommu_group == $g))
		and ($r | map(select(.fd_kind == "group")) | length > 0
		     and all(.device == "vfio/\($g)" and .iommu_group == $g))'
}

@test "$ISC_GUEST_KERNEL: audit entries of calls on the device fd name edu" {
	bdf=$(jq -r .bdf "$D/env.json")
	group=$(jq -r .group "$D/env.json")
	jq -s -e --arg b "$bdf" --argjson g "$group" '
		map(select(.type == "audit" and .comm == "vfio_workload")) as $a
		| ($a | map(select(.fd_kind == "device"))) as $d
		| ($d | length) > 0 and ($d | all(.device == $b and .iommu_group == $g))
		and ($a | map(select(.fd_kind != "device")) | all(has("device") | not))' "$D/audit.jsonl"
}

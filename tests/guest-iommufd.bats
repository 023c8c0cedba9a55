#!/usr/bin/env bats
# Assertions on the iommufd guest's results (scripts/test-guest.sh boots the
# kernel scripts/guest/build-kernel.sh built, then runs this file with
# ISC_GUEST_DIR set). The guest ran tests/guest/payload/iommufd.sh: probe;
# the edu device through the VFIO cdev + iommufd and through /dev/vfio/vfio
# served by iommufd, under one trace; the kernel's iommufd selftest under
# strace and iommuscope at once; QEMU (bookworm-backports', >= 9) with the
# edu device through -object iommufd and through the compat container, each
# under strace -y and iommuscope at once.

load helpers

setup_file() {
	local kdir=${ISC_CACHE:-$HOME/.cache/iommuscope}/kernels/iommufd
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}
	T=$BATS_FILE_TMPDIR
	# name and size oracle, from the uapi headers of the kernel's own tree
	cc -Wall -Werror -isystem "$kdir/uapi/include" -o "$T/names" \
		"$BATS_TEST_DIRNAME/guest/iommufd/names.c"
	"$T/names" >"$T/names.txt"
	# the selftest's trace is large (~300k calls): split it once, streaming
	jq -c 'select(.type == "ioctl") | {tid, fd_kind, cmd, name, argsz, flags, flags_names,
		ret, errno, class, classes, hwpt_id, entry_len, entry_num}' \
		"$D/trace-selftest.jsonl" >"$T/st-ioctl.jsonl" || true
	grep '"type":"iommu"' "$D/trace-selftest.jsonl" >"$T/st-iommu.jsonl" || true
	# the records the IOMMU event checks pair with: the event kinds' ioctls
	jq -c 'select(.type == "iommu" or (.type == "ioctl" and (.name == "IOMMU_HWPT_INVALIDATE"
		or .name == "IOMMU_HWPT_ALLOC" or .name == "IOMMU_FAULT_QUEUE_ALLOC")))' \
		"$D/trace-selftest.jsonl" >"$T/st-events.jsonl" || true
	awk -f "$BATS_TEST_DIRNAME/guest/iommufd/strace-ioctls.awk" "$D/strace.txt" \
		>"$T/strace-calls.txt" 2>/dev/null || true
	local q
	for q in qemu-iommufd qemu-legacy; do
		awk -v kinds=1 -v container=compat-container \
			-f "$BATS_TEST_DIRNAME/guest/iommufd/strace-ioctls.awk" "$D/strace-$q.txt" 2>/dev/null |
			cut -d' ' -f1-3 >"$T/strace-$q.txt" || true
	done
}

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}
	T=$BATS_FILE_TMPDIR
	NAMES=$T/names.txt
}

show_console() {
	echo "--- last console lines ---"
	tail -n 40 "$D/console.log" 2>/dev/null || echo "(no console log)"
}

@test "iommufd: the guest booted the built kernel and ran every step" {
	[ -f "$D/status" ] || { show_console; false; }
	[ "$(cat "$D/status")" -eq 0 ] || { cat "$D/run.log"; false; }
	jq -e '.release | endswith("-iommufd")' "$D/env.json"
	# vfio and vfio-pci are built in: nothing loaded, edu bound all the same
	jq -e '.modules == [] and (.builtin | index("vfio") and index("vfio_pci"))
		and .driver == "vfio-pci" and .errors == []' "$D/env.json"
	[ "$(cat "$D/probe.rc")" -eq 0 ] || { cat "$D/probe.err"; false; }
	for f in trace-edu trace-selftest; do
		[ "$(cat "$D/$f.rc")" -eq 0 ] || { cat "$D/$f.err"; false; }
		tail -n 1 "$D/$f.jsonl" | jq -e '.type == "summary" and .mode == "full"
			and .drops == 0 and .invalid == 0'
	done
}

@test "iommufd: probe sees iommufd serving /dev/vfio/vfio and picks the iommufd-era hooks" {
	p=$D/probe.json
	jq -e '.mode == "full" and .full_via == "fentry" and .dev_iommu and .dev_vfio
		and .container_backend == "iommufd" and .kallsyms_data' "$p"
	# every fops handler is in vmlinux here (built in); VFIO's own
	# container does not exist (VFIO_CONTAINER=n)
	jq -e '[.hooks[] | select(.type == "fentry" and .present)] | map(.target) ==
		["vfio_group_fops_unl_ioctl", "vfio_device_fops_unl_ioctl", "iommufd_fops_ioctl"]' "$p"
	jq -e '[.hooks[] | select(.type == "fentry" and .present)]
		| all(.attached and .module == "vmlinux")' "$p"
	jq -e '[.classifiers[] | select(.what | startswith("iommufd_fops"))] | length == 1
		and .[0].kind == "iommufd"' "$p"
	used() { jq -e --arg t "$1" '.hooks[] | select(.target == $t) | .used' "$p"; }
	absent() { jq -e --arg t "$1" '.hooks[] | select(.target == $t) | .present | not' "$p"; }
	used iommu_attach_group_handle+iommu_replace_group_handle
	used iommu_detach_group_handle
	used iommufd_hwpt_invalidate
	used iommufd_fault_iopf_handler
	used iopf_group_response
	used iommu_report_device_fault
	used iommu:map+iommu:unmap
	# one of the two nested-HWPT hooks, whichever this build did not inline
	jq -e '[.hooks[] | select(.target == "iommufd_hwpt_nested_alloc"
		or .target == "iommufd_hwpt_alloc+iommufd_object_finalize") | select(.used)]
		| length == 1' "$p"
	absent iommu_uapi_sva_bind_gpasid
	absent iommu_uapi_cache_invalidate
	# and the text form names what was chosen
	grep -E '^  invalidate iommufd_hwpt_invalidate +ok \(vmlinux\)$' "$D/probe.txt"
	grep -E '^  fault +iommufd_fault_iopf_handler +ok \(vmlinux\)$' "$D/probe.txt"
}

@test "iommufd: per-command counts and results under the selftest equal strace's" {
	n=$(wc -l <"$T/strace-calls.txt")
	echo "strace: $n VFIO/iommufd ioctls"
	[ "$n" -gt 10000 ]
	# "count cmd result" (result: ok or the errno name), both sides
	diff <(sort "$T/strace-calls.txt" | uniq -c) \
		<(jq -r '"\(.cmd) \(.errno // "ok")"' "$T/st-ioctl.jsonl" | sort | uniq -c)
	# every call strace saw finished (none cut off by a kill)
	[ "$(grep -c ' unfinished$' "$T/strace-calls.txt")" -eq 0 ]
	# and the selftest itself passed (its hugepage tests need nr_hugepages)
	grep -E '^# Totals: pass:[0-9]+ fail:0 ' "$D/selftest.tap"
}

@test "iommufd: every selftest ioctl has the uapi's name and its struct's size" {
	# the selftest only talks to /dev/iommu
	[ "$(jq -r .fd_kind "$T/st-ioctl.jsonl" | sort -u)" = iommufd ]
	# names: the tree's uapi header's for each number (VFIO's on iommufd's
	# own fd: its type1 emulation); numbers that are no uapi ioctl (the
	# selftest's private IOMMU_TEST_CMD, 0x3BA0, and its deliberately unknown
	# ones) are recorded unnamed
	jq -r '"\(.cmd) \(.name)"' "$T/st-ioctl.jsonl" | sort | uniq -c |
		awk -v names="$NAMES" '
			BEGIN { while ((getline l < names) > 0) { split(l, f, " "); want[f[1]] = f[2] } }
			{ w = ($2 in want) ? want[$2] : "null"
			  if ($3 != w) { print "cmd " $2 ": " $3 " (" $1 " calls), uapi: " w; bad = 1 }
			  else if (w != "null") { seen[$3] = $1; names++ } }
			END { if (bad || names < 20) exit 1
			      for (n in seen) printf "%s=%d ", n, seen[n]; print "" }'
	[ "$(jq -r 'select(.cmd == 15264) | .name' "$T/st-ioctl.jsonl" | sort | uniq -c |
		awk '$1 > 1000 && $2 == "null" { print "ok" }')" = ok ]
	# sizes against the uapi's sizeof and the kernel's minimum (the end of
	# the member its ioctl table names): what the kernel answered and how
	# iommuscope classed it, for every (cmd, size, result, class) seen
	jq -r 'select(.argsz != null) | "\(.cmd) \(.argsz) \(.errno // "ok") \(.class)"' \
		"$T/st-ioctl.jsonl" | sort | uniq -c |
		awk -v names="$NAMES" '
			BEGIN { while ((getline l < names) > 0) { split(l, f, " "); sz[f[1]] = f[3]; min[f[1]] = f[4] } }
			!($2 in sz) || sz[$2] == "-" { next }
			{ n = $3 + 0; why = "" }
			n < min[$2] + 0 && ($4 != "EINVAL" || $5 != "truncated") { why = "short" }
			n >= min[$2] + 0 && $5 == "truncated" { why = "not short" }
			$4 == "E2BIG" && (n <= sz[$2] + 0 || $5 != "newer-struct") { why = "E2BIG" }
			# iommufd: a longer struct is a newer one (VFIO INFO replies: room for caps)
			$2 >= 15232 && n > sz[$2] + 0 && $4 == "ok" && $5 != "newer-struct" { why = "long" }
			why != "" { print why ": cmd " $2 " size " n " (sizeof " sz[$2] ", min " min[$2] ") " $4 " " $5 " x" $1; bad = 1 }
			n < min[$2] + 0 { short++ } $4 == "E2BIG" { e2big++ }
			END { print short " short, " e2big " E2BIG"; exit bad || !short || !e2big }'
}

@test "iommufd: flags the kernel refused are the ones iommuscope calls unknown" {
	# every call classified unknown-flags was refused by the kernel
	n=$(jq -r 'select(.classes | index("unknown-flags")) | .ret' "$T/st-ioctl.jsonl" | wc -l)
	[ "$n" -gt 0 ]
	jq -r 'select(.classes | index("unknown-flags")) | .ret' "$T/st-ioctl.jsonl" |
		awk '$1 >= 0 { bad = 1 } END { exit bad }'
	# accepted IOAS_MAPs have their flags named, no unknown bits
	jq -r 'select(.name == "IOMMU_IOAS_MAP" and .ret == 0) | .flags_names' "$T/st-ioctl.jsonl" |
		sort | uniq -c | tee /dev/stderr | awk '$2 !~ /^[A-Z_|]+$/ { bad = 1 } END { exit bad }'
}

@test "iommufd: nested HWPT allocation is a bind event with its driver data" {
	b=$(jq -s -c 'map(select(.type == "iommu" and .op == "bind" and
		(.hook == "iommufd_hwpt_nested_alloc" or .hook == "iommufd_hwpt_alloc")))' \
		"$T/st-events.jsonl")
	# IOMMU_HWPT_DATA_SELFTEST (0xdead), struct iommu_hwpt_selftest (8 bytes)
	jq -e 'map(select(.ret == 0)) | length > 10 and all(.data_type == 57005 and
		.data_len == 8 and .hwpt_id > 0 and .comm == "iommufd"
		and .in_ioctl == "IOMMU_HWPT_ALLOC")' <<<"$b"
	# a data type the mock driver does not know is refused
	jq -e 'any(.data_type == 57006 and .errno == "EOPNOTSUPP")' <<<"$b"
	# a nested HWPT names its domain and its parent's
	jq -e 'map(select(.ret == 0 and .parent != null)) | length > 5 and
		all((.domain | test("^0x")) and (.parent | test("^0x")) and .domain != .parent)' <<<"$b"
	# and that domain is what a later replace attaches the mock device to
	jq -s -e 'map(select(.type == "iommu")) as $i
		| ($i | map(select(.op == "bind" and .parent != null) | "\(.pid) \(.hwpt_id) \(.domain)")) as $n
		| [$i[] | select(.hook == "iommu_replace_group_handle")
		   | "\(.pid) \(.hwpt_id) \(.domain)" | select(IN($n[]))] | length > 0' \
		"$T/st-events.jsonl"
	# refused allocations carry the kernel's error
	jq -e 'any(.ret < 0 and .errno != null)' <<<"$b"
	# every successful nested bind's hwpt id is an IOMMU_HWPT_ALLOC's answer
	jq -s -e '(map(select(.type == "iommu" and .op == "bind" and .ret == 0 and
		(.hook == "iommufd_hwpt_nested_alloc" or .hook == "iommufd_hwpt_alloc"))
		| "\(.tid) \(.hwpt_id)") | unique) as $b
		| (map(select(.type == "ioctl" and .name == "IOMMU_HWPT_ALLOC" and .ret == 0))
		| length) >= ($b | length)' "$T/st-events.jsonl"
}

@test "iommufd: HWPT_INVALIDATE is an invalidate event with entry size and count" {
	all=$T/st-events.jsonl
	inv=$(jq -s -c 'map(select(.type == "iommu" and .op == "invalidate"
		and .hook == "iommufd_hwpt_invalidate"))' "$all")
	calls=$(jq -s -c 'map(select(.type == "ioctl" and .name == "IOMMU_HWPT_INVALIDATE"))' "$all")
	# one event per call that reached the handler (the size check comes first)
	jq -e -n --argjson i "$inv" --argjson c "$calls" '
		($c | map(select(.errno != "E2BIG" and .errno != "EFAULT" and .class != "truncated"))
		 | length) as $n | $n > 10 and ($i | length) == $n'
	# the selftest's invalidation data (0xdeadbeef): 8-byte entries for a
	# nested HWPT, 12-byte ones for a vIOMMU; all done when the call succeeds
	jq -e 'map(select(.ret == 0)) | length > 5 and all(.data_type == 3735928559
		and (.entry_len == 8 or .entry_len == 12) and .entry_done == .entry_num
		and .hwpt_id > 0 and .in_ioctl == "IOMMU_HWPT_INVALIDATE")' <<<"$inv"
	jq -e 'map(select(.ret == 0 and .entry_num > 1)) | length > 0' <<<"$inv"
	# a refused batch reports how many entries the driver got through
	jq -e 'any(.ret < 0 and .entry_done < .entry_num)' <<<"$inv"
	# each event's numbers are those of its call (same thread, the call's
	# record follows its events)
	jq -s -e '
		[foreach .[] as $r ({pend: {}, bad: []};
			if $r.type == "iommu" and $r.hook == "iommufd_hwpt_invalidate" then
				.pend[$r.tid | tostring] = $r
			elif $r.type == "ioctl" and $r.name == "IOMMU_HWPT_INVALIDATE"
			     and .pend[$r.tid | tostring] != null then
				(.pend[$r.tid | tostring]) as $e
				| (if $e.entry_num != $r.entry_num or $e.entry_len != $r.entry_len
				      or $e.hwpt_id != $r.hwpt_id or $e.ret != $r.ret
				   then .bad += [[$e, $r]] else . end)
				| .pend[$r.tid | tostring] = null
			else . end; .bad)] | last | length == 0' "$all"
}

@test "iommufd: injected page faults reach the fault queue and are answered" {
	all=$T/st-events.jsonl
	q=$(jq -s -c 'map(select(.type == "iommu" and .hook == "iommufd_fault_iopf_handler"))' "$all")
	r=$(jq -s -c 'map(select(.type == "iommu" and .op == "fault-response"))' "$all")
	# the selftest's trigger (IOMMU_TEST_OP_TRIGGER_IOPF): a read|write
	# page request at 0xdeadbeaf (PASID 1 or 0x800), on a mock device, to the
	# fault queue of the HWPT it is attached to
	jq -e 'length > 0 and all(.op == "fault" and .iova == 3735928495 and
		.access == "write" and .pasid > 0 and .fault_id > 0 and .hwpt_id > 0
		and .fault_count == 1 and (.device | startswith("iommufd_mock"))
		and (.domain | test("^0x")) and .comm == "iommufd")' <<<"$q"
	# the driver's report of each comes first, for the same device
	jq -s -e 'map(select(.type == "iommu" and .op == "fault")) | . as $f
		| [range(0; length) | select($f[.].hook == "iommufd_fault_iopf_handler")
		   | select(. > 0 and $f[. - 1].hook == "iommu_report_device_fault"
		            and $f[. - 1].device == $f[.].device)]
		| length == ($f | map(select(.hook == "iommufd_fault_iopf_handler")) | length)' "$all"
	# each fault delivered was answered by the selftest's write: SUCCESS (0),
	# the cookie its read() got, same HWPT, queue and address
	jq -e -n --argjson q "$q" --argjson r "$r" '
		($r | map(select(.comm == "iommufd" and .code == 0))) as $ok
		| ($ok | length) == ($q | length) and
		  ([range(0; $q | length) | select($ok[.].hwpt_id == $q[.].hwpt_id and
			$ok[.].fault_id == $q[.].fault_id and $ok[.].iova == $q[.].iova and
			$ok[.].cookie > 0)] | length) == ($q | length)'
	# and the fault queues come from IOMMU_FAULT_QUEUE_ALLOC
	jq -s -e 'map(select(.type == "ioctl" and .name == "IOMMU_FAULT_QUEUE_ALLOC"
		and .ret == 0)) | length > 0' "$all"
}

@test "iommufd: the cdev workload's ioctls are recorded field for field, with the right fd kinds" {
	[ "$(cat "$D/workload-cdev.rc")" -eq 0 ] || { cat "$D/workload-cdev.log"; false; }
	ev=$(trace_events_of "$D/trace-edu.jsonl" iommufd_workloa)
	compare_with_manifest "$D/manifest-cdev.jsonl" "$ev"
	jq -e 'map(.fd_kind) | unique == ["device", "iommufd"]' <<<"$ev"
	jq -e 'map(select(.fd_kind == "device") | .name) | unique ==
		["VFIO_DEVICE_ATTACH_IOMMUFD_PT", "VFIO_DEVICE_BIND_IOMMUFD",
		 "VFIO_DEVICE_DETACH_IOMMUFD_PT", "VFIO_DEVICE_GET_INFO",
		 "VFIO_DEVICE_GET_REGION_INFO"]' <<<"$ev"
	# iommufd's size rules, deliberately: zero tail ok, non-zero tail E2BIG
	jq -e 'map(select(.name == "IOMMU_IOAS_ALLOC")) | map([.argsz, .errno, .class])
		== [[12, null, "ok"], [16, null, "newer-struct"], [16, "E2BIG", "newer-struct"],
		    [8, "EINVAL", "truncated"]]' <<<"$ev"
	# the DMA round trips through the IOAS and the explicit HWPT verified
	jq -s -e 'map(select(.event == "dma")) | length == 2 and all(.ok)' "$D/manifest-cdev.jsonl"
}

@test "iommufd: the cdev attach and replace are bind events on edu's group" {
	bdf=$(jq -r .bdf "$D/env.json")
	g=$(jq -r .group "$D/env.json")
	b=$(jq -s -c 'map(select(.type == "iommu" and .comm == "iommufd_workloa"))' "$D/trace-edu.jsonl")
	jq -e 'map(select(.hook | endswith("group_handle"))) | map([.op, .hook, .in_ioctl]) ==
		[["bind", "iommu_attach_group_handle", "VFIO_DEVICE_ATTACH_IOMMUFD_PT"],
		 ["bind", "iommu_replace_group_handle", "VFIO_DEVICE_ATTACH_IOMMUFD_PT"],
		 ["unbind", "iommu_detach_group_handle", "VFIO_DEVICE_DETACH_IOMMUFD_PT"]]' <<<"$b"
	jq -e --arg bdf "$bdf" --argjson g "$g" '
		map(select(.hook | endswith("group_handle")))
		| all(.device == $bdf and .group == $g and .hwpt_id > 0 and (.domain | test("^0x"))
		      and (.op == "unbind" or .ret == 0))' <<<"$b"
	# the stage-1 table with short driver data was refused: a failed bind
	jq -e 'map(select(.hook == "iommufd_hwpt_nested_alloc" or .hook == "iommufd_hwpt_alloc"))
		| length == 1 and all(.ret < 0 and .data_type == 1 and .data_len == 4
		and .in_ioctl == "IOMMU_HWPT_ALLOC")' <<<"$b"
	# the replace's HWPT is the one IOMMU_HWPT_ALLOC returned; detach unbinds it
	ids=$(jq -s -c 'map(select(.event == "ids"))[0]' "$D/manifest-cdev.jsonl")
	jq -e --argjson ids "$ids" '
		map(select(.hook == "iommu_replace_group_handle"))[0].hwpt_id == $ids.hwpt_id' <<<"$b"
	jq -e '(map(select(.hook == "iommu_replace_group_handle"))[0].domain) as $d
		| map(select(.op == "unbind"))[0].domain == $d' <<<"$b"
}

@test "iommufd: /dev/vfio/vfio served by iommufd is traced as a compat container" {
	ev=$(trace_events_of "$D/trace-edu.jsonl" vfio_workload)
	# the workload calls it a container; iommuscope knows who serves it
	jq -c 'if .fd_kind == "container" then .fd_kind = "compat-container" else . end' \
		"$D/manifest-compat.jsonl" >"$BATS_TEST_TMPDIR/manifest.jsonl"
	compare_with_manifest "$BATS_TEST_TMPDIR/manifest.jsonl" "$ev"
	jq -e 'map(.fd_kind) | unique == ["compat-container", "device", "group"]' <<<"$ev"
	jq -e 'map(select(.fd_kind == "compat-container")) | length > 10' <<<"$ev"
	# it passed, and its deliberate mismatches are classed as on type1
	[ "$(cat "$D/workload-compat.rc")" -eq 0 ] || { cat "$D/workload-compat.log"; false; }
	jq -e '[.[] | select(.fd_kind == "compat-container" and .class != "ok")
		| [.name, .argsz, .flags, .errno, .class]] ==
		[["VFIO_IOMMU_GET_INFO", 16, 0, null, "older-struct"],
		 ["VFIO_IOMMU_MAP_DMA", 8, 3, "EINVAL", "truncated"],
		 ["VFIO_IOMMU_GET_INFO", 16, 0, null, "older-struct"],
		 ["VFIO_IOMMU_MAP_DMA", 32, 131, "EINVAL", "unknown-flags"],
		 ["VFIO_IOMMU_UNMAP_DMA", 24, 64, "EINVAL", "unknown-flags"]]' <<<"$ev"
	# where iommufd differs from type1: the group is bound when the device
	# is opened (type1: in SET_IOMMU), through iommufd's attach handle, and
	# the IOAS is mapped into the new domain then (type1: in MAP_DMA)
	bdf=$(jq -r .bdf "$D/env.json")
	i=$(jq -s -c 'map(select(.type == "iommu" and .owner_comm == "vfio_workload"))' \
		"$D/trace-edu.jsonl")
	jq -e --arg bdf "$bdf" 'map(select(.op == "bind" or .op == "unbind")) | map([.op, .hook, .in_ioctl])
		== [["bind", "iommu_attach_group_handle", "VFIO_GROUP_GET_DEVICE_FD"],
		    ["unbind", "iommu_detach_group_handle", null]]' <<<"$i"
	want=$(jq -s 'map(select(.name == "VFIO_IOMMU_MAP_DMA" and .ret == 0) | .size) | add' \
		"$D/manifest-compat.jsonl")
	jq -s -e --argjson n "$want" 'map(select(.type == "iommu_map" and .comm == "vfio_workload"))
		| group_by(.ioctl) | map(last) | map({key: .ioctl, value: [.map_bytes, .unmap_bytes]})
		| from_entries == {"VFIO_GROUP_GET_DEVICE_FD": [$n, 0], "VFIO_IOMMU_UNMAP_DMA": [0, $n]}' \
		"$D/trace-edu.jsonl"
	# and the DMA to an unmapped IOVA is one VT-d fault owned by the workload
	jq -e --arg bdf "$bdf" 'map(select(.op == "fault")) | length == 1 and
		all(.hook == "dmar_fault" and .device == $bdf and .iova == 8388608)' <<<"$i"
}

@test "iommufd: the catalog's 7.1-7.3 rows on this 7.2 kernel: feature 12 known, 13 and 0x95 not yet" {
	[ "$(cat "$D/workload-rows.rc")" -eq 0 ] || { tail -n 20 "$D/workload-rows.log"; false; }
	[ "$(cat "$D/trace-rows.rc")" -eq 0 ] || { cat "$D/trace-rows.err"; false; }
	ev=$(trace_events_of "$D/trace-rows.jsonl" vfio_workload)
	jq -e 'map(select(.fd_kind == "device" and .flags == 131084))[0]
		| .errno == "EINVAL" and .classes == []' <<<"$ev"
	jq -e 'map(select(.fd_kind == "device" and .flags == 65549))[0]
		| .errno == "ENOTTY" and .classes == ["unknown-ioctl"] and
		  (.explain | test("ZPCI_ERROR \\(index 13\\) needs Linux >= 7.3"))' <<<"$ev"
	# on /dev/iommu the command is named and dated: 7.3, and this is 7.2
	jq -e 'map(select(.cmd == 15253 and .fd_kind == "iommufd"))[0]
		| .name == "IOMMU_IOAS_NOIOMMU_GET_PA" and .argsz == 40 and .flags == 0 and
		  .errno == "ENOTTY" and .classes == ["unknown-ioctl"] and
		  (.explain | test("IOMMU_IOAS_NOIOMMU_GET_PA needs Linux >= 7.3"))' <<<"$ev"
	# on the container iommufd serves, the kernel does not know it either
	jq -e 'map(select(.cmd == 15253 and .fd_kind == "compat-container"))[0]
		| .errno == "ENOTTY" and .classes == ["unknown-ioctl"]' <<<"$ev"
}

@test "iommufd: every call on the VFIO cdev (before and after BIND_IOMMUFD) names edu and its IOMMU group" {
	device_records "$D/trace-edu.jsonl" iommufd_workloa 5
	jq -s -e 'map(select(.type == "ioctl" and .comm == "iommufd_workloa"
		and .name == "VFIO_DEVICE_BIND_IOMMUFD")) | length > 0 and all(has("device"))' \
		"$D/trace-edu.jsonl"
	# the compat container's workload: its device fd comes from a group
	device_records "$D/trace-edu.jsonl" vfio_workload 5
}

# qemu_compare NAME: QEMU's run NAME ended well, its trace is whole, and
# per (command, fd kind, result) the counts equal strace -y's.
qemu_compare() {
	local q=$1 tr=$D/trace-$1.jsonl
	[ "$(cat "$D/$q.rc")" -eq 0 ] || { cat "$D/$q.log"; false; }
	[ "$(cat "$D/trace-$q.rc")" -eq 0 ] || { cat "$D/trace-$q.err"; false; }
	tail -n 1 "$tr" | jq -e '.type == "summary" and .mode == "full" and .drops == 0 and .invalid == 0'
	grep -q '"event": "SHUTDOWN"' "$D/$q.log"
	n=$(wc -l <"$T/strace-$q.txt")
	echo "$q: strace saw $n VFIO/iommufd ioctls"
	[ "$n" -gt 10 ]
	[ "$(grep -c ' unfinished$' "$T/strace-$q.txt")" -eq 0 ]
	diff <(sort "$T/strace-$q.txt" | uniq -c) \
		<(jq -r 'select(.type == "ioctl") | "\(.cmd) \(.fd_kind) \(.errno // "ok")"' "$tr" | sort | uniq -c)
	# every call named by the uapi (no unknown ioctl), every verdict explained
	jq -e -s '[.[] | select(.type == "ioctl")] | length > 10 and all(.name | test("^(VFIO|IOMMU)_"))
		and all(.class == "ok" or (.explain | length > 0))' "$tr"
	# all of it is QEMU's (no other process made VFIO calls meanwhile),
	# named by its -name guest=
	[ "$(jq -r 'select(.type == "ioctl") | .pid' "$tr" | sort -u | wc -l)" -eq 1 ]
	jq -e -s --arg q "$q" '[.[] | select(.type == "ioctl")] | all(.vm == $q and .vm_source == "qemu")' "$tr"
}

@test "iommufd: QEMU >= 9 with -object iommufd: the cdev path, every call named, counts equal strace -y's" {
	grep -E '^QEMU emulator version (9|[1-9][0-9])\.' "$D/qemu-version.txt"
	qemu_compare qemu-iommufd
	tr=$D/trace-qemu-iommufd.jsonl
	# the iommufd backend's path: the device's cdev bound to /dev/iommu, an
	# IOAS, guest RAM mapped into it; no container, no group
	for c in VFIO_DEVICE_BIND_IOMMUFD VFIO_DEVICE_ATTACH_IOMMUFD_PT IOMMU_IOAS_ALLOC IOMMU_IOAS_MAP \
		VFIO_DEVICE_GET_INFO VFIO_DEVICE_GET_REGION_INFO; do
		jq -e -s --arg c "$c" 'any(.[]; .type == "ioctl" and .name == $c and .ret >= 0)' "$tr" ||
			{ echo "no successful $c"; false; }
	done
	jq -e -s '[.[] | select(.type == "ioctl") | .fd_kind] | unique == ["device", "iommufd"]' "$tr"
	grep -q '/dev/vfio/devices/vfio' "$D/strace-qemu-iommufd.txt"
}

@test "iommufd: QEMU's VM, by its -name guest=, in top and audit too" {
	[ "$(cat "$D/top-qemu-iommufd.rc")" -eq 0 ] || { cat "$D/top-qemu-iommufd.err"; false; }
	[ "$(cat "$D/audit-qemu-iommufd.rc")" -eq 0 ] || { cat "$D/audit-qemu-iommufd.err"; false; }
	pid=$(jq -r 'select(.type == "ioctl") | .pid' "$D/trace-qemu-iommufd.jsonl" | sort -u)
	n=$(jq -s 'map(select(.type == "ioctl")) | length' "$D/trace-qemu-iommufd.jsonl")
	# top: QEMU's process, named, with every call the trace saw
	tail -n 1 "$D/top-qemu-iommufd.jsonl" | jq -e --argjson p "$pid" --argjson n "$n" \
		'[.processes[] | select(.pid == $p)] | length == 1 and .[0].vm == "qemu-iommufd"
		 and .[0].vm_source == "qemu" and .[0].calls == $n'
	# audit: whatever it logged of QEMU's calls carries the name
	jq -e -s --argjson p "$pid" '[.[] | select(.pid == $p)] | all(.vm == "qemu-iommufd")' \
		"$D/audit-qemu-iommufd.jsonl"
}

@test "iommufd: QEMU >= 9 without iommufd=: group and the compat container, every call named, counts equal strace -y's" {
	qemu_compare qemu-legacy
	tr=$D/trace-qemu-legacy.jsonl
	for c in VFIO_GET_API_VERSION VFIO_CHECK_EXTENSION VFIO_GROUP_GET_STATUS VFIO_GROUP_SET_CONTAINER \
		VFIO_SET_IOMMU VFIO_GROUP_GET_DEVICE_FD VFIO_IOMMU_MAP_DMA VFIO_DEVICE_GET_INFO; do
		jq -e -s --arg c "$c" 'any(.[]; .type == "ioctl" and .name == $c and .ret >= 0)' "$tr" ||
			{ echo "no successful $c"; false; }
	done
	jq -e -s '[.[] | select(.type == "ioctl") | .fd_kind] | unique == ["compat-container", "device", "group"]' "$tr"
}

#!/usr/bin/env bats
# 5.10 only: the 5.x IOMMU UAPI structs sent for real. tests/guest/uapi/run.sh
# loaded isc_uapi.ko (a test module: nothing in 5.10 calls these functions)
# and ran uapi_client under `iommuscope trace --json --mode full` and
# `iommuscope audit --json`. Every call the client made must be one iommu
# record with exactly the argsz and version it sent, classified as
# user/classify/classify.c does, and every bad one must be in the audit log.

load helpers

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}/uapi
	K=${ISC_GUEST_KERNEL:?set ISC_GUEST_KERNEL}
	[ "$K" = 5.10 ] || skip "the IOMMU UAPI functions are 5.10-5.17 only"
	[ -d "$D" ] || { echo "no uapi results (was isc_uapi.ko built?)"; false; }
}

# the client's calls, one JSON object each, with the hook that receives them
calls() {
	jq -s 'map(select(.call)) | map(. + {hook: {cache_invalidate: "iommu_uapi_cache_invalidate",
		bind_gpasid: "iommu_uapi_sva_bind_gpasid", page_response: "iommu_page_response"}[.call]})' \
		"$D/client.jsonl"
}

# the trace's records of those hooks from the client's process, in order
records() {
	pid=$(jq -s 'map(select(.pid))[0].pid' "$D/client.jsonl")
	jq -s --argjson pid "$pid" 'map(select(.type == "iommu" and .pid == $pid and
		(.hook | test("^iommu_(uapi_|page_response)"))))' "$D/trace.jsonl"
}

@test "$ISC_GUEST_KERNEL: isc_uapi.ko loads, the client runs under trace and audit, the module unloads" {
	[ "$(cat "$D/insmod.rc")" -eq 0 ] || { cat "$D/insmod.log"; false; }
	[ "$(cat "$D/client.rc")" -eq 0 ] || { cat "$D/client.err"; false; }
	[ "$(cat "$D/trace.rc")" -eq 0 ] || { cat "$D/trace.err"; false; }
	[ "$(cat "$D/audit.rc")" -eq 0 ] || { cat "$D/audit.err"; false; }
	[ "$(cat "$D/rmmod.rc")" -eq 0 ] || { cat "$D/insmod.log"; false; }
	# 5 cache invalidations, 5 binds, 2 page responses
	[ "$(calls | jq length)" -eq 12 ]
}

@test "$ISC_GUEST_KERNEL: one iommu record per call, with exactly the argsz and version sent" {
	c=$(calls)
	r=$(records)
	[ "$(jq length <<<"$r")" -eq "$(jq length <<<"$c")" ] || { echo "$r"; false; }
	jq -e -n --argjson c "$c" --argjson r "$r" '
		[range($c | length)] | all(. as $i | $r[$i].hook == $c[$i].hook and
			$r[$i].uapi_argsz == $c[$i].argsz and $r[$i].uapi_version == $c[$i].version and
			$r[$i].device == "'"$(jq -r .bdf "$ISC_GUEST_DIR/env.json")"'")'
	# fexit on the uapi functions: the kernel's answer, as the client saw it
	jq -e -n --argjson c "$c" --argjson r "$r" '
		[range($c | length)] | map(select($c[.].call != "page_response"))
		| all(. as $i | $r[$i].ret == $c[$i].ret)'
	# the core refuses a bad version and a truncated argsz itself: EINVAL
	jq -e 'map(select(.case == "bad-version" or .case == "truncated")) | length == 5 and all(.ret == -22)' <<<"$c"
	jq -e 'map(select(.hook != "iommu_page_response")) | all(.op == "invalidate" or .op == "bind")' <<<"$r"
	jq -e 'map(select(.hook == "iommu_page_response")) | length == 2 and all(.op == "page-response")' <<<"$r"
}

@test "$ISC_GUEST_KERNEL: each record classified as the client meant it (ok, bad-version, truncated, older, newer)" {
	c=$(calls)
	r=$(records)
	jq -e -n --argjson c "$c" --argjson r "$r" '
		[range($c | length)] | all(. as $i | $r[$i].class == $c[$i].case and
			($r[$i].classes == (if $c[$i].case == "ok" then [] else [$c[$i].case] end)))'
	# the layouts 5.10 expects: 56 and 72 bytes
	jq -e 'map(select(.hook == "iommu_uapi_cache_invalidate")) | all(.kernel_size == 56)' <<<"$r"
	jq -e 'map(select(.hook == "iommu_uapi_sva_bind_gpasid")) | all(.kernel_size == 72)' <<<"$r"
	jq -e 'map(select(.class == "bad-version")) | length == 3 and all(.explain | test("IOMMU_UAPI_VERSION"))' <<<"$r"
}

@test "$ISC_GUEST_KERNEL: audit records every bad call once, under its hook, and none of the good ones" {
	c=$(calls)
	a=$(jq -s 'map(select(.type == "audit" and .event == "new" and
		(.ioctl // "" | test("^iommu_(uapi_|page_response)"))))' "$D/audit.jsonl")
	bad=$(jq 'map(select(.case != "ok"))' <<<"$c")
	[ "$(jq length <<<"$a")" -eq "$(jq length <<<"$bad")" ] || { echo "$a"; false; }
	jq -e -n --argjson b "$bad" --argjson a "$a" '
		$b | all(. as $x | [$a[] | select(.ioctl == $x.hook and .argsz == $x.argsz and
			.class == $x.case and .comm == "uapi_client")] | length == 1)'
	jq -e -n --argjson b "$bad" --argjson a "$a" '
		$b | map(select(.call != "page_response")) | all(. as $x |
			any($a[]; .ioctl == $x.hook and .argsz == $x.argsz and .ret == $x.ret))'
	# the page response is an fentry: no return value, so none is claimed
	jq -e 'map(select(.ioctl == "iommu_page_response")) | length == 1 and all(.ret == null and .errno == null)' <<<"$a"
}

@test "$ISC_GUEST_KERNEL: probe uses all three UAPI hooks, from vmlinux" {
	for t in iommu_uapi_cache_invalidate iommu_uapi_sva_bind_gpasid iommu_page_response; do
		jq -e --arg t "$t" '.hooks[] | select(.target == $t) | .used and .module == "vmlinux"' \
			"$ISC_GUEST_DIR/probe.json"
	done
	grep -q "^  response   iommu_page_response  *ok (vmlinux)" "$ISC_GUEST_DIR/probe.txt"
}

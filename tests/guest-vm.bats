#!/usr/bin/env bats
# Who a caller belongs to, on real VFIO (tests/guest/vm/run.sh): the
# workload ran once inside a cgroup named as libvirt names a VM's scope
# (machine-qemu\x2d7\x2dguestvm.scope/libvirt/emulator), once outside,
# under trace, trace -V guestvm, audit and top at the same time.

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}
	K=${ISC_GUEST_KERNEL:?set ISC_GUEST_KERNEL}
	[ -f "$D/workload-vm.rc" ] || { cat "$D/vm-run.log" 2>/dev/null; false; }
}

# ioctl records of vfio_workload in FILE, grouped: [in the VM, the rest]
vm_split() {
	jq -s -c 'map(select(.type == "ioctl" and .comm == "vfio_workload"))
		| [map(select(.vm == "guestvm")), map(select(.vm != "guestvm"))]' "$1"
}

# the workload's ioctls in a manifest
calls_in() {
	jq -s 'map(select(has("seq"))) | length' "$1"
}

@test "$ISC_GUEST_KERNEL: vm: every session and both workload runs ended cleanly" {
	for f in workload-vm workload-novm vm-trace vm-tracev vm-audit vm-top vm-rmdir; do
		echo "$f: $(cat "$D/$f.rc")"
		[ "$(cat "$D/$f.rc")" -eq 0 ]
	done
}

@test "$ISC_GUEST_KERNEL: vm: trace names the VM on every call made in its scope, and on nothing else" {
	n=$(calls_in "$D/manifest-vm.jsonl")
	[ "$n" -gt 20 ]
	split=$(vm_split "$D/vm-trace.jsonl")
	jq -e --argjson n "$n" '.[0] | length == $n' <<<"$split"
	jq -e --argjson n "$(calls_in "$D/manifest-novm.jsonl")" '.[1] | length == $n' <<<"$split"
	# one process, its records all alike, from the scope's sub-cgroup
	jq -e --argjson id "$(cat "$D/vm-cgroup-id")" '.[0] | all(.vm_source == "libvirt" and
		(has("vm_pod") | not) and .cgroup_id == $id) and (map(.pid) | unique | length == 1)' \
		<<<"$split"
	jq -e '.[1] | all(.vm_source != "libvirt") and (map(.pid) | unique | length == 1)' <<<"$split"
}

@test "$ISC_GUEST_KERNEL: vm: the IOMMU core's records of the VM's device (the fault too) name it" {
	vmpid=$(vm_split "$D/vm-trace.jsonl" | jq '.[0][0].pid')
	# the bind in SET_IOMMU and the DMA fault (interrupt context: the owner's)
	jq -s -e --argjson p "$vmpid" 'map(select(.type == "iommu" and (.pid == $p or .owner_pid == $p)))
		| length > 0 and all(.vm == "guestvm")' "$D/vm-trace.jsonl"
	jq -s -e --argjson p "$vmpid" 'map(select(.type == "iommu" and .op == "fault" and
		.owner_pid == $p)) | length == 1 and .[0].vm == "guestvm"' \
		"$D/vm-trace.jsonl"
}

@test "$ISC_GUEST_KERNEL: vm: trace -V guestvm has exactly the VM's records" {
	# each session has its own programs: times and latencies differ
	key='[.type, .pid, .tid, .cmd, .name, .op, .ret, .argsz, .flags, .vm, .vm_source] | tostring'
	all=$(jq -s -c "map(select(.vm == \"guestvm\") | $key) | sort" "$D/vm-trace.jsonl")
	v=$(jq -s -c "map(select(.type != \"summary\" and .type != \"iommu_map\") | $key) | sort" "$D/vm-tracev.jsonl")
	echo "$all" | head -c 600
	[ "$(jq length <<<"$v")" -gt 20 ]
	[ "$all" = "$v" ]
	# the map/unmap totals of -V: the VM's process only
	vmpid=$(vm_split "$D/vm-trace.jsonl" | jq '.[0][0].pid')
	jq -s -e --argjson p "$vmpid" 'map(select(.type == "iommu_map")) | length > 0 and
		all(.pid == $p)' "$D/vm-tracev.jsonl"
}

@test "$ISC_GUEST_KERNEL: vm: top names the VM's process; the other process is not it" {
	last=$(tail -n 1 "$D/vm-top.jsonl")
	jq -e --argjson n "$(calls_in "$D/manifest-vm.jsonl")" '[.processes[] |
		select(.comm == "vfio_workload" and .vm == "guestvm")] | length == 1 and
		.[0].vm_source == "libvirt" and .[0].calls == $n and .[0].faults == 1' <<<"$last"
	jq -e '[.processes[] | select(.comm == "vfio_workload" and .vm != "guestvm")] | length == 1' \
		<<<"$last"
}

@test "$ISC_GUEST_KERNEL: vm: audit keeps the VM's mismatches apart, each naming it" {
	vm=$(jq -s -c 'map(select(.event == "new" and .vm == "guestvm")
		| "\(.ioctl) \(.class) \(.argsz) \(.flags)") | sort' "$D/vm-audit.jsonl")
	other=$(jq -s -c 'map(select(.event == "new" and .vm != "guestvm")
		| "\(.ioctl) \(.class) \(.argsz) \(.flags)") | sort' "$D/vm-audit.jsonl")
	echo "vm: $vm"
	echo "other: $other"
	[ "$(jq length <<<"$vm")" -ge 7 ]
	# the same workload: the same mismatches, once per VM
	[ "$vm" = "$other" ]
	jq -s -e 'map(select(.vm == "guestvm")) | all(.vm_source == "libvirt" and
		(.cgroup | endswith("/libvirt/emulator")))' "$D/vm-audit.jsonl"
}

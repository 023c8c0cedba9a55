#!/usr/bin/env bats
# A guest booted without bpf in lsm= (tests/guest/nolsm/run.sh ran there).

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}
	K=${ISC_GUEST_KERNEL:?set ISC_GUEST_KERNEL}
	[ -f "$D/status" ] || { tail -n 30 "$D/console.log"; false; }
}

@test "$ISC_GUEST_KERNEL without BPF LSM: the kernel really has it off" {
	! grep -qw bpf "$D/lsm.txt"
	jq -e '.bpf_lsm == false' "$D/probe.json"
}

@test "$ISC_GUEST_KERNEL without BPF LSM: enforce refuses in one line with the fix, leaves nothing behind" {
	[ "$(cat "$D/enforce.rc")" -eq 1 ]
	[ "$(wc -l <"$D/enforce.err")" -eq 1 ]
	grep -q "^iommuscope: error: enforce: BPF LSM is not active (active LSMs: [a-z,]*): add bpf to the lsm= boot parameter, e.g. lsm=[a-z,]*,bpf" "$D/enforce.err"
	! grep -q iommuscope "$D/bpffs.txt"
}

@test "$ISC_GUEST_KERNEL without BPF LSM: trace keeps working, and nothing is refused" {
	[ "$(cat "$D/trace.rc")" -eq 0 ] || { cat "$D/trace.err"; false; }
	grep -q 'einval=2' "$D/client.txt"
	[ "$(jq -s '[.[] | select(.type == "ioctl" and .comm == "enforce_client"
		and .name == "VFIO_IOMMU_MAP_DMA" and .ret == -22)] | length' "$D/trace.jsonl")" -eq 2 ]
}

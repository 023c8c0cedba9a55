#!/usr/bin/env bats
# The enforce policy on the iommufd kernel (tests/guest/enforce/iommufd.sh
# ran there): iommufd's size rules are the kernel's (a zero tail passes, a
# non-zero tail is E2BIG, too short is EINVAL) and the policy leaves them
# alone; unknown flags are refused; the compat container accepts fewer
# MAP_DMA flags than type1 (no VADDR), and so does the default policy.

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}/enforce-iommufd
	[ -d "$D" ] || { echo "no results"; false; }
}

ret() {
	sed -n 's/^ret=//p' "$D/$1.txt"
}

kv() {
	tr ' ' '\n' <"$D/$1.txt" | sed -n "s/^$2=//p"
}

@test "iommufd: without enforcement, the kernel's own answers" {
	[ "$(ret base-map)" = 0 ]
	[ "$(ret base-badflag)" = EOPNOTSUPP ]
	[ "$(ret base-zerotail)" = 0 ]
	[ "$(ret base-tail)" = E2BIG ]
	[ "$(ret base-short)" = EINVAL ]
	[ "$(kv base-compat-rw ok)" = 2 ]
	[ "$(kv base-compat-vaddr einval)" = 2 ]
}

@test "iommufd: the default policy refuses unknown flags and leaves iommufd's size rules to the kernel" {
	[ "$(cat "$D/default.rc")" -eq 0 ] || cat "$D/default.err"
	[ "$(ret default-map)" = 0 ]
	[ "$(ret default-badflag)" = EPERM ]
	[ "$(ret default-zerotail)" = 0 ]
	[ "$(ret default-tail)" = E2BIG ]
	[ "$(ret default-short)" = EINVAL ]
	jq -s -e 'map(select(.type == "deny" and .ioctl == "IOMMU_IOAS_MAP")) | length == 1
		and .[0].fd_kind == "iommufd" and .[0].bad_flags == 128 and .[0].errno == "EPERM"' \
		"$D/default.jsonl"
}

@test "iommufd: the compat container gets the compat flags: VADDR is refused there" {
	[ "$(kv default-compat-rw ok)" = 2 ]
	[ "$(kv default-compat-vaddr eperm)" = 2 ]
	jq -s -e 'map(select(.type == "deny" and .ioctl == "VFIO_IOMMU_MAP_DMA")) | length == 2
		and all(.fd_kind == "compat-container" and .bad_flags == 4 and .reason == "unknown-flags")' \
		"$D/default.jsonl"
}

@test "iommufd: 'set errno kernel' answers as the kernel would: EOPNOTSUPP for iommufd, EINVAL for compat" {
	[ "$(ret kernel-badflag)" = EOPNOTSUPP ]
	[ "$(kv kernel-compat-vaddr einval)" = 2 ]
	jq -s -e '[.[] | select(.type == "deny") | .errno] | sort == ["EINVAL", "EINVAL", "EOPNOTSUPP"]' \
		"$D/kernel.jsonl"
}

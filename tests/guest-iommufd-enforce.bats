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
	[ "$(ret base-compat-ioas)" = 0 ]
	[ "$(ret base-compat-ioas-bad)" = EOPNOTSUPP ]
	[ "$(ret irqs-base-bad)" = EINVAL ]
}

@test "iommufd: the default policy refuses unknown flags and leaves iommufd's size rules to the kernel" {
	[ "$(cat "$D/default.rc")" -eq 0 ] || { cat "$D/default.err"; false; }
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
	[ "$(ret kernel-compat-ioas-bad)" = EOPNOTSUPP ]
	jq -s -e '[.[] | select(.type == "deny") | .errno] | sort == ["EINVAL", "EINVAL", "EOPNOTSUPP", "EOPNOTSUPP"]' \
		"$D/kernel.jsonl"
}

@test "iommufd: the compat node judges iommufd's own ioctls: unknown IOAS_ALLOC flags and IOMMU_* rules hold on /dev/vfio/vfio" {
	[ "$(ret default-compat-ioas)" = 0 ]
	[ "$(ret default-compat-ioas-bad)" = EPERM ]
	jq -s -e 'map(select(.type == "deny" and .ioctl == "IOMMU_IOAS_ALLOC")) | length == 1
		and .[0].fd_kind == "compat-container" and .[0].bad_flags == 1
		and .[0].reason == "unknown-flags"' "$D/default.jsonl"
	[ "$(cat "$D/deny-ioas.rc")" -eq 0 ] || { cat "$D/deny-ioas.err"; false; }
	[ "$(ret deny-ioas-compat)" = EPERM ]
	jq -s -e 'map(select(.type == "deny")) | length == 1 and .[0].reason == "deny-rule"
		and .[0].fd_kind == "compat-container"' "$D/deny-ioas.jsonl"
}

@test "iommufd: with kptr_restrict=2 a device fd from a group is still judged (its anonymous inode's name)" {
	[ "$(cat "$D/kptr.rc")" -eq 0 ] || { cat "$D/kptr.err"; false; }
	grep -Eq "^iommuscope: recognising device: .*anon \[vfio-device\]" "$D/kptr.err"
	[ "$(ret kptr-irqs-bad)" = EPERM ]
	[ "$(ret kptr-irqs-good)" = "$(ret irqs-base-good)" ]
	[ "$(ret kptr-irqs-good)" != EPERM ]
	jq -s -e 'map(select(.type == "deny")) | length == 1 and .[0].ioctl == "VFIO_DEVICE_SET_IRQS"
		and .[0].fd_kind == "device" and .[0].bad_flags == 64' "$D/kptr.jsonl"
}

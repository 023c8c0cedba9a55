#!/usr/bin/env bats
# Policy files and the enforce command on this host. The host refuses BPF
# LSM program loads (EPERM), so enforcement itself is tested in the guest
# (tests/guest-enforce.bats); here: validation, every malformed file, usage
# errors, and that a refused load leaves nothing behind.

load helpers

setup() {
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
}

@test "policy check: every malformed policy gets one line with file:line:col, exit 1" {
	n=0
	while IFS=$'\t' read -r file msg; do
		f=tests/policies/bad/$file
		run "$BIN" policy check "$f"
		[ "$status" -eq 1 ] || { echo "$file: exit $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$file: ${lines[*]}"; false; }
		[ "$output" = "iommuscope: error: $f:$msg" ] ||
			{ echo "$file: got '$output', want '$f:$msg'"; false; }
		n=$((n + 1))
	done <tests/policies/bad.expect
	# the table covers the whole corpus
	[ "$n" -eq "$(ls tests/policies/bad/*.policy | wc -l)" ]
	[ "$n" -ge 25 ]
}

@test "policy check: a good policy validates, nothing loaded" {
	run "$BIN" policy check tests/policies/good/host.policy
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^tests/policies/good/host.policy:\ ok:\ 4\ rules,\ [0-9]+\ policy\ entries\ for\ Linux ]]
	run "$BIN" policy check /nonexistent.policy
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: /nonexistent.policy: No such file or directory" ]
	head -c 2000000 /dev/zero | tr '\0' '#' >"$T/big.policy"
	run "$BIN" policy check "$T/big.policy"
	[ "$status" -eq 1 ]
	[[ "$output" == *"larger than 1 MiB"* ]]
}

@test "policy and enforce: usage errors exit 2 with one line" {
	for args in "policy" "policy frob" "policy check" "policy check a b" "policy reload a b" \
		"policy learn" "policy learn -d 1" "enforce extra" "enforce --stop --pin" \
		"enforce --duration x" "enforce --bogus"; do
		run "$BIN" $args
		[ "$status" -eq 2 ] || { echo "'$args': exit $status: $output"; false; }
	done
	run "$BIN" enforce --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"fail-open"* ]]
}

@test "enforce: a malformed policy is refused before anything is loaded" {
	run "$BIN" enforce --policy tests/policies/bad/unknown-flag.policy
	[ "$status" -eq 1 ]
	[[ "$output" == "iommuscope: error: "*"/tests/policies/bad/unknown-flag.policy:1:37: unknown flag 'BOGUS'"* ]]
	[ ! -e /sys/fs/bpf/iommuscope ]
}

@test "enforce: not root is refused with one line" {
	command -v setpriv >/dev/null || skip "setpriv missing"
	run setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" enforce
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be run as root"* ]]
}

@test "enforce: this kernel refuses LSM programs: one line, exit 1, no pins, no state left" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	grep -qw bpf /sys/kernel/security/lsm 2>/dev/null || skip "BPF LSM inactive here"
	run "$BIN" enforce -d 1
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"refuses to load BPF LSM programs"* ]]
	[ ! -e /sys/fs/bpf/iommuscope ]
	[ ! -e /run/iommuscope/enforce.state ]
}

@test "enforce --stop and policy reload with nothing running" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	run "$BIN" enforce --stop
	[ "$status" -eq 0 ]
	[ "$output" = "iommuscope: no pinned enforcement" ]
	run "$BIN" policy reload tests/policies/good/host.policy
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: no enforcement is running (start it with 'iommuscope enforce')" ]
}

@test "policy learn: writes a policy allowing exactly the calls seen" {
	[ "$(id -u)" -eq 0 ] || skip "live tests load BPF programs: need root"
	start_session learning learn policy learn -d 20 -o "$T/learned.policy" --mode tracepoint \
		--classify /dev/null=container --classify /dev/zero=group \
		--classify /dev/full=device --classify /dev/urandom=iommufd || false
	"$CLIENT" >/dev/null
	stop_session "$SESSION_PID" INT
	[ "$session_status" -eq 0 ]
	grep -q "wrote $T/learned.policy" "$T/learn.err"
	grep -q '^set default deny$' "$T/learned.policy"
	grep -q '^allow VFIO_IOMMU_MAP_DMA on container flags READ|WRITE size 32$' "$T/learned.policy"
	# and it is a valid policy
	run "$BIN" policy check "$T/learned.policy"
	[ "$status" -eq 0 ]
}

@test "enforce: bpffs not mounted is mounted before anything is pinned" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	findmnt -t bpf /sys/fs/bpf >/dev/null || skip "bpffs not mounted here to begin with"
	# maps.debug and progs.debug are the kernel's own (bpf_preload)
	[ -z "$(ls -A /sys/fs/bpf | grep -vx -e maps.debug -e progs.debug)" ] ||
		skip "something else has pins in /sys/fs/bpf"
	umount /sys/fs/bpf
	run "$BIN" enforce --pin -d 1
	findmnt -t bpf /sys/fs/bpf >/dev/null || { mount -t bpf bpf /sys/fs/bpf; false; }
	# (this host then refuses the LSM program itself: nothing pinned)
	[ "$status" -eq 1 ]
	[[ "$output" == *"refuses to load BPF LSM programs"* ]]
	[ ! -e /sys/fs/bpf/iommuscope ]
}

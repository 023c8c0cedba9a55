#!/usr/bin/env bats
# What the user gets on a machine that lacks something, or when stopped at
# a bad moment. Each case of the "Bad input" table (docs/testing.md) that the host
# can produce is here (the rest are in cli, profile, live, audit).

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (mount namespaces, BPF)"
	BIN=$(realpath "${ISC_BIN:-.output/iommuscope}")
	T=$BATS_TEST_TMPDIR
}

@test "no BTF: one clear error, exit 1, nothing loaded" {
	run unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$BIN' trace -d 1"
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: this kernel has no BTF (/sys/kernel/btf/vmlinux): iommuscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y" ]
	# check needs no BPF: it still works from the catalog
	run unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$BIN' check tests/profiles/workload-6.1.json --against tests/profiles/probe-6.12.json"
	[ "$status" -eq 0 ]
}

@test "tracefs and securityfs not mounted: mounted as needed, the trace works" {
	run unshare -m sh -c "
		umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null
		umount /sys/kernel/security 2>/dev/null
		! mountpoint -q /sys/kernel/tracing || exit 7
		'$BIN' -v trace --json -d 1 2>&1 >/dev/null | grep -E 'mounted|tracing'
		mountpoint -q /sys/kernel/tracing && mountpoint -q /sys/kernel/security"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mounted tracefs at /sys/kernel/tracing"* ]]
	[[ "$output" == *"mounted securityfs at /sys/kernel/security"* ]]
	[[ "$output" == *"iommuscope: tracing VFIO/iommufd ioctls in tracepoint mode"* ]]
}

@test "SIGINT during start-up ends the trace cleanly, with its summary" {
	"$BIN" trace --json >"$T/out" 2>"$T/err" &
	pid=$!
	sleep 0.3	# still probing
	kill -INT "$pid"
	start=$(date +%s)
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 0 ]
	[ $(($(date +%s) - start)) -lt 20 ]
	tail -n 1 "$T/out" | jq -e '.type == "summary"'
}

@test "kill -9: nothing stays attached (no pins, programs freed with the process)" {
	command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ] || skip "bpftool missing"
	bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
	"$BIN" trace >/dev/null 2>"$T/err" &
	pid=$!
	for _ in $(seq 300); do grep -q '^iommuscope: tracing' "$T/err" && break; sleep 0.1; done
	"$bpftool" prog show | grep -q 'tp_enter_ioctl'	# attached while it runs
	kill -KILL "$pid"
	wait "$pid" || true
	for _ in $(seq 50); do
		"$bpftool" prog show | grep -q 'tp_enter_ioctl' || break
		sleep 0.1
	done
	! "$bpftool" prog show | grep -q 'tp_enter_ioctl'
	! ls /sys/fs/bpf 2>/dev/null | grep -q iommuscope
}

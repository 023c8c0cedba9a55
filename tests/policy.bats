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
		"policy learn" "policy learn -d 1" "policy learn -d 1 -o /tmp/x" "enforce extra" "enforce --stop --pin" \
		"enforce --duration x" "enforce --bogus" "enforce --rotate 101" "enforce --max-size 1x"; do
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

@test "policy learn: only from the workload named, never from failed calls" {
	[ "$(id -u)" -eq 0 ] || skip "live tests load BPF programs: need root"
	# the host client's calls all fail (ENOTTY: these are not VFIO
	# drivers): nothing of them is learnt (the guest learns real calls)
	start_session learning learn policy learn -d 20 -o "$T/learned.policy" --all \
		--mode tracepoint "${CLASSIFY[@]}" || false
	"$CLIENT" >/dev/null
	stop_session "$SESSION_PID" INT
	[ "$session_status" -eq 0 ] || { cat "$T/learn.err"; false; }
	grep -q "wrote $T/learned.policy: 0 rules from [0-9]* calls of nobody; [1-9][0-9]* failed calls and 0 calls outside the scope not learnt" "$T/learn.err" ||
		{ cat "$T/learn.err"; false; }
	grep -q '^set default deny$' "$T/learned.policy"
	! grep -q '^allow' "$T/learned.policy"
	grep -q '^# from --all (every process); failed calls not learnt ([1-9]' "$T/learned.policy"
	run "$BIN" policy check "$T/learned.policy"
	[ "$status" -eq 0 ]
	# --exe: the kernel passes only that executable's calls (another copy
	# of the same program is another executable)
	cp "$CLIENT" "$T/inscope"
	cp "$CLIENT" "$T/other"
	start_session learning learn2 policy learn -d 20 -o "$T/learned2.policy" \
		--exe "$T/inscope" --mode tracepoint "${CLASSIFY[@]}" || false
	"$T/other" >/dev/null
	m=$("$T/inscope" | wc -l)
	"$T/other" >/dev/null
	stop_session "$SESSION_PID" INT
	[ "$session_status" -eq 0 ]
	grep -q "0 rules from $m calls of nobody; [1-9][0-9]* failed calls and 0 calls outside the scope not learnt" "$T/learn2.err" ||
		{ echo "manifest $m"; cat "$T/learn2.err"; false; }
	grep -q "^# from --exe $T/inscope;" "$T/learned2.policy"
}

@test "policy learn: the workload must be named; a bad scope is a usage error" {
	for args in "-d 1 -o $T/p" "-d 1 -o $T/p --all -p 1" "-d 1 -o $T/p --exe /nonexistent" \
		"-d 1 -o $T/p --exe /tmp" "-d 1 -o $T/p --cgroup /tmp" "-o $T/p --all"; do
		run "$BIN" policy learn $args
		[ "$status" -eq 2 ] || { echo "'$args': exit $status: $output"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "'$args': $output"; false; }
	done
	run "$BIN" policy learn -d 1 -o "$T/p"
	[ "$output" = "iommuscope: error: policy learn: name the workload to learn from: -p PID, --exe PATH, --cgroup PATH or -c COMM (--all: every process)" ]
	[ ! -e "$T/p" ]
	[ "$(id -u)" -eq 0 ] || return 0
	run "$BIN" policy learn -d 1 -o "$T/p" -p 4194303
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: policy learn: no process 4194303" ]
}

@test "enforce: a pin directory another user made (or a symlink) is refused, nothing in it touched" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	findmnt -t bpf /sys/fs/bpf >/dev/null || skip "bpffs not mounted"
	[ ! -e /sys/fs/bpf/iommuscope ] || skip "/sys/fs/bpf/iommuscope exists here"
	# a symlink to a directory of root's: --stop must not empty it
	mkdir "$T/victim"
	echo keep >"$T/victim/file_ioctl"
	echo keep >"$T/victim/important"
	ln -s "$T/victim" /sys/fs/bpf/iommuscope
	run "$BIN" enforce --stop
	rm -f /sys/fs/bpf/iommuscope
	[ "$status" -eq 1 ]
	[[ "$output" == *"/sys/fs/bpf/iommuscope is not iommuscope's: a symlink owned by uid 0"* ]] ||
		{ echo "$output"; false; }
	[ -f "$T/victim/important" ]
	[ -f "$T/victim/file_ioctl" ]
	# a directory of another user's, as on a bpffs mounted 1777
	mkdir -m 0777 /sys/fs/bpf/iommuscope
	chown 65534 /sys/fs/bpf/iommuscope
	echo x >/sys/fs/bpf/iommuscope/planted 2>/dev/null || true
	run "$BIN" enforce --pin -d 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"/sys/fs/bpf/iommuscope is not iommuscope's: a directory owned by uid 65534, mode 0777"* ]] ||
		{ rm -rf /sys/fs/bpf/iommuscope; echo "$output"; false; }
	run "$BIN" enforce --stop
	[ "$status" -eq 1 ]
	[ -d /sys/fs/bpf/iommuscope ]
	rm -rf /sys/fs/bpf/iommuscope
}

@test "enforce -o: a planted symlink is not followed, its target keeps its mode" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	echo secret >"$T/target"
	chmod 0644 "$T/target"
	ln -s "$T/target" "$T/deny.log"
	run "$BIN" enforce -o "$T/deny.log" -d 1
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: cannot open deny log $T/deny.log: a symbolic link (not followed)" ] ||
		{ echo "$output"; false; }
	[ "$(stat -c %a "$T/target")" = 644 ]
	[ "$(cat "$T/target")" = secret ]
	# a hard link to somebody's file is refused too
	ln "$T/target" "$T/hard.log"
	run "$BIN" enforce -o "$T/hard.log" -d 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open deny log $T/hard.log: it has other hard links"* ]]
	[ "$(stat -c %a "$T/target")" = 644 ]
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
	# root's alone (without options bpffs would be 1777: anyone could
	# create the pin directory first)
	mode=$(stat -c %a /sys/fs/bpf)
	[ "$mode" = 1700 ] || { echo "bpffs mounted with mode $mode"; false; }
	# (this host then refuses the LSM program itself: nothing pinned)
	[ "$status" -eq 1 ]
	[[ "$output" == *"refuses to load BPF LSM programs"* ]]
	[ ! -e /sys/fs/bpf/iommuscope ]
}

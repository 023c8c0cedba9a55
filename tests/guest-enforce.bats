#!/usr/bin/env bats
# Enforcement in the guest (tests/guest/enforce/run.sh ran there): a real
# type1 container with the edu device's group, calls from enforce_client
# (64- and 32-bit), MAP_DMA flags GOOD = READ|WRITE and BAD = READ|WRITE|bit 5.

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}/enforce
	K=${ISC_GUEST_KERNEL:?set ISC_GUEST_KERNEL}
	[ -d "$D" ] || { echo "no enforce results"; false; }
}

# kv FILE KEY: the value of KEY=... in the client's one-line output
kv() {
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"
}

# counts FILE OK EPERM EINVAL: the client's counts are exactly these
counts() {
	[ "$(kv "$1" ok)" = "$2" ] && [ "$(kv "$1" eperm)" = "$3" ] &&
		[ "$(kv "$1" einval)" = "$4" ] && [ "$(kv "$1" other)" = 0 ] ||
		{ echo "$1: $(cat "$1"), want ok=$2 eperm=$3 einval=$4"; false; }
}

records() {
	jq -c "select($2)" "$D/$1.jsonl"
}

@test "$ISC_GUEST_KERNEL: without enforcement the kernel itself rejects bit 5 with EINVAL" {
	counts "$D/base-good.txt" 2 0 0
	counts "$D/base-bad.txt" 0 0 2
}

@test "$ISC_GUEST_KERNEL: built-in policy: known flags pass, unknown flags get EPERM, each denial logged" {
	[ "$(cat "$D/default.rc")" -eq 0 ] || { cat "$D/default.err"; false; }
	counts "$D/default-good.txt" 5 0 0
	counts "$D/default-bad.txt" 0 5 0
	n=$(records default '.type == "deny" and (.comm | startswith("enforce_client")) and .reason == "unknown-flags"
		and .ioctl == "VFIO_IOMMU_MAP_DMA" and .fd_kind == "container" and .bad_flags == 32
		and .flags == 35 and .argsz == 32 and .errno == "EPERM" and .action == "deny"
		and .rule == "built-in (catalog)" and .uid == 0 and (.hook | startswith("lsm/file_ioctl"))' | wc -l)
	# 5 from the 64-bit client, 3 from the 32-bit one
	[ "$n" -eq 8 ] || { cat "$D/default.jsonl"; false; }
	grep -q "denied" "$D/default.err"
}

@test "$ISC_GUEST_KERNEL: a 32-bit caller is policed too (compat ioctl path)" {
	counts "$D/default-good32.txt" 3 0 0
	counts "$D/default-bad32.txt" 0 3 0
	# the hook that judged it: file_ioctl_compat where the kernel has it
	hooks=$(records default '.type == "deny" and .hook == "lsm/file_ioctl_compat"' | wc -l)
	grep -q "32-bit callers too" "$D/default.err" && [ "$hooks" -eq 3 ] ||
		{ ! grep -q "32-bit callers too" "$D/default.err" && [ "$hooks" -eq 0 ]; }
}

@test "$ISC_GUEST_KERNEL: an argument the hook cannot read is refused (fail-closed), or allowed with 'set unreadable allow'" {
	[ "$(kv "$D/default-unreadable.txt" ret)" = EPERM ] || { cat "$D/default-unreadable.txt"; false; }
	[ "$(kv "$D/default-unreadable.txt" ret)" = EPERM ]
	records default '.reason == "unreadable" and .errno == "EPERM"' | grep -q .
	[ "$(kv "$D/unreadable-allow.txt" ret)" = 0 ]
	[ "$(records unreadable '.type == "deny"' | wc -l)" -eq 0 ]
}

@test "$ISC_GUEST_KERNEL: 'set errno kernel' refuses with the kernel's own errno" {
	counts "$D/errno-bad.txt" 0 0 3
	[ "$(records errno '.type == "deny" and .errno == "EINVAL" and .action == "deny"' | wc -l)" -eq 3 ]
}

@test "$ISC_GUEST_KERNEL: audit only logs and allows" {
	counts "$D/audit-bad.txt" 0 0 3
	[ "$(records audit '.type == "deny" and .action == "audit" and .errno == null' | wc -l)" -eq 3 ]
	grep -q "3 audited" "$D/audit.err"
}

@test "$ISC_GUEST_KERNEL: rules scoped by executable, uid and cgroup" {
	counts "$D/scope-other.txt" 2 0 0
	counts "$D/scope-exe.txt" 0 2 0
	counts "$D/scope-uid.txt" 0 2 0
	counts "$D/scope-uid-other.txt" 2 0 0
	counts "$D/scope-cgroup-rw.txt" 0 2 0
	counts "$D/scope-cgroup-r.txt" 2 0 0
	# (the command name is 15 characters at most)
	records scope '.reason == "deny-rule" and .rule == "/tmp/scope.policy:1"' | grep -q '"enforce_client_"' 
	records scope '.reason == "deny-rule" and .rule == "/tmp/scope.policy:2" and .uid == 1000' | grep -q .
	records scope '.reason == "unknown-flags" and .rule == "/tmp/scope.policy:3" and .bad_flags == 2' | grep -q .
}

@test "$ISC_GUEST_KERNEL: kptr_restrict=2: a device fd from a group is judged by its anonymous inode's name (64- and 32-bit)" {
	[ "$(sed -n 's/^ret=//p' "$D/irqs-base-bad.txt")" = EINVAL ]
	[ "$(cat "$D/kptr.rc")" -eq 0 ] || { cat "$D/kptr.err"; false; }
	grep -Eq '^(recognised)? +device: .*anon \[vfio-device\]' "$D/kptr-probe.txt" || { cat "$D/kptr-probe.txt"; false; }
	grep -Eq '^iommuscope: recognising device: .*anon \[vfio-device\]' "$D/kptr.err"
	[ "$(sed -n 's/^ret=//p' "$D/kptr-irqs-bad.txt")" = EPERM ]
	[ "$(sed -n 's/^ret=//p' "$D/kptr-irqs-bad32.txt")" = EPERM ]
	# valid flags reach the kernel, which answers as without enforcement
	# (switching off an MSI vector that is not on: EINVAL)
	[ "$(sed -n 's/^ret=//p' "$D/kptr-irqs-good.txt")" = "$(sed -n 's/^ret=//p' "$D/irqs-base-good.txt")" ]
	[ "$(sed -n 's/^ret=//p' "$D/kptr-irqs-good.txt")" != EPERM ]
	counts "$D/kptr-map-bad.txt" 0 2 0
	[ "$(records kptr '.type == "deny" and .ioctl == "VFIO_DEVICE_SET_IRQS" and .fd_kind == "device"
		and .bad_flags == 64' | wc -l)" -eq 2 ]
	grep -Eq ' [1-9][0-9]* checked, 4 denied, .* 0 unclassified' "$D/kptr.err"
}

@test "$ISC_GUEST_KERNEL: a ';' ioctl on a file no classifier knows is refused (unclassified), or passes with 'set unclassified allow'" {
	[ "$(sed -n 's/^ret=//p' "$D/unclassified-deny.txt")" = EPERM ]
	records unclassified '.type == "deny" and .reason == "unclassified" and .fd_kind == "unknown"' | grep -q .
	grep -q ' 1 unclassified' "$D/unclassified.err"
	[ "$(sed -n 's/^ret=//p' "$D/unclassified-allow.txt")" = ENOTTY ]
	! grep -q '"type":"deny"' "$D/unclassified-allow.jsonl"
}

@test "$ISC_GUEST_KERNEL: a cgroup rule holds 20 levels below its directory" {
	[ "$(cat "$D/deep.rc")" -eq 0 ] || { cat "$D/deep.err"; false; }
	counts "$D/deep-leaf.txt" 0 2 0
	counts "$D/deep-top.txt" 0 2 0
	counts "$D/deep-outside.txt" 2 0 0
}

@test "$ISC_GUEST_KERNEL: an exe rule matches an overlayfs executable and follows a rename over its file" {
	[ -s "$D/ovl-mount.err" ] && { cat "$D/ovl-mount.err"; false; }
	[ "$(cat "$D/ovl.rc")" -eq 0 ] || { cat "$D/ovl.err"; false; }
	# the case that matters: stat()'s device is not the overlay's
	st=$(sed -n 's/^stat //p' "$D/ovl-devs.txt")
	mi=$(awk '$5 == "/tmp/ovl/merged" { print $3 }' "$D/ovl-devs.txt")
	[ -n "$st" ] && [ -n "$mi" ] || { cat "$D/ovl-devs.txt"; false; }
	[ "$(( (st >> 8) & 0xfff )):$(( (st & 0xff) | ((st >> 12) & 0xfff00) ))" != "$mi" ] ||
		{ echo "stat and mountinfo agree ($mi): not the overlay case"; false; }
	counts "$D/ovl-exe.txt" 0 2 0
	counts "$D/ovl-other.txt" 2 0 0
	[ "$(cat "$D/upgrade.rc")" -eq 0 ] || { cat "$D/upgrade.err"; false; }
	counts "$D/upgrade-before.txt" 0 2 0
	grep -q '^iommuscope: 1 exe rule followed a replaced file' "$D/upgrade.err"
	# the process that ran the old file throughout: refused before and after
	it=$(kv "$D/upgrade-running.txt" iterations)
	[ "$it" -gt 0 ] || { cat "$D/upgrade-running.txt"; false; }
	[ "$(kv "$D/upgrade-running.txt" good_ok)" = 0 ]
	[ "$(kv "$D/upgrade-running.txt" bad_ok)" = 0 ]
	[ "$(kv "$D/upgrade-running.txt" good_eperm)" = "$it" ]
	counts "$D/upgrade-after.txt" 0 2 0
	counts "$D/upgrade-other.txt" 2 0 0
}

@test "$ISC_GUEST_KERNEL: 'set race kill': the caller that flips a checked struct's flags is killed" {
	[ "$(cat "$D/race-kill.rc")" -eq 0 ] || { cat "$D/race-kill.err"; false; }
	[ "$(cat "$D/race-kill-client.rc")" -eq 137 ] || { cat "$D/race-kill.txt"; false; }
	records race-kill '.type == "race" and .killed == true' | grep -q .
	grep -Eq ' [1-9][0-9]* killed' "$D/race-kill.err"
	# audit-only: reported, nobody killed
	[ "$(cat "$D/race-audit-client.rc")" -eq 0 ] || { cat "$D/race-audit.txt"; false; }
	records race-audit '.type == "race" and .killed == false' | grep -q .
	grep -q ' 0 killed' "$D/race-audit.err"
}

@test "$ISC_GUEST_KERNEL: enforce started before the VFIO modules judges their files once they load" {
	M=${ISC_GUEST_DIR}/modules
	[ "$(cat "$M/late-vfio-left.txt")" -eq 0 ] || { cat "$M/steps.log"; false; }
	[ "$(cat "$M/late.rc")" -eq 0 ] || { cat "$M/late.err"; false; }
	grep -q '^iommuscope: classifiers changed: group: ' "$M/late.err"
	counts "$M/late-bad.txt" 0 2 0
	counts "$M/late-good.txt" 2 0 0
	[ "$(sed -n 's/^ret=//p' "$M/late-irqs-bad.txt")" = EPERM ]
	# judged as what they are, not refused as unclassified
	jq -s -e 'map(select(.type == "deny")) | length == 3 and all(.reason == "unknown-flags")' "$M/late.jsonl"
}

@test "$ISC_GUEST_KERNEL: 100 reloads under load: no allowed call refused, no unknown flag let through" {
	[ "$(grep -c '^0$' "$D/reload-rcs.txt")" -eq 100 ] || { cat "$D/reload-errors.txt"; false; }
	it=$(kv "$D/reload-mix.txt" iterations)
	[ "$it" -gt 0 ]
	[ "$(kv "$D/reload-mix.txt" good_ok)" = "$it" ]
	[ "$(kv "$D/reload-mix.txt" bad_eperm)" = "$it" ]
	[ "$(kv "$D/reload-mix.txt" bad_ok)" = 0 ]
	grep -q '^generation=101$' "$D/reload-state.txt"
	# the denials came from both policies
	records reload '.reason == "unknown-flags"' | jq -s -e 'map(.generation) | unique | length > 1'
}

@test "$ISC_GUEST_KERNEL: every malformed policy is rejected and the previous one stays in force" {
	[ "$(wc -l <"$D/bad-rcs.txt")" -ge 25 ]
	! grep -v ' 1$' "$D/bad-rcs.txt"
	grep -q '^generation=101$' "$D/bad-state.txt"
	counts "$D/bad-after-good.txt" 2 0 0
	counts "$D/bad-after-bad.txt" 0 2 0
	# one line each, with file:line:col
	[ "$(grep -c 'error: .*policies-bad/.*\.policy:[0-9]*:[0-9]*: ' "$D/bad-errors.txt")" -eq "$(wc -l <"$D/bad-rcs.txt")" ]
}

@test "$ISC_GUEST_KERNEL: pinned enforcement survives kill -9 of the loader, is root-only, and --stop ends it" {
	counts "$D/pin-killed-bad.txt" 0 2 0
	counts "$D/pin-killed-good.txt" 2 0 0
	head -n 1 "$D/pin-perms.txt" | grep -q '^drwx------'
	grep -q 'file_ioctl' "$D/pin-perms.txt"
	grep -q 'adopting pinned enforcement' "$D/adopt.err"
	[ "$(cat "$D/adopt.rc")" -eq 0 ]
	[ "$(cat "$D/pin-reload.rc")" -eq 0 ] && grep -q pinned "$D/pin-reload.txt"
	counts "$D/pin-reloaded-bad.txt" 0 0 2	# errno kernel, with no loader running
	[ "$(cat "$D/pin-stop.rc")" -eq 0 ]
	counts "$D/pin-stopped-bad.txt" 0 0 2
	! grep -q iommuscope "$D/pin-after-stop.txt"
}

@test "$ISC_GUEST_KERNEL: the race detector reports flags changed after the check" {
	it=$(kv "$D/race.txt" ok)
	[ -n "$it" ]
	n=$(records race '.type == "race" and .reason == "flags-changed-after-check"
		and .ioctl == "VFIO_IOMMU_MAP_DMA" and .flags != .flags_later' | wc -l)
	[ "$n" -ge 1 ] || { cat "$D/race.txt"; cat "$D/race.err"; false; }
	grep -Eq '[1-9][0-9]* races' "$D/race.err"
	# and none where nothing flips
	! grep -q '"type":"race"' "$D/default.jsonl"
}

@test "$ISC_GUEST_KERNEL: policy learn writes a policy the workload passes and bit 5 does not" {
	[ "$(cat "$D/learn.rc")" -eq 0 ] || { cat "$D/learn.err"; false; }
	grep -q '^set default deny' "$D/learned.policy"
	grep -q '^allow VFIO_IOMMU_MAP_DMA on container flags READ|WRITE size 32' "$D/learned.policy"
	[ "$(cat "$D/learned-workload.rc")" -eq 0 ] || { cat "$D/learned-workload.log"; cat "$D/learned.jsonl"; false; }
	counts "$D/learned-bad.txt" 0 2 0
}

@test "$ISC_GUEST_KERNEL: the state file and its directory are root-only" {
	grep -q '^drwx------' "$D/state-perms.txt"
	grep -q '^-rw-------' "$D/state-perms.txt"
}

@test "$ISC_GUEST_KERNEL: iommutop shows the refusals per process and the enforcement state" {
	counts "$D/top-bad.txt" 0 4 0
	[ "$(cat "$D/top.rc")" -eq 0 ] || { cat "$D/top.err"; false; }
	tail -n 1 "$D/top.jsonl" | jq -e '(.enforce | startswith("on gen 1"))
		and ([.processes[] | select(.comm == "enforce_client") | .denials] | add == 4)'
}

@test "$ISC_GUEST_KERNEL: a 32-bit caller is invisible to the syscall tracepoints, seen by full mode" {
	counts "$D/trace32-tracepoint.txt" 2 0 0
	counts "$D/trace32-full.txt" 2 0 0
	tp=$(jq -s '[.[] | select(.type == "ioctl" and .comm == "enforce_client3")] | length' \
		"$D/trace32-tracepoint.jsonl")
	[ "$tp" -eq 0 ]
	# full mode: fentry on the handlers, or on 5.10 the LSM entry (whose
	# exit is sys_exit_ioctl, which does not fire either)
	full=$(jq -s '[.[] | select(.type == "ioctl" and .comm == "enforce_client3"
		and .name == "VFIO_IOMMU_MAP_DMA")] | length' "$D/trace32-full.jsonl")
	if [ "$K" = 5.10 ]; then [ "$full" -eq 0 ]; else [ "$full" -eq 2 ]; fi
}

@test "$ISC_GUEST_KERNEL: a non-pinned enforce publishes only its counters, and SIGINT leaves nothing behind" {
	grep -q deny_counts "$D/published.txt"
	! grep -q file_ioctl "$D/published.txt"
	! grep -q iommuscope "$D/after-default.txt"
	! grep -q enforce.state "$D/after-default.txt"
}

# ---- no unprivileged way around the tools ----

@test "$ISC_GUEST_KERNEL: a 25 s flood of refusals by uid 65534: its records bounded, the deny log under its cap, root's refusal and a race kept" {
	[ "$(cat "$D/flood.rc")" -eq 0 ] || { cat "$D/flood.err"; false; }
	n=$(kv "$D/flood-user.txt" eperm)
	[ "$n" -ge 5000 ] || { echo "flood: $(cat "$D/flood-user.txt")"; false; }
	[ -f "$D/flood-overlap.txt" ]	# root's calls came inside the flood
	counts "$D/flood-root.txt" 0 1 0
	jq -e . "$D/flood-all.jsonl" >/dev/null
	user=$(jq -s 'map(select(.uid == 65534)) | length' "$D/flood-all.jsonl")
	supp=$(jq -s 'map(select(.uid == 65534) | .suppressed) | add' "$D/flood-all.jsonl")
	echo "flood: $n refused calls, $user records, $supp suppressed in them"
	# 20 a second per CPU (2 CPUs), 25 s and a window either side; and
	# every second's window opens again (a budget that never refilled
	# would stop at 40)
	[ "$user" -ge 100 ]
	[ "$user" -le 1080 ]
	[ "$supp" -gt 0 ]
	jq -s -e 'map(select(.uid == 0 and .type == "deny" and .flags == 35)) | length >= 1' \
		"$D/flood-all.jsonl" >/dev/null || { echo "no root refusal"; false; }
	jq -s -e 'map(select(.type == "race")) | length >= 1' "$D/flood-all.jsonl" >/dev/null ||
		{ echo "no race record: $(cat "$D/flood-race.txt")"; false; }
	# every refusal and race: a record in the log, or counted over the rate
	line=$(grep 'checked, ' "$D/flood.err")
	num() { echo "$line" | sed -n "s/.* \([0-9]*\) $1.*/\1/p"; }
	denied=$(num 'denied,') races=$(num 'races,') lost=$(num 'lost,')
	over=$(num 'over the log rate,') unwritten=$(num 'unwritten')
	recs=$(jq -s 'map(select(.type == "deny" or .type == "race")) | length' "$D/flood-all.jsonl")
	echo "$line"
	[ "$lost" -eq 0 ]
	[ "$unwritten" -eq 0 ]
	[ $((recs + over)) -eq $((denied + races)) ]
	# rotated at 16 KiB, at most 61 files
	files=$(ls "$D"/flood.jsonl* | wc -l)
	bytes=$(cat "$D"/flood.jsonl "$D"/flood.jsonl.* 2>/dev/null | wc -c)
	echo "deny log: $files files, $bytes bytes"
	[ "$files" -ge 2 ]
	[ "$files" -le 61 ]
	[ "$bytes" -le $((61 * 16384 + 1024)) ]
	for f in "$D"/flood.jsonl.*; do
		[ "$(stat -c %s "$f")" -le $((16384 + 1024)) ]
	done
}

@test "$ISC_GUEST_KERNEL: policy learn: a process named 'x<newline>deny *' cannot write a rule; others' calls not learnt" {
	[ "$(cat "$D/evil-learn.rc")" -eq 0 ] || { cat "$D/evil-learn.err"; false; }
	cat "$D/evil.policy"
	! grep -q '^deny' "$D/evil.policy"
	grep -q '^# seen: pid [0-9]* x\\x0adeny \* (/tmp/x\\x0adeny \*)$' "$D/evil.policy"
	grep -q '^# from --exe /tmp/x\\x0adeny \*;' "$D/evil.policy"
	grep -q '^allow VFIO_IOMMU_MAP_DMA on container flags READ|WRITE size 32$' "$D/evil.policy"
	grep -q 'calls outside the scope not learnt' "$D/evil-learn.err"
	! grep -q ' 0 calls outside the scope' "$D/evil-learn.err"
	grep -q ': ok: ' "$D/evil-check.txt"
	[ "$(cat "$D/evil-workload.rc")" -eq 0 ] || { cat "$D/evil-workload.log"; cat "$D/evil.jsonl"; false; }
}

@test "$ISC_GUEST_KERNEL: a deny log planted as a symlink is not followed" {
	[ "$(cat "$D/symlink-log.rc")" -eq 1 ]
	grep -q 'cannot open deny log /tmp/userlogs/deny.jsonl: a symbolic link (not followed)' "$D/symlink-log.txt" ||
		{ cat "$D/symlink-log.txt"; false; }
	[ "$(cat "$D/symlink-target-mode.txt")" = 644 ]
}

@test "$ISC_GUEST_KERNEL: a pin directory uid 65534 made is refused and left alone; bpffs mounted by enforce is 1700" {
	[ "$(cat "$D/pindir-bpffs-mode.txt")" = 1777 ]	# the test's own mount
	[ "$(cat "$D/pindir-enforce.rc")" -eq 1 ]
	grep -q '/sys/fs/bpf/iommuscope is not iommuscope.s: a directory owned by uid 65534, mode 0755' \
		"$D/pindir-enforce.txt" || { cat "$D/pindir-enforce.txt"; false; }
	[ "$(cat "$D/pindir-stop.rc")" -eq 1 ]
	[ -f "$D/pindir-kept.txt" ]
	[ "$(cat "$D/pindir.rc")" -eq 0 ] || { cat "$D/pindir.err"; false; }
	[ "$(cat "$D/pindir-fresh-mode.txt")" = 1700 ]
	[ "$(cat "$D/pindir-fresh-dir.txt")" = "0 700" ]
	[ "$(cat "$D/pindir-fresh-mkdir.rc")" -ne 0 ]
	[ "$(cat "$D/pindir-fresh-stop.rc")" -eq 0 ]
}

@test "$ISC_GUEST_KERNEL: a denial on the device fd names edu and its IOMMU group (64- and 32-bit)" {
	bdf=$(jq -r .bdf "$D/../env.json")
	group=$(jq -r .group "$D/../env.json")
	[ "$(records kptr '.type == "deny" and .ioctl == "VFIO_DEVICE_SET_IRQS" and .fd_kind == "device"' |
		jq -s --arg b "$bdf" --argjson g "$group" \
		'map(select(.device == $b and .iommu_group == $g)) | length')" -eq 2 ]
	# a denial on another kind of fd names none
	[ "$(records kptr '.type == "deny" and .fd_kind != "device" and has("device")' | wc -l)" -eq 0 ]
	[ "$(records kptr '.type == "deny" and .fd_kind == "container"' | wc -l)" -gt 0 ]
}

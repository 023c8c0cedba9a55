#!/usr/bin/env bats
# iommuscope audit on this host's kernel (tracepoint mode), with the same
# classified character devices as tests/live.bats: the client's deliberate
# mismatches come out classified, explained and aggregated; the log rotates,
# survives a full disk without losing records, and reaches syslog.

load helpers

CLASSIFY=(--classify /dev/null=container --classify /dev/zero=group
	  --classify /dev/full=device --classify /dev/urandom=iommufd)

setup() {
	[ "$(id -u)" -eq 0 ] || skip "audit loads BPF programs: needs root"
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
	AUDIT_PID=
}

teardown() {
	[ -z "$AUDIT_PID" ] || kill -KILL "$AUDIT_PID" 2>/dev/null || true
	if mountpoint -q "$T/small" 2>/dev/null; then umount "$T/small"; fi
	[ -z "${SYSLOG_PID:-}" ] || kill "$SYSLOG_PID" 2>/dev/null || true
	true
}

start_audit() {
	start_session auditing audit audit "$@" "${CLASSIFY[@]}" || return 1
	AUDIT_PID=$SESSION_PID
}

stop_audit() {
	stop_session "$AUDIT_PID"
	audit_status=$session_status
	AUDIT_PID=
}

@test "audit: the client's mismatches, classified and explained, each once, then counted" {
	start_audit --json --flush 1
	"$CLIENT" --loops 4 >/dev/null
	stop_audit
	[ "$audit_status" -eq 0 ]
	out=$T/audit.out
	# exactly these five kinds of mismatch, first as "new" with count 1: the
	# unknown command on the "iommufd" fd is answered (EINVAL: /dev/urandom
	# has an ioctl handler), so it is newer-than-catalog, not unknown-ioctl
	jq -s -e 'map(select(.event == "new")) | map("\(.ioctl) \(.class) \(.argsz) \(.flags)") | sort ==
		["VFIO_DEVICE_GET_INFO older-struct 16 0",
		 "VFIO_IOMMU_GET_INFO older-struct 16 0",
		 "VFIO_IOMMU_MAP_DMA truncated 8 3",
		 "VFIO_IOMMU_UNMAP_DMA unknown-flags 24 64",
		 "null newer-than-catalog null null"]' "$out"
	jq -s -e 'map(select(.class == "newer-than-catalog"))[0] | .errno == "EINVAL" and
		(.explain | test("answered EINVAL: it is newer than this iommuscope.s catalog"))' "$out"
	jq -s -e 'map(select(.event == "new")) | all(.count == 1 and .comm == "vfio_client"
		and (.explain | length > 20) and (.exe | length > 0) and .cgroup != null
		and (.first_seen | test("^20[0-9-]+T[0-9:.]+Z$")))' "$out"
	# the final count of each is the four loops
	jq -s -e 'group_by(.ioctl, .class) | map(last) | length == 5 and all(.count == 4)' "$out"
	jq -s -e 'map(select(.class == "unknown-flags"))[0] | .bad_flags == 64' "$out"
	jq -s -e 'map(select(.class == "truncated"))[0] | .errno == "ENOTTY" and
		(.explain | test("minimum 32"))' "$out"
	# the per-executable table on stderr
	grep -E '^EXECUTABLE +CALLS +older-struct' "$T/audit.err"
	grep -E '^.*vfio_client +76 +8 +0 +4 +4 +0 +0 +0 +4$' "$T/audit.err"
	# the columns line up with their names
	awk '/^EXECUTABLE/ { h = length($0) } /vfio_client/ { exit length($0) != h }' "$T/audit.err"
}

@test "audit: text records name the process, the class and the explanation" {
	start_audit
	"$CLIENT" >/dev/null
	stop_audit
	grep -E '^20[0-9-]+T[0-9:.]+Z new vfio_client\[[0-9]+\] exe=.* cgroup=.* container VFIO_IOMMU_MAP_DMA truncated argsz=8 flags=0x3 ret=ENOTTY count=1: argsz 8 < minimum 32' "$T/audit.out"
}

@test "audit: the log file is root-only and rotates by size, keeping N files" {
	start_audit --json -o "$T/audit.log" --max-size 1K --rotate 2 --flush 1
	"$CLIENT" --loops 2 >/dev/null
	sleep 1.5
	"$CLIENT" >/dev/null
	stop_audit
	[ "$audit_status" -eq 0 ]
	[ "$(stat -c %a "$T/audit.log")" = 600 ]
	[ -f "$T/audit.log.1" ] && [ -f "$T/audit.log.2" ] && [ ! -e "$T/audit.log.3" ]
	for f in "$T"/audit.log*; do
		[ "$(stat -c %s "$f")" -lt 2048 ]
		jq -e . "$f" >/dev/null	# whole records only
	done
	[ ! -s "$T/audit.out" ]	# with -o, nothing on stdout
	written=$(sed -n 's/^iommuscope: \([0-9]*\) audit records written.*/\1/p' "$T/audit.err")
	[ "$written" -ge 6 ]
}

@test "audit: a full disk loses nothing silently: warned, retried, non-zero exit" {
	mkdir -p "$T/small"
	mount -t tmpfs -o size=8k tmpfs "$T/small"
	head -c 7000 /dev/zero >"$T/small/filler" || true
	start_audit --json -o "$T/small/audit.log"
	"$CLIENT" >/dev/null
	stop_audit
	[ "$audit_status" -eq 1 ]
	grep -q 'warning: cannot write audit log .*: No space left on device; records are kept and retried' "$T/audit.err"
	# what could not be written by the end is counted and said, not dropped
	grep -q 'error: 5 audit records could not be written' "$T/audit.err"
	grep -q 'SOME RECORDS UNWRITTEN' "$T/audit.err"
}

@test "audit --syslog: each record also goes to syslog" {
	[ ! -e /dev/log ] || skip "a syslog daemon owns /dev/log on this machine"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1], "w").close()
with open(sys.argv[2], "ab") as out:
    while True:
        out.write(s.recv(65536) + b"\n")
        out.flush()
' "$T/ready" "$T/syslog" &
	SYSLOG_PID=$!
	for _ in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done
	start_audit --syslog -o "$T/audit.log"
	"$CLIENT" >/dev/null
	stop_audit
	kill "$SYSLOG_PID"; SYSLOG_PID=
	rm -f /dev/log
	[ "$(grep -c 'iommuscope\[[0-9]*\]: .* new vfio_client' "$T/syslog")" -eq 5 ]
}

@test "audit rejects bad arguments" {
	# -d 1: an argument wrongly accepted ends the run instead of hanging it
	for args in "--max-size 0" "--max-size 12Q" "--max-size 100B" "--max-size 1.5M" \
		    "--rotate -1" "--rotate 101" "--flush 0" "--bogus" "extra"; do
		run timeout 20 "$BIN" audit -d 1 $args
		[ "$status" -eq 2 ] || { echo "$args: $status"; false; }
	done
	run "$BIN" audit -o /nonexistent-dir/audit.log -d 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open audit log /nonexistent-dir/audit.log: No such file or directory"* ]]
}

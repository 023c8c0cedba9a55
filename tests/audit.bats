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
	[ -z "${MOD:-}" ] || rmmod "$MOD" 2>/dev/null || true
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
	[ -f "$T/audit.log.1" ]
	[ -f "$T/audit.log.2" ]
	[ ! -e "$T/audit.log.3" ]
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

@test "audit and trace: a process-chosen name cannot forge a log line" {
	# the executable's name becomes the command name: a newline and a
	# whole fake record in it
	evil=$'x\ndeny *\x01'
	cp "$CLIENT" "$T/$evil"
	start_audit -o "$T/audit.log"
	"$T/$evil" >/dev/null
	stop_audit
	[ "$audit_status" -eq 0 ]
	n=$(wc -l <"$T/audit.log")
	[ "$n" -eq 5 ] || { cat "$T/audit.log"; false; }
	! grep -q '^deny' "$T/audit.log"
	grep -q 'x\\x0adeny \*\\x01' "$T/audit.log" || { cat "$T/audit.log"; false; }
	# trace, text and JSON: one line a call, the name escaped the same way
	start_session tracing trace trace -d 20 --mode tracepoint "${CLASSIFY[@]}" || false
	"$T/$evil" >/dev/null
	stop_session "$SESSION_PID" INT
	! grep -q '^deny' "$T/trace.out"
	[ "$(grep -c 'x\\x0adeny \*\\x01' "$T/trace.out")" -ge 5 ]
	start_session tracing tj trace --json -d 20 --mode tracepoint "${CLASSIFY[@]}" || false
	"$T/$evil" >/dev/null
	stop_session "$SESSION_PID" INT
	jq -e . "$T/tj.out" >/dev/null
	[ "$(jq -s 'map(select(.comm == "x\\x0adeny *\\x01")) | length' "$T/tj.out")" -ge 5 ]
}

@test "audit -o: never through a symlink; an existing log made 0600; a lost file is reopened" {
	echo secret >"$T/target"
	chmod 0644 "$T/target"
	ln -s "$T/target" "$T/link.log"
	run "$BIN" audit -o "$T/link.log" -d 1 --mode tracepoint
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: cannot open audit log $T/link.log: a symbolic link (not followed)" ]
	[ "$(stat -c %a "$T/target")" = 644 ]
	[ "$(cat "$T/target")" = secret ]
	# a FIFO (nobody reading, or somebody) must not hang the open
	mkfifo "$T/fifo.log"
	run timeout 10 "$BIN" audit -o "$T/fifo.log" -d 1 --mode tracepoint
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: cannot open audit log $T/fifo.log: a FIFO" ]
	{ sleep 15 <"$T/fifo.log" & } 2>/dev/null
	reader=$!
	run timeout 10 "$BIN" audit -o "$T/fifo.log" -d 1 --mode tracepoint
	kill "$reader" 2>/dev/null || true
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: cannot open audit log $T/fifo.log: not a regular file" ]
	run "$BIN" trace -w "$T/link.log" -d 1 --mode tracepoint
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: cannot open $T/link.log: a symbolic link (not followed)" ]
	[ "$(stat -c %a "$T/target")" = 644 ]
	[ "$(cat "$T/target")" = secret ]
	# an existing log keeps its content, not its mode
	mkdir "$T/d"
	echo '{"old":1}' >"$T/d/audit.log"
	chmod 0644 "$T/d/audit.log"
	start_audit --json --flush 1 --max-size 1K -o "$T/d/audit.log"
	[ "$(stat -c %a "$T/d/audit.log")" = 600 ]
	head -n 1 "$T/d/audit.log" | grep -q '"old"'
	"$CLIENT" >/dev/null
	# the directory goes away: rotation cannot reopen the log
	mv "$T/d" "$T/gone"
	"$CLIENT" >/dev/null
	for _ in $(seq 50); do
		grep -q 'cannot reopen audit log' "$T/audit.err" && break
		sleep 0.1
	done
	grep -q "warning: cannot reopen audit log $T/d/audit.log: No such file or directory; retrying every second" "$T/audit.err" ||
		{ cat "$T/audit.err"; false; }
	# back: the next try opens it again and the repeats owed are written
	mkdir "$T/d"
	for _ in $(seq 50); do
		grep -q 'reopened' "$T/audit.err" && break
		sleep 0.1
	done
	stop_audit
	[ "$audit_status" -eq 0 ] || { cat "$T/audit.err"; false; }
	grep -q "warning: audit log $T/d/audit.log reopened" "$T/audit.err"
	[ -s "$T/d/audit.log" ]
	jq -e . "$T/d/audit.log" >/dev/null
	[ "$(stat -c %a "$T/d/audit.log")" = 600 ]
}

# CapEff/CapPrm/CapBnd of PID as a number
cap_field() {
	printf '%d' "0x$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status")"
}

@test "audit: once attached it keeps only CAP_BPF and CAP_SYS_PTRACE, and still records" {
	# CAP_SYS_PTRACE is 19, CAP_BPF 39
	want=$(((1 << 19) | (1 << 39)))
	[ "$(cap_field $$ CapEff)" -ne "$want" ] || skip "this shell already has exactly those"
	# a copy of its own: other clients on this host stay out of the records
	cp "$CLIENT" "$T/capsclient"
	start_audit --json --flush 1 -c capsclient
	# the drop follows the ready line by a moment
	for _ in $(seq 30); do
		[ "$(cap_field "$AUDIT_PID" CapEff)" -eq "$want" ] && break
		sleep 0.1
	done
	for f in CapEff CapPrm CapBnd; do
		v=$(cap_field "$AUDIT_PID" "$f")
		[ "$v" -eq "$want" ] || { echo "$f $(printf %x "$v"), want $(printf %x "$want")"; false; }
	done
	grep -q '^CapInh:[[:space:]]*0*$' "/proc/$AUDIT_PID/status"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$AUDIT_PID/status"
	# a caller with every capability, alive when its records are read
	# (its output fills the pipe, which is read 3 s later): its executable
	# is named, which takes CAP_SYS_PTRACE (readlink /proc/PID/exe)
	"$T/capsclient" --loops 200 | { sleep 3; cat >/dev/null; }
	stop_audit
	[ "$audit_status" -eq 0 ]
	jq -s -e --arg exe "$(realpath "$T/capsclient")" \
		'map(select(.event == "new")) | length == 5 and all(.exe == $exe)' "$T/audit.out" ||
		{ jq -c 'select(.event == "new") | {exe, comm, class}' "$T/audit.out"; false; }
}

@test "audit: the table of distinct mismatches is bounded; what is forgotten is counted" {
	# 5 distinct mismatches per executable: 260 executables make 1,300,
	# over the 1,024 kept; executables beyond 255 share one row
	mkdir "$T/bin"
	for i in $(seq 260); do cp "$CLIENT" "$T/bin/c$i"; done
	start_audit --json -o "$T/audit.log"
	for i in $(seq 260); do "$T/bin/c$i" >/dev/null; done
	stop_audit
	[ "$audit_status" -eq 0 ] || { tail -3 "$T/audit.err"; false; }
	# (other processes on the host may add their own)
	n=$(jq -s 'map(select(.event == "new" and (.comm | test("^c[0-9]+$")))) | length' "$T/audit.log")
	forgot=$(sed -n 's/.* audit records written, \([0-9]*\) entries forgotten.*/\1/p' "$T/audit.err")
	echo "new: $n, forgotten: $forgot"
	[ "$n" -eq 1300 ]
	[ "$forgot" -ge 276 ]
	grep -q 'more than 1024 distinct mismatches: the least recently seen are forgotten' "$T/audit.err"
	# the per-executable table: at most 255 rows and one for the rest
	rows=$(sed -n '/^EXECUTABLE/,/audit records written/p' "$T/audit.err" | wc -l)
	[ "$rows" -eq 258 ] || { echo "$rows lines"; false; }
	grep -q '^(other executables) ' "$T/audit.err"
}

@test "audit: a log that cannot be rotated (a directory planted at FILE.1) grows on, said once" {
	mkdir "$T/audit.log.1"
	start_audit --json -o "$T/audit.log" --max-size 1K --rotate 1
	"$CLIENT" >/dev/null
	stop_audit
	[ "$audit_status" -eq 0 ]
	[ "$(grep -c "warning: cannot rotate audit log $T/audit.log: Is a directory; it grows on" "$T/audit.err")" -eq 1 ] ||
		{ cat "$T/audit.err"; false; }
	# every record of the run is in the one file
	[ "$(jq -s 'map(select(.event == "new")) | length' "$T/audit.log")" -eq 5 ]
	[ -d "$T/audit.log.1" ]
}

@test "audit: a module loaded and unloaded while auditing is noticed both times" {
	[ -r /proc/modules ] || skip "this kernel has no loadable modules"
	MOD=
	for m in veth dummy; do
		[ -d "/sys/module/$m" ] && continue
		modinfo "$m" >/dev/null 2>&1 && { MOD=$m; break; }
	done
	[ -n "$MOD" ] || skip "no harmless module (veth, dummy) to load"
	start_audit -v
	n0=$(grep -c '^iommuscope: modules changed' "$T/audit.err" || true)
	# dummy with no interfaces: nothing appears but the module
	modprobe "$MOD" numdummies=0 2>/dev/null || modprobe "$MOD"
	for _ in $(seq 100); do
		[ "$(grep -c '^iommuscope: modules changed' "$T/audit.err")" -gt "$n0" ] && break
		sleep 0.1
	done
	n1=$(grep -c '^iommuscope: modules changed' "$T/audit.err" || true)
	rmmod "$MOD"
	MOD=
	for _ in $(seq 100); do
		[ "$(grep -c '^iommuscope: modules changed' "$T/audit.err")" -gt "$n1" ] && break
		sleep 0.1
	done
	n2=$(grep -c '^iommuscope: modules changed' "$T/audit.err" || true)
	stop_audit
	[ "$audit_status" -eq 0 ]
	[ "$n1" -gt "$n0" ]
	[ "$n2" -gt "$n1" ]
}

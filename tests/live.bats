#!/usr/bin/env bats
# Live tests on this host's kernel (root): the tracepoint hook set really
# attaches and records what tests/client/vfio_client issues.
#
# The host has no VFIO, so the test makes ordinary character devices count
# as VFIO fds with --classify (the same device-number classifier that
# recognises /dev/vfio/vfio, /dev/vfio/N and /dev/iommu on a real host):
# /dev/null is a container, /dev/zero a group, /dev/full a device and
# /dev/urandom an iommufd. The kernel rejects the calls (ENOTTY/EINVAL), but
# the syscall path and the user structs are those of a real VFIO client.

load helpers

CLASSIFY=(--classify /dev/null=container --classify /dev/zero=group
	  --classify /dev/full=device --classify /dev/urandom=iommufd)

setup() {
	[ "$(id -u)" -eq 0 ] || skip "live tests load BPF programs: need root"
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
	TRACE_PID=
	DECOY_PIN=
}

teardown() {
	[ -z "$DECOY_PIN" ] || rm -f "$DECOY_PIN"
	if [ -n "$TRACE_PID" ] && kill -0 "$TRACE_PID" 2>/dev/null; then
		kill -CONT "$TRACE_PID" 2>/dev/null
		kill -KILL "$TRACE_PID" 2>/dev/null
	fi
	true
}

# start_trace ARGS...: trace in the background, wait until attached.
start_trace() {
	start_session tracing trace trace "$@" || return 1
	TRACE_PID=$SESSION_PID
}

# stop_trace [SIGNAL]: stop it and wait; $trace_status is its exit code.
stop_trace() {
	stop_session "$TRACE_PID" "${1:-INT}"
	trace_status=$session_status
	TRACE_PID=
}

events_of() {
	trace_events_of "$T/trace.out" "$1"
}

@test "tracepoint mode: every call recorded with kind, name, argsz, flags, fields, result" {
	start_trace --json --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" >"$T/manifest"
	stop_trace
	[ "$trace_status" -eq 0 ]
	ev=$(events_of vfio_client)
	[ "$(jq length <<<"$ev")" -eq 19 ]
	compare_with_manifest "$T/manifest" "$ev"
	# every record carries the documented fields
	jq -e 'all(has("ts_ns") and has("pid") and has("tid") and has("cgroup_id") and
		   has("latency_ns") and .hook == "tracepoint" and .latency_ns > 0)' <<<"$ev"
	# in call order, one thread
	jq -e '[.[].ts_ns] == ([.[].ts_ns] | sort) and ([.[].tid] | unique | length) == 1' <<<"$ev"
	# /dev/full stands in for a device fd, but no vfio_device is behind it
	# (no vfio module here: nothing says where one would be): no device
	# fields, rather than whatever its private_data points at
	jq -e 'map(select(.fd_kind == "device")) | length > 0' <<<"$ev"
	jq -e 'all(has("device") or has("iommu_group") | not)' <<<"$ev"
	# the kernel's cgroup id of the client is its cgroup2 directory's inode
	cgroot=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
	if [ -n "$cgroot" ]; then
		cgpath=$(sed -n 's/^0:://p' /proc/self/cgroup)
		jq -e --argjson id "$(stat -c %i "$cgroot$cgpath")" 'all(.cgroup_id == $id)' <<<"$ev"
	fi
}

@test "the LRU call slots (kernels whose tracepoints cannot use task storage) record the same" {
	"$BIN" probe --json | jq -e '.call_slots == "task_storage"' >/dev/null ||
		skip "this kernel has no task storage for tracepoints: the LRU slots are the default"
	ISC_NO_TASK_SLOTS=1 start_trace --json --mode tracepoint "${CLASSIFY[@]}"
	ISC_NO_TASK_SLOTS=1 "$BIN" probe --json | jq -e '.call_slots == "lru_hash"'
	# the session's slots are the LRU hash; the task storage map is a stand-in
	maps=$(bpftool map show -j)
	jq -e 'any(.[]; .name == "inflight" and .type == "lru_hash" and .max_entries == 8192)
		and any(.[]; .name == "task_slots" and .type == "array")' <<<"$maps"
	"$CLIENT" --loops 2 >"$T/manifest"
	stop_trace
	[ "$trace_status" -eq 0 ]
	ev=$(events_of vfio_client)
	[ "$(jq length <<<"$ev")" -eq 38 ]
	compare_with_manifest "$T/manifest" "$ev"
	jq -e 'all(.latency_ns > 0)' <<<"$ev"
}

@test "non-VFIO ioctls and unclassified files are never reported" {
	start_trace --json --mode tracepoint
	"$CLIENT" >/dev/null
	stop_trace
	[ "$(events_of vfio_client | jq length)" -eq 0 ]
	start_trace --json --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" >/dev/null
	stop_trace
	# FIONREAD on the "container" fd was issued, but is not a ';' ioctl
	events_of vfio_client | jq -e 'length > 0 and all(.cmd >= 15104 and .cmd < 15360)'
}

@test "-p follows one process only" {
	cp "$CLIENT" "$T/vfio_client"
	coproc CL { "$T/vfio_client" --wait 2>&1 >"$T/manifest"; }
	clpid=$CL_PID
	read -r pid <&"${CL[0]}"
	start_trace --json -p "$pid" "${CLASSIFY[@]}"
	"$CLIENT" >/dev/null	# same comm, another process: filtered out
	echo go >&"${CL[1]}"
	wait "$clpid" || true
	stop_trace
	jq -s -e --argjson p "$pid" 'map(select(.type == "ioctl")) | length == 19 and all(.pid == $p)' \
		"$T/trace.out"
	compare_with_manifest "$T/manifest" "$(events_of vfio_client)"
}

@test "-c follows one command name only" {
	cp "$CLIENT" "$T/other_client"
	start_trace --json -c vfio_client "${CLASSIFY[@]}"
	"$T/other_client" >/dev/null
	"$CLIENT" >"$T/manifest"
	stop_trace
	jq -s -e 'map(select(.type == "ioctl")) | length == 19 and all(.comm == "vfio_client")' \
		"$T/trace.out"
}

@test "the tail of a burst is printed while the trace runs (within the reader's 100 ms poll)" {
	# calls within 1 ms of the last wakeup do not wake the reader
	# (bpf/ioctl.bpf.c): its own poll must read them, not the next call
	cp "$CLIENT" "$T/burst_client"
	start_trace -c burst_client "${CLASSIFY[@]}"
	"$T/burst_client" --loops 50 >/dev/null
	for _ in $(seq 50); do
		[ "$(grep -c burst_client "$T/trace.out")" -ge 950 ] && break
		sleep 0.1
	done
	n=$(grep -c burst_client "$T/trace.out")
	stop_trace
	[ "$trace_status" -eq 0 ]
	[ "$n" -eq 950 ]
	[ "$(grep -c burst_client "$T/trace.out")" -eq 950 ]
}

@test "--duration stops by itself with a summary" {
	run timeout 30 "$BIN" trace --json -d 1 "${CLASSIFY[@]}"
	[ "$status" -eq 0 ]
	tail -n 1 <<<"$output" | jq -e '.type == "summary" and .mode == "tracepoint" and .drops == 0
		and .duration_ns >= 1000000000 and .duration_ns < 5000000000'
}

@test "SIGTERM ends the trace with a summary that counts what was printed" {
	start_trace --json "${CLASSIFY[@]}"
	"$CLIENT" --loops 3 >/dev/null
	stop_trace TERM
	[ "$trace_status" -eq 0 ]
	n=$(jq -s 'map(select(.type == "ioctl")) | length' "$T/trace.out")
	[ "$n" -ge 57 ]
	tail -n 1 "$T/trace.out" | jq -e --argjson n "$n" '.type == "summary" and .events == $n'
}

@test "trace -w then -r: the same records and verdicts as a live --json trace of the same calls" {
	# two sessions at once over one run of the client: one writes the raw
	# file, the other decodes live
	start_session tracing raw trace -w "$T/calls.isc" -c vfio_client --mode tracepoint \
		"${CLASSIFY[@]}"
	RAW_PID=$SESSION_PID
	start_trace --json -c vfio_client --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" --loops 2 >"$T/manifest"
	stop_trace
	stop_session "$RAW_PID"
	[ "$trace_status" -eq 0 ] && [ "$session_status" -eq 0 ]
	grep -q "^iommuscope: 38 records .* written to $T/calls.isc, 0 dropped, mode tracepoint" \
		"$T/raw.err"
	[ ! -s "$T/raw.out" ]
	"$BIN" trace -r "$T/calls.isc" --json >"$T/replay.out"
	live=$(events_of vfio_client | jq -c 'map(del(.ts_ns, .latency_ns))')
	replay=$(trace_events_of "$T/replay.out" vfio_client | jq -c 'map(del(.ts_ns, .latency_ns))')
	[ "$(jq length <<<"$replay")" -eq 38 ]
	[ "$live" = "$replay" ]
	# mismatch verdicts came through the replay too
	jq -e 'map(select(.class != "ok")) | length > 0' <<<"$replay"
	tail -n 1 "$T/replay.out" | jq -e '.type == "summary" and .events == 38'
	# text from the same file, with wall-clock times of the recording
	run "$BIN" trace -r "$T/calls.isc"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' vfio_client ' <<<"$output")" -eq 38 ]
	grep -q "^$(date +%H:)" <<<"$(sed -n 2p <<<"$output")"
}

@test "trace -r: a damaged, foreign or missing file is one line and exit 1; records before a cut are kept" {
	start_session tracing raw trace -w "$T/calls.isc" -c vfio_client --mode tracepoint \
		"${CLASSIFY[@]}"
	"$CLIENT" >/dev/null
	stop_session "$SESSION_PID"
	size=$(stat -c %s "$T/calls.isc")
	head -c $((size - 10)) "$T/calls.isc" >"$T/cut.isc"
	run "$BIN" trace -r "$T/cut.isc" --json
	[ "$status" -eq 1 ]
	[ "$(grep -c '"type":"ioctl"' <<<"$output")" -eq 18 ]
	grep -q "^iommuscope: error: $T/cut.isc: truncated record at offset [0-9]*: the file ends there$" <<<"$output"
	head -c 50 "$T/calls.isc" >"$T/short.isc"
	run "$BIN" trace -r "$T/short.isc"
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: $T/short.isc: too short for an iommuscope trace file (no header)" ]
	run "$BIN" trace -r /etc/passwd
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: /etc/passwd: not an iommuscope trace file (written by 'iommuscope trace -w')" ]
	# another catalog (a different iommuscope): refused, not misread
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[24] ^= 0xff; open(sys.argv[2], "wb").write(b)' \
		"$T/calls.isc" "$T/other.isc"
	run "$BIN" trace -r "$T/other.isc"
	[ "$status" -eq 1 ]
	grep -q "recorded by an iommuscope with another ioctl catalog" <<<"$output"
	run "$BIN" trace -r "$T/none.isc"
	[ "$status" -eq 1 ]
	[ "$output" = "iommuscope: error: cannot open $T/none.isc: No such file or directory" ]
	run "$BIN" trace -r "$T/calls.isc" -p 1
	[ "$status" -eq 2 ]
	run "$BIN" trace -w "$T/x.isc" --json
	[ "$status" -eq 2 ]
	[ ! -e "$T/x.isc" ]
}

@test "trace -w: a session that cannot start removes only a file it created itself" {
	# full mode is refused on this host: the session fails after the open
	"$BIN" probe --json | jq -e '.full_available | not' >/dev/null ||
		skip "full mode works here: no failing session to provoke"
	run "$BIN" trace -w "$T/new.isc" --mode full
	[ "$status" -eq 1 ]
	[ ! -e "$T/new.isc" ]
	# never a device, never a file that was there before
	run "$BIN" trace -w /dev/null --mode full
	[ "$status" -eq 1 ]
	[ -c /dev/null ]
	echo before >"$T/old.isc"
	run "$BIN" trace -w "$T/old.isc" --mode full
	[ "$status" -eq 1 ]
	[ -e "$T/old.isc" ]
	# without privileges nothing is opened at all: the old capture is intact
	echo before >"$T/old.isc"
	chmod 666 "$T/old.isc"
	if command -v setpriv >/dev/null; then
		run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			"$BIN" trace -w "$T/old.isc"
		[ "$status" -eq 1 ]
		[ "$(cat "$T/old.isc")" = before ]
	fi
	# a replay read from a pipe names offsets from the file's start
	start_session tracing raw trace -w "$T/calls.isc" -c vfio_client --mode tracepoint \
		"${CLASSIFY[@]}"
	"$CLIENT" >/dev/null
	stop_session "$SESSION_PID"
	size=$(stat -c %s "$T/calls.isc")
	run bash -c "head -c $((size - 10)) '$T/calls.isc' | '$BIN' trace -r - --json"
	[ "$status" -eq 1 ]
	off=$(grep -o 'truncated record at offset [0-9]*' <<<"$output" | grep -o '[0-9]*$')
	[ "$off" -gt 0 ] && [ "$off" -lt "$size" ]
}

@test "text mode: a header, one line per call, errno names, redacted secrets" {
	start_trace -c vfio_client "${CLASSIFY[@]}"
	"$CLIENT" >/dev/null
	stop_trace
	head -n 1 "$T/trace.out" | grep -q '^TIME  *PID  *TID  *COMM  *FD  *KIND  *IOCTL  *ARGSZ  *FLAGS  *RET  *LAT(us)  *DETAILS$'
	[ "$(grep -c vfio_client "$T/trace.out")" -eq 19 ]
	grep -q ' container  *VFIO_IOMMU_MAP_DMA  *32 0x3<READ|WRITE>  *ENOTTY .* iova=0x100000 size=0x200000' "$T/trace.out"
	grep -q 'VFIO_IOMMU_UNMAP_DMA .*0x40<0x40>' "$T/trace.out"
	grep -q 'device="0000:00:03.0 vf_token=<redacted>"' "$T/trace.out"
	! grep -q 2ab74924 "$T/trace.out"
	grep -q 'iommuscope: 19 events, 0 dropped, 0 invalid, mode tracepoint' "$T/trace.err"
}

@test "a full ring buffer loses events visibly: printed + dropped = issued" {
	start_trace --json --ringbuf-size 1 "${CLASSIFY[@]}"
	kill -STOP "$TRACE_PID"		# the reader stops consuming
	"$CLIENT" --loops 500 >"$T/manifest"
	kill -CONT "$TRACE_PID"
	sleep 1.5			# let it report the drops
	stop_trace
	issued=$(wc -l <"$T/manifest")
	[ "$issued" -eq 9500 ]
	sum=$(tail -n 1 "$T/trace.out")
	jq -e --argjson n "$issued" '.type == "summary" and .drops > 0 and .events + .drops == $n' <<<"$sum"
	# and the loss was announced while tracing, not only at the end
	jq -s -e 'map(select(.type == "drops")) | length >= 1 and (map(.count) | add) > 0' "$T/trace.out"
}

@test "--mode full where the kernel refuses it: a clear error, nothing attached" {
	full=$("$BIN" probe --json | jq -r .full_available)
	[ "$full" = false ] || skip "full mode is available here; covered by the guest tests"
	run "$BIN" trace --mode full
	[ "$status" -eq 1 ]
	[[ "$output" == "iommuscope: error: full mode is not available here: "*"(try --mode tracepoint)" ]]
}

@test "full mode traces the client (fentry/LSM)" {
	reason=$("$BIN" probe --json | jq -r 'if .full_available then "" else .mode_reason end')
	[ -z "$reason" ] || skip "full mode unavailable on this kernel: $reason (the guest tests cover it)"
	start_trace --json --mode full "${CLASSIFY[@]}"
	"$CLIENT" >"$T/manifest"
	stop_trace
	compare_with_manifest "$T/manifest" "$(events_of vfio_client)"
}

@test "trace --bpf-stats: probe lists the session's programs with their runs; off again after the stop" {
	[ "$(cat "$BPF_STATS_SYSCTL")" = 0 ] || skip "kernel.bpf_stats_enabled is 1: statistics on anyway"
	"$BIN" probe --json >"$T/before.json"
	jq -e '.bpf_stats_enabled == false' "$T/before.json"
	start_trace --json --bpf-stats --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" --loops 5 >/dev/null
	"$BIN" probe --json >"$T/during.json"
	"$BIN" probe >"$T/during.txt"
	stop_trace
	[ "$trace_status" -eq 0 ]
	! grep -q warning "$T/trace.err"
	"$BIN" probe --json >"$T/after.json"
	# the session's programs: those loaded during it only
	jq --slurpfile b "$T/before.json" '.bpf_programs |= map(select(.id as $i
		| $b[0].bpf_programs | map(.id) | index($i) | not))' "$T/during.json" >"$T/own.json"
	probe_prog_runs "$T/own.json"
	jq -e '.bpf_stats_enabled' "$T/own.json"
	jq -e '.bpf_programs | map(select(.name == "tp_exit_ioctl")) | length == 1 and
		(.[0] | .type == "tracepoint" and .attach == "tp/syscalls/sys_exit_ioctl" and
		 .run_cnt >= 5 and .run_time_ns > 0 and .avg_ns > 0 and .recursion_misses == 0)' \
		"$T/own.json"
	jq -e '.bpf_programs | map(select(.name | startswith("tp_enter_ioctl"))) | length == 1 and
		.[0].run_cnt >= 5' "$T/own.json"
	# full names (the kernel keeps 15 chars; the BTF has the rest): the
	# typed entry by its own, every program known, none cut at 15
	jq -e '.bpf_programs | map(select(.name == "tp_enter_ioctl_btf")) | length == 1 and
		.[0].attach == "tp/syscalls/sys_enter_ioctl"' "$T/own.json"
	jq -e 'all(.bpf_programs[]; .attach != null and (.name | length) != 15)' "$T/own.json"
	# the IOMMU core's map/unmap programs are there too, not run here
	jq -e '.bpf_programs | map(select(.name == "iommu_map_tp")) | length == 1 and
		.[0].attach == "tp_btf/map" and ((.[0].run_cnt == 0) == (.[0].avg_ns == null))' \
		"$T/own.json"
	grep -qx 'bpf stats       on' "$T/during.txt"
	grep -qE '^  [0-9]+ +tp_exit_ioctl +tracepoint runs [1-9][0-9]*  avg [0-9]+ ns$' "$T/during.txt"
	# stop: its programs and its hold on the statistics are gone
	jq -e --slurpfile o "$T/own.json" '[.bpf_programs[].id] - [$o[0].bpf_programs[].id]
		== [.bpf_programs[].id] and .bpf_stats_enabled == false' "$T/after.json"
	[ "$(cat "$BPF_STATS_SYSCTL")" = 0 ]
}

@test "probe: another tool's program sharing the first 15 chars of one of iommuscope's is not taken for it" {
	local bpftool id
	bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
	[ -x "$bpftool" ] || skip "bpftool missing"
	command -v clang >/dev/null || skip "clang missing"
	# the kernel names it tp_enter_ioctl_, as it does tp_enter_ioctl_btf
	cat >"$T/decoy.bpf.c" <<-'EOF'
	#define SEC(n) __attribute__((section(n), used))
	SEC("tp/syscalls/sys_enter_ioctl") int tp_enter_ioctl_decoy(void *ctx) { return 0; }
	char _license[] SEC("license") = "GPL";
	EOF
	clang -g -O2 -target bpf -c "$T/decoy.bpf.c" -o "$T/decoy.bpf.o"
	DECOY_PIN=/sys/fs/bpf/isc_test_decoy_$$
	"$bpftool" prog load "$T/decoy.bpf.o" "$DECOY_PIN"
	id=$("$bpftool" prog show pinned "$DECOY_PIN" -j | jq .id)
	"$bpftool" prog show id "$id" -j | jq -e '.name == "tp_enter_ioctl_decoy"' ||
		skip "bpftool shows no full name here: no program BTF"
	"$BIN" probe --json >"$T/probe.json"
	"$BIN" probe >"$T/probe.txt"
	jq -e --argjson d "$id" '[.bpf_programs[].id] | index($d) == null' "$T/probe.json"
	! grep -qE "^  $id " "$T/probe.txt"
}

@test "trace without --bpf-stats: nothing counted, probe says off" {
	[ "$(cat "$BPF_STATS_SYSCTL")" = 0 ] || skip "kernel.bpf_stats_enabled is 1: statistics on anyway"
	"$BIN" probe --json >"$T/before.json"
	start_trace --json --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" --loops 5 >/dev/null
	"$BIN" probe --json >"$T/during.json"
	"$BIN" probe >"$T/during.txt"
	stop_trace
	jq --slurpfile b "$T/before.json" '.bpf_programs |= map(select(.id as $i
		| $b[0].bpf_programs | map(.id) | index($i) | not))' "$T/during.json" >"$T/own.json"
	probe_prog_runs "$T/own.json"
	jq -e '.bpf_stats_enabled == false and (.bpf_programs | length >= 2) and
		all(.bpf_programs[]; .run_cnt == 0 and .avg_ns == null)' "$T/own.json"
	grep -q '^bpf stats       off' "$T/during.txt"
}

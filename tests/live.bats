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
}

teardown() {
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
	# the kernel's cgroup id of the client is its cgroup2 directory's inode
	cgroot=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
	if [ -n "$cgroot" ]; then
		cgpath=$(sed -n 's/^0:://p' /proc/self/cgroup)
		jq -e --argjson id "$(stat -c %i "$cgroot$cgpath")" 'all(.cgroup_id == $id)' <<<"$ev"
	fi
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

#!/usr/bin/env bats
# Who a caller belongs to, live on this host (iommuscope(8), VM NAMES): the
# test client run inside cgroup2 directories named as libvirt names a VM's
# scope (systemd's machine.slice, and libvirt's own layout without systemd)
# and as a KubeVirt pod; trace, audit, top and export name it, and -V keeps
# only its calls. The client's stand-in fds are live.bats's (CLASSIFY).

load helpers

setup() {
	[ "$(id -u)" -eq 0 ] || skip "live tests load BPF programs: need root"
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
	CGROOT=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
	[ -n "$CGROOT" ] || skip "no cgroup2 mount"
	CREATED=()
	SESSIONS=()
}

teardown() {
	local p d i
	for p in "${SESSIONS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	# innermost first; only what this test created
	for ((i = ${#CREATED[@]} - 1; i >= 0; i--)); do
		d=${CREATED[$i]}
		rmdir "$d" 2>/dev/null || true
	done
	true
}

# mkcg PATH: a cgroup2 directory below the root (and its parents), each
# removed again by teardown if this test made it.
mkcg() {
	local rel=$1 d=$CGROOT part
	local IFS=/
	for part in $rel; do
		[ -n "$part" ] || continue
		d=$d/$part
		if [ ! -d "$d" ]; then
			mkdir "$d"
			CREATED+=("$d")
		fi
	done
}

# in_cg PATH ARGS...: run ARGS inside cgroup PATH (the shell moves itself
# there, then becomes ARGS).
in_cg() {
	local rel=$1
	shift
	sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$CGROOT/$rel" "$@"
}

LIBVIRT='machine.slice/machine-qemu\x2d3\x2dweb01.scope/libvirt/emulator'
NOSYSTEMD='machine/qemu-4-db02.libvirt-qemu/emulator'
POD_UID=7f3c2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6
POD="kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID//-/_}.slice/cri-containerd-0123abcd.scope"

start() {
	start_session "$1" "$2" "${@:3}" || return 1
	SESSIONS+=("$SESSION_PID")
}

@test "trace: a client in libvirt's VM scopes (systemd and not) and a pod's cgroup is named; others not" {
	mkcg "$LIBVIRT"
	mkcg "$NOSYSTEMD"
	mkcg "$POD"
	start tracing trace trace --json --mode tracepoint "${CLASSIFY[@]}"
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	in_cg "$NOSYSTEMD" "$CLIENT" >/dev/null
	in_cg "$POD" "$CLIENT" >/dev/null
	"$CLIENT" >/dev/null
	stop_session "$SESSION_PID"
	[ "$session_status" -eq 0 ]
	ev=$(trace_events_of "$T/trace.out" vfio_client)
	[ "$(jq length <<<"$ev")" -eq 76 ]
	by=$(jq -c 'group_by(.pid) | map({vm: .[0].vm, src: .[0].vm_source, pod: .[0].vm_pod,
		n: length, same: (map([.vm, .vm_source, .vm_pod]) | unique | length)})' <<<"$ev")
	echo "$by"
	# each process: 19 calls, all named alike
	jq -e 'length == 4 and all(.n == 19 and .same == 1)' <<<"$by"
	jq -e 'map(select(.vm == "web01" and .src == "libvirt" and .pod == null)) | length == 1' <<<"$by"
	jq -e 'map(select(.vm == "db02" and .src == "libvirt")) | length == 1' <<<"$by"
	jq -e --arg u "$POD_UID" 'map(select(.vm == $u and .src == "pod" and .pod == $u)) | length == 1' <<<"$by"
	# this process's own cgroup: a unit or nothing, never a VM
	jq -e 'map(select(.src == null or .src == "systemd")) | length == 1' <<<"$by"
	# the cgroup id of the named records is the scope's sub-cgroup
	jq -e --argjson id "$(stat -c %i "$CGROOT/$LIBVIRT")" \
		'map(select(.vm == "web01")) | all(.cgroup_id == $id)' <<<"$ev"
}

@test "trace: a name a local user gives is not believed (a libvirt-like scope they own, -name of their process)" {
	# a subtree delegated to uid 65534 (as systemd delegates user@UID.service)
	# with a VM scope's name made below it
	mkcg "isc-deleg-$$/machine-qemu\x2d9\x2dfake.scope"
	chown -R 65534 "$CGROOT/isc-deleg-$$"
	start tracing trace trace --json --mode tracepoint "${CLASSIFY[@]}"
	in_cg "isc-deleg-$$/machine-qemu\x2d9\x2dfake.scope" "$CLIENT" >/dev/null
	# a process calling itself QEMU with -name: root's is believed, another
	# user's is not. Both stay alive (--hold) until the trace has stopped:
	# the command line is read from /proc while the records are decoded
	mkfifo "$T/hold"
	bash -c 'exec -a qemu-system-x86_64 "$0" --hold -- -name guest=rootvm,debug-threads=on' \
		"$CLIENT" <"$T/hold" >/dev/null 2>"$T/root.err" &
	r=$!
	setpriv --reuid 65534 --regid 65534 --clear-groups \
		bash -c 'exec -a qemu-system-x86_64 "$0" --hold -- -name guest=fake' \
		"$CLIENT" <"$T/hold" >/dev/null 2>"$T/user.err" &
	u=$!
	# ... nor one that runs with euid 0 but another user's real uid (what
	# exec'ing a setuid-root program with QEMU's argv after the calls gives)
	setpriv --ruid 65534 \
		bash -p -c 'exec -a qemu-system-x86_64 "$0" --hold -- -name guest=fake' \
		"$CLIENT" <"$T/hold" >/dev/null 2>"$T/setuid.err" &
	s=$!
	exec 4>"$T/hold"
	for f in root user setuid; do
		for ((i = 0; i < 300; i++)); do
			grep -q '^held$' "$T/$f.err" && break
			sleep 0.1
		done
		grep -q '^held$' "$T/$f.err"
	done
	stop_session "$SESSION_PID"
	exec 4>&-
	wait "$r"
	wait "$u"
	wait "$s"
	[ "$session_status" -eq 0 ]
	ev=$(trace_events_of "$T/trace.out" vfio_client)
	by=$(jq -c 'group_by(.pid) | map({vm: .[0].vm, src: .[0].vm_source, uid: .[0].uid, n: length,
		same: (map([.vm, .vm_source]) | unique | length)})' <<<"$ev")
	echo "$by"
	jq -e 'length == 4 and all(.n == 19 and .same == 1)' <<<"$by"
	jq -e 'map(select(.vm == "rootvm" and .src == "qemu")) | length == 1' <<<"$by"
	jq -e 'map(select(.vm == "fake" or .src == "libvirt")) | length == 0' <<<"$by"
}

@test "trace text: the vm fields end the line" {
	mkcg "$LIBVIRT"
	start tracing trace trace --mode tracepoint "${CLASSIFY[@]}"
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	stop_session "$SESSION_PID"
	[ "$session_status" -eq 0 ]
	[ "$(grep -c ' vfio_client .* vm=web01 vm_source=libvirt$' "$T/trace.out")" -eq 19 ]
}

@test "trace -V: only the named VM's calls; a name that matches nothing gives none" {
	mkcg "$LIBVIRT"
	mkcg "$NOSYSTEMD"
	start tracing trace trace --json -V web01 --mode tracepoint "${CLASSIFY[@]}"
	T2=$T/b
	mkdir "$T2"
	T=$T2 start_session tracing trace trace --json --vm web0 --mode tracepoint "${CLASSIFY[@]}"
	SESSIONS+=("$SESSION_PID")
	other=$SESSION_PID
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	in_cg "$NOSYSTEMD" "$CLIENT" >/dev/null
	"$CLIENT" >/dev/null
	stop_session "${SESSIONS[0]}"
	[ "$session_status" -eq 0 ]
	stop_session "$other"
	[ "$session_status" -eq 0 ]
	ev=$(trace_events_of "$T/trace.out" vfio_client)
	[ "$(jq length <<<"$ev")" -eq 19 ]
	jq -e 'all(.vm == "web01")' <<<"$ev"
	# exact match: a prefix is another name
	[ "$(trace_events_of "$T2/trace.out" vfio_client | jq length)" -eq 0 ]
}

@test "audit: each entry names the VM, one entry per VM; -V keeps one VM's" {
	mkcg "$LIBVIRT"
	mkcg "$NOSYSTEMD"
	start auditing audit audit --json --mode tracepoint "${CLASSIFY[@]}"
	T2=$T/b
	mkdir "$T2"
	T=$T2 start_session auditing audit audit --json -V db02 --mode tracepoint "${CLASSIFY[@]}"
	SESSIONS+=("$SESSION_PID")
	other=$SESSION_PID
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	in_cg "$NOSYSTEMD" "$CLIENT" >/dev/null
	stop_session "${SESSIONS[0]}"
	[ "$session_status" -eq 0 ]
	stop_session "$other"
	[ "$session_status" -eq 0 ]
	all=$(jq -s 'map(select(.type == "audit"))' "$T/audit.out")
	n=$(jq 'map(select(.vm == "web01")) | length' <<<"$all")
	[ "$n" -gt 0 ]
	# the same mismatches, once per VM
	[ "$(jq 'map(select(.vm == "db02" and .vm_source == "libvirt")) | length' <<<"$all")" -eq "$n" ]
	one=$(jq -s 'map(select(.type == "audit"))' "$T2/audit.out")
	[ "$(jq length <<<"$one")" -eq "$n" ]
	jq -e 'all(.vm == "db02")' <<<"$one"
}

@test "top: the process is named by its VM after it exited; -V shows only it" {
	mkcg "$LIBVIRT"
	# a snapshot at the stop (SIGINT), after both clients exited
	start counting top top --json -d 1h --mode tracepoint "${CLASSIFY[@]}"
	T2=$T/b
	mkdir "$T2"
	T=$T2 start_session counting top top -b -d 1h -V web01 --mode tracepoint "${CLASSIFY[@]}"
	SESSIONS+=("$SESSION_PID")
	other=$SESSION_PID
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	"$CLIENT" >/dev/null
	stop_session "${SESSIONS[0]}"
	[ "$session_status" -eq 0 ]
	stop_session "$other"
	[ "$session_status" -eq 0 ]
	tail -n 1 "$T/top.out" >"$T/last"
	vm=$(jq -c '.processes | map(select(.comm == "vfio_client")) | group_by(.vm != "web01")' "$T/last")
	jq -e 'length == 2 and (.[0] | length == 1) and (.[1] | length == 1)' <<<"$vm"
	jq -e '.[0][0] | .vm == "web01" and .vm_source == "libvirt" and .calls == 19 and .exited' <<<"$vm"
	jq -e '.[1][0] | .calls == 19 and .exited' <<<"$vm"
	vmpid=$(jq '.[0][0].pid' <<<"$vm")
	# batch: the process line's FD/DEVICE column, and nobody else
	grep -E "^ +$vmpid vfio_client \(exited\) +vm:web01 " "$T2/top.out"
	# and no other process in any snapshot
	[ "$(grep -E '^ +[0-9]+ ' "$T2/top.out" | grep -vc ' vm:web01 ')" -eq 0 ]
}

@test "export: the vm label on the client's series; promtool check metrics is clean" {
	command -v curl >/dev/null || skip "no curl"
	mkcg "$LIBVIRT"
	port=$((20000 + RANDOM % 20000))
	start exporting export export --listen "127.0.0.1:$port" -i 200ms --mode tracepoint "${CLASSIFY[@]}"
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	sleep 1
	curl -sf "http://127.0.0.1:$port/metrics" >"$T/page"
	grep -E '^iommuscope_ioctl_calls_total\{pid="[0-9]+",comm="vfio_client",vm="web01",ioctl="VFIO_GET_API_VERSION"' "$T/page"
	grep -E '^iommuscope_vm_label_folded_processes 0$' "$T/page"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$T/page"
	fi
}

@test "export -V: only that VM's series" {
	command -v curl >/dev/null || skip "no curl"
	mkcg "$LIBVIRT"
	port=$((20000 + RANDOM % 20000))
	start exporting export export --listen "127.0.0.1:$port" -i 200ms -V web01 --mode tracepoint "${CLASSIFY[@]}"
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	"$CLIENT" >/dev/null
	sleep 1
	curl -sf "http://127.0.0.1:$port/metrics" >"$T/page"
	[ "$(grep -cE '^iommuscope_ioctl_calls_total\{.*comm="vfio_client",vm="web01",' "$T/page")" -gt 10 ]
	[ "$(grep -E '^iommuscope_ioctl_calls_total\{' "$T/page" | grep -vc 'vm="web01"')" -eq 0 ]
	grep -E '^iommuscope_processes 1$' "$T/page"
}

@test "-V: an empty or over-long name is a usage error; trace -w and -r refuse it" {
	run "$BIN" trace -V ''
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --vm ''"* ]]
	run "$BIN" top -b --vm "$(printf 'x%.0s' {1..128})"
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --vm"* ]]
	run "$BIN" trace -w "$T/f.isc" -V web01
	[ "$status" -eq 2 ]
	[[ "$output" == *"no --vm with it"* ]]
	[ ! -e "$T/f.isc" ]
	run "$BIN" trace -r "$T/f.isc" -V web01
	[ "$status" -eq 2 ]
}

@test "trace -r: a replayed capture has no vm fields (no live cgroups to ask)" {
	mkcg "$LIBVIRT"
	start tracing trace trace -w "$T/cap.isc" --mode tracepoint "${CLASSIFY[@]}"
	in_cg "$LIBVIRT" "$CLIENT" >/dev/null
	stop_session "$SESSION_PID"
	[ "$session_status" -eq 0 ]
	"$BIN" trace -r "$T/cap.isc" --json >"$T/replay"
	[ "$(trace_events_of "$T/replay" vfio_client | jq length)" -eq 19 ]
	trace_events_of "$T/replay" vfio_client | jq -e 'all(has("vm") | not)'
}

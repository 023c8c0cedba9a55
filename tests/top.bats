#!/usr/bin/env bats
# iommutop on this host's kernel (root, tracepoint mode): the counts in the
# kernel equal what tests/client/vfio_client issued, the in-kernel
# mismatch classes equal user space's for the same calls, and the real
# full-screen view driven in tmux shows, sorts, filters and quits.
# VFIO fds are simulated with --classify (CLASSIFY in helpers.bash).

load helpers

setup() {
	[ "$(id -u)" -eq 0 ] || skip "live tests load BPF programs: need root"
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
	PIDS=()
	SOCK=iommutop-test-$$
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	restore_bpf_stats_sysctl
	true
}

# The manifest's calls per "name/fd_kind" (null name: the cmd number).
manifest_counts() {
	jq -s -c '[.[] | select(has("seq")) | "\(.name // .cmd)/\(.fd_kind)"]
		  | group_by(.) | map({key: .[0], value: length}) | from_entries' "$1"
}

# The same from the last --json snapshot, for one command name.
top_counts() {
	tail -n 1 "$1" | jq -c --arg c "$2" '[.processes[] | select(.comm == $c) | .ioctls[]
		| {k: "\(.ioctl // .cmd)/\(.fd_kind)", n: .calls}] | group_by(.k)
		| map({key: .[0].k, value: (map(.n) | add)}) | from_entries'
}

# start_top ARGS...: iommuscope top in the background until it counts.
start_top() {
	start_session counting top top "$@" || return 1
	TOP_PID=$SESSION_PID
	PIDS+=("$TOP_PID")
}

@test "top --json: per-ioctl call counts equal what the client issued" {
	start_top --json -n 1 -d 3s --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" --loops 3 --mix >"$T/manifest"
	wait "$TOP_PID"
	want=$(manifest_counts "$T/manifest")
	got=$(top_counts "$T/top.out" vfio_client)
	echo "manifest: $want"
	echo "top:      $got"
	[ "$want" = "$got" ]
	# totals, errors (every call fails on these char devices), header
	tail -n 1 "$T/top.out" | jq -e --argjson n "$(jq -s '[.[] | select(has("seq"))] | length' \
		"$T/manifest")" '.mode == "tracepoint" and .enforce == "off" and
		(.processes[] | select(.comm == "vfio_client") | .calls == $n and .errors == $n
		 and .denials == 0 and .p99_latency_ns > 0 and .avg_latency_ns > 0)'
}

@test "in-kernel mismatch classes agree with user space's for the same calls" {
	start_top --json -n 1 -d 3s --mode tracepoint "${CLASSIFY[@]}"
	start_session tracing trace trace --json --mode tracepoint "${CLASSIFY[@]}"
	PIDS+=("$SESSION_PID")
	trace_pid=$SESSION_PID
	"$CLIENT" --loops 2 --mix >"$T/manifest"
	sleep 0.3
	stop_session "$trace_pid" INT
	wait "$TOP_PID"
	# per "cmd/fd_kind": how many calls of each class (caps-truncated and
	# bad-version need more than one call or an IOMMU record: user space only)
	user=$(jq -s -S -c '[.[] | select(.type == "ioctl" and .comm == "vfio_client")
		| {k: "\(.cmd)/\(.fd_kind)", c: (.classes - ["caps-truncated", "bad-version"])}]
		| group_by(.k) | map({key: .[0].k, value: ([.[].c[]] | group_by(.)
		| map({key: .[0], value: length}) | from_entries)}) | from_entries' "$T/trace.out")
	kernel=$(tail -n 1 "$T/top.out" | jq -S -c '[.processes[] | select(.comm == "vfio_client")
		| .ioctls[] | {k: "\(.cmd)/\(.fd_kind)", m: .mismatches}] | group_by(.k)
		| map({key: .[0].k, value: (reduce .[].m as $m ({}; reduce ($m | to_entries[]) as $e
		(.; .[$e.key] += $e.value)) | with_entries(select(.value > 0)))}) | from_entries')
	echo "user space: $user"
	echo "kernel:     $kernel"
	[ "$user" = "$kernel" ]
	# every class the kernel counts occurs in this mix (newer-than-catalog:
	# an unknown command the "iommufd" fd's driver answers with EINVAL)
	jq -e '[.[] | keys[]] | unique == ["newer-struct", "newer-than-catalog", "older-struct",
		"truncated", "unknown-flags", "unknown-ioctl"]' <<<"$kernel"
}

@test "top -b: plain snapshots with the header, the process and its ioctls" {
	start_top -b -n 2 -d 1s --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" >/dev/null
	wait "$TOP_PID"
	[ "$(grep -c '^iommutop - kernel' "$T/top.out")" -eq 2 ]
	grep -q 'mode tracepoint' "$T/top.out"
	grep -E '^ *[0-9]+ vfio_client ' "$T/top.out"
	grep -E '^ +VFIO_IOMMU_MAP_DMA +container' "$T/top.out"
	grep -E '^ +0x3bfe +iommufd' "$T/top.out"
}

# header_line N FILE: line N (1-4) of the last snapshot's header in a -b output.
header_line() {
	awk -v n="$1" '/^iommutop - kernel/ { i = 0; h = "" } { i++; if (i == n) h = $0 }
		END { print h }' "$2"
}

@test "top -b --bpf-stats: the fourth header line, the programs' runs and this process's cost" {
	start_top -b -n 2 -d 1s --bpf-stats --mode tracepoint "${CLASSIFY[@]}"
	# calls in every interval
	(while :; do "$CLIENT" --loops 5 >/dev/null; sleep 0.1; done) &
	PIDS+=($!)
	wait "$TOP_PID"
	! grep -q warning "$T/top.err"
	line=$(header_line 4 "$T/top.out")
	echo "$line"
	[[ "$line" =~ ^bpf\ ([0-9]+)\ progs\ \ runs/s\ ([0-9.]+[KMGTP]?)\ \ avg\ ([0-9]+)\ ns\ \ cpu\ [0-9.]+%\ \ agent\ cpu\ [0-9.]+%\ \ rss\ [0-9.]+(K|M|G)iB$ ]]
	# the two tracepoint programs and the IOMMU core's map/unmap
	[ "${BASH_REMATCH[1]}" -ge 4 ]
	[ "${BASH_REMATCH[2]}" != 0 ]
	[ "${BASH_REMATCH[3]}" -gt 0 ]
	header_line 3 "$T/top.out" | grep -q '^faults '
}

@test "top --json --bpf-stats: every snapshot carries the fourth header line's figures" {
	start_top --json -n 2 -d 1s --bpf-stats --mode tracepoint "${CLASSIFY[@]}"
	(while :; do "$CLIENT" --loops 5 >/dev/null; sleep 0.1; done) &
	PIDS+=($!)
	wait "$TOP_PID"
	! grep -q warning "$T/top.err"
	[ "$(grep -c '^{' "$T/top.out")" -eq 2 ]
	jq -s -e 'all(.[]; .bpf_stats_enabled == true and .bpf_program_count >= 4
		and .bpf_runs > 0 and .bpf_run_time_ns > 0
		and (.bpf_cpu_percent | type) == "number" and .bpf_cpu_percent >= 0
		and (.agent_cpu_percent | type) == "number" and .agent_rss_bytes > 1048576)' "$T/top.out"
	# the last interval had calls: a rate and an average
	tail -n 1 "$T/top.out" | jq -e '.bpf_runs_per_s > 0 and .bpf_avg_run_ns > 0
		and .bpf_avg_run_ns < 1000000'
	# counters since the load only grow
	jq -s -e '.[1].bpf_runs >= .[0].bpf_runs' "$T/top.out"
}

@test "top --json without --bpf-stats, the sysctl 0: reported off, no rates" {
	set_bpf_stats_sysctl 0
	"$BIN" probe --json | jq -e '.bpf_stats_enabled == false' ||
		skip "statistics on: another session holds them"
	start_top --json -n 1 -d 500ms --mode tracepoint "${CLASSIFY[@]}"
	wait "$TOP_PID"
	tail -n 1 "$T/top.out" | jq -e '.bpf_stats_enabled == false and .bpf_program_count >= 4
		and .bpf_runs_per_s == null and .bpf_avg_run_ns == null and .bpf_cpu_percent == null
		and .agent_rss_bytes > 0'
}

@test "top -b without --bpf-stats: off while the sysctl is 0, on once it is 1 (then restored)" {
	set_bpf_stats_sysctl 0
	start_top -b -n 3 -d 1s --mode tracepoint "${CLASSIFY[@]}"
	"$CLIENT" --loops 5 >/dev/null
	# the first two snapshots with the sysctl off, the third with it on
	for _ in $(seq 30); do [ "$(grep -c '^iommutop - kernel' "$T/top.out")" -ge 2 ] && break; sleep 0.1; done
	set_bpf_stats_sysctl 1
	"$CLIENT" --loops 5 >/dev/null
	wait "$TOP_PID"
	restore_bpf_stats_sysctl
	grep '^bpf ' "$T/top.out"
	[ "$(grep -c '^bpf stats off (--bpf-stats)  progs [0-9]\+  agent cpu [0-9.]\+%  rss [0-9.]\+[KMG]iB$' \
		"$T/top.out")" -eq 2 ]
	header_line 4 "$T/top.out" | grep -qE '^bpf [0-9]+ progs  runs/s [0-9.]+[KMGTP]?  avg '
}

@test "top --bpf-stats where the kernel refuses them (no CAP_SYS_ADMIN): one warning, reported off" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	[ "$(cat "$BPF_STATS_SYSCTL")" = 0 ] || skip "kernel.bpf_stats_enabled is 1: statistics on anyway"
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		"$BIN" top -b -n 1 -d 500ms --bpf-stats --mode tracepoint >"$T/top.out" 2>"$T/top.err"
	cat "$T/top.err"
	[ "$(grep -c 'warning: --bpf-stats: cannot turn on BPF run-time statistics: Operation not permitted; reported as off' "$T/top.err")" -eq 1 ]
	[ "$(grep -c warning "$T/top.err")" -eq 1 ]
	header_line 4 "$T/top.out" | grep -q '^bpf stats off (--bpf-stats)'
}

@test "top: bad arguments are one-line usage errors (exit 2)" {
	for args in "--delay 0" "--delay 2h" "--sort bogus" "-n 0" "--iterations x" "extra"; do
		# shellcheck disable=SC2086
		run "$BIN" top -b $args
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "${lines[0]}" == "iommuscope: error: "* ]]
	done
	run "$BIN" top </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs a terminal; use --batch"* ]]
}

# ---- the full-screen view in tmux ----

tm() {
	tmux -L "$SOCK" "$@"
}

screen() {
	tm capture-pane -p -t top
}

# wait_screen REGEX [TRIES]: until the screen matches.
wait_screen() {
	for _ in $(seq "${2:-100}"); do
		screen | grep -qE "$1" && return 0
		sleep 0.1
	done
	echo "screen never matched '$1':"
	screen
	return 1
}

# Traffic from two processes: "zz_busy_client" issues 10 times the calls
# of "vfio_client": first by calls/s, last by name.
traffic() {
	cp "$CLIENT" "$T/vfio_client"
	cp "$CLIENT" "$T/zz_busy_client"
	(while :; do "$T/vfio_client" >/dev/null; sleep 0.2; done) &
	PIDS+=($!)
	(while :; do "$T/zz_busy_client" --loops 10 >/dev/null; sleep 0.2; done) &
	PIDS+=($!)
}

@test "iommutop in tmux: rows, sorting, filtering, detail, quit, terminal restored" {
	command -v tmux >/dev/null || skip "tmux not installed"
	ln -sf "$(realpath "$BIN")" "$T/iommutop"
	traffic
	tm -f /dev/null new-session -d -s top -x 200 -y 50 "stty -a > $T/stty.before; \
		$T/iommutop -d 500ms --mode tracepoint ${CLASSIFY[*]} 2>$T/top.err; \
		echo exit=\$? > $T/top.rc; stty -a > $T/stty.after; sleep 30"
	wait_screen '^iommutop - kernel .* mode tracepoint'
	# four header lines, a blank one, the column titles
	screen | sed -n 4p | grep -q '^bpf stats off (--bpf-stats)\|^bpf [0-9]* progs'
	screen | sed -n 6p | grep -qE '^ +PID COMM +FD/DEVICE'
	# both processes, the busiest first (sorted by calls/s)
	wait_screen 'zz_busy_client'
	wait_screen 'vfio_client'
	first=$(screen | grep -oE '(zz_busy|vfio)_client' | head -n 1)
	[ "$first" = zz_busy_client ]
	screen | grep -qE 'CALLS/s\*'
	# 's' steps through the sort columns: 9 times from calls/s is the
	# command name, which puts vfio_client first
	for _ in 1 2 3 4 5 6 7 8 9; do tm send-keys -t top s; done
	wait_screen 'COMM\*'
	sleep 0.6
	first=$(screen | grep -oE '(zz_busy|vfio)_client' | head -n 1)
	[ "$first" = vfio_client ]
	# 'S' steps back: pid
	# expand the selected process into its ioctls
	tm send-keys -t top S
	wait_screen 'PID\*'
	tm send-keys -t top s
	wait_screen 'COMM\*'
	# expand the selected process (vfio_client, first) into its ioctls
	tm send-keys -t top Right
	wait_screen '^ +VFIO_IOMMU_MAP_DMA +container'
	tm send-keys -t top Left
	sleep 0.6
	! screen | grep -qE '^ +VFIO_IOMMU_MAP_DMA'
	# j/k move the selection (the line in reverse video is not visible in
	# a capture; moving and back must not break anything)
	tm send-keys -t top j k Down Up
	# filter: only vfio_client
	tm send-keys -t top f v f i o Enter
	wait_screen 'f filter \[vfio\]'
	sleep 1
	! screen | grep -q zz_busy_client
	screen | grep -q vfio_client
	# detail of the selected process: histogram and recent mismatches
	tm send-keys -t top Enter
	wait_screen 'latency, log2 buckets'
	wait_screen 'older-struct'
	screen | grep -qE '^ +[0-9]+ \.\. [0-9]+ +ns +[0-9]+ \|#+'
	tm send-keys -t top Escape
	wait_screen 'CALLS/s|COMM\*'
	# resize: the view follows the new size
	tm resize-window -t top -x 120 -y 30 2>/dev/null || tm resize-pane -t top -x 120 -y 30
	# (redrawn on KEY_RESIZE: give a loaded host time)
	for _ in $(seq 50); do
		[ "$(screen | wc -l)" -eq 30 ] && screen | tail -n 1 | grep -q 'q quit' && break
		sleep 0.1
	done
	[ "$(screen | wc -l)" -eq 30 ]
	screen | tail -n 1 | grep -q 'q quit'
	# quit: exit 0, the terminal's modes as before, nothing left over
	tm send-keys -t top q
	for _ in $(seq 50); do [ -f "$T/top.rc" ] && break; sleep 0.1; done
	cat "$T/top.rc"
	grep -qx 'exit=0' "$T/top.rc"
	for _ in $(seq 20); do [ -f "$T/stty.after" ] && break; sleep 0.1; done
	# (the first line has the size, which the resize changed)
	diff <(tail -n +2 "$T/stty.before") <(tail -n +2 "$T/stty.after")
	# the ready line went to the terminal's stderr after the screen was gone
	grep -q 'iommuscope: counting VFIO/iommufd ioctls in tracepoint mode' "$T/top.err" ||
		grep -q 'counting VFIO' <(screen)
}

@test "iommutop in tmux: Ctrl-C and SIGTERM restore the terminal" {
	command -v tmux >/dev/null || skip "tmux not installed"
	for how in C-c TERM; do
		rm -f "$T/top.rc" "$T/stty.after"
		tm -f /dev/null new-session -d -s top -x 160 -y 40 "stty -a > $T/stty.before; \
			sh -c 'echo \$\$ > $T/top.pid; exec $BIN top -d 500ms --mode tracepoint' \
			2>$T/top.err; echo exit=\$? > $T/top.rc; stty -a > $T/stty.after; sleep 30"
		wait_screen '^iommutop - kernel'
		if [ "$how" = C-c ]; then
			tm send-keys -t top C-c
		else
			kill -TERM "$(cat "$T/top.pid")"
		fi
		for _ in $(seq 50); do [ -f "$T/stty.after" ] && break; sleep 0.1; done
		grep -qx 'exit=0' "$T/top.rc"
		diff "$T/stty.before" "$T/stty.after"
		# the alternate screen is gone: the shell's screen is back
		! screen | grep -q '^iommutop - kernel'
		tm kill-session -t top
	done
}

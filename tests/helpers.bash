# Shared by the bats files: compare a client's manifest with a trace.

# Keys a manifest line may carry that the trace must reproduce exactly.
# Manifests written by tests/workload use a few other names; they are
# mapped first (dev_name, errno_name, DEVICE_FEATURE's index), and record
# libc's -1 with errno where the kernel (and the trace) has -errno.
MANIFEST_NORMALIZE='
	def norm:
		(if has("dev_name") then .device_name = .dev_name else . end)
		| (if .ret == -1 and (.errno | type) == "number" and .errno > 0 then .ret = -.errno
		   else . end)
		| (if has("errno_name") then .errno = (if .errno_name == "" then null else .errno_name end)
		   else . end)
		| (if .name == "VFIO_DEVICE_FEATURE" and has("index") then .feature = .index | del(.index)
		   else . end)
		| (if (.op | type) == "string" then del(.op) else . end)
		| with_entries(select(.key | IN("fd", "fd_kind", "name", "cmd", "argsz", "flags",
			"ret", "errno", "arg", "container_fd", "device_name", "iova", "size", "vaddr",
			"index", "start", "count", "feature", "op", "argsz_out", "ioas_id", "id")));
'

# compare_with_manifest MANIFEST EVENTS_JSON: every compared key of every
# ioctl line of MANIFEST equals the trace record at the same position.
# Prints the differences (and the count) and fails on any.
compare_with_manifest() {
	local manifest=$1 events=$2 diff
	diff=$(jq -rn --slurpfile all "$manifest" --argjson ev "$events" "$MANIFEST_NORMALIZE"'
		[$all[] | select(has("seq") and has("name"))] as $m
		| if ($m | length) != ($ev | length) then
			"count: manifest \($m | length), trace \($ev | length)"
		  else
			[range(0; $m | length) as $i | $m[$i] | norm | to_entries[]
			 | select(.value != $ev[$i][.key])
			 | "call \($i) \($m[$i].name): \(.key) manifest \(.value) trace \($ev[$i][.key])"]
			| join("\n")
		  end | select(length > 0)')
	if [ -n "$diff" ]; then
		printf '%s\n' "$diff" | head -n 40
		return 1
	fi
}

# start_session WHAT NAME ARGS...: "$BIN" ARGS in the background, stdout to
# $T/NAME.out and stderr to $T/NAME.err, until it says "iommuscope: WHAT"
# (it is attached). SESSION_PID is its pid.
start_session() {
	local what=$1 name=$2
	shift 2
	"$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	SESSION_PID=$!
	for _ in $(seq 300); do
		grep -q "^iommuscope: $what" "$T/$name.err" && return 0
		kill -0 "$SESSION_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "$name did not start:"
	cat "$T/$name.err"
	return 1
}

# stop_session PID [SIGNAL]: stop it and wait; $session_status is its exit code.
stop_session() {
	kill -"${2:-INT}" "$1"
	session_status=0
	wait "$1" || session_status=$?
}

# ioctl records of one command name in a JSON Lines trace, as an array.
trace_events_of() {
	jq -s --arg c "$2" 'map(select(.type == "ioctl" and .comm == $c))' "$1"
}

# The host's stand-ins for VFIO fds (live.bats explains them): the char
# devices tests/client/vfio_client issues its calls on.
# shellcheck disable=SC2034
CLASSIFY=(--classify /dev/null=container --classify /dev/zero=group
	  --classify /dev/full=device --classify /dev/urandom=iommufd)

# outeq FILE.isc MIN: the records of a trace -w file printed through the
# sinks and through the frozen json-c/fprintf reference
# (tests/unit/test_outeq.c), byte for byte in JSON and in text; at least
# MIN ioctl records in it. The test binary is the host's: ISC_OUTEQ
# (scripts/test-guest.sh builds it), else .output/tests/test_outeq.
outeq() {
	local bin=${ISC_OUTEQ:-$BATS_TEST_DIRNAME/../.output/tests/test_outeq} out n
	[ -x "$bin" ] || { echo "no $bin: run 'make $bin' (or make test-unit)"; return 1; }
	out=$("$bin" "$1" 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	tail -n 1 <<<"$out" | grep -qE '^outeq: [0-9]+ passed, 0 failed$' || return 1
	n=$(sed -n "s|^outeq: $1: [0-9]* records compared in JSON and text (ioctl \([0-9]*\),.*), 0 different$|\1|p" \
		<<<"$out")
	[ -n "$n" ] && [ "$n" -ge "$2" ]
}

# The sysctl kernel.bpf_stats_enabled: set_bpf_stats_sysctl VALUE keeps
# the value it had, which restore_bpf_stats_sysctl (in teardown) puts back.
BPF_STATS_SYSCTL=/proc/sys/kernel/bpf_stats_enabled
set_bpf_stats_sysctl() {
	[ -n "${BPF_STATS_WAS:-}" ] || BPF_STATS_WAS=$(cat "$BPF_STATS_SYSCTL")
	echo "$1" >"$BPF_STATS_SYSCTL"
}
restore_bpf_stats_sysctl() {
	[ -z "${BPF_STATS_WAS:-}" ] || echo "$BPF_STATS_WAS" >"$BPF_STATS_SYSCTL"
	BPF_STATS_WAS=
}

# probe_prog_runs FILE: "name run_cnt type avg_ns" of every program in a
# probe --json output's bpf_programs.
probe_prog_runs() {
	jq -r '.bpf_programs[] | "\(.name) \(.run_cnt) \(.type) \(.avg_ns)"' "$1"
}

# start_prometheus CONFIG PORT: Debian's prometheus on 127.0.0.1:PORT with
# CONFIG, its data in $T/tsdb, until it is ready. PROM_PID is its pid.
start_prometheus() {
	prometheus --config.file="$1" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$2" >"$T/prom.log" 2>&1 &
	PROM_PID=$!
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$2/-/ready" >/dev/null && return 0
		kill -0 "$PROM_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "prometheus did not start:"
	cat "$T/prom.log"
	return 1
}

# device_records FILE COMM MIN: every ioctl record of COMM in FILE (trace
# JSON) on a device fd names edu ($ISC_GUEST_DIR/env.json's bdf and group),
# at least MIN of them; no record on another kind of fd has a device.
device_records() {
	local env=${ISC_GUEST_DIR:?}/env.json
	jq -s -e --arg c "$2" --arg b "$(jq -r .bdf "$env")" --argjson g "$(jq -r .group "$env")" \
		--argjson n "$3" '
		map(select(.type == "ioctl" and .comm == $c)) as $r
		| ($r | map(select(.fd_kind == "device"))) as $d
		| ($d | length) >= $n
		and ($d | all(.device == $b and .iommu_group == $g))
		and ($r | map(select(.fd_kind != "device")) | all(has("device") or has("iommu_group") | not))' \
		"$1" || {
		echo "$1: device records of $2:"
		jq -c --arg c "$2" 'select(.type == "ioctl" and .comm == $c)
			| {fd_kind, name, device, iommu_group}' "$1" | sort | uniq -c | head -20
		false
	}
}

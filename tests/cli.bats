#!/usr/bin/env bats
# The command line: help, versions, bad arguments (exit 2, one-line error),
# privileges, and the shape of probe's JSON.

setup() {
	BIN=${ISC_BIN:-.output/iommuscope}
}

# Bad input gets exactly one "iommuscope: error:" line and exit code 2.
usage_error() {
	run "$BIN" "$@"
	[ "$status" -eq 2 ]
	[ "$(grep -c '^iommuscope: error:' <<<"$output")" -eq 1 ] || [[ "$output" == *usage:* ]]
}

@test "--help lists the commands and exits 0" {
	run "$BIN" --help
	[ "$status" -eq 0 ]
	for c in probe trace audit "profile record" check; do
		grep -qE "^  $c " <<<"$output" || { echo "missing $c"; false; }
	done
}

@test "--version prints the version and the libbpf version" {
	run "$BIN" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^iommuscope\ [0-9]+\.[0-9]+\.[0-9]+\ \(libbpf\ v[0-9] ]]
}

@test "no command is a usage error" {
	run "$BIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *usage:* ]]
}

@test "unknown command and unknown global option are usage errors" {
	usage_error frobnicate
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	usage_error --frobnicate
}

@test "trace --help documents every option" {
	run "$BIN" trace --help
	[ "$status" -eq 0 ]
	for opt in --json --pid --comm --duration --mode --ringbuf-size --classify; do
		[[ "$output" == *"$opt"* ]] || { echo "missing $opt"; false; }
	done
}

@test "trace --help names its man page, iommuscope-trace(8)" {
	run "$BIN" trace --help
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "See iommuscope-trace(8)." ]
}

@test "every command's --help names a man page that docs/ has" {
	local docs=$BATS_TEST_DIRNAME/../docs cmd page n
	for cmd in "" probe trace audit profile "profile record" check enforce policy \
		"policy learn" top export; do
		run "$BIN" $cmd --help
		[ "$status" -eq 0 ] || { echo "$cmd: status $status"; false; }
		[[ "${lines[-1]}" == "See "*"." ]] || { echo "$cmd: no man page named"; false; }
		n=0
		for page in $(grep -oE '[a-z-]+\([58]\)' <<<"${lines[-1]}"); do
			[ -f "$docs/${page%(*}.${page//[^0-9]/}" ] ||
				{ echo "$cmd: $page is not in docs/"; false; }
			n=$((n + 1))
		done
		[ "$n" -ge 1 ]
	done
	run "$(dirname "$BIN")/iommutop" --help
	[ "${lines[-1]}" = "See iommutop(8)." ]
}

@test "trace rejects bad arguments before touching the kernel" {
	usage_error trace --pid abc
	[[ "$output" == *"invalid --pid 'abc'"* ]]
	usage_error trace --pid 0
	usage_error trace --pid -5
	usage_error trace --duration soon
	usage_error trace --duration 0
	usage_error trace --mode fast
	[[ "$output" == *"auto, full or tracepoint"* ]]
	usage_error trace --ringbuf-size 3
	usage_error trace --ringbuf-size 2048
	usage_error trace --comm ""
	usage_error trace --comm abcdefghijklmnopq
	usage_error trace --bogus
	usage_error trace extra-arg
}

@test "probe rejects bad arguments" {
	usage_error probe --bogus
	usage_error probe extra
}

@test "--classify with a bad spec is a usage error with the reason" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to get past the privilege check"
	usage_error trace --classify /dev/null
	[[ "$output" == *"PATH=KIND"* ]]
	usage_error trace --classify /dev/null=toaster
	[[ "$output" == *"unknown fd kind 'toaster'"* ]]
	usage_error trace --classify /etc/passwd=container
	[[ "$output" == *"not a character device"* ]]
	usage_error trace --classify /nonexistent=container
}

@test "without privileges: a clear one-line error and exit 1" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	[ "$(id -u)" -eq 0 ] || skip "needs root to drop to nobody"
	for cmd in probe trace "top -b" "export --listen 127.0.0.1:29999"; do
		# shellcheck disable=SC2086
		run setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$BIN" $cmd
		[ "$status" -eq 1 ]
		[ "$output" = "iommuscope: error: must be run as root (needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)" ]
	done
}

@test "iommutop alias is the live view: help, and no terminal is a usage error" {
	run "$(dirname "$BIN")/iommutop" --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: iommutop [OPTIONS]" ]]
	run "$(dirname "$BIN")/iommutop" </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "iommuscope: error: top: the full-screen view needs a terminal; use --batch or --json" ]
}

@test "probe --json: one object with the documented fields and types" {
	[ "$(id -u)" -eq 0 ] || skip "probe loads BPF programs: needs root"
	run "$BIN" probe --json
	[ "$status" -eq 0 ]
	jq -e '
		(.kernel | type == "string") and
		(.hostname == null or (.hostname | type == "string")) and
		(.vmlinux_btf | type == "boolean") and
		(.bpf_lsm | type == "boolean") and
		(.module_btf | type == "string") and
		(.container_backend | IN("none", "vfio", "iommufd")) and
		(.hooks | length == 25) and
		(.hooks | all(has("target") and has("present") and has("loaded") and
			      has("attached") and has("used") and has("reason"))) and
		([.hooks[].type] | unique == ["bind", "fault", "fentry", "invalidate", "lsm",
					      "map", "response", "tracepoint"]) and
		(.mode | IN("full", "tracepoint", null)) and
		(.tracepoint_available | type == "boolean") and
		(.full_available | type == "boolean")
	' <<<"$output"
	# the release is the running kernel's
	[ "$(jq -r .kernel <<<"$output")" = "$(uname -r)" ]
	# and the host's name, where it is one (a guest's "(none)" is not)
	if [[ $(uname -n) =~ ^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*$ ]]; then
		[ "$(jq -r .hostname <<<"$output")" = "$(uname -n)" ]
	else
		[ "$(jq -r .hostname <<<"$output")" = null ]
	fi
	# a hook that did not attach always says why
	jq -e '.hooks | map(select(.attached | not)) | all(.reason | type == "string" and length > 0)' <<<"$output"
	# the newest uapi headers the catalog was checked against (ISC_HEADERS)
	# and whether this kernel is newer than them
	want=$(sed -n 's/^ISC_HEADERS(\([0-9]*\), \([0-9]*\))$/\1.\2/p' "$BATS_TEST_DIRNAME/../include/catalog.def")
	[ -n "$want" ]
	jq -e --arg h "$want" --arg k "$(uname -r | cut -d. -f1-2)" '.catalog_headers == $h and
		.kernel_newer_than_catalog == (($k | split(".") | map(tonumber)) >
					      ($h | split(".") | map(tonumber)))' <<<"$output"
}

@test "probe text agrees with probe --json on the mode" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	mode=$("$BIN" probe --json | jq -r '.mode // "none"')
	run "$BIN" probe
	[ "$status" -eq 0 ]
	grep -q "^mode            $mode " <<<"$output"
}

@test "trace -r reads a capture of the previous record version (2: calls without their device)" {
	f=$BATS_TEST_DIRNAME/fuzz/corpus/tracefile/vfio_client.isc
	# the header's records version (bytes 12-15) is 2
	[ "$(od -An -tu4 -j12 -N4 "$f" | tr -d ' ')" -eq 2 ]
	run "$BIN" trace -r "$f" --json
	[ "$status" -eq 0 ]
	[ "$(jq -s 'map(select(.type == "ioctl")) | length' <<<"$output")" -eq 19 ]
	jq -s -e 'map(select(.fd_kind == "device")) | length == 6' <<<"$output"
	jq -s -e 'all(has("device") or has("iommu_group") | not)' <<<"$output"
}

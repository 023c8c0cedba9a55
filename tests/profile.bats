#!/usr/bin/env bats
# profile / check on any host: a real profile recorded in the 6.1 guest and
# real 'probe --json' outputs of the 5.10, 6.12 and iommufd guests
# (tests/profiles/), the probes of every guest kernel for the fleet matrix
# (tests/probes/), and a corpus of malformed profiles, each refused with one
# clear error.

bats_require_minimum_version 1.5.0

setup() {
	BIN=${ISC_BIN:-.output/iommuscope}
	P=tests/profiles
	F=tests/probes
}

@test "check --against 5.10: the 6.1 workload would be degraded and rejected there (exit 3)" {
	run "$BIN" check "$P/workload-6.1.json" --against "$P/probe-5.10.json"
	[ "$status" -eq 3 ]
	[[ "$output" == *"degraded VFIO_CHECK_EXTENSION(UNMAP_ALL): answered 1 on 6.1.0-50-amd64, 0 here: the workload loses it"* ]]
	[[ "$output" == *"rejected VFIO_DEVICE_FEATURE (device) argsz=8 flags=0x60003: unknown-ioctl here, not on 6.1.0-50-amd64: VFIO_DEVICE_FEATURE LOW_POWER_ENTRY (index 3) needs Linux >= 6.1 (ENOTTY)"* ]]
	[[ "$output" == *"rejected VFIO_DEVICE_FEATURE (device) argsz=16 flags=0x10001: unknown-ioctl here, not on 6.1.0-50-amd64: VFIO_DEVICE_FEATURE MIGRATION (index 1) needs Linux >= 5.18 (ENOTTY)"* ]]
	[[ "$output" == *": 2 rejected, 1 degraded, 0 notes"* ]]
}

@test "check --against 6.12 --json: one note, compatible (exit 0)" {
	run "$BIN" check --json "$P/workload-6.1.json" --against "$P/probe-6.12.json"
	[ "$status" -eq 0 ]
	jq -s -e '.[0] | .severity == "note" and .ioctl == "VFIO_DEVICE_GET_INFO" and .argsz == 20
		and .class_here == "older-struct" and (.text | test("this kernel.s 24"))' <<<"$output"
	jq -s -e '.[1] | .type == "summary" and .calls > 20 and .rejected == 0 and .degraded == 0
		and .notes == 1 and .compatible' <<<"$output"
}

@test "check --against iommufd: type1's VADDR is rejected where iommufd serves the container" {
	# the 6.1 workload as a VMM that updates vaddrs (QEMU's CPR) would run it
	jq '.calls += [{"ioctl": "VFIO_IOMMU_MAP_DMA", "cmd": 15217, "fd_kind": "container",
		"argsz": 32, "flags": 7, "count": 1, "ok": 1, "errno": null, "classes": []}]
	    | .extensions.UPDATE_VADDR = 1' "$P/workload-6.1.json" >"$BATS_TEST_TMPDIR/cpr.json"
	run "$BIN" check "$BATS_TEST_TMPDIR/cpr.json" --against "$P/probe-iommufd.json"
	[ "$status" -eq 3 ]
	[[ "$output" == *"rejected VFIO_IOMMU_MAP_DMA (container) argsz=32 flags=0x7: unknown-flags here, not on 6.1.0-50-amd64: flags VADDR unknown to VFIO_IOMMU_MAP_DMA on Linux 7.2, compat-container fd (it accepts READ|WRITE); VADDR is not accepted when iommufd serves the container"* ]]
	[[ "$output" == *"degraded VFIO_CHECK_EXTENSION(UPDATE_VADDR)"* ]]
	# the same profile on a type1 host of the same era: VADDR is fine there
	run "$BIN" check "$BATS_TEST_TMPDIR/cpr.json" --against "$P/probe-6.12.json"
	[[ "$output" != *"rejected VFIO_IOMMU_MAP_DMA"* ]]
}

@test "check: a profile judged against its own kernel has nothing to report" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to record"
	out=$BATS_TEST_TMPDIR/self.json
	"$BIN" profile record -o "$out" -d 1 2>/dev/null
	jq -e '.iommuscope_profile == 1 and (.calls | length) == 0' "$out"
	run "$BIN" check "$out"
	[ "$status" -eq 0 ]
	[[ "$output" == *": 0 rejected, 0 degraded, 0 notes"* ]]
}

@test "check: every malformed profile is refused with one error naming the place (exit 2)" {
	while read -r file want; do
		run "$BIN" check "$P/bad/$file"
		[ "$status" -eq 2 ] || { echo "$file: status $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$file: ${#lines[@]} lines"; false; }
		[[ "$output" == "iommuscope: error: $P/bad/$file"*"$want"* ]] ||
			{ echo "$file: $output"; false; }
	done <<'LIST'
syntax.json :4:3: array value separator ',' expected
truncated.json :1:178: the file ends in the middle of the JSON
trailing.json :2:1: unexpected text after the profile
empty.json : empty file
nul.json : not a text file (a NUL byte)
not-object.json : the profile must be a JSON object
wrong-version.json : iommuscope_profile: expected 1
no-kernel.json : recorded.kernel: expected
calls-not-array.json : calls: expected an array
bad-cmd.json : calls[0].cmd: expected a VFIO/iommufd ioctl number
bad-kind.json : calls[0].fd_kind: expected container
name-mismatch.json : calls[0].ioctl: not what 0x3b71 means on a container fd (VFIO_IOMMU_MAP_DMA)
negative-argsz.json : calls[0].argsz: expected an integer from 0 to 4294967295 or null
count-zero.json : calls[0].count: expected a positive integer
ok-over-count.json : calls[0].ok: expected an integer no larger than count
unknown-class.json : calls[0].classes[0]: unknown class 'weird'
too-many-caps.json : calls[0].caps: expected at most 8 capability ids
bad-extension.json : extensions.FROBNICATE: unknown extension
extension-value.json : extensions.UNMAP_ALL: expected 0 or 1
LIST
	[ "$(ls "$P/bad" | wc -l)" -eq 19 ]	# every file of the corpus is in the list
}

@test "check and profile: usage errors" {
	run "$BIN" check
	[ "$status" -eq 2 ]
	run "$BIN" check a.json b.json
	[ "$status" -eq 2 ]
	run "$BIN" check /nonexistent.json
	[ "$status" -eq 2 ]
	[[ "$output" == "iommuscope: error: cannot read profile /nonexistent.json: No such file or directory" ]]
	run "$BIN" check "$P/workload-6.1.json" --against "$P/bad/not-object.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not the output of 'iommuscope probe --json'"* ]]
	run "$BIN" profile
	[ "$status" -eq 2 ]
	run "$BIN" profile replay
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown verb 'replay'"* ]]
	run "$BIN" profile record -d 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"-o FILE is required"* ]]
}

@test "check --against DIR: a matrix of the guest kernels, 5.10 rejects the 6.1 workload (exit 3)" {
	run --separate-stderr "$BIN" check "$P/workload-6.1.json" --against "$F"
	[ "$status" -eq 3 ]
	printf '%s\n' "${lines[@]}"
	[ "${#lines[@]}" -eq 7 ]
	[[ "${lines[0]}" == "HOST    KERNEL  BACKEND  VERDICT  REJECTED DEGRADED NOTES  REASON" ]]
	# one row per probe, sorted by file name; the reason: the worst finding's
	[[ "${lines[1]}" == "5.10    5.10    vfio     rejected        2        1     0  VFIO_DEVICE_FEATURE (device) argsz=16 flags=0x10001: unknown-ioctl here, not on 6.1.0-50-amd64: VFIO_DEVICE_FEATURE MIGRATION (index 1) needs Linux >= 5.18 (ENOTTY)" ]]
	[[ "${lines[2]}" == "6.1     6.1     vfio     fine            0        0     0  -" ]]
	[[ "${lines[3]}" == "6.12    6.12    vfio     fine            0        0     1  VFIO_DEVICE_GET_INFO (device) argsz=20 flags=0x0: older-struct here"* ]]
	[[ "${lines[4]}" == "7.2     7.2     vfio     fine            0        0     1  "* ]]
	[[ "${lines[5]}" == "7.3     7.3     vfio     fine            0        0     1  "* ]]
	[[ "${lines[6]}" == "iommufd 7.2     iommufd  fine            0        0     1  "* ]]
	[ "$stderr" = "iommuscope: 27 recorded calls (from 6.1.0-50-amd64) checked against 6 hosts: 1 rejected, 0 degraded, 5 fine" ]
	# only hosts that take it: exit 0
	run "$BIN" check "$P/workload-6.1.json" -a "$F/6.12.json" -a "$F/7.3.json" -a "$F/iommufd.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"checked against 3 hosts: 0 rejected, 0 degraded, 3 fine"* ]]
}

@test "check --against DIR --json: per host the verdict and exactly the findings of a single-host check" {
	run --separate-stderr "$BIN" check --json "$P/workload-6.1.json" --against "$F"
	[ "$status" -eq 3 ]
	[ -z "$stderr" ]
	jq -s -e '.[:-1] | map(.host) == ["5.10", "6.1", "6.12", "7.2", "7.3", "iommufd"]' <<<"$output"
	jq -s -e '.[:-1] | map(.verdict) == ["rejected", "fine", "fine", "fine", "fine", "fine"]' <<<"$output"
	jq -s -e '.[0] | .type == "host" and .file == "tests/probes/5.10.json" and .kernel == "5.10"
		and .backend == "vfio" and .rejected == 2 and .degraded == 1 and .notes == 0
		and (.reason | test("MIGRATION \\(index 1\\) needs Linux >= 5.18"))' <<<"$output"
	jq -s -e '.[-1] == {"type": "summary", "calls": 27, "hosts": 6, "rejected": 1,
		"degraded": 0, "fine": 5, "compatible": false}' <<<"$output"
	# the same judge as one host at a time
	for h in 5.10 6.1 6.12 7.2 7.3 iommufd; do
		one=$("$BIN" check --json "$P/workload-6.1.json" --against "$F/$h.json" | jq -s -c '.[:-1]')
		all=$(jq -s -c --arg h "$h" '.[] | select(.host == $h) | .findings' <<<"$output")
		[ "$one" = "$all" ] || { echo "$h: alone $one, in the matrix $all"; false; }
	done
}

@test "check --against twice the same file name: rows named by their directory" {
	mkdir -p "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/new"
	cp "$F/5.10.json" "$BATS_TEST_TMPDIR/old/probe.json"
	cp "$F/7.3.json" "$BATS_TEST_TMPDIR/new/probe.json"
	run --separate-stderr "$BIN" check "$P/workload-6.1.json" -a "$BATS_TEST_TMPDIR/old/probe.json" \
		-a "$BATS_TEST_TMPDIR/new/probe.json"
	[ "$status" -eq 3 ]
	[[ "${lines[1]}" == "old  5.10    vfio     rejected"* ]]
	[[ "${lines[2]}" == "new  7.3     vfio     fine"* ]]
	# a directory holding one probe is a matrix too
	run --separate-stderr "$BIN" check "$P/workload-6.1.json" -a "$BATS_TEST_TMPDIR/new"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "HOST  "* && "${lines[1]}" == "probe "* ]]
}

@test "check --against: rows named by the probes' hostnames; a name two probes share falls back to their files" {
	d=$BATS_TEST_TMPDIR
	jq '.hostname = "hv-a.example"' "$F/5.10.json" >"$d/x.json"
	jq '.hostname = "hv-b"' "$F/7.3.json" >"$d/y.json"
	jq '.hostname = "hv-b"' "$F/6.12.json" >"$d/z.json"
	run --separate-stderr "$BIN" check "$P/workload-6.1.json" -a "$d/x.json" -a "$d/y.json"
	[ "$status" -eq 3 ]
	[[ "${lines[1]}" == "hv-a.example 5.10    vfio     rejected"* ]]
	[[ "${lines[2]}" == "hv-b         7.3     vfio     fine"* ]]
	run --separate-stderr "$BIN" check --json "$P/workload-6.1.json" -a "$d/x.json" -a "$d/y.json" -a "$d/z.json"
	jq -s -e '.[:-1] | map([.host, .hostname]) == [["hv-a.example", "hv-a.example"], ["y", "hv-b"], ["z", "hv-b"]]' <<<"$output"
	# a probe without the field (older, or a host with no name): null, named by its file
	run --separate-stderr "$BIN" check --json "$P/workload-6.1.json" -a "$F/7.3.json" -a "$d/x.json"
	jq -s -e '.[0] | .host == "7.3" and .hostname == null' <<<"$output"
}

@test "check --against: a hostname that is not one (control characters, spaces, over-long, not a string): one line, exit 2" {
	for h in '"a\nb"' '"web 01"' '"a..b"' '"-"' '""' '5' "\"$(printf 'a%.0s' {1..64})\"" '"a\u001b[31m"'; do
		jq ".hostname = $h" "$F/7.3.json" >"$BATS_TEST_TMPDIR/h.json"
		run --separate-stderr "$BIN" check "$P/workload-6.1.json" -a "$F/6.1.json" -a "$BATS_TEST_TMPDIR/h.json"
		[ "$status" -eq 2 ] || { echo "$h: status $status"; false; }
		[ -z "$output" ]
		[ "$stderr" = "iommuscope: error: $BATS_TEST_TMPDIR/h.json: \"hostname\" is not a host name (letters, digits, '-', '_', '.')" ]
	done
}

@test "check --against: a missing file, an empty directory, a file that is not a probe: one line, exit 2, nothing printed" {
	mkdir -p "$BATS_TEST_TMPDIR/empty" "$BATS_TEST_TMPDIR/mixed"
	cp "$F/6.1.json" "$F/7.3.json" "$P/workload-6.1.json" "$BATS_TEST_TMPDIR/mixed/"
	touch "$BATS_TEST_TMPDIR/empty/notes.txt"
	bad() {
		run --separate-stderr "$BIN" check "$@"
		[ "$status" -eq 2 ] || { echo "$*: status $status"; false; }
		[ -z "$output" ] || { echo "$*: printed $output"; false; }
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
	}
	bad "$P/workload-6.1.json" -a "$F" -a "$BATS_TEST_TMPDIR/none.json"
	[ "$stderr" = "iommuscope: error: cannot read probe $BATS_TEST_TMPDIR/none.json: No such file or directory" ]
	bad "$P/workload-6.1.json" -a "$BATS_TEST_TMPDIR/empty"
	[ "$stderr" = "iommuscope: error: $BATS_TEST_TMPDIR/empty: no probe files (*.json) in this directory" ]
	bad --json "$P/workload-6.1.json" -a "$BATS_TEST_TMPDIR/mixed"
	[ "$stderr" = "iommuscope: error: $BATS_TEST_TMPDIR/mixed/workload-6.1.json: not the output of 'iommuscope probe --json'" ]
	bad "$P/workload-6.1.json" -a "$F" -a "$P/bad/not-object.json"
	[[ "$stderr" == *"bad/not-object.json: not the output of 'iommuscope probe --json'" ]]
	bad "$P/bad/syntax.json" -a "$F"
	[[ "$stderr" == "iommuscope: error: $P/bad/syntax.json:4:3: "* ]]
}

@test "check --against: files of one name are told apart by their directory, or their whole path at /" {
	d=$(mktemp -d)
	top=/isc-bats-$$.json
	cp "$F/6.12.json" "$top"
	mkdir "$d/hostb"
	cp "$F/7.3.json" "$d/hostb/isc-bats-$$.json"
	run --separate-stderr "$BIN" check "$P/workload-6.1.json" -a "$top" -a "$d/hostb/isc-bats-$$.json"
	rm -rf "$d" "$top"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}"
	# a file at / has no directory to name it by: its whole path
	[[ "${lines[1]}" == "$top "* ]]
	[[ "${lines[2]}" == "hostb "* ]]
}

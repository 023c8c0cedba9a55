#!/usr/bin/env bats
# valgrind (memcheck) over a live trace session with traffic: no invalid
# reads or writes, no uninitialised use, no definite or indirect leaks.
# tests/valgrind.supp holds only libbpf's bpf_attr prefix (see there).

setup() {
	[ "$(id -u)" -eq 0 ] || skip "loads BPF programs: needs root"
	command -v valgrind >/dev/null || skip "valgrind not installed"
	BIN=${ISC_BIN:-.output/iommuscope}
	CLIENT=${ISC_CLIENT:-.output/tests/vfio_client}
	T=$BATS_TEST_TMPDIR
}

@test "valgrind: a trace session with traffic is clean" {
	valgrind -q --suppressions=tests/valgrind.supp --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		"$BIN" trace --json -d 300 --classify /dev/null=container --classify /dev/zero=group \
		--classify /dev/full=device --classify /dev/urandom=iommufd \
		>"$T/out" 2>"$T/err" &
	vp=$!
	for _ in $(seq 900); do
		grep -q '^iommuscope: tracing' "$T/err" && break
		kill -0 "$vp" || break
		sleep 0.2
	done
	"$CLIENT" --loops 2 >/dev/null
	sleep 2
	kill -INT "$vp"
	status=0
	wait "$vp" || status=$?
	grep -v -e '^iommuscope' -e 'WARNING: unhandled eBPF command' "$T/err" || true
	[ "$status" -eq 0 ]
	[ "$(grep -c '"type":"ioctl"' "$T/out")" -eq 38 ]
}

@test "valgrind: both sinks and the frozen reference over the trace -w corpus are clean (test_outeq)" {
	OUTEQ=${ISC_OUTEQ:-.output/tests/test_outeq}
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		"$OUTEQ" tests/fuzz/corpus/tracefile/*.isc >"$T/out" 2>"$T/err" || rc=$?
	cat "$T/out" "$T/err"
	[ "${rc:-0}" -eq 0 ]
	tail -n 1 "$T/out" | grep -qE '^outeq: [0-9]+ passed, 0 failed$'
}

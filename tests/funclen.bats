#!/usr/bin/env bats
# scripts/check-funclen.sh: a function of 81 lines fails the check, one of
# 80 passes; the length runs from the signature's first line through the
# closing brace.

setup() {
	CHECK=$BATS_TEST_DIRNAME/../scripts/check-funclen.sh
	dir=$(mktemp -d)
}

teardown() {
	rm -rf "$dir"
}

# fixture FILE LINES: a C file whose one function spans LINES lines, its
# signature on two of them.
fixture() {
	local i
	{
		echo '/* a fixture for tests/funclen.bats */'
		echo 'static int sized(int a,'
		echo '		 int b)'
		echo '{'
		for ((i = 0; i < $2 - 4; i++)); do
			echo '	a += b;'
		done
		echo '}'
	} >"$1"
}

@test "check-funclen: a function of 80 lines passes" {
	fixture "$dir/ok.c" 80
	run "$CHECK" "$dir/ok.c"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "check-funclen: a function of 81 lines fails, named with its file and line" {
	fixture "$dir/long.c" 81
	run "$CHECK" "$dir/long.c"
	[ "$status" -eq 1 ]
	[ "$output" = "$dir/long.c:2: function sized is 81 lines (max 80)" ]
}

#!/usr/bin/env bash
# make test: every stage in order, each timed; the TAP and unit results are
# counted and the last line is "tests: N passed, N failed, N skipped".
# A failing stage does not stop the later ones; the exit code is non-zero
# if any failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# the test dependencies first ('make deps' installs only the build's); as
# non-root with some missing, deps.sh names them in one line
scripts/deps.sh --test || exit 1
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0 fail=0 skip=0 rc=0
times=()

for stage in lint check-headers check-cold test-unit test-cli test-package test-live asan valgrind fuzz test-guest; do
	t0=$(date +%s.%N)
	make --no-print-directory "$stage" 2>&1 | tee "$log/$stage"
	st=${PIPESTATUS[0]}
	t1=$(date +%s.%N)
	[ "$st" -eq 0 ] || rc=1
	# TAP from bats: "ok N ...", "ok N ... # skip ...", "not ok N ..."
	p=$(grep -cE '^ok [0-9]+' "$log/$stage" | head -n 1)
	s=$(grep -cE '^ok [0-9]+ .*# skip' "$log/$stage" | head -n 1)
	f=$(grep -cE '^not ok [0-9]+' "$log/$stage" | head -n 1)
	# the unit runner's own total; each clean fuzz target counts as one
	u=$(sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log/$stage")
	z=$(grep -cE '^fuzz fuzz_[a-z]+: [0-9?]+ runs .*no crash$|^lint: clang-tidy and cppcheck clean$|^catalog: [0-9]+ checks pass|^catalog: [0-9]+ rows bounded|^catalog: self-test: |^(fetch-kernel|build-kernel|uapi) check' "$log/$stage")
	zf=$(grep -cE '^fuzz fuzz_[a-z]+: (FAILED|a saved crash)|^catalog: (FAILS|could not fetch)|^check-cold: FAIL' "$log/$stage")
	p=$((p + z)) f=$((f + zf))
	if [ -n "$u" ]; then
		p=$((p + ${u% *}))
		f=$((f + ${u#* }))
	fi
	[ "$st" -eq 0 ] || [ "$f" -gt 0 ] || f=$((f + 1))	# died without a result
	pass=$((pass + p - s)) fail=$((fail + f)) skip=$((skip + s))
	times+=("$(awk -v n="$stage" -v a="$t0" -v b="$t1" -v p="$((p - s))" -v f="$f" -v s="$s" \
		'BEGIN { printf "%-11s %7.1fs  %4d passed %3d failed %3d skipped", n, b - a, p, f, s }')")
done
echo
printf '%s\n' "${times[@]}"
echo "tests: $pass passed, $fail failed, $skip skipped"
exit $rc

#!/usr/bin/env bash
# Run the C unit test binaries; print each one's result and the total as
# the plain "N passed, N failed" line.
set -u
pass=0 fail=0 rc=0
for t in "$@"; do
	out=$("$t" 2>&1) || rc=1
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | tail -n 1)
	p=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$line")
	f=$(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$line")
	if [ -z "$p" ]; then
		echo "$t: crashed or printed no result"
		fail=$((fail + 1)) rc=1
		continue
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "unit: $pass passed, $fail failed"
exit $rc

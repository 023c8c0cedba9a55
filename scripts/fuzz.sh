#!/usr/bin/env bash
# make fuzz: build the libFuzzer targets (clang, ASan+UBSan), replay every
# saved crash in tests/fuzz/crashes/TARGET/ (regressions must stay fixed),
# then fuzz each target for FUZZ_SECONDS (default 15) from its seed corpus,
# in a scratch copy so the repository is not touched. A new crash is saved
# under .output-fuzz/crashes/ and fails the run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${OUTPUT_FUZZ:-$PWD/.output-fuzz}
secs=${FUZZ_SECONDS:-15}
targets="fuzz_record fuzz_profile fuzz_probe fuzz_args fuzz_policy fuzz_tracefile"
make -s --no-print-directory OUTPUT="$out" CC=clang \
	EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	"$out/ioctl.skel.h" "$out/iommu.skel.h" "$out/enforce.skel.h" "$out/top.skel.h" >/dev/null || exit 1
# the objects, include flags and libraries as the Makefile has them
# (never a second list here)
mk() { make -s --no-print-directory OUTPUT="$out" "$@"; }
read -r -a objs < <(mk print-lib-objs)
read -r -a incs < <(mk print-includes)
make -s --no-print-directory OUTPUT="$out" CC=clang \
	EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	"${objs[@]}" || exit 1
read -r -a libs < <(mk print-ldlibs)
mkdir -p "$out/fuzz" "$out/crashes"
cc -O2 -Iinclude -o "$out/fuzz/mkseeds" tests/fuzz/mkseeds.c || exit 1
rc=0 total=0
for t in $targets; do
	clang -g -O1 -std=gnu11 -D_GNU_SOURCE "${incs[@]}" \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		"tests/fuzz/$t.c" "${objs[@]}" "${libs[@]}" -o "$out/fuzz/$t" || exit 1
	corpus=$out/fuzz/corpus-$t
	rm -rf "$corpus"
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/${t#fuzz_}" ] && cp "tests/fuzz/corpus/${t#fuzz_}"/* "$corpus/" 2>/dev/null
	[ "$t" = fuzz_record ] && "$out/fuzz/mkseeds" "$corpus"
	[ "$t" = fuzz_policy ] && cp tests/policies/good/*.policy tests/policies/bad/*.policy \
		tests/guest/enforce/*.policy "$corpus/"
	# saved crashes first: each must now run clean
	if compgen -G "tests/fuzz/crashes/$t/*" >/dev/null; then
		if ! "$out/fuzz/$t" "tests/fuzz/crashes/$t"/* >"$out/fuzz/$t.replay.log" 2>&1; then
			echo "fuzz $t: a saved crash reproduces (see $out/fuzz/$t.replay.log)"
			rc=1
		fi
	fi
	"$out/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/crashes/$t-" "$corpus" >"$out/fuzz/$t.log" 2>&1
	st=$?
	runs=$(grep -oE 'Done [0-9]+ runs' "$out/fuzz/$t.log" | grep -oE '[0-9]+')
	total=$((total + ${runs:-0}))
	if [ "$st" -ne 0 ]; then
		echo "fuzz $t: FAILED (exit $st); the input is in $out/crashes/; log: $out/fuzz/$t.log"
		grep -E 'ERROR|SUMMARY' "$out/fuzz/$t.log" | head -5
		rc=1
	else
		echo "fuzz $t: ${runs:-?} runs in ${secs}s, no crash"
	fi
done
echo "fuzz: $total runs over $(wc -w <<<"$targets") targets"
exit $rc

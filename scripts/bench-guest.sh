#!/usr/bin/env bash
# make bench, part 4: boot the guest test bed (scripts/guest/run.sh, TCG)
# once with a payload of the static iommuscope, the static benchmark
# helpers and tests/bench/guest-run.sh, and leave its results in OUT:
# OUT/6.12/bench.txt (raw loops; scripts/bench.sh prints the ratios).
#
#   scripts/bench-guest.sh OUT
#
# BENCH_GUEST_KERNEL (6.12), BENCH_GUEST_ROUNDS (5), BENCH_GUEST_N_API
# (20000), BENCH_GUEST_N_DMA (2000), BENCH_GUEST_N_DMA1G (2 maps of 1 GiB),
# BENCH_GUEST_MEM (3072 MiB: the 1 GiB buffer is pinned), BENCH_GUEST_TIMEOUT
# (1200 s).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
out=${1:?usage: bench-guest.sh OUT}
k=${BENCH_GUEST_KERNEL:-6.12}
static=$top/.output-static

mkdir -p "$out"
if ! make -s STATIC=1 OUTPUT="$static" all "$static/bench/bench_loop" "$static/bench/bench_floor" \
	>"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	exit 1
fi
payload=$out/payload
rm -rf "$payload"
mkdir -p "$payload"
cp "$static/iommuscope" "$static/bench/bench_loop" "$static/bench/bench_floor" "$payload/"
cp tests/bench/guest-run.sh "$payload/run.sh"
cat >"$payload/bench.conf" <<CONF
ROUNDS=${BENCH_GUEST_ROUNDS:-5}
N_API=${BENCH_GUEST_N_API:-20000}
N_DMA=${BENCH_GUEST_N_DMA:-2000}
N_DMA1G=${BENCH_GUEST_N_DMA1G:-2}
CONF
ISC_GUEST_MEM=${BENCH_GUEST_MEM:-3072} scripts/guest/run.sh --kernel "$k" --payload "$payload" --out "$out/$k" \
	--timeout "${BENCH_GUEST_TIMEOUT:-1200}" | tail -n 1

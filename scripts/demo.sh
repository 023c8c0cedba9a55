#!/usr/bin/env bash
# make demo: boot a guest with a real VFIO device (QEMU's edu behind an
# emulated VT-d IOMMU) and show iommuscope tracing a VFIO workload, live.
# Needs no hardware and no root (QEMU under TCG; kernels are fetched into
# ~/.cache/iommuscope without touching the machine's apt sources).
#   DEMO_KERNEL=6.12 (default), 5.10, 6.1 or 7.2
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
kernel=${DEMO_KERNEL:-6.12}
make -s STATIC=1 OUTPUT="$top/.output-static" all
make -s -C tests/workload O="$top/.output-static/workload"
payload=$(mktemp -d)
out=$(mktemp -d)
trap 'rm -rf "$payload" "$out"' EXIT
cp tests/guest/demo/run.sh "$top/.output-static/iommuscope" \
	"$top/.output-static/workload/vfio_workload" "$payload/"
echo "booting Debian's $kernel kernel under QEMU (TCG); this takes 20-40 s..."
# The guest's console comes to this terminal; boot messages are quiet.
ISC_GUEST_VERBOSE=1 scripts/guest/run.sh --kernel "$kernel" --payload "$payload" \
	--out "$out/run" --timeout 300 2>&1 >/dev/null |
	sed -u -n '/=== iommuscope probe ===/,$p' | grep -v -E '^\[ *[0-9]+\.[0-9]+\]|ISC-RESULTS'

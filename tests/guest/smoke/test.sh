#!/usr/bin/env bash
# tests/guest/smoke/test.sh [KERNEL...]   (default: 6.1 6.12)
#
# Boot each kernel with the smoke payload (tests/guest/smoke/run.sh) through
# scripts/guest/run.sh and check, from the host, what came back: the payload
# exited 0, env.json shows edu bound to vfio-pci with an IOMMU group, and
# smoke.json agrees and could open /dev/vfio/vfio and /dev/vfio/GROUP.
# jq is also shipped into the guest (--bin) to exercise the shared-library
# copying that dynamically linked payloads rely on.
#
# Env: ISC_SMOKE_OUT (results root, default a temp dir, kept on failure),
# ISC_SMOKE_TIMEOUT (per kernel, default 300), plus scripts/guest/run.sh's.
# Ends with a "N passed, N failed" line; exit 0 only if all kernels passed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
command -v jq >/dev/null || { echo "jq not found (scripts/guest/deps.txt)" >&2; exit 2; }

KERNELS=("$@")
[[ ${#KERNELS[@]} -gt 0 ]] || KERNELS=(6.1 6.12)

OUTROOT=${ISC_SMOKE_OUT:-}
if [[ -z $OUTROOT ]]; then
    OUTROOT=$(mktemp -d "${TMPDIR:-/tmp}/isc-smoke.XXXXXX")
fi
mkdir -p "$OUTROOT"

check() { # kernel outdir
    local k=$1 o=$2
    jq -e --arg k "$k" '.kernel == $k and .driver == "vfio-pci" and .group != ""
        and .vfio_dev == "/dev/vfio/\(.group)" and (.errors | length) == 0
        and (.modules | index("vfio_pci")) != null and (.modules | index("vfio_iommu_type1")) != null
        and (.lsm | split(",") | index("bpf")) != null' "$o/env.json" >/dev/null ||
        { echo "smoke $k: env.json check failed:" >&2; cat "$o/env.json" >&2; return 1; }
    jq -e --slurpfile env "$o/env.json" '.container_open and .group_open and .guest_jq
        and .driver == "vfio-pci" and .group == $env[0].group and .bdf == $env[0].bdf
        and (.dev_vfio | index("vfio")) != null and (.dev_vfio | index($env[0].group)) != null' \
        "$o/smoke.json" >/dev/null ||
        { echo "smoke $k: smoke.json check failed:" >&2; cat "$o/smoke.json" >&2; return 1; }
    [[ $(cat "$o/status") == 0 ]]
}

pass=0
fail=0
failed=()
for k in "${KERNELS[@]}"; do
    o=$OUTROOT/$k
    if "$ROOT/scripts/guest/run.sh" --kernel "$k" --payload "$HERE" --out "$o" \
        --timeout "${ISC_SMOKE_TIMEOUT:-300}" --bin jq && check "$k" "$o"; then
        echo "smoke $k: PASS ($(jq -r '"\(.release), group \(.group) at \(.bdf)"' "$o/env.json"))"
        pass=$((pass + 1))
    else
        echo "smoke $k: FAIL (results in $o)"
        fail=$((fail + 1))
        failed+=("$k")
    fi
done

if ((fail == 0)) && [[ -z ${ISC_SMOKE_OUT:-} ]]; then
    rm -rf "$OUTROOT"
fi
((fail == 0)) || echo "smoke: failed kernels: ${failed[*]}"
echo "${pass} passed, ${fail} failed"
((fail == 0))

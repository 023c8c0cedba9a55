#!/usr/bin/env bash
# Regenerate the committed vmlinux.h from a kernel's BTF:
#   scripts/gen-vmlinux.sh [BTF_FILE]    (default /sys/kernel/btf/vmlinux)
# Writes bpf/vmlinux/<arch>/vmlinux_<major.minor>.h and points vmlinux.h at
# it. The file is replaced only when its content changes, so an unchanged BTF
# triggers no rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
btf=${1:-/sys/kernel/btf/vmlinux}
arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ver=$(uname -r | cut -d. -f1,2)
[ "$btf" = /sys/kernel/btf/vmlinux ] || ver=${ISC_BTF_VERSION:?set ISC_BTF_VERSION for a BTF file}
dir=bpf/vmlinux/$arch
out=$dir/vmlinux_$ver.h
mkdir -p "$dir"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bpftool btf dump file "$btf" format c >"$tmp"
if cmp -s "$tmp" "$out" 2>/dev/null; then
	echo "$out unchanged"
else
	mv "$tmp" "$out"
	echo "wrote $out"
fi
ln -sf "vmlinux_$ver.h" "$dir/vmlinux.h"

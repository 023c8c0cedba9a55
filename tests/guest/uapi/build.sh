#!/usr/bin/env bash
# build.sh [KERNEL] [--check]: build isc_uapi.ko for a guest kernel (default
# 5.10) and print its path (last stdout line). --check builds it again into a
# scratch directory whatever the cache holds (the step a warm cache skips;
# make check-cold) and prints one line; it needs the cached headers. The headers come from
# scripts/guest/fetch-kernel.sh KERNEL --headers (Debian's linux-headers of
# that exact kernel, private apt state, cached); the module is built with the
# host's gcc and cached in ${ISC_CACHE:-~/.cache/iommuscope}/build/uapi/,
# keyed by kernel release, headers version and a hash of the sources: a warm
# cache builds nothing and needs no network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
name=5.10
check=0
for a in "$@"; do
	case $a in
	--check) check=1 ;;
	-*) echo "usage: $0 [KERNEL] [--check]" >&2; exit 2 ;;
	*) name=$a ;;
	esac
done
cache=${ISC_CACHE:-${HOME:?set HOME or ISC_CACHE}/.cache/iommuscope}

hroot=$("$top/scripts/guest/fetch-kernel.sh" "$name" --headers | tail -n 1)
rel=$(basename "$hroot")
hver=$(<"$hroot/.version")
src=$(cd "$here" && cat isc_uapi.c isc_uapi.h Kbuild Makefile | sha256sum | cut -c1-16)
out=$cache/build/uapi/$rel-$hver-$src
if [[ $check == 0 && -s $out/isc_uapi.ko ]]; then
	echo "$out/isc_uapi.ko"
	exit 0
fi
mkdir -p "$cache/build/uapi"
tmp=$(mktemp -d "$cache/build/uapi/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
make -s -C "$here" KDIR="$hroot/usr/src/linux-headers-$rel" OUT="$tmp" >&2
strip --strip-debug "$tmp/isc_uapi.ko"
[[ $(modinfo -F vermagic "$tmp/isc_uapi.ko" 2>/dev/null || /sbin/modinfo -F vermagic "$tmp/isc_uapi.ko") == "$rel "* ]] ||
	{ echo "build.sh: isc_uapi.ko is not for $rel" >&2; exit 1; }
if [[ $check == 1 ]]; then
	echo "uapi check: isc_uapi.ko built again for $rel (headers $hver, MAKELEVEL=${MAKELEVEL:-0}), vermagic right"
	exit 0
fi
rm -rf "$out"
mv "$tmp" "$out"
echo "$out/isc_uapi.ko"

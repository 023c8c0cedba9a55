#!/usr/bin/env bash
# make check-cold: the steps of the guest test bed that a warm cache never
# runs, run in every CI run so that a change which breaks them is seen on a
# warm machine too (issue: the selftest build that failed only under make):
#   every Debian guest kernel   extracted again from its cached .debs, depmod
#                               run, compared with the cache
#                               (fetch-kernel.sh NAME --check)
#   the iommufd kernel          config, headers and the static selftest from
#                               the kept source (build-kernel.sh --check)
#   the 5.10 UAPI test module   built again (tests/guest/uapi/build.sh --check)
#   the iommufd guest's QEMU    extracted again from its cached .debs, its
#                               libraries looked up (fetch-kernel.sh qemu --check)
# A kernel not cached yet is fetched instead: that is the cold path itself.
# Not covered: the network steps (apt-get update and download), which need
# the mirror; a cold run (docs/testing.md, "CI time per stage") runs them.
#   ISC_GUEST_KERNELS  as for make test-guest (default: scripts/guest/kernels)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
kernels=${ISC_GUEST_KERNELS:-$(grep -v '^#' scripts/guest/kernels)}
cache=${ISC_CACHE:-${HOME:?set HOME or ISC_CACHE}/.cache/iommuscope}
rc=0

fail() {
	echo "check-cold: FAIL: $*"
	rc=1
}

# run NAME CMD...: the command's last stdout line is its result line.
run() {
	local name=$1 line
	shift
	if line=$("$@" | tail -n 1) && [ -n "$line" ]; then
		echo "$line"
	else
		fail "$name (see the lines above)"
	fi
}

for k in $kernels; do
	case $k in
	iommufd)
		run "the iommufd kernel's build steps" scripts/guest/build-kernel.sh --check
		if [ -s "$cache/qemu/packages" ]; then
			run "the iommufd guest's QEMU" scripts/guest/fetch-kernel.sh qemu --check
		elif dir=$(scripts/guest/fetch-kernel.sh qemu | tail -n 1) && [ -d "$dir" ]; then
			echo "fetch-kernel check qemu: not cached: fetched now"
		else
			fail "the iommufd guest's QEMU could not be fetched"
		fi ;;
	*)
		if [ -s "$cache/kernels/$k/release" ]; then
			run "kernel $k" scripts/guest/fetch-kernel.sh "$k" --check
		elif dir=$(scripts/guest/fetch-kernel.sh "$k" | tail -n 1) && [ -s "$dir/release" ]; then
			echo "fetch-kernel check $k: not cached: fetched now ($(cat "$dir/release"))"
		else
			fail "kernel $k could not be fetched"
		fi ;;
	esac
done
case " $kernels " in *" 5.10 "*)
	run "the 5.10 UAPI test module" tests/guest/uapi/build.sh 5.10 --check ;;
esac
exit $rc

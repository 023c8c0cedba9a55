#!/usr/bin/env bash
# The catalog against the uapi headers of several releases, not only the
# system's: each release's linux-libc-dev is fetched through the test bed's
# private apt state (cached; scripts/guest/fetch-kernel.sh --uapi) and
# catalog_check.c (generated from include/catalog.def) is compiled against
# it. Each row's asserts are guarded by the release that added it, so every
# release checks what it has.
#   ISC_UAPI_RELEASES  default: 5.10 6.1 6.12 7.2
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${OUTPUT:-$PWD/.output}
make -s --no-print-directory "$out/catalog_check.c" || exit 1
rc=0
for r in ${ISC_UAPI_RELEASES:-5.10 6.1 6.12 7.2}; do
	dir=$(scripts/guest/fetch-kernel.sh "$r" --uapi 2>/dev/null | tail -n 1)
	if [ ! -d "$dir/usr/include/linux" ]; then
		echo "catalog: could not fetch the $r uapi headers"
		rc=1
		continue
	fi
	inc=(-isystem "$dir/usr/include/x86_64-linux-gnu" -isystem "$dir/usr/include")
	n=$(gcc -E -std=gnu11 "${inc[@]}" "$out/catalog_check.c" | grep -c '_Static_assert')
	if gcc -std=gnu11 -Wall -Werror "${inc[@]}" -c "$out/catalog_check.c" -o /dev/null; then
		echo "catalog: $n checks pass against linux-libc-dev $(cat "$dir/.version") ($r)"
	else
		echo "catalog: FAILS against linux-libc-dev $(cat "$dir/.version") ($r)"
		rc=1
	fi
done
exit $rc

#!/usr/bin/env bash
# make check-headers: the catalog (include/catalog.def) against the uapi
# headers of every release Debian ships, not only the system's. Each
# release's linux-libc-dev is fetched through the test bed's private apt
# state (cached; scripts/guest/fetch-kernel.sh R --uapi). Three checks:
#   values    catalog_check.c (scripts/gen-catalog-check.awk) compiled against
#             each release: numbers, minsz, sizes, flag, feature, capability
#             and extension values, key-field offsets, each guarded by the
#             release its row names;
#   releases  every identifier a row names is absent from each release older
#             than the row's "since" (and from those at or after its "until")
#             and present in each other: a "since" bounded on both sides;
#   newest    every VFIO_/IOMMU_ identifier of the newest header is a catalog
#             row or listed in scripts/catalog-unmodelled.txt with a reason,
#             and the newest release checked is the one ISC_HEADERS names.
# A self-test then runs the same checks on a catalog with a stale "since"
# and on one missing a row, which must both fail.
#   ISC_UAPI_RELEASES  default: 5.10 6.1 6.12 7.2 7.3
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${OUTPUT:-$PWD/.output}
unmodelled=scripts/catalog-unmodelled.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0

# header identifiers of one release: macros, and words of the preprocessed
# text (enum constants; comments are gone)
header_ids() {
	local inc=(-isystem "$1/usr/include/x86_64-linux-gnu" -isystem "$1/usr/include")
	printf '#include <linux/vfio.h>\n#if __has_include(<linux/iommufd.h>)\n#include <linux/iommufd.h>\n#endif\n' >"$work/hdr.c"
	{
		gcc -E -dM "${inc[@]}" "$work/hdr.c" | awk '$1 == "#define" { sub(/\(.*/, "", $2); print $2 }'
		gcc -E -P "${inc[@]}" "$work/hdr.c" | tr -c 'A-Za-z0-9_' '\n'
	} | grep -E '^(VFIO|IOMMU)_' | sort -u
}

rels=()
for r in ${ISC_UAPI_RELEASES:-5.10 6.1 6.12 7.2 7.3}; do
	dir=$(scripts/guest/fetch-kernel.sh "$r" --uapi 2>/dev/null | tail -n 1)
	if [ ! -d "$dir/usr/include/linux" ]; then
		echo "catalog: could not fetch the $r uapi headers"
		rc=1
		continue
	fi
	rels+=("$r")
	echo "$dir" >"$work/dir-$r"
	header_ids "$dir" >"$work/ids-$r"
	# 7.3.4-1~bpo13+1 -> 7.3
	sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1.\2/' "$dir/.version" >"$work/ver-$r"
done
[ "${#rels[@]}" -gt 0 ] || exit 1

# check DEF QUIET: the three checks of one catalog.def; prints its problems
# (and, unless QUIET, what passed); returns 1 if there were any.
check() {
	local def=$1 quiet=$2 bad=0 r dir n newest
	local inc
	awk -f scripts/gen-catalog-check.awk "$def" >"$work/check.c"
	awk -v mode=ids -f scripts/gen-catalog-check.awk "$def" >"$work/rows"
	for r in "${rels[@]}"; do
		dir=$(cat "$work/dir-$r")
		inc=(-isystem "$dir/usr/include/x86_64-linux-gnu" -isystem "$dir/usr/include")
		n=$(gcc -E -std=gnu11 "${inc[@]}" "$work/check.c" | grep -c '_Static_assert')
		if gcc -std=gnu11 -Wall -Werror "${inc[@]}" -c "$work/check.c" -o /dev/null 2>"$work/cc.log"; then
			[ "$quiet" = 1 ] || echo "catalog: $n checks pass against linux-libc-dev $(cat "$dir/.version") ($r)"
		else
			grep -o 'catalog: [^"]*' "$work/cc.log" | sort -u | sed "s/^catalog: /catalog: FAILS against $r: /"
			[ "$quiet" = 1 ] || echo "catalog: FAILS against linux-libc-dev $(cat "$dir/.version") ($r)"
			bad=1
		fi
	done
	# releases: absent before since (and from until on), present otherwise;
	# an identifier several rows name (IOAS_MAP's flags on IOAS_MAP_FILE)
	# is bounded by its earliest row
	awk 'function v(s,   a) { split(s, a, "."); return a[1] * 256 + a[2] }
		$1 == "HEADERS" { next }
		!($1 in s) || v($2) < v(s[$1]) { s[$1] = $2; row[$1] = $4; u[$1] = $3 }
		END { for (i in s) print i, s[i], u[i], row[i] }' "$work/rows" | sort >"$work/idents"
	for r in "${rels[@]}"; do
		awk -v rel="$r" -v ver="$(cat "$work/ver-$r")" '
			function v(s,   a) { split(s, a, "."); return a[1] * 256 + a[2] }
			FILENAME == ARGV[1] { have[$1] = 1; next }
			{
				want = v(ver) >= v($2) && ($3 == "0.0" || v(ver) < v($3))
				if (want && !have[$1])
					printf "catalog: FAILS: %s (%s) says since %s, but the %s header (%s) lacks it\n", $1, $4, $2, rel, ver
				if (!want && have[$1] && v(ver) < v($2))
					printf "catalog: FAILS: %s (%s) says since %s, but the %s header (%s) has it already\n", $1, $4, $2, rel, ver
				if (!want && have[$1] && v(ver) >= v($2))
					printf "catalog: FAILS: %s (%s) says gone from %s, but the %s header (%s) has it\n", $1, $4, $3, rel, ver
			}' "$work/ids-$r" "$work/idents"
	done >"$work/bounds"
	if [ -s "$work/bounds" ]; then
		cat "$work/bounds"
		bad=1
	fi
	# newest: ISC_HEADERS names it; every identifier accounted for
	newest=${rels[${#rels[@]} - 1]}
	want=$(awk '$1 == "HEADERS" { print $2 }' "$work/rows")
	if [ "$(cat "$work/ver-$newest")" != "$want" ]; then
		echo "catalog: FAILS: the newest header checked is $(cat "$work/ver-$newest") ($newest), ISC_HEADERS says $want: review that header's new identifiers, then set ISC_HEADERS"
		bad=1
	fi
	awk '$1 != "HEADERS" { print $1 }' "$work/rows" >"$work/named"
	grep -v '^#' "$unmodelled" | tr -s ' \t' '\n\n' | grep -v '^$' >>"$work/named"
	sort -u -o "$work/named" "$work/named"
	comm -23 "$work/ids-$newest" "$work/named" >"$work/unknown"
	if [ -s "$work/unknown" ]; then
		echo "catalog: FAILS: the $newest header has identifiers neither include/catalog.def nor $unmodelled names: $(paste -sd' ' "$work/unknown")"
		bad=1
	fi
	comm -13 "$work/ids-$newest" <(grep -v '^#' "$unmodelled" | tr -s ' \t' '\n\n' | grep -v '^$' | sort -u) >"$work/stale"
	if [ -s "$work/stale" ]; then
		echo "catalog: FAILS: $unmodelled lists what the $newest header lacks: $(paste -sd' ' "$work/stale")"
		bad=1
	fi
	if [ "$bad" = 0 ] && [ "$quiet" != 1 ]; then
		echo "catalog: $(grep -vc '^HEADERS' "$work/rows") rows bounded by the ${#rels[@]} header releases (${rels[*]}); all $(wc -l <"$work/ids-$newest") identifiers of the newest ($newest) accounted for"
	fi
	return $bad
}

check include/catalog.def 0 || rc=1

# The self-test: a stale "since" and a missing row must both be refused.
selftest() {
	local name=$1 expr=$2 m=$work/mutated.def
	sed "$expr" include/catalog.def >"$m"
	if cmp -s "$m" include/catalog.def; then
		echo "catalog: FAILS: self-test '$name' changed nothing (the row moved?)"
		return 1
	fi
	if check "$m" 1 >"$work/selftest.log"; then
		echo "catalog: FAILS: the check passes a catalog with $name"
		return 1
	fi
	echo "  $name: $(head -n 1 "$work/selftest.log" | cut -c1-150)"
}
{
	selftest "the CDX flag dated 6.13" 's/\("CDX", 0x100\), 6, 5)/\1, 6, 13)/' &&
		selftest "the ZPCI_ERROR feature missing" '/^ISC_FEATURE(13, "ZPCI_ERROR"/d'
} >"$work/selftests" && {
	echo "catalog: self-test: the check refuses a stale row and a missing row"
	cat "$work/selftests"
} || {
	cat "$work/selftests"
	rc=1
}
exit $rc

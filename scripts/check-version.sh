#!/usr/bin/env bash
# The version is ISC_VERSION_STR in user/cmd/commands.h (what
# 'iommuscope --version' prints). debian/changelog's top entry (a native
# package: no Debian revision) and every man page's .TH footer must say the
# same; the package build (debian/rules) and tests/package.bats run this.
set -euo pipefail
cd "$(dirname "$0")/.."

v=$(sed -n 's/^#define ISC_VERSION_STR "\(.*\)"$/\1/p' user/cmd/commands.h)
[ -n "$v" ] || { echo "check-version: no ISC_VERSION_STR in user/cmd/commands.h" >&2; exit 1; }
bad=0
c=$(sed -n '1s/^iommuscope (\([^)]*\)) .*/\1/p' debian/changelog)
if [ "$c" != "$v" ]; then
	echo "check-version: debian/changelog says '$c', user/cmd/commands.h '$v'" >&2
	bad=1
fi
n=0
for p in docs/*.[58]; do
	t=$(sed -n '1s/^\.TH .* "iommuscope \([^"]*\)" .*/\1/p' "$p")
	if [ "$t" != "$v" ]; then
		echo "check-version: $p says '$t', user/cmd/commands.h '$v'" >&2
		bad=1
	fi
	n=$((n + 1))
done
[ "$bad" -eq 0 ] || exit 1
echo "check-version: $v in user/cmd/commands.h, debian/changelog and $n man pages"

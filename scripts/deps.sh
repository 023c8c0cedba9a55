#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks. Only missing packages are
# installed; apt's lists are refreshed once, and only when something is
# missing. Needs root for apt-get (README.md's Dependencies says why each
# package is here).
#
#   scripts/deps.sh           build and run: make, the Debian package, its
#                             Build-Depends (make deps)
#   scripts/deps.sh --test    the above and what the tests need, the guest
#                             test bed's scripts/guest/deps.txt included
#                             (make test-deps; 'make test' runs it first)
#   scripts/deps.sh --list [--test]    print the packages, install nothing
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: scripts/deps.sh [--list] [--test]" >&2
	exit 2
}
test=0 list=0
for a in "$@"; do
	case $a in
	--test) test=1 ;;
	--list) list=1 ;;
	*) usage ;;
	esac
done

# The build's own packages are debian/control's Build-Depends (one source
# for 'make' and 'dpkg-buildpackage'); debhelper-compat is debhelper.
build_depends() {
	sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/{/^#/d; s/^Build-Depends://; /^[A-Z][A-Za-z-]*:/d; p}' \
		debian/control | tr ',' '\n' |
		sed -e 's/[[(|].*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/^debhelper-compat$/debhelper/' |
		grep -v '^$'
}

runtime=(
	# the Makefile (gcc links the user space; clang compiles the BPF)
	make gcc
	# dpkg-buildpackage -us -uc -b, which checks for build-essential (debhelper
	# is in Build-Depends; Rules-Requires-Root: no, so no fakeroot)
	dpkg-dev build-essential
)
mapfile -t -O ${#runtime[@]} runtime < <(build_depends)

tests=(
	# iommutop and export tests: the TUI driven in tmux, a real Prometheus
	tmux curl prometheus
	# export tests: bcrypt hashes (htpasswd -B), self-signed certificates
	apache2-utils openssl
	# CLI tests; jq checks JSON; setpriv, findmnt
	bats jq util-linux
	# sanitizers and libFuzzer (clang's runtime), valgrind
	libclang-rt-14-dev valgrind
	# man page checks (make check-man: man --warnings) and service unit checks
	groff-base man-db systemd
	# make lint: static analysis
	clang-tidy cppcheck
	# the enforce tests' 32-bit client (compat ioctl path)
	gcc-multilib
	# the package test (tests/package.bats): lintian; apt installs it
	lintian
	# make bench: the comparisons (a bpftrace one-liner, strace)
	bpftrace strace
)
if [ "$test" -eq 1 ] && [ -f scripts/guest/deps.txt ]; then
	# the guest test bed: QEMU, busybox, the guest kernels' tools
	while read -r p _; do
		[ -n "$p" ] && [ "${p#\#}" = "$p" ] && tests+=("$p")
	done <scripts/guest/deps.txt
fi

all=("${runtime[@]}")
[ "$test" -eq 0 ] || all+=("${tests[@]}")
mapfile -t pkgs < <(printf '%s\n' "${all[@]}" | awk '!seen[$0]++')
if [ "$list" -eq 1 ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

what="make deps"
[ "$test" -eq 0 ] || what="make test-deps"
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run '$what' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

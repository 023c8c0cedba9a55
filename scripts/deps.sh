#!/usr/bin/env bash
# Install what a fresh Debian 12 machine lacks to build iommuscope and run
# every test. Only missing packages are installed; apt's lists are refreshed
# once, and only when something is missing. Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(
	make gcc clang llvm
	# BPF loading, skeletons (libbpf 1.1)
	libbpf-dev bpftool
	# libbpf's own dependencies (static link)
	libelf-dev zlib1g-dev
	# JSON Lines output
	libjson-c-dev
	# iommutop's screen; the exporter's HTTP server
	libncurses-dev libmicrohttpd-dev
	# the exporter's --web.config.file: the YAML (libyaml), client
	# certificates checked in the TLS session (GnuTLS, which libmicrohttpd
	# uses), bcrypt passwords (libxcrypt's crypt_rn)
	libyaml-dev libgnutls28-dev libcrypt-dev
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
	# the enforce tests' 32-bit client (compat ioctl path)
	gcc-multilib
	# make bench: the comparisons (a bpftrace one-liner, strace)
	bpftrace strace
	# guest test bed
	qemu-system-x86 busybox-static cpio xz-utils zstd kmod
)
if [ -f scripts/guest/deps.txt ]; then
	while read -r p _; do
		[ -n "$p" ] && [ "${p#\#}" = "$p" ] && pkgs+=("$p")
	done <scripts/guest/deps.txt
fi

missing=()
for p in "${pkgs[@]}"; do
	case $p in \#*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bats
# scripts/deps.sh: 'make deps' installs what building and running need, no
# test tool; 'make test-deps' adds the tests' and the guest test bed's.

setup() {
	cd "$BATS_TEST_DIRNAME/.."
}

teardown() {
	[ -z "${D:-}" ] || rm -rf "$D"
}

@test "deps: the runtime list holds no test-only package" {
	run scripts/deps.sh --list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 10 ]
	for p in qemu-system-x86 prometheus valgrind bats tmux lintian busybox-static bpftrace; do
		if grep -qx "$p" <<<"$output"; then
			echo "runtime list has $p"
			false
		fi
	done
}

@test "deps: the test list adds the test tools and scripts/guest/deps.txt" {
	run scripts/deps.sh --list --test
	[ "$status" -eq 0 ]
	for p in qemu-system-x86 prometheus valgrind bats lintian; do
		grep -qx "$p" <<<"$output" || { echo "test list lacks $p"; false; }
	done
	while read -r p _; do
		case $p in '' | \#*) continue ;; esac
		grep -qx "$p" <<<"$output" || { echo "test list lacks $p (deps.txt)"; false; }
	done <scripts/guest/deps.txt
	# ... and everything of the runtime list, each package once
	for p in $(scripts/deps.sh --list); do
		grep -qx "$p" <<<"$output" || { echo "test list lacks runtime $p"; false; }
	done
	[ -z "$(sort <<<"$output" | uniq -d)" ]
}

@test "deps: every Build-Depends of debian/control is in the runtime list" {
	local rt n=0 p
	rt=$(scripts/deps.sh --list)
	for p in $(sed -n '/^Build-Depends:/,/^$/p' debian/control | grep -oE '[a-z0-9][a-z0-9.+-]+ *(\(|,|$)' |
		sed 's/[ (,]*$//'); do
		[ "$p" = Build-Depends ] && continue
		[ "$p" = debhelper-compat ] && p=debhelper
		grep -qx "$p" <<<"$rt" || { echo "runtime list lacks Build-Depends $p"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}

# the Makefile's link libraries, each found where the linker looks and
# traced to its Debian package: that package must be in the runtime list
@test "deps: every library the Makefile links comes from a runtime package" {
	local rt libs l f owner n=0
	rt=$(scripts/deps.sh --list)
	libs=$(make -s print-ldlibs)
	[[ "$libs" == *-lbpf* ]]
	for l in $libs; do
		l=${l#-l}
		f=$(gcc -print-file-name="lib$l.so")
		# glibc 2.34+ has only an empty libpthread.a
		[ "$f" != "lib$l.so" ] || f=$(gcc -print-file-name="lib$l.a")
		[[ "$f" == /* ]] || { echo "lib$l: not found by gcc"; false; }
		f=$(realpath -s "$f")
		owner=$(dpkg -S "$f" 2>/dev/null | head -n 1 | cut -d: -f1)
		[ -n "$owner" ] || owner=$(dpkg -S "${f#/usr}" 2>/dev/null | head -n 1 | cut -d: -f1)
		[ -n "$owner" ] || { echo "$f: no package"; false; }
		# libc's own (-lpthread) comes with gcc (libc6-dev)
		[ "$owner" = libc6-dev ] && continue
		grep -qx "$owner" <<<"$rt" || { echo "-l$l ($f) is $owner: not in the runtime list"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 8 ]
}

@test "deps: bad options and missing packages as non-root are one-line errors" {
	run scripts/deps.sh --bogus
	[ "$status" -eq 2 ]
	[ "$output" = "usage: scripts/deps.sh [--list] [--test]" ]
	command -v setpriv >/dev/null || skip "setpriv not installed"
	[ "$(id -u)" -eq 0 ] || skip "needs root to run deps.sh as nobody"
	# a copy whose runtime list names a package that does not exist
	# under /tmp: nobody cannot reach into bats' 0700 directories
	D=$(mktemp -d /tmp/isc-deps.XXXXXX)
	chmod 0755 "$D"
	local d=$D/tree
	mkdir -p "$d/scripts" "$d/debian"
	cp scripts/deps.sh "$d/scripts/"
	sed 's/^Build-Depends: /Build-Depends: isc-no-such-package, /' debian/control >"$d/debian/control"
	chmod -R a+rX "$d"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$d/scripts/deps.sh"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "deps: missing isc-no-such-package; run 'make deps' as root" ]
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$d/scripts/deps.sh" --test
	[ "$status" -eq 1 ]
	[[ "$output" == *"run 'make test-deps' as root" ]]
}

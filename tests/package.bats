#!/usr/bin/env bats
# The Debian package (debian/, docs/packaging.md): one version everywhere,
# the default policy, then dpkg-buildpackage in a scratch copy of the tree,
# lintian, and (root) install, run, units disabled, purge, nothing left.

SRC=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
ISC_BIN=${ISC_BIN:-$SRC/.output/iommuscope}

# The tree as git has it (tracked and untracked, not ignored: no .output),
# or, outside a checkout, everything but the build outputs.
copy_tree() {
	mkdir -p "$1"
	# safe.directory: a tree owned by someone else (root's, tested as a user)
	if git -c safe.directory="$SRC" -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -c safe.directory="$SRC" -C "$SRC" ls-files -co --exclude-standard -z |
			tar -C "$SRC" --null -T - -cf - | tar -C "$1" -xf -
	else
		tar -C "$SRC" --exclude='./.output*' --exclude=./.git -cf - . | tar -C "$1" -xf -
	fi
}

setup_file() {
	export B=$BATS_FILE_TMPDIR/build
	command -v dpkg-buildpackage >/dev/null || return 0
	copy_tree "$B/iommuscope"
	# dpkg-buildpackage writes ../*.deb: into $B, beside the copy; its
	# failure is the build test's (setup_file stops at a failing command)
	local rc=0
	(cd "$B/iommuscope" && dpkg-buildpackage -us -uc -b) >"$B/build.log" 2>&1 || rc=$?
	echo "$rc" >"$B/build.rc"
}

teardown_file() {
	# a failed test must not leave the package installed
	if [ -f "$BATS_FILE_TMPDIR/installed" ]; then
		apt-get purge -y -q iommuscope >/dev/null 2>&1 || dpkg --purge iommuscope >/dev/null 2>&1
	fi
	true
}

need_build() {
	command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage not installed (make test-deps)"
	if [ "$(cat "$B/build.rc")" != 0 ]; then
		tail -n 40 "$B/build.log"
		false
	fi
	DEB=$(echo "$B"/iommuscope_*_amd64.deb)
	[ -f "$DEB" ]
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "not root: installing and purging the package needs root"
}

@test "package: the version is one, in commands.h, debian/changelog and the man pages" {
	run "$SRC/scripts/check-version.sh"
	[ "$status" -eq 0 ]
	v=$(sed -n 's/^#define ISC_VERSION_STR "\(.*\)"$/\1/p' "$SRC/user/cmd/commands.h")
	[[ "$output" == "check-version: $v in user/cmd/commands.h, debian/changelog and "* ]]
	"$ISC_BIN" --version | grep -q "^iommuscope $v "
	# a changelog that disagrees is caught (the check can fail)
	local t=$BATS_TEST_TMPDIR/t
	mkdir -p "$t/user/cmd" "$t/debian" "$t/scripts" "$t/docs"
	cp "$SRC/scripts/check-version.sh" "$t/scripts/"
	cp "$SRC/user/cmd/commands.h" "$t/user/cmd/"
	cp "$SRC"/docs/*.[58] "$t/docs/"
	sed '1s/(\([^)]*\))/(\1.1)/' "$SRC/debian/changelog" >"$t/debian/changelog"
	run "$t/scripts/check-version.sh"
	[ "$status" -eq 1 ]
	[ "$output" = "check-version: debian/changelog says '$v.1', user/cmd/commands.h '$v'" ]
}

@test "package: the default policy is all comments and the parser accepts it" {
	local p=$SRC/packaging/policy
	# every line a comment or empty: installing it changes nothing
	run grep -vcE '^(#.*)?$' "$p"
	[ "$output" = 0 ]
	run "$ISC_BIN" policy check "$p"
	[ "$status" -eq 0 ]
	[[ "$output" == "$p: ok: 0 rules, "* ]]
	# ... the same policy as an empty file (the built-in one)
	: >"$BATS_TEST_TMPDIR/empty"
	e=$("$ISC_BIN" policy check "$BATS_TEST_TMPDIR/empty")
	[ "${output#*: ok: }" = "${e#*: ok: }" ]
	# each commented-out statement is valid once uncommented
	local n=0 l
	while IFS= read -r l; do
		printf '%s\n' "$l" >"$BATS_TEST_TMPDIR/one"
		run "$ISC_BIN" policy check "$BATS_TEST_TMPDIR/one"
		[ "$status" -eq 0 ] || { echo "'$l': $output"; false; }
		n=$((n + 1))
	done < <(sed -n 's/^#\(\(set\|allow\|deny\) .*\)/\1/p' "$p")
	[ "$n" -ge 3 ]
	# and a broken line is refused (the check can fail)
	run "$ISC_BIN" policy check <(sed 's/^#set errno kernel/set errno bogus/' "$p")
	[ "$status" -ne 0 ]
}

@test "package: builds from a copy, leaving the source tree clean" {
	need_build
	grep -q '^check-version: ' "$B/build.log"
	if [ "$(id -u)" -eq 0 ]; then
		grep -qE '^unit: [0-9]+ passed, 0 failed$' "$B/build.log"
	else
		grep -q '^unit tests not run: not root' "$B/build.log"
	fi
	# the build's debris is in the copy, none in the source tree
	[ -d "$B/iommuscope/debian/iommuscope" ]
	[ ! -e "$SRC/debian/iommuscope" ]
	[ ! -e "$SRC/debian/tmp" ]
	[ ! -e "$SRC/debian/files" ]
	[ ! -e "$SRC/debian/.debhelper" ]
}

@test "package: contents, conffile, units, dynamic libraries" {
	need_build
	c=$(dpkg-deb -c "$DEB")
	echo "$c" | sed 's/^/# /' >&3
	grep -qE '^-rwxr-xr-x root/root .* \./usr/sbin/iommuscope$' <<<"$c"
	grep -qE ' \./usr/sbin/iommutop -> iommuscope$' <<<"$c"
	grep -qE ' \./etc/iommuscope/policy$' <<<"$c"
	local p u
	for p in "$SRC"/docs/*.[58]; do
		grep -qE " \./usr/share/man/man${p##*.}/$(basename "$p")\.gz$" <<<"$c" ||
			{ echo "no man page $(basename "$p")"; false; }
	done
	for u in iommuscope-audit iommuscope-enforce; do
		grep -qE " \./(usr/)?lib/systemd/system/$u\.service$" <<<"$c" || { echo "no $u.service"; false; }
	done
	for p in "$SRC"/contrib/prometheus/*.yml "$SRC"/contrib/grafana/*.json; do
		p=${p#"$SRC"/contrib/}
		grep -qE " \./usr/share/iommuscope/${p//./\\.}$" <<<"$c" || { echo "no $p"; false; }
	done
	[ "$(dpkg-deb -f "$DEB" Version)" = "$(sed -n '1s/^iommuscope (\([^)]*\)).*/\1/p' "$SRC/debian/changelog")" ]
	dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles | grep -qx /etc/iommuscope/policy
	# ${shlibs:Depends}: the binary is dynamic, against Debian's libraries
	dpkg-deb -f "$DEB" Depends | grep -q 'libbpf1'
	dpkg-deb -f "$DEB" Depends | grep -q 'libjson-c5'
	dpkg-deb -x "$DEB" "$BATS_TEST_TMPDIR/x"
	readelf -d "$BATS_TEST_TMPDIR/x/usr/sbin/iommuscope" | grep -q 'NEEDED.*libbpf\.so\.1'
	# the installed unit is the packaging/ one with /usr/sbin
	u=$(find "$BATS_TEST_TMPDIR/x" -name iommuscope-enforce.service)
	grep -q '^ExecStart=/usr/sbin/iommuscope enforce --pin --policy /etc/iommuscope/policy ' "$u"
}

@test "package: lintian is clean (overrides explained in debian/iommuscope.lintian-overrides)" {
	need_build
	command -v lintian >/dev/null || skip "lintian not installed (make test-deps)"
	run lintian --pedantic --fail-on=error,warning,info,pedantic "$B"/iommuscope_*_amd64.changes
	echo "$output" | sed 's/^/# lintian: /' >&3
	[ "$status" -eq 0 ]
	# nothing but lintian's own note about root
	[ -z "$(grep -v '^running with root privileges is not recommended!$' <<<"$output")" ]
	# every override has a comment above it
	awk '/^#/ { c = 1; next } /^$/ { c = 0; next } !c { print FILENAME ":" NR ": no comment"; bad = 1 }
		END { exit bad }' "$SRC/debian/iommuscope.lintian-overrides"
}

@test "package: installs, runs probe and iommutop, units present and disabled" {
	need_build
	need_root
	if dpkg-query -W -f='${Status}' iommuscope 2>/dev/null | grep -q 'ok installed'; then
		skip "iommuscope is installed on this machine: the test would purge it"
	fi
	# the purge removes /var/log/iommuscope: not if someone else's logs are there
	[ ! -e /var/log/iommuscope ] || skip "/var/log/iommuscope exists: the purge would remove it"
	touch "$BATS_FILE_TMPDIR/installed"
	run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	dpkg-query -W -f='${Status}' iommuscope | grep -q 'install ok installed'
	v=$(dpkg-query -W -f='${Version}' iommuscope)
	run /usr/sbin/iommuscope --version
	[ "$status" -eq 0 ]
	[[ "$output" == "iommuscope $v "* ]]
	run /usr/sbin/iommuscope probe
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -n "$output" ]
	run /usr/sbin/iommutop --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: iommutop"* ]]
	MANPATH=/usr/share/man man -w iommuscope-policy | grep -q '/usr/share/man/man5/iommuscope-policy.5.gz'
	run /usr/sbin/iommuscope policy check /etc/iommuscope/policy
	[ "$status" -eq 0 ]
	[[ "$output" == "/etc/iommuscope/policy: ok: 0 rules, "* ]]
	# both units known, neither enabled nor running, no symlink made
	local u
	for u in iommuscope-audit iommuscope-enforce; do
		f=$(dpkg -L iommuscope | grep -E "/lib/systemd/system/$u\.service$")
		[ -f "$f" ]
		# the unit files' state, read from disk (no running systemd needed)
		run systemctl --root=/ is-enabled "$u.service"
		[ "$output" = disabled ]
		if [ -d /run/systemd/system ]; then
			run systemctl is-active "$u.service"
			[ "$output" = inactive ]
		fi
	done
	run find /etc/systemd/system -name 'iommuscope*'
	[ -z "$output" ]
	dpkg -L iommuscope >"$BATS_FILE_TMPDIR/files"
	# what the audit unit would have logged (LogsDirectory=), for the purge
	install -d -m 0700 /var/log/iommuscope
	echo '{}' >/var/log/iommuscope/audit.jsonl
}

@test "package: purge leaves nothing behind" {
	need_build
	need_root
	[ -f "$BATS_FILE_TMPDIR/installed" ] || skip "not installed by the test above"
	[ -s "$BATS_FILE_TMPDIR/files" ]
	# a pin directory someone else made (not iommuscope's pins):
	# 'enforce --stop' refuses it, and the removal goes on and says so
	local pins=""
	if mountpoint -q /sys/fs/bpf && [ ! -e /sys/fs/bpf/iommuscope ]; then
		pins=/sys/fs/bpf/iommuscope
		mkdir "$pins"
		chown 65534 "$pins"
	fi
	# remove keeps the conffile and the logs; purge takes them
	run env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q iommuscope
	[ -z "$pins" ] || rmdir "$pins"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$pins" ] || [[ "$output" == *"iommuscope: could not end pinned enforcement"* ]]
	[ ! -e /usr/sbin/iommuscope ]
	[ -f /etc/iommuscope/policy ]
	[ -f /var/log/iommuscope/audit.jsonl ]
	run env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q iommuscope
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	rm -f "$BATS_FILE_TMPDIR/installed"
	run dpkg-query -W -f='${Status}' iommuscope
	[[ "$output" != *"ok installed"* ]]
	# every file and link the package had is gone; directories (/lib is
	# usrmerge's link to one) are checked by name below
	local f n=0
	while IFS= read -r f; do
		[ ! -d "$f" ] || continue
		[ ! -e "$f" ] && [ ! -L "$f" ] || { echo "left: $f"; false; }
		n=$((n + 1))
	done <"$BATS_FILE_TMPDIR/files"
	[ "$n" -ge 14 ]
	[ ! -e /etc/iommuscope ]
	[ ! -e /usr/share/doc/iommuscope ]
	[ ! -e /var/log/iommuscope ]
	# no unit symlink, no deb-systemd-helper state
	local d
	for d in /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
		/var/lib/systemd/deb-systemd-helper-masked; do
		[ -d "$d" ] || continue
		run find "$d" -name '*iommuscope*'
		[ -z "$output" ] || { echo "left: $output"; false; }
	done
	[ ! -e /var/lib/dpkg/info/iommuscope.list ]
}

#!/usr/bin/env bats
# make install into a scratch root: what lands where, with which modes, and
# that the man pages and the service unit are well-formed.

setup() {
	D=$BATS_TEST_TMPDIR/root
	make -s install DESTDIR="$D" PREFIX=/usr >/dev/null
}

@test "install: binary, alias, man pages and unit, with the right modes" {
	[ "$(stat -c %a "$D/usr/sbin/iommuscope")" = 750 ]
	[ "$(readlink "$D/usr/sbin/iommutop")" = iommuscope ]
	[ "$(stat -c %a "$D/usr/share/man/man8/iommuscope.8")" = 644 ]
	[ -f "$D/usr/share/man/man8/iommutop.8" ]
	grep -q '^ExecStart=/usr/sbin/iommuscope audit --json -o /var/log/iommuscope/audit.jsonl --syslog$' \
		"$D/usr/lib/systemd/system/iommuscope-audit.service"
	"$D/usr/sbin/iommuscope" --version
}

@test "install: PREFIX reaches the unit's ExecStart" {
	make -s install DESTDIR="$BATS_TEST_TMPDIR/r2" PREFIX=/opt/isc >/dev/null
	grep -q '^ExecStart=/opt/isc/sbin/iommuscope audit' \
		"$BATS_TEST_TMPDIR/r2/opt/isc/lib/systemd/system/iommuscope-audit.service"
}

@test "man pages render without warnings" {
	run groff -man -ww -z docs/iommuscope.8 docs/iommutop.8
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	man -l "$D/usr/share/man/man8/iommuscope.8" 2>/dev/null | grep -q 'watch VFIO and iommufd ioctls'
}

@test "the service units pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	# verify checks that ExecStart exists on this system: point it at the
	# binary just installed into the scratch root
	for u in iommuscope-audit iommuscope-enforce; do
		sed "s|/usr/sbin/iommuscope|$D/usr/sbin/iommuscope|" \
			"$D/usr/lib/systemd/system/$u.service" >"$BATS_TEST_TMPDIR/$u.service"
		run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/$u.service"
		[ "$status" -eq 0 ] || { echo "$u: $output"; false; }
		[ -z "$output" ] || { echo "$u: $output"; false; }
	done
	grep -q -- '--pin' "$BATS_TEST_TMPDIR/iommuscope-enforce.service"
	# and a broken unit is caught (the test can fail)
	sed 's/^Type=simple/Type=bogus/' "$BATS_TEST_TMPDIR/iommuscope-audit.service" \
		>"$BATS_TEST_TMPDIR/broken.service"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/broken.service"
	[ -n "$output" ]
}

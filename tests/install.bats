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

@test "install: contrib's Prometheus rules, their tests and the Grafana dashboard, readable by all" {
	local f n=0
	for f in contrib/prometheus/*.yml contrib/grafana/*.json; do
		cmp "$f" "$D/usr/share/iommuscope/${f#contrib/}"
		[ "$(stat -c %a "$D/usr/share/iommuscope/${f#contrib/}")" = 644 ]
		n=$((n + 1))
	done
	[ "$n" -eq 3 ]
	[ "$(find "$D/usr/share/iommuscope" -type f | wc -l)" -eq "$n" ]
}

@test "install: every man page of docs/ in its section's directory" {
	local n=0 p sec
	for p in "$BATS_TEST_DIRNAME"/../docs/*.[58]; do
		sec=${p##*.}
		[ "$(stat -c %a "$D/usr/share/man/man$sec/$(basename "$p")")" = 644 ] ||
			{ echo "not installed: man$sec/$(basename "$p")"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 9 ]
	[ -f "$D/usr/share/man/man5/iommuscope-policy.5" ]
	[ -f "$D/usr/share/man/man8/iommuscope-trace.8" ]
	MANPATH="$D/usr/share/man" man -w iommuscope-policy | grep -q 'man5/iommuscope-policy.5'
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
	run make -s check-man
	[ "$status" -eq 0 ]
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

# "→ Overall exposure level for NAME.service: 2.1 OK 🙂" -> 2.1
exposure_of() {
	systemd-analyze security --offline=yes "$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'
}

@test "the service units are hardened: systemd-analyze security exposure at most 4.0" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	systemd-analyze security --help 2>&1 | grep -q -- '--offline' ||
		skip "systemd-analyze security has no --offline (systemd < 252)"
	for u in iommuscope-audit iommuscope-enforce; do
		e=$(exposure_of "$D/usr/lib/systemd/system/$u.service")
		echo "# $u.service: exposure $e" >&3
		[ -n "$e" ] || { echo "$u: no exposure figure"; false; }
		awk -v e="$e" 'BEGIN { exit !(e <= 4.0) }' ||
			{ echo "$u: exposure $e > 4.0"; false; }
	done
	# a unit without the hardening scores above it (the check can fail)
	grep -v -E '^(Protect|Private|SystemCall|Restrict|Capability|Lock|Memory|Device|Remove|Keyring|IPAddress|NoNew|UMask)' \
		"$D/usr/lib/systemd/system/iommuscope-audit.service" >"$BATS_TEST_TMPDIR/bare.service"
	e=$(exposure_of "$BATS_TEST_TMPDIR/bare.service")
	awk -v e="$e" 'BEGIN { exit !(e > 4.0) }'
}

@test "the enforce unit fails visibly without a policy file, and keeps the pins writable" {
	u=$D/usr/lib/systemd/system/iommuscope-enforce.service
	# a Condition would skip the start silently; an Assert fails it
	run grep -c '^ConditionPathExists=' "$u"
	[ "$output" = 0 ]
	grep -q '^AssertPathExists=/etc/iommuscope/policy$' "$u"
	grep -q -- '--policy /etc/iommuscope/policy' "$u"
	# /sys is read-only (ProtectKernelTunables) but for the pins
	grep -q '^ProtectKernelTunables=yes$' "$u"
	grep -q '^ReadWritePaths=/sys/fs/bpf$' "$u"
	# the BPF syscalls are allowed past the filter, mount(2) is not
	for f in "$u" "$D/usr/lib/systemd/system/iommuscope-audit.service"; do
		grep -q '^SystemCallFilter=@system-service bpf perf_event_open$' "$f"
		grep -q '^SystemCallFilter=~@mount$' "$f"
		grep -q '^SystemCallErrorNumber=EPERM$' "$f"
	done
	# audit names the calling processes' executables: CAP_SYS_PTRACE
	grep -q '^CapabilityBoundingSet=.*CAP_SYS_PTRACE' \
		"$D/usr/lib/systemd/system/iommuscope-audit.service"
	# the assertion is a real unit setting: verify accepts it, and the
	# offline security check sees it (it parses the unit)
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	sed "s|/usr/sbin/iommuscope|$D/usr/sbin/iommuscope|" "$u" >"$BATS_TEST_TMPDIR/e.service"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/e.service"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

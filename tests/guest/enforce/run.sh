#!/bin/sh
# The enforce tests, inside the guest (called by tests/guest/payload/run.sh
# with the payload as the working directory). Results go to $RESULTS/enforce
# for tests/guest-enforce.bats. GOOD/BAD are MAP_DMA flags: READ|WRITE, and
# READ|WRITE plus bit 5, which no kernel defines.
set -u
R=$RESULTS/enforce
mkdir -p "$R"
P=enforce
GOOD=3
BAD=35
C=./enforce_client
ISC=./iommuscope

. ./lib.sh

# Without enforcement: what the kernel says.
$C map $GOOD 2 >"$R/base-good.txt" 2>&1
$C map $BAD 2 >"$R/base-bad.txt" 2>&1

# 32-bit callers and tracing: the syscall tracepoints never fire for them,
# the fops handlers (full mode) do.
for mode in tracepoint full; do
	$ISC trace --json --mode $mode >"$R/trace32-$mode.jsonl" 2>"$R/trace32-$mode.err" &
	tp=$!
	wait_for "$R/trace32-$mode.err" $tp tracing
	./enforce_client32 map $GOOD 2 >"$R/trace32-$mode.txt" 2>&1
	kill -INT $tp
	wait $tp
done

# The built-in policy: the kernel's own flags pass, bit 5 is refused.
if enforce_start default; then
	$C map $GOOD 5 >"$R/default-good.txt" 2>&1
	$C map $BAD 5 >"$R/default-bad.txt" 2>&1
	./enforce_client32 map $GOOD 3 >"$R/default-good32.txt" 2>&1
	./enforce_client32 map $BAD 3 >"$R/default-bad32.txt" 2>&1
	$C unreadable $GOOD >"$R/default-unreadable.txt" 2>&1
	ls -ld /run/iommuscope >"$R/state-perms.txt" 2>&1
	ls -l /run/iommuscope/enforce.state >>"$R/state-perms.txt" 2>&1
	ls -l /sys/fs/bpf/iommuscope >"$R/published.txt" 2>&1
	enforce_stop default
	# SIGINT: nothing left pinned, no state file
	ls /sys/fs/bpf /run/iommuscope >"$R/after-default.txt" 2>&1
fi

# iommutop while enforcing: refusals per process, the enforcement state.
if enforce_start top; then
	$ISC top --json -d 1h >"$R/top.jsonl" 2>"$R/top.err" &
	tp=$!
	wait_for "$R/top.err" $tp counting
	$C map $BAD 4 >"$R/top-bad.txt" 2>&1
	sleep 1
	kill -INT $tp
	wait $tp
	echo $? >"$R/top.rc"
	enforce_stop top
fi

# The race detector: a second thread flips the flags word while the calls
# (32 MiB each, so they stay in the kernel a while) are in flight.
if enforce_start race; then
	$C race 300 $GOOD $BAD 32 >"$R/race.txt" 2>&1
	enforce_stop race
fi

# The kernel's errno instead of EPERM.
if enforce_start errno --policy $P/errno-kernel.policy; then
	$C map $BAD 3 >"$R/errno-bad.txt" 2>&1
	enforce_stop errno
fi

# Audit only: logged, not refused (the kernel then says EINVAL itself).
if enforce_start audit --audit-only; then
	$C map $BAD 3 >"$R/audit-bad.txt" 2>&1
	enforce_stop audit
fi

# Fail-open for unreadable arguments.
if enforce_start unreadable --policy $P/unreadable-allow.policy; then
	$C unreadable $GOOD >"$R/unreadable-allow.txt" 2>&1
	enforce_stop unreadable
fi

# Scopes: executable, cgroup, uid.
cp $C /tmp/enforce_client_b
mkdir -p /sys/fs/cgroup/isc-narrow
cat >/tmp/scope.policy <<POL
deny VFIO_IOMMU_MAP_DMA exe /tmp/enforce_client_b
deny VFIO_IOMMU_MAP_DMA uid 1000
allow VFIO_IOMMU_MAP_DMA flags READ cgroup /sys/fs/cgroup/isc-narrow
POL
chmod 666 /dev/vfio/vfio /dev/vfio/$ISC_GROUP
if enforce_start scope --policy /tmp/scope.policy; then
	$C map $GOOD 2 >"$R/scope-other.txt" 2>&1
	/tmp/enforce_client_b map $GOOD 2 >"$R/scope-exe.txt" 2>&1
	$C -u 1000 map $GOOD 2 >"$R/scope-uid.txt" 2>&1
	$C -u 1001 map $GOOD 2 >"$R/scope-uid-other.txt" 2>&1
	sh -c "echo \$\$ >/sys/fs/cgroup/isc-narrow/cgroup.procs && exec $C map $GOOD 2" \
		>"$R/scope-cgroup-rw.txt" 2>&1
	sh -c "echo \$\$ >/sys/fs/cgroup/isc-narrow/cgroup.procs && exec $C map 1 2" \
		>"$R/scope-cgroup-r.txt" 2>&1
	enforce_stop scope
fi

# ---- fail closed: every VFIO/iommufd file judged ----
# Device fds from a group are anonymous inodes ("[vfio-device]", rdev 0);
# with kptr_restrict=2 no f_op address is readable: only the name says
# "device". No enforcement first: the kernel's own EINVAL for bit 6.
$C irqs 0x61 >"$R/irqs-base-bad.txt" 2>&1
$C irqs 0x21 >"$R/irqs-base-good.txt" 2>&1
kr=$(cat /proc/sys/kernel/kptr_restrict)
echo 2 >/proc/sys/kernel/kptr_restrict
$ISC probe >"$R/kptr-probe.txt" 2>&1
if enforce_start kptr; then
	$C irqs 0x61 >"$R/kptr-irqs-bad.txt" 2>&1
	./enforce_client32 irqs 0x61 >"$R/kptr-irqs-bad32.txt" 2>&1
	$C irqs 0x21 >"$R/kptr-irqs-good.txt" 2>&1
	$C map $BAD 2 >"$R/kptr-map-bad.txt" 2>&1
	enforce_stop kptr
fi
echo "$kr" >/proc/sys/kernel/kptr_restrict

# A ';' ioctl on a file no classifier knows is refused ('unclassified');
# 'set unclassified allow' lets it through to the kernel (ENOTTY).
printf 'set unclassified allow\n' >/tmp/unclassified-allow.policy
if enforce_start unclassified; then
	$C null-ioctl >"$R/unclassified-deny.txt" 2>&1
	enforce_stop unclassified
fi
if enforce_start unclassified-allow --policy /tmp/unclassified-allow.policy; then
	$C null-ioctl >"$R/unclassified-allow.txt" 2>&1
	enforce_stop unclassified-allow
fi

# A deny rule on a cgroup holds 20 levels below it (the old walk stopped
# at 16 ancestors).
deep=/sys/fs/cgroup/isc-deep
leaf=$deep
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	leaf=$leaf/l$i
done
mkdir -p "$leaf"
printf 'deny VFIO_IOMMU_MAP_DMA cgroup %s\n' "$deep" >/tmp/deep.policy
if enforce_start deep --policy /tmp/deep.policy; then
	sh -c "echo \$\$ >$leaf/cgroup.procs && exec $C map $GOOD 2" >"$R/deep-leaf.txt" 2>&1
	sh -c "echo \$\$ >$deep/cgroup.procs && exec $C map $GOOD 2" >"$R/deep-top.txt" 2>&1
	$C map $GOOD 2 >"$R/deep-outside.txt" 2>&1
	enforce_stop deep
fi

# An exe rule on an overlayfs executable (the kernel's s_dev is the
# overlay's, stat() reports the layer's), then a package-style upgrade:
# the new file renamed over the old one; the rule follows it.
# The layers on two other file systems and xino=off, as on a container
# host: stat() then reports the lower layer's st_dev, the kernel's
# exe_file has the overlay's superblock.
mkdir -p /tmp/ovl/l /tmp/ovl/u /tmp/ovl/merged
mount -t tmpfs tmpfs /tmp/ovl/l
mount -t tmpfs tmpfs /tmp/ovl/u
mkdir -p /tmp/ovl/l/lower /tmp/ovl/u/upper /tmp/ovl/u/work
cp $C /tmp/ovl/l/lower/client
if mount -t overlay overlay \
	-o lowerdir=/tmp/ovl/l/lower,upperdir=/tmp/ovl/u/upper,workdir=/tmp/ovl/u/work,xino=off \
	/tmp/ovl/merged 2>"$R/ovl-mount.err"; then
	{ stat -c 'stat %d' /tmp/ovl/merged/client; grep ' /tmp/ovl/merged ' /proc/self/mountinfo; } \
		>"$R/ovl-devs.txt" 2>&1
	printf 'deny VFIO_IOMMU_MAP_DMA exe /tmp/ovl/merged/client\n' >/tmp/ovl.policy
	if enforce_start ovl --policy /tmp/ovl.policy; then
		/tmp/ovl/merged/client map $GOOD 2 >"$R/ovl-exe.txt" 2>&1
		$C map $GOOD 2 >"$R/ovl-other.txt" 2>&1
		enforce_stop ovl
	fi
	umount /tmp/ovl/merged
fi
umount /tmp/ovl/u /tmp/ovl/l
mkdir -p /tmp/up
cp $C /tmp/up/client
printf 'deny VFIO_IOMMU_MAP_DMA exe /tmp/up/client\n' >/tmp/upgrade.policy
rm -f /tmp/isc-up-stop
if enforce_start upgrade --policy /tmp/upgrade.policy; then
	/tmp/up/client map $GOOD 2 >"$R/upgrade-before.txt" 2>&1
	# a process started before the upgrade keeps running the old file
	/tmp/up/client mix /tmp/isc-up-stop $GOOD $GOOD >"$R/upgrade-running.txt" 2>&1 &
	mp=$!
	sleep 1
	cp $C /tmp/up/.client.new
	mv /tmp/up/.client.new /tmp/up/client
	wait_for "$R/upgrade.err" $EPID "1 exe rule" 100
	sleep 1
	touch /tmp/isc-up-stop
	wait $mp
	/tmp/up/client map $GOOD 2 >"$R/upgrade-after.txt" 2>&1
	$C map $GOOD 2 >"$R/upgrade-other.txt" 2>&1
	enforce_stop upgrade
fi

# 'set race kill': the caller whose second thread flips the flags while
# its call is in flight is killed (SIGKILL: exit 137).
printf 'set race kill\n' >/tmp/race-kill.policy
if enforce_start race-kill --policy /tmp/race-kill.policy; then
	$C race 300 $GOOD $BAD 32 >"$R/race-kill.txt" 2>&1
	echo $? >"$R/race-kill-client.rc"
	enforce_stop race-kill
fi
# audit-only lets every call through: it kills nobody either
if enforce_start race-audit --audit-only --policy /tmp/race-kill.policy; then
	$C race 300 $GOOD $BAD 32 >"$R/race-audit.txt" 2>&1
	echo $? >"$R/race-audit-client.rc"
	enforce_stop race-audit
fi

# 100 reloads while a client loops, then every malformed policy.
rm -f /tmp/isc-stop
if enforce_start reload --policy $P/reload-a.policy; then
	$C mix /tmp/isc-stop $GOOD $BAD >"$R/reload-mix.txt" 2>&1 &
	cp=$!
	n=0
	: >"$R/reload-rcs.txt"
	while [ $n -lt 100 ]; do
		if [ $((n % 2)) -eq 0 ]; then f=$P/reload-b.policy; else f=$P/reload-a.policy; fi
		$ISC policy reload $f >/dev/null 2>>"$R/reload-errors.txt"
		echo $? >>"$R/reload-rcs.txt"
		n=$((n + 1))
	done
	touch /tmp/isc-stop
	wait $cp
	cp /run/iommuscope/enforce.state "$R/reload-state.txt"
	: >"$R/bad-rcs.txt"
	for f in policies-bad/*.policy; do
		$ISC policy reload "$f" >/dev/null 2>>"$R/bad-errors.txt"
		echo "$(basename "$f") $?" >>"$R/bad-rcs.txt"
	done
	cp /run/iommuscope/enforce.state "$R/bad-state.txt"
	$C map $GOOD 2 >"$R/bad-after-good.txt" 2>&1
	$C map $BAD 2 >"$R/bad-after-bad.txt" 2>&1
	enforce_stop reload
fi

# Pinned: enforcement outlives a kill -9 of the loader, until --stop.
if enforce_start pin --pin; then
	kill -9 $EPID
	wait $EPID 2>/dev/null
	$C map $BAD 2 >"$R/pin-killed-bad.txt" 2>&1
	$C map $GOOD 2 >"$R/pin-killed-good.txt" 2>&1
	ls -ld /sys/fs/bpf/iommuscope >"$R/pin-perms.txt" 2>&1
	ls -l /sys/fs/bpf/iommuscope >>"$R/pin-perms.txt" 2>&1
	# a new loader adopts it; then the policy changes with no loader at all
	if enforce_start adopt -d 3; then
		wait $EPID
		echo $? >"$R/adopt.rc"
	fi
	$ISC policy reload $P/errno-kernel.policy >"$R/pin-reload.txt" 2>&1
	echo $? >"$R/pin-reload.rc"
	$C map $BAD 2 >"$R/pin-reloaded-bad.txt" 2>&1
	$ISC enforce --stop >"$R/pin-stop.txt" 2>&1
	echo $? >"$R/pin-stop.rc"
	$C map $BAD 2 >"$R/pin-stopped-bad.txt" 2>&1
	ls /sys/fs/bpf >"$R/pin-after-stop.txt" 2>&1
fi

# Learn from the VFIO workload, then enforce what was learnt.
$ISC policy learn -d 30 -o "$R/learned.policy" -c vfio_workload 2>"$R/learn.err" &
lp=$!
wait_for "$R/learn.err" $lp learning
./vfio_workload --skip-fault --manifest /tmp/learn-manifest.jsonl >/dev/null 2>&1
kill -INT $lp 2>/dev/null
wait $lp
echo $? >"$R/learn.rc"
if enforce_start learned --policy "$R/learned.policy"; then
	./vfio_workload --skip-fault --manifest /tmp/learned-manifest.jsonl >"$R/learned-workload.log" 2>&1
	echo $? >"$R/learned-workload.rc"
	$C map $BAD 2 >"$R/learned-bad.txt" 2>&1
	enforce_stop learned
fi

# ---- no unprivileged way around the tools ----
# A flood of refusals by uid 65534 (as fast as the guest goes), with a
# root refusal and a race in the same window: the log rate bounds the
# flood's records, the deny log rotates under its cap, and the root
# record and the race record are kept.
if enforce_start flood --max-size 16K --rotate 60; then
	$C -u 65534 flood 25 $BAD >"$R/flood-user.txt" 2>&1 &
	fp=$!
	i=0
	while [ $i -lt 100 ] && ! cat "$R"/flood.jsonl* 2>/dev/null | grep -q '"uid":65534'; do
		sleep 0.1
		i=$((i + 1))
	done
	$C map $BAD 1 >"$R/flood-root.txt" 2>&1
	# races are a matter of timing: rounds of 100 until one is logged
	# (the log given a second to catch up after each round)
	: >"$R/flood-race.txt"
	i=0
	while [ $i -lt 5 ] && kill -0 $fp 2>/dev/null; do
		$C race 100 $GOOD $BAD 32 >>"$R/flood-race.txt" 2>&1
		j=0
		while [ $j -lt 10 ] && ! cat "$R"/flood.jsonl* | grep -q '"type":"race"'; do
			sleep 0.1
			j=$((j + 1))
		done
		[ $j -lt 10 ] && break
		i=$((i + 1))
	done
	# all of it inside the flood's window
	kill -0 $fp 2>/dev/null && echo running >"$R/flood-overlap.txt"
	wait $fp
	enforce_stop flood
	ls -l "$R"/flood.jsonl* >"$R/flood-files.txt" 2>&1
	cat "$R"/flood.jsonl.* "$R/flood.jsonl" >"$R/flood-all.jsonl" 2>/dev/null
fi

# policy learn from a process named to forge a rule ("x", newline,
# "deny *"), with another user's calls outside the scope at the same time.
evil=$(printf 'x\ndeny *')
cp ./vfio_workload "/tmp/$evil"
$ISC policy learn -d 120 -o "$R/evil.policy" --exe "/tmp/$evil" 2>"$R/evil-learn.err" &
lp=$!
if wait_for "$R/evil-learn.err" $lp learning; then
	$C -u 65534 map 1 3 >"$R/evil-other.txt" 2>&1
	"/tmp/$evil" --skip-fault --manifest /tmp/evil-manifest.jsonl >/dev/null 2>&1
fi
kill -INT $lp 2>/dev/null
wait $lp
echo $? >"$R/evil-learn.rc"
$ISC policy check "$R/evil.policy" >"$R/evil-check.txt" 2>&1
if enforce_start evil --policy "$R/evil.policy"; then
	"/tmp/$evil" --skip-fault --manifest /tmp/evil-manifest2.jsonl >"$R/evil-workload.log" 2>&1
	echo $? >"$R/evil-workload.rc"
	$C map 1 2 >"$R/evil-read-only.txt" 2>&1
	enforce_stop evil
fi

# A deny log a user planted as a symlink in a directory of its own (in a
# sticky /tmp the kernel itself refuses O_CREAT through another user's
# link): not followed, the target keeps its mode.
echo secret >/isc-target
chmod 0644 /isc-target
mkdir -p /tmp/userlogs
chown 65534 /tmp/userlogs
$C -u 65534 exec ln -s /isc-target /tmp/userlogs/deny.jsonl 2>"$R/symlink-ln.err"
./iommuscope enforce -o /tmp/userlogs/deny.jsonl -d 1 >"$R/symlink-log.txt" 2>&1
echo $? >"$R/symlink-log.rc"
stat -c %a /isc-target >"$R/symlink-target-mode.txt"

# The pin directory: bpffs mounted without options (1777) lets uid 65534
# create it first; enforce refuses it. Mounted by enforce: 1700.
umount /sys/fs/bpf 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
stat -c %a /sys/fs/bpf >"$R/pindir-bpffs-mode.txt"
$C -u 65534 exec mkdir /sys/fs/bpf/iommuscope 2>"$R/pindir-mkdir.err"
./iommuscope enforce --pin -d 1 >"$R/pindir-enforce.txt" 2>&1
echo $? >"$R/pindir-enforce.rc"
./iommuscope enforce --stop >"$R/pindir-stop.txt" 2>&1
echo $? >"$R/pindir-stop.rc"
[ -d /sys/fs/bpf/iommuscope ] && echo kept >"$R/pindir-kept.txt"
rmdir /sys/fs/bpf/iommuscope
umount /sys/fs/bpf
if enforce_start pindir --pin; then
	stat -c %a /sys/fs/bpf >"$R/pindir-fresh-mode.txt"
	stat -c '%u %a' /sys/fs/bpf/iommuscope >"$R/pindir-fresh-dir.txt"
	$C -u 65534 exec mkdir /sys/fs/bpf/other 2>"$R/pindir-fresh-mkdir.err"
	echo $? >"$R/pindir-fresh-mkdir.rc"
	enforce_stop pindir
	./iommuscope enforce --stop >"$R/pindir-fresh-stop.txt" 2>&1
	echo $? >"$R/pindir-fresh-stop.rc"
fi
exit 0

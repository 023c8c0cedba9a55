#!/bin/sh
# Runs inside the iommufd guest (scripts/guest/build-kernel.sh's kernel:
# iommufd, its mock IOMMU, VFIO cdev and /dev/vfio/vfio served by iommufd),
# from run.sh. Every result goes to $RESULTS for tests/guest-iommufd.bats;
# pass/fail is decided on the host.
#   1. probe
#   2. the edu device through the VFIO cdev (iommufd_workload) and through
#      /dev/vfio/vfio served by iommufd (vfio_workload), under one trace
#   3. QEMU (>= 9, bookworm-backports') with the edu device as vfio-pci,
#      through iommufd (-object iommufd) and through the compat container,
#      each under strace and iommuscope at once
#   4. the kernel's own iommufd selftest under strace and iommuscope at once
set -u
R=$RESULTS
cd "$(dirname "$0")" || exit 1

. ./lib.sh

wait_tracing() { # ERRFILE PID
	wait_for "$1" "$2" tracing
}

stamp() { echo "$1 $(cut -d' ' -f1 /proc/uptime)" >>"$R/times.txt"; }

stamp start
./iommuscope probe --json >"$R/probe.json" 2>"$R/probe.err"
echo $? >"$R/probe.rc"
./iommuscope probe >"$R/probe.txt" 2>&1
ls -l /dev/iommu /dev/vfio /dev/vfio/devices >"$R/nodes.txt" 2>&1
stamp probe

# 2. edu: cdev + iommufd, then the compat container
./iommuscope trace --json >"$R/trace-edu.jsonl" 2>"$R/trace-edu.err" &
tp=$!
if wait_tracing "$R/trace-edu.err" "$tp"; then
	./iommufd_workload --manifest "$R/manifest-cdev.jsonl" >"$R/workload-cdev.log" 2>&1
	echo $? >"$R/workload-cdev.rc"
	./vfio_workload --manifest "$R/manifest-compat.jsonl" >"$R/workload-compat.log" 2>&1
	echo $? >"$R/workload-compat.rc"
else
	echo 99 >"$R/workload-cdev.rc"
	echo 99 >"$R/workload-compat.rc"
fi
kill -INT "$tp" 2>/dev/null
wait "$tp"
echo $? >"$R/trace-edu.rc"
stamp edu

# the catalog's 7.1-7.3 rows: features 12-14 on the device, 0x95 on the
# compat container and on /dev/iommu
traced trace-rows tracing workload-rows \
	'./vfio_workload --catalog-rows --manifest "$R/manifest-rows.jsonl" >"$R/workload-rows.log" 2>&1' \
	-- trace --json
stamp rows

# 3. QEMU: its VFIO setup is done when the machine is built, before the
# CPUs run (-S): over QMP, then quit (unmaps, closes). The iommufd backend
# opens the device's cdev; without it, QEMU takes the group and container.
# strace -y names each fd's file, so the counts compare per fd kind too.
qemu_run() { # NAME BACKEND-ARGS...
	q_name=$1
	shift
	printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"quit"}' |
		strace -f -y -X raw -e trace=ioctl -o "$R/strace-$q_name.txt" \
		qemu/qemu-system-x86_64 -L qemu -bios qboot.rom -machine q35 -accel tcg -m 64 \
		-nodefaults -display none -S -name "guest=$q_name,debug-threads=on" \
		"$@" -qmp stdio >"$R/$q_name.log" 2>&1
}
# The iommufd run under audit and top too: each names QEMU's VM by its
# -name guest= (tests/guest-iommufd.bats). They start first: at start they
# ask /dev/vfio/vfio for its extensions, calls the trace must not count.
qemu_watched() { # NAME "BACKEND-ARGS" (split at blanks)
	w_name=$1 w_args=$2
	./iommuscope audit --json -o "$R/audit-$w_name.jsonl" --flush 1 2>"$R/audit-$w_name.err" &
	w_ap=$!
	./iommuscope top --json -d 1h >"$R/top-$w_name.jsonl" 2>"$R/top-$w_name.err" &
	w_op=$!
	echo 99 >"$R/$w_name.rc"
	if wait_for "$R/audit-$w_name.err" "$w_ap" auditing 600 &&
	   wait_for "$R/top-$w_name.err" "$w_op" counting 600; then
		traced "trace-$w_name" tracing "$w_name" 'qemu_run "$w_name" $w_args' -- trace --json
	fi
	kill -INT "$w_ap" "$w_op" 2>/dev/null
	wait "$w_ap"
	echo $? >"$R/audit-$w_name.rc"
	wait "$w_op"
	echo $? >"$R/top-$w_name.rc"
}
if [ -x qemu/qemu-system-x86_64 ]; then
	qemu/qemu-system-x86_64 --version >"$R/qemu-version.txt" 2>&1
	qemu_watched qemu-iommufd "-object iommufd,id=ifd0 -device vfio-pci,host=$ISC_BDF,iommufd=ifd0"
	traced trace-qemu-legacy tracing qemu-legacy \
		'qemu_run qemu-legacy -device vfio-pci,host=$ISC_BDF' -- trace --json
else
	echo 98 >"$R/qemu-iommufd.rc"
	echo 98 >"$R/qemu-legacy.rc"
fi
stamp qemu

# 4. the selftest: every iommufd ioctl against the mock IOMMU. Its hugepage
# variants need hugetlb pages. strace -f follows the harness's forks (not
# --seccomp-bpf: strace 6.1's filter makes every harness child fail).
echo 96 >/proc/sys/vm/nr_hugepages
cat /proc/sys/vm/nr_hugepages >"$R/hugepages.txt"
traced trace-selftest tracing selftest \
	'strace -f -X raw -e trace=ioctl -o "$R/strace.txt" ./iommufd >"$R/selftest.tap" 2>&1' \
	-- trace --json
stamp selftest
# the enforce policy on iommufd (tests/guest-iommufd-enforce.bats)
sh enforce/iommufd.sh >"$R/enforce-iommufd.log" 2>&1
stamp enforce
exit 0

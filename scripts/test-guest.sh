#!/usr/bin/env bash
# The guest stage of 'make test': for each kernel, build the payload (static
# iommuscope + the VFIO workload + tests/guest/payload/run.sh), boot the
# kernel once under QEMU with the edu device behind an emulated VT-d IOMMU,
# and assert on the structured results with tests/guest.bats.
#
# The "iommufd" kernel is built from sid's linux-source by
# scripts/guest/build-kernel.sh (cached in ~/.cache/iommuscope; a cold build
# takes about 22 minutes on 2 cores) and runs tests/guest/payload/iommufd.sh
# instead: the edu device through the VFIO cdev and iommufd's compat
# container, and the kernel's own iommufd selftest under strace and
# iommuscope; asserted by tests/guest-iommufd.bats.
#
# The boot of one Debian kernel (dpdk_kernel, 6.12) also runs Debian's
# dpdk-testpmd on an emulated e1000 under strace and trace
# (tests/guest/dpdk, tests/guest-dpdk.bats).
#
# ISC_GUEST_KERNELS  kernels to run (default: scripts/guest/kernels)
# ISC_GUEST_OUT      where results are kept (default: .output/guest)
# ISC_GUEST_SKIP=1   skip the stage (prints why)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
kernels=${ISC_GUEST_KERNELS:-$(grep -v '^#' scripts/guest/kernels)}
out=${ISC_GUEST_OUT:-$top/.output/guest}

if [ "${ISC_GUEST_SKIP:-0}" = 1 ]; then
	echo "guest: skipped (ISC_GUEST_SKIP=1)"
	exit 0
fi
for tool in qemu-system-x86_64 busybox cpio; do
	command -v "$tool" >/dev/null || [ -x "/bin/$tool" ] || {
		echo "guest: $tool missing: run 'make test-deps' as root" >&2
		exit 1
	}
done

t0=$(date +%s.%N)
make -s STATIC=1 OUTPUT="$top/.output-static" all
make -s -C tests/workload O="$top/.output-static/workload"
payload=$out/payload
rm -rf "$payload"
mkdir -p "$payload"
cp tests/guest/payload/run.sh tests/guest/lib.sh "$top/.output-static/iommuscope" \
	"$top/.output-static/workload/vfio_workload" \
	"$top/.output-static/workload/enforce_client" \
	"$top/.output-static/workload/enforce_client32" "$payload/"
cp -r tests/guest/enforce "$payload/enforce"
cp -r tests/guest/modules "$payload/modules"
cp -r tests/guest/vm "$payload/vm"
cp -r tests/guest/dpdk "$payload/dpdk"
cp -r tests/policies/bad "$payload/policies-bad"
# 5.10 only: the IOMMU UAPI test module and its client (tests/guest/uapi)
case " $kernels " in *" 5.10 "*)
	if ko=$(tests/guest/uapi/build.sh 5.10 | tail -n 1) && [ -s "$ko" ]; then
		mkdir -p "$payload/uapi"
		cp tests/guest/uapi/run.sh "$ko" "$top/.output-static/workload/uapi_client" "$payload/uapi/"
	else echo "guest: isc_uapi.ko not built: tests/guest-uapi.bats will fail" >&2; fi ;;
esac
# On the host, not in the guest: the unit test that prints the guests'
# trace -w captures through the sinks and through the frozen reference
# (tests/guest.bats and tests/guest-modules.bats run it on them).
outeq=$top/.output/tests/test_outeq
make -s "$outeq" || echo "guest: $outeq not built: the test_outeq checks will fail" >&2
build_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "guest: static build ${build_s}s"

# The iommufd kernel's payload: the same plus the cdev workload and the
# kernel's selftest (built with the kernel, from the same source).
if [[ " $kernels " == *" iommufd "* ]]; then
	t1=$(date +%s.%N)
	pl_iommufd=$out/payload-iommufd
	if ! kdir=$(scripts/guest/fetch-kernel.sh iommufd | tail -n1) || [ ! -d "$kdir" ]; then
		echo "guest: building the iommufd kernel failed" >&2
		exit 1
	fi
	rm -rf "$pl_iommufd"
	mkdir -p "$pl_iommufd"
	cp tests/guest/payload/run.sh tests/guest/payload/iommufd.sh tests/guest/lib.sh \
		"$top/.output-static/iommuscope" "$top/.output-static/workload/vfio_workload" \
		"$top/.output-static/workload/iommufd_workload" "$kdir/selftest/iommufd" \
		"$top/.output-static/workload/enforce_client" "$pl_iommufd/"
	cp -r tests/guest/enforce "$pl_iommufd/enforce"
	# QEMU >= 9 (iommufd backend), bookworm-backports' (fetch-kernel.sh qemu):
	# the binary (its libraries come from this machine, as for every ELF of
	# the payload) and qboot, the smallest firmware it can start with
	if ! qdir=$(scripts/guest/fetch-kernel.sh qemu | tail -n1) || [ ! -d "$qdir" ]; then
		echo "guest: fetching QEMU (bookworm-backports) failed" >&2
		exit 1
	fi
	mkdir -p "$pl_iommufd/qemu"
	cp "$qdir/usr/bin/qemu-system-x86_64" "$qdir/usr/share/qemu/qboot.rom" "$pl_iommufd/qemu/"
	echo "guest: iommufd kernel $(awk -v a="$t1" -v b="$(date +%s.%N)" \
		'BEGIN { printf "%.1f", b - a }')s ($(jq -r '"built \(.date), cold \(.cold), \(.total_s)s"' \
		"$kdir/build.json"))"
fi

# DPDK (tests/guest/dpdk, tests/guest-dpdk.bats), in the boot of one
# kernel: Debian's dpdk-testpmd on an emulated e1000 behind the VT-d, with
# strace. -cpu max: Debian's DPDK is built for SSE4.2 and more, which
# QEMU's default qemu64 lacks (SIGILL); other boots keep qemu64. EAL loads
# the PMDs of its plugin folder (DPDK_PLUGIN_PATH in librte_eal): only
# net_e1000 and mempool_ring are brought. pthread_cancel dlopens libgcc_s.
dpdk_kernel=6.12
dpdk_opts=()
dpdk_setup() {
	local testpmd eal pmds f
	testpmd=$(command -v dpdk-testpmd) || return 1
	eal=$(ldd "$testpmd" | awk '$1 ~ /^librte_eal\.so/ { print $3 }')
	pmds=$(grep -a -o 'DPDK_PLUGIN_PATH=[^[:cntrl:]]*' "$eal" | head -n 1 | cut -d= -f2)
	[ -d "$pmds" ] || return 1
	dpdk_opts=(--cpu max --device e1000 --bin strace --bin "$testpmd")
	for f in "$pmds"/librte_net_e1000.so.*.* "$pmds"/librte_mempool_ring.so.*.* \
		"$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF; exit }')"; do
		[ -f "$f" ] || return 1
		dpdk_opts+=(--bin "$f:$f")
	done
}
if [[ " $kernels " == *" $dpdk_kernel "* ]] && ! dpdk_setup; then
	echo "guest: dpdk-testpmd or its PMDs missing ('make test-deps'): tests/guest-dpdk.bats will fail" >&2
	dpdk_opts=()
fi

rc=0
summary=()
# boot NAME KERNEL PAYLOAD TIMEOUT [run.sh options] -- BATS_FILE...: one
# guest boot (results in $out/NAME), then its asserts, and a summary line.
boot() {
	local name=$1 k=$2 pl=$3 timeout=$4 t1 t2 t3 res=ok opts=()
	shift 4
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	t1=$(date +%s.%N)
	if ! scripts/guest/run.sh --kernel "$k" --payload "$pl" --out "$out/$name" \
		--timeout "$timeout" "${opts[@]}"; then
		echo "guest $name: the guest run failed (console: $out/$name/console.log)" >&2
	fi
	t2=$(date +%s.%N)
	if ! ISC_GUEST_DIR="$out/$name" ISC_GUEST_KERNEL="$k" ISC_GUEST_OUT="$out" \
		ISC_BIN="$top/.output/iommuscope" ISC_OUTEQ="$outeq" bats "$@"; then
		res=FAIL
		rc=1
	fi
	t3=$(date +%s.%N)
	summary+=("$(awk -v k="$name" -v a="$t1" -v b="$t2" -v c="$t3" -v r="$res" \
		'BEGIN { printf "guest %-10s boot+run %6.1fs  asserts %5.1fs  %s", k, b - a, c - b, r }')")
}

debian=()
for k in $kernels; do
	if [ "$k" = iommufd ]; then
		boot iommufd iommufd "$pl_iommufd" 1500 --bin strace -- \
			tests/guest-iommufd.bats tests/guest-iommufd-enforce.bats
		continue
	fi
	debian+=("$k")
	# the profiles recorded on the kernels before this one, to check live
	rm -rf "$payload/profiles"
	mkdir -p "$payload/profiles"
	for prev in "${debian[@]}"; do
		[ "$prev" = "$k" ] && break
		[ -f "$out/$prev/profile.json" ] && cp "$out/$prev/profile.json" "$payload/profiles/$prev.json"
	done
	# overlay: the enforce tests' exe rule on an overlayfs executable
	opts=(--modules overlay)
	more=()
	[ "$k" = 5.10 ] && more+=(tests/guest-uapi.bats)
	if [ "$k" = "$dpdk_kernel" ]; then
		opts+=(${dpdk_opts[@]+"${dpdk_opts[@]}"})
		more+=(tests/guest-dpdk.bats)
	fi
	boot "$k" "$k" "$payload" 720 "${opts[@]}" -- tests/guest.bats tests/guest-enforce.bats \
		tests/guest-modules.bats tests/guest-vm.bats ${more[@]+"${more[@]}"}
done
# One more boot of the first kernel with BPF LSM left out of lsm=: enforce
# must refuse with the fix, trace must keep working.
nolsm=${kernels%% *}
rm -rf "$out/nolsm-payload"
mkdir -p "$out/nolsm-payload"
cp tests/guest/nolsm/run.sh tests/guest/lib.sh "$top/.output-static/iommuscope" \
	"$top/.output-static/workload/enforce_client" "$out/nolsm-payload/"
boot "$nolsm-nolsm" "$nolsm" "$out/nolsm-payload" 240 --append "lsm=lockdown,capability" -- \
	tests/guest-nolsm.bats

# across the (Debian) kernels: every profile judged against every other kernel
if [ "${#debian[@]}" -ge 2 ]; then
	if ! ISC_GUEST_OUT="$out" ISC_GUEST_KERNELS="${debian[*]}" ISC_BIN="$top/.output/iommuscope" \
		bats tests/guest-matrix.bats; then
		rc=1
	fi
fi
printf '%s\n' "${summary[@]}"
exit $rc

#!/bin/sh
# DPDK in the guest (busybox sh), from tests/guest/payload/run.sh when the
# boot brought dpdk-testpmd (scripts/test-guest.sh: one kernel, with
# run.sh --cpu max --device e1000 --bin dpdk-testpmd ... --bin strace).
# Debian's testpmd drives QEMU's e1000 through vfio-pci and the emulated
# VT-d with net_e1000_em, under strace and `iommuscope trace --json` at
# once (strace -y: each fd's path, -X verbose: the number and strace's
# name for it); tests/guest-dpdk.bats compares the two on the host. Results in
# $RESULTS/dpdk. Afterwards the NIC is unbound and the hugepages given
# back, so the boot's later steps see the machine as before.
set -u
R=$RESULTS/dpdk
mkdir -p "$R"
cd "$(dirname "$0")/.." || exit 1

. ./lib.sh

stamp() { echo "$1 $(cut -d' ' -f1 /proc/uptime)" >>"$R/times.txt"; }

stamp start
# the NIC (8086:100e), which /init left without a driver
BDF=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x100e ]; then
		BDF=${d##*/}
		break
	fi
done
[ -n "$BDF" ] || { echo "no e1000 (8086:100e) on the PCI bus" >"$R/error"; exit 1; }
dev=/sys/bus/pci/devices/$BDF
GROUP=$(basename "$(readlink "$dev/iommu_group")")
echo vfio-pci >"$dev/driver_override"
echo "$BDF" >/sys/bus/pci/drivers_probe
i=0
while [ $i -lt 50 ] && ! [ -c "/dev/vfio/$GROUP" ]; do
	sleep 0.1
	i=$((i + 1))
done
# its config space: which interrupts it has (tests/guest-dpdk.bats)
od -An -tx1 -v "$dev/config" >"$R/config.txt"
printf '{"bdf": "%s", "group": "%s", "driver": "%s", "edu_group": "%s"}\n' "$BDF" "$GROUP" \
	"$(basename "$(readlink "$dev/driver")")" "${ISC_GROUP:-}" >"$R/nic.json"

# 2 MiB hugepages for EAL's memory (it maps each into the container)
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
echo 64 >"$hp"
cat "$hp" >"$R/hugepages.txt"
mkdir -p /dev/hugepages /var/run
mount -t hugetlbfs nodev /dev/hugepages
# EAL refuses plugins under a world-writable directory: the initramfs's
# root is (tmpfs, 1777); put back afterwards
rootmode=$(stat -c %a /)
chmod 755 /
stamp setup

# EAL loads the PMDs in its plugin folder (only net_e1000 and
# mempool_ring were brought); lcore 1 forwards. --tx-first sends one burst
# through the IOMMU; stdin at EOF answers "Press enter to exit" at once:
# port start, forwarding, stop, close, in a few seconds.
traced trace tracing testpmd \
	'strace -f -y -X verbose -e trace=ioctl -o "$R/strace.txt" dpdk-testpmd -l 0-1 -n 1 \
		--no-telemetry -a "$BDF" -- --total-num-mbufs=4096 --tx-first --stats-period 0 \
		</dev/null >"$R/testpmd.log" 2>&1' \
	-- trace --json
stamp testpmd

chmod "$rootmode" /
umount /dev/hugepages
echo 0 >"$hp"
echo "$BDF" >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"$dev/driver_override"
stamp cleanup
exit 0

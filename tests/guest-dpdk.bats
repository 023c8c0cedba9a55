#!/usr/bin/env bats
# DPDK in the guest: Debian's dpdk-testpmd drove QEMU's e1000 through
# vfio-pci and the emulated VT-d (net_e1000_em, IOMMU type 1, 2 MiB
# hugepages) under `strace -f -y -X verbose -e trace=ioctl` and
# `iommuscope trace --json` at once (tests/guest/dpdk/run.sh, in the boot
# scripts/test-guest.sh gives the NIC, -cpu max and DPDK). Asserted here on
# the host, over ISC_GUEST_DIR/dpdk: strace's calls and iommuscope's
# records, call by call, with tests/guest/iommufd/strace-ioctls.awk (the
# iommufd selftest's comparison).

load helpers

setup_file() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}/dpdk
	T=$BATS_FILE_TMPDIR
	jq -c 'select(.type == "ioctl")' "$D/trace.jsonl" >"$T/ioctl.jsonl" || true
	# "cmd kind result names" per VFIO ioctl strace saw
	awk -v kinds=1 -f "$BATS_TEST_DIRNAME/guest/iommufd/strace-ioctls.awk" "$D/strace.txt" \
		>"$T/strace-calls.txt" 2>/dev/null || true
}

setup() {
	D=${ISC_GUEST_DIR:?set ISC_GUEST_DIR}/dpdk
	T=$BATS_FILE_TMPDIR
	BDF=$(jq -r .bdf "$D/nic.json" 2>/dev/null)
}

# the capability ids of the NIC's config space (od -tx1 of sysfs config),
# one a line
pci_caps() {
	awk 'function v(o) { return (index(hx, substr(b[o], 1, 1)) - 1) * 16 + index(hx, substr(b[o], 2, 1)) - 1 }
		BEGIN { hx = "0123456789abcdef" }
		{ for (i = 1; i <= NF; i++) b[n++] = $i }
		END { if (n != 256) exit 1
		      if (v(6) % 32 < 16) exit; p = v(52)
		      while (p >= 64 && k++ < 48) { printf "%02x\n", v(p); p = v(p + 1) } }' "$D/config.txt"
}

@test "dpdk: testpmd drove the e1000 through vfio-pci and the IOMMU, and exited cleanly" {
	[ -f "$D/testpmd.rc" ] || { cat "$D/../dpdk-run.log"; false; }
	[ "$(cat "$D/testpmd.rc")" -eq 0 ] || { tail -n 30 "$D/testpmd.log"; false; }
	[ "$(cat "$D/trace.rc")" -eq 0 ] || { cat "$D/trace.err"; false; }
	# its own group, not edu's; 64 hugepages of 2 MiB
	jq -e '.driver == "vfio-pci" and .group != "" and .group != .edu_group' "$D/nic.json"
	[ "$(cat "$D/hugepages.txt")" -eq 64 ]
	grep -F "EAL: Probe PCI driver: net_e1000_em (8086:100e) device: $BDF" "$D/testpmd.log"
	grep -F 'EAL: Using IOMMU type 1 (Type 1)' "$D/testpmd.log"
	# the --tx-first burst left through the IOMMU; every port closed
	grep -E '^ +TX-packets: 32 ' "$D/testpmd.log"
	grep -Fx 'Port 0 is closed' "$D/testpmd.log"
	tail -n 1 "$D/trace.jsonl" | jq -e '.type == "summary" and .mode == "full"
		and .drops == 0 and .invalid == 0'
	# what the step cost under TCG (setup: bind, hugepages; testpmd: the
	# tracer's start, then testpmd under strace)
	awk '{ t[$1] = $2 } END { printf "dpdk step %.1f s (setup %.1f s, testpmd %.1f s)\n",
		t["cleanup"] - t["start"], t["setup"] - t["start"], t["testpmd"] - t["setup"] }' \
		"$D/times.txt" >&3
}

@test "dpdk: per (command, fd kind, result) counts equal strace's" {
	n=$(wc -l <"$T/strace-calls.txt")
	[ "$n" -ge 30 ]
	# every call strace saw finished
	[ "$(grep -c ' unfinished ' "$T/strace-calls.txt")" -eq 0 ]
	# "count cmd kind result", both sides
	cut -d' ' -f1-3 "$T/strace-calls.txt" | sort | uniq -c >"$T/strace.counts"
	jq -r '"\(.cmd) \(.fd_kind) \(.errno // "ok")"' "$T/ioctl.jsonl" | sort | uniq -c >"$T/trace.counts"
	diff "$T/strace.counts" "$T/trace.counts"
	sed 's/^/  /' "$T/trace.counts" >&3
	# on all three of type1's fd kinds, from testpmd's process only
	[ "$(cut -d' ' -f2 "$T/strace-calls.txt" | LC_ALL=C sort -u | tr '\n' ' ')" = "container device group " ]
	[ "$(jq -r .pid "$T/ioctl.jsonl" | sort -u | wc -l)" -eq 1 ]
}

@test "dpdk: every call is named, with strace's name for its number" {
	# strace knew every number too (no _IOC(...))
	[ "$(grep -c '_IOC(' "$T/strace-calls.txt")" -eq 0 ]
	jq -e -s 'all(.name != null and (.classes | index("unknown-ioctl") | not))' "$T/ioctl.jsonl"
	# iommuscope's name is one of strace's candidates for that (number,
	# fd kind): 0x3b71 is VFIO_IOMMU_MAP_DMA or VFIO_DEVICE_PCI_HOT_RESET
	jq -r '"\(.cmd) \(.fd_kind) \(.name)"' "$T/ioctl.jsonl" |
		awk -v st="$T/strace-calls.txt" '
			BEGIN { while ((getline l < st) > 0) { split(l, f, " "); c[f[1] " " f[2]] = "|" f[4] "|" } }
			!(($1 " " $2) in c) || index(c[$1 " " $2], "|" $3 "|") == 0 { print "not strace'\''s:", $0; bad = 1 }
			END { exit bad }'
	# what EAL, the PCI bus and net_e1000 call, and nothing else
	[ "$(jq -r .name "$T/ioctl.jsonl" | LC_ALL=C sort -u | tr '\n' ' ')" = "VFIO_CHECK_EXTENSION \
VFIO_DEVICE_GET_INFO VFIO_DEVICE_GET_IRQ_INFO VFIO_DEVICE_GET_REGION_INFO VFIO_DEVICE_RESET \
VFIO_DEVICE_SET_IRQS VFIO_GET_API_VERSION VFIO_GROUP_GET_DEVICE_FD VFIO_GROUP_GET_STATUS \
VFIO_GROUP_SET_CONTAINER VFIO_IOMMU_MAP_DMA VFIO_IOMMU_UNMAP_DMA VFIO_SET_IOMMU " ]
}

@test "dpdk: every verdict and every refusal is explained" {
	# one line of explanation exactly where the class is not ok
	jq -e -s 'all(if .class == "ok" then .classes == [] and .explain == null
		else (.classes | length) > 0 and (.explain | length) > 20 end)' "$T/ioctl.jsonl"
	# the one verdict: DPDK was built against Debian 12's linux-libc-dev
	# (6.1), whose struct vfio_device_info ends at cap_offset (20 bytes);
	# this kernel's has the padding 6.6 added (24)
	jq -e -s '[.[] | select(.class != "ok") | [.name, .argsz, .kernel_size, .class, .built_against]]
		| unique == [["VFIO_DEVICE_GET_INFO", 20, 24, "older-struct", "Linux >= 5.10, < 6.6"]]' \
		"$T/ioctl.jsonl"
	printf '#include <linux/vfio.h>\n#include <stdio.h>\nint main(void) { printf("%%zu\\n", sizeof(struct vfio_device_info)); return 0; }\n' \
		>"$BATS_TEST_TMPDIR/sz.c"
	cc -o "$BATS_TEST_TMPDIR/sz" "$BATS_TEST_TMPDIR/sz.c"
	[ "$("$BATS_TEST_TMPDIR/sz")" -eq 20 ]
	# the calls the kernel refused, and why:
	jq -e -s '[.[] | select(.ret < 0) | [.name, .index, .count, .errno]] ==
		[["VFIO_DEVICE_RESET", null, null, "EINVAL"],
		 ["VFIO_DEVICE_SET_IRQS", 2, 1, "EINVAL"], ["VFIO_DEVICE_SET_IRQS", 2, 0, "EINVAL"]]' \
		"$T/ioctl.jsonl"
	# the reset: GET_INFO's answer had no VFIO_DEVICE_FLAGS_RESET
	jq -e -s 'map(select(.name == "VFIO_DEVICE_GET_INFO")) | length == 1 and
		.[0].flags_out_names == "PCI"' "$T/ioctl.jsonl"
	# MSI-X (index 2): EAL picks it because GET_IRQ_INFO offers an eventfd
	# for it, but the e1000 has no MSI-X capability (id 11), so no vectors
	# to enable or disable; it has INTx (a pin)
	[ "$(jq -s -r 'map(select(.name == "VFIO_DEVICE_GET_IRQ_INFO") | .index) | join(" ")' \
		"$T/ioctl.jsonl")" = 2 ]
	caps=$(pci_caps)
	echo "capabilities: ${caps:-none}"
	[[ $'\n'$caps$'\n' != *$'\n'11$'\n'* ]]
	[ "$(awk '{ for (i = 1; i <= NF; i++) b[n++] = $i } END { print b[61] }' "$D/config.txt")" != 00 ]
	grep -F 'EAL: Error enabling MSI-X interrupts' "$D/testpmd.log"
}

@test "dpdk: the NIC's bind, its DMA maps and their bytes, no fault" {
	g=$(jq -r .group "$D/nic.json")
	i=$(jq -s -c 'map(select(.type == "iommu" and .owner_comm == "dpdk-testpmd"))' "$D/trace.jsonl")
	jq -e --arg bdf "$BDF" --argjson g "$g" 'map(select(.op == "bind" or .op == "unbind"))
		| map([.op, .device, .group, .in_ioctl]) ==
		[["bind", $bdf, $g, "VFIO_SET_IOMMU"], ["unbind", $bdf, $g, null]]' <<<"$i"
	jq -e 'map(select(.op == "fault")) == []' <<<"$i"
	# the hugepages EAL mapped and unmapped, byte for byte
	for op in MAP UNMAP; do
		want=$(jq -s --arg n "VFIO_IOMMU_${op}_DMA" 'map(select(.name == $n and .ret == 0) | .size) | add' \
			"$T/ioctl.jsonl")
		[ "$want" -gt 0 ]
		[ $((want % 2097152)) -eq 0 ]
		jq -s -e --arg n "VFIO_IOMMU_${op}_DMA" --argjson w "$want" --arg f "$(tr A-Z a-z <<<"$op")_bytes" \
			'map(select(.type == "iommu_map" and .ioctl == $n)) | last | .[$f] == $w' "$D/trace.jsonl"
	done
}

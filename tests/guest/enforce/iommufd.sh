#!/bin/sh
# The enforce policy on the iommufd kernel (called by
# tests/guest/payload/iommufd.sh): iommufd's own size rules and the compat
# container's narrower flags. Asserted by tests/guest-iommufd-enforce.bats.
set -u
R=$RESULTS/enforce-iommufd
mkdir -p "$R"
C=./enforce_client
. ./lib.sh

# all: the calls, with whatever enforces now
all() {
	tag=$1
	$C iommufd 7 40 0 >"$R/$tag-map.txt" 2>&1		# FIXED|WRITEABLE|READABLE
	$C iommufd 0x87 40 0 >"$R/$tag-badflag.txt" 2>&1	# bit 7: no such flag
	$C iommufd 7 48 0 >"$R/$tag-zerotail.txt" 2>&1		# bigger, zero tail
	$C iommufd 7 48 1 >"$R/$tag-tail.txt" 2>&1		# bigger, non-zero tail
	$C iommufd 7 32 0 >"$R/$tag-short.txt" 2>&1		# shorter than 40
	$C map 3 2 >"$R/$tag-compat-rw.txt" 2>&1		# compat container
	$C map 7 2 >"$R/$tag-compat-vaddr.txt" 2>&1		# VADDR: type1 only
	$C compat-ioas 0 >"$R/$tag-compat-ioas.txt" 2>&1	# iommufd's own ioctl on
	$C compat-ioas 1 >"$R/$tag-compat-ioas-bad.txt" 2>&1	# the compat node; no flag 1
}

all base
if enforce_start default; then
	all default
	enforce_stop default
fi
if enforce_start kernel --policy enforce/errno-kernel.policy; then
	all kernel
	enforce_stop kernel
fi
# a rule on an iommufd ioctl holds on the compat node too
printf 'deny IOMMU_IOAS_ALLOC\n' >/tmp/deny-ioas.policy
if enforce_start deny-ioas --policy /tmp/deny-ioas.policy; then
	$C compat-ioas 0 >"$R/deny-ioas-compat.txt" 2>&1
	enforce_stop deny-ioas
fi
# device fds from a group with no kallsyms addresses (kptr_restrict=2)
$C irqs 0x61 >"$R/irqs-base-bad.txt" 2>&1
$C irqs 0x21 >"$R/irqs-base-good.txt" 2>&1
kr=$(cat /proc/sys/kernel/kptr_restrict)
echo 2 >/proc/sys/kernel/kptr_restrict
if enforce_start kptr; then
	$C irqs 0x61 >"$R/kptr-irqs-bad.txt" 2>&1
	$C irqs 0x21 >"$R/kptr-irqs-good.txt" 2>&1
	enforce_stop kptr
fi
echo "$kr" >/proc/sys/kernel/kptr_restrict
exit 0

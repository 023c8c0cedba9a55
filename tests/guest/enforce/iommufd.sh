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
exit 0

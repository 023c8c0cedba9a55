#!/bin/sh
# Smoke payload for the guest test bed (runs in the guest under busybox sh,
# cwd /payload, RESULTS=/results; see scripts/guest/init.sh).
# Checks that vfio-pci owns the edu device: the container and the group's
# character device open, and records what it saw in $RESULTS/smoke.json.
set -eu

echo "smoke: kernel $(uname -r)"
ls -l /dev/vfio

# The group number: from the device's iommu_group link (init.sh also exports
# it as ISC_GROUP; reading sysfs checks that independently).
bdf=${ISC_BDF:?no edu device (see env.json)}
group=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")
driver=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")
echo "smoke: $bdf driver $driver group $group"

# Open the container and the group (a group opens only if it is viable and
# not already open). busybox sh cannot ioctl; opening is what we can prove.
# Subshells: a failed `exec` redirection would end this script.
container_open=false
group_open=false
if (exec 3<>/dev/vfio/vfio); then container_open=true; fi
if (exec 4<>"/dev/vfio/$group"); then group_open=true; fi

dev_vfio=""
for f in /dev/vfio/*; do dev_vfio="$dev_vfio${dev_vfio:+, }\"${f##*/}\""; done

# A host program shipped with --bin (jq and its shared libraries), if any.
jq_ok=false
if command -v jq >/dev/null 2>&1 && jq -e '.group != ""' "$RESULTS/env.json" >/dev/null; then
    jq_ok=true
fi

cat >"$RESULTS/smoke.json" <<JSON
{
  "release": "$(uname -r)",
  "bdf": "$bdf",
  "driver": "$driver",
  "group": "$group",
  "dev_vfio": [$dev_vfio],
  "container_open": $container_open,
  "group_open": $group_open,
  "guest_jq": $jq_ok
}
JSON
cat "$RESULTS/smoke.json"
[ "$container_open" = true ] && [ "$group_open" = true ]

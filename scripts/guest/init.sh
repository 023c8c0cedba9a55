#!/bin/sh
# /init of the iommuscope guest test bed (busybox ash, PID 1).
#
# mkinitramfs.sh installs this as /init next to:
#   /etc/isc/kernel      kernel NAME (5.10, 6.1, ...)
#   /etc/isc/modules     "name relpath" lines, already in load order
#   /etc/isc/builtin     names of the requested modules built into the kernel
#   /lib/modules/REL/    the (decompressed) modules listed there
#   /payload/            the payload; /payload/run.sh is run if present
#
# Kernel command line knobs (set by run.sh):
#   isc.nonce=STR    tag of the result markers on /dev/ttyS1
#   isc.timeout=SEC  the payload is killed after SEC seconds (default 240)
# The last occurrence wins, so run.sh --append can override them.
#
# Whatever happens, PID 1 must never exit (that would be a panic): every step
# tolerates failure, and the script always ends with shipping /results to the
# host over /dev/ttyS1 and `poweroff -f`.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
umask 022

log() { echo "[isc-init] $*"; }

# JSON string escaping for the few values we write (backslash, quote, ctrl).
jstr() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\037')"; }

ERRORS=""
err() { log "ERROR: $*"; ERRORS="$ERRORS${ERRORS:+,}$(jstr "$*")"; }

mnt() { # type dir [options]
    mkdir -p "$2"
    mount -t "$1" ${3:+-o "$3"} "$1" "$2" 2>/dev/null || err "mount $1 on $2 failed"
}

mkdir -p /proc /sys /dev /tmp /run /results /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
# The console is /dev/console from the kernel's built-in initramfs; reopen it
# now that devtmpfs is there so that our output reaches ttyS0 in all cases.
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
mnt securityfs /sys/kernel/security
mnt bpf /sys/fs/bpf
mnt cgroup2 /sys/fs/cgroup
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null || true
mount -t tmpfs tmpfs /dev/shm 2>/dev/null || true
hostname guest 2>/dev/null || true
ln -sf /proc/self/fd /dev/fd 2>/dev/null || true

cmdline=$(cat /proc/cmdline)
arg() { # value of the last isc.$1= on the kernel command line, or $2
    v=$2
    for w in $cmdline; do
        case $w in "isc.$1="*) v=${w#*=} ;; esac
    done
    echo "$v"
}
NONCE=$(arg nonce none)
TIMEOUT=$(arg timeout 240)
KNAME=$(cat /etc/isc/kernel 2>/dev/null || echo unknown)
REL=$(uname -r)
log "kernel $KNAME ($REL), payload timeout ${TIMEOUT}s"

# --- modules, in the order mkinitramfs.sh resolved from modules.dep -----------
# insmod (unlike modprobe) ignores "module.param=value" on the kernel command
# line; pass those on ourselves so that run.sh --append can set them.
modparams() {
    for w in $cmdline; do
        case $w in *.*=*) ;; *) continue ;; esac
        m=$(echo "${w%%.*}" | tr - _)
        [ "$m" = "$1" ] && printf '%s ' "${w#*.}"
    done
}
# Built into this kernel (mkinitramfs.sh found them in modules.builtin):
# nothing to load, listed in env.json as "builtin".
BUILTIN=""
while read -r name; do
    [ -n "$name" ] && BUILTIN="$BUILTIN${BUILTIN:+,}$(jstr "$name")"
done </etc/isc/builtin 2>/dev/null
LOADED=""
while read -r name rel; do
    [ -n "$name" ] || continue
    params=$(modparams "$name")
    [ -z "$params" ] || log "module $name: $params"
    # shellcheck disable=SC2086 # $params: one word per parameter
    if [ -d "/sys/module/$name" ]; then
        log "module $name already present"
    elif insmod "/lib/modules/$REL/$rel" $params 2>/tmp/insmod.err; then
        :
    else
        err "insmod $name: $(cat /tmp/insmod.err)"
        continue
    fi
    LOADED="$LOADED${LOADED:+,}$(jstr "$name")"
done </etc/isc/modules

# --- the edu device (1234:11e8) to vfio-pci ------------------------------------
BDF=""
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor" 2>/dev/null)" = 0x1234 ] && [ "$(cat "$d/device" 2>/dev/null)" = 0x11e8 ]; then
        BDF=${d##*/}
        break
    fi
done
GROUP=""
DRIVER=""
if [ -z "$BDF" ]; then
    err "no edu device (1234:11e8) on the PCI bus"
elif [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
    err "vfio-pci driver not registered"
else
    echo 1234 11e8 >/sys/bus/pci/drivers/vfio-pci/new_id 2>/dev/null || err "new_id write failed"
    if [ -e "/sys/bus/pci/devices/$BDF/iommu_group" ]; then
        GROUP=$(basename "$(readlink "/sys/bus/pci/devices/$BDF/iommu_group")")
    else
        err "$BDF has no IOMMU group (is the IOMMU on?)"
    fi
    # Binding and the /dev/vfio/N node (devtmpfs) appear asynchronously.
    i=0
    while [ $i -lt 50 ]; do
        DRIVER=$(basename "$(readlink "/sys/bus/pci/devices/$BDF/driver" 2>/dev/null)" 2>/dev/null)
        [ "$DRIVER" = vfio-pci ] && { [ -z "$GROUP" ] || [ -c "/dev/vfio/$GROUP" ]; } && break
        sleep 0.1
        i=$((i + 1))
    done
    [ "$DRIVER" = vfio-pci ] || err "$BDF not bound to vfio-pci (driver: ${DRIVER:-none})"
    [ -z "$GROUP" ] || [ -c "/dev/vfio/$GROUP" ] || err "/dev/vfio/$GROUP missing"
fi
log "edu ${BDF:-?} driver ${DRIVER:-none} group ${GROUP:-none}"

LSM=$(cat /sys/kernel/security/lsm 2>/dev/null)
{
    echo "{"
    echo "  \"kernel\": $(jstr "$KNAME"),"
    echo "  \"release\": $(jstr "$REL"),"
    echo "  \"cmdline\": $(jstr "$cmdline"),"
    echo "  \"bdf\": $(jstr "$BDF"),"
    echo "  \"group\": $(jstr "$GROUP"),"
    echo "  \"driver\": $(jstr "$DRIVER"),"
    echo "  \"vfio_dev\": $(jstr "${GROUP:+/dev/vfio/$GROUP}"),"
    echo "  \"modules\": [$LOADED],"
    echo "  \"builtin\": [$BUILTIN],"
    echo "  \"lsm\": $(jstr "$LSM"),"
    echo "  \"payload_timeout\": $TIMEOUT,"
    echo "  \"errors\": [$ERRORS]"
    echo "}"
} >/results/env.json

# --- the payload ---------------------------------------------------------------
if [ -f /payload/run.sh ]; then
    log "running /payload/run.sh"
    export RESULTS=/results ISC_KERNEL="$KNAME" ISC_RELEASE="$REL" ISC_BDF="$BDF" ISC_GROUP="$GROUP"
    mkfifo /tmp/run.fifo
    tee /results/run.log </tmp/run.fifo &
    teepid=$!
    # setsid: the payload leads its own process group, so the watchdog and the
    # clean-up below can kill everything it started.
    (cd /payload && exec setsid sh -c '[ -x ./run.sh ] && exec ./run.sh; exec sh ./run.sh') \
        >/tmp/run.fifo 2>&1 </dev/null &
    pid=$!
    (sleep "$TIMEOUT" && echo "$TIMEOUT" >/tmp/timed-out && kill -KILL "-$pid") 2>/dev/null &
    wdpid=$!
    wait "$pid"
    rc=$?
    kill "$wdpid" 2>/dev/null
    # Leftover children still hold the fifo open; tee only ends at EOF.
    kill -KILL "-$pid" 2>/dev/null
    (sleep 5 && kill "$teepid") 2>/dev/null &
    wait "$teepid" 2>/dev/null
    if [ -f /tmp/timed-out ]; then
        log "payload killed after ${TIMEOUT}s (guest timeout)" | tee -a /results/run.log
        echo "timeout" >/results/timed-out
    fi
    echo "$rc" >/results/status
    log "payload exit status $rc"
else
    log "no /payload/run.sh"
    echo 0 >/results/status
fi

# --- ship /results to the host over the second serial port ---------------------
dmesg >/results/dmesg.txt 2>/dev/null
sync
if [ -c /dev/ttyS1 ]; then
    # raw: no \n -> \r\n translation; the host strips \r anyway.
    stty -F /dev/ttyS1 raw -echo 2>/dev/null
    if (cd / && tar -czf /tmp/results.tgz results); then
        sum=$(md5sum </tmp/results.tgz | cut -d' ' -f1)
        size=$(wc -c </tmp/results.tgz)
        log "shipping results ($size bytes)"
        # Closing the tty waits until the UART has sent everything (closing_wait),
        # so nothing is lost to the poweroff below.
        {
            echo "ISC-RESULTS-BEGIN $NONCE"
            base64 </tmp/results.tgz
            echo "ISC-RESULTS-END $NONCE $sum $size"
        } >/dev/ttyS1
    else
        log "ERROR: tar of /results failed"
    fi
else
    log "ERROR: no /dev/ttyS1 to ship results"
fi
log "powering off"
sync
poweroff -f
# Not reached; never let PID 1 exit.
while :; do sleep 60; done

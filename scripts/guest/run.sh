#!/usr/bin/env bash
# run.sh --kernel NAME --payload DIR --out DIR [--timeout SECONDS]
#        [--append "extra cmdline"] [--modules "m1 m2"] [--bin FILE[:/guest/path]]...
#        [--cpu MODEL] [--device QEMU_DEVICE]...
#
# Boot a Debian kernel (one of scripts/guest/kernels: 5.10, 6.1, 6.12, 7.2,
# 7.3, or "iommufd": built from sid's linux-source by build-kernel.sh, cached) in QEMU with an emulated Intel
# IOMMU and the QEMU "edu" PCI device bound to vfio-pci, run DIR/run.sh in the
# guest and bring its results back.
#
# In the guest (see init.sh): the payload is at /payload (cwd), run as
# /payload/run.sh with RESULTS=/results, ISC_KERNEL, ISC_RELEASE, ISC_BDF,
# ISC_GROUP in the environment; whatever it writes to /results comes back.
# Dynamic ELF files in the payload get their shared libraries from the host;
# --bin copies a host program (+ libraries) to /usr/bin/NAME or the given path.
# --cpu sets QEMU's -cpu under TCG (default: QEMU's own, qemu64); --device
# adds a QEMU device (e.g. e1000: behind the IOMMU too, left unbound by /init).
#
# On the host, --out DIR receives (DIR is created; an old run's DIR is wiped,
# any other non-empty DIR is refused):
#   console.log   the full serial console (ttyS0)
#   env.json      kernel release, edu BDF, IOMMU group, modules, LSMs, errors
#   run.log       the payload's stdout+stderr
#   status        the payload's exit code
#   dmesg.txt     the guest's kernel log after the payload
#   host.json     kernel, outcome and stage timings, written by this script
#   ...           anything else the payload put in /results
# The results travel as a base64 tar.gz between marker lines over a second
# serial port (-serial file: -> guest /dev/ttyS1): no guest drivers needed,
# checked with md5 and size, independent of console noise.
#
# Exit status: 0 payload exit code 0; 1 payload failed (non-zero exit or killed
# by the in-guest payload timeout); 2 usage; 3 the guest failed (no boot,
# kernel panic, timeout, no results). On 1 and 3 the tail of the relevant log
# goes to stderr. The last line on stdout gives the wall time of each stage.
#
# Env: ISC_CACHE (kernel cache, default ~/.cache/iommuscope), ISC_GUEST_KVM=1
# (use KVM, default TCG), ISC_GUEST_TCG_THREAD (single, default, or multi),
# ISC_GUEST_VERBOSE=1 (stream the console to stderr),
# ISC_GUEST_MEM (MiB, default 1024), ISC_GUEST_MODULES (extra modules).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USAGE='run.sh --kernel NAME (scripts/guest/kernels) --payload DIR --out DIR [--timeout SECONDS] [--append "extra cmdline"] [--modules "m1 m2"] [--bin FILE[:/guest/path]]... [--cpu MODEL] [--device QEMU_DEVICE]...'

usage() {
    echo "usage: $USAGE" >&2
    exit 2
}

NAME=""
PAYLOAD=""
OUT=""
TIMEOUT=300
APPEND=""
MKARGS=()
CPU=()
DEVICES=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --kernel) NAME=${2:?}; shift ;;
        --payload) PAYLOAD=${2:?}; shift ;;
        --out) OUT=${2:?}; shift ;;
        --timeout) TIMEOUT=${2:?}; shift ;;
        --append) APPEND=${2?}; shift ;;
        --modules | --bin) MKARGS+=("$1" "${2:?}"); shift ;;
        --cpu) CPU=(-cpu "${2:?}"); shift ;;
        --device) DEVICES+=(-device "${2:?}"); shift ;;
        -h | --help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
[[ -n $NAME && -n $PAYLOAD && -n $OUT ]] || usage
grep -v '^#' "$HERE/kernels" | tr ' ' '\n' | grep -qxF -- "$NAME" ||
    { echo "unknown kernel $NAME (not in scripts/guest/kernels)" >&2; usage; }
[[ $TIMEOUT =~ ^[0-9]+$ && $TIMEOUT -ge 20 ]] || { echo "--timeout must be an integer >= 20" >&2; exit 2; }
[[ -d $PAYLOAD ]] || { echo "payload $PAYLOAD is not a directory" >&2; exit 2; }
[[ -f $PAYLOAD/run.sh ]] || echo "run.sh $NAME: note: $PAYLOAD has no run.sh; the guest only records env.json" >&2
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not found (Debian package qemu-system-x86)" >&2; exit 3; }

log() { echo "guest $NAME: $*" >&2; }
now() { echo "$EPOCHREALTIME"; }
jesc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\000-\037'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- out dir: never wipe something that is not ours ---------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [[ -n $(ls -A "$OUT") ]]; then
    [[ -f $OUT/.isc-guest-out ]] || { echo "--out $OUT is not empty and not from an earlier run.sh; refusing to wipe it" >&2; exit 2; }
    find "$OUT" -mindepth 1 -delete
fi
touch "$OUT/.isc-guest-out"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isc-guest.XXXXXX")
TAILPID=""
QPID=""
# shellcheck disable=SC2317 # called through the traps
cleanup() {
    # Interrupted: stop the guest (timeout passes the signal on to QEMU).
    if [[ -n $QPID ]]; then kill "$QPID" 2>/dev/null || true; fi
    if [[ -n $TAILPID ]]; then kill "$TAILPID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- stages -----------------------------------------------------------------------------
t0=$(now)
"$HERE/fetch-kernel.sh" "$NAME" >/dev/null || { log "fetching the kernel failed"; exit 3; }
KDIR=${ISC_CACHE:-${HOME:?set HOME or ISC_CACHE}/.cache/iommuscope}/kernels/$NAME
RELEASE=$(<"$KDIR/release")
t1=$(now)
"$HERE/mkinitramfs.sh" --kernel "$NAME" --payload "$PAYLOAD" --out "$WORK/initramfs.cpio.gz" "${MKARGS[@]}" ||
    { log "building the initramfs failed"; exit 3; }
t2=$(now)

# The payload gets the host timeout minus room for boot and shipping, so that a
# hanging payload is killed in the guest and its partial results still come back.
if ((TIMEOUT >= 90)); then GUEST_TIMEOUT=$((TIMEOUT - 45)); else GUEST_TIMEOUT=$((TIMEOUT * 2 / 3)); fi
NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
CMDLINE="console=ttyS0 intel_iommu=on lsm=lockdown,capability,landlock,bpf panic=-1 quiet isc.nonce=$NONCE isc.timeout=$GUEST_TIMEOUT${APPEND:+ $APPEND}"

# One host thread for both vCPUs: with multi-threaded TCG, the kernel's
# live code patching (text_poke through int3, which every BPF attach and
# static-key flip does) races with the other vCPU executing those bytes and
# oopses with "int3" (seen on 7.2 during probe). Single-threaded TCG keeps
# SMP in the guest and removes the race. ISC_GUEST_TCG_THREAD=multi undoes it.
ACCEL=(-accel "tcg,thread=${ISC_GUEST_TCG_THREAD:-single}" ${CPU[@]+"${CPU[@]}"})
if [[ ${ISC_GUEST_KVM:-0} == 1 ]]; then ACCEL=(-accel kvm -cpu host); fi

CONSOLE=$OUT/console.log
SHIP=$WORK/ttyS1.log
: >"$CONSOLE"
if [[ ${ISC_GUEST_VERBOSE:-0} == 1 ]]; then
    tail -n +1 -F "$CONSOLE" >&2 2>/dev/null &
    TAILPID=$!
fi

log "booting $RELEASE (timeout ${TIMEOUT}s, payload ${GUEST_TIMEOUT}s)"
set +e
# -nic none: no guest network at all. -monitor none: nothing reads stdin.
# ttyS0 -> console.log, ttyS1 -> the results channel.
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 "${ACCEL[@]}" \
    -m "${ISC_GUEST_MEM:-1024}" -smp 2 \
    -machine q35,kernel-irqchip=split \
    -device intel-iommu,intremap=on,caching-mode=on \
    -device edu ${DEVICES[@]+"${DEVICES[@]}"} \
    -nographic -no-reboot -monitor none -nic none \
    -serial "file:$CONSOLE" -serial "file:$SHIP" \
    -kernel "$KDIR/vmlinuz" -initrd "$WORK/initramfs.cpio.gz" \
    -append "$CMDLINE" </dev/null >"$WORK/qemu.out" 2>&1 &
# In the background so that a signal to this script reaches the traps at once.
QPID=$!
wait "$QPID"
QRC=$?
QPID=""
set -e
t3=$(now)
if [[ -n $TAILPID ]]; then
    sleep 0.2
    kill "$TAILPID" 2>/dev/null
    TAILPID=""
fi

TIMES="fetch $(secs "$t0" "$t1")s initramfs $(secs "$t1" "$t2")s boot+run $(secs "$t2" "$t3")s"

# --- unpack the results -----------------------------------------------------------------
OUTCOME=""
END_LINE=$(tr -d '\r' <"$SHIP" | grep -a -m1 "^ISC-RESULTS-END $NONCE " || true)
if [[ -n $END_LINE ]]; then
    read -r _ _ SUM SIZE <<<"$END_LINE"
    tr -d '\r' <"$SHIP" |
        awk -v b="ISC-RESULTS-BEGIN $NONCE" -v e="ISC-RESULTS-END $NONCE" \
            '$0 == b { on = 1; next } index($0, e) == 1 { on = 0 } on' |
        base64 -d >"$WORK/results.tgz" 2>/dev/null || true
    if [[ $(md5sum <"$WORK/results.tgz" | cut -d' ' -f1) == "$SUM" && $(stat -c %s "$WORK/results.tgz") == "$SIZE" ]]; then
        tar -xzf "$WORK/results.tgz" -C "$OUT" --strip-components=1 --no-same-owner
    else
        OUTCOME="results corrupted in transfer (md5/size mismatch)"
    fi
fi

if ((QRC == 124 || QRC == 137)); then
    OUTCOME="timeout after ${TIMEOUT}s"
elif grep -aq 'Kernel panic' "$CONSOLE"; then
    OUTCOME="kernel panic"
elif [[ -z $OUTCOME && ! -f $OUT/status ]]; then
    if ((QRC != 0)); then
        OUTCOME="qemu exited with $QRC: $(tail -n 3 "$WORK/qemu.out" | tr '\n' ' ')"
    else
        OUTCOME="guest stopped without sending results (boot failure?)"
    fi
fi

STATUS=$(cat "$OUT/status" 2>/dev/null || echo none)
RC=0
if [[ -n $OUTCOME ]]; then
    RC=3
elif [[ $STATUS != 0 ]]; then
    RC=1
    OUTCOME="payload failed with status $STATUS"
    [[ -f $OUT/timed-out ]] && OUTCOME="payload killed by the guest timeout (${GUEST_TIMEOUT}s)"
else
    OUTCOME=ok
fi

cat >"$OUT/host.json" <<EOF
{
  "kernel": "$NAME",
  "release": "$RELEASE",
  "outcome": "$(jesc "$OUTCOME")",
  "exit": $RC,
  "payload_status": "$(jesc "$STATUS")",
  "qemu_exit": $QRC,
  "fetch_s": $(secs "$t0" "$t1"),
  "initramfs_s": $(secs "$t1" "$t2"),
  "boot_run_s": $(secs "$t2" "$t3")
}
EOF

if ((RC == 3)); then
    {
        echo "guest $NAME ($RELEASE): FAILED: $OUTCOME; last 60 lines of $CONSOLE:"
        tail -n 60 "$CONSOLE" | sed 's/^/  | /'
    } >&2
elif ((RC == 1)); then
    {
        echo "guest $NAME ($RELEASE): FAILED: $OUTCOME; last 60 lines of $OUT/run.log:"
        tail -n 60 "$OUT/run.log" 2>/dev/null | sed 's/^/  | /'
    } >&2
fi
echo "guest $NAME: $TIMES ($OUTCOME)"
exit "$RC"

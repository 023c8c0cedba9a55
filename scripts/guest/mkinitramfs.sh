#!/usr/bin/env bash
# mkinitramfs.sh --kernel NAME --payload DIR --out FILE
#                [--modules "m1 m2"] [--bin FILE[:/guest/path]]...
#
# Build the guest's initramfs (cpio.gz) for a kernel fetched by
# fetch-kernel.sh (fetched on demand):
#   /bin/busybox + applet links   from busybox-static (host /bin/busybox)
#   /init                         scripts/guest/init.sh
#   /lib/modules/REL/...          vfio, vfio_iommu_type1, vfio-pci and all
#                                 they depend on (modules.dep + softdeps),
#                                 decompressed, as busybox insmod needs
#   /etc/isc/modules              their load order
#   /etc/isc/builtin              those of them built into the kernel
#   /payload/                     a copy of the payload directory
#   shared libraries              of every dynamic ELF in the payload and of
#                                 each --bin FILE (copied to /usr/bin/NAME or
#                                 to the given guest path), resolved with ldd
#
# --modules adds modules (by name) to load after the vfio ones; so does the
# env var ISC_GUEST_MODULES. Names not found are an error unless built in.
# Needs no root: device nodes come from the kernel's own built-in initramfs
# (/dev/console) and devtmpfs.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${ISC_CACHE:-${HOME:?set HOME or ISC_CACHE}/.cache/iommuscope}

usage() {
    echo "usage: $0 --kernel NAME --payload DIR --out FILE [--modules \"m1 m2\"] [--bin FILE[:/guest/path]]..." >&2
    exit 2
}

NAME=""
PAYLOAD=""
OUTFILE=""
EXTRA_MODULES=${ISC_GUEST_MODULES:-}
BINS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --kernel) NAME=${2:?}; shift ;;
        --payload) PAYLOAD=${2:?}; shift ;;
        --out) OUTFILE=${2:?}; shift ;;
        --modules) EXTRA_MODULES="$EXTRA_MODULES ${2:?}"; shift ;;
        --bin) BINS+=("${2:?}"); shift ;;
        -h | --help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done
[[ -n $NAME && -n $PAYLOAD && -n $OUTFILE ]] || usage
[[ -d $PAYLOAD ]] || { echo "payload $PAYLOAD is not a directory" >&2; exit 2; }

die() { echo "mkinitramfs $NAME: error: $*" >&2; exit 1; }

KDIR=$CACHE/kernels/$NAME
if [[ ! -s $KDIR/release ]]; then
    "$HERE/fetch-kernel.sh" "$NAME" >/dev/null
fi
REL=$(<"$KDIR/release")
MODDIR=$KDIR/lib/modules/$REL
# Empty when everything is built in (the iommufd kernel can be).
[[ -f $MODDIR/modules.dep ]] || die "$MODDIR/modules.dep missing (re-run fetch-kernel.sh $NAME --refresh)"

# busybox-static: statically linked, so it runs on any guest kernel with no libs.
BUSYBOX=${ISC_BUSYBOX:-/bin/busybox}
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found (Debian package busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install busybox-static (or set ISC_BUSYBOX)"
fi

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/isc-initramfs.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc/isc,lib/modules/"$REL",payload,results,root,tmp,proc,sys,dev,run}

# --- busybox ----------------------------------------------------------------------
install -m 0755 "$BUSYBOX" "$STAGE/bin/busybox"
# One `ln` per directory (there are ~400 applets; forks add up).
"$BUSYBOX" --list-full | grep -v -e '^linuxrc$' -e '^bin/busybox$' | sort | awk -F/ '
    { d = $0; sub(/\/[^\/]*$/, "", d); files[d] = files[d] " " $NF }
    END { for (d in files) print d files[d] }' |
    while read -r dir applets; do
        mkdir -p "$STAGE/$dir"
        # shellcheck disable=SC2086 # word splitting of the applet list is intended
        (cd "$STAGE/$dir" && for a in $applets; do ln -sf /bin/busybox "$a"; done)
    done
install -m 0755 "$HERE/init.sh" "$STAGE/init"
echo "$NAME" >"$STAGE/etc/isc/kernel"
echo "root:x:0:0:root:/root:/bin/sh" >"$STAGE/etc/passwd"
echo "root:x:0:" >"$STAGE/etc/group"

# --- modules: dependency closure from modules.dep / modules.softdep -----------------
# modname -> path relative to MODDIR; names are normalised to underscores.
declare -A PATH_OF DEPS_OF SOFT_PRE SOFT_POST SEEN
# norm sets REPLY (no subshell: modules.dep has thousands of lines).
norm() { REPLY=${1##*/}; REPLY=${REPLY%%.ko*}; REPLY=${REPLY//-/_}; }
while IFS= read -r line; do
    mod=${line%%:*}
    norm "$mod"
    PATH_OF[$REPLY]=$mod
    DEPS_OF[$REPLY]=${line#*:}
done <"$MODDIR/modules.dep"
if [[ -f $MODDIR/modules.softdep ]]; then
    # "softdep vfio post: vfio_iommu_type1 vfio_iommu_spapr_tce"
    while read -r kw mod rest; do
        [[ $kw == softdep ]] || continue
        mode=
        for w in $rest; do
            case $w in
                pre:) mode=pre ;;
                post:) mode=post ;;
                *)
                    norm "$mod"
                    if [[ $mode == pre ]]; then SOFT_PRE[$REPLY]+=" $w"; else SOFT_POST[$REPLY]+=" $w"; fi
                    ;;
            esac
        done
    done <"$MODDIR/modules.softdep"
fi
builtin_mod() { grep -qE "(^|/)$1\.ko\$" <(sed 's/-/_/g' "$MODDIR/modules.builtin" 2>/dev/null); }

ORDER=()
BUILTIN=()
# visit NAME REQUIRED: post-order walk, so dependencies come first.
visit() {
    local n
    norm "$1"
    n=$REPLY
    [[ -n ${SEEN[$n]:-} ]] && return 0
    SEEN[$n]=1
    if [[ -z ${PATH_OF[$n]:-} ]]; then
        if builtin_mod "$n"; then
            BUILTIN+=("$n")
            return 0
        fi
        # Soft dependencies are optional (e.g. vfio_iommu_spapr_tce on x86).
        [[ $2 == required ]] && die "module $n not found for $REL"
        return 0
    fi
    local d
    for d in ${SOFT_PRE[$n]:-}; do visit "$d" optional; done
    for d in ${DEPS_OF[$n]}; do visit "$d" required; done
    ORDER+=("$n")
    for d in ${SOFT_POST[$n]:-}; do visit "$d" optional; done
}
# vfio_iommu_type1 is only a soft dependency of vfio; list it explicitly.
# A kernel whose /dev/vfio/vfio is iommufd's (VFIO_CONTAINER=n) has none.
type1=required
if [[ -f $KDIR/config ]] && ! grep -q '^CONFIG_VFIO_IOMMU_TYPE1=' "$KDIR/config"; then
    type1=optional
fi
visit vfio required
visit vfio_iommu_type1 "$type1"
for m in vfio_pci $EXTRA_MODULES; do
    visit "$m" required
done

: >"$STAGE/etc/isc/modules"
# Requested modules that are built into this kernel: nothing to load.
printf '%s\n' ${BUILTIN[@]+"${BUILTIN[@]}"} >"$STAGE/etc/isc/builtin"
for n in "${ORDER[@]}"; do
    src=$MODDIR/${PATH_OF[$n]}
    rel=${PATH_OF[$n]%.ko*}.ko
    mkdir -p "$STAGE/lib/modules/$REL/$(dirname "$rel")"
    case $src in
        *.ko) cp "$src" "$STAGE/lib/modules/$REL/$rel" ;;
        *.ko.xz) xz -dc "$src" >"$STAGE/lib/modules/$REL/$rel" ;;
        *.ko.zst) zstd -dcq "$src" >"$STAGE/lib/modules/$REL/$rel" ;;
        *.ko.gz) gzip -dc "$src" >"$STAGE/lib/modules/$REL/$rel" ;;
        *) die "unknown module format: $src" ;;
    esac
    echo "$n $rel" >>"$STAGE/etc/isc/modules"
done

# --- payload and shared libraries -----------------------------------------------------
cp -a "$PAYLOAD/." "$STAGE/payload/"

# Copy the shared libraries (and ELF interpreter) of dynamic executable $1 to
# the same paths in the image; the guest runs the host's glibc.
add_libs() {
    local lib
    ldd "$1" 2>/dev/null | awk '/=>/ && $3 ~ /^\// {print $3} !/=>/ && $1 ~ /^\// {print $1}' |
        while read -r lib; do
            [[ -e $STAGE$lib ]] && continue
            mkdir -p "$STAGE$(dirname "$lib")"
            cp -L "$lib" "$STAGE$lib"
        done
}
is_dynamic_elf() {
    [[ -f $1 && $(head -c4 "$1" | od -An -c | tr -d ' ') == '177ELF' ]] && ldd "$1" >/dev/null 2>&1
}
while IFS= read -r -d '' f; do
    if is_dynamic_elf "$f"; then add_libs "$f"; fi
done < <(find "$STAGE/payload" -type f -print0)
for spec in "${BINS[@]}"; do
    src=${spec%%:*}
    dst=/usr/bin/$(basename "$src")
    [[ $spec == *:* ]] && dst=${spec#*:}
    # a path is taken as is (a shared library is not executable)
    [[ $src == */* ]] || src=$(command -v "$src" || true)
    [[ -n $src && -f $src ]] || die "--bin ${spec%%:*}: not found"
    mkdir -p "$STAGE$(dirname "$dst")"
    cp -L "$src" "$STAGE$dst"
    chmod 0755 "$STAGE$dst"
    if is_dynamic_elf "$src"; then add_libs "$src"; fi
done

# --- archive ----------------------------------------------------------------------------
mkdir -p "$(dirname "$OUTFILE")"
(cd "$STAGE" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc -R 0:0 --reproducible --quiet) | gzip -6 >"$OUTFILE.tmp"
mv "$OUTFILE.tmp" "$OUTFILE"
echo "mkinitramfs $NAME: $OUTFILE ($(du -k "$OUTFILE" | cut -f1) KiB; modules: ${ORDER[*]:-none}${BUILTIN[*]:+; built in: ${BUILTIN[*]}})" >&2

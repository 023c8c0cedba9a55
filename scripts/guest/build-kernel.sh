#!/usr/bin/env bash
# build-kernel.sh [--refresh | --check]
#
# Build the iommufd guest kernel: no Debian kernel enables CONFIG_IOMMUFD, so
# this one is built from sid's linux-source-7.2 (the newest linux-source-X.Y
# sid has, with a warning, once 7.2 is gone), fetched through fetch-kernel.sh's
# private apt state (the machine's apt sources are never touched; no root).
#
#   source   the package's tarball, extracted once into $CACHE/src/PKG_VER and
#            kept there untouched: every build is out of tree (make O=)
#   config   x86_64_defconfig + kvm_guest.config + scripts/guest/iommufd.config,
#            then olddefconfig; every line of the fragment must have survived
#            (checked here: a dropped option fails the build loudly)
#   kernel   make -j$ISC_BUILD_JOBS bzImage modules (iommufd, VFIO, vfio-pci
#            are built in: the guest loads no modules)
#   selftest tools/testing/selftests/iommu/iommufd of the same tree, linked
#            statically (libcap-dev), against the tree's own uapi headers
#
# --check runs every step but the kernel compile (config, headers, selftest)
# from the kept source into a scratch directory, and compares the .config it
# made with the cached kernel's: the steps a warm cache never reaches, run in
# every CI run, in the environment CI gives them (under make, MAKELEVEL > 0).
# No network once the source package is cached.
#
# Result, in the layout of fetch-kernel.sh (so run.sh and mkinitramfs.sh take
# it as kernel NAME "iommufd"):
#   ${ISC_CACHE:-$HOME/.cache/iommuscope}/kernels/iommufd/
#       vmlinuz, release, config, System.map, packages, lib/modules/REL/
#       key          "linux-source-7.2=VERSION config=SHA": the cache key
#       vmlinux.btf  the .BTF section of vmlinux (bpftool btf dump file ...)
#       selftest/iommufd   the kernel's iommufd selftest, static
#       uapi/include the tree's uapi headers (make headers), for test oracles
#       build.json   timings of the build that made this (cold or not)
#
# Cache: the key is the source package version and the sha256 of the config
# fragment (and of this script's build recipe revision, REV below). Without
# --refresh (or ISC_KERNEL_REFRESH=1) a kernel whose key has the current
# config hash is used without any network access; --refresh also looks for a
# newer linux-source and rebuilds when its version changed. The object tree
# ($CACHE/build/iommufd) is deleted after a successful build unless
# ISC_KEEP_BUILD=1; a kept tree of the same source version is rebuilt
# incrementally.
#
# Env: ISC_CACHE, ISC_BUILD_JOBS (make -j, default: number of CPUs),
# ISC_KEEP_BUILD=1, ISC_KERNEL_REFRESH=1.
#
# On success the last line on stdout is the kernel directory (--check: the
# check's summary line).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAG=$HERE/iommufd.config
# Bump when the build steps below change what ends up in the cache.
REV=2
ST=tools/testing/selftests/iommu

REFRESH=${ISC_KERNEL_REFRESH:-0}
CHECK=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --refresh) REFRESH=1 ;;
        --check) CHECK=1 ;;
        *) echo "usage: $0 [--refresh | --check]" >&2; exit 2 ;;
    esac
    shift
done

CACHE=${ISC_CACHE:-${HOME:?set HOME or ISC_CACHE}/.cache/iommuscope}
KDIR=$CACHE/kernels/iommufd
BDIR=$CACHE/build/iommufd
JOBS=${ISC_BUILD_JOBS:-$(nproc)}

log() { echo "build-kernel iommufd: $*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[[ -r $FRAG ]] || die "$FRAG missing"
CFG_SHA=$( (cat "$FRAG"; echo "rev $REV") | sha256sum | cut -c1-16)

complete() {
    [[ -s $KDIR/vmlinuz && -s $KDIR/release && -s $KDIR/key && -x $KDIR/selftest/iommufd ]] || return 1
    [[ -d $KDIR/lib/modules/$(<"$KDIR/release") ]]
}
show() {
    log "$1: $(<"$KDIR/release") ($(<"$KDIR/key"))"
    echo "$KDIR"
}

# Warm cache: the config hash matches; no network at all.
if [[ $CHECK != 1 && $REFRESH != 1 ]] && complete && [[ $(<"$KDIR/key") == *" config=$CFG_SHA" ]]; then
    show cached
    exit 0
fi

for t in make gcc flex bison bc pahole rsync cpio xz objcopy; do
    command -v "$t" >/dev/null || die "$t not found (run 'make test-deps' as root: scripts/guest/deps.txt)"
done
[[ -f /usr/include/libelf.h ]] || die "libelf.h missing (Debian package libelf-dev)"
[[ -f /usr/include/openssl/ssl.h ]] || die "openssl headers missing (Debian package libssl-dev)"
[[ -f /usr/include/sys/capability.h ]] || die "sys/capability.h missing (Debian package libcap-dev)"
DEPMOD=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod) || die "depmod not found (Debian package kmod)"

# Which source: "PACKAGE VERSION DEB" (downloads into the shared deb cache).
# A check follows the cached kernel's source, found without network.
pick_source() {
    local refresh_arg=()
    if [[ $CHECK == 1 ]] && complete; then
        read -r SRC_PKG SRC_VER <"$KDIR/packages"
        SRC_DEB=$CACHE/debs/${SRC_PKG}_${SRC_VER//:/%3a}_all.deb
        [[ -s $SRC_DEB || -f $CACHE/src/${SRC_PKG}_$SRC_VER/Makefile ]] && return 0
    fi
    [[ $REFRESH == 1 ]] && refresh_arg=(--refresh)
    read -r SRC_PKG SRC_VER SRC_DEB < <("$HERE/fetch-kernel.sh" 7.2 --source "${refresh_arg[@]}" | tail -n1)
    [[ -s ${SRC_DEB:-} ]] || die "fetch-kernel.sh 7.2 --source gave no package"
}

# The pristine tree of SRC_PKG SRC_VER in $SRC, extracted once and kept (no
# build ever writes into it). Sets EXTRACTED=true when it had to be extracted.
ensure_source() {
    SRC=$CACHE/src/${SRC_PKG}_$SRC_VER
    EXTRACTED=false
    [[ -f $SRC/Makefile && -f $SRC/.isc-complete ]] && return 0
    log "extracting $SRC_PKG $SRC_VER into $SRC"
    mkdir -p "$CACHE/src"
    local tmp
    tmp=$(mktemp -d "$CACHE/src/.extract.XXXXXX")
    dpkg-deb --fsys-tarfile "$SRC_DEB" |
        tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
        tar -xJ -C "$tmp" --strip-components=1
    [[ -f $tmp/Makefile ]] || { rm -rf "$tmp"; die "no kernel tree in $SRC_DEB"; }
    touch "$tmp/.isc-complete"
    # only the current source is kept
    rm -rf "$CACHE/src/${SRC_PKG}_"*
    mv "$tmp" "$SRC"
    EXTRACTED=true
}

# configure OBJ: the .config in OBJ; fails when a fragment line was dropped.
configure() {
    local obj=$1 line opt missing=()
    log "configuring: x86_64_defconfig + kvm_guest.config + $(basename "$FRAG")"
    make -s -C "$SRC" O="$obj" x86_64_defconfig >&2
    make -s -C "$SRC" O="$obj" kvm_guest.config >&2
    "$SRC/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$FRAG" >"$obj/config.log" 2>&1 ||
        { cat "$obj/config.log" >&2; die "merge_config.sh failed"; }
    make -s -C "$SRC" O="$obj" olddefconfig >&2
    # Every line of the fragment must be in the final .config as written.
    while IFS= read -r line; do
        case $line in
            CONFIG_*=*)
                grep -qxF "$line" "$obj/.config" ||
                    missing+=("$line (have: $(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo unset))")
                ;;
            "# CONFIG_"*" is not set")
                opt=${line#\# }
                opt=${opt%% *}
                if grep -q "^$opt=" "$obj/.config"; then missing+=("$line (have: $(grep "^$opt=" "$obj/.config"))"); fi
                ;;
        esac
    done <"$FRAG"
    if ((${#missing[@]})); then
        log "error: these options of $(basename "$FRAG") did not survive olddefconfig (a dependency is missing):"
        printf '  %s\n' "${missing[@]}" >&2
        exit 1
    fi
    log "config: all $(grep -cE '^(CONFIG_|# CONFIG_.* is not set)' "$FRAG") options of $(basename "$FRAG") survived"
}

# selftest OBJ: the uapi headers into OBJ/usr/include, then the static
# selftest into OBJ/selftest/iommufd. OUTPUT and KHDR_INCLUDES are always
# given: the selftests' lib.mk sets OUTPUT itself only when MAKELEVEL is 0,
# and under 'make test' this script runs two make levels deep.
selftest() {
    local obj=$1
    log "building $ST/iommufd (static; MAKELEVEL=${MAKELEVEL:-unset})"
    make -s -C "$SRC" O="$obj" headers >&2
    mkdir -p "$obj/selftest"
    rm -f "$obj/selftest/iommufd"
    make -C "$SRC/$ST" OUTPUT="$obj/selftest" KHDR_INCLUDES="-isystem $obj/usr/include" \
        LDFLAGS=-static "$obj/selftest/iommufd" >"$obj/selftest.log" 2>&1 ||
        { tail -n 40 "$obj/selftest.log" >&2; die "selftest build failed (log: $obj/selftest.log)"; }
    [[ -x $obj/selftest/iommufd ]] || die "no $obj/selftest/iommufd after the selftest build"
    if ldd "$obj/selftest/iommufd" >/dev/null 2>&1; then die "$obj/selftest/iommufd is not static"; fi
}

# --check: everything but the kernel compile, in a scratch object tree.
check() {
    local t0 same
    t0=$(now)
    pick_source
    [[ -f $CACHE/src/${SRC_PKG}_$SRC_VER/Makefile ]] || [[ -s $SRC_DEB ]] ||
        die "source package $SRC_DEB missing"
    ensure_source
    mkdir -p "$CACHE/build"
    CHECK_OBJ=$(mktemp -d "$CACHE/build/.check.XXXXXX")
    trap 'rm -rf "$CHECK_OBJ"' EXIT
    configure "$CHECK_OBJ"
    selftest "$CHECK_OBJ"
    same="no cached kernel to compare with"
    if complete && [[ $(<"$KDIR/packages") == "$SRC_PKG $SRC_VER" && $(<"$KDIR/key") == *" config=$CFG_SHA" ]]; then
        # same source, fragment and compiler: the same .config, byte for byte
        cmp -s "$CHECK_OBJ/.config" "$KDIR/config" || die ".config from the kept source differs from the cached kernel's"
        same="equal to the cached kernel's"
    fi
    echo "build-kernel check: $SRC_PKG $SRC_VER: config ($same), headers, static selftest" \
        "from the kept source in $(secs "$t0" "$(now)")s (MAKELEVEL=${MAKELEVEL:-0}, source extracted now: $EXTRACTED)"
}

if [[ $CHECK == 1 ]]; then
    check
    exit 0
fi

pick_source
KEY="$SRC_PKG=$SRC_VER config=$CFG_SHA"

mkdir -p "$CACHE/build" "$CACHE/kernels"
# One kernel build at a time per cache (and per machine's CPUs).
exec 8>"$CACHE/.build.lock"
flock 8
if complete && [[ $(<"$KDIR/key") == "$KEY" ]]; then
    show "up to date"
    exit 0
fi

t0=$(now)
ensure_source
OBJ=$BDIR/obj
if [[ -f $BDIR/source && $(<"$BDIR/source") == "$SRC_PKG $SRC_VER" && -f $OBJ/Makefile ]]; then
    log "reusing the object tree of $SRC_PKG $SRC_VER in $BDIR"
    COLD=false
else
    COLD=true
    rm -rf "$BDIR"
    mkdir -p "$OBJ"
    echo "$SRC_PKG $SRC_VER" >"$BDIR/source"
fi
t1=$(now)

configure "$OBJ"
t2=$(now)

log "building the kernel (make -j$JOBS; about 22 min on 2 cores when cold)"
make -C "$SRC" O="$OBJ" -j"$JOBS" bzImage modules >"$BDIR/build.log" 2>&1 ||
    { tail -n 40 "$BDIR/build.log" >&2; die "kernel build failed (log: $BDIR/build.log)"; }
REL=$(make -s -C "$SRC" O="$OBJ" kernelrelease)
t3=$(now)

selftest "$OBJ"
t4=$(now)

# --- install into the cache ----------------------------------------------------------
TMP=$(mktemp -d "$CACHE/kernels/.iommufd.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/out
mkdir -p "$OUT/selftest" "$OUT/lib/modules"
make -s -C "$SRC" O="$OBJ" modules_install INSTALL_MOD_PATH="$OUT" INSTALL_MOD_STRIP=1 DEPMOD="$DEPMOD" >&2
# modules_install always writes modules.dep (empty when all is built in);
# newer kmod looks in BASE/usr/lib/modules.
if [[ -d $OUT/usr/lib/modules/$REL && ! -d $OUT/lib/modules/$REL ]]; then
    mv "$OUT/usr/lib/modules/$REL" "$OUT/lib/modules/$REL"
    rm -rf "$OUT/usr"
fi
mkdir -p "$OUT/usr"
ln -s ../lib "$OUT/usr/lib"
rm -f "$OUT/lib/modules/$REL/build" "$OUT/lib/modules/$REL/source"
[[ -f $OUT/lib/modules/$REL/modules.dep ]] || die "no modules.dep after modules_install"
cp "$OBJ/arch/x86/boot/bzImage" "$OUT/vmlinuz"
cp "$OBJ/.config" "$OUT/config"
cp "$OBJ/System.map" "$OUT/System.map"
objcopy -O binary --only-section=.BTF "$OBJ/vmlinux" "$OUT/vmlinux.btf"
[[ -s $OUT/vmlinux.btf ]] || die "vmlinux has no .BTF section"
cp "$OBJ/selftest/iommufd" "$OUT/selftest/iommufd"
mkdir -p "$OUT/uapi"
cp -a "$OBJ/usr/include" "$OUT/uapi/include"
echo "$REL" >"$OUT/release"
echo "$SRC_PKG $SRC_VER" >"$OUT/packages"
echo "$KEY" >"$OUT/key"
t5=$(now)
cat >"$OUT/build.json" <<JSON
{
  "key": "$KEY",
  "release": "$REL",
  "cold": $COLD,
  "jobs": $JOBS,
  "cpus": $(nproc),
  "gcc": "$(gcc -dumpfullversion)",
  "pahole": "$(pahole --version)",
  "makelevel": ${MAKELEVEL:-0},
  "extract_s": $(secs "$t0" "$t1"),
  "configure_s": $(secs "$t1" "$t2"),
  "kernel_s": $(secs "$t2" "$t3"),
  "selftest_s": $(secs "$t3" "$t4"),
  "install_s": $(secs "$t4" "$t5"),
  "total_s": $(secs "$t0" "$t5"),
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
if [[ -e $KDIR ]]; then mv "$KDIR" "$TMP/old"; fi
mv "$OUT" "$KDIR"
cd /
if [[ ${ISC_KEEP_BUILD:-0} != 1 ]]; then rm -rf "$BDIR"; fi
log "built in $(secs "$t0" "$t5")s (cold: $COLD; kernel $(secs "$t2" "$t3")s with -j$JOBS)"
show built

#!/usr/bin/env bash
# build-kernel.sh [--refresh]
#
# Build the iommufd guest kernel: no Debian kernel enables CONFIG_IOMMUFD, so
# this one is built from sid's linux-source-7.2 (the newest linux-source-X.Y
# sid has, with a warning, once 7.2 is gone), fetched through fetch-kernel.sh's
# private apt state (the machine's apt sources are never touched; no root).
#
#   config   x86_64_defconfig + kvm_guest.config + scripts/guest/iommufd.config,
#            then olddefconfig; every line of the fragment must have survived
#            (checked here: a dropped option fails the build loudly)
#   kernel   make -j$ISC_BUILD_JOBS bzImage modules (iommufd, VFIO, vfio-pci
#            are built in: the guest loads no modules)
#   selftest tools/testing/selftests/iommu/iommufd of the same tree, linked
#            statically (libcap-dev), against the tree's own uapi headers
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
# newer linux-source and rebuilds when its version changed. The build tree
# ($CACHE/build/iommufd) is deleted after a successful build unless
# ISC_KEEP_BUILD=1; a kept tree of the same source version is rebuilt
# incrementally.
#
# Env: ISC_CACHE, ISC_BUILD_JOBS (make -j, default: number of CPUs),
# ISC_KEEP_BUILD=1, ISC_KERNEL_REFRESH=1.
#
# On success the last line on stdout is the kernel directory.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAG=$HERE/iommufd.config
# Bump when the build steps below change what ends up in the cache.
REV=2

REFRESH=${ISC_KERNEL_REFRESH:-0}
while [[ $# -gt 0 ]]; do
    case $1 in
        --refresh) REFRESH=1 ;;
        *) echo "usage: $0 [--refresh]" >&2; exit 2 ;;
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
if [[ $REFRESH != 1 ]] && complete && [[ $(<"$KDIR/key") == *" config=$CFG_SHA" ]]; then
    show cached
    exit 0
fi

for t in make gcc flex bison bc pahole rsync cpio xz objcopy; do
    command -v "$t" >/dev/null || die "$t not found (run 'make deps' as root: scripts/guest/deps.txt)"
done
[[ -f /usr/include/libelf.h ]] || die "libelf.h missing (Debian package libelf-dev)"
[[ -f /usr/include/openssl/ssl.h ]] || die "openssl headers missing (Debian package libssl-dev)"
[[ -f /usr/include/sys/capability.h ]] || die "sys/capability.h missing (Debian package libcap-dev)"
DEPMOD=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod) || die "depmod not found (Debian package kmod)"

# Which source: "PACKAGE VERSION DEB" (downloads into the shared deb cache).
refresh_arg=()
[[ $REFRESH == 1 ]] && refresh_arg=(--refresh)
read -r SRC_PKG SRC_VER SRC_DEB < <("$HERE/fetch-kernel.sh" 7.2 --source "${refresh_arg[@]}" | tail -n1)
[[ -s ${SRC_DEB:-} ]] || die "fetch-kernel.sh 7.2 --source gave no package"
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
SRC=$BDIR/src
if [[ -f $BDIR/source && $(<"$BDIR/source") == "$SRC_PKG $SRC_VER" && -f $SRC/Makefile ]]; then
    log "reusing the build tree of $SRC_PKG $SRC_VER in $BDIR"
    COLD=false
else
    log "extracting $SRC_PKG $SRC_VER into $BDIR"
    rm -rf "$BDIR"
    mkdir -p "$BDIR/src"
    dpkg-deb --fsys-tarfile "$SRC_DEB" |
        tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
        tar -xJ -C "$BDIR/src" --strip-components=1
    [[ -f $SRC/Makefile ]] || die "no kernel tree in $SRC_DEB"
    echo "$SRC_PKG $SRC_VER" >"$BDIR/source"
    COLD=true
fi
t1=$(now)

# --- configure ---------------------------------------------------------------------
cd "$SRC"
log "configuring: x86_64_defconfig + kvm_guest.config + $(basename "$FRAG")"
make -s x86_64_defconfig >&2
make -s kvm_guest.config >&2
scripts/kconfig/merge_config.sh -m .config "$FRAG" >"$BDIR/config.log" 2>&1 ||
    { cat "$BDIR/config.log" >&2; die "merge_config.sh failed"; }
make -s olddefconfig >&2

# Every line of the fragment must be in the final .config as written.
missing=()
while IFS= read -r line; do
    case $line in
        CONFIG_*=*)
            grep -qxF "$line" .config || missing+=("$line (have: $(grep -E "^(# )?${line%%=*}[= ]" .config || echo unset))")
            ;;
        "# CONFIG_"*" is not set")
            opt=${line#\# }
            opt=${opt%% *}
            if grep -q "^$opt=" .config; then missing+=("$line (have: $(grep "^$opt=" .config))"); fi
            ;;
    esac
done <"$FRAG"
if ((${#missing[@]})); then
    log "error: these options of $(basename "$FRAG") did not survive olddefconfig (a dependency is missing):"
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi
log "config: all $(grep -cE '^(CONFIG_|# CONFIG_.* is not set)' "$FRAG") options of $(basename "$FRAG") survived"
t2=$(now)

# --- kernel --------------------------------------------------------------------------
log "building the kernel (make -j$JOBS; about 22 min on 2 cores when cold)"
make -j"$JOBS" bzImage modules >"$BDIR/build.log" 2>&1 ||
    { tail -n 40 "$BDIR/build.log" >&2; die "kernel build failed (log: $BDIR/build.log)"; }
REL=$(make -s kernelrelease)
t3=$(now)

# --- the iommufd selftest (static) -----------------------------------------------------
log "building tools/testing/selftests/iommu/iommufd (static)"
make -s headers >&2
ST=tools/testing/selftests/iommu
rm -f "$ST/iommufd"
make -C "$ST" LDFLAGS=-static "$PWD/$ST/iommufd" >"$BDIR/selftest.log" 2>&1 ||
    { tail -n 40 "$BDIR/selftest.log" >&2; die "selftest build failed (log: $BDIR/selftest.log)"; }
if ldd "$ST/iommufd" >/dev/null 2>&1; then die "$ST/iommufd is not static"; fi
t4=$(now)

# --- install into the cache ----------------------------------------------------------
TMP=$(mktemp -d "$CACHE/kernels/.iommufd.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/out
mkdir -p "$OUT/selftest" "$OUT/lib/modules"
make -s modules_install INSTALL_MOD_PATH="$OUT" INSTALL_MOD_STRIP=1 DEPMOD="$DEPMOD" >&2
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
cp arch/x86/boot/bzImage "$OUT/vmlinuz"
cp .config "$OUT/config"
cp System.map "$OUT/System.map"
objcopy -O binary --only-section=.BTF vmlinux "$OUT/vmlinux.btf"
[[ -s $OUT/vmlinux.btf ]] || die "vmlinux has no .BTF section"
cp "$ST/iommufd" "$OUT/selftest/iommufd"
mkdir -p "$OUT/uapi"
cp -a usr/include "$OUT/uapi/include"
echo "$REL" >"$OUT/release"
echo "$SRC_PKG $SRC_VER" >"$OUT/packages"
echo "$KEY" >"$OUT/key"
t5=$(now)
cat >"$OUT/build.json" <<EOF
{
  "key": "$KEY",
  "release": "$REL",
  "cold": $COLD,
  "jobs": $JOBS,
  "cpus": $(nproc),
  "gcc": "$(gcc -dumpfullversion)",
  "pahole": "$(pahole --version)",
  "extract_s": $(secs "$t0" "$t1"),
  "configure_s": $(secs "$t1" "$t2"),
  "kernel_s": $(secs "$t2" "$t3"),
  "selftest_s": $(secs "$t3" "$t4"),
  "install_s": $(secs "$t4" "$t5"),
  "total_s": $(secs "$t0" "$t5"),
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF
if [[ -e $KDIR ]]; then mv "$KDIR" "$TMP/old"; fi
mv "$OUT" "$KDIR"
cd /
if [[ ${ISC_KEEP_BUILD:-0} != 1 ]]; then rm -rf "$BDIR"; fi
log "built in $(secs "$t0" "$t5")s (cold: $COLD; kernel $(secs "$t2" "$t3")s with -j$JOBS)"
show built

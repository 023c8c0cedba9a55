#!/usr/bin/env bash
# fetch-kernel.sh NAME [--refresh] [--uapi | --headers | --source | --check]
#
# --check: extract the cached kernel NAME again from its cached .debs into a
# scratch directory (the same code as a cold fetch, depmod included) and
# compare it with the cache; no network (make check-cold runs it).
#
# --headers: fetch the kernel build headers of the cached kernel NAME (same
# Debian version: linux-headers-REL, linux-headers-...-common, linux-kbuild-X.Y)
# into ${cache}/headers/REL/ and print that root; the kbuild tree for
# out-of-tree modules is ROOT/usr/src/linux-headers-REL (tests/guest/uapi).
#
# --uapi: instead of the kernel, fetch that suite's linux-libc-dev (the uapi
# headers of that release) into ${cache}/uapi/NAME/ and print that
# directory; used to check the catalog against several header releases.
#
# Fetch a Debian kernel for the QEMU guest test bed and extract it, without
# root and without touching the machine's apt state.
#
#   NAME   5.10  -> bullseye            linux-image-5.10.0-N-amd64-unsigned
#          6.1   -> bookworm            linux-image-6.1.0-N-amd64-unsigned
#          6.12  -> bookworm-backports  linux-image-6.12.P+deb12-amd64-unsigned
#          7.2   -> sid                 linux-binary-7.2.P+debN-amd64
#                                       + linux-modules-... + linux-base-...
#          7.3   -> trixie-backports    linux-binary-7.3.P+debN-amd64 (the same
#                                       split packages as sid)
#
# Result (outside the repo):
#   ${ISC_CACHE:-$HOME/.cache/iommuscope}/kernels/NAME/
#       vmlinuz            the kernel image
#       release            uname -r of that kernel (one line)
#       config             its .config (when the packages ship it)
#       packages           "package version" lines of what was extracted
#       lib/modules/REL/   the module tree, with a modules.dep made by depmod
#
# Cache policy (deliberately simple and deterministic for CI):
#   * If kernels/NAME/ is complete, nothing is fetched at all: no network.
#     `--refresh` (or ISC_KERNEL_REFRESH=1) re-reads the package lists and
#     moves to a newer kernel if the suite has one.
#   * Package lists are kept per suite in the cache and refreshed at most
#     once a day (ISC_APT_MAX_AGE seconds, default 86400).
#   * Downloaded .debs are kept in ${cache}/debs/ and never re-downloaded.
#
# The mirror is taken from the machine's own apt configuration at run time
# (deb822 *.sources or classic *.list lines); ISC_DEBIAN_MIRROR overrides it.
# No mirror host name is written in this file on purpose.
#
# --source: instead of the kernel, download that suite's linux-source-X.Y
# package (X.Y of NAME; sid: the newest linux-source-X.Y if it has no 7.2)
# into ${cache}/debs/ and print "PACKAGE VERSION DEB" as the last line; used
# by build-kernel.sh to build the iommufd guest kernel.
#
# NAME iommufd is the kernel build-kernel.sh makes from sid's linux-source:
# handed over to it (same cache layout, same --refresh policy).
#
# NAME qemu is not a kernel: bookworm-backports' QEMU (>= 9: it has the
# iommufd backend, -object iommufd), qemu-system-x86 with -common and -data,
# extracted into ${cache}/qemu/ (usr/bin/qemu-system-x86_64, usr/share/qemu,
# packages), for the iommufd guest (tests/guest/payload/iommufd.sh). It is
# built for bookworm: its shared libraries are this machine's (make deps
# installs them; a missing one is an error naming it). Same cache policy:
# no network once extracted, --refresh moves to a newer backport.
#
# On success the last line on stdout is the extracted kernel directory.
set -euo pipefail

usage() {
    echo "usage: $0 {5.10|6.1|6.12|7.2|7.3} [--refresh] [--uapi | --headers | --source | --check]" >&2
    echo "       $0 iommufd [--refresh | --check]   (built from source: build-kernel.sh)" >&2
    echo "       $0 qemu [--refresh | --check]   (bookworm-backports' QEMU for the iommufd guest)" >&2
    echo "       $0 --print-mirror    (show the mirror taken from the apt config)" >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
NAME=$1
shift
if [[ $NAME == iommufd ]]; then
    exec "$(dirname "${BASH_SOURCE[0]}")/build-kernel.sh" "$@"
fi
PRINT_MIRROR=0
if [[ $NAME == --print-mirror ]]; then PRINT_MIRROR=1; fi
REFRESH=${ISC_KERNEL_REFRESH:-0}
UAPI=0
HEADERS=0
SOURCE=0
CHECK=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --check) CHECK=1 ;;
        --refresh) REFRESH=1 ;;
        --uapi) UAPI=1 ;;
        --headers) HEADERS=1 ;;
        --source) SOURCE=1 ;;
        *) usage ;;
    esac
    shift
done

# Per kernel: suite, package-name regex (apt-cache search syntax) and flavour.
# "binary" = the split linux-binary/linux-modules/linux-base packages of sid.
case $NAME in
    5.10) SUITE=bullseye;           STYLE=image;  RX='^linux-image-5\.10\.0-[0-9]+-amd64-unsigned$' ;;
    6.1)  SUITE=bookworm;           STYLE=image;  RX='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
    6.12) SUITE=bookworm-backports; STYLE=image;  RX='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
    7.2)  SUITE=sid;                STYLE=binary; RX='^linux-binary-7\.2\.[0-9]+\+deb[0-9]+-amd64$' ;;
    7.3)  SUITE=trixie-backports;   STYLE=binary; RX='^linux-binary-7\.3\.[0-9]+\+deb[0-9]+-amd64$' ;;
    qemu) SUITE=bookworm-backports; STYLE=qemu;   RX='^qemu-system-x86$' ;;
    --print-mirror) ;;
    *) usage ;;
esac

CACHE=${ISC_CACHE:-${HOME:?set HOME or ISC_CACHE}/.cache/iommuscope}
KDIR=$CACHE/kernels/$NAME
DEBDIR=$CACHE/debs
KEYRING=${ISC_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
MAX_AGE=${ISC_APT_MAX_AGE:-86400}

log() { echo "fetch-kernel $NAME: $*" >&2; }
die() { log "error: $*"; exit 1; }

kernel_complete() {
    [[ -s $KDIR/vmlinuz && -s $KDIR/release ]] || return 1
    local rel
    rel=$(<"$KDIR/release")
    [[ -s $KDIR/lib/modules/$rel/modules.dep ]]
}

show_picked() {
    local rel
    rel=$(<"$KDIR/release")
    log "$1: release $rel ($(sed 's/ /=/' "$KDIR/packages" 2>/dev/null | paste -sd, | sed 's/,/, /g'))"
    echo "$KDIR"
}

# extract_kernel TMP PACKAGES DEB...: the kernel of the .debs, laid out as
# kernels/NAME/ (module tree with depmod's modules.dep), in TMP/out.
extract_kernel() {
    local tmp=$1 packages=$2 deb d modroot rels rel out f
    shift 2
    mkdir -p "$tmp/root"
    for deb in "$@"; do
        log "extracting $(basename "$deb")"
        dpkg-deb -x "$deb" "$tmp/root"
    done
    # Modules live in /lib/modules (bookworm and older) or /usr/lib/modules (sid).
    modroot=
    for d in "$tmp/root/lib/modules" "$tmp/root/usr/lib/modules"; do
        if [[ -d $d ]] && [[ -n $(ls -A "$d") ]]; then modroot=$d; fi
    done
    [[ -n $modroot ]] || die "no module tree in $*"
    mapfile -t rels < <(ls "$modroot")
    [[ ${#rels[@]} -eq 1 ]] || die "expected one kernel release in $modroot, found: ${rels[*]}"
    rel=${rels[0]}
    out=$tmp/out
    mkdir -p "$out/lib/modules"
    mv "$modroot/$rel" "$out/lib/modules/$rel"
    # Image, config and System.map: /boot/*-REL (image-style) or inside the
    # module dir (binary/base-style, sid).
    for f in vmlinuz config System.map; do
        if [[ -f $tmp/root/boot/$f-$rel ]]; then
            mv "$tmp/root/boot/$f-$rel" "$out/$f"
        elif [[ -f $out/lib/modules/$rel/$f ]]; then
            mv "$out/lib/modules/$rel/$f" "$out/$f"
        fi
    done
    [[ -s $out/vmlinuz ]] || die "no vmlinuz in $*"
    echo "$rel" >"$out/release"
    printf '%s\n' "$packages" >"$out/packages"
    # Newer kmod releases look in BASE/usr/lib/modules for `depmod -b BASE`.
    mkdir -p "$out/usr"
    ln -s ../lib "$out/usr/lib"
    log "running depmod for $rel"
    "$DEPMOD" -b "$out" "$rel"
    [[ -s $out/lib/modules/$rel/modules.dep ]] || die "depmod produced no modules.dep"
}

# --check: the cached kernel extracted again from its cached .debs through
# extract_kernel, into a scratch directory, and compared with the cache: the
# step a warm cache never runs, run in every CI run. No network.
check_kernel() {
    local t0 p ver deb debs=() rel f
    t0=$(date +%s.%N)
    kernel_complete || die "no cached kernel $NAME to check (run: $0 $NAME)"
    while read -r p ver; do
        [[ -n $p ]] || continue
        deb=$DEBDIR/${p}_${ver//:/%3a}_amd64.deb
        [[ -s $deb ]] || die "cached package $deb missing (run: $0 $NAME --refresh)"
        debs+=("$deb")
    done <"$KDIR/packages"
    ((${#debs[@]})) || die "$KDIR/packages lists no package"
    CHECK_TMP=$(mktemp -d "$CACHE/kernels/.check-$NAME.XXXXXX")
    trap 'rm -rf "$CHECK_TMP"' EXIT
    extract_kernel "$CHECK_TMP" "$(<"$KDIR/packages")" "${debs[@]}"
    rel=$(<"$KDIR/release")
    [[ $(<"$CHECK_TMP/out/release") == "$rel" ]] || die "release $(<"$CHECK_TMP/out/release") != cached $rel"
    for f in vmlinuz packages lib/modules/$rel/modules.dep lib/modules/$rel/modules.alias; do
        [[ -e $KDIR/$f ]] || continue
        cmp -s "$CHECK_TMP/out/$f" "$KDIR/$f" || die "$f extracted again differs from the cache"
    done
    echo "fetch-kernel check $NAME: $rel extracted again from ${#debs[@]} cached packages," \
        "depmod run; image and modules.dep equal to the cache" \
        "($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s)"
}

UDIR=$CACHE/uapi/$NAME
QDIR=$CACHE/qemu
QEMU_PKGS=(qemu-system-x86 qemu-system-common qemu-system-data)
qemu_complete() {
    [[ -x $QDIR/usr/bin/qemu-system-x86_64 && -s $QDIR/packages ]]
}
# The QEMU of the .debs in $1, with every library it needs found here.
extract_qemu() {
    local tmp=$1 deb missing
    shift
    for deb in "${@:2}"; do
        log "extracting $(basename "$deb")"
        dpkg-deb -x "$deb" "$tmp/root"
    done
    [[ -x $tmp/root/usr/bin/qemu-system-x86_64 ]] || die "no usr/bin/qemu-system-x86_64 in the packages"
    missing=$(ldd "$tmp/root/usr/bin/qemu-system-x86_64" | awk '/not found/ { print $1 }' | paste -sd' ')
    [[ -z $missing ]] || die "QEMU needs libraries this machine lacks: $missing (run 'make test-deps' as root)"
    printf '%s\n' "$1" >"$tmp/root/packages"
}
# --check: QEMU extracted again from its cached .debs (extract_qemu, the
# libraries looked up again) and compared with the cache. No network.
check_qemu() {
    local t0 p ver deb debs=() f
    t0=$(date +%s.%N)
    qemu_complete || die "no cached QEMU to check (run: $0 qemu)"
    while read -r p ver; do
        f=("$DEBDIR/${p}_${ver//:/%3a}_"*.deb)
        [[ -s ${f[0]} ]] || die "cached package ${p} ${ver} missing (run: $0 qemu --refresh)"
        debs+=("${f[0]}")
    done <"$QDIR/packages"
    CHECK_TMP=$(mktemp -d "$CACHE/.check-qemu.XXXXXX")
    trap 'rm -rf "$CHECK_TMP"' EXIT
    extract_qemu "$CHECK_TMP" "$(<"$QDIR/packages")" "${debs[@]}"
    for f in packages usr/bin/qemu-system-x86_64 usr/share/qemu/qboot.rom; do
        cmp -s "$CHECK_TMP/root/$f" "$QDIR/$f" || die "$f extracted again differs from the cache"
    done
    echo "fetch-kernel check qemu: $(awk 'NR == 1 { print $2 }' "$QDIR/packages") extracted" \
        "again from ${#debs[@]} cached packages, its libraries found; equal to the cache" \
        "($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')s)"
}
if [[ $STYLE == qemu && $CHECK == 1 ]]; then
    check_qemu
    exit 0
fi
if [[ $STYLE == qemu && $REFRESH != 1 ]] && qemu_complete; then
    log "cached: $(paste -sd, "$QDIR/packages" | sed 's/,/, /g')"
    echo "$QDIR"
    exit 0
fi
if [[ $UAPI == 1 && $REFRESH != 1 && -s $UDIR/.version ]]; then
    # Warm cache: no network at all.
    log "cached: linux-libc-dev $(<"$UDIR/.version")"
    echo "$UDIR"
    exit 0
fi
if [[ $CHECK == 1 ]]; then
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
    DEPMOD=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod) || die "depmod not found (Debian package kmod)"
    check_kernel
    exit 0
fi
if [[ $HEADERS == 1 ]]; then
    # The headers follow the cached kernel: fetch that first (no network if cached).
    kernel_complete || "$0" "$NAME" >/dev/null || die "no kernel $NAME"
    HREL=$(<"$KDIR/release")
    HDIR=$CACHE/headers/$HREL
    HVER=$(awk 'NR == 1 { print $2 }' "$KDIR/packages")
    if [[ -s $HDIR/.version && $(<"$HDIR/.version") == "$HVER" ]]; then
        log "cached: headers $HREL $HVER"
        echo "$HDIR"
        exit 0
    fi
fi
if [[ $UAPI != 1 && $HEADERS != 1 && $SOURCE != 1 && $PRINT_MIRROR != 1 && $REFRESH != 1 ]] && kernel_complete; then
    # Warm cache: no network at all.
    show_picked "cached"
    exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
# depmod lives in /sbin, which is not in a normal user's PATH.
DEPMOD=$(PATH=$PATH:/usr/sbin:/sbin command -v depmod) || die "depmod not found (Debian package kmod)"
[[ -r $KEYRING ]] || die "keyring $KEYRING not readable (Debian package debian-archive-keyring)"

# --- the mirror, from this machine's apt config -------------------------------
# Print candidate "URI suite" pairs from classic one-line and deb822 sources.
apt_sources() {
    local sl sp f
    # apt-config tells where this machine keeps its sources (honours apt.conf).
    eval "$(apt-config shell sl Dir::Etc::sourcelist/f sp Dir::Etc::sourceparts/d)"
    sl=${sl:-/etc/apt/sources.list}
    sp=${sp:-/etc/apt/sources.list.d/}
    for f in "$sl" "$sp"/*.list; do
        [[ -r $f ]] || continue
        # deb [opts] URI suite comps...  (the [opts] may contain spaces)
        sed -n 's/#.*//; s/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+\([^[:space:]]\+\).*/\2 \3/p' "$f"
    done
    for f in "$sp"/*.sources; do
        [[ -r $f ]] || continue
        # One stanza per paragraph; print every URI with its first suite,
        # skipping stanzas that are disabled or are deb-src only.
        awk '
            function flush() {
                if (uris != "" && types ~ /(^|[[:space:]])deb([[:space:]]|$)/ && enabled !~ /^[[:space:]]*no/) {
                    n = split(uris, u, /[[:space:]]+/); split(suites, s, /[[:space:]]+/)
                    for (i = 1; i <= n; i++) if (u[i] != "") print u[i], s[1] == "" ? s[2] : s[1]
                }
                uris = ""; suites = ""; types = ""; enabled = ""
            }
            /^[[:space:]]*#/ { next }
            /^[[:space:]]*$/ { flush(); next }
            tolower($1) == "uris:"    { sub(/^[^:]*:/, ""); uris = $0 }
            tolower($1) == "suites:"  { sub(/^[^:]*:/, ""); suites = $0 }
            tolower($1) == "types:"   { sub(/^[^:]*:/, ""); types = $0 }
            tolower($1) == "enabled:" { sub(/^[^:]*:/, ""); enabled = $0 }
            END { flush() }
        ' "$f"
    done
}

pick_mirror() {
    if [[ -n ${ISC_DEBIAN_MIRROR:-} ]]; then
        echo "${ISC_DEBIAN_MIRROR%/}"
        return
    fi
    # The main archive: not the security archive, not a ports/other archive.
    apt_sources | awk '$2 !~ /-security$/ && $1 !~ /security/ { print $1; exit }' | sed 's:/*$::'
}

MIRROR=$(pick_mirror)
[[ -n $MIRROR ]] || die "no Debian mirror found in the apt configuration; set ISC_DEBIAN_MIRROR=URI"
if [[ $PRINT_MIRROR == 1 ]]; then
    echo "$MIRROR"
    exit 0
fi

# --- a private apt state for this suite ------------------------------------------
APTDIR=$CACHE/apt/$SUITE
mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" "$DEBDIR" "$CACHE/kernels"

# One fetch at a time per cache: parallel runs share lists, debs and kernels.
exec 9>"$CACHE/.fetch.lock"
flock 9
# Another run may have completed this kernel while we waited for the lock.
if [[ $UAPI != 1 && $HEADERS != 1 && $SOURCE != 1 && $REFRESH != 1 ]] && kernel_complete; then
    show_picked "cached"
    exit 0
fi

printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$MIRROR" "$SUITE" >"$APTDIR/sources.list"

APT_OPTS=(
    -o "Dir::Etc::SourceList=$APTDIR/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$APTDIR/lists"
    -o "Dir::Cache=$APTDIR/cache"
    # Ignore what is installed and the machine's pinning: we only download.
    -o "Dir::State::status=/dev/null"
    -o "Dir::Etc::Preferences=/dev/null"
    -o "Dir::Etc::PreferencesParts=/dev/null"
    # Non-root: no lock files in /var, and the download runs as ourselves
    # instead of dropping to the _apt user (which could not write here).
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=$(id -un)"
    # Only amd64 lists, no translations: smaller and faster updates.
    -o "APT::Architecture=amd64"
    -o "APT::Architectures=amd64"
    -o "Acquire::Languages=none"
    -q
)

lists_fresh() {
    local stamp=$APTDIR/lists/.isc-updated
    [[ -f $stamp ]] || return 1
    [[ $(cat "$APTDIR/sources.list") == "$(cat "$APTDIR/lists/.isc-sources" 2>/dev/null)" ]] || return 1
    (($(date +%s) - $(stat -c %Y "$stamp") < MAX_AGE))
}

if [[ $REFRESH == 1 ]] || ! lists_fresh; then
    log "updating package lists for $SUITE from $MIRROR"
    apt-get "${APT_OPTS[@]}" update >&2 || die "apt-get update failed for $SUITE"
    cp "$APTDIR/sources.list" "$APTDIR/lists/.isc-sources"
    touch "$APTDIR/lists/.isc-updated"
fi

# Newest package whose name matches $1 (names carry the upstream version).
newest() {
    apt-cache "${APT_OPTS[@]}" search --names-only "$1" | awk '{print $1}' | sort -V | tail -n1
}
version_of() {
    apt-cache "${APT_OPTS[@]}" show --no-all-versions "$1" | sed -n 's/^Version: //p' | head -n1
}

if [[ $UAPI == 1 ]]; then
    ver=$(version_of linux-libc-dev)
    [[ -n $ver ]] || die "no linux-libc-dev in $SUITE"
    # amd64 up to 6.1; Architecture: all in later releases
    deb=
    for arch in amd64 all; do
        [[ -s $DEBDIR/linux-libc-dev_${ver//:/%3a}_$arch.deb ]] &&
            deb=$DEBDIR/linux-libc-dev_${ver//:/%3a}_$arch.deb
    done
    if [[ -z $deb ]]; then
        log "downloading linux-libc-dev $ver"
        (cd "$DEBDIR" && apt-get "${APT_OPTS[@]}" download "linux-libc-dev=$ver" >&2) ||
            die "download of linux-libc-dev failed"
        for arch in amd64 all; do
            [[ -s $DEBDIR/linux-libc-dev_${ver//:/%3a}_$arch.deb ]] &&
                deb=$DEBDIR/linux-libc-dev_${ver//:/%3a}_$arch.deb
        done
        [[ -n $deb ]] || die "no linux-libc-dev .deb after the download"
    fi
    TMP=$(mktemp -d "$CACHE/.uapi-$NAME.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    dpkg-deb -x "$deb" "$TMP/root"
    echo "$ver" >"$TMP/root/.version"
    mkdir -p "$CACHE/uapi"
    rm -rf "$UDIR"
    mv "$TMP/root" "$UDIR"
    log "picked: linux-libc-dev $ver"
    echo "$UDIR"
    exit 0
fi

if [[ $HEADERS == 1 ]]; then
    # linux-headers-5.10.0-32-amd64 -> ...-common and linux-kbuild-5.10, all
    # at the version of the extracted kernel image.
    HPKGS=("linux-headers-$HREL" "linux-headers-${HREL%-amd64}-common"
           "linux-kbuild-$(echo "$HREL" | cut -d. -f1-2)")
    HDEBS=()
    for p in "${HPKGS[@]}"; do
        [[ $(apt-cache "${APT_OPTS[@]}" show "$p=$HVER" 2>/dev/null | sed -n 's/^Package: //p' | head -n1) == "$p" ]] ||
            die "$p $HVER not in $SUITE (--refresh the kernel?)"
        arch=$(apt-cache "${APT_OPTS[@]}" show "$p=$HVER" | sed -n 's/^Architecture: //p' | head -n1)
        deb=$DEBDIR/${p}_${HVER//:/%3a}_$arch.deb
        if [[ ! -s $deb ]]; then
            log "downloading $p $HVER"
            (cd "$DEBDIR" && apt-get "${APT_OPTS[@]}" download "$p=$HVER" >&2) || die "download of $p failed"
        fi
        [[ -s $deb ]] || die "expected $deb after download"
        HDEBS+=("$deb")
    done
    TMP=$(mktemp -d "$CACHE/.headers-$NAME.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    for deb in "${HDEBS[@]}"; do
        log "extracting $(basename "$deb")"
        dpkg-deb -x "$deb" "$TMP/root"
    done
    [[ -e $TMP/root/usr/src/linux-headers-$HREL/Makefile ]] || die "no usr/src/linux-headers-$HREL/Makefile in ${HPKGS[*]}"
    # "include /usr/src/linux-headers-X-common/Makefile": relative, so the
    # tree works where it was extracted (make -C runs in that directory).
    sed -i 's|^include /usr/src/|include ../|' "$TMP/root/usr/src/linux-headers-$HREL/Makefile"
    echo "$HVER" >"$TMP/root/.version"
    mkdir -p "$CACHE/headers"
    rm -rf "$HDIR"
    mv "$TMP/root" "$HDIR"
    log "picked: headers $HREL $HVER"
    echo "$HDIR"
    exit 0
fi
if [[ $STYLE == qemu ]]; then
    want=$(for p in "${QEMU_PKGS[@]}"; do echo "$p $(version_of "$p")"; done)
    if qemu_complete && [[ $want == "$(cat "$QDIR/packages")" ]]; then
        log "up to date: $(paste -sd, "$QDIR/packages" | sed 's/,/, /g')"
        echo "$QDIR"
        exit 0
    fi
    DEBS=()
    while read -r p ver; do
        [[ -n $ver ]] || die "package $p not found in $SUITE"
        arch=$(apt-cache "${APT_OPTS[@]}" show "$p=$ver" | sed -n 's/^Architecture: //p' | head -n1)
        deb=$DEBDIR/${p}_${ver//:/%3a}_$arch.deb
        if [[ ! -s $deb ]]; then
            log "downloading $p $ver"
            (cd "$DEBDIR" && apt-get "${APT_OPTS[@]}" download "$p=$ver" >&2) || die "download of $p failed"
        fi
        [[ -s $deb ]] || die "expected $deb after download"
        DEBS+=("$deb")
    done <<<"$want"
    TMP=$(mktemp -d "$CACHE/.qemu.XXXXXX")
    trap 'rm -rf "$TMP"' EXIT
    extract_qemu "$TMP" "$want" "${DEBS[@]}"
    rm -rf "$QDIR"
    mv "$TMP/root" "$QDIR"
    log "picked: $(paste -sd, "$QDIR/packages" | sed 's/,/, /g')"
    echo "$QDIR"
    exit 0
fi
if [[ $SOURCE == 1 ]]; then
    # linux-source-X.Y is Architecture: all; one .xz tarball of the tree.
    SRX="^linux-source-${NAME//./\\.}\$"
    src=$(newest "$SRX")
    if [[ -z $src && $SUITE == sid ]]; then
        src=$(newest '^linux-source-[0-9]+\.[0-9]+$')
        [[ -n $src ]] && log "WARNING: $SUITE has no linux-source-$NAME any more; using $src instead"
    fi
    [[ -n $src ]] || die "no linux-source-$NAME in $SUITE"
    ver=$(version_of "$src")
    deb=$DEBDIR/${src}_${ver//:/%3a}_all.deb
    if [[ ! -s $deb ]]; then
        log "downloading $src $ver"
        (cd "$DEBDIR" && apt-get "${APT_OPTS[@]}" download "$src=$ver" >&2) || die "download of $src failed"
    fi
    [[ -s $deb ]] || die "expected $deb after download"
    log "picked: $src $ver"
    echo "$src $ver $deb"
    exit 0
fi

MAIN=$(newest "$RX")
if [[ -z $MAIN && $STYLE == binary ]]; then
    # sid moved past 7.2: take the newest kernel it has and say so loudly.
    MAIN=$(newest '^linux-binary-[0-9]+\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64$')
    [[ -n $MAIN ]] && log "WARNING: $SUITE has no 7.2 kernel any more; using $MAIN instead"
fi
[[ -n $MAIN ]] || die "no package matching $RX in $SUITE"

PKGS=("$MAIN")
if [[ $STYLE == binary ]]; then
    v=${MAIN#linux-binary-}
    # modules: the .ko tree; base: config, System.map, modules.builtin/order.
    PKGS+=("linux-modules-$v" "linux-base-$v")
fi

# Same packages and versions as already extracted? Then only touch nothing.
want=$(for p in "${PKGS[@]}"; do echo "$p $(version_of "$p")"; done)
if kernel_complete && [[ $want == "$(cat "$KDIR/packages" 2>/dev/null)" ]]; then
    show_picked "up to date"
    exit 0
fi

# --- download (kept) ---------------------------------------------------------------
DEBS=()
for p in "${PKGS[@]}"; do
    ver=$(version_of "$p")
    [[ -n $ver ]] || die "package $p not found in $SUITE"
    # apt names files with the epoch's ':' escaped as %3a.
    deb=$DEBDIR/${p}_${ver//:/%3a}_amd64.deb
    if [[ ! -s $deb ]]; then
        log "downloading $p $ver"
        (cd "$DEBDIR" && apt-get "${APT_OPTS[@]}" download "$p=$ver" >&2) || die "download of $p failed"
    fi
    [[ -s $deb ]] || die "expected $deb after download"
    DEBS+=("$deb")
done

# --- extract (no root: dpkg-deb -x) --------------------------------------------------
TMP=$(mktemp -d "$CACHE/kernels/.$NAME.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
extract_kernel "$TMP" "$want" "${DEBS[@]}"

# Swap in atomically: readers never see a half-extracted kernel.
if [[ -e $KDIR ]]; then
    mv "$KDIR" "$TMP/old"
fi
mv "$TMP/out" "$KDIR"
show_picked "picked"

#!/usr/bin/env bash
# Unpacks a target's libedit and libsodium (and what a static link of them needs) into a
# directory, from Debian's own packages, without installing anything on the build host:
#   toolchains/sysroot.sh ARCH DIR      ARCH: arm64 | armhf | armel | mipsel
#   toolchains/sysroot.sh --refresh ARCH DIR    look for newer package versions
#
# apt runs with a private configuration under DIR/.apt (its own sources list, package
# lists, .deb cache and an empty dpkg status), so the host's dpkg architectures, package
# lists and installed packages are never touched and no root is needed. `apt-get
# download` fetches the -dev packages (static archives, headers, .pc files: the runtime
# packages only hold shared objects a static link does not use) and `dpkg -x` unpacks them.
#
# DIR/.stamp lists the unpacked package versions. A rerun with a stamp present costs
# nothing (no network); --refresh (or P2P_SYSROOT_REFRESH=1) updates the lists and unpacks
# again only if a version changed. Exit status non-zero, with the reason on stderr, when
# the packages cannot be fetched (no network, not a Debian host): the build then goes on
# without libedit.
#
# Environment: P2P_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# P2P_DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security), P2P_DEBIAN_SUITE
# (default: the host's Debian codename, so the libraries match the cross compilers' glibc),
# P2P_DEBIAN_KEYRING (default /usr/share/keyrings/debian-archive-keyring.gpg).
set -euo pipefail

refresh=${P2P_SYSROOT_REFRESH:-0}
if [ "${1:-}" = "--refresh" ]; then
    refresh=1
    shift
fi
if [ $# -ne 2 ]; then
    echo "usage: $0 [--refresh] arm64|armhf|armel|mipsel DIR" >&2
    exit 2
fi
arch=$1
dir=$2
case "$arch" in
    arm64 | armhf | armel | mipsel) ;;
    *) echo "sysroot: unknown Debian architecture '$arch'" >&2; exit 2 ;;
esac

# libedit-dev's dependencies that carry what a static link needs: libedit.a needs libtinfo.a
# (libncurses-dev) and libbsd.a, which needs libmd.a. libsodium-dev: libsodium.a, every
# cryptographic primitive of secured links (toolchains/libsodium.cmake).
packages=(libedit-dev libbsd-dev libmd-dev libncurses-dev libsodium-dev)

stamp=$dir/.stamp
# A stamp naming every package is a sysroot made already; one made before a package
# joined the list is made again.
stamped_all() {
    local p
    for p in "${packages[@]}"; do
        grep -q "^$p " "$stamp" || return 1
    done
}
if [ -f "$stamp" ] && [ "$refresh" != 1 ] && stamped_all; then
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "sysroot: no $tool (not a Debian host)" >&2; exit 1; }
done

suite=${P2P_DEBIAN_SUITE:-}
if [ -z "$suite" ]; then
    # shellcheck disable=SC1091
    suite=$(. /etc/os-release 2>/dev/null && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}")
    if [ -z "$suite" ]; then
        echo "sysroot: not a Debian host; set P2P_DEBIAN_SUITE (e.g. bookworm)" >&2
        exit 1
    fi
fi
mirror=${P2P_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${P2P_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keyring=${P2P_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
[ -r "$keyring" ] || { echo "sysroot: no Debian archive keyring at $keyring" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
apt_dir=$dir/.apt
# DIR/usr is replaced below: never in a tree this script did not make (DIR=/ would be
# the host's /usr).
if [ -e "$dir/usr" ] && [ ! -d "$apt_dir" ]; then
    echo "sysroot: $dir/usr exists and was not made by $0; refusing to replace it" >&2
    exit 2
fi
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/sources.d" \
    "$apt_dir/preferences.d" "$apt_dir/debs"
: >"$apt_dir/status"
{
    echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main"
    # Security fixes, when the suite has them (not testing/sid): the libraries end up
    # inside our binary, so they should be the ones a board's own apt would install.
    case "$suite" in
        sid | unstable | testing) ;;
        *) echo "deb [arch=$arch signed-by=$keyring] $security $suite-security main" ;;
    esac
} >"$apt_dir/sources.list"

apt_opts=(
    -q -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=$apt_dir/sources.d"
    -o "Dir::Etc::Preferences=$apt_dir/preferences"
    -o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::status=$apt_dir/status"
    -o "Dir::Cache=$apt_dir" -o "Dir::Cache::archives=$apt_dir/archives"
    -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
    # Root would otherwise hand the downloads to the _apt user, who cannot write here.
    -o "APT::Sandbox::User=$(id -un)"
    -o "Acquire::Languages=none" -o "Acquire::Retries=2" -o "Acquire::http::Timeout=20"
)

echo "sysroot: $arch package lists from $mirror $suite" >&2
# apt-get update exits 0 when an index could not be fetched; its warning says so.
if ! apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 ||
    grep -Eq '^(E: |W: (Failed to fetch|Some index files failed))' "$apt_dir/update.log"; then
    echo "sysroot: apt-get update failed:" >&2
    tail -n 5 "$apt_dir/update.log" >&2
    exit 1
fi

# The candidate version of each package, in one apt-cache call (each loads the lists).
mapfile -t wanted < <(apt-cache "${apt_opts[@]}" show --no-all-versions \
    "${packages[@]/%/:$arch}" 2>/dev/null |
    awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }')
if ((${#wanted[@]} != ${#packages[@]})); then
    echo "sysroot: $arch in $suite lacks some of: ${packages[*]}" >&2
    exit 1
fi
if [ -f "$stamp" ] && [ "$(printf '%s\n' "${wanted[@]}")" = "$(cat "$stamp")" ]; then
    echo "sysroot: $arch up to date" >&2
    exit 0
fi

# Download what is not cached yet (named by version, so a new version is a new file).
# One apt-get call: each one spends a second reading the package lists.
deb_name() { echo "${1}_${2//:/%3a}_${arch}.deb"; }
missing=()
for pv in "${wanted[@]}"; do
    read -r p v <<<"$pv"
    [ -f "$apt_dir/debs/$(deb_name "$p" "$v")" ] || missing+=("$p:$arch=$v")
done
if ((${#missing[@]})); then
    (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download "${missing[@]}" >&2)
fi

# Unpack into a fresh tree, then swap it in: an interrupted run never leaves a half tree
# that a later run (seeing no stamp) would build on.
tmp=$dir/.unpack
rm -rf "$tmp"
mkdir -p "$tmp"
for pv in "${wanted[@]}"; do
    read -r p v <<<"$pv"
    dpkg-deb -x "$apt_dir/debs/$(deb_name "$p" "$v")" "$tmp"
done
# Without the runtime packages the -dev packages' .so links and linker scripts point
# nowhere; removed, nothing here can be linked dynamically by mistake.
find "$tmp/usr/lib" \( -name '*.so' -o -name '*.so.*' \) -delete
rm -rf "${dir:?}/usr"
mv "$tmp/usr" "$dir/usr"
rm -rf "$tmp"
printf '%s\n' "${wanted[@]}" >"$stamp"
echo "sysroot: $arch unpacked into $dir: ${wanted[*]}" >&2

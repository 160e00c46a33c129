#!/bin/sh
# The OpenWrt package's Makefile (platform/service/openwrt/p2pchat/Makefile), run step by
# step as the SDK runs it, with stand-ins for the SDK's rules.mk, package.mk and cmake.mk
# (tests/openwrt/sdk_stub) and Debian's mipsel cross compiler in place of the SDK's:
#   1. Build/Prepare copies the sources into the package's build directory: exactly the
#      Makefile's list, nothing of this checkout's build/ or tests/
#   2. Build/Configure (cmake.mk's, with the Makefile's CMAKE_OPTIONS) in that copy: a
#      Release cross build without tests or benchmarks, installing under /usr, whose
#      shell has libedit, found through the staging directory's pkg-config as the SDK's
#      libedit package stages it; PKG_VERSION is the CMake project's version and
#      DEPENDS names libedit
#   3. (without --configure-only) Build/Compile and Build/Install (ninja, DESTDIR), then
#      Package/p2pchat/install into the package's tree: exactly the binary, the init
#      script and the UCI config with OpenWrt's modes; the binary is MIPS, has libedit
#      linked in, and runs (--version) under qemu-mipsel
# What this cannot prove: that the SDK's real macros, musl libc and its libedit build
# it (no SDK on this machine); see docs/deployment.md.
#   sh tests/openwrt/package_makefile_test.sh [--configure-only]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
pkgdir=$repo/platform/service/openwrt/p2pchat
sysroot=${P2P_LIBEDIT_SYSROOT:-$repo/build/sysroot/mipsel}
configure_only=0
[ "${1:-}" = --configure-only ] && configure_only=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
die() {
    echo "FAIL: $*"
    exit 1
}

command -v mipsel-linux-gnu-g++ >/dev/null ||
    die "no mipsel-linux-gnu-g++ (.ci/setup test installs g++-mipsel-linux-gnu)"
# The target's libedit: Debian's mipsel packages (toolchains/sysroot.sh, as the mipsel
# preset uses them), staged where the SDK stages its libedit package.
if [ ! -f "$sysroot/usr/lib/mipsel-linux-gnu/libedit.a" ] ||
    [ ! -f "$sysroot/usr/lib/mipsel-linux-gnu/libsodium.a" ]; then
    bash "$repo/toolchains/sysroot.sh" mipsel "$sysroot" >/dev/null ||
        die "no mipsel libedit sysroot at $sysroot (toolchains/sysroot.sh)"
fi
staging=$work/staging
mkdir -p "$staging/usr/include" "$staging/usr/lib/pkgconfig"
cp -R "$sysroot/usr/include/editline" "$sysroot/usr/include/histedit.h" "$staging/usr/include/"
cp -R "$sysroot/usr/include/sodium" "$sysroot/usr/include/sodium.h" "$staging/usr/include/"
for lib in edit tinfo bsd md sodium; do
    cp "$sysroot/usr/lib/mipsel-linux-gnu/lib$lib.a" "$staging/usr/lib/"
done
# RapidJSON is header-only; the SDK stages it from its rapidjson package.
ln -s /usr/include/rapidjson "$staging/usr/include/rapidjson"
# A .pc file in the staging directory, as the SDK's own package of that library stages.
stage_pc() { # name version libs cflags
    cat >"$staging/usr/lib/pkgconfig/$1.pc" <<PC
prefix=$staging/usr
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: $1
Description: $1 staged for the OpenWrt package test
Version: $2
Libs: -L\${libdir} $3
Cflags: -I\${includedir}$4
PC
}
# The SDK's libedit is a shared library that names its ncurses itself; this stand-in is
# Debian's static one, so its .pc lists what libedit.a needs.
stage_pc libedit 3.1 "-ledit -ltinfo -lbsd -lmd" " -I\${includedir}/editline"
stage_pc libsodium 1.0.18 "-lsodium" ""

build_dir=$work/build
sdk() { # make target [VAR=value...]
    make --no-print-directory -C "$pkgdir" TOPDIR="$here/sdk_stub" BUILD_DIR="$build_dir" \
        STAGING_DIR="$staging" "$@"
}
var() { sdk openwrt-var VAR="$1"; }

# ---- the Makefile's own fields -------------------------------------------------------
project_version=$(sed -n 's/^project(p2pchat VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
[ "$(var PKG_VERSION)" = "$project_version" ] ||
    fail "PKG_VERSION $(var PKG_VERSION) is not the project's $project_version"
for dep in +libedit +libsodium; do
    case " $(var DEPENDS) " in
        *" $dep "*) ;;
        *) fail "DEPENDS ($(var DEPENDS)) lacks $dep" ;;
    esac
done
[ "$(var PKG_LICENSE)" = MIT ] || fail "PKG_LICENSE $(var PKG_LICENSE)"
pkg_build_dir=$(var PKG_BUILD_DIR)
pkg_install_dir=$(var PKG_INSTALL_DIR)

# ---- 1. Build/Prepare ---------------------------------------------------------------
sdk openwrt-prepare >"$work/prepare.log" 2>&1 || { cat "$work/prepare.log"; die "Build/Prepare"; }
copied=$(cd "$pkg_build_dir" && find . -mindepth 1 -maxdepth 2 \( -path ./docs/\* -o \
    -path ./toolchains/\* -o ! -path './*/*' \) | sort | tr '\n' ' ')
[ "$copied" = "./CMakeLists.txt ./LICENSE ./core ./docs ./docs/man ./platform ./shell ./toolchains ./toolchains/libsodium.cmake " ] ||
    fail "Build/Prepare copied: $copied"
for f in core/codec.h shell/app/main.cpp docs/man/p2pchat.1 platform/service/debian/changelog; do
    cmp -s "$repo/$f" "$pkg_build_dir/$f" || fail "Build/Prepare: $f differs or is missing"
done

# ---- 2. Build/Configure -------------------------------------------------------------
sdk openwrt-configure >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log"; die "Build/Configure"; }
grep -q 'p2pchat: shell uses libedit' "$work/configure.log" ||
    fail "the configure did not find libedit: $(grep 'p2pchat: shell' "$work/configure.log")"
cache=$pkg_build_dir/CMakeCache.txt
for entry in CMAKE_BUILD_TYPE:STRING=Release P2P_BUILD_TESTS:BOOL=OFF P2P_BUILD_BENCH:BOOL=OFF \
    P2P_WITH_LIBEDIT:BOOL=ON P2P_REQUIRE_LIBEDIT:BOOL=ON CMAKE_INSTALL_PREFIX:PATH=/usr; do
    grep -qx "$entry" "$cache" || fail "CMakeCache.txt: no $entry ($(grep "^${entry%%:*}:" "$cache"))"
done
grep -qE '^CMAKE_CXX_COMPILER:[A-Z]+=(.*/)?mipsel-linux-gnu-g\+\+$' "$cache" ||
    fail "not the mipsel compiler: $(grep '^CMAKE_CXX_COMPILER:' "$cache")"
[ ! -e "$pkg_build_dir/tests" ] || fail "tests configured"

if [ $configure_only = 1 ]; then
    [ $failures = 0 ] || exit 1
    echo "openwrt package Makefile: prepare and configure ok (--configure-only)"
    exit 0
fi

# ---- 3. Build/Compile, Build/Install, Package/p2pchat/install --------------------------
sdk openwrt-compile >"$work/compile.log" 2>&1 || { tail -40 "$work/compile.log"; die "Build/Compile"; }
sdk openwrt-install >"$work/install.log" 2>&1 || { cat "$work/install.log"; die "Build/Install"; }
root=$work/ipkg
sdk openwrt-package PKG_ROOT="$root" >"$work/package.log" 2>&1 ||
    { cat "$work/package.log"; die "Package/p2pchat/install"; }
listing=$(cd "$root" && find . ! -type d -printf '%m %p\n' | sort)
expected="600 ./etc/config/p2pchat
755 ./etc/init.d/p2pchat
755 ./usr/bin/p2pchat"
[ "$listing" = "$expected" ] || fail "package tree:
$listing"
cmp -s "$pkg_install_dir/usr/bin/p2pchat" "$root/usr/bin/p2pchat" ||
    fail "the package's binary is not the one Build/Install installed"
bin=$root/usr/bin/p2pchat
readelf -h "$bin" | grep -qE 'Machine: +MIPS' || fail "not a MIPS binary"
# Not stripped yet (the SDK strips when it makes the .ipk): libedit's entry point is there.
readelf -sW "$bin" | grep -qw el_init || fail "libedit is not linked in (no el_init)"
version=$(qemu-mipsel -cpu 24Kf -L /usr/mipsel-linux-gnu "$bin" --version 2>&1) ||
    fail "p2pchat --version under qemu-mipsel: $version"
case "$version" in
    *"$project_version"*) ;;
    *) fail "--version says: $version" ;;
esac

[ $failures = 0 ] || exit 1
echo "openwrt package Makefile: prepare, configure, compile, install and package ok ($version)"

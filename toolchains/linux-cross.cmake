# Shared part of the Debian cross toolchain files. The including file sets:
#   P2P_CROSS_TRIPLE     GNU triple of the Debian cross compiler (aarch64-linux-gnu, ...)
#   P2P_CROSS_DEBIAN_ARCH  Debian architecture whose packages match it (arm64, ...):
#                        libedit-sysroot.cmake fetches the target's libedit for it
#   P2P_CROSS_PROCESSOR  CMAKE_SYSTEM_PROCESSOR value
#   P2P_CROSS_QEMU       qemu-user program that runs the target's binaries
#   P2P_CROSS_QEMU_CPU   optional qemu -cpu model (the oldest core we promise to run on)
# Toolchain files are read once per try_compile as well, so this file only sets variables.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${P2P_CROSS_PROCESSOR})

# The cross compilers and qemu are found on PATH (or under $P2P_CROSS_PREFIX/bin), not
# at a fixed path: Debian installs them in /usr/bin, a hand-built toolchain lives elsewhere.
# The answers are cached in the build directory, so try_compile reads them back.
find_program(P2P_CROSS_CC ${P2P_CROSS_TRIPLE}-gcc HINTS ENV P2P_CROSS_PREFIX PATH_SUFFIXES bin
             REQUIRED)
find_program(P2P_CROSS_CXX ${P2P_CROSS_TRIPLE}-g++ HINTS ENV P2P_CROSS_PREFIX PATH_SUFFIXES bin
             REQUIRED)
set(CMAKE_C_COMPILER ${P2P_CROSS_CC})
set(CMAKE_CXX_COMPILER ${P2P_CROSS_CXX})
# A GNU cross toolchain keeps the target's libraries in <prefix>/<triple>, beside the
# <prefix>/bin that holds the compiler (Debian: /usr/aarch64-linux-gnu).
cmake_path(GET P2P_CROSS_CXX PARENT_PATH _p2p_cross_bin)
cmake_path(GET _p2p_cross_bin PARENT_PATH _p2p_cross_prefix)
set(P2P_CROSS_TARGET_ROOT "${_p2p_cross_prefix}/${P2P_CROSS_TRIPLE}")

# Target libraries live under the target root; "/" stays in the list so header-only host
# packages (RapidJSON in /usr/include) are still found. Programs always come from the host.
set(CMAKE_FIND_ROOT_PATH "${P2P_CROSS_TARGET_ROOT};/")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Without this pkg-config answers with the host's .pc files (e.g. x86-64 libedit).
set(ENV{PKG_CONFIG_LIBDIR}
    "${_p2p_cross_prefix}/lib/${P2P_CROSS_TRIPLE}/pkgconfig:${P2P_CROSS_TARGET_ROOT}/lib/pkgconfig:${_p2p_cross_prefix}/share/pkgconfig")

# There is no binfmt_misc on the build machines: every target binary (gtest discovery,
# ctest) runs through qemu explicitly, with the target's loader and libraries from -L.
find_program(P2P_CROSS_QEMU_PROGRAM ${P2P_CROSS_QEMU} REQUIRED)
set(_p2p_emulator ${P2P_CROSS_QEMU_PROGRAM})
if(P2P_CROSS_QEMU_CPU)
  list(APPEND _p2p_emulator -cpu ${P2P_CROSS_QEMU_CPU})
endif()
list(APPEND _p2p_emulator -L ${P2P_CROSS_TARGET_ROOT})
set(CMAKE_CROSSCOMPILING_EMULATOR "${_p2p_emulator}")
unset(_p2p_emulator)
unset(_p2p_cross_bin)
unset(_p2p_cross_prefix)

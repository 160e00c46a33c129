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

set(CMAKE_C_COMPILER /usr/bin/${P2P_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER /usr/bin/${P2P_CROSS_TRIPLE}-g++)

# Target libraries live under /usr/<triple>; "/" stays in the list so header-only host
# packages (RapidJSON in /usr/include) are still found. Programs always come from the host.
set(CMAKE_FIND_ROOT_PATH "/usr/${P2P_CROSS_TRIPLE};/")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Without this pkg-config answers with the host's .pc files (e.g. x86-64 libedit).
set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${P2P_CROSS_TRIPLE}/pkgconfig:/usr/${P2P_CROSS_TRIPLE}/lib/pkgconfig:/usr/share/pkgconfig")

# There is no binfmt_misc on the build machines: every target binary (gtest discovery,
# ctest) runs through qemu explicitly, with the target's loader and libraries from -L.
set(_p2p_emulator /usr/bin/${P2P_CROSS_QEMU})
if(P2P_CROSS_QEMU_CPU)
  list(APPEND _p2p_emulator -cpu ${P2P_CROSS_QEMU_CPU})
endif()
list(APPEND _p2p_emulator -L /usr/${P2P_CROSS_TRIPLE})
set(CMAKE_CROSSCOMPILING_EMULATOR "${_p2p_emulator}")
unset(_p2p_emulator)

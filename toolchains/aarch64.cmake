# Raspberry Pi 3/4/5 (and other ARMv8 boards) running a 64-bit OS.
# Usage: cmake --preset aarch64   (or -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64.cmake)
set(P2P_CROSS_TRIPLE aarch64-linux-gnu)
set(P2P_CROSS_DEBIAN_ARCH arm64)
set(P2P_CROSS_PROCESSOR aarch64)
set(P2P_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)

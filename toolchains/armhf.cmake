# Raspberry Pi 2/3/4/5 running a 32-bit OS (ARMv7-A, hard float). Debian's armhf compiler
# defaults (armv7-a, vfpv3-d16, Thumb-2) run on every one of them, so no -mcpu here.
set(P2P_CROSS_TRIPLE arm-linux-gnueabihf)
set(P2P_CROSS_DEBIAN_ARCH armhf)
set(P2P_CROSS_PROCESSOR armv7l)
set(P2P_CROSS_QEMU qemu-arm)
set(P2P_CROSS_QEMU_CPU cortex-a7)
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)

# Raspberry Pi Zero/Zero W/1 (ARM1176JZF-S, ARMv6). Debian's armhf libraries are ARMv7-only,
# so this uses the armel compiler with the ARMv6 + VFP flags and links fully statically: the
# binary then runs on Raspberry Pi OS (armhf ABI) and on anything else with an ARMv6 core,
# because it brings its own libc. softfp keeps the armel calling convention of the static
# libraries while still using the VFP unit for arithmetic.
set(P2P_CROSS_TRIPLE arm-linux-gnueabi)
set(P2P_CROSS_DEBIAN_ARCH armel)
set(P2P_CROSS_PROCESSOR armv6l)
set(P2P_CROSS_QEMU qemu-arm)
set(P2P_CROSS_QEMU_CPU arm1176)
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)

set(_p2p_armv6_flags "-march=armv6kz+fp -mfpu=vfp -mfloat-abi=softfp -marm")
set(CMAKE_C_FLAGS_INIT "${_p2p_armv6_flags}")
set(CMAKE_CXX_FLAGS_INIT "${_p2p_armv6_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
unset(_p2p_armv6_flags)

# Little-endian MIPS routers (MT7621, many Atheros/QCA SoCs). Debian mipsel is MIPS32r2
# hard float (qemu's 24Kf is that core). Linked fully statically: router firmwares
# (OpenWrt: musl) do not carry a matching glibc.
set(P2P_CROSS_TRIPLE mipsel-linux-gnu)
set(P2P_CROSS_DEBIAN_ARCH mipsel)
set(P2P_CROSS_PROCESSOR mipsel)
set(P2P_CROSS_QEMU qemu-mipsel)
set(P2P_CROSS_QEMU_CPU 24Kf)
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# MIPS32 has no 64-bit atomic instructions; std::atomic<uint64_t> needs libatomic.
set(CMAKE_CXX_STANDARD_LIBRARIES_INIT "-latomic")
set(CMAKE_C_STANDARD_LIBRARIES_INIT "-latomic")

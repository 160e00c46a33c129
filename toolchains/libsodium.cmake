# libsodium, the one source of cryptographic primitives (docs/security.md "Construction"):
# the host's through pkg-config (its static archive for a P2P_STATIC build); a cross
# build's linked statically from the target's Debian libsodium-dev, unpacked into the
# same per-target sysroot as libedit (toolchains/sysroot.sh), so no board needs
# libsodium23 installed and the static armv6/mipsel binaries can have it at all.
#
# Any other cross build (the OpenWrt SDK's) finds the target's libsodium through its
# pkg-config, as it finds libedit.
#
# p2p_find_libsodium(<var>) sets <var> to a target to link. Secured links are part of
# the product: without libsodium the configure fails, saying how to get it.

function(p2p_find_libsodium result)
  # A cross toolchain of ours names its Debian architecture; any other (the OpenWrt SDK's)
  # stages the target's libsodium itself and finds it through pkg-config, below.
  if(CMAKE_CROSSCOMPILING AND P2P_CROSS_DEBIAN_ARCH AND P2P_CROSS_TRIPLE)
    if(NOT DEFINED P2P_LIBEDIT_SYSROOT)
      set(P2P_LIBEDIT_SYSROOT "${PROJECT_SOURCE_DIR}/build/sysroot/${P2P_CROSS_DEBIAN_ARCH}")
    endif()
    set(root "${P2P_LIBEDIT_SYSROOT}")
    set(archive "${root}/usr/lib/${P2P_CROSS_TRIPLE}/libsodium.a")
    if(NOT EXISTS "${archive}")
      # sysroot.sh unpacks again when its package list grew (a sysroot made before
      # libsodium was on it).
      execute_process(
        COMMAND bash "${PROJECT_SOURCE_DIR}/toolchains/sysroot.sh" ${P2P_CROSS_DEBIAN_ARCH}
                "${root}"
        RESULT_VARIABLE rc ERROR_VARIABLE why OUTPUT_QUIET TIMEOUT 600)
      if(NOT EXISTS "${archive}")
        string(STRIP "${why}" why)
        message(FATAL_ERROR "p2pchat: no ${P2P_CROSS_DEBIAN_ARCH} libsodium at ${archive} "
                            "(toolchains/sysroot.sh: ${why})")
      endif()
    endif()
    # Only libsodium's own headers: the sysroot's include dir holds other libraries' too.
    set(inc "${CMAKE_BINARY_DIR}/libsodium-include")
    file(MAKE_DIRECTORY "${inc}")
    file(COPY "${root}/usr/include/sodium" "${root}/usr/include/sodium.h" DESTINATION "${inc}")
    add_library(p2p_libsodium INTERFACE IMPORTED GLOBAL)
    set_target_properties(p2p_libsodium PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${inc}"
                                                   INTERFACE_LINK_LIBRARIES "${archive}")
    set(${result} p2p_libsodium PARENT_SCOPE)
    return()
  endif()
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(LIBSODIUM QUIET IMPORTED_TARGET GLOBAL libsodium)
  endif()
  if(NOT LIBSODIUM_FOUND)
    message(FATAL_ERROR "p2pchat: libsodium not found (Debian/Ubuntu: apt-get install "
                        "libsodium-dev, or .ci/setup node)")
  endif()
  if(P2P_STATIC)
    find_library(P2P_LIBSODIUM_ARCHIVE NAMES libsodium.a HINTS ${LIBSODIUM_LIBRARY_DIRS})
    if(NOT P2P_LIBSODIUM_ARCHIVE)
      message(FATAL_ERROR "p2pchat: a static build needs libsodium.a (libsodium-dev)")
    endif()
    add_library(p2p_libsodium INTERFACE IMPORTED GLOBAL)
    set_target_properties(p2p_libsodium PROPERTIES
                          INTERFACE_INCLUDE_DIRECTORIES "${LIBSODIUM_INCLUDE_DIRS}"
                          INTERFACE_LINK_LIBRARIES "${P2P_LIBSODIUM_ARCHIVE}")
    set(${result} p2p_libsodium PARENT_SCOPE)
    return()
  endif()
  set(${result} PkgConfig::LIBSODIUM PARENT_SCOPE)
endfunction()

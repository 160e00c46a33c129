# libedit for a cross build, linked statically from the target's Debian packages, so the
# board needs no libedit2 (and the static armv6/mipsel binaries can have it at all).
# toolchains/sysroot.sh unpacks the packages into P2P_LIBEDIT_SYSROOT; nothing is installed
# on the build host. The toolchain file sets P2P_CROSS_DEBIAN_ARCH and P2P_CROSS_TRIPLE.
#
# p2p_cross_libedit(<var>) sets <var> to an imported target to link, or to "" when the
# sysroot cannot be had (no network, not a Debian host): the shell then reads plain lines.

set(P2P_LIBEDIT_SYSROOT "${PROJECT_SOURCE_DIR}/build/sysroot/${P2P_CROSS_DEBIAN_ARCH}"
    CACHE PATH "Target sysroot holding libedit.a and what it needs (made by toolchains/sysroot.sh)")

function(p2p_cross_libedit result)
  set(${result} "" PARENT_SCOPE)
  if(NOT P2P_CROSS_DEBIAN_ARCH OR NOT P2P_CROSS_TRIPLE)
    message(STATUS "p2pchat: toolchain names no Debian architecture; no target libedit")
    return()
  endif()
  set(root "${P2P_LIBEDIT_SYSROOT}")
  set(libdir "${root}/usr/lib/${P2P_CROSS_TRIPLE}")
  # The script returns at once when the sysroot is there; it is shared by every build
  # directory (and made ahead by `.ci/setup test`). A sysroot given by hand is used as is.
  if(NOT EXISTS "${libdir}/libedit.a")
    execute_process(
      COMMAND bash "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/sysroot.sh" ${P2P_CROSS_DEBIAN_ARCH}
              "${root}"
      RESULT_VARIABLE rc ERROR_VARIABLE why OUTPUT_QUIET TIMEOUT 600)
    if(NOT rc EQUAL 0)
      string(STRIP "${why}" why)
      message(STATUS "p2pchat: no ${P2P_CROSS_DEBIAN_ARCH} libedit sysroot at ${root} "
                     "(toolchains/sysroot.sh: ${why})")
      return()
    endif()
  endif()
  # Static link order: each archive before the ones it calls into.
  set(archives "")
  foreach(lib edit tinfo bsd md)
    if(NOT EXISTS "${libdir}/lib${lib}.a")
      message(STATUS "p2pchat: ${libdir}/lib${lib}.a missing; no target libedit")
      return()
    endif()
    list(APPEND archives "${libdir}/lib${lib}.a")
  endforeach()
  # Only libedit's own headers: the sysroot's include dir also holds ncurses' and
  # libmd's (md5.h, term.h ...), which must not shadow anything for our code.
  set(inc "${CMAKE_BINARY_DIR}/libedit-include")
  file(MAKE_DIRECTORY "${inc}")
  file(COPY "${root}/usr/include/editline" "${root}/usr/include/histedit.h"
       DESTINATION "${inc}")
  add_library(p2p_libedit_static INTERFACE IMPORTED GLOBAL)
  set_target_properties(p2p_libedit_static PROPERTIES
                        INTERFACE_INCLUDE_DIRECTORIES "${inc}"
                        INTERFACE_LINK_LIBRARIES "${archives}")
  set(${result} p2p_libedit_static PARENT_SCOPE)
endfunction()

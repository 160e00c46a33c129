# CPack project config (runs at package time): the Depends line of the .deb from the
# binary's own dynamic section, so it is right whether a build links libedit, libstdc++
# or nothing at all (the static armv6 and mipsel binaries depend on no package).
# readelf reads every architecture's ELF, so cross builds need no target dpkg database.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
find_program(_p2p_readelf NAMES readelf REQUIRED)
execute_process(COMMAND ${_p2p_readelf} --wide --dynamic --version-info ${CPACK_P2P_BINARY}
                OUTPUT_VARIABLE _p2p_elf RESULT_VARIABLE _p2p_rc)
if(NOT _p2p_rc EQUAL 0)
  message(FATAL_ERROR "readelf ${CPACK_P2P_BINARY} failed; build the p2pchat target first")
endif()

# The newest GLIBC_x.y symbol version the binary asks for is the libc6 it needs.
set(_p2p_glibc 2.17)
string(REGEX MATCHALL "GLIBC_[0-9]+\\.[0-9]+(\\.[0-9]+)?" _p2p_versions "${_p2p_elf}")
foreach(v ${_p2p_versions})
  string(REPLACE "GLIBC_" "" v ${v})
  if(v VERSION_GREATER _p2p_glibc)
    set(_p2p_glibc ${v})
  endif()
endforeach()

set(_p2p_depends "")
string(REGEX MATCHALL "\\(NEEDED\\)[^[]*\\[[^]]+\\]" _p2p_needed "${_p2p_elf}")
foreach(entry ${_p2p_needed})
  string(REGEX REPLACE ".*\\[(.+)\\]" "\\1" lib "${entry}")
  if(lib MATCHES "^(libc|libm|libpthread|libdl|librt)\\.so|^ld-linux")
    set(dep "libc6 (>= ${_p2p_glibc})")
  elseif(lib STREQUAL "libstdc++.so.6")
    set(dep "libstdc++6 (>= ${CPACK_P2P_CXX_MAJOR})")
  elseif(lib STREQUAL "libgcc_s.so.1")
    set(dep "libgcc-s1")
  elseif(lib STREQUAL "libedit.so.2")
    set(dep "libedit2")
  elseif(lib MATCHES "^libhiredis\\.so\\.([0-9.]+)$")
    # The rendezvous Redis registry (host builds): libhiredis0.14, libhiredis1.1.0...
    set(dep "libhiredis${CMAKE_MATCH_1}")
  elseif(lib STREQUAL "libatomic.so.1")
    set(dep "libatomic1")
  elseif(lib MATCHES "^lib(tinfo|ncursesw|bsd|md|sodium)\\.so\\.([0-9]+)$")
    # Debian names these packages libNAME<soname version>: libedit's own dependencies,
    # should a build link them dynamically, and libsodium (the node key and secured
    # links) in a host build (cross builds link it statically).
    set(dep "lib${CMAKE_MATCH_1}${CMAKE_MATCH_2}")
  else()
    message(FATAL_ERROR "p2pchat needs ${lib}: add its Debian package to platform/service/cmake/deb_depends.cmake")
  endif()
  list(APPEND _p2p_depends "${dep}")
endforeach()
list(REMOVE_DUPLICATES _p2p_depends)
list(JOIN _p2p_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
message(STATUS "p2pchat ${CPACK_DEBIAN_PACKAGE_ARCHITECTURE}: Depends: ${CPACK_DEBIAN_PACKAGE_DEPENDS}")

# Debian packages of the p2pchat binary, its man pages, the systemd units and the default
# configs (docs/deployment.md). `cmake --workflow --preset deb-arm64` (deb-amd64,
# deb-armhf, deb-armel) builds one; the .deb lands in <build dir>/packages.
#
# Everything here is chosen at configure time from the compiler's target, so the same
# lines serve the host build and every cross preset; the Depends line is worked out at
# package time from the binary itself (platform/service/cmake/deb_depends.cmake).


# Debian's name for the target: dpkg --print-architecture would name the build host.
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -dumpmachine OUTPUT_VARIABLE _p2p_triple
                OUTPUT_STRIP_TRAILING_WHITESPACE)
set(_p2p_deb_arch "")
foreach(pair "^x86_64-=amd64" "^aarch64-=arm64" "^arm.*-gnueabihf$=armhf"
             "^arm.*-gnueabi$=armel" "^mipsel-=mipsel" "^i[3-6]86-=i386")
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 _re)
  list(GET pair 1 _arch)
  if(_p2p_triple MATCHES "${_re}" AND NOT _p2p_deb_arch)
    set(_p2p_deb_arch ${_arch})
  endif()
endforeach()
set(P2P_DEB_ARCHITECTURE "${_p2p_deb_arch}" CACHE STRING
    "Debian architecture of the package (from the compiler's target ${_p2p_triple})")
# The project has no mail domain: .invalid (RFC 2606) never resolves, so no one else's
# domain receives the mail, and the address says plainly that there is no mailbox. A
# distributor who publishes the packages sets their own.
set(P2P_PACKAGE_CONTACT "The p2pchat developers <maintainers@p2pchat.invalid>" CACHE STRING
    "Maintainer field of the packages")
# The Debian revision: the packaging's own version of one upstream version (X.Y.Z-N).
set(P2P_DEB_REVISION 1 CACHE STRING "Debian revision of the packages")

# The newest entry of the Debian changelog is the package's version: a version bump
# without its changelog entry (or the reverse) stops the configure, not a user's apt.
file(STRINGS ${PROJECT_SOURCE_DIR}/platform/service/debian/changelog _p2p_changelog_top
     LIMIT_COUNT 1)
set(_p2p_deb_version "${PROJECT_VERSION}-${P2P_DEB_REVISION}")
if(NOT _p2p_changelog_top MATCHES "^p2pchat \\(${_p2p_deb_version}\\) ")
  message(FATAL_ERROR "platform/service/debian/changelog starts with '${_p2p_changelog_top}'; "
                      "the package is ${_p2p_deb_version}: add its entry")
endif()

# Libraries linked into the binary statically: their copyright files travel with it
# (BSD and MIT licenses ask for the notice in binary copies). A cross build links libedit
# and what it needs from the target's Debian packages (toolchains/libedit-sysroot.cmake);
# a static binary also glibc and the C++ runtime, from the cross compiler's packages.
set(_p2p_static_copyrights "")
set(_p2p_static_libedit OFF)
if(TARGET p2p_libedit_static)
  set(_p2p_static_libedit ON)
  foreach(pkg libedit-dev libbsd-dev libmd-dev)
    list(APPEND _p2p_static_copyrights "${P2P_LIBEDIT_SYSROOT}/usr/share/doc/${pkg}/copyright")
  endforeach()
  # ncurses' -dev package keeps its copyright in libtinfo6's doc directory, which the
  # sysroot does not unpack; the text is the same on every architecture.
  list(APPEND _p2p_static_copyrights "/usr/share/doc/libtinfo6/copyright")
endif()
if(P2P_STATIC AND CMAKE_CROSSCOMPILING)
  foreach(pkg libc6 libstdc++6 libgcc-s1)
    list(APPEND _p2p_static_copyrights "/usr/share/doc/${pkg}-${P2P_DEB_ARCHITECTURE}-cross/copyright")
  endforeach()
endif()
# (A missing one fails the install, install_service_files.cmake, not the configure: a
# build that is never installed needs no license files.)

install(CODE "set(P2P_SERVICE_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(P2P_SERVICE_BINARY_DIR \"${PROJECT_BINARY_DIR}/service\")
set(P2P_STATIC_COPYRIGHTS \"${_p2p_static_copyrights}\")
set(P2P_STATIC_LIBEDIT ${_p2p_static_libedit})
set(P2P_STATIC_BINARY ${P2P_STATIC})
set(P2P_STRIP \"${CMAKE_STRIP}\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_service_files.cmake)

# The configs are conffiles: an upgrade never overwrites a file the admin edited.
set(_p2p_control ${PROJECT_BINARY_DIR}/service/control)
file(WRITE ${_p2p_control}/conffiles "/etc/p2pchat/relay.json\n/etc/p2pchat/rendezvous.json\n")
foreach(script postinst prerm postrm)
  file(COPY ${PROJECT_SOURCE_DIR}/platform/service/debian/${script} DESTINATION ${_p2p_control}
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                        WORLD_READ WORLD_EXECUTE)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME p2pchat)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${P2P_DEB_REVISION})
set(CPACK_PACKAGE_CONTACT "${P2P_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${P2P_DEB_ARCHITECTURE})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "peer-to-peer chat node, relay and rendezvous server")
# Lines under 80 columns: apt and dpkg show them as they are.
set(CPACK_PACKAGE_DESCRIPTION
    "p2pchat registers with a rendezvous server, discovers peers, keeps links
to them and relays messages for peers that cannot reach each other. The
package brings the p2pchat program (node and rendezvous server), systemd
units for a headless relay node and for the rendezvous server, and their
configs in /etc/p2pchat.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_p2p_control}/conffiles;${_p2p_control}/postinst;${_p2p_control}/prerm;${_p2p_control}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# dpkg-shlibdeps needs the target's libraries installed on the build host; readelf does not.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
# Passed to deb_depends.cmake (CPack copies only CPACK_* variables into its config).
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/deb_depends.cmake)
set(CPACK_P2P_BINARY ${PROJECT_BINARY_DIR}/p2pchat)
string(REGEX MATCH "^[0-9]+" CPACK_P2P_CXX_MAJOR "${CMAKE_CXX_COMPILER_VERSION}")
include(CPack)

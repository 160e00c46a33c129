# Debian packages of the p2pchat binary, its man pages, the systemd units and the default
# configs (docs/deployment.md). `cmake --workflow --preset deb-arm64` (deb-amd64,
# deb-armhf, deb-armel) builds one; the .deb lands in <build dir>/packages.
#
# Everything here is chosen at configure time from the compiler's target, so the same
# lines serve the host build and every cross preset; the Depends line is worked out at
# package time from the binary itself (platform/service/cmake/deb_depends.cmake).

install(CODE "set(P2P_SERVICE_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
set(P2P_SERVICE_BINARY_DIR \"${PROJECT_BINARY_DIR}/service\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_service_files.cmake)

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
set(P2P_PACKAGE_CONTACT "p2pchat maintainers <p2pchat@localhost>" CACHE STRING
    "Maintainer field of the packages")

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
set(CPACK_PACKAGE_CONTACT "${P2P_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${P2P_DEB_ARCHITECTURE})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "peer-to-peer chat node, relay and rendezvous server")
set(CPACK_PACKAGE_DESCRIPTION
    "p2pchat registers with a rendezvous server, discovers peers, keeps links to them and
relays messages for peers that cannot reach each other. The package brings the
p2pchat program (node and rendezvous server), systemd units for a headless relay
node and for the rendezvous server, and their configs in /etc/p2pchat.")
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

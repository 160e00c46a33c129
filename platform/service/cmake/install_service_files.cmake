# Installs what a package adds around the binary: gzipped man pages, the systemd units
# and the default configs. Run at install time (install(SCRIPT)) so /etc can follow the
# prefix the install actually uses: a package installs under /usr and its configs go to
# /etc; a trial `cmake --install --prefix ~/p2p` keeps everything under ~/p2p.
# file(INSTALL) adds $ENV{DESTDIR} itself. CPack installs with the prefix <staging>/usr.
# Set by the including install(CODE): P2P_SERVICE_SOURCE_DIR, P2P_SERVICE_BINARY_DIR.
set(_prefix "${CMAKE_INSTALL_PREFIX}")
if(_prefix MATCHES "^(.*)/usr/?$")
  set(_sysconf "${CMAKE_MATCH_1}/etc")
else()
  set(_sysconf "${_prefix}/etc")
endif()

set(_src "${P2P_SERVICE_SOURCE_DIR}")
set(_man_out "${P2P_SERVICE_BINARY_DIR}/man")
file(MAKE_DIRECTORY "${_man_out}")
# Debian compresses man pages; -n keeps the name and time out so packages are reproducible.
foreach(page p2pchat.1 p2pchat-rendezvous.1)
  execute_process(COMMAND gzip -9n -c "${_src}/docs/man/${page}" OUTPUT_FILE "${_man_out}/${page}.gz"
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "gzip ${page} failed: ${_rc}")
  endif()
  file(INSTALL "${_man_out}/${page}.gz" DESTINATION "${_prefix}/share/man/man1"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()

file(INSTALL "${_src}/platform/service/systemd/p2pchat-relay.service"
             "${_src}/platform/service/systemd/p2pchat-rendezvous.service"
     DESTINATION "${_prefix}/lib/systemd/system"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${_src}/platform/service/config/relay.json"
             "${_src}/platform/service/config/rendezvous.json"
     DESTINATION "${_sysconf}/p2pchat"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

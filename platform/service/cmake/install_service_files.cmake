# Installs what a package adds around the binary: gzipped man pages, the systemd units
# and the default configs. Run at install time (install(SCRIPT)) so /etc can follow the
# prefix the install actually uses: a package installs under /usr and its configs go to
# /etc; a trial `cmake --install --prefix ~/p2p` keeps everything under ~/p2p.
# file(INSTALL) adds $ENV{DESTDIR} itself. CPack installs with the prefix <staging>/usr.
# Set by the including install(CODE): P2P_SERVICE_SOURCE_DIR, P2P_SERVICE_BINARY_DIR,
# P2P_STATIC_COPYRIGHTS (copyright files of the libraries linked in statically),
# P2P_STATIC_LIBEDIT (libedit and its libraries are linked in statically),
# P2P_STATIC_BINARY (the binary is linked fully statically), P2P_STRIP (CMAKE_STRIP).
set(_prefix "${CMAKE_INSTALL_PREFIX}")
if(_prefix MATCHES "^(.*)/usr/?$")
  set(_sysconf "${CMAKE_MATCH_1}/etc")
else()
  set(_sysconf "${_prefix}/etc")
endif()

set(_src "${P2P_SERVICE_SOURCE_DIR}")
set(_man_out "${P2P_SERVICE_BINARY_DIR}/man")
file(MAKE_DIRECTORY "${_man_out}")
# A stripped install (CPack's CPACK_STRIP_FILES, `cmake --install --strip`) strips as
# Debian's dh_strip does: also the .comment and .note sections (the compiler's version
# strings), which a plain strip keeps. install(TARGETS) has run by now (this script is
# installed after the subdirectories).
if(CMAKE_INSTALL_DO_STRIP AND P2P_STRIP)
  execute_process(COMMAND "${P2P_STRIP}" --remove-section=.comment --remove-section=.note
                          "$ENV{DESTDIR}${_prefix}/bin/p2pchat" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${P2P_STRIP} --remove-section=.comment p2pchat failed: ${_rc}")
  endif()
endif()

set(_data_mode FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Debian compresses man pages and changelogs; -n keeps the name and time out so packages
# are reproducible.
function(install_gzipped source gz_name destination)
  execute_process(COMMAND gzip -9n -c "${source}" OUTPUT_FILE "${_man_out}/${gz_name}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${source} failed: ${rc}")
  endif()
  file(INSTALL "${_man_out}/${gz_name}" DESTINATION "${destination}" ${_data_mode})
endfunction()
foreach(page p2pchat.1 p2pchat-rendezvous.1)
  install_gzipped("${_src}/docs/man/${page}" ${page}.gz "${_prefix}/share/man/man1")
endforeach()

# Debian policy 12.5 and 12.7: the copyright file and the packaging's changelog.
set(_doc "${_prefix}/share/doc/p2pchat")
file(INSTALL "${_src}/platform/service/debian/copyright" DESTINATION "${_doc}" ${_data_mode})
install_gzipped("${_src}/platform/service/debian/changelog" changelog.Debian.gz "${_doc}")
# lintian's overrides: the tags that are wrong for us, each with its reason in the file.
set(_overrides "${P2P_SERVICE_BINARY_DIR}/lintian/p2pchat")
file(READ "${_src}/platform/service/debian/lintian-overrides" _text)
foreach(_kind static-libedit static)
  if((_kind STREQUAL "static-libedit" AND P2P_STATIC_LIBEDIT) OR
     (_kind STREQUAL "static" AND P2P_STATIC_BINARY))
    file(READ "${_src}/platform/service/debian/lintian-overrides.${_kind}" _more)
    string(APPEND _text "${_more}")
  endif()
endforeach()
file(WRITE "${_overrides}" "${_text}")
file(INSTALL "${_overrides}" DESTINATION "${_prefix}/share/lintian/overrides" ${_data_mode})

foreach(_copyright ${P2P_STATIC_COPYRIGHTS})
  if(NOT EXISTS "${_copyright}")
    message(FATAL_ERROR "${_copyright} is missing: the package must carry the license of "
                        "every library linked into p2pchat statically")
  endif()
  # /usr/share/doc/libedit-dev/copyright -> libedit-dev.copyright
  cmake_path(GET _copyright PARENT_PATH _lib)
  cmake_path(GET _lib FILENAME _lib)
  file(INSTALL "${_copyright}" DESTINATION "${_doc}/static-libraries" ${_data_mode}
       RENAME "${_lib}.copyright")
endforeach()

file(INSTALL "${_src}/platform/service/systemd/p2pchat-relay.service"
             "${_src}/platform/service/systemd/p2pchat-rendezvous.service"
     DESTINATION "${_prefix}/lib/systemd/system" ${_data_mode})
file(INSTALL "${_src}/platform/service/config/relay.json"
             "${_src}/platform/service/config/rendezvous.json"
     DESTINATION "${_sysconf}/p2pchat" ${_data_mode})

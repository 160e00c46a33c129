# Run by ctest (a TEST_INCLUDE_FILES entry per gtest program, see p2p_add_gtest) after
# the program's tests were discovered: gives the `long` label to those named in
# tests/long_tests.txt, so that CI runs them in one stage only (.ci/run). Per test and
# by name, so a test file needs no edit and a new test is listed in one place.
# In: P2P_DISCOVERED (the program's generated <target>[1]_tests.cmake), P2P_KIND_LABEL
# (the label its tests already have), P2P_LONG_TESTS_LIST (tests/long_tests.txt).
file(STRINGS "${P2P_LONG_TESTS_LIST}" _p2p_long REGEX "^[^#]")
list(TRANSFORM _p2p_long REPLACE "[ \t].*" "")  # the name; what follows says why
if(_p2p_long AND EXISTS "${P2P_DISCOVERED}")
  list(JOIN _p2p_long "|" _p2p_long_re)
  file(STRINGS "${P2P_DISCOVERED}" _p2p_adds REGEX "^add_test\\(")
  foreach(_p2p_add IN LISTS _p2p_adds)
    if(_p2p_add MATCHES "^add_test\\(\\[=\\[(.*)\\]=\\]" AND CMAKE_MATCH_1 MATCHES "^(${_p2p_long_re})$")
      # A high COST makes ctest start them first (a fresh clone has no timing history):
      # started last, the longest one alone would be the end of the run.
      set_tests_properties("${CMAKE_MATCH_1}" PROPERTIES LABELS "${P2P_KIND_LABEL};long"
                           COST 1000)
    endif()
  endforeach()
endif()

# One ctest test per test FILE of a Catch2 binary (issue 16): each test case used to be a ctest
# test of its own, and with LibTorch and Qt a process costs about a second to start, so 159 cases
# spent most of the suite's 217 s starting up. Now each file's cases run in one process
# (`BINARY "[#test_x]~[.]" -#`, Catch2's file-name tags), and `-d yes` prints every case with its
# duration, so the output still names each case (ctest -V, --output-on-failure,
# Testing/Temporary/LastTest.log).
#
# The files are found after each link by asking the binary for its file tags (as
# catch_discover_tests asks for its cases): a new test_*.cpp in a target's sources becomes a ctest
# test with no list to edit, and a file whose cases are all hidden (the screenshots) none.
#
# DIGITLAB_CTEST_PER_CASE=ON brings back one ctest test per case (catch_discover_tests): the
# sanitizer presets use it, so their lists of case names (scripts/sanitizers/) keep working and a
# sanitizer report names its case.
option(DIGITLAB_CTEST_PER_CASE "One ctest test per Catch2 test case instead of per test file (slower: a process each)" OFF)
set(_DIGITLAB_CATCH_FILES_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/catchfiletests-discover.cmake")

# Registers target's test files (or cases) as ctest tests named PREFIX + file name, run offscreen.
function(digitlab_add_catch_tests target prefix)
  if(DIGITLAB_CTEST_PER_CASE)
    catch_discover_tests(${target} PROPERTIES ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
    return()
  endif()
  set(tests_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_files.cmake")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_files_include.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    BYPRODUCTS "${tests_file}"
    COMMAND "${CMAKE_COMMAND}"
            -D "TEST_EXECUTABLE=$<TARGET_FILE:${target}>"
            -D "TEST_PREFIX=${prefix}"
            -D "TEST_WORKING_DIR=${CMAKE_CURRENT_BINARY_DIR}"
            -D "CTEST_FILE=${tests_file}"
            -P "${_DIGITLAB_CATCH_FILES_SCRIPT}"
    VERBATIM)
  file(WRITE "${include_file}"
    "if(EXISTS \"${tests_file}\")\n"
    "  include(\"${tests_file}\")\n"
    "else()\n"
    "  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()

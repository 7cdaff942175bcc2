# Run after each link of a Catch2 test binary (cmake/catchfiletests.cmake): writes CTEST_FILE with
# one add_test per source file that has visible test cases. In: TEST_EXECUTABLE, TEST_PREFIX,
# TEST_WORKING_DIR, CTEST_FILE.
execute_process(
  COMMAND "${TEST_EXECUTABLE}" "-#" --list-tags "~[.]"
  WORKING_DIRECTORY "${TEST_WORKING_DIR}"
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  RESULT_VARIABLE result)
# --list-tags exits with the number of tags it listed; anything else (a crash) is a failure.
if(NOT result MATCHES "^[0-9]+$")
  message(FATAL_ERROR "${TEST_EXECUTABLE} -# --list-tags failed (${result}):\n${output}\n${errors}")
endif()
string(REPLACE "\n" ";" lines "${output}")
set(script "")
set(count 0)
foreach(line IN LISTS lines)
  # "   17  [#test_mnistdownloader]": a file's tag and how many visible cases it has.
  if(line MATCHES "^ *[0-9]+  \\[#([A-Za-z0-9_.-]+)\\]$")
    set(file "${CMAKE_MATCH_1}")
    set(name "${TEST_PREFIX}${file}")
    # The file's visible cases; -w NoTests fails a filter that matches none; -d yes prints each
    # case and its duration.
    string(APPEND script
      "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] [==[[#${file}]~[.]]==] \"-#\" -w NoTests -d yes)\n"
      "set_tests_properties([==[${name}]==] PROPERTIES WORKING_DIRECTORY [==[${TEST_WORKING_DIR}]==]"
      " ENVIRONMENT QT_QPA_PLATFORM=offscreen)\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no test files (-# --list-tags):\n${output}")
endif()
file(WRITE "${CTEST_FILE}" "${script}")

# Runs one memsched command and checks its exit code, its stdout against a golden file (if
# given) and its stderr against a regular expression (if given).
# Variables: COMMAND (arguments joined by '@@'), EXPECT_EXIT, GOLDEN, STDERR_REGEX, STDIN_FILE.
string(REPLACE "@@" ";" COMMAND "${COMMAND}")
# No progress lines: a loaded machine must not change what stderr shows.
set(ENV{MEMSCHED_PROGRESS} 0)
if(STDIN_FILE)
  execute_process(COMMAND ${COMMAND} INPUT_FILE ${STDIN_FILE} RESULT_VARIABLE code
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
else()
  execute_process(COMMAND ${COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
endif()
if(NOT "${code}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_EXIT}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(GOLDEN)
  file(READ ${GOLDEN} expected)
  if(NOT out STREQUAL expected)
    message(FATAL_ERROR "stdout differs from ${GOLDEN}:\n${out}")
  endif()
endif()
if(STDERR_REGEX AND NOT err MATCHES "${STDERR_REGEX}")
  message(FATAL_ERROR "stderr does not match '${STDERR_REGEX}':\n${err}")
endif()
string(REGEX MATCHALL "\n" lines "${err}")
list(LENGTH lines count)
if(count GREATER 1)
  message(FATAL_ERROR "expected at most one line on stderr, got:\n${err}")
endif()

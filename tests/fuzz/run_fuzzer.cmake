# Run one libFuzzer binary briefly (ctest fuzz.<target>.run): copy the
# committed corpus SEED to WORK, fuzz WORK for at most 10 s / 200000 runs,
# crash inputs to ARTIFACTS. Fails when the fuzzer finds a crash or leak.
# TMPDIR points at WORK-tmp, removed afterwards: libFuzzer ends a timed run
# without atexit handlers, so the targets' temporary stores stay behind.
file(REMOVE_RECURSE ${WORK} ${WORK}-tmp)
file(MAKE_DIRECTORY ${WORK} ${WORK}-tmp ${ARTIFACTS})
file(GLOB seeds ${SEED}/*)
file(COPY ${seeds} DESTINATION ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} -E env TMPDIR=${WORK}-tmp
  ${FUZZER} -max_total_time=10 -runs=200000
  -max_len=65536 -artifact_prefix=${ARTIFACTS} ${WORK}
  RESULT_VARIABLE rc)
file(REMOVE_RECURSE ${WORK}-tmp)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzzer ${FUZZER} failed (${rc}); inputs in ${ARTIFACTS}")
endif()

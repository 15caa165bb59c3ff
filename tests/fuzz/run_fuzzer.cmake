# Run one libFuzzer binary briefly (ctest fuzz.<target>.run): copy the
# committed corpus SEED to WORK, fuzz WORK for at most 10 s / 200000 runs,
# crash inputs to ARTIFACTS. Fails when the fuzzer finds a crash or leak.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK} ${ARTIFACTS})
file(GLOB seeds ${SEED}/*)
file(COPY ${seeds} DESTINATION ${WORK})
execute_process(COMMAND ${FUZZER} -max_total_time=10 -runs=200000
  -max_len=65536 -artifact_prefix=${ARTIFACTS} ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fuzzer ${FUZZER} failed (${rc}); inputs in ${ARTIFACTS}")
endif()

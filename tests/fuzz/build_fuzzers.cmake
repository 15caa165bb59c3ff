# Configure and build the libFuzzer binaries TARGETS (comma separated) in a
# clang tree TREE from SOURCE (ctest fuzz.clang-build, GFI_FUZZ_SHORT=ON).
# Incremental: a second run rebuilds only what changed. RelWithDebInfo: the
# fuzzers run several times faster than at -O0 and still symbolise.
string(REPLACE "," ";" targets "${TARGETS}")
if(NOT EXISTS ${TREE}/CMakeCache.txt)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${TREE}
    -DCMAKE_C_COMPILER=${CLANG} -DGFI_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE ${TREE}/CMakeCache.txt)
    message(FATAL_ERROR "configuring the clang fuzz tree ${TREE} failed (${rc})")
  endif()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${TREE} -j2 --target ${targets}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building ${targets} in ${TREE} failed (${rc})")
endif()

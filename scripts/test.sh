#!/usr/bin/env bash
# Set everything up, build with ASan+UBSan and -Werror, run every test.
# Ends with CTest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The optimised build sees warnings (-Wformat-truncation and others) that
# the sanitizer build does not; -Werror makes them failures here too.
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
build=${GFI_TEST_BUILD:-build-test}
# GFI_FUZZ_SHORT: ctest also builds the libFuzzer targets with clang in
# $build/fuzz-clang (test fuzz.clang-build) and runs each one for 10 s
# (fuzz.<target>.run), so the summary below counts them (docs/fuzzing.md).
cmake -S . -B "$build" -DGFI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DGFI_FUZZ_SHORT=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"

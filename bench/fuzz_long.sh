#!/usr/bin/env bash
# A longer libFuzzer campaign over every fuzz target (issue 7; the test
# command runs each for 10 s only). Builds the clang tree with GFI_FUZZ=ON
# (RelWithDebInfo, ASan+UBSan+libFuzzer) unless it exists, then for each
# target of tests/fuzz/CMakeLists.txt's fuzz_targets, in turn:
#   copy the committed corpus to a work dir, fuzz it for SECONDS, then
#   merge (-merge=1) what was found into OUT/<target>/ (a minimal corpus:
#   the seeds plus every input that adds coverage), and print one line:
#   target, execs/s, edges covered (cov), features (ft), corpus before and
#   after merge, crashes.
# The committed corpus is never written; to keep new seeds, review
# OUT/<target>/ and copy chosen files into tests/fuzz/corpus/<target>/.
# Exit status 1 when any target crashed (inputs in OUT/artifacts-<target>/).
#
# usage: bench/fuzz_long.sh [SECONDS_PER_TARGET (600)] [TARGET...]
#   env: GFI_FUZZ_TREE (build-fuzz), GFI_FUZZ_OUT (a new /tmp dir),
#        GFI_FUZZ_JOBS (1: one process per target; more use -fork=N)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
tree=${GFI_FUZZ_TREE:-build-fuzz}
case $tree in /*) ;; *) tree=$PWD/$tree ;; esac
out=${GFI_FUZZ_OUT:-$(mktemp -d /tmp/gfi-fuzz-long-XXXXXX)}
jobs=${GFI_FUZZ_JOBS:-1}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  # shellcheck disable=SC2207
  targets=($(sed -n 's/^set(fuzz_targets \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt))
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz_long: no targets found" >&2; exit 2; }

if [ ! -f "$tree/CMakeCache.txt" ]; then
  cmake -S . -B "$tree" -DCMAKE_C_COMPILER=clang -DGFI_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$tree" -j2 --target "${targets[@]/%/-fuzzer}" >/dev/null

printf '%-14s %10s %7s %7s %7s %7s %7s\n' target execs/s cov ft seeds merged crashes
status=0
for t in "${targets[@]}"; do
  fuzzer=$tree/tests/fuzz/$t-fuzzer
  work=$out/work-$t
  art=$out/artifacts-$t/
  mkdir -p "$work" "$art" "$out/$t"
  cp tests/fuzz/corpus/"$t"/* "$work"/
  seeds=$(ls "$work" | wc -l)
  log=$out/$t.log
  extra=()
  [ "$jobs" -gt 1 ] && extra=(-fork="$jobs")
  rc=0
  mkdir -p "$out/tmp"
  TMPDIR=$out/tmp "$fuzzer" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$art" "${extra[@]}" "$work" >"$log" 2>&1 || rc=$?
  TMPDIR=$out/tmp "$fuzzer" -merge=1 "$out/$t" "$work" >"$out/$t.merge.log" 2>&1 || true
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  merged=$(ls "$out/$t" | wc -l)
  crashes=$(ls "$art" | wc -l)
  printf '%-14s %10s %7s %7s %7s %7s %7s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "$seeds" "$merged" "$crashes"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    echo "fuzz_long: $t failed (rc=$rc); see $log and $art" >&2
    status=1
  fi
done
# libFuzzer's time limit ends a run without atexit handlers: the targets'
# temporary stores stay behind in TMPDIR, which is ours.
rm -rf "$out/tmp"
echo "fuzz_long: logs and merged corpora in $out"
exit $status

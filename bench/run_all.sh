#!/bin/sh
# run_all.sh — every ratio benchmark at full size, Release build, one after
# the other, into one file: for BENCHMARKS.md, run twice on a quiet machine
# (the acceptance: two runs agree within their printed spread).
#
# Each benchmark alternates baseline and subject in GFI_BENCH_PAIRS rounds
# (default 5, bench/abab.py) and prints its ratios as median with spread and
# the 1-minute load average at its start and end; this script adds a header
# per benchmark (command, commit, time, /proc/loadavg before and after) and
# the exit status. Takes about 45 minutes on 2 cores (scaling's 100x sizes
# are half of it).
#
#   bench/run_all.sh [OUT]            (from the repository's top directory)
#   GFI_BENCH_ONLY="poll_rate ingest" bench/run_all.sh    a subset
#
# OUT defaults to bench-results-<UTC time>.txt in the current directory.
# The Release build is configured and the benchmarks' targets are built in
# build-release (GFI_BUILD_DIR to use another).
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${GFI_BUILD_DIR:-$SRC/build-release}
OUT=${1:-bench-results-$(date -u +%Y%m%dT%H%M%SZ).txt}
ALL="poll_rate rtu_rate ingest drain footprint city_year scaling"
ONLY=${GFI_BENCH_ONLY:-$ALL}
PY=/usr/bin/python3     # Debian's, for paho (as the test command runs them)

cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
cmake --build "$BUILD" -j2 --target gfi-agent gfi-aggregator gfi-meter-sim \
	bench-poll-rate bench-ingest-rate bench-city-year bench-fill-queue \
	bench-mqtt-raw bench-sign-time >/dev/null || exit 1

export GFI_SOURCE_DIR="$SRC" GFI_PROFILES="$SRC/firmware-config/profiles" \
	PYTHONPATH="$SRC/tests" \
	GFI_SIM="$BUILD/sim/gfi-meter-sim" GFI_AGENT="$BUILD/agent/gfi-agent" \
	GFI_AGGREGATOR="$BUILD/aggregator/gfi-aggregator" \
	GFI_BENCH_POLL="$BUILD/bench/bench-poll-rate" \
	GFI_BENCH_INGEST="$BUILD/bench/bench-ingest-rate" \
	GFI_BENCH_CITY="$BUILD/bench/bench-city-year" \
	GFI_BENCH_FILL="$BUILD/bench/bench-fill-queue" \
	GFI_BENCH_RAW="$BUILD/bench/bench-mqtt-raw" \
	GFI_BENCH_SIGN="$BUILD/bench/bench-sign-time"

# run NAME [VAR=VALUE...]: bench/NAME.py with the figures of BENCHMARKS.md's
# command for it, its output and load averages appended to OUT.
run() {
	name=$1
	shift
	case " $ONLY " in *" $name "*) ;; *) return 0 ;; esac
	{
		echo "=== $name: $* $PY bench/$name.py"
		echo "commit $(git -C "$SRC" rev-parse --short HEAD), $(date -u +%FT%TZ)," \
			"pairs ${GFI_BENCH_PAIRS:-5}"
		echo "loadavg before: $(cat /proc/loadavg)"
	} >>"$OUT"
	env "$@" "$PY" "$SRC/bench/$name.py" >>"$OUT" 2>&1
	rc=$?
	{
		echo "loadavg after: $(cat /proc/loadavg)"
		echo "exit $rc"
		echo
	} >>"$OUT"
	echo "$name: exit $rc" >&2
}

echo "gfi ratio benchmarks, $(uname -srm), $(nproc) cores, started $(date -u +%FT%TZ)" >>"$OUT"
run poll_rate GFI_BENCH_SECONDS=10
run rtu_rate GFI_BENCH_SECONDS=10
run ingest GFI_BENCH_BATCHES=100
run drain GFI_BENCH_SETTINGS=500x8,500x16,2000x16,500x8r
run footprint GFI_BENCH_SECONDS=60
run city_year
run scaling
echo "finished $(date -u +%FT%TZ)" >>"$OUT"
echo "results in $OUT" >&2

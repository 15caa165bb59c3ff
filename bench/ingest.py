"""Sustained ingest rate of the aggregator (readings/s, signature checks and
commits included) against a plain SQLite insert of the same rows, and the
store's bytes per reading. Runs bench-ingest-rate (bench/ingest_rate.c)
GFI_BENCH_RUNS times (default 3) with GFI_BENCH_BATCHES batches (default 40)
of GFI_BENCH_READINGS readings (default 500) and prints each run and the
median; the lead copies the figures into BENCHMARKS.md."""
import json
import os
import statistics
import subprocess
import sys

BIN = os.environ.get("GFI_BENCH_INGEST", "bench-ingest-rate")


def main():
    batches = os.environ.get("GFI_BENCH_BATCHES", "40")
    readings = os.environ.get("GFI_BENCH_READINGS", "500")
    runs = int(os.environ.get("GFI_BENCH_RUNS", "3"))
    results = []
    for i in range(runs):
        r = subprocess.run([BIN, batches, readings], capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            print("bench-ingest-rate failed: " + r.stderr)
            sys.exit(1)
        o = json.loads(r.stdout)
        results.append(o)
        print("run %d: %s" % (i + 1, r.stdout.strip()))
    med = {k: statistics.median(o[k] for o in results)
           for k in results[0] if isinstance(results[0][k], (int, float))}
    print("median of %d runs (%s batches x %s readings):" % (runs, batches, readings))
    print("  verify+commit        %10.0f readings/s (%.1f batches/s)"
          % (med["verify_commit_readings_per_s"], med["verify_commit_batches_per_s"]))
    print("  parse+signature only %10.0f readings/s"
          % med["parse_sig_only_readings_per_s"])
    print("  plain SQLite insert  %10.0f readings/s"
          % med["plain_sqlite_readings_per_s"])
    print("  CPU per reading      %10.2f us verify+commit, %.2f us plain"
          % (med["verify_commit_cpu_us_per_reading"], med["plain_cpu_us_per_reading"]))
    print("  store bytes/reading  %10.1f (plain table %.1f, signed payload %.1f)"
          % (med["store_bytes_per_reading"], med["plain_bytes_per_reading"],
             med["payload_bytes_per_reading"]))


if __name__ == "__main__":
    main()

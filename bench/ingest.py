"""Sustained ingest rate of the aggregator (readings/s, signature checks and
commits included) against a plain SQLite insert of the same rows, and the
store's bytes per reading. Runs bench-ingest-rate (bench/ingest_rate.c) with
GFI_BENCH_BATCHES batches (default 40) of GFI_BENCH_READINGS readings
(default 500), one side per invocation: plain insert (baseline), verify +
commit, parse + signature only, alternated in GFI_BENCH_PAIRS rounds
(default 5, the order reversed every other round; bench/abab.py). Prints
each round, the medians and each ratio as the median of the rounds' ratios
with its spread; the lead copies the figures into BENCHMARKS.md."""
import abab
import json
import os
import subprocess
import sys

BIN = os.environ.get("GFI_BENCH_INGEST", "bench-ingest-rate")
SIDES = (("plain", "plain_sqlite_readings_per_s"),
         ("verify", "verify_commit_readings_per_s"),
         ("sigonly", "parse_sig_only_readings_per_s"))


def side(batches, readings, name):
    """A callable running one side once; returns its JSON object."""
    def run():
        r = subprocess.run([BIN, batches, readings, name], capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            print("bench-ingest-rate %s failed: %s" % (name, r.stderr))
            sys.exit(1)
        print("%-7s %s" % (name, r.stdout.strip()), flush=True)
        return json.loads(r.stdout)
    return run


def main():
    batches = os.environ.get("GFI_BENCH_BATCHES", "40")
    readings = os.environ.get("GFI_BENCH_READINGS", "500")
    n = abab.pairs()
    load = abab.Load()
    plain, verify, sigonly = abab.rounds([side(batches, readings, s) for s, _ in SIDES], n)
    load.end()
    rate = {s: [o[k] for o in runs]
            for (s, k), runs in zip(SIDES, (plain, verify, sigonly))}
    rv = abab.ratios(rate["verify"], rate["plain"])
    rs = abab.ratios(rate["sigonly"], rate["plain"])
    print("medians of %d rounds (%s batches x %s readings):" % (n, batches, readings))
    print("  verify+commit        %10.0f readings/s (%.1f batches/s)"
          % (abab.median(rate["verify"]),
             abab.median([o["verify_commit_batches_per_s"] for o in verify])))
    print("  parse+signature only %10.0f readings/s" % abab.median(rate["sigonly"]))
    print("  plain SQLite insert  %10.0f readings/s" % abab.median(rate["plain"]))
    print("  ratio verify+commit / plain:   " + abab.ratio_line(rv))
    print("  ratio parse+signature / plain: " + abab.ratio_line(rs))
    print("  CPU per reading      %10.2f us verify+commit, %.2f us plain"
          % (abab.median([o["verify_commit_cpu_us_per_reading"] for o in verify]),
             abab.median([o["plain_cpu_us_per_reading"] for o in plain])))
    print("  store bytes/reading  %10.1f (plain table %.1f, signed payload %.1f)"
          % (abab.median([o["store_bytes_per_reading"] for o in verify]),
             abab.median([o["plain_bytes_per_reading"] for o in plain]),
             verify[0]["payload_bytes_per_reading"]))
    print("  " + load.line())
    if not (abab.check(rv, n) and abab.check(rs, n)):
        print("not %d finite positive ratios: %s %s" % (n, rv, rs))
        sys.exit(1)


if __name__ == "__main__":
    main()

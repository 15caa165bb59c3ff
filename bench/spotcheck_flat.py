"""The cost of a spot check does not grow with the history (issue 16): a
display spot check judged on a store of a day's one-minute batches
(GFI_BENCH_SPOT_DAY, default 1440) against one of a year's
(GFI_BENCH_SPOT_YEAR, default 525600), GFI_BENCH_SPOT_CHECKS checks
(default 50) per side and round, at instants spread over each history,
every one expected consistent. Both stores are built first by
`bench-spotcheck build` (bench/spotcheck_cost.c: real signed batches through
verify_message, so the chain checkpoints are ingest's); then
`bench-spotcheck judge` alternates on them in GFI_BENCH_PAIRS rounds (ABAB,
bench/abab.py). Prints each round, the median milliseconds per check of each
side and the ratio year/day as the median of the rounds' ratios with its
spread: flat is a ratio near 1."""
import json
import os
import subprocess
import sys
import tempfile

import abab

BIN = os.environ.get("GFI_BENCH_SPOT", "bench-spotcheck")


def spot(*args):
    r = subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=7200)
    if r.returncode != 0:
        print("bench-spotcheck %s failed: %s" % (args[0], r.stderr.strip()))
        sys.exit(1)
    return json.loads(r.stdout)


def side(name, store, checks):
    def run():
        d = spot("judge", store, checks)
        print("%-4s %s" % (name, json.dumps(d)), flush=True)
        return d
    return run


def main():
    day = int(os.environ.get("GFI_BENCH_SPOT_DAY", "1440"))
    year = int(os.environ.get("GFI_BENCH_SPOT_YEAR", "525600"))
    checks = int(os.environ.get("GFI_BENCH_SPOT_CHECKS", "50"))
    n = abab.pairs()
    with tempfile.TemporaryDirectory(prefix="gfi-bench-spot-") as tmp:
        key = os.path.join(tmp, "gw.key")
        stores = {}
        for name, minutes in (("day", day), ("year", year)):
            stores[name] = os.path.join(tmp, name + ".db")
            print("built %s: %s" % (name, json.dumps(spot("build", stores[name], minutes,
                                                          key))), flush=True)
        load = abab.Load()
        d, y = abab.rounds([side("day", stores["day"], checks),
                            side("year", stores["year"], checks)], n)
        load.end()
    r = abab.ratios([o["median_ms"] for o in y], [o["median_ms"] for o in d])
    print("medians of %d rounds (%d checks each):" % (n, checks))
    print("  day  (%7d batches) %8.3f ms per spot check, max %.3f"
          % (day, abab.median([o["median_ms"] for o in d]), max(o["max_ms"] for o in d)))
    print("  year (%7d batches) %8.3f ms per spot check, max %.3f"
          % (year, abab.median([o["median_ms"] for o in y]), max(o["max_ms"] for o in y)))
    print("  ratio year/day: " + abab.ratio_line(r))
    print("  " + load.line())
    if not abab.check(r, n):
        print("not %d finite positive ratios: %s" % (n, r))
        sys.exit(1)


if __name__ == "__main__":
    main()

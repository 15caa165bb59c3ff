"""Alternation and statistics for the ratio benchmarks (ABAB...).

A ratio measured once, baseline first and subject second, moves with
whatever else the machine does during either half: on a shared machine the
same benchmark gave 1.38 and 2.65. Here every ratio comes from rounds in
which the baseline and the subject(s) run next to each other, the order
reversed on every other round (A B, B A, A B, ...) so that a drift of the
machine's speed during a run loads both sides alike. Each round gives one
ratio; the benchmark prints their median and spread (min-max, and the
interquartile range), and the 1-minute load average before and after.

Invariants: rounds(sides, n) calls every side exactly n times and returns n
results per side, in round order; a ratio line always says how many pairs
it came from. GFI_BENCH_PAIRS sets n (default 5 for a full run; the test
command's tiny runs ask for 1, see pairs()).

For a C benchmark whose set-up is costly (bench-city-year builds a store)
the program alternates in-process with first_is_baseline()'s order and
prints the per-round times; ratio_line() and friends do the rest here.
"""
import math
import os
import statistics

DEFAULT_PAIRS = 5


def pairs(default=DEFAULT_PAIRS):
    """Number of rounds: GFI_BENCH_PAIRS if set (a positive integer),
    else default."""
    v = os.environ.get("GFI_BENCH_PAIRS", "")
    if not v:
        return default
    n = int(v)
    if n < 1:
        raise ValueError("GFI_BENCH_PAIRS: %s is not a positive integer" % v)
    return n


def loadavg():
    """The 1-minute load average from /proc/loadavg (NaN where missing)."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def first_is_baseline(i):
    """Round i (from 0) runs the baseline first when even, last when odd."""
    return i % 2 == 0


def rounds(sides, n):
    """Run n rounds of the callables in sides (sides[0] the baseline), in
    order on even rounds and reversed on odd ones. Returns one list per
    side of its n results, in round order."""
    out = [[] for _ in sides]
    for i in range(n):
        order = range(len(sides)) if first_is_baseline(i) else reversed(range(len(sides)))
        for k in order:
            out[k].append(sides[k]())
    return out


def ratios(subject, baseline):
    """Per-round ratios subject[i] / baseline[i] (NaN where a baseline is
    0, so that check() fails rather than a division raising)."""
    return [s / b if b else float("nan") for s, b in zip(subject, baseline)]


def quartiles(xs):
    """(q1, median, q3) of xs, q1 = q3 = median for fewer than 2 values."""
    xs = sorted(xs)
    med = statistics.median(xs)
    if len(xs) < 2:
        return med, med, med
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], med, q[2]


def ratio_line(rs, fmt="%.3f"):
    """"ratio median X (spread a–b, n pairs), IQR q1–q3" for the per-round
    ratios rs, each figure printed with fmt."""
    q1, med, q3 = quartiles(rs)
    return ("ratio median %s (spread %s–%s, %d pair%s), IQR %s–%s"
            % (fmt % med, fmt % min(rs), fmt % max(rs), len(rs),
               "" if len(rs) == 1 else "s", fmt % q1, fmt % q3))


def median(xs):
    """Median of a side's per-round figures (what the tables quote)."""
    return statistics.median(xs)


def check(rs, n):
    """True when there are n ratios, each finite and positive: what the
    tiny runs of the test command assert."""
    return len(rs) == n and all(math.isfinite(r) and r > 0 for r in rs)


class Load:
    """The 1-minute load average at the start (on creation) and at the end
    (end()); line() says both, for the run's notes."""

    def __init__(self):
        self.start = loadavg()
        self.stop = None

    def end(self):
        self.stop = loadavg()
        return self

    def line(self):
        stop = self.stop if self.stop is not None else loadavg()
        return "load average (1 min): %.2f at start, %.2f at end" % (self.start, stop)

"""Poll rate over Modbus TCP for one slave: gfi's poller (read, decode, judge,
commit to the durable queue) against a plain libmodbus loop over the same
blocks, and against mbpoll (Debian's Modbus CLI) reading the same blocks,
same simulator, same run. Prints requests/s, registers/s (medians) and the
ratios. GFI_BENCH_SECONDS sets the time per side (default 10).

The sides run in GFI_BENCH_PAIRS rounds (default 5; bench/abab.py): plain
loop, gfi poller, gfi poller + durable commit, mbpoll loop, mbpoll -1, the
order reversed every other round; each ratio is the median of the rounds'
ratios, printed with its spread and the load average.

mbpoll polls one block per process. Its fastest continuous mode is its own
loop at the smallest poll interval it accepts (-l 10, ms: it sleeps that long
after every request); one process per block runs concurrently, so mbpoll
gets the sum of three loops. Also measured: one `mbpoll -1` invocation per
request (process start, connect, one read), the blocks in turn.

  python3 bench/poll_rate.py      (after building; see BENCHMARKS.md)
"""
import abab
import json
import os
import re
import shutil
import signal
import subprocess
import time

import gfitest as g

BENCH = os.environ.get("GFI_BENCH_POLL", "build/bench/bench-poll-rate")
SECONDS = float(os.environ.get("GFI_BENCH_SECONDS", "10"))
MBPOLL = os.environ.get("GFI_MBPOLL", "mbpoll")
MBPOLL_MIN_INTERVAL_MS = 10   # mbpoll rejects -l below 10
# gfi function code -> mbpoll -t data type
MBPOLL_TYPE = {1: "0", 2: "1", 3: "4", 4: "3"}


def mbpoll_args(port, slave, b):
    return [MBPOLL, "-m", "tcp", "-p", str(port), "-a", str(slave),
            "-t", MBPOLL_TYPE[b["function"]], "-0", "-r", str(b["start"]),
            "-c", str(b["count"]), "-o", "1"]


def mbpoll_reads(text, b):
    """Successful reads in mbpoll's output: each prints the block's first
    reference as "[start]:"; a failed read prints an error line instead."""
    return len(re.findall(r"^\[%d\]:" % b["start"], text, re.M))


def mbpoll_loop(P, port, slave, blocks, seconds, tag):
    """One mbpoll loop per block, concurrently, at the minimum interval;
    stopped with SIGINT (its Ctrl-C handler) after seconds. Returns
    (requests, registers, elapsed); tag names this run's logs."""
    procs = []
    for i, b in enumerate(blocks):
        procs.append(P.start(mbpoll_args(port, slave, b) +
                             ["-l", str(MBPOLL_MIN_INTERVAL_MS), "127.0.0.1"],
                             "mbpoll-%s-%d.log" % (tag, i), clean_exit=False))
    t0 = time.monotonic()
    time.sleep(seconds)
    for p in procs:
        P.stop(p, signal.SIGINT)
    elapsed = time.monotonic() - t0
    reqs = regs = 0
    for i, b in enumerate(blocks):
        n = mbpoll_reads(P.log("mbpoll-%s-%d.log" % (tag, i)), b)
        reqs += n
        regs += n * b["count"]
    return reqs, regs, elapsed


def mbpoll_once(port, slave, blocks, seconds):
    """`mbpoll -1` per request, the blocks in turn, for seconds."""
    reqs = regs = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        for b in blocks:
            out = subprocess.run(mbpoll_args(port, slave, b) + ["-1", "127.0.0.1"],
                                 capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and mbpoll_reads(out.stdout, b) == 1:
                reqs += 1
                regs += b["count"]
    return reqs, regs, time.monotonic() - t0


def bench_side(P, cfg, side, qdir, seconds=SECONDS):
    """One run of bench-poll-rate for side; (result, blocks) or None."""
    os.makedirs(qdir, exist_ok=True)
    out = subprocess.run([BENCH, cfg, "E01", str(seconds), qdir, side],
                         capture_output=True, text=True, timeout=SECONDS * 4 + 60)
    g.ok(out.returncode == 0, "bench-poll-rate %s ran: %s" % (side, out.stderr[-300:]))
    if out.returncode != 0:
        return None
    first, second = out.stdout.strip().split("\n")[:2]
    shutil.rmtree(qdir, ignore_errors=True)   # a queued side's round: tens of MB
    return json.loads(first), json.loads(second)


def sides(P, cfg, port, blocks):
    """The five sides of a round, each returning its requests/s (and
    bench-poll-rate's full result in res)."""
    res = {"baseline": [], "gfi": [], "queued": []}
    count = [0]

    def poll(side):
        def run():
            count[0] += 1
            r = bench_side(P, cfg, side, P.path("q%d" % count[0]))
            res[side].append(r[0] if r else None)
            return r[0]["requests_s"] if r else float("nan")
        return run

    def loop():
        count[0] += 1
        lreq, lreg, lt = mbpoll_loop(P, port, 1, blocks, SECONDS, str(count[0]))
        return lreq / lt, lreg / lt

    def once():
        oreq, oreg, ot = mbpoll_once(port, 1, blocks, min(SECONDS, 5))
        return oreq / ot, oreg / ot
    return [poll("baseline"), poll("gfi"), poll("queued"), loop, once], res


def report(res, loops, onces, n):
    """Medians per side and the ratio lines; asserts each ratio is sane."""
    med = {k: {f: abab.median([r[f] for r in v]) for f in v[0]} for k, v in res.items()}
    b, q = med["baseline"], med["queued"]
    print("plain libmodbus loop: %.0f requests/s, %.0f registers/s (medians)"
          % (b["requests_s"], b["registers_s"]))
    print("gfi poller:           %.0f requests/s, %.0f registers/s, %.0f polls/s"
          % (med["gfi"]["requests_s"], med["gfi"]["registers_s"], med["gfi"]["polls_s"]))
    req = {k: [r["requests_s"] for r in v] for k, v in res.items()}
    rg = abab.ratios(req["gfi"], req["baseline"])
    print("ratio gfi/baseline (requests/s): " + abab.ratio_line(rg))
    print("gfi poller + durable commit of every poll: %.0f polls/s, %.0f readings/s"
          % (q["polls_s"], q["readings_s"]))
    rq = abab.ratios(req["queued"], req["baseline"])
    print("ratio durable/baseline (requests/s): " + abab.ratio_line(rq))
    print("mbpoll loop (-l %d ms, one process per block): %.0f requests/s,"
          " %.0f registers/s" % (MBPOLL_MIN_INTERVAL_MS, abab.median([x[0] for x in loops]),
                                 abab.median([x[1] for x in loops])))
    print("mbpoll -1 per request:  %.0f requests/s, %.0f registers/s"
          % (abab.median([x[0] for x in onces]), abab.median([x[1] for x in onces])))
    g.ok(all(x[0] > 0 for x in loops + onces), "mbpoll read the same blocks")
    best = [max(lp[0], on[0]) for lp, on in zip(loops, onces)]
    rm = abab.ratios(req["gfi"], best)
    print("ratio gfi/mbpoll (requests/s, mbpoll's faster mode): " + abab.ratio_line(rm, "%.1f"))
    for name, rs in (("gfi/baseline", rg), ("durable/baseline", rq), ("gfi/mbpoll", rm)):
        g.ok(abab.check(rs, n), "%s: %d finite positive ratios (%s)" % (name, n, rs))


def main():
    prof = os.environ.get("GFI_BENCH_PROFILE", "eastron-sdm630")
    n = abab.pairs()
    with g.Procs() as P:
        sim, listeners, _ = P.start_sim({
            "seed": 1, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0,
                     "meters": [{"id": "E01", "slave": 1, "profile": prof}]}]})
        cfg = P.write_json("agent.json", {
            "gateway_id": "gw-bench", "data_dir": P.path("data"),
            "profiles_dir": g.PROFILES,
            "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                       "port": listeners["t1"]}],
            "meters": [{"id": "E01", "line": "lan", "slave": 1, "profile": prof}]})
        probe = bench_side(P, cfg, "baseline", P.path("q0"), 0.2)
        if probe is not None:
            r, blocks = probe
            g.ok(len(blocks) == r["blocks"], "block list printed")
            print("profile %s: %d points in %d requests per poll" %
                  (prof, r["points"], r["blocks"]))
            print("blocks: " + ", ".join("fn %d @%d x%d" % (b["function"], b["start"],
                                                            b["count"]) for b in blocks))
            run, res = sides(P, cfg, listeners["t1"], blocks)
            load = abab.Load()
            _, _, _, loops, onces = abab.rounds(run, n)
            load.end()
            if all(x is not None for v in res.values() for x in v):
                report(res, loops, onces, n)
            print(load.line())
    g.finish("bench.poll_rate")


if __name__ == "__main__":
    main()

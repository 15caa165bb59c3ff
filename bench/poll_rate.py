"""Poll rate over Modbus TCP for one slave: gfi's poller (read, decode, judge,
commit to the durable queue) against a plain libmodbus loop over the same
blocks, and against mbpoll (Debian's Modbus CLI) reading the same blocks,
same simulator, same run. Prints requests/s, registers/s and the ratios.
GFI_BENCH_SECONDS sets the time per side (default 10).

mbpoll polls one block per process. Its fastest continuous mode is its own
loop at the smallest poll interval it accepts (-l 10, ms: it sleeps that long
after every request); one process per block runs concurrently, so mbpoll
gets the sum of three loops. Also measured: one `mbpoll -1` invocation per
request (process start, connect, one read), the blocks in turn.

  python3 bench/poll_rate.py      (after building; see BENCHMARKS.md)
"""
import json
import os
import re
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


def mbpoll_loop(P, port, slave, blocks, seconds):
    """One mbpoll loop per block, concurrently, at the minimum interval;
    stopped with SIGINT (its Ctrl-C handler) after seconds. Returns
    (requests, registers, elapsed)."""
    procs = []
    for i, b in enumerate(blocks):
        procs.append(P.start(mbpoll_args(port, slave, b) +
                             ["-l", str(MBPOLL_MIN_INTERVAL_MS), "127.0.0.1"],
                             "mbpoll-%d.log" % i, clean_exit=False))
    t0 = time.monotonic()
    time.sleep(seconds)
    for p in procs:
        P.stop(p, signal.SIGINT)
    elapsed = time.monotonic() - t0
    reqs = regs = 0
    for i, b in enumerate(blocks):
        n = mbpoll_reads(P.log("mbpoll-%d.log" % i), b)
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


def main():
    prof = os.environ.get("GFI_BENCH_PROFILE", "eastron-sdm630")
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
        out = subprocess.run([BENCH, cfg, "E01", str(SECONDS), P.tmp],
                             capture_output=True, text=True, timeout=SECONDS * 4 + 60)
        g.ok(out.returncode == 0, "bench-poll-rate ran: " + out.stderr[-300:])
        if out.returncode == 0:
            first, second = out.stdout.strip().split("\n")[:2]
            r = json.loads(first)
            blocks = json.loads(second)
            print("profile %s: %d points in %d requests per poll" %
                  (prof, r["points"], r["blocks"]))
            print("plain libmodbus loop: %.0f requests/s, %.0f registers/s" %
                  (r["baseline_req_s"], r["baseline_reg_s"]))
            print("gfi poller:           %.0f requests/s, %.0f registers/s, %.0f polls/s"
                  % (r["gfi_req_s"], r["gfi_reg_s"], r["gfi_polls_s"]))
            print("ratio gfi/baseline (requests/s): %.3f" % r["ratio"])
            print("gfi poller + durable commit of every poll: %.0f polls/s, %.0f readings/s"
                  % (r["queued_polls_s"], r["queued_readings_s"]))
            g.ok(r["baseline_req_s"] > 0 and r["gfi_req_s"] > 0, "both sides polled")
            g.ok(len(blocks) == r["blocks"], "block list printed")
            print("blocks: " + ", ".join("fn %d @%d x%d" % (b["function"], b["start"],
                                                            b["count"]) for b in blocks))
            lreq, lreg, lt = mbpoll_loop(P, listeners["t1"], 1, blocks, SECONDS)
            print("mbpoll loop (-l %d ms, %d processes, one per block): %.0f requests/s,"
                  " %.0f registers/s" % (MBPOLL_MIN_INTERVAL_MS, len(blocks),
                                         lreq / lt, lreg / lt))
            oreq, oreg, ot = mbpoll_once(listeners["t1"], 1, blocks, min(SECONDS, 5))
            print("mbpoll -1 per request:  %.0f requests/s, %.0f registers/s"
                  % (oreq / ot, oreg / ot))
            g.ok(lreq > 0 and oreq > 0, "mbpoll read the same blocks")
            best = max(lreq / lt, oreq / ot)
            if best > 0:
                print("ratio gfi/mbpoll (requests/s, mbpoll's faster mode): %.1f"
                      % (r["gfi_req_s"] / best))
    g.finish("bench.poll_rate")


if __name__ == "__main__":
    main()

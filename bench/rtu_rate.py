"""Modbus RTU poll rate over a pty pair, against the line's wire limit.

gfi's poller (bench-poll-rate: plain libmodbus loop over the planner's
blocks, then gfi's poller) reads an Eastron SDM630 from gfi-meter-sim over
RTU at each baud rate in GFI_BENCH_BAUDS (default 9600,115200), two ways:

  pty   a socat pty pair. A pty does not enforce the baud rate: bytes move as
        fast as the two processes can, so this is the CPU-bound figure,
        shown beside the wire limit, not against it.
  wire  a pty pair joined by a relay in this script that holds every chunk
        until its last character would have arrived on a half-duplex RS-485
        line at that baud rate (one line for both directions, 8N1 = 10 bits
        per character as both ends are configured), and keeps the line busy
        for 3.5 characters after it: a real slave knows a frame has ended
        only after that silence. Each write of libmodbus and of the
        simulator is one whole frame, so a chunk is a frame. What this
        measures is how close the poller's request/response cycle gets to
        the line; the relay (Python) adds its own wake-up latency.

The wire limit is computed from frame sizes: per request 8 bytes, per
response 5 + 2N bytes (N registers), plus 3.5 characters of silence after
each frame; at 10 bits per character (8N1, as configured here) and at 11
(8E1, the Modbus serial line default, shown for reference). The Modbus
serial line spec fixes the silence at 1.75 ms above 19,200 baud; that
figure is shown too. Slave turnaround is taken as zero, so the limit is an
upper bound. GFI_BENCH_SECONDS sets the time per side (default 10).

For each baud rate and way, plain loop and gfi poller alternate in
GFI_BENCH_PAIRS rounds (default 5, bench/abab.py), each run on a fresh pty
pair (or relay) and simulator; the rates are medians and each ratio is the
median of the rounds' ratios with its spread. The pty way runs PTY_ROUNDS
times as many rounds of half the time each: its rate depends on how the
scheduler places three processes (poller, socat, simulator) on the cores,
which shifts from one run to the next (plain libmodbus made 9,700 and 6,770
requests/s in two quiet runs), and five 10-second rounds sampled too few of
those placements for two runs to agree.

  python3 bench/rtu_rate.py      (after building; see BENCHMARKS.md)
"""
import abab
import json
import os
import subprocess

import gfitest as g
from gfitest.relay import WireRelay

BENCH = os.environ.get("GFI_BENCH_POLL", "build/bench/bench-poll-rate")
SECONDS = float(os.environ.get("GFI_BENCH_SECONDS", "10"))
BAUDS = [int(b) for b in os.environ.get("GFI_BENCH_BAUDS", "9600,115200").split(",")]
PROFILE = os.environ.get("GFI_BENCH_PROFILE", "eastron-sdm630")
PTY_ROUNDS = 3      # the pty way's rounds per pair asked for, each of SECONDS / 2


def wire_limit(blocks, baud, bits, silence_s=None):
    """(polls/s, registers/s) of the line for one poll of blocks."""
    char_s = bits / baud
    gap = silence_s if silence_s is not None else 3.5 * char_s
    t = 0.0
    for b in blocks:
        t += (8 + 5 + 2 * b["count"]) * char_s + 2 * gap
    regs = sum(b["count"] for b in blocks)
    return 1.0 / t, regs / t


def side_seconds(mode):
    """Seconds per side: SECONDS on the wire, half of it over a pty."""
    return SECONDS / 2 if mode == "pty" else SECONDS


def mode_rounds(mode, n):
    """Rounds of a way for n pairs asked for (see PTY_ROUNDS)."""
    return n * PTY_ROUNDS if mode == "pty" else n


def measure(P, baud, mode, side, tag):
    """Start a simulator on one end, run bench-poll-rate's side on the
    other; (result, blocks) or (None, None). tag names this run's files."""
    relay = None
    name = "%s-%d-%s" % (mode, baud, tag)
    if mode == "wire":
        relay = WireRelay(baud)
        sim_end, agent_end = relay.paths()
    else:
        sim_end, agent_end = P.pty_pair(name)
    sim, _, _ = P.start_sim({"seed": 1, "profiles_dir": g.PROFILES,
                             "rtu": [{"id": "r1", "device": sim_end, "baud": baud,
                                      "meters": [{"id": "E01", "slave": 1,
                                                  "profile": PROFILE}]}]},
                            name="sim-" + name)
    cfg = P.write_json("agent-%s.json" % name, {
        "gateway_id": "gw-bench", "data_dir": P.path("data"), "profiles_dir": g.PROFILES,
        "lines": [{"id": "bus", "type": "rtu", "device": agent_end, "baud": baud}],
        "meters": [{"id": "E01", "line": "bus", "slave": 1, "profile": PROFILE,
                    "timeout_ms": 2000}]})
    qdir = P.path("q-" + name)
    os.makedirs(qdir)
    seconds = side_seconds(mode)
    out = subprocess.run([BENCH, cfg, "E01", str(seconds), qdir, side],
                         capture_output=True, text=True, timeout=seconds * 4 + 60)
    P.stop(sim)
    if relay is not None:
        relay.close()
    g.ok(out.returncode == 0, "bench-poll-rate %s over %s at %d: %s"
         % (side, mode, baud, out.stderr[-300:]))
    if out.returncode != 0:
        return None, None
    first, second = out.stdout.strip().split("\n")[:2]
    r, blocks = json.loads(first), json.loads(second)
    g.ok(r["requests_s"] > 0, "%s at %d: %s polled" % (mode, baud, side))
    return r, blocks


def alternate(P, baud, mode, n):
    """n rounds of plain loop and gfi poller; {side: [result per round]}
    and the blocks, or None when a run failed."""
    count = [0]

    def side(name):
        def run():
            count[0] += 1
            return measure(P, baud, mode, name, str(count[0]))
        return run
    base, gfi = abab.rounds([side("baseline"), side("gfi")], n)
    if any(r is None for r, _ in base + gfi):
        return None
    return {"baseline": [r for r, _ in base], "gfi": [r for r, _ in gfi]}, base[0][1]


def report(baud, mode, res, lr, n):
    """Medians of each side against the 8N1 limit lr, and the ratio lines."""
    regs = {k: [r["registers_s"] for r in v] for k, v in res.items()}
    for label, side in (("plain libmodbus", "baseline"), ("gfi poller", "gfi")):
        req = abab.median([r["requests_s"] for r in res[side]])
        reg = abab.median(regs[side])
        print("  %-4s %-15s %9.1f requests/s %11.0f registers/s  %.3f x the 8N1"
              " wire limit" % (mode, label, req, reg, reg / lr))
    rl = abab.ratios(regs["gfi"], [lr] * n)
    rp = abab.ratios(regs["gfi"], regs["baseline"])
    if mode == "wire":      # a pty has no baud rate: its rate is shown beside the limit
        print("  %-4s gfi/limit %s" % (mode, abab.ratio_line(rl)))
    print("  %-4s gfi/plain %s" % (mode, abab.ratio_line(rp)))
    if mode == "wire":
        g.ok(max(regs["gfi"]) <= lr * 1.05, "%d wire: at most the wire limit (%.0f <= %.0f)"
             % (baud, max(regs["gfi"]), lr))
    g.ok(abab.check(rl, n) and abab.check(rp, n),
         "%s at %d: %d finite positive ratios" % (mode, baud, n))


def main():
    n = abab.pairs()
    rows = []
    load = abab.Load()
    with g.Procs() as P:
        for baud in BAUDS:
            for mode in ("pty", "wire"):
                got = alternate(P, baud, mode, mode_rounds(mode, n))
                if got is not None:
                    rows.append((baud, mode, got[0], got[1]))
    load.end()
    if rows:
        blocks = rows[0][3]
        regs = sum(b["count"] for b in blocks)
        print("profile %s: %d registers in %d requests per poll (%s)"
              % (PROFILE, regs, len(blocks),
                 ", ".join("fn %d @%d x%d" % (b["function"], b["start"], b["count"])
                           for b in blocks)))
    for baud in BAUDS:
        mine = [x for x in rows if x[0] == baud]
        if not mine:
            continue
        blocks = mine[0][3]
        lp, lr = wire_limit(blocks, baud, 10)
        lp11, lr11 = wire_limit(blocks, baud, 11)
        print("%d baud, wire limit 8N1 (3.5-char silence): %.2f polls/s, %.0f registers/s;"
              " 8E1: %.0f registers/s" % (baud, lp, lr, lr11))
        if baud > 19200:
            sp, sr = wire_limit(blocks, baud, 10, 0.00175)
            print("  with the spec's fixed 1.75 ms silence above 19,200 baud: %.2f polls/s,"
                  " %.0f registers/s" % (sp, sr))
        for _, mode, res, _ in mine:
            report(baud, mode, res, lr, mode_rounds(mode, n))
    print(load.line())
    g.finish("bench.rtu_rate")


if __name__ == "__main__":
    main()

"""DL/T 645-2007 poll rate on a serial line, against the wire limit.

gfi's 645 line (bench-dlt645-rate: line645_poll_meter in a loop, as the
agent polls) reads a generic DL/T 645-2007 meter (14 identifiers, one
request each) from gfi-meter-sim on a pty pair joined by bench/rtu_rate.py's
WireRelay, which holds every chunk until its last character would have left
a half-duplex line at the baud rate, 11 bits a character (8E1, DL/T 645's
default), for each baud rate in GFI_BENCH_BAUDS (default 2400,9600).

The wire limit is computed from the frame sizes: per point a request of
4 wake-up bytes + 12 frame bytes + 4 identifier bytes, and a reply of the
same 20 plus the value's BCD bytes (agent/wiretime.c counts the same), so a
poll is bytes_per_poll x 11 / baud seconds; meter turnaround is taken as
zero, so the limit is an upper bound. The relay (Python) adds its own
wake-up latency per chunk. GFI_BENCH_SECONDS sets the time per baud rate
(default 10).

  python3 bench/dlt645_rate.py      (after building; see BENCHMARKS.md)
"""
import json
import os
import subprocess

import gfitest as g
from gfitest.relay import WireRelay

BENCH = os.environ.get("GFI_BENCH_645", "build/bench/bench-dlt645-rate")
SECONDS = float(os.environ.get("GFI_BENCH_SECONDS", "10"))
BAUDS = [int(b) for b in os.environ.get("GFI_BENCH_BAUDS", "2400,9600").split(",")]
PROFILE = os.environ.get("GFI_BENCH_PROFILE", "generic-dlt645")
ADDRESS = "202607150001"


def measure(P, baud):
    relay = WireRelay(baud, bits=11)
    sim_end, agent_end = relay.paths()
    sim, _, _ = P.start_sim({"seed": 1, "profiles_dir": g.PROFILES,
                             "rtu": [{"id": "r1", "device": sim_end, "baud": baud,
                                      "protocol": "dlt645",
                                      "meters": [{"id": "E01", "address": ADDRESS,
                                                  "profile": PROFILE}]}]},
                            name="sim-645-%d" % baud)
    cfg = P.write_json("agent-645-%d.json" % baud, {
        "gateway_id": "gw-bench", "data_dir": P.path("data"), "profiles_dir": g.PROFILES,
        "lines": [{"id": "grid", "type": "rtu", "protocol": "dlt645",
                   "device": agent_end, "baud": baud}],
        "meters": [{"id": "E01", "line": "grid", "address": ADDRESS,
                    "profile": PROFILE, "timeout_ms": 3000}]})
    out = subprocess.run([BENCH, cfg, "E01", str(SECONDS)], capture_output=True,
                         text=True, timeout=SECONDS * 4 + 60)
    P.stop(sim)
    relay.close()
    g.ok(out.returncode == 0, "bench-dlt645-rate at %d: %s" % (baud, out.stderr[-300:]))
    if out.returncode != 0:
        return None
    r = json.loads(out.stdout.strip().split("\n")[0])
    g.ok(r["polls"] >= 1 and r["readings_ok"] == r["polls"] * r["points"],
         "at %d baud every reading ok (%d polls, %d ok)" % (baud, r["polls"], r["readings_ok"]))
    return r


def main():
    rows = []
    with g.Procs() as P:
        for baud in BAUDS:
            r = measure(P, baud)
            if r is not None:
                rows.append((baud, r))
    print("DL/T 645-2007, %s (%s points, one request each), 8E1 through a "
          "baud-rate relay, %.0f s per rate:" % (PROFILE, rows[0][1]["points"] if rows else "?",
                                                SECONDS))
    for baud, r in rows:
        limit = baud / (r["bytes_per_poll"] * 11.0)
        print("%5d baud: %.3f polls/s (%.1f points/s), wire limit %.3f polls/s "
              "(%d bytes a poll): %.0f%% of the limit"
              % (baud, r["polls_s"], r["polls_s"] * r["points"], limit,
                 r["bytes_per_poll"], 100.0 * r["polls_s"] / limit))
        g.ok(r["polls_s"] <= limit * 1.02, "at %d baud the relay holds the rate to the "
             "wire limit (%.3f <= %.3f)" % (baud, r["polls_s"], limit))
    g.finish("dlt645_rate")


if __name__ == "__main__":
    main()

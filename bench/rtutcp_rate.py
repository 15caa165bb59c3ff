"""RTU over TCP against Modbus TCP: requests per second of gfi's poller on
one simulator (gfi-meter-sim serving the same meter on two TCP lines, one
with MBAP framing, one with "framing": "rtu"), alternating the two sides in
GFI_BENCH_PAIRS rounds (bench/abab.py) of GFI_BENCH_SECONDS each (default
5). Both go through poll_meter_read's planning, retries and decoding; only
the transport differs (libmodbus's TCP backend, or rtulink.c with gfi's
framer: drain, request, scan for slave+function+length+CRC).

  python3 bench/rtutcp_rate.py      (after building; see BENCHMARKS.md)
"""
import json
import os
import subprocess
import sys

import abab
import gfitest as g

BENCH = os.environ.get("GFI_BENCH_RTUTCP", "build/bench/bench-rtutcp-rate")
SECONDS = float(os.environ.get("GFI_BENCH_SECONDS", "5"))
PROFILE = os.environ.get("GFI_BENCH_PROFILE", "eastron-sdm630")


def main():
    n = abab.pairs()
    load = abab.Load()
    with g.Procs() as P:
        def meter(mid):
            return [{"id": mid, "slave": 1, "profile": PROFILE}]
        _, listeners, _ = P.start_sim({"seed": 1, "profiles_dir": g.PROFILES, "tcp": [
            {"id": "mbap", "host": "127.0.0.1", "port": 0, "meters": meter("T1")},
            {"id": "rtu", "host": "127.0.0.1", "port": 0, "framing": "rtu",
             "meters": meter("R1")}]})
        cfgs = {}
        for side, typ in (("mbap", "tcp"), ("rtu", "rtu-tcp")):
            cfgs[side] = P.write_json("agent-%s.json" % side, {
                "gateway_id": "gw-bench", "data_dir": P.path("data"),
                "profiles_dir": g.PROFILES,
                "lines": [{"id": "l", "type": typ, "host": "127.0.0.1",
                           "port": listeners[side]}],
                "meters": [{"id": "E01", "line": "l", "slave": 1, "profile": PROFILE,
                            "timeout_ms": 2000}]})

        def side(name):
            def run():
                r = subprocess.run([BENCH, cfgs[name], "E01", str(SECONDS)],
                                   capture_output=True, text=True, timeout=SECONDS + 60)
                g.ok(r.returncode == 0, "%s side ran without failed polls: %s"
                     % (name, r.stdout + r.stderr))
                return json.loads(r.stdout)["requests_per_s"]
            return run
        tcp, rtu = abab.rounds([side("mbap"), side("rtu")], n)
    rs = abab.ratios(rtu, tcp)
    print("Modbus TCP (libmodbus)   %8.0f requests/s (median of %d)" % (abab.median(tcp), n))
    print("RTU over TCP (rtuframe)  %8.0f requests/s (median of %d)" % (abab.median(rtu), n))
    print("RTU over TCP / Modbus TCP: " + abab.ratio_line(rs))
    print(load.end().line())
    g.ok(abab.check(rs, n), "%d finite positive ratios" % n)
    g.finish("rtutcp_rate")


if __name__ == "__main__":
    sys.exit(main())

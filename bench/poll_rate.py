"""Poll rate over Modbus TCP for one slave: gfi's poller (read, decode, judge,
commit to the durable queue) against a plain libmodbus loop over the same
blocks, same simulator, same run. Prints requests/s, registers/s and the
ratio. GFI_BENCH_SECONDS sets the time per side (default 10).

  python3 bench/poll_rate.py      (after building; see BENCHMARKS.md)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import gfitest as g  # noqa: E402

BENCH = os.environ.get("GFI_BENCH_POLL", "build/bench/bench-poll-rate")
SECONDS = float(os.environ.get("GFI_BENCH_SECONDS", "10"))


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
            r = json.loads(out.stdout)
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
    g.finish("bench.poll_rate")


if __name__ == "__main__":
    main()

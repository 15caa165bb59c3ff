"""gfi-agent's peak RSS while polling 100 meters (20+ points each) every
second over Modbus TCP from gfi-meter-sim, committing to its queue. Reads
VmHWM from /proc. GFI_BENCH_SECONDS sets how long it polls (default 30).
Also reports the stripped binary size.

  python3 bench/rss_100_meters.py   (after building; see BENCHMARKS.md)
"""
import os
import shutil
import subprocess
import time

import gfitest as g

SECONDS = float(os.environ.get("GFI_BENCH_SECONDS", "30"))
METERS = int(os.environ.get("GFI_BENCH_METERS", "100"))


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def main():
    prof = os.environ.get("GFI_BENCH_PROFILE", "eastron-sdm630")
    npoints = len(g.load_profile(prof)["points"])
    with g.Procs() as P:
        per = 25  # meters per simulated gateway listener
        tcp = []
        for k in range((METERS + per - 1) // per):
            ms = [{"id": "M%03d" % i, "slave": i - k * per + 1, "profile": prof}
                  for i in range(k * per, min(METERS, (k + 1) * per))]
            tcp.append({"id": "t%d" % k, "host": "127.0.0.1", "port": 0, "meters": ms})
        sim, listeners, _ = P.start_sim({"seed": 5, "profiles_dir": g.PROFILES,
                                         "tcp": tcp})
        lines = [{"id": "lan%d" % k, "type": "tcp", "host": "127.0.0.1",
                  "port": listeners[t["id"]]} for k, t in enumerate(tcp)]
        meters = [{"id": m["id"], "line": "lan%d" % k, "slave": m["slave"],
                   "profile": prof, "interval_s": 1}
                  for k, t in enumerate(tcp) for m in t["meters"]]
        cfg = P.write_json("agent.json", {
            "gateway_id": "gw-rss", "data_dir": P.path("data"),
            "profiles_dir": g.PROFILES, "lines": lines, "meters": meters})
        agent = P.start([g.AGENT, "run", "--config", cfg], "agent.log")
        t_end = time.monotonic() + SECONDS
        ticks0 = None
        db = os.path.join(P.path("data"), "queue.db")

        def polled_all():
            try:
                return len(g.queue_rows(db)) >= METERS * npoints
            except Exception:
                return False
        # At a tiny size the first aligned poll may come after SECONDS:
        # measure at least until every meter was polled once (bounded).
        t_cap = time.monotonic() + SECONDS + 30
        while time.monotonic() < t_end or (not polled_all() and time.monotonic() < t_cap):
            time.sleep(0.5)
            with open("/proc/%d/stat" % agent.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
            if ticks0 is None:
                ticks0, w0 = ticks, time.monotonic()
        hwm = status_kb(agent.pid, "VmHWM")
        cpu = (ticks - ticks0) / os.sysconf("SC_CLK_TCK") / max(time.monotonic() - w0, 1e-9)
        rc = P.stop(agent)
        rows = g.queue_rows(os.path.join(P.path("data"), "queue.db"))
        size = os.path.getsize(g.AGENT)
        stripped = P.path("gfi-agent.stripped")
        shutil.copy(g.AGENT, stripped)
        subprocess.run(["strip", stripped], check=False)
        print("meters %d x %d points every 1 s for %.0f s: %d readings queued"
              % (METERS, npoints, SECONDS, len(rows)))
        print("peak RSS (VmHWM): %d KiB; CPU share of one core: %.1f %%"
              % (hwm, cpu * 100))
        print("binary: %d bytes, stripped %d bytes" % (size, os.path.getsize(stripped)))
        g.ok(rc == 0, "agent stopped cleanly")
        g.ok(len(rows) >= METERS * npoints, "every meter polled at least once")
    g.finish("bench.rss_100_meters")


if __name__ == "__main__":
    main()

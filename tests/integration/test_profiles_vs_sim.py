"""Acceptance 2: for every shipped profile, gfi-agent's readings equal
gfi-meter-sim's true register values, over Modbus TCP and over RTU on a pty
pair with several slave ids on one line. Also acceptance 3 (coalescing): the
agent's request count per poll equals the minimum computed here by a
reference model (dynamic programming over split points)."""
import re
import time

import gfitest as g


def min_requests(profile):
    """Fewest reads covering the profile's points: a brute-force reference
    (DP over sorted points), independent of the agent's greedy planner."""
    width = {"u16": 1, "i16": 1, "u32": 2, "i32": 2, "f32": 2,
             "u64": 4, "i64": 4, "f64": 4, "bool": 1}
    total = 0
    gap = profile.get("max_gap", 0)
    for fn in ("coil", "discrete", "holding", "input"):
        pts = sorted((p["address"], p["address"] + width[p["type"]])
                     for p in profile["points"] if p["function"] == fn)
        if not pts:
            continue
        limit = 2000 if fn in ("coil", "discrete") else 125
        n = len(pts)
        best = [0] + [10 ** 9] * n
        for j in range(1, n + 1):          # best cover of pts[0:j]
            for i in range(j):             # last read covers pts[i:j]
                start = pts[i][0]
                end = max(e for _, e in pts[i:j])
                gaps_ok = all(pts[k + 1][0] - max(e for _, e in pts[i:k + 1]) <= gap
                              for k in range(i, j - 1))
                if end - start <= limit and gaps_ok:
                    best[j] = min(best[j], best[i] + 1)
        total += best[n]
    return total


def main():
    pids = g.profile_ids()
    g.ok(len(pids) >= 6, "at least six shipped profiles (found %d)" % len(pids))
    with g.Procs() as P:
        sim_end, agent_end = P.pty_pair("rs485")
        tcp_meters = [{"id": "T%02d" % i, "slave": i + 1, "profile": pid}
                      for i, pid in enumerate(pids)]
        rtu_meters = [{"id": "R%02d" % i, "slave": i + 1, "profile": pid}
                      for i, pid in enumerate(pids)]
        sim, listeners, sim_cfg = P.start_sim({
            "seed": 7, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0,
                     "meters": tcp_meters}],
            "rtu": [{"id": "r1", "device": sim_end, "baud": 115200,
                     "meters": rtu_meters}]})
        agent_cfg = P.write_json("agent.json", {
            "gateway_id": "gw-it-1", "data_dir": P.path("data"),
            "profiles_dir": g.PROFILES,
            "lines": [
                {"id": "lan", "type": "tcp", "host": "127.0.0.1",
                 "port": listeners["t1"]},
                {"id": "bus", "type": "rtu", "device": agent_end,
                 "baud": 115200}],
            "meters": [dict(m, line="lan", interval_s=60, timeout_ms=1000)
                       for m in tcp_meters] +
                      [dict(m, line="bus", interval_s=60, timeout_ms=1000)
                       for m in rtu_meters]})
        rc, readings, err = g.agent_read(agent_cfg, extra=["--log-level", "debug"])
        g.ok(rc == 0, "gfi-agent read exits 0 (got %d: %s)" % (rc, err[-500:]))
        by_meter = {}
        for r in readings:
            by_meter.setdefault(r["meter"], []).append(r)
        for meters in (tcp_meters, rtu_meters):
            for m in meters:
                prof = g.load_profile(m["profile"])
                rs = by_meter.get(m["id"], [])
                g.ok(len(rs) == len(prof["points"]),
                     "%s (%s): one reading per point (%d of %d)" %
                     (m["id"], m["profile"], len(rs), len(prof["points"])))
                if not rs:
                    continue
                t = rs[0]["time"]
                truth = g.sim_truth(sim_cfg, m["id"], t)
                later = g.sim_truth(sim_cfg, m["id"], t + 1)
                exact = 0
                for r in rs:
                    want = truth.get(r["point"])
                    good = r["status"] == "ok" and (
                        r["value"] == want or r["value"] == later.get(r["point"]))
                    g.check(good, "%s.%s: agent %r (%s) == sim %r at %d" %
                            (m["id"], r["point"], r["value"], r["status"], want, t))
                    exact += good
                g.ok(exact == len(rs), "%s (%s): %d/%d points equal the simulator"
                     % (m["id"], m["profile"], exact, len(rs)))
        # Coalescing: requests per poll equal the reference minimum.
        for m in tcp_meters:
            prof = g.load_profile(m["profile"])
            mo = re.search(r"polled meter=%s requests=(\d+)" % m["id"], err)
            want = min_requests(prof)
            g.ok(mo is not None and int(mo.group(1)) == want,
                 "%s (%s, %d points): requests per poll %s == minimum %d" %
                 (m["id"], m["profile"], len(prof["points"]),
                  mo.group(1) if mo else "?", want))
        big = [m for m in tcp_meters
               if len(g.load_profile(m["profile"])["points"]) >= 40]
        g.ok(len(big) >= 1, "a profile with at least 40 points is covered")
        for m in big:
            prof = g.load_profile(m["profile"])
            print("coalescing: %s has %d points, minimum %d requests" %
                  (m["profile"], len(prof["points"]), min_requests(prof)))
    g.finish("profiles_vs_sim")


if __name__ == "__main__":
    main()

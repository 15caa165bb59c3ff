"""gfi-meter-sim history: last year's counter readings as the import CSV.
Every row is the model's register value at that time (the same as `truth`),
local Asia/Shanghai times, one row per point per step; bad points and ranges
are refused with one line naming the option."""
import calendar
import csv
import io
import subprocess
import time

import gfitest as g

ORIGIN = 1735660800  # 2025-01-01T00:00+08:00


def history(cfg, *args):
    return subprocess.run([g.SIM, "history", "--config", cfg] + list(args),
                          capture_output=True, text=True, timeout=60)


def main():
    with g.Procs() as P:
        cfg = P.write_json("sim.json", {
            "seed": 11, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "lan", "host": "127.0.0.1", "port": 0, "meters": [
                {"id": "E01", "slave": 1, "profile": "eastron-sdm630",
                 "initial": 1000.0},
                {"id": "W01", "slave": 2, "profile": "siemens-mag6000"}]}]})
        t0, t1 = ORIGIN + 86400 * 40, ORIGIN + 86400 * 41
        r = history(cfg, "--gateway", "gw-h1", "--points",
                    "E01:import_kwh,W01:total1_m3", "--from", str(t0),
                    "--to", str(t1), "--step", "3600")
        g.ok(r.returncode == 0, "history exits 0: " + r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        g.ok(len(rows) == 48, "24 hours x 2 points = 48 rows, got %d" % len(rows))
        g.ok(list(rows[0].keys()) == ["gateway", "meter", "point", "time", "value"],
             "header names the import columns")
        g.ok(rows[0]["time"] == "2025-02-10 00:00:00",
             "times are Asia/Shanghai local: " + rows[0]["time"])
        g.ok(all(x["gateway"] == "gw-h1" for x in rows), "gateway column filled")
        for i in (0, 17, 47):
            x = rows[i]
            local = time.strptime(x["time"], "%Y-%m-%d %H:%M:%S")
            at = calendar.timegm(local) - 8 * 3600
            want = g.sim_truth(cfg, x["meter"], at)[x["point"]]
            g.ok(abs(float(x["value"]) - want) < 0.0005,
                 "row %d equals truth at %d: %s vs %r" % (i, at, x["value"], want))
        e = [float(x["value"]) for x in rows if x["meter"] == "E01"]
        g.ok(all(b >= a for a, b in zip(e, e[1:])), "the counter never decreases")
        for args, field in (
                (["--points", "E01:v_l1"], "--points"),
                (["--points", "E09:import_kwh"], "--points"),
                (["--points", "E01"], "--points"),
                (["--points", "E01:import_kwh", "--step", "5"], "--step"),
                (["--points", "E01:import_kwh", "--to", str(t0 - 1)], "--to"),
                (["--points", "E01:import_kwh", "--gateway", "a/b"], "--gateway")):
            base = {"--gateway": "gw-h1", "--from": str(t0), "--to": str(t1)}
            for k, v in zip(args[::2], args[1::2]):
                base[k] = v
            flat = [y for kv in base.items() for y in kv] + \
                [y for k, v in zip(args[::2], args[1::2]) if k not in base for y in (k, v)]
            r = history(cfg, *flat)
            g.ok(r.returncode == 2 and r.stderr.startswith(field) and
                 r.stderr.count("\n") == 1 and r.stdout == "",
                 "%s refused on one line naming %s: %r" % (args, field, r.stderr))
    g.finish("test_sim_history")


if __name__ == "__main__":
    main()

"""Footprint of gfi-agent against Node-RED doing the same job: poll
GFI_BENCH_METERS meters (default 100) x 20 points every second over Modbus
TCP from the same gfi-meter-sim, and publish the readings to the same
Mosquitto broker over mutual TLS (the city PKI from deploy/pki.sh, the
broker rendered from deploy/, as in production; both sides with a gateway
certificate of their own).

  gfi   `gfi-agent run`: every meter's 20 points (the first 20 of the
        Eastron SDM630 profile, one coalesced read of 76 input registers),
        decoded and judged, committed to its SQLite queue, batched, signed
        and published at QoS 1; a stand-in aggregator (FakeAggregator) acks.
  nodered  Node-RED 4 (bench/nodered, npm ci from the lock) with
        node-red-contrib-modbus: one modbus-read node per meter (the same
        76 registers, every 1 s) on one modbus-client per simulated gateway,
        one function node decoding the 20 floats (scale applied) into a JSON
        message per poll, and Node-RED's mqtt out node (QoS 1) with a
        tls-config node. It does less than gfi: no durable queue, no
        signature, no hash chain, no counter judgement. The editor and the
        HTTP nodes are off (httpAdminRoot/httpNodeRoot false), to give it its
        smallest footprint.

The two run one after the other, each alone on the machine apart from the
simulator, the broker and this script's subscriber, alternating in
GFI_BENCH_PAIRS rounds (default 5; bench/abab.py: gfi, node-red; node-red,
gfi; ...), each run with a fresh data directory and gateway identity; each
ratio is the median of the rounds' ratios with its spread. After a side's first
message arrives (start-up excluded), it is measured for GFI_BENCH_SECONDS
(default 60): CPU share of one core (utime + stime over wall time), readings
arriving at the subscriber per second, and at the end peak RSS (VmHWM, start-up
included) of the process and its children; also the start-up: seconds from
start until every meter has published, and the CPU seconds spent until then. Also: gfi-agent's binary stripped, against
Node-RED's install (node_modules) and the node binary; and for both the
shared libraries the process has mapped.

  python3 bench/footprint.py      (after building; see BENCHMARKS.md)
"""
import abab
import json
import os
import shutil
import subprocess
import time

import gfitest as g

SECONDS = float(os.environ.get("GFI_BENCH_SECONDS", "60"))
METERS = int(os.environ.get("GFI_BENCH_METERS", "100"))
SIDES = os.environ.get("GFI_BENCH_SIDES", "gfi,nodered").split(",")
NPOINTS = 20
PROFILE = "eastron-sdm630"
PER_GATEWAY = 25
HERE = os.path.dirname(os.path.abspath(__file__))
NODERED_DIR = os.path.join(HERE, "nodered")
NODE = shutil.which("node") or "node"
START_TIMEOUT = float(os.environ.get("GFI_BENCH_START_TIMEOUT", "90"))


class Counter(g.FakeAggregator):
    """The FakeAggregator (acks gfi's batches, checks the chain) that also
    notes when each message arrived, how many readings it carried and from
    which meters; Node-RED's messages (no seq) are counted, not acked."""

    def __init__(self, city):
        super().__init__(city)
        self.arrivals = []     # (monotonic time, gateway, readings)
        self.meters = {}       # gateway -> set of meters seen
        self.sample = {}       # gateway -> one decoded voltage reading
        self.bad = []

    def _on_message(self, client, userdata, msg):
        parts = msg.topic.split("/")
        gw = parts[2]
        if parts[3] != "batch":
            return super()._on_message(client, userdata, msg)
        try:
            b = json.loads(msg.payload.split(b"\n")[0])
            readings = b["readings"]
            meters = {r["meter"] for r in readings} if "seq" in b else {b["meter"]}
            volts = [r["value"] for r in readings
                     if r.get("point") == "v_l1" and "value" in r]
        except (ValueError, KeyError, TypeError) as e:
            with self.lock:
                self.bad.append("%s: %s" % (gw, e))
            return
        with self.lock:
            self.arrivals.append((time.monotonic(), gw, len(readings)))
            self.meters.setdefault(gw, set()).update(meters)
            if volts:
                self.sample.setdefault(gw, volts[0])
        if "seq" in b:
            super()._on_message(client, userdata, msg)

    def readings_between(self, gw, t0, t1):
        with self.lock:
            return sum(n for t, gg, n in self.arrivals if gg == gw and t0 <= t < t1)

    def seen(self, gw):
        with self.lock:
            return len(self.meters.get(gw, ()))


def tree(pid):
    """pid and its descendants."""
    out = [pid]
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                for c in f.read().split():
                    out.extend(tree(int(c)))
    except OSError:
        pass
    return out


def cpu_ticks(pids, which=(11, 12)):
    """utime + stime (fields 14 and 15 of stat) of pids, in clock ticks."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(fields[k]) for k in which)
        except OSError:
            pass
    return total


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def mapped_libs(pid):
    """Bytes of the distinct shared objects (.so) the process has mapped."""
    paths = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ".so" in os.path.basename(parts[5]):
                paths.add(parts[5])
    return sum(os.path.getsize(p) for p in paths if os.path.exists(p)), len(paths)


def du_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for n in files:
            p = os.path.join(root, n)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def measure(P, counter, gw, proc, label, t_started):
    """Wait for the first message and every meter, then measure."""
    t_cap = time.monotonic() + START_TIMEOUT
    while counter.seen(gw) < METERS and time.monotonic() < t_cap:
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    g.ok(counter.seen(gw) == METERS, "%s: every meter published (%d of %d)"
         % (label, counter.seen(gw), METERS))
    if proc.poll() is not None:
        g.ok(False, "%s exited early (rc %s)" % (label, proc.returncode))
        return None
    pids = tree(proc.pid)
    t0, c0, s0 = time.monotonic(), cpu_ticks(pids), cpu_ticks(pids, (12,))
    hwm_during = 0
    while time.monotonic() - t0 < SECONDS:
        time.sleep(min(1.0, max(0.05, SECONDS - (time.monotonic() - t0))))
        pids = tree(proc.pid)
        hwm_during = max(hwm_during, sum(status_kb(p, "VmHWM") for p in pids))
    t1, c1, s1 = time.monotonic(), cpu_ticks(pids), cpu_ticks(pids, (12,))
    # Messages polled before t1 may arrive just after it; gfi's batches come
    # every few hundred readings, so count up to t1 only.
    n = counter.readings_between(gw, t0, t1)
    libs, nlibs = mapped_libs(proc.pid)
    r = {"hwm_kb": hwm_during, "rss_kb": sum(status_kb(p, "VmRSS") for p in pids),
         "cpu": (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0),
         "cpu_sys_share": (s1 - s0) / max(c1 - c0, 1),
         "readings_s": n / (t1 - t0), "procs": len(pids), "libs": libs,
         "nlibs": nlibs, "sample_v": counter.sample.get(gw),
         "startup_s": t0 - t_started, "startup_cpu_s": c0 / os.sysconf("SC_CLK_TCK")}
    print("%-8s peak RSS %7d KiB (%d process%s), CPU %5.1f %% of one core"
          " (%.0f %% of it in the kernel),"
          " %7.0f readings/s published, %d shared objects %.1f MB; sample v_l1 %s;"
          " start-up to every meter published %.1f s, %.2f CPU s"
          % (label, r["hwm_kb"], r["procs"], "" if r["procs"] == 1 else "es",
             r["cpu"] * 100, r["cpu_sys_share"] * 100, r["readings_s"], nlibs, libs / 1e6, r["sample_v"],
             r["startup_s"], r["startup_cpu_s"]), flush=True)
    return r


def simulator(P):
    tcp = []
    for k in range((METERS + PER_GATEWAY - 1) // PER_GATEWAY):
        ms = [{"id": "M%03d" % i, "slave": i - k * PER_GATEWAY + 1, "profile": PROFILE}
              for i in range(k * PER_GATEWAY, min(METERS, (k + 1) * PER_GATEWAY))]
        tcp.append({"id": "t%d" % k, "host": "127.0.0.1", "port": 0, "meters": ms})
    _, listeners, _ = P.start_sim({"seed": 5, "profiles_dir": g.PROFILES, "tcp": tcp})
    return [(listeners[t["id"]], t["meters"]) for t in tcp]


def run_gfi(P, city, counter, gateways, points, tag):
    gw = "gw-fp" + tag
    key, crt = city.enroll(gw)
    lines = [{"id": "lan%d" % k, "type": "tcp", "host": "127.0.0.1", "port": port}
             for k, (port, _) in enumerate(gateways)]
    meters = [{"id": m["id"], "line": "lan%d" % k, "slave": m["slave"],
               "profile": PROFILE, "interval_s": 1,
               "points": [p["name"] for p in points]}
              for k, (_, ms) in enumerate(gateways) for m in ms]
    cfg = P.write_json("agent%s.json" % tag, {
        "gateway_id": gw, "data_dir": P.path("data" + tag), "profiles_dir": g.PROFILES,
        "lines": lines, "meters": meters, "uplink": city.uplink_config(key, crt)})
    t_started = time.monotonic()
    agent = P.start([g.AGENT, "run", "--config", cfg], "agent%s.log" % tag)
    r = measure(P, counter, gw, agent, "gfi", t_started)
    if r is not None:
        with counter.lock:
            r["chain_errors"] = len([e for e in counter.chain_errors if e[0] == gw])
        g.ok(r["chain_errors"] == 0, "gfi: hash chain unbroken")
        g.ok(P.stop(agent) == 0, "gfi-agent exits 0 on SIGTERM")
        stripped = P.path("gfi-agent%s.stripped" % tag)
        shutil.copy(g.AGENT, stripped)
        subprocess.run(["strip", stripped], check=False)
        r["install"] = os.path.getsize(stripped)
        r["binary"] = os.path.getsize(g.AGENT)
    return r


FUNC = r"""
const P = %s;
const r = msg.payload;
const b = Buffer.alloc(4);
const readings = [];
for (const [name, off, scale] of P) {
    b.writeUInt16BE(r[off], 0);
    b.writeUInt16BE(r[off + 1], 2);
    readings.push({point: name, value: b.readFloatBE(0) * scale});
}
msg.payload = JSON.stringify({gateway: "%s", meter: msg.topic,
                              time: Math.floor(Date.now() / 1000), readings: readings});
return msg;
"""


def flow(city, gw, key, crt, gateways, points):
    start = min(p["address"] for p in points)
    count = max(p["address"] for p in points) + 2 - start
    table = [[p["name"], p["address"] - start, p.get("scale", 1)] for p in points]
    nodes = [
        {"id": "tab1", "type": "tab", "label": "gfi footprint bench"},
        {"id": "tls1", "type": "tls-config", "name": "city", "cert": crt, "key": key,
         "ca": city.cafile, "certname": "", "keyname": "", "caname": "",
         "servername": "localhost", "verifyservercert": True, "alpnprotocol": ""},
        {"id": "broker1", "type": "mqtt-broker", "name": "city", "broker": "localhost",
         "port": str(city.port), "tls": "tls1", "clientid": gw, "autoConnect": True,
         "usetls": True, "protocolVersion": "4", "keepalive": "30", "cleansession": True,
         "autoUnsubscribe": True, "birthTopic": "", "closeTopic": "", "willTopic": ""},
        {"id": "out1", "type": "mqtt out", "z": "tab1", "name": "uplink",
         "topic": "gfi/v1/%s/batch" % gw, "qos": "1", "retain": "false",
         "broker": "broker1", "wires": []},
        {"id": "fn1", "type": "function", "z": "tab1", "name": "decode",
         "func": FUNC % (json.dumps(table), gw), "outputs": 1, "wires": [["out1"]]},
    ]
    for k, (port, meters) in enumerate(gateways):
        nodes.append({
            "id": "mb%d" % k, "type": "modbus-client", "name": "gateway %d" % k,
            "clienttype": "tcp", "bufferCommands": True, "stateLogEnabled": False,
            "queueLogEnabled": False, "failureLogEnabled": True,
            "tcpHost": "127.0.0.1", "tcpPort": str(port), "tcpType": "DEFAULT",
            "serialPort": "/dev/ttyUSB", "serialType": "RTU-BUFFERD",
            "serialBaudrate": "9600", "serialDatabits": "8", "serialStopbits": "1",
            "serialParity": "none", "serialConnectionDelay": "100",
            "serialAsciiResponseStartDelimiter": "0x3A", "unit_id": "1",
            "commandDelay": "1", "clientTimeout": "1000", "reconnectOnTimeout": True,
            "reconnectTimeout": "2000", "parallelUnitIdsAllowed": True})
        for m in meters:
            nodes.append({
                "id": "rd-%s" % m["id"], "type": "modbus-read", "z": "tab1",
                "name": m["id"], "topic": m["id"], "showStatusActivities": False,
                "logIOActivities": False, "showErrors": True,
                "unitid": str(m["slave"]), "dataType": "InputRegister",
                "adr": str(start), "quantity": str(count), "rate": "1", "rateUnit": "s",
                "delayOnStart": False, "startDelayTime": "", "server": "mb%d" % k,
                "useIOFile": False, "ioFile": "", "useIOForPayload": False,
                "emptyMsgOnFail": False, "wires": [["fn1"], []]})
    return nodes


SETTINGS = """module.exports = {
    uiHost: "127.0.0.1",
    uiPort: %d,
    httpAdminRoot: false,
    httpNodeRoot: false,
    flowFile: "flows.json",
    credentialSecret: false,
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false },
    editorTheme: { projects: { enabled: false } },
    logging: { console: { level: "warn", metrics: false, audit: false } }
};
"""


def nodered_install():
    """npm ci from the lock when bench/nodered/node_modules is missing, as
    dashboards/build.sh does for the dashboards (scripts/setup.sh runs it
    too)."""
    red = os.path.join(NODERED_DIR, "node_modules", "node-red", "red.js")
    if not os.path.exists(red):
        out = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                             cwd=NODERED_DIR, capture_output=True, text=True, timeout=900)
        g.ok(out.returncode == 0, "npm ci in bench/nodered: " + out.stderr[-500:])
    return red


def run_nodered(P, city, counter, gateways, points, tag):
    red = nodered_install()
    if not os.path.exists(red):
        return None
    gw = "gw-nr" + tag
    key, crt = city.enroll(gw)
    user = P.path("nodered" + tag)
    os.makedirs(user)
    with open(os.path.join(user, "flows.json"), "w") as f:
        json.dump(flow(city, gw, key, crt, gateways, points), f, indent=1)
    settings = os.path.join(user, "settings.js")
    with open(settings, "w") as f:
        f.write(SETTINGS % g.free_port())
    t_started = time.monotonic()
    proc = P.start([NODE, red, "--userDir", user, "--settings", settings,
                    os.path.join(user, "flows.json")], "nodered%s.log" % tag)
    r = measure(P, counter, gw, proc, "node-red", t_started)
    if r is not None:
        rc = P.stop(proc)
        g.ok(rc == 0, "node-red exits 0 on SIGTERM (rc %s)" % rc)
        mods = du_bytes(os.path.join(NODERED_DIR, "node_modules"))
        node_bin = os.path.getsize(os.path.realpath(NODE))
        r["install"] = mods + node_bin
        r["node_modules"] = mods
        r["binary"] = node_bin
    log = P.log("nodered%s.log" % tag)
    errors = [ln for ln in log.splitlines() if "[error]" in ln]
    if errors:
        print("node-red errors (first 3):\n  " + "\n  ".join(errors[:3]))
    return r


def sanity(side, r):
    """A run kept up and decoded a plausible voltage."""
    want = METERS * NPOINTS
    # At a tiny size a window is a few batches wide: loose bound.
    lo = 0.8 if SECONDS >= 30 else 0.3
    g.ok(r["readings_s"] >= lo * want, "%s kept up: %.0f readings/s of %d"
         % (side, r["readings_s"], want))
    g.ok(r["sample_v"] is not None and 100 < r["sample_v"] < 300,
         "%s decoded a plausible voltage (%s)" % (side, r["sample_v"]))


def report(a, b, n):
    """Ratio lines node-red/gfi over the rounds (a: gfi's runs, b:
    node-red's) and the medians beside them; asserts sanity."""
    lines = (("peak RSS", "hwm_kb", "%.1f"), ("CPU", "cpu", "%.1f"),
             ("start-up time", "startup_s", "%.1f"), ("start-up CPU", "startup_cpu_s", "%.1f"))
    for label, key, fmt in lines:
        rs = abab.ratios([y[key] for y in b], [max(x[key], 1e-9) for x in a])
        print("ratio node-red/gfi %s: %s" % (label, abab.ratio_line(rs, fmt)))
        g.ok(abab.check(rs, n), "%s: %d finite positive ratios" % (label, n))
    print("ratio node-red/gfi install: %.0fx (gfi-agent stripped %d B; node-red"
          " node_modules %.1f MB + node %.1f MB)"
          % (b[0]["install"] / a[0]["install"], a[0]["install"], b[0]["node_modules"] / 1e6,
             b[0]["binary"] / 1e6))
    for label, key, scale in (("peak RSS KiB", "hwm_kb", 1), ("CPU %", "cpu", 100),
                              ("readings/s published", "readings_s", 1),
                              ("shared objects mapped MB", "libs", 1e-6)):
        print("  %s (medians): gfi %.1f, node-red %.1f"
              % (label, abab.median([x[key] for x in a]) * scale,
                 abab.median([y[key] for y in b]) * scale))
    print("  (want %d readings/s)" % (METERS * NPOINTS))


def main():
    profile = g.load_profile(PROFILE)
    points = profile["points"][:NPOINTS]
    n = abab.pairs()
    with g.Procs() as P:
        city = g.City(P)
        city.start_broker()
        counter = Counter(city)
        counter.start()
        gateways = simulator(P)
        print("%d meters x %d points (%s, one read of registers %d..%d) every 1 s on %d"
              " simulated gateways; mutual-TLS Mosquitto; %.0f s each, %d rounds"
              % (METERS, len(points), PROFILE, min(p["address"] for p in points),
                 max(p["address"] for p in points) + 1, len(gateways), SECONDS, n),
              flush=True)
        count = [0]
        runner = {"gfi": run_gfi, "nodered": run_nodered}

        def side(name):
            def run():
                count[0] += 1
                return runner[name](P, city, counter, gateways, points, str(count[0]))
            return run
        load = abab.Load()
        got = abab.rounds([side(x) for x in SIDES], n)
        load.end()
        results = dict(zip(SIDES, got))
        counter.stop()
        g.ok(not counter.bad, "every message parsed: %s" % counter.bad[:3])
    for name, runs in results.items():
        for r in runs:
            g.ok(r is not None, "%s ran" % name)
            if r is not None:
                sanity(name, r)
    a, b = results.get("gfi"), results.get("nodered")
    if a and b and None not in a + b:
        report(a, b, n)
    print(load.line())
    print(json.dumps(results, default=str))
    g.finish("bench.footprint")


if __name__ == "__main__":
    main()

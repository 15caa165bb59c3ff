"""Issue 8: gfi-agent cross-built for ARM gateways runs, under qemu-user,
against a real gfi-meter-sim (native) and a real Mosquitto with mutual TLS.

arm64 (multiarch libraries, qemu-aarch64 with the installed libc6:arm64):
  - firmware-config/cross-build.sh builds and strips it; `file` says aarch64;
  - check-config: the shipped examples pass silently, a broken file names
    its field;
  - read, over Modbus TCP and over RTU on a socat pty pair: every point
    equals the simulator's truth at the reading's time;
  - keygen and csr (mbedTLS on aarch64), the CSR signed by the city's CA;
  - run: batches reach a stand-in aggregator through the broker; their
    hash chain holds, a signature verifies with openssl, their readings
    equal the simulator's truth; SIGTERM stops it with exit 0.
armhf (32-bit, sysroot or multiarch libraries, qemu-arm):
  - built and stripped; `file` says ARM, EABI5;
  - help, check-config and read (TCP): values equal the simulator's truth.
Each build prints its stripped size; the run prints qemu's peak RSS (VmHWM,
qemu plus the guest).

GFI_CROSS_BENCH=SECONDS instead measures peak RSS of the arm64 agent under
qemu and of GFI_CROSS_NATIVE_AGENT (a native Release build) polling 10 meters
of 45 points every second for that long (BENCHMARKS.md, "Gateway build").
"""
import base64
import json
import os
import re
import shutil
import subprocess
import time

import gfitest as g

BUILD = os.environ.get("GFI_BUILD_DIR", "/tmp")
CROSS_BUILD = os.path.join(g.SOURCE, "firmware-config", "cross-build.sh")
EXAMPLES = os.path.join(g.SOURCE, "firmware-config", "examples")
GW = "gw-arm64-1"


def cross_build(arch):
    """Build with cross-build.sh into the test build's tree; returns
    (path of the stripped binary, its size, the emulator command)."""
    out = os.path.join(BUILD, "cross-" + arch)
    t0 = time.monotonic()
    r = subprocess.run(["bash", CROSS_BUILD, arch, out], capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("cross-build.sh %s failed (%d): %s" %
                           (arch, r.returncode, r.stderr[-2000:]))
    m = re.search(r"gfi-agent %s stripped (\d+) bytes: (\S+)" % arch, r.stdout)
    if m is None:
        raise RuntimeError("cross-build.sh %s printed no size: %s" % (arch, r.stdout))
    print("cross-build %s: %.1f s, stripped %s bytes" %
          (arch, time.monotonic() - t0, m.group(1)), flush=True)
    sysroot = None
    with open(os.path.join(out, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith("GFI_SYSROOT:"):
                sysroot = line.split("=", 1)[1].strip() or None
    qemu = {"arm64": "qemu-aarch64", "armhf": "qemu-arm"}[arch]
    if shutil.which(qemu) is None:
        raise RuntimeError(qemu + " not found: run scripts/setup.sh (qemu-user)")
    emu = [qemu] + (["-L", sysroot] if sysroot else [])
    return m.group(2), int(m.group(1)), emu


def file_says(path):
    return subprocess.run(["file", "-b", path], capture_output=True, text=True,
                          check=True).stdout.strip()


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def check_config_checks(arch, agent):
    for name in sorted(os.listdir(EXAMPLES)):
        r = run(agent + ["check-config", "--config", os.path.join(EXAMPLES, name)])
        g.ok(r.returncode == 0 and r.stderr == "",
             "%s check-config %s: exit 0, silent (%d %s)" %
             (arch, name, r.returncode, r.stderr.strip()))


def broken_config_check(P, arch, agent):
    bad = P.write_json("bad-%s.json" % arch, {
        "gateway_id": "gw-1", "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": 70000}],
        "meters": [{"id": "E1", "line": "lan", "slave": 1, "profile": "eastron-sdm630"}]})
    r = run(agent + ["check-config", "--config", bad])
    g.ok(r.returncode == 2 and
         r.stderr.strip() == "lines[0].port: 70000 out of range 1..65535",
         "%s check-config on a broken file: exit 2 naming the field (%d %r)" %
         (arch, r.returncode, r.stderr))


def agent_config(P, name, lines, meters, gw=GW, **extra):
    cfg = {"gateway_id": gw, "data_dir": P.path("data-" + name),
           "profiles_dir": g.PROFILES, "lines": lines, "meters": meters}
    cfg.update(extra)
    return P.write_json(name + ".json", cfg)


def equal_truth(sim_cfg, readings, label):
    """Every reading equals the simulator's value at its time, one second
    later (a poll may straddle a second) or one second earlier: the agent
    stamps with clock_gettime(CLOCK_REALTIME) and polls at the start of a
    second, the simulator reads time(), the kernel's coarse clock, which
    lags it by up to a tick (measured: time() is behind for ~1 ms after each
    second's start), so a poll landing there gets second t-1's registers."""
    truth = {}
    good = 0
    for r in readings:
        key = (r["meter"], r["time"])
        if key not in truth:
            truth[key] = [g.sim_truth(sim_cfg, r["meter"], r["time"] + d)
                          for d in (0, 1, -1)]
        now = truth[key][0]
        ok = r["status"] == "ok" and r["value"] in [t.get(r["point"])
                                                     for t in truth[key]]
        g.check(ok, "%s %s.%s at %d: agent %r (%s), sim %r" %
                (label, r["meter"], r["point"], r["time"], r["value"], r["status"],
                 now.get(r["point"])))
        good += ok
    g.ok(readings and good == len(readings),
         "%s: %d/%d readings equal the simulator" % (label, good, len(readings)))
    return good


def read_checks(P, arch, agent, sim_cfg, lines, meters):
    cfg = agent_config(P, "read-" + arch, lines, meters)
    r = run(agent + ["read", "--config", cfg])
    g.ok(r.returncode == 0, "%s read exits 0 (%d: %s)" % (arch, r.returncode, r.stderr[-500:]))
    readings = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    want = sum(len(g.load_profile(m["profile"])["points"]) for m in meters)
    g.ok(len(readings) == want, "%s read: one reading per point (%d of %d)" %
         (arch, len(readings), want))
    equal_truth(sim_cfg, readings, arch + " read")


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def enroll(P, city, agent, gw=GW):
    """Key and CSR made by the given agent (for arm64: mbedTLS on aarch64),
    signed by the city's CA."""
    d = P.path("gw-" + gw)
    os.makedirs(d, exist_ok=True)
    key, csr, crt = (os.path.join(d, n) for n in ("gw.key", "gw.csr", "gw.crt"))
    g.run_ok(agent + ["keygen", "--key", key])
    g.run_ok(agent + ["csr", "--key", key, "--cn", gw, "--out", csr])
    subj = g.run_ok(["openssl", "req", "-in", csr, "-noout", "-verify", "-subject"])
    g.ok("CN = " + gw in subj or "CN=" + gw in subj,
         "CSR made by %s verifies and names CN %s (%s)" % (agent[0], gw, subj.strip()))
    g.run_ok(["bash", g.PKI_SH, "sign", "--dir", city.ca, "--csr", csr, "--out", crt])
    return key, crt


def verify_with_openssl(P, payload, key):
    body, sig_b64 = payload.split(b"\n")[:2]
    files = {n: P.path(n) for n in ("b.json", "b.sig", "pub.pem")}
    open(files["b.json"], "wb").write(body)
    open(files["b.sig"], "wb").write(base64.b64decode(sig_b64))
    g.run_ok(["openssl", "ec", "-in", key, "-pubout", "-out", files["pub.pem"]])
    return subprocess.run(["openssl", "dgst", "-sha256", "-verify", files["pub.pem"],
                           "-signature", files["b.sig"], files["b.json"]],
                          capture_output=True).returncode == 0


def run_checks(P, agent, sim_cfg, lines, meters):
    city = g.City(P)
    key, crt = enroll(P, city, agent)
    city.start_broker()
    agg = g.FakeAggregator(city)
    agg.start()
    cfg = agent_config(P, "run-arm64", lines,
                       [dict(m, interval_s=1) for m in meters],
                       uplink=uplink(city, key, crt))
    proc = P.start(agent + ["run", "--config", cfg], "agent-arm64.log")
    try:
        g.wait_for(lambda: agg.contig.get(GW, 0) >= 3, 60, "three batches acked")
        hwm = vm_hwm_kib(proc.pid)
    finally:
        agg.stop()
    g.ok(proc.poll() is None, "arm64 run keeps running")
    rc = P.stop(proc)
    g.ok(rc == 0, "arm64 run exits 0 on SIGTERM (rc=%s): %s" %
         (rc, P.log("agent-arm64.log")[-1000:]))
    g.ok(agg.chain_errors == [], "hash chain of the arm64 batches holds: %s" % agg.chain_errors)
    g.ok(any(s[2].get("state") == "online" for s in agg.statuses),
         "arm64 status online seen")
    g.ok(verify_with_openssl(P, agg.batches[(GW, 1)], key),
         "openssl verifies a batch signed on arm64")
    readings = agg.readings(GW)
    equal_truth(sim_cfg, readings, "arm64 run batches")
    print("arm64 run under qemu: VmHWM %s KiB (qemu-aarch64 + guest)" % hwm, flush=True)


def start_sim(P, meters_tcp, meters_rtu):
    config = {"seed": 8, "profiles_dir": g.PROFILES,
              "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0,
                       "meters": meters_tcp}]}
    rtu_dev = None
    if meters_rtu:
        sim_end, rtu_dev = P.pty_pair("rs485")
        config["rtu"] = [{"id": "r1", "device": sim_end, "baud": 115200,
                          "meters": meters_rtu}]
    _, listeners, sim_cfg = P.start_sim(config)
    lines = [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": listeners["t1"]}]
    if rtu_dev:
        lines.append({"id": "bus", "type": "rtu", "device": rtu_dev, "baud": 115200})
    return sim_cfg, lines


def uplink(city, key, crt):
    return city.uplink_config(key, crt, batch_readings=40, max_inflight=4,
                              ack_timeout_s=5, keepalive_s=5, status_interval_s=5,
                              reconnect_min_ms=200, reconnect_max_ms=1000)


def bench(seconds):
    """Peak RSS of 10 meters x 45 points polled every second and sent to the
    city over mutual TLS: arm64 under qemu, and natively."""
    arm64, _, emu = cross_build("arm64")
    native = os.environ.get("GFI_CROSS_NATIVE_AGENT", g.AGENT)
    with g.Procs() as P:
        meters = [{"id": "E%02d" % i, "slave": i + 1, "profile": "eastron-sdm630"}
                  for i in range(10)]
        sim_cfg, lines = start_sim(P, meters, [])
        city = g.City(P)
        city.start_broker()
        agg = g.FakeAggregator(city)
        agg.start()
        try:
            for label, cmd in (("arm64-qemu", emu + [arm64]), ("native", [native])):
                bench_one(P, city, agg, label, cmd, lines, meters, seconds)
        finally:
            agg.stop()
    g.finish("cross_bench")


def bench_one(P, city, agg, label, cmd, lines, meters, seconds):
    gw = "gw-bench-" + label
    key, crt = enroll(P, city, cmd, gw)
    cfg = agent_config(P, "bench-" + label, lines,
                       [dict(m, line="lan", interval_s=1) for m in meters],
                       gw=gw, uplink=uplink(city, key, crt))
    proc = P.start(cmd + ["run", "--config", cfg, "--log-level", "info"],
                   "bench-%s.log" % label)
    t0 = time.monotonic()
    peak = 0
    while time.monotonic() - t0 < seconds:
        time.sleep(0.5)
        peak = max(peak, vm_hwm_kib(proc.pid) or 0)
    cpu = open("/proc/%d/stat" % proc.pid).read().split()
    cpu_s = (int(cpu[13]) + int(cpu[14])) / os.sysconf("SC_CLK_TCK")
    g.ok(P.stop(proc) == 0, "%s agent exits 0" % label)
    # Polled = delivered, or still queued (unacknowledged) at the stop.
    sent = {(r["meter"], r["point"], r["time"]) for r in agg.readings(gw)}
    queued = {(r["meter"], r["point"], r["time"]) for r in g.queue_rows(
        os.path.join(P.path("data-bench-" + label), "queue.db"))}
    polled = len(sent | queued)
    g.ok(polled >= 10 * 45 * (seconds - 5),
         "%s: %d readings polled in %d s" % (label, polled, seconds))
    g.ok(len(sent) > 0 and agg.chain_errors == [],
         "%s: %d delivered, hash chain holds" % (label, len(sent)))
    print("bench %s: %d s, VmHWM %d KiB, CPU %.1f s, readings polled %d, delivered %d" %
          (label, seconds, peak, cpu_s, polled, len(sent)), flush=True)


def main():
    if os.environ.get("GFI_CROSS_BENCH"):
        return bench(int(os.environ["GFI_CROSS_BENCH"]))
    arm64, _, emu64 = cross_build("arm64")
    armhf, _, emu32 = cross_build("armhf")
    g.ok("ARM aarch64" in file_says(arm64), "arm64 binary: %s" % file_says(arm64))
    g.ok("32-bit" in file_says(armhf) and "ARM, EABI5" in file_says(armhf),
         "armhf binary: %s" % file_says(armhf))
    agent64, agent32 = emu64 + [arm64], emu32 + [armhf]
    with g.Procs() as P:
        check_config_checks("arm64", agent64)
        broken_config_check(P, "arm64", agent64)
        tcp = [{"id": "T%02d" % i, "slave": i + 1, "profile": pid}
               for i, pid in enumerate(g.profile_ids())]
        rtu = [{"id": "R1", "slave": 1, "profile": "eastron-sdm630"},
               {"id": "R2", "slave": 2, "profile": "acrel-adl400"}]
        sim_cfg, lines = start_sim(P, tcp, rtu)
        meters = ([dict(m, line="lan") for m in tcp] +
                  [dict(m, line="bus") for m in rtu])
        read_checks(P, "arm64", agent64, sim_cfg, lines, meters)

        r = run(agent32 + ["help"])
        g.ok(r.returncode == 0 and r.stdout.startswith("usage: gfi-agent"),
             "armhf help runs under qemu-arm (%d %s)" % (r.returncode, r.stderr))
        check_config_checks("armhf", agent32)
        broken_config_check(P, "armhf", agent32)
        read_checks(P, "armhf", agent32, sim_cfg, lines[:1],
                    [dict(m, line="lan") for m in tcp])

        run_checks(P, agent64, sim_cfg, lines,
                   [dict(m, line="lan") for m in tcp[:3]])
    g.finish("cross_arm64")


if __name__ == "__main__":
    main()

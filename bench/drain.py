"""Backlog drain through the uplink against a raw Paho publisher, same broker,
same mutual TLS, same run.

 1. bench-fill-queue makes a queue of N readings (GFI_BENCH_READINGS, default
    1,000,000: 100 meters x SDM630 points over one week). For each uplink
    setting (GFI_BENCH_SETTINGS, "batch_readings x max_inflight", default
    500x8 (the config's defaults), 500x16, 500x64, 2000x16) a copy of it is
    drained by `gfi-agent run` (its one meter on a closed port, interval
    86400 s, so it polls nothing meanwhile) into the City's broker and a
    FakeAggregator that acks every batch. Timed from the agent's start until
    its queue holds 0 readings; every reading must arrive, seqs 1..head with
    no gap and an unbroken hash chain. Each setting has its own gateway id
    (seq restarts at 1 with a fresh queue; the retained ack of one run must
    not reach the next).
 2. bench-mqtt-raw, with the first setting's gateway certificate, publishes
    as many QoS 1 messages as that setting's drain made batches, of its
    average payload size, with a window of 16 and of 64 in flight
    (GFI_BENCH_RAW_WINDOWS), until every PUBACK; and, for every other
    setting, as many messages of that setting's own shape at its own window.
 3. Each setting's drains and the raw runs alternate in GFI_BENCH_PAIRS
    rounds (default 5; bench/abab.py: drain, raw, raw; raw, raw, drain; ...).
    A raw side is GFI_BENCH_RAW_REPEAT runs (default 3) back to back, the
    stand-in caught up between them, and its rate is their messages (bytes)
    over their summed time: one run of 2,000 messages takes 0.3 s, too short
    to weigh against a drain of 6-16 s (its rate moved 15 % from round to
    round). A round's ratio is the drain's MB/s (and messages/s) over the
    faster raw window's of the same round; each ratio is printed as the
    median of the rounds' with its spread, with the load average.
    bench-sign-time gives the CPU cost of one signed batch.

A setting ending in "r" (e.g. 500x8r) is acked by the real gfi-aggregator
(GFI_AGGREGATOR) instead: the production path, where each ack follows the
verify-and-commit of the batch (signature, chain, readings, rollups). Its
gateway is registered with the points of quantity elec_import_kwh and
elec_power_kw of every meter (the ones a balance needs; the other points
stay in the stored raw batch), written straight into the store's meters
table (4,500 `admin meter add` runs would take longer than the drain). These
runs come last; the stand-in leaves the broker for each of them and is back
for each raw run (one gfi-aggregator session per certificate; the stand-in's
clean session drops the aggregator's persistent one, so no raw message
waits for gfi-aggregator); their checks are the aggregator's: every batch
accepted in seq order (chain head = batches held, nothing quarantined, no
gap) and every registered reading stored once. They run REAL_ROUNDS times
as many rounds: the aggregator's commits make them move more with the
machine's I/O than the stand-in's drains do.

  python3 bench/drain.py      (after building; see BENCHMARKS.md)
"""
import abab
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time

import gfitest as g

FILL = os.environ.get("GFI_BENCH_FILL", "build/bench/bench-fill-queue")
RAW = os.environ.get("GFI_BENCH_RAW", "build/bench/bench-mqtt-raw")
SIGN = os.environ.get("GFI_BENCH_SIGN", "build/bench/bench-sign-time")
REAL_QUANTITIES = ("elec_import_kwh", "elec_power_kw")
N = int(os.environ.get("GFI_BENCH_READINGS", "1000000"))
SETTINGS = os.environ.get("GFI_BENCH_SETTINGS", "500x8,500x16,500x64,2000x16,500x8r")
RAW_WINDOWS = [int(w) for w in os.environ.get("GFI_BENCH_RAW_WINDOWS", "16,64").split(",")]
RAW_REPEAT = int(os.environ.get("GFI_BENCH_RAW_REPEAT", "3"))
REAL_ROUNDS = 2     # rounds of a setting acked by gfi-aggregator per pair asked for
PROFILE = "eastron-sdm630"


class CountingAggregator(g.FakeAggregator):
    """The FakeAggregator's acking and chain check, but keeping per batch only
    its size, reading count and hash (a million readings of payloads would
    not fit a small machine twice), and ignoring payloads that are not
    batches (the raw baseline's)."""

    def __init__(self, city):
        super().__init__(city)
        self.meta = {}         # (gw, seq) -> (bytes, nreadings, hash hex)
        self.polls = {}        # gw -> {(meter, time): readings}
        self.first_at = {}     # gw -> monotonic time of the first batch
        self.raw_msgs = 0
        self.raw_bytes = 0
        self.dups = 0

    def _on_message(self, client, userdata, msg):
        parts = msg.topic.split("/")
        gw = parts[2]
        if parts[3] == "status":
            try:
                st = json.loads(msg.payload)
            except ValueError:
                return
            with self.lock:
                self.statuses.append((time.time(), gw, st))
            return
        body = msg.payload.split(b"\n")[0]
        try:
            b = json.loads(body)
            seq = b["seq"]
            readings = b["readings"]
        except (ValueError, KeyError, TypeError):
            with self.lock:
                self.raw_msgs += 1
                self.raw_bytes += len(msg.payload)
            return
        with self.lock:
            self.first_at.setdefault(gw, time.monotonic())
            self.received.append((gw, seq))
            if (gw, seq) in self.meta:
                self.dups += 1
            else:
                h = hashlib.sha256(body).hexdigest()
                self.meta[(gw, seq)] = (len(msg.payload), len(readings), h)
                prev = self.meta.get((gw, seq - 1))
                if prev is not None and b["prev"] != prev[2]:
                    self.chain_errors.append((gw, seq))
                if seq == 1 and b["prev"] != "0" * 64:
                    self.chain_errors.append((gw, seq))
                polls = self.polls.setdefault(gw, {})
                for r in readings:
                    k = (r["meter"], r["time"])
                    polls[k] = polls.get(k, 0) + 1
                # A batch keyed in self.batches keeps contig right; its
                # bytes are not needed.
                self.batches[(gw, seq)] = b""
            n = self.contig.get(gw, 0)
            while (gw, n + 1) in self.batches:
                n += 1
            self.contig[gw] = n
            acking = self.acking
        if acking:
            self.ack(gw)


def queue_count(db):
    """The queue's exact count (meta row), read-only; None while locked."""
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        try:
            return con.execute("SELECT value FROM meta WHERE key='count'").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return None


def cpu_s(pid):
    """User + system CPU seconds of process pid, all its threads."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def fill(P):
    d = P.path("template")
    os.makedirs(d)
    out = subprocess.run([FILL, d, str(N), g.PROFILES, PROFILE], capture_output=True,
                         text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError("bench-fill-queue failed: " + out.stderr[-500:])
    r = json.loads(out.stdout)
    print("filled %d readings (%d points x 100 meters, every %d s over a week) "
          "in %.1f s: %.0f readings/s committed" %
          (r["readings"], r["points"], r["step_s"], r["seconds"], r["readings_s"]),
          flush=True)
    return os.path.join(d, "queue.db")


def real_aggregator(P, city, template):
    """gfi-aggregator serving a fresh store, and how many of the template's
    readings it will store per gateway (those of REAL_QUANTITIES)."""
    a = g.Aggregator(city, name="agg-real")
    a.register_unit()
    a.start()
    con = sqlite3.connect("file:%s?mode=ro" % template, uri=True)
    try:
        pts = con.execute("SELECT DISTINCT meter, point, quantity FROM readings "
                          "WHERE quantity IN (%s)" % ",".join("?" * len(REAL_QUANTITIES)),
                          REAL_QUANTITIES).fetchall()
        want = con.execute("SELECT count(*) FROM readings WHERE quantity IN (%s)"
                           % ",".join("?" * len(REAL_QUANTITIES)),
                           REAL_QUANTITIES).fetchone()[0]
    finally:
        con.close()
    return a, pts, want


def register_real(P, a, gw, key, pts):
    pub = P.path("pub-%s.pem" % gw)
    g.run_ok(["openssl", "ec", "-in", key, "-pubout", "-out", pub])
    a.admin("gateway", "add", "--id", gw, "--unit", a.unit, "--pubkey", pub)
    con = sqlite3.connect(a.store, timeout=30)
    try:
        with con:
            con.executemany("INSERT INTO meters (gateway, meter, point, quantity, role, "
                            "registered_s) VALUES (?, ?, ?, ?, 0, 0)",
                            [(gw, m, p, q) for m, p, q in pts])
    finally:
        con.close()


def drain(P, city, agg, template, batch_readings, inflight, idx, real=None):
    gw = "gwd-%d" % idx  # <= 9 chars: see the report on gfi_batch_fit
    key, crt = city.enroll(gw)
    if real is not None:
        register_real(P, real[0], gw, key, real[1])
    data = P.path("data-%d" % idx)
    os.makedirs(data)
    db = os.path.join(data, "queue.db")
    shutil.copyfile(template, db)
    extra = {"batch_readings": batch_readings, "max_inflight": inflight}
    if batch_readings > 500:
        extra["batch_bytes"] = 262144
    cfg = P.write_json("agent-%d.json" % idx, {
        "gateway_id": gw, "data_dir": data, "profiles_dir": g.PROFILES,
        "queue": {"max_readings": max(2 * N, 2000000)},
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                   "port": g.free_port()}],
        "meters": [{"id": "X-closed", "line": "lan", "slave": 1, "profile": PROFILE,
                    "interval_s": 86400}],
        "uplink": city.uplink_config(key, crt, **extra)})
    log = "agent-%d.log" % idx
    wrap = os.environ.get("GFI_BENCH_AGENT_WRAP", "").split()
    broker0, self0 = cpu_s(city.broker.pid), sum(os.times()[:2])
    agg0 = cpu_s(real[0].proc.pid) if real is not None else 0.0
    t0 = time.monotonic()
    agent = P.start(wrap + [g.AGENT, "run", "--config", cfg], log)

    def drained():
        if agent.poll() is not None:
            raise RuntimeError("agent exited: " + P.log(log)[-2000:])
        return queue_count(db) == 0
    g.wait_for(drained, max(120, N / 2000), "queue drained (%s)" % gw, step=0.05)
    dt = time.monotonic() - t0
    cpu = {"agent": cpu_s(agent.pid), "broker": cpu_s(city.broker.pid) - broker0,
           "aggregator": (cpu_s(real[0].proc.pid) - agg0 if real is not None
                          else sum(os.times()[:2]) - self0)}
    rc = P.stop(agent)
    g.ok(rc == 0, "agent %s exits 0 on SIGTERM (rc=%s)" % (gw, rc))
    shutil.rmtree(data, ignore_errors=True)   # a copy of the template per drain
    if real is not None:
        return drain_real_result(P, real, agg, gw, key, crt, batch_readings, inflight,
                                 dt, t0, cpu)
    with agg.lock:
        seqs = sorted(s for (gg, s) in agg.meta if gg == gw)
        sizes = [agg.meta[(gw, s)][0] for s in seqs]
        nread = sum(agg.meta[(gw, s)][1] for s in seqs)
        polls = agg.polls.get(gw, {})
        first = agg.first_at.get(gw, t0) - t0
        dups = sum(1 for (gg, _) in agg.received if gg == gw) - len(seqs)
    head = seqs[-1] if seqs else 0
    g.ok(nread == N, "%s: every reading arrived (%d of %d)" % (gw, nread, N))
    g.ok(seqs == list(range(1, head + 1)), "%s: seq 1..%d with no gap" % (gw, head))
    g.ok(not [e for e in agg.chain_errors if e[0] == gw], "%s: hash chain unbroken" % gw)
    g.ok(not any(m == "X-closed" for m, _ in polls), "%s: the idle meter polled nothing" % gw)
    g.ok(all(v <= 45 for v in polls.values()), "%s: no reading delivered twice" % gw)
    mb = sum(sizes) / 1e6
    r = {"gw": gw, "key": key, "crt": crt, "batch_readings": batch_readings,
         "inflight": inflight, "seconds": dt, "first_batch_s": first,
         "batches": len(seqs), "resent": dups, "readings": nread, "mb": mb,
         "avg_size": sum(sizes) / max(1, len(sizes)),
         "readings_s": nread / dt, "batches_s": len(seqs) / dt, "mb_s": mb / dt,
         "cpu_s": cpu}
    print("agent %4dx%-2d: %6.2f s (first batch at %.2f s), %d batches (%d resent), "
          "%.1f MB: %.0f readings/s, %.1f batches/s, %.2f MB/s" %
          (batch_readings, inflight, dt, first, len(seqs), dups, mb, r["readings_s"],
           r["batches_s"], r["mb_s"]), flush=True)
    print("    CPU s over the drain: agent %.2f, broker %.2f, aggregator (this "
          "python) %.2f; wall %.2f s on %d cores" %
          (cpu["agent"], cpu["broker"], cpu["aggregator"], dt, os.cpu_count()), flush=True)
    return r


def drain_real_result(P, real, agg, gw, key, crt, batch_readings, inflight, dt, t0, cpu):
    a, _, want = real
    head = a.head(gw)
    nq = a.query("SELECT count(*) FROM quarantine WHERE gateway = ?", (gw,))[0][0]
    ngap = a.query("SELECT count(*) FROM gaps WHERE gateway = ?", (gw,))[0][0]
    stored = a.query("SELECT count(*) FROM readings r JOIN series s ON s.id = r.series "
                     "WHERE s.gateway = ?", (gw,))[0][0]
    mb = a.query("SELECT coalesce(sum(length(payload)), 0) FROM batches WHERE gateway = ?",
                 (gw,))[0][0] / 1e6
    msgs = int(a.query("SELECT count(*) FROM batches WHERE gateway = ?", (gw,))[0][0])
    first = None    # the store keeps whole seconds of arrival: not timed here
    g.ok(head > 0 and a.query("SELECT count(*) FROM batches WHERE gateway = ?",
                              (gw,))[0][0] == head,
         "%s: the aggregator holds seq 1..%d, chain verified" % (gw, head))
    g.ok(nq == 0 and ngap == 0, "%s: nothing quarantined, no gap (%d, %d)" % (gw, nq, ngap))
    g.ok(stored == want, "%s: every registered reading stored once (%d of %d)"
         % (gw, stored, want))
    r = {"gw": gw, "key": key, "crt": crt, "batch_readings": batch_readings,
         "inflight": inflight, "acker": "gfi-aggregator", "seconds": dt,
         "first_batch_s": first, "batches": head, "resent": msgs - head,
         "readings": N, "mb": mb, "avg_size": mb * 1e6 / max(1, head),
         "readings_s": N / dt, "batches_s": head / dt, "mb_s": mb / dt,
         "stored_readings": stored, "cpu_s": cpu}
    print("agent %4dx%-2d acked by gfi-aggregator: %6.2f s, "
          "%d batches (%d resent), %.1f MB: %.0f readings/s, %.1f batches/s, %.2f MB/s; "
          "%d readings stored" %
          (batch_readings, inflight, dt, head, msgs - head, mb, r["readings_s"],
           r["batches_s"], r["mb_s"], stored), flush=True)
    print("    CPU s: agent %.2f, broker %.2f, gfi-aggregator %.2f; "
          "wall %.2f s on %d cores" % (cpu["agent"], cpu["broker"], cpu["aggregator"], dt,
                                       os.cpu_count()), flush=True)
    return r


def raw(city, shape, window):
    """One bench-mqtt-raw run of shape (gw, key, crt, count, size) at window;
    its JSON object ("messages", "size", "window", "seconds", "msgs_s",
    "mb_s")."""
    gw, key, crt, count, size = shape
    out = subprocess.run([RAW, "localhost", str(city.port), city.cafile, crt, key,
                          gw, "gfi/v1/%s/batch" % gw, str(count), str(size),
                          str(window)], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError("bench-mqtt-raw failed: " + out.stderr[-500:])
    r = json.loads(out.stdout)
    print("raw paho  w%-3d: %6.2f s, %d messages of %d bytes: %.1f messages/s, %.2f MB/s"
          % (window, r["seconds"], count, size, r["msgs_s"], r["mb_s"]), flush=True)
    return r


def raw_joined(runs):
    """Runs of one raw side as one: their messages and bytes over their
    summed time; "messages" stays one run's count, "runs" says how many."""
    secs = sum(r["seconds"] for r in runs)
    out = dict(runs[0])
    out.update(runs=len(runs), seconds=secs,
               msgs_s=sum(r["msgs_s"] * r["seconds"] for r in runs) / secs,
               mb_s=sum(r["mb_s"] * r["seconds"] for r in runs) / secs)
    return out


class Ackers:
    """Who acks the drains: the stand-in (which also swallows the raw
    baseline's messages) or the real gfi-aggregator, one at a time (one
    session per certificate); use() switches, outside any timing."""

    def __init__(self, P, city, agg, template):
        self.P, self.city, self.agg, self.template = P, city, agg, template
        self.real = None          # (Aggregator, points, readings wanted)
        self.current = "standin"
        self.raw_sent = 0         # raw messages published, all to the stand-in

    def use(self, which):
        if which == self.current:
            return
        if which == "real":
            self.caught_up()    # every raw message reaches the stand-in first
            self.agg.stop()
            if self.real is None:
                self.real = real_aggregator(self.P, self.city, self.template)
            else:
                self.real[0].start()
        else:
            self.P.stop(self.real[0].proc)
            self.agg.start()
            g.wait_for(lambda: self.agg.client.is_connected(), 15, "stand-in connected")
        self.current = which

    def caught_up(self):
        """Wait until the stand-in has seen every raw message published."""
        g.wait_for(lambda: self.agg.raw_msgs >= self.raw_sent, 60,
                   "raw messages seen by the stand-in", step=0.05)


def setting_rounds(P, city, ack, template, setting, k, shapes, n):
    """n rounds (REAL_ROUNDS x n for gfi-aggregator) of one setting's drain
    against raw sides of the first setting's shape at every window (and of
    its own shape, but for the first setting); returns (drains, {window or
    "own": raw sides})."""
    br, fl, real = setting
    count = [0]

    def drain_side():
        ack.use("real" if real else "standin")
        r = drain(P, city, ack.agg, template, br, fl, 100 * k + count[0],
                  ack.real if real else None)
        count[0] += 1
        shapes.setdefault(k, (r["gw"], r["key"], r["crt"], r["batches"],
                              int(round(r["avg_size"]))))
        return r

    def raw_side(which, window):
        def run():
            ack.use("standin")
            runs = []
            for _ in range(RAW_REPEAT):
                runs.append(raw(city, shapes[which], window))
                ack.raw_sent += shapes[which][3]
                ack.caught_up()
            return raw_joined(runs)
        return run
    sides = [drain_side] + [raw_side(0, w) for w in RAW_WINDOWS]
    if k > 0 and not real:
        sides.append(raw_side(k, fl))
    got = abab.rounds(sides, n * REAL_ROUNDS if real else n)
    raws = {w: got[1 + i] for i, w in enumerate(RAW_WINDOWS)}
    if len(got) > 1 + len(RAW_WINDOWS):
        raws["own"] = got[-1]
    return got[0], raws


def report(setting, drains, raws):
    """Medians of a setting's drains and its ratio lines; asserts sanity."""
    br, fl, real = setting
    n = len(drains)
    name = "agent %dx%d%s" % (br, fl, " (gfi-aggregator)" if real else "")
    med = {k: abab.median([r[k] for r in drains])
           for k in ("seconds", "readings_s", "batches_s", "mb_s")}
    print("%s, medians of %d: %.2f s, %.0f readings/s, %.1f batches/s, %.2f MB/s"
          % (name, n, med["seconds"], med["readings_s"], med["batches_s"], med["mb_s"]))
    best = [max((raws[w][i] for w in RAW_WINDOWS), key=lambda r: r["mb_s"])
            for i in range(n)]
    rmb = abab.ratios([r["mb_s"] for r in drains], [r["mb_s"] for r in best])
    rmsg = abab.ratios([r["batches_s"] for r in drains], [r["msgs_s"] for r in best])
    shape = "%d runs of %d x %d B" % (best[0]["runs"], best[0]["messages"], best[0]["size"])
    print("ratio %s / raw (faster window of each round, %s): MB/s %s"
          % (name, shape, abab.ratio_line(rmb)))
    print("ratio %s / raw (same): messages/s %s" % (name, abab.ratio_line(rmsg)))
    ok = abab.check(rmb, n) and abab.check(rmsg, n)
    if "own" in raws:
        own = raws["own"]
        ro = abab.ratios([r["mb_s"] for r in drains], [r["mb_s"] for r in own])
        print("ratio %s / raw of its own shape (window %d, %d runs of %d x %d B): MB/s %s"
              % (name, fl, own[0]["runs"], own[0]["messages"], own[0]["size"],
                 abab.ratio_line(ro)))
        ok = ok and abab.check(ro, n)
    g.ok(ok, "%s: %d finite positive ratios per line" % (name, n))


def sign_time():
    """bench-sign-time: the CPU cost of one signed batch."""
    sign_n = max(5, min(2000, N // 500))
    out = subprocess.run([SIGN, str(sign_n)], capture_output=True, text=True,
                         timeout=600)
    g.ok(out.returncode == 0, "bench-sign-time ran: " + out.stderr[-300:])
    if out.returncode == 0:
        s = json.loads(out.stdout)
        print("sign: %d batches of %d readings (%d B): build+sign %.0f us, sign %.0f us, "
              "sha256 %.0f us, build without sign %.0f us; per reading %.2f us "
              "(sign %.2f us)" %
              (s["batches"], s["readings_per_batch"], s["avg_payload_bytes"],
               s["build_sign_us"], s["sign_us"], s["sha256_us"],
               s["build_nosign_us"], s["build_sign_us_per_reading"],
               s["sign_us_per_reading"]))


def main():
    settings = [tuple(int(x) for x in s.rstrip("r").split("x")) + (s.endswith("r"),)
                for s in SETTINGS.split(",")]
    # The stand-in's settings first, the real aggregator's last (fewer
    # switches); the first setting's shape is every raw baseline's.
    settings.sort(key=lambda s: s[2])
    n = abab.pairs()
    results = []
    with g.Procs() as P:
        template = fill(P)
        city = g.City(P)
        city.start_broker()
        agg = CountingAggregator(city)
        agg.start()
        g.wait_for(lambda: agg.client.is_connected(), 15, "aggregator connected")
        ack = Ackers(P, city, agg, template)
        shapes = {}
        load = abab.Load()
        for k, setting in enumerate(settings):
            drains, raws = setting_rounds(P, city, ack, template, setting, k, shapes, n)
            results.append((setting, drains, raws))
        load.end()
        ack.use("standin")
        g.ok(g.wait_for(lambda: agg.raw_msgs >= ack.raw_sent, 30,
                        "raw messages seen by the aggregator", step=0.05),
             "the aggregator saw and ignored every raw message")
        agg.stop()
        print()
        for setting, drains, raws in results:
            report(setting, drains, raws)
        print(load.line())
        sign_time()
        print(json.dumps({"runs": [{k: v for k, v in r.items() if k not in ("key", "crt")}
                                   for _, drains, _ in results for r in drains],
                          "raw": [r for _, _, raws in results for v in raws.values()
                                  for r in v]}))
    g.finish("bench.drain")


if __name__ == "__main__":
    main()

"""Helpers for gfi integration tests: real servers on free ports, stopped by PID.

Every test starts what it needs (gfi-meter-sim over TCP, over RTU on a socat
pty pair), waits for readiness by reading a ready file (never a bare sleep),
and stops each process by its PID at the end, also when the test fails.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

AGENT = os.environ.get("GFI_AGENT", "gfi-agent")
SIM = os.environ.get("GFI_SIM", "gfi-meter-sim")
PROFILES = os.environ.get("GFI_PROFILES", "firmware-config/profiles")
SOURCE = os.environ.get("GFI_SOURCE_DIR", ".")

failures = []


def check(cond, what):
    """Record one assertion; the test fails at the end if any failed."""
    if cond:
        return True
    failures.append(what)
    print("FAIL: " + what, flush=True)
    return False


def finish(name):
    """Print the plain summary line and exit with the test's status."""
    passed = checks_passed()
    print("%s: %d passed, %d failed" % (name, passed, len(failures)))
    sys.exit(1 if failures else 0)


_passed = [0]


def ok(cond, what):
    if check(cond, what):
        _passed[0] += 1
        return True
    return False


def checks_passed():
    return _passed[0]


def wait_for(pred, timeout, what, step=0.02):
    """Poll pred() until true or timeout seconds; raise naming what."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise RuntimeError("timed out waiting for " + what)


class Procs:
    """Processes started by a test, stopped by PID on exit."""

    def __init__(self):
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="gfi-it-")

    def start(self, args, log_name, env=None, clean_exit=True):
        """Start args with output to log_name. With clean_exit, the process
        must exit 0 when stopped by SIGTERM at the end of the test: that is
        where AddressSanitizer and LeakSanitizer report."""
        log = open(os.path.join(self.tmp, log_name), "wb")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        p.gfi_log, p.gfi_clean_exit = log_name, clean_exit
        self.procs.append(p)
        return p

    def log(self, log_name):
        with open(os.path.join(self.tmp, log_name), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is None:
            try:
                os.kill(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        return p.returncode

    def close(self):
        for p in reversed(self.procs):
            running = p.poll() is None
            rc = self.stop(p)
            if running and p.gfi_clean_exit:
                check(rc == 0, "%s exits 0 on SIGTERM (rc=%s): %s" %
                      (p.args[0], rc, self.log(p.gfi_log)[-2000:]))
        if not failures and os.environ.get("GFI_KEEP_TMP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("kept " + self.tmp)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            failures.append("exception: %s" % exc)
        self.close()
        return False

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write_json(self, name, obj):
        path = self.path(name)
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)
        return path

    def pty_pair(self, name):
        """A socat pty pair; returns (sim_end, agent_end) device paths."""
        a, b = self.path(name + "-sim"), self.path(name + "-agent")
        self.start(["socat", "-d", "-d",
                    "pty,raw,echo=0,link=" + a,
                    "pty,raw,echo=0,link=" + b], name + "-socat.log",
                   clean_exit=False)
        wait_for(lambda: os.path.exists(a) and os.path.exists(b), 10,
                 "socat ptys " + name)
        return a, b

    def start_sim(self, config, name="sim"):
        """Start gfi-meter-sim; returns (proc, {listener id: port or device})."""
        cfg = self.write_json(name + ".json", config)
        ready = self.path(name + ".ready")
        p = self.start([SIM, "serve", "--config", cfg, "--ready-file", ready],
                       name + ".log")

        def is_ready():
            if p.poll() is not None:
                raise RuntimeError("simulator exited: " + self.log(name + ".log"))
            if not os.path.exists(ready):
                return None
            lines = open(ready).read().split("\n")
            return lines if "ready" in lines else None
        lines = wait_for(is_ready, 20, "simulator ready")
        listeners = {}
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "tcp":
                listeners[parts[1]] = int(parts[2])
            elif len(parts) == 3 and parts[0] == "rtu":
                listeners[parts[1]] = parts[2]
        return p, listeners, cfg


def sim_truth(sim_config_path, meter, at):
    """The simulator's register values for every point of meter at time at."""
    out = subprocess.run([SIM, "truth", "--config", sim_config_path,
                          "--meter", meter, "--at", str(at)],
                         check=True, capture_output=True, text=True).stdout
    values = {}
    for line in out.splitlines():
        o = json.loads(line)
        values[o["point"]] = o["register"]
    return values


def agent_read(config_path, meter=None, extra=()):
    args = [AGENT, "read", "--config", config_path]
    if meter:
        args += ["--meter", meter]
    args += list(extra)
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    readings = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return r.returncode, readings, r.stderr


def profile_ids(protocol="modbus"):
    """Shipped profiles of one protocol ("modbus" or "dlt645")."""
    ids = sorted(f[:-5] for f in os.listdir(PROFILES) if f.endswith(".json"))
    return [p for p in ids
            if load_profile(p).get("protocol", "modbus") == protocol]


def load_profile(pid):
    with open(os.path.join(PROFILES, pid + ".json")) as f:
        return json.load(f)


STATUS_NAMES = ["ok", "timeout", "exception", "comm-error", "decode-error",
                "backwards", "jump", "rollover"]


def status_text(status, detail):
    if isinstance(status, str):
        return status
    if status == 2:
        return "exception-%d" % detail
    return STATUS_NAMES[status]


def queue_rows(db_path):
    """Every reading in an agent queue, in queue order, as dicts."""
    import sqlite3
    con = sqlite3.connect(db_path, timeout=10)
    try:
        rows = con.execute(
            "SELECT id, meter, point, quantity, time_s, value, status, detail "
            "FROM readings ORDER BY id").fetchall()
    finally:
        con.close()
    return [{"id": r[0], "meter": r[1], "point": r[2], "quantity": r[3],
             "time": r[4], "value": r[5], "status": status_text(r[6], r[7])}
            for r in rows]


def counter_points(profile):
    """(point, counter_max) of the profile's integer counter points."""
    counters = {"elec_import_kwh", "elec_export_kwh", "elec_reactive_kvarh",
                "water_volume_m3", "gas_volume_m3", "fuel_mass_t",
                "steam_mass_t", "heat_energy_gj", "product_count",
                "product_mass_t", "wastewater_volume_m3"}
    bits = {"u16": 16, "u32": 32, "u64": 64, "i16": 15, "i32": 31, "i64": 63}
    out = []
    for p in profile["points"]:
        if p["quantity"] in counters and p["type"] in bits:
            mx = p.get("counter_max", (2 ** bits[p["type"]]) * p.get("scale", 1))
            out.append((p["name"], mx))
    return out


# ---- the city side: PKI, broker, and a stand-in aggregator ----

PKI_SH = os.path.join(SOURCE, "deploy", "pki.sh")
RENDER_SH = os.path.join(SOURCE, "deploy", "render-broker.sh")


def run_ok(args, timeout=60):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s %s" % (" ".join(args), r.returncode,
                                                     r.stdout, r.stderr))
    return r.stdout


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class City:
    """The city's PKI (deploy/pki.sh) and its Mosquitto broker rendered from
    deploy/ on a free port; gateways enrolled with gfi-agent keygen/csr."""

    def __init__(self, P):
        import pwd
        self.P = P
        self.ca = P.path("city-ca")
        run_ok(["bash", PKI_SH, "init-ca", "--dir", self.ca, "--days", "30"])
        run_ok(["bash", PKI_SH, "server", "--dir", self.ca, "--name", "localhost",
                "--ip", "127.0.0.1"])
        run_ok(["bash", PKI_SH, "client", "--dir", self.ca, "--cn", "gfi-aggregator"])
        self.cafile = os.path.join(self.ca, "ca.crt")
        self.agg_cert = os.path.join(self.ca, "clients", "gfi-aggregator.crt")
        self.agg_key = os.path.join(self.ca, "clients", "gfi-aggregator.key")
        self.port = free_port()
        self.broker_dir = P.path("broker")
        run_ok(["bash", RENDER_SH, "--out", self.broker_dir, "--port", str(self.port),
                "--bind", "127.0.0.1", "--ca", self.cafile,
                "--cert", os.path.join(self.ca, "server", "localhost.crt"),
                "--key", os.path.join(self.ca, "server", "localhost.key"),
                "--crl", os.path.join(self.ca, "crl.pem"),
                "--user", pwd.getpwuid(os.getuid()).pw_name])
        self.broker = None
        self.starts = 0

    def enroll(self, gw):
        """Key and CSR made by gfi-agent, signed by the city: (key, cert)."""
        d = self.P.path("gw-" + gw)
        os.makedirs(d, exist_ok=True)
        key, csr, crt = (os.path.join(d, n) for n in ("gw.key", "gw.csr", "gw.crt"))
        run_ok([AGENT, "keygen", "--key", key])
        run_ok([AGENT, "csr", "--key", key, "--cn", gw, "--out", csr])
        run_ok(["bash", PKI_SH, "sign", "--dir", self.ca, "--csr", csr, "--out", crt])
        return key, crt

    def start_broker(self):
        import socket
        self.starts += 1
        self.broker = self.P.start(["mosquitto", "-c",
                                    os.path.join(self.broker_dir, "mosquitto.conf")],
                                   "mosquitto-%d.log" % self.starts, clean_exit=False)

        def up():
            if self.broker.poll() is not None:
                raise RuntimeError("mosquitto exited: " +
                                   self.P.log("mosquitto-%d.log" % self.starts))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, 15, "mosquitto listening")

    def stop_broker(self):
        self.P.stop(self.broker)
        self.broker = None

    def uplink_config(self, key, crt, **extra):
        u = {"host": "localhost", "port": self.port, "ca_file": self.cafile,
             "cert_file": crt, "key_file": key}
        u.update(extra)
        return u


class FakeAggregator:
    """Plays the city's aggregator for the agent's tests: one MQTT connection
    as gfi-aggregator (the broker allows one per certificate), records every
    batch payload and status, checks each gateway's hash chain, and acks the
    highest contiguous seq held (retained), unless told not to."""

    def __init__(self, city):
        import threading
        import paho.mqtt.client as mqtt
        self.lock = threading.Lock()
        self.batches = {}      # (gateway, seq) -> payload bytes (first copy)
        self.received = []     # (gateway, seq) in arrival order, duplicates too
        self.statuses = []     # (time, gateway, dict)
        self.contig = {}       # gateway -> highest contiguous seq held
        self.acking = True
        self.chain_errors = []
        c = mqtt.Client(client_id="gfi-aggregator", protocol=mqtt.MQTTv311)
        c.tls_set(ca_certs=city.cafile, certfile=city.agg_cert, keyfile=city.agg_key)
        c.on_message = self._on_message
        c.on_connect = lambda cl, u, f, rc: cl.subscribe(
            [("gfi/v1/+/batch", 1), ("gfi/v1/+/status", 1)])
        self.client = c
        self.connected_city = city

    def start(self):
        self.client.connect("localhost", self.connected_city.port, keepalive=10)
        self.client.loop_start()

    def stop(self):
        self.client.loop_stop()
        try:
            self.client.disconnect()
        except Exception:
            pass

    def _on_message(self, client, userdata, msg):
        import hashlib
        parts = msg.topic.split("/")
        gw = parts[2]
        if parts[3] == "status":
            with self.lock:
                self.statuses.append((time.time(), gw, json.loads(msg.payload)))
            return
        body = msg.payload.split(b"\n")[0]
        b = json.loads(body)
        seq = b["seq"]
        with self.lock:
            self.received.append((gw, seq))
            if (gw, seq) not in self.batches:
                self.batches[(gw, seq)] = msg.payload
                prev = self.batches.get((gw, seq - 1))
                if prev is not None:
                    want = hashlib.sha256(prev.split(b"\n")[0]).hexdigest()
                    if b["prev"] != want:
                        self.chain_errors.append((gw, seq))
            n = self.contig.get(gw, 0)
            while (gw, n + 1) in self.batches:
                n += 1
            self.contig[gw] = n
            acking = self.acking
        if acking:
            self.ack(gw)

    def ack(self, gw):
        with self.lock:
            n = self.contig.get(gw, 0)
        if n:
            self.client.publish("gfi/v1/%s/ack" % gw, json.dumps({"seq": n}),
                                qos=1, retain=True)

    def readings(self, gw):
        """Every reading of gw's held batches, in seq order."""
        out = []
        with self.lock:
            seqs = sorted(s for g, s in self.batches if g == gw)
            for s in seqs:
                b = json.loads(self.batches[(gw, s)].split(b"\n")[0])
                out.extend(b["readings"])
        return out


# ---- the real aggregator: registry, gfi-aggregator serve, its store ----

AGGREGATOR = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(first17):
    """first17 plus its GB 32100-2015 check character."""
    s = sum(_CODE_CHARS.index(c) * w for c, w in zip(first17, _CODE_WEIGHTS))
    return first17 + _CODE_CHARS[(31 - s % 31) % 31]


class MultiCity(City):
    """A City whose broker ACL has a block for each aggregator CN (each
    instance needs its own certificate: the broker makes the CN the client
    id), with a client certificate for each: self.agg_certs[cn] = (crt, key)."""

    def __init__(self, P, cns):
        import pwd
        City.__init__(self, P)
        self.agg_certs = {"gfi-aggregator": (self.agg_cert, self.agg_key)}
        for cn in cns:
            if cn not in self.agg_certs:
                run_ok(["bash", PKI_SH, "client", "--dir", self.ca, "--cn", cn])
                self.agg_certs[cn] = (os.path.join(self.ca, "clients", cn + ".crt"),
                                      os.path.join(self.ca, "clients", cn + ".key"))
        args = ["bash", RENDER_SH, "--out", self.broker_dir, "--port", str(self.port),
                "--bind", "127.0.0.1", "--ca", self.cafile,
                "--cert", os.path.join(self.ca, "server", "localhost.crt"),
                "--key", os.path.join(self.ca, "server", "localhost.key"),
                "--crl", os.path.join(self.ca, "crl.pem"),
                "--user", pwd.getpwuid(os.getuid()).pw_name]
        for cn in cns:
            args += ["--aggregator", cn]
        run_ok(args)


class Aggregator:
    """gfi-aggregator serve on a store, registered through `gfi-aggregator
    admin`: one county and unit, gateways with their public keys, meter
    points. Several instances may share one store (store=...)."""

    def __init__(self, city, name="agg", cn="gfi-aggregator", store=None,
                 shared_group="", future_tolerance_s=300):
        self.city, self.P, self.name, self.cn = city, city.P, name, cn
        self.store = store or self.P.path(name + ".db")
        self.unit = credit_code("91350100M00010" + "0Y4")
        crt, key = (city.agg_certs[cn] if hasattr(city, "agg_certs")
                    else (city.agg_cert, city.agg_key))
        self.config = self.P.write_json(name + ".json", {
            "store": self.store,
            "broker": {"host": "localhost", "port": city.port, "ca_file": city.cafile,
                       "cert_file": crt, "key_file": key},
            "client_id": cn, "shared_group": shared_group,
            "future_tolerance_s": future_tolerance_s, "log_level": "info"})
        self.proc = None
        self.logs = []

    def admin(self, *args):
        return run_ok([AGGREGATOR, "admin", "--store", self.store] + list(args))

    def register_unit(self):
        self.admin("county", "add", "--code", "350102", "--name", "Gulou")
        self.admin("unit", "add", "--code", self.unit, "--name", "Test Works",
                   "--kind", "factory", "--county", "350102", "--level", "city",
                   "--year", "2024", "--sector", "C3130")

    def register_gateway(self, gw, key, points, registered=None):
        """points: [(meter, point, quantity)]; registered: epoch s."""
        pub = self.P.path("pub-%s.pem" % gw)
        run_ok(["openssl", "ec", "-in", key, "-pubout", "-out", pub])
        self.admin("gateway", "add", "--id", gw, "--unit", self.unit, "--pubkey", pub)
        reg = str(int(registered if registered is not None else time.time() - 3600))
        for meter, point, quantity in points:
            self.admin("meter", "add", "--gateway", gw, "--meter", meter, "--point", point,
                       "--quantity", quantity, "--role", "none", "--registered", reg)

    def start(self):
        log = "%s-%d.log" % (self.name, len(self.logs))
        self.logs.append(log)
        self.proc = self.P.start([AGGREGATOR, "serve", "--config", self.config,
                                  "--log-level", "info"], log)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("aggregator exited: " + self.P.log(log))
            return "broker connected" in self.P.log(log)
        wait_for(up, 20, "aggregator connected")
        return self.proc

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def log(self):
        return "".join(self.P.log(l) for l in self.logs)

    def counts(self):
        return json.loads(run_ok([AGGREGATOR, "counts", "--store", self.store]))

    def query(self, sql, args=()):
        """Read-only SQL on the store (python sqlite3)."""
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % self.store, uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def readings(self, gw):
        """{(meter, point, time): (value, status)} of gw's stored readings."""
        rows = self.query("SELECT s.meter, s.point, r.time_s, r.value, r.status "
                          "FROM readings r JOIN series s ON s.id = r.series "
                          "WHERE s.gateway = ?", (gw,))
        return {(m, p, t): (v, st) for m, p, t, v, st in rows}

    def head(self, gw):
        rows = self.query("SELECT seq FROM chain WHERE gateway = ?", (gw,))
        return rows[0][0] if rows else 0


def committed_polls(P, logs):
    """(meter, time) of every poll the agent runs in logs reported committed
    (gfi-agent --log-level debug: "queued meter=… time=…")."""
    import re
    out = set()
    for log in logs:
        for m in re.finditer(r"queued meter=(\S+) time=(\d+)", P.log(log)):
            out.add((m.group(1), int(m.group(2))))
    return out


def rollup_reference(rows, gauge, max_gap_s=900):
    """The daily rollup of one series recomputed from raw rows [(time, value
    or None)]: {day_s: (count, bad, first_s, first_v, last_s, last_v, min,
    max, integral)}. Days are Asia/Shanghai."""
    days = {}
    for t, v in sorted(rows):
        day = (t + 8 * 3600) // 86400 * 86400 - 8 * 3600
        days.setdefault(day, []).append((t, v))
    out = {}
    for day, rs in days.items():
        good = [(t, v) for t, v in rs if v is not None]
        bad = len(rs) - len(good)
        integral = 0.0
        if gauge:
            for (t0, v0), (t1, v1) in zip(good, good[1:]):
                if t1 - t0 <= max_gap_s:
                    integral += (v0 + v1) / 2.0 * (t1 - t0)
        if good:
            vals = [v for _, v in good]
            out[day] = (len(good), bad, good[0][0], good[0][1], good[-1][0],
                        good[-1][1], min(vals), max(vals), integral)
        else:
            out[day] = (0, bad, None, None, None, None, None, None, 0.0)
    return out


# ---- fault injection (test_faults_*.py) ----

class TcpProxy:
    """A TCP relay 127.0.0.1:port -> 127.0.0.1:target for cutting a link.

    cut("refuse"): every relayed connection is reset and new ones are reset
    on accept, as when a router drops the route. cut("blackhole"): bytes stop
    flowing both ways (discarded) and new connections are accepted but never
    answered, as when a link goes silent; only keepalives notice. restore():
    relaying resumes for new connections; connections that lived through a
    cut are closed (their streams lost bytes)."""

    def __init__(self, target_port):
        import socket
        import threading
        self.target = target_port
        self.mode = "pass"
        self.lock = threading.Lock()
        self.conns = []          # every socket of a live relay or held accept
        self.cuts = 0
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(32)
        self.lsock.settimeout(0.1)
        self.port = self.lsock.getsockname()[1]
        self.closed = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    @staticmethod
    def _reset(s):
        import socket
        import struct
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass

    def _accept_loop(self):
        import socket
        import threading
        while not self.closed:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            mode = self.mode
            if mode == "refuse":
                self._reset(c)
                continue
            if mode == "blackhole":
                with self.lock:
                    self.conns.append(c)
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target), 2)
            except OSError:
                self._reset(c)
                continue
            with self.lock:
                self.conns += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if self.mode != "pass":
                continue          # blackhole: swallowed
            try:
                dst.sendall(data)
            except OSError:
                break
        self._reset(src)
        self._reset(dst)

    def _drop_all(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            self._reset(s)

    def cut(self, mode="refuse"):
        assert mode in ("refuse", "blackhole")
        self.cuts += 1
        self.mode = mode
        if mode == "refuse":
            self._drop_all()

    def restore(self):
        self.mode = "pass"
        self._drop_all()

    def close(self):
        self.closed = True
        self.restore()
        try:
            self.lsock.close()
        except OSError:
            pass
        self.thread.join(2)


class Truth:
    """gfi-meter-sim truth, cached per (meter, second) and fetched in
    parallel (each call is a process)."""

    def __init__(self, sim_config_path):
        self.cfg = sim_config_path
        self.cache = {}

    def prefetch(self, keys, workers=3):
        from concurrent.futures import ThreadPoolExecutor
        todo = sorted(set(k for k in keys if k not in self.cache))
        with ThreadPoolExecutor(workers) as ex:
            for k, v in zip(todo, ex.map(lambda k: sim_truth(self.cfg, k[0], k[1]), todo)):
                self.cache[k] = v

    def at(self, meter, t):
        if (meter, t) not in self.cache:
            self.cache[(meter, t)] = sim_truth(self.cfg, meter, t)
        return self.cache[(meter, t)]


def poll_runs(P, logs):
    """Per agent log (one per process run): sorted poll times the run
    reported committed ("queued meter=… time=…", --log-level debug)."""
    import re
    out = []
    for log in logs:
        try:
            text = P.log(log)
        except OSError:
            text = ""
        out.append(sorted({int(m.group(1)) for m in
                           re.finditer(r"queued meter=\S+ time=(\d+)", text)}))
    return out


FAULT_POINTS = (("import_kwh", "elec_import_kwh"), ("p_total", "elec_power_kw"),
                ("v_l1", "elec_voltage_v"))
FAULT_METERS = (("E1", 1, "eastron-sdm630"), ("E2", 2, "acrel-adl400"))


class FaultRig:
    """The whole path for a fault test: city PKI and broker, a real
    aggregator with the gateway registered, a simulator with two meters,
    and gfi-agent runs (each with its own log) polling every interval_s
    and sending through the broker, or through a TcpProxy (proxy=True).
    check_exact() is the suite's one verdict (see there)."""

    def __init__(self, P, gw, interval_s=1, proxy=False, registered=None,
                 agent_extra=None, uplink_extra=None, seed=5, start_broker=True,
                 all_points=False):
        self.P, self.gw, self.interval_s = P, gw, interval_s
        self.city = City(P)
        self.key, self.crt = self.city.enroll(gw)
        if start_broker:
            self.city.start_broker()
        self.agg = Aggregator(self.city)
        self.agg.register_unit()
        self.agg.register_gateway(gw, self.key, [(m, p, q) for m, _, _ in FAULT_METERS
                                                 for p, q in FAULT_POINTS],
                                  registered=registered)
        self.proxy = TcpProxy(self.city.port) if proxy else None
        sim, listeners, self.sim_cfg = P.start_sim({
            "seed": seed, "profiles_dir": PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": [
                {"id": m, "slave": s, "profile": prof} for m, s, prof in FAULT_METERS]}]})
        self.truth = Truth(self.sim_cfg)
        self.queue_db = os.path.join(P.path("data"), "queue.db")
        up = self.city.uplink_config(self.key, self.crt, batch_readings=60, max_inflight=4,
                                     ack_timeout_s=5, keepalive_s=5, status_interval_s=5,
                                     reconnect_min_ms=200, reconnect_max_ms=1000)
        if self.proxy is not None:
            up["port"] = self.proxy.port
        up.update(uplink_extra or {})
        cfg = {"gateway_id": gw, "data_dir": P.path("data"), "profiles_dir": PROFILES,
               "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                          "port": listeners["t1"]}],
               "meters": [{"id": m, "line": "lan", "slave": s, "profile": prof,
                           "interval_s": interval_s, "timeout_ms": 500,
                           "points": [p for p, _ in FAULT_POINTS]}
                          for m, s, prof in FAULT_METERS],
               "uplink": up}
        # all_points: the meters send every point of their profile (the
        # city registers three; the others stay in the raw batches).
        self.npoints = {m: len(load_profile(prof)["points"]) if all_points
                        else len(FAULT_POINTS) for m, _, prof in FAULT_METERS}
        if all_points:
            for m in cfg["meters"]:
                del m["points"]
        cfg.update(agent_extra or {})
        self.agent_cfg = P.write_json("agent.json", cfg)
        self.agent = None
        self.agent_logs = []
        self.agent_env = None

    def start_agent(self, env=None, preexec_fn=None):
        log = "agent-%d.log" % len(self.agent_logs)
        self.agent_logs.append(log)
        args = [AGENT, "run", "--config", self.agent_cfg, "--log-level", "debug"]
        if preexec_fn is None:
            self.agent = self.P.start(args, log, env=env or self.agent_env)
        else:
            f = open(self.P.path(log), "wb")
            self.agent = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL,
                                          env=env or self.agent_env,
                                          preexec_fn=preexec_fn)
            self.agent.gfi_log, self.agent.gfi_clean_exit = log, True
            self.P.procs.append(self.agent)
        return self.agent

    def wait_polls(self, n=1, timeout=20):
        log = self.agent_logs[-1]
        wait_for(lambda: P_count(self.P, log) >= n, timeout,
                 "%d polls committed in %s" % (n, log), 0.05)

    def kill_agent(self):
        os.kill(self.agent.pid, signal.SIGKILL)
        self.agent.wait()

    def stop_agent_and_drain(self, timeout=40):
        """While the agent still runs, wait until every poll committed up to
        now - 1 s is stored; then stop the agent cleanly (it must exit 0).
        Returns (that time: the end of the checked window, polls missing)."""
        t_to = int(time.time()) - 1
        missing = self.wait_stored(t_to, timeout)
        rc = self.P.stop(self.agent)
        ok(rc == 0, "the agent exits 0 on SIGTERM (rc=%s)" % rc)
        return t_to, missing

    def stored_slots(self):
        return {(m, t) for m, p, t in self.agg.readings(self.gw)}

    def wait_stored(self, t_end, timeout=40):
        """Until every poll any run committed up to t_end is stored."""
        def dropped():
            # The agent's own record of readings its queue dropped.
            import sqlite3
            try:
                con = sqlite3.connect("file:%s?mode=ro" % self.queue_db, uri=True,
                                      timeout=10)
                try:
                    return con.execute("SELECT meter, from_s, to_s FROM gaps").fetchall()
                finally:
                    con.close()
            except sqlite3.Error:
                return []

        def missing():
            polls = set()
            for log in self.agent_logs:
                polls |= committed_polls(self.P, [log])
            held = self.stored_slots()
            gone = dropped()
            return [c for c in polls if c[1] <= t_end and c not in held and
                    not any(m == c[0] and lo <= c[1] <= hi for m, lo, hi in gone)]
        def queued():
            # Readings up to t_end the agent still holds: not yet acked
            # (deleted only after the city stored them), nor dropped.
            import sqlite3
            try:
                con = sqlite3.connect("file:%s?mode=ro" % self.queue_db, uri=True,
                                      timeout=10)
                try:
                    return con.execute("SELECT count(*) FROM readings WHERE time_s <= ?",
                                       (t_end,)).fetchone()[0]
                finally:
                    con.close()
            except sqlite3.Error:
                return 0
        try:
            wait_for(lambda: not missing() and queued() == 0, timeout,
                     "committed polls stored", 0.5)
        except RuntimeError:
            pass
        return missing()

    def queue_gaps(self):
        """Gap events the aggregator holds: [(meter, from, to, count)]."""
        return [tuple(r) for r in self.agg.query(
            "SELECT meter, from_s, to_s, count FROM queue_gaps WHERE gateway = ? "
            "ORDER BY gap_id", (self.gw,))]

    def check_exact(self, t_from, t_to, dead=(), expect_extra=(), gaps=None,
                    extra_points=None):
        """The suite's verdict over the window [t_from, t_to] (epoch s):
        - every poll the agent committed (its debug log) is stored;
        - every poll slot (a multiple of interval_s) of every meter has all
          its points stored, except slots inside a dead window (lo, hi),
          which are exactly the slots no run committed while no agent ran;
        - every stored reading in the window is on a slot, ok, and equals the
          simulator's truth at its time (or the next second: a read that
          started at the end of a second is answered in the next);
        - no reading is in two stored batches (read once, sent once);
        - `gfi-aggregator counts` agrees with the store; nothing quarantined.
        expect_extra: further (meter, time) slots that must be stored
        (a backlog made outside the live window), with extra_points (default
        all three) each equal to the truth at exactly that time, which the
        caller may have put in self.truth.cache.
        gaps: the gap events the gateway reported [(meter, from, to, count)];
        a reading may then be missing only inside a gap event of its meter,
        and per meter the events' counts equal exactly the readings polled
        (committed polls x points) that are in no stored batch."""
        agg, gw, iv = self.agg, self.gw, self.interval_s
        held = agg.readings(gw)
        points = [p for p, _ in FAULT_POINTS]
        meters = [m for m, _, _ in FAULT_METERS]
        polls = set()
        for log in self.agent_logs:
            polls |= committed_polls(self.P, [log])
        slots = {(m, t) for m in meters
                 for t in range((t_from + iv - 1) // iv * iv, t_to + 1, iv)}
        slots |= set(expect_extra)
        excused = {s for s in slots if any(lo < s[1] < hi for lo, hi in dead)}
        def in_gap(m, t):
            return any(gm == m and lo <= t <= hi for gm, lo, hi, n in gaps or ())
        gapped = {s for s in slots if in_gap(*s)}
        extra = set(expect_extra)

        def points_of(slot):
            return extra_points if extra_points and slot in extra else points
        missing = sorted(s for s in slots - excused - gapped
                         if any((s[0], p, s[1]) not in held for p in points_of(s)))
        ok(not missing, "%s: every poll slot in %d..%d stored, all points (%d slots, "
           "%d excused as dead, %d missing: %s)" % (gw, t_from, t_to, len(slots),
                                                  len(excused), len(missing), missing[:5]))
        # A dead window excuses only slots no run committed.
        wrong_excuse = sorted(s for s in excused if s in polls)
        ok(not wrong_excuse, "no committed poll inside a dead window (%s)" % wrong_excuse[:3])
        lost = sorted(c for c in polls if c[1] <= t_to and c not in gapped and
                      any((c[0], p, c[1]) not in held for p in points))
        ok(not lost, "every committed poll is stored (%d lost: %s)" % (len(lost), lost[:4]))
        inwin = [(k, v) for k, v in held.items()
                 if t_from <= k[2] <= t_to or (k[0], k[2]) in expect_extra]
        offgrid = [k for k, v in inwin if k[2] % iv != 0 and (k[0], k[2]) not in expect_extra]
        ok(not offgrid, "every stored reading is on a poll slot (%s)" % offgrid[:3])
        keys = sorted({(k[0], k[2]) for k, v in inwin})
        self.truth.prefetch(keys)
        # The next second only where the second itself does not match.
        self.truth.prefetch([(m, t + 1) for (m, p, t), (v, st) in inwin
                             if (m, t) not in extra and self.truth.at(m, t).get(p) != v])
        bad = []
        for (m, p, t), (v, st) in inwin:
            if (m, t) in extra:
                want = (self.truth.at(m, t).get(p),)
            else:
                want = (self.truth.at(m, t).get(p), self.truth.at(m, t + 1).get(p))
            if st != 0 or v not in want:
                bad.append(((m, p, t), v, st, want))
        ok(not bad, "every stored reading (%d) equals the simulator's truth (%d differ: %s)"
           % (len(inwin), len(bad), bad[:3]))
        sent = []
        for (payload,) in agg.query("SELECT payload FROM batches WHERE gateway = ?", (gw,)):
            b = json.loads(bytes(payload).split(b"\n")[0])
            sent.extend((r["meter"], r["point"], r["time"]) for r in b["readings"])
        ok(len(sent) == len(set(sent)), "no reading in two stored batches (%d, %d distinct)"
           % (len(sent), len(set(sent))))
        registered = [r for r in set(sent) if r[1] in points]
        c = agg.counts()
        ok(c["readings"] == len(held) and c["readings"] == len(registered),
           "counts agree: %d readings counted, %d stored, %d registered in batches"
           % (c["readings"], len(held), len(registered)))
        if gaps is not None:
            for m in meters:
                # Up to t_to, or before a gap event that straddles it (its
                # count covers readings on both sides).
                end = min([lo - 1 for gm, lo, hi, n in gaps if gm == m and lo <= t_to < hi]
                          + [t_to])
                read = self.npoints[m] * len({t for pm, t in polls if pm == m and t <= end})
                got = len({r for r in sent if r[0] == m and r[2] <= end})
                dropped = sum(n for gm, lo, hi, n in gaps if gm == m and hi <= end)
                ok(read - got == dropped,
                   "%s: %d readings read, %d sent, %d reported dropped in gap events"
                   % (m, read, got, dropped))
        ok(c["quarantined_batches"] == 0 and c["quarantined_readings"] == 0,
           "nothing quarantined (%s)" % c)
        return held

    def close(self):
        if self.proxy is not None:
            self.proxy.close()


def P_count(P, log):
    try:
        return P.log(log).count("queued meter=")
    except OSError:
        return 0

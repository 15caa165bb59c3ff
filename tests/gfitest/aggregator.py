"""The real gfi-aggregator in a test: its registry filled through `admin`,
`serve` against the test's broker, its store read with SQL, the GB
32100-2015 credit codes units are registered under, and a reference daily
rollup to check the store's against."""
import json
import os
import signal
import sqlite3
import time

from .paths import AGGREGATOR
from .procs import run_ok, wait_for

_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(first17):
    """first17 plus its GB 32100-2015 check character."""
    s = sum(_CODE_CHARS.index(c) * w for c, w in zip(first17, _CODE_WEIGHTS))
    return first17 + _CODE_CHARS[(31 - s % 31) % 31]


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

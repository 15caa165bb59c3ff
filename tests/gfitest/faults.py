"""Fault injection for test_faults_*.py: a TCP relay that cuts a link
(TcpProxy) and the whole path under test (FaultRig: PKI, broker, a real
aggregator, a simulator with two meters, gfi-agent runs) with the suite's
one verdict, FaultRig.check_exact."""
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import threading
import time

from .agent import P_count, committed_polls
from .aggregator import Aggregator
from .assertions import ok
from .city import City
from .paths import AGENT, PROFILES
from .procs import wait_for
from .sim import Truth, load_profile


class TcpProxy:
    """A TCP relay 127.0.0.1:port -> 127.0.0.1:target for cutting a link.

    cut("refuse"): every relayed connection is reset and new ones are reset
    on accept, as when a router drops the route. cut("blackhole"): bytes stop
    flowing both ways (discarded) and new connections are accepted but never
    answered, as when a link goes silent; only keepalives notice. restore():
    relaying resumes for new connections; connections that lived through a
    cut are closed (their streams lost bytes)."""

    def __init__(self, target_port):
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
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass

    def _accept_loop(self):
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
                 all_points=False, meters=FAULT_METERS):
        self.P, self.gw, self.interval_s = P, gw, interval_s
        self.meters = meters   # (id, slave, profile) of each simulated meter
        self.city = City(P)
        self.key, self.crt = self.city.enroll(gw)
        if start_broker:
            self.city.start_broker()
        self.agg = Aggregator(self.city)
        self.agg.register_unit()
        self.agg.register_gateway(gw, self.key, [(m, p, q) for m, _, _ in self.meters
                                                 for p, q in FAULT_POINTS],
                                  registered=registered)
        self.proxy = TcpProxy(self.city.port) if proxy else None
        sim, listeners, self.sim_cfg = P.start_sim({
            "seed": seed, "profiles_dir": PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": [
                {"id": m, "slave": s, "profile": prof} for m, s, prof in self.meters]}]})
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
                          for m, s, prof in self.meters],
               "uplink": up}
        # all_points: the meters send every point of their profile (the
        # city registers three; the others stay in the raw batches).
        self.npoints = {m: len(load_profile(prof)["points"]) if all_points
                        else len(FAULT_POINTS) for m, _, prof in self.meters}
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
                    extra_points=None, outages=()):
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
        meters = [m for m, _, _ in self.meters]
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
            if st == 3 and any(om == m and lo <= t <= hi for om, lo, hi in outages):
                continue   # comm-error while its link was down: allowed
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

"""Issue 18, a slow-drip slave: behind one Modbus TCP gateway, one slave
answers one byte every 0.45 s (under libmodbus's per-byte timeout). The
per-transaction deadline (agent/deadline.h) ends its reads within its
timeout_ms, so the other meters behind the same gateway keep every poll
slot, and SIGTERM in the middle of it all takes under 5 s.

The gateway is a small Python Modbus TCP server (one thread per
connection, requests served in order as a serial gateway does): units 1
and 2 answer at once with zero registers, unit 3 drips its reply. The same
slave on an RTU line (a Python slave on a socat pty pair): `gfi-agent read`
of it ends at its timeout_ms, not after its reply's last byte."""
import os
import socketserver
import struct
import threading
import time
import tty

import gfitest as g

DRIP_UNIT = 3
DRIP_GAP_S = 0.45
INTERVAL_S = 2
RUN_S = 13


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def reply_for(unit, pdu):
    """The PDU answering a read (zeros), or exception 1 for anything else."""
    fn = pdu[0]
    if fn in (3, 4) and len(pdu) == 5:
        count = struct.unpack(">H", pdu[3:5])[0]
        return bytes([fn, 2 * count]) + bytes(2 * count)
    if fn in (1, 2) and len(pdu) == 5:
        count = struct.unpack(">H", pdu[3:5])[0]
        nbytes = (count + 7) // 8
        return bytes([fn, nbytes]) + bytes(nbytes)
    return bytes([fn | 0x80, 1])


class DripHandler(socketserver.BaseRequestHandler):
    """One gateway connection: requests in order, unit DRIP_UNIT dripped."""

    def handle(self):
        conn, gw = self.request, self.server
        try:
            while not gw.closed:
                head = recv_exact(conn, 7)
                tid, _, length, unit = struct.unpack(">HHHB", head)
                pdu = recv_exact(conn, length - 1)
                if unit in (1, 2, DRIP_UNIT):
                    body = reply_for(unit, pdu)
                else:
                    body = bytes([pdu[0] | 0x80, 0x0B])
                adu = struct.pack(">HHHB", tid, 0, len(body) + 1, unit) + body
                if unit != DRIP_UNIT:
                    conn.sendall(adu)
                    continue
                gw.drips += 1
                for b in adu:           # one byte every 0.45 s
                    conn.sendall(bytes([b]))
                    time.sleep(DRIP_GAP_S)
        except (OSError, ConnectionError):
            pass


class DripGateway(socketserver.ThreadingTCPServer):
    """A Modbus TCP gateway on 127.0.0.1 whose unit DRIP_UNIT drips."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), DripHandler)
        self.port = self.server_address[1]
        self.closed = False
        self.drips = 0
        threading.Thread(target=self.serve_forever, args=(0.2,), daemon=True).start()

    def close(self):
        self.closed = True
        self.shutdown()
        self.server_close()


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


class DripRtuSlave:
    """Slave DRIP_UNIT on the slave end of a pty pair, dripping its reply."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.closed = False
        self.drips = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        buf = b""
        while not self.closed:
            try:
                buf += os.read(self.fd, 256)
            except OSError:
                return
            while len(buf) >= 8:
                req, buf = buf[:8], buf[8:]
                if crc16(req[:6]) != req[6:] or req[0] != DRIP_UNIT:
                    buf = b""             # noise or another slave's request
                    break
                body = bytes([req[0]]) + reply_for(req[0], req[1:6])
                self.drips += 1
                for b in body + crc16(body):
                    if self.closed:
                        return
                    os.write(self.fd, bytes([b]))
                    time.sleep(DRIP_GAP_S)

    def close(self):
        self.closed = True


def rtu_drip_ends_at_the_deadline(P, prof):
    slave_end, agent_end = P.pty_pair("rtu")
    slave = DripRtuSlave(slave_end)
    cfg = P.write_json("rtu.json", {
        "gateway_id": "gw-drip-rtu", "data_dir": P.path("data-rtu"),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "bus", "type": "rtu", "device": agent_end, "baud": 9600}],
        "meters": [dict(id="DRIP", line="bus", slave=DRIP_UNIT, profile=prof,
                        timeout_ms=400, retries=1)]})
    t0 = time.monotonic()
    rc, readings, err = g.agent_read(cfg, "DRIP")
    took = time.monotonic() - t0
    slave.close()
    g.ok(slave.drips >= 1, "the RTU drip slave was asked (%d)" % slave.drips)
    g.ok(took < 3.0, "an RTU read of the drip slave ends at its deadline: "
         "%.2f s for 2 tries of 400 ms (its reply would take minutes)" % took)
    g.ok(rc == 1 and readings and all(r["status"] == "timeout" for r in readings),
         "its points read timeout (rc=%d, %s)" % (rc, {r["status"] for r in readings}))


def main():
    pids = g.profile_ids()
    prof = "eastron-sdm630" if "eastron-sdm630" in pids else pids[0]
    gw = DripGateway()
    with g.Procs() as P:
        rtu_drip_ends_at_the_deadline(P, prof)
        meters = [
            dict(id="A", line="lan", slave=1, profile=prof, interval_s=INTERVAL_S,
                 timeout_ms=1000),
            dict(id="DRIP", line="lan", slave=DRIP_UNIT, profile=prof,
                 interval_s=INTERVAL_S, timeout_ms=400, retries=0),
            dict(id="B", line="lan", slave=2, profile=prof, interval_s=INTERVAL_S,
                 timeout_ms=1000),
        ]
        cfg = P.write_json("agent.json", {
            "gateway_id": "gw-drip", "data_dir": P.path("data"),
            "profiles_dir": g.PROFILES,
            "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                       "port": gw.port}],
            "meters": meters})
        agent = P.start([g.AGENT, "run", "--config", cfg], "agent.log")
        t_start = time.time()
        time.sleep(RUN_S)  # the polling schedule itself is under test
        g.ok(gw.drips >= 2, "the drip slave was asked at least twice (%d)" % gw.drips)
        t_stop, t_stop_w = time.monotonic(), time.time()
        os.kill(agent.pid, 15)
        try:
            rc = agent.wait(30)
        except Exception:
            rc = None
        took = time.monotonic() - t_stop
        gw.close()
        g.ok(rc == 0, "agent exits 0 on SIGTERM (rc=%s)" % rc)
        g.ok(took < 5.0, "SIGTERM with a drip slave on the line takes %.2f s, "
             "under 5 s" % took)

        rows = g.queue_rows(os.path.join(P.path("data"), "queue.db"))
        times = {}
        for r in rows:
            times.setdefault(r["meter"], {}).setdefault(r["time"], set()).add(
                r["status"])
        first = (int(t_start) // INTERVAL_S + 1) * INTERVAL_S
        last = int(t_stop_w) // INTERVAL_S * INTERVAL_S - INTERVAL_S
        slots = list(range(first, last + 1, INTERVAL_S))
        g.ok(len(slots) >= 4, "at least 4 slots in the run (%d)" % len(slots))
        for m in ("A", "B"):
            got = times.get(m, {})
            missing = [t for t in slots if t not in got]
            g.ok(not missing, "meter %s behind the gateway polled in every slot "
                 "%d..%d (missing %s; got %s)" % (m, first, last, missing,
                                                  sorted(got)))
            bad = {t: s for t, s in got.items() if s != {"ok"}}
            g.ok(not bad, "meter %s read ok in every poll (%s)" % (m, bad))
            off = [t for t in got if t % INTERVAL_S]
            g.ok(not off, "meter %s stamped on its grid (%s)" % (m, off))
        drip = times.get("DRIP", {})
        g.ok(len(drip) >= 2, "the drip meter was polled (%s)" % sorted(drip))
        g.ok(all(s == {"timeout"} for s in drip.values()),
             "the drip meter reads timeout, its reply cut at the deadline (%s)"
             % drip)
    g.finish("test_faults_drip")


if __name__ == "__main__":
    main()

"""Slow HTTP clients and timed health checks, for test_security_http.py and
bench/slow_clients.py (issue 18: no client can stall the API).

SlowFlood(port, n) runs n clients, the i-th bound to 127.0.0.(2+i): each
connects, sends the start of a request head and then one more byte of a
header that never ends every `period` seconds; a client whose connection
was closed connects again at its next beat (the stronger attack). It runs in
one thread, bounded by `seconds`, and stops by itself. health_checks(port,
n) asks GET /api/v1/health n times from 127.0.0.1, each on a new
connection, and returns how long each took (None: no answer within the
timeout). exchange(port, data, until) sends raw bytes and reads the answer
up to a marker. start_http(P, name, store, http_cfg) runs `gfi-aggregator
http` on a free port of 127.0.0.1 until it answers.
"""
import socket
import threading
import time

from .paths import AGGREGATOR
from .procs import free_port, wait_for

HEAD = b"GET /api/v1/health HTTP/1.1\r\nHost: gfi\r\nX-Slow: "


class SlowFlood:
    """n slow clients from 127.0.0.2 on; start(), then stop()."""

    def __init__(self, port, n, period=0.5, seconds=120):
        self.port, self.n, self.period, self.seconds = port, n, period, seconds
        self.socks = [None] * n
        self.connects = 0          # connections made, the first ones included
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _connect(self, i):
        s = socket.socket()
        s.setblocking(False)
        s.bind(("127.0.0.%d" % (2 + i), 0))
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        self.socks[i] = [s, HEAD]
        self.connects += 1

    def _beat(self, i):
        """Send the next byte(s); reconnect when the server closed us."""
        if self.socks[i] is None:
            self._connect(i)
            return
        s, pending = self.socks[i]
        try:
            if s.recv(4096, socket.MSG_DONTWAIT) == b"":
                raise ConnectionResetError("closed by the server")
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            self._connect(i)
            return
        try:
            sent = s.send(pending)
            self.socks[i][1] = pending[sent:] or b"a"
        except BlockingIOError:
            pass                   # still connecting
        except OSError:
            s.close()
            self._connect(i)

    def _run(self):
        end = time.monotonic() + self.seconds
        while not self._stop.is_set() and time.monotonic() < end:
            for i in range(self.n):
                self._beat(i)
            self._stop.wait(self.period)

    def open_count(self):
        return sum(1 for x in self.socks if x is not None)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        for x in self.socks:
            if x is not None:
                x[0].close()


def exchange(port, data, until, timeout=10, src="127.0.0.1"):
    """Send bytes data from address src; what comes back until the bytes
    until are in it, the server closes, or timeout s (OSError) pass."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(src, 0)) as s:
        s.settimeout(max(0.01, timeout - (time.monotonic() - t0)))
        s.sendall(data)
        got = b""
        while until not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    return got


def health_once(port, timeout, src="127.0.0.1"):
    """Seconds one GET /api/v1/health took, or None (refused, timed out)."""
    t0 = time.monotonic()
    try:
        data = exchange(port, b"GET /api/v1/health HTTP/1.1\r\nHost: gfi\r\n"
                        b"Connection: close\r\n\r\n", b'"status"', timeout, src)
    except OSError:
        return None
    took = time.monotonic() - t0
    ok = data.startswith(b"HTTP/1.1 200") and b'"status"' in data
    return took if ok and took <= timeout else None


def health_checks(port, n, timeout, spacing=0.25):
    """n health checks spaced by spacing seconds: their durations."""
    out = []
    for _ in range(n):
        out.append(health_once(port, timeout))
        time.sleep(spacing)
    return out


def start_http(P, name, store, http_cfg):
    """gfi-aggregator http on store with the "http" keys http_cfg (bind and
    port set here), log level info, started by Procs P: (process, port)
    once /api/v1/health answers."""
    port = free_port()
    cfg = P.write_json(name + ".json", {
        "store": store, "log_level": "info",
        "http": dict({"bind": "127.0.0.1", "port": port}, **http_cfg)})
    proc = P.start([AGGREGATOR, "http", "--config", cfg], name + ".log")
    wait_for(lambda: health_once(port, 2) is not None, 20, name + " up")
    return proc, port

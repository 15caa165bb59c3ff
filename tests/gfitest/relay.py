"""A serial line at a given baud rate between two ptys, for tests and
benchmarks that must see a real bus's timing (bench/rtu_rate.py,
tests/integration/test_dlt645_vs_sim.py)."""
import heapq
import os
import select
import threading
import time
import tty


class WireRelay:
    """Two pty pairs joined through their masters; every chunk is released
    when its last character would have left a shared half-duplex line."""

    def __init__(self, baud, bits=10):
        self.char_s = bits / baud
        self.ends = []
        self.masters = []
        for _ in range(2):
            m, s = os.openpty()
            tty.setraw(s)     # raw before either process opens its end
            self.masters.append(m)
            self.ends.append((s, os.ttyname(s)))
        self.stop_r, self.stop_w = os.pipe()
        self.bytes = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def paths(self):
        return self.ends[0][1], self.ends[1][1]

    def run(self):
        line_free = 0.0
        pending = []          # (due, order, fd to write, data)
        order = 0
        while True:
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _, _, fd, data = heapq.heappop(pending)
                os.write(fd, data)
            timeout = max(0.0, pending[0][0] - now) if pending else None
            r, _, _ = select.select(self.masters + [self.stop_r], [], [], timeout)
            if self.stop_r in r:
                return
            for k, m in enumerate(self.masters):
                if m not in r:
                    continue
                try:
                    data = os.read(m, 4096)
                except OSError:
                    continue
                t = time.monotonic()
                done = max(t, line_free) + len(data) * self.char_s
                line_free = done + 3.5 * self.char_s
                self.bytes += len(data)
                order += 1
                heapq.heappush(pending, (done, order, self.masters[1 - k], data))

    def close(self):
        os.write(self.stop_w, b"x")
        self.thread.join(5)
        for fd in self.masters + [s for s, _ in self.ends] + [self.stop_r, self.stop_w]:
            os.close(fd)

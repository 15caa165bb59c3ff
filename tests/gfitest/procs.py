"""Processes a test starts: each in its own session with its output in a log
under one temporary directory, stopped by PID at the end (also when the test
fails), plus the small waits and runs every test needs.

Readiness is waited for by polling a condition (wait_for), never by a bare
sleep. Servers bind 127.0.0.1 on a port from free_port().
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from .assertions import check
from .paths import SIM


def wait_for(pred, timeout, what, step=0.02):
    """Poll pred() until true or timeout seconds; raise naming what."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise RuntimeError("timed out waiting for " + what)


def run_ok(args, timeout=60):
    """Run args to the end; its stdout, or RuntimeError with both streams."""
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s %s" % (" ".join(args), r.returncode,
                                                     r.stdout, r.stderr))
    return r.stdout


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


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

    def _stop_all(self):
        """Stop every process; the unclean exits of those that must exit 0."""
        unclean = []
        for p in reversed(self.procs):
            running = p.poll() is None
            rc = self.stop(p)
            if running and p.gfi_clean_exit and rc != 0:
                unclean.append("%s exits 0 on SIGTERM (rc=%s): %s" %
                               (p.args[0], rc, self.log(p.gfi_log)[-2000:]))
        return unclean

    def close(self, failed=False):
        """Stop everything, then assert every clean_exit process exited 0.
        The directory is removed unless the test failed or GFI_KEEP_TMP."""
        unclean = self._stop_all()
        if failed or unclean or os.environ.get("GFI_KEEP_TMP") is not None:
            print("kept " + self.tmp, flush=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if failed:
            for u in unclean:          # the test's own failure propagates
                print("FAIL: " + u, flush=True)
            return
        check(not unclean, "; ".join(unclean))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        # finish() inside the block exits 0: not a failure.
        passed = exc_type is None or (issubclass(exc_type, SystemExit)
                                      and exc.code in (0, None))
        self.close(failed=not passed)
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

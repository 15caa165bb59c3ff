"""gfi-agent's side: one-shot reads, its queue database, and what its debug
log says it committed ("queued meter=… time=…")."""
import json
import re
import sqlite3
import subprocess

from .paths import AGENT


def agent_read(config_path, meter=None, extra=()):
    args = [AGENT, "read", "--config", config_path]
    if meter:
        args += ["--meter", meter]
    args += list(extra)
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    readings = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return r.returncode, readings, r.stderr


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


def committed_polls(P, logs):
    """(meter, time) of every poll the agent runs in logs reported committed
    (gfi-agent --log-level debug: "queued meter=… time=…")."""
    out = set()
    for log in logs:
        for m in re.finditer(r"queued meter=(\S+) time=(\d+)", P.log(log)):
            out.add((m.group(1), int(m.group(2))))
    return out


def poll_runs(P, logs):
    """Per agent log (one per process run): sorted poll times the run
    reported committed ("queued meter=… time=…", --log-level debug)."""
    out = []
    for log in logs:
        try:
            text = P.log(log)
        except OSError:
            text = ""
        out.append(sorted({int(m.group(1)) for m in
                           re.finditer(r"queued meter=\S+ time=(\d+)", text)}))
    return out


def P_count(P, log):
    try:
        return P.log(log).count("queued meter=")
    except OSError:
        return 0

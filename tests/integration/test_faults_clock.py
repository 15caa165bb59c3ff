"""Fault suite (issue 7): the gateway's wall clock stepped back an hour
while the agent runs, then forward again.

How the step is made without root: libfaketime (Debian package faketime),
its thread-safe variant libfaketimeMT (the agent reads the clock from several
threads; with the plain one, reads racing the offset file's re-read sometimes
returned the true time mid-step in a Release build), is preloaded into
gfi-agent only, with FAKETIME_TIMESTAMP_FILE (re-read at every
call: FAKETIME_NO_CACHE=1) whose offset the test rewrites at run time, and
FAKETIME_DONT_FAKE_MONOTONIC=1, so CLOCK_MONOTONIC stays true as it does on a
real machine whose clock is stepped. Under AddressSanitizer the ASan runtime
must come first in LD_PRELOAD; it is taken from the agent's own `ldd`. The
simulator, broker and aggregator keep the true clock.

Expected agent behaviour (agent.c, "Time"): readings keep the true time
from the monotonic-anchored clock while the wall clock is behind, the poll
schedule does not wait out the hour, one warning is logged, the status
carries clock_behind_s; when the wall clock is right again the agent follows
it. The verdict is FaultRig.check_exact over the whole run: every slot of
the true clock stored once with the simulator's value at that true time
(a reading stamped an hour early would be missing from its slot, off the
window and unequal to the truth)."""
import os
import re
import subprocess
import time

import gfitest as g

GW = "gw-fault-clock"
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"  # for threads


def preload():
    libs = []
    out = subprocess.run(["ldd", g.AGENT], capture_output=True, text=True).stdout
    m = re.search(r"(\S*libasan\.so\.\d+) => (\S+)", out)
    if m:
        libs.append(m.group(2))   # the ASan runtime must be first
    libs.append(FAKETIME)
    return ":".join(libs)


def main():
    with g.Procs() as P:
        if not os.path.exists(FAKETIME):
            g.ok(False, "libfaketime is installed (%s; scripts/setup.sh)" % FAKETIME)
            g.finish("faults_clock")
        offset = P.path("faketime.offset")
        with open(offset, "w") as f:
            f.write("+0\n")
        rig = g.FaultRig(P, GW)
        env = dict(os.environ, LD_PRELOAD=preload(), FAKETIME_TIMESTAMP_FILE=offset,
                   FAKETIME_NO_CACHE="1", FAKETIME_DONT_FAKE_MONOTONIC="1")
        rig.agg.start()
        rig.start_agent(env=env)
        rig.wait_polls(4)
        t_from = g.poll_runs(P, rig.agent_logs)[0][0]
        g.wait_for(lambda: rig.agg.head(GW) >= 1, 20, "first batch stored", 0.1)
        # Step back an hour (atomically: the agent re-reads the file).
        with open(offset + ".tmp", "w") as f:
            f.write("-3600\n")
        os.rename(offset + ".tmp", offset)
        t_step = time.time()
        time.sleep(8)
        with open(offset + ".tmp", "w") as f:
            f.write("+0\n")
        os.rename(offset + ".tmp", offset)
        time.sleep(3)
        log = P.log(rig.agent_logs[-1])
        g.ok(log.count("wall clock stepped back") == 1,
             "the agent warned once about the step (%d)" % log.count("wall clock stepped back"))
        g.ok("wall clock caught up" in log, "and noticed the wall clock caught up")
        m = re.search(r"wall clock stepped back: by=(\d+)s", log)
        g.ok(m is not None and 3590 <= int(m.group(1)) <= 3610,
             "the step measured an hour (%s)" % (m.group(1) if m else None))
        polls = g.poll_runs(P, rig.agent_logs)[0]
        during = [t for t in polls if t_step + 1 < t < t_step + 7]
        g.ok(len(during) >= 4, "polls went on during the step, on the true clock (%d)"
             % len(during))
        early = [t for t in polls if t < t_from]
        g.ok(not early, "no reading stamped before the run began (%s)" % early[:3])
        # The status carrying clock_behind_s is accepted, not ignored.
        st = rig.agg.query("SELECT state FROM gateway_status WHERE gateway = ?", (GW,))
        g.ok(st and st[0][0] == "online" and "status ignored" not in rig.agg.log(),
             "the aggregator keeps the gateway's status during the step (%s)" % st)
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll reached the store (%d missing)" % len(lost))
        rig.check_exact(t_from, t_to)
        stored = rig.agg.readings(GW)
        g.ok(min(k[2] for k in stored) >= t_from, "the store holds nothing from the wrong hour")
        rig.close()
    g.finish("faults_clock")


if __name__ == "__main__":
    main()

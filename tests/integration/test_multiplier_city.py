"""The multiplier change end to end at the city (issue 19, acceptance 3).

A real broker, aggregator, gfi-agent and simulator (gfitest.FaultRig): one
Acrel ADL400 on Modbus TCP polled every second, its import_kwh registered
at the city as purchased electricity. It runs with no ratios (x 1); then
its config gets ct_ratio 40 x pt_ratio 5 (multiplier 200 on the ct_pt
points, 5 on the pt point) and the agent is sent SIGHUP; it runs on, stops,
and every committed poll is stored. Then:

1. every stored reading is the simulator's register (`gfi-meter-sim truth`)
   x 1 before the change and x the point's factor from it on (import_kwh
   and p_total x 200, v_l1 x 5);
2. the batch carrying the counter event reaches the city, is stored and
   acked (the agent's queue drains, its multiplier state holds no event);
3. the city registered one replacement at the change: old_final = the
   register there, new_initial = 200 x it, the reading at that second;
4. the event sent again (the agent restarted before it marked the event
   sent: its state file is given the event back, as a crash between storing
   the batch and marking it leaves it) reaches the city in a second batch
   and is not registered twice;
5. the period total the city computes (`gfi-aggregator indicators`,
   elec_kwh of the unit, over the months the readings touch) equals the
   hand computation from the simulator's truth,
       (R(t_change) - R(t0)) x 1 + (R(t1) - R(t_change)) x 200,
   t0 and t1 the first and last stored reading, within the register's
   resolution (0.01 kWh). Without the replacement the city would count the
   jump at the change, some 199 x 269000 kWh.
A reading's R is the register at its second, or at the next one where a
read that started at the end of a second was answered in the next (the
check FaultRig.check_exact makes)."""
import json
import math
import os
import re
import signal
import sqlite3
import time

import gfitest as g

GW = "gw-mult-city"
METER, SLAVE, PROFILE = "E1", 1, "acrel-adl400"
CT, PT = 40, 5
RESOLUTION_KWH = 0.01          # the profile's import_kwh scale
EVENT_RE = re.compile(r"multiplier changed: meter=E1 point=import_kwh time=(\d+) "
                      r"old_final=(\S+) new_initial=(\S+)")


def factor_after(point):
    """The point's factor under CT x PT, by the profile's ratio mark."""
    ratio = {p["name"]: p.get("ratio") for p in g.load_profile(PROFILE)["points"]}
    return {"ct_pt": CT * PT, "ct": CT, "pt": PT}.get(ratio[point], 1)


def change_ratios(rig):
    """Give the meter CT 40 x PT 5 in the agent's config and reload it."""
    with open(rig.agent_cfg) as f:
        cfg = json.load(f)
    cfg["meters"][0].update(ct_ratio=CT, pt_ratio=PT)
    with open(rig.agent_cfg, "w") as f:
        json.dump(cfg, f, indent=1)
    os.kill(rig.agent.pid, signal.SIGHUP)


def register_of(rig, point, t, value, factor):
    """(second, register) of the truth at t or t + 1 that factor x register
    equals value, or None."""
    for s in (t, t + 1):
        reg = rig.truth.at(METER, s)[point]
        if value == factor * reg:
            return s, reg
    return None


def check_readings(rig, t_change):
    """Every stored reading of the meter is its register x 1 before t_change
    and x the point's factor from it on. {time: register} of import_kwh."""
    held = rig.agg.readings(GW)
    rig.truth.prefetch([(METER, t + k) for (_, _, t) in held for k in (0, 1)])
    bad, import_reg = [], {}
    for (m, p, t), (v, st) in sorted(held.items()):
        factor = factor_after(p) if t >= t_change else 1
        hit = register_of(rig, p, t, v, factor) if st == 0 else None
        if hit is None:
            bad.append((p, t, v, st, factor, rig.truth.at(METER, t)[p]))
        elif p == "import_kwh":
            import_reg[t] = hit[1]
    g.ok(held and not bad, "%d stored readings are the register x 1 before %d and x "
         "200 (import_kwh, p_total) or x 5 (v_l1) from it on (%d differ: %s)"
         % (len(held), t_change, len(bad), bad[:3]))
    before = [t for t in import_reg if t < t_change]
    g.ok(len(before) >= 3 and len(import_reg) - len(before) >= 3,
         "import_kwh stored on both sides of the change (%d before, %d from it)"
         % (len(before), len(import_reg) - len(before)))
    return import_reg


def batches_with_events(rig):
    """[(seq, events)] of the city's stored batches that carry events."""
    out = []
    for seq, payload in rig.agg.query("SELECT seq, payload FROM batches WHERE "
                                      "gateway = ? ORDER BY seq", (GW,)):
        b = json.loads(bytes(payload).split(b"\n")[0])
        if "events" in b:
            out.append((seq, b["events"]))
    return out


def check_acked(rig, seq):
    """The agent's queue holds no batch up to seq: the city acked it."""
    con = sqlite3.connect("file:%s?mode=ro" % rig.queue_db, uri=True, timeout=10)
    try:
        acked = con.execute("SELECT acked_seq FROM chain").fetchone()[0]
        left = con.execute("SELECT count(*) FROM batches WHERE seq <= ?",
                           (seq,)).fetchone()[0]
    finally:
        con.close()
    g.ok(acked >= seq and left == 0, "the agent's queue drained past seq %d "
         "(acked %d, %d such batches left)" % (seq, acked, left))


def state_file(rig):
    return os.path.join(rig.P.path("data"), "multipliers.json")


def check_state_sent(rig):
    with open(state_file(rig)) as f:
        state = json.load(f)
    g.ok(state["events"] == [] and state["meters"][METER] == {"ct_ratio": CT,
                                                              "pt_ratio": PT},
         "the agent's multiplier state holds CT x PT and no event left: %s" % state)


def replacements(rig):
    """The gateway's replacement rows, read from the store: `admin
    replacement list` prints numbers with %.15g, and 200 x a register needs
    all 17 digits."""
    cols = ("meter", "point", "time_s", "old_final", "new_initial")
    return [dict(zip(cols, r)) for r in rig.agg.query(
        "SELECT %s FROM replacements WHERE gateway = ? ORDER BY time_s"
        % ", ".join(cols), (GW,))]


def check_replacement(rig, t_change, register):
    """One replacement row: at t_change, register x 1 -> register x 200."""
    reps = replacements(rig)
    g.ok(len(reps) == 1, "one replacement registered (%s)" % reps)
    r = reps[0]
    stored = rig.agg.readings(GW)[(METER, "import_kwh", t_change)][0]
    g.ok(r["meter"] == METER and r["point"] == "import_kwh" and r["time_s"] == t_change
         and math.isclose(r["old_final"], register, rel_tol=1e-12)
         and r["new_initial"] == 200 * register == stored,
         "replacement at %d: old_final %r = register %r, new_initial %r = 200 x it = "
         "the reading there %r" % (t_change, r["old_final"], register,
                                   r["new_initial"], stored))


def first_run(P, rig):
    """Run x 1, change to CT x PT, run on; drained. (t_change, event)."""
    rig.start_agent()
    rig.wait_polls(8)
    change_ratios(rig)
    m = g.wait_for(lambda: EVENT_RE.search(P.log(rig.agent_logs[-1])), 20,
                   "the multiplier change marked")
    t_change = int(m.group(1))
    g.wait_for(lambda: "multiplier events reported" in P.log(rig.agent_logs[-1]), 20,
               "a batch with the event made")
    n = g.P_count(P, rig.agent_logs[-1])
    rig.wait_polls(n + 5)
    _, missing = rig.stop_agent_and_drain()
    g.ok(not missing, "every committed poll is stored (%d missing)" % len(missing))
    return t_change, (float(m.group(2)), float(m.group(3)))


def check_event_delivered(rig, t_change, logged):
    sent = batches_with_events(rig)
    g.ok(len(sent) == 1 and len(sent[0][1]) == 1, "one stored batch carries one event "
         "(%s)" % sent)
    seq, (ev,) = sent[0]
    g.ok(ev["kind"] == "multiplier" and ev["meter"] == METER and
         ev["point"] == "import_kwh" and ev["time"] == t_change and
         (ev["old_final"], ev["new_initial"]) == logged,
         "batch %d's event is the one the agent logged: %s" % (seq, ev))
    check_acked(rig, seq)
    check_state_sent(rig)
    c = rig.agg.counts()
    g.ok(c["quarantined_batches"] == 0 and c["quarantined_readings"] == 0,
         "nothing quarantined: the aggregator parses events (%s)" % c)
    return ev


def resend_event(P, rig, ev):
    """The agent restarted before it marked ev sent: its state gets ev back;
    the next run sends it again; the city keeps one replacement."""
    with open(state_file(rig)) as f:
        state = json.load(f)
    state["events"] = [{k: ev[k] for k in ("id", "meter", "point", "time",
                                           "old_final", "new_initial")}]
    with open(state_file(rig), "w") as f:
        json.dump(state, f)
    rig.start_agent()
    g.wait_for(lambda: "multiplier events reported" in P.log(rig.agent_logs[-1]), 20,
               "the event sent again")
    rig.wait_polls(3)
    _, missing = rig.stop_agent_and_drain()
    g.ok(not missing, "second run: every committed poll is stored (%d missing)"
         % len(missing))
    sent = batches_with_events(rig)
    g.ok(len(sent) == 2 and sent[1][1] == [ev], "a second batch (seq %s) carried the "
         "same event to the city" % [s for s, _ in sent])
    check_acked(rig, sent[1][0])
    check_state_sent(rig)
    registered = rig.agg.log().count("multiplier change registered")
    g.ok(registered == 1, "the city logged the registration once (%d)" % registered)


def shanghai_month(t):
    """(year, month) of epoch t in Asia/Shanghai (UTC+8, no DST)."""
    lt = time.gmtime(t + 8 * 3600)
    return lt.tm_year, lt.tm_mon


def city_total(rig, t0, t1):
    """elec_kwh the city computes, summed over the months [t0, t1] touches."""
    total = 0.0
    for y, m in sorted({shanghai_month(t0), shanghai_month(t1)}):
        out = g.run_ok([g.AGGREGATOR, "indicators", "--store", rig.agg.store,
                        "--unit", rig.agg.unit, "--year", str(y), "--month", str(m),
                        "--json"])
        ind = json.loads(out)
        total += ind["indicators"]["elec_kwh"]["value"]
    return total


def check_period_total(rig, t_change, register):
    """The city's total equals the hand computation from the truth."""
    t0, t1 = min(register), max(register)
    hand = ((register[t_change] - register[t0]) * 1 +
            (register[t1] - register[t_change]) * 200)
    city = city_total(rig, t0, t1)
    what = ("period total %d..%d: the city's %.6f kWh = (R(%d) %.2f - R(%d) %.2f) x 1 + "
            "(R(%d) %.2f - R(%d) %.2f) x 200 = %.6f kWh, within %.2f kWh"
            % (t0, t1, city, t_change, register[t_change], t0, register[t0], t1,
               register[t1], t_change, register[t_change], hand, RESOLUTION_KWH))
    print(what, flush=True)
    g.ok(abs(city - hand) <= RESOLUTION_KWH, what)


def main():
    with g.Procs() as P:
        rig = g.FaultRig(P, GW, meters=((METER, SLAVE, PROFILE),))
        rig.agg.admin("meter", "change", "--gateway", GW, "--meter", METER,
                      "--point", "import_kwh", "--role", "elec_purchased")
        rig.agg.start()
        t_change, logged = first_run(P, rig)
        register = check_readings(rig, t_change)
        ev = check_event_delivered(rig, t_change, logged)
        check_replacement(rig, t_change, register[t_change])
        resend_event(P, rig, ev)
        check_replacement(rig, t_change, register[t_change])
        register = check_readings(rig, t_change)
        check_period_total(rig, t_change, register)
        rig.close()
    g.finish("multiplier_city")


if __name__ == "__main__":
    main()

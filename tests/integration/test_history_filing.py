"""Issue 17 acceptance 4, real binaries: sim -> gfi-agent -> Mosquitto
(mutual TLS) -> gfi-aggregator.

The unit's current year is filed (`gfi-aggregator filing`) while its
gateway keeps sending: the filing keeps a snapshot of the filed table (the
JSON `report` wrote for the unit then, byte for byte, with its SHA-256);
readings arriving afterwards for the filed year are stored, marked late
(one mark per reading stored after the filing) and alerted
(late_for_filed, with the filed and the current 综合能耗); the snapshot is
unchanged although the table computed now differs, and the evidence pack
carries it as filing.json."""
import hashlib
import json
import os
import subprocess
import time

import gfitest as g
import history_common

GW = "gw-filing-1"


def main():
    with g.Procs() as P:
        city, key, crt, agg = history_common.city_with_gateway(
            P, GW, [("E1", "import_kwh", "elec_import_kwh")])
        agg.admin("meter", "change", "--gateway", GW, "--meter", "E1", "--point",
                  "import_kwh", "--role", "elec_purchased", "--carrier", "electricity")
        agg.start()
        cfg = history_common.agent_config(P, city, GW, key, crt,
                                          history_common.start_sim(P, 11), "f",
                                          ["import_kwh"])
        agent = P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"],
                        "agent.log")
        g.wait_for(lambda: agg.head(GW) >= 3, 60, "3 batches", step=0.3)
        year = time.gmtime(time.time() + 8 * 3600).tm_year
        g.run_ok([g.AGGREGATOR, "filing", "--store", agg.store, "--unit", agg.unit,
                  "--year", str(year), "--by", "Li Wei"])
        snap = agg.query("SELECT bytes, sha256, filed_s, energy_tce FROM filing_snapshots "
                         "WHERE unit = ? AND year = ?", (agg.unit, year))
        g.ok(len(snap) == 1, "filing keeps one snapshot: %d" % len(snap))
        body, sha, filed_s, filed_energy = snap[0]
        body = bytes(body)
        g.ok(hashlib.sha256(body).hexdigest() == sha, "the snapshot's SHA-256 is kept")
        table = json.loads(body)
        g.ok(agg.unit in body.decode(), "the snapshot is the unit's table: %s"
             % list(table)[:4])
        stored_at_filing = agg.query(
            "SELECT count(*) FROM readings r JOIN series s ON s.id = r.series "
            "WHERE s.gateway = ?", (GW,))[0][0]
        head_at_filing = agg.head(GW)
        g.wait_for(lambda: agg.head(GW) >= head_at_filing + 3, 60, "3 late batches",
                   step=0.3)
        P.stop(agent)
        stored = agg.query("SELECT count(*) FROM readings r JOIN series s ON "
                           "s.id = r.series WHERE s.gateway = ?", (GW,))[0][0]
        late = agg.query("SELECT count(*), min(received_s) FROM late_readings "
                         "WHERE unit = ? AND year = ?", (agg.unit, year))[0]
        g.ok(stored > stored_at_filing, "late readings are stored (%d, %d at the filing)"
             % (stored, stored_at_filing))
        g.ok(late[0] >= stored - stored_at_filing - 4 and late[0] <= stored - stored_at_filing
             and late[1] >= filed_s,
             "each reading stored after the filing is marked late (%d marks, %d stored "
             "after)" % (late[0], stored - stored_at_filing))
        alerts = agg.query("SELECT value, threshold, detail FROM alerts WHERE unit = ? "
                           "AND rule = 'late_for_filed' AND period = ?",
                           (agg.unit, str(year)))
        g.ok(len(alerts) == 1, "late_for_filed is raised once: %s" % alerts)
        value, threshold, detail = alerts[0]
        g.ok(threshold == filed_energy and value is not None and value >= threshold,
             "the alert carries the filed (%s) and the current (%s) value" % (threshold, value))
        g.ok("filed" in detail and "now" in detail, "its detail says both: %s" % detail)
        again = agg.query("SELECT bytes, sha256 FROM filing_snapshots WHERE unit = ? AND "
                          "year = ?", (agg.unit, year))
        g.ok(len(again) == 1 and bytes(again[0][0]) == body and again[0][1] == sha,
             "the filed snapshot is unchanged byte for byte")
        out = P.path("now.json")
        g.run_ok([g.AGGREGATOR, "report", "--store", agg.store, "--year", str(year),
                  "--unit", agg.unit, "--format", "json", "--out", out])
        g.ok(open(out, "rb").read() != body, "while the table computed now differs")
        pack = P.path("pack")
        g.run_ok([g.AGGREGATOR, "evidence", "--store", agg.store, "--unit", agg.unit,
                  "--year", str(year), "--out", pack])
        g.ok(open(os.path.join(pack, "filing.json"), "rb").read() == body,
             "the evidence pack carries the table as filed")
        r = subprocess.run(["sh", os.path.join(pack, "verify.sh")], capture_output=True,
                           text=True)
        g.ok(r.returncode == 0, "and verifies: %s" % r.stdout.strip())
    g.finish("history_filing")


if __name__ == "__main__":
    main()

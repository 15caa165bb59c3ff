"""Issue 17 acceptance 2 and 5, real binaries: sim -> gfi-agent -> Mosquitto
(mutual TLS) -> gfi-aggregator.

2. A gateway's key is rotated (`admin gateway change --pubkey`, a new key
   and certificate for the same gateway id): every earlier batch still
   verifies (`verify-batch` for each seq, the spot check's chain, the
   evidence pack), the batches after it verify with the new key, the key
   history lists both with the old one revoked at the new one's seq, and a
   batch signed with the old key after its revocation is refused.
5. The evidence pack's verify.sh, run in an otherwise empty directory,
   passes; it fails after one flipped byte in any batch (.json or .sig) or
   key, and passes again once the byte is restored."""
import os
import re
import shutil
import subprocess
import time

import gfitest as g
import history_common

GW = "gw-keys-1"
REGISTERED = [("E1", "import_kwh", "elec_import_kwh"), ("E1", "p_total", "elec_power_kw")]


def agent_config(P, city, key, crt, port, name):
    return history_common.agent_config(P, city, GW, key, crt, port, name,
                                       ["import_kwh", "p_total"])


def agg_run(args):
    return subprocess.run([g.AGGREGATOR] + args, capture_output=True, text=True)


def run_until(P, cfg, log, pred, what):
    P.stop(history_common.run_agent(P, cfg, log, pred, what))


def flip(path, at):
    data = bytearray(open(path, "rb").read())
    data[at] ^= 0x01
    open(path, "wb").write(bytes(data))


def verify_sh(pack):
    return subprocess.run(["sh", os.path.join(pack, "verify.sh")], capture_output=True,
                          text=True, cwd="/", env={"PATH": os.environ["PATH"]})


def check_flips(P, pack, files):
    """verify.sh fails after one flipped byte in each file, passes after."""
    for rel in files:
        path = os.path.join(pack, rel)
        at = os.path.getsize(path) // 2
        flip(path, at)
        r = verify_sh(pack)
        g.ok(r.returncode == 1 and "FAIL" in r.stdout,
             "one flipped byte in %s fails verify.sh: %s" % (rel, r.stdout.strip()[-200:]))
        flip(path, at)
    r = verify_sh(pack)
    g.ok(r.returncode == 0, "restored, verify.sh passes again: %s" % r.stdout.strip())


def main():
    with g.Procs() as P:
        city, key1, crt1, agg = history_common.city_with_gateway(
            P, GW, REGISTERED)
        agg.admin("meter", "change", "--gateway", GW, "--meter", "E1", "--point",
                  "import_kwh", "--role", "elec_purchased", "--carrier", "electricity")
        agg.start()
        port = history_common.start_sim(P, 9)
        cfg1 = agent_config(P, city, key1, crt1, port, "k1")
        run_until(P, cfg1, "agent1.log", lambda: agg.head(GW) >= 3, "3 batches, key 1")
        h1 = agg.head(GW)

        # The box is replaced: a new key and certificate for the same id.
        os.rename(P.path("gw-" + GW), P.path("gw-%s-old" % GW))
        key1 = os.path.join(P.path("gw-%s-old" % GW), "gw.key")
        crt1 = os.path.join(P.path("gw-%s-old" % GW), "gw.crt")
        key2, crt2 = city.enroll(GW)
        pub2 = P.path("pub2.pem")
        g.run_ok(["openssl", "ec", "-in", key2, "-pubout", "-out", pub2])
        agg.admin("gateway", "change", "--id", GW, "--pubkey", pub2, "--by", "inspector-li")
        keys = agg.query("SELECT n, from_seq, revoked_seq, added_by FROM gateway_keys "
                         "WHERE gateway = ? ORDER BY n", (GW,))
        g.ok(keys == [(1, 1, h1 + 1, "registry"), (2, h1 + 1, 0, "inspector-li")],
             "the key history keeps both keys, the old revoked at seq %d: %s"
             % (h1 + 1, keys))
        cfg2 = agent_config(P, city, key2, crt2, port, "k2")
        run_until(P, cfg2, "agent2.log", lambda: agg.head(GW) >= h1 + 3,
                  "3 more batches, key 2")
        h2 = agg.head(GW)
        bad = [seq for seq in range(1, h2 + 1)
               if agg_run(["verify-batch", "--store", agg.store, "--gateway", GW,
                           "--seq", str(seq)]).returncode != 0]
        g.ok(not bad, "verify-batch verifies every batch 1..%d across the rotation (%s)"
             % (h2, bad))
        at = agg.query("SELECT r.time_s, r.value FROM readings r JOIN series s ON "
                       "s.id = r.series WHERE s.gateway = ? AND s.point = 'import_kwh' "
                       "ORDER BY r.time_s LIMIT 1 OFFSET 3", (GW,))[0]
        r = agg_run(["spotcheck", "--store", agg.store, "--meter", "%s/E1/import_kwh" % GW,
                     "--at", str(at[0]), "--reading", repr(at[1]), "--inspector", "li"])
        g.ok(r.returncode == 0 and "chain_ok: 1" in r.stdout,
             "the spot check's chain verifies across the rotation: %s%s"
             % (r.stdout, r.stderr))

        # The old key after its revocation: refused.
        q0 = agg.counts()["quarantined_batches"]
        run_until(P, agent_config(P, city, key1, crt1, port, "k1old"), "agent3.log",
                  lambda: agg.counts()["quarantined_batches"] > q0,
                  "a batch signed with the old key")
        reasons = [x for (x,) in agg.query("SELECT reason FROM quarantine")]
        g.ok(reasons and all(x.startswith("signature: does not verify") for x in reasons),
             "a batch signed with the revoked key is refused: %s" % reasons[:1])
        g.ok(agg.head(GW) == h2, "and not stored (head %d)" % agg.head(GW))

        # The evidence pack.
        year = time.gmtime(time.time() + 8 * 3600).tm_year
        pack = P.path("pack")
        r = agg_run(["evidence", "--store", agg.store, "--unit", agg.unit, "--year",
                     str(year), "--out", pack])
        g.ok(r.returncode == 0 and ("batches=%d" % h2) in r.stdout,
             "evidence writes the pack: %s%s" % (r.stdout, r.stderr))
        empty = P.path("elsewhere")
        os.makedirs(empty)
        moved = os.path.join(empty, "pack")
        shutil.copytree(pack, moved)
        r = verify_sh(moved)
        g.ok(r.returncode == 0 and ("%d batches, 2 keys" % h2) in r.stdout,
             "verify.sh passes in an empty directory: %s%s" % (r.stdout, r.stderr))
        index = [l.split() for l in open(os.path.join(moved, "batches.txt"))]
        g.ok([l[3] for l in index] ==
             ["%s.1.pem" % GW] * h1 + ["%s.2.pem" % GW] * (h2 - h1),
             "each batch names the key valid for it")
        trail = open(os.path.join(moved, "trail.csv")).read().splitlines()
        g.ok(len(trail) == 2 and trail[1].startswith("%s,E1,import_kwh," % GW),
             "the trail has the metered counter row: %s" % trail)
        first, last = index[0][5], index[-1][5]
        check_flips(P, moved, [first + ".json", last + ".json", last + ".sig",
                               "keys/%s.1.pem" % GW, "keys/%s.2.pem" % GW])
        r = agg_run(["evidence", "--store", agg.store, "--unit", agg.unit, "--year",
                     str(year), "--out", pack])
        g.ok(r.returncode == 2 and r.stderr.startswith("--out:"),
             "an existing --out is refused: %s" % r.stderr)
    g.finish("history_keys_evidence")


if __name__ == "__main__":
    main()

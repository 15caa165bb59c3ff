"""Evidence pack verification time (issue 17): how long the pack's
verify.sh (sh and openssl alone) takes per one-minute batch, extrapolated
to a year of one-minute batches (525600), against the floor of the same
check: one bare `openssl dgst -verify` per batch in a plain sh loop.

GFI_BENCH_EVIDENCE_BATCHES chained batches (default 400) of one gateway,
each with two readings as an agent sends them, are signed with openssl and
laid out as `gfi-aggregator evidence` lays them out; verify.sh is the one a
real `evidence` run writes (on a store holding the unit alone). Rounds
alternate the two sides (bench/abab.py). Prints each round, the medians,
the ratio verify.sh / bare loop, and the extrapolated year: a measurement
of a smaller count, extrapolated linearly (both sides are one openssl
process per batch plus one hash per directory of 1000)."""
import abab
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
YEAR_BATCHES = 525600
UNIT = "91350100M000100Y43"
GW = "gw-bench"


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        print("%s failed: %s%s" % (args[0], r.stdout, r.stderr))
        sys.exit(1)
    return r


def real_verify_sh(tmp):
    """verify.sh as `gfi-aggregator evidence` writes it."""
    store = os.path.join(tmp, "store.db")
    adm = [AGG, "admin", "--store", store]
    run(adm + ["county", "add", "--code", "350102", "--name", "Gulou"])
    run(adm + ["unit", "add", "--code", UNIT, "--name", "Bench", "--kind", "factory",
               "--county", "350102", "--level", "city", "--year", "2024"])
    out = os.path.join(tmp, "empty-pack")
    run([AGG, "evidence", "--store", store, "--unit", UNIT, "--year", "2025",
         "--out", out])
    return open(os.path.join(out, "verify.sh")).read()


def make_pack(tmp, n):
    """A pack of n chained one-minute batches of GW: its directory."""
    pack = os.path.join(tmp, "pack")
    key = os.path.join(tmp, "gw.key")
    os.makedirs(os.path.join(pack, "keys"))
    run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key])
    pem = os.path.join(pack, "keys", GW + ".1.pem")
    run(["openssl", "ec", "-in", key, "-pubout", "-out", pem])
    digest = hashlib.sha256(open(pem, "rb").read()).hexdigest()
    with open(os.path.join(pack, "keys.txt"), "w") as f:
        f.write("%s.1.pem %s %s - 1 - 0 1735660800 registry\n" % (GW, digest, GW))
    prev, t0 = "0" * 64, 1735660800
    index = []
    for seq in range(1, n + 1):
        t = t0 + 60 * seq
        body = ('{"v":1,"gateway":"%s","seq":%d,"prev":"%s","sent":%d,"readings":['
                '{"meter":"E1","point":"import_kwh","quantity":"elec_import_kwh",'
                '"time":%d,"value":%.2f,"status":"ok"},{"meter":"E1","point":"p_total",'
                '"quantity":"elec_power_kw","time":%d,"value":5.5,"status":"ok"}]}'
                % (GW, seq, prev, t + 1, t, 1000 + seq * 0.1, t)).encode()
        d = os.path.join("batches", GW, "-", "%09d" % (seq // 1000))
        os.makedirs(os.path.join(pack, d), exist_ok=True)
        rel = os.path.join(d, "%012d" % seq)
        open(os.path.join(pack, rel + ".json"), "wb").write(body)
        run(["openssl", "dgst", "-sha256", "-sign", key, "-out",
             os.path.join(pack, rel + ".sig"), os.path.join(pack, rel + ".json")])
        index.append("%s - %d %s.1.pem batch %s\n" % (GW, seq, GW, rel))
        prev = hashlib.sha256(body).hexdigest()
    open(os.path.join(pack, "batches.txt"), "w").write("".join(index))
    return pack


BARE = """while read -r gw ep seq key mode path; do
openssl dgst -sha256 -verify "keys/$key" -signature "$path.sig" "$path.json" >/dev/null || exit 1
done < batches.txt
"""


def side(pack, script, n):
    def once():
        t = time.monotonic()
        r = subprocess.run(["sh", "-c", script], cwd=pack, capture_output=True, text=True)
        s = time.monotonic() - t
        if r.returncode != 0:
            print("side failed: %s%s" % (r.stdout, r.stderr))
            sys.exit(1)
        print("  %.3f s (%.2f ms/batch)" % (s, 1000 * s / n), flush=True)
        return s
    return once


def main():
    n = int(os.environ.get("GFI_BENCH_EVIDENCE_BATCHES", "400"))
    tmp = tempfile.mkdtemp(prefix="gfi-bench-evidence-")
    try:
        sh = real_verify_sh(tmp)
        pack = make_pack(tmp, n)
        open(os.path.join(pack, "verify.sh"), "w").write(sh)
        r = run(["sh", os.path.join(pack, "verify.sh")])
        print(r.stdout.strip())
        load = abab.Load()
        rounds = abab.pairs()
        bare, full = abab.rounds([side(pack, BARE, n), side(pack, "sh ./verify.sh", n)],
                                 rounds)
        load.end()
        per = abab.median(full) / n
        print("medians of %d rounds, %d batches:" % (rounds, n))
        print("  verify.sh        %.2f ms/batch" % (1000 * per))
        print("  bare openssl loop %.2f ms/batch" % (1000 * abab.median(bare) / n))
        print("  ratio verify.sh / bare loop: " + abab.ratio_line(abab.ratios(full, bare)))
        print("  a year of one-minute batches (%d), extrapolated: %.1f min (VERIFY_JOBS=%s)"
              % (YEAR_BATCHES, per * YEAR_BATCHES / 60, os.environ.get("VERIFY_JOBS", "2")))
        print("  " + load.line())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

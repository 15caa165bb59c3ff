"""gfi-aggregator admin: the registry's command line run as the real binary.

Acceptance 5: invalid credit codes, an unknown county, duplicate ids and a
meter role that does not fit its quantity are each refused with one line
naming the field, exit 2, and the store is unchanged (every listing equal
before and after). Also the happy paths: add, change, list (TSV and JSON),
retire, members, suppliers, replacements and facts.
"""
import json
import os
import shutil
import subprocess
import tempfile

import gfitest as g

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
FACTORY = "91350100M000100Y43"
FACTORY2 = "91110108551385082Q"
PARK = "12350000E111111114"
CHAIN = "91350181MA31TTGX15"
OBJECTS = ["county", "unit", "member", "supplier", "gateway", "meter",
           "replacement", "fact"]


class Admin:
    def __init__(self, store):
        self.store = store

    def run(self, *args):
        return subprocess.run([AGG, "admin", "--store", self.store] + list(args),
                              capture_output=True, text=True, timeout=60)

    def ok(self, *args):
        r = self.run(*args)
        g.ok(r.returncode == 0 and r.stderr == "",
             "admin %s: exit 0, silent (%d %r)" % (" ".join(args), r.returncode, r.stderr))
        return r

    def rows(self, obj, *args):
        r = self.run(obj, "list", "--json", *args)
        if r.returncode != 0:
            return None
        return [json.loads(line) for line in r.stdout.splitlines()]

    def dump(self):
        return {o: self.run(o, "list", "--json").stdout for o in OBJECTS}


def make_pubkey(tmp):
    """A P-256 public key PEM, made with the openssl command (the aggregator
    must accept what any tool writes, not only gfi-agent's keygen)."""
    key = os.path.join(tmp, "gw.key")
    pub = os.path.join(tmp, "gw.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", key], check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub],
                   check=True, capture_output=True)
    rsa = os.path.join(tmp, "rsa.pub")
    rkey = os.path.join(tmp, "rsa.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:1024", "-out", rkey], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", rkey, "-pubout", "-out", rsa],
                   check=True, capture_output=True)
    return pub, rsa


def seed(A, pub):
    A.ok("county", "add", "--code", "350102", "--name", "鼓楼区")
    A.ok("unit", "add", "--code", FACTORY, "--name", "厂一", "--kind", "factory",
         "--county", "350102", "--level", "city", "--year", "2022", "--sector", "C3130")
    A.ok("unit", "add", "--code", PARK, "--name", "园区", "--kind", "park",
         "--county", "350102", "--level", "provincial", "--year", "2021")
    A.ok("unit", "add", "--code", CHAIN, "--name", "链主", "--kind", "supply_chain",
         "--county", "350102", "--level", "national", "--year", "2023")
    A.ok("gateway", "add", "--id", "gw-1", "--unit", FACTORY, "--pubkey", pub)
    A.ok("meter", "add", "--gateway", "gw-1", "--meter", "E1", "--point", "imp",
         "--quantity", "elec_import_kwh", "--role", "elec_purchased",
         "--registered", "2024-01-01")
    A.ok("meter", "add", "--gateway", "gw-1", "--meter", "G1", "--point", "vol",
         "--quantity", "gas_volume_m3", "--role", "fuel", "--carrier", "natural_gas",
         "--counter-max", "100000000")
    A.ok("meter", "add", "--gateway", "gw-1", "--meter", "P1", "--point", "out",
         "--quantity", "product_count", "--role", "production", "--product", "电机")
    A.ok("member", "add", "--park", PARK, "--member", FACTORY)
    A.ok("supplier", "add", "--enterprise", CHAIN, "--supplier", FACTORY)
    A.ok("replacement", "add", "--gateway", "gw-1", "--meter", "E1", "--point", "imp",
         "--time", "2024-03-01 10:00", "--old-final", "12345.6", "--new-initial", "0")
    A.ok("fact", "set", "--unit", FACTORY, "--year", "2024", "--key",
         "output_value_10k_cny", "--value", "12000", "--by", "张三")


def happy_paths(A, pub):
    units = A.rows("unit")
    g.ok(units is not None and [u["code"] for u in units] == sorted([FACTORY, PARK, CHAIN]),
         "three units listed in code order: %s" % units)
    r = A.ok("unit", "list", "--kind", "park")
    g.ok(r.stdout == "code\tname\tkind\tcounty\tlevel\tyear\tsector\tretired\n"
         "%s\t园区\tpark\t350102\tprovincial\t2021\t\t0\n" % PARK,
         "unit list --kind park: header and one TSV row (%r)" % r.stdout)
    meters = {m["meter"]: m for m in A.rows("meter", "--gateway", "gw-1")}
    g.ok(meters["E1"]["registered_s"] == 1704038400,
         "2024-01-01 is Asia/Shanghai midnight, 1704038400 (%s)" % meters["E1"]["registered_s"])
    g.ok(meters["E1"]["carrier"] == "electricity" and meters["E1"]["role"] == "elec_purchased",
         "purchased electricity meter: role and carrier")
    g.ok(meters["P1"]["product"] == "电机" and meters["P1"]["product_unit"] == "pcs",
         "production meter: product, unit from its quantity")
    reps = A.rows("replacement")
    g.ok(reps == [{"gateway": "gw-1", "meter": "E1", "point": "imp", "time_s": 1709258400,
                   "old_final": 12345.6, "new_initial": 0}],
         "replacement stored with Asia/Shanghai time: %s" % reps)
    A.ok("fact", "set", "--unit", FACTORY, "--year", "2024", "--key",
         "output_value_10k_cny", "--value", "13000.5", "--by", "李四")
    facts = A.rows("fact", "--unit", FACTORY, "--year", "2024")
    g.ok(len(facts) == 1 and facts[0]["value"] == 13000.5 and facts[0]["entered_by"] == "李四"
         and facts[0]["value_unit"] == "10^4 CNY",
         "fact set again replaces value and who entered it: %s" % facts)
    A.ok("unit", "change", "--code", FACTORY, "--level", "provincial")
    g.ok([u for u in A.rows("unit") if u["code"] == FACTORY][0]["level"] == "provincial",
         "unit change: level")
    A.ok("gateway", "change", "--id", "gw-1", "--pubkey", pub)
    gws = A.rows("gateway")
    g.ok(len(gws) == 1 and gws[0]["pubkey_pem"] == open(pub).read() and gws[0]["active"] == 1,
         "gateway holds the PEM as given, active")
    g.ok(A.rows("member", "--park", PARK) == [{"park": PARK, "member": FACTORY}],
         "park member listed")
    g.ok(A.rows("supplier") == [{"enterprise": CHAIN, "supplier": FACTORY}],
         "supplier listed")


# (args, expected error line); "@PUB" / "@RSA" stand for key files.
REFUSALS = [
    (["unit", "add", "--code", "91350100M000100Y44", "--name", "x", "--kind", "factory",
      "--county", "350102", "--level", "city", "--year", "2022"],
     "--code: 91350100M000100Y44 is not a valid unified social credit code (check character)"),
    (["unit", "add", "--code", "91350100I000100Y43", "--name", "x", "--kind", "factory",
      "--county", "350102", "--level", "city", "--year", "2022"],
     "--code: 91350100I000100Y43 is not a valid unified social credit code "
     "(character outside 0-9 A-Z without I O Z S V)"),
    (["unit", "add", "--code", "91350100M000100Y4", "--name", "x", "--kind", "factory",
      "--county", "350102", "--level", "city", "--year", "2022"],
     "--code: 91350100M000100Y4 is not a valid unified social credit code "
     "(length, 18 characters)"),
    (["member", "add", "--park", PARK, "--member", "91110108551385082R"],
     "--member: 91110108551385082R is not a valid unified social credit code (check character)"),
    (["unit", "add", "--code", FACTORY2, "--name", "x", "--kind", "factory",
      "--county", "350199", "--level", "city", "--year", "2022"],
     "--county: 350199 is not a registered county"),
    (["unit", "add", "--code", FACTORY, "--name", "x", "--kind", "factory",
      "--county", "350102", "--level", "city", "--year", "2022"],
     "--code: %s already exists" % FACTORY),
    (["county", "add", "--code", "350102", "--name", "again"],
     "--code: 350102 already exists"),
    (["gateway", "add", "--id", "gw-1", "--unit", FACTORY, "--pubkey", "@PUB"],
     "--id: gw-1 already exists"),
    (["meter", "add", "--gateway", "gw-1", "--meter", "E1", "--point", "imp",
      "--quantity", "elec_import_kwh", "--role", "elec_purchased"],
     "--point: gw-1/E1/imp already exists"),
    (["meter", "add", "--gateway", "gw-1", "--meter", "E2", "--point", "imp",
      "--quantity", "elec_import_kwh", "--role", "fuel", "--carrier", "natural_gas"],
     "--role: fuel does not fit quantity elec_import_kwh"),
    (["meter", "add", "--gateway", "gw-1", "--meter", "S1", "--point", "so2",
      "--quantity", "so2_mgm3", "--role", "water_intake"],
     "--role: water_intake does not fit quantity so2_mgm3"),
    (["meter", "change", "--gateway", "gw-1", "--meter", "G1", "--point", "vol",
      "--role", "production", "--product", "x"],
     "--role: production does not fit quantity gas_volume_m3"),
    (["unit", "add", "--code", FACTORY2, "--name", "x", "--kind", "factory",
      "--county", "350102", "--level", "city", "--year", "1999"],
     "--year: 1999 out of range 2000..2100"),
    (["unit", "add", "--code", FACTORY2, "--name", "x"],
     "--kind: missing (required for unit add)"),
    (["unit", "list", "--colour", "red"], "--colour: unknown option for unit list"),
    (["gateway", "add", "--id", "gw-2", "--unit", FACTORY, "--pubkey", "@RSA"],
     None),  # not P-256: the line names --pubkey
    (["gateway", "add", "--id", "gw+2", "--unit", FACTORY, "--pubkey", "@PUB"],
     "--id: gw+2 is not a valid id (1..31 characters of A-Z a-z 0-9 . _ -)"),
    (["member", "add", "--park", FACTORY, "--member", CHAIN],
     "--park: %s is a factory, not a park" % FACTORY),
    (["supplier", "add", "--enterprise", PARK, "--supplier", FACTORY],
     "--enterprise: %s is a park, not a supply_chain enterprise" % PARK),
    (["fact", "set", "--unit", FACTORY, "--year", "2024", "--key", "happiness",
      "--value", "1", "--by", "x"], None),  # names --key
    (["meter", "add", "--gateway", "gw-1", "--meter", "E3", "--point", "imp",
      "--quantity", "elec_import_kwh", "--role", "submeter", "--registered", "2024-13-01"],
     None),  # names --registered
    (["county", "add", "--code", "350103", "--name", "line\nbreak"],
     "--name: not UTF-8 text without control characters"),
]


def refusals(A, pub, rsa):
    before = A.dump()
    for args, line in REFUSALS:
        args = [pub if a == "@PUB" else rsa if a == "@RSA" else a for a in args]
        r = A.run(*args)
        lines = r.stderr.split("\n")
        what = "admin %s" % " ".join(args[:2])
        one = len(lines) == 2 and lines[1] == ""
        if line is not None:
            g.ok(r.returncode == 2 and one and lines[0] == line,
                 "%s refused: exit 2, %r (got %d %r)" % (what, line, r.returncode, r.stderr))
        else:
            flag = [a for a in args if a.startswith("--")][-1]
            named = {"@RSA": "--pubkey"}.get(flag, flag)
            if "happiness" in args:
                named = "--key"
            g.ok(r.returncode == 2 and one and lines[0].startswith(named + ": "),
                 "%s refused: exit 2, one line naming %s (got %d %r)"
                 % (what, named, r.returncode, r.stderr))
        g.ok(r.stdout == "", "%s: nothing on stdout" % what)
    after = A.dump()
    for o in OBJECTS:
        g.ok(before[o] == after[o], "%s list unchanged by the refusals" % o)


def retire(A):
    A.ok("meter", "retire", "--gateway", "gw-1", "--meter", "E1", "--point", "imp")
    A.ok("gateway", "retire", "--id", "gw-1")
    A.ok("unit", "retire", "--code", PARK)
    A.ok("county", "retire", "--code", "350102")
    g.ok(A.rows("gateway")[0]["active"] == 0, "retired gateway inactive")
    g.ok([m["retired"] for m in A.rows("meter") if m["meter"] == "E1"] == [1],
         "retired meter point")
    r = A.run("meter", "add", "--gateway", "gw-1", "--meter", "E9", "--point", "imp",
              "--quantity", "elec_import_kwh", "--role", "submeter")
    g.ok(r.returncode == 2 and r.stderr == "--gateway: gw-1 is a retired gateway\n",
         "no meter on a retired gateway (%r)" % r.stderr)
    r = A.run("unit", "add", "--code", FACTORY2, "--name", "x", "--kind", "factory",
              "--county", "350102", "--level", "city", "--year", "2022")
    g.ok(r.returncode == 2 and r.stderr == "--county: 350102 is a retired county\n",
         "no unit in a retired county (%r)" % r.stderr)


def store_errors(tmp):
    r = subprocess.run([AGG, "admin", "county", "list"], capture_output=True, text=True)
    g.ok(r.returncode == 2 and r.stderr == "--store: missing (required)\n",
         "no --store: exit 2 (%d %r)" % (r.returncode, r.stderr))
    missing = os.path.join(tmp, "nope", "city.db")
    r = subprocess.run([AGG, "admin", "--store", missing, "county", "list"],
                       capture_output=True, text=True)
    g.ok(r.returncode == 2 and r.stderr.startswith("--store: ") and
         not os.path.exists(missing), "listing a missing store: exit 2, nothing created")
    junk = os.path.join(tmp, "junk.db")
    with open(junk, "wb") as f:
        f.write(b"this is not an SQLite database, not at all" * 100)
    r = subprocess.run([AGG, "admin", "--store", junk, "county", "add", "--code",
                        "350102", "--name", "x"], capture_output=True, text=True)
    g.ok(r.returncode == 1 and "--store: cannot open" in r.stderr,
         "a store that is not SQLite: exit 1 (%d %r)" % (r.returncode, r.stderr))


def main():
    tmp = tempfile.mkdtemp(prefix="gfi-registry-")
    try:
        pub, rsa = make_pubkey(tmp)
        A = Admin(os.path.join(tmp, "city.db"))
        seed(A, pub)
        happy_paths(A, pub)
        refusals(A, pub, rsa)
        retire(A)
        store_errors(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    g.finish("registry_cli")


if __name__ == "__main__":
    main()

"""Golden outputs: what the aggregator's computing commands and its API say,
byte for byte, on a seeded store at a pinned now.

Why: the aggregator is being restructured (command layer, JSON writers, API
split); its outputs must not move while that happens. This test builds a
store from scratch, deterministically, with the command line only: two
counties, four units (two factories, a park, a supply chain) with valid
credit codes, two gateways with meters of every role, facts, a factor, a
meter replacement, about 14 months of hourly history made by
`gfi-meter-sim history` and loaded with `gfi-aggregator import` (the dyeing
mill's export lacks 8-19 May 2026), evaluated alerts (one acknowledged, one
resolved), a spot check, a filed year and API tokens for the city, a
county and a unit. Then it records every computing CLI output and every API
GET route with each role, and compares them with tests/data/golden/outputs/
(a unified diff per differing file).

Now is pinned: `--now` where a command has it, and every aggregator process
(commands and the HTTP server) runs under libfaketime with the clock frozen
at NOW (FAKETIME_DONT_FAKE_MONOTONIC=1 keeps the monotonic clock real, so
libmicrohttpd's timeouts work). XLSX files are compared as their unzipped
parts, without docProps/core.xml (its creation time) and the zip bytes.

GFI_GOLDEN_RECORD=1 re-records the files (and removes stale ones).
"""
import difflib
import io
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gfitest  # noqa: E402
from gfitest import ok  # noqa: E402

# Absolute: the aggregator runs in the test's directory.
AGG = os.path.abspath(os.environ.get("GFI_AGGREGATOR",
                                     "build/aggregator/gfi-aggregator"))
SIM = os.path.abspath(os.environ.get("GFI_SIM", "build/sim/gfi-meter-sim"))
SRC = os.environ.get("GFI_SOURCE_DIR",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.environ.get("GFI_TEST_DATA", os.path.join(SRC, "tests", "data"))
GOLDEN = os.path.normpath(os.path.join(DATA, "golden", "outputs"))
PROFILES = os.environ.get("GFI_PROFILES",
                          os.path.join(SRC, "firmware-config", "profiles"))
PUBKEY = os.path.join(DATA, "batch", "pub.pem")   # one fixed key: gateway
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
RECORD = os.environ.get("GFI_GOLDEN_RECORD") == "1"

NOW = 1796637600                 # 2026-12-07 10:00:00 UTC, 18:00 in Shanghai
NOW_TEXT = "2026-12-07 10:00:00"  # the same for libfaketime (TZ=UTC)
HISTORY_FROM = 1759248000        # 2025-10-01 00:00 Asia/Shanghai
HISTORY_TO = 1796572800          # 2026-12-07 00:00 Asia/Shanghai
REGISTERED = HISTORY_FROM - 86400

MOTOR = gfitest.credit_code("91350102MA2Y0M0T4")
DYE = gfitest.credit_code("91350121MA3D0Y0E6")
PARK = gfitest.credit_code("91350102MA2Y0P0K7")
CHAIN = gfitest.credit_code("91350121MA3D0C0H8")
UNITS = [MOTOR, DYE, PARK, CHAIN]

# gateway -> unit, seed, meters (id, slave, profile, base rate, point,
# quantity, role, extra admin options)
GATEWAYS = {
    "gw-motor-01": (MOTOR, 11, [
        ("E01", 1, "eastron-sdm630", 820, "import_kwh", "elec_import_kwh",
         "elec_purchased", ["--accuracy", "0.5"]),
        ("PV01", 2, "eastron-sdm630", 150, "import_kwh", "elec_import_kwh",
         "renewable_gen", ["--accuracy", "1"]),
        ("G01", 3, "panametrics-sentinel", 35, "std_total_m3", "gas_volume_m3",
         "fuel", ["--carrier", "natural_gas"]),
        ("W01", 4, "siemens-mag6000", 6, "total1_m3", "water_volume_m3",
         "water_intake", ["--carrier", "tap_water", "--accuracy", "2"]),
        ("P01", 5, "autonics-ct6s", 28, "count", "product_count", "production",
         ["--product", "电机", "--product-unit", "台", "--counter-max", "1000000"]),
    ]),
    "gw-dye-01": (DYE, 23, [
        ("E01", 1, "eastron-sdm630", 640, "import_kwh", "elec_import_kwh",
         "elec_purchased", ["--accuracy", "0.5"]),
        ("P01", 2, "autonics-ct6s", 2400, "count", "product_count", "production",
         ["--product", "印染布", "--product-unit", "米", "--counter-max", "1000000"]),
        ("S01", 11, "tactical-tfmvt222", 7, "total_t", "steam_mass_t",
         "heat_purchased", ["--carrier", "steam"]),
        ("W01", 12, "siemens-mag6000", 38, "total1_m3", "water_volume_m3",
         "water_intake", ["--carrier", "surface_water", "--accuracy", "2"]),
        ("WR01", 13, "microsensor-mfe600h", 26, "total_m3", "water_volume_m3",
         "water_recycled", []),
    ]),
}


def asan_runtime():
    """The ASan runtime the aggregator links, if any: it must come first in
    LD_PRELOAD, before libfaketime."""
    out = subprocess.run(["ldd", AGG], capture_output=True, text=True).stdout
    m = re.search(r"(\S*libasan\.so\.\d+) => (\S+)", out)
    return [m.group(2)] if m else []


FROZEN_ENV = dict(os.environ, LD_PRELOAD=":".join(asan_runtime() + [FAKETIME_LIB]),
                  FAKETIME=NOW_TEXT, TZ="UTC", FAKETIME_DONT_FAKE_MONOTONIC="1")


WORKDIR = ["."]   # the test's temporary directory, once made


def agg(*args, expect=0):
    """Runs gfi-aggregator at the frozen NOW in the test's directory (so
    the paths it echoes are relative, the same every run); its stdout."""
    r = subprocess.run([AGG] + list(args), env=FROZEN_ENV, capture_output=True,
                       cwd=WORKDIR[0], timeout=120)
    if r.returncode != expect:
        sys.stderr.write("gfi-aggregator %s: exit %d, expected %d\n%s" % (
            " ".join(args), r.returncode, expect, r.stderr.decode(errors="replace")))
        gfitest.ok(False, "gfi-aggregator %s exits %d" % (args[0], expect))
        gfitest.finish("golden_outputs")
    return r.stdout


# ---- the seeded store ----

def build_registry(P, store):
    def admin(*a):
        agg("admin", "--store", store, *a)
    admin("county", "add", "--code", "350102", "--name", "鼓楼区 Gulou District")
    admin("county", "add", "--code", "350121", "--name", "闽侯县 Minhou County")
    admin("county", "add", "--code", "350111", "--name", "晋安区 Jin'an District")
    admin("county", "retire", "--code", "350111")
    for code, name, kind, county, level, year, sector in [
            (MOTOR, "闽江示范电机有限公司 Minjiang Demo Motor Works", "factory",
             "350102", "city", "2024", "C3811"),
            (DYE, "闽侯纺织印染有限公司 Minhou Textile Dyeing", "factory",
             "350121", "provincial", "2023", "C1713"),
            (PARK, "鼓楼软件园 Gulou Software Park", "park", "350102",
             "provincial", "2022", None),
            (CHAIN, "海峡纺织供应链 Strait Textile Supply Chain", "supply_chain",
             "350121", "national", "2021", "C1713")]:
        extra = ["--sector", sector] if sector else []
        admin("unit", "add", "--code", code, "--name", name, "--kind", kind,
              "--county", county, "--level", level, "--year", year, *extra)
    admin("member", "add", "--park", PARK, "--member", MOTOR)
    admin("supplier", "add", "--enterprise", CHAIN, "--supplier", DYE)
    for gw, (unit, _, meters) in GATEWAYS.items():
        admin("gateway", "add", "--id", gw, "--unit", unit, "--pubkey", PUBKEY)
        for m, _, _, _, point, q, role, extra in meters:
            admin("meter", "add", "--gateway", gw, "--meter", m, "--point", point,
                  "--quantity", q, "--role", role, "--registered", str(REGISTERED),
                  *extra)
    facts = {MOTOR: (18600, 420, 395, 52000), DYE: (14800, 860, 610, 41000)}
    for unit, (ov, sw, swu, land) in facts.items():
        for year, scale in (("2025", 1.0), ("2026", 1.08)):
            for key, v in (("output_value_10k_cny", ov), ("solid_waste_generated_t", sw),
                           ("solid_waste_used_t", swu), ("land_area_m2", land)):
                value = v if key == "land_area_m2" else round(v * scale, 1)
                admin("fact", "set", "--unit", unit, "--year", year, "--key", key,
                      "--value", str(value), "--by", "golden-finance")
    admin("fact", "set", "--unit", MOTOR, "--year", "2026", "--month", "11", "--key",
          "output_value_10k_cny", "--value", "1702.5", "--by", "golden-finance")
    agg("factor", "set", "--store", store, "--kind", "tce", "--carrier",
        "natural_gas", "--year", "2026", "--unit", MOTOR, "--value", "1.2",
        "--value-unit", "kgce/m3", "--source", "supplier's gas analysis 2026")


def history_csv(P, gw):
    """The gateway's hourly export from the simulator (the dyeing mill's
    lacks 8-19 May 2026: its EMS was down)."""
    unit, seed, meters = GATEWAYS[gw]
    cfg = P.write_json("sim-%s.json" % gw, {
        "seed": seed, "profiles_dir": PROFILES,
        "tcp": [{"id": "lan", "host": "127.0.0.1", "port": 0, "meters": [
            {"id": m[0], "slave": m[1], "profile": m[2], "base_rate": m[3]}
            for m in meters]}]})
    points = ",".join("%s:%s" % (m[0], m[4]) for m in meters)
    out = gfitest.run_ok([SIM, "history", "--config", cfg, "--gateway", gw,
                          "--points", points, "--from", str(HISTORY_FROM),
                          "--to", str(HISTORY_TO), "--step", "3600"])
    lines = out.splitlines(keepends=True)
    if gw == "gw-dye-01":
        gap = re.compile(r",2026-05-(0[89]|1[0-9]) ")
        lines = [ln for ln in lines if not gap.search(ln)]
    path = P.path("ems-%s.csv" % gw)
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def replace_last_meter(store, csv_path):
    """The dyeing mill's electricity meter replaced half an hour after its
    last exported reading, at that reading (so no energy moves)."""
    last = None
    with open(csv_path) as f:
        for line in f:
            if line.startswith("gw-dye-01,E01,"):
                last = line.rstrip("\n").split(",")
    agg("admin", "--store", store, "replacement", "add", "--gateway", "gw-dye-01",
        "--meter", "E01", "--point", "import_kwh", "--time", "2026-12-07 00:30",
        "--old-final", last[4], "--new-initial", "0")


def build_history(P, store, outs):
    for gw in GATEWAYS:
        path = history_csv(P, gw)
        outs["cli/import-%s.txt" % gw] = agg("import", "--store", store, "--csv", path,
                                             "--by", "golden-ems-export",
                                             "--now", str(NOW - 7200))
    replace_last_meter(store, P.path("ems-gw-dye-01.csv"))
    path = P.path("ems-gw-motor-01.csv")
    outs["cli/import-again-dry-run.txt"] = agg("import", "--store", store, "--csv", path,
                                               "--by", "golden-ems-export", "--dry-run",
                                               "--now", str(NOW - 3600))
    outs["cli/import-again.txt"] = agg("import", "--store", store, "--csv", path,
                                       "--by", "golden-ems-export",
                                       "--now", str(NOW - 3600))


def build_reviews(P, store, outs):
    """Filing, alerts (evaluated, one acknowledged, one resolved), a spot
    check and the API's tokens (one revoked)."""
    outs["cli/filing.txt"] = agg("filing", "--store", store, "--unit", MOTOR,
                                 "--year", "2025", "--by", "golden-energy-manager",
                                 "--at", "2026-03-28 10:00")
    rules = P.write_json("rules.json", {
        "threshold_pct": 5, "completeness_pct": 90, "max_silence_s": 3600,
        "sector_limits": [{"sector": "C3811", "indicator": "energy_per_product",
                           "max": 0.5}]})
    outs["cli/alerts-evaluate.txt"] = agg("alerts", "evaluate", "--store", store,
                                          "--rules", rules, "--now", str(NOW - 600))
    outs["cli/alert-ack.txt"] = agg("alert", "ack", "--store", store, "--id", "1",
                                    "--by", "Li Wei", "--now", str(NOW - 300))
    outs["cli/alert-resolve.txt"] = agg("alert", "resolve", "--store", store, "--id",
                                        "2", "--by", "Chen Jing", "--now", str(NOW - 200))
    outs["cli/spotcheck-add.txt"] = agg(
        "spotcheck", "--store", store, "--gateway", "gw-motor-01", "--meter", "E01",
        "--point", "import_kwh", "--at", "2026-12-06 12:00", "--reading", "8395560",
        "--inspector", "Wang Fang", "--note", "seal intact", "--now", str(NOW - 100))
    tokens = {}
    for name, role, scope in [("city-ops", "city", None), ("minhou", "county", "350121"),
                              ("motor", "unit", MOTOR), ("old", "city", None)]:
        extra = ["--scope", scope] if scope else []
        tokens[name] = agg("token", "add", "--store", store, "--role", role,
                           "--name", name, *extra).decode().strip()
    agg("token", "revoke", "--store", store, "--name", "old")
    return tokens


# ---- what is recorded ----

def xlsx_parts(name, data, outs):
    """The workbook's parts but docProps/core.xml (it carries the creation
    time); the zip bytes themselves are not compared (they carry times)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for part in sorted(z.namelist()):
            if part != "docProps/core.xml":
                outs["%s.xlsx/%s" % (name, part)] = z.read(part)


def record_cli(P, store, outs):
    """Every computing command's output: registry lists, factors, counts,
    indicators (year, months, --json), the table in each format and filter,
    alerts, spot checks and tokens."""
    def cli(name, *args):
        outs["cli/%s" % name] = agg(*args)

    def admin(name, *args):
        cli(name, "admin", "--store", store, *args)
    for obj, filters in [("county", []), ("unit", [["--county", "350121"],
                                                    ["--kind", "factory"]]),
                         ("member", [["--park", PARK]]),
                         ("supplier", [["--enterprise", CHAIN]]),
                         ("gateway", [["--unit", DYE]]),
                         ("meter", [["--gateway", "gw-motor-01"]]),
                         ("replacement", [["--gateway", "gw-dye-01"]]),
                         ("fact", [["--unit", MOTOR, "--year", "2026"]])]:
        admin("admin-%s-list.txt" % obj, obj, "list")
        admin("admin-%s-list.json" % obj, obj, "list", "--json")
        for f in filters:
            tag = "-".join(x.lstrip("-") for x in f)
            admin("admin-%s-list-%s.json" % (obj, tag), obj, "list", "--json", *f)
    cli("factor-list.txt", "factor", "list", "--store", store)
    cli("counts.txt", "counts", "--store", store)
    cli("token-list.txt", "token", "list", "--store", store)
    for unit in UNITS:
        for year, months in (("2025", ["10", "12"]), ("2026", ["0", "5", "11", "12"])):
            for m in [None] + months:
                base = ["indicators", "--store", store, "--unit", unit, "--year", year]
                tag = "%s-%s%s" % (unit, year, "-%s" % m if m is not None else "")
                extra = ["--month", m] if m is not None else []
                cli("indicators-%s.txt" % tag, *base, *extra)
                cli("indicators-%s.json" % tag, *base, *extra, "--json")
    for year in ("2025", "2026"):
        for filt in ([], ["--county", "350121"], ["--unit", MOTOR]):
            tag = year + "".join("-" + x.lstrip("-") for x in filt)
            for fmt in ("csv", "json", "xlsx"):
                out = "report.%s" % fmt   # relative: it is echoed
                cli("report-%s-%s.txt" % (tag, fmt), "report", "--store", store,
                    "--year", year, "--format", fmt, "--out", out, *filt)
                with open(P.path(out), "rb") as f:
                    data = f.read()
                if fmt == "xlsx":
                    xlsx_parts("cli/report-%s" % tag, data, outs)
                else:
                    outs["cli/report-%s.%s" % (tag, fmt)] = data
    for filt in ([], ["--state", "open"], ["--state", "active"], ["--state", "resolved"],
                 ["--county", "350102"], ["--unit", DYE], ["--rule", "completeness"]):
        tag = "".join("-" + x.lstrip("-") for x in filt)
        cli("alerts%s.txt" % tag, "alerts", "--store", store, *filt)
        cli("alerts%s.json" % tag, "alerts", "--store", store, *filt, "--json")
    cli("spotchecks.txt", "spotchecks", "--store", store)
    cli("spotchecks-gw-motor-01-E01.txt", "spotchecks", "--store", store, "--gateway",
        "gw-motor-01", "--meter", "E01", "--point", "import_kwh")


def api_paths():
    """Every GET route of /api/v1 with its filters (name, path)."""
    paths = [("health", "/api/v1/health"), ("units", "/api/v1/units"),
             ("units-county-350102", "/api/v1/units?county=350102"),
             ("units-kind-factory-level-provincial",
              "/api/v1/units?kind=factory&level=provincial"),
             ("gateways", "/api/v1/gateways"), ("imports", "/api/v1/imports"),
             ("alerts", "/api/v1/alerts"),
             ("alerts-state-active", "/api/v1/alerts?state=active"),
             ("alerts-county-350121", "/api/v1/alerts?county=350121"),
             ("alerts-unit-%s" % MOTOR, "/api/v1/alerts?unit=%s" % MOTOR),
             ("spotchecks", "/api/v1/spotchecks"),
             ("spotchecks-gw-motor-01-E01",
              "/api/v1/spotchecks?gateway=gw-motor-01&meter=E01&point=import_kwh")]
    for unit in UNITS:
        paths.append(("meters-%s" % unit, "/api/v1/units/%s/meters" % unit))
        for year in ("2025", "2026"):
            paths.append(("indicators-%s-%s" % (unit, year),
                          "/api/v1/units/%s/indicators?year=%s" % (unit, year)))
            paths.append(("monthly-%s-%s" % (unit, year),
                          "/api/v1/units/%s/indicators/monthly?year=%s" % (unit, year)))
        for month in ("5", "12"):
            paths.append(("indicators-%s-2026-%s" % (unit, month),
                          "/api/v1/units/%s/indicators?year=2026&month=%s"
                          % (unit, month)))
    for gw in GATEWAYS:
        paths.append(("series-%s" % gw, "/api/v1/series?gateway=%s&from=%d&to=%d" % (
            gw, NOW - 5 * 86400, NOW)))
    paths.append(("series-gw-dye-01-W01-may", "/api/v1/series?gateway=gw-dye-01&meter=W01"
                   "&point=total1_m3&from=2026-05-01&to=2026-06-01"))
    for year in ("2025", "2026"):
        for fmt in ("json", "csv", "xlsx"):
            paths.append(("report-%s-%s" % (year, fmt),
                          "/api/v1/report?year=%s&format=%s" % (year, fmt)))
        paths.append(("report-%s-county-350121-json" % year,
                      "/api/v1/report?year=%s&format=json&county=350121" % year))
        paths.append(("scores-%s" % year, "/api/v1/scores?year=%s" % year))
        for unit in (MOTOR, DYE):
            paths.append(("filing-%s-%s" % (unit, year),
                          "/api/v1/units/%s/filing?year=%s" % (unit, year)))
    return paths


def fetch(port, path, token):
    h = {"Authorization": "Bearer " + token} if token else {}
    r = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=h)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def record_api(P, store, tokens, outs):
    """Every GET route with each role's token (what a role may not see
    answers 404, recorded too), plus /metrics from the loopback address.
    Status, content type and disposition go to api/status.txt."""
    port = gfitest.free_port()
    cfg = P.write_json("agg.json", {"store": store, "log_level": "info",
                                    "http": {"bind": "127.0.0.1", "port": port}})
    srv = P.start([AGG, "http", "--config", cfg], "http.log", env=FROZEN_ENV)

    def up():
        try:
            return fetch(port, "/api/v1/health", None)[0] == 200
        except OSError:
            return False
    gfitest.wait_for(up, 30, "the http server")
    status = []
    for role in ("city-ops", "minhou", "motor"):
        for name, path in api_paths():
            # Other roles: scope, not arithmetic, differs; the months'
            # figures are the city's (recorded once, for the city).
            if role != "city-ops" and re.match(r"monthly-|indicators-.*-\d+-\d+$", name):
                continue
            st, headers, body = fetch(port, path, tokens[role])
            key = "api/%s/%s" % (role, name)
            status.append("%s %d %s %s\n" % (key, st, headers.get("Content-Type"),
                                             headers.get("Content-Disposition")))
            if name.endswith("xlsx") and st == 200:
                xlsx_parts(key, body, outs)
            else:
                ext = "csv" if name.endswith("csv") and st == 200 else "json"
                outs["%s.%s" % (key, ext)] = body
    for name, path, token in [
            ("no-token", "/api/v1/units", None),
            ("revoked-token", "/api/v1/units", tokens["old"]),
            ("unknown-path", "/api/v1/nowhere", tokens["city-ops"]),
            ("year-out-of-range", "/api/v1/units/%s/indicators?year=1999" % MOTOR,
             tokens["city-ops"]),
            ("unknown-param", "/api/v1/units?sort=name", tokens["city-ops"]),
            ("repeated-param", "/api/v1/alerts?state=open&state=open",
             tokens["city-ops"]),
            ("unknown-unit", "/api/v1/units/%s/meters" % gfitest.credit_code(
                "91350100MA0000099"), tokens["city-ops"])]:
        st, headers, body = fetch(port, path, token)
        status.append("api/errors/%s %d %s\n" % (name, st, headers.get("Content-Type")))
        outs["api/errors/%s.json" % name] = body
    st, headers, body = fetch(port, "/metrics", None)
    status.append("api/metrics %d %s\n" % (st, headers.get("Content-Type")))
    outs["api/metrics.txt"] = body
    outs["api/status.txt"] = "".join(status).encode()
    P.stop(srv)
    ok(srv.returncode == 0, "the http server stops cleanly (exit %s)" % srv.returncode)
    hide_tokens(outs, tokens)


def hide_tokens(outs, tokens):
    """Token strings are random per run: none should be echoed by any output
    recorded here, but if one is, it is written as <token NAME> so the
    golden files stay stable (and the diff shows where it leaked)."""
    for name, data in outs.items():
        for who, tok in tokens.items():
            data = data.replace(tok.encode(), ("<token %s>" % who).encode())
        outs[name] = data


# ---- comparison ----

def recorded_names():
    names = set()
    for root, _, files in os.walk(GOLDEN):
        for f in files:
            names.add(os.path.relpath(os.path.join(root, f), GOLDEN))
    return names


def write_golden(outs):
    for name in recorded_names() - set(outs):
        os.unlink(os.path.join(GOLDEN, name))
    for name, data in outs.items():
        path = os.path.join(GOLDEN, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def diff_lines(name, data):
    """Lines to diff; an XLSX part is one long line, so it is shown one
    element a line (for the diff only: the bytes are what is compared)."""
    text = data.decode("utf-8", "replace")
    if name.endswith(".xml"):
        text = text.replace("><", ">\n<")
    return text.splitlines(keepends=True)


def compare(outs):
    """Each output against its recorded file; a unified diff per difference.
    Returns the names that differ, are missing or are new."""
    bad = []
    have = recorded_names()
    for name in sorted(set(outs) | have):
        if name not in outs:
            print("golden: %s is recorded but no longer produced" % name)
            bad.append(name)
            continue
        if name not in have:
            print("golden: %s is produced but not recorded" % name)
            bad.append(name)
            continue
        with open(os.path.join(GOLDEN, name), "rb") as f:
            want = f.read()
        if want == outs[name]:
            continue
        bad.append(name)
        a, b = diff_lines(name, want), diff_lines(name, outs[name])
        sys.stdout.writelines(difflib.unified_diff(a, b, "recorded/" + name,
                                                   "now/" + name))
        print()
    return bad


def main():
    if not os.path.exists(FAKETIME_LIB):
        ok(False, "libfaketime is installed (%s; scripts/setup.sh)" % FAKETIME_LIB)
        gfitest.finish("golden_outputs")
    with gfitest.Procs() as P:
        WORKDIR[0] = P.tmp
        store = P.path("city.db")
        outs = {}
        build_registry(P, store)
        build_history(P, store, outs)
        tokens = build_reviews(P, store, outs)
        record_cli(P, store, outs)
        record_api(P, store, tokens, outs)
        if RECORD:
            write_golden(outs)
            print("golden: recorded %d files in %s" % (len(outs), GOLDEN))
        bad = compare(outs)
        ok(bad == [], "%d outputs equal their recorded golden files%s" % (
            len(outs), "" if not bad else "; differing: " + ", ".join(bad[:20])))
    gfitest.finish("golden_outputs")


if __name__ == "__main__":
    main()

"""gfi-meter-sim's side: the simulator's truth (what a meter's registers
hold at a second, by `gfi-meter-sim truth`) and the meter profiles it and
the agent share."""
import json
import os
import subprocess

from .paths import PROFILES, SIM


def sim_truth(sim_config_path, meter, at):
    """The simulator's register values for every point of meter at time at."""
    out = subprocess.run([SIM, "truth", "--config", sim_config_path,
                          "--meter", meter, "--at", str(at)],
                         check=True, capture_output=True, text=True).stdout
    values = {}
    for line in out.splitlines():
        o = json.loads(line)
        values[o["point"]] = o["register"]
    return values


def profile_ids(protocol="modbus"):
    """Shipped profiles of one protocol ("modbus" or "dlt645")."""
    ids = sorted(f[:-5] for f in os.listdir(PROFILES) if f.endswith(".json"))
    return [p for p in ids
            if load_profile(p).get("protocol", "modbus") == protocol]


def load_profile(pid):
    with open(os.path.join(PROFILES, pid + ".json")) as f:
        return json.load(f)


def counter_points(profile):
    """(point, counter_max) of the profile's integer counter points."""
    counters = {"elec_import_kwh", "elec_export_kwh", "elec_reactive_kvarh",
                "water_volume_m3", "gas_volume_m3", "fuel_mass_t",
                "steam_mass_t", "heat_energy_gj", "product_count",
                "product_mass_t", "wastewater_volume_m3"}
    bits = {"u16": 16, "u32": 32, "u64": 64, "i16": 15, "i32": 31, "i64": 63}
    out = []
    for p in profile["points"]:
        if p["quantity"] in counters and p["type"] in bits:
            mx = p.get("counter_max", (2 ** bits[p["type"]]) * p.get("scale", 1))
            out.append((p["name"], mx))
    return out


class Truth:
    """gfi-meter-sim truth, cached per (meter, second) and fetched in
    parallel (each call is a process)."""

    def __init__(self, sim_config_path):
        self.cfg = sim_config_path
        self.cache = {}

    def prefetch(self, keys, workers=3):
        from concurrent.futures import ThreadPoolExecutor
        todo = sorted(set(k for k in keys if k not in self.cache))
        with ThreadPoolExecutor(workers) as ex:
            for k, v in zip(todo, ex.map(lambda k: sim_truth(self.cfg, k[0], k[1]), todo)):
                self.cache[k] = v

    def at(self, meter, t):
        if (meter, t) not in self.cache:
            self.cache[(meter, t)] = sim_truth(self.cfg, meter, t)
        return self.cache[(meter, t)]

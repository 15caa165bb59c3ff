#!/usr/bin/env python3
"""test_golden_model.py — the files of tests/data/golden/factory_d are what
its Python model of DOMAIN.md's definitions writes (issue 14, acceptance 3).

The model (stdlib only, IAPWS-IF97 region 2 written out in Python and
checked against IF97's verification values when imported) computes every
corrected indicator by hand; tests/unit/test_indicators.c compares gfi's
figures with the same expected.csv to a relative 1e-9. This test fails when
someone edits expected.csv (or the setup, or the readings) without the
model, so the comparison can never drift to gfi's own numbers.
"""
import os
import subprocess
import sys

SRC = os.environ.get("GFI_SOURCE_DIR",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL = os.path.join(SRC, "tests", "data", "golden", "factory_d", "model.py")


def main():
    r = subprocess.run([sys.executable, MODEL, "--check"], capture_output=True,
                       text=True, timeout=60)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        print("FAIL: factory_d's files differ from its model")
        return 1
    with open(os.path.join(os.path.dirname(MODEL), "expected.csv"), encoding="utf-8") as f:
        rows = f.read().splitlines()[1:]
    keys = {r.split(",")[1] for r in rows}
    for key in ("renewable_share_pct", "building_coefficient_pct", "plot_ratio",
                "output_per_land_m2", "water_intake_m3", "solid_waste_use_pct",
                "wastewater_generated_per_product", "wastewater_discharged_per_product",
                "heat_purchased_gj", "co2_green_deducted_t", "energy_equiv_tce",
                "energy_per_product", "energy_per_product.法兰"):
        if key not in keys:
            print(f"FAIL: the model has no row for {key}")
            return 1
    print(f"ok: {len(rows)} rows of factory_d match its model")
    return 0


if __name__ == "__main__":
    sys.exit(main())

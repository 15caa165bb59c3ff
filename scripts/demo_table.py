"""Print the key columns of a yearly table (gfi-aggregator report --format
json) for the demo's console: one line per unit, the rest is in the CSV and
XLSX next to it."""
import json
import sys

COLUMNS = [  # key, header (zh / en), width
    ("output", "产量 output", 12),
    ("energy_equiv_tce", "综合能耗 tce", 12),
    ("energy_per_product", "单位产品能耗 kgce", 16),
    ("water_intake_m3", "取水量 m3", 11),
    ("water_reuse_pct", "重复利用率 %", 12),
    ("co2_t", "CO2 t", 10),
    ("renewable_share_pct", "可再生 %", 9),
    ("completeness_pct", "完整度 %", 9),
]


def cell(ind, key):
    v = ind.get(key, {}).get("value")
    return "—" if v is None else "%.6g" % v


def main(path):
    with open(path, encoding="utf-8") as f:
        table = json.load(f)
    print("   %-34s %-8s " % ("单位 unit", "county") +
          " ".join("%*s" % (w, h) for _, h, w in COLUMNS))
    for u in table["units"]:
        ind = u["indicators"]
        name = u["name"].split(" ")[0]
        print("   %-30s %-8s " % (name, u["county"]) +
              " ".join("%*s" % (w, cell(ind, k)) for k, _, w in COLUMNS))
        print("   %30s product unit: %s; %s" % ("", u.get("product_unit") or "—",
                                                u.get("data_quality", "")))


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env bash
# Set everything up and run the main job, end to end on this machine: a city
# with three listed green factories in two counties.
#   gfi-meter-sim, one per factory (Modbus TCP, and RTU over socat ptys)
#   -> gfi-agent, one per factory gateway (polls, queues, signs batches)
#   -> Mosquitto (mutual TLS, per-gateway ACL, the city's PKI from deploy/)
#   -> gfi-aggregator (verifies, stores once, rolls up, alerts, HTTP + dashboards)
# Before going live it imports each factory's history since 2025-01-01 from
# its energy management system's CSV export (gfi-aggregator import), so last
# year's April-15 table is complete. Then it prints last year's pre-filled
# table, the alerts, the dashboard URL with tokens, and every 10 s the live
# month so far. Ctrl-C stops everything. GFI_DEMO_SECONDS=N stops after N s.
# Everything lives in one data directory (GFI_DEMO_DIR, default demo-data/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# GFI_DEMO_BUILD=DIR: use the programs already built in DIR (the end-to-end
# test runs the demo on the test build); otherwise set up and build.
build=${GFI_DEMO_BUILD:-}
if [ -z "$build" ]; then
  bash scripts/setup.sh
  build=$root/build-demo
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" --target gfi-agent gfi-meter-sim gfi-aggregator >/dev/null
fi
agent=$build/agent/gfi-agent
sim=$build/sim/gfi-meter-sim
agg=$build/aggregator/gfi-aggregator
demo=${GFI_DEMO_DIR:-$root/demo-data}
profiles=$root/firmware-config/profiles
store=$demo/city.db
history_from=1735660800            # 2025-01-01 00:00 Asia/Shanghai
registered=$((history_from - 86400)) # meters were in the registry before that
rm -rf "$demo"; mkdir -p "$demo"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local t=$1 what=$2; shift 2
  for _ in $(seq $((t * 20))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "demo: timed out waiting for $what" >&2; exit 1
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
a() { "$agg" admin --store "$store" "$@" >/dev/null; }

# ---- the factories ---------------------------------------------------------
# code|name|county|sector|gateway. Credit codes carry their GB 32100 check
# character; county codes are GB/T 2260 divisions of Fuzhou.
factories=(
  "91350102MA2Y0M0T4L|闽江示范电机有限公司 Minjiang Demo Motor Works|350102|C3811|gw-motor-01"
  "91350102MA2Y0C0A5J|鼓楼精密铸造有限公司 Gulou Precision Castings|350102|C3391|gw-cast-01"
  "91350121MA3D0Y0E6R|闽侯纺织印染有限公司 Minhou Textile Dyeing|350121|C1713|gw-dye-01"
)
fix_code() { # the check character, computed (so the table above cannot lie)
  python3 - "$1" <<'PY'
import sys
chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
c = sys.argv[1][:17]
print(c + chars[(31 - sum(chars.index(x) * y for x, y in zip(c, w)) % 31) % 31])
PY
}

# Meters per factory: meter|slave|profile|line|base_rate|point|quantity|role|extra admin options
meters_gw_motor_01=(
  "E01|1|eastron-sdm630|lan|820|import_kwh|elec_import_kwh|elec_purchased|--accuracy 0.5"
  "PV01|2|eastron-sdm630|lan|150|import_kwh|elec_import_kwh|renewable_gen|--accuracy 1"
  "G01|3|panametrics-sentinel|lan|35|std_total_m3|gas_volume_m3|fuel|--carrier natural_gas"
  "W01|4|siemens-mag6000|lan|6|total1_m3|water_volume_m3|water_intake|--carrier tap_water --accuracy 2"
  "P01|5|autonics-ct6s|lan|28|count|product_count|production|--product 电机 --product-unit 台 --counter-max 1000000"
)
meters_gw_cast_01=(
  "E01|1|chint-dtsu666|lan|1500|import_kwh|elec_import_kwh|elec_purchased|--accuracy 0.5"
  "G01|2|panametrics-sentinel|lan|160|std_total_m3|gas_volume_m3|fuel|--carrier natural_gas"
  "P01|3|autonics-ct6s|lan|180|count|product_count|production|--product 铸件 --product-unit 件 --counter-max 1000000"
  "W01|11|microsensor-mfe600h|rtu|9|total_m3|water_volume_m3|water_intake|--carrier tap_water --accuracy 2"
  "WR01|12|microsensor-mfe600h|rtu|26|total_m3|water_volume_m3|water_recycled|"
)
meters_gw_dye_01=(
  "E01|1|eastron-sdm630|lan|640|import_kwh|elec_import_kwh|elec_purchased|--accuracy 0.5"
  "P01|2|autonics-ct6s|lan|2400|count|product_count|production|--product 印染布 --product-unit 米 --counter-max 1000000"
  "S01|11|tactical-tfmvt222|rtu|7|total_t|steam_mass_t|heat_purchased|--carrier steam"
  "W01|12|siemens-mag6000|rtu|38|total1_m3|water_volume_m3|water_intake|--carrier surface_water --accuracy 2"
)
meters_of() { local v="meters_${1//-/_}[@]"; printf '%s\n' "${!v}"; }

echo "== the city's PKI and broker (deploy/)"
bash deploy/pki.sh init-ca --dir "$demo/ca" >/dev/null
bash deploy/pki.sh server --dir "$demo/ca" --name localhost --ip 127.0.0.1 >/dev/null
bash deploy/pki.sh client --dir "$demo/ca" --cn gfi-aggregator >/dev/null
port=$(free_port)
bash deploy/render-broker.sh --out "$demo/broker" --port "$port" --bind 127.0.0.1 \
  --ca "$demo/ca/ca.crt" --cert "$demo/ca/server/localhost.crt" \
  --key "$demo/ca/server/localhost.key" --crl "$demo/ca/crl.pem" --user "$(id -un)" >/dev/null
mosquitto -c "$demo/broker/mosquitto.conf" >"$demo/mosquitto.log" 2>&1 &
pids+=($!)
wait_for 10 "mosquitto" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
echo "mosquitto: TLS only, client certificates required, port $port"

echo "== the city's registry: two counties, three factories (gfi-aggregator admin)"
a county add --code 350102 --name "鼓楼区 Gulou District"
a county add --code 350121 --name "闽侯县 Minhou County"
units=()
for f in "${factories[@]}"; do
  IFS='|' read -r code name county sector gw <<<"$f"
  code=$(fix_code "$code")
  units+=("$code|$name|$county|$sector|$gw")
  a unit add --code "$code" --name "$name" --kind factory --county "$county" \
    --level city --year 2024 --sector "$sector"
done

# One gateway per factory: its key is made on the gateway, the city signs its
# CSR, registers its public key and meter points; its own meters are simulated.
for u in "${units[@]}"; do
  IFS='|' read -r code name county sector gw <<<"$u"
  d=$demo/$gw; mkdir -p "$d"
  "$agent" keygen --key "$d/gateway.key" > "$d/gateway.pub"
  "$agent" csr --key "$d/gateway.key" --cn "$gw" --out "$d/gateway.csr"
  bash deploy/pki.sh sign --dir "$demo/ca" --csr "$d/gateway.csr" --out "$d/gateway.crt" >/dev/null
  a gateway add --id "$gw" --unit "$code" --pubkey "$d/gateway.pub"
  tcp_meters="" rtu_meters="" agent_meters="" points=""
  while IFS='|' read -r m slave prof line rate point q role extra; do
    [ -n "$m" ] || continue
    j="{ \"id\": \"$m\", \"slave\": $slave, \"profile\": \"$prof\", \"base_rate\": $rate }"
    if [ "$line" = lan ]; then tcp_meters+="${tcp_meters:+, }$j"; else rtu_meters+="${rtu_meters:+, }$j"; fi
    agent_meters+="${agent_meters:+,
    }{ \"id\": \"$m\", \"line\": \"$([ "$line" = lan ] && echo lan || echo rs485)\", \"slave\": $slave, \"profile\": \"$prof\", \"interval_s\": 5 }"
    points+="${points:+,}$m:$point"
    # shellcheck disable=SC2086 # extra holds admin options
    a meter add --gateway "$gw" --meter "$m" --point "$point" --quantity "$q" \
      --role "$role" --registered "$registered" $extra
  done < <(meters_of "$gw")
  rtu_json="" agent_rtu=""
  if [ -n "$rtu_meters" ]; then
    socat pty,raw,echo=0,link="$d/rs485-sim" pty,raw,echo=0,link="$d/rs485-gw" 2>/dev/null &
    pids+=($!)
    wait_for 5 "socat" test -e "$d/rs485-gw"
    rtu_json=", \"rtu\": [ { \"id\": \"bus\", \"device\": \"$d/rs485-sim\", \"baud\": 9600, \"meters\": [ $rtu_meters ] } ]"
    agent_rtu=",
             { \"id\": \"rs485\", \"type\": \"rtu\", \"device\": \"$d/rs485-gw\", \"baud\": 9600 }"
  fi
  seed=$(printf '%s' "$gw" | cksum | cut -d' ' -f1)
  cat > "$d/sim.json" <<JSON
{ "seed": $seed, "profiles_dir": "$profiles",
  "tcp": [ { "id": "lan", "host": "127.0.0.1", "port": 0, "meters": [ $tcp_meters ] } ]$rtu_json }
JSON
  echo "$points" > "$d/points"
  echo "$agent_meters" > "$d/agent-meters"
  echo "$agent_rtu" > "$d/agent-rtu"
done
"$agg" admin --store "$store" unit list | cut -c1-120

echo "== last year's history from each factory's energy management system (gfi-aggregator import)"
now=$(date +%s)
history_to=$(( now / 3600 * 3600 ))   # hourly readings up to the last full hour
for u in "${units[@]}"; do
  IFS='|' read -r code name county sector gw <<<"$u"
  d=$demo/$gw
  "$sim" history --config "$d/sim.json" --gateway "$gw" --points "$(cat "$d/points")" \
    --from "$history_from" --to "$history_to" --step 3600 > "$d/ems-export.csv"
  if [ "$gw" = gw-dye-01 ]; then
    # The dyeing plant's EMS was down 8..19 May 2026: those rows are missing
    # from its export, as they would be (the completeness alert shows it).
    grep -v ',2026-05-\(0[89]\|1[0-9]\) ' "$d/ems-export.csv" > "$d/ems.tmp" && mv "$d/ems.tmp" "$d/ems-export.csv"
  fi
  printf '%s: %s rows, ' "$gw" "$(($(wc -l < "$d/ems-export.csv") - 1))"
  "$agg" import --store "$store" --csv "$d/ems-export.csv" --by "demo-ems-export"
done
# What no meter measures is entered by hand, with who and when.
for u in "${units[@]}"; do
  IFS='|' read -r code name county sector gw <<<"$u"
  case $gw in
    gw-motor-01) ov=18600 sw=420 swu=395 land=52000 ;;
    gw-cast-01)  ov=26400 sw=3900 swu=3420 land=68000 ;;
    gw-dye-01)   ov=14800 sw=860 swu=610 land=41000 ;;
  esac
  a fact set --unit "$code" --year 2025 --key output_value_10k_cny --value "$ov" --by "demo-finance"
  a fact set --unit "$code" --year 2025 --key solid_waste_generated_t --value "$sw" --by "demo-ehs"
  a fact set --unit "$code" --year 2025 --key solid_waste_used_t --value "$swu" --by "demo-ehs"
  a fact set --unit "$code" --year 2025 --key land_area_m2 --value "$land" --by "demo-ehs"
done
# The motor works has already filed its 2025 table; the others have not.
"$agg" filing --store "$store" --unit "$(IFS='|' read -r c _ <<<"${units[0]}"; echo "$c")" \
  --year 2025 --by "demo-motor-energy-manager" --at "2026-03-28 10:00" >/dev/null

echo "== last year's pre-filled table (2025, 年度动态管理表), full files in $demo/"
"$agg" report --store "$store" --year 2025 --format csv --out "$demo/table-2025.csv"
"$agg" report --store "$store" --year 2025 --format xlsx --out "$demo/table-2025.xlsx"
"$agg" report --store "$store" --year 2025 --format json --out "$demo/table-2025.json"
python3 scripts/demo_table.py "$demo/table-2025.json"

echo "== alerts (rules: demo/alert-rules.json; the city's sector limits)"
cat > "$demo/alert-rules.json" <<'JSON'
{ "threshold_pct": 5, "completeness_pct": 90, "max_silence_s": 3600,
  "sector_limits": [ { "sector": "C3391", "indicator": "energy_per_product", "max": 1.9 } ] }
JSON
"$agg" alerts evaluate --store "$store" --rules "$demo/alert-rules.json" >/dev/null
"$agg" alerts --store "$store" --state active | cut -c1-160

echo "== the dashboards (ECharts from npm, bundled; nothing fetched at run time)"
stale_dist() { # dist/ missing, or built from other sources (build.sh's dist/.sources)
  [ -e dashboards/dist/echarts.min.js ] && [ -e dashboards/dist/.sources ] || return 0
  ! (cd dashboards && sha256sum --quiet --status -c dist/.sources)
}
if [ -z "${GFI_DEMO_BUILD:-}" ] || stale_dist; then
  bash dashboards/build.sh
fi
httpport=$(free_port)
city_token=$("$agg" token add --store "$store" --role city --name demo-city)
county_token=$("$agg" token add --store "$store" --role county --scope 350121 --name demo-minhou)
cat > "$demo/aggregator.json" <<JSON
{ "store": "$store",
  "broker": { "host": "localhost", "port": $port, "ca_file": "$demo/ca/ca.crt",
              "cert_file": "$demo/ca/clients/gfi-aggregator.crt",
              "key_file": "$demo/ca/clients/gfi-aggregator.key" },
  "client_id": "gfi-aggregator", "log_level": "notice",
  "http": { "bind": "127.0.0.1", "port": $httpport, "static_dir": "$root/dashboards/dist" } }
JSON
"$agg" serve --config "$demo/aggregator.json" >"$demo/aggregator.log" 2>&1 &
pids+=($!)

echo "== simulated meters and one gfi-agent per factory, polling every 5 s"
for u in "${units[@]}"; do
  IFS='|' read -r code name county sector gw <<<"$u"
  d=$demo/$gw
  "$sim" serve --config "$d/sim.json" --ready-file "$d/sim.ready" >"$d/sim.log" 2>&1 &
  pids+=($!)
  wait_for 10 "the simulator of $gw" grep -qx ready "$d/sim.ready"
  simport=$(awk '$1=="tcp" && $2=="lan" {print $3}' "$d/sim.ready")
  cat > "$d/agent.json" <<JSON
{ "gateway_id": "$gw", "data_dir": "$d/data", "profiles_dir": "$profiles",
  "lines": [ { "id": "lan", "type": "tcp", "host": "127.0.0.1", "port": $simport }$(cat "$d/agent-rtu") ],
  "meters": [
    $(cat "$d/agent-meters") ],
  "uplink": { "host": "localhost", "port": $port, "ca_file": "$demo/ca/ca.crt",
              "cert_file": "$d/gateway.crt", "key_file": "$d/gateway.key",
              "status_interval_s": 10 } }
JSON
  "$agent" check-config --config "$d/agent.json"
  "$agent" run --config "$d/agent.json" >"$d/agent.log" 2>&1 &
  pids+=($!)
  echo "$gw ($name): $(meters_of "$gw" | cut -d'|' -f1 | paste -sd' ') polling"
done
echo "== what an inspector runs on site: gfi-agent read --meter E01 (first lines)"
"$agent" read --config "$demo/gw-motor-01/agent.json" --meter E01 > "$demo/read.jsonl" || true
head -3 "$demo/read.jsonl"

echo
echo "== dashboard: http://127.0.0.1:$httpport/"
echo "   city token (市工信局):              $city_token"
echo "   county token (闽侯县 Minhou only):  $county_token"
echo
year=$(TZ=Asia/Shanghai date +%Y) month=$(TZ=Asia/Shanghai date +%-m)
start=$(date +%s)
while :; do
  sleep 10
  echo "-- $(date '+%H:%M:%S') city store: $("$agg" counts --store "$store")"
  echo "   $year-$month so far (imported history + live readings): 综合能耗 tce | electricity kWh | water m3 | CO2 t | completeness %"
  for u in "${units[@]}"; do
    IFS='|' read -r code name county sector gw <<<"$u"
    "$agg" indicators --store "$store" --unit "$code" --year "$year" --month "$month" 2>/dev/null |
      awk -F'\t' -v n="${name%% *}" '
        $1=="energy_equiv_tce"{e=$2} $1=="elec_kwh"{k=$2} $1=="water_intake_m3"{w=$2}
        $1=="co2_t"{c=$2} $1=="completeness_pct"{p=$2}
        END {printf "   %-16s %12s %14s %12s %12s %8s\n", n, e, k, w, c, p}' || true
  done
  echo "   live batches per gateway: $(sqlite3 "file:$store?mode=ro" \
    "SELECT group_concat(gateway || ' ' || n, ', ') FROM (SELECT gateway, count(*) n FROM batches GROUP BY gateway)" 2>/dev/null)"
  if [ -n "${GFI_DEMO_SECONDS:-}" ] && [ $(( $(date +%s) - start )) -ge "$GFI_DEMO_SECONDS" ]; then break; fi
done

#!/usr/bin/env bash
# Set everything up and run the main job, end to end on this machine:
#   gfi-meter-sim (meters on Modbus TCP and on RTU over a socat pty pair)
#   -> gfi-agent (polls, queues, signs batches)
#   -> Mosquitto (mutual TLS, per-gateway ACL, the city's PKI from deploy/)
#   -> gfi-aggregator (verifies, stores once, rolls up per day, acks).
# Prints what the agent reads, then what the city has stored, every 10 s.
# Ctrl-C stops everything. GFI_DEMO_SECONDS=N stops by itself after N s.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/setup.sh
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-demo -j"$(nproc)" --target gfi-agent gfi-meter-sim gfi-aggregator >/dev/null
agent=$root/build-demo/agent/gfi-agent
sim=$root/build-demo/sim/gfi-meter-sim
agg=$root/build-demo/aggregator/gfi-aggregator
demo=${GFI_DEMO_DIR:-$root/demo-data}
profiles=$root/firmware-config/profiles
gw=gw-demo-01
unit=91350100M000100Y43          # a valid unified social credit code
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

echo "== the city's PKI and broker (deploy/)"
bash deploy/pki.sh init-ca --dir "$demo/ca" >/dev/null
bash deploy/pki.sh server --dir "$demo/ca" --name localhost --ip 127.0.0.1 >/dev/null
bash deploy/pki.sh client --dir "$demo/ca" --cn gfi-aggregator >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bash deploy/render-broker.sh --out "$demo/broker" --port "$port" --bind 127.0.0.1 \
  --ca "$demo/ca/ca.crt" --cert "$demo/ca/server/localhost.crt" \
  --key "$demo/ca/server/localhost.key" --crl "$demo/ca/crl.pem" --user "$(id -un)" >/dev/null
mosquitto -c "$demo/broker/mosquitto.conf" >"$demo/mosquitto.log" 2>&1 &
pids+=($!)
wait_for 10 "mosquitto" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
echo "mosquitto: TLS only, port $port"

echo "== the gateway's key, made on the gateway; its CSR signed by the city"
mkdir -p "$demo/gw"
"$agent" keygen --key "$demo/gw/gateway.key" > "$demo/gw/gateway.pub"
"$agent" csr --key "$demo/gw/gateway.key" --cn "$gw" --out "$demo/gw/gateway.csr"
bash deploy/pki.sh sign --dir "$demo/ca" --csr "$demo/gw/gateway.csr" --out "$demo/gw/gateway.crt" >/dev/null

echo "== simulated meters: Modbus TCP and RTU (two slaves on one line)"
socat pty,raw,echo=0,link="$demo/rs485-sim" pty,raw,echo=0,link="$demo/rs485-gw" 2>/dev/null &
pids+=($!)
wait_for 5 "socat" test -e "$demo/rs485-gw"
cat > "$demo/sim.json" <<JSON
{ "seed": 2026, "profiles_dir": "$profiles",
  "tcp": [ { "id": "lan", "host": "127.0.0.1", "port": 0, "meters": [
      { "id": "E01", "slave": 1, "profile": "eastron-sdm630", "initial": 182340.5 },
      { "id": "G01", "slave": 2, "profile": "panametrics-sentinel" } ] } ],
  "rtu": [ { "id": "bus", "device": "$demo/rs485-sim", "baud": 9600, "meters": [
      { "id": "W01", "slave": 11, "profile": "siemens-mag6000" },
      { "id": "S01", "slave": 12, "profile": "tactical-tfmvt222" } ] } ] }
JSON
"$sim" serve --config "$demo/sim.json" --ready-file "$demo/sim.ready" >"$demo/sim.log" 2>&1 &
pids+=($!)
wait_for 10 "the simulator" grep -qx ready "$demo/sim.ready"
simport=$(awk '$1=="tcp" && $2=="lan" {print $3}' "$demo/sim.ready")

echo "== the city's registry (gfi-aggregator admin)"
store=$demo/city.db
a() { "$agg" admin --store "$store" "$@" >/dev/null; }
a county add --code 350102 --name "鼓楼区 Gulou"
a unit add --code "$unit" --name "示范工厂 Demo Works" --kind factory --county 350102 \
  --level city --year 2024 --sector C3130
a gateway add --id "$gw" --unit "$unit" --pubkey "$demo/gw/gateway.pub"
reg=$(( $(date +%s) - 60 ))
a meter add --gateway "$gw" --meter E01 --point import_kwh --quantity elec_import_kwh \
  --role elec_purchased --registered "$reg" --accuracy 1
a meter add --gateway "$gw" --meter G01 --point std_total_m3 --quantity gas_volume_m3 \
  --role fuel --carrier natural_gas --registered "$reg"
a meter add --gateway "$gw" --meter W01 --point total1_m3 --quantity water_volume_m3 \
  --role water_intake --carrier tap_water --registered "$reg" --accuracy 2
a meter add --gateway "$gw" --meter S01 --point total_t --quantity steam_mass_t \
  --role heat_purchased --carrier steam --registered "$reg"
"$agg" admin --store "$store" meter list --gateway "$gw"

echo "== the dashboards (ECharts from npm, bundled; nothing fetched at run time)"
bash dashboards/build.sh
httpport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$("$agg" token add --store "$store" --role city --name demo-city)
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

cat > "$demo/agent.json" <<JSON
{ "gateway_id": "$gw", "data_dir": "$demo/gw/data", "profiles_dir": "$profiles",
  "lines": [ { "id": "lan", "type": "tcp", "host": "127.0.0.1", "port": $simport },
             { "id": "rs485", "type": "rtu", "device": "$demo/rs485-gw", "baud": 9600 } ],
  "meters": [
    { "id": "E01", "line": "lan", "slave": 1, "profile": "eastron-sdm630", "interval_s": 5 },
    { "id": "G01", "line": "lan", "slave": 2, "profile": "panametrics-sentinel", "interval_s": 5 },
    { "id": "W01", "line": "rs485", "slave": 11, "profile": "siemens-mag6000", "interval_s": 5 },
    { "id": "S01", "line": "rs485", "slave": 12, "profile": "tactical-tfmvt222", "interval_s": 5 } ],
  "uplink": { "host": "localhost", "port": $port, "ca_file": "$demo/ca/ca.crt",
              "cert_file": "$demo/gw/gateway.crt", "key_file": "$demo/gw/gateway.key",
              "status_interval_s": 10 } }
JSON
echo "== gfi-agent check-config"
"$agent" check-config --config "$demo/agent.json" && echo "config ok"
echo "== gfi-agent read --meter E01 (what an inspector runs on site)"
"$agent" read --config "$demo/agent.json" --meter E01 > "$demo/read.jsonl" || true
head -6 "$demo/read.jsonl"
echo "== gfi-agent run: polling every 5 s, signed batches to the city (Ctrl-C stops)"
"$agent" run --config "$demo/agent.json" >"$demo/agent.log" 2>&1 &
pids+=($!)
echo "== dashboard: http://127.0.0.1:$httpport/  (log in with the city token below)"
echo "   token: $token"
start=$(date +%s)
while :; do
  sleep 10
  echo "-- $(date '+%H:%M:%S') city store: $("$agg" counts --store "$store")"
  sqlite3 -separator '  ' "file:$store?mode=ro" \
    "SELECT s.meter, s.point, datetime(r.day_s + 8*3600, 'unixepoch') AS day_cst, r.count,
            printf('%.3f', r.first_v), printf('%.3f', r.last_v), printf('%.3f', r.last_v - r.first_v) AS used
     FROM rollups r JOIN series s ON s.id = r.series
     WHERE s.point IN ('import_kwh','std_total_m3','total1_m3','total_t') ORDER BY s.meter" 2>/dev/null || true
  echo "   this month's indicators so far (综合能耗, electricity, water intake, CO2):"
  "$agg" indicators --store "$store" --unit "$unit" --year "$(TZ=Asia/Shanghai date +%Y)" \
    --month "$(TZ=Asia/Shanghai date +%-m)" 2>/dev/null |
    awk -F'\t' '$1 ~ /^(energy_equiv_tce|elec_kwh|water_intake_m3|co2_t|completeness_pct)$/ {printf "   %-18s %s %s\n", $1, $2, $3}' || true
  if [ -n "${GFI_DEMO_SECONDS:-}" ] && [ $(( $(date +%s) - start )) -ge "$GFI_DEMO_SECONDS" ]; then break; fi
done

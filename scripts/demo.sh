#!/usr/bin/env bash
# Set everything up and run the main job: gfi-meter-sim serving simulated
# meters over Modbus TCP and over RTU (a socat pty pair, several slaves on one
# line), gfi-agent reading them once live, then polling into its durable
# queue while this script prints what was queued. Ctrl-C stops everything.
# GFI_DEMO_SECONDS=N stops by itself after N seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/setup.sh
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-demo -j"$(nproc)" --target gfi-agent gfi-meter-sim >/dev/null
bin=$root/build-demo
demo=${GFI_DEMO_DIR:-$root/demo-data}
rm -rf "$demo"; mkdir -p "$demo"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

socat pty,raw,echo=0,link="$demo/rs485-sim" pty,raw,echo=0,link="$demo/rs485-gw" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -e "$demo/rs485-gw" ] && break; sleep 0.05; done

profiles=$root/firmware-config/profiles
cat > "$demo/sim.json" <<JSON
{ "seed": 2026, "profiles_dir": "$profiles",
  "tcp": [ { "id": "lan", "host": "127.0.0.1", "port": 0, "meters": [
      { "id": "E01", "slave": 1, "profile": "eastron-sdm630", "initial": 182340.5 },
      { "id": "E02", "slave": 2, "profile": "acrel-adl400", "initial": 5120.25 } ] } ],
  "rtu": [ { "id": "bus", "device": "$demo/rs485-sim", "baud": 9600, "meters": [
      { "id": "W01", "slave": 11, "profile": "siemens-mag6000" },
      { "id": "S01", "slave": 12, "profile": "tactical-tfmvt222" } ] } ] }
JSON
"$bin/sim/gfi-meter-sim" serve --config "$demo/sim.json" --ready-file "$demo/sim.ready" &
pids+=($!)
for _ in $(seq 200); do grep -qx ready "$demo/sim.ready" 2>/dev/null && break; sleep 0.05; done
port=$(awk '$1=="tcp" && $2=="lan" {print $3}' "$demo/sim.ready")

cat > "$demo/agent.json" <<JSON
{ "gateway_id": "gw-demo-01", "data_dir": "$demo/agent", "profiles_dir": "$profiles",
  "lines": [ { "id": "lan", "type": "tcp", "host": "127.0.0.1", "port": $port },
             { "id": "rs485", "type": "rtu", "device": "$demo/rs485-gw", "baud": 9600 } ],
  "meters": [
    { "id": "E01", "line": "lan", "slave": 1, "profile": "eastron-sdm630", "interval_s": 5 },
    { "id": "E02", "line": "lan", "slave": 2, "profile": "acrel-adl400", "interval_s": 5 },
    { "id": "W01", "line": "rs485", "slave": 11, "profile": "siemens-mag6000", "interval_s": 5 },
    { "id": "S01", "line": "rs485", "slave": 12, "profile": "tactical-tfmvt222", "interval_s": 5 } ] }
JSON
echo "== gfi-agent check-config"
"$bin/agent/gfi-agent" check-config --config "$demo/agent.json" && echo "config ok"
echo "== gfi-agent read --meter E01 (what an inspector runs on site)"
"$bin/agent/gfi-agent" read --config "$demo/agent.json" --meter E01 | head -8
echo "== gfi-agent run: polling every 5 s into $demo/agent/queue.db (Ctrl-C stops)"
"$bin/agent/gfi-agent" run --config "$demo/agent.json" &
pids+=($!)
start=$(date +%s); last=0
while :; do
  sleep 5
  if [ -f "$demo/agent/queue.db" ]; then
    sqlite3 -separator '  ' "$demo/agent/queue.db" \
      "SELECT id, datetime(time_s,'unixepoch','+8 hours') || ' CST', meter, point, printf('%.3f', value), status
       FROM readings WHERE id > $last AND quantity IN ('elec_import_kwh','water_volume_m3','steam_mass_t') AND point NOT LIKE '%\_l_' ESCAPE '\\' ORDER BY id" || true
    last=$(sqlite3 "$demo/agent/queue.db" "SELECT COALESCE(MAX(id),0) FROM readings" 2>/dev/null || echo "$last")
    echo "-- queue holds $(sqlite3 "$demo/agent/queue.db" 'SELECT COUNT(*) FROM readings' 2>/dev/null) readings"
  fi
  if [ -n "${GFI_DEMO_SECONDS:-}" ] && [ $(( $(date +%s) - start )) -ge "$GFI_DEMO_SECONDS" ]; then break; fi
done

#!/usr/bin/env bash
# Install every dependency of gfi from Debian 12's packages. Idempotent; runs
# as root or through sudo. Later parts (aggregator, dashboards) add theirs here.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libmodbus-dev libpaho-mqtt-dev libsqlite3-dev libmbedtls-dev libcjson-dev
  libcmocka-dev libmicrohttpd-dev libxlsxwriter-dev libssl-dev
  mosquitto mosquitto-clients socat mbpoll sqlite3 openssl
  python3 python3-paho-mqtt python3-openpyxl procps psmisc iproute2 valgrind clang libclang-rt-14-dev chromium fonts-noto-cjk
)
# dashboards: Debian's nodejs and npm unless a node with npm is already installed
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The Debian mosquitto package starts a broker on port 1883; our tests start
# their own brokers on free ports and do not need it.
echo "setup: all dependencies present"

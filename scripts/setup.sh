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
  faketime  # fault suite: test_faults_clock steps the agent's wall clock (libfaketime)
  python3-pymodbus  # test_rtu_tcp: an independent RTU-over-TCP peer (issue 20)
  python3-cryptography  # tests/gfitest/signed.py signs the test batches independently of gfi (issue 16)
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
# ---- cross: the gateway build (issue 8, docs/gateway-build.md) ----
# arm64: Debian's cross compiler and the arm64 -dev packages multiarch, beside
# the amd64 ones (the architecture is added before the apt-get update that
# must fetch its index). armhf: the cross compiler, and its libraries in a
# sysroot of Debian armhf packages (firmware-config/cross-build.sh sysroot):
# `dpkg --add-architecture armhf` would make every later apt-get update fail
# when the mirror's armhf index is broken, as it was here on 2026-11-26.
# A failure here warns and leaves the rest of the setup alone; the cross
# test (label cross) then fails, naming what is missing.
cross_setup() {
  # The C cross compilers only: crossbuild-essential-* would add g++ and
  # dpkg-cross with its Perl stack, which a C project does not use.
  local cross_packages=(gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
    qemu-user file libmodbus-dev:arm64 libsqlite3-dev:arm64 libmbedtls-dev:arm64
    libcjson-dev:arm64 libpaho-mqtt-dev:arm64 libssl-dev:arm64)
  local cross_missing=() update=0 p
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "${SUDO[@]}" dpkg --add-architecture arm64 || return 1
    update=1
  fi
  for p in "${cross_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || cross_missing+=("$p")
  done
  if [ ${#cross_missing[@]} -gt 0 ]; then
    echo "setup: cross: installing ${cross_missing[*]}"
    update=1
  fi
  if [ $update -eq 1 ] &&
     ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq; then
    # A broken arm64 index would fail every later apt-get update, the main
    # block's too: take arm64 back out while nothing of it is installed.
    dpkg-query -W -f='${Architecture}\n' 2>/dev/null | grep -qx arm64 ||
      "${SUDO[@]}" dpkg --remove-architecture arm64
    return 1
  fi
  if [ ${#cross_missing[@]} -gt 0 ]; then
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${cross_missing[@]}" || return 1
  fi
  "${SUDO[@]}" bash "$(dirname "$0")/../firmware-config/cross-build.sh" \
    sysroot armhf /opt/gfi-sysroot/armhf || return 1
}
cross_setup || echo "setup: WARNING: the gateway cross toolchain is incomplete (see above); gfi itself is set up" >&2
# ---- end cross ----
# bench/footprint.py's peer: Node-RED + node-red-contrib-modbus, locked
# (npm ci; the benchmark also runs it when node_modules is missing). Skipped
# when node_modules was installed from this very lock file (a stamp of its
# SHA-256): npm ci always reinstalls, about 45 s here.
nodered_ci() {
  local lock_sum
  lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
  [ "$(cat node_modules/.gfi-lock-sha256 2>/dev/null)" = "$lock_sum" ] && return 0
  npm ci --no-audit --no-fund --loglevel=error &&
    echo "$lock_sum" > node_modules/.gfi-lock-sha256
}
(cd "$(dirname "$0")/../bench/nodered" && nodered_ci) ||
  echo "setup: WARNING: npm ci in bench/nodered failed; bench.footprint will retry it" >&2
# The Debian mosquitto package starts a broker on port 1883; our tests start
# their own brokers on free ports and do not need it.
echo "setup: all dependencies present"

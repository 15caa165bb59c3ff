#!/usr/bin/env bash
# Cross-build gfi-agent for an ARM gateway (issue 8): Release, gateway-only
# (common + agent), Debian's cross compiler, then strip it.
#
#   firmware-config/cross-build.sh arm64|armhf [BUILD_DIR]
#   firmware-config/cross-build.sh sysroot armhf|arm64 DIR
#
# BUILD_DIR defaults to build-<arch>/ at the top of the source tree. The
# stripped binary is BUILD_DIR/gfi-agent; the unstripped one stays in
# BUILD_DIR/agent/ for debugging. The last line printed is
#   gfi-agent <arch> stripped <bytes> bytes: <path>
# armhf uses the sysroot scripts/setup.sh makes (GFI_ARMHF_SYSROOT, default
# /opt/gfi-sysroot/armhf) unless the armhf -dev packages are installed
# multiarch. See docs/gateway-build.md.
#
# "sysroot" makes DIR from Debian packages of that architecture: apt fetches
# them (signed indexes of the machine's own sources, in a temporary apt
# state of its own, not the system's) and dpkg-deb extracts them; nothing is
# installed. It is what armhf needs when `dpkg --add-architecture armhf`
# cannot work (docs/gateway-build.md, "Why armhf is a sysroot").
set -euo pipefail

usage() {
  echo "usage: cross-build.sh arm64|armhf [BUILD_DIR]" >&2
  echo "       cross-build.sh sysroot arm64|armhf DIR" >&2
  exit 2
}
triplet_of() {
  case "$1" in
    arm64) echo aarch64-linux-gnu ;;
    armhf) echo arm-linux-gnueabihf ;;
    *) echo "cross-build.sh: arch '$1' is not arm64 or armhf" >&2; exit 2 ;;
  esac
}

# What gfi-agent links and what runs it: libc and loader, then each library
# with its -dev package.
sysroot_packages=(
  libc6 libc6-dev linux-libc-dev libcrypt1 libcrypt-dev libgcc-s1
  libssl3 libssl-dev libsqlite3-0 libsqlite3-dev libmodbus5 libmodbus-dev
  libcjson1 libcjson-dev libmbedcrypto7 libmbedx509-1 libmbedtls14 libmbedtls-dev
  libpaho-mqtt1.3 libpaho-mqtt-dev
)

make_sysroot() {
  local arch=$1 dir=$2 apt_opts list
  triplet_of "$arch" >/dev/null
  list="$arch ${sysroot_packages[*]}"
  if [ -f "$dir/.gfi-sysroot" ] && [ "$(head -1 "$dir/.gfi-sysroot")" = "$list" ]; then
    echo "sysroot $dir: present"
    return 0
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/gfi-sysroot.XXXXXX")
  trap 'rm -rf "$work"' EXIT   # global: the trap runs after this returns
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
  apt_opts=(-o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache"
            -o APT::Architectures::="$arch" -o APT::Architecture="$arch"
            -o APT::Sandbox::User=root -q)
  # One index of the machine's sources may fail (a mirror caught mid-sync):
  # apt then drops that suite and keeps the others; the download below says
  # which package is missing, if any.
  if ! apt-get "${apt_opts[@]}" update >"$work/update.log" 2>&1; then
    echo "sysroot: apt-get update for $arch reported errors; using the indexes it got:" >&2
    grep -E '^(E|W):' "$work/update.log" | head -3 >&2 || true
  fi
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download "${sysroot_packages[@]}" >"$work/download.log" 2>&1) || {
    echo "sysroot: apt-get download for $arch failed:" >&2
    tail -5 "$work/download.log" >&2
    return 1
  }
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
  done
  (cd "$work/debs" && ls) >"$work/root/.gfi-debs"
  printf '%s\n' "$list" >"$work/root/.gfi-sysroot"
  cat "$work/root/.gfi-debs" >>"$work/root/.gfi-sysroot"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir.old"
  [ ! -e "$dir" ] || mv "$dir" "$dir.old"
  mv "$work/root" "$dir"
  rm -rf "$dir.old"
  echo "sysroot $dir: $(find "$work/debs" -name '*.deb' | wc -l) packages, $(du -sh "$dir" | cut -f1)"
}

[ $# -ge 1 ] || usage
if [ "$1" = sysroot ]; then
  [ $# -eq 3 ] || usage
  make_sysroot "$2" "$3"
  exit 0
fi
[ $# -le 2 ] || usage
arch=$1
src=$(cd "$(dirname "$0")/.." && pwd)
triplet=$(triplet_of "$arch")
build=${2:-$src/build-$arch}

if ! command -v "$triplet-gcc" >/dev/null; then
  echo "cross-build.sh: $triplet-gcc not found; run scripts/setup.sh" >&2
  exit 1
fi

sysroot_args=()
if [ "$arch" = armhf ] && [ ! -e "/usr/lib/$triplet/pkgconfig/libmodbus.pc" ]; then
  sysroot=${GFI_ARMHF_SYSROOT:-/opt/gfi-sysroot/armhf}
  if [ ! -e "$sysroot/usr/lib/$triplet/pkgconfig/libmodbus.pc" ]; then
    echo "cross-build.sh: no armhf libraries: neither libmodbus-dev:armhf nor the sysroot $sysroot; run scripts/setup.sh" >&2
    exit 1
  fi
  sysroot_args=(-DGFI_SYSROOT="$sysroot")
fi

# The build is -Werror on every architecture (32-bit armhf included).
extra_flags=

cmake -S "$src" -B "$build" \
  -DCMAKE_TOOLCHAIN_FILE="$src/firmware-config/cmake/$triplet.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DGFI_GATEWAY_ONLY=ON -DCMAKE_C_FLAGS="$extra_flags" \
  "${sysroot_args[@]}" >/dev/null
cmake --build "$build" --target gfi-agent -j"${GFI_CROSS_JOBS:-2}" >/dev/null
"$triplet-strip" -o "$build/gfi-agent" "$build/agent/gfi-agent"
size=$(stat -c %s "$build/gfi-agent")
echo "gfi-agent $arch stripped $size bytes: $build/gfi-agent"

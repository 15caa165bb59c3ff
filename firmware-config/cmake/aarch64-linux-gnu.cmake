# CMake toolchain file: gfi-agent for 64-bit ARM gateways (arm64, aarch64),
# Debian's cross compiler (gcc-aarch64-linux-gnu) and the arm64 -dev
# packages. See docs/gateway-build.md and firmware-config/cross-build.sh.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GFI_CROSS_TRIPLET aarch64-linux-gnu)
set(GFI_CROSS_QEMU_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/gfi-cross-common.cmake)

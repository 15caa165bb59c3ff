# CMake toolchain file: gfi-agent for 32-bit ARM gateways (armhf: ARMv7,
# hard-float EABI5), Debian's cross compiler (gcc-arm-linux-gnueabihf) and
# the armhf -dev packages, multiarch or in a sysroot (GFI_SYSROOT). See
# docs/gateway-build.md and firmware-config/cross-build.sh.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(GFI_CROSS_TRIPLET arm-linux-gnueabihf)
set(GFI_CROSS_QEMU_ARCH arm)
include(${CMAKE_CURRENT_LIST_DIR}/gfi-cross-common.cmake)

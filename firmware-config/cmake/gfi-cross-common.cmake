# Shared body of the gateway toolchain files (issue 8). The including file sets
# GFI_CROSS_TRIPLET and CMAKE_SYSTEM_PROCESSOR first.
#
# Two ways to find the target's libraries, both from Debian 12 packages:
#  - multiarch (default): `dpkg --add-architecture <arch>` and the -dev:<arch>
#    packages installed next to the amd64 ones, in /usr/lib/<triplet>;
#  - a sysroot: the same Debian packages extracted into a directory (what
#    scripts/setup.sh does for armhf, whose multiarch install the mirror's
#    index can block). Give it as -DGFI_SYSROOT=DIR or the environment
#    variable GFI_SYSROOT.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${GFI_CROSS_TRIPLET}-gcc)
# find_library, find_package and FindOpenSSL look in lib/<triplet> first.
set(CMAKE_LIBRARY_ARCHITECTURE ${GFI_CROSS_TRIPLET})

if(NOT GFI_SYSROOT AND DEFINED ENV{GFI_SYSROOT})
  set(GFI_SYSROOT "$ENV{GFI_SYSROOT}")
endif()
# try_compile projects re-read this file without the cache: pass it on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES GFI_SYSROOT GFI_CROSS_TRIPLET)

if(GFI_SYSROOT)
  if(NOT EXISTS "${GFI_SYSROOT}/usr/include/stdio.h")
    message(FATAL_ERROR "GFI_SYSROOT=${GFI_SYSROOT} holds no usr/include/stdio.h")
  endif()
  set(CMAKE_SYSROOT "${GFI_SYSROOT}")
  set(CMAKE_FIND_ROOT_PATH "${GFI_SYSROOT}")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${GFI_SYSROOT}")
  set(ENV{PKG_CONFIG_LIBDIR}
    "${GFI_SYSROOT}/usr/lib/${GFI_CROSS_TRIPLET}/pkgconfig:${GFI_SYSROOT}/usr/share/pkgconfig")
else()
  # Multiarch: the target's files live under / beside the host's.
  set(CMAKE_FIND_ROOT_PATH /usr/${GFI_CROSS_TRIPLET} /)
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
  set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${GFI_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
endif()
# Never let pkg-config or find_library fall back to the host's libraries.
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu
  /usr/lib/x86_64-linux-gnu/pkgconfig /usr/lib/x86_64-linux-gnu/cmake)

# Programs (pkg-config, the compilers) are the host's; everything linked
# into the gateway's binary is the target's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Run the target's programs under qemu-user. Multiarch needs no prefix: the
# loader /lib/ld-linux-<arch>.so.* and the libraries are the installed
# libc6:<arch> and friends, what a Debian 12 gateway runs. (-L /usr/<triplet>
# also works, with the cross toolchain's own libc6-<arch>-cross instead.)
find_program(GFI_CROSS_QEMU NAMES qemu-${GFI_CROSS_QEMU_ARCH}-static qemu-${GFI_CROSS_QEMU_ARCH})
if(GFI_CROSS_QEMU AND GFI_SYSROOT)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GFI_CROSS_QEMU} -L ${GFI_SYSROOT})
elseif(GFI_CROSS_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GFI_CROSS_QEMU})
endif()

#!/usr/bin/env bash
# Install the Debian packages the firmware checks need (host tests, RISC-V cross-build + QEMU, Xtensa
# compile check). Idempotent: does nothing when every tool is already present.
# Usage: firmware/tools/install-toolchains.sh   (as root, or with sudo available)
set -euo pipefail

missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
[ -f /usr/include/cmocka.h ] || missing+=(libcmocka-dev)
command -v riscv64-unknown-elf-gcc >/dev/null 2>&1 || missing+=(gcc-riscv64-unknown-elf)
[ -d /usr/lib/picolibc/riscv64-unknown-elf ] || missing+=(picolibc-riscv64-unknown-elf)
command -v qemu-system-riscv32 >/dev/null 2>&1 || missing+=(qemu-system-misc)
command -v xtensa-lx106-elf-gcc >/dev/null 2>&1 || missing+=(gcc-xtensa-lx106)
command -v g++ >/dev/null 2>&1 || missing+=(g++)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-toolchains: need root to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "install-toolchains: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

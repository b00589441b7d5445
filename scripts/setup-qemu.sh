#!/usr/bin/env bash
# Installs qemu-aarch64-static (Debian's qemu-user-static), which the layer tests use to run
# the arm64 layer binary on an x86_64 machine. A no-op when it is already there.
set -euo pipefail
if command -v qemu-aarch64-static >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-qemu: qemu-aarch64-static missing; install Debian's qemu-user-static (needs root and apt-get)" >&2
  exit 1
fi
# Recommends would pull binfmt-support, which cannot register handlers inside a container.
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
command -v qemu-aarch64-static >/dev/null

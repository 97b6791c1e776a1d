#!/usr/bin/env bash
# Install qspectra's build dependencies from Debian's packages (idempotent; run as root or with sudo).
set -euo pipefail
PACKAGES=(build-essential cmake ninja-build pkg-config
          libeigen3-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
          libgtest-dev libgmock-dev libbenchmark-dev libopenblas-dev liblapacke-dev
          librsvg2-bin   # rsvg-convert: the plot render tests (skipped without it)
          libtorch-dev)  # optional component (PyTorch checkpoints); auto-detected by CMake
PACKAGES+=("$@")   # extra packages, e.g. clang libclang-rt-14-dev for the fuzzer
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

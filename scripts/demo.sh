#!/usr/bin/env bash
# Install, build, and run ww-analyze on the bundled real model (the README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/apps/ww-analyze data/llama2c-stories260K-plctlab --out-dir out/llama2c-stories260K-plctlab.ww
